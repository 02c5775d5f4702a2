/* SPDX-License-Identifier: MIT */
/*
 * Program settings (program.h): the field table GET and PATCH /v1/program walk, and the check
 * of the settings as a whole before they are written. The time zone's name is checked by the
 * service against the tz database (reading it is I/O).
 */
#include "core/program.h"

#include "base/assert.h"
#include "core/member.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define INT_FIELD(key, member, lo, hi)                                                             \
    {                                                                                              \
        .name = key, .type = PT_FIELD_INT, .offset = offsetof(struct pt_program, member),          \
        .min = lo, .max = hi                                                                       \
    }
#define BOOL_FIELD(key, member)                                                                    \
    {                                                                                              \
        .name = key, .type = PT_FIELD_BOOL, .offset = offsetof(struct pt_program, member)          \
    }
#define OBJECT_FIELD(key, what)                                                                    \
    {                                                                                              \
        .name = key, .type = PT_FIELD_OBJECT, .shape = what                                        \
    }
#define CUSTOM_FIELD(key)                                                                          \
    {                                                                                              \
        .name = key, .type = PT_FIELD_CUSTOM                                                       \
    }

/* The program's settings as GET and PATCH /v1/program show and take them, in the order a PATCH
 * checks them (the order it has always checked them in: the first field refused is the one an
 * error names); the answer shows them in its own order (h_program.c).
 * Custom: currency (an ISO code in a char array), rounding (always floor, not stored), expiry
 * (a policy with months or without), excluded_categories (a list of names), time_zone (checked
 * against the tz database), tiers, referrals and rate_limits (policies with their own parsers
 * and validators). */
const char *const pt_enrollment_names[PT_ENROLLMENTS] = {"open", "invitation", "closed"};

const struct pt_field pt_program_fields[] = {
    {.name = "name",
     .type = PT_FIELD_TEXT,
     .offset = offsetof(struct pt_program, name),
     .max = PT_PROGRAM_NAME_BYTES_MAX},
    CUSTOM_FIELD("currency"),
    CUSTOM_FIELD("rounding"),
    OBJECT_FIELD("earn_rate", "earn_rate must be an object like {\"points\":1,\"per_amount\":100}"),
    INT_FIELD("earn_rate.points", earn_points, 0, PT_EARN_RATE_POINTS_MAX),
    INT_FIELD("earn_rate.per_amount", earn_per_amount, 1, PT_EARN_RATE_PER_AMOUNT_MAX),
    INT_FIELD("pending_days", pending_days, 0, PT_PENDING_DAYS_MAX),
    CUSTOM_FIELD("expiry"),
    BOOL_FIELD("allow_negative_balance", allow_negative_balance),
    CUSTOM_FIELD("excluded_categories"),
    OBJECT_FIELD("point_value", "point_value is {\"amount\": minor units, \"points\": N}"),
    {.name = "point_value.amount",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_program, point_cost_amount),
     .max = PT_POINT_VALUE_MAX,
     .required = true},
    {.name = "point_value.points",
     .type = PT_FIELD_INT,
     .offset = offsetof(struct pt_program, point_cost_points),
     .min = 1,
     .max = PT_POINT_VALUE_MAX,
     .required = true},
    CUSTOM_FIELD("tiers"),
    CUSTOM_FIELD("referrals"),
    OBJECT_FIELD("wallet", "wallet is {\"pending_days\": N, \"payment_earns_cashback\": false}"),
    INT_FIELD("wallet.pending_days", wallet_pending_days, 0, PT_PENDING_DAYS_MAX),
    BOOL_FIELD("wallet.payment_earns_cashback", wallet_payment_earns_cashback),
    OBJECT_FIELD("adjust_limits", "adjust_limits is {\"staff\": points, \"admin\": points}"),
    INT_FIELD("adjust_limits.staff", adjust_staff_max, 0, PT_POINTS_MAX),
    INT_FIELD("adjust_limits.admin", adjust_admin_max, 0, PT_POINTS_MAX),
    INT_FIELD("return_days", return_days, 0, PT_RETURN_DAYS_MAX),
    BOOL_FIELD("hold_returnable", hold_returnable),
    BOOL_FIELD("spend_before_discounts", spend_before_discounts),
    BOOL_FIELD("best_discount_only", best_discount_only),
    OBJECT_FIELD("points_payment", "points_payment is {\"enabled\": true, \"min_points\": N, "
                                   "\"max_percent\": N, \"multiple\": N, \"earns_points\": false}"),
    BOOL_FIELD("points_payment.enabled", points_payment.enabled),
    INT_FIELD("points_payment.min_points", points_payment.min_points, 1, PT_POINTS_MAX),
    INT_FIELD("points_payment.max_percent", points_payment.max_percent, 1, 100),
    INT_FIELD("points_payment.multiple", points_payment.multiple, 1, PT_POINTS_MAX),
    BOOL_FIELD("points_payment.earns_points", points_payment.earns_points),
    CUSTOM_FIELD("time_zone"),
    CUSTOM_FIELD("rate_limits"),
    {.name = "enrollment",
     .type = PT_FIELD_ENUM,
     .offset = offsetof(struct pt_program, enrollment),
     .names = pt_enrollment_names,
     .count = PT_ENROLLMENTS,
     .shape = "enrollment is open, invitation or closed"},
    INT_FIELD("clv_discount_rate_bp", clv_discount_rate_bp, 0, PT_CLV_DISCOUNT_BP_MAX),
};
const size_t pt_program_field_count = sizeof(pt_program_fields) / sizeof(pt_program_fields[0]);

