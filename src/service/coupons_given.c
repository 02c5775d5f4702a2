/* SPDX-License-Identifier: MIT */
/*
 * Coupons given away (docs/rewards.md, "Coupons given by rules and stamp cards"): a rule's
 * issue_coupon and a stamp card whose reward is of the catalog give the member a coupon of a
 * reward for a later purchase, in the write of what fired them (a purchase, an activity, an
 * enrollment, a birthday). The coupon costs no points (it has no redemption), is the member's,
 * expires after the reward's coupon_valid_days and takes a unit of its stock; the reward's
 * tiers and per-member limit do not apply (the rule or the card decides who gets it). A reward
 * that is not active now, or out of stock, gives none and says why; what fired it still
 * succeeds. A return that undoes what gave a coupon takes the coupon back: an unused one is
 * cancelled (its unit back to stock), a used one stays and the return says so.
 */
#include "service/service_int.h"

#include "base/clock.h"
#include "base/random.h"
#include "core/coupon_code.h"

#include <stdio.h>
#include <string.h>

enum pt_rc pt_svc_coupon_draw(struct pt_store_txn *txn, const char *program_id, struct pt_coupon *c,
                              struct pt_err *err)
{
    unsigned draw;
    /* 60 random bits: a taken code is rare but possible; draw again, a bounded number of
     * times. */
    for (draw = 0; draw < PT_UNIQUE_DRAWS_MAX; draw++) {
        uint8_t random8[8];
        bool claimed = false;
        enum pt_rc rc;
        pt_random_bytes(random8, sizeof(random8));
        pt_coupon_code_make(random8, "", c->code, sizeof(c->code));
        rc = pt_store_coupon_insert(txn, program_id, c, &claimed, err);
        if (rc != PT_OK || claimed) {
            return rc;
        }
    }
    return pt_err_set(err, PT_EINTERNAL, NULL, "no free coupon code after %d draws",
                      PT_UNIQUE_DRAWS_MAX);
}

/* Why reward r gives no coupon at now_ms (NULL: it gives one, but for its stock, taken in one
 * statement after): not active or outside its validity, or a partner voucher's empty pool. */
static enum pt_rc gift_refused(struct pt_store_txn *txn, const char *program_id,
                               const struct pt_reward *r, int64_t now_ms, const char **why,
                               struct pt_err *err)
{
    int64_t total = 0;
    int64_t free_codes = 0;
    enum pt_rc rc = PT_OK;
    *why = NULL;
    if (r->status != PT_REWARD_ACTIVE || now_ms < r->valid_from_ms || now_ms >= r->valid_to_ms) {
        *why = "reward_inactive";
    } else if (r->type == PT_REWARD_PARTNER_VOUCHER) {
        rc = pt_store_vouchers_count(txn, program_id, r->id, &total, &free_codes, err);
        *why = rc == PT_OK && free_codes == 0 ? "out_of_stock" : NULL;
    }
    return rc;
}

enum pt_rc pt_svc_coupon_givable(struct pt_store_txn *txn, const struct pt_program *program,
                                 const char *reward_id, int64_t now_ms, struct pt_arena *arena,
                                 bool *givable, struct pt_err *err)
{
    struct pt_reward r;
    const char *why = NULL;
    enum pt_rc rc = pt_store_reward_get(txn, program->id, reward_id, arena, &r, err);
    *givable = false;
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return PT_OK; /* Checked when the rule was saved; gone since: it gives none. */
    }
    if (rc == PT_OK) {
        rc = gift_refused(txn, program->id, &r, now_ms, &why, err);
    }
    *givable = rc == PT_OK && why == NULL && (!r.has_stock || r.issued < r.stock);
    return rc;
}

/* Issues the coupon of view v (its reward and coupon set), with a partner code for a partner
 * voucher, and sends coupon.issued. */
