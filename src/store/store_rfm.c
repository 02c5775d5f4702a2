/* SPDX-License-Identifier: MIT */
/*
 * RFM's figures per member (store_rfm.h; docs/analytics.md, "RFM"): one statement over the
 * purchases that occurred before the end of as_of, grouped by member, joined with what the returns
 * recorded before that end took back of those purchases. It runs on a read connection, in the
 * caller's read transaction, never the writer's.
 *
 * The rows are read onto the heap, not the request's arena: a program may have up to
 * PT_RFM_MEMBERS_MAX purchasing members (about 100 bytes each). The sums are read as text and
 * refused when they are not an integer of int64_t (SQLite's driver answers a float past it,
 * PostgreSQL an exact numeric).
 */
#include "store/store_int.h"

#include "base/alloc.h"
#include "base/assert.h"

#include <string.h>

/* Rows the array grows by at first. */
#define ROWS_FIRST 1024

static const char rfm_sql[] =
    "SELECT p.member_id, p.n, p.last_ms, p.net, coalesce(r.returned, 0) FROM "
    "(SELECT member_id, count(*) AS n, max(occurred_at_ms) AS last_ms, "
    "sum(amount - discount) AS net FROM purchases "
    "WHERE program_id = ?1 AND occurred_at_ms < ?2 GROUP BY member_id) AS p "
    "LEFT JOIN "
    "(SELECT r.member_id AS member_id, sum(r.amount) AS returned FROM returns AS r "
    "JOIN purchases AS q ON q.program_id = r.program_id AND q.member_id = r.member_id "
    "AND q.id = r.purchase_id "
    "WHERE r.program_id = ?1 AND r.created_at_ms < ?2 AND q.occurred_at_ms < ?2 "
    "GROUP BY r.member_id) AS r "
    "ON r.member_id = p.member_id";

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
    int64_t net = 0;
    int64_t returned = 0;
    memset(row, 0, sizeof(*row));
    pt_q_col_copy(q, 0, row->member_id, sizeof(row->member_id));
    row->transaction_count = pt_q_col_int(q, 1);
    row->last_ms = pt_q_col_int(q, 2);
    if (!col_exact(q, 3, &net) || !col_exact(q, 4, &returned) ||
        __builtin_sub_overflow(net, returned, &row->amount)) {
        return pt_err_set(err, PT_ELIMIT, NULL, "a member's amount is past the largest integer");
    }
    return PT_OK;
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
    if (rc != PT_OK) {
        pt_free(out);
        return rc;
    }
    *rows = out;
    *count = n;
    return PT_OK;
}
