/* SPDX-License-Identifier: MIT */
/*
 * Reading purchases back (issue 19: the till console and the member portal): a purchase as
 * POST /v1/transactions answered it, with what its returns took since, and a member's purchases
 * newest first. Parsing and encoding only; the reads are in src/service/purchases.c.
 *
 * GET /v1/members/{id}/purchases names its member by the path's only parameter and checks
 * nothing of the caller's but its program (the service's), so that a route flag can narrow it
 * to a member's own session, as the other member routes.
 */
#include "http/http_int.h"

#include "base/clock.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- GET /v1/transactions/{id} ---- */

/* The status of a purchase of amount of which returned_amount was returned. new */
static json_t *status_json(int64_t amount, int64_t returned_amount)
{
    return json_string(pt_purchase_status_names[pt_purchase_status_of(amount, returned_amount)]);
}

/* A return as its purchase lists it. new */
static json_t *purchase_return_json(const struct pt_purchase_return *r)
{
    return json_pack("{s:s,s:s,s:o,s:I,s:I,s:I}", "id", r->id, "external_id", r->external_id,
                     "occurred_at", pt_json_time(r->created_at_ms), "amount", (json_int_t)r->amount,
                     "points_reversed", (json_int_t)r->points_reversed, "points_owed",
                     (json_int_t)r->points_owed);
}

/* What GET adds to the purchase's answer root (takes it; NULL: out of memory): each line's
 * returned_quantity and where its returns left the purchase. Returns root, or NULL when memory
 * ran out anywhere. */
static json_t *purchase_returned_json(json_t *root, const struct pt_purchase_view *v)
{
    const struct pt_purchase *p = &v->result.purchase;
    json_t *items = json_object_get(root, "items");
    json_t *returns = json_array();
    bool failed = root == NULL || returns == NULL;
    size_t i;
    /* The answer lists the lines in their order, as the purchase keeps them. */
    for (i = 0; !failed && i < json_array_size(items) && i < p->item_count; i++) {
        failed = json_object_set_new(json_array_get(items, i), "returned_quantity",
                                     json_integer(p->items[i].returned_quantity)) != 0;
    }
    for (i = 0; !failed && i < v->return_shown; i++) {
        failed = json_array_append_new(returns, purchase_return_json(&v->returns[i])) != 0;
    }
    if (failed) {
        json_decref(returns);
        json_decref(root);
        return NULL;
    }
    /* Each set takes its value, even when it fails. */
    failed = json_object_set_new(root, "status", status_json(p->amount, p->returned_amount)) != 0;
    failed = json_object_set_new(root, "returned_amount", json_integer(p->returned_amount)) != 0 ||
             failed;
    failed = json_object_set_new(root, "points_reversed", json_integer(p->points_reversed)) != 0 ||
             failed;
    failed = json_object_set_new(root, "returns", returns) != 0 || failed;
    failed =
        json_object_set_new(root, "return_count", json_integer(v->return_count)) != 0 || failed;
    if (failed) {
        json_decref(root);
        return NULL;
    }
    return root;
}

void pt_h_purchase_get(struct pt_http_ctx *ctx)
{
    struct pt_purchase_view v;
    struct pt_err err;
    json_t *root;
    pt_err_clear(&err);
    if (pt_service_purchase_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &v, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    /* The answer as POST gave it (made by pt_http_purchase_json then), or its rows through the
     * same encoder. A document that does not load is out of memory (it was ours). */
    root = v.answer != NULL ? json_loads(v.answer, 0, NULL) : pt_http_purchase_json(&v.result);
    pt_http_reply_json(ctx, 200, purchase_returned_json(root, &v));
}

/* ---- GET /v1/members/{id}/purchases ---- */

static json_t *purchase_summary_json(const void *item, const void *cls)
{
    const struct pt_purchase_summary *s = item;
    json_t *root;
    (void)cls;
    root = json_pack(
        "{s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "id", s->id, "external_id",
        s->external_id, "occurred_at", pt_json_time(s->occurred_at_ms), "created_at",
        pt_json_time(s->created_at_ms), "channel", pt_json_string_or_null(s->channel), "location",
        pt_json_string_or_null(s->location), "currency", s->currency, "amount",
        (json_int_t)s->amount, "discount", (json_int_t)s->discount, "item_count",
        (json_int_t)s->item_count, "points_earned", (json_int_t)s->points_earned, "points_reversed",
        (json_int_t)s->points_reversed, "cashback", (json_int_t)s->cashback);
    if (root != NULL &&
        (json_object_set_new(root, "returned_amount", json_integer(s->returned_amount)) != 0 ||
         json_object_set_new(root, "status", status_json(s->amount, s->returned_amount)) != 0)) {
        json_decref(root);
        root = NULL;
    }
    return root;
}

/* The query parameter name as a time into *at_ms, left as it is when absent. False after
 * answering 400. */
static bool query_time(struct pt_http_ctx *ctx, const char *name, int64_t *at_ms)
{
    const char *s = pt_http_query(ctx, name);
    char msg[120];
    if (s == NULL || pt_time_parse_rfc3339(s, at_ms)) {
        return true;
    }
    (void)snprintf(msg, sizeof(msg),
                   "%s must be an RFC 3339 time between 1970-01-01T00:00:00Z and "
                   "9999-12-31T23:59:59Z",
                   name);
    pt_http_reply_error(ctx, 400, "validation_failed", name, msg);
    return false;
}

void pt_h_member_purchases(struct pt_http_ctx *ctx)
{
    /* The cursor is the id of the purchase last listed. */
    static const char *const params[] = {"limit", "cursor", "from", "to", NULL};
    static const struct pt_http_list list = {.params = params,
                                             .id_prefix = "txn",
                                             .item_bytes = sizeof(struct pt_purchase_summary),
                                             .key_offset = offsetof(struct pt_purchase_summary, id),
                                             .encode = purchase_summary_json};
    struct pt_http_page page;
    struct pt_purchase_query query = {.from_ms = PT_TIME_INPUT_MIN_MS, .to_ms = INT64_MAX};
    struct pt_purchase_summary *items = NULL;
    unsigned count = 0;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page) || !query_time(ctx, "from", &query.from_ms) ||
        !query_time(ctx, "to", &query.to_ms)) {
        return;
    }
    query.cursor_id = page.cursor;
    query.limit = page.limit + 1;
    if (pt_service_member_purchases(ctx->svc, &ctx->who, ctx->params[0], &query, &ctx->arena,
                                    &items, &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, items, count, NULL);
}
