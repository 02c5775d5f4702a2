/* SPDX-License-Identifier: MIT */
/*
 * Status tiers: the program setting `tiers` both ways (for h_program.c), GET
 * /v1/members/{id}/tier, POST /v1/jobs/tier-reviews, and the payload of tier events.
 */
#include "http/http_int.h"

#include "core/ledger.h"

#include <stdio.h>
#include <string.h>

static json_t *tier_json(const struct pt_tier *t)
{
    return json_pack("{s:s,s:I,s:{s:I,s:I},s:o}", "name", t->name, "threshold",
                     (json_int_t)t->threshold, "earn_multiplier", "numerator",
                     (json_int_t)t->multiplier_num, "denominator", (json_int_t)t->multiplier_den,
                     "perks", pt_json_names(t->perks, t->perk_count));
}

json_t *pt_http_tiers_json(const struct pt_tier_policy *p)
{
    json_t *levels;
    json_t *window;
    unsigned i;
    if (p->metric == PT_TIER_METRIC_NONE) {
        return json_null();
    }
    levels = json_array();
    for (i = 0; i < p->count; i++) {
        (void)json_array_append_new(levels, tier_json(&p->tiers[i]));
    }
    window = p->months == 0 ? json_string("calendar_year")
                            : json_pack("{s:I}", "rolling_months", (json_int_t)p->months);
    return json_pack("{s:s,s:o,s:b,s:o}", "metric", pt_tier_metric_name(p->metric), "window",
                     window, "retain", p->retain, "levels", levels);
}

/* One level of a tiers patch. */
static enum pt_rc level_parse(json_t *v, unsigned i, struct pt_arena *arena, struct pt_tier *t,
                              struct pt_err *err)
{
    static const char *const fields[] = {"name", "threshold", "earn_multiplier", "perks", NULL};
    static const char *const mult_fields[] = {"numerator", "denominator", NULL};
    char field[64];
    json_t *mult;
    json_t *perks;
    enum pt_rc rc;
    (void)snprintf(field, sizeof(field), "tiers.levels.%u", i);
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, field,
                          "%s must be an object like {\"name\": \"Silver\", \"threshold\": 1000}",
                          field);
    }
    memset(t, 0, sizeof(*t));
    t->multiplier_num = 1;
    t->multiplier_den = 1;
    rc = pt_json_check_fields(v, fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(v, "name", true, arena, &t->name, err);
        if (rc != PT_OK) {
            (void)snprintf(field, sizeof(field), "tiers.levels.%u.name", i);
            rc = pt_err_set(err, PT_EINVAL, field, "%s is required (a text)", field);
        }
    }
    if (rc == PT_OK) {
        (void)snprintf(field, sizeof(field), "tiers.levels.%u.threshold", i);
        rc = pt_json_get_int(v, "threshold", field, true, 0, PT_AMOUNT_MAX, &t->threshold, NULL,
                             err);
    }
    mult = json_object_get(v, "earn_multiplier");
    if (rc == PT_OK && mult != NULL) {
        (void)snprintf(field, sizeof(field), "tiers.levels.%u.earn_multiplier", i);
        if (!json_is_object(mult)) {
            return pt_err_set(err, PT_EINVAL, field,
                              "%s is an exact ratio {\"numerator\": 125, \"denominator\": 100}",
                              field);
        }
        rc = pt_json_check_fields(mult, mult_fields, err);
        if (rc == PT_OK) {
            rc = pt_json_get_int(mult, "numerator", field, true, 1, INT32_MAX, &t->multiplier_num,
                                 NULL, err);
        }
        if (rc == PT_OK) {
            rc = pt_json_get_int(mult, "denominator", field, true, 1, INT32_MAX, &t->multiplier_den,
                                 NULL, err);
        }
    }
    perks = json_object_get(v, "perks");
    if (rc == PT_OK && perks != NULL) {
        size_t k;
        (void)snprintf(field, sizeof(field), "tiers.levels.%u.perks", i);
        if (!json_is_array(perks)) {
            return pt_err_set(err, PT_EINVAL, field, "%s must be a list of texts", field);
        }
        for (k = 0; k < json_array_size(perks); k++) {
            json_t *one = json_array_get(perks, k);
            if (!json_is_string(one) || json_string_length(one) == 0 ||
                strchr(json_string_value(one), '\n') != NULL ||
                strlen(json_string_value(one)) != json_string_length(one)) {
                (void)snprintf(field, sizeof(field), "tiers.levels.%u.perks.%zu", i, k);
                return pt_err_set(err, PT_EINVAL, field, "%s must be a text of one line, not empty",
                                  field);
            }
        }
        rc = pt_json_names_copy(perks, arena, &t->perks, &t->perk_count, err);
    }
    return rc;
}

