/* SPDX-License-Identifier: MIT */
/*
 * Sessions (docs/security.md, "Sessions"): hashing passwords within a bound, signing users and
 * members in with the lock-out, resolving a session cookie through a short-lived cache (as API
 * keys are), the current session, signing out and changing a password.
 *
 * A sign-in reads the account, checks the password on the request's thread (never in the
 * writer: a hash takes ~0.1 s), and then writes its outcome: a failure counted (and the lock
 * that the fifth sets), or the success with its new session. The write reads the credential
 * again, so that a lock or a new password that came in between decides, not the first read.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/clock.h"
#include "base/random.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- Hashing, bounded ---- */

/* An argon2id string of the same parameters for a password nobody knows: verifying against it
 * costs what verifying a real one does, so that an unknown login is not answered faster. */
static const char unknown_account_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$pnF1BI+oXd+aFxNKREwWVw$"
                                           "+clZ2eQv1/j0vLzsBWaOseZ5Z9t12BbZnPZkbmmAENo";

unsigned pt_svc_hashes_max(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) {
        return 1;
    }
    return cores > PT_PASSWORD_HASHES_MAX ? PT_PASSWORD_HASHES_MAX : (unsigned)cores;
}

void pt_service_set_password_hashes(struct pt_service *svc, unsigned n)
{
    pt_assert(n >= 1 && n <= PT_PASSWORD_HASHES_MAX);
    svc->hashes_max = n;
}

static enum pt_rc hash_slot_take(struct pt_service *svc, struct pt_err *err)
{
    unsigned running = atomic_fetch_add(&svc->hashes_running, 1);
    if (running >= svc->hashes_max) {
        atomic_fetch_sub(&svc->hashes_running, 1);
        return pt_err_set(err, PT_EBUSY, NULL, "too many sign-ins at once, retry");
    }
    return PT_OK;
}

static void hash_slot_give(struct pt_service *svc)
{
    unsigned running = atomic_fetch_sub(&svc->hashes_running, 1);
    pt_assert(running >= 1);
}

