/* SPDX-License-Identifier: MIT */
/*
 * Goal: a field table validates the object it describes: each INT at its min and max passes
 * and one past either side is refused naming the field, a TEXT past its bytes or missing when
 * not nullable is refused, BOOL, OBJECT and CUSTOM entries are not judged; the key of a member
 * is the part after its object's name. The kinds the nouns' tables added: an ENUM outside its
 * names, a nullable INT (by its null value or its flag) and an INT's own refusal, a list of
 * NAMES at N and N+1 names and bytes, a TEXT's own check (given the time), fields with an own
 * rule or read-only left alone, and pt_fields_clear's absent values; pt_discount_validate
 * refuses a reward's and a batch's discount with their own field names.
 * Method: small structs described by tables, their fields set at N and N+1 of each limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "core/fields.h"
#include "core/reward.h"

struct sample {
    int64_t count;
    int64_t inner_days;
    bool flag;
    const char *name;
    const char *note;
};

static const struct pt_field sample_fields[] = {
    {.name = "name", .type = PT_FIELD_TEXT, .offset = offsetof(struct sample, name), .max = 5},
    {.name = "count",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct sample, count),
     .min = 1,
     .max = 10},
    {.name = "inner", .type = PT_FIELD_OBJECT, .shape = "inner is {\"days\": N}"},
    {.name = "inner.days",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct sample, inner_days),
     .max = 7,
     .required = true},
    {.name = "flag", .type = PT_FIELD_BOOL, .offset = offsetof(struct sample, flag)},
    {.name = "note",
     .type = PT_FIELD_TEXT,
     .offset = offsetof(struct sample, note),
     .max = 3,
     .nullable = true},
    {.name = "custom", .type = PT_FIELD_CUSTOM},
};
#define SAMPLE_N (sizeof(sample_fields) / sizeof(sample_fields[0]))

static struct sample valid(void)
{
    struct sample s = {1, 0, false, "abc", NULL};
    return s;
}

static void test_pt_fields_validate__int_limits(void **state)
{
    struct sample s = valid();
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_OK);
    s.count = 10;
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_OK);
    s.count = 11;
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_EINVAL);
    assert_string_equal(err.field, "count");
    s.count = 0;
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_EINVAL);
    s = valid();
    s.inner_days = 7;
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_OK);
    s.inner_days = 8;
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_EINVAL);
    assert_string_equal(err.field, "inner.days");
}

static void test_pt_fields_validate__text(void **state)
{
    struct sample s = valid();
    struct pt_err err;
    (void)state;
    s.name = "abcde";
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_OK);
    s.name = "abcdef";
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_EINVAL);
    assert_string_equal(err.field, "name");
    s.name = NULL;
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_EINVAL);
    s = valid();
    s.note = "xyz";
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_OK);
    s.note = "wxyz";
    assert_int_equal(pt_fields_validate(sample_fields, SAMPLE_N, &s, &err), PT_EINVAL);
    assert_string_equal(err.field, "note");
}

static void test_pt_field_key__member_and_top(void **state)
{
    (void)state;
    assert_string_equal(pt_field_key(&sample_fields[3]), "days");
    assert_true(pt_field_is_member(&sample_fields[3]));
    assert_string_equal(pt_field_key(&sample_fields[1]), "count");
    assert_false(pt_field_is_member(&sample_fields[1]));
}

enum colour { RED, GREEN, COLOURS };
static const char *const colour_names[COLOURS] = {"red", "green"};

struct kinds {
    int colour; /* enum colour */
    int64_t limit;
    bool has_stock;
    int64_t stock;
    int64_t days;
    const char *const *tags;
    unsigned tag_count;
    const char *code;
    const char *free_text;
    int64_t from_ms;
    int64_t seen;
};

/* A code is "ok" before the time 100 and refused after it. */
static enum pt_rc code_check(const char *s, int64_t now_ms, struct pt_err *err)
{
    if (strcmp(s, "ok") != 0 || now_ms > 100) {
        return pt_err_set(err, PT_EINVAL, "code", "code is ok");
    }
    return PT_OK;
}

