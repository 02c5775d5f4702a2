/* SPDX-License-Identifier: MIT */
/*
 * Surveys (docs/crm.md, "Surveys"): created, changed and read; a member's response checked
 * against its survey by core and recorded with its answers, together with the program's
 * survey_completed activity, whose rules award points in the same write (one write: the
 * response and its points land or fail together); and the results counted by the store and
 * figured by core.
 */
#include "service/service_int.h"
#include "service/service_surveys.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The refusal of a survey's state, 409 with its code. */
static enum pt_rc refuse(struct pt_err *err, const char *field, const char *code,
                         const char *message)
{
    (void)pt_err_set(err, PT_ECONFLICT, field, "%s", message);
    return pt_err_code(err, code);
}

struct survey_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    struct pt_survey *survey;
    const char *questions;
};

static enum pt_rc survey_create_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct survey_ctx *ctx = (struct survey_ctx *)w;
    w->result = ctx->survey;
    w->ref_id = ctx->survey->id;
    return pt_store_survey_insert(w->txn, w->who->program_id, ctx->survey, ctx->questions, err);
}

static const struct pt_write_case survey_create_case = {
    .name = "survey_create",
    .body = survey_create_body,
};

enum pt_rc pt_service_survey_create(struct pt_service *svc, const struct pt_principal *who,
                                    struct pt_survey *s, struct pt_idem *idem,
                                    struct pt_arena *arena, struct pt_err *err)
{
    struct survey_ctx ctx = {.survey = s};
    enum pt_rc rc;
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    rc = pt_survey_validate(s, err);
    if (rc == PT_OK && s->status == PT_SURVEY_CLOSED) {
        rc = pt_err_set(err, PT_EINVAL, "status", "a new survey is draft or active");
    }
    if (rc == PT_OK) {
        rc = pt_survey_questions_text(s, arena, &ctx.questions, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_new_id("svy", ctx.w.now_ms, s->id);
    s->responses = 0;
    s->created_at_ms = ctx.w.now_ms;
    s->updated_at_ms = ctx.w.now_ms;
    return pt_svc_write(&ctx.w, &survey_create_case, err);
}

struct survey_update_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *survey_id;
    pt_survey_patch_fn patch;
    void *patch_ctx;
    struct pt_survey *out;
};

static enum pt_rc survey_update_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct survey_update_ctx *ctx = (struct survey_update_ctx *)w;
    struct pt_survey *s = ctx->out;
    const char *before = NULL;
    const char *after = NULL;
    enum pt_survey_status status;
    bool multiple;
    bool questions_set = false;
    enum pt_rc rc =
        pt_store_survey_get(w->txn, w->who->program_id, ctx->survey_id, w->arena, s, &before, err);
    if (rc != PT_OK) {
        return rc;
    }
    status = s->status;
    multiple = s->allow_multiple_responses;
    rc = ctx->patch(ctx->patch_ctx, w->arena, s, &questions_set, err);
    if (rc == PT_OK) {
        rc = pt_survey_validate(s, err);
    }
    if (rc == PT_OK) {
        rc = pt_survey_questions_text(s, w->arena, &after, err);
    }
    if (rc == PT_OK && !pt_survey_status_move_ok(status, s->status)) {
        (void)pt_err_set(err, PT_ECONFLICT, "status",
                         "a survey's status moves draft -> active -> closed (or draft -> closed): "
                         "%s -> %s is not a move",
                         pt_survey_status_names[status], pt_survey_status_names[s->status]);
        rc = pt_err_code(err, "invalid_status_move");
    }
    if (rc == PT_OK && s->responses > 0 && questions_set && strcmp(before, after) != 0) {
        rc = refuse(err, "questions", "survey_has_responses",
                    "a survey's questions cannot change once it has responses");
    }
    if (rc == PT_OK && s->responses > 0 && multiple != s->allow_multiple_responses) {
        rc = refuse(err, "allow_multiple_responses", "survey_has_responses",
                    "allow_multiple_responses cannot change once the survey has responses");
    }
    s->updated_at_ms = w->now_ms;
    return rc == PT_OK ? pt_store_survey_update(w->txn, w->who->program_id, s, after, err) : rc;
}

static const struct pt_write_case survey_update_case = {
    .name = "survey_update",
    .body = survey_update_body,
};

enum pt_rc pt_service_survey_update(struct pt_service *svc, const struct pt_principal *who,
                                    const char *survey_id, pt_survey_patch_fn patch,
                                    void *patch_ctx, struct pt_arena *arena, struct pt_survey *out,
                                    struct pt_err *err)
{
    struct survey_update_ctx ctx = {
        .survey_id = survey_id, .patch = patch, .patch_ctx = patch_ctx, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, NULL, arena);
    memset(out, 0, sizeof(*out));
    return pt_svc_write(&ctx.w, &survey_update_case, err);
}

