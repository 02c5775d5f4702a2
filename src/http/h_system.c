/* SPDX-License-Identifier: MIT */
/* Operational endpoints outside /v1: health and metrics (no key needed). */
#include "http/http_int.h"

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
    pt_buf_init(&buf, 256 * 1024);
    pt_metrics_render(&buf);
    if (buf.failed) {
        pt_buf_fini(&buf);
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory, retry");
        return;
    }
    pt_http_reply_raw(ctx, 200, "text/plain; version=0.0.4", buf.ptr, buf.len, false);
    pt_buf_fini(&buf);
}
