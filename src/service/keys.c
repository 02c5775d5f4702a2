/* SPDX-License-Identifier: MIT */
/*
 * API keys: making one (the secret is shown once, only its hash is stored), authenticating a
 * request's key through a short-lived cache, creating, listing and revoking keys. A revocation
 * empties the cache of this process at once.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/clock.h"
#include "base/random.h"
#include "core/codes.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

void pt_svc_key_make(const char *program_id, const char *name, enum pt_role role, int64_t now_ms,
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

/* ---- The key cache ---- */

static struct pt_key_cache_slot *key_cache_slot(struct pt_service *svc, const uint8_t *hash)
{
    return &svc->key_cache[(hash[0] | (unsigned)hash[1] << 8) % PT_KEY_CACHE_SLOTS];
}

/* Looks the key up; on a miss, *generation is what key_cache_put must be given. A hit's
 * origins are copied into the arena: false (a miss) when it cannot hold them. */
static bool key_cache_get(struct pt_service *svc, const uint8_t *hash, struct pt_arena *arena,
                          struct pt_principal *out, uint64_t *generation)
{
    struct pt_key_cache_slot *slot = key_cache_slot(svc, hash);
    bool hit;
    pthread_mutex_lock(&svc->key_cache_mu);
    *generation = svc->key_cache_generation;
    hit = slot->expires_us > pt_clock_mono_us() &&
          memcmp(slot->hash, hash, PT_API_KEY_HASH_BYTES) == 0;
    if (hit) {
        *out = slot->who;
        if (out->role == PT_ROLE_PUBLISHABLE) {
            out->origins = pt_arena_strndup(arena, slot->origins, strlen(slot->origins));
            hit = out->origins != NULL;
        }
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
    slot->who.origins = NULL; /* The request's arena: the slot keeps its own copy. */
    (void)snprintf(slot->origins, sizeof(slot->origins), "%s",
                   who->origins != NULL ? who->origins : "");
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
    if (key_cache_get(svc, hash, arena, out, &generation)) {
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
    memset(out, 0, sizeof(*out));
    out->kind = PT_PRINCIPAL_KEY;
    memcpy(out->program_id, key.program_id, sizeof(out->program_id));
    memcpy(out->key_id, key.id, sizeof(out->key_id));
    out->role = key.role;
    if (key.role == PT_ROLE_PUBLISHABLE) {
        /* A stored publishable key always has its origins; "" allows none if one had not. */
        out->origins = key.origins != NULL ? key.origins : "";
        if (strlen(out->origins) >= PT_KEY_ORIGINS_TEXT_BYTES_MAX) {
            return pt_err_set(err, PT_ESTORE, NULL, "a stored key's origins are too long");
        }
    }
    key_cache_put(svc, hash, out, generation);
    return PT_OK;
}

struct key_create_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_key_created *out;
};

static enum pt_rc key_create_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct key_create_ctx *ctx = (struct key_create_ctx *)w;
    w->result = ctx->out;
    w->ref_id = ctx->out->key.id;
    return pt_store_key_insert(w->txn, &ctx->out->key, err);
}

static const struct pt_write_case key_create_case = {
    .name = "key_create",
    .body = key_create_body,
};

enum pt_rc pt_service_key_create(struct pt_service *svc, const struct pt_principal *who,
                                 const char *name, enum pt_role role, const char *origins,
                                 struct pt_idem *idem, struct pt_arena *arena,
                                 struct pt_key_created *out, struct pt_err *err)
{
    struct key_create_ctx ctx = {.out = out};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    rc = pt_key_name_validate(name, err);
    if (rc != PT_OK) {
        return rc;
    }
    if ((role == PT_ROLE_PUBLISHABLE) != (origins != NULL)) {
        return pt_err_set(err, PT_EINVAL, "allowed_origins",
                          role == PT_ROLE_PUBLISHABLE
                              ? "a publishable key needs allowed_origins (1 to 20 origins)"
                              : "allowed_origins is only for a publishable key");
    }
    pt_svc_key_make(who->program_id, name, role, ctx.w.now_ms, out);
    out->key.origins = origins;
    return pt_svc_write(&ctx.w, &key_create_case, err);
}

enum pt_rc pt_service_origin_allowed(struct pt_service *svc, const char *origin, size_t len,
                                     bool *allowed, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    char text[PT_ORIGIN_BYTES_MAX + 1];
    enum pt_rc rc;
    *allowed = false;
    if (!pt_origin_is_valid(origin, len)) {
        return PT_OK; /* No key can allow it: no need to ask the store. */
    }
    memcpy(text, origin, len);
    text[len] = '\0';
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_origin_allowed(txn, text, allowed, err);
    pt_store_read_end(txn);
    return rc;
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
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *key_id;
};

static enum pt_rc key_revoke_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct key_revoke_ctx *ctx = (struct key_revoke_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    int64_t admins = 0;
    enum pt_rc rc =
        pt_store_key_revoke(txn, ctx->w.who->program_id, ctx->key_id, ctx->w.now_ms, err);
    if (rc == PT_OK) {
        rc = pt_store_key_count_admins(txn, ctx->w.who->program_id, &admins, err);
    }
    if (rc == PT_OK && admins == 0) {
        (void)pt_err_set(err, PT_ECONFLICT, NULL,
                         "this is the program's last admin key; create another admin key first");
        rc = pt_err_code(err, "last_admin_key");
    }
    return rc;
}

static const struct pt_write_case key_revoke_case = {
    .name = "key_revoke",
    .body = key_revoke_body,
};

enum pt_rc pt_service_key_revoke(struct pt_service *svc, const struct pt_principal *who,
                                 const char *key_id, struct pt_err *err)
{
    struct key_revoke_ctx ctx = {.key_id = key_id};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, NULL, NULL); /* Revoking allocates nothing. */
    rc = pt_svc_write(&ctx.w, &key_revoke_case, err);
    /* Emptied after the revocation is committed, so no request can cache the key again. */
    key_cache_clear(svc);
    return rc;
}
