/* SPDX-License-Identifier: MIT */
/*
 * Goal: ids, keys, card numbers and codes have the shapes the API promises, and the check
 * digits catch what they should.
 * Method: known vectors computed by hand; every single-digit change of a valid Luhn number;
 * many random inputs for the generators.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/codes.h"

static void test_pt_base32_encode__known_vectors(void **state)
{
    const uint8_t zero[] = {0x00};
    const uint8_t ff[] = {0xff};
    const uint8_t five_ff[] = {0xff, 0xff, 0xff, 0xff, 0xff};
    char out[16];
    (void)state;
    assert_int_equal(pt_base32_encode(zero, 1, out, sizeof(out)), 2);
    assert_string_equal(out, "00");
    assert_int_equal(pt_base32_encode(ff, 1, out, sizeof(out)), 2);
    assert_string_equal(out, "zw");
    assert_int_equal(pt_base32_encode(five_ff, 5, out, sizeof(out)), 8);
    assert_string_equal(out, "zzzzzzzz");
    assert_null(strpbrk(pt_base32_alphabet, "ilou"));
    assert_int_equal(strlen(pt_base32_alphabet), 32);
}

static void test_pt_luhn__known_and_every_single_change(void **state)
{
    const char *valid[] = {"79927398713", "4539578763621486", "0000000000000000"};
    size_t v;
    (void)state;
    for (v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
        char s[32];
        size_t n = strlen(valid[v]);
        size_t i;
        assert_true(pt_luhn_is_valid(valid[v], n));
        assert_int_equal(pt_luhn_check_digit(valid[v], n - 1), valid[v][n - 1]);
        for (i = 0; i < n; i++) {
            char d;
            for (d = '0'; d <= '9'; d++) {
                memcpy(s, valid[v], n + 1);
                if (s[i] == d) {
                    continue;
                }
                s[i] = d;
                assert_false(pt_luhn_is_valid(s, n));
            }
        }
    }
    assert_false(pt_luhn_is_valid("7992739871a", 11));
    assert_false(pt_luhn_is_valid("0", 1));
}

static void test_pt_id_format__shape_and_order(void **state)
{
    uint8_t random10[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    char a[PT_ID_BUF_BYTES];
    char b[PT_ID_BUF_BYTES];
    char c[PT_ID_BUF_BYTES];
    (void)state;
    pt_id_format("mem", 1764000000000, random10, a);
    assert_int_equal(strlen(a), PT_ID_BYTES);
    assert_memory_equal(a, "mem_", 4);
    assert_true(pt_id_is_valid("mem", a));
    assert_false(pt_id_is_valid("txn", a));
    pt_id_format("mem", 1764000000000, random10, c);
    assert_string_equal(a, c);
    memset(random10, 0xff, sizeof(random10));
    pt_id_format("mem", 1764000000001, random10, b);
    assert_true(strcmp(a, b) < 0); /* Later ids sort after earlier ones. */
    memcpy(c, a, sizeof(c));
    c[10] = 'i';
    assert_false(pt_id_is_valid("mem", c));
    c[10] = 'A';
    assert_false(pt_id_is_valid("mem", c));
    assert_false(pt_id_is_valid("mem", "mem_123"));
}

static void test_pt_api_key_format__256_bits(void **state)
{
    uint8_t random32[PT_API_KEY_RANDOM_BYTES];
    char key[PT_API_KEY_BYTES + 1];
    (void)state;
    memset(random32, 0xa5, sizeof(random32));
    pt_api_key_format(random32, key);
    assert_int_equal(strlen(key), PT_API_KEY_BYTES);
    assert_int_equal(PT_API_KEY_BYTES - 4, 52); /* ceil(256 / 5) characters */
    assert_memory_equal(key, "ptk_", 4);
    assert_true(pt_api_key_is_valid(key, strlen(key)));
    assert_false(pt_api_key_is_valid(key, strlen(key) - 1));
    key[0] = 'x';
    assert_false(pt_api_key_is_valid(key, strlen(key)));
}

static void test_pt_card_number_format__luhn_and_first_digit(void **state)
{
    uint8_t random15[15];
    char card[PT_CARD_DIGITS + 1];
    unsigned seed;
    (void)state;
    memset(random15, 0, sizeof(random15));
    pt_card_number_format(random15, card);
    assert_int_equal(strlen(card), 16);
    assert_true(card[0] != '0');
    assert_true(pt_luhn_is_valid(card, 16));
    for (seed = 0; seed < 2000; seed++) {
        size_t i;
        for (i = 0; i < sizeof(random15); i++) {
            random15[i] = (uint8_t)((seed * 2654435761u + i * 40503u) >> (i % 8));
        }
        pt_card_number_format(random15, card);
        assert_true(card[0] >= '1' && card[0] <= '9');
        assert_true(pt_luhn_is_valid(card, 16));
    }
}

static void test_pt_referral_code_format__upper_base32(void **state)
{
    const uint8_t random5[5] = {0x12, 0x34, 0x56, 0x78, 0x9a};
    char code[PT_REFERRAL_CODE_BYTES + 1];
    size_t i;
    (void)state;
    pt_referral_code_format(random5, code);
    assert_int_equal(strlen(code), PT_REFERRAL_CODE_BYTES);
    for (i = 0; i < PT_REFERRAL_CODE_BYTES; i++) {
        assert_non_null(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", code[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pt_base32_encode__known_vectors),
        cmocka_unit_test(test_pt_luhn__known_and_every_single_change),
        cmocka_unit_test(test_pt_id_format__shape_and_order),
        cmocka_unit_test(test_pt_api_key_format__256_bits),
        cmocka_unit_test(test_pt_card_number_format__luhn_and_first_digit),
        cmocka_unit_test(test_pt_referral_code_format__upper_base32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
