/* SPDX-License-Identifier: MIT */
/* JSON and query helpers shared by the handlers: strict parsing, field checks, paging. */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/random.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

json_t *pt_http_body_object(struct pt_http_ctx *ctx)
{
    struct pt_err err;
    json_t *root = NULL;
    pt_err_clear(&err);
    if (pt_decode_body(ctx->body.ptr, ctx->body.len, &root, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return NULL;
    }
    return root;
}

bool pt_http_action_read(struct pt_http_ctx *ctx, const struct pt_route *route)
{
    const char *const *fields = pt_route_action_fields(route);
    struct pt_err err;
    json_t *root;
    pt_assert(route->flags & PT_ROUTE_ACTION);
    pt_assert(ctx->action == NULL);
    pt_err_clear(&err);
    root = ctx->body.len == 0 ? json_object() : pt_http_body_object(ctx);
    if (root == NULL && ctx->body.len == 0) {
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory");
        return false;
    }
    if (root == NULL) {
        return false; /* Answered 400. */
    }
    if (pt_json_check_fields(root, fields, &err) != PT_OK) {
        json_decref(root);
        if (fields[0] == NULL) {
            char field[sizeof(err.field)];
            (void)snprintf(field, sizeof(field), "%s", err.field);
            (void)pt_err_set(&err, PT_EINVAL, field,
                             "unknown field '%s': this action takes no fields; send no body or {}",
                             field);
        }
        pt_http_reply_err(ctx, &err);
        return false;
    }
    ctx->action = root;
    return true;
}

bool pt_json_depth_ok(json_t *root, unsigned max_depth)
{
    /* Iterative walk with an explicit stack of iterators: no recursion on client input. */
    struct {
        json_t *value;
        void *iter;
        size_t index;
    } stack[PT_JSON_DEPTH_MAX + 1];
    unsigned depth = 0;
    pt_assert(max_depth <= PT_JSON_DEPTH_MAX);
    if (!json_is_object(root) && !json_is_array(root)) {
        return true;
    }
    stack[0].value = root;
    stack[0].iter = json_is_object(root) ? json_object_iter(root) : NULL;
    stack[0].index = 0;
    while (true) {
        json_t *v = stack[depth].value;
        json_t *child = NULL;
        if (json_is_object(v) && stack[depth].iter != NULL) {
            child = json_object_iter_value(stack[depth].iter);
            stack[depth].iter = json_object_iter_next(v, stack[depth].iter);
        } else if (json_is_array(v) && stack[depth].index < json_array_size(v)) {
            child = json_array_get(v, stack[depth].index++);
        } else if (depth == 0) {
            return true;
        } else {
            depth--;
            continue;
        }
        if (json_is_object(child) || json_is_array(child)) {
            if (depth + 1 >= max_depth) {
                return false;
            }
            depth++;
            stack[depth].value = child;
            stack[depth].iter = json_is_object(child) ? json_object_iter(child) : NULL;
            stack[depth].index = 0;
        }
    }
}

enum pt_rc pt_json_check_fields(json_t *obj, const char *const *allowed, struct pt_err *err)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        size_t i;
        bool known = false;
        (void)value;
        for (i = 0; allowed[i] != NULL; i++) {
            if (strcmp(key, allowed[i]) == 0) {
                known = true;
                break;
            }
        }
        if (!known) {
            char field[64];
            (void)snprintf(field, sizeof(field), "%s", key);
            return pt_err_set(err, PT_EINVAL, field, "unknown field '%s'", field);
        }
    }
    return PT_OK;
}

enum pt_rc pt_json_get_string(json_t *obj, const char *key, bool required, struct pt_arena *arena,
                              const char **out, struct pt_err *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required) {
            return pt_err_set(err, PT_EINVAL, key, "%s is required", key);
        }
        return PT_OK;
    }
    if (!json_is_string(v)) {
        return pt_err_set(err, PT_EINVAL, key, "%s must be a string", key);
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        return pt_err_set(err, PT_EINVAL, key, "%s must not contain NUL characters", key);
    }
    *out = pt_arena_strndup(arena, json_string_value(v), json_string_length(v));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    return PT_OK;
}

json_t *pt_json_string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *pt_json_names(const char *const *names, unsigned count)
{
    json_t *list = json_array();
    unsigned i;
    for (i = 0; i < count; i++) {
        (void)json_array_append_new(list, json_string(names[i]));
    }
    return list;
}

