/* SPDX-License-Identifier: MIT */
/*
 * Referrals (docs/referrals.md): a member enrolls with another member's referral code; when
 * its first purchase of at least the program's min_amount comes within within_days of
 * enrolling, the referral qualifies and both sides get their rewards (points or wallet
 * money), the referrer at most max_per_month times a month. A full return of the qualifying
 * purchase takes the rewards back. Guards: no unknown code, no inactive referrer, no
 * self-referral.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/clock.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum pt_rc pt_svc_referral_check(struct pt_store_txn *txn, const char *program_id,
                                 const struct pt_member *member, const char *code,
                                 char *referrer_id, struct pt_arena *arena, struct pt_err *err)
{
    struct pt_member referrer;
    enum pt_rc rc =
        pt_store_member_key_owner(txn, program_id, "referral_code", code, referrer_id, err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return pt_referral_refuse(err, "referral_code_unknown", "no member has this referral code");
    }
    if (rc == PT_OK) {
        rc = pt_store_member_get(txn, program_id, referrer_id, arena, &referrer, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (referrer.status != PT_MEMBER_ACTIVE) {
        return pt_referral_refuse(err, "referrer_inactive",
                                  "the member of this referral code is closed or suspended");
    }
    if (pt_referral_same_person(member, &referrer)) {
        return pt_referral_refuse(
            err, "self_referral",
            "a member cannot refer itself (same email or phone as the referrer)");
    }
    return PT_OK;
}

enum pt_rc pt_svc_referral_record(struct pt_store_txn *txn, const char *program_id,
                                  const struct pt_member *member, const char *referrer_id,
                                  int64_t now_ms, struct pt_err *err)
{
    struct pt_referral r;
    memset(&r, 0, sizeof(r));
    memcpy(r.member_id, member->id, sizeof(r.member_id));
    (void)snprintf(r.referrer_id, sizeof(r.referrer_id), "%s", referrer_id);
    r.status = "invited";
    r.enrolled_at_ms = now_ms;
    return pt_store_referral_put(txn, program_id, &r, err);
}

/* Gives one side its reward: points, wallet money, or both. */
static enum pt_rc reward(struct pt_service *svc, struct pt_store_txn *txn,
                         const struct pt_program *program, const char *member_id,
                         const char *referee_id, int64_t points, int64_t money, int64_t now_ms,
                         const char *key_id, char *credit_id, struct pt_arena *arena,
                         struct pt_err *err)
{
    enum pt_rc rc = PT_OK;
    if (points > 0) {
        char entry_id[PT_ID_BUF_BYTES];
        rc = pt_svc_award_points(txn, program, member_id, "referral", referee_id, points, now_ms,
                                 now_ms, key_id, entry_id, err);
    }
    if (rc == PT_OK && money > 0) {
        rc = pt_svc_wallet_credit(svc, txn, program, member_id, "referral", referee_id, money,
                                  now_ms, now_ms, key_id, credit_id, arena, err);
    }
    return rc;
}

