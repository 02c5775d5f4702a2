/* SPDX-License-Identifier: MIT */
/*
 * Inquiries and staff notes (docs/crm.md): POST/GET /v1/inquiries, GET/PATCH
 * /v1/inquiries/{id}, POST /v1/inquiries/{id}/replies, POST/GET /v1/members/{id}/notes. The
 * bodies are read here field by field (unknown fields are 400); what a valid inquiry is, and
 * which status moves are allowed, is core/inquiry.c's.
 */
#include "http/http_int.h"

#include "base/names.h"
#include "service/service_inquiries.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *seconds_or_null(int64_t s)
{
    return s < 0 ? json_null() : json_integer(s);
}

static json_t *inquiry_json(const struct pt_inquiry *q)
{
    json_t *contact = json_null();
    if (q->contact_name != NULL || q->contact_email != NULL || q->contact_phone != NULL) {
        contact = json_pack("{s:o,s:o,s:o}", "name", pt_json_string_or_null(q->contact_name),
                            "email", pt_json_string_or_null(q->contact_email), "phone",
                            pt_json_string_or_null(q->contact_phone));
    }
    return json_pack(
        "{s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:o}", "id", q->id,
        "member_id", pt_json_string_or_null(q->member_id[0] ? q->member_id : NULL), "contact",
        contact, "channel", pt_inquiry_channel_names[q->channel], "subject", q->subject, "body",
        q->body, "status", pt_inquiry_status_names[q->status], "priority",
        pt_inquiry_priority_names[q->priority], "assignee",
        pt_json_string_or_null(q->assignee[0] ? q->assignee : NULL), "tags",
        pt_json_names(q->tags, q->tag_count), "reply_count", (json_int_t)q->replies, "created_at",
        pt_json_time(q->created_at_ms), "updated_at", pt_json_time(q->updated_at_ms),
        "first_response_at", pt_json_time_or_null(q->first_response_at_ms, 0), "resolved_at",
        pt_json_time_or_null(q->resolved_at_ms, 0), "first_response_seconds",
        seconds_or_null(pt_inquiry_seconds(q->created_at_ms, q->first_response_at_ms)),
        "resolution_seconds",
        seconds_or_null(pt_inquiry_seconds(q->created_at_ms, q->resolved_at_ms)));
}

static json_t *reply_json(const struct pt_inquiry_reply *r)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:b,s:s,s:o}", "id", r->id, "inquiry_id", r->inquiry_id,
                     "author", pt_reply_author_names[r->author], "author_id",
                     pt_json_string_or_null(r->author_id[0] ? r->author_id : NULL), "internal",
                     r->internal, "body", r->body, "created_at", pt_json_time(r->created_at_ms));
}

static json_t *note_json(const struct pt_member_note *n)
{
    return json_pack("{s:s,s:s,s:s,s:b,s:s,s:o}", "id", n->id, "member_id", n->member_id, "body",
                     n->body, "pinned", n->pinned, "author_id", n->author_id, "created_at",
                     pt_json_time(n->created_at_ms));
}

/* Reads obj[key] as one of names (NULL/absent: *out untouched). */
static enum pt_rc get_name(json_t *obj, const char *key, const char *const *names, unsigned count,
                           int *out, struct pt_err *err)
{
    json_t *v = json_object_get(obj, key);
    int i;
    if (v == NULL) {
        return PT_OK;
    }
    i = json_is_string(v) ? pt_name_index(names, count, json_string_value(v)) : -1;
    if (i < 0) {
        return pt_err_set(err, PT_EINVAL, key, "%s is not one of the allowed values", key);
    }
    *out = i;
    return PT_OK;
}

/* Copies an id field into buf ("" for null/absent). */
static enum pt_rc get_id(json_t *obj, const char *key, char *buf, size_t bytes,
                         struct pt_arena *arena, struct pt_err *err)
{
    const char *s = NULL;
    enum pt_rc rc = pt_json_get_string(obj, key, false, arena, &s, err);
    if (rc == PT_OK && s != NULL && (s[0] == '\0' || strlen(s) >= bytes)) {
        rc = pt_err_set(err, PT_EINVAL, key, "%s is not an id", key);
    }
    if (rc == PT_OK) {
        (void)snprintf(buf, bytes, "%s", s != NULL ? s : "");
    }
    return rc;
}

