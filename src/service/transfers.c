/* SPDX-License-Identifier: MIT */
/*
 * Transfers of points from one member to another: the sender's lots are spent and the receiver
 * gets one lot per lot taken, keeping its expiry date; one entry, one leg in each member's ledger.
 */
#include "service/service_int.h"

#include "base/assert.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct transfer_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *from_id;
    const char *to_id;
    int64_t points;
    struct pt_transfer_result *out;
};

/* Gives the receiver one lot per lot taken from the sender, keeping its expiry date; the
 * receiver's debt is repaid first. OUT: *repaid_total. */
static enum pt_rc transfer_credit(struct pt_store_txn *txn, struct transfer_ctx *ctx,
                                  const char *program_id, const char *entry_id,
                                  const struct pt_lot_row *rows, const struct pt_lot_take *takes,
                                  size_t take_count, int64_t *repaid_total, struct pt_err *err)
{
    struct pt_account acct;
    size_t i;
    enum pt_rc rc = pt_store_account_get(txn, program_id, ctx->to_id, &acct, err);
    *repaid_total = 0;
    if (rc == PT_OK) {
        rc = pt_ledger_balance_room(&acct, ctx->points, "points", err);
    }
    for (i = 0; rc == PT_OK && i < take_count; i++) {
        const struct pt_lot *src = &rows[takes[i].lot_index].lot;
        struct pt_lot times = {0, ctx->w.now_ms, ctx->w.now_ms, src->expires_at_ms};
        int64_t repaid = 0;
        rc =
            pt_svc_credit_lot(txn, program_id, ctx->to_id, entry_id, ctx->out->id, takes[i].points,
                              acct.owed - *repaid_total, &times, NULL, ctx->w.now_ms, &repaid, err);
        *repaid_total += repaid;
    }
    return rc;
}

/* Locks both members in one order (by id), so that two opposite transfers in two processes
 * cannot deadlock; loads them (both active) and the program; and checks that the sender may
 * spend ctx->points now, hold included. */
static enum pt_rc transfer_load(struct pt_store_txn *txn, struct transfer_ctx *ctx,
                                struct pt_member *from, struct pt_member *to,
                                struct pt_program *program, struct pt_err *err)
{
    const char *program_id = ctx->w.who->program_id;
    bool from_first = strcmp(ctx->from_id, ctx->to_id) < 0;
    int64_t avail = 0;
    enum pt_rc rc =
        pt_store_member_lock(txn, program_id, from_first ? ctx->from_id : ctx->to_id, err);
    if (rc == PT_OK) {
        rc = pt_store_member_lock(txn, program_id, from_first ? ctx->to_id : ctx->from_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_member_load(txn, program_id, ctx->from_id, ctx->w.arena, from, program, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_member_load(txn, program_id, ctx->to_id, ctx->w.arena, to, NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_member_require_active(from, err);
    }
    if (rc == PT_OK) {
        rc = pt_member_require_active(to, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_spendable(txn, program, from->id, ctx->w.now_ms, ctx->w.arena, &avail, err);
    }
    if (rc == PT_OK && avail < ctx->points) {
        rc = pt_err_set(err, PT_EINSUFFICIENT, "points",
                        "not enough available points: %lld available, %lld asked", (long long)avail,
                        (long long)ctx->points);
    }
    if (rc == PT_OK) {
        rc = pt_svc_hold_check(txn, program, from->id, ctx->w.now_ms, PT_HOLD_POINTS, avail,
                               ctx->points, err);
    }
    return rc;
}

/* Moves the points: the sender's lots spent, the receiver credited lot by lot. One entry id,
 * one leg in each member's ledger; each leg balances against the member's transfers clearing
 * account, so that no entry spans two members. */
static enum pt_rc transfer_move(struct pt_store_txn *txn, struct transfer_ctx *ctx,
                                const struct pt_program *program, const struct pt_member *from,
                                const struct pt_member *to, struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[2];
    struct pt_lot_row *rows = NULL;
    struct pt_lot_take *takes = NULL;
    size_t take_count = 0;
    int64_t repaid = 0;
    enum pt_rc rc;
    pt_svc_entry_init(&entry, from->id, "transfer", ctx->out->id, NULL, ctx->w.who->key_id,
                      ctx->w.now_ms);
    rc = pt_svc_take_from_lots(txn, program->id, from->id, ctx->points, ctx->w.now_ms, ctx->w.arena,
                               NULL, &rows, &takes, &take_count, err);
    if (rc == PT_OK) {
        rc =
            transfer_credit(txn, ctx, program->id, entry.id, rows, takes, take_count, &repaid, err);
    }
    pt_posting_init(&postings[0], from->id, from->id, -ctx->points);
    pt_posting_init(&postings[1], PT_ACCOUNT_TRANSFERS, NULL, ctx->points);
    if (rc == PT_OK) {
        rc = pt_svc_post(txn, program->id, &entry, postings, 2, err);
    }
    (void)snprintf(entry.member_id, sizeof(entry.member_id), "%s", to->id);
    pt_posting_init(&postings[0], to->id, to->id, ctx->points);
    postings[0].owed_delta = -repaid;
    pt_posting_init(&postings[1], PT_ACCOUNT_TRANSFERS, NULL, -ctx->points);
    if (rc == PT_OK) {
        rc = pt_svc_post(txn, program->id, &entry, postings, 2, err);
    }
    return rc;
}

/* Both members are locked and loaded by the body, in one order (transfer_load). */
static enum pt_rc transfer_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct transfer_ctx *ctx = (struct transfer_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_transfer_result *out = ctx->out;
    struct pt_member from;
    struct pt_member to;
    struct pt_program program;
    enum pt_rc rc = transfer_load(txn, ctx, &from, &to, &program, err);
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("trf", w->now_ms, out->id);
    memcpy(out->from_member_id, from.id, sizeof(out->from_member_id));
    memcpy(out->to_member_id, to.id, sizeof(out->to_member_id));
    out->points = ctx->points;
    out->created_at_ms = w->now_ms;
    rc = transfer_move(txn, ctx, &program, &from, &to, err);
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, from.id, w->now_ms, w->arena, &out->from_balance, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, to.id, w->now_ms, w->arena, &out->to_balance, err);
    }
    w->result = out;
    w->ref_id = out->id;
    w->event_member_id = out->from_member_id;
    return rc;
}

static const struct pt_write_case transfer_case = {
    .name = "transfer",
    .event = "points.transferred",
    .encoder = offsetof(struct pt_encoders, transfer),
    .body = transfer_body,
};

enum pt_rc pt_service_transfer(struct pt_service *svc, const struct pt_principal *who,
                               const char *from_id, const char *to_id, int64_t points,
                               struct pt_idem *idem, struct pt_arena *arena,
                               struct pt_transfer_result *out, struct pt_err *err)
{
    struct transfer_ctx ctx = {.from_id = from_id, .to_id = to_id, .points = points, .out = out};
    pt_assert(idem != NULL);
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    memset(out, 0, sizeof(*out));
    if (points <= 0 || points > PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "points", "points must be 1 to %lld",
                          (long long)PT_POINTS_MAX);
    }
    if (strcmp(from_id, to_id) == 0) {
        return pt_err_set(err, PT_EINVAL, "to_member_id",
                          "to_member_id must differ from from_member_id");
    }
    return pt_svc_write(&ctx.w, &transfer_case, err);
}
