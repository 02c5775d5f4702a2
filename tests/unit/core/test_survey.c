/* SPDX-License-Identifier: MIT */
/*
 * Goal: a survey's questions and a response's answers are read exactly within their bounds,
 * each refusal naming its field; the status moves are the documented ones; NPS and CSAT are the
 * hand-computed figures with the documented rounding.
 * Method: one valid survey and one valid response, changed one thing at a time, bounds at N
 * and N+1; figures of small distributions worked by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "core/survey.h"

#define QUESTIONS                                                                                  \
    "[{\"id\":\"nps\",\"kind\":\"nps\",\"text\":\"Recommend us?\",\"required\":true},"             \
    "{\"id\":\"sat\",\"kind\":\"csat\",\"text\":\"Happy?\"},"                                      \
    "{\"id\":\"pick\",\"kind\":\"choice\",\"text\":\"Which?\",\"options\":[\"a\",\"b\",\"c\"]},"   \
    "{\"id\":\"many\",\"kind\":\"choice\",\"text\":\"Which ones?\",\"options\":[\"x\",\"y\"],"     \
    "\"multiple\":true},"                                                                          \
    "{\"id\":\"why\",\"kind\":\"text\",\"text\":\"Why?\"}]"

/* Parses questions; returns the rc and checks the field named (NULL: none expected). */
static enum pt_rc questions(const char *text, const char *field, struct pt_arena *arena,
                            struct pt_survey *s)
{
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    memset(s, 0, sizeof(*s));
    rc = pt_survey_questions_parse(text, arena, s, &err);
    if (field != NULL) {
        assert_int_equal(rc, PT_EINVAL);
        assert_string_equal(err.field, field);
    }
    return rc;
}

static void test_pt_survey_questions_parse__valid_and_each_refusal(void **state)
{
    struct pt_arena arena;
    struct pt_survey s;
    char big[PT_SURVEY_QUESTIONS_MAX * 64 + 16];
    size_t n = 0;
    unsigned i;
    (void)state;
    pt_arena_init(&arena, 1 << 20);
    assert_int_equal(questions(QUESTIONS, NULL, &arena, &s), PT_OK);
    assert_int_equal(s.question_count, 5);
    assert_int_equal(s.questions[2].option_count, 3);
    assert_true(s.questions[3].multiple);
    assert_true(s.questions[0].required);
    assert_false(s.questions[1].required);
    (void)questions("[]", "questions", &arena, &s);
    (void)questions("{}", "questions", &arena, &s);
    (void)questions("[{\"id\":\"A\",\"kind\":\"nps\",\"text\":\"t\"}]", "questions.0.id", &arena,
                    &s);
    (void)questions("[{\"id\":\"abcdefghijklmnopqrstuvwxyz0123456\",\"kind\":\"nps\",\"text\":"
                    "\"t\"}]",
                    "questions.0.id", &arena, &s);
    assert_int_equal(questions("[{\"id\":\"abcdefghijklmnopqrstuvwxyz012345\",\"kind\":\"nps\","
                               "\"text\":\"t\"}]",
                               NULL, &arena, &s),
                     PT_OK);
    (void)questions("[{\"id\":\"a\",\"kind\":\"stars\",\"text\":\"t\"}]", "questions.0.kind",
                    &arena, &s);
    (void)questions("[{\"id\":\"a\",\"kind\":\"nps\",\"text\":\"\"}]", "questions.0.text", &arena,
                    &s);
    (void)questions("[{\"id\":\"a\",\"kind\":\"nps\",\"text\":\"t\",\"colour\":1}]",
                    "questions.0.colour", &arena, &s);
    (void)questions("[{\"id\":\"a\",\"kind\":\"nps\",\"text\":\"t\",\"required\":1}]",
                    "questions.0.required", &arena, &s);
    (void)questions("[{\"id\":\"a\",\"kind\":\"choice\",\"text\":\"t\",\"options\":[\"x\"]}]",
                    "questions.0.options", &arena, &s);
    (void)questions("[{\"id\":\"a\",\"kind\":\"choice\",\"text\":\"t\"}]", "questions.0.options",
                    &arena, &s);
    (void)questions("[{\"id\":\"a\",\"kind\":\"choice\",\"text\":\"t\",\"options\":[\"x\",\"x\"]}]",
                    "questions.0.options.1", &arena, &s);
    (void)questions("[{\"id\":\"a\",\"kind\":\"choice\",\"text\":\"t\",\"options\":[\"x\",2]}]",
                    "questions.0.options.1", &arena, &s);
    (void)questions("[{\"id\":\"a\",\"kind\":\"nps\",\"text\":\"t\",\"options\":[\"x\",\"y\"]}]",
                    "questions.0.options", &arena, &s);
    (void)questions("[{\"id\":\"a\",\"kind\":\"nps\",\"text\":\"t\",\"multiple\":true}]",
                    "questions.0.multiple", &arena, &s);
    (void)questions("[{\"id\":\"a\",\"kind\":\"nps\",\"text\":\"t\"},"
                    "{\"id\":\"a\",\"kind\":\"csat\",\"text\":\"u\"}]",
                    "questions.1.id", &arena, &s);
    /* 50 questions and 51. */
    n += (size_t)snprintf(big + n, sizeof(big) - n, "[");
    for (i = 0; i < PT_SURVEY_QUESTIONS_MAX; i++) {
        n += (size_t)snprintf(big + n, sizeof(big) - n,
                              "%s{\"id\":\"q%u\",\"kind\":\"text\",\"text\":\"t\"}", i ? "," : "",
                              i);
    }
    (void)snprintf(big + n, sizeof(big) - n, "]");
    assert_int_equal(questions(big, NULL, &arena, &s), PT_OK);
    (void)snprintf(big + n, sizeof(big) - n, ",{\"id\":\"z\",\"kind\":\"text\",\"text\":\"t\"}]");
    (void)questions(big, "questions", &arena, &s);
    pt_arena_fini(&arena);
}

