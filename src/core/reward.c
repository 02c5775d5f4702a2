/* SPDX-License-Identifier: MIT */
/*
 * The rewards catalog (reward.h): the names of reward types and statuses, a reward's
 * validation, and whether a member may have one now.
 */
#include "core/reward.h"

#include "base/names.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

const char *const pt_reward_type_names[PT_REWARD_TYPES] = {
    "discount_amount", "discount_percent", "free_product", "gift", "partner_voucher"};
const char *const pt_reward_status_names[PT_REWARD_STATUSES] = {"active", "inactive", "archived"};
const char *const pt_coupon_source_names[PT_COUPON_SOURCES] = {"redemption", "rule", "stamp_card"};

struct pt_issued_coupon *pt_issued_coupon_add(struct pt_issued_coupons *list,
                                              struct pt_arena *arena)
{
    struct pt_issued_coupon *one;
    if (list->count == list->capacity) {
        unsigned capacity = list->capacity ? 2 * list->capacity : 4;
        struct pt_issued_coupon *items = pt_arena_alloc(arena, capacity * sizeof(*items));
        if (items == NULL) {
            return NULL;
        }
        if (list->count > 0) {
            memcpy(items, list->items, list->count * sizeof(*items));
        }
        list->items = items;
        list->capacity = capacity;
    }
    one = &list->items[list->count++];
    memset(one, 0, sizeof(*one));
    return one;
}

/* A refusal with its API code; the message names the reward. */
enum pt_rc pt_reward_refuse(struct pt_err *err, const char *code, const char *message,
                            const char *name)
{
    (void)pt_err_set(err, PT_ELIMIT, NULL, "%s%s%s", message, name[0] ? ": " : "", name);
    return pt_err_code(err, code);
}

_Static_assert(sizeof(enum pt_reward_type) == sizeof(int), "an ENUM field is an int");
_Static_assert(sizeof(enum pt_reward_status) == sizeof(int), "an ENUM field is an int");

/* A reward's picture: an https address. */
static enum pt_rc image_url_check(const char *s, int64_t now_ms, struct pt_err *err)
{
    (void)now_ms;
    if (strncmp(s, "https://", 8) != 0 || strlen(s) > 2000 || strpbrk(s, " \t\r\n\"<>") != NULL) {
        return pt_err_set(err, PT_EINVAL, "image_url", "image_url is an https:// address");
    }
    return PT_OK;
}

#define REWARD_TEXT(key, member, bytes, null_ok)                                                   \
    {                                                                                              \
        .name = key, .type = PT_FIELD_TEXT, .offset = offsetof(struct pt_reward, member),          \
        .max = bytes, .nullable = null_ok                                                          \
    }
#define REWARD_TIME(key, member, open)                                                             \
    {                                                                                              \
        .name = key, .type = PT_FIELD_TIME, .offset = offsetof(struct pt_reward, member),          \
        .null_value = open                                                                         \
    }

/* A reward as POST and PATCH /v1/rewards take it, in the order they read it (its texts first;
 * the API shows sku after value). The value its type takes, a free product's sku and the
 * validity's order are pt_reward_validate's rules across fields. */
const struct pt_field pt_reward_fields[] = {
    {.name = "name",
     .type = PT_FIELD_TEXT,
     .offset = offsetof(struct pt_reward, name),
     .max = PT_NAME_BYTES_MAX,
     .message = "name is required (a text)"},
    REWARD_TEXT("description", description, PT_REWARD_TEXT_BYTES_MAX, true),
    REWARD_TEXT("terms", terms, PT_REWARD_TEXT_BYTES_MAX, true),
    {.name = "image_url",
     .type = PT_FIELD_TEXT,
     .offset = offsetof(struct pt_reward, image_url),
     .nullable = true,
     .check = image_url_check},
    {.name = "sku",
     .type = PT_FIELD_TEXT,
     .offset = offsetof(struct pt_reward, sku),
     .nullable = true,
     .own_rule = true},
    {.name = "type",
     .type = PT_FIELD_ENUM,
     .offset = offsetof(struct pt_reward, type),
     .names = pt_reward_type_names,
     .count = PT_REWARD_TYPES,
     .shape = "type is discount_amount, discount_percent, free_product, gift or partner_voucher"},
    {.name = "value",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_reward, value),
     .max = INT64_MAX / 2,
     .own_rule = true},
    {.name = "cost_points",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_reward, cost_points),
     .min = 1,
     .max = PT_POINTS_MAX,
     .nullable = true, /* null: not for sale, only given (rules' issue_coupon, stamp cards) */
     .message = "%s is 1 to %lld, or null for a reward only given"},
    {.name = "stock",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_reward, stock),
     .max = PT_POINTS_MAX,
     .nullable = true,
     .flagged = true,
     .flag_offset = offsetof(struct pt_reward, has_stock),
     .message = "%s is null (unlimited) or >= 0"},
    {.name = "issued",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_reward, issued),
     .read_only = true},
    {.name = "per_member_limit",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_reward, per_member_limit),
     .min = 1,
     .max = PT_REWARD_PER_MEMBER_MAX,
     .nullable = true,
     .null_value = 0,
     .message = "%s is null or >= 1"},
    REWARD_TIME("valid_from", valid_from_ms, INT64_MIN),
    REWARD_TIME("valid_to", valid_to_ms, INT64_MAX),
    {.name = "tiers",
     .type = PT_FIELD_NAMES,
     .offset = offsetof(struct pt_reward, tiers),
     .count_offset = offsetof(struct pt_reward, tier_count),
     .count = PT_REWARD_TIERS_MAX,
     .max = PT_TIER_NAME_BYTES_MAX,
     .shape = "tiers is a list of tier names allowed (empty: every member)",
     .message = "tiers holds tier names"},
    {.name = "coupon_valid_days",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_reward, coupon_valid_days),
     .min = 1,
     .max = PT_REWARD_COUPON_DAYS_MAX,
     .message = "%s is 1 to %lld"},
    {.name = "combines", .type = PT_FIELD_BOOL, .offset = offsetof(struct pt_reward, combines)},
    {.name = "min_amount",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_reward, min_amount),
     .min = 1,
     .max = PT_REWARD_VALUE_MAX,
     .nullable = true,
     .null_value = 0,
     .message = "%s is null (none) or 1 to %lld minor units"},
    {.name = "skus",
     .type = PT_FIELD_NAMES,
     .offset = offsetof(struct pt_reward, skus),
     .count_offset = offsetof(struct pt_reward, sku_count),
     .count = PT_REWARD_PRODUCTS_MAX,
     .max = PT_EXTERNAL_ID_BYTES_MAX,
     .shape = "skus is a list of at most 32 SKUs, one of which the cart must hold (empty: any)",
     .message = "skus holds SKUs of 1 to 128 bytes"},
    {.name = "categories",
     .type = PT_FIELD_NAMES,
     .offset = offsetof(struct pt_reward, categories),
     .count_offset = offsetof(struct pt_reward, category_count),
     .count = PT_REWARD_PRODUCTS_MAX,
     .max = PT_EXTERNAL_ID_BYTES_MAX,
     .shape = "categories is a list of at most 32 categories, one of which the cart must hold "
              "(empty: any)",
     .message = "categories holds categories of 1 to 128 bytes"},
    {.name = "status",
     .type = PT_FIELD_ENUM,
     .offset = offsetof(struct pt_reward, status),
     .names = pt_reward_status_names,
     .count = PT_REWARD_STATUSES,
     .shape = "status is active, inactive or archived"},
};

