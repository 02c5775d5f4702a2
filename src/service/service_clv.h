/* SPDX-License-Identifier: MIT */
/*
 * Customer lifetime value (clv.c; docs/analytics.md, "Customer lifetime value"): the program's
 * fit, its current model and a member's value. Include it beside service/service.h.
 */
#ifndef PT_SERVICE_SERVICE_CLV_H
#define PT_SERVICE_SERVICE_CLV_H

#include "core/clv.h"
#include "service/service.h"

/*
 * Fits the program's model on its purchases up to the local day calibration_end ("YYYY-MM-DD"
 * in the program's zone, at most today) in the unit, and stores it as the program's current
 * model. The purchases are read on a read connection and the fit runs outside any transaction;
 * only the model's row is written. PT_EINVAL (field calibration_end); PT_ELIMIT for a program
 * past the fit's bounds or not_enough_data; PT_EINTERNAL when the fit does not converge;
 * PT_ENOMEM, PT_ESTORE. OUT: *out.
 */
PT_MUSTCHECK enum pt_rc pt_service_clv_fit(struct pt_service *svc, const struct pt_principal *who,
                                           const char *calibration_end, enum pt_clv_unit unit,
                                           struct pt_clv_model *out, struct pt_err *err);

/* The program's current model. PT_ENOTFOUND when it has none; PT_ESTORE. */
PT_MUSTCHECK enum pt_rc pt_service_clv_get(struct pt_service *svc, const struct pt_principal *who,
                                           struct pt_clv_model *out, struct pt_err *err);

/* A member's value under the program's model. */
struct pt_member_value {
    struct pt_clv_model model; /* The model it is computed with. */
    char as_of[11];            /* "YYYY-MM-DD". */
    int64_t horizon;           /* In the model's unit. */
    int64_t discount_rate_bp;  /* The program's, at the read. */
    char currency[4];          /* The program's, of the money figures. */
    struct pt_clv_value value;
};

/*
 * Member member_id's value over the next horizon units of the program's model, its summary at
 * the local day as_of (NULL: the model's calibration end): GET /v1/members/{id}/value.
 * PT_EINVAL (field horizon: 1 to ten years in the unit; as_of: a date); PT_ENOTFOUND for no
 * member or no model; PT_ELIMIT, PT_EINTERNAL as pt_clv_value; PT_ESTORE. OUT: *out.
 */
PT_MUSTCHECK enum pt_rc pt_service_member_value(struct pt_service *svc,
                                                const struct pt_principal *who,
                                                const char *member_id, int64_t horizon,
                                                const char *as_of, struct pt_arena *arena,
                                                struct pt_member_value *out, struct pt_err *err);

#endif
