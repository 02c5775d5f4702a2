/* SPDX-License-Identifier: MIT */
/*
 * The server: a request's life (routing, authentication, limits, logging), the answers handlers
 * queue, and graceful shutdown. A request's context is created when its head arrives
 * (connection.c reads it, wire.c parses it), is admitted or refused before a byte of its body is
 * read, collects the body (at most PT_HTTP_BODY_BYTES_MAX), is dispatched once the body is
 * complete, and is freed once its answer is sent. Handlers run on the connection's thread.
 */
#include "http/http.h"
#include "http/http_int.h"
#include "http/static.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/random.h"
#include "core/codes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static atomic_int inflight_count; /* Requests between headers and completion. */
/* Set by SIGINT/SIGTERM: new requests are refused while in-flight ones finish. */
static volatile sig_atomic_t stop_requested;

/* ---- Responses ---- */

bool pt_http_response_header(struct pt_http_response *resp, const char *name, const char *value)
{
    size_t room = sizeof(resp->headers) - resp->headers_len;
    int n = snprintf(resp->headers + resp->headers_len, room, "%s: %s\r\n", name, value);
    if (n < 0 || (size_t)n >= room) {
        resp->headers[resp->headers_len] = '\0';
        return false;
    }
    resp->headers_len += (size_t)n;
    return true;
}

static void reply_finish(struct pt_http_ctx *ctx, unsigned status)
{
    (void)pt_http_response_header(&ctx->resp, "X-Request-Id", ctx->request_id);
    pt_http_ratelimit_headers(ctx, &ctx->resp);
    pt_http_cors_headers(ctx, &ctx->resp);
    ctx->resp.status = status;
    ctx->answered = true;
    ctx->status = (int)status;
}

/* A fresh response: a handler's error answer replaces nothing queued before (asserted). */
static struct pt_http_response *reply_begin(struct pt_http_ctx *ctx)
{
    pt_assert(!ctx->answered);
    memset(&ctx->resp, 0, sizeof(ctx->resp));
    return &ctx->resp;
}

/* Answers with body (len bytes; owned: pt_malloc'ed and now the response's, else borrowed). */
static void reply_body(struct pt_http_ctx *ctx, unsigned status, const char *content_type,
                       const char *body, size_t len, char *owned, bool replayed)
{
    struct pt_http_response *resp = reply_begin(ctx);
    resp->body = len > 0 ? body : NULL;
    resp->body_len = len;
    resp->body_owned = owned;
    (void)pt_http_response_header(resp, "Content-Type", content_type);
    if (replayed) {
        (void)pt_http_response_header(resp, "Idempotent-Replayed", "true");
    }
    if (status == 503) {
        (void)pt_http_response_header(resp, "Retry-After", "1");
    }
    reply_finish(ctx, status);
}

void pt_http_reply_borrowed(struct pt_http_ctx *ctx, unsigned status, const char *content_type,
                            const char *body, size_t len, bool replayed)
{
    reply_body(ctx, status, content_type, body, len, NULL, replayed);
}

void pt_http_reply_raw(struct pt_http_ctx *ctx, unsigned status, const char *content_type,
                       const char *body, size_t len, bool replayed)
{
    /* Static, so that it needs no memory. */
    static const char out_of_memory[] =
        "{\"error\":{\"code\":\"unavailable\",\"message\":\"out of memory, retry\"}}";
    char *copy = len > 0 ? pt_malloc(len) : NULL;
    if (len > 0 && copy == NULL) {
        reply_body(ctx, 503, "application/json", out_of_memory, sizeof(out_of_memory) - 1, NULL,
                   false);
        return;
    }
    if (copy != NULL) {
        memcpy(copy, body, len);
    }
    reply_body(ctx, status, content_type, copy, len, copy, replayed);
}

void pt_http_reply_stream(struct pt_http_ctx *ctx, const char *content_type, uint64_t size,
                          pt_http_stream_fn reader, void *cls, pt_http_stream_free_fn free_cls)
{
    struct pt_http_response *resp = reply_begin(ctx);
    resp->stream = reader;
    resp->stream_cls = cls;
    resp->stream_free = free_cls;
    resp->stream_size = size;
    (void)pt_http_response_header(resp, "Content-Type", content_type);
    reply_finish(ctx, 200);
}