static enum pt_rc gift_issue(struct pt_service *svc, struct pt_store_txn *txn,
                             const char *program_id, struct pt_coupon_view *v, int64_t now_ms,
                             struct pt_arena *arena, struct pt_err *err)
{
    enum pt_rc rc = pt_svc_coupon_draw(txn, program_id, &v->coupon, err);
    if (rc == PT_OK && v->reward.type == PT_REWARD_PARTNER_VOUCHER) {
        rc = pt_store_voucher_draw(txn, program_id, v->reward.id, v->coupon.code, arena,
                                   &v->coupon.partner_code, err);
        if (rc == PT_ENOTFOUND) {
            /* Another node drew the last code since the count: try the write again. */
            return pt_err_set(err, PT_EBUSY, NULL, "the partner codes changed meanwhile, retry");
        }
        if (rc == PT_OK) {
            rc = pt_store_coupon_partner_code(txn, program_id, v->coupon.code,
                                              v->coupon.partner_code, err);
        }
    }
    if (rc == PT_OK) {
        rc = pt_store_member_get(txn, program_id, v->coupon.member_id, arena, &v->member, err);
    }
    v->valid = true;
    return rc == PT_OK ? pt_svc_event(svc, txn, program_id, "coupon.issued", v->coupon.member_id,
                                      svc->enc.coupon, v, now_ms, arena, NULL, err)
                       : rc;
}

enum pt_rc pt_svc_coupon_give(struct pt_service *svc, struct pt_store_txn *txn,
                              const struct pt_program *program, const char *member_id,
                              const char *reward_id, const struct pt_issued_coupon *from,
                              const char *source_ref, int64_t now_ms, struct pt_arena *arena,
                              struct pt_issued_coupons *list, struct pt_err *err)
{
    struct pt_issued_coupon *one = pt_issued_coupon_add(list, arena);
    struct pt_coupon_view v;
    bool taken = false;
    const char *why = NULL;
    enum pt_rc rc;
    if (one == NULL) {
        return pt_arena_err(arena, err);
    }
    one->source = from->source;
    memcpy(one->source_id, from->source_id, sizeof(one->source_id));
    (void)snprintf(one->reward_id, sizeof(one->reward_id), "%s", reward_id);
    memset(&v, 0, sizeof(v));
    rc = pt_store_reward_get(txn, program->id, reward_id, arena, &v.reward, err);
    if (rc == PT_ENOTFOUND) {
        /* Rewards are archived, never deleted: a reference saved before cannot dangle. */
        pt_err_clear(err);
        one->reason = "reward_inactive";
        return PT_OK;
    }
    if (rc == PT_OK) {
        rc = gift_refused(txn, program->id, &v.reward, now_ms, &why, err);
    }
    if (rc == PT_OK && why == NULL) {
        /* Stock in one statement, as a redemption takes it. */
        rc = pt_store_reward_take(txn, program->id, reward_id, &taken, err);
        why = taken ? NULL : "out_of_stock";
    }
    if (rc != PT_OK || why != NULL) {
        one->reason = why;
        return rc;
    }
    (void)snprintf(v.coupon.member_id, sizeof(v.coupon.member_id), "%s", member_id);
    memcpy(v.coupon.reward_id, v.reward.id, sizeof(v.coupon.reward_id));
    v.coupon.status = "active";
    v.coupon.issued_at_ms = now_ms;
    v.coupon.expires_at_ms = now_ms + v.reward.coupon_valid_days * PT_DAY_MS;
    v.coupon.source = from->source;
    memcpy(v.coupon.source_id, from->source_id, sizeof(v.coupon.source_id));
    (void)snprintf(v.coupon.source_ref, sizeof(v.coupon.source_ref), "%s",
                   source_ref != NULL ? source_ref : "");
    v.reward.issued++;
    rc = gift_issue(svc, txn, program->id, &v, now_ms, arena, err);
    memcpy(one->code, v.coupon.code, sizeof(one->code));
    one->expires_at_ms = v.coupon.expires_at_ms;
    return rc;
}

