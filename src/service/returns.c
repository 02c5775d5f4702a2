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

#include <string.h>

struct return_ctx {
    struct pt_service *svc;
    const struct pt_principal *who;
    const char *purchase_id;
    const struct pt_return_request *req;
    struct pt_idem *idem;
    struct pt_arena *arena;
    struct pt_return_result *out;
    int64_t now_ms;
};

/* Works out the amount and the eligible amount returned now, updating the purchase's returned
 * quantities. PT_ELIMIT return_exceeds_purchase; PT_EINVAL for an unknown sku. */
static enum pt_rc return_amounts(struct pt_purchase *p, const struct pt_return_request *req,
                                 int64_t *amount_now, int64_t *eligible_now, struct pt_err *err)
{
    unsigned i;
    *amount_now = 0;
    *eligible_now = 0;
    if (req->items == NULL) {
        int64_t before = 0;
        int64_t after = 0;
        enum pt_rc rc;
        if (req->amount > p->amount - p->returned_amount) {
            goto exceeds;
        }
        *amount_now = req->amount;
        /* Cumulative proportion of the eligible amount: exact once everything is returned. */
        rc = pt_mul_div_floor(p->returned_amount, p->eligible_amount, p->amount, &before, err);
        if (rc == PT_OK) {
            rc = pt_mul_div_floor(p->returned_amount + req->amount, p->eligible_amount, p->amount,
                                  &after, err);
        }
        *eligible_now = after - before;
        return rc;
    }
    for (i = 0; i < req->item_count; i++) {
        const struct pt_purchase_item *want = &req->items[i];
        int64_t left = want->quantity;
        unsigned j;
        for (j = 0; j < p->item_count && left > 0; j++) {
            struct pt_purchase_item *have = &p->items[j];
            int64_t take = have->quantity - have->returned_quantity;
            if (strcmp(have->sku, want->sku) != 0 || take <= 0) {
                continue;
            }
            take = take < left ? take : left;
            have->returned_quantity += take;
            left -= take;
            *amount_now += take * have->unit_price;
            *eligible_now += have->eligible ? take * have->unit_price : 0;
        }
        if (left > 0) {
            goto exceeds;
        }
    }
    if (*amount_now > p->amount - p->returned_amount) {
        goto exceeds;
    }
    return PT_OK;
exceeds:
    (void)pt_err_set(err, PT_ELIMIT, req->items ? "items" : "amount",
                     "the returns would exceed what was bought");
    return pt_err_code(err, "return_exceeds_purchase");
}

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
        pt_svc_spendable(txn, program, p->member_id, ctx->now_ms, ctx->arena, &avail, err);
    *owed_now = 0;
    if (rc == PT_OK && p->lot_id[0] != '\0') {
        rc = pt_store_lot_get(txn, program->id, p->member_id, p->lot_id, &own, err);
        if (rc == PT_OK && own.lot.points_remaining > 0) {
            int64_t take = own.lot.points_remaining < left ? own.lot.points_remaining : left;
            rc = pt_store_lot_move(txn, program->id, p->member_id, p->lot_id, -take, err);
            left -= take;
            if (pt_lot_is_available(&own.lot, ctx->now_ms)) {
                avail = avail > take ? avail - take : 0; /* Those points were spendable. */
            }
        }
    }
    if (rc == PT_OK && left > 0 && avail > 0) {
        int64_t take = avail < left ? avail : left;
        rc = pt_svc_take_from_lots(txn, program->id, p->member_id, take, ctx->now_ms, ctx->arena,
                                   NULL, NULL, NULL, NULL, err);
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
    pt_svc_entry_init(&entry, p->member_id, "return", r->id, NULL, ctx->who->key_id, ctx->now_ms);
    memcpy(r->entry_id, entry.id, sizeof(r->entry_id));
    pt_svc_posting_init(&postings[0], p->member_id, p->member_id, -r->points_reversed);
    postings[0].earned_delta = -r->points_reversed;
    postings[0].owed_delta = r->points_owed;
    pt_svc_posting_init(&postings[1], PT_ACCOUNT_ISSUED, NULL, r->points_reversed);
    return pt_svc_post(txn, program->id, &entry, postings, 2, err);
}

/* Reads the purchase, its member (locked by the read, and who must not be closed) and the
 * program, and checks the return window. */