void pt_http_reply_json(struct pt_http_ctx *ctx, unsigned status, json_t *root)
{
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (text == NULL) {
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory, retry");
        return;
    }
    /* jansson allocates through the heap wrapper (json_set_alloc_funcs below): the response
     * takes the text as it is. */
    reply_body(ctx, status, "application/json", text, strlen(text), text, false);
}

void pt_http_reply_error(struct pt_http_ctx *ctx, unsigned status, const char *code,
                         const char *field, const char *message)
{
    char body[512];
    json_t *error = json_pack("{s:s,s:s}", "code", code, "message", message);
    json_t *root;
    char *text;
    if (error != NULL && field != NULL && field[0] != '\0') {
        (void)json_object_set_new(error, "field", json_string(field));
    }
    root = error ? json_pack("{s:o}", "error", error) : NULL;
    text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (text == NULL) {
        /* Out of memory: a fixed body still tells the client what happened. */
        (void)snprintf(body, sizeof(body),
                       "{\"error\":{\"code\":\"unavailable\",\"message\":\"out of memory\"}}");
        pt_http_reply_raw(ctx, 503, "application/json", body, strlen(body), false);
        return;
    }
    reply_body(ctx, status, "application/json", text, strlen(text), text, false);
}

void pt_http_reply_err(struct pt_http_ctx *ctx, const struct pt_err *err)
{
    unsigned status = pt_http_status_of(err->rc);
    const char *code = err->code[0] ? err->code : pt_http_code_of(err->rc);
    if (status >= 500) {
        char extra[512];
        char esc[200];
        pt_log_escape(err->msg, strlen(err->msg), esc, sizeof(esc));
        (void)snprintf(extra, sizeof(extra),
                       ",\"request_id\":\"%s\",\"rc\":\"%s\",\"detail\":\"%s\",\"backend\":\"%s\","
                       "\"at\":\"%s:%d\"",
                       ctx->request_id, pt_rc_name(err->rc), esc, err->backend,
                       err->file ? err->file : "", err->line);
        pt_log("error", "request failed", extra);
        /* No detail leaks to the client for server-side failures; a failure with a code of
         * its own (outcome_unknown) carries a sentence written for the client. */
        pt_http_reply_error(ctx, status, code, NULL,
                            status == 500  ? "internal error; see the server log"
                            : err->code[0] ? err->msg
                                           : "the service is unavailable, retry");
        return;
    }
    pt_http_reply_error(ctx, status, code, err->field, err->msg);
}

/* ---- Routing ---- */

