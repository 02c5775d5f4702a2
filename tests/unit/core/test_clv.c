/* SPDX-License-Identifier: MIT */
/*
 * Goal: src/core/clv.c and clv_fit.c reproduce the published BG/NBD and Gamma-Gamma figures on
 * the CDNOW sample (Fader, Hardie & Lee 2005): the log-likelihood at r = 0.243, alpha = 4.414,
 * a = 0.793, b = 2.426 is -9582.4; E[Y(39)] of the customer with x = 2, t_x = 30.43, T = 38.86
 * is 1.226; the maximum-likelihood fits find those parameters and p = 6.25, q = 3.74,
 * gamma = 15.44, each to its published precision, deterministically; the summaries merge a
 * day's purchases and stop at the calibration end; the limits refuse at N + 1.
 * Method: tests/data/cdnow/CDNOW_sample.txt read through pt_clv_builder in UTC (days since
 * 1997-01-01 are exact), as the API's fit reads a program's purchases; the published figures
 * are the papers' (and lifetimes' and BTYD's, which agree).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/alloc.h"
#include "base/clock.h"
#include "core/clv.h"
#include "core/program.h"

static const struct pt_bgnbd published = {0.243, 4.414, 0.793, 2.426};

static struct pt_tz *utc(void)
{
    static struct pt_tz tz;
    struct pt_err err;
    pt_err_clear(&err);
    assert_int_equal(pt_tz_load("UTC", &tz, &err), PT_OK);
    return &tz;
}

static int64_t day_of(const char *date)
{
    int64_t days = 0;
    struct pt_err err;
    pt_err_clear(&err);
    assert_int_equal(pt_clv_date_parse(date, "d", &days, &err), PT_OK);
    return days;
}

/* The sample's customers at the calibration end 1997-09-30, in sample id order. */
static void load_sample(struct pt_clv_builder *b)
{
    FILE *f = fopen(PT_TEST_DATA_DIR "/cdnow/CDNOW_sample.txt", "r");
    char line[64];
    int last_id = -1;
    struct pt_err err;
    pt_err_clear(&err);
    assert_non_null(f);
    pt_clv_builder_init(b, utc(), day_of("1997-09-30"));
    while (fgets(line, sizeof(line), f) != NULL) {
        int master, id, date, cds;
        double dollars;
        int64_t at_ms;
        assert_int_equal(sscanf(line, "%d %d %d %d %lf", &master, &id, &date, &cds, &dollars), 5);
        at_ms =
            pt_days_from_civil(date / 10000, (unsigned)(date / 100 % 100), (unsigned)(date % 100)) *
                PT_DAY_MS +
            12 * 3600000LL;
        assert_int_equal(pt_clv_builder_add(b, id != last_id, at_ms, llround(dollars * 100), &err),
                         PT_OK);
        last_id = id;
    }
    fclose(f);
    assert_int_equal(b->count, 2357);
}

static void test_pt_clv_builder__cdnow_summaries(void **state)
{
    struct pt_clv_builder b;
    int64_t repeats = 0;
    size_t i;
    (void)state;
    load_sample(&b);
    /* Sample customer 0001: purchases on 1997-01-01, -01-18 and -08-02. */
    assert_int_equal(b.customers[0].x, 2);
    assert_int_equal(b.customers[0].t_x_days, 213); /* 30.43 weeks */
    assert_int_equal(b.customers[0].T_days, 272);   /* 38.86 weeks */
    assert_int_equal(b.customers[0].repeat_amount, 2973 + 1496);
    for (i = 0; i < b.count; i++) {
        repeats += b.customers[i].x;
    }
    assert_int_equal(repeats, 2457); /* The README's repeat transactions, days merged. */
    pt_clv_builder_fini(&b);
}

