/* SPDX-License-Identifier: MIT */
/*
 * Goal: calendar arithmetic and RFC 3339 formatting and parsing are exact for every day,
 * before and after 1970, across leap years and century rules.
 * Method: a day-by-day walk of 1,000,000 days each way from 1970-01-01, with the calendar kept
 * by a naive month counter as the oracle; a sparse walk over +-1e9 days checking that each day
 * round-trips; known dates and timestamps computed independently (Python's datetime);
 * format/parse round trips of seeded random times; malformed timestamps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/clock.h"
#include "base/limits.h"

#define DAY_MS INT64_C(86400000)

static bool oracle_is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned oracle_days_in_month(int64_t y, unsigned m)
{
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && oracle_is_leap(y) ? 29 : dim[m - 1];
}

/* Checks every function of the calendar on one day against the oracle's y-m-d. */
static void check_day(int64_t day, int64_t y, unsigned m, unsigned d)
{
    int64_t year;
    unsigned month;
    unsigned dd;
    if (pt_days_from_civil(y, m, d) != day) {
        fail_msg("days_from_civil(%lld-%u-%u) = %lld, want %lld", (long long)y, m, d,
                 (long long)pt_days_from_civil(y, m, d), (long long)day);
    }
    if (!pt_date_is_valid(y, m, d)) {
        fail_msg("%lld-%u-%u should be valid", (long long)y, m, d);
    }
    pt_civil_from_ms(day * DAY_MS, &year, &month, &dd);
    if (year != y || month != m || dd != d) {
        fail_msg("civil_from_ms(start of day %lld) = %lld-%u-%u, want %lld-%u-%u", (long long)day,
                 (long long)year, month, dd, (long long)y, m, d);
    }
    pt_civil_from_ms(day * DAY_MS + DAY_MS - 1, &year, &month, &dd);
    if (year != y || month != m || dd != d) {
        fail_msg("civil_from_ms(end of day %lld) = %lld-%u-%u, want %lld-%u-%u", (long long)day,
                 (long long)year, month, dd, (long long)y, m, d);
    }
}

