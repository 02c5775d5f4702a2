/* SPDX-License-Identifier: MIT */
/*
 * Goal: a purchase is checked against its program and its eligible amount is exact; a return
 * takes back no more than was bought, by amount or by items; the return window closes at
 * occurred_at + return_days and not a millisecond before.
 * Method: a program and carts written by hand, each refusal named by its field and code, limits
 * at N and N+1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/clock.h"
#include "core/program.h"
#include "core/purchase.h"

static const char *const excluded[] = {"tobacco", "gift cards"};

static void program_init(struct pt_program *program)
{
    memset(program, 0, sizeof(*program));
    memcpy(program->currency, "EUR", 4);
    program->excluded_categories = excluded;
    program->excluded_category_count = 2;
    program->return_days = 30;
}

static void purchase_init(struct pt_purchase *p, struct pt_purchase_item *items, unsigned count,
                          int64_t amount)
{
    memset(p, 0, sizeof(*p));
    memcpy(p->currency, "EUR", 4);
    p->occurred_at_ms = 1000;
    p->items = items;
    p->item_count = count;
    p->amount = amount;
}

static void test_pt_purchase_check__eligible_amount_leaves_excluded_items_out(void **state)
{
    struct pt_program program;
    struct pt_purchase_item items[3] = {{"A", NULL, "food", 2, 500, false, 0, 0},
                                        {"B", NULL, "tobacco", 1, 800, true, 0, 0},
                                        {"C", NULL, NULL, 3, 100, false, 0, 0}};
    struct pt_purchase p;
    struct pt_err err;
    (void)state;
    program_init(&program);
    purchase_init(&p, items, 3, 2100);
    assert_int_equal(pt_purchase_check(&program, &p, 1000, &err), PT_OK);
    assert_int_equal(p.eligible_amount, 1300);
    assert_true(items[0].eligible);
    assert_false(items[1].eligible);
    assert_true(items[2].eligible);
    purchase_init(&p, NULL, 0, 700); /* Without items, all of the amount earns. */
    assert_int_equal(pt_purchase_check(&program, &p, 1000, &err), PT_OK);
    assert_int_equal(p.eligible_amount, 700);
}

static void test_pt_purchase_check__refusals(void **state)
{
    struct pt_program program;
    struct pt_purchase_item items[1] = {{"A", NULL, NULL, 2, 500, false, 0, 0}};
    struct pt_purchase_item huge[2] = {{"A", NULL, NULL, INT64_MAX / 2, 3, false, 0, 0},
                                       {"B", NULL, NULL, 1, 1, false, 0, 0}};
    struct pt_purchase p;
    struct pt_err err;
    (void)state;
    program_init(&program);
    purchase_init(&p, items, 1, 999);
    assert_int_equal(pt_purchase_check(&program, &p, 1000, &err), PT_EINVAL);
    assert_string_equal(err.field, "items");
    purchase_init(&p, huge, 2, 1);
    assert_int_equal(pt_purchase_check(&program, &p, 1000, &err), PT_EINVAL);
    assert_string_equal(err.field, "items");
    purchase_init(&p, NULL, 0, 1);
    memcpy(p.currency, "USD", 4);
    assert_int_equal(pt_purchase_check(&program, &p, 1000, &err), PT_EINVAL);
    assert_string_equal(err.field, "currency");
    purchase_init(&p, NULL, 0, 1);
    p.occurred_at_ms = 1000 + PT_CLOCK_SKEW_MS; /* The clock's skew is allowed, */
    assert_int_equal(pt_purchase_check(&program, &p, 1000, &err), PT_OK);
    p.occurred_at_ms++; /* one millisecond more is the future. */
    assert_int_equal(pt_purchase_check(&program, &p, 1000, &err), PT_EINVAL);
    assert_string_equal(err.field, "occurred_at");
}

static void test_pt_purchase_category_excluded__whole_names_only(void **state)
{
    struct pt_program program;
    (void)state;
    program_init(&program);
    assert_true(pt_purchase_category_excluded(&program, "tobacco"));
    assert_true(pt_purchase_category_excluded(&program, "gift cards"));
    assert_false(pt_purchase_category_excluded(&program, "gift"));
    assert_false(pt_purchase_category_excluded(&program, "tobacc"));
    assert_false(pt_purchase_category_excluded(&program, NULL));
    program.excluded_category_count = 1;
    assert_false(pt_purchase_category_excluded(&program, "gift cards"));
    program.excluded_categories = NULL;
    program.excluded_category_count = 0;
    assert_false(pt_purchase_category_excluded(&program, "tobacco"));
}

