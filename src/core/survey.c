/* SPDX-License-Identifier: MIT */
/*
 * Surveys (survey.h): questions read and checked, answers read and checked against them, the
 * status moves and the results' NPS and CSAT figures, in integers.
 */
#include "core/survey.h"

#include "core/member.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

const char *const pt_survey_kind_names[PT_SURVEY_KINDS] = {"nps", "csat", "choice", "text"};
const char *const pt_survey_status_names[PT_SURVEY_STATUSES] = {"draft", "active", "closed"};

static const char *const question_keys[] = {"id",       "kind",    "text", "required",
                                            "multiple", "options", NULL};

/* The kind named s, or PT_SURVEY_KINDS. */
static unsigned kind_of(const char *s)
{
    unsigned i;
    for (i = 0; i < PT_SURVEY_KINDS; i++) {
        if (strcmp(s, pt_survey_kind_names[i]) == 0) {
            return i;
        }
    }
    return PT_SURVEY_KINDS;
}

static bool question_id_ok(const char *s)
{
    size_t n = strlen(s);
    size_t i;
    if (n == 0 || n > PT_SURVEY_QUESTION_ID_BYTES_MAX) {
        return false;
    }
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return true;
}

/* A string member of o at key (required or not) into *out (arena); path names the field. */
static enum pt_rc get_string(json_t *o, const char *key, const char *path, bool required,
                             struct pt_arena *arena, const char **out, struct pt_err *err)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        return required ? pt_err_set(err, PT_EINVAL, path, "%s is required", path) : PT_OK;
    }
    if (!json_is_string(v)) {
        return pt_err_set(err, PT_EINVAL, path, "%s must be a string", path);
    }
    *out = pt_arena_strndup(arena, json_string_value(v), json_string_length(v));
    return *out != NULL ? PT_OK : pt_arena_err(arena, err);
}

static enum pt_rc get_bool(json_t *o, const char *key, const char *path, bool *out,
                           struct pt_err *err)
{
    json_t *v = json_object_get(o, key);
    *out = false;
    if (v == NULL || json_is_null(v)) {
        return PT_OK;
    }
    if (!json_is_boolean(v)) {
        return pt_err_set(err, PT_EINVAL, path, "%s must be true or false", path);
    }
    *out = json_is_true(v);
    return PT_OK;
}

static enum pt_rc options_parse(json_t *o, const char *path, struct pt_arena *arena,
                                struct pt_survey_question *q, struct pt_err *err)
{
    json_t *opts = json_object_get(o, "options");
    char at[64];
    size_t i;
    size_t j;
    if (opts == NULL || json_is_null(opts)) {
        return pt_err_set(err, PT_EINVAL, path, "%s is required for a choice question", path);
    }
    if (!json_is_array(opts) || json_array_size(opts) < PT_SURVEY_OPTIONS_MIN ||
        json_array_size(opts) > PT_SURVEY_OPTIONS_MAX) {
        return pt_err_set(err, PT_EINVAL, path, "%s must be an array of %d to %d strings", path,
                          PT_SURVEY_OPTIONS_MIN, PT_SURVEY_OPTIONS_MAX);
    }
    q->option_count = (unsigned)json_array_size(opts);
    q->options = pt_arena_alloc(arena, q->option_count * sizeof(*q->options));
    if (q->options == NULL) {
        return pt_arena_err(arena, err);
    }
    for (i = 0; i < q->option_count; i++) {
        json_t *v = json_array_get(opts, i);
        enum pt_rc rc;
        (void)snprintf(at, sizeof(at), "%.40s.%u", path, (unsigned)i);
        if (!json_is_string(v)) {
            return pt_err_set(err, PT_EINVAL, at, "%s must be a string", at);
        }
        rc = pt_validate_text(at, json_string_value(v), PT_SURVEY_OPTION_BYTES_MAX, err);
        if (rc != PT_OK) {
            return rc;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(q->options[j], json_string_value(v)) == 0) {
                return pt_err_set(err, PT_EINVAL, at, "%s repeats an option", at);
            }
        }
        q->options[i] = pt_arena_strndup(arena, json_string_value(v), json_string_length(v));
        if (q->options[i] == NULL) {
            return pt_arena_err(arena, err);
        }
    }
    return PT_OK;
}

