/* SPDX-License-Identifier: MIT */
/*
 * Goal: the heap wrapper counts every live allocation exactly, and pt_alloc_fail_at(n) makes
 * exactly the nth allocation (of any kind) fail, once, counted from the call.
 * Method: sequences of malloc/calloc/realloc/strndup/free with the counter checked after each
 * step; injected failures at every position of a sequence of mixed calls; concurrent threads
 * for the counter and for the single injected failure (the module is documented thread-safe).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/alloc.h"

static void test_pt_alloc_live_count__tracks_every_kind(void **state)
{
    int64_t live = pt_alloc_live_count();
    unsigned char *a;
    unsigned char *b;
    char *s;
    size_t i;
    (void)state;
    a = pt_malloc(16);
    assert_non_null(a);
    assert_int_equal(pt_alloc_live_count(), live + 1);
    b = pt_calloc(8, 4);
    assert_non_null(b);
    assert_int_equal(pt_alloc_live_count(), live + 2);
    for (i = 0; i < 32; i++) {
        assert_int_equal(b[i], 0);
    }
    /* Growing an allocation does not change the count... */
    memset(a, 0x7e, 16);
    a = pt_realloc(a, 4096);
    assert_non_null(a);
    assert_int_equal(a[15], 0x7e);
    assert_int_equal(pt_alloc_live_count(), live + 2);
    /* ...and realloc of NULL is a new allocation. */
    s = pt_realloc(NULL, 8);
    assert_non_null(s);
    assert_int_equal(pt_alloc_live_count(), live + 3);
    pt_free(s);
    s = pt_strndup("hello, world", 5);
    assert_non_null(s);
    assert_string_equal(s, "hello");
    assert_int_equal(pt_alloc_live_count(), live + 3);
    pt_free(NULL);
    assert_int_equal(pt_alloc_live_count(), live + 3);
    pt_free(a);
    pt_free(b);
    pt_free(s);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_alloc__zero_sizes(void **state)
{
    int64_t live = pt_alloc_live_count();
    void *a;
    void *b;
    (void)state;
    /* Like malloc(0): whatever comes back can be freed, and the count stays exact. */
    a = pt_malloc(0);
    b = pt_calloc(0, 8);
    pt_free(a);
    pt_free(b);
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_strndup__copies_and_terminates(void **state)
{
    char *s;
    (void)state;
    s = pt_strndup("", 0);
    assert_non_null(s);
    assert_string_equal(s, "");
    pt_free(s);
    s = pt_strndup("abc", 3);
    assert_string_equal(s, "abc");
    pt_free(s);
    s = pt_strndup("a\0b", 3);
    assert_memory_equal(s, "a\0b", 4);
    pt_free(s);
}

static void test_pt_alloc_fail_at__nth_allocation_fails_once(void **state)
{
    int64_t live = pt_alloc_live_count();
    void *p[6];
    int i;
    (void)state;
    pt_alloc_fail_at(3);
    for (i = 0; i < 6; i++) {
        p[i] = pt_malloc(8);
    }
    pt_alloc_fail_at(0);
    assert_non_null(p[0]);
    assert_non_null(p[1]);
    assert_null(p[2]);
    assert_non_null(p[3]);
    assert_non_null(p[4]);
    assert_non_null(p[5]);
    assert_int_equal(pt_alloc_live_count(), live + 5);
    for (i = 0; i < 6; i++) {
        pt_free(p[i]);
    }
    assert_int_equal(pt_alloc_live_count(), live);
}

static void test_pt_alloc_fail_at__first_allocation(void **state)
{
    int64_t live = pt_alloc_live_count();
    void *a;
    void *b;
    (void)state;
    pt_alloc_fail_at(1);
    a = pt_malloc(8);
    b = pt_malloc(8);
    pt_alloc_fail_at(0);
    assert_null(a);
    assert_non_null(b);
    assert_int_equal(pt_alloc_live_count(), live + 1);
    pt_free(b);
}

static void test_pt_alloc_fail_at__zero_turns_injection_off(void **state)
{
    void *p[4];
    int i;
    (void)state;
    pt_alloc_fail_at(2);
    pt_alloc_fail_at(0);
    for (i = 0; i < 4; i++) {
        p[i] = pt_malloc(8);
        assert_non_null(p[i]);
    }
    for (i = 0; i < 4; i++) {
        pt_free(p[i]);
    }
}

static void test_pt_alloc_fail_at__counts_from_the_call(void **state)
{
    void *a;
    void *b;
    void *c;
    (void)state;
    pt_alloc_fail_at(5);
    a = pt_malloc(8);
    pt_alloc_fail_at(2); /* restarts the count */
    b = pt_malloc(8);
    c = pt_malloc(8);
    pt_alloc_fail_at(0);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c);
    pt_free(a);
    pt_free(b);
}

static void test_pt_alloc_fail_at__frees_do_not_count(void **state)
{
    void *a;
    void *b;
    (void)state;
    pt_alloc_fail_at(2);
    a = pt_malloc(8);
    pt_free(a);
    pt_free(NULL);
    b = pt_malloc(8);
    pt_alloc_fail_at(0);
    assert_non_null(a);
    assert_null(b);
}

