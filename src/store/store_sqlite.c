/* SPDX-License-Identifier: MIT */
/*
 * The SQLite store. One write connection guarded by a mutex (SQLite has one writer at a time in
 * any case) and a pool of read-only connections, all on one WAL database with synchronous=FULL,
 * so that a committed write survives a crash. Statements are prepared once per connection and
 * cached by the address of their static SQL text. Backend result codes are translated here, once:
 * BUSY/LOCKED -> PT_EBUSY, CONSTRAINT -> PT_ECONFLICT, everything else -> PT_ESTORE.
 */
#include "store/store_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

/* Distinct static statements per connection; the cache is a short array searched linearly. */
#define PT_STMT_CACHE_MAX 48
/* Milliseconds a connection waits on another process's lock before PT_EBUSY. */
#define PT_SQLITE_BUSY_TIMEOUT_MS 5000

struct stmt_slot {
    const char *sql;    /* Static text; the cache key is its address. */
    sqlite3_stmt *stmt; /* Owned by the connection. */
};

struct conn {
    sqlite3 *db;                               /* Owned. */
    struct stmt_slot cache[PT_STMT_CACHE_MAX]; /* Prepared statements; first cache_count used. */
    unsigned cache_count;
};

struct pt_store_txn {
    struct pt_store *store; /* Back pointer; borrowed. */
    struct conn *conn;      /* The connection this transaction runs on; borrowed. */
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
    struct write_cmd *next; /* Queue link. */
};

struct pt_store {
    struct conn writer;            /* The one write connection; used by the writer thread only. */
    struct pt_store_txn write_txn; /* The batch transaction handle of the writer thread. */
    pthread_t writer_thread;       /* Applies queued writes in batches (group commit). */
    bool writer_started;
    pthread_mutex_t queue_mu;     /* Guards the queue, stopping and every cmd->done. */
    pthread_cond_t queue_cv;      /* Signalled when work arrives or stopping is set. */
    struct write_cmd *queue_head; /* FIFO of waiting writes; at most PT_WRITE_QUEUE_MAX. */
    struct write_cmd *queue_tail;
    unsigned queue_len;
    bool stopping;            /* Set by close: the writer drains the queue and exits. */
    struct conn checkpointer; /* Runs WAL checkpoints off the writer's path. */
    pthread_t checkpointer_thread;
    bool checkpointer_started;
    pthread_mutex_t ckpt_mu; /* Guards ckpt_wanted and ckpt_stopping. */
    pthread_cond_t ckpt_cv;  /* Signalled by the WAL hook and by close. */
    bool ckpt_wanted;        /* The WAL passed PT_WAL_CHECKPOINT_PAGES since the last one. */
    bool ckpt_stopping;
    bool writer_ckpt_due;   /* Writer thread only: the WAL passed PT_WAL_RESTART_PAGES. */
    char dir[1024];         /* Folder of the database, for the free-space check. */
    int64_t min_free_bytes; /* Writes are refused while the folder's free space is below it. */
    int64_t max_wait_us;    /* Shed new writes expected to wait longer (0: never). */
    int64_t write_cost_us;  /* Recent writer time per write (moving average); queue_mu. */
    struct conn *readers;   /* reader_count read-only connections; owned. */
    bool *reader_busy;      /* reader_busy[i]: connection i is checked out. */
    struct pt_store_txn *reader_txns; /* Handles, one per reader. */
    unsigned reader_count;
    pthread_mutex_t read_mu; /* Guards reader_busy. */
    pthread_cond_t read_cv;  /* Signalled when a reader is returned. */
    int version_found;       /* Schema version before migration. */
    /* Set for good when a write or fsync of the database failed: after a failed fsync the
     * kernel may have dropped the dirty pages, so nothing written since can be trusted to be
     * on disk. Writes answer 503 until the server restarts and recovers from the WAL. */
    atomic_bool writes_stopped;
};

/* ---- Errors ---- */

static enum pt_rc db_fail(struct pt_err *err, sqlite3 *db, int rc, const char *what)
{
    int primary = rc & 0xff;
    enum pt_rc prc = PT_ESTORE;
    char extra[400];
    char esc[300];
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        prc = PT_EBUSY;
    } else if (primary == SQLITE_CONSTRAINT) {
        prc = PT_ECONFLICT;
    } else if (primary == SQLITE_NOMEM) {
        prc = PT_ENOMEM;
    }
    (void)pt_err_set(err, prc, NULL, "%s",
                     prc == PT_EBUSY    ? "the database is busy, retry"
                     : prc == PT_ENOMEM ? "out of memory"
                                        : "the database could not be used");
    if (primary == SQLITE_NOTADB) {
        (void)pt_err_set(err, PT_ESTORE, NULL, "the file is not a SQLite database");
    }
    (void)snprintf(err->backend, sizeof(err->backend), "SQLITE_%d", rc);
    if (prc != PT_ECONFLICT) {
        const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        pt_log_escape(msg, strlen(msg), esc, sizeof(esc));
        (void)snprintf(extra, sizeof(extra),
                       ",\"what\":\"%s\",\"backend\":\"%s\",\"detail\":\"%s\"", what, err->backend,
                       esc);
        pt_log("error", "sqlite failure", extra);
    }
    return prc;
}

/* Stops the process: the writer's transaction state is unknown, and a ledger must not go on
 * writing on top of it. */
static _Noreturn void pt_fatal_store(const char *what)
{
    pt_log("fatal", what, "");
    abort();
}

/* Whether an error (err->backend, "SQLITE_<code>") means the disk failed us: an I/O error or
 * a corrupt page. SQLITE_FULL is not one: writes resume when space returns. */
static bool backend_is_disk_failure(int sqlite_rc)
{
    int primary = sqlite_rc & 0xff;
    return primary == SQLITE_IOERR || primary == SQLITE_CORRUPT;
}

static bool err_is_disk_failure(const struct pt_err *err)
{
    return strncmp(err->backend, "SQLITE_", 7) == 0 &&
           backend_is_disk_failure((int)strtol(err->backend + 7, NULL, 10));
}

/* Stops all writes until restart (see writes_stopped). Any thread. */
static void store_stop_writes(struct pt_store *store, const char *why)
{
    char extra[160];
    if (!atomic_exchange(&store->writes_stopped, true)) {
        (void)snprintf(extra, sizeof(extra), ",\"why\":\"%s\"", why);
        pt_log("error", "writes stopped until restart: the disk failed a write or an fsync", extra);
    }
}

/* ---- Connections and statements ---- */

static enum pt_rc conn_exec(struct conn *c, const char *sql, struct pt_err *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        return db_fail(err, c->db, sqlite3_extended_errcode(c->db), "exec");
    }
    return PT_OK;
}

static enum pt_rc conn_open(struct conn *c, const char *path, int flags, struct pt_err *err)
{
    int rc;
    memset(c, 0, sizeof(*c));
    rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        enum pt_rc prc = db_fail(err, c->db, rc, "open");
        if (rc == SQLITE_CANTOPEN) {
            (void)pt_err_set(err, PT_ESTORE, NULL, "cannot open database file %s", path);
        }
        (void)sqlite3_close(c->db);
        c->db = NULL;
        return prc == PT_OK ? PT_ESTORE : err->rc;
    }
    rc = sqlite3_extended_result_codes(c->db, 1);
    pt_assert(rc == SQLITE_OK);
    rc = sqlite3_busy_timeout(c->db, PT_SQLITE_BUSY_TIMEOUT_MS);
    pt_assert(rc == SQLITE_OK);
    return PT_OK;
}

