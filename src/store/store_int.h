/* SPDX-License-Identifier: MIT */
/* Declarations shared by the files of src/store; not part of store.h. */
#ifndef PT_STORE_STORE_INT_H
#define PT_STORE_STORE_INT_H

#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* Migration SQL by target version, each a NULL-terminated list of texts; index 0 is NULL. */
extern const char *const *const pt_store_migrations[];
extern const char *const *const pt_store_migrations_pg[];

/* A cancel's reason, in a SELECT list: the reason of the entry the cancel wrote, of the row
 * named t (a redemption or a wallet debit, with program_id, member_id and cancel_entry_id);
 * NULL while the row is not cancelled. */
#define PT_SQL_CANCEL_REASON(t)                                                                    \
    "(SELECT e.reason FROM entries e WHERE e.program_id = " t ".program_id AND e.member_id = " t   \
    ".member_id AND e.id = " t ".cancel_entry_id)"

/* Returns true for the writer's transaction (store functions that write assert it). */
bool pt_store_txn_is_write(const struct pt_store_txn *txn);
/* Runs the engine's statements that follow a bulk copy into txn (identity sequences). */
PT_MUSTCHECK enum pt_rc pt_store_after_copy(struct pt_store_txn *txn, struct pt_err *err);

/* The copies of programs the store keeps for writes (store_program_cache.c): one per store,
 * made by pt_store_open and freed by pt_store_close; the transaction's store's. */
struct pt_program_cache;
struct pt_program_cache *pt_program_cache_new(void);
void pt_program_cache_free(struct pt_program_cache *cache);
struct pt_program_cache *pt_store_txn_program_cache(const struct pt_store_txn *txn);
/* A new settings_version for a change of a program's settings (migration 17): random. */
int64_t pt_store_settings_version_new(void);
/* pt_store_program_get, and OUT: *settings_version, the row's. */
PT_MUSTCHECK enum pt_rc pt_store_program_read(struct pt_store_txn *txn, const char *program_id,
                                              struct pt_arena *arena, struct pt_program *out,
                                              int64_t *settings_version, struct pt_err *err);
/* pt_store_member_get, and in the same statement its program's versions. OUT: versions[0] the
 * settings_version, versions[1] the rules_version. */
PT_MUSTCHECK enum pt_rc pt_store_member_get_versions(struct pt_store_txn *txn,
                                                     const char *program_id, const char *member_id,
                                                     struct pt_arena *arena, struct pt_member *out,
                                                     int64_t versions[2], struct pt_err *err);

/* Returns true inside a write on an engine where other processes may write the same rows at
 * once (PostgreSQL), so that the SQL locks the rows it reads to change (SELECT ... FOR UPDATE). */
bool pt_store_txn_locks_rows(const struct pt_store_txn *txn);

/*
 * A query cursor: the thin layer all the store's SQL is written against. Only the engine core
 * (store_cursor.c, over the driver of driver.h) implements it and knows the engine's types; the
 * files of programs, keys, members, idempotency and the ledger use nothing else, so that a
 * second engine needs no change to them. Usage:
 *   pt_q_open(&q, txn, sql, err); pt_q_text(&q, 1, id); while (pt_q_next(&q)) {...}
 *   rc = pt_q_close(&q);
 * Parameters are numbered from 1 and columns from 0. Bound strings and bytes are borrowed: they
 * must outlive the cursor (until pt_q_close). Errors are sticky: after one, binds and steps do
 * nothing and pt_q_close returns the rc. pt_q_close is called after every open, failed or not.
 */
struct pt_db_stmt;

struct pt_q {
    struct pt_store_txn *txn; /* borrowed */
    struct pt_db_stmt *stmt;  /* the driver's; owned by the connection's cache, or by q when
                                 is_dynamic */
    struct pt_err *err;       /* the caller's */
    enum pt_rc rc;            /* sticky result */
    bool oom;                 /* an arena copy failed */
    bool is_dynamic;          /* stmt was prepared for this one query; pt_q_close finalizes it */
};

/* Opens a cursor over sql, static text: prepared once per connection and cached by its address. */
enum pt_rc pt_q_open(struct pt_q *q, struct pt_store_txn *txn, const char *sql, struct pt_err *err);
/* Opens a cursor over sql built at run time (borrowed, NUL-terminated; may be freed once this
 * returns): prepared for this one query, not cached, and released by pt_q_close. Its text is
 * made of static fragments only; values are always bound. */
enum pt_rc pt_q_open_dynamic(struct pt_q *q, struct pt_store_txn *txn, const char *sql,
                             struct pt_err *err);