static enum pt_rc question_parse(json_t *o, unsigned index, struct pt_arena *arena,
                                 struct pt_survey_question *q, struct pt_err *err)
{
    char base[32];
    char at[64];
    const char *id = NULL;
    const char *kind = NULL;
    const char *key;
    json_t *v;
    unsigned k;
    enum pt_rc rc = PT_OK;
    memset(q, 0, sizeof(*q));
    (void)snprintf(base, sizeof(base), "questions.%u", index);
    if (!json_is_object(o)) {
        return pt_err_set(err, PT_EINVAL, base, "%s must be an object", base);
    }
    json_object_foreach(o, key, v)
    {
        for (k = 0; question_keys[k] != NULL && strcmp(question_keys[k], key) != 0; k++) {
        }
        if (question_keys[k] == NULL) {
            (void)snprintf(at, sizeof(at), "%s.%.20s", base, key);
            return pt_err_set(err, PT_EINVAL, at, "%s is not a field of a question", at);
        }
    }
    (void)snprintf(at, sizeof(at), "%s.id", base);
    rc = get_string(o, "id", at, true, arena, &id, err);
    if (rc == PT_OK && !question_id_ok(id)) {
        rc = pt_err_set(err, PT_EINVAL, at, "%s must be 1 to %d of a-z, 0-9 and _", at,
                        PT_SURVEY_QUESTION_ID_BYTES_MAX);
    }
    if (rc != PT_OK) {
        return rc;
    }
    (void)snprintf(q->id, sizeof(q->id), "%s", id);
    (void)snprintf(at, sizeof(at), "%s.kind", base);
    rc = get_string(o, "kind", at, true, arena, &kind, err);
    if (rc == PT_OK && (k = kind_of(kind)) == PT_SURVEY_KINDS) {
        rc = pt_err_set(err, PT_EINVAL, at, "%s must be nps, csat, choice or text", at);
    }
    if (rc != PT_OK) {
        return rc;
    }
    q->kind = (enum pt_survey_kind)k;
    (void)snprintf(at, sizeof(at), "%s.text", base);
    rc = get_string(o, "text", at, true, arena, &q->text, err);
    if (rc == PT_OK) {
        rc = pt_validate_text(at, q->text, PT_SURVEY_QUESTION_TEXT_BYTES_MAX, err);
    }
    (void)snprintf(at, sizeof(at), "%s.required", base);
    if (rc == PT_OK) {
        rc = get_bool(o, "required", at, &q->required, err);
    }
    (void)snprintf(at, sizeof(at), "%s.multiple", base);
    if (rc == PT_OK) {
        rc = get_bool(o, "multiple", at, &q->multiple, err);
    }
    if (rc == PT_OK && q->multiple && q->kind != PT_SURVEY_CHOICE) {
        rc = pt_err_set(err, PT_EINVAL, at, "%s is for choice questions only", at);
    }
    (void)snprintf(at, sizeof(at), "%s.options", base);
    if (rc == PT_OK && q->kind == PT_SURVEY_CHOICE) {
        rc = options_parse(o, at, arena, q, err);
    } else if (rc == PT_OK && (v = json_object_get(o, "options")) != NULL && !json_is_null(v)) {
        rc = pt_err_set(err, PT_EINVAL, at, "%s is for choice questions only", at);
    }
    return rc;
}

