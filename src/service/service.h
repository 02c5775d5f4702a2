/* SPDX-License-Identifier: MIT */
/*
 * Use cases, one function each: pt_service_<verb>(svc, principal, request, out, arena, err).
 * Each opens one store transaction, calls core, writes, and commits; a failure leaves no trace.
 * Writes that met a concurrent change are retried at most PT_TXN_RETRIES_MAX times.
 *
 * Ownership: the service owns its store. Out-structs point into the caller's arena.
 * Thread-safety: every function may be called from many threads at once.
 */
#ifndef PT_SERVICE_SERVICE_H
#define PT_SERVICE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "core/cart.h"
#include "core/fields.h"
#include "core/member.h"
#include "core/user.h"
#include "store/store.h"

struct pt_service;

/* How a caller was recognised: an API key, or a session cookie of a user or a member. */
enum pt_principal_kind {
    PT_PRINCIPAL_KEY,
    PT_PRINCIPAL_USER,
    PT_PRINCIPAL_MEMBER,
};

/* Who is calling: resolved from the request's API key or session cookie. */
struct pt_principal {
    char program_id[PT_ID_BUF_BYTES];
    /* The actor, recorded with what it writes (entries, rule versions) and whose rate bucket a
     * request draws from: the key's id, or for a session the user's or the member's. */
    char key_id[PT_ID_BUF_BYTES];
    enum pt_role role; /* PT_ROLE_MEMBER for (and only for) a member's session. */
    enum pt_principal_kind kind;
    char user_id[PT_ID_BUF_BYTES];    /* PT_PRINCIPAL_USER: "usr_..."; else "". */
    char member_id[PT_ID_BUF_BYTES];  /* PT_PRINCIPAL_MEMBER: "mem_..."; else "". */
    char session_id[PT_ID_BUF_BYTES]; /* A session's "ses_..."; "" for a key. */
    int64_t session_expires_at_ms;    /* A session's end; 0 for a key. */
    /* PT_ROLE_PUBLISHABLE: the key's allowed origins joined by a space, in the arena of the
     * request that authenticated; NULL for every other principal. */
    const char *origins;
};

/*
 * Encodes a successful result as the response body to keep with an idempotency key. Called
 * inside the write transaction. OUT: *body is an arena string.
 */
typedef enum pt_rc (*pt_idem_encode_fn)(void *ctx, const void *result, struct pt_arena *arena,
                                        const char **body, struct pt_err *err);

/* Encodes an object as the API shows it (JSON), for the event log. OUT: arena string. */
typedef enum pt_rc (*pt_encode_fn)(const void *obj, struct pt_arena *arena, const char **json,
                                   struct pt_err *err);

/* The API's encoders, given by src/http at startup so that events carry the API's JSON while
 * the service stays free of JSON. Any may be NULL (the payload is then "{}"). */
struct pt_encoders {
    pt_encode_fn member;       /* const struct pt_member * */
    pt_encode_fn purchase;     /* const struct pt_purchase_result * */
    pt_encode_fn ret;          /* const struct pt_return_result * */
    pt_encode_fn redemption;   /* const struct pt_redemption_result * */
    pt_encode_fn adjustment;   /* const struct pt_adjustment_result * */
    pt_encode_fn transfer;     /* const struct pt_transfer_result * */
    pt_encode_fn expiry;       /* const struct pt_expiry_event * */
    pt_encode_fn activity;     /* const struct pt_activity_result * */
    pt_encode_fn tier;         /* const struct pt_tier_event * */
    pt_encode_fn stamps;       /* const struct pt_stamps_event * */
    pt_encode_fn stamp_card;   /* const struct pt_stamp_completion * */
    pt_encode_fn wallet;       /* const struct pt_wallet_event * */
    pt_encode_fn wallet_debit; /* const struct pt_wallet_debit_result * */
    pt_encode_fn referral;     /* const struct pt_referral * */
    pt_encode_fn coupon;       /* const struct pt_coupon_view * */
    pt_encode_fn batch;        /* const struct pt_coupon_batch * */
};

struct pt_idem {
    const char *key;          /* Idempotency-Key, or NULL for none; borrowed. */
    uint8_t request_hash[32]; /* Hash of the request (method, path, body). */
    int status;               /* HTTP status that a success answers with. */
    pt_idem_encode_fn encode; /* Encoder of the stored body. */
    void *encode_ctx;         /* Passed to encode; borrowed. */
    bool replayed;            /* OUT: the key was seen with this request: record holds it. */
    const char *body;         /* OUT: the encoded answer of a new write (arena), so that the caller
                                 answers with it rather than encoding it again; NULL if not encoded. */
    struct pt_idem_record record; /* OUT when replayed: the original status and body. */
};

/* Opens the service on the database at path (see pt_store_open for modes and errors). */
PT_MUSTCHECK enum pt_rc pt_service_open(const char *db_path, unsigned read_conns,
                                        enum pt_store_open_mode mode, struct pt_service **out,
                                        struct pt_err *err);
/* Closes the store and frees svc. Accepts NULL. */
void pt_service_close(struct pt_service *svc);

