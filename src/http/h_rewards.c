/* SPDX-License-Identifier: MIT */
/*
 * The rewards catalog and coupons (docs/rewards.md): POST/GET /v1/rewards, GET/PATCH
 * /v1/rewards/{id}, POST /v1/members/{id}/rewards/{reward_id}/redeem, and at the till
 * GET /v1/coupons/{code}, POST /v1/coupons/{code}/redeem and /cancel, with the coupon's
 * pictures (qr.svg, barcode.svg). A code is read by core/coupon_code.c before any lookup: a
 * typo is 400 invalid_code.
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/clock.h"
#include "base/names.h"
#include "core/coupon_code.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The reward as the API shows it: its id, its table's fields in this order, its times. */
static json_t *reward_json(const struct pt_reward *r)
{
    static const char *const shown[] = {"name",
                                        "description",
                                        "terms",
                                        "image_url",
                                        "type",
                                        "value",
                                        "sku",
                                        "cost_points",
                                        "stock",
                                        "issued",
                                        "per_member_limit",
                                        "valid_from",
                                        "valid_to",
                                        "tiers",
                                        "coupon_valid_days",
                                        "combines",
                                        "min_amount",
                                        "skus",
                                        "categories",
                                        "status",
                                        NULL};
    json_t *root = pt_http_fields_encode_in(pt_reward_fields, PT_REWARD_FIELD_COUNT, shown, r,
                                            json_pack("{s:s}", "id", r->id), NULL, NULL);
    if (root != NULL) {
        (void)json_object_set_new(root, "created_at", pt_json_time(r->created_at_ms));
        (void)json_object_set_new(root, "updated_at", pt_json_time(r->updated_at_ms));
    }
    return root;
}

static json_t *reward_encode(const void *obj)
{
    return reward_json(obj);
}

static void reward_defaults(void *obj)
{
    struct pt_reward *r = obj;
    r->valid_from_ms = INT64_MIN;
    r->valid_to_ms = INT64_MAX;
    r->coupon_valid_days = PT_REWARD_COUPON_DAYS_DEFAULT;
}

static enum pt_rc reward_create(struct pt_http_ctx *ctx, void *obj, struct pt_idem *idem,
                                struct pt_err *err)
{
    return pt_service_reward_create(ctx->svc, &ctx->who, obj, idem, &ctx->arena, err);
}

static enum pt_rc reward_get(struct pt_http_ctx *ctx, void *out, struct pt_err *err)
{
    return pt_service_reward_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, out, err);
}

static enum pt_rc reward_update(struct pt_http_ctx *ctx, json_t *body, void *out,
                                struct pt_err *err);

static const struct pt_http_required reward_required[] = {
    {"type", "type is required"}, {"cost_points", "cost_points is required"}, {NULL, NULL}};

static const struct pt_http_object reward_object = {
    .fields = pt_reward_fields,
    .field_count = PT_REWARD_FIELD_COUNT,
    .size = sizeof(struct pt_reward),
    .defaults = reward_defaults,
    .required = reward_required,
    .encode = reward_encode,
    .created_status = 201,
    .create = reward_create,
    .get = reward_get,
    .update = reward_update,
};

/* Applies the request's body onto the stored reward, inside the service's write. */
static enum pt_rc apply_reward_patch(void *ctx, struct pt_arena *arena, struct pt_reward *r,
                                     struct pt_err *err)
{
    return pt_http_object_decode(&reward_object, ctx, arena, r, err);
}

static enum pt_rc reward_update(struct pt_http_ctx *ctx, json_t *body, void *out,
                                struct pt_err *err)
{
    return pt_service_reward_update(ctx->svc, &ctx->who, ctx->params[0], apply_reward_patch, body,
                                    &ctx->arena, out, err);
}

void pt_h_reward_create(struct pt_http_ctx *ctx)
{
    pt_http_object_create(ctx, &reward_object);
}

void pt_h_reward_get(struct pt_http_ctx *ctx)
{
    pt_http_object_get(ctx, &reward_object);
}

void pt_h_reward_patch(struct pt_http_ctx *ctx)
{
    pt_http_object_patch(ctx, &reward_object);
}

