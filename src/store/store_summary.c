/* SPDX-License-Identifier: MIT */
/*
 * The program's summary (GET /v1/program/summary; docs/ledger.md, "The program's figures"):
 * the figures of now (members, the sum of the members' balances and wallets, the points still
 * pending) in one statement, and those of each month of the period in one statement per month,
 * each a range of an index that holds every column it reads (migration 24): the program
 * accounts' postings by time, purchases by the time they occurred, members by enrollment.
 * Every query runs in the caller's transaction, so that all the figures are of one snapshot.
 *
 * The engines' sums are exact and wider than int64_t (PostgreSQL's sum of bigints is numeric;
 * the SQLite driver's sum() adds in 128 bits and answers a float past int64_t): each is read
 * as text and refused when it is not an integer that fits int64_t.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <string.h>

__extension__ typedef __int128 wide_int;

/* The column col of the current row, a count or a sum, as an int64_t. false when it is not an
 * integer of int64_t's range (a sum past it: SQLite's driver answers a float, PostgreSQL the
 * exact numeric). SQL NULL is 0: the queries coalesce, so it is no sum at all. */
static bool col_exact(struct pt_q *q, int col, int64_t *out)
{
    const char *s = pt_q_col_text_borrowed(q, col);
    wide_int v = 0;
    bool negative = false;
    size_t i = 0;
    *out = 0;
    if (s == NULL) {
        return true;
    }
    if (s[0] == '-') {
        negative = true;
        i = 1;
    }
    if (s[i] == '\0') {
        return false;
    }
    for (; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false; /* "1.5e+19", "NaN": not an exact integer. */
        }
        v = v * 10 + (s[i] - '0');
        if (v > (wide_int)INT64_MAX + 1) {
            return false; /* Past int64_t either way; no overflow of v. */
        }
    }
    v = negative ? -v : v;
    if (v > INT64_MAX) {
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* Reads the row's columns 0..count into the int64_t pointed at by outs[i]; PT_ELIMIT naming
 * `what` for one that is not exact. */
static enum pt_rc cols_exact(struct pt_q *q, int64_t *const *outs, int count, const char *what,
                             struct pt_err *err)
{
    int i;
    for (i = 0; i < count; i++) {
        if (!col_exact(q, i, outs[i])) {
            return pt_summary_refused(what, err);
        }
    }
    return PT_OK;
}

/* Members of every status and the active ones; the members' balances and wallets; the points
 * in lots still pending at now_ms (?2) and not past their expiry, as a member's balance counts
 * them: each member's from its range of lots_pending, the index the balance reads (the open
 * lots of the whole program, by expiry, were four times slower at 100,000 members). */
static const char now_sql[] =
    "SELECT m.total, m.active, a.outstanding, a.wallet, l.pending FROM "
    "(SELECT count(*) AS total, "
    "coalesce(sum(CASE WHEN status = 'active' THEN 1 ELSE 0 END), 0) AS active "
    "FROM members WHERE program_id = ?1) AS m, "
    "(SELECT coalesce(sum(CASE WHEN id = member_id THEN balance ELSE 0 END), 0) AS outstanding, "
    "coalesce(sum(CASE WHEN id = '" PT_ACCOUNT_WALLET "' THEN balance ELSE 0 END), 0) AS wallet "
    "FROM accounts WHERE program_id = ?1) AS a, "
    "(SELECT coalesce(sum(o.points_remaining), 0) AS pending FROM members AS n "
    "CROSS JOIN lots AS o INDEXED BY lots_pending WHERE n.program_id = ?1 AND o.program_id = ?1 "
    "AND o.member_id = n.id AND o.points_remaining > 0 AND o.available_at_ms > ?2 "
    "AND o.expires_at_ms > ?2) AS l";

static enum pt_rc summary_now(struct pt_store_txn *txn, const char *program_id, int64_t now_ms,
                              struct pt_summary *out, struct pt_err *err)
{
    int64_t *const outs[] = {&out->members_total, &out->members_active, &out->outstanding,
                             &out->wallet_outstanding, &out->pending};
    struct pt_q q;
    bool row = false;
    (void)pt_q_open(&q, txn, now_sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, now_ms);
    while (pt_q_next(&q)) {
        pt_assert(!row); /* Aggregates without GROUP BY: one row. */
        row = true;
        if (q.rc == PT_OK) {
            q.rc = cols_exact(&q, outs, 5, "balances", err);
        }
    }
    pt_assert(q.rc != PT_OK || row);
    return pt_q_close(&q);
}

/* One month [?2, ?3): members enrolled; purchases that occurred and their amounts less their
 * discounts; the points through the program's accounts (docs/ledger.md), from their postings
 * alone (a posting carries its entry's time): earned (program:issued debited), taken back by
 * returns (credited), spent less given back, expired, added by hand less removed. */
#define ACCOUNT_IS(name) "account_id = '" name "'"
static const char month_sql[] =
    "SELECT m.enrolled, p.purchases, p.revenue, f.issued, f.reversed, f.redeemed, f.expired, "
    "f.adjusted FROM "
    "(SELECT count(*) AS enrolled FROM members WHERE program_id = ?1 "
    "AND enrolled_at_ms >= ?2 AND enrolled_at_ms < ?3) AS m, "
    "(SELECT count(*) AS purchases, coalesce(sum(amount - discount), 0) AS revenue "
    "FROM purchases WHERE program_id = ?1 AND occurred_at_ms >= ?2 AND occurred_at_ms < ?3) AS p, "
    "(SELECT coalesce(sum(CASE WHEN " ACCOUNT_IS(
        PT_ACCOUNT_ISSUED) " AND points < 0 "
                           "THEN -points ELSE 0 END), 0) AS issued, "
                           "coalesce(sum(CASE WHEN " ACCOUNT_IS(
                               PT_ACCOUNT_ISSUED) " AND points > 0 "
                                                  "THEN points ELSE 0 END), 0) AS reversed, "
                                                  "coalesce(sum(CASE WHEN " ACCOUNT_IS(
                                                      PT_ACCOUNT_REDEEMED) " THEN points ELSE 0 "
                                                                           "END), 0) "
                                                                           "AS redeemed, "
                                                                           "coalesce(sum(CASE "
                                                                           "WHEN " ACCOUNT_IS(
                                                                               PT_ACCOUNT_EXPIRED) " THEN points ELSE 0 END), 0) "
                                                                                                   "AS expired, "
                                                                                                   "coalesce(sum(CASE WHEN " ACCOUNT_IS(
                                                                                                       PT_ACCOUNT_ADJUSTED) " THEN -points ELSE 0 END), 0) "
                                                                                                                            "AS adjusted "
                                                                                                                            /* The condition of the partial index postings_program_time, word for word: the engines
                                                                                                                             * use such an index only for a query that states it. */
                                                                                                                            "FROM postings WHERE program_id = ?1 AND created_at_ms >= ?2 AND created_at_ms < ?3 "
                                                                                                                            "AND substr(account_id, 1, 8) = 'program:') AS f";

static enum pt_rc summary_month(struct pt_store_txn *txn, const char *program_id, int64_t from_ms,
                                int64_t to_ms, struct pt_summary_month *out, struct pt_err *err)
{
    int64_t *const outs[] = {&out->enrolled,       &out->purchases,       &out->revenue,
                             &out->points.issued,  &out->points.reversed, &out->points.redeemed,
                             &out->points.expired, &out->points.adjusted};
    struct pt_q q;
    bool row = false;
    pt_assert(from_ms <= to_ms); /* Equal: a day the calendar skipped, empty. */
    (void)pt_q_open(&q, txn, month_sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, from_ms);
    pt_q_int(&q, 3, to_ms);
    while (pt_q_next(&q)) {
        pt_assert(!row);
        row = true;
        if (q.rc == PT_OK) {
            q.rc = cols_exact(&q, outs, 8, "points of a month", err);
        }
    }
    pt_assert(q.rc != PT_OK || row);
    return pt_q_close(&q);
}

enum pt_rc pt_store_program_summary(struct pt_store_txn *txn, const char *program_id,
                                    const struct pt_summary_period *period, int64_t now_ms,
                                    struct pt_summary *out, struct pt_err *err)
{
    unsigned i;
    enum pt_rc rc;
    pt_assert(period->month_count >= 1 && period->month_count <= PT_SUMMARY_MONTHS_MAX);
    memset(out, 0, sizeof(*out));
    out->as_of_ms = now_ms;
    rc = summary_now(txn, program_id, now_ms, out, err);
    for (i = 0; rc == PT_OK && i < period->month_count; i++) {
        rc = summary_month(txn, program_id, period->bounds_ms[i], period->bounds_ms[i + 1],
                           &out->months[i], err);
    }
    if (rc == PT_OK) {
        pt_assert(out->members_active >= 0 && out->members_active <= out->members_total);
        pt_assert(out->pending >= 0);
    }
    return rc;
}
