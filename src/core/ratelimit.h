/* SPDX-License-Identifier: MIT */
/*
 * Token buckets, pure: the arithmetic of rate limits (docs/security.md, "Rate limits"). A
 * bucket holds up to `burst` tokens and gains `per_second` of them each second; a request
 * takes its cost, or is refused when a bucket it draws from lacks it. Levels are kept in
 * micro-tokens (1 token = 1,000,000) so that refills of a few microseconds are not lost to
 * rounding, with integer arithmetic only; time is passed in as monotonic microseconds, so
 * every function here is a deterministic function of its inputs. Callers own the buckets and
 * serialise access to them (src/http/ratelimit.c holds a lock).
 */
#ifndef PT_CORE_RATELIMIT_H
#define PT_CORE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

/* Micro-tokens in one token. */
#define PT_RATE_UTOK 1000000

/* One bucket's setting. Both >= 1 once effective; 0 in a stored setting means the default. */
struct pt_rate_policy {
    int64_t per_second; /* Tokens gained a second; 1..PT_RATE_PER_SECOND_MAX */
    int64_t burst;      /* Most tokens held; 1..PT_RATE_BURST_MAX */
};

/* A program's rate limits (the program setting `rate_limits`). */
struct pt_rate_limits {
    struct pt_rate_policy key;       /* Each API key of the program. */
    struct pt_rate_policy program;   /* All the program's keys together. */
    struct pt_rate_policy expensive; /* The program's expensive routes, in work units. */
};

struct pt_rate_bucket {
    int64_t level_utok; /* Micro-tokens; down to -max(burst, charge max) (a debt). */
    int64_t updated_us; /* Monotonic time of the last refill. */
};

/* What a bucket says about a request: the figures of the RateLimit-* and Retry-After headers. */
struct pt_rate_verdict {
    bool allowed;
    int64_t limit;         /* The bucket's burst. */
    int64_t remaining;     /* Whole tokens left after the request (>= 0). */
    int64_t reset_s;       /* Seconds until the bucket is full again (>= 0, rounded up). */
    int64_t retry_after_s; /* Refused: seconds until the cost is there (>= 1); else 0. */
    unsigned bucket_index; /* Which bucket the figures are of (the tightest). */
};

/* The limits of a program that set none: 0 fields of stored become the defaults of limits.h.
 * OUT: *out, every policy >= 1. */
void pt_ratelimit_effective(const struct pt_rate_limits *stored, struct pt_rate_limits *out);

/* PT_EINVAL naming the field ("rate_limits.key.per_second") when a set value (non-zero) is
 * out of its range. */
PT_MUSTCHECK enum pt_rc pt_ratelimit_validate(const struct pt_rate_limits *stored,
                                              struct pt_err *err);

/* A full bucket at now_us. */
void pt_ratelimit_bucket_init(struct pt_rate_bucket *b, const struct pt_rate_policy *p,
                              int64_t now_us);

/* Adds what elapsed since the last refill, up to the burst. A clock that went back adds
 * nothing. */
void pt_ratelimit_refill(struct pt_rate_bucket *b, const struct pt_rate_policy *p, int64_t now_us);

/*
 * Refills the n buckets and takes cost (>= 1 token) from every one of them, or from none when
 * one lacks it: a request refused by its key's bucket does not spend its program's. OUT: *out
 * describes the bucket that refused (the longest wait), or when all allowed the one with the
 * fewest tokens left. n is 1..PT_RATE_BUCKETS_PER_REQUEST_MAX.
 */
void pt_ratelimit_take(struct pt_rate_bucket *const *buckets,
                       const struct pt_rate_policy *const *policies, unsigned n, int64_t cost,
                       int64_t now_us, struct pt_rate_verdict *out);

/* Takes cost (>= 0) from a bucket after the work was done (an evaluation found costly),
 * whether or not it is there: the bucket may go into debt, down to the larger of its burst and
 * PT_RATE_EVAL_TOKENS_MAX (the largest charge, so that none is forgiven), and later requests
 * wait for it to refill. */
void pt_ratelimit_charge(struct pt_rate_bucket *b, const struct pt_rate_policy *p, int64_t cost,
                         int64_t now_us);

/* Tokens that evaluations of a cost of units (pt_rules_eval_cost, summed) cost beyond the
 * request's first: units / PT_RATE_EVAL_UNITS_PER_TOKEN, rounded down, at most
 * PT_RATE_EVAL_TOKENS_MAX; 0 for units <= 0. */
int64_t pt_ratelimit_eval_cost(int64_t units);

#endif
