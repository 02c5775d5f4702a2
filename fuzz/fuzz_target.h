/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets: jansson allocates through src/base/alloc.c so that every target
 * can assert that a decode leaks nothing, whatever the input.
 */
#ifndef PT_FUZZ_TARGET_H
#define PT_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "http/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *fuzz_json_alloc(size_t n)
{
    return pt_malloc(n);
}

static void fuzz_setup(void)
{
    static int done;
    if (!done) {
        json_set_alloc_funcs(fuzz_json_alloc, pt_free);
        done = 1;
    }
}

/* Aborts with a message: the property named failed for this input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            pt_assert_fail(#cond, __FILE__, __LINE__);                                             \
        }                                                                                          \
    } while (0)

#endif
