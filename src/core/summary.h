/* SPDX-License-Identifier: MIT */
/*
 * The program's figures for its dashboard (GET /v1/program/summary; docs/ledger.md, "The
 * program's figures"): the period asked for, cut into the months of the program's time zone as
 * instants the store can compare with its times, and the arithmetic on the sums the store reads
 * (the period's totals, the liability at the point value). Pure: the caller passes the zone,
 * now_ms and the sums; nothing here reads a clock or touches storage.
 *
 * Every figure is an exact integer: the store adds in 128 bits or numeric and refuses a sum
 * that does not fit int64_t (pt_summary_refused); the totals here are checked additions.
 */
#ifndef PT_CORE_SUMMARY_H
#define PT_CORE_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/tz.h"

/* The period of a summary: whole local days from `from` to `to`, both included. */
struct pt_summary_period {
    char from[11];        /* "YYYY-MM-DD", the first local day. */
    char to[11];          /* "YYYY-MM-DD", the last local day (>= from). */
    unsigned month_count; /* Months the period touches, 1..PT_SUMMARY_MONTHS_MAX. */
    char months[PT_SUMMARY_MONTHS_MAX][8]; /* "YYYY-MM" of each, in order. */
    /* Month i of the period is the instants [bounds_ms[i], bounds_ms[i + 1]), Unix ms: the
     * first local instant of the month (of `from` for the first), to that of the next month
     * (of the day after `to` for the last). Strictly increasing. */
    int64_t bounds_ms[PT_SUMMARY_MONTHS_MAX + 1];
};

/*
 * Decides the period from the query's dates (NULL: not given) in the zone tz at now_ms: `to`
 * defaults to today (local), `from` to the first day of the month PT_SUMMARY_MONTHS_DEFAULT - 1
 * months before `to`'s. PT_EINVAL (field from or to) for a date that is not "YYYY-MM-DD" of a
 * real day of years 1970 to 9999, or a `to` before `from`; PT_ELIMIT (limit_exceeded) for a
 * period of more than PT_SUMMARY_MONTHS_MAX months, naming `to` when given, else `from`.
 * OUT: *out, set on PT_OK.
 */
PT_MUSTCHECK enum pt_rc pt_summary_period_make(const struct pt_tz *tz, const char *from,
                                               const char *to, int64_t now_ms,
                                               struct pt_summary_period *out, struct pt_err *err);

/* The first instant of the local day `days` (days since 1970-01-01 in the zone's calendar):
 * its midnight, the first of two when the clocks went back over it, or the end of the gap when
 * they skipped it. */
int64_t pt_summary_day_start_ms(const struct pt_tz *tz, int64_t days);

/* Points moved through the program's accounts in a span of time (docs/ledger.md): what members
 * earned, what returns took back of it, what they spent less what was given back, what
 * expired, and what staff added less what they removed. issued - reversed - redeemed - expired
 * + adjusted is what the outstanding points grew by over the span. */
struct pt_summary_flows {
    int64_t issued;   /* program:issued, its debits: points earned (>= 0). */
    int64_t reversed; /* program:issued, its credits: taken back by returns (>= 0). */
    int64_t redeemed; /* program:redeemed, net: spent less given back. */
    int64_t expired;  /* program:expired, net. */
    int64_t adjusted; /* program:adjusted, negated: added by hand less removed. */
};

/* One month of the period. */
struct pt_summary_month {
    struct pt_summary_flows points;
    int64_t enrolled;  /* Members enrolled. */
    int64_t purchases; /* Purchases that occurred. */
    int64_t revenue;   /* Their amounts less their discounts, minor units. */
};

/* The program's figures (GET /v1/program/summary). */
struct pt_summary {
    int64_t as_of_ms;               /* The instant the figures of "now" are of. */
    int64_t members_total;          /* Members of every status. */
    int64_t members_active;         /* Of them, those with status active. */
    int64_t members_enrolled;       /* Enrolled in the period (the months' sum). */
    struct pt_summary_flows points; /* The period's (the months' sums). */
    int64_t outstanding;            /* The sum of the members' balances now. */
    int64_t pending;                /* Of it, in lots still pending now. */
    int64_t wallet_outstanding;     /* The sum of the members' wallets now, minor units. */
    int64_t liability_amount;       /* outstanding at the point value, minor units. */
    struct pt_summary_month months[PT_SUMMARY_MONTHS_MAX]; /* The period's month_count. */
};

/* Sets the period's figures of s to the sums of its month_count months. PT_ELIMIT
 * (limit_exceeded) when a sum does not fit int64_t. */
PT_MUSTCHECK enum pt_rc pt_summary_totals(struct pt_summary *s, unsigned month_count,
                                          struct pt_err *err);

/* What `outstanding` points are worth at the point value (point_points points are worth
 * point_amount minor units; point_points >= 1, point_amount >= 0): floor(outstanding *
 * point_amount / point_points), towards minus infinity for a negative outstanding (debts).
 * PT_ELIMIT when it does not fit int64_t. */
PT_MUSTCHECK enum pt_rc pt_summary_liability(int64_t outstanding, int64_t point_amount,
                                             int64_t point_points, int64_t *amount,
                                             struct pt_err *err);

/* The refusal of a figure past int64_t (PT_ELIMIT, limit_exceeded): `what` names it; the store
 * reports it when a sum does not fit. */
PT_MUSTCHECK enum pt_rc pt_summary_refused(const char *what, struct pt_err *err);

#endif
