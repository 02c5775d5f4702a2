/* SPDX-License-Identifier: MIT */
/*
 * Logging: one JSON object per line on stderr. Callers pass fields already JSON-escaped by
 * pt_log_escape, or plain numbers. Never a secret or a full request body. Thread-safe: each
 * line is written with one fputs on the locked stderr stream.
 */
#ifndef PT_BASE_LOG_H
#define PT_BASE_LOG_H

#include <stddef.h>

/* Writes {"ts":...,"level":level,"msg":msg} plus extra_json (",\"k\":v..." or "") as one line. */
void pt_log(const char *level, const char *msg, const char *extra_json);

/* Writes an already-formatted JSON object as one line (adds the newline). */
void pt_log_line(const char *json_object);

/* Copies s (n bytes) into out as the inside of a JSON string: quotes, backslashes and control
 * characters escaped, invalid UTF-8 replaced by U+FFFD; truncates (between characters) to fit
 * out_bytes. Every string a log line holds goes through it. */
void pt_log_escape(const char *s, size_t n, char *out, size_t out_bytes);

#endif
