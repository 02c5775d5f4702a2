/* SPDX-License-Identifier: MIT */
/*
 * Rate limits at the HTTP edge (docs/security.md, "Rate limits"): once a request's key is known,
 * it draws one token from its key's bucket and from its program's, and an expensive route (a
 * route flagged PT_ROUTE_EXPENSIVE) one more from the program's expensive bucket; when one of
 * them lacks it, the request is answered 429 rate_limited with Retry-After and nothing else
 * happens. A rules evaluation is charged afterwards by its cost as the evaluator counts it
 * (pt_rules_eval_cost: a token per PT_RATE_EVAL_UNITS_PER_TOKEN units), whether or not the
 * request then succeeded. Every answer to an authenticated request carries RateLimit-Limit,
 * RateLimit-Remaining and RateLimit-Reset of its tightest bucket.
 *
 * A publishable key's request (a web shop's page, its secret public) draws from its program's
 * publishable bucket alone, and its evaluations are charged to it alone: the pages' visitors
 * never spend the tokens of the program's other keys (PT_RATE_PUBLISHABLE_*_DEFAULT). Likewise
 * a member's session (anyone may sign up) draws from its member's bucket and from its program's
 * members' bucket, never from the program's (PT_RATE_MEMBER*_DEFAULT): a member cannot take the
 * tills' tokens, nor one member all the others'.
 *
 * The buckets and each program's limits live in this process, in one table of
 * PT_RATE_BUCKET_SLOTS slots under one lock (the arithmetic is src/core/ratelimit.c): several
 * processes on one PostgreSQL database each keep their own. A program's limits are read from
 * the store at most every PT_RATE_POLICY_TTL_MS, at once after a change through this process.
 * The table is static storage owned by this file; nothing here allocates.
 */
#include "http/http_int.h"

#include "base/assert.h"
#include "base/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum slot_kind {
    SLOT_EMPTY = 0,
    SLOT_KEY,         /* One API key's bucket; id is the key's id. */
    SLOT_PROGRAM,     /* A program's bucket and its limits; id is the program's id. */
    SLOT_EXPENSIVE,   /* A program's expensive routes' bucket. */
    SLOT_SIGN_IN,     /* A client address's sign-ins; id is the address, dotted. */
    SLOT_PUBLISHABLE, /* A program's publishable keys together; id is the program's id. */
    SLOT_MEMBER,      /* One member's sessions; id is the member's id. */
    SLOT_MEMBERS,     /* A program's members' sessions together; id is the program's id. */
};

/* The publishable keys' bucket of a program. */
static const struct pt_rate_policy publishable_policy = {
    .per_second = PT_RATE_PUBLISHABLE_PER_SECOND_DEFAULT,
    .burst = PT_RATE_PUBLISHABLE_BURST_DEFAULT};

/* A member's sessions, and all the members' of a program. */
static const struct pt_rate_policy member_policy = {.per_second = PT_RATE_MEMBER_PER_SECOND_DEFAULT,
                                                    .burst = PT_RATE_MEMBER_BURST_DEFAULT};
static const struct pt_rate_policy members_policy = {
    .per_second = PT_RATE_MEMBERS_PER_SECOND_DEFAULT, .burst = PT_RATE_MEMBERS_BURST_DEFAULT};

struct slot {
    enum slot_kind kind;
    char id[PT_ID_BUF_BYTES];
    struct pt_rate_bucket bucket;
    int64_t used_us;              /* Monotonic; the least recently used is evicted first. */
    struct pt_rate_limits limits; /* SLOT_PROGRAM: the program's, effective. */
    int64_t limits_read_us;       /* SLOT_PROGRAM: when read from the store; 0 = to read. */
    uint64_t limits_changes;      /* SLOT_PROGRAM: changes through this process (forget). */
};

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot table[PT_RATE_BUCKET_SLOTS]; /* table_mu */

_Static_assert(PT_RATE_BUCKET_PROBES <= PT_RATE_BUCKET_SLOTS, "a probe window fits the table");

