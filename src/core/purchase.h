/* SPDX-License-Identifier: MIT */
/*
 * Purchases and their returns (docs/ledger.md): a purchase's items, amounts and what it earned
 * (points, cashback), and what its returns took back. Pure data and the checks and arithmetic of
 * a purchase and a return (core/purchase.c).
 */
#ifndef PT_CORE_PURCHASE_H
#define PT_CORE_PURCHASE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "core/payment.h"
#include "core/reward.h"

struct pt_program;

struct pt_purchase_item {
    const char *sku;      /* arena */
    const char *name;     /* arena; nullable */
    const char *category; /* arena; nullable */
    int64_t quantity;     /* >= 1 */
    int64_t unit_price;   /* minor units, >= 0 */
    bool eligible;        /* false when the category is excluded from earning */
    int64_t returned_quantity;
    int64_t coupon_discount; /* What the purchase's coupons took off the line (with its facts). */
};

/* What a purchase's returns need to undo its mechanics (docs/ledger.md, "Returns"), kept only
 * for a purchase that a rule or a stamp card fired on or that used a coupon: the member's facts
 * as its evaluation saw them, and the points its coupons cost. */
struct pt_purchase_facts {
    bool stored;            /* Read back: the purchase has them. */
    const char *tier;       /* nullable; arena */
    const char *attributes; /* The member's attributes (JSON object); nullable; arena */
    int64_t birth_month;    /* 0 when unknown */
    int64_t days_since_enrollment;
    int64_t purchase_count;
    const char *city;               /* nullable; arena */
    const char *country;            /* nullable; arena */
    int64_t coupon_points;          /* Points the member spent on the coupons it used. */
    int64_t coupon_points_refunded; /* Of them, what its returns gave back. */
    int64_t coupon_discount;        /* What its coupons took off (a kept cart keeps a share). */
    const char *coupon_lines;       /* Read back: of it, each item line's ("0,500"); arena. */
};

struct pt_purchase {
    char id[PT_ID_BUF_BYTES]; /* "txn_..." */
    char member_id[PT_ID_BUF_BYTES];
    const char *external_id; /* receipt number; arena */
    int64_t occurred_at_ms;
    char currency[4];
    int64_t amount;                 /* minor units */
    int64_t eligible_amount;        /* amount less excluded items */
    struct pt_purchase_item *items; /* arena array of item_count */
    unsigned item_count;
    const char *channel;  /* nullable */
    const char *location; /* nullable */
    int64_t points_earned;
    char lot_id[PT_ID_BUF_BYTES]; /* "" when it earned nothing */
    int64_t returned_amount;
    int64_t returned_eligible;
    int64_t points_reversed;
    char entry_id[PT_ID_BUF_BYTES]; /* "" when it earned nothing */
    int64_t created_at_ms;
    int64_t base_points;   /* Of points_earned, the program's base rate's (the rest: rules). */
    int64_t discount;      /* Taken off the amount: the till's (till_discount) and the rules'. */
    int64_t till_discount; /* Given at the till outside the rules (part of discount). */
    int64_t tier_month;    /* The month (core/tiers.h) its tier metric was counted in. */
    int64_t spend; /* What it counted as spend for tiers and referrals (pt_purchase_spend). */
    int64_t spend_returned;    /* Of spend, what its returns took back (pt_return_spend). */
    int64_t cashback;          /* Minor units credited to the wallet (docs/wallets.md). */
    int64_t cashback_reversed; /* Taken back by returns. */
    char wallet_credit_id[PT_ID_BUF_BYTES]; /* The cashback's credit ("" when none). */
    bool stamped; /* Read back: stamp cards counted it (it has purchase_stamps rows). */
    bool paid;    /* Read back: it has payment lines (purchase_payments rows). */
    const char *const *coupons; /* The codes given with the cart (stored with its facts). */
    unsigned coupon_count;
    struct pt_purchase_facts facts;
    /* How it was paid (docs/ledger.md, "Paying with points"); arena; none when not given. */
    struct pt_payment *payments;
    unsigned payment_count;
};

struct pt_return {
    char id[PT_ID_BUF_BYTES]; /* "ret_..." */
    const char *external_id;
    char purchase_id[PT_ID_BUF_BYTES];
    char member_id[PT_ID_BUF_BYTES];
    int64_t amount;
    int64_t points_reversed;
    int64_t points_owed; /* Of points_reversed, what the member could not cover. */
    char entry_id[PT_ID_BUF_BYTES];
    int64_t created_at_ms;
    int64_t coupon_points_refunded; /* Points spent on the purchase's coupons given back. */
    int64_t reward_points_reversed; /* Stamp cards' rewards taken back (docs/stamp-cards.md). */
    /* What it gave back of the purchase's payments, per payment line (docs/ledger.md, "Paying
     * with points"): points and wallet money to the member, the rest for the till to refund. */
    struct pt_payment refunds[PT_PAYMENTS_MAX];
    unsigned refund_count;
    int64_t points_payment_refunded; /* Points paid with, given back. */
    int64_t wallet_payment_refunded; /* Wallet money paid with, given back (minor units). */
    /* The coupons rules and stamp cards gave for the purchase that the return takes back:
     * cancelled, or found used (docs/ledger.md, "Returns"). */
    struct pt_issued_coupons coupons_back;
};

/* ---- Reading purchases back (GET /v1/transactions/{id}, GET /v1/members/{id}/purchases) ---- */

/* Where a purchase's returns have left it, by the amounts returned: nothing returned, part of
 * it, or all of it. A return always takes at least one minor unit, so a purchase of amount 0
 * stays completed. */
