/* SPDX-License-Identifier: MIT */
/*
 * RFM scoring as the R package rfm 0.3.0 does it (core/rfm.h; docs/analytics.md, "RFM"): R's
 * type-7 quantiles, the half-open bins, the scores' directions and the segment table. The
 * arithmetic on the cut points is R's own, in double precision, so that a value that sits on a
 * cut point falls in the bin R puts it in.
 */
#include "core/rfm.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Integers a double holds exactly: |v| <= 2^53. */
#define EXACT_MAX (INT64_C(1) << 53)

const char *const pt_rfm_segment_names[PT_RFM_SEGMENT_COUNT] = {
    "Champions",       "Potential Loyalist",
    "Loyal Customers", "Promising",
    "New Customers",   "Can't Lose Them",
    "At Risk",         "Need Attention",
    "About To Sleep",  "Lost",
    "Others",
};

/* The segment table of the rfm 0.3.0 vignette: inclusive ranges of R, F and M, in the order of
 * pt_rfm_segment_names (Others has no row). */
static const struct {
    int r_lo, r_hi, f_lo, f_hi, m_lo, m_hi;
} segment_rules[PT_RFM_OTHERS] = {
    {5, 5, 5, 5, 5, 5}, /* Champions */
    {3, 5, 3, 5, 2, 5}, /* Potential Loyalist */
    {2, 4, 2, 4, 2, 4}, /* Loyal Customers */
    {3, 4, 1, 3, 3, 5}, /* Promising */
    {4, 5, 1, 3, 1, 5}, /* New Customers */
    {1, 2, 3, 4, 4, 5}, /* Can't Lose Them */
    {1, 2, 2, 5, 4, 5}, /* At Risk */
    {1, 3, 3, 5, 3, 5}, /* Need Attention */
    {2, 3, 1, 3, 1, 4}, /* About To Sleep */
    {1, 1, 1, 5, 1, 5}, /* Lost */
};

double pt_rfm_quantile7(const double *sorted, size_t n, double p)
{
    double index;
    double lo;
    double hi;
    double q;
    double h;
    pt_assert(n >= 1 && p >= 0.0 && p <= 1.0);
    /* R: index <- 1 + max(n - 1, 0) * probs; lo <- floor(index); hi <- ceiling(index). */
    index = 1.0 + (double)(n - 1) * p;
    lo = (double)(size_t)index; /* floor and ceiling of a positive value, without libm. */
    hi = lo < index ? lo + 1.0 : lo;
    q = sorted[(size_t)lo - 1];
    if (index > lo && sorted[(size_t)hi - 1] != q) {
        h = index - lo;
        q = (1.0 - h) * q + h * sorted[(size_t)hi - 1];
    }
    return q;
}

void pt_rfm_bins_make(const double *sorted, size_t n, double plus, struct pt_rfm_bins *out)
{
    /* seq(0, 1, length.out = 6) is c(from, from + (1:4) * by, to) with by = (to - from) / 5. */
    const double by = (1.0 - 0.0) / (double)PT_RFM_BINS;
    int k;
    pt_assert(n >= 1);
    out->lower[0] = sorted[0];
    for (k = 1; k < PT_RFM_BINS; k++) {
        double cut = pt_rfm_quantile7(sorted, n, 0.0 + (double)k * by) + plus;
        out->upper[k - 1] = cut;
        out->lower[k] = cut;
    }
    out->upper[PT_RFM_BINS - 1] = sorted[n - 1] + 1.0;
}

int pt_rfm_bin(const struct pt_rfm_bins *b, double v)
{
    int found = -1;
    int k;
    /* R assigns bin after bin, a later one overwriting: the last that holds v wins. */
    for (k = 0; k < PT_RFM_BINS; k++) {
        if (v >= b->lower[k] && v < b->upper[k]) {
            found = k;
        }
    }
    return found;
}

unsigned pt_rfm_segment(int r, int f, int m)
{
    unsigned i;
    for (i = 0; i < PT_RFM_OTHERS; i++) {
        if (r >= segment_rules[i].r_lo && r <= segment_rules[i].r_hi &&
            f >= segment_rules[i].f_lo && f <= segment_rules[i].f_hi &&
            m >= segment_rules[i].m_lo && m <= segment_rules[i].m_hi) {
            return i;
        }
    }
    return PT_RFM_OTHERS;
}