static enum pt_rc get_tags(json_t *obj, struct pt_arena *arena, struct pt_inquiry *q,
                           struct pt_err *err)
{
    json_t *v = json_object_get(obj, "tags");
    const char **tags;
    size_t i;
    if (v == NULL || json_is_null(v)) {
        q->tags = NULL;
        q->tag_count = 0;
        return PT_OK;
    }
    if (!json_is_array(v) || json_array_size(v) > PT_INQUIRY_TAGS_MAX) {
        return pt_err_set(err, PT_EINVAL, "tags", "tags is a list of at most %d texts",
                          PT_INQUIRY_TAGS_MAX);
    }
    tags = pt_arena_alloc(arena, (json_array_size(v) + 1) * sizeof(*tags));
    if (tags == NULL) {
        return pt_arena_err(arena, err);
    }
    for (i = 0; i < json_array_size(v); i++) {
        json_t *t = json_array_get(v, i);
        if (!json_is_string(t) || strlen(json_string_value(t)) != json_string_length(t)) {
            return pt_err_set(err, PT_EINVAL, "tags", "tags is a list of texts");
        }
        tags[i] = pt_arena_strndup(arena, json_string_value(t), json_string_length(t));
    }
    q->tags = tags;
    q->tag_count = (unsigned)json_array_size(v);
    return PT_OK;
}

/* The fields a PATCH may change, for both the create and the patch. */
static enum pt_rc get_changeable(json_t *obj, struct pt_arena *arena, struct pt_inquiry *q,
                                 struct pt_err *err)
{
    int v = (int)q->priority;
    enum pt_rc rc =
        get_name(obj, "priority", pt_inquiry_priority_names, PT_INQUIRY_PRIORITIES, &v, err);
    q->priority = (enum pt_inquiry_priority)v;
    if (rc == PT_OK && json_object_get(obj, "assignee") != NULL) {
        rc = get_id(obj, "assignee", q->assignee, sizeof(q->assignee), arena, err);
    }
    if (rc == PT_OK && json_object_get(obj, "tags") != NULL) {
        rc = get_tags(obj, arena, q, err);
    }
    if (rc == PT_OK && json_object_get(obj, "subject") != NULL) {
        rc = pt_json_get_string(obj, "subject", true, arena, &q->subject, err);
    }
    return rc;
}

static enum pt_rc get_contact(json_t *body, struct pt_arena *arena, struct pt_inquiry *q,
                              struct pt_err *err)
{
    static const char *const fields[] = {"name", "email", "phone", NULL};
    json_t *c = json_object_get(body, "contact");
    enum pt_rc rc;
    if (c == NULL || json_is_null(c)) {
        return PT_OK;
    }
    if (!json_is_object(c)) {
        return pt_err_set(err, PT_EINVAL, "contact", "contact is an object {name, email, phone}");
    }
    rc = pt_json_check_fields(c, fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(c, "name", false, arena, &q->contact_name, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(c, "email", false, arena, &q->contact_email, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(c, "phone", false, arena, &q->contact_phone, err);
    }
    if (rc != PT_OK && err->field[0] != '\0') {
        /* The field inside contact: "contact.email". */
        char inner[sizeof(err->field) - 8];
        (void)snprintf(inner, sizeof(inner), "%.*s", (int)sizeof(inner) - 1, err->field);
        (void)snprintf(err->field, sizeof(err->field), "contact.%s", inner);
    }
    return rc;
}

static enum pt_rc inquiry_decode(json_t *body, struct pt_arena *arena, struct pt_inquiry *q,
                                 struct pt_err *err)
{
    static const char *const fields[] = {"member_id", "contact",  "channel", "subject", "body",
                                         "priority",  "assignee", "tags",    NULL};
    int channel = -1;
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    memset(q, 0, sizeof(*q));
    q->priority = PT_INQUIRY_NORMAL;
    if (rc == PT_OK) {
        rc = get_id(body, "member_id", q->member_id, sizeof(q->member_id), arena, err);
    }
    if (rc == PT_OK) {
        rc = get_contact(body, arena, q, err);
    }
    if (rc == PT_OK) {
        rc =
            get_name(body, "channel", pt_inquiry_channel_names, PT_INQUIRY_CHANNELS, &channel, err);
    }
    if (rc == PT_OK && channel < 0) {
        rc = pt_err_set(err, PT_EINVAL, "channel", "channel is required");
    }
    q->channel = (enum pt_inquiry_channel)channel;
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "subject", true, arena, &q->subject, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "body", true, arena, &q->body, err);
    }
    if (rc == PT_OK) {
        rc = get_changeable(body, arena, q, err);
    }
    return rc;
}

