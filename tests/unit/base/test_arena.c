/* SPDX-License-Identifier: MIT */
/*
 * Goal: the request arena hands out aligned, non-overlapping memory, never lets used_bytes pass
 * bytes_max, survives a refused allocation, and gives every chunk back at fini.
 * Method: allocations of every small size across chunk growth, each filled with its own pattern
 * and checked at the end; allocations at and past the cap (including sizes whose rounding would
 * overflow); an injected heap failure; the allocation counter of src/base/alloc.c before and
 * after (checked again by the teardown of every test).
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/alloc.h"
#include "base/arena.h"

#define ALIGN alignof(max_align_t)

static void assert_aligned(const void *p)
{
    if ((uintptr_t)p % ALIGN != 0) {
        fail_msg("%p is not aligned to %zu", p, (size_t)ALIGN);
    }
}

static void test_pt_arena_init__allocates_nothing(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_arena arena;
    (void)state;
    pt_arena_init(&arena, 1 << 20);
    assert_int_equal(pt_alloc_live_count(), live);
    assert_null(arena.head);
    assert_int_equal(arena.used_bytes, 0);
    assert_int_equal(arena.bytes_max, 1 << 20);
    pt_arena_fini(&arena);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_arena_alloc__every_size_is_aligned(void **state)
{
    struct pt_arena arena;
    size_t size;
    (void)state;
    pt_arena_init(&arena, 1 << 20);
    for (size = 1; size <= 300; size++) {
        char *p = pt_arena_alloc(&arena, size);
        assert_non_null(p);
        assert_aligned(p);
        memset(p, 0x5a, size);
    }
    pt_arena_fini(&arena);
}

static void test_pt_arena_alloc__many_small_across_chunk_growth(void **state)
{
    enum { COUNT = 20000 };
    static unsigned char *ptrs[COUNT];
    int64_t live = pt_alloc_live_count();
    struct pt_arena arena;
    size_t i;
    (void)state;
    pt_arena_init(&arena, 4 * 1024 * 1024);
    for (i = 0; i < COUNT; i++) {
        size_t size = i % 61 + 1;
        ptrs[i] = pt_arena_alloc(&arena, size);
        assert_non_null(ptrs[i]);
        assert_aligned(ptrs[i]);
        memset(ptrs[i], (int)(i & 0xff), size);
        assert_true(arena.used_bytes <= arena.bytes_max);
    }
    /* Several chunks were made... */
    assert_true(pt_alloc_live_count() - live > 3);
    /* ...and no allocation overlaps another: every pattern is intact. */
    for (i = 0; i < COUNT; i++) {
        size_t size = i % 61 + 1;
        size_t k;
        for (k = 0; k < size; k++) {
            if (ptrs[i][k] != (unsigned char)(i & 0xff)) {
                fail_msg("allocation %zu byte %zu was overwritten", i, k);
            }
        }
    }
    pt_arena_fini(&arena);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_arena_alloc__larger_than_a_chunk(void **state)
{
    struct pt_arena arena;
    unsigned char *small;
    unsigned char *big;
    unsigned char *after;
    (void)state;
    pt_arena_init(&arena, 4 * 1024 * 1024);
    small = pt_arena_alloc(&arena, 10);
    big = pt_arena_alloc(&arena, 1024 * 1024);
    after = pt_arena_alloc(&arena, 10);
    assert_non_null(small);
    assert_non_null(big);
    assert_non_null(after);
    assert_aligned(big);
    memset(small, 1, 10);
    memset(big, 2, 1024 * 1024);
    memset(after, 3, 10);
    assert_int_equal(small[9], 1);
    assert_int_equal(big[0], 2);
    assert_int_equal(big[1024 * 1024 - 1], 2);
    assert_int_equal(after[0], 3);
    assert_true(arena.used_bytes <= arena.bytes_max);
    pt_arena_fini(&arena);
}

