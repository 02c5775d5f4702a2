/* SPDX-License-Identifier: MIT */
/*
 * Purchases and their items: the receipt recorded once per external id, and read back (locked
 * in a write on PostgreSQL, so that two returns of one purchase are serialized). What a return
 * records on its purchase is in store_returns.c.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Items are inserted ITEMS_PER_STATEMENT rows a statement: each row binds 6 parameters after the
 * 3 every row shares, and the PostgreSQL driver binds at most 48 a statement (driver_pg.c). */
#define ITEMS_PER_STATEMENT 7
#define ITEM_PARAMS 6
_Static_assert(3 + ITEMS_PER_STATEMENT * ITEM_PARAMS <= 48, "the driver's parameters");
#define ITEMS_INSERT                                                                               \
    "INSERT INTO purchase_items (program_id, member_id, purchase_id, line, sku, category, "        \
    "quantity, unit_price, eligible) VALUES "
#define ITEM_1 "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
#define ITEM_2 ", (?1, ?2, ?3, ?10, ?11, ?12, ?13, ?14, ?15)"
#define ITEM_3 ", (?1, ?2, ?3, ?16, ?17, ?18, ?19, ?20, ?21)"
#define ITEM_4 ", (?1, ?2, ?3, ?22, ?23, ?24, ?25, ?26, ?27)"
#define ITEM_5 ", (?1, ?2, ?3, ?28, ?29, ?30, ?31, ?32, ?33)"
#define ITEM_6 ", (?1, ?2, ?3, ?34, ?35, ?36, ?37, ?38, ?39)"
#define ITEM_7 ", (?1, ?2, ?3, ?40, ?41, ?42, ?43, ?44, ?45)"

