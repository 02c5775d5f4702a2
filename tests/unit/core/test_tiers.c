/* SPDX-License-Identifier: MIT */
/*
 * Goal: the tier arithmetic of src/core/tiers.c: validation names the bad field, windows and
 * review months fall where docs/tiers.md says, a review keeps, retains once and moves down as
 * the issue asks, and the earn multiplier is exact.
 * Method: known cases, a sweep of every month of 1970..2100 for window bounds, and a sweep of
 * review sequences against a direct model of the rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/tiers.h"

static const char *const silver_perks[] = {"Free shipping", "Lounge"};

static struct pt_tier_policy three(int64_t months, bool retain)
{
    struct pt_tier_policy p;
    memset(&p, 0, sizeof(p));
    p.metric = PT_TIER_METRIC_SPEND;
    p.months = months;
    p.retain = retain;
    p.count = 3;
    p.tiers[0] = (struct pt_tier){"Member", 0, 1, 1, NULL, 0};
    p.tiers[1] = (struct pt_tier){"Silver", 500, 125, 100, silver_perks, 2};
    p.tiers[2] = (struct pt_tier){"Gold", 1000, 3, 2, NULL, 0};
    return p;
}

static void expect_invalid(const struct pt_tier_policy *p, const char *field)
{
    struct pt_err err;
    pt_err_clear(&err);
    assert_int_equal(pt_tier_policy_validate(p, &err), PT_EINVAL);
    assert_string_equal(err.field, field);
}

static void test_pt_tier_policy_validate__names_the_field(void **state)
{
    struct pt_tier_policy p = three(12, false);
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_tier_policy_validate(&p, &err), PT_OK);
    p.tiers[0].threshold = 1;
    expect_invalid(&p, "tiers.levels.0.threshold");
    p = three(12, false);
    p.tiers[2].threshold = 500;
    expect_invalid(&p, "tiers.levels.2.threshold");
    p = three(12, false);
    p.tiers[1].multiplier_num = 99;
    expect_invalid(&p, "tiers.levels.1.earn_multiplier");
    p = three(12, false);
    p.tiers[1].multiplier_num = 101 * 100;
    expect_invalid(&p, "tiers.levels.1.earn_multiplier");
    p = three(12, false);
    p.tiers[2].name = "Silver";
    expect_invalid(&p, "tiers.levels.2.name");
    p = three(12, false);
    {
        static const char *const with_empty[] = {"ok", "", "empty line"};
        p.tiers[1].perks = with_empty;
        p.tiers[1].perk_count = 3;
        expect_invalid(&p, "tiers.levels.1.perks.1");
    }
    p = three(37, false);
    expect_invalid(&p, "tiers.window.rolling_months");
    p = three(12, false);
    p.count = 0;
    expect_invalid(&p, "tiers.levels");
    p.metric = PT_TIER_METRIC_NONE;
    assert_int_equal(pt_tier_policy_validate(&p, &err), PT_OK);
}

/* Perks at N and N+1: their count and their bytes. */
static void test_pt_tier_policy_validate__perks_at_their_bounds(void **state)
{
    static char longest[PT_TIER_PERK_BYTES_MAX + 2];
    const char *perks[PT_TIER_PERKS_MAX + 1];
    struct pt_tier_policy p = three(12, false);
    struct pt_err err;
    unsigned i;
    (void)state;
    memset(longest, 'x', PT_TIER_PERK_BYTES_MAX);
    longest[PT_TIER_PERK_BYTES_MAX] = '\0';
    for (i = 0; i <= PT_TIER_PERKS_MAX; i++) {
        perks[i] = longest;
    }
    p.tiers[1].perks = perks;
    p.tiers[1].perk_count = PT_TIER_PERKS_MAX;
    assert_int_equal(pt_tier_policy_validate(&p, &err), PT_OK);
    p.tiers[1].perk_count = PT_TIER_PERKS_MAX + 1;
    expect_invalid(&p, "tiers.levels.1.perks.10");
    p.tiers[1].perk_count = 1;
    longest[PT_TIER_PERK_BYTES_MAX] = 'x';
    expect_invalid(&p, "tiers.levels.1.perks.0");
    perks[0] = "two\nlines";
    expect_invalid(&p, "tiers.levels.1.perks.0");
}

static void test_pt_tier_windows__every_month(void **state)
{
    struct pt_tier_policy rolling = three(12, false);
    struct pt_tier_policy year = three(0, false);
    int64_t m;
    (void)state;
    for (m = pt_tier_month(1970, 1); m <= pt_tier_month(2100, 12); m++) {
        /* Rolling: this month and the 11 before; the first review one window after. */
        assert_int_equal(pt_tier_window_last(&rolling, m), m);
        assert_int_equal(pt_tier_window_first(&rolling, m), m - 11);
        assert_int_equal(pt_tier_first_review(&rolling, m), m + 12);
        /* Calendar year: January to December of m's year; the review on the next 1 January. */
        assert_int_equal(pt_tier_window_first(&year, m) % 12, 0);
        assert_int_equal(pt_tier_window_first(&year, m) / 12, m / 12);
        assert_int_equal(pt_tier_window_last(&year, m), pt_tier_window_first(&year, m) + 11);
        assert_int_equal(pt_tier_first_review(&year, m), (m / 12 + 1) * 12);
        /* The review judges the window that ends the month before it. */
        assert_int_equal(pt_tier_window_last(&year, pt_tier_first_review(&year, m) - 1),
                         pt_tier_window_last(&year, m));
    }
    assert_int_equal(pt_tier_month(2026, 3), 2026 * 12 + 2);
}

