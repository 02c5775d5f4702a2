/* SPDX-License-Identifier: MIT */
/*
 * The SQLite driver (driver.h). One WAL database with synchronous=FULL, so that a committed
 * write survives a crash or a power cut. The writer connection also owns the checkpointer: a
 * background thread with its own connection that copies the WAL into the database, so that a
 * commit never pays for a checkpoint. Result codes are mapped here, once: BUSY/LOCKED ->
 * PT_EBUSY, CONSTRAINT -> PT_ECONFLICT, NOMEM -> PT_ENOMEM, TOOBIG and "integer overflow" ->
 * PT_ELIMIT, MISMATCH and RANGE -> PT_EINTERNAL (no retry cures them), everything else ->
 * PT_ESTORE; an
 * I/O error or a corrupt page is a disk failure. sqlite3 types never leave this file.
 */
#include "store/driver.h"
#include "store/store_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/limits.h"
#include "base/log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Distinct static statements per connection: an open-addressing table keyed by the text's
 * address, kept at most three quarters full (every statement of src/store fits twice). */
#define PT_STMT_CACHE_SLOTS 512
#define PT_STMT_CACHE_MAX (PT_STMT_CACHE_SLOTS / 4 * 3)
/* Milliseconds a connection waits on another process's lock before PT_EBUSY. */
#define PT_SQLITE_BUSY_TIMEOUT_MS 5000

struct stmt_slot {
    const char *sql;    /* Static text; the cache key is its address. */
    sqlite3_stmt *stmt; /* Owned by the connection. */
};

struct pt_db {
    sqlite3 *db; /* Owned. */
    struct pt_db_counts counts;
    struct stmt_slot cache[PT_STMT_CACHE_SLOTS];
    unsigned cache_count;
    /* Writer only: the checkpointer and the folder for the free-space check. */
    struct pt_db_events events;
    char dir[1024];
    struct pt_db *checkpointer; /* Its own connection; owned. */
    pthread_t ckpt_thread;
    bool ckpt_started;
    pthread_mutex_t ckpt_mu; /* Guards ckpt_wanted and ckpt_stopping. */
    pthread_cond_t ckpt_cv;  /* Signalled by the WAL hook and by close. */
    bool ckpt_wanted;        /* The WAL passed PT_WAL_CHECKPOINT_PAGES since the last one. */
    bool ckpt_stopping;
    bool ckpt_failed;     /* A background checkpoint met a disk failure: no more; ckpt_mu. */
    bool writer_ckpt_due; /* Writer thread only: the WAL passed PT_WAL_RESTART_PAGES. */
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
    } else if (primary == SQLITE_TOOBIG || (primary == SQLITE_ERROR && db != NULL &&
                                            strcmp(sqlite3_errmsg(db), "integer overflow") == 0)) {
        /* Out of range (sum() past int64, a value too big): no retry cures it. */
        prc = PT_ELIMIT;
    } else if (primary == SQLITE_MISMATCH || primary == SQLITE_RANGE) {
        prc = PT_EINTERNAL; /* A bug of the caller: permanent, never "unavailable". */
    }
    (void)pt_err_set(err, prc, NULL, "%s",
                     prc == PT_EBUSY    ? "the database is busy, retry"
                     : prc == PT_ENOMEM ? "out of memory"
                     : prc == PT_ELIMIT ? "a value is out of the range the ledger allows"
                                        : "the database could not be used");
    if (prc == PT_ELIMIT) {
        (void)pt_err_code(err, "limit_exceeded");
    }
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

/* An I/O error or a corrupt page; SQLITE_FULL is not one: writes resume when space returns. */
static bool code_is_disk_failure(int sqlite_rc)
{
    int primary = sqlite_rc & 0xff;
    return primary == SQLITE_IOERR || primary == SQLITE_CORRUPT;
}

static bool sq_is_disk_failure(const struct pt_err *err)
{
    return strncmp(err->backend, "SQLITE_", 7) == 0 &&
           code_is_disk_failure((int)strtol(err->backend + 7, NULL, 10));
}

/* ---- Connections ---- */

/* Counted once, however many statements sql holds (only the migrations' texts hold several). */
static enum pt_rc sq_exec(struct pt_db *c, const char *sql, struct pt_err *err)
{
    int rc;
    pt_db_counts_add(&c->counts, pt_db_sql_is_txn_control(sql));
    rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        return db_fail(err, c->db, sqlite3_extended_errcode(c->db), "exec");
    }
    return PT_OK;
}

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

