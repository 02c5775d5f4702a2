/* SPDX-License-Identifier: MIT */
/*
 * Stamp cards: the program's cards, each member's instances of them, and the stamps each
 * purchase added. Written against the query cursors of store_int.h; every query is scoped by
 * program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

#define CARD_COLUMNS                                                                               \
    "id, name, status, stamps_required, stamps_per, conditions, items, document, reward_points, "  \
    "reward_id, valid_days, created_at_ms, updated_at_ms"

static void card_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_stamp_card *c = row;
    char text[16];
    memset(c, 0, sizeof(*c));
    pt_q_col_copy(q, 0, c->id, sizeof(c->id));
    c->name = pt_q_col_text(q, 1, arena);
    c->status = (enum pt_stamp_card_status)pt_q_col_name(q, 2, pt_stamp_card_status_names,
                                                         PT_STAMP_CARD_STATUSES);
    c->stamps_required = pt_q_col_int(q, 3);
    pt_q_col_copy(q, 4, text, sizeof(text));
    c->per_item = strcmp(text, "item") == 0;
    c->conditions = pt_q_col_text(q, 5, arena);
    c->items = pt_q_col_text(q, 6, arena);
    c->document = pt_q_col_text(q, 7, arena);
    c->reward_points = pt_q_col_int(q, 8);
    c->reward_id = pt_q_col_text(q, 9, arena);
    c->valid_days = pt_q_col_int(q, 10);
    c->created_at_ms = pt_q_col_int(q, 11);
    c->updated_at_ms = pt_q_col_int(q, 12);
}

static void card_bind(struct pt_q *q, const char *program_id, const struct pt_stamp_card *c)
{
    pt_q_text(q, 1, program_id);
    pt_q_text(q, 2, c->id);
    pt_q_text(q, 3, c->name);
    pt_q_text(q, 4, pt_stamp_card_status_names[c->status]);
    pt_q_int(q, 5, c->stamps_required);
    pt_q_text(q, 6, c->per_item ? "item" : "purchase");
    pt_q_text(q, 7, c->conditions);
    pt_q_text(q, 8, c->items);
    pt_q_text(q, 9, c->document);
    pt_q_int(q, 10, c->reward_points);
    pt_q_text(q, 11, c->reward_id);
    pt_q_int(q, 12, c->valid_days);
    pt_q_int(q, 13, c->created_at_ms);
    pt_q_int(q, 14, c->updated_at_ms);
}

/* Cards are evaluated with the rules: a change makes cached rule sets stale. */
static enum pt_rc rules_version_move(struct pt_store_txn *txn, const char *program_id,
                                     struct pt_err *err)
{
    static const char sql[] = "UPDATE programs SET rules_version = ?2 WHERE id = ?1";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, pt_store_settings_version_new());
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_stamp_card_insert(struct pt_store_txn *txn, const char *program_id,
                                      const struct pt_stamp_card *card, struct pt_err *err)
{
    static const char sql[] = "INSERT INTO stamp_cards (program_id, " CARD_COLUMNS ") VALUES "
                              "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    card_bind(&q, program_id, card);
    (void)pt_q_exec(&q);
    rc = pt_q_close(&q);
    return rc == PT_OK ? rules_version_move(txn, program_id, err) : rc;
}

enum pt_rc pt_store_stamp_card_update(struct pt_store_txn *txn, const char *program_id,
                                      const struct pt_stamp_card *card, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE stamp_cards SET name = ?3, status = ?4, stamps_required = ?5, stamps_per = ?6, "
        "conditions = ?7, items = ?8, document = ?9, reward_points = ?10, reward_id = ?11, "
        "valid_days = ?12, created_at_ms = ?13, updated_at_ms = ?14 "
        "WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    card_bind(&q, program_id, card);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_stamp_card_not_found(card->id, err);
    }
    rc = pt_q_close(&q);
    return rc == PT_OK ? rules_version_move(txn, program_id, err) : rc;
}

