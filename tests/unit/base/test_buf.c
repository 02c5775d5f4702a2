/* SPDX-License-Identifier: MIT */
/*
 * Goal: the bounded buffer appends exactly, stays NUL-terminated, refuses to grow past its
 * maximum, keeps the refusal sticky until reset, survives an out-of-memory while growing, and
 * frees its bytes at fini.
 * Method: appends at the maximum N and N+1, single oversized appends, injected allocation
 * failures (pt_alloc_fail_at), byte-by-byte growth compared with the expected contents, and the
 * allocation counter checked by the teardown of every test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/alloc.h"
#include "base/buf.h"

static void test_pt_buf_init__empty_and_allocates_nothing(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_buf buf;
    (void)state;
    pt_buf_init(&buf, 100);
    assert_null(buf.ptr);
    assert_int_equal(buf.len, 0);
    assert_int_equal(buf.bytes_max, 100);
    assert_false(buf.failed);
    assert_int_equal(pt_alloc_live_count(), live);
    pt_buf_fini(&buf);
}

static void test_pt_buf_append__concatenates_and_terminates(void **state)
{
    struct pt_buf buf;
    const char bytes[] = {'x', '\0', 'y'};
    (void)state;
    pt_buf_init(&buf, 1000);
    assert_true(pt_buf_append(&buf, "hello", 5));
    assert_int_equal(buf.len, 5);
    assert_string_equal(buf.ptr, "hello");
    assert_true(pt_buf_append(&buf, ", ", 2));
    assert_true(pt_buf_append(&buf, "world!!!", 5)); /* only n bytes */
    assert_int_equal(buf.len, 12);
    assert_string_equal(buf.ptr, "hello, world");
    assert_true(pt_buf_append(&buf, "", 0));
    assert_int_equal(buf.len, 12);
    assert_string_equal(buf.ptr, "hello, world");
    /* Binary bytes, an embedded NUL included, are kept as they are. */
    assert_true(pt_buf_append(&buf, bytes, sizeof(bytes)));
    assert_int_equal(buf.len, 15);
    assert_memory_equal(buf.ptr + 12, bytes, sizeof(bytes));
    assert_int_equal(buf.ptr[15], '\0');
    assert_true(buf.len < buf.cap);
    assert_false(buf.failed);
    pt_buf_fini(&buf);
}

static void test_pt_buf_append__grows_byte_by_byte(void **state)
{
    struct pt_buf buf;
    size_t i;
    (void)state;
    pt_buf_init(&buf, 1 << 20);
    for (i = 0; i < 100000; i++) {
        char c = (char)('a' + i % 26);
        assert_true(pt_buf_append(&buf, &c, 1));
        assert_int_equal(buf.len, i + 1);
        assert_int_equal(buf.ptr[i + 1], '\0');
        assert_true(buf.len < buf.cap);
    }
    for (i = 0; i < 100000; i++) {
        if (buf.ptr[i] != (char)('a' + i % 26)) {
            fail_msg("byte %zu is '%c'", i, buf.ptr[i]);
        }
    }
    pt_buf_fini(&buf);
}

static void test_pt_buf_append__maximum_ok_one_more_fails(void **state)
{
    struct pt_buf buf;
    (void)state;
    pt_buf_init(&buf, 10);
    assert_true(pt_buf_append(&buf, "hello", 5));
    assert_true(pt_buf_append(&buf, "world", 5));
    assert_int_equal(buf.len, 10);
    assert_string_equal(buf.ptr, "helloworld");
    assert_false(buf.failed);
    assert_false(pt_buf_append(&buf, "!", 1));
    assert_true(buf.failed);
    /* Nothing of the refused append was written. */
    assert_int_equal(buf.len, 10);
    assert_string_equal(buf.ptr, "helloworld");
    pt_buf_fini(&buf);
}

static void test_pt_buf_append__failed_is_sticky(void **state)
{
    struct pt_buf buf;
    (void)state;
    pt_buf_init(&buf, 10);
    assert_true(pt_buf_append(&buf, "abc", 3));
    assert_false(pt_buf_append(&buf, "12345678", 8)); /* 11 > 10 */
    assert_true(buf.failed);
    /* Later appends that would fit are refused too, until reset. */
    assert_false(pt_buf_append(&buf, "d", 1));
    assert_false(pt_buf_append(&buf, "", 0));
    assert_true(buf.failed);
    assert_int_equal(buf.len, 3);
    assert_string_equal(buf.ptr, "abc");
    pt_buf_fini(&buf);
}

