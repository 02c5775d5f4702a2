/* SPDX-License-Identifier: MIT */
/*
 * Goal: src/core/rfm.c scores as the R package rfm 0.3.0 does: R's type-7 quantiles (as R
 * computes them, with seq(0, 1, length.out = 6)'s probabilities), cut points
 * plus 1 (or a currency unit), half-open bins where the last that holds a value wins, recency
 * scored 5..1 and the others 1..5, and the segment table in order, first match winning.
 * Method: small cases worked by hand (the arithmetic is in the comments), ties (every value
 * equal, ties across a cut point, values sitting on a cut point), money's cut points a whole
 * unit up rather than a minor unit, each segment's first row and scores that match none.
 * The whole sample of the package is tests/api/test_rfm.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "core/program.h"
#include "core/rfm.h"

static void test_pt_rfm_quantile7__interpolates_as_r(void **state)
{
    const double x[] = {1, 2, 3, 4, 5};
    const double one[] = {7};
    (void)state;
    /* index = 1 + 4 * 0.2 = 1.8: 0.2 * 1 + 0.8 * 2. */
    assert_true(pt_rfm_quantile7(x, 5, 0.2) > 1.7999 && pt_rfm_quantile7(x, 5, 0.2) < 1.8001);
    assert_true(pt_rfm_quantile7(x, 5, 0.0) == 1.0);
    assert_true(pt_rfm_quantile7(x, 5, 1.0) == 5.0);
    assert_true(pt_rfm_quantile7(x, 5, 0.5) == 3.0);   /* index 3: x[3] exactly. */
    assert_true(pt_rfm_quantile7(one, 1, 0.8) == 7.0); /* One value: it. */
}

/* Frequencies 1..10: index 1 + 9p = 2.8, 4.6, 6.4, 8.2, so cut points 3.8, 5.6, 7.4, 9.2 and
 * bins [1,3.8) [3.8,5.6) [5.6,7.4) [7.4,9.2) [9.2,11). */
static void test_pt_rfm_bins_make__one_to_ten(void **state)
{
    double x[10];
    struct pt_rfm_bins b;
    const int expect[10] = {0, 0, 0, 1, 1, 2, 2, 3, 3, 4};
    int i;
    (void)state;
    for (i = 0; i < 10; i++) {
        x[i] = i + 1;
    }
    pt_rfm_bins_make(x, 10, 1.0, &b);
    assert_true(b.lower[0] == 1.0 && b.upper[4] == 11.0);
    assert_true(b.upper[0] > 3.7999 && b.upper[0] < 3.8001);
    assert_true(b.upper[3] > 9.1999 && b.upper[3] < 9.2001);
    for (i = 0; i < 10; i++) {
        assert_int_equal(pt_rfm_bin(&b, x[i]), expect[i]);
    }
    assert_int_equal(pt_rfm_bin(&b, 0.0), -1);  /* Below the minimum. */
    assert_int_equal(pt_rfm_bin(&b, 11.0), -1); /* The maximum + 1 is outside. */
}

/* Values 1..6: index 1 + 5p = 2, 3, 4 and 5 (R's third probability 3 * 0.2 is
 * 0.6000000000000001, but 1 + 5 * it rounds to 4.0 as well): the quantiles are values of the
 * data, the cut points 3, 4, 5, 6 are values too, and a value on a cut point opens the next bin:
 * [1,3) [3,4) [4,5) [5,6) [6,7). */
static void test_pt_rfm_bins_make__values_on_cut_points(void **state)
{
    const double x[] = {1, 2, 3, 4, 5, 6};
    struct pt_rfm_bins b;
    (void)state;
    pt_rfm_bins_make(x, 6, 1.0, &b);
    assert_true(b.upper[0] == 3.0 && b.upper[1] == 4.0 && b.upper[2] == 5.0);
    assert_true(b.upper[3] == 6.0 && b.upper[4] == 7.0);
    assert_int_equal(pt_rfm_bin(&b, 1), 0);
    assert_int_equal(pt_rfm_bin(&b, 2), 0);
    assert_int_equal(pt_rfm_bin(&b, 3), 1);
    assert_int_equal(pt_rfm_bin(&b, 4), 2);
    assert_int_equal(pt_rfm_bin(&b, 5), 3);
    assert_int_equal(pt_rfm_bin(&b, 6), 4);
}

/* Ties across a cut point: 1, 1, 1, 1, 9. Index 1 + 4p = 1.8, 2.6, 3.4, 4.2: the first three
 * quantiles are 1 (x[lo] == x[hi], no interpolation), the last 0.8 * 1 + 0.2 * 9 = 2.6; cut
 * points 2, 2, 2, 3.6; bins [1,2) [2,2) [2,2) [2,3.6) [3.6,10): the four 1s score 1, the 9
 * scores 5. */
