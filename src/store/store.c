/* SPDX-License-Identifier: MIT */
/*
 * The store's core, the same for every engine (driver.h): one write connection owned by a
 * writer thread that applies queued writes in batches, each command in its own savepoint, and
 * commits a batch at once (group commit, one fsync); a pool of read connections that read
 * committed snapshots and never wait for the writer; the migrations runner; load shedding; and
 * the query cursors (struct pt_q of store_int.h) that all the store's SQL is written against.
 * After a disk failure (a failed fsync or write, reported by the driver) writes stop for good
 * until restart: the kernel may have dropped the dirty pages, so nothing written since could be
 * trusted to be on disk.
 */
#include "store/store_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "store/driver.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pt_store_txn {
    struct pt_store *store; /* Back pointer; borrowed. */
    struct pt_db *conn;     /* The connection this transaction runs on; borrowed. */
    bool is_write;          /* The writer's batch transaction (used by the writer thread only). */
    unsigned reader_index;  /* Index in the reader pool when !is_write. */
};

/* A write waiting for the writer: lives on the stack of the thread that called pt_store_write. */
struct write_cmd {
    pt_store_write_fn fn;   /* The work; runs on the writer thread inside a savepoint. */
    void *ctx;              /* Passed to fn; borrowed. */
    struct pt_err *err;     /* The caller's error; filled on failure. */
    enum pt_rc rc;          /* Result, valid once done. */
    bool done;              /* Set by the writer after the batch committed or failed. */
    pthread_cond_t done_cv; /* Signalled with done: only this command's caller wakes. */
    int64_t queued_at_us;   /* Monotonic time it joined the queue. */
    bool background;        /* pt_store_write_background: a long write of background work. */
    struct write_cmd *next; /* Queue link. */
    /* A write whose batch's COMMIT was lost with the connection waits, in the store's in_doubt
     * list, until the server tells whether transaction doubt_txid committed. */
    bool in_doubt;
    int64_t doubt_txid;
    int64_t doubt_until_us;       /* Monotonic time it stops waiting: outcome_unknown. */
    struct write_cmd *doubt_next; /* in_doubt link. */
};

struct pt_store {
    const struct pt_driver *drv;
    struct pt_db *writer;          /* The one write connection; used by the writer thread only. */
    struct pt_store_txn write_txn; /* The batch transaction handle of the writer thread. */
    pthread_t writer_thread;       /* Applies queued writes in batches (group commit). */
    bool writer_started;
    pthread_mutex_t queue_mu;     /* Guards the queue, stopping and every cmd->done. */
    pthread_cond_t queue_cv;      /* Signalled when work arrives or stopping is set. */
    struct write_cmd *queue_head; /* FIFO of waiting writes; at most PT_WRITE_QUEUE_MAX. */
    struct write_cmd *queue_tail;
    unsigned queue_len;
    bool stopping;                    /* Set by close: the writer drains the queue and exits. */
    int64_t min_free_bytes;           /* Writes are refused while free space is below it. */
    int64_t max_wait_us;              /* Shed new writes expected to wait longer (0: never). */
    int64_t write_cost_us;            /* Recent writer time per write (moving average); queue_mu. */
    bool background_running;          /* The writer's batch holds background work; queue_mu. */
    unsigned batch_len;               /* Writes in the writer's current batch; queue_mu. */
    int64_t background_ended_us;      /* When the last batch with background work ended. */
    struct write_cmd *in_doubt;       /* Writes waiting for a lost COMMIT's outcome; writer. */
    int64_t doubt_next_try_us;        /* When the writer next asks the server; writer. */
    struct pt_db **readers;           /* reader_count read connections; owned. */
    bool *reader_busy;                /* reader_busy[i]: connection i is checked out. */
    struct pt_store_txn *reader_txns; /* Handles, one per reader. */
    unsigned reader_count;
    pthread_mutex_t read_mu;    /* Guards reader_busy. */
    pthread_cond_t read_cv;     /* Signalled when a reader is returned. */
    int version_found;          /* Schema version before migration. */
    atomic_bool writes_stopped; /* Set for good by a disk failure (see the file comment). */
};

