/* SPDX-License-Identifier: MIT */
/*
 * Customer lifetime value (docs/analytics.md, "Customer lifetime value"): the BG/NBD model of
 * Fader, Hardie & Lee (2005, "Counting your customers the easy way") for the number of future
 * purchases and P(alive), the Gamma-Gamma model of Fader, Hardie & Lee (2005, "RFM and CLV:
 * Using iso-value curves") for the spend per purchase, their log-likelihoods, expectations and
 * maximum-likelihood fits, and the summaries (x, t_x, T) built from a program's purchases.
 *
 * Pure: the caller passes the purchases, the zone and the dates; nothing here reads a clock or
 * touches storage. Model figures are doubles (statistics, not money); every money figure that
 * leaves this file is an int64_t of minor units, rounded to the nearest. GSL provides log-gamma,
 * the Gauss hypergeometric function and the simplex minimiser; its error handler is turned off
 * once per process (pthread_once), so that a GSL failure is an rc here, never an abort.
 */
#ifndef PT_CORE_CLV_H
#define PT_CORE_CLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/tz.h"

/* The time unit of a model: its t_x, T and horizons are whole local days divided by it. */
enum pt_clv_unit { PT_CLV_UNIT_DAY, PT_CLV_UNIT_WEEK, PT_CLV_UNITS };
extern const char *const pt_clv_unit_names[PT_CLV_UNITS]; /* "day", "week" */
/* Days in one unit: 1 or 7. */
int64_t pt_clv_unit_days(enum pt_clv_unit unit);

/* BG/NBD: purchases follow Poisson(lambda), lambda ~ Gamma(r, alpha); after each purchase the
 * customer drops out with probability p, p ~ Beta(a, b). */
struct pt_bgnbd {
    double r, alpha, a, b; /* All > 0; alpha in the model's unit. */
};

/* Gamma-Gamma: a purchase's value ~ Gamma(p, nu), nu ~ Gamma(q, gamma); in major units. */
struct pt_gamma_gamma {
    double p, q, gamma; /* All > 0. */
};

/* A program's fitted model (POST /v1/analytics/clv/fit). */
struct pt_clv_model {
    struct pt_bgnbd bgnbd;
    double bgnbd_ll; /* The log-likelihood at the fit, over all customers. */
    struct pt_gamma_gamma gg;
    double gg_ll;             /* Over the customers Gamma-Gamma is fitted on. */
    int64_t customers;        /* With a purchase on or before the calibration end. */
    int64_t repeat_customers; /* Of them, with x >= 1. */
    int64_t spend_customers;  /* Of them, with a repeat value above 0 (Gamma-Gamma's). */
    char calibration_end[11]; /* "YYYY-MM-DD", a local day of the program's zone. */
    enum pt_clv_unit unit;
    int currency_exponent; /* Minor unit digits of the program's currency at the fit. */
    int64_t fitted_at_ms;
};

/* One customer's calibration summary, in whole local days (docs/analytics.md). */
struct pt_clv_customer {
    int64_t x;             /* Repeat purchase days: purchase days after the first. */
    int64_t t_x_days;      /* First purchase day to the last repeat one (0 when x = 0). */
    int64_t T_days;        /* First purchase day to the calibration end day. */
    int64_t repeat_amount; /* The repeat days' values, minor units (>= 0). */
};

/* Builds the customers' summaries from purchases read in order of member, then time. Every
 * purchase of one local day of one member is one purchase, its values added. */
struct pt_clv_builder {
    const struct pt_tz *tz;            /* borrowed */
    int64_t end_day;                   /* The calibration end, a local day since 1970-01-01. */
    struct pt_clv_customer *customers; /* new (pt_malloc), count of cap */
    size_t count;
    size_t cap;
    int64_t purchases; /* Rows added, at most PT_CLV_PURCHASES_MAX. */
    int64_t first_day; /* Of the member being added. */
    int64_t last_day;  /* The member's last purchase day so far. */
    size_t max_count;  /* At most PT_CLV_CUSTOMERS_MAX (tests lower it). */
    bool member_open;  /* The member being added has a customer (a purchase by the end). */
};