/* Inserts the items first .. first + rows - 1 of p (at most ITEMS_PER_STATEMENT), one statement. */
static enum pt_rc items_insert(struct pt_store_txn *txn, const char *program_id,
                               const struct pt_purchase *p, unsigned first, unsigned rows,
                               struct pt_err *err)
{
    static const char *const sql[ITEMS_PER_STATEMENT + 1] = {
        NULL,
        ITEMS_INSERT ITEM_1,
        ITEMS_INSERT ITEM_1 ITEM_2,
        ITEMS_INSERT ITEM_1 ITEM_2 ITEM_3,
        ITEMS_INSERT ITEM_1 ITEM_2 ITEM_3 ITEM_4,
        ITEMS_INSERT ITEM_1 ITEM_2 ITEM_3 ITEM_4 ITEM_5,
        ITEMS_INSERT ITEM_1 ITEM_2 ITEM_3 ITEM_4 ITEM_5 ITEM_6,
        ITEMS_INSERT ITEM_1 ITEM_2 ITEM_3 ITEM_4 ITEM_5 ITEM_6 ITEM_7,
    };
    struct pt_q q;
    unsigned i;
    pt_assert(rows >= 1 && rows <= ITEMS_PER_STATEMENT && first + rows <= p->item_count);
    (void)pt_q_open(&q, txn, sql[rows], err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, p->member_id);
    pt_q_text(&q, 3, p->id);
    for (i = 0; i < rows; i++) {
        const struct pt_purchase_item *it = &p->items[first + i];
        int n = 4 + (int)(i * ITEM_PARAMS);
        pt_q_int(&q, n, first + i);
        pt_q_text(&q, n + 1, it->sku);
        pt_q_text(&q, n + 2, it->category);
        pt_q_int(&q, n + 3, it->quantity);
        pt_q_int(&q, n + 4, it->unit_price);
        pt_q_int(&q, n + 5, it->eligible);
    }
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_purchase_insert(struct pt_store_txn *txn, const char *program_id,
                                    const struct pt_purchase *p, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO purchases (program_id, id, external_id, member_id, occurred_at_ms, currency, "
        "amount, eligible_amount, channel, location, points_earned, lot_id, entry_id, "
        "created_at_ms, base_points, discount, till_discount, tier_month, cashback, "
        "wallet_credit_id, spend) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
        "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)";
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
    pt_q_int(&q, 21, p->spend);
    (void)pt_q_exec(&q);
    rc = pt_q_close(&q);
    for (i = 0; rc == PT_OK && i < p->item_count; i += ITEMS_PER_STATEMENT) {
        unsigned rows = p->item_count - i;
        rc = items_insert(txn, program_id, p, i,
                          rows < ITEMS_PER_STATEMENT ? rows : ITEMS_PER_STATEMENT, err);
    }
    return rc;
}

/* The facts of a purchase (struct pt_purchase_facts) from column col of a row of
 * PURCHASE_SELECT, NULL when the purchase has none (its columns FACTS_COLUMNS). */
#define FACTS_COLUMNS                                                                              \
    "f.purchase_id, f.tier, f.attributes, f.birth_month, f.days_since_enrollment, "                \
    "f.purchase_count, f.city, f.country, f.codes, f.coupon_points, f.coupon_points_refunded, "    \
    "f.coupon_discount, f.coupon_lines, "
#define FACTS_COLUMN_COUNT 13
static void facts_from_row(struct pt_q *q, int col, struct pt_arena *arena, struct pt_purchase *out)
{
    struct pt_purchase_facts *f = &out->facts;
    memset(f, 0, sizeof(*f));
    if (pt_q_col_is_null(q, col)) {
        return;
    }
    f->stored = true;
    f->tier = pt_q_col_text(q, col + 1, arena);
    f->attributes = pt_q_col_text(q, col + 2, arena);
    f->birth_month = pt_q_col_int(q, col + 3);
    f->days_since_enrollment = pt_q_col_int(q, col + 4);
    f->purchase_count = pt_q_col_int(q, col + 5);
    f->city = pt_q_col_text(q, col + 6, arena);
    f->country = pt_q_col_text(q, col + 7, arena);
    pt_q_col_lines(q, col + 8, arena, &out->coupons, &out->coupon_count);
    f->coupon_points = pt_q_col_int(q, col + 9);
    f->coupon_points_refunded = pt_q_col_int(q, col + 10);
    f->coupon_discount = pt_q_col_int(q, col + 11);
    f->coupon_lines = pt_q_col_text(q, col + 12, arena);
}

/* Each item's share of the coupons' discount, from the facts' list ("0,500,0", in line
 * order); a line the list does not reach keeps 0. */
static void coupon_lines_apply(struct pt_purchase *p)
{
    const char *s = p->facts.coupon_lines;
    unsigned i;
    for (i = 0; s != NULL && *s != '\0' && i < p->item_count; i++) {
        char *end = NULL;
        long long v = strtoll(s, &end, 10);
        if (end == s) {
            break;
        }
        p->items[i].coupon_discount = v;
        s = *end == ',' ? end + 1 : end;
    }
}

/* The purchase's columns of a row of the query of pt_store_purchase_get; strings from arena. */
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
    out->tier_month = pt_q_col_int(q, 17);
    out->cashback = pt_q_col_int(q, 18);
    out->cashback_reversed = pt_q_col_int(q, 19);
    pt_q_col_copy(q, 20, out->wallet_credit_id, sizeof(out->wallet_credit_id));
    out->stamped = pt_q_col_int(q, 21) != 0;
    out->spend = pt_q_col_int(q, 22);
    out->spend_returned = pt_q_col_int(q, 23);
    out->discount = pt_q_col_int(q, 24);
    out->paid = pt_q_col_int(q, 25) != 0;
    out->base_points = pt_q_col_int(q, 26); /* NULL (0) for purchases before version 6. */
    facts_from_row(q, 27, arena, out);
}

/* The item of a row of the same query (its columns from ITEM_COL). */
#define ITEM_COL (27 + FACTS_COLUMN_COUNT)
static void item_from_row(struct pt_q *q, struct pt_arena *arena, struct pt_purchase_item *it)
{
    memset(it, 0, sizeof(*it));
    it->sku = pt_q_col_text(q, ITEM_COL + 1, arena);
    it->category = pt_q_col_text(q, ITEM_COL + 2, arena);
    it->quantity = pt_q_col_int(q, ITEM_COL + 3);
    it->unit_price = pt_q_col_int(q, ITEM_COL + 4);
    it->eligible = pt_q_col_int(q, ITEM_COL + 5) != 0;
    it->returned_quantity = pt_q_col_int(q, ITEM_COL + 6);
}

/* The purchase and its items, one row per item (one row with NULL items when it has none). */
#define PURCHASE_SELECT                                                                            \
    "SELECT p.id, p.external_id, p.member_id, p.occurred_at_ms, p.currency, p.amount, "            \
    "p.eligible_amount, p.channel, p.location, p.points_earned, p.lot_id, p.returned_amount, "     \
    "p.returned_eligible, p.points_reversed, p.entry_id, p.created_at_ms, p.till_discount, "       \
    "p.tier_month, p.cashback, p.cashback_reversed, p.wallet_credit_id, CASE WHEN EXISTS ("        \
    "SELECT 1 FROM purchase_stamps s WHERE s.program_id = p.program_id "                           \
    "AND s.member_id = p.member_id AND s.purchase_id = p.id) THEN 1 ELSE 0 END, p.spend, "         \
    "p.spend_returned, p.discount, CASE WHEN EXISTS (SELECT 1 FROM purchase_payments y "           \
    "WHERE y.program_id = p.program_id AND y.member_id = p.member_id AND y.purchase_id = p.id) "   \
    "THEN 1 ELSE 0 END, p.base_points, " FACTS_COLUMNS                                             \
    "i.line, i.sku, i.category, i.quantity, i.unit_price, "                                        \
    "i.eligible, i.returned_quantity FROM purchases p "                                            \
    "LEFT JOIN purchase_facts f ON f.program_id = p.program_id AND f.member_id = p.member_id "     \
    "AND f.purchase_id = p.id "                                                                    \
    "LEFT JOIN purchase_items i ON i.program_id = p.program_id AND i.member_id = p.member_id "     \
    "AND i.purchase_id = p.id WHERE p.program_id = ?1 AND p.id = ?2 ORDER BY i.line"

enum pt_rc pt_store_purchase_get(struct pt_store_txn *txn, const char *program_id,
                                 const char *purchase_id, struct pt_arena *arena,
                                 struct pt_purchase *out, struct pt_err *err)
{
    static const char sql[] = PURCHASE_SELECT;
    /* In a write, locked: two returns of one purchase in two processes must not both pass the
     * "not more than was bought" check (see pt_store_member_lock). */
    static const char sql_lock[] = PURCHASE_SELECT " FOR UPDATE OF p";
    struct pt_purchase_item *items = NULL;
    size_t cap = 0;
    struct pt_q q;
    bool found = false;
    memset(out, 0, sizeof(*out));
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, purchase_id);
    while (pt_q_next(&q)) {
        if (!found) {
            purchase_from_row(&q, arena, out);
            found = true;
        }
        if (pt_q_col_is_null(&q, ITEM_COL)) {
            continue;
        }
        pt_assert(pt_q_col_int(&q, ITEM_COL) == out->item_count);
        items = pt_q_grow(&q, arena, items, out->item_count, &cap, sizeof(*items));
        if (items == NULL) {
            break;
        }
        item_from_row(&q, arena, &items[out->item_count++]);
    }
    out->items = out->item_count > 0 ? items : NULL;
    if (found) {
        coupon_lines_apply(out);
    }
    if (!found && q.rc == PT_OK) {
        q.rc = pt_purchase_not_found(purchase_id, err);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_purchase_facts_insert(struct pt_store_txn *txn, const char *program_id,
                                          const struct pt_purchase *p, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO purchase_facts (program_id, member_id, purchase_id, tier, attributes, "
        "birth_month, days_since_enrollment, purchase_count, city, country, codes, "
        "coupon_points, coupon_discount, coupon_lines) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10, ?11, ?12, ?13, ?14)";
    const struct pt_purchase_facts *f = &p->facts;
    /* Each line's share of the coupons' discount, "0,500": at most PT_CART_ITEMS_MAX numbers
     * of at most 16 digits (a line's amount). */
    char lines[PT_CART_ITEMS_MAX * 18 + 1];
    size_t used = 0;
    unsigned i;
    /* The codes of a cart (at most PT_CART_COUPONS_MAX of PT_CART_TEXT_BYTES_MAX) joined. */
    char codes[PT_CART_COUPONS_MAX * (PT_CART_TEXT_BYTES_MAX + 1) + 1];
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(f->coupon_points >= 0 && p->coupon_count <= PT_CART_COUPONS_MAX);
    pt_assert(p->item_count <= PT_CART_ITEMS_MAX);
    lines[0] = '\0';
    for (i = 0; i < p->item_count; i++) {
        int n = snprintf(lines + used, sizeof(lines) - used, "%s%lld", i ? "," : "",
                         (long long)p->items[i].coupon_discount);
        pt_assert(n > 0 && (size_t)n < sizeof(lines) - used);
        used += (size_t)n;
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, p->member_id);
    pt_q_text(&q, 3, p->id);
    pt_q_text(&q, 4, f->tier);
    pt_q_text(&q, 5, f->attributes);
    pt_q_int(&q, 6, f->birth_month);
    pt_q_int(&q, 7, f->days_since_enrollment);
    pt_q_int(&q, 8, f->purchase_count);
    pt_q_text(&q, 9, f->city);
    pt_q_text(&q, 10, f->country);
    pt_q_lines(&q, 11, p->coupons, p->coupon_count, codes, sizeof(codes));
    pt_q_int(&q, 12, f->coupon_points);
    pt_q_int(&q, 13, f->coupon_discount);
    pt_q_text(&q, 14, f->coupon_discount > 0 && p->item_count > 0 ? lines : NULL);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_purchase_payments_insert(struct pt_store_txn *txn, const char *program_id,
                                             const struct pt_purchase *p, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO purchase_payments (program_id, member_id, purchase_id, position, method, "
        "amount, points, reference, wallet_debit_id, earns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
        "?8, ?9, ?10)";
    enum pt_rc rc = PT_OK;
    unsigned i;
    pt_assert(pt_store_txn_is_write(txn));
    for (i = 0; rc == PT_OK && i < p->payment_count; i++) {
        const struct pt_payment *pay = &p->payments[i];
        struct pt_q q;
        pt_assert(pay->method < PT_PAY_METHODS);
        (void)pt_q_open(&q, txn, sql, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, p->member_id);
        pt_q_text(&q, 3, p->id);
        pt_q_int(&q, 4, i);
        pt_q_text(&q, 5, pt_pay_method_names[pay->method]);
        pt_q_int(&q, 6, pay->amount);
        pt_q_int(&q, 7, pay->points);
        pt_q_text(&q, 8, pay->reference);
        pt_q_text(&q, 9, pay->wallet_debit_id[0] != '\0' ? pay->wallet_debit_id : NULL);
        pt_q_int(&q, 10, pay->earns);
        (void)pt_q_exec(&q);
        rc = pt_q_close(&q);
    }
    return rc;
}

enum pt_rc pt_store_purchase_payments_get(struct pt_store_txn *txn, const char *program_id,
                                          struct pt_purchase *p, struct pt_arena *arena,
                                          struct pt_err *err)
{
    static const char sql[] =
        "SELECT method, amount, points, reference, wallet_debit_id, refunded_amount, "
        "refunded_points, earns FROM purchase_payments WHERE program_id = ?1 AND member_id = ?2 "
        "AND "
        "purchase_id = ?3 ORDER BY position";
    struct pt_payment *pays =
        pt_arena_alloc(arena, PT_PAYMENTS_MAX * sizeof(*pays)); /* A purchase's bound. */
    unsigned n = 0;
    struct pt_q q;
    enum pt_rc rc;
    if (pays == NULL) {
        return pt_arena_err(arena, err);
    }
    memset(pays, 0, PT_PAYMENTS_MAX * sizeof(*pays));
    rc = pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, p->member_id);
    pt_q_text(&q, 3, p->id);
    while (rc == PT_OK && pt_q_next(&q)) {
        struct pt_payment *pay = &pays[n];
        char method[16];
        if (n == PT_PAYMENTS_MAX) {
            q.rc = pt_err_set(err, PT_ESTORE, NULL, "a purchase holds more than %d payments",
                              PT_PAYMENTS_MAX);
            break;
        }
        pt_q_col_copy(&q, 0, method, sizeof(method));
        if (pt_pay_method_parse(method, "method", &pay->method, err) != PT_OK) {
            q.rc = pt_err_set(err, PT_ESTORE, NULL, "unknown payment method in the store");
            break;
        }
        pay->amount = pt_q_col_int(&q, 1);
        pay->points = pt_q_col_int(&q, 2);
        pay->reference = pt_q_col_text(&q, 3, arena);
        pt_q_col_copy(&q, 4, pay->wallet_debit_id, sizeof(pay->wallet_debit_id));
        pay->refunded_amount = pt_q_col_int(&q, 5);
        pay->refunded_points = pt_q_col_int(&q, 6);
        pay->earns = pt_q_col_int(&q, 7) != 0;
        n++;
    }
    rc = pt_q_close(&q);
    p->payments = n > 0 ? pays : NULL;
    p->payment_count = n;
    return rc;
}

enum pt_rc pt_store_purchase_payment_refunded(struct pt_store_txn *txn, const char *program_id,
                                              const struct pt_purchase *p, unsigned position,
                                              int64_t amount, int64_t points, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE purchase_payments SET refunded_amount = refunded_amount + ?5, "
        "refunded_points = refunded_points + ?6 WHERE program_id = ?1 AND member_id = ?2 AND "
        "purchase_id = ?3 AND position = ?4";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    pt_assert(amount >= 0 && points >= 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, p->member_id);
    pt_q_text(&q, 3, p->id);
    pt_q_int(&q, 4, position);
    pt_q_int(&q, 5, amount);
    pt_q_int(&q, 6, points);
    (void)pt_q_exec(&q);
    if (q.rc == PT_OK && pt_q_changes(&q) != 1) {
        q.rc =
            pt_err_set(err, PT_ESTORE, NULL, "payment %u of the purchase is not stored", position);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_wallet_debit_purchase(struct pt_store_txn *txn, const char *program_id,
                                          const char *member_id, const char *debit_id,
                                          char *purchase_id, struct pt_err *err)
{
    static const char sql[] = "SELECT purchase_id FROM purchase_payments WHERE program_id = ?1 "
                              "AND member_id = ?2 AND wallet_debit_id = ?3";
    struct pt_q q;
    purchase_id[0] = '\0';
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, debit_id);
    if (pt_q_next(&q)) {
        pt_q_col_copy(&q, 0, purchase_id, PT_ID_BUF_BYTES);
    }
    return pt_q_close(&q);
}

/* ---- Reading purchases back (issue 19) ---- */

enum pt_rc pt_store_purchase_occurred_at(struct pt_store_txn *txn, const char *program_id,
                                         const char *member_id, const char *purchase_id,
                                         int64_t *occurred_at_ms, struct pt_err *err)
{
    static const char sql[] = "SELECT occurred_at_ms FROM purchases WHERE program_id = ?1 "
                              "AND member_id = ?2 AND id = ?3";
    struct pt_q q;
    pt_assert(member_id[0] != '\0');
    *occurred_at_ms = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, purchase_id);
    if (pt_q_next(&q)) {
        *occurred_at_ms = pt_q_col_int(&q, 0);
        pt_assert(*occurred_at_ms >= 0);
    } else if (q.rc == PT_OK) {
        q.rc = pt_purchase_not_found(purchase_id, err);
    }
    return pt_q_close(&q);
}

static void summary_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_purchase_summary *s = row;
    pt_q_col_copy(q, 0, s->id, sizeof(s->id));
    s->external_id = pt_q_col_text(q, 1, arena);
    s->occurred_at_ms = pt_q_col_int(q, 2);
    s->created_at_ms = pt_q_col_int(q, 3);
    pt_q_col_copy(q, 4, s->currency, sizeof(s->currency));
    s->amount = pt_q_col_int(q, 5);
    s->discount = pt_q_col_int(q, 6);
    s->points_earned = pt_q_col_int(q, 7);
    s->points_reversed = pt_q_col_int(q, 8);
    s->cashback = pt_q_col_int(q, 9);
    s->returned_amount = pt_q_col_int(q, 10);
    s->channel = pt_q_col_text(q, 11, arena);
    s->location = pt_q_col_text(q, 12, arena);
    s->item_count = pt_q_col_int(q, 13);
    /* The store's own invariants (pt_store_purchase_update_returns asserts them as it writes). */
    pt_assert(s->returned_amount >= 0 && s->returned_amount <= s->amount);
    pt_assert(s->item_count >= 0 && s->item_count <= PT_PURCHASE_ITEMS_MAX);
}

enum pt_rc pt_store_member_purchases(struct pt_store_txn *txn, const char *program_id,
                                     const char *member_id, const struct pt_purchase_page *page,
                                     struct pt_arena *arena, struct pt_purchase_summary **out,
                                     unsigned *count, struct pt_err *err)
{
    /* On the index purchases_member_time (program_id, member_id, occurred_at_ms), read
     * backwards; the ties of one instant sorted by id. After the cursor's (time, id): an earlier
     * time, or the same time and a smaller id. Its lines counted on their primary key. */
    static const char sql[] =
        "SELECT p.id, p.external_id, p.occurred_at_ms, p.created_at_ms, p.currency, p.amount, "
        "p.discount, p.points_earned, p.points_reversed, p.cashback, p.returned_amount, "
        "p.channel, p.location, (SELECT count(*) FROM purchase_items i "
        "WHERE i.program_id = p.program_id AND i.member_id = p.member_id "
        "AND i.purchase_id = p.id) FROM purchases p "
        "WHERE p.program_id = ?1 AND p.member_id = ?2 AND p.occurred_at_ms >= ?3 "
        "AND p.occurred_at_ms < ?4 AND p.occurred_at_ms <= ?5 "
        "AND (p.occurred_at_ms < ?5 OR p.id < ?6) "
        "ORDER BY p.occurred_at_ms DESC, p.id DESC LIMIT ?7";
    struct pt_q q;
    pt_assert(page->limit >= 1 && page->limit <= PT_PAGE_LIMIT_MAX + 1);
    pt_assert(page->after_id != NULL);
    pt_assert(page->from_ms >= 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, page->from_ms);
    pt_q_int(&q, 4, page->to_ms);
    pt_q_int(&q, 5, page->after_at_ms);
    pt_q_text(&q, 6, page->after_id);
    pt_q_int(&q, 7, page->limit);
    *out = pt_q_rows(&q, page->limit, sizeof(**out), summary_from_row, arena, count);
    return pt_q_close(&q);
}
