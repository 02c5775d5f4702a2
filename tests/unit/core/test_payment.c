/* SPDX-License-Identifier: MIT */
/*
 * Goal: paying with points (core/payment.c) always pays whole minor units and exactly what the
 * policy allows: the step of a point_value and a multiple, every refusal of a payment line with
 * its code and field, the most points can pay of a cart, the settling of lines against what is
 * left to pay, and the refunds of returns adding up exactly.
 * Method: table cases at each bound and one past it, and a sweep of cumulative refunds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "core/payment.h"
#include "core/program.h"

static void program_init(struct pt_program *p, int64_t amount, int64_t points)
{
    memset(p, 0, sizeof(*p));
    p->point_cost_amount = amount;
    p->point_cost_points = points;
    p->points_payment.enabled = true;
    p->points_payment.min_points = 1;
    p->points_payment.max_percent = 100;
    p->points_payment.multiple = 1;
}

static void test_pt_points_payment_step__whole_minor_units(void **state)
{
    struct pt_program p;
    (void)state;
    program_init(&p, 1, 1);
    assert_int_equal(pt_points_payment_step(&p), 1);
    program_init(&p, 1, 3); /* Three points a cent. */
    assert_int_equal(pt_points_payment_step(&p), 3);
    program_init(&p, 2, 6); /* Also three points a cent. */
    assert_int_equal(pt_points_payment_step(&p), 3);
    p.points_payment.multiple = 100;
    assert_int_equal(pt_points_payment_step(&p), 300);
    p.points_payment.multiple = 30;
    assert_int_equal(pt_points_payment_step(&p), 30);
    program_init(&p, 5, 1); /* A point is worth 5 cents: any number. */
    assert_int_equal(pt_points_payment_step(&p), 1);
    /* A step past every balance is answered as one. */
    program_init(&p, 1, 999999937);
    p.points_payment.multiple = PT_POINTS_MAX;
    assert_int_equal(pt_points_payment_step(&p), PT_POINTS_MAX + 1);
}

/* Prepares one points line and a card line; the code and field of a refusal ("" when none). */
static void check_points(const struct pt_program *p, bool member, int64_t points, const char *code,
                         const char *field, int64_t amount)
{
    struct pt_payment pays[2];
    struct pt_err err;
    enum pt_rc rc;
    memset(pays, 0, sizeof(pays));
    pays[0].method = PT_PAY_CARD;
    pays[0].amount = 100;
    pays[1].method = PT_PAY_POINTS;
    pays[1].points = points;
    pt_err_clear(&err);
    rc = pt_payments_prepare(p, member, pays, 2, &err);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
    if (rc == PT_OK) {
        assert_int_equal(pays[1].amount, amount);
    }
}

static void test_pt_payments_prepare__points_lines(void **state)
{
    struct pt_program p;
    (void)state;
    program_init(&p, 1, 3);
    p.points_payment.min_points = 9;
    check_points(&p, true, 9, "", "", 3);
    check_points(&p, true, 6, "points_payment_too_small", "payments.1.points", 0);
    check_points(&p, true, 10, "points_payment_not_a_multiple", "payments.1.points", 0);
    check_points(&p, true, 999, "", "", 333);
    check_points(&p, false, 9, "member_required", "payments.1.points", 0);
    check_points(&p, true, 0, "", "payments.1.points", 0);
    check_points(&p, true, PT_POINTS_MAX + 1, "", "payments.1.points", 0);
    p.points_payment.enabled = false;
    check_points(&p, true, 9, "points_payment_disabled", "payments.1.points", 0);
    /* The largest payment at the largest value pays more than any amount: settle refuses it. */
    program_init(&p, PT_POINT_VALUE_MAX, 1);
    check_points(&p, true, PT_POINTS_MAX, "", "", PT_AMOUNT_MAX + 1);
}

static void test_pt_payments_prepare__shapes(void **state)
{
    struct pt_program p;
    struct pt_payment pays[PT_PAYMENTS_MAX + 1];
    struct pt_err err;
    (void)state;
    program_init(&p, 1, 1);
    memset(pays, 0, sizeof(pays));
    pays[0].method = PT_PAY_WALLET;
    pays[0].amount = 5;
    pays[1].method = PT_PAY_WALLET;
    pays[1].amount = 5;
    pt_err_clear(&err);
    assert_int_equal(pt_payments_prepare(&p, true, pays, 2, &err), PT_EINVAL);
    assert_string_equal(err.field, "payments.1.method");
    pays[1].method = PT_PAY_CASH;
    pays[1].points = 3;
    assert_int_equal(pt_payments_prepare(&p, true, pays, 2, &err), PT_EINVAL);
    assert_string_equal(err.field, "payments.1.points");
    pays[1].points = 0;
    pays[1].amount = PT_AMOUNT_MAX + 1;
    assert_int_equal(pt_payments_prepare(&p, true, pays, 2, &err), PT_EINVAL);
    assert_string_equal(err.field, "payments.1.amount");
    pays[1].amount = PT_AMOUNT_MAX;
    pt_err_clear(&err);
    assert_int_equal(pt_payments_prepare(&p, true, pays, 2, &err), PT_OK);
    assert_int_equal(pt_payments_prepare(&p, false, pays, 2, &err), PT_ELIMIT);
    assert_string_equal(err.code, "member_required");
    assert_int_equal(pt_payments_prepare(&p, true, pays, PT_PAYMENTS_MAX + 1, &err), PT_EINVAL);
    assert_string_equal(err.field, "payments");
}