/* A listed reward; for a member (cls: the member's id), with what the member lacks. */
static json_t *offer_item_json(const void *item, const void *cls)
{
    const struct pt_reward_offer *offer = item;
    json_t *one = reward_json(&offer->reward);
    if (one != NULL && cls != NULL) {
        (void)json_object_set_new(one, "affordable", json_boolean(offer->affordable));
        (void)json_object_set_new(one, "points_missing", json_integer(offer->points_missing));
        (void)json_object_set_new(one, "eligible", json_boolean(offer->eligible));
        (void)json_object_set_new(one, "reason", pt_json_string_or_null(offer->reason));
    }
    return one;
}

void pt_h_reward_list(struct pt_http_ctx *ctx)
{
    static const char *const params[] = {"limit", "cursor", "member_id", NULL};
    static const struct pt_http_list list = {.params = params,
                                             .id_prefix = "rwd",
                                             .item_bytes = sizeof(struct pt_reward_offer),
                                             .key_offset =
                                                 offsetof(struct pt_reward_offer, reward.id),
                                             .encode = offer_item_json};
    struct pt_http_page page;
    struct pt_reward_offer *offers = NULL;
    unsigned count = 0;
    const char *member_id;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    member_id = pt_http_query(ctx, "member_id");
    if (pt_service_reward_list(ctx->svc, &ctx->who, member_id, page.cursor, page.limit + 1,
                               &ctx->arena, &offers, &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, offers, count, member_id);
}

/* ---- Coupons ---- */

/* A promotion code as the till sees it: its batch, what it gives, its uses. */
static json_t *promo_json(const struct pt_coupon_view *v)
{
    char printed[PT_COUPON_PRINTED_BYTES];
    const struct pt_coupon_batch *b = &v->batch;
    json_t *gives;
    pt_coupon_code_print(v->promo_code.code, strlen(b->prefix), printed, sizeof(printed));
    if (b->reward_id[0] != '\0') {
        gives =
            json_pack("{s:s,s:s,s:s,s:I,s:o}", "id", v->reward.id, "name", v->reward.name, "type",
                      pt_reward_type_names[v->reward.type], "value", (json_int_t)v->reward.value,
                      "sku", pt_json_string_or_null(v->reward.sku));
    } else {
        gives = json_pack("{s:o,s:s,s:s,s:I,s:o}", "id", json_null(), "name", b->name, "type",
                          pt_reward_type_names[b->type], "value", (json_int_t)b->value, "sku",
                          pt_json_string_or_null(b->sku));
    }
    return json_pack("{s:s,s:s,s:s,s:o,s:I,s:I,s:o,s:o,s:b,s:o}", "code", printed, "kind",
                     "promo_code", "batch_id", b->id, "reward", gives, "uses",
                     (json_int_t)v->promo_code.uses, "uses_per_code", (json_int_t)b->uses_per_code,
                     "valid_from", pt_json_time_or_null(b->valid_from_ms, INT64_MIN), "valid_to",
                     pt_json_time_or_null(b->valid_to_ms, INT64_MAX), "valid", v->valid, "reason",
                     pt_json_string_or_null(v->reason));
}

json_t *pt_http_coupon_json(const struct pt_coupon_view *v)
{
    char printed[PT_COUPON_PRINTED_BYTES];
    const struct pt_coupon *c = &v->coupon;
    json_t *root;
    if (v->promo) {
        return promo_json(v);
    }
    pt_coupon_code_print(c->code, 0, printed, sizeof(printed));
    root = json_pack(
        "{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:I,s:o},s:{s:s,s:o,s:o,s:o},s:o,s:o,s:o,s:o,s:o,s:b,s:o}",
        "code", printed, "status", c->status, "member_id", c->member_id, "reward", "id",
        v->reward.id, "name", v->reward.name, "type", pt_reward_type_names[v->reward.type], "value",
        (json_int_t)v->reward.value, "sku", pt_json_string_or_null(v->reward.sku), "member", "id",
        v->member.id, "first_name", pt_json_string_or_null(v->member.first_name), "last_name",
        pt_json_string_or_null(v->member.last_name), "card_number",
        pt_json_string_or_null(v->member.card_number[0] ? v->member.card_number : NULL),
        "issued_at", pt_json_time(c->issued_at_ms), "expires_at", pt_json_time(c->expires_at_ms),
        "redeemed_at", c->redeemed_at_ms ? pt_json_time(c->redeemed_at_ms) : json_null(),
        "location", pt_json_string_or_null(c->location), "cancelled_at",
        c->cancelled_at_ms ? pt_json_time(c->cancelled_at_ms) : json_null(), "valid", v->valid,
        "reason", pt_json_string_or_null(v->reason));
    if (root != NULL) {
        (void)json_object_set_new(root, "cancel_reason", pt_json_string_or_null(c->cancel_reason));
    }
    if (root != NULL) {
        /* Its conditions in a cart, for the cashier who redeems it at the till without one. */
        json_t *reward = json_object_get(root, "reward");
        (void)json_object_set_new(reward, "min_amount", json_integer(v->reward.min_amount));
        (void)json_object_set_new(reward, "skus",
                                  pt_json_names(v->reward.skus, v->reward.sku_count));
        (void)json_object_set_new(reward, "categories",
                                  pt_json_names(v->reward.categories, v->reward.category_count));
        (void)json_object_set_new(root, "kind", json_string("coupon"));
    }
    if (root != NULL && v->reward.type == PT_REWARD_PARTNER_VOUCHER) {
        (void)json_object_set_new(root, "partner_code", pt_json_string_or_null(c->partner_code));
    }
    if (root != NULL && v->balance.member_id[0] != '\0') {
        (void)json_object_set_new(root, "points_available", json_integer(v->balance.available));
    }
    if (root != NULL) {
        /* Who gave it: a redemption, or a rule or a stamp card (source_id). */
        (void)json_object_set_new(root, "source", json_string(pt_coupon_source_names[c->source]));
        (void)json_object_set_new(root, "source_id",
                                  pt_json_string_or_null(c->source_id[0] ? c->source_id : NULL));
    }
    return root;
}

json_t *pt_http_issued_coupons_json(const struct pt_issued_coupons *list, bool with_status)
{
    json_t *out = json_array();
    unsigned i;
    for (i = 0; i < list->count; i++) {
        const struct pt_issued_coupon *c = &list->items[i];
        char printed[PT_COUPON_PRINTED_BYTES];
        bool rule = c->source == PT_COUPON_FROM_RULE;
        json_t *one;
        if (c->code[0] != '\0') {
            pt_coupon_code_print(c->code, 0, printed, sizeof(printed));
        }
        one = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "reward_id", c->reward_id, "code",
                        c->code[0] ? json_string(printed) : json_null(), "rule_id",
                        pt_json_string_or_null(rule ? c->source_id : NULL), "card_id",
                        pt_json_string_or_null(rule ? NULL : c->source_id), "expires_at",
                        c->expires_at_ms ? pt_json_time(c->expires_at_ms) : json_null(), "reason",
                        pt_json_string_or_null(c->reason));
        if (one != NULL && with_status) {
            (void)json_object_del(one, "reason");
            (void)json_object_set_new(one, "status", pt_json_string_or_null(c->status));
        }
        (void)json_array_append_new(out, one);
    }
    return out;
}

