/* SPDX-License-Identifier: MIT */
/*
 * Goal: every member field is validated as documented in member.h and docs/openapi.yaml, each
 * error carries PT_EINVAL and names its field, and every limit holds at N and fails at N+1.
 * Method: tables of good and bad values per validator (each bad value checked for err.rc,
 * err.field and a message); values built to the exact byte at each limit; a fixed now_ms for
 * dates, including one before 1970; pt_member_validate with every field bad, fixed one at a
 * time in the API's field order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/clock.h"
#include "core/member.h"

#define DAY_MS INT64_C(86400000)
/* 2026-11-24T12:34:56.789Z: mid-day, so that "today" must be compared as a date. */
#define NOW_MS (pt_days_from_civil(2026, 11, 24) * DAY_MS + 45296789)

typedef enum pt_rc (*validator_fn)(const char *s, struct pt_err *err);

/* Asserts that fn accepts s. */
static void expect_good(validator_fn fn, const char *field, const char *s)
{
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    rc = fn(s, &err);
    if (rc != PT_OK) {
        fail_msg("%s: '%s' should be valid, got %s: %s", field, s, pt_rc_name(rc), err.msg);
    }
}

/* Asserts that fn refuses s with PT_EINVAL naming field and saying why. */
static void expect_bad(validator_fn fn, const char *field, const char *s)
{
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    rc = fn(s, &err);
    if (rc != PT_EINVAL || err.rc != PT_EINVAL) {
        fail_msg("%s: '%s' should be invalid, got %s (err.rc %s)", field, s, pt_rc_name(rc),
                 pt_rc_name(err.rc));
    }
    if (strcmp(err.field, field) != 0) {
        fail_msg("%s: '%s' reported field '%s'", field, s, err.field);
    }
    if (strlen(err.msg) < 10) {
        fail_msg("%s: '%s' has no useful message: '%s'", field, s, err.msg);
    }
}

static void check_all(validator_fn fn, const char *field, const char *const *good,
                      const char *const *bad)
{
    size_t i;
    for (i = 0; good[i] != NULL; i++) {
        expect_good(fn, field, good[i]);
    }
    for (i = 0; bad[i] != NULL; i++) {
        expect_bad(fn, field, bad[i]);
    }
}

