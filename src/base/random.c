/* SPDX-License-Identifier: MIT */
/* Secure randomness and hashing through libsodium. */
#include "base/random.h"

#include "base/assert.h"

#include <sodium.h>
#include <string.h>

_Static_assert(crypto_pwhash_STRBYTES == PT_PASSWORD_HASH_BYTES, "the stored form fits");

enum pt_rc pt_random_init(struct pt_err *err)
{
    if (sodium_init() < 0) {
        return pt_err_set(err, PT_EINTERNAL, NULL, "libsodium could not be initialized");
    }
    return PT_OK;
}

void pt_random_bytes(void *buf, size_t n)
{
    randombytes_buf(buf, n);
}

uint32_t pt_random_uniform(uint32_t upper_bound)
{
    return randombytes_uniform(upper_bound);
}

void pt_hash32(const void *data, size_t n, uint8_t out[32])
{
    /* crypto_generichash only fails on invalid sizes, which are constants here. */
    int rc = crypto_generichash(out, 32, data, n, NULL, 0);
    (void)rc;
}

void pt_hmac_sha256(const uint8_t *key, size_t key_bytes, const void *msg, size_t n,
                    uint8_t out[32])
{
    crypto_auth_hmacsha256_state state;
    _Static_assert(crypto_auth_hmacsha256_BYTES == 32, "a MAC of 32 bytes");
    /* These fail on no input that a caller can give (sizes only). */
    (void)crypto_auth_hmacsha256_init(&state, key, key_bytes);
    (void)crypto_auth_hmacsha256_update(&state, msg, n);
    (void)crypto_auth_hmacsha256_final(&state, out);
    sodium_memzero(&state, sizeof(state));
}

void pt_secret_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}

bool pt_secret_equal(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}

void pt_base64url_encode(const uint8_t *bytes, size_t n, char *out, size_t out_bytes)
{
    pt_assert(out_bytes >= sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING));
    (void)sodium_bin2base64(out, out_bytes, bytes, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

enum pt_rc pt_password_hash(const char *password, size_t len, char out[PT_PASSWORD_HASH_BYTES],
                            struct pt_err *err)
{
    pt_assert(len <= PT_PASSWORD_BYTES_MAX);
    if (crypto_pwhash_str_alg(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        /* The one failure of a valid call: the memory could not be allocated. */
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory, retry");
    }
    pt_assert(strncmp(out, "$argon2id$", 10) == 0);
    return PT_OK;
}

bool pt_password_verify(const char *stored, const char *password, size_t len)
{
    pt_assert(len <= PT_PASSWORD_BYTES_MAX);
    return crypto_pwhash_str_verify(stored, password, len) == 0;
}