enum pt_rc pt_survey_questions_parse(const char *text, struct pt_arena *arena, struct pt_survey *s,
                                     struct pt_err *err)
{
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    enum pt_rc rc = PT_OK;
    unsigned i;
    unsigned j;
    s->questions = NULL;
    s->question_count = 0;
    if (root == NULL || !json_is_array(root) || json_array_size(root) == 0 ||
        json_array_size(root) > PT_SURVEY_QUESTIONS_MAX) {
        json_decref(root);
        return pt_err_set(err, PT_EINVAL, "questions", "questions must be an array of 1 to %d",
                          PT_SURVEY_QUESTIONS_MAX);
    }
    s->question_count = (unsigned)json_array_size(root);
    s->questions = pt_arena_alloc(arena, s->question_count * sizeof(*s->questions));
    if (s->questions == NULL) {
        rc = pt_arena_err(arena, err);
    }
    for (i = 0; rc == PT_OK && i < s->question_count; i++) {
        rc = question_parse(json_array_get(root, i), i, arena, &s->questions[i], err);
        for (j = 0; rc == PT_OK && j < i; j++) {
            if (strcmp(s->questions[j].id, s->questions[i].id) == 0) {
                char at[64];
                (void)snprintf(at, sizeof(at), "questions.%u.id", i);
                rc = pt_err_set(err, PT_EINVAL, at, "%s repeats the id %s", at, s->questions[i].id);
            }
        }
    }
    json_decref(root);
    if (rc != PT_OK) {
        s->question_count = 0;
    }
    return rc;
}

/* Text being dumped into an arena, doubled as it grows. */
struct arena_text {
    struct pt_arena *arena;
    char *p;
    size_t len;
    size_t cap;
};

static int text_append(const char *buffer, size_t size, void *data)
{
    struct arena_text *t = data;
    if (t->len + size + 1 > t->cap) {
        size_t cap = 2 * (t->len + size + 1);
        char *p = pt_arena_alloc(t->arena, cap);
        if (p == NULL) {
            return -1;
        }
        if (t->len > 0) {
            memcpy(p, t->p, t->len);
        }
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->len, buffer, size);
    t->len += size;
    t->p[t->len] = '\0';
    return 0;
}

/* Dumps root (stolen) into the arena as compact text with sorted keys (through a callback:
 * jansson allocates nothing that outlives the call). */
static enum pt_rc dump(json_t *root, struct pt_arena *arena, const char **text, struct pt_err *err)
{
    struct arena_text t = {.arena = arena};
    int rc = root != NULL ? json_dump_callback(root, text_append, &t,
                                               JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
                          : -1;
    json_decref(root);
    *text = NULL;
    if (rc != 0 || t.p == NULL) {
        return pt_arena_failed(arena) ? pt_arena_err(arena, err)
                                      : pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    *text = t.p;
    return PT_OK;
}

enum pt_rc pt_survey_questions_text(const struct pt_survey *s, struct pt_arena *arena,
                                    const char **text, struct pt_err *err)
{
    json_t *root = json_array();
    unsigned i;
    unsigned k;
    for (i = 0; root != NULL && i < s->question_count; i++) {
        const struct pt_survey_question *q = &s->questions[i];
        json_t *one =
            json_pack("{s:s,s:s,s:s,s:b}", "id", q->id, "kind", pt_survey_kind_names[q->kind],
                      "text", q->text, "required", q->required);
        if (one != NULL && q->kind == PT_SURVEY_CHOICE) {
            json_t *opts = json_array();
            for (k = 0; k < q->option_count; k++) {
                (void)json_array_append_new(opts, json_string(q->options[k]));
            }
            (void)json_object_set_new(one, "options", opts);
            (void)json_object_set_new(one, "multiple", json_boolean(q->multiple));
        }
        if (one == NULL || json_array_append_new(root, one) != 0) {
            json_decref(root);
            root = NULL;
        }
    }
    return dump(root, arena, text, err);
}

enum pt_rc pt_survey_validate(const struct pt_survey *s, struct pt_err *err)
{
    enum pt_rc rc;
    if (s->name == NULL) {
        return pt_err_set(err, PT_EINVAL, "name", "name is required");
    }
    rc = pt_validate_text("name", s->name, PT_SURVEY_NAME_BYTES_MAX, err);
    if (rc == PT_OK && s->question_count == 0) {
        rc = pt_err_set(err, PT_EINVAL, "questions", "questions is required");
    }
    return rc;
}

bool pt_survey_status_move_ok(enum pt_survey_status from, enum pt_survey_status to)
{
    return from == to || (from == PT_SURVEY_DRAFT && to != PT_SURVEY_DRAFT) ||
           (from == PT_SURVEY_ACTIVE && to == PT_SURVEY_CLOSED);
}

/* A text answer: 1..PT_SURVEY_ANSWER_TEXT_BYTES_MAX bytes, not blank, no control characters
 * but line breaks and tabs. */
static bool answer_text_ok(const char *s, size_t len)
{
    bool blank = true;
    size_t i;
    if (len == 0 || len > PT_SURVEY_ANSWER_TEXT_BYTES_MAX) {
        return false;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f) {
            return false;
        }
        blank = blank && (c == ' ' || c == '\n' || c == '\r' || c == '\t');
    }
    return !blank;
}

/* The index of option s in q, or q->option_count. */
static unsigned option_of(const struct pt_survey_question *q, json_t *v)
{
    unsigned k;
    for (k = 0; json_is_string(v) && k < q->option_count; k++) {
        if (strcmp(q->options[k], json_string_value(v)) == 0) {
            return k;
        }
    }
    return q->option_count;
}

static enum pt_rc choice_parse(const struct pt_survey_question *q, json_t *v, const char *at,
                               struct pt_survey_answer *a, struct pt_err *err)
{
    size_t i;
    unsigned k;
    if (!q->multiple) {
        k = option_of(q, v);
        if (k == q->option_count) {
            return pt_err_set(err, PT_EINVAL, at, "%s must be one of the question's options", at);
        }
        a->choices = 1u << k;
        return PT_OK;
    }
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > q->option_count) {
        return pt_err_set(err, PT_EINVAL, at, "%s must be an array of the question's options", at);
    }
    for (i = 0; i < json_array_size(v); i++) {
        k = option_of(q, json_array_get(v, i));
        if (k == q->option_count || (a->choices & (1u << k)) != 0) {
            return pt_err_set(err, PT_EINVAL, at,
                              "%s must be an array of the question's options, each once", at);
        }
        a->choices |= 1u << k;
    }
    return PT_OK;
}

