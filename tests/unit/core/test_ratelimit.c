/* SPDX-License-Identifier: MIT */
/*
 * Goal: the token buckets of src/core/ratelimit.c give exactly burst requests at once, refill at
 * per_second to the microsecond and never past the burst, refuse with the right Retry-After and
 * RateLimit-* figures, take from all of a request's buckets or from none, never overflow at the
 * largest settings or after a long idle time, survive a clock that goes back, and bound a debt.
 * Method: explicit times in microseconds; each edge at N and N+1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/ratelimit.h"

static const int64_t T0 = 1000000000; /* An arbitrary monotonic start. */

static bool take1(struct pt_rate_bucket *b, const struct pt_rate_policy *p, int64_t now_us,
                  struct pt_rate_verdict *v)
{
    struct pt_rate_bucket *bs[1] = {b};
    const struct pt_rate_policy *ps[1] = {p};
    pt_ratelimit_take(bs, ps, 1, 1, now_us, v);
    return v->allowed;
}

static void test_ratelimit_take__exactly_burst_then_refused(void **state)
{
    struct pt_rate_policy p = {10, 20};
    struct pt_rate_bucket b;
    struct pt_rate_verdict v;
    int i;
    (void)state;
    pt_ratelimit_bucket_init(&b, &p, T0);
    for (i = 0; i < 20; i++) {
        assert_true(take1(&b, &p, T0, &v));
        assert_int_equal(v.limit, 20);
        assert_int_equal(v.remaining, 19 - i);
        assert_int_equal(v.retry_after_s, 0);
    }
    assert_int_equal(v.reset_s, 2); /* 20 tokens at 10 a second. */
    assert_false(take1(&b, &p, T0, &v));
    assert_int_equal(v.remaining, 0);
    assert_int_equal(v.retry_after_s, 1); /* 0.1 s, rounded up to whole seconds. */
    assert_int_equal(v.reset_s, 2);
    /* A refusal takes nothing: one token 100 ms later. */
    assert_false(take1(&b, &p, T0 + 99999, &v));
    assert_true(take1(&b, &p, T0 + 100000, &v));
    assert_false(take1(&b, &p, T0 + 100000, &v));
}

static void test_ratelimit_refill__to_the_microsecond_and_never_past_burst(void **state)
{
    struct pt_rate_policy p = {3, 5};
    struct pt_rate_bucket b;
    (void)state;
    pt_ratelimit_bucket_init(&b, &p, T0);
    b.level_utok = 0;
    pt_ratelimit_refill(&b, &p, T0 + 1);
    assert_int_equal(b.level_utok, 3); /* 3 micro-tokens a microsecond. */
    pt_ratelimit_refill(&b, &p, T0 + 1000000);
    assert_int_equal(b.level_utok, 3 * PT_RATE_UTOK);
    pt_ratelimit_refill(&b, &p, T0 + 100 * 1000000LL);
    assert_int_equal(b.level_utok, 5 * PT_RATE_UTOK);
    /* Idle for longer than int64 microseconds could multiply: still exactly full. */
    pt_ratelimit_refill(&b, &p, INT64_MAX);
    assert_int_equal(b.level_utok, 5 * PT_RATE_UTOK);
}

static void test_ratelimit_refill__clock_going_back_adds_nothing(void **state)
{
    struct pt_rate_policy p = {1000, 1000};
    struct pt_rate_bucket b;
    (void)state;
    pt_ratelimit_bucket_init(&b, &p, T0);
    b.level_utok = 7;
    pt_ratelimit_refill(&b, &p, T0 - 5000000);
    assert_int_equal(b.level_utok, 7);
    assert_int_equal(b.updated_us, T0);
    pt_ratelimit_refill(&b, &p, T0);
    assert_int_equal(b.level_utok, 7);
}

static void test_ratelimit_refill__lowered_burst_caps_the_level(void **state)
{
    struct pt_rate_policy wide = {10, 100};
    struct pt_rate_policy narrow = {10, 2};
    struct pt_rate_bucket b;
    struct pt_rate_verdict v;
    (void)state;
    pt_ratelimit_bucket_init(&b, &wide, T0);
    assert_true(take1(&b, &narrow, T0, &v));
    assert_int_equal(v.remaining, 1);
    assert_int_equal(v.limit, 2);
}

