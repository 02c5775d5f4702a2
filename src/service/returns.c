/* SPDX-License-Identifier: MIT */
/*
 * Returns (POST /v1/transactions/{id}/returns): what a return gives back is worked out from the
 * purchase (by amount or by item), and the points and cashback it earned are taken back in
 * proportion: from the purchase's own lot first, then from other points, and what is missing is
 * owed. Tiers, stamp cards and referrals follow.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "core/ledger.h"

#include <stddef.h>
#include <string.h>

struct return_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *purchase_id;
    const struct pt_return_request *req;
    struct pt_return_result *out;
    bool reeval;                /* What is kept was evaluated again (return_kept). */
    struct pt_cart_answer kept; /* Then: its cashback and stamps. */
};

/* Takes `points` back for a return: from the purchase's own lot, then from other available
 * points, and what is still missing is owed. OUT: *owed_now. The spendable points are read
 * before the own lot moves: the account is posted only after this. */
static enum pt_rc return_take(struct pt_store_txn *txn, struct return_ctx *ctx,
                              const struct pt_program *program, const struct pt_purchase *p,
                              int64_t points, int64_t *owed_now, struct pt_err *err)
{
    struct pt_lot_row own;
    int64_t left = points;
    int64_t avail = 0;
    enum pt_rc rc =
        pt_svc_spendable(txn, program, p->member_id, ctx->w.now_ms, ctx->w.arena, &avail, err);
    *owed_now = 0;
    if (rc == PT_OK && p->lot_id[0] != '\0') {
        rc = pt_store_lot_get(txn, program->id, p->member_id, p->lot_id, &own, err);
        if (rc == PT_OK && own.lot.points_remaining > 0) {
            int64_t take = own.lot.points_remaining < left ? own.lot.points_remaining : left;
            rc = pt_store_lot_move(txn, program->id, p->member_id, p->lot_id, -take, err);
            left -= take;
            if (pt_lot_is_available(&own.lot, ctx->w.now_ms)) {
                avail = avail > take ? avail - take : 0; /* Those points were spendable. */
            }
        }
    }
    if (rc == PT_OK && left > 0 && avail > 0) {
        int64_t take = avail < left ? avail : left;
        rc = pt_svc_take_from_lots(txn, program->id, p->member_id, take, ctx->w.now_ms,
                                   ctx->w.arena, NULL, NULL, NULL, NULL, err);
        left -= take;
    }
    *owed_now = left;
    return rc;
}

static enum pt_rc return_post(struct pt_store_txn *txn, struct return_ctx *ctx,
                              const struct pt_program *program, struct pt_purchase *p,
                              struct pt_return *r, struct pt_err *err)
{
    struct pt_entry entry;
    struct pt_posting postings[2];
    enum pt_rc rc = return_take(txn, ctx, program, p, r->points_reversed, &r->points_owed, err);
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_entry_init(&entry, p->member_id, "return", r->id, NULL, ctx->w.who->key_id,
                      ctx->w.now_ms);
    memcpy(r->entry_id, entry.id, sizeof(r->entry_id));
    pt_posting_init(&postings[0], p->member_id, p->member_id, -r->points_reversed);
    postings[0].earned_delta = -r->points_reversed;
    postings[0].owed_delta = r->points_owed;
    pt_posting_init(&postings[1], PT_ACCOUNT_ISSUED, NULL, r->points_reversed);
    return pt_svc_post(txn, program->id, &entry, postings, 2, err);
}

/* Reads the purchase, its member (locked by the read, and who must not be closed) and the
 * program, and checks the return window. */
static enum pt_rc return_load(struct pt_store_txn *txn, struct return_ctx *ctx,
                              struct pt_purchase *p, struct pt_program *program, struct pt_err *err)
{
    const char *program_id = ctx->w.who->program_id;
    struct pt_member member;
    enum pt_rc rc = pt_store_purchase_get(txn, program_id, ctx->purchase_id, ctx->w.arena, p, err);
    if (rc == PT_OK) {
        rc = pt_svc_member_load(txn, program_id, p->member_id, ctx->w.arena, &member, program, err);
    }
    if (rc == PT_OK) {
        rc = pt_member_require_open(&member, err);
    }
    if (rc == PT_OK) {
        rc = pt_return_window_check(program, p->occurred_at_ms, ctx->w.now_ms, err);
    }
    if (rc == PT_OK && p->paid) {
        rc = pt_store_purchase_payments_get(txn, program_id, p, ctx->w.arena, err);
    }
    return rc;
}

