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

#include <stddef.h>
#include <string.h>

const char *const pt_stamp_card_status_names[PT_STAMP_CARD_STATUSES] = {"active", "paused",
                                                                        "archived"};

_Static_assert(sizeof(enum pt_stamp_card_status) == sizeof(int), "an ENUM field is an int");

#define CUSTOM_FIELD(key)                                                                          \
    {                                                                                              \
        .name = key, .type = PT_FIELD_CUSTOM                                                       \
    }

/* A card as POST and PATCH /v1/stamp-cards take it, in the order they read it (the API shows
 * status after the name). Custom: stamps_per (purchase or item, a bool), conditions and items
 * (rule JSON kept as text) and reward (points, or a reward of the catalog: its own rule). */
const struct pt_field pt_stamp_card_fields[] = {
    {.name = "name",
     .type = PT_FIELD_TEXT,
     .offset = offsetof(struct pt_stamp_card, name),
     .max = PT_NAME_BYTES_MAX},
    {.name = "stamps_required",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_stamp_card, stamps_required),
     .min = 1,
     .max = PT_STAMPS_REQUIRED_MAX,
     .message = "%s is 1 to %lld"},
    CUSTOM_FIELD("stamps_per"),
    CUSTOM_FIELD("conditions"),
    CUSTOM_FIELD("items"),
    CUSTOM_FIELD("reward"),
    {.name = "valid_days",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_stamp_card, valid_days),
     .min = 1,
     .max = PT_STAMP_CARD_VALID_DAYS_MAX,
     .nullable = true,
     .null_value = 0,
     .message = "%s is 0 (no limit) to %lld"},
    {.name = "status",
     .type = PT_FIELD_ENUM,
     .offset = offsetof(struct pt_stamp_card, status),
     .names = pt_stamp_card_status_names,
     .count = PT_STAMP_CARD_STATUSES,
     .shape = "status is active, paused or archived"},
};

enum pt_rc pt_stamp_card_validate(const struct pt_stamp_card *c, struct pt_arena *arena,
                                  const struct pt_rule **compiled, struct pt_err *err)
{
    struct pt_rule *rule = pt_arena_alloc(arena, sizeof(*rule));
    enum pt_rc rc = pt_fields_validate(pt_stamp_card_fields, PT_STAMP_CARD_FIELD_COUNT, c, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (c->reward_id != NULL && c->reward_points != 0) {
        return pt_err_set(err, PT_EINVAL, "reward",
                          "reward is {\"points\": N} or {\"reward_id\": \"rwd_...\"}, not both");
    }
    if (c->reward_id != NULL) {
        /* A reward of the catalog: its coupon at completion. Whether the program has it is
         * the service's to check. */
        if (strncmp(c->reward_id, "rwd_", 4) != 0 || strlen(c->reward_id) > PT_ID_BYTES) {
            return pt_err_set(err, PT_EINVAL, "reward.reward_id",
                              "reward.reward_id is the id of a reward (rwd_...)");
        }
    } else if (c->reward_points < 1 || c->reward_points > PT_STAMP_CARD_REWARD_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "reward.points", "reward.points is 1 to %lld",
                          PT_STAMP_CARD_REWARD_POINTS_MAX);
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
