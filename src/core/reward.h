/* SPDX-License-Identifier: MIT */
/*
 * The rewards catalog (docs/rewards.md): what a member may spend points on, its type, stock,
 * validity and who may have it; the names of its types and statuses, as the API and the store
 * spell them (one table each).
 */
#ifndef PT_CORE_REWARD_H
#define PT_CORE_REWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "core/fields.h"
#include "core/member.h"
#include "core/tiers.h"

/* Bounds of a reward (docs/rewards.md). */
#define PT_REWARD_TEXT_BYTES_MAX 2000       /* description, terms */
#define PT_REWARD_VALUE_MAX 1000000000000LL /* discount_amount, minor units */
#define PT_REWARD_PERCENT_MAX 10000         /* discount_percent, hundredths of a percent */
#define PT_REWARD_COUPON_DAYS_MAX 3650      /* coupon_valid_days: ten years */
#define PT_REWARD_PER_MEMBER_MAX 1000000    /* per_member_limit */
#define PT_REWARD_COUPON_DAYS_DEFAULT 30    /* coupon_valid_days of a reward that sets none */
/* The tier names a reward may be for: as many as a program has tiers, each a tier's name. */
#define PT_REWARD_TIERS_MAX PT_TIERS_MAX

enum pt_reward_type {
    PT_REWARD_DISCOUNT_AMOUNT,  /* value: minor units off */
    PT_REWARD_DISCOUNT_PERCENT, /* value: hundredths of a percent off */
    PT_REWARD_FREE_PRODUCT,     /* sku */
    PT_REWARD_GIFT,             /* a physical item handed over */
    PT_REWARD_PARTNER_VOUCHER,  /* a code from a partner's pool */
    PT_REWARD_TYPES,
};

enum pt_reward_status {
    PT_REWARD_ACTIVE,
    PT_REWARD_INACTIVE,
    PT_REWARD_ARCHIVED,
    PT_REWARD_STATUSES,
};

struct pt_reward {
    char id[PT_ID_BUF_BYTES]; /* "rwd_..." */
    const char *name;         /* arena */
    const char *description;  /* nullable; arena */
    const char *terms;        /* nullable; arena */
    const char *image_url;    /* nullable; arena */
    enum pt_reward_type type;
    int64_t value;            /* discount_amount: minor units; discount_percent: hundredths of % */
    const char *sku;          /* free_product; nullable; arena */
    int64_t cost_points;      /* >= 1 */
    bool has_stock;           /* false: unlimited */
    int64_t stock;            /* Coupons it may ever issue (cancelled ones come back). */
    int64_t issued;           /* Issued and not cancelled (read only). */
    int64_t per_member_limit; /* 0: none */
    int64_t valid_from_ms;    /* INT64_MIN: open */
    int64_t valid_to_ms;      /* INT64_MAX: open; exclusive */
    /* Tier names allowed, at most PT_REWARD_TIERS_MAX (none: every member); the array and the
     * names are arena, NULL when tier_count is 0. */
    const char *const *tiers;
    unsigned tier_count;
    int64_t coupon_valid_days;
    bool combines; /* Its coupons' order-wide discount applies beside an exclusive rule. */
    enum pt_reward_status status;
    int64_t created_at_ms;
    int64_t updated_at_ms;
};

/* The names of the types and statuses as the API and the store spell them (base/names.h finds
 * one). */
extern const char *const pt_reward_type_names[PT_REWARD_TYPES];
extern const char *const pt_reward_status_names[PT_REWARD_STATUSES];

/* A reward's fields as the API takes and shows them (between its id and its times), with their
 * limits. */
#define PT_REWARD_FIELD_COUNT 17
extern const struct pt_field pt_reward_fields[PT_REWARD_FIELD_COUNT];

/* PT_EINVAL naming the field unless r is a valid reward: its table (texts, an https image,
 * cost, stock, limit, tiers, coupon days), then the value its type takes and the validity. */
PT_MUSTCHECK enum pt_rc pt_reward_validate(const struct pt_reward *r, struct pt_err *err);

/* How a discount (a type with its value or sku) is judged: a reward's, or a coupon batch's
 * own (coupon.h). */
struct pt_discount_rule {
    const char *prefix;         /* Before the field's name in the refusal: "" or "discount.". */
    const char *noun;           /* After the type's name in the message: " reward" or "". */
    int64_t amount_max;         /* The greatest discount_amount, minor units. */
    const char *others_field;   /* A type that gives no discount (gift, partner_voucher) is */
    const char *others_refused; /* refused naming others_field with this; NULL: allowed. */
};
/* PT_EINVAL unless value (discount_amount 1..amount_max, discount_percent 1..10000) or sku
 * (free_product: a text) is what type takes, naming prefix + "value" or "sku". */
PT_MUSTCHECK enum pt_rc pt_discount_validate(const struct pt_discount_rule *rule,
                                             enum pt_reward_type type, int64_t value,
                                             const char *sku, struct pt_err *err);
/* Whether member (with tier name `tier`, nullable) may redeem r at now_ms: NULL, or the API
 * code of the reason it may not (reward_inactive, member_inactive, not_eligible,
 * out_of_stock). */
const char *pt_reward_not_eligible(const struct pt_reward *r, const struct pt_member *member,
                                   const char *tier, int64_t now_ms);
/* A refusal with its API code (PT_ELIMIT); the message names the reward (name, "" for none). */
PT_MUSTCHECK enum pt_rc pt_reward_refuse(struct pt_err *err, const char *code, const char *message,
                                         const char *name);

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* No reward has that id in the program (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_reward_not_found(const char *reward_id, struct pt_err *err);

#endif
