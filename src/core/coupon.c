/* SPDX-License-Identifier: MIT */
/*
 * Coupons, coupon batches and promotion codes (coupon.h): the names of a batch's statuses, a
 * batch's validation, and why a coupon or a code cannot be used now.
 */
#include "core/coupon.h"

const char *const pt_coupon_status_names[PT_COUPON_STATUSES] = {"active", "redeemed", "expired",
                                                                "cancelled"};
const char *const pt_batch_status_names[PT_BATCH_STATUSES] = {"generating", "ready", "failed"};
