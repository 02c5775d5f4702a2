/* SPDX-License-Identifier: MIT */
/*
 * The one clock. Only this module reads the system time; everything else receives now_ms.
 * Also formats and parses RFC 3339 UTC timestamps and calendar dates, which are pure.
 */
#ifndef PT_BASE_CLOCK_H
#define PT_BASE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Milliseconds in a day (UTC days; a program's local days come from its time zone, base/tz.h). */
#define PT_DAY_MS (24LL * 3600 * 1000)

/* Wall-clock time, Unix milliseconds UTC. */
int64_t pt_clock_now_ms(void);

/* Monotonic time in microseconds, for durations only. */
int64_t pt_clock_mono_us(void);

/* Sleeps ms milliseconds (background work backing off; never a request thread). */
void pt_sleep_ms(int64_t ms);

/* Writes "2026-11-23T08:31:33Z" (or with ".123Z" when ms is not whole) into out (>= 25 bytes). */
void pt_time_format_rfc3339(int64_t at_ms, char *out, size_t out_bytes);

/*
 * Parses an RFC 3339 timestamp ("2026-11-23T08:31:33Z", fractions of a second up to
 * milliseconds, or an offset "+02:00") into Unix ms. Returns false when malformed, or when the
 * time is outside [PT_TIME_INPUT_MIN_MS, PT_TIME_INPUT_MAX_MS] (1970 to the end of 9999): every
 * time a client sends passes here, so none is negative. *at_ms is unchanged on false.
 */
bool pt_time_parse_rfc3339(const char *s, int64_t *at_ms);

/* Days since 1970-01-01 of a proleptic Gregorian date; the date must be valid. */
int64_t pt_days_from_civil(int64_t year, unsigned month, unsigned day);

/* Returns true when year-month-day is a real calendar date (leap years included). */
bool pt_date_is_valid(int64_t year, unsigned month, unsigned day);

/* Converts Unix ms to the civil date in UTC. */
void pt_civil_from_ms(int64_t at_ms, int64_t *year, unsigned *month, unsigned *day);

#endif
