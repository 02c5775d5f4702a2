/* SPDX-License-Identifier: MIT */
/*
 * The store's engine core, the same for every engine (driver.h): opening and closing a store,
 * the migrations runner, and the pool of read connections that read committed snapshots and
 * never wait for the writer. The writer thread and its group commit are in store_writer.c, the
 * query cursors that all the store's SQL is written against in store_cursor.c; store_core.h
 * holds what the three share. After a disk failure (a failed fsync or write, reported by the
 * driver) writes stop for good until restart: the kernel may have dropped the dirty pages, so
 * nothing written since could be trusted to be on disk.
 */
#include "store/store_core.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char pt_store_sql_commit[] = "COMMIT";

/* ---- Connections ---- */

void pt_store_conn_rollback(const struct pt_driver *drv, struct pt_db *c)
{
    struct pt_err ignored;
    if (drv->exec(c, "ROLLBACK", &ignored) != PT_OK) {
        pt_log("warn", "rollback failed", "");
    }
}

void pt_store_stop_writes(struct pt_store *store, const char *why)
{
    char extra[160];
    if (!atomic_exchange(&store->writes_stopped, true)) {
        (void)snprintf(extra, sizeof(extra), ",\"why\":\"%s\"", why);
        pt_log("error", "writes stopped until restart: the disk failed a write or an fsync", extra);
    }
}

static void on_disk_failed(void *arg, const char *why)
{
    pt_store_stop_writes(arg, why);
}

enum pt_rc pt_store_writes_stopped_err(struct pt_err *err)
{
    return pt_err_set(err, PT_ESTORE, NULL,
                      "a disk write failed; writes are stopped until the server is restarted");
}

