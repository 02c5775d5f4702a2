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
#include "base/names.h"

#include <stdio.h>
#include <string.h>

static json_t *json_or_null(const char *text)
{
    json_t *v = text != NULL ? json_loads(text, 0, NULL) : NULL;
    return v != NULL ? v : json_null();
}

static json_t *reward_json(const struct pt_stamp_card *c)
{
    return json_pack("{s:I,s:o}", "points", (json_int_t)c->reward_points, "reward_id",
                     pt_json_string_or_null(c->reward_id));
}

static json_t *card_json(const struct pt_stamp_card *c)
{
    return json_pack("{s:s,s:s,s:s,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "id", c->id, "name", c->name,
                     "status", pt_stamp_card_status_names[c->status], "stamps_required",
                     (json_int_t)c->stamps_required, "stamps_per",
                     c->per_item ? "item" : "purchase", "conditions", json_or_null(c->conditions),
                     "items", json_or_null(c->items), "reward", reward_json(c), "valid_days",
                     c->valid_days > 0 ? json_integer(c->valid_days) : json_null(), "created_at",
                     pt_json_time(c->created_at_ms), "updated_at", pt_json_time(c->updated_at_ms));
}

static enum pt_rc encode_card(void *ctx, const void *result, struct pt_arena *arena,
                              const char **body, struct pt_err *err)
{
    (void)ctx;
    return pt_json_dump_arena(card_json(result), arena, body, err);
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
static enum pt_rc card_document(struct pt_stamp_card *c, struct pt_arena *arena, struct pt_err *err)
{
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

/* Applies the fields of body onto c (absent fields keep their values). */
static enum pt_rc card_patch(json_t *body, struct pt_arena *arena, struct pt_stamp_card *c,
                             struct pt_err *err)
{
    static const char *const fields[] = {"name",       "stamps_required", "stamps_per",
                                         "conditions", "items",           "reward",
                                         "valid_days", "status",          NULL};
    static const char *const reward_fields[] = {"points", "reward_id", NULL};
    json_t *v;
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    if (rc == PT_OK && json_object_get(body, "name") != NULL) {
        rc = pt_json_get_string(body, "name", true, arena, &c->name, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(body, "stamps_required", "stamps_required", false, 1,
                             PT_STAMPS_REQUIRED_MAX, &c->stamps_required, NULL, err);
    }
    v = json_object_get(body, "stamps_per");
    if (rc == PT_OK && v != NULL) {
        if (!json_is_string(v) || (strcmp(json_string_value(v), "purchase") != 0 &&
                                   strcmp(json_string_value(v), "item") != 0)) {
            return pt_err_set(err, PT_EINVAL, "stamps_per", "stamps_per is purchase or item");
        }
        c->per_item = strcmp(json_string_value(v), "item") == 0;
    }
    if (rc == PT_OK && json_object_get(body, "conditions") != NULL) {
        rc = json_text(json_object_get(body, "conditions"), arena, &c->conditions, err);
    }
    if (rc == PT_OK && json_object_get(body, "items") != NULL) {
        rc = json_text(json_object_get(body, "items"), arena, &c->items, err);
    }
    v = json_object_get(body, "reward");
    if (rc == PT_OK && v != NULL) {
        if (!json_is_object(v)) {
            return pt_err_set(err, PT_EINVAL, "reward",
                              "reward is {\"points\": N} (or a reward of the catalog)");
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
    }
    v = json_object_get(body, "valid_days");
    if (rc == PT_OK && v != NULL) {
        c->valid_days = 0;
        if (!json_is_null(v)) {
            rc = pt_json_get_int(body, "valid_days", "valid_days", false, 1,
                                 PT_STAMP_CARD_VALID_DAYS_MAX, &c->valid_days, NULL, err);
        }
    }
    v = json_object_get(body, "status");
    if (rc == PT_OK && v != NULL) {
        int i = pt_name_index(pt_stamp_card_status_names, PT_STAMP_CARD_STATUSES,
                              json_is_string(v) ? json_string_value(v) : NULL);
        if (i < 0) {
            return pt_err_set(err, PT_EINVAL, "status", "status is active, paused or archived");
        }
        c->status = (enum pt_stamp_card_status)i;
    }
    if (rc == PT_OK && c->name == NULL) {
        rc = pt_err_set(err, PT_EINVAL, "name", "name is required (a text)");
    }
    return rc == PT_OK ? card_document(c, arena, err) : rc;
}

void pt_h_stamp_card_create(struct pt_http_ctx *ctx)
{
    struct pt_stamp_card card;
    struct pt_idem idem;
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    memset(&card, 0, sizeof(card));
    card.status = PT_STAMP_CARD_ACTIVE;
    rc = card_patch(body, &ctx->arena, &card, &err);
    if (rc == PT_OK && json_object_get(body, "stamps_required") == NULL) {
        rc = pt_err_set(&err, PT_EINVAL, "stamps_required", "stamps_required is required");
    }
    if (rc == PT_OK && json_object_get(body, "reward") == NULL) {
        rc = pt_err_set(&err, PT_EINVAL, "reward", "reward is required: {\"points\": N}");
    }
    json_decref(body);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    if (!pt_http_idem_init(ctx, &idem, 201)) {
        return;
    }
    idem.encode = encode_card;
    rc = pt_service_stamp_card_create(ctx->svc, &ctx->who, &card, &idem, &ctx->arena, &err);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
    } else if (idem.replayed) {
        pt_http_reply_replay(ctx, &idem);
    } else {
        pt_http_reply_json(ctx, 201, card_json(&card));
    }
}

void pt_h_stamp_card_get(struct pt_http_ctx *ctx)
{
    struct pt_stamp_card card;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_stamp_card_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &card, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, card_json(&card));
}

/* Applies the request's body onto the stored card, inside the service's write. */
static enum pt_rc apply_card_patch(void *ctx, struct pt_arena *arena, struct pt_stamp_card *card,
                                   struct pt_err *err)
{
    return card_patch(ctx, arena, card, err);
}

void pt_h_stamp_card_patch(struct pt_http_ctx *ctx)
{
    struct pt_stamp_card card;
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_service_stamp_card_update(ctx->svc, &ctx->who, ctx->params[0], apply_card_patch, body,
                                      &ctx->arena, &card, &err);
    json_decref(body);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, card_json(&card));
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
    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:o}", "member_id", c->member_id, "card_id",
                     c->card_id, "name", c->name, "n", (json_int_t)c->n, "reward_points",
                     (json_int_t)c->reward_points, "entry_id", c->entry_id, "completed_at",
                     pt_json_time(c->completed_at_ms));
}
