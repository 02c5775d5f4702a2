/* SPDX-License-Identifier: MIT */
/* The assertion failure path: log what failed, where, then abort. */
#include "base/assert.h"

#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void pt_assert_fail(const char *expr, const char *file, int line)
{
    char esc[256];
    char extra[512];
    pt_log_escape(expr, strlen(expr), esc, sizeof(esc));
    (void)snprintf(extra, sizeof(extra), ",\"expr\":\"%s\",\"file\":\"%s\",\"line\":%d", esc, file,
                   line);
    pt_log("fatal", "assertion failed", extra);
    abort();
}
