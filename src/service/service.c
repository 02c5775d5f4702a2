/* SPDX-License-Identifier: MIT */
/*
 * The service handle: opening and closing it over a store, its settings, the test clock of each
 * program, the ids it draws, and the jobs that run in pages over every program. Randomness and
 * the clock are read here and handed to core.
 */
#include "service/service_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/random.h"
#include "core/codes.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum pt_rc pt_service_open(const char *db_path, unsigned read_conns, enum pt_store_open_mode mode,
                           struct pt_service **out, struct pt_err *err)
{
    struct pt_service *svc;
    enum pt_rc rc = pt_random_init(err);
    *out = NULL;
    if (rc != PT_OK) {
        return rc;
    }
    svc = pt_calloc(1, sizeof(*svc));
    if (svc == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    rc = pt_store_open(db_path, read_conns, mode, &svc->store, err);
    if (rc != PT_OK) {
        pt_free(svc);
        return rc;
    }
    pthread_mutex_init(&svc->key_cache_mu, NULL);
    pthread_mutex_init(&svc->rules_mu, NULL);
    pthread_mutex_init(&svc->session_cache_mu, NULL);
    atomic_init(&svc->hashes_running, 0);
    svc->hashes_max = pt_svc_hashes_max();
    *out = svc;
    return PT_OK;
}

void pt_service_close(struct pt_service *svc)
{
    if (svc == NULL) {
        return;
    }
    pt_store_close(svc->store);
    pthread_mutex_destroy(&svc->key_cache_mu);
    pthread_mutex_destroy(&svc->session_cache_mu);
    pt_svc_rules_cache_fini(svc);
    pthread_mutex_destroy(&svc->rules_mu);
    if (svc->test_clocks != NULL) {
        pthread_mutex_destroy(&svc->test_clock_mu);
        pt_free(svc->test_clocks);
    }
    pt_free(svc);
}

int pt_service_version_found(const struct pt_service *svc)
{
    return pt_store_version_found(svc->store);
}

enum pt_rc pt_service_ping(struct pt_service *svc, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    pt_store_read_end(txn);
    return rc;
}

void pt_service_statement_count(struct pt_service *svc, int64_t *statements, int64_t *txn_control)
{
    struct pt_store_statement_count count;
    pt_store_statement_count(svc->store, &count);
    *statements = count.statements;
    *txn_control = count.txn_control;
}

void pt_service_set_min_free(struct pt_service *svc, int64_t bytes)
{
    pt_store_set_min_free(svc->store, bytes);
}

void pt_service_set_max_write_wait(struct pt_service *svc, int64_t ms)
{
    pt_store_set_max_wait(svc->store, ms);
}

void pt_service_set_encoders(struct pt_service *svc, const struct pt_encoders *enc)
{
    svc->enc = *enc;
}

bool pt_service_encoders_set(const struct pt_service *svc)
{
    return svc->enc.member != NULL;
}

/* ---- The test clock, one per program ---- */

enum pt_rc pt_service_enable_test_clock(struct pt_service *svc, struct pt_err *err)
{
    pt_assert(svc->test_clocks == NULL);
    svc->test_clocks = pt_calloc(PT_TEST_CLOCKS_MAX, sizeof(*svc->test_clocks));
    if (svc->test_clocks == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    pthread_mutex_init(&svc->test_clock_mu, NULL);
    svc->test_clock_enabled = true;
    return PT_OK;
}

bool pt_service_test_clock_enabled(const struct pt_service *svc)
{
    return svc->test_clock_enabled;
}

/* The slot of program_id among the clocks set, or -1. Called with test_clock_mu held. */
static int test_clock_find(const struct pt_service *svc, const char *program_id)
{
    unsigned i;
    pt_assert(svc->test_clock_count <= PT_TEST_CLOCKS_MAX);
    for (i = 0; i < svc->test_clock_count; i++) {
        if (strcmp(svc->test_clocks[i].program_id, program_id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

enum pt_rc pt_service_test_clock_set(struct pt_service *svc, const char *program_id, int64_t now_ms,
                                     struct pt_err *err)
{
    enum pt_rc rc = PT_OK;
    int slot;
    if (!svc->test_clock_enabled) {
        return pt_err_set(err, PT_ENOTFOUND, NULL, "no such route");
    }
    if (now_ms <= 0) {
        return pt_err_set(err, PT_EINVAL, "now", "now must be later than 1970-01-01T00:00:00Z");
    }
    pt_assert(strlen(program_id) < PT_ID_BUF_BYTES);
    pthread_mutex_lock(&svc->test_clock_mu);
    slot = test_clock_find(svc, program_id);
    if (slot < 0 && svc->test_clock_count < PT_TEST_CLOCKS_MAX) {
        slot = (int)svc->test_clock_count++;
        (void)snprintf(svc->test_clocks[slot].program_id, PT_ID_BUF_BYTES, "%s", program_id);
    }
    if (slot >= 0) {
        svc->test_clocks[slot].now_ms = now_ms;
    } else {
        rc = pt_err_set(err, PT_ELIMIT, NULL, "at most %d programs have a test clock",
                        PT_TEST_CLOCKS_MAX);
    }
    pthread_mutex_unlock(&svc->test_clock_mu);
    return rc;
}

int64_t pt_svc_now_ms(struct pt_service *svc, const char *program_id)
{
    int64_t t = 0;
    if (svc->test_clock_enabled && program_id != NULL) {
        int slot;
        pthread_mutex_lock(&svc->test_clock_mu);
        slot = test_clock_find(svc, program_id);
        t = slot >= 0 ? svc->test_clocks[slot].now_ms : 0;
        pthread_mutex_unlock(&svc->test_clock_mu);
    }
    return t > 0 ? t : pt_clock_now_ms();
}

int64_t pt_service_now_ms(struct pt_service *svc, const char *program_id)
{
    return pt_svc_now_ms(svc, program_id);
}

/*
 * The one piece of process-wide state of the service: ids of one process are strictly
 * increasing, also within one millisecond (the time part is kept and the random part counts
 * up, as monotonic ULIDs do), so that "newest first" lists are exact.
 */
static pthread_mutex_t id_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t id_last_ms;
static uint8_t id_last_random[10];

void pt_svc_new_id(const char *prefix, int64_t now_ms, char *out)
{
    uint8_t random10[10];
    int i;
    pthread_mutex_lock(&id_mu);
    if (now_ms <= id_last_ms) {
        now_ms = id_last_ms;
        for (i = 9; i >= 0; i--) {
            if (++id_last_random[i] != 0) {
                break; /* No carry further. */
            }
        }
    } else {
        pt_random_bytes(id_last_random, sizeof(id_last_random));
        id_last_random[0] &= 0x7f; /* Room to count up within the millisecond. */
        id_last_ms = now_ms;
    }
    memcpy(random10, id_last_random, sizeof(random10));
    pthread_mutex_unlock(&id_mu);
    pt_id_format(prefix, now_ms, random10, out);
}

/* ---- Jobs in pages ---- */

enum pt_rc pt_svc_job_rounds(struct pt_service *svc, const char *program_id, unsigned rounds_max,
                             pt_store_write_fn fn, void *ctx, const char **ctx_program_id,
                             struct pt_arena **ctx_arena, bool *ctx_more, struct pt_err *err)
{
    char(*ids)[PT_ID_BUF_BYTES] = NULL;
    unsigned count = 0;
    unsigned p;
    struct pt_arena arena;
    enum pt_rc rc = PT_OK;
    pt_arena_init(&arena, PT_REQUEST_ARENA_BYTES_MAX);
    if (program_id != NULL) {
        ids = pt_arena_alloc(&arena, PT_ID_BUF_BYTES);
        if (ids == NULL) {
            rc = pt_arena_err(&arena, err); /* Written below. */
            pt_arena_fini(&arena);
            return rc;
        }
        (void)snprintf(ids[0], PT_ID_BUF_BYTES, "%s", program_id);
        count = 1;
    } else {
        struct pt_store_txn *txn = NULL;
        rc = pt_store_read_begin(svc->store, &txn, err);
        if (rc == PT_OK) {
            rc = pt_store_program_ids(txn, &arena, PT_PROGRAMS_MAX, &ids, &count, err);
            pt_store_read_end(txn);
        }
    }
    for (p = 0; rc == PT_OK && p < count; p++) {
        unsigned rounds;
        *ctx_program_id = ids[p];
        *ctx_more = true;
        /* Pages, each in its own write, so that a big run does not hold the writer. */
        for (rounds = 0; rc == PT_OK && *ctx_more && rounds < rounds_max; rounds++) {
            struct pt_arena round_arena;
            pt_arena_init(&round_arena, PT_REQUEST_ARENA_BYTES_MAX);
            *ctx_arena = &round_arena;
            rc = pt_store_write(svc->store, fn, ctx, err);
            *ctx_arena = NULL;
            pt_arena_fini(&round_arena);
        }
    }
    pt_arena_fini(&arena);
    return rc;
}
