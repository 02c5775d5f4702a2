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

#endif
