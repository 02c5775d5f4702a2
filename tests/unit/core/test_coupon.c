/* SPDX-License-Identifier: MIT */
/*
 * Goal: a coupon batch is valid exactly within its bounds; a code on a cart gives what its
 * reward type gives there; a code that cannot be used is refused with its reason as the API
 * code (409 for one used already, 422 otherwise).
 * Method: one valid batch changed one field at a time, bounds at N and N+1; carts and codes by
 * hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/names.h"
#include "core/coupon.h"

static void batch_init(struct pt_coupon_batch *b)
{
    memset(b, 0, sizeof(*b));
    b->name = "Spring";
    b->type = PT_REWARD_DISCOUNT_AMOUNT;
    b->value = 500;
    b->sku = "IGNORED";
    memcpy(b->prefix, "spr", 4);
    b->count = 10;
    b->uses_per_code = 1;
    b->valid_from_ms = INT64_MIN;
    b->valid_to_ms = INT64_MAX;
}

static void test_pt_batch_validate__bounds_at_n_and_n_plus_1(void **state)
{
    struct pt_coupon_batch b;
    struct pt_err err;
    (void)state;
    batch_init(&b);
    b.count = PT_BATCH_COUNT_MAX;
    assert_int_equal(pt_batch_validate(&b, &err), PT_OK);
    b.count = PT_BATCH_COUNT_MAX + 1;
    assert_int_equal(pt_batch_validate(&b, &err), PT_EINVAL);
    assert_string_equal(err.field, "count");
    batch_init(&b);
    b.uses_per_code = PT_BATCH_USES_MAX;
    b.uses_per_member = PT_BATCH_USES_MAX;
    assert_int_equal(pt_batch_validate(&b, &err), PT_OK);
    b.uses_per_member = PT_BATCH_USES_MAX + 1;
    assert_int_equal(pt_batch_validate(&b, &err), PT_EINVAL);
    assert_string_equal(err.field, "uses_per_member");
    batch_init(&b);
    b.type = PT_REWARD_DISCOUNT_PERCENT;
    b.value = PT_REWARD_PERCENT_MAX + 1;
    assert_int_equal(pt_batch_validate(&b, &err), PT_EINVAL);
    assert_string_equal(err.field, "discount.value");
}

static void test_pt_batch_validate__normalizes(void **state)
{
    struct pt_coupon_batch b;
    struct pt_err err;
    (void)state;
    batch_init(&b);
    assert_int_equal(pt_batch_validate(&b, &err), PT_OK);
    assert_string_equal(b.prefix, "SPR");
    assert_null(b.sku); /* A discount has no sku. */
    batch_init(&b);
    b.type = PT_REWARD_FREE_PRODUCT;
    b.sku = "LATTE";
    assert_int_equal(pt_batch_validate(&b, &err), PT_OK);
    assert_int_equal(b.value, 0);
    assert_string_equal(b.sku, "LATTE");
    batch_init(&b);
    b.type = PT_REWARD_GIFT; /* A batch's own discount is no gift. */
    assert_int_equal(pt_batch_validate(&b, &err), PT_EINVAL);
    assert_string_equal(err.field, "discount.type");
}

static void test_pt_cart_coupon_gives_on__by_type(void **state)
{
    struct pt_cart_item lines[2] = {{"ESPRESSO", NULL, 1, 200, true, 0},
                                    {"LATTE", NULL, 1, 300, true, 0}};
    struct pt_cart_coupon c;
    (void)state;
    memset(&c, 0, sizeof(c));
    c.type = PT_REWARD_FREE_PRODUCT;
    c.sku = "LATTE";
    assert_null(pt_cart_coupon_gives_on(&c, lines, 2));
    c.sku = "MOCHA";
    assert_string_equal(pt_cart_coupon_gives_on(&c, lines, 2), "product_not_in_cart");
    c.type = PT_REWARD_PARTNER_VOUCHER;
    assert_string_equal(pt_cart_coupon_gives_on(&c, lines, 2), "coupon_not_applicable");
    c.type = PT_REWARD_DISCOUNT_PERCENT;
    assert_null(pt_cart_coupon_gives_on(&c, lines, 0));
}

static void test_pt_cart_coupon_refusal__status_and_code(void **state)
{
    struct pt_cart_coupon c;
    struct pt_err err;
    (void)state;
    memset(&c, 0, sizeof(c));
    c.input = "SPR-1";
    c.reason = "already_redeemed";
    assert_int_equal(pt_cart_coupon_refusal(&c, &err), PT_ECONFLICT);
    assert_string_equal(err.code, "already_redeemed");
    assert_string_equal(err.msg, "the code SPR-1 has been used");
    c.reason = "coupon_expired";
    assert_int_equal(pt_cart_coupon_refusal(&c, &err), PT_ELIMIT);
    assert_string_equal(err.code, "coupon_expired");
    assert_string_equal(err.field, "coupons");
}

static void test_pt_coupon_refusal__coupon_and_promotion_code(void **state)
{
    struct pt_coupon_view v;
    struct pt_err err;
    (void)state;
    memset(&v, 0, sizeof(v));
    v.promo = true;
    v.reason = "already_redeemed";
    v.promo_code.uses = 2;
    v.batch.uses_per_code = 2;
    assert_int_equal(pt_coupon_refusal(&v, &err), PT_ECONFLICT);
    assert_string_equal(err.msg, "already used 2 of 2 times");
    v.reason = "batch_not_ready";
    assert_int_equal(pt_coupon_refusal(&v, &err), PT_ELIMIT);
    assert_string_equal(err.code, "batch_not_ready");
    v.promo = false;
    v.reason = "coupon_cancelled";
    v.coupon.status = "cancelled";
    assert_int_equal(pt_coupon_refusal(&v, &err), PT_ELIMIT);
    assert_string_equal(err.msg, "the coupon is cancelled");
    assert_int_equal(pt_name_index(pt_coupon_status_names, PT_COUPON_STATUSES, "cancelled"),
                     PT_COUPON_CANCELLED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_batch_validate__bounds_at_n_and_n_plus_1),
        PT_TEST(test_pt_batch_validate__normalizes),
        PT_TEST(test_pt_cart_coupon_gives_on__by_type),
        PT_TEST(test_pt_cart_coupon_refusal__status_and_code),
        PT_TEST(test_pt_coupon_refusal__coupon_and_promotion_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
