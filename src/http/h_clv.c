/* SPDX-License-Identifier: MIT */
/*
 * Customer lifetime value (docs/analytics.md): POST /v1/analytics/clv/fit (admin), GET
 * /v1/analytics/clv and GET /v1/members/{id}/value (admin and viewer). The model's figures are
 * JSON numbers (doubles: statistics, not money); money is integers of minor units.
 */
#include "http/http_int.h"

#include "base/names.h"
#include "service/service_clv.h"

#include <string.h>

/* The model as the fit and GET /v1/analytics/clv answer it, exactly the fields. new */
static json_t *model_json(const struct pt_clv_model *m)
{
    return json_pack(
        "{s:{s:f,s:f,s:f,s:f,s:f},s:{s:f,s:f,s:f,s:f},s:I,s:I,s:s,s:s}", "bgnbd", "r", m->bgnbd.r,
        "alpha", m->bgnbd.alpha, "a", m->bgnbd.a, "b", m->bgnbd.b, "log_likelihood", m->bgnbd_ll,
        "gamma_gamma", "p", m->gg.p, "q", m->gg.q, "gamma", m->gg.gamma, "log_likelihood", m->gg_ll,
        "customers", (json_int_t)m->customers, "repeat_customers", (json_int_t)m->repeat_customers,
        "calibration_end", m->calibration_end, "time_unit", pt_clv_unit_names[m->unit]);
}

void pt_h_clv_fit(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"calibration_end", "time_unit", NULL};
    struct pt_clv_model m;
    struct pt_err err;
    const char *end = NULL;
    const char *unit_name = NULL;
    int unit = PT_CLV_UNIT_WEEK;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    if (body == NULL) {
        return;
    }
    pt_err_clear(&err);
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "calibration_end", true, &ctx->arena, &end, &err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "time_unit", false, &ctx->arena, &unit_name, &err);
    }
    if (rc == PT_OK && unit_name != NULL) {
        unit = pt_name_index(pt_clv_unit_names, PT_CLV_UNITS, unit_name);
        if (unit < 0) {
            rc = pt_err_set(&err, PT_EINVAL, "time_unit", "time_unit must be week or day");
        }
    }
    json_decref(body);
    if (rc == PT_OK) {
        rc = pt_service_clv_fit(ctx->svc, &ctx->who, end, (enum pt_clv_unit)unit, &m, &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, model_json(&m));
}

void pt_h_clv_get(struct pt_http_ctx *ctx)
{
    struct pt_clv_model m;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_clv_get(ctx->svc, &ctx->who, &m, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, model_json(&m));
}

/* The query's horizon: 1 to 6 digits (the service bounds it by the unit). */
static bool horizon_parse(const char *s, int64_t *out)
{
    size_t i;
    size_t n = s != NULL ? strlen(s) : 0;
    *out = 0;
    if (n < 1 || n > 6) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        *out = *out * 10 + (s[i] - '0');
    }
    return true;
}

static json_t *value_json(const char *member_id, const struct pt_member_value *v)
{
    return json_pack("{s:s,s:s,s:I,s:s,s:f,s:f,s:f,s:f,s:f,s:s,s:I,s:I,s:I}", "member_id",
                     member_id, "as_of", v->as_of, "horizon", (json_int_t)v->horizon, "time_unit",
                     pt_clv_unit_names[v->model.unit], "x", v->value.x, "t_x", v->value.t_x, "T",
                     v->value.T, "expected_purchases", v->value.expected_purchases, "p_alive",
                     v->value.p_alive, "currency", v->currency, "expected_spend_per_purchase",
                     (json_int_t)v->value.expected_spend_per_purchase, "clv",
                     (json_int_t)v->value.clv, "discount_rate_bp", (json_int_t)v->discount_rate_bp);
}

void pt_h_member_value(struct pt_http_ctx *ctx)
{
    static const char *const params[] = {"horizon", "as_of", NULL};
    struct pt_member_value v;
    struct pt_err err;
    int64_t horizon = 0;
    if (!pt_http_query_check(ctx, params)) {
        return;
    }
    pt_err_clear(&err);
    if (!horizon_parse(pt_http_query(ctx, "horizon"), &horizon)) {
        pt_http_reply_error(ctx, 400, "validation_failed", "horizon",
                            "horizon must be a whole number of the model's time units, from 1");
        return;
    }
    if (pt_service_member_value(ctx->svc, &ctx->who, ctx->params[0], horizon,
                                pt_http_query(ctx, "as_of"), &ctx->arena, &v, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, value_json(ctx->params[0], &v));
}
