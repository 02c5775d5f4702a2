/* SPDX-License-Identifier: MIT */
/*
 * Payments (payment.h): the checks of a purchase's payment lines and the arithmetic of paying
 * with points at the program's point_value, exactly: a points payment always pays a whole
 * number of minor units, so no rounding ever moves money between the member and the business.
 */
#include "core/payment.h"

#include "base/assert.h"
#include "core/program.h"

#include <stdio.h>
#include <string.h>

__extension__ typedef __int128 wide_int;

const char *const pt_pay_method_names[PT_PAY_METHODS] = {
    [PT_PAY_CARD] = "card",     [PT_PAY_CASH] = "cash",   [PT_PAY_POINTS] = "points",
    [PT_PAY_WALLET] = "wallet", [PT_PAY_OTHER] = "other",
};

enum pt_rc pt_pay_method_parse(const char *name, const char *field, enum pt_pay_method *out,
                               struct pt_err *err)
{
    unsigned i;
    for (i = 0; name != NULL && i < PT_PAY_METHODS; i++) {
        if (strcmp(name, pt_pay_method_names[i]) == 0) {
            *out = (enum pt_pay_method)i;
            return PT_OK;
        }
    }
    return pt_err_set(err, PT_EINVAL, field, "%s is one of card, cash, points, wallet, other",
                      field);
}

static int64_t gcd(int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int64_t pt_points_payment_step(const struct pt_program *program)
{
    const struct pt_points_payment_policy *pp = &program->points_payment;
    /* point_cost_points points pay point_cost_amount minor units: whole units need multiples
     * of points / gcd(amount, points). Both are at most PT_POINT_VALUE_MAX (10^9), so the
     * least common multiple with the policy's multiple (at most PT_POINTS_MAX) may not fit:
     * such a step is larger than any balance, and is answered as PT_POINTS_MAX + 1. */
    int64_t whole;
    wide_int step;
    pt_assert(program->point_cost_points >= 1 && program->point_cost_amount >= 1);
    pt_assert(pp->multiple >= 1);
    whole =
        program->point_cost_points / gcd(program->point_cost_amount, program->point_cost_points);
    step = (wide_int)pp->multiple / gcd(pp->multiple, whole) * whole;
    return step > PT_POINTS_MAX ? PT_POINTS_MAX + 1 : (int64_t)step;
}

/* What `points` (a whole step) pay, in minor units; at most PT_POINTS_MAX × 10^9 / 1 would not
 * fit, so it is bounded by PT_AMOUNT_MAX + 1 (more than any cart). */
static int64_t points_money(const struct pt_program *program, int64_t points)
{
    wide_int m = (wide_int)points * program->point_cost_amount / program->point_cost_points;
    return m > PT_AMOUNT_MAX ? PT_AMOUNT_MAX + 1 : (int64_t)m;
}

static enum pt_rc points_line(const struct pt_program *program, bool member, unsigned i,
                              struct pt_payment *pay, struct pt_err *err)
{
    const struct pt_points_payment_policy *pp = &program->points_payment;
    int64_t step;
    char field[48];
    (void)snprintf(field, sizeof(field), "payments.%u.points", i);
    if (!pp->enabled || program->point_cost_amount < 1) {
        (void)pt_err_set(err, PT_ELIMIT, field, "this program does not take points as payment");
        return pt_err_code(err, "points_payment_disabled");
    }
    if (!member) {
        (void)pt_err_set(err, PT_ELIMIT, field, "paying with points needs a member");
        return pt_err_code(err, "member_required");
    }
    if (pay->points < 1 || pay->points > PT_POINTS_MAX) {
        return pt_err_set(err, PT_EINVAL, field, "%s is 1 to %lld points", field,
                          (long long)PT_POINTS_MAX);
    }
    if (pay->points < pp->min_points) {
        (void)pt_err_set(err, PT_ELIMIT, field, "at least %lld points pay at a time",
                         (long long)pp->min_points);
        return pt_err_code(err, "points_payment_too_small");
    }
    step = pt_points_payment_step(program);
    if (pay->points % step != 0) {
        (void)pt_err_set(err, PT_ELIMIT, field, "points pay in whole multiples of %lld",
                         (long long)step);
        return pt_err_code(err, "points_payment_not_a_multiple");
    }
    pay->amount = points_money(program, pay->points);
    return PT_OK;
}

enum pt_rc pt_payments_prepare(const struct pt_program *program, bool member,
                               struct pt_payment *payments, unsigned count, struct pt_err *err)
{
    bool seen[PT_PAY_METHODS] = {false};
    unsigned i;
    char field[48];
    if (count > PT_PAYMENTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "payments", "payments is a list of at most %d lines",
                          PT_PAYMENTS_MAX);
    }
    for (i = 0; i < count; i++) {
        struct pt_payment *pay = &payments[i];
        enum pt_rc rc;
        if ((pay->method == PT_PAY_POINTS || pay->method == PT_PAY_WALLET) && seen[pay->method]) {
            (void)snprintf(field, sizeof(field), "payments.%u.method", i);
            return pt_err_set(err, PT_EINVAL, field, "a purchase has at most one %s payment",
                              pt_pay_method_names[pay->method]);
        }
        seen[pay->method] = true;
        if (pay->method == PT_PAY_POINTS) {
            if (pay->amount != 0) {
                (void)snprintf(field, sizeof(field), "payments.%u.amount", i);
                return pt_err_set(err, PT_EINVAL, field,
                                  "a points payment gives points, not an amount: the amount is "
                                  "what they pay at the program's point_value");
            }
            rc = points_line(program, member, i, pay, err);
            if (rc != PT_OK) {
                return rc;
            }
            continue;
        }
        if (pay->points != 0) {
            (void)snprintf(field, sizeof(field), "payments.%u.points", i);
            return pt_err_set(err, PT_EINVAL, field, "only a points payment gives points");
        }
        if (pay->amount < 1 || pay->amount > PT_AMOUNT_MAX) {
            (void)snprintf(field, sizeof(field), "payments.%u.amount", i);
            return pt_err_set(err, PT_EINVAL, field, "%s is 1 to %lld minor units", field,
                              (long long)PT_AMOUNT_MAX);
        }
        if (pay->method == PT_PAY_WALLET && !member) {
            (void)snprintf(field, sizeof(field), "payments.%u.method", i);
            (void)pt_err_set(err, PT_ELIMIT, field, "paying from the wallet needs a member");
            return pt_err_code(err, "member_required");
        }
    }
    return PT_OK;
}