static void test_pt_clv_builder__limits(void **state)
{
    struct pt_clv_builder b;
    struct pt_err err;
    int64_t day = day_of("2020-01-01");
    (void)state;
    pt_err_clear(&err);
    pt_clv_builder_init(&b, utc(), day);
    b.max_count = 2;
    assert_int_equal(pt_clv_builder_add(&b, true, day * PT_DAY_MS, 100, &err), PT_OK);
    /* The same day again is the same purchase; the next day is a repeat one. */
    assert_int_equal(pt_clv_builder_add(&b, false, day * PT_DAY_MS + 5, 100, &err), PT_OK);
    assert_int_equal(b.customers[0].x, 0);
    assert_int_equal(pt_clv_builder_add(&b, true, (day - 1) * PT_DAY_MS, 100, &err), PT_OK);
    assert_int_equal(pt_clv_builder_add(&b, false, day * PT_DAY_MS, 7, &err), PT_OK);
    assert_int_equal(pt_clv_builder_add(&b, false, day * PT_DAY_MS + 1, 8, &err), PT_OK);
    assert_int_equal(b.customers[1].x, 1);
    assert_int_equal(b.customers[1].repeat_amount, 15);
    /* A customer's repeat values past int64_t are refused, at the bound and one past it. */
    assert_int_equal(pt_clv_builder_add(&b, false, day * PT_DAY_MS + 2, INT64_MAX - 15, &err),
                     PT_OK);
    assert_int_equal(pt_clv_builder_add(&b, false, day * PT_DAY_MS + 3, 1, &err), PT_ELIMIT);
    /* After the end: not a customer, and not counted against the bound. */
    assert_int_equal(pt_clv_builder_add(&b, true, (day + 1) * PT_DAY_MS, 100, &err), PT_OK);
    assert_int_equal(b.count, 2);
    assert_int_equal(pt_clv_builder_add(&b, true, day * PT_DAY_MS, 100, &err), PT_ELIMIT);
    pt_clv_builder_fini(&b);
}

static void test_pt_bgnbd_ll__published(void **state)
{
    struct pt_clv_builder b;
    double ll = 0;
    size_t i;
    (void)state;
    load_sample(&b);
    for (i = 0; i < b.count; i++) {
        ll += pt_bgnbd_ll(&published, (double)b.customers[i].x, (double)b.customers[i].t_x_days / 7,
                          (double)b.customers[i].T_days / 7);
    }
    assert_true(ll > -9582.45 && ll < -9582.35);
    pt_clv_builder_fini(&b);
}

static void test_pt_bgnbd_expected__published(void **state)
{
    double e = 0;
    struct pt_err err;
    (void)state;
    pt_err_clear(&err);
    assert_int_equal(pt_bgnbd_expected(&published, 2, 30.43, 38.86, 39, &e, &err), PT_OK);
    assert_true(e > 1.2255 && e < 1.2265);
    /* Far past alpha + T (the direct form, z > 1/2) the expectation keeps growing. */
    {
        double far = 0;
        assert_int_equal(pt_bgnbd_expected(&published, 2, 30.43, 38.86, 520, &far, &err), PT_OK);
        assert_true(far > e && far < 20);
    }
    /* The two forms of the 2F1 term (Pfaff's below alpha + T, the direct one above) agree where
     * they meet. */
    {
        double below = 0;
        double above = 0;
        double edge = published.alpha + 38.86;
        assert_int_equal(
            pt_bgnbd_expected(&published, 2, 30.43, 38.86, edge * (1 - 1e-12), &below, &err),
            PT_OK);
        assert_int_equal(
            pt_bgnbd_expected(&published, 2, 30.43, 38.86, edge * (1 + 1e-12), &above, &err),
            PT_OK);
        assert_true(fabs(above - below) < 1e-9);
        assert_int_equal(pt_bgnbd_expected(&published, 0, 0, 5, 100, &below, &err), PT_OK);
        assert_int_equal(pt_bgnbd_expected(&published, 0, 0, 5, 101, &above, &err), PT_OK);
        assert_true(below > 0 && above > below);
    }
    /* A customer without repeat purchases is alive for sure; this one is less so. */
    assert_true(pt_bgnbd_p_alive(&published, 0, 0, 38.86) == 1.0);
    assert_true(pt_bgnbd_p_alive(&published, 2, 30.43, 38.86) < 1.0);
}

