/* SPDX-License-Identifier: MIT */
/*
 * Goal: every member field is validated, each error names its field, and the limits hold at N
 * and fail at N+1.
 * Method: tables of good and bad values per validator; a fixed now_ms for dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/clock.h"
#include "core/member.h"

/* 2026-11-24T00:00:00Z */
#define NOW_MS (pt_days_from_civil(2026, 11, 24) * 86400000LL)

typedef enum pt_rc (*validator_fn)(const char *s, struct pt_err *err);

static void check_all(validator_fn fn, const char *field, const char *const *good,
                      const char *const *bad)
{
    struct pt_err err;
    size_t i;
    for (i = 0; good[i] != NULL; i++) {
        pt_err_clear(&err);
        if (fn(good[i], &err) != PT_OK) {
            fail_msg("%s: '%s' should be valid: %s", field, good[i], err.msg);
        }
    }
    for (i = 0; bad[i] != NULL; i++) {
        pt_err_clear(&err);
        if (fn(bad[i], &err) != PT_EINVAL) {
            fail_msg("%s: '%s' should be invalid", field, bad[i]);
        }
        assert_string_equal(err.field, field);
        assert_true(strlen(err.msg) > 10);
    }
}

static char *repeat(char *buf, char c, size_t n, const char *suffix)
{
    memset(buf, c, n);
    buf[n] = '\0';
    strncat(buf, suffix, 64);
    return buf;
}

static void test_pt_validate_email__good_bad_and_limits(void **state)
{
    static char local64[128];
    static char local65[128];
    static char total254[300];
    static char total255[300];
    const char *good[] = {"ada@example.com", "a.b+tag@sub.example.co.uk", local64, total254, NULL};
    const char *bad[] = {"",
                         "ada",
                         "ada@",
                         "@example.com",
                         "a@b@c.com",
                         "ada@example",
                         "ada @example.com",
                         "ada@.example.com",
                         "ada@ex..com",
                         "ada@example.com.",
                         local65,
                         total255,
                         "a\"b@x.com",
                         NULL};
    (void)state;
    repeat(local64, 'a', 64, "@example.com");
    repeat(local65, 'a', 65, "@example.com");
    /* 64 + 1 + 189 = 254 bytes: a domain of labels of 60 characters. */
    repeat(total254, 'a', 64, "@");
    memset(total254 + 65, 'b', 185);
    memcpy(total254 + 65 + 60, ".", 1);
    memcpy(total254 + 65 + 121, ".", 1);
    memcpy(total254 + 65 + 182, ".", 1);
    memcpy(total254 + 250, ".com", 5);
    assert_int_equal(strlen(total254), 254);
    memcpy(total255, total254, 255);
    memmove(total255 + 66, total255 + 65, 190);
    total255[65] = 'b';
    assert_int_equal(strlen(total255), 255);
    check_all(pt_validate_email, "email", good, bad);
}

static void test_pt_validate_phone__e164(void **state)
{
    const char *good[] = {"+4915112345678", "+1234567", "+123456789012345", NULL};
    const char *bad[] = {"",
                         "4915112345678",
                         "+0151123456",
                         "+123456",
                         "+1234567890123456",
                         "+49 151 123",
                         "+49-151-1234",
                         "++491511234",
                         NULL};
    (void)state;
    check_all(pt_validate_phone, "phone", good, bad);
}

static enum pt_rc birth_date_now(const char *s, struct pt_err *err)
{
    return pt_validate_birth_date(s, NOW_MS, err);
}

static void test_pt_validate_birth_date__calendar_and_range(void **state)
{
    const char *good[] = {"2000-02-29", "1990-12-10", "1900-01-01", "2026-11-24", NULL};
    const char *bad[] = {"1900-02-29", "2023-02-29", "2000-13-01", "2000-00-10", "2000-01-00",
                         "2000-04-31", "1899-12-31", "2026-11-25", "2030-01-01", "20000-01-01",
                         "2000/01/01", "2000-1-01",  "",           NULL};
    (void)state;
    check_all(birth_date_now, "birth_date", good, bad);
}

static void test_pt_validate_gender_locale_country(void **state)
{
    const char *genders_good[] = {"female", "male", "nonbinary", "other", "undisclosed", NULL};
    const char *genders_bad[] = {"", "Female", "f", "unknown", NULL};
    const char *locales_good[] = {"en", "de-CH", "pt-BR", "zh-Hant-TW", "sr-Latn", NULL};
    const char *locales_bad[] = {"",   "e",    "english",           "en_US", "en-", "-en", "en-US-",
                                 "12", "en-a", "aaaaaaaaaaaaaaaaa", NULL};
    const char *countries_good[] = {"DE", "GB", "US", "JP", "ZW", "AX", NULL};
    const char *countries_bad[] = {"", "de", "XX", "UK", "DEU", "D", NULL};
    (void)state;
    check_all(pt_validate_gender, "gender", genders_good, genders_bad);
    check_all(pt_validate_locale, "locale", locales_good, locales_bad);
    check_all(pt_validate_country, "country", countries_good, countries_bad);
    assert_int_equal(strlen("aaaaaaaaaaaaaaaaa"), PT_LOCALE_BYTES_MAX + 1);
}

