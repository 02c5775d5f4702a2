/* SPDX-License-Identifier: MIT */
/* Tables of names (names.h). */
#include "base/names.h"

#include <string.h>

int pt_name_index(const char *const *names, unsigned count, const char *s)
{
    unsigned i;
    for (i = 0; s != NULL && i < count; i++) {
        if (strcmp(names[i], s) == 0) {
            return (int)i;
        }
    }
    return -1;
}

bool pt_name_in_lines(const char *lines, const char *s)
{
    size_t n;
    const char *p = lines;
    if (s == NULL || lines == NULL) {
        return false;
    }
    n = strlen(s);
    while (*p != '\0') {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, s, n) == 0) {
            return true;
        }
        p += len + (end ? 1 : 0);
    }
    return false;
}
