/* SPDX-License-Identifier: MIT */
/*
 * The libmicrohttpd server: request lifecycle, routing, authentication, limits, logging and
 * graceful shutdown. A request's context is created when its headers arrive, collects the body
 * (at most PT_HTTP_BODY_BYTES_MAX), is dispatched once the body is complete, and is freed in the
 * completion callback. Handlers run on libmicrohttpd's worker threads.
 */
#include "http/http.h"
#include "http/http_int.h"

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

static void reply_finish(struct pt_http_ctx *ctx, struct MHD_Response *resp, unsigned status)
{
    enum MHD_Result ok;
    pt_assert(!ctx->answered);
    if (resp == NULL) {
        return; /* Out of memory: libmicrohttpd closes the connection without an answer. */
    }
    (void)MHD_add_response_header(resp, "X-Request-Id", ctx->request_id);
    pt_http_ratelimit_headers(ctx, resp);
    ok = MHD_queue_response(ctx->conn, status, resp);
    MHD_destroy_response(resp);
    ctx->answered = ok == MHD_YES;
    ctx->status = (int)status;
}

void pt_http_reply_raw(struct pt_http_ctx *ctx, unsigned status, const char *content_type,
                       const char *body, size_t len, bool replayed)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (resp != NULL) {
        (void)MHD_add_response_header(resp, "Content-Type", content_type);
        if (replayed) {
            (void)MHD_add_response_header(resp, "Idempotent-Replayed", "true");
        }
        if (status == 503) {
            (void)MHD_add_response_header(resp, "Retry-After", "1");
        }
        if (stop_requested || ctx->close_after) {
            (void)MHD_add_response_header(resp, "Connection", "close");
        }
    }
    reply_finish(ctx, resp, status);
}

void pt_http_reply_stream(struct pt_http_ctx *ctx, const char *content_type, uint64_t size,
                          MHD_ContentReaderCallback reader, void *cls,
                          MHD_ContentReaderFreeCallback free_cls)
{
    struct MHD_Response *resp =
        MHD_create_response_from_callback(size, PT_HTTP_STREAM_BLOCK_BYTES, reader, cls, free_cls);
    if (resp == NULL) {
        free_cls(cls);
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory; retry");
        return;
    }
    (void)MHD_add_response_header(resp, "Content-Type", content_type);
    if (stop_requested) {
        (void)MHD_add_response_header(resp, "Connection", "close");
    }
    reply_finish(ctx, resp, 200);
}

void pt_http_reply_json(struct pt_http_ctx *ctx, unsigned status, json_t *root)
{
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (text == NULL) {
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory, retry");
        return;
    }
    pt_http_reply_raw(ctx, status, "application/json", text, strlen(text), false);
    pt_free(text); /* jansson allocates through pt_malloc (json_set_alloc_funcs below). */
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
    pt_http_reply_raw(ctx, status, "application/json", text, strlen(text), false);
    pt_free(text); /* jansson allocates through pt_malloc (json_set_alloc_funcs below). */
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

/* Sets ctx->route_index; answers 404 or 405 and returns false when no route fits. */
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
        pt_http_reply_error(ctx, 405, "method_not_allowed", NULL,
                            "this path does not support this method");
    } else {
        pt_http_reply_error(ctx, 404, "not_found", NULL, "no such route");
    }
    return false;
}

/* Resolves the Bearer key and checks the route's role; answers 401/403 and returns false. */
static bool authorize(struct pt_http_ctx *ctx, const struct pt_route *route)
{
    const char *auth = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND, "Authorization");
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (route->flags & PT_ROUTE_PUBLIC) {
        return true;
    }
    if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0) {
        pt_http_reply_error(ctx, 401, "unauthorized", NULL,
                            "send the API key as 'Authorization: Bearer <key>'");
        return false;
    }
    rc =
        pt_service_authenticate(ctx->svc, auth + 7, strlen(auth + 7), &ctx->arena, &ctx->who, &err);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return false;
    }
    ctx->has_who = true;
    if ((route->flags & PT_ROUTE_ADMIN) && ctx->who.role != PT_ROLE_ADMIN) {
        pt_http_reply_error(ctx, 403, "forbidden", NULL, "this needs an admin key");
        return false;
    }
    return true;
}

