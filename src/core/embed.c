/* SPDX-License-Identifier: MIT */
/* Member tokens of the embed (embed.h): their shape, their MAC and their time. */
#include "core/embed.h"

#include "base/assert.h"
#include "base/random.h"

#include <stdio.h>
#include <string.h>

#define MAC_HEX_BYTES 64
#define EXPIRES_DIGITS_MAX 12

static enum pt_rc refuse(struct pt_err *err, const char *why)
{
    (void)pt_err_set(err, PT_EAUTH, NULL, "the member token %s", why);
    return pt_err_code(err, "invalid_member_token");
}

static void hex_of(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The MAC of the signed part (len bytes), as lowercase hex. */
static void mac_hex(const uint8_t secret[PT_EMBED_SECRET_BYTES], const char *signed_part,
                    size_t len, char out[MAC_HEX_BYTES + 1])
{
    uint8_t mac[32];
    pt_hmac_sha256(secret, PT_EMBED_SECRET_BYTES, signed_part, len, mac);
    hex_of(mac, sizeof(mac), out);
}

static bool all_of(const char *s, size_t len, const char *set)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (s[i] == '\0' || strchr(set, s[i]) == NULL) {
            return false;
        }
    }
    return true;
}

/* Splits "v1.<member>.<expires>.<mac>" into its parts; false when its shape is wrong. */
static bool token_split(const char *token, size_t len, struct pt_embed_claim *out,
                        size_t *signed_len)
{
    const char *member = token + 3;
    const char *dot;
    const char *expires;
    size_t member_len;
    size_t expires_len;
    size_t i;
    if (len > PT_EMBED_TOKEN_BYTES_MAX || len < 3 || memcmp(token, "v1.", 3) != 0) {
        return false;
    }
    dot = memchr(member, '.', len - 3);
    if (dot == NULL) {
        return false;
    }
    member_len = (size_t)(dot - member);
    expires = dot + 1;
    dot = memchr(expires, '.', len - (size_t)(expires - token));
    if (dot == NULL) {
        return false;
    }
    expires_len = (size_t)(dot - expires);
    *signed_len = (size_t)(dot - token);
    if (member_len == 0 || member_len > PT_ID_BYTES ||
        !all_of(member, member_len, "abcdefghijklmnopqrstuvwxyz0123456789_") || expires_len == 0 ||
        expires_len > EXPIRES_DIGITS_MAX || expires[0] == '0' ||
        !all_of(expires, expires_len, "0123456789") || len - *signed_len - 1 != MAC_HEX_BYTES ||
        !all_of(dot + 1, MAC_HEX_BYTES, "0123456789abcdef")) {
        return false;
    }
    memcpy(out->member_id, member, member_len);
    out->member_id[member_len] = '\0';
    out->expires_s = 0;
    for (i = 0; i < expires_len; i++) {
        out->expires_s = out->expires_s * 10 + (expires[i] - '0');
    }
    return true;
}

enum pt_rc pt_embed_token_verify(const uint8_t secret[PT_EMBED_SECRET_BYTES], const char *token,
                                 size_t len, int64_t now_ms, struct pt_embed_claim *out,
                                 struct pt_err *err)
{
    char expected[MAC_HEX_BYTES + 1];
    size_t signed_len = 0;
    int64_t now_s = now_ms / 1000;
    memset(out, 0, sizeof(*out));
    if (!token_split(token, len, out, &signed_len)) {
        return refuse(err, "is malformed: it is v1.<member_id>.<expires>.<hex HMAC-SHA256>");
    }
    mac_hex(secret, token, signed_len, expected);
    if (!pt_secret_equal(expected, token + signed_len + 1, MAC_HEX_BYTES)) {
        return refuse(err, "has a wrong signature (signed with another secret, or altered)");
    }
    if (out->expires_s <= now_s) {
        return refuse(err, "has expired");
    }
    if (out->expires_s - now_s > PT_EMBED_TOKEN_AHEAD_S_MAX) {
        return refuse(err, "expires more than 24 hours ahead");
    }
    return PT_OK;
}

void pt_embed_token_make(const uint8_t secret[PT_EMBED_SECRET_BYTES], const char *member_id,
                         int64_t expires_s, char out[PT_EMBED_TOKEN_BYTES_MAX + 1])
{
    char mac[MAC_HEX_BYTES + 1];
    int n;
    pt_assert(expires_s >= 1);
    n = snprintf(out, PT_EMBED_TOKEN_BYTES_MAX + 1, "v1.%s.%lld", member_id, (long long)expires_s);
    pt_assert(n > 0 && (size_t)n + 1 + MAC_HEX_BYTES <= PT_EMBED_TOKEN_BYTES_MAX);
    mac_hex(secret, out, (size_t)n, mac);
    (void)snprintf(out + n, PT_EMBED_TOKEN_BYTES_MAX + 1 - (size_t)n, ".%s", mac);
}