void pt_payments_tender(const struct pt_program *program, const struct pt_payment *payments,
                        unsigned count, struct pt_tender *out)
{
    unsigned i;
    memset(out, 0, sizeof(*out));
    for (i = 0; i < count; i++) {
        /* Each at most PT_AMOUNT_MAX + 1 and at most PT_PAYMENTS_MAX of them: no overflow. */
        out->paid[payments[i].method] += payments[i].amount;
    }
    out->points_earn = program->points_payment.earns_points;
    out->wallet_cashback = program->wallet_payment_earns_cashback;
}

void pt_payments_earning(const struct pt_program *program, struct pt_payment *payments,
                         unsigned count)
{
    unsigned i;
    for (i = 0; i < count; i++) {
        payments[i].earns =
            payments[i].method == PT_PAY_POINTS   ? program->points_payment.earns_points
            : payments[i].method == PT_PAY_WALLET ? program->wallet_payment_earns_cashback
                                                  : true;
    }
}

int64_t pt_payments_total(const struct pt_payment *payments, unsigned count)
{
    int64_t sum = 0;
    unsigned i;
    for (i = 0; i < count; i++) {
        sum += payments[i].amount; /* As above: no overflow. */
    }
    return sum;
}

void pt_points_payment_max(const struct pt_program *program, int64_t to_pay, int64_t spendable,
                           int64_t *max_amount, int64_t *max_points)
{
    const struct pt_points_payment_policy *pp = &program->points_payment;
    int64_t step;
    wide_int points;
    *max_amount = 0;
    *max_points = 0;
    if (!pp->enabled || program->point_cost_amount < 1 || to_pay <= 0) {
        return;
    }
    step = pt_points_payment_step(program);
    /* The points that pay at most the share, then at most what the member can spend, in whole
     * steps. */
    points = (wide_int)((wide_int)to_pay * pp->max_percent / 100) * program->point_cost_points /
             program->point_cost_amount;
    if (points > spendable) {
        points = spendable;
    }
    points -= points % step;
    if (points < pp->min_points || points <= 0) {
        return;
    }
    *max_points = (int64_t)points;
    *max_amount = points_money(program, *max_points);
}

enum pt_rc pt_payments_settle(const struct pt_program *program, const struct pt_payment *payments,
                              unsigned count, int64_t to_pay, bool exact, struct pt_err *err)
{
    int64_t total = pt_payments_total(payments, count);
    int64_t share = (int64_t)((wide_int)to_pay * program->points_payment.max_percent / 100);
    unsigned i;
    for (i = 0; i < count; i++) {
        char field[48];
        if (payments[i].method == PT_PAY_POINTS && payments[i].amount > share) {
            (void)snprintf(field, sizeof(field), "payments.%u.points", i);
            (void)pt_err_set(err, PT_ELIMIT, field,
                             "points may pay at most %lld%% of what is left to pay: %lld minor "
                             "units, and these points pay %lld",
                             (long long)program->points_payment.max_percent, (long long)share,
                             (long long)payments[i].amount);
            return pt_err_code(err, "points_payment_too_large");
        }
    }
    if (total > to_pay) {
        (void)pt_err_set(err, PT_ELIMIT, "payments",
                         "the payments add up to %lld minor units, more than the %lld left to pay",
                         (long long)total, (long long)to_pay);
        return pt_err_code(err, "payments_exceed_total");
    }
    if (exact && count > 0 && total != to_pay) {
        (void)pt_err_set(err, PT_ELIMIT, "payments",
                         "the payments add up to %lld minor units, and %lld is left to pay after "
                         "discounts",
                         (long long)total, (long long)to_pay);
        return pt_err_code(err, "payments_mismatch");
    }
    return PT_OK;
}

int64_t pt_payment_refund_due(int64_t paid, int64_t returned_total, int64_t amount,
                              int64_t given_before)
{
    int64_t due;
    pt_assert(amount > 0 && returned_total >= 0 && returned_total <= amount);
    due = (int64_t)((wide_int)paid * returned_total / amount);
    /* A kept cart evaluated again may cost more than the one before it (a discount it no
     * longer reaches): nothing comes back then, and nothing is taken. */
    return due > given_before ? due - given_before : 0;
}
