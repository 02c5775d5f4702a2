/* SPDX-License-Identifier: MIT */
/* Ids and codes. See codes.h. */
#include "core/codes.h"

#include "base/assert.h"

#include <ctype.h>
#include <string.h>

const char pt_base32_alphabet[33] = "0123456789abcdefghjkmnpqrstvwxyz";

size_t pt_base32_encode(const uint8_t *data, size_t n, char *out, size_t out_bytes)
{
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t i;
    pt_assert(out_bytes >= (8 * n + 4) / 5 + 1);
    for (i = 0; i < n; i++) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = pt_base32_alphabet[(acc >> bits) & 31u];
        }
    }
    if (bits > 0) {
        out[o++] = pt_base32_alphabet[(acc << (5 - bits)) & 31u];
    }
    out[o] = '\0';
    pt_assert(o == (8 * n + 4) / 5);
    return o;
}

char pt_luhn_check_digit(const char *digits, size_t n)
{
    unsigned sum = 0;
    size_t i;
    /* Walking from the right, the digit next to the check digit is doubled first. */
    for (i = 0; i < n; i++) {
        unsigned d = (unsigned)(digits[n - 1 - i] - '0');
        pt_assert(d <= 9);
        if (i % 2 == 0) {
            d *= 2;
            if (d > 9) {
                d -= 9;
            }
        }
        sum += d;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

bool pt_luhn_is_valid(const char *s, size_t n)
{
    size_t i;
    if (n < 2) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return pt_luhn_check_digit(s, n - 1) == s[n - 1];
}

void pt_id_format(const char *prefix, int64_t at_ms, const uint8_t random10[10], char *out)
{
    uint8_t raw[16];
    int i;
    pt_assert(strlen(prefix) == 3);
    pt_assert(at_ms >= 0);
    for (i = 0; i < 6; i++) {
        raw[i] = (uint8_t)((uint64_t)at_ms >> (8 * (5 - i)));
    }
    memcpy(raw + 6, random10, 10);
    memcpy(out, prefix, 3);
    out[3] = '_';
    (void)pt_base32_encode(raw, sizeof(raw), out + 4, PT_ID_BUF_BYTES - 4);
    pt_assert(strlen(out) == PT_ID_BYTES);
}

static bool is_base32_lower(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] == '\0' || strchr(pt_base32_alphabet, s[i]) == NULL) {
            return false;
        }
    }
    return true;
}

bool pt_id_is_valid(const char *prefix, const char *s)
{
    if (strlen(s) != PT_ID_BYTES || strncmp(s, prefix, 3) != 0 || s[3] != '_') {
        return false;
    }
    return is_base32_lower(s + 4, PT_ID_BYTES - 4);
}

void pt_api_key_format(const uint8_t random32[PT_API_KEY_RANDOM_BYTES], char *out)
{
    memcpy(out, "ptk_", 4);
    (void)pt_base32_encode(random32, PT_API_KEY_RANDOM_BYTES, out + 4, PT_API_KEY_BYTES + 1 - 4);
    pt_assert(strlen(out) == PT_API_KEY_BYTES);
}

bool pt_api_key_is_valid(const char *s, size_t n)
{
    if (n != PT_API_KEY_BYTES || strncmp(s, "ptk_", 4) != 0) {
        return false;
    }
    return is_base32_lower(s + 4, n - 4);
}

void pt_card_number_format(const uint8_t random15[15], char *out)
{
    int i;
    for (i = 0; i < 15; i++) {
        out[i] = (char)('0' + random15[i] % 10);
    }
    if (out[0] == '0') {
        out[0] = (char)('1' + random15[0] % 9);
    }
    out[15] = pt_luhn_check_digit(out, 15);
    out[16] = '\0';
    pt_assert(pt_luhn_is_valid(out, PT_CARD_DIGITS));
}

void pt_referral_code_format(const uint8_t random5[5], char *out)
{
    char tmp[16];
    int i;
    (void)pt_base32_encode(random5, 5, tmp, sizeof(tmp));
    for (i = 0; i < PT_REFERRAL_CODE_BYTES; i++) {
        out[i] = (char)toupper((unsigned char)tmp[i]);
    }
    out[PT_REFERRAL_CODE_BYTES] = '\0';
}
