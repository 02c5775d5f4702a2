/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: request body bytes -> struct pt_return_request (POST .../returns).
 * Properties: never crashes or leaks; a decoded return has exactly one of amount and items.
 */
#include "fuzz_target.h"

#include "base/assert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t live;
    struct pt_arena arena;
    struct pt_return_request r;
    struct pt_err err;
    json_t *body = NULL;
    fuzz_setup();
    live = pt_alloc_live_count();
    pt_arena_init(&arena, PT_REQUEST_ARENA_BYTES_MAX);
    pt_err_clear(&err);
    if (pt_decode_body((const char *)data, size, &body, &err) == PT_OK &&
        pt_decode_return(body, &arena, &r, &err) == PT_OK) {
        FUZZ_CHECK((r.amount > 0) != (r.items != NULL));
        FUZZ_CHECK(r.amount <= PT_AMOUNT_MAX);
        FUZZ_CHECK(r.item_count <= PT_PURCHASE_ITEMS_MAX);
        FUZZ_CHECK(r.external_id != NULL);
    } else {
        FUZZ_CHECK(err.rc == PT_EINVAL || err.rc == PT_ENOMEM);
    }
    json_decref(body);
    pt_arena_fini(&arena);
    FUZZ_CHECK(pt_alloc_live_count() == live);
    return 0;
}
