/* SPDX-License-Identifier: MIT */
/*
 * Inquiries, their replies and staff notes on members (store_inquiries.h; docs/crm.md). Written
 * against the query cursors of store_int.h; every query is scoped by program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

#define INQUIRY_COLUMNS                                                                            \
    "id, member_id, contact_name, contact_email, contact_phone, channel, subject, body, status, "  \
    "priority, assignee, tags, created_at_ms, updated_at_ms, first_response_at_ms, "               \
    "resolved_at_ms, replies, internal_replies"

static void inquiry_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_inquiry *r = row;
    memset(r, 0, sizeof(*r));
    pt_q_col_copy(q, 0, r->id, sizeof(r->id));
    pt_q_col_copy(q, 1, r->member_id, sizeof(r->member_id));
    r->contact_name = pt_q_col_text(q, 2, arena);
    r->contact_email = pt_q_col_text(q, 3, arena);
    r->contact_phone = pt_q_col_text(q, 4, arena);
    r->channel =
        (enum pt_inquiry_channel)pt_q_col_name(q, 5, pt_inquiry_channel_names, PT_INQUIRY_CHANNELS);
    r->subject = pt_q_col_text(q, 6, arena);
    r->body = pt_q_col_text(q, 7, arena);
    r->status =
        (enum pt_inquiry_status)pt_q_col_name(q, 8, pt_inquiry_status_names, PT_INQUIRY_STATUSES);
    r->priority = (enum pt_inquiry_priority)pt_q_col_name(q, 9, pt_inquiry_priority_names,
                                                          PT_INQUIRY_PRIORITIES);
    pt_q_col_copy(q, 10, r->assignee, sizeof(r->assignee));
    pt_q_col_lines(q, 11, arena, &r->tags, &r->tag_count);
    r->created_at_ms = pt_q_col_int(q, 12);
    r->updated_at_ms = pt_q_col_int(q, 13);
    r->first_response_at_ms = pt_q_col_int(q, 14);
    r->resolved_at_ms = pt_q_col_int(q, 15);
    r->replies = pt_q_col_int(q, 16);
    r->internal_replies = pt_q_col_int(q, 17);
}

/* The text of an inquiry's tags until pt_q_close. */
struct tags_text {
    char text[PT_INQUIRY_TAGS_MAX * (PT_INQUIRY_TAG_MAX + 1)];
};

static const char *or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

