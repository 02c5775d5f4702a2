/* SPDX-License-Identifier: MIT */
/*
 * A rule's limits (docs/rules.md, "Limits and budgets"): what it may still give the member
 * (uses, points today) and give in all (points, uses, money), as the room the evaluation reads.
 */
#include "core/rules.h"

#include <stdint.h>

void pt_rule_room_unlimited(struct pt_rule_room *room)
{
    room->uses = INT64_MAX;
    room->points_today = INT64_MAX;
    room->budget = INT64_MAX;
    room->uses_all = INT64_MAX;
    room->amount = INT64_MAX;
    room->coupon_out = false;
}

bool pt_rule_has_budget(const struct pt_rule *r)
{
    return r->budget_points > 0 || r->max_uses > 0 || r->budget_amount > 0;
}

void pt_rule_room_of(const struct pt_rule *r, const struct pt_rule_budget *budget,
                     int64_t member_uses, int64_t member_points_today, struct pt_rule_room *room)
{
    pt_rule_room_unlimited(room);
    if (r->max_uses_per_member > 0) {
        room->uses = r->max_uses_per_member - member_uses;
    }
    if (r->max_points_per_member_per_day > 0) {
        room->points_today = r->max_points_per_member_per_day - member_points_today;
    }
    if (budget == NULL) {
        return;
    }
    if (r->budget_points > 0) {
        room->budget = r->budget_points - budget->points_issued;
    }
    if (r->max_uses > 0) {
        room->uses_all = r->max_uses - budget->uses;
    }
    if (r->budget_amount > 0) {
        room->amount = r->budget_amount - budget->amount_issued;
    }
}