enum pt_purchase_status {
    PT_PURCHASE_COMPLETED,
    PT_PURCHASE_PARTIALLY_RETURNED,
    PT_PURCHASE_RETURNED,
    PT_PURCHASE_STATUSES
};
extern const char *const pt_purchase_status_names[PT_PURCHASE_STATUSES];

/* A return as its purchase lists it. */
struct pt_purchase_return {
    char id[PT_ID_BUF_BYTES]; /* "ret_..." */
    const char *external_id;  /* The return's receipt number; arena */
    int64_t created_at_ms;    /* When it was recorded (a return has no other time). */
    int64_t amount;           /* Minor units returned, >= 1. */
    int64_t points_reversed;  /* The purchase's points it took back; points_owed of them owed. */
    int64_t points_owed;
};

/* A purchase as a member's list shows it: its amounts and where its returns left it, without
 * its lines. */
struct pt_purchase_summary {
    char id[PT_ID_BUF_BYTES];
    const char *external_id; /* arena */
    int64_t occurred_at_ms;
    int64_t created_at_ms;
    char currency[4];
    int64_t amount;          /* Minor units, before discounts. */
    int64_t discount;        /* Taken off the amount: the till's, the rules' and the coupons'. */
    int64_t points_earned;   /* What it earned (base, tier and rules). */
    int64_t points_reversed; /* Of them, what its returns took back. */
    int64_t cashback;        /* Minor units credited to the wallet. */
    int64_t returned_amount; /* Minor units its returns took back, at most amount. */
    const char *channel;     /* nullable; arena */
    const char *location;    /* nullable; arena */
    int64_t item_count;      /* Its lines, at most PT_PURCHASE_ITEMS_MAX. */
};

/* The status of a purchase of amount of which returned_amount (0..amount) was returned. */
enum pt_purchase_status pt_purchase_status_of(int64_t amount, int64_t returned_amount);

/* A rule version that fired on a purchase: what it gave, and its document (a return evaluates
 * it again on what is kept). */
struct pt_purchase_rule {
    char rule_id[PT_ID_BUF_BYTES];
    int64_t version;
    int64_t points;       /* What it gave. */
    const char *document; /* arena */
};

struct pt_return_request {
    const char *external_id;        /* Required: the return's receipt number. */
    int64_t amount;                 /* Amount returned, or 0 when items are given. */
    struct pt_purchase_item *items; /* sku + quantity of returned items; NULL when amount. */
    unsigned item_count;
};

/* Checks purchase p against its program at now_ms (currency, not in the future, items adding up
 * to the amount) and sets its eligible amount and each item's `eligible` (its category not
 * excluded). PT_EINVAL naming the field. */
PT_MUSTCHECK enum pt_rc pt_purchase_check(const struct pt_program *program, struct pt_purchase *p,
                                          int64_t now_ms, struct pt_err *err);
/* Whether category (nullable) is one of the program's excluded categories. */
bool pt_purchase_category_excluded(const struct pt_program *program, const char *category);
/* The spend purchase p counts for tiers and a referral's minimum: what was paid after its
 * discounts, or its amount before them when the program says so (spend_before_discounts). */
int64_t pt_purchase_spend(const struct pt_program *program, const struct pt_purchase *p);
/* The share of p's spend that a return of amount_now takes back (*out), added to
 * p->spend_returned; p->returned_amount counts the return already. In cumulative proportion to
 * the amount returned, floored, so that the returns of a purchase take back its spend exactly
 * once all of it is returned. */
PT_MUSTCHECK enum pt_rc pt_return_spend(struct pt_purchase *p, int64_t amount_now, int64_t *out,
                                        struct pt_err *err);
/* Works out the amount and the eligible amount returned now by req, updating p's items'
 * returned quantities. PT_ELIMIT return_exceeds_purchase (field amount or items). */
PT_MUSTCHECK enum pt_rc pt_return_amounts(struct pt_purchase *p,
                                          const struct pt_return_request *req, int64_t *amount_now,
                                          int64_t *eligible_now, struct pt_err *err);
/* What a return of a purchase that gave `given` (points, cashback or stamps) takes back now
 * when what the customer keeps would earn `kept` and earlier returns took `taken`: given less
 * kept less taken, never below zero and never past what is left. */
int64_t pt_return_due(int64_t given, int64_t kept, int64_t taken);
/* What a kept cart keeps of a purchase's points: base_and_tier (its base and tier points) and,
 * of each rule i of n, its points rule_kept[i], at most what it gave (rule_given[i]). */
int64_t pt_return_points_kept(int64_t base_and_tier, const int64_t *rule_kept,
                              const int64_t *rule_given, unsigned n);
/* PT_ELIMIT return_window_closed when the program has a window (return_days) and a purchase of
 * occurred_at_ms can no longer be returned at now_ms (from occurred_at + return_days on). */
PT_MUSTCHECK enum pt_rc pt_return_window_check(const struct pt_program *program,
                                               int64_t occurred_at_ms, int64_t now_ms,
                                               struct pt_err *err);
/* The refusal of a receipt number taken already: PT_ECONFLICT idempotency_conflict (field
 * external_id); what names the kind ("a purchase", "a return", "an activity"). */
PT_MUSTCHECK enum pt_rc pt_external_id_taken(const char *what, struct pt_err *err);

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* No purchase has that id in the program (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_purchase_not_found(const char *purchase_id, struct pt_err *err);

/* What a purchase is still worth to the business after its returns (docs/analytics.md): what
 * was paid, amount - discount, less the returns' share of it. A return's amount is at prices
 * before discounts, so its share is returned x (amount - discount) / amount, rounded toward
 * zero; wholly returned (returned == amount) it is worth 0, and never below 0. discount and
 * returned are clamped to 0..amount; an amount of 0 or less is worth 0. */
int64_t pt_purchase_kept_value(int64_t amount, int64_t discount, int64_t returned);

#endif