/* Matches path against pattern, capturing {params}. */
static bool route_match(const char *pattern, const char *path,
                        char params[PT_ROUTE_PARAMS_MAX][PT_ROUTE_PARAM_BYTES_MAX])
{
    unsigned param_index = 0;
    while (*pattern != '\0' && *path != '\0') {
        if (*pattern == '{') {
            size_t n = strcspn(path, "/");
            pattern = strchr(pattern, '}');
            pt_assert(pattern != NULL);
            pattern++;
            if (n == 0 || n >= PT_ROUTE_PARAM_BYTES_MAX || param_index >= PT_ROUTE_PARAMS_MAX) {
                return false;
            }
            memcpy(params[param_index], path, n);
            params[param_index][n] = '\0';
            param_index++;
            path += n;
        } else if (*pattern++ != *path++) {
            return false;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

/* Sets ctx->route_index; answers 404 or 405, or a file of the web faces for a GET or HEAD of a
 * path no route has, and returns false when no route fits. */
static bool route_find(struct pt_http_ctx *ctx)
{
    bool path_known = false;
    unsigned i;
    for (i = 0; i < pt_route_count; i++) {
        if (!route_match(pt_routes[i].pattern, ctx->path, ctx->params)) {
            continue;
        }
        path_known = true;
        ctx->path_route = (int)i;
        if (strcmp(pt_routes[i].method, ctx->method) == 0) {
            ctx->route_index = (int)i;
            return true;
        }
    }
    if (path_known) {
        /* RFC 9110 section 15.5.6: a 405 names the methods the path has. */
        char allow[64] = "";
        for (i = 0; i < pt_route_count; i++) {
            if (route_match(pt_routes[i].pattern, ctx->path, ctx->params) &&
                strlen(allow) + strlen(pt_routes[i].method) + 3 < sizeof(allow)) {
                (void)snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
                               allow[0] ? ", " : "", pt_routes[i].method);
            }
        }
        pt_http_reply_error(ctx, 405, "method_not_allowed", NULL,
                            "this path does not support this method");
        (void)pt_http_response_header(&ctx->resp, "Allow", allow);
    } else if (!pt_http_static_answer(ctx)) {
        /* Not a page of the web faces either (static.c): an unknown /v1 path, say. */
        pt_http_reply_error(ctx, 404, "not_found", NULL, "no such route");
    }
    return false;
}

static bool is_json_content_type(const char *ct)
{
    size_t n = strlen("application/json");
    if (ct == NULL || strncasecmp(ct, "application/json", n) != 0) {
        return false;
    }
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* How the request's body is delimited (the wire format checked its headers). */
struct pt_framing {
    bool has_body;          /* A body follows (a length above 0, or chunked). */
    int64_t content_length; /* The announced length; 0 when none or chunked. */
};

/* Whose share of the bodies' budget a request's body counts against (edge.c). */
static const char *body_program(const struct pt_http_ctx *ctx)
{
    return ctx->has_who ? ctx->who.program_id : "";
}

/* Checks the body a route is about to receive; answers 413/415/400/503 and returns false. */
static bool admit_body(struct pt_http_ctx *ctx, const struct pt_route *route,
                       const struct pt_framing *f)
{
    if (f->content_length > PT_HTTP_BODY_BYTES_MAX) {
        pt_http_reply_error(ctx, 413, "payload_too_large", NULL,
                            "the request body is larger than 1 MiB");
        return false;
    }
    if ((route->flags & PT_ROUTE_BODY) || f->has_body) {
        const char *ct = pt_http_header(ctx, "Content-Type");
        if (!is_json_content_type(ct)) {
            pt_http_reply_error(ctx, 415, "unsupported_media_type", NULL,
                                "send the body as Content-Type: application/json");
            return false;
        }
    }
    if (!(route->flags & PT_ROUTE_QUERY)) {
        static const char *const none[] = {NULL};
        if (!pt_http_query_check(ctx, none)) {
            return false; /* Answered 400 naming the parameter. */
        }
    }
    /* Bodies in flight share one budget; a body announced with its length holds it at once. */
    if (f->content_length > 0 &&
        !pt_edge_body_reserve(body_program(ctx), (size_t)f->content_length)) {
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "the server is busy, retry");
        return false;
    }
    ctx->body_reserved = (size_t)f->content_length;
    return true;
}

/*
 * Everything decided from the request line and headers, before a byte of the body is read
 * (wire.c has checked the framing and sizes): route, method, key, role, rate limits, then the
 * body's own checks. Answers and
 * returns false when the request is refused; a refusal with a body pending closes the connection.
 */
bool pt_http_request_admit(struct pt_http_ctx *ctx)
{
    const struct pt_route *route;
    struct pt_framing f;
    f.content_length = (int64_t)ctx->head->content_length; /* At most 18 digits (wire.c). */
    f.has_body = ctx->head->chunked || f.content_length > 0;
    ctx->close_after = f.has_body;
    if (ctx->after_stop) {
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "the server is shutting down, retry");
        return false;
    }
    if (strcmp(ctx->method, "OPTIONS") == 0 && pt_http_cors_preflight(ctx)) {
        return false; /* Answered: a preflight reads no body. */
    }
    if (!route_find(ctx)) {
        return false;
    }
    route = &pt_routes[ctx->route_index];
    if (!pt_http_authorize(ctx, route)) {
        return false;
    }
    if (!pt_http_ratelimit_admit(ctx, route)) {
        return false; /* Answered 429, before the body is read. */
    }
    if (!admit_body(ctx, route, &f)) {
        return false;
    }
    ctx->close_after = false; /* Accepted: the body is read whole and keep-alive goes on. */
    return true;
}

void pt_http_request_dispatch(struct pt_http_ctx *ctx)
{
    const struct pt_route *route = &pt_routes[ctx->route_index];
    if (ctx->body_oom) {
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory");
        return;
    }
    if (ctx->body_too_large) {
        pt_http_reply_error(ctx, 413, "payload_too_large", NULL,
                            "the request body is larger than 1 MiB");
        return;
    }
    pt_edge_busy(ctx->edge);
    if ((route->flags & PT_ROUTE_ACTION) && !pt_http_action_read(ctx, route)) {
        return; /* Answered 400 or 503. */
    }
    route->handler(ctx);
    json_decref(ctx->action);
    ctx->action = NULL;
    if (!ctx->answered) {
        pt_http_reply_error(ctx, 500, "internal", NULL, "internal error; see the server log");
    }
}

/* ---- Request lifecycle ---- */

static bool is_safe_request_id(const char *s)
{
    size_t n = strlen(s);
    size_t i;
    if (n == 0 || n > PT_REQUEST_ID_BYTES_MAX) {
        return false;
    }
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':')) {
            return false;
        }
    }
    return true;
}

