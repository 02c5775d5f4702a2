/* SPDX-License-Identifier: MIT */
/*
 * Customer lifetime value: the models' likelihoods and expectations, the customers' summaries
 * and a member's value (core/clv.h). The fits are in clv_fit.c.
 *
 * The BG/NBD likelihood is the paper's eq. 6 in logarithms, so that Gamma functions of large
 * arguments never overflow; E[Y(t)] is eq. 10, with its 2F1 rewritten by Pfaff's transformation
 * where GSL's series converges well (below).
 */
#include "core/clv.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_hyperg.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

const char *const pt_clv_unit_names[PT_CLV_UNITS] = {"day", "week"};

int64_t pt_clv_unit_days(enum pt_clv_unit unit)
{
    pt_assert((unsigned)unit < PT_CLV_UNITS);
    return unit == PT_CLV_UNIT_WEEK ? 7 : 1;
}

/* ---- Days and currencies ---- */

enum pt_rc pt_clv_date_parse(const char *s, const char *field, int64_t *days, struct pt_err *err)
{
    int64_t year = 0;
    unsigned month;
    unsigned day;
    int i;
    bool ok = s != NULL && strlen(s) == 10 && s[4] == '-' && s[7] == '-';
    for (i = 0; ok && i < 10; i++) {
        ok = i == 4 || i == 7 || (s[i] >= '0' && s[i] <= '9');
    }
    if (ok) {
        year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        month = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
        day = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
        ok = year >= 1970 && pt_date_is_valid(year, month, day);
    }
    if (!ok) {
        return pt_err_set(err, PT_EINVAL, field, "%s must be a date YYYY-MM-DD from 1970 to 9999",
                          field);
    }
    *days = pt_days_from_civil(year, month, day);
    return PT_OK;
}

/* ---- Summaries ---- */

void pt_clv_builder_init(struct pt_clv_builder *b, const struct pt_tz *tz, int64_t end_day)
{
    memset(b, 0, sizeof(*b));
    b->tz = tz;
    b->end_day = end_day;
    b->max_count = PT_CLV_CUSTOMERS_MAX;
}

void pt_clv_builder_fini(struct pt_clv_builder *b)
{
    if (b != NULL) {
        pt_free(b->customers);
        b->customers = NULL;
    }
}

