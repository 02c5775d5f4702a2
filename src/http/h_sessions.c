/* SPDX-License-Identifier: MIT */
/*
 * Signing in (docs/security.md, "Sessions"): POST /v1/sessions (a user), GET and DELETE
 * /v1/sessions/current, POST /v1/sessions/current/password; and the member portal's sign-up,
 * sign-in and password resets under /v1/portal. A session's token goes out once, in the
 * Set-Cookie of its sign-in, and its CSRF token in the body; neither, nor a password, is ever
 * logged (the request log shows the route's path only).
 */
#include "http/http_int.h"

#include "base/assert.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- Answers ---- */

/* {"kind", "user" | "member", "program_id", "csrf_token", "expires_at"}. new */
static json_t *signed_in_json(const struct pt_signed_in *s)
{
    const struct pt_session *session = &s->session;
    json_t *root = json_pack("{s:s,s:s,s:s,s:o}", "kind", pt_session_kind_names[session->kind],
                             "program_id", session->program_id, "csrf_token", s->csrf_token,
                             "expires_at", pt_json_time(session->expires_at_ms));
    json_t *who = session->kind == PT_SESSION_USER ? pt_http_user_json(&s->user)
                                                   : pt_http_member_json(&s->member);
    if (root == NULL || who == NULL) {
        json_decref(root);
        json_decref(who);
        return NULL;
    }
    (void)json_object_set_new(root, pt_session_kind_names[session->kind], who);
    return root;
}

/* 201 with the session and its cookie. */
static void reply_signed_in(struct pt_http_ctx *ctx, const struct pt_signed_in *s)
{
    int64_t max_age_s = (s->session.expires_at_ms - s->session.created_at_ms) / 1000;
    pt_assert(max_age_s > 0);
    pt_http_reply_json(ctx, 201, signed_in_json(s));
    if (ctx->resp.status == 201) {
        pt_http_session_cookie(ctx, s->token, max_age_s);
    }
}

/* The error, with Retry-After for a lock. */
static void reply_refused(struct pt_http_ctx *ctx, const struct pt_err *err, int64_t retry_after_s)
{
    char value[24];
    pt_http_reply_err(ctx, err);
    if (err->rc == PT_ERATE && retry_after_s > 0) {
        (void)snprintf(value, sizeof(value), "%lld", (long long)retry_after_s);
        (void)pt_http_response_header(&ctx->resp, "Retry-After", value);
    }
}

/* A body's text fields, in order: name, required, where. PT_EINVAL naming the first bad one. */
struct text_field {
    const char *name;
    bool required;
    const char **out;
};

static enum pt_rc body_texts(json_t *body, const struct text_field *f, size_t n,
                             struct pt_arena *arena, struct pt_err *err)
{
    enum pt_rc rc = PT_OK;
    size_t i;
    for (i = 0; rc == PT_OK && i < n; i++) {
        rc = pt_json_get_string(body, f[i].name, f[i].required, arena, f[i].out, err);
    }
    return rc;
}

/* ---- A user's sign-in, the current session ---- */

/* Signs in req (its login and password read from the body); answers. */
static void sign_in(struct pt_http_ctx *ctx, struct pt_sign_in *req)
{
    struct pt_signed_in out;
    struct pt_err err;
    int64_t retry_after_s = 0;
    pt_err_clear(&err);
    /* A password or login past the bounds could not have been set: refused as any wrong one,
     * before a hash is spent on it. */
    if (strlen(req->password) > PT_PASSWORD_BYTES_MAX || strlen(req->login) > PT_LOGIN_BYTES_MAX) {
        if (pt_sign_in_refused(&err) != PT_OK) {
            pt_http_reply_err(ctx, &err);
        }
        return;
    }
    if (pt_service_sign_in(ctx->svc, req, &ctx->arena, &out, &retry_after_s, &err) != PT_OK) {
        reply_refused(ctx, &err, retry_after_s);
        return;
    }
    reply_signed_in(ctx, &out);
}

/* POST /v1/sessions and POST /v1/portal/sessions: {login_name, "password", "program_id"?}. */
static void sign_in_route(struct pt_http_ctx *ctx, const char *login_name,
                          enum pt_session_kind kind)
{
    const char *fields[] = {login_name, "password", "program_id", NULL};
    struct pt_sign_in req = {.kind = kind};
    const char *login = NULL;
    struct text_field texts[] = {{login_name, true, &login},
                                 {"password", true, &req.password},
                                 {"program_id", false, &req.program_id}};
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = body_texts(body, texts, sizeof(texts) / sizeof(texts[0]), &ctx->arena, &err);
    }
    json_decref(body);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    req.login = (char *)(uintptr_t)login; /* An arena copy: ours to normalize. */
    sign_in(ctx, &req);
}

void pt_h_session_create(struct pt_http_ctx *ctx)
{
    sign_in_route(ctx, "email", PT_SESSION_USER);
}

