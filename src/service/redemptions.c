/* SPDX-License-Identifier: MIT */
/*
 * Redemptions: spending a member's available points (soonest-expiring lots first), and
 * cancelling a redemption, which puts the points back into the lots they came from (expired
 * ones to the expired account).
 */
#include "service/service_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

struct redeem_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const char *member_id;
    int64_t points;
    const char *reason;
    const char *redemption_id; /* cancel only */
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_redemption_result *out;
    int64_t now_ms;
};

enum pt_rc pt_svc_redeem_points(struct pt_store_txn *txn, const struct pt_program *program,
                                const char *member_id, int64_t points, const char *reason,
                                const char *key_id, int64_t now_ms, struct pt_arena *arena,
                                struct pt_redemption *r, struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[2];
    int64_t avail = 0;
    enum pt_rc rc = pt_svc_spendable(txn, program, member_id, now_ms, arena, &avail, err);
    if (rc == PT_OK && avail < points) {
        rc = pt_err_set(err, PT_EINSUFFICIENT, "points",
                        "not enough available points: %lld available, %lld asked", (long long)avail,
                        (long long)points);
    }
    if (rc != PT_OK) {
        return rc;
    }
    memset(r, 0, sizeof(*r));
    pt_svc_new_id("red", now_ms, r->id);
    (void)snprintf(r->member_id, sizeof(r->member_id), "%s", member_id);
    r->points = points;
    r->reason = reason;
    r->created_at_ms = now_ms;
    pt_svc_entry_init(&entry, member_id, "redeem", r->id, reason, key_id, now_ms);
    memcpy(r->entry_id, entry.id, sizeof(r->entry_id));
    rc = pt_store_redemption_insert(txn, program->id, r, err);
    if (rc == PT_OK) {
        rc = pt_svc_take_from_lots(txn, program->id, member_id, points, now_ms, arena, r->id, NULL,
                                   NULL, NULL, err);
    }
    pt_posting_init(&postings[0], member_id, member_id, -points);
    postings[0].redeemed_delta = points;
    pt_posting_init(&postings[1], PT_ACCOUNT_REDEEMED, NULL, points);
    return rc == PT_OK ? pt_svc_post(txn, program->id, &entry, postings, 2, err) : rc;
}

static enum pt_rc redeem_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct redeem_ctx *ctx = arg;
    struct pt_redemption *r = &ctx->out->redemption;
    struct pt_member member;
    struct pt_program program;
    /* The member first: of two nodes given one request at once, the second waits here and
     * then finds the first's idempotency record. */
    enum pt_rc rc = pt_store_member_lock(txn, ctx->who->program_id, ctx->member_id, err);
    if (rc == PT_OK) {
        rc = pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    }
    if (rc != PT_OK || (ctx->idem != NULL && ctx->idem->replayed)) {
        return rc;
    }
    rc = pt_svc_member_load(txn, ctx->who->program_id, ctx->member_id, ctx->arena, &member,
                            &program, err);
    if (rc == PT_OK) {
        rc = pt_member_require_active(&member, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_redeem_points(txn, &program, member.id, ctx->points, ctx->reason,
                                  ctx->who->key_id, ctx->now_ms, ctx->arena, r, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, member.id, ctx->now_ms, ctx->arena, &ctx->out->balance,
                            err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, program.id, "points.redeemed", member.id,
                          ctx->svc->enc.redemption, ctx->out, ctx->now_ms, ctx->arena, ctx->idem,
                          err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, program.id, ctx->idem, ctx->out, r->id, ctx->now_ms,
                                ctx->arena, err);
    }
    return rc;
}

enum pt_rc pt_service_redeem(struct pt_service *svc, const struct pt_principal *who,
                             const char *member_id, int64_t points, const char *reason,
                             struct pt_idem *idem, struct pt_arena *arena,
                             struct pt_redemption_result *out, struct pt_err *err)
{
    struct redeem_ctx ctx = {svc,  who,  member_id, points, reason,
                             NULL, idem, arena,     out,    pt_svc_now_ms(svc, who->program_id)};
    enum pt_rc rc = PT_OK;
    memset(out, 0, sizeof(*out));
    if (points <= 0 || points > PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "points", "points must be 1 to %lld",
                          (long long)PT_POINTS_MAX);
    }
    rc = pt_validate_text("reason", reason ? reason : "", PT_REASON_BYTES_MAX, err);
    if (rc != PT_OK) {
        return rc;
    }
    return pt_store_write(svc->store, redeem_txn, &ctx, err);
}

/* Puts a cancelled redemption's points back: live lots get them again, expired ones send
 * them to the expired account. OUT: *live and *expired. */
