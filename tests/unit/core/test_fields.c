/* SPDX-License-Identifier: MIT */
/*
 * Goal: a field table validates the object it describes: each INT at its min and max passes
 * and one past either side is refused naming the field, a TEXT past its bytes or missing when
 * not nullable is refused, BOOL, OBJECT and CUSTOM entries are not judged; the key of a member
 * is the part after its object's name.
 * Method: a small struct described by a table, its fields set at N and N+1 of each limit.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_fields_validate__int_limits),
        PT_TEST(test_pt_fields_validate__text),
        PT_TEST(test_pt_field_key__member_and_top),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
