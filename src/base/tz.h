/* SPDX-License-Identifier: MIT */
/*
 * Time zones by IANA name ("Europe/Berlin"), read from the system's zoneinfo files (TZif,
 * RFC 8536; Debian's tzdata), so that rules can speak of a program's local weekday, hour and
 * date. A zone is loaded once and then converts instants without I/O or locks: the file's
 * transitions for the past, its POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3") for later times.
 */
#ifndef PT_BASE_TZ_H
#define PT_BASE_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define PT_TZ_NAME_BYTES_MAX 64
#define PT_TZ_TRANSITIONS_MAX 2000

/* A POSIX TZ rule date: Mm.w.d (month, week 1-5 with 5 = last, weekday 0 = Sunday) or Jn/n. */
struct pt_tz_rule_date {
    char kind; /* 'M', 'J' (1..365, no 29 February) or 'D' (0..365) */
    int month, week, weekday, day;
    int64_t time_s; /* Local time of day of the change (may be negative or past 24 h). */
};

struct pt_tz {
    char name[PT_TZ_NAME_BYTES_MAX + 1];
    unsigned count;                          /* Transitions of the file. */
    int64_t at_s[PT_TZ_TRANSITIONS_MAX];     /* UTC seconds, ascending. */
    int32_t offset_s[PT_TZ_TRANSITIONS_MAX]; /* UTC offset from each transition on. */
    int32_t first_offset_s;                  /* Before the first transition. */
    bool has_rule;                           /* The footer rule, for later times. */
    int32_t std_offset_s;                    /* East-positive (CET: +3600). */
    int32_t dst_offset_s;
    bool has_dst;
    struct pt_tz_rule_date dst_start, dst_end;
};

/*
 * Loads the zone name ("UTC", "Europe/Berlin"). PT_EINVAL (field "time_zone") for a name
 * that is not a zone of the system's tzdata or a malformed file.
 */
PT_MUSTCHECK enum pt_rc pt_tz_load(const char *name, struct pt_tz *out, struct pt_err *err);

/* The zone's UTC offset, in seconds east, at the instant at_ms. */
int32_t pt_tz_offset_s(const struct pt_tz *tz, int64_t at_ms);

/* The local day (days since 1970-01-01 in the zone's calendar, floored) of the instant at_ms. */
int64_t pt_tz_local_day(const struct pt_tz *tz, int64_t at_ms);

#endif
