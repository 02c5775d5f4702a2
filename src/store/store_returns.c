/* SPDX-License-Identifier: MIT */
/*
 * Returns: what a return records on its purchase and its items, the return itself (once per
 * external id), and what returns may still take back of a member's recent purchases (the hold
 * of issue 16).
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <string.h>

enum pt_rc pt_store_purchase_update_returns(struct pt_store_txn *txn, const char *program_id,
                                            const struct pt_purchase *p, bool items_returned,
                                            struct pt_err *err)
{
    static const char sql[] =
        "UPDATE purchases SET returned_amount = ?3, returned_eligible = ?4, points_reversed = ?5, "
        "spend_returned = ?7 WHERE program_id = ?1 AND member_id = ?6 AND id = ?2";
    static const char sql_facts[] = "UPDATE purchase_facts SET coupon_points_refunded = ?4 "
                                    "WHERE program_id = ?1 AND member_id = ?2 AND purchase_id = ?3";
    static const char sql_item[] =
        "UPDATE purchase_items SET returned_quantity = ?4 "
        "WHERE program_id = ?1 AND member_id = ?5 AND purchase_id = ?2 AND line = ?3";
    struct pt_q q;
    unsigned i;
    enum pt_rc rc;
    pt_assert(p->returned_amount <= p->amount);
    pt_debug_assert(pt_store_txn_is_write(txn) && p->returned_amount >= 0);
    pt_assert(p->points_reversed <= p->points_earned);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, p->id);
    pt_q_int(&q, 3, p->returned_amount);
    pt_q_int(&q, 4, p->returned_eligible);
    pt_q_int(&q, 5, p->points_reversed);
    pt_q_text(&q, 6, p->member_id);
    pt_q_int(&q, 7, p->spend_returned);
    (void)pt_q_exec(&q);
    rc = pt_q_close(&q);
    if (rc == PT_OK && p->facts.stored) {
        pt_assert(p->facts.coupon_points_refunded <= p->facts.coupon_points);
        (void)pt_q_open(&q, txn, sql_facts, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, p->member_id);
        pt_q_text(&q, 3, p->id);
        pt_q_int(&q, 4, p->facts.coupon_points_refunded);
        (void)pt_q_exec(&q);
        rc = pt_q_close(&q);
    }
    for (i = 0; rc == PT_OK && items_returned && i < p->item_count; i++) {
        pt_assert(p->items[i].returned_quantity <= p->items[i].quantity);
        (void)pt_q_open(&q, txn, sql_item, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, p->id);
        pt_q_int(&q, 3, i);
        pt_q_int(&q, 4, p->items[i].returned_quantity);
        pt_q_text(&q, 5, p->member_id);
        (void)pt_q_exec(&q);
        rc = pt_q_close(&q);
    }
    return rc;
}

enum pt_rc pt_store_return_insert(struct pt_store_txn *txn, const char *program_id,
                                  const struct pt_return *r, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO returns (program_id, id, external_id, purchase_id, member_id, amount, "
        "points_reversed, points_owed, entry_id, created_at_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(r->points_owed <= r->points_reversed);
    pt_debug_assert(pt_store_txn_is_write(txn) && r->amount > 0 && r->points_owed >= 0);
    rc = pt_store_member_key_claim(txn, program_id, "return", r->external_id, r->member_id, err);
    if (rc == PT_ECONFLICT) {
        return pt_external_id_taken("a return", err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_text(&q, 3, r->external_id);
    pt_q_text(&q, 4, r->purchase_id);
    pt_q_text(&q, 5, r->member_id);
    pt_q_int(&q, 6, r->amount);
    pt_q_int(&q, 7, r->points_reversed);
    pt_q_int(&q, 8, r->points_owed);
    pt_q_text(&q, 9, r->entry_id[0] ? r->entry_id : NULL);
    pt_q_int(&q, 10, r->created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

/* ---- What returns may take back (issue 16) ---- */

