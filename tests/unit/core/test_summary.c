/* SPDX-License-Identifier: MIT */
/*
 * Goal: src/core/summary.c cuts a summary's period into the months of the program's time zone
 * exactly (the first instant of each local month, of `from` and of the day after `to`, also
 * where the clocks skip or repeat midnight), takes the defaults and refuses bad periods naming
 * their field, and adds the figures and values the liability without overflow or a wrong
 * rounding.
 * Method: periods in UTC, in a zone half an hour off (Asia/Kolkata), across Berlin's DST, and on
 * the days Sao Paulo and Beirut skipped midnight (2018-11-04, 2022-03-27) and Havana repeated it
 * (2023-11-05); the expected instants were computed with Python's zoneinfo when this test was
 * written (the offset of the wall-clock midnight read as an instant, the obvious shortcut, fails
 * Beirut's). Each refusal at its bound and one past it.
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
#include "core/summary.h"

/* 2026-12-07T12:00:00Z, a Monday. */
#define NOW_MS 1796644800000LL
#define HOUR_MS 3600000LL

static struct pt_tz *zone(const char *name)
{
    struct pt_tz *tz = pt_malloc(sizeof(*tz));
    struct pt_err err;
    assert_non_null(tz);
    pt_err_clear(&err);
    assert_int_equal(pt_tz_load(name, tz, &err), PT_OK);
    return tz;
}

static int64_t utc_ms(int64_t y, unsigned m, unsigned d)
{
    return pt_days_from_civil(y, m, d) * PT_DAY_MS;
}

/* The period of from..to (NULL: default) at NOW_MS; the refusal's field, "" when made. */
static enum pt_rc period(const struct pt_tz *tz, const char *from, const char *to,
                         struct pt_summary_period *out, const char *field)
{
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    rc = pt_summary_period_make(tz, from, to, NOW_MS, out, &err);
    assert_string_equal(err.field, rc == PT_OK ? "" : field);
    return rc;
}

static void test_pt_summary_period_make__defaults_to_13_months_to_today(void **state)
{
    struct pt_tz *utc = zone("UTC");
    struct pt_summary_period p;
    unsigned i;
    (void)state;
    assert_int_equal(period(utc, NULL, NULL, &p, ""), PT_OK);
    assert_string_equal(p.from, "2025-12-01");
    assert_string_equal(p.to, "2026-12-07");
    assert_int_equal(p.month_count, PT_SUMMARY_MONTHS_DEFAULT);
    assert_string_equal(p.months[0], "2025-12");
    assert_string_equal(p.months[1], "2026-01");
    assert_string_equal(p.months[12], "2026-12");
    assert_int_equal(p.bounds_ms[0], utc_ms(2025, 12, 1));
    assert_int_equal(p.bounds_ms[1], utc_ms(2026, 1, 1));
    assert_int_equal(p.bounds_ms[12], utc_ms(2026, 12, 1));
    assert_int_equal(p.bounds_ms[13], utc_ms(2026, 12, 8)); /* The end of today. */
    for (i = 0; i < p.month_count; i++) {
        assert_true(p.bounds_ms[i] < p.bounds_ms[i + 1]);
    }
    /* Only `to`: the 13 months up to its month. Only `from`: up to today. */
    assert_int_equal(period(utc, NULL, "2026-03-15", &p, ""), PT_OK);
    assert_string_equal(p.from, "2025-03-01");
    assert_int_equal(p.month_count, 13);
    assert_int_equal(p.bounds_ms[13], utc_ms(2026, 3, 16));
    assert_int_equal(period(utc, "2026-11-20", NULL, &p, ""), PT_OK);
    assert_string_equal(p.to, "2026-12-07");
    assert_int_equal(p.month_count, 2);
    assert_int_equal(p.bounds_ms[0], utc_ms(2026, 11, 20));
    assert_int_equal(p.bounds_ms[1], utc_ms(2026, 12, 1));
    /* A default `from` never goes before 1970. */
    assert_int_equal(period(utc, NULL, "1970-05-31", &p, ""), PT_OK);
    assert_string_equal(p.from, "1970-01-01");
    assert_int_equal(p.month_count, 5);
    assert_int_equal(p.bounds_ms[0], 0);
    pt_free(utc);
}

static void test_pt_summary_period_make__one_day_and_the_first_and_last_days(void **state)
{
    struct pt_tz *utc = zone("UTC");
    struct pt_summary_period p;
    (void)state;
    assert_int_equal(period(utc, "2026-02-28", "2026-02-28", &p, ""), PT_OK);
    assert_int_equal(p.month_count, 1);
    assert_string_equal(p.months[0], "2026-02");
    assert_int_equal(p.bounds_ms[0], utc_ms(2026, 2, 28));
    assert_int_equal(p.bounds_ms[1], utc_ms(2026, 3, 1));
    assert_int_equal(period(utc, "1970-01-01", "1970-01-31", &p, ""), PT_OK);
    assert_int_equal(p.bounds_ms[0], 0);
    assert_int_equal(period(utc, "9997-01-01", "9999-12-31", &p, ""), PT_OK);
    assert_int_equal(p.month_count, 36);
    assert_string_equal(p.months[35], "9999-12");
    assert_int_equal(p.bounds_ms[36], PT_TIME_INPUT_MAX_MS + 1);
    pt_free(utc);
}