enum pt_rc pt_svc_password_hash(struct pt_service *svc, const char *password,
                                char out[PT_PASSWORD_HASH_BYTES], struct pt_err *err)
{
    enum pt_rc rc = hash_slot_take(svc, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_password_hash(password, strlen(password), out, err);
    hash_slot_give(svc);
    return rc;
}

enum pt_rc pt_svc_password_verify(struct pt_service *svc, const char *stored, const char *password,
                                  bool *ok, struct pt_err *err)
{
    size_t len = strlen(password);
    enum pt_rc rc;
    *ok = false;
    /* The callers refuse a longer password before: it could not have been set. */
    pt_assert(len <= PT_PASSWORD_BYTES_MAX);
    rc = hash_slot_take(svc, err);
    if (rc != PT_OK) {
        return rc;
    }
    *ok = pt_password_verify(stored != NULL ? stored : unknown_account_hash, password, len);
    *ok = *ok && stored != NULL;
    hash_slot_give(svc);
    return PT_OK;
}

/* ---- Tokens ---- */

/* A token's stored form: its BLAKE2b hash. */
static void token_hash(const char *token, size_t len, uint8_t out[32])
{
    pt_hash32(token, len, out);
}

void pt_service_session_csrf(const char *token, size_t len, char *out)
{
    /* A hash of the token under its own label: a page that reads it (JavaScript may; the
     * cookie it may not) learns nothing of the cookie, and nothing is stored. */
    char labelled[16 + PT_SESSION_TOKEN_BYTES];
    uint8_t hash[32];
    pt_assert(len == PT_SESSION_TOKEN_BYTES);
    memcpy(labelled, "patron-csrf-v1:", 15);
    memcpy(labelled + 15, token, len);
    pt_hash32(labelled, 15 + len, hash);
    pt_base64url_encode(hash, sizeof(hash), out, PT_SESSION_TOKEN_BYTES + 1);
}

/* ---- The session cache ---- */

static struct pt_session_cache_slot *cache_slot(struct pt_service *svc, const uint8_t *hash)
{
    return &svc->session_cache[(hash[0] | (unsigned)hash[1] << 8) % PT_SESSION_CACHE_SLOTS];
}

static bool cache_get(struct pt_service *svc, const uint8_t *hash, struct pt_principal *out,
                      uint64_t *generation)
{
    struct pt_session_cache_slot *slot = cache_slot(svc, hash);
    bool hit;
    pthread_mutex_lock(&svc->session_cache_mu);
    *generation = svc->session_cache_generation;
    hit = slot->expires_us > pt_clock_mono_us() && memcmp(slot->hash, hash, 32) == 0;
    if (hit) {
        *out = slot->who;
    }
    pthread_mutex_unlock(&svc->session_cache_mu);
    return hit;
}

/* Remembers a session read from the store, unless sessions ended since the read began. */
static void cache_put(struct pt_service *svc, const uint8_t *hash, const struct pt_principal *who,
                      uint64_t generation)
{
    struct pt_session_cache_slot *slot = cache_slot(svc, hash);
    pthread_mutex_lock(&svc->session_cache_mu);
    if (generation == svc->session_cache_generation) {
        memcpy(slot->hash, hash, 32);
        slot->who = *who;
        slot->expires_us = pt_clock_mono_us() + (int64_t)PT_SESSION_CACHE_TTL_MS * 1000;
    }
    pthread_mutex_unlock(&svc->session_cache_mu);
}

void pt_svc_session_cache_clear(struct pt_service *svc)
{
    pthread_mutex_lock(&svc->session_cache_mu);
    memset(svc->session_cache, 0, sizeof(svc->session_cache));
    svc->session_cache_generation++;
    pthread_mutex_unlock(&svc->session_cache_mu);
}

/* ---- Starting a session ---- */

enum pt_rc pt_svc_session_start(struct pt_svc_write *w, enum pt_session_kind kind,
                                const char *subject_id, struct pt_signed_in *out,
                                struct pt_err *err)
{
    uint8_t random32[PT_SESSION_TOKEN_RANDOM_BYTES];
    struct pt_session *s = &out->session;
    enum pt_rc rc;
    pt_assert(w->txn != NULL);
    pt_assert(kind == PT_SESSION_USER || kind == PT_SESSION_MEMBER);
    pt_random_bytes(random32, sizeof(random32));
    pt_base64url_encode(random32, sizeof(random32), out->token, sizeof(out->token));
    pt_assert(strlen(out->token) == PT_SESSION_TOKEN_BYTES);
    memset(s, 0, sizeof(*s));
    pt_svc_new_id("ses", w->now_ms, s->id);
    (void)snprintf(s->program_id, sizeof(s->program_id), "%s", w->who->program_id);
    (void)snprintf(s->subject_id, sizeof(s->subject_id), "%s", subject_id);
    s->kind = kind;
    token_hash(out->token, PT_SESSION_TOKEN_BYTES, s->token_hash);
    s->created_at_ms = w->now_ms;
    s->expires_at_ms = pt_session_expires_at(kind, w->now_ms);
    pt_service_session_csrf(out->token, PT_SESSION_TOKEN_BYTES, out->csrf_token);
    rc = pt_store_session_insert(w->txn, s, err);
    if (rc == PT_OK) {
        rc = pt_store_sessions_trim(w->txn, s->program_id, subject_id, w->now_ms,
                                    PT_SESSIONS_PER_SUBJECT_MAX, err);
    }
    return rc;
}

/* ---- Signing in ---- */

/* The account a login names in the program: a user by email, a member by email or phone. OUT:
 * subject_id ("" when none), *cred (found: *has_cred). */
static enum pt_rc account_find(struct pt_store_txn *txn, const char *program_id,
                               const struct pt_sign_in *req, struct pt_arena *arena,
                               char *subject_id, struct pt_credential *cred, bool *has_cred,
                               struct pt_err *err)
{
    enum pt_rc rc;
    *has_cred = false;
    subject_id[0] = '\0';
    if (req->kind == PT_SESSION_USER) {
        struct pt_user u;
        rc = pt_store_user_find_by_email(txn, program_id, req->login, arena, &u, err);
        if (rc == PT_OK) {
            memcpy(subject_id, u.id, PT_ID_BUF_BYTES);
        }
    } else {
        const char *kind = strchr(req->login, '@') != NULL ? "email" : "phone";
        rc = pt_store_member_key_owner(txn, program_id, kind, req->login, subject_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_credential_get(txn, program_id, subject_id, cred, err);
        *has_cred = rc == PT_OK;
    }
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        rc = PT_OK;
    }
    return rc;
}

/* What the sign-in's write found. */
enum sign_in_outcome {
    SIGNED_IN,
    REFUSED,  /* Wrong password (counted), or the password changed meanwhile. */
    LOCKED,   /* Locked meanwhile. */
    DISABLED, /* The right password of a disabled user or a closed member. */
};

struct sign_in_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const struct pt_sign_in *req;
    const char *subject_id;
    const char *verified_hash; /* The credential the password was checked against. */
    bool password_ok;
    struct pt_signed_in *out;
    enum sign_in_outcome outcome; /* OUT */
    int64_t retry_after_s;        /* OUT: LOCKED */
};

