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

#include "base/arena.h"
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
/* The SKUs, and the categories, one of which a cart must hold for the reward's coupon
 * (docs/rewards.md, "Conditions"): as many as one `in` list of a rule holds, since the coupon
 * selects its lines with one (core/rules.h PT_RULE_LIST_MAX); each a cart's text. */
#define PT_REWARD_PRODUCTS_MAX 32

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
    int64_t cost_points;      /* >= 1; 0 (null in the API): not for sale, only given. */
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
    /* Conditions of its coupon in a cart (docs/rewards.md): what is left to pay of the cart
     * when it applies must be at least min_amount (minor units; 0: none), and the cart must
     * hold one of the skus or categories (none of either: any cart); a discount then applies
     * to those lines only. The arrays and names are arena, NULL when their count is 0. */
    int64_t min_amount;
    const char *const *skus;
    unsigned sku_count;
    const char *const *categories;
    unsigned category_count;
    enum pt_reward_status status;
    int64_t created_at_ms;
    int64_t updated_at_ms;
};

/* Who gave a coupon: a redemption of the member's points, a rule's issue_coupon, or a stamp
 * card's reward (docs/rewards.md, "Coupons given by rules and stamp cards"). */
enum pt_coupon_source {
    PT_COUPON_FROM_REDEMPTION,
    PT_COUPON_FROM_RULE,
    PT_COUPON_FROM_CARD,
    PT_COUPON_SOURCES,
};

/* A coupon a rule or a stamp card gave a member, or why it gave none; or what a return made of
 * such a coupon (status). */
struct pt_issued_coupon {
    enum pt_coupon_source source;    /* RULE or CARD */
    char source_id[PT_ID_BUF_BYTES]; /* The rule ("rul_...") or the stamp card ("stc_...") */
    char reward_id[PT_ID_BUF_BYTES];
    char code[PT_ID_BUF_BYTES]; /* "" when none was issued */
    const char *reason;         /* Why none was: reward_inactive, out_of_stock; NULL; static */
    const char *status;         /* A return's: "cancelled", or "redeemed" (it stays); static */
    int64_t expires_at_ms;      /* 0 when none was issued */
};

/* A list of them that grows in an arena (pt_issued_coupon_add). */
struct pt_issued_coupons {
    struct pt_issued_coupon *items; /* arena */
    unsigned count;
    unsigned capacity;
};

/* A new entry at the end of list (its fields zero), or NULL when the arena is full. */
struct pt_issued_coupon *pt_issued_coupon_add(struct pt_issued_coupons *list,
                                              struct pt_arena *arena);

/* The names of the types and statuses as the API and the store spell them (base/names.h finds
 * one). */
extern const char *const pt_reward_type_names[PT_REWARD_TYPES];
extern const char *const pt_reward_status_names[PT_REWARD_STATUSES];
extern const char *const pt_coupon_source_names[PT_COUPON_SOURCES];

/* A reward's fields as the API takes and shows them (between its id and its times), with their
 * limits. */
#define PT_REWARD_FIELD_COUNT 20
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