static void conn_close(struct conn *c)
{
    unsigned i;
    for (i = 0; i < c->cache_count; i++) {
        (void)sqlite3_finalize(c->cache[i].stmt); /* Errors were reported at step time. */
    }
    c->cache_count = 0;
    if (c->db != NULL) {
        int rc = sqlite3_close(c->db);
        pt_assert(rc == SQLITE_OK); /* Every statement was finalized above. */
        c->db = NULL;
    }
}

/* Returns the cached statement for the static text sql, reset and unbound. */
static enum pt_rc stmt_get(struct conn *c, const char *sql, sqlite3_stmt **out, struct pt_err *err)
{
    unsigned i;
    int rc;
    for (i = 0; i < c->cache_count; i++) {
        if (c->cache[i].sql == sql) {
            *out = c->cache[i].stmt;
            return PT_OK;
        }
    }
    pt_assert(c->cache_count < PT_STMT_CACHE_MAX);
    rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
    if (rc != SQLITE_OK) {
        return db_fail(err, c->db, rc, "prepare");
    }
    c->cache[c->cache_count].sql = sql;
    c->cache[c->cache_count].stmt = *out;
    c->cache_count++;
    return PT_OK;
}

/* Resets a statement after use so that it holds no read lock or bound values. */
static void stmt_done(sqlite3_stmt *stmt)
{
    (void)sqlite3_reset(stmt); /* Returns the last step's error, which was already handled. */
    (void)sqlite3_clear_bindings(stmt);
}

static int bind_text(sqlite3_stmt *stmt, int index, const char *s)
{
    if (s == NULL) {
        return sqlite3_bind_null(stmt, index);
    }
    return sqlite3_bind_text(stmt, index, s, -1, SQLITE_STATIC);
}

static const char *column_text(sqlite3_stmt *stmt, int col, struct pt_arena *arena, bool *oom)
{
    const unsigned char *s = sqlite3_column_text(stmt, col);
    char *copy;
    if (s == NULL) {
        return NULL;
    }
    copy = pt_arena_strndup(arena, (const char *)s, (size_t)sqlite3_column_bytes(stmt, col));
    if (copy == NULL) {
        *oom = true;
    }
    return copy;
}

static void column_copy(sqlite3_stmt *stmt, int col, char *out, size_t out_bytes)
{
    const unsigned char *s = sqlite3_column_text(stmt, col);
    (void)snprintf(out, out_bytes, "%s", s ? (const char *)s : "");
}

/* Steps a statement expected to complete without rows (INSERT/UPDATE/DELETE). */
static enum pt_rc stmt_run(struct conn *c, sqlite3_stmt *stmt, const char *what, struct pt_err *err)
{
    int rc = sqlite3_step(stmt);
    enum pt_rc prc = PT_OK;
    if (rc != SQLITE_DONE) {
        prc = db_fail(err, c->db, sqlite3_extended_errcode(c->db), what);
    }
    stmt_done(stmt);
    return prc;
}

/* Runs a statement of static text through the cache: the writer's transaction control runs
 * several times per batch, and sqlite3_exec would parse it every time. */
static enum pt_rc conn_run(struct conn *c, const char *sql, struct pt_err *err)
{
    sqlite3_stmt *stmt;
    enum pt_rc rc = stmt_get(c, sql, &stmt, err);
    return rc == PT_OK ? stmt_run(c, stmt, sql, err) : rc;
}

static const char sql_savepoint[] = "SAVEPOINT cmd";
static const char sql_rollback_to[] = "ROLLBACK TO cmd";
static const char sql_release[] = "RELEASE cmd";
static const char sql_begin_immediate[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";

static void *writer_main(void *arg);

/* ---- Checkpoints, off the writer's path ---- */

/* Called by SQLite on the writer thread after each commit, with the WAL's size in pages. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct pt_store *store = arg;
    (void)db;
    (void)name;
    /* The background checkpoint cannot finish while the writer keeps appending, and SQLite
     * starts the WAL over only after a finished one: past the restart mark the writer finishes
     * it itself, between batches, when little is left to copy. */
    store->writer_ckpt_due = pages >= PT_WAL_RESTART_PAGES;
    if (pages >= PT_WAL_CHECKPOINT_PAGES && !store->ckpt_wanted) {
        pthread_mutex_lock(&store->ckpt_mu);
        store->ckpt_wanted = true;
        pthread_cond_signal(&store->ckpt_cv);
        pthread_mutex_unlock(&store->ckpt_mu);
    }
    return SQLITE_OK;
}

/* Copies the WAL into the database in the background. PASSIVE never waits for the writer or
 * the readers, so a commit never pays for a checkpoint (the stalls of the prototype); SQLite
 * starts the WAL over once a checkpoint has caught up, which keeps it bounded. */
static void *checkpointer_main(void *arg)
{
    struct pt_store *store = arg;
    pthread_mutex_lock(&store->ckpt_mu);
    while (!store->ckpt_stopping) {
        while (!store->ckpt_wanted && !store->ckpt_stopping) {
            pthread_cond_wait(&store->ckpt_cv, &store->ckpt_mu);
        }
        if (store->ckpt_stopping) {
            break;
        }
        store->ckpt_wanted = false;
        pthread_mutex_unlock(&store->ckpt_mu);
        /* A busy or partial passive checkpoint is simply retried at the next signal. A disk
         * failure stops writes, and checkpoints with them: the WAL keeps what the database
         * file may have lost. */
        if (!atomic_load(&store->writes_stopped)) {
            int rc = sqlite3_wal_checkpoint_v2(store->checkpointer.db, NULL,
                                               SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
            if (backend_is_disk_failure(rc)) {
                store_stop_writes(store, "checkpoint");
            }
        }
        pthread_mutex_lock(&store->ckpt_mu);
    }
    pthread_mutex_unlock(&store->ckpt_mu);
    return NULL;
}

static enum pt_rc checkpointer_start(struct pt_store *store, const char *path, struct pt_err *err)
{
    enum pt_rc rc = conn_open(&store->checkpointer, path, SQLITE_OPEN_READWRITE, err);
    if (rc == PT_OK) {
        /* A connection sees the WAL only once it has read the database. */
        rc = conn_exec(&store->checkpointer, "SELECT count(*) FROM sqlite_master", err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (pthread_create(&store->checkpointer_thread, NULL, checkpointer_main, store) != 0) {
        return pt_err_set(err, PT_EINTERNAL, NULL, "cannot start the checkpoint thread");
    }
    store->checkpointer_started = true;
    (void)sqlite3_wal_hook(store->writer.db, wal_hook, store); /* Returns the previous hook. */
    return PT_OK;
}

static void checkpointer_stop(struct pt_store *store)
{
    if (store->checkpointer_started) {
        pthread_mutex_lock(&store->ckpt_mu);
        store->ckpt_stopping = true;
        pthread_cond_signal(&store->ckpt_cv);
        pthread_mutex_unlock(&store->ckpt_mu);
        (void)pthread_join(store->checkpointer_thread, NULL); /* Joinable: cannot fail. */
        store->checkpointer_started = false;
    }
    if (store->checkpointer.db != NULL && atomic_load(&store->writes_stopped)) {
        /* Closing would checkpoint the WAL into a file whose writes are in doubt. */
        (void)sqlite3_db_config(store->checkpointer.db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    }
    conn_close(&store->checkpointer);
}

/* ---- Opening, versions and migrations ---- */

static enum pt_rc ensure_parent_dir(const char *path, struct pt_err *err)
{
    char dir[1024];
    char *slash;
    (void)snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir) {
        return PT_OK;
    }
    *slash = '\0';
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        return pt_err_set(err, PT_ESTORE, NULL, "cannot create folder %s: %s", dir,
                          strerror(errno));
    }
    return PT_OK;
}

static enum pt_rc read_version(struct conn *c, int *version, struct pt_err *err)
{
    static const char sql_has[] =
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";
    static const char sql_max[] = "SELECT coalesce(max(version), 0) FROM schema_version";
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql_has, -1, &stmt, NULL);
    int has = 0;
    if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
        has = sqlite3_column_int(stmt, 0);
    } else {
        enum pt_rc prc = db_fail(err, c->db, sqlite3_extended_errcode(c->db), "version");
        (void)sqlite3_finalize(stmt);
        if ((sqlite3_extended_errcode(c->db) & 0xff) == SQLITE_NOTADB) {
            return pt_err_set(err, PT_ESTORE, NULL, "the file is not a SQLite database");
        }
        return prc;
    }
    (void)sqlite3_finalize(stmt);
    *version = 0;
    if (!has) {
        return PT_OK;
    }
    rc = sqlite3_prepare_v2(c->db, sql_max, -1, &stmt, NULL);
    if (rc != SQLITE_OK || sqlite3_step(stmt) != SQLITE_ROW) {
        enum pt_rc prc = db_fail(err, c->db, sqlite3_extended_errcode(c->db), "version");
        (void)sqlite3_finalize(stmt);
        return prc;
    }
    *version = sqlite3_column_int(stmt, 0);
    (void)sqlite3_finalize(stmt);
    pt_assert(*version >= 0);
    return PT_OK;
}