static enum pt_rc answer_parse(const struct pt_survey_question *q, json_t *v, const char *at,
                               struct pt_arena *arena, struct pt_survey_answer *a,
                               struct pt_err *err)
{
    int64_t lo = q->kind == PT_SURVEY_NPS ? 0 : 1;
    int64_t hi = q->kind == PT_SURVEY_NPS ? 10 : 5;
    switch (q->kind) {
    case PT_SURVEY_NPS:
    case PT_SURVEY_CSAT:
        if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
            return pt_err_set(err, PT_EINVAL, at, "%s must be an integer from %lld to %lld", at,
                              (long long)lo, (long long)hi);
        }
        a->value = json_integer_value(v);
        return PT_OK;
    case PT_SURVEY_CHOICE:
        return choice_parse(q, v, at, a, err);
    case PT_SURVEY_TEXT:
        if (!json_is_string(v) || !answer_text_ok(json_string_value(v), json_string_length(v))) {
            return pt_err_set(err, PT_EINVAL, at,
                              "%s must be 1 to %d bytes of text, not blank, without control "
                              "characters but line breaks and tabs",
                              at, PT_SURVEY_ANSWER_TEXT_BYTES_MAX);
        }
        a->text = pt_arena_strndup(arena, json_string_value(v), json_string_length(v));
        return a->text != NULL ? PT_OK : pt_arena_err(arena, err);
    }
    return pt_err_set(err, PT_EINTERNAL, NULL, "unknown question kind");
}

