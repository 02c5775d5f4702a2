/* SPDX-License-Identifier: MIT */
/*
 * The use cases of the foundation: programs, API keys and members. Each write runs in one store
 * transaction, including its idempotency record, so that a retried request either replays the
 * committed answer or applies once. Randomness and the clock are read here and handed to core.
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

enum pt_rc pt_svc_event(struct pt_service *svc, struct pt_store_txn *txn, const char *program_id,
                        const char *type, const char *member_id, pt_encode_fn encode,
                        const void *obj, int64_t now_ms, struct pt_arena *arena,
                        struct pt_idem *idem, struct pt_err *err)
{
    struct pt_event event;
    enum pt_rc rc = PT_OK;
    (void)svc;
    memset(&event, 0, sizeof(event));
    pt_svc_new_id("evt", now_ms, event.id);
    event.type = type;
    event.member_id = member_id;
    event.created_at_ms = now_ms;
    event.payload_json = "{}";
    if (encode != NULL) {
        rc = encode(obj, arena, &event.payload_json, err);
        if (rc == PT_OK && idem != NULL) {
            idem->body = event.payload_json;
        }
    }
    if (rc != PT_OK) {
        return rc;
    }
    return pt_store_event_append(txn, program_id, &event, err);
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

/* ---- Idempotency ---- */

/* Looks the key up in txn. PT_OK with idem->replayed set when it was seen with the same request;
 * PT_ECONFLICT "idempotency_conflict" when with another; PT_OK and not replayed when new. */