/* Runs allocation call `kind` (0 malloc, 1 calloc, 2 realloc of a live block, 3 strndup). */
static void *one_allocation(int kind, void **block)
{
    switch (kind) {
    case 0:
        return pt_malloc(24);
    case 1:
        return pt_calloc(3, 8);
    case 2: {
        void *p = pt_realloc(*block, 256);
        if (p != NULL) {
            *block = p;
        }
        return p;
    }
    default:
        return pt_strndup("abcdef", 6);
    }
}

static void test_pt_alloc_fail_at__every_kind_of_allocation(void **state)
{
    int64_t live = pt_alloc_live_count();
    int kind;
    (void)state;
    for (kind = 0; kind < 4; kind++) {
        void *block = pt_malloc(8);
        void *ok;
        assert_non_null(block);
        memcpy(block, "keep", 5);
        pt_alloc_fail_at(1);
        assert_null(one_allocation(kind, &block));
        pt_alloc_fail_at(0);
        /* A failed realloc leaves the old block alive and unchanged. */
        assert_string_equal(block, "keep");
        assert_int_equal(pt_alloc_live_count(), live + 1);
        ok = one_allocation(kind, &block);
        assert_non_null(ok);
        if (kind != 2) {
            pt_free(ok);
        }
        pt_free(block);
        assert_int_equal(pt_alloc_live_count(), live);
    }
}

static void test_pt_alloc_fail_at__sweep_over_a_sequence(void **state)
{
    int64_t live = pt_alloc_live_count();
    int64_t n;
    (void)state;
    /* For n = 1..8 over 8 mixed calls: exactly call n fails. */
    for (n = 1; n <= 8; n++) {
        void *block = pt_malloc(8);
        void *got[8];
        int i;
        assert_non_null(block);
        pt_alloc_fail_at(n);
        for (i = 0; i < 8; i++) {
            got[i] = one_allocation(i % 4, &block);
        }
        pt_alloc_fail_at(0);
        for (i = 0; i < 8; i++) {
            if ((got[i] == NULL) != (i + 1 == n)) {
                fail_msg("fail_at(%lld): call %d returned %p", (long long)n, i + 1, got[i]);
            }
            if (got[i] != NULL && i % 4 != 2) {
                pt_free(got[i]);
            }
        }
        pt_free(block);
        assert_int_equal(pt_alloc_live_count(), live);
    }
}

enum { THREADS = 4, PER_THREAD = 20000 };

/* cmocka's asserts are not thread-safe: threads count what went wrong for the main thread. */
static void *alloc_free_loop(void *arg)
{
    int *nulls = arg;
    int i;
    for (i = 0; i < PER_THREAD; i++) {
        void *p = pt_malloc((size_t)(i % 64) + 1);
        if (p == NULL) {
            (*nulls)++;
        }
        pt_free(p);
    }
    return NULL;
}

static void test_pt_alloc_live_count__exact_across_threads(void **state)
{
    int64_t live = pt_alloc_live_count();
    pthread_t threads[THREADS];
    int nulls[THREADS] = {0};
    int i;
    (void)state;
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, alloc_free_loop, &nulls[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(nulls[i], 0);
    }
    assert_int_equal(pt_alloc_live_count(), live);
}

static void *count_failures(void *arg)
{
    int *failures = arg;
    int i;
    for (i = 0; i < PER_THREAD / 10; i++) {
        void *p = pt_malloc(8);
        if (p == NULL) {
            (*failures)++;
        }
        pt_free(p);
    }
    return NULL;
}

static void test_pt_alloc_fail_at__exactly_one_failure_across_threads(void **state)
{
    pthread_t threads[THREADS];
    int failures[THREADS] = {0};
    int total = 0;
    int i;
    (void)state;
    pt_alloc_fail_at(1000); /* well inside the 4 * 2000 allocations */
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, count_failures, &failures[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        total += failures[i];
    }
    pt_alloc_fail_at(0);
    assert_int_equal(total, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_alloc_live_count__tracks_every_kind),
        PT_TEST(test_pt_alloc__zero_sizes),
        PT_TEST(test_pt_strndup__copies_and_terminates),
        PT_TEST(test_pt_alloc_fail_at__nth_allocation_fails_once),
        PT_TEST(test_pt_alloc_fail_at__first_allocation),
        PT_TEST(test_pt_alloc_fail_at__zero_turns_injection_off),
        PT_TEST(test_pt_alloc_fail_at__counts_from_the_call),
        PT_TEST(test_pt_alloc_fail_at__frees_do_not_count),
        PT_TEST(test_pt_alloc_fail_at__every_kind_of_allocation),
        PT_TEST(test_pt_alloc_fail_at__sweep_over_a_sequence),
        PT_TEST(test_pt_alloc_live_count__exact_across_threads),
        PT_TEST(test_pt_alloc_fail_at__exactly_one_failure_across_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
