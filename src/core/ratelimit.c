/* SPDX-License-Identifier: MIT */
/*
 * Token buckets, pure (see ratelimit.h). A bucket's level is in micro-tokens; a policy of
 * per_second tokens a second adds per_second micro-tokens a microsecond, so a refill is one
 * multiplication, bounded before it is made: levels stay within [-burst, burst] tokens, at most
 * 10^13 micro-tokens, far inside int64.
 */
#include "core/ratelimit.h"

#include "base/assert.h"

#include <stdio.h>

_Static_assert((int64_t)PT_RATE_BURST_MAX *PT_RATE_UTOK < INT64_MAX / 4,
               "twice the widest swing of a level fits in int64");
_Static_assert(PT_RATE_EVAL_TOKENS_MAX <= PT_RATE_BURST_MAX, "a charge fits in a bucket");

static int64_t ceil_div(int64_t a, int64_t b)
{
    pt_assert(a >= 0);
    pt_assert(b > 0);
    return a / b + (a % b != 0 ? 1 : 0);
}

static void policy_or_default(int64_t per_second, int64_t burst, int64_t per_second_default,
                              int64_t burst_default, struct pt_rate_policy *out)
{
    out->per_second = per_second > 0 ? per_second : per_second_default;
    out->burst = burst > 0 ? burst : burst_default;
}

void pt_ratelimit_effective(const struct pt_rate_limits *stored, struct pt_rate_limits *out)
{
    policy_or_default(stored->key.per_second, stored->key.burst, PT_RATE_KEY_PER_SECOND_DEFAULT,
                      PT_RATE_KEY_BURST_DEFAULT, &out->key);
    policy_or_default(stored->program.per_second, stored->program.burst,
                      PT_RATE_PROGRAM_PER_SECOND_DEFAULT, PT_RATE_PROGRAM_BURST_DEFAULT,
                      &out->program);
    policy_or_default(stored->expensive.per_second, stored->expensive.burst,
                      PT_RATE_EXPENSIVE_PER_SECOND_DEFAULT, PT_RATE_EXPENSIVE_BURST_DEFAULT,
                      &out->expensive);
    pt_assert(out->key.per_second >= 1 && out->key.burst >= 1);
    pt_assert(out->expensive.per_second >= 1 && out->expensive.burst >= 1);
}

static enum pt_rc policy_validate(const struct pt_rate_policy *p, const char *name,
                                  struct pt_err *err)
{
    char field[48];
    if (p->per_second < 0 || p->per_second > PT_RATE_PER_SECOND_MAX) {
        (void)snprintf(field, sizeof(field), "rate_limits.%s.per_second", name);
        return pt_err_set(err, PT_EINVAL, field, "%s must be 1 to %d (null: the default)", field,
                          PT_RATE_PER_SECOND_MAX);
    }
    if (p->burst < 0 || p->burst > PT_RATE_BURST_MAX) {
        (void)snprintf(field, sizeof(field), "rate_limits.%s.burst", name);
        return pt_err_set(err, PT_EINVAL, field, "%s must be 1 to %d (null: the default)", field,
                          PT_RATE_BURST_MAX);
    }
    return PT_OK;
}

enum pt_rc pt_ratelimit_validate(const struct pt_rate_limits *stored, struct pt_err *err)
{
    enum pt_rc rc = policy_validate(&stored->key, "key", err);
    if (rc == PT_OK) {
        rc = policy_validate(&stored->program, "program", err);
    }
    if (rc == PT_OK) {
        rc = policy_validate(&stored->expensive, "expensive", err);
    }
    return rc;
}

static void policy_check(const struct pt_rate_policy *p)
{
    pt_assert(p->per_second >= 1 && p->per_second <= PT_RATE_PER_SECOND_MAX);
    pt_assert(p->burst >= 1 && p->burst <= PT_RATE_BURST_MAX);
}

void pt_ratelimit_bucket_init(struct pt_rate_bucket *b, const struct pt_rate_policy *p,
                              int64_t now_us)
{
    policy_check(p);
    b->level_utok = p->burst * PT_RATE_UTOK;
    b->updated_us = now_us;
}

