/* SPDX-License-Identifier: MIT */
/* Status tiers: validation, windows and reviews (see tiers.h). */
#include "core/tiers.h"

#include "base/assert.h"
#include "base/clock.h"
#include "core/ledger.h"
#include "core/member.h"

#include <stdio.h>
#include <string.h>

static const char *const metric_names[] = {"none", "qualifying_points", "spend", "purchases"};

const char *pt_tier_metric_name(enum pt_tier_metric m)
{
    pt_assert((unsigned)m < sizeof(metric_names) / sizeof(metric_names[0]));
    return metric_names[m];
}

enum pt_rc pt_tier_metric_parse(const char *s, const char *field, enum pt_tier_metric *out,
                                struct pt_err *err)
{
    unsigned i;
    for (i = 1; i < sizeof(metric_names) / sizeof(metric_names[0]); i++) {
        if (strcmp(s, metric_names[i]) == 0) {
            *out = (enum pt_tier_metric)i;
            return PT_OK;
        }
    }
    return pt_err_set(err, PT_EINVAL, field, "%s must be qualifying_points, spend or purchases",
                      field);
}

/* Perks: at most PT_TIER_PERKS_MAX, each a valid text of at most PT_TIER_PERK_BYTES_MAX bytes
 * (a newline is a control character: the column keeps them one per line). */
static enum pt_rc perks_validate(const struct pt_tier *t, unsigned tier, struct pt_err *err)
{
    unsigned n;
    char field[48];
    for (n = 0; n < t->perk_count; n++) {
        size_t len = strlen(t->perks[n]);
        (void)snprintf(field, sizeof(field), "tiers.levels.%u.perks.%u", tier, n);
        if (n >= PT_TIER_PERKS_MAX) {
            return pt_err_set(err, PT_EINVAL, field, "a tier has at most %d perks",
                              PT_TIER_PERKS_MAX);
        }
        if (len == 0 || len > PT_TIER_PERK_BYTES_MAX) {
            return pt_err_set(err, PT_EINVAL, field, "%s must be a text of 1 to %d bytes", field,
                              PT_TIER_PERK_BYTES_MAX);
        }
        if (pt_validate_text(field, t->perks[n], PT_TIER_PERK_BYTES_MAX, err) != PT_OK) {
            return err->rc;
        }
    }
    return PT_OK;
}

enum pt_rc pt_tier_policy_validate(const struct pt_tier_policy *p, struct pt_err *err)
{
    unsigned i;
    unsigned j;
    char field[48];
    if (p->metric == PT_TIER_METRIC_NONE) {
        if (p->count != 0) {
            return pt_err_set(err, PT_EINVAL, "tiers.metric", "tiers need a metric");
        }
        return PT_OK;
    }
    if (p->months < 0 || p->months > PT_TIER_MONTHS_MAX) {
        return pt_err_set(err, PT_EINVAL, "tiers.window.rolling_months",
                          "tiers.window.rolling_months must be 1 to %d", PT_TIER_MONTHS_MAX);
    }
    if (p->count < 1 || p->count > PT_TIERS_MAX) {
        return pt_err_set(err, PT_EINVAL, "tiers.levels", "tiers.levels must hold 1 to %d tiers",
                          PT_TIERS_MAX);
    }
    for (i = 0; i < p->count; i++) {
        const struct pt_tier *t = &p->tiers[i];
        (void)snprintf(field, sizeof(field), "tiers.levels.%u.name", i);
        if (t->name == NULL ||
            pt_validate_text(field, t->name, PT_TIER_NAME_BYTES_MAX, err) != PT_OK) {
            return pt_err_set(err, PT_EINVAL, field, "%s must be a name of 1 to %d bytes", field,
                              PT_TIER_NAME_BYTES_MAX);
        }
        for (j = 0; j < i; j++) {
            if (strcmp(p->tiers[j].name, t->name) == 0) {
                return pt_err_set(err, PT_EINVAL, field, "tier names must be unique (%s)", t->name);
            }
        }
        (void)snprintf(field, sizeof(field), "tiers.levels.%u.threshold", i);
        if (i == 0 && t->threshold != 0) {
            return pt_err_set(err, PT_EINVAL, field,
                              "the first tier is where every member starts: its threshold is 0");
        }
        if (i > 0 && (t->threshold <= p->tiers[i - 1].threshold || t->threshold > PT_AMOUNT_MAX)) {
            return pt_err_set(err, PT_EINVAL, field,
                              "thresholds must increase from one tier to the next");
        }
        (void)snprintf(field, sizeof(field), "tiers.levels.%u.earn_multiplier", i);
        if (t->multiplier_den < 1 || t->multiplier_den > PT_TIER_MULTIPLIER_DEN_MAX ||
            t->multiplier_num < t->multiplier_den ||
            t->multiplier_num > PT_TIER_MULTIPLIER_MAX * t->multiplier_den) {
            return pt_err_set(err, PT_EINVAL, field,
                              "%s is {\"numerator\": n, \"denominator\": d} with 1 <= d <= %d "
                              "and 1 <= n/d <= %d",
                              field, PT_TIER_MULTIPLIER_DEN_MAX, PT_TIER_MULTIPLIER_MAX);
        }
        if (perks_validate(t, i, err) != PT_OK) {
            return err->rc;
        }
    }
    return PT_OK;
}

