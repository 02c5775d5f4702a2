/* SPDX-License-Identifier: MIT */
/*
 * Goal: pt_hold_free leaves exactly what no return inside the window can take back.
 * Method: the edges by hand (nothing returnable, all of it held, own pending lots covering the
 * return, a negative balance, bad sums), then a sweep against the formula written out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "core/hold.h"

static int64_t free_of(int64_t available, int64_t returnable, int64_t own_unavailable)
{
    struct pt_returnable r = {returnable, own_unavailable};
    struct pt_err err;
    int64_t out = -1;
    pt_err_clear(&err);
    assert_int_equal(pt_hold_free(available, &r, &out, &err), PT_OK);
    return out;
}

static void test_pt_hold_free__edges(void **state)
{
    (void)state;
    assert_int_equal(free_of(15, 0, 0), 15);   /* Nothing returnable: all free. */
    assert_int_equal(free_of(15, 10, 0), 5);   /* 10 a return may take back. */
    assert_int_equal(free_of(10, 10, 0), 0);   /* At the edge. */
    assert_int_equal(free_of(5, 10, 0), 0);    /* Less than held: nothing. */
    assert_int_equal(free_of(15, 10, 10), 15); /* The own lot is pending: it covers the return. */
    assert_int_equal(free_of(15, 10, 4), 9);
    assert_int_equal(free_of(-3, 0, 0), 0);   /* A balance below zero frees nothing. */
    assert_int_equal(free_of(15, 10, 11), 5); /* An impossible row counts as uncovered. */
}

static void test_pt_hold_free__refuses_negative_sums(void **state)
{
    struct pt_returnable r = {-1, 0};
    struct pt_err err;
    int64_t out = 7;
    (void)state;
    pt_err_clear(&err);
    assert_int_equal(pt_hold_free(10, &r, &out, &err), PT_EINVAL);
    assert_int_equal(out, 0);
    r.returnable = 1;
    r.own_unavailable = -1;
    assert_int_equal(pt_hold_free(10, &r, &out, &err), PT_EINVAL);
}

static void test_pt_hold_free__sweep(void **state)
{
    int64_t available;
    int64_t returnable;
    int64_t own;
    (void)state;
    for (available = -5; available <= 30; available++) {
        for (returnable = 0; returnable <= 30; returnable += 3) {
            for (own = 0; own <= returnable; own += 2) {
                int64_t held = returnable - own;
                int64_t want = available > held ? available - held : 0;
                assert_int_equal(free_of(available, returnable, own), want);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_hold_free__edges),
        PT_TEST(test_pt_hold_free__refuses_negative_sums),
        PT_TEST(test_pt_hold_free__sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
