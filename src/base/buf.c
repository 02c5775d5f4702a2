/* SPDX-License-Identifier: MIT */
/* Growable byte buffer with a maximum. Invariant: len < cap whenever ptr != NULL. */
#include "base/buf.h"

#include "base/alloc.h"
#include "base/assert.h"

#include <string.h>

void pt_buf_init(struct pt_buf *buf, size_t bytes_max)
{
    pt_assert(bytes_max > 0);
    buf->ptr = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->bytes_max = bytes_max;
    buf->failed = false;
}

void pt_buf_fini(struct pt_buf *buf)
{
    if (buf == NULL) {
        return;
    }
    pt_free(buf->ptr);
    buf->ptr = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void pt_buf_reset(struct pt_buf *buf)
{
    buf->len = 0;
    buf->failed = false;
    if (buf->ptr != NULL) {
        buf->ptr[0] = '\0';
    }
}

bool pt_buf_append(struct pt_buf *buf, const void *data, size_t n)
{
    if (buf->failed || n > buf->bytes_max - buf->len) {
        buf->failed = true;
        return false;
    }
    if (buf->len + n + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 256;
        char *p;
        while (cap < buf->len + n + 1) {
            cap *= 2;
        }
        p = pt_realloc(buf->ptr, cap);
        if (p == NULL) {
            buf->failed = true;
            return false;
        }
        buf->ptr = p;
        buf->cap = cap;
    }
    memcpy(buf->ptr + buf->len, data, n);
    buf->len += n;
    buf->ptr[buf->len] = '\0';
    pt_assert(buf->len < buf->cap);
    return true;
}
