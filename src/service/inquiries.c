/* SPDX-License-Identifier: MIT */
/*
 * Inquiries (service requests) and staff notes on members (service_inquiries.h; docs/crm.md):
 * an inquiry created for a member or a contact, read with its replies, listed with filters,
 * changed by a merge patch whose status move core/inquiry.c allows, and replied to, each in one
 * write. Events carry ids and states only, never the texts or the contact (personal data).
 */
#include "service/service_inquiries.h"
#include "service/service_int.h"

#include <stdio.h>
#include <string.h>

/* ---- Event payloads: ids and states only ---- */

static const char created_event[] = "inquiry.created";
static const char updated_event[] = "inquiry.updated";
static const char replied_event[] = "inquiry.replied";
static const char resolved_event[] = "inquiry.resolved";

struct inquiry_event {
    const struct pt_inquiry *q;
    const struct pt_inquiry_reply *r; /* inquiry.replied only. */
};

static enum pt_rc inquiry_event_encode(const void *obj, struct pt_arena *arena, const char **json,
                                       struct pt_err *err)
{
    const struct inquiry_event *e = obj;
    char text[512];
    int n;
    /* Ids, names of the enums and numbers: none needs escaping in JSON. */
    if (e->r != NULL) {
        n = snprintf(text, sizeof(text),
                     "{\"inquiry_id\":\"%s\",\"reply_id\":\"%s\",\"author\":\"%s\","
                     "\"internal\":%s,\"status\":\"%s\"}",
                     e->q->id, e->r->id, pt_reply_author_names[e->r->author],
                     e->r->internal ? "true" : "false", pt_inquiry_status_names[e->q->status]);
    } else {
        n = snprintf(text, sizeof(text),
                     "{\"inquiry_id\":\"%s\",\"status\":\"%s\",\"priority\":\"%s\","
                     "\"assignee\":%s%s%s}",
                     e->q->id, pt_inquiry_status_names[e->q->status],
                     pt_inquiry_priority_names[e->q->priority], e->q->assignee[0] ? "\"" : "",
                     e->q->assignee[0] ? e->q->assignee : "null", e->q->assignee[0] ? "\"" : "");
    }
    if (n < 0 || (size_t)n >= sizeof(text)) {
        return pt_err_set(err, PT_EINTERNAL, NULL, "an inquiry event does not fit");
    }
    *json = pt_arena_strndup(arena, text, (size_t)n);
    return *json != NULL ? PT_OK : pt_arena_err(arena, err);
}

static enum pt_rc inquiry_event(struct pt_svc_write *w, const char *type,
                                const struct pt_inquiry *q, const struct pt_inquiry_reply *r,
                                struct pt_err *err)
{
    struct inquiry_event e = {.q = q, .r = r};
    return pt_svc_event(w->svc, w->txn, w->who->program_id, type,
                        q->member_id[0] ? q->member_id : NULL, inquiry_event_encode, &e, w->now_ms,
                        w->arena, NULL, err);
}

/* The assignee, when set, is a user of the program. */
static enum pt_rc assignee_check(struct pt_svc_write *w, const char *assignee, struct pt_err *err)
{
    struct pt_user user;
    enum pt_rc rc;
    if (assignee[0] == '\0') {
        return PT_OK;
    }
    rc = pt_store_user_get(w->txn, w->who->program_id, assignee, w->arena, &user, err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        rc = pt_err_set(err, PT_EINVAL, "assignee", "assignee must be a user of the program");
    }
    return rc;
}

/* A member's session sees its own inquiries only: another's is as absent as none. */
static bool visible(const struct pt_principal *who, const struct pt_inquiry *q)
{
    return who->kind != PT_PRINCIPAL_MEMBER || strcmp(q->member_id, who->member_id) == 0;
}

/* What a member's session sees of its inquiries: its internal replies are not counted. */
static void member_view(const struct pt_principal *who, struct pt_inquiry *items, unsigned count)
{
    unsigned i;
    for (i = 0; who->kind == PT_PRINCIPAL_MEMBER && i < count; i++) {
        items[i].replies -= items[i].internal_replies;
        items[i].internal_replies = 0;
    }
}