enum pt_rc pt_store_stamp_card_get(struct pt_store_txn *txn, const char *program_id,
                                   const char *card_id, struct pt_arena *arena,
                                   struct pt_stamp_card *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " CARD_COLUMNS " FROM stamp_cards WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, card_id);
    if (pt_q_next(&q)) {
        card_from_row(&q, arena, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_stamp_card_not_found(card_id, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_stamp_card_list(struct pt_store_txn *txn, const char *program_id,
                                    bool active_only, const char *cursor_id, unsigned limit,
                                    struct pt_arena *arena, struct pt_stamp_card **out,
                                    unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " CARD_COLUMNS " FROM stamp_cards WHERE program_id = ?1 "
        "AND (?2 = 0 OR status = 'active') AND (CAST(?3 AS TEXT) IS NULL OR id < ?3) "
        "ORDER BY id DESC LIMIT ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, active_only);
    pt_q_text(&q, 3, cursor_id);
    pt_q_int(&q, 4, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), card_from_row, arena, count);
    return pt_q_close(&q);
}

static const char *instance_status(const char *s)
{
    if (strcmp(s, "completed") == 0) {
        return "completed";
    }
    return strcmp(s, "expired") == 0 ? "expired" : "open";
}

/* An instance of a row of INSTANCE_SELECT (card card_id). */
#define INSTANCE_SELECT                                                                            \
    "SELECT n, status, stamps, started_at_ms, expires_at_ms, completed_at_ms, reward_points, "     \
    "entry_id, stamps_returned, coupon_code FROM member_stamp_cards WHERE program_id = ?1 "        \
    "AND member_id = ?2 "                                                                          \
    "AND card_id = ?3 "
static void instance_from_row(struct pt_q *q, const char *card_id, struct pt_member_stamp_card *out)
{
    char status[16];
    memset(out, 0, sizeof(*out));
    (void)snprintf(out->card_id, sizeof(out->card_id), "%s", card_id);
    out->n = pt_q_col_int(q, 0);
    pt_q_col_copy(q, 1, status, sizeof(status));
    out->status = instance_status(status);
    out->stamps = pt_q_col_int(q, 2);
    out->started_at_ms = pt_q_col_int(q, 3);
    out->expires_at_ms = pt_q_col_int(q, 4);
    out->completed_at_ms = pt_q_col_int(q, 5);
    out->reward_points = pt_q_col_int(q, 6);
    pt_q_col_copy(q, 7, out->entry_id, sizeof(out->entry_id));
    out->stamps_returned = pt_q_col_int(q, 8);
    pt_q_col_copy(q, 9, out->coupon_code, sizeof(out->coupon_code));
}

/* The member's instance n of card_id, or the last one when n is 0. */
static enum pt_rc instance_get(struct pt_store_txn *txn, const char *program_id,
                               const char *member_id, const char *card_id, int64_t n,
                               struct pt_member_stamp_card *out, struct pt_err *err)
{
    static const char sql_last[] = INSTANCE_SELECT "ORDER BY n DESC LIMIT 1";
    static const char sql_n[] = INSTANCE_SELECT "AND n = ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, n == 0 ? sql_last : sql_n, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, card_id);
    if (n != 0) {
        pt_q_int(&q, 4, n);
    }
    if (pt_q_next(&q)) {
        instance_from_row(&q, card_id, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_stamps_not_found(card_id, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_member_stamp_card_last(struct pt_store_txn *txn, const char *program_id,
                                           const char *member_id, const char *card_id,
                                           struct pt_member_stamp_card *out, struct pt_err *err)
{
    return instance_get(txn, program_id, member_id, card_id, 0, out, err);
}

enum pt_rc pt_store_member_stamp_card_get(struct pt_store_txn *txn, const char *program_id,
                                          const char *member_id, const char *card_id, int64_t n,
                                          struct pt_member_stamp_card *out, struct pt_err *err)
{
    pt_assert(n >= 1);
    return instance_get(txn, program_id, member_id, card_id, n, out, err);
}

enum pt_rc pt_store_member_stamp_card_put(struct pt_store_txn *txn, const char *program_id,
                                          const char *member_id,
                                          const struct pt_member_stamp_card *c, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO member_stamp_cards (program_id, member_id, card_id, n, status, stamps, "
        "started_at_ms, expires_at_ms, completed_at_ms, reward_points, entry_id, stamps_returned, "
        "coupon_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
        "ON CONFLICT (program_id, member_id, card_id, n) DO UPDATE SET status = ?5, "
        "stamps = ?6, started_at_ms = ?7, expires_at_ms = ?8, completed_at_ms = ?9, "
        "reward_points = ?10, entry_id = ?11, stamps_returned = ?12, coupon_code = ?13";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(c->stamps >= 0 && c->stamps_returned >= 0 && c->stamps_returned <= c->stamps);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, c->card_id);
    pt_q_int(&q, 4, c->n);
    pt_q_text(&q, 5, c->status);
    pt_q_int(&q, 6, c->stamps);
    pt_q_int(&q, 7, c->started_at_ms);
    pt_q_int(&q, 8, c->expires_at_ms);
    pt_q_int(&q, 9, c->completed_at_ms);
    pt_q_int(&q, 10, c->reward_points);
    pt_q_text(&q, 11, c->entry_id[0] ? c->entry_id : NULL);
    pt_q_int(&q, 12, c->stamps_returned);
    pt_q_text(&q, 13, c->coupon_code[0] ? c->coupon_code : NULL);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_member_stamp_cards_completed(struct pt_store_txn *txn, const char *program_id,
                                                 const char *member_id, const char *card_id,
                                                 int64_t *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT count(*) FROM member_stamp_cards WHERE program_id = ?1 AND member_id = ?2 "
        "AND card_id = ?3 AND status = 'completed'";
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, card_id);
    if (pt_q_next(&q)) {
        *count = pt_q_col_int(&q, 0);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_purchase_stamps_add(struct pt_store_txn *txn, const char *program_id,
                                        const char *member_id, const char *purchase_id,
                                        const struct pt_purchase_stamps *s, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO purchase_stamps (program_id, member_id, purchase_id, card_id, stamps, "
        "stamps_removed, card_n, on_open, completed) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(s->on_open >= 0 && s->on_open + s->completed <= s->stamps);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, purchase_id);
    pt_q_text(&q, 4, s->card_id);
    pt_q_int(&q, 5, s->stamps);
    pt_q_int(&q, 6, s->card_n);
    pt_q_int(&q, 7, s->on_open);
    pt_q_int(&q, 8, s->completed);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_purchase_stamps_get(struct pt_store_txn *txn, const char *program_id,
                                        const char *member_id, const char *purchase_id,
                                        struct pt_arena *arena, struct pt_purchase_stamps **out,
                                        unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT card_id, stamps, stamps_removed, card_n, on_open, completed, completed_returned "
        "FROM purchase_stamps "
        "WHERE program_id = ?1 AND member_id = ?2 AND purchase_id = ?3 ORDER BY card_id LIMIT ?4";
    struct pt_q q;
    unsigned cap = PT_STAMP_CARDS_ACTIVE_MAX;
    *count = 0;
    *out = pt_arena_alloc(arena, cap * sizeof(**out));
    if (*out == NULL) {
        return pt_arena_err(arena, err);
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, purchase_id);
    pt_q_int(&q, 4, cap);
    while (pt_q_next(&q)) {
        struct pt_purchase_stamps *s = &(*out)[*count];
        pt_q_col_copy(&q, 0, s->card_id, sizeof(s->card_id));
        s->stamps = pt_q_col_int(&q, 1);
        s->stamps_removed = pt_q_col_int(&q, 2);
        s->card_n = pt_q_col_int(&q, 3);
        s->on_open = pt_q_col_int(&q, 4);
        s->completed = pt_q_col_int(&q, 5);
        s->completed_returned = pt_q_col_int(&q, 6);
        (*count)++;
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_purchase_stamps_update(struct pt_store_txn *txn, const char *program_id,
                                           const char *member_id, const char *purchase_id,
                                           const struct pt_purchase_stamps *s, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE purchase_stamps SET stamps_removed = ?5, on_open = ?6, completed_returned = ?7 "
        "WHERE program_id = ?1 AND member_id = ?2 AND purchase_id = ?3 AND card_id = ?4";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(s->stamps_removed <= s->stamps && s->on_open >= 0);
    pt_assert(s->completed_returned >= 0 && s->completed_returned <= s->completed);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, purchase_id);
    pt_q_text(&q, 4, s->card_id);
    pt_q_int(&q, 5, s->stamps_removed);
    pt_q_int(&q, 6, s->on_open);
    pt_q_int(&q, 7, s->completed_returned);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}
