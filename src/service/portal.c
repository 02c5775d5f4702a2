/* SPDX-License-Identifier: MIT */
/*
 * The member portal (docs/security.md, "Members"): sign-up with a password as the program's
 * enrollment allows, password resets (a token good for an hour, once, handed to the delivery
 * hook), and the default program the portal's requests fall back to.
 *
 * A reset request answers the same whether or not the login is a member's (the caller always
 * answers 202), and its token goes only to the hook: never to the answer, never to the log but
 * through the development hook that says so.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/log.h"
#include "base/random.h"

#include <stdio.h>
#include <string.h>

/* ---- Programs ---- */

enum pt_rc pt_svc_program_pick(struct pt_service *svc, const char *program_id, char *out,
                               struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_program_pick(txn, program_id, out, err);
    pt_store_read_end(txn);
    return rc;
}

enum pt_rc pt_service_program_default(struct pt_service *svc, char *out, struct pt_err *err)
{
    return pt_svc_program_pick(svc, NULL, out, err);
}

/* ---- Sign-up ---- */

struct sign_up_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_sign_up *req;
    const char *password_hash;
    struct pt_signed_in *out;
};

static enum pt_rc sign_up_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct sign_up_ctx *ctx = (struct sign_up_ctx *)w;
    struct pt_member *m = ctx->req->member;
    struct pt_credential cred;
    enum pt_rc rc = pt_svc_member_enroll(w, m, ctx->req->invitation_code, NULL, err);
    if (rc == PT_OK) {
        memset(&cred, 0, sizeof(cred));
        memcpy(cred.subject_id, m->id, sizeof(cred.subject_id));
        (void)snprintf(cred.password_hash, sizeof(cred.password_hash), "%s", ctx->password_hash);
        cred.last_sign_in_at_ms = w->now_ms;
        cred.updated_at_ms = w->now_ms;
        rc = pt_store_credential_put(w->txn, w->who->program_id, &cred, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_session_start(w, PT_SESSION_MEMBER, m->id, ctx->out, err);
    }
    w->result = m; /* The event's payload: member.created, as an enrollment by staff. */
    w->event_member_id = m->id;
    return rc;
}

static const struct pt_write_case sign_up_case = {
    .name = "sign_up",
    .event = "member.created",
    .encoder = offsetof(struct pt_encoders, member),
    .body = sign_up_body,
};

/* What may be refused before a hash is spent: the enrollment, the member's fields, the
 * password. */
static enum pt_rc sign_up_check(struct pt_service *svc, const char *program_id,
                                const struct pt_sign_up *req, struct pt_arena *arena,
                                struct pt_err *err)
{
    const struct pt_member *m = req->member;
    struct pt_store_txn *txn = NULL;
    struct pt_program program;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_program_get(txn, program_id, arena, &program, err);
    rc = pt_svc_read_end(txn, arena, rc, err);
    if (rc == PT_OK) {
        rc = pt_enrollment_check(program.enrollment, req->invitation_code != NULL, err);
    }
    if (rc == PT_OK && m->email == NULL && m->phone == NULL) {
        rc = pt_err_set(err, PT_EINVAL, "email", "give an email or a phone number to sign in with");
    }
    if (rc == PT_OK) {
        rc = pt_member_validate(m, pt_svc_now_ms(svc, program_id), err);
    }
    if (rc == PT_OK) {
        rc = pt_password_validate("password", req->password, m->email, m->phone, err);
    }
    return rc;
}

/* A taken email or phone, said as the portal says it: sign in, or reset the password. */
static enum pt_rc sign_up_refusal(struct pt_err *err)
{
    if (err->rc == PT_ECONFLICT &&
        (strcmp(err->field, "email") == 0 || strcmp(err->field, "phone") == 0)) {
        char field[sizeof(err->field)];
        memcpy(field, err->field, sizeof(field));
        pt_err_clear(err);
        (void)pt_err_set(err, PT_ECONFLICT, field,
                         "a member with this %s exists already: sign in, or reset the password",
                         field);
        return pt_err_code(err, "conflict");
    }
    if (strcmp(err->field, "referred_by") == 0) {
        (void)snprintf(err->field, sizeof(err->field), "invitation_code");
    }
    return err->rc;
}