static const char sql_savepoint[] = "SAVEPOINT cmd";
static const char sql_rollback_to[] = "ROLLBACK TO cmd";
static const char sql_release[] = "RELEASE cmd";
static const char sql_commit[] = "COMMIT";

/* Stops the process: the writer's transaction state is unknown, and a ledger must not go on
 * writing on top of it. */
static _Noreturn void pt_fatal_store(const char *what)
{
    pt_log("fatal", what, "");
    abort();
}

/* Rolls back whatever transaction c has open. A failing ROLLBACK leaves nothing to undo: the
 * engines end the transaction either way. */
static void conn_rollback(const struct pt_driver *drv, struct pt_db *c)
{
    struct pt_err ignored;
    if (drv->exec(c, "ROLLBACK", &ignored) != PT_OK) {
        pt_log("warn", "rollback failed", "");
    }
}

/* Stops all writes until restart. Any thread. */
static void store_stop_writes(struct pt_store *store, const char *why)
{
    char extra[160];
    if (!atomic_exchange(&store->writes_stopped, true)) {
        (void)snprintf(extra, sizeof(extra), ",\"why\":\"%s\"", why);
        pt_log("error", "writes stopped until restart: the disk failed a write or an fsync", extra);
    }
}

static void on_disk_failed(void *arg, const char *why)
{
    store_stop_writes(arg, why);
}

static enum pt_rc writes_stopped_err(struct pt_err *err)
{
    return pt_err_set(err, PT_ESTORE, NULL,
                      "a disk write failed; writes are stopped until the server is restarted");
}

/* Runs a statement of static text without rows through the connection's cache: the writer's
 * transaction control runs several times per batch, and would otherwise be parsed each time. */
static enum pt_rc conn_run(const struct pt_driver *drv, struct pt_db *c, const char *sql,
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

/* Runs a one-integer query of static text. */
static enum pt_rc conn_int(const struct pt_driver *drv, struct pt_db *c, const char *sql,
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
    enum pt_rc rc =
        conn_int(store->drv, store->writer, store->drv->sql_has_version_table, NULL, &has, err);
    *version = 0;
    if (rc != PT_OK || has == 0) {
        return rc;
    }
    rc = conn_int(store->drv, store->writer, sql_max, NULL, &v, err);
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
    rc = conn_run(drv, store->writer, drv->sql_begin_write, err);
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
        return conn_run(drv, store->writer, sql_commit, err);
    }
    conn_rollback(drv, store->writer); /* Undo this migration only. */
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

static void *writer_main(void *arg);

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
        if (pthread_create(&store->writer_thread, NULL, writer_main, store) != 0) {
            rc = pt_err_set(err, PT_EINTERNAL, NULL, "cannot start the writer thread");
        } else {
            store->writer_started = true;
        }
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
    if (store->writer_started) {
        /* The writer finishes every queued write before it exits. */
        pthread_mutex_lock(&store->queue_mu);
        store->stopping = true;
        pthread_cond_signal(&store->queue_cv);
        pthread_mutex_unlock(&store->queue_mu);
        (void)pthread_join(store->writer_thread, NULL); /* Cannot fail for a joinable thread. */
        store->writer_started = false;
    }
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
    pt_free(store);
}

int pt_store_version_found(const struct pt_store *store)
{
    return store->version_found;
}

/* ---- The writer: group commit ---- */

/* Runs one command inside its own savepoint, so that a failing command leaves no trace and does
 * not fail its neighbours in the batch. Returns false when the batch's transaction is gone (a
 * connection to a database server was lost): then nothing of the batch was written. */