static enum pt_rc encode_inquiry(void *ctx, const void *result, struct pt_arena *arena,
                                 const char **body, struct pt_err *err)
{
    (void)ctx;
    return pt_json_dump_arena(inquiry_json(result), arena, body, err);
}

static enum pt_rc encode_reply(void *ctx, const void *result, struct pt_arena *arena,
                               const char **body, struct pt_err *err)
{
    (void)ctx;
    return pt_json_dump_arena(reply_json(result), arena, body, err);
}

static enum pt_rc encode_note(void *ctx, const void *result, struct pt_arena *arena,
                              const char **body, struct pt_err *err)
{
    (void)ctx;
    return pt_json_dump_arena(note_json(result), arena, body, err);
}

/* Answers a create: the replay, or 201 with the object. */
static void reply_created(struct pt_http_ctx *ctx, struct pt_idem *idem, enum pt_rc rc,
                          const struct pt_err *err, json_t *(*encode)(const void *),
                          const void *obj)
{
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, err);
    } else if (idem->replayed) {
        pt_http_reply_replay(ctx, idem);
    } else {
        pt_http_reply_json(ctx, 201, encode(obj));
    }
}

static json_t *inquiry_encode(const void *obj)
{
    return inquiry_json(obj);
}

static json_t *reply_encode(const void *obj)
{
    return reply_json(obj);
}

static json_t *note_encode(const void *obj)
{
    return note_json(obj);
}

void pt_h_inquiry_create(struct pt_http_ctx *ctx)
{
    struct pt_inquiry q;
    struct pt_idem idem;
    struct pt_err err;
    enum pt_rc rc;
    json_t *body;
    pt_err_clear(&err);
    if (!pt_http_idem_init(ctx, &idem, 201) || (body = pt_http_body_object(ctx)) == NULL) {
        return;
    }
    idem.encode = encode_inquiry;
    rc = inquiry_decode(body, &ctx->arena, &q, &err);
    if (rc == PT_OK && ctx->who.kind == PT_PRINCIPAL_MEMBER &&
        (q.assignee[0] != '\0' || q.tag_count > 0 || q.contact_name != NULL ||
         q.contact_email != NULL || q.contact_phone != NULL)) {
        rc = pt_err_set(&err, PT_EINVAL,
                        q.assignee[0] ? "assignee" : (q.tag_count ? "tags" : "contact"),
                        "a member gives channel, subject, body and priority only");
    }
    if (rc == PT_OK) {
        rc = pt_service_inquiry_create(ctx->svc, &ctx->who, &q, &idem, &ctx->arena, &err);
    }
    json_decref(body);
    reply_created(ctx, &idem, rc, &err, inquiry_encode, &q);
}

void pt_h_inquiry_get(struct pt_http_ctx *ctx)
{
    struct pt_inquiry q;
    struct pt_inquiry_reply *replies = NULL;
    unsigned count = 0;
    unsigned i;
    json_t *root;
    json_t *list;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_inquiry_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &q, &replies,
                               &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    root = inquiry_json(&q);
    list = json_array();
    for (i = 0; i < count; i++) {
        (void)json_array_append_new(list, reply_json(&replies[i]));
    }
    (void)json_object_set_new(root, "replies", list);
    pt_http_reply_json(ctx, 200, root);
}

static json_t *inquiry_item_json(const void *item, const void *cls)
{
    (void)cls;
    return inquiry_json(item);
}

