/* SPDX-License-Identifier: MIT */
/* Time zones from the system's zoneinfo files (see tz.h). */
#include "base/tz.h"

#include "base/alloc.h"
#include "base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define TZIF_BYTES_MAX (512 * 1024)
#define DAY_S 86400

/* ---- Calendar ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era;
    int64_t yoe;
    int64_t doy;
    int64_t doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t year_of_days(int64_t z)
{
    int64_t era;
    int64_t doe;
    int64_t yoe;
    int64_t doy;
    int64_t mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    return yoe + era * 400 + (mp >= 10);
}

static bool is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* The day (days since the epoch) a rule date falls on in year y. */
static int64_t rule_day(int64_t y, const struct pt_tz_rule_date *r)
{
    if (r->kind == 'J') {
        /* 1..365, 29 February never counted. */
        int64_t n = r->day - 1 + (is_leap(y) && r->day >= 60 ? 1 : 0);
        return days_from_civil(y, 1, 1) + n;
    }
    if (r->kind == 'D') {
        return days_from_civil(y, 1, 1) + r->day;
    }
    {
        int64_t first = days_from_civil(y, r->month, 1);
        int first_wd = (int)(((first % 7) + 11) % 7); /* 0 = Sunday; the epoch was a Thursday */
        int day = 1 + (r->weekday - first_wd + 7) % 7 + (r->week - 1) * 7;
        while (day > days_in_month(y, r->month)) {
            day -= 7;
        }
        return first + day - 1;
    }
}

/* ---- The POSIX TZ rule of the file's footer ---- */

static const char *parse_name(const char *p)
{
    if (*p == '<') {
        const char *end = strchr(p, '>');
        return end != NULL ? end + 1 : NULL;
    }
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
        p++;
    }
    return p;
}

/* [+-]hh[:mm[:ss]] into seconds (the sign as written). */
static const char *parse_hms(const char *p, int64_t *out)
{
    int sign = 1;
    int64_t parts[3] = {0, 0, 0};
    int i;
    if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    for (i = 0; i < 3; i++) {
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 3) {
            parts[i] = parts[i] * 10 + (*p - '0');
            p++;
            digits++;
        }
        if (digits == 0) {
            return NULL;
        }
        if (*p != ':' || i == 2) {
            break;
        }
        p++;
    }
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return p;
}

static const char *parse_int(const char *p, int *out)
{
    int v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) {
        v = v * 10 + (*p - '0');
        p++;
        digits++;
    }
    *out = v;
    return digits > 0 ? p : NULL;
}

static const char *parse_rule_date(const char *p, struct pt_tz_rule_date *r)
{
    memset(r, 0, sizeof(*r));
    r->time_s = 7200; /* 02:00 unless given */
    if (*p == 'M') {
        r->kind = 'M';
        p = parse_int(p + 1, &r->month);
        if (p == NULL || *p != '.' || (p = parse_int(p + 1, &r->week)) == NULL || *p != '.' ||
            (p = parse_int(p + 1, &r->weekday)) == NULL) {
            return NULL;
        }
        if (r->month < 1 || r->month > 12 || r->week < 1 || r->week > 5 || r->weekday > 6) {
            return NULL;
        }
    } else if (*p == 'J') {
        r->kind = 'J';
        p = parse_int(p + 1, &r->day);
        if (p == NULL || r->day < 1 || r->day > 365) {
            return NULL;
        }
    } else {
        r->kind = 'D';
        p = parse_int(p, &r->day);
        if (p == NULL || r->day > 365) {
            return NULL;
        }
    }
    if (*p == '/') {
        p = parse_hms(p + 1, &r->time_s);
    }
    return p;
}

static bool parse_rule(const char *s, struct pt_tz *tz)
{
    int64_t std;
    int64_t dst;
    const char *p = parse_name(s);
    if (p == NULL || p == s || (p = parse_hms(p, &std)) == NULL) {
        return false;
    }
    tz->std_offset_s = (int32_t)-std; /* POSIX offsets are west-positive. */
    tz->dst_offset_s = tz->std_offset_s;
    if (*p == '\0') {
        return true;
    }
    {
        const char *q = parse_name(p);
        if (q == NULL || q == p) {
            return false;
        }
        p = q;
    }
    tz->has_dst = true;
    tz->dst_offset_s = tz->std_offset_s + 3600;
    if (*p != ',' && *p != '\0') {
        if ((p = parse_hms(p, &dst)) == NULL) {
            return false;
        }
        tz->dst_offset_s = (int32_t)-dst;
    }
    if (*p != ',') {
        /* No change dates: keep standard time (no file of tzdata does this). */
        tz->has_dst = false;
        return *p == '\0';
    }
    p = parse_rule_date(p + 1, &tz->dst_start);
    if (p == NULL || *p != ',') {
        return false;
    }
    p = parse_rule_date(p + 1, &tz->dst_end);
    return p != NULL && *p == '\0';
}

static int32_t rule_offset(const struct pt_tz *tz, int64_t t)
{
    int64_t y;
    int64_t start;
    int64_t end;
    if (!tz->has_dst) {
        return tz->std_offset_s;
    }
    y = year_of_days((t + tz->std_offset_s) / DAY_S - ((t + tz->std_offset_s) % DAY_S < 0));
    start = rule_day(y, &tz->dst_start) * DAY_S + tz->dst_start.time_s - tz->std_offset_s;
    end = rule_day(y, &tz->dst_end) * DAY_S + tz->dst_end.time_s - tz->dst_offset_s;
    if (start < end) {
        return t >= start && t < end ? tz->dst_offset_s : tz->std_offset_s;
    }
    return t >= end && t < start ? tz->std_offset_s : tz->dst_offset_s; /* southern */
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);
    size_t i;
    if (n == 0 || n > PT_TZ_NAME_BYTES_MAX || name[0] == '/' || strstr(name, "..") != NULL) {
        return false;
    }
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+')) {
            return false;
        }
    }
    return true;
}

