/* SPDX-License-Identifier: MIT */
/* Program settings: GET and PATCH /v1/program (admin keys). */
#include "http/http_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

/* The settings as the API shows them. new */
static json_t *program_json(const struct pt_program *p)
{
    json_t *root;
    json_t *categories = json_array();
    const char *c = p->excluded_categories;
    json_t *expiry;
    while (c != NULL && *c != '\0') {
        const char *end = strchr(c, '\n');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        (void)json_array_append_new(categories, json_stringn(c, len));
        c += len + (end ? 1 : 0);
    }
    if (p->expiry_months > 0) {
        expiry =
            json_pack("{s:s,s:I}", "policy", "rolling", "months", (json_int_t)p->expiry_months);
    } else {
        expiry = json_pack("{s:s}", "policy", "none");
    }
    root = json_pack(
        "{s:s,s:s,s:s,s:{s:I,s:I},s:s,s:I,s:o,s:b,s:o,s:s,s:o,s:o}", "id", p->id, "name", p->name,
        "currency", p->currency, "earn_rate", "points", (json_int_t)p->earn_points, "per_amount",
        (json_int_t)p->earn_per_amount, "rounding", "floor", "pending_days",
        (json_int_t)p->pending_days, "expiry", expiry, "allow_negative_balance",
        p->allow_negative_balance, "excluded_categories", categories, "time_zone",
        p->time_zone != NULL ? p->time_zone : "UTC", "created_at", pt_json_time(p->created_at_ms),
        "updated_at", pt_json_time(p->updated_at_ms ? p->updated_at_ms : p->created_at_ms));
    if (root != NULL) {
        (void)json_object_set_new(root, "point_value",
                                  json_pack("{s:I,s:I}", "amount", (json_int_t)p->point_cost_amount,
                                            "points", (json_int_t)p->point_cost_points));
        (void)json_object_set_new(root, "tiers", pt_http_tiers_json(&p->tiers));
        (void)json_object_set_new(
            root, "wallet", json_pack("{s:I}", "pending_days", (json_int_t)p->wallet_pending_days));
        (void)json_object_set_new(root, "referrals", pt_http_referrals_json(&p->referrals));
        (void)json_object_set_new(root, "adjust_limits",
                                  json_pack("{s:I,s:I}", "staff", (json_int_t)p->adjust_staff_max,
                                            "admin", (json_int_t)p->adjust_admin_max));
        (void)json_object_set_new(root, "return_days", json_integer(p->return_days));
        (void)json_object_set_new(root, "hold_returnable", json_boolean(p->hold_returnable));
        (void)json_object_set_new(root, "rate_limits", pt_http_rate_limits_json(&p->rate_limits));
    }
    return root;
}

void pt_h_program_get(struct pt_http_ctx *ctx)
{
    struct pt_program p;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_program_get(ctx->svc, &ctx->who, &ctx->arena, &p, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, program_json(&p));
}

static enum pt_rc patch_earn_rate(json_t *v, struct pt_program *p, struct pt_err *err)
{
    static const char *const fields[] = {"points", "per_amount", NULL};
    enum pt_rc rc;
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "earn_rate",
                          "earn_rate must be an object like {\"points\":1,\"per_amount\":100}");
    }
    rc = pt_json_check_fields(v, fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "points", "earn_rate.points", false, 0, PT_EARN_RATE_POINTS_MAX,
                             &p->earn_points, NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "per_amount", "earn_rate.per_amount", false, 1,
                             PT_EARN_RATE_PER_AMOUNT_MAX, &p->earn_per_amount, NULL, err);
    }
    return rc;
}

