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
