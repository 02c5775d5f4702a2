/* SPDX-License-Identifier: MIT */
/*
 * Surveys (docs/crm.md, "Surveys"): a survey's questions and their validation, a response's
 * answers checked against its survey, the status moves, and the results' figures (NPS, CSAT).
 * Pure: the questions and answers arrive as JSON text (the API's, or the store's), are read
 * here with their field paths for the errors, and are written back as canonical text.
 */
#ifndef PT_CORE_SURVEY_H
#define PT_CORE_SURVEY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/limits.h"

enum pt_survey_kind { PT_SURVEY_NPS, PT_SURVEY_CSAT, PT_SURVEY_CHOICE, PT_SURVEY_TEXT };
#define PT_SURVEY_KINDS 4
extern const char *const pt_survey_kind_names[PT_SURVEY_KINDS];

enum pt_survey_status { PT_SURVEY_DRAFT, PT_SURVEY_ACTIVE, PT_SURVEY_CLOSED };
#define PT_SURVEY_STATUSES 3
extern const char *const pt_survey_status_names[PT_SURVEY_STATUSES];

struct pt_survey_question {
    char id[PT_SURVEY_QUESTION_ID_BYTES_MAX + 1];
    enum pt_survey_kind kind;
    const char *text;
    bool required;
    bool multiple;        /* A choice question: several options may be chosen. */
    const char **options; /* A choice question's, option_count of them; else NULL. */
    unsigned option_count;
};

struct pt_survey {
    char id[PT_ID_BUF_BYTES];
    const char *name;
    enum pt_survey_status status;
    bool allow_multiple_responses;
    struct pt_survey_question *questions;
    unsigned question_count;
    int64_t responses; /* Server's: how many responses it has. */
    int64_t created_at_ms;
    int64_t updated_at_ms;
};

/* Reads the questions from text, a JSON array, into s->questions (arena), validating each
 * (field paths "questions.2.options.0"). PT_EINVAL names the field; PT_ENOMEM. */
PT_MUSTCHECK enum pt_rc pt_survey_questions_parse(const char *text, struct pt_arena *arena,
                                                  struct pt_survey *s, struct pt_err *err);
/* The questions as canonical JSON text (the stored form; the same questions give the same
 * text). OUT: *text (arena). PT_ENOMEM. */
PT_MUSTCHECK enum pt_rc pt_survey_questions_text(const struct pt_survey *s, struct pt_arena *arena,
                                                 const char **text, struct pt_err *err);
/* Checks a survey's own fields (name; questions were checked by parsing). PT_EINVAL. */
PT_MUSTCHECK enum pt_rc pt_survey_validate(const struct pt_survey *s, struct pt_err *err);
/* Whether the status may move from `from` to `to`: draft -> active -> closed, draft -> closed,
 * and any status to itself. */
bool pt_survey_status_move_ok(enum pt_survey_status from, enum pt_survey_status to);

/* One answer: its question's index; value of nps 0..10 and csat 1..5; text of text; choices a
 * mask of the chosen options of choice (bit i: options[i]). */
struct pt_survey_answer {
    unsigned question;
    int64_t value;
    const char *text;
    uint32_t choices;
};

struct pt_survey_answers {
    struct pt_survey_answer *items; /* In the survey's order of questions. */
    unsigned count;
    int nps; /* The first nps question's answer, -1 when none was answered. */
};

/* Reads a response's answers (text: a JSON object {question_id: value}) against the survey:
 * every key a question of it (else 400 answers.<id>), each value of its kind and range, every
 * required question answered. A null value is no answer. PT_EINVAL names the field; PT_ENOMEM. */
PT_MUSTCHECK enum pt_rc pt_survey_answers_parse(const struct pt_survey *s, const char *text,
                                                struct pt_arena *arena,
                                                struct pt_survey_answers *out, struct pt_err *err);
/* The answers as canonical JSON text, as the API shows them. OUT: *text (arena). */
PT_MUSTCHECK enum pt_rc pt_survey_answers_text(const struct pt_survey *s,
                                               const struct pt_survey_answers *a,
                                               struct pt_arena *arena, const char **text,
                                               struct pt_err *err);

/* Rounds num / den (den > 0) to the nearest integer, halves away from zero. */
int64_t pt_survey_round_div(int64_t num, int64_t den);

/* An nps question's figures from its distribution of answers 0..10. */
struct pt_nps_figures {
    int64_t responses;
    int64_t promoters;  /* 9-10 */
    int64_t passives;   /* 7-8 */
    int64_t detractors; /* 0-6 */
    bool has_score;     /* responses > 0 */
    int64_t nps_bp;     /* (promoters - detractors) / responses x 10,000, rounded (above) */
};
void pt_survey_nps(const int64_t dist[11], struct pt_nps_figures *out);

/* A csat question's figures from its distribution of answers 1..5 (dist[0] is 1). */
struct pt_csat_figures {
    int64_t responses;
    int64_t satisfied;       /* 4-5 */
    bool has_score;          /* responses > 0 */
    int64_t mean_hundredths; /* The mean answer x 100, rounded (above): 100..500 */
    int64_t csat_bp;         /* satisfied / responses x 10,000, rounded */
};
void pt_survey_csat(const int64_t dist[5], struct pt_csat_figures *out);

#endif