enum pt_rc pt_store_conn_run(const struct pt_driver *drv, struct pt_db *c, const char *sql,
                             struct pt_err *err)
{
    struct pt_db_stmt *st;
    bool row;
    enum pt_rc rc = drv->prepare(c, sql, true, &st, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = drv->step(c, st, &row, err);
    drv->release(st, true);
    return rc;
}

enum pt_rc pt_store_conn_int(const struct pt_driver *drv, struct pt_db *c, const char *sql,
                             const int64_t *param, int64_t *out, struct pt_err *err)
{
    struct pt_db_stmt *st;
    bool row = false;
    enum pt_rc rc = drv->prepare(c, sql, true, &st, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (param != NULL) {
        drv->bind_int(st, 1, *param);
    }
    rc = drv->step(c, st, &row, err);
    if (rc == PT_OK && !row) {
        rc = pt_err_set(err, PT_ESTORE, NULL, "the database could not be used");
    }
    if (rc == PT_OK) {
        *out = drv->col_int(st, 0);
    }
    drv->release(st, true);
    return rc;
}

/* ---- Versions and migrations ---- */

static enum pt_rc read_version(struct pt_store *store, int *version, struct pt_err *err)
{
    static const char sql_max[] = "SELECT coalesce(max(version), 0) FROM schema_version";
    int64_t has = 0;
    int64_t v = 0;
    enum pt_rc rc = pt_store_conn_int(store->drv, store->writer, store->drv->sql_has_version_table,
                                      NULL, &has, err);
    *version = 0;
    if (rc != PT_OK || has == 0) {
        return rc;
    }
    rc = pt_store_conn_int(store->drv, store->writer, sql_max, NULL, &v, err);
    if (rc == PT_OK) {
        pt_assert(v >= 0 && v <= INT32_MAX);
        *version = (int)v;
    }
    return rc;
}

static enum pt_rc migrate_one(struct pt_store *store, int target, struct pt_err *err)
{
    static const char sql_record[] =
        "INSERT INTO schema_version (version, applied_at_ms) VALUES (?1, ?2)";
    const struct pt_driver *drv = store->drv;
    struct pt_db_stmt *st = NULL;
    const char *const *part;
    enum pt_rc rc;
    bool row;
    int version = 0;
    pt_assert(target >= 1 && target <= PT_SCHEMA_VERSION);
    rc = pt_store_conn_run(drv, store->writer, drv->sql_begin_write, err);
    if (rc != PT_OK) {
        return rc;
    }
    /* Another process may have migrated while this one waited for the lock. */
    rc = read_version(store, &version, err);
    if (rc != PT_OK || version >= target) {
        goto out;
    }
    pt_assert(version == target - 1);
    for (part = drv->migrations[target]; rc == PT_OK && *part != NULL; part++) {
        rc = drv->exec(store->writer, *part, err);
    }
    if (rc == PT_OK) {
        rc = drv->prepare(store->writer, sql_record, false, &st, err);
    }
    if (rc == PT_OK) {
        drv->bind_int(st, 1, target);
        drv->bind_int(st, 2, pt_clock_now_ms());
        rc = drv->step(store->writer, st, &row, err);
        drv->release(st, false);
    }
out:
    if (rc == PT_OK) {
        return pt_store_conn_run(drv, store->writer, pt_store_sql_commit, err);
    }
    pt_store_conn_rollback(drv, store->writer); /* Undo this migration only. */
    return rc;
}

/* The version migrations stop at: PT_SCHEMA_VERSION, except in migration tests, which make a
 * database of an older version to migrate (pt_store_set_schema_target). */
static int schema_target = PT_SCHEMA_VERSION;

void pt_store_set_schema_target(int version)
{
    pt_assert(version >= 1 && version <= PT_SCHEMA_VERSION);
    schema_target = version;
}

static enum pt_rc store_migrate(struct pt_store *store, struct pt_err *err)
{
    enum pt_rc rc = read_version(store, &store->version_found, err);
    int v;
    if (rc != PT_OK) {
        return rc;
    }
    if (store->version_found > PT_SCHEMA_VERSION) {
        return pt_err_set(err, PT_EVERSION, NULL,
                          "the database has schema version %d but this patron knows only up to "
                          "%d; use a newer patron",
                          store->version_found, PT_SCHEMA_VERSION);
    }
    for (v = store->version_found + 1; v <= schema_target; v++) {
        rc = migrate_one(store, v, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return PT_OK;
}

/* ---- Opening and closing ---- */

static enum pt_rc store_open_readers(struct pt_store *store, const char *target, unsigned n,
                                     struct pt_err *err)
{
    unsigned i;
    store->readers = pt_calloc(n, sizeof(*store->readers));
    store->reader_busy = pt_calloc(n, sizeof(*store->reader_busy));
    store->reader_txns = pt_calloc(n, sizeof(*store->reader_txns));
    if (!store->readers || !store->reader_busy || !store->reader_txns) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (i = 0; i < n; i++) {
        enum pt_rc rc =
            store->drv->open(target, PT_DB_READER, false, NULL, &store->readers[i], err);
        if (rc != PT_OK) {
            return rc;
        }
        store->reader_count = i + 1;
        store->reader_txns[i].store = store;
        store->reader_txns[i].conn = store->readers[i];
        store->reader_txns[i].reader_index = i;
    }
    return PT_OK;
}

/* The engine of a --db value: PostgreSQL for a postgres:// or postgresql:// URI or a libpq
 * keyword string ("host=... dbname=..."), else SQLite for a path or "sqlite:PATH". */
static const struct pt_driver *driver_for(const char *target, const char **rest)
{
    *rest = target;
    if (strncmp(target, "postgres://", 11) == 0 || strncmp(target, "postgresql://", 13) == 0 ||
        strncmp(target, "host=", 5) == 0 || strncmp(target, "dbname=", 7) == 0 ||
        strstr(target, " dbname=") != NULL || strstr(target, " host=") != NULL) {
        return &pt_driver_pg;
    }
    if (strncmp(target, "sqlite:", 7) == 0) {
        *rest = target + 7;
    }
    return &pt_driver_sqlite;
}

enum pt_rc pt_store_open(const char *target, unsigned read_conns, enum pt_store_open_mode mode,
                         struct pt_store **out, struct pt_err *err)
{
    struct pt_db_events events;
    struct pt_store *store;
    const char *where;
    enum pt_rc rc;
    pt_assert(read_conns >= 1);
    *out = NULL;
    store = pt_calloc(1, sizeof(*store));
    if (store == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    store->drv = driver_for(target, &where);
    atomic_init(&store->writes_stopped, false);
    store->program_cache = pt_program_cache_new();
    pthread_mutex_init(&store->queue_mu, NULL);
    pthread_cond_init(&store->queue_cv, NULL);
    pthread_mutex_init(&store->read_mu, NULL);
    pthread_cond_init(&store->read_cv, NULL);
    store->write_txn.store = store;
    store->write_txn.is_write = true;
    store->min_free_bytes = PT_STORE_MIN_FREE_BYTES_DEFAULT;
    store->max_wait_us = (int64_t)PT_WRITE_WAIT_MS_DEFAULT * 1000;
    events.disk_failed = on_disk_failed;
    events.arg = store;
    rc = store->drv->open(where, PT_DB_WRITER, mode == PT_STORE_OPEN_CREATE, &events,
                          &store->writer, err);
    store->write_txn.conn = store->writer;
    if (rc == PT_OK) {
        rc = store_migrate(store, err);
    }
    if (rc == PT_OK) {
        rc = store_open_readers(store, where, read_conns, err);
    }
    if (rc == PT_OK) {
        rc = store->drv->start(store->writer, where, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_writer_start(store, err);
    }
    if (rc != PT_OK) {
        pt_store_close(store);
        return rc;
    }
    *out = store;
    return PT_OK;
}

void pt_store_close(struct pt_store *store)
{
    unsigned i;
    if (store == NULL) {
        return;
    }
    pt_store_writer_stop(store);
    for (i = 0; i < store->reader_count; i++) {
        pt_assert(!store->reader_busy[i]);
        store->drv->close(store->readers[i], false);
    }
    store->drv->close(store->writer, atomic_load(&store->writes_stopped));
    pt_free(store->readers);
    pt_free(store->reader_busy);
    pt_free(store->reader_txns);
    pthread_mutex_destroy(&store->queue_mu);
    pthread_cond_destroy(&store->queue_cv);
    pthread_mutex_destroy(&store->read_mu);
    pthread_cond_destroy(&store->read_cv);
    pt_program_cache_free(store->program_cache);
    pt_free(store);
}

int pt_store_version_found(const struct pt_store *store)
{
    return store->version_found;
}

/* Adds a connection's counts to out. */
static void statement_count_add(const struct pt_db_counts *counts,
                                struct pt_store_statement_count *out)
{
    out->statements += atomic_load_explicit(&counts->statements, memory_order_relaxed);
    out->txn_control += atomic_load_explicit(&counts->txn_control, memory_order_relaxed);
}

void pt_store_statement_count(struct pt_store *store, struct pt_store_statement_count *out)
{
    unsigned i;
    pt_assert(store->writer != NULL);
    memset(out, 0, sizeof(*out));
    statement_count_add(store->drv->counts(store->writer), out);
    for (i = 0; i < store->reader_count; i++) {
        statement_count_add(store->drv->counts(store->readers[i]), out);
    }
    pt_assert(out->statements >= 0);
    pt_assert(out->txn_control >= 0);
}

/* ---- Read transactions ---- */

void pt_store_read_end(struct pt_store_txn *txn)
{
    struct pt_store *store;
    if (txn == NULL) {
        return;
    }
    store = txn->store;
    pt_assert(!txn->is_write); /* The writer's transaction ends with its batch. */
    if (store->drv->in_transaction(txn->conn)) {
        pt_store_conn_rollback(store->drv, txn->conn);
    }
    pthread_mutex_lock(&store->read_mu);
    pt_assert(store->reader_busy[txn->reader_index]);
    store->reader_busy[txn->reader_index] = false;
    pthread_cond_signal(&store->read_cv);
    pthread_mutex_unlock(&store->read_mu);
}

enum pt_rc pt_store_read_begin(struct pt_store *store, struct pt_store_txn **out,
                               struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc;
    unsigned i;
    pthread_mutex_lock(&store->read_mu);
    while (txn == NULL) {
        for (i = 0; i < store->reader_count; i++) {
            if (!store->reader_busy[i]) {
                store->reader_busy[i] = true;
                txn = &store->reader_txns[i];
                break;
            }
        }
        if (txn == NULL) {
            pthread_cond_wait(&store->read_cv, &store->read_mu);
        }
    }
    pthread_mutex_unlock(&store->read_mu);
    rc = pt_store_conn_run(store->drv, txn->conn, store->drv->sql_begin_read, err);
    if (rc != PT_OK) {
        pt_store_read_end(txn);
        *out = NULL;
        return rc;
    }
    *out = txn;
    return PT_OK;
}

enum pt_rc pt_store_backup(struct pt_store *store, const char *dest, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc;
    if (store->drv->backup == NULL) {
        return pt_err_set(err, PT_EINVAL, NULL,
                          "patron backup is for SQLite; back up PostgreSQL with pg_dump "
                          "(docs/operations.md)");
    }
    rc = pt_store_read_begin(store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    /* The backup reads through its own snapshot: the reader's transaction is not needed. */
    pt_store_conn_rollback(store->drv, txn->conn);
    rc = store->drv->backup(txn->conn, dest, err);
    pt_store_read_end(txn);
    return rc;
}

bool pt_store_txn_is_write(const struct pt_store_txn *txn)
{
    return txn->is_write;
}

struct pt_program_cache *pt_store_txn_program_cache(const struct pt_store_txn *txn)
{
    return txn->store->program_cache;
}

bool pt_store_txn_locks_rows(const struct pt_store_txn *txn)
{
    return txn->is_write && txn->store->drv->shared_writers;
}

void pt_store_set_min_free(struct pt_store *store, int64_t bytes)
{
    pt_assert(bytes >= 0);
    store->min_free_bytes = bytes; /* Set before serving; read by the writer thread. */
}

void pt_store_set_max_wait(struct pt_store *store, int64_t ms)
{
    pt_assert(ms >= 0);
    store->max_wait_us = ms * 1000; /* Set before serving. */
}

enum pt_rc pt_store_after_copy(struct pt_store_txn *txn, struct pt_err *err)
{
    const char *const *sql;
    enum pt_rc rc = PT_OK;
    pt_assert(txn->is_write);
    for (sql = txn->store->drv->sql_after_copy; rc == PT_OK && *sql != NULL; sql++) {
        rc = txn->store->drv->exec(txn->conn, *sql, err);
    }
    return rc;
}
