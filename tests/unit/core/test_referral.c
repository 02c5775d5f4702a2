/* SPDX-License-Identifier: MIT */
/*
 * Goal: a member cannot refer itself under another address: the same email without its +tag
 * in any case, or the same phone, is one person; other members are not.
 * Method: pairs of members by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "core/referral.h"

static bool same(const char *email_a, const char *phone_a, const char *email_b, const char *phone_b)
{
    struct pt_member a;
    struct pt_member b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    a.email = email_a;
    a.phone = phone_a;
    b.email = email_b;
    b.phone = phone_b;
    return pt_referral_same_person(&a, &b);
}

static void test_pt_referral_same_person__email_tag_case_and_phone(void **state)
{
    (void)state;
    assert_true(same("ann@x.org", NULL, "ann@x.org", NULL));
    assert_true(same("Ann+ref@X.org", NULL, "ann@x.org", NULL));
    assert_true(same("ann+a@x.org", NULL, "ann+b@x.org", NULL));
    assert_false(same("ann@x.org", NULL, "anne@x.org", NULL));
    assert_false(same("a+b@x.org", NULL, "a@y.org", NULL));
    assert_true(same(NULL, "+4915112345678", "bob@x.org", "+4915112345678"));
    assert_false(same(NULL, "+4915112345678", NULL, "+4915112345679"));
    assert_false(same(NULL, NULL, NULL, NULL));
}

static void test_pt_referral_refuse__code_and_field(void **state)
{
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_referral_refuse(&err, "self_referral", "a member cannot refer itself"),
                     PT_ELIMIT);
    assert_string_equal(err.code, "self_referral");
    assert_string_equal(err.field, "referred_by");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_referral_same_person__email_tag_case_and_phone),
        PT_TEST(test_pt_referral_refuse__code_and_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