static void test_pt_survey_questions_text__reads_back_the_same(void **state)
{
    struct pt_arena arena;
    struct pt_survey s;
    struct pt_survey again;
    const char *one = NULL;
    const char *two = NULL;
    struct pt_err err;
    (void)state;
    pt_err_clear(&err);
    pt_arena_init(&arena, 1 << 20);
    assert_int_equal(questions(QUESTIONS, NULL, &arena, &s), PT_OK);
    assert_int_equal(pt_survey_questions_text(&s, &arena, &one, &err), PT_OK);
    assert_int_equal(questions(one, NULL, &arena, &again), PT_OK);
    assert_int_equal(pt_survey_questions_text(&again, &arena, &two, &err), PT_OK);
    assert_string_equal(one, two);
    assert_non_null(strstr(one, "\"options\":[\"a\",\"b\",\"c\"]"));
    pt_arena_fini(&arena);
}

/* Parses answers against the QUESTIONS survey; checks the field named (NULL: none). */
static enum pt_rc answers(struct pt_arena *arena, const char *text, const char *field,
                          struct pt_survey_answers *out)
{
    struct pt_survey s;
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    assert_int_equal(questions(QUESTIONS, NULL, arena, &s), PT_OK);
    rc = pt_survey_answers_parse(&s, text, arena, out, &err);
    if (field != NULL) {
        assert_int_equal(rc, PT_EINVAL);
        assert_string_equal(err.field, field);
    } else {
        assert_int_equal(rc, PT_OK);
    }
    return rc;
}

