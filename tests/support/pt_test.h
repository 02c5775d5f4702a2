/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the cmocka unit tests (docs/style.md, "Tests").
 * - PT_TEST(f): a test whose teardown asserts that the allocation counter of src/base/alloc.c is
 *   back where it was at setup (libuv's MAKE_VALGRIND_HAPPY), and that fault injection is off.
 * - pt_test_rand: a seeded, reproducible generator (splitmix64) for property loops, so that a
 *   failing input can be replayed from the seed printed with it.
 * Include after <cmocka.h>.
 */
#ifndef PT_TEST_SUPPORT_H
#define PT_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/alloc.h"

/* Live allocations when the running test started; tests run one at a time. */
static int64_t pt_test_live_at_setup;

static inline int pt_test_setup(void **state)
{
    (void)state;
    pt_alloc_fail_at(0);
    pt_test_live_at_setup = pt_alloc_live_count();
    return 0;
}

static inline int pt_test_teardown(void **state)
{
    (void)state;
    pt_alloc_fail_at(0);
    assert_int_equal(pt_alloc_live_count(), pt_test_live_at_setup);
    return 0;
}

/* A unit test with the leak check of pt_test_setup/pt_test_teardown. */
#define PT_TEST(f) cmocka_unit_test_setup_teardown(f, pt_test_setup, pt_test_teardown)

/* Returns the next value of the splitmix64 sequence of *seed. */
static inline uint64_t pt_test_rand(uint64_t *seed)
{
    uint64_t z = (*seed += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Fills n bytes at out from the sequence of *seed. */
static inline void pt_test_rand_bytes(uint64_t *seed, uint8_t *out, size_t n)
{
    uint64_t r = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (i % 8 == 0) {
            r = pt_test_rand(seed);
        }
        out[i] = (uint8_t)(r >> (8 * (i % 8)));
    }
}

#endif
