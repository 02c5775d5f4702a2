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
#include "core/coupon.h"
#include "core/event.h"
#include "core/hold.h"
#include "core/keys.h"
#include "core/ledger.h"
#include "core/member.h"
#include "core/program.h"
#include "core/purchase.h"
#include "core/referral.h"
#include "core/reward.h"
#include "core/rules.h"
#include "core/stamp_card.h"
#include "core/tiers.h"
#include "core/wallet.h"

struct pt_store;
struct pt_store_txn;

/* The schema version this binary writes; migrations bring older databases up to it. */

#define PT_SCHEMA_VERSION 30

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

/* Migration tests only: later opens migrate only up to version (1..PT_SCHEMA_VERSION), so that
 * a test can make a database of an older schema, fill it, and then migrate it. */
void pt_store_set_schema_target(int version);

/* Sets the free-space margin: while the database's filesystem has fewer free bytes, every
 * write fails with PT_ESTORE ("the disk is nearly full") and nothing is written. Reads go on.
 * Default PT_STORE_MIN_FREE_BYTES_DEFAULT; 0 turns the check off. Call before serving. */
void pt_store_set_min_free(struct pt_store *store, int64_t bytes);

/* Sets the load-shedding bound: a new write fails at once with PT_EBUSY (503 with Retry-After)
 * when it would wait longer than ms (the writes ahead of it times the writer's recent cost per
 * write) or the oldest queued write already has. Default PT_WRITE_WAIT_MS_DEFAULT; 0 sheds
 * only when the queue is full. Call before serving. */
void pt_store_set_max_wait(struct pt_store *store, int64_t ms);

/* Writes a consistent copy of the database to the new file dest while the store keeps serving
 * (SQLite's online backup). PT_ECONFLICT when dest exists; PT_EINVAL on an engine with its own
 * backup tools (PostgreSQL: pg_dump). */
PT_MUSTCHECK enum pt_rc pt_store_backup(struct pt_store *store, const char *dest,
                                        struct pt_err *err);

/* Closes every connection and frees the store. Accepts NULL. No transaction may be open. */
void pt_store_close(struct pt_store *store);

/* Returns the schema version found in the database before migration (0 for a new file). */
int pt_store_version_found(const struct pt_store *store);

/* Statements the store's connections (the writer and every reader) have executed since it was
 * opened, each counted once per execution however many rows it returns. */
struct pt_store_statement_count {
    int64_t statements;  /* Queries and writes: everything but transaction control. */
    int64_t txn_control; /* BEGIN, COMMIT, SAVEPOINT, RELEASE, ROLLBACK (and on PostgreSQL the
                            commit's transaction-id queries, which SQLite does not need). */
};

/* OUT: *out, the counts so far. For tests that bound the statements of a use case: read before
 * and after it while nothing else runs (the counts are the whole store's, of every thread).
 * Any thread. */
