/* SPDX-License-Identifier: MIT */
/* Declarations shared by the files of src/store; not part of store.h. */
#ifndef PT_STORE_STORE_INT_H
#define PT_STORE_STORE_INT_H

#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* Migration SQL by target version, each a NULL-terminated list of texts; index 0 is NULL. */
extern const char *const *const pt_store_migrations[];

/* Returns true for the writer's transaction (store functions that write assert it). */
bool pt_store_txn_is_write(const struct pt_store_txn *txn);

/*
 * A query cursor over one cached statement of the transaction's connection: the thin layer the
 * store's SQL is written against (one day also the PostgreSQL driver's). Usage:
 *   pt_q_open(&q, txn, sql, err); pt_q_text(&q, 1, id); while (pt_q_next(&q)) {...}
 *   rc = pt_q_close(&q);
 * Errors are sticky: after one, binds and steps do nothing and pt_q_close returns the rc.
 */
struct pt_q {
    struct pt_store_txn *txn; /* borrowed */
    void *stmt;               /* sqlite3_stmt, owned by the connection's cache */
    struct pt_err *err;       /* the caller's */
    enum pt_rc rc;            /* sticky result */
    bool oom;                 /* an arena copy failed */
};

enum pt_rc pt_q_open(struct pt_q *q, struct pt_store_txn *txn, const char *sql, struct pt_err *err);
void pt_q_text(struct pt_q *q, int index, const char *s);
void pt_q_int(struct pt_q *q, int index, int64_t v);
void pt_q_null(struct pt_q *q, int index);
/* Steps; true while a row is available. */
bool pt_q_next(struct pt_q *q);
int64_t pt_q_col_int(struct pt_q *q, int col);
bool pt_q_col_is_null(struct pt_q *q, int col);
/* The column as an arena string (NULL for SQL NULL). */
const char *pt_q_col_text(struct pt_q *q, int col, struct pt_arena *arena);
/* Copies the column into a fixed buffer ("" for NULL). */
void pt_q_col_copy(struct pt_q *q, int col, char *out, size_t out_bytes);
/* Runs a statement that returns no rows; returns the rc (also kept in q: sticky). */
enum pt_rc pt_q_exec(struct pt_q *q);
/* Rows changed by the last statement of the transaction's connection. */
int64_t pt_q_changes(struct pt_q *q);
/* Resets the statement and returns the sticky rc (PT_ENOMEM when an arena copy failed). */
PT_MUSTCHECK enum pt_rc pt_q_close(struct pt_q *q);

#endif
