/* SPDX-License-Identifier: MIT */
/*
 * The ledger's endpoints: purchases, returns, redemptions, adjustments, transfers, balances,
 * the member's ledger, expiry, the event log, program settings and the test clock. Parsing and
 * encoding only; the rules are in src/service/ledger.c and src/core/ledger.c.
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "core/codes.h"
#include "core/member.h"

#include <stdio.h>
#include <string.h>

/* ---- Encoders ---- */

json_t *pt_http_balance_json(const struct pt_balance *b)
{
    json_t *expiring = json_array();
    unsigned i;
    for (i = 0; i < b->expiring_count; i++) {
        (void)json_array_append_new(expiring,
                                    json_pack("{s:o,s:I}", "expires_at",
                                              pt_json_time(b->expiring[i].expires_at_ms), "points",
                                              (json_int_t)b->expiring[i].points));
    }
    return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "member_id", b->member_id, "available",
                     (json_int_t)b->available, "pending", (json_int_t)b->pending, "owed",
                     (json_int_t)b->owed, "lifetime_earned", (json_int_t)b->lifetime_earned,
                     "lifetime_redeemed", (json_int_t)b->lifetime_redeemed, "lifetime_expired",
                     (json_int_t)b->lifetime_expired, "expiring", expiring);
}

json_t *pt_http_payments_json(const struct pt_payment *payments, unsigned count)
{
    json_t *list = json_array();
    unsigned i;
    for (i = 0; i < count; i++) {
        const struct pt_payment *pay = &payments[i];
        (void)json_array_append_new(
            list, json_pack("{s:s,s:I,s:I,s:o}", "method", pt_pay_method_names[pay->method],
                            "amount", (json_int_t)pay->amount, "points", (json_int_t)pay->points,
                            "reference", pt_json_string_or_null(pay->reference)));
    }
    return list;
}

/* What a return gave back of each payment line (the reference is the purchase's). */
static json_t *refunds_json(const struct pt_return *r)
{
    json_t *list = json_array();
    unsigned i;
    for (i = 0; i < r->refund_count; i++) {
        (void)json_array_append_new(list, json_pack("{s:s,s:I,s:I}", "method",
                                                    pt_pay_method_names[r->refunds[i].method],
                                                    "amount", (json_int_t)r->refunds[i].amount,
                                                    "points", (json_int_t)r->refunds[i].points));
    }
    return list;
}

static json_t *purchase_json(const struct pt_purchase_result *r)
{
    const struct pt_purchase *p = &r->purchase;
    json_t *items = json_array();
    json_t *root;
    unsigned i;
    for (i = 0; i < p->item_count; i++) {
        const struct pt_purchase_item *it = &p->items[i];
        (void)json_array_append_new(
            items, json_pack("{s:s,s:o,s:o,s:I,s:I}", "sku", it->sku, "name",
                             pt_json_string_or_null(it->name), "category",
                             pt_json_string_or_null(it->category), "quantity",
                             (json_int_t)it->quantity, "unit_price", (json_int_t)it->unit_price));
    }
    root = json_pack("{s:s,s:s,s:s,s:o,s:s,s:I,s:I,s:o,s:o,s:o,s:I,s:I,s:o,s:o}", "id", p->id,
                     "external_id", p->external_id, "member_id", p->member_id, "occurred_at",
                     pt_json_time(p->occurred_at_ms), "currency", p->currency, "amount",
                     (json_int_t)p->amount, "eligible_amount", (json_int_t)p->eligible_amount,
                     "items", items, "channel", pt_json_string_or_null(p->channel), "location",
                     pt_json_string_or_null(p->location), "points_earned",
                     (json_int_t)p->points_earned, "points_pending", (json_int_t)r->points_pending,
                     "balance", pt_http_balance_json(&r->balance), "created_at",
                     pt_json_time(p->created_at_ms));
    if (root != NULL) {
        /* What the rules gave, as POST /v1/carts/evaluate shows it. */
        pt_http_cart_answer_fields(root, &r->cart);
        /* And where the stamps left the member's cards. */
        (void)json_object_set_new(
            root, "stamp_cards",
            pt_http_stamp_gains_json(r->cart.stamps, r->cart.stamp_count, true));
        /* The coupons its rules and completed cards gave for a later purchase. */
        (void)json_object_set_new(root, "coupons_issued",
                                  pt_http_issued_coupons_json(&r->cart.issued, false));
    }
    return root;
}

json_t *pt_http_purchase_json(const struct pt_purchase_result *r)
{
    return purchase_json(r);
}