static void test_pt_arena_alloc__beyond_the_cap_returns_null(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_arena arena;
    (void)state;
    pt_arena_init(&arena, 10000);
    assert_null(pt_arena_alloc(&arena, 10001));
    assert_null(pt_arena_alloc(&arena, 10000)); /* the chunk header needs room too */
    assert_int_equal(pt_alloc_live_count(), live);
    assert_non_null(pt_arena_alloc(&arena, 4000));
    assert_null(pt_arena_alloc(&arena, 9000));
    /* A refusal leaves the arena usable. */
    assert_non_null(pt_arena_alloc(&arena, 100));
    assert_true(arena.used_bytes <= arena.bytes_max);
    pt_arena_fini(&arena);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_arena_alloc__fills_up_to_the_cap_and_no_further(void **state)
{
    const size_t caps[] = {100, 1000, 4096, 5000, 10000, 100000};
    size_t c;
    (void)state;
    for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
        struct pt_arena arena;
        size_t handed_out = 0;
        int refusals = 0;
        pt_arena_init(&arena, caps[c]);
        /* Allocate until three refusals in a row; sizes shrink so that the tail is used. */
        while (refusals < 3) {
            size_t size = refusals == 0 ? 48 : (refusals == 1 ? 16 : 1);
            void *p = pt_arena_alloc(&arena, size);
            if (p == NULL) {
                refusals++;
                continue;
            }
            refusals = 0;
            handed_out += size;
            assert_aligned(p);
            memset(p, 0x33, size);
            if (arena.used_bytes > arena.bytes_max) {
                fail_msg("cap %zu: used_bytes %zu", caps[c], arena.used_bytes);
            }
        }
        assert_true(handed_out > 0 || caps[c] < 100);
        assert_true(handed_out <= caps[c]);
        pt_arena_fini(&arena);
    }
}

static void test_pt_arena_alloc__size_overflow_returns_null(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_arena arena;
    void *p[3];
    size_t used;
    (void)state;
    /* With no practical cap, sizes whose rounding up to the alignment (or whose chunk header)
     * wraps around SIZE_MAX cannot be served: the heap is exhausted and the answer is NULL.
     * The results are checked after fini so that a failure reports no leak of its own. */
    pt_arena_init(&arena, SIZE_MAX);
    p[0] = pt_arena_alloc(&arena, SIZE_MAX);
    p[1] = pt_arena_alloc(&arena, SIZE_MAX - ALIGN + 2);
    p[2] = pt_arena_alloc(&arena, SIZE_MAX - 8);
    used = arena.used_bytes;
    pt_arena_fini(&arena);
    assert_int_equal(pt_alloc_live_count(), live);
    assert_null(p[0]);
    assert_null(p[1]);
    assert_null(p[2]);
    assert_int_equal(used, 0);
}