static void test_pt_return_amounts__by_amount_is_exact_once_all_returned(void **state)
{
    struct pt_purchase p;
    struct pt_return_request first = {"R-1", 333, NULL, 0};
    struct pt_return_request rest = {"R-2", 667, NULL, 0};
    struct pt_return_request more = {"R-3", 1, NULL, 0};
    struct pt_err err;
    int64_t amount = 0;
    int64_t eligible = 0;
    (void)state;
    purchase_init(&p, NULL, 0, 1000);
    p.eligible_amount = 500;
    assert_int_equal(pt_return_amounts(&p, &first, &amount, &eligible, &err), PT_OK);
    assert_int_equal(amount, 333);
    assert_int_equal(eligible, 166); /* floor(333 * 500 / 1000) */
    p.returned_amount = 333;
    p.returned_eligible = 166; /* As the return recorded it. */
    assert_int_equal(pt_return_amounts(&p, &rest, &amount, &eligible, &err), PT_OK);
    assert_int_equal(amount, 667);
    assert_int_equal(eligible, 334); /* The rest: 500 in all. */
    /* After a return by items that took more than the proportion (an eligible line of 400),
     * an amount return takes only what brings the total to its share, never below 0. */
    p.returned_amount = 400;
    p.returned_eligible = 400;
    first.amount = 100;
    assert_int_equal(pt_return_amounts(&p, &first, &amount, &eligible, &err), PT_OK);
    assert_int_equal(eligible, 0); /* floor(500 * 500 / 1000) = 250 < 400 */
    p.returned_amount = 1000;
    assert_int_equal(pt_return_amounts(&p, &more, &amount, &eligible, &err), PT_ELIMIT);
    assert_string_equal(err.code, "return_exceeds_purchase");
    assert_string_equal(err.field, "amount");
}

static void test_pt_return_amounts__by_items_matches_skus(void **state)
{
    struct pt_purchase_item bought[2] = {{"A", NULL, NULL, 2, 500, true, 0, 0},
                                         {"B", NULL, "tobacco", 1, 800, false, 0, 0}};
    struct pt_purchase_item back[2] = {{"B", NULL, NULL, 1, 0, false, 0, 0},
                                       {"A", NULL, NULL, 1, 0, false, 0, 0}};
    struct pt_purchase_item again[1] = {{"A", NULL, NULL, 2, 0, false, 0, 0}};
    struct pt_purchase_item unknown[1] = {{"Z", NULL, NULL, 1, 0, false, 0, 0}};
    struct pt_return_request req = {"R-1", 0, back, 2};
    struct pt_purchase p;
    struct pt_err err;
    int64_t amount = 0;
    int64_t eligible = 0;
    (void)state;
    purchase_init(&p, bought, 2, 1800);
    p.eligible_amount = 1000;
    assert_int_equal(pt_return_amounts(&p, &req, &amount, &eligible, &err), PT_OK);
    assert_int_equal(amount, 1300);
    assert_int_equal(eligible, 500);
    assert_int_equal(bought[0].returned_quantity, 1);
    assert_int_equal(bought[1].returned_quantity, 1);
    req.items = again; /* One A is left, not two. */
    req.item_count = 1;
    assert_int_equal(pt_return_amounts(&p, &req, &amount, &eligible, &err), PT_ELIMIT);
    assert_string_equal(err.field, "items");
    req.items = unknown;
    assert_int_equal(pt_return_amounts(&p, &req, &amount, &eligible, &err), PT_ELIMIT);
    assert_string_equal(err.code, "return_exceeds_purchase");
}

static void test_pt_return_window_check__closes_at_return_days(void **state)
{
    struct pt_program program;
    struct pt_err err;
    int64_t at = 1000;
    (void)state;
    program_init(&program);
    assert_int_equal(pt_return_window_check(&program, at, at + 30 * PT_DAY_MS - 1, &err), PT_OK);
    assert_int_equal(pt_return_window_check(&program, at, at + 30 * PT_DAY_MS, &err), PT_ELIMIT);
    assert_string_equal(err.code, "return_window_closed");
    program.return_days = 0; /* No window: returns at any time. */
    assert_int_equal(pt_return_window_check(&program, at, INT64_MAX / 2, &err), PT_OK);
}

static void test_pt_purchase_spend__paid_or_before_discounts(void **state)
{
    struct pt_program program;
    struct pt_purchase p;
    (void)state;
    program_init(&program);
    purchase_init(&p, NULL, 0, 6000);
    p.discount = 5900;
    assert_int_equal(pt_purchase_spend(&program, &p), 100);
    program.spend_before_discounts = true;
    assert_int_equal(pt_purchase_spend(&program, &p), 6000);
}

static void test_pt_return_spend__shares_add_up_to_the_spend(void **state)
{
    static const int64_t returns[] = {333, 1, 0, 665, 1};
    struct pt_purchase p;
    struct pt_err err;
    int64_t taken = 0;
    int64_t sum = 0;
    unsigned i;
    (void)state;
    purchase_init(&p, NULL, 0, 1000);
    p.spend = 701;
    for (i = 0; i < sizeof(returns) / sizeof(returns[0]); i++) {
        p.returned_amount += returns[i];
        assert_int_equal(pt_return_spend(&p, returns[i], &taken, &err), PT_OK);
        sum += taken;
        assert_int_equal(p.spend_returned, sum);
    }
    assert_int_equal(p.returned_amount, 1000);
    assert_int_equal(sum, 701);    /* Exactly the spend, once all of it is returned. */
    purchase_init(&p, NULL, 0, 0); /* A zero purchase counted nothing and takes nothing. */
    assert_int_equal(pt_return_spend(&p, 0, &taken, &err), PT_OK);
    assert_int_equal(taken, 0);
}

