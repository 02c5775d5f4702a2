/* SPDX-License-Identifier: MIT */
/*
 * The rewards catalog (docs/rewards.md): rewards created, changed and read, the offers a member
 * sees (affordable, eligible or why not), and a reward redeemed: its points are spent through
 * the ledger's redemption, one unit of stock is taken in one statement (the last unit cannot go
 * to two members), and a coupon with a fresh code is issued. The coupon's life after that is in
 * coupons.c; a partner_voucher reward's pool of codes in vouchers.c.
 */
#include "service/service_int.h"

#include "base/clock.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct reward_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_reward *reward;
};

static enum pt_rc reward_create_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct reward_ctx *ctx = (struct reward_ctx *)w;
    w->result = ctx->reward;
    w->ref_id = ctx->reward->id;
    return pt_store_reward_insert(w->txn, w->who->program_id, ctx->reward, err);
}

static const struct pt_write_case reward_create_case = {
    .name = "reward_create",
    .body = reward_create_body,
};

enum pt_rc pt_service_reward_create(struct pt_service *svc, const struct pt_principal *who,
                                    struct pt_reward *r, struct pt_idem *idem,
                                    struct pt_arena *arena, struct pt_err *err)
{
    struct reward_ctx ctx = {.reward = r};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    rc = pt_reward_validate(r, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (r->status == PT_REWARD_ARCHIVED) {
        return pt_err_set(err, PT_EINVAL, "status", "a new reward is active or inactive");
    }
    pt_svc_new_id("rwd", ctx.w.now_ms, r->id);
    r->issued = 0;
    r->created_at_ms = ctx.w.now_ms;
    r->updated_at_ms = ctx.w.now_ms;
    return pt_svc_write(&ctx.w, &reward_create_case, err);
}

struct reward_update_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *reward_id;
    pt_reward_patch_fn patch;
    void *patch_ctx;
    struct pt_reward *out;
};