static void test_pt_survey_answers_parse__kinds_ranges_and_required(void **state)
{
    struct pt_arena arena;
    struct pt_survey_answers a;
    struct pt_survey s;
    const char *text = NULL;
    struct pt_err err;
    (void)state;
    pt_err_clear(&err);
    pt_arena_init(&arena, 1 << 20);
    (void)answers(&arena,
                  "{\"nps\":10,\"sat\":5,\"pick\":\"b\",\"many\":[\"y\",\"x\"],\"why\":\"ok\\n\"}",
                  NULL, &a);
    assert_int_equal(a.count, 5);
    assert_int_equal(a.nps, 10);
    assert_int_equal(a.items[2].choices, 2u);
    assert_int_equal(a.items[3].choices, 3u);
    assert_int_equal(questions(QUESTIONS, NULL, &arena, &s), PT_OK);
    assert_int_equal(pt_survey_answers_text(&s, &a, &arena, &text, &err), PT_OK);
    assert_string_equal(text, "{\"many\":[\"x\",\"y\"],\"nps\":10,\"pick\":\"b\",\"sat\":5,"
                              "\"why\":\"ok\\n\"}");
    (void)answers(&arena, "{\"nps\":0}", NULL, &a);
    assert_int_equal(a.nps, 0);
    (void)answers(&arena, "{\"nps\":11}", "answers.nps", &a);
    (void)answers(&arena, "{\"nps\":-1}", "answers.nps", &a);
    (void)answers(&arena, "{\"nps\":9.5}", "answers.nps", &a);
    (void)answers(&arena, "{\"nps\":\"9\"}", "answers.nps", &a);
    (void)answers(&arena, "{\"sat\":3}", "answers.nps", &a); /* required */
    (void)answers(&arena, "{\"nps\":null}", "answers.nps", &a);
    (void)answers(&arena, "{\"nps\":1,\"sat\":0}", "answers.sat", &a);
    (void)answers(&arena, "{\"nps\":1,\"sat\":6}", "answers.sat", &a);
    (void)answers(&arena, "{\"nps\":1,\"sat\":1}", NULL, &a);
    (void)answers(&arena, "{\"nps\":1,\"pick\":\"d\"}", "answers.pick", &a);
    (void)answers(&arena, "{\"nps\":1,\"pick\":[\"a\"]}", "answers.pick", &a);
    (void)answers(&arena, "{\"nps\":1,\"many\":\"x\"}", "answers.many", &a);
    (void)answers(&arena, "{\"nps\":1,\"many\":[]}", "answers.many", &a);
    (void)answers(&arena, "{\"nps\":1,\"many\":[\"x\",\"x\"]}", "answers.many", &a);
    (void)answers(&arena, "{\"nps\":1,\"why\":\"\"}", "answers.why", &a);
    (void)answers(&arena, "{\"nps\":1,\"why\":\"  \"}", "answers.why", &a);
    (void)answers(&arena, "{\"nps\":1,\"why\":\"a\\u0007b\"}", "answers.why", &a);
    (void)answers(&arena, "{\"nps\":1,\"other\":1}", "answers.other", &a);
    (void)answers(&arena, "[]", "answers", &a);
    {
        char text2k[PT_SURVEY_ANSWER_TEXT_BYTES_MAX + 64];
        int n = snprintf(text2k, sizeof(text2k), "{\"nps\":1,\"why\":\"");
        memset(text2k + n, 'w', PT_SURVEY_ANSWER_TEXT_BYTES_MAX);
        (void)snprintf(text2k + n + PT_SURVEY_ANSWER_TEXT_BYTES_MAX, 8, "\"}");
        (void)answers(&arena, text2k, NULL, &a);
        memset(text2k + n, 'w', PT_SURVEY_ANSWER_TEXT_BYTES_MAX + 1);
        (void)snprintf(text2k + n + PT_SURVEY_ANSWER_TEXT_BYTES_MAX + 1, 8, "\"}");
        (void)answers(&arena, text2k, "answers.why", &a);
    }
    pt_arena_fini(&arena);
}

static void test_pt_survey_status_move_ok__the_documented_moves(void **state)
{
    (void)state;
    assert_true(pt_survey_status_move_ok(PT_SURVEY_DRAFT, PT_SURVEY_ACTIVE));
    assert_true(pt_survey_status_move_ok(PT_SURVEY_DRAFT, PT_SURVEY_CLOSED));
    assert_true(pt_survey_status_move_ok(PT_SURVEY_ACTIVE, PT_SURVEY_CLOSED));
    assert_true(pt_survey_status_move_ok(PT_SURVEY_ACTIVE, PT_SURVEY_ACTIVE));
    assert_false(pt_survey_status_move_ok(PT_SURVEY_ACTIVE, PT_SURVEY_DRAFT));
    assert_false(pt_survey_status_move_ok(PT_SURVEY_CLOSED, PT_SURVEY_ACTIVE));
    assert_false(pt_survey_status_move_ok(PT_SURVEY_CLOSED, PT_SURVEY_DRAFT));
}