/* A non-negative number of seconds of a query parameter; *ms 0 when absent. */
static bool age_param(struct pt_http_ctx *ctx, const char *name, int64_t now_ms, int64_t *ms)
{
    const char *v = pt_http_query(ctx, name);
    char *end = NULL;
    long long n;
    *ms = 0;
    if (v == NULL) {
        return true;
    }
    n = strtoll(v, &end, 10);
    if (v[0] < '0' || v[0] > '9' || *end != '\0' || n < 0 || n > 100LL * 366 * 86400) {
        pt_http_reply_error(ctx, 400, "validation_failed", name,
                            "an age is a whole number of seconds");
        return false;
    }
    *ms = now_ms - n * 1000;
    if (*ms <= 0) {
        *ms = 1;
    }
    return true;
}

void pt_h_inquiry_list(struct pt_http_ctx *ctx)
{
    static const char *const params[] = {"limit",     "cursor",     "status",     "assignee",
                                         "member_id", "older_than", "newer_than", NULL};
    static const struct pt_http_list list = {.params = params,
                                             .id_prefix = "inq",
                                             .item_bytes = sizeof(struct pt_inquiry),
                                             .key_offset = offsetof(struct pt_inquiry, id),
                                             .encode = inquiry_item_json};
    struct pt_inquiry_filter f = {0};
    struct pt_http_page page;
    struct pt_inquiry *items = NULL;
    unsigned count = 0;
    int64_t now_ms = pt_service_now_ms(ctx->svc, ctx->who.program_id);
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    f.status = pt_http_query(ctx, "status");
    f.assignee = pt_http_query(ctx, "assignee");
    f.member_id = pt_http_query(ctx, "member_id");
    if (f.status != NULL &&
        pt_name_index(pt_inquiry_status_names, PT_INQUIRY_STATUSES, f.status) < 0) {
        pt_http_reply_error(ctx, 400, "validation_failed", "status",
                            "status must be open, pending, resolved or closed");
        return;
    }
    /* older_than=N: created N seconds ago or more; newer_than=N: less than N seconds ago. */
    if (!age_param(ctx, "older_than", now_ms, &f.created_before_ms) ||
        !age_param(ctx, "newer_than", now_ms, &f.created_after_ms)) {
        return;
    }
    if (pt_service_inquiry_list(ctx->svc, &ctx->who, &f, page.cursor, page.limit + 1, &ctx->arena,
                                &items, &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, items, count, NULL);
}

/* Applies the PATCH body (a merge patch of flat fields) onto the stored inquiry. */
static enum pt_rc apply_patch(void *pctx, struct pt_arena *arena, struct pt_inquiry *q,
                              struct pt_err *err)
{
    static const char *const fields[] = {"status", "priority", "assignee", "tags", "subject", NULL};
    static const char *const required[] = {"status", "priority", "subject", NULL};
    json_t *body = pctx;
    int status = (int)q->status;
    size_t i;
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    for (i = 0; rc == PT_OK && required[i] != NULL; i++) {
        json_t *v = json_object_get(body, required[i]);
        if (v != NULL && json_is_null(v)) {
            rc = pt_err_set(err, PT_EINVAL, required[i], "%s cannot be cleared", required[i]);
        }
    }
    if (rc == PT_OK) {
        rc = get_name(body, "status", pt_inquiry_status_names, PT_INQUIRY_STATUSES, &status, err);
    }
    q->status = (enum pt_inquiry_status)status;
    return rc == PT_OK ? get_changeable(body, arena, q, err) : rc;
}

void pt_h_inquiry_patch(struct pt_http_ctx *ctx)
{
    struct pt_inquiry q;
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_service_inquiry_update(ctx->svc, &ctx->who, ctx->params[0], apply_patch, body,
                                   &ctx->arena, &q, &err);
    json_decref(body);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, inquiry_json(&q));
}