/* Sets the store's free-space margin (see pt_store_set_min_free). */
void pt_service_set_min_free(struct pt_service *svc, int64_t bytes);

/* Sets the store's load-shedding bound (see pt_store_set_max_wait). */
void pt_service_set_max_write_wait(struct pt_service *svc, int64_t ms);

/* Installs the encoders for event payloads (copied). Call before serving. */
void pt_service_set_encoders(struct pt_service *svc, const struct pt_encoders *enc);
/* Whether the encoders were set (they are set once, before any thread uses them). */
bool pt_service_encoders_set(const struct pt_service *svc);

/* Enables the test clocks (patron serve --test-clock): each program may then set its own now.
 * Call before serving. PT_ENOMEM. */
PT_MUSTCHECK enum pt_rc pt_service_enable_test_clock(struct pt_service *svc, struct pt_err *err);

/* Returns true when the test clock is enabled. */
bool pt_service_test_clock_enabled(const struct pt_service *svc);

/* Sets the test clock of program_id (borrowed) to now_ms; other programs keep theirs.
 * PT_ENOTFOUND when the test clock is not enabled; PT_EINVAL now_ms <= 0; PT_ELIMIT past
 * PT_TEST_CLOCKS_MAX programs. Thread-safe. */
PT_MUSTCHECK enum pt_rc pt_service_test_clock_set(struct pt_service *svc, const char *program_id,
                                                  int64_t now_ms, struct pt_err *err);

/* The service's notion of now for program_id (its test clock when set; the system's clock for
 * NULL or a program without one). Thread-safe. */
int64_t pt_service_now_ms(struct pt_service *svc, const char *program_id);

/* Returns the schema version the database had before this open migrated it. */
int pt_service_version_found(const struct pt_service *svc);

/* PT_OK when a read transaction can be opened (health check). */
PT_MUSTCHECK enum pt_rc pt_service_ping(struct pt_service *svc, struct pt_err *err);

/* OUT: the SQL statements the store has run so far, and its transaction control statements
 * apart (store.h, pt_store_statement_count): for /metrics, and for tests that bound what a use
 * case costs. Thread-safe. */
void pt_service_statement_count(struct pt_service *svc, int64_t *statements, int64_t *txn_control);

/* ---- Programs and keys ---- */

struct pt_key_created {
    struct pt_api_key key;             /* The stored key (hash, prefix, role, ...). */
    char secret[PT_API_KEY_BYTES + 1]; /* The key itself: shown once, never stored. */
};

/*
 * Creates a program named name (1..PT_PROGRAM_NAME_BYTES_MAX bytes) with currency (ISO 4217,
 * three upper-case letters) and its first admin key. OUT: *program, *key (name in arena).
 */
PT_MUSTCHECK enum pt_rc pt_service_program_create(struct pt_service *svc, const char *name,
                                                  const char *currency, struct pt_arena *arena,
                                                  struct pt_program *program,
                                                  struct pt_key_created *key, struct pt_err *err);

/* PT_OK when the database holds no program yet; PT_ECONFLICT when it does (patron init). */
PT_MUSTCHECK enum pt_rc pt_service_require_empty(struct pt_service *svc, struct pt_err *err);

/* Resolves a secret to its principal. PT_EAUTH when unknown, revoked or malformed. */
PT_MUSTCHECK enum pt_rc pt_service_authenticate(struct pt_service *svc, const char *secret,
                                                size_t secret_len, struct pt_arena *arena,
                                                struct pt_principal *out, struct pt_err *err);

/* Creates a key in the principal's program. name: 1..PT_KEY_NAME_BYTES_MAX bytes of text;
 * origins (borrowed): a publishable key's allowed origins, valid and joined by a space
 * (h_keys.c checks each), NULL for any other role (PT_EINVAL naming allowed_origins when the
 * role and origins disagree). */
PT_MUSTCHECK enum pt_rc pt_service_key_create(struct pt_service *svc,
                                              const struct pt_principal *who, const char *name,
                                              enum pt_role role, const char *origins,
                                              struct pt_idem *idem, struct pt_arena *arena,
                                              struct pt_key_created *out, struct pt_err *err);
/* Whether an active publishable key of any program allows origin (len bytes; any bytes: an
 * origin that is not valid is allowed by none), for a CORS preflight, which carries no key.
 * OUT: *allowed. PT_ESTORE when the store cannot answer. */
PT_MUSTCHECK enum pt_rc pt_service_origin_allowed(struct pt_service *svc, const char *origin,
                                                  size_t len, bool *allowed, struct pt_err *err);

/* Lists active keys, newest first; cursor_id NULL for the first page; limit 1..PT_PAGE_LIMIT_MAX+1.
 */
PT_MUSTCHECK enum pt_rc pt_service_key_list(struct pt_service *svc, const struct pt_principal *who,
                                            const char *cursor_id, unsigned limit,
                                            struct pt_arena *arena, struct pt_api_key **out,
                                            unsigned *count, struct pt_err *err);
