/* SPDX-License-Identifier: MIT */
/* Ledger arithmetic. See ledger.h for the model; every function is a pure function. */
#include "core/ledger.h"

#include "base/assert.h"
#include "base/clock.h"

#include <stdio.h>
#include <string.h>

/* 128-bit products keep a * b / d exact; __extension__ states that this is a GCC/Clang type. */
__extension__ typedef __int128 wide_int;

enum pt_rc pt_points_add(int64_t a, int64_t b, int64_t *sum, struct pt_err *err)
{
    if (__builtin_add_overflow(a, b, sum)) {
        return pt_err_set(err, PT_ELIMIT, NULL, "points out of range");
    }
    return PT_OK;
}

enum pt_rc pt_points_sub(int64_t a, int64_t b, int64_t *diff, struct pt_err *err)
{
    if (__builtin_sub_overflow(a, b, diff)) {
        return pt_err_set(err, PT_ELIMIT, NULL, "points out of range");
    }
    return PT_OK;
}

enum pt_rc pt_ledger_bounded_add(int64_t value, int64_t delta, int64_t max, const char *field,
                                 const char *what, int64_t *sum, struct pt_err *err)
{
    int64_t out;
    pt_assert(max >= 0);
    pt_assert(what != NULL);
    if (__builtin_add_overflow(value, delta, &out) || out > max || out < -max) {
        (void)pt_err_set(err, PT_ELIMIT, field, "%s would pass its bound of %lld", what,
                         (long long)max);
        return pt_err_code(err, "limit_exceeded");
    }
    *sum = out;
    return PT_OK;
}

enum pt_rc pt_mul_div_floor(int64_t a, int64_t b, int64_t d, int64_t *out, struct pt_err *err)
{
    wide_int q;
    pt_assert(a >= 0);
    pt_assert(b >= 0);
    pt_assert(d > 0);
    q = (wide_int)a * (wide_int)b / (wide_int)d; /* Non-negative operands: truncation = floor. */
    if (q > (wide_int)INT64_MAX) {
        return pt_err_set(err, PT_ELIMIT, NULL, "points out of range");
    }
    *out = (int64_t)q;
    return PT_OK;
}

enum pt_rc pt_ledger_earn_points(int64_t eligible_minor, const struct pt_earn_rate *rate,
                                 int64_t *points, struct pt_err *err)
{
    pt_assert(rate->points >= 0);
    pt_assert(rate->per_amount_minor >= 1);
    if (eligible_minor < 0) {
        return pt_err_set(err, PT_EINVAL, "amount", "amount must not be negative");
    }
    return pt_mul_div_floor(eligible_minor, rate->points, rate->per_amount_minor, points, err);
}

