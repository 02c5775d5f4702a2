/* SPDX-License-Identifier: MIT */
/*
 * GET /v1/program/summary: the program's figures for its dashboard (docs/ledger.md, "The
 * program's figures"): members, points issued, taken back, redeemed, expired and adjusted in the
 * period, outstanding and pending now, the liability at the point value, the wallets, and a row
 * per month of the period.
 */
#include "http/http_int.h"

#include "base/assert.h"
#include "service/service_summary.h"

#include <string.h>

static json_t *flows_json(json_t *obj, const struct pt_summary_flows *f)
{
    if (obj != NULL) {
        (void)json_object_set_new(obj, "issued", json_integer(f->issued));
        (void)json_object_set_new(obj, "reversed", json_integer(f->reversed));
        (void)json_object_set_new(obj, "redeemed", json_integer(f->redeemed));
        (void)json_object_set_new(obj, "expired", json_integer(f->expired));
        (void)json_object_set_new(obj, "adjusted", json_integer(f->adjusted));
    }
    return obj;
}

/* A row of the series: the month's enrollments, points and purchases. new */
static json_t *month_json(const char *month, const struct pt_summary_month *m)
{
    json_t *row = json_pack("{s:s,s:I}", "month", month, "enrolled", (json_int_t)m->enrolled);
    row = flows_json(row, &m->points);
    if (row != NULL) {
        (void)json_object_set_new(row, "purchases", json_integer(m->purchases));
        (void)json_object_set_new(row, "revenue", json_integer(m->revenue));
    }
    return row;
}

/* The answer. new (NULL when memory ran out) */
static json_t *summary_json(const struct pt_program_summary *s)
{
    const struct pt_summary *f = &s->figures;
    json_t *series = json_array();
    json_t *points = flows_json(json_object(), &f->points);
    unsigned i;
    if (points != NULL) {
        (void)json_object_set_new(points, "outstanding", json_integer(f->outstanding));
        (void)json_object_set_new(points, "pending", json_integer(f->pending));
    }
    for (i = 0; series != NULL && i < s->period.month_count; i++) {
        (void)json_array_append_new(series, month_json(s->period.months[i], &f->months[i]));
    }
    return json_pack(
        "{s:o,s:s,s:{s:s,s:s,s:s},s:{s:I,s:I,s:I},s:o,s:{s:I,s:I,s:{s:I,s:I}},s:{s:I},s:o}",
        "as_of", pt_json_time(f->as_of_ms), "currency", s->program.currency, "period", "from",
        s->period.from, "to", s->period.to, "time_zone",
        s->program.time_zone != NULL ? s->program.time_zone : "UTC", "members", "total",
        (json_int_t)f->members_total, "active", (json_int_t)f->members_active, "enrolled",
        (json_int_t)f->members_enrolled, "points", points, "liability", "points",
        (json_int_t)f->outstanding, "amount", (json_int_t)f->liability_amount, "point_value",
        "amount", (json_int_t)s->program.point_cost_amount, "points",
        (json_int_t)s->program.point_cost_points, "wallet", "outstanding",
        (json_int_t)f->wallet_outstanding, "series", series);
}

/* The query parameter name: NULL when absent, "" when given without a value (which is not a
 * date: refused, rather than taken for the default). */
static const char *query_date(struct pt_http_ctx *ctx, const char *name)
{
    unsigned i;
    for (i = 0; i < ctx->query_count; i++) {
        if (strcmp(ctx->query[i].key, name) == 0) {
            return ctx->query[i].value != NULL ? ctx->query[i].value : "";
        }
    }
    return NULL;
}

void pt_h_program_summary(struct pt_http_ctx *ctx)
{
    static const char *const params[] = {"from", "to", NULL};
    struct pt_program_summary *s;
    struct pt_err err;
    if (!pt_http_query_check(ctx, params)) {
        return;
    }
    pt_err_clear(&err);
    /* Some 5 KB of months: the arena's, not the connection thread's stack. */
    s = pt_arena_alloc(&ctx->arena, sizeof(*s));
    if (s == NULL) {
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory");
        return;
    }
    if (pt_service_program_summary(ctx->svc, &ctx->who, query_date(ctx, "from"),
                                   query_date(ctx, "to"), &ctx->arena, s, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, summary_json(s));
}