static enum pt_rc migrate_one(struct conn *c, int target, struct pt_err *err)
{
    static const char sql_record[] =
        "INSERT INTO schema_version (version, applied_at_ms) VALUES (?1, ?2)";
    sqlite3_stmt *stmt = NULL;
    const char *const *part;
    enum pt_rc rc;
    int version = 0;
    pt_assert(target >= 1 && target <= PT_SCHEMA_VERSION);
    rc = conn_exec(c, "BEGIN IMMEDIATE", err);
    if (rc != PT_OK) {
        return rc;
    }
    /* Another process may have migrated while this one waited for the lock. */
    rc = read_version(c, &version, err);
    if (rc != PT_OK || version >= target) {
        goto out;
    }
    pt_assert(version == target - 1);
    for (part = pt_store_migrations[target]; rc == PT_OK && *part != NULL; part++) {
        rc = conn_exec(c, *part, err);
    }
    if (rc != PT_OK) {
        goto out;
    }
    if (sqlite3_prepare_v2(c->db, sql_record, -1, &stmt, NULL) != SQLITE_OK) {
        rc = db_fail(err, c->db, sqlite3_extended_errcode(c->db), "migrate");
        goto out;
    }
    (void)sqlite3_bind_int(stmt, 1, target);
    (void)sqlite3_bind_int64(stmt, 2, pt_clock_now_ms());
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        rc = db_fail(err, c->db, sqlite3_extended_errcode(c->db), "migrate");
    }
    (void)sqlite3_finalize(stmt);
out:
    if (rc == PT_OK) {
        return conn_exec(c, "COMMIT", err);
    }
    (void)sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL); /* Undo this migration only. */
    return rc;
}

