/* SPDX-License-Identifier: MIT */
/*
 * The program's summary (GET /v1/program/summary): the period cut into the months of the
 * program's time zone (core/summary.c), the figures read by the store in one read transaction,
 * so that they are of one snapshot and add up as the ledger does (docs/ledger.md, "The
 * program's figures"), then the period's totals and the liability at the point value.
 */
#include "service/service_int.h"
#include "service/service_summary.h"

#include <string.h>

enum pt_rc pt_service_program_summary(struct pt_service *svc, const struct pt_principal *who,
                                      const char *from, const char *to, struct pt_arena *arena,
                                      struct pt_program_summary *out, struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_rule_set *set = NULL;
    int64_t now_ms = pt_svc_now_ms(svc, who->program_id);
    enum pt_rc rc = pt_store_read_begin(svc->store, &txn, err);
    memset(out, 0, sizeof(*out));
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_program_get(txn, who->program_id, arena, &out->program, err);
    if (rc == PT_OK) {
        /* The program's zone, loaded once and kept with its rules (rule_sets.c). */
        rc = pt_svc_rule_set_get(svc, txn, &out->program, &set, err);
    }
    if (rc == PT_OK) {
        rc = pt_summary_period_make(set->tz, from, to, now_ms, &out->period, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_program_summary(txn, who->program_id, &out->period, now_ms, &out->figures,
                                      err);
    }
    pt_svc_rule_set_release(svc, set);
    pt_store_read_end(txn);
    if (rc == PT_OK) {
        rc = pt_summary_totals(&out->figures, out->period.month_count, err);
    }
    if (rc == PT_OK) {
        rc = pt_summary_liability(out->figures.outstanding, out->program.point_cost_amount,
                                  out->program.point_cost_points, &out->figures.liability_amount,
                                  err);
    }
    return rc;
}
