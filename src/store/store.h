/* SPDX-License-Identifier: MIT */
/*
 * The one door to persistence. A store is one database with one write connection, owned by a
 * writer thread that applies writes in batches (group commit), and a pool of read connections
 * that see committed snapshots (WAL) and never wait for the writer. Every function that touches
 * rows takes a transaction handle: the writer's (inside a pt_store_write_fn) or a read
 * transaction from pt_store_read_begin.
 * Every query is scoped by program_id: a row of another program does not exist for the caller.
 *
 * Ownership: strings returned in out-structs are allocated from the caller's arena (borrowed
 * until the arena is released). sqlite3 types never leave src/store.
 * Thread-safety: a store may be used by many threads; a transaction handle by one at a time.
 */
#ifndef PT_STORE_STORE_H
#define PT_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/member.h"

struct pt_store;
struct pt_store_txn;

/* The schema version this binary writes; migrations bring older databases up to it. */
#define PT_SCHEMA_VERSION 2

enum pt_store_open_mode {
    PT_STORE_OPEN_EXISTING, /* Fail with PT_ENOTFOUND when the file does not exist. */
    PT_STORE_OPEN_CREATE,   /* Create the file (and its folder) when missing. */
};

/*
 * Opens the database at path with read_conns read connections (>= 1), applying pending
 * migrations each in one transaction. PT_EVERSION when the database is newer than this binary,
 * PT_ENOTFOUND when missing and mode is EXISTING, PT_ESTORE on I/O or corruption.
 * OUT: *out is a new store the caller closes with pt_store_close (NULL on failure).
 */
PT_MUSTCHECK enum pt_rc pt_store_open(const char *path, unsigned read_conns,
                                      enum pt_store_open_mode mode, struct pt_store **out,
                                      struct pt_err *err);

/* Closes every connection and frees the store. Accepts NULL. No transaction may be open. */
void pt_store_close(struct pt_store *store);

/* Returns the schema version found in the database before migration (0 for a new file). */
int pt_store_version_found(const struct pt_store *store);

/*
 * A unit of write work: runs on the writer thread inside a savepoint of the current batch
 * transaction, using txn for every store call. Returns PT_OK to keep its changes, anything else
 * (with err set) to undo them. It must not call pt_store_write.
 */
typedef enum pt_rc (*pt_store_write_fn)(struct pt_store_txn *txn, void *ctx, struct pt_err *err);

/*
 * Hands fn to the writer, which applies queued writes in batches of up to PT_WRITE_BATCH_MAX in
 * one transaction, each in its own savepoint, and commits the batch with one fsync (WAL,
 * synchronous=FULL): group commit. Returns fn's result once the batch is durable, or the commit's
 * error (nothing of fn remains then). PT_EBUSY at once when PT_WRITE_QUEUE_MAX writes are
 * already waiting. ctx is borrowed and used on the writer thread while the caller waits.
 */
PT_MUSTCHECK enum pt_rc pt_store_write(struct pt_store *store, pt_store_write_fn fn, void *ctx,
                                       struct pt_err *err);

/* Ends a read transaction and returns its connection to the pool. Accepts NULL. */
void pt_store_read_end(struct pt_store_txn *txn);

/* Begins a read transaction on a pooled read connection (waits for a free one). */
PT_MUSTCHECK enum pt_rc pt_store_read_begin(struct pt_store *store, struct pt_store_txn **out,
                                            struct pt_err *err);

/* ---- Programs ---- */

struct pt_program {
    char id[PT_ID_BUF_BYTES];
    const char *name; /* arena */
    char currency[4]; /* ISO 4217 */
    int64_t created_at_ms;
};

PT_MUSTCHECK enum pt_rc pt_store_program_insert(struct pt_store_txn *txn,
                                                const struct pt_program *program,
                                                struct pt_err *err);
/* PT_ENOTFOUND when no such program. */
PT_MUSTCHECK enum pt_rc pt_store_program_get(struct pt_store_txn *txn, const char *program_id,
                                             struct pt_arena *arena, struct pt_program *out,
                                             struct pt_err *err);
/* OUT: *count is the number of programs. */
PT_MUSTCHECK enum pt_rc pt_store_program_count(struct pt_store_txn *txn, int64_t *count,
                                               struct pt_err *err);

/* ---- API keys ---- */

enum pt_role {
    PT_ROLE_ADMIN,
    PT_ROLE_STAFF,
};

