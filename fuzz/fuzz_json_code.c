/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: typed or scanned coupon-code bytes -> canonical code (pt_coupon_code_parse).
 * (Named fuzz_json_* as every target is; a code is one JSON string of a request.)
 * Properties: never crashes or reads past the input; a refusal is PT_EINVAL with field "code"
 * and code "invalid_code"; an accepted code is canonical (upper-case symbols, 13 to 21 of
 * them), parses again to itself, and its printed form parses back to it.
 */
#include "fuzz_target.h"

#include "base/assert.h"
#include "core/coupon_code.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char input[PT_COUPON_INPUT_BYTES_MAX + 2];
    char out[PT_COUPON_CODE_MAX + 1];
    char again[PT_COUPON_CODE_MAX + 1];
    char printed[PT_COUPON_PRINTED_BYTES];
    struct pt_err err;
    size_t n = size < sizeof(input) - 1 ? size : sizeof(input) - 1;
    size_t len;
    size_t i;
    fuzz_setup();
    memcpy(input, data, n);
    input[n] = '\0'; /* A request's string ends at its first NUL. */
    pt_err_clear(&err);
    if (pt_coupon_code_parse(input, out, sizeof(out), &err) != PT_OK) {
        FUZZ_CHECK(err.rc == PT_EINVAL && strcmp(err.field, "code") == 0);
        FUZZ_CHECK(strcmp(err.code, "invalid_code") == 0);
        return 0;
    }
    len = strlen(out);
    FUZZ_CHECK(len >= PT_COUPON_RANDOM_SYMBOLS + 1 && len <= PT_COUPON_CODE_MAX);
    for (i = 0; i < len; i++) {
        FUZZ_CHECK((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'A' && out[i] <= 'Z'));
        FUZZ_CHECK(out[i] != 'I' && out[i] != 'L' && out[i] != 'O' && out[i] != 'U');
    }
    FUZZ_CHECK(pt_coupon_code_parse(out, again, sizeof(again), &err) == PT_OK);
    FUZZ_CHECK(strcmp(out, again) == 0);
    pt_coupon_code_print(out, len - PT_COUPON_RANDOM_SYMBOLS - 1, printed, sizeof(printed));
    FUZZ_CHECK(pt_coupon_code_parse(printed, again, sizeof(again), &err) == PT_OK);
    FUZZ_CHECK(strcmp(out, again) == 0);
    return 0;
}
