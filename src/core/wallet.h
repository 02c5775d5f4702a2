/* SPDX-License-Identifier: MIT */
/*
 * Wallets (docs/wallets.md): money in minor units of the program's currency. A credit (cashback,
 * a referral's) is pending until available_at_ms and spent oldest first; a debit records what it
 * took from each credit, to give it back when cancelled. The accounts are in core/ledger.h.
 */
#ifndef PT_CORE_WALLET_H
#define PT_CORE_WALLET_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

struct pt_wallet_credit {
    char id[PT_ID_BUF_BYTES]; /* "wcr_..." */
    char member_id[PT_ID_BUF_BYTES];
    char entry_id[PT_ID_BUF_BYTES];
    const char *source_id; /* The purchase or referral; nullable */
    int64_t amount;
    int64_t remaining;
    int64_t available_at_ms; /* Pending until then. */
    int64_t created_at_ms;
};

struct pt_wallet_debit {
    char id[PT_ID_BUF_BYTES]; /* "wdb_..." */
    char member_id[PT_ID_BUF_BYTES];
    int64_t amount;
    const char *reason;      /* nullable; arena */
    const char *external_id; /* The order it paid; nullable; arena */
    bool cancelled;
    char entry_id[PT_ID_BUF_BYTES];
    char cancel_entry_id[PT_ID_BUF_BYTES];
    const char *cancel_reason; /* The cancel's (its entry's reason); nullable; arena */
    int64_t created_at_ms;
    int64_t cancelled_at_ms;
};

/* What a debit took from one credit. */
struct pt_wallet_take {
    char credit_id[PT_ID_BUF_BYTES];
    int64_t amount;
};

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* No wallet credit has that id (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_wallet_credit_not_found(const char *credit_id, struct pt_err *err);

/* No wallet debit has that id in the program (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_wallet_debit_not_found(const char *debit_id, struct pt_err *err);

#endif
