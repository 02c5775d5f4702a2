/* SPDX-License-Identifier: MIT */
/*
 * RFM scoring (GET /v1/analytics/rfm; docs/analytics.md, "RFM"): each purchasing member's
 * recency, frequency and monetary value scored 1..5 against the quintiles of the whole program,
 * and named by the segment table, exactly as the R package rfm 0.3.0 does it (its
 * rfm_table_order with 5 bins and the vignette's segments; tests/data/rfm/ holds its sample
 * orders and the expected answer). Pure: the store reads each member's figures, the caller
 * passes the zone and the date; nothing here reads a clock or touches storage.
 *
 * The cut points are R's quantile(type = 7) computed as R computes it, in double precision
 * (R's probabilities seq(0, 1, length.out = 6), whose third is 3 * 0.2, not 0.6), plus one whole
 * currency unit for money (100 minor units in USD) and plus 1 for days and counts. Every value
 * is an integer that a double holds exactly (below 2^53), so the comparisons with the cut points
 * are those R makes.
 */
#ifndef PT_CORE_RFM_H
#define PT_CORE_RFM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/tz.h"

/* The scores run 1..5: five bins, R's default. */
#define PT_RFM_BINS 5
/* The named segments and "Others", in the table's order (pt_rfm_segment_names). */
#define PT_RFM_SEGMENT_COUNT 11
#define PT_RFM_OTHERS (PT_RFM_SEGMENT_COUNT - 1)

/* The segments' names as the API spells them, in the order of the table (first match wins),
 * "Others" last. */
extern const char *const pt_rfm_segment_names[PT_RFM_SEGMENT_COUNT];

/* One member's figures and scores. */
struct pt_rfm_row {
    char member_id[PT_ID_BUF_BYTES];
    int64_t last_ms;           /* The latest purchase's occurred_at, Unix ms (the store's). */
    int64_t transaction_count; /* Purchases on or before as_of, >= 1 (the store's). */
    int64_t amount;            /* Their amounts less discounts less returns, minor units. */
    int64_t recency_days;      /* Local days from the latest purchase's date to as_of's. */
    int recency_score;         /* 1..5, 5 the most recent. */
    int frequency_score;       /* 1..5, 5 the most purchases. */
    int monetary_score;        /* 1..5, 5 the most money. */
    int rfm_score;             /* 100 R + 10 F + M. */
    unsigned segment;          /* Index into pt_rfm_segment_names. */
};

/* The bins of one measure: bin k is [lower[k], upper[k]). */
struct pt_rfm_bins {
    double lower[PT_RFM_BINS]; /* The minimum, then the cut points. */
    double upper[PT_RFM_BINS]; /* The cut points, then the maximum + 1. */
};

/* R's quantile(x, p, type = 7) of sorted[0..n) (ascending, n >= 1), computed as R 4 does:
 * index = 1 + (n - 1) p, lo = floor, hi = ceiling, and (1 - h) x[lo] + h x[hi] when the two
 * differ. */
double pt_rfm_quantile7(const double *sorted, size_t n, double p);

/* The bins of the values sorted[0..n) (ascending, n >= 1): the cut points are the type-7
 * quantiles at seq(0, 1, length.out = 6)[2..5] plus `plus` (1, or a currency unit in minor
 * units). OUT: *out. */
void pt_rfm_bins_make(const double *sorted, size_t n, double plus, struct pt_rfm_bins *out);

/* The bin (0..4) that holds v, the last whose [lower, upper) holds it as R's loop assigns
 * them; -1 when none does (never for a value of the bins' own data). */
int pt_rfm_bin(const struct pt_rfm_bins *b, double v);

/* The segment of scores r, f, m (1..5): the first row of the table whose ranges hold them all,
 * else PT_RFM_OTHERS. */
unsigned pt_rfm_segment(int r, int f, int m);

/*
 * Scores rows[0..count) against each other (count >= 1, recency_days, transaction_count and
 * amount set): the three bins (money's cut points plus unit_minor, the currency's major unit in
 * minor units), each row's scores, rfm_score and segment. PT_ENOMEM when the scratch array
 * cannot be had; PT_ELIMIT (limit_exceeded) for a value a double does not hold exactly.
 */
PT_MUSTCHECK enum pt_rc pt_rfm_score(struct pt_rfm_row *rows, size_t count, int64_t unit_minor,
                                     struct pt_err *err);

/* A date "YYYY-MM-DD" of a real day of years 1970..9999 as days since 1970-01-01. */
bool pt_rfm_date_parse(const char *s, int64_t *days);
/* "YYYY-MM-DD" of days (since 1970-01-01) into out[11]. */
void pt_rfm_date_format(int64_t days, char out[11]);
/* Sets each row's recency_days: as_of_days less the local day of its last_ms (>= 0 when
 * last_ms is before the end of as_of). */
void pt_rfm_recency(struct pt_rfm_row *rows, size_t count, const struct pt_tz *tz,
                    int64_t as_of_days);

#endif