static void test_ratelimit_take__all_buckets_or_none(void **state)
{
    struct pt_rate_policy key = {1, 2};
    struct pt_rate_policy program = {100, 3};
    struct pt_rate_bucket kb;
    struct pt_rate_bucket pb;
    struct pt_rate_bucket *bs[2] = {&kb, &pb};
    const struct pt_rate_policy *ps[2] = {&key, &program};
    struct pt_rate_verdict v;
    (void)state;
    pt_ratelimit_bucket_init(&kb, &key, T0);
    pt_ratelimit_bucket_init(&pb, &program, T0);
    pt_ratelimit_take(bs, ps, 2, 1, T0, &v);
    assert_true(v.allowed);
    assert_int_equal(v.bucket_index, 0); /* The key's has 1 left, the program's 2. */
    assert_int_equal(v.remaining, 1);
    pt_ratelimit_take(bs, ps, 2, 1, T0, &v);
    pt_ratelimit_take(bs, ps, 2, 1, T0, &v);
    assert_false(v.allowed);
    assert_int_equal(v.bucket_index, 0);
    assert_int_equal(v.retry_after_s, 1);
    /* The refused request did not spend the program's token. */
    assert_int_equal(pb.level_utok, 1 * PT_RATE_UTOK);
    assert_int_equal(kb.level_utok, 0);
}

static void test_ratelimit_take__refusal_names_the_longest_wait(void **state)
{
    struct pt_rate_policy fast = {1000, 1};
    struct pt_rate_policy slow = {1, 1};
    struct pt_rate_bucket a;
    struct pt_rate_bucket b;
    struct pt_rate_bucket *bs[2] = {&a, &b};
    const struct pt_rate_policy *ps[2] = {&fast, &slow};
    struct pt_rate_verdict v;
    (void)state;
    pt_ratelimit_bucket_init(&a, &fast, T0);
    pt_ratelimit_bucket_init(&b, &slow, T0);
    a.level_utok = 0;
    b.level_utok = 0;
    pt_ratelimit_take(bs, ps, 2, 1, T0, &v);
    assert_false(v.allowed);
    assert_int_equal(v.bucket_index, 1);
    assert_int_equal(v.retry_after_s, 1);
    assert_int_equal(v.limit, 1);
}

static void test_ratelimit_charge__debt_is_bounded_and_waited_out(void **state)
{
    struct pt_rate_policy p = {10, 50};
    struct pt_rate_bucket b;
    struct pt_rate_verdict v;
    (void)state;
    pt_ratelimit_bucket_init(&b, &p, T0);
    pt_ratelimit_charge(&b, &p, 30, T0);
    assert_int_equal(b.level_utok, 20 * PT_RATE_UTOK);
    /* A charge larger than the burst is owed whole: none of it is forgiven. */
    pt_ratelimit_charge(&b, &p, 100, T0);
    assert_int_equal(b.level_utok, -80 * PT_RATE_UTOK);
    assert_false(take1(&b, &p, T0, &v));
    assert_int_equal(v.retry_after_s, 9); /* 81 tokens at 10 a second: 8.1 s. */
    assert_int_equal(v.reset_s, 13);
    assert_int_equal(v.remaining, 0);
    assert_false(take1(&b, &p, T0 + 8099999, &v));
    assert_true(take1(&b, &p, T0 + 8100000, &v));
    pt_ratelimit_charge(&b, &p, 0, T0 + 8100000);
    assert_int_equal(b.level_utok, 0);
    /* The debt stops at the largest charge. */
    pt_ratelimit_charge(&b, &p, PT_RATE_EVAL_TOKENS_MAX, T0 + 8100000);
    pt_ratelimit_charge(&b, &p, PT_RATE_EVAL_TOKENS_MAX, T0 + 8100000);
    assert_int_equal(b.level_utok, -(int64_t)PT_RATE_EVAL_TOKENS_MAX * PT_RATE_UTOK);
}

static void test_ratelimit_take__largest_settings_do_not_overflow(void **state)
{
    struct pt_rate_policy p = {PT_RATE_PER_SECOND_MAX, PT_RATE_BURST_MAX};
    struct pt_rate_bucket b;
    struct pt_rate_verdict v;
    (void)state;
    pt_ratelimit_bucket_init(&b, &p, 0);
    pt_ratelimit_charge(&b, &p, PT_RATE_EVAL_TOKENS_MAX, 0);
    assert_true(take1(&b, &p, INT64_MAX, &v));
    assert_int_equal(v.remaining, PT_RATE_BURST_MAX - 1);
    assert_int_equal(v.reset_s, 1);
    b.level_utok = -(int64_t)PT_RATE_BURST_MAX * PT_RATE_UTOK;
    b.updated_us = 0;
    assert_false(take1(&b, &p, 0, &v));
    assert_int_equal(v.retry_after_s, 11); /* 10^7 + 1 tokens at 10^6 a second. */
    assert_int_equal(v.reset_s, 20);
}