static void test_pt_days_from_civil__walk_forward_from_1970(void **state)
{
    int64_t y = 1970;
    unsigned m = 1;
    unsigned d = 1;
    int64_t day;
    (void)state;
    for (day = 0; day <= 1000000; day++) { /* to the year 4707 */
        check_day(day, y, m, d);
        if (d == oracle_days_in_month(y, m)) {
            assert_false(pt_date_is_valid(y, m, d + 1));
        }
        if (++d > oracle_days_in_month(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
}

static void test_pt_days_from_civil__walk_backward_from_1970(void **state)
{
    int64_t y = 1970;
    unsigned m = 1;
    unsigned d = 1;
    int64_t day;
    (void)state;
    for (day = 0; day >= -1000000; day--) { /* to the year -768, proleptic */
        check_day(day, y, m, d);
        if (--d == 0) {
            if (--m == 0) {
                m = 12;
                y--;
            }
            d = oracle_days_in_month(y, m);
        }
    }
}

static void test_pt_civil_from_ms__sparse_round_trip_over_two_billion_days(void **state)
{
    int64_t day;
    (void)state;
    for (day = -1000000000; day <= 1000000000; day += 99991) {
        int64_t y;
        unsigned m;
        unsigned d;
        int64_t y2;
        unsigned m2;
        unsigned d2;
        pt_civil_from_ms(day * DAY_MS, &y, &m, &d);
        assert_true(pt_date_is_valid(y, m, d));
        if (pt_days_from_civil(y, m, d) != day) {
            fail_msg("day %lld -> %lld-%u-%u -> %lld", (long long)day, (long long)y, m, d,
                     (long long)pt_days_from_civil(y, m, d));
        }
        /* The next day is the calendar's next date. */
        pt_civil_from_ms((day + 1) * DAY_MS, &y2, &m2, &d2);
        if (d < oracle_days_in_month(y, m)) {
            assert_true(y2 == y && m2 == m && d2 == d + 1);
        } else if (m < 12) {
            assert_true(y2 == y && m2 == m + 1 && d2 == 1);
        } else {
            assert_true(y2 == y + 1 && m2 == 1 && d2 == 1);
        }
    }
}

static void test_pt_days_from_civil__known_dates(void **state)
{
    (void)state;
    assert_int_equal(pt_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(pt_days_from_civil(1970, 1, 2), 1);
    assert_int_equal(pt_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(pt_days_from_civil(2000, 1, 1), 10957);
    assert_int_equal(pt_days_from_civil(2000, 2, 29), 11016);
    assert_int_equal(pt_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(pt_days_from_civil(2026, 11, 24), 20781);
    assert_int_equal(pt_days_from_civil(1900, 1, 1), -25567);
    assert_int_equal(pt_days_from_civil(1600, 1, 1), -135140);
    assert_int_equal(pt_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(pt_days_from_civil(0, 3, 1), -719468);
    assert_int_equal(pt_days_from_civil(9999, 12, 31), 2932896);
}

static void test_pt_civil_from_ms__negative_times(void **state)
{
    int64_t y;
    unsigned m;
    unsigned d;
    (void)state;
    pt_civil_from_ms(-1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);
    pt_civil_from_ms(-DAY_MS, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);
    pt_civil_from_ms(-DAY_MS - 1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 30);
    pt_civil_from_ms(-14182940000, &y, &m, &d); /* 1969-07-20T20:17:40Z */
    assert_true(y == 1969 && m == 7 && d == 20);
    pt_civil_from_ms(-62135596800000, &y, &m, &d);
    assert_true(y == 1 && m == 1 && d == 1);
    pt_civil_from_ms(-62135596800001, &y, &m, &d);
    assert_true(y == 0 && m == 12 && d == 31);
}

static void test_pt_date_is_valid__leap_years(void **state)
{
    const int64_t leap[] = {2000, 2024, 1996, 1600, 2400, 0, -4, -400, 4};
    const int64_t common[] = {1900, 2023, 2100, 1700, 1800, 2200, 1, -1, -100, 2025};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(leap) / sizeof(leap[0]); i++) {
        if (!pt_date_is_valid(leap[i], 2, 29)) {
            fail_msg("%lld-02-29 should be valid", (long long)leap[i]);
        }
        assert_false(pt_date_is_valid(leap[i], 2, 30));
    }
    for (i = 0; i < sizeof(common) / sizeof(common[0]); i++) {
        assert_true(pt_date_is_valid(common[i], 2, 28));
        if (pt_date_is_valid(common[i], 2, 29)) {
            fail_msg("%lld-02-29 should be invalid", (long long)common[i]);
        }
    }
}

static void test_pt_date_is_valid__month_and_day_bounds(void **state)
{
    const unsigned last[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned m;
    (void)state;
    for (m = 1; m <= 12; m++) {
        assert_true(pt_date_is_valid(2023, m, 1));
        assert_true(pt_date_is_valid(2023, m, last[m - 1]));
        assert_false(pt_date_is_valid(2023, m, last[m - 1] + 1));
        assert_false(pt_date_is_valid(2023, m, 0));
    }
    assert_false(pt_date_is_valid(2023, 0, 1));
    assert_false(pt_date_is_valid(2023, 13, 1));
    assert_false(pt_date_is_valid(2023, 99, 1));
    assert_false(pt_date_is_valid(2023, UINT32_MAX, 1));
    assert_false(pt_date_is_valid(2023, 1, 32));
    assert_false(pt_date_is_valid(2023, 1, UINT32_MAX));
}

static void check_format(int64_t at_ms, const char *expected)
{
    char out[32];
    memset(out, '#', sizeof(out));
    pt_time_format_rfc3339(at_ms, out, sizeof(out));
    if (strcmp(out, expected) != 0) {
        fail_msg("format(%lld) = '%s', want '%s'", (long long)at_ms, out, expected);
    }
}

static void test_pt_time_format_rfc3339__known_times(void **state)
{
    (void)state;
    check_format(0, "1970-01-01T00:00:00Z");
    check_format(1, "1970-01-01T00:00:00.001Z");
    check_format(999, "1970-01-01T00:00:00.999Z");
    check_format(1000, "1970-01-01T00:00:01Z");
    check_format(1764000000000, "2025-11-24T16:00:00Z");
    check_format(1764000000123, "2025-11-24T16:00:00.123Z");
    check_format(1764000000120, "2025-11-24T16:00:00.120Z");
    check_format(951782400000, "2000-02-29T00:00:00Z");
    check_format(951868799999, "2000-02-29T23:59:59.999Z");
}

static void test_pt_time_format_rfc3339__negative_times(void **state)
{
    (void)state;
    check_format(-1, "1969-12-31T23:59:59.999Z");
    check_format(-1000, "1969-12-31T23:59:59Z");
    check_format(-1001, "1969-12-31T23:59:58.999Z");
    check_format(-DAY_MS, "1969-12-31T00:00:00Z");
    check_format(-DAY_MS - 1, "1969-12-30T23:59:59.999Z");
    check_format(-14182940000, "1969-07-20T20:17:40Z");
    check_format(-2208988800000, "1900-01-01T00:00:00Z");
    check_format(-62135596800000, "0001-01-01T00:00:00Z");
}

static void test_pt_time_format_rfc3339__longest_fits_25_bytes(void **state)
{
    char out[26];
    (void)state;
    out[25] = '#';
    pt_time_format_rfc3339(253402300799999, out, 25);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    assert_int_equal(out[25], '#');
}

static void test_pt_time_parse_rfc3339__known_times(void **state)
{
    int64_t at = 0;
    (void)state;
    assert_true(pt_time_parse_rfc3339("1970-01-01T00:00:00Z", &at));
    assert_int_equal(at, 0);
    assert_true(pt_time_parse_rfc3339("2025-11-24T16:00:00.123Z", &at));
    assert_int_equal(at, 1764000000123);
    assert_true(pt_time_parse_rfc3339("2025-11-24T16:00:00.5Z", &at));
    assert_int_equal(at, 1764000000500);
    assert_true(pt_time_parse_rfc3339("2025-11-24T16:00:00.05Z", &at));
    assert_int_equal(at, 1764000000050);
    assert_true(pt_time_parse_rfc3339("2025-11-24T18:00:00+02:00", &at));
    assert_int_equal(at, 1764000000000);
    assert_true(pt_time_parse_rfc3339("2025-11-24T15:30:00-00:30", &at));
    assert_int_equal(at, 1764000000000);
    assert_true(pt_time_parse_rfc3339("2025-11-25T01:00:00+09:00", &at));
    assert_int_equal(at, 1764000000000);
    assert_true(pt_time_parse_rfc3339("1970-01-01T00:00:00Z", &at));
    assert_int_equal(at, 0);
    assert_true(pt_time_parse_rfc3339("2000-02-29T00:00:00Z", &at));
    assert_int_equal(at, 951782400000);
}

static void test_pt_time_parse_rfc3339__round_trip_of_format(void **state)
{
    const int64_t lo = PT_TIME_INPUT_MIN_MS; /* 1970-01-01 */
    const int64_t hi = PT_TIME_INPUT_MAX_MS; /* 9999-12-31T23:59:59.999 */
    uint64_t seed = 3339;
    int i;
    (void)state;
    for (i = 0; i < 50000; i++) {
        int64_t at = lo + (int64_t)(pt_test_rand(&seed) % (uint64_t)(hi - lo + 1));
        int64_t back = 0;
        char out[32];
        if (i % 2 == 0) {
            at -= at % 1000; /* whole seconds too */
        }
        pt_time_format_rfc3339(at, out, sizeof(out));
        if (!pt_time_parse_rfc3339(out, &back) || back != at) {
            fail_msg("%lld -> '%s' -> %lld", (long long)at, out, (long long)back);
        }
    }
}

/* Times before 1970 or after 9999 are refused (issue 16: a purchase of 1960 had a negative time,
 * which meant "absent" and was re-dated to now); the bounds themselves are accepted. */
static void test_pt_time_parse_rfc3339__refuses_times_outside_the_range(void **state)
{
    const char *const out_of_range[] = {"1969-12-31T23:59:59.999Z",  "0000-01-01T00:00:00Z",
                                        "1900-01-01T00:00:00Z",      "1970-01-01T00:30:00+01:00",
                                        "9999-12-31T23:59:59-00:01", NULL};
    size_t i;
    int64_t at = 42;
    (void)state;
    for (i = 0; out_of_range[i] != NULL; i++) {
        if (pt_time_parse_rfc3339(out_of_range[i], &at)) {
            fail_msg("'%s' should be refused (got %lld)", out_of_range[i], (long long)at);
        }
        assert_int_equal(at, 42);
    }
    assert_true(pt_time_parse_rfc3339("1970-01-01T01:00:00+01:00", &at));
    assert_int_equal(at, PT_TIME_INPUT_MIN_MS);
    assert_true(pt_time_parse_rfc3339("9999-12-31T23:59:59.999Z", &at));
    assert_int_equal(at, PT_TIME_INPUT_MAX_MS);
}

static void test_pt_time_parse_rfc3339__malformed(void **state)
{
    const char *const bad[] = {"",
                               "2026-11-23",
                               "2026-11-23T08:31:33",
                               "2026-11-23 08:31:33Z",
                               "2026-11-23T08:31Z",
                               "2026-11-23T8:31:33Z",
                               "2026-02-30T08:31:33Z",
                               "2026-13-01T08:31:33Z",
                               "2026-00-01T08:31:33Z",
                               "2026-11-00T08:31:33Z",
                               "2026-11-23T24:00:00Z",
                               "2026-11-23T08:60:00Z",
                               "2026-11-23T08:31:33.Z",
                               "2026-11-23T08:31:33.12aZ",
                               "2026-11-23T08:31:33+0200",
                               "2026-11-23T08:31:33+02",
                               "2026-11-23T08:31:33+24:00",
                               "2026-11-23T08:31:33+02:60",
                               "2026-11-23T08:31:33+02:00:00",
                               "2026-11-23T08:31:33Zjunk",
                               "2026-11-23T08:31:33Z ",
                               " 2026-11-23T08:31:33Z",
                               "x026-11-23T08:31:33Z",
                               "2026/11/23T08:31:33Z",
                               "2026-11-23T08.31.33Z",
                               NULL};
    size_t i;
    (void)state;
    for (i = 0; bad[i] != NULL; i++) {
        int64_t at = 0;
        if (pt_time_parse_rfc3339(bad[i], &at)) {
            fail_msg("'%s' should not parse (got %lld)", bad[i], (long long)at);
        }
    }
}

static void test_pt_clock_now_ms__plausible_and_monotonic(void **state)
{
    int64_t now = pt_clock_now_ms();
    int64_t a = pt_clock_mono_us();
    int64_t b = pt_clock_mono_us();
    (void)state;
    assert_true(now > 1577836800000); /* after 2020-01-01 */
    assert_true(now < 4102444800000); /* before 2100-01-01 */
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_days_from_civil__walk_forward_from_1970),
        PT_TEST(test_pt_days_from_civil__walk_backward_from_1970),
        PT_TEST(test_pt_civil_from_ms__sparse_round_trip_over_two_billion_days),
        PT_TEST(test_pt_days_from_civil__known_dates),
        PT_TEST(test_pt_civil_from_ms__negative_times),
        PT_TEST(test_pt_date_is_valid__leap_years),
        PT_TEST(test_pt_date_is_valid__month_and_day_bounds),
        PT_TEST(test_pt_time_format_rfc3339__known_times),
        PT_TEST(test_pt_time_format_rfc3339__negative_times),
        PT_TEST(test_pt_time_format_rfc3339__longest_fits_25_bytes),
        PT_TEST(test_pt_time_parse_rfc3339__known_times),
        PT_TEST(test_pt_time_parse_rfc3339__round_trip_of_format),
        PT_TEST(test_pt_time_parse_rfc3339__malformed),
        PT_TEST(test_pt_time_parse_rfc3339__refuses_times_outside_the_range),
        PT_TEST(test_pt_clock_now_ms__plausible_and_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
