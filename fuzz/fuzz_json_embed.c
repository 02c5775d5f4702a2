/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a publishable key's origin (an item of allowed_origins, and a request's Origin
 * header) and a member token (X-Patron-Member-Token), the embed's two decoders (core/keys.h,
 * core/embed.h). The first byte chooses: even an origin, odd a token; the rest is the input.
 * Properties: never crashes or reads past the input; an accepted origin is at most 253 bytes,
 * begins "http://" or "https://", holds none of what a browser's serialized origin never holds
 * (path, query, fragment, userinfo, blank, '%', '_', an upper-case letter) and is listed by a
 * list of itself alone; a refused token is PT_EAUTH with code invalid_member_token, and an
 * accepted one is exactly the token made again from its claim with the same secret.
 */
#include "fuzz_target.h"

#include "base/assert.h"
#include "core/embed.h"
#include "core/keys.h"

#include <stdio.h>
#include <string.h>

static void origin_one(const char *s, size_t n)
{
    size_t i;
    if (!pt_origin_is_valid(s, n)) {
        return;
    }
    FUZZ_CHECK(n <= PT_ORIGIN_BYTES_MAX);
    FUZZ_CHECK(strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0);
    for (i = 8; i < n; i++) {
        FUZZ_CHECK(strchr("/?#@ %_", s[i]) == NULL && !(s[i] >= 'A' && s[i] <= 'Z'));
        FUZZ_CHECK(s[i] != '\0');
    }
    FUZZ_CHECK(pt_origin_listed(s, s, n));
}

static void token_one(const char *s, size_t n)
{
    static const uint8_t secret[PT_EMBED_SECRET_BYTES] = {7, 1, 2, 3};
    char again[PT_EMBED_TOKEN_BYTES_MAX + 1];
    struct pt_embed_claim claim;
    struct pt_err err;
    pt_err_clear(&err);
    /* Now is a fixed time; a token expires within the next day to be accepted. */
    if (pt_embed_token_verify(secret, s, n, 1767225600000LL, &claim, &err) != PT_OK) {
        FUZZ_CHECK(err.rc == PT_EAUTH && strcmp(err.code, "invalid_member_token") == 0);
        return;
    }
    pt_embed_token_make(secret, claim.member_id, claim.expires_s, again);
    FUZZ_CHECK(strlen(again) == n && memcmp(again, s, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char input[PT_KEY_ORIGINS_TEXT_BYTES_MAX + 1];
    size_t n;
    fuzz_setup();
    if (size == 0) {
        return 0;
    }
    n = size - 1 < sizeof(input) - 1 ? size - 1 : sizeof(input) - 1;
    memcpy(input, data + 1, n);
    input[n] = '\0';
    if (data[0] % 2 == 0) {
        origin_one(input, n);
    } else {
        token_one(input, n);
    }
    return 0;
}
