/* SPDX-License-Identifier: MIT */
/* Wallets (wallet.h): the refusals the store reports, in the domain's words. */
#include "core/wallet.h"

enum pt_rc pt_wallet_credit_not_found(const char *credit_id, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no wallet credit %s", credit_id);
}

enum pt_rc pt_wallet_debit_not_found(const char *debit_id, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no wallet debit %s", debit_id);
}
