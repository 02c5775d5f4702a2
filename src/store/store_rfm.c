/* SPDX-License-Identifier: MIT */
/*
 * RFM's figures per member (store_rfm.h; docs/analytics.md, "RFM"): one statement over the
 * purchases that occurred before the end of as_of, grouped by member, then one over those of
 * them with returns recorded before that end, whose share of what was paid is taken off. They
 * run on a read connection, in the caller's read transaction, never the writer's.
 *
 * The rows are read onto the heap, not the request's arena: a program may have up to
 * PT_RFM_MEMBERS_MAX purchasing members (about 100 bytes each). The sums are read as text and
 * refused when they are not an integer of int64_t (SQLite's driver answers a float past it,
 * PostgreSQL an exact numeric).
 */
#include "store/store_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "core/purchase.h"

#include <string.h>

/* Rows the array grows by at first. */
#define ROWS_FIRST 1024

/* Both statements list members in the same order (the engine's own, whatever its collation),
 * so that the returns are matched to their members in one pass. */
static const char rfm_sql[] =
    "SELECT member_id, count(*) AS n, max(occurred_at_ms) AS last_ms, "
    "sum(amount - discount) AS net FROM purchases "
    "WHERE program_id = ?1 AND occurred_at_ms < ?2 GROUP BY member_id ORDER BY member_id";

/* Per purchase of those with returns: its amount, its discount, and what its returns recorded
 * before the end took back (at prices before discounts, as a return takes them). */
static const char returns_sql[] =
    "SELECT q.member_id, q.amount, q.discount, sum(r.amount) FROM returns AS r "
    "JOIN purchases AS q ON q.program_id = r.program_id AND q.member_id = r.member_id "
    "AND q.id = r.purchase_id "
    "WHERE r.program_id = ?1 AND r.created_at_ms < ?2 AND q.occurred_at_ms < ?2 "
    "GROUP BY q.member_id, q.id, q.amount, q.discount ORDER BY q.member_id";

/* The column col as an exact int64_t; false when it is not one. */
static bool col_exact(struct pt_q *q, int col, int64_t *out)
{
    const char *s = pt_q_col_text_borrowed(q, col);
    bool negative = false;
    uint64_t v = 0;
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
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_C(1) << 63) / 10) {
            return false; /* "1.5e+19", "NaN", or past int64_t. */
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX + (negative ? 1 : 0)) {
        return false;
    }
    *out = negative ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* Reads the current row into row; PT_ELIMIT for a sum that is not exact. */
static enum pt_rc row_read(struct pt_q *q, struct pt_rfm_row *row, struct pt_err *err)
{
    memset(row, 0, sizeof(*row));
    pt_q_col_copy(q, 0, row->member_id, sizeof(row->member_id));
    row->transaction_count = pt_q_col_int(q, 1);
    row->last_ms = pt_q_col_int(q, 2);
    if (!col_exact(q, 3, &row->amount)) {
        return pt_err_set(err, PT_ELIMIT, NULL, "a member's amount is past the largest integer");
    }
    return PT_OK;
}

/* Takes off each member's amount what its returns took back of what was paid: a return's
 * amount is at prices before discounts, so its share of what was paid (pt_purchase_kept_value).
 * A purchase wholly returned then counts 0, never below. rows are in the statements' member
 * order. */
static enum pt_rc returns_apply(struct pt_store_txn *txn, const char *program_id, int64_t end_ms,
                                struct pt_rfm_row *rows, size_t count, struct pt_err *err)
{
    struct pt_q q;
    size_t i = 0;
    (void)pt_q_open(&q, txn, returns_sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, end_ms);
    while (pt_q_next(&q)) {
        char member_id[PT_ID_BUF_BYTES];
        int64_t amount = pt_q_col_int(&q, 1);
        int64_t paid = amount - pt_q_col_int(&q, 2);
        int64_t returned = 0;
        int64_t share;
        if (q.rc != PT_OK) {
            continue;
        }
        pt_q_col_copy(&q, 0, member_id, sizeof(member_id));
        while (i < count && strcmp(rows[i].member_id, member_id) != 0) {
            i++;
        }
        if (i == count || !col_exact(&q, 3, &returned)) {
            q.rc = pt_err_set(err, PT_EINTERNAL, NULL, "a return of no purchase scored");
            continue;
        }
        share = paid - pt_purchase_kept_value(amount, pt_q_col_int(&q, 2), returned);
        if (__builtin_sub_overflow(rows[i].amount, share, &rows[i].amount)) {
            q.rc =
                pt_err_set(err, PT_ELIMIT, NULL, "a member's amount is past the largest integer");
        }
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_rfm_rows(struct pt_store_txn *txn, const char *program_id, int64_t end_ms,
                             struct pt_rfm_row **rows, size_t *count, struct pt_err *err)
{
    struct pt_rfm_row *out = NULL;
    size_t n = 0;
    size_t cap = 0;
    struct pt_q q;
    enum pt_rc rc;
    (void)pt_q_open(&q, txn, rfm_sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_int(&q, 2, end_ms);
    while (pt_q_next(&q)) {
        if (q.rc != PT_OK) {
            continue;
        }
        if (n == PT_RFM_MEMBERS_MAX) {
            q.rc = pt_err_set(err, PT_ELIMIT, NULL,
                              "the program has more than %d members with purchases to score",
                              PT_RFM_MEMBERS_MAX);
            continue;
        }
        if (n == cap) {
            size_t grown = cap == 0 ? ROWS_FIRST : cap * 2;
            struct pt_rfm_row *bigger;
            grown = grown > PT_RFM_MEMBERS_MAX ? PT_RFM_MEMBERS_MAX : grown;
            bigger = pt_realloc(out, grown * sizeof(*out));
            if (bigger == NULL) {
                q.rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
                continue;
            }
            out = bigger;
            cap = grown;
        }
        q.rc = row_read(&q, &out[n], err);
        if (q.rc == PT_OK) {
            pt_assert(out[n].transaction_count >= 1);
            n++;
        }
    }
    rc = pt_q_close(&q);
    if (rc == PT_OK) {
        rc = returns_apply(txn, program_id, end_ms, out, n, err);
    }
    if (rc != PT_OK) {
        pt_free(out);
        return rc;
    }
    *rows = out;
    *count = n;
    return PT_OK;
}