/* Revokes a key at once. PT_ENOTFOUND when no such active key; PT_ECONFLICT "last_admin_key"
 * when it is the program's last active admin key (a program must stay manageable). */
PT_MUSTCHECK enum pt_rc pt_service_key_revoke(struct pt_service *svc,
                                              const struct pt_principal *who, const char *key_id,
                                              struct pt_err *err);

/* ---- Members ---- */

/*
 * Enrolls a member. In: m's client-settable fields (validated here; email lower-cased in place,
 * so m->email must be writable arena memory). OUT: m completed with its server-set fields.
 * PT_EINVAL naming the field; PT_ECONFLICT "member_exists"/"idempotency_conflict".
 */
/* referred_by (nullable): the referral code of the member who referred this one
 * (docs/referrals.md). */
PT_MUSTCHECK enum pt_rc pt_service_member_create(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 struct pt_member *m, const char *referred_by,
                                                 struct pt_idem *idem, struct pt_arena *arena,
                                                 struct pt_err *err);

/* Reads a member of the principal's program; PT_ENOTFOUND otherwise. */
PT_MUSTCHECK enum pt_rc pt_service_member_get(struct pt_service *svc,
                                              const struct pt_principal *who, const char *member_id,
                                              struct pt_arena *arena, struct pt_member *out,
                                              struct pt_err *err);

/*
 * Computes a member's next state from its current one (a merge patch, in src/http). Runs on the
 * writer thread inside the write, so concurrent changes of one member apply one after another
 * and none is lost. OUT: *next (strings in the arena). PT_EINVAL naming a field refuses.
 */
typedef enum pt_rc (*pt_member_change_fn)(void *ctx, const struct pt_member *current,
                                          struct pt_member *next, struct pt_arena *arena,
                                          struct pt_err *err);

/*
 * Changes a member: reads it in the write, lets change compute the next state, validates it
 * (core), writes it with its member.updated event; closing it ends its sessions. OUT: *out is
 * the member as written. PT_ENOTFOUND, PT_EINVAL naming the field, PT_ECONFLICT member_exists.
 */
PT_MUSTCHECK enum pt_rc pt_service_member_change(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 const char *member_id, pt_member_change_fn change,
                                                 void *change_ctx, struct pt_arena *arena,
                                                 struct pt_member *out, struct pt_err *err);

/*
 * Reopens a closed member (admin): its status becomes active, with a member.reopened event, so
 * that it may be written again (a closed member is read-only: pt_member_require_open). OUT: *out
 * is the member as written. PT_ENOTFOUND; PT_ELIMIT member_not_closed when it is not closed.
 */
PT_MUSTCHECK enum pt_rc pt_service_member_reopen(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 const char *member_id, struct pt_arena *arena,
                                                 struct pt_member *out, struct pt_err *err);

/*
 * Erases a member's personal data (admin; docs/crm.md, "Privacy: export and erase"), in one
 * write with a member.erased event: see pt_store_member_erase for what goes. Its ledger,
 * purchases and the rest stay under its id. OUT: *out, the erased member. PT_ENOTFOUND;
 * PT_ECONFLICT already_erased when it was erased before (a replay of the same Idempotency-Key
 * answers the first answer instead).
 */
PT_MUSTCHECK enum pt_rc pt_service_member_erase(struct pt_service *svc,
                                                const struct pt_principal *who,
                                                const char *member_id, struct pt_idem *idem,
                                                struct pt_arena *arena, struct pt_member *out,
                                                struct pt_err *err);

/* Lists members matching filter (see pt_store_member_list). */
PT_MUSTCHECK enum pt_rc pt_service_member_list(struct pt_service *svc,
                                               const struct pt_principal *who,
                                               struct pt_member_filter *filter,
                                               struct pt_arena *arena, struct pt_member **out,
                                               unsigned *count, struct pt_err *err);

/* ---- Program settings ---- */

/* Reads the caller's program with its settings. */
PT_MUSTCHECK enum pt_rc pt_service_program_get(struct pt_service *svc,
                                               const struct pt_principal *who,
                                               struct pt_arena *arena, struct pt_program *out,
                                               struct pt_err *err);
/* Changes the settings the caller's patch makes to the program as it is read in the write
 * (two changes at once both land), validated. OUT: *program. PT_EINVAL naming the field. */
