/* SPDX-License-Identifier: MIT */
/*
 * Promotion codes in bulk (docs/rewards.md): a coupon batch gives a reward, or its own
 * discount, through up to a million codes. Creating one writes only the batch; its codes are
 * made in the background (pt_service_batches_run, from the jobs thread), a chunk per write, so
 * that a batch never holds the writer for long and a stopped server resumes where it was: each
 * chunk reads the batch locked, stores codes n = generated + 1.. and moves generated on, in one
 * write. Codes are drawn like coupon codes (60 random bits and a check symbol) and never take
 * a code a coupon or another promotion code of the program has.
 */
#include "service/service_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/random.h"
#include "core/coupon_code.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Codes per write. Each write of a chunk touches pages all over the code index (codes are
 * random) and commits them, so large chunks make a batch faster: 10,000 codes per write make a
 * million in about 16 s on SQLite, 2,500 in about 26 s. But a chunk holds the writer, and with
 * 5,000 codes purchases queued behind one waited up to half a second (bench/run_bench.py
 * batches). So chunks are large while nothing else writes, and small for a while once other
 * writes were seen waiting at the end of one. */
#define BATCH_CHUNK_CODES 10000
#define BATCH_CHUNK_CODES_BUSY 500
/* The pause after a chunk that saw other writes waiting. */
#define BATCH_YIELD_MS 40
/* Chunks after the last one that saw other writes waiting before chunks grow again. */
#define BATCH_QUIET_CHUNKS 8
/* Fresh draws for one place whose code was taken (60 random bits: one is almost never
 * needed). */
#define BATCH_DRAWS_MAX 64
/* Transient failures of chunks in a row before the runner gives up until its next look
 * (about a minute of backing off). */
#define BATCH_BUSY_RETRIES 60

struct batch_create_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_coupon_batch *batch;
};

/* Refuses a batch whose codes would take the program's batches still being made past the
 * quota (fairness between programs: docs/security.md). */
static enum pt_rc batch_quota(struct pt_store_txn *txn, const char *program_id, int64_t count,
                              struct pt_err *err)
{
    int64_t pending = 0;
    enum pt_rc rc = pt_store_batch_codes_pending(txn, program_id, &pending, err);
    if (rc == PT_OK && (pending > PT_BATCH_CODES_PENDING_MAX - count)) {
        (void)pt_err_set(err, PT_ELIMIT, "count",
                         "the program's batches still being made hold %lld codes; together they "
                         "may hold at most %d: wait until one is ready",
                         (long long)pending, PT_BATCH_CODES_PENDING_MAX);
        return pt_err_code(err, "limit_exceeded");
    }
    return rc;
}

static enum pt_rc batch_create_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct batch_create_ctx *ctx = (struct batch_create_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_coupon_batch *b = ctx->batch;
    enum pt_rc rc;
    w->result = b;
    w->ref_id = b->id;
    if (b->reward_id[0] != '\0') {
        struct pt_reward reward;
        rc = pt_store_reward_get(txn, ctx->w.who->program_id, b->reward_id, ctx->w.arena, &reward,
                                 err);
        if (rc == PT_ENOTFOUND) {
            pt_err_clear(err);
            return pt_err_set(err, PT_EINVAL, "reward_id", "no such reward: %s", b->reward_id);
        }
        if (rc != PT_OK) {
            return rc;
        }
        if (reward.type == PT_REWARD_PARTNER_VOUCHER) {
            return pt_err_set(err, PT_EINVAL, "reward_id",
                              "a partner_voucher reward draws from its pool of partner codes: a "
                              "batch cannot give it");
        }
        if (reward.status == PT_REWARD_ARCHIVED) {
            (void)pt_err_set(err, PT_ELIMIT, "reward_id", "the reward is archived: %s",
                             reward.name);
            return pt_err_code(err, "reward_inactive");
        }
    }
    rc = batch_quota(txn, ctx->w.who->program_id, b->count, err);
    if (rc == PT_OK) {
        rc = pt_store_coupon_batch_insert(txn, ctx->w.who->program_id, b, err);
    }
    return rc;
}

