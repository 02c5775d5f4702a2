/* SPDX-License-Identifier: MIT */
/*
 * Goal: the ledger arithmetic of src/core/ledger.c never creates or loses a point.
 * Method: known cases for earning, returns, lot selection, months and entry checks; exhaustive
 * sweeps of partial-return sequences showing that the reversals add up exactly to the points
 * earned; overflow guards at the INT64 limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "core/ledger.h"

#define DAY_MS 86400000LL

static void test_pt_ledger_earn_points__floors(void **state)
{
    struct pt_earn_rate rate = {1, 100};
    struct pt_err err;
    int64_t points = -1;
    (void)state;
    assert_int_equal(pt_ledger_earn_points(1299, &rate, &points, &err), PT_OK);
    assert_int_equal(points, 12);
    assert_int_equal(pt_ledger_earn_points(99, &rate, &points, &err), PT_OK);
    assert_int_equal(points, 0);
    rate.points = 3;
    rate.per_amount_minor = 200;
    assert_int_equal(pt_ledger_earn_points(1000, &rate, &points, &err), PT_OK);
    assert_int_equal(points, 15);
    assert_int_equal(pt_ledger_earn_points(-1, &rate, &points, &err), PT_EINVAL);
}

static void test_pt_ledger_earn_points__overflow_is_limit(void **state)
{
    struct pt_earn_rate rate = {INT64_MAX, 1};
    struct pt_err err;
    int64_t points = 0;
    (void)state;
    assert_int_equal(pt_ledger_earn_points(2, &rate, &points, &err), PT_ELIMIT);
    assert_int_equal(pt_ledger_earn_points(1, &rate, &points, &err), PT_OK);
    assert_int_equal(points, INT64_MAX);
    rate.points = INT64_MAX;
    rate.per_amount_minor = INT64_MAX;
    assert_int_equal(pt_ledger_earn_points(INT64_MAX, &rate, &points, &err), PT_OK);
    assert_int_equal(points, INT64_MAX);
}

static void test_pt_points_add__guards_int64(void **state)
{
    struct pt_err err;
    int64_t out = 0;
    (void)state;
    assert_int_equal(pt_points_add(INT64_MAX, 1, &out, &err), PT_ELIMIT);
    assert_int_equal(pt_points_add(INT64_MAX - 1, 1, &out, &err), PT_OK);
    assert_int_equal(out, INT64_MAX);
    assert_int_equal(pt_points_sub(INT64_MIN, 1, &out, &err), PT_ELIMIT);
    assert_int_equal(pt_points_sub(0, INT64_MAX, &out, &err), PT_OK);
    assert_int_equal(out, -INT64_MAX);
}

static void test_pt_ledger_bounded_add__at_the_bound_and_one_past(void **state)
{
    const int64_t max = 1000000000000000LL;
    struct pt_err err;
    int64_t out = 7;
    (void)state;
    assert_int_equal(pt_ledger_bounded_add(max - 1, 1, max, "points", "the balance", &out, &err),
                     PT_OK);
    assert_int_equal(out, max);
    out = 7;
    assert_int_equal(pt_ledger_bounded_add(max, 1, max, "points", "the balance", &out, &err),
                     PT_ELIMIT);
    assert_int_equal(out, 7); /* Unchanged on failure. */
    assert_string_equal(err.field, "points");
    assert_string_equal(err.code, "limit_exceeded");
    assert_int_equal(pt_ledger_bounded_add(-max + 1, -1, max, "points", "the debt", &out, &err),
                     PT_OK);
    assert_int_equal(out, -max);
    assert_int_equal(pt_ledger_bounded_add(-max, -1, max, "amount", "the debt", &out, &err),
                     PT_ELIMIT);
    assert_string_equal(err.field, "amount");
    /* Values already out of range, and sums that overflow int64, are refused, never wrapped. */
    assert_int_equal(pt_ledger_bounded_add(INT64_MAX, 1, max, "points", "x", &out, &err),
                     PT_ELIMIT);
    assert_int_equal(pt_ledger_bounded_add(INT64_MIN, -1, max, "points", "x", &out, &err),
                     PT_ELIMIT);
    assert_int_equal(pt_ledger_bounded_add(INT64_MAX, -INT64_MAX, max, "points", "x", &out, &err),
                     PT_OK);
    assert_int_equal(out, 0);
    assert_int_equal(pt_ledger_bounded_add(0, 0, 0, NULL, "x", &out, &err), PT_OK);
    assert_int_equal(pt_ledger_bounded_add(0, 1, 0, NULL, "x", &out, &err), PT_ELIMIT);
}