enum pt_rc pt_store_purchases_returnable(struct pt_store_txn *txn, const char *program_id,
                                         const char *member_id, int64_t since_ms, int64_t now_ms,
                                         struct pt_returnable *points, struct pt_returnable *money,
                                         struct pt_err *err)
{
    /* The member's purchases by time (index purchases_member_time), each with its own lot and
     * wallet credit: a return takes from them first. */
    static const char sql[] =
        "SELECT coalesce(sum(p.points_earned - p.points_reversed), 0), "
        "coalesce(sum(CASE WHEN l.available_at_ms > ?4 OR l.expires_at_ms <= ?4 "
        "THEN l.points_remaining ELSE 0 END), 0), "
        "coalesce(sum(p.cashback - p.cashback_reversed), 0), "
        "coalesce(sum(CASE WHEN c.available_at_ms > ?4 THEN c.remaining ELSE 0 END), 0) "
        "FROM purchases p "
        "LEFT JOIN lots l ON l.program_id = p.program_id AND l.member_id = p.member_id "
        "AND l.id = p.lot_id "
        "LEFT JOIN wallet_credits c ON c.program_id = p.program_id "
        "AND c.member_id = p.member_id AND c.id = p.wallet_credit_id "
        "WHERE p.program_id = ?1 AND p.member_id = ?2 AND p.occurred_at_ms > ?3";
    struct pt_q q;
    memset(points, 0, sizeof(*points));
    memset(money, 0, sizeof(*money));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, since_ms);
    pt_q_int(&q, 4, now_ms);
    if (pt_q_next(&q)) {
        points->returnable = pt_q_col_int(&q, 0);
        points->own_unavailable = pt_q_col_int(&q, 1);
        money->returnable = pt_q_col_int(&q, 2);
        money->own_unavailable = pt_q_col_int(&q, 3);
    }
    pt_assert(points->own_unavailable >= 0);
    pt_assert(money->own_unavailable >= 0);
    return pt_q_close(&q);
}

/* ---- A purchase's returns, read back (issue 19) ---- */

static void return_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_purchase_return *r = row;
    pt_q_col_copy(q, 0, r->id, sizeof(r->id));
    r->external_id = pt_q_col_text(q, 1, arena);
    r->created_at_ms = pt_q_col_int(q, 2);
    r->amount = pt_q_col_int(q, 3);
    r->points_reversed = pt_q_col_int(q, 4);
    r->points_owed = pt_q_col_int(q, 5);
    /* As pt_store_return_insert wrote them. */
    pt_assert(r->amount > 0);
    pt_assert(r->points_owed >= 0 && r->points_owed <= r->points_reversed);
}

enum pt_rc pt_store_purchase_returns(struct pt_store_txn *txn, const char *program_id,
                                     const char *member_id, const char *purchase_id, unsigned max,
                                     struct pt_arena *arena, struct pt_purchase_return **out,
                                     unsigned *count, int64_t *total, struct pt_err *err)
{
    /* Among the member's returns (their primary key's prefix): a member has few. */
    static const char sql[] =
        "SELECT id, external_id, created_at_ms, amount, points_reversed, points_owed "
        "FROM returns WHERE program_id = ?1 AND member_id = ?2 AND purchase_id = ?3 "
        "ORDER BY created_at_ms, id LIMIT ?4";
    static const char sql_count[] = "SELECT count(*) FROM returns WHERE program_id = ?1 "
                                    "AND member_id = ?2 AND purchase_id = ?3";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(max >= 1 && max <= PT_PURCHASE_RETURNS_SHOWN_MAX);
    pt_assert(member_id[0] != '\0');
    *out = NULL;
    *count = 0;
    *total = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, purchase_id);
    pt_q_int(&q, 4, max);
    *out = pt_q_rows(&q, max, sizeof(**out), return_from_row, arena, count);
    rc = pt_q_close(&q);
    if (rc != PT_OK || *count < max) {
        *total = *count; /* All of them were read: no need to count. */
        return rc;
    }
    (void)pt_q_open(&q, txn, sql_count, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, purchase_id);
    if (pt_q_next(&q)) {
        *total = pt_q_col_int(&q, 0);
    }
    pt_assert(q.rc != PT_OK || *total >= *count);
    return pt_q_close(&q);
}
