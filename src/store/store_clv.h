/* SPDX-License-Identifier: MIT */
/*
 * The store's part of customer lifetime value (store_clv.c; docs/analytics.md, "Customer
 * lifetime value"), a part of store.h (which includes it) kept apart as store_summary.h is.
 */
#ifndef PT_STORE_STORE_CLV_H
#define PT_STORE_STORE_CLV_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "core/clv.h"

struct pt_store_txn;

/*
 * Feeds the builder every purchase of the program (of member_id alone when not NULL) that
 * occurred before end_ms, in order of member and time, with its value: its amount less its
 * discount and what returns took back (at least 0). A purchase returned in full is left out.
 * Meant for a read transaction, so that a fit never holds the writer. PT_ELIMIT and PT_ENOMEM
 * from the builder; PT_ESTORE.
 */
PT_MUSTCHECK enum pt_rc pt_store_clv_purchases(struct pt_store_txn *txn, const char *program_id,
                                               const char *member_id, int64_t end_ms,
                                               struct pt_clv_builder *builder, struct pt_err *err);

/* Replaces the program's model by m (in a write). PT_ESTORE. */
PT_MUSTCHECK enum pt_rc pt_store_clv_model_put(struct pt_store_txn *txn, const char *program_id,
                                               const struct pt_clv_model *m, struct pt_err *err);

/* The program's model: *found false when it has none. PT_ESTORE, also for a stored row that
 * does not read back as a model. */
PT_MUSTCHECK enum pt_rc pt_store_clv_model_get(struct pt_store_txn *txn, const char *program_id,
                                               struct pt_clv_model *m, bool *found,
                                               struct pt_err *err);

#endif
