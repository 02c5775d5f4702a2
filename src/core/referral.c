/* SPDX-License-Identifier: MIT */
/*
 * Referrals (referral.h): the policy's check, whether two members are one person (a self-referral),
 * and the refusals of a referral code at enrollment.
 */
#include "core/referral.h"

#include <ctype.h>
#include <string.h>

/* Referral rewards hold no negative values, and none past what one posting may move (limits.h,
 * the bounded ledger). */
enum pt_rc pt_referral_policy_validate(const struct pt_referral_policy *r, struct pt_err *err)
{
    if (!r->enabled) {
        return PT_OK;
    }
    if (r->within_days < 1 || r->min_amount < 0 || r->max_per_month < 0 || r->referrer_points < 0 ||
        r->referee_points < 0 || r->referrer_wallet < 0 || r->referee_wallet < 0) {
        return pt_err_set(err, PT_EINVAL, "referrals", "referrals hold no negative values");
    }
    if (r->referrer_points > PT_POINTS_MAX || r->referee_points > PT_POINTS_MAX ||
        r->referrer_wallet > PT_MEMBER_WALLET_MINOR_MAX ||
        r->referee_wallet > PT_MEMBER_WALLET_MINOR_MAX || r->min_amount > PT_AMOUNT_MAX) {
        return pt_err_set(err, PT_EINVAL, "referrals",
                          "referral points, wallet amounts and min_amount are at most %lld",
                          (long long)PT_POINTS_MAX);
    }
    return PT_OK;
}

/* An email address without its +tag, lower case ("Ann+ref@x.org" and "ann@x.org" are one
 * person). */
static void email_base(const char *email, char *out, size_t out_bytes)
{
    const char *at = strchr(email, '@');
    const char *plus = strchr(email, '+');
    size_t n = 0;
    const char *p;
    for (p = email; *p != '\0' && n + 1 < out_bytes; p++) {
        if (plus != NULL && at != NULL && plus < at && p >= plus && p < at) {
            continue; /* The tag */
        }
        out[n++] = (char)tolower((unsigned char)*p);
    }
    out[n] = '\0';
}

bool pt_referral_same_person(const struct pt_member *a, const struct pt_member *b)
{
    if (a->email != NULL && b->email != NULL) {
        char x[PT_EMAIL_BYTES_MAX + 1];
        char y[PT_EMAIL_BYTES_MAX + 1];
        email_base(a->email, x, sizeof(x));
        email_base(b->email, y, sizeof(y));
        if (strcmp(x, y) == 0) {
            return true;
        }
    }
    return a->phone != NULL && b->phone != NULL && strcmp(a->phone, b->phone) == 0;
}

enum pt_rc pt_referral_refuse(struct pt_err *err, const char *code, const char *message)
{
    (void)pt_err_set(err, PT_ELIMIT, "referred_by", "%s", message);
    return pt_err_code(err, code);
}

enum pt_rc pt_referral_holder_not_found(const char *kind, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no member holds that %s", kind);
}

enum pt_rc pt_referral_not_found(const char *member_id, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "member %s was not referred", member_id);
}