enum pt_rc pt_svc_idem_check(struct pt_store_txn *txn, const char *program_id, struct pt_idem *idem,
                             int64_t now_ms, struct pt_arena *arena, struct pt_err *err)
{
    enum pt_rc rc;
    if (idem == NULL) {
        return PT_OK;
    }
    idem->replayed = false;
    if (idem->key == NULL) {
        return PT_OK;
    }
    rc = pt_store_idem_get(txn, program_id, idem->key, now_ms, arena, &idem->record, err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return PT_OK;
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (memcmp(idem->record.request_hash, idem->request_hash, 32) != 0) {
        (void)pt_err_set(err, PT_ECONFLICT, NULL,
                         "this Idempotency-Key was used with a different request");
        return pt_err_code(err, "idempotency_conflict");
    }
    idem->replayed = true;
    return PT_OK;
}

/* Stores the encoded result under the key, inside txn. */
enum pt_rc pt_svc_idem_record(struct pt_store_txn *txn, const char *program_id,
                              struct pt_idem *idem, const void *result, const char *ref_id,
                              int64_t now_ms, struct pt_arena *arena, struct pt_err *err)
{
    struct pt_idem_record rec;
    enum pt_rc rc;
    if (idem == NULL || idem->key == NULL) {
        return PT_OK;
    }
    pt_assert(idem->encode != NULL);
    memcpy(rec.request_hash, idem->request_hash, 32);
    rec.status = idem->status;
    rec.created_at_ms = now_ms;
    rec.ref_id = ref_id;
    if (idem->body != NULL) {
        rec.body = idem->body; /* Encoded once already, for the event. */
    } else {
        rc = idem->encode(idem->encode_ctx, result, arena, &rec.body, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return pt_store_idem_put(txn, program_id, idem->key, &rec, err);
}

/* ---- Programs and keys ---- */

static enum pt_rc validate_key_name(const char *name, struct pt_err *err)
{
    return pt_validate_text("name", name, PT_KEY_NAME_BYTES_MAX, err);
}

static void key_make(const char *program_id, const char *name, enum pt_role role, int64_t now_ms,
                     struct pt_key_created *out)
{
    uint8_t random32[PT_API_KEY_RANDOM_BYTES];
    memset(out, 0, sizeof(*out));
    pt_random_bytes(random32, sizeof(random32));
    pt_api_key_format(random32, out->secret);
    pt_hash32(out->secret, PT_API_KEY_BYTES, out->key.hash);
    pt_svc_new_id("key", now_ms, out->key.id);
    (void)snprintf(out->key.program_id, sizeof(out->key.program_id), "%s", program_id);
    (void)snprintf(out->key.prefix, sizeof(out->key.prefix), "%.12s", out->secret);
    out->key.name = name;
    out->key.role = role;
    out->key.created_at_ms = now_ms;
    out->key.revoked_at_ms = 0;
}

static bool is_currency_code(const char *s)
{
    return strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
           s[2] >= 'A' && s[2] <= 'Z';
}

struct program_create_ctx {
    const struct pt_program *program;
    const struct pt_key_created *key;
};

static enum pt_rc program_create_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct program_create_ctx *ctx = arg;
    enum pt_rc rc = pt_store_program_insert(txn, ctx->program, err);
    if (rc == PT_OK) {
        rc = pt_store_key_insert(txn, &ctx->key->key, err);
    }
    return rc;
}

enum pt_rc pt_service_program_create(struct pt_service *svc, const char *name, const char *currency,
                                     struct pt_arena *arena, struct pt_program *program,
                                     struct pt_key_created *key, struct pt_err *err)
{
    struct program_create_ctx ctx;
    int64_t now_ms = pt_svc_now_ms(svc, NULL);
    enum pt_rc rc = pt_validate_text("name", name, PT_PROGRAM_NAME_BYTES_MAX, err);
    (void)arena;
    if (rc != PT_OK) {
        return rc;
    }
    if (!is_currency_code(currency)) {
        return pt_err_set(err, PT_EINVAL, "currency",
                          "currency must be an ISO 4217 code of three upper-case letters");
    }
    memset(program, 0, sizeof(*program));
    pt_svc_new_id("prg", now_ms, program->id);
    program->name = name;
    (void)snprintf(program->currency, sizeof(program->currency), "%s", currency);
    program->created_at_ms = now_ms;
    /* A new program holds what a return may take back (issue 16): the columns' defaults
     * (migration 16) say the same, and the insert leaves them to the database. */
    program->return_days = PT_RETURN_DAYS_DEFAULT;
    program->hold_returnable = true;
    key_make(program->id, "first admin key", PT_ROLE_ADMIN, now_ms, key);
    ctx.program = program;
    ctx.key = key;
    return pt_store_write(svc->store, program_create_txn, &ctx, err);
}

enum pt_rc pt_service_require_empty(struct pt_service *svc, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    int64_t count = 0;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_program_count(txn, &count, err);
    pt_store_read_end(txn);
    if (rc == PT_OK && count > 0) {
        rc = pt_err_set(err, PT_ECONFLICT, NULL,
                        "the database already holds %lld program(s); add one with "
                        "`patron program create NAME`",
                        (long long)count);
    }
    return rc;
}

static struct pt_key_cache_slot *key_cache_slot(struct pt_service *svc, const uint8_t *hash)
{
    return &svc->key_cache[(hash[0] | (unsigned)hash[1] << 8) % PT_KEY_CACHE_SLOTS];
}

/* Looks the key up; on a miss, *generation is what key_cache_put must be given. */
static bool key_cache_get(struct pt_service *svc, const uint8_t *hash, struct pt_principal *out,
                          uint64_t *generation)
{
    struct pt_key_cache_slot *slot = key_cache_slot(svc, hash);
    bool hit;
    pthread_mutex_lock(&svc->key_cache_mu);
    *generation = svc->key_cache_generation;
    hit = slot->expires_us > pt_clock_mono_us() &&
          memcmp(slot->hash, hash, PT_API_KEY_HASH_BYTES) == 0;
    if (hit) {
        *out = slot->who;
    }
    pthread_mutex_unlock(&svc->key_cache_mu);
    return hit;
}

/* Remembers a key read from the store, unless a revocation cleared the cache since the read
 * began (the read may predate it). */
static void key_cache_put(struct pt_service *svc, const uint8_t *hash,
                          const struct pt_principal *who, uint64_t generation)
{
    struct pt_key_cache_slot *slot = key_cache_slot(svc, hash);
    pthread_mutex_lock(&svc->key_cache_mu);
    if (generation != svc->key_cache_generation) {
        pthread_mutex_unlock(&svc->key_cache_mu);
        return;
    }
    memcpy(slot->hash, hash, PT_API_KEY_HASH_BYTES);
    slot->who = *who;
    slot->expires_us = pt_clock_mono_us() + (int64_t)PT_KEY_CACHE_TTL_MS * 1000;
    pthread_mutex_unlock(&svc->key_cache_mu);
}

static void key_cache_clear(struct pt_service *svc)
{
    pthread_mutex_lock(&svc->key_cache_mu);
    memset(svc->key_cache, 0, sizeof(svc->key_cache));
    svc->key_cache_generation++;
    pthread_mutex_unlock(&svc->key_cache_mu);
}

enum pt_rc pt_service_authenticate(struct pt_service *svc, const char *secret, size_t secret_len,
                                   struct pt_arena *arena, struct pt_principal *out,
                                   struct pt_err *err)
{
    uint8_t hash[PT_API_KEY_HASH_BYTES];
    struct pt_store_txn *txn = NULL;
    struct pt_api_key key;
    uint64_t generation;
    enum pt_rc rc;
    if (!pt_api_key_is_valid(secret, secret_len)) {
        return pt_err_set(err, PT_EAUTH, NULL, "the API key is missing, unknown or revoked");
    }
    pt_hash32(secret, secret_len, hash);
    if (key_cache_get(svc, hash, out, &generation)) {
        return PT_OK;
    }
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_key_find_by_hash(txn, hash, arena, &key, err);
    pt_store_read_end(txn);
    if (rc == PT_ENOTFOUND) {
        return pt_err_set(err, PT_EAUTH, NULL, "the API key is missing, unknown or revoked");
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_assert(memcmp(key.hash, hash, sizeof(hash)) == 0);
    memcpy(out->program_id, key.program_id, sizeof(out->program_id));
    memcpy(out->key_id, key.id, sizeof(out->key_id));
    out->role = key.role;
    key_cache_put(svc, hash, out, generation);
    return PT_OK;
}

struct key_create_ctx {
    const struct pt_principal *who;
    struct pt_idem *idem;
    struct pt_key_created *out;
    struct pt_arena *arena;
    int64_t now_ms;
};

static enum pt_rc key_create_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct key_create_ctx *ctx = arg;
    enum pt_rc rc =
        pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    if (rc != PT_OK || (ctx->idem != NULL && ctx->idem->replayed)) {
        return rc;
    }
    rc = pt_store_key_insert(txn, &ctx->out->key, err);
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, ctx->who->program_id, ctx->idem, ctx->out, ctx->out->key.id,
                                ctx->now_ms, ctx->arena, err);
    }
    return rc;
}

