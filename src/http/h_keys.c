/* SPDX-License-Identifier: MIT */
/* API keys: POST/GET /v1/api-keys and DELETE /v1/api-keys/{id} (admin keys only); a
 * publishable key's allowed_origins (docs/security.md, "Publishable keys"). */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/names.h"

#include <stdio.h>
#include <string.h>

/* A key's origins as a JSON array (they are joined by a space). new */
static json_t *origins_json(const char *origins)
{
    json_t *list = json_array();
    const char *p = origins;
    while (list != NULL && *p != '\0') {
        size_t one = strcspn(p, " ");
        (void)json_array_append_new(list, json_stringn(p, one));
        p += one;
        while (*p == ' ') {
            p++;
        }
    }
    return list;
}

/* The public view of a key (never its hash). new */
static json_t *key_to_json(const struct pt_api_key *key)
{
    json_t *out = json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", key->id, "name", key->name, "role",
                            pt_role_names[key->role], "prefix", key->prefix, "created_at",
                            pt_json_time(key->created_at_ms));
    if (out != NULL && key->role == PT_ROLE_PUBLISHABLE) {
        (void)json_object_set_new(out, "allowed_origins",
                                  origins_json(key->origins != NULL ? key->origins : ""));
    }
    return out;
}

/* allowed_origins: 1..PT_KEY_ORIGINS_MAX distinct origins (pt_origin_is_valid), joined by a
 * space into *out (arena); NULL when absent. PT_EINVAL naming the field or the item. */
static enum pt_rc origins_parse(json_t *body, struct pt_arena *arena, const char **out,
                                struct pt_err *err)
{
    json_t *list = json_object_get(body, "allowed_origins");
    char text[PT_KEY_ORIGINS_TEXT_BYTES_MAX];
    size_t len = 0;
    size_t i;
    *out = NULL;
    text[0] = '\0';
    if (list == NULL) {
        return PT_OK;
    }
    if (!json_is_array(list) || json_array_size(list) < 1 ||
        json_array_size(list) > PT_KEY_ORIGINS_MAX) {
        return pt_err_set(err, PT_EINVAL, "allowed_origins",
                          "allowed_origins must be a list of 1 to %d origins", PT_KEY_ORIGINS_MAX);
    }
    for (i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        const char *origin = json_string_value(item);
        size_t n = json_string_length(item);
        char field[48];
        (void)snprintf(field, sizeof(field), "allowed_origins[%u]", (unsigned)i);
        if (origin == NULL || strlen(origin) != n) {
            /* Not a string, or one with a NUL inside: no origin either way. */
            return pt_origin_validate(field, "", err);
        }
        if (pt_origin_validate(field, origin, err) != PT_OK) {
            return err->rc;
        }
        if (pt_origin_listed(text, origin, n)) {
            return pt_err_set(err, PT_EINVAL, field, "%s is given twice", field);
        }
        pt_assert(len + n + 1 <= sizeof(text)); /* 20 origins of at most 253 bytes. */
        if (len > 0) {
            text[len++] = ' ';
        }
        memcpy(text + len, origin, n);
        len += n;
        text[len] = '\0';
    }
    *out = pt_arena_strndup(arena, text, len);
    return *out != NULL ? PT_OK : pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
}

/* Stored with an Idempotency-Key: the key without its secret, which is shown only once. */
static enum pt_rc encode_created_for_replay(void *ctx, const void *result, struct pt_arena *arena,
                                            const char **body, struct pt_err *err)
{
    const struct pt_key_created *created = result;
    json_t *root = key_to_json(&created->key);
    char *text;
    (void)ctx;
    if (root != NULL) {
        (void)json_object_set_new(root, "api_key", json_null());
    }
    text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (text == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    *body = pt_arena_strndup(arena, text, strlen(text));
    pt_free(text); /* jansson allocates through pt_malloc. */
    return *body ? PT_OK : pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
}

void pt_h_key_create(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"name", "role", "allowed_origins", NULL};
    struct pt_key_created created;
    struct pt_idem idem;
    struct pt_err err;
    const char *name = NULL;
    const char *role_s = NULL;
    const char *origins = NULL;
    enum pt_role role = PT_ROLE_STAFF;
    json_t *body = pt_http_body_object(ctx);
    json_t *out;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "name", true, &ctx->arena, &name, &err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "role", true, &ctx->arena, &role_s, &err);
    }
    if (rc == PT_OK) {
        rc = origins_parse(body, &ctx->arena, &origins, &err);
    }
    json_decref(body);
    if (rc == PT_OK) {
        int i = pt_name_index(pt_role_names, PT_ROLES, role_s);
        if (i < 0 || !pt_role_is_key_role((enum pt_role)i)) {
            rc = pt_err_set(&err, PT_EINVAL, "role",
                            "role must be admin, staff, viewer or publishable");
        } else {
            role = (enum pt_role)i;
        }
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    if (!pt_http_idem_init(ctx, &idem, 201)) {
        return;
    }
    idem.encode = encode_created_for_replay;
    rc = pt_service_key_create(ctx->svc, &ctx->who, name, role, origins, &idem, &ctx->arena,
                               &created, &err);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    if (idem.replayed) {
        pt_http_reply_replay(ctx, &idem);
        return;
    }
    out = key_to_json(&created.key);
    if (out != NULL) {
        (void)json_object_set_new(out, "api_key", json_string(created.secret));
    }
    pt_http_reply_json(ctx, 201, out);
}

static json_t *key_item_json(const void *item, const void *cls)
{
    (void)cls;
    return key_to_json(item);
}

void pt_h_key_list(struct pt_http_ctx *ctx)
{
    static const struct pt_http_list list = {.params = pt_http_page_query,
                                             .id_prefix = "key",
                                             .item_bytes = sizeof(struct pt_api_key),
                                             .key_offset = offsetof(struct pt_api_key, id),
                                             .encode = key_item_json};
    struct pt_http_page page;
    struct pt_api_key *keys = NULL;
    unsigned count = 0;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    if (pt_service_key_list(ctx->svc, &ctx->who, page.cursor, page.limit + 1, &ctx->arena, &keys,
                            &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, keys, count, NULL);
}

void pt_h_key_delete(struct pt_http_ctx *ctx)
{
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_key_revoke(ctx->svc, &ctx->who, ctx->params[0], &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_raw(ctx, 204, "application/json", "", 0, false);
}
