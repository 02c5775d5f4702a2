/* SPDX-License-Identifier: MIT */
/*
 * Clock and calendar arithmetic. The civil-date conversions are Howard Hinnant's public-domain
 * algorithms, exact for every proleptic Gregorian date in int64 range used here.
 */
#include "base/clock.h"

#include "base/assert.h"
#include "base/limits.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t pt_clock_now_ms(void)
{
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    pt_assert(rc == 0);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pt_clock_mono_us(void)
{
    struct timespec ts;
    int rc = clock_gettime(CLOCK_MONOTONIC, &ts);
    pt_assert(rc == 0);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t pt_days_from_civil(int64_t year, unsigned month, unsigned day)
{
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = month > 2 ? (int64_t)month - 3 : (int64_t)month + 9;
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    pt_assert(month >= 1 && month <= 12);
    return era * 146097 + doe - 719468;
}

bool pt_date_is_valid(int64_t year, unsigned month, unsigned day)
{
    static const unsigned days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned dim;
    bool leap;
    if (month < 1 || month > 12 || day < 1) {
        return false;
    }
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    dim = days_in_month[month - 1] + (month == 2 && leap ? 1u : 0u);
    return day <= dim;
}

void pt_civil_from_ms(int64_t at_ms, int64_t *year, unsigned *month, unsigned *day)
{
    int64_t z = (at_ms >= 0 ? at_ms : at_ms - 86399999) / 86400000 + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (m <= 2 ? 1 : 0);
    *month = (unsigned)m;
    *day = (unsigned)d;
    pt_assert(*month >= 1 && *month <= 12);
}

void pt_time_format_rfc3339(int64_t at_ms, char *out, size_t out_bytes)
{
    int64_t year;
    unsigned month;
    unsigned day;
    int64_t ms_of_day = at_ms % 86400000;
    int64_t s;
    pt_assert(out_bytes >= 25);
    if (ms_of_day < 0) {
        ms_of_day += 86400000;
    }
    pt_civil_from_ms(at_ms, &year, &month, &day);
    s = ms_of_day / 1000;
    if (ms_of_day % 1000 == 0) {
        (void)snprintf(out, out_bytes, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", (long long)year,
                       month, day, (long long)(s / 3600), (long long)(s / 60 % 60),
                       (long long)(s % 60));
    } else {
        (void)snprintf(out, out_bytes, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                       (long long)year, month, day, (long long)(s / 3600), (long long)(s / 60 % 60),
                       (long long)(s % 60), (long long)(ms_of_day % 1000));
    }
}

/* Reads n digits at s into *out; false when one is not a digit. */
static bool read_digits(const char *s, int n, int64_t *out)
{
    int i;
    *out = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        *out = *out * 10 + (s[i] - '0');
    }
    return true;
}

bool pt_time_parse_rfc3339(const char *s, int64_t *at_ms)
{
    int64_t year;
    int64_t month;
    int64_t day;
    int64_t hour;
    int64_t minute;
    int64_t second;
    int64_t ms = 0;
    int64_t offset_min = 0;
    int64_t t;
    const char *p = s + 19;
    if (strlen(s) < 20 || !read_digits(s, 4, &year) || s[4] != '-' ||
        !read_digits(s + 5, 2, &month) || s[7] != '-' || !read_digits(s + 8, 2, &day) ||
        (s[10] != 'T' && s[10] != 't') || !read_digits(s + 11, 2, &hour) || s[13] != ':' ||
        !read_digits(s + 14, 2, &minute) || s[16] != ':' || !read_digits(s + 17, 2, &second)) {
        return false;
    }
    if (!pt_date_is_valid(year, (unsigned)month, (unsigned)day) || hour > 23 || minute > 59 ||
        second > 59) {
        return false;
    }
    if (*p == '.') {
        int digits = 0;
        p++;
        while (*p >= '0' && *p <= '9' && digits < 9) {
            if (digits < 3) {
                ms = ms * 10 + (*p - '0');
            }
            digits++;
            p++;
        }
        if (digits == 0) {
            return false;
        }
        while (digits < 3) {
            ms *= 10;
            digits++;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int64_t oh;
        int64_t om;
        if (!read_digits(p + 1, 2, &oh) || !read_digits(p + 4, 2, &om) || oh > 23 || om > 59) {
            return false;
        }
        offset_min = (*p == '+' ? 1 : -1) * (oh * 60 + om);
        p += 6;
    } else {
        return false;
    }
    if (*p != '\0') {
        return false;
    }
    t = ((pt_days_from_civil(year, (unsigned)month, (unsigned)day) * 24 + hour) * 60 + minute -
         offset_min) *
            60000 +
        second * 1000 + ms;
    /* Outside the range is refused like a malformed time: no caller sees a negative time. */
    if (t < PT_TIME_INPUT_MIN_MS || t > PT_TIME_INPUT_MAX_MS) {
        return false;
    }
    *at_ms = t;
    return true;
}

void pt_sleep_ms(int64_t ms)
{
    struct timespec t;
    t.tv_sec = (time_t)(ms / 1000);
    t.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&t, &t) != 0) {
        /* Interrupted by a signal: sleep the rest. */
    }
}