static void test_pt_ledger_return_points__partial_returns_sum_exactly(void **state)
{
    /* For every purchase amount up to 60 and every way to cut it into returns of 1..7,
     * the reversals never exceed the earned points and add up exactly on a full return. */
    struct pt_err err;
    int64_t amount;
    (void)state;
    for (amount = 1; amount <= 60; amount++) {
        int64_t earned;
        for (earned = 0; earned <= 37; earned += 3) {
            int64_t step;
            for (step = 1; step <= 7; step++) {
                int64_t returned = 0;
                int64_t reversed = 0;
                while (returned < amount) {
                    int64_t now = amount - returned < step ? amount - returned : step;
                    int64_t points = -1;
                    assert_int_equal(pt_ledger_return_points(earned, amount, returned, now,
                                                             reversed, &points, &err),
                                     PT_OK);
                    assert_true(points >= 0);
                    reversed += points;
                    returned += now;
                    assert_true(reversed <= earned);
                }
                assert_int_equal(reversed, earned);
            }
        }
    }
}

static void test_pt_ledger_return_points__rejects_over_return(void **state)
{
    struct pt_err err;
    int64_t points = 0;
    (void)state;
    assert_int_equal(pt_ledger_return_points(10, 1000, 600, 401, 6, &points, &err), PT_ELIMIT);
    assert_string_equal(err.code, "return_exceeds_purchase");
    assert_int_equal(pt_ledger_return_points(10, 1000, 600, 400, 6, &points, &err), PT_OK);
    assert_int_equal(points, 4);
    assert_int_equal(pt_ledger_return_points(10, 1000, INT64_MAX, 1, 6, &points, &err), PT_ELIMIT);
}

static void test_pt_ledger_plan_spend__soonest_expiring_first(void **state)
{
    const int64_t now = 100 * DAY_MS;
    struct pt_lot lots[] = {
        {50, 1 * DAY_MS, 1 * DAY_MS, PT_LEDGER_NEVER}, /* never expires: last */
        {30, 2 * DAY_MS, 2 * DAY_MS, 200 * DAY_MS},    /* expires second */
        {20, 3 * DAY_MS, 3 * DAY_MS, 150 * DAY_MS},    /* expires first */
        {40, 4 * DAY_MS, 200 * DAY_MS, 300 * DAY_MS},  /* pending: not spendable */
        {10, 5 * DAY_MS, 5 * DAY_MS, 90 * DAY_MS},     /* expired: not spendable */
    };
    struct pt_lot_take takes[8];
    size_t count = 0;
    int64_t taken = 0;
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_ledger_plan_spend(lots, 5, 60, now, takes, 8, &count, &taken, &err), PT_OK);
    assert_int_equal(count, 3);
    assert_int_equal(takes[0].lot_index, 2);
    assert_int_equal(takes[0].points, 20);
    assert_int_equal(takes[1].lot_index, 1);
    assert_int_equal(takes[1].points, 30);
    assert_int_equal(takes[2].lot_index, 0);
    assert_int_equal(takes[2].points, 10);
    assert_int_equal(taken, 60);
}

static void test_pt_ledger_plan_spend__insufficient_and_cap(void **state)
{
    struct pt_lot lots[] = {{5, 0, 0, PT_LEDGER_NEVER}, {5, 1, 0, PT_LEDGER_NEVER}};
    struct pt_lot_take takes[2];
    size_t count = 0;
    int64_t taken = 0;
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_ledger_plan_spend(lots, 2, 11, 10, takes, 2, &count, &taken, &err),
                     PT_EINSUFFICIENT);
    assert_int_equal(taken, 10);
    assert_int_equal(pt_ledger_plan_spend(lots, 2, 10, 10, takes, 2, &count, &taken, &err), PT_OK);
    assert_int_equal(pt_ledger_plan_spend(lots, 2, 10, 10, takes, 1, &count, &taken, &err),
                     PT_ELIMIT);
    /* Ties on expiry are broken by the earliest earned lot. */
    assert_int_equal(pt_ledger_plan_spend(lots, 2, 3, 10, takes, 2, &count, &taken, &err), PT_OK);
    assert_int_equal(takes[0].lot_index, 0);
}

static void test_pt_lot_states__at_boundaries(void **state)
{
    struct pt_lot lot = {7, 0, 10, 20};
    (void)state;
    assert_true(pt_lot_is_pending(&lot, 9));
    assert_false(pt_lot_is_available(&lot, 9));
    assert_true(pt_lot_is_available(&lot, 10));
    assert_true(pt_lot_is_available(&lot, 19));
    assert_false(pt_lot_is_expired(&lot, 19));
    assert_true(pt_lot_is_expired(&lot, 20));
    assert_false(pt_lot_is_available(&lot, 20));
    lot.points_remaining = 0;
    assert_false(pt_lot_is_expired(&lot, 20));
    assert_false(pt_lot_is_available(&lot, 15));
}