enum pt_rc pt_service_key_create(struct pt_service *svc, const struct pt_principal *who,
                                 const char *name, enum pt_role role, struct pt_idem *idem,
                                 struct pt_arena *arena, struct pt_key_created *out,
                                 struct pt_err *err)
{
    struct key_create_ctx ctx = {who, idem, out, arena, pt_svc_now_ms(svc, who->program_id)};
    enum pt_rc rc = validate_key_name(name, err);
    if (rc != PT_OK) {
        return rc;
    }
    key_make(who->program_id, name, role, ctx.now_ms, out);
    return pt_store_write(svc->store, key_create_txn, &ctx, err);
}

enum pt_rc pt_service_key_list(struct pt_service *svc, const struct pt_principal *who,
                               const char *cursor_id, unsigned limit, struct pt_arena *arena,
                               struct pt_api_key **out, unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_key_list(txn, who->program_id, cursor_id, limit, arena, out, count, err);
    pt_store_read_end(txn);
    return rc;
}

struct key_revoke_ctx {
    const struct pt_principal *who;
    const char *key_id;
    int64_t now_ms;
};

static enum pt_rc key_revoke_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct key_revoke_ctx *ctx = arg;
    int64_t admins = 0;
    enum pt_rc rc = pt_store_key_revoke(txn, ctx->who->program_id, ctx->key_id, ctx->now_ms, err);
    if (rc == PT_OK) {
        rc = pt_store_key_count_admins(txn, ctx->who->program_id, &admins, err);
    }
    if (rc == PT_OK && admins == 0) {
        (void)pt_err_set(err, PT_ECONFLICT, NULL,
                         "this is the program's last admin key; create another admin key first");
        rc = pt_err_code(err, "last_admin_key");
    }
    return rc;
}

