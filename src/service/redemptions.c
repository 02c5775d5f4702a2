/* SPDX-License-Identifier: MIT */
/*
 * Redemptions: spending a member's available points (soonest-expiring lots first), and
 * cancelling a redemption, which puts the points back into the lots they came from (expired
 * ones to the expired account).
 */
#include "service/service_int.h"

#include "base/assert.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct redeem_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    int64_t points;
    const char *reason;        /* The redemption's, or the cancel's; nullable */
    const char *redemption_id; /* cancel only */
    struct pt_redemption_result *out;
};

enum pt_rc pt_svc_spend_points(struct pt_store_txn *txn, const struct pt_program *program,
                               const char *member_id, const char *entry_type, const char *ref_id,
                               const char *redemption_id, int64_t points, const char *reason,
                               const char *key_id, int64_t now_ms, struct pt_arena *arena,
                               const char *entry_id, struct pt_err *err)
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
    pt_svc_entry_init(&entry, member_id, entry_type, ref_id, reason, key_id, now_ms);
    (void)snprintf(entry.id, sizeof(entry.id), "%s", entry_id);
    rc = pt_svc_take_from_lots(txn, program->id, member_id, points, now_ms, arena, redemption_id,
                               NULL, NULL, NULL, err);
    pt_posting_init(&postings[0], member_id, member_id, -points);
    postings[0].redeemed_delta = points;
    pt_posting_init(&postings[1], PT_ACCOUNT_REDEEMED, NULL, points);
    return rc == PT_OK ? pt_svc_post(txn, program->id, &entry, postings, 2, err) : rc;
}

enum pt_rc pt_svc_redeem_points(struct pt_store_txn *txn, const struct pt_program *program,
                                const char *member_id, int64_t points, const char *reason,
                                const char *key_id, int64_t now_ms, struct pt_arena *arena,
                                struct pt_redemption *r, struct pt_err *err)
{
    enum pt_rc rc;
    memset(r, 0, sizeof(*r));
    pt_svc_new_id("red", now_ms, r->id);
    (void)snprintf(r->member_id, sizeof(r->member_id), "%s", member_id);
    r->points = points;
    r->reason = reason;
    r->created_at_ms = now_ms;
    /* The row first, with its entry's id: the takes from the lots name it. */
    pt_svc_new_id("ent", now_ms, r->entry_id);
    rc = pt_store_redemption_insert(txn, program->id, r, err);
    if (rc == PT_OK) {
        rc = pt_svc_spend_points(txn, program, member_id, "redeem", r->id, r->id, points, reason,
                                 key_id, now_ms, arena, r->entry_id, err);
    }
    return rc;
}

static enum pt_rc redeem_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct redeem_ctx *ctx = (struct redeem_ctx *)w;
    struct pt_redemption *r = &ctx->out->redemption;
    enum pt_rc rc = pt_svc_redeem_points(w->txn, &w->program, w->member.id, ctx->points,
                                         ctx->reason, w->who->key_id, w->now_ms, w->arena, r, err);
    if (rc == PT_OK) {
        rc = pt_svc_balance(w->txn, &w->program, w->member.id, w->now_ms, w->arena,
                            &ctx->out->balance, err);
    }
    w->result = ctx->out;
    w->ref_id = r->id;
    return rc;
}

/* The member first: of two nodes given one request at once, the second waits there and then
 * finds the first's idempotency record. */
static const struct pt_write_case redeem_case = {
    .name = "redeem",
    .lock_member = true,
    .member = PT_WRITE_MEMBER_ACTIVE,
    .event = "points.redeemed",
    .encoder = offsetof(struct pt_encoders, redemption),
    .body = redeem_body,
};

