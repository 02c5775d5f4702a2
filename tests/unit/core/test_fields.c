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
    {"name", PT_FIELD_TEXT, offsetof(struct sample, name), 0, 5, false, false, NULL},
    {"count", PT_FIELD_INT, offsetof(struct sample, count), 1, 10, false, false, NULL},
    {"inner", PT_FIELD_OBJECT, 0, 0, 0, false, false, "inner is {\"days\": N}"},
    {"inner.days", PT_FIELD_INT, offsetof(struct sample, inner_days), 0, 7, true, false, NULL},
    {"flag", PT_FIELD_BOOL, offsetof(struct sample, flag), 0, 0, false, false, NULL},
    {"note", PT_FIELD_TEXT, offsetof(struct sample, note), 0, 3, false, true, NULL},
    {"custom", PT_FIELD_CUSTOM, 0, 0, 0, false, false, NULL},
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