/* Writes n copies of c at buf and a NUL; returns buf. */
static char *repeat(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

/*
 * Writes an address of exactly total bytes with a local part of local bytes: 'a' * local, '@',
 * then labels of 'b' of at most 60 characters ending in ".com". Returns buf.
 */
static char *make_email(char *buf, size_t local, size_t total)
{
    size_t labels = total - local - 1 - 4;
    size_t i;
    memset(buf, 'a', local);
    buf[local] = '@';
    for (i = 0; i < labels; i++) {
        buf[local + 1 + i] = (i % 61 == 60 && i + 1 < labels) ? '.' : 'b';
    }
    memcpy(buf + local + 1 + labels, ".com", 5);
    assert_int_equal(strlen(buf), total);
    return buf;
}

/* ---- email ---- */

static void test_pt_validate_email__good_values(void **state)
{
    const char *const good[] = {"ada@example.com",
                                "a.b+tag@sub.example.co.uk",
                                "x@y.de",
                                "ADA@EXAMPLE.COM",
                                "o'brien@example.ie",
                                "first_last-1@my-host.example",
                                "user%host@example.org",
                                NULL};
    const char *const bad[] = {NULL};
    (void)state;
    check_all(pt_validate_email, "email", good, bad);
}

static void test_pt_validate_email__bad_values(void **state)
{
    const char *const good[] = {NULL};
    const char *const bad[] = {"",
                               "ada",
                               "ada@",
                               "@example.com",
                               "a@b@c.com",
                               "a@@example.com",
                               "ada@example",
                               "a@b",
                               "ada @example.com",
                               " ada@example.com",
                               "ada@example.com ",
                               "ada@exa mple.com",
                               "ada@.example.com",
                               "ada@ex..com",
                               "ada@example.com.",
                               "ada@-example.com",
                               "a\"b@example.com",
                               "a<b@example.com",
                               "a>b@example.com",
                               "a(b)@example.com",
                               "a,b@example.com",
                               "a:b@example.com",
                               "a;b@example.com",
                               "a[b]@example.com",
                               "a\\b@example.com",
                               "a\tb@example.com",
                               "a\nb@example.com",
                               "a\x7f@example.com",
                               "ada@example.com\r",
                               NULL};
    (void)state;
    check_all(pt_validate_email, "email", good, bad);
}

static void test_pt_validate_email__local_part_64_ok_65_bad(void **state)
{
    char buf[300];
    (void)state;
    assert_int_equal(PT_EMAIL_LOCAL_BYTES_MAX, 64);
    expect_good(pt_validate_email, "email", make_email(buf, 64, 64 + 1 + 11));
    expect_bad(pt_validate_email, "email", make_email(buf, 65, 65 + 1 + 11));
}

static void test_pt_validate_email__total_254_ok_255_bad(void **state)
{
    char buf[300];
    (void)state;
    assert_int_equal(PT_EMAIL_BYTES_MAX, 254);
    expect_good(pt_validate_email, "email", make_email(buf, 64, 254));
    expect_good(pt_validate_email, "email", make_email(buf, 1, 254));
    expect_bad(pt_validate_email, "email", make_email(buf, 64, 255));
    expect_bad(pt_validate_email, "email", make_email(buf, 1, 255));
}

static void test_pt_email_normalize__lowercases_ascii_only(void **state)
{
    char mixed[] = "Ada.Lovelace@Example.COM";
    char lower[] = "ada@example.com";
    char symbols[] = "A+B_1-Z@X-Y.ORG";
    char utf8[] = "\xc3\x84"
                  "DA@X.DE"; /* "ÄDA@X.DE": the UTF-8 bytes are left alone. */
    char empty[] = "";
    (void)state;
    pt_email_normalize(mixed);
    assert_string_equal(mixed, "ada.lovelace@example.com");
    pt_email_normalize(lower);
    assert_string_equal(lower, "ada@example.com");
    pt_email_normalize(symbols);
    assert_string_equal(symbols, "a+b_1-z@x-y.org");
    pt_email_normalize(utf8);
    assert_string_equal(utf8, "\xc3\x84"
                              "da@x.de");
    pt_email_normalize(empty);
    assert_string_equal(empty, "");
}

/* ---- phone ---- */

static void test_pt_validate_phone__good_and_bad(void **state)
{
    const char *const good[] = {"+4915112345678", "+14155550100", "+4930123", NULL};
    const char *const bad[] = {
        "",
        "+",
        "4915112345678",
        "004915112345678",
        "+0151123456",
        "+49 151 123",
        "+49-151-1234",
        "+(49)1511234",
        "++491511234",
        "+49151a2345",
        "+4915112345678 ",
        " +4915112345678",
        "+4915112345678\n",
        "+\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7", /* ١..٧ */
        NULL};
    (void)state;
    check_all(pt_validate_phone, "phone", good, bad);
}

static void test_pt_validate_phone__7_and_15_digits_ok_6_and_16_bad(void **state)
{
    (void)state;
    assert_int_equal(PT_PHONE_DIGITS_MIN, 7);
    assert_int_equal(PT_PHONE_DIGITS_MAX, 15);
    expect_good(pt_validate_phone, "phone", "+1234567");
    expect_good(pt_validate_phone, "phone", "+123456789012345");
    expect_bad(pt_validate_phone, "phone", "+123456");
    expect_bad(pt_validate_phone, "phone", "+1234567890123456");
}

/* ---- birth_date ---- */

static enum pt_rc birth_date_now(const char *s, struct pt_err *err)
{
    return pt_validate_birth_date(s, NOW_MS, err);
}

static void test_pt_validate_birth_date__calendar(void **state)
{
    const char *const good[] = {"2000-02-29", "2024-02-29", "1990-12-10", "1990-01-31",
                                "1990-04-30", "1990-12-31", NULL};
    const char *const bad[] = {"1900-02-29", /* 1900 is not a leap year */
                               "2023-02-29", "2100-02-29", "2000-02-30", "2000-13-01", "2000-00-10",
                               "2000-01-00", "2000-04-31", "2000-01-32", "2000-99-99", NULL};
    (void)state;
    check_all(birth_date_now, "birth_date", good, bad);
}

static void test_pt_validate_birth_date__format(void **state)
{
    const char *const good[] = {NULL};
    const char *const bad[] = {"",
                               "20000-01-01",
                               "2000/01/01",
                               "2000-1-01",
                               "2000-01-1",
                               "2000-01-0a",
                               "2000-0a-01",
                               "200a-01-01",
                               " 2000-01-01",
                               "2000-01-01 ",
                               "2000-01-01T00:00:00Z",
                               "01-01-2000",
                               "2000.01.01",
                               "+200-01-01",
                               "2000-01-01\n",
                               NULL};
    (void)state;
    check_all(birth_date_now, "birth_date", good, bad);
}

static void test_pt_validate_birth_date__between_1900_and_today(void **state)
{
    const char *const good[] = {"1900-01-01", "2026-11-23", "2026-11-24", /* today */
                                NULL};
    const char *const bad[] = {"1899-12-31", "0000-01-01", "1000-06-15", "2026-11-25",
                               "2026-12-01", "2027-01-01", "9999-12-31", NULL};
    (void)state;
    check_all(birth_date_now, "birth_date", good, bad);
}

static void test_pt_validate_birth_date__today_at_both_ends_of_the_day(void **state)
{
    const int64_t midnight = pt_days_from_civil(2000, 2, 29) * DAY_MS;
    const int64_t last_ms = midnight + DAY_MS - 1;
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_validate_birth_date("2000-02-29", midnight, &err), PT_OK);
    assert_int_equal(pt_validate_birth_date("2000-02-29", last_ms, &err), PT_OK);
    assert_int_equal(pt_validate_birth_date("2000-03-01", last_ms, &err), PT_EINVAL);
    assert_int_equal(err.rc, PT_EINVAL);
    assert_string_equal(err.field, "birth_date");
    assert_int_equal(pt_validate_birth_date("2000-02-29", midnight - 1, &err), PT_EINVAL);
    assert_int_equal(err.rc, PT_EINVAL);
    assert_string_equal(err.field, "birth_date");
}