static bool parse_tzif(const unsigned char *b, size_t len, struct pt_tz *tz)
{
    size_t off = 0;
    uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
    size_t block;
    size_t i;
    const unsigned char *times;
    const unsigned char *idx;
    const unsigned char *types;
    if (len < 44 || memcmp(b, "TZif", 4) != 0 || b[4] < '2') {
        return false; /* Version 2+ (64-bit times and a footer): every tzdata file since 2005. */
    }
#define COUNTS(at)                                                                                 \
    isut = be32(b + (at) + 20);                                                                    \
    isstd = be32(b + (at) + 24);                                                                   \
    leap = be32(b + (at) + 28);                                                                    \
    timecnt = be32(b + (at) + 32);                                                                 \
    typecnt = be32(b + (at) + 36);                                                                 \
    charcnt = be32(b + (at) + 40)
    COUNTS(0);
    block = (size_t)timecnt * 5 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 8 + isstd + isut;
    off = 44 + block;
    if (off + 44 > len || memcmp(b + off, "TZif", 4) != 0) {
        return false;
    }
    COUNTS(off);
#undef COUNTS
    if (timecnt > PT_TZ_TRANSITIONS_MAX || typecnt == 0 || typecnt > 256) {
        return false;
    }
    off += 44;
    block = (size_t)timecnt * 9 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 12 + isstd + isut;
    if (off + block > len) {
        return false;
    }
    times = b + off;
    idx = times + (size_t)timecnt * 8;
    types = idx + timecnt;
    tz->count = timecnt;
    tz->first_offset_s = (int32_t)be32(types);
    for (i = 0; i < timecnt; i++) {
        if (idx[i] >= typecnt || (i > 0 && be64(times + i * 8) <= tz->at_s[i - 1])) {
            return false;
        }
        tz->at_s[i] = be64(times + i * 8);
        tz->offset_s[i] = (int32_t)be32(types + (size_t)idx[i] * 6);
    }
    off += block;
    /* The footer: "\n<POSIX TZ>\n", possibly empty. */
    if (off < len && b[off] == '\n') {
        const unsigned char *nl = memchr(b + off + 1, '\n', len - off - 1);
        char rule[128];
        size_t n = nl != NULL ? (size_t)(nl - (b + off + 1)) : 0;
        if (nl != NULL && n > 0 && n < sizeof(rule)) {
            memcpy(rule, b + off + 1, n);
            rule[n] = '\0';
            tz->has_rule = parse_rule(rule, tz);
            if (!tz->has_rule) {
                return false;
            }
        }
    }
    return true;
}

enum pt_rc pt_tz_load(const char *name, struct pt_tz *out, struct pt_err *err)
{
    char path[sizeof(ZONEINFO_DIR) + PT_TZ_NAME_BYTES_MAX + 1];
    unsigned char *buf;
    size_t len = 0;
    int fd;
    bool ok;
    memset(out, 0, sizeof(*out));
    if (name == NULL || !name_ok(name)) {
        return pt_err_set(err, PT_EINVAL, "time_zone",
                          "time_zone is an IANA zone name like Europe/Berlin");
    }
    (void)snprintf(out->name, sizeof(out->name), "%s", name);
    if (strcmp(name, "UTC") == 0) {
        return PT_OK; /* No file needed: offset 0, always. */
    }
    (void)snprintf(path, sizeof(path), "%s%s", ZONEINFO_DIR, name);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return pt_err_set(err, PT_EINVAL, "time_zone", "%s is not a time zone of this system",
                          name);
    }
    buf = pt_malloc(TZIF_BYTES_MAX);
    if (buf == NULL) {
        (void)close(fd);
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    while (len < TZIF_BYTES_MAX) {
        ssize_t n = read(fd, buf + len, TZIF_BYTES_MAX - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    (void)close(fd);
    ok = parse_tzif(buf, len, out);
    pt_free(buf);
    if (!ok) {
        return pt_err_set(err, PT_EINVAL, "time_zone", "%s is not a time zone file", name);
    }
    return PT_OK;
}

int32_t pt_tz_offset_s(const struct pt_tz *tz, int64_t at_ms)
{
    int64_t t = at_ms >= 0 ? at_ms / 1000 : (at_ms - 999) / 1000;
    unsigned lo = 0;
    unsigned hi = tz->count;
    if (tz->count == 0 || t >= tz->at_s[tz->count - 1]) {
        if (tz->has_rule) {
            return rule_offset(tz, t);
        }
        return tz->count == 0 ? tz->first_offset_s : tz->offset_s[tz->count - 1];
    }
    if (t < tz->at_s[0]) {
        return tz->first_offset_s;
    }
    /* The last transition at or before t. */
    while (hi - lo > 1) {
        unsigned mid = lo + (hi - lo) / 2;
        if (tz->at_s[mid] <= t) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return tz->offset_s[lo];
}

int64_t pt_tz_local_day(const struct pt_tz *tz, int64_t at_ms)
{
    int64_t local_ms = at_ms + (int64_t)pt_tz_offset_s(tz, at_ms) * 1000;
    return local_ms >= 0 ? local_ms / PT_DAY_MS : -((-local_ms + PT_DAY_MS - 1) / PT_DAY_MS);
}
