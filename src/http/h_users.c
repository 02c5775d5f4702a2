/* SPDX-License-Identifier: MIT */
/*
 * A program's users: POST/GET /v1/users and GET/PATCH /v1/users/{id} (admins only; not even a
 * viewer's GET: routes.c). A user is shown without its password, which is only ever taken.
 */
#include "http/http_int.h"

#include <stdint.h>
#include <string.h>

json_t *pt_http_user_json(const struct pt_user *u)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "id", u->id, "email", u->email,
                     "name", u->name, "role", pt_role_names[u->role], "status",
                     pt_user_status_names[u->status], "created_at", pt_json_time(u->created_at_ms),
                     "updated_at", pt_json_time(u->updated_at_ms), "last_sign_in_at",
                     pt_json_time_or_null(u->last_sign_in_at_ms, 0), "locked_until",
                     pt_json_time_or_null(u->locked_until_ms, 0));
}

/* The user's JSON in the arena: the answer, and what an Idempotency-Key keeps. */
static enum pt_rc user_encode(const void *obj, struct pt_arena *arena, const char **json,
                              struct pt_err *err)
{
    return pt_json_dump_arena(pt_http_user_json(obj), arena, json, err);
}

/* A text the body must (or may) give, as a writable arena copy. */
static enum pt_rc body_text(json_t *body, const char *key, bool required, struct pt_arena *arena,
                            char **out, struct pt_err *err)
{
    const char *s = NULL;
    enum pt_rc rc = pt_json_get_string(body, key, required, arena, &s, err);
    *out = (char *)(uintptr_t)s; /* An arena copy: ours to change. */
    return rc;
}

void pt_h_user_create(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"email", "name", "role", "password", NULL};
    struct pt_user_new req;
    struct pt_user user;
    struct pt_idem idem;
    struct pt_err err;
    char *name = NULL;
    char *role = NULL;
    char *password = NULL;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    memset(&req, 0, sizeof(req));
    if (body == NULL) {
        return;
    }
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = body_text(body, "email", true, &ctx->arena, &req.email, &err);
    }
    if (rc == PT_OK) {
        rc = body_text(body, "name", true, &ctx->arena, &name, &err);
    }
    if (rc == PT_OK) {
        rc = body_text(body, "role", true, &ctx->arena, &role, &err);
    }
    if (rc == PT_OK) {
        rc = body_text(body, "password", true, &ctx->arena, &password, &err);
    }
    json_decref(body);
    if (rc == PT_OK) {
        rc = pt_user_role_parse(role, &req.role, &err);
    }
    req.name = name;
    req.password = password;
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    if (!pt_http_idem_setup(ctx, &idem, user_encode)) {
        return; /* Answered 400 (a malformed Idempotency-Key). */
    }
    rc = pt_service_user_create(ctx->svc, &ctx->who, &req, &idem, &ctx->arena, &user, &err);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_written(ctx, &idem, user_encode, &user, 201);
}

static json_t *user_item_json(const void *item, const void *cls)
{
    (void)cls;
    return pt_http_user_json(item);
}

void pt_h_user_list(struct pt_http_ctx *ctx)
{
    static const struct pt_http_list list = {.params = pt_http_page_query,
                                             .id_prefix = "usr",
                                             .item_bytes = sizeof(struct pt_user),
                                             .key_offset = offsetof(struct pt_user, id),
                                             .encode = user_item_json};
    struct pt_http_page page;
    struct pt_user *users = NULL;
    unsigned count = 0;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    if (pt_service_user_list(ctx->svc, &ctx->who, page.cursor, page.limit + 1, &ctx->arena, &users,
                             &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, users, count, NULL);
}

void pt_h_user_get(struct pt_http_ctx *ctx)
{
    struct pt_user user;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_user_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &user, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pt_http_user_json(&user));
}

/* Reads a merge patch of a user: each field given must be a string (none may be cleared). */
static enum pt_rc user_patch_read(json_t *body, struct pt_arena *arena, struct pt_user_patch *p,
                                  struct pt_err *err)
{
    static const char *const fields[] = {"name", "role", "status", "password", NULL};
    const char *role = NULL;
    const char *status = NULL;
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    size_t i;
    for (i = 0; rc == PT_OK && fields[i] != NULL; i++) {
        if (json_is_null(json_object_get(body, fields[i]))) {
            rc = pt_err_set(err, PT_EINVAL, fields[i], "%s cannot be cleared", fields[i]);
        }
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "name", false, arena, &p->name, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "role", false, arena, &role, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "status", false, arena, &status, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "password", false, arena, &p->password, err);
    }
    p->has_role = role != NULL;
    if (rc == PT_OK && role != NULL) {
        rc = pt_user_role_parse(role, &p->role, err);
    }
    p->has_status = status != NULL;
    if (rc == PT_OK && status != NULL) {
        rc = pt_user_status_parse(status, &p->status, err);
    }
    return rc;
}

void pt_h_user_patch(struct pt_http_ctx *ctx)
{
    struct pt_user_patch patch;
    struct pt_user user;
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    memset(&patch, 0, sizeof(patch));
    if (body == NULL) {
        return;
    }
    rc = user_patch_read(body, &ctx->arena, &patch, &err);
    json_decref(body);
    if (rc == PT_OK) {
        rc = pt_service_user_update(ctx->svc, &ctx->who, ctx->params[0], &patch, &ctx->arena, &user,
                                    &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pt_http_user_json(&user));
}
