/* SPDX-License-Identifier: MIT */
/*
 * Carts (docs/rules.md): a cart to evaluate or the cart of a purchase, and what the rules, the
 * tier, the stamp cards and the codes given with it make of it. Pure data: the service fills
 * an answer from the rules engine (core/rules.h) and the codes (core/coupon.h).
 */
#ifndef PT_CORE_CART_H
#define PT_CORE_CART_H

#include <stdbool.h>
#include <stdint.h>

#include "base/limits.h"
#include "core/purchase.h"
#include "core/reward.h"
#include "core/rules.h"

/* A cart to evaluate (POST /v1/carts/evaluate), or the cart of a purchase. */
struct pt_cart_request {
    const char *member_id;          /* nullable: a guest */
    struct pt_purchase_item *items; /* arena array of item_count; NULL: one line of amount */
    unsigned item_count;
    int64_t amount;       /* minor units; the items' sum when items are given */
    const char *channel;  /* nullable */
    const char *location; /* nullable */
    const char *const *coupons;
    unsigned coupon_count;
    int64_t discount; /* Given at the till outside the rules (minor units; <= amount). */
    /* How it is paid (arena; none: not said). pt_payments_prepare fills the points lines'
     * amounts. */
    struct pt_payment *payments;
    unsigned payment_count;
};

/* One rule that fired, and what it gave. */
struct pt_rule_applied {
    char rule_id[PT_ID_BUF_BYTES];
    int64_t version;
    const char *name;
    int64_t points;
    int64_t discount;
    int64_t free_units;
    bool free_shipping;
    bool capped;    /* Cut by its budget or its limit for the member today. */
    int64_t stamps; /* add_stamps: to stamp_card */
    char stamp_card[PT_ID_BUF_BYTES];
    int64_t cashback; /* minor units */
    /* issue_coupon: the reward whose coupon it gives the member; "" when none. */
    char coupon_reward[PT_ID_BUF_BYTES];
};

/* Stamps a cart adds to one stamp card (its own condition and rules' add_stamps together). */
struct pt_stamp_gain {
    char card_id[PT_ID_BUF_BYTES];
    const char *name;
    int64_t stamps;
    /* After a purchase: the card's open stamps, and cards completed by it. */
    int64_t progress;
    int64_t completed;
};

struct pt_rule_nudge {
    char rule_id[PT_ID_BUF_BYTES];
    const char *text;
    int64_t missing; /* minor units or units */
    const char *sku; /* The product to add for it (get_product); NULL otherwise. */
};

/* A code given with a cart (`coupons`), and what became of it (docs/rewards.md). */
enum pt_cart_code_kind {
    PT_CART_CODE_RULE,   /* Not a coupon or promotion code of the program: for rules only. */
    PT_CART_CODE_COUPON, /* A member's coupon of a reward. */
    PT_CART_CODE_PROMO,  /* A promotion code of a coupon batch. */
};

struct pt_cart_coupon {
    const char *input; /* As given */
    enum pt_cart_code_kind kind;
    char code[PT_ID_BUF_BYTES]; /* canonical; COUPON and PROMO */
    bool applied;
    const char *reason;              /* API code when not applied; static */
    char reward_id[PT_ID_BUF_BYTES]; /* "" for a batch with its own discount */
    const char *reward_name;         /* nullable; arena */
    char batch_id[PT_ID_BUF_BYTES];  /* PROMO */
    enum pt_reward_type type;        /* What it gives */
    int64_t value;
    const char *sku;       /* FREE_PRODUCT; arena */
    int64_t discount;      /* What it took off the cart, minor units */
    int64_t uses_per_code; /* PROMO: the batch's */
    bool combines;         /* Its order-wide discount applies beside an exclusive rule. */
    /* Its reward's conditions (docs/rewards.md): what is left to pay of the cart when it
     * applies (minor units; 0: none), and the SKUs and categories one of which the cart must
     * hold (borrowed from the reward). */
    int64_t min_amount;
    const char *const *skus;
    unsigned sku_count;
    const char *const *categories;
    unsigned category_count;
};

/* What the rules make of a cart: the same for an evaluation and for the purchase. */
struct pt_cart_answer {
    int64_t amount;
    int64_t discount;
    int64_t *line_discount; /* per item; arena; NULL without items */
    int64_t *line_coupon;   /* Of it, the coupons'; likewise. */
    unsigned line_count;
    int64_t base_points;
    int64_t tier_points;          /* What the member's tier multiplier adds to base_points. */
    const char *tier;             /* The member's tier when evaluated; NULL without tiers. */
    int64_t cashback;             /* Minor units to the member's wallet (docs/wallets.md). */
    struct pt_stamp_gain *stamps; /* Per active stamp card that gains stamps; arena */
    unsigned stamp_count;
    int64_t points;                /* base + tier + the rules' */
    struct pt_rule_applied *rules; /* arena */
    unsigned rule_count;
    bool free_shipping;
    const char **messages;
    unsigned message_count;
    struct pt_rule_nudge nudges[PT_RULE_NUDGES_MAX];
    unsigned nudge_count;
    char local_date[11];            /* The program's local date of the evaluation ("YYYY-MM-DD"). */
    struct pt_rule_member facts;    /* The member's facts the rules saw (strings borrowed). */
    struct pt_cart_coupon *coupons; /* One per code given, in order; arena */
    unsigned coupon_count;
    /* What is left to pay after every discount (amount − discount), the payments given (the
     * request's, their points lines' amounts filled), and what they leave to pay. */
    int64_t to_pay;
    const struct pt_payment *payments;
    unsigned payment_count;
    int64_t balance_due;
    /* With a member of a program that takes points: the most points can pay of this cart now
     * (the program's share, the member's spendable points, whole steps), and what they pay. */
    bool points_payable;
    int64_t points_payable_max;
    int64_t points_payable_amount;
    /* The coupons the write gave with it (rules' issue_coupon, stamp cards' rewards), or why
     * it gave none: filled by a purchase or an activity, not by an evaluation. */
    struct pt_issued_coupons issued;
    /* Rules, coupons' rules and stamp cards run. */
    unsigned rules_evaluated;
    /* What the evaluations cost, as the evaluator counts it (pt_rules_eval_cost: about a ns of
     * CPU a unit); set once they ran, even when the request then fails: the rate limits charge
     * it. */
    int64_t eval_cost;
};

#endif