const char *pt_http_header(const struct pt_http_ctx *ctx, const char *name)
{
    return ctx->head != NULL ? pt_wire_head_field(ctx->head, name) : NULL;
}

bool pt_http_stopping(void)
{
    return stop_requested != 0;
}

unsigned pt_http_requests_in_flight(void)
{
    int n = atomic_load(&inflight_count);
    return n > 0 ? (unsigned)n : 0;
}

/* Splits the target into the decoded path and query parameters (in the arena). False when an
 * escape is malformed or decodes to NUL: answered 400. */
static bool target_read(struct pt_http_ctx *ctx)
{
    const char *target = ctx->head->target;
    size_t path_len = strcspn(target, "?");
    const char *q = target + path_len;
    size_t bytes = ctx->head->target_len + 1;
    char *decoded = pt_arena_alloc(&ctx->arena, bytes);
    unsigned pairs = 0;
    const char *p;
    if (decoded == NULL) {
        return false;
    }
    for (p = target; p + 2 < target + path_len; p++) {
        /* RFC 3986 section 6.2.2.2: "%2F" is not "/". Decoded, it would route /v1%2Fprogram as
         * /v1/program, where a proxy allowing or denying by raw path sees another resource. */
        if (p[0] == '%' && p[1] == '2' && (p[2] == 'F' || p[2] == 'f')) {
            pt_http_reply_error(ctx, 400, "malformed_request", NULL,
                                "a path may not hold an escaped '/' (%2F)");
            return false;
        }
    }
    if (!pt_wire_percent_decode(target, path_len, false, decoded, bytes)) {
        pt_http_reply_error(ctx, 400, "malformed_request", NULL,
                            "the path has a malformed percent-escape (or %00)");
        return false;
    }
    if (strlen(decoded) < sizeof(ctx->path)) {
        memcpy(ctx->path, decoded, strlen(decoded) + 1);
    } else {
        memcpy(ctx->path, "/-too-long-", sizeof("/-too-long-"));
    }
    if (*q == '\0') {
        return true;
    }
    for (p = q; *p != '\0'; p++) {
        pairs += *p == '&' ? 1 : 0;
    }
    ctx->query = pt_arena_alloc(&ctx->arena, (pairs + 1) * sizeof(*ctx->query));
    if (ctx->query == NULL) {
        return false;
    }
    for (p = q + 1;;) {
        size_t n = strcspn(p, "&");
        size_t key_len = strcspn(p, "=&");
        if (n > 0) {
            struct pt_http_query_pair *pair = &ctx->query[ctx->query_count];
            char *key = pt_arena_alloc(&ctx->arena, key_len + 1);
            char *value = key_len < n ? pt_arena_alloc(&ctx->arena, n - key_len) : NULL;
            if (key == NULL || (key_len < n && value == NULL)) {
                return false;
            }
            if (!pt_wire_percent_decode(p, key_len, true, key, key_len + 1) ||
                (value != NULL && !pt_wire_percent_decode(p + key_len + 1, n - key_len - 1, true,
                                                          value, n - key_len))) {
                pt_http_reply_error(ctx, 400, "malformed_request", NULL,
                                    "a query parameter has a malformed percent-escape (or %00)");
                return false;
            }
            pair->key = key;
            pair->value = value;
            ctx->query_count++;
        }
        if (p[n] == '\0') {
            return true;
        }
        p += n + 1;
    }
}

