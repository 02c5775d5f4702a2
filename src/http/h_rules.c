/* SPDX-License-Identifier: MIT */
/*
 * Rules (admin keys): POST/GET /v1/rules, GET/PATCH /v1/rules/{id},
 * POST /v1/rules/{id}/activate|pause|archive, GET /v1/rules/{id}/versions (docs/rules.md).
 * A rule is shown as its document with id, version, status, times, the key of the last change
 * and the points it has issued against its budget.
 */
#include "http/http_int.h"

#include "core/coupon_code.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The document as stored: compact, keys sorted, without status (which has its own column).
 * OUT: arena string. */
static enum pt_rc document_text(json_t *doc, struct pt_arena *arena, const char **out,
                                struct pt_err *err)
{
    char *text;
    (void)json_object_del(doc, "status");
    text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    *out = pt_arena_strndup(arena, text, strlen(text));
    pt_free(text); /* jansson allocates through pt_malloc. */
    return *out != NULL ? PT_OK : pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
}

static json_t *rule_json(const struct pt_rule_row *r, bool with_budget)
{
    json_t *root = json_loads(r->document, 0, NULL);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    /* The fields a document may leave out that the answer always shows (docs/rules.md). */
    if (!json_is_boolean(json_object_get(root, "public"))) {
        (void)json_object_set_new(root, "public", json_false());
    }
    if (json_object_get(root, "description") == NULL) {
        (void)json_object_set_new(root, "description", json_null());
    }
    (void)json_object_set_new(root, "id", json_string(r->id));
    (void)json_object_set_new(root, "version", json_integer(r->version));
    (void)json_object_set_new(root, "status", json_string(pt_rule_status_name(r->status)));
    (void)json_object_set_new(root, "updated_by", pt_json_string_or_null(r->key_id));
    (void)json_object_set_new(root, "updated_at", pt_json_time(r->updated_at_ms));
    if (with_budget) {
        (void)json_object_set_new(root, "created_at", pt_json_time(r->created_at_ms));
        (void)json_object_set_new(root, "points_issued", json_integer(r->points_issued));
        (void)json_object_set_new(root, "uses", json_integer(r->uses));
        (void)json_object_set_new(root, "amount_issued", json_integer(r->amount_issued));
    }
    return root;
}

static json_t *rule_encode(const void *obj)
{
    return rule_json(obj, true);
}

static void reply_rule(struct pt_http_ctx *ctx, unsigned status, const struct pt_rule_row *r)
{
    pt_http_reply_json(ctx, status, rule_json(r, true));
}

/* Reads "status" of a body: absent is `dflt`. */
static enum pt_rc body_status(json_t *body, enum pt_rule_status dflt, enum pt_rule_status *out,
                              struct pt_err *err)
{
    json_t *v = json_object_get(body, "status");
    *out = dflt;
    if (v == NULL) {
        return PT_OK;
    }
    return pt_rule_status_parse(json_string_value(v), out, err);
}

/* A rule to create: its document and status as the body gives them, and the rule made. The
 * row comes first: the encoder reads it. */
struct rule_request {
    struct pt_rule_row row;
    const char *document;
    enum pt_rule_status status;
};

static enum pt_rc rule_decode(json_t *body, struct pt_arena *arena, void *obj, struct pt_err *err)
{
    struct rule_request *req = obj;
    enum pt_rc rc = body_status(body, PT_RULE_DRAFT, &req->status, err);
    if (rc == PT_OK) {
        rc = document_text(body, arena, &req->document, err);
    }
    return rc;
}

static enum pt_rc rule_create(struct pt_http_ctx *ctx, void *obj, struct pt_idem *idem,
                              struct pt_err *err)
{
    struct rule_request *req = obj;
    return pt_service_rule_create(ctx->svc, &ctx->who, req->document, req->status, idem,
                                  &ctx->arena, &req->row, err);
}

static enum pt_rc rule_get(struct pt_http_ctx *ctx, void *out, struct pt_err *err)
{
    return pt_service_rule_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, out, err);
}

/* The merge patch (RFC 7396) ctx applied to the rule's document, inside the write. */
static enum pt_rc apply_rule_patch(void *ctx, struct pt_arena *arena, struct pt_rule_row *row,
                                   struct pt_err *err)
{
    json_t *doc = json_loads(row->document, 0, NULL);
    /* The merge takes doc. */
    json_t *merged = doc != NULL ? pt_json_merge_patch(doc, ctx, PT_JSON_DEPTH_MAX) : NULL;
    enum pt_rc rc;
    if (merged == NULL) {
        return pt_err_set(err, PT_EINVAL, NULL, "the patch nests too deep");
    }
    rc = document_text(merged, arena, &row->document, err);
    json_decref(merged);
    return rc;
}