/* FNV-1a of the kind and the id. */
static size_t slot_hash(enum slot_kind kind, const char *id)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)kind;
    size_t i;
    for (i = 0; id[i] != '\0' && i < PT_ID_BUF_BYTES; i++) {
        h = (h ^ (uint8_t)id[i]) * 1099511628211ull;
    }
    return (size_t)(h % PT_RATE_BUCKET_SLOTS);
}

/* The slot of (kind, id), or NULL when it is not in the table. table_mu held. */
static struct slot *slot_find(enum slot_kind kind, const char *id)
{
    size_t start = slot_hash(kind, id);
    unsigned i;
    for (i = 0; i < PT_RATE_BUCKET_PROBES; i++) {
        struct slot *s = &table[(start + i) % PT_RATE_BUCKET_SLOTS];
        if (s->kind == kind && strcmp(s->id, id) == 0) {
            return s;
        }
    }
    return NULL;
}

/* The slot of (kind, id), made with a full bucket of policy p when absent: in an empty slot of
 * the probe window, else in place of its least recently used one. table_mu held. */
static struct slot *slot_get(enum slot_kind kind, const char *id, const struct pt_rate_policy *p,
                             int64_t now_us)
{
    size_t start = slot_hash(kind, id);
    struct slot *victim = NULL;
    unsigned i;
    for (i = 0; i < PT_RATE_BUCKET_PROBES; i++) {
        struct slot *s = &table[(start + i) % PT_RATE_BUCKET_SLOTS];
        if (s->kind == kind && strcmp(s->id, id) == 0) {
            s->used_us = now_us;
            return s;
        }
        if (victim == NULL) {
            victim = s;
        } else if (s->kind == SLOT_EMPTY) {
            if (victim->kind != SLOT_EMPTY) {
                victim = s; /* The first empty slot of the window. */
            }
        } else if (victim->kind != SLOT_EMPTY && s->used_us < victim->used_us) {
            victim = s; /* Older (the slots this request already holds are the newest). */
        }
    }
    pt_assert(victim != NULL);
    memset(victim, 0, sizeof(*victim));
    victim->kind = kind;
    (void)snprintf(victim->id, sizeof(victim->id), "%s", id);
    victim->used_us = now_us;
    pt_ratelimit_bucket_init(&victim->bucket, p, now_us);
    return victim;
}

/* ---- A program's limits ---- */

/* Copies the program's limits into *out when this process read them less than the TTL ago.
 * When they are older, the first request to see it reads them again (returns false) while the
 * others go on with them meanwhile: one store read a second, not one per thread. */
static bool limits_cached(const char *program_id, int64_t now_us, struct pt_rate_limits *out,
                          uint64_t *changes)
{
    struct slot *s;
    bool fresh = false;
    pthread_mutex_lock(&table_mu);
    s = slot_find(SLOT_PROGRAM, program_id);
    *changes = s != NULL ? s->limits_changes : 0;
    if (s != NULL && s->limits_read_us != 0) {
        *out = s->limits;
        fresh = now_us - s->limits_read_us < (int64_t)PT_RATE_POLICY_TTL_MS * 1000;
        if (!fresh) {
            s->limits_read_us = now_us; /* This request reads them again. */
        }
    }
    pthread_mutex_unlock(&table_mu);
    return fresh;
}

/* The caller's program's limits: cached, or read from the store. A store that cannot answer
 * leaves the last limits known (or the defaults): rate limiting never fails a request. */
static void limits_get(struct pt_http_ctx *ctx, int64_t now_us, struct pt_rate_limits *out)
{
    struct pt_program program;
    struct pt_err err;
    struct slot *s;
    uint64_t changes;
    if (limits_cached(ctx->who.program_id, now_us, out, &changes)) {
        return;
    }
    pt_err_clear(&err);
    memset(&program, 0, sizeof(program));
    if (pt_service_program_get(ctx->svc, &ctx->who, &ctx->arena, &program, &err) != PT_OK) {
        memset(&program.rate_limits, 0, sizeof(program.rate_limits));
    }
    pt_ratelimit_effective(&program.rate_limits, out);
    pthread_mutex_lock(&table_mu);
    s = slot_get(SLOT_PROGRAM, ctx->who.program_id, &out->program, now_us);
    if (err.rc == PT_OK || s->limits_read_us == 0) {
        s->limits = *out;
    } else {
        *out = s->limits; /* The store failed: keep what was known. */
    }
    /* A change made while this read was under way may be missing from it: read again. */
    s->limits_read_us = s->limits_changes == changes ? now_us : 0;
    pthread_mutex_unlock(&table_mu);
}

