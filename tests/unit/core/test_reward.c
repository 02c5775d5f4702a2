/* SPDX-License-Identifier: MIT */
/*
 * Goal: a reward is valid exactly within its bounds, a member may redeem it exactly when it is
 * active, valid now, meant for the member's tier and in stock, and its names are one table.
 * Method: one valid reward changed one field at a time, each bound at N and N+1; each reason
 * of eligibility alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/names.h"
#include "core/reward.h"

static const char *const tiers[] = {"Gold", "Platinum"};

static void reward_init(struct pt_reward *r)
{
    memset(r, 0, sizeof(*r));
    r->name = "Coffee";
    r->type = PT_REWARD_DISCOUNT_AMOUNT;
    r->value = 250;
    r->cost_points = 100;
    r->valid_from_ms = INT64_MIN;
    r->valid_to_ms = INT64_MAX;
    r->coupon_valid_days = 30;
    r->status = PT_REWARD_ACTIVE;
}

static enum pt_rc validate(const struct pt_reward *r, const char *field)
{
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    rc = pt_reward_validate(r, &err);
    assert_string_equal(err.field, rc == PT_OK ? "" : field);
    return rc;
}

static void test_pt_reward_validate__bounds_at_n_and_n_plus_1(void **state)
{
    struct pt_reward r;
    (void)state;
    reward_init(&r);
    assert_int_equal(validate(&r, ""), PT_OK);
    r.coupon_valid_days = PT_REWARD_COUPON_DAYS_MAX;
    assert_int_equal(validate(&r, ""), PT_OK);
    r.coupon_valid_days = PT_REWARD_COUPON_DAYS_MAX + 1;
    assert_int_equal(validate(&r, "coupon_valid_days"), PT_EINVAL);
    reward_init(&r);
    r.type = PT_REWARD_DISCOUNT_PERCENT;
    r.value = PT_REWARD_PERCENT_MAX;
    assert_int_equal(validate(&r, ""), PT_OK);
    r.value = PT_REWARD_PERCENT_MAX + 1;
    assert_int_equal(validate(&r, "value"), PT_EINVAL);
    reward_init(&r);
    r.value = PT_REWARD_VALUE_MAX;
    assert_int_equal(validate(&r, ""), PT_OK);
    r.value = PT_REWARD_VALUE_MAX + 1;
    assert_int_equal(validate(&r, "value"), PT_EINVAL);
    reward_init(&r);
    r.cost_points = 0; /* null in the API: only given, not for sale */
    assert_int_equal(validate(&r, ""), PT_OK);
    r.cost_points = -1;
    assert_int_equal(validate(&r, "cost_points"), PT_EINVAL);
    r.cost_points = PT_POINTS_MAX;
    assert_int_equal(validate(&r, ""), PT_OK);
    r.cost_points = PT_POINTS_MAX + 1;
    assert_int_equal(validate(&r, "cost_points"), PT_EINVAL);
}

/* A reward's tiers at N and N+1: their count and a name's bytes; a newline splits a name. */
static void test_pt_reward_validate__tiers_at_their_bounds(void **state)
{
    static char longest[PT_TIER_NAME_BYTES_MAX + 2];
    const char *names[PT_REWARD_TIERS_MAX + 1];
    struct pt_reward r;
    unsigned i;
    (void)state;
    reward_init(&r);
    memset(longest, 'x', PT_TIER_NAME_BYTES_MAX);
    longest[PT_TIER_NAME_BYTES_MAX] = '\0';
    for (i = 0; i <= PT_REWARD_TIERS_MAX; i++) {
        names[i] = longest;
    }
    r.tiers = names;
    r.tier_count = PT_REWARD_TIERS_MAX;
    assert_int_equal(validate(&r, "tiers"), PT_OK);
    r.tier_count = PT_REWARD_TIERS_MAX + 1;
    assert_int_equal(validate(&r, "tiers"), PT_EINVAL);
    r.tier_count = 1;
    longest[PT_TIER_NAME_BYTES_MAX] = 'x';
    assert_int_equal(validate(&r, "tiers"), PT_EINVAL);
    names[0] = "Gold\nPlatinum";
    assert_int_equal(validate(&r, "tiers"), PT_EINVAL);
}