static const struct pt_write_case batch_create_case = {
    .name = "coupon_batch_create",
    .body = batch_create_body,
};

enum pt_rc pt_service_coupon_batch_create(struct pt_service *svc, const struct pt_principal *who,
                                          struct pt_coupon_batch *b, struct pt_idem *idem,
                                          struct pt_arena *arena, struct pt_err *err)
{
    struct batch_create_ctx ctx = {.batch = b};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    rc = pt_batch_validate(b, err);
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("cbt", ctx.w.now_ms, b->id);
    b->generated = 0;
    b->status = PT_BATCH_GENERATING;
    b->error = NULL;
    b->created_at_ms = ctx.w.now_ms;
    b->updated_at_ms = ctx.w.now_ms;
    rc = pt_svc_write(&ctx.w, &batch_create_case, err);
    if (rc == PT_OK && !idem->replayed && svc->batch_notify != NULL) {
        svc->batch_notify(svc->batch_notify_ctx);
    }
    return rc;
}

enum pt_rc pt_service_coupon_batch_get(struct pt_service *svc, const struct pt_principal *who,
                                       const char *batch_id, struct pt_arena *arena,
                                       struct pt_coupon_batch *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    memset(out, 0, sizeof(*out));
    if (rc == PT_OK) {
        rc = pt_store_coupon_batch_get(txn, who->program_id, batch_id, arena, out, err);
        pt_store_read_end(txn);
    }
    return rc;
}

enum pt_rc pt_service_coupon_batch_list(struct pt_service *svc, const struct pt_principal *who,
                                        const char *cursor_id, unsigned limit,
                                        struct pt_arena *arena, struct pt_coupon_batch **out,
                                        unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    *out = NULL;
    *count = 0;
    if (rc == PT_OK) {
        rc = pt_store_coupon_batch_list(txn, who->program_id, cursor_id, limit, arena, out, count,
                                        err);
        pt_store_read_end(txn);
    }
    return rc;
}

enum pt_rc pt_service_promo_codes_page(struct pt_service *svc, const char *program_id,
                                       const char *batch_id, int64_t after_n, unsigned limit,
                                       struct pt_promo_code *out, unsigned *count,
                                       struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    *count = 0;
    if (rc == PT_OK) {
        rc = pt_store_promo_codes_page(txn, program_id, batch_id, after_n, limit, out, count, err);
        pt_store_read_end(txn);
    }
    return rc;
}

void pt_service_set_batch_notify(struct pt_service *svc, void (*notify)(void *ctx), void *ctx)
{
    svc->batch_notify = notify;
    svc->batch_notify_ctx = ctx;
}

/* ---- Making the codes ---- */

struct batch_chunk_ctx {
    struct pt_service *svc;
    const struct pt_batch_ref *ref;
    struct pt_arena *arena;
    char (*codes)[PT_ID_BUF_BYTES]; /* BATCH_CHUNK_CODES */
    bool *present;                  /* BATCH_CHUNK_CODES */
    const char *fail;               /* Set: mark the batch failed with this error instead. */
    int64_t now_ms;
    unsigned quiet; /* Chunks since one saw other writes waiting (live traffic). */
    bool done;      /* OUT: the batch is no longer generating. */
    int64_t made;   /* OUT: codes stored. */
};

static void draw_code(const char *prefix, char *out)
{
    uint8_t random8[8];
    pt_random_bytes(random8, sizeof(random8));
    pt_coupon_code_make(random8, prefix, out, PT_ID_BUF_BYTES);
}

/* Stores a fresh code at each place of first_n.. the chunk's insert left empty (its code was
 * taken). *ok false when a place found no free code in BATCH_DRAWS_MAX draws. */
