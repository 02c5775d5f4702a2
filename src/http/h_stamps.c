/* SPDX-License-Identifier: MIT */
/*
 * Stamp cards (docs/stamp-cards.md): POST/GET /v1/stamp-cards, GET/PATCH
 * /v1/stamp-cards/{id} (admin keys), GET /v1/members/{id}/stamp-cards (any key), and the
 * payloads of stamps.added, stamps.removed and stamp_card.completed. A card's condition is
 * kept as the rule document the engine evaluates: its conditions and items as written, one
 * add_stamps effect.
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/names.h"
#include "core/coupon_code.h"

#include <stdio.h>
#include <string.h>

static json_t *json_or_null(const char *text)
{
    json_t *v = text != NULL ? json_loads(text, 0, NULL) : NULL;
    return v != NULL ? v : json_null();
}

static json_t *reward_json(const struct pt_stamp_card *c)
{
    return json_pack("{s:o,s:o}", "points",
                     c->reward_id != NULL ? json_null() : json_integer(c->reward_points),
                     "reward_id", pt_json_string_or_null(c->reward_id));
}

/* The card's fields the table leaves to this file (pt_stamp_card_fields). new */
static json_t *card_custom_json(void *ctx, const struct pt_field *f, const void *obj)
{
    const struct pt_stamp_card *c = obj;
    (void)ctx;
    if (strcmp(f->name, "stamps_per") == 0) {
        return json_string(c->per_item ? "item" : "purchase");
    }
    if (strcmp(f->name, "conditions") == 0) {
        return json_or_null(c->conditions);
    }
    if (strcmp(f->name, "items") == 0) {
        return json_or_null(c->items);
    }
    pt_assert(strcmp(f->name, "reward") == 0);
    return reward_json(c);
}

/* The card as the API shows it: its id, its table's fields in this order, its times. */
static json_t *card_json(const struct pt_stamp_card *c)
{
    static const char *const shown[] = {"name",       "status",     "stamps_required",
                                        "stamps_per", "conditions", "items",
                                        "reward",     "valid_days", NULL};
    json_t *root =
        pt_http_fields_encode_in(pt_stamp_card_fields, PT_STAMP_CARD_FIELD_COUNT, shown, c,
                                 json_pack("{s:s}", "id", c->id), card_custom_json, NULL);
    if (root != NULL) {
        (void)json_object_set_new(root, "created_at", pt_json_time(c->created_at_ms));
        (void)json_object_set_new(root, "updated_at", pt_json_time(c->updated_at_ms));
    }
    return root;
}

static json_t *card_encode(const void *obj)
{
    return card_json(obj);
}

/* A JSON value as compact text in the arena (NULL for null or absent). */
static enum pt_rc json_text(json_t *v, struct pt_arena *arena, const char **out, struct pt_err *err)
{
    char *text;
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        return PT_OK;
    }
    text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (text == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    *out = pt_arena_strndup(arena, text, strlen(text));
    pt_free(text);
    return *out != NULL ? PT_OK : pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
}

/* The rule document of a card: what earns stamps, as the engine reads it. */
static enum pt_rc card_document(struct pt_arena *arena, void *obj, struct pt_err *err)
{
    struct pt_stamp_card *c = obj;
    json_t *doc = json_pack("{s:s,s:s,s:[{s:s,s:s,s:s}]}", "name", c->name, "trigger", "purchase",
                            "effects", "type", "add_stamps", "card", c->id[0] ? c->id : "stc_new",
                            "per", c->per_item ? "item" : "purchase");
    enum pt_rc rc = PT_OK;
    if (doc == NULL) {
        return pt_err_set(err, PT_EINVAL, "name", "name is required (a text)");
    }
    if (c->conditions != NULL) {
        json_t *v = json_loads(c->conditions, 0, NULL);
        rc = v != NULL ? PT_OK : pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        (void)json_object_set_new(doc, "conditions", v);
    }
    if (rc == PT_OK && c->items != NULL) {
        json_t *v = json_loads(c->items, 0, NULL);
        rc = v != NULL ? PT_OK : pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        (void)json_object_set_new(doc, "items", v);
    }
    if (rc == PT_OK) {
        rc = json_text(doc, arena, &c->document, err);
    }
    json_decref(doc);
    return rc;
}

