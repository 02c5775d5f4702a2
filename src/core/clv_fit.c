/* SPDX-License-Identifier: MIT */
/*
 * The maximum-likelihood fits of BG/NBD and Gamma-Gamma (core/clv.h): GSL's Nelder-Mead simplex
 * (nmsimplex2) minimises the negative log-likelihood over the parameters' logarithms, so that
 * every parameter stays positive without constraints. One descent stops when the simplex's size
 * is below PT_FIT_SIZE; a simplex can stall short of the optimum, so the descent is started
 * again around its optimum until one moves no parameter by a relative 1e-7 (the issue's
 * convergence). The same customers in the same order give the same fit, bit for bit: the sums
 * run in a fixed order and the simplex has no randomness.
 *
 * BG/NBD's customers are first merged by (x, t_x, T) in days, each distinct summary weighted by
 * its count: a large program has far fewer distinct summaries than customers, and the fit's
 * steps cost one likelihood per summary.
 */
#include "core/clv.h"

#include "base/alloc.h"
#include "base/assert.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A descent stops when the simplex's mean distance to its centre (in log-parameters) is below
 * this; a restart stops when no parameter moved by more than PT_FIT_MOVE relatively. */
#define PT_FIT_SIZE 1e-10
#define PT_FIT_STALL_STEPS 50
#define PT_FIT_MOVE 1e-7
/* Log-parameters beyond +-PT_FIT_LOG_MAX (e^30, about 1e13) are refused by the objective. */
#define PT_FIT_LOG_MAX 30.0
/* The objective's value where the likelihood is not finite: the simplex moves away from it. */
#define PT_FIT_HUGE 1e300

struct bg_point {
    double x, t_x, T, weight;
};

struct gg_point {
    double x, mx, log_mx;
};

struct bg_data {
    const struct bg_point *points;
    size_t count;
};

struct gg_data {
    const struct gg_point *points;
    size_t count;
};

static bool log_params_ok(const gsl_vector *v)
{
    size_t i;
    for (i = 0; i < v->size; i++) {
        double t = gsl_vector_get(v, i);
        if (!(fabs(t) <= PT_FIT_LOG_MAX)) {
            return false;
        }
    }
    return true;
}

/*
 * The sum of the points' log-likelihoods (pt_bgnbd_ll's terms): the Gamma functions depend on
 * x alone, and the points are in order of x, so they are computed once per distinct x rather
 * than once per point (the fit's hot loop; pt_bgnbd_ll is the reference the unit test checks
 * it against).
 */
static double bg_ll_sum(const struct pt_bgnbd *m, const struct bg_data *d)
{
    double sum = 0;
    double x_terms = 0;
    double x_last = -1;
    double log_a = log(m->a);
    double base = -gsl_sf_lngamma(m->r) + m->r * log(m->alpha) + gsl_sf_lngamma(m->a + m->b) -
                  gsl_sf_lngamma(m->b);
    size_t i;
    for (i = 0; i < d->count; i++) {
        const struct bg_point *p = &d->points[i];
        double rx = m->r + p->x;
        double a3 = -rx * log(m->alpha + p->T);
        double a4;
        if (p->x != x_last) {
            x_terms = base + gsl_sf_lngamma(rx) + gsl_sf_lngamma(m->b + p->x) -
                      gsl_sf_lngamma(m->a + m->b + p->x);
            x_last = p->x;
        }
        if (p->x > 0) {
            a4 = log_a - log(m->b + p->x - 1) - rx * log(m->alpha + p->t_x);
            a3 = a3 > a4 ? a3 + log1p(exp(a4 - a3)) : a4 + log1p(exp(a3 - a4));
        }
        sum += p->weight * (x_terms + a3);
    }
    return sum;
}

/* The sum of pt_gamma_gamma_ll over the points, in order of x: the Gamma functions and log x
 * once per distinct x, log mx kept with the point. */