enum pt_rc pt_json_names_copy(json_t *v, struct pt_arena *arena, const char *const **names,
                              unsigned *count, struct pt_err *err)
{
    size_t n = json_array_size(v);
    const char **list = NULL;
    size_t i;
    pt_assert(n <= UINT_MAX);
    if (n > 0) {
        list = pt_arena_alloc(arena, n * sizeof(*list));
        if (list == NULL) {
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
    }
    for (i = 0; i < n; i++) {
        json_t *one = json_array_get(v, i);
        pt_assert(json_is_string(one));
        list[i] = pt_arena_strndup(arena, json_string_value(one), json_string_length(one));
        if (list[i] == NULL) {
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
    }
    *names = list;
    *count = (unsigned)n;
    return PT_OK;
}

json_t *pt_json_time(int64_t at_ms)
{
    char buf[32];
    pt_time_format_rfc3339(at_ms, buf, sizeof(buf));
    return json_string(buf);
}

enum pt_rc pt_json_dump_arena(json_t *root, struct pt_arena *arena, const char **out,
                              struct pt_err *err)
{
    char *text = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (text == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    *out = pt_arena_strndup(arena, text, strlen(text));
    pt_free(text); /* jansson allocates through pt_malloc. */
    return *out != NULL ? PT_OK : pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
}

bool pt_json_text_has_nul(const char *text)
{
    /* jansson writes U+0000 as the escape \u0000; any other backslash escapes one character. */
    const char *p = text;
    pt_assert(text != NULL);
    while ((p = strchr(p, '\\')) != NULL) {
        if (strncmp(p + 1, "u0000", 5) == 0) {
            return true;
        }
        p += p[1] != '\0' ? 2 : 1;
    }
    return false;
}

json_t *pt_json_time_or_null(int64_t at_ms, int64_t open)
{
    return at_ms == open ? json_null() : pt_json_time(at_ms);
}

const char *pt_http_query(struct pt_http_ctx *ctx, const char *name)
{
    unsigned i;
    for (i = 0; i < ctx->query_count; i++) {
        if (strcmp(ctx->query[i].key, name) == 0) {
            return ctx->query[i].value; /* The first one, as sent. */
        }
    }
    return NULL;
}

bool pt_http_query_check(struct pt_http_ctx *ctx, const char *const *allowed)
{
    char msg[160];
    char field[64];
    unsigned i;
    for (i = 0; i < ctx->query_count; i++) {
        const char *key = ctx->query[i].key;
        size_t k;
        for (k = 0; allowed[k] != NULL && strcmp(key, allowed[k]) != 0; k++) {
        }
        if (allowed[k] == NULL) {
            (void)snprintf(field, sizeof(field), "%s", key);
            (void)snprintf(msg, sizeof(msg), "unknown query parameter '%s'", field);
            pt_http_reply_error(ctx, 400, "validation_failed", field, msg);
            return false;
        }
    }
    return true;
}

bool pt_http_idem_init(struct pt_http_ctx *ctx, struct pt_idem *idem, unsigned status)
{
    const char *key = pt_http_header(ctx, "Idempotency-Key");
    uint8_t body_hash[32];
    char pre[600];
    int n;
    size_t i;
    memset(idem, 0, sizeof(*idem));
    idem->status = (int)status;
    /* The request's identity: method, path and the hash of its body. Computed even without a
     * header, because some writes have a natural key (a receipt number) instead. */
    pt_hash32(ctx->body.ptr ? ctx->body.ptr : "", ctx->body.len, body_hash);
    n = snprintf(pre, sizeof(pre), "%s %s ", ctx->method, ctx->path);
    pt_assert(n > 0 && (size_t)n < sizeof(pre) - 64);
    for (i = 0; i < 32; i++) {
        (void)snprintf(pre + n + 2 * i, 3, "%02x", body_hash[i]);
    }
    pt_hash32(pre, strlen(pre), idem->request_hash);
    if (key == NULL) {
        return true;
    }
    n = (int)strlen(key);
    for (i = 0; i < (size_t)n; i++) {
        if (key[i] < 0x21 || key[i] > 0x7e) {
            n = 0;
            break;
        }
    }
    if (n < 1 || n > PT_IDEMPOTENCY_KEY_BYTES_MAX) {
        pt_http_reply_error(ctx, 400, "validation_failed", "Idempotency-Key",
                            "Idempotency-Key must be 1 to 255 printable ASCII characters");
        return false;
    }
    idem->key = key;
    if (ctx->has_who && ctx->who.kind == PT_PRINCIPAL_MEMBER) {
        /* Anyone may sign up: a member's keys are its own ("<member id> <key>", a space no
         * key holds), so that it cannot take one the program's tills will send. */
        size_t bytes = strlen(ctx->who.member_id) + 1 + (size_t)n + 1;
        char *own = pt_arena_alloc(&ctx->arena, bytes);
        if (own == NULL) {
            pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory; retry");
            return false;
        }
        (void)snprintf(own, bytes, "%s %s", ctx->who.member_id, key);
        idem->key = own;
    }
    return true;
}

void pt_http_reply_replay(struct pt_http_ctx *ctx, const struct pt_idem *idem)
{
    pt_assert(idem->replayed);
    pt_http_reply_borrowed(ctx, (unsigned)idem->record.status, "application/json",
                           idem->record.body, strlen(idem->record.body), true);
}

enum pt_rc pt_json_get_int(json_t *obj, const char *key, const char *field, bool required,
                           int64_t min, int64_t max, int64_t *out, bool *present,
                           struct pt_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (present != NULL) {
        *present = false;
    }
    if (v == NULL || json_is_null(v)) {
        if (required) {
            return pt_err_set(err, PT_EINVAL, field, "%s is required", field);
        }
        return PT_OK;
    }
    if (!json_is_integer(v)) {
        return pt_err_set(err, PT_EINVAL, field, "%s must be an integer", field);
    }
    if (json_integer_value(v) < min || json_integer_value(v) > max) {
        return pt_err_set(err, PT_EINVAL, field, "%s must be from %lld to %lld", field,
                          (long long)min, (long long)max);
    }
    *out = (int64_t)json_integer_value(v);
    if (present != NULL) {
        *present = true;
    }
    return PT_OK;
}

void pt_http_reply_text_json(struct pt_http_ctx *ctx, unsigned status, const char *json)
{
    pt_http_reply_borrowed(ctx, status, "application/json", json, strlen(json), false);
}