void pt_h_inquiry_reply(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"body", "author", "internal", NULL};
    struct pt_inquiry_reply r;
    struct pt_idem idem;
    struct pt_err err;
    int author;
    json_t *internal;
    json_t *body;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (!pt_http_idem_init(ctx, &idem, 201) || (body = pt_http_body_object(ctx)) == NULL) {
        return;
    }
    idem.encode = encode_reply;
    memset(&r, 0, sizeof(r));
    author = ctx->who.kind == PT_PRINCIPAL_MEMBER ? PT_REPLY_MEMBER : PT_REPLY_STAFF;
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "body", true, &ctx->arena, &r.body, &err);
    }
    if (rc == PT_OK) {
        rc = get_name(body, "author", pt_reply_author_names, PT_REPLY_AUTHORS, &author, &err);
    }
    r.author = (enum pt_reply_author)author;
    internal = json_object_get(body, "internal");
    if (rc == PT_OK && internal != NULL && !json_is_boolean(internal)) {
        rc = pt_err_set(&err, PT_EINVAL, "internal", "internal is true or false");
    }
    r.internal = internal != NULL && json_is_true(internal);
    if (rc == PT_OK) {
        rc = pt_service_inquiry_reply(ctx->svc, &ctx->who, ctx->params[0], &r, &idem, &ctx->arena,
                                      &err);
    }
    json_decref(body);
    reply_created(ctx, &idem, rc, &err, reply_encode, &r);
}

void pt_h_note_create(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"body", "pinned", NULL};
    struct pt_member_note n;
    struct pt_idem idem;
    struct pt_err err;
    json_t *pinned;
    json_t *body;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (!pt_http_idem_init(ctx, &idem, 201) || (body = pt_http_body_object(ctx)) == NULL) {
        return;
    }
    idem.encode = encode_note;
    memset(&n, 0, sizeof(n));
    rc = PT_OK;
    if (strlen(ctx->params[0]) >= sizeof(n.member_id)) {
        rc = pt_err_set(&err, PT_ENOTFOUND, NULL, "no such member");
    } else {
        memcpy(n.member_id, ctx->params[0], strlen(ctx->params[0]) + 1);
    }
    if (rc == PT_OK) {
        rc = pt_json_check_fields(body, fields, &err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "body", true, &ctx->arena, &n.body, &err);
    }
    pinned = json_object_get(body, "pinned");
    if (rc == PT_OK && pinned != NULL && !json_is_boolean(pinned)) {
        rc = pt_err_set(&err, PT_EINVAL, "pinned", "pinned is true or false");
    }
    n.pinned = pinned != NULL && json_is_true(pinned);
    if (rc == PT_OK) {
        rc = pt_service_note_create(ctx->svc, &ctx->who, &n, &idem, &ctx->arena, &err);
    }
    json_decref(body);
    reply_created(ctx, &idem, rc, &err, note_encode, &n);
}

static json_t *note_item_json(const void *item, const void *cls)
{
    (void)cls;
    return note_json(item);
}

void pt_h_note_list(struct pt_http_ctx *ctx)
{
    static const struct pt_http_list list = {.params = pt_http_page_query,
                                             .id_prefix = "nte",
                                             .item_bytes = sizeof(struct pt_member_note),
                                             .key_offset = offsetof(struct pt_member_note, id),
                                             .encode = note_item_json};
    struct pt_http_page page;
    struct pt_member_note *items = NULL;
    unsigned count = 0;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    if (pt_service_note_list(ctx->svc, &ctx->who, ctx->params[0], page.cursor, page.limit + 1,
                             &ctx->arena, &items, &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, items, count, NULL);
}

enum pt_rc pt_http_inquiry_export_add(struct pt_http_ctx *ctx, const char *member_id,
                                      struct pt_arena *arena, json_t *root, struct pt_err *err)
{
    struct pt_inquiry_export x;
    json_t *inquiries;
    json_t *notes;
    unsigned i;
    unsigned j;
    enum pt_rc rc = pt_service_inquiry_export(ctx->svc, &ctx->who, member_id, arena, &x, err);
    if (rc != PT_OK) {
        return rc;
    }
    inquiries = json_array();
    for (i = 0; i < x.inquiry_count; i++) {
        json_t *one = inquiry_json(&x.inquiries[i]);
        json_t *replies = json_array();
        for (j = 0; j < x.reply_counts[i]; j++) {
            (void)json_array_append_new(replies, reply_json(&x.replies[i][j]));
        }
        (void)json_object_set_new(one, "replies", replies);
        (void)json_array_append_new(inquiries, one);
    }
    notes = json_array();
    for (i = 0; i < x.note_count; i++) {
        (void)json_array_append_new(notes, note_json(&x.notes[i]));
    }
    (void)json_object_set_new(root, "inquiries", inquiries);
    (void)json_object_set_new(root, "notes", notes);
    return PT_OK;
}