static enum pt_rc fill_gaps(struct pt_store_txn *txn, struct batch_chunk_ctx *ctx,
                            const struct pt_coupon_batch *b, int64_t first_n, unsigned k, bool *ok,
                            struct pt_err *err)
{
    unsigned i;
    enum pt_rc rc = pt_store_promo_codes_present(txn, ctx->ref->program_id, b->id, first_n, k,
                                                 ctx->present, err);
    *ok = true;
    for (i = 0; rc == PT_OK && i < k && *ok; i++) {
        int64_t inserted = 0;
        unsigned draw;
        for (draw = 0; rc == PT_OK && !ctx->present[i] && inserted == 0 && draw < BATCH_DRAWS_MAX;
             draw++) {
            draw_code(b->prefix, ctx->codes[0]);
            rc = pt_store_promo_codes_insert(txn, ctx->ref->program_id, b->id, first_n + i,
                                             ctx->codes, 1, &inserted, err);
        }
        *ok = ctx->present[i] || inserted == 1;
    }
    return rc;
}

static enum pt_rc batch_chunk_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct batch_chunk_ctx *ctx = arg;
    struct pt_coupon_batch b;
    int64_t first_n;
    int64_t inserted = 0;
    unsigned k;
    unsigned i;
    bool ok = true;
    enum pt_rc rc;
    ctx->done = false;
    ctx->made = 0;
    /* Locked: of two processes on one PostgreSQL database, the one that finds the batch held
     * (not found) leaves it to the other for this round. */
    rc = pt_store_coupon_batch_lock(txn, ctx->ref->program_id, ctx->ref->batch_id, ctx->arena, &b,
                                    err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        ctx->done = true;
        return PT_OK;
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (b.status != PT_BATCH_GENERATING) {
        ctx->done = true;
        return PT_OK;
    }
    if (b.generated > b.count && ctx->fail == NULL) {
        ctx->fail = "the batch counts more codes than it was to make";
    }
    if (ctx->fail == NULL) {
        unsigned chunk =
            ctx->quiet >= BATCH_QUIET_CHUNKS ? BATCH_CHUNK_CODES : BATCH_CHUNK_CODES_BUSY;
        first_n = b.generated + 1;
        k = (unsigned)(b.count - b.generated < chunk ? b.count - b.generated : chunk);
        for (i = 0; i < k; i++) {
            draw_code(b.prefix, ctx->codes[i]);
        }
        rc = pt_store_promo_codes_insert(txn, ctx->ref->program_id, b.id, first_n, ctx->codes, k,
                                         &inserted, err);
        if (rc == PT_OK && inserted < (int64_t)k) {
            rc = fill_gaps(txn, ctx, &b, first_n, k, &ok, err);
        }
        if (rc == PT_OK && !ok) {
            /* Undone with the chunk's savepoint; the runner then marks the batch failed. */
            rc = pt_err_set(err, PT_EINTERNAL, NULL, "no free code was found for a place");
        }
        if (rc != PT_OK) {
            return rc;
        }
        b.generated += k;
        ctx->made = k;
        /* Writes that queued up while this chunk ran: purchases are coming in. */
        ctx->quiet = pt_store_writes_waiting(txn) ? 0 : ctx->quiet + 1;
    }
    if (ctx->fail != NULL) {
        b.status = PT_BATCH_FAILED;
        b.error = ctx->fail;
    } else if (b.generated == b.count) {
        b.status = PT_BATCH_READY;
    }
    b.updated_at_ms = ctx->now_ms;
    rc = pt_store_coupon_batch_progress(txn, ctx->ref->program_id, &b, err);
    if (rc == PT_OK && b.status == PT_BATCH_READY) {
        rc = pt_svc_event(ctx->svc, txn, ctx->ref->program_id, "coupon_batch.ready", NULL,
                          ctx->svc->enc.batch, &b, ctx->now_ms, ctx->arena, NULL, err);
    }
    ctx->done = b.status != PT_BATCH_GENERATING;
    return rc;
}

/* Whether rc may pass if tried again later (the store busy or away, memory short). */
static bool transient(enum pt_rc rc)
{
    return rc == PT_EBUSY || rc == PT_ESTORE || rc == PT_ENOMEM;
}

/* Makes one chunk of the batch (retried while the store is busy or away a moment). A chunk
 * that fails for good marks the batch failed with the reason, so that it is not tried
 * forever. */
