/* SPDX-License-Identifier: MIT */
/*
 * Referrals (docs/referrals.md): the program's policy and one referred member's referral, from
 * invited to rewarded (or reversed).
 */
#ifndef PT_CORE_REFERRAL_H
#define PT_CORE_REFERRAL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "core/member.h"

/* Bounds of the referral policy as PATCH /v1/program takes it: the points of one side (a
 * billion, far past any real reward and within PT_POINTS_MAX), the days a referred member has
 * for the first purchase (ten years), and rewarded referrals per referrer and month. */
#define PT_REFERRAL_POINTS_MAX 1000000000
#define PT_REFERRAL_DAYS_MAX 3650
#define PT_REFERRAL_PER_MONTH_MAX 10000
_Static_assert(PT_REFERRAL_POINTS_MAX <= PT_POINTS_MAX, "one side's points are one posting");

/* Referral rewards (docs/referrals.md): given to both sides when the referred member's first
 * purchase of at least min_amount comes within within_days of enrolling. */
struct pt_referral_policy {
    bool enabled;
    int64_t referrer_points; /* >= 0 each; points and wallet money (minor units) */
    int64_t referrer_wallet;
    int64_t referee_points;
    int64_t referee_wallet;
    int64_t min_amount;    /* minor units */
    int64_t within_days;   /* >= 1 */
    int64_t max_per_month; /* Rewarded referrals per referrer and local month; 0 = no limit. */
};

struct pt_referral {
    char member_id[PT_ID_BUF_BYTES];   /* The referred member (referee). */
    char referrer_id[PT_ID_BUF_BYTES]; /* Who referred it. */
    const char *status;                /* invited, qualified, rewarded, reversed; static */
    int64_t enrolled_at_ms;
    int64_t qualified_at_ms; /* 0 until then */
    int64_t rewarded_at_ms;
    int64_t reversed_at_ms;
    char purchase_id[PT_ID_BUF_BYTES]; /* The qualifying purchase ("" before) */
    int64_t rewarded_month;            /* Local month index of the reward (the monthly limit) */
    int64_t referrer_points;           /* What each side got */
    int64_t referrer_wallet;
    int64_t referee_points;
    int64_t referee_wallet;
    char referrer_credit_id[PT_ID_BUF_BYTES]; /* The wallet credits, to take back */
    char referee_credit_id[PT_ID_BUF_BYTES];
    const char *note; /* Why a qualified referral was not rewarded; nullable; arena */
};

/* Checks an enabled policy: no negative values, points within PT_POINTS_MAX, wallet amounts
 * within PT_MEMBER_WALLET_MINOR_MAX, min_amount within PT_AMOUNT_MAX. PT_EINVAL (field
 * referrals). A disabled policy is valid. */
PT_MUSTCHECK enum pt_rc pt_referral_policy_validate(const struct pt_referral_policy *r,
                                                    struct pt_err *err);

/* Whether a and b are one person: the same email without its +tag, in any case, or the same
 * phone. A member may not refer itself. */
bool pt_referral_same_person(const struct pt_member *a, const struct pt_member *b);
/* A refusal of the referral code at enrollment: PT_ELIMIT with code (referral_code_unknown,
 * referrer_inactive, self_referral), field referred_by. */
PT_MUSTCHECK enum pt_rc pt_referral_refuse(struct pt_err *err, const char *code,
                                           const char *message);

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* No member holds that referral code, email, ... (kind) (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_referral_holder_not_found(const char *kind, struct pt_err *err);

/* The member has no referral (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_referral_not_found(const char *member_id, struct pt_err *err);

#endif
