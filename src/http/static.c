/* SPDX-License-Identifier: MIT */
/*
 * The web faces (dashboard at /, till at /till/, portal at /portal/), served from the files
 * embedded in the binary (static.h; docs/web.md). Nothing is read from the disk, so a path can
 * name only what the table holds: "/../" cannot reach a file, and is refused anyway. The
 * answers borrow the table's bytes (static storage), gzipped when the client accepts it and the
 * file has a gzip variant.
 *
 * Headers: every answer says nosniff and carries the pages' policy (scripts and styles from this
 * origin only, no inline script, no framing, the referrer kept to this origin); hashed files
 * under /assets/ are immutable for a year, a page is revalidated at each visit (no-cache), so
 * that a new binary's pages reach the browser at once.
 */
#include "http/static.h"
#include "http/http_int.h"

#include <string.h>
#include <strings.h>

/* 'self' everywhere; images may also be data: and blob: URLs (pictures a page makes itself);
 * no object, no base other than ours, no framing by any page. */
#define CSP_POLICY                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "        \
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "                    \
    "form-action 'self'; frame-ancestors 'none'"

static const struct pt_static_file *file_find(const char *path)
{
    size_t i;
    for (i = 0; i < pt_static_file_count; i++) {
        if (strcmp(pt_static_files[i].path, path) == 0) {
            return &pt_static_files[i];
        }
    }
    return NULL;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* True when path is under the directory dir ("/till": "/till" itself and "/till/..."). */
static bool is_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* True when a segment of path is "." or "..": such a path names nothing we serve. */
static bool has_dot_segment(const char *path)
{
    const char *p = path;
    while ((p = strchr(p, '/')) != NULL) {
        p++;
        if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
            return true;
        }
        if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0')) {
            return true;
        }
    }
    return false;
}

/* The q-value of one Accept-Encoding element (RFC 9110 section 12.4.2) is zero: "q=0", "q=0.",
 * "q=0.0", "q=0.00" or "q=0.000". */
static bool is_q_zero(const char *params, size_t n)
{
    const char *q = NULL;
    size_t i;
    for (i = 0; i + 1 < n; i++) {
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=') {
            q = params + i + 2;
            break;
        }
    }
    if (q == NULL || *q != '0') {
        return false;
    }
    for (q++; q < params + n && *q != ';'; q++) {
        if (*q != '.' && *q != '0' && *q != ' ' && *q != '\t') {
            return false;
        }
    }
    return true;
}

/* Whether the client's Accept-Encoding allows gzip: named without q=0, or "*" without q=0
 * when gzip is not named. */
static bool accepts_gzip(const struct pt_http_ctx *ctx)
{
    const char *p = pt_http_header(ctx, "Accept-Encoding");
    int gzip_named = -1; /* -1: not named; else whether allowed */
    int star = -1;
    while (p != NULL && *p != '\0') {
        size_t n = strcspn(p, ",");
        size_t tok_start = strspn(p, " \t");
        size_t tok_len = strcspn(p + tok_start, " \t;,");
        const char *tok = p + tok_start;
        bool allowed = !is_q_zero(p, n);
        if ((tok_len == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
            (tok_len == 6 && strncasecmp(tok, "x-gzip", 6) == 0)) {
            gzip_named = allowed;
        } else if (tok_len == 1 && tok[0] == '*') {
            star = allowed;
        }
        p += n;
        p += *p == ',' ? 1 : 0;
    }
    return gzip_named >= 0 ? gzip_named == 1 : star == 1;
}

static void answer_file(struct pt_http_ctx *ctx, const struct pt_static_file *file)
{
    bool gzip = file->gzip != NULL && accepts_gzip(ctx);
    struct pt_http_response *resp = &ctx->resp;
    pt_http_reply_borrowed(ctx, 200, file->content_type,
                           (const char *)(gzip ? file->gzip : file->body),
                           gzip ? file->gzip_len : file->body_len, false);
    if (gzip) {
        (void)pt_http_response_header(resp, "Content-Encoding", "gzip");
    }
    if (file->gzip != NULL) {
        (void)pt_http_response_header(resp, "Vary", "Accept-Encoding");
    }
    (void)pt_http_response_header(
        resp, "Cache-Control",
        has_prefix(file->path, "/assets/")                ? "public, max-age=31536000, immutable"
        : strstr(file->content_type, "text/html") != NULL ? "no-cache"
                                                          : "public, max-age=300");
    (void)pt_http_response_header(resp, "X-Content-Type-Options", "nosniff");
    (void)pt_http_response_header(resp, "Content-Security-Policy", CSP_POLICY);
    (void)pt_http_response_header(resp, "X-Frame-Options", "DENY");
    (void)pt_http_response_header(resp, "Referrer-Policy", "same-origin");
}

bool pt_http_static_answer(struct pt_http_ctx *ctx)
{
    const char *path = ctx->path;
    const struct pt_static_file *file;
    if (strcmp(ctx->method, "GET") != 0 && strcmp(ctx->method, "HEAD") != 0) {
        return false;
    }
    if (is_under(path, "/v1") || strcspn(ctx->head->target, "?") >= sizeof(ctx->path)) {
        return false; /* The API's own 404; and a path too long to be ours (ctx->path). */
    }
    if (has_dot_segment(path)) {
        pt_http_reply_error(ctx, 404, "not_found", NULL, "no such file");
        return true;
    }
    file = file_find(path);
    if (file == NULL && is_under(path, "/assets")) {
        /* A missing script or style must not receive a page in its place. */
        pt_http_reply_error(ctx, 404, "not_found", NULL, "no such file");
        return true;
    }
    if (file == NULL) {
        file = file_find(is_under(path, "/till")     ? "/till/index.html"
                         : is_under(path, "/portal") ? "/portal/index.html"
                                                     : "/index.html");
    }
    if (file == NULL) {
        return false; /* A binary built without the faces. */
    }
    answer_file(ctx, file);
    return true;
}
