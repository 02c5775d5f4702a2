/* SPDX-License-Identifier: MIT */
/*
 * Goal: ids, API keys, card numbers and referral codes have the shapes the API promises, are
 * deterministic functions of their inputs, ids sort by creation time, and the Luhn check digit
 * catches every single-digit error.
 * Method: known vectors computed by hand from the bit layout (5 bits per base32 character, most
 * significant first); every single-digit change and adjacent transposition of valid Luhn
 * numbers; seeded random inputs (splitmix64) for the generators and the order of encodings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "core/codes.h"

#define UPPER_ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/* Returns 1 when the n characters at s are all in alphabet (NUL excluded). */
static int all_in_alphabet(const char *s, size_t n, const char *alphabet)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] == '\0' || strchr(alphabet, s[i]) == NULL) {
            return 0;
        }
    }
    return 1;
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

/* ---- base32 ---- */

static void test_pt_base32_alphabet__crockford_lower_ascending(void **state)
{
    size_t i;
    (void)state;
    assert_string_equal(pt_base32_alphabet, "0123456789abcdefghjkmnpqrstvwxyz");
    assert_int_equal(strlen(pt_base32_alphabet), 32);
    assert_null(strpbrk(pt_base32_alphabet, "ilouILOU"));
    /* Ascending ASCII, so that encodings of big-endian numbers sort like the numbers. */
    for (i = 1; i < 32; i++) {
        assert_true(pt_base32_alphabet[i - 1] < pt_base32_alphabet[i]);
    }
}

static void check_base32(const uint8_t *data, size_t n, const char *expected)
{
    char out[64];
    memset(out, '#', sizeof(out));
    assert_int_equal(pt_base32_encode(data, n, out, sizeof(out)), strlen(expected));
    assert_string_equal(out, expected);
}

