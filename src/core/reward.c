/* SPDX-License-Identifier: MIT */
/*
 * The rewards catalog (reward.h): the names of reward types and statuses, a reward's
 * validation, and whether a member may have one now.
 */
#include "core/reward.h"

const char *const pt_reward_type_names[PT_REWARD_TYPES] = {
    "discount_amount", "discount_percent", "free_product", "gift", "partner_voucher"};
const char *const pt_reward_status_names[PT_REWARD_STATUSES] = {"active", "inactive", "archived"};
