/* SPDX-License-Identifier: MIT */
/*
 * Purchases and their items: the receipt recorded once per external id, and read back (locked
 * in a write on PostgreSQL, so that two returns of one purchase are serialized). What a return
 * records on its purchase is in store_returns.c.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <string.h>

enum pt_rc pt_store_purchase_insert(struct pt_store_txn *txn, const char *program_id,
                                    const struct pt_purchase *p, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO purchases (program_id, id, external_id, member_id, occurred_at_ms, currency, "
        "amount, eligible_amount, channel, location, points_earned, lot_id, entry_id, "
        "created_at_ms, base_points, discount, till_discount, tier_month, cashback, "
        "wallet_credit_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
        "?15, ?16, ?17, ?18, ?19, ?20)";
    static const char sql_item[] =
        "INSERT INTO purchase_items (program_id, member_id, purchase_id, line, sku, category, "
        "quantity, unit_price, eligible) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    struct pt_q q;
    unsigned i;
    enum pt_rc rc;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(p->eligible_amount <= p->amount);
    pt_debug_assert(p->id[0] != '\0' && p->member_id[0] != '\0' && p->points_earned >= 0);
    /* The receipt number is unique in the program: claimed before anything is written. */
    rc = pt_store_member_key_claim(txn, program_id, "purchase", p->external_id, p->member_id, err);
    if (rc == PT_ECONFLICT) {
        return pt_external_id_taken("a purchase", err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, p->id);
    pt_q_text(&q, 3, p->external_id);
    pt_q_text(&q, 4, p->member_id);
    pt_q_int(&q, 5, p->occurred_at_ms);
    pt_q_text(&q, 6, p->currency);
    pt_q_int(&q, 7, p->amount);
    pt_q_int(&q, 8, p->eligible_amount);
    pt_q_text(&q, 9, p->channel);
    pt_q_text(&q, 10, p->location);
    pt_q_int(&q, 11, p->points_earned);
    pt_q_text(&q, 12, p->lot_id[0] ? p->lot_id : NULL);
    pt_q_text(&q, 13, p->entry_id[0] ? p->entry_id : NULL);
    pt_q_int(&q, 14, p->created_at_ms);
    pt_q_int(&q, 15, p->base_points);
    pt_q_int(&q, 16, p->discount);
    pt_q_int(&q, 17, p->till_discount);
    pt_q_int(&q, 18, p->tier_month);
    pt_q_int(&q, 19, p->cashback);
    pt_q_text(&q, 20, p->wallet_credit_id[0] ? p->wallet_credit_id : NULL);
    (void)pt_q_exec(&q);
    rc = pt_q_close(&q);
    for (i = 0; rc == PT_OK && i < p->item_count; i++) {
        const struct pt_purchase_item *it = &p->items[i];
        (void)pt_q_open(&q, txn, sql_item, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, p->member_id);
        pt_q_text(&q, 3, p->id);
        pt_q_int(&q, 4, i);
        pt_q_text(&q, 5, it->sku);
        pt_q_text(&q, 6, it->category);
        pt_q_int(&q, 7, it->quantity);
        pt_q_int(&q, 8, it->unit_price);
        pt_q_int(&q, 9, it->eligible);
        (void)pt_q_exec(&q);
        rc = pt_q_close(&q);
    }
    return rc;
}

/* One row of the purchase query of pt_store_purchase_get; strings from arena. */
static void purchase_from_row(struct pt_q *q, struct pt_arena *arena, struct pt_purchase *out)
{
    pt_q_col_copy(q, 0, out->id, sizeof(out->id));
    out->external_id = pt_q_col_text(q, 1, arena);
    pt_q_col_copy(q, 2, out->member_id, sizeof(out->member_id));
    out->occurred_at_ms = pt_q_col_int(q, 3);
    pt_q_col_copy(q, 4, out->currency, sizeof(out->currency));
    out->amount = pt_q_col_int(q, 5);
    out->eligible_amount = pt_q_col_int(q, 6);
    out->channel = pt_q_col_text(q, 7, arena);
    out->location = pt_q_col_text(q, 8, arena);
    out->points_earned = pt_q_col_int(q, 9);
    pt_q_col_copy(q, 10, out->lot_id, sizeof(out->lot_id));
    out->returned_amount = pt_q_col_int(q, 11);
    out->returned_eligible = pt_q_col_int(q, 12);
    out->points_reversed = pt_q_col_int(q, 13);
    pt_q_col_copy(q, 14, out->entry_id, sizeof(out->entry_id));
    out->created_at_ms = pt_q_col_int(q, 15);
    out->till_discount = pt_q_col_int(q, 16);
    out->item_count = (unsigned)pt_q_col_int(q, 17);
    out->tier_month = pt_q_col_int(q, 18);
    out->cashback = pt_q_col_int(q, 19);
    out->cashback_reversed = pt_q_col_int(q, 20);
    pt_q_col_copy(q, 21, out->wallet_credit_id, sizeof(out->wallet_credit_id));
}

