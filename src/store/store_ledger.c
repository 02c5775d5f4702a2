/* SPDX-License-Identifier: MIT */
/*
 * The ledger's persistence: entries and postings (double-entry, append-only), account balances,
 * lots, purchases, returns, redemptions, the event log and the audit. Written against the query
 * cursors of store_int.h; every query is scoped by program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

/* ---- Entries, postings, accounts ---- */

/* The bound of an account's balance (limits.h): a member's own points account and its wallet
 * hold at most a member's bound, the program's accounts (kept per member) a wider one. */
static int64_t account_bound(const char *member_id, const char *account_id)
{
    if (strcmp(account_id, member_id) == 0) {
        return PT_MEMBER_POINTS_MAX;
    }
    if (strcmp(account_id, PT_ACCOUNT_WALLET) == 0) {
        return PT_MEMBER_WALLET_MINOR_MAX;
    }
    return PT_ACCOUNT_UNITS_MAX;
}

/* A new account starts at the posting's values: each must already be inside the bounds. */
static bool posting_in_bounds(const struct pt_posting *p, int64_t bound)
{
    return p->points >= -bound && p->points <= bound && p->owed_delta >= -bound &&
           p->owed_delta <= bound && p->earned_delta >= -PT_ACCOUNT_UNITS_MAX &&
           p->earned_delta <= PT_ACCOUNT_UNITS_MAX && p->redeemed_delta >= -PT_ACCOUNT_UNITS_MAX &&
           p->redeemed_delta <= PT_ACCOUNT_UNITS_MAX && p->expired_delta >= -PT_ACCOUNT_UNITS_MAX &&
           p->expired_delta <= PT_ACCOUNT_UNITS_MAX;
}

static enum pt_rc account_limit(struct pt_err *err, const char *account_id, int64_t bound)
{
    (void)pt_err_set(err, PT_ELIMIT,
                     strcmp(account_id, PT_ACCOUNT_WALLET) == 0 ? "amount" : "points",
                     "the account %s would pass its bound of %lld", account_id, (long long)bound);
    return pt_err_code(err, "limit_exceeded");
}

enum pt_rc pt_store_entry_post(struct pt_store_txn *txn, const char *program_id,
                               const struct pt_entry *entry, struct pt_posting *postings,
                               size_t count, struct pt_err *err)
{
    static const char sql_entry[] =
        "INSERT INTO entries (program_id, member_id, id, type, reference, reason, key_id, "
        "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    /* The account's posting count numbers its postings (n): a per-account sequence that needs
     * no table-wide counter. */
    static const char sql_account[] =
        "INSERT INTO accounts (program_id, member_id, id, balance, owed, lifetime_earned, "
        "lifetime_redeemed, lifetime_expired, postings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1) "
        "ON CONFLICT (program_id, member_id, id) DO UPDATE SET "
        "balance = accounts.balance + excluded.balance, owed = accounts.owed + excluded.owed, "
        "lifetime_earned = accounts.lifetime_earned + excluded.lifetime_earned, "
        "lifetime_redeemed = accounts.lifetime_redeemed + excluded.lifetime_redeemed, "
        "lifetime_expired = accounts.lifetime_expired + excluded.lifetime_expired, "
        "postings = accounts.postings + 1 "
        /* The guard: a sum that would leave its bound updates nothing and returns no row (the
         * sums cannot overflow: each side is bounded, limits.h). In SQLite an overflowing sum
         * becomes a float, which no bound admits either. */
        "WHERE accounts.balance + excluded.balance BETWEEN ?9 AND ?10 "
        "AND accounts.owed + excluded.owed BETWEEN 0 AND ?10 "
        "AND accounts.lifetime_earned + excluded.lifetime_earned BETWEEN ?11 AND ?12 "
        "AND accounts.lifetime_redeemed + excluded.lifetime_redeemed BETWEEN ?11 AND ?12 "
        "AND accounts.lifetime_expired + excluded.lifetime_expired BETWEEN ?11 AND ?12 "
        "AND accounts.postings < ?12 RETURNING accounts.balance, accounts.postings";
    static const char sql_posting[] =
        "INSERT INTO postings (program_id, member_id, account_id, n, entry_id, points, "
        "balance_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    struct pt_q q;
    int64_t sum = 0;
    size_t i;
    enum pt_rc rc;
    pt_assert(count >= 2);
    pt_assert(entry->member_id[0] != '\0');
    for (i = 0; i < count; i++) {
        pt_assert(postings[i].points != 0);
        pt_assert(postings[i].member_id == NULL ||
                  strcmp(postings[i].member_id, entry->member_id) == 0);
        pt_assert(!__builtin_add_overflow(sum, postings[i].points, &sum));
    }
    pt_assert(sum == 0); /* Pair assertion: core checked it before the store was called. */
    rc = pt_q_open(&q, txn, sql_entry, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, entry->member_id);
    pt_q_text(&q, 3, entry->id);
    pt_q_text(&q, 4, entry->type);
    pt_q_text(&q, 5, entry->reference);
    pt_q_text(&q, 6, entry->reason);
    pt_q_text(&q, 7, entry->key_id);
    pt_q_int(&q, 8, entry->created_at_ms);
    rc = pt_q_exec(&q);
    rc = pt_q_close(&q);
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_posting *p = &postings[i];
        int64_t bound = account_bound(entry->member_id, p->account_id);
        int64_t n = 0;
        rc = pt_q_open(&q, txn, sql_account, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, entry->member_id);
        pt_q_text(&q, 3, p->account_id);
        pt_q_int(&q, 4, p->points);
        pt_q_int(&q, 5, p->owed_delta);
        pt_q_int(&q, 6, p->earned_delta);
        pt_q_int(&q, 7, p->redeemed_delta);
        pt_q_int(&q, 8, p->expired_delta);
        pt_q_int(&q, 9, -bound);
        pt_q_int(&q, 10, bound);
        pt_q_int(&q, 11, -PT_ACCOUNT_UNITS_MAX);
        pt_q_int(&q, 12, PT_ACCOUNT_UNITS_MAX);
        if (q.rc == PT_OK && !posting_in_bounds(p, bound)) {
            q.rc = account_limit(err, p->account_id, bound);
        }
        if (pt_q_next(&q)) {
            p->balance_after = pt_q_col_int(&q, 0);
            n = pt_q_col_int(&q, 1);
            /* Drain the statement so that the upsert completes. */
            (void)pt_q_next(&q);
        } else if (q.rc == PT_OK) {
            /* The guard refused the sum: the write fails and its savepoint undoes it all. */
            q.rc = account_limit(err, p->account_id, bound);
        }
        rc = pt_q_close(&q);
        if (rc != PT_OK) {
            break;
        }
        pt_assert(n >= 1);
        rc = pt_q_open(&q, txn, sql_posting, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, entry->member_id);
        pt_q_text(&q, 3, p->account_id);
        pt_q_int(&q, 4, n);
        pt_q_text(&q, 5, entry->id);
        pt_q_int(&q, 6, p->points);
        pt_q_int(&q, 7, p->balance_after);
        (void)pt_q_exec(&q);
        rc = pt_q_close(&q);
    }
    return rc;
}