static void test_pt_validate_birth_date__now_before_1970(void **state)
{
    const int64_t now = pt_days_from_civil(1960, 6, 15) * DAY_MS + 1000; /* negative */
    struct pt_err err;
    (void)state;
    assert_true(now < 0);
    assert_int_equal(pt_validate_birth_date("1960-06-15", now, &err), PT_OK);
    assert_int_equal(pt_validate_birth_date("1950-01-01", now, &err), PT_OK);
    assert_int_equal(pt_validate_birth_date("1960-06-16", now, &err), PT_EINVAL);
    assert_int_equal(err.rc, PT_EINVAL);
    assert_string_equal(err.field, "birth_date");
    assert_int_equal(pt_validate_birth_date("1970-01-01", now, &err), PT_EINVAL);
    assert_int_equal(err.rc, PT_EINVAL);
    assert_string_equal(err.field, "birth_date");
}

/* ---- gender, locale, country ---- */

static void test_pt_validate_gender__the_list(void **state)
{
    const char *const expected[] = {"female", "male", "nonbinary", "other", "undisclosed", NULL};
    const char *const bad[] = {"",      "Female",  "MALE", "f",    "m",    "unknown", "male ",
                               " male", "femalex", "fem",  "none", "null", NULL};
    size_t i;
    (void)state;
    for (i = 0; expected[i] != NULL; i++) {
        assert_non_null(pt_member_genders[i]);
        assert_string_equal(pt_member_genders[i], expected[i]);
    }
    assert_null(pt_member_genders[i]);
    check_all(pt_validate_gender, "gender", expected, bad);
}

static void test_pt_validate_locale__good_and_bad(void **state)
{
    const char *const good[] = {"en",     "de-CH", "pt-BR",          "zh-Hant-TW", "sr-Latn",
                                "es-419", "gsw",   "sl-rozaj-biske", NULL};
    const char *const bad[] = {"",
                               "e",
                               "english",
                               "en_US",
                               "en-",
                               "-en",
                               "en-US-",
                               "en--US",
                               "12",
                               "e1",
                               "en-a",
                               "en-abcdefghi",
                               "en US",
                               "en-US ",
                               "\xc3\xb1"
                               "e",
                               "en-\xc3\x9cS",
                               NULL};
    (void)state;
    check_all(pt_validate_locale, "locale", good, bad);
}