void pt_http_ratelimit_forget(const char *program_id)
{
    struct slot *s;
    pthread_mutex_lock(&table_mu);
    s = slot_find(SLOT_PROGRAM, program_id);
    if (s != NULL) {
        s->limits_read_us = 0;
        s->limits_changes++;
    }
    pthread_mutex_unlock(&table_mu);
}

/* ---- Admission ---- */

static const char *const bucket_names[PT_RATE_BUCKETS_PER_REQUEST_MAX] = {"key", "program",
                                                                          "expensive"};

/* The program's publishable bucket, alone: a publishable key's request. table_mu held. */
static unsigned publishable_bucket(const struct pt_http_ctx *ctx, int64_t now_us, bool create,
                                   struct pt_rate_bucket **buckets,
                                   const struct pt_rate_policy **policies)
{
    struct slot *s =
        create ? slot_get(SLOT_PUBLISHABLE, ctx->who.program_id, &publishable_policy, now_us)
               : slot_find(SLOT_PUBLISHABLE, ctx->who.program_id);
    if (s == NULL) {
        return 0;
    }
    buckets[0] = &s->bucket;
    policies[0] = &publishable_policy;
    return 1;
}

/* A member's session's buckets: its member's and its program's members'. table_mu held. */
static unsigned member_buckets(const struct pt_http_ctx *ctx, int64_t now_us, bool create,
                               struct pt_rate_bucket **buckets,
                               const struct pt_rate_policy **policies)
{
    static const enum slot_kind kinds[2] = {SLOT_MEMBER, SLOT_MEMBERS};
    const struct pt_rate_policy *const own[2] = {&member_policy, &members_policy};
    const char *ids[2];
    unsigned count = 0;
    unsigned i;
    ids[0] = ctx->who.key_id; /* A member's session: the member's id. */
    ids[1] = ctx->who.program_id;
    for (i = 0; i < 2; i++) {
        struct slot *s =
            create ? slot_get(kinds[i], ids[i], own[i], now_us) : slot_find(kinds[i], ids[i]);
        if (s != NULL) {
            buckets[count] = &s->bucket;
            policies[count] = own[i];
            count++;
        }
    }
    return count;
}

/* The request's buckets (key, program, and expensive when flagged; a publishable key's own; a
 * member's) and their policies. table_mu held. */
static unsigned buckets_of(const struct pt_http_ctx *ctx, int64_t now_us, bool create,
                           struct pt_rate_bucket **buckets, const struct pt_rate_policy **policies)
{
    static const enum slot_kind kinds[PT_RATE_BUCKETS_PER_REQUEST_MAX] = {SLOT_KEY, SLOT_PROGRAM,
                                                                          SLOT_EXPENSIVE};
    const char *ids[PT_RATE_BUCKETS_PER_REQUEST_MAX];
    unsigned n = ctx->rate.expensive ? 3 : 2;
    unsigned count = 0;
    unsigned i;
    if (ctx->who.role == PT_ROLE_PUBLISHABLE) {
        return publishable_bucket(ctx, now_us, create, buckets, policies);
    }
    if (ctx->who.role == PT_ROLE_MEMBER) {
        return member_buckets(ctx, now_us, create, buckets, policies);
    }
    ids[0] = ctx->who.key_id;
    ids[1] = ctx->who.program_id;
    ids[2] = ctx->who.program_id;
    policies[0] = &ctx->rate.limits.key;
    policies[1] = &ctx->rate.limits.program;
    policies[2] = &ctx->rate.limits.expensive;
    for (i = 0; i < n; i++) {
        struct slot *s =
            create ? slot_get(kinds[i], ids[i], policies[i], now_us) : slot_find(kinds[i], ids[i]);
        if (s != NULL) {
            buckets[count] = &s->bucket;
            policies[count] = policies[i];
            count++;
        }
    }
    return count;
}

