/* SPDX-License-Identifier: MIT */
/*
 * The hold on what a return may take back (issue 16), pure. A purchase may be returned for its
 * program's return_days; a return takes its points (and its cashback) back from the purchase's
 * own lot (credit) first, then from what the member has available, and owes the rest. When
 * points or money could leave the member first (a transfer to an accomplice, a wallet debit),
 * the return would leave a debt while the value is gone. With hold_returnable, a transfer or a
 * wallet debit may take only what is free of the hold: what is available less what the
 * returnable purchases could still take back beyond their own unavailable (pending or expired)
 * remainders. Nothing here reads a clock or storage.
 */
#ifndef PT_CORE_HOLD_H
#define PT_CORE_HOLD_H

#include <stdint.h>

#include "base/err.h"

/* What the returnable purchases of a member could still take back, in one unit. */
struct pt_returnable {
    int64_t returnable;      /* Sum of earned less reversed over the purchases; >= 0. */
    int64_t own_unavailable; /* Of it, still in their own lots (credits) and not available. */
};

/*
 * The part of `available` free of the hold: max(0, available - max(0, returnable -
 * own_unavailable)). available may be negative (a balance below zero): nothing is free then.
 * OUT: *free_out >= 0. PT_EINVAL when the sums are negative (a caller's bug, not input).
 */
PT_MUSTCHECK enum pt_rc pt_hold_free(int64_t available, const struct pt_returnable *r,
                                     int64_t *free_out, struct pt_err *err);

#endif