enum pt_rc pt_store_inquiry_insert(struct pt_store_txn *txn, const char *program_id,
                                   const struct pt_inquiry *r, struct pt_err *err)
{
    static const char sql[] = "INSERT INTO inquiries (program_id, " INQUIRY_COLUMNS
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                              "?14, ?15, ?16, ?17, ?18, ?19)";
    struct tags_text tags;
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_text(&q, 3, or_null(r->member_id));
    pt_q_text(&q, 4, r->contact_name);
    pt_q_text(&q, 5, r->contact_email);
    pt_q_text(&q, 6, r->contact_phone);
    pt_q_text(&q, 7, pt_inquiry_channel_names[r->channel]);
    pt_q_text(&q, 8, r->subject);
    pt_q_text(&q, 9, r->body);
    pt_q_text(&q, 10, pt_inquiry_status_names[r->status]);
    pt_q_text(&q, 11, pt_inquiry_priority_names[r->priority]);
    pt_q_text(&q, 12, or_null(r->assignee));
    pt_q_lines(&q, 13, r->tags, r->tag_count, tags.text, sizeof(tags.text));
    pt_q_int(&q, 14, r->created_at_ms);
    pt_q_int(&q, 15, r->updated_at_ms);
    pt_q_int(&q, 16, r->first_response_at_ms);
    pt_q_int(&q, 17, r->resolved_at_ms);
    pt_q_int(&q, 18, r->replies);
    pt_q_int(&q, 19, r->internal_replies);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_inquiry_update(struct pt_store_txn *txn, const char *program_id,
                                   const struct pt_inquiry *r, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE inquiries SET status = ?3, priority = ?4, assignee = ?5, tags = ?6, subject = ?7, "
        "updated_at_ms = ?8, first_response_at_ms = ?9, resolved_at_ms = ?10, replies = ?11, "
        "internal_replies = ?12 WHERE program_id = ?1 AND id = ?2";
    struct tags_text tags;
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_text(&q, 3, pt_inquiry_status_names[r->status]);
    pt_q_text(&q, 4, pt_inquiry_priority_names[r->priority]);
    pt_q_text(&q, 5, or_null(r->assignee));
    pt_q_lines(&q, 6, r->tags, r->tag_count, tags.text, sizeof(tags.text));
    pt_q_text(&q, 7, r->subject);
    pt_q_int(&q, 8, r->updated_at_ms);
    pt_q_int(&q, 9, r->first_response_at_ms);
    pt_q_int(&q, 10, r->resolved_at_ms);
    pt_q_int(&q, 11, r->replies);
    pt_q_int(&q, 12, r->internal_replies);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) != 1) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no inquiry %s", r->id);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_inquiry_get(struct pt_store_txn *txn, const char *program_id, const char *id,
                                struct pt_arena *arena, struct pt_inquiry *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " INQUIRY_COLUMNS " FROM inquiries WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    memset(out, 0, sizeof(*out));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, id);
    if (pt_q_next(&q)) {
        inquiry_from_row(&q, arena, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no inquiry %s", id);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_inquiry_list(struct pt_store_txn *txn, const char *program_id,
                                 const struct pt_inquiry_filter *f, const char *cursor_id,
                                 unsigned limit, struct pt_arena *arena, struct pt_inquiry **out,
                                 unsigned *count, struct pt_err *err)
{
/* The other filters, after the program's (?1) and the member's (?5) when it has one. */
#define INQUIRY_FILTERS                                                                            \
    "AND (CAST(?2 AS TEXT) IS NULL OR id < ?2) "                                                   \
    "AND (CAST(?3 AS TEXT) IS NULL OR status = ?3) "                                               \
    "AND (CAST(?4 AS TEXT) IS NULL OR (?4 = 'none' AND assignee IS NULL) OR assignee = ?4) "       \
    "AND (CAST(?6 AS BIGINT) = 0 OR created_at_ms <= ?6) "                                         \
    "AND (CAST(?7 AS BIGINT) = 0 OR created_at_ms > ?7) ORDER BY id DESC LIMIT ?8"
    /* A member's, on its index (program_id, member_id, id); else the program's, by id. */
    static const char member_sql[] = "SELECT " INQUIRY_COLUMNS " FROM inquiries WHERE "
                                     "program_id = ?1 AND member_id = ?5 " INQUIRY_FILTERS;
    static const char all_sql[] = "SELECT " INQUIRY_COLUMNS " FROM inquiries WHERE "
                                  "program_id = ?1 AND CAST(?5 AS TEXT) IS NULL " INQUIRY_FILTERS;
    struct pt_q q;
    (void)pt_q_open(&q, txn, f->member_id != NULL ? member_sql : all_sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, cursor_id);
    pt_q_text(&q, 3, f->status);
    pt_q_text(&q, 4, f->assignee);
    pt_q_text(&q, 5, f->member_id);
    pt_q_int(&q, 6, f->created_before_ms);
    pt_q_int(&q, 7, f->created_after_ms);
    pt_q_int(&q, 8, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), inquiry_from_row, arena, count);
    return pt_q_close(&q);
}

