/* SPDX-License-Identifier: MIT */
/*
 * GET /v1/members/{id}/export (issue 19, "download my data"): one JSON document with everything
 * held about the member. Each part is shown as the route that reads it alone shows it (the
 * member, balance, tier, ledger lines, coupons, wallet, referrals), the parts without a route of
 * their own (purchases with items and returns, redemptions, every stamp card, activities) in
 * the same words. The export is read into its own arena (PT_EXPORT_ARENA_BYTES_MAX), released
 * once the answer is encoded; a member with more than PT_EXPORT_ROWS_MAX rows is refused with
 * 422 limit_exceeded (docs/openapi.yaml).
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "core/coupon_code.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static json_t *export_item_json(const struct pt_purchase_item *it)
{
    return json_pack("{s:s,s:o,s:I,s:I,s:b,s:I}", "sku", it->sku, "category",
                     pt_json_string_or_null(it->category), "quantity", (json_int_t)it->quantity,
                     "unit_price", (json_int_t)it->unit_price, "eligible", it->eligible,
                     "returned_quantity", (json_int_t)it->returned_quantity);
}

static json_t *export_return_json(const struct pt_return_row *r)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:o}", "id", r->id, "external_id", r->external_id,
                     "amount", (json_int_t)r->amount, "points_reversed",
                     (json_int_t)r->points_reversed, "points_owed", (json_int_t)r->points_owed,
                     "created_at", pt_json_time(r->created_at_ms));
}

/* A purchase in the words of POST /v1/transactions' answer, with its items and returns. new */
static json_t *export_purchase_json(const struct pt_purchase_row *p)
{
    json_t *items = json_array();
    json_t *returns = json_array();
    json_t *root;
    unsigned i;
    for (i = 0; i < p->item_count; i++) {
        (void)json_array_append_new(items, export_item_json(&p->items[i]));
    }
    for (i = 0; i < p->return_count; i++) {
        (void)json_array_append_new(returns, export_return_json(&p->returns[i]));
    }
    root = json_pack(
        "{s:s,s:s,s:o,s:s,s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:I}", "id", p->id, "external_id",
        p->external_id, "occurred_at", pt_json_time(p->occurred_at_ms), "currency", p->currency,
        "amount", (json_int_t)p->amount, "eligible_amount", (json_int_t)p->eligible_amount,
        "discount", (json_int_t)p->discount, "channel", pt_json_string_or_null(p->channel),
        "location", pt_json_string_or_null(p->location), "points_earned",
        (json_int_t)p->points_earned, "returned_amount", (json_int_t)p->returned_amount,
        "points_reversed", (json_int_t)p->points_reversed);
    if (root != NULL) {
        (void)json_object_set_new(root, "cashback", json_integer(p->cashback));
        (void)json_object_set_new(root, "cashback_reversed", json_integer(p->cashback_reversed));
        (void)json_object_set_new(root, "created_at", pt_json_time(p->created_at_ms));
        (void)json_object_set_new(root, "items", items);
        (void)json_object_set_new(root, "returns", returns);
        return root;
    }
    json_decref(items);
    json_decref(returns);
    return NULL;
}

/* A redemption of points, in the words of its routes' answer (without the balance). new */
static json_t *export_redemption_json(const struct pt_redemption *r)
{
    return json_pack("{s:s,s:I,s:o,s:s,s:o,s:o,s:o}", "id", r->id, "points", (json_int_t)r->points,
                     "reason", pt_json_string_or_null(r->reason), "status",
                     r->cancelled ? "cancelled" : "completed", "created_at",
                     pt_json_time(r->created_at_ms), "cancelled_at",
                     r->cancelled ? pt_json_time(r->cancelled_at_ms) : json_null(), "cancel_reason",
                     pt_json_string_or_null(r->cancel_reason));
}

/* One stamp card the member has had (open, completed or expired). new */
static json_t *export_stamp_card_json(const struct pt_member_stamp_card *c)
{
    char printed[PT_COUPON_PRINTED_BYTES];
    json_t *coupon = json_null();
    if (c->coupon_code[0] != '\0') {
        pt_coupon_code_print(c->coupon_code, 0, printed, sizeof(printed));
        coupon = json_string(printed);
    }
    return json_pack("{s:s,s:I,s:s,s:I,s:o,s:o,s:o,s:I,s:I,s:o}", "card_id", c->card_id, "n",
                     (json_int_t)c->n, "status", c->status, "stamps", (json_int_t)c->stamps,
                     "started_at", c->started_at_ms ? pt_json_time(c->started_at_ms) : json_null(),
                     "expires_at", c->expires_at_ms ? pt_json_time(c->expires_at_ms) : json_null(),
                     "completed_at",
                     c->completed_at_ms ? pt_json_time(c->completed_at_ms) : json_null(),
                     "reward_points", (json_int_t)c->reward_points, "stamps_returned",
                     (json_int_t)c->stamps_returned, "coupon_code", coupon);
}

/* An activity with its properties (a JSON object stored as written). new */
static json_t *export_activity_json(const struct pt_activity_row *a)
{
    json_t *props = a->properties != NULL ? json_loads(a->properties, 0, NULL) : NULL;
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:I,s:o}", "id", a->id, "external_id", a->external_id,
                     "type", a->type, "occurred_at", pt_json_time(a->occurred_at_ms), "properties",
                     props != NULL ? props : json_object(), "points_earned",
                     (json_int_t)a->points_earned, "created_at", pt_json_time(a->created_at_ms));
}

/* The lists of the export, each item by encode(items + i * bytes). new */
static json_t *export_list(const void *items, unsigned count, size_t bytes,
                           json_t *(*encode)(const void *))
{
    json_t *list = json_array();
    unsigned i;
    for (i = 0; list != NULL && i < count; i++) {
        if (json_array_append_new(list, encode((const char *)items + (size_t)i * bytes)) != 0) {
            json_decref(list);
            return NULL; /* Out of memory: the answer is 503, not a part missing. */
        }
    }
    return list;
}