/* Starts a builder of customers whose summaries end on the local day end_day. */
void pt_clv_builder_init(struct pt_clv_builder *b, const struct pt_tz *tz, int64_t end_day);
/*
 * Adds a purchase at at_ms of value amount (minor units, >= 0); new_member says it is the first
 * row of its member. Rows after the end day are ignored. PT_ELIMIT (limit_exceeded) past
 * max_count customers or PT_CLV_PURCHASES_MAX rows; PT_ENOMEM.
 */
PT_MUSTCHECK enum pt_rc pt_clv_builder_add(struct pt_clv_builder *b, bool new_member, int64_t at_ms,
                                           int64_t amount, struct pt_err *err);
void pt_clv_builder_fini(struct pt_clv_builder *b);

/* A date "YYYY-MM-DD" of years 1970..9999 as a day since 1970-01-01; PT_EINVAL naming field. */
PT_MUSTCHECK enum pt_rc pt_clv_date_parse(const char *s, const char *field, int64_t *days,
                                          struct pt_err *err);

/* BG/NBD's log-likelihood of one customer (eq. 6, without the hypergeometric function). */
double pt_bgnbd_ll(const struct pt_bgnbd *m, double x, double t_x, double T);
/* P(alive | x, t_x, T). */
double pt_bgnbd_p_alive(const struct pt_bgnbd *m, double x, double t_x, double T);
/* E[Y(t) | x, t_x, T], the purchases expected over the next t units (eq. 10). PT_EINVAL when a
 * is too close to 1 for the formula; PT_EINTERNAL when GSL cannot evaluate 2F1 there. */
PT_MUSTCHECK enum pt_rc pt_bgnbd_expected(const struct pt_bgnbd *m, double x, double t_x, double T,
                                          double t, double *out, struct pt_err *err);
/* Gamma-Gamma's log-likelihood of a customer's mean value mx (> 0) over x >= 1 purchases. */
double pt_gamma_gamma_ll(const struct pt_gamma_gamma *g, double x, double mx);
/* E[value of a purchase | x, mx]: (gamma p + p x mx) / (p x + q - 1); PT_EINVAL when the
 * population mean does not exist (p x + q <= 1). */
PT_MUSTCHECK enum pt_rc pt_gamma_gamma_mean(const struct pt_gamma_gamma *g, double x, double mx,
                                            double *out, struct pt_err *err);

/*
 * Fits both models by maximum likelihood on customers[0..count) in the unit, values in the
 * currency's major unit (10^currency_exponent minor units): the simplex on the parameters'
 * logarithms, restarted from each optimum until no parameter moves by a relative 1e-7.
 * Deterministic for the same customers in the same order. Fills every figure of *out but the
 * calibration end and fitted_at_ms. PT_ELIMIT not_enough_data when there is no customer, no
 * repeat customer or no repeat value above 0; PT_EINTERNAL when the fit does not converge
 * within its bounds; PT_ENOMEM.
 */
PT_MUSTCHECK enum pt_rc pt_clv_fit(const struct pt_clv_customer *customers, size_t count,
                                   enum pt_clv_unit unit, int currency_exponent,
                                   struct pt_clv_model *out, struct pt_err *err);

/* A member's value (GET /v1/members/{id}/value). */
struct pt_clv_value {
    double x, t_x, T;          /* In the model's unit. */
    double expected_purchases; /* E[Y(horizon)]. */
    double p_alive;
    int64_t expected_spend_per_purchase; /* Minor units. */
    int64_t clv;                         /* Minor units, discounted. */
};

/*
 * The value of customer c over the next horizon units (1..PT_CLV_HORIZON_DAYS_MAX days) at an
 * annual discount rate of discount_bp basis points (docs/analytics.md gives the formula).
 * PT_EINVAL as pt_bgnbd_expected and pt_gamma_gamma_mean; PT_ELIMIT when a figure does not fit
 * int64_t minor units.
 */
PT_MUSTCHECK enum pt_rc pt_clv_value(const struct pt_clv_model *m, const struct pt_clv_customer *c,
                                     int64_t horizon, int64_t discount_bp, struct pt_clv_value *out,
                                     struct pt_err *err);

#endif