static enum pt_rc return_load(struct pt_store_txn *txn, struct return_ctx *ctx,
                              struct pt_purchase *p, struct pt_program *program, struct pt_err *err)
{
    const char *program_id = ctx->who->program_id;
    struct pt_member member;
    enum pt_rc rc = pt_store_purchase_get(txn, program_id, ctx->purchase_id, ctx->arena, p, err);
    if (rc == PT_OK) {
        rc = pt_svc_member_load(txn, program_id, p->member_id, ctx->arena, &member, program, err);
    }
    if (rc == PT_OK) {
        rc = pt_member_require_open(&member, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_return_window_check(program, p->occurred_at_ms, ctx->now_ms, err);
    }
    return rc;
}

/* Works out what this return gives back (*amount_now, *eligible_now) and the points it takes
 * back, and fills the return r (nothing is written yet). */
static enum pt_rc return_plan(struct return_ctx *ctx, struct pt_purchase *p, struct pt_return *r,
                              int64_t *amount_now, int64_t *eligible_now, struct pt_err *err)
{
    enum pt_rc rc = return_amounts(p, ctx->req, amount_now, eligible_now, err);
    if (rc == PT_OK && *amount_now <= 0) {
        rc = pt_err_set(err, PT_EINVAL, "amount", "a return must return something");
    }
    memset(r, 0, sizeof(*r));
    if (rc == PT_OK && p->returned_amount + *amount_now == p->amount) {
        *eligible_now = p->eligible_amount - p->returned_eligible; /* Exact on the full return. */
    }
    if (rc == PT_OK) {
        rc = pt_ledger_return_points(p->points_earned, p->eligible_amount, p->returned_eligible,
                                     *eligible_now, p->points_reversed, &r->points_reversed, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("ret", ctx->now_ms, r->id);
    r->external_id = ctx->req->external_id;
    memcpy(r->purchase_id, p->id, sizeof(r->purchase_id));
    memcpy(r->member_id, p->member_id, sizeof(r->member_id));
    r->amount = *amount_now;
    r->created_at_ms = ctx->now_ms;
    return PT_OK;
}

/* The cashback in proportion to the amount returned (p already counts this return), all of it
 * on a full return, taken back from the wallet. */
static enum pt_rc return_cashback(struct pt_store_txn *txn, struct return_ctx *ctx,
                                  const struct pt_program *program, struct pt_purchase *p,
                                  const struct pt_return *r, struct pt_err *err)
{
    int64_t due = 0;
    enum pt_rc rc = pt_mul_div_floor(p->cashback, p->returned_amount, p->amount, &due, err);
    ctx->out->cashback_reversed = due - p->cashback_reversed;
    if (rc == PT_OK && ctx->out->cashback_reversed > 0) {
        rc = pt_svc_wallet_take_back(ctx->svc, txn, program, p->member_id, "cashback_return", r->id,
                                     p->wallet_credit_id, ctx->out->cashback_reversed, ctx->now_ms,
                                     ctx->who->key_id, &ctx->out->cashback_owed, ctx->arena, err);
        p->cashback_reversed = due;
    }
    if (rc == PT_OK) {
        rc = pt_store_purchase_update_cashback(txn, program->id, p, err);
    }
    return rc;
}

/* Records the return and what follows from it: the purchase's returned totals, the return
 * row, the tier metric of the purchase's month, the stamps, and on a full return the referral
 * the purchase qualified. */
static enum pt_rc return_record(struct pt_store_txn *txn, struct return_ctx *ctx,
                                const struct pt_program *program, const struct pt_purchase *p,
                                const struct pt_return *r, int64_t amount_now, struct pt_err *err)
{
    enum pt_rc rc =
        pt_store_purchase_update_returns(txn, program->id, p, ctx->req->items != NULL, err);
    if (rc == PT_OK) {
        rc = pt_store_return_insert(txn, program->id, r, err);
    }
    if (rc == PT_OK) {
        /* Returns lower the qualifying metric of the purchase's month; a member moves down
         * only at the next review. */
        struct pt_tier_metrics delta = {-r->points_reversed, -amount_now,
                                        p->returned_amount == p->amount ? -1 : 0};
        rc = pt_store_tier_metric_add(txn, program->id, p->member_id, p->tier_month, &delta, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_stamps_return(ctx->svc, txn, program, p, ctx->now_ms, ctx->arena, err);
    }
    if (rc == PT_OK && p->returned_amount == p->amount) {
        rc = pt_svc_referral_return(ctx->svc, txn, program, p, ctx->now_ms, ctx->who->key_id,
                                    ctx->arena, err);
    }
    return rc;
}

static enum pt_rc return_txn(struct pt_store_txn *txn, void *arg, struct pt_err *err)
{
    struct return_ctx *ctx = arg;
    struct pt_return *r = &ctx->out->ret;
    struct pt_purchase p;
    struct pt_program program;
    int64_t amount_now = 0;
    int64_t eligible_now = 0;
    enum pt_rc rc =
        pt_svc_idem_check(txn, ctx->who->program_id, ctx->idem, ctx->now_ms, ctx->arena, err);
    if (rc != PT_OK || ctx->idem->replayed) {
        return rc;
    }
    rc = return_load(txn, ctx, &p, &program, err);
    if (rc == PT_OK) {
        rc = return_plan(ctx, &p, r, &amount_now, &eligible_now, err);
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
    if (rc == PT_OK) {
        rc = return_record(txn, ctx, &program, &p, r, amount_now, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, &program, p.member_id, ctx->now_ms, ctx->arena, &ctx->out->balance,
                            err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_event(ctx->svc, txn, program.id, "points.returned", p.member_id,
                          ctx->svc->enc.ret, ctx->out, ctx->now_ms, ctx->arena, ctx->idem, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_idem_record(txn, program.id, ctx->idem, ctx->out, r->id, ctx->now_ms,
                                ctx->arena, err);
    }
    return rc;
}

enum pt_rc pt_service_return(struct pt_service *svc, const struct pt_principal *who,
                             const char *purchase_id, const struct pt_return_request *req,
                             struct pt_idem *idem, struct pt_arena *arena,
                             struct pt_return_result *out, struct pt_err *err)
{
    struct return_ctx ctx = {svc,  who,   purchase_id, req,
                             idem, arena, out,         pt_svc_now_ms(svc, who->program_id)};
    pt_assert(idem != NULL);
    pt_assert(req->external_id != NULL);
    memset(out, 0, sizeof(*out));
    if (pt_svc_idem_natural_key(idem, "return:", req->external_id, arena, err) != PT_OK) {
        return err->rc;
    }
    return pt_store_write(svc->store, return_txn, &ctx, err);
}
