/* SPDX-License-Identifier: MIT */
/*
 * Goal: the request arena and the bounded buffer hand out aligned memory, enforce their caps,
 * and give every byte back.
 * Method: allocate across chunk growth, at and past the cap, and check the allocation counter
 * of src/base/alloc.c before and after.
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"

static void test_pt_arena_alloc__aligned_and_released(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_arena arena;
    int i;
    (void)state;
    pt_arena_init(&arena, 1 << 20);
    for (i = 0; i < 2000; i++) {
        char *p = pt_arena_alloc(&arena, (size_t)(i % 97) + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        memset(p, 0x5a, (size_t)(i % 97) + 1);
    }
    assert_true(pt_alloc_live_count() > live);
    pt_arena_fini(&arena);
    assert_int_equal(pt_alloc_live_count(), live);
    pt_arena_fini(&arena); /* idempotent */
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_arena_alloc__cap_is_enforced(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_arena arena;
    char *s;
    (void)state;
    pt_arena_init(&arena, 10000);
    assert_null(pt_arena_alloc(&arena, 10001));
    assert_non_null(pt_arena_alloc(&arena, 4000));
    assert_null(pt_arena_alloc(&arena, 9000));
    s = pt_arena_strndup(&arena, "hello, world", 5);
    assert_string_equal(s, "hello");
    pt_arena_fini(&arena);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_buf_append__maximum_is_sticky(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_buf buf;
    (void)state;
    pt_buf_init(&buf, 10);
    assert_true(pt_buf_append(&buf, "hello", 5));
    assert_true(pt_buf_append(&buf, "world", 5));
    assert_string_equal(buf.ptr, "helloworld");
    assert_false(pt_buf_append(&buf, "!", 1));
    assert_true(buf.failed);
    assert_false(pt_buf_append(&buf, "", 0)); /* sticky */
    pt_buf_reset(&buf);
    assert_false(buf.failed);
    assert_true(pt_buf_append(&buf, "ok", 2));
    assert_string_equal(buf.ptr, "ok");
    pt_buf_fini(&buf);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_alloc_fail_at__nth_allocation_fails(void **state)
{
    int64_t live = pt_alloc_live_count();
    void *a;
    void *b;
    void *c;
    (void)state;
    pt_alloc_fail_at(2);
    a = pt_malloc(8);
    b = pt_malloc(8);
    c = pt_malloc(8);
    pt_alloc_fail_at(0);
    assert_non_null(a);
    assert_null(b);
    assert_non_null(c);
    assert_int_equal(pt_alloc_live_count(), live + 2);
    pt_free(a);
    pt_free(c);
    assert_int_equal(pt_alloc_live_count(), live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pt_arena_alloc__aligned_and_released),
        cmocka_unit_test(test_pt_arena_alloc__cap_is_enforced),
        cmocka_unit_test(test_pt_buf_append__maximum_is_sticky),
        cmocka_unit_test(test_pt_alloc_fail_at__nth_allocation_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
