/* SPDX-License-Identifier: MIT */
/*
 * Surveys (docs/crm.md, "Surveys"): POST/GET /v1/surveys, GET/PATCH /v1/surveys/{id},
 * POST /v1/surveys/{id}/responses (a key for a member, or a member's session for itself) and
 * GET /v1/surveys/{id}/results. The questions and answers go to core as JSON text, which reads
 * them with their field paths; the rest is read here.
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "service/service_surveys.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The questions as the API shows them: their canonical text, parsed back. */
static json_t *questions_json(const struct pt_survey *s, struct pt_arena *arena)
{
    const char *text = NULL;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_survey_questions_text(s, arena, &text, &err) != PT_OK) {
        return NULL;
    }
    return json_loads(text, 0, NULL);
}

static json_t *survey_json(const struct pt_survey *s, struct pt_arena *arena)
{
    return json_pack("{s:s,s:s,s:s,s:b,s:o*,s:I,s:o,s:o}", "id", s->id, "name", s->name, "status",
                     pt_survey_status_names[s->status], "allow_multiple_responses",
                     s->allow_multiple_responses, "questions", questions_json(s, arena),
                     "responses", (json_int_t)s->responses, "created_at",
                     pt_json_time(s->created_at_ms), "updated_at", pt_json_time(s->updated_at_ms));
}

/* The idempotency record's encoder of a survey (ctx: the request's arena). */
static enum pt_rc encode_survey(void *ctx, const void *result, struct pt_arena *arena,
                                const char **body, struct pt_err *err)
{
    (void)ctx;
    return pt_json_dump_arena(survey_json(result, arena), arena, body, err);
}

/* The status named by v (a string of pt_survey_status_names). */
static enum pt_rc status_get(json_t *v, enum pt_survey_status *out, struct pt_err *err)
{
    unsigned i;
    for (i = 0; json_is_string(v) && i < PT_SURVEY_STATUSES; i++) {
        if (strcmp(json_string_value(v), pt_survey_status_names[i]) == 0) {
            *out = (enum pt_survey_status)i;
            return PT_OK;
        }
    }
    return pt_err_set(err, PT_EINVAL, "status", "status must be draft, active or closed");
}

/* Applies a body's fields (a create's, or a PATCH's merge patch) onto s. */
static enum pt_rc survey_apply(json_t *body, struct pt_arena *arena, struct pt_survey *s,
                               bool *questions_set, struct pt_err *err)
{
    static const char *const fields[] = {"name", "status", "allow_multiple_responses", "questions",
                                         NULL};
    json_t *v;
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    *questions_set = false;
    if (rc == PT_OK && (v = json_object_get(body, "name")) != NULL && !json_is_null(v)) {
        if (!json_is_string(v)) {
            return pt_err_set(err, PT_EINVAL, "name", "name must be a string");
        }
        s->name = pt_arena_strndup(arena, json_string_value(v), json_string_length(v));
        if (s->name == NULL) {
            return pt_arena_err(arena, err);
        }
    }
    if (rc == PT_OK && (v = json_object_get(body, "status")) != NULL && !json_is_null(v)) {
        rc = status_get(v, &s->status, err);
    }
    if (rc == PT_OK && (v = json_object_get(body, "allow_multiple_responses")) != NULL) {
        if (!json_is_boolean(v) && !json_is_null(v)) {
            return pt_err_set(err, PT_EINVAL, "allow_multiple_responses",
                              "allow_multiple_responses must be true or false");
        }
        s->allow_multiple_responses = json_is_true(v);
    }
    if (rc == PT_OK && (v = json_object_get(body, "questions")) != NULL) {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text == NULL) {
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
        rc = pt_survey_questions_parse(text, arena, s, err);
        pt_free(text); /* jansson allocates through pt_malloc. */
        *questions_set = true;
    }
    return rc;
}

void pt_h_survey_create(struct pt_http_ctx *ctx)
{
    struct pt_survey s;
    struct pt_idem idem;
    struct pt_err err;
    bool questions_set = false;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    memset(&s, 0, sizeof(s));
    if (body == NULL) {
        return;
    }
    rc = survey_apply(body, &ctx->arena, &s, &questions_set, &err);
    json_decref(body);
    (void)questions_set; /* Absent questions are refused with the survey's other fields. */
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    if (!pt_http_idem_init(ctx, &idem, 201)) {
        return;
    }
    idem.encode = encode_survey;
    if (pt_service_survey_create(ctx->svc, &ctx->who, &s, &idem, &ctx->arena, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
    } else if (idem.replayed) {
        pt_http_reply_replay(ctx, &idem);
    } else {
        pt_http_reply_json(ctx, 201, survey_json(&s, &ctx->arena));
    }
}

void pt_h_survey_get(struct pt_http_ctx *ctx)
{
    struct pt_survey s;
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_service_survey_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &s, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, survey_json(&s, &ctx->arena));
}