static const struct pt_field kind_fields[] = {
    {.name = "colour",
     .type = PT_FIELD_ENUM,
     .offset = offsetof(struct kinds, colour),
     .names = colour_names,
     .count = COLOURS,
     .shape = "colour is red or green"},
    {.name = "limit",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct kinds, limit),
     .min = 1,
     .max = 9,
     .nullable = true,
     .null_value = 0,
     .message = "%s is null or up to %lld"},
    {.name = "stock",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct kinds, stock),
     .max = 5,
     .nullable = true,
     .flagged = true,
     .flag_offset = offsetof(struct kinds, has_stock)},
    {.name = "days",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct kinds, days),
     .min = 1,
     .max = 3,
     .message = "%s is 1 to %lld"},
    {.name = "tags",
     .type = PT_FIELD_NAMES,
     .offset = offsetof(struct kinds, tags),
     .count_offset = offsetof(struct kinds, tag_count),
     .count = 2,
     .max = 3,
     .shape = "tags is a list",
     .message = "tags holds names"},
    {.name = "code",
     .type = PT_FIELD_TEXT,
     .offset = offsetof(struct kinds, code),
     .nullable = true,
     .check = code_check},
    {.name = "free_text",
     .type = PT_FIELD_TEXT,
     .offset = offsetof(struct kinds, free_text),
     .max = 1,
     .own_rule = true},
    {.name = "from",
     .type = PT_FIELD_TIME,
     .offset = offsetof(struct kinds, from_ms),
     .null_value = INT64_MIN},
    {.name = "seen",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct kinds, seen),
     .min = 1,
     .max = 1,
     .read_only = true},
};
#define KIND_N (sizeof(kind_fields) / sizeof(kind_fields[0]))

static struct kinds kinds_valid(void)
{
    static const char *const two[] = {"abc", "d"};
    struct kinds k;
    memset(&k, 0, sizeof(k));
    k.colour = GREEN;
    k.days = 3;
    k.tags = two;
    k.tag_count = 2;
    k.free_text = "anything, unchecked";
    k.seen = 42; /* read-only: never judged */
    return k;
}

static void expect_refused(const struct kinds *k, const char *field, const char *msg)
{
    struct pt_err err;
    pt_err_clear(&err);
    assert_int_equal(pt_fields_validate_at(kind_fields, KIND_N, k, 0, &err), PT_EINVAL);
    assert_string_equal(err.field, field);
    assert_string_equal(err.msg, msg);
}

static void test_pt_fields_validate__enum_names(void **state)
{
    struct kinds k = kinds_valid();
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_fields_validate(kind_fields, KIND_N, &k, &err), PT_OK);
    k.colour = COLOURS;
    expect_refused(&k, "colour", "colour is red or green");
    k.colour = -1;
    expect_refused(&k, "colour", "colour is red or green");
}

static void test_pt_fields_validate__nullable_int_and_message(void **state)
{
    struct kinds k = kinds_valid();
    struct pt_err err;
    (void)state;
    k.limit = 9; /* 0 is null; 1..9 */
    assert_int_equal(pt_fields_validate(kind_fields, KIND_N, &k, &err), PT_OK);
    k.limit = 10;
    expect_refused(&k, "limit", "limit is null or up to 9");
    k = kinds_valid();
    k.stock = 99; /* no stock: the flag says null, whatever the value */
    assert_int_equal(pt_fields_validate(kind_fields, KIND_N, &k, &err), PT_OK);
    k.has_stock = true;
    k.stock = 5;
    assert_int_equal(pt_fields_validate(kind_fields, KIND_N, &k, &err), PT_OK);
    k.stock = 6;
    expect_refused(&k, "stock", "stock must be from 0 to 5");
    k = kinds_valid();
    k.days = 4;
    expect_refused(&k, "days", "days is 1 to 3");
    k.days = 0;
    expect_refused(&k, "days", "days is 1 to 3");
}