struct pt_api_key {
    char id[PT_ID_BUF_BYTES];
    char program_id[PT_ID_BUF_BYTES];
    const char *name; /* arena */
    enum pt_role role;
    uint8_t
        hash[PT_API_KEY_HASH_BYTES]; /* BLAKE2b-256 of the secret; the secret is never stored. */
    char prefix[13]; /* First characters of the secret, to recognise a key in a list. */
    int64_t created_at_ms;
    int64_t revoked_at_ms; /* 0 while active. */
};

PT_MUSTCHECK enum pt_rc pt_store_key_insert(struct pt_store_txn *txn, const struct pt_api_key *key,
                                            struct pt_err *err);
/* Finds the active key with this hash. PT_ENOTFOUND when none (unknown or revoked). */
PT_MUSTCHECK enum pt_rc pt_store_key_find_by_hash(struct pt_store_txn *txn,
                                                  const uint8_t hash[PT_API_KEY_HASH_BYTES],
                                                  struct pt_arena *arena, struct pt_api_key *out,
                                                  struct pt_err *err);
/* Lists the program's active keys, newest first, ids below cursor_id (NULL = from the top).
 * OUT: *out is an arena array of *count keys (at most limit). */
PT_MUSTCHECK enum pt_rc pt_store_key_list(struct pt_store_txn *txn, const char *program_id,
                                          const char *cursor_id, unsigned limit,
                                          struct pt_arena *arena, struct pt_api_key **out,
                                          unsigned *count, struct pt_err *err);
/* Revokes an active key. PT_ENOTFOUND when no active key of that id in the program. */
PT_MUSTCHECK enum pt_rc pt_store_key_revoke(struct pt_store_txn *txn, const char *program_id,
                                            const char *key_id, int64_t now_ms, struct pt_err *err);
/* OUT: *count is the number of active admin keys of the program. */
PT_MUSTCHECK enum pt_rc pt_store_key_count_admins(struct pt_store_txn *txn, const char *program_id,
                                                  int64_t *count, struct pt_err *err);

/* ---- Members ---- */

/* Inserts m. PT_ECONFLICT with code "member_exists" and field email/phone/external_id when one
 * is taken, or with field card_number/referral_code (the caller draws again). */
PT_MUSTCHECK enum pt_rc pt_store_member_insert(struct pt_store_txn *txn, const struct pt_member *m,
                                               struct pt_err *err);
/* PT_ENOTFOUND when no such member in the program. */
PT_MUSTCHECK enum pt_rc pt_store_member_get(struct pt_store_txn *txn, const char *program_id,
                                            const char *member_id, struct pt_arena *arena,
                                            struct pt_member *out, struct pt_err *err);
/* Writes every client-settable field and status of m where version == expected_version, and
 * sets version = expected_version + 1. PT_EBUSY when the version moved (reload and retry),
 * PT_ENOTFOUND when gone, PT_ECONFLICT "member_exists" on a taken email/phone/external_id. */
PT_MUSTCHECK enum pt_rc pt_store_member_update(struct pt_store_txn *txn, const struct pt_member *m,
                                               int64_t expected_version, struct pt_err *err);

struct pt_member_filter {
    const char *email;       /* exact (normalized) or NULL */
    const char *phone;       /* exact or NULL */
    const char *external_id; /* exact or NULL */
    const char *card_number; /* exact or NULL */
    const char *q;           /* prefix of first name, last name or email; or NULL */
    const char *cursor_id;   /* list ids below this one; NULL from the newest */
    unsigned limit;          /* 1..PT_PAGE_LIMIT_MAX */
};

/* Lists members matching every given filter, newest first. OUT: arena array of *count. */
PT_MUSTCHECK enum pt_rc pt_store_member_list(struct pt_store_txn *txn, const char *program_id,
                                             const struct pt_member_filter *filter,
                                             struct pt_arena *arena, struct pt_member **out,
                                             unsigned *count, struct pt_err *err);

/* ---- Idempotency ---- */

struct pt_idem_record {
    uint8_t request_hash[32]; /* Hash of method, path and body of the first request. */
    int status;               /* HTTP status of the stored response. */
    const char *body;         /* arena; the stored response body. */
    int64_t created_at_ms;
};

/* PT_ENOTFOUND when the key is unknown (or older than PT_IDEMPOTENCY_KEEP_S at now_ms). */
PT_MUSTCHECK enum pt_rc pt_store_idem_get(struct pt_store_txn *txn, const char *program_id,
                                          const char *key, int64_t now_ms, struct pt_arena *arena,
                                          struct pt_idem_record *out, struct pt_err *err);
/* Records a key's response in the current write transaction (replacing an expired record). */
PT_MUSTCHECK enum pt_rc pt_store_idem_put(struct pt_store_txn *txn, const char *program_id,
                                          const char *key, const struct pt_idem_record *rec,
                                          struct pt_err *err);

#endif