enum pt_rc pt_discount_validate(const struct pt_discount_rule *rule, enum pt_reward_type type,
                                int64_t value, const char *sku, struct pt_err *err)
{
    char field[48];
    switch (type) {
    case PT_REWARD_DISCOUNT_AMOUNT:
        if (value < 1 || value > rule->amount_max) {
            (void)snprintf(field, sizeof(field), "%svalue", rule->prefix);
            return pt_err_set(err, PT_EINVAL, field,
                              "a discount_amount%s takes value: minor units off, >= 1", rule->noun);
        }
        return PT_OK;
    case PT_REWARD_DISCOUNT_PERCENT:
        if (value < 1 || value > PT_REWARD_PERCENT_MAX) {
            (void)snprintf(field, sizeof(field), "%svalue", rule->prefix);
            return pt_err_set(err, PT_EINVAL, field,
                              "a discount_percent%s takes value: hundredths of a percent off, 1 "
                              "to 10000",
                              rule->noun);
        }
        return PT_OK;
    case PT_REWARD_FREE_PRODUCT:
        if (sku == NULL || pt_validate_text("sku", sku, PT_EXTERNAL_ID_BYTES_MAX, err) != PT_OK) {
            (void)snprintf(field, sizeof(field), "%ssku", rule->prefix);
            return pt_err_set(err, PT_EINVAL, field, "a free_product%s names its sku", rule->noun);
        }
        return PT_OK;
    case PT_REWARD_GIFT:
    case PT_REWARD_PARTNER_VOUCHER:
    case PT_REWARD_TYPES:
        break;
    }
    return rule->others_refused != NULL
               ? pt_err_set(err, PT_EINVAL, rule->others_field, "%s", rule->others_refused)
               : PT_OK;
}

/* The reward's discount: the value or sku its type takes. */
static const struct pt_discount_rule reward_discount = {
    .prefix = "", .noun = " reward", .amount_max = PT_REWARD_VALUE_MAX};

enum pt_rc pt_reward_validate(const struct pt_reward *r, struct pt_err *err)
{
    enum pt_rc rc = pt_fields_validate(pt_reward_fields, PT_REWARD_FIELD_COUNT, r, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_discount_validate(&reward_discount, r->type, r->value, r->sku, err);
    if (rc != PT_OK) {
        return rc;
    }
    /* A partner voucher's stock is its pool of partner codes (POST /v1/rewards/{id}/vouchers). */
    if (r->type == PT_REWARD_PARTNER_VOUCHER && r->has_stock) {
        return pt_err_set(err, PT_EINVAL, "stock",
                          "a partner_voucher reward's stock is its pool of partner codes: "
                          "leave stock null and upload codes");
    }
    if (r->valid_from_ms >= r->valid_to_ms) {
        return pt_err_set(err, PT_EINVAL, "valid_to", "valid_to must be after valid_from");
    }
    /* Conditions are judged on a cart here; a partner voucher is used at the partner. */
    if (r->type == PT_REWARD_PARTNER_VOUCHER &&
        (r->min_amount > 0 || r->sku_count > 0 || r->category_count > 0)) {
        return pt_err_set(err, PT_EINVAL,
                          r->min_amount > 0  ? "min_amount"
                          : r->sku_count > 0 ? "skus"
                                             : "categories",
                          "a partner_voucher is used at the partner: its coupon has no "
                          "conditions on a cart");
    }
    return PT_OK;
}

/* Whether member (with tier name `tier`, nullable) may redeem r now: NULL, or the API code of
 * the reason it may not. */
const char *pt_reward_not_eligible(const struct pt_reward *r, const struct pt_member *member,
                                   const char *tier, int64_t now_ms)
{
    if (r->status != PT_REWARD_ACTIVE || now_ms < r->valid_from_ms || now_ms >= r->valid_to_ms) {
        return "reward_inactive";
    }
    if (r->cost_points == 0) {
        return "not_for_sale"; /* Only given: a next-order coupon's discount. */
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
