/* SPDX-License-Identifier: MIT */
/* Declarations shared by the files of src/service; not part of service.h. */
#ifndef PT_SERVICE_SERVICE_INT_H
#define PT_SERVICE_SERVICE_INT_H

#include <stdatomic.h>

#include "service/service.h"

#include "base/limits.h"
#include "base/tz.h"

#include <pthread.h>

/* A recently authenticated API key. */
struct pt_key_cache_slot {
    uint8_t hash[PT_API_KEY_HASH_BYTES];
    struct pt_principal who; /* who.origins NULL: origins holds them for a publishable key. */
    char origins[PT_KEY_ORIGINS_TEXT_BYTES_MAX];
    int64_t expires_us; /* Monotonic; 0 = empty. */
};

/* A recently authenticated session (sessions.c). */
struct pt_session_cache_slot {
    uint8_t hash[32]; /* Of the cookie's token. */
    struct pt_principal who;
    int64_t expires_us; /* Monotonic; 0 = empty. */
};

/* Programs whose compiled rules are kept (rule_sets.c). */
#define PT_RULE_CACHE_SLOTS 64

struct pt_rule_set;

/* One program's test clock (patron serve --test-clock). */
struct pt_test_clock {
    char program_id[PT_ID_BUF_BYTES]; /* "" for a free slot. */
    int64_t now_ms;                   /* The program's now, > 0. */
};

struct pt_service {
    struct pt_store *store; /* Owned. */
    /* Keys seen in the last PT_KEY_CACHE_TTL_MS, so that a read is one store transaction, not
     * two. A revocation through this process empties it at once. */
    pthread_mutex_t key_cache_mu;
    struct pt_key_cache_slot key_cache[PT_KEY_CACHE_SLOTS];
    uint64_t key_cache_generation; /* Bumped by each clear; key_cache_mu. */
    bool test_clock_enabled;       /* patron serve --test-clock; set before serving. */
    /* The test clocks, one per program that set one (issue 16: one program's admin must not
     * move another's time); a program without one follows the system clock. */
    pthread_mutex_t test_clock_mu;     /* Guards test_clocks and test_clock_count. */
    struct pt_test_clock *test_clocks; /* Owned; PT_TEST_CLOCKS_MAX slots, NULL when off. */
    unsigned test_clock_count;         /* Slots in use; <= PT_TEST_CLOCKS_MAX. */
    struct pt_encoders enc;            /* JSON encoders of the API's objects, for events. */
    pthread_mutex_t rules_mu;          /* Guards rule_sets and their reference counts. */
    struct pt_rule_set *rule_sets[PT_RULE_CACHE_SLOTS];
    /* Told after a coupon batch is created, so that its codes are made at once (the jobs
     * thread); set before serving. */
    void (*batch_notify)(void *ctx);
    void *batch_notify_ctx;
    /* Sessions seen in the last PT_SESSION_CACHE_TTL_MS (as keys above); a sign-out, a disabled
     * user, a changed role or password empties it at once in this process. */
    pthread_mutex_t session_cache_mu;
    struct pt_session_cache_slot session_cache[PT_SESSION_CACHE_SLOTS];
    uint64_t session_cache_generation; /* Bumped by each clear; session_cache_mu. */
    /* Password hashes running now, and how many may (the cores, <= PT_PASSWORD_HASHES_MAX). */
    atomic_uint hashes_running;
    unsigned hashes_max;
    /* Where a member's password reset token goes (serve --reset-delivery); NULL: nowhere. Set
     * before serving. */
    pt_reset_deliver_fn reset_deliver;
    void *reset_deliver_ctx;
};

/* The one clock of the service for program_id: its test clock when set, else the system's.
 * program_id NULL (work over every program, or none) is the system's clock: the scheduled jobs
 * that run over all programs are off on a test clock (src/cli/main.c). */
int64_t pt_svc_now_ms(struct pt_service *svc, const char *program_id);

/* Refuses a write on a closed member (pt_member_require_open), reading it in txn. PT_ENOTFOUND,
 * PT_ELIMIT member_inactive. */
PT_MUSTCHECK enum pt_rc pt_svc_member_open(struct pt_store_txn *txn, const char *program_id,
                                           const char *member_id, struct pt_arena *arena,
                                           struct pt_err *err);

/* ---- Users, sessions and the portal (users.c, sessions.c, portal.c) ---- */

struct pt_svc_write;

/* The password hashes one process runs at once: its cores, 1..PT_PASSWORD_HASHES_MAX. */
unsigned pt_svc_hashes_max(void);
/* Hashes a new password (len bytes) on the caller's thread, at most svc->hashes_max at once:
 * PT_EBUSY (503) beyond. */
PT_MUSTCHECK enum pt_rc pt_svc_password_hash(struct pt_service *svc, const char *password,
                                             char out[PT_PASSWORD_HASH_BYTES], struct pt_err *err);
/* Checks password against stored (NULL: a made-up hash, so that an unknown login costs the
 * same time), bounded as pt_svc_password_hash. OUT: *ok. PT_EBUSY. */
PT_MUSTCHECK enum pt_rc pt_svc_password_verify(struct pt_service *svc, const char *stored,
                                               const char *password, bool *ok, struct pt_err *err);
/* Inside a write: starts a session of kind for subject_id at w->now_ms (a new token, ending the
 * subject's expired sessions and those past PT_SESSIONS_PER_SUBJECT_MAX). OUT: out->session,
 * out->token, out->csrf_token. */
PT_MUSTCHECK enum pt_rc pt_svc_session_start(struct pt_svc_write *w, enum pt_session_kind kind,
                                             const char *subject_id, struct pt_signed_in *out,
                                             struct pt_err *err);
