/* SPDX-License-Identifier: MIT */
/*
 * Programs: creating one with its first admin key (patron program create), the check that a
 * database holds none (patron init), and reading and changing the program's settings
 * (GET/PATCH /v1/program), validated as a whole before they are written.
 */
#include "service/service_int.h"

#include "base/alloc.h"
#include "base/tz.h"

#include <stdio.h>
#include <string.h>

/* ---- Creating a program ---- */

struct program_create_ctx {
    const struct pt_program *program;
    const struct pt_key_created *key;
};

static enum pt_rc program_create_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct program_create_ctx *ctx = arg;
    enum pt_rc rc = pt_store_program_insert(txn, ctx->program, err);
    if (rc == PT_OK) {
        rc = pt_store_key_insert(txn, &ctx->key->key, err);
    }
    return rc;
}

enum pt_rc pt_service_program_create(struct pt_service *svc, const char *name, const char *currency,
                                     struct pt_arena *arena, struct pt_program *program,
                                     struct pt_key_created *key, struct pt_err *err)
{
    struct program_create_ctx ctx;
    int64_t now_ms = pt_svc_now_ms(svc, NULL);
    enum pt_rc rc = pt_validate_text("name", name, PT_PROGRAM_NAME_BYTES_MAX, err);
    (void)arena;
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_program_currency_check(currency, err);
    if (rc != PT_OK) {
        return rc;
    }
    memset(program, 0, sizeof(*program));
    pt_svc_new_id("prg", now_ms, program->id);
    program->name = name;
    (void)snprintf(program->currency, sizeof(program->currency), "%s", currency);
    program->created_at_ms = now_ms;
    /* A new program holds what a return may take back (issue 16): the columns' defaults
     * (migration 16) say the same, and the insert leaves them to the database. */
    program->return_days = PT_RETURN_DAYS_DEFAULT;
    program->hold_returnable = true;
    program->points_payment.min_points = 1; /* The defaults of migration 21. */
    program->points_payment.max_percent = 100;
    program->points_payment.multiple = 1;
    program->clv_discount_rate_bp = PT_CLV_DISCOUNT_BP_DEFAULT; /* Migration 27's default. */
    pt_svc_key_make(program->id, "first admin key", PT_ROLE_ADMIN, now_ms, key);
    ctx.program = program;
    ctx.key = key;
    return pt_store_write(svc->store, program_create_txn, &ctx, err);
}

enum pt_rc pt_service_require_empty(struct pt_service *svc, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    int64_t count = 0;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_program_count(txn, &count, err);
    pt_store_read_end(txn);
    if (rc == PT_OK && count > 0) {
        rc = pt_err_set(err, PT_ECONFLICT, NULL,
                        "the database already holds %lld program(s); add one with "
                        "`patron program create NAME`",
                        (long long)count);
    }
    return rc;
}

/* ---- Program settings ---- */

enum pt_rc pt_service_program_get(struct pt_service *svc, const struct pt_principal *who,
                                  struct pt_arena *arena, struct pt_program *out,
                                  struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_program_get(txn, who->program_id, arena, out, err);
    pt_store_read_end(txn);
    return rc;
}

/* The settings as a whole (core), then the time zone against the system's tz database. */
static enum pt_rc program_settings_validate(const struct pt_program *p, struct pt_err *err)
{
    enum pt_rc rc = pt_program_validate(p, err);
    if (rc == PT_OK && p->time_zone != NULL) {
        struct pt_tz *tz = pt_malloc(sizeof(*tz));
        if (tz == NULL) {
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
        rc = pt_tz_load(p->time_zone, tz, err);
        pt_free(tz);
    }
    return rc;
}

struct program_update_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    pt_program_patch_fn patch;
    void *patch_ctx;
    struct pt_program *program;
};

/* Read, patched and written in one write, the row locked: a change made meanwhile by another
 * request is not lost. */
static enum pt_rc program_update_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct program_update_ctx *ctx = (struct program_update_ctx *)w;
    enum pt_rc rc = pt_store_program_lock(w->txn, w->who->program_id, err);
    if (rc == PT_OK) {
        rc = pt_store_program_get(w->txn, w->who->program_id, w->arena, ctx->program, err);
    }
    if (rc == PT_OK) {
        rc = ctx->patch(ctx->patch_ctx, w->arena, ctx->program, err);
    }
    if (rc == PT_OK) {
        rc = program_settings_validate(ctx->program, err);
    }
    if (rc == PT_OK) {
        ctx->program->updated_at_ms = w->now_ms;
        rc = pt_store_program_update(w->txn, ctx->program, err);
    }
    return rc;
}

static const struct pt_write_case program_update_case = {
    .name = "program_update",
    .body = program_update_body,
};

enum pt_rc pt_service_program_update(struct pt_service *svc, const struct pt_principal *who,
                                     pt_program_patch_fn patch, void *patch_ctx,
                                     struct pt_arena *arena, struct pt_program *program,
                                     struct pt_err *err)
{
    struct program_update_ctx ctx = {.patch = patch, .patch_ctx = patch_ctx, .program = program};
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    return pt_svc_write(&ctx.w, &program_update_case, err);
}
