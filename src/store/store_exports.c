/* SPDX-License-Identifier: MIT */
/*
 * Everything held about one member, read for its export (store_exports.h): its purchases with
 * their items, returns, redemptions, stamp cards and activities. Written against the query
 * cursors of store_int.h; every query is scoped by program_id and member_id (both in the keys
 * of these tables), and bounded by the caller's limit.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <string.h>

/* ---- Purchases and their items ---- */

/* A purchase's columns of a row of the query below. */
static void purchase_row_from(struct pt_q *q, struct pt_arena *arena, struct pt_purchase_row *p)
{
    memset(p, 0, sizeof(*p));
    pt_q_col_copy(q, 0, p->id, sizeof(p->id));
    p->external_id = pt_q_col_text(q, 1, arena);
    p->occurred_at_ms = pt_q_col_int(q, 2);
    pt_q_col_copy(q, 3, p->currency, sizeof(p->currency));
    p->amount = pt_q_col_int(q, 4);
    p->eligible_amount = pt_q_col_int(q, 5);
    p->discount = pt_q_col_int(q, 6);
    p->channel = pt_q_col_text(q, 7, arena);
    p->location = pt_q_col_text(q, 8, arena);
    p->points_earned = pt_q_col_int(q, 9);
    p->returned_amount = pt_q_col_int(q, 10);
    p->points_reversed = pt_q_col_int(q, 11);
    p->cashback = pt_q_col_int(q, 12);
    p->cashback_reversed = pt_q_col_int(q, 13);
    p->created_at_ms = pt_q_col_int(q, 14);
}

#define PURCHASE_ITEM_COL 15

static void purchase_item_from(struct pt_q *q, struct pt_arena *arena, struct pt_purchase_item *it)
{
    memset(it, 0, sizeof(*it));
    it->sku = pt_q_col_text(q, PURCHASE_ITEM_COL + 1, arena);
    it->category = pt_q_col_text(q, PURCHASE_ITEM_COL + 2, arena);
    it->quantity = pt_q_col_int(q, PURCHASE_ITEM_COL + 3);
    it->unit_price = pt_q_col_int(q, PURCHASE_ITEM_COL + 4);
    it->eligible = pt_q_col_int(q, PURCHASE_ITEM_COL + 5) != 0;
    it->returned_quantity = pt_q_col_int(q, PURCHASE_ITEM_COL + 6);
}

/* Adds the item of the current row to p, whose items array has room for *cap. */
static bool purchase_item_add(struct pt_q *q, struct pt_arena *arena, struct pt_purchase_row *p,
                              size_t *cap)
{
    p->items = pt_q_grow(q, arena, p->items, p->item_count, cap, sizeof(*p->items));
    if (p->items == NULL) {
        return false;
    }
    purchase_item_from(q, arena, &p->items[p->item_count++]);
    return true;
}

enum pt_rc pt_store_export_purchases(struct pt_store_txn *txn, const char *program_id,
                                     const char *member_id, unsigned limit, struct pt_arena *arena,
                                     struct pt_purchase_row **out, unsigned *count, unsigned *rows,
                                     struct pt_err *err)
{
    /* One row per item, one with NULL items for a purchase without any. */
    static const char sql[] =
        "SELECT p.id, p.external_id, p.occurred_at_ms, p.currency, p.amount, p.eligible_amount, "
        "p.discount, p.channel, p.location, p.points_earned, p.returned_amount, "
        "p.points_reversed, p.cashback, p.cashback_reversed, p.created_at_ms, i.line, i.sku, "
        "i.category, i.quantity, i.unit_price, i.eligible, i.returned_quantity FROM purchases p "
        "LEFT JOIN purchase_items i ON i.program_id = p.program_id AND i.member_id = p.member_id "
        "AND i.purchase_id = p.id WHERE p.program_id = ?1 AND p.member_id = ?2 "
        "ORDER BY p.occurred_at_ms DESC, p.id DESC, i.line LIMIT ?3";
    struct pt_purchase_row *list = NULL;
    size_t cap = 0;
    size_t item_cap = 0;
    struct pt_q q;
    pt_assert(limit > 0);
    *count = 0;
    *rows = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, limit);
    while (pt_q_next(&q)) {
        char id[PT_ID_BUF_BYTES];
        (*rows)++;
        pt_q_col_copy(&q, 0, id, sizeof(id));
        if (*count == 0 || strcmp(list[*count - 1].id, id) != 0) {
            list = pt_q_grow(&q, arena, list, *count, &cap, sizeof(*list));
            if (list == NULL) {
                break;
            }
            purchase_row_from(&q, arena, &list[(*count)++]);
            item_cap = 0;
        }
        if (!pt_q_col_is_null(&q, PURCHASE_ITEM_COL) &&
            !purchase_item_add(&q, arena, &list[*count - 1], &item_cap)) {
            break;
        }
    }
    pt_assert(*rows <= limit);
    pt_assert(*count <= *rows);
    *out = list;
    return pt_q_close(&q);
}

/* ---- Returns and redemptions ---- */

static void return_row_from(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_return_row *r = row;
    memset(r, 0, sizeof(*r));
    pt_q_col_copy(q, 0, r->id, sizeof(r->id));
    r->external_id = pt_q_col_text(q, 1, arena);
    pt_q_col_copy(q, 2, r->purchase_id, sizeof(r->purchase_id));
    r->amount = pt_q_col_int(q, 3);
    r->points_reversed = pt_q_col_int(q, 4);
    r->points_owed = pt_q_col_int(q, 5);
    r->created_at_ms = pt_q_col_int(q, 6);
}