static bool writer_run_one(struct pt_store *store, struct write_cmd *cmd, struct pt_err *lost)
{
    const struct pt_driver *drv = store->drv;
    enum pt_rc rc = conn_run(drv, store->writer, sql_savepoint, cmd->err);
    if (rc == PT_OK) {
        rc = cmd->fn(&store->write_txn, cmd->ctx, cmd->err);
        pt_assert(rc != PT_OK || cmd->err->rc == PT_OK);
        if (rc != PT_OK && drv->is_disk_failure(cmd->err)) {
            store_stop_writes(store, "write");
        }
        if ((rc == PT_OK || conn_run(drv, store->writer, sql_rollback_to, lost) == PT_OK) &&
            conn_run(drv, store->writer, sql_release, lost) == PT_OK) {
            cmd->rc = rc;
            return true;
        }
        /* A savepoint that cannot be rolled back or released inside a live transaction leaves
         * the batch in an unknown state: a ledger must not go on writing on top of it. */
        if (drv->in_transaction(store->writer)) {
            pt_fatal_store("ROLLBACK TO or RELEASE failed; the batch cannot be trusted");
        }
        cmd->rc = rc;
        return false;
    }
    cmd->rc = rc;
    if (!drv->in_transaction(store->writer)) {
        *lost = *cmd->err;
        return false;
    }
    return true;
}

/* Refuses a batch while the database's filesystem has less than the margin free, so that
 * writes stop with a clean 503 before the engine meets a full disk halfway through a page. */
static enum pt_rc free_space_check(struct pt_store *store, struct pt_err *err)
{
    int64_t free_bytes;
    if (store->min_free_bytes <= 0) {
        return PT_OK;
    }
    free_bytes = store->drv->free_bytes(store->writer);
    if (free_bytes >= 0 && free_bytes < store->min_free_bytes) {
        return pt_err_set(err, PT_ESTORE, NULL,
                          "the disk is nearly full (%lld bytes free); writes are paused",
                          (long long)free_bytes);
    }
    return PT_OK; /* Enough, or no answer: the engine's own full-disk error still guards. */
}

/* Commits the writer's batch. When COMMIT itself fails on an engine that can tell, *txid is
 * the transaction's id: the connection may have been lost after the server committed, so the
 * outcome is in doubt until the server is asked (writer_resolve_doubts). */
static enum pt_rc writer_commit(struct pt_store *store, int64_t *txid, struct pt_err *err)
{
    const struct pt_driver *drv = store->drv;
    int64_t id = -1;
    enum pt_rc rc = PT_OK;
    if (drv->sql_write_txid != NULL) {
        rc = conn_int(drv, store->writer, drv->sql_write_txid, NULL, &id, err);
    }
    if (rc == PT_OK) {
        rc = conn_run(drv, store->writer, sql_commit, err);
        if (rc != PT_OK) {
            *txid = id;
        }
    }
    return rc;
}

/* Parks the batch's writes that succeeded until the outcome of its COMMIT is known; the others
 * keep their own failure. Each parked write's error holds the commit's, its answer if the
 * server aborted the transaction; its rc stays PT_OK, its answer if the server committed. */
static void writer_park(struct pt_store *store, struct write_cmd *batch, int64_t txid,
                        const struct pt_err *commit_err)
{
    int64_t until = pt_clock_mono_us() + (int64_t)PT_COMMIT_DOUBT_WAIT_MS * 1000;
    struct write_cmd *cmd;
    unsigned n = 0;
    char extra[96];
    for (cmd = batch; cmd != NULL; cmd = cmd->next) {
        if (cmd->rc == PT_OK) {
            *cmd->err = *commit_err;
            cmd->in_doubt = true;
            cmd->doubt_txid = txid;
            cmd->doubt_until_us = until;
            cmd->doubt_next = store->in_doubt;
            store->in_doubt = cmd;
            n++;
        }
    }
    store->doubt_next_try_us = 0; /* Ask at once: a live connection answers now. */
    (void)snprintf(extra, sizeof(extra), ",\"txid\":%lld,\"writes\":%u", (long long)txid, n);
    pt_log("warn", "a commit failed; its writes wait to learn whether it took effect", extra);
}

/* Answers a write that was in doubt. outcome: 1 committed (its own result stands), 0 aborted
 * (nothing of it was written: the commit's error), 2 still unknown when its wait ended. */