/* The signed-in account: its user (refusing a disabled one) or member (a closed one). */
static enum pt_rc sign_in_account(struct sign_in_ctx *ctx, struct pt_err *err)
{
    struct pt_svc_write *w = &ctx->w;
    enum pt_rc rc;
    if (ctx->req->kind == PT_SESSION_USER) {
        rc = pt_store_user_get(w->txn, w->who->program_id, ctx->subject_id, w->arena,
                               &ctx->out->user, err);
        if (rc == PT_OK && ctx->out->user.status != PT_USER_ACTIVE) {
            ctx->outcome = DISABLED;
        }
        return rc;
    }
    rc = pt_store_member_get(w->txn, w->who->program_id, ctx->subject_id, w->arena,
                             &ctx->out->member, err);
    if (rc == PT_OK && pt_member_is_closed(&ctx->out->member)) {
        ctx->outcome = DISABLED;
    }
    return rc;
}

static enum pt_rc sign_in_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct sign_in_ctx *ctx = (struct sign_in_ctx *)w;
    struct pt_credential cred;
    enum pt_rc rc =
        pt_store_credential_get(w->txn, w->who->program_id, ctx->subject_id, &cred, err);
    ctx->outcome = REFUSED;
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return PT_OK; /* Gone since it was checked: refused as wrong. */
    }
    if (rc != PT_OK || strcmp(cred.password_hash, ctx->verified_hash) != 0) {
        return rc; /* A new password since it was checked: refused as wrong. */
    }
    if (pt_login_is_locked(&cred.login, w->now_ms, &ctx->retry_after_s)) {
        ctx->outcome = LOCKED;
        return PT_OK;
    }
    if (!ctx->password_ok) {
        (void)pt_login_failed(&cred.login, w->now_ms);
        cred.updated_at_ms = w->now_ms;
        return pt_store_credential_put(w->txn, w->who->program_id, &cred, err);
    }
    ctx->outcome = SIGNED_IN;
    rc = sign_in_account(ctx, err);
    if (rc != PT_OK || ctx->outcome != SIGNED_IN) {
        return rc;
    }
    pt_login_succeeded(&cred.login);
    cred.last_sign_in_at_ms = w->now_ms;
    cred.updated_at_ms = w->now_ms;
    rc = pt_store_credential_put(w->txn, w->who->program_id, &cred, err);
    if (rc == PT_OK) {
        rc = pt_svc_session_start(w, ctx->req->kind, ctx->subject_id, ctx->out, err);
    }
    if (rc == PT_OK && ctx->req->kind == PT_SESSION_USER) {
        ctx->out->user.last_sign_in_at_ms = w->now_ms;
        ctx->out->user.locked_until_ms = 0;
    }
    return rc;
}

static const struct pt_write_case sign_in_case = {
    .name = "sign_in",
    .body = sign_in_body,
};

