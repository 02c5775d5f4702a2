/* SPDX-License-Identifier: MIT */
/*
 * The rewards catalog and coupons (docs/rewards.md). A member redeems a reward: its points are
 * spent through the ledger's redemption, one unit of stock is taken in one statement (the last
 * unit cannot go to two members), and a coupon with a fresh code is issued. At the till a
 * coupon is verified without change, and redeemed exactly once; a cancel gives the points back
 * through the redemption's cancel and the unit back to stock.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/clock.h"
#include "base/random.h"
#include "core/coupon_code.h"

#include <stdio.h>
#include <string.h>

#define DAY_MS 86400000LL
#define REWARD_TEXT_BYTES_MAX 2000
#define REWARD_COUPON_DAYS_MAX 3650
#define REWARD_VALUE_MAX 1000000000000LL

/* A refusal with its API code; the message names the reward. */
static enum pt_rc refuse(struct pt_err *err, const char *code, const char *message,
                         const char *name)
{
    (void)pt_err_set(err, PT_ELIMIT, NULL, "%s%s%s", message, name[0] ? ": " : "", name);
    return pt_err_code(err, code);
}

static enum pt_rc reward_validate(const struct pt_reward *r, struct pt_err *err)
{
    enum pt_rc rc = pt_validate_text("name", r->name, PT_NAME_BYTES_MAX, err);
    if (rc == PT_OK && r->description != NULL) {
        rc = pt_validate_text("description", r->description, REWARD_TEXT_BYTES_MAX, err);
    }
    if (rc == PT_OK && r->terms != NULL) {
        rc = pt_validate_text("terms", r->terms, REWARD_TEXT_BYTES_MAX, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (r->image_url != NULL &&
        (strncmp(r->image_url, "https://", 8) != 0 || strlen(r->image_url) > 2000 ||
         strpbrk(r->image_url, " \t\r\n\"<>") != NULL)) {
        return pt_err_set(err, PT_EINVAL, "image_url", "image_url is an https:// address");
    }
    if (r->cost_points < 1 || r->cost_points > PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "cost_points", "cost_points is 1 to %lld",
                          (long long)PT_POINTS_MAX);
    }
    switch (r->type) {
    case PT_REWARD_DISCOUNT_AMOUNT:
        if (r->value < 1 || r->value > REWARD_VALUE_MAX) {
            return pt_err_set(err, PT_EINVAL, "value",
                              "a discount_amount reward takes value: minor units off, >= 1");
        }
        break;
    case PT_REWARD_DISCOUNT_PERCENT:
        if (r->value < 1 || r->value > 10000) {
            return pt_err_set(err, PT_EINVAL, "value",
                              "a discount_percent reward takes value: hundredths of a percent "
                              "off, 1 to 10000");
        }
        break;
    case PT_REWARD_FREE_PRODUCT:
        if (r->sku == NULL || pt_validate_text("sku", r->sku, PT_EXTERNAL_ID_BYTES_MAX, err)) {
            return pt_err_set(err, PT_EINVAL, "sku", "a free_product reward names its sku");
        }
        break;
    case PT_REWARD_GIFT:
        break;
    case PT_REWARD_PARTNER_VOUCHER:
        /* Its stock is its pool of partner codes (POST /v1/rewards/{id}/vouchers). */
        if (r->has_stock) {
            return pt_err_set(err, PT_EINVAL, "stock",
                              "a partner_voucher reward's stock is its pool of partner codes: "
                              "leave stock null and upload codes");
        }
        break;
    case PT_REWARD_TYPES:
        break;
    }
    if (r->has_stock && (r->stock < 0 || r->stock > PT_POINTS_MAX)) {
        return pt_err_set(err, PT_EINVAL, "stock", "stock is null (unlimited) or >= 0");
    }
    if (r->per_member_limit < 0) {
        return pt_err_set(err, PT_EINVAL, "per_member_limit", "per_member_limit is null or >= 1");
    }
    if (r->valid_from_ms >= r->valid_to_ms) {
        return pt_err_set(err, PT_EINVAL, "valid_to", "valid_to must be after valid_from");
    }
    if (r->coupon_valid_days < 1 || r->coupon_valid_days > REWARD_COUPON_DAYS_MAX) {
        return pt_err_set(err, PT_EINVAL, "coupon_valid_days", "coupon_valid_days is 1 to %d",
                          REWARD_COUPON_DAYS_MAX);
    }
    return PT_OK;
}

struct reward_ctx {
    const struct pt_principal *who;
    struct pt_reward *reward;
    struct pt_idem *idem;
    struct pt_arena *arena;
    int64_t now_ms;
};

static enum pt_rc reward_create_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct reward_ctx *ctx = arg;
    enum pt_rc rc =
        pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    if (rc != PT_OK || ctx->idem->replayed) {
        return rc;
    }
    rc = pt_store_reward_insert(txn, ctx->who->program_id, ctx->reward, err);
    return rc == PT_OK ? pt_svc_idem_record(txn, ctx->who->program_id, ctx->idem, ctx->reward,
                                            ctx->reward->id, ctx->now_ms, ctx->arena, err)
                       : rc;
}