enum pt_rc pt_service_redeem(struct pt_service *svc, const struct pt_principal *who,
                             const char *member_id, int64_t points, const char *reason,
                             struct pt_idem *idem, struct pt_arena *arena,
                             struct pt_redemption_result *out, struct pt_err *err)
{
    struct redeem_ctx ctx = {.points = points, .reason = reason, .out = out};
    enum pt_rc rc = PT_OK;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    ctx.w.member_id = member_id;
    memset(out, 0, sizeof(*out));
    if (points <= 0 || points > PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "points", "points must be 1 to %lld",
                          (long long)PT_POINTS_MAX);
    }
    rc = pt_validate_text("reason", reason ? reason : "", PT_REASON_BYTES_MAX, err);
    if (rc != PT_OK) {
        return rc;
    }
    return pt_svc_write(&ctx.w, &redeem_case, err);
}

enum pt_rc pt_svc_cancel_reason_check(const char *reason, struct pt_err *err)
{
    return reason == NULL ? PT_OK : pt_validate_text("reason", reason, PT_REASON_BYTES_MAX, err);
}

/* Puts `points` of the takes recorded under takes_id back, in the order they were taken, each
 * take at most what it took less what was put back before: live lots get them again, expired
 * ones send them to the expired account. OUT: *live and *expired. */
static enum pt_rc takes_restore(struct pt_store_txn *txn, const char *program_id,
                                const char *member_id, const char *takes_id, int64_t points,
                                int64_t now_ms, struct pt_arena *arena, int64_t *live,
                                int64_t *expired, struct pt_err *err)
{
    struct pt_lot_share *shares = NULL;
    unsigned count = 0;
    unsigned i;
    int64_t left = points;
    enum pt_rc rc =
        pt_store_redemption_lots(txn, program_id, member_id, takes_id, arena, &shares, &count, err);
    *live = 0;
    *expired = 0;
    for (i = 0; rc == PT_OK && i < count && left > 0; i++) {
        struct pt_lot_row lot;
        int64_t give = shares[i].points - shares[i].restored;
        give = give < left ? give : left;
        if (give <= 0) {
            continue;
        }
        rc = pt_store_lot_get(txn, program_id, member_id, shares[i].lot_id, &lot, err);
        if (rc == PT_OK && lot.lot.expires_at_ms <= now_ms) {
            *expired += give;
        } else if (rc == PT_OK) {
            *live += give;
            rc = pt_store_lot_move(txn, program_id, member_id, shares[i].lot_id, give, err);
        }
        if (rc == PT_OK) {
            rc = pt_store_redemption_lot_restored(txn, program_id, member_id, takes_id,
                                                  shares[i].lot_id, give, err);
        }
        left -= give;
    }
    if (rc == PT_OK && PT_NEVER(left != 0)) {
        return pt_err_set(err, PT_EINTERNAL, NULL, "the takes hold less than is put back");
    }
    return rc;
}

