/* SPDX-License-Identifier: MIT */
/*
 * A program's users: creating one with its password, reading and listing them, and changing
 * one (name, role, status, password). A change that takes a user's rights away (disabled,
 * another role, a new password) ends its sessions in the same write, and empties this process's
 * session cache once it is committed. The program keeps at least one active admin user once it
 * has one (409 last_admin).
 */
#include "service/service_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

/* A user as read: its lock shown only while it holds at the program's now. */
static void user_shown(struct pt_service *svc, struct pt_user *u)
{
    if (u->locked_until_ms != 0 && u->locked_until_ms <= pt_svc_now_ms(svc, u->program_id)) {
        u->locked_until_ms = 0;
    }
}

/* ---- Create ---- */

struct user_create_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_user *user;
    const char *password_hash;
};

static enum pt_rc user_create_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct user_create_ctx *ctx = (struct user_create_ctx *)w;
    struct pt_credential cred;
    enum pt_rc rc = pt_store_user_insert(w->txn, ctx->user, err);
    memset(&cred, 0, sizeof(cred));
    memcpy(cred.subject_id, ctx->user->id, sizeof(cred.subject_id));
    (void)snprintf(cred.password_hash, sizeof(cred.password_hash), "%s", ctx->password_hash);
    cred.updated_at_ms = w->now_ms;
    if (rc == PT_OK) {
        rc = pt_store_credential_put(w->txn, ctx->user->program_id, &cred, err);
    }
    w->result = ctx->user;
    w->ref_id = ctx->user->id;
    return rc;
}

static const struct pt_write_case user_create_case = {
    .name = "user_create",
    .body = user_create_body,
};

