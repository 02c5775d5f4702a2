/* SPDX-License-Identifier: MIT */
/*
 * Surveys' storage (store_surveys.h): a survey's row with its questions as canonical JSON text
 * (read back by core), a response's row, and its answers a row each (survey_answers), which the
 * results count with one GROUP BY on the table's primary key.
 */
#include "store/store_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

#define SURVEY_COLUMNS                                                                             \
    "id, name, status, allow_multiple_responses, questions, responses, created_at_ms, "            \
    "updated_at_ms"

enum pt_rc pt_store_survey_insert(struct pt_store_txn *txn, const char *program_id,
                                  const struct pt_survey *s, const char *questions,
                                  struct pt_err *err)
{
    static const char sql[] = "INSERT INTO surveys (program_id, " SURVEY_COLUMNS ") "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, s->id);
    pt_q_text(&q, 3, s->name);
    pt_q_text(&q, 4, pt_survey_status_names[s->status]);
    pt_q_int(&q, 5, s->allow_multiple_responses ? 1 : 0);
    pt_q_text(&q, 6, questions);
    pt_q_int(&q, 7, s->created_at_ms);
    pt_q_int(&q, 8, s->updated_at_ms);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_survey_update(struct pt_store_txn *txn, const char *program_id,
                                  const struct pt_survey *s, const char *questions,
                                  struct pt_err *err)
{
    static const char sql[] =
        "UPDATE surveys SET name = ?3, status = ?4, allow_multiple_responses = ?5, "
        "questions = ?6, updated_at_ms = ?7 WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, s->id);
    pt_q_text(&q, 3, s->name);
    pt_q_text(&q, 4, pt_survey_status_names[s->status]);
    pt_q_int(&q, 5, s->allow_multiple_responses ? 1 : 0);
    pt_q_text(&q, 6, questions);
    pt_q_int(&q, 7, s->updated_at_ms);
    if (pt_q_exec(&q) == PT_OK && pt_q_changes(&q) == 0) {
        q.rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no survey %s", s->id);
    }
    return pt_q_close(&q);
}

/* A survey's row: the survey and its questions' text, which is read after the query (its
 * reading needs an error). */
struct survey_row {
    struct pt_survey s;
    const char *questions;
};

static void survey_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct survey_row *r = row;
    struct pt_survey *s = &r->s;
    memset(r, 0, sizeof(*r));
    pt_q_col_copy(q, 0, s->id, sizeof(s->id));
    s->name = pt_q_col_text(q, 1, arena);
    s->status =
        (enum pt_survey_status)pt_q_col_name(q, 2, pt_survey_status_names, PT_SURVEY_STATUSES);
    s->allow_multiple_responses = pt_q_col_int(q, 3) != 0;
    r->questions = pt_q_col_text(q, 4, arena);
    s->responses = pt_q_col_int(q, 5);
    s->created_at_ms = pt_q_col_int(q, 6);
    s->updated_at_ms = pt_q_col_int(q, 7);
}

/* Reads the row's questions into its survey. */
static enum pt_rc survey_questions(struct survey_row *r, struct pt_arena *arena, struct pt_err *err)
{
    struct pt_err ignored;
    if (r->questions == NULL) {
        return pt_arena_err(arena, err);
    }
    pt_err_clear(&ignored);
    if (pt_survey_questions_parse(r->questions, arena, &r->s, &ignored) != PT_OK) {
        return pt_arena_failed(arena)
                   ? pt_arena_err(arena, err)
                   : pt_err_set(err, PT_ESTORE, NULL, "a stored survey does not read back");
    }
    return PT_OK;
}

enum pt_rc pt_store_survey_get(struct pt_store_txn *txn, const char *program_id,
                               const char *survey_id, struct pt_arena *arena, struct pt_survey *out,
                               const char **questions, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " SURVEY_COLUMNS " FROM surveys WHERE program_id = ?1 AND id = ?2";
    struct survey_row row;
    struct pt_q q;
    bool found = false;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    memset(&row, 0, sizeof(row));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, survey_id);
    if (pt_q_next(&q)) {
        survey_from_row(&q, arena, &row);
        found = true;
    }
    rc = pt_q_close(&q);
    if (rc == PT_OK && !found) {
        rc = pt_err_set(err, PT_ENOTFOUND, NULL, "no survey %s", survey_id);
    }
    if (rc == PT_OK) {
        rc = survey_questions(&row, arena, err);
    }
    *out = row.s;
    if (questions != NULL) {
        *questions = row.questions;
    }
    return rc;
}