static void test_pt_buf_append__oversized_single_append(void **state)
{
    struct pt_buf buf;
    static char big[64];
    (void)state;
    memset(big, 'b', sizeof(big));
    pt_buf_init(&buf, 10);
    assert_false(pt_buf_append(&buf, big, 11));
    assert_true(buf.failed);
    assert_int_equal(buf.len, 0);
    pt_buf_reset(&buf);
    /* A size that would wrap len + n around is refused, not written. */
    assert_true(pt_buf_append(&buf, "ab", 2));
    assert_false(pt_buf_append(&buf, big, SIZE_MAX));
    assert_false(pt_buf_append(&buf, big, SIZE_MAX - 1));
    assert_int_equal(buf.len, 2);
    assert_string_equal(buf.ptr, "ab");
    pt_buf_fini(&buf);
}

static void test_pt_buf_reset__clears_contents_and_failed(void **state)
{
    struct pt_buf buf;
    (void)state;
    pt_buf_init(&buf, 10);
    pt_buf_reset(&buf); /* on an empty buffer */
    assert_int_equal(buf.len, 0);
    assert_true(pt_buf_append(&buf, "0123456789", 10));
    assert_false(pt_buf_append(&buf, "x", 1));
    assert_true(buf.failed);
    pt_buf_reset(&buf);
    assert_false(buf.failed);
    assert_int_equal(buf.len, 0);
    assert_string_equal(buf.ptr, "");
    /* The whole maximum is available again. */
    assert_true(pt_buf_append(&buf, "abcdefghij", 10));
    assert_string_equal(buf.ptr, "abcdefghij");
    pt_buf_fini(&buf);
}

static void test_pt_buf_append__out_of_memory_is_sticky_and_leaks_nothing(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_buf buf;
    static char chunk[300];
    (void)state;
    memset(chunk, 'c', sizeof(chunk));
    /* The first allocation fails. */
    pt_buf_init(&buf, 1 << 20);
    pt_alloc_fail_at(1);
    assert_false(pt_buf_append(&buf, "abc", 3));
    pt_alloc_fail_at(0);
    assert_true(buf.failed);
    assert_int_equal(buf.len, 0);
    assert_false(pt_buf_append(&buf, "abc", 3));
    assert_int_equal(pt_alloc_live_count(), live);
    pt_buf_reset(&buf);
    assert_true(pt_buf_append(&buf, "abc", 3));
    /* Growing fails: the old bytes stay, nothing leaks. */
    pt_alloc_fail_at(1);
    assert_false(pt_buf_append(&buf, chunk, sizeof(chunk)));
    pt_alloc_fail_at(0);
    assert_true(buf.failed);
    assert_int_equal(buf.len, 3);
    assert_string_equal(buf.ptr, "abc");
    pt_buf_fini(&buf);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_buf_fini__frees_and_is_idempotent(void **state)
{
    int64_t live = pt_alloc_live_count();
    struct pt_buf buf;
    (void)state;
    pt_buf_init(&buf, 1 << 16);
    assert_true(pt_buf_append(&buf, "data", 4));
    assert_int_equal(pt_alloc_live_count(), live + 1);
    pt_buf_fini(&buf);
    assert_int_equal(pt_alloc_live_count(), live);
    assert_null(buf.ptr);
    assert_int_equal(buf.len, 0);
    pt_buf_fini(&buf);
    assert_int_equal(pt_alloc_live_count(), live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_buf_init__empty_and_allocates_nothing),
        PT_TEST(test_pt_buf_append__concatenates_and_terminates),
        PT_TEST(test_pt_buf_append__grows_byte_by_byte),
        PT_TEST(test_pt_buf_append__maximum_ok_one_more_fails),
        PT_TEST(test_pt_buf_append__failed_is_sticky),
        PT_TEST(test_pt_buf_append__oversized_single_append),
        PT_TEST(test_pt_buf_reset__clears_contents_and_failed),
        PT_TEST(test_pt_buf_append__out_of_memory_is_sticky_and_leaks_nothing),
        PT_TEST(test_pt_buf_fini__frees_and_is_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
