/* SPDX-License-Identifier: MIT */
/*
 * Member tokens of the embed (docs/web.md, "The publishable key and the member token"): a web
 * shop's own server vouches for its signed-in customer's Patron member id by signing it with
 * the program's embed secret, and the shop's page hands the token to GET /v1/embed/member with
 * the publishable key. The token is "v1.<member id>.<expires>.<mac>": expires in Unix seconds,
 * mac the lowercase hex of HMAC-SHA256(secret, "v1.<member id>.<expires>"). Pure: the time is
 * passed in, the secret too; nothing here reads the store or a clock.
 */
#ifndef PT_CORE_EMBED_H
#define PT_CORE_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

/* What a valid token says. */
struct pt_embed_claim {
    char member_id[PT_ID_BUF_BYTES];
    int64_t expires_s; /* Unix seconds. */
};

/*
 * Verifies token (len bytes, not NUL-terminated) against secret at now_ms: its shape (the
 * member id of 1..PT_ID_BYTES bytes of [a-z0-9_], the expiry of 1..12 decimal digits without a
 * leading zero, 64 lowercase hex digits), its MAC (compared in constant time), then its time:
 * past (expired) or more than PT_EMBED_TOKEN_AHEAD_S_MAX ahead. PT_EAUTH with code
 * invalid_member_token when any fails (the message says which; the shape and the MAC are
 * judged before the time, so a forged token learns nothing of it). OUT: *out on PT_OK.
 */
PT_MUSTCHECK enum pt_rc pt_embed_token_verify(const uint8_t secret[PT_EMBED_SECRET_BYTES],
                                              const char *token, size_t len, int64_t now_ms,
                                              struct pt_embed_claim *out, struct pt_err *err);

/* Writes the token of member_id (a valid id) expiring at expires_s (>= 1) into out: what a
 * shop's server computes (the server never issues one; tests and docs do). */
void pt_embed_token_make(const uint8_t secret[PT_EMBED_SECRET_BYTES], const char *member_id,
                         int64_t expires_s, char out[PT_EMBED_TOKEN_BYTES_MAX + 1]);

#endif