static void test_pt_arena_alloc__heap_failure_returns_null(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_arena arena;
    char *p;
    (void)state;
    pt_arena_init(&arena, 1 << 20);
    pt_alloc_fail_at(1);
    assert_null(pt_arena_alloc(&arena, 16));
    pt_alloc_fail_at(0);
    assert_int_equal(pt_alloc_live_count(), live);
    assert_int_equal(arena.used_bytes, 0);
    p = pt_arena_alloc(&arena, 16);
    assert_non_null(p);
    /* A failure while growing to a second chunk keeps the first. */
    memcpy(p, "first", 6);
    pt_alloc_fail_at(1);
    assert_null(pt_arena_alloc(&arena, 8192));
    pt_alloc_fail_at(0);
    assert_string_equal(p, "first");
    assert_non_null(pt_arena_alloc(&arena, 8192));
    pt_arena_fini(&arena);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_arena_strndup__copies_len_bytes(void **state)
{
    struct pt_arena arena;
    const char bytes[] = {'a', '\0', 'b'};
    char *s;
    (void)state;
    pt_arena_init(&arena, 1 << 16);
    s = pt_arena_strndup(&arena, "hello, world", 5);
    assert_non_null(s);
    assert_aligned(s);
    assert_string_equal(s, "hello");
    s = pt_arena_strndup(&arena, "hello", 5);
    assert_string_equal(s, "hello");
    s = pt_arena_strndup(&arena, "", 0);
    assert_non_null(s);
    assert_string_equal(s, "");
    s = pt_arena_strndup(&arena, "xyz", 0);
    assert_string_equal(s, "");
    /* Bytes are copied as they are, an embedded NUL included. */
    s = pt_arena_strndup(&arena, bytes, sizeof(bytes));
    assert_memory_equal(s, bytes, sizeof(bytes));
    assert_int_equal(s[3], '\0');
    pt_arena_fini(&arena);
}

static void test_pt_arena_strndup__beyond_the_cap_returns_null(void **state)
{
    static char big[2000];
    struct pt_arena arena;
    (void)state;
    memset(big, 'b', sizeof(big));
    pt_arena_init(&arena, 1000);
    assert_null(pt_arena_strndup(&arena, big, sizeof(big)));
    assert_non_null(pt_arena_strndup(&arena, big, 100));
    pt_arena_fini(&arena);
}

static void test_pt_arena_fini__idempotent_and_reusable(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_arena arena;
    struct pt_arena zeroed;
    (void)state;
    pt_arena_init(&arena, 1 << 20);
    assert_non_null(pt_arena_alloc(&arena, 100));
    assert_non_null(pt_arena_alloc(&arena, 10000));
    assert_true(pt_alloc_live_count() > live);
    pt_arena_fini(&arena);
    assert_int_equal(pt_alloc_live_count(), live);
    assert_null(arena.head);
    assert_int_equal(arena.used_bytes, 0);
    pt_arena_fini(&arena);
    assert_int_equal(pt_alloc_live_count(), live);
    /* Initialized again after fini. */
    pt_arena_init(&arena, 1 << 10);
    assert_non_null(pt_arena_alloc(&arena, 100));
    pt_arena_fini(&arena);
    assert_int_equal(pt_alloc_live_count(), live);
    /* A zeroed arena that was never initialized. */
    memset(&zeroed, 0, sizeof(zeroed));
    pt_arena_fini(&zeroed);
    pt_arena_fini(&zeroed);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_arena_grow__keeps_the_elements_and_doubles(void **state)
{
    struct pt_arena arena;
    int64_t *items = NULL;
    size_t cap = 0;
    size_t i;
    (void)state;
    pt_arena_init(&arena, 1 << 20);
    for (i = 0; i < 100; i++) {
        int64_t *grown = pt_arena_grow(&arena, items, i, &cap, sizeof(*items));
        assert_non_null(grown);
        assert_true(cap > i);
        if (i < 8) {
            assert_int_equal(cap, 8);
        }
        items = grown;
        items[i] = (int64_t)i * 7;
    }
    assert_int_equal(cap, 128);
    for (i = 0; i < 100; i++) {
        assert_int_equal(items[i], (int64_t)i * 7);
    }
    pt_arena_fini(&arena);
}

static void test_pt_arena_grow__beyond_the_cap_returns_null(void **state)
{
    struct pt_arena arena;
    char *items = NULL;
    size_t cap = 0;
    size_t count = 0;
    (void)state;
    pt_arena_init(&arena, 1000);
    while (true) {
        char *grown = pt_arena_grow(&arena, items, count, &cap, 1);
        if (grown == NULL) {
            break;
        }
        items = grown;
        items[count++] = 'x';
    }
    /* Refused without a change: the array and its room are as they were. */
    assert_int_equal(count, cap);
    assert_true(cap >= 8 && cap < 1000);
    assert_int_equal(items[count - 1], 'x');
    pt_arena_fini(&arena);
}

static void test_pt_arena_failed__latches_until_fini(void **state)
{
    struct pt_arena arena;
    struct pt_err err;
    uint64_t here = pt_arena_failures_here();
    (void)state;
    pt_err_clear(&err);
    pt_arena_init(&arena, 1 << 20);
    assert_non_null(pt_arena_alloc(&arena, 16));
    assert_false(pt_arena_failed(&arena));
    assert_null(pt_arena_alloc(&arena, (size_t)2 << 20)); /* Past the cap. */
    assert_true(pt_arena_failed(&arena));
    assert_int_equal(pt_arena_failures_here(), here + 1);
    /* Later allocations may succeed; the failure stays latched for whoever checks once. */
    assert_non_null(pt_arena_alloc(&arena, 16));
    assert_true(pt_arena_failed(&arena));
    assert_int_equal(pt_arena_err(&arena, &err), PT_ENOMEM);
    assert_int_equal(err.rc, PT_ENOMEM);
    pt_arena_fini(&arena);
    pt_arena_init(&arena, 1 << 20);
    assert_false(pt_arena_failed(&arena));
    pt_alloc_fail_at(1); /* An injected failure counts at the arena, not only at its refills. */
    assert_null(pt_arena_alloc(&arena, 16));
    pt_alloc_fail_at(0);
    assert_true(pt_arena_failed(&arena));
    pt_arena_fini(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_arena_init__allocates_nothing),
        PT_TEST(test_pt_arena_alloc__every_size_is_aligned),
        PT_TEST(test_pt_arena_alloc__many_small_across_chunk_growth),
        PT_TEST(test_pt_arena_alloc__larger_than_a_chunk),
        PT_TEST(test_pt_arena_alloc__beyond_the_cap_returns_null),
        PT_TEST(test_pt_arena_alloc__fills_up_to_the_cap_and_no_further),
        PT_TEST(test_pt_arena_alloc__size_overflow_returns_null),
        PT_TEST(test_pt_arena_alloc__heap_failure_returns_null),
        PT_TEST(test_pt_arena_strndup__copies_len_bytes),
        PT_TEST(test_pt_arena_strndup__beyond_the_cap_returns_null),
        PT_TEST(test_pt_arena_fini__idempotent_and_reusable),
        PT_TEST(test_pt_arena_grow__keeps_the_elements_and_doubles),
        PT_TEST(test_pt_arena_grow__beyond_the_cap_returns_null),
        PT_TEST(test_pt_arena_failed__latches_until_fini),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
