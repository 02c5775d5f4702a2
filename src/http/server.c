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
        if (stop_requested) {
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

static void dispatch(struct pt_http_ctx *ctx)
{
    const struct pt_route *route;
    if (ctx->after_stop) {
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "the server is shutting down, retry");
        return;
    }
    if (!route_find(ctx)) {
        return;
    }
    route = &pt_routes[ctx->route_index];
    if (ctx->body_too_large) {
        pt_http_reply_error(ctx, 413, "payload_too_large", NULL,
                            "the request body is larger than 1 MiB");
        return;
    }
    if ((route->flags & PT_ROUTE_BODY) || ctx->body.len > 0) {
        const char *ct = MHD_lookup_connection_value(ctx->conn, MHD_HEADER_KIND, "Content-Type");
        if (!is_json_content_type(ct)) {
            pt_http_reply_error(ctx, 415, "unsupported_media_type", NULL,
                                "send the body as Content-Type: application/json");
            return;
        }
    }
    if (!(route->flags & PT_ROUTE_QUERY)) {
        static const char *const none[] = {NULL};
        if (!pt_http_query_check(ctx, none)) {
            return; /* Answered 400 naming the parameter. */
        }
    }
    if (!authorize(ctx, route)) {
        return;
    }
    if (!pt_http_ratelimit_admit(ctx, route)) {
        return; /* Answered 429. */
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
    const char *rid;
    if (ctx == NULL) {
        return NULL;
    }
    ctx->conn = conn;
    ctx->svc = svc;
    ctx->method = method;
    ctx->route_index = -1;
    ctx->start_us = pt_clock_mono_us();
    ctx->after_stop = stop_requested != 0;
    if (strlen(url) < sizeof(ctx->path)) {
        memcpy(ctx->path, url, strlen(url) + 1);
    } else {
        memcpy(ctx->path, "/-too-long-", sizeof("/-too-long-"));
    }
    pt_arena_init(&ctx->arena, PT_REQUEST_ARENA_BYTES_MAX);
    pt_buf_init(&ctx->body, PT_HTTP_BODY_BYTES_MAX);
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

static void log_request(const struct pt_http_ctx *ctx, int64_t duration_us)
{
    char ts[32];
    char path[600];
    char line[1024];
    pt_time_format_rfc3339(pt_clock_now_ms(), ts, sizeof(ts));
    pt_log_escape(ctx->path, strlen(ctx->path), path, sizeof(path));
    (void)snprintf(line, sizeof(line),
                   "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"%s\","
                   "\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"duration_us\":%lld,"
                   "\"program_id\":%s%s%s}",
                   ts, ctx->request_id, ctx->method, path, ctx->status, (long long)duration_us,
                   ctx->has_who ? "\"" : "", ctx->has_who ? ctx->who.program_id : "null",
                   ctx->has_who ? "\"" : "");
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
    pt_buf_fini(&ctx->body);
    pt_arena_fini(&ctx->arena);
    pt_free(ctx);
    *req_cls = NULL;
    atomic_fetch_sub(&inflight_count, 1);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct pt_http_ctx *ctx = *req_cls;
    int64_t duration_us;
    (void)version;
    if (ctx == NULL) {
        const char *cl;
        ctx = ctx_new(conn, cls, url, method);
        if (ctx == NULL) {
            return MHD_NO; /* Out of memory: close the connection. */
        }
        *req_cls = ctx;
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl != NULL && strtoull(cl, NULL, 10) > PT_HTTP_BODY_BYTES_MAX) {
            ctx->body_too_large = true; /* Answered at once below, without reading the body. */
        } else {
            return MHD_YES;
        }
    }
    if (*upload_data_size > 0 && !ctx->answered) {
        if (!ctx->body_too_large && !pt_buf_append(&ctx->body, upload_data, *upload_data_size)) {
            ctx->body_too_large = true;
        }
        if (ctx->body_too_large) {
            /* A chunked body passed the limit: read and drop the rest, then answer 413 once
             * it ends (libmicrohttpd answers only after the upload). Past a bound, hang up. */
            ctx->discarded_bytes += *upload_data_size;
            if (ctx->discarded_bytes > PT_HTTP_DISCARD_BYTES_MAX) {
                return MHD_NO;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ctx->answered) {
        *upload_data_size = 0; /* Discard the rest of a refused body. */
        return MHD_YES;
    }
    dispatch(ctx);
    duration_us = pt_clock_mono_us() - ctx->start_us;
    pt_metrics_record(ctx->route_index, (unsigned)ctx->status, duration_us);
    log_request(ctx, duration_us);
    return ctx->answered ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)conn;
    (void)socket_ctx;
    pt_metrics_connection(toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
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
    char extra[128];
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
    daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC |
            MHD_USE_ERROR_LOG,
        config->port, NULL, NULL, on_request, svc,
        /* The logger must be the first option to catch messages about the others. */
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_THREAD_STACK_SIZE, (size_t)PT_HTTP_THREAD_STACK_BYTES,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)PT_HTTP_CONNECTIONS_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PT_HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
    if (daemon == NULL) {
        return pt_err_set(err, PT_EINTERNAL, "listen", "cannot listen on %s:%u: %s", config->host,
                          (unsigned)config->port, strerror(errno));
    }
    info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    (void)snprintf(extra, sizeof(extra), ",\"host\":\"%s\",\"port\":%u,\"threads\":%u",
                   config->host, info ? (unsigned)info->port : 0u, config->threads);
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
    pt_log("info", "stopped", "");
    return PT_OK;
}