static int double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* The measure `which` (0 recency, 1 frequency, 2 monetary) of row. */
static int64_t measure(const struct pt_rfm_row *row, int which)
{
    return which == 0 ? row->recency_days : which == 1 ? row->transaction_count : row->amount;
}

/* The bins of one measure over every row, sorted in scratch. */
static void measure_bins(const struct pt_rfm_row *rows, size_t count, int which, double plus,
                         double *scratch, struct pt_rfm_bins *out)
{
    size_t i;
    for (i = 0; i < count; i++) {
        scratch[i] = (double)measure(&rows[i], which);
    }
    qsort(scratch, count, sizeof(*scratch), double_cmp);
    pt_rfm_bins_make(scratch, count, plus, out);
}

/* The score of v in b: bins in ascending order score 1..5, or 5..1 when descending (recency).
 * Every value of the bins' data is in a bin (the first's lower bound is the minimum, the last's
 * upper the maximum + 1, and the cut points between ascend). */
static int score_of(const struct pt_rfm_bins *b, int64_t v, bool descending)
{
    int k = pt_rfm_bin(b, (double)v);
    if (PT_NEVER(k < 0)) {
        k = 0;
    }
    return descending ? PT_RFM_BINS - k : k + 1;
}

enum pt_rc pt_rfm_score(struct pt_rfm_row *rows, size_t count, int64_t unit_minor,
                        struct pt_err *err)
{
    struct pt_rfm_bins bins[3];
    double *scratch;
    size_t i;
    int which;
    pt_assert(count >= 1 && unit_minor >= 1);
    for (i = 0; i < count; i++) {
        for (which = 0; which < 3; which++) {
            int64_t v = measure(&rows[i], which);
            if (v > EXACT_MAX || v < -EXACT_MAX) {
                return pt_err_set(err, PT_ELIMIT, NULL,
                                  "a member's RFM figure is past 2^53, beyond exact scoring");
            }
        }
    }
    scratch = pt_malloc(count * sizeof(*scratch));
    if (scratch == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (which = 0; which < 3; which++) {
        measure_bins(rows, count, which, which == 2 ? (double)unit_minor : 1.0, scratch,
                     &bins[which]);
    }
    pt_free(scratch);
    for (i = 0; i < count; i++) {
        struct pt_rfm_row *r = &rows[i];
        r->recency_score = score_of(&bins[0], r->recency_days, true);
        r->frequency_score = score_of(&bins[1], r->transaction_count, false);
        r->monetary_score = score_of(&bins[2], r->amount, false);
        r->rfm_score = r->recency_score * 100 + r->frequency_score * 10 + r->monetary_score;
        r->segment = pt_rfm_segment(r->recency_score, r->frequency_score, r->monetary_score);
    }
    return PT_OK;
}

/* ---- Dates ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool pt_rfm_date_parse(const char *s, int64_t *days)
{
    int64_t year;
    unsigned month;
    unsigned day;
    int i;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') {
        return false;
    }
    for (i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && !is_digit(s[i])) {
            return false;
        }
    }
    year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    month = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    day = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (year < 1970 || !pt_date_is_valid(year, month, day)) {
        return false;
    }
    *days = pt_days_from_civil(year, month, day);
    return true;
}

void pt_rfm_date_format(int64_t days, char out[11])
{
    int64_t year;
    unsigned month;
    unsigned day;
    char text[32];
    pt_civil_from_ms(days * PT_DAY_MS, &year, &month, &day);
    (void)snprintf(text, sizeof(text), "%04lld-%02u-%02u", (long long)year, month, day);
    memcpy(out, text, 10);
    out[10] = '\0';
}

void pt_rfm_recency(struct pt_rfm_row *rows, size_t count, const struct pt_tz *tz,
                    int64_t as_of_days)
{
    size_t i;
    for (i = 0; i < count; i++) {
        rows[i].recency_days = as_of_days - pt_tz_local_day(tz, rows[i].last_ms);
    }
}
