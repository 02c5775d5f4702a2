/* SPDX-License-Identifier: MIT */
/*
 * The rewards catalog (reward.h): the names of reward types and statuses, a reward's
 * validation, and whether a member may have one now.
 */
#include "core/reward.h"

#include "base/names.h"

#include <string.h>

const char *const pt_reward_type_names[PT_REWARD_TYPES] = {
    "discount_amount", "discount_percent", "free_product", "gift", "partner_voucher"};
const char *const pt_reward_status_names[PT_REWARD_STATUSES] = {"active", "inactive", "archived"};

/* A refusal with its API code; the message names the reward. */
enum pt_rc pt_reward_refuse(struct pt_err *err, const char *code, const char *message,
                            const char *name)
{
    (void)pt_err_set(err, PT_ELIMIT, NULL, "%s%s%s", message, name[0] ? ": " : "", name);
    return pt_err_code(err, code);
}

enum pt_rc pt_reward_tiers_refused(struct pt_err *err)
{
    return pt_err_set(err, PT_EINVAL, "tiers",
                      "tiers is a list of tier names allowed (empty: every member)");
}

enum pt_rc pt_reward_tier_name_refused(struct pt_err *err)
{
    return pt_err_set(err, PT_EINVAL, "tiers", "tiers holds tier names");
}

/* The tiers a reward is for, as its decoder lets them through. */
static enum pt_rc tiers_validate(const struct pt_reward *r, struct pt_err *err)
{
    unsigned i;
    if (r->tier_count > PT_REWARD_TIERS_MAX) {
        return pt_reward_tiers_refused(err);
    }
    for (i = 0; i < r->tier_count; i++) {
        if (strlen(r->tiers[i]) > PT_TIER_NAME_BYTES_MAX || strchr(r->tiers[i], '\n') != NULL) {
            return pt_reward_tier_name_refused(err);
        }
    }
    return PT_OK;
}

enum pt_rc pt_reward_validate(const struct pt_reward *r, struct pt_err *err)
{
    enum pt_rc rc = pt_validate_text("name", r->name, PT_NAME_BYTES_MAX, err);
    if (rc == PT_OK && r->description != NULL) {
        rc = pt_validate_text("description", r->description, PT_REWARD_TEXT_BYTES_MAX, err);
    }
    if (rc == PT_OK && r->terms != NULL) {
        rc = pt_validate_text("terms", r->terms, PT_REWARD_TEXT_BYTES_MAX, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (r->image_url != NULL &&
        (strncmp(r->image_url, "https://", 8) != 0 || strlen(r->image_url) > 2000 ||
         strpbrk(r->image_url, " \t\r\n\"<>") != NULL)) {
        return pt_err_set(err, PT_EINVAL, "image_url", "image_url is an https:// address");
    }
    if (r->cost_points < 1 || r->cost_points > PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "cost_points", "cost_points is 1 to %lld",
                          (long long)PT_POINTS_MAX);
    }
    switch (r->type) {
    case PT_REWARD_DISCOUNT_AMOUNT:
        if (r->value < 1 || r->value > PT_REWARD_VALUE_MAX) {
            return pt_err_set(err, PT_EINVAL, "value",
                              "a discount_amount reward takes value: minor units off, >= 1");
        }
        break;
    case PT_REWARD_DISCOUNT_PERCENT:
        if (r->value < 1 || r->value > PT_REWARD_PERCENT_MAX) {
            return pt_err_set(err, PT_EINVAL, "value",
                              "a discount_percent reward takes value: hundredths of a percent "
                              "off, 1 to 10000");
        }
        break;
    case PT_REWARD_FREE_PRODUCT:
        if (r->sku == NULL || pt_validate_text("sku", r->sku, PT_EXTERNAL_ID_BYTES_MAX, err)) {
            return pt_err_set(err, PT_EINVAL, "sku", "a free_product reward names its sku");
        }
        break;
    case PT_REWARD_GIFT:
        break;
    case PT_REWARD_PARTNER_VOUCHER:
        /* Its stock is its pool of partner codes (POST /v1/rewards/{id}/vouchers). */
        if (r->has_stock) {
            return pt_err_set(err, PT_EINVAL, "stock",
                              "a partner_voucher reward's stock is its pool of partner codes: "
                              "leave stock null and upload codes");
        }
        break;
    case PT_REWARD_TYPES:
        break;
    }
    if (r->has_stock && (r->stock < 0 || r->stock > PT_POINTS_MAX)) {
        return pt_err_set(err, PT_EINVAL, "stock", "stock is null (unlimited) or >= 0");
    }
    if (r->per_member_limit < 0) {
        return pt_err_set(err, PT_EINVAL, "per_member_limit", "per_member_limit is null or >= 1");
    }
    if (r->valid_from_ms >= r->valid_to_ms) {
        return pt_err_set(err, PT_EINVAL, "valid_to", "valid_to must be after valid_from");
    }
    if (r->coupon_valid_days < 1 || r->coupon_valid_days > PT_REWARD_COUPON_DAYS_MAX) {
        return pt_err_set(err, PT_EINVAL, "coupon_valid_days", "coupon_valid_days is 1 to %d",
                          PT_REWARD_COUPON_DAYS_MAX);
    }
    return tiers_validate(r, err);
}

/* Whether member (with tier name `tier`, nullable) may redeem r now: NULL, or the API code of
 * the reason it may not. */
const char *pt_reward_not_eligible(const struct pt_reward *r, const struct pt_member *member,
                                   const char *tier, int64_t now_ms)
{
    if (r->status != PT_REWARD_ACTIVE || now_ms < r->valid_from_ms || now_ms >= r->valid_to_ms) {
        return "reward_inactive";
    }
    if (member->status != PT_MEMBER_ACTIVE) {
        return "member_inactive";
    }
    if (r->tier_count > 0 && pt_name_index(r->tiers, r->tier_count, tier) < 0) {
        return "not_eligible";
    }
    if (r->has_stock && r->issued >= r->stock) {
        return "out_of_stock";
    }
    return NULL;
}

enum pt_rc pt_reward_not_found(const char *reward_id, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no reward %s", reward_id);
}
