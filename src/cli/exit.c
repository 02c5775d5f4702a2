/* SPDX-License-Identifier: MIT */
/* rc -> exit status. Scripts rely on these numbers: change them only with the docs. */
#include "cli/exit.h"

int pt_exit_status_of(enum pt_rc rc)
{
    switch (rc) {
    case PT_OK:
        return 0;
    case PT_EVERSION:
        return 2;
    case PT_EINVAL:
        return PT_EXIT_USAGE;
    case PT_ENOTFOUND:
    case PT_ECONFLICT:
    case PT_EINSUFFICIENT:
    case PT_ELIMIT:
    case PT_EBUSY:
    case PT_ENOMEM:
    case PT_ESTORE:
    case PT_EAUTH:
    case PT_EFORBIDDEN:
    case PT_ERATE:
    case PT_EINTERNAL:
    case PT_RC_COUNT:
        return 1;
    }
    return 1;
}
