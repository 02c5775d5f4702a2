/* SPDX-License-Identifier: MIT */
/*
 * The ledger's persistence: entries and postings (double-entry, append-only), account balances
 * and counters, lots, and the postings of an account as the member's ledger lists them. Written
 * against the query cursors of store_int.h; every query is scoped by program_id.
 */
#include "store/store_int.h"

#include "base/assert.h"

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

/* Inserts the entry's own row, before its postings. */
static enum pt_rc entry_insert(struct pt_store_txn *txn, const char *program_id,
                               const struct pt_entry *entry, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO entries (program_id, member_id, id, type, reference, reason, key_id, "
        "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    struct pt_q q;
    pt_assert(entry->member_id[0] != '\0');
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, entry->member_id);
    pt_q_text(&q, 3, entry->id);
    pt_q_text(&q, 4, entry->type);
    pt_q_text(&q, 5, entry->reference);
    pt_q_text(&q, 6, entry->reason);
    pt_q_text(&q, 7, entry->key_id);
    pt_q_int(&q, 8, entry->created_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

/* Adds a posting to its account (created at the posting's values), inside the account's bound.
 * OUT: p->balance_after, and *n the posting's number in its account. */
static enum pt_rc posting_account_add(struct pt_store_txn *txn, const char *program_id,
                                      const char *member_id, struct pt_posting *p, int64_t *n,
                                      struct pt_err *err)
{
    /* The account's posting count numbers its postings (n): a per-account sequence that needs
     * no table-wide counter. */
    static const char sql[] =
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
    int64_t bound = account_bound(member_id, p->account_id);
    struct pt_q q;
    enum pt_rc rc;
    *n = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
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
        q.rc = pt_ledger_account_refused(p->account_id, bound, err);
    }
    if (pt_q_next(&q)) {
        p->balance_after = pt_q_col_int(&q, 0);
        *n = pt_q_col_int(&q, 1);
        /* Drain the statement so that the upsert completes. */
        (void)pt_q_next(&q);
    } else if (q.rc == PT_OK) {
        /* The guard refused the sum: the write fails and its savepoint undoes it all. */
        q.rc = pt_ledger_account_refused(p->account_id, bound, err);
    }
    rc = pt_q_close(&q);
    pt_assert(rc != PT_OK || *n >= 1);
    pt_assert(rc != PT_OK || (p->balance_after >= -bound && p->balance_after <= bound));
    return rc;
}

/* A posting's row: the entry's program, member, id and time (?1, ?2, ?3, ?4) with 4 parameters
 * of its own (account, n, points, balance after). The time is the entry's, so that the
 * program's summary reads a month of postings without their entries (migration 24). */
#define POSTINGS_INSERT                                                                            \
    "INSERT INTO postings (program_id, member_id, account_id, n, entry_id, points, "               \
    "balance_after, created_at_ms) VALUES "
#define POSTING_1 "(?1, ?2, ?5, ?6, ?3, ?7, ?8, ?4)"
#define POSTING_2 ", (?1, ?2, ?9, ?10, ?3, ?11, ?12, ?4)"
#define POSTING_3 ", (?1, ?2, ?13, ?14, ?3, ?15, ?16, ?4)"

/* Inserts the rows of the count postings, numbered n[i] in their accounts, in one statement. */
static enum pt_rc postings_insert(struct pt_store_txn *txn, const char *program_id,
                                  const struct pt_entry *entry, const struct pt_posting *postings,
                                  const int64_t *n, size_t count, struct pt_err *err)
{
    static const char sql_2[] = POSTINGS_INSERT POSTING_1 POSTING_2;
    static const char sql_3[] = POSTINGS_INSERT POSTING_1 POSTING_2 POSTING_3;
    struct pt_q q;
    size_t i;
    pt_assert(count == 2 || count == PT_ENTRY_POSTINGS_MAX);
    (void)pt_q_open(&q, txn, count == 2 ? sql_2 : sql_3, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, entry->member_id);
    pt_q_text(&q, 3, entry->id);
    pt_q_int(&q, 4, entry->created_at_ms);
    for (i = 0; i < count; i++) {
        int at = 5 + 4 * (int)i;
        pt_assert(n[i] >= 1);
        pt_assert(postings[i].points != 0);
        pt_q_text(&q, at, postings[i].account_id);
        pt_q_int(&q, at + 1, n[i]);
        pt_q_int(&q, at + 2, postings[i].points);
        pt_q_int(&q, at + 3, postings[i].balance_after);
    }
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_entry_post(struct pt_store_txn *txn, const char *program_id,
                               const struct pt_entry *entry, struct pt_posting *postings,
                               size_t count, struct pt_err *err)
{
    int64_t sum = 0;
    int64_t n[PT_ENTRY_POSTINGS_MAX];
    size_t i;
    enum pt_rc rc;
    pt_assert(count >= 2 && count <= PT_ENTRY_POSTINGS_MAX);
    pt_assert(entry->member_id[0] != '\0');
    pt_debug_assert(pt_entry_sane(entry));
    for (i = 0; i < count; i++) {
        pt_assert(postings[i].points != 0);
        pt_debug_assert(pt_posting_sane(&postings[i]));
        pt_assert(postings[i].member_id == NULL ||
                  strcmp(postings[i].member_id, entry->member_id) == 0);
        pt_assert(!__builtin_add_overflow(sum, postings[i].points, &sum));
    }
    pt_assert(sum == 0); /* Pair assertion: core checked it before the store was called. */
    rc = entry_insert(txn, program_id, entry, err);
    for (i = 0; rc == PT_OK && i < count; i++) {
        pt_store_touch_account(txn, program_id, entry->member_id, postings[i].account_id);
        rc = posting_account_add(txn, program_id, entry->member_id, &postings[i], &n[i], err);
    }
    return rc == PT_OK ? postings_insert(txn, program_id, entry, postings, n, count, err) : rc;
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
        q.rc = pt_ledger_account_refused(c->account_id, PT_ACCOUNT_UNITS_MAX, err);
    }
    while (pt_q_next(&q)) {
        updated = true;
    }
    if (!updated && q.rc == PT_OK) {
        q.rc = pt_ledger_account_refused(c->account_id, PT_ACCOUNT_UNITS_MAX, err);
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
    pt_debug_assert(pt_lot_sane(lot));
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
        return pt_arena_err(arena, err);
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
                q.rc = pt_arena_err(arena, err);
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
        return pt_arena_err(arena, err);
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

enum pt_rc pt_store_balance_parts(struct pt_store_txn *txn, const char *program_id,
                                  const char *member_id, int64_t now_ms, struct pt_account *acct,
                                  int64_t *pending, int64_t *unavailable,
                                  struct pt_expiring *expiring, unsigned max,
                                  unsigned *expiring_count, struct pt_err *err)
{
    /* Row kind 0: the account (the one-row sums joined to it, so that a member without an
     * account still has the row) and the unavailable points, from two index ranges (still
     * pending; already expired), each short, instead of a scan of every open lot of the
     * member; UNION drops a lot found by both. Rows of kind 1: the next expiry dates. */
    static const char sql[] =
        "SELECT 0 AS kind, coalesce(a.balance, 0), coalesce(a.owed, 0), "
        "coalesce(a.lifetime_earned, 0), coalesce(a.lifetime_redeemed, 0), "
        "coalesce(a.lifetime_expired, 0), u.pending, u.unavailable FROM ("
        "SELECT coalesce(sum(CASE WHEN expires_at_ms > ?3 THEN points_remaining ELSE 0 END), 0) "
        "AS pending, coalesce(sum(points_remaining), 0) AS unavailable FROM ("
        "SELECT id, points_remaining, expires_at_ms FROM lots INDEXED BY lots_pending "
        "WHERE program_id = ?1 AND member_id = ?2 AND points_remaining > 0 "
        "AND available_at_ms > ?3 UNION "
        "SELECT id, points_remaining, expires_at_ms FROM lots INDEXED BY lots_spend "
        "WHERE program_id = ?1 AND member_id = ?2 AND points_remaining > 0 "
        "AND expires_at_ms <= ?3) AS unavailable) AS u LEFT JOIN accounts a "
        "ON a.program_id = ?1 AND a.member_id = ?2 AND a.id = ?2 "
        "UNION ALL SELECT 1, e.expires_at_ms, e.points, 0, 0, 0, 0, 0 FROM ("
        "SELECT expires_at_ms, sum(points_remaining) AS points FROM lots INDEXED BY lots_spend "
        "WHERE program_id = ?1 AND member_id = ?2 AND points_remaining > 0 "
        "AND expires_at_ms > ?3 AND expires_at_ms < ?4 GROUP BY expires_at_ms "
        "ORDER BY expires_at_ms LIMIT ?5) AS e ORDER BY 1, 2";
    struct pt_q q;
    bool account_row = false;
    memset(acct, 0, sizeof(*acct));
    *pending = 0;
    *unavailable = 0;
    *expiring_count = 0;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, now_ms);
    pt_q_int(&q, 4, PT_LEDGER_NEVER);
    pt_q_int(&q, 5, max);
    while (pt_q_next(&q)) {
        if (pt_q_col_int(&q, 0) == 0) {
            pt_assert(!account_row && *expiring_count == 0);
            account_row = true;
            acct->balance = pt_q_col_int(&q, 1);
            acct->owed = pt_q_col_int(&q, 2);
            acct->lifetime_earned = pt_q_col_int(&q, 3);
            acct->lifetime_redeemed = pt_q_col_int(&q, 4);
            acct->lifetime_expired = pt_q_col_int(&q, 5);
            *pending = pt_q_col_int(&q, 6);
            *unavailable = pt_q_col_int(&q, 7);
            continue;
        }
        pt_assert(account_row && *expiring_count < max);
        expiring[*expiring_count].expires_at_ms = pt_q_col_int(&q, 1);
        expiring[*expiring_count].points = pt_q_col_int(&q, 2);
        (*expiring_count)++;
    }
    pt_assert(q.rc != PT_OK || account_row);
    pt_assert(*pending >= 0);
    pt_assert(*pending <= *unavailable);
    pt_assert(acct->owed >= 0);
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
        q.rc = pt_lot_not_found(err);
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
    /* The service read the lot in this write, under the member's lock, and planned the move
     * within its bounds (pt_ledger_plan_spend): a release build refuses a move that is not. */
    if (pt_q_exec(&q) == PT_OK && PT_NEVER(pt_q_changes(&q) != 1)) {
        q.rc = pt_err_set(err, PT_EINTERNAL, NULL, "lot %s cannot move by %lld", lot_id,
                          (long long)delta);
    }
    return pt_q_close(&q);
}

/* ---- The member's ledger ---- */

/* One posting of an account with its entry (the columns of the ledger queries below). */
static void line_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_ledger_line *l = row;
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
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, before_seq);
    pt_q_int(&q, 4, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), line_from_row, arena, count);
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
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_text(&q, 3, account_id);
    pt_q_int(&q, 4, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), line_from_row, arena, count);
    return pt_q_close(&q);
}
