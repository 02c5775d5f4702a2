/* SPDX-License-Identifier: MIT */
/*
 * The store's part of the program's summary (store_summary.c; docs/ledger.md, "The program's
 * figures"), a part of store.h (which includes it) kept apart as store_rewards.h is.
 */
#ifndef PT_STORE_STORE_SUMMARY_H
#define PT_STORE_STORE_SUMMARY_H

#include <stdint.h>

#include "base/err.h"
#include "core/summary.h"

struct pt_store_txn;

/*
 * Reads the figures of the program's summary in txn, a read transaction, so that they are all
 * of one snapshot. OUT: *out, whose figures of now are as of now_ms (the members of every
 * status and the active ones, the sum of the members' balances and of their wallets, the points
 * in lots still pending) and whose months[0..period->month_count) hold, for each month of
 * period (its bounds_ms), the members enrolled, the purchases that occurred and their amounts
 * less their discounts, and the points through the program's accounts (struct
 * pt_summary_flows). The period's totals and the liability are the caller's (core/summary.h).
 * Every figure is exact: PT_ELIMIT (pt_summary_refused) for a sum past int64_t; PT_ESTORE.
 */
PT_MUSTCHECK enum pt_rc pt_store_program_summary(struct pt_store_txn *txn, const char *program_id,
                                                 const struct pt_summary_period *period,
                                                 int64_t now_ms, struct pt_summary *out,
                                                 struct pt_err *err);

#endif