enum pt_rc pt_service_user_create(struct pt_service *svc, const struct pt_principal *who,
                                  struct pt_user_new *req, struct pt_idem *idem,
                                  struct pt_arena *arena, struct pt_user *out, struct pt_err *err)
{
    struct user_create_ctx ctx = {.user = out};
    char hash[PT_PASSWORD_HASH_BYTES];
    enum pt_rc rc;
    pt_assert(req->email != NULL && req->name != NULL && req->password != NULL);
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    memset(out, 0, sizeof(*out));
    pt_email_normalize(req->email);
    out->email = req->email;
    out->name = req->name;
    out->role = req->role;
    out->status = PT_USER_ACTIVE;
    rc = pt_user_validate(out, err);
    if (rc == PT_OK) {
        rc = pt_password_validate("password", req->password, req->email, NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_password_hash(svc, req->password, hash, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("usr", ctx.w.now_ms, out->id);
    (void)snprintf(out->program_id, sizeof(out->program_id), "%s", who->program_id);
    out->created_at_ms = ctx.w.now_ms;
    out->updated_at_ms = ctx.w.now_ms;
    ctx.password_hash = hash;
    rc = pt_svc_write(&ctx.w, &user_create_case, err);
    return rc;
}

/* ---- Reads ---- */

enum pt_rc pt_service_user_get(struct pt_service *svc, const struct pt_principal *who,
                               const char *user_id, struct pt_arena *arena, struct pt_user *out,
                               struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_user_get(txn, who->program_id, user_id, arena, out, err);
    if (rc == PT_OK) {
        user_shown(svc, out);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

enum pt_rc pt_service_user_list(struct pt_service *svc, const struct pt_principal *who,
                                const char *cursor_id, unsigned limit, struct pt_arena *arena,
                                struct pt_user **out, unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    unsigned i;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_user_list(txn, who->program_id, cursor_id, limit, arena, out, count, err);
    for (i = 0; rc == PT_OK && i < *count; i++) {
        user_shown(svc, &(*out)[i]);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

/* ---- Changes ---- */

struct user_update_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *user_id;
    const struct pt_user_patch *patch;
    const char *password_hash; /* The new password's, or NULL. */
    struct pt_user *out;
    bool sessions_ended; /* OUT: the user's sessions were ended. */
};

/* Refuses a change that leaves the program without an active admin user. */
static enum pt_rc user_keeps_admin(struct pt_svc_write *w, const struct pt_user *before,
                                   const struct pt_user *after, struct pt_err *err)
{
    int64_t others = 0;
    enum pt_rc rc;
    if (before->role != PT_ROLE_ADMIN || before->status != PT_USER_ACTIVE) {
        return PT_OK;
    }
    if (after->role == PT_ROLE_ADMIN && after->status == PT_USER_ACTIVE) {
        return PT_OK;
    }
    rc = pt_store_user_count_admins(w->txn, before->program_id, before->id, &others, err);
    if (rc == PT_OK && others == 0) {
        rc = pt_user_last_admin(err);
    }
    return rc;
}

/* Sets the new password, clearing any lock (an admin's reset of a locked-out user). */
static enum pt_rc user_password_set(struct user_update_ctx *ctx, struct pt_err *err)
{
    struct pt_credential cred;
    enum pt_rc rc =
        pt_store_credential_get(ctx->w.txn, ctx->w.who->program_id, ctx->user_id, &cred, err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        memset(&cred, 0, sizeof(cred));
        (void)snprintf(cred.subject_id, sizeof(cred.subject_id), "%s", ctx->user_id);
        rc = PT_OK;
    }
    if (rc != PT_OK) {
        return rc;
    }
    (void)snprintf(cred.password_hash, sizeof(cred.password_hash), "%s", ctx->password_hash);
    pt_login_succeeded(&cred.login);
    cred.updated_at_ms = ctx->w.now_ms;
    return pt_store_credential_put(ctx->w.txn, ctx->w.who->program_id, &cred, err);
}

static enum pt_rc user_update_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct user_update_ctx *ctx = (struct user_update_ctx *)w;
    const struct pt_user_patch *p = ctx->patch;
    struct pt_user before;
    struct pt_user *u = ctx->out;
    enum pt_rc rc =
        pt_store_user_get(w->txn, w->who->program_id, ctx->user_id, w->arena, &before, err);
    if (rc != PT_OK) {
        return rc;
    }
    *u = before;
    u->name = p->name != NULL ? p->name : before.name;
    u->role = p->has_role ? p->role : before.role;
    u->status = p->has_status ? p->status : before.status;
    u->updated_at_ms = w->now_ms;
    rc = user_keeps_admin(w, &before, u, err);
    if (rc == PT_OK) {
        rc = pt_store_user_update(w->txn, u, err);
    }
    if (rc == PT_OK && ctx->password_hash != NULL) {
        rc = user_password_set(ctx, err);
    }
    ctx->sessions_ended = ctx->password_hash != NULL || u->role != before.role ||
                          (u->status == PT_USER_DISABLED && before.status != PT_USER_DISABLED);
    if (rc == PT_OK && ctx->sessions_ended) {
        rc = pt_store_sessions_end(w->txn, w->who->program_id, ctx->user_id, NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_user_get(w->txn, w->who->program_id, ctx->user_id, w->arena, u, err);
    }
    w->result = u;
    w->ref_id = u->id;
    return rc;
}

static const struct pt_write_case user_update_case = {
    .name = "user_update",
    .body = user_update_body,
};

/* The checks of a patch before the write, and its password's hash (the user's email is read
 * for the password rule). */
static enum pt_rc user_patch_check(struct pt_service *svc, const struct pt_principal *who,
                                   const char *user_id, const struct pt_user_patch *patch,
                                   struct pt_arena *arena, char *hash, struct pt_err *err)
{
    struct pt_user current;
    enum pt_role role;
    enum pt_rc rc = PT_OK;
    if (patch->name != NULL) {
        rc = pt_user_name_validate(patch->name, err);
    }
    if (rc == PT_OK && patch->has_role) {
        rc = pt_user_role_parse(pt_role_names[patch->role], &role, err);
    }
    if (rc != PT_OK || patch->password == NULL) {
        return rc;
    }
    rc = pt_service_user_get(svc, who, user_id, arena, &current, err);
    if (rc == PT_OK) {
        rc = pt_password_validate("password", patch->password, current.email, NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_password_hash(svc, patch->password, hash, err);
    }
    return rc;
}

enum pt_rc pt_service_user_update(struct pt_service *svc, const struct pt_principal *who,
                                  const char *user_id, const struct pt_user_patch *patch,
                                  struct pt_arena *arena, struct pt_user *out, struct pt_err *err)
{
    struct user_update_ctx ctx = {.user_id = user_id, .patch = patch, .out = out};
    char hash[PT_PASSWORD_HASH_BYTES];
    enum pt_rc rc = user_patch_check(svc, who, user_id, patch, arena, hash, err);
    if (rc != PT_OK) {
        return rc;
    }
    ctx.password_hash = patch->password != NULL ? hash : NULL;
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    rc = pt_svc_write(&ctx.w, &user_update_case, err);
    if (rc == PT_OK && ctx.sessions_ended) {
        /* After the commit, so that no request caches a session again from before it. */
        pt_svc_session_cache_clear(svc);
    }
    if (rc == PT_OK) {
        user_shown(svc, out);
    }
    return rc;
}