/* Process-wide SQLite settings, before its first use. Memory statistics off: with them on,
 * every SQLite allocation takes one global mutex, which all reader threads contend for. */
static void sqlite_configure(void)
{
    /* SQLITE_MISUSE when SQLite was already initialized (a test's preloaded VFS): harmless. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* ---- sum() in 128 bits ---- */

/*
 * SQLite's own sum() of integers fails the whole statement with "integer overflow" as soon as a
 * partial sum passes int64, whatever the final sum; total() is a float and loses units. The
 * audit adds up a whole program's postings, lots and credits, each bounded (limits.h) but many,
 * so this driver replaces sum() on its connections by one that adds integers in 128 bits: exact
 * whatever the order of the rows. Its result is the integer sum when that fits int64 (the only
 * case a consistent ledger has), else a float, which no stored integer equals, so that the audit
 * reports the mismatch instead of failing to run. Non-integer inputs are added as floats, as
 * SQLite's sum() does; no row at all gives NULL, as it does.
 */
__extension__ typedef __int128 sum_int;

/* SQLite's aggregate context is only 8-byte aligned: the 128-bit sum is kept as bytes. */
struct sum_state {
    unsigned char whole[sizeof(sum_int)]; /* Sum of the integer inputs, a sum_int. */
    double fraction;                      /* Sum of the other non-NULL inputs. */
    bool any;                             /* A non-NULL input was seen. */
    bool non_integer; /* One of them was not an integer: the result is a float. */
};

static void sum_add(struct sum_state *st, sum_int v)
{
    sum_int whole;
    memcpy(&whole, st->whole, sizeof(whole));
    whole += v;
    memcpy(st->whole, &whole, sizeof(whole));
}

static void sql_sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sum_state *st = sqlite3_aggregate_context(ctx, (int)sizeof(*st));
    int type;
    pt_assert(argc == 1);
    if (st == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    type = sqlite3_value_numeric_type(argv[0]);
    if (type == SQLITE_NULL) {
        return;
    }
    st->any = true;
    if (type == SQLITE_INTEGER) {
        sum_add(st, sqlite3_value_int64(argv[0])); /* 2^63 rows could not overflow 2^127. */
    } else {
        st->non_integer = true;
        st->fraction += sqlite3_value_double(argv[0]);
    }
}

/* The window form (migrations number rows with sum() OVER): a row leaving the frame. */
static void sql_sum_inverse(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sum_state *st = sqlite3_aggregate_context(ctx, (int)sizeof(*st));
    int type;
    pt_assert(argc == 1);
    if (st == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    type = sqlite3_value_numeric_type(argv[0]);
    if (type == SQLITE_INTEGER) {
        sum_add(st, -(sum_int)sqlite3_value_int64(argv[0]));
    } else if (type != SQLITE_NULL) {
        st->fraction -= sqlite3_value_double(argv[0]);
    }
}

static void sql_sum_final(sqlite3_context *ctx)
{
    struct sum_state *st = sqlite3_aggregate_context(ctx, 0);
    sum_int whole;
    if (st == NULL || !st->any) {
        sqlite3_result_null(ctx);
        return;
    }
    memcpy(&whole, st->whole, sizeof(whole));
    if (!st->non_integer && whole >= INT64_MIN && whole <= INT64_MAX) {
        sqlite3_result_int64(ctx, (sqlite3_int64)whole);
    } else {
        sqlite3_result_double(ctx, (double)whole + st->fraction);
    }
}

/* Events written by this version: after those migrated from before it (txid 0). */
static void sql_txid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_int64(ctx, 1);
}

static void sql_txid_horizon(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_int64(ctx, INT64_MAX);
}

static enum pt_rc conn_open(const char *path, int flags, struct pt_db **out, struct pt_err *err)
{
    struct pt_db *c = pt_calloc(1, sizeof(*c));
    int rc;
    *out = NULL;
    if (c == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    atomic_init(&c->counts.statements, 0);
    atomic_init(&c->counts.txn_control, 0);
    rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        enum pt_rc prc = db_fail(err, c->db, rc, "open");
        if (rc == SQLITE_CANTOPEN) {
            prc = pt_err_set(err, PT_ESTORE, NULL, "cannot open database file %s", path);
        }
        (void)sqlite3_close(c->db);
        pt_free(c);
        return prc == PT_OK ? PT_ESTORE : prc;
    }
    rc = sqlite3_extended_result_codes(c->db, 1);
    pt_assert(rc == SQLITE_OK);
    /* The event feed's transaction order (pt_store_event_list): with one writer, commit order
     * is seq order, so every transaction has the same id and all of them are committed. */
    rc = sqlite3_create_function_v2(c->db, "pt_txid", 0, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                    sql_txid, NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_create_function_v2(c->db, "pt_txid_horizon", 0,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_txid_horizon,
                                        NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_create_window_function(c->db, "sum", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                            NULL, sql_sum_step, sql_sum_final, sql_sum_final,
                                            sql_sum_inverse, NULL);
    }
    if (rc != SQLITE_OK) {
        enum pt_rc prc = db_fail(err, c->db, rc, "open");
        (void)sqlite3_close(c->db);
        pt_free(c);
        return prc;
    }
    rc = sqlite3_busy_timeout(c->db, PT_SQLITE_BUSY_TIMEOUT_MS);
    pt_assert(rc == SQLITE_OK);
    *out = c;
    return PT_OK;
}

static void conn_free(struct pt_db *c)
{
    unsigned i;
    for (i = 0; i < PT_STMT_CACHE_SLOTS; i++) {
        if (c->cache[i].stmt != NULL) {
            (void)sqlite3_finalize(c->cache[i].stmt); /* Errors were reported at step time. */
        }
    }
    if (c->db != NULL) {
        int rc = sqlite3_close(c->db);
        pt_assert(rc == SQLITE_OK); /* Every statement was finalized above. */
    }
    pt_free(c);
}

static enum pt_rc sq_open(const char *path, enum pt_db_role role, bool create,
                          const struct pt_db_events *events, struct pt_db **out, struct pt_err *err)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    struct stat st;
    struct pt_db *c;
    enum pt_rc rc;
    *out = NULL;
    (void)pthread_once(&configured, sqlite_configure); /* Cannot fail with a valid once. */
    if (role == PT_DB_READER) {
        rc = conn_open(path, SQLITE_OPEN_READONLY, &c, err);
        if (rc == PT_OK) {
            /* No mmap for readers: each connection's mapping of the same pages counts again in
             * the process's RSS (measured: 1.1 GB peak on a 120 MB database with 64 readers,
             * 179 MB without), and mapping was no faster (22-23 k balance reads/s either way). */
            rc = sq_exec(c, "PRAGMA cache_size=-2048; PRAGMA mmap_size=0", err);
            if (rc != PT_OK) {
                conn_free(c);
                return rc;
            }
        }
        *out = rc == PT_OK ? c : NULL;
        return rc;
    }
    if (!create && stat(path, &st) != 0) {
        return pt_err_set(err, PT_ENOTFOUND, NULL,
                          "no database at %s; create one with `patron init --db %s`", path, path);
    }
    if (create && (rc = ensure_parent_dir(path, err)) != PT_OK) {
        return rc;
    }
    rc = conn_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &c, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = sq_exec(c,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                 "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
                 "PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=67108864;"
                 "PRAGMA wal_autocheckpoint=0",
                 err);
    if (rc != PT_OK) {
        conn_free(c);
        return rc;
    }
    if (events != NULL) {
        c->events = *events;
    }
    (void)snprintf(c->dir, sizeof(c->dir), "%s", path);
    if (strrchr(c->dir, '/') != NULL) {
        *strrchr(c->dir, '/') = '\0';
    } else {
        (void)snprintf(c->dir, sizeof(c->dir), ".");
    }
    if (c->dir[0] == '\0') {
        (void)snprintf(c->dir, sizeof(c->dir), "/");
    }
    pthread_mutex_init(&c->ckpt_mu, NULL);
    pthread_cond_init(&c->ckpt_cv, NULL);
    *out = c;
    return PT_OK;
}

/* ---- Checkpoints, off the writer's path ---- */

static void disk_failed(struct pt_db *writer, const char *why)
{
    if (writer->events.disk_failed != NULL) {
        writer->events.disk_failed(writer->events.arg, why);
    }
}

/* Called by SQLite on the writer thread after each commit, with the WAL's size in pages. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct pt_db *w = arg;
    (void)db;
    (void)name;
    /* The background checkpoint cannot finish while the writer keeps appending, and SQLite
     * starts the WAL over only after a finished one: past the restart mark the writer finishes
     * it itself, between batches, when little is left to copy. */
    w->writer_ckpt_due = pages >= PT_WAL_RESTART_PAGES;
    if (pages >= PT_WAL_CHECKPOINT_PAGES) {
        pthread_mutex_lock(&w->ckpt_mu);
        if (!w->ckpt_wanted) {
            w->ckpt_wanted = true;
            pthread_cond_signal(&w->ckpt_cv);
        }
        pthread_mutex_unlock(&w->ckpt_mu);
    }
    return SQLITE_OK;
}