static void test_pt_validate_locale__16_bytes_ok_17_bad(void **state)
{
    (void)state;
    assert_int_equal(PT_LOCALE_BYTES_MAX, 16);
    assert_int_equal(strlen("en-abcdefgh-abcd"), 16);
    expect_good(pt_validate_locale, "locale", "en-abcdefgh-abcd");
    expect_bad(pt_validate_locale, "locale", "en-abcdefgh-abcde");
    expect_bad(pt_validate_locale, "locale", "aaaaaaaaaaaaaaaaa");
}

static void test_pt_validate_country__good_and_bad(void **state)
{
    const char *const good[] = {"DE", "GB", "US", "JP", "ZW", "AX", "AD", "SS", "CW", NULL};
    const char *const bad[] = {
        "",    "de", "De", "dE",  "XX",  "UK", /* not assigned: the United Kingdom is GB */
        "EU",                                  /* exceptionally reserved, not assigned */
        "EA", /* reserved; also spans two codes of the table: AE AF */
        "AN", /* deleted (Netherlands Antilles) */
        "YU", /* deleted (Yugoslavia) */
        "DEU", "D",  "D1", "DE ", " DE", NULL};
    (void)state;
    check_all(pt_validate_country, "country", good, bad);
}

static void test_pt_country_is_assigned__249_codes(void **state)
{
    char code[3];
    int assigned = 0;
    char a;
    char b;
    (void)state;
    code[2] = '\0';
    for (a = 'A'; a <= 'Z'; a++) {
        for (b = 'A'; b <= 'Z'; b++) {
            code[0] = a;
            code[1] = b;
            if (pt_country_is_assigned(code)) {
                assigned++;
            }
            code[0] = (char)(a - 'A' + 'a');
            assert_false(pt_country_is_assigned(code));
        }
    }
    assert_int_equal(assigned, 249);
}

/* ---- text, external_id ---- */

static enum pt_rc first_name_text(const char *s, struct pt_err *err)
{
    return pt_validate_text("first_name", s, PT_NAME_BYTES_MAX, err);
}

static enum pt_rc city_text(const char *s, struct pt_err *err)
{
    return pt_validate_text("city", s, PT_CITY_BYTES_MAX, err);
}

static enum pt_rc one_byte_text(const char *s, struct pt_err *err)
{
    return pt_validate_text("last_name", s, 1, err);
}

static void test_pt_validate_text__good_values(void **state)
{
    const char *const good[] = {"Ada",     "José María", "李",
                                "O'Brien", "Jean-Luc",   " Ada ", /* not blank */
                                "x",       NULL};
    const char *const bad[] = {NULL};
    (void)state;
    check_all(first_name_text, "first_name", good, bad);
    check_all(city_text, "city", good, bad);
}

static void test_pt_validate_text__control_characters(void **state)
{
    const char *const good[] = {NULL};
    const char *const bad[] = {"Ada\n",
                               "A\tda",
                               "Ada\r",
                               "\x01",
                               "\x1f",
                               "\x7f",
                               "Ada\x7f",
                               "\x1b[31m",
                               "Ada\x1b"
                               "x",
                               NULL};
    (void)state;
    check_all(first_name_text, "first_name", good, bad);
    check_all(city_text, "city", good, bad);
}

static void test_pt_validate_text__empty_and_blank(void **state)
{
    const char *const good[] = {NULL};
    const char *const bad[] = {"", " ", "   ", NULL};
    (void)state;
    check_all(first_name_text, "first_name", good, bad);
    check_all(city_text, "city", good, bad);
}

static void test_pt_validate_text__100_bytes_ok_101_bad(void **state)
{
    char buf[256];
    size_t i;
    (void)state;
    assert_int_equal(PT_NAME_BYTES_MAX, 100);
    assert_int_equal(PT_CITY_BYTES_MAX, 100);
    expect_good(first_name_text, "first_name", repeat(buf, 'x', 100));
    expect_good(city_text, "city", buf);
    expect_bad(first_name_text, "first_name", repeat(buf, 'x', 101));
    expect_bad(city_text, "city", buf);
    /* The limit is in bytes: 50 two-byte characters fit, 51 do not. */
    for (i = 0; i < 51; i++) {
        memcpy(buf + 2 * i, "\xc3\xa9", 2);
    }
    buf[100] = '\0';
    expect_good(first_name_text, "first_name", buf);
    buf[100] = '\xc3';
    buf[101] = '\xa9';
    buf[102] = '\0';
    expect_bad(first_name_text, "first_name", buf);
}

