/* SPDX-License-Identifier: MIT */
/*
 * Coupons (a reward a member was issued), coupon batches and their promotion codes
 * (docs/rewards.md). The format of a code is core/coupon_code.h.
 */
#ifndef PT_CORE_COUPON_H
#define PT_CORE_COUPON_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "core/cart.h"
#include "core/ledger.h"
#include "core/member.h"
#include "core/reward.h"

/* Bounds of a coupon batch (docs/rewards.md). */
#define PT_BATCH_COUNT_MAX 1000000
_Static_assert(PT_BATCH_COUNT_MAX <= PT_BATCH_CODES_PENDING_MAX, "a largest batch fits the quota");
#define PT_BATCH_USES_MAX 1000000
#define PT_BATCH_VALUE_MAX 1000000000000LL

/* A coupon's statuses; struct pt_coupon holds the name (static). */
enum pt_coupon_status {
    PT_COUPON_ACTIVE,
    PT_COUPON_REDEEMED,
    PT_COUPON_EXPIRED,
    PT_COUPON_CANCELLED,
    PT_COUPON_STATUSES,
};

extern const char *const pt_coupon_status_names[PT_COUPON_STATUSES];

struct pt_coupon {
    char code[PT_ID_BUF_BYTES]; /* canonical */
    char member_id[PT_ID_BUF_BYTES];
    char reward_id[PT_ID_BUF_BYTES];
    char redemption_id[PT_ID_BUF_BYTES];
    const char *status; /* active, redeemed, expired, cancelled; static */
    int64_t issued_at_ms;
    int64_t expires_at_ms;
    int64_t redeemed_at_ms;
    const char *location; /* Where it was redeemed; nullable; arena */
    int64_t cancelled_at_ms;
    const char *cancel_reason; /* The cancel's (its redemption's cancel entry's); nullable; arena */
    char purchase_id[PT_ID_BUF_BYTES]; /* The purchase that used it; "" when none */
    const char *partner_code;          /* partner_voucher: the code drawn; nullable; arena */
    /* Who gave it: a redemption (redemption_id), or a rule or a stamp card (source_id) that a
     * purchase, an activity or the member's enrollment or birthday (source_ref: its id) fired;
     * such a coupon cost no points and has no redemption. */
    enum pt_coupon_source source;
    char source_id[PT_ID_BUF_BYTES];
    char source_ref[PT_ID_BUF_BYTES];
};

enum pt_batch_status {
    PT_BATCH_GENERATING,
    PT_BATCH_READY,
    PT_BATCH_FAILED,
    PT_BATCH_STATUSES,
};

/* The statuses' names, as the API and the store spell them. */
extern const char *const pt_batch_status_names[PT_BATCH_STATUSES];

struct pt_coupon_batch {
    char id[PT_ID_BUF_BYTES];        /* "cbt_..." */
    const char *name;                /* arena */
    char reward_id[PT_ID_BUF_BYTES]; /* The reward it gives; "" when it has its own discount */
    /* Its own discount (reward_id ""): DISCOUNT_AMOUNT, DISCOUNT_PERCENT or FREE_PRODUCT. */
    enum pt_reward_type type;
    int64_t value;                /* As a reward's value */
    const char *sku;              /* FREE_PRODUCT; nullable; arena */
    char prefix[PT_ID_BUF_BYTES]; /* Upper case, 0..8 symbols */
    int64_t count;                /* 1..1,000,000 */
    int64_t generated;            /* Codes stored so far (n = 1..generated) */
    int64_t uses_per_code;        /* >= 1 */
    int64_t uses_per_member;      /* Uses of the batch's codes by one member; 0: no limit */
    bool combines;                /* Its own discount applies beside an exclusive rule. */
    int64_t valid_from_ms;        /* INT64_MIN: open */
    int64_t valid_to_ms;          /* INT64_MAX: open; exclusive */
    enum pt_batch_status status;
    const char *error; /* FAILED: why; nullable; arena */
    int64_t created_at_ms;
    int64_t updated_at_ms;
};

struct pt_promo_code {
    char code[PT_ID_BUF_BYTES]; /* canonical */
    char batch_id[PT_ID_BUF_BYTES];
    int64_t n;    /* Its place in the batch, 1..count */
    int64_t uses; /* Times used so far */
};

/* One use of a promotion code. */
struct pt_promo_use {
    const char *code;
    const char *batch_id;
    const char *member_id;   /* nullable (a till scan without a member) */
    const char *purchase_id; /* nullable */
    const char *location;    /* nullable */
    int64_t used_at_ms;
};

