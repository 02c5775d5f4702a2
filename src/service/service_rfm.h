/* SPDX-License-Identifier: MIT */
/*
 * RFM (rfm.c; docs/analytics.md, "RFM"): every purchasing member's recency, frequency and
 * monetary value at a date, scored against the whole program. Include it beside
 * service/service.h.
 */
#ifndef PT_SERVICE_SERVICE_RFM_H
#define PT_SERVICE_SERVICE_RFM_H

#include "core/rfm.h"
#include "service/service.h"

struct pt_rfm_answer {
    char as_of[11];          /* "YYYY-MM-DD", the local date the figures are of. */
    char currency[4];        /* The program's. */
    struct pt_rfm_row *rows; /* Sorted by member_id (bytes); heap, pt_service_rfm_fini. */
    size_t count;            /* Members with a purchase on or before as_of. */
};

/*
 * Scores every member of the caller's program with a purchase on or before as_of ("YYYY-MM-DD"
 * in the program's time zone; NULL: today there): the purchases that occurred before the end of
 * that local day, read in one read transaction. member_id (NULL: none) must be a member of the
 * program: PT_ENOTFOUND (pt_member_not_found) otherwise. PT_EINVAL (field as_of) for a date that
 * is not one; PT_ELIMIT past PT_RFM_MEMBERS_MAX members; PT_ENOMEM; PT_ESTORE. OUT: *out, to be
 * given back with pt_service_rfm_fini, also on failure.
 */
PT_MUSTCHECK enum pt_rc pt_service_rfm(struct pt_service *svc, const struct pt_principal *who,
                                       const char *as_of, const char *member_id,
                                       struct pt_arena *arena, struct pt_rfm_answer *out,
                                       struct pt_err *err);
/* Frees what pt_service_rfm read. */
void pt_service_rfm_fini(struct pt_rfm_answer *a);
/* The row of member_id in a, or NULL when it has no purchase on or before a->as_of. borrowed */
const struct pt_rfm_row *pt_service_rfm_find(const struct pt_rfm_answer *a, const char *member_id);
/* The index of the first row whose member_id sorts after cursor (NULL: 0). */
size_t pt_service_rfm_after(const struct pt_rfm_answer *a, const char *cursor);

#endif