/* A PATCH: the body's fields onto the stored survey; null is refused but for
 * allow_multiple_responses (cleared: false). */
static enum pt_rc patch_apply(void *pctx, struct pt_arena *arena, struct pt_survey *s,
                              bool *questions_set, struct pt_err *err)
{
    json_t *body = pctx;
    static const char *const required[] = {"name", "status", "questions", NULL};
    unsigned i;
    for (i = 0; required[i] != NULL; i++) {
        if (json_is_null(json_object_get(body, required[i]))) {
            return pt_err_set(err, PT_EINVAL, required[i], "%s cannot be cleared", required[i]);
        }
    }
    return survey_apply(body, arena, s, questions_set, err);
}

void pt_h_survey_patch(struct pt_http_ctx *ctx)
{
    struct pt_survey s;
    struct pt_err err;
    json_t *body = pt_http_body_object(ctx);
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_service_survey_update(ctx->svc, &ctx->who, ctx->params[0], patch_apply, body,
                                  &ctx->arena, &s, &err);
    json_decref(body);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_json(ctx, 200, survey_json(&s, &ctx->arena));
}

static json_t *survey_item_json(const void *item, const void *cls)
{
    /* cls: the request's arena (the questions' text is written into it). */
    return survey_json(item, (struct pt_arena *)(uintptr_t)cls);
}

void pt_h_survey_list(struct pt_http_ctx *ctx)
{
    static const char *const params[] = {"limit", "cursor", "status", NULL};
    static const struct pt_http_list list = {.params = params,
                                             .id_prefix = "svy",
                                             .item_bytes = sizeof(struct pt_survey),
                                             .key_offset = offsetof(struct pt_survey, id),
                                             .encode = survey_item_json};
    struct pt_http_page page;
    struct pt_survey *surveys = NULL;
    enum pt_survey_status status = PT_SURVEY_DRAFT;
    const char *status_q;
    unsigned count = 0;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    status_q = pt_http_query(ctx, "status");
    if (status_q != NULL) {
        json_t *v = json_string(status_q);
        enum pt_rc rc = status_get(v, &status, &err);
        json_decref(v);
        if (rc != PT_OK) {
            pt_http_reply_err(ctx, &err);
            return;
        }
    }
    if (pt_service_survey_list(ctx->svc, &ctx->who, status_q != NULL ? (int)status : -1,
                               page.cursor, page.limit + 1, &ctx->arena, &surveys, &count,
                               &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, surveys, count, &ctx->arena);
}

/* ---- Responses ---- */

static json_t *response_json(const struct pt_survey_response_result *r)
{
    const struct pt_survey_response *x = &r->response;
    json_t *answers = json_loads(x->answers, 0, NULL);
    return json_pack(
        "{s:s,s:s,s:s,s:o,s:I,s:s,s:o,s:o}", "id", x->id, "survey_id", x->survey_id, "member_id",
        x->member_id, "answers", answers != NULL ? answers : json_object(), "points_earned",
        (json_int_t)x->points_earned, "activity_id", x->activity_id, "balance",
        pt_http_balance_json(&r->activity.balance), "created_at", pt_json_time(x->created_at_ms));
}

static enum pt_rc encode_response(void *ctx, const void *result, struct pt_arena *arena,
                                  const char **body, struct pt_err *err)
{
    (void)ctx;
    return pt_json_dump_arena(response_json(result), arena, body, err);
}

void pt_h_survey_respond(struct pt_http_ctx *ctx)
{
    static const char *const fields[] = {"member_id", "answers", NULL};
    struct pt_survey_response_result result;
    struct pt_idem idem;
    struct pt_err err;
    const char *member_id = NULL;
    const char *answers = NULL;
    bool member = ctx->who.kind == PT_PRINCIPAL_MEMBER;
    json_t *body = pt_http_body_object(ctx);
    json_t *v;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (body == NULL) {
        return;
    }
    rc = pt_json_check_fields(body, fields, &err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "member_id", !member, &ctx->arena, &member_id, &err);
    }
    if (rc == PT_OK && member && member_id != NULL && strcmp(member_id, ctx->who.member_id) != 0) {
        /* A member answers for itself: another member is as absent as none. */
        rc = pt_err_set(&err, PT_ENOTFOUND, "member_id", "no member %s", member_id);
    }
    if (rc == PT_OK && member) {
        member_id = ctx->who.member_id;
    }
    v = json_object_get(body, "answers");
    if (rc == PT_OK && (v == NULL || !json_is_object(v) || !pt_json_depth_ok(v, 3))) {
        rc = pt_err_set(&err, PT_EINVAL, "answers",
                        "answers is required: an object of question ids and answers");
    }
    if (rc == PT_OK) {
        char *text = json_dumps(v, JSON_COMPACT);
        if (text == NULL) {
            rc = pt_err_set(&err, PT_ENOMEM, NULL, "out of memory");
        } else {
            answers = pt_arena_strndup(&ctx->arena, text, strlen(text));
            pt_free(text); /* jansson allocates through pt_malloc. */
            rc = answers != NULL ? PT_OK : pt_arena_err(&ctx->arena, &err);
        }
    }
    json_decref(body);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    if (!pt_http_idem_init(ctx, &idem, 201)) {
        return;
    }
    idem.encode = encode_response;
    rc = pt_service_survey_respond(ctx->svc, &ctx->who, ctx->params[0], member_id, answers, &idem,
                                   &ctx->arena, &result, &err);
    /* Its activity rules' cost counts as an activity's. */
    pt_http_ratelimit_charge(ctx, result.activity.rules.eval_cost);
    if (rc != PT_OK) {
        pt_http_reply_err(ctx, &err);
    } else if (idem.replayed) {
        pt_http_reply_replay(ctx, &idem);
    } else if (idem.body != NULL) {
        pt_http_reply_text_json(ctx, 201, idem.body);
    } else {
        pt_http_reply_json(ctx, 201, response_json(&result));
    }
}