static bool is_json_content_type(const char *ct)
{
    size_t n = strlen("application/json");
    if (ct == NULL || strncasecmp(ct, "application/json", n) != 0) {
        return false;
    }
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* ---- Framing (RFC 9112 section 6.3) and sizes ---- */

/* How the request's body is delimited, as read from its headers. */
struct pt_framing {
    bool has_body;          /* A body follows (a length above 0, or chunked). */
    bool chunked;           /* Transfer-Encoding: chunked. */
    int64_t content_length; /* The announced length; 0 when none or chunked. */
};

/* What one pass over the headers counts. */
struct header_tally {
    unsigned fields;
    unsigned content_lengths;
    unsigned transfer_encodings;
    bool bad_field;    /* A field libmicrohttpd parsed leniently (RFC 9112 section 5). */
    bool bad_length;   /* A Content-Length that is not a plain decimal within bounds. */
    bool bad_encoding; /* A Transfer-Encoding other than "chunked". */
    int64_t length;
    size_t header_bytes;
};

/* RFC 9110 section 5.6.2: a field name is a token. */
static bool is_token(const char *s)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    if (*s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(tchar, c) != NULL)) {
            return false;
        }
    }
    return true;
}

/*
 * Whether libmicrohttpd (0.9.75) read the line "name: value" as sent. It parses in place: the
 * colon becomes the name's NUL, optional blanks follow, then the value, whose CR and LF become
 * two NULs. It is lenient where a proxy may read otherwise, and the access handler can only tell
 * from that layout: whitespace before the colon stays in the name (not a token); a folded line
 * (obs-fold) is appended to the name, which moves it or leaves the value before its end; a bare
 * CR stays in the value; a NUL in the value cuts it short, so what follows is not the LF's NUL.
 */
static bool field_is_clean(const char *key, const char *value)
{
    size_t klen = strlen(key);
    size_t vlen = strlen(value);
    uintptr_t after_colon = (uintptr_t)key + klen + 1;
    uintptr_t v = (uintptr_t)value;
    size_t i;
    if (!is_token(key) || memchr(value, '\r', vlen) != NULL || memchr(value, '\n', vlen) != NULL) {
        return false;
    }
    if (v < after_colon || v - after_colon > PT_HTTP_FIELD_BLANKS_MAX) {
        return false; /* The name no longer precedes its value: a line was folded onto it. */
    }
    for (i = 0; i < v - after_colon; i++) {
        if (key[klen + 1 + i] != ' ' && key[klen + 1 + i] != '\t') {
            return false;
        }
    }
    return value[vlen + 1] == '\0'; /* The line's LF; a NUL in the value leaves bytes here. */
}

static enum MHD_Result tally_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct header_tally *t = cls;
    size_t vlen = value ? strlen(value) : 0;
    (void)kind;
    t->fields++;
    t->bad_field = t->bad_field || value == NULL || !field_is_clean(key, value);
    t->header_bytes += strlen(key) + vlen + 4; /* "key: value\r\n" */
    if (strcasecmp(key, "Content-Length") == 0) {
        size_t i;
        t->content_lengths++;
        t->bad_length = t->bad_length || vlen == 0 || vlen > 18; /* 18 digits fit int64. */
        for (i = 0; i < vlen; i++) {
            t->bad_length = t->bad_length || value[i] < '0' || value[i] > '9';
        }
        if (!t->bad_length) {
            t->length = strtoll(value, NULL, 10);
        }
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        t->transfer_encodings++;
        t->bad_encoding = t->bad_encoding || value == NULL || strcasecmp(value, "chunked") != 0;
    }
    return MHD_YES;
}

static enum MHD_Result tally_argument(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    size_t *bytes = cls;
    (void)kind;
    /* "&key=value", or "&key" (libmicrohttpd passes NULL): counted as sent, after decoding. */
    *bytes += 1 + strlen(key) + (value ? 1 + strlen(value) : 0);
    return MHD_YES;
}

