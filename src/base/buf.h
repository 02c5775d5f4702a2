/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer with a hard maximum (cf. curl's dynbuf). Appends beyond the maximum or
 * a failed allocation set the sticky `failed` flag; check it once at the end. The buffer is
 * always NUL-terminated when non-empty. Owner: whoever called pt_buf_init; free with pt_buf_fini.
 */
#ifndef PT_BASE_BUF_H
#define PT_BASE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct pt_buf {
    char *ptr;        /* Owned heap bytes, NUL-terminated; NULL while empty. */
    size_t len;       /* Bytes used, excluding the NUL. */
    size_t cap;       /* Bytes allocated. */
    size_t bytes_max; /* len never exceeds this. */
    bool failed;      /* Sticky: an append was refused (too big or out of memory). */
};

void pt_buf_init(struct pt_buf *buf, size_t bytes_max);
void pt_buf_fini(struct pt_buf *buf);
void pt_buf_reset(struct pt_buf *buf);
/* Appends n bytes; returns false (and sets failed) when the maximum or memory runs out. */
bool pt_buf_append(struct pt_buf *buf, const void *data, size_t n);

#endif
