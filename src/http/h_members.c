/* SPDX-License-Identifier: MIT */
/*
 * Members: POST/GET /v1/members and GET/PATCH /v1/members/{id}. The JSON of a member is made and
 * read here only; validation of the values is core's (pt_member_validate).
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "core/codes.h"

#include <string.h>

/* ---- Encoding ---- */

/* The member's fields the table leaves to this file: attributes and consents. new */
static json_t *member_custom_json(void *ctx, const struct pt_field *f, const void *obj)
{
    const struct pt_member *m = obj;
    (void)ctx;
    if (strcmp(f->name, "attributes") == 0) {
        /* Stored attributes are always valid JSON; NULL here is out of memory. */
        return json_loads(m->attributes_json, 0, NULL);
    }
    pt_assert(strcmp(f->name, "consents") == 0);
    return json_pack("{s:b,s:b,s:b}", "email", m->consent_email, "sms", m->consent_sms, "push",
                     m->consent_push);
}

/* The member as the API shows it: its id, its table to consents, what the server sets. new */
json_t *pt_http_member_json(const struct pt_member *m)
{
    json_t *root;
    pt_assert(m->attributes_json != NULL);
    pt_assert(strcmp(pt_member_fields[PT_MEMBER_FIELD_COUNT - 1].name, "status") == 0);
    root = pt_http_fields_encode(pt_member_fields, PT_MEMBER_FIELD_COUNT - 1, m,
                                 json_pack("{s:s}", "id", m->id), member_custom_json, NULL);
    if (root != NULL && json_object_get(root, "attributes") == NULL) {
        json_decref(root);
        return NULL;
    }
    if (root != NULL) {
        /* An erased member has neither (null): they were released. */
        (void)json_object_set_new(
            root, "card_number", pt_json_string_or_null(m->card_number[0] ? m->card_number : NULL));
        (void)json_object_set_new(root, "status", json_string(pt_member_status_name(m->status)));
        (void)json_object_set_new(
            root, "referral_code",
            pt_json_string_or_null(m->referral_code[0] ? m->referral_code : NULL));
        (void)json_object_set_new(root, "enrolled_at", pt_json_time(m->enrolled_at_ms));
        (void)json_object_set_new(root, "updated_at", pt_json_time(m->updated_at_ms));
    }
    return root;
}

static json_t *member_encode(const void *obj)
{
    return pt_http_member_json(obj);
}

/* ---- Handlers ---- */

/* A member to enroll, and the referral code of whoever referred it (not a field of the
 * member). The member comes first: the encoder reads it. */
struct enrollment {
    struct pt_member m;
    const char *referred_by;
};

static enum pt_rc enrollment_decode(json_t *body, struct pt_arena *arena, void *obj,
                                    struct pt_err *err)
{
    struct enrollment *e = obj;
    enum pt_rc rc = pt_json_get_string(body, "referred_by", false, arena, &e->referred_by, err);
    (void)json_object_del(body, "referred_by");
    if (rc == PT_OK) {
        rc = pt_decode_member(body, false, arena, &e->m, err);
    }
    return rc;
}

static enum pt_rc member_create(struct pt_http_ctx *ctx, void *obj, struct pt_idem *idem,
                                struct pt_err *err)
{
    struct enrollment *e = obj;
    return pt_service_member_create(ctx->svc, &ctx->who, &e->m, e->referred_by, idem, &ctx->arena,
                                    err);
}

static enum pt_rc member_get(struct pt_http_ctx *ctx, void *out, struct pt_err *err)
{
    return pt_service_member_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, out, err);
}

/* The settable view of a member, the document a merge patch applies to. new */
static json_t *member_settable_json(const struct pt_member *m)
{
    json_t *all = pt_http_member_json(m);
    size_t i;
    if (all == NULL) {
        return NULL;
    }
    for (i = 0; pt_member_server_fields[i] != NULL; i++) {
        (void)json_object_del(all, pt_member_server_fields[i]);
    }
    /* Absent fields are null in the view; a merge patch would keep them, so drop them. */
    {
        const char *key;
        json_t *value;
        void *tmp;
        json_object_foreach_safe(all, tmp, key, value)
        {
            if (json_is_null(value)) {
                (void)json_object_del(all, key);
            }
        }
    }
    return all;
}