static enum pt_rc store_migrate(struct pt_store *store, struct pt_err *err)
{
    enum pt_rc rc = read_version(&store->writer, &store->version_found, err);
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
    for (v = store->version_found + 1; v <= PT_SCHEMA_VERSION; v++) {
        rc = migrate_one(&store->writer, v, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return PT_OK;
}

static enum pt_rc store_open_readers(struct pt_store *store, const char *path, unsigned n,
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
        enum pt_rc rc = conn_open(&store->readers[i], path, SQLITE_OPEN_READONLY, err);
        if (rc == PT_OK) {
            /* No mmap for readers: each connection's mapping of the same pages counts again in
             * the process's RSS (measured: 1.1 GB peak on a 120 MB database with 64 readers,
             * 179 MB without), for about 17% fewer balance reads in that one A/B run. */
            rc = conn_exec(&store->readers[i], "PRAGMA cache_size=-2048; PRAGMA mmap_size=0", err);
        }
        if (rc != PT_OK) {
            return rc;
        }
        store->reader_count = i + 1;
        store->reader_txns[i].store = store;
        store->reader_txns[i].conn = &store->readers[i];
        store->reader_txns[i].reader_index = i;
    }
    return PT_OK;
}

/* Process-wide SQLite settings, before its first use. Memory statistics off: with them on,
 * every SQLite allocation takes one global mutex, which all reader threads contend for. */
static void sqlite_configure(void)
{
    /* SQLITE_MISUSE when SQLite was already initialized (a test's preloaded VFS): harmless. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

enum pt_rc pt_store_open(const char *path, unsigned read_conns, enum pt_store_open_mode mode,
                         struct pt_store **out, struct pt_err *err)
{
    struct pt_store *store;
    struct stat st;
    enum pt_rc rc;
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pt_assert(read_conns >= 1);
    *out = NULL;
    (void)pthread_once(&configured, sqlite_configure); /* Cannot fail with a valid once. */
    if (mode == PT_STORE_OPEN_EXISTING && stat(path, &st) != 0) {
        return pt_err_set(err, PT_ENOTFOUND, NULL,
                          "no database at %s; create one with `patron init --db %s`", path, path);
    }
    if (mode == PT_STORE_OPEN_CREATE && (rc = ensure_parent_dir(path, err)) != PT_OK) {
        return rc;
    }
    store = pt_calloc(1, sizeof(*store));
    if (store == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    atomic_init(&store->writes_stopped, false);
    pthread_mutex_init(&store->queue_mu, NULL);
    pthread_mutex_init(&store->ckpt_mu, NULL);
    pthread_cond_init(&store->ckpt_cv, NULL);
    pthread_cond_init(&store->queue_cv, NULL);
    pthread_mutex_init(&store->read_mu, NULL);
    pthread_cond_init(&store->read_cv, NULL);
    store->write_txn.store = store;
    store->write_txn.conn = &store->writer;
    store->min_free_bytes = PT_STORE_MIN_FREE_BYTES_DEFAULT;
    store->max_wait_us = (int64_t)PT_WRITE_WAIT_MS_DEFAULT * 1000;
    (void)snprintf(store->dir, sizeof(store->dir), "%s", path);
    if (strrchr(store->dir, '/') != NULL) {
        *strrchr(store->dir, '/') = '\0';
    } else {
        (void)snprintf(store->dir, sizeof(store->dir), ".");
    }
    if (store->dir[0] == '\0') {
        (void)snprintf(store->dir, sizeof(store->dir), "/");
    }
    store->write_txn.is_write = true;
    rc = conn_open(&store->writer, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
    if (rc == PT_OK) {
        rc = conn_exec(&store->writer,
                       "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                       "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
                       "PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=67108864;"
                       "PRAGMA wal_autocheckpoint=0",
                       err);
    }
    if (rc == PT_OK) {
        rc = store_migrate(store, err);
    }
    if (rc == PT_OK) {
        rc = store_open_readers(store, path, read_conns, err);
    }
    if (rc == PT_OK) {
        rc = checkpointer_start(store, path, err);
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
    checkpointer_stop(store);
    if (store->writer.db != NULL && atomic_load(&store->writes_stopped)) {
        (void)sqlite3_db_config(store->writer.db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    }
    for (i = 0; i < store->reader_count; i++) {
        pt_assert(!store->reader_busy[i]);
        conn_close(&store->readers[i]);
    }
    conn_close(&store->writer);
    pt_free(store->readers);
    pt_free(store->reader_busy);
    pt_free(store->reader_txns);
    pthread_mutex_destroy(&store->queue_mu);
    pthread_mutex_destroy(&store->ckpt_mu);
    pthread_cond_destroy(&store->ckpt_cv);
    pthread_cond_destroy(&store->queue_cv);
    pthread_mutex_destroy(&store->read_mu);
    pthread_cond_destroy(&store->read_cv);
    pt_free(store);
}

int pt_store_version_found(const struct pt_store *store)
{
    return store->version_found;
}

/* ---- Transactions ---- */

/* ---- The writer: group commit ---- */

/* Runs one command inside its own savepoint, so that a failing command leaves no trace and does
 * not fail its neighbours in the batch. */
static void writer_run_one(struct pt_store *store, struct write_cmd *cmd)
{
    struct pt_err ignored;
    enum pt_rc rc = conn_run(&store->writer, sql_savepoint, cmd->err);
    if (rc == PT_OK) {
        rc = cmd->fn(&store->write_txn, cmd->ctx, cmd->err);
        pt_assert(rc != PT_OK || cmd->err->rc == PT_OK);
        if (rc != PT_OK && err_is_disk_failure(cmd->err)) {
            store_stop_writes(store, "write");
        }
        if (rc != PT_OK && conn_run(&store->writer, sql_rollback_to, &ignored) != PT_OK) {
            pt_fatal_store("ROLLBACK TO failed; the batch cannot be trusted");
        }
        if (conn_run(&store->writer, sql_release, &ignored) != PT_OK) {
            pt_fatal_store("RELEASE failed; the batch cannot be trusted");
        }
    }
    cmd->rc = rc;
}

static enum pt_rc writes_stopped_err(struct pt_err *err)
{
    return pt_err_set(err, PT_ESTORE, NULL,
                      "a disk write failed; writes are stopped until the server is restarted");
}

/* Refuses a batch while the database's filesystem has less than the margin free, so that
 * writes stop with a clean 503 before SQLite meets a full disk halfway through a page. */
static enum pt_rc free_space_check(struct pt_store *store, struct pt_err *err)
{
    struct statvfs fs;
    int64_t free_bytes;
    if (store->min_free_bytes <= 0 || statvfs(store->dir, &fs) != 0) {
        return PT_OK; /* No margin set, or no answer: SQLite's own SQLITE_FULL still guards. */
    }
    free_bytes = (int64_t)fs.f_bavail * (int64_t)fs.f_frsize;
    if (free_bytes < store->min_free_bytes) {
        return pt_err_set(err, PT_ESTORE, NULL,
                          "the disk is nearly full (%lld bytes free); writes are paused",
                          (long long)free_bytes);
    }
    return PT_OK;
}

/* Applies a batch of commands in one transaction and commits it with one fsync. */
static void writer_run_batch(struct pt_store *store, struct write_cmd *batch)
{
    struct write_cmd *cmd;
    struct pt_err begin_err;
    enum pt_rc rc;
    pt_err_clear(&begin_err);
    rc = atomic_load(&store->writes_stopped) ? writes_stopped_err(&begin_err)
                                             : free_space_check(store, &begin_err);
    if (rc == PT_OK) {
        rc = conn_run(&store->writer, sql_begin_immediate, &begin_err);
    }
    for (cmd = batch; cmd != NULL; cmd = cmd->next) {
        if (rc != PT_OK) {
            *cmd->err = begin_err;
            cmd->rc = rc;
        } else {
            writer_run_one(store, cmd);
        }
    }
    if (rc != PT_OK) {
        return;
    }
    if (atomic_load(&store->writes_stopped)) {
        /* A command's I/O error stopped writes mid-batch: commit none of it. */
        rc = writes_stopped_err(&begin_err);
    } else {
        rc = conn_run(&store->writer, sql_commit, &begin_err);
    }
    if (rc == PT_OK) {
        return;
    }
    if (err_is_disk_failure(&begin_err)) {
        store_stop_writes(store, "commit");
        (void)writes_stopped_err(&begin_err);
    }
    /* Nothing of the batch is durable: every command that had succeeded now fails. */
    (void)sqlite3_exec(store->writer.db, "ROLLBACK", NULL, NULL, NULL);
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
        while (store->queue_head == NULL && !store->stopping) {
            pthread_cond_wait(&store->queue_cv, &store->queue_mu);
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
        pthread_mutex_unlock(&store->queue_mu);
        batch_started_us = pt_clock_mono_us();
        writer_run_batch(store, batch);
        if (store->writer_ckpt_due && !atomic_load(&store->writes_stopped)) {
            /* Passive: never waits for readers; a busy result is retried after the next batch. */
            int ckpt = sqlite3_wal_checkpoint_v2(store->writer.db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                                 NULL, NULL);
            if (backend_is_disk_failure(ckpt)) {
                store_stop_writes(store, "checkpoint");
            }
            store->writer_ckpt_due = false;
        }
        pthread_mutex_lock(&store->queue_mu);
        /* Moving average over about eight batches, including the fsync and the checkpoint. */
        store->write_cost_us +=
            ((pt_clock_mono_us() - batch_started_us) / (int64_t)n - store->write_cost_us) / 8;
        /* One wake-up per caller, not a broadcast to every waiting thread: with 64 workers a
         * broadcast woke dozens of threads per batch only to send them back to sleep. */
        for (cmd = batch; cmd != NULL;) {
            struct write_cmd *next = cmd->next;
            cmd->done = true; /* cmd may be gone as soon as the lock is released. */
            pthread_cond_signal(&cmd->done_cv);
            cmd = next;
        }
    }
    pthread_mutex_unlock(&store->queue_mu);
    return NULL;
}

enum pt_rc pt_store_write(struct pt_store *store, pt_store_write_fn fn, void *ctx,
                          struct pt_err *err)
{
    struct write_cmd cmd;
    pt_assert(fn != NULL);
    pt_assert(store->writer_started);
    memset(&cmd, 0, sizeof(cmd));
    cmd.fn = fn;
    cmd.ctx = ctx;
    cmd.err = err;
    pthread_cond_init(&cmd.done_cv, NULL);
    if (atomic_load(&store->writes_stopped)) {
        pthread_cond_destroy(&cmd.done_cv);
        return writes_stopped_err(err);
    }
    pthread_mutex_lock(&store->queue_mu);
    cmd.queued_at_us = pt_clock_mono_us();
    /* Load shedding: when this write would wait longer than the bound (the writes ahead of it
     * times the writer's recent cost per write), or the oldest waiting write already has, the
     * writer is behind; refusing at once (503, Retry-After) keeps the latency of the writes
     * that are accepted bounded instead of letting every queue grow. */
    if (store->queue_len >= PT_WRITE_QUEUE_MAX || store->stopping ||
        (store->max_wait_us > 0 &&
         ((int64_t)store->queue_len * store->write_cost_us > store->max_wait_us ||
          (store->queue_head != NULL &&
           cmd.queued_at_us - store->queue_head->queued_at_us > store->max_wait_us)))) {
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

void pt_store_read_end(struct pt_store_txn *txn)
{
    struct pt_store *store;
    if (txn == NULL) {
        return;
    }
    store = txn->store;
    if (!sqlite3_get_autocommit(txn->conn->db)) {
        /* A failing ROLLBACK leaves SQLite in autocommit anyway; nothing more to do. */
        (void)sqlite3_exec(txn->conn->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pt_assert(!txn->is_write); /* The writer's transaction ends with its batch. */
    pthread_mutex_lock(&store->read_mu);
    pt_assert(store->reader_busy[txn->reader_index]);
    store->reader_busy[txn->reader_index] = false;
    pthread_cond_signal(&store->read_cv);
    pthread_mutex_unlock(&store->read_mu);
}

enum pt_rc pt_store_read_begin(struct pt_store *store, struct pt_store_txn **out,
                               struct pt_err *err)
{
    static const char sql[] = "BEGIN";
    struct pt_store_txn *txn = NULL;
    sqlite3_stmt *stmt = NULL;
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
    rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc == PT_OK) {
        rc = stmt_run(txn->conn, stmt, "begin", err);
    }
    if (rc != PT_OK) {
        pt_store_read_end(txn);
        *out = NULL;
        return rc;
    }
    *out = txn;
    return PT_OK;
}

/* ---- Programs ---- */

enum pt_rc pt_store_program_insert(struct pt_store_txn *txn, const struct pt_program *program,
                                   struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO programs (id, name, currency, created_at_ms) VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *stmt = NULL;
    enum pt_rc rc;
    pt_assert(txn->is_write);
    pt_assert(program->name != NULL);
    rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)bind_text(stmt, 1, program->id);
    (void)bind_text(stmt, 2, program->name);
    (void)bind_text(stmt, 3, program->currency);
    (void)sqlite3_bind_int64(stmt, 4, program->created_at_ms);
    return stmt_run(txn->conn, stmt, "program_insert", err);
}

enum pt_rc pt_store_program_get(struct pt_store_txn *txn, const char *program_id,
                                struct pt_arena *arena, struct pt_program *out, struct pt_err *err)
{
    static const char sql[] =
        "SELECT id, name, currency, created_at_ms, updated_at_ms, earn_points, earn_per_amount, "
        "pending_days, expiry_months, allow_negative_balance, excluded_categories "
        "FROM programs WHERE id = ?1";
    struct pt_q q;
    enum pt_rc rc = pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    if (pt_q_next(&q)) {
        pt_q_col_copy(&q, 0, out->id, sizeof(out->id));
        out->name = pt_q_col_text(&q, 1, arena);
        pt_q_col_copy(&q, 2, out->currency, sizeof(out->currency));
        out->created_at_ms = pt_q_col_int(&q, 3);
        out->updated_at_ms = pt_q_col_int(&q, 4);
        out->earn_points = pt_q_col_int(&q, 5);
        out->earn_per_amount = pt_q_col_int(&q, 6);
        out->pending_days = pt_q_col_int(&q, 7);
        out->expiry_months = pt_q_col_int(&q, 8);
        out->allow_negative_balance = pt_q_col_int(&q, 9) != 0;
        out->excluded_categories = pt_q_col_text(&q, 10, arena);
    } else if (q.rc == PT_OK) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such program");
    }
    rc = pt_q_close(&q);
    if (rc == PT_OK) {
        pt_assert(out->earn_per_amount >= 1);
        pt_assert(out->excluded_categories != NULL);
    }
    return rc;
}

enum pt_rc pt_store_program_update(struct pt_store_txn *txn, const struct pt_program *program,
                                   struct pt_err *err)
{
    static const char sql[] =
        "UPDATE programs SET name = ?2, currency = ?3, updated_at_ms = ?4, earn_points = ?5, "
        "earn_per_amount = ?6, pending_days = ?7, expiry_months = ?8, "
        "allow_negative_balance = ?9, excluded_categories = ?10 WHERE id = ?1";
    struct pt_q q;
    enum pt_rc rc;
    pt_assert(txn->is_write);
    pt_assert(program->earn_per_amount >= 1);
    rc = pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program->id);
    pt_q_text(&q, 2, program->name);
    pt_q_text(&q, 3, program->currency);
    pt_q_int(&q, 4, program->updated_at_ms);
    pt_q_int(&q, 5, program->earn_points);
    pt_q_int(&q, 6, program->earn_per_amount);
    pt_q_int(&q, 7, program->pending_days);
    pt_q_int(&q, 8, program->expiry_months);
    pt_q_int(&q, 9, program->allow_negative_balance);
    pt_q_text(&q, 10, program->excluded_categories);
    rc = pt_q_exec(&q);
    if (rc == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such program");
    }
    return pt_q_close(&q);
}

enum pt_rc pt_store_program_ids(struct pt_store_txn *txn, struct pt_arena *arena, unsigned max,
                                char (**ids)[PT_ID_BUF_BYTES], unsigned *count, struct pt_err *err)
{
    static const char sql[] = "SELECT id FROM programs ORDER BY id LIMIT ?1";
    struct pt_q q;
    enum pt_rc rc;
    *count = 0;
    *ids = pt_arena_alloc(arena, (size_t)max * PT_ID_BUF_BYTES);
    if (*ids == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    rc = pt_q_open(&q, txn, sql, err);
    pt_q_int(&q, 1, max);
    while (pt_q_next(&q)) {
        pt_assert(*count < max);
        pt_q_col_copy(&q, 0, (*ids)[*count], PT_ID_BUF_BYTES);
        (*count)++;
    }
    (void)rc;
    return pt_q_close(&q);
}

enum pt_rc pt_store_program_count(struct pt_store_txn *txn, int64_t *count, struct pt_err *err)
{
    static const char sql[] = "SELECT count(*) FROM programs";
    sqlite3_stmt *stmt = NULL;
    enum pt_rc rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        *count = sqlite3_column_int64(stmt, 0);
    } else {
        rc = db_fail(err, txn->conn->db, sqlite3_extended_errcode(txn->conn->db), "program_count");
    }
    stmt_done(stmt);
    return rc;
}

/* ---- API keys ---- */

#define KEY_COLUMNS "program_id, id, name, role, key_hash, prefix, created_at_ms, revoked_at_ms"

static void key_from_row(sqlite3_stmt *stmt, struct pt_arena *arena, struct pt_api_key *out,
                         bool *oom)
{
    const void *hash = sqlite3_column_blob(stmt, 4);
    column_copy(stmt, 0, out->program_id, sizeof(out->program_id));
    column_copy(stmt, 1, out->id, sizeof(out->id));
    out->name = column_text(stmt, 2, arena, oom);
    out->role = strcmp((const char *)sqlite3_column_text(stmt, 3), "admin") == 0 ? PT_ROLE_ADMIN
                                                                                 : PT_ROLE_STAFF;
    pt_assert(sqlite3_column_bytes(stmt, 4) == PT_API_KEY_HASH_BYTES);
    memcpy(out->hash, hash, PT_API_KEY_HASH_BYTES);
    column_copy(stmt, 5, out->prefix, sizeof(out->prefix));
    out->created_at_ms = sqlite3_column_int64(stmt, 6);
    out->revoked_at_ms = sqlite3_column_int64(stmt, 7);
}

enum pt_rc pt_store_key_insert(struct pt_store_txn *txn, const struct pt_api_key *key,
                               struct pt_err *err)
{
    static const char sql[] = "INSERT INTO api_keys (" KEY_COLUMNS ") VALUES "
                              "(?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)";
    sqlite3_stmt *stmt = NULL;
    enum pt_rc rc;
    pt_assert(txn->is_write);
    pt_assert(key->revoked_at_ms == 0);
    rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)bind_text(stmt, 1, key->program_id);
    (void)bind_text(stmt, 2, key->id);
    (void)bind_text(stmt, 3, key->name);
    (void)bind_text(stmt, 4, key->role == PT_ROLE_ADMIN ? "admin" : "staff");
    (void)sqlite3_bind_blob(stmt, 5, key->hash, PT_API_KEY_HASH_BYTES, SQLITE_STATIC);
    (void)bind_text(stmt, 6, key->prefix);
    (void)sqlite3_bind_int64(stmt, 7, key->created_at_ms);
    return stmt_run(txn->conn, stmt, "key_insert", err);
}

enum pt_rc pt_store_key_find_by_hash(struct pt_store_txn *txn,
                                     const uint8_t hash[PT_API_KEY_HASH_BYTES],
                                     struct pt_arena *arena, struct pt_api_key *out,
                                     struct pt_err *err)
{
    static const char sql[] = "SELECT " KEY_COLUMNS " FROM api_keys "
                              "WHERE key_hash = ?1 AND revoked_at_ms IS NULL";
    sqlite3_stmt *stmt = NULL;
    bool oom = false;
    int step;
    enum pt_rc rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)sqlite3_bind_blob(stmt, 1, hash, PT_API_KEY_HASH_BYTES, SQLITE_STATIC);
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        key_from_row(stmt, arena, out, &oom);
        rc = oom ? pt_err_set(err, PT_ENOMEM, NULL, "out of memory") : PT_OK;
    } else if (step == SQLITE_DONE) {
        rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such key");
    } else {
        rc = db_fail(err, txn->conn->db, sqlite3_extended_errcode(txn->conn->db), "key_find");
    }
    stmt_done(stmt);
    return rc;
}

enum pt_rc pt_store_key_list(struct pt_store_txn *txn, const char *program_id,
                             const char *cursor_id, unsigned limit, struct pt_arena *arena,
                             struct pt_api_key **out, unsigned *count, struct pt_err *err)
{
    static const char sql[] = "SELECT " KEY_COLUMNS " FROM api_keys "
                              "WHERE program_id = ?1 AND revoked_at_ms IS NULL "
                              "AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3";
    sqlite3_stmt *stmt = NULL;
    bool oom = false;
    int step;
    enum pt_rc rc;
    pt_assert(limit >= 1 && limit <= PT_PAGE_LIMIT_MAX + 1);
    *count = 0;
    *out = pt_arena_alloc(arena, limit * sizeof(**out));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)bind_text(stmt, 1, program_id);
    (void)bind_text(stmt, 2, cursor_id);
    (void)sqlite3_bind_int(stmt, 3, (int)limit);
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        pt_assert(*count < limit);
        key_from_row(stmt, arena, &(*out)[*count], &oom);
        (*count)++;
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(err, txn->conn->db, sqlite3_extended_errcode(txn->conn->db), "key_list");
    } else if (oom) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    stmt_done(stmt);
    return rc;
}

