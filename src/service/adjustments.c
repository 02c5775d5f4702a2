/* SPDX-License-Identifier: MIT */
/*
 * Adjustments (POST /v1/members/{id}/adjustments): staff or an admin add or remove points by
 * hand, within the role's per-call limit (the program's adjust_limits).
 */
#include "service/service_int.h"

#include "base/assert.h"

#include <string.h>

struct adjust_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const char *member_id;
    int64_t points;
    const char *reason;
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_adjustment_result *out;
    int64_t now_ms;
};

/* Removes points for a negative adjustment: from available lots, and beyond them owed when the
 * program allows negative balances. OUT: *owed_now. */
static enum pt_rc adjust_take(struct pt_store_txn *txn, struct adjust_ctx *ctx,
                              const struct pt_program *program, int64_t points, int64_t *owed_now,
                              struct pt_err *err)
{
    int64_t avail = 0;
    int64_t take;
    enum pt_rc rc =
        pt_svc_spendable(txn, program, ctx->member_id, ctx->now_ms, ctx->arena, &avail, err);
    *owed_now = 0;
    if (rc != PT_OK) {
        return rc;
    }
    if (avail < points && !program->allow_negative_balance) {
        return pt_err_set(err, PT_EINSUFFICIENT, "points",
                          "not enough available points: %lld available, %lld asked",
                          (long long)avail, (long long)points);
    }
    take = avail < points ? avail : points;
    if (take > 0) {
        rc = pt_svc_take_from_lots(txn, program->id, ctx->member_id, take, ctx->now_ms, ctx->arena,
                                   NULL, NULL, NULL, NULL, err);
    }
    *owed_now = points - take;
    return rc;
}

static enum pt_rc adjust_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct adjust_ctx *ctx = arg;
    struct pt_adjustment_result *out = ctx->out;
    struct pt_member member;
    struct pt_program program;
    struct pt_account acct;
    struct pt_entry entry;
    struct pt_posting postings[2];
    int64_t owed_delta = 0;
    /* The member first, as for redemptions. */
    enum pt_rc rc = pt_store_member_lock(txn, ctx->who->program_id, ctx->member_id, err);
    if (rc == PT_OK) {
        rc = pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    }
    if (rc != PT_OK || ctx->idem->replayed) {
        return rc;
    }
    rc = pt_svc_member_load(txn, ctx->who->program_id, ctx->member_id, ctx->arena, &member,
                            &program, err);
    if (rc == PT_OK) {
        rc = pt_member_require_open(&member, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_account_get(txn, program.id, member.id, &acct, err);
    }
    if (rc == PT_OK) {
        rc = pt_ledger_adjust_check(&program, ctx->who->role, ctx->points, &acct, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_entry_init(&entry, member.id, "adjust", NULL, ctx->reason, ctx->who->key_id,
                      ctx->now_ms);
    if (ctx->points > 0) {
        struct pt_lot times = {0, ctx->now_ms, ctx->now_ms,
                               pt_ledger_lot_expiry(&program, ctx->now_ms)};
        int64_t repaid = 0;
        rc = pt_svc_credit_lot(txn, program.id, member.id, entry.id, entry.id, ctx->points,
                               acct.owed, &times, NULL, ctx->now_ms, &repaid, err);
        owed_delta = -repaid;
    } else {
        rc = adjust_take(txn, ctx, &program, -ctx->points, &owed_delta, err);
    }
    pt_posting_init(&postings[0], member.id, member.id, ctx->points);
    postings[0].owed_delta = owed_delta;
    pt_posting_init(&postings[1], PT_ACCOUNT_ADJUSTED, NULL, -ctx->points);
    if (rc == PT_OK) {
        rc = pt_svc_post(txn, program.id, &entry, postings, 2, err);
    }
    memcpy(out->id, entry.id, sizeof(out->id));
    memcpy(out->member_id, member.id, sizeof(out->member_id));
    memcpy(out->key_id, ctx->who->key_id, sizeof(out->key_id));
    out->points = ctx->points;
    out->reason = ctx->reason;
    out->created_at_ms = ctx->now_ms;
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, member.id, ctx->now_ms, ctx->arena, &out->balance, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, program.id, "points.adjusted", member.id,
                          ctx->svc->enc.adjustment, out, ctx->now_ms, ctx->arena, ctx->idem, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, program.id, ctx->idem, out, entry.id, ctx->now_ms, ctx->arena,
                                err);
    }
    return rc;
}

enum pt_rc pt_service_adjust(struct pt_service *svc, const struct pt_principal *who,
                             const char *member_id, int64_t points, const char *reason,
                             struct pt_idem *idem, struct pt_arena *arena,
                             struct pt_adjustment_result *out, struct pt_err *err)
{
    struct adjust_ctx ctx = {
        svc, who, member_id, points, reason, idem, arena, out, pt_svc_now_ms(svc, who->program_id)};
    enum pt_rc rc;
    pt_assert(idem != NULL);
    memset(out, 0, sizeof(*out));
    if (points == 0 || points > PT_POINTS_MAX || points < -PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "points", "points must be non-zero, at most %lld",
                          (long long)PT_POINTS_MAX);
    }
    rc = pt_validate_text("reason", reason ? reason : "", PT_REASON_BYTES_MAX, err);
    if (rc != PT_OK) {
        return rc;
    }
    return pt_store_write(svc->store, adjust_txn, &ctx, err);
}