static enum pt_rc builder_open(struct pt_clv_builder *b, struct pt_err *err)
{
    if (b->count == b->max_count) {
        return pt_err_set(err, PT_ELIMIT, NULL,
                          "a fit reads at most %zu customers (members with a purchase on or "
                          "before calibration_end)",
                          b->max_count);
    }
    if (b->count == b->cap) {
        size_t cap = b->cap == 0 ? 1024 : b->cap * 2;
        void *grown;
        cap = cap > b->max_count ? b->max_count : cap;
        grown = pt_realloc(b->customers, cap * sizeof(*b->customers));
        if (grown == NULL) {
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
        b->customers = grown;
        b->cap = cap;
    }
    memset(&b->customers[b->count], 0, sizeof(b->customers[0]));
    b->count++;
    return PT_OK;
}

enum pt_rc pt_clv_builder_add(struct pt_clv_builder *b, bool new_member, int64_t at_ms,
                              int64_t amount, struct pt_err *err)
{
    int64_t day = pt_tz_local_day(b->tz, at_ms);
    struct pt_clv_customer *c;
    pt_assert(amount >= 0);
    if (++b->purchases > PT_CLV_PURCHASES_MAX) {
        return pt_err_set(err, PT_ELIMIT, NULL, "a fit reads at most %lld purchases",
                          (long long)PT_CLV_PURCHASES_MAX);
    }
    if (new_member) {
        b->member_open = false;
    }
    if (day > b->end_day) {
        return PT_OK; /* After the calibration end (the store bounds the rows; a zone's day). */
    }
    if (!b->member_open) {
        enum pt_rc rc = builder_open(b, err);
        if (rc != PT_OK) {
            return rc;
        }
        b->member_open = true;
        b->first_day = day;
        b->last_day = day;
        b->customers[b->count - 1].T_days = b->end_day - day;
        return PT_OK;
    }
    pt_assert(b->count > 0 && day >= b->last_day);
    c = &b->customers[b->count - 1];
    if (day == b->first_day) {
        return PT_OK; /* Part of the first purchase, which is not a repeat one. */
    }
    if (day != b->last_day) {
        c->x++;
        c->t_x_days = day - b->first_day;
        b->last_day = day;
    }
    if (c->repeat_amount > INT64_MAX - amount) {
        return pt_err_set(err, PT_ELIMIT, NULL,
                          "a customer's repeat purchases add up past the money bounds");
    }
    c->repeat_amount += amount;
    return PT_OK;
}

/* ---- The models ---- */

static pthread_once_t gsl_once = PTHREAD_ONCE_INIT;

static void gsl_quiet(void)
{
    (void)gsl_set_error_handler_off();
}

/* log(e^u + e^v) without overflow; v may be -INFINITY. */
static double log_add(double u, double v)
{
    double hi = u > v ? u : v;
    double lo = u > v ? v : u;
    return hi + log1p(exp(lo - hi));
}

double pt_bgnbd_ll(const struct pt_bgnbd *m, double x, double t_x, double T)
{
    double r = m->r;
    double alpha = m->alpha;
    double a = m->a;
    double b = m->b;
    double a1 = gsl_sf_lngamma(r + x) - gsl_sf_lngamma(r) + r * log(alpha);
    double a2 = gsl_sf_lngamma(a + b) + gsl_sf_lngamma(b + x) - gsl_sf_lngamma(b) -
                gsl_sf_lngamma(a + b + x);
    double a3 = -(r + x) * log(alpha + T);
    double a4 = x > 0 ? log(a) - log(b + x - 1) - (r + x) * log(alpha + t_x) : -INFINITY;
    (void)pthread_once(&gsl_once, gsl_quiet);
    return a1 + a2 + log_add(a3, a4);
}

double pt_bgnbd_p_alive(const struct pt_bgnbd *m, double x, double t_x, double T)
{
    double odds;
    if (x <= 0) {
        return 1.0;
    }
    odds = m->a / (m->b + x - 1) * exp((m->r + x) * log((m->alpha + T) / (m->alpha + t_x)));
    return 1.0 / (1.0 + odds);
}

/*
 * ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; z), z = t / (alpha +
 * T + t), the term of eq. 10. GSL sums 2F1's series for |z| < 1 but converges slowly, or fails,
 * as z nears 1 (a long horizon against a short history). Pfaff's transformation, 2F1(A, B; C;
 * z) = (1 - z)^-A 2F1(A, C - B; C; z / (z - 1)), turns the whole term into 2F1(r + x, a - 1;
 * a + b + x - 1; w) with w = -t / (alpha + T), whose argument stays in [-1, 0) while t <= alpha
 * + T, where GSL is at its best. Past that, w < -1 is outside GSL's domain, and the direct form
 * is used with z in (1/2, 1), which GSL reflects about 1 itself.
 */
static enum pt_rc hyper_term(const struct pt_bgnbd *m, double x, double T, double t, double *out,
                             struct pt_err *err)
{
    gsl_sf_result f;
    double big_a = m->r + x;
    double c = m->a + m->b + x - 1;
    int status;
    (void)pthread_once(&gsl_once, gsl_quiet);
    if (t <= m->alpha + T) {
        status = gsl_sf_hyperg_2F1_e(big_a, m->a - 1, c, -t / (m->alpha + T), &f);
        *out = f.val;
    } else {
        double z = t / (m->alpha + T + t);
        status = gsl_sf_hyperg_2F1_e(big_a, m->b + x, c, z, &f);
        *out = exp(big_a * log1p(-z)) * f.val;
    }
    if (status != GSL_SUCCESS || !isfinite(*out)) {
        return pt_err_set(err, PT_EINTERNAL, NULL,
                          "the hypergeometric function cannot be evaluated there (%s)",
                          gsl_strerror(status));
    }
    return PT_OK;
}

enum pt_rc pt_bgnbd_expected(const struct pt_bgnbd *m, double x, double t_x, double T, double t,
                             double *out, struct pt_err *err)
{
    double term;
    double den = 1.0;
    enum pt_rc rc;
    if (fabs(m->a - 1) < 1e-9) {
        return pt_err_set(err, PT_EINVAL, NULL,
                          "the model's a is 1, where E[Y(t)] needs its limit (refit)");
    }
    if (t <= 0) {
        *out = 0;
        return PT_OK;
    }
    rc = hyper_term(m, x, T, t, &term, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (x > 0) {
        den += m->a / (m->b + x - 1) * exp((m->r + x) * log((m->alpha + T) / (m->alpha + t_x)));
    }
    *out = (m->a + m->b + x - 1) / (m->a - 1) * (1 - term) / den;
    return PT_OK;
}

double pt_gamma_gamma_ll(const struct pt_gamma_gamma *g, double x, double mx)
{
    double px = g->p * x;
    return gsl_sf_lngamma(px + g->q) - gsl_sf_lngamma(px) - gsl_sf_lngamma(g->q) +
           g->q * log(g->gamma) + (px - 1) * log(mx) + px * log(x) -
           (px + g->q) * log(g->gamma + mx * x);
}

enum pt_rc pt_gamma_gamma_mean(const struct pt_gamma_gamma *g, double x, double mx, double *out,
                               struct pt_err *err)
{
    double den = g->p * x + g->q - 1;
    if (!(den > 0)) {
        return pt_err_set(err, PT_EINVAL, NULL,
                          "the model's q is at most 1: the mean spend of a customer without "
                          "repeat purchases does not exist (refit with more data)");
    }
    *out = (g->gamma * g->p + g->p * x * mx) / den;
    return PT_OK;
}

/* ---- A member's value ---- */

/* Minor units of v major units, rounded to the nearest; PT_ELIMIT past int64_t. */
static enum pt_rc to_minor(double v, int exponent, const char *what, int64_t *out,
                           struct pt_err *err)
{
    double minor = v * pow(10, exponent);
    if (!isfinite(minor) || fabs(minor) >= 9.2e18) {
        return pt_err_set(err, PT_ELIMIT, NULL, "%s does not fit the money bounds", what);
    }
    *out = llround(minor);
    return PT_OK;
}

enum pt_rc pt_clv_value(const struct pt_clv_model *m, const struct pt_clv_customer *c,
                        int64_t horizon, int64_t discount_bp, struct pt_clv_value *out,
                        struct pt_err *err)
{
    double unit = (double)pt_clv_unit_days(m->unit);
    double scale = pow(10, m->currency_exponent);
    double mx = c->x > 0 ? (double)c->repeat_amount / scale / (double)c->x : 0;
    double spend = 0;
    double before = 0;
    double sum = 0;
    int64_t i;
    enum pt_rc rc;
    pt_assert(horizon >= 1 && horizon * (int64_t)unit <= PT_CLV_HORIZON_DAYS_MAX);
    pt_assert(discount_bp >= 0 && discount_bp <= PT_CLV_DISCOUNT_BP_MAX);
    memset(out, 0, sizeof(*out));
    out->x = (double)c->x;
    out->t_x = (double)c->t_x_days / unit;
    out->T = (double)c->T_days / unit;
    out->p_alive = pt_bgnbd_p_alive(&m->bgnbd, out->x, out->t_x, out->T);
    rc = pt_gamma_gamma_mean(&m->gg, out->x, mx, &spend, err);
    /* The discounted sum of each unit's expected purchases at the expected spend: unit i
     * (1..horizon) is worth (E[Y(i)] - E[Y(i - 1)]) spend / (1 + d)^(i unit / 365). */
    for (i = 1; rc == PT_OK && i <= horizon; i++) {
        double now = 0;
        rc = pt_bgnbd_expected(&m->bgnbd, out->x, out->t_x, out->T, (double)i, &now, err);
        sum += (now - before) * exp(-((double)i * unit / 365.0) * log1p((double)discount_bp / 1e4));
        before = now;
    }
    if (rc != PT_OK) {
        return rc;
    }
    out->expected_purchases = before;
    rc = to_minor(spend, m->currency_exponent, "expected_spend_per_purchase",
                  &out->expected_spend_per_purchase, err);
    if (rc == PT_OK) {
        rc = to_minor(sum * spend, m->currency_exponent, "clv", &out->clv, err);
    }
    return rc;
}
