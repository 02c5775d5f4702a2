/* SPDX-License-Identifier: MIT */
/*
 * The system's secure random source (libsodium's randombytes: getrandom(2)), hashing, and
 * password hashing. Thread-safe once pt_random_init has succeeded.
 */
#ifndef PT_BASE_RANDOM_H
#define PT_BASE_RANDOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

/* Initializes libsodium; call once at startup. PT_EINTERNAL when it cannot. */
PT_MUSTCHECK enum pt_rc pt_random_init(struct pt_err *err);

/* Fills buf with n secure random bytes. */
void pt_random_bytes(void *buf, size_t n);

/* Returns a uniform random integer in [0, upper_bound). */
uint32_t pt_random_uniform(uint32_t upper_bound);

/* Writes the 32-byte BLAKE2b hash of the n bytes at data into out. */
void pt_hash32(const void *data, size_t n, uint8_t out[32]);

/* Writes HMAC-SHA256 (RFC 2104) of the n bytes at msg under the key_bytes bytes of key into
 * out (libsodium's crypto_auth_hmacsha256). */
void pt_hmac_sha256(const uint8_t *key, size_t key_bytes, const void *msg, size_t n,
                    uint8_t out[32]);

/* Overwrites the n bytes at p with zeros in a way the compiler keeps (a secret's copy). */
void pt_secret_wipe(void *p, size_t n);

/* Whether the n bytes at a and b are equal, in a time that does not depend on where they
 * differ (secrets a client sends: CSRF tokens). */
bool pt_secret_equal(const void *a, const void *b, size_t n);

/* Writes n bytes as base64url without padding (RFC 4648 section 5) into out, NUL-terminated;
 * out_bytes must hold 4 * ceil(n / 3) + 1. */
void pt_base64url_encode(const uint8_t *bytes, size_t n, char *out, size_t out_bytes);

/*
 * Passwords: argon2id through libsodium's crypto_pwhash_str, with its INTERACTIVE limits (64 MiB
 * and 2 passes: about 0.1 s). The string written holds the salt and the parameters, so that a
 * later change of the limits still verifies the old ones. Costly on purpose: callers bound how
 * many run at once (service/sessions.c). password is len bytes (not NUL-terminated).
 */
/* Writes the stored form into out (PT_PASSWORD_HASH_BYTES). PT_ENOMEM when the 64 MiB cannot be
 * had. */
PT_MUSTCHECK enum pt_rc pt_password_hash(const char *password, size_t len,
                                         char out[PT_PASSWORD_HASH_BYTES], struct pt_err *err);
/* Whether password is the one stored (a malformed stored string: false). */
bool pt_password_verify(const char *stored, const char *password, size_t len);

#endif