bool pt_program_currency_valid(const char *s)
{
    return strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
           s[2] >= 'A' && s[2] <= 'Z';
}

enum pt_rc pt_program_currency_check(const char *currency, struct pt_err *err)
{
    if (!pt_program_currency_valid(currency)) {
        return pt_err_set(err, PT_EINVAL, "currency",
                          "currency must be an ISO 4217 code of three upper-case letters");
    }
    return PT_OK;
}

enum pt_rc pt_program_category_check(size_t index, const char *name, struct pt_err *err)
{
    char field[48];
    (void)snprintf(field, sizeof(field), "excluded_categories.%zu", index);
    if (name == NULL || pt_validate_text(field, name, PT_CATEGORY_BYTES_MAX, err) != PT_OK) {
        return pt_err_set(err, PT_EINVAL, field, "%s must be a name of 1 to %d bytes", field,
                          PT_CATEGORY_BYTES_MAX);
    }
    return PT_OK;
}

static enum pt_rc categories_validate(const struct pt_program *p, struct pt_err *err)
{
    unsigned i;
    if (p->excluded_category_count > PT_CATEGORIES_MAX) {
        return pt_err_set(err, PT_EINVAL, "excluded_categories",
                          "excluded_categories must be an array of at most %d names",
                          PT_CATEGORIES_MAX);
    }
    for (i = 0; i < p->excluded_category_count; i++) {
        enum pt_rc rc = pt_program_category_check(i, p->excluded_categories[i], err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    return PT_OK;
}

enum pt_rc pt_program_validate(const struct pt_program *p, struct pt_err *err)
{
    enum pt_rc rc = pt_fields_validate(pt_program_fields, pt_program_field_count, p, err);
    if (rc == PT_OK) {
        rc = pt_program_currency_check(p->currency, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (p->expiry_months < 0 || p->expiry_months > PT_EXPIRY_MONTHS_MAX) {
        return pt_err_set(err, PT_EINVAL, "expiry.months", "expiry.months must be 1 to %d",
                          PT_EXPIRY_MONTHS_MAX);
    }
    rc = pt_referral_policy_validate(&p->referrals, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (p->hold_returnable && p->return_days == 0) {
        return pt_err_set(err, PT_EINVAL, "return_days",
                          "return_days must be 1 to %d (0, no return window, only without "
                          "hold_returnable)",
                          PT_RETURN_DAYS_MAX);
    }
    if (p->points_payment.enabled && p->point_cost_amount < 1) {
        return pt_err_set(err, PT_EINVAL, "points_payment.enabled",
                          "paying with points needs what points are worth: point_value.amount "
                          "of at least 1");
    }
    rc = pt_tier_policy_validate(&p->tiers, err);
    if (rc == PT_OK) {
        rc = pt_ratelimit_validate(&p->rate_limits, err);
    }
    if (rc == PT_OK) {
        rc = categories_validate(p, err);
    }
    return rc;
}

enum pt_rc pt_program_not_found(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no such program");
}

enum pt_rc pt_enrollment_check(enum pt_enrollment enrollment, bool has_invitation_code,
                               struct pt_err *err)
{
    pt_assert((unsigned)enrollment < PT_ENROLLMENTS);
    if (enrollment == PT_ENROLLMENT_CLOSED) {
        (void)pt_err_set(err, PT_EFORBIDDEN, NULL,
                         "this program does not take sign-ups; ask the shop to enroll you");
        return pt_err_code(err, "enrollment_closed");
    }
    if (enrollment == PT_ENROLLMENT_INVITATION && !has_invitation_code) {
        return pt_err_set(err, PT_EINVAL, "invitation_code",
                          "this program enrolls by invitation: invitation_code is required");
    }
    return PT_OK;
}

int pt_currency_exponent(const char *currency)
{
    /* ISO 4217's currencies whose minor unit is not of 2 digits (the list of 2024). */
    static const struct {
        char code[4];
        int exponent;
    } other[] = {
        {"BIF", 0}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0}, {"ISK", 0}, {"JPY", 0}, {"KMF", 0},
        {"KRW", 0}, {"PYG", 0}, {"RWF", 0}, {"UGX", 0}, {"UYI", 0}, {"VND", 0}, {"VUV", 0},
        {"XAF", 0}, {"XOF", 0}, {"XPF", 0}, {"BHD", 3}, {"IQD", 3}, {"JOD", 3}, {"KWD", 3},
        {"LYD", 3}, {"OMR", 3}, {"TND", 3}, {"CLF", 4}, {"UYW", 4},
    };
    size_t i;
    for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        if (strcmp(other[i].code, currency) == 0) {
            return other[i].exponent;
        }
    }
    return 2;
}
