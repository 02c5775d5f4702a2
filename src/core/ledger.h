/* SPDX-License-Identifier: MIT */
/*
 * The points ledger's arithmetic, pure. Points are int64_t; every operation is checked and
 * returns PT_ELIMIT rather than overflow. Rounding is always stated (floor). Nothing here reads
 * a clock or touches storage: the caller passes now_ms, the lots and the amounts.
 *
 * Lots: each earning creates a lot. A lot is *pending* until available_at_ms, *available* until
 * expires_at_ms (PT_LEDGER_NEVER when the program's policy is none), then *expired*. Spending
 * takes available lots soonest-expiring first (ties: earliest earned, then lowest index), so that
 * members lose as few points to expiry as possible.
 */
#ifndef PT_CORE_LEDGER_H
#define PT_CORE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "core/keys.h"

struct pt_program;

/* expires_at_ms of a lot that never expires. */
#define PT_LEDGER_NEVER INT64_MAX

struct pt_earn_rate {
    int64_t points;           /* Points earned per per_amount_minor; >= 0. */
    int64_t per_amount_minor; /* Amount in minor units that earns `points`; >= 1. */
};

struct pt_lot {
    int64_t points_remaining; /* Not yet spent, returned or expired; >= 0. */
    int64_t earned_at_ms;
    int64_t available_at_ms; /* End of the pending period (return window). */
    int64_t expires_at_ms;   /* PT_LEDGER_NEVER for no expiry. */
};

/* One lot's share of a spend. */
struct pt_lot_take {
    size_t lot_index; /* Index into the caller's lot array. */
    int64_t points;   /* > 0 */
};

/* Checked helpers: PT_ELIMIT on overflow (err names field when given). */
PT_MUSTCHECK enum pt_rc pt_points_add(int64_t a, int64_t b, int64_t *sum, struct pt_err *err);
PT_MUSTCHECK enum pt_rc pt_points_sub(int64_t a, int64_t b, int64_t *diff, struct pt_err *err);

/*
 * Adds delta to a bounded value (a balance, a debt, a counter): OUT: *sum = value + delta when it
 * stays within [-max, max]. PT_ELIMIT (code "limit_exceeded", field named, message naming
 * `what` and the bound) when it would leave it or overflow; *sum is then unchanged. max >= 0;
 * field and what are borrowed static strings. The checks every write of the ledger makes
 * before the store is called (limits.h, "the bounded ledger").
 */
PT_MUSTCHECK enum pt_rc pt_ledger_bounded_add(int64_t value, int64_t delta, int64_t max,
                                              const char *field, const char *what, int64_t *sum,
                                              struct pt_err *err);

/* floor(a * b / d) for a, b >= 0 and d > 0, exact through 128-bit arithmetic; PT_ELIMIT when
 * the result does not fit int64_t. */
PT_MUSTCHECK enum pt_rc pt_mul_div_floor(int64_t a, int64_t b, int64_t d, int64_t *out,
                                         struct pt_err *err);

/* Points earned on an eligible amount: floor(eligible * rate.points / rate.per_amount). */
PT_MUSTCHECK enum pt_rc pt_ledger_earn_points(int64_t eligible_minor,
                                              const struct pt_earn_rate *rate, int64_t *points,
                                              struct pt_err *err);

/*
 * Points to take back for a return, such that the sum over all returns of a purchase never
 * exceeds what it earned and equals it exactly once the whole amount is returned:
 * floor(points_earned * (returned_before + returned_now) / amount) - reversed_before.
 * PT_ELIMIT (code "return_exceeds_purchase") when returned_before + returned_now > amount.
 */
PT_MUSTCHECK enum pt_rc pt_ledger_return_points(int64_t points_earned, int64_t amount_minor,
                                                int64_t returned_before_minor,
                                                int64_t returned_now_minor, int64_t reversed_before,
                                                int64_t *points, struct pt_err *err);

/* Returns true when the lot can be spent at now_ms. */
bool pt_lot_is_available(const struct pt_lot *lot, int64_t now_ms);
/* Returns true when the lot is still in its pending period at now_ms. */
bool pt_lot_is_pending(const struct pt_lot *lot, int64_t now_ms);
/* Returns true when the lot has points left and has reached its expiry at now_ms. */
bool pt_lot_is_expired(const struct pt_lot *lot, int64_t now_ms);