static void test_pt_summary_period_make__refusals_name_their_field(void **state)
{
    struct pt_tz *utc = zone("UTC");
    struct pt_summary_period p;
    static const char *const bad[] = {
        "2026-1-01", "2026-02-30", "2026-13-01", "1969-12-31", "2026-01-01T00:00:00Z",
        "20260101",  "",           "2026-0a-01", "+026-01-01", "2026-01-1 ",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(period(utc, bad[i], "2026-02-01", &p, "from"), PT_EINVAL);
        assert_int_equal(period(utc, "2026-01-01", bad[i], &p, "to"), PT_EINVAL);
    }
    assert_int_equal(period(utc, "2026-02-02", "2026-02-01", &p, "to"), PT_EINVAL);
    assert_int_equal(period(utc, "2026-12-08", NULL, &p, "from"), PT_EINVAL);
    /* 36 months at most, counted from the month of from to the month of to. */
    assert_int_equal(period(utc, "2024-01-31", "2026-12-01", &p, ""), PT_OK);
    assert_int_equal(p.month_count, 36);
    assert_int_equal(period(utc, "2023-12-31", "2026-12-01", &p, "to"), PT_ELIMIT);
    assert_int_equal(period(utc, "2024-01-01", "2027-01-01", &p, "to"), PT_ELIMIT);
    assert_int_equal(period(utc, "2024-01-01", NULL, &p, ""), PT_OK);
    assert_int_equal(period(utc, "2023-12-31", NULL, &p, "from"), PT_ELIMIT);
    pt_free(utc);
}

static void test_pt_summary_period_make__months_of_the_programs_zone(void **state)
{
    struct pt_tz *kolkata = zone("Asia/Kolkata");
    struct pt_tz *berlin = zone("Europe/Berlin");
    struct pt_summary_period p;
    (void)state;
    /* +05:30: a local month starts at 18:30 UTC the day before. Today there is the 7th. */
    assert_int_equal(period(kolkata, "2026-01-01", "2026-02-15", &p, ""), PT_OK);
    assert_int_equal(p.bounds_ms[0], utc_ms(2025, 12, 31) + 18 * HOUR_MS + HOUR_MS / 2);
    assert_int_equal(p.bounds_ms[1], utc_ms(2026, 1, 31) + 18 * HOUR_MS + HOUR_MS / 2);
    assert_int_equal(p.bounds_ms[2], utc_ms(2026, 2, 15) + 18 * HOUR_MS + HOUR_MS / 2);
    /* Berlin: March starts in winter time (+1), April in summer time (+2). */
    assert_int_equal(period(berlin, "2026-03-01", "2026-04-30", &p, ""), PT_OK);
    assert_int_equal(p.bounds_ms[0], utc_ms(2026, 2, 28) + 23 * HOUR_MS);
    assert_int_equal(p.bounds_ms[1], utc_ms(2026, 3, 31) + 22 * HOUR_MS);
    assert_int_equal(p.bounds_ms[2], utc_ms(2026, 4, 30) + 22 * HOUR_MS);
    pt_free(kolkata);
    pt_free(berlin);
}