static void test_ratelimit_effective__zero_means_default(void **state)
{
    struct pt_rate_limits stored;
    struct pt_rate_limits eff;
    (void)state;
    memset(&stored, 0, sizeof(stored));
    stored.key.burst = 7;
    pt_ratelimit_effective(&stored, &eff);
    assert_int_equal(eff.key.per_second, PT_RATE_KEY_PER_SECOND_DEFAULT);
    assert_int_equal(eff.key.burst, 7);
    assert_int_equal(eff.program.per_second, PT_RATE_PROGRAM_PER_SECOND_DEFAULT);
    assert_int_equal(eff.program.burst, PT_RATE_PROGRAM_BURST_DEFAULT);
    assert_int_equal(eff.expensive.per_second, PT_RATE_EXPENSIVE_PER_SECOND_DEFAULT);
    assert_int_equal(eff.expensive.burst, PT_RATE_EXPENSIVE_BURST_DEFAULT);
}

static void test_ratelimit_validate__edges_name_the_field(void **state)
{
    struct pt_rate_limits l;
    struct pt_err err;
    (void)state;
    memset(&l, 0, sizeof(l));
    pt_err_clear(&err);
    l.program.per_second = PT_RATE_PER_SECOND_MAX;
    l.expensive.burst = PT_RATE_BURST_MAX;
    assert_int_equal(pt_ratelimit_validate(&l, &err), PT_OK);
    l.program.per_second = PT_RATE_PER_SECOND_MAX + 1;
    assert_int_equal(pt_ratelimit_validate(&l, &err), PT_EINVAL);
    assert_string_equal(err.field, "rate_limits.program.per_second");
    l.program.per_second = 1;
    l.expensive.burst = PT_RATE_BURST_MAX + 1;
    assert_int_equal(pt_ratelimit_validate(&l, &err), PT_EINVAL);
    assert_string_equal(err.field, "rate_limits.expensive.burst");
    l.expensive.burst = 1;
    l.key.burst = -1;
    assert_int_equal(pt_ratelimit_validate(&l, &err), PT_EINVAL);
    assert_string_equal(err.field, "rate_limits.key.burst");
}

static void test_ratelimit_eval_cost__floor_and_cap(void **state)
{
    (void)state;
    assert_int_equal(pt_ratelimit_eval_cost(0), 0);
    assert_int_equal(pt_ratelimit_eval_cost(-3), 0);
    assert_int_equal(pt_ratelimit_eval_cost(PT_RATE_EVAL_UNITS_PER_TOKEN - 1), 0);
    assert_int_equal(pt_ratelimit_eval_cost(PT_RATE_EVAL_UNITS_PER_TOKEN), 1);
    /* An evaluation at the bound costs hundreds of tokens. */
    assert_int_equal(pt_ratelimit_eval_cost(PT_RULES_EVAL_COST_MAX), 400);
    assert_int_equal(pt_ratelimit_eval_cost(INT64_MAX), PT_RATE_EVAL_TOKENS_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit_take__exactly_burst_then_refused),
        cmocka_unit_test(test_ratelimit_refill__to_the_microsecond_and_never_past_burst),
        cmocka_unit_test(test_ratelimit_refill__clock_going_back_adds_nothing),
        cmocka_unit_test(test_ratelimit_refill__lowered_burst_caps_the_level),
        cmocka_unit_test(test_ratelimit_take__all_buckets_or_none),
        cmocka_unit_test(test_ratelimit_take__refusal_names_the_longest_wait),
        cmocka_unit_test(test_ratelimit_charge__debt_is_bounded_and_waited_out),
        cmocka_unit_test(test_ratelimit_take__largest_settings_do_not_overflow),
        cmocka_unit_test(test_ratelimit_effective__zero_means_default),
        cmocka_unit_test(test_ratelimit_validate__edges_name_the_field),
        cmocka_unit_test(test_ratelimit_eval_cost__floor_and_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