static void test_pt_base32_encode__known_vectors(void **state)
{
    const uint8_t zero[] = {0x00};
    const uint8_t one[] = {0x01};
    const uint8_t eight[] = {0x08};
    const uint8_t ff[] = {0xff};
    const uint8_t five_zero[] = {0x00, 0x00, 0x00, 0x00, 0x00};
    const uint8_t five_ff[] = {0xff, 0xff, 0xff, 0xff, 0xff};
    /* 00010 01000 11010 00101 01100 11110 00100 11010 = 2 8 26 5 12 30 4 26 */
    const uint8_t mixed[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
    const uint8_t foobar[] = {'f', 'o', 'o', 'b', 'a', 'r'};
    (void)state;
    check_base32(zero, 0, "");
    check_base32(zero, 1, "00");
    check_base32(one, 1, "04");   /* 00000 001|00 */
    check_base32(eight, 1, "10"); /* 00001 000|00 */
    check_base32(ff, 1, "zw");    /* 11111 111|00 = 31 28 */
    check_base32(five_zero, 5, "00000000");
    check_base32(five_ff, 5, "zzzzzzzz");
    check_base32(mixed, 5, "28t5cy4t");
    check_base32(foobar, 1, "cr"); /* 01100 110|00 = 12 24 */
    check_base32(foobar, 6, "csqpyrk1e8");
}

static void test_pt_base32_encode__length_and_exact_buffer(void **state)
{
    uint8_t data[40];
    char out[80];
    size_t n;
    (void)state;
    memset(data, 0xa5, sizeof(data));
    for (n = 0; n <= sizeof(data); n++) {
        size_t chars = (8 * n + 4) / 5;
        memset(out, '#', sizeof(out));
        /* The documented minimum buffer is enough, and nothing past it is touched. */
        assert_int_equal(pt_base32_encode(data, n, out, chars + 1), chars);
        assert_int_equal(strlen(out), chars);
        assert_int_equal(out[chars + 1], '#');
        assert_true(all_in_alphabet(out, chars, pt_base32_alphabet));
    }
}

static void test_pt_base32_encode__order_follows_bytes(void **state)
{
    uint64_t seed = 0xc0de5;
    int i;
    (void)state;
    for (i = 0; i < 20000; i++) {
        uint8_t a[7];
        uint8_t b[7];
        char ea[16];
        char eb[16];
        pt_test_rand_bytes(&seed, a, sizeof(a));
        memcpy(b, a, sizeof(b));
        /* Make them differ in one random byte, so both near and far pairs are compared. */
        b[pt_test_rand(&seed) % sizeof(b)] = (uint8_t)pt_test_rand(&seed);
        (void)pt_base32_encode(a, sizeof(a), ea, sizeof(ea));
        (void)pt_base32_encode(b, sizeof(b), eb, sizeof(eb));
        if (sign(memcmp(a, b, sizeof(a))) != sign(strcmp(ea, eb))) {
            fail_msg("iteration %d: order of %s and %s differs from their bytes", i, ea, eb);
        }
    }
}

/* ---- Luhn ---- */

static const char *const luhn_valid[] = {
    "79927398713",
    "4539578763621486",
    "4111111111111111",
    "378282246310005",
    "18",
    "00",
    "0000000000000000",
    NULL,
};

static void test_pt_luhn_check_digit__known_numbers(void **state)
{
    (void)state;
    assert_int_equal(pt_luhn_check_digit("7992739871", 10), '3');
    assert_int_equal(pt_luhn_check_digit("453957876362148", 15), '6');
    assert_int_equal(pt_luhn_check_digit("411111111111111", 15), '1');
    assert_int_equal(pt_luhn_check_digit("37828224631000", 14), '5');
    assert_int_equal(pt_luhn_check_digit("1", 1), '8');
    assert_int_equal(pt_luhn_check_digit("0", 1), '0');
    assert_int_equal(pt_luhn_check_digit("", 0), '0');
    /* Only the first n characters count. */
    assert_int_equal(pt_luhn_check_digit("79927398719999", 10), '3');
}

static void test_pt_luhn_is_valid__known_valid_numbers(void **state)
{
    size_t v;
    (void)state;
    for (v = 0; luhn_valid[v] != NULL; v++) {
        size_t n = strlen(luhn_valid[v]);
        if (!pt_luhn_is_valid(luhn_valid[v], n)) {
            fail_msg("%s should be valid", luhn_valid[v]);
        }
        assert_int_equal(pt_luhn_check_digit(luhn_valid[v], n - 1), luhn_valid[v][n - 1]);
    }
    /* n bounds the check: a valid prefix of a longer string. */
    assert_true(pt_luhn_is_valid("79927398713x", 11));
}

static void test_pt_luhn_is_valid__every_single_digit_change_is_caught(void **state)
{
    size_t v;
    (void)state;
    for (v = 0; luhn_valid[v] != NULL; v++) {
        size_t n = strlen(luhn_valid[v]);
        size_t i;
        for (i = 0; i < n; i++) {
            char d;
            for (d = '0'; d <= '9'; d++) {
                char s[32];
                memcpy(s, luhn_valid[v], n + 1);
                if (s[i] == d) {
                    continue;
                }
                s[i] = d;
                if (pt_luhn_is_valid(s, n)) {
                    fail_msg("%s (from %s) should be invalid", s, luhn_valid[v]);
                }
            }
        }
    }
}

static void test_pt_luhn_is_valid__adjacent_transpositions_are_caught(void **state)
{
    size_t v;
    (void)state;
    /* Luhn catches every swap of two adjacent different digits except 09 <-> 90. */
    for (v = 0; luhn_valid[v] != NULL; v++) {
        size_t n = strlen(luhn_valid[v]);
        size_t i;
        for (i = 0; i + 1 < n; i++) {
            char s[32];
            char a = luhn_valid[v][i];
            char b = luhn_valid[v][i + 1];
            if (a == b || (a == '0' && b == '9') || (a == '9' && b == '0')) {
                continue;
            }
            memcpy(s, luhn_valid[v], n + 1);
            s[i] = b;
            s[i + 1] = a;
            if (pt_luhn_is_valid(s, n)) {
                fail_msg("%s (from %s) should be invalid", s, luhn_valid[v]);
            }
        }
    }
}

static void test_pt_luhn_is_valid__non_digits_are_invalid(void **state)
{
    const char *const bad[] = {
        "7992739871a", "a9927398713", "7992 398713", "79927398/13", /* '/' is '0' - 1 */
        "79927398:13",                                              /* ':' is '9' + 1 */
        "-7992739871", "+7992739871", "7992739871 ", NULL,
    };
    size_t i;
    (void)state;
    for (i = 0; bad[i] != NULL; i++) {
        if (pt_luhn_is_valid(bad[i], strlen(bad[i]))) {
            fail_msg("'%s' should be invalid", bad[i]);
        }
    }
    /* An embedded NUL is not a digit. */
    assert_false(pt_luhn_is_valid("7992739\000713", 11));
    assert_false(pt_luhn_is_valid("7992739871\0", 11));
}

static void test_pt_luhn_is_valid__shorter_than_two_is_invalid(void **state)
{
    (void)state;
    assert_false(pt_luhn_is_valid("", 0));
    assert_false(pt_luhn_is_valid("0", 1));
    assert_false(pt_luhn_is_valid("18", 1));
    assert_true(pt_luhn_is_valid("18", 2));
    assert_true(pt_luhn_is_valid("00", 2));
    assert_false(pt_luhn_is_valid("10", 2));
}

/* ---- Ids ---- */

static void test_pt_id_format__shape(void **state)
{
    const char *const prefixes[] = {"mem", "txn", "prg", "key", NULL};
    uint8_t random10[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    size_t p;
    (void)state;
    assert_int_equal(PT_ID_BYTES, 30);
    for (p = 0; prefixes[p] != NULL; p++) {
        char id[PT_ID_BUF_BYTES];
        memset(id, '#', sizeof(id));
        pt_id_format(prefixes[p], 1764000000000, random10, id);
        assert_int_equal(strlen(id), PT_ID_BYTES);
        assert_memory_equal(id, prefixes[p], 3);
        assert_int_equal(id[3], '_');
        assert_true(all_in_alphabet(id + 4, 26, pt_base32_alphabet));
        assert_true(pt_id_is_valid(prefixes[p], id));
    }
}

static void test_pt_id_format__known_vectors(void **state)
{
    uint8_t zero10[10];
    uint8_t ff10[10];
    uint8_t seq10[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    char id[PT_ID_BUF_BYTES];
    (void)state;
    memset(zero10, 0, sizeof(zero10));
    memset(ff10, 0xff, sizeof(ff10));
    pt_id_format("mem", 0, zero10, id);
    assert_string_equal(id, "mem_00000000000000000000000000");
    /* Bit 47 (the last of the 48 time bits) is bit 2 of character 9: value 4. */
    pt_id_format("mem", 1, zero10, id);
    assert_string_equal(id, "mem_00000000040000000000000000");
    /* 128 bits set: 25 full characters and 3 bits padded with two zeros (11100 = 'w'). */
    pt_id_format("mem", (INT64_C(1) << 48) - 1, ff10, id);
    assert_string_equal(id, "mem_zzzzzzzzzzzzzzzzzzzzzzzzzw");
    pt_id_format("mem", 1764000000000, seq10, id);
    assert_string_equal(id, "mem_06dbd5z8000g40r40m30e20918");
}

static void test_pt_id_format__same_inputs_same_id(void **state)
{
    uint8_t random10[10] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
    char a[PT_ID_BUF_BYTES];
    char b[PT_ID_BUF_BYTES];
    (void)state;
    pt_id_format("mem", 1764000000000, random10, a);
    pt_id_format("mem", 1764000000000, random10, b);
    assert_string_equal(a, b);
    random10[9] = 1; /* The last random bit that reaches the id. */
    pt_id_format("mem", 1764000000000, random10, b);
    assert_string_not_equal(a, b);
    pt_id_format("txn", 1764000000000, random10, b);
    assert_memory_equal(b, "txn_", 4);
}

static void test_pt_id_format__sorts_by_time(void **state)
{
    const int64_t times[] = {0,
                             1,
                             255,
                             256,
                             65535,
                             65536,
                             1000000000000,
                             (INT64_C(1) << 40),
                             1764000000000,
                             1764000000001,
                             1764000001000,
                             (INT64_C(1) << 48) - 2,
                             (INT64_C(1) << 48) - 1};
    uint64_t seed = 42;
    size_t i;
    (void)state;
    for (i = 0; i + 1 < sizeof(times) / sizeof(times[0]); i++) {
        uint8_t ra[10];
        uint8_t rb[10];
        char a[PT_ID_BUF_BYTES];
        char b[PT_ID_BUF_BYTES];
        /* The earlier id has the largest random part and the later one the smallest. */
        memset(ra, 0xff, sizeof(ra));
        memset(rb, 0x00, sizeof(rb));
        pt_id_format("mem", times[i], ra, a);
        pt_id_format("mem", times[i + 1], rb, b);
        if (strcmp(a, b) >= 0) {
            fail_msg("%s (at %lld) should sort before %s (at %lld)", a, (long long)times[i], b,
                     (long long)times[i + 1]);
        }
    }
    for (i = 0; i < 20000; i++) {
        uint8_t ra[10];
        uint8_t rb[10];
        char a[PT_ID_BUF_BYTES];
        char b[PT_ID_BUF_BYTES];
        int64_t t = (int64_t)(pt_test_rand(&seed) % ((UINT64_C(1) << 48) - 1));
        int64_t dt = (int64_t)(pt_test_rand(&seed) % 1000) + 1;
        if (t + dt >= (INT64_C(1) << 48)) {
            continue;
        }
        pt_test_rand_bytes(&seed, ra, sizeof(ra));
        pt_test_rand_bytes(&seed, rb, sizeof(rb));
        pt_id_format("mem", t, ra, a);
        pt_id_format("mem", t + dt, rb, b);
        if (strcmp(a, b) >= 0) {
            fail_msg("%s (at %lld) should sort before %s (at %lld)", a, (long long)t, b,
                     (long long)(t + dt));
        }
    }
}

static void test_pt_id_is_valid__accepts_formatted_ids(void **state)
{
    uint64_t seed = 7;
    int i;
    (void)state;
    for (i = 0; i < 2000; i++) {
        uint8_t random10[10];
        char id[PT_ID_BUF_BYTES];
        pt_test_rand_bytes(&seed, random10, sizeof(random10));
        pt_id_format("mem", (int64_t)(pt_test_rand(&seed) >> 16), random10, id);
        if (!pt_id_is_valid("mem", id)) {
            fail_msg("%s should be valid", id);
        }
    }
}

static void test_pt_id_is_valid__wrong_prefix(void **state)
{
    const uint8_t random10[10] = {0};
    char id[PT_ID_BUF_BYTES];
    char s[PT_ID_BUF_BYTES];
    (void)state;
    pt_id_format("mem", 1764000000000, random10, id);
    assert_true(pt_id_is_valid("mem", id));
    assert_false(pt_id_is_valid("txn", id));
    assert_false(pt_id_is_valid("mex", id));
    memcpy(s, id, sizeof(s));
    s[0] = 'M';
    assert_false(pt_id_is_valid("mem", s));
    memcpy(s, id, sizeof(s));
    s[3] = '-';
    assert_false(pt_id_is_valid("mem", s));
    memcpy(s, id, sizeof(s));
    s[3] = '0'; /* 30 characters, all legal, but no separator. */
    assert_false(pt_id_is_valid("mem", s));
}

static void test_pt_id_is_valid__wrong_length(void **state)
{
    const uint8_t random10[10] = {0};
    char id[PT_ID_BUF_BYTES];
    char s[PT_ID_BUF_BYTES + 2];
    (void)state;
    pt_id_format("mem", 1764000000000, random10, id);
    assert_false(pt_id_is_valid("mem", ""));
    assert_false(pt_id_is_valid("mem", "mem"));
    assert_false(pt_id_is_valid("mem", "mem_"));
    assert_false(pt_id_is_valid("mem", "mem_123"));
    memcpy(s, id, PT_ID_BYTES - 1); /* 29 characters */
    s[PT_ID_BYTES - 1] = '\0';
    assert_false(pt_id_is_valid("mem", s));
    memcpy(s, id, PT_ID_BYTES); /* 31 characters */
    s[PT_ID_BYTES] = '0';
    s[PT_ID_BYTES + 1] = '\0';
    assert_false(pt_id_is_valid("mem", s));
}

static void test_pt_id_is_valid__illegal_characters(void **state)
{
    const char illegal[] = "ilouILOUAZ-_ .+/\x80\xff";
    const size_t positions[] = {4, 5, 17, 28, 29};
    const uint8_t random10[10] = {0};
    char id[PT_ID_BUF_BYTES];
    size_t c;
    (void)state;
    pt_id_format("mem", 1764000000000, random10, id);
    for (c = 0; illegal[c] != '\0'; c++) {
        size_t p;
        for (p = 0; p < sizeof(positions) / sizeof(positions[0]); p++) {
            char s[PT_ID_BUF_BYTES];
            memcpy(s, id, sizeof(s));
            s[positions[p]] = illegal[c];
            if (pt_id_is_valid("mem", s)) {
                fail_msg("'%s' (0x%02x at %zu) should be invalid", s,
                         (unsigned)(unsigned char)illegal[c], positions[p]);
            }
        }
    }
}

/* ---- API keys ---- */

static void test_pt_api_key_format__256_bits_in_52_characters(void **state)
{
    uint8_t random32[PT_API_KEY_RANDOM_BYTES];
    char key[PT_API_KEY_BYTES + 1];
    (void)state;
    assert_int_equal(PT_API_KEY_RANDOM_BYTES * 8, 256);
    assert_int_equal((256 + 4) / 5, 52); /* ceil(256 / 5) */
    assert_int_equal(PT_API_KEY_BYTES, 4 + 52);
    memset(random32, 0xa5, sizeof(random32));
    pt_api_key_format(random32, key);
    assert_int_equal(strlen(key), PT_API_KEY_BYTES);
    assert_memory_equal(key, "ptk_", 4);
    assert_true(all_in_alphabet(key + 4, 52, pt_base32_alphabet));
    assert_true(pt_api_key_is_valid(key, strlen(key)));
}

static void test_pt_api_key_format__known_vectors(void **state)
{
    uint8_t random32[PT_API_KEY_RANDOM_BYTES];
    char key[PT_API_KEY_BYTES + 1];
    (void)state;
    memset(random32, 0, sizeof(random32));
    pt_api_key_format(random32, key);
    assert_string_equal(key, "ptk_0000000000000000000000000000000000000000000000000000");
    /* 256 bits set: 51 full characters and 1 bit padded with four zeros (10000 = 'g'). */
    memset(random32, 0xff, sizeof(random32));
    pt_api_key_format(random32, key);
    assert_string_equal(key, "ptk_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzg");
}

static void test_pt_api_key_format__every_bit_counts(void **state)
{
    uint8_t random32[PT_API_KEY_RANDOM_BYTES];
    char base[PT_API_KEY_BYTES + 1];
    unsigned bit;
    (void)state;
    memset(random32, 0x3c, sizeof(random32));
    pt_api_key_format(random32, base);
    for (bit = 0; bit < 256; bit++) {
        char key[PT_API_KEY_BYTES + 1];
        random32[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        pt_api_key_format(random32, key);
        random32[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (strcmp(key, base) == 0) {
            fail_msg("flipping bit %u does not change the key", bit);
        }
        assert_true(pt_api_key_is_valid(key, strlen(key)));
    }
}

static void test_pt_api_key_is_valid__bad_shapes(void **state)
{
    const uint8_t random32[PT_API_KEY_RANDOM_BYTES] = {1, 2, 3};
    char key[PT_API_KEY_BYTES + 1];
    char s[PT_API_KEY_BYTES + 2];
    const char illegal[] = "ilouILOUA-_ \x80";
    size_t c;
    (void)state;
    pt_api_key_format(random32, key);
    assert_true(pt_api_key_is_valid(key, PT_API_KEY_BYTES));
    assert_false(pt_api_key_is_valid(key, PT_API_KEY_BYTES - 1));
    assert_false(pt_api_key_is_valid("", 0));
    assert_false(pt_api_key_is_valid("ptk_", 4));
    memcpy(s, key, PT_API_KEY_BYTES);
    s[PT_API_KEY_BYTES] = '0';
    s[PT_API_KEY_BYTES + 1] = '\0';
    assert_false(pt_api_key_is_valid(s, PT_API_KEY_BYTES + 1));
    /* n bounds the check: a valid key followed by more bytes. */
    assert_true(pt_api_key_is_valid(s, PT_API_KEY_BYTES));
    memcpy(s, key, sizeof(key));
    s[2] = 'K';
    assert_false(pt_api_key_is_valid(s, PT_API_KEY_BYTES));
    memcpy(s, key, sizeof(key));
    s[3] = '-';
    assert_false(pt_api_key_is_valid(s, PT_API_KEY_BYTES));
    memcpy(s, "ptx_", 4);
    assert_false(pt_api_key_is_valid(s, PT_API_KEY_BYTES));
    memcpy(s, key, sizeof(key));
    s[30] = '\0';
    assert_false(pt_api_key_is_valid(s, PT_API_KEY_BYTES));
    for (c = 0; illegal[c] != '\0'; c++) {
        memcpy(s, key, sizeof(key));
        s[4 + c * 4] = illegal[c];
        if (pt_api_key_is_valid(s, PT_API_KEY_BYTES)) {
            fail_msg("'%s' should be invalid", s);
        }
    }
}

/* ---- Card numbers ---- */

static void test_pt_card_number_format__zero_random_bytes(void **state)
{
    uint8_t random15[15];
    char card[PT_CARD_DIGITS + 1];
    (void)state;
    memset(random15, 0, sizeof(random15));
    pt_card_number_format(random15, card);
    assert_string_equal(card, "1000000000000008");
    assert_true(pt_luhn_is_valid(card, PT_CARD_DIGITS));
}

static void test_pt_card_number_format__known_vector(void **state)
{
    const uint8_t random15[15] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    const uint8_t big15[15] = {255, 254, 253, 252, 251, 250, 249, 248,
                               247, 246, 245, 244, 243, 242, 241};
    char card[PT_CARD_DIGITS + 1];
    (void)state;
    pt_card_number_format(random15, card);
    assert_string_equal(card, "1123456789012345");
    pt_card_number_format(big15, card); /* 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 */
    assert_memory_equal(card, "543210987654321", 15);
    assert_true(pt_luhn_is_valid(card, PT_CARD_DIGITS));
}

static void test_pt_card_number_format__first_digit_never_zero(void **state)
{
    uint8_t random15[15];
    int seen[10] = {0};
    unsigned b;
    int d;
    (void)state;
    memset(random15, 0, sizeof(random15));
    for (b = 0; b < 256; b++) {
        char card[PT_CARD_DIGITS + 1];
        random15[0] = (uint8_t)b;
        pt_card_number_format(random15, card);
        if (card[0] < '1' || card[0] > '9') {
            fail_msg("first random byte %u gives %s", b, card);
        }
        seen[card[0] - '0'] = 1;
        assert_true(pt_luhn_is_valid(card, PT_CARD_DIGITS));
    }
    for (d = 1; d <= 9; d++) {
        assert_true(seen[d]);
    }
}

static void test_pt_card_number_format__many_random_inputs(void **state)
{
    uint64_t seed = 20261124;
    int i;
    (void)state;
    for (i = 0; i < 100000; i++) {
        uint8_t random15[15];
        char card[PT_CARD_DIGITS + 2];
        size_t k;
        pt_test_rand_bytes(&seed, random15, sizeof(random15));
        card[PT_CARD_DIGITS + 1] = '#';
        pt_card_number_format(random15, card);
        assert_int_equal(strlen(card), PT_CARD_DIGITS);
        assert_int_equal(card[PT_CARD_DIGITS + 1], '#');
        assert_true(card[0] >= '1' && card[0] <= '9');
        for (k = 1; k < 15; k++) {
            assert_int_equal(card[k], '0' + random15[k] % 10);
        }
        if (!pt_luhn_is_valid(card, PT_CARD_DIGITS)) {
            fail_msg("iteration %d: %s is not Luhn-valid", i, card);
        }
    }
}

/* ---- Referral codes ---- */

static void test_pt_referral_code_format__known_vectors(void **state)
{
    const uint8_t mixed[5] = {0x12, 0x34, 0x56, 0x78, 0x9a};
    const uint8_t zero[5] = {0};
    const uint8_t ff[5] = {0xff, 0xff, 0xff, 0xff, 0xff};
    char code[PT_REFERRAL_CODE_BYTES + 1];
    (void)state;
    assert_int_equal(PT_REFERRAL_CODE_BYTES, 8);
    pt_referral_code_format(mixed, code);
    assert_string_equal(code, "28T5CY4T");
    pt_referral_code_format(zero, code);
    assert_string_equal(code, "00000000");
    pt_referral_code_format(ff, code);
    assert_string_equal(code, "ZZZZZZZZ");
}

static void test_pt_referral_code_format__upper_case_alphabet(void **state)
{
    uint64_t seed = 99;
    int i;
    (void)state;
    for (i = 0; i < 20000; i++) {
        uint8_t random5[5];
        char code[PT_REFERRAL_CODE_BYTES + 2];
        char lower[16];
        size_t k;
        pt_test_rand_bytes(&seed, random5, sizeof(random5));
        code[PT_REFERRAL_CODE_BYTES + 1] = '#';
        pt_referral_code_format(random5, code);
        assert_int_equal(strlen(code), PT_REFERRAL_CODE_BYTES);
        assert_int_equal(code[PT_REFERRAL_CODE_BYTES + 1], '#');
        if (!all_in_alphabet(code, PT_REFERRAL_CODE_BYTES, UPPER_ALPHABET)) {
            fail_msg("'%s' has a character outside the alphabet", code);
        }
        /* The same 40 bits as the lower-case encoding. */
        (void)pt_base32_encode(random5, 5, lower, sizeof(lower));
        for (k = 0; k < PT_REFERRAL_CODE_BYTES; k++) {
            assert_int_equal(
                code[k], UPPER_ALPHABET[strchr(pt_base32_alphabet, lower[k]) - pt_base32_alphabet]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_base32_alphabet__crockford_lower_ascending),
        PT_TEST(test_pt_base32_encode__known_vectors),
        PT_TEST(test_pt_base32_encode__length_and_exact_buffer),
        PT_TEST(test_pt_base32_encode__order_follows_bytes),
        PT_TEST(test_pt_luhn_check_digit__known_numbers),
        PT_TEST(test_pt_luhn_is_valid__known_valid_numbers),
        PT_TEST(test_pt_luhn_is_valid__every_single_digit_change_is_caught),
        PT_TEST(test_pt_luhn_is_valid__adjacent_transpositions_are_caught),
        PT_TEST(test_pt_luhn_is_valid__non_digits_are_invalid),
        PT_TEST(test_pt_luhn_is_valid__shorter_than_two_is_invalid),
        PT_TEST(test_pt_id_format__shape),
        PT_TEST(test_pt_id_format__known_vectors),
        PT_TEST(test_pt_id_format__same_inputs_same_id),
        PT_TEST(test_pt_id_format__sorts_by_time),
        PT_TEST(test_pt_id_is_valid__accepts_formatted_ids),
        PT_TEST(test_pt_id_is_valid__wrong_prefix),
        PT_TEST(test_pt_id_is_valid__wrong_length),
        PT_TEST(test_pt_id_is_valid__illegal_characters),
        PT_TEST(test_pt_api_key_format__256_bits_in_52_characters),
        PT_TEST(test_pt_api_key_format__known_vectors),
        PT_TEST(test_pt_api_key_format__every_bit_counts),
        PT_TEST(test_pt_api_key_is_valid__bad_shapes),
        PT_TEST(test_pt_card_number_format__zero_random_bytes),
        PT_TEST(test_pt_card_number_format__known_vector),
        PT_TEST(test_pt_card_number_format__first_digit_never_zero),
        PT_TEST(test_pt_card_number_format__many_random_inputs),
        PT_TEST(test_pt_referral_code_format__known_vectors),
        PT_TEST(test_pt_referral_code_format__upper_case_alphabet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