struct pt_http_ctx *pt_http_request_new(struct pt_service *svc, struct pt_edge_slot *edge,
                                        const struct pt_wire_head *head,
                                        const struct pt_wire_error *werr)
{
    struct pt_http_ctx *ctx = pt_calloc(1, sizeof(*ctx));
    const char *rid = NULL;
    if (ctx == NULL) {
        return NULL;
    }
    ctx->svc = svc;
    ctx->edge = edge;
    ctx->head = head;
    ctx->method = head != NULL ? head->method : "-";
    ctx->route_index = -1;
    ctx->path_route = -1;
    ctx->start_us = pt_clock_mono_us();
    ctx->after_stop = stop_requested != 0;
    pt_arena_init(&ctx->arena, PT_REQUEST_ARENA_BYTES_MAX);
    pt_buf_init(&ctx->body, PT_HTTP_BODY_BYTES_MAX);
    rid = pt_http_header(ctx, "X-Request-Id");
    if (rid != NULL && is_safe_request_id(rid)) {
        (void)snprintf(ctx->request_id, sizeof(ctx->request_id), "%s", rid);
    } else {
        uint8_t random10[10];
        pt_random_bytes(random10, sizeof(random10));
        memcpy(ctx->request_id, "req_", 4);
        (void)pt_base32_encode(random10, sizeof(random10), ctx->request_id + 4,
                               sizeof(ctx->request_id) - 4);
    }
    atomic_fetch_add(&inflight_count, 1);
    if (head == NULL) {
        /* Refused by the wire format: what follows the head cannot be trusted. */
        pt_http_reply_error(ctx, werr->status, werr->code, NULL, werr->message);
        ctx->close_after = true;
    } else if (!target_read(ctx)) {
        if (!ctx->answered) {
            pt_http_request_free(ctx);
            return NULL; /* Out of memory. */
        }
        /* Refused before admission: a body it announced is never read, so the connection
         * closes after the answer (else the body would be read as the next request). */
        ctx->close_after = head->chunked || head->content_length > 0;
    }
    return ctx;
}

/*
 * The path as the log shows it. A matched route is written as its pattern with the parameters
 * filled in, except those that are secrets to whoever reads logs (coupon and promotion codes:
 * redeemable by their bearer), written as the parameter's name, "{code}". A path that matches
 * no route may carry anything in any segment (a code behind "//" or "/../", a key, an email):
 * only segments that are a literal segment of some route are kept, every other one is "{?}".
 */
/* Appends n bytes of piece to out (size out_bytes, length *o), truncating. */
static void log_path_append(char *out, size_t out_bytes, size_t *o, const char *piece, size_t n)
{
    size_t room = out_bytes - 1 - *o;
    n = n < room ? n : room;
    memcpy(out + *o, piece, n);
    *o += n;
    out[*o] = '\0';
}

/* True when the n bytes at seg are a literal (non-parameter) segment of some route's pattern. */
static bool is_route_literal(const char *seg, size_t n)
{
    unsigned i;
    if (n == 0) {
        return true; /* An empty segment ("//") carries nothing. */
    }
    for (i = 0; i < pt_route_count; i++) {
        const char *p = pt_routes[i].pattern;
        while (*p != '\0') {
            size_t len;
            p += *p == '/' ? 1 : 0;
            len = strcspn(p, "/");
            if (len == n && p[0] != '{' && memcmp(p, seg, n) == 0) {
                return true;
            }
            p += len;
        }
    }
    return false;
}

