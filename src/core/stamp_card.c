/* SPDX-License-Identifier: MIT */
/*
 * Stamp cards (stamp_card.h): the names of a card's statuses and the start of a member's
 * instance of a card.
 */
#include "core/stamp_card.h"

const char *const pt_stamp_card_status_names[PT_STAMP_CARD_STATUSES] = {"active", "paused",
                                                                        "archived"};