enum pt_rc pt_service_sign_up(struct pt_service *svc, struct pt_sign_up *req,
                              struct pt_arena *arena, struct pt_signed_in *out, struct pt_err *err)
{
    struct sign_up_ctx ctx = {.req = req, .out = out};
    struct pt_principal who;
    struct pt_member *m = req->member;
    char hash[PT_PASSWORD_HASH_BYTES];
    enum pt_rc rc;
    pt_assert(m->attributes_json != NULL);
    memset(out, 0, sizeof(*out));
    memset(&who, 0, sizeof(who));
    who.kind = PT_PRINCIPAL_MEMBER;
    rc = pt_svc_program_pick(svc, req->program_id, who.program_id, err);
    if (rc == PT_OK) {
        rc = sign_up_check(svc, who.program_id, req, arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_password_hash(svc, req->password, hash, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_write_init(&ctx.w, svc, &who, NULL, arena);
    (void)snprintf(m->program_id, sizeof(m->program_id), "%s", who.program_id);
    m->status = PT_MEMBER_ACTIVE;
    m->enrolled_at_ms = ctx.w.now_ms;
    m->updated_at_ms = ctx.w.now_ms;
    m->version = 1;
    ctx.password_hash = hash;
    rc = pt_svc_write(&ctx.w, &sign_up_case, err);
    if (rc != PT_OK) {
        return sign_up_refusal(err);
    }
    out->member = *m;
    return PT_OK;
}

/* ---- Password resets ---- */

void pt_service_set_reset_delivery(struct pt_service *svc, pt_reset_deliver_fn fn, void *ctx)
{
    svc->reset_deliver = fn;
    svc->reset_deliver_ctx = ctx;
}

void pt_service_reset_deliver_log(void *ctx, const struct pt_reset_delivery *d)
{
    char extra[512];
    (void)ctx;
    pt_assert(strlen(d->token) == PT_SESSION_TOKEN_BYTES);
    /* Ids and a base64url token: nothing to escape. The member's email or phone stays out. */
    (void)snprintf(extra, sizeof(extra),
                   ",\"dev_only\":true,\"program_id\":\"%s\",\"member_id\":\"%s\","
                   "\"link\":\"/portal/reset?program=%s&token=%s\"",
                   d->program_id, d->member_id, d->program_id, d->token);
    pt_log("warn", "password reset link (serve --reset-delivery log: development only)", extra);
}

struct reset_request_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const struct pt_password_reset *reset;
};

static enum pt_rc reset_request_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct reset_request_ctx *ctx = (struct reset_request_ctx *)w;
    return pt_store_reset_insert(w->txn, ctx->reset, err);
}

static const struct pt_write_case reset_request_case = {
    .name = "reset_request",
    .body = reset_request_body,
};

/* The member a login names (email or phone), unless closed. OUT: member_id ("" for none). */
static enum pt_rc reset_member(struct pt_service *svc, const char *program_id, const char *login,
                               struct pt_arena *arena, char *member_id, struct pt_err *err)
{
    const char *kind = strchr(login, '@') != NULL ? "email" : "phone";
    struct pt_store_txn *txn = NULL;
    struct pt_member m;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_member_key_owner(txn, program_id, kind, login, member_id, err);
    if (rc == PT_OK) {
        rc = pt_store_member_get(txn, program_id, member_id, arena, &m, err);
    }
    rc = pt_svc_read_end(txn, arena, rc, err);
    if (rc == PT_ENOTFOUND || (rc == PT_OK && pt_member_is_closed(&m))) {
        pt_err_clear(err);
        member_id[0] = '\0';
        rc = PT_OK;
    }
    return rc;
}

enum pt_rc pt_service_reset_request(struct pt_service *svc, const char *program_id, char *login,
                                    struct pt_arena *arena, struct pt_err *err)
{
    struct reset_request_ctx ctx;
    struct pt_password_reset reset;
    struct pt_reset_delivery d;
    struct pt_principal who;
    uint8_t random32[PT_SESSION_TOKEN_RANDOM_BYTES];
    char token[PT_SESSION_TOKEN_BYTES + 1];
    enum pt_rc rc;
    memset(&who, 0, sizeof(who));
    memset(&reset, 0, sizeof(reset));
    rc = pt_svc_program_pick(svc, program_id, who.program_id, err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return PT_OK; /* Answered as any other request: no enumeration of programs either. */
    }
    pt_email_normalize(login);
    if (rc == PT_OK) {
        rc = reset_member(svc, who.program_id, login, arena, reset.member_id, err);
    }
    if (rc != PT_OK || reset.member_id[0] == '\0') {
        return rc;
    }
    pt_random_bytes(random32, sizeof(random32));
    pt_base64url_encode(random32, sizeof(random32), token, sizeof(token));
    pt_hash32(token, PT_SESSION_TOKEN_BYTES, reset.token_hash);
    memcpy(reset.program_id, who.program_id, sizeof(reset.program_id));
    pt_svc_write_init(&ctx.w, svc, &who, NULL, NULL); /* Allocates nothing. */
    ctx.reset = &reset;
    reset.created_at_ms = ctx.w.now_ms;
    reset.expires_at_ms = ctx.w.now_ms + PT_RESET_TOKEN_MS;
    rc = pt_svc_write(&ctx.w, &reset_request_case, err);
    if (rc == PT_OK && svc->reset_deliver != NULL) {
        d.program_id = reset.program_id;
        d.member_id = reset.member_id;
        d.token = token;
        d.expires_at_ms = reset.expires_at_ms;
        svc->reset_deliver(svc->reset_deliver_ctx, &d);
    }
    return rc;
}

struct reset_confirm_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const struct pt_password_reset *reset;
    const char *password_hash;
};

