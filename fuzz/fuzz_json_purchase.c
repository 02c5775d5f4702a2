/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: request body bytes -> struct pt_purchase (POST /v1/transactions).
 * Properties: never crashes or leaks; a decoded purchase keeps every number within its limit
 * and its strings within their buffers.
 */
#include "fuzz_target.h"

#include "base/assert.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t live;
    struct pt_arena arena;
    struct pt_purchase p;
    struct pt_err err;
    json_t *body = NULL;
    unsigned i;
    fuzz_setup();
    live = pt_alloc_live_count();
    pt_arena_init(&arena, PT_REQUEST_ARENA_BYTES_MAX);
    pt_err_clear(&err);
    if (pt_decode_body((const char *)data, size, &body, &err) == PT_OK &&
        pt_decode_purchase(body, &arena, &p, &err) == PT_OK) {
        FUZZ_CHECK(p.amount >= 0 && p.amount <= PT_AMOUNT_MAX);
        FUZZ_CHECK(p.external_id != NULL && strlen(p.external_id) <= PT_EXTERNAL_ID_BYTES_MAX);
        FUZZ_CHECK(strlen(p.member_id) < sizeof(p.member_id));
        FUZZ_CHECK(strlen(p.currency) < sizeof(p.currency));
        FUZZ_CHECK(p.item_count <= PT_PURCHASE_ITEMS_MAX);
        for (i = 0; i < p.item_count; i++) {
            FUZZ_CHECK(p.items[i].quantity >= 1 && p.items[i].quantity <= 1000000);
            FUZZ_CHECK(p.items[i].unit_price >= 0 && p.items[i].unit_price <= PT_AMOUNT_MAX);
            FUZZ_CHECK(p.items[i].sku != NULL && strlen(p.items[i].sku) >= 1);
        }
    } else {
        FUZZ_CHECK(err.rc == PT_EINVAL || err.rc == PT_ENOMEM);
    }
    json_decref(body);
    pt_arena_fini(&arena);
    FUZZ_CHECK(pt_alloc_live_count() == live);
    return 0;
}
