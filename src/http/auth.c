/* SPDX-License-Identifier: MIT */
/*
 * Authentication and the roles (docs/security.md, "Roles" and "Sessions"), decided from the
 * request's head before a byte of its body is read.
 *
 * A request with `Authorization: Bearer <key>` is the key's, whatever cookie it also carries:
 * a key is not sent by a browser on its own, so it needs no CSRF token. Without it, the
 * `patron_session` cookie names a session (a user's or a member's); a cookie cannot be kept
 * from a request another site makes the browser send, so every such request but a GET must
 * carry the session's X-CSRF-Token (compared in constant time), else 403 csrf_failed.
 *
 * Then the route's flags and the caller's role: admin every route; staff those not flagged
 * admin; viewer every GET but those flagged no-viewer, and nothing else; a member's session
 * only routes flagged for members, and on a route of a member's path only its own id (another
 * is 404, as if absent). Routes flagged session are the current session's own, for every role.
 * A publishable key (docs/security.md, "Publishable keys") is a web shop's, its secret in the
 * shop's pages: its request must come from one of its allowed origins (the Origin header, which
 * a browser sets and a page cannot), else 403 origin_not_allowed, and may only call routes
 * flagged publishable, else 403 forbidden. The public routes among those read a key when one
 * is sent, so that its origin, its program and its rate bucket apply.
 * The settings (secure cookies, the sign-in rate) are set once before serving.
 */
#include "http/http_int.h"

#include "base/assert.h"
#include "base/random.h"

#include <stdio.h>
#include <string.h>

static const char cookie_name[] = "patron_session";

static bool secure_cookies;
static unsigned sign_in_per_minute = PT_SIGN_IN_PER_MINUTE_DEFAULT;

void pt_http_auth_configure(const struct pt_http_config *config)
{
    secure_cookies = config->secure_cookies;
    if (config->sign_in_per_minute >= 1 &&
        config->sign_in_per_minute <= PT_SIGN_IN_PER_MINUTE_MAX) {
        sign_in_per_minute = config->sign_in_per_minute;
    }
}

unsigned pt_http_sign_in_per_minute(void)
{
    return sign_in_per_minute;
}

void pt_http_session_cookie(struct pt_http_ctx *ctx, const char *token, int64_t max_age_s)
{
    char value[160];
    bool fits;
    pt_assert(max_age_s >= 0);
    pt_assert(strlen(token) <= PT_SESSION_TOKEN_BYTES);
    (void)snprintf(value, sizeof(value), "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
                   cookie_name, token, (long long)max_age_s, secure_cookies ? "; Secure" : "");
    fits = pt_http_response_header(&ctx->resp, "Set-Cookie", value);
    /* The block (PT_HTTP_RESPONSE_HEADERS_BYTES) holds a few hundred bytes of headers before. */
    pt_assert(fits);
}

/* The session token of the Cookie header, or NULL; *len its bytes. Cookies are "name=value"
 * pairs separated by "; " (RFC 6265 section 4.2.1); the first of the name counts. */
static const char *session_cookie(const struct pt_http_ctx *ctx, size_t *len)
{
    const char *p = pt_http_header(ctx, "Cookie");
    size_t name_len = sizeof(cookie_name) - 1;
    while (p != NULL && *p != '\0') {
        size_t pair;
        while (*p == ' ' || *p == ';') {
            p++;
        }
        pair = strcspn(p, ";");
        if (pair > name_len && strncmp(p, cookie_name, name_len) == 0 && p[name_len] == '=') {
            *len = pair - name_len - 1;
            return p + name_len + 1;
        }
        p += pair;
    }
    return NULL;
}

/* A cookie's write must carry the session's CSRF token. */
static bool csrf_check(struct pt_http_ctx *ctx)
{
    const char *sent = pt_http_header(ctx, "X-CSRF-Token");
    char expected[PT_SESSION_TOKEN_BYTES + 1];
    if (strcmp(ctx->method, "GET") == 0) {
        return true;
    }
    pt_service_session_csrf(ctx->session_token, strlen(ctx->session_token), expected);
    if (sent != NULL && strlen(sent) == PT_SESSION_TOKEN_BYTES &&
        pt_secret_equal(sent, expected, PT_SESSION_TOKEN_BYTES)) {
        return true;
    }
    pt_http_reply_error(ctx, 403, "csrf_failed", NULL,
                        "a signed-in request that changes something must send the session's "
                        "csrf_token as X-CSRF-Token");
    return false;
}