enum pt_rc pt_service_key_revoke(struct pt_service *svc, const struct pt_principal *who,
                                 const char *key_id, struct pt_err *err)
{
    struct key_revoke_ctx ctx = {who, key_id, pt_svc_now_ms(svc, who->program_id)};
    enum pt_rc rc = pt_store_write(svc->store, key_revoke_txn, &ctx, err);
    /* Emptied after the revocation is committed, so no request can cache the key again. */
    key_cache_clear(svc);
    return rc;
}

/* ---- Members ---- */

/* Draws the member's id, card number and referral code. */
static void member_draw_codes(struct pt_member *m, int64_t now_ms)
{
    uint8_t random15[15];
    uint8_t random5[5];
    pt_svc_new_id("mem", now_ms, m->id);
    pt_random_bytes(random15, sizeof(random15));
    pt_card_number_format(random15, m->card_number);
    pt_random_bytes(random5, sizeof(random5));
    pt_referral_code_format(random5, m->referral_code);
}

static bool is_code_collision(const struct pt_err *err)
{
    return err->rc == PT_ECONFLICT &&
           (strcmp(err->field, "card_number") == 0 || strcmp(err->field, "referral_code") == 0 ||
            strcmp(err->field, "id") == 0);
}

struct member_create_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    struct pt_member *m;
    const char *referred_by;
    struct pt_idem *idem;
    struct pt_arena *arena;
    int64_t now_ms;
};

static enum pt_rc member_create_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct member_create_ctx *ctx = arg;
    char referrer_id[PT_ID_BUF_BYTES] = "";
    enum pt_rc rc =
        pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    int draw;
    if (rc != PT_OK || (ctx->idem != NULL && ctx->idem->replayed)) {
        return rc;
    }
    if (ctx->referred_by != NULL) {
        /* Before the insert, so that a self-referral is refused as one and not as a taken
         * email or phone. */
        rc = pt_svc_referral_check(txn, ctx->who->program_id, ctx->m, ctx->referred_by, referrer_id,
                                   ctx->arena, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    /* A random card number or referral code may already be taken: draw again, a bounded number
     * of times (the failed INSERT leaves the transaction usable). */
    for (draw = 0; draw < PT_UNIQUE_DRAWS_MAX; draw++) {
        member_draw_codes(ctx->m, ctx->now_ms);
        rc = pt_store_member_insert(txn, ctx->m, err);
        if (rc != PT_ECONFLICT || !is_code_collision(err)) {
            break;
        }
        pt_err_clear(err);
    }
    if (rc == PT_OK && ctx->referred_by != NULL) {
        rc = pt_svc_referral_record(txn, ctx->who->program_id, ctx->m, referrer_id, ctx->now_ms,
                                    err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, ctx->who->program_id, "member.created", ctx->m->id,
                          ctx->svc->enc.member, ctx->m, ctx->now_ms, ctx->arena, ctx->idem, err);
    }
    if (rc == PT_OK) {
        /* The program's enrollment rules (a welcome bonus), in the same transaction. */
        struct pt_program program;
        struct pt_cart_answer answer;
        char entry_id[PT_ID_BUF_BYTES];
        rc = pt_store_program_get(txn, ctx->who->program_id, ctx->arena, &program, err);
        if (rc == PT_OK) {
            rc = pt_svc_rules_award(ctx->svc, txn, &program, ctx->m, PT_TRIGGER_ENROLLMENT, NULL,
                                    "enrollment", ctx->m->id, ctx->now_ms, ctx->now_ms,
                                    ctx->who->key_id, ctx->arena, &answer, entry_id, err);
        }
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, ctx->who->program_id, ctx->idem, ctx->m, ctx->m->id,
                                ctx->now_ms, ctx->arena, err);
    }
    return rc;
}