static void test_pt_validate_text__field_name_and_custom_limit(void **state)
{
    (void)state;
    expect_good(one_byte_text, "last_name", "a");
    expect_bad(one_byte_text, "last_name", "ab");
    expect_bad(one_byte_text, "last_name", "");
    expect_bad(one_byte_text, "last_name", "\n");
}

static void test_pt_validate_external_id__good_and_bad(void **state)
{
    const char *const good[] = {"CRM-42", "a", "~", "!", "receipt/2026/000123", "A_b.C:d", NULL};
    const char *const bad[] = {"",    "with space", " lead",    "trail ",     "tab\t",
                               "x\n", "\x7f",       "\xc3\xa9", "id\xc3\xa9", NULL};
    (void)state;
    check_all(pt_validate_external_id, "external_id", good, bad);
}

static void test_pt_validate_external_id__128_ok_129_bad(void **state)
{
    char buf[256];
    (void)state;
    assert_int_equal(PT_EXTERNAL_ID_BYTES_MAX, 128);
    expect_good(pt_validate_external_id, "external_id", repeat(buf, 'e', 128));
    expect_bad(pt_validate_external_id, "external_id", repeat(buf, 'e', 129));
}

/* ---- status ---- */

static void test_pt_member_status_name__names(void **state)
{
    (void)state;
    assert_string_equal(pt_member_status_name(PT_MEMBER_ACTIVE), "active");
    assert_string_equal(pt_member_status_name(PT_MEMBER_SUSPENDED), "suspended");
    assert_string_equal(pt_member_status_name(PT_MEMBER_CLOSED), "closed");
}

/* Issue 16: a closed member is read-only; active and suspended members take writes (the
 * callers refuse a suspended member's earning and spending themselves). */
static void test_pt_member_require_open__refuses_only_closed(void **state)
{
    struct pt_member m;
    struct pt_err err;
    (void)state;
    memset(&m, 0, sizeof(m));
    (void)snprintf(m.id, sizeof(m.id), "mem_x");
    pt_err_clear(&err);
    m.status = PT_MEMBER_ACTIVE;
    assert_int_equal(pt_member_require_open(&m, &err), PT_OK);
    m.status = PT_MEMBER_SUSPENDED;
    assert_int_equal(pt_member_require_open(&m, &err), PT_OK);
    m.status = PT_MEMBER_CLOSED;
    assert_int_equal(pt_member_require_open(&m, &err), PT_ELIMIT);
    assert_string_equal(err.code, "member_inactive");
    assert_string_equal(err.field, "member_id");
}

static void test_pt_member_status_parse__round_trip(void **state)
{
    const enum pt_member_status all[] = {PT_MEMBER_ACTIVE, PT_MEMBER_SUSPENDED, PT_MEMBER_CLOSED};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        enum pt_member_status out = (enum pt_member_status)99;
        struct pt_err err;
        pt_err_clear(&err);
        assert_int_equal(pt_member_status_parse(pt_member_status_name(all[i]), &out, &err), PT_OK);
        assert_int_equal(out, all[i]);
    }
}

static void test_pt_member_status_parse__unknown_names(void **state)
{
    const char *const bad[] = {"",      "deleted", "Active",   "ACTIVE", "active ", " active",
                               "activ", "actives", "closed\n", "0",      NULL};
    size_t i;
    (void)state;
    for (i = 0; bad[i] != NULL; i++) {
        enum pt_member_status out = PT_MEMBER_ACTIVE;
        struct pt_err err;
        pt_err_clear(&err);
        if (pt_member_status_parse(bad[i], &out, &err) != PT_EINVAL) {
            fail_msg("status '%s' should be invalid", bad[i]);
        }
        assert_int_equal(err.rc, PT_EINVAL);
        assert_string_equal(err.field, "status");
        assert_true(strlen(err.msg) >= 10);
    }
}

/* ---- pt_member_validate ---- */

static char attributes_buf[PT_ATTRIBUTES_BYTES_MAX + 2];