static void test_pt_ledger_add_months__clamps_to_month_end(void **state)
{
    int64_t jan31 = pt_days_from_civil(2027, 1, 31) * DAY_MS + 3600000;
    int64_t year;
    unsigned month;
    unsigned day;
    (void)state;
    pt_civil_from_ms(pt_ledger_add_months(jan31, 1), &year, &month, &day);
    assert_int_equal(year, 2027);
    assert_int_equal(month, 2);
    assert_int_equal(day, 28);
    pt_civil_from_ms(pt_ledger_add_months(jan31, 13), &year, &month, &day);
    assert_int_equal(year, 2028);
    assert_int_equal(month, 2);
    assert_int_equal(day, 29);
    pt_civil_from_ms(pt_ledger_add_months(jan31, 12), &year, &month, &day);
    assert_int_equal(year, 2028);
    assert_int_equal(month, 1);
    assert_int_equal(day, 31);
    assert_int_equal(pt_ledger_add_months(jan31, 12) % DAY_MS, 3600000);
}

static void test_pt_ledger_entry_check__sum_zero(void **state)
{
    const int64_t good[] = {10, -4, -6};
    const int64_t bad_sum[] = {10, -9};
    const int64_t zero[] = {10, 0, -10};
    const int64_t overflow[] = {INT64_MAX, INT64_MAX, 2};
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_ledger_entry_check(good, 3, &err), PT_OK);
    assert_int_equal(pt_ledger_entry_check(good, 1, &err), PT_EINTERNAL);
    assert_int_equal(pt_ledger_entry_check(bad_sum, 2, &err), PT_EINTERNAL);
    assert_int_equal(pt_ledger_entry_check(zero, 3, &err), PT_EINTERNAL);
    assert_int_equal(pt_ledger_entry_check(overflow, 3, &err), PT_EINTERNAL);
}

static void test_pt_ledger_rows_sane__at_their_bounds(void **state)
{
    struct pt_entry e = {"ent_1", "mem_1", "redeem_cancel", NULL, NULL, NULL, 0};
    struct pt_posting p = {"mem_1", NULL, PT_ACCOUNT_UNITS_MAX, 0, 0, 0, 0, 0};
    struct pt_lot_row lot = {"lot_1", "mem_1", "ent_1", "", 10, {10, 5, 5, PT_LEDGER_NEVER}};
    struct pt_account a = {PT_MEMBER_POINTS_MAX, PT_MEMBER_POINTS_MAX, 0, 0, 0};
    (void)state;
    assert_true(pt_entry_sane(&e));
    e.type = "Earn";
    assert_false(pt_entry_sane(&e));
    e.type = "earn";
    e.member_id[0] = '\0';
    assert_false(pt_entry_sane(&e));
    assert_true(pt_posting_sane(&p));
    p.points = PT_ACCOUNT_UNITS_MAX + 1;
    assert_false(pt_posting_sane(&p));
    p.points = 0;
    assert_false(pt_posting_sane(&p));
    assert_true(pt_lot_sane(&lot));
    lot.lot.points_remaining = 11;
    assert_false(pt_lot_sane(&lot));
    lot.lot.points_remaining = 10;
    lot.lot.available_at_ms = 4;
    assert_false(pt_lot_sane(&lot));
    assert_true(pt_account_sane(&a, PT_MEMBER_POINTS_MAX));
    a.balance = -PT_MEMBER_POINTS_MAX - 1;
    assert_false(pt_account_sane(&a, PT_MEMBER_POINTS_MAX));
    a.balance = 0;
    a.owed = -1;
    assert_false(pt_account_sane(&a, PT_MEMBER_POINTS_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pt_ledger_earn_points__floors),
        cmocka_unit_test(test_pt_ledger_earn_points__overflow_is_limit),
        cmocka_unit_test(test_pt_points_add__guards_int64),
        cmocka_unit_test(test_pt_ledger_bounded_add__at_the_bound_and_one_past),
        cmocka_unit_test(test_pt_ledger_return_points__partial_returns_sum_exactly),
        cmocka_unit_test(test_pt_ledger_return_points__rejects_over_return),
        cmocka_unit_test(test_pt_ledger_plan_spend__soonest_expiring_first),
        cmocka_unit_test(test_pt_ledger_plan_spend__insufficient_and_cap),
        cmocka_unit_test(test_pt_lot_states__at_boundaries),
        cmocka_unit_test(test_pt_ledger_add_months__clamps_to_month_end),
        cmocka_unit_test(test_pt_ledger_entry_check__sum_zero),
        cmocka_unit_test(test_pt_ledger_rows_sane__at_their_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