enum pt_rc pt_service_member_create(struct pt_service *svc, const struct pt_principal *who,
                                    struct pt_member *m, const char *referred_by,
                                    struct pt_idem *idem, struct pt_arena *arena,
                                    struct pt_err *err)
{
    struct member_create_ctx ctx = {
        svc, who, m, referred_by, idem, arena, pt_svc_now_ms(svc, who->program_id)};
    enum pt_rc rc;
    pt_assert(m->attributes_json != NULL);
    rc = pt_member_validate(m, ctx.now_ms, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)snprintf(m->program_id, sizeof(m->program_id), "%s", who->program_id);
    m->status = PT_MEMBER_ACTIVE;
    m->enrolled_at_ms = ctx.now_ms;
    m->updated_at_ms = ctx.now_ms;
    m->version = 1;
    return pt_store_write(svc->store, member_create_txn, &ctx, err);
}

enum pt_rc pt_service_member_get(struct pt_service *svc, const struct pt_principal *who,
                                 const char *member_id, struct pt_arena *arena,
                                 struct pt_member *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_member_get(txn, who->program_id, member_id, arena, out, err);
    pt_store_read_end(txn);
    if (rc == PT_ENOTFOUND) {
        (void)pt_err_set(err, PT_ENOTFOUND, NULL, "no member %s", member_id);
    }
    return rc;
}

/* The member of the program, or PT_ENOTFOUND naming it. */
static enum pt_rc member_get(struct pt_store_txn *txn, const char *program_id,
                             const char *member_id, struct pt_arena *arena, struct pt_member *out,
                             struct pt_err *err)
{
    enum pt_rc rc = pt_store_member_get(txn, program_id, member_id, arena, out, err);
    if (rc == PT_ENOTFOUND) {
        return pt_err_set(err, PT_ENOTFOUND, NULL, "no member %s", member_id);
    }
    return rc;
}

struct member_change_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const char *member_id;
    pt_member_change_fn change;
    void *change_ctx;
    struct pt_arena *arena;
    struct pt_member *out;
    int64_t now_ms;
};