static void writer_settle(struct pt_store *store, struct write_cmd *cmd, int64_t outcome)
{
    static const char *const names[] = {"aborted", "committed", "unknown"};
    char extra[96];
    pt_assert(outcome >= 0 && outcome <= 2);
    (void)snprintf(extra, sizeof(extra), ",\"txid\":%lld,\"outcome\":\"%s\"",
                   (long long)cmd->doubt_txid, names[outcome]);
    pt_log(outcome == 2 ? "error" : "info", "a commit in doubt settled", extra);
    if (outcome == 1) {
        pt_err_clear(cmd->err); /* fn's result (PT_OK) stands. */
    } else if (outcome == 0) {
        cmd->rc = cmd->err->rc; /* The commit's own failure. */
    } else {
        cmd->rc = pt_err_set(cmd->err, PT_ESTORE, NULL,
                             "the database connection was lost while committing; retry with the "
                             "same key to learn whether it was stored");
        (void)pt_err_code(cmd->err, "outcome_unknown");
    }
    pthread_mutex_lock(&store->queue_mu);
    cmd->done = true; /* cmd may be gone as soon as the lock is released. */
    pthread_cond_signal(&cmd->done_cv);
    pthread_mutex_unlock(&store->queue_mu);
}

/* Asks the server, at most once per PT_COMMIT_DOUBT_POLL_MS, how the commits in doubt ended,
 * and answers the writes whose outcome is known or whose wait is over. Writer thread, outside
 * a transaction. */
static void writer_resolve_doubts(struct pt_store *store)
{
    const struct pt_driver *drv = store->drv;
    struct write_cmd **link = &store->in_doubt;
    int64_t now = pt_clock_mono_us();
    int64_t asked = -1;
    int64_t outcome = 2;
    bool reachable = true;
    if (now < store->doubt_next_try_us) {
        return;
    }
    store->doubt_next_try_us = now + (int64_t)PT_COMMIT_DOUBT_POLL_MS * 1000;
    while (*link != NULL) {
        struct write_cmd *cmd = *link;
        if (cmd->doubt_txid != asked) {
            struct pt_err ignored;
            asked = cmd->doubt_txid;
            outcome = 2;
            if (reachable && conn_int(drv, store->writer, drv->sql_txid_status, &asked, &outcome,
                                      &ignored) != PT_OK) {
                outcome = 2;
                reachable = false; /* Not again in this pass: each try may take seconds. */
            } else if (outcome != 0 && outcome != 1) {
                outcome = 2;
            }
        }
        if (outcome == 2 && now < cmd->doubt_until_us) {
            link = &cmd->doubt_next;
            continue;
        }
        *link = cmd->doubt_next;
        writer_settle(store, cmd, outcome);
    }
}

/* Waits on the queue's condition for at most ms; queue_mu held. */
static void queue_wait_ms(struct pt_store *store, int ms)
{
    struct timespec until;
    /* The condition variable's timeout needs the real-time clock (pthread's default). */
    (void)clock_gettime(CLOCK_REALTIME, &until); /* check_src: allow clock: pthread timeout */
    until.tv_nsec += (long)ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    (void)pthread_cond_timedwait(&store->queue_cv, &store->queue_mu, &until);
}

