/* SPDX-License-Identifier: MIT */
/* Paged lists: the one path every list handler takes. A list is described once (struct
 * pt_http_list): its query parameters, what its cursor is (an id of one prefix or a whole
 * number), where an item holds it and how an item is answered. The handler reads the query with
 * pt_http_list_params, asks the service for limit + 1 items (the one more tells whether a next
 * page exists) and answers with pt_http_reply_list: the first limit items, and as next_cursor
 * the key of the last one listed when there are more. */
#include "http/http_int.h"

#include "base/assert.h"
#include "core/codes.h"

#include <stdio.h>
#include <string.h>

const char *const pt_http_page_query[] = {"limit", "cursor", NULL};

/* Reads the digits of s as a whole number in [min, max]; false for anything else (a sign,
 * white space, too many digits). */
static bool digits_in_range(const char *s, size_t digits_max, uint64_t min, uint64_t max,
                            uint64_t *out)
{
    uint64_t v = 0;
    size_t n = strlen(s);
    size_t i;
    if (n < 1 || n > digits_max) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return v >= min && v <= max;
}

bool pt_http_list_params(struct pt_http_ctx *ctx, const struct pt_http_list *list,
                         struct pt_http_page *page)
{
    const char *limit = pt_http_query(ctx, "limit");
    const char *cursor = pt_http_query(ctx, "cursor");
    uint64_t v = 0;
    bool cursor_ok;
    memset(page, 0, sizeof(*page));
    page->limit = PT_PAGE_LIMIT_DEFAULT;
    if (!pt_http_query_check(ctx, list->params)) {
        return false;
    }
    if (limit != NULL) {
        if (!digits_in_range(limit, 3, 1, PT_PAGE_LIMIT_MAX, &v)) {
            pt_http_reply_error(ctx, 400, "validation_failed", "limit",
                                "limit must be an integer from 1 to 200");
            return false;
        }
        page->limit = (unsigned)v;
    }
    if (cursor == NULL) {
        return true;
    }
    if (list->cursor_valid != NULL) {
        cursor_ok = list->cursor_valid(cursor);
        page->cursor = cursor;
    } else if (list->id_prefix != NULL) {
        cursor_ok = pt_id_is_valid(list->id_prefix, cursor);
        page->cursor = cursor;
    } else {
        /* 19 digits hold INT64_MAX and cannot overflow 64 bits unsigned. */
        cursor_ok = digits_in_range(cursor, 19, (uint64_t)list->seq_min, INT64_MAX, &v);
        page->cursor_seq = (int64_t)v;
    }
    if (!cursor_ok) {
        pt_http_reply_error(ctx, 400, "validation_failed", "cursor",
                            "cursor must be a next_cursor value of this list");
        return false;
    }
    return true;
}

void pt_http_reply_list_in(struct pt_http_ctx *ctx, const struct pt_http_list *list,
                           const struct pt_http_page *page, const void *items, unsigned count,
                           const void *cls, json_t *envelope)
{
    const char *item = items;
    json_t *data = json_array();
    json_t *next = json_null();
    char seq[24];
    bool failed;
    unsigned i;
    pt_assert(count <= page->limit + 1);
    for (i = 0; i < count && i < page->limit; i++) {
        (void)json_array_append_new(data, list->encode(item + (size_t)i * list->item_bytes, cls));
    }
    if (count > page->limit) {
        const char *key = item + (size_t)(page->limit - 1) * list->item_bytes + list->key_offset;
        if (list->id_prefix == NULL && list->cursor_valid == NULL) {
            int64_t n;
            memcpy(&n, key, sizeof(n));
            (void)snprintf(seq, sizeof(seq), "%lld", (long long)n);
            key = seq;
        }
        next = json_string(key);
    }
    /* Each set takes its value, even when it fails. Out of memory anywhere: no half answer; a
     * NULL document answers 503. */
    failed = json_object_set_new(envelope, "data", data) != 0;
    failed = json_object_set_new(envelope, "next_cursor", next) != 0 || failed;
    if (failed) {
        json_decref(envelope);
        envelope = NULL;
    }
    pt_http_reply_json(ctx, 200, envelope);
}

void pt_http_reply_list(struct pt_http_ctx *ctx, const struct pt_http_list *list,
                        const struct pt_http_page *page, const void *items, unsigned count,
                        const void *cls)
{
    pt_http_reply_list_in(ctx, list, page, items, count, cls, json_object());
}