static void test_pt_return_due__never_below_zero_nor_past_what_is_left(void **state)
{
    (void)state;
    assert_int_equal(pt_return_due(130, 30, 0), 100);  /* The bonus goes. */
    assert_int_equal(pt_return_due(130, 30, 100), 0);  /* Taken already. */
    assert_int_equal(pt_return_due(130, 200, 0), 0);   /* Keeps more: nothing comes back. */
    assert_int_equal(pt_return_due(130, -5, 20), 110); /* Nothing kept: all that is left. */
    assert_int_equal(pt_return_due(0, 0, 0), 0);
}

static void test_pt_return_points_kept__each_rule_at_most_what_it_gave(void **state)
{
    static const int64_t kept[] = {100, 0, 70};
    static const int64_t given[] = {100, 50, 40};
    (void)state;
    assert_int_equal(pt_return_points_kept(30, kept, given, 3), 30 + 100 + 0 + 40);
    assert_int_equal(pt_return_points_kept(30, kept, given, 0), 30);
}

static void test_pt_external_id_taken__code_and_sentence(void **state)
{
    struct pt_err err;
    (void)state;
    pt_err_clear(&err);
    assert_int_equal(pt_external_id_taken("a purchase", &err), PT_ECONFLICT);
    assert_string_equal(err.code, "idempotency_conflict");
    assert_string_equal(err.field, "external_id");
    assert_string_equal(err.msg, "a purchase with this external_id already exists");
}

static void test_pt_purchase_kept_value__returns_take_their_share_of_what_was_paid(void **state)
{
    (void)state;
    assert_int_equal(pt_purchase_kept_value(10000, 1000, 0), 9000);
    assert_int_equal(pt_purchase_kept_value(10000, 1000, 3000), 6300); /* 30% of 90.00 back */
    assert_int_equal(pt_purchase_kept_value(10000, 1000, 10000), 0);   /* wholly: 0, not -10 */
    assert_int_equal(pt_purchase_kept_value(3, 1, 1), 2);              /* 1 x 2 / 3 floored */
    assert_int_equal(pt_purchase_kept_value(PT_AMOUNT_MAX, PT_AMOUNT_MAX / 2, PT_AMOUNT_MAX - 1),
                     1); /* 128 bits: the product is past int64_t */
    /* Rows out of bounds are clamped, never trusted. */
    assert_int_equal(pt_purchase_kept_value(0, 0, 0), 0);
    assert_int_equal(pt_purchase_kept_value(-5, 0, 0), 0);
    assert_int_equal(pt_purchase_kept_value(100, 200, 0), 0);
    assert_int_equal(pt_purchase_kept_value(100, -1, 500), 0);
}

static void test_pt_purchase_status_of__by_the_amount_returned(void **state)
{
    (void)state;
    assert_int_equal(pt_purchase_status_of(0, 0), PT_PURCHASE_COMPLETED);
    assert_int_equal(pt_purchase_status_of(1000, 0), PT_PURCHASE_COMPLETED);
    assert_int_equal(pt_purchase_status_of(1000, 1), PT_PURCHASE_PARTIALLY_RETURNED);
    assert_int_equal(pt_purchase_status_of(1000, 999), PT_PURCHASE_PARTIALLY_RETURNED);
    assert_int_equal(pt_purchase_status_of(1000, 1000), PT_PURCHASE_RETURNED);
    assert_string_equal(pt_purchase_status_names[PT_PURCHASE_PARTIALLY_RETURNED],
                        "partially_returned");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_purchase_check__eligible_amount_leaves_excluded_items_out),
        PT_TEST(test_pt_purchase_check__refusals),
        PT_TEST(test_pt_purchase_category_excluded__whole_names_only),
        PT_TEST(test_pt_return_amounts__by_amount_is_exact_once_all_returned),
        PT_TEST(test_pt_return_amounts__by_items_matches_skus),
        PT_TEST(test_pt_return_window_check__closes_at_return_days),
        PT_TEST(test_pt_purchase_spend__paid_or_before_discounts),
        PT_TEST(test_pt_return_spend__shares_add_up_to_the_spend),
        PT_TEST(test_pt_return_due__never_below_zero_nor_past_what_is_left),
        PT_TEST(test_pt_return_points_kept__each_rule_at_most_what_it_gave),
        PT_TEST(test_pt_external_id_taken__code_and_sentence),
        PT_TEST(test_pt_purchase_status_of__by_the_amount_returned),
        PT_TEST(test_pt_purchase_kept_value__returns_take_their_share_of_what_was_paid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