int64_t pt_tier_month(int64_t year, unsigned month)
{
    pt_assert(month >= 1 && month <= 12);
    return year * 12 + (int64_t)month - 1;
}

int64_t pt_tier_window_first(const struct pt_tier_policy *p, int64_t month)
{
    if (p->months == 0) {
        return month - month % 12;
    }
    return month - p->months + 1;
}

int64_t pt_tier_window_last(const struct pt_tier_policy *p, int64_t month)
{
    if (p->months == 0) {
        return month - month % 12 + 11;
    }
    return month;
}

int64_t pt_tier_first_review(const struct pt_tier_policy *p, int64_t month)
{
    if (p->months == 0) {
        return month - month % 12 + 12;
    }
    return month + p->months;
}

unsigned pt_tier_for_value(const struct pt_tier_policy *p, int64_t value)
{
    unsigned i = 0;
    while (i + 1 < p->count && p->tiers[i + 1].threshold <= value) {
        i++;
    }
    return i;
}

struct pt_tier_review pt_tier_review_decide(const struct pt_tier_policy *p,
                                            const struct pt_tier_state *s, int64_t value)
{
    struct pt_tier_review r;
    unsigned earned = pt_tier_for_value(p, value);
    unsigned current = s->position < p->count ? s->position : p->count - 1;
    pt_assert(p->count > 0);
    r.next_review_month = s->review_month + (p->months == 0 ? 12 : p->months);
    if (earned >= current) {
        /* Kept (or, when thresholds were lowered since, raised). */
        r.position = earned;
        r.grace = false;
    } else if (p->retain && !s->grace) {
        r.position = current;
        r.grace = true;
    } else {
        r.position = earned;
        r.grace = false;
    }
    return r;
}

enum pt_rc pt_tier_extra_points(const struct pt_tier *t, int64_t base_points, int64_t *extra,
                                struct pt_err *err)
{
    int64_t boosted;
    enum pt_rc rc;
    pt_assert(base_points >= 0);
    pt_assert(t->multiplier_den >= 1 && t->multiplier_num >= t->multiplier_den);
    rc = pt_mul_div_floor(base_points, t->multiplier_num, t->multiplier_den, &boosted, err);
    if (rc == PT_OK) {
        *extra = boosted - base_points;
    }
    return rc;
}

/* ---- Months and metrics ---- */

int64_t pt_tier_metric_value(const struct pt_tier_policy *p, const struct pt_tier_metrics *m)
{
    switch (p->metric) {
    case PT_TIER_METRIC_QUALIFYING_POINTS:
        return m->points;
    case PT_TIER_METRIC_SPEND:
        return m->spend;
    case PT_TIER_METRIC_PURCHASES:
        return m->purchases;
    case PT_TIER_METRIC_NONE:
        return 0;
    }
    /* The metric is parsed by its names (pt_tier_metric_parse); a release build counts none. */
    (void)PT_NEVER("a tier metric out of its enum");
    return 0;
}

/* "YYYY-MM-01" of month index m (times are years 1970..9999). */
void pt_tier_month_first_day(int64_t m, char out[11])
{
    pt_assert(m >= 0);
    (void)snprintf(out, 11, "%04u-%02u-01", (unsigned)(m / 12 % 10000), (unsigned)(m % 12 + 1));
}

/* The last day of month index m. */
void pt_tier_month_last_day(int64_t m, char out[11])
{
    unsigned day = 31;
    while (!pt_date_is_valid(m / 12, (unsigned)(m % 12 + 1), day)) {
        day--;
    }
    pt_assert(m >= 0);
    (void)snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(m / 12 % 10000), (unsigned)(m % 12 + 1),
                   day % 100);
}

int64_t pt_tier_date_month(const char *date)
{
    int64_t year = 0;
    unsigned month;
    unsigned i;
    for (i = 0; i < 4; i++) {
        year = year * 10 + (date[i] - '0');
    }
    month = (unsigned)((date[5] - '0') * 10 + (date[6] - '0'));
    return pt_tier_month(year, month);
}

enum pt_rc pt_tier_metrics_refused(struct pt_err *err)
{
    (void)pt_err_set(err, PT_ELIMIT, "amount", "the tier metrics would pass their bound");
    return pt_err_code(err, "limit_exceeded");
}

enum pt_rc pt_tier_state_not_found(const char *member_id, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no tier for member %s", member_id);
}