/* A survey not active is absent to a member's session. */
static enum pt_rc member_sees(const struct pt_principal *who, const struct pt_survey *s,
                              struct pt_err *err)
{
    if (who->kind == PT_PRINCIPAL_MEMBER && s->status != PT_SURVEY_ACTIVE) {
        return pt_err_set(err, PT_ENOTFOUND, NULL, "no survey %s", s->id);
    }
    return PT_OK;
}

enum pt_rc pt_service_survey_get(struct pt_service *svc, const struct pt_principal *who,
                                 const char *survey_id, struct pt_arena *arena,
                                 struct pt_survey *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_store_survey_get(txn, who->program_id, survey_id, arena, out, NULL, err);
    }
    if (rc == PT_OK) {
        rc = member_sees(who, out, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

enum pt_rc pt_service_survey_list(struct pt_service *svc, const struct pt_principal *who,
                                  int status, const char *cursor_id, unsigned limit,
                                  struct pt_arena *arena, struct pt_survey **out, unsigned *count,
                                  struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    *count = 0;
    if (who->kind == PT_PRINCIPAL_MEMBER) {
        status = status < 0 || status == PT_SURVEY_ACTIVE ? PT_SURVEY_ACTIVE : -2;
    }
    if (rc == PT_OK && status == -2) {
        *out = NULL; /* A member asked for surveys it cannot see: none. */
    } else if (rc == PT_OK) {
        rc = pt_store_survey_list(txn, who->program_id, status, cursor_id, limit, arena, out, count,
                                  err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}

struct respond_ctx {
    struct pt_svc_write w; /* First: the body's w is the context. */
    const char *survey_id;
    const char *answers;
    struct pt_survey_response_result *out;
};

static enum pt_rc respond_body(struct pt_svc_write *w, struct pt_err *err)
{
    struct respond_ctx *ctx = (struct respond_ctx *)w;
    struct pt_survey_response *r = &ctx->out->response;
    struct pt_activity_request act;
    struct pt_survey_answers answers;
    struct pt_survey s;
    char props[PT_ID_BUF_BYTES + 48];
    bool answered = false;
    enum pt_rc rc =
        pt_store_survey_get(w->txn, w->who->program_id, ctx->survey_id, w->arena, &s, NULL, err);
    if (rc == PT_OK) {
        rc = member_sees(w->who, &s, err);
    }
    if (rc == PT_ENOTFOUND) {
        return pt_err_set(err, PT_ENOTFOUND, NULL, "no survey %s", ctx->survey_id);
    }
    if (rc == PT_OK && s.status != PT_SURVEY_ACTIVE) {
        rc = refuse(err, NULL, "survey_not_active",
                    s.status == PT_SURVEY_DRAFT ? "the survey is a draft, not active yet"
                                                : "the survey is closed");
    }
    if (rc == PT_OK) {
        rc = pt_survey_answers_parse(&s, ctx->answers, w->arena, &answers, err);
    }
    if (rc == PT_OK && !s.allow_multiple_responses) {
        rc = pt_store_survey_answered(w->txn, w->who->program_id, s.id, w->member.id, &answered,
                                      err);
        if (rc == PT_OK && answered) {
            rc = refuse(err, NULL, "already_answered",
                        "the member has answered this survey, which takes one response a member");
        }
    }
    if (rc != PT_OK) {
        return rc;
    }
    memset(r, 0, sizeof(*r));
    pt_svc_new_id("rsp", w->now_ms, r->id);
    memcpy(r->survey_id, s.id, sizeof(r->survey_id));
    memcpy(r->member_id, w->member.id, sizeof(r->member_id));
    r->created_at_ms = w->now_ms;
    rc = pt_survey_answers_text(&s, &answers, w->arena, &r->answers, err);
    /* The survey_completed activity, as POST /v1/activities records one: its rules award. */
    if (answers.nps >= 0) {
        (void)snprintf(props, sizeof(props), "{\"nps\":%d,\"survey_id\":\"%s\"}", answers.nps,
                       s.id);
    } else {
        (void)snprintf(props, sizeof(props), "{\"survey_id\":\"%s\"}", s.id);
    }
    act.member_id = w->member.id;
    act.type = "survey_completed";
    act.external_id = r->id;
    act.occurred_at_ms = w->now_ms;
    act.properties = pt_arena_strndup(w->arena, props, strlen(props));
    if (rc == PT_OK && act.properties == NULL) {
        rc = pt_arena_err(w->arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_activity_record(w, &act, &ctx->out->activity, err);
    }
    if (rc == PT_OK) {
        r->points_earned = ctx->out->activity.activity.points_earned;
        memcpy(r->activity_id, ctx->out->activity.activity.id, sizeof(r->activity_id));
        rc = pt_store_survey_response_insert(w->txn, w->who->program_id, &s, r,
                                             !s.allow_multiple_responses, &answers, err);
    }
    if (rc == PT_OK) {
        /* The activity's own event, as POST /v1/activities appends it. */
        rc = pt_svc_event_ref(w->svc, w->txn, w->who->program_id, "activity.recorded", w->member.id,
                              NULL, w->svc->enc.activity, &ctx->out->activity, w->now_ms, w->arena,
                              NULL, err);
    }
    w->result = ctx->out;
    w->ref_id = r->id;
    return rc;
}

static const struct pt_write_case respond_case = {
    .name = "survey_respond",
    .lock_member = true,
    .member = PT_WRITE_MEMBER_ACTIVE,
    .body = respond_body,
};

enum pt_rc pt_service_survey_respond(struct pt_service *svc, const struct pt_principal *who,
                                     const char *survey_id, const char *member_id,
                                     const char *answers, struct pt_idem *idem,
                                     struct pt_arena *arena, struct pt_survey_response_result *out,
                                     struct pt_err *err)
{
    struct respond_ctx ctx = {.survey_id = survey_id, .answers = answers, .out = out};
    pt_svc_write_init(&ctx.w, svc, who, idem, arena);
    memset(out, 0, sizeof(*out));
    ctx.w.member_id = member_id;
    return pt_svc_write(&ctx.w, &respond_case, err);
}

/* Places a tally row into its question's result. */
static void tally_place(struct pt_survey_results *out, const struct pt_survey_tally *t)
{
    unsigned i;
    for (i = 0; i < out->survey.question_count; i++) {
        struct pt_survey_question_result *qr = &out->questions[i];
        const struct pt_survey_question *q = qr->question;
        int64_t at = q->kind == PT_SURVEY_CSAT ? t->value - 1 : t->value;
        if (strcmp(q->id, t->question_id) != 0) {
            continue;
        }
        if (t->value < 0) {
            qr->answers = t->count;
        } else if (q->kind != PT_SURVEY_TEXT && at >= 0 && at < PT_SURVEY_OPTIONS_MAX) {
            qr->counts[at] += t->count;
        }
        return;
    }
}

enum pt_rc pt_service_survey_results(struct pt_service *svc, const struct pt_principal *who,
                                     const char *survey_id, bool with_texts, struct pt_arena *arena,
                                     struct pt_survey_results *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_survey_tally *tallies = NULL;
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    memset(out, 0, sizeof(*out));
    if (rc == PT_OK) {
        rc = pt_store_survey_get(txn, who->program_id, survey_id, arena, &out->survey, NULL, err);
    }
    if (rc == PT_OK) {
        out->questions =
            pt_arena_alloc(arena, out->survey.question_count * sizeof(*out->questions));
        rc = out->questions != NULL ? PT_OK : pt_arena_err(arena, err);
    }
    for (i = 0; rc == PT_OK && i < out->survey.question_count; i++) {
        memset(&out->questions[i], 0, sizeof(out->questions[i]));
        out->questions[i].question = &out->survey.questions[i];
    }
    if (rc == PT_OK) {
        rc = pt_store_survey_tallies(txn, who->program_id, survey_id, arena, &tallies, &count, err);
    }
    for (i = 0; rc == PT_OK && i < count; i++) {
        tally_place(out, &tallies[i]);
    }
    for (i = 0; rc == PT_OK && i < out->survey.question_count; i++) {
        struct pt_survey_question_result *qr = &out->questions[i];
        switch (qr->question->kind) {
        case PT_SURVEY_NPS:
            pt_survey_nps(qr->counts, &qr->nps);
            break;
        case PT_SURVEY_CSAT:
            pt_survey_csat(qr->counts, &qr->csat);
            break;
        case PT_SURVEY_CHOICE:
            break;
        case PT_SURVEY_TEXT:
            if (with_texts) {
                rc = pt_store_survey_texts(txn, who->program_id, survey_id, qr->question->id,
                                           PT_SURVEY_RESULTS_TEXTS_MAX, arena, &qr->texts,
                                           &qr->text_count, err);
            }
            break;
        }
    }
    return pt_svc_read_end(txn, arena, rc, err);
}
