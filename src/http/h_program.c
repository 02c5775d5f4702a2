/* SPDX-License-Identifier: MIT */
/* Program settings: GET and PATCH /v1/program (admin keys). */
#include "http/http_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

/* The settings the field table leaves to this file (pt_program_fields). new */
static json_t *custom_json(void *ctx, const struct pt_field *f, const void *obj)
{
    const struct pt_program *p = obj;
    (void)ctx;
    if (strcmp(f->name, "currency") == 0) {
        return json_string(p->currency);
    }
    if (strcmp(f->name, "rounding") == 0) {
        return json_string("floor");
    }
    if (strcmp(f->name, "expiry") == 0) {
        return p->expiry_months > 0 ? json_pack("{s:s,s:I}", "policy", "rolling", "months",
                                                (json_int_t)p->expiry_months)
                                    : json_pack("{s:s}", "policy", "none");
    }
    if (strcmp(f->name, "excluded_categories") == 0) {
        return pt_json_names(p->excluded_categories, p->excluded_category_count);
    }
    if (strcmp(f->name, "time_zone") == 0) {
        return json_string(p->time_zone != NULL ? p->time_zone : "UTC");
    }
    if (strcmp(f->name, "tiers") == 0) {
        return pt_http_tiers_json(&p->tiers);
    }
    if (strcmp(f->name, "referrals") == 0) {
        return pt_http_referrals_json(&p->referrals);
    }
    pt_assert(strcmp(f->name, "rate_limits") == 0);
    return pt_http_rate_limits_json(&p->rate_limits);
}

/* The settings as the API shows them: the id, the fields to time_zone, the times, then the
 * rest (the order the answer has always had; the table is in the order a PATCH checks them). */
static json_t *program_json(const struct pt_program *p)
{
    static const char *const before_times[] = {"name",
                                               "currency",
                                               "earn_rate",
                                               "rounding",
                                               "pending_days",
                                               "expiry",
                                               "allow_negative_balance",
                                               "excluded_categories",
                                               "time_zone",
                                               NULL};
    static const char *const after_times[] = {"point_value",
                                              "tiers",
                                              "wallet",
                                              "referrals",
                                              "adjust_limits",
                                              "return_days",
                                              "hold_returnable",
                                              "spend_before_discounts",
                                              "best_discount_only",
                                              "points_payment",
                                              "rate_limits",
                                              "enrollment",
                                              "clv_discount_rate_bp",
                                              NULL};
    json_t *root = pt_http_fields_encode_in(pt_program_fields, pt_program_field_count, before_times,
                                            p, json_pack("{s:s}", "id", p->id), custom_json, NULL);
    if (root != NULL) {
        (void)json_object_set_new(root, "created_at", pt_json_time(p->created_at_ms));
        (void)json_object_set_new(
            root, "updated_at",
            pt_json_time(p->updated_at_ms ? p->updated_at_ms : p->created_at_ms));
    }
    return pt_http_fields_encode_in(pt_program_fields, pt_program_field_count, after_times, p, root,
                                    custom_json, NULL);
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
    if (!json_is_array(v) || json_array_size(v) > PT_CATEGORIES_MAX) {
        return pt_err_set(err, PT_EINVAL, "excluded_categories",
                          "excluded_categories must be an array of at most %d names",
                          PT_CATEGORIES_MAX);
    }
    for (i = 0; i < json_array_size(v); i++) {
        json_t *c = json_array_get(v, i);
        bool is_name = json_is_string(c) && strlen(json_string_value(c)) == json_string_length(c);
        enum pt_rc rc = pt_program_category_check(i, is_name ? json_string_value(c) : NULL, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return pt_json_names_copy(v, arena, &p->excluded_categories, &p->excluded_category_count, err);
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

/* The settings the field table leaves to this file (pt_program_fields), given in patch. */
static enum pt_rc custom_patch(void *ctx, const struct pt_field *f, json_t *patch,
                               struct pt_arena *arena, void *obj, struct pt_err *err)
{
    struct pt_program *p = obj;
    json_t *v = json_object_get(patch, f->name);
    const char *rounding = NULL;
    enum pt_rc rc;
    (void)ctx;
    if (strcmp(f->name, "currency") == 0) {
        return patch_currency(patch, arena, p, err);
    }
    if (strcmp(f->name, "rounding") == 0) {
        rc = pt_json_get_string(patch, "rounding", true, arena, &rounding, err);
        if (rc == PT_OK && strcmp(rounding, "floor") != 0) {
            rc = pt_err_set(err, PT_EINVAL, "rounding", "rounding must be floor");
        }
        return rc;
    }
    if (strcmp(f->name, "expiry") == 0) {
        return patch_expiry(v, arena, p, err);
    }
    if (strcmp(f->name, "excluded_categories") == 0) {
        return patch_categories(v, arena, p, err);
    }
    if (strcmp(f->name, "time_zone") == 0) {
        /* Checked against the system's tz database by the service. */
        return pt_json_get_string(patch, "time_zone", true, arena, &p->time_zone, err);
    }
    if (strcmp(f->name, "tiers") == 0) {
        return pt_http_tiers_parse(v, arena, &p->tiers, err);
    }
    if (strcmp(f->name, "referrals") == 0) {
        return pt_http_referrals_parse(v, &p->referrals, err);
    }
    pt_assert(strcmp(f->name, "rate_limits") == 0);
    return pt_http_rate_limits_parse(v, &p->rate_limits, err); /* ratelimit.c */
}

/* Applies a settings patch onto p as the write reads it (fields absent from the patch keep
 * their values), by the settings' field table. */
static enum pt_rc apply_program_patch(void *patch, struct pt_arena *arena, struct pt_program *p,
                                      struct pt_err *err)
{
    return pt_http_fields_decode(pt_program_fields, pt_program_field_count, patch, arena, p,
                                 custom_patch, NULL, err);
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