/* Fills m with a valid value in every client-settable field. */
static void good_member(struct pt_member *m)
{
    memset(m, 0, sizeof(*m));
    m->external_id = "CRM-42";
    m->email = "ada@example.com";
    m->phone = "+4915112345678";
    m->first_name = "Ada";
    m->last_name = "Lovelace";
    m->birth_date = "1990-12-10";
    m->gender = "female";
    m->locale = "en-GB";
    m->city = "London";
    m->country = "GB";
    m->attributes_json = "{\"tier\":\"gold\"}";
    m->consent_email = true;
    m->status = PT_MEMBER_ACTIVE;
}

static void expect_member_bad(const struct pt_member *m, const char *field)
{
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    rc = pt_member_validate(m, NOW_MS, &err);
    if (rc != PT_EINVAL || err.rc != PT_EINVAL || strcmp(err.field, field) != 0) {
        fail_msg("expected EINVAL on '%s', got %s on '%s'", field, pt_rc_name(rc), err.field);
    }
}

static void expect_member_ok(const struct pt_member *m)
{
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    rc = pt_member_validate(m, NOW_MS, &err);
    if (rc != PT_OK) {
        fail_msg("expected OK, got %s on '%s': %s", pt_rc_name(rc), err.field, err.msg);
    }
}

static void test_pt_member_validate__all_good_and_all_absent(void **state)
{
    struct pt_member m;
    (void)state;
    good_member(&m);
    expect_member_ok(&m);
    memset(&m, 0, sizeof(m));
    m.attributes_json = "{}";
    expect_member_ok(&m);
}

static void test_pt_member_validate__reports_the_first_bad_field(void **state)
{
    struct pt_member m;
    struct pt_member good;
    (void)state;
    good_member(&good);
    memset(&m, 0, sizeof(m));
    m.external_id = "with space";
    m.email = "nope";
    m.phone = "123";
    m.first_name = "";
    m.last_name = "\n";
    m.birth_date = "2000-02-30";
    m.gender = "f";
    m.locale = "e";
    m.city = "   ";
    m.country = "XX";
    memset(attributes_buf, 'a', PT_ATTRIBUTES_BYTES_MAX + 1);
    attributes_buf[PT_ATTRIBUTES_BYTES_MAX + 1] = '\0';
    m.attributes_json = attributes_buf;
    /* The API's field order: each fix reveals the next bad field. */
    expect_member_bad(&m, "external_id");
    m.external_id = good.external_id;
    expect_member_bad(&m, "email");
    m.email = good.email;
    expect_member_bad(&m, "phone");
    m.phone = good.phone;
    expect_member_bad(&m, "first_name");
    m.first_name = good.first_name;
    expect_member_bad(&m, "last_name");
    m.last_name = good.last_name;
    expect_member_bad(&m, "birth_date");
    m.birth_date = good.birth_date;
    expect_member_bad(&m, "gender");
    m.gender = good.gender;
    expect_member_bad(&m, "locale");
    m.locale = good.locale;
    expect_member_bad(&m, "city");
    m.city = good.city;
    expect_member_bad(&m, "country");
    m.country = good.country;
    expect_member_bad(&m, "attributes");
    m.attributes_json = good.attributes_json;
    expect_member_ok(&m);
}

static void test_pt_member_validate__each_field_alone(void **state)
{
    struct pt_member m;
    (void)state;
    good_member(&m);
    m.external_id = "";
    expect_member_bad(&m, "external_id");
    good_member(&m);
    m.email = "ada@example";
    expect_member_bad(&m, "email");
    good_member(&m);
    m.phone = "+123456";
    expect_member_bad(&m, "phone");
    good_member(&m);
    m.first_name = "A\tda";
    expect_member_bad(&m, "first_name");
    good_member(&m);
    m.last_name = " ";
    expect_member_bad(&m, "last_name");
    good_member(&m);
    m.birth_date = "1899-12-31";
    expect_member_bad(&m, "birth_date");
    good_member(&m);
    m.gender = "Female";
    expect_member_bad(&m, "gender");
    good_member(&m);
    m.locale = "en_GB";
    expect_member_bad(&m, "locale");
    good_member(&m);
    m.city = "\x7f";
    expect_member_bad(&m, "city");
    good_member(&m);
    m.country = "UK";
    expect_member_bad(&m, "country");
}

static void test_pt_member_validate__birth_date_against_now(void **state)
{
    struct pt_member m;
    struct pt_err err;
    (void)state;
    good_member(&m);
    m.birth_date = "2026-11-24";
    expect_member_ok(&m);
    m.birth_date = "2026-11-25";
    expect_member_bad(&m, "birth_date");
    pt_err_clear(&err);
    assert_int_equal(pt_member_validate(&m, NOW_MS + DAY_MS, &err), PT_OK);
}