/* One count(*) with its binds: program_id and, when not NULL, a second text. */
static enum pt_rc count_of(struct pt_store_txn *txn, const char *sql, const char *program_id,
                           const char *second, int64_t *count, struct pt_err *err)
{
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    if (second != NULL) {
        pt_q_text(&q, 2, second);
    }
    if (pt_q_next(&q)) {
        *count = pt_q_col_int(&q, 0);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_inquiry_count(struct pt_store_txn *txn, const char *program_id,
                                  const char *member_id, int64_t *count, struct pt_err *err)
{
    return count_of(txn, "SELECT count(*) FROM inquiries WHERE program_id = ?1 AND member_id = ?2",
                    program_id, member_id, count, err);
}

enum pt_rc pt_store_reply_insert(struct pt_store_txn *txn, const char *program_id,
                                 const struct pt_inquiry_reply *r, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO inquiry_replies (program_id, inquiry_id, id, author, author_id, internal, "
        "body, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->inquiry_id);
    pt_q_text(&q, 3, r->id);
    pt_q_text(&q, 4, pt_reply_author_names[r->author]);
    pt_q_text(&q, 5, or_null(r->author_id));
    pt_q_int(&q, 6, r->internal ? 1 : 0);
    pt_q_text(&q, 7, r->body);
    pt_q_int(&q, 8, r->created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

static void reply_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_inquiry_reply *r = row;
    memset(r, 0, sizeof(*r));
    pt_q_col_copy(q, 0, r->inquiry_id, sizeof(r->inquiry_id));
    pt_q_col_copy(q, 1, r->id, sizeof(r->id));
    r->author = (enum pt_reply_author)pt_q_col_name(q, 2, pt_reply_author_names, PT_REPLY_AUTHORS);
    pt_q_col_copy(q, 3, r->author_id, sizeof(r->author_id));
    r->internal = pt_q_col_int(q, 4) != 0;
    r->body = pt_q_col_text(q, 5, arena);
    r->created_at_ms = pt_q_col_int(q, 6);
}

enum pt_rc pt_store_reply_list(struct pt_store_txn *txn, const char *program_id,
                               const char *inquiry_id, bool with_internal, unsigned limit,
                               struct pt_arena *arena, struct pt_inquiry_reply **out,
                               unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT inquiry_id, id, author, author_id, internal, body, created_at_ms FROM "
        "inquiry_replies WHERE program_id = ?1 AND inquiry_id = ?2 AND (CAST(?3 AS BIGINT) = 1 OR "
        "internal = 0) "
        "ORDER BY id LIMIT ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, inquiry_id);
    pt_q_int(&q, 3, with_internal ? 1 : 0);
    pt_q_int(&q, 4, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), reply_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_note_insert(struct pt_store_txn *txn, const char *program_id,
                                const struct pt_member_note *n, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO member_notes (program_id, member_id, id, body, pinned, author_id, "
        "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, n->member_id);
    pt_q_text(&q, 3, n->id);
    pt_q_text(&q, 4, n->body);
    pt_q_int(&q, 5, n->pinned ? 1 : 0);
    pt_q_text(&q, 6, n->author_id);
    pt_q_int(&q, 7, n->created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

static void note_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_member_note *n = row;
    memset(n, 0, sizeof(*n));
    pt_q_col_copy(q, 0, n->member_id, sizeof(n->member_id));
    pt_q_col_copy(q, 1, n->id, sizeof(n->id));
    n->body = pt_q_col_text(q, 2, arena);
    n->pinned = pt_q_col_int(q, 3) != 0;
    pt_q_col_copy(q, 4, n->author_id, sizeof(n->author_id));
    n->created_at_ms = pt_q_col_int(q, 5);
}

enum pt_rc pt_store_note_list(struct pt_store_txn *txn, const char *program_id,
                              const char *member_id, const char *cursor_id, unsigned limit,
                              struct pt_arena *arena, struct pt_member_note **out, unsigned *count,
                              struct pt_err *err)
{
    static const char sql[] =
        "SELECT member_id, id, body, pinned, author_id, created_at_ms FROM member_notes "
        "WHERE program_id = ?1 AND member_id = ?2 AND (CAST(?3 AS TEXT) IS NULL OR id < ?3) "
        "ORDER BY id DESC LIMIT ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, cursor_id);
    pt_q_int(&q, 4, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), note_from_row, arena, count);
    return pt_q_close(&q);
}

enum pt_rc pt_store_note_count(struct pt_store_txn *txn, const char *program_id,
                               const char *member_id, int64_t *count, struct pt_err *err)
{
    return count_of(txn,
                    "SELECT count(*) FROM member_notes WHERE program_id = ?1 AND "
                    "member_id = ?2",
                    program_id, member_id, count, err);
}