static double gg_ll_sum(const struct pt_gamma_gamma *g, const struct gg_data *d)
{
    double sum = 0;
    double x_terms = 0;
    double x_last = -1;
    double base = -gsl_sf_lngamma(g->q) + g->q * log(g->gamma);
    size_t i;
    for (i = 0; i < d->count; i++) {
        const struct gg_point *p = &d->points[i];
        double px = g->p * p->x;
        if (p->x != x_last) {
            x_terms = base + gsl_sf_lngamma(px + g->q) - gsl_sf_lngamma(px) + px * log(p->x);
            x_last = p->x;
        }
        sum += x_terms + (px - 1) * p->log_mx - (px + g->q) * log(g->gamma + p->mx * p->x);
    }
    return sum;
}

static double bg_objective(const gsl_vector *v, void *params)
{
    struct pt_bgnbd m;
    double ll;
    if (!log_params_ok(v)) {
        return PT_FIT_HUGE;
    }
    m.r = exp(gsl_vector_get(v, 0));
    m.alpha = exp(gsl_vector_get(v, 1));
    m.a = exp(gsl_vector_get(v, 2));
    m.b = exp(gsl_vector_get(v, 3));
    ll = bg_ll_sum(&m, params);
    return isfinite(ll) ? -ll : PT_FIT_HUGE;
}

static double gg_objective(const gsl_vector *v, void *params)
{
    struct pt_gamma_gamma g;
    double ll;
    if (!log_params_ok(v)) {
        return PT_FIT_HUGE;
    }
    g.p = exp(gsl_vector_get(v, 0));
    g.q = exp(gsl_vector_get(v, 1));
    g.gamma = exp(gsl_vector_get(v, 2));
    ll = gg_ll_sum(&g, params);
    return isfinite(ll) ? -ll : PT_FIT_HUGE;
}

/* One descent from theta (dim values), which it replaces by its optimum. */
static enum pt_rc descend(gsl_multimin_function *f, double *theta, double step, struct pt_err *err)
{
    gsl_multimin_fminimizer *s =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, f->n);
    gsl_vector *x = gsl_vector_alloc(f->n);
    gsl_vector *steps = gsl_vector_alloc(f->n);
    enum pt_rc rc = PT_OK;
    int status = GSL_CONTINUE;
    double best = HUGE_VAL;
    unsigned still = 0;
    size_t i;
    unsigned n;
    if (s == NULL || x == NULL || steps == NULL) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (i = 0; rc == PT_OK && i < f->n; i++) {
        gsl_vector_set(x, i, theta[i]);
        gsl_vector_set(steps, i, step);
    }
    if (rc == PT_OK && gsl_multimin_fminimizer_set(s, f, x, steps) != GSL_SUCCESS) {
        rc = pt_err_set(err, PT_EINTERNAL, NULL,
                        "the fit cannot start: the likelihood is not "
                        "finite at its starting point");
    }
    for (n = 0; rc == PT_OK && status == GSL_CONTINUE && n < PT_CLV_FIT_STEPS_MAX; n++) {
        double size;
        if (gsl_multimin_fminimizer_iterate(s) != GSL_SUCCESS) {
            break; /* The simplex cannot shrink further: its best point is the optimum. */
        }
        size = gsl_multimin_fminimizer_size(s);
        /* Where the likelihood is flat to the last bit, ties keep the simplex from shrinking:
         * a simplex whose best value has not gone down for PT_FIT_STALL_STEPS has stopped. */
        still = gsl_multimin_fminimizer_minimum(s) < best ? 0 : still + 1;
        best =
            gsl_multimin_fminimizer_minimum(s) < best ? gsl_multimin_fminimizer_minimum(s) : best;
        status =
            still >= PT_FIT_STALL_STEPS ? GSL_SUCCESS : gsl_multimin_test_size(size, PT_FIT_SIZE);
    }
    for (i = 0; rc == PT_OK && i < f->n; i++) {
        theta[i] = gsl_vector_get(gsl_multimin_fminimizer_x(s), i);
    }
    gsl_vector_free(steps);
    gsl_vector_free(x);
    gsl_multimin_fminimizer_free(s);
    return rc;
}