static enum pt_rc patch_expiry(json_t *v, struct pt_arena *arena, struct pt_program *p,
                               struct pt_err *err)
{
    static const char *const fields[] = {"policy", "months", NULL};
    const char *policy = NULL;
    int64_t months = 0;
    bool has_months = false;
    enum pt_rc rc;
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "expiry",
                          "expiry must be {\"policy\":\"none\"} or "
                          "{\"policy\":\"rolling\",\"months\":12}");
    }
    rc = pt_json_check_fields(v, fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(v, "policy", true, arena, &policy, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "months", "expiry.months", false, 1, PT_EXPIRY_MONTHS_MAX, &months,
                             &has_months, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (strcmp(policy, "none") == 0 && !has_months) {
        p->expiry_months = 0;
    } else if (strcmp(policy, "rolling") == 0 && has_months) {
        p->expiry_months = months;
    } else {
        return pt_err_set(err, PT_EINVAL, "expiry.policy",
                          "expiry.policy must be none (without months) or rolling (with months)");
    }
    return PT_OK;
}

static enum pt_rc patch_categories(json_t *v, struct pt_arena *arena, struct pt_program *p,
                                   struct pt_err *err)
{
    size_t i;
    size_t total = 0;
    char *text;
    if (!json_is_array(v) || json_array_size(v) > PT_CATEGORIES_MAX) {
        return pt_err_set(err, PT_EINVAL, "excluded_categories",
                          "excluded_categories must be an array of at most %d names",
                          PT_CATEGORIES_MAX);
    }
    for (i = 0; i < json_array_size(v); i++) {
        json_t *c = json_array_get(v, i);
        char field[48];
        (void)snprintf(field, sizeof(field), "excluded_categories.%zu", i);
        if (!json_is_string(c) ||
            pt_validate_text(field, json_string_value(c), PT_CATEGORY_BYTES_MAX, err) != PT_OK ||
            strlen(json_string_value(c)) != json_string_length(c)) {
            return pt_err_set(err, PT_EINVAL, field, "%s must be a name of 1 to %d bytes", field,
                              PT_CATEGORY_BYTES_MAX);
        }
        total += json_string_length(c) + 1;
    }
    text = pt_arena_alloc(arena, total + 1);
    if (text == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    text[0] = '\0';
    for (i = 0; i < json_array_size(v); i++) {
        if (i > 0) {
            (void)strncat(text, "\n", total + 1 - strlen(text) - 1); /* Sized above. */
        }
        (void)strncat(text, json_string_value(json_array_get(v, i)), total + 1 - strlen(text) - 1);
    }
    p->excluded_categories = text;
    return PT_OK;
}

/* Points one adjustment may move, per role: {"staff": N, "admin": N}, each 0..PT_POINTS_MAX
 * (0: the role may not adjust); a role absent keeps its limit. */
static enum pt_rc patch_adjust_limits(json_t *v, struct pt_program *p, struct pt_err *err)
{
    static const char *const limit_fields[] = {"staff", "admin", NULL};
    enum pt_rc rc;
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "adjust_limits",
                          "adjust_limits is {\"staff\": points, \"admin\": points}");
    }
    rc = pt_json_check_fields(v, limit_fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "staff", "adjust_limits.staff", false, 0, PT_POINTS_MAX,
                             &p->adjust_staff_max, NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "admin", "adjust_limits.admin", false, 0, PT_POINTS_MAX,
                             &p->adjust_admin_max, NULL, err);
    }
    return rc;
}

/* Applies a settings patch onto p (fields absent from the patch keep their values). */
/* {"amount": 1, "points": 2}: what points cost the business, half a minor unit each here, an
 * exact rational like the earn rate (no floating point for money). */
static enum pt_rc patch_point_value(json_t *v, struct pt_program *p, struct pt_err *err)
{
    static const char *const cost_fields[] = {"amount", "points", NULL};
    enum pt_rc rc;
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "point_value",
                          "point_value is {\"amount\": minor units, \"points\": N}");
    }
    rc = pt_json_check_fields(v, cost_fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "amount", "point_value.amount", true, 0, 1000000000,
                             &p->point_cost_amount, NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "points", "point_value.points", true, 1, 1000000000,
                             &p->point_cost_points, NULL, err);
    }
    return rc;
}

/* The wallet's own pending period for cashback (docs/wallets.md). */
static enum pt_rc patch_wallet(json_t *v, struct pt_program *p, struct pt_err *err)
{
    static const char *const wallet_fields[] = {"pending_days", NULL};
    enum pt_rc rc;
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "wallet", "wallet is {\"pending_days\": N}");
    }
    rc = pt_json_check_fields(v, wallet_fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "pending_days", "wallet.pending_days", false, 0,
                             PT_PENDING_DAYS_MAX, &p->wallet_pending_days, NULL, err);
    }
    return rc;
}

/* A true/false setting named key, when the patch has it. */
static enum pt_rc patch_bool(json_t *patch, const char *key, bool *out, struct pt_err *err)
{
    json_t *v = json_object_get(patch, key);
    if (v == NULL) {
        return PT_OK;
    }
    if (!json_is_boolean(v)) {
        return pt_err_set(err, PT_EINVAL, key, "%s must be true or false", key);
    }
    *out = json_is_true(v);
    return PT_OK;
}

static enum pt_rc patch_currency(json_t *patch, struct pt_arena *arena, struct pt_program *p,
                                 struct pt_err *err)
{
    const char *currency = NULL;
    enum pt_rc rc = pt_json_get_string(patch, "currency", true, arena, &currency, err);
    if (rc == PT_OK && strlen(currency) >= sizeof(p->currency)) {
        rc = pt_err_set(err, PT_EINVAL, "currency", "currency must be an ISO 4217 code");
    }
    if (rc == PT_OK) {
        (void)snprintf(p->currency, sizeof(p->currency), "%s", currency);
    }
    return rc;
}