static void test_pt_member_validate__attributes_16384_ok_16385_bad(void **state)
{
    struct pt_member m;
    (void)state;
    assert_int_equal(PT_ATTRIBUTES_BYTES_MAX, 16384);
    good_member(&m);
    m.attributes_json = repeat(attributes_buf, 'a', PT_ATTRIBUTES_BYTES_MAX);
    expect_member_ok(&m);
    m.attributes_json = repeat(attributes_buf, 'a', PT_ATTRIBUTES_BYTES_MAX + 1);
    expect_member_bad(&m, "attributes");
}

static void test_pt_member_require_active__only_active(void **state)
{
    struct pt_member m;
    struct pt_err err;
    (void)state;
    memset(&m, 0, sizeof(m));
    m.status = PT_MEMBER_ACTIVE;
    assert_int_equal(pt_member_require_active(&m, &err), PT_OK);
    m.status = PT_MEMBER_SUSPENDED;
    assert_int_equal(pt_member_require_active(&m, &err), PT_ELIMIT);
    assert_string_equal(err.code, "member_inactive");
    assert_string_equal(err.field, "member_id");
}

static void test_pt_member_birth_month__of_a_date(void **state)
{
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_member_birth_month("1990-07-14"), 7);
    assert_int_equal(pt_member_birth_month("1990-12-01"), 12);
    assert_int_equal(pt_member_birth_month(NULL), 0);
    assert_int_equal(pt_member_birth_month("1990"), 0);
    assert_int_equal(pt_member_exists("email", &err), PT_ECONFLICT);
    assert_string_equal(err.code, "member_exists");
    assert_string_equal(err.msg, "a member with this email already exists");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_validate_email__good_values),
        PT_TEST(test_pt_validate_email__bad_values),
        PT_TEST(test_pt_validate_email__local_part_64_ok_65_bad),
        PT_TEST(test_pt_validate_email__total_254_ok_255_bad),
        PT_TEST(test_pt_email_normalize__lowercases_ascii_only),
        PT_TEST(test_pt_validate_phone__good_and_bad),
        PT_TEST(test_pt_validate_phone__7_and_15_digits_ok_6_and_16_bad),
        PT_TEST(test_pt_validate_birth_date__calendar),
        PT_TEST(test_pt_validate_birth_date__format),
        PT_TEST(test_pt_validate_birth_date__between_1900_and_today),
        PT_TEST(test_pt_validate_birth_date__today_at_both_ends_of_the_day),
        PT_TEST(test_pt_validate_birth_date__now_before_1970),
        PT_TEST(test_pt_validate_gender__the_list),
        PT_TEST(test_pt_validate_locale__good_and_bad),
        PT_TEST(test_pt_validate_locale__16_bytes_ok_17_bad),
        PT_TEST(test_pt_validate_country__good_and_bad),
        PT_TEST(test_pt_country_is_assigned__249_codes),
        PT_TEST(test_pt_validate_text__good_values),
        PT_TEST(test_pt_validate_text__control_characters),
        PT_TEST(test_pt_validate_text__empty_and_blank),
        PT_TEST(test_pt_validate_text__100_bytes_ok_101_bad),
        PT_TEST(test_pt_validate_text__field_name_and_custom_limit),
        PT_TEST(test_pt_validate_external_id__good_and_bad),
        PT_TEST(test_pt_validate_external_id__128_ok_129_bad),
        PT_TEST(test_pt_member_status_name__names),
        PT_TEST(test_pt_member_status_parse__round_trip),
        PT_TEST(test_pt_member_status_parse__unknown_names),
        PT_TEST(test_pt_member_validate__all_good_and_all_absent),
        PT_TEST(test_pt_member_validate__reports_the_first_bad_field),
        PT_TEST(test_pt_member_validate__each_field_alone),
        PT_TEST(test_pt_member_require_open__refuses_only_closed),
        PT_TEST(test_pt_member_validate__birth_date_against_now),
        PT_TEST(test_pt_member_validate__attributes_16384_ok_16385_bad),
        PT_TEST(test_pt_member_require_active__only_active),
        PT_TEST(test_pt_member_birth_month__of_a_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
