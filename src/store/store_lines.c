/* SPDX-License-Identifier: MIT */
/*
 * Lists of names at the store's edge. The domain holds a list (a program's excluded categories,
 * a reward's tiers, a tier's perks) as an array with a count; its column keeps the names joined
 * by newlines ("" for none), as it always has, so that no migration was needed. The validators
 * refuse a newline inside a name, so the text splits back into the same names.
 */
#include "store/store_int.h"

#include "base/arena.h"
#include "base/assert.h"

#include <string.h>

void pt_q_lines(struct pt_q *q, int index, const char *const *names, unsigned count, char *buf,
                size_t buf_bytes)
{
    size_t used = 0;
    unsigned i;
    for (i = 0; i < count; i++) {
        size_t len = strlen(names[i]);
        /* Core's validators bound a list's names and their number to the column's size. */
        if (PT_NEVER(used + len + 2 > buf_bytes)) {
            if (q->rc == PT_OK) {
                q->rc = pt_err_set(q->err, PT_EINTERNAL, NULL,
                                   "a list is longer than its column's bound");
            }
            return;
        }
        if (i > 0) {
            buf[used++] = '\n';
        }
        memcpy(buf + used, names[i], len);
        used += len;
    }
    if (buf_bytes > 0) {
        buf[used] = '\0';
    }
    pt_q_text(q, index, buf);
}

void pt_q_col_lines(struct pt_q *q, int col, struct pt_arena *arena, const char *const **names,
                    unsigned *count)
{
    const char *s = pt_q_col_text_borrowed(q, col);
    const char **list;
    char *text;
    char *c;
    unsigned n = 1;
    *names = NULL;
    *count = 0;
    if (s == NULL || *s == '\0') {
        return;
    }
    for (c = strchr(s, '\n'); c != NULL; c = strchr(c + 1, '\n')) {
        n++;
    }
    text = pt_arena_strndup(arena, s, strlen(s));
    list = pt_arena_alloc(arena, n * sizeof(*list));
    if (text == NULL || list == NULL) {
        q->oom = true;
        return;
    }
    n = 0;
    list[n++] = text;
    for (c = strchr(text, '\n'); c != NULL; c = strchr(c + 1, '\n')) {
        *c = '\0';
        list[n++] = c + 1;
    }
    *names = list;
    *count = n;
}