static enum pt_rc batch_chunk(struct pt_service *svc, const struct pt_batch_ref *ref,
                              bool (*stop)(void *), void *stop_ctx, struct batch_chunk_ctx *ctx,
                              int64_t *made, struct pt_err *err)
{
    enum pt_rc rc = PT_OK;
    unsigned busy = 0; /* Tries in a row refused as transient (the store busy or away). */
    bool written = false;
    ctx->ref = ref;
    ctx->fail = NULL;
    ctx->done = false;
    while (rc == PT_OK && !written && !stop(stop_ctx)) {
        struct pt_arena arena;
        pt_arena_init(&arena, 4u << 20);
        ctx->arena = &arena;
        ctx->now_ms = pt_svc_now_ms(svc, ref->program_id);
        rc = pt_store_write_background(svc->store, batch_chunk_txn, ctx, err);
        if (rc == PT_OK) {
            *made += ctx->made;
            written = true;
            if (ctx->quiet == 0) {
                /* Live traffic: leave the writer to it a moment between two chunks. */
                pt_sleep_ms(BATCH_YIELD_MS);
            }
        } else if (transient(rc) && busy < BATCH_BUSY_RETRIES) {
            /* A chunk is shed like any write when the writer is behind (load shedding), or
             * the database is away a moment: back off and go on, rather than wait for the
             * next look a minute later. */
            pt_sleep_ms(busy < 10 ? 50 * (int64_t)(busy + 1) : 1000);
            busy++;
            pt_err_clear(err);
            rc = PT_OK;
        } else if (!transient(rc) && ctx->fail == NULL) {
            char extra[200];
            (void)snprintf(extra, sizeof(extra), ",\"batch_id\":\"%s\",\"rc\":\"%s\"",
                           ref->batch_id, pt_rc_name(rc));
            pt_log("error", "a coupon batch failed", extra);
            ctx->fail = "the codes could not be stored; create the batch again";
            pt_err_clear(err);
            rc = PT_OK;
        }
        pt_arena_fini(&arena);
    }
    return rc;
}

enum pt_rc pt_service_batches_run(struct pt_service *svc, bool (*stop)(void *), void *stop_ctx,
                                  int64_t *made, struct pt_err *err)
{
    struct batch_chunk_ctx ctx;
    enum pt_rc rc = PT_OK;
    *made = 0;
    memset(&ctx, 0, sizeof(ctx));
    ctx.svc = svc;
    ctx.codes = pt_calloc(BATCH_CHUNK_CODES, sizeof(*ctx.codes));
    ctx.present = pt_calloc(BATCH_CHUNK_CODES, sizeof(*ctx.present));
    if (ctx.codes == NULL || ctx.present == NULL) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    /* Rounds until no batch is generating: a batch created meanwhile is taken in the next.
     * Each round gives one chunk to each program that has a batch in making, its batch with the
     * fewest codes left, the programs with the least left first: a program's turn is one
     * chunk however many codes it queued (round robin by program, small work first), and the
     * caller's stop ends the runs between two chunks when other jobs are due. */
    while (rc == PT_OK && !stop(stop_ctx)) {
        struct pt_arena arena;
        struct pt_store_txn *txn = NULL;
        struct pt_batch_ref *refs = NULL;
        unsigned count = 0;
        unsigned i;
        pt_arena_init(&arena, 64u << 10);
        rc = pt_store_read_begin(svc->store, &txn, err);
        if (rc == PT_OK) {
            rc = pt_store_batches_generating(txn, PT_BATCH_ROUND_PROGRAMS, &arena, &refs, &count,
                                             err);
            pt_store_read_end(txn);
        }
        int64_t made_before = *made;
        for (i = 0; rc == PT_OK && i < count; i++) {
            rc = batch_chunk(svc, &refs[i], stop, stop_ctx, &ctx, made, err);
        }
        pt_arena_fini(&arena);
        /* Done, or every batch left is held by another process: its next look comes soon. */
        if (count == 0 || *made == made_before) {
            break;
        }
    }
    pt_free(ctx.codes);
    pt_free(ctx.present);
    return rc;
}
