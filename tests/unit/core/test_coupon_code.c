/* SPDX-License-Identifier: MIT */
/*
 * Goal: coupon codes (src/core/coupon_code.c) catch every single mistyped symbol and every
 * swap of two different neighbours before any lookup, read any case, separators and
 * Crockford's aliases, and print in groups.
 * Method: 300 codes from a fixed-seed generator (a third with prefixes); for each, every
 * position replaced by each of the 31 other symbols and every adjacent pair swapped must be
 * refused by the parser; known inputs for the accepted forms and the refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/coupon_code.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* xorshift64*: a fixed sequence of test codes. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static void make(uint64_t *seed, const char *prefix, char *out)
{
    uint8_t r[8];
    uint64_t v = next_random(seed);
    int i;
    for (i = 0; i < 8; i++) {
        r[i] = (uint8_t)(v >> (8 * i));
    }
    pt_coupon_code_make(r, prefix, out, PT_COUPON_CODE_MAX + 1);
}

static bool parses(const char *input)
{
    char out[PT_COUPON_CODE_MAX + 1];
    struct pt_err err;
    pt_err_clear(&err);
    if (pt_coupon_code_parse(input, out, sizeof(out), &err) == PT_OK) {
        return true;
    }
    assert_int_equal(err.rc, PT_EINVAL);
    assert_string_equal(err.field, "code");
    assert_string_equal(err.code, "invalid_code");
    return false;
}

static void test_every_single_typo_and_adjacent_swap_is_caught(void **state)
{
    static const char *const prefixes[] = {"", "", "WNTR25"};
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    int n;
    long refused = 0;
    (void)state;
    for (n = 0; n < 300; n++) {
        char code[PT_COUPON_CODE_MAX + 1];
        char typo[PT_COUPON_CODE_MAX + 1];
        size_t len;
        size_t i;
        make(&seed, prefixes[n % 3], code);
        len = strlen(code);
        assert_int_equal(len, strlen(prefixes[n % 3]) + 13);
        assert_true(parses(code));
        for (i = 0; i < len; i++) {
            int k;
            for (k = 0; k < 32; k++) {
                if (alphabet[k] == code[i]) {
                    continue;
                }
                memcpy(typo, code, len + 1);
                typo[i] = alphabet[k];
                assert_false(parses(typo));
                refused++;
            }
            if (i + 1 < len && code[i] != code[i + 1]) {
                memcpy(typo, code, len + 1);
                typo[i] = code[i + 1];
                typo[i + 1] = code[i];
                assert_false(parses(typo));
                refused++;
            }
        }
    }
    assert_true(refused > 300 * 13 * 31);
}

static void test_accepted_forms_and_printing(void **state)
{
    uint64_t seed = 42;
    char code[PT_COUPON_CODE_MAX + 1];
    char printed[PT_COUPON_PRINTED_BYTES];
    char lower[PT_COUPON_PRINTED_BYTES];
    char out[PT_COUPON_CODE_MAX + 1];
    struct pt_err err;
    size_t i;
    (void)state;
    make(&seed, "", code);
    pt_coupon_code_print(code, 0, printed, sizeof(printed));
    assert_int_equal(strlen(printed), 16); /* K7QF-9XZ2-M4TD-P */
    assert_int_equal(printed[4], '-');
    assert_int_equal(printed[9], '-');
    assert_int_equal(printed[14], '-');
    for (i = 0; printed[i] != '\0'; i++) {
        lower[i] = printed[i] >= 'A' && printed[i] <= 'Z' ? (char)(printed[i] + 32) : printed[i];
    }
    lower[i] = '\0';
    assert_int_equal(pt_coupon_code_parse(lower, out, sizeof(out), &err), PT_OK);
    assert_string_equal(out, code);
    assert_int_equal(pt_coupon_code_parse(printed, out, sizeof(out), &err), PT_OK);
    assert_string_equal(out, code);
    make(&seed, "bday", code);
    assert_memory_equal(code, "BDAY", 4);
    pt_coupon_code_print(code, 4, printed, sizeof(printed));
    assert_int_equal(strlen(printed), 21); /* BDAY-XXXX-XXXX-XXXX-C */
    assert_memory_equal(printed, "BDAY-", 5);
    assert_int_equal(pt_coupon_code_parse(printed, out, sizeof(out), &err), PT_OK);
    assert_string_equal(out, code);
}

static void test_aliases_read_as_crockford_says(void **state)
{
    /* A code whose random part holds 0 and 1: typed with O and I or L it is the same code. */
    char code[PT_COUPON_CODE_MAX + 1] = "0123456789AB";
    char typed[PT_COUPON_CODE_MAX + 1];
    char out[PT_COUPON_CODE_MAX + 1];
    struct pt_err err;
    (void)state;
    code[12] = pt_coupon_check_symbol(code, 12);
    code[13] = '\0';
    memcpy(typed, code, sizeof(typed));
    typed[0] = 'o';
    typed[1] = 'L';
    assert_int_equal(pt_coupon_code_parse(typed, out, sizeof(out), &err), PT_OK);
    assert_string_equal(out, code);
    typed[1] = 'i';
    assert_int_equal(pt_coupon_code_parse(typed, out, sizeof(out), &err), PT_OK);
    assert_string_equal(out, code);
}

static void test_refusals(void **state)
{
    char out[PT_COUPON_CODE_MAX + 1];
    struct pt_err err;
    (void)state;
    assert_false(parses(""));
    assert_false(parses("K7QF-9XZ2-M4T"));              /* too short */
    assert_false(parses("K7QF-9XZ2-M4TD-U"));           /* U is no symbol */
    assert_false(parses("K7QF*9XZ2-M4TD-P"));           /* not a separator */
    assert_false(parses("ABCDEFGHJKMNPQRSTVWXYZ0123")); /* too long */
    assert_false(parses("----------------------------------------------------------------------"));
    pt_err_clear(&err);
    assert_int_equal(pt_coupon_prefix_validate("WNTR25", &err), PT_OK);
    assert_int_equal(pt_coupon_prefix_validate("SUMMER", &err), PT_EINVAL); /* U */
    assert_int_equal(pt_coupon_prefix_validate("", &err), PT_OK);
    assert_int_equal(pt_coupon_prefix_validate("HOLIDAY", &err), PT_EINVAL); /* O, I, L */
    assert_string_equal(err.field, "prefix");
    assert_int_equal(pt_coupon_prefix_validate("ABCDEFGHJ", &err), PT_EINVAL); /* 9 */
    assert_int_equal(pt_coupon_prefix_validate("A-B", &err), PT_EINVAL);
    (void)out;
}

static void test_sixty_random_bits(void **state)
{
    /* All 2^60 values are codes: the top and bottom bits both reach the symbols. */
    uint8_t zeros[8] = {0};
    uint8_t ones[8] = {0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t low[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    char code[PT_COUPON_CODE_MAX + 1];
    (void)state;
    pt_coupon_code_make(zeros, "", code, sizeof(code));
    assert_memory_equal(code, "000000000000", 12);
    pt_coupon_code_make(ones, "", code, sizeof(code));
    assert_memory_equal(code, "ZZZZZZZZZZZZ", 12);
    pt_coupon_code_make(low, "", code, sizeof(code));
    assert_memory_equal(code, "000000000001", 12);
    assert_true(parses(code));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_single_typo_and_adjacent_swap_is_caught),
        cmocka_unit_test(test_accepted_forms_and_printing),
        cmocka_unit_test(test_aliases_read_as_crockford_says),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_sixty_random_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