static enum pt_rc reset_confirm_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct reset_confirm_ctx *ctx = (struct reset_confirm_ctx *)w;
    const char *member_id = ctx->reset->member_id;
    struct pt_credential cred;
    enum pt_rc rc = pt_store_reset_use(w->txn, ctx->reset, w->now_ms, err);
    if (rc != PT_OK) {
        return rc; /* PT_ENOTFOUND: used or expired since it was read. */
    }
    rc = pt_store_credential_get(w->txn, w->who->program_id, member_id, &cred, err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err); /* No password yet (enrolled by staff): this sets the first. */
        memset(&cred, 0, sizeof(cred));
        (void)snprintf(cred.subject_id, sizeof(cred.subject_id), "%s", member_id);
        rc = PT_OK;
    }
    if (rc != PT_OK) {
        return rc;
    }
    (void)snprintf(cred.password_hash, sizeof(cred.password_hash), "%s", ctx->password_hash);
    pt_login_succeeded(&cred.login);
    cred.updated_at_ms = w->now_ms;
    rc = pt_store_credential_put(w->txn, w->who->program_id, &cred, err);
    if (rc == PT_OK) {
        rc = pt_store_sessions_end(w->txn, w->who->program_id, member_id, NULL, err);
    }
    return rc;
}

static const struct pt_write_case reset_confirm_case = {
    .name = "reset_confirm",
    .body = reset_confirm_body,
};

static enum pt_rc reset_token_refused(struct pt_err *err)
{
    pt_err_clear(err);
    return pt_err_set(err, PT_EINVAL, "token", "this reset link is unknown, used or expired");
}

/* The reset of token and its member's email and phone (which the password may not be);
 * PT_EINVAL (token) unless it may still be used. */
static enum pt_rc reset_read(struct pt_service *svc, const uint8_t *hash, struct pt_arena *arena,
                             struct pt_password_reset *reset, struct pt_member *m,
                             struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_reset_find(txn, hash, reset, err);
    if (rc == PT_OK) {
        rc = pt_store_member_get(txn, reset->program_id, reset->member_id, arena, m, err);
    }
    rc = pt_svc_read_end(txn, arena, rc, err);
    if (rc == PT_ENOTFOUND ||
        (rc == PT_OK && (reset->used_at_ms != 0 ||
                         reset->expires_at_ms <= pt_svc_now_ms(svc, reset->program_id)))) {
        return reset_token_refused(err);
    }
    return rc;
}

enum pt_rc pt_service_reset_confirm(struct pt_service *svc, const char *token, size_t len,
                                    const char *password, struct pt_arena *arena,
                                    struct pt_err *err)
{
    struct reset_confirm_ctx ctx;
    struct pt_password_reset reset;
    struct pt_principal who;
    struct pt_member m;
    uint8_t hash[32];
    char password_hash[PT_PASSWORD_HASH_BYTES];
    enum pt_rc rc;
    if (!pt_session_token_is_valid(token, len)) {
        return reset_token_refused(err);
    }
    pt_hash32(token, len, hash);
    rc = reset_read(svc, hash, arena, &reset, &m, err);
    if (rc == PT_OK) {
        rc = pt_password_validate("password", password, m.email, m.phone, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_password_hash(svc, password, password_hash, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    memset(&who, 0, sizeof(who));
    memcpy(who.program_id, reset.program_id, sizeof(who.program_id));
    memcpy(who.key_id, reset.member_id, sizeof(who.key_id));
    who.kind = PT_PRINCIPAL_MEMBER;
    pt_svc_write_init(&ctx.w, svc, &who, NULL, NULL); /* Allocates nothing. */
    ctx.reset = &reset;
    ctx.password_hash = password_hash;
    rc = pt_svc_write(&ctx.w, &reset_confirm_case, err);
    if (rc == PT_ENOTFOUND) {
        return reset_token_refused(err); /* Used or expired since it was read. */
    }
    if (rc == PT_OK) {
        pt_svc_session_cache_clear(svc);
    }
    return rc;
}