/* Sign-ins are counted in tokens of a second: the bucket gains per_minute of them a second and
 * a sign-in costs 60, so that rates below one a second stay whole numbers. */
#define SIGN_IN_COST 60
_Static_assert((int64_t)PT_SIGN_IN_PER_MINUTE_MAX *SIGN_IN_COST <= PT_RATE_BURST_MAX,
               "a sign-in burst fits a bucket");
_Static_assert(PT_SIGN_IN_PER_MINUTE_MAX <= PT_RATE_PER_SECOND_MAX, "a sign-in rate fits");

/* A sign-in route's draw from its client address's bucket (docs/security.md): answers 429
 * rate_limited with Retry-After and returns false when the address made too many. */
static bool sign_in_admit(struct pt_http_ctx *ctx)
{
    unsigned per_minute = pt_http_sign_in_per_minute();
    struct pt_rate_policy policy = {.per_second = per_minute,
                                    .burst = (int64_t)(per_minute > PT_SIGN_IN_BURST_DEFAULT
                                                           ? per_minute
                                                           : PT_SIGN_IN_BURST_DEFAULT) *
                                             SIGN_IN_COST};
    const struct pt_rate_policy *policies[1] = {&policy};
    struct pt_rate_bucket *buckets[1];
    struct pt_rate_verdict verdict;
    const uint8_t *a = (const uint8_t *)&ctx->client_addr; /* Network order: a[0] first. */
    int64_t now_us = pt_clock_mono_us();
    char id[24];
    char value[24];
    (void)snprintf(id, sizeof(id), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    pthread_mutex_lock(&table_mu);
    buckets[0] = &slot_get(SLOT_SIGN_IN, id, &policy, now_us)->bucket;
    pt_ratelimit_take(buckets, policies, 1, SIGN_IN_COST, now_us, &verdict);
    pthread_mutex_unlock(&table_mu);
    if (verdict.allowed) {
        return true;
    }
    pt_http_reply_error(ctx, 429, "rate_limited", NULL,
                        "too many sign-ins from this address; retry after Retry-After seconds");
    (void)snprintf(value, sizeof(value), "%lld", (long long)verdict.retry_after_s);
    (void)pt_http_response_header(&ctx->resp, "Retry-After", value);
    return false;
}

/* A publishable key's draw from its program's publishable bucket: answers 429 and returns
 * false when the program's pages used it up. */
static bool publishable_admit(struct pt_http_ctx *ctx, int64_t now_us)
{
    struct pt_rate_bucket *buckets[1];
    const struct pt_rate_policy *policies[1];
    char message[200];
    unsigned n;
    pthread_mutex_lock(&table_mu);
    n = publishable_bucket(ctx, now_us, true, buckets, policies);
    pt_assert(n == 1);
    pt_ratelimit_take(buckets, policies, n, 1, now_us, &ctx->rate.verdict);
    pthread_mutex_unlock(&table_mu);
    ctx->rate.checked = true;
    if (ctx->rate.verdict.allowed) {
        return true;
    }
    (void)snprintf(message, sizeof(message),
                   "over the rate limit of the program's publishable keys (%d a second, burst "
                   "%d); retry after %lld s",
                   PT_RATE_PUBLISHABLE_PER_SECOND_DEFAULT, PT_RATE_PUBLISHABLE_BURST_DEFAULT,
                   (long long)ctx->rate.verdict.retry_after_s);
    pt_http_reply_error(ctx, 429, "rate_limited", NULL, message);
    return false;
}

bool pt_http_ratelimit_admit(struct pt_http_ctx *ctx, const struct pt_route *route)
{
    struct pt_rate_bucket *buckets[PT_RATE_BUCKETS_PER_REQUEST_MAX];
    const struct pt_rate_policy *policies[PT_RATE_BUCKETS_PER_REQUEST_MAX];
    const struct pt_rate_policy *refused;
    int64_t now_us;
    unsigned n;
    char message[200];
    if ((route->flags & PT_ROUTE_SIGN_IN) && !sign_in_admit(ctx)) {
        return false;
    }
    if (!ctx->has_who ||
        ((route->flags & PT_ROUTE_PUBLIC) && ctx->who.role != PT_ROLE_PUBLISHABLE)) {
        return true; /* No key, no bucket: the edge's connection limits apply. */
    }
    now_us = pt_clock_mono_us();
    if (ctx->who.role == PT_ROLE_PUBLISHABLE) {
        return publishable_admit(ctx, now_us);
    }
    limits_get(ctx, now_us, &ctx->rate.limits);
    ctx->rate.expensive = (route->flags & PT_ROUTE_EXPENSIVE) != 0;
    pthread_mutex_lock(&table_mu);
    n = buckets_of(ctx, now_us, true, buckets, policies);
    pt_assert(ctx->who.role == PT_ROLE_MEMBER ? n == 2u : n == (ctx->rate.expensive ? 3u : 2u));
    pt_ratelimit_take(buckets, policies, n, 1, now_us, &ctx->rate.verdict);
    pthread_mutex_unlock(&table_mu);
    ctx->rate.checked = true;
    if (ctx->rate.verdict.allowed) {
        return true;
    }
    refused = policies[ctx->rate.verdict.bucket_index];
    if (ctx->who.role == PT_ROLE_MEMBER) {
        (void)snprintf(message, sizeof(message),
                       "over the rate limit of %s (%lld a second, burst %lld); retry after %lld s",
                       ctx->rate.verdict.bucket_index == 0 ? "a member"
                                                           : "the program's members together",
                       (long long)refused->per_second, (long long)refused->burst,
                       (long long)ctx->rate.verdict.retry_after_s);
    } else {
        (void)snprintf(message, sizeof(message),
                       "over the rate limit of the %s (rate_limits.%s: %lld a second, burst "
                       "%lld); retry after %lld s",
                       ctx->rate.verdict.bucket_index == 0 ? "API key" : "program",
                       bucket_names[ctx->rate.verdict.bucket_index], (long long)refused->per_second,
                       (long long)refused->burst, (long long)ctx->rate.verdict.retry_after_s);
    }
    pt_http_reply_error(ctx, 429, "rate_limited", NULL, message);
    return false;
}

void pt_http_ratelimit_charge(struct pt_http_ctx *ctx, int64_t units)
{
    struct pt_rate_bucket *buckets[PT_RATE_BUCKETS_PER_REQUEST_MAX];
    const struct pt_rate_policy *policies[PT_RATE_BUCKETS_PER_REQUEST_MAX];
    int64_t cost = pt_ratelimit_eval_cost(units);
    int64_t now_us;
    unsigned n;
    unsigned i;
    if (!ctx->rate.checked || cost == 0) {
        return;
    }
    now_us = pt_clock_mono_us();
    pthread_mutex_lock(&table_mu);
    n = buckets_of(ctx, now_us, false, buckets, policies);
    /* An expensive route's evaluations (carts, simulations) are owed by the program's
     * expensive bucket alone: a large simulation's debt waits out there, and does not stop the
     * program's tills. Purchases and activities owe their key's and their program's. */
    for (i = ctx->rate.expensive && n == 3 ? 2 : 0; i < n; i++) {
        pt_ratelimit_charge(buckets[i], policies[i], cost, now_us);
    }
    pthread_mutex_unlock(&table_mu);
    /* The headers tell what is left after this request. */
    ctx->rate.verdict.remaining =
        ctx->rate.verdict.remaining > cost ? ctx->rate.verdict.remaining - cost : 0;
}

void pt_http_ratelimit_headers(const struct pt_http_ctx *ctx, struct pt_http_response *resp)
{
    char value[24];
    const struct pt_rate_verdict *v = &ctx->rate.verdict;
    if (!ctx->rate.checked) {
        return;
    }
    /* The header block has room for these (a failure would only lose a header). */
    (void)snprintf(value, sizeof(value), "%lld", (long long)v->limit);
    (void)pt_http_response_header(resp, "RateLimit-Limit", value);
    (void)snprintf(value, sizeof(value), "%lld", (long long)v->remaining);
    (void)pt_http_response_header(resp, "RateLimit-Remaining", value);
    (void)snprintf(value, sizeof(value), "%lld", (long long)v->reset_s);
    (void)pt_http_response_header(resp, "RateLimit-Reset", value);
    if (!v->allowed) {
        (void)snprintf(value, sizeof(value), "%lld", (long long)v->retry_after_s);
        (void)pt_http_response_header(resp, "Retry-After", value);
    }
}

/* ---- The program setting `rate_limits` ---- */

json_t *pt_http_rate_limits_json(const struct pt_rate_limits *stored)
{
    struct pt_rate_limits l;
    pt_ratelimit_effective(stored, &l);
    return json_pack("{s:{s:I,s:I},s:{s:I,s:I},s:{s:I,s:I}}", "key", "per_second",
                     (json_int_t)l.key.per_second, "burst", (json_int_t)l.key.burst, "program",
                     "per_second", (json_int_t)l.program.per_second, "burst",
                     (json_int_t)l.program.burst, "expensive", "per_second",
                     (json_int_t)l.expensive.per_second, "burst", (json_int_t)l.expensive.burst);
}

/* One bucket's setting, merged: absent fields keep their value, null ones the default (0). */
static enum pt_rc policy_parse(json_t *v, const char *name, struct pt_rate_policy *p,
                               struct pt_err *err)
{
    static const char *const fields[] = {"per_second", "burst", NULL};
    char field[128];
    enum pt_rc rc;
    if (json_is_null(v)) {
        memset(p, 0, sizeof(*p));
        return PT_OK;
    }
    (void)snprintf(field, sizeof(field), "rate_limits.%s", name);
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, field, "%s is null or {\"per_second\": N, \"burst\": N}",
                          field);
    }
    rc = pt_json_check_fields(v, fields, err);
    if (rc != PT_OK) {
        (void)snprintf(field, sizeof(field), "rate_limits.%s.%s", name, err->field);
        return pt_err_set(err, PT_EINVAL, field, "unknown field '%s'", field);
    }
    if (json_is_null(json_object_get(v, "per_second"))) {
        p->per_second = 0;
    }
    if (json_is_null(json_object_get(v, "burst"))) {
        p->burst = 0;
    }
    (void)snprintf(field, sizeof(field), "rate_limits.%s.per_second", name);
    rc = pt_json_get_int(v, "per_second", field, false, 1, PT_RATE_PER_SECOND_MAX, &p->per_second,
                         NULL, err);
    if (rc == PT_OK) {
        (void)snprintf(field, sizeof(field), "rate_limits.%s.burst", name);
        rc = pt_json_get_int(v, "burst", field, false, 1, PT_RATE_BURST_MAX, &p->burst, NULL, err);
    }
    return rc;
}

