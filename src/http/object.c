/* SPDX-License-Identifier: MIT */
/*
 * The create, get and PATCH of a noun (a reward, a stamp card, a member, a coupon batch, a
 * rule): the one path their handlers take, as list.c is for lists. A noun is described once
 * (struct pt_http_object): its field table, its defaults, the names a create must give, its
 * encoder and thin adapters to its service's functions. A create reads the body onto the
 * defaults, checks the required names, reads the Idempotency-Key, asks the service and answers
 * the object (or the replayed answer); a get answers what the service read; a PATCH hands the
 * body to the service's update, which applies it inside its write (pt_http_object_decode) and
 * answers what was written.
 */
#include "http/http_int.h"

#include "base/assert.h"

#include <stdint.h>
#include <string.h>

/* The storage of one object of any noun, on the handler's stack. */
union object_buf {
    max_align_t align;
    char bytes[PT_HTTP_OBJECT_BYTES_MAX];
};

enum pt_rc pt_http_object_decode(const struct pt_http_object *o, json_t *body,
                                 struct pt_arena *arena, void *obj, struct pt_err *err)
{
    enum pt_rc rc;
    size_t i;
    if (o->decode != NULL) {
        return o->decode(body, arena, obj, err);
    }
    rc = pt_http_fields_decode(o->fields, o->field_count, body, arena, obj, o->decode_custom, NULL,
                               err);
    /* A text the object cannot lack, missing after the whole body (absent from a create, or
     * cleared by null where the table lets null through). */
    for (i = 0; rc == PT_OK && i < o->field_count; i++) {
        const struct pt_field *f = &o->fields[i];
        const char *s;
        if (f->type != PT_FIELD_TEXT || f->nullable) {
            continue;
        }
        memcpy(&s, (const char *)obj + f->offset, sizeof(s));
        if (s == NULL && f->message != NULL) {
            rc = pt_err_set(err, PT_EINVAL, f->name, "%s", f->message);
        } else if (s == NULL) {
            rc = pt_err_set(err, PT_EINVAL, f->name, "%s is required (a text)", f->name);
        }
    }
    if (rc == PT_OK && o->finish != NULL) {
        rc = o->finish(arena, obj, err);
    }
    return rc;
}

/* The stored answer of a create: the object as the API shows it. */
static enum pt_rc encode_created(void *ctx, const void *result, struct pt_arena *arena,
                                 const char **body, struct pt_err *err)
{
    const struct pt_http_object *o = ctx;
    return pt_json_dump_arena(o->encode(result), arena, body, err);
}

/* The body of a create onto the noun's defaults; its required names. */
static enum pt_rc create_decode(struct pt_http_ctx *ctx, const struct pt_http_object *o,
                                json_t *body, void *obj, struct pt_err *err)
{
    enum pt_rc rc;
    size_t i;
    memset(obj, 0, o->size);
    if (o->defaults != NULL) {
        o->defaults(obj);
    }
    rc = pt_http_object_decode(o, body, &ctx->arena, obj, err);
    for (i = 0; rc == PT_OK && o->required != NULL && o->required[i].name != NULL; i++) {
        if (json_object_get(body, o->required[i].name) == NULL) {
            rc = pt_err_set(err, PT_EINVAL, o->required[i].name, "%s", o->required[i].message);
        }
    }
    return rc;
}

/* The request's body, read onto a new object (create) or handed to the noun's update (its
 * PATCH, which fills obj with what was written). False when answered already: no JSON object,
 * or refused. */
static bool take_body(struct pt_http_ctx *ctx, const struct pt_http_object *o, bool create,
                      void *obj)
{
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_assert(o->size <= PT_HTTP_OBJECT_BYTES_MAX);
    pt_err_clear(&err);
    if (body == NULL) {
        return false;
    }
    rc = create ? create_decode(ctx, o, body, obj, &err) : o->update(ctx, body, obj, &err);
    json_decref(body);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return false;
    }
    return true;
}

void pt_http_object_create(struct pt_http_ctx *ctx, const struct pt_http_object *o)
{
    union object_buf obj;
    struct pt_idem idem;
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (!take_body(ctx, o, true, obj.bytes) || !pt_http_idem_init(ctx, &idem, o->created_status)) {
        return;
    }
    idem.encode = encode_created;
    idem.encode_ctx = (void *)(uintptr_t)o;
    rc = o->create(ctx, obj.bytes, &idem, &err);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
    } else if (idem.replayed) {
        pt_http_reply_replay(ctx, &idem);
    } else {
        pt_http_reply_json(ctx, o->created_status, o->encode(obj.bytes));
    }
}

void pt_http_object_get(struct pt_http_ctx *ctx, const struct pt_http_object *o)
{
    union object_buf obj;
    struct pt_err err;
    pt_assert(o->size <= sizeof(obj));
    pt_err_clear(&err);
    if (o->get(ctx, obj.bytes, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, o->encode(obj.bytes));
}

void pt_http_object_patch(struct pt_http_ctx *ctx, const struct pt_http_object *o)
{
    union object_buf obj;
    if (take_body(ctx, o, false, obj.bytes)) {
        pt_http_reply_json(ctx, 200, o->encode(obj.bytes));
    }
}
