/* SPDX-License-Identifier: MIT */
/* JSON line logging on stderr. */
#include "base/log.h"

#include "base/clock.h"
#include "base/limits.h"

#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when s does not start one. */
static size_t utf8_sequence_bytes(const unsigned char *s, size_t n)
{
    size_t len;
    size_t i;
    unsigned cp;
    if (s[0] < 0xc2 || s[0] > 0xf4) {
        return 0; /* ASCII is handled by the caller; 0x80..0xc1 never start a sequence. */
    }
    len = s[0] < 0xe0 ? 2 : (s[0] < 0xf0 ? 3 : 4);
    if (n < len) {
        return 0;
    }
    cp = s[0] & (0x7f >> len);
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and code points past U+10FFFF are not UTF-8. */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

void pt_log_escape(const char *s, size_t n, char *out, size_t out_bytes)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    size_t i = 0;
    /* Every byte becomes at most 6 output bytes ("\u00XX", "\ufffd"); keep room for the NUL. */
    while (i < n && o + 7 < out_bytes) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            int w = snprintf(out + o, out_bytes - o, "\\u%04x", c);
            o += (size_t)(w > 0 ? w : 0);
            i++;
        } else if (c < 0x80) {
            out[o++] = (char)c;
            i++;
        } else {
            /* A log line must stay valid UTF-8 whatever bytes a client sent: valid sequences
             * are kept whole (or dropped whole when out is full), other bytes become U+FFFD. */
            size_t len = utf8_sequence_bytes(u + i, n - i);
            if (len == 0) {
                memcpy(out + o, "\\ufffd", 6);
                o += 6;
                i++;
            } else if (o + len + 1 < out_bytes) {
                memcpy(out + o, u + i, len);
                o += len;
                i += len;
            } else {
                break;
            }
        }
    }
    out[o] = '\0';
}

void pt_log_line(const char *json_object)
{
    /* flockfile makes the two writes one line even with many threads logging. */
    flockfile(stderr);
    (void)fputs(json_object, stderr);
    (void)fputc('\n', stderr);
    funlockfile(stderr);
}

void pt_log(const char *level, const char *msg, const char *extra_json)
{
    char ts[32];
    char esc[512];
    char line[PT_LOG_LINE_BYTES_MAX];
    int n;
    pt_time_format_rfc3339(pt_clock_now_ms(), ts, sizeof(ts));
    pt_log_escape(msg, strlen(msg), esc, sizeof(esc));
    n = snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"%s}", ts, level,
                 esc, extra_json ? extra_json : "");
    if (n < 0 || (size_t)n >= sizeof(line)) {
        /* A truncated line would not be JSON: drop the extra fields and say so. */
        (void)snprintf(line, sizeof(line),
                       "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\",\"truncated\":true}", ts,
                       level, esc);
    }
    pt_log_line(line);
}
