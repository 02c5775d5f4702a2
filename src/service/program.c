/* SPDX-License-Identifier: MIT */
/*
 * Programs: creating one with its first admin key (patron program create), the check that a
 * database holds none (patron init), and reading and changing the program's settings
 * (GET/PATCH /v1/program), validated as a whole before they are written.
 */
#include "service/service_int.h"

#include "base/alloc.h"
#include "base/tz.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- Creating a program ---- */

/* Three upper-case letters, as ISO 4217 codes are. */
static bool is_currency_code(const char *s)
{
    return strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
           s[2] >= 'A' && s[2] <= 'Z';
}

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
    if (!is_currency_code(currency)) {
        return pt_err_set(err, PT_EINVAL, "currency",
                          "currency must be an ISO 4217 code of three upper-case letters");
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

/* Referral rewards hold no negative values, and none past what one posting may move (limits.h,
 * the bounded ledger). */
static enum pt_rc referrals_validate(const struct pt_referral_policy *r, struct pt_err *err)
{
    if (!r->enabled) {
        return PT_OK;
    }
    if (r->within_days < 1 || r->min_amount < 0 || r->max_per_month < 0 || r->referrer_points < 0 ||
        r->referee_points < 0 || r->referrer_wallet < 0 || r->referee_wallet < 0) {
        return pt_err_set(err, PT_EINVAL, "referrals", "referrals hold no negative values");
    }
    if (r->referrer_points > PT_POINTS_MAX || r->referee_points > PT_POINTS_MAX ||
        r->referrer_wallet > PT_MEMBER_WALLET_MINOR_MAX ||
        r->referee_wallet > PT_MEMBER_WALLET_MINOR_MAX || r->min_amount > PT_AMOUNT_MAX) {
        return pt_err_set(err, PT_EINVAL, "referrals",
                          "referral points, wallet amounts and min_amount are at most %lld",
                          (long long)PT_POINTS_MAX);
    }
    return PT_OK;
}

#define INT_FIELD(name, member, lo, hi)                                                            \
    {                                                                                              \
        name, PT_FIELD_INT, offsetof(struct pt_program, member), lo, hi, false, false, NULL        \
    }
#define BOOL_FIELD(name, member)                                                                   \
    {                                                                                              \
        name, PT_FIELD_BOOL, offsetof(struct pt_program, member), 0, 0, false, false, NULL         \
    }
#define OBJECT_FIELD(name, shape)                                                                  \
    {                                                                                              \
        name, PT_FIELD_OBJECT, 0, 0, 0, false, false, shape                                        \
    }
#define CUSTOM_FIELD(name)                                                                         \
    {                                                                                              \
        name, PT_FIELD_CUSTOM, 0, 0, 0, false, false, NULL                                         \
    }

/* The program's settings as GET and PATCH /v1/program show and take them, in the API's order.
 * Custom: currency (an ISO code in a char array), rounding (always floor, not stored), expiry
 * (a policy with months or without), excluded_categories (a list kept as lines of text),
 * time_zone (checked against the tz database), tiers, referrals and rate_limits (policies with
 * their own parsers and validators). */
const struct pt_field pt_program_fields[] = {
    {"name", PT_FIELD_TEXT, offsetof(struct pt_program, name), 0, PT_PROGRAM_NAME_BYTES_MAX, false,
     false, NULL},
    CUSTOM_FIELD("currency"),
    OBJECT_FIELD("earn_rate", "earn_rate must be an object like {\"points\":1,\"per_amount\":100}"),
    INT_FIELD("earn_rate.points", earn_points, 0, PT_EARN_RATE_POINTS_MAX),
    INT_FIELD("earn_rate.per_amount", earn_per_amount, 1, PT_EARN_RATE_PER_AMOUNT_MAX),
    CUSTOM_FIELD("rounding"),
    INT_FIELD("pending_days", pending_days, 0, PT_PENDING_DAYS_MAX),
    CUSTOM_FIELD("expiry"),
    BOOL_FIELD("allow_negative_balance", allow_negative_balance),
    CUSTOM_FIELD("excluded_categories"),
    CUSTOM_FIELD("time_zone"),
    OBJECT_FIELD("point_value", "point_value is {\"amount\": minor units, \"points\": N}"),
    {"point_value.amount", PT_FIELD_INT, offsetof(struct pt_program, point_cost_amount), 0,
     PT_POINT_VALUE_MAX, true, false, NULL},
    {"point_value.points", PT_FIELD_INT, offsetof(struct pt_program, point_cost_points), 1,
     PT_POINT_VALUE_MAX, true, false, NULL},
    CUSTOM_FIELD("tiers"),
    OBJECT_FIELD("wallet", "wallet is {\"pending_days\": N}"),
    INT_FIELD("wallet.pending_days", wallet_pending_days, 0, PT_PENDING_DAYS_MAX),
    CUSTOM_FIELD("referrals"),
    OBJECT_FIELD("adjust_limits", "adjust_limits is {\"staff\": points, \"admin\": points}"),
    INT_FIELD("adjust_limits.staff", adjust_staff_max, 0, PT_POINTS_MAX),
    INT_FIELD("adjust_limits.admin", adjust_admin_max, 0, PT_POINTS_MAX),
    INT_FIELD("return_days", return_days, 0, PT_RETURN_DAYS_MAX),
    BOOL_FIELD("hold_returnable", hold_returnable),
    CUSTOM_FIELD("rate_limits"),
};
const size_t pt_program_field_count = sizeof(pt_program_fields) / sizeof(pt_program_fields[0]);

static enum pt_rc program_settings_validate(const struct pt_program *p, struct pt_err *err)
{
    enum pt_rc rc = pt_fields_validate(pt_program_fields, pt_program_field_count, p, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (!is_currency_code(p->currency)) {
        return pt_err_set(err, PT_EINVAL, "currency",
                          "currency must be an ISO 4217 code of three upper-case letters");
    }
    if (p->expiry_months < 0 || p->expiry_months > PT_EXPIRY_MONTHS_MAX) {
        return pt_err_set(err, PT_EINVAL, "expiry.months", "expiry.months must be 1 to %d",
                          PT_EXPIRY_MONTHS_MAX);
    }
    rc = referrals_validate(&p->referrals, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (p->hold_returnable && p->return_days == 0) {
        return pt_err_set(err, PT_EINVAL, "return_days",
                          "return_days must be 1 to %d (0, no return window, only without "
                          "hold_returnable)",
                          PT_RETURN_DAYS_MAX);
    }
    rc = pt_tier_policy_validate(&p->tiers, err);
    if (rc == PT_OK) {
        rc = pt_ratelimit_validate(&p->rate_limits, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (p->time_zone != NULL) {
        /* A zone of the system's tz database (tzdata). */
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