enum pt_rc pt_svc_coupons_give_rules(struct pt_service *svc, struct pt_store_txn *txn,
                                     const struct pt_program *program, const char *member_id,
                                     struct pt_cart_answer *answer, const char *source_ref,
                                     int64_t now_ms, struct pt_arena *arena, struct pt_err *err)
{
    unsigned i;
    enum pt_rc rc = PT_OK;
    for (i = 0; rc == PT_OK && i < answer->rule_count; i++) {
        const struct pt_rule_applied *a = &answer->rules[i];
        struct pt_issued_coupon from;
        if (a->coupon_reward[0] == '\0') {
            continue;
        }
        memset(&from, 0, sizeof(from));
        from.source = PT_COUPON_FROM_RULE;
        memcpy(from.source_id, a->rule_id, sizeof(from.source_id));
        rc = pt_svc_coupon_give(svc, txn, program, member_id, a->coupon_reward, &from, source_ref,
                                now_ms, arena, &answer->issued, err);
    }
    return rc;
}

enum pt_rc pt_svc_coupon_take_back(struct pt_service *svc, struct pt_store_txn *txn,
                                   const struct pt_program *program, const char *code,
                                   const char *reason, int64_t now_ms, struct pt_arena *arena,
                                   struct pt_issued_coupons *list, struct pt_err *err)
{
    struct pt_coupon_view v;
    struct pt_issued_coupon *one;
    bool moved = false;
    enum pt_rc rc;
    memset(&v, 0, sizeof(v));
    rc = pt_store_coupon_get(txn, program->id, code, arena, &v.coupon, err);
    if (rc != PT_OK) {
        return rc;
    }
    /* A used coupon stays used: the return says so. One cancelled, or expired (by the clock
     * before the job writes it), has nothing left to take. */
    if (strcmp(v.coupon.status, "redeemed") != 0 &&
        (strcmp(v.coupon.status, "active") != 0 || v.coupon.expires_at_ms <= now_ms)) {
        return PT_OK;
    }
    one = pt_issued_coupon_add(list, arena);
    if (one == NULL) {
        return pt_arena_err(arena, err);
    }
    one->source = v.coupon.source;
    memcpy(one->source_id, v.coupon.source_id, sizeof(one->source_id));
    memcpy(one->reward_id, v.coupon.reward_id, sizeof(one->reward_id));
    memcpy(one->code, v.coupon.code, sizeof(one->code));
    one->expires_at_ms = v.coupon.expires_at_ms;
    /* A partner voucher whose code was shown could still be used at the partner: as a used
     * one, it stays (the till's cancel refuses it too, partner_voucher_shown). */
    one->status = strcmp(v.coupon.status, "redeemed") == 0 || v.coupon.partner_code != NULL
                      ? "redeemed"
                      : "cancelled";
    if (strcmp(one->status, "redeemed") == 0) {
        return PT_OK;
    }
    v.coupon.status = "cancelled";
    v.coupon.cancelled_at_ms = now_ms;
    v.coupon.cancel_reason = reason;
    rc = pt_store_coupon_move(txn, program->id, &v.coupon, "active", &moved, err);
    if (rc == PT_OK && !moved) {
        return pt_err_set(err, PT_EBUSY, NULL, "the coupon changed meanwhile: try again");
    }
    if (rc == PT_OK) {
        rc = pt_store_reward_give_back(txn, program->id, v.coupon.reward_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_reward_get(txn, program->id, v.coupon.reward_id, arena, &v.reward, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_member_get(txn, program->id, v.coupon.member_id, arena, &v.member, err);
    }
    v.reason = "coupon_cancelled";
    return rc == PT_OK ? pt_svc_event(svc, txn, program->id, "coupon.cancelled", v.coupon.member_id,
                                      svc->enc.coupon, &v, now_ms, arena, NULL, err)
                       : rc;
}

enum pt_rc pt_svc_coupons_kept(const struct pt_rule *const *rules, const struct pt_eval_result *res,
                               struct pt_arena *arena, struct pt_cart_answer *out,
                               struct pt_err *err)
{
    unsigned i;
    out->rules =
        pt_arena_alloc(arena, (res->outcome_count ? res->outcome_count : 1) * sizeof(*out->rules));
    if (out->rules == NULL) {
        return pt_arena_err(arena, err); /* Filled below. */
    }
    for (i = 0; i < res->outcome_count; i++) {
        const struct pt_rule_outcome *o = &res->outcomes[i];
        struct pt_rule_applied *a;
        if (o->coupon_reward == NULL) {
            continue;
        }
        a = &out->rules[out->rule_count++];
        memset(a, 0, sizeof(*a));
        memcpy(a->rule_id, rules[o->rule]->id, sizeof(a->rule_id));
        (void)snprintf(a->coupon_reward, sizeof(a->coupon_reward), "%s", o->coupon_reward);
    }
    return PT_OK;
}

/* Whether kept (a re-evaluation of what a return keeps) still has rule_id give a coupon. */
static bool still_given(const struct pt_cart_answer *kept, const char *rule_id)
{
    unsigned i;
    for (i = 0; i < kept->rule_count; i++) {
        if (strcmp(kept->rules[i].rule_id, rule_id) == 0 && kept->rules[i].coupon_reward[0]) {
            return true;
        }
    }
    return false;
}

/* The coupons one purchase's rules may have given: as many as rules fire on a cart. */
#define PURCHASE_COUPONS_MAX (PT_RULES_PER_PROGRAM_MAX + 1)

enum pt_rc pt_svc_coupons_return(struct pt_service *svc, struct pt_store_txn *txn,
                                 const struct pt_program *program, const struct pt_purchase *p,
                                 const struct pt_cart_answer *kept, struct pt_return *r,
                                 int64_t now_ms, struct pt_arena *arena, struct pt_err *err)
{
    struct pt_coupon *coupons = NULL;
    unsigned count = 0;
    unsigned i;
    char reason[PT_ID_BUF_BYTES + 32];
    enum pt_rc rc;
    if (!p->facts.stored) {
        return PT_OK; /* No rule fired on it: it gave no coupon. */
    }
    rc = pt_store_coupons_of_source(txn, program->id, p->member_id, p->id, PT_COUPON_FROM_RULE,
                                    PURCHASE_COUPONS_MAX, arena, &coupons, &count, err);
    (void)snprintf(reason, sizeof(reason), "return %s", r->id);
    for (i = 0; rc == PT_OK && i < count; i++) {
        /* A full return takes every one back; a return re-evaluated on what is kept, those
         * whose rule the kept cart no longer fires; a purchase with items returned by amount
         * cannot say which lines are kept, and keeps them until all is returned. */
        bool full = p->returned_amount == p->amount;
        if (full || (kept != NULL && !still_given(kept, coupons[i].source_id))) {
            rc = pt_svc_coupon_take_back(svc, txn, program, coupons[i].code, reason, now_ms, arena,
                                         &r->coupons_back, err);
        }
    }
    return rc;
}

enum pt_rc pt_svc_reward_of_gift(struct pt_store_txn *txn, const char *program_id,
                                 const char *reward_id, const char *field, struct pt_err *err)
{
    struct pt_arena scratch;
    struct pt_reward reward;
    enum pt_rc rc;
    pt_arena_init(&scratch, 64 * 1024);
    rc = pt_store_reward_get(txn, program_id, reward_id, &scratch, &reward, err);
    if (rc == PT_OK && reward.status == PT_REWARD_ARCHIVED) {
        (void)pt_err_set(err, PT_ELIMIT, field, "the reward %s is archived: it gives no coupon",
                         reward_id);
        rc = pt_err_code(err, "reward_inactive");
    }
    pt_arena_fini(&scratch);
    if (rc == PT_ENOTFOUND) {
        (void)pt_err_set(err, PT_ELIMIT, field, "no reward %s in the program", reward_id);
        return pt_err_code(err, "reward_not_found");
    }
    return rc;
}

enum pt_rc pt_svc_rule_rewards_exist(struct pt_store_txn *txn, const char *program_id,
                                     const struct pt_rule *rule, struct pt_err *err)
{
    unsigned i;
    enum pt_rc rc = PT_OK;
    for (i = 0; rc == PT_OK && i < rule->effect_count; i++) {
        char field[32];
        if (rule->effects[i].type != PT_EFFECT_ISSUE_COUPON) {
            continue;
        }
        (void)snprintf(field, sizeof(field), "effects.%u.reward", i);
        rc = pt_svc_reward_of_gift(txn, program_id, rule->effects[i].reward, field, err);
    }
    return rc;
}