/*
 * Plans a spend of `points` from the available lots, soonest-expiring first. OUT: takes[0..n)
 * with n <= takes_cap, and their sum in *taken (== points on PT_OK). PT_EINSUFFICIENT when the
 * available points are short (*taken then holds what is available); PT_ELIMIT when takes_cap is
 * too small. Lots are not modified.
 */
PT_MUSTCHECK enum pt_rc pt_ledger_plan_spend(const struct pt_lot *lots, size_t lot_count,
                                             int64_t points, int64_t now_ms,
                                             struct pt_lot_take *takes, size_t takes_cap,
                                             size_t *take_count, int64_t *taken,
                                             struct pt_err *err);

/* Adds `months` calendar months to at_ms (the day is clamped to the month's last day). */
int64_t pt_ledger_add_months(int64_t at_ms, unsigned months);

/* Checks that the postings of one journal entry sum to zero without overflow and that there
 * are at least two, none zero. PT_EINTERNAL otherwise (a bug in the caller). */
PT_MUSTCHECK enum pt_rc pt_ledger_entry_check(const int64_t *posting_points, size_t count,
                                              struct pt_err *err);

/* Writes an amount of minor units as the currency shows it: 1250 with exponent 2 is "12.50"
 * (exponent 0..4, as ISO 4217 has; minor >= 0). */
void pt_money_format(int64_t minor, int exponent, char *out, size_t out_bytes);

/* ---- The ledger's rows: accounts, entries, postings, lots, redemptions ---- */

/* Program accounts; member accounts are named by the member id. Every account is kept per
 * member (the program's are summed over its members when read), so that a write touches only
 * its member's rows. PT_ACCOUNT_TRANSFERS clears the two legs of a transfer: its balances
 * sum to zero over the program. */
#define PT_ACCOUNT_ISSUED "program:issued"
#define PT_ACCOUNT_REDEEMED "program:redeemed"
#define PT_ACCOUNT_EXPIRED "program:expired"
#define PT_ACCOUNT_ADJUSTED "program:adjusted"
#define PT_ACCOUNT_TRANSFERS "program:transfers"
/* Wallets (docs/wallets.md): the member's wallet, in minor units of the program's currency,
 * and its counterparts: what the program credited (cashback, referral credit) and what
 * members spent. */
#define PT_ACCOUNT_WALLET "wallet"
#define PT_ACCOUNT_WALLET_ISSUED "program:wallet_issued"
#define PT_ACCOUNT_WALLET_SPENT "program:wallet_spent"

struct pt_account {
    int64_t balance;         /* Sum of the account's postings. */
    int64_t owed;            /* Member accounts: points owed, repaid from the next earnings. */
    int64_t lifetime_earned; /* Member accounts: totals for the balance view. */
    int64_t lifetime_redeemed;
    int64_t lifetime_expired;
};

struct pt_entry {
    char id[PT_ID_BUF_BYTES];        /* "ent_..."; a transfer's two legs share it. */
    char member_id[PT_ID_BUF_BYTES]; /* Whose ledger it is in; every posting is in the member's. */
    const char *type;      /* earn, return, redeem, redeem_cancel, adjust, transfer, expire */
    const char *reference; /* The purchase, return, redemption or transfer id; nullable. */
    const char *reason;    /* Adjustments and redemptions; nullable. */
    const char *key_id;    /* The API key that made it; nullable. */
    int64_t created_at_ms;
};

struct pt_posting {
    const char *account_id; /* A member id or a PT_ACCOUNT_* name; borrowed. */
    const char *member_id;  /* NULL for program accounts: the entry's member's. */
    int64_t points;         /* Non-zero; the postings of an entry sum to zero. */
    int64_t owed_delta;     /* Member accounts only: changes to the account's counters. */
    int64_t earned_delta;
    int64_t redeemed_delta;
    int64_t expired_delta;
    int64_t balance_after; /* OUT: the account's balance after this posting. */
};

struct pt_lot_row {
    char id[PT_ID_BUF_BYTES]; /* "lot_..." */
    char member_id[PT_ID_BUF_BYTES];
    char entry_id[PT_ID_BUF_BYTES];  /* The entry that created it. */
    char source_id[PT_ID_BUF_BYTES]; /* The purchase, adjustment or transfer; "" if none. */
    int64_t points_earned;           /* At creation; >= points_remaining. */
    struct pt_lot lot;               /* remaining, earned/available/expires times */
};