/* A purchase a rule or a stamp card fired on (it has facts), returned in part by its items, or
 * by amount when it has none: its rules are evaluated again on what is kept, and the points
 * the kept cart would not have earned are taken back (docs/ledger.md, "Returns"); the cashback
 * and the stamps follow (ctx->kept). A full return takes back all that is left. */
static enum pt_rc return_kept(struct pt_store_txn *txn, struct return_ctx *ctx,
                              const struct pt_program *program, const struct pt_purchase *p,
                              int64_t kept_amount, struct pt_return *r, struct pt_err *err)
{
    int64_t kept = 0;
    enum pt_rc rc = PT_OK;
    if (kept_amount > 0) {
        rc = pt_svc_cart_kept(ctx->w.svc, txn, program, p, kept_amount, ctx->w.arena, &ctx->kept,
                              &kept, err);
    }
    r->points_reversed = pt_return_due(p->points_earned, kept, p->points_reversed);
    return rc;
}

/* Works out what this return gives back (*amount_now, *eligible_now) and the points it takes
 * back, and fills the return r (nothing is written yet). */
static enum pt_rc return_plan(struct pt_store_txn *txn, struct return_ctx *ctx,
                              const struct pt_program *program, struct pt_purchase *p,
                              struct pt_return *r, int64_t *amount_now, int64_t *eligible_now,
                              struct pt_err *err)
{
    enum pt_rc rc = pt_return_amounts(p, ctx->req, amount_now, eligible_now, err);
    ctx->reeval = p->facts.stored && (p->item_count == 0 || ctx->req->items != NULL);
    if (rc == PT_OK && *amount_now <= 0) {
        rc = pt_err_set(err, PT_EINVAL, "amount", "a return must return something");
    }
    memset(r, 0, sizeof(*r));
    if (rc == PT_OK && p->returned_amount + *amount_now == p->amount) {
        *eligible_now = p->eligible_amount - p->returned_eligible; /* Exact on the full return. */
    }
    if (rc == PT_OK && !ctx->reeval) {
        rc = pt_ledger_return_points(p->points_earned, p->eligible_amount, p->returned_eligible,
                                     *eligible_now, p->points_reversed, &r->points_reversed, err);
    }
    if (rc == PT_OK && p->returned_amount + *amount_now == p->amount) {
        /* A full return takes back all that is left, also of a rule's fixed points on a cart
         * with nothing eligible (no share of 0 gives them back). */
        r->points_reversed = p->points_earned - p->points_reversed;
    }
    if (rc == PT_OK && ctx->reeval) {
        rc =
            return_kept(txn, ctx, program, p, p->amount - p->returned_amount - *amount_now, r, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("ret", ctx->w.now_ms, r->id);
    r->external_id = ctx->req->external_id;
    memcpy(r->purchase_id, p->id, sizeof(r->purchase_id));
    memcpy(r->member_id, p->member_id, sizeof(r->member_id));
    r->amount = *amount_now;
    r->created_at_ms = ctx->w.now_ms;
    return PT_OK;
}

/* The cashback in proportion to the amount returned (p already counts this return), or what
 * the kept cart would not have given (ctx->reeval), all of it on a full return, taken back
 * from the wallet. */
static enum pt_rc return_cashback(struct pt_store_txn *txn, struct return_ctx *ctx,
                                  const struct pt_program *program, struct pt_purchase *p,
                                  const struct pt_return *r, struct pt_err *err)
{
    int64_t due = 0;
    enum pt_rc rc = pt_mul_div_floor(p->cashback, p->returned_amount, p->amount, &due, err);
    if (ctx->reeval && p->returned_amount < p->amount) {
        due = p->cashback_reversed +
              pt_return_due(p->cashback, ctx->kept.cashback, p->cashback_reversed);
    }
    ctx->out->cashback_reversed = due > p->cashback_reversed ? due - p->cashback_reversed : 0;
    if (rc == PT_OK && ctx->out->cashback_reversed > 0) {
        rc = pt_svc_wallet_take_back(ctx->w.svc, txn, program, p->member_id, "cashback_return",
                                     r->id, p->wallet_credit_id, ctx->out->cashback_reversed,
                                     ctx->w.now_ms, ctx->w.who->key_id, &ctx->out->cashback_owed,
                                     ctx->w.arena, err);
        p->cashback_reversed = due;
    }
    if (rc == PT_OK) {
        rc = pt_store_purchase_update_cashback(txn, program->id, p, err);
    }
    return rc;
}

/* The points the purchase's coupons cost, given back in proportion to the amount returned (p
 * counts this return), floored over all its returns, all of them on a full return: a
 * coupon_refund entry from program:redeemed (docs/rewards.md). The coupon stays used. */
static enum pt_rc return_coupon_points(struct pt_store_txn *txn, struct return_ctx *ctx,
                                       const struct pt_program *program, struct pt_purchase *p,
                                       struct pt_return *r, struct pt_err *err)
{
    char entry_id[PT_ID_BUF_BYTES];
    int64_t due = 0;
    enum pt_rc rc =
        pt_mul_div_floor(p->facts.coupon_points, p->returned_amount, p->amount, &due, err);
    if (rc == PT_OK && due > p->facts.coupon_points_refunded) {
        r->coupon_points_refunded = due - p->facts.coupon_points_refunded;
        p->facts.coupon_points_refunded = due;
        rc = pt_svc_refund_points(txn, program, p->member_id, "coupon_refund", r->id,
                                  r->coupon_points_refunded, ctx->w.now_ms, ctx->w.who->key_id,
                                  entry_id, err);
    }
    return rc;
}

/* What the purchase was paid with, given back in proportion to the amount returned (p counts
 * this return), floored over all its returns, all of it on a full return: points as a
 * points_payment_refund entry from program:redeemed (a lot available at once), wallet money as
 * a wallet_payment_refund credit available at once; each line's share is in the answer
 * (r->refunds), so that the till gives back the card's and the cash's. */
static enum pt_rc return_payments(struct pt_store_txn *txn, struct return_ctx *ctx,
                                  const struct pt_program *program, struct pt_purchase *p,
                                  struct pt_return *r, struct pt_err *err)
{
    /* In proportion to the amount returned; when the kept cart was evaluated again, to what
     * it no longer costs: a line's own discount goes with its line. */
    int64_t of = p->amount;
    int64_t returned = p->returned_amount;
    enum pt_rc rc = PT_OK;
    unsigned i;
    if (ctx->reeval && p->returned_amount < p->amount) {
        of = p->amount - p->discount;
        returned = ctx->kept.to_pay < of ? of - ctx->kept.to_pay : 0;
    }
    for (i = 0; rc == PT_OK && of > 0 && i < p->payment_count; i++) {
        const struct pt_payment *pay = &p->payments[i];
        struct pt_payment *back = &r->refunds[r->refund_count++];
        memset(back, 0, sizeof(*back));
        back->method = pay->method;
        back->amount = pt_payment_refund_due(pay->amount, returned, of, pay->refunded_amount);
        back->points = pt_payment_refund_due(pay->points, returned, of, pay->refunded_points);
        if (pay->method == PT_PAY_POINTS && back->points > 0) {
            char entry_id[PT_ID_BUF_BYTES];
            r->points_payment_refunded += back->points;
            /* Into the lots they came from, expired ones to expired: a return does not make
             * points spent young again. */
            rc = pt_svc_points_restore(txn, program, p->member_id, p->id, back->points,
                                       "points_payment_refund", r->id, NULL, ctx->w.who->key_id,
                                       ctx->w.now_ms, ctx->w.arena, entry_id, err);
        }
        if (pay->method == PT_PAY_WALLET && back->amount > 0) {
            r->wallet_payment_refunded += back->amount;
            rc = pt_svc_wallet_refund(ctx->w.svc, txn, program, p->member_id,
                                      "wallet_payment_refund", r->id, back->amount, ctx->w.now_ms,
                                      ctx->w.who->key_id, ctx->w.arena, err);
        }
        if (rc == PT_OK && (back->amount > 0 || back->points > 0)) {
            rc = pt_store_purchase_payment_refunded(txn, program->id, p, i, back->amount,
                                                    back->points, err);
        }
    }
    return rc;
}

/* Records the return and what follows from it: the purchase's returned totals, the return
 * row, the tier metric of the purchase's month, the stamps, and on a full return the referral
 * the purchase qualified. */
static enum pt_rc return_record(struct pt_store_txn *txn, struct return_ctx *ctx,
                                const struct pt_program *program, struct pt_purchase *p,
                                struct pt_return *r, int64_t amount_now, struct pt_err *err)
{
    /* Returns lower the qualifying metric of the purchase's month by their share of the spend
     * it counted; a member moves down only at the next review. */
    struct pt_tier_metrics delta = {-r->points_reversed, 0,
                                    p->returned_amount == p->amount ? -1 : 0};
    enum pt_rc rc = pt_return_spend(p, amount_now, &delta.spend, err);
    delta.spend = -delta.spend;
    if (rc == PT_OK) {
        rc = pt_store_purchase_update_returns(txn, program->id, p, ctx->req->items != NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_return_insert(txn, program->id, r, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_tier_metric_add(txn, program->id, p->member_id, p->tier_month, &delta, err);
    }
    if (rc == PT_OK) {
        /* Kept stamps (none when the kept cart earns none), or NULL: in proportion. */
        static const struct pt_stamp_gain none;
        const struct pt_stamp_gain *kept = ctx->kept.stamps != NULL ? ctx->kept.stamps : &none;
        bool reeval = ctx->reeval && p->returned_amount < p->amount;
        rc = pt_svc_stamps_return(ctx->w.svc, txn, program, p, reeval ? kept : NULL,
                                  reeval ? ctx->kept.stamp_count : 0, r, ctx->w.who->key_id,
                                  ctx->w.now_ms, ctx->w.arena, err);
    }
    if (rc == PT_OK && p->returned_amount == p->amount) {
        rc = pt_svc_referral_return(ctx->w.svc, txn, program, p, ctx->w.now_ms, ctx->w.who->key_id,
                                    ctx->w.arena, err);
    }
    return rc;
}

static enum pt_rc return_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct return_ctx *ctx = (struct return_ctx *)w;
    struct pt_store_txn *txn = w->txn;
    struct pt_return *r = &ctx->out->ret;
    struct pt_purchase p;
    struct pt_program program;
    int64_t amount_now = 0;
    int64_t eligible_now = 0;
    enum pt_rc rc = return_load(txn, ctx, &p, &program, err);
    if (rc == PT_OK) {
        rc = return_plan(txn, ctx, &program, &p, r, &amount_now, &eligible_now, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (r->points_reversed > 0) {
        rc = return_post(txn, ctx, &program, &p, r, err);
    }
    p.returned_amount += amount_now;
    p.returned_eligible += eligible_now;
    p.points_reversed += r->points_reversed;
    if (rc == PT_OK && p.cashback > 0) {
        rc = return_cashback(txn, ctx, &program, &p, r, err);
    }
    if (rc == PT_OK && p.facts.coupon_points > 0) {
        rc = return_coupon_points(txn, ctx, &program, &p, r, err);
    }
    if (rc == PT_OK && p.payment_count > 0) {
        rc = return_payments(txn, ctx, &program, &p, r, err);
    }
    if (rc == PT_OK) {
        rc = return_record(txn, ctx, &program, &p, r, amount_now, err);
    }
    if (rc == PT_OK) {
        /* The coupons its rules gave that it no longer earns (coupons_given.c). */
        bool reeval = ctx->reeval && p.returned_amount < p.amount;
        rc = pt_svc_coupons_return(ctx->w.svc, txn, &program, &p, reeval ? &ctx->kept : NULL, r,
                                   ctx->w.now_ms, ctx->w.arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, p.member_id, ctx->w.now_ms, ctx->w.arena,
                            &ctx->out->balance, err);
    }
    w->result = ctx->out;
    w->ref_id = r->id;
    w->event_member_id = ctx->out->ret.member_id;
    return rc;
}

static const struct pt_write_case return_case = {
    .name = "return",
    .natural_key = "return:",
    .event = "points.returned",
    .encoder = offsetof(struct pt_encoders, ret),
    .body = return_body,
};

enum pt_rc pt_service_return(struct pt_service *svc, const struct pt_principal *who,
                             const char *purchase_id, const struct pt_return_request *req,
                             struct pt_idem *idem, struct pt_arena *arena,
                             struct pt_return_result *out, struct pt_err *err)
{
    struct return_ctx ctx = {.purchase_id = purchase_id, .req = req, .out = out};
    pt_assert(idem != NULL);
    pt_assert(req->external_id != NULL);
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    memset(out, 0, sizeof(*out));
    ctx.w.external_id = req->external_id;
    return pt_svc_write(&ctx.w, &return_case, err);
}
