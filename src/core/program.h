/* SPDX-License-Identifier: MIT */
/*
 * A program: the tenant, its currency and its settings (earning, expiry, tiers, wallets,
 * referrals, adjustment limits, the return window, rate limits). Pure data: the store reads and
 * writes it, the service checks and changes it, http shows it.
 */
#ifndef PT_CORE_PROGRAM_H
#define PT_CORE_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "core/fields.h"
#include "core/payment.h"
#include "core/ratelimit.h"
#include "core/referral.h"
#include "core/tiers.h"

/* Who may sign up on the member portal (the program setting `enrollment`). */
enum pt_enrollment {
    PT_ENROLLMENT_OPEN,       /* Anyone (the default). */
    PT_ENROLLMENT_INVITATION, /* With the referral code of an active member (invitation_code). */
    PT_ENROLLMENT_CLOSED,     /* Nobody: members are enrolled by staff (and may set a password by
                                 a reset). */
    PT_ENROLLMENTS,
};

/* "open", "invitation", "closed". */
extern const char *const pt_enrollment_names[PT_ENROLLMENTS];

struct pt_program {
    char id[PT_ID_BUF_BYTES];
    const char *name; /* arena */
    char currency[4]; /* ISO 4217 */
    int64_t created_at_ms;
    int64_t updated_at_ms;
    int64_t earn_points;     /* earn_rate.points; >= 0 */
    int64_t earn_per_amount; /* earn_rate.per_amount, minor units; >= 1 */
    int64_t pending_days;    /* Return window before points become available; >= 0. */
    int64_t expiry_months;   /* 0 = points never expire; else rolling months after earning. */
    bool allow_negative_balance;
    /* Category names excluded from earning, at most PT_CATEGORIES_MAX (the decoder's bound);
     * the array and the names are arena. NULL when the count is 0. */
    const char *const *excluded_categories;
    unsigned excluded_category_count;
    int64_t rules_version; /* Moves on every change of a rule (caches compare it). */
    const char *time_zone; /* IANA name; rules' time facts are local to it; arena. */
    /* What points cost the business: point_cost_points points cost point_cost_amount minor
     * units (a rational, as the earn rate: no floating point for money). */
    int64_t point_cost_amount;
    int64_t point_cost_points;
    /* Status tiers (metric NONE: none); the names and perks are arena strings. */
    struct pt_tier_policy tiers;
    int64_t wallet_pending_days; /* Wallet credits from purchases are pending this long. */
    struct pt_referral_policy referrals;
    /* Points one adjustment may move, per role of the calling key (adjust_limits); 0 forbids
     * the role to adjust; at most PT_POINTS_MAX. */
    int64_t adjust_staff_max;
    int64_t adjust_admin_max;
    /* Days after its occurred_at a purchase may be returned; 0 = no window (returns at any
     * time). 0..PT_RETURN_DAYS_MAX. */
    int64_t return_days;
    /* Transfers and wallet debits leave what a return inside the window may take back
     * (docs/ledger.md); needs return_days > 0. */
    bool hold_returnable;
    /* Tier spend and a referral's minimum count the amount before discounts; false (the
     * default): what the customer paid after them (docs/tiers.md). */
    bool spend_before_discounts;
    /* Of the order-wide discounts (rules' and coupons'), only the largest applies. */
    bool best_discount_only;
    /* Paying with points at point_value (docs/ledger.md, "Paying with points"). */
    struct pt_points_payment_policy points_payment;
    /* Whether wallet money spent in a purchase earns cashback (default false). */
    bool wallet_payment_earns_cashback;
    /* Token buckets (docs/security.md); a 0 field is the default of limits.h. */
    struct pt_rate_limits rate_limits;
    /* Who may sign up on the portal. */
    enum pt_enrollment enrollment;
    /* The annual rate customer lifetime value is discounted at, basis points (1000 is 10% a
     * year): 0..PT_CLV_DISCOUNT_BP_MAX, default PT_CLV_DISCOUNT_BP_DEFAULT (the column's). */
    int64_t clv_discount_rate_bp;
};

/* The program's settings as a field table (core/fields.h), in the API's order: the http layer
 * decodes and encodes them by it, and pt_program_validate checks them by it. */
extern const struct pt_field pt_program_fields[];
extern const size_t pt_program_field_count;

/* Whether s is an ISO 4217 code as the API takes it: three upper-case letters. */
bool pt_program_currency_valid(const char *s);
/* The digits of currency's minor unit (ISO 4217): 2 for most (USD, EUR), 0 for JPY, 3 for
 * KWD, 4 for CLF. Money is stored in minor units; analytics quoting the major unit need it. */
int pt_currency_exponent(const char *currency);
/* PT_EINVAL (field currency) unless pt_program_currency_valid(currency). */
PT_MUSTCHECK enum pt_rc pt_program_currency_check(const char *currency, struct pt_err *err);

/* PT_EINVAL (field excluded_categories.<index>) unless name (NULL: not a name) is a category
 * name of 1 to PT_CATEGORY_BYTES_MAX bytes of text. */
PT_MUSTCHECK enum pt_rc pt_program_category_check(size_t index, const char *name,
                                                  struct pt_err *err);

/* Checks the settings of p as a whole: the table's limits, the currency, expiry, referrals, the
 * return window with hold_returnable, tiers and rate limits, the excluded categories. PT_EINVAL
 * naming the first field out of bounds. The time zone's name is the caller's to check against
 * the tz database (I/O). */
PT_MUSTCHECK enum pt_rc pt_program_validate(const struct pt_program *p, struct pt_err *err);

/* Whether a portal sign-up may go on under the program's enrollment: PT_EFORBIDDEN
 * enrollment_closed when closed; PT_EINVAL (field invitation_code) when by invitation and
 * has_invitation_code is false. PT_OK otherwise (the code itself is the referral's to check). */
PT_MUSTCHECK enum pt_rc pt_enrollment_check(enum pt_enrollment enrollment, bool has_invitation_code,
                                            struct pt_err *err);

/* The refusal of a program the store did not find: PT_ENOTFOUND. */
PT_MUSTCHECK enum pt_rc pt_program_not_found(struct pt_err *err);

#endif
