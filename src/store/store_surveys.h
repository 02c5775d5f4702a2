/* SPDX-License-Identifier: MIT */
/*
 * The store's part of surveys (store_surveys.c; docs/crm.md, "Surveys"): surveys, their
 * responses and each response's answers, a row each, counted for the results. Part of the
 * door: include store/store.h, which includes this header.
 */
#ifndef PT_STORE_STORE_SURVEYS_H
#define PT_STORE_STORE_SURVEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "core/survey.h"

struct pt_store_txn;

/* A survey's response as stored and shown. */
struct pt_survey_response {
    char id[PT_ID_BUF_BYTES]; /* "rsp_..." */
    char survey_id[PT_ID_BUF_BYTES];
    char member_id[PT_ID_BUF_BYTES];
    const char *answers; /* Canonical JSON text (pt_survey_answers_text); arena */
    int64_t points_earned;
    char activity_id[PT_ID_BUF_BYTES]; /* The survey_completed activity it recorded. */
    int64_t created_at_ms;
};

/* How many answers of one question had one value (an nps or csat answer, a choice's option
 * index; 0 for text), or (value -1) how many responses answered the question. */
struct pt_survey_tally {
    const char *question_id; /* arena */
    int64_t value;
    int64_t count;
};

/* Inserts s (questions: its canonical text). PT_ESTORE. */
PT_MUSTCHECK enum pt_rc pt_store_survey_insert(struct pt_store_txn *txn, const char *program_id,
                                               const struct pt_survey *s, const char *questions,
                                               struct pt_err *err);
/* Writes s's name, status, allow_multiple_responses, questions and updated_at. */
PT_MUSTCHECK enum pt_rc pt_store_survey_update(struct pt_store_txn *txn, const char *program_id,
                                               const struct pt_survey *s, const char *questions,
                                               struct pt_err *err);
/* The survey (its questions read by core). PT_ENOTFOUND; PT_ESTORE for a row that does not
 * read back. OUT: *questions, the stored text (nullable). */
PT_MUSTCHECK enum pt_rc pt_store_survey_get(struct pt_store_txn *txn, const char *program_id,
                                            const char *survey_id, struct pt_arena *arena,
                                            struct pt_survey *out, const char **questions,
                                            struct pt_err *err);
/* Surveys newest first below cursor_id (NULL: from the newest), of status (-1: any), at most
 * limit. */
PT_MUSTCHECK enum pt_rc pt_store_survey_list(struct pt_store_txn *txn, const char *program_id,
                                             int status, const char *cursor_id, unsigned limit,
                                             struct pt_arena *arena, struct pt_survey **out,
                                             unsigned *count, struct pt_err *err);
/* Whether member_id has answered survey_id. */
PT_MUSTCHECK enum pt_rc pt_store_survey_answered(struct pt_store_txn *txn, const char *program_id,
                                                 const char *survey_id, const char *member_id,
                                                 bool *answered, struct pt_err *err);
/* Inserts r (once: whether its survey takes one response a member) and its answers (of the
 * survey s), and counts it on the survey. PT_ECONFLICT already_answered when the member has
 * answered a once survey (the unique constraint's). */
PT_MUSTCHECK enum pt_rc
pt_store_survey_response_insert(struct pt_store_txn *txn, const char *program_id,
                                const struct pt_survey *s, const struct pt_survey_response *r,
                                bool once, const struct pt_survey_answers *answers,
                                struct pt_err *err);
/* The answers' counts of survey_id by question and value, and by question the responses that
 * answered it (value -1). OUT: arena array. */
PT_MUSTCHECK enum pt_rc pt_store_survey_tallies(struct pt_store_txn *txn, const char *program_id,
                                                const char *survey_id, struct pt_arena *arena,
                                                struct pt_survey_tally **out, unsigned *count,
                                                struct pt_err *err);
/* The latest text answers to question_id of survey_id, newest first, at most limit. */
PT_MUSTCHECK enum pt_rc pt_store_survey_texts(struct pt_store_txn *txn, const char *program_id,
                                              const char *survey_id, const char *question_id,
                                              unsigned limit, struct pt_arena *arena,
                                              const char ***out, unsigned *count,
                                              struct pt_err *err);
/* The member's responses, newest first, at most limit (its export). */
PT_MUSTCHECK enum pt_rc pt_store_member_survey_responses(
    struct pt_store_txn *txn, const char *program_id, const char *member_id, unsigned limit,
    struct pt_arena *arena, struct pt_survey_response **out, unsigned *count, struct pt_err *err);

#endif