enum pt_rc pt_store_survey_list(struct pt_store_txn *txn, const char *program_id, int status,
                                const char *cursor_id, unsigned limit, struct pt_arena *arena,
                                struct pt_survey **out, unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT " SURVEY_COLUMNS " FROM surveys WHERE program_id = ?1 "
        "AND (CAST(?2 AS TEXT) IS NULL OR id < ?2) AND (CAST(?3 AS TEXT) IS NULL OR status = ?3) "
        "ORDER BY id DESC LIMIT ?4";
    struct survey_row *rows;
    struct pt_q q;
    unsigned i;
    enum pt_rc rc;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, cursor_id);
    pt_q_text(&q, 3, status >= 0 ? pt_survey_status_names[status] : NULL);
    pt_q_int(&q, 4, limit);
    rows = pt_q_rows(&q, limit, sizeof(*rows), survey_from_row, arena, count);
    rc = pt_q_close(&q);
    *out = pt_arena_alloc(arena, (*count ? *count : 1) * sizeof(**out));
    if (rc == PT_OK && *out == NULL) {
        rc = pt_arena_err(arena, err);
    }
    for (i = 0; rc == PT_OK && i < *count; i++) {
        rc = survey_questions(&rows[i], arena, err);
        (*out)[i] = rows[i].s;
    }
    if (rc != PT_OK) {
        *count = 0;
    }
    return rc;
}

enum pt_rc pt_store_survey_answered(struct pt_store_txn *txn, const char *program_id,
                                    const char *survey_id, const char *member_id, bool *answered,
                                    struct pt_err *err)
{
    static const char sql[] = "SELECT 1 FROM survey_responses WHERE program_id = ?1 AND "
                              "survey_id = ?2 AND member_id = ?3 LIMIT 1";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, survey_id);
    pt_q_text(&q, 3, member_id);
    *answered = pt_q_next(&q);
    return pt_q_close(&q);
}

/* One row of survey_answers. */
static enum pt_rc answer_insert(struct pt_store_txn *txn, const char *program_id,
                                const char *survey_id, const char *question_id, int64_t value,
                                const char *response_id, const char *text, struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO survey_answers (program_id, survey_id, question_id, value, response_id, "
        "text) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, survey_id);
    pt_q_text(&q, 3, question_id);
    pt_q_int(&q, 4, value);
    pt_q_text(&q, 5, response_id);
    pt_q_text(&q, 6, text);
    (void)pt_q_exec(&q);
    return pt_q_close(&q);
}

enum pt_rc pt_store_survey_response_insert(struct pt_store_txn *txn, const char *program_id,
                                           const struct pt_survey *s,
                                           const struct pt_survey_response *r, bool once,
                                           const struct pt_survey_answers *answers,
                                           struct pt_err *err)
{
    static const char sql[] =
        "INSERT INTO survey_responses (program_id, id, survey_id, member_id, once_key, answers, "
        "points_earned, activity_id, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    static const char count_sql[] =
        "UPDATE surveys SET responses = responses + 1 WHERE program_id = ?1 AND id = ?2";
    struct pt_q q;
    enum pt_rc rc;
    unsigned i;
    unsigned k;
    pt_assert(pt_store_txn_is_write(txn));
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, r->id);
    pt_q_text(&q, 3, r->survey_id);
    pt_q_text(&q, 4, r->member_id);
    pt_q_text(&q, 5, once ? r->member_id : NULL);
    pt_q_text(&q, 6, r->answers);
    pt_q_int(&q, 7, r->points_earned);
    pt_q_text(&q, 8, r->activity_id);
    pt_q_int(&q, 9, r->created_at_ms);
    (void)pt_q_exec(&q);
    rc = pt_q_close(&q);
    if (rc == PT_ECONFLICT) {
        (void)pt_err_set(err, PT_ECONFLICT, "survey_id", "the member has answered this survey");
        return pt_err_code(err, "already_answered");
    }
    if (rc == PT_OK) {
        (void)pt_q_open(&q, txn, count_sql, err);
        pt_q_text(&q, 1, program_id);
        pt_q_text(&q, 2, r->survey_id);
        (void)pt_q_exec(&q);
        rc = pt_q_close(&q);
    }
    for (i = 0; rc == PT_OK && i < answers->count; i++) {
        const struct pt_survey_answer *a = &answers->items[i];
        const struct pt_survey_question *question = &s->questions[a->question];
        if (question->kind != PT_SURVEY_CHOICE) {
            rc = answer_insert(txn, program_id, r->survey_id, question->id, a->value, r->id,
                               a->text, err);
            continue;
        }
        for (k = 0; rc == PT_OK && k < question->option_count; k++) {
            if ((a->choices & (1u << k)) != 0) {
                rc =
                    answer_insert(txn, program_id, r->survey_id, question->id, k, r->id, NULL, err);
            }
        }
    }
    return rc;
}

