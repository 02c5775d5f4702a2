/* SPDX-License-Identifier: MIT */
/*
 * The system's secure random source (libsodium's randombytes: getrandom(2)). Thread-safe once
 * pt_random_init has succeeded.
 */
#ifndef PT_BASE_RANDOM_H
#define PT_BASE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Initializes libsodium; call once at startup. PT_EINTERNAL when it cannot. */
PT_MUSTCHECK enum pt_rc pt_random_init(struct pt_err *err);

/* Fills buf with n secure random bytes. */
void pt_random_bytes(void *buf, size_t n);

/* Returns a uniform random integer in [0, upper_bound). */
uint32_t pt_random_uniform(uint32_t upper_bound);

/* Writes the 32-byte BLAKE2b hash of the n bytes at data into out. */
void pt_hash32(const void *data, size_t n, uint8_t out[32]);

#endif