static json_t *enc_line(const void *p)
{
    return pt_http_ledger_line_json(p);
}
static json_t *enc_purchase(const void *p)
{
    return export_purchase_json(p);
}
static json_t *enc_redemption(const void *p)
{
    return export_redemption_json(p);
}
static json_t *enc_coupon(const void *p)
{
    return pt_http_member_coupon_json(p);
}
static json_t *enc_stamp_card(const void *p)
{
    return export_stamp_card_json(p);
}
static json_t *enc_activity(const void *p)
{
    return export_activity_json(p);
}

/* A survey response with its answers (stored as canonical JSON text). */
static json_t *enc_survey_response(const void *p)
{
    const struct pt_survey_response *r = p;
    json_t *answers = json_loads(r->answers, 0, NULL);
    return json_pack("{s:s,s:s,s:o,s:I,s:s,s:o}", "id", r->id, "survey_id", r->survey_id, "answers",
                     answers != NULL ? answers : json_object(), "points_earned",
                     (json_int_t)r->points_earned, "activity_id", r->activity_id, "created_at",
                     pt_json_time(r->created_at_ms));
}

/* The whole document; NULL when memory ran out anywhere (json_pack fails on a NULL part). new */
static json_t *export_json(const struct pt_member_export *x)
{
    return json_pack(
        "{s:o,s:{s:s,s:s,s:s},s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "exported_at",
        pt_json_time(x->exported_at_ms), "program", "id", x->program.id, "name", x->program.name,
        "currency", x->program.currency, "member", pt_http_member_json(&x->member), "balance",
        pt_http_balance_json(&x->balance), "tier",
        x->has_tier ? pt_http_member_tier_json(&x->tier) : json_null(), "ledger",
        export_list(x->ledger, x->ledger_count, sizeof(*x->ledger), enc_line), "purchases",
        export_list(x->purchases, x->purchase_count, sizeof(*x->purchases), enc_purchase),
        "redemptions",
        export_list(x->redemptions, x->redemption_count, sizeof(*x->redemptions), enc_redemption),
        "coupons", export_list(x->coupons, x->coupon_count, sizeof(*x->coupons), enc_coupon),
        "stamp_cards",
        export_list(x->stamp_cards, x->stamp_card_count, sizeof(*x->stamp_cards), enc_stamp_card),
        "wallet", pt_http_wallet_json(&x->wallet), "referrals",
        pt_http_referral_view_json(&x->referrals), "activities",
        export_list(x->activities, x->activity_count, sizeof(*x->activities), enc_activity));
}

void pt_h_member_export(struct pt_http_ctx *ctx)
{
    struct pt_arena arena;
    struct pt_member_export *x;
    struct pt_err err;
    char disposition[128];
    enum pt_rc rc;
    pt_err_clear(&err);
    pt_arena_init(&arena, PT_EXPORT_ARENA_BYTES_MAX);
    x = pt_arena_alloc(&arena, sizeof(*x));
    rc = x != NULL ? pt_service_member_export(ctx->svc, &ctx->who, ctx->params[0], &arena, x, &err)
                   : pt_arena_err(&arena, &err);
    if (rc == PT_OK) {
        /* Every part is copied into the JSON: the arena goes as soon as it is encoded. */
        json_t *root = export_json(x);
        if (root != NULL) {
            (void)json_object_set_new(root, "survey_responses",
                                      export_list(x->survey_responses, x->survey_response_count,
                                                  sizeof(*x->survey_responses),
                                                  enc_survey_response));
        }
        /* Inquiries and staff notes (h_inquiries.c; docs/crm.md, "In the export"). */
        rc = root != NULL ? pt_http_inquiry_export_add(ctx, x->member.id, &arena, root, &err)
                          : PT_OK;
        if (rc != PT_OK) {
            json_decref(root);
            pt_arena_fini(&arena);
            pt_http_reply_err(ctx, &err);
            return;
        }
        pt_http_reply_json(ctx, 200, root);
        if (ctx->resp.status == 200) {
            /* Opened by a browser, it is a file to keep (the id is a safe id: it was found). */
            (void)snprintf(disposition, sizeof(disposition),
                           "attachment; filename=\"patron-export-%s.json\"", x->member.id);
            (void)pt_http_response_header(&ctx->resp, "Content-Disposition", disposition);
        }
        pt_arena_fini(&arena);
        return;
    }
    pt_arena_fini(&arena);
    pt_http_reply_err(ctx, &err);
}

static enum pt_rc encode_erased(void *ctx, const void *result, struct pt_arena *arena,
                                const char **body, struct pt_err *err)
{
    (void)ctx;
    return pt_json_dump_arena(pt_http_member_json(result), arena, body, err);
}

/* POST /v1/members/{id}/erase (admin, an action): 200 with the erased member; 409
 * already_erased the second time, unless it is a replay of the same Idempotency-Key. */
void pt_h_member_erase(struct pt_http_ctx *ctx)
{
    struct pt_member m;
    struct pt_idem idem;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_idem_init(ctx, &idem, 200)) {
        return;
    }
    idem.encode = encode_erased;
    if (pt_service_member_erase(ctx->svc, &ctx->who, ctx->params[0], &idem, &ctx->arena, &m,
                                &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
    } else if (idem.replayed) {
        pt_http_reply_replay(ctx, &idem);
    } else if (idem.body != NULL) {
        pt_http_reply_text_json(ctx, 200, idem.body);
    } else {
        pt_http_reply_json(ctx, 200, pt_http_member_json(&m));
    }
}
