/* SPDX-License-Identifier: MIT */
/*
 * The writer: one write connection owned by a writer thread that applies queued writes in
 * batches, each command in its own savepoint, and commits a batch at once (group commit, one
 * fsync); load shedding when the queue would wait too long; and, on PostgreSQL, the writes of a
 * batch whose COMMIT lost its connection, which wait until the server tells how it ended.
 */
#include "store/store_core.h"

#include "base/arena.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A write waiting for the writer: lives on the stack of the thread that called pt_store_write. */
struct pt_write_cmd {
    pt_store_write_fn fn;      /* The work; runs on the writer thread inside a savepoint. */
    void *ctx;                 /* Passed to fn; borrowed. */
    struct pt_err *err;        /* The caller's error; filled on failure. */
    enum pt_rc rc;             /* Result, valid once done. */
    bool done;                 /* Set by the writer after the batch committed or failed. */
    pthread_cond_t done_cv;    /* Signalled with done: only this command's caller wakes. */
    int64_t queued_at_us;      /* Monotonic time it joined the queue. */
    bool background;           /* pt_store_write_background: a long write of background work. */
    struct pt_write_cmd *next; /* Queue link. */
    /* A write whose batch's COMMIT was lost with the connection waits, in the store's in_doubt
     * list, until the server tells whether transaction doubt_txid committed. */
    bool in_doubt;
    int64_t doubt_txid;
    int64_t doubt_until_us;          /* Monotonic time it stops waiting: outcome_unknown. */
    struct pt_write_cmd *doubt_next; /* in_doubt link. */
};

static const char sql_savepoint[] = "SAVEPOINT cmd";
static const char sql_rollback_to[] = "ROLLBACK TO cmd";
static const char sql_release[] = "RELEASE cmd";

/* Stops the process: the writer's transaction state is unknown, and a ledger must not go on
 * writing on top of it. */
static _Noreturn void pt_fatal_store(const char *what)
{
    pt_log("fatal", what, "");
    abort();
}

/* ---- A batch: savepoints and the commit ---- */

/* Runs one command inside its own savepoint, so that a failing command leaves no trace and does
 * not fail its neighbours in the batch. Returns false when the batch's transaction is gone (a
 * connection to a database server was lost): then nothing of the batch was written. */