static enum pt_rc cancel_restore(struct pt_store_txn *txn, const char *program_id,
                                 const struct pt_redemption *r, int64_t now_ms,
                                 struct pt_arena *arena, int64_t *live, int64_t *expired,
                                 struct pt_err *err)
{
    struct pt_lot_share *shares = NULL;
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc =
        pt_store_redemption_lots(txn, program_id, r->member_id, r->id, arena, &shares, &count, err);
    *live = 0;
    *expired = 0;
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_lot_row lot;
        rc = pt_store_lot_get(txn, program_id, r->member_id, shares[i].lot_id, &lot, err);
        if (rc != PT_OK) {
            break;
        }
        if (lot.lot.expires_at_ms <= now_ms) {
            *expired += shares[i].points;
            continue;
        }
        *live += shares[i].points;
        rc = pt_store_lot_move(txn, program_id, r->member_id, shares[i].lot_id, shares[i].points,
                               err);
    }
    pt_assert(rc != PT_OK || *live + *expired == r->points);
    return rc;
}

enum pt_rc pt_svc_redemption_undo(struct pt_store_txn *txn, const struct pt_program *program,
                                  struct pt_redemption *r, const char *key_id, int64_t now_ms,
                                  struct pt_arena *arena, struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[3];
    size_t n = 0;
    int64_t live = 0;
    int64_t expired = 0;
    enum pt_rc rc = cancel_restore(txn, program->id, r, now_ms, arena, &live, &expired, err);
    pt_assert(!r->cancelled);
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_entry_init(&entry, r->member_id, "redeem_cancel", r->id, NULL, key_id, now_ms);
    pt_posting_init(&postings[n++], PT_ACCOUNT_REDEEMED, NULL, -r->points);
    if (live > 0) {
        pt_posting_init(&postings[n++], r->member_id, r->member_id, live);
    }
    if (expired > 0) {
        pt_posting_init(&postings[n++], PT_ACCOUNT_EXPIRED, NULL, expired);
    }
    r->cancelled = true;
    r->cancelled_at_ms = now_ms;
    memcpy(r->cancel_entry_id, entry.id, sizeof(r->cancel_entry_id));
    rc = pt_svc_post(txn, program->id, &entry, postings, n, err);
    if (rc == PT_OK) {
        /* The member's counters move even when nothing came back (all of it had expired). */
        struct pt_posting counters;
        pt_posting_init(&counters, r->member_id, r->member_id, 0);
        counters.redeemed_delta = -r->points;
        counters.expired_delta = expired;
        rc = pt_store_account_counters(txn, program->id, &counters, err);
    }
    return rc == PT_OK ? pt_store_redemption_cancel(txn, program->id, r, err) : rc;
}

static enum pt_rc cancel_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct redeem_ctx *ctx = arg;
    struct pt_redemption *r = &ctx->out->redemption;
    struct pt_program program;
    enum pt_rc rc =
        pt_store_redemption_get(txn, ctx->who->program_id, ctx->redemption_id, ctx->arena, r, err);
    if (rc == PT_OK) {
        rc = pt_store_member_lock(txn, ctx->who->program_id, r->member_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_member_open(txn, ctx->who->program_id, r->member_id, ctx->arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, ctx->who->program_id, ctx->arena, &program, err);
    }
    if (rc != PT_OK || r->cancelled) {
        /* Cancelling twice changes nothing: answer the current state. */
        return rc == PT_OK ? pt_svc_balance(txn, &program, r->member_id, ctx->now_ms, ctx->arena,
                                            &ctx->out->balance, err)
                           : rc;
    }
    {
        /* A redemption that paid for a coupon is undone by cancelling the coupon, which also
         * returns its unit of stock and stops the code. */
        char code[PT_ID_BUF_BYTES];
        rc = pt_store_coupon_of_redemption(txn, program.id, r->member_id, r->id, code, err);
        if (rc == PT_OK) {
            (void)pt_err_set(err, PT_ECONFLICT, NULL,
                             "this redemption paid for a coupon: cancel the coupon instead");
            return pt_err_code(err, "coupon_redemption");
        }
        if (rc != PT_ENOTFOUND) {
            return rc;
        }
        pt_err_clear(err);
    }
    rc = pt_svc_redemption_undo(txn, &program, r, ctx->who->key_id, ctx->now_ms, ctx->arena, err);
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, r->member_id, ctx->now_ms, ctx->arena,
                            &ctx->out->balance, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, program.id, "points.redemption_cancelled", r->member_id,
                          ctx->svc->enc.redemption, ctx->out, ctx->now_ms, ctx->arena, NULL, err);
    }
    return rc;
}

enum pt_rc pt_service_redemption_cancel(struct pt_service *svc, const struct pt_principal *who,
                                        const char *redemption_id, struct pt_arena *arena,
                                        struct pt_redemption_result *out, struct pt_err *err)
{
    struct redeem_ctx ctx = {svc,           who,  NULL,  0,   NULL,
                             redemption_id, NULL, arena, out, pt_svc_now_ms(svc, who->program_id)};
    memset(out, 0, sizeof(*out));
    return pt_store_write(svc->store, cancel_txn, &ctx, err);
}
