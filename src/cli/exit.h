/* SPDX-License-Identifier: MIT */
/* The one table from pt_rc to the exit status of the patron command. */
#ifndef PT_CLI_EXIT_H
#define PT_CLI_EXIT_H

#include "base/err.h"

/* Exit statuses: 0 success, 1 failure, 2 database version not supported, 64 usage error. */
#define PT_EXIT_USAGE 64

int pt_exit_status_of(enum pt_rc rc);

#endif