/* ---- Results ---- */

/* Counts by score: {"0": n, ..., "10": n} (nps) or {"1": n, ..., "5": n} (csat). */
static json_t *distribution_json(const int64_t *counts, int first, int last)
{
    json_t *out = json_object();
    char key[4];
    int i;
    for (i = first; i <= last; i++) {
        (void)snprintf(key, sizeof(key), "%d", i);
        (void)json_object_set_new(out, key, json_integer(counts[i - first]));
    }
    return out;
}

static json_t *question_result_json(const struct pt_survey_question_result *qr, bool texts)
{
    const struct pt_survey_question *q = qr->question;
    json_t *one = json_pack("{s:s,s:s,s:s,s:I}", "id", q->id, "kind", pt_survey_kind_names[q->kind],
                            "text", q->text, "answers", (json_int_t)qr->answers);
    json_t *list;
    unsigned k;
    if (one == NULL) {
        return NULL;
    }
    switch (q->kind) {
    case PT_SURVEY_NPS:
        (void)json_object_set_new(one, "promoters", json_integer(qr->nps.promoters));
        (void)json_object_set_new(one, "passives", json_integer(qr->nps.passives));
        (void)json_object_set_new(one, "detractors", json_integer(qr->nps.detractors));
        (void)json_object_set_new(one, "nps_bp",
                                  qr->nps.has_score ? json_integer(qr->nps.nps_bp) : json_null());
        (void)json_object_set_new(one, "distribution", distribution_json(qr->counts, 0, 10));
        break;
    case PT_SURVEY_CSAT:
        (void)json_object_set_new(one, "satisfied", json_integer(qr->csat.satisfied));
        (void)json_object_set_new(
            one, "csat_bp", qr->csat.has_score ? json_integer(qr->csat.csat_bp) : json_null());
        (void)json_object_set_new(one, "mean_hundredths",
                                  qr->csat.has_score ? json_integer(qr->csat.mean_hundredths)
                                                     : json_null());
        (void)json_object_set_new(one, "distribution", distribution_json(qr->counts, 1, 5));
        break;
    case PT_SURVEY_CHOICE:
        list = json_array();
        for (k = 0; k < q->option_count; k++) {
            (void)json_array_append_new(list, json_pack("{s:s,s:I}", "option", q->options[k],
                                                        "count", (json_int_t)qr->counts[k]));
        }
        (void)json_object_set_new(one, "multiple", json_boolean(q->multiple));
        (void)json_object_set_new(one, "options", list);
        break;
    case PT_SURVEY_TEXT:
        if (texts) {
            (void)json_object_set_new(
                one, "latest", pt_json_names((const char *const *)qr->texts, qr->text_count));
        }
        break;
    }
    return one;
}

void pt_h_survey_results(struct pt_http_ctx *ctx)
{
    struct pt_survey_results r;
    struct pt_err err;
    /* Text answers are the members' own words: admins read the latest, viewers the counts. */
    bool texts = ctx->who.role == PT_ROLE_ADMIN;
    json_t *questions;
    unsigned i;
    pt_err_clear(&err);
    if (pt_service_survey_results(ctx->svc, &ctx->who, ctx->params[0], texts, &ctx->arena, &r,
                                  &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    questions = json_array();
    for (i = 0; i < r.survey.question_count; i++) {
        (void)json_array_append_new(questions, question_result_json(&r.questions[i], texts));
    }
    pt_http_reply_json(ctx, 200,
                       json_pack("{s:s,s:s,s:s,s:I,s:o}", "survey_id", r.survey.id, "name",
                                 r.survey.name, "status", pt_survey_status_names[r.survey.status],
                                 "responses", (json_int_t)r.survey.responses, "questions",
                                 questions));
}
