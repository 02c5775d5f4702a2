/* SPDX-License-Identifier: MIT */
/*
 * What the store needs of a database engine, and nothing more: connections, statements with
 * numbered parameters, rows, and the engine's errors mapped once to pt_rc. The store's core
 * (store.c: opening, the reader pool, migrations; store_writer.c: group commit;
 * store_cursor.c: the query cursors) and, through the cursors, all its SQL (the other
 * store_*.c) are written against this interface, so an engine is one file: driver_sqlite.c and
 * driver_pg.c (libpq). Each connection counts the statements it executes (struct pt_db_counts).
 *
 * Statements of static text are cached per connection by the address of the text (prepare with
 * cached = true); text built at run time is prepared for one use (cached = false) and
 * finalized by release. Bound strings and bytes are borrowed until release. A connection is
 * used by one thread at a time.
 */
#ifndef PT_STORE_DRIVER_H
#define PT_STORE_DRIVER_H

#include "base/err.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The first slot of a statement cache of `slots` (a power of two) for the static text sql:
 * texts are keyed by address, so a multiplicative hash of the address spreads them. */
static inline unsigned pt_stmt_slot(const char *sql, unsigned slots)
{
    uint64_t h = (uint64_t)(uintptr_t)sql * 0x9E3779B97F4A7C15ull;
    return (unsigned)(h >> 32) & (slots - 1);
}

/* What a connection has executed since it opened, counted by its driver at each execution of a
 * statement (however many rows it returns) and each exec: so that a test can bound the
 * statements of a use case. Written by the connection's thread, read by any (relaxed atomics:
 * counts, not synchronization). */
struct pt_db_counts {
    atomic_int_least64_t statements;  /* Everything but transaction control. */
    atomic_int_least64_t txn_control; /* BEGIN, COMMIT, SAVEPOINT, RELEASE, ROLLBACK. */
};

/* The opening of the debug build's self-checks (store_writer.c), counted with transaction
 * control: neither is the cost of a use case, which the statement counts bound. */
#define PT_DB_SQL_CHECK "SELECT /* check */"

/* Whether sql is transaction control (the store's own texts, written in capitals), or a
 * self-check. */
static inline bool pt_db_sql_is_txn_control(const char *sql)
{
    static const char *const words[] = {"BEGIN",   "COMMIT",   "SAVEPOINT",
                                        "RELEASE", "ROLLBACK", PT_DB_SQL_CHECK};
    size_t i;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = strlen(words[i]);
        if (strncmp(sql, words[i], n) == 0 && (sql[n] == '\0' || sql[n] == ' ')) {
            return true;
        }
    }
    return false;
}

/* Counts one execution. */
static inline void pt_db_counts_add(struct pt_db_counts *counts, bool is_txn_control)
{
    atomic_fetch_add_explicit(is_txn_control ? &counts->txn_control : &counts->statements, 1,
                              memory_order_relaxed);
}

struct pt_db;      /* One connection of some engine. */
struct pt_db_stmt; /* A prepared statement of a connection. */

enum pt_db_role {
    PT_DB_WRITER, /* The one write connection of a process, used by its writer thread. */
    PT_DB_READER, /* A read-only connection of the pool. */
};

/* What a driver's background work tells the store. */
struct pt_db_events {
    void (*disk_failed)(void *arg, const char *why); /* Any thread; see writes_stopped. */
    void *arg;
};

struct pt_driver {
    const char *name;
    /* Static SQL the core runs: begin the writer's batch, begin a read snapshot, and a query
     * answering one integer row, 1 when the schema_version table exists. */
    const char *sql_begin_write;
    const char *sql_begin_read;
    const char *sql_has_version_table;
    /* Other processes may write the same database at once: writes lock the rows they read
     * to change (SELECT ... FOR UPDATE). False for SQLite, whose one writer is serialized. */
    bool shared_writers;
    /* When a connection is lost during COMMIT the client cannot know whether the server
     * committed. sql_write_txid answers one integer row, the id of the writer's open
     * transaction; sql_txid_status takes that id (?1) and answers 1 when it committed, 0 when
     * it aborted, 2 while still unknown. NULL for SQLite, whose commits are never in doubt. */
    const char *sql_write_txid;
    const char *sql_txid_status;
    /* Statements after a bulk copy with explicit keys (NULL-terminated): PostgreSQL's
     * identity sequences must move past the copied keys; SQLite's AUTOINCREMENT already has. */
    const char *const *sql_after_copy;
    /* Migration SQL by target version, each a NULL-terminated list of texts; [0] is NULL. */
    const char *const *const *migrations;

