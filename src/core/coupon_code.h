/* SPDX-License-Identifier: MIT */
/*
 * Coupon codes (issue 8, docs/rewards.md): what a member shows at the till and a cashier
 * types or scans. Crockford base32 (0-9 A-Z without I, L, O, U), 12 random symbols (60 bits)
 * after an optional prefix, and a check symbol that catches every single mistyped symbol and
 * every swap of two neighbours before anything is looked up.
 *
 * The check is Damm's algorithm over the quasigroup x * y = 2x + y of GF(32) (modulus
 * x^5 + x^2 + 1): each step is a bijection of the running value and of the symbol, so any one
 * changed symbol changes the result; and (c * x) * y = (c * y) * x only when x = y, so any
 * swap of two different neighbours does too (the check symbol included). It stays inside the
 * 32 symbols, unlike Crockford's own mod-37 check (which needs * ~ $ = U).
 *
 * Forms: canonical "MAY26K7QF9XZ2M4TDZ" (upper case, no separators; stored and looked up),
 * printed "MAY26-K7QF-9XZ2-M4TD-Z". Input is accepted in any case, with or without hyphens
 * and spaces, and with Crockford's aliases (O is 0; I and L are 1). Pure.
 */
#ifndef PT_CORE_COUPON_CODE_H
#define PT_CORE_COUPON_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define PT_COUPON_RANDOM_SYMBOLS 12 /* 60 bits */
#define PT_COUPON_PREFIX_MAX 8
/* Canonical: prefix + random + check. */
#define PT_COUPON_CODE_MAX (PT_COUPON_PREFIX_MAX + PT_COUPON_RANDOM_SYMBOLS + 1)
/* Printed: prefix, '-', three groups of 4 with '-', '-', check, NUL. */
#define PT_COUPON_PRINTED_BYTES (PT_COUPON_CODE_MAX + 6)
/* Input the parser looks at (separators included); longer is refused at once. */
#define PT_COUPON_INPUT_BYTES_MAX 64

/* The check symbol of the n symbols of s (upper-case Crockford). */
char pt_coupon_check_symbol(const char *s, size_t n);

/* PT_EINVAL (field "prefix") unless prefix is 0..PT_COUPON_PREFIX_MAX Crockford symbols (upper
 * or lower case; I, L, O and U are not allowed: they would read as other symbols). */
PT_MUSTCHECK enum pt_rc pt_coupon_prefix_validate(const char *prefix, struct pt_err *err);

/* Makes a code from 60 random bits (the low 60 of random8, big-endian) after prefix (valid;
 * upper-cased) into out (>= PT_COUPON_CODE_MAX + 1 bytes), canonical. */
void pt_coupon_code_make(const uint8_t random8[8], const char *prefix, char *out, size_t out_bytes);

/* Reads a typed or scanned code into its canonical form (out >= PT_COUPON_CODE_MAX + 1).
 * PT_EINVAL (field "code", API code "invalid_code") for a symbol outside the alphabet, a wrong
 * length, or a check symbol that does not match (a typo), saying which. */
PT_MUSTCHECK enum pt_rc pt_coupon_code_parse(const char *input, char *out, size_t out_bytes,
                                             struct pt_err *err);

/* The printed form of a canonical code whose prefix is prefix_len symbols. */
void pt_coupon_code_print(const char *canonical, size_t prefix_len, char *out, size_t out_bytes);

#endif