/* Copies the WAL into the database in the background. PASSIVE never waits for the writer or
 * the readers, so a commit never pays for a checkpoint (the stalls of the prototype); SQLite
 * starts the WAL over once a checkpoint has caught up, which keeps it bounded. A disk failure
 * stops the checkpoints with the writes: the WAL keeps what the database file may have lost. */
static void *checkpointer_main(void *arg)
{
    struct pt_db *w = arg;
    pthread_mutex_lock(&w->ckpt_mu);
    while (!w->ckpt_stopping) {
        while (!w->ckpt_wanted && !w->ckpt_stopping) {
            pthread_cond_wait(&w->ckpt_cv, &w->ckpt_mu);
        }
        if (w->ckpt_stopping || w->ckpt_failed) {
            break;
        }
        w->ckpt_wanted = false;
        pthread_mutex_unlock(&w->ckpt_mu);
        /* A busy or partial passive checkpoint is simply retried at the next signal. */
        if (code_is_disk_failure(sqlite3_wal_checkpoint_v2(
                w->checkpointer->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL))) {
            disk_failed(w, "checkpoint");
            pthread_mutex_lock(&w->ckpt_mu);
            w->ckpt_failed = true;
            continue;
        }
        pthread_mutex_lock(&w->ckpt_mu);
    }
    pthread_mutex_unlock(&w->ckpt_mu);
    return NULL;
}