static enum pt_rc inquiry_read(struct pt_svc_write *w, const char *id, struct pt_inquiry *q,
                               struct pt_err *err)
{
    enum pt_rc rc = pt_store_inquiry_get(w->txn, w->who->program_id, id, w->arena, q, err);
    if (rc == PT_OK && !visible(w->who, q)) {
        rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no inquiry %s", id);
    }
    return rc;
}

/* ---- Create ---- */

struct inquiry_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_inquiry *q;
};

static enum pt_rc inquiry_create_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct inquiry_ctx *ctx = (struct inquiry_ctx *)w;
    struct pt_inquiry *q = ctx->q;
    int64_t count = 0;
    enum pt_rc rc = PT_OK;
    if (q->member_id[0] != '\0') {
        struct pt_member member;
        rc = pt_store_member_get(w->txn, w->who->program_id, q->member_id, w->arena, &member, err);
        if (rc == PT_ENOTFOUND) {
            pt_err_clear(err);
            rc = pt_err_set(err, PT_EINVAL, "member_id", "no member %s", q->member_id);
        }
        if (rc == PT_OK && member.status == PT_MEMBER_ERASED) {
            rc = pt_member_erased(&member, err); /* Closed forever: no new words about it. */
        }
        if (rc == PT_OK) {
            rc = pt_store_inquiry_count(w->txn, w->who->program_id, q->member_id, &count, err);
        }
        if (rc == PT_OK && count >= PT_INQUIRIES_PER_MEMBER_MAX) {
            rc = pt_err_set(err, PT_ELIMIT, NULL, "a member holds at most %d inquiries",
                            PT_INQUIRIES_PER_MEMBER_MAX);
            (void)pt_err_code(err, "too_many_inquiries");
        }
    }
    if (rc == PT_OK) {
        rc = assignee_check(w, q->assignee, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_inquiry_insert(w->txn, w->who->program_id, q, err);
    }
    if (rc == PT_OK) {
        rc = inquiry_event(w, created_event, q, NULL, err);
    }
    w->result = q;
    w->ref_id = q->id;
    return rc;
}

static const struct pt_write_case inquiry_create_case = {
    .name = "inquiry_create",
    .body = inquiry_create_body,
};

enum pt_rc pt_service_inquiry_create(struct pt_service *svc, const struct pt_principal *who,
                                     struct pt_inquiry *q, struct pt_idem *idem,
                                     struct pt_arena *arena, struct pt_err *err)
{
    struct inquiry_ctx ctx = {.q = q};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    if (who->kind == PT_PRINCIPAL_MEMBER) {
        if (q->member_id[0] != '\0' && strcmp(q->member_id, who->member_id) != 0) {
            return pt_err_set(err, PT_EINVAL, "member_id", "a member asks for itself only");
        }
        (void)snprintf(q->member_id, sizeof(q->member_id), "%s", who->member_id);
    }
    rc = pt_inquiry_validate(q, err);
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("inq", ctx.w.now_ms, q->id);
    q->status = PT_INQUIRY_OPEN;
    q->created_at_ms = ctx.w.now_ms;
    q->updated_at_ms = ctx.w.now_ms;
    q->first_response_at_ms = 0;
    q->resolved_at_ms = 0;
    q->replies = 0;
    q->internal_replies = 0;
    return pt_svc_write(&ctx.w, &inquiry_create_case, err);
}

/* ---- Read ---- */

