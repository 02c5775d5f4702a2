/* SPDX-License-Identifier: MIT */
/*
 * Goal: src/base/tz.c gives the UTC offset of a zone at any instant, as the tz database says:
 * on both sides of daylight-saving changes (north and south), from the file's transitions in
 * the past and from its POSIX rule in the future, and refuses names that are not zones.
 * Method: instants on both sides of each change; the expected offsets were computed with
 * Python's zoneinfo (an independent reader of the same tzdata) when this test was written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/tz.h"

struct tz_case {
    const char *zone;
    int64_t at_ms;
    int32_t offset_s;
};

static const struct tz_case cases[] = {
    {"Europe/Berlin", 1774745999000LL, 3600},      /* 2026-03-29T00:59:59Z, last second of CET */
    {"Europe/Berlin", 1774746000000LL, 7200},      /* 01:00:00Z, CEST */
    {"Europe/Berlin", 1792889999000LL, 7200},      /* 2026-10-25T00:59:59Z */
    {"Europe/Berlin", 1792890000000LL, 3600},      /* 01:00:00Z */
    {"America/New_York", 1772953199000LL, -18000}, /* 2026-03-08T06:59:59Z */
    {"America/New_York", 1772953200000LL, -14400},
    {"Australia/Sydney", 1775318399000LL, 39600}, /* 2026-04-04T15:59:59Z, southern DST ends */
    {"Australia/Sydney", 1775318400000LL, 36000},
    {"Australia/Sydney", 1791043200000LL, 39600}, /* 2026-10-03T16:00:00Z, it starts */
    {"Asia/Kolkata", 1780272000000LL, 19800},
    {"Europe/Berlin", 646790400000LL, 7200},        /* 1990-07-01: from the file's transitions */
    {"America/Sao_Paulo", 1768478400000LL, -10800}, /* no DST since 2019 */
    {"Europe/Berlin", 4118083200000LL, 7200},       /* 2100-07-01: from the POSIX rule */
    {"Pacific/Chatham", 1767225600000LL, 49500},    /* +13:45 */
    {"UTC", 1767225600000LL, 0},
};

static void test_pt_tz_offset_s__matches_the_tz_database(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pt_tz *tz = pt_malloc(sizeof(*tz));
        struct pt_err err;
        assert_non_null(tz);
        assert_int_equal(pt_tz_load(cases[i].zone, tz, &err), PT_OK);
        if (pt_tz_offset_s(tz, cases[i].at_ms) != cases[i].offset_s) {
            fail_msg("%s at %lld: %d, want %d", cases[i].zone, (long long)cases[i].at_ms,
                     pt_tz_offset_s(tz, cases[i].at_ms), cases[i].offset_s);
        }
        pt_free(tz);
    }
}

static void test_pt_tz_load__refuses_what_is_not_a_zone(void **state)
{
    static const char *const bad[] = {
        "", "Mars/Olympus", "../etc/passwd", "/etc/localtime", "Europe/Berlin; rm", "Europe", NULL};
    size_t i;
    (void)state;
    for (i = 0; bad[i] != NULL; i++) {
        struct pt_tz *tz = pt_malloc(sizeof(*tz));
        struct pt_err err;
        assert_non_null(tz);
        assert_int_equal(pt_tz_load(bad[i], tz, &err), PT_EINVAL);
        assert_string_equal(err.field, "time_zone");
        pt_free(tz);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pt_tz_offset_s__matches_the_tz_database),
        cmocka_unit_test(test_pt_tz_load__refuses_what_is_not_a_zone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