static void test_pt_rfm_bins_make__ties_leave_bins_empty(void **state)
{
    const double x[] = {1, 1, 1, 1, 9};
    struct pt_rfm_bins b;
    (void)state;
    pt_rfm_bins_make(x, 5, 1.0, &b);
    assert_true(b.upper[0] == 2.0 && b.upper[1] == 2.0 && b.upper[2] == 2.0);
    assert_true(b.upper[3] > 3.5999 && b.upper[3] < 3.6001);
    assert_int_equal(pt_rfm_bin(&b, 1), 0);
    assert_int_equal(pt_rfm_bin(&b, 9), 4);
}

/* Every value equal (2): every cut point is 3, so bins [2,3) [3,3) [3,3) [3,3) [3,3): all in the
 * first. */
static void test_pt_rfm_bins_make__all_tied(void **state)
{
    const double x[] = {2, 2, 2, 2, 2};
    struct pt_rfm_bins b;
    (void)state;
    pt_rfm_bins_make(x, 5, 1.0, &b);
    assert_true(b.upper[0] == 3.0 && b.lower[4] == 3.0 && b.upper[4] == 3.0);
    assert_int_equal(pt_rfm_bin(&b, 2), 0);
}

static void test_pt_rfm_segment__table_order_and_others(void **state)
{
    (void)state;
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(5, 5, 5)], "Champions");
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(5, 5, 4)], "Potential Loyalist");
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(2, 2, 2)], "Loyal Customers");
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(3, 1, 5)], "Promising");
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(5, 1, 1)], "New Customers");
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(1, 3, 5)], "Can't Lose Them");
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(1, 5, 5)], "At Risk");
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(1, 5, 3)], "Need Attention");
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(3, 1, 1)], "About To Sleep");
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(1, 1, 1)], "Lost");
    /* (2,5,1): F 5 is past Loyal's, About To Sleep's; M 1 is below every other's; R 2 not Lost. */
    assert_int_equal(pt_rfm_segment(2, 5, 1), PT_RFM_OTHERS);
    assert_int_equal(pt_rfm_segment(4, 5, 1), PT_RFM_OTHERS);
    assert_string_equal(pt_rfm_segment_names[PT_RFM_OTHERS], "Others");
    /* (3,3,3) is both Potential Loyalist and Loyal Customers: the first wins. */
    assert_string_equal(pt_rfm_segment_names[pt_rfm_segment(3, 3, 3)], "Potential Loyalist");
}

/* Five members, in dollars: amounts 1.00, 2.00, 3.00, 4.00, 5.00 (100..500 minor units). Money's
 * quantiles at index 1.8, 2.6, 3.4, 4.2 are 180, 260, 340, 420 and its cut points one dollar
 * more: 280, 360, 440, 520; bins [100,280) [280,360) [360,440) [440,520) [520,600): scores 1, 1,
 * 2, 3, 4. Plus one minor unit instead, they would be 1, 2, 3, 4, 5. Recency 0, 10, 20, 30, 40
 * days: cut points 9, 17, 25, 33 (quantiles 8, 16, 24, 32): bins [0,9) [9,17) [17,25) [25,33)
 * [33,41): scores 5, 4, 3, 2, 1. Counts all 1: score 1. */
static void test_pt_rfm_score__a_whole_currency_unit(void **state)
{
    struct pt_rfm_row rows[5];
    struct pt_err err;
    const int m[] = {1, 1, 2, 3, 4};
    int i;
    (void)state;
    memset(rows, 0, sizeof(rows));
    for (i = 0; i < 5; i++) {
        rows[i].amount = (i + 1) * 100;
        rows[i].recency_days = i * 10;
        rows[i].transaction_count = 1;
    }
    pt_err_clear(&err);
    assert_int_equal(pt_rfm_score(rows, 5, 100, &err), PT_OK);
    for (i = 0; i < 5; i++) {
        assert_int_equal(rows[i].monetary_score, m[i]);
        assert_int_equal(rows[i].recency_score, 5 - i);
        assert_int_equal(rows[i].frequency_score, 1);
        assert_int_equal(rows[i].rfm_score, rows[i].recency_score * 100 + 10 + m[i]);
    }
    /* R5 F1 M1: New Customers; R1 F1 M4: Lost. */
    assert_string_equal(pt_rfm_segment_names[rows[0].segment], "New Customers");
    assert_string_equal(pt_rfm_segment_names[rows[4].segment], "Lost");
    assert_int_equal(pt_rfm_score(rows, 5, 1, &err), PT_OK);
    for (i = 0; i < 5; i++) {
        assert_int_equal(rows[i].monetary_score, i + 1);
    }
}