static enum pt_rc reward_update_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct reward_update_ctx *ctx = (struct reward_update_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_reward *r = ctx->out;
    /* Read, changed and written in one write, so that two changes at once both land. */
    enum pt_rc rc =
        pt_store_reward_get(txn, ctx->w.who->program_id, ctx->reward_id, ctx->w.arena, r, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (r->status == PT_REWARD_ARCHIVED) {
        return pt_reward_refuse(err, "reward_archived", "an archived reward cannot change", "");
    }
    rc = ctx->patch(ctx->patch_ctx, ctx->w.arena, r, err);
    if (rc == PT_OK) {
        rc = pt_reward_validate(r, err);
    }
    r->updated_at_ms = ctx->w.now_ms;
    return rc == PT_OK ? pt_store_reward_update(txn, ctx->w.who->program_id, r, err) : rc;
}

static const struct pt_write_case reward_update_case = {
    .name = "reward_update",
    .body = reward_update_body,
};

enum pt_rc pt_service_reward_update(struct pt_service *svc, const struct pt_principal *who,
                                    const char *reward_id, pt_reward_patch_fn patch,
                                    void *patch_ctx, struct pt_arena *arena, struct pt_reward *out,
                                    struct pt_err *err)
{
    struct reward_update_ctx ctx = {
        .reward_id = reward_id, .patch = patch, .patch_ctx = patch_ctx, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    return pt_svc_write(&ctx.w, &reward_update_case, err);
}

enum pt_rc pt_service_reward_get(struct pt_service *svc, const struct pt_principal *who,
                                 const char *reward_id, struct pt_arena *arena,
                                 struct pt_reward *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_store_reward_get(txn, who->program_id, reward_id, arena, out, err);
        pt_store_read_end(txn);
    }
    return rc;
}

/* The member's tier name, or NULL in a program without tiers. */
static enum pt_rc tier_of(struct pt_store_txn *txn, const struct pt_program *program,
                          const struct pt_member *member, const char **tier, struct pt_err *err)
{
    struct pt_tier_state st;
    enum pt_rc rc = PT_OK;
    *tier = NULL;
    if (program->tiers.metric != PT_TIER_METRIC_NONE) {
        rc = pt_svc_tier_state(txn, program, member, &st, err);
        if (rc == PT_OK) {
            *tier = program->tiers.tiers[st.position].name;
        }
    }
    return rc;
}

enum pt_rc pt_service_reward_list(struct pt_service *svc, const struct pt_principal *who,
                                  const char *member_id, const char *cursor_id, unsigned limit,
                                  struct pt_arena *arena, struct pt_reward_offer **out,
                                  unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_reward *rewards = NULL;
    struct pt_member member;
    struct pt_program program;
    struct pt_balance balance;
    const char *tier = NULL;
    int64_t now_ms = pt_svc_now_ms(svc, who->program_id);
    unsigned i;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    *count = 0;
    if (rc == PT_OK && member_id != NULL) {
        rc = pt_store_member_get(txn, who->program_id, member_id, arena, &member, err);
        /* A member's session asks for itself: another member is as absent as none (what it
         * could afford would tell the other's balance and tier). */
        if (rc == PT_OK && who->kind == PT_PRINCIPAL_MEMBER &&
            strcmp(member.id, who->member_id) != 0) {
            pt_err_clear(err);
            rc = PT_ENOTFOUND;
        }
        if (rc == PT_ENOTFOUND) {
            rc = pt_err_set(err, PT_ENOTFOUND, "member_id", "no member %s", member_id);
        }
        if (rc == PT_OK) {
            rc = pt_store_program_get(txn, who->program_id, arena, &program, err);
        }
        if (rc == PT_OK) {
            rc = pt_svc_balance(txn, &program, member.id, now_ms, arena, &balance, err);
        }
        if (rc == PT_OK) {
            rc = tier_of(txn, &program, &member, &tier, err);
        }
    }
    if (rc == PT_OK) {
        rc = pt_store_reward_list(txn, who->program_id, cursor_id, limit, arena, &rewards, count,
                                  err);
    }
    *out = pt_arena_alloc(arena, (*count ? *count : 1) * sizeof(**out));
    if (rc == PT_OK && *out == NULL) {
        rc = pt_arena_err(arena, err); /* Filled below. */
    }
    for (i = 0; rc == PT_OK && i < *count; i++) {
        struct pt_reward_offer *o = &(*out)[i];
        memset(o, 0, sizeof(*o));
        o->reward = rewards[i];
        o->affordable = true;
        o->eligible = true;
        if (member_id == NULL) {
            continue;
        }
        o->affordable = balance.available >= rewards[i].cost_points;
        o->points_missing = o->affordable ? 0 : rewards[i].cost_points - balance.available;
        o->reason = pt_reward_not_eligible(&rewards[i], &member, tier, now_ms);
        if (o->reason == NULL && rewards[i].type == PT_REWARD_PARTNER_VOUCHER) {
            int64_t total = 0;
            int64_t free_codes = 0;
            rc = pt_store_vouchers_count(txn, who->program_id, rewards[i].id, &total, &free_codes,
                                         err);
            if (rc == PT_OK && free_codes == 0) {
                o->reason = "out_of_stock";
            }
        }
        if (o->reason == NULL && rewards[i].per_member_limit > 0) {
            int64_t had = 0;
            rc = pt_store_coupons_of_member(txn, who->program_id, member.id, rewards[i].id, &had,
                                            err);
            if (rc == PT_OK && had >= rewards[i].per_member_limit) {
                o->reason = "member_limit_reached";
            }
        }
        o->eligible = o->reason == NULL;
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

/* ---- Redeeming a reward into a coupon ---- */

struct redeem_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *reward_id;
    struct pt_coupon_view *out;
};

/* Whether the member may redeem the reward now (v->member and v->reward read here, and the
 * program into *program): the reward's refusal otherwise. Stock is taken later, in one
 * statement. */
static enum pt_rc redeem_allowed(struct pt_store_txn *txn, struct redeem_ctx *ctx,
                                 struct pt_program *program, struct pt_err *err)
{
    struct pt_coupon_view *v = ctx->out;
    const char *tier = NULL;
    const char *why;
    int64_t had = 0;
    enum pt_rc rc = pt_store_member_get(txn, ctx->w.who->program_id, ctx->w.member_id, ctx->w.arena,
                                        &v->member, err);
    if (rc == PT_ENOTFOUND) {
        return pt_err_set(err, PT_ENOTFOUND, NULL, "no member %s", ctx->w.member_id);
    }
    if (rc == PT_OK) {
        rc = pt_store_reward_get(txn, ctx->w.who->program_id, ctx->reward_id, ctx->w.arena,
                                 &v->reward, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, ctx->w.who->program_id, ctx->w.arena, program, err);
    }
    if (rc == PT_OK) {
        rc = tier_of(txn, program, &v->member, &tier, err);
    }
    if (rc == PT_OK && v->reward.per_member_limit > 0) {
        rc = pt_store_coupons_of_member(txn, program->id, v->member.id, v->reward.id, &had, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    why = pt_reward_not_eligible(&v->reward, &v->member, tier, ctx->w.now_ms);
    if (why != NULL && strcmp(why, "out_of_stock") != 0) {
        return pt_reward_refuse(err, why, "the member may not redeem this reward now",
                                v->reward.name);
    }
    if (v->reward.per_member_limit > 0 && had >= v->reward.per_member_limit) {
        return pt_reward_refuse(err, "member_limit_reached",
                                "the member has had as many of this reward as one member may",
                                v->reward.name);
    }
    return PT_OK;
}

/* Issues the coupon of redemption red (v->coupon), with the next free partner code for a
 * partner_voucher reward. */
static enum pt_rc redeem_coupon(struct pt_store_txn *txn, struct redeem_ctx *ctx,
                                const char *program_id, const struct pt_redemption *red,
                                struct pt_err *err)
{
    struct pt_coupon_view *v = ctx->out;
    enum pt_rc rc;
    memset(&v->coupon, 0, sizeof(v->coupon));
    memcpy(v->coupon.member_id, v->member.id, sizeof(v->coupon.member_id));
    memcpy(v->coupon.reward_id, v->reward.id, sizeof(v->coupon.reward_id));
    memcpy(v->coupon.redemption_id, red->id, sizeof(v->coupon.redemption_id));
    v->coupon.status = "active";
    v->coupon.issued_at_ms = ctx->w.now_ms;
    v->coupon.expires_at_ms = ctx->w.now_ms + v->reward.coupon_valid_days * PT_DAY_MS;
    v->reward.issued++;
    v->valid = true;
    rc = pt_svc_coupon_draw(txn, program_id, &v->coupon, err);
    if (rc == PT_OK && v->reward.type == PT_REWARD_PARTNER_VOUCHER) {
        /* The next free partner code goes with the coupon; none left is out of stock (also
         * when another node drew the last one meanwhile). */
        rc = pt_store_voucher_draw(txn, program_id, v->reward.id, v->coupon.code, ctx->w.arena,
                                   &v->coupon.partner_code, err);
        if (rc == PT_ENOTFOUND) {
            return pt_reward_refuse(err, "out_of_stock", "no partner codes are left",
                                    v->reward.name);
        }
        if (rc == PT_OK) {
            rc = pt_store_coupon_partner_code(txn, program_id, v->coupon.code,
                                              v->coupon.partner_code, err);
        }
    }
    return rc;
}

/* The member is read by redeem_allowed: an inactive member's refusal is the reward's. */
static enum pt_rc reward_redeem_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct redeem_ctx *ctx = (struct redeem_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_coupon_view *v = ctx->out;
    struct pt_program program;
    struct pt_redemption red;
    bool taken = false;
    char reason[PT_NAME_BYTES_MAX + 16];
    enum pt_rc rc = redeem_allowed(txn, ctx, &program, err);
    if (rc != PT_OK) {
        return rc;
    }
    /* Stock in one statement: of two members after the last unit, one gets it. */
    rc = pt_store_reward_take(txn, program.id, v->reward.id, &taken, err);
    if (rc == PT_OK && !taken) {
        return pt_reward_refuse(err, "out_of_stock", "the reward is out of stock", v->reward.name);
    }
    (void)snprintf(reason, sizeof(reason), "reward: %s", v->reward.name);
    if (rc == PT_OK) {
        rc = pt_svc_redeem_points(txn, &program, v->member.id, v->reward.cost_points, reason,
                                  ctx->w.who->key_id, ctx->w.now_ms, ctx->w.arena, &red, err);
        if (rc == PT_EINSUFFICIENT) {
            return pt_err_code(err, "insufficient_points");
        }
    }
    if (rc == PT_OK) {
        rc = redeem_coupon(txn, ctx, program.id, &red, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, v->member.id, ctx->w.now_ms, ctx->w.arena, &v->balance,
                            err);
    }
    w->result = v;
    w->ref_id = v->coupon.code;
    w->event_member_id = v->member.id;
    return rc;
}

/* The member first: of two nodes given one request at once, the second waits there and then
 * finds the first's idempotency record. */
static const struct pt_write_case reward_redeem_case = {
    .name = "reward_redeem",
    .lock_member = true,
    .event = "coupon.issued",
    .encoder = offsetof(struct pt_encoders, coupon),
    .body = reward_redeem_body,
};

enum pt_rc pt_service_reward_redeem(struct pt_service *svc, const struct pt_principal *who,
                                    const char *member_id, const char *reward_id,
                                    struct pt_idem *idem, struct pt_arena *arena,
                                    struct pt_coupon_view *out, struct pt_err *err)
{
    struct redeem_ctx ctx = {.reward_id = reward_id, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    ctx.w.member_id = member_id;
    memset(out, 0, sizeof(*out));
    return pt_svc_write(&ctx.w, &reward_redeem_case, err);
}