enum pt_rc pt_service_reward_create(struct pt_service *svc, const struct pt_principal *who,
                                    struct pt_reward *r, struct pt_idem *idem,
                                    struct pt_arena *arena, struct pt_err *err)
{
    struct reward_ctx ctx = {who, r, idem, arena, pt_svc_now_ms(svc, who->program_id)};
    enum pt_rc rc = reward_validate(r, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (r->status == PT_REWARD_ARCHIVED) {
        return pt_err_set(err, PT_EINVAL, "status", "a new reward is active or inactive");
    }
    pt_svc_new_id("rwd", ctx.now_ms, r->id);
    r->issued = 0;
    r->created_at_ms = ctx.now_ms;
    r->updated_at_ms = ctx.now_ms;
    return pt_store_write(svc->store, reward_create_txn, &ctx, err);
}

struct reward_update_ctx {
    const struct pt_principal *who;
    const char *reward_id;
    pt_reward_patch_fn patch;
    void *patch_ctx;
    struct pt_arena *arena;
    struct pt_reward *out;
    int64_t now_ms;
};

static enum pt_rc reward_update_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct reward_update_ctx *ctx = arg;
    struct pt_reward *r = ctx->out;
    /* Read, changed and written in one write, so that two changes at once both land. */
    enum pt_rc rc =
        pt_store_reward_get(txn, ctx->who->program_id, ctx->reward_id, ctx->arena, r, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (r->status == PT_REWARD_ARCHIVED) {
        return refuse(err, "reward_archived", "an archived reward cannot change", "");
    }
    rc = ctx->patch(ctx->patch_ctx, ctx->arena, r, err);
    if (rc == PT_OK) {
        rc = reward_validate(r, err);
    }
    r->updated_at_ms = ctx->now_ms;
    return rc == PT_OK ? pt_store_reward_update(txn, ctx->who->program_id, r, err) : rc;
}

enum pt_rc pt_service_reward_update(struct pt_service *svc, const struct pt_principal *who,
                                    const char *reward_id, pt_reward_patch_fn patch,
                                    void *patch_ctx, struct pt_arena *arena, struct pt_reward *out,
                                    struct pt_err *err)
{
    struct reward_update_ctx ctx = {
        who, reward_id, patch, patch_ctx, arena, out, pt_svc_now_ms(svc, who->program_id)};
    memset(out, 0, sizeof(*out));
    return pt_store_write(svc->store, reward_update_txn, &ctx, err);
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

/* Whether member (with tier name `tier`, nullable) may redeem r now: NULL, or the API code of
 * the reason it may not. */
static const char *not_eligible(const struct pt_reward *r, const struct pt_member *member,
                                const char *tier, int64_t now_ms)
{
    if (r->status != PT_REWARD_ACTIVE || now_ms < r->valid_from_ms || now_ms >= r->valid_to_ms) {
        return "reward_inactive";
    }
    if (member->status != PT_MEMBER_ACTIVE) {
        return "member_inactive";
    }
    if (r->tiers != NULL && r->tiers[0] != '\0') {
        const char *p = r->tiers;
        size_t n = tier != NULL ? strlen(tier) : 0;
        bool found = false;
        while (!found && *p != '\0') {
            const char *end = strchr(p, '\n');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            found = tier != NULL && len == n && strncmp(p, tier, n) == 0;
            p += len + (end ? 1 : 0);
        }
        if (!found) {
            return "not_eligible";
        }
    }
    if (r->has_stock && r->issued >= r->stock) {
        return "out_of_stock";
    }
    return NULL;
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
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
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
        o->reason = not_eligible(&rewards[i], &member, tier, now_ms);
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
    pt_store_read_end(txn);
    return rc;
}

/* ---- Redeeming a reward into a coupon ---- */

struct redeem_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const char *member_id;
    const char *reward_id;
    const char *code; /* coupons: the canonical code */
    const char *location;
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_coupon_view *out;
    int64_t now_ms;
};

static enum pt_rc issue_coupon(struct pt_store_txn *txn, const char *program_id,
                               struct pt_coupon *c, struct pt_err *err)
{
    unsigned draw;
    /* 60 random bits: a taken code is rare but possible; draw again, a bounded number of
     * times. */
    for (draw = 0; draw < PT_UNIQUE_DRAWS_MAX; draw++) {
        uint8_t random8[8];
        bool claimed = false;
        enum pt_rc rc;
        pt_random_bytes(random8, sizeof(random8));
        pt_coupon_code_make(random8, "", c->code, sizeof(c->code));
        rc = pt_store_coupon_insert(txn, program_id, c, &claimed, err);
        if (rc != PT_OK || claimed) {
            return rc;
        }
    }
    return pt_err_set(err, PT_EINTERNAL, NULL, "no free coupon code after %d draws",
                      PT_UNIQUE_DRAWS_MAX);
}

static enum pt_rc reward_redeem_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct redeem_ctx *ctx = arg;
    struct pt_coupon_view *v = ctx->out;
    struct pt_program program;
    struct pt_redemption red;
    const char *tier = NULL;
    const char *why;
    bool taken = false;
    int64_t had = 0;
    char reason[PT_NAME_BYTES_MAX + 16];
    /* The member first: of two nodes given one request at once, the second waits here and
     * then finds the first's idempotency record. */
    enum pt_rc rc = pt_store_member_lock(txn, ctx->who->program_id, ctx->member_id, err);
    if (rc == PT_OK) {
        rc = pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    }
    if (rc != PT_OK || ctx->idem->replayed) {
        return rc;
    }
    rc =
        pt_store_member_get(txn, ctx->who->program_id, ctx->member_id, ctx->arena, &v->member, err);
    if (rc == PT_ENOTFOUND) {
        return pt_err_set(err, PT_ENOTFOUND, NULL, "no member %s", ctx->member_id);
    }
    if (rc == PT_OK) {
        rc = pt_store_reward_get(txn, ctx->who->program_id, ctx->reward_id, ctx->arena, &v->reward,
                                 err);
    }
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, ctx->who->program_id, ctx->arena, &program, err);
    }
    if (rc == PT_OK) {
        rc = tier_of(txn, &program, &v->member, &tier, err);
    }
    if (rc == PT_OK && v->reward.per_member_limit > 0) {
        rc = pt_store_coupons_of_member(txn, program.id, v->member.id, v->reward.id, &had, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    why = not_eligible(&v->reward, &v->member, tier, ctx->now_ms);
    if (why != NULL && strcmp(why, "out_of_stock") != 0) {
        return refuse(err, why, "the member may not redeem this reward now", v->reward.name);
    }
    if (v->reward.per_member_limit > 0 && had >= v->reward.per_member_limit) {
        return refuse(err, "member_limit_reached",
                      "the member has had as many of this reward as one member may",
                      v->reward.name);
    }
    /* Stock in one statement: of two members after the last unit, one gets it. */
    rc = pt_store_reward_take(txn, program.id, v->reward.id, &taken, err);
    if (rc == PT_OK && !taken) {
        return refuse(err, "out_of_stock", "the reward is out of stock", v->reward.name);
    }
    (void)snprintf(reason, sizeof(reason), "reward: %s", v->reward.name);
    if (rc == PT_OK) {
        rc = pt_svc_redeem_points(txn, &program, v->member.id, v->reward.cost_points, reason,
                                  ctx->who->key_id, ctx->now_ms, ctx->arena, &red, err);
        if (rc == PT_EINSUFFICIENT) {
            return pt_err_code(err, "insufficient_points");
        }
    }
    if (rc != PT_OK) {
        return rc;
    }
    memset(&v->coupon, 0, sizeof(v->coupon));
    memcpy(v->coupon.member_id, v->member.id, sizeof(v->coupon.member_id));
    memcpy(v->coupon.reward_id, v->reward.id, sizeof(v->coupon.reward_id));
    memcpy(v->coupon.redemption_id, red.id, sizeof(v->coupon.redemption_id));
    v->coupon.status = "active";
    v->coupon.issued_at_ms = ctx->now_ms;
    v->coupon.expires_at_ms = ctx->now_ms + v->reward.coupon_valid_days * DAY_MS;
    v->reward.issued++;
    v->valid = true;
    rc = issue_coupon(txn, program.id, &v->coupon, err);
    if (rc == PT_OK && v->reward.type == PT_REWARD_PARTNER_VOUCHER) {
        /* The next free partner code goes with the coupon; none left is out of stock (also
         * when another node drew the last one meanwhile). */
        rc = pt_store_voucher_draw(txn, program.id, v->reward.id, v->coupon.code, ctx->arena,
                                   &v->coupon.partner_code, err);
        if (rc == PT_ENOTFOUND) {
            return refuse(err, "out_of_stock", "no partner codes are left", v->reward.name);
        }
        if (rc == PT_OK) {
            rc = pt_store_coupon_partner_code(txn, program.id, v->coupon.code,
                                              v->coupon.partner_code, err);
        }
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, v->member.id, ctx->now_ms, ctx->arena, &v->balance, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, program.id, "coupon.issued", v->member.id,
                          ctx->svc->enc.coupon, v, ctx->now_ms, ctx->arena, ctx->idem, err);
    }
    return rc == PT_OK ? pt_svc_idem_record(txn, program.id, ctx->idem, v, v->coupon.code,
                                            ctx->now_ms, ctx->arena, err)
                       : rc;
}

