/* SPDX-License-Identifier: MIT */
/* Coupon codes: Crockford base32 with a Damm check over GF(32) (see coupon_code.h). */
#include "core/coupon_code.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

static const char symbols[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* The value of an upper-case symbol, or -1. */
static int symbol_value(char c)
{
    const char *p = c != '\0' ? strchr(symbols, c) : NULL;
    return p != NULL ? (int)(p - symbols) : -1;
}

/* One step of the check: 2·v + d in GF(32) with x^5 + x^2 + 1. */
static unsigned damm_step(unsigned v, unsigned d)
{
    unsigned twice = v << 1;
    if (twice & 32u) {
        twice ^= 0x25u; /* x^5 = x^2 + 1 */
    }
    return (twice ^ d) & 31u;
}

static unsigned damm_run(const char *s, size_t n)
{
    unsigned v = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        int d = symbol_value(s[i]);
        pt_assert(d >= 0);
        v = damm_step(v, (unsigned)d);
    }
    return v;
}

char pt_coupon_check_symbol(const char *s, size_t n)
{
    /* The check c makes the next step zero: 2·v + c = 0, so c = 2·v. */
    return symbols[damm_step(damm_run(s, n), 0)];
}

enum pt_rc pt_coupon_prefix_validate(const char *prefix, struct pt_err *err)
{
    size_t n = strlen(prefix);
    size_t i;
    if (n > PT_COUPON_PREFIX_MAX) {
        return pt_err_set(err, PT_EINVAL, "prefix", "prefix is at most %d symbols",
                          PT_COUPON_PREFIX_MAX);
    }
    for (i = 0; i < n; i++) {
        char c = prefix[i] >= 'a' && prefix[i] <= 'z' ? (char)(prefix[i] - 32) : prefix[i];
        if (symbol_value(c) < 0) {
            return pt_err_set(err, PT_EINVAL, "prefix",
                              "prefix takes 0-9 and A-Z without I, L, O and U (they read as 1, "
                              "1, 0 and nothing)");
        }
    }
    return PT_OK;
}

void pt_coupon_code_make(const uint8_t random8[8], const char *prefix, char *out, size_t out_bytes)
{
    uint64_t bits = 0;
    size_t n = strlen(prefix);
    size_t i;
    pt_assert(n <= PT_COUPON_PREFIX_MAX && out_bytes >= PT_COUPON_CODE_MAX + 1);
    for (i = 0; i < 8; i++) {
        bits = bits << 8 | random8[i];
    }
    for (i = 0; i < n; i++) {
        out[i] = prefix[i] >= 'a' && prefix[i] <= 'z' ? (char)(prefix[i] - 32) : prefix[i];
        pt_assert(symbol_value(out[i]) >= 0);
    }
    for (i = 0; i < PT_COUPON_RANDOM_SYMBOLS; i++) {
        out[n + i] = symbols[(bits >> (5 * (PT_COUPON_RANDOM_SYMBOLS - 1 - i))) & 31u];
    }
    n += PT_COUPON_RANDOM_SYMBOLS;
    out[n] = pt_coupon_check_symbol(out, n);
    out[n + 1] = '\0';
}

static enum pt_rc invalid(struct pt_err *err, const char *message)
{
    (void)pt_err_set(err, PT_EINVAL, "code", "%s", message);
    return pt_err_code(err, "invalid_code");
}

enum pt_rc pt_coupon_code_parse(const char *input, char *out, size_t out_bytes, struct pt_err *err)
{
    size_t n = 0;
    size_t i;
    pt_assert(out_bytes >= PT_COUPON_CODE_MAX + 1);
    if (strlen(input) > PT_COUPON_INPUT_BYTES_MAX) {
        return invalid(err, "a code is at most 64 characters, separators included");
    }
    for (i = 0; input[i] != '\0'; i++) {
        char c = input[i];
        if (c == '-' || c == ' ') {
            continue;
        }
        if (c >= 'a' && c <= 'z') {
            c = (char)(c - 32);
        }
        if (c == 'O') {
            c = '0';
        } else if (c == 'I' || c == 'L') {
            c = '1';
        }
        if (symbol_value(c) < 0) {
            return invalid(err, "a code has 0-9 and A-Z without U (and separators - or space)");
        }
        if (n == PT_COUPON_CODE_MAX) {
            return invalid(err, "a code is at most 21 symbols (a prefix of 8, 12, a check)");
        }
        out[n++] = c;
    }
    out[n] = '\0';
    if (n < PT_COUPON_RANDOM_SYMBOLS + 1) {
        return invalid(err, "a code has at least 13 symbols");
    }
    if (damm_run(out, n) != 0) {
        return invalid(err, "the code has a typo: its check symbol does not match");
    }
    return PT_OK;
}

void pt_coupon_code_print(const char *canonical, size_t prefix_len, char *out, size_t out_bytes)
{
    size_t n = strlen(canonical);
    size_t o = 0;
    size_t i;
    pt_assert(n >= prefix_len + PT_COUPON_RANDOM_SYMBOLS + 1);
    pt_assert(out_bytes >= PT_COUPON_PRINTED_BYTES);
    for (i = 0; i < n; i++) {
        size_t k = i - prefix_len; /* Position in the random part (wraps below prefix_len). */
        if (i > 0 &&
            (i == prefix_len || i == n - 1 || (i > prefix_len && i < n - 1 && k % 4 == 0))) {
            out[o++] = '-';
        }
        out[o++] = canonical[i];
    }
    out[o] = '\0';
}
