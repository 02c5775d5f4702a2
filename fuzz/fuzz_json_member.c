/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: request body bytes -> struct pt_member (POST and PATCH /v1/members).
 * Properties: never crashes or leaks; a decoded member has a JSON object as attributes within
 * the byte limit once validated, a lower-cased email, and core validation answers OK or EINVAL.
 */
#include "fuzz_target.h"

#include "base/assert.h"
#include "core/member.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t live;
    struct pt_arena arena;
    struct pt_member m;
    struct pt_err err;
    json_t *body = NULL;
    fuzz_setup();
    live = pt_alloc_live_count();
    pt_arena_init(&arena, PT_REQUEST_ARENA_BYTES_MAX);
    memset(&m, 0, sizeof(m));
    pt_err_clear(&err);
    if (pt_decode_body((const char *)data, size, &body, &err) == PT_OK &&
        pt_decode_member(body, (size % 2) == 0, &arena, &m, &err) == PT_OK) {
        json_t *attrs = json_loads(m.attributes_json, 0, NULL);
        enum pt_rc rc = pt_member_validate(&m, 1764000000000, &err);
        const char *c;
        FUZZ_CHECK(attrs != NULL && json_is_object(attrs));
        json_decref(attrs);
        FUZZ_CHECK(rc == PT_OK || rc == PT_EINVAL);
        if (rc == PT_EINVAL) {
            FUZZ_CHECK(err.field[0] != '\0');
        }
        for (c = m.email; c != NULL && *c != '\0'; c++) {
            FUZZ_CHECK(!(*c >= 'A' && *c <= 'Z'));
        }
    } else {
        FUZZ_CHECK(err.rc == PT_EINVAL || err.rc == PT_ENOMEM);
    }
    json_decref(body);
    pt_arena_fini(&arena);
    FUZZ_CHECK(pt_alloc_live_count() == live);
    return 0;
}