    /* Opens a connection to target (for SQLite a file path). create: make the database when
     * missing (else PT_ENOTFOUND). events: for the writer's background work; may be NULL. */
    PT_MUSTCHECK enum pt_rc (*open)(const char *target, enum pt_db_role role, bool create,
                                    const struct pt_db_events *events, struct pt_db **out,
                                    struct pt_err *err);
    /* Starts the writer connection's background work, once the schema is migrated. */
    PT_MUSTCHECK enum pt_rc (*start)(struct pt_db *writer, const char *target, struct pt_err *err);
    /* Closes and frees. writes_stopped: a disk failure stopped writes, so the close must not
     * fold the log into the database. Accepts NULL. */
    void (*close)(struct pt_db *db, bool writes_stopped);
    /* Runs SQL without parameters or rows (several statements allowed). */
    PT_MUSTCHECK enum pt_rc (*exec)(struct pt_db *db, const char *sql, struct pt_err *err);
    PT_MUSTCHECK enum pt_rc (*prepare)(struct pt_db *db, const char *sql, bool cached,
                                       struct pt_db_stmt **out, struct pt_err *err);
    void (*bind_text)(struct pt_db_stmt *st, int index, const char *s); /* NULL binds NULL. */
    void (*bind_int)(struct pt_db_stmt *st, int index, int64_t v);
    void (*bind_null)(struct pt_db_stmt *st, int index);
    void (*bind_blob)(struct pt_db_stmt *st, int index, const void *bytes, size_t len);
    /* Advances: PT_OK with *row true for a row, false when done; else the mapped error. */
    PT_MUSTCHECK enum pt_rc (*step)(struct pt_db *db, struct pt_db_stmt *st, bool *row,
                                    struct pt_err *err);
    int64_t (*col_int)(struct pt_db_stmt *st, int col);
    bool (*col_is_null)(struct pt_db_stmt *st, int col);
    /* The column's bytes and length, valid until the next step; NULL for SQL NULL. */
    const char *(*col_text)(struct pt_db_stmt *st, int col, size_t *len);
    const void *(*col_blob)(struct pt_db_stmt *st, int col, size_t *len);
    /* Resets and unbinds a cached statement, or finalizes one prepared with cached = false. */
    void (*release)(struct pt_db_stmt *st, bool cached);
    int64_t (*changes)(struct pt_db *db);          /* Rows changed by the last statement. */
    const char *(*error_detail)(struct pt_db *db); /* The engine's message of the last error. */
    bool (*in_transaction)(struct pt_db *db);
    /* Whether err (set by this driver) means the disk failed: writes must stop. */
    bool (*is_disk_failure)(const struct pt_err *err);
    /* Writer thread, after each batch. */
    void (*after_batch)(struct pt_db *writer);
    /* Writes a consistent copy of the database, read through this connection, to the new
     * file dest. NULL where the engine has its own tools (PostgreSQL: pg_dump). */
    PT_MUSTCHECK enum pt_rc (*backup)(struct pt_db *db, const char *dest, struct pt_err *err);
    /* Free bytes where the database lives, or -1 when unknown or not the engine's concern. */
    int64_t (*free_bytes)(struct pt_db *writer);
    /* The connection's counts (borrowed, live as long as the connection); any thread. */
    const struct pt_db_counts *(*counts)(struct pt_db *db);
};

extern const struct pt_driver pt_driver_sqlite;
extern const struct pt_driver pt_driver_pg;

#endif
