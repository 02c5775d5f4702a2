/* SPDX-License-Identifier: MIT */
/*
 * Expiry of points: lots past their expiry date are emptied, one entry per member, in pages so
 * that a big run does not hold the writer; for one program or every program.
 */
#include "service/service_int.h"

#include "base/alloc.h"

#include <string.h>

struct expire_ctx {
    struct pt_service *svc;
    const char *program_id;
    struct pt_arena *arena;
    struct pt_expiry_result *out;
    int64_t now_ms;
    unsigned lots_done; /* OUT of one round: lots expired. */
};

/* Expires one member's due lots (rows[first..end)) with one entry. */
static enum pt_rc expire_member(struct pt_store_txn *txn, struct expire_ctx *ctx,
                                const struct pt_lot_row *rows, unsigned first, unsigned end,
                                struct pt_err *err)
{
    struct pt_expiry_event ev;
    struct pt_entry entry;
    struct pt_posting postings[2];
    int64_t points = 0;
    unsigned i;
    enum pt_rc rc = PT_OK;
    for (i = first; rc == PT_OK && i < end; i++) {
        points += rows[i].lot.points_remaining;
        rc = pt_store_lot_move(txn, ctx->program_id, rows[i].member_id, rows[i].id,
                               -rows[i].lot.points_remaining, err);
    }
    if (rc != PT_OK || points == 0) {
        return rc;
    }
    pt_svc_entry_init(&entry, rows[first].member_id, "expire", NULL, NULL, NULL, ctx->now_ms);
    pt_posting_init(&postings[0], rows[first].member_id, rows[first].member_id, -points);
    postings[0].expired_delta = points;
    pt_posting_init(&postings[1], PT_ACCOUNT_EXPIRED, NULL, points);
    rc = pt_svc_post(txn, ctx->program_id, &entry, postings, 2, err);
    memset(&ev, 0, sizeof(ev));
    memcpy(ev.entry_id, entry.id, sizeof(ev.entry_id));
    memcpy(ev.member_id, rows[first].member_id, sizeof(ev.member_id));
    ev.points = points;
    ev.created_at_ms = ctx->now_ms;
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, ctx->program_id, "points.expired", ev.member_id,
                          ctx->svc->enc.expiry, &ev, ctx->now_ms, ctx->arena, NULL, err);
    }
    ctx->out->points_expired += points;
    ctx->out->members++;
    return rc;
}

static enum pt_rc expire_round_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct expire_ctx *ctx = arg;
    struct pt_lot_row *rows = NULL;
    unsigned count = 0;
    unsigned first = 0;
    unsigned i;
    enum pt_rc rc = pt_store_lots_due(txn, ctx->program_id, ctx->now_ms, PT_EXPIRE_BATCH_LOTS,
                                      ctx->arena, &rows, &count, err);
    ctx->lots_done = 0;
    for (i = 1; rc == PT_OK && i <= count; i++) {
        if (i == count || strcmp(rows[i].member_id, rows[first].member_id) != 0) {
            rc = expire_member(txn, ctx, rows, first, i, err);
            first = i;
        }
    }
    if (rc == PT_OK) {
        ctx->lots_done = count;
        ctx->out->lots_expired += count;
    }
    return rc;
}

static enum pt_rc expire_program(struct pt_service *svc, const char *program_id, int64_t now_ms,
                                 struct pt_expiry_result *out, struct pt_err *err)
{
    unsigned round;
    enum pt_rc rc = PT_OK;
    for (round = 0; rc == PT_OK && round < PT_EXPIRE_ROUNDS_MAX; round++) {
        struct pt_arena arena;
        struct expire_ctx ctx = {svc, program_id, &arena, out, now_ms, 0};
        pt_arena_init(&arena, PT_REQUEST_ARENA_BYTES_MAX);
        rc = pt_store_write(svc->store, expire_round_txn, &ctx, err);
        pt_arena_fini(&arena);
        if (ctx.lots_done < PT_EXPIRE_BATCH_LOTS) {
            break;
        }
    }
    return rc;
}

enum pt_rc pt_service_expire(struct pt_service *svc, const char *program_id,
                             struct pt_expiry_result *out, struct pt_err *err)
{
    int64_t now_ms = pt_svc_now_ms(svc, program_id);
    struct pt_store_txn *txn = NULL;
    struct pt_arena arena;
    char(*ids)[PT_ID_BUF_BYTES] = NULL;
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    if (program_id != NULL) {
        return expire_program(svc, program_id, now_ms, out, err);
    }
    pt_arena_init(&arena, (size_t)PT_PROGRAMS_MAX * PT_ID_BUF_BYTES + 4096);
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_store_program_ids(txn, &arena, PT_PROGRAMS_MAX, &ids, &count, err);
        pt_store_read_end(txn);
    }
    for (i = 0; rc == PT_OK && i < count; i++) {
        rc = expire_program(svc, ids[i], now_ms, out, err);
    }
    pt_arena_fini(&arena);
    return rc;
}