enum pt_rc pt_http_tiers_parse(json_t *v, struct pt_arena *arena, struct pt_tier_policy *p,
                               struct pt_err *err)
{
    static const char *const fields[] = {"metric", "window", "retain", "levels", NULL};
    const char *metric = NULL;
    json_t *window;
    json_t *retain;
    json_t *levels;
    size_t i;
    enum pt_rc rc;
    memset(p, 0, sizeof(*p));
    if (json_is_null(v)) {
        return PT_OK; /* No tiers. */
    }
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "tiers",
                          "tiers is null or {\"metric\": \"spend\", \"window\": "
                          "{\"rolling_months\": 12}, \"levels\": [...]}");
    }
    rc = pt_json_check_fields(v, fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(v, "metric", true, arena, &metric, err);
        if (rc != PT_OK) {
            rc = pt_err_set(err, PT_EINVAL, "tiers.metric",
                            "tiers.metric is required: qualifying_points, spend or purchases");
        }
    }
    if (rc == PT_OK) {
        rc = pt_tier_metric_parse(metric, "tiers.metric", &p->metric, err);
    }
    window = json_object_get(v, "window");
    if (rc == PT_OK) {
        if (json_is_string(window) && strcmp(json_string_value(window), "calendar_year") == 0) {
            p->months = 0;
        } else if (json_is_object(window) && json_object_size(window) == 1 &&
                   json_object_get(window, "rolling_months") != NULL) {
            rc = pt_json_get_int(window, "rolling_months", "tiers.window.rolling_months", true, 1,
                                 PT_TIER_MONTHS_MAX, &p->months, NULL, err);
        } else {
            rc = pt_err_set(err, PT_EINVAL, "tiers.window",
                            "tiers.window is \"calendar_year\" or {\"rolling_months\": 1 to %d}",
                            PT_TIER_MONTHS_MAX);
        }
    }
    retain = json_object_get(v, "retain");
    if (rc == PT_OK && retain != NULL) {
        if (!json_is_boolean(retain)) {
            return pt_err_set(err, PT_EINVAL, "tiers.retain", "tiers.retain is true or false");
        }
        p->retain = json_is_true(retain);
    }
    levels = json_object_get(v, "levels");
    if (rc == PT_OK && (!json_is_array(levels) || json_array_size(levels) < 1 ||
                        json_array_size(levels) > PT_TIERS_MAX)) {
        return pt_err_set(err, PT_EINVAL, "tiers.levels",
                          "tiers.levels is a list of 1 to %d tiers, the first with threshold 0",
                          PT_TIERS_MAX);
    }
    for (i = 0; rc == PT_OK && i < json_array_size(levels); i++) {
        rc = level_parse(json_array_get(levels, i), (unsigned)i, arena, &p->tiers[i], err);
        p->count++;
    }
    return rc;
}

/* "spend 120.00 USD more", "earn 300 more qualifying points", "make 2 more purchases". */
static void missing_text(const struct pt_program *program, int64_t missing, char *out,
                         size_t out_bytes)
{
    char money[32];
    switch (program->tiers.metric) {
    case PT_TIER_METRIC_SPEND:
        pt_money_format(missing, 2, money, sizeof(money));
        (void)snprintf(out, out_bytes, "spend %s %s more", money, program->currency);
        break;
    case PT_TIER_METRIC_QUALIFYING_POINTS:
        (void)snprintf(out, out_bytes, "earn %lld more qualifying points", (long long)missing);
        break;
    case PT_TIER_METRIC_PURCHASES:
        (void)snprintf(out, out_bytes, "make %lld more purchase%s", (long long)missing,
                       missing == 1 ? "" : "s");
        break;
    case PT_TIER_METRIC_NONE:
        out[0] = '\0';
        break;
    }
}

