/* SPDX-License-Identifier: MIT */
/*
 * The use cases of surveys (surveys.c; docs/crm.md, "Surveys"): surveys created, changed and
 * read, a member's response (which records the program's survey_completed activity, so that
 * its rules award points, in the same write), and the results.
 */
#ifndef PT_SERVICE_SERVICE_SURVEYS_H
#define PT_SERVICE_SERVICE_SURVEYS_H

#include "service/service.h"

/* Creates a survey from s (name, status draft or active, allow_multiple_responses, questions
 * read by core); id and times are set here. PT_EINVAL names the bad field. */
PT_MUSTCHECK enum pt_rc pt_service_survey_create(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 struct pt_survey *s, struct pt_idem *idem,
                                                 struct pt_arena *arena, struct pt_err *err);

/* Changes the stored survey s (a request's merge patch), inside the write. OUT: *questions_set,
 * whether the patch gave questions. */
typedef enum pt_rc (*pt_survey_patch_fn)(void *ctx, struct pt_arena *arena, struct pt_survey *s,
                                         bool *questions_set, struct pt_err *err);
/* Reads the survey, applies patch and writes it, in one write. 409 invalid_status_move (the
 * status moves draft -> active -> closed, draft -> closed); 409 survey_has_responses for new
 * questions or a new allow_multiple_responses once it has responses. OUT: *out. */
PT_MUSTCHECK enum pt_rc pt_service_survey_update(struct pt_service *svc,
                                                 const struct pt_principal *who,
                                                 const char *survey_id, pt_survey_patch_fn patch,
                                                 void *patch_ctx, struct pt_arena *arena,
                                                 struct pt_survey *out, struct pt_err *err);
/* The survey; a member's session sees active surveys only (others 404). */
PT_MUSTCHECK enum pt_rc pt_service_survey_get(struct pt_service *svc,
                                              const struct pt_principal *who, const char *survey_id,
                                              struct pt_arena *arena, struct pt_survey *out,
                                              struct pt_err *err);
/* Surveys newest first below cursor_id, of status (-1: any; a member's session: active only),
 * at most limit. */
PT_MUSTCHECK enum pt_rc pt_service_survey_list(struct pt_service *svc,
                                               const struct pt_principal *who, int status,
                                               const char *cursor_id, unsigned limit,
                                               struct pt_arena *arena, struct pt_survey **out,
                                               unsigned *count, struct pt_err *err);

struct pt_survey_response_result {
    struct pt_survey_response response;
    struct pt_activity_result activity; /* The survey_completed activity and its rules. */
};

/* Records member_id's response to survey_id with answers (JSON text of the request's object):
 * 404 for an unknown survey or member (a member's session: a survey not active too); 409
 * survey_not_active, already_answered (once a member unless the survey allows more),
 * member_inactive; 400 for answers (core). The survey_completed activity (external_id the
 * response's id, properties {"survey_id", "nps" when answered}) applies the program's
 * activity:survey_completed rules in the same write. Idempotent by Idempotency-Key. */
PT_MUSTCHECK enum pt_rc
pt_service_survey_respond(struct pt_service *svc, const struct pt_principal *who,
                          const char *survey_id, const char *member_id, const char *answers,
                          struct pt_idem *idem, struct pt_arena *arena,
                          struct pt_survey_response_result *out, struct pt_err *err);

/* One question's results. */
struct pt_survey_question_result {
    const struct pt_survey_question *question;
    int64_t answers; /* Responses that answered it. */
    /* nps: [0..10] by answer; csat: [0..4] for 1..5; choice: by option index. */
    int64_t counts[PT_SURVEY_OPTIONS_MAX];
    struct pt_nps_figures nps;
    struct pt_csat_figures csat;
    const char **texts; /* text: the latest answers (with_texts only), newest first */
    unsigned text_count;
};

struct pt_survey_results {
    struct pt_survey survey;
    struct pt_survey_question_result *questions; /* survey.question_count, its order */
};

/* The survey's results; with_texts adds the latest PT_SURVEY_RESULTS_TEXTS_MAX text answers of
 * each text question. */
PT_MUSTCHECK enum pt_rc
pt_service_survey_results(struct pt_service *svc, const struct pt_principal *who,
                          const char *survey_id, bool with_texts, struct pt_arena *arena,
                          struct pt_survey_results *out, struct pt_err *err);

#endif