static void test_pt_rfm_score__one_member_and_refusals(void **state)
{
    struct pt_rfm_row row;
    struct pt_err err;
    (void)state;
    memset(&row, 0, sizeof(row));
    row.transaction_count = 3;
    row.amount = 1000;
    pt_err_clear(&err);
    /* One member: every cut point is its own value + 1, so the first bin; recency's scores 5. */
    assert_int_equal(pt_rfm_score(&row, 1, 100, &err), PT_OK);
    assert_int_equal(row.rfm_score, 511);
    row.amount = (INT64_C(1) << 53) + 1;
    assert_int_equal(pt_rfm_score(&row, 1, 100, &err), PT_ELIMIT);
    row.amount = INT64_C(1) << 53;
    assert_int_equal(pt_rfm_score(&row, 1, 100, &err), PT_OK);
    pt_alloc_fail_at(1);
    assert_int_equal(pt_rfm_score(&row, 1, 100, &err), PT_ENOMEM);
    pt_alloc_fail_at(0);
}

static void test_pt_rfm_date_parse__days_and_refusals(void **state)
{
    int64_t days = -1;
    char out[11];
    (void)state;
    assert_true(pt_rfm_date_parse("2006-12-31", &days));
    assert_int_equal(days, 13513);
    pt_rfm_date_format(days, out);
    assert_string_equal(out, "2006-12-31");
    assert_true(pt_rfm_date_parse("1970-01-01", &days));
    assert_int_equal(days, 0);
    assert_false(pt_rfm_date_parse("1969-12-31", &days));
    assert_false(pt_rfm_date_parse("2006-02-29", &days));
    assert_false(pt_rfm_date_parse("2006-12-31T00:00:00Z", &days));
    assert_false(pt_rfm_date_parse("2006-1-31", &days));
    assert_false(pt_rfm_date_parse("", &days));
}

/* Recency counts local dates: in Berlin (UTC+1 in winter) 2006-12-30T23:30Z is 2006-12-31, so
 * 0 days before 2006-12-31; in UTC it is 1 day. */
static void test_pt_rfm_recency__local_dates(void **state)
{
    struct pt_tz *tz = pt_malloc(sizeof(*tz));
    struct pt_rfm_row row;
    struct pt_err err;
    int64_t as_of = pt_days_from_civil(2006, 12, 31);
    (void)state;
    assert_non_null(tz);
    memset(&row, 0, sizeof(row));
    row.last_ms = (as_of - 1) * PT_DAY_MS + 23 * 3600000LL + 30 * 60000LL;
    pt_err_clear(&err);
    assert_int_equal(pt_tz_load("Europe/Berlin", tz, &err), PT_OK);
    pt_rfm_recency(&row, 1, tz, as_of);
    assert_int_equal(row.recency_days, 0);
    assert_int_equal(pt_tz_load("UTC", tz, &err), PT_OK);
    pt_rfm_recency(&row, 1, tz, as_of);
    assert_int_equal(row.recency_days, 1);
    pt_free(tz);
}

static void test_pt_currency_exponent__iso_4217(void **state)
{
    (void)state;
    assert_int_equal(pt_currency_exponent("USD"), 2); /* a unit is 100 minor units */
    assert_int_equal(pt_currency_exponent("EUR"), 2);
    assert_int_equal(pt_currency_exponent("JPY"), 0);
    assert_int_equal(pt_currency_exponent("KWD"), 3);
    assert_int_equal(pt_currency_exponent("CLF"), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_rfm_quantile7__interpolates_as_r),
        PT_TEST(test_pt_rfm_bins_make__one_to_ten),
        PT_TEST(test_pt_rfm_bins_make__values_on_cut_points),
        PT_TEST(test_pt_rfm_bins_make__ties_leave_bins_empty),
        PT_TEST(test_pt_rfm_bins_make__all_tied),
        PT_TEST(test_pt_rfm_segment__table_order_and_others),
        PT_TEST(test_pt_rfm_score__a_whole_currency_unit),
        PT_TEST(test_pt_rfm_score__one_member_and_refusals),
        PT_TEST(test_pt_rfm_date_parse__days_and_refusals),
        PT_TEST(test_pt_rfm_recency__local_dates),
        PT_TEST(test_pt_currency_exponent__iso_4217),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