/* Descents from theta until one no longer moves a parameter by a relative PT_FIT_MOVE. */
static enum pt_rc minimise(gsl_multimin_function *f, double *theta, struct pt_err *err)
{
    double before[4];
    unsigned restart;
    pt_assert(f->n <= 4);
    (void)gsl_set_error_handler_off();
    for (restart = 0; restart < PT_CLV_FIT_RESTARTS_MAX; restart++) {
        bool moved = false;
        size_t i;
        enum pt_rc rc;
        memcpy(before, theta, f->n * sizeof(double));
        rc = descend(f, theta, restart == 0 ? 0.5 : 0.05, err);
        if (rc != PT_OK) {
            return rc;
        }
        for (i = 0; i < f->n; i++) {
            /* exp(theta) moves by a relative expm1(|d theta|). */
            moved = moved || expm1(fabs(theta[i] - before[i])) >= PT_FIT_MOVE;
        }
        if (restart > 0 && !moved) {
            return PT_OK;
        }
    }
    return pt_err_set(err, PT_EINTERNAL, NULL, "the fit did not converge within %d descents",
                      PT_CLV_FIT_RESTARTS_MAX);
}

static int customer_cmp(const void *l, const void *r)
{
    const struct pt_clv_customer *a = l;
    const struct pt_clv_customer *b = r;
    if (a->x != b->x) {
        return a->x < b->x ? -1 : 1;
    }
    if (a->t_x_days != b->t_x_days) {
        return a->t_x_days < b->t_x_days ? -1 : 1;
    }
    return a->T_days < b->T_days ? -1 : a->T_days > b->T_days;
}

/* The distinct summaries of customers in the unit, with their counts. OUT: *points (new). */
static enum pt_rc bg_points_make(const struct pt_clv_customer *customers, size_t count, double unit,
                                 struct bg_point **points, size_t *point_count, struct pt_err *err)
{
    struct pt_clv_customer *sorted = pt_malloc(count * sizeof(*sorted));
    struct bg_point *out = pt_malloc(count * sizeof(*out));
    size_t n = 0;
    size_t i;
    if (sorted == NULL || out == NULL) {
        pt_free(sorted);
        pt_free(out);
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    memcpy(sorted, customers, count * sizeof(*sorted));
    for (i = 0; i < count; i++) {
        sorted[i].repeat_amount = 0; /* Not BG/NBD's: merge on the summary alone. */
    }
    qsort(sorted, count, sizeof(*sorted), customer_cmp);
    for (i = 0; i < count; i++) {
        if (n > 0 && customer_cmp(&sorted[i - 1], &sorted[i]) == 0) {
            out[n - 1].weight += 1;
            continue;
        }
        out[n].x = (double)sorted[i].x;
        out[n].t_x = (double)sorted[i].t_x_days / unit;
        out[n].T = (double)sorted[i].T_days / unit;
        out[n].weight = 1;
        n++;
    }
    pt_free(sorted);
    *points = out;
    *point_count = n;
    return PT_OK;
}

/* A maximum found at the edge of the search (a log-parameter within 1 of +-PT_FIT_LOG_MAX) is
 * no maximum: the likelihood still rises towards infinity, and the data do not determine the
 * model (a handful of customers, all alike). Refused, so that no such model is stored (found
 * by review: a fit of two customers answered b = 1.6e-13 and p_alive 7e-25). */
static enum pt_rc identified(const double *theta, size_t n, struct pt_err *err)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (fabs(theta[i]) >= PT_FIT_LOG_MAX - 1) {
            (void)pt_err_set(err, PT_ELIMIT, "calibration_end",
                             "the purchases on or before calibration_end do not determine the "
                             "model (its likelihood rises without bound): more customers with "
                             "repeat purchases are needed");
            return pt_err_code(err, "model_not_identified");
        }
    }
    return PT_OK;
}