/* Binds a string (NULL binds SQL NULL). */
void pt_q_text(struct pt_q *q, int index, const char *s);
void pt_q_int(struct pt_q *q, int index, int64_t v);
/* Binds len bytes as a blob (bytea); len is small (a hash). */
void pt_q_blob(struct pt_q *q, int index, const void *bytes, size_t len);
void pt_q_null(struct pt_q *q, int index);
/* Steps; true while a row is available. */
bool pt_q_next(struct pt_q *q);
int64_t pt_q_col_int(struct pt_q *q, int col);
bool pt_q_col_is_null(struct pt_q *q, int col);
/* The column as an arena string (NULL for SQL NULL). */
const char *pt_q_col_text(struct pt_q *q, int col, struct pt_arena *arena);
/* The column's text as the engine holds it, valid until the cursor's next step (NULL for SQL
 * NULL): for copying a value straight into another statement. */
const char *pt_q_col_text_borrowed(struct pt_q *q, int col);
/* Room for one more row in the arena array rows of count rows (pt_arena_grow: *cap its room, 0
 * at first), so that rows are read without counting them first; NULL when the arena is
 * exhausted, latched as for pt_q_col_text. Usage:
 *   while (pt_q_next(&q) && (rows = pt_q_grow(&q, arena, rows, n, &cap, sizeof(*rows)))) */
void *pt_q_grow(struct pt_q *q, struct pt_arena *arena, void *rows, size_t count, size_t *cap,
                size_t row_bytes);
/* Copies the column into a fixed buffer ("" for NULL). */
void pt_q_col_copy(struct pt_q *q, int col, char *out, size_t out_bytes);
/* The index in names[0..count) of a text column that holds one of them (a CHECK constraint
 * keeps it so: anything else is a bug, asserted). */
unsigned pt_q_col_name(struct pt_q *q, int col, const char *const *names, unsigned count);
/* Copies the column's bytes into a fixed buffer (at most out_bytes; the rest zeroed) and returns
 * the column's length in bytes (0 for NULL), which the caller checks against what it expects. */
size_t pt_q_col_blob(struct pt_q *q, int col, void *out, size_t out_bytes);
/* Binds names[0..count) as one text, joined by newlines ("" for none): the form of the list
 * columns (store_lines.c). buf (buf_bytes) holds the text until pt_q_close; a list past it is
 * PT_EINTERNAL (the validators bound every list below its column's buffer). */
void pt_q_lines(struct pt_q *q, int index, const char *const *names, unsigned count, char *buf,
                size_t buf_bytes);
/* A list column (names one per line, "" or NULL for none) as an arena array of arena names;
 * OUT: *names (NULL when *count is 0). */
void pt_q_col_lines(struct pt_q *q, int col, struct pt_arena *arena, const char *const **names,
                    unsigned *count);
/* Runs a statement that returns no rows; returns the rc (also kept in q: sticky). */
enum pt_rc pt_q_exec(struct pt_q *q);
/* Rows changed by the last statement of the transaction's connection. */
int64_t pt_q_changes(struct pt_q *q);
/* The engine's own message of the cursor's error ("" when none), e.g. which unique constraint
 * failed. Borrowed until pt_q_close, so read it before; never shown to a client. */
const char *pt_q_error_detail(struct pt_q *q);
/* Resets the statement (finalizes a dynamic one) and returns the sticky rc (PT_ENOMEM when an
 * arena copy failed). */
PT_MUSTCHECK enum pt_rc pt_q_close(struct pt_q *q);

/* Decodes the cursor's current row into row, one item of the caller's array (arena: for the
 * row's strings). */
typedef void (*pt_q_row_fn)(struct pt_q *q, struct pt_arena *arena, void *row);
/* Reads the rows of an opened and bound cursor, at most limit (the query's LIMIT; more is a
 * bug), into a new arena array of row_bytes each, decoded by decode; *count is how many. The
 * list queries' one loop. Returns the array, NULL when it could not be allocated: q then
 * latches the failure, pt_q_close answers PT_ENOMEM, and no row is read. */
void *pt_q_rows(struct pt_q *q, unsigned limit, size_t row_bytes, pt_q_row_fn decode,
                struct pt_arena *arena, unsigned *count);
/* A pt_q_row_fn for a query of one id column: copies it into a char[PT_ID_BUF_BYTES] row. */
void pt_q_row_id(struct pt_q *q, struct pt_arena *arena, void *row);

/* Debug builds: notes that the writer's batch posted to an account, whose balance the writer
 * checks against the sum of its postings before COMMIT (store_writer.c). Release builds and
 * read transactions: nothing. */
void pt_store_touch_account(struct pt_store_txn *txn, const char *program_id, const char *member_id,
                            const char *account_id);

#endif