enum pt_rc pt_service_reward_redeem(struct pt_service *svc, const struct pt_principal *who,
                                    const char *member_id, const char *reward_id,
                                    struct pt_idem *idem, struct pt_arena *arena,
                                    struct pt_coupon_view *out, struct pt_err *err)
{
    struct redeem_ctx ctx = {svc,  who,  member_id, reward_id, NULL,
                             NULL, idem, arena,     out,       pt_svc_now_ms(svc, who->program_id)};
    memset(out, 0, sizeof(*out));
    return pt_store_write(svc->store, reward_redeem_txn, &ctx, err);
}

/* ---- At the till ---- */

/* The coupon, its reward and member, and whether it can be redeemed at now_ms. */
static enum pt_rc coupon_load(struct pt_store_txn *txn, const char *program_id, const char *code,
                              int64_t now_ms, struct pt_arena *arena, struct pt_coupon_view *v,
                              struct pt_err *err)
{
    enum pt_rc rc = pt_store_coupon_get(txn, program_id, code, arena, &v->coupon, err);
    if (rc == PT_OK) {
        rc = pt_store_reward_get(txn, program_id, v->coupon.reward_id, arena, &v->reward, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_member_get(txn, program_id, v->coupon.member_id, arena, &v->member, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (strcmp(v->coupon.status, "active") == 0 && v->coupon.expires_at_ms <= now_ms) {
        v->coupon.status = "expired"; /* The expiry job writes it; the till knows at once. */
    }
    v->valid = strcmp(v->coupon.status, "active") == 0;
    v->reason = strcmp(v->coupon.status, "redeemed") == 0    ? "already_redeemed"
                : strcmp(v->coupon.status, "expired") == 0   ? "coupon_expired"
                : strcmp(v->coupon.status, "cancelled") == 0 ? "coupon_cancelled"
                                                             : NULL;
    return PT_OK;
}

/* A promotion code, its batch and the batch's reward, and whether it can be used at now_ms
 * (by member_id when not NULL: its uses of the batch). */
static enum pt_rc promo_load(struct pt_store_txn *txn, const char *program_id, const char *code,
                             const char *member_id, int64_t now_ms, struct pt_arena *arena,
                             struct pt_coupon_view *v, struct pt_err *err)
{
    struct pt_coupon_batch *b = &v->batch;
    int64_t used = 0;
    enum pt_rc rc = pt_store_promo_code_get(txn, program_id, code, &v->promo_code, err);
    if (rc == PT_OK) {
        rc = pt_store_coupon_batch_get(txn, program_id, v->promo_code.batch_id, arena, b, err);
    }
    if (rc == PT_OK && b->reward_id[0] != '\0') {
        rc = pt_store_reward_get(txn, program_id, b->reward_id, arena, &v->reward, err);
    }
    if (rc == PT_OK && member_id != NULL && b->uses_per_member > 0) {
        rc = pt_store_promo_uses_of_member(txn, program_id, b->id, member_id, &used, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    v->promo = true;
    /* A code of a batch still being made, or failed, was never handed out (codes.csv waits
     * for ready): it cannot be used. */
    v->reason = b->status != PT_BATCH_READY              ? "batch_not_ready"
                : v->promo_code.uses >= b->uses_per_code ? "already_redeemed"
                : now_ms < b->valid_from_ms              ? "coupon_not_yet_valid"
                : now_ms >= b->valid_to_ms               ? "coupon_expired"
                : b->reward_id[0] != '\0' && v->reward.status == PT_REWARD_ARCHIVED
                    ? "reward_inactive"
                : member_id != NULL && b->uses_per_member > 0 && used >= b->uses_per_member
                    ? "member_limit_reached"
                    : NULL;
    v->valid = v->reason == NULL;
    return PT_OK;
}

/* A coupon, or else a promotion code, by its canonical code. */
static enum pt_rc code_load(struct pt_store_txn *txn, const char *program_id, const char *code,
                            const char *member_id, int64_t now_ms, struct pt_arena *arena,
                            struct pt_coupon_view *v, struct pt_err *err)
{
    enum pt_rc rc = coupon_load(txn, program_id, code, now_ms, arena, v, err);
    if (rc == PT_ENOTFOUND) {
        pt_err_clear(err);
        memset(v, 0, sizeof(*v));
        rc = promo_load(txn, program_id, code, member_id, now_ms, arena, v, err);
        if (rc == PT_ENOTFOUND) {
            rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such coupon");
        }
    }
    return rc;
}

enum pt_rc pt_service_coupon_get(struct pt_service *svc, const struct pt_principal *who,
                                 const char *code, struct pt_arena *arena,
                                 struct pt_coupon_view *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    memset(out, 0, sizeof(*out));
    if (rc == PT_OK) {
        rc = code_load(txn, who->program_id, code, NULL, pt_svc_now_ms(svc, who->program_id), arena,
                       out, err);
        pt_store_read_end(txn);
    }
    return rc;
}

/* The refusal of a coupon that cannot be used: when and where it was, for a redeemed one. */
static enum pt_rc coupon_refusal(const struct pt_coupon_view *v, struct pt_err *err)
{
    char when[40];
    if (v->promo) {
        if (strcmp(v->reason, "already_redeemed") == 0) {
            (void)pt_err_set(err, PT_ECONFLICT, "code", "already used %lld of %lld times",
                             (long long)v->promo_code.uses, (long long)v->batch.uses_per_code);
        } else {
            (void)pt_err_set(err, PT_ELIMIT, "code", "the promotion code cannot be used: %s",
                             v->reason);
        }
        return pt_err_code(err, v->reason);
    }
    if (strcmp(v->reason, "already_redeemed") == 0) {
        pt_time_format_rfc3339(v->coupon.redeemed_at_ms, when, sizeof(when));
        (void)pt_err_set(err, PT_ECONFLICT, "code", "already redeemed at %s in %s", when,
                         v->coupon.location != NULL ? v->coupon.location : "an unnamed place");
        return pt_err_code(err, "already_redeemed");
    }
    (void)pt_err_set(err, PT_ELIMIT, "code", "the coupon is %s", v->coupon.status);
    return pt_err_code(err, v->reason);
}

/* One use of a promotion code at the till, by ctx->member_id when given. */
static enum pt_rc promo_redeem(struct pt_store_txn *txn, struct redeem_ctx *ctx,
                               struct pt_coupon_view *v, struct pt_err *err)
{
    struct pt_promo_use u = {v->promo_code.code, v->batch.id, ctx->member_id, NULL,
                             ctx->location,      ctx->now_ms};
    bool used = false;
    enum pt_rc rc;
    if (ctx->member_id == NULL && v->valid && v->batch.uses_per_member > 0) {
        v->valid = false;
        v->reason = "member_required";
    }
    if (!v->valid) {
        return coupon_refusal(v, err);
    }
    rc = pt_store_promo_code_use(txn, ctx->who->program_id, &u, v->batch.uses_per_code, &used, err);
    if (rc == PT_OK && !used) {
        v->reason = "already_redeemed";
        return coupon_refusal(v, err);
    }
    v->promo_code.uses++;
    v->valid = v->promo_code.uses < v->batch.uses_per_code;
    v->reason = v->valid ? NULL : "already_redeemed";
    return rc == PT_OK ? pt_svc_event(ctx->svc, txn, ctx->who->program_id, "coupon.redeemed",
                                      ctx->member_id, ctx->svc->enc.coupon, v, ctx->now_ms,
                                      ctx->arena, NULL, err)
                       : rc;
}

static enum pt_rc coupon_redeem_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct redeem_ctx *ctx = arg;
    struct pt_coupon_view *v = ctx->out;
    bool moved = false;
    enum pt_rc rc = PT_OK;
    if (ctx->member_id != NULL) {
        /* The member first: their uses of a batch are counted, then one is added. */
        struct pt_member m;
        rc = pt_store_member_lock(txn, ctx->who->program_id, ctx->member_id, err);
        if (rc == PT_OK) {
            rc =
                pt_store_member_get(txn, ctx->who->program_id, ctx->member_id, ctx->arena, &m, err);
        }
        if (rc == PT_ENOTFOUND) {
            return pt_err_set(err, PT_ENOTFOUND, "member_id", "no member %s", ctx->member_id);
        }
        if (rc == PT_OK) {
            rc = pt_member_require_open(&m, err);
        }
    }
    if (rc == PT_OK) {
        rc = code_load(txn, ctx->who->program_id, ctx->code, ctx->member_id, ctx->now_ms,
                       ctx->arena, v, err);
    }
    if (rc == PT_OK && !v->promo) {
        rc = pt_member_require_open(&v->member, err); /* A closed member's coupon waits. */
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (v->promo) {
        return promo_redeem(txn, ctx, v, err);
    }
    if (v->valid && ctx->member_id != NULL && strcmp(ctx->member_id, v->member.id) != 0) {
        v->valid = false;
        v->reason = "coupon_not_yours";
        (void)pt_err_set(err, PT_ELIMIT, "member_id", "the coupon belongs to another member");
        return pt_err_code(err, "coupon_not_yours");
    }
    if (!v->valid) {
        return coupon_refusal(v, err);
    }
    v->coupon.status = "redeemed";
    v->coupon.redeemed_at_ms = ctx->now_ms;
    v->coupon.location = ctx->location;
    /* Exactly once: the move happens only from active. */
    rc = pt_store_coupon_move(txn, ctx->who->program_id, &v->coupon, "active", &moved, err);
    if (rc == PT_OK && !moved) {
        rc = coupon_load(txn, ctx->who->program_id, ctx->code, ctx->now_ms, ctx->arena, v, err);
        return rc == PT_OK ? coupon_refusal(v, err) : rc;
    }
    v->valid = false;
    v->reason = NULL;
    return rc == PT_OK
               ? pt_svc_event(ctx->svc, txn, ctx->who->program_id, "coupon.redeemed", v->member.id,
                              ctx->svc->enc.coupon, v, ctx->now_ms, ctx->arena, NULL, err)
               : rc;
}

enum pt_rc pt_service_coupon_redeem(struct pt_service *svc, const struct pt_principal *who,
                                    const char *code, const char *location, const char *member_id,
                                    struct pt_arena *arena, struct pt_coupon_view *out,
                                    struct pt_err *err)
{
    struct redeem_ctx ctx = {svc,      who,  member_id, NULL, code,
                             location, NULL, arena,     out,  pt_svc_now_ms(svc, who->program_id)};
    memset(out, 0, sizeof(*out));
    if (location != NULL) {
        enum pt_rc rc = pt_validate_text("location", location, PT_NAME_BYTES_MAX, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return pt_store_write(svc->store, coupon_redeem_txn, &ctx, err);
}

static enum pt_rc coupon_cancel_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct redeem_ctx *ctx = arg;
    struct pt_coupon_view *v = ctx->out;
    struct pt_program program;
    struct pt_redemption red;
    char member_id[PT_ID_BUF_BYTES];
    bool moved = false;
    /* The member first, then the coupon: the order of purchases and of the till, so that a
     * cancel racing them on PostgreSQL waits rather than deadlocks. */
    enum pt_rc rc = pt_store_coupon_member(txn, ctx->who->program_id, ctx->code, member_id, err);
    if (rc == PT_OK && member_id[0] != '\0') {
        rc = pt_store_member_lock(txn, ctx->who->program_id, member_id, err);
    }
    if (rc == PT_OK && member_id[0] != '\0') {
        rc = pt_svc_member_open(txn, ctx->who->program_id, member_id, ctx->arena, err);
    }
    if (rc == PT_OK) {
        rc = code_load(txn, ctx->who->program_id, ctx->code, NULL, ctx->now_ms, ctx->arena, v, err);
    }
    if (rc == PT_OK && v->promo) {
        (void)pt_err_set(err, PT_ELIMIT, "code",
                         "a promotion code is not cancelled: its batch gives it away");
        return pt_err_code(err, "not_cancellable");
    }
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, ctx->who->program_id, ctx->arena, &program, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (strcmp(v->coupon.status, "cancelled") == 0) {
        /* Cancelling twice changes nothing: answer the current state. */
        return pt_svc_balance(txn, &program, v->member.id, ctx->now_ms, ctx->arena, &v->balance,
                              err);
    }
    if (!v->valid) {
        return coupon_refusal(v, err);
    }
    if (v->coupon.partner_code != NULL) {
        /* Its partner code has been shown: it could be used at the partner still. */
        (void)pt_err_set(err, PT_ECONFLICT, "code",
                         "a partner voucher cannot be cancelled: its partner code was shown");
        return pt_err_code(err, "partner_voucher_shown");
    }
    v->coupon.status = "cancelled";
    v->coupon.cancelled_at_ms = ctx->now_ms;
    rc = pt_store_coupon_move(txn, program.id, &v->coupon, "active", &moved, err);
    if (rc == PT_OK && !moved) {
        return pt_err_set(err, PT_EBUSY, NULL, "the coupon changed meanwhile: try again");
    }
    if (rc == PT_OK) {
        /* The points come back through the ledger's own redemption cancel. */
        rc = pt_store_redemption_get(txn, program.id, v->coupon.redemption_id, ctx->arena, &red,
                                     err);
    }
    if (rc == PT_OK && !red.cancelled) {
        rc = pt_svc_redemption_undo(txn, &program, &red, ctx->who->key_id, ctx->now_ms, ctx->arena,
                                    err);
    }
    if (rc == PT_OK) {
        rc = pt_store_reward_give_back(txn, program.id, v->reward.id, err);
        v->reward.issued--;
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, v->member.id, ctx->now_ms, ctx->arena, &v->balance, err);
    }
    v->valid = false;
    v->reason = "coupon_cancelled";
    return rc == PT_OK ? pt_svc_event(ctx->svc, txn, program.id, "coupon.cancelled", v->member.id,
                                      ctx->svc->enc.coupon, v, ctx->now_ms, ctx->arena, NULL, err)
                       : rc;
}

enum pt_rc pt_service_coupon_cancel(struct pt_service *svc, const struct pt_principal *who,
                                    const char *code, struct pt_arena *arena,
                                    struct pt_coupon_view *out, struct pt_err *err)
{
    struct redeem_ctx ctx = {svc,  who,  NULL,  NULL, code,
                             NULL, NULL, arena, out,  pt_svc_now_ms(svc, who->program_id)};
    memset(out, 0, sizeof(*out));
    return pt_store_write(svc->store, coupon_cancel_txn, &ctx, err);
}

/* ---- Expiry ---- */

#define COUPON_EXPIRY_PAGE 200
#define COUPON_EXPIRY_ROUNDS_MAX 100000

struct expire_ctx {
    struct pt_service *svc;
    const char *program_id;
    struct pt_arena *arena;
    int64_t now_ms;
    int64_t expired;
    bool more;
};

static enum pt_rc coupons_expire_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct expire_ctx *ctx = arg;
    char(*codes)[PT_ID_BUF_BYTES] = NULL;
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc = pt_store_coupons_due(txn, ctx->program_id, ctx->now_ms, COUPON_EXPIRY_PAGE,
                                         ctx->arena, &codes, &count, err);
    ctx->more = rc == PT_OK && count == COUPON_EXPIRY_PAGE;
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_coupon_view v;
        bool moved = false;
        memset(&v, 0, sizeof(v));
        rc = coupon_load(txn, ctx->program_id, codes[i], ctx->now_ms, ctx->arena, &v, err);
        if (rc == PT_OK) {
            v.coupon.status = "expired";
            rc = pt_store_coupon_move(txn, ctx->program_id, &v.coupon, "active", &moved, err);
        }
        if (rc == PT_OK && moved) {
            ctx->expired++;
            rc = pt_svc_event(ctx->svc, txn, ctx->program_id, "coupon.expired", v.member.id,
                              ctx->svc->enc.coupon, &v, ctx->now_ms, ctx->arena, NULL, err);
        }
    }
    return rc;
}

enum pt_rc pt_service_coupons_expire(struct pt_service *svc, const char *program_id,
                                     int64_t *expired, struct pt_err *err)
{
    struct expire_ctx ctx = {svc, NULL, NULL, pt_svc_now_ms(svc, program_id), 0, true};
    enum pt_rc rc = pt_svc_job_rounds(svc, program_id, COUPON_EXPIRY_ROUNDS_MAX, coupons_expire_txn,
                                      &ctx, &ctx.program_id, &ctx.arena, &ctx.more, err);
    *expired = ctx.expired;
    return rc;
}

/* ---- Coupons and promotion codes in carts and purchases ---- */

/* What a reward type gives on a cart of lines: NULL when it applies, else why not. A
 * free_product needs its sku in the cart; a partner voucher is used at the partner. */
static const char *gives_on(struct pt_cart_coupon *c, const struct pt_cart_item *lines,
                            unsigned line_count)
{
    unsigned i;
    switch (c->type) {
    case PT_REWARD_FREE_PRODUCT:
        for (i = 0; i < line_count; i++) {
            if (lines[i].sku != NULL && c->sku != NULL && strcmp(lines[i].sku, c->sku) == 0) {
                return NULL;
            }
        }
        return "product_not_in_cart";
    case PT_REWARD_PARTNER_VOUCHER:
        return "coupon_not_applicable";
    case PT_REWARD_DISCOUNT_AMOUNT:
    case PT_REWARD_DISCOUNT_PERCENT:
    case PT_REWARD_GIFT:
    case PT_REWARD_TYPES:
        break;
    }
    return NULL;
}

static void gives_reward(struct pt_cart_coupon *c, const struct pt_reward *r)
{
    memcpy(c->reward_id, r->id, sizeof(c->reward_id));
    c->reward_name = r->name;
    c->type = r->type;
    c->value = r->value;
    c->sku = r->sku;
}

/* A member's coupon: theirs, active and not expired. */
static enum pt_rc cart_coupon(struct pt_store_txn *txn, const struct pt_program *program,
                              const struct pt_member *member, const struct pt_coupon *coupon,
                              int64_t now_ms, struct pt_arena *arena, struct pt_cart_coupon *c,
                              struct pt_err *err)
{
    struct pt_reward reward;
    enum pt_rc rc = pt_store_reward_get(txn, program->id, coupon->reward_id, arena, &reward, err);
    if (rc != PT_OK) {
        return rc;
    }
    c->kind = PT_CART_CODE_COUPON;
    gives_reward(c, &reward);
    c->reason = strcmp(coupon->status, "redeemed") == 0    ? "already_redeemed"
                : strcmp(coupon->status, "cancelled") == 0 ? "coupon_cancelled"
                : strcmp(coupon->status, "expired") == 0 || coupon->expires_at_ms <= now_ms
                    ? "coupon_expired"
                : member == NULL || strcmp(member->id, coupon->member_id) != 0 ? "coupon_not_yours"
                                                                               : NULL;
    return PT_OK;
}

/* A promotion code: within its batch's validity, uses left, and the member's uses left. */
static enum pt_rc cart_promo(struct pt_store_txn *txn, const struct pt_program *program,
                             const struct pt_member *member, const struct pt_promo_code *code,
                             int64_t now_ms, struct pt_arena *arena, struct pt_cart_coupon *c,
                             struct pt_err *err)
{
    struct pt_coupon_batch batch;
    int64_t used = 0;
    enum pt_rc rc = pt_store_coupon_batch_get(txn, program->id, code->batch_id, arena, &batch, err);
    if (rc != PT_OK) {
        return rc;
    }
    c->kind = PT_CART_CODE_PROMO;
    memcpy(c->batch_id, batch.id, sizeof(c->batch_id));
    c->uses_per_code = batch.uses_per_code;
    if (batch.reward_id[0] != '\0') {
        struct pt_reward reward;
        rc = pt_store_reward_get(txn, program->id, batch.reward_id, arena, &reward, err);
        if (rc != PT_OK) {
            return rc;
        }
        gives_reward(c, &reward);
        if (reward.status == PT_REWARD_ARCHIVED) {
            c->reason = "reward_inactive";
        }
    } else {
        c->type = batch.type;
        c->value = batch.value;
        c->sku = batch.sku;
        c->reward_name = batch.name;
    }
    if (c->reason != NULL) {
        return PT_OK;
    }
    if (batch.status != PT_BATCH_READY) {
        c->reason = "batch_not_ready";
    } else if (now_ms < batch.valid_from_ms) {
        c->reason = "coupon_not_yet_valid";
    } else if (now_ms >= batch.valid_to_ms) {
        c->reason = "coupon_expired";
    } else if (code->uses >= batch.uses_per_code) {
        c->reason = "already_redeemed";
    } else if (batch.uses_per_member > 0) {
        if (member == NULL) {
            c->reason = "member_required";
        } else {
            rc = pt_store_promo_uses_of_member(txn, program->id, batch.id, member->id, &used, err);
            if (rc == PT_OK && used >= batch.uses_per_member) {
                c->reason = "member_limit_reached";
            }
        }
    }
    return rc;
}

enum pt_rc pt_svc_cart_coupons(struct pt_store_txn *txn, const struct pt_program *program,
                               const struct pt_member *member, const struct pt_cart_request *req,
                               const struct pt_cart_item *lines, unsigned line_count,
                               int64_t now_ms, struct pt_arena *arena, struct pt_cart_coupon **out,
                               struct pt_err *err)
{
    unsigned n = req->coupon_count;
    unsigned i;
    unsigned k;
    enum pt_rc rc = PT_OK;
    *out = pt_arena_alloc(arena, (n ? n : 1) * sizeof(**out));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (i = 0; rc == PT_OK && i < n; i++) {
        struct pt_cart_coupon *c = &(*out)[i];
        struct pt_coupon coupon;
        struct pt_promo_code promo;
        struct pt_err perr;
        memset(c, 0, sizeof(*c));
        c->input = req->coupons[i];
        c->kind = PT_CART_CODE_RULE;
        pt_err_clear(&perr);
        /* Text that is not a well-formed code (a typo included) is a code for the rules. */
        if (pt_coupon_code_parse(c->input, c->code, sizeof(c->code), &perr) != PT_OK) {
            c->code[0] = '\0';
            continue;
        }
        rc = pt_store_coupon_get(txn, program->id, c->code, arena, &coupon, err);
        if (rc == PT_OK) {
            rc = cart_coupon(txn, program, member, &coupon, now_ms, arena, c, err);
        } else if (rc == PT_ENOTFOUND) {
            pt_err_clear(err);
            rc = pt_store_promo_code_get(txn, program->id, c->code, &promo, err);
            if (rc == PT_OK) {
                rc = cart_promo(txn, program, member, &promo, now_ms, arena, c, err);
            } else if (rc == PT_ENOTFOUND) {
                pt_err_clear(err);
                rc = PT_OK;
                continue;
            }
        }
        for (k = 0; rc == PT_OK && c->reason == NULL && k < i; k++) {
            if ((*out)[k].kind != PT_CART_CODE_RULE && strcmp((*out)[k].code, c->code) == 0) {
                c->reason = "duplicate_code";
            }
        }
        if (rc == PT_OK && c->reason == NULL) {
            c->reason = gives_on(c, lines, line_count);
        }
        c->applied = rc == PT_OK && c->reason == NULL;
    }
    return rc;
}

/* The refusal of a purchase for a code it could not use. */
static enum pt_rc code_refusal(const struct pt_cart_coupon *c, struct pt_err *err)
{
    static const struct {
        const char *reason;
        const char *text;
    } texts[] = {
        {"already_redeemed", "has been used"},
        {"coupon_cancelled", "was cancelled"},
        {"coupon_expired", "has expired"},
        {"coupon_not_yet_valid", "is not valid yet"},
        {"coupon_not_yours", "belongs to another member"},
        {"member_required", "needs a member: it has a limit of uses per member"},
        {"member_limit_reached", "has been used by this member as often as one member may"},
        {"reward_inactive", "gives a reward that was archived"},
        {"product_not_in_cart", "gives a product that is not in the cart"},
        {"coupon_not_applicable", "is used at the partner, not here"},
        {"duplicate_code", "was given twice"},
        {"batch_not_ready", "belongs to a batch whose codes are still being made"},
    };
    const char *text = "cannot be used";
    unsigned i;
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (strcmp(texts[i].reason, c->reason) == 0) {
            text = texts[i].text;
        }
    }
    (void)pt_err_set(err, strcmp(c->reason, "already_redeemed") == 0 ? PT_ECONFLICT : PT_ELIMIT,
                     "coupons", "the code %s %s", c->input, text);
    return pt_err_code(err, c->reason);
}

enum pt_rc pt_svc_purchase_coupons(struct pt_service *svc, struct pt_store_txn *txn,
                                   const struct pt_program *program, const struct pt_purchase *p,
                                   const struct pt_cart_answer *cart, int64_t now_ms,
                                   struct pt_arena *arena, struct pt_err *err)
{
    unsigned i;
    enum pt_rc rc = PT_OK;
    for (i = 0; rc == PT_OK && i < cart->coupon_count; i++) {
        const struct pt_cart_coupon *c = &cart->coupons[i];
        bool used = false;
        if (c->kind == PT_CART_CODE_RULE) {
            continue;
        }
        if (!c->applied) {
            return code_refusal(c, err);
        }
        struct pt_coupon_view v;
        memset(&v, 0, sizeof(v));
        if (c->kind == PT_CART_CODE_COUPON) {
            /* Exactly once: the row was read locked in this write, and moves only from active. */
            rc = pt_store_coupon_use(txn, program->id, c->code, p->id, p->location, now_ms, &used,
                                     err);
            if (rc == PT_OK && !used) {
                struct pt_cart_coupon again = *c;
                again.reason = "already_redeemed";
                return code_refusal(&again, err);
            }
            if (rc == PT_OK) {
                rc = coupon_load(txn, program->id, c->code, now_ms, arena, &v, err);
            }
            if (rc == PT_OK) {
                v.reason = NULL;
                rc = pt_svc_event(svc, txn, program->id, "coupon.redeemed", p->member_id,
                                  svc->enc.coupon, &v, now_ms, arena, NULL, err);
            }
        } else {
            struct pt_promo_use u = {c->code, c->batch_id, p->member_id,
                                     p->id,   p->location, now_ms};
            rc = pt_store_promo_code_use(txn, program->id, &u, c->uses_per_code, &used, err);
            if (rc == PT_OK && !used) {
                struct pt_cart_coupon again = *c;
                again.reason = "already_redeemed";
                return code_refusal(&again, err);
            }
            if (rc == PT_OK) {
                rc = promo_load(txn, program->id, c->code, NULL, now_ms, arena, &v, err);
            }
            if (rc == PT_OK) {
                rc = pt_svc_event(svc, txn, program->id, "coupon.redeemed", p->member_id,
                                  svc->enc.coupon, &v, now_ms, arena, NULL, err);
            }
        }
    }
    return rc;
}

/* ---- Partner voucher pools ---- */

struct vouchers_ctx {
    const struct pt_principal *who;
    const char *reward_id;
    const char *const *codes;
    unsigned count;
    int64_t now_ms;
    struct pt_arena *arena;
    struct pt_voucher_pool *out;
};

static enum pt_rc vouchers_load(struct pt_store_txn *txn, const char *program_id,
                                const char *reward_id, struct pt_arena *arena,
                                struct pt_voucher_pool *out, struct pt_err *err)
{
    struct pt_reward r;
    enum pt_rc rc = pt_store_reward_get(txn, program_id, reward_id, arena, &r, err);
    if (rc == PT_OK && r.type != PT_REWARD_PARTNER_VOUCHER) {
        (void)pt_err_set(err, PT_ELIMIT, NULL, "reward %s is not a partner_voucher reward",
                         reward_id);
        return pt_err_code(err, "not_partner_voucher");
    }
    if (rc == PT_OK) {
        memcpy(out->reward_id, r.id, sizeof(out->reward_id));
        rc = pt_store_vouchers_count(txn, program_id, r.id, &out->codes, &out->free_codes, err);
    }
    return rc;
}

static enum pt_rc vouchers_add_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct vouchers_ctx *ctx = arg;
    enum pt_rc rc =
        vouchers_load(txn, ctx->who->program_id, ctx->reward_id, ctx->arena, ctx->out, err);
    if (rc == PT_OK) {
        rc = pt_store_vouchers_add(txn, ctx->who->program_id, ctx->reward_id, ctx->codes,
                                   ctx->count, ctx->now_ms, &ctx->out->added, err);
    }
    if (rc == PT_OK) {
        ctx->out->codes += ctx->out->added;
        ctx->out->free_codes += ctx->out->added;
    }
    return rc;
}

enum pt_rc pt_service_vouchers_add(struct pt_service *svc, const struct pt_principal *who,
                                   const char *reward_id, const char *const *codes, unsigned count,
                                   struct pt_arena *arena, struct pt_voucher_pool *out,
                                   struct pt_err *err)
{
    struct vouchers_ctx ctx = {who,   reward_id, codes, count, pt_svc_now_ms(svc, who->program_id),
                               arena, out};
    unsigned i;
    memset(out, 0, sizeof(*out));
    if (count == 0 || count > PT_VOUCHERS_PER_UPLOAD_MAX) {
        return pt_err_set(err, PT_EINVAL, "codes", "an upload holds 1 to %d codes",
                          PT_VOUCHERS_PER_UPLOAD_MAX);
    }
    for (i = 0; i < count; i++) {
        const char *c = codes[i];
        size_t n = strlen(c);
        size_t k;
        bool ok = n >= 1 && n <= PT_VOUCHER_CODE_BYTES_MAX;
        for (k = 0; ok && k < n; k++) {
            ok = c[k] > ' ' && c[k] < 0x7f; /* Printable ASCII, no spaces: what a partner's
                                               till can read back. */
        }
        if (!ok) {
            return pt_err_set(err, PT_EINVAL, "codes",
                              "codes[%u] is 1 to %d printable ASCII characters without spaces", i,
                              PT_VOUCHER_CODE_BYTES_MAX);
        }
    }
    return pt_store_write(svc->store, vouchers_add_txn, &ctx, err);
}

enum pt_rc pt_service_vouchers_get(struct pt_service *svc, const struct pt_principal *who,
                                   const char *reward_id, struct pt_arena *arena,
                                   struct pt_voucher_pool *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    memset(out, 0, sizeof(*out));
    if (rc == PT_OK) {
        rc = vouchers_load(txn, who->program_id, reward_id, arena, out, err);
        pt_store_read_end(txn);
    }
    return rc;
}