static void log_path_masked(const char *path, char *raw, size_t raw_bytes, size_t *o)
{
    static const char mask[] = "{?}";
    while (*path != '\0') {
        size_t n;
        if (*path == '/') {
            log_path_append(raw, raw_bytes, o, path++, 1);
            continue;
        }
        n = strcspn(path, "/");
        if (is_route_literal(path, n)) {
            log_path_append(raw, raw_bytes, o, path, n);
        } else {
            log_path_append(raw, raw_bytes, o, mask, sizeof(mask) - 1);
        }
        path += n;
    }
}

/* A parameter the log may show: an id of Patron's shape ("mem_" and 26 symbols). Anything else
 * in an {id} (an email, an API key, a typo) is the client's, and is written "{?}". */
static bool param_loggable(const char *param)
{
    return pt_id_is_valid(param, param); /* Its own prefix: any id's shape. */
}

static void log_path(const struct pt_http_ctx *ctx, char *out, size_t out_bytes)
{
    static const char secret[] = "{code}";
    char params[PT_ROUTE_PARAMS_MAX][PT_ROUTE_PARAM_BYTES_MAX];
    char raw[sizeof(ctx->path)];
    size_t o = 0;
    raw[0] = '\0';
    if (ctx->path_route >= 0 &&
        route_match(pt_routes[ctx->path_route].pattern, ctx->path, params)) {
        const char *p = pt_routes[ctx->path_route].pattern;
        unsigned param = 0;
        while (*p != '\0') {
            const char *close = *p == '{' ? strchr(p, '}') : NULL;
            if (close == NULL) {
                log_path_append(raw, sizeof(raw), &o, p++, 1);
            } else if (strncmp(p, secret, sizeof(secret) - 1) == 0) {
                log_path_append(raw, sizeof(raw), &o, secret, sizeof(secret) - 1);
                param++;
                p = close + 1;
            } else if (param_loggable(params[param])) {
                log_path_append(raw, sizeof(raw), &o, params[param], strlen(params[param]));
                param++;
                p = close + 1;
            } else {
                log_path_append(raw, sizeof(raw), &o, "{?}", 3);
                param++;
                p = close + 1;
            }
        }
    } else {
        log_path_masked(ctx->path, raw, sizeof(raw), &o);
    }
    pt_log_escape(raw, strlen(raw), out, out_bytes);
}

/* One JSON line per request; every string in it is escaped (the method is the client's). */
static void log_request(const struct pt_http_ctx *ctx, int64_t duration_us)
{
    char ts[32];
    char method[64];
    char path[sizeof(ctx->path) * 6 + 1];
    char line[PT_LOG_LINE_BYTES_MAX];
    int n;
    pt_time_format_rfc3339(pt_clock_now_ms(), ts, sizeof(ts));
    pt_log_escape(ctx->method, strlen(ctx->method), method, sizeof(method));
    log_path(ctx, path, sizeof(path));
    n = snprintf(line, sizeof(line),
                 "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"%s\","
                 "\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"duration_us\":%lld,"
                 "\"program_id\":%s%s%s}",
                 ts, ctx->request_id, method, path, ctx->status, (long long)duration_us,
                 ctx->has_who ? "\"" : "", ctx->has_who ? ctx->who.program_id : "null",
                 ctx->has_who ? "\"" : "");
    pt_assert(n > 0 && (size_t)n < sizeof(line)); /* Every field above is bounded. */
    pt_log_line(line);
}

void pt_http_request_free(struct pt_http_ctx *ctx)
{
    pt_edge_body_release(body_program(ctx), ctx->body_reserved);
    if (ctx->resp.stream_free != NULL) {
        ctx->resp.stream_free(ctx->resp.stream_cls);
    }
    pt_free(ctx->resp.body_owned);
    pt_buf_fini(&ctx->body);
    pt_arena_fini(&ctx->arena);
    pt_free(ctx);
    atomic_fetch_sub(&inflight_count, 1);
}

void pt_http_request_log(struct pt_http_ctx *ctx)
{
    int64_t duration_us = pt_clock_mono_us() - ctx->start_us;
    if (!ctx->logged) {
        ctx->logged = true;
        pt_metrics_record(ctx->route_index, (unsigned)ctx->status, duration_us);
        log_request(ctx, duration_us);
    }
}

