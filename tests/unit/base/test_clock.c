/* SPDX-License-Identifier: MIT */
/*
 * Goal: calendar arithmetic and RFC 3339 formatting and parsing are exact.
 * Method: round trips over a wide range of days (negative included), known timestamps, and
 * malformed inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"

static void test_pt_days_from_civil__round_trip(void **state)
{
    int64_t day;
    (void)state;
    for (day = -800000; day <= 800000; day += 7) {
        int64_t year;
        unsigned month;
        unsigned d;
        pt_civil_from_ms(day * 86400000LL + 12345, &year, &month, &d);
        assert_true(pt_date_is_valid(year, month, d));
        assert_int_equal(pt_days_from_civil(year, month, d), day);
    }
    assert_int_equal(pt_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(pt_days_from_civil(2000, 3, 1), 11017);
}

static void test_pt_date_is_valid__leap_years(void **state)
{
    (void)state;
    assert_true(pt_date_is_valid(2000, 2, 29));
    assert_false(pt_date_is_valid(1900, 2, 29));
    assert_true(pt_date_is_valid(2024, 2, 29));
    assert_false(pt_date_is_valid(2023, 2, 29));
    assert_false(pt_date_is_valid(2023, 4, 31));
    assert_false(pt_date_is_valid(2023, 0, 1));
    assert_false(pt_date_is_valid(2023, 13, 1));
    assert_false(pt_date_is_valid(2023, 1, 0));
}

static void test_pt_time_format_rfc3339__known(void **state)
{
    char out[32];
    (void)state;
    pt_time_format_rfc3339(0, out, sizeof(out));
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    pt_time_format_rfc3339(1764000000123, out, sizeof(out));
    assert_string_equal(out, "2025-11-24T16:00:00.123Z");
    pt_time_format_rfc3339(-1000, out, sizeof(out));
    assert_string_equal(out, "1969-12-31T23:59:59Z");
}

static void test_pt_time_parse_rfc3339__round_trip_and_errors(void **state)
{
    const char *bad[] = {"",
                         "2026-11-23",
                         "2026-11-23T08:31:33",
                         "2026-11-23 08:31:33Z",
                         "2026-02-30T08:31:33Z",
                         "2026-11-23T24:00:00Z",
                         "2026-11-23T08:31:33.Z",
                         "2026-11-23T08:31:33+0200",
                         "2026-11-23T08:31:33Zjunk",
                         NULL};
    int64_t at = 0;
    char out[32];
    size_t i;
    (void)state;
    assert_true(pt_time_parse_rfc3339("2025-11-24T16:00:00.123Z", &at));
    assert_int_equal(at, 1764000000123);
    pt_time_format_rfc3339(at, out, sizeof(out));
    assert_string_equal(out, "2025-11-24T16:00:00.123Z");
    assert_true(pt_time_parse_rfc3339("2025-11-24T18:00:00+02:00", &at));
    assert_int_equal(at, 1764000000000);
    assert_true(pt_time_parse_rfc3339("2025-11-24T16:00:00.5Z", &at));
    assert_int_equal(at, 1764000000500);
    for (i = 0; bad[i] != NULL; i++) {
        if (pt_time_parse_rfc3339(bad[i], &at)) {
            fail_msg("'%s' should not parse", bad[i]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pt_days_from_civil__round_trip),
        cmocka_unit_test(test_pt_date_is_valid__leap_years),
        cmocka_unit_test(test_pt_time_format_rfc3339__known),
        cmocka_unit_test(test_pt_time_parse_rfc3339__round_trip_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