enum pt_rc pt_svc_referral_purchase(struct pt_service *svc, struct pt_store_txn *txn,
                                    const struct pt_program *program, const struct pt_purchase *p,
                                    int64_t now_ms, const char *key_id, struct pt_arena *arena,
                                    struct pt_err *err)
{
    const struct pt_referral_policy *policy = &program->referrals;
    struct pt_referral r;
    struct pt_member referrer;
    char today[11];
    int64_t rewarded = 0;
    enum pt_rc rc;
    if (!policy->enabled) {
        return PT_OK;
    }
    rc = pt_store_referral_get(txn, program->id, p->member_id, arena, &r, err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return PT_OK;
    }
    if (rc != PT_OK || strcmp(r.status, "invited") != 0 || p->spend < policy->min_amount ||
        p->occurred_at_ms > r.enrolled_at_ms + policy->within_days * PT_DAY_MS ||
        p->occurred_at_ms < r.enrolled_at_ms) {
        return rc;
    }
    r.status = "qualified";
    r.qualified_at_ms = now_ms;
    memcpy(r.purchase_id, p->id, sizeof(r.purchase_id));
    /* The referred member's reward comes with its qualifying purchase. */
    r.referee_points = policy->referee_points;
    r.referee_wallet = policy->referee_wallet;
    rc = reward(svc, txn, program, p->member_id, p->member_id, r.referee_points, r.referee_wallet,
                now_ms, key_id, r.referee_credit_id, arena, err);
    /* The referrer's: written to another member, whose row this locks. */
    if (rc == PT_OK) {
        rc = pt_store_member_get(txn, program->id, r.referrer_id, arena, &referrer, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_local_date(svc, txn, program, now_ms, today, err);
    }
    if (rc == PT_OK && policy->max_per_month > 0) {
        rc = pt_store_referrals_rewarded(txn, program->id, r.referrer_id, pt_tier_date_month(today),
                                         &rewarded, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (referrer.status != PT_MEMBER_ACTIVE) {
        r.note = "the referrer is no longer active: no reward for it";
    } else if (policy->max_per_month > 0 && rewarded >= policy->max_per_month) {
        r.note = "the referrer has had its most rewarded referrals this month";
    } else {
        r.status = "rewarded";
        r.rewarded_at_ms = now_ms;
        r.rewarded_month = pt_tier_date_month(today);
        r.referrer_points = policy->referrer_points;
        r.referrer_wallet = policy->referrer_wallet;
        rc = reward(svc, txn, program, r.referrer_id, p->member_id, r.referrer_points,
                    r.referrer_wallet, now_ms, key_id, r.referrer_credit_id, arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_referral_put(txn, program->id, &r, err);
    }
    return rc == PT_OK ? pt_svc_event(svc, txn, program->id, "referral.qualified", p->member_id,
                                      svc->enc.referral, &r, now_ms, arena, NULL, err)
                       : rc;
}

/* Takes one side's reward back (what it already spent is owed). */
static enum pt_rc take_back(struct pt_service *svc, struct pt_store_txn *txn,
                            const struct pt_program *program, const char *member_id,
                            const char *referee_id, int64_t points, int64_t money,
                            const char *credit_id, int64_t now_ms, const char *key_id,
                            struct pt_arena *arena, struct pt_err *err)
{
    int64_t owed = 0;
    enum pt_rc rc = PT_OK;
    if (points > 0) {
        rc = pt_svc_take_back_points(txn, program, member_id, "referral_return", referee_id, points,
                                     now_ms, key_id, &owed, arena, err);
    }
    if (rc == PT_OK && money > 0) {
        rc = pt_svc_wallet_take_back(svc, txn, program, member_id, "referral_return", referee_id,
                                     credit_id, money, now_ms, key_id, &owed, arena, err);
    }
    return rc;
}

enum pt_rc pt_svc_referral_return(struct pt_service *svc, struct pt_store_txn *txn,
                                  const struct pt_program *program, const struct pt_purchase *p,
                                  int64_t now_ms, const char *key_id, struct pt_arena *arena,
                                  struct pt_err *err)
{
    struct pt_referral r;
    enum pt_rc rc = pt_store_referral_get(txn, program->id, p->member_id, arena, &r, err);
    pt_assert(p->returned_amount == p->amount);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return PT_OK;
    }
    if (rc != PT_OK || strcmp(r.purchase_id, p->id) != 0 ||
        (strcmp(r.status, "qualified") != 0 && strcmp(r.status, "rewarded") != 0)) {
        return rc;
    }
    rc = take_back(svc, txn, program, p->member_id, p->member_id, r.referee_points,
                   r.referee_wallet, r.referee_credit_id, now_ms, key_id, arena, err);
    if (rc == PT_OK && strcmp(r.status, "rewarded") == 0) {
        /* The referrer's row is locked before it is written (another member). */
        struct pt_member referrer;
        rc = pt_store_member_get(txn, program->id, r.referrer_id, arena, &referrer, err);
        if (rc == PT_OK) {
            rc = take_back(svc, txn, program, r.referrer_id, p->member_id, r.referrer_points,
                           r.referrer_wallet, r.referrer_credit_id, now_ms, key_id, arena, err);
        }
    }
    r.status = "reversed";
    r.reversed_at_ms = now_ms;
    if (rc == PT_OK) {
        rc = pt_store_referral_put(txn, program->id, &r, err);
    }
    return rc == PT_OK ? pt_svc_event(svc, txn, program->id, "referral.reversed", p->member_id,
                                      svc->enc.referral, &r, now_ms, arena, NULL, err)
                       : rc;
}

enum pt_rc pt_service_member_referrals(struct pt_service *svc, const struct pt_principal *who,
                                       const char *member_id, const char *cursor_id, unsigned limit,
                                       struct pt_arena *arena, struct pt_referral_view *out,
                                       struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    struct pt_program program;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    memset(out, 0, sizeof(*out));
    out->now_ms = pt_svc_now_ms(svc, who->program_id);
    if (rc == PT_OK) {
        rc = pt_svc_member_load(txn, who->program_id, member_id, arena, &member, &program, err);
    }
    if (rc == PT_OK) {
        memcpy(out->member_id, member.id, sizeof(out->member_id));
        memcpy(out->referral_code, member.referral_code, sizeof(out->referral_code));
        out->within_days = program.referrals.enabled ? program.referrals.within_days : 0;
        rc = pt_store_referral_get(txn, who->program_id, member.id, arena, &out->referred_by, err);
        out->referred = rc == PT_OK;
        if (rc == PT_ENOTFOUND) {
            pt_err_clear(err);
            rc = PT_OK;
        }
    }
    if (rc == PT_OK) {
        rc = pt_store_referrals_of(txn, who->program_id, member.id, cursor_id, limit, arena,
                                   &out->data, &out->count, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}