/* Reads the out->item_count items of purchase purchase_id, in line order, into an arena array
 * (out->items). */
static enum pt_rc purchase_items_read(struct pt_store_txn *txn, const char *program_id,
                                      const char *purchase_id, struct pt_arena *arena,
                                      struct pt_purchase *out, struct pt_err *err)
{
    static const char sql_items[] =
        "SELECT sku, category, quantity, unit_price, eligible, returned_quantity "
        "FROM purchase_items WHERE program_id = ?1 AND member_id = ?2 AND purchase_id = ?3 "
        "ORDER BY line";
    struct pt_q q;
    unsigned i = 0;
    pt_assert(out->item_count > 0);
    out->items = pt_arena_alloc(arena, out->item_count * sizeof(*out->items));
    if (out->items == NULL) {
        return pt_arena_err(arena, err);
    }
    (void)pt_q_open(&q, txn, sql_items, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, out->member_id);
    pt_q_text(&q, 3, purchase_id);
    while (pt_q_next(&q)) {
        struct pt_purchase_item *it = &out->items[i];
        pt_assert(i < out->item_count);
        memset(it, 0, sizeof(*it));
        it->sku = pt_q_col_text(&q, 0, arena);
        it->category = pt_q_col_text(&q, 1, arena);
        it->quantity = pt_q_col_int(&q, 2);
        it->unit_price = pt_q_col_int(&q, 3);
        it->eligible = pt_q_col_int(&q, 4) != 0;
        it->returned_quantity = pt_q_col_int(&q, 5);
        i++;
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_purchase_get(struct pt_store_txn *txn, const char *program_id,
                                 const char *purchase_id, struct pt_arena *arena,
                                 struct pt_purchase *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT id, external_id, member_id, occurred_at_ms, currency, amount, eligible_amount, "
        "channel, location, points_earned, lot_id, returned_amount, returned_eligible, "
        "points_reversed, entry_id, created_at_ms, till_discount, "
        "(SELECT count(*) FROM purchase_items i WHERE i.program_id = p.program_id "
        "AND i.member_id = p.member_id AND i.purchase_id = p.id), tier_month, cashback, "
        "cashback_reversed, wallet_credit_id FROM purchases p "
        "WHERE program_id = ?1 AND id = ?2";
    /* In a write, locked: two returns of one purchase in two processes must not both pass the
     * "not more than was bought" check (see pt_store_member_lock). */
    static const char sql_lock[] =
        "SELECT id, external_id, member_id, occurred_at_ms, currency, amount, eligible_amount, "
        "channel, location, points_earned, lot_id, returned_amount, returned_eligible, "
        "points_reversed, entry_id, created_at_ms, till_discount, "
        "(SELECT count(*) FROM purchase_items i WHERE i.program_id = p.program_id "
        "AND i.member_id = p.member_id AND i.purchase_id = p.id), tier_month, cashback, "
        "cashback_reversed, wallet_credit_id FROM purchases p "
        "WHERE program_id = ?1 AND id = ?2 FOR UPDATE";
    struct pt_q q;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, purchase_id);
    if (pt_q_next(&q)) {
        purchase_from_row(&q, arena, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_purchase_not_found(purchase_id, err);
    }
    rc = pt_q_close(&q);
    if (rc != PT_OK || out->item_count == 0) {
        return rc;
    }
    return purchase_items_read(txn, program_id, purchase_id, arena, out, err);
}