static json_t *return_json(const struct pt_return_result *r)
{
    json_t *root = json_pack(
        "{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:I,s:I,s:o}", "id", r->ret.id, "external_id",
        r->ret.external_id, "transaction_id", r->ret.purchase_id, "member_id", r->ret.member_id,
        "amount", (json_int_t)r->ret.amount, "points_reversed", (json_int_t)r->ret.points_reversed,
        "points_owed", (json_int_t)r->ret.points_owed, "balance", pt_http_balance_json(&r->balance),
        "created_at", pt_json_time(r->ret.created_at_ms), "cashback_reversed",
        (json_int_t)r->cashback_reversed, "cashback_owed", (json_int_t)r->cashback_owed,
        "reward_points_reversed", (json_int_t)r->ret.reward_points_reversed,
        "coupon_points_refunded", (json_int_t)r->ret.coupon_points_refunded, "coupons_taken_back",
        pt_http_issued_coupons_json(&r->ret.coupons_back, true));
    if (root != NULL) {
        (void)json_object_set_new(root, "points_payment_refunded",
                                  json_integer(r->ret.points_payment_refunded));
        (void)json_object_set_new(root, "wallet_payment_refunded",
                                  json_integer(r->ret.wallet_payment_refunded));
        (void)json_object_set_new(root, "refunds", refunds_json(&r->ret));
    }
    return root;
}

static json_t *redemption_json(const struct pt_redemption_result *r)
{
    const struct pt_redemption *red = &r->redemption;
    return json_pack(
        "{s:s,s:s,s:I,s:o,s:s,s:o,s:o,s:o,s:o}", "id", red->id, "member_id", red->member_id,
        "points", (json_int_t)red->points, "reason", pt_json_string_or_null(red->reason), "status",
        red->cancelled ? "cancelled" : "completed", "created_at", pt_json_time(red->created_at_ms),
        "cancelled_at", red->cancelled ? pt_json_time(red->cancelled_at_ms) : json_null(),
        "cancel_reason", pt_json_string_or_null(red->cancel_reason), "balance",
        pt_http_balance_json(&r->balance));
}

static json_t *adjustment_json(const struct pt_adjustment_result *a)
{
    return json_pack("{s:s,s:s,s:I,s:s,s:s,s:o,s:o}", "id", a->id, "member_id", a->member_id,
                     "points", (json_int_t)a->points, "reason", a->reason, "key_id", a->key_id,
                     "created_at", pt_json_time(a->created_at_ms), "balance",
                     pt_http_balance_json(&a->balance));
}

static json_t *transfer_json(const struct pt_transfer_result *t)
{
    return json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:o}", "id", t->id, "from_member_id",
                     t->from_member_id, "to_member_id", t->to_member_id, "points",
                     (json_int_t)t->points, "created_at", pt_json_time(t->created_at_ms),
                     "from_balance", pt_http_balance_json(&t->from_balance), "to_balance",
                     pt_http_balance_json(&t->to_balance));
}

#define ENCODER(name, type, to_json)                                                               \
    static enum pt_rc name(const void *obj, struct pt_arena *arena, const char **json,             \
                           struct pt_err *err)                                                     \
    {                                                                                              \
        return pt_json_dump_arena(to_json((const type *)obj), arena, json, err);                   \
    }

static json_t *expiry_json(const struct pt_expiry_event *e)
{
    return json_pack("{s:s,s:s,s:I,s:o}", "entry_id", e->entry_id, "member_id", e->member_id,
                     "points", (json_int_t)e->points, "created_at", pt_json_time(e->created_at_ms));
}

static json_t *activity_json(const struct pt_activity_result *r)
{
    const struct pt_activity_row *a = &r->activity;
    json_t *props = json_loads(a->properties, 0, NULL);
    json_t *root = json_pack(
        "{s:s,s:s,s:s,s:s,s:o,s:o,s:I,s:o,s:o}", "id", a->id, "member_id", a->member_id, "type",
        a->type, "external_id", a->external_id, "occurred_at", pt_json_time(a->occurred_at_ms),
        "properties", props != NULL ? props : json_object(), "points_earned",
        (json_int_t)a->points_earned, "balance", pt_http_balance_json(&r->balance), "created_at",
        pt_json_time(a->created_at_ms));
    if (root != NULL) {
        json_t *rules = json_array();
        unsigned i;
        for (i = 0; i < r->rules.rule_count; i++) {
            const struct pt_rule_applied *x = &r->rules.rules[i];
            json_t *one = json_pack("{s:s,s:I,s:s,s:I,s:b}", "rule_id", x->rule_id, "version",
                                    (json_int_t)x->version, "name", x->name, "points",
                                    (json_int_t)x->points, "capped", x->capped);
            if (one != NULL && x->coupon_reward[0] != '\0') {
                (void)json_object_set_new(one, "coupon_reward_id", json_string(x->coupon_reward));
            }
            (void)json_array_append_new(rules, one);
        }
        (void)json_object_set_new(root, "rules", rules);
        (void)json_object_set_new(root, "coupons_issued",
                                  pt_http_issued_coupons_json(&r->rules.issued, false));
    }
    return root;
}