typedef enum pt_rc (*pt_program_patch_fn)(void *ctx, struct pt_arena *arena, struct pt_program *p,
                                          struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_service_program_update(struct pt_service *svc,
                                                  const struct pt_principal *who,
                                                  pt_program_patch_fn patch, void *patch_ctx,
                                                  struct pt_arena *arena,
                                                  struct pt_program *program, struct pt_err *err);

/* ---- The ledger ---- */

struct pt_purchase_result {
    struct pt_purchase purchase;
    int64_t points_pending; /* Of points_earned, what is still pending. */
    struct pt_balance balance;
    struct pt_cart_answer cart; /* What the rules gave (points_earned == cart.points). */
};

/* Evaluates a cart against the program's active purchase rules, without changing anything:
 * exactly what a purchase of this cart would earn and get now. currency (nullable) must be
 * the program's. PT_ENOTFOUND for an unknown member. */
PT_MUSTCHECK enum pt_rc pt_service_cart_evaluate(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 const struct pt_cart_request *cart,
                                                 const char *currency, struct pt_arena *arena,
                                                 struct pt_cart_answer *out, struct pt_err *err);

struct pt_return_result {
    struct pt_return ret;
    struct pt_balance balance;
    int64_t cashback_reversed; /* Taken back from the wallet (docs/wallets.md). */
    int64_t cashback_owed;     /* Of it, what the wallet could not give: owed. */
};

struct pt_redemption_result {
    struct pt_redemption redemption;
    struct pt_balance balance;
};

struct pt_adjustment_result {
    char id[PT_ID_BUF_BYTES]; /* The entry id ("ent_..."). */
    char member_id[PT_ID_BUF_BYTES];
    int64_t points;
    const char *reason;
    char key_id[PT_ID_BUF_BYTES];
    int64_t created_at_ms;
    struct pt_balance balance;
};

struct pt_transfer_result {
    char id[PT_ID_BUF_BYTES]; /* "trf_..." */
    char from_member_id[PT_ID_BUF_BYTES];
    char to_member_id[PT_ID_BUF_BYTES];
    int64_t points;
    int64_t created_at_ms;
    struct pt_balance from_balance;
    struct pt_balance to_balance;
};

/* The event of one member's expired points. */
struct pt_expiry_event {
    char entry_id[PT_ID_BUF_BYTES];
    char member_id[PT_ID_BUF_BYTES];
    int64_t points;
    int64_t created_at_ms;
};

struct pt_expiry_result {
    int64_t points_expired;
    int64_t lots_expired;
    int64_t members;
};

/*
 * Records a purchase (p: external_id, member_id, occurred_at, currency, amount, items, channel,
 * location) and earns its points. The external_id is the idempotency key unless idem->key is
 * given. PT_ENOTFOUND member; PT_EINVAL fields; PT_ECONFLICT idempotency_conflict;
 * PT_ELIMIT member_inactive, or limit_exceeded (field amount) when what it earns would pass a
 * bound of the ledger (limits.h), nothing then written.
 */
PT_MUSTCHECK enum pt_rc pt_service_purchase(struct pt_service *svc, const struct pt_principal *who,
                                            const struct pt_purchase *p, struct pt_idem *idem,
                                            struct pt_arena *arena, struct pt_purchase_result *out,
                                            struct pt_err *err);

/* A full or partial return of a purchase. PT_EINVAL "return_exceeds_purchase" (422). */
PT_MUSTCHECK enum pt_rc pt_service_return(struct pt_service *svc, const struct pt_principal *who,
                                          const char *purchase_id,
                                          const struct pt_return_request *req, struct pt_idem *idem,
                                          struct pt_arena *arena, struct pt_return_result *out,
                                          struct pt_err *err);

/* ---- Reading purchases back (issue 19) ---- */

/* A purchase as GET /v1/transactions/{id} shows it. */
struct pt_purchase_view {
    /* The answer POST /v1/transactions gave (JSON text; arena), as it gave it: its event's
     * payload. NULL for a purchase recorded before schema version 25, whose event does not
     * name it. */
    const char *answer;
    /* result.purchase: the purchase with its items, their returned quantities and its returned
     * amounts, always. Without answer, the rest too, from what its rows keep (see
     * pt_service_purchase_get). */
    struct pt_purchase_result result;
    struct pt_purchase_return *returns; /* Oldest first; arena; return_shown of them. */
    unsigned return_shown;              /* At most PT_PURCHASE_RETURNS_SHOWN_MAX. */
    int64_t return_count;               /* Its returns in all. */
};

/* The purchase purchase_id of the caller's program, its answer and its returns. A purchase
 * whose answer is not found is answered from its rows: its items without names, its
 * discount, base points, tier, cashback, payments and what they leave to pay, and no rules,
 * lines, messages, nudges, coupons or stamps; its points still pending and the member's balance
 * are those of now. PT_ENOTFOUND (no such purchase in the program). */
PT_MUSTCHECK enum pt_rc pt_service_purchase_get(struct pt_service *svc,
                                                const struct pt_principal *who,
                                                const char *purchase_id, struct pt_arena *arena,
                                                struct pt_purchase_view *out, struct pt_err *err);

/* Which of a member's purchases to list (GET /v1/members/{id}/purchases). */
struct pt_purchase_query {
    int64_t from_ms;       /* occurred_at >= from_ms; PT_TIME_INPUT_MIN_MS: no bound. */
    int64_t to_ms;         /* occurred_at < to_ms; INT64_MAX: no bound. */
    const char *cursor_id; /* The last purchase listed before (next_cursor); NULL: the first. */
    unsigned limit;        /* Purchases to read, 1..PT_PAGE_LIMIT_MAX + 1. */
};

/* The member's purchases newest first (occurred_at, then id), each summed up, after the cursor.
 * PT_ENOTFOUND (no such member in the program); PT_EINVAL field "to" when to is not after
 * from, field "cursor" when the cursor is not one of the member's purchases. OUT: *out (arena
 * array), *count (at most query->limit). */
PT_MUSTCHECK enum pt_rc
pt_service_member_purchases(struct pt_service *svc, const struct pt_principal *who,
                            const char *member_id, const struct pt_purchase_query *query,
                            struct pt_arena *arena, struct pt_purchase_summary **out,
                            unsigned *count, struct pt_err *err);

/* Spends points. PT_EINSUFFICIENT when the available points are short. */
PT_MUSTCHECK enum pt_rc pt_service_redeem(struct pt_service *svc, const struct pt_principal *who,
                                          const char *member_id, int64_t points, const char *reason,
                                          struct pt_idem *idem, struct pt_arena *arena,
                                          struct pt_redemption_result *out, struct pt_err *err);

/* Gives a redemption's points back into the lots they came from (expired ones to expired), its
 * entry recording reason (nullable; 400 field reason past PT_REASON_BYTES_MAX). Cancelling a
 * cancelled redemption changes nothing and answers its state (with the first cancel's reason). */
PT_MUSTCHECK enum pt_rc
pt_service_redemption_cancel(struct pt_service *svc, const struct pt_principal *who,
                             const char *redemption_id, const char *reason, struct pt_arena *arena,
                             struct pt_redemption_result *out, struct pt_err *err);

/* Adds (points > 0) or removes points with a reason. PT_ELIMIT limit_exceeded (field points)
 * past the caller's role's per-call limit (the program's adjust_limits) or when the member's
 * balance would pass PT_MEMBER_POINTS_MAX either way; nothing is then written. */
PT_MUSTCHECK enum pt_rc pt_service_adjust(struct pt_service *svc, const struct pt_principal *who,
                                          const char *member_id, int64_t points, const char *reason,
                                          struct pt_idem *idem, struct pt_arena *arena,
                                          struct pt_adjustment_result *out, struct pt_err *err);

/* Moves points between two members of the program; the receiver's lots keep their expiry. */
PT_MUSTCHECK enum pt_rc pt_service_transfer(struct pt_service *svc, const struct pt_principal *who,
                                            const char *from_id, const char *to_id, int64_t points,
                                            struct pt_idem *idem, struct pt_arena *arena,
                                            struct pt_transfer_result *out, struct pt_err *err);

/* The member's balance now. */
PT_MUSTCHECK enum pt_rc pt_service_balance(struct pt_service *svc, const struct pt_principal *who,
                                           const char *member_id, struct pt_arena *arena,
                                           struct pt_balance *out, struct pt_err *err);

/* The member's ledger lines, newest first (before_seq 0 = newest). */
PT_MUSTCHECK enum pt_rc pt_service_ledger(struct pt_service *svc, const struct pt_principal *who,
                                          const char *member_id, int64_t before_seq, unsigned limit,
                                          struct pt_arena *arena, struct pt_ledger_line **out,
                                          unsigned *count, struct pt_err *err);

/* Expires every due lot of one program (program_id) or of all (NULL). */
PT_MUSTCHECK enum pt_rc pt_service_expire(struct pt_service *svc, const char *program_id,
                                          struct pt_expiry_result *out, struct pt_err *err);

/* The program's events after an event id (NULL = from the start), in commit order. */
PT_MUSTCHECK enum pt_rc pt_service_events(struct pt_service *svc, const struct pt_principal *who,
                                          const char *after_id, unsigned limit,
                                          struct pt_arena *arena, struct pt_event **out,
                                          unsigned *count, struct pt_err *err);

/* Checks every ledger invariant. OUT: problem "" when all hold. */
/* Copies every row of the store at from (which must exist) into the store at to (created and
 * migrated when missing; it must hold no program), in one transaction of to. *rows counts
 * the rows copied. `patron migrate-store`. */
PT_MUSTCHECK enum pt_rc pt_service_migrate_store(const char *from, const char *to, int64_t *rows,
                                                 struct pt_err *err);

/* `patron backup`: see pt_store_backup. */
PT_MUSTCHECK enum pt_rc pt_service_backup(struct pt_service *svc, const char *dest,
                                          struct pt_err *err);

PT_MUSTCHECK enum pt_rc pt_service_audit(struct pt_service *svc, char *problem,
                                         size_t problem_bytes, struct pt_err *err);

/* ---- Rules (rules.c; docs/rules.md) ---- */

/* Creates a rule from its document (JSON text without status), draft or active. PT_EINVAL with
 * the JSON path of the problem; PT_ELIMIT "limit_exceeded" past the active rules' limit. */
PT_MUSTCHECK enum pt_rc pt_service_rule_create(struct pt_service *svc,
                                               const struct pt_principal *who, const char *document,
                                               enum pt_rule_status status, struct pt_idem *idem,
                                               struct pt_arena *arena, struct pt_rule_row *out,
                                               struct pt_err *err);
/* Makes a new version of the rule with document (NULL: the same) and status (< 0: the same).
 * if_version > 0 applies it only to that version (PT_ECONFLICT "version_conflict" else).
 * PT_ELIMIT "rule_archived" for a change of an archived rule, "rule_not_active" to pause a
 * draft. A status it already has changes nothing (no new version). */
PT_MUSTCHECK enum pt_rc pt_service_rule_change(struct pt_service *svc,
                                               const struct pt_principal *who, const char *rule_id,
                                               const char *document, int status, int64_t if_version,
                                               struct pt_arena *arena, struct pt_rule_row *out,
                                               struct pt_err *err);
/* Changes a rule's document onto the stored rule (given by the API: a merge patch of the
 * request). Runs inside the write, on the writer thread. OUT: row->document (arena). */
typedef enum pt_rc (*pt_rule_patch_fn)(void *ctx, struct pt_arena *arena, struct pt_rule_row *row,
                                       struct pt_err *err);
/* Reads the rule, applies patch to its document and makes the new version, in one write: two
 * changes at once both land. The same refusals as pt_service_rule_change with a document.
 * OUT: *out, the rule written. */
PT_MUSTCHECK enum pt_rc pt_service_rule_patch(struct pt_service *svc,
                                              const struct pt_principal *who, const char *rule_id,
                                              pt_rule_patch_fn patch, void *patch_ctx,
                                              struct pt_arena *arena, struct pt_rule_row *out,
                                              struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_service_rule_get(struct pt_service *svc, const struct pt_principal *who,
                                            const char *rule_id, struct pt_arena *arena,
                                            struct pt_rule_row *out, struct pt_err *err);
/* status < 0: every status. */
PT_MUSTCHECK enum pt_rc pt_service_rule_list(struct pt_service *svc, const struct pt_principal *who,
                                             int status, const char *cursor_id, unsigned limit,
                                             struct pt_arena *arena, struct pt_rule_row **out,
                                             unsigned *count, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_service_rule_versions(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 const char *rule_id, int64_t before,
                                                 unsigned limit, struct pt_arena *arena,
                                                 struct pt_rule_row **out, unsigned *count,
                                                 struct pt_err *err);

/* ---- Tiers (tiers.c; docs/tiers.md) ---- */

/* The payload of tier.upgraded and tier.downgraded (and of a kept tier in the history). */
struct pt_tier_event {
    char member_id[PT_ID_BUF_BYTES];
    const char *from; /* tier names */
    const char *to;
    const char *reason; /* "purchase", "review" */
    const char *metric; /* qualifying_points, spend, purchases */
    int64_t value;      /* The metric that decided. */
    int64_t at_ms;
    char review_date[11]; /* The next review ("YYYY-MM-DD", local), "" at the first tier. */
};

/* A member's tier as GET /v1/members/{id}/tier shows it. */
struct pt_member_tier {
    char member_id[PT_ID_BUF_BYTES];
    struct pt_program program; /* Its policy (program.tiers) and currency. */
    struct pt_tier_state state;
    int64_t value;        /* The metric of the current window. */
    char window_from[11]; /* The current window ("YYYY-MM-DD", local, inclusive). */
    char window_to[11];
    bool has_next;                  /* A higher tier exists. */
    int64_t next_missing;           /* What the current window lacks for it (> 0). */
    bool has_review;                /* Above the first tier: a review will come. */
    char review_date[11];           /* The first day of the review month. */
    int64_t review_value;           /* The metric of the reviewed window so far. */
    int64_t keep_missing;           /* What it lacks to keep the tier (0 when kept). */
    char keep_by[11];               /* The last day of the reviewed window. */
    struct pt_tier_change *history; /* Newest first; arena. */
    unsigned history_count;
};

/* PT_ENOTFOUND for an unknown member, or (code tiers_not_configured) a program without tiers. */
PT_MUSTCHECK enum pt_rc pt_service_member_tier(struct pt_service *svc,
                                               const struct pt_principal *who,
                                               const char *member_id, struct pt_arena *arena,
                                               struct pt_member_tier *out, struct pt_err *err);

struct pt_tier_review_result {
    int64_t reviewed; /* Reviews done (a member a window behind counts once per window). */
    int64_t kept;     /* Kept on the window's metric. */
    int64_t retained; /* Kept one more window by retain. */
    int64_t downgraded;
    int64_t upgraded; /* Thresholds lowered since the last review. */
};

/* Reviews every member whose review month has come, in who's program (NULL: every program):
 * pages of members, each in its own write. Running it again finds nothing more to do. */
PT_MUSTCHECK enum pt_rc pt_service_tier_reviews(struct pt_service *svc,
                                                const struct pt_principal *who,
                                                struct pt_tier_review_result *out,
                                                struct pt_err *err);

/* ---- Stamp cards (stamps.c; docs/stamp-cards.md) ---- */

/* Creates a card from card (id, times set here); card->document is the rule document the
 * API made of the card's condition (its one effect adds stamps to this card). PT_EINVAL names
 * the bad field; PT_ELIMIT (limit_exceeded) past PT_STAMP_CARDS_ACTIVE_MAX active cards. */
PT_MUSTCHECK enum pt_rc pt_service_stamp_card_create(struct pt_service *svc,
                                                     const struct pt_principal *who,
                                                     struct pt_stamp_card *card,
                                                     struct pt_idem *idem, struct pt_arena *arena,
                                                     struct pt_err *err);
/* Changes a card's fields onto the stored card (given by the API: a request's patch, which
 * also rebuilds the card's rule document). Runs inside the write, on the writer thread. */
typedef enum pt_rc (*pt_stamp_card_patch_fn)(void *ctx, struct pt_arena *arena,
                                             struct pt_stamp_card *card, struct pt_err *err);
/* Reads the card, applies patch and writes it, in one write: two changes at once both land.
 * Archived is final (422 stamp_card_archived). OUT: *out, the card written. */
PT_MUSTCHECK enum pt_rc
pt_service_stamp_card_update(struct pt_service *svc, const struct pt_principal *who,
                             const char *card_id, pt_stamp_card_patch_fn patch, void *patch_ctx,
                             struct pt_arena *arena, struct pt_stamp_card *out, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_service_stamp_card_get(struct pt_service *svc,
                                                  const struct pt_principal *who,
                                                  const char *card_id, struct pt_arena *arena,
                                                  struct pt_stamp_card *out, struct pt_err *err);
PT_MUSTCHECK enum pt_rc
pt_service_stamp_card_list(struct pt_service *svc, const struct pt_principal *who,
                           const char *cursor_id, unsigned limit, struct pt_arena *arena,
                           struct pt_stamp_card **out, unsigned *count, struct pt_err *err);

/* A member's progress on one active card. */
struct pt_stamp_progress {
    const struct pt_stamp_card *card;
    int64_t stamps;        /* On the open instance (0 when none or expired). */
    int64_t started_at_ms; /* 0 when no open instance */
    int64_t expires_at_ms; /* 0 when none or never */
    int64_t completed;     /* Instances completed so far. */
};

/* Every active card with the member's progress. PT_ENOTFOUND for an unknown member. */
PT_MUSTCHECK enum pt_rc pt_service_member_stamp_cards(struct pt_service *svc,
                                                      const struct pt_principal *who,
                                                      const char *member_id, struct pt_arena *arena,
                                                      struct pt_stamp_progress **out,
                                                      unsigned *count, struct pt_err *err);

/* The payload of stamps.added and stamps.removed. */
struct pt_stamps_event {
    char member_id[PT_ID_BUF_BYTES];
    char purchase_id[PT_ID_BUF_BYTES];
    const struct pt_stamp_gain *cards; /* removed: stamps is what was taken back */
    unsigned card_count;
};

/* The payload of stamp_card.completed. */
struct pt_stamp_completion {
    char member_id[PT_ID_BUF_BYTES];
    char card_id[PT_ID_BUF_BYTES];
    const char *name;
    int64_t n; /* The member's how-many-th card */
    int64_t reward_points;
    char entry_id[PT_ID_BUF_BYTES];
    int64_t completed_at_ms;
    /* A card whose reward is of the catalog: the reward and the coupon it gave ("" when the
     * reward could not give one: coupon_reason). */
    const char *reward_id;
    char coupon_code[PT_ID_BUF_BYTES];
    const char *coupon_reason;
};

/* ---- Wallets (wallet.c; docs/wallets.md) ---- */

/* A member's wallet, in minor units of the program's currency. */
struct pt_wallet {
    char member_id[PT_ID_BUF_BYTES];
    char currency[4];
    int64_t balance;   /* available + pending - owed, as the account holds it */
    int64_t available; /* Spendable now. */
    int64_t pending;   /* Credited, in its pending period. */
    int64_t owed;      /* Taken back by returns after it was spent; repaid by the next credit. */
    int64_t lifetime_credited;
    int64_t lifetime_spent;
    struct pt_ledger_line *lines; /* The last movements, newest first; arena */
    unsigned line_count;
};

PT_MUSTCHECK enum pt_rc pt_service_wallet(struct pt_service *svc, const struct pt_principal *who,
                                          const char *member_id, struct pt_arena *arena,
                                          struct pt_wallet *out, struct pt_err *err);

struct pt_wallet_debit_request {
    int64_t amount;          /* > 0 */
    const char *reason;      /* nullable */
    const char *external_id; /* The order it pays; nullable; natural idempotency key */
};

struct pt_wallet_debit_result {
    struct pt_wallet_debit debit;
    struct pt_wallet wallet;
};

/* Spends money from the member's wallet (available money only: never below zero, 422
 * insufficient_funds). Idempotent by Idempotency-Key or external_id. */
PT_MUSTCHECK enum pt_rc
pt_service_wallet_debit(struct pt_service *svc, const struct pt_principal *who,
                        const char *member_id, const struct pt_wallet_debit_request *req,
                        struct pt_idem *idem, struct pt_arena *arena,
                        struct pt_wallet_debit_result *out, struct pt_err *err);
/* Gives a debit's money back to the credits it came from, its entry recording reason
 * (nullable; 400 field reason past PT_REASON_BYTES_MAX); twice changes nothing. */
PT_MUSTCHECK enum pt_rc
pt_service_wallet_debit_cancel(struct pt_service *svc, const struct pt_principal *who,
                               const char *debit_id, const char *reason, struct pt_arena *arena,
                               struct pt_wallet_debit_result *out, struct pt_err *err);

/* The payload of wallet.credited, wallet.reversed. */
struct pt_wallet_event {
    char member_id[PT_ID_BUF_BYTES];
    const char *type;        /* the entry's type: cashback, cashback_return, referral, ... */
    const char *reference;   /* what it is about (a purchase, a referral) */
    int64_t amount;          /* > 0 credited or taken back */
    int64_t owed;            /* wallet.reversed: what could not be taken */
    int64_t available_at_ms; /* wallet.credited */
    char entry_id[PT_ID_BUF_BYTES];
};

/* ---- Referrals (referrals.c; docs/referrals.md) ---- */

struct pt_referral_view {
    char member_id[PT_ID_BUF_BYTES];
    char referral_code[PT_REFERRAL_CODE_BYTES + 1];
    bool referred; /* The member was referred: referred_by holds its referral. */
    struct pt_referral referred_by;
    struct pt_referral *data; /* The member's referrals, newest first; arena */
    unsigned count;
    int64_t within_days; /* The program's window now (0 without referrals), to tell
                            expired invitations */
    int64_t now_ms;
};

/* A member's referrals (as referrer) and its own referral. PT_ENOTFOUND for an unknown member. */
PT_MUSTCHECK enum pt_rc pt_service_member_referrals(struct pt_service *svc,
                                                    const struct pt_principal *who,
                                                    const char *member_id, const char *cursor_id,
                                                    unsigned limit, struct pt_arena *arena,
                                                    struct pt_referral_view *out,
                                                    struct pt_err *err);

/* ---- Activities, enrollment and birthdays (activities.c, birthdays.c; docs/rules.md) ---- */

struct pt_activity_request {
    const char *member_id;
    const char *type;        /* [a-z0-9_-], 1..64 */
    const char *external_id; /* unique in the program: the activity's own idempotency */
    int64_t occurred_at_ms;
    const char *properties; /* JSON object text ("{}" when none) */
};

struct pt_activity_result {
    struct pt_activity_row activity;
    struct pt_cart_answer rules; /* What the activity's rules gave. */
    struct pt_balance balance;
};

/* Records a member activity and applies the program's activity:<type> rules. A replay of its
 * external_id (or Idempotency-Key) answers the first result. */
PT_MUSTCHECK enum pt_rc pt_service_activity(struct pt_service *svc, const struct pt_principal *who,
                                            const struct pt_activity_request *req,
                                            struct pt_idem *idem, struct pt_arena *arena,
                                            struct pt_activity_result *out, struct pt_err *err);

struct pt_birthday_result {
    int64_t members; /* Members whose birthday was handled now (once a year each). */
    int64_t points;
};

/* Applies the birthday rules to every active member whose birthday is today (UTC; 29 February
 * on the 28th in other years), once per member and year, in the program of who (NULL: every
 * program). Running it again the same day awards nothing. */
PT_MUSTCHECK enum pt_rc pt_service_birthdays(struct pt_service *svc, const struct pt_principal *who,
                                             struct pt_birthday_result *out, struct pt_err *err);

/* ---- What-if simulation (simulations.c) ---- */

struct pt_simulation {
    int64_t purchases;         /* Replayed. */
    int64_t members_affected;  /* Whose points would differ. */
    int64_t actual_points;     /* What those purchases earned. */
    int64_t simulated_points;  /* What they would have earned. */
    int64_t extra_points;      /* simulated - actual */
    int64_t cost;              /* extra_points at the program's point value, minor units, floored */
    int64_t point_cost_amount; /* The program's point value: amount per points. */
    int64_t point_cost_points;
    int64_t eval_cost; /* The replayed evaluations' cost, summed (pt_rules_eval_cost). */
};

/*
 * Replays the program's purchases that occurred in [from_ms, to_ms) through its active rules
 * as they would be: with draft (a rule document, nullable) added, and/or the rule rule_id
 * (nullable) as document changed (its new document; NULL: as it is) and active. Read-only, on
 * a read connection. Members' facts are as they are now; their use of limited rules counts
 * within the period; budgets are spent in member order. PT_EINVAL (JSON path) for a rule that
 * does not compile; PT_ELIMIT past PT_SIMULATE_PURCHASES_MAX purchases.
 */
PT_MUSTCHECK enum pt_rc pt_service_rules_simulate(struct pt_service *svc,
                                                  const struct pt_principal *who, const char *draft,
                                                  const char *rule_id, const char *changed,
                                                  int64_t from_ms, int64_t to_ms,
                                                  struct pt_simulation *out, struct pt_err *err);

/* Rewards, coupons, vouchers and batches (rewards.c, coupons.c, vouchers.c, batches.c). */
#include "service/service_rewards.h"
/* The program's public face and the embed script's reads (public.c). */
#include "service/service_embed.h"
#include "service/service_public.h"

/* Users, sessions and the member portal (users.c, sessions.c, portal.c). */
#include "service/service_users.h"

#endif