enum pt_rc pt_survey_answers_parse(const struct pt_survey *s, const char *text,
                                   struct pt_arena *arena, struct pt_survey_answers *out,
                                   struct pt_err *err)
{
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    const char *key;
    json_t *v;
    char at[64];
    unsigned i;
    enum pt_rc rc = PT_OK;
    memset(out, 0, sizeof(*out));
    out->nps = -1;
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return pt_err_set(err, PT_EINVAL, "answers",
                          "answers must be an object of question ids and answers");
    }
    json_object_foreach(root, key, v)
    {
        for (i = 0; i < s->question_count && strcmp(s->questions[i].id, key) != 0; i++) {
        }
        if (i == s->question_count) {
            (void)snprintf(at, sizeof(at), "answers.%.40s", key);
            json_decref(root);
            return pt_err_set(err, PT_EINVAL, at, "%s is not a question of this survey", at);
        }
    }
    out->items =
        pt_arena_alloc(arena, (s->question_count ? s->question_count : 1) * sizeof(*out->items));
    if (out->items == NULL) {
        rc = pt_arena_err(arena, err);
    }
    for (i = 0; rc == PT_OK && i < s->question_count; i++) {
        const struct pt_survey_question *q = &s->questions[i];
        struct pt_survey_answer *a = &out->items[out->count];
        v = json_object_get(root, q->id);
        (void)snprintf(at, sizeof(at), "answers.%s", q->id);
        if (v == NULL || json_is_null(v)) {
            if (q->required) {
                rc = pt_err_set(err, PT_EINVAL, at, "%s is required", at);
            }
            continue;
        }
        memset(a, 0, sizeof(*a));
        a->question = i;
        rc = answer_parse(q, v, at, arena, a, err);
        if (rc == PT_OK) {
            if (q->kind == PT_SURVEY_NPS && out->nps < 0) {
                out->nps = (int)a->value;
            }
            out->count++;
        }
    }
    json_decref(root);
    if (rc == PT_OK && out->count == 0) {
        rc = pt_err_set(err, PT_EINVAL, "answers", "answers must answer at least one question");
    }
    return rc;
}

enum pt_rc pt_survey_answers_text(const struct pt_survey *s, const struct pt_survey_answers *a,
                                  struct pt_arena *arena, const char **text, struct pt_err *err)
{
    json_t *root = json_object();
    unsigned i;
    unsigned k;
    for (i = 0; root != NULL && i < a->count; i++) {
        const struct pt_survey_answer *x = &a->items[i];
        const struct pt_survey_question *q = &s->questions[x->question];
        json_t *v = NULL;
        if (q->kind == PT_SURVEY_NPS || q->kind == PT_SURVEY_CSAT) {
            v = json_integer(x->value);
        } else if (q->kind == PT_SURVEY_TEXT) {
            v = json_string(x->text);
        } else if (!q->multiple) {
            for (k = 0; (x->choices & (1u << k)) == 0; k++) {
            }
            v = json_string(q->options[k]);
        } else {
            v = json_array();
            for (k = 0; k < q->option_count; k++) {
                if ((x->choices & (1u << k)) != 0) {
                    (void)json_array_append_new(v, json_string(q->options[k]));
                }
            }
        }
        if (v == NULL || json_object_set_new(root, q->id, v) != 0) {
            json_decref(root);
            root = NULL;
        }
    }
    return dump(root, arena, text, err);
}

int64_t pt_survey_round_div(int64_t num, int64_t den)
{
    int64_t mag = num < 0 ? -num : num;
    int64_t q = (2 * mag + den) / (2 * den);
    return num < 0 ? -q : q;
}

void pt_survey_nps(const int64_t dist[11], struct pt_nps_figures *out)
{
    int i;
    memset(out, 0, sizeof(*out));
    for (i = 0; i <= 10; i++) {
        out->responses += dist[i];
        if (i >= 9) {
            out->promoters += dist[i];
        } else if (i >= 7) {
            out->passives += dist[i];
        } else {
            out->detractors += dist[i];
        }
    }
    out->has_score = out->responses > 0;
    if (out->has_score) {
        out->nps_bp =
            pt_survey_round_div(10000 * (out->promoters - out->detractors), out->responses);
    }
}

void pt_survey_csat(const int64_t dist[5], struct pt_csat_figures *out)
{
    int64_t sum = 0;
    int i;
    memset(out, 0, sizeof(*out));
    for (i = 0; i < 5; i++) {
        out->responses += dist[i];
        sum += (int64_t)(i + 1) * dist[i];
    }
    out->satisfied = dist[3] + dist[4];
    out->has_score = out->responses > 0;
    if (out->has_score) {
        out->mean_hundredths = pt_survey_round_div(100 * sum, out->responses);
        out->csat_bp = pt_survey_round_div(10000 * out->satisfied, out->responses);
    }
}
