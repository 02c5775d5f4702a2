/* SPDX-License-Identifier: MIT */
/*
 * The store's part of RFM (store_rfm.c; docs/analytics.md, "RFM"), a part of store.h (which
 * includes it) kept apart as store_summary.h is.
 */
#ifndef PT_STORE_STORE_RFM_H
#define PT_STORE_STORE_RFM_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "core/rfm.h"

struct pt_store_txn;

/*
 * Reads, in txn (a read transaction), every member of the program with a purchase that occurred
 * before end_ms: its id, the number of those purchases, the latest one's occurred_at, and their
 * amounts less their discounts less what the returns recorded before end_ms took back of them.
 * OUT: *rows (new, pt_free; NULL when none), *count. PT_ELIMIT (limit_exceeded) past
 * PT_RFM_MEMBERS_MAX members or for a sum past int64_t; PT_ENOMEM; PT_ESTORE.
 */
PT_MUSTCHECK enum pt_rc pt_store_rfm_rows(struct pt_store_txn *txn, const char *program_id,
                                          int64_t end_ms, struct pt_rfm_row **rows, size_t *count,
                                          struct pt_err *err);

#endif