/* A coupon with its reward and member, as the till and the member see it. */
struct pt_coupon_view {
    struct pt_coupon coupon;
    struct pt_reward reward;
    struct pt_member member;
    bool valid;                /* Can be redeemed now. */
    const char *reason;        /* Why not: already_redeemed, coupon_expired, coupon_cancelled */
    struct pt_balance balance; /* The member's points after a redemption or a cancel. */
    /* A promotion code of a batch instead (member, coupon and balance unused; reward set
     * when the batch gives one). */
    bool promo;
    struct pt_promo_code promo_code;
    struct pt_coupon_batch batch;
};

/* A member's coupon as its list shows it: the coupon, and its reward's id, name, type, value and
 * sku (the rest of reward is zero). */
struct pt_coupon_listed {
    struct pt_coupon coupon;
    struct pt_reward reward;
};

/* The refusal of a coupon or promotion code v that cannot be used (v->reason): 409
 * already_redeemed saying when and where (a coupon) or how often (a code), else 422 with the
 * reason as its code. */
PT_MUSTCHECK enum pt_rc pt_coupon_refusal(const struct pt_coupon_view *v, struct pt_err *err);
/* What c's reward type gives on a cart of lines: NULL when it applies, else why not
 * (product_not_in_cart: its free product, or none of its skus and categories, is in the cart;
 * coupon_not_applicable). */
const char *pt_cart_coupon_gives_on(struct pt_cart_coupon *c, const struct pt_cart_item *lines,
                                    unsigned line_count);
/* Sets what c gives from reward r (borrowed), with its conditions. */
void pt_cart_coupon_gives_reward(struct pt_cart_coupon *c, const struct pt_reward *r);
/* Adds c's conditions to r, the rule by which c gives its discount (r has no condition yet;
 * a free product's selector of its sku at node 0, or none): what is left to pay of the cart
 * must be at least c->min_amount, and a discount selects the lines of c's skus and
 * categories. Its cost per line stays within PT_COUPON_RULE_LINE_COST (rules.h). Node values
 * come from arena; PT_ENOMEM when it is full. */
PT_MUSTCHECK enum pt_rc pt_cart_coupon_conditions(const struct pt_cart_coupon *c, struct pt_rule *r,
                                                  struct pt_arena *arena, struct pt_err *err);
/* After the evaluation, the reason of a coupon c with conditions that took nothing off
 * (NULL: another reason): minimum_not_met when what was left to pay of the cart before it,
 * remaining, is below its min_amount. */
const char *pt_cart_coupon_unmet(const struct pt_cart_coupon *c, int64_t remaining);
/* After the evaluation (each coupon's discount set): a coupon that took nothing off is not used
 * and the member keeps it: minimum_not_met when what was left to pay before it was below its
 * min_amount, else nothing_to_discount for one that gives a discount (what the coupons and
 * rules before it left was nothing). remaining: the cart's amount less the till's discount,
 * what the first coupon found left; each applied coupon's discount is taken for the next. */
void pt_cart_coupons_unused(struct pt_cart_coupon *coupons, unsigned count, int64_t remaining);
/* The reward of outcome o's issue_coupon into reward_id (PT_ID_BUF_BYTES), "" when none. */
void pt_cart_coupon_reward_of(const struct pt_rule_outcome *o, char *reward_id);
/* The refusal of a purchase for a code c it could not use (c->reason as its code; 409 for
 * already_redeemed, else 422), field coupons. */
PT_MUSTCHECK enum pt_rc pt_cart_coupon_refusal(const struct pt_cart_coupon *c, struct pt_err *err);
/* PT_EINVAL naming the field unless b is a valid batch; upper-cases its prefix, drops the
 * value of a free_product and the sku of a discount. */
PT_MUSTCHECK enum pt_rc pt_batch_validate(struct pt_coupon_batch *b, struct pt_err *err);

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* No coupon has that code in the program (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_coupon_not_found(struct pt_err *err);

/* The redemption issued no coupon (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_coupon_of_redemption_not_found(const char *redemption_id,
                                                          struct pt_err *err);

/* A partner_voucher reward has no free partner code left (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_voucher_pool_empty(struct pt_err *err);

/* No coupon batch has that id in the program (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_coupon_batch_not_found(struct pt_err *err);

/* No code of a batch is that code (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_promo_code_not_found(struct pt_err *err);

#endif