enum pt_rc pt_store_key_revoke(struct pt_store_txn *txn, const char *program_id, const char *key_id,
                               int64_t now_ms, struct pt_err *err)
{
    static const char sql[] = "UPDATE api_keys SET revoked_at_ms = ?3 "
                              "WHERE program_id = ?1 AND id = ?2 AND revoked_at_ms IS NULL";
    sqlite3_stmt *stmt = NULL;
    enum pt_rc rc;
    pt_assert(txn->is_write);
    rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)bind_text(stmt, 1, program_id);
    (void)bind_text(stmt, 2, key_id);
    (void)sqlite3_bind_int64(stmt, 3, now_ms);
    rc = stmt_run(txn->conn, stmt, "key_revoke", err);
    if (rc == PT_OK && sqlite3_changes(txn->conn->db) == 0) {
        rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such API key");
    }
    return rc;
}

enum pt_rc pt_store_key_count_admins(struct pt_store_txn *txn, const char *program_id,
                                     int64_t *count, struct pt_err *err)
{
    static const char sql[] = "SELECT count(*) FROM api_keys WHERE program_id = ?1 "
                              "AND role = 'admin' AND revoked_at_ms IS NULL";
    sqlite3_stmt *stmt = NULL;
    enum pt_rc rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)bind_text(stmt, 1, program_id);
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        *count = sqlite3_column_int64(stmt, 0);
    } else {
        rc = db_fail(err, txn->conn->db, sqlite3_extended_errcode(txn->conn->db), "key_count");
    }
    stmt_done(stmt);
    return rc;
}