static json_t *change_json(const struct pt_tier_change *c)
{
    return json_pack("{s:s,s:s,s:s,s:I,s:o}", "from", c->from_name, "to", c->to_name, "reason",
                     c->reason, "value", (json_int_t)c->metric_value, "at", pt_json_time(c->at_ms));
}

json_t *pt_http_member_tier_json(const struct pt_member_tier *t)
{
    const struct pt_tier_policy *p = &t->program.tiers;
    const struct pt_tier *cur = &p->tiers[t->state.position];
    json_t *history = json_array();
    json_t *next = json_null();
    json_t *review = json_null();
    char text[200];
    char what[120];
    unsigned i;
    for (i = 0; i < t->history_count; i++) {
        (void)json_array_append_new(history, change_json(&t->history[i]));
    }
    if (t->has_next) {
        const struct pt_tier *n = &p->tiers[t->state.position + 1];
        missing_text(&t->program, t->next_missing, what, sizeof(what));
        (void)snprintf(text, sizeof(text), "%s by %s to reach %s", what, t->window_to, n->name);
        next = json_pack("{s:s,s:I,s:I,s:s,s:s}", "name", n->name, "threshold",
                         (json_int_t)n->threshold, "missing", (json_int_t)t->next_missing, "by",
                         t->window_to, "text", text);
    }
    if (t->has_review) {
        if (t->keep_missing > 0) {
            missing_text(&t->program, t->keep_missing, what, sizeof(what));
            (void)snprintf(text, sizeof(text), "%s by %s to keep %s at the review on %s", what,
                           t->keep_by, cur->name, t->review_date);
        } else {
            (void)snprintf(text, sizeof(text), "%s is kept at the review on %s", cur->name,
                           t->review_date);
        }
        review = json_pack("{s:s,s:I,s:I,s:s,s:b,s:s}", "date", t->review_date, "value",
                           (json_int_t)t->review_value, "missing", (json_int_t)t->keep_missing,
                           "by", t->keep_by, "grace", t->state.grace, "text", text);
    }
    return json_pack("{s:s,s:o,s:o,s:s,s:I,s:{s:s,s:s},s:o,s:o,s:o}", "member_id", t->member_id,
                     "tier", tier_json(cur), "since", pt_json_time(t->state.since_ms), "metric",
                     pt_tier_metric_name(p->metric), "value", (json_int_t)t->value, "window",
                     "from", t->window_from, "to", t->window_to, "next", next, "review", review,
                     "history", history);
}

void pt_h_member_tier_get(struct pt_http_ctx *ctx)
{
    struct pt_member_tier t;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_member_tier(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &t, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, pt_http_member_tier_json(&t));
}

void pt_h_tier_reviews_run(struct pt_http_ctx *ctx)
{
    struct pt_tier_review_result r;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_tier_reviews(ctx->svc, &ctx->who, &r, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200,
                       json_pack("{s:I,s:I,s:I,s:I,s:I}", "reviewed", (json_int_t)r.reviewed,
                                 "kept", (json_int_t)r.kept, "retained", (json_int_t)r.retained,
                                 "downgraded", (json_int_t)r.downgraded, "upgraded",
                                 (json_int_t)r.upgraded));
}

json_t *pt_http_tier_event_json(const struct pt_tier_event *e)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:o,s:o}", "member_id", e->member_id, "from",
                     e->from, "to", e->to, "reason", e->reason, "metric", e->metric, "value",
                     (json_int_t)e->value, "at", pt_json_time(e->at_ms), "review_date",
                     e->review_date[0] ? json_string(e->review_date) : json_null());
}