static void test_pt_clv_fit__published(void **state)
{
    struct pt_clv_builder b;
    struct pt_clv_model m;
    struct pt_clv_model again;
    struct pt_err err;
    (void)state;
    pt_err_clear(&err);
    load_sample(&b);
    assert_int_equal(pt_clv_fit(b.customers, b.count, PT_CLV_UNIT_WEEK, 2, &m, &err), PT_OK);
    print_message(
        "bgnbd r %.6f alpha %.6f a %.6f b %.6f ll %.4f; gg p %.6f q %.6f g %.6f ll %.4f\n",
        m.bgnbd.r, m.bgnbd.alpha, m.bgnbd.a, m.bgnbd.b, m.bgnbd_ll, m.gg.p, m.gg.q, m.gg.gamma,
        m.gg_ll);
    assert_true(m.bgnbd.r >= 0.2425 && m.bgnbd.r < 0.2435);
    assert_true(m.bgnbd.alpha >= 4.4135 && m.bgnbd.alpha < 4.4145);
    assert_true(m.bgnbd.a >= 0.7925 && m.bgnbd.a < 0.7935);
    assert_true(m.bgnbd.b >= 2.4255 && m.bgnbd.b < 2.4265);
    assert_true(m.bgnbd_ll >= -9582.45 && m.bgnbd_ll < -9582.35);
    assert_true(m.gg.p >= 6.245 && m.gg.p < 6.255);
    assert_true(m.gg.q >= 3.735 && m.gg.q < 3.745);
    assert_true(m.gg.gamma >= 15.435 && m.gg.gamma < 15.445);
    /* The fit's fast sum is the reference likelihood's. */
    {
        double ll = 0;
        size_t i;
        for (i = 0; i < b.count; i++) {
            ll +=
                pt_bgnbd_ll(&m.bgnbd, (double)b.customers[i].x, (double)b.customers[i].t_x_days / 7,
                            (double)b.customers[i].T_days / 7);
        }
        assert_true(fabs(ll - m.bgnbd_ll) < 1e-6);
    }
    assert_int_equal(m.customers, 2357);
    assert_int_equal(m.repeat_customers, 946);
    assert_int_equal(pt_clv_fit(b.customers, b.count, PT_CLV_UNIT_WEEK, 2, &again, &err), PT_OK);
    assert_memory_equal(&m, &again, sizeof(m));
    pt_clv_builder_fini(&b);
}

static void test_pt_clv_fit__not_enough_data(void **state)
{
    struct pt_clv_customer one = {1, 7, 14, 500};
    struct pt_clv_model m;
    struct pt_err err;
    (void)state;
    pt_err_clear(&err);
    assert_int_equal(pt_clv_fit(&one, 1, PT_CLV_UNIT_WEEK, 2, &m, &err), PT_ELIMIT);
    assert_string_equal(err.code, "not_enough_data");
    assert_string_equal(err.field, "calibration_end");
}

static void test_pt_clv_value__sums_the_units(void **state)
{
    struct pt_clv_model m;
    struct pt_clv_customer c = {2, 213, 272, 4469};
    struct pt_clv_value v;
    struct pt_clv_value undiscounted;
    struct pt_err err;
    double spend = (15.44 * 6.25 + 6.25 * 2 * 22.345) / (6.25 * 2 + 3.74 - 1);
    (void)state;
    pt_err_clear(&err);
    memset(&m, 0, sizeof(m));
    m.bgnbd = published;
    m.gg = (struct pt_gamma_gamma){6.25, 3.74, 15.44};
    m.unit = PT_CLV_UNIT_WEEK;
    m.currency_exponent = 2;
    assert_int_equal(pt_clv_value(&m, &c, 39, 0, &undiscounted, &err), PT_OK);
    assert_true(undiscounted.expected_purchases > 1.2255 &&
                undiscounted.expected_purchases < 1.2265);
    assert_int_equal(undiscounted.expected_spend_per_purchase, llround(spend * 100));
    /* Without a discount, the value is the purchases times the spend. */
    assert_true(llabs(undiscounted.clv - llround(undiscounted.expected_purchases * spend * 100)) <=
                1);
    assert_int_equal(pt_clv_value(&m, &c, 39, 1000, &v, &err), PT_OK);
    assert_true(v.clv < undiscounted.clv && v.clv * 10 > undiscounted.clv * 9);
    assert_int_equal(pt_currency_exponent("JPY"), 0);
    assert_int_equal(pt_currency_exponent("KWD"), 3);
    assert_int_equal(pt_currency_exponent("USD"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_clv_builder__cdnow_summaries), PT_TEST(test_pt_clv_builder__limits),
        PT_TEST(test_pt_bgnbd_ll__published),          PT_TEST(test_pt_bgnbd_expected__published),
        PT_TEST(test_pt_clv_fit__published),           PT_TEST(test_pt_clv_fit__not_enough_data),
        PT_TEST(test_pt_clv_value__sums_the_units),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