bool pt_http_request_body(struct pt_http_ctx *ctx, const char *data, size_t n)
{
    pt_edge_body_progress(ctx->edge, n);
    if (!ctx->body_too_large && ctx->body.len + n > ctx->body_reserved) {
        /* A chunked body holds the budget as it grows; past the budget, hang up (an answer
         * can only be sent once the upload ends). */
        size_t more = ctx->body.len + n - ctx->body_reserved;
        if (!pt_edge_body_reserve(body_program(ctx), more)) {
            return false;
        }
        ctx->body_reserved += more;
    }
    if (!ctx->body_too_large && !pt_buf_append(&ctx->body, data, n)) {
        ctx->body_too_large = true;
        ctx->body_oom = n <= ctx->body.bytes_max - ctx->body.len; /* Within the limit. */
    }
    if (ctx->body_too_large) {
        /* A chunked body passed the limit: read and drop the rest, then answer 413 once it
         * ends (a client sending its body reads no answer before). Past a bound, hang up. */
        ctx->discarded_bytes += n;
        if (ctx->discarded_bytes > PT_HTTP_DISCARD_BYTES_MAX) {
            return false;
        }
    }
    return true;
}

static void on_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static void *json_malloc(size_t n)
{
    return pt_malloc_uninjected(n); /* Counted, never failed by injection (base/alloc.h). */
}

static void json_alloc_setup(void)
{
    /* jansson allocates through the heap wrapper too, so tests count its allocations. */
    json_set_alloc_funcs(json_malloc, pt_free);
}

void pt_http_prepare(struct pt_service *svc)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct pt_encoders enc;
    (void)pthread_once(&once, json_alloc_setup);
    if (!pt_service_encoders_set(svc)) {
        pt_http_encoders(&enc);
        pt_service_set_encoders(svc, &enc);
    }
}

void pt_http_encode_created_key(const char *program_id, const char *secret, char *out,
                                size_t out_bytes)
{
    pt_assert(out_bytes >= 256);
    (void)snprintf(out, out_bytes, "{\"program_id\": \"%s\", \"api_key\": \"%s\"}", program_id,
                   secret);
}

enum pt_rc pt_http_serve(const struct pt_http_config *config, struct pt_service *svc,
                         struct pt_err *err)
{
    struct pt_http_listener *listener;
    struct sigaction sa;
    struct timespec tick = {0, 50 * 1000 * 1000};
    char extra[256];
    uint16_t port = 0;
    int64_t drain_until_us;
    pt_assert(config->threads >= 1 && config->threads <= PT_HTTP_THREADS_MAX);
    pt_http_prepare(svc);
    pt_http_auth_configure(config);
    if (pt_edge_start(config->headers_timeout_ms, err) != PT_OK) {
        return err->rc;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    (void)sigaction(SIGINT, &sa, NULL); /* Cannot fail for these valid signals. */
    (void)sigaction(SIGTERM, &sa, NULL);
    if (pt_http_listener_start(config, svc, &listener, &port, err) != PT_OK) {
        pt_edge_stop();
        return err->rc;
    }
    (void)snprintf(extra, sizeof(extra),
                   ",\"host\":\"%s\",\"port\":%u,\"threads\":%u,\"connections_per_address\":%u,"
                   "\"header_timeout_ms\":%u",
                   config->host, (unsigned)port, config->threads, config->connections_per_address,
                   config->headers_timeout_ms);
    /* Armed before the line that tells a test it may send: every request meets it. */
    pt_alloc_fail_every(config->fail_alloc_every);
    pt_log("info", "listening", extra);
    while (!stop_requested) {
        (void)nanosleep(&tick, NULL); /* EINTR on a signal is what ends the wait. */
    }
    /* Graceful stop: stop accepting, refuse new requests on open connections with 503 and
     * Connection: close, let in-flight ones finish, then close what is left. */
    pt_log("info", "stopping", "");
    drain_until_us = pt_clock_mono_us() + (int64_t)PT_HTTP_DRAIN_TIMEOUT_S * 1000000;
    pt_http_listener_stop(listener, drain_until_us);
    pt_edge_stop();
    pt_log("info", "stopped", "");
    return PT_OK;
}