/* Empties the session cache of this process (after sessions were ended). */
void pt_svc_session_cache_clear(struct pt_service *svc);
/* Inside a write: enrolls m (validated, its server-set fields but the codes set) for w->who's
 * program with its referral (referred_by: a referral code, nullable) and the program's
 * enrollment rules, whose entries name actor_id (NULL: the member itself, a portal sign-up).
 * PT_ECONFLICT member_exists; the referral's refusals. */
PT_MUSTCHECK enum pt_rc pt_svc_member_enroll(struct pt_svc_write *w, struct pt_member *m,
                                             const char *referred_by, const char *actor_id,
                                             struct pt_err *err);
/* The id of the program a portal or sign-in request names, or the default one (program_id
 * NULL): PT_ENOTFOUND when there is none of that id. OUT: out (PT_ID_BUF_BYTES). */
PT_MUSTCHECK enum pt_rc pt_svc_program_pick(struct pt_service *svc, const char *program_id,
                                            char *out, struct pt_err *err);

/* Inside a write whose member (w->member, w->program) is loaded: records the activity req
 * (external_id unique in the program) and applies the program's activity:<type> rules to it,
 * as POST /v1/activities does; the caller appends its event. OUT: *out (the activity, what
 * its rules gave, the member's balance after). */
PT_MUSTCHECK enum pt_rc pt_svc_activity_record(struct pt_svc_write *w,
                                               const struct pt_activity_request *req,
                                               struct pt_activity_result *out, struct pt_err *err);
/* Draws a new id "<prefix>_..." for the time now_ms into out (PT_ID_BUF_BYTES). */
void pt_svc_new_id(const char *prefix, int64_t now_ms, char *out);

/* ---- The write skeleton (write.c) ---- */

/* What a write case asks of its member (w->member_id) before its body runs. */
enum pt_write_member {
    PT_WRITE_MEMBER_NONE,   /* Nothing: the case has no member, or reads its own. */
    PT_WRITE_MEMBER_ACTIVE, /* Loaded with the program; 404, 409 member_inactive unless active. */
    PT_WRITE_MEMBER_OPEN,   /* Loaded with the program; 404, 409 member_inactive when closed. */
};

struct pt_svc_write;

/* A write case's own work, inside the write (w->txn). Sets w->result (the answer: the event's
 * payload and the idempotency record's body), w->ref_id (the record's reference) and, when the
 * event is not about w->member, w->event_member_id. */
typedef enum pt_rc (*pt_write_body_fn)(struct pt_svc_write *w, struct pt_err *err);

/* A write use case, described once (a static const table entry in the case's file). */
struct pt_write_case {
    const char *name;            /* The use case ("purchase"), for assertions and reading. */
    const char *natural_key;     /* Namespace of w->external_id as the idempotency key without an
                                    Idempotency-Key ("purchase:"), or NULL. */
    bool lock_member;            /* Lock w->member_id's row before the idempotency check. */
    enum pt_write_member member; /* What is asked of w->member_id. */
    const char *event; /* Appended after the body with payload w->result when the body set it
                          (a body that changed nothing leaves it NULL); NULL for none. */
    size_t encoder;    /* offsetof(struct pt_encoders, ...): the event's encoder. */
    pt_write_body_fn body;
    /* Its event names w->ref_id (events.ref_id, indexed), so that its answer, the event's
     * payload, is found again by the object (a purchase's: GET /v1/transactions/{id}). */
    bool event_ref;
};

/* One run of a write case. A case's own context embeds it as its first member, so that its
 * body reads the case's fields through w. */
struct pt_svc_write {
    /* IN (pt_svc_write_init, then the case) */
    struct pt_service *svc;
    const struct pt_principal *who;
    struct pt_idem *idem; /* NULL: no idempotency (PATCH, cancels). */
    struct pt_arena *arena;
    int64_t now_ms;          /* The program's now, read once before the write. */
    const char *member_id;   /* The member locked or loaded; NULL when the case has none. */
    const char *external_id; /* The natural idempotency key's value, or NULL. */
    /* Inside the write (the runner's) */
    const struct pt_write_case *wcase;
    struct pt_store_txn *txn;
    struct pt_member member;   /* Loaded unless PT_WRITE_MEMBER_NONE. */
    struct pt_program program; /* Loaded with the member. */
    /* OUT of the body */
    const void *result;          /* The answer; NULL when the case has no event or record. */
    const char *ref_id;          /* The idempotency record's reference. */
    const char *event_member_id; /* The event's member; NULL: w->member.id when loaded, else
                                    none. */
};

/* Starts a run: the service, the caller, its idempotency (may be NULL) and arena (NULL only
 * for a case without idempotency or member that allocates nothing), now_ms. */
void pt_svc_write_init(struct pt_svc_write *w, struct pt_service *svc,
                       const struct pt_principal *who, struct pt_idem *idem,
                       struct pt_arena *arena);
/* Runs case wc in one write (see write.c): lock, idempotency check or replay, member, body,
 * event, idempotency record. Returns what pt_store_write returns; on a replay PT_OK with
 * w->idem->replayed set and nothing written. */
PT_MUSTCHECK enum pt_rc pt_svc_write(struct pt_svc_write *w, const struct pt_write_case *wc,
                                     struct pt_err *err);
/* Ends a read use case: ends txn (NULL: none begun) and returns rc, or PT_ENOMEM (err set,
 * whatever rc) when an allocation from arena, whose contents go back to the caller, failed on the
 * way (the arena latches it): the one check of a read's allocations, as pt_svc_write's is of a
 * write's. */