/* The answer of a sign-in's write. */
static enum pt_rc sign_in_answer(const struct sign_in_ctx *ctx, int64_t *retry_after_s,
                                 struct pt_err *err)
{
    switch (ctx->outcome) {
    case SIGNED_IN:
        return PT_OK;
    case LOCKED:
        *retry_after_s = ctx->retry_after_s;
        return pt_sign_in_locked(ctx->retry_after_s, err);
    case DISABLED:
        if (ctx->req->kind == PT_SESSION_USER) {
            (void)pt_err_set(err, PT_EFORBIDDEN, NULL, "this user is disabled");
            return pt_err_code(err, "user_disabled");
        }
        (void)pt_err_set(err, PT_EFORBIDDEN, NULL, "this membership is closed");
        return pt_err_code(err, "member_inactive");
    case REFUSED:
        break;
    }
    return pt_sign_in_refused(err);
}

/* The read before the hash: the account and its credential, refused at once while locked. */
static enum pt_rc sign_in_read(struct pt_service *svc, const char *program_id,
                               struct pt_sign_in *req, struct pt_arena *arena, char *subject_id,
                               struct pt_credential *cred, bool *has_cred, int64_t *retry_after_s,
                               struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = account_find(txn, program_id, req, arena, subject_id, cred, has_cred, err);
    rc = pt_svc_read_end(txn, arena, rc, err);
    if (rc == PT_OK && *has_cred &&
        pt_login_is_locked(&cred->login, pt_svc_now_ms(svc, program_id), retry_after_s)) {
        rc = pt_sign_in_locked(*retry_after_s, err);
    }
    return rc;
}