/* Answers 400 and returns false for a body whose end a proxy and Patron could see differently. */
static bool framing_check(struct pt_http_ctx *ctx, const struct header_tally *t)
{
    const char *why = NULL;
    if (t->bad_field) {
        why = "a header field is malformed (a name that is not a token, whitespace before the "
              "colon, a folded line, or a CR, LF or NUL in a value)";
    } else if (t->content_lengths > 1) {
        why = "send one Content-Length header";
    } else if (t->bad_length) {
        why = "Content-Length must be a decimal number of bytes";
    } else if (t->transfer_encodings > 1 || t->bad_encoding) {
        why = "the only Transfer-Encoding accepted is a single 'chunked'";
    } else if (t->transfer_encodings > 0 && t->content_lengths > 0) {
        why = "send either Content-Length or Transfer-Encoding, not both";
    }
    if (why != NULL) {
        pt_http_reply_error(ctx, 400, "malformed_request", NULL, why);
        return false;
    }
    return true;
}

/* Reads the framing and checks the request's sizes and version; answers and returns false. */
static bool framing_read(struct pt_http_ctx *ctx, const char *version, struct pt_framing *f)
{
    struct header_tally t;
    size_t uri_bytes = strlen(ctx->url);
    memset(&t, 0, sizeof(t));
    memset(f, 0, sizeof(*f));
    (void)MHD_get_connection_values(ctx->conn, MHD_HEADER_KIND, tally_header, &t);
    (void)MHD_get_connection_values(ctx->conn, MHD_GET_ARGUMENT_KIND, tally_argument, &uri_bytes);
    f->chunked = t.transfer_encodings > 0;
    f->content_length = t.bad_length ? 0 : t.length;
    f->has_body = f->chunked || (t.content_lengths > 0 && f->content_length > 0);
    if (version == NULL || strncmp(version, "HTTP/1.", 7) != 0) {
        pt_http_reply_error(ctx, 505, "http_version_not_supported", NULL,
                            "send HTTP/1.1 (or HTTP/1.0)");
        return false;
    }
    if (uri_bytes > PT_HTTP_URI_BYTES_MAX) {
        pt_http_reply_error(ctx, 414, "uri_too_long", NULL, "the request target is over 8 KiB");
        return false;
    }
    if (t.header_bytes > PT_HTTP_HEADERS_BYTES_MAX || t.fields > PT_HTTP_HEADER_FIELDS_MAX) {
        pt_http_reply_error(ctx, 431, "headers_too_large", NULL,
                            "the request headers are over 16 KiB or 100 fields");
        return false;
    }
    return framing_check(ctx, &t);
}

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
        const char *ct = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND, "Content-Type");
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
 * Everything decided from the request line and headers, before a byte of the body is read:
 * framing, sizes, route, method, key, role, rate limits, then the body's own checks. Answers and
 * returns false when the request is refused; a refusal with a body pending closes the connection.
 */