enum pt_rc pt_store_account_counters(struct pt_store_txn *txn, const char *program_id,
                                     const struct pt_posting *c, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO accounts (program_id, member_id, id, balance, owed, lifetime_earned, "
        "lifetime_redeemed, lifetime_expired) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (program_id, member_id, id) DO UPDATE SET owed = accounts.owed + "
        "excluded.owed, lifetime_earned = accounts.lifetime_earned + excluded.lifetime_earned, "
        "lifetime_redeemed = accounts.lifetime_redeemed + excluded.lifetime_redeemed, "
        "lifetime_expired = accounts.lifetime_expired + excluded.lifetime_expired "
        "WHERE accounts.owed + excluded.owed BETWEEN 0 AND ?9 "
        "AND accounts.lifetime_earned + excluded.lifetime_earned BETWEEN ?8 AND ?9 "
        "AND accounts.lifetime_redeemed + excluded.lifetime_redeemed BETWEEN ?8 AND ?9 "
        "AND accounts.lifetime_expired + excluded.lifetime_expired BETWEEN ?8 AND ?9 "
        "RETURNING accounts.owed";
    struct pt_q q;
    bool updated = false;
    pt_assert(c->points == 0);
    pt_assert(c->member_id != NULL);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, c->member_id);
    pt_q_text(&q, 3, c->account_id);
    pt_q_int(&q, 4, c->owed_delta);
    pt_q_int(&q, 5, c->earned_delta);
    pt_q_int(&q, 6, c->redeemed_delta);
    pt_q_int(&q, 7, c->expired_delta);
    pt_q_int(&q, 8, -PT_ACCOUNT_UNITS_MAX);
    pt_q_int(&q, 9, PT_ACCOUNT_UNITS_MAX);
    if (q.rc == PT_OK && !posting_in_bounds(c, PT_ACCOUNT_UNITS_MAX)) {
        q.rc = account_limit(err, c->account_id, PT_ACCOUNT_UNITS_MAX);
    }
    while (pt_q_next(&q)) {
        updated = true;
    }
    if (!updated && q.rc == PT_OK) {
        q.rc = account_limit(err, c->account_id, PT_ACCOUNT_UNITS_MAX);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_account_get(struct pt_store_txn *txn, const char *program_id,
                                const char *member_id, struct pt_account *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT balance, owed, lifetime_earned, lifetime_redeemed, lifetime_expired "
        "FROM accounts WHERE program_id = ?1 AND member_id = ?2 AND id = ?2";
    struct pt_q q;
    enum pt_rc rc = pt_q_open(&q, txn, sql, err);
    memset(out, 0, sizeof(*out));
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    if (pt_q_next(&q)) {
        out->balance = pt_q_col_int(&q, 0);
        out->owed = pt_q_col_int(&q, 1);
        out->lifetime_earned = pt_q_col_int(&q, 2);
        out->lifetime_redeemed = pt_q_col_int(&q, 3);
        out->lifetime_expired = pt_q_col_int(&q, 4);
    }
    (void)rc;
    rc = pt_q_close(&q);
    pt_assert(rc != PT_OK || out->owed >= 0);
    return rc;
}

/* ---- Lots ---- */

#define LOT_COLUMNS                                                                                \
    "id, member_id, entry_id, source_id, points_earned, points_remaining, earned_at_ms, "          \
    "available_at_ms, expires_at_ms"

static void lot_from_row(struct pt_q *q, struct pt_lot_row *out)
{
    pt_q_col_copy(q, 0, out->id, sizeof(out->id));
    pt_q_col_copy(q, 1, out->member_id, sizeof(out->member_id));
    pt_q_col_copy(q, 2, out->entry_id, sizeof(out->entry_id));
    pt_q_col_copy(q, 3, out->source_id, sizeof(out->source_id));
    out->points_earned = pt_q_col_int(q, 4);
    out->lot.points_remaining = pt_q_col_int(q, 5);
    out->lot.earned_at_ms = pt_q_col_int(q, 6);
    out->lot.available_at_ms = pt_q_col_int(q, 7);
    out->lot.expires_at_ms = pt_q_col_int(q, 8);
    pt_assert(out->lot.points_remaining >= 0);
    pt_assert(out->lot.points_remaining <= out->points_earned);
}

enum pt_rc pt_store_lot_insert(struct pt_store_txn *txn, const char *program_id,
                               const struct pt_lot_row *lot, struct pt_err *err)
{
    static const char sql[] = "INSERT INTO lots (program_id, " LOT_COLUMNS ") "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(lot->lot.points_remaining >= 0);
    pt_assert(lot->lot.points_remaining <= lot->points_earned);
    rc = pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, lot->id);
    pt_q_text(&q, 3, lot->member_id);
    pt_q_text(&q, 4, lot->entry_id);
    pt_q_text(&q, 5, lot->source_id[0] ? lot->source_id : NULL);
    pt_q_int(&q, 6, lot->points_earned);
    pt_q_int(&q, 7, lot->lot.points_remaining);
    pt_q_int(&q, 8, lot->lot.earned_at_ms);
    pt_q_int(&q, 9, lot->lot.available_at_ms);
    pt_q_int(&q, 10, lot->lot.expires_at_ms);
    (void)rc;
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

static enum pt_rc lots_query(struct pt_store_txn *txn, const char *sql, const char *program_id,
                             const char *text2, int64_t int3, unsigned max, struct pt_arena *arena,
                             struct pt_lot_row **out, unsigned *count, struct pt_err *err)
{
    /* Most members have a few open lots: start small and double, up to max. */
    unsigned cap = max < 16 ? max : 16;
    struct pt_q q;
    pt_assert(max >= 1);
    *count = 0;
    *out = pt_arena_alloc(arena, (size_t)cap * sizeof(**out));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, text2);
    pt_q_int(&q, 3, int3);
    pt_q_int(&q, 4, max);
    while (pt_q_next(&q)) {
        if (*count == cap) {
            struct pt_lot_row *grown;
            cap = cap * 2 < max ? cap * 2 : max;
            grown = pt_arena_alloc(arena, (size_t)cap * sizeof(**out));
            if (grown == NULL) {
                q.rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
                break;
            }
            memcpy(grown, *out, (size_t)*count * sizeof(**out));
            *out = grown;
        }
        pt_assert(*count < cap);
        lot_from_row(&q, &(*out)[*count]);
        (*count)++;
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_lots_spendable(struct pt_store_txn *txn, const char *program_id,
                                   const char *member_id, int64_t now_ms, unsigned skip,
                                   unsigned max, struct pt_arena *arena, struct pt_lot_row **out,
                                   unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " LOT_COLUMNS " FROM lots INDEXED BY lots_spend WHERE program_id = ?1 "
        "AND member_id = ?2 AND points_remaining > 0 AND expires_at_ms > ?3 "
        "AND available_at_ms <= ?3 ORDER BY expires_at_ms, earned_at_ms, id LIMIT ?4 OFFSET ?5";
    struct pt_q q;
    unsigned cap = max;
    pt_assert(max >= 1);
    *count = 0;
    *out = pt_arena_alloc(arena, (size_t)cap * sizeof(**out));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, now_ms);
    pt_q_int(&q, 4, max);
    pt_q_int(&q, 5, skip);
    while (pt_q_next(&q)) {
        pt_assert(*count < cap);
        lot_from_row(&q, &(*out)[*count]);
        (*count)++;
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_lots_unavailable(struct pt_store_txn *txn, const char *program_id,
                                     const char *member_id, int64_t now_ms, int64_t *pending,
                                     int64_t *unavailable, struct pt_err *err)
{
    /* Two index ranges (still pending; already expired), each short, instead of a scan of
     * every open lot of the member. UNION drops a lot found by both. */
    static const char sql[] =
        "SELECT coalesce(sum(CASE WHEN expires_at_ms > ?3 THEN points_remaining ELSE 0 END), 0), "
        "coalesce(sum(points_remaining), 0) FROM ("
        "SELECT id, points_remaining, expires_at_ms FROM lots INDEXED BY lots_pending "
        "WHERE program_id = ?1 AND member_id = ?2 AND points_remaining > 0 "
        "AND available_at_ms > ?3 UNION "
        "SELECT id, points_remaining, expires_at_ms FROM lots INDEXED BY lots_spend "
        "WHERE program_id = ?1 AND member_id = ?2 AND points_remaining > 0 "
        "AND expires_at_ms <= ?3) AS unavailable";
    struct pt_q q;
    *pending = 0;
    *unavailable = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, now_ms);
    if (pt_q_next(&q)) {
        *pending = pt_q_col_int(&q, 0);
        *unavailable = pt_q_col_int(&q, 1);
    }
    pt_assert(*pending >= 0);
    pt_assert(*pending <= *unavailable);
    return pt_q_close(&q);
}

enum pt_rc pt_store_lots_expiring(struct pt_store_txn *txn, const char *program_id,
                                  const char *member_id, int64_t now_ms, struct pt_expiring *out,
                                  unsigned max, unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT expires_at_ms, sum(points_remaining) FROM lots INDEXED BY lots_spend "
        "WHERE program_id = ?1 AND member_id = ?2 AND points_remaining > 0 "
        "AND expires_at_ms > ?3 AND expires_at_ms < ?4 GROUP BY expires_at_ms "
        "ORDER BY expires_at_ms LIMIT ?5";
    struct pt_q q;
    *count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, now_ms);
    pt_q_int(&q, 4, PT_LEDGER_NEVER);
    pt_q_int(&q, 5, max);
    while (pt_q_next(&q)) {
        pt_assert(*count < max);
        out[*count].expires_at_ms = pt_q_col_int(&q, 0);
        out[*count].points = pt_q_col_int(&q, 1);
        (*count)++;
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_lots_due(struct pt_store_txn *txn, const char *program_id, int64_t now_ms,
                             unsigned max, struct pt_arena *arena, struct pt_lot_row **out,
                             unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " LOT_COLUMNS " FROM lots INDEXED BY lots_due WHERE program_id = ?1 "
        "AND points_remaining > 0 AND (CAST(?2 AS TEXT) IS NULL) AND expires_at_ms <= ?3 "
        "ORDER BY member_id, expires_at_ms, id LIMIT ?4";
    return lots_query(txn, sql, program_id, NULL, now_ms, max, arena, out, count, err);
}

enum pt_rc pt_store_lot_get(struct pt_store_txn *txn, const char *program_id, const char *member_id,
                            const char *lot_id, struct pt_lot_row *out, struct pt_err *err)
{
    static const char sql[] = "SELECT " LOT_COLUMNS " FROM lots WHERE program_id = ?1 "
                              "AND member_id = ?2 AND id = ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, lot_id);
    if (pt_q_next(&q)) {
        lot_from_row(&q, out);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such lot");
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_lot_move(struct pt_store_txn *txn, const char *program_id,
                             const char *member_id, const char *lot_id, int64_t delta,
                             struct pt_err *err)
{
    static const char sql[] =
        "UPDATE lots SET points_remaining = points_remaining + ?4 WHERE program_id = ?1 "
        "AND member_id = ?2 AND id = ?3 AND points_remaining + ?4 BETWEEN 0 AND points_earned";
    struct pt_q q;
    pt_assert(delta != 0);
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, lot_id);
    pt_q_int(&q, 4, delta);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) != 1) {
        q.rc = pt_err_set(err, PT_EINTERNAL, NULL, "lot %s cannot move by %lld", lot_id,
                          (long long)delta);
    }
    return pt_q_close(&q);
}

/* ---- Purchases and returns ---- */

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
    /* The receipt number is unique in the program: claimed before anything is written. */
    rc = pt_store_member_key_claim(txn, program_id, "purchase", p->external_id, p->member_id, err);
    if (rc == PT_ECONFLICT) {
        (void)pt_err_set(err, PT_ECONFLICT, "external_id",
                         "a purchase with this external_id already exists");
        return pt_err_code(err, "idempotency_conflict");
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
    static const char sql_items[] =
        "SELECT sku, category, quantity, unit_price, eligible, returned_quantity "
        "FROM purchase_items WHERE program_id = ?1 AND member_id = ?2 AND purchase_id = ?3 "
        "ORDER BY line";
    struct pt_q q;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, purchase_id);
    if (pt_q_next(&q)) {
        pt_q_col_copy(&q, 0, out->id, sizeof(out->id));
        out->external_id = pt_q_col_text(&q, 1, arena);
        pt_q_col_copy(&q, 2, out->member_id, sizeof(out->member_id));
        out->occurred_at_ms = pt_q_col_int(&q, 3);
        pt_q_col_copy(&q, 4, out->currency, sizeof(out->currency));
        out->amount = pt_q_col_int(&q, 5);
        out->eligible_amount = pt_q_col_int(&q, 6);
        out->channel = pt_q_col_text(&q, 7, arena);
        out->location = pt_q_col_text(&q, 8, arena);
        out->points_earned = pt_q_col_int(&q, 9);
        pt_q_col_copy(&q, 10, out->lot_id, sizeof(out->lot_id));
        out->returned_amount = pt_q_col_int(&q, 11);
        out->returned_eligible = pt_q_col_int(&q, 12);
        out->points_reversed = pt_q_col_int(&q, 13);
        pt_q_col_copy(&q, 14, out->entry_id, sizeof(out->entry_id));
        out->created_at_ms = pt_q_col_int(&q, 15);
        out->till_discount = pt_q_col_int(&q, 16);
        out->item_count = (unsigned)pt_q_col_int(&q, 17);
        out->tier_month = pt_q_col_int(&q, 18);
        out->cashback = pt_q_col_int(&q, 19);
        out->cashback_reversed = pt_q_col_int(&q, 20);
        pt_q_col_copy(&q, 21, out->wallet_credit_id, sizeof(out->wallet_credit_id));
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no purchase %s", purchase_id);
    }
    rc = pt_q_close(&q);
    if (rc != PT_OK || out->item_count == 0) {
        return rc;
    }
    out->items = pt_arena_alloc(arena, out->item_count * sizeof(*out->items));
    if (out->items == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)pt_q_open(&q, txn, sql_items, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, out->member_id);
    pt_q_text(&q, 3, purchase_id);
    {
        unsigned i = 0;
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
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_purchase_update_returns(struct pt_store_txn *txn, const char *program_id,
                                            const struct pt_purchase *p, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE purchases SET returned_amount = ?3, returned_eligible = ?4, points_reversed = ?5 "
        "WHERE program_id = ?1 AND member_id = ?6 AND id = ?2";
    static const char sql_item[] =
        "UPDATE purchase_items SET returned_quantity = ?4 "
        "WHERE program_id = ?1 AND member_id = ?5 AND purchase_id = ?2 AND line = ?3";
    struct pt_q q;
    unsigned i;
    enum pt_rc rc;
    pt_assert(p->returned_amount <= p->amount);
    pt_assert(p->points_reversed <= p->points_earned);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, p->id);
    pt_q_int(&q, 3, p->returned_amount);
    pt_q_int(&q, 4, p->returned_eligible);
    pt_q_int(&q, 5, p->points_reversed);
    pt_q_text(&q, 6, p->member_id);
    (void)pt_q_exec(&q);
    rc = pt_q_close(&q);
    for (i = 0; rc == PT_OK && i < p->item_count; i++) {
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
    rc = pt_store_member_key_claim(txn, program_id, "return", r->external_id, r->member_id, err);
    if (rc == PT_ECONFLICT) {
        (void)pt_err_set(err, PT_ECONFLICT, "external_id",
                         "a return with this external_id already exists");
        return pt_err_code(err, "idempotency_conflict");
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

/* ---- Redemptions ---- */

enum pt_rc pt_store_redemption_insert(struct pt_store_txn *txn, const char *program_id,
                                      const struct pt_redemption *r, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO redemptions (program_id, id, member_id, points, reason, status, entry_id, "
        "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'completed', ?6, ?7)";
    struct pt_q q;
    pt_assert(r->points > 0);
    pt_assert(!r->cancelled);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_text(&q, 3, r->member_id);
    pt_q_int(&q, 4, r->points);
    pt_q_text(&q, 5, r->reason);
    pt_q_text(&q, 6, r->entry_id);
    pt_q_int(&q, 7, r->created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_redemption_get(struct pt_store_txn *txn, const char *program_id,
                                   const char *redemption_id, struct pt_arena *arena,
                                   struct pt_redemption *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT id, member_id, points, reason, status, entry_id, cancel_entry_id, created_at_ms, "
        "cancelled_at_ms FROM redemptions WHERE program_id = ?1 AND id = ?2";
    /* In a write, locked: a cancel in two processes at once must restore the points once. */
    static const char sql_lock[] =
        "SELECT id, member_id, points, reason, status, entry_id, cancel_entry_id, created_at_ms, "
        "cancelled_at_ms FROM redemptions WHERE program_id = ?1 AND id = ?2 FOR UPDATE";
    struct pt_q q;
    memset(out, 0, sizeof(*out));
    (void)pt_q_open(&q, txn, pt_store_txn_locks_rows(txn) ? sql_lock : sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, redemption_id);
    if (pt_q_next(&q)) {
        char status[16];
        pt_q_col_copy(&q, 0, out->id, sizeof(out->id));
        pt_q_col_copy(&q, 1, out->member_id, sizeof(out->member_id));
        out->points = pt_q_col_int(&q, 2);
        out->reason = pt_q_col_text(&q, 3, arena);
        pt_q_col_copy(&q, 4, status, sizeof(status));
        out->cancelled = strcmp(status, "cancelled") == 0;
        pt_q_col_copy(&q, 5, out->entry_id, sizeof(out->entry_id));
        pt_q_col_copy(&q, 6, out->cancel_entry_id, sizeof(out->cancel_entry_id));
        out->created_at_ms = pt_q_col_int(&q, 7);
        out->cancelled_at_ms = pt_q_col_int(&q, 8);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no redemption %s", redemption_id);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_redemption_cancel(struct pt_store_txn *txn, const char *program_id,
                                      const struct pt_redemption *r, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE redemptions SET status = 'cancelled', cancel_entry_id = ?3, cancelled_at_ms = ?4 "
        "WHERE program_id = ?1 AND member_id = ?5 AND id = ?2 AND status = 'completed'";
    struct pt_q q;
    pt_assert(r->cancelled);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_text(&q, 3, r->cancel_entry_id);
    pt_q_int(&q, 4, r->cancelled_at_ms);
    pt_q_text(&q, 5, r->member_id);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) != 1) {
        q.rc = pt_err_set(err, PT_EINTERNAL, NULL, "redemption %s was not open", r->id);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_redemption_lot_add(struct pt_store_txn *txn, const char *program_id,
                                       const char *redemption_id, const char *member_id,
                                       const char *lot_id, int64_t points, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO redemption_lots (program_id, redemption_id, member_id, lot_id, points) "
        "VALUES (?1, ?2, ?3, ?4, ?5)";
    struct pt_q q;
    pt_assert(points > 0);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, redemption_id);
    pt_q_text(&q, 3, member_id);
    pt_q_text(&q, 4, lot_id);
    pt_q_int(&q, 5, points);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_redemption_lots(struct pt_store_txn *txn, const char *program_id,
                                    const char *member_id, const char *redemption_id,
                                    struct pt_arena *arena, struct pt_lot_share **out,
                                    unsigned *count, struct pt_err *err)
{
    static const char sql_count[] = "SELECT count(*) FROM redemption_lots WHERE program_id = ?1 "
                                    "AND member_id = ?3 AND redemption_id = ?2";
    static const char sql[] =
        "SELECT lot_id, points FROM redemption_lots "
        "WHERE program_id = ?1 AND member_id = ?3 AND redemption_id = ?2 ORDER BY lot_id";
    struct pt_q q;
    unsigned n = 0;
    enum pt_rc rc;
    *count = 0;
    (void)pt_q_open(&q, txn, sql_count, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, redemption_id);
    pt_q_text(&q, 3, member_id);
    if (pt_q_next(&q)) {
        n = (unsigned)pt_q_col_int(&q, 0);
    }
    rc = pt_q_close(&q);
    if (rc != PT_OK) {
        return rc;
    }
    *out = pt_arena_alloc(arena, (size_t)(n ? n : 1) * sizeof(**out));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, redemption_id);
    pt_q_text(&q, 3, member_id);
    while (pt_q_next(&q)) {
        pt_assert(*count < n);
        pt_q_col_copy(&q, 0, (*out)[*count].lot_id, sizeof((*out)[*count].lot_id));
        (*out)[*count].points = pt_q_col_int(&q, 1);
        (*count)++;
    }
    return pt_q_close(&q);
}

/* ---- The member's ledger ---- */

/* One posting of an account with its entry (the columns of the ledger queries below). */
static void line_from_row(struct pt_q *q, struct pt_arena *arena, struct pt_ledger_line *l)
{
    pt_q_col_copy(q, 0, l->entry_id, sizeof(l->entry_id));
    l->type = pt_q_col_text(q, 1, arena);
    l->points = pt_q_col_int(q, 2);
    l->balance_after = pt_q_col_int(q, 3);
    l->reference = pt_q_col_text(q, 4, arena);
    l->reason = pt_q_col_text(q, 5, arena);
    l->created_at_ms = pt_q_col_int(q, 6);
    l->seq = pt_q_col_int(q, 7);
    if (l->type != NULL && strcmp(l->type, "transfer") == 0) {
        l->type = l->points > 0 ? "transfer_in" : "transfer_out";
    }
}

enum pt_rc pt_store_ledger_list(struct pt_store_txn *txn, const char *program_id,
                                const char *member_id, int64_t before_seq, unsigned limit,
                                struct pt_arena *arena, struct pt_ledger_line **out,
                                unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT p.entry_id, e.type, p.points, p.balance_after, e.reference, e.reason, "
        "e.created_at_ms, p.n FROM postings p JOIN entries e ON e.program_id = p.program_id "
        "AND e.member_id = p.member_id AND e.id = p.entry_id WHERE p.program_id = ?1 "
        "AND p.member_id = ?2 AND p.account_id = ?2 AND (?3 = 0 OR p.n < ?3) "
        "ORDER BY p.n DESC LIMIT ?4";
    struct pt_q q;
    *count = 0;
    *out = pt_arena_alloc(arena, (size_t)limit * sizeof(**out));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, before_seq);
    pt_q_int(&q, 4, limit);
    while (pt_q_next(&q)) {
        pt_assert(*count < limit);
        line_from_row(&q, arena, &(*out)[(*count)++]);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_account_lines(struct pt_store_txn *txn, const char *program_id,
                                  const char *member_id, const char *account_id, unsigned limit,
                                  struct pt_arena *arena, struct pt_ledger_line **out,
                                  unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT p.entry_id, e.type, p.points, p.balance_after, e.reference, e.reason, "
        "e.created_at_ms, p.n FROM postings p JOIN entries e ON e.program_id = p.program_id "
        "AND e.member_id = p.member_id AND e.id = p.entry_id WHERE p.program_id = ?1 "
        "AND p.member_id = ?2 AND p.account_id = ?3 ORDER BY p.n DESC LIMIT ?4";
    struct pt_q q;
    *count = 0;
    *out = pt_arena_alloc(arena, (limit ? limit : 1) * sizeof(**out));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, account_id);
    pt_q_int(&q, 4, limit);
    while (pt_q_next(&q)) {
        pt_assert(*count < limit);
        line_from_row(&q, arena, &(*out)[(*count)++]);
    }
    return pt_q_close(&q);
}

/* ---- Events ---- */

enum pt_rc pt_store_event_append(struct pt_store_txn *txn, const char *program_id,
                                 const struct pt_event *event, struct pt_err *err)
{
    /* pt_txid(): the driver's id of this transaction (see pt_store_event_list). */
    static const char sql[] = "INSERT INTO events (program_id, id, type, member_id, "
                              "created_at_ms, payload, txid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                              "pt_txid())";
    struct pt_q q;
    pt_assert(event->payload_json != NULL);
    pt_assert(event->type != NULL);
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, event->id);
    pt_q_text(&q, 3, event->type);
    pt_q_text(&q, 4, event->member_id);
    pt_q_int(&q, 5, event->created_at_ms);
    pt_q_text(&q, 6, event->payload_json);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_event_position(struct pt_store_txn *txn, const char *program_id,
                                   const char *event_id, struct pt_event_position *out,
                                   struct pt_err *err)
{
    static const char sql[] = "SELECT txid, seq FROM events WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, event_id);
    if (pt_q_next(&q)) {
        out->txid = pt_q_col_int(&q, 0);
        out->seq = pt_q_col_int(&q, 1);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, "after", "no event %s", event_id);
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_event_list(struct pt_store_txn *txn, const char *program_id,
                               const struct pt_event_position *after, unsigned limit,
                               struct pt_arena *arena, struct pt_event **out, unsigned *count,
                               struct pt_err *err)
{
    /* pt_txid_horizon(): the oldest transaction still running (the driver's). */
    static const char sql[] = "SELECT id, type, member_id, created_at_ms, payload, seq "
                              "FROM events WHERE program_id = ?1 "
                              "AND (txid > ?2 OR (txid = ?2 AND seq > ?3)) "
                              "AND txid < pt_txid_horizon() ORDER BY txid, seq LIMIT ?4";
    const struct pt_event_position start = {-1, 0};
    struct pt_q q;
    *count = 0;
    *out = pt_arena_alloc(arena, (size_t)limit * sizeof(**out));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)pt_q_open(&q, txn, sql, err);
    if (after == NULL) {
        after = &start;
    }
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, after->txid);
    pt_q_int(&q, 3, after->seq);
    pt_q_int(&q, 4, limit);
    while (pt_q_next(&q)) {
        struct pt_event *e = &(*out)[*count];
        pt_assert(*count < limit);
        pt_q_col_copy(&q, 0, e->id, sizeof(e->id));
        e->type = pt_q_col_text(&q, 1, arena);
        e->member_id = pt_q_col_text(&q, 2, arena);
        e->created_at_ms = pt_q_col_int(&q, 3);
        e->payload_json = pt_q_col_text(&q, 4, arena);
        e->seq = pt_q_col_int(&q, 5);
        (*count)++;
    }
    return pt_q_close(&q);
}

/* ---- Audit ---- */

/* Each check selects a description of its first violation, or no row when it holds. */
static const char *const audit_checks[] = {
    "SELECT 'entry ' || entry_id || ' of member ' || member_id || ' sums to ' || sum(points) "
    "FROM postings GROUP BY program_id, member_id, entry_id HAVING sum(points) <> 0 LIMIT 1",
    "SELECT 'entry ' || e.id || ' has fewer than two postings' FROM entries e LEFT JOIN "
    "(SELECT program_id, member_id, entry_id, count(*) AS n FROM postings "
    "GROUP BY program_id, member_id, entry_id) p ON p.program_id = e.program_id "
    "AND p.member_id = e.member_id AND p.entry_id = e.id WHERE coalesce(p.n, 0) < 2 LIMIT 1",
    "SELECT 'posting of entry ' || p.entry_id || ' has no entry' FROM postings p WHERE NOT EXISTS "
    "(SELECT 1 FROM entries e WHERE e.program_id = p.program_id AND e.member_id = p.member_id "
    "AND e.id = p.entry_id) LIMIT 1",
    "SELECT 'account ' || a.id || ' of member ' || a.member_id || ' holds ' || a.balance || "
    "' in ' || a.postings || ' postings but its postings sum to ' || coalesce(p.s, 0) || "
    "' in ' || coalesce(p.n, 0) FROM accounts a LEFT JOIN "
    "(SELECT program_id, member_id, account_id, sum(points) AS s, count(*) AS n, max(n) AS top "
    "FROM postings GROUP BY program_id, member_id, account_id) p "
    "ON p.program_id = a.program_id AND p.member_id = a.member_id AND p.account_id = a.id "
    "WHERE a.balance <> coalesce(p.s, 0) OR a.postings <> coalesce(p.n, 0) "
    "OR a.postings <> coalesce(p.top, 0) LIMIT 1",
    "SELECT 'member ' || a.id || ': balance ' || a.balance || ' is not open lots ' || "
    "coalesce(l.s, 0) || ' less owed ' || a.owed FROM accounts a LEFT JOIN "
    "(SELECT program_id, member_id, sum(points_remaining) AS s FROM lots "
    "GROUP BY program_id, member_id) l ON l.program_id = a.program_id AND l.member_id = a.id "
    "WHERE a.id = a.member_id AND a.balance <> coalesce(l.s, 0) - a.owed LIMIT 1",
    "SELECT 'lot ' || id || ' has ' || points_remaining || ' of ' || points_earned || ' points' "
    "FROM lots WHERE points_remaining < 0 OR points_remaining > points_earned LIMIT 1",
    "SELECT 'account ' || id || ' owes ' || owed FROM accounts WHERE owed < 0 LIMIT 1",
    "SELECT 'the postings of program ' || program_id || ' sum to ' || sum(points) "
    "FROM postings GROUP BY program_id HAVING sum(points) <> 0 LIMIT 1",
    "SELECT 'the legs of transfer entry ' || entry_id || ' sum to ' || sum(points) "
    "FROM postings WHERE account_id = 'program:transfers' GROUP BY program_id, entry_id "
    "HAVING sum(points) <> 0 OR count(*) <> 2 LIMIT 1",
    "SELECT 'idempotency key ' || key || ' points at ' || ref_id || ', which does not exist' "
    "FROM idempotency_keys k WHERE k.ref_id IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM members x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM api_keys x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM purchases x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM returns x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM rules x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM activities x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM stamp_cards x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM wallet_debits x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM rewards x WHERE x.program_id = k.program_id AND x.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM coupons x WHERE x.program_id = k.program_id AND x.code = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM coupon_batches x WHERE x.program_id = k.program_id "
    "AND x.id = k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.program_id = k.program_id AND e.id = "
    "k.ref_id) "
    "AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.program_id = k.program_id "
    "AND e.reference = k.ref_id) LIMIT 1",
    "SELECT 'purchase ' || id || ' earned ' || points_earned || ' points but has no entry' "
    "FROM purchases p WHERE points_earned > 0 AND NOT EXISTS (SELECT 1 FROM entries e "
    "WHERE e.program_id = p.program_id AND e.member_id = p.member_id AND e.id = p.entry_id "
    "AND e.reference = p.id) LIMIT 1",
    "SELECT 'return ' || id || ' reversed ' || points_reversed || ' points but has no entry' "
    "FROM returns r WHERE points_reversed > 0 AND NOT EXISTS (SELECT 1 FROM entries e "
    "WHERE e.program_id = r.program_id AND e.member_id = r.member_id AND e.id = r.entry_id) "
    "LIMIT 1",
    "SELECT 'redemption ' || id || ' has no entry' FROM redemptions r WHERE NOT EXISTS "
    "(SELECT 1 FROM entries e WHERE e.program_id = r.program_id AND e.member_id = r.member_id "
    "AND e.id = r.entry_id) LIMIT 1",
    "SELECT 'redemption ' || r.id || ' took ' || coalesce(l.s, 0) || ' of ' || r.points || "
    "' points from its lots' FROM redemptions r LEFT JOIN (SELECT program_id, member_id, "
    "redemption_id, sum(points) AS s FROM redemption_lots "
    "GROUP BY program_id, member_id, redemption_id) l ON l.program_id = r.program_id "
    "AND l.member_id = r.member_id AND l.redemption_id = r.id "
    "WHERE coalesce(l.s, 0) <> r.points LIMIT 1",
    /* Every value unique in the program is claimed in member_keys by its owner, and member_keys
     * holds nothing else. */
    "SELECT 'the ' || v.kind || ' of member ' || v.member_id || ' is not in member_keys' FROM ("
    "SELECT program_id, id AS member_id, 'email' AS kind, email AS value FROM members "
    "WHERE email IS NOT NULL UNION ALL SELECT program_id, id, 'phone', phone FROM members "
    "WHERE phone IS NOT NULL UNION ALL SELECT program_id, id, 'external_id', external_id "
    "FROM members WHERE external_id IS NOT NULL UNION ALL SELECT program_id, id, 'card_number', "
    "card_number FROM members WHERE card_number IS NOT NULL UNION ALL SELECT program_id, id, "
    "'referral_code', referral_code FROM members WHERE referral_code IS NOT NULL UNION ALL "
    "SELECT program_id, member_id, 'purchase', external_id FROM purchases UNION ALL "
    "SELECT program_id, member_id, 'return', external_id FROM returns UNION ALL "
    "SELECT program_id, member_id, 'activity', external_id FROM activities) AS v WHERE NOT EXISTS "
    "(SELECT 1 FROM member_keys k WHERE k.program_id = v.program_id AND k.kind = v.kind "
    "AND k.value = v.value AND k.member_id = v.member_id) LIMIT 1",
    "SELECT 'member_keys holds the ' || k.kind || ' ' || k.value || ' for member ' || "
    "k.member_id || ', who does not have it' FROM member_keys k WHERE NOT CASE k.kind "
    "WHEN 'purchase' THEN EXISTS (SELECT 1 FROM purchases x WHERE x.program_id = k.program_id "
    "AND x.member_id = k.member_id AND x.external_id = k.value) "
    "WHEN 'return' THEN EXISTS (SELECT 1 FROM returns x WHERE x.program_id = k.program_id "
    "AND x.member_id = k.member_id AND x.external_id = k.value) "
    "WHEN 'activity' THEN EXISTS (SELECT 1 FROM activities x WHERE x.program_id = k.program_id "
    "AND x.member_id = k.member_id AND x.external_id = k.value) "
    "ELSE EXISTS (SELECT 1 FROM members m WHERE m.program_id = k.program_id "
    "AND m.id = k.member_id AND k.value = CASE k.kind WHEN 'email' THEN m.email "
    "WHEN 'phone' THEN m.phone WHEN 'external_id' THEN m.external_id "
    "WHEN 'card_number' THEN m.card_number WHEN 'referral_code' THEN m.referral_code END) END "
    "LIMIT 1",
    /* A wallet holds its credits' remaining money less what it owes; a debit took exactly
     * its amount from credits; cashback reversed never passes the cashback. */
    "SELECT 'the wallet of member ' || a.member_id || ' holds ' || a.balance || "
    "' but its credits hold ' || coalesce(c.s, 0) || ' less owed ' || a.owed FROM accounts a "
    "LEFT JOIN (SELECT program_id, member_id, sum(remaining) AS s FROM wallet_credits "
    "GROUP BY program_id, member_id) c ON c.program_id = a.program_id "
    "AND c.member_id = a.member_id WHERE a.id = 'wallet' "
    "AND a.balance <> coalesce(c.s, 0) - a.owed LIMIT 1",
    "SELECT 'wallet credit ' || id || ' has ' || remaining || ' of ' || amount FROM "
    "wallet_credits WHERE remaining < 0 OR remaining > amount LIMIT 1",
    "SELECT 'wallet debit ' || d.id || ' of ' || d.amount || ' took ' || coalesce(t.s, 0) "
    "FROM wallet_debits d LEFT JOIN (SELECT program_id, member_id, debit_id, sum(amount) AS s "
    "FROM wallet_debit_credits GROUP BY program_id, member_id, debit_id) t "
    "ON t.program_id = d.program_id AND t.member_id = d.member_id AND t.debit_id = d.id "
    "WHERE coalesce(t.s, 0) <> d.amount LIMIT 1",
    "SELECT 'purchase ' || id || ' reversed ' || cashback_reversed || ' of its cashback ' || "
    "cashback FROM purchases WHERE cashback_reversed < 0 OR cashback_reversed > cashback "
    "LIMIT 1",
    /* A reward's issued count is its coupons that were not cancelled; a coupon not cancelled
     * has its redemption, and a cancelled one had it cancelled. */
    "SELECT 'reward ' || r.id || ' counts ' || r.issued || ' coupons but has ' || "
    "coalesce(c.n, 0) FROM rewards r LEFT JOIN (SELECT program_id, reward_id, count(*) AS n "
    "FROM coupons WHERE status <> 'cancelled' GROUP BY program_id, reward_id) c "
    "ON c.program_id = r.program_id AND c.reward_id = r.id "
    "WHERE r.issued <> coalesce(c.n, 0) LIMIT 1",
    "SELECT 'coupon ' || c.code || ' (' || c.status || ') does not match its redemption' "
    "FROM coupons c LEFT JOIN redemptions r ON r.program_id = c.program_id "
    "AND r.member_id = c.member_id AND r.id = c.redemption_id WHERE c.redemption_id IS NOT NULL "
    "AND (r.id IS NULL OR (c.status = 'cancelled') <> (r.status = 'cancelled')) LIMIT 1",
    /* A drawn partner code is on the coupon that drew it; a coupon used by a purchase is
     * redeemed and names a purchase of its member; a promotion code counts its uses. */
    "SELECT 'partner code ' || v.code || ' of reward ' || v.reward_id || "
    "' is not on the coupon that drew it' FROM partner_vouchers v LEFT JOIN coupons c "
    "ON c.program_id = v.program_id AND c.code = v.coupon_code WHERE v.coupon_code IS NOT NULL "
    "AND (c.code IS NULL OR c.partner_code IS NULL OR c.partner_code <> v.code "
    "OR c.reward_id <> v.reward_id) LIMIT 1",
    "SELECT 'coupon ' || c.code || ' names purchase ' || c.purchase_id || "
    "' of another member or is not redeemed' FROM coupons c LEFT JOIN purchases p "
    "ON p.program_id = c.program_id AND p.member_id = c.member_id AND p.id = c.purchase_id "
    "WHERE c.purchase_id IS NOT NULL AND (p.id IS NULL OR c.status <> 'redeemed') LIMIT 1",
    "SELECT 'promotion code ' || p.code || ' counts ' || p.uses || ' uses but has ' || "
    "coalesce(u.n, 0) FROM promo_codes p LEFT JOIN (SELECT program_id, code, count(*) AS n "
    "FROM promo_code_uses GROUP BY program_id, code) u ON u.program_id = p.program_id "
    "AND u.code = p.code WHERE p.uses <> coalesce(u.n, 0) LIMIT 1",
    /* A batch holds codes n = 1..generated (generated of count; all of them when ready), and
     * no code is both a promotion code and a coupon. */
    "SELECT 'coupon batch ' || b.id || ' (' || b.status || ') counts ' || b.generated || ' of ' "
    "|| b.count || ' codes but holds ' || coalesce(p.n, 0) || ' up to n ' || coalesce(p.top, 0) "
    "FROM coupon_batches b LEFT JOIN (SELECT program_id, batch_id, count(*) AS n, max(n) AS top "
    "FROM promo_codes GROUP BY program_id, batch_id) p ON p.program_id = b.program_id "
    "AND p.batch_id = b.id WHERE coalesce(p.n, 0) <> b.generated "
    "OR coalesce(p.top, 0) <> b.generated OR b.generated > b.count "
    "OR (b.status = 'ready' AND b.generated <> b.count) LIMIT 1",
    "SELECT 'code ' || p.code || ' is both a promotion code and a coupon' FROM promo_codes p "
    "JOIN coupons c ON c.program_id = p.program_id AND c.code = p.code LIMIT 1",
    /* The tier metric of every member, over all months, is what its purchases hold now. */
    "SELECT 'the tier metrics of member ' || coalesce(p.member_id, t.member_id) || "
    "' do not match the purchases' FROM (SELECT program_id, member_id, "
    "sum(points_earned - points_reversed) AS points, sum(amount - returned_amount) AS spend, "
    "sum(CASE WHEN returned_amount < amount OR amount = 0 THEN 1 ELSE 0 END) AS n FROM purchases "
    "GROUP BY program_id, member_id) p FULL JOIN (SELECT program_id, member_id, "
    "sum(points) AS points, sum(spend) AS spend, sum(purchases) AS n FROM tier_metrics "
    "GROUP BY program_id, member_id) t ON t.program_id = p.program_id "
    "AND t.member_id = p.member_id WHERE coalesce(p.points, 0) <> coalesce(t.points, 0) "
    "OR coalesce(p.spend, 0) <> coalesce(t.spend, 0) OR coalesce(p.n, 0) <> coalesce(t.n, 0) "
    "LIMIT 1",
    NULL,
};

enum pt_rc pt_store_audit(struct pt_store_txn *txn, char *problem, size_t problem_bytes,
                          struct pt_err *err)
{
    size_t i;
    enum pt_rc rc = PT_OK;
    pt_assert(problem_bytes > 0);
    problem[0] = '\0';
    for (i = 0; rc == PT_OK && audit_checks[i] != NULL && problem[0] == '\0'; i++) {
        struct pt_q q;
        (void)pt_q_open(&q, txn, audit_checks[i], err);
        if (pt_q_next(&q)) {
            pt_q_col_copy(&q, 0, problem, problem_bytes);
        }
        rc = pt_q_close(&q);
    }
    return rc;
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