static void tally_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_survey_tally *t = row;
    t->question_id = pt_q_col_text(q, 0, arena);
    t->value = pt_q_col_int(q, 1);
    t->count = pt_q_col_int(q, 2);
}

enum pt_rc pt_store_survey_tallies(struct pt_store_txn *txn, const char *program_id,
                                   const char *survey_id, struct pt_arena *arena,
                                   struct pt_survey_tally **out, unsigned *count,
                                   struct pt_err *err)
{
    /* At most 50 questions of at most 20 values (options) each, or 11 (nps), and each
     * question's count of responses (value -1). */
    enum { TALLIES_MAX = PT_SURVEY_QUESTIONS_MAX * (PT_SURVEY_OPTIONS_MAX + 1) };
    static const char sql[] =
        "SELECT question_id, value, COUNT(*) FROM survey_answers WHERE program_id = ?1 AND "
        "survey_id = ?2 GROUP BY question_id, value UNION ALL "
        "SELECT question_id, -1, COUNT(DISTINCT response_id) FROM survey_answers WHERE "
        "program_id = ?1 AND survey_id = ?2 GROUP BY question_id ORDER BY 1, 2 LIMIT ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, survey_id);
    pt_q_int(&q, 3, TALLIES_MAX);
    *out = pt_q_rows(&q, TALLIES_MAX, sizeof(**out), tally_from_row, arena, count);
    return pt_q_close(&q);
}

static void text_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    *(const char **)row = pt_q_col_text(q, 0, arena);
}

enum pt_rc pt_store_survey_texts(struct pt_store_txn *txn, const char *program_id,
                                 const char *survey_id, const char *question_id, unsigned limit,
                                 struct pt_arena *arena, const char ***out, unsigned *count,
                                 struct pt_err *err)
{
    static const char sql[] =
        "SELECT text FROM survey_answers WHERE program_id = ?1 AND survey_id = ?2 AND "
        "question_id = ?3 AND value = 0 ORDER BY response_id DESC LIMIT ?4";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, survey_id);
    pt_q_text(&q, 3, question_id);
    pt_q_int(&q, 4, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), text_from_row, arena, count);
    return pt_q_close(&q);
}

static void response_from_row(struct pt_q *q, struct pt_arena *arena, void *row)
{
    struct pt_survey_response *r = row;
    memset(r, 0, sizeof(*r));
    pt_q_col_copy(q, 0, r->id, sizeof(r->id));
    pt_q_col_copy(q, 1, r->survey_id, sizeof(r->survey_id));
    pt_q_col_copy(q, 2, r->member_id, sizeof(r->member_id));
    r->answers = pt_q_col_text(q, 3, arena);
    r->points_earned = pt_q_col_int(q, 4);
    pt_q_col_copy(q, 5, r->activity_id, sizeof(r->activity_id));
    r->created_at_ms = pt_q_col_int(q, 6);
}

enum pt_rc pt_store_member_survey_responses(struct pt_store_txn *txn, const char *program_id,
                                            const char *member_id, unsigned limit,
                                            struct pt_arena *arena, struct pt_survey_response **out,
                                            unsigned *count, struct pt_err *err)
{
    static const char sql[] =
        "SELECT id, survey_id, member_id, answers, points_earned, activity_id, created_at_ms "
        "FROM survey_responses WHERE program_id = ?1 AND member_id = ?2 ORDER BY id DESC "
        "LIMIT ?3";
    struct pt_q q;
    (void)pt_q_open(&q, txn, sql, err);
    pt_q_text(&q, 1, program_id);
    pt_q_text(&q, 2, member_id);
    pt_q_int(&q, 3, limit);
    *out = pt_q_rows(&q, limit, sizeof(**out), response_from_row, arena, count);
    return pt_q_close(&q);
}