static void test_pt_survey_nps__hand_computed(void **state)
{
    /* 0,3,6 detractors (3); 7,8 passives (2); 9,10,10 promoters (3): (3 - 3) / 8 = 0. */
    int64_t even[11] = {1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 2};
    /* 2 promoters, 1 detractor of 3: 33.333..% -> 3333 bp. */
    int64_t third[11] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1};
    /* 1 promoter, 2 detractors of 3: -33.33% -> -3333 bp; 1 of 8 = 12.5% -> 1250 bp. */
    int64_t neg[11] = {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    /* 1 promoter of 16, 0 detractors: 6.25% -> 625 bp; of 32: 3.125% -> 313 bp (half up). */
    int64_t half[11] = {0, 0, 0, 0, 0, 0, 0, 31, 0, 1, 0};
    struct pt_nps_figures f;
    int64_t none[11] = {0};
    (void)state;
    pt_survey_nps(even, &f);
    assert_int_equal(f.responses, 8);
    assert_int_equal(f.promoters, 3);
    assert_int_equal(f.passives, 2);
    assert_int_equal(f.detractors, 3);
    assert_true(f.has_score);
    assert_int_equal(f.nps_bp, 0);
    pt_survey_nps(third, &f);
    assert_int_equal(f.nps_bp, 3333);
    pt_survey_nps(neg, &f);
    assert_int_equal(f.nps_bp, -3333);
    pt_survey_nps(half, &f);
    assert_int_equal(f.nps_bp, 313);
    pt_survey_nps(none, &f);
    assert_false(f.has_score);
    assert_int_equal(f.responses, 0);
    assert_int_equal(pt_survey_round_div(-5, 2), -3);
    assert_int_equal(pt_survey_round_div(5, 2), 3);
    assert_int_equal(pt_survey_round_div(-4, 3), -1);
}

static void test_pt_survey_csat__hand_computed(void **state)
{
    /* Answers 1, 4, 5, 5: mean 15 / 4 = 3.75 -> 375; satisfied 3 of 4 = 7500 bp. */
    int64_t d[5] = {1, 0, 0, 1, 2};
    /* Answers 2, 3, 4: mean 3.00; 1 of 3 satisfied = 3333 bp. 1,1,2: mean 1.333 -> 133. */
    int64_t e[5] = {0, 1, 1, 1, 0};
    int64_t g[5] = {2, 1, 0, 0, 0};
    struct pt_csat_figures f;
    int64_t none[5] = {0};
    (void)state;
    pt_survey_csat(d, &f);
    assert_int_equal(f.responses, 4);
    assert_int_equal(f.satisfied, 3);
    assert_int_equal(f.mean_hundredths, 375);
    assert_int_equal(f.csat_bp, 7500);
    pt_survey_csat(e, &f);
    assert_int_equal(f.mean_hundredths, 300);
    assert_int_equal(f.csat_bp, 3333);
    pt_survey_csat(g, &f);
    assert_int_equal(f.mean_hundredths, 133);
    assert_int_equal(f.csat_bp, 0);
    pt_survey_csat(none, &f);
    assert_false(f.has_score);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_survey_questions_parse__valid_and_each_refusal),
        PT_TEST(test_pt_survey_questions_text__reads_back_the_same),
        PT_TEST(test_pt_survey_answers_parse__kinds_ranges_and_required),
        PT_TEST(test_pt_survey_status_move_ok__the_documented_moves),
        PT_TEST(test_pt_survey_nps__hand_computed),
        PT_TEST(test_pt_survey_csat__hand_computed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