enum pt_rc pt_service_inquiry_get(struct pt_service *svc, const struct pt_principal *who,
                                  const char *id, struct pt_arena *arena, struct pt_inquiry *out,
                                  struct pt_inquiry_reply **replies, unsigned *reply_count,
                                  struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    *reply_count = 0;
    *replies = NULL;
    if (rc == PT_OK) {
        rc = pt_store_inquiry_get(txn, who->program_id, id, arena, out, err);
    }
    if (rc == PT_OK && !visible(who, out)) {
        rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no inquiry %s", id);
    }
    if (rc == PT_OK) {
        member_view(who, out, 1);
    }
    if (rc == PT_OK) {
        rc = pt_store_reply_list(txn, who->program_id, id, who->kind != PT_PRINCIPAL_MEMBER,
                                 PT_INQUIRY_REPLIES_MAX, arena, replies, reply_count, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

enum pt_rc pt_service_inquiry_list(struct pt_service *svc, const struct pt_principal *who,
                                   struct pt_inquiry_filter *f, const char *cursor_id,
                                   unsigned limit, struct pt_arena *arena, struct pt_inquiry **out,
                                   unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc;
    *count = 0;
    *out = NULL;
    if (who->kind == PT_PRINCIPAL_MEMBER) {
        if (f->member_id != NULL && strcmp(f->member_id, who->member_id) != 0) {
            return PT_OK; /* Another member's: none it may see. */
        }
        f->member_id = who->member_id;
    }
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_store_inquiry_list(txn, who->program_id, f, cursor_id, limit, arena, out, count,
                                   err);
    }
    if (rc == PT_OK) {
        member_view(who, *out, *count);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

/* ---- Update ---- */

struct inquiry_update_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *id;
    pt_inquiry_patch_fn patch;
    void *patch_ctx;
    struct pt_inquiry *out;
};

static enum pt_rc inquiry_update_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct inquiry_update_ctx *ctx = (struct inquiry_update_ctx *)w;
    struct pt_inquiry *q = ctx->out;
    enum pt_inquiry_status before;
    char assignee_before[PT_ID_BUF_BYTES];
    enum pt_rc rc = inquiry_read(w, ctx->id, q, err);
    if (rc != PT_OK) {
        return rc;
    }
    before = q->status;
    (void)snprintf(assignee_before, sizeof(assignee_before), "%s", q->assignee);
    rc = ctx->patch(ctx->patch_ctx, w->arena, q, err);
    if (rc == PT_OK && q->status != before && !pt_inquiry_move_allowed(before, q->status)) {
        rc = pt_err_set(err, PT_ECONFLICT, "status", "an inquiry %s cannot become %s",
                        pt_inquiry_status_names[before], pt_inquiry_status_names[q->status]);
        (void)pt_err_code(err, "status_move_refused");
    }
    if (rc == PT_OK) {
        rc = pt_inquiry_validate(q, err);
    }
    if (rc == PT_OK && strcmp(assignee_before, q->assignee) != 0) {
        rc = assignee_check(w, q->assignee, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (q->status != before && q->status == PT_INQUIRY_RESOLVED) {
        q->resolved_at_ms = w->now_ms;
    } else if (q->status != before && q->status == PT_INQUIRY_OPEN) {
        q->resolved_at_ms = 0; /* Reopened: resolved again later, timed again. */
    }
    q->updated_at_ms = w->now_ms;
    rc = pt_store_inquiry_update(w->txn, w->who->program_id, q, err);
    if (rc == PT_OK) {
        rc = inquiry_event(w, updated_event, q, NULL, err);
    }
    if (rc == PT_OK && q->status != before && q->status == PT_INQUIRY_RESOLVED) {
        rc = inquiry_event(w, resolved_event, q, NULL, err);
    }
    return rc;
}

static const struct pt_write_case inquiry_update_case = {
    .name = "inquiry_update",
    .body = inquiry_update_body,
};

enum pt_rc pt_service_inquiry_update(struct pt_service *svc, const struct pt_principal *who,
                                     const char *id, pt_inquiry_patch_fn patch, void *patch_ctx,
                                     struct pt_arena *arena, struct pt_inquiry *out,
                                     struct pt_err *err)
{
    struct inquiry_update_ctx ctx = {.id = id, .patch = patch, .patch_ctx = patch_ctx, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    return pt_svc_write(&ctx.w, &inquiry_update_case, err);
}

/* ---- Replies ---- */

struct reply_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *id;
    struct pt_inquiry_reply *r;
};

static enum pt_rc reply_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct reply_ctx *ctx = (struct reply_ctx *)w;
    struct pt_inquiry_reply *r = ctx->r;
    struct pt_inquiry q;
    enum pt_rc rc = inquiry_read(w, ctx->id, &q, err);
    if (rc == PT_OK && q.status == PT_INQUIRY_CLOSED) {
        rc = pt_err_set(err, PT_ECONFLICT, NULL, "a closed inquiry takes no reply");
        (void)pt_err_code(err, "inquiry_closed");
    }
    if (rc == PT_OK && q.member_id[0] != '\0') {
        /* An erased member's inquiry takes no more words (it may still be resolved or closed). */
        struct pt_member member;
        rc = pt_store_member_get(w->txn, w->who->program_id, q.member_id, w->arena, &member, err);
        if (rc == PT_OK && member.status == PT_MEMBER_ERASED) {
            rc = pt_member_erased(&member, err);
        }
    }
    if (rc == PT_OK && q.replies >= PT_INQUIRY_REPLIES_MAX) {
        rc = pt_err_set(err, PT_ELIMIT, NULL, "an inquiry holds at most %d replies",
                        PT_INQUIRY_REPLIES_MAX);
        (void)pt_err_code(err, "too_many_replies");
    }
    if (rc != PT_OK) {
        return rc;
    }
    (void)snprintf(r->inquiry_id, sizeof(r->inquiry_id), "%s", q.id);
    if (r->author == PT_REPLY_MEMBER) {
        (void)snprintf(r->author_id, sizeof(r->author_id), "%s", q.member_id);
    }
    rc = pt_store_reply_insert(w->txn, w->who->program_id, r, err);
    q.replies++;
    q.internal_replies += r->internal ? 1 : 0;
    if (r->author == PT_REPLY_STAFF && !r->internal && q.first_response_at_ms == 0) {
        q.first_response_at_ms = w->now_ms;
    }
    q.updated_at_ms = w->now_ms;
    if (rc == PT_OK) {
        rc = pt_store_inquiry_update(w->txn, w->who->program_id, &q, err);
    }
    if (rc == PT_OK) {
        rc = inquiry_event(w, replied_event, &q, r, err);
    }
    w->result = r;
    w->ref_id = r->id;
    return rc;
}

static const struct pt_write_case reply_case = {
    .name = "inquiry_reply",
    .body = reply_body,
};

enum pt_rc pt_service_inquiry_reply(struct pt_service *svc, const struct pt_principal *who,
                                    const char *id, struct pt_inquiry_reply *r,
                                    struct pt_idem *idem, struct pt_arena *arena,
                                    struct pt_err *err)
{
    struct reply_ctx ctx = {.id = id, .r = r};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    if (who->kind == PT_PRINCIPAL_MEMBER) {
        if (r->author != PT_REPLY_MEMBER || r->internal) {
            return pt_err_set(err, PT_EINVAL, r->internal ? "internal" : "author",
                              "a member replies as the member, never internal");
        }
    }
    if (r->author == PT_REPLY_MEMBER && r->internal) {
        return pt_err_set(err, PT_EINVAL, "internal", "only staff write internal replies");
    }
    rc = pt_inquiry_text_check(r->body, "body", PT_INQUIRY_BODY_MAX, true, err);
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("rpl", ctx.w.now_ms, r->id);
    r->created_at_ms = ctx.w.now_ms;
    if (r->author == PT_REPLY_STAFF) {
        (void)snprintf(r->author_id, sizeof(r->author_id), "%s",
                       who->user_id[0] ? who->user_id : who->key_id);
    }
    return pt_svc_write(&ctx.w, &reply_case, err);
}

/* ---- Staff notes ---- */

struct note_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_member_note *n;
};

static enum pt_rc note_create_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct note_ctx *ctx = (struct note_ctx *)w;
    struct pt_member note_member;
    int64_t count = 0;
    enum pt_rc rc = pt_store_member_get(w->txn, w->who->program_id, ctx->n->member_id, w->arena,
                                        &note_member, err);
    if (rc == PT_OK && note_member.status == PT_MEMBER_ERASED) {
        rc = pt_member_erased(&note_member, err); /* Closed forever: no new words about it. */
    }
    if (rc == PT_OK) {
        rc = pt_store_note_count(w->txn, w->who->program_id, ctx->n->member_id, &count, err);
    }
    if (rc == PT_OK && count >= PT_NOTES_PER_MEMBER_MAX) {
        rc = pt_err_set(err, PT_ELIMIT, NULL, "a member holds at most %d notes",
                        PT_NOTES_PER_MEMBER_MAX);
        (void)pt_err_code(err, "too_many_notes");
    }
    if (rc == PT_OK) {
        rc = pt_store_note_insert(w->txn, w->who->program_id, ctx->n, err);
    }
    w->result = ctx->n;
    w->ref_id = ctx->n->id;
    return rc;
}

static const struct pt_write_case note_create_case = {
    .name = "note_create",
    .body = note_create_body,
};

enum pt_rc pt_service_note_create(struct pt_service *svc, const struct pt_principal *who,
                                  struct pt_member_note *n, struct pt_idem *idem,
                                  struct pt_arena *arena, struct pt_err *err)
{
    struct note_ctx ctx = {.n = n};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    rc = pt_inquiry_text_check(n->body, "body", PT_NOTE_BODY_MAX, true, err);
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("nte", ctx.w.now_ms, n->id);
    n->created_at_ms = ctx.w.now_ms;
    (void)snprintf(n->author_id, sizeof(n->author_id), "%s",
                   who->user_id[0] ? who->user_id : who->key_id);
    return pt_svc_write(&ctx.w, &note_create_case, err);
}

enum pt_rc pt_service_note_list(struct pt_service *svc, const struct pt_principal *who,
                                const char *member_id, const char *cursor_id, unsigned limit,
                                struct pt_arena *arena, struct pt_member_note **out,
                                unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    *count = 0;
    *out = NULL;
    if (rc == PT_OK) {
        rc = pt_store_member_get(txn, who->program_id, member_id, arena, &member, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_note_list(txn, who->program_id, member_id, cursor_id, limit, arena, out,
                                count, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

/* ---- The member's export ---- */

static enum pt_rc export_read(struct pt_store_txn *txn, const struct pt_principal *who,
                              const char *member_id, struct pt_arena *arena,
                              struct pt_inquiry_export *out, struct pt_err *err)
{
    struct pt_inquiry_filter f = {.member_id = member_id};
    unsigned rows;
    unsigned i;
    enum pt_rc rc = pt_store_inquiry_list(txn, who->program_id, &f, NULL, PT_EXPORT_ROWS_MAX + 1,
                                          arena, &out->inquiries, &out->inquiry_count, err);
    rows = out->inquiry_count;
    if (rc == PT_OK) {
        out->replies = pt_arena_alloc(arena, (rows + 1) * sizeof(*out->replies));
        out->reply_counts = pt_arena_alloc(arena, (rows + 1) * sizeof(*out->reply_counts));
        if (out->replies == NULL || out->reply_counts == NULL) {
            rc = pt_arena_err(arena, err);
        }
    }
    for (i = 0; rc == PT_OK && i < out->inquiry_count && rows <= PT_EXPORT_ROWS_MAX; i++) {
        rc = pt_store_reply_list(txn, who->program_id, out->inquiries[i].id, true,
                                 PT_INQUIRY_REPLIES_MAX, arena, &out->replies[i],
                                 &out->reply_counts[i], err);
        rows += rc == PT_OK ? out->reply_counts[i] : 0;
    }
    if (rc == PT_OK) {
        rc = pt_store_note_list(txn, who->program_id, member_id, NULL, PT_NOTES_PER_MEMBER_MAX,
                                arena, &out->notes, &out->note_count, err);
        rows += out->note_count;
    }
    if (rc == PT_OK && rows > PT_EXPORT_ROWS_MAX) {
        rc = pt_err_set(err, PT_ELIMIT, NULL, "the member's export holds more than %d rows",
                        PT_EXPORT_ROWS_MAX);
        (void)pt_err_code(err, "limit_exceeded");
    }
    return rc;
}

enum pt_rc pt_service_inquiry_export(struct pt_service *svc, const struct pt_principal *who,
                                     const char *member_id, struct pt_arena *arena,
                                     struct pt_inquiry_export *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    memset(out, 0, sizeof(*out));
    if (rc == PT_OK) {
        rc = pt_store_member_get(txn, who->program_id, member_id, arena, &member, err);
    }
    if (rc == PT_OK) {
        rc = export_read(txn, who, member_id, arena, out, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}
