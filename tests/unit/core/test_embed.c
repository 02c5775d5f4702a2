/* SPDX-License-Identifier: MIT */
/*
 * Goal: a member token is accepted exactly when its shape, its MAC and its time hold
 * (core/embed.h), and the token made here is the one docs/web.md computes by hand.
 * Method: the worked example of docs/web.md; every part altered; the expiry at the bounds
 * (now, now + 1 s, 24 h ahead and one second more); every shape error; the length at the bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/random.h"
#include "core/embed.h"

static const uint8_t secret[PT_EMBED_SECRET_BYTES] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static const char member[] = "mem_06h0p41w80y3mt3tqv52ygf5ar";
static const int64_t expires_s = 1767225600; /* 2026-01-01T00:00:00Z */
/* docs/web.md, "The publishable key and the member token": openssl and Python agree on it. */
static const char documented[] = "v1.mem_06h0p41w80y3mt3tqv52ygf5ar.1767225600."
                                 "c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83d";

static enum pt_rc verify_at(const char *token, int64_t now_s, struct pt_embed_claim *claim,
                            struct pt_err *err)
{
    return pt_embed_token_verify(secret, token, strlen(token), now_s * 1000, claim, err);
}

static void assert_refused(const char *token, int64_t now_s, const char *words)
{
    struct pt_embed_claim claim;
    struct pt_err err;
    pt_err_clear(&err);
    assert_int_equal(verify_at(token, now_s, &claim, &err), PT_EAUTH);
    assert_string_equal(err.code, "invalid_member_token");
    if (strstr(err.msg, words) == NULL) {
        fail_msg("'%s': '%s' lacks '%s'", token, err.msg, words);
    }
}

static void test_pt_embed_token_make__is_the_documented_token(void **state)
{
    char token[PT_EMBED_TOKEN_BYTES_MAX + 1];
    struct pt_embed_claim claim;
    struct pt_err err;
    (void)state;
    pt_embed_token_make(secret, member, expires_s, token);
    assert_string_equal(token, documented);
    assert_int_equal(verify_at(documented, expires_s - 3600, &claim, &err), PT_OK);
    assert_string_equal(claim.member_id, member);
    assert_int_equal(claim.expires_s, expires_s);
}

static void test_pt_embed_token_verify__time_at_its_bounds(void **state)
{
    struct pt_embed_claim claim;
    struct pt_err err;
    (void)state;
    assert_int_equal(verify_at(documented, expires_s - 1, &claim, &err), PT_OK);
    assert_refused(documented, expires_s, "expired");
    assert_refused(documented, expires_s + 1, "expired");
    assert_int_equal(verify_at(documented, expires_s - PT_EMBED_TOKEN_AHEAD_S_MAX, &claim, &err),
                     PT_OK);
    assert_refused(documented, expires_s - PT_EMBED_TOKEN_AHEAD_S_MAX - 1, "24 hours");
}

static void test_pt_embed_token_verify__every_part_altered(void **state)
{
    char token[PT_EMBED_TOKEN_BYTES_MAX + 1];
    static const uint8_t other[PT_EMBED_SECRET_BYTES] = {1};
    int64_t now_s = expires_s - 60;
    (void)state;
    snprintf(token, sizeof(token), "%s", documented);
    token[strlen(token) - 1] = token[strlen(token) - 1] == '0' ? '1' : '0';
    assert_refused(token, now_s, "signature");
    snprintf(token, sizeof(token), "%s", documented);
    token[4] = 'x'; /* The member: mem_ -> mxm_ */
    assert_refused(token, now_s, "signature");
    snprintf(token, sizeof(token), "%s", documented);
    token[strlen("v1.") + strlen(member) + 1] = '2'; /* The expiry. */
    assert_refused(token, now_s, "signature");
    pt_embed_token_make(other, member, expires_s, token);
    assert_refused(token, now_s, "signature");
}

static void test_pt_embed_token_verify__shapes(void **state)
{
    static const char *const bad[] = {
        "",
        "v1",
        "v1.",
        "v1..1767225600.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83d",
        "v2.mem_x.1767225600.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83d",
        "v1.mem_x..c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83d",
        "v1.mem_x.01767225600.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83",
        "v1.mem_x.1767225600x.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83d",
        "v1.mem_x.1767225600000000.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab",
        "v1.MEM_X.1767225600.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83d",
        "v1.mem-x.1767225600.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83d",
        "v1.mem_x.1767225600.C030630926A795675E7112EA2B20F0289DFBF5CB08A408514AE445A4E9AAB83D",
        "v1.mem_x.1767225600.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83",
        "v1.mem_x.1767225600.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83d0",
        "v1.mem_x.1767225600.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83g",
        "v1.mem.x.1767225600.c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83d",
        "v1.mem_0123456789012345678901234567.1767225600."
        "c030630926a795675e7112ea2b20f0289dfbf5cb08a408514ae445a4e9aab83d",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_refused(bad[i], expires_s - 60, "malformed");
    }
}

static void test_pt_embed_token_verify__length_n_and_n_plus_1(void **state)
{
    char token[PT_EMBED_TOKEN_BYTES_MAX + 2];
    char id[PT_ID_BYTES + 2];
    struct pt_embed_claim claim;
    struct pt_err err;
    (void)state;
    /* The longest id (PT_ID_BYTES) and the longest expiry fit the bound. */
    memset(id, 'a', PT_ID_BYTES);
    id[PT_ID_BYTES] = '\0';
    pt_embed_token_make(secret, id, 999999999999LL, token);
    assert_true(strlen(token) <= PT_EMBED_TOKEN_BYTES_MAX);
    assert_refused(token, 1, "24 hours"); /* Well-formed: only its time is wrong. */
    pt_embed_token_make(secret, id, 1000, token);
    assert_int_equal(verify_at(token, 999, &claim, &err), PT_OK);
    /* One byte more of id is malformed. */
    id[PT_ID_BYTES] = 'a';
    id[PT_ID_BYTES + 1] = '\0';
    snprintf(token, sizeof(token), "v1.%s.1000.%064d", id, 0);
    assert_refused(token, 999, "malformed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_embed_token_make__is_the_documented_token),
        PT_TEST(test_pt_embed_token_verify__time_at_its_bounds),
        PT_TEST(test_pt_embed_token_verify__every_part_altered),
        PT_TEST(test_pt_embed_token_verify__shapes),
        PT_TEST(test_pt_embed_token_verify__length_n_and_n_plus_1),
    };
    struct pt_err err;
    if (pt_random_init(&err) != PT_OK) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