/* ---- Members ---- */

#define MEMBER_COLUMNS                                                                             \
    "id, external_id, email, phone, first_name, last_name, birth_date, gender, locale, city, "     \
    "country, attributes, consent_email, consent_sms, consent_push, card_number, referral_code, "  \
    "status, enrolled_at_ms, updated_at_ms, version"

static void member_from_row(sqlite3_stmt *stmt, const char *program_id, struct pt_arena *arena,
                            struct pt_member *m, bool *oom)
{
    struct pt_err ignored;
    const char *status = (const char *)sqlite3_column_text(stmt, 17);
    memset(m, 0, sizeof(*m));
    (void)snprintf(m->program_id, sizeof(m->program_id), "%s", program_id);
    column_copy(stmt, 0, m->id, sizeof(m->id));
    m->external_id = column_text(stmt, 1, arena, oom);
    m->email = column_text(stmt, 2, arena, oom);
    m->phone = column_text(stmt, 3, arena, oom);
    m->first_name = column_text(stmt, 4, arena, oom);
    m->last_name = column_text(stmt, 5, arena, oom);
    m->birth_date = column_text(stmt, 6, arena, oom);
    m->gender = column_text(stmt, 7, arena, oom);
    m->locale = column_text(stmt, 8, arena, oom);
    m->city = column_text(stmt, 9, arena, oom);
    m->country = column_text(stmt, 10, arena, oom);
    m->attributes_json = column_text(stmt, 11, arena, oom);
    m->consent_email = sqlite3_column_int(stmt, 12) != 0;
    m->consent_sms = sqlite3_column_int(stmt, 13) != 0;
    m->consent_push = sqlite3_column_int(stmt, 14) != 0;
    column_copy(stmt, 15, m->card_number, sizeof(m->card_number));
    column_copy(stmt, 16, m->referral_code, sizeof(m->referral_code));
    /* The CHECK constraint guarantees one of the three names. */
    if (pt_member_status_parse(status ? status : "", &m->status, &ignored) != PT_OK) {
        pt_assert(!"member status outside its CHECK constraint");
    }
    m->enrolled_at_ms = sqlite3_column_int64(stmt, 18);
    m->updated_at_ms = sqlite3_column_int64(stmt, 19);
    m->version = sqlite3_column_int64(stmt, 20);
    if (m->attributes_json == NULL) {
        m->attributes_json = "{}";
    }
}

