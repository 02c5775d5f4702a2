/* SPDX-License-Identifier: MIT */
/* The error type: setting and naming. See err.h. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pt_rc_name(enum pt_rc rc)
{
    static const char *const names[] = {
#define XX(name, text) #name,
        PT_RC_MAP(XX)
#undef XX
    };
    if ((unsigned)rc >= PT_RC_COUNT) {
        return "E?";
    }
    return names[rc];
}

void pt_err_clear(struct pt_err *err)
{
    memset(err, 0, sizeof(*err));
    err->rc = PT_OK;
}

enum pt_rc pt_err_set_at(struct pt_err *err, enum pt_rc rc, const char *field, const char *file,
                         int line, const char *fmt, ...)
{
    va_list ap;
    err->rc = rc;
    err->code[0] = '\0';
    err->backend[0] = '\0';
    err->file = file;
    err->line = line;
    (void)snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    va_start(ap, fmt);
    /* Truncation of an over-long message is acceptable: it is a human sentence. */
    (void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return rc;
}

enum pt_rc pt_err_code(struct pt_err *err, const char *code)
{
    (void)snprintf(err->code, sizeof(err->code), "%s", code);
    return err->rc;
}
