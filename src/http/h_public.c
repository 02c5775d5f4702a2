/* SPDX-License-Identifier: MIT */
/*
 * The program's public face: GET /v1/public/program (no key; issue 19). It answers what the
 * member portal's "how it works" and "offers" pages and a web shop's script show: the program's
 * name, currency, time zone, how members join, how points are earned and what they are worth,
 * its tiers with their benefits, active stamp cards with their reward, the rewards on offer and
 * the active rules marked public. Nothing about a member, a key or a count is in it. Called
 * with a web shop's publishable key, it answers the key's program: program_id may then only
 * name it (another key changes nothing, as no key: the program named).
 */
#include "http/http_int.h"

#include "base/assert.h"

#include <stdint.h>
#include <string.h>

/* A tier as members read it: the tiers have no id of their own (members' tiers are named), so
 * the name is the id. new */
static json_t *public_tier_json(const struct pt_tier_policy *p, const struct pt_tier *t)
{
    return json_pack("{s:s,s:s,s:s,s:I,s:{s:I,s:I},s:o}", "id", t->name, "name", t->name, "metric",
                     pt_tier_metric_name(p->metric), "threshold", (json_int_t)t->threshold,
                     "earn_multiplier", "numerator", (json_int_t)t->multiplier_num, "denominator",
                     (json_int_t)t->multiplier_den, "benefits",
                     pt_json_names(t->perks, t->perk_count));
}

static json_t *public_tiers_json(const struct pt_tier_policy *p)
{
    json_t *list = json_array();
    unsigned i;
    for (i = 0; p->metric != PT_TIER_METRIC_NONE && i < p->count; i++) {
        (void)json_array_append_new(list, public_tier_json(p, &p->tiers[i]));
    }
    return list;
}

/* A stamp card: how many stamps, for what, and what completing it gives. new */
static json_t *public_card_json(const struct pt_public_card *pc)
{
    const struct pt_stamp_card *c = &pc->card;
    json_t *reward = json_pack("{s:o,s:o,s:o,s:o}", "points",
                               c->reward_id != NULL ? json_null() : json_integer(c->reward_points),
                               "reward_id", pt_json_string_or_null(c->reward_id), "name",
                               pt_json_string_or_null(pc->reward_name), "description",
                               pt_json_string_or_null(pc->reward_description));
    return json_pack("{s:s,s:s,s:I,s:s,s:I,s:o}", "id", c->id, "name", c->name, "stamps_required",
                     (json_int_t)c->stamps_required, "stamps_per",
                     c->per_item ? "item" : "purchase", "valid_days", (json_int_t)c->valid_days,
                     "reward", reward);
}

/* A reward on offer: what the catalog says of it to members (not its stock or counts). new */
static json_t *public_reward_json(const struct pt_reward *r)
{
    static const char *const shown[] = {
        "name",     "description", "terms",       "image_url",  "type",
        "value",    "sku",         "cost_points", "tiers",      "valid_from",
        "valid_to", "min_amount",  "skus",        "categories", "coupon_valid_days",
        NULL};
    return pt_http_fields_encode_in(pt_reward_fields, PT_REWARD_FIELD_COUNT, shown, r,
                                    json_pack("{s:s}", "id", r->id), NULL, NULL);
}

static json_t *public_offer_json(const struct pt_public_offer *o)
{
    return json_pack("{s:s,s:s,s:o,s:o,s:o}", "id", o->id, "name", o->name, "description",
                     pt_json_string_or_null(o->description), "valid_from",
                     pt_json_time_or_null(o->valid_from_ms, INT64_MIN), "valid_to",
                     pt_json_time_or_null(o->valid_to_ms, INT64_MAX));
}

/* How points are earned and what they are worth. */
static void public_earning_json(json_t *root, const struct pt_program *p)
{
    (void)json_object_set_new(root, "earn_rate",
                              json_pack("{s:I,s:I}", "points", (json_int_t)p->earn_points,
                                        "per_amount", (json_int_t)p->earn_per_amount));
    if (p->point_cost_amount > 0 && p->point_cost_points > 0) {
        (void)json_object_set_new(root, "point_value",
                                  json_pack("{s:I,s:I}", "amount", (json_int_t)p->point_cost_amount,
                                            "points", (json_int_t)p->point_cost_points));
    }
    (void)json_object_set_new(root, "excluded_categories",
                              pt_json_names(p->excluded_categories, p->excluded_category_count));
    (void)json_object_set_new(
        root, "expiry",
        p->expiry_months > 0
            ? json_pack("{s:s,s:I}", "policy", "rolling", "months", (json_int_t)p->expiry_months)
            : json_pack("{s:s}", "policy", "none"));
}

static json_t *public_program_json(const struct pt_public_program *pp)
{
    const struct pt_program *p = &pp->program;
    json_t *cards = json_array();
    json_t *rewards = json_array();
    json_t *offers = json_array();
    json_t *root;
    unsigned i;
    for (i = 0; i < pp->card_count; i++) {
        (void)json_array_append_new(cards, public_card_json(&pp->cards[i]));
    }
    for (i = 0; i < pp->reward_count; i++) {
        (void)json_array_append_new(rewards, public_reward_json(&pp->rewards[i]));
    }
    for (i = 0; i < pp->offer_count; i++) {
        (void)json_array_append_new(offers, public_offer_json(&pp->offers[i]));
    }
    root = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", p->id, "name", p->name, "currency", p->currency,
                     "time_zone", p->time_zone != NULL ? p->time_zone : "UTC", "enrollment",
                     pp->enrollment);
    if (root == NULL) {
        json_decref(cards);
        json_decref(rewards);
        json_decref(offers);
        return NULL;
    }
    public_earning_json(root, p);
    (void)json_object_set_new(root, "tiers", public_tiers_json(&p->tiers));
    (void)json_object_set_new(root, "stamp_cards", cards);
    (void)json_object_set_new(root, "rewards", rewards);
    (void)json_object_set_new(root, "offers", offers);
    return root;
}

void pt_h_public_program(struct pt_http_ctx *ctx)
{
    static const char *const params[] = {"program_id", NULL};
    struct pt_public_program pp;
    struct pt_err err;
    const char *program_id;
    pt_err_clear(&err);
    if (!pt_http_query_check(ctx, params)) {
        return; /* Answered 400 naming the parameter. */
    }
    program_id = pt_http_query(ctx, "program_id");
    if (program_id != NULL && program_id[0] == '\0') {
        program_id = NULL; /* "?program_id=" is the default program, as no parameter is. */
    }
    if (ctx->has_who && ctx->who.role == PT_ROLE_PUBLISHABLE) {
        if (program_id != NULL && strcmp(program_id, ctx->who.program_id) != 0) {
            pt_http_reply_error(ctx, 404, "not_found", NULL, "no such program");
            return;
        }
        program_id = ctx->who.program_id;
    }
    if (pt_service_public_program(ctx->svc, program_id, &ctx->arena, &pp, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, public_program_json(&pp));
}