/* Applies the request's merge patch to the member's current state; runs inside the write. */
static enum pt_rc member_apply_patch(void *arg, const struct pt_member *current,
                                     struct pt_member *next, struct pt_arena *arena,
                                     struct pt_err *err)
{
    json_t *patch = arg;
    json_t *doc = pt_json_merge_patch(member_settable_json(current), patch, PT_JSON_DEPTH_MAX);
    enum pt_rc rc;
    if (doc == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    rc = pt_decode_member(doc, true, arena, next, err);
    json_decref(doc);
    return rc;
}

/* A PATCH: a JSON merge patch of the settable view, applied in the write. */
static enum pt_rc member_update(struct pt_http_ctx *ctx, json_t *patch, void *out,
                                struct pt_err *err)
{
    enum pt_rc rc = PT_OK;
    size_t i;
    if (ctx->who.kind == PT_PRINCIPAL_MEMBER) {
        /* A member changes its own profile only; status, email, points are the program's. */
        const char *key;
        json_t *value;
        json_object_foreach(patch, key, value)
        {
            if (!pt_member_self_may_set(key)) {
                (void)pt_err_set(err, PT_EFORBIDDEN, key, "a member may not change %s", key);
                return PT_EFORBIDDEN;
            }
        }
    }
    for (i = 0; pt_member_server_fields[i] != NULL; i++) {
        if (json_object_get(patch, pt_member_server_fields[i]) != NULL) {
            rc = pt_err_set(err, PT_EINVAL, pt_member_server_fields[i], "%s is set by the server",
                            pt_member_server_fields[i]);
        }
    }
    if (rc == PT_OK) {
        rc = pt_http_fields_check(pt_member_fields, PT_MEMBER_FIELD_COUNT, patch, &ctx->arena, err);
    }
    if (rc == PT_OK && json_is_null(json_object_get(patch, "status"))) {
        rc = pt_err_set(err, PT_EINVAL, "status",
                        "status cannot be cleared; set active, suspended or closed");
    }
    if (rc == PT_OK) {
        rc = pt_service_member_change(ctx->svc, &ctx->who, ctx->params[0], member_apply_patch,
                                      patch, &ctx->arena, out, err);
    }
    return rc;
}

static const struct pt_http_object member_object = {
    .fields = pt_member_fields,
    .field_count = PT_MEMBER_FIELD_COUNT,
    .size = sizeof(struct enrollment),
    .decode = enrollment_decode,
    .encode = member_encode,
    .created_status = 201,
    .create = member_create,
    .get = member_get,
    .update = member_update,
};

void pt_h_member_create(struct pt_http_ctx *ctx)
{
    pt_http_object_create(ctx, &member_object);
}

void pt_h_member_get(struct pt_http_ctx *ctx)
{
    pt_http_object_get(ctx, &member_object);
}

void pt_h_member_patch(struct pt_http_ctx *ctx)
{
    pt_http_object_patch(ctx, &member_object);
}

void pt_h_member_reopen(struct pt_http_ctx *ctx)
{
    struct pt_member m;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_member_reopen(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &m, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pt_http_member_json(&m));
}

static json_t *member_item_json(const void *item, const void *cls)
{
    (void)cls;
    return pt_http_member_json(item);
}

void pt_h_member_list(struct pt_http_ctx *ctx)
{
    static const char *const params[] = {"limit",       "cursor",      "email", "phone",
                                         "external_id", "card_number", "q",     NULL};
    static const struct pt_http_list list = {.params = params,
                                             .id_prefix = "mem",
                                             .item_bytes = sizeof(struct pt_member),
                                             .key_offset = offsetof(struct pt_member, id),
                                             .encode = member_item_json};
    struct pt_http_page page;
    struct pt_member_filter filter;
    struct pt_member *members = NULL;
    unsigned count = 0;
    struct pt_err err;
    pt_err_clear(&err);
    memset(&filter, 0, sizeof(filter));
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    filter.cursor_id = page.cursor;
    filter.phone = pt_http_query(ctx, "phone");
    filter.external_id = pt_http_query(ctx, "external_id");
    filter.card_number = pt_http_query(ctx, "card_number");
    filter.q = pt_http_query(ctx, "q");
    if (pt_http_query(ctx, "email") != NULL) {
        const char *email = pt_http_query(ctx, "email");
        char *copy = pt_arena_strndup(&ctx->arena, email, strlen(email));
        if (copy == NULL) {
            pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory, retry");
            return;
        }
        pt_email_normalize(copy);
        filter.email = copy;
    }
    if (filter.q != NULL && (filter.q[0] == '\0' || strlen(filter.q) > PT_Q_BYTES_MAX)) {
        pt_http_reply_error(ctx, 400, "validation_failed", "q", "q must be 1 to 100 bytes");
        return;
    }
    filter.limit = page.limit + 1;
    if (pt_service_member_list(ctx->svc, &ctx->who, &filter, &ctx->arena, &members, &count, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, members, count, NULL);
}
