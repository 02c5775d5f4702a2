/* SPDX-License-Identifier: MIT */
/*
 * How a purchase is paid (docs/ledger.md, "Paying with points"): its payment lines by method
 * (card, cash, points, wallet, other), the program's policy for paying with points, and the
 * pure checks and arithmetic of both. The rules engine sees the money of each method
 * (struct pt_tender): points are not earned on what points paid, and wallet money earns no
 * cashback, unless the program says so.
 */
#ifndef PT_CORE_PAYMENT_H
#define PT_CORE_PAYMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

struct pt_program;

/* Payment lines of one purchase or cart. */
#define PT_PAYMENTS_MAX 10
/* A payment's reference (a card terminal's receipt, a voucher number). */
#define PT_PAYMENT_REFERENCE_BYTES_MAX 128

enum pt_pay_method {
    PT_PAY_CARD,
    PT_PAY_CASH,
    PT_PAY_POINTS,
    PT_PAY_WALLET,
    PT_PAY_OTHER,
    PT_PAY_METHODS,
};

/* The methods' names, as the API and the store spell them. */
extern const char *const pt_pay_method_names[PT_PAY_METHODS];

struct pt_payment {
    enum pt_pay_method method;
    int64_t amount;        /* Minor units; for points, what the points pay (pt_points_money). */
    int64_t points;        /* points only: the points spent; 0 otherwise. */
    const char *reference; /* nullable; arena */
    char wallet_debit_id[PT_ID_BUF_BYTES]; /* wallet only: the debit it made ("" before). */
    /* Set by a purchase, as the program said then: whether what it pays earns (points: points
     * and cashback; wallet: cashback; the others always). */
    bool earns;
    /* Read back: what the purchase's returns gave back of it (minor units; points). */
    int64_t refunded_amount;
    int64_t refunded_points;
};

/* The program's policy (PATCH /v1/program "points_payment"). */
struct pt_points_payment_policy {
    bool enabled;
    int64_t min_points;  /* The least points one payment may use; >= 1. */
    int64_t max_percent; /* Of what is left to pay after discounts, the most points may pay. */
    int64_t multiple;    /* Points are used in whole multiples of it; >= 1. */
    bool earns_points;   /* Whether what points pay earns points (and cashback). */
};

/* What the rules engine needs of a cart's payments: the money of each method and the program's
 * choices about earning on them. */
struct pt_tender {
    int64_t paid[PT_PAY_METHODS];
    bool points_earn;     /* points_payment.earns_points */
    bool wallet_cashback; /* wallet.payment_earns_cashback */
    /* 0, or what was left to pay of the cart the amounts paid (a purchase whose return keeps
     * part of it): the evaluation keeps of each what its own cart leaves to pay less the
     * share the returns give back (pt_payment_refund_due). */
    int64_t paid_of;
};

/* Parses a method's name. PT_EINVAL (field) otherwise. */
PT_MUSTCHECK enum pt_rc pt_pay_method_parse(const char *name, const char *field,
                                            enum pt_pay_method *out, struct pt_err *err);

/* The least number of points a payment can use, and the step of larger ones: a multiple of the
 * policy's multiple that pays a whole number of minor units at the program's point_value. */
int64_t pt_points_payment_step(const struct pt_program *program);

/* Checks the payment lines as given, before the cart is evaluated: the shape of each line
 * (amount, or points for a points line), at most one points and one wallet line, points only
 * with a member and when the program takes them, the points' minimum and step; fills each
 * points line's amount (what its points pay). PT_EINVAL with field payments.N.x otherwise. */
PT_MUSTCHECK enum pt_rc pt_payments_prepare(const struct pt_program *program, bool member,
                                            struct pt_payment *payments, unsigned count,
                                            struct pt_err *err);

/* The tender of prepared payments (all zero when count is 0), earning as the program says. */
void pt_payments_tender(const struct pt_program *program, const struct pt_payment *payments,
                        unsigned count, struct pt_tender *out);
/* Sets each line's `earns` as the program says now (a purchase records it). */
void pt_payments_earning(const struct pt_program *program, struct pt_payment *payments,
                         unsigned count);

/* The most points may pay of to_pay (what is left to pay after discounts), and the most points
 * that pays for within `spendable` points (whole steps; 0 below the minimum or when the program
 * does not take points). OUT: *max_amount, *max_points. */
void pt_points_payment_max(const struct pt_program *program, int64_t to_pay, int64_t spendable,
                           int64_t *max_amount, int64_t *max_points);

/* Checks prepared payments against to_pay (what is left to pay after discounts): points pay at
 * most the program's share of it, and all the lines no more than it; with `exact` (a purchase)
 * they add up to it. 422 codes: points_payment_too_large, payments_exceed_total,
 * payments_mismatch. */
PT_MUSTCHECK enum pt_rc pt_payments_settle(const struct pt_program *program,
                                           const struct pt_payment *payments, unsigned count,
                                           int64_t to_pay, bool exact, struct pt_err *err);

/* The sum of the payment lines' money. */
int64_t pt_payments_total(const struct pt_payment *payments, unsigned count);

/* What a return gives back of a payment line: its share of what the purchase's returns give
 * back so far (returned_total, this return included, of amount: its amount, or what was left
 * to pay when a return evaluates the kept cart again), floored cumulatively so that the
 * returns of a purchase give back the line exactly once all is returned, less what was given
 * back before (given_before); never below 0. */
int64_t pt_payment_refund_due(int64_t paid, int64_t returned_total, int64_t amount,
                              int64_t given_before);

#endif