/*
 * Sanity of the rows as the store writes them (docs/style.md, "Assertions"): what every row of
 * its kind must be, whatever the use case. For assertions only, never to judge input: true
 * when sane. An entry has its id, member and a type (a lowercase word); a posting an account,
 * non-zero points and every amount within PT_ACCOUNT_UNITS_MAX; a lot its ids, 0 <=
 * remaining <= earned <= PT_ACCOUNT_UNITS_MAX, and is available and expires no earlier than it
 * was earned; an account's balance lies within [-bound, bound] (its bound in limits.h), its
 * debt within [0, bound] and its counters within PT_ACCOUNT_UNITS_MAX.
 */
bool pt_entry_sane(const struct pt_entry *entry);
bool pt_posting_sane(const struct pt_posting *posting);
bool pt_lot_sane(const struct pt_lot_row *lot);
bool pt_account_sane(const struct pt_account *account, int64_t bound);
struct pt_expiring {
    int64_t expires_at_ms;
    int64_t points;
};

struct pt_redemption {
    char id[PT_ID_BUF_BYTES]; /* "red_..." */
    char member_id[PT_ID_BUF_BYTES];
    int64_t points;
    const char *reason;
    bool cancelled;
    char entry_id[PT_ID_BUF_BYTES];
    char cancel_entry_id[PT_ID_BUF_BYTES];
    const char *cancel_reason; /* The cancel's (its entry's reason); nullable; arena */
    int64_t created_at_ms;
    int64_t cancelled_at_ms;
};

struct pt_lot_share {
    char lot_id[PT_ID_BUF_BYTES];
    int64_t points;
    int64_t restored; /* Of points, what was put back (returns of a purchase paid with points). */
};

struct pt_ledger_line {
    char entry_id[PT_ID_BUF_BYTES];
    const char *type; /* entry type; transfers are split into transfer_in/transfer_out */
    int64_t points;   /* The posting to the member's account. */
    int64_t balance_after;
    const char *reference; /* nullable */
    const char *reason;    /* nullable */
    int64_t created_at_ms;
    int64_t seq; /* Cursor: the posting's number in the member's account. */
};

/* A member's points at one moment. */
struct pt_balance {
    char member_id[PT_ID_BUF_BYTES];
    int64_t available; /* Spendable now: available lots less owed (>= 0 unless the
                          program allows negative balances). */
    int64_t pending;   /* In lots still in their return window. */
    int64_t owed;      /* Taken back by returns beyond what the member had. */
    int64_t lifetime_earned;
    int64_t lifetime_redeemed;
    int64_t lifetime_expired;
    struct pt_expiring expiring[PT_EXPIRING_MAX]; /* Next expiry dates, soonest first. */
    unsigned expiring_count;
};

/* A posting of `points` to account_id (member_id: NULL for the entry's member), its counters
 * zero. */
void pt_posting_init(struct pt_posting *p, const char *account_id, const char *member_id,
                     int64_t points);
/* PT_ELIMIT limit_exceeded (naming field) when `points` would take the member's balance past
 * PT_MEMBER_POINTS_MAX either way; checked before anything is written. */
PT_MUSTCHECK enum pt_rc pt_ledger_balance_room(const struct pt_account *acct, int64_t points,
                                               const char *field, struct pt_err *err);
/* When points earned at earned_at_ms expire under the program's expiry_months. */
int64_t pt_ledger_lot_expiry(const struct pt_program *program, int64_t earned_at_ms);
/* An adjustment of `points` (non-zero) by a key of role: PT_ELIMIT limit_exceeded (field
 * points) past the role's per-call limit (the program's adjust_limits) or the member's bound. */
PT_MUSTCHECK enum pt_rc pt_ledger_adjust_check(const struct pt_program *program, enum pt_role role,
                                               int64_t points, const struct pt_account *acct,
                                               struct pt_err *err);
/* The refusal of a posting that would take account_id past bound (PT_ELIMIT limit_exceeded,
 * field amount for the wallet, else points): the store's last guard behind the checks above. */
PT_MUSTCHECK enum pt_rc pt_ledger_account_refused(const char *account_id, int64_t bound,
                                                  struct pt_err *err);

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* No lot has that id (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_lot_not_found(struct pt_err *err);

/* No redemption has that id in the program (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_redemption_not_found(const char *redemption_id, struct pt_err *err);

#endif
