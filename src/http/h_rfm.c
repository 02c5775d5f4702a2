/* SPDX-License-Identifier: MIT */
/*
 * RFM (docs/analytics.md, "RFM"): GET /v1/analytics/rfm (every purchasing member's row, paged
 * by member id, or all of them as CSV), GET /v1/analytics/rfm/segments (customers, orders and
 * revenue per named segment) and GET /v1/members/{id}/rfm (one member's row). Each request
 * scores the whole program (service/rfm.c); the rows live on the heap until the answer is made,
 * or, for CSV, until the stream that writes them ends.
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "service/service_rfm.h"

#include <stdio.h>
#include <string.h>

#define CSV_HEADER                                                                                 \
    "member_id,recency_days,transaction_count,amount,recency_score,frequency_score,"               \
    "monetary_score,rfm_score,segment\n"
/* One CSV line: an id, four integers of at most 20 characters, five small ones, a name. */
#define CSV_LINE_BYTES 256

static json_t *row_json(const void *item, const void *cls)
{
    const struct pt_rfm_row *r = item;
    (void)cls;
    return json_pack("{s:s,s:I,s:I,s:I,s:i,s:i,s:i,s:i,s:s}", "member_id", r->member_id,
                     "recency_days", (json_int_t)r->recency_days, "transaction_count",
                     (json_int_t)r->transaction_count, "amount", (json_int_t)r->amount,
                     "recency_score", r->recency_score, "frequency_score", r->frequency_score,
                     "monetary_score", r->monetary_score, "rfm_score", r->rfm_score, "segment",
                     pt_rfm_segment_names[r->segment]);
}

static const char *const list_params[] = {"as_of", "limit", "cursor", "format", NULL};
static const char *const as_of_params[] = {"as_of", NULL};

static const struct pt_http_list rfm_list = {
    .params = list_params,
    .id_prefix = "mem",
    .item_bytes = sizeof(struct pt_rfm_row),
    .key_offset = offsetof(struct pt_rfm_row, member_id),
    .encode = row_json,
};

/* The query parameter as_of: NULL when absent, "" when given without a value (not a date). */
static const char *query_as_of(struct pt_http_ctx *ctx)
{
    unsigned i;
    for (i = 0; i < ctx->query_count; i++) {
        if (strcmp(ctx->query[i].key, "as_of") == 0) {
            return ctx->query[i].value != NULL ? ctx->query[i].value : "";
        }
    }
    return NULL;
}

/* Scores the program; false after answering the error. */
static bool rfm_get(struct pt_http_ctx *ctx, const char *member_id, struct pt_rfm_answer *a)
{
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_rfm(ctx->svc, &ctx->who, query_as_of(ctx), member_id, &ctx->arena, a, &err) !=
        PT_OK) {
        pt_service_rfm_fini(a);
        pt_http_reply_err(ctx, &err);
        return false;
    }
    return true;
}

/* ---- CSV ---- */

struct csv_stream {
    struct pt_rfm_answer a; /* owned */
    size_t next;            /* The next row to write. */
    char line[CSV_LINE_BYTES];
    size_t line_len;
    size_t line_sent;
    bool header_done;
};

static size_t csv_line(const struct pt_rfm_row *r, char *out)
{
    int n = snprintf(out, CSV_LINE_BYTES, "%s,%lld,%lld,%lld,%d,%d,%d,%d,%s\n", r->member_id,
                     (long long)r->recency_days, (long long)r->transaction_count,
                     (long long)r->amount, r->recency_score, r->frequency_score, r->monetary_score,
                     r->rfm_score, pt_rfm_segment_names[r->segment]);
    pt_assert(n > 0 && n < CSV_LINE_BYTES);
    return (size_t)n;
}

static void csv_free(void *cls)
{
    struct csv_stream *s = cls;
    pt_service_rfm_fini(&s->a);
    pt_free(s);
}

static ssize_t csv_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct csv_stream *s = cls;
    size_t n = 0;
    (void)pos;
    while (n < max) {
        size_t take;
        if (s->line_sent == s->line_len) {
            if (!s->header_done) {
                s->line_len = strlen(CSV_HEADER);
                memcpy(s->line, CSV_HEADER, s->line_len);
                s->header_done = true;
            } else if (s->next < s->a.count) {
                s->line_len = csv_line(&s->a.rows[s->next++], s->line);
            } else {
                break;
            }
            s->line_sent = 0;
        }
        take = s->line_len - s->line_sent < max - n ? s->line_len - s->line_sent : max - n;
        memcpy(buf + n, s->line + s->line_sent, take);
        s->line_sent += take;
        n += take;
    }
    return n == 0 ? PT_HTTP_STREAM_END : (ssize_t)n;
}