enum pt_rc pt_http_rate_limits_parse(json_t *v, struct pt_rate_limits *l, struct pt_err *err)
{
    struct pt_rate_policy *policies[PT_RATE_BUCKETS_PER_REQUEST_MAX] = {&l->key, &l->program,
                                                                        &l->expensive};
    static const char *const fields[] = {"key", "program", "expensive", NULL};
    enum pt_rc rc = PT_OK;
    unsigned i;
    if (json_is_null(v)) {
        memset(l, 0, sizeof(*l)); /* Every limit back to its default. */
        return PT_OK;
    }
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "rate_limits",
                          "rate_limits is {\"key\": {\"per_second\": N, \"burst\": N}, "
                          "\"program\": {...}, \"expensive\": {...}}");
    }
    if (pt_json_check_fields(v, fields, err) != PT_OK) {
        char field[128];
        (void)snprintf(field, sizeof(field), "rate_limits.%s", err->field);
        return pt_err_set(err, PT_EINVAL, field, "unknown field '%s'", field);
    }
    for (i = 0; rc == PT_OK && fields[i] != NULL; i++) {
        json_t *p = json_object_get(v, fields[i]);
        if (p != NULL) {
            rc = policy_parse(p, fields[i], policies[i], err);
        }
    }
    return rc;
}