/* The card's reward: {"points": N} or {"reward_id": "rwd_..."} (a reward of the catalog whose
 * coupon completion gives); it replaces the card's. */
static enum pt_rc card_reward(json_t *v, struct pt_arena *arena, struct pt_stamp_card *c,
                              struct pt_err *err)
{
    static const char *const reward_fields[] = {"points", "reward_id", NULL};
    enum pt_rc rc;
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "reward",
                          "reward is {\"points\": N} or {\"reward_id\": \"rwd_...\"}");
    }
    rc = pt_json_check_fields(v, reward_fields, err);
    c->reward_points = 0;
    c->reward_id = NULL;
    if (rc == PT_OK) {
        rc = pt_json_get_int(v, "points", "reward.points", false, 1,
                             PT_STAMP_CARD_REWARD_POINTS_MAX, &c->reward_points, NULL, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(v, "reward_id", false, arena, &c->reward_id, err);
    }
    return rc;
}

/* The card's fields the table leaves to this file (pt_stamp_card_fields), given in body. */
static enum pt_rc card_custom(void *ctx, const struct pt_field *f, json_t *body,
                              struct pt_arena *arena, void *obj, struct pt_err *err)
{
    struct pt_stamp_card *c = obj;
    json_t *v = json_object_get(body, f->name);
    (void)ctx;
    if (strcmp(f->name, "stamps_per") == 0) {
        if (!json_is_string(v) || (strcmp(json_string_value(v), "purchase") != 0 &&
                                   strcmp(json_string_value(v), "item") != 0)) {
            return pt_err_set(err, PT_EINVAL, "stamps_per", "stamps_per is purchase or item");
        }
        c->per_item = strcmp(json_string_value(v), "item") == 0;
        return PT_OK;
    }
    if (strcmp(f->name, "conditions") == 0) {
        return json_text(v, arena, &c->conditions, err);
    }
    if (strcmp(f->name, "items") == 0) {
        return json_text(v, arena, &c->items, err);
    }
    pt_assert(strcmp(f->name, "reward") == 0);
    return card_reward(v, arena, c, err);
}

static void card_defaults(void *obj)
{
    struct pt_stamp_card *card = obj;
    card->status = PT_STAMP_CARD_ACTIVE;
}

static enum pt_rc card_create(struct pt_http_ctx *ctx, void *obj, struct pt_idem *idem,
                              struct pt_err *err)
{
    return pt_service_stamp_card_create(ctx->svc, &ctx->who, obj, idem, &ctx->arena, err);
}

static enum pt_rc card_get(struct pt_http_ctx *ctx, void *out, struct pt_err *err)
{
    return pt_service_stamp_card_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, out, err);
}

static enum pt_rc card_update(struct pt_http_ctx *ctx, json_t *body, void *out, struct pt_err *err);

static const struct pt_http_required card_required[] = {
    {"stamps_required", "stamps_required is required"},
    {"reward", "reward is required: {\"points\": N}"},
    {NULL, NULL}};

static const struct pt_http_object card_object = {
    .fields = pt_stamp_card_fields,
    .field_count = PT_STAMP_CARD_FIELD_COUNT,
    .size = sizeof(struct pt_stamp_card),
    .defaults = card_defaults,
    .decode_custom = card_custom,
    .finish = card_document,
    .required = card_required,
    .encode = card_encode,
    .created_status = 201,
    .create = card_create,
    .get = card_get,
    .update = card_update,
};

/* Applies the request's body onto the stored card, inside the service's write. */
static enum pt_rc apply_card_patch(void *ctx, struct pt_arena *arena, struct pt_stamp_card *card,
                                   struct pt_err *err)
{
    return pt_http_object_decode(&card_object, ctx, arena, card, err);
}

static enum pt_rc card_update(struct pt_http_ctx *ctx, json_t *body, void *out, struct pt_err *err)
{
    return pt_service_stamp_card_update(ctx->svc, &ctx->who, ctx->params[0], apply_card_patch, body,
                                        &ctx->arena, out, err);
}

void pt_h_stamp_card_create(struct pt_http_ctx *ctx)
{
    pt_http_object_create(ctx, &card_object);
}

void pt_h_stamp_card_get(struct pt_http_ctx *ctx)
{
    pt_http_object_get(ctx, &card_object);
}