enum pt_rc pt_service_sign_in(struct pt_service *svc, struct pt_sign_in *req,
                              struct pt_arena *arena, struct pt_signed_in *out,
                              int64_t *retry_after_s, struct pt_err *err)
{
    struct pt_principal who;
    struct sign_in_ctx ctx = {.req = req, .out = out};
    char subject_id[PT_ID_BUF_BYTES];
    struct pt_credential cred;
    bool has_cred = false;
    enum pt_rc rc;
    *retry_after_s = 0;
    memset(out, 0, sizeof(*out));
    memset(&who, 0, sizeof(who));
    rc = pt_svc_program_pick(svc, req->program_id, who.program_id, err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return pt_sign_in_refused(err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_email_normalize(req->login);
    rc = sign_in_read(svc, who.program_id, req, arena, subject_id, &cred, &has_cred, retry_after_s,
                      err);
    if (rc == PT_OK) {
        rc = pt_svc_password_verify(svc, has_cred ? cred.password_hash : NULL, req->password,
                                    &ctx.password_ok, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (!has_cred) {
        return pt_sign_in_refused(err);
    }
    (void)snprintf(who.key_id, sizeof(who.key_id), "%s", subject_id);
    who.kind = req->kind == PT_SESSION_USER ? PT_PRINCIPAL_USER : PT_PRINCIPAL_MEMBER;
    ctx.subject_id = subject_id;
    ctx.verified_hash = cred.password_hash;
    pt_svc_write_init(&ctx.w, svc, &who, NULL, arena);
    rc = pt_svc_write(&ctx.w, &sign_in_case, err);
    return rc != PT_OK ? rc : sign_in_answer(&ctx, retry_after_s, err);
}

/* ---- A request's session ---- */

/* Reads the session of hash and what it stands for now. PT_EAUTH when it does not hold. */
static enum pt_rc session_read(struct pt_service *svc, const uint8_t *hash, struct pt_arena *arena,
                               struct pt_principal *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_session s;
    struct pt_user u;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_session_find(txn, hash, &s, err);
    if (rc == PT_OK && s.kind == PT_SESSION_USER) {
        rc = pt_store_user_get(txn, s.program_id, s.subject_id, arena, &u, err);
    }
    rc = pt_svc_read_end(txn, arena, rc, err);
    if (rc == PT_ENOTFOUND ||
        (rc == PT_OK && s.expires_at_ms <= pt_svc_now_ms(svc, s.program_id)) ||
        (rc == PT_OK && s.kind == PT_SESSION_USER && u.status != PT_USER_ACTIVE)) {
        pt_err_clear(err);
        return pt_err_set(err, PT_EAUTH, NULL, "the session is unknown, ended or expired");
    }
    if (rc != PT_OK) {
        return rc;
    }
    memset(out, 0, sizeof(*out));
    memcpy(out->program_id, s.program_id, sizeof(out->program_id));
    memcpy(out->key_id, s.subject_id, sizeof(out->key_id));
    memcpy(out->session_id, s.id, sizeof(out->session_id));
    out->session_expires_at_ms = s.expires_at_ms;
    if (s.kind == PT_SESSION_USER) {
        out->kind = PT_PRINCIPAL_USER;
        out->role = u.role;
        memcpy(out->user_id, s.subject_id, sizeof(out->user_id));
    } else {
        out->kind = PT_PRINCIPAL_MEMBER;
        out->role = PT_ROLE_MEMBER;
        memcpy(out->member_id, s.subject_id, sizeof(out->member_id));
    }
    return PT_OK;
}

enum pt_rc pt_service_session_authenticate(struct pt_service *svc, const char *token, size_t len,
                                           struct pt_arena *arena, struct pt_principal *out,
                                           struct pt_err *err)
{
    uint8_t hash[32];
    uint64_t generation;
    enum pt_rc rc;
    if (!pt_session_token_is_valid(token, len)) {
        return pt_err_set(err, PT_EAUTH, NULL, "the session is unknown, ended or expired");
    }
    token_hash(token, len, hash);
    if (cache_get(svc, hash, out, &generation)) {
        /* Its end is checked on every request: a cached session does not outlive it. */
        if (out->session_expires_at_ms > pt_svc_now_ms(svc, out->program_id)) {
            return PT_OK;
        }
        return pt_err_set(err, PT_EAUTH, NULL, "the session is unknown, ended or expired");
    }
    rc = session_read(svc, hash, arena, out, err);
    if (rc == PT_OK) {
        pt_assert(out->kind != PT_PRINCIPAL_KEY);
        cache_put(svc, hash, out, generation);
    }
    return rc;
}

enum pt_rc pt_service_session_current(struct pt_service *svc, const struct pt_principal *who,
                                      struct pt_arena *arena, struct pt_signed_in *out,
                                      struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc;
    pt_assert(who->kind != PT_PRINCIPAL_KEY);
    memset(out, 0, sizeof(*out));
    memcpy(out->session.id, who->session_id, sizeof(out->session.id));
    memcpy(out->session.program_id, who->program_id, sizeof(out->session.program_id));
    memcpy(out->session.subject_id, who->key_id, sizeof(out->session.subject_id));
    out->session.kind = who->kind == PT_PRINCIPAL_USER ? PT_SESSION_USER : PT_SESSION_MEMBER;
    out->session.expires_at_ms = who->session_expires_at_ms;
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (who->kind == PT_PRINCIPAL_USER) {
        rc = pt_store_user_get(txn, who->program_id, who->user_id, arena, &out->user, err);
        if (rc == PT_OK && out->user.locked_until_ms <= pt_svc_now_ms(svc, out->user.program_id)) {
            out->user.locked_until_ms = 0;
        }
    } else {
        rc = pt_svc_member_load(txn, who->program_id, who->member_id, arena, &out->member, NULL,
                                err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

/* ---- Signing out, changing a password ---- */

struct sign_out_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
};

static enum pt_rc sign_out_body(struct pt_svc_write *w, struct pt_err *err)
{
    return pt_store_session_delete(w->txn, w->who->program_id, w->who->session_id, err);
}

static const struct pt_write_case sign_out_case = {
    .name = "sign_out",
    .body = sign_out_body,
};

enum pt_rc pt_service_sign_out(struct pt_service *svc, const struct pt_principal *who,
                               struct pt_err *err)
{
    struct sign_out_ctx ctx;
    enum pt_rc rc;
    pt_assert(who->kind != PT_PRINCIPAL_KEY);
    pt_svc_write_init(&ctx.w, svc, who, NULL, NULL); /* Allocates nothing. */
    rc = pt_svc_write(&ctx.w, &sign_out_case, err);
    pt_svc_session_cache_clear(svc);
    return rc;
}

struct password_change_ctx {
    struct pt_svc_write w;     /* First: the body's w is the context. */
    const char *verified_hash; /* The credential the current password was checked against. */
    bool password_ok;
    const char *new_hash;
    enum sign_in_outcome outcome; /* OUT */
    int64_t retry_after_s;        /* OUT: LOCKED */
};

static enum pt_rc password_change_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct password_change_ctx *ctx = (struct password_change_ctx *)w;
    const char *subject_id = w->who->key_id;
    struct pt_credential cred;
    enum pt_rc rc = pt_store_credential_get(w->txn, w->who->program_id, subject_id, &cred, err);
    ctx->outcome = REFUSED;
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        return PT_OK;
    }
    if (rc != PT_OK || strcmp(cred.password_hash, ctx->verified_hash) != 0) {
        return rc; /* A new password since the current one was checked: refused. */
    }
    if (pt_login_is_locked(&cred.login, w->now_ms, &ctx->retry_after_s)) {
        ctx->outcome = LOCKED;
        return PT_OK;
    }
    cred.updated_at_ms = w->now_ms;
    if (!ctx->password_ok) {
        (void)pt_login_failed(&cred.login, w->now_ms);
        return pt_store_credential_put(w->txn, w->who->program_id, &cred, err);
    }
    ctx->outcome = SIGNED_IN;
    (void)snprintf(cred.password_hash, sizeof(cred.password_hash), "%s", ctx->new_hash);
    pt_login_succeeded(&cred.login);
    rc = pt_store_credential_put(w->txn, w->who->program_id, &cred, err);
    if (rc == PT_OK) {
        rc = pt_store_sessions_end(w->txn, w->who->program_id, subject_id, w->who->session_id, err);
    }
    return rc;
}

static const struct pt_write_case password_change_case = {
    .name = "password_change",
    .body = password_change_body,
};

/* The read before the hashes: the credential and the account's email and phone (which a new
 * password may not be), refused at once while locked. */
static enum pt_rc password_change_read(struct pt_service *svc, const struct pt_principal *who,
                                       struct pt_arena *arena, struct pt_credential *cred,
                                       const char **logins, int64_t *retry_after_s,
                                       struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member m;
    struct pt_user u;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_credential_get(txn, who->program_id, who->key_id, cred, err);
    if (rc == PT_OK && who->kind == PT_PRINCIPAL_USER) {
        rc = pt_store_user_get(txn, who->program_id, who->user_id, arena, &u, err);
        logins[0] = u.email;
    } else if (rc == PT_OK) {
        rc = pt_store_member_get(txn, who->program_id, who->member_id, arena, &m, err);
        logins[0] = m.email;
        logins[1] = m.phone;
    }
    rc = pt_svc_read_end(txn, arena, rc, err);
    if (rc == PT_OK &&
        pt_login_is_locked(&cred->login, pt_svc_now_ms(svc, who->program_id), retry_after_s)) {
        rc = pt_sign_in_locked(*retry_after_s, err);
    }
    return rc;
}

enum pt_rc pt_service_password_change(struct pt_service *svc, const struct pt_principal *who,
                                      const char *current, const char *next, struct pt_arena *arena,
                                      int64_t *retry_after_s, struct pt_err *err)
{
    struct password_change_ctx ctx;
    struct pt_credential cred;
    const char *logins[2] = {NULL, NULL};
    char new_hash[PT_PASSWORD_HASH_BYTES];
    enum pt_rc rc;
    pt_assert(who->kind != PT_PRINCIPAL_KEY);
    memset(&ctx, 0, sizeof(ctx));
    *retry_after_s = 0;
    rc = password_change_read(svc, who, arena, &cred, logins, retry_after_s, err);
    if (rc == PT_OK) {
        rc = pt_password_validate("new_password", next, logins[0], logins[1], err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_password_verify(svc, cred.password_hash, current, &ctx.password_ok, err);
    }
    if (rc == PT_OK && ctx.password_ok) {
        rc = pt_svc_password_hash(svc, next, new_hash, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    ctx.verified_hash = cred.password_hash;
    ctx.new_hash = new_hash;
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    rc = pt_svc_write(&ctx.w, &password_change_case, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (ctx.outcome == LOCKED) {
        *retry_after_s = ctx.retry_after_s;
        return pt_sign_in_locked(ctx.retry_after_s, err);
    }
    if (ctx.outcome == REFUSED) {
        (void)pt_err_set(err, PT_EFORBIDDEN, "current_password", "the current password is wrong");
        return pt_err_code(err, "invalid_credentials");
    }
    pt_svc_session_cache_clear(svc);
    return PT_OK;
}
