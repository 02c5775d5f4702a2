/* SPDX-License-Identifier: MIT */
/*
 * Coupons after they are issued (docs/rewards.md): a coupon or a promotion code looked up,
 * redeemed at the till exactly once, cancelled (the points back through the redemption's
 * cancel, the unit back to stock) and expired; and the codes of a cart, judged for the
 * evaluation and then used by the purchase. A reward's coupon is issued in rewards.c.
 */
#include "service/service_int.h"

#include "base/clock.h"
#include "core/coupon_code.h"

#include <stddef.h>
#include <string.h>

/* A write at the till or a cancel: the code, and who uses it where. */
struct till_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *member_id; /* Nullable at the till; NULL on cancel. */
    const char *code;      /* The canonical code. */
    const char *location;  /* Nullable. */
    const char *reason;    /* A cancel's; nullable. */
    struct pt_coupon_view *out;
};

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
    /* A member's session sees its own coupons only; another's, or a promotion code, is as
     * absent as one that does not exist. */
    if (rc == PT_OK && who->kind == PT_PRINCIPAL_MEMBER &&
        (out->promo || strcmp(out->coupon.member_id, who->member_id) != 0)) {
        memset(out, 0, sizeof(*out));
        rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no such coupon");
    }
    return rc;
}

enum pt_rc pt_service_member_coupons(struct pt_service *svc, const struct pt_principal *who,
                                     const char *member_id, const char *status,
                                     const char *cursor_code, unsigned limit,
                                     struct pt_arena *arena, struct pt_coupon_listed **out,
                                     unsigned *count, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    *out = NULL;
    *count = 0;
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_svc_member_load(txn, who->program_id, member_id, arena, &member, NULL, err);
    if (rc == PT_OK) {
        rc = pt_store_member_coupons(txn, who->program_id, member.id, status, cursor_code, limit,
                                     arena, out, count, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

/* One use of a promotion code at the till, by ctx->member_id when given. */
static enum pt_rc promo_redeem(struct pt_store_txn *txn, struct till_ctx *ctx,
                               struct pt_coupon_view *v, struct pt_err *err)
{
    struct pt_promo_use u = {v->promo_code.code, v->batch.id,  ctx->member_id, NULL,
                             ctx->location,      ctx->w.now_ms};
    bool used = false;
    enum pt_rc rc;
    if (ctx->member_id == NULL && v->valid && v->batch.uses_per_member > 0) {
        v->valid = false;
        v->reason = "member_required";
    }
    if (!v->valid) {
        return pt_coupon_refusal(v, err);
    }
    rc = pt_store_promo_code_use(txn, ctx->w.who->program_id, &u, v->batch.uses_per_code, &used,
                                 err);
    if (rc == PT_OK && !used) {
        v->reason = "already_redeemed";
        return pt_coupon_refusal(v, err);
    }
    v->promo_code.uses++;
    v->valid = v->promo_code.uses < v->batch.uses_per_code;
    v->reason = v->valid ? NULL : "already_redeemed";
    ctx->w.result = v;
    ctx->w.event_member_id = ctx->member_id; /* NULL for a guest. */
    return rc;
}

static enum pt_rc coupon_redeem_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct till_ctx *ctx = (struct till_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_coupon_view *v = ctx->out;
    bool moved = false;
    enum pt_rc rc = PT_OK;
    if (ctx->member_id != NULL) {
        /* The member first: their uses of a batch are counted, then one is added. */
        struct pt_member m;
        rc = pt_store_member_lock(txn, ctx->w.who->program_id, ctx->member_id, err);
        if (rc == PT_OK) {
            rc = pt_store_member_get(txn, ctx->w.who->program_id, ctx->member_id, ctx->w.arena, &m,
                                     err);
        }
        if (rc == PT_ENOTFOUND) {
            return pt_err_set(err, PT_ENOTFOUND, "member_id", "no member %s", ctx->member_id);
        }
        if (rc == PT_OK) {
            rc = pt_member_require_open(&m, err);
        }
    }
    if (rc == PT_OK) {
        rc = code_load(txn, ctx->w.who->program_id, ctx->code, ctx->member_id, ctx->w.now_ms,
                       ctx->w.arena, v, err);
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
        return pt_coupon_refusal(v, err);
    }
    v->coupon.status = "redeemed";
    v->coupon.redeemed_at_ms = ctx->w.now_ms;
    v->coupon.location = ctx->location;
    /* Exactly once: the move happens only from active. */
    rc = pt_store_coupon_move(txn, ctx->w.who->program_id, &v->coupon, "active", &moved, err);
    if (rc == PT_OK && !moved) {
        rc = coupon_load(txn, ctx->w.who->program_id, ctx->code, ctx->w.now_ms, ctx->w.arena, v,
                         err);
        return rc == PT_OK ? pt_coupon_refusal(v, err) : rc;
    }
    v->valid = false;
    v->reason = NULL;
    w->result = v;
    w->event_member_id = v->member.id;
    return rc;
}

/* A coupon of a member, or a use of a promotion code (by a member or a guest). */
static const struct pt_write_case coupon_redeem_case = {
    .name = "coupon_redeem",
    .event = "coupon.redeemed",
    .encoder = offsetof(struct pt_encoders, coupon),
    .body = coupon_redeem_body,
};

enum pt_rc pt_service_coupon_redeem(struct pt_service *svc, const struct pt_principal *who,
                                    const char *code, const char *location, const char *member_id,
                                    struct pt_arena *arena, struct pt_coupon_view *out,
                                    struct pt_err *err)
{
    struct till_ctx ctx = {.member_id = member_id, .code = code, .location = location, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    if (location != NULL) {
        enum pt_rc rc = pt_validate_text("location", location, PT_NAME_BYTES_MAX, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return pt_svc_write(&ctx.w, &coupon_redeem_case, err);
}

static enum pt_rc coupon_cancel_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct till_ctx *ctx = (struct till_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_coupon_view *v = ctx->out;
    struct pt_program program;
    struct pt_redemption red;
    char member_id[PT_ID_BUF_BYTES];
    bool moved = false;
    /* The member first, then the coupon: the order of purchases and of the till, so that a
     * cancel racing them on PostgreSQL waits rather than deadlocks. */
    enum pt_rc rc = pt_store_coupon_member(txn, ctx->w.who->program_id, ctx->code, member_id, err);
    if (rc == PT_OK && member_id[0] != '\0') {
        rc = pt_store_member_lock(txn, ctx->w.who->program_id, member_id, err);
    }
    if (rc == PT_OK && member_id[0] != '\0') {
        rc = pt_svc_member_open(txn, ctx->w.who->program_id, member_id, ctx->w.arena, err);
    }
    if (rc == PT_OK) {
        rc = code_load(txn, ctx->w.who->program_id, ctx->code, NULL, ctx->w.now_ms, ctx->w.arena, v,
                       err);
    }
    if (rc == PT_OK && v->promo) {
        (void)pt_err_set(err, PT_ELIMIT, "code",
                         "a promotion code is not cancelled: its batch gives it away");
        return pt_err_code(err, "not_cancellable");
    }
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, ctx->w.who->program_id, ctx->w.arena, &program, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (strcmp(v->coupon.status, "cancelled") == 0) {
        /* Cancelling twice changes nothing: answer the current state. */
        return pt_svc_balance(txn, &program, v->member.id, ctx->w.now_ms, ctx->w.arena, &v->balance,
                              err);
    }
    if (!v->valid) {
        return pt_coupon_refusal(v, err);
    }
    if (v->coupon.partner_code != NULL) {
        /* Its partner code has been shown: it could be used at the partner still. */
        (void)pt_err_set(err, PT_ECONFLICT, "code",
                         "a partner voucher cannot be cancelled: its partner code was shown");
        return pt_err_code(err, "partner_voucher_shown");
    }
    v->coupon.status = "cancelled";
    v->coupon.cancelled_at_ms = ctx->w.now_ms;
    v->coupon.cancel_reason = ctx->reason;
    rc = pt_store_coupon_move(txn, program.id, &v->coupon, "active", &moved, err);
    if (rc == PT_OK && !moved) {
        return pt_err_set(err, PT_EBUSY, NULL, "the coupon changed meanwhile: try again");
    }
    if (rc == PT_OK && v->coupon.redemption_id[0] != '\0') {
        /* The points come back through the ledger's own redemption cancel (a coupon a rule or
         * a stamp card gave cost none). */
        rc = pt_store_redemption_get(txn, program.id, v->coupon.redemption_id, ctx->w.arena, &red,
                                     err);
    } else {
        red.cancelled = true;
    }
    if (rc == PT_OK && !red.cancelled) {
        red.cancel_reason = ctx->reason;
        rc = pt_svc_redemption_undo(txn, &program, &red, ctx->w.who->key_id, ctx->w.now_ms,
                                    ctx->w.arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_reward_give_back(txn, program.id, v->reward.id, err);
        v->reward.issued--;
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, v->member.id, ctx->w.now_ms, ctx->w.arena, &v->balance,
                            err);
    }
    v->valid = false;
    v->reason = "coupon_cancelled";
    w->result = v;
    w->event_member_id = v->member.id;
    return rc;
}

/* Cancelling twice changes nothing and appends no event (the body leaves w->result NULL). */
static const struct pt_write_case coupon_cancel_case = {
    .name = "coupon_cancel",
    .event = "coupon.cancelled",
    .encoder = offsetof(struct pt_encoders, coupon),
    .body = coupon_cancel_body,
};

enum pt_rc pt_service_coupon_cancel(struct pt_service *svc, const struct pt_principal *who,
                                    const char *code, const char *reason, struct pt_arena *arena,
                                    struct pt_coupon_view *out, struct pt_err *err)
{
    struct till_ctx ctx = {.code = code, .reason = reason, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    enum pt_rc rc = pt_svc_cancel_reason_check(reason, err);
    return rc == PT_OK ? pt_svc_write(&ctx.w, &coupon_cancel_case, err) : rc;
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
    pt_cart_coupon_gives_reward(c, &reward);
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
        pt_cart_coupon_gives_reward(c, &reward);
        if (reward.status == PT_REWARD_ARCHIVED) {
            c->reason = "reward_inactive";
        }
    } else {
        c->type = batch.type;
        c->value = batch.value;
        c->sku = batch.sku;
        c->reward_name = batch.name;
        c->combines = batch.combines;
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
        return pt_arena_err(arena, err); /* Filled below. */
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
            c->reason = pt_cart_coupon_gives_on(c, lines, line_count);
        }
        c->applied = rc == PT_OK && c->reason == NULL;
    }
    return rc;
}

enum pt_rc pt_svc_purchase_coupons(struct pt_service *svc, struct pt_store_txn *txn,
                                   const struct pt_program *program, struct pt_purchase *p,
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
            return pt_cart_coupon_refusal(c, err);
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
                return pt_cart_coupon_refusal(&again, err);
            }
            if (rc == PT_OK) {
                rc = coupon_load(txn, program->id, c->code, now_ms, arena, &v, err);
            }
            if (rc == PT_OK && v.coupon.redemption_id[0] != '\0') {
                /* What it cost: a return of the purchase gives it back (docs/rewards.md); a
                 * coupon a rule or a stamp card gave cost nothing. */
                struct pt_redemption red;
                rc = pt_store_redemption_get(txn, program->id, v.coupon.redemption_id, arena, &red,
                                             err);
                p->facts.coupon_points += rc == PT_OK ? red.points : 0;
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
                return pt_cart_coupon_refusal(&again, err);
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