enum pt_rc pt_ledger_return_points(int64_t points_earned, int64_t amount_minor,
                                   int64_t returned_before_minor, int64_t returned_now_minor,
                                   int64_t reversed_before, int64_t *points, struct pt_err *err)
{
    int64_t returned_total;
    int64_t cumulative = 0;
    enum pt_rc rc;
    pt_assert(points_earned >= 0);
    pt_assert(returned_before_minor >= 0 && returned_now_minor >= 0);
    pt_assert(reversed_before >= 0 && reversed_before <= points_earned);
    if (__builtin_add_overflow(returned_before_minor, returned_now_minor, &returned_total) ||
        returned_total > amount_minor) {
        (void)pt_err_set(err, PT_ELIMIT, "amount",
                         "the returns would exceed the amount of the purchase");
        return pt_err_code(err, "return_exceeds_purchase");
    }
    if (amount_minor > 0) {
        rc = pt_mul_div_floor(points_earned, returned_total, amount_minor, &cumulative, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    /* cumulative is monotone in returned_total, so this is never negative. */
    pt_assert(cumulative >= reversed_before);
    pt_assert(cumulative <= points_earned);
    *points = cumulative - reversed_before;
    return PT_OK;
}

bool pt_lot_is_available(const struct pt_lot *lot, int64_t now_ms)
{
    pt_debug_assert(lot->points_remaining >= 0);
    return lot->points_remaining > 0 && lot->available_at_ms <= now_ms &&
           now_ms < lot->expires_at_ms;
}

bool pt_lot_is_pending(const struct pt_lot *lot, int64_t now_ms)
{
    return lot->points_remaining > 0 && now_ms < lot->available_at_ms &&
           now_ms < lot->expires_at_ms;
}

bool pt_lot_is_expired(const struct pt_lot *lot, int64_t now_ms)
{
    return lot->points_remaining > 0 && lot->expires_at_ms <= now_ms;
}

/* Returns true when lot a should be spent before lot b. */
static bool spend_before(const struct pt_lot *a, size_t ia, const struct pt_lot *b, size_t ib)
{
    if (a->expires_at_ms != b->expires_at_ms) {
        return a->expires_at_ms < b->expires_at_ms;
    }
    if (a->earned_at_ms != b->earned_at_ms) {
        return a->earned_at_ms < b->earned_at_ms;
    }
    return ia < ib;
}

static bool lots_in_spend_order(const struct pt_lot *lots, size_t lot_count)
{
    size_t i;
    for (i = 1; i < lot_count; i++) {
        if (spend_before(&lots[i], i, &lots[i - 1], i - 1)) {
            return false;
        }
    }
    return true;
}

/* Picks the next lot to spend from: the first available one after `after` when the lots are in
 * spend order, else the best unused one by repeated minimum. Returns lot_count when none. */
static size_t next_lot(const struct pt_lot *lots, size_t lot_count, bool sorted, size_t after,
                       const struct pt_lot_take *takes, size_t take_count, int64_t now_ms)
{
    size_t best = lot_count;
    size_t i;
    for (i = sorted ? after : 0; i < lot_count; i++) {
        bool used = false;
        size_t t;
        if (!pt_lot_is_available(&lots[i], now_ms)) {
            continue;
        }
        if (sorted) {
            return i;
        }
        for (t = 0; t < take_count; t++) {
            used = used || takes[t].lot_index == i;
        }
        if (!used && (best == lot_count || spend_before(&lots[i], i, &lots[best], best))) {
            best = i;
        }
    }
    return best;
}

enum pt_rc pt_ledger_plan_spend(const struct pt_lot *lots, size_t lot_count, int64_t points,
                                int64_t now_ms, struct pt_lot_take *takes, size_t takes_cap,
                                size_t *take_count, int64_t *taken, struct pt_err *err)
{
    /* Lots usually arrive in spend order (the store sorts them): then one linear pass. */
    bool sorted = lots_in_spend_order(lots, lot_count);
    int64_t need = points;
    size_t after = 0;
    pt_assert(points > 0);
    pt_assert(lot_count == 0 || lots != NULL);
    pt_assert(takes_cap == 0 || takes != NULL);
    *take_count = 0;
    *taken = 0;
    while (need > 0) {
        size_t best = next_lot(lots, lot_count, sorted, after, takes, *take_count, now_ms);
        if (best == lot_count) {
            return pt_err_set(err, PT_EINSUFFICIENT, "points",
                              "not enough available points: %lld available, %lld asked",
                              (long long)*taken, (long long)points);
        }
        if (*take_count == takes_cap) {
            return pt_err_set(err, PT_ELIMIT, "points", "the spend touches too many lots");
        }
        after = best + 1;
        takes[*take_count].lot_index = best;
        takes[*take_count].points =
            lots[best].points_remaining < need ? lots[best].points_remaining : need;
        pt_debug_assert(takes[*take_count].points > 0); /* Only available lots are taken. */
        need -= takes[*take_count].points;
        *taken += takes[*take_count].points;
        (*take_count)++;
    }
    pt_assert(*taken == points);
    pt_assert(*take_count <= takes_cap);
    return PT_OK;
}

int64_t pt_ledger_add_months(int64_t at_ms, unsigned months)
{
    static const unsigned days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t year;
    unsigned month;
    unsigned day;
    int64_t ms_of_day = at_ms % 86400000;
    int64_t total_months;
    unsigned dim;
    if (ms_of_day < 0) {
        ms_of_day += 86400000;
    }
    pt_civil_from_ms(at_ms, &year, &month, &day);
    total_months = year * 12 + (int64_t)(month - 1) + months;
    year = total_months / 12;
    month = (unsigned)(total_months % 12) + 1;
    dim = days_in_month[month - 1];
    if (month == 2 && pt_date_is_valid(year, 2, 29)) {
        dim = 29;
    }
    if (day > dim) {
        day = dim;
    }
    pt_assert(pt_date_is_valid(year, month, day));
    return pt_days_from_civil(year, month, day) * 86400000 + ms_of_day;
}

enum pt_rc pt_ledger_entry_check(const int64_t *posting_points, size_t count, struct pt_err *err)
{
    int64_t sum = 0;
    size_t i;
    if (count < 2) {
        return pt_err_set(err, PT_EINTERNAL, NULL, "an entry needs two postings");
    }
    for (i = 0; i < count; i++) {
        if (posting_points[i] == 0 || __builtin_add_overflow(sum, posting_points[i], &sum)) {
            return pt_err_set(err, PT_EINTERNAL, NULL, "posting %zu is zero or overflows", i);
        }
    }
    if (sum != 0) {
        return pt_err_set(err, PT_EINTERNAL, NULL, "entry does not sum to zero");
    }
    return PT_OK;
}

/* 1250 with exponent 2 -> "12.50"; exponent 0..4 (ISO 4217 has 0 to 4). */
void pt_money_format(int64_t minor, int exponent, char *out, size_t out_bytes)
{
    char digits[32];
    size_t len;
    int e = exponent < 0 ? 0 : exponent > 4 ? 4 : exponent;
    (void)snprintf(digits, sizeof(digits), "%0*lld", e + 1, (long long)minor);
    len = strlen(digits);
    if (e == 0) {
        (void)snprintf(out, out_bytes, "%s", digits);
    } else {
        (void)snprintf(out, out_bytes, "%.*s.%s", (int)(len - (size_t)e), digits,
                       digits + len - (size_t)e);
    }
}

/* ---- Sanity of the ledger's rows, for assertions ---- */

/* A NUL-terminated string of 1..max-1 bytes in a buffer of max bytes. */
static bool id_sane(const char *id, size_t max)
{
    return id != NULL && id[0] != '\0' && memchr(id, '\0', max) != NULL;
}

static bool units_sane(int64_t v)
{
    return v >= -PT_ACCOUNT_UNITS_MAX && v <= PT_ACCOUNT_UNITS_MAX;
}

bool pt_entry_sane(const struct pt_entry *entry)
{
    const char *t = entry->type;
    size_t i;
    if (!id_sane(entry->id, sizeof(entry->id)) ||
        !id_sane(entry->member_id, sizeof(entry->member_id)) || t == NULL || t[0] == '\0' ||
        entry->created_at_ms < 0) {
        return false;
    }
    for (i = 0; t[i] != '\0'; i++) {
        if (i >= PT_ID_BUF_BYTES || !((t[i] >= 'a' && t[i] <= 'z') || t[i] == '_')) {
            return false;
        }
    }
    return true;
}

bool pt_posting_sane(const struct pt_posting *posting)
{
    return posting->account_id != NULL && posting->account_id[0] != '\0' && posting->points != 0 &&
           units_sane(posting->points) && units_sane(posting->owed_delta) &&
           units_sane(posting->earned_delta) && units_sane(posting->redeemed_delta) &&
           units_sane(posting->expired_delta);
}

bool pt_lot_sane(const struct pt_lot_row *lot)
{
    return id_sane(lot->id, sizeof(lot->id)) && id_sane(lot->member_id, sizeof(lot->member_id)) &&
           id_sane(lot->entry_id, sizeof(lot->entry_id)) &&
           memchr(lot->source_id, '\0', sizeof(lot->source_id)) != NULL &&
           lot->lot.points_remaining >= 0 && lot->lot.points_remaining <= lot->points_earned &&
           lot->points_earned <= PT_ACCOUNT_UNITS_MAX &&
           lot->lot.available_at_ms >= lot->lot.earned_at_ms &&
           lot->lot.expires_at_ms >= lot->lot.earned_at_ms;
}

bool pt_account_sane(const struct pt_account *account, int64_t bound)
{
    return bound >= 0 && bound <= PT_ACCOUNT_UNITS_MAX && account->balance >= -bound &&
           account->balance <= bound && account->owed >= 0 && account->owed <= bound &&
           units_sane(account->lifetime_earned) && units_sane(account->lifetime_redeemed) &&
           units_sane(account->lifetime_expired);
}
