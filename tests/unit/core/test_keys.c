/* SPDX-License-Identifier: MIT */
/*
 * Goal: a key's name is 1..PT_KEY_NAME_BYTES_MAX bytes of text, the roles are one table, and
 * a publishable key's origin is exactly "scheme://host[:port]" as browsers send it.
 * Method: names and origins at N and N+1 bytes, the table both ways, every shape of origin a
 * person might type that a browser never sends, and the origins listed by a key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/names.h"
#include "core/keys.h"

static void test_pt_key_name_validate__n_and_n_plus_1(void **state)
{
    char name[PT_KEY_NAME_BYTES_MAX + 2];
    struct pt_err err;
    (void)state;
    memset(name, 'k', sizeof(name));
    name[PT_KEY_NAME_BYTES_MAX] = '\0';
    assert_int_equal(pt_key_name_validate(name, &err), PT_OK);
    name[PT_KEY_NAME_BYTES_MAX] = 'k';
    name[PT_KEY_NAME_BYTES_MAX + 1] = '\0';
    assert_int_equal(pt_key_name_validate(name, &err), PT_EINVAL);
    assert_string_equal(err.field, "name");
    assert_int_equal(pt_key_name_validate("", &err), PT_EINVAL);
}

static void test_pt_role_names__both_ways(void **state)
{
    (void)state;
    assert_string_equal(pt_role_names[PT_ROLE_ADMIN], "admin");
    assert_string_equal(pt_role_names[PT_ROLE_STAFF], "staff");
    assert_int_equal(pt_name_index(pt_role_names, PT_ROLES, "staff"), PT_ROLE_STAFF);
    assert_int_equal(pt_name_index(pt_role_names, PT_ROLES, "owner"), -1);
    assert_int_equal(pt_name_index(pt_role_names, PT_ROLES, "publishable"), PT_ROLE_PUBLISHABLE);
    assert_true(pt_role_is_key_role(PT_ROLE_PUBLISHABLE));
    assert_false(pt_role_is_key_role(PT_ROLE_MEMBER));
}

static bool valid(const char *origin)
{
    return pt_origin_is_valid(origin, strlen(origin));
}

static void test_pt_origin_is_valid__shapes(void **state)
{
    static const char *const good[] = {"https://shop.example",    "http://127.0.0.1:8123",
                                       "http://localhost",        "https://a.b-c.example:65535",
                                       "https://x1.example:1",    "https://0.example",
                                       "http://shop.example:443", "https://shop.example:80"};
    static const char *const bad[] = {"",
                                      "https://",
                                      "http://",
                                      "https://Shop.example",
                                      "HTTPS://shop.example",
                                      "https://shop.example/",
                                      "https://shop.example/p",
                                      "https://shop.example?q",
                                      "https://shop.example#f",
                                      "https://u@shop.example",
                                      "https://u:p@shop.example",
                                      "ftp://shop.example",
                                      "shop.example",
                                      "//shop.example",
                                      "https://shop.example:",
                                      "https://shop.example:0",
                                      "https://shop.example:65536",
                                      "https://shop.example:080",
                                      "https://shop.example:99999",
                                      "https://shop.example:8a",
                                      "https://-a.example",
                                      "https://a-.example",
                                      "https://a..example",
                                      "https://a.example.",
                                      "https://.a.example",
                                      " https://a.example",
                                      "https://a.example ",
                                      "https://a b.example",
                                      "https://a_b.example",
                                      "https://[::1]",
                                      "https://a%62.example",
                                      "https://a.example:80:80",
                                      "https://shop.example:443",
                                      "http://shop.example:80"};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!valid(good[i])) {
            fail_msg("refused %s", good[i]);
        }
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (valid(bad[i])) {
            fail_msg("accepted '%s'", bad[i]);
        }
    }
}

static void test_pt_origin_is_valid__n_and_n_plus_1(void **state)
{
    char origin[PT_ORIGIN_BYTES_MAX + 2];
    char label[64 + 2];
    struct pt_err err;
    size_t at;
    (void)state;
    /* "https://" then labels of 61 bytes and dots, up to 253 bytes in all. */
    memcpy(origin, "https://", 8);
    for (at = 8; at < PT_ORIGIN_BYTES_MAX + 1; at++) {
        origin[at] = (at - 8) % 62 == 61 ? '.' : 'a';
    }
    origin[PT_ORIGIN_BYTES_MAX] = '\0';
    assert_true(valid(origin));
    assert_int_equal(pt_origin_validate("allowed_origins[0]", origin, &err), PT_OK);
    origin[PT_ORIGIN_BYTES_MAX] = 'a';
    origin[PT_ORIGIN_BYTES_MAX + 1] = '\0';
    assert_false(valid(origin));
    assert_int_equal(pt_origin_validate("allowed_origins[3]", origin, &err), PT_EINVAL);
    assert_string_equal(err.field, "allowed_origins[3]");
    /* A label of 63 bytes, and of 64. */
    memset(label, 'a', sizeof(label));
    snprintf(origin, sizeof(origin), "https://%.63s.example", label);
    assert_true(valid(origin));
    snprintf(origin, sizeof(origin), "https://%.64s.example", label);
    assert_false(valid(origin));
}

static void test_pt_origin_listed__exact_only(void **state)
{
    static const char origins[] = "https://shop.example http://127.0.0.1:8123";
    (void)state;
    assert_true(pt_origin_listed(origins, "https://shop.example", 20));
    assert_true(pt_origin_listed(origins, "http://127.0.0.1:8123", 21));
    assert_false(pt_origin_listed(origins, "https://shop.exampl", 19));
    assert_false(pt_origin_listed(origins, "http://127.0.0.1:812", 20));
    assert_false(pt_origin_listed(origins, "https://shop.example http", 25));
    assert_false(pt_origin_listed(origins, "", 0));
    assert_false(pt_origin_listed("", "https://shop.example", 20));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_key_name_validate__n_and_n_plus_1),
        PT_TEST(test_pt_role_names__both_ways),
        PT_TEST(test_pt_origin_is_valid__shapes),
        PT_TEST(test_pt_origin_is_valid__n_and_n_plus_1),
        PT_TEST(test_pt_origin_listed__exact_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