static enum pt_rc fit_bgnbd(const struct pt_clv_customer *customers, size_t count, double unit,
                            struct pt_clv_model *out, struct pt_err *err)
{
    struct bg_point *points = NULL;
    struct bg_data data;
    double theta[4] = {0, 0, 0, 0};
    gsl_multimin_function f;
    enum pt_rc rc = bg_points_make(customers, count, unit, &points, &data.count, err);
    if (rc != PT_OK) {
        return rc;
    }
    data.points = points;
    f.n = 4;
    f.f = bg_objective;
    f.params = &data;
    rc = minimise(&f, theta, err);
    if (rc == PT_OK) {
        rc = identified(theta, 4, err);
    }
    if (rc == PT_OK) {
        out->bgnbd.r = exp(theta[0]);
        out->bgnbd.alpha = exp(theta[1]);
        out->bgnbd.a = exp(theta[2]);
        out->bgnbd.b = exp(theta[3]);
        out->bgnbd_ll = bg_ll_sum(&out->bgnbd, &data);
    }
    pt_free(points);
    return rc;
}

static int gg_point_cmp(const void *l, const void *r)
{
    const struct gg_point *a = l;
    const struct gg_point *b = r;
    if (a->x != b->x) {
        return a->x < b->x ? -1 : 1;
    }
    return a->mx < b->mx ? -1 : a->mx > b->mx;
}

static enum pt_rc fit_gamma_gamma(const struct pt_clv_customer *customers, size_t count,
                                  double scale, struct pt_clv_model *out, struct pt_err *err)
{
    struct gg_point *points =
        pt_malloc((out->spend_customers > 0 ? (size_t)out->spend_customers : 1) * sizeof(*points));
    struct gg_data data = {points, 0};
    double theta[3] = {0, 0, 0};
    gsl_multimin_function f;
    size_t i;
    enum pt_rc rc;
    if (points == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (i = 0; i < count; i++) {
        if (customers[i].x > 0 && customers[i].repeat_amount > 0) {
            points[data.count].x = (double)customers[i].x;
            points[data.count].mx =
                (double)customers[i].repeat_amount / scale / (double)customers[i].x;
            points[data.count].log_mx = log(points[data.count].mx);
            data.count++;
        }
    }
    pt_assert(data.count == (size_t)out->spend_customers);
    qsort(points, data.count, sizeof(*points), gg_point_cmp);
    f.n = 3;
    f.f = gg_objective;
    f.params = &data;
    rc = minimise(&f, theta, err);
    if (rc == PT_OK) {
        rc = identified(theta, 3, err);
    }
    if (rc == PT_OK && exp(theta[1]) <= 1) {
        /* E[spend] divides by q - 1: a model with q <= 1 values no customer. */
        rc = pt_err_set(err, PT_ELIMIT, "calibration_end",
                        "the purchases' values do not determine the spend model (q <= 1)");
        (void)pt_err_code(err, "model_not_identified");
    }
    if (rc == PT_OK) {
        out->gg.p = exp(theta[0]);
        out->gg.q = exp(theta[1]);
        out->gg.gamma = exp(theta[2]);
        out->gg_ll = gg_ll_sum(&out->gg, &data);
    }
    pt_free(points);
    return rc;
}

enum pt_rc pt_clv_fit(const struct pt_clv_customer *customers, size_t count, enum pt_clv_unit unit,
                      int currency_exponent, struct pt_clv_model *out, struct pt_err *err)
{
    size_t i;
    enum pt_rc rc;
    pt_assert(currency_exponent >= 0 && currency_exponent <= 4);
    memset(out, 0, sizeof(*out));
    out->unit = unit;
    out->currency_exponent = currency_exponent;
    out->customers = (int64_t)count;
    for (i = 0; i < count; i++) {
        out->repeat_customers += customers[i].x > 0;
        out->spend_customers += customers[i].x > 0 && customers[i].repeat_amount > 0;
    }
    if (out->spend_customers < 2) {
        rc = pt_err_set(err, PT_ELIMIT, "calibration_end",
                        "a fit needs customers with repeat purchases of some value on or before "
                        "calibration_end (%lld customers, %lld of them with repeat purchases)",
                        (long long)out->customers, (long long)out->repeat_customers);
        return pt_err_code(err, "not_enough_data");
    }
    rc = fit_bgnbd(customers, count, (double)pt_clv_unit_days(unit), out, err);
    if (rc == PT_OK) {
        rc = fit_gamma_gamma(customers, count, pow(10, currency_exponent), out, err);
    }
    return rc;
}
