/* SPDX-License-Identifier: MIT */
/*
 * Goal: passwords are stored as argon2id strings that verify the password and nothing else, and
 * the helpers of tokens (base64url, the constant-time compare) do what their headers say.
 * Method: one hash (about 0.1 s) checked against the right password, a near one and a stored
 * form that is not a hash; RFC 4648's test vectors in the URL alphabet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/random.h"

static void test_pt_password_hash__verifies_only_its_password(void **state)
{
    char stored[PT_PASSWORD_HASH_BYTES];
    char again[PT_PASSWORD_HASH_BYTES];
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_random_init(&err), PT_OK);
    assert_int_equal(pt_password_hash("correct horse", 13, stored, &err), PT_OK);
    assert_memory_equal(stored, "$argon2id$v=19$m=65536,t=2,p=1$", 31);
    assert_null(strstr(stored, "correct horse"));
    assert_true(pt_password_verify(stored, "correct horse", 13));
    assert_false(pt_password_verify(stored, "correct horsE", 13));
    assert_false(pt_password_verify(stored, "correct hors", 12));
    assert_false(pt_password_verify("not a hash", "correct horse", 13));
    /* A salt of its own each time: the same password is stored twice differently. */
    assert_int_equal(pt_password_hash("correct horse", 13, again, &err), PT_OK);
    assert_string_not_equal(stored, again);
}

static void test_pt_base64url_encode__rfc4648_vectors(void **state)
{
    char out[16];
    const uint8_t bytes[] = {0xfb, 0xff, 0xfe};
    (void)state;
    pt_base64url_encode((const uint8_t *)"foob", 4, out, sizeof(out));
    assert_string_equal(out, "Zm9vYg");
    pt_base64url_encode((const uint8_t *)"fooba", 5, out, sizeof(out));
    assert_string_equal(out, "Zm9vYmE");
    pt_base64url_encode(bytes, sizeof(bytes), out, sizeof(out));
    assert_string_equal(out, "-__-"); /* The URL alphabet: no '+', '/' or '='. */
}

static void test_pt_secret_equal__compares_every_byte(void **state)
{
    (void)state;
    assert_true(pt_secret_equal("abcdef", "abcdef", 6));
    assert_false(pt_secret_equal("abcdef", "abcdeg", 6));
    assert_false(pt_secret_equal("abcdef", "bbcdef", 6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_password_hash__verifies_only_its_password),
        PT_TEST(test_pt_base64url_encode__rfc4648_vectors),
        PT_TEST(test_pt_secret_equal__compares_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