static enum pt_rc program_patch(json_t *patch, struct pt_arena *arena, struct pt_program *p,
                                struct pt_err *err)
{
    static const char *const fields[] = {"name",
                                         "currency",
                                         "earn_rate",
                                         "rounding",
                                         "pending_days",
                                         "expiry",
                                         "allow_negative_balance",
                                         "excluded_categories",
                                         "time_zone",
                                         "point_value",
                                         "tiers",
                                         "wallet",
                                         "referrals",
                                         "adjust_limits",
                                         "return_days",
                                         "hold_returnable",
                                         "rate_limits",
                                         NULL};
    const char *name = NULL;
    const char *rounding = NULL;
    json_t *v;
    enum pt_rc rc = pt_json_check_fields(patch, fields, err);
    if (rc == PT_OK && json_object_get(patch, "name") != NULL) {
        rc = pt_json_get_string(patch, "name", true, arena, &name, err);
        p->name = name;
    }
    if (rc == PT_OK && json_object_get(patch, "currency") != NULL) {
        rc = patch_currency(patch, arena, p, err);
    }
    if (rc == PT_OK && json_object_get(patch, "rounding") != NULL) {
        rc = pt_json_get_string(patch, "rounding", true, arena, &rounding, err);
        if (rc == PT_OK && strcmp(rounding, "floor") != 0) {
            rc = pt_err_set(err, PT_EINVAL, "rounding", "rounding must be floor");
        }
    }
    v = json_object_get(patch, "earn_rate");
    if (rc == PT_OK && v != NULL) {
        rc = patch_earn_rate(v, p, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(patch, "pending_days", "pending_days", false, 0, PT_PENDING_DAYS_MAX,
                             &p->pending_days, NULL, err);
    }
    v = json_object_get(patch, "expiry");
    if (rc == PT_OK && v != NULL) {
        rc = patch_expiry(v, arena, p, err);
    }
    if (rc == PT_OK) {
        rc = patch_bool(patch, "allow_negative_balance", &p->allow_negative_balance, err);
    }
    v = json_object_get(patch, "excluded_categories");
    if (rc == PT_OK && v != NULL) {
        rc = patch_categories(v, arena, p, err);
    }
    v = json_object_get(patch, "point_value");
    if (rc == PT_OK && v != NULL) {
        rc = patch_point_value(v, p, err);
    }
    v = json_object_get(patch, "tiers");
    if (rc == PT_OK && v != NULL) {
        rc = pt_http_tiers_parse(v, arena, &p->tiers, err);
    }
    v = json_object_get(patch, "referrals");
    if (rc == PT_OK && v != NULL) {
        rc = pt_http_referrals_parse(v, &p->referrals, err);
    }
    v = json_object_get(patch, "wallet");
    if (rc == PT_OK && v != NULL) {
        rc = patch_wallet(v, p, err);
    }
    v = json_object_get(patch, "adjust_limits");
    if (rc == PT_OK && v != NULL) {
        rc = patch_adjust_limits(v, p, err);
    }
    if (rc == PT_OK) {
        /* The return window and the hold on what returns may take back (docs/ledger.md). */
        rc = pt_json_get_int(patch, "return_days", "return_days", false, 0, PT_RETURN_DAYS_MAX,
                             &p->return_days, NULL, err);
    }
    if (rc == PT_OK) {
        rc = patch_bool(patch, "hold_returnable", &p->hold_returnable, err);
    }
    if (rc == PT_OK && json_object_get(patch, "time_zone") != NULL) {
        /* Checked against the system's tz database by the service. */
        rc = pt_json_get_string(patch, "time_zone", true, arena, &p->time_zone, err);
    }
    return rc;
}

static enum pt_rc apply_program_patch(void *patch, struct pt_arena *arena, struct pt_program *p,
                                      struct pt_err *err)
{
    enum pt_rc rc = program_patch(patch, arena, p, err);
    json_t *limits = json_object_get(patch, "rate_limits");
    if (rc == PT_OK && limits != NULL) {
        rc = pt_http_rate_limits_parse(limits, &p->rate_limits, err); /* ratelimit.c */
    }
    return rc;
}

void pt_h_program_patch(struct pt_http_ctx *ctx)
{
    struct pt_program p;
    struct pt_err err;
    json_t *patch = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (patch == NULL) {
        return;
    }
    /* The patch is applied to the program as the write reads it. */
    rc = pt_service_program_update(ctx->svc, &ctx->who, apply_program_patch, patch, &ctx->arena, &p,
                                   &err);
    json_decref(patch);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_ratelimit_forget(ctx->who.program_id); /* New limits apply from the next request. */
    pt_http_reply_json(ctx, 200, program_json(&p));
}