static void test_pt_reward_validate__what_each_type_takes(void **state)
{
    struct pt_reward r;
    (void)state;
    reward_init(&r);
    r.type = PT_REWARD_FREE_PRODUCT;
    assert_int_equal(validate(&r, "sku"), PT_EINVAL);
    r.sku = "ESPRESSO";
    assert_int_equal(validate(&r, ""), PT_OK);
    reward_init(&r);
    r.type = PT_REWARD_PARTNER_VOUCHER;
    r.has_stock = true; /* Its stock is its pool of codes. */
    assert_int_equal(validate(&r, "stock"), PT_EINVAL);
    reward_init(&r);
    r.image_url = "http://example.com/a.png";
    assert_int_equal(validate(&r, "image_url"), PT_EINVAL);
    r.image_url = "https://example.com/a.png";
    assert_int_equal(validate(&r, ""), PT_OK);
    reward_init(&r);
    r.valid_from_ms = 5;
    r.valid_to_ms = 5;
    assert_int_equal(validate(&r, "valid_to"), PT_EINVAL);
}

static void test_pt_reward_not_eligible__each_reason(void **state)
{
    struct pt_reward r;
    struct pt_member m;
    (void)state;
    memset(&m, 0, sizeof(m));
    m.status = PT_MEMBER_ACTIVE;
    reward_init(&r);
    assert_null(pt_reward_not_eligible(&r, &m, NULL, 1000));
    r.valid_from_ms = 1001;
    assert_string_equal(pt_reward_not_eligible(&r, &m, NULL, 1000), "reward_inactive");
    reward_init(&r);
    r.valid_to_ms = 1000; /* Exclusive. */
    assert_string_equal(pt_reward_not_eligible(&r, &m, NULL, 1000), "reward_inactive");
    reward_init(&r);
    r.status = PT_REWARD_INACTIVE;
    assert_string_equal(pt_reward_not_eligible(&r, &m, NULL, 1000), "reward_inactive");
    reward_init(&r);
    m.status = PT_MEMBER_SUSPENDED;
    assert_string_equal(pt_reward_not_eligible(&r, &m, NULL, 1000), "member_inactive");
    m.status = PT_MEMBER_ACTIVE;
    r.tiers = tiers;
    r.tier_count = 2;
    assert_string_equal(pt_reward_not_eligible(&r, &m, NULL, 1000), "not_eligible");
    assert_string_equal(pt_reward_not_eligible(&r, &m, "Silver", 1000), "not_eligible");
    assert_string_equal(pt_reward_not_eligible(&r, &m, "Gol", 1000), "not_eligible");
    assert_null(pt_reward_not_eligible(&r, &m, "Platinum", 1000));
    reward_init(&r);
    r.has_stock = true;
    r.stock = 3;
    r.issued = 2;
    assert_null(pt_reward_not_eligible(&r, &m, NULL, 1000));
    r.issued = 3;
    assert_string_equal(pt_reward_not_eligible(&r, &m, NULL, 1000), "out_of_stock");
}

static void test_pt_reward_names__one_table_each(void **state)
{
    (void)state;
    assert_int_equal(pt_name_index(pt_reward_type_names, PT_REWARD_TYPES, "partner_voucher"),
                     PT_REWARD_PARTNER_VOUCHER);
    assert_int_equal(pt_name_index(pt_reward_type_names, PT_REWARD_TYPES, "voucher"), -1);
    assert_int_equal(pt_name_index(pt_reward_type_names, PT_REWARD_TYPES, NULL), -1);
    assert_int_equal(pt_name_index(pt_reward_status_names, PT_REWARD_STATUSES, "archived"),
                     PT_REWARD_ARCHIVED);
}

static void test_pt_reward_refuse__names_the_reward(void **state)
{
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_reward_refuse(&err, "out_of_stock", "no stock left", "Coffee"), PT_ELIMIT);
    assert_string_equal(err.code, "out_of_stock");
    assert_string_equal(err.msg, "no stock left: Coffee");
    assert_int_equal(pt_reward_refuse(&err, "out_of_stock", "no stock left", ""), PT_ELIMIT);
    assert_string_equal(err.msg, "no stock left");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_reward_validate__bounds_at_n_and_n_plus_1),
        PT_TEST(test_pt_reward_validate__tiers_at_their_bounds),
        PT_TEST(test_pt_reward_validate__what_each_type_takes),
        PT_TEST(test_pt_reward_not_eligible__each_reason),
        PT_TEST(test_pt_reward_names__one_table_each),
        PT_TEST(test_pt_reward_refuse__names_the_reward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
