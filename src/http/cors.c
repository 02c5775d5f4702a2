/* SPDX-License-Identifier: MIT */
/*
 * CORS for the routes a web shop's page calls with a publishable key (docs/security.md,
 * "CORS"), and for no other route. A preflight (OPTIONS) on such a route is answered 204 before
 * anything else: with Access-Control-Allow-Origin echoing the Origin when an active
 * publishable key of some program allows it, else without it (the browser then refuses the
 * request). It reads no body and names no key or program, so it tells a caller nothing but
 * whether its origin is allowed somewhere. An actual request is answered with the origin only
 * when its publishable key allows it (auth.c sets ctx->cors). Never "*", never credentials: a
 * page's cookies are not sent cross-origin, and the key is in Authorization.
 */
#include "http/http_int.h"

#include "base/assert.h"

#include <string.h>

/* Whether the path is one of a publishable route's (their paths hold no parameter). */
static bool publishable_path(const char *path)
{
    unsigned i;
    for (i = 0; i < pt_route_count; i++) {
        if ((pt_routes[i].flags & PT_ROUTE_PUBLISHABLE) &&
            strcmp(pt_routes[i].pattern, path) == 0) {
            pt_assert(strchr(pt_routes[i].pattern, '{') == NULL);
            return true;
        }
    }
    return false;
}

bool pt_http_cors_preflight(struct pt_http_ctx *ctx)
{
    const char *origin = pt_http_header(ctx, "Origin");
    bool allowed = false;
    struct pt_err err;
    pt_err_clear(&err);
    if (!publishable_path(ctx->path)) {
        return false; /* Routed as any request: 405 on a known path, 404 on none. */
    }
    /* A store that cannot answer allows nothing: the browser refuses, the page retries. */
    if (origin != NULL &&
        pt_service_origin_allowed(ctx->svc, origin, strlen(origin), &allowed, &err) != PT_OK) {
        allowed = false;
    }
    pt_http_reply_raw(ctx, 204, "text/plain", "", 0, false);
    (void)pt_http_response_header(&ctx->resp, "Vary", "Origin");
    if (allowed) {
        (void)pt_http_response_header(&ctx->resp, "Access-Control-Allow-Origin", origin);
        (void)pt_http_response_header(&ctx->resp, "Access-Control-Allow-Methods", "GET, POST");
        (void)pt_http_response_header(&ctx->resp, "Access-Control-Allow-Headers",
                                      "Authorization, Content-Type, X-Patron-Member-Token");
        (void)pt_http_response_header(&ctx->resp, "Access-Control-Max-Age", "600");
    }
    return true;
}

void pt_http_cors_headers(const struct pt_http_ctx *ctx, struct pt_http_response *resp)
{
    const char *origin;
    if (!ctx->cors) {
        return;
    }
    origin = pt_http_header(ctx, "Origin");
    pt_assert(origin != NULL); /* auth.c found it among the key's origins. */
    /* The header block has room for these (an origin is at most 253 bytes). */
    (void)pt_http_response_header(resp, "Access-Control-Allow-Origin", origin);
    (void)pt_http_response_header(resp, "Vary", "Origin");
}
