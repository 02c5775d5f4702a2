/* SPDX-License-Identifier: MIT */
/*
 * A member's export (GET /v1/members/{id}/export; issue 19, "download my data"): everything
 * held about the member, read in one read transaction so that its parts agree with each other
 * (the balance with the ledger, a purchase with its returns). Each part is read with the rows
 * left of PT_EXPORT_ROWS_MAX plus one: a member with more is refused with 422 limit_exceeded
 * rather than exported in part. Everything returned lives in the caller's arena.
 */
#include "service/service_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rows a part may read: those left, and one more to tell that there are more. */
static unsigned export_room(const struct pt_member_export *out)
{
    pt_assert(out->rows <= PT_EXPORT_ROWS_MAX);
    return PT_EXPORT_ROWS_MAX - out->rows + 1;
}

/* Counts n rows read; PT_ELIMIT past the bound. */
static enum pt_rc export_take(struct pt_member_export *out, unsigned n, struct pt_err *err)
{
    if (n > PT_EXPORT_ROWS_MAX - out->rows) {
        return pt_err_set(err, PT_ELIMIT, NULL,
                          "the member's data holds more than %d rows; read it through its "
                          "paged lists (ledger, coupons, referrals)",
                          PT_EXPORT_ROWS_MAX);
    }
    out->rows += n;
    return PT_OK;
}

/* The points: balance, tier with its history, the ledger. */
static enum pt_rc export_points(struct pt_service *svc, struct pt_store_txn *txn,
                                struct pt_arena *arena, struct pt_member_export *out,
                                struct pt_err *err)
{
    const char *member_id = out->member.id;
    enum pt_rc rc = pt_svc_balance(txn, &out->program, member_id, out->exported_at_ms, arena,
                                   &out->balance, err);
    out->has_tier = out->program.tiers.metric != PT_TIER_METRIC_NONE;
    if (rc == PT_OK && out->has_tier) {
        out->tier.program = out->program;
        rc = pt_svc_member_tier_read(svc, txn, &out->member, out->exported_at_ms, export_room(out),
                                     arena, &out->tier, err);
        if (rc == PT_OK) {
            rc = export_take(out, out->tier.history_count, err);
        }
    }
    if (rc == PT_OK) {
        rc = pt_store_ledger_list(txn, out->program.id, member_id, 0, export_room(out), arena,
                                  &out->ledger, &out->ledger_count, err);
    }
    return rc == PT_OK ? export_take(out, out->ledger_count, err) : rc;
}

static int purchase_by_id(const void *a, const void *b)
{
    return strcmp((*(const struct pt_purchase_row *const *)a)->id,
                  (*(const struct pt_purchase_row *const *)b)->id);
}

/* Gives each purchase its returns (rets, by purchase id). */
static enum pt_rc export_returns_attach(struct pt_member_export *out, struct pt_return_row *rets,
                                        unsigned ret_count, struct pt_arena *arena,
                                        struct pt_err *err)
{
    struct pt_purchase_row **by_id;
    unsigned i;
    unsigned j;
    if (ret_count == 0) {
        return PT_OK;
    }
    by_id = pt_arena_alloc(arena, (out->purchase_count ? out->purchase_count : 1) * sizeof(*by_id));
    if (by_id == NULL) {
        return pt_arena_err(arena, err);
    }
    for (i = 0; i < out->purchase_count; i++) {
        by_id[i] = &out->purchases[i];
    }
    qsort(by_id, out->purchase_count, sizeof(*by_id), purchase_by_id);
    for (i = 0; i < ret_count; i = j) {
        struct pt_purchase_row key;
        struct pt_purchase_row *kp = &key;
        struct pt_purchase_row **found;
        for (j = i; j < ret_count && strcmp(rets[j].purchase_id, rets[i].purchase_id) == 0; j++) {
        }
        memcpy(key.id, rets[i].purchase_id, sizeof(key.id));
        found = bsearch(&kp, by_id, out->purchase_count, sizeof(*by_id), purchase_by_id);
        /* A return is of a purchase of its member: every one was read (the rows are within
         * the bound, or the export stopped before). */
        if (PT_NEVER(found == NULL)) {
            return pt_err_set(err, PT_EINTERNAL, NULL, "return %s of no purchase", rets[i].id);
        }
        (*found)->returns = &rets[i];
        (*found)->return_count = j - i;
    }
    return PT_OK;
}

