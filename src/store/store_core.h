/* SPDX-License-Identifier: MIT */
/*
 * The store's engine core, shared by its three files and by nothing else: store.c (opening,
 * migrations, the reader pool), store_writer.c (the group-commit writer) and store_cursor.c (the
 * query cursors of store_int.h). The files of SQL never include it: they see a transaction only
 * through the cursors, so that a second engine needs no change to them.
 */
#ifndef PT_STORE_STORE_CORE_H
#define PT_STORE_STORE_CORE_H

#include "store/driver.h"
#include "store/store_int.h"

#include <pthread.h>
#include <stdatomic.h>

struct pt_store_txn {
    struct pt_store *store; /* Back pointer; borrowed. */
    struct pt_db *conn;     /* The connection this transaction runs on; borrowed. */
    bool is_write;          /* The writer's batch transaction (used by the writer thread only). */
    unsigned reader_index;  /* Index in the reader pool when !is_write. */
};

/* A write waiting for the writer (store_writer.c). */
struct pt_write_cmd;

/* The accounts the writer's batch posted to, which the debug build checks before COMMIT. */
#define PT_TOUCHED_ACCOUNTS_MAX 256
struct pt_touched_account {
    char program_id[PT_ID_BUF_BYTES];
    char member_id[PT_ID_BUF_BYTES];
    char account_id[PT_ID_BUF_BYTES];
};

struct pt_store {
    const struct pt_driver *drv;
    struct pt_db *writer;          /* The one write connection; used by the writer thread only. */
    struct pt_store_txn write_txn; /* The batch transaction handle of the writer thread. */
    pthread_t writer_thread;       /* Applies queued writes in batches (group commit). */
    bool writer_started;
    pthread_mutex_t queue_mu;        /* Guards the queue, stopping and every cmd->done. */
    pthread_cond_t queue_cv;         /* Signalled when work arrives or stopping is set. */
    struct pt_write_cmd *queue_head; /* FIFO of waiting writes; at most PT_WRITE_QUEUE_MAX. */
    struct pt_write_cmd *queue_tail;
    unsigned queue_len;
    bool stopping;                    /* Set by close: the writer drains the queue and exits. */
    int64_t min_free_bytes;           /* Writes are refused while free space is below it. */
    int64_t max_wait_us;              /* Shed new writes expected to wait longer (0: never). */
    int64_t write_cost_us;            /* Recent writer time per write (moving average); queue_mu. */
    bool background_running;          /* The writer's batch holds background work; queue_mu. */
    unsigned batch_len;               /* Writes in the writer's current batch; queue_mu. */
    int64_t background_ended_us;      /* When the last batch with background work ended. */
    struct pt_write_cmd *in_doubt;    /* Writes waiting for a lost COMMIT's outcome; writer. */
    int64_t doubt_next_try_us;        /* When the writer next asks the server; writer. */
    struct pt_db **readers;           /* reader_count read connections; owned. */
    bool *reader_busy;                /* reader_busy[i]: connection i is checked out. */
    struct pt_store_txn *reader_txns; /* Handles, one per reader. */
    unsigned reader_count;
    pthread_mutex_t read_mu;    /* Guards reader_busy. */
    pthread_cond_t read_cv;     /* Signalled when a reader is returned. */
    int version_found;          /* Schema version before migration. */
    atomic_bool writes_stopped; /* Set for good by a disk failure (see the file comment). */
    struct pt_program_cache *program_cache; /* Owned; NULL when it could not be made. */
    /* Debug builds: the batch's accounts (pt_store_touch_account); writer thread. Past the
     * bound the rest go unchecked (touched_overflow), as a check should cost little. */
    struct pt_touched_account touched[PT_TOUCHED_ACCOUNTS_MAX];
    unsigned touched_count;
    bool touched_overflow;
};

/* Ends the writer's batch (migrations use it too): one text, so one cached statement. */
extern const char pt_store_sql_commit[];

/* Rolls back whatever transaction c has open. A failing ROLLBACK leaves nothing to undo: the
 * engines end the transaction either way. */
void pt_store_conn_rollback(const struct pt_driver *drv, struct pt_db *c);
/* Runs a statement of static text without rows through the connection's cache: the writer's
 * transaction control runs several times per batch, and would otherwise be parsed each time. */
PT_MUSTCHECK enum pt_rc pt_store_conn_run(const struct pt_driver *drv, struct pt_db *c,
                                          const char *sql, struct pt_err *err);
/* Runs a one-integer query of static text; param, when not NULL, is bound as ?1. */
PT_MUSTCHECK enum pt_rc pt_store_conn_int(const struct pt_driver *drv, struct pt_db *c,
                                          const char *sql, const int64_t *param, int64_t *out,
                                          struct pt_err *err);
/* Stops all writes until restart (see store.c). Any thread. */
void pt_store_stop_writes(struct pt_store *store, const char *why);
/* Fills err with the answer to a write while writes are stopped; returns its rc. */
enum pt_rc pt_store_writes_stopped_err(struct pt_err *err);

/* Starts the writer thread (store_writer.c), once the schema is migrated and the readers open. */
PT_MUSTCHECK enum pt_rc pt_store_writer_start(struct pt_store *store, struct pt_err *err);
/* Lets the writer finish every queued write, then joins it. Does nothing when not started. */
void pt_store_writer_stop(struct pt_store *store);

#endif