/* Applies a batch of commands in one transaction and commits it with one fsync. */
static void writer_run_batch(struct pt_store *store, struct write_cmd *batch)
{
    const struct pt_driver *drv = store->drv;
    struct write_cmd *cmd;
    struct pt_err begin_err;
    bool lost = false;
    int64_t txid = -1;
    enum pt_rc rc;
    pt_err_clear(&begin_err);
    rc = atomic_load(&store->writes_stopped) ? writes_stopped_err(&begin_err)
                                             : free_space_check(store, &begin_err);
    if (rc == PT_OK) {
        rc = conn_run(drv, store->writer, drv->sql_begin_write, &begin_err);
    }
    for (cmd = batch; cmd != NULL; cmd = cmd->next) {
        if (rc != PT_OK) {
            *cmd->err = begin_err;
            cmd->rc = rc;
        } else if (!writer_run_one(store, cmd, &begin_err)) {
            rc = begin_err.rc != PT_OK ? begin_err.rc : PT_ESTORE;
            lost = true;
            if (cmd->rc == PT_OK || cmd->err->rc == PT_OK) {
                *cmd->err = begin_err;
                cmd->rc = rc;
            }
        }
    }
    if (rc != PT_OK && !lost) {
        return;
    }
    if (lost) {
        /* The transaction is gone with the connection: nothing of the batch was written. */
    } else if (atomic_load(&store->writes_stopped)) {
        /* A command's I/O error stopped writes mid-batch: commit none of it. */
        rc = writes_stopped_err(&begin_err);
    } else {
        rc = writer_commit(store, &txid, &begin_err);
    }
    if (rc == PT_OK) {
        return;
    }
    if (begin_err.rc == PT_OK) {
        (void)pt_err_set(&begin_err, PT_ESTORE, NULL, "the database could not be used");
    }
    conn_rollback(drv, store->writer);
    if (txid >= 0) {
        /* The server may have committed before the connection went: the writes that succeeded
         * wait for the outcome instead of being told that nothing was written. */
        writer_park(store, batch, txid, &begin_err);
        return;
    }
    if (drv->is_disk_failure(&begin_err)) {
        store_stop_writes(store, "commit");
        (void)writes_stopped_err(&begin_err);
    }
    /* Nothing of the batch is durable: every command that had succeeded now fails. */
    for (cmd = batch; cmd != NULL; cmd = cmd->next) {
        if (cmd->rc == PT_OK) {
            *cmd->err = begin_err;
            cmd->rc = rc;
        }
    }
}

static void *writer_main(void *arg)
{
    struct pt_store *store = arg;
    pthread_mutex_lock(&store->queue_mu);
    while (true) {
        struct write_cmd *batch;
        struct write_cmd *last;
        struct write_cmd *cmd;
        unsigned n = 1;
        int64_t batch_started_us;
        /* Writes in doubt keep the writer asking, even when stopping, until each is answered:
         * their wait is bounded. */
        while (store->queue_head == NULL && (!store->stopping || store->in_doubt != NULL)) {
            if (store->in_doubt == NULL) {
                pthread_cond_wait(&store->queue_cv, &store->queue_mu);
                continue;
            }
            queue_wait_ms(store, PT_COMMIT_DOUBT_POLL_MS);
            pthread_mutex_unlock(&store->queue_mu);
            writer_resolve_doubts(store);
            pthread_mutex_lock(&store->queue_mu);
        }
        if (store->queue_head == NULL) {
            break; /* Stopping and drained. */
        }
        batch = store->queue_head;
        last = batch;
        while (last->next != NULL && n < PT_WRITE_BATCH_MAX) {
            last = last->next;
            n++;
        }
        store->queue_head = last->next;
        if (store->queue_head == NULL) {
            store->queue_tail = NULL;
        }
        store->queue_len -= n;
        last->next = NULL;
        for (cmd = batch; cmd != NULL && !cmd->background; cmd = cmd->next) {
        }
        store->background_running = cmd != NULL;
        store->batch_len = n;
        pthread_mutex_unlock(&store->queue_mu);
        if (store->in_doubt != NULL) {
            writer_resolve_doubts(store);
        }
        batch_started_us = pt_clock_mono_us();
        writer_run_batch(store, batch);
        if (!atomic_load(&store->writes_stopped)) {
            store->drv->after_batch(store->writer);
        }
        pthread_mutex_lock(&store->queue_mu);
        /* Moving average over about eight batches, including the fsync and the checkpoint.
         * Background work is long by design and rare: counted, it would make every request
         * look slow and be shed. */
        if (!store->background_running) {
            store->write_cost_us +=
                ((pt_clock_mono_us() - batch_started_us) / (int64_t)n - store->write_cost_us) / 8;
        } else {
            store->background_ended_us = pt_clock_mono_us();
        }
        store->background_running = false;
        /* One wake-up per caller, not a broadcast to every waiting thread: with 64 workers a
         * broadcast woke dozens of threads per batch only to send them back to sleep. */
        for (cmd = batch; cmd != NULL;) {
            struct write_cmd *next = cmd->next;
            if (!cmd->in_doubt) { /* Those are answered by writer_resolve_doubts. */
                cmd->done = true; /* cmd may be gone as soon as the lock is released. */
                pthread_cond_signal(&cmd->done_cv);
            }
            cmd = next;
        }
    }
    pthread_mutex_unlock(&store->queue_mu);
    return NULL;
}

