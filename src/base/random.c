/* SPDX-License-Identifier: MIT */
/* Secure randomness and hashing through libsodium. */
#include "base/random.h"

#include <sodium.h>

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