static void reply_csv(struct pt_http_ctx *ctx, struct pt_rfm_answer *a)
{
    struct csv_stream *s = pt_calloc(1, sizeof(*s));
    uint64_t size = strlen(CSV_HEADER);
    size_t i;
    if (s == NULL) {
        pt_service_rfm_fini(a);
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory; retry");
        return;
    }
    s->a = *a; /* The stream owns the rows from here. */
    for (i = 0; i < s->a.count; i++) {
        size += csv_line(&s->a.rows[i], s->line);
    }
    pt_http_reply_stream(ctx, "text/csv; charset=utf-8", size, csv_read, s, csv_free);
}

/* ---- Handlers ---- */

void pt_h_rfm_list(struct pt_http_ctx *ctx)
{
    struct pt_http_page page;
    struct pt_rfm_answer a;
    const char *format = pt_http_query(ctx, "format");
    size_t from;
    size_t count;
    json_t *envelope;
    if (!pt_http_list_params(ctx, &rfm_list, &page)) {
        return;
    }
    if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
        pt_http_reply_error(ctx, 400, "validation_failed", "format", "format must be json or csv");
        return;
    }
    if (format != NULL && strcmp(format, "csv") == 0 &&
        (pt_http_query(ctx, "limit") != NULL || page.cursor != NULL)) {
        pt_http_reply_error(ctx, 400, "validation_failed", page.cursor != NULL ? "cursor" : "limit",
                            "format=csv answers every row: limit and cursor page the JSON list");
        return;
    }
    if (!rfm_get(ctx, NULL, &a)) {
        return;
    }
    if (format != NULL && strcmp(format, "csv") == 0) {
        reply_csv(ctx, &a);
        return;
    }
    from = pt_service_rfm_after(&a, page.cursor);
    count = a.count - from < (size_t)page.limit + 1 ? a.count - from : (size_t)page.limit + 1;
    envelope = json_pack("{s:s,s:s}", "as_of", a.as_of, "currency", a.currency);
    pt_http_reply_list_in(ctx, &rfm_list, &page, a.rows + from, (unsigned)count, NULL, envelope);
    pt_service_rfm_fini(&a);
}

void pt_h_rfm_segments(struct pt_http_ctx *ctx)
{
    struct pt_rfm_answer a;
    int64_t customers[PT_RFM_SEGMENT_COUNT] = {0};
    int64_t orders[PT_RFM_SEGMENT_COUNT] = {0};
    int64_t revenue[PT_RFM_SEGMENT_COUNT] = {0};
    bool overflow = false;
    json_t *data = json_array();
    size_t i;
    if (!pt_http_query_check(ctx, as_of_params) || !rfm_get(ctx, NULL, &a)) {
        json_decref(data);
        return;
    }
    for (i = 0; i < a.count; i++) {
        const struct pt_rfm_row *r = &a.rows[i];
        customers[r->segment]++;
        overflow =
            __builtin_add_overflow(orders[r->segment], r->transaction_count, &orders[r->segment]) ||
            __builtin_add_overflow(revenue[r->segment], r->amount, &revenue[r->segment]) ||
            overflow;
    }
    if (overflow) {
        pt_service_rfm_fini(&a);
        json_decref(data);
        pt_http_reply_error(ctx, 422, "limit_exceeded", NULL,
                            "a segment's revenue is past the largest integer");
        return;
    }
    for (i = 0; data != NULL && i < PT_RFM_SEGMENT_COUNT; i++) {
        (void)json_array_append_new(
            data, json_pack("{s:s,s:I,s:I,s:I}", "segment", pt_rfm_segment_names[i], "customers",
                            (json_int_t)customers[i], "orders", (json_int_t)orders[i], "revenue",
                            (json_int_t)revenue[i]));
    }
    pt_http_reply_json(ctx, 200,
                       json_pack("{s:s,s:s,s:I,s:o}", "as_of", a.as_of, "currency", a.currency,
                                 "customers", (json_int_t)a.count, "data", data));
    pt_service_rfm_fini(&a);
}

void pt_h_member_rfm(struct pt_http_ctx *ctx)
{
    struct pt_rfm_answer a;
    const struct pt_rfm_row *r;
    json_t *row;
    if (!pt_http_query_check(ctx, as_of_params) || !rfm_get(ctx, ctx->params[0], &a)) {
        return;
    }
    r = pt_service_rfm_find(&a, ctx->params[0]);
    if (r == NULL) {
        char message[80];
        (void)snprintf(message, sizeof(message), "the member has no purchase on or before %s",
                       a.as_of);
        pt_service_rfm_fini(&a);
        pt_http_reply_error(ctx, 404, "not_found", NULL, message);
        return;
    }
    row = row_json(r, NULL);
    if (row != NULL) {
        (void)json_object_set_new(row, "as_of", json_string(a.as_of));
        (void)json_object_set_new(row, "currency", json_string(a.currency));
    }
    pt_http_reply_json(ctx, 200, row);
    pt_service_rfm_fini(&a);
}