enum pt_rc pt_store_member_returns(struct pt_store_txn *txn, const char *program_id,
                                   const char *member_id, unsigned limit, struct pt_arena *arena,
                                   struct pt_return_row **out, unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT id, external_id, purchase_id, amount, points_reversed, points_owed, "
        "created_at_ms FROM returns WHERE program_id = ?1 AND member_id = ?2 "
        "ORDER BY purchase_id, created_at_ms, id LIMIT ?3";
    struct pt_q q;
    pt_assert(limit > 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), return_row_from, arena, count);
    pt_assert(*count <= limit);
    return pt_q_close(&q);
}

static void redemption_from(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_redemption *r = row;
    char status[16];
    memset(r, 0, sizeof(*r));
    pt_q_col_copy(q, 0, r->id, sizeof(r->id));
    pt_q_col_copy(q, 1, r->member_id, sizeof(r->member_id));
    r->points = pt_q_col_int(q, 2);
    r->reason = pt_q_col_text(q, 3, arena);
    pt_q_col_copy(q, 4, status, sizeof(status));
    r->cancelled = strcmp(status, "cancelled") == 0;
    pt_q_col_copy(q, 5, r->entry_id, sizeof(r->entry_id));
    pt_q_col_copy(q, 6, r->cancel_entry_id, sizeof(r->cancel_entry_id));
    r->created_at_ms = pt_q_col_int(q, 7);
    r->cancelled_at_ms = pt_q_col_int(q, 8);
    r->cancel_reason = pt_q_col_text(q, 9, arena);
}

enum pt_rc pt_store_member_redemptions(struct pt_store_txn *txn, const char *program_id,
                                       const char *member_id, unsigned limit,
                                       struct pt_arena *arena, struct pt_redemption **out,
                                       unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT id, member_id, points, reason, status, entry_id, cancel_entry_id, "
        "created_at_ms, cancelled_at_ms, " PT_SQL_CANCEL_REASON(
            "r") " FROM redemptions r WHERE program_id = ?1 AND member_id = ?2 "
                 "ORDER BY created_at_ms DESC, id DESC LIMIT ?3";
    struct pt_q q;
    pt_assert(limit > 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), redemption_from, arena, count);
    pt_assert(*count <= limit);
    return pt_q_close(&q);
}

/* ---- Stamp cards and activities ---- */

static void instance_from(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_member_stamp_card *c = row;
    char status[16];
    (void)arena;
    memset(c, 0, sizeof(*c));
    pt_q_col_copy(q, 0, c->card_id, sizeof(c->card_id));
    c->n = pt_q_col_int(q, 1);
    pt_q_col_copy(q, 2, status, sizeof(status));
    /* The CHECK constraint keeps the three names; the struct holds static ones. */
    c->status = strcmp(status, "completed") == 0 ? "completed"
                : strcmp(status, "expired") == 0 ? "expired"
                                                 : "open";
    c->stamps = pt_q_col_int(q, 3);
    c->started_at_ms = pt_q_col_int(q, 4);
    c->expires_at_ms = pt_q_col_int(q, 5);
    c->completed_at_ms = pt_q_col_int(q, 6);
    c->reward_points = pt_q_col_int(q, 7);
    pt_q_col_copy(q, 8, c->entry_id, sizeof(c->entry_id));
    c->stamps_returned = pt_q_col_int(q, 9);
    pt_q_col_copy(q, 10, c->coupon_code, sizeof(c->coupon_code));
}

enum pt_rc pt_store_member_stamp_instances(struct pt_store_txn *txn, const char *program_id,
                                           const char *member_id, unsigned limit,
                                           struct pt_arena *arena,
                                           struct pt_member_stamp_card **out, unsigned *count,
                                           struct pt_err *err)
{
    static const char sql[] =
        "SELECT card_id, n, status, stamps, started_at_ms, expires_at_ms, completed_at_ms, "
        "reward_points, entry_id, stamps_returned, coupon_code FROM member_stamp_cards "
        "WHERE program_id = ?1 AND member_id = ?2 ORDER BY card_id, n LIMIT ?3";
    struct pt_q q;
    pt_assert(limit > 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), instance_from, arena, count);
    pt_assert(*count <= limit);
    return pt_q_close(&q);
}

static void activity_from(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_activity_row *a = row;
    memset(a, 0, sizeof(*a));
    pt_q_col_copy(q, 0, a->id, sizeof(a->id));
    pt_q_col_copy(q, 1, a->member_id, sizeof(a->member_id));
    a->external_id = pt_q_col_text(q, 2, arena);
    a->type = pt_q_col_text(q, 3, arena);
    a->occurred_at_ms = pt_q_col_int(q, 4);
    a->properties = pt_q_col_text(q, 5, arena);
    a->points_earned = pt_q_col_int(q, 6);
    pt_q_col_copy(q, 7, a->entry_id, sizeof(a->entry_id));
    a->created_at_ms = pt_q_col_int(q, 8);
}

enum pt_rc pt_store_member_activities(struct pt_store_txn *txn, const char *program_id,
                                      const char *member_id, unsigned limit, struct pt_arena *arena,
                                      struct pt_activity_row **out, unsigned *count,
                                      struct pt_err *err)
{
    static const char sql[] =
        "SELECT id, member_id, external_id, type, occurred_at_ms, properties, points_earned, "
        "entry_id, created_at_ms FROM activities WHERE program_id = ?1 AND member_id = ?2 "
        "ORDER BY occurred_at_ms DESC, id DESC LIMIT ?3";
    struct pt_q q;
    pt_assert(limit > 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), activity_from, arena, count);
    pt_assert(*count <= limit);
    return pt_q_close(&q);
}