/* Resolves the session cookie; answers 401 or 403 csrf_failed and returns false. */
static bool authenticate_cookie(struct pt_http_ctx *ctx)
{
    struct pt_err err;
    size_t len = 0;
    const char *token = session_cookie(ctx, &len);
    pt_err_clear(&err);
    if (token == NULL) {
        pt_http_reply_error(ctx, 401, "unauthorized", NULL,
                            "send the API key as 'Authorization: Bearer <key>', or sign in");
        return false;
    }
    if (pt_service_session_authenticate(ctx->svc, token, len, &ctx->arena, &ctx->who, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return false;
    }
    pt_assert(len == PT_SESSION_TOKEN_BYTES); /* Its shape was checked. */
    memcpy(ctx->session_token, token, len);
    ctx->session_token[len] = '\0';
    ctx->has_who = true;
    return csrf_check(ctx);
}

static bool authenticate(struct pt_http_ctx *ctx)
{
    const char *auth = pt_http_header(ctx, "Authorization");
    struct pt_err err;
    pt_err_clear(&err);
    if (auth == NULL) {
        return authenticate_cookie(ctx);
    }
    if (strncmp(auth, "Bearer ", 7) != 0) {
        pt_http_reply_error(ctx, 401, "unauthorized", NULL,
                            "send the API key as 'Authorization: Bearer <key>'");
        return false;
    }
    if (pt_service_authenticate(ctx->svc, auth + 7, strlen(auth + 7), &ctx->arena, &ctx->who,
                                &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return false;
    }
    ctx->who.kind = PT_PRINCIPAL_KEY;
    ctx->has_who = true;
    return true;
}

/* A member's session: its routes, its own id. */
static bool member_allowed(struct pt_http_ctx *ctx, const struct pt_route *route)
{
    if (!(route->flags & (PT_ROUTE_MEMBER | PT_ROUTE_MEMBER_SELF | PT_ROUTE_SESSION))) {
        pt_http_reply_error(ctx, 403, "forbidden", NULL, "a member's session may not do this");
        return false;
    }
    if ((route->flags & PT_ROUTE_MEMBER_SELF) && strcmp(ctx->params[0], ctx->who.member_id) != 0) {
        pt_http_reply_error(ctx, 404, "not_found", NULL, "no such member");
        return false;
    }
    return true;
}

/* A publishable key's request: from one of its origins, to a route flagged for it. */
static bool publishable_allowed(struct pt_http_ctx *ctx, const struct pt_route *route)
{
    const char *origin = pt_http_header(ctx, "Origin");
    if (origin == NULL || !pt_origin_listed(ctx->who.origins, origin, strlen(origin))) {
        pt_http_reply_error(ctx, 403, "origin_not_allowed", NULL,
                            "a publishable key is used only from the origins it allows: send "
                            "the request from one of its allowed_origins (the Origin header)");
        return false;
    }
    ctx->cors = true; /* From here on, its answers (errors too) may be read by the page. */
    if (!(route->flags & PT_ROUTE_PUBLISHABLE)) {
        pt_http_reply_error(ctx, 403, "forbidden", NULL,
                            "a publishable key may only evaluate guest carts, read the public "
                            "program and read a member by a member token");
        return false;
    }
    return true;
}

/* The route's flags against the caller's role; answers 403 (404) and returns false. */
static bool role_allowed(struct pt_http_ctx *ctx, const struct pt_route *route)
{
    bool read = strcmp(ctx->method, "GET") == 0;
    if (ctx->who.role == PT_ROLE_PUBLISHABLE) {
        pt_assert(ctx->who.kind == PT_PRINCIPAL_KEY && ctx->who.origins != NULL);
        return publishable_allowed(ctx, route); /* Its origin first, whatever the route. */
    }
    if ((route->flags & PT_ROUTE_SESSION) && ctx->who.kind == PT_PRINCIPAL_KEY) {
        pt_http_reply_error(ctx, 403, "forbidden", NULL,
                            "this route is a signed-in session's, not an API key's");
        return false;
    }
    switch (ctx->who.role) {
    case PT_ROLE_ADMIN:
        return true;
    case PT_ROLE_STAFF:
        if (route->flags & PT_ROUTE_ADMIN) {
            pt_http_reply_error(ctx, 403, "forbidden", NULL, "this needs an admin");
            return false;
        }
        return true;
    case PT_ROLE_VIEWER:
        if ((route->flags & PT_ROUTE_NO_VIEWER) || (!read && !(route->flags & PT_ROUTE_SESSION))) {
            pt_http_reply_error(ctx, 403, "forbidden", NULL, "a viewer may only read");
            return false;
        }
        return true;
    case PT_ROLE_MEMBER:
        pt_assert(ctx->who.kind == PT_PRINCIPAL_MEMBER);
        return member_allowed(ctx, route);
    case PT_ROLE_PUBLISHABLE: /* Decided above. */
    case PT_ROLES:
        break;
    }
    pt_assert(!"a known role");
    return false;
}

bool pt_http_authorize(struct pt_http_ctx *ctx, const struct pt_route *route)
{
    if ((route->flags & PT_ROUTE_PUBLIC) &&
        !((route->flags & PT_ROUTE_PUBLISHABLE) && pt_http_header(ctx, "Authorization") != NULL)) {
        return true;
    }
    if (!authenticate(ctx)) {
        return false;
    }
    /* A member role only ever comes from a member's session (keys and users cannot have it). */
    pt_assert((ctx->who.role == PT_ROLE_MEMBER) == (ctx->who.kind == PT_PRINCIPAL_MEMBER));
    return role_allowed(ctx, route);
}