void pt_ratelimit_refill(struct pt_rate_bucket *b, const struct pt_rate_policy *p, int64_t now_us)
{
    int64_t full_utok;
    int64_t missing_utok;
    int64_t elapsed_us;
    policy_check(p);
    full_utok = p->burst * PT_RATE_UTOK;
    if (b->level_utok > full_utok) {
        b->level_utok = full_utok; /* The burst was lowered since. */
    }
    if (now_us <= b->updated_us) {
        return; /* The same instant, or a clock that went back: nothing to add. */
    }
    elapsed_us = now_us - b->updated_us;
    b->updated_us = now_us;
    missing_utok = full_utok - b->level_utok;
    pt_assert(missing_utok >= 0);
    /* Compared before multiplying: elapsed * per_second cannot overflow past this. */
    if (elapsed_us >= ceil_div(missing_utok, p->per_second)) {
        b->level_utok = full_utok;
    } else {
        b->level_utok += elapsed_us * p->per_second;
    }
    pt_assert(b->level_utok <= full_utok);
}

/* The verdict's figures for bucket b after the decision, for a request of cost. */
static void verdict_fill(const struct pt_rate_bucket *b, const struct pt_rate_policy *p,
                         int64_t cost, bool allowed, unsigned index, struct pt_rate_verdict *out)
{
    int64_t full_utok = p->burst * PT_RATE_UTOK;
    out->allowed = allowed;
    out->limit = p->burst;
    out->remaining = b->level_utok > 0 ? b->level_utok / PT_RATE_UTOK : 0;
    out->reset_s = ceil_div(full_utok - b->level_utok, p->per_second * PT_RATE_UTOK);
    out->retry_after_s = 0;
    if (!allowed) {
        int64_t deficit_utok = cost * PT_RATE_UTOK - b->level_utok;
        pt_assert(deficit_utok > 0);
        out->retry_after_s = ceil_div(deficit_utok, p->per_second * PT_RATE_UTOK);
    }
    out->bucket_index = index;
}

void pt_ratelimit_take(struct pt_rate_bucket *const *buckets,
                       const struct pt_rate_policy *const *policies, unsigned n, int64_t cost,
                       int64_t now_us, struct pt_rate_verdict *out)
{
    unsigned i;
    unsigned pick = 0;
    bool allowed = true;
    int64_t worst_wait_us = 0;
    pt_assert(n >= 1 && n <= PT_RATE_BUCKETS_PER_REQUEST_MAX);
    pt_assert(cost >= 1 && cost <= PT_RATE_BURST_MAX);
    for (i = 0; i < n; i++) {
        int64_t deficit_utok;
        pt_ratelimit_refill(buckets[i], policies[i], now_us);
        deficit_utok = cost * PT_RATE_UTOK - buckets[i]->level_utok;
        if (deficit_utok > 0) {
            /* The wait of this bucket, compared across buckets of different rates. */
            int64_t wait_us = ceil_div(deficit_utok, policies[i]->per_second);
            if (allowed || wait_us > worst_wait_us) {
                worst_wait_us = wait_us;
                pick = i;
            }
            allowed = false;
        }
    }
    if (allowed) {
        for (i = 0; i < n; i++) {
            buckets[i]->level_utok -= cost * PT_RATE_UTOK;
            if (buckets[i]->level_utok < buckets[pick]->level_utok) {
                pick = i;
            }
        }
    }
    verdict_fill(buckets[pick], policies[pick], cost, allowed, pick, out);
    pt_assert(out->allowed == allowed);
}

void pt_ratelimit_charge(struct pt_rate_bucket *b, const struct pt_rate_policy *p, int64_t cost,
                         int64_t now_us)
{
    int64_t floor_utok;
    pt_assert(cost >= 0 && cost <= PT_RATE_BURST_MAX);
    pt_ratelimit_refill(b, p, now_us);
    /* A debt of the largest charge at most, or of one burst: a bounded wait, and no charge
     * forgiven because the bucket is small. */
    floor_utok =
        -(p->burst > PT_RATE_EVAL_TOKENS_MAX ? p->burst : PT_RATE_EVAL_TOKENS_MAX) * PT_RATE_UTOK;
    b->level_utok -= cost * PT_RATE_UTOK;
    if (b->level_utok < floor_utok) {
        b->level_utok = floor_utok;
    }
    pt_assert(b->level_utok >= floor_utok);
}

int64_t pt_ratelimit_eval_cost(int64_t units)
{
    int64_t tokens;
    if (units <= 0) {
        return 0;
    }
    tokens = units / PT_RATE_EVAL_UNITS_PER_TOKEN;
    return tokens < PT_RATE_EVAL_TOKENS_MAX ? tokens : PT_RATE_EVAL_TOKENS_MAX;
}
