/* SPDX-License-Identifier: MIT */
/*
 * Status tiers (docs/tiers.md): an ordered list of levels, each with a threshold on one
 * qualifying metric of the program (qualifying points, spend or purchases) measured over a
 * window of whole local months (the last N months, or the calendar year), and the benefits of
 * the level (an earn multiplier, perks). Pure: months are indexes (year * 12 + month - 1) in
 * the program's time zone, which the caller works out.
 *
 * A member moves up as soon as the metric of the current window reaches a higher threshold.
 * Down only at the member's review, a month boundary once per window: the metric of the window
 * that just ended decides, and `retain` keeps the tier one more window once.
 */
#ifndef PT_CORE_TIERS_H
#define PT_CORE_TIERS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

#define PT_TIERS_MAX 10
#define PT_TIER_NAME_BYTES_MAX 64
#define PT_TIER_PERKS_MAX 10
#define PT_TIER_PERK_BYTES_MAX 200
#define PT_TIER_MONTHS_MAX 36
_Static_assert(PT_TIER_MONTHS_MAX <= INT64_MAX / PT_METRIC_MAX,
               "a window of metrics sums in int64");
#define PT_TIER_MULTIPLIER_DEN_MAX 10000
#define PT_TIER_MULTIPLIER_MAX 100 /* An earn multiplier is at most 100×. */

enum pt_tier_metric {
    PT_TIER_METRIC_NONE, /* The program has no tiers. */
    PT_TIER_METRIC_QUALIFYING_POINTS,
    PT_TIER_METRIC_SPEND,
    PT_TIER_METRIC_PURCHASES,
};

struct pt_tier {
    const char *name;       /* Unique in the program; borrowed. */
    int64_t threshold;      /* The metric needed; the first tier's is 0. */
    int64_t multiplier_num; /* Base earning × num / den; num >= den >= 1. */
    int64_t multiplier_den;
    /* Texts shown to the member, at most PT_TIER_PERKS_MAX (pt_tier_policy_validate's bound:
     * the decoder takes any number, so that the count is refused in its place among the
     * tier's checks); the array and the texts are borrowed, NULL when perk_count is 0. */
    const char *const *perks;
    unsigned perk_count;
};

struct pt_tier_policy {
    enum pt_tier_metric metric;
    int64_t months; /* The window: the last `months` months; 0 = the calendar year. */
    bool retain;    /* A member below the threshold at a review keeps the tier one more window. */
    unsigned count;
    struct pt_tier tiers[PT_TIERS_MAX];
};

/* A member's standing: what the review job and purchases read and write. */
struct pt_tier_state {
    unsigned position;    /* Index into the policy's tiers (clamped when the list shrank). */
    int64_t since_ms;     /* When the member reached it (enrollment for the first tier). */
    int64_t review_month; /* Month index of the next review (at its first instant); 0 = none. */
    bool grace;           /* Kept one more window by `retain`. */
};

const char *pt_tier_metric_name(enum pt_tier_metric m);
/* PT_EINVAL (field) for an unknown name. */
PT_MUSTCHECK enum pt_rc pt_tier_metric_parse(const char *s, const char *field,
                                             enum pt_tier_metric *out, struct pt_err *err);

/* Checks a policy: 1..PT_TIERS_MAX tiers, names unique and valid, the first threshold 0 and
 * the others increasing, multipliers >= 1 within bounds, perks valid, the window in range.
 * PT_EINVAL naming the field ("tiers.2.threshold"). A NONE policy has no tiers. */
PT_MUSTCHECK enum pt_rc pt_tier_policy_validate(const struct pt_tier_policy *p, struct pt_err *err);

/* The month index of at (year, month 1..12). */
int64_t pt_tier_month(int64_t year, unsigned month);
/* The first and last month of the window that contains month. */
int64_t pt_tier_window_first(const struct pt_tier_policy *p, int64_t month);
int64_t pt_tier_window_last(const struct pt_tier_policy *p, int64_t month);
/* The review month of a member who reached a tier in month: one window later (rolling), or
 * the next 1 January (calendar year). */
int64_t pt_tier_first_review(const struct pt_tier_policy *p, int64_t month);
/* The highest tier whose threshold value reaches. */
unsigned pt_tier_for_value(const struct pt_tier_policy *p, int64_t value);

/* The outcome of a review at review_month whose ending window measured `value`: the new
 * position and grace, and the next review month. */
struct pt_tier_review {
    unsigned position;
    bool grace;
    int64_t next_review_month;
};
struct pt_tier_review pt_tier_review_decide(const struct pt_tier_policy *p,
                                            const struct pt_tier_state *s, int64_t value);

/* The earn multiplier applied to base points: floor(base × num / den) − base, the extra
 * points of the tier. PT_ELIMIT on overflow. */
PT_MUSTCHECK enum pt_rc pt_tier_extra_points(const struct pt_tier *t, int64_t base_points,
                                             int64_t *extra, struct pt_err *err);

/* ---- Metrics and history ---- */

/* The qualifying metric of a member over some months. */
struct pt_tier_metrics {
    int64_t points;    /* Points earned by purchases, less what returns took back. */
    int64_t spend;     /* Purchases' amounts less returned amounts, minor units. */
    int64_t purchases; /* Purchases, less those returned in full. */
};

/* One tier change of a member's history. */
struct pt_tier_change {
    const char *from_name; /* arena */
    const char *to_name;   /* arena */
    const char *reason;    /* "purchase", "review" or "grace"; arena */
    int64_t metric_value;  /* The metric that decided. */
    int64_t at_ms;
};

/* The value of the policy's metric in m (0 without tiers). */
int64_t pt_tier_metric_value(const struct pt_tier_policy *p, const struct pt_tier_metrics *m);
/* "YYYY-MM-01" of month index m (times are years 1970..9999). */
void pt_tier_month_first_day(int64_t m, char out[11]);
/* The last day "YYYY-MM-DD" of month index m. */
void pt_tier_month_last_day(int64_t m, char out[11]);
/* The month index of a local date "YYYY-MM-DD". */
int64_t pt_tier_date_month(const char *date);

/* The refusal of a metric that would pass PT_METRIC_MAX (PT_ELIMIT limit_exceeded, field
 * amount): the store's guard. */
PT_MUSTCHECK enum pt_rc pt_tier_metrics_refused(struct pt_err *err);

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* The member has no tier standing (PT_ENOTFOUND). */
PT_MUSTCHECK enum pt_rc pt_tier_state_not_found(const char *member_id, struct pt_err *err);

#endif