void pt_store_statement_count(struct pt_store *store, struct pt_store_statement_count *out);

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
 * When the connection to PostgreSQL is lost during the batch's COMMIT, the caller waits until
 * the server tells whether the transaction committed (fn's result) or not (PT_ESTORE), and for
 * at most PT_COMMIT_DOUBT_WAIT_MS: then PT_ESTORE with code "outcome_unknown", the one failure
 * after which fn's changes may remain.
 */
PT_MUSTCHECK enum pt_rc pt_store_write(struct pt_store *store, pt_store_write_fn fn, void *ctx,
                                       struct pt_err *err);
/* The same for background work whose write is long (a chunk of a coupon batch): while the
 * writer runs it, other writes queue rather than being shed, and its time stays out of the
 * writer's cost per write that shedding estimates from. */
PT_MUSTCHECK enum pt_rc pt_store_write_background(struct pt_store *store, pt_store_write_fn fn,
                                                  void *ctx, struct pt_err *err);

/* Inside a write: whether other writes are in the current batch or queued behind it now
 * (live traffic), so that background work can take smaller steps. */
bool pt_store_writes_waiting(struct pt_store_txn *txn);

/* Ends a read transaction and returns its connection to the pool. Accepts NULL. */
void pt_store_read_end(struct pt_store_txn *txn);

/* Begins a read transaction on a pooled read connection (waits for a free one). */
PT_MUSTCHECK enum pt_rc pt_store_read_begin(struct pt_store *store, struct pt_store_txn **out,
                                            struct pt_err *err);

/* ---- Programs ---- */

/* Inserts a new program with default settings: return_days and hold_returnable are left to the
 * columns' defaults (PT_RETURN_DAYS_DEFAULT, on), which program must already hold. */
PT_MUSTCHECK enum pt_rc pt_store_program_insert(struct pt_store_txn *txn,
                                                const struct pt_program *program,
                                                struct pt_err *err);
/* PT_ENOTFOUND when no such program. */
PT_MUSTCHECK enum pt_rc pt_store_program_get(struct pt_store_txn *txn, const char *program_id,
                                             struct pt_arena *arena, struct pt_program *out,
                                             struct pt_err *err);
/* Locks the program's row until the write ends (a read-modify-write of its settings). */
PT_MUSTCHECK enum pt_rc pt_store_program_lock(struct pt_store_txn *txn, const char *program_id,
                                              struct pt_err *err);
/* Writes the settings of program (name, currency, earning, expiry, ...). PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_program_update(struct pt_store_txn *txn,
                                                const struct pt_program *program,
                                                struct pt_err *err);
/* OUT: *ids is an arena array of every program id (at most max), *count of them. */
PT_MUSTCHECK enum pt_rc pt_store_program_ids(struct pt_store_txn *txn, struct pt_arena *arena,
                                             unsigned max, char (**ids)[PT_ID_BUF_BYTES],
                                             unsigned *count, struct pt_err *err);
/* The program of id program_id, or (NULL) the oldest one, the default of the sign-in and portal
 * routes. PT_ENOTFOUND when there is no such program. OUT: out (PT_ID_BUF_BYTES). */
PT_MUSTCHECK enum pt_rc pt_store_program_pick(struct pt_store_txn *txn, const char *program_id,
                                              char *out, struct pt_err *err);
/* OUT: *count is the number of programs. */
PT_MUSTCHECK enum pt_rc pt_store_program_count(struct pt_store_txn *txn, int64_t *count,
                                               struct pt_err *err);

/* ---- API keys ---- */

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
/* OUT: *allowed is whether an active publishable key of any program allows origin (valid by
 * pt_origin_is_valid). */
PT_MUSTCHECK enum pt_rc pt_store_origin_allowed(struct pt_store_txn *txn, const char *origin,
                                                bool *allowed, struct pt_err *err);
/* Stores the program's embed signing secret, in place of the one before. */
PT_MUSTCHECK enum pt_rc pt_store_embed_secret_put(struct pt_store_txn *txn, const char *program_id,
                                                  const uint8_t secret[PT_EMBED_SECRET_BYTES],
                                                  int64_t created_at_ms, struct pt_err *err);
/* OUT: the program's embed secret in secret and *found true, or *found false when none was
 * drawn. */
PT_MUSTCHECK enum pt_rc pt_store_embed_secret_get(struct pt_store_txn *txn, const char *program_id,
                                                  uint8_t secret[PT_EMBED_SECRET_BYTES],
                                                  bool *found, struct pt_err *err);
/* OUT: *count is the number of active admin keys of the program. */
PT_MUSTCHECK enum pt_rc pt_store_key_count_admins(struct pt_store_txn *txn, const char *program_id,
                                                  int64_t *count, struct pt_err *err);

/* ---- Members ---- */

/* Inserts m. PT_ECONFLICT with code "member_exists" and field email/phone/external_id when one
 * is taken, or with field card_number/referral_code (the caller draws again). */
PT_MUSTCHECK enum pt_rc pt_store_member_insert(struct pt_store_txn *txn, const struct pt_member *m,
                                               struct pt_err *err);
/* Inside a write of an empty store (no program), copies every row of the store read by src
 * (a read transaction of another store), table by table; *rows counts them. PT_ECONFLICT when
 * dst already holds a program. */
PT_MUSTCHECK enum pt_rc pt_store_copy_into(struct pt_store_txn *src, struct pt_store_txn *dst,
                                           int64_t *rows, struct pt_err *err);

/* Inside a write: serializes it with every other write of this member, in any process, until
 * the batch commits (a row lock where several processes share the database; with one writer,
 * nothing to do). Reading a member in a write (pt_store_member_get) locks it too. PT_OK even
 * when the member does not exist (the caller's next read says so). */
PT_MUSTCHECK enum pt_rc pt_store_member_lock(struct pt_store_txn *txn, const char *program_id,
                                             const char *member_id, struct pt_err *err);
/* PT_ENOTFOUND when no such member in the program. */
PT_MUSTCHECK enum pt_rc pt_store_member_get(struct pt_store_txn *txn, const char *program_id,
                                            const char *member_id, struct pt_arena *arena,
                                            struct pt_member *out, struct pt_err *err);
/* pt_store_member_get and the program's settings, its strings in arena: from the copy the store
 * keeps while the program's versions, read in the member's statement, are those of the copy;
 * else read (and kept). PT_ENOTFOUND when no such member or program. */
PT_MUSTCHECK enum pt_rc pt_store_member_program_get(struct pt_store_txn *txn,
                                                    const char *program_id, const char *member_id,
                                                    struct pt_arena *arena,
                                                    struct pt_member *member,
                                                    struct pt_program *program, struct pt_err *err);
/* Writes every client-settable field and status of m where version == expected_version, and
 * sets version = expected_version + 1. PT_EBUSY when the version moved (reload and retry),
 * PT_ENOTFOUND when gone, PT_ECONFLICT "member_exists" on a taken email/phone/external_id. */
PT_MUSTCHECK enum pt_rc pt_store_member_update(struct pt_store_txn *txn,
                                               const struct pt_member *old,
                                               const struct pt_member *m, int64_t expected_version,
                                               struct pt_err *err);
/* Claims a value unique in the program (kind: email, phone, external_id, card_number,
 * referral_code, purchase, return) for member_id. PT_ECONFLICT (field = kind) when taken, in
 * which case nothing changed and the transaction goes on. */
PT_MUSTCHECK enum pt_rc pt_store_member_key_claim(struct pt_store_txn *txn, const char *program_id,
                                                  const char *kind, const char *value,
                                                  const char *member_id, struct pt_err *err);

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
    const char *ref_id; /* The object the request created (audit checks it exists); nullable. */
    int status;         /* HTTP status of the stored response. */
    const char *body;   /* arena; the stored response body. */
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

/* ---- Ledger ---- */

/* Postings of one entry: a member, a counterpart, and at most one more (cancel to expired). */
#define PT_ENTRY_POSTINGS_MAX 3

/* Appends entry with its 2..PT_ENTRY_POSTINGS_MAX postings (their rows in one statement) and
 * moves the accounts' balances, in txn. The caller has
 * checked that the postings sum to zero (pt_ledger_entry_check); the store checks again.
 * PT_ELIMIT limit_exceeded when an account's balance or counter would pass its bound (limits.h:
 * a member's points and wallet PT_MEMBER_*_MAX, other accounts PT_ACCOUNT_UNITS_MAX); the
 * caller's write then fails whole (its savepoint is rolled back). */
PT_MUSTCHECK enum pt_rc pt_store_entry_post(struct pt_store_txn *txn, const char *program_id,
                                            const struct pt_entry *entry,
                                            struct pt_posting *postings, size_t count,
                                            struct pt_err *err);

/* Moves a member account's counters (owed, lifetime_*) of counters; its points must be 0.
 * PT_ELIMIT limit_exceeded past PT_ACCOUNT_UNITS_MAX. */
PT_MUSTCHECK enum pt_rc pt_store_account_counters(struct pt_store_txn *txn, const char *program_id,
                                                  const struct pt_posting *counters,
                                                  struct pt_err *err);

/* The member's account, or zeros when it has no posting yet. */
PT_MUSTCHECK enum pt_rc pt_store_account_get(struct pt_store_txn *txn, const char *program_id,
                                             const char *member_id, struct pt_account *out,
                                             struct pt_err *err);

PT_MUSTCHECK enum pt_rc pt_store_lot_insert(struct pt_store_txn *txn, const char *program_id,
                                            const struct pt_lot_row *lot, struct pt_err *err);
/*
 * The member's lots that can be spent at now_ms, in spend order (soonest expiry, then earliest
 * earned), skipping the first `skip`, at most max. Served by an index: the cost does not grow
 * with the member's history. OUT: arena array.
 */
PT_MUSTCHECK enum pt_rc pt_store_lots_spendable(struct pt_store_txn *txn, const char *program_id,
                                                const char *member_id, int64_t now_ms,
                                                unsigned skip, unsigned max, struct pt_arena *arena,
                                                struct pt_lot_row **out, unsigned *count,
                                                struct pt_err *err);
/*
 * What the member's balance view is made of at now_ms, in one statement. OUT: *acct, the
 * member's own account (zeros when it has none); of the points in its lots that cannot be spent
 * now, *pending (in the return window) and *unavailable (pending plus expired, awaiting the
 * expiry job); its next expiry dates after now_ms with their points, soonest first, at most
 * max, in expiring (*expiring_count of them).
 */
PT_MUSTCHECK enum pt_rc pt_store_balance_parts(struct pt_store_txn *txn, const char *program_id,
                                               const char *member_id, int64_t now_ms,
                                               struct pt_account *acct, int64_t *pending,
                                               int64_t *unavailable, struct pt_expiring *expiring,
                                               unsigned max, unsigned *expiring_count,
                                               struct pt_err *err);
/* One lot of the member by id; PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_lot_get(struct pt_store_txn *txn, const char *program_id,
                                         const char *member_id, const char *lot_id,
                                         struct pt_lot_row *out, struct pt_err *err);
/* Adds delta (negative to take) to a lot's remaining points; the result must stay >= 0 and
 * <= points_earned (PT_EINTERNAL otherwise). */
PT_MUSTCHECK enum pt_rc pt_store_lot_move(struct pt_store_txn *txn, const char *program_id,
                                          const char *member_id, const char *lot_id, int64_t delta,
                                          struct pt_err *err);
/* Lots of a program with points left that expire at or before now_ms, at most max, grouped by
 * member. OUT: arena array. */
PT_MUSTCHECK enum pt_rc pt_store_lots_due(struct pt_store_txn *txn, const char *program_id,
                                          int64_t now_ms, unsigned max, struct pt_arena *arena,
                                          struct pt_lot_row **out, unsigned *count,
                                          struct pt_err *err);

/* Inserts the purchase and its items. PT_ECONFLICT when the external_id is taken. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_insert(struct pt_store_txn *txn, const char *program_id,
                                                 const struct pt_purchase *p, struct pt_err *err);
/* Records p's facts (p->facts, and its codes p->coupons): a purchase that a rule or a stamp card
 * fired on or that used a coupon (docs/ledger.md, "Returns"). */
/* The payment lines of p (p->payments[0..payment_count)), with their wallet debits. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_payments_insert(struct pt_store_txn *txn,
                                                          const char *program_id,
                                                          const struct pt_purchase *p,
                                                          struct pt_err *err);
/* The purchase whose wallet payment made debit debit_id; "" when none. OUT: purchase_id
 * (PT_ID_BUF_BYTES). */
PT_MUSTCHECK enum pt_rc pt_store_wallet_debit_purchase(struct pt_store_txn *txn,
                                                       const char *program_id,
                                                       const char *member_id, const char *debit_id,
                                                       char *purchase_id, struct pt_err *err);
/* Reads p's payment lines (by p->member_id and p->id) into p->payments (arena), in order. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_payments_get(struct pt_store_txn *txn,
                                                       const char *program_id,
                                                       struct pt_purchase *p,
                                                       struct pt_arena *arena, struct pt_err *err);
/* Adds what a return gave back (minor units, points) to p's payment line `position`. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_payment_refunded(struct pt_store_txn *txn,
                                                           const char *program_id,
                                                           const struct pt_purchase *p,
                                                           unsigned position, int64_t amount,
                                                           int64_t points, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_store_purchase_facts_insert(struct pt_store_txn *txn,
                                                       const char *program_id,
                                                       const struct pt_purchase *p,
                                                       struct pt_err *err);
/* Reads a purchase with its items, and its facts when it has them. PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_get(struct pt_store_txn *txn, const char *program_id,
                                              const char *purchase_id, struct pt_arena *arena,
                                              struct pt_purchase *out, struct pt_err *err);
/* Writes the returned amounts of p and, when items_returned (a return by item: one by amount
 * leaves them as they were), its items' returned quantities; and, when p has facts, the coupon
 * points its returns gave back. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_update_returns(struct pt_store_txn *txn,
                                                         const char *program_id,
                                                         const struct pt_purchase *p,
                                                         bool items_returned, struct pt_err *err);

/* PT_ECONFLICT when the external_id is taken. */
PT_MUSTCHECK enum pt_rc pt_store_return_insert(struct pt_store_txn *txn, const char *program_id,
                                               const struct pt_return *r, struct pt_err *err);

PT_MUSTCHECK enum pt_rc pt_store_redemption_insert(struct pt_store_txn *txn, const char *program_id,
                                                   const struct pt_redemption *r,
                                                   struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_store_redemption_get(struct pt_store_txn *txn, const char *program_id,
                                                const char *redemption_id, struct pt_arena *arena,
                                                struct pt_redemption *out, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_store_redemption_cancel(struct pt_store_txn *txn, const char *program_id,
                                                   const struct pt_redemption *r,
                                                   struct pt_err *err);
/* Records that a redemption took points from a lot. */
PT_MUSTCHECK enum pt_rc pt_store_redemption_lot_add(struct pt_store_txn *txn,
                                                    const char *program_id,
                                                    const char *redemption_id,
                                                    const char *member_id, const char *lot_id,
                                                    int64_t points, struct pt_err *err);

/* Adds `points` to what was put back of redemption_id's take from lot_id (at most what it
 * took). */
PT_MUSTCHECK enum pt_rc
pt_store_redemption_lot_restored(struct pt_store_txn *txn, const char *program_id,
                                 const char *member_id, const char *redemption_id,
                                 const char *lot_id, int64_t points, struct pt_err *err);
/* The lots a redemption took points from. OUT: arena array. */
PT_MUSTCHECK enum pt_rc pt_store_redemption_lots(struct pt_store_txn *txn, const char *program_id,
                                                 const char *member_id, const char *redemption_id,
                                                 struct pt_arena *arena, struct pt_lot_share **out,
                                                 unsigned *count, struct pt_err *err);

/* The member's ledger, newest first, postings numbered below before_seq (0 = from the newest). */
PT_MUSTCHECK enum pt_rc pt_store_ledger_list(struct pt_store_txn *txn, const char *program_id,
                                             const char *member_id, int64_t before_seq,
                                             unsigned limit, struct pt_arena *arena,
                                             struct pt_ledger_line **out, unsigned *count,
                                             struct pt_err *err);

/* ---- Rules (store_rules.c) ---- */

/* Inserts a new rule (version 1) with its first version row and budget row; moves the
 * program's rules_version. */
PT_MUSTCHECK enum pt_rc pt_store_rule_insert(struct pt_store_txn *txn, const char *program_id,
                                             const struct pt_rule_row *rule, struct pt_err *err);
/* Writes rule as its next version (rule->version == the stored version + 1) with a version
 * row; moves the program's rules_version. PT_EBUSY when the stored version is not
 * rule->version - 1 (changed meanwhile). */
PT_MUSTCHECK enum pt_rc pt_store_rule_update(struct pt_store_txn *txn, const char *program_id,
                                             const struct pt_rule_row *rule, struct pt_err *err);
/* PT_ENOTFOUND when no such rule in the program. */
PT_MUSTCHECK enum pt_rc pt_store_rule_get(struct pt_store_txn *txn, const char *program_id,
                                          const char *rule_id, struct pt_arena *arena,
                                          struct pt_rule_row *out, struct pt_err *err);
/* Rules newest first, ids below cursor_id (NULL: from the newest), at most limit; status < 0
 * for every status. OUT: arena array. */
PT_MUSTCHECK enum pt_rc pt_store_rule_list(struct pt_store_txn *txn, const char *program_id,
                                           int status, const char *cursor_id, unsigned limit,
                                           struct pt_arena *arena, struct pt_rule_row **out,
                                           unsigned *count, struct pt_err *err);
/* A rule's versions, newest first, versions below before (0: from the newest), at most limit
 * (points_issued is 0 in them). */
PT_MUSTCHECK enum pt_rc pt_store_rule_versions(struct pt_store_txn *txn, const char *program_id,
                                               const char *rule_id, int64_t before, unsigned limit,
                                               struct pt_arena *arena, struct pt_rule_row **out,
                                               unsigned *count, struct pt_err *err);
/* Counts the program's rules of a status. */
PT_MUSTCHECK enum pt_rc pt_store_rule_count(struct pt_store_txn *txn, const char *program_id,
                                            enum pt_rule_status status, int64_t *count,
                                            struct pt_err *err);

/* The member's usage of every rule that gave it something. OUT: arena array. */
PT_MUSTCHECK enum pt_rc pt_store_rule_usage_get(struct pt_store_txn *txn, const char *program_id,
                                                const char *member_id, struct pt_arena *arena,
                                                struct pt_rule_usage **out, unsigned *count,
                                                struct pt_err *err);
/* Adds one use and `points` (on day) to the member's usage of the rule, and one use, `points`
 * and `amount` (money it took off or gave back) to the rule's totals. PT_ELIMIT limit_exceeded
 * when the usage would pass PT_METRIC_MAX. */
PT_MUSTCHECK enum pt_rc pt_store_rule_used(struct pt_store_txn *txn, const char *program_id,
                                           const char *member_id, const char *rule_id,
                                           const char *day, int64_t points, int64_t amount,
                                           struct pt_err *err);
/* What the rule has given in all (locked inside a write on PostgreSQL). */
PT_MUSTCHECK enum pt_rc pt_store_rule_budget_get(struct pt_store_txn *txn, const char *program_id,
                                                 const char *rule_id, struct pt_rule_budget *out,
                                                 struct pt_err *err);
/* The member's purchases that occurred before before_ms (INT64_MAX: all of them). */
PT_MUSTCHECK enum pt_rc pt_store_member_purchase_count(struct pt_store_txn *txn,
                                                       const char *program_id,
                                                       const char *member_id, int64_t before_ms,
                                                       int64_t *count, struct pt_err *err);

/* PT_ECONFLICT "idempotency_conflict" when the external_id is taken. */
PT_MUSTCHECK enum pt_rc pt_store_activity_insert(struct pt_store_txn *txn, const char *program_id,
                                                 const struct pt_activity_row *a,
                                                 struct pt_err *err);
/* ---- Tiers ---- */

/* Loads the program's levels into policy (metric, months and retain come with the program). */
PT_MUSTCHECK enum pt_rc pt_store_tiers_load(struct pt_store_txn *txn, const char *program_id,
                                            struct pt_arena *arena, struct pt_tier_policy *policy,
                                            struct pt_err *err);
/* Replaces the program's tier policy and levels. */
PT_MUSTCHECK enum pt_rc pt_store_tiers_save(struct pt_store_txn *txn, const char *program_id,
                                            const struct pt_tier_policy *policy,
                                            struct pt_err *err);
/* The member's standing; PT_ENOTFOUND while the member never left the first tier. */
PT_MUSTCHECK enum pt_rc pt_store_member_tier_get(struct pt_store_txn *txn, const char *program_id,
                                                 const char *member_id, struct pt_tier_state *out,
                                                 struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_store_member_tier_put(struct pt_store_txn *txn, const char *program_id,
                                                 const char *member_id,
                                                 const struct pt_tier_state *s, struct pt_err *err);
/* Adds delta (negative for returns) to the member's metric of month. PT_ELIMIT limit_exceeded
 * when a sum would pass PT_METRIC_MAX either way. */
PT_MUSTCHECK enum pt_rc pt_store_tier_metric_add(struct pt_store_txn *txn, const char *program_id,
                                                 const char *member_id, int64_t month,
                                                 const struct pt_tier_metrics *delta,
                                                 struct pt_err *err);
/* The member's metric summed over months first_month..last_month. */
PT_MUSTCHECK enum pt_rc pt_store_tier_metric_sum(struct pt_store_txn *txn, const char *program_id,
                                                 const char *member_id, int64_t first_month,
                                                 int64_t last_month, struct pt_tier_metrics *out,
                                                 struct pt_err *err);
/* Appends a change to the member's tier history. */
PT_MUSTCHECK enum pt_rc pt_store_tier_change_add(struct pt_store_txn *txn, const char *program_id,
                                                 const char *member_id,
                                                 const struct pt_tier_change *c,
                                                 struct pt_err *err);
/* The member's last `limit` tier changes, newest first. OUT: *out arena array of *count. */
PT_MUSTCHECK enum pt_rc pt_store_tier_changes(struct pt_store_txn *txn, const char *program_id,
                                              const char *member_id, unsigned limit,
                                              struct pt_arena *arena, struct pt_tier_change **out,
                                              unsigned *count, struct pt_err *err);
/* Members above the first tier whose review month is at or before month, at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_tier_reviews_due(struct pt_store_txn *txn, const char *program_id,
                                                  int64_t month, unsigned limit,
                                                  struct pt_arena *arena,
                                                  char (**ids)[PT_ID_BUF_BYTES], unsigned *count,
                                                  struct pt_err *err);

/* ---- Stamp cards (docs/stamp-cards.md) ---- */

PT_MUSTCHECK enum pt_rc pt_store_stamp_card_insert(struct pt_store_txn *txn, const char *program_id,
                                                   const struct pt_stamp_card *card,
                                                   struct pt_err *err);
/* Writes every field of card; moves the program's rules_version (cards are evaluated with the
 * rules). PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_stamp_card_update(struct pt_store_txn *txn, const char *program_id,
                                                   const struct pt_stamp_card *card,
                                                   struct pt_err *err);
/* PT_ENOTFOUND when no such card in the program. */
PT_MUSTCHECK enum pt_rc pt_store_stamp_card_get(struct pt_store_txn *txn, const char *program_id,
                                                const char *card_id, struct pt_arena *arena,
                                                struct pt_stamp_card *out, struct pt_err *err);
/* Cards newest first, ids below cursor_id (NULL: from the newest), at most limit; active_only
 * for the active ones. OUT: arena array. */
PT_MUSTCHECK enum pt_rc pt_store_stamp_card_list(struct pt_store_txn *txn, const char *program_id,
                                                 bool active_only, const char *cursor_id,
                                                 unsigned limit, struct pt_arena *arena,
                                                 struct pt_stamp_card **out, unsigned *count,
                                                 struct pt_err *err);
/* The member's newest instance of card_id (PT_ENOTFOUND when none). */
PT_MUSTCHECK enum pt_rc pt_store_member_stamp_card_last(struct pt_store_txn *txn,
                                                        const char *program_id,
                                                        const char *member_id, const char *card_id,
                                                        struct pt_member_stamp_card *out,
                                                        struct pt_err *err);
/* The member's instance n (>= 1) of card_id. PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_member_stamp_card_get(struct pt_store_txn *txn,
                                                       const char *program_id,
                                                       const char *member_id, const char *card_id,
                                                       int64_t n, struct pt_member_stamp_card *out,
                                                       struct pt_err *err);
/* Inserts or replaces instance (card_id, n) of the member. */
PT_MUSTCHECK enum pt_rc pt_store_member_stamp_card_put(struct pt_store_txn *txn,
                                                       const char *program_id,
                                                       const char *member_id,
                                                       const struct pt_member_stamp_card *c,
                                                       struct pt_err *err);
/* How many instances of card_id the member completed. */
PT_MUSTCHECK enum pt_rc pt_store_member_stamp_cards_completed(struct pt_store_txn *txn,
                                                              const char *program_id,
                                                              const char *member_id,
                                                              const char *card_id, int64_t *count,
                                                              struct pt_err *err);
/* Records the stamps a purchase added to a card (s->stamps_removed is 0). */
PT_MUSTCHECK enum pt_rc pt_store_purchase_stamps_add(struct pt_store_txn *txn,
                                                     const char *program_id, const char *member_id,
                                                     const char *purchase_id,
                                                     const struct pt_purchase_stamps *s,
                                                     struct pt_err *err);
PT_MUSTCHECK enum pt_rc
pt_store_purchase_stamps_get(struct pt_store_txn *txn, const char *program_id,
                             const char *member_id, const char *purchase_id, struct pt_arena *arena,
                             struct pt_purchase_stamps **out, unsigned *count, struct pt_err *err);
/* Writes a purchase's stamps_removed, on_open and completed_returned after a return. */
PT_MUSTCHECK enum pt_rc
pt_store_purchase_stamps_update(struct pt_store_txn *txn, const char *program_id,
                                const char *member_id, const char *purchase_id,
                                const struct pt_purchase_stamps *s, struct pt_err *err);

/* ---- Wallets (docs/wallets.md) ---- */

/* A member's account other than the points account (PT_ACCOUNT_WALLET); zeros when it has
 * no posting yet. */
PT_MUSTCHECK enum pt_rc pt_store_account_get_id(struct pt_store_txn *txn, const char *program_id,
                                                const char *member_id, const char *account_id,
                                                struct pt_account *out, struct pt_err *err);

PT_MUSTCHECK enum pt_rc pt_store_wallet_credit_insert(struct pt_store_txn *txn,
                                                      const char *program_id,
                                                      const struct pt_wallet_credit *c,
                                                      struct pt_err *err);
/* PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_wallet_credit_get(struct pt_store_txn *txn, const char *program_id,
                                                   const char *member_id, const char *credit_id,
                                                   struct pt_wallet_credit *out,
                                                   struct pt_err *err);
/* The member's available credits with money left, oldest available first, at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_wallet_credits_spendable(struct pt_store_txn *txn,
                                                          const char *program_id,
                                                          const char *member_id, int64_t now_ms,
                                                          unsigned limit, struct pt_arena *arena,
                                                          struct pt_wallet_credit **out,
                                                          unsigned *count, struct pt_err *err);
/* Adds delta (negative to take) to a credit's remaining money. */
PT_MUSTCHECK enum pt_rc pt_store_wallet_credit_move(struct pt_store_txn *txn,
                                                    const char *program_id, const char *member_id,
                                                    const char *credit_id, int64_t delta,
                                                    struct pt_err *err);
/* The money of the member's credits still pending at now_ms. */
PT_MUSTCHECK enum pt_rc pt_store_wallet_pending(struct pt_store_txn *txn, const char *program_id,
                                                const char *member_id, int64_t now_ms,
                                                int64_t *pending, struct pt_err *err);

PT_MUSTCHECK enum pt_rc pt_store_wallet_debit_insert(struct pt_store_txn *txn,
                                                     const char *program_id,
                                                     const struct pt_wallet_debit *d,
                                                     struct pt_err *err);
/* By id alone (the member is read from the row; locked in a write). PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_wallet_debit_get(struct pt_store_txn *txn, const char *program_id,
                                                  const char *debit_id, struct pt_arena *arena,
                                                  struct pt_wallet_debit *out, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_store_wallet_debit_cancel(struct pt_store_txn *txn,
                                                     const char *program_id,
                                                     const struct pt_wallet_debit *d,
                                                     struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_store_wallet_debit_take_add(struct pt_store_txn *txn,
                                                       const char *program_id,
                                                       const char *member_id, const char *debit_id,
                                                       const struct pt_wallet_take *t,
                                                       struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_store_wallet_debit_takes(struct pt_store_txn *txn,
                                                    const char *program_id, const char *member_id,
                                                    const char *debit_id, struct pt_arena *arena,
                                                    struct pt_wallet_take **out, unsigned *count,
                                                    struct pt_err *err);
/* The last postings of one of the member's accounts, newest first (as pt_store_ledger_list). */
PT_MUSTCHECK enum pt_rc pt_store_account_lines(struct pt_store_txn *txn, const char *program_id,
                                               const char *member_id, const char *account_id,
                                               unsigned limit, struct pt_arena *arena,
                                               struct pt_ledger_line **out, unsigned *count,
                                               struct pt_err *err);
/* Writes the purchase's cashback_reversed. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_update_cashback(struct pt_store_txn *txn,
                                                          const char *program_id,
                                                          const struct pt_purchase *p,
                                                          struct pt_err *err);

/* ---- Referrals (docs/referrals.md) ---- */

/* The member that holds a value unique in the program (member_keys). PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_member_key_owner(struct pt_store_txn *txn, const char *program_id,
                                                  const char *kind, const char *value,
                                                  char *member_id, struct pt_err *err);

PT_MUSTCHECK enum pt_rc pt_store_referral_put(struct pt_store_txn *txn, const char *program_id,
                                              const struct pt_referral *r, struct pt_err *err);
/* The referral of a referred member. PT_ENOTFOUND when it was not referred. */
PT_MUSTCHECK enum pt_rc pt_store_referral_get(struct pt_store_txn *txn, const char *program_id,
                                              const char *member_id, struct pt_arena *arena,
                                              struct pt_referral *out, struct pt_err *err);
/* A referrer's referrals, newest first, referred members below cursor_id (NULL: from the
 * newest), at most limit. OUT: arena array. */
PT_MUSTCHECK enum pt_rc pt_store_referrals_of(struct pt_store_txn *txn, const char *program_id,
                                              const char *referrer_id, const char *cursor_id,
                                              unsigned limit, struct pt_arena *arena,
                                              struct pt_referral **out, unsigned *count,
                                              struct pt_err *err);
/* The referrer's referrals rewarded in month (and not reversed). */
PT_MUSTCHECK enum pt_rc pt_store_referrals_rewarded(struct pt_store_txn *txn,
                                                    const char *program_id, const char *referrer_id,
                                                    int64_t month, int64_t *count,
                                                    struct pt_err *err);

/* Active members born on month_day ("MM-DD") without a birthday award for year, by id, at
 * most limit. OUT: arena array. */
PT_MUSTCHECK enum pt_rc pt_store_birthdays(struct pt_store_txn *txn, const char *program_id,
                                           const char *month_day, int64_t year, unsigned limit,
                                           struct pt_arena *arena, char (**ids)[PT_ID_BUF_BYTES],
                                           unsigned *count, struct pt_err *err);
/* Records the member's birthday award of year; *claimed false when there was one already. */
PT_MUSTCHECK enum pt_rc pt_store_birthday_award(struct pt_store_txn *txn, const char *program_id,
                                                const char *member_id, int64_t year, int64_t points,
                                                const char *entry_id, int64_t now_ms, bool *claimed,
                                                struct pt_err *err);
struct pt_purchase_ref {
    char member_id[PT_ID_BUF_BYTES];
    char id[PT_ID_BUF_BYTES];
};

/* Purchases that occurred in [from_ms, to_ms), by member then id, after (after_member,
 * after_id) ("" for the start), at most limit. OUT: arena array. */
PT_MUSTCHECK enum pt_rc pt_store_purchases_between(struct pt_store_txn *txn, const char *program_id,
                                                   int64_t from_ms, int64_t to_ms,
                                                   const char *after_member, const char *after_id,
                                                   unsigned limit, struct pt_arena *arena,
                                                   struct pt_purchase_ref **out, unsigned *count,
                                                   struct pt_err *err);
/* Records that a rule version fired on a purchase and what it gave. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_rule_add(struct pt_store_txn *txn, const char *program_id,
                                                   const char *member_id, const char *purchase_id,
                                                   const char *rule_id, int64_t rule_version,
                                                   int64_t points, int64_t discount,
                                                   struct pt_err *err);
/* The rule versions that fired on a purchase, with what each gave and its document, by rule id.
 * OUT: *out (arena), *count. */
PT_MUSTCHECK enum pt_rc pt_store_purchase_rules_get(struct pt_store_txn *txn,
                                                    const char *program_id, const char *member_id,
                                                    const char *purchase_id, struct pt_arena *arena,
                                                    struct pt_purchase_rule **out, unsigned *count,
                                                    struct pt_err *err);

/* ---- Events ---- */

PT_MUSTCHECK enum pt_rc pt_store_event_append(struct pt_store_txn *txn, const char *program_id,
                                              const struct pt_event *event, struct pt_err *err);
/* Where an event stands in the feed: the writing transaction's position, then seq. */
struct pt_event_position {
    int64_t txid; /* PostgreSQL: the writing transaction's id; SQLite: 0 or 1 (one writer). */
    int64_t seq;
};

/* The feed position of an event id; PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_store_event_position(struct pt_store_txn *txn, const char *program_id,
                                                const char *event_id, struct pt_event_position *out,
                                                struct pt_err *err);
/* Events after the position (NULL: from the start), at most limit, in an order that no later
 * commit can insert into: by (txid, seq), and only events of transactions older than every
 * one still running. With several writers (PostgreSQL), seq alone is drawn at insert and a
 * transaction may commit after a later seq became visible; a client paging by seq could then
 * step past it. */
PT_MUSTCHECK enum pt_rc pt_store_event_list(struct pt_store_txn *txn, const char *program_id,
                                            const struct pt_event_position *after, unsigned limit,
                                            struct pt_arena *arena, struct pt_event **out,
                                            unsigned *count, struct pt_err *err);

/* ---- What returns may take back (issue 16) ---- */

/*
 * Sums over the member's purchases that occurred after since_ms (the ones still returnable):
 * of points, earned less reversed, and of it what is still in each purchase's own lot and not
 * available at now_ms (pending or expired); of cashback, credited less reversed, and of it what
 * is still pending in each purchase's own wallet credit. OUT: *points, *money.
 */
PT_MUSTCHECK enum pt_rc pt_store_purchases_returnable(
    struct pt_store_txn *txn, const char *program_id, const char *member_id, int64_t since_ms,
    int64_t now_ms, struct pt_returnable *points, struct pt_returnable *money, struct pt_err *err);

/* ---- Audit ---- */

/* Checks every ledger invariant of the database (all programs). OUT: *problem is "" when all
 * hold, else a sentence naming the first violation (out buffer of problem_bytes). */
PT_MUSTCHECK enum pt_rc pt_store_audit(struct pt_store_txn *txn, char *problem,
                                       size_t problem_bytes, struct pt_err *err);

/* The rewards catalog, coupons, vouchers and batches (store_rewards.c, store_batches.c). */
#include "store/store_rewards.h"
/* Users, credentials, sessions and password resets (store_users.c). */
#include "store/store_users.h"
/* The program's summary (store_summary.c). */
#include "store/store_summary.h"
/* Reading purchases back (store_purchases.c, store_returns.c, store_events.c). */
#include "store/store_purchases.h"
/*
 * Erases member old (read in this write) as m (pt_member_erase of it) in one statement per table
 * (store_erase.c): its row; its email, phone, external id, card number and referral code given
 * back in member_keys; its credential, sessions and reset tokens deleted; its purchases' facts
 * and activities' properties cleared; its member and activity events' payloads replaced by
 * event_payload; its idempotency records (by reference, or whose answer names it) answering
 * idem_status with idem_body. PT_EBUSY when the member's version moved.
 */
PT_MUSTCHECK enum pt_rc pt_store_member_erase(struct pt_store_txn *txn, const struct pt_member *old,
                                              const struct pt_member *m, const char *event_payload,
                                              int idem_status, const char *idem_body,
                                              struct pt_err *err);

/* Each in its own header, with its .c: everything held about one member for its export, RFM's
 * figures per member, customer lifetime value's purchases and model, inquiries with their
 * replies and staff notes, surveys with their responses and answers. */
#include "store/store_clv.h"
#include "store/store_exports.h"
#include "store/store_inquiries.h"
#include "store/store_rfm.h"
#include "store/store_surveys.h"

#endif