/* Binds the client-settable fields to parameters 3..17 (same order in insert and update). */
static void member_bind_fields(sqlite3_stmt *stmt, const struct pt_member *m)
{
    (void)bind_text(stmt, 3, m->external_id);
    (void)bind_text(stmt, 4, m->email);
    (void)bind_text(stmt, 5, m->phone);
    (void)bind_text(stmt, 6, m->first_name);
    (void)bind_text(stmt, 7, m->last_name);
    (void)bind_text(stmt, 8, m->birth_date);
    (void)bind_text(stmt, 9, m->gender);
    (void)bind_text(stmt, 10, m->locale);
    (void)bind_text(stmt, 11, m->city);
    (void)bind_text(stmt, 12, m->country);
    (void)bind_text(stmt, 13, m->attributes_json);
    (void)sqlite3_bind_int(stmt, 14, m->consent_email);
    (void)sqlite3_bind_int(stmt, 15, m->consent_sms);
    (void)sqlite3_bind_int(stmt, 16, m->consent_push);
    (void)bind_text(stmt, 17, pt_member_status_name(m->status));
}

/* Turns a unique-constraint failure into the member_exists error naming the taken field. */
static enum pt_rc member_conflict(struct pt_store_txn *txn, struct pt_err *err)
{
    static const char *const fields[] = {"email", "phone", "external_id", "card_number",
                                         "referral_code"};
    const char *msg = sqlite3_errmsg(txn->conn->db);
    const char *field = "id";
    char pattern[48];
    size_t i;
    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        (void)snprintf(pattern, sizeof(pattern), "members.%s", fields[i]);
        if (strstr(msg, pattern) != NULL) {
            field = fields[i];
            break;
        }
    }
    (void)pt_err_set(err, PT_ECONFLICT, field, "a member with this %s already exists", field);
    return pt_err_code(err, "member_exists");
}

enum pt_rc pt_store_member_insert(struct pt_store_txn *txn, const struct pt_member *m,
                                  struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO members (program_id, id, external_id, email, phone, first_name, last_name, "
        "birth_date, gender, locale, city, country, attributes, consent_email, consent_sms, "
        "consent_push, status, card_number, referral_code, enrolled_at_ms, updated_at_ms, version) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
        "?19, ?20, ?21, ?22)";
    sqlite3_stmt *stmt = NULL;
    enum pt_rc rc;
    pt_assert(txn->is_write);
    pt_assert(m->version == 1);
    rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)bind_text(stmt, 1, m->program_id);
    (void)bind_text(stmt, 2, m->id);
    member_bind_fields(stmt, m);
    (void)bind_text(stmt, 18, m->card_number);
    (void)bind_text(stmt, 19, m->referral_code);
    (void)sqlite3_bind_int64(stmt, 20, m->enrolled_at_ms);
    (void)sqlite3_bind_int64(stmt, 21, m->updated_at_ms);
    (void)sqlite3_bind_int64(stmt, 22, m->version);
    rc = stmt_run(txn->conn, stmt, "member_insert", err);
    if (rc == PT_ECONFLICT) {
        rc = member_conflict(txn, err);
    }
    return rc;
}

enum pt_rc pt_store_member_get(struct pt_store_txn *txn, const char *program_id,
                               const char *member_id, struct pt_arena *arena, struct pt_member *out,
                               struct pt_err *err)
{
    static const char sql[] =
        "SELECT " MEMBER_COLUMNS " FROM members WHERE program_id = ?1 AND id = ?2";
    sqlite3_stmt *stmt = NULL;
    bool oom = false;
    int step;
    enum pt_rc rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)bind_text(stmt, 1, program_id);
    (void)bind_text(stmt, 2, member_id);
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        member_from_row(stmt, program_id, arena, out, &oom);
        rc = oom ? pt_err_set(err, PT_ENOMEM, NULL, "out of memory") : PT_OK;
    } else if (step == SQLITE_DONE) {
        rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such member");
    } else {
        rc = db_fail(err, txn->conn->db, sqlite3_extended_errcode(txn->conn->db), "member_get");
    }
    stmt_done(stmt);
    return rc;
}

enum pt_rc pt_store_member_update(struct pt_store_txn *txn, const struct pt_member *m,
                                  int64_t expected_version, struct pt_err *err)
{
    static const char sql[] =
        "UPDATE members SET external_id = ?3, email = ?4, phone = ?5, first_name = ?6, "
        "last_name = ?7, birth_date = ?8, gender = ?9, locale = ?10, city = ?11, country = ?12, "
        "attributes = ?13, consent_email = ?14, consent_sms = ?15, consent_push = ?16, "
        "status = ?17, updated_at_ms = ?18, version = ?19 + 1 "
        "WHERE program_id = ?1 AND id = ?2 AND version = ?19";
    sqlite3_stmt *stmt = NULL;
    enum pt_rc rc;
    pt_assert(txn->is_write);
    pt_assert(expected_version >= 1);
    rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)bind_text(stmt, 1, m->program_id);
    (void)bind_text(stmt, 2, m->id);
    member_bind_fields(stmt, m);
    (void)sqlite3_bind_int64(stmt, 18, m->updated_at_ms);
    (void)sqlite3_bind_int64(stmt, 19, expected_version);
    rc = stmt_run(txn->conn, stmt, "member_update", err);
    if (rc == PT_ECONFLICT) {
        return member_conflict(txn, err);
    }
    if (rc == PT_OK && sqlite3_changes(txn->conn->db) == 0) {
        rc = pt_err_set(err, PT_EBUSY, NULL, "the member changed meanwhile, retry");
    }
    return rc;
}

/* Escapes LIKE wildcards of a prefix and appends '%'; returns an arena string or NULL. */
static char *like_prefix(struct pt_arena *arena, const char *q)
{
    size_t n = strlen(q);
    char *out = pt_arena_alloc(arena, 2 * n + 2);
    size_t o = 0;
    size_t i;
    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (q[i] == '%' || q[i] == '_' || q[i] == '\\') {
            out[o++] = '\\';
        }
        out[o++] = q[i];
    }
    out[o++] = '%';
    out[o] = '\0';
    return out;
}