static enum pt_rc encode_coupon(void *ctx, const void *result, struct pt_arena *arena,
                                const char **body, struct pt_err *err)
{
    (void)ctx;
    return pt_json_dump_arena(pt_http_coupon_json(result), arena, body, err);
}

void pt_h_reward_redeem(struct pt_http_ctx *ctx)
{
    struct pt_coupon_view v;
    struct pt_idem idem;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_idem_init(ctx, &idem, 201)) {
        return;
    }
    idem.encode = encode_coupon;
    if (pt_service_reward_redeem(ctx->svc, &ctx->who, ctx->params[0], ctx->params[1], &idem,
                                 &ctx->arena, &v, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
    } else if (idem.replayed) {
        pt_http_reply_replay(ctx, &idem);
    } else if (idem.body != NULL) {
        pt_http_reply_text_json(ctx, 201, idem.body);
    } else {
        pt_http_reply_json(ctx, 201, pt_http_coupon_json(&v));
    }
}

/* ---- A member's coupons ---- */

/* A member's coupon as its list shows it (the coupon's own fields; its member is the list's).
 * new */
json_t *pt_http_member_coupon_json(const struct pt_coupon_listed *l)
{
    const struct pt_coupon *c = &l->coupon;
    char printed[PT_COUPON_PRINTED_BYTES];
    json_t *root;
    pt_coupon_code_print(c->code, 0, printed, sizeof(printed));
    root = json_pack(
        "{s:s,s:s,s:s,s:{s:s,s:o,s:s,s:I,s:o},s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o}", "code", printed,
        "status", c->status, "reward_id", c->reward_id, "reward", "id", l->reward.id, "name",
        pt_json_string_or_null(l->reward.name), "type", pt_reward_type_names[l->reward.type],
        "value", (json_int_t)l->reward.value, "sku", pt_json_string_or_null(l->reward.sku),
        "issued_at", pt_json_time(c->issued_at_ms), "expires_at", pt_json_time(c->expires_at_ms),
        "redeemed_at", c->redeemed_at_ms ? pt_json_time(c->redeemed_at_ms) : json_null(),
        "location", pt_json_string_or_null(c->location), "cancelled_at",
        c->cancelled_at_ms ? pt_json_time(c->cancelled_at_ms) : json_null(), "cancel_reason",
        pt_json_string_or_null(c->cancel_reason), "source", pt_coupon_source_names[c->source],
        "source_id", pt_json_string_or_null(c->source_id[0] ? c->source_id : NULL));
    if (root != NULL && l->reward.type == PT_REWARD_PARTNER_VOUCHER) {
        (void)json_object_set_new(root, "partner_code", pt_json_string_or_null(c->partner_code));
    }
    return root;
}