static bool writer_run_one(struct pt_store *store, struct pt_write_cmd *cmd, struct pt_err *lost)
{
    const struct pt_driver *drv = store->drv;
    enum pt_rc rc = pt_store_conn_run(drv, store->writer, sql_savepoint, cmd->err);
    if (rc == PT_OK) {
        uint64_t failures = pt_arena_failures_here();
        unsigned touched = store->touched_count;
        rc = cmd->fn(&store->write_txn, cmd->ctx, cmd->err);
        pt_assert(rc != PT_OK || cmd->err->rc == PT_OK);
        if (rc == PT_OK && pt_arena_failures_here() != failures) {
            /* An arena allocation failed (latched, base/arena.h) and the write went on: what it
             * wrote cannot be trusted. It is undone, and answered as out of memory. */
            rc = pt_err_set(cmd->err, PT_ENOMEM, NULL, "out of memory");
            pt_log("warn", "a write met an allocation failure and is undone", "");
        }
        if (rc != PT_OK) {
            store->touched_count = touched; /* Undone: it wrote no account to check. */
        }
        if (rc != PT_OK && drv->is_disk_failure(cmd->err)) {
            pt_store_stop_writes(store, "write");
        }
        if ((rc == PT_OK ||
             pt_store_conn_run(drv, store->writer, sql_rollback_to, lost) == PT_OK) &&
            pt_store_conn_run(drv, store->writer, sql_release, lost) == PT_OK) {
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
        rc = pt_store_conn_int(drv, store->writer, drv->sql_write_txid, NULL, &id, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_conn_run(drv, store->writer, pt_store_sql_commit, err);
        if (rc != PT_OK) {
            *txid = id;
        }
    }
    return rc;
}

/* ---- The batch's accounts (debug builds) ---- */

void pt_store_touch_account(struct pt_store_txn *txn, const char *program_id, const char *member_id,
                            const char *account_id)
{
#ifdef PT_DEBUG
    struct pt_store *store = txn->store;
    struct pt_touched_account *t;
    unsigned i;
    if (!txn->is_write) {
        return;
    }
    for (i = 0; i < store->touched_count; i++) {
        t = &store->touched[i];
        if (strcmp(t->account_id, account_id) == 0 && strcmp(t->member_id, member_id) == 0 &&
            strcmp(t->program_id, program_id) == 0) {
            return;
        }
    }
    if (store->touched_count == PT_TOUCHED_ACCOUNTS_MAX) {
        store->touched_overflow = true;
        return;
    }
    t = &store->touched[store->touched_count++];
    (void)snprintf(t->program_id, sizeof(t->program_id), "%s", program_id);
    (void)snprintf(t->member_id, sizeof(t->member_id), "%s", member_id);
    (void)snprintf(t->account_id, sizeof(t->account_id), "%s", account_id);
#else
    (void)txn;
    (void)program_id;
    (void)member_id;
    (void)account_id;
#endif
}

#ifdef PT_DEBUG
/* The ledger's first invariant, checked on the state about to commit: each account the batch
 * posted to holds the sum of its postings. A difference stops the process before COMMIT, naming
 * the account. Its statements are counted apart (PT_DB_SQL_CHECK). */
static void writer_check_touched(struct pt_store *store)
{
    static const char sql[] =
        PT_DB_SQL_CHECK " a.balance, (SELECT COALESCE(SUM(p.points), 0) FROM postings p "
                        "WHERE p.program_id = a.program_id AND p.member_id = a.member_id "
                        "AND p.account_id = a.id) FROM accounts a "
                        "WHERE a.program_id = ?1 AND a.member_id = ?2 AND a.id = ?3";
    unsigned i;
    for (i = 0; i < store->touched_count; i++) {
        const struct pt_touched_account *t = &store->touched[i];
        struct pt_err err;
        struct pt_q q;
        int64_t balance = 0;
        int64_t sum = 0;
        pt_err_clear(&err);
        (void)pt_q_open(&q, &store->write_txn, sql, &err);
        pt_q_text(&q, 1, t->program_id);
        pt_q_text(&q, 2, t->member_id);
        pt_q_text(&q, 3, t->account_id);
        if (pt_q_next(&q)) {
            balance = pt_q_col_int(&q, 0);
            sum = pt_q_col_int(&q, 1);
        }
        if (pt_q_close(&q) == PT_OK && balance != sum) {
            char extra[256];
            (void)snprintf(extra, sizeof(extra),
                           ",\"program_id\":\"%s\",\"member_id\":\"%s\",\"account\":\"%s\","
                           "\"balance\":%lld,\"postings_sum\":%lld",
                           t->program_id, t->member_id, t->account_id, (long long)balance,
                           (long long)sum);
            pt_log("fatal", "an account's balance is not the sum of its postings", extra);
            abort();
        }
    }
}
#endif

/* ---- Commits in doubt (PostgreSQL) ---- */

/* Parks the batch's writes that succeeded until the outcome of its COMMIT is known; the others
 * keep their own failure. Each parked write's error holds the commit's, its answer if the
 * server aborted the transaction; its rc stays PT_OK, its answer if the server committed. */
static void writer_park(struct pt_store *store, struct pt_write_cmd *batch, int64_t txid,
                        const struct pt_err *commit_err)
{
    int64_t until = pt_clock_mono_us() + (int64_t)PT_COMMIT_DOUBT_WAIT_MS * 1000;
    struct pt_write_cmd *cmd;
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
static void writer_settle(struct pt_store *store, struct pt_write_cmd *cmd, int64_t outcome)
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
    struct pt_write_cmd **link = &store->in_doubt;
    int64_t now = pt_clock_mono_us();
    int64_t asked = -1;
    int64_t outcome = 2;
    bool reachable = true;
    if (now < store->doubt_next_try_us) {
        return;
    }
    store->doubt_next_try_us = now + (int64_t)PT_COMMIT_DOUBT_POLL_MS * 1000;
    while (*link != NULL) {
        struct pt_write_cmd *cmd = *link;
        if (cmd->doubt_txid != asked) {
            struct pt_err ignored;
            asked = cmd->doubt_txid;
            outcome = 2;
            if (reachable && pt_store_conn_int(drv, store->writer, drv->sql_txid_status, &asked,
                                               &outcome, &ignored) != PT_OK) {
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

/* ---- The writer thread ---- */

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
static void writer_run_batch(struct pt_store *store, struct pt_write_cmd *batch)
{
    const struct pt_driver *drv = store->drv;
    struct pt_write_cmd *cmd;
    struct pt_err begin_err;
    bool lost = false;
    int64_t txid = -1;
    enum pt_rc rc;
    pt_err_clear(&begin_err);
    rc = atomic_load(&store->writes_stopped) ? pt_store_writes_stopped_err(&begin_err)
                                             : free_space_check(store, &begin_err);
    if (rc == PT_OK) {
        rc = pt_store_conn_run(drv, store->writer, drv->sql_begin_write, &begin_err);
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
        rc = pt_store_writes_stopped_err(&begin_err);
    } else {
#ifdef PT_DEBUG
        writer_check_touched(store);
#endif
        rc = writer_commit(store, &txid, &begin_err);
    }
    if (rc == PT_OK) {
        return;
    }
    if (begin_err.rc == PT_OK) {
        (void)pt_err_set(&begin_err, PT_ESTORE, NULL, "the database could not be used");
    }
    pt_store_conn_rollback(drv, store->writer);
    if (txid >= 0) {
        /* The server may have committed before the connection went: the writes that succeeded
         * wait for the outcome instead of being told that nothing was written. */
        writer_park(store, batch, txid, &begin_err);
        return;
    }
    if (drv->is_disk_failure(&begin_err)) {
        pt_store_stop_writes(store, "commit");
        (void)pt_store_writes_stopped_err(&begin_err);
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
        struct pt_write_cmd *batch;
        struct pt_write_cmd *last;
        struct pt_write_cmd *cmd;
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
        store->touched_count = 0;
        store->touched_overflow = false;
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
            struct pt_write_cmd *next = cmd->next;
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

/* ---- Callers: queueing and load shedding ---- */

static enum pt_rc store_write(struct pt_store *store, pt_store_write_fn fn, void *ctx,
                              bool background, struct pt_err *err)
{
    struct pt_write_cmd cmd;
    pt_assert(fn != NULL);
    pt_assert(store->writer_started);
    if (atomic_load(&store->writes_stopped)) {
        return pt_store_writes_stopped_err(err);
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

/* ---- Starting and stopping ---- */

enum pt_rc pt_store_writer_start(struct pt_store *store, struct pt_err *err)
{
    pt_assert(!store->writer_started);
    if (pthread_create(&store->writer_thread, NULL, writer_main, store) != 0) {
        return pt_err_set(err, PT_EINTERNAL, NULL, "cannot start the writer thread");
    }
    store->writer_started = true;
    return PT_OK;
}

void pt_store_writer_stop(struct pt_store *store)
{
    if (!store->writer_started) {
        return;
    }
    /* The writer finishes every queued write before it exits. */
    pthread_mutex_lock(&store->queue_mu);
    store->stopping = true;
    pthread_cond_signal(&store->queue_cv);
    pthread_mutex_unlock(&store->queue_mu);
    (void)pthread_join(store->writer_thread, NULL); /* Cannot fail for a joinable thread. */
    store->writer_started = false;
}