/* The purchases with their items and returns. */
static enum pt_rc export_purchases(struct pt_store_txn *txn, struct pt_arena *arena,
                                   struct pt_member_export *out, struct pt_err *err)
{
    struct pt_return_row *rets = NULL;
    unsigned ret_count = 0;
    unsigned rows = 0;
    enum pt_rc rc =
        pt_store_export_purchases(txn, out->program.id, out->member.id, export_room(out), arena,
                                  &out->purchases, &out->purchase_count, &rows, err);
    if (rc == PT_OK) {
        rc = export_take(out, rows, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_member_returns(txn, out->program.id, out->member.id, export_room(out), arena,
                                     &rets, &ret_count, err);
    }
    if (rc == PT_OK) {
        rc = export_take(out, ret_count, err);
    }
    return rc == PT_OK ? export_returns_attach(out, rets, ret_count, arena, err) : rc;
}

/* What its points bought and what it was given: redemptions, coupons, stamp cards. */
static enum pt_rc export_rewards(struct pt_store_txn *txn, struct pt_arena *arena,
                                 struct pt_member_export *out, struct pt_err *err)
{
    const char *program_id = out->program.id;
    const char *member_id = out->member.id;
    enum pt_rc rc = pt_store_member_redemptions(txn, program_id, member_id, export_room(out), arena,
                                                &out->redemptions, &out->redemption_count, err);
    if (rc == PT_OK) {
        rc = export_take(out, out->redemption_count, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_member_coupons(txn, program_id, member_id, NULL, NULL, export_room(out),
                                     arena, &out->coupons, &out->coupon_count, err);
    }
    if (rc == PT_OK) {
        rc = export_take(out, out->coupon_count, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_member_stamp_instances(txn, program_id, member_id, export_room(out), arena,
                                             &out->stamp_cards, &out->stamp_card_count, err);
    }
    return rc == PT_OK ? export_take(out, out->stamp_card_count, err) : rc;
}

/* The wallet with every line, the referrals, the activities, the survey responses. */
static enum pt_rc export_rest(struct pt_store_txn *txn, struct pt_arena *arena,
                              struct pt_member_export *out, struct pt_err *err)
{
    const char *program_id = out->program.id;
    const char *member_id = out->member.id;
    struct pt_referral_view *ref = &out->referrals;
    enum pt_rc rc = pt_svc_wallet_read(txn, &out->program, member_id, out->exported_at_ms, arena,
                                       export_room(out), &out->wallet, err);
    if (rc == PT_OK) {
        rc = export_take(out, out->wallet.line_count, err);
    }
    memcpy(ref->member_id, member_id, sizeof(ref->member_id));
    memcpy(ref->referral_code, out->member.referral_code, sizeof(ref->referral_code));
    ref->now_ms = out->exported_at_ms;
    ref->within_days = out->program.referrals.enabled ? out->program.referrals.within_days : 0;
    if (rc == PT_OK) {
        rc = pt_store_referral_get(txn, program_id, member_id, arena, &ref->referred_by, err);
        ref->referred = rc == PT_OK;
        if (rc == PT_ENOTFOUND) {
            pt_err_clear(err);
            rc = PT_OK;
        }
    }
    if (rc == PT_OK) {
        rc = pt_store_referrals_of(txn, program_id, member_id, NULL, export_room(out), arena,
                                   &ref->data, &ref->count, err);
    }
    if (rc == PT_OK) {
        rc = export_take(out, ref->count, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_member_activities(txn, program_id, member_id, export_room(out), arena,
                                        &out->activities, &out->activity_count, err);
    }
    if (rc == PT_OK) {
        rc = export_take(out, out->activity_count, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_member_survey_responses(txn, program_id, member_id, export_room(out), arena,
                                              &out->survey_responses, &out->survey_response_count,
                                              err);
    }
    return rc == PT_OK ? export_take(out, out->survey_response_count, err) : rc;
}

enum pt_rc pt_service_member_export(struct pt_service *svc, const struct pt_principal *who,
                                    const char *member_id, struct pt_arena *arena,
                                    struct pt_member_export *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    out->exported_at_ms = pt_svc_now_ms(svc, who->program_id);
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_svc_member_load(txn, who->program_id, member_id, arena, &out->member, &out->program,
                            err);
    if (rc == PT_OK) {
        rc = export_points(svc, txn, arena, out, err);
    }
    if (rc == PT_OK) {
        rc = export_purchases(txn, arena, out, err);
    }
    if (rc == PT_OK) {
        rc = export_rewards(txn, arena, out, err);
    }
    if (rc == PT_OK) {
        rc = export_rest(txn, arena, out, err);
    }
    pt_assert(rc != PT_OK || out->rows <= PT_EXPORT_ROWS_MAX);
    if (rc == PT_ELIMIT) {
        (void)pt_err_code(err, "limit_exceeded");
    }
    return pt_svc_read_end(txn, arena, rc, err);
}