static json_t *member_coupon_item_json(const void *item, const void *cls)
{
    (void)cls;
    return pt_http_member_coupon_json(item);
}

/* A cursor of the coupons list: a code in its canonical form (what next_cursor gives). */
static bool coupon_cursor_valid(const char *cursor)
{
    char canonical[PT_COUPON_CODE_MAX + 1];
    struct pt_err err;
    pt_err_clear(&err);
    return strlen(cursor) <= PT_COUPON_CODE_MAX &&
           pt_coupon_code_parse(cursor, canonical, sizeof(canonical), &err) == PT_OK &&
           strcmp(canonical, cursor) == 0;
}

void pt_h_member_coupons(struct pt_http_ctx *ctx)
{
    static const char *const params[] = {"limit", "cursor", "status", NULL};
    static const struct pt_http_list list = {.params = params,
                                             .cursor_valid = coupon_cursor_valid,
                                             .item_bytes = sizeof(struct pt_coupon_listed),
                                             .key_offset =
                                                 offsetof(struct pt_coupon_listed, coupon.code),
                                             .encode = member_coupon_item_json};
    struct pt_http_page page;
    struct pt_coupon_listed *coupons = NULL;
    unsigned count = 0;
    const char *status;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    status = pt_http_query(ctx, "status");
    if (status != NULL && pt_name_index(pt_coupon_status_names, PT_COUPON_STATUSES, status) < 0) {
        pt_http_reply_error(ctx, 400, "validation_failed", "status",
                            "status must be active, redeemed, expired or cancelled");
        return;
    }
    if (pt_service_member_coupons(ctx->svc, &ctx->who, ctx->params[0], status, page.cursor,
                                  page.limit + 1, &ctx->arena, &coupons, &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, coupons, count, NULL);
}

/* The canonical code of the path, or an answer 400 invalid_code (before any lookup). */
static bool path_code(struct pt_http_ctx *ctx, char *code)
{
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_coupon_code_parse(ctx->params[0], code, PT_COUPON_CODE_MAX + 1, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return false;
    }
    return true;
}

void pt_h_coupon_get(struct pt_http_ctx *ctx)
{
    char code[PT_COUPON_CODE_MAX + 1];
    struct pt_coupon_view v;
    struct pt_err err;
    pt_err_clear(&err);
    if (!path_code(ctx, code)) {
        return;
    }
    if (pt_service_coupon_get(ctx->svc, &ctx->who, code, &ctx->arena, &v, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pt_http_coupon_json(&v));
}

void pt_h_coupon_redeem(struct pt_http_ctx *ctx)
{
    char code[PT_COUPON_CODE_MAX + 1];
    const char *location = NULL;
    const char *member_id = NULL;
    struct pt_coupon_view v;
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (!path_code(ctx, code)) {
        return;
    }
    /* The route's fields (routes.c) were checked with the body. */
    rc = pt_json_get_string(ctx->action, "location", false, &ctx->arena, &location, &err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(ctx->action, "member_id", false, &ctx->arena, &member_id, &err);
    }
    if (rc == PT_OK) {
        rc = pt_service_coupon_redeem(ctx->svc, &ctx->who, code, location, member_id, &ctx->arena,
                                      &v, &err);
    }
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pt_http_coupon_json(&v));
}

void pt_h_coupon_cancel(struct pt_http_ctx *ctx)
{
    char code[PT_COUPON_CODE_MAX + 1];
    struct pt_coupon_view v;
    struct pt_err err;
    const char *reason = NULL;
    pt_err_clear(&err);
    if (!path_code(ctx, code)) {
        return;
    }
    if (pt_json_get_string(ctx->action, "reason", false, &ctx->arena, &reason, &err) != PT_OK ||
        pt_service_coupon_cancel(ctx->svc, &ctx->who, code, reason, &ctx->arena, &v, &err) !=
            PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pt_http_coupon_json(&v));
}

/* The coupon's code as a picture of content_type: checked, then looked up (404 for another
 * program's). */
static void coupon_picture(struct pt_http_ctx *ctx, const char *content_type,
                           enum pt_rc (*draw)(const char *, struct pt_buf *, struct pt_err *))
{
    char code[PT_COUPON_CODE_MAX + 1];
    struct pt_coupon_view v;
    struct pt_err err;
    struct pt_buf svg;
    pt_err_clear(&err);
    if (!path_code(ctx, code)) {
        return;
    }
    if (pt_service_coupon_get(ctx->svc, &ctx->who, code, &ctx->arena, &v, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_buf_init(&svg, 512 * 1024);
    if (draw(code, &svg, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
    } else {
        pt_http_reply_raw(ctx, 200, content_type, svg.ptr, svg.len, false);
    }
    pt_buf_fini(&svg);
}

void pt_h_coupon_qr(struct pt_http_ctx *ctx)
{
    coupon_picture(ctx, "image/svg+xml", pt_picture_qr_svg);
}

void pt_h_coupon_qr_png(struct pt_http_ctx *ctx)
{
    coupon_picture(ctx, "image/png", pt_picture_qr_png);
}

void pt_h_coupon_barcode(struct pt_http_ctx *ctx)
{
    coupon_picture(ctx, "image/svg+xml", pt_picture_code128_svg);
}

/* ---- Partner voucher pools ---- */

static json_t *pool_json(const struct pt_voucher_pool *p)
{
    return json_pack("{s:s,s:I,s:I,s:I}", "reward_id", p->reward_id, "codes", (json_int_t)p->codes,
                     "free", (json_int_t)p->free_codes, "added", (json_int_t)p->added);
}

void pt_h_vouchers_add(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"codes", NULL};
    struct pt_voucher_pool pool;
    struct pt_err err;
    const char **codes = NULL;
    json_t *body = pt_http_body_object(ctx);
    json_t *list;
    size_t i;
    size_t n;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_json_check_fields(body, fields, &err);
    list = json_object_get(body, "codes");
    if (rc == PT_OK && !json_is_array(list)) {
        rc = pt_err_set(&err, PT_EINVAL, "codes", "codes is a list of the partner's codes");
    }
    n = rc == PT_OK ? json_array_size(list) : 0;
    if (rc == PT_OK && (n == 0 || n > PT_VOUCHERS_PER_UPLOAD_MAX)) {
        rc = pt_err_set(&err, PT_EINVAL, "codes", "an upload holds 1 to %d codes",
                        PT_VOUCHERS_PER_UPLOAD_MAX);
    }
    if (rc == PT_OK) {
        codes = pt_arena_alloc(&ctx->arena, n * sizeof(*codes));
        if (codes == NULL) {
            rc = pt_err_set(&err, PT_ENOMEM, NULL, "out of memory");
        }
    }
    for (i = 0; rc == PT_OK && i < n; i++) {
        json_t *c = json_array_get(list, i);
        if (!json_is_string(c)) {
            rc = pt_err_set(&err, PT_EINVAL, "codes", "codes[%zu] is not a string", i);
        } else {
            codes[i] = pt_arena_strndup(&ctx->arena, json_string_value(c), json_string_length(c));
            if (codes[i] == NULL) {
                rc = pt_err_set(&err, PT_ENOMEM, NULL, "out of memory");
            } else if (strlen(codes[i]) != json_string_length(c)) {
                rc = pt_err_set(&err, PT_EINVAL, "codes", "codes[%zu] holds a NUL", i);
            }
        }
    }
    if (rc == PT_OK) {
        rc = pt_service_vouchers_add(ctx->svc, &ctx->who, ctx->params[0], codes, (unsigned)n,
                                     &ctx->arena, &pool, &err);
    }
    json_decref(body);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pool_json(&pool));
}

void pt_h_vouchers_get(struct pt_http_ctx *ctx)
{
    struct pt_voucher_pool pool;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_vouchers_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &pool, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pool_json(&pool));
}