static bool admit(struct pt_http_ctx *ctx, const char *version)
{
    const struct pt_route *route;
    struct pt_framing f;
    bool ok = framing_read(ctx, version, &f);
    ctx->close_after = f.has_body;
    if (!ok) {
        ctx->close_after = true; /* The framing is unknown: nothing after it can be trusted. */
        return false;
    }
    if (ctx->after_stop) {
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "the server is shutting down, retry");
        return false;
    }
    if (!route_find(ctx)) {
        return false;
    }
    route = &pt_routes[ctx->route_index];
    if (!authorize(ctx, route)) {
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

/* Runs the route's handler once the body is complete. */
static void dispatch(struct pt_http_ctx *ctx)
{
    const struct pt_route *route = &pt_routes[ctx->route_index];
    if (ctx->body_too_large) {
        pt_http_reply_error(ctx, 413, "payload_too_large", NULL,
                            "the request body is larger than 1 MiB");
        return;
    }
    route->handler(ctx);
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

static struct pt_http_ctx *ctx_new(struct MHD_Connection *conn, struct pt_service *svc,
                                   const char *url, const char *method)
{
    struct pt_http_ctx *ctx = pt_calloc(1, sizeof(*ctx));
    const union MHD_ConnectionInfo *info;
    const char *rid;
    if (ctx == NULL) {
        return NULL;
    }
    ctx->conn = conn;
    ctx->svc = svc;
    ctx->method = method;
    ctx->url = url;
    ctx->route_index = -1;
    ctx->path_route = -1;
    ctx->start_us = pt_clock_mono_us();
    ctx->after_stop = stop_requested != 0;
    if (strlen(url) < sizeof(ctx->path)) {
        memcpy(ctx->path, url, strlen(url) + 1);
    } else {
        memcpy(ctx->path, "/-too-long-", sizeof("/-too-long-"));
    }
    pt_arena_init(&ctx->arena, PT_REQUEST_ARENA_BYTES_MAX);
    pt_buf_init(&ctx->body, PT_HTTP_BODY_BYTES_MAX);
    info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    ctx->edge = info ? info->socket_context : NULL;
    rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
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
            } else {
                log_path_append(raw, sizeof(raw), &o, params[param], strlen(params[param]));
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

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct pt_http_ctx *ctx = *req_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (ctx == NULL) {
        return;
    }
    pt_edge_idle(ctx->edge); /* Keep-alive: the next request's headers have their deadline. */
    pt_edge_body_release(body_program(ctx), ctx->body_reserved);
    pt_buf_fini(&ctx->body);
    pt_arena_fini(&ctx->arena);
    pt_free(ctx);
    *req_cls = NULL;
    atomic_fetch_sub(&inflight_count, 1);
}

/* The request is answered (or refused): metrics and its log line, once. */
static enum MHD_Result request_end(struct pt_http_ctx *ctx)
{
    int64_t duration_us = pt_clock_mono_us() - ctx->start_us;
    if (!ctx->logged) {
        ctx->logged = true;
        pt_edge_busy(ctx->edge);
        pt_metrics_record(ctx->route_index, (unsigned)ctx->status, duration_us);
        log_request(ctx, duration_us);
    }
    return ctx->answered ? MHD_YES : MHD_NO;
}

/* A piece of the body: buffered within the request's and the server's bounds. */
static enum MHD_Result body_receive(struct pt_http_ctx *ctx, const char *data, size_t *size)
{
    size_t n = *size;
    *size = 0;
    pt_edge_body_progress(ctx->edge, n);
    if (ctx->answered) {
        return MHD_YES; /* Refused early; libmicrohttpd may still pass what it had read. */
    }
    if (!ctx->body_too_large && ctx->body.len + n > ctx->body_reserved) {
        /* A chunked body holds the budget as it grows; past the budget, hang up (an answer
         * can only be sent once the upload ends). */
        size_t more = ctx->body.len + n - ctx->body_reserved;
        if (!pt_edge_body_reserve(body_program(ctx), more)) {
            return MHD_NO;
        }
        ctx->body_reserved += more;
    }
    if (!ctx->body_too_large && !pt_buf_append(&ctx->body, data, n)) {
        ctx->body_too_large = true;
    }
    if (ctx->body_too_large) {
        /* A chunked body passed the limit: read and drop the rest, then answer 413 once it
         * ends (libmicrohttpd answers only after the upload). Past a bound, hang up. */
        ctx->discarded_bytes += n;
        if (ctx->discarded_bytes > PT_HTTP_DISCARD_BYTES_MAX) {
            return MHD_NO;
        }
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct pt_http_ctx *ctx = *req_cls;
    if (ctx == NULL) {
        /* The headers arrived: everything but the body is decided now, before it is read. */
        ctx = ctx_new(conn, cls, url, method);
        if (ctx == NULL) {
            return MHD_NO; /* Out of memory: close the connection. */
        }
        *req_cls = ctx;
        pt_edge_headers_done(ctx->edge);
        if (admit(ctx, version)) {
            return MHD_YES; /* The body (if any) comes in the next calls. */
        }
        return request_end(ctx);
    }
    if (*upload_data_size > 0) {
        return body_receive(ctx, upload_data, upload_data_size);
    }
    if (!ctx->answered) {
        pt_edge_busy(ctx->edge);
        dispatch(ctx);
    }
    return request_end(ctx);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_ctx = info ? pt_edge_open(info->connect_fd) : NULL;
        pt_metrics_connection(1);
    } else {
        pt_edge_close(*socket_ctx);
        *socket_ctx = NULL;
        pt_metrics_connection(-1);
    }
}

/* ---- Serving ---- */

/* libmicrohttpd's own errors and panics go to the JSON log, so that an abort inside the
 * library says why. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[300];
    char esc[400];
    char extra[480];
    (void)cls;
    (void)vsnprintf(msg, sizeof(msg), fmt, ap); /* Truncation is fine for a log line. */
    pt_log_escape(msg, strlen(msg), esc, sizeof(esc));
    (void)snprintf(extra, sizeof(extra), ",\"detail\":\"%s\"", esc);
    pt_log("warn", "libmicrohttpd", extra);
}

static _Noreturn void on_mhd_panic(void *cls, const char *file, unsigned int line,
                                   const char *reason)
{
    char extra[512];
    char esc[300];
    (void)cls;
    pt_log_escape(reason ? reason : "", reason ? strlen(reason) : 0, esc, sizeof(esc));
    (void)snprintf(extra, sizeof(extra), ",\"reason\":\"%s\",\"at\":\"%s:%u\"", esc,
                   file ? file : "", line);
    pt_log("fatal", "libmicrohttpd panic", extra);
    abort();
}

static void on_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

static void *json_malloc(size_t n)
{
    return pt_malloc(n);
}

static void json_alloc_setup(void)
{
    /* jansson allocates through pt_malloc too, so tests see every allocation. */
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
    struct sockaddr_in addr;
    struct MHD_Daemon *daemon;
    const union MHD_DaemonInfo *info;
    struct sigaction sa;
    struct timespec tick = {0, 50 * 1000 * 1000};
    char extra[256];
    int64_t drain_until_us;
    pt_assert(config->threads >= 1 && config->threads <= PT_HTTP_THREADS_MAX);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons(config->port);
    if (inet_pton(AF_INET, config->host, &addr.sin_addr) != 1) {
        return pt_err_set(err, PT_EINVAL, "listen", "listen address must be an IPv4 HOST:PORT");
    }
    pt_http_prepare(svc);
    MHD_set_panic_func(on_mhd_panic, NULL);
    if (pt_edge_start(config->headers_timeout_ms, err) != PT_OK) {
        return err->rc;
    }
    daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC |
            MHD_USE_ERROR_LOG,
        config->port, NULL, NULL, on_request, svc,
        /* The logger must be the first option to catch messages about the others. */
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_STACK_SIZE, (size_t)PT_HTTP_THREAD_STACK_BYTES,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)PT_HTTP_CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, config->connections_per_address,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)PT_HTTP_CONNECTION_MEMORY_BYTES,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PT_HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
    if (daemon == NULL) {
        pt_edge_stop();
        return pt_err_set(err, PT_EINTERNAL, "listen", "cannot listen on %s:%u: %s", config->host,
                          (unsigned)config->port, strerror(errno));
    }
    info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    (void)snprintf(extra, sizeof(extra),
                   ",\"host\":\"%s\",\"port\":%u,\"threads\":%u,\"connections_per_address\":%u,"
                   "\"header_timeout_ms\":%u",
                   config->host, info ? (unsigned)info->port : 0u, config->threads,
                   config->connections_per_address, config->headers_timeout_ms);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    (void)sigaction(SIGINT, &sa, NULL); /* Cannot fail for these valid signals. */
    (void)sigaction(SIGTERM, &sa, NULL);
    pt_log("info", "listening", extra);
    while (!stop_requested) {
        (void)nanosleep(&tick, NULL); /* EINTR on a signal is what ends the wait. */
    }
    /* Graceful stop: refuse new requests, let in-flight ones finish, then close. */
    pt_log("info", "stopping", "");
    /* New requests are answered 503 with Connection: close from here on (see dispatch), which
     * drains keep-alive clients without MHD_quiesce_daemon: with epoll and a thread pool that
     * call can race a worker and panic ("Failed to remove listen FD from epoll set"). */
    drain_until_us = pt_clock_mono_us() + (int64_t)PT_HTTP_DRAIN_TIMEOUT_S * 1000000;
    while (atomic_load(&inflight_count) > 0 && pt_clock_mono_us() < drain_until_us) {
        (void)nanosleep(&tick, NULL);
    }
    MHD_stop_daemon(daemon);
    pt_edge_stop();
    pt_log("info", "stopped", "");
    return PT_OK;
}
