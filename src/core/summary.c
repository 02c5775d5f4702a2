/* SPDX-License-Identifier: MIT */
/*
 * The program's figures: the period's months in the program's time zone and the arithmetic on
 * the store's sums (core/summary.h). Dates are days since 1970-01-01 in the zone's calendar and
 * months are indexes year * 12 + month - 1, so that the period is integer arithmetic; only the
 * month bounds are turned into instants, each through the zone's offsets around it.
 */
#include "core/summary.h"

#include "base/assert.h"
#include "base/clock.h"

#include <stdio.h>
#include <string.h>

__extension__ typedef __int128 wide_int;

/* The first day of 1970 and the last of 9999: dates the API takes (PT_TIME_INPUT_*_MS). */
#define FIRST_YEAR 1970
#define LAST_YEAR 9999

/* ---- Days and months ---- */

/* floor(a / b) for b > 0. */
static int64_t div_floor(int64_t a, int64_t b)
{
    pt_assert(b > 0);
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The local day (since 1970-01-01 in the zone's calendar) of the instant at_ms. */
static int64_t local_day(const struct pt_tz *tz, int64_t at_ms)
{
    return div_floor(at_ms + (int64_t)pt_tz_offset_s(tz, at_ms) * 1000, PT_DAY_MS);
}

/* The month index (year * 12 + month - 1) of the day `days`. */
static int64_t day_month(int64_t days)
{
    int64_t year;
    unsigned month;
    unsigned day;
    pt_civil_from_ms(days * PT_DAY_MS, &year, &month, &day);
    return year * 12 + (int64_t)month - 1;
}

/* The first day of the month index m. */
static int64_t month_first_day(int64_t m)
{
    pt_assert(m >= FIRST_YEAR * 12 && m <= LAST_YEAR * 12 + 11);
    return pt_days_from_civil(m / 12, (unsigned)(m % 12) + 1, 1);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A date "YYYY-MM-DD" of a real day of years FIRST_YEAR..LAST_YEAR. OUT: *days. */
static bool date_parse(const char *s, int64_t *days)
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
    if (year < FIRST_YEAR || !pt_date_is_valid(year, month, day)) {
        return false;
    }
    *days = pt_days_from_civil(year, month, day);
    return true;
}

static void date_format(int64_t days, char out[11])
{
    int64_t year;
    unsigned month;
    unsigned day;
    pt_civil_from_ms(days * PT_DAY_MS, &year, &month, &day);
    (void)snprintf(out, 11, "%04lld-%02u-%02u", (long long)year, month, day);
}

/* "YYYY-MM" of the month index m (years FIRST_YEAR..LAST_YEAR) into out[8]. */
static void month_label(int64_t m, char out[8])
{
    char text[32];
    int n =
        snprintf(text, sizeof(text), "%04lld-%02u", (long long)(m / 12), (unsigned)(m % 12) + 1);
    pt_assert(n == 7);
    memcpy(out, text, 8);
}

/* ---- Local days as instants ---- */

/* The local wall-clock time of the instant at_ms, as ms since 1970-01-01T00:00 local. */
static int64_t local_ms(const struct pt_tz *tz, int64_t at_ms)
{
    return at_ms + (int64_t)pt_tz_offset_s(tz, at_ms) * 1000;
}

int64_t pt_summary_day_start_ms(const struct pt_tz *tz, int64_t days)
{
    /* The offsets a day before and after the wall-clock midnight (read as an instant: off by
     * at most the offset, far less than a day) are those on either side of any change of the
     * clocks near it. Each gives the instant that midnight would be under it; the first of
     * those that is midnight indeed is the answer. */
    int64_t midnight = days * PT_DAY_MS;
    int64_t a = midnight - (int64_t)pt_tz_offset_s(tz, midnight - PT_DAY_MS) * 1000;
    int64_t b = midnight - (int64_t)pt_tz_offset_s(tz, midnight + PT_DAY_MS) * 1000;
    int64_t lo = a < b ? a : b;
    int64_t hi = a < b ? b : a;
    if (local_ms(tz, lo) == midnight) {
        return lo; /* The usual case, and the first midnight when the clocks went back. */
    }
    if (local_ms(tz, hi) == midnight) {
        return hi;
    }
    /* The clocks skipped midnight: the day starts at the change, the first instant whose local
     * time is past midnight. local_ms is increasing over the gap [lo, hi]: bisect it. */
    pt_assert(local_ms(tz, lo) < midnight);
    pt_assert(local_ms(tz, hi) > midnight);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (local_ms(tz, mid) >= midnight) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    return hi;
}

/* ---- The period ---- */

/* The days of the period (*from_days, *to_days) from the query's dates or their defaults. */
static enum pt_rc period_days(const struct pt_tz *tz, const char *from, const char *to,
                              int64_t now_ms, int64_t *from_days, int64_t *to_days,
                              struct pt_err *err)
{
    static const char date_msg[] = "%s must be a date YYYY-MM-DD (years 1970 to 9999)";
    if (to != NULL && !date_parse(to, to_days)) {
        return pt_err_set(err, PT_EINVAL, "to", date_msg, "to");
    }
    if (from != NULL && !date_parse(from, from_days)) {
        return pt_err_set(err, PT_EINVAL, "from", date_msg, "from");
    }
    if (to == NULL) {
        *to_days = local_day(tz, now_ms);
    }
    if (from == NULL) {
        int64_t m = day_month(*to_days) - (PT_SUMMARY_MONTHS_DEFAULT - 1);
        *from_days = month_first_day(m > FIRST_YEAR * 12 ? m : FIRST_YEAR * 12);
    }
    if (*from_days > *to_days) {
        char today[11];
        if (to != NULL) {
            return pt_err_set(err, PT_EINVAL, "to", "to must not be before from");
        }
        date_format(*to_days, today);
        return pt_err_set(err, PT_EINVAL, "from",
                          "from must not be after today (%s in the program's time zone)", today);
    }
    return PT_OK;
}

enum pt_rc pt_summary_period_make(const struct pt_tz *tz, const char *from, const char *to,
                                  int64_t now_ms, struct pt_summary_period *out, struct pt_err *err)
{
    int64_t from_days = 0;
    int64_t to_days = 0;
    int64_t first;
    int64_t count;
    unsigned i;
    enum pt_rc rc = period_days(tz, from, to, now_ms, &from_days, &to_days, err);
    if (rc != PT_OK) {
        return rc;
    }
    first = day_month(from_days);
    count = day_month(to_days) - first + 1;
    pt_assert(count >= 1);
    if (count > PT_SUMMARY_MONTHS_MAX) {
        return pt_err_set(err, PT_ELIMIT, to != NULL ? "to" : "from",
                          "the period covers %lld months; at most %d months (from the month of "
                          "from to the month of to)",
                          (long long)count, PT_SUMMARY_MONTHS_MAX);
    }
    memset(out, 0, sizeof(*out));
    date_format(from_days, out->from);
    date_format(to_days, out->to);
    out->month_count = (unsigned)count;
    for (i = 0; i < out->month_count; i++) {
        int64_t m = first + i;
        int64_t day = i == 0 ? from_days : month_first_day(m);
        month_label(m, out->months[i]);
        out->bounds_ms[i] = pt_summary_day_start_ms(tz, day);
        pt_assert(i == 0 || out->bounds_ms[i] > out->bounds_ms[i - 1]);
    }
    out->bounds_ms[count] = pt_summary_day_start_ms(tz, to_days + 1);
    pt_assert(out->bounds_ms[count] > out->bounds_ms[count - 1]);
    return PT_OK;
}

/* ---- Figures ---- */

enum pt_rc pt_summary_refused(const char *what, struct pt_err *err)
{
    return pt_err_set(err, PT_ELIMIT, NULL,
                      "the program's %s pass 9223372036854775807, more than this answer carries",
                      what);
}

static bool add(int64_t *sum, int64_t v)
{
    return !__builtin_add_overflow(*sum, v, sum);
}

static bool flows_add(struct pt_summary_flows *sum, const struct pt_summary_flows *f)
{
    return add(&sum->issued, f->issued) && add(&sum->reversed, f->reversed) &&
           add(&sum->redeemed, f->redeemed) && add(&sum->expired, f->expired) &&
           add(&sum->adjusted, f->adjusted);
}

enum pt_rc pt_summary_totals(struct pt_summary *s, unsigned month_count, struct pt_err *err)
{
    unsigned i;
    pt_assert(month_count >= 1 && month_count <= PT_SUMMARY_MONTHS_MAX);
    memset(&s->points, 0, sizeof(s->points));
    s->members_enrolled = 0;
    for (i = 0; i < month_count; i++) {
        const struct pt_summary_month *m = &s->months[i];
        pt_assert(m->enrolled >= 0 && m->purchases >= 0);
        if (!flows_add(&s->points, &m->points)) {
            return pt_summary_refused("points of the period", err);
        }
        if (!add(&s->members_enrolled, m->enrolled)) {
            return pt_summary_refused("members enrolled", err);
        }
    }
    return PT_OK;
}

enum pt_rc pt_summary_liability(int64_t outstanding, int64_t point_amount, int64_t point_points,
                                int64_t *amount, struct pt_err *err)
{
    wide_int d = point_points;
    wide_int p = (wide_int)outstanding * point_amount; /* |p| < 2^63 * 2^30: no overflow. */
    wide_int q;
    pt_assert(point_points >= 1 && point_points <= PT_POINT_VALUE_MAX);
    pt_assert(point_amount >= 0 && point_amount <= PT_POINT_VALUE_MAX);
    q = p >= 0 ? p / d : -((-p + d - 1) / d);
    if (q > INT64_MAX || q < INT64_MIN) {
        return pt_summary_refused("liability", err);
    }
    *amount = (int64_t)q;
    return PT_OK;
}