static void test_pt_fields_validate__names(void **state)
{
    static const char *const three[] = {"a", "b", "c"};
    static const char *const long_one[] = {"abcd"};
    static const char *const two_lines[] = {"a\nb"};
    static const char *const empty[] = {""};
    struct kinds k = kinds_valid();
    struct pt_err err;
    (void)state;
    k.tag_count = 0;
    assert_int_equal(pt_fields_validate(kind_fields, KIND_N, &k, &err), PT_OK);
    k.tags = three;
    k.tag_count = 3;
    expect_refused(&k, "tags", "tags is a list");
    k.tags = long_one;
    k.tag_count = 1;
    expect_refused(&k, "tags", "tags holds names");
    k.tags = two_lines;
    expect_refused(&k, "tags", "tags holds names");
    k.tags = empty;
    expect_refused(&k, "tags", "tags holds names");
}

static void test_pt_fields_validate__text_check_and_own_rule(void **state)
{
    struct kinds k = kinds_valid();
    struct pt_err err;
    (void)state;
    k.code = "ok";
    assert_int_equal(pt_fields_validate_at(kind_fields, KIND_N, &k, 100, &err), PT_OK);
    assert_int_equal(pt_fields_validate_at(kind_fields, KIND_N, &k, 101, &err), PT_EINVAL);
    assert_string_equal(err.field, "code");
    k.code = "no";
    expect_refused(&k, "code", "code is ok");
    k = kinds_valid();
    k.free_text = NULL; /* not nullable, but its noun's rule, not the table's */
    assert_int_equal(pt_fields_validate(kind_fields, KIND_N, &k, &err), PT_OK);
}

static void test_pt_fields_clear__absent_values(void **state)
{
    struct kinds k = kinds_valid();
    (void)state;
    k.has_stock = true;
    k.limit = 3;
    k.from_ms = 5;
    k.code = "ok";
    pt_fields_clear(kind_fields, KIND_N, &k);
    assert_false(k.has_stock);
    assert_int_equal(k.limit, 0);
    assert_true(k.from_ms == INT64_MIN);
    assert_null(k.code);
    assert_null(k.tags);
    assert_int_equal(k.tag_count, 0);
    assert_int_equal(k.seen, 42); /* read-only: left alone */
}

static void test_pt_discount_validate__field_names_per_noun(void **state)
{
    static const struct pt_discount_rule reward = {
        .prefix = "", .noun = " reward", .amount_max = 10};
    static const struct pt_discount_rule batch = {.prefix = "discount.",
                                                  .noun = "",
                                                  .amount_max = 20,
                                                  .others_field = "discount.type",
                                                  .others_refused = "not a discount"};
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_discount_validate(&reward, PT_REWARD_DISCOUNT_AMOUNT, 10, NULL, &err),
                     PT_OK);
    assert_int_equal(pt_discount_validate(&reward, PT_REWARD_DISCOUNT_AMOUNT, 11, NULL, &err),
                     PT_EINVAL);
    assert_string_equal(err.field, "value");
    assert_string_equal(err.msg, "a discount_amount reward takes value: minor units off, >= 1");
    assert_int_equal(pt_discount_validate(&batch, PT_REWARD_DISCOUNT_AMOUNT, 20, NULL, &err),
                     PT_OK);
    assert_int_equal(pt_discount_validate(&batch, PT_REWARD_DISCOUNT_PERCENT, 10001, NULL, &err),
                     PT_EINVAL);
    assert_string_equal(err.field, "discount.value");
    assert_int_equal(pt_discount_validate(&batch, PT_REWARD_FREE_PRODUCT, 0, NULL, &err),
                     PT_EINVAL);
    assert_string_equal(err.field, "discount.sku");
    assert_string_equal(err.msg, "a free_product names its sku");
    assert_int_equal(pt_discount_validate(&reward, PT_REWARD_GIFT, 0, NULL, &err), PT_OK);
    assert_int_equal(pt_discount_validate(&batch, PT_REWARD_GIFT, 0, NULL, &err), PT_EINVAL);
    assert_string_equal(err.field, "discount.type");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_fields_validate__int_limits),
        PT_TEST(test_pt_fields_validate__text),
        PT_TEST(test_pt_field_key__member_and_top),
        PT_TEST(test_pt_fields_validate__enum_names),
        PT_TEST(test_pt_fields_validate__nullable_int_and_message),
        PT_TEST(test_pt_fields_validate__names),
        PT_TEST(test_pt_fields_validate__text_check_and_own_rule),
        PT_TEST(test_pt_fields_clear__absent_values),
        PT_TEST(test_pt_discount_validate__field_names_per_noun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
