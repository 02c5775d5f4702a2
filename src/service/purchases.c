/* SPDX-License-Identifier: MIT */
/*
 * Purchases (POST /v1/transactions): the purchase is checked against the program, the rules engine
 * answers what its cart earns, and one write posts the points, the cashback, the rules' uses,
 * the coupons it used, and the mechanics beside points (tiers, stamp cards, referrals).
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/clock.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct purchase_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const struct pt_purchase *req;
    struct pt_purchase_result *out;
};

static enum pt_rc purchase_earn(struct pt_store_txn *txn, struct purchase_ctx *ctx,
                                const struct pt_program *program, struct pt_purchase *p,
                                struct pt_err *err)
{
    struct pt_account acct;
    struct pt_entry entry;
    struct pt_posting postings[2];
    struct pt_lot times;
    int64_t repaid = 0;
    enum pt_rc rc;
    /* p->points_earned: what the rules engine answered (the base rate and every rule). */
    if (p->points_earned == 0) {
        return PT_OK;
    }
    rc = pt_store_account_get(txn, program->id, p->member_id, &acct, err);
    if (rc == PT_OK) {
        rc = pt_ledger_balance_room(&acct, p->points_earned, "amount", err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_entry_init(&entry, p->member_id, "earn", p->id, NULL, ctx->w.who->key_id, ctx->w.now_ms);
    memcpy(p->entry_id, entry.id, sizeof(p->entry_id));
    times.earned_at_ms = p->occurred_at_ms;
    times.available_at_ms = p->occurred_at_ms + program->pending_days * PT_DAY_MS;
    times.expires_at_ms = pt_ledger_lot_expiry(program, p->occurred_at_ms);
    times.points_remaining = 0;
    rc = pt_svc_credit_lot(txn, program->id, p->member_id, entry.id, p->id, p->points_earned,
                           acct.owed, &times, p->lot_id, ctx->w.now_ms, &repaid, err);
    if (rc != PT_OK) {
        return rc;
    }
    pt_posting_init(&postings[0], p->member_id, p->member_id, p->points_earned);
    postings[0].earned_delta = p->points_earned;
    postings[0].owed_delta = -repaid;
    pt_posting_init(&postings[1], PT_ACCOUNT_ISSUED, NULL, -p->points_earned);
    if (times.available_at_ms > ctx->w.now_ms && times.expires_at_ms > ctx->w.now_ms) {
        ctx->out->points_pending = p->points_earned - repaid;
    }
    return pt_svc_post(txn, program->id, &entry, postings, 2, err);
}

/* How it is paid, spent before it earns (what it earns cannot pay for itself): its points
 * (a points_payment entry, soonest-expiring points first) and its wallet money (a debit that
 * only the purchase's returns give back), in the lines' order. */
static enum pt_rc purchase_pay(struct pt_store_txn *txn, struct purchase_ctx *ctx,
                               const struct pt_program *program, struct pt_purchase *p,
                               struct pt_err *err)
{
    struct pt_svc_write *w = &ctx->w;
    enum pt_rc rc = PT_OK;
    unsigned i;
    for (i = 0; rc == PT_OK && i < p->payment_count; i++) {
        struct pt_payment *pay = &p->payments[i];
        if (pay->method == PT_PAY_POINTS) {
            char entry_id[PT_ID_BUF_BYTES];
            pt_svc_new_id("ent", w->now_ms, entry_id);
            /* Its takes from the lots are kept under the purchase's id: returns put them back. */
            rc = pt_svc_spend_points(txn, program, p->member_id, "points_payment", p->id, p->id,
                                     pay->points, NULL, w->who->key_id, w->now_ms, w->arena,
                                     entry_id, err);
            if (rc == PT_EINSUFFICIENT) {
                (void)snprintf(err->field, sizeof(err->field), "payments.%u.points", i);
            }
        } else if (pay->method == PT_PAY_WALLET) {
            struct pt_wallet_debit d;
            memset(&d, 0, sizeof(d));
            memcpy(d.member_id, p->member_id, sizeof(d.member_id));
            d.amount = pay->amount;
            d.reason = "purchase";
            d.external_id = p->external_id;
            rc = pt_svc_wallet_spend(w->svc, txn, program, &d, w->who->key_id, w->now_ms, w->arena,
                                     err);
            if (rc == PT_OK) {
                memcpy(pay->wallet_debit_id, d.id, sizeof(pay->wallet_debit_id));
                rc =
                    pt_svc_wallet_debited_event(w->svc, txn, program, &d, w->now_ms, w->arena, err);
            } else if (err->rc == PT_EINVAL || err->rc == PT_EINSUFFICIENT ||
                       err->rc == PT_ELIMIT) {
                (void)snprintf(err->field, sizeof(err->field), "payments.%u.amount", i);
            }
        }
    }
    return rc;
}

/* Which rule versions fired and what each gave; each rule's use, day and budget. */
static enum pt_rc purchase_rules_record(struct pt_store_txn *txn, const struct pt_program *program,
                                        const struct pt_purchase *p,
                                        const struct pt_cart_answer *cart, struct pt_err *err)
{
    const char *day = cart->local_date; /* The day the limits were read for. */
    unsigned i;
    enum pt_rc rc = PT_OK;
    for (i = 0; rc == PT_OK && i < cart->rule_count; i++) {
        const struct pt_rule_applied *a = &cart->rules[i];
        rc = pt_store_purchase_rule_add(txn, program->id, p->member_id, p->id, a->rule_id,
                                        a->version, a->points, a->discount, err);
        if (rc == PT_OK) {
            rc = pt_store_rule_used(txn, program->id, p->member_id, a->rule_id, day, a->points,
                                    a->discount + a->cashback, err);
        }
    }
    return rc;
}

/* The same evaluation as POST /v1/carts/evaluate, at the time of the purchase: its answer in
 * ctx->out->cart, and the points, base points and discount of p from it. */
static enum pt_rc purchase_cart(struct pt_store_txn *txn, struct purchase_ctx *ctx,
                                const struct pt_program *program, const struct pt_member *member,
                                struct pt_purchase *p, struct pt_err *err)
{
    struct pt_cart_request cart;
    enum pt_rc rc;
    memset(&cart, 0, sizeof(cart));
    cart.member_id = member->id;
    cart.items = p->item_count > 0 ? p->items : NULL;
    cart.item_count = p->item_count;
    cart.amount = p->amount;
    cart.channel = p->channel;
    cart.location = p->location;
    cart.discount = p->till_discount;
    cart.coupons = p->coupons;
    cart.coupon_count = p->coupon_count;
    cart.payments = p->payments;
    cart.payment_count = p->payment_count;
    rc = pt_svc_cart_answer(ctx->w.svc, txn, program, member, &cart, p->occurred_at_ms,
                            ctx->w.arena, &ctx->out->cart, err);
    if (rc == PT_OK) {
        /* A purchase's payments, when given, say how all of it was paid. */
        rc = pt_payments_settle(program, p->payments, p->payment_count, ctx->out->cart.to_pay, true,
                                err);
    }
    p->points_earned = ctx->out->cart.points;
    p->base_points = ctx->out->cart.base_points;
    p->discount = ctx->out->cart.discount;
    p->spend = pt_purchase_spend(program, p);
    return rc;
}

/* When a rule or a stamp card fired on p or it used a coupon: what its returns need to undo
 * them (docs/ledger.md, "Returns"), the member's facts as the rules saw them and the points
 * its coupons cost. A purchase without them writes nothing more. */
static enum pt_rc purchase_facts(struct pt_store_txn *txn, const struct pt_program *program,
                                 const struct pt_cart_answer *cart, struct pt_purchase *p,
                                 struct pt_err *err)
{
    const struct pt_rule_member *m = &cart->facts;
    bool coupons = false;
    unsigned i;
    for (i = 0; i < cart->coupon_count; i++) {
        coupons |= cart->coupons[i].kind != PT_CART_CODE_RULE && cart->coupons[i].applied;
        if (cart->coupons[i].kind != PT_CART_CODE_RULE && cart->coupons[i].applied) {
            p->facts.coupon_discount += cart->coupons[i].discount; /* At most the amount. */
        }
    }
    if (cart->rule_count == 0 && cart->stamp_count == 0 && !coupons) {
        return PT_OK;
    }
    for (i = 0; cart->line_coupon != NULL && i < p->item_count; i++) {
        p->items[i].coupon_discount = cart->line_coupon[i];
    }
    p->facts.stored = true;
    p->facts.tier = m->tier;
    p->facts.attributes = m->attributes;
    p->facts.birth_month = m->birth_month;
    p->facts.days_since_enrollment = m->days_since_enrollment;
    p->facts.purchase_count = m->purchase_count;
    p->facts.city = m->city;
    p->facts.country = m->country;
    return pt_store_purchase_facts_insert(txn, program->id, p, err);
}

/* After the purchase is stored: the rules it used, its coupons, and the mechanics beside points
 * (tiers, stamp cards, referrals), in this transaction. */
static enum pt_rc purchase_mechanics(struct pt_store_txn *txn, struct purchase_ctx *ctx,
                                     const struct pt_program *program,
                                     const struct pt_member *member, struct pt_purchase *p,
                                     struct pt_err *err)
{
    enum pt_rc rc = purchase_rules_record(txn, program, p, &ctx->out->cart, err);
    if (rc == PT_OK) {
        /* The coupons and promotion codes it used, used once, in this transaction. */
        rc = pt_svc_purchase_coupons(ctx->w.svc, txn, program, p, &ctx->out->cart, ctx->w.now_ms,
                                     ctx->w.arena, err);
    }
    if (rc == PT_OK) {
        rc = purchase_facts(txn, program, &ctx->out->cart, p, err);
    }
    if (rc == PT_OK) {
        /* The coupons its rules give for a later purchase (coupons_given.c). */
        rc = pt_svc_coupons_give_rules(ctx->w.svc, txn, program, p->member_id, &ctx->out->cart,
                                       p->id, ctx->w.now_ms, ctx->w.arena, err);
    }
    if (rc == PT_OK) {
        /* A crossing of a tier's threshold moves the member up at once. */
        struct pt_tier_metrics delta = {p->points_earned, p->spend, 1};
        rc = pt_svc_tier_purchase(ctx->w.svc, txn, program, member, p->tier_month, &delta,
                                  ctx->w.now_ms, ctx->w.arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_stamps_purchase(ctx->w.svc, txn, program, p, &ctx->out->cart, ctx->w.now_ms,
                                    ctx->w.arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_referral_purchase(ctx->w.svc, txn, program, p, ctx->w.now_ms,
                                      ctx->w.who->key_id, ctx->w.arena, err);
    }
    return rc;
}

static enum pt_rc purchase_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct purchase_ctx *ctx = (struct purchase_ctx *)w;
    struct pt_purchase *p = &ctx->out->purchase;
    const struct pt_program *program = &w->program;
    enum pt_rc rc;
    *p = *ctx->req;
    rc = pt_purchase_check(program, p, w->now_ms, err);
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("txn", w->now_ms, p->id);
    p->created_at_ms = w->now_ms;
    rc = purchase_cart(w->txn, ctx, program, &w->member, p, err);
    if (rc == PT_OK) {
        pt_payments_earning(program, p->payments, p->payment_count);
        rc = purchase_pay(w->txn, ctx, program, p, err);
        /* What points could pay is a cart's question: the purchase has been paid. */
        ctx->out->cart.points_payable = false;
    }
    if (rc == PT_OK) {
        rc = purchase_earn(w->txn, ctx, program, p, err);
    }
    if (rc == PT_OK && ctx->out->cart.cashback > 0) {
        /* Cashback to the wallet, pending for the wallet's own period (docs/wallets.md). */
        p->cashback = ctx->out->cart.cashback;
        rc = pt_svc_wallet_credit(w->svc, w->txn, program, p->member_id, "cashback", p->id,
                                  p->cashback,
                                  p->occurred_at_ms + program->wallet_pending_days * PT_DAY_MS,
                                  w->now_ms, w->who->key_id, p->wallet_credit_id, w->arena, err);
    }
    if (rc == PT_OK) {
        /* Its local month: its tier metric is counted there, and its returns take from it. */
        p->tier_month = pt_tier_date_month(ctx->out->cart.local_date);
        rc = pt_store_purchase_insert(w->txn, program->id, p, err);
    }
    if (rc == PT_OK && p->payment_count > 0) {
        rc = pt_store_purchase_payments_insert(w->txn, program->id, p, err);
    }
    if (rc == PT_OK) {
        rc = purchase_mechanics(w->txn, ctx, program, &w->member, p, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(w->txn, program, p->member_id, w->now_ms, w->arena, &ctx->out->balance,
                            err);
    }
    w->result = ctx->out;
    w->ref_id = p->id;
    w->event_member_id = p->member_id;
    return rc;
}

/* A purchase's event: its payload is the purchase's answer, found again by the purchase. */
static const char purchase_event[] = "points.earned";

static const struct pt_write_case purchase_case = {
    .name = "purchase",
    .natural_key = "purchase:",
    .member = PT_WRITE_MEMBER_ACTIVE,
    .event = purchase_event,
    .encoder = offsetof(struct pt_encoders, purchase),
    .body = purchase_body,
    .event_ref = true, /* GET /v1/transactions/{id} answers its event's payload. */
};

/* A purchase paid with points or wallet money spends them: the member is locked first, as for
 * a redemption or a wallet debit, so that two nodes cannot spend the same points. */
static const struct pt_write_case purchase_spending_case = {
    .name = "purchase",
    .natural_key = "purchase:",
    .lock_member = true,
    .member = PT_WRITE_MEMBER_ACTIVE,
    .event = purchase_event,
    .encoder = offsetof(struct pt_encoders, purchase),
    .body = purchase_body,
    .event_ref = true, /* GET /v1/transactions/{id} answers its event's payload. */
};

/* A bound passed by what a purchase earns (its points, or a metric it adds to) is the
 * purchase's amount's doing: named so when the check that refused it named no field. */
static enum pt_rc purchase_limit_field(enum pt_rc rc, struct pt_err *err)
{
    if (rc == PT_ELIMIT && err->field[0] == '\0') {
        (void)snprintf(err->field, sizeof(err->field), "amount");
        (void)pt_err_code(err, "limit_exceeded");
    }
    return rc;
}

enum pt_rc pt_service_purchase(struct pt_service *svc, const struct pt_principal *who,
                               const struct pt_purchase *p, struct pt_idem *idem,
                               struct pt_arena *arena, struct pt_purchase_result *out,
                               struct pt_err *err)
{
    struct purchase_ctx ctx = {.req = p, .out = out};
    bool spends = false;
    unsigned i;
    pt_assert(idem != NULL);
    pt_assert(p->external_id != NULL);
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    memset(out, 0, sizeof(*out));
    ctx.w.member_id = p->member_id;
    ctx.w.external_id = p->external_id;
    for (i = 0; i < p->payment_count; i++) {
        spends |= p->payments[i].method == PT_PAY_POINTS || p->payments[i].method == PT_PAY_WALLET;
    }
    return purchase_limit_field(
        pt_svc_write(&ctx.w, spends ? &purchase_spending_case : &purchase_case, err), err);
}

/* ---- Reading purchases back (issue 19) ---- */

/* The answer of a purchase whose event does not name it (recorded before schema version 25),
 * from its rows: see pt_service_purchase_get. */
static enum pt_rc purchase_rebuild(struct pt_store_txn *txn, const struct pt_program *program,
                                   int64_t now_ms, struct pt_arena *arena,
                                   struct pt_purchase_result *r, struct pt_err *err)
{
    struct pt_purchase *p = &r->purchase;
    struct pt_cart_answer *a = &r->cart;
    enum pt_rc rc = pt_store_purchase_payments_get(txn, program->id, p, arena, err);
    if (rc == PT_OK && p->lot_id[0] != '\0') {
        struct pt_lot_row lot;
        rc = pt_store_lot_get(txn, program->id, p->member_id, p->lot_id, &lot, err);
        if (rc == PT_OK && lot.lot.available_at_ms > now_ms && lot.lot.expires_at_ms > now_ms) {
            r->points_pending = lot.lot.points_remaining;
        }
    }
    if (rc == PT_OK) {
        rc = pt_svc_balance(txn, program, p->member_id, now_ms, arena, &r->balance, err);
    }
    a->amount = p->amount;
    a->points = p->points_earned;
    a->discount = p->discount;
    a->base_points = p->base_points;
    a->tier = p->facts.tier;
    a->cashback = p->cashback;
    a->to_pay = p->amount - p->discount;
    a->payments = p->payments;
    a->payment_count = p->payment_count;
    /* A purchase's payments, when given, paid all of it (pt_payments_settle). */
    a->balance_due = a->to_pay - pt_payments_total(p->payments, p->payment_count);
    return rc;
}

enum pt_rc pt_service_purchase_get(struct pt_service *svc, const struct pt_principal *who,
                                   const char *purchase_id, struct pt_arena *arena,
                                   struct pt_purchase_view *out, struct pt_err *err)
{
    struct pt_purchase *p = &out->result.purchase;
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_purchase_get(txn, who->program_id, purchase_id, arena, p, err);
    if (rc == PT_OK) {
        rc = pt_store_event_of(txn, who->program_id, purchase_event, p->id, arena, &out->answer,
                               err);
    }
    if (rc == PT_OK) {
        rc = pt_store_purchase_returns(txn, who->program_id, p->member_id, p->id,
                                       PT_PURCHASE_RETURNS_SHOWN_MAX, arena, &out->returns,
                                       &out->return_shown, &out->return_count, err);
    }
    if (rc == PT_OK && out->answer == NULL) {
        struct pt_member member;
        struct pt_program program;
        rc = pt_svc_member_load(txn, who->program_id, p->member_id, arena, &member, &program, err);
        if (rc == PT_OK) {
            rc = purchase_rebuild(txn, &program, pt_svc_now_ms(svc, who->program_id), arena,
                                  &out->result, err);
        }
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

enum pt_rc pt_service_member_purchases(struct pt_service *svc, const struct pt_principal *who,
                                       const char *member_id, const struct pt_purchase_query *query,
                                       struct pt_arena *arena, struct pt_purchase_summary **out,
                                       unsigned *count, struct pt_err *err)
{
    struct pt_purchase_page page = {.from_ms = query->from_ms,
                                    .to_ms = query->to_ms,
                                    .after_at_ms = INT64_MAX,
                                    .after_id = "",
                                    .limit = query->limit};
    struct pt_store_txn *txn = NULL;
    struct pt_member member;
    enum pt_rc rc;
    *out = NULL;
    *count = 0;
    if (query->to_ms <= query->from_ms) {
        return pt_err_set(err, PT_EINVAL, "to", "to must be after from");
    }
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_svc_member_load(txn, who->program_id, member_id, arena, &member, NULL, err);
    if (rc == PT_OK && query->cursor_id != NULL) {
        /* The cursor is the last purchase listed: the page goes on after its time and id. */
        rc = pt_store_purchase_occurred_at(txn, who->program_id, member.id, query->cursor_id,
                                           &page.after_at_ms, err);
        page.after_id = query->cursor_id;
        if (rc == PT_ENOTFOUND) {
            rc = pt_err_set(err, PT_EINVAL, "cursor",
                            "cursor must be a next_cursor value of this list");
        }
    }
    if (rc == PT_OK) {
        rc = pt_store_member_purchases(txn, who->program_id, member.id, &page, arena, out, count,
                                       err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}