PT_MUSTCHECK enum pt_rc pt_svc_read_end(struct pt_store_txn *txn, struct pt_arena *arena,
                                        enum pt_rc rc, struct pt_err *err);

/* Idempotency inside a write: see idempotency.c. */
PT_MUSTCHECK enum pt_rc pt_svc_idem_check(struct pt_store_txn *txn, const char *program_id,
                                          struct pt_idem *idem, int64_t now_ms,
                                          struct pt_arena *arena, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_svc_idem_record(struct pt_store_txn *txn, const char *program_id,
                                           struct pt_idem *idem, const void *result,
                                           const char *ref_id, int64_t now_ms,
                                           struct pt_arena *arena, struct pt_err *err);

/*
 * Appends an event whose payload is encode(obj) (or "{}" without an encoder), in txn. When idem
 * is given, its body is set to the payload: the request's answer is the same object in the
 * same encoding, so it is encoded once rather than three times. idem may be NULL. PT_ENOMEM,
 * nothing encoded, when an allocation from arena has failed (latched): obj may hold its NULL.
 */
PT_MUSTCHECK enum pt_rc pt_svc_event(struct pt_service *svc, struct pt_store_txn *txn,
                                     const char *program_id, const char *type,
                                     const char *member_id, pt_encode_fn encode, const void *obj,
                                     int64_t now_ms, struct pt_arena *arena, struct pt_idem *idem,
                                     struct pt_err *err);
/* The same, the event naming ref_id (nullable), the object its write made, by which
 * pt_store_event_of finds it again. */
PT_MUSTCHECK enum pt_rc pt_svc_event_ref(struct pt_service *svc, struct pt_store_txn *txn,
                                         const char *program_id, const char *type,
                                         const char *member_id, const char *ref_id,
                                         pt_encode_fn encode, const void *obj, int64_t now_ms,
                                         struct pt_arena *arena, struct pt_idem *idem,
                                         struct pt_err *err);

/* What the program's active purchase rules make of the cart for member (NULL: a guest) at
 * now_ms, read in txn (a read, or the purchase's write). */
PT_MUSTCHECK enum pt_rc pt_svc_cart_answer(struct pt_service *svc, struct pt_store_txn *txn,
                                           const struct pt_program *program,
                                           const struct pt_member *member,
                                           const struct pt_cart_request *req, int64_t now_ms,
                                           struct pt_arena *arena, struct pt_cart_answer *out,
                                           struct pt_err *err);
/* The same for any trigger: activity for PT_TRIGGER_ACTIVITY, req NULL when there is no cart. */
PT_MUSTCHECK enum pt_rc
pt_svc_rules_answer(struct pt_service *svc, struct pt_store_txn *txn,
                    const struct pt_program *program, const struct pt_member *member,
                    enum pt_rule_trigger trigger, const struct pt_activity *activity,
                    const struct pt_cart_request *req, int64_t now_ms, struct pt_arena *arena,
                    struct pt_cart_answer *out, struct pt_err *err);
/* What one evaluation of the program's active rules of trigger on a cart of lines lines costs
 * (pt_rules_eval_cost), with the active stamp cards' for a purchase, leaving out the rule or
 * stamp card except_rule_id (NULL: none), read in txn. */
PT_MUSTCHECK enum pt_rc pt_svc_rules_cost(struct pt_service *svc, struct pt_store_txn *txn,
                                          const char *program_id, const char *except_rule_id,
                                          enum pt_rule_trigger trigger, unsigned lines,
                                          struct pt_arena *arena, int64_t *cost,
                                          struct pt_err *err);
/* Awards what the member's `trigger` rules give at at_ms (activity for activities) as one
 * ledger entry of entry_type referencing ref_id, gives the coupons they issue (issue_coupon,
 * into out->issued) and records each rule's use. OUT: *out (out->points is the entry's points;
 * entry_id "" when no points were given). */
PT_MUSTCHECK enum pt_rc
pt_svc_rules_award(struct pt_service *svc, struct pt_store_txn *txn,
                   const struct pt_program *program, const struct pt_member *member,
                   enum pt_rule_trigger trigger, const struct pt_activity *activity,
                   const char *entry_type, const char *ref_id, int64_t at_ms, int64_t now_ms,
                   const char *key_id, struct pt_arena *arena, struct pt_cart_answer *out,
                   char *entry_id, struct pt_err *err);
/* The program's local date at at_ms ("YYYY-MM-DD") in out[11] (the rule cache's zone). */
PT_MUSTCHECK enum pt_rc pt_svc_local_date(struct pt_service *svc, struct pt_store_txn *txn,
                                          const struct pt_program *program, int64_t at_ms,
                                          char *out, struct pt_err *err);

/* The member's tier standing now: the stored one (position clamped to the levels), or the
 * first tier since enrollment. The program must have tiers. */
PT_MUSTCHECK enum pt_rc pt_svc_tier_state(struct pt_store_txn *txn,
                                          const struct pt_program *program,
                                          const struct pt_member *member, struct pt_tier_state *out,
                                          struct pt_err *err);
/* After a purchase of local month `month` (delta: its points, amount, 1): adds to the
 * member's metric, and moves the member up at once when the current window reaches a higher
 * tier (tier.upgraded). */
PT_MUSTCHECK enum pt_rc pt_svc_tier_purchase(struct pt_service *svc, struct pt_store_txn *txn,
                                             const struct pt_program *program,
                                             const struct pt_member *member, int64_t month,
                                             const struct pt_tier_metrics *delta, int64_t now_ms,
                                             struct pt_arena *arena, struct pt_err *err);

/* Credits `points` (> 0) to the member as one entry of entry_type referencing ref_id: a lot
 * available at once from at_ms (repaying what the member owes first), member +points,
 * program:issued -points. OUT: entry_id (PT_ID_BUF_BYTES). */
PT_MUSTCHECK enum pt_rc pt_svc_award_points(struct pt_store_txn *txn,
                                            const struct pt_program *program, const char *member_id,
                                            const char *entry_type, const char *ref_id,
                                            int64_t points, int64_t at_ms, int64_t now_ms,
                                            const char *key_id, char *entry_id, struct pt_err *err);

/* What the customer keeps of purchase p earns (docs/ledger.md, "Returns"): the rule versions
 * that fired on it evaluated again, without their limits, by the cart's own evaluator, on its
 * lines less what was returned (without items: one line of kept_amount), at its time and with
 * the member's facts it stored, with the active stamp cards. OUT: *points_kept (base, tier and
 * each rule's at most what it gave), out->cashback, out->stamps, and out->rules: the rules that
 * still give a coupon (rule_id, coupon_reward). */
PT_MUSTCHECK enum pt_rc pt_svc_cart_kept(struct pt_service *svc, struct pt_store_txn *txn,
                                         const struct pt_program *program,
                                         const struct pt_purchase *p, int64_t kept_amount,
                                         struct pt_arena *arena, struct pt_cart_answer *out,
                                         int64_t *points_kept, struct pt_err *err);

/* Whether reward reward_id can give a coupon at now_ms (active, within its validity, stock or
 * partner codes left): what an issue_coupon rule's room says (coupon_out). OUT: *givable. */
PT_MUSTCHECK enum pt_rc pt_svc_coupon_givable(struct pt_store_txn *txn,
                                              const struct pt_program *program,
                                              const char *reward_id, int64_t now_ms,
                                              struct pt_arena *arena, bool *givable,
                                              struct pt_err *err);
/* The stamps a cart earns on each active card of set: the cards' own conditions (a second
 * evaluation, without limits) and the rules' add_stamps effects (res), into out->stamps. */
PT_MUSTCHECK enum pt_rc pt_svc_stamps_answer(const struct pt_rule_set *set,
                                             const struct pt_eval_input *in,
                                             const struct pt_eval_result *res,
                                             struct pt_arena *arena, struct pt_cart_answer *out,
                                             struct pt_err *err);
/* The tender of stored purchase p (its payments read back), earning as the program said when
 * it was made; NULL without payments or when the arena is out of memory (latched). */
struct pt_tender *pt_svc_purchase_tender(const struct pt_program *program,
                                         const struct pt_purchase *p, struct pt_arena *arena);
/* Gives back `points` (> 0) the member spent (a coupon used in a purchase that is returned;
 * later, points paid with): as pt_svc_award_points at now_ms, but from program:redeemed, and
 * lowering the member's redeemed counter. OUT: entry_id (PT_ID_BUF_BYTES). */
PT_MUSTCHECK enum pt_rc pt_svc_refund_points(struct pt_store_txn *txn,
                                             const struct pt_program *program,
                                             const char *member_id, const char *entry_type,
                                             const char *ref_id, int64_t points, int64_t now_ms,
                                             const char *key_id, char *entry_id,
                                             struct pt_err *err);

/* After a purchase: adds the stamps the answer gives (answer->stamps) to the member's cards,
 * completing cards and giving their rewards; fills each gain's progress and completions;
 * stamps.added and stamp_card.completed. */
PT_MUSTCHECK enum pt_rc pt_svc_stamps_purchase(struct pt_service *svc, struct pt_store_txn *txn,
                                               const struct pt_program *program,
                                               const struct pt_purchase *p,
                                               struct pt_cart_answer *answer, int64_t now_ms,
                                               struct pt_arena *arena, struct pt_err *err);
/* After return r of p (p's returned_amount includes it): takes the purchase's stamps back,
 * those a re-evaluation does not keep (kept[0..kept_count): what the kept cart earns on each
 * card) or without kept in proportion to the amount; from the card it left open while open,
 * else from the reward of the card they completed (r->reward_points_reversed, a
 * stamp_reward_return entry by key_id, owed when spent); stamps.removed. */
PT_MUSTCHECK enum pt_rc pt_svc_stamps_return(struct pt_service *svc, struct pt_store_txn *txn,
                                             const struct pt_program *program,
                                             const struct pt_purchase *p,
                                             const struct pt_stamp_gain *kept, unsigned kept_count,
                                             struct pt_return *r, const char *key_id,
                                             int64_t now_ms, struct pt_arena *arena,
                                             struct pt_err *err);
/* PT_EINVAL (field effects.N.card) when an add_stamps effect of rule names no card of the
 * program. */
PT_MUSTCHECK enum pt_rc pt_svc_stamp_cards_exist(struct pt_store_txn *txn, const char *program_id,
                                                 const struct pt_rule *rule, struct pt_err *err);

/* A balanced entry (checked in core) and its postings, as ledger.c writes them. */
PT_MUSTCHECK enum pt_rc pt_svc_post(struct pt_store_txn *txn, const char *program_id,
                                    const struct pt_entry *entry, struct pt_posting *postings,
                                    size_t count, struct pt_err *err);
void pt_svc_entry_init(struct pt_entry *e, const char *member_id, const char *type,
                       const char *reference, const char *reason, const char *key_id,
                       int64_t now_ms);

/* ---- Steps shared by the files of the ledger's use cases (issue 17: ledger.c, members.c,
 * idempotency.c, keys.c) ---- */

/* The member's points balance view at now_ms (pt_svc_balance), reduced to the points it may
 * spend now: available lots less owed, never below 0. OUT: *out. */
PT_MUSTCHECK enum pt_rc pt_svc_spendable(struct pt_store_txn *txn, const struct pt_program *program,
                                         const char *member_id, int64_t now_ms,
                                         struct pt_arena *arena, int64_t *out, struct pt_err *err);
/* Takes `points` from the member's available lots, soonest-expiring first, adding each take to
 * redemption redemption_id when given. When taken_lots is given, OUT: the lots read
 * (*taken_lots), the takes (*takes_out, indexes into them) and *take_count_out, in arena.
 * PT_EINSUFFICIENT when short (nothing moved). */
PT_MUSTCHECK enum pt_rc pt_svc_take_from_lots(struct pt_store_txn *txn, const char *program_id,
                                              const char *member_id, int64_t points, int64_t now_ms,
                                              struct pt_arena *arena, const char *redemption_id,
                                              struct pt_lot_row **taken_lots,
                                              struct pt_lot_take **takes_out,
                                              size_t *take_count_out, struct pt_err *err);
/* Credits `points` (> 0) to the member as a new lot with the times of *times, repaying `owed`
 * first; the caller posts the entry with owed_delta -*repaid. OUT: lot_id_out (when given,
 * PT_ID_BUF_BYTES), *repaid. */
PT_MUSTCHECK enum pt_rc pt_svc_credit_lot(struct pt_store_txn *txn, const char *program_id,
                                          const char *member_id, const char *entry_id,
                                          const char *source_id, int64_t points, int64_t owed,
                                          const struct pt_lot *times, char *lot_id_out,
                                          int64_t now_ms, int64_t *repaid, struct pt_err *err);

/* Loads the member of the program (PT_ENOTFOUND naming it) and, when program is not NULL, the
 * program's settings. */
PT_MUSTCHECK enum pt_rc pt_svc_member_load(struct pt_store_txn *txn, const char *program_id,
                                           const char *member_id, struct pt_arena *arena,
                                           struct pt_member *member, struct pt_program *program,
                                           struct pt_err *err);

/* Without an Idempotency-Key, the request's external id is its natural key, namespaced by kind
 * ("purchase:R-1001"), copied into arena. Does nothing when idem has a key. */
PT_MUSTCHECK enum pt_rc pt_svc_idem_natural_key(struct pt_idem *idem, const char *kind,
                                                const char *external_id, struct pt_arena *arena,
                                                struct pt_err *err);

/* Makes a new API key of role for program_id: its secret (shown once), hash, id and prefix. */
void pt_svc_key_make(const char *program_id, const char *name, enum pt_role role, int64_t now_ms,
                     struct pt_key_created *out);

/* Credits amount (> 0) to the member's wallet as one entry of entry_type referencing
 * source_id: a credit pending until available_at_ms (repaying what the wallet owes first),
 * wallet +amount, program:wallet_issued -amount; wallet.credited. OUT: credit_id. */
PT_MUSTCHECK enum pt_rc pt_svc_wallet_credit(struct pt_service *svc, struct pt_store_txn *txn,
                                             const struct pt_program *program,
                                             const char *member_id, const char *entry_type,
                                             const char *source_id, int64_t amount,
                                             int64_t available_at_ms, int64_t now_ms,
                                             const char *key_id, char *credit_id,
                                             struct pt_arena *arena, struct pt_err *err);
/* Gives back `amount` (> 0) of wallet money a purchase spent (a return of a purchase paid from
 * the wallet): a new credit available at now_ms (repaying what the wallet owes first), wallet
 * +amount, program:wallet_spent -amount; wallet.credited. */
PT_MUSTCHECK enum pt_rc pt_svc_wallet_refund(struct pt_service *svc, struct pt_store_txn *txn,
                                             const struct pt_program *program,
                                             const char *member_id, const char *entry_type,
                                             const char *source_id, int64_t amount, int64_t now_ms,
                                             const char *key_id, struct pt_arena *arena,
                                             struct pt_err *err);
/* Spends d->amount of d->member_id's available wallet money (less what the hold keeps, with
 * hold_returnable), oldest credits first: the debit d (its id and times set here, its reason
 * and external_id the caller's), wallet -amount, program:wallet_spent +amount. 422
 * insufficient_funds or held_for_returns (nothing moved). The caller sends the event. */
PT_MUSTCHECK enum pt_rc pt_svc_wallet_spend(struct pt_service *svc, struct pt_store_txn *txn,
                                            const struct pt_program *program,
                                            struct pt_wallet_debit *d, const char *key_id,
                                            int64_t now_ms, struct pt_arena *arena,
                                            struct pt_err *err);
/* What pt_svc_wallet_spend checks before it moves money, for a cart's evaluation: 422
 * insufficient_funds (field amount) or held_for_returns. */
PT_MUSTCHECK enum pt_rc pt_svc_wallet_spendable_check(struct pt_store_txn *txn,
                                                      const struct pt_program *program,
                                                      const char *member_id, int64_t amount,
                                                      int64_t now_ms, struct pt_arena *arena,
                                                      struct pt_err *err);
/* wallet.debited for debit d (spent by pt_svc_wallet_spend inside another write). */
PT_MUSTCHECK enum pt_rc pt_svc_wallet_debited_event(struct pt_service *svc,
                                                    struct pt_store_txn *txn,
                                                    const struct pt_program *program,
                                                    const struct pt_wallet_debit *d, int64_t now_ms,
                                                    struct pt_arena *arena, struct pt_err *err);
/* Takes `amount` back from the wallet for entry_type (a return, a reversed referral): from
 * the credit own_credit_id first (when given), then from the available money, and what is
 * still missing is owed; wallet.reversed. OUT: *owed_now. */
PT_MUSTCHECK enum pt_rc pt_svc_wallet_take_back(struct pt_service *svc, struct pt_store_txn *txn,
                                                const struct pt_program *program,
                                                const char *member_id, const char *entry_type,
                                                const char *reference, const char *own_credit_id,
                                                int64_t amount, int64_t now_ms, const char *key_id,
                                                int64_t *owed_now, struct pt_arena *arena,
                                                struct pt_err *err);

/* Takes `points` (> 0) given by an earning back from the member (a reversed referral): from
 * the available points, and what is missing is owed. One entry of entry_type, member -points,
 * program:issued +points. OUT: *owed_now. */
PT_MUSTCHECK enum pt_rc pt_svc_take_back_points(struct pt_store_txn *txn,
                                                const struct pt_program *program,
                                                const char *member_id, const char *entry_type,
                                                const char *ref_id, int64_t points, int64_t now_ms,
                                                const char *key_id, int64_t *owed_now,
                                                struct pt_arena *arena, struct pt_err *err);

/* At enrollment, before the member is written: the referral code `code` must be an active
 * member's, and not the new member's own person (same email without its +tag, or phone).
 * PT_ELIMIT with codes referral_code_unknown, referrer_inactive, self_referral (field
 * referred_by). OUT: referrer_id (PT_ID_BUF_BYTES). */
PT_MUSTCHECK enum pt_rc pt_svc_referral_check(struct pt_store_txn *txn, const char *program_id,
                                              const struct pt_member *member, const char *code,
                                              char *referrer_id, struct pt_arena *arena,
                                              struct pt_err *err);
/* Then records that member was referred by referrer_id (status invited). */
PT_MUSTCHECK enum pt_rc pt_svc_referral_record(struct pt_store_txn *txn, const char *program_id,
                                               const struct pt_member *member,
                                               const char *referrer_id, int64_t now_ms,
                                               struct pt_err *err);
/* After a purchase of a referred member: qualifies and rewards its referral when it is the
 * first purchase of at least min_amount within within_days (referral.qualified). */
PT_MUSTCHECK enum pt_rc pt_svc_referral_purchase(struct pt_service *svc, struct pt_store_txn *txn,
                                                 const struct pt_program *program,
                                                 const struct pt_purchase *p, int64_t now_ms,
                                                 const char *key_id, struct pt_arena *arena,
                                                 struct pt_err *err);
/* After a return that returned p in full: takes back the rewards p qualified for
 * (referral.reversed). */
PT_MUSTCHECK enum pt_rc pt_svc_referral_return(struct pt_service *svc, struct pt_store_txn *txn,
                                               const struct pt_program *program,
                                               const struct pt_purchase *p, int64_t now_ms,
                                               const char *key_id, struct pt_arena *arena,
                                               struct pt_err *err);

/* A cancel's optional reason (NULL: none): PT_EINVAL field reason unless it is text of at most
 * PT_REASON_BYTES_MAX bytes, as an adjustment's. */
PT_MUSTCHECK enum pt_rc pt_svc_cancel_reason_check(const char *reason, struct pt_err *err);
/* Spends `points` of the member's available points (soonest-expiring lots first) as one entry
 * of entry_type (id entry_id, made by the caller) referencing ref_id, each take from a lot
 * added to redemption_id when given: member -points, program:redeemed +points.
 * PT_EINSUFFICIENT (field points) when short, nothing moved. */
PT_MUSTCHECK enum pt_rc pt_svc_spend_points(struct pt_store_txn *txn,
                                            const struct pt_program *program, const char *member_id,
                                            const char *entry_type, const char *ref_id,
                                            const char *redemption_id, int64_t points,
                                            const char *reason, const char *key_id, int64_t now_ms,
                                            struct pt_arena *arena, const char *entry_id,
                                            struct pt_err *err);
/* Spends `points` of the member's available points (soonest-expiring lots first) as one
 * redemption with its entry. PT_EINSUFFICIENT (field points) when short. OUT: *r. */
PT_MUSTCHECK enum pt_rc pt_svc_redeem_points(struct pt_store_txn *txn,
                                             const struct pt_program *program,
                                             const char *member_id, int64_t points,
                                             const char *reason, const char *key_id, int64_t now_ms,
                                             struct pt_arena *arena, struct pt_redemption *r,
                                             struct pt_err *err);
/* Puts back `points` of the points spent under takes_id (a redemption's id, or a purchase's for
 * its points payment) into the lots they came from, in the order they were taken; those of
 * expired lots go to program:expired. One entry of entry_type referencing ref_id:
 * program:redeemed -points. OUT: entry_id (PT_ID_BUF_BYTES). */
PT_MUSTCHECK enum pt_rc
pt_svc_points_restore(struct pt_store_txn *txn, const struct pt_program *program,
                      const char *member_id, const char *takes_id, int64_t points,
                      const char *entry_type, const char *ref_id, const char *reason,
                      const char *key_id, int64_t now_ms, struct pt_arena *arena, char *entry_id,
                      struct pt_err *err);
/* Cancels redemption r (not cancelled): its points back into the lots they came from (expired
 * ones to expired), one entry, whose reason is r->cancel_reason. */
PT_MUSTCHECK enum pt_rc pt_svc_redemption_undo(struct pt_store_txn *txn,
                                               const struct pt_program *program,
                                               struct pt_redemption *r, const char *key_id,
                                               int64_t now_ms, struct pt_arena *arena,
                                               struct pt_err *err);

/* What the codes of a cart are (coupons.c; docs/rewards.md): each of req's coupons that is a
 * coupon or a promotion code of the program, whether it can be used now by member (NULL: a
 * guest) on a cart of lines[0..line_count), and what it gives; the others are codes for the
 * rules. Reads only. OUT: out[0..req->coupon_count) in arena. */
PT_MUSTCHECK enum pt_rc
pt_svc_cart_coupons(struct pt_store_txn *txn, const struct pt_program *program,
                    const struct pt_member *member, const struct pt_cart_request *req,
                    const struct pt_cart_item *lines, unsigned line_count, int64_t now_ms,
                    struct pt_arena *arena, struct pt_cart_coupon **out, struct pt_err *err);
/* Marks used the coupons and promotion codes that cart (the purchase's answer) applied, by
 * purchase p, with coupon.redeemed for each coupon, adding the points each coupon cost to
 * p->facts.coupon_points; refuses the purchase (422 with the reason, 409 already_redeemed) when
 * one of them could not be used. */
PT_MUSTCHECK enum pt_rc pt_svc_purchase_coupons(struct pt_service *svc, struct pt_store_txn *txn,
                                                const struct pt_program *program,
                                                struct pt_purchase *p,
                                                const struct pt_cart_answer *cart, int64_t now_ms,
                                                struct pt_arena *arena, struct pt_err *err);

/* ---- Coupons given by rules and stamp cards (coupons_given.c; docs/rewards.md) ---- */

/* Inserts coupon c with a fresh code (c->code), drawn again while it is taken. */
PT_MUSTCHECK enum pt_rc pt_svc_coupon_draw(struct pt_store_txn *txn, const char *program_id,
                                           struct pt_coupon *c, struct pt_err *err);
/* Gives member_id a coupon of reward_id for a later purchase, from the rule or stamp card
 * from->source, from->source_id, fired by source_ref (a purchase, activity or member id;
 * nullable): no points, its stock, coupon.issued. Appends what it gave, or why it gave none
 * (reward_inactive, out_of_stock: nothing written), to list. */
PT_MUSTCHECK enum pt_rc
pt_svc_coupon_give(struct pt_service *svc, struct pt_store_txn *txn,
                   const struct pt_program *program, const char *member_id, const char *reward_id,
                   const struct pt_issued_coupon *from, const char *source_ref, int64_t now_ms,
                   struct pt_arena *arena, struct pt_issued_coupons *list, struct pt_err *err);
/* The coupons of the rules of answer that issue one (issue_coupon), each given to member_id
 * as pt_svc_coupon_give does, into answer->issued. */
PT_MUSTCHECK enum pt_rc pt_svc_coupons_give_rules(struct pt_service *svc, struct pt_store_txn *txn,
                                                  const struct pt_program *program,
                                                  const char *member_id,
                                                  struct pt_cart_answer *answer,
                                                  const char *source_ref, int64_t now_ms,
                                                  struct pt_arena *arena, struct pt_err *err);
/* Takes back the given coupon `code`: cancels it when active (reason kept, its unit back to
 * stock, coupon.cancelled), leaves it when used; appends either to list. An expired or
 * cancelled coupon: nothing. */
PT_MUSTCHECK enum pt_rc pt_svc_coupon_take_back(struct pt_service *svc, struct pt_store_txn *txn,
                                                const struct pt_program *program, const char *code,
                                                const char *reason, int64_t now_ms,
                                                struct pt_arena *arena,
                                                struct pt_issued_coupons *list, struct pt_err *err);
/* The rules of res (an evaluation of rules, what a return keeps: pt_svc_cart_kept) that still
 * give a coupon, into out->rules (rule_id, coupon_reward). */
PT_MUSTCHECK enum pt_rc pt_svc_coupons_kept(const struct pt_rule *const *rules,
                                            const struct pt_eval_result *res,
                                            struct pt_arena *arena, struct pt_cart_answer *out,
                                            struct pt_err *err);
/* After return r of p (p counts it): takes back the coupons p's rules gave (all on a full
 * return; with kept, a re-evaluation of what is kept, those whose rule no longer gives one)
 * into r->coupons_back. */
PT_MUSTCHECK enum pt_rc pt_svc_coupons_return(struct pt_service *svc, struct pt_store_txn *txn,
                                              const struct pt_program *program,
                                              const struct pt_purchase *p,
                                              const struct pt_cart_answer *kept,
                                              struct pt_return *r, int64_t now_ms,
                                              struct pt_arena *arena, struct pt_err *err);
/* Refuses a reward that a rule or a stamp card would give (field: its path): 422
 * reward_not_found when the program has none of that id, reward_inactive when archived. */
PT_MUSTCHECK enum pt_rc pt_svc_reward_of_gift(struct pt_store_txn *txn, const char *program_id,
                                              const char *reward_id, const char *field,
                                              struct pt_err *err);
/* pt_svc_reward_of_gift for every issue_coupon effect of rule (field effects.N.reward). */
PT_MUSTCHECK enum pt_rc pt_svc_rule_rewards_exist(struct pt_store_txn *txn, const char *program_id,
                                                  const struct pt_rule *rule, struct pt_err *err);

/* The member's points balance at now_ms (as GET .../balance shows it). */
/* The member's wallet at now_ms (pending, available, owed, lifetime sums) and its last lines_max
 * movements, newest first (0: none). OUT: *out (lines in arena). */
PT_MUSTCHECK enum pt_rc pt_svc_wallet_read(struct pt_store_txn *txn,
                                           const struct pt_program *program, const char *member_id,
                                           int64_t now_ms, struct pt_arena *arena,
                                           unsigned lines_max, struct pt_wallet *out,
                                           struct pt_err *err);
/* The member's tier as GET /v1/members/{id}/tier shows it, out->program set by the caller (a
 * program with tiers), with at most history_max changes of its history, newest first. */
PT_MUSTCHECK enum pt_rc pt_svc_member_tier_read(struct pt_service *svc, struct pt_store_txn *txn,
                                                const struct pt_member *member, int64_t now_ms,
                                                unsigned history_max, struct pt_arena *arena,
                                                struct pt_member_tier *out, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_svc_balance(struct pt_store_txn *txn, const struct pt_program *program,
                                       const char *member_id, int64_t now_ms,
                                       struct pt_arena *arena, struct pt_balance *out,
                                       struct pt_err *err);

/* A job in pages (birthdays, tier reviews, coupon expiry): for program_id, or every program
 * when NULL, runs fn(ctx) in its own write again and again, with *ctx_program_id set and a
 * fresh arena in *ctx_arena each time, until fn sets *ctx_more false or rounds_max. */
PT_MUSTCHECK enum pt_rc pt_svc_job_rounds(struct pt_service *svc, const char *program_id,
                                          unsigned rounds_max, pt_store_write_fn fn, void *ctx,
                                          const char **ctx_program_id, struct pt_arena **ctx_arena,
                                          bool *ctx_more, struct pt_err *err);

/* ---- Returns and what they may take back (holds.c, issue 16) ---- */

/* The units a hold applies to. */
enum pt_hold_unit {
    PT_HOLD_POINTS, /* A transfer of points; field "points". */
    PT_HOLD_MONEY,  /* A wallet debit; field "amount". */
};

/* With the program's hold_returnable, refuses taking `asked` of the member's `available` (points
 * or wallet money, as the balance shows it) when more than what is free of the hold
 * (core/hold.h): PT_ELIMIT held_for_returns, saying how much may leave now. PT_OK without a
 * hold. */
PT_MUSTCHECK enum pt_rc pt_svc_hold_check(struct pt_store_txn *txn,
                                          const struct pt_program *program, const char *member_id,
                                          int64_t now_ms, enum pt_hold_unit unit, int64_t available,
                                          int64_t asked, struct pt_err *err);

/* Frees the cached rule sets (at close, when no request runs). */
void pt_svc_rules_cache_fini(struct pt_service *svc);

/* ---- Rule sets, carts and simulations (rule_sets.c, carts.c, simulations.c) ---- */

/* A program's active rules and stamp cards, compiled (rule_sets.c): shared by the requests
 * that evaluate them while its rules_version holds, then replaced. */
struct pt_rule_set {
    char program_id[PT_ID_BUF_BYTES];
    int64_t rules_version;
    unsigned refs;  /* rules_mu */
    bool installed; /* In the cache; rules_mu */
    struct pt_arena arena;
    const struct pt_rule **rules; /* Active rules in evaluation order. */
    unsigned count;
    bool needs_purchase_count; /* A rule tests member.purchase_count. */
    /* The active stamp cards, each a rule with one add_stamps effect (docs/stamp-cards.md),
     * evaluated apart from the rules: an exclusive promotion does not stop a card. */
    const struct pt_rule **stamp_rules;
    const struct pt_stamp_card *stamp_cards;
    const char **stamp_card_ids; /* Their ids, for the engine's add_stamps. */
    unsigned stamp_count;
    struct pt_tz *tz;                    /* The program's time zone when the set was made; arena. */
    char zone[PT_TZ_NAME_BYTES_MAX + 1]; /* The zone asked for (tz may have fallen back to UTC). */
};

/* The program's current rule set, read and compiled in txn when the cached one is stale. OUT:
 * *out, a reference the caller gives back with pt_svc_rule_set_release. */
PT_MUSTCHECK enum pt_rc pt_svc_rule_set_get(struct pt_service *svc, struct pt_store_txn *txn,
                                            const struct pt_program *program,
                                            struct pt_rule_set **out, struct pt_err *err);
/* Gives back a reference of pt_svc_rule_set_get; set may be NULL. */
void pt_svc_rule_set_release(struct pt_service *svc, struct pt_rule_set *set);
/* Sorts rules[0..count) into evaluation order (pt_rules_compare). */
void pt_svc_rules_order(const struct pt_rule **rules, unsigned count);
/* The time facts at now_ms, local to the time zone tz. */
void pt_svc_time_facts(const struct pt_tz *tz, int64_t now_ms, struct pt_rule_time *t);

/* The engine's lines of a cart or purchase (carts.c): its items, or one line of its amount
 * when it has none (n is then 1); eligibility from the program's excluded categories. NULL
 * when the arena is full. */
struct pt_cart_item *pt_svc_cart_lines(const struct pt_program *program,
                                       const struct pt_purchase_item *items, unsigned n,
                                       int64_t amount, struct pt_arena *arena);
/* The facts the rules test of member that do not move with time or purchases: known, its
 * attributes, birth month, city and country. */
void pt_svc_member_facts(const struct pt_member *member, struct pt_rule_member *facts);
/* The evaluation input of trigger on cart for facts at time, with the program's earn rate and
 * currency; the rest zero. The pointers are kept, not copied. */
void pt_svc_eval_input(const struct pt_program *program, enum pt_rule_trigger trigger,
                       const struct pt_cart *cart, const struct pt_rule_member *facts,
                       const struct pt_rule_time *time, struct pt_eval_input *in);
/* What an evaluation of count rules on lines costs (pt_rules_eval_cost), or 0 when
 * pt_rules_evaluate refuses it before doing any work: the rate limits charge what ran. */
int64_t pt_svc_eval_cost_run(const struct pt_rule *const *rules, unsigned count,
                             enum pt_rule_trigger trigger, unsigned lines);

#endif
