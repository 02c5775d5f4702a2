/* SPDX-License-Identifier: MIT */
/*
 * Members: enrollment (with its referral and its enrollment rules), reading, changing, listing,
 * and reopening a closed member; and the checks other use cases make of a member before they
 * write for it.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/random.h"
#include "core/codes.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- Enrollment, reads and changes ---- */

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
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_member *m;
    const char *referred_by;
};

enum pt_rc pt_svc_member_enroll(struct pt_svc_write *w, struct pt_member *m,
                                const char *referred_by, const char *actor_id, struct pt_err *err)
{
    struct pt_store_txn *txn = w->txn;
    char referrer_id[PT_ID_BUF_BYTES] = "";
    enum pt_rc rc = PT_OK;
    int draw;
    if (referred_by != NULL) {
        /* Before the insert, so that a self-referral is refused as one and not as a taken
         * email or phone. */
        rc = pt_svc_referral_check(txn, w->who->program_id, m, referred_by, referrer_id, w->arena,
                                   err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    /* A random card number or referral code may already be taken: draw again, a bounded number
     * of times (the failed INSERT leaves the transaction usable). */
    for (draw = 0; draw < PT_UNIQUE_DRAWS_MAX; draw++) {
        member_draw_codes(m, w->now_ms);
        rc = pt_store_member_insert(txn, m, err);
        if (rc != PT_ECONFLICT || !is_code_collision(err)) {
            break;
        }
        pt_err_clear(err);
    }
    if (rc == PT_OK && referred_by != NULL) {
        rc = pt_svc_referral_record(txn, w->who->program_id, m, referrer_id, w->now_ms, err);
    }
    if (rc == PT_OK) {
        /* The program's enrollment rules (a welcome bonus), in the same transaction. */
        struct pt_program program;
        struct pt_cart_answer answer;
        char entry_id[PT_ID_BUF_BYTES];
        rc = pt_store_program_get(txn, w->who->program_id, w->arena, &program, err);
        if (rc == PT_OK) {
            rc = pt_svc_rules_award(w->svc, txn, &program, m, PT_TRIGGER_ENROLLMENT, NULL,
                                    "enrollment", m->id, w->now_ms, w->now_ms,
                                    actor_id != NULL ? actor_id : m->id, w->arena, &answer,
                                    entry_id, err);
        }
    }
    return rc;
}

static enum pt_rc member_create_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct member_create_ctx *ctx = (struct member_create_ctx *)w;
    enum pt_rc rc = pt_svc_member_enroll(w, ctx->m, ctx->referred_by, w->who->key_id, err);
    w->result = ctx->m;
    w->ref_id = ctx->m->id;
    w->event_member_id = ctx->m->id;
    return rc;
}

static const struct pt_write_case member_create_case = {
    .name = "member_create",
    .event = "member.created",
    .encoder = offsetof(struct pt_encoders, member),
    .body = member_create_body,
};

enum pt_rc pt_service_member_create(struct pt_service *svc, const struct pt_principal *who,
                                    struct pt_member *m, const char *referred_by,
                                    struct pt_idem *idem, struct pt_arena *arena,
                                    struct pt_err *err)
{
    struct member_create_ctx ctx = {.m = m, .referred_by = referred_by};
    enum pt_rc rc;
    pt_assert(m->attributes_json != NULL);
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    rc = pt_member_validate(m, ctx.w.now_ms, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)snprintf(m->program_id, sizeof(m->program_id), "%s", who->program_id);
    m->status = PT_MEMBER_ACTIVE;
    m->enrolled_at_ms = ctx.w.now_ms;
    m->updated_at_ms = ctx.w.now_ms;
    m->version = 1;
    return pt_svc_write(&ctx.w, &member_create_case, err);
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
    rc = pt_svc_member_load(txn, who->program_id, member_id, arena, out, NULL, err);
    return pt_svc_read_end(txn, arena, rc, err);
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
    struct pt_svc_write w; /* First: the body's w is the context. */
    pt_member_change_fn change;
    void *change_ctx;
    struct pt_member *out;
};

/* A closed member's profile and status change only by an explicit reopen (the runner refuses
 * it: PT_WRITE_MEMBER_OPEN). */
static enum pt_rc member_change_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct member_change_ctx *ctx = (struct member_change_ctx *)w;
    const struct pt_member current = w->member;
    enum pt_rc rc;
    *ctx->out = current;
    rc = ctx->change(ctx->change_ctx, &current, ctx->out, ctx->w.arena, err);
    if (rc == PT_OK) {
        rc = pt_member_validate(ctx->out, ctx->w.now_ms, err);
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
    ctx->out->updated_at_ms = ctx->w.now_ms;
    /* Inside the writer nobody else can have changed it: the version always matches. */
    rc = pt_store_member_update(w->txn, &current, ctx->out, current.version, err);
    pt_assert(rc != PT_EBUSY);
    /* Closing ends the member's sessions, as it may not sign in (the cache after the commit). */
    if (rc == PT_OK && ctx->out->status == PT_MEMBER_CLOSED) {
        rc = pt_store_sessions_end(w->txn, current.program_id, current.id, NULL, err);
    }
    ctx->out->version = current.version + 1;
    w->result = ctx->out;
    return rc;
}

static const struct pt_write_case member_change_case = {
    .name = "member_change",
    .member = PT_WRITE_MEMBER_OPEN,
    .event = "member.updated",
    .encoder = offsetof(struct pt_encoders, member),
    .body = member_change_body,
};

enum pt_rc pt_service_member_change(struct pt_service *svc, const struct pt_principal *who,
                                    const char *member_id, pt_member_change_fn change,
                                    void *change_ctx, struct pt_arena *arena, struct pt_member *out,
                                    struct pt_err *err)
{
    struct member_change_ctx ctx = {.change = change, .change_ctx = change_ctx, .out = out};
    enum pt_rc rc;
    pt_assert(change != NULL);
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    ctx.w.member_id = member_id;
    rc = pt_svc_write(&ctx.w, &member_change_case, err);
    if (rc == PT_OK && out->status == PT_MEMBER_CLOSED) {
        pt_svc_session_cache_clear(svc);
    }
    return rc;
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
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_member *out;
};

/* The case asks the runner for no member: PT_WRITE_MEMBER_OPEN would refuse the closed member
 * it is for, so it reads it here. */
static enum pt_rc member_reopen_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct member_reopen_ctx *ctx = (struct member_reopen_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_member current;
    enum pt_rc rc = member_get(txn, w->who->program_id, w->member_id, w->arena, &current, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (current.status == PT_MEMBER_ERASED) {
        return pt_member_erased(&current, err); /* Closed forever. */
    }
    if (current.status != PT_MEMBER_CLOSED) {
        (void)pt_err_set(err, PT_ELIMIT, "member_id", "member %s is %s, not closed", current.id,
                         pt_member_status_name(current.status));
        return pt_err_code(err, "member_not_closed");
    }
    *ctx->out = current;
    ctx->out->status = PT_MEMBER_ACTIVE;
    ctx->out->updated_at_ms = ctx->w.now_ms;
    rc = pt_store_member_update(txn, &current, ctx->out, current.version, err);
    pt_assert(rc != PT_EBUSY);
    ctx->out->version = current.version + 1;
    w->result = ctx->out;
    w->event_member_id = ctx->out->id;
    return rc;
}

static const struct pt_write_case member_reopen_case = {
    .name = "member_reopen",
    .event = "member.reopened",
    .encoder = offsetof(struct pt_encoders, member),
    .body = member_reopen_body,
};

enum pt_rc pt_service_member_reopen(struct pt_service *svc, const struct pt_principal *who,
                                    const char *member_id, struct pt_arena *arena,
                                    struct pt_member *out, struct pt_err *err)
{
    struct member_reopen_ctx ctx = {.out = out};
    pt_assert(who->role == PT_ROLE_ADMIN);
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    ctx.w.member_id = member_id;
    return pt_svc_write(&ctx.w, &member_reopen_case, err);
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
    return pt_svc_read_end(txn, arena, rc, err);
}

/* ---- What the other use cases check of a member ---- */

/* Loads the member (must be in the program) and, when program is given, the program's settings
 * (the store's copy while the program has not changed: one statement for both). */
enum pt_rc pt_svc_member_load(struct pt_store_txn *txn, const char *program_id,
                              const char *member_id, struct pt_arena *arena,
                              struct pt_member *member, struct pt_program *program,
                              struct pt_err *err)
{
    enum pt_rc rc;
    if (program == NULL) {
        return member_get(txn, program_id, member_id, arena, member, err);
    }
    rc = pt_store_member_program_get(txn, program_id, member_id, arena, member, program, err);
    if (rc == PT_ENOTFOUND) {
        return pt_err_set(err, PT_ENOTFOUND, NULL, "no member %s", member_id);
    }
    return rc;
}