/* PATCH: a JSON merge patch (RFC 7396) of the document, applied to the rule as the write reads
 * it (two changes at once both land). */
static enum pt_rc rule_update(struct pt_http_ctx *ctx, json_t *patch, void *out, struct pt_err *err)
{
    if (json_object_get(patch, "status") != NULL) {
        return pt_err_set(err, PT_EINVAL, "status",
                          "status changes through /activate, /pause and /archive");
    }
    return pt_service_rule_patch(ctx->svc, &ctx->who, ctx->params[0], apply_rule_patch, patch,
                                 &ctx->arena, out, err);
}

static const struct pt_http_object rule_object = {
    .size = sizeof(struct rule_request),
    .decode = rule_decode,
    .encode = rule_encode,
    .created_status = 201,
    .create = rule_create,
    .get = rule_get,
    .update = rule_update,
};

void pt_h_rule_create(struct pt_http_ctx *ctx)
{
    pt_http_object_create(ctx, &rule_object);
}

void pt_h_rule_get(struct pt_http_ctx *ctx)
{
    pt_http_object_get(ctx, &rule_object);
}

void pt_h_rule_patch(struct pt_http_ctx *ctx)
{
    pt_http_object_patch(ctx, &rule_object);
}

static void rule_status_to(struct pt_http_ctx *ctx, enum pt_rule_status status)
{
    struct pt_rule_row row;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_rule_change(ctx->svc, &ctx->who, ctx->params[0], NULL, (int)status, 0,
                               &ctx->arena, &row, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    reply_rule(ctx, 200, &row);
}

void pt_h_rule_activate(struct pt_http_ctx *ctx)
{
    rule_status_to(ctx, PT_RULE_ACTIVE);
}

void pt_h_rule_pause(struct pt_http_ctx *ctx)
{
    rule_status_to(ctx, PT_RULE_PAUSED);
}

void pt_h_rule_archive(struct pt_http_ctx *ctx)
{
    rule_status_to(ctx, PT_RULE_ARCHIVED);
}

static json_t *rule_item_json(const void *item, const void *cls)
{
    (void)cls;
    return rule_json(item, true);
}

void pt_h_rule_list(struct pt_http_ctx *ctx)
{
    static const char *const params[] = {"limit", "cursor", "status", NULL};
    static const struct pt_http_list list = {.params = params,
                                             .id_prefix = "rul",
                                             .item_bytes = sizeof(struct pt_rule_row),
                                             .key_offset = offsetof(struct pt_rule_row, id),
                                             .encode = rule_item_json};
    struct pt_http_page page;
    struct pt_rule_row *rows = NULL;
    unsigned count = 0;
    const char *status_s;
    int status = -1;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    status_s = pt_http_query(ctx, "status");
    if (status_s != NULL) {
        enum pt_rule_status s;
        if (pt_rule_status_parse(status_s, &s, &err) != PT_OK) {
            pt_http_reply_err(ctx, &err);
            return;
        }
        status = (int)s;
    }
    if (pt_service_rule_list(ctx->svc, &ctx->who, status, page.cursor, page.limit + 1, &ctx->arena,
                             &rows, &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, rows, count, NULL);
}

/* A version of a rule: who changed it and when, rather than who updated it. */
static json_t *version_item_json(const void *item, const void *cls)
{
    json_t *one = rule_json(item, false);
    (void)cls;
    if (one != NULL) {
        (void)json_object_set(one, "changed_by", json_object_get(one, "updated_by"));
        (void)json_object_del(one, "updated_by");
        (void)json_object_set(one, "changed_at", json_object_get(one, "updated_at"));
        (void)json_object_del(one, "updated_at");
    }
    return one;
}

void pt_h_rule_versions(struct pt_http_ctx *ctx)
{
    /* The cursor is the version last listed; versions before 2 have no next page. */
    static const struct pt_http_list list = {.params = pt_http_page_query,
                                             .id_prefix = NULL,
                                             .seq_min = 2,
                                             .item_bytes = sizeof(struct pt_rule_row),
                                             .key_offset = offsetof(struct pt_rule_row, version),
                                             .encode = version_item_json};
    struct pt_http_page page;
    struct pt_rule_row *rows = NULL;
    unsigned count = 0;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    if (pt_service_rule_versions(ctx->svc, &ctx->who, ctx->params[0], page.cursor_seq,
                                 page.limit + 1, &ctx->arena, &rows, &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, rows, count, NULL);
}

/* ---- Carts ---- */

/* The codes given with the cart: coupons and promotion codes with what each took off (or why
 * it could not be used), and the codes for the rules (docs/rewards.md). */
static json_t *cart_coupons_json(const struct pt_cart_answer *a)
{
    static const char *const kinds[] = {"rule_code", "coupon", "promo_code"};
    json_t *list = json_array();
    unsigned i;
    for (i = 0; i < a->coupon_count; i++) {
        const struct pt_cart_coupon *c = &a->coupons[i];
        json_t *one;
        char printed[PT_COUPON_PRINTED_BYTES];
        if (c->kind == PT_CART_CODE_RULE) {
            (void)json_array_append_new(
                list, json_pack("{s:s,s:s}", "code", c->input, "kind", kinds[c->kind]));
            continue;
        }
        pt_coupon_code_print(c->code, strlen(c->code) - PT_COUPON_RANDOM_SYMBOLS - 1, printed,
                             sizeof(printed));
        one =
            json_pack("{s:s,s:s,s:b,s:o,s:I,s:s,s:I,s:o}", "code", printed, "kind", kinds[c->kind],
                      "applied", c->applied, "reason", pt_json_string_or_null(c->reason),
                      "discount", (json_int_t)c->discount, "type", pt_reward_type_names[c->type],
                      "value", (json_int_t)c->value, "sku", pt_json_string_or_null(c->sku));
        (void)json_object_set_new(one, "reward_id",
                                  pt_json_string_or_null(c->reward_id[0] ? c->reward_id : NULL));
        (void)json_object_set_new(one, "name", pt_json_string_or_null(c->reward_name));
        if (c->kind == PT_CART_CODE_PROMO) {
            (void)json_object_set_new(one, "batch_id", json_string(c->batch_id));
        }
        (void)json_array_append_new(list, one);
    }
    return list;
}

void pt_http_cart_answer_fields(json_t *obj, const struct pt_cart_answer *a)
{
    json_t *rules = json_array();
    json_t *lines = json_array();
    json_t *messages = json_array();
    json_t *nudges = json_array();
    unsigned i;
    for (i = 0; i < a->rule_count; i++) {
        const struct pt_rule_applied *r = &a->rules[i];
        json_t *one =
            json_pack("{s:s,s:I,s:s,s:I,s:I,s:I,s:b,s:b}", "rule_id", r->rule_id, "version",
                      (json_int_t)r->version, "name", r->name, "points", (json_int_t)r->points,
                      "discount", (json_int_t)r->discount, "free_units", (json_int_t)r->free_units,
                      "free_shipping", r->free_shipping, "capped", r->capped);
        if (one != NULL && r->coupon_reward[0] != '\0') {
            /* issue_coupon: the purchase gives a coupon of this reward (docs/rules.md). */
            (void)json_object_set_new(one, "coupon_reward_id", json_string(r->coupon_reward));
        }
        (void)json_array_append_new(rules, one);
    }
    for (i = 0; i < a->line_count; i++) {
        (void)json_array_append_new(lines, json_pack("{s:I,s:I}", "line", (json_int_t)i, "discount",
                                                     (json_int_t)a->line_discount[i]));
    }
    for (i = 0; i < a->message_count; i++) {
        (void)json_array_append_new(messages, json_string(a->messages[i]));
    }
    for (i = 0; i < a->nudge_count; i++) {
        json_t *one = json_pack("{s:s,s:s,s:I}", "rule_id", a->nudges[i].rule_id, "text",
                                a->nudges[i].text, "missing", (json_int_t)a->nudges[i].missing);
        if (one != NULL && a->nudges[i].sku != NULL) {
            /* get_product: the product the till may add (missing: its units). */
            (void)json_object_set_new(one, "sku", json_string(a->nudges[i].sku));
        }
        (void)json_array_append_new(nudges, one);
    }
    (void)json_object_set_new(obj, "discount", json_integer(a->discount));
    (void)json_object_set_new(obj, "base_points", json_integer(a->base_points));
    (void)json_object_set_new(obj, "tier", pt_json_string_or_null(a->tier));
    (void)json_object_set_new(obj, "tier_points", json_integer(a->tier_points));
    (void)json_object_set_new(obj, "cashback", json_integer(a->cashback));
    (void)json_object_set_new(obj, "stamps",
                              pt_http_stamp_gains_json(a->stamps, a->stamp_count, false));
    (void)json_object_set_new(obj, "rules", rules);
    (void)json_object_set_new(obj, "lines", lines);
    (void)json_object_set_new(obj, "free_shipping", json_boolean(a->free_shipping));
    (void)json_object_set_new(obj, "messages", messages);
    (void)json_object_set_new(obj, "nudges", nudges);
    (void)json_object_set_new(obj, "coupons", cart_coupons_json(a));
    (void)json_object_set_new(obj, "to_pay", json_integer(a->to_pay));
    (void)json_object_set_new(obj, "payments",
                              pt_http_payments_json(a->payments, a->payment_count));
    (void)json_object_set_new(obj, "balance_due", json_integer(a->balance_due));
    (void)json_object_set_new(
        obj, "points_payment",
        a->points_payable ? json_pack("{s:I,s:I}", "max_points", (json_int_t)a->points_payable_max,
                                      "max_amount", (json_int_t)a->points_payable_amount)
                          : json_null());
}

/* A publishable key evaluates a guest's cart as a shop's page shows it, nothing more: a
 * member's cart (their tier, their limits), a coupon (whether a code is valid), a payment or a
 * till's discount would tell a page's visitor what only the till may know. Answers 403 naming
 * the field and returns false. */
static bool publishable_cart(struct pt_http_ctx *ctx, const struct pt_cart_request *cart)
{
    const char *field = cart->member_id != NULL   ? "member_id"
                        : cart->coupon_count > 0  ? "coupons"
                        : cart->payment_count > 0 ? "payments"
                        : cart->discount != 0     ? "discount"
                                                  : NULL;
    if (field == NULL) {
        return true;
    }
    pt_http_reply_error(ctx, 403, "forbidden", field,
                        "a publishable key evaluates guest carts only: no member_id, coupons, "
                        "payments or discount");
    return false;
}

void pt_h_cart_evaluate(struct pt_http_ctx *ctx)
{
    struct pt_cart_request cart;
    struct pt_cart_answer answer;
    struct pt_err err;
    const char *currency = NULL;
    json_t *body = pt_http_body_object(ctx);
    json_t *out;
    enum pt_rc rc;
    pt_err_clear(&err);
    memset(&answer, 0, sizeof(answer));
    if (body == NULL) {
        return;
    }
    rc = pt_decode_cart(body, &ctx->arena, &cart, &currency, &err);
    json_decref(body);
    if (rc == PT_OK && ctx->who.role == PT_ROLE_PUBLISHABLE && !publishable_cart(ctx, &cart)) {
        return; /* Answered 403. */
    }
    if (rc == PT_OK) {
        rc = pt_service_cart_evaluate(ctx->svc, &ctx->who, &cart, currency, &ctx->arena, &answer,
                                      &err);
    }
    /* What the evaluation cost counts against the rate limits, also when the answer is an
     * error that came after it. */
    pt_http_ratelimit_charge(ctx, answer.eval_cost);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    out = json_pack("{s:I,s:I}", "amount", (json_int_t)answer.amount, "points",
                    (json_int_t)answer.points);
    if (out != NULL && ctx->who.role == PT_ROLE_PUBLISHABLE) {
        /* A shop's page shows what the cart earns and costs; the rules that fired, their
         * names, messages and nudges are the program's own (a rule need not be public). */
        (void)json_object_set_new(out, "base_points", json_integer(answer.base_points));
        (void)json_object_set_new(out, "discount", json_integer(answer.discount));
        (void)json_object_set_new(out, "to_pay", json_integer(answer.to_pay));
    } else if (out != NULL) {
        pt_http_cart_answer_fields(out, &answer);
    }
    pt_http_reply_json(ctx, 200, out);
}

/* ---- What-if ---- */

/* POST /v1/rules/simulate: {"rule": {...}} (a draft) and/or {"rule_id": "...", "changes":
 * {...}} (a merge patch of that rule; without changes, the rule as it is, made active), with
 * "from" and "to". */
/* The simulation's window end key ("from", "to"): an RFC 3339 time, as text and in ms. */
static enum pt_rc simulate_time(json_t *body, const char *key, struct pt_arena *arena,
                                const char **text, int64_t *at_ms, struct pt_err *err)
{
    enum pt_rc rc = pt_json_get_string(body, key, true, arena, text, err);
    if (rc == PT_OK && !pt_time_parse_rfc3339(*text, at_ms)) {
        rc = pt_err_set(err, PT_EINVAL, key,
                        "%s must be an RFC 3339 time between 1970-01-01T00:00:00Z and "
                        "9999-12-31T23:59:59Z",
                        key);
    }
    return rc;
}

/* A draft's compile error names its path inside the document simulated, "rule" (a draft) or
 * "changes" (a patch of a rule): "rule.effects[0].points". */
static void simulate_error_field(struct pt_err *err, const char *document)
{
    static const char *const own[] = {"from", "to", "rule", "changes", "rule_id"};
    char field[sizeof(err->field)];
    size_t i;
    int n;
    if (err->rc != PT_EINVAL || err->field[0] == '\0') {
        return;
    }
    for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        if (strcmp(err->field, own[i]) == 0) {
            return;
        }
    }
    n = snprintf(field, sizeof(field), "%s.%s", document, err->field);
    if (n > 0) {
        memcpy(err->field, field, sizeof(field));
    }
}

void pt_h_rule_simulate(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"rule", "rule_id", "changes", "from", "to", NULL};
    struct pt_simulation sim;
    struct pt_err err;
    const char *rule_id = NULL;
    const char *from_s = NULL;
    const char *to_s = NULL;
    const char *draft = NULL;
    const char *changed = NULL;
    int64_t from_ms = 0;
    int64_t to_ms = 0;
    json_t *body = pt_http_body_object(ctx);
    json_t *rule;
    json_t *changes;
    json_t *out;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rule = json_object_get(body, "rule");
    changes = json_object_get(body, "changes");
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "rule_id", false, &ctx->arena, &rule_id, &err);
    }
    if (rc == PT_OK) {
        rc = simulate_time(body, "from", &ctx->arena, &from_s, &from_ms, &err);
    }
    if (rc == PT_OK) {
        rc = simulate_time(body, "to", &ctx->arena, &to_s, &to_ms, &err);
    }
    if (rc == PT_OK && changes != NULL && (rule_id == NULL || !json_is_object(changes))) {
        rc = pt_err_set(&err, PT_EINVAL, "changes",
                        "changes is a merge patch (an object) of the rule rule_id");
    }
    if (rc == PT_OK && rule == NULL && rule_id == NULL) {
        rc = pt_err_set(&err, PT_EINVAL, "rule", "give a draft rule, or a rule_id and changes");
    }
    if (rc == PT_OK && rule != NULL) {
        if (!json_is_object(rule)) {
            rc = pt_err_set(&err, PT_EINVAL, "rule", "rule is a rule document");
        } else {
            json_t *copy = json_deep_copy(rule);
            rc = copy != NULL ? document_text(copy, &ctx->arena, &draft, &err)
                              : pt_err_set(&err, PT_ENOMEM, NULL, "out of memory");
            json_decref(copy);
        }
    }
    if (rc == PT_OK && changes != NULL) {
        struct pt_rule_row current;
        rc = pt_service_rule_get(ctx->svc, &ctx->who, rule_id, &ctx->arena, &current, &err);
        if (rc == PT_OK) {
            json_t *doc = json_loads(current.document, 0, NULL);
            json_t *merged =
                doc != NULL ? pt_json_merge_patch(doc, changes, PT_JSON_DEPTH_MAX) : NULL;
            rc = merged != NULL ? document_text(merged, &ctx->arena, &changed, &err)
                                : pt_err_set(&err, PT_EINVAL, "changes", "changes nest too deep");
            json_decref(merged);
        }
    }
    json_decref(body);
    memset(&sim, 0, sizeof(sim));
    if (rc == PT_OK) {
        rc = pt_service_rules_simulate(ctx->svc, &ctx->who, draft, rule_id, changed, from_ms, to_ms,
                                       &sim, &err);
    }
    /* Every purchase replayed is an evaluation: their summed cost counts against the rate
     * limits, also when the simulation then failed. */
    pt_http_ratelimit_charge(ctx, sim.eval_cost);
    if (rc != PT_OK) {
        simulate_error_field(&err, draft != NULL ? "rule" : "changes");
        pt_http_reply_err(ctx, &err);
        return;
    }
    out = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "from", from_s, "to", to_s, "purchases",
                    (json_int_t)sim.purchases, "members_affected", (json_int_t)sim.members_affected,
                    "actual_points", (json_int_t)sim.actual_points, "simulated_points",
                    (json_int_t)sim.simulated_points, "extra_points", (json_int_t)sim.extra_points,
                    "cost", (json_int_t)sim.cost);
    if (out != NULL) {
        (void)json_object_set_new(out, "point_value",
                                  json_pack("{s:I,s:I}", "amount",
                                            (json_int_t)sim.point_cost_amount, "points",
                                            (json_int_t)sim.point_cost_points));
    }
    pt_http_reply_json(ctx, 200, out);
}
