/* SPDX-License-Identifier: MIT */
/* Operational endpoints outside /v1: health and metrics (no key needed). */
#include "http/http_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

void pt_h_healthz(struct pt_http_ctx *ctx)
{
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_ping(ctx->svc, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, json_pack("{s:s}", "status", "ok"));
}

void pt_h_metrics(struct pt_http_ctx *ctx)
{
    struct pt_buf buf;
    int64_t statements;
    int64_t txn_control;
    char line[320];
    int n;
    pt_buf_init(&buf, 256 * 1024);
    pt_metrics_render(&buf);
    pt_service_statement_count(ctx->svc, &statements, &txn_control);
    n = snprintf(line, sizeof(line),
                 "# HELP patron_store_statements_total SQL statements run by the store.\n"
                 "# TYPE patron_store_statements_total counter\n"
                 "patron_store_statements_total{kind=\"query\"} %lld\n"
                 "patron_store_statements_total{kind=\"transaction_control\"} %lld\n",
                 (long long)statements, (long long)txn_control);
    pt_assert(n > 0 && (size_t)n < sizeof(line));
    (void)pt_buf_append(&buf, line, (size_t)n); /* buf.failed is checked below. */
    if (buf.failed) {
        pt_buf_fini(&buf);
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory, retry");
        return;
    }
    pt_http_reply_raw(ctx, 200, "text/plain; version=0.0.4", buf.ptr, buf.len, false);
    pt_buf_fini(&buf);
}
