/* SPDX-License-Identifier: MIT */
/*
 * Stamp cards (stamp_card.h): the names of a card's statuses and the start of a member's
 * instance of a card.
 */
#include "core/stamp_card.h"

#include "base/assert.h"
#include "base/clock.h"
#include "core/member.h"
#include "core/rules.h"

#include <string.h>

const char *const pt_stamp_card_status_names[PT_STAMP_CARD_STATUSES] = {"active", "paused",
                                                                        "archived"};

enum pt_rc pt_stamp_card_validate(const struct pt_stamp_card *c, struct pt_arena *arena,
                                  const struct pt_rule **compiled, struct pt_err *err)
{
    struct pt_rule *rule = pt_arena_alloc(arena, sizeof(*rule));
    enum pt_rc rc = pt_validate_text("name", c->name, PT_NAME_BYTES_MAX, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (c->stamps_required < 1 || c->stamps_required > PT_STAMPS_REQUIRED_MAX) {
        return pt_err_set(err, PT_EINVAL, "stamps_required", "stamps_required is 1 to %d",
                          PT_STAMPS_REQUIRED_MAX);
    }
    if (c->reward_id != NULL) {
        /* The shape is ready for catalog rewards; the catalog is not (docs/stamp-cards.md). */
        return pt_err_set(err, PT_EINVAL, "reward.reward_id",
                          "rewards from the catalog are not available yet: give reward.points");
    }
    if (c->reward_points < 1 || c->reward_points > PT_STAMP_CARD_REWARD_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "reward.points", "reward.points is 1 to %lld",
                          PT_STAMP_CARD_REWARD_POINTS_MAX);
    }
    if (c->valid_days < 0 || c->valid_days > PT_STAMP_CARD_VALID_DAYS_MAX) {
        return pt_err_set(err, PT_EINVAL, "valid_days", "valid_days is 0 (no limit) to %d",
                          PT_STAMP_CARD_VALID_DAYS_MAX);
    }
    if (rule == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    /* The card's condition and items, as the rules engine reads them. */
    rc = pt_rule_compile(c->document, strlen(c->document), arena, rule, err);
    pt_assert(rc != PT_OK || rule->effect_count == 1);
    *compiled = rule;
    return rc;
}

/* A new instance's clock starts at its first stamp. */
void pt_stamp_card_start(struct pt_member_stamp_card *c, const struct pt_stamp_card *card,
                         int64_t now_ms)
{
    c->started_at_ms = now_ms;
    c->expires_at_ms = card->valid_days > 0 ? now_ms + card->valid_days * PT_DAY_MS : 0;
}

enum pt_rc pt_stamp_card_not_found(const char *card_id, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no stamp card %s", card_id);
}

enum pt_rc pt_stamps_not_found(const char *card_id, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no stamps on card %s", card_id);
}
