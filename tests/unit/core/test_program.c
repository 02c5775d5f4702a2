/* SPDX-License-Identifier: MIT */
/*
 * Goal: the program's settings table (core/program.c) is well formed (names unique, a member
 * right after its object or a sibling, in the API's order), and pt_program_validate takes a
 * program exactly within its bounds: every INT field of the table at its min and max and one
 * past either side, expiry, the currency, the return window with hold_returnable, referrals,
 * the excluded categories' count and bytes, each refusal naming its field.
 * Method: one valid program changed one setting at a time; the INT fields are walked from the
 * table itself, so that a field added to it is tested too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "core/program.h"

static void program_init(struct pt_program *p)
{
    memset(p, 0, sizeof(*p));
    p->name = "Coffee club";
    memcpy(p->currency, "EUR", 4);
    p->earn_points = 1;
    p->earn_per_amount = 100;
    p->point_cost_amount = 1;
    p->point_cost_points = 100;
    p->return_days = 30;
    p->hold_returnable = true;
    p->points_payment.min_points = 1;
    p->points_payment.max_percent = 100;
    p->points_payment.multiple = 1;
    p->clv_discount_rate_bp = 1000;
}

/* Validates p; the field named by a refusal, "" when valid. */
static enum pt_rc validate(const struct pt_program *p, const char *field)
{
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    rc = pt_program_validate(p, &err);
    assert_string_equal(err.field, rc == PT_OK ? "" : field);
    return rc;
}

static void set_int(struct pt_program *p, const struct pt_field *f, int64_t v)
{
    memcpy((char *)p + f->offset, &v, sizeof(v));
}

static void test_pt_program_fields__well_formed(void **state)
{
    size_t i;
    size_t j;
    (void)state;
    assert_string_equal(pt_program_fields[0].name, "name");
    assert_string_equal(pt_program_fields[pt_program_field_count - 1].name, "clv_discount_rate_bp");
    for (i = 0; i < pt_program_field_count; i++) {
        const struct pt_field *f = &pt_program_fields[i];
        for (j = 0; j < i; j++) {
            assert_true(strcmp(pt_program_fields[j].name, f->name) != 0);
        }
        if (pt_field_is_member(f)) {
            /* Its object, or a member of it, comes right before. */
            const char *prev = pt_program_fields[i - 1].name;
            size_t object_len = (size_t)(pt_field_key(f) - f->name) - 1;
            assert_int_equal(strncmp(prev, f->name, object_len), 0);
        }
        if (f->type == PT_FIELD_INT) {
            assert_true(f->min <= f->max);
        }
    }
}

static void test_pt_program_validate__every_int_field_at_n_and_n_plus_1(void **state)
{
    struct pt_program p;
    size_t i;
    (void)state;
    program_init(&p);
    assert_int_equal(validate(&p, ""), PT_OK);
    for (i = 0; i < pt_program_field_count; i++) {
        const struct pt_field *f = &pt_program_fields[i];
        if (f->type != PT_FIELD_INT) {
            continue;
        }
        program_init(&p);
        p.hold_returnable = false; /* return_days 0 is then allowed. */
        set_int(&p, f, f->max);
        assert_int_equal(validate(&p, f->name), PT_OK);
        set_int(&p, f, f->max + 1);
        assert_int_equal(validate(&p, f->name), PT_EINVAL);
        set_int(&p, f, f->min);
        assert_int_equal(validate(&p, f->name), PT_OK);
        set_int(&p, f, f->min - 1);
        assert_int_equal(validate(&p, f->name), PT_EINVAL);
    }
}

static void test_pt_program_validate__custom_settings(void **state)
{
    struct pt_program p;
    (void)state;
    program_init(&p);
    memcpy(p.currency, "eur", 4);
    assert_int_equal(validate(&p, "currency"), PT_EINVAL);
    assert_false(pt_program_currency_valid("EU"));
    assert_true(pt_program_currency_valid("JPY"));
    program_init(&p);
    p.expiry_months = PT_EXPIRY_MONTHS_MAX;
    assert_int_equal(validate(&p, ""), PT_OK);
    p.expiry_months = PT_EXPIRY_MONTHS_MAX + 1;
    assert_int_equal(validate(&p, "expiry.months"), PT_EINVAL);
    program_init(&p);
    p.return_days = 0;
    assert_int_equal(validate(&p, "return_days"), PT_EINVAL);
    p.hold_returnable = false;
    assert_int_equal(validate(&p, ""), PT_OK);
    program_init(&p);
    p.tiers.metric = PT_TIER_METRIC_SPEND; /* ... without levels */
    assert_int_equal(validate(&p, "tiers.levels"), PT_EINVAL);
}

