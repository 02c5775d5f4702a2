/* SPDX-License-Identifier: MIT */
/* JSON line logging on stderr. */
#include "base/log.h"

#include "base/clock.h"

#include <stdio.h>
#include <string.h>

void pt_log_escape(const char *s, size_t n, char *out, size_t out_bytes)
{
    size_t o = 0;
    size_t i;
    for (i = 0; i < n && o + 7 < out_bytes; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            int w = snprintf(out + o, out_bytes - o, "\\u%04x", c);
            o += (size_t)(w > 0 ? w : 0);
        } else {
            out[o++] = (char)c;
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
    char line[1024];
    pt_time_format_rfc3339(pt_clock_now_ms(), ts, sizeof(ts));
    pt_log_escape(msg, strlen(msg), esc, sizeof(esc));
    (void)snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"%s}", ts,
                   level, esc, extra_json ? extra_json : "");
    pt_log_line(line);
}