static enum pt_rc store_write(struct pt_store *store, pt_store_write_fn fn, void *ctx,
                              bool background, struct pt_err *err)
{
    struct write_cmd cmd;
    pt_assert(fn != NULL);
    pt_assert(store->writer_started);
    if (atomic_load(&store->writes_stopped)) {
        return writes_stopped_err(err);
    }
    memset(&cmd, 0, sizeof(cmd));
    cmd.fn = fn;
    cmd.ctx = ctx;
    cmd.err = err;
    cmd.background = background;
    pthread_cond_init(&cmd.done_cv, NULL);
    pthread_mutex_lock(&store->queue_mu);
    cmd.queued_at_us = pt_clock_mono_us();
    /* Load shedding: when this write would wait longer than the bound (the writes ahead of it
     * times the writer's recent cost per write), or the oldest waiting write already has, the
     * writer is behind; refusing at once (503, Retry-After) keeps the latency of the writes
     * that are accepted bounded instead of letting every queue grow. While the writer runs
     * background work, and for the oldest write's wait up to its end, the wait is that work's,
     * known to end: writes queue (up to the queue's bound) rather than being refused. */
    if (store->queue_len >= PT_WRITE_QUEUE_MAX || store->stopping ||
        (store->max_wait_us > 0 && !store->background_running &&
         ((int64_t)store->queue_len * store->write_cost_us > store->max_wait_us ||
          (store->queue_head != NULL &&
           cmd.queued_at_us - (store->queue_head->queued_at_us > store->background_ended_us
                                   ? store->queue_head->queued_at_us
                                   : store->background_ended_us) >
               store->max_wait_us)))) {
        pthread_mutex_unlock(&store->queue_mu);
        pthread_cond_destroy(&cmd.done_cv);
        return pt_err_set(err, PT_EBUSY, NULL, "too many writes are waiting; retry shortly");
    }
    if (store->queue_tail != NULL) {
        store->queue_tail->next = &cmd;
    } else {
        store->queue_head = &cmd;
    }
    store->queue_tail = &cmd;
    store->queue_len++;
    pthread_cond_signal(&store->queue_cv);
    while (!cmd.done) {
        pthread_cond_wait(&cmd.done_cv, &store->queue_mu);
    }
    pthread_mutex_unlock(&store->queue_mu);
    pthread_cond_destroy(&cmd.done_cv);
    pt_assert(cmd.rc == err->rc);
    return cmd.rc;
}

enum pt_rc pt_store_write(struct pt_store *store, pt_store_write_fn fn, void *ctx,
                          struct pt_err *err)
{
    return store_write(store, fn, ctx, false, err);
}

enum pt_rc pt_store_write_background(struct pt_store *store, pt_store_write_fn fn, void *ctx,
                                     struct pt_err *err)
{
    return store_write(store, fn, ctx, true, err);
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
        conn_rollback(store->drv, txn->conn);
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
    rc = conn_run(store->drv, txn->conn, store->drv->sql_begin_read, err);
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
    conn_rollback(store->drv, txn->conn);
    rc = store->drv->backup(txn->conn, dest, err);
    pt_store_read_end(txn);
    return rc;
}

bool pt_store_txn_is_write(const struct pt_store_txn *txn)
{
    return txn->is_write;
}

bool pt_store_writes_waiting(struct pt_store_txn *txn)
{
    bool waiting;
    pt_assert(txn->is_write);
    pthread_mutex_lock(&txn->store->queue_mu);
    /* Queued behind the batch, or in it beside the caller's write. */
    waiting = txn->store->queue_len > 0 || txn->store->batch_len > 1;
    pthread_mutex_unlock(&txn->store->queue_mu);
    return waiting;
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

/* ---- Query cursors (store_int.h) ---- */

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

void pt_q_col_copy(struct pt_q *q, int col, char *out, size_t out_bytes)
{
    size_t len;
    const char *s = q->txn->store->drv->col_text(q->stmt, col, &len);
    (void)snprintf(out, out_bytes, "%.*s", s ? (int)len : 0, s ? s : "");
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