void pt_h_session_get(struct pt_http_ctx *ctx)
{
    struct pt_signed_in out;
    struct pt_err err;
    json_t *root;
    pt_err_clear(&err);
    if (pt_service_session_current(ctx->svc, &ctx->who, &ctx->arena, &out, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_service_session_csrf(ctx->session_token, strlen(ctx->session_token), out.csrf_token);
    root = signed_in_json(&out);
    pt_http_reply_json(ctx, 200, root);
}

void pt_h_session_delete(struct pt_http_ctx *ctx)
{
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_sign_out(ctx->svc, &ctx->who, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_raw(ctx, 204, "application/json", "", 0, false);
    pt_http_session_cookie(ctx, "", 0);
}

void pt_h_session_password(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"current_password", "new_password", NULL};
    const char *current = NULL;
    const char *next = NULL;
    struct text_field texts[] = {{"current_password", true, &current},
                                 {"new_password", true, &next}};
    struct pt_err err;
    int64_t retry_after_s = 0;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = body_texts(body, texts, sizeof(texts) / sizeof(texts[0]), &ctx->arena, &err);
    }
    json_decref(body);
    if (rc == PT_OK && strlen(current) > PT_PASSWORD_BYTES_MAX) {
        (void)pt_err_set(&err, PT_EFORBIDDEN, "current_password", "the current password is wrong");
        rc = pt_err_code(&err, "invalid_credentials");
    }
    if (rc == PT_OK) {
        rc = pt_service_password_change(ctx->svc, &ctx->who, current, next, &ctx->arena,
                                        &retry_after_s, &err);
    }
    if (rc != PT_OK) {
        reply_refused(ctx, &err, retry_after_s);
        return;
    }
    pt_http_reply_raw(ctx, 204, "application/json", "", 0, false);
}

/* ---- The member portal ---- */

void pt_h_portal_session_create(struct pt_http_ctx *ctx)
{
    sign_in_route(ctx, "login", PT_SESSION_MEMBER);
}

/* Reads a sign-up: its own fields, then the member's from what is left of the body. */
static enum pt_rc sign_up_read(json_t *body, struct pt_arena *arena, struct pt_sign_up *req,
                               struct pt_member *m, struct pt_err *err)
{
    static const char *const fields[] = {"program_id",      "email",      "phone",
                                         "password",        "first_name", "last_name",
                                         "invitation_code", "consents",   NULL};
    struct text_field texts[] = {{"program_id", false, &req->program_id},
                                 {"password", true, &req->password},
                                 {"invitation_code", false, &req->invitation_code}};
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    size_t i;
    if (rc == PT_OK) {
        rc = body_texts(body, texts, sizeof(texts) / sizeof(texts[0]), arena, err);
    }
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        (void)json_object_del(body, texts[i].name); /* Absent ones: nothing to delete. */
    }
    if (rc == PT_OK) {
        rc = pt_decode_member(body, false, arena, m, err);
    }
    req->member = m;
    return rc;
}

void pt_h_portal_sign_up(struct pt_http_ctx *ctx)
{
    struct pt_sign_up req;
    struct pt_member m;
    struct pt_signed_in out;
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    memset(&req, 0, sizeof(req));
    memset(&m, 0, sizeof(m));
    if (body == NULL) {
        return;
    }
    rc = sign_up_read(body, &ctx->arena, &req, &m, &err);
    json_decref(body);
    if (rc == PT_OK) {
        rc = pt_service_sign_up(ctx->svc, &req, &ctx->arena, &out, &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    reply_signed_in(ctx, &out);
}

void pt_h_portal_reset_request(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"program_id", "login", NULL};
    const char *program_id = NULL;
    const char *login = NULL;
    struct text_field texts[] = {{"login", true, &login}, {"program_id", false, &program_id}};
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = body_texts(body, texts, sizeof(texts) / sizeof(texts[0]), &ctx->arena, &err);
    }
    json_decref(body);
    /* An empty or over-long login, or a program id no id could be, is no one's by its shape:
     * refused as bad input, which tells nothing of who is a member. */
    if (rc == PT_OK && (login[0] == '\0' || strlen(login) > PT_LOGIN_BYTES_MAX)) {
        rc = pt_err_set(&err, PT_EINVAL, "login",
                        "login must be an email or a phone number of "
                        "1 to %d bytes",
                        PT_LOGIN_BYTES_MAX);
    } else if (rc == PT_OK && program_id != NULL && strlen(program_id) >= PT_ID_BUF_BYTES) {
        rc = pt_err_set(&err, PT_EINVAL, "program_id", "program_id is not a program's id");
    }
    if (rc == PT_OK) {
        rc = pt_service_reset_request(ctx->svc, program_id, (char *)(uintptr_t)login, &ctx->arena,
                                      &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    /* The same answer whether or not the login is a member's. */
    pt_http_reply_raw(ctx, 202, "application/json", "{}", 2, false);
}

void pt_h_portal_reset_confirm(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"token", "password", NULL};
    const char *token = NULL;
    const char *password = NULL;
    struct text_field texts[] = {{"token", true, &token}, {"password", true, &password}};
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = body_texts(body, texts, sizeof(texts) / sizeof(texts[0]), &ctx->arena, &err);
    }
    json_decref(body);
    if (rc == PT_OK) {
        rc = pt_service_reset_confirm(ctx->svc, token, strlen(token), password, &ctx->arena, &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_raw(ctx, 204, "application/json", "", 0, false);
}
