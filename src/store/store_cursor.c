/* SPDX-License-Identifier: MIT */
/*
 * The query cursors of store_int.h over the driver of the transaction's store: a sticky
 * error, so that the SQL files bind and step without checking each call, and a latched
 * out-of-memory flag for arena copies, reported once by pt_q_close.
 */
#include "store/store_core.h"

#include "base/arena.h"
#include "base/assert.h"
#include "base/names.h"

#include <stdio.h>
#include <string.h>

static enum pt_rc q_open(struct pt_q *q, struct pt_store_txn *txn, const char *sql, bool cached,
                         struct pt_err *err)
{
    struct pt_db_stmt *st = NULL;
    q->txn = txn;
    q->err = err;
    q->oom = false;
    q->is_dynamic = !cached;
    q->rc = txn->store->drv->prepare(txn->conn, sql, cached, &st, err);
    q->stmt = st;
    return q->rc;
}

enum pt_rc pt_q_open(struct pt_q *q, struct pt_store_txn *txn, const char *sql, struct pt_err *err)
{
    return q_open(q, txn, sql, true, err);
}

enum pt_rc pt_q_open_dynamic(struct pt_q *q, struct pt_store_txn *txn, const char *sql,
                             struct pt_err *err)
{
    return q_open(q, txn, sql, false, err);
}

void pt_q_text(struct pt_q *q, int index, const char *s)
{
    if (q->rc == PT_OK) {
        q->txn->store->drv->bind_text(q->stmt, index, s);
    }
}

void pt_q_int(struct pt_q *q, int index, int64_t v)
{
    if (q->rc == PT_OK) {
        q->txn->store->drv->bind_int(q->stmt, index, v);
    }
}

void pt_q_blob(struct pt_q *q, int index, const void *bytes, size_t len)
{
    if (q->rc == PT_OK) {
        q->txn->store->drv->bind_blob(q->stmt, index, bytes, len);
    }
}

void pt_q_null(struct pt_q *q, int index)
{
    if (q->rc == PT_OK) {
        q->txn->store->drv->bind_null(q->stmt, index);
    }
}

bool pt_q_next(struct pt_q *q)
{
    bool row = false;
    if (q->rc != PT_OK) {
        return false;
    }
    q->rc = q->txn->store->drv->step(q->txn->conn, q->stmt, &row, q->err);
    return q->rc == PT_OK && row;
}

int64_t pt_q_col_int(struct pt_q *q, int col)
{
    return q->txn->store->drv->col_int(q->stmt, col);
}

bool pt_q_col_is_null(struct pt_q *q, int col)
{
    return q->txn->store->drv->col_is_null(q->stmt, col);
}

void *pt_q_grow(struct pt_q *q, struct pt_arena *arena, void *rows, size_t count, size_t *cap,
                size_t row_bytes)
{
    void *grown = pt_arena_grow(arena, rows, count, cap, row_bytes);
    if (grown == NULL) {
        q->oom = true;
    }
    return grown;
}

const char *pt_q_col_text(struct pt_q *q, int col, struct pt_arena *arena)
{
    size_t len;
    const char *s = q->txn->store->drv->col_text(q->stmt, col, &len);
    char *copy;
    if (s == NULL) {
        return NULL;
    }
    copy = pt_arena_strndup(arena, s, len);
    if (copy == NULL) {
        q->oom = true;
    }
    return copy;
}

const char *pt_q_col_text_borrowed(struct pt_q *q, int col)
{
    size_t len;
    return q->txn->store->drv->col_text(q->stmt, col, &len);
}

void pt_q_col_copy(struct pt_q *q, int col, char *out, size_t out_bytes)
{
    size_t len;
    const char *s = q->txn->store->drv->col_text(q->stmt, col, &len);
    (void)snprintf(out, out_bytes, "%.*s", s ? (int)len : 0, s ? s : "");
}

unsigned pt_q_col_name(struct pt_q *q, int col, const char *const *names, unsigned count)
{
    char text[32];
    int i;
    pt_q_col_copy(q, col, text, sizeof(text));
    i = pt_name_index(names, count, text);
    pt_assert(i >= 0); /* The CHECK constraints keep the names known. */
    return (unsigned)i;
}

size_t pt_q_col_blob(struct pt_q *q, int col, void *out, size_t out_bytes)
{
    size_t len;
    const void *bytes = q->txn->store->drv->col_blob(q->stmt, col, &len);
    size_t copied = len < out_bytes ? len : out_bytes;
    memset(out, 0, out_bytes);
    if (bytes != NULL && copied > 0) {
        memcpy(out, bytes, copied);
    }
    return len;
}

enum pt_rc pt_q_exec(struct pt_q *q)
{
    bool row;
    if (q->rc != PT_OK) {
        return q->rc;
    }
    q->rc = q->txn->store->drv->step(q->txn->conn, q->stmt, &row, q->err);
    return q->rc;
}

int64_t pt_q_changes(struct pt_q *q)
{
    return q->txn->store->drv->changes(q->txn->conn);
}

const char *pt_q_error_detail(struct pt_q *q)
{
    if (q->rc == PT_OK) {
        return "";
    }
    return q->txn->store->drv->error_detail(q->txn->conn);
}

enum pt_rc pt_q_close(struct pt_q *q)
{
    if (q->stmt != NULL) {
        q->txn->store->drv->release(q->stmt, !q->is_dynamic);
    }
    q->stmt = NULL;
    if (q->rc == PT_OK && q->oom) {
        q->rc = pt_err_set(q->err, PT_ENOMEM, NULL, "out of memory");
    }
    return q->rc;
}

void *pt_q_rows(struct pt_q *q, unsigned limit, size_t row_bytes, pt_q_row_fn decode,
                struct pt_arena *arena, unsigned *count)
{
    char *rows = pt_arena_alloc(arena, (limit ? limit : 1) * row_bytes);
    *count = 0;
    if (rows == NULL) {
        q->oom = true;
        return NULL;
    }
    while (pt_q_next(q)) {
        pt_assert(*count < limit);
        decode(q, arena, rows + (size_t)*count * row_bytes);
        (*count)++;
    }
    return rows;
}

void pt_q_row_id(struct pt_q *q, struct pt_arena *arena, void *row)
{
    (void)arena;
    pt_q_col_copy(q, 0, row, PT_ID_BUF_BYTES);
}