static enum pt_rc member_change_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct member_change_ctx *ctx = arg;
    struct pt_member current;
    enum pt_rc rc =
        member_get(txn, ctx->who->program_id, ctx->member_id, ctx->arena, &current, err);
    if (rc != PT_OK) {
        return rc;
    }
    /* A closed member's profile and status change only by an explicit reopen. */
    rc = pt_member_require_open(&current, err);
    if (rc != PT_OK) {
        return rc;
    }
    *ctx->out = current;
    rc = ctx->change(ctx->change_ctx, &current, ctx->out, ctx->arena, err);
    if (rc == PT_OK) {
        rc = pt_member_validate(ctx->out, ctx->now_ms, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    /* Identity and server-set fields are the current ones, whatever change did. */
    memcpy(ctx->out->id, current.id, sizeof(current.id));
    memcpy(ctx->out->program_id, current.program_id, sizeof(current.program_id));
    memcpy(ctx->out->card_number, current.card_number, sizeof(current.card_number));
    memcpy(ctx->out->referral_code, current.referral_code, sizeof(current.referral_code));
    ctx->out->enrolled_at_ms = current.enrolled_at_ms;
    ctx->out->updated_at_ms = ctx->now_ms;
    /* Inside the writer nobody else can have changed it: the version always matches. */
    rc = pt_store_member_update(txn, &current, ctx->out, current.version, err);
    pt_assert(rc != PT_EBUSY);
    if (rc == PT_OK) {
        ctx->out->version = current.version + 1;
        rc = pt_svc_event(ctx->svc, txn, current.program_id, "member.updated", current.id,
                          ctx->svc->enc.member, ctx->out, ctx->now_ms, ctx->arena, NULL, err);
    }
    return rc;
}

enum pt_rc pt_service_member_change(struct pt_service *svc, const struct pt_principal *who,
                                    const char *member_id, pt_member_change_fn change,
                                    void *change_ctx, struct pt_arena *arena, struct pt_member *out,
                                    struct pt_err *err)
{
    struct member_change_ctx ctx = {
        svc, who, member_id, change, change_ctx, arena, out, pt_svc_now_ms(svc, who->program_id)};
    pt_assert(change != NULL);
    return pt_store_write(svc->store, member_change_txn, &ctx, err);
}

/* ---- Closed members ---- */

enum pt_rc pt_svc_member_open(struct pt_store_txn *txn, const char *program_id,
                              const char *member_id, struct pt_arena *arena, struct pt_err *err)
{
    struct pt_member member;
    enum pt_rc rc = member_get(txn, program_id, member_id, arena, &member, err);
    return rc == PT_OK ? pt_member_require_open(&member, err) : rc;
}

struct member_reopen_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const char *member_id;
    struct pt_arena *arena;
    struct pt_member *out;
    int64_t now_ms;
};

static enum pt_rc member_reopen_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct member_reopen_ctx *ctx = arg;
    struct pt_member current;
    enum pt_rc rc =
        member_get(txn, ctx->who->program_id, ctx->member_id, ctx->arena, &current, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (current.status != PT_MEMBER_CLOSED) {
        (void)pt_err_set(err, PT_ELIMIT, "member_id", "member %s is %s, not closed", current.id,
                         pt_member_status_name(current.status));
        return pt_err_code(err, "member_not_closed");
    }
    *ctx->out = current;
    ctx->out->status = PT_MEMBER_ACTIVE;
    ctx->out->updated_at_ms = ctx->now_ms;
    rc = pt_store_member_update(txn, &current, ctx->out, current.version, err);
    pt_assert(rc != PT_EBUSY);
    if (rc == PT_OK) {
        ctx->out->version = current.version + 1;
        rc = pt_svc_event(ctx->svc, txn, current.program_id, "member.reopened", current.id,
                          ctx->svc->enc.member, ctx->out, ctx->now_ms, ctx->arena, NULL, err);
    }
    return rc;
}

enum pt_rc pt_service_member_reopen(struct pt_service *svc, const struct pt_principal *who,
                                    const char *member_id, struct pt_arena *arena,
                                    struct pt_member *out, struct pt_err *err)
{
    struct member_reopen_ctx ctx = {svc,   who, member_id,
                                    arena, out, pt_svc_now_ms(svc, who->program_id)};
    pt_assert(who->role == PT_ROLE_ADMIN);
    return pt_store_write(svc->store, member_reopen_txn, &ctx, err);
}

enum pt_rc pt_service_member_list(struct pt_service *svc, const struct pt_principal *who,
                                  struct pt_member_filter *filter, struct pt_arena *arena,
                                  struct pt_member **out, unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_member_list(txn, who->program_id, filter, arena, out, count, err);
    pt_store_read_end(txn);
    return rc;
}

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
            pt_arena_fini(&arena);
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
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