ENCODER(encode_activity, struct pt_activity_result, activity_json)
ENCODER(encode_member, struct pt_member, pt_http_member_json)
ENCODER(encode_purchase, struct pt_purchase_result, purchase_json)
ENCODER(encode_return, struct pt_return_result, return_json)
ENCODER(encode_redemption, struct pt_redemption_result, redemption_json)
ENCODER(encode_adjustment, struct pt_adjustment_result, adjustment_json)
ENCODER(encode_transfer, struct pt_transfer_result, transfer_json)
ENCODER(encode_expiry, struct pt_expiry_event, expiry_json)
ENCODER(encode_tier, struct pt_tier_event, pt_http_tier_event_json)
ENCODER(encode_stamps, struct pt_stamps_event, pt_http_stamps_event_json)
ENCODER(encode_wallet, struct pt_wallet_event, pt_http_wallet_event_json)
ENCODER(encode_referral, struct pt_referral, pt_http_referral_json)
ENCODER(encode_coupon, struct pt_coupon_view, pt_http_coupon_json)
ENCODER(encode_batch, struct pt_coupon_batch, pt_http_batch_json)
ENCODER(encode_wallet_debit, struct pt_wallet_debit_result, pt_http_wallet_debit_json)
ENCODER(encode_stamp_card, struct pt_stamp_completion, pt_http_stamp_completion_json)

void pt_http_encoders(struct pt_encoders *out)
{
    out->member = encode_member;
    out->purchase = encode_purchase;
    out->ret = encode_return;
    out->redemption = encode_redemption;
    out->adjustment = encode_adjustment;
    out->transfer = encode_transfer;
    out->expiry = encode_expiry;
    out->activity = encode_activity;
    out->tier = encode_tier;
    out->stamps = encode_stamps;
    out->stamp_card = encode_stamp_card;
    out->wallet = encode_wallet;
    out->wallet_debit = encode_wallet_debit;
    out->referral = encode_referral;
    out->coupon = encode_coupon;
    out->batch = encode_batch;
}

/* Adapts an encoder to the idempotency record's signature. */
static enum pt_rc idem_encode(void *ctx, const void *result, struct pt_arena *arena,
                              const char **body, struct pt_err *err)
{
    pt_encode_fn encode = (pt_encode_fn)(uintptr_t)ctx;
    return encode(result, arena, body, err);
}