static void test_pt_points_payment_max__share_balance_steps(void **state)
{
    struct pt_program p;
    int64_t amount;
    int64_t points;
    (void)state;
    program_init(&p, 1, 1);
    p.points_payment.max_percent = 50;
    p.points_payment.multiple = 100;
    p.points_payment.min_points = 100;
    pt_points_payment_max(&p, 10000, 5000, &amount, &points);
    assert_int_equal(points, 5000);
    assert_int_equal(amount, 5000);
    pt_points_payment_max(&p, 10000, 3050, &amount, &points); /* Whole hundreds. */
    assert_int_equal(points, 3000);
    pt_points_payment_max(&p, 10001, 9999, &amount, &points); /* Half of 100.01 is 50.00. */
    assert_int_equal(points, 5000);
    pt_points_payment_max(&p, 10000, 99, &amount, &points); /* Below the minimum. */
    assert_int_equal(points, 0);
    assert_int_equal(amount, 0);
    pt_points_payment_max(&p, 0, 5000, &amount, &points);
    assert_int_equal(points, 0);
    program_init(&p, 1, 3);
    pt_points_payment_max(&p, 1000, 1000, &amount, &points);
    assert_int_equal(points, 999);
    assert_int_equal(amount, 333);
    p.points_payment.enabled = false;
    pt_points_payment_max(&p, 1000, 1000, &amount, &points);
    assert_int_equal(points, 0);
}

static void test_pt_payments_settle__share_total_exact(void **state)
{
    struct pt_program p;
    struct pt_payment pays[2];
    struct pt_err err;
    (void)state;
    program_init(&p, 1, 1);
    p.points_payment.max_percent = 50;
    memset(pays, 0, sizeof(pays));
    pays[0].method = PT_PAY_POINTS;
    pays[0].points = 5000;
    pays[0].amount = 5000;
    pays[1].method = PT_PAY_CARD;
    pays[1].amount = 5000;
    pt_err_clear(&err);
    assert_int_equal(pt_payments_settle(&p, pays, 2, 10000, true, &err), PT_OK);
    assert_int_equal(pt_payments_settle(&p, pays, 2, 9999, false, &err), PT_ELIMIT);
    assert_string_equal(err.code, "points_payment_too_large");
    pays[0].amount = 4999;
    assert_int_equal(pt_payments_settle(&p, pays, 2, 9999, true, &err), PT_OK);
    assert_int_equal(pt_payments_settle(&p, pays, 2, 10000, false, &err), PT_OK);
    assert_int_equal(pt_payments_settle(&p, pays, 2, 10000, true, &err), PT_ELIMIT);
    assert_string_equal(err.code, "payments_mismatch");
    pays[1].amount = 5002;
    assert_int_equal(pt_payments_settle(&p, pays, 2, 10000, false, &err), PT_ELIMIT);
    assert_string_equal(err.code, "payments_exceed_total");
    assert_int_equal(pt_payments_settle(&p, pays, 0, 10000, true, &err), PT_OK);
}

static void test_pt_payment_refund_due__adds_up_exactly(void **state)
{
    int64_t paid;
    int64_t amount;
    (void)state;
    for (paid = 0; paid <= 50; paid += 7) {
        for (amount = 1; amount <= 40; amount++) {
            int64_t step;
            for (step = 1; step <= amount; step++) {
                int64_t returned = 0;
                int64_t given = 0;
                while (returned < amount) {
                    int64_t now = amount - returned < step ? amount - returned : step;
                    int64_t due;
                    returned += now;
                    due = pt_payment_refund_due(paid, returned, amount, given);
                    assert_true(due >= 0);
                    given += due;
                    assert_true(given * amount <= paid * returned); /* Never ahead. */
                }
                assert_int_equal(given, paid);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_points_payment_step__whole_minor_units),
        PT_TEST(test_pt_payments_prepare__points_lines),
        PT_TEST(test_pt_payments_prepare__shapes),
        PT_TEST(test_pt_points_payment_max__share_balance_steps),
        PT_TEST(test_pt_payments_settle__share_total_exact),
        PT_TEST(test_pt_payment_refund_due__adds_up_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
