/* SPDX-License-Identifier: MIT */
/*
 * Identifiers and codes, pure: Crockford base32, Luhn check digits, object ids, API keys, card
 * numbers and referral codes. Randomness and time are passed in, so every function here is a
 * deterministic function of its inputs. Outputs go to caller buffers of the stated size.
 */
#ifndef PT_CORE_CODES_H
#define PT_CORE_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

/* Crockford base32 alphabet, lower case: 0-9 a-z without i, l, o, u. */
extern const char pt_base32_alphabet[33];

/*
 * Encodes n bytes as Crockford base32 (5 bits per character, most significant first, the last
 * group zero-padded), lower case, into out (>= (8n+4)/5 + 1 bytes). Returns the characters
 * written (excluding the NUL).
 */
size_t pt_base32_encode(const uint8_t *data, size_t n, char *out, size_t out_bytes);

/* Returns the Luhn check digit ('0'..'9') for the n decimal digits at digits. */
char pt_luhn_check_digit(const char *digits, size_t n);

/* Returns true when the n characters at s are all digits and the last is a valid Luhn check. */
bool pt_luhn_is_valid(const char *s, size_t n);

/*
 * Formats an object id: prefix ("mem"), '_', then 26 base32 characters of 48 bits of at_ms
 * followed by the 80 bits of random10. Ids sort by creation time to the millisecond.
 * out must hold PT_ID_BUF_BYTES. prefix is 3 lower-case letters.
 */
void pt_id_format(const char *prefix, int64_t at_ms, const uint8_t random10[10], char *out);

/* Returns true when s looks like an id of the given prefix (shape only, no lookup). */
bool pt_id_is_valid(const char *prefix, const char *s);

/* Formats an API key "ptk_" + 52 base32 characters of the 32 random bytes; out holds 57 bytes. */
void pt_api_key_format(const uint8_t random32[PT_API_KEY_RANDOM_BYTES], char *out);

/* Returns true when s has the shape of an API key. */
bool pt_api_key_is_valid(const char *s, size_t n);

/*
 * Formats a 16-digit card number from 15 random values (each taken mod 10; the first made
 * non-zero) and a Luhn check digit. out holds PT_CARD_DIGITS + 1 bytes.
 */
void pt_card_number_format(const uint8_t random15[15], char *out);

/* Formats a referral code of PT_REFERRAL_CODE_BYTES upper-case base32 characters. */
void pt_referral_code_format(const uint8_t random5[5], char *out);

#endif
