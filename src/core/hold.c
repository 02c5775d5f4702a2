/* SPDX-License-Identifier: MIT */
/*
 * The hold on what a return may take back: see hold.h. Every quantity is a sum of non-negative
 * int64 amounts, each below the ledger's bounds, so differences cannot overflow; the result is
 * clamped to [0, available].
 */
#include "core/hold.h"

#include "base/assert.h"

enum pt_rc pt_hold_free(int64_t available, const struct pt_returnable *r, int64_t *free_out,
                        struct pt_err *err)
{
    int64_t held;
    pt_assert(r != NULL);
    pt_assert(free_out != NULL);
    *free_out = 0;
    if (r->returnable < 0 || r->own_unavailable < 0) {
        return pt_err_set(err, PT_EINVAL, NULL, "returnable sums must not be negative");
    }
    /* A lot's remainder is never more than its purchase earned less reversed; should a row say
     * otherwise, nothing of it is counted as covered (the safe side). */
    held = r->returnable - (r->own_unavailable <= r->returnable ? r->own_unavailable : 0);
    if (available > held) {
        *free_out = available - held;
    }
    pt_assert(*free_out >= 0);
    pt_assert(available <= 0 || *free_out <= available);
    return PT_OK;
}