static enum pt_rc sq_start(struct pt_db *w, const char *path, struct pt_err *err)
{
    enum pt_rc rc = conn_open(path, SQLITE_OPEN_READWRITE, &w->checkpointer, err);
    if (rc == PT_OK) {
        /* A connection sees the WAL only once it has read the database. */
        rc = sq_exec(w->checkpointer, "SELECT count(*) FROM sqlite_master", err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (pthread_create(&w->ckpt_thread, NULL, checkpointer_main, w) != 0) {
        return pt_err_set(err, PT_EINTERNAL, NULL, "cannot start the checkpoint thread");
    }
    w->ckpt_started = true;
    (void)sqlite3_wal_hook(w->db, wal_hook, w); /* Returns the previous hook. */
    return PT_OK;
}

/* The store calls it only while writes are not stopped. */
static void sq_after_batch(struct pt_db *w)
{
    if (w->writer_ckpt_due) {
        /* Passive: never waits for readers; a busy result is retried after the next batch. */
        if (code_is_disk_failure(
                sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL))) {
            disk_failed(w, "checkpoint");
        }
        w->writer_ckpt_due = false;
    }
}

static int64_t sq_free_bytes(struct pt_db *w)
{
    struct statvfs fs;
    if (statvfs(w->dir, &fs) != 0) {
        return -1;
    }
    return (int64_t)fs.f_bavail * (int64_t)fs.f_frsize;
}

static void sq_close(struct pt_db *c, bool writes_stopped)
{
    if (c == NULL) {
        return;
    }
    if (c->ckpt_started) {
        pthread_mutex_lock(&c->ckpt_mu);
        c->ckpt_stopping = true;
        pthread_cond_signal(&c->ckpt_cv);
        pthread_mutex_unlock(&c->ckpt_mu);
        (void)pthread_join(c->ckpt_thread, NULL); /* Joinable: cannot fail. */
    }
    if (writes_stopped) {
        /* Closing would checkpoint the WAL into a file whose writes are in doubt. */
        (void)sqlite3_db_config(c->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
        if (c->checkpointer != NULL) {
            (void)sqlite3_db_config(c->checkpointer->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
        }
    }
    if (c->checkpointer != NULL) {
        conn_free(c->checkpointer);
    }
    if (c->dir[0] != '\0') {
        pthread_mutex_destroy(&c->ckpt_mu);
        pthread_cond_destroy(&c->ckpt_cv);
    }
    conn_free(c);
}

/* ---- Statements ---- */

static enum pt_rc sq_prepare(struct pt_db *c, const char *sql, bool cached, struct pt_db_stmt **out,
                             struct pt_err *err)
{
    sqlite3_stmt *stmt = NULL;
    unsigned i;
    int rc;
    *out = NULL;
    if (!cached) {
        /* Not SQLITE_PREPARE_PERSISTENT: the statement lives for this one query. */
        rc = sqlite3_prepare_v2(c->db, sql, -1, &stmt, NULL);
        if (rc != SQLITE_OK) {
            return db_fail(err, c->db, sqlite3_extended_errcode(c->db), "prepare");
        }
        *out = (struct pt_db_stmt *)stmt;
        return PT_OK;
    }
    for (i = pt_stmt_slot(sql, PT_STMT_CACHE_SLOTS); c->cache[i].sql != NULL;
         i = (i + 1) % PT_STMT_CACHE_SLOTS) {
        if (c->cache[i].sql == sql) {
            *out = (struct pt_db_stmt *)c->cache[i].stmt;
            return PT_OK;
        }
    }
    pt_assert(c->cache_count < PT_STMT_CACHE_MAX);
    rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        return db_fail(err, c->db, rc, "prepare");
    }
    c->cache[i].sql = sql;
    c->cache[i].stmt = stmt;
    c->cache_count++;
    *out = (struct pt_db_stmt *)stmt;
    return PT_OK;
}

/* Bind results are not checked: the indexes are constants of the SQL text, and the strings
 * are borrowed (SQLITE_STATIC) until release. */
static void sq_bind_text(struct pt_db_stmt *st, int index, const char *s)
{
    sqlite3_stmt *stmt = (sqlite3_stmt *)st;
    if (s == NULL) {
        (void)sqlite3_bind_null(stmt, index);
    } else {
        (void)sqlite3_bind_text(stmt, index, s, -1, SQLITE_STATIC);
    }
}

static void sq_bind_int(struct pt_db_stmt *st, int index, int64_t v)
{
    (void)sqlite3_bind_int64((sqlite3_stmt *)st, index, v);
}

static void sq_bind_null(struct pt_db_stmt *st, int index)
{
    (void)sqlite3_bind_null((sqlite3_stmt *)st, index);
}

static void sq_bind_blob(struct pt_db_stmt *st, int index, const void *bytes, size_t len)
{
    pt_assert(len <= (size_t)INT_MAX); /* SQLite takes the length as an int. */
    (void)sqlite3_bind_blob((sqlite3_stmt *)st, index, bytes, (int)len, SQLITE_STATIC);
}

static enum pt_rc sq_step(struct pt_db *c, struct pt_db_stmt *st, bool *row, struct pt_err *err)
{
    sqlite3_stmt *stmt = (sqlite3_stmt *)st;
    int step;
    /* Not busy: not stepped since its reset or its end, so this step executes it anew. */
    if (!sqlite3_stmt_busy(stmt)) {
        pt_db_counts_add(&c->counts, pt_db_sql_is_txn_control(sqlite3_sql(stmt)));
    }
    step = sqlite3_step(stmt);
    *row = step == SQLITE_ROW;
    if (step == SQLITE_ROW || step == SQLITE_DONE) {
        return PT_OK;
    }
    return db_fail(err, c->db, sqlite3_extended_errcode(c->db), "step");
}

/* A column past the statement's is a query and its reader out of step (PostgreSQL's driver
 * would read a NULL there): debug builds stop. */
#define SQ_COL_OK(st, col)                                                                         \
    pt_debug_assert((col) >= 0 && (col) < sqlite3_column_count((sqlite3_stmt *)(st)))

static int64_t sq_col_int(struct pt_db_stmt *st, int col)
{
    SQ_COL_OK(st, col);
    return sqlite3_column_int64((sqlite3_stmt *)st, col);
}

static bool sq_col_is_null(struct pt_db_stmt *st, int col)
{
    SQ_COL_OK(st, col);
    return sqlite3_column_type((sqlite3_stmt *)st, col) == SQLITE_NULL;
}

static const char *sq_col_text(struct pt_db_stmt *st, int col, size_t *len)
{
    SQ_COL_OK(st, col);
    /* sqlite3_column_bytes after sqlite3_column_text: the length of the text returned. */
    const unsigned char *s = sqlite3_column_text((sqlite3_stmt *)st, col);
    *len = s != NULL ? (size_t)sqlite3_column_bytes((sqlite3_stmt *)st, col) : 0;
    return (const char *)s;
}

static const void *sq_col_blob(struct pt_db_stmt *st, int col, size_t *len)
{
    SQ_COL_OK(st, col);
    const void *bytes = sqlite3_column_blob((sqlite3_stmt *)st, col);
    int n = sqlite3_column_bytes((sqlite3_stmt *)st, col);
    pt_assert(n >= 0);
    *len = (size_t)n;
    return bytes;
}

static void sq_release(struct pt_db_stmt *st, bool cached)
{
    sqlite3_stmt *stmt = (sqlite3_stmt *)st;
    if (!cached) {
        (void)sqlite3_finalize(stmt); /* Accepts NULL; errors were reported at step time. */
        return;
    }
    /* Reset so that it holds no read lock; the last step's error was already handled. */
    (void)sqlite3_reset(stmt);
    (void)sqlite3_clear_bindings(stmt);
}

/* SQLite's online backup: pages copied from one read snapshot, while the writer goes on. */
static enum pt_rc sq_backup(struct pt_db *c, const char *dest, struct pt_err *err)
{
    struct stat st;
    sqlite3 *out = NULL;
    sqlite3_backup *b;
    enum pt_rc rc = PT_OK;
    int step;
    if (stat(dest, &st) == 0) {
        return pt_err_set(err, PT_ECONFLICT, NULL, "%s exists; a backup never overwrites a file",
                          dest);
    }
    step = sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (step != SQLITE_OK) {
        rc = db_fail(err, out, step, "backup open");
        (void)sqlite3_close(out);
        return rc;
    }
    b = sqlite3_backup_init(out, "main", c->db, "main");
    if (b == NULL) {
        rc = db_fail(err, out, sqlite3_extended_errcode(out), "backup");
        (void)sqlite3_close(out);
        return rc;
    }
    step = sqlite3_backup_step(b, -1); /* Every page, from one snapshot of the source. */
    if (step != SQLITE_DONE) {
        rc = db_fail(err, out, step, "backup");
    }
    (void)sqlite3_backup_finish(b); /* Its result repeats the step's, handled above. */
    if (rc == PT_OK) {
        /* The copy keeps the source's WAL mode, so a server can start on it as it is. */
        step = sqlite3_exec(out, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        if (step != SQLITE_OK) {
            rc = db_fail(err, out, sqlite3_extended_errcode(out), "backup");
        }
    }
    if (sqlite3_close(out) != SQLITE_OK && rc == PT_OK) {
        rc = pt_err_set(err, PT_ESTORE, NULL, "the backup file could not be closed");
    }
    if (rc != PT_OK) {
        (void)unlink(dest); /* No half-written backup left behind. */
    }
    return rc;
}

static int64_t sq_changes(struct pt_db *c)
{
    return sqlite3_changes(c->db);
}

static const char *sq_error_detail(struct pt_db *c)
{
    /* The connection keeps its last error's message until its next call: a statement's reset
     * leaves it in place. */
    return sqlite3_errmsg(c->db);
}

static const struct pt_db_counts *sq_counts(struct pt_db *c)
{
    return &c->counts;
}

static bool sq_in_transaction(struct pt_db *c)
{
    return !sqlite3_get_autocommit(c->db);
}

static const char *const sq_after_copy[] = {NULL};

const struct pt_driver pt_driver_sqlite = {
    .name = "sqlite",
    .sql_begin_write = "BEGIN IMMEDIATE",
    .sql_begin_read = "BEGIN",
    .sql_has_version_table =
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
    .sql_write_txid = NULL, /* A commit's outcome is known in-process. */
    .sql_txid_status = NULL,
    .sql_after_copy = sq_after_copy,
    .migrations = pt_store_migrations,
    .open = sq_open,
    .start = sq_start,
    .close = sq_close,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .bind_text = sq_bind_text,
    .bind_int = sq_bind_int,
    .bind_null = sq_bind_null,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .col_int = sq_col_int,
    .col_is_null = sq_col_is_null,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .release = sq_release,
    .changes = sq_changes,
    .error_detail = sq_error_detail,
    .in_transaction = sq_in_transaction,
    .is_disk_failure = sq_is_disk_failure,
    .after_batch = sq_after_batch,
    .free_bytes = sq_free_bytes,
    .backup = sq_backup,
    .counts = sq_counts,
};
