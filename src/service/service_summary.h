/* SPDX-License-Identifier: MIT */
/*
 * The program's summary, the figures of the admin dashboard (summary.c; docs/ledger.md, "The
 * program's figures"). Include it beside service/service.h.
 */
#ifndef PT_SERVICE_SERVICE_SUMMARY_H
#define PT_SERVICE_SERVICE_SUMMARY_H

#include "core/summary.h"
#include "service/service.h"

struct pt_program_summary {
    struct pt_program program;       /* Its currency and point value; strings in the arena. */
    struct pt_summary_period period; /* The period the figures are of. */
    struct pt_summary figures;       /* The period's and now's, and the months' (period's). */
};

/*
 * The program's summary (GET /v1/program/summary): the period from the dates `from` and `to`
 * ("YYYY-MM-DD" in the program's time zone, NULL for the defaults of pt_summary_period_make),
 * every figure read in one read transaction, the period's totals and the liability at the
 * program's point value. PT_EINVAL or PT_ELIMIT naming from or to for a period refused;
 * PT_ELIMIT for a figure past int64_t; PT_ENOTFOUND, PT_ESTORE. OUT: *out (arena strings).
 */
PT_MUSTCHECK enum pt_rc pt_service_program_summary(struct pt_service *svc,
                                                   const struct pt_principal *who, const char *from,
                                                   const char *to, struct pt_arena *arena,
                                                   struct pt_program_summary *out,
                                                   struct pt_err *err);

#endif