enum pt_rc pt_store_member_list(struct pt_store_txn *txn, const char *program_id,
                                const struct pt_member_filter *filter, struct pt_arena *arena,
                                struct pt_member **out, unsigned *count, struct pt_err *err)
{
    /* The query is assembled from these static fragments only; values are always bound. */
    struct pt_buf sql;
    sqlite3_stmt *stmt = NULL;
    enum pt_rc rc = PT_OK;
    char *like = NULL;
    bool oom = false;
    int step;
    pt_assert(filter->limit >= 1 && filter->limit <= PT_PAGE_LIMIT_MAX + 1);
    *count = 0;
    *out = pt_arena_alloc(arena, filter->limit * sizeof(**out));
    if (*out == NULL || (filter->q && (like = like_prefix(arena, filter->q)) == NULL)) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    pt_buf_init(&sql, 4096);
    (void)pt_buf_append(&sql, "SELECT " MEMBER_COLUMNS " FROM members WHERE program_id = ?1",
                        strlen("SELECT " MEMBER_COLUMNS " FROM members WHERE program_id = ?1"));
#define APPEND(s) (void)pt_buf_append(&sql, s, sizeof(s) - 1)
    if (filter->email) {
        APPEND(" AND email = ?2");
    }
    if (filter->phone) {
        APPEND(" AND phone = ?3");
    }
    if (filter->external_id) {
        APPEND(" AND external_id = ?4");
    }
    if (filter->card_number) {
        APPEND(" AND card_number = ?5");
    }
    if (like) {
        APPEND(" AND (first_name LIKE ?6 ESCAPE '\\' OR last_name LIKE ?6 ESCAPE '\\'"
               " OR email LIKE ?6 ESCAPE '\\')");
    }
    if (filter->cursor_id) {
        APPEND(" AND id < ?7");
    }
    APPEND(" ORDER BY id DESC LIMIT ?8");
#undef APPEND
    if (sql.failed) {
        pt_buf_fini(&sql);
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    if (sqlite3_prepare_v2(txn->conn->db, sql.ptr, (int)sql.len, &stmt, NULL) != SQLITE_OK) {
        rc = db_fail(err, txn->conn->db, sqlite3_extended_errcode(txn->conn->db), "member_list");
        goto out;
    }
    /* Unused parameter numbers are simply not referenced by the text; binding them is harmless. */
    (void)bind_text(stmt, 1, program_id);
    (void)bind_text(stmt, 2, filter->email);
    (void)bind_text(stmt, 3, filter->phone);
    (void)bind_text(stmt, 4, filter->external_id);
    (void)bind_text(stmt, 5, filter->card_number);
    (void)bind_text(stmt, 6, like);
    (void)bind_text(stmt, 7, filter->cursor_id);
    (void)sqlite3_bind_int(stmt, 8, (int)filter->limit);
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        pt_assert(*count < filter->limit);
        member_from_row(stmt, program_id, arena, &(*out)[*count], &oom);
        (*count)++;
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(err, txn->conn->db, sqlite3_extended_errcode(txn->conn->db), "member_list");
    } else if (oom) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
out:
    (void)sqlite3_finalize(stmt);
    pt_buf_fini(&sql);
    return rc;
}

/* ---- Idempotency ---- */

enum pt_rc pt_store_idem_get(struct pt_store_txn *txn, const char *program_id, const char *key,
                             int64_t now_ms, struct pt_arena *arena, struct pt_idem_record *out,
                             struct pt_err *err)
{
    static const char sql[] = "SELECT request_hash, status, body, created_at_ms, ref_id "
                              "FROM idempotency_keys WHERE program_id = ?1 AND key = ?2 "
                              "AND created_at_ms > ?3";
    sqlite3_stmt *stmt = NULL;
    bool oom = false;
    int step;
    enum pt_rc rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)bind_text(stmt, 1, program_id);
    (void)bind_text(stmt, 2, key);
    (void)sqlite3_bind_int64(stmt, 3, now_ms - (int64_t)PT_IDEMPOTENCY_KEEP_S * 1000);
    step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        pt_assert(sqlite3_column_bytes(stmt, 0) == 32);
        memcpy(out->request_hash, sqlite3_column_blob(stmt, 0), 32);
        out->status = sqlite3_column_int(stmt, 1);
        out->body = column_text(stmt, 2, arena, &oom);
        out->created_at_ms = sqlite3_column_int64(stmt, 3);
        out->ref_id = column_text(stmt, 4, arena, &oom);
        rc = oom ? pt_err_set(err, PT_ENOMEM, NULL, "out of memory") : PT_OK;
    } else if (step == SQLITE_DONE) {
        rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such idempotency key");
    } else {
        rc = db_fail(err, txn->conn->db, sqlite3_extended_errcode(txn->conn->db), "idem_get");
    }
    stmt_done(stmt);
    return rc;
}

enum pt_rc pt_store_idem_put(struct pt_store_txn *txn, const char *program_id, const char *key,
                             const struct pt_idem_record *rec, struct pt_err *err)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO idempotency_keys (program_id, key, request_hash, status, body, "
        "created_at_ms, ref_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    sqlite3_stmt *stmt = NULL;
    enum pt_rc rc;
    pt_assert(txn->is_write);
    pt_assert(rec->body != NULL);
    rc = stmt_get(txn->conn, sql, &stmt, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)bind_text(stmt, 1, program_id);
    (void)bind_text(stmt, 2, key);
    (void)sqlite3_bind_blob(stmt, 3, rec->request_hash, 32, SQLITE_STATIC);
    (void)sqlite3_bind_int(stmt, 4, rec->status);
    (void)bind_text(stmt, 5, rec->body);
    (void)sqlite3_bind_int64(stmt, 6, rec->created_at_ms);
    (void)bind_text(stmt, 7, rec->ref_id);
    return stmt_run(txn->conn, stmt, "idem_put", err);
}

/* ---- Query cursors (store_int.h) ---- */

enum pt_rc pt_q_open(struct pt_q *q, struct pt_store_txn *txn, const char *sql, struct pt_err *err)
{
    sqlite3_stmt *stmt = NULL;
    q->txn = txn;
    q->err = err;
    q->oom = false;
    q->rc = stmt_get(txn->conn, sql, &stmt, err);
    q->stmt = stmt;
    return q->rc;
}

void pt_q_text(struct pt_q *q, int index, const char *s)
{
    if (q->rc == PT_OK) {
        (void)bind_text(q->stmt, index, s); /* Indexes are constants of the SQL text. */
    }
}

void pt_q_int(struct pt_q *q, int index, int64_t v)
{
    if (q->rc == PT_OK) {
        (void)sqlite3_bind_int64(q->stmt, index, v);
    }
}

void pt_q_null(struct pt_q *q, int index)
{
    if (q->rc == PT_OK) {
        (void)sqlite3_bind_null(q->stmt, index);
    }
}

bool pt_q_next(struct pt_q *q)
{
    int step;
    if (q->rc != PT_OK) {
        return false;
    }
    step = sqlite3_step(q->stmt);
    if (step == SQLITE_ROW) {
        return true;
    }
    if (step != SQLITE_DONE) {
        q->rc =
            db_fail(q->err, q->txn->conn->db, sqlite3_extended_errcode(q->txn->conn->db), "query");
    }
    return false;
}

int64_t pt_q_col_int(struct pt_q *q, int col)
{
    return sqlite3_column_int64(q->stmt, col);
}

bool pt_q_col_is_null(struct pt_q *q, int col)
{
    return sqlite3_column_type(q->stmt, col) == SQLITE_NULL;
}

const char *pt_q_col_text(struct pt_q *q, int col, struct pt_arena *arena)
{
    return column_text(q->stmt, col, arena, &q->oom);
}

void pt_q_col_copy(struct pt_q *q, int col, char *out, size_t out_bytes)
{
    column_copy(q->stmt, col, out, out_bytes);
}

enum pt_rc pt_q_exec(struct pt_q *q)
{
    if (q->rc != PT_OK) {
        return q->rc;
    }
    q->rc = stmt_run(q->txn->conn, q->stmt, "exec", q->err);
    return q->rc;
}

int64_t pt_q_changes(struct pt_q *q)
{
    return sqlite3_changes(q->txn->conn->db);
}

enum pt_rc pt_q_close(struct pt_q *q)
{
    if (q->stmt != NULL) {
        stmt_done(q->stmt);
    }
    if (q->rc == PT_OK && q->oom) {
        q->rc = pt_err_set(q->err, PT_ENOMEM, NULL, "out of memory");
    }
    return q->rc;
}

bool pt_store_txn_is_write(const struct pt_store_txn *txn)
{
    return txn->is_write;
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