static void test_pt_summary_day_start_ms__midnight_skipped_or_repeated(void **state)
{
    struct pt_tz *sao_paulo = zone("America/Sao_Paulo");
    struct pt_tz *havana = zone("America/Havana");
    struct pt_tz *beirut = zone("Asia/Beirut");
    (void)state;
    /* 2018-11-04: Sao Paulo's clocks went from 00:00 to 01:00 (-03 to -02): the day began at
     * 01:00 local, 03:00 UTC. The day before began at 03:00 UTC too (-03). */
    assert_int_equal(pt_summary_day_start_ms(sao_paulo, pt_days_from_civil(2018, 11, 4)),
                     utc_ms(2018, 11, 4) + 3 * HOUR_MS);
    assert_int_equal(pt_summary_day_start_ms(sao_paulo, pt_days_from_civil(2018, 11, 3)),
                     utc_ms(2018, 11, 3) + 3 * HOUR_MS);
    assert_int_equal(pt_summary_day_start_ms(sao_paulo, pt_days_from_civil(2018, 11, 5)),
                     utc_ms(2018, 11, 5) + 2 * HOUR_MS);
    /* 2023-11-05: Havana's clocks went from 01:00 back to 00:00 (-04 to -05): midnight came
     * twice, the day began at the first, 04:00 UTC. */
    assert_int_equal(pt_summary_day_start_ms(havana, pt_days_from_civil(2023, 11, 5)),
                     utc_ms(2023, 11, 5) + 4 * HOUR_MS);
    assert_int_equal(pt_summary_day_start_ms(havana, pt_days_from_civil(2023, 11, 6)),
                     utc_ms(2023, 11, 6) + 5 * HOUR_MS);
    /* 2022-03-27: Beirut (east of UTC) skipped midnight (+02 to +03): the day began at 22:00
     * UTC the day before, where the offset of the wall-clock midnight read as an instant (+03)
     * would put it an hour early, on the 26th. */
    assert_int_equal(pt_summary_day_start_ms(beirut, pt_days_from_civil(2022, 3, 27)),
                     utc_ms(2022, 3, 26) + 22 * HOUR_MS);
    assert_int_equal(pt_summary_day_start_ms(beirut, pt_days_from_civil(2022, 3, 28)),
                     utc_ms(2022, 3, 27) + 21 * HOUR_MS);
    pt_free(sao_paulo);
    pt_free(havana);
    pt_free(beirut);
}

static void test_pt_summary_totals__sums_the_months_or_refuses(void **state)
{
    struct pt_summary s;
    struct pt_err err;
    (void)state;
    memset(&s, 0, sizeof(s));
    s.months[0].points = (struct pt_summary_flows){
        .issued = 100, .reversed = 5, .redeemed = 30, .expired = 2, .adjusted = -7};
    s.months[0].enrolled = 3;
    s.months[2].points = (struct pt_summary_flows){.issued = 50, .redeemed = -10, .adjusted = 4};
    s.months[2].enrolled = 1;
    s.months[3].points.issued = INT64_MAX; /* Past the months summed: not counted. */
    pt_err_clear(&err);
    assert_int_equal(pt_summary_totals(&s, 3, &err), PT_OK);
    assert_int_equal(s.points.issued, 150);
    assert_int_equal(s.points.reversed, 5);
    assert_int_equal(s.points.redeemed, 20);
    assert_int_equal(s.points.expired, 2);
    assert_int_equal(s.points.adjusted, -3);
    assert_int_equal(s.members_enrolled, 4);
    s.months[1].points.issued = INT64_MAX - 150;
    assert_int_equal(pt_summary_totals(&s, 3, &err), PT_OK);
    assert_int_equal(s.points.issued, INT64_MAX);
    s.months[1].points.issued = INT64_MAX - 149;
    assert_int_equal(pt_summary_totals(&s, 3, &err), PT_ELIMIT);
    assert_non_null(strstr(err.msg, "points of the period"));
}

static void test_pt_summary_liability__floors_at_the_point_value(void **state)
{
    struct pt_err err;
    int64_t amount = 0;
    (void)state;
    pt_err_clear(&err);
    assert_int_equal(pt_summary_liability(1001, 1, 2, &amount, &err), PT_OK);
    assert_int_equal(amount, 500);
    assert_int_equal(pt_summary_liability(-1001, 1, 2, &amount, &err), PT_OK);
    assert_int_equal(amount, -501); /* A debt, floored too. */
    assert_int_equal(pt_summary_liability(1234, 0, 1, &amount, &err), PT_OK);
    assert_int_equal(amount, 0);
    assert_int_equal(pt_summary_liability(INT64_MAX, 1, 1, &amount, &err), PT_OK);
    assert_int_equal(amount, INT64_MAX);
    assert_int_equal(
        pt_summary_liability(INT64_MAX, PT_POINT_VALUE_MAX, PT_POINT_VALUE_MAX, &amount, &err),
        PT_OK);
    assert_int_equal(amount, INT64_MAX);
    assert_int_equal(pt_summary_liability(INT64_MAX / 2 + 1, 2, 1, &amount, &err), PT_ELIMIT);
    assert_int_equal(pt_summary_liability(INT64_MIN, 1, 1, &amount, &err), PT_OK);
    assert_int_equal(amount, INT64_MIN);
    assert_int_equal(pt_summary_liability(INT64_MIN, 2, 1, &amount, &err), PT_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_summary_period_make__defaults_to_13_months_to_today),
        PT_TEST(test_pt_summary_period_make__one_day_and_the_first_and_last_days),
        PT_TEST(test_pt_summary_period_make__refusals_name_their_field),
        PT_TEST(test_pt_summary_period_make__months_of_the_programs_zone),
        PT_TEST(test_pt_summary_day_start_ms__midnight_skipped_or_repeated),
        PT_TEST(test_pt_summary_totals__sums_the_months_or_refuses),
        PT_TEST(test_pt_summary_liability__floors_at_the_point_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