static void test_pt_program_validate__referrals_at_n_and_n_plus_1(void **state)
{
    struct pt_program p;
    (void)state;
    program_init(&p);
    p.referrals.enabled = true;
    p.referrals.within_days = 1;
    p.referrals.referrer_points = PT_POINTS_MAX;
    assert_int_equal(validate(&p, ""), PT_OK);
    p.referrals.referrer_points = PT_POINTS_MAX + 1;
    assert_int_equal(validate(&p, "referrals"), PT_EINVAL);
    p.referrals.referrer_points = 0;
    p.referrals.referee_wallet = PT_MEMBER_WALLET_MINOR_MAX + 1;
    assert_int_equal(validate(&p, "referrals"), PT_EINVAL);
    p.referrals.referee_wallet = -1;
    assert_int_equal(validate(&p, "referrals"), PT_EINVAL);
    p.referrals.referee_wallet = 0;
    p.referrals.within_days = 0;
    assert_int_equal(validate(&p, "referrals"), PT_EINVAL);
    p.referrals.enabled = false; /* A disabled policy is not judged. */
    assert_int_equal(validate(&p, ""), PT_OK);
}

static void test_pt_program_validate__categories_at_n_and_n_plus_1(void **state)
{
    static char longest[PT_CATEGORY_BYTES_MAX + 2];
    const char *names[PT_CATEGORIES_MAX + 1];
    struct pt_program p;
    struct pt_err err;
    unsigned i;
    (void)state;
    memset(longest, 'c', PT_CATEGORY_BYTES_MAX);
    longest[PT_CATEGORY_BYTES_MAX] = '\0';
    for (i = 0; i <= PT_CATEGORIES_MAX; i++) {
        names[i] = longest;
    }
    program_init(&p);
    p.excluded_categories = names;
    p.excluded_category_count = PT_CATEGORIES_MAX;
    assert_int_equal(validate(&p, ""), PT_OK);
    p.excluded_category_count = PT_CATEGORIES_MAX + 1;
    assert_int_equal(validate(&p, "excluded_categories"), PT_EINVAL);
    p.excluded_category_count = 2;
    names[1] = "to\nbacco";
    assert_int_equal(validate(&p, "excluded_categories.1"), PT_EINVAL);
    names[1] = longest;
    longest[PT_CATEGORY_BYTES_MAX] = 'c';
    assert_int_equal(validate(&p, "excluded_categories.0"), PT_EINVAL);
    assert_int_equal(pt_program_category_check(3, NULL, &err), PT_EINVAL);
    assert_string_equal(err.field, "excluded_categories.3");
}

static void test_pt_enrollment_check__each_setting(void **state)
{
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_enrollment_check(PT_ENROLLMENT_OPEN, false, &err), PT_OK);
    assert_int_equal(pt_enrollment_check(PT_ENROLLMENT_OPEN, true, &err), PT_OK);
    assert_int_equal(pt_enrollment_check(PT_ENROLLMENT_INVITATION, true, &err), PT_OK);
    assert_int_equal(pt_enrollment_check(PT_ENROLLMENT_INVITATION, false, &err), PT_EINVAL);
    assert_string_equal(err.field, "invitation_code");
    assert_int_equal(pt_enrollment_check(PT_ENROLLMENT_CLOSED, true, &err), PT_EFORBIDDEN);
    assert_string_equal(err.code, "enrollment_closed");
    assert_string_equal(pt_enrollment_names[PT_ENROLLMENT_INVITATION], "invitation");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_program_fields__well_formed),
        PT_TEST(test_pt_program_validate__every_int_field_at_n_and_n_plus_1),
        PT_TEST(test_pt_program_validate__custom_settings),
        PT_TEST(test_pt_program_validate__referrals_at_n_and_n_plus_1),
        PT_TEST(test_pt_program_validate__categories_at_n_and_n_plus_1),
        PT_TEST(test_pt_enrollment_check__each_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
