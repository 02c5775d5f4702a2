/* SPDX-License-Identifier: MIT */
/*
 * A program's return window and its hold on what a return may take back (issue 16; the risk is
 * in docs/ledger.md and docs/wallets.md). Returns are refused once a purchase's window has
 * closed, so that a hold ends when its window does; while it is open, transfers and wallet
 * debits may take only what no return can take back (core/hold.h). Called inside the writer's
 * transaction of the use case, with the member locked.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/clock.h"
#include "core/hold.h"

enum pt_rc pt_svc_hold_check(struct pt_store_txn *txn, const struct pt_program *program,
                             const char *member_id, int64_t now_ms, enum pt_hold_unit unit,
                             int64_t available, int64_t asked, struct pt_err *err)
{
    struct pt_returnable points;
    struct pt_returnable money;
    int64_t free_now = 0;
    enum pt_rc rc;
    pt_assert(asked > 0);
    if (!program->hold_returnable || program->return_days == 0) {
        return PT_OK;
    }
    rc = pt_store_purchases_returnable(txn, program->id, member_id,
                                       now_ms - program->return_days * PT_DAY_MS, now_ms, &points,
                                       &money, err);
    if (rc == PT_OK) {
        rc = pt_hold_free(available, unit == PT_HOLD_POINTS ? &points : &money, &free_now, err);
    }
    if (rc != PT_OK || asked <= free_now) {
        return rc;
    }
    (void)pt_err_set(err, PT_ELIMIT, unit == PT_HOLD_POINTS ? "points" : "amount",
                     "only %lld of %lld available %s may leave now: the rest is held while the "
                     "purchases that earned it may be returned (%lld days)",
                     (long long)free_now, (long long)available,
                     unit == PT_HOLD_POINTS ? "points" : "minor units",
                     (long long)program->return_days);
    return pt_err_code(err, "held_for_returns");
}