static enum pt_rc first_name_text(const char *s, struct pt_err *err)
{
    return pt_validate_text("first_name", s, PT_NAME_BYTES_MAX, err);
}

static void test_pt_validate_text__limits_and_controls(void **state)
{
    static char n100[128];
    static char n101[128];
    const char *good[] = {"Ada", "José María", "李", n100, NULL};
    const char *bad[] = {"", "   ", "Ada\n", "A\tda", "\x7f", n101, NULL};
    (void)state;
    repeat(n100, 'x', 100, "");
    repeat(n101, 'x', 101, "");
    check_all(first_name_text, "first_name", good, bad);
}

static void test_pt_validate_external_id__limits(void **state)
{
    static char e128[200];
    static char e129[200];
    const char *good[] = {"CRM-42", "a", e128, NULL};
    const char *bad[] = {"", "with space", "tab\t", "é", e129, NULL};
    (void)state;
    repeat(e128, 'e', 128, "");
    repeat(e129, 'e', 129, "");
    check_all(pt_validate_external_id, "external_id", good, bad);
}

static void test_pt_member_status__names_round_trip(void **state)
{
    const enum pt_member_status all[] = {PT_MEMBER_ACTIVE, PT_MEMBER_SUSPENDED, PT_MEMBER_CLOSED};
    enum pt_member_status out;
    struct pt_err err;
    size_t i;
    (void)state;
    for (i = 0; i < 3; i++) {
        assert_int_equal(pt_member_status_parse(pt_member_status_name(all[i]), &out, &err), PT_OK);
        assert_int_equal(out, all[i]);
    }
    assert_int_equal(pt_member_status_parse("deleted", &out, &err), PT_EINVAL);
    assert_string_equal(err.field, "status");
}

static void test_pt_email_normalize__lowercases(void **state)
{
    char email[] = "Ada.Lovelace@Example.COM";
    (void)state;
    pt_email_normalize(email);
    assert_string_equal(email, "ada.lovelace@example.com");
}

static void test_pt_member_validate__first_bad_field_and_attributes_limit(void **state)
{
    static char attrs[PT_ATTRIBUTES_BYTES_MAX + 2];
    struct pt_member m;
    struct pt_err err;
    (void)state;
    memset(&m, 0, sizeof(m));
    m.attributes_json = "{}";
    m.email = "ada@example.com";
    m.country = "DE";
    assert_int_equal(pt_member_validate(&m, NOW_MS, &err), PT_OK);
    m.phone = "12345";
    m.country = "XX";
    assert_int_equal(pt_member_validate(&m, NOW_MS, &err), PT_EINVAL);
    assert_string_equal(err.field, "phone");
    m.phone = NULL;
    assert_int_equal(pt_member_validate(&m, NOW_MS, &err), PT_EINVAL);
    assert_string_equal(err.field, "country");
    m.country = NULL;
    memset(attrs, 'a', PT_ATTRIBUTES_BYTES_MAX);
    attrs[PT_ATTRIBUTES_BYTES_MAX] = '\0';
    m.attributes_json = attrs;
    assert_int_equal(pt_member_validate(&m, NOW_MS, &err), PT_OK);
    attrs[PT_ATTRIBUTES_BYTES_MAX] = 'a';
    attrs[PT_ATTRIBUTES_BYTES_MAX + 1] = '\0';
    assert_int_equal(pt_member_validate(&m, NOW_MS, &err), PT_EINVAL);
    assert_string_equal(err.field, "attributes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pt_validate_email__good_bad_and_limits),
        cmocka_unit_test(test_pt_validate_phone__e164),
        cmocka_unit_test(test_pt_validate_birth_date__calendar_and_range),
        cmocka_unit_test(test_pt_validate_gender_locale_country),
        cmocka_unit_test(test_pt_validate_text__limits_and_controls),
        cmocka_unit_test(test_pt_validate_external_id__limits),
        cmocka_unit_test(test_pt_member_status__names_round_trip),
        cmocka_unit_test(test_pt_email_normalize__lowercases),
        cmocka_unit_test(test_pt_member_validate__first_bad_field_and_attributes_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