void pt_h_stamp_card_patch(struct pt_http_ctx *ctx)
{
    pt_http_object_patch(ctx, &card_object);
}

static json_t *card_item_json(const void *item, const void *cls)
{
    (void)cls;
    return card_json(item);
}

void pt_h_stamp_card_list(struct pt_http_ctx *ctx)
{
    static const struct pt_http_list list = {.params = pt_http_page_query,
                                             .id_prefix = "stc",
                                             .item_bytes = sizeof(struct pt_stamp_card),
                                             .key_offset = offsetof(struct pt_stamp_card, id),
                                             .encode = card_item_json};
    struct pt_http_page page;
    struct pt_stamp_card *cards = NULL;
    unsigned count = 0;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    if (pt_service_stamp_card_list(ctx->svc, &ctx->who, page.cursor, page.limit + 1, &ctx->arena,
                                   &cards, &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, cards, count, NULL);
}

void pt_h_member_stamp_cards(struct pt_http_ctx *ctx)
{
    struct pt_stamp_progress *cards = NULL;
    unsigned count = 0;
    struct pt_err err;
    json_t *data;
    unsigned i;
    pt_err_clear(&err);
    if (pt_service_member_stamp_cards(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &cards,
                                      &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    data = json_array();
    for (i = 0; i < count; i++) {
        const struct pt_stamp_progress *p = &cards[i];
        (void)json_array_append_new(
            data,
            json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:I,s:o}", "card_id", p->card->id, "name",
                      p->card->name, "stamps_required", (json_int_t)p->card->stamps_required,
                      "stamps", (json_int_t)p->stamps, "missing",
                      (json_int_t)(p->card->stamps_required > p->stamps
                                       ? p->card->stamps_required - p->stamps
                                       : 0),
                      "started_at", p->started_at_ms ? pt_json_time(p->started_at_ms) : json_null(),
                      "expires_at", p->expires_at_ms ? pt_json_time(p->expires_at_ms) : json_null(),
                      "completed", (json_int_t)p->completed, "reward", reward_json(p->card)));
    }
    pt_http_reply_json(ctx, 200, json_pack("{s:o}", "data", data));
}

json_t *pt_http_stamp_gains_json(const struct pt_stamp_gain *g, unsigned count, bool progress)
{
    json_t *list = json_array();
    unsigned i;
    for (i = 0; i < count; i++) {
        json_t *one = json_pack("{s:s,s:s,s:I}", "card_id", g[i].card_id, "name", g[i].name,
                                "stamps", (json_int_t)g[i].stamps);
        if (progress && one != NULL) {
            (void)json_object_set_new(one, "progress", json_integer(g[i].progress));
            (void)json_object_set_new(one, "completed", json_integer(g[i].completed));
        }
        (void)json_array_append_new(list, one);
    }
    return list;
}

json_t *pt_http_stamps_event_json(const struct pt_stamps_event *e)
{
    return json_pack("{s:s,s:s,s:o}", "member_id", e->member_id, "purchase_id", e->purchase_id,
                     "cards", pt_http_stamp_gains_json(e->cards, e->card_count, true));
}

json_t *pt_http_stamp_completion_json(const struct pt_stamp_completion *c)
{
    char printed[PT_COUPON_PRINTED_BYTES];
    json_t *root = json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:o}", "member_id", c->member_id, "card_id",
                             c->card_id, "name", c->name, "n", (json_int_t)c->n, "reward_points",
                             (json_int_t)c->reward_points, "entry_id",
                             pt_json_string_or_null(c->entry_id[0] ? c->entry_id : NULL),
                             "completed_at", pt_json_time(c->completed_at_ms));
    if (root != NULL && c->reward_id != NULL) {
        /* A reward of the catalog: the coupon it gave, or why none. */
        if (c->coupon_code[0] != '\0') {
            pt_coupon_code_print(c->coupon_code, 0, printed, sizeof(printed));
        }
        (void)json_object_set_new(root, "reward_id", json_string(c->reward_id));
        (void)json_object_set_new(root, "coupon_code",
                                  c->coupon_code[0] ? json_string(printed) : json_null());
        (void)json_object_set_new(root, "coupon_reason", pt_json_string_or_null(c->coupon_reason));
    }
    return root;
}