static void test_pt_tier_for_value__highest_reached(void **state)
{
    struct pt_tier_policy p = three(12, false);
    (void)state;
    assert_int_equal(pt_tier_for_value(&p, 0), 0);
    assert_int_equal(pt_tier_for_value(&p, 499), 0);
    assert_int_equal(pt_tier_for_value(&p, 500), 1);
    assert_int_equal(pt_tier_for_value(&p, 999), 1);
    assert_int_equal(pt_tier_for_value(&p, 1000), 2);
    assert_int_equal(pt_tier_for_value(&p, INT64_MAX), 2);
    assert_int_equal(pt_tier_for_value(&p, -5), 0); /* Returns can leave a month negative. */
}

/* Every sequence of review values, against the rule of the issue written out directly. */
static void test_pt_tier_review_decide__matches_the_rules(void **state)
{
    static const int64_t values[] = {0, 499, 500, 999, 1000, 2000};
    unsigned r;
    (void)state;
    for (r = 0; r < 2; r++) {
        struct pt_tier_policy p = three(6, r == 1);
        unsigned pos;
        unsigned v;
        for (pos = 1; pos < 3; pos++) {
            unsigned grace;
            for (grace = 0; grace < 2; grace++) {
                for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
                    struct pt_tier_state s = {pos, 0, 100, grace == 1};
                    struct pt_tier_review d = pt_tier_review_decide(&p, &s, values[v]);
                    unsigned earned = pt_tier_for_value(&p, values[v]);
                    assert_int_equal(d.next_review_month, 106);
                    if (earned >= pos) {
                        assert_int_equal(d.position, earned);
                        assert_false(d.grace);
                    } else if (p.retain && grace == 0) {
                        assert_int_equal(d.position, pos);
                        assert_true(d.grace);
                    } else {
                        assert_int_equal(d.position, earned);
                        assert_false(d.grace);
                    }
                }
            }
        }
    }
}

static void test_pt_tier_review_decide__clamps_a_shrunk_list(void **state)
{
    struct pt_tier_policy p = three(0, false);
    struct pt_tier_state s = {7, 0, 24000, false};
    struct pt_tier_review d = pt_tier_review_decide(&p, &s, 1200);
    (void)state;
    assert_int_equal(d.position, 2);
    assert_int_equal(d.next_review_month, 24012);
}

static void test_pt_tier_extra_points__exact_floor(void **state)
{
    struct pt_tier_policy p = three(12, false);
    struct pt_err err;
    int64_t extra = -1;
    int64_t base;
    (void)state;
    assert_int_equal(pt_tier_extra_points(&p.tiers[1], 333, &extra, &err), PT_OK);
    assert_int_equal(extra, 83); /* floor(333 × 1.25) = 416 */
    assert_int_equal(pt_tier_extra_points(&p.tiers[0], 333, &extra, &err), PT_OK);
    assert_int_equal(extra, 0);
    for (base = 0; base < 5000; base++) {
        assert_int_equal(pt_tier_extra_points(&p.tiers[2], base, &extra, &err), PT_OK);
        assert_int_equal(extra, base * 3 / 2 - base);
    }
    p.tiers[2].multiplier_num = 100;
    p.tiers[2].multiplier_den = 1;
    assert_int_equal(pt_tier_extra_points(&p.tiers[2], INT64_MAX / 10, &extra, &err), PT_ELIMIT);
}

static void test_pt_tier_month_days__first_and_last(void **state)
{
    char out[11];
    (void)state;
    pt_tier_month_first_day(pt_tier_month(2024, 2), out);
    assert_string_equal(out, "2024-02-01");
    pt_tier_month_last_day(pt_tier_month(2024, 2), out);
    assert_string_equal(out, "2024-02-29");
    pt_tier_month_last_day(pt_tier_month(2023, 2), out);
    assert_string_equal(out, "2023-02-28");
    pt_tier_month_last_day(pt_tier_month(2023, 12), out);
    assert_string_equal(out, "2023-12-31");
    assert_int_equal(pt_tier_date_month("2023-12-31"), pt_tier_month(2023, 12));
}

static void test_pt_tier_metric_value__by_metric(void **state)
{
    struct pt_tier_policy p;
    struct pt_tier_metrics m = {10, 2000, 3};
    struct pt_err err;
    (void)state;
    memset(&p, 0, sizeof(p));
    p.metric = PT_TIER_METRIC_SPEND;
    assert_int_equal(pt_tier_metric_value(&p, &m), 2000);
    p.metric = PT_TIER_METRIC_PURCHASES;
    assert_int_equal(pt_tier_metric_value(&p, &m), 3);
    p.metric = PT_TIER_METRIC_QUALIFYING_POINTS;
    assert_int_equal(pt_tier_metric_value(&p, &m), 10);
    p.metric = PT_TIER_METRIC_NONE;
    assert_int_equal(pt_tier_metric_value(&p, &m), 0);
    assert_int_equal(pt_tier_metrics_refused(&err), PT_ELIMIT);
    assert_string_equal(err.code, "limit_exceeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pt_tier_policy_validate__names_the_field),
        cmocka_unit_test(test_pt_tier_policy_validate__perks_at_their_bounds),
        cmocka_unit_test(test_pt_tier_windows__every_month),
        cmocka_unit_test(test_pt_tier_for_value__highest_reached),
        cmocka_unit_test(test_pt_tier_review_decide__matches_the_rules),
        cmocka_unit_test(test_pt_tier_review_decide__clamps_a_shrunk_list),
        cmocka_unit_test(test_pt_tier_extra_points__exact_floor),
        cmocka_unit_test(test_pt_tier_month_days__first_and_last),
        cmocka_unit_test(test_pt_tier_metric_value__by_metric),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