enum pt_rc pt_svc_points_restore(struct pt_store_txn *txn, const struct pt_program *program,
                                 const char *member_id, const char *takes_id, int64_t points,
                                 const char *entry_type, const char *ref_id, const char *reason,
                                 const char *key_id, int64_t now_ms, struct pt_arena *arena,
                                 char *entry_id, struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[3];
    struct pt_account acct;
    size_t n = 0;
    int64_t live = 0;
    int64_t expired = 0;
    int64_t repaid = 0;
    enum pt_rc rc = takes_restore(txn, program->id, member_id, takes_id, points, now_ms, arena,
                                  &live, &expired, err);
    if (rc == PT_OK) {
        rc = pt_store_account_get(txn, program->id, member_id, &acct, err);
    }
    if (rc == PT_OK && acct.owed > 0 && live > 0) {
        /* What the member owes is repaid first, as by any points that come in. */
        repaid = acct.owed < live ? acct.owed : live;
        rc = pt_svc_take_from_lots(txn, program->id, member_id, repaid, now_ms, arena, NULL, NULL,
                                   NULL, NULL, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_entry_init(&entry, member_id, entry_type, ref_id, reason, key_id, now_ms);
    memcpy(entry_id, entry.id, PT_ID_BUF_BYTES);
    pt_posting_init(&postings[n++], PT_ACCOUNT_REDEEMED, NULL, -points);
    if (live > 0) {
        pt_posting_init(&postings[n], member_id, member_id, live);
        postings[n++].owed_delta = -repaid;
    }
    if (expired > 0) {
        pt_posting_init(&postings[n++], PT_ACCOUNT_EXPIRED, NULL, expired);
    }
    rc = pt_svc_post(txn, program->id, &entry, postings, n, err);
    if (rc == PT_OK) {
        /* The member's counters move even when nothing came back (all of it had expired). */
        struct pt_posting counters;
        pt_posting_init(&counters, member_id, member_id, 0);
        counters.redeemed_delta = -points;
        counters.expired_delta = expired;
        rc = pt_store_account_counters(txn, program->id, &counters, err);
    }
    return rc;
}

enum pt_rc pt_svc_redemption_undo(struct pt_store_txn *txn, const struct pt_program *program,
                                  struct pt_redemption *r, const char *key_id, int64_t now_ms,
                                  struct pt_arena *arena, struct pt_err *err)
{
    enum pt_rc rc;
    pt_assert(!r->cancelled);
    rc = pt_svc_points_restore(txn, program, r->member_id, r->id, r->points, "redeem_cancel", r->id,
                               r->cancel_reason, key_id, now_ms, arena, r->cancel_entry_id, err);
    r->cancelled = true;
    r->cancelled_at_ms = now_ms;
    return rc == PT_OK ? pt_store_redemption_cancel(txn, program->id, r, err) : rc;
}

static enum pt_rc cancel_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct redeem_ctx *ctx = (struct redeem_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_redemption *r = &ctx->out->redemption;
    struct pt_program program;
    enum pt_rc rc = pt_store_redemption_get(txn, ctx->w.who->program_id, ctx->redemption_id,
                                            ctx->w.arena, r, err);
    if (rc == PT_OK) {
        rc = pt_store_member_lock(txn, ctx->w.who->program_id, r->member_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_member_open(txn, ctx->w.who->program_id, r->member_id, ctx->w.arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, ctx->w.who->program_id, ctx->w.arena, &program, err);
    }
    if (rc != PT_OK || r->cancelled) {
        /* Cancelling twice changes nothing: answer the current state. */
        return rc == PT_OK ? pt_svc_balance(txn, &program, r->member_id, ctx->w.now_ms,
                                            ctx->w.arena, &ctx->out->balance, err)
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
    r->cancel_reason = ctx->reason;
    rc = pt_svc_redemption_undo(txn, &program, r, ctx->w.who->key_id, ctx->w.now_ms, ctx->w.arena,
                                err);
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, r->member_id, ctx->w.now_ms, ctx->w.arena,
                            &ctx->out->balance, err);
    }
    w->result = ctx->out;
    w->event_member_id = r->member_id;
    return rc;
}

/* Cancelling twice changes nothing and appends no event (the body leaves w->result NULL). */
static const struct pt_write_case redemption_cancel_case = {
    .name = "redemption_cancel",
    .event = "points.redemption_cancelled",
    .encoder = offsetof(struct pt_encoders, redemption),
    .body = cancel_body,
};

enum pt_rc pt_service_redemption_cancel(struct pt_service *svc, const struct pt_principal *who,
                                        const char *redemption_id, const char *reason,
                                        struct pt_arena *arena, struct pt_redemption_result *out,
                                        struct pt_err *err)
{
    struct redeem_ctx ctx = {.redemption_id = redemption_id, .reason = reason, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    enum pt_rc rc = pt_svc_cancel_reason_check(reason, err);
    return rc == PT_OK ? pt_svc_write(&ctx.w, &redemption_cancel_case, err) : rc;
}