/* Answers a write: the replayed record, or the encoded result (the same bytes either way). */
static void reply_written(struct pt_http_ctx *ctx, const struct pt_idem *idem, pt_encode_fn encode,
                          const void *result, unsigned status)
{
    const char *body = NULL;
    struct pt_err err;
    pt_err_clear(&err);
    if (idem != NULL && idem->replayed) {
        pt_http_reply_replay(ctx, idem);
        return;
    }
    if (idem != NULL && idem->body != NULL) {
        pt_http_reply_text_json(ctx, status, idem->body); /* Encoded once, by the service. */
        return;
    }
    if (encode(result, &ctx->arena, &body, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_text_json(ctx, status, body);
}

static bool idem_setup(struct pt_http_ctx *ctx, struct pt_idem *idem, pt_encode_fn encode)
{
    if (!pt_http_idem_init(ctx, idem, 201)) {
        return false;
    }
    idem->encode = idem_encode;
    idem->encode_ctx = (void *)(uintptr_t)encode;
    return true;
}

void pt_http_reply_written(struct pt_http_ctx *ctx, const struct pt_idem *idem, pt_encode_fn encode,
                           const void *result, unsigned status)
{
    reply_written(ctx, idem, encode, result, status);
}

bool pt_http_idem_setup(struct pt_http_ctx *ctx, struct pt_idem *idem, pt_encode_fn encode)
{
    return idem_setup(ctx, idem, encode);
}

/* ---- Purchases and returns ---- */

void pt_h_purchase_create(struct pt_http_ctx *ctx)
{
    struct pt_purchase p;
    struct pt_purchase_result result;
    struct pt_idem idem;
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_decode_purchase(body, &ctx->arena, &p, &err);
    json_decref(body);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    if (p.occurred_at_ms < 0) {
        p.occurred_at_ms = pt_service_now_ms(ctx->svc, ctx->who.program_id);
    }
    if (!idem_setup(ctx, &idem, encode_purchase)) {
        return;
    }
    rc = pt_service_purchase(ctx->svc, &ctx->who, &p, &idem, &ctx->arena, &result, &err);
    /* A purchase runs the rules as a cart evaluation does: their cost counts alike, also when
     * the purchase failed after them (a balance at its bound); a replay evaluated nothing. */
    pt_http_ratelimit_charge(ctx, result.cart.eval_cost);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    reply_written(ctx, &idem, encode_purchase, &result, 201);
}

void pt_h_return_create(struct pt_http_ctx *ctx)
{
    struct pt_return_request req;
    struct pt_return_result result;
    struct pt_idem idem;
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_decode_return(body, &ctx->arena, &req, &err);
    json_decref(body);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    if (!idem_setup(ctx, &idem, encode_return)) {
        return;
    }
    rc = pt_service_return(ctx->svc, &ctx->who, ctx->params[0], &req, &idem, &ctx->arena, &result,
                           &err);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    reply_written(ctx, &idem, encode_return, &result, 201);
}

/* ---- Redemptions, adjustments, transfers ---- */

/* Parses {"points": N, "reason": "..."}; points_min is 1 for redemptions. */
static enum pt_rc parse_points_reason(struct pt_http_ctx *ctx, json_t *body, int64_t points_min,
                                      int64_t *points, const char **reason, struct pt_err *err)
{
    static const char *const fields[] = {"points", "reason", NULL};
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_int(body, "points", "points", true, points_min, PT_POINTS_MAX, points,
                             NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "reason", true, &ctx->arena, reason, err);
    }
    return rc;
}

void pt_h_redemption_create(struct pt_http_ctx *ctx)
{
    struct pt_redemption_result result;
    struct pt_idem idem;
    struct pt_err err;
    int64_t points = 0;
    const char *reason = NULL;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = parse_points_reason(ctx, body, 1, &points, &reason, &err);
    json_decref(body);
    if (rc == PT_OK && !idem_setup(ctx, &idem, encode_redemption)) {
        return;
    }
    if (rc == PT_OK) {
        rc = pt_service_redeem(ctx->svc, &ctx->who, ctx->params[0], points, reason, &idem,
                               &ctx->arena, &result, &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    reply_written(ctx, &idem, encode_redemption, &result, 201);
}

void pt_h_redemption_cancel(struct pt_http_ctx *ctx)
{
    struct pt_redemption_result result;
    struct pt_err err;
    const char *reason = NULL;
    pt_err_clear(&err);
    if (pt_json_get_string(ctx->action, "reason", false, &ctx->arena, &reason, &err) != PT_OK ||
        pt_service_redemption_cancel(ctx->svc, &ctx->who, ctx->params[0], reason, &ctx->arena,
                                     &result, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    reply_written(ctx, NULL, encode_redemption, &result, 200);
}

void pt_h_adjustment_create(struct pt_http_ctx *ctx)
{
    struct pt_adjustment_result result;
    struct pt_idem idem;
    struct pt_err err;
    int64_t points = 0;
    const char *reason = NULL;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = parse_points_reason(ctx, body, -PT_POINTS_MAX, &points, &reason, &err);
    json_decref(body);
    if (rc == PT_OK && !idem_setup(ctx, &idem, encode_adjustment)) {
        return;
    }
    if (rc == PT_OK) {
        rc = pt_service_adjust(ctx->svc, &ctx->who, ctx->params[0], points, reason, &idem,
                               &ctx->arena, &result, &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    reply_written(ctx, &idem, encode_adjustment, &result, 201);
}

void pt_h_transfer_create(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"from_member_id", "to_member_id", "points", NULL};
    struct pt_transfer_result result;
    struct pt_idem idem;
    struct pt_err err;
    const char *from = NULL;
    const char *to = NULL;
    int64_t points = 0;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "from_member_id", true, &ctx->arena, &from, &err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "to_member_id", true, &ctx->arena, &to, &err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(body, "points", "points", true, 1, PT_POINTS_MAX, &points, NULL, &err);
    }
    json_decref(body);
    if (rc == PT_OK && !idem_setup(ctx, &idem, encode_transfer)) {
        return;
    }
    if (rc == PT_OK) {
        rc = pt_service_transfer(ctx->svc, &ctx->who, from, to, points, &idem, &ctx->arena, &result,
                                 &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    reply_written(ctx, &idem, encode_transfer, &result, 201);
}

/* ---- Reads ---- */

void pt_h_balance_get(struct pt_http_ctx *ctx)
{
    struct pt_balance b;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_balance(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &b, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pt_http_balance_json(&b));
}

json_t *pt_http_ledger_line_json(const struct pt_ledger_line *l)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:o,s:o,s:o}", "id", l->entry_id, "type", l->type, "points",
                     (json_int_t)l->points, "balance_after", (json_int_t)l->balance_after,
                     "reference", pt_json_string_or_null(l->reference), "reason",
                     pt_json_string_or_null(l->reason), "created_at",
                     pt_json_time(l->created_at_ms));
}

static json_t *line_item_json(const void *item, const void *cls)
{
    (void)cls;
    return pt_http_ledger_line_json(item);
}

void pt_h_ledger_list(struct pt_http_ctx *ctx)
{
    /* The cursor is the posting number (seq) of the line last listed. */
    static const struct pt_http_list list = {.params = pt_http_page_query,
                                             .id_prefix = NULL,
                                             .seq_min = 1,
                                             .item_bytes = sizeof(struct pt_ledger_line),
                                             .key_offset = offsetof(struct pt_ledger_line, seq),
                                             .encode = line_item_json};
    struct pt_http_page page;
    struct pt_ledger_line *lines = NULL;
    unsigned count = 0;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    if (pt_service_ledger(ctx->svc, &ctx->who, ctx->params[0], page.cursor_seq, page.limit + 1,
                          &ctx->arena, &lines, &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, lines, count, NULL);
}

void pt_h_event_list(struct pt_http_ctx *ctx)
{
    /* Not paged by a cursor: the feed is read on from the last event's id (after). */
    static const char *const params[] = {"after", "limit", NULL};
    static const struct pt_http_list list = {.params = params, .id_prefix = "evt"};
    struct pt_http_page page;
    struct pt_event *events = NULL;
    const char *after = pt_http_query(ctx, "after");
    unsigned count = 0;
    struct pt_err err;
    json_t *data;
    unsigned i;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    if (after != NULL && !pt_id_is_valid("evt", after)) {
        pt_http_reply_error(ctx, 400, "validation_failed", "after",
                            "after must be the id of an event");
        return;
    }
    if (pt_service_events(ctx->svc, &ctx->who, after, page.limit, &ctx->arena, &events, &count,
                          &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    data = json_array();
    for (i = 0; i < count; i++) {
        json_t *payload = json_loads(events[i].payload_json, 0, NULL);
        (void)json_array_append_new(
            data, json_pack("{s:s,s:s,s:o,s:o,s:o}", "id", events[i].id, "type", events[i].type,
                            "created_at", pt_json_time(events[i].created_at_ms), "member_id",
                            pt_json_string_or_null(events[i].member_id), "data",
                            payload ? payload : json_object()));
    }
    pt_http_reply_json(ctx, 200,
                       json_pack("{s:o,s:o}", "data", data, "next_after",
                                 count > 0 ? json_string(events[count - 1].id)
                                           : (after ? json_string(after) : json_null())));
}

void pt_h_expire_run(struct pt_http_ctx *ctx)
{
    struct pt_expiry_result r;
    struct pt_err err;
    int64_t coupons = 0;
    pt_err_clear(&err);
    if (pt_service_expire(ctx->svc, ctx->who.program_id, &r, &err) != PT_OK ||
        pt_service_coupons_expire(ctx->svc, ctx->who.program_id, &coupons, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200,
                       json_pack("{s:I,s:I,s:I,s:I}", "points_expired",
                                 (json_int_t)r.points_expired, "lots_expired",
                                 (json_int_t)r.lots_expired, "members", (json_int_t)r.members,
                                 "coupons_expired", (json_int_t)coupons));
}

void pt_h_birthdays_run(struct pt_http_ctx *ctx)
{
    struct pt_birthday_result r;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_birthdays(ctx->svc, &ctx->who, &r, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(
        ctx, 200,
        json_pack("{s:I,s:I}", "members", (json_int_t)r.members, "points", (json_int_t)r.points));
}

void pt_h_activity_create(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"member_id",   "type",       "external_id",
                                         "occurred_at", "properties", NULL};
    struct pt_activity_request req;
    struct pt_activity_result result;
    struct pt_idem idem;
    struct pt_err err;
    const char *occurred = NULL;
    json_t *body = pt_http_body_object(ctx);
    json_t *props;
    enum pt_rc rc;
    size_t i;
    pt_err_clear(&err);
    memset(&req, 0, sizeof(req));
    if (body == NULL) {
        return;
    }
    props = json_object_get(body, "properties");
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "member_id", true, &ctx->arena, &req.member_id, &err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "type", true, &ctx->arena, &req.type, &err);
    }
    for (i = 0; rc == PT_OK && req.type[i] != '\0'; i++) {
        char ch = req.type[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-') ||
            i >= PT_ACTIVITY_TYPE_BYTES_MAX) {
            rc = pt_err_set(&err, PT_EINVAL, "type",
                            "type is 1 to %d lower-case letters, digits, _ and -",
                            PT_ACTIVITY_TYPE_BYTES_MAX);
        }
    }
    if (rc == PT_OK && req.type[0] == '\0') {
        rc = pt_err_set(&err, PT_EINVAL, "type", "type must not be empty");
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "external_id", true, &ctx->arena, &req.external_id, &err);
    }
    if (rc == PT_OK) {
        rc = pt_validate_external_id(req.external_id, &err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "occurred_at", false, &ctx->arena, &occurred, &err);
    }
    req.occurred_at_ms = pt_service_now_ms(ctx->svc, ctx->who.program_id);
    if (rc == PT_OK && occurred != NULL && !pt_time_parse_rfc3339(occurred, &req.occurred_at_ms)) {
        rc = pt_err_set(
            &err, PT_EINVAL, "occurred_at",
            "occurred_at must be an RFC 3339 time like 2026-11-23T08:31:33Z, from 1970 to 9999");
    }
    if (rc == PT_OK && props != NULL && !json_is_null(props)) {
        char *text;
        if (!json_is_object(props) || !pt_json_depth_ok(props, 4)) {
            rc = pt_err_set(&err, PT_EINVAL, "properties",
                            "properties is an object nested at most 4 deep");
        } else if ((text = json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
            rc = pt_err_set(&err, PT_ENOMEM, NULL, "out of memory");
        } else {
            if (strlen(text) > PT_ACTIVITY_PROPERTIES_BYTES_MAX) {
                rc = pt_err_set(&err, PT_EINVAL, "properties", "properties is at most %d bytes",
                                PT_ACTIVITY_PROPERTIES_BYTES_MAX);
            } else if (pt_json_text_has_nul(text)) {
                rc = pt_err_set(&err, PT_EINVAL, "properties",
                                "properties must not contain the character U+0000");
            }
            req.properties = pt_arena_strndup(&ctx->arena, text, strlen(text));
            pt_free(text);
        }
    }
    json_decref(body);
    if (rc == PT_OK && req.properties == NULL) {
        req.properties = "{}";
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    if (!idem_setup(ctx, &idem, encode_activity)) {
        return;
    }
    rc = pt_service_activity(ctx->svc, &ctx->who, &req, &idem, &ctx->arena, &result, &err);
    /* Its activity rules' cost counts as a purchase's (no lines: their conditions alone). */
    pt_http_ratelimit_charge(ctx, result.rules.eval_cost);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    reply_written(ctx, &idem, encode_activity, &result, 201);
}

void pt_h_test_clock_set(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"now", NULL};
    const char *now_s = NULL;
    int64_t now_ms = 0;
    struct pt_err err;
    json_t *body;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (!pt_service_test_clock_enabled(ctx->svc)) {
        pt_http_reply_error(ctx, 404, "not_found", NULL, "no such route");
        return;
    }
    body = pt_http_body_object(ctx);
    if (body == NULL) {
        return;
    }
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "now", true, &ctx->arena, &now_s, &err);
    }
    json_decref(body);
    if (rc == PT_OK && !pt_time_parse_rfc3339(now_s, &now_ms)) {
        rc = pt_err_set(
            &err, PT_EINVAL, "now",
            "now must be an RFC 3339 time between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z");
    }
    if (rc == PT_OK) {
        rc = pt_service_test_clock_set(ctx->svc, ctx->who.program_id, now_ms, &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, json_pack("{s:o}", "now", pt_json_time(now_ms)));
}
