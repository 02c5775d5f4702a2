/* SPDX-License-Identifier: MIT */
/*
 * The HTTP/1.1 wire format (RFC 9112): request heads, targets and chunked bodies (wire.h).
 * Every refusal is one of the static errors below, answered by the server as JSON.
 */
#include "http/wire.h"

#include <string.h>
#include <strings.h>

static const struct pt_wire_error err_not_http = {
    400, "malformed_request", "this is not an HTTP/1.1 request (is it TLS on a plain port?)"};
static const struct pt_wire_error err_bare_lf = {400, "malformed_request",
                                                 "lines must end with CRLF"};
static const struct pt_wire_error err_request_line = {
    400, "malformed_request", "the request line must be 'METHOD /path HTTP/1.1'"};
static const struct pt_wire_error err_method_long = {501, "not_implemented",
                                                     "no method of this API is that long"};
static const struct pt_wire_error err_target = {
    400, "malformed_request",
    "the request target must be a path starting with '/', in visible ASCII"};
static const struct pt_wire_error err_uri_long = {414, "uri_too_long",
                                                  "the request target is over 8 KiB"};
static const struct pt_wire_error err_version = {505, "http_version_not_supported",
                                                 "send HTTP/1.1 (or HTTP/1.0)"};
static const struct pt_wire_error err_head_large = {
    431, "headers_too_large", "the request headers are over 16 KiB or 100 fields"};
static const struct pt_wire_error err_field = {
    400, "malformed_request",
    "a header field is malformed (a name that is not a token, whitespace before the colon, a "
    "folded line, or a control character in a value)"};
static const struct pt_wire_error err_lengths = {400, "malformed_request",
                                                 "send one Content-Length header"};
static const struct pt_wire_error err_length = {400, "malformed_request",
                                                "Content-Length must be a decimal number of bytes"};
static const struct pt_wire_error err_encoding = {
    400, "malformed_request", "the only Transfer-Encoding accepted is a single 'chunked'"};
static const struct pt_wire_error err_both = {
    400, "malformed_request", "send either Content-Length or Transfer-Encoding, not both"};
static const struct pt_wire_error err_encoding_10 = {
    400, "malformed_request", "HTTP/1.0 has no Transfer-Encoding; send Content-Length"};
static const struct pt_wire_error err_host = {400, "malformed_request",
                                              "an HTTP/1.1 request has exactly one Host header"};
static const struct pt_wire_error err_expect = {
    417, "expectation_failed", "the only expectation Patron meets is '100-continue'"};
static const struct pt_wire_error err_chunked = {
    400, "malformed_request", "the chunked body is malformed (RFC 9112 section 7.1)"};

/* RFC 9110 section 5.6.2: tchar. */
static bool is_tchar(unsigned char c)
{
    static const char others[] = "!#$%&'*+-.^_`|~";
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr(others, c) != NULL);
}

/* RFC 9110 section 5.5: field-value bytes (VCHAR, obs-text, SP, HTAB). */
static bool is_value_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static enum pt_wire_result fail(struct pt_wire_error *error, const struct pt_wire_error *why)
{
    *error = *why;
    return PT_WIRE_ERROR;
}

/* Parses the request line [s, e) (e at its CR) into head; NUL-terminates its parts. */
static const struct pt_wire_error *request_line(char *s, char *e, struct pt_wire_head *head)
{
    char *p = s;
    char *target;
    char *version;
    while (p < e && is_tchar((unsigned char)*p)) {
        p++;
    }
    if (p == s || p == e || *p != ' ') {
        return &err_request_line;
    }
    if (p - s > PT_WIRE_METHOD_BYTES_MAX) {
        return &err_method_long;
    }
    *p++ = '\0';
    head->method = s;
    target = p;
    while (p < e && *p != ' ') {
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
            return (unsigned char)*p == '\t' ? &err_request_line : &err_target;
        }
        p++;
    }
    if (p == target || p == e) {
        return &err_request_line;
    }
    if ((size_t)(p - target) > PT_HTTP_URI_BYTES_MAX) {
        return &err_uri_long;
    }
    if (target[0] != '/') {
        return &err_target; /* absolute-form, authority-form and "*" serve no route here. */
    }
    head->target = target;
    head->target_len = (size_t)(p - target);
    *p++ = '\0';
    version = p;
    if (e - version != 8 || memcmp(version, "HTTP/", 5) != 0 || version[5] < '0' ||
        version[5] > '9' || version[6] != '.' || version[7] < '0' || version[7] > '9') {
        return &err_request_line;
    }
    if (version[5] != '1' || version[7] > '1') {
        return &err_version;
    }
    head->minor = (unsigned)(version[7] - '0');
    *e = '\0';
    return NULL;
}

/* Parses the field line [s, e) (e at its CR) into head; NUL-terminates name and value. */
static const struct pt_wire_error *field_line(char *s, char *e, struct pt_wire_head *head)
{
    char *p = s;
    char *value;
    char *end;
    struct pt_wire_field *f;
    while (p < e && is_tchar((unsigned char)*p)) {
        p++;
    }
    if (p == s || p == e || *p != ':') {
        return &err_field; /* Folded line, blank before the colon, or no colon. */
    }
    if (head->field_count == PT_HTTP_HEADER_FIELDS_MAX) {
        return &err_head_large;
    }
    *p++ = '\0';
    while (p < e && is_blank(*p)) {
        p++;
    }
    value = p;
    for (; p < e; p++) {
        if (!is_value_byte((unsigned char)*p)) {
            return &err_field; /* NUL, bare CR, other controls, DEL. */
        }
    }
    end = e;
    while (end > value && is_blank(end[-1])) {
        end--;
    }
    *end = '\0';
    f = &head->fields[head->field_count++];
    f->name = s;
    f->value = value;
    f->value_len = (size_t)(end - value);
    return NULL;
}

const char *pt_wire_head_field(const struct pt_wire_head *head, const char *name)
{
    unsigned i;
    for (i = 0; i < head->field_count; i++) {
        if (strcasecmp(head->fields[i].name, name) == 0) {
            return head->fields[i].value;
        }
    }
    return NULL;
}

/* Whether the comma-separated list value holds token (without case), e.g. "close". */
static bool list_has(const char *value, const char *token)
{
    size_t n = strlen(token);
    const char *p = value;
    while (*p != '\0') {
        size_t len;
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        len = strcspn(p, ",");
        while (len > 0 && is_blank(p[len - 1])) {
            len--;
        }
        if (len == n && strncasecmp(p, token, n) == 0) {
            return true;
        }
        p += strcspn(p, ",");
    }
    return false;
}

/* The body's framing and the connection's options, from the parsed fields. */
static const struct pt_wire_error *framing(struct pt_wire_head *head)
{
    unsigned lengths = 0;
    unsigned encodings = 0;
    unsigned hosts = 0;
    bool has_close = false;
    unsigned i;
    head->keep_alive = head->minor == 1;
    for (i = 0; i < head->field_count; i++) {
        const struct pt_wire_field *f = &head->fields[i];
        if (strcasecmp(f->name, "Content-Length") == 0) {
            size_t k;
            uint64_t v = 0;
            if (++lengths > 1) {
                return &err_lengths;
            }
            if (f->value_len == 0 || f->value_len > 18) { /* 18 digits fit int64. */
                return &err_length;
            }
            for (k = 0; k < f->value_len; k++) {
                if (f->value[k] < '0' || f->value[k] > '9') {
                    return &err_length;
                }
                v = v * 10 + (uint64_t)(f->value[k] - '0');
            }
            head->content_length = v;
        } else if (strcasecmp(f->name, "Transfer-Encoding") == 0) {
            if (++encodings > 1 || strcasecmp(f->value, "chunked") != 0) {
                return &err_encoding;
            }
            head->chunked = true;
        } else if (strcasecmp(f->name, "Host") == 0) {
            hosts++;
        } else if (strcasecmp(f->name, "Connection") == 0) {
            if (list_has(f->value, "close")) {
                has_close = true;
            } else if (head->minor == 0 && list_has(f->value, "keep-alive")) {
                head->keep_alive = true;
            }
        } else if (strcasecmp(f->name, "Expect") == 0) {
            if (strcasecmp(f->value, "100-continue") != 0) {
                return &err_expect;
            }
            head->expect_continue = head->minor == 1;
        }
    }
    if (lengths > 0 && encodings > 0) {
        return &err_both;
    }
    if (encodings > 0 && head->minor == 0) {
        return &err_encoding_10;
    }
    if (hosts > 1 || (head->minor == 1 && hosts == 0)) {
        return &err_host;
    }
    if (head->chunked) {
        head->content_length = 0;
    }
    /* close wins over a keep-alive in any field, before or after it (RFC 9112 section 9.3). */
    if (has_close) {
        head->keep_alive = false;
    }
    return NULL;
}

/* Parses a complete head: buf[start, end) holds it, its last four bytes the final CRLF CRLF. */
static enum pt_wire_result head_complete(char *buf, size_t start, size_t end,
                                         struct pt_wire_head *head, struct pt_wire_error *error)
{
    char *line = buf + start;
    char *stop = buf + end - 2; /* The final empty line. */
    char *cr = memchr(line, '\r', (size_t)(stop - line));
    const struct pt_wire_error *why;
    size_t section;
    /* First the size: a head arriving in pieces is 431 once past its bound, before any of its
     * lines is read, so a whole one must be too, whatever its lines say. */
    section = (size_t)(buf + end - (cr + 2));
    if (section > PT_HTTP_HEADERS_BYTES_MAX + 2) {
        return fail(error, &err_head_large);
    }
    /* Every LF was checked to follow a CR while scanning, and no line holds a bare CR unless a
     * value does (refused by field_line): each line ends at its first CR. */
    if (cr[1] != '\n') {
        /* A bare CR in the request line: without this check the byte after it passed for its
         * LF ("HTTP/1.1\rXHost: a" read as two lines), and "GET / HTTP/1.1\r\r\n\r\n" left
         * the field loop below on a line without CR, where memchr gave NULL. */
        return fail(error, &err_request_line);
    }
    why = request_line(line, cr, head);
    if (why != NULL) {
        return fail(error, why);
    }
    line = cr + 2;
    while (line < stop) {
        cr = memchr(line, '\r', (size_t)(stop - line));
        if (cr[1] != '\n') {
            return fail(error, &err_field); /* A bare CR inside a line. */
        }
        why = field_line(line, cr, head);
        if (why != NULL) {
            return fail(error, why);
        }
        line = cr + 2;
    }
    why = framing(head);
    if (why != NULL) {
        return fail(error, why);
    }
    head->head_bytes = end;
    return PT_WIRE_DONE;
}

enum pt_wire_result pt_wire_head_parse(char *buf, size_t len, size_t *scanned,
                                       struct pt_wire_head *head, struct pt_wire_error *error)
{
    size_t start = 0;
    size_t i;
    size_t limit;
    const char *first_lf;
    unsigned empty = 0;
    memset(head, 0, sizeof(*head));
    /* Empty lines before the request line. */
    while (start < len && buf[start] == '\r') {
        if (start + 1 >= len) {
            return PT_WIRE_MORE;
        }
        if (buf[start + 1] != '\n' || ++empty > PT_WIRE_LEADING_EMPTY_LINES_MAX) {
            return fail(error, &err_not_http);
        }
        start += 2;
    }
    if (start == len) {
        return PT_WIRE_MORE;
    }
    if (!is_tchar((unsigned char)buf[start])) {
        return fail(error, buf[start] == '\n' ? &err_bare_lf : &err_not_http);
    }
    first_lf = memchr(buf + start, '\n', len - start);
    if ((first_lf == NULL ? len - start : (size_t)(first_lf - buf) - start) >
        PT_WIRE_REQUEST_LINE_BYTES_MAX) {
        return fail(error, &err_uri_long);
    }
    /* No further than the head's bound: past it the head is 431 whatever follows, as it is when
     * the bytes arrive in pieces and the call that passes the bound never sees the later ones
     * (a bare LF after the bound was 400 whole, 431 in pieces). */
    limit = len - start > PT_WIRE_HEAD_BYTES_MAX ? start + PT_WIRE_HEAD_BYTES_MAX + 1 : len;
    for (i = *scanned > start ? *scanned : start; i < limit; i++) {
        if (buf[i] != '\n') {
            continue;
        }
        if (i == start || buf[i - 1] != '\r') {
            return fail(error, &err_bare_lf);
        }
        if (i >= start + 3 && memcmp(buf + i - 3, "\r\n\r\n", 4) == 0) {
            return head_complete(buf, start, i + 1, head, error);
        }
    }
    *scanned = len;
    if (len - start > PT_WIRE_HEAD_BYTES_MAX) {
        return fail(error, &err_head_large);
    }
    return PT_WIRE_MORE;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool pt_wire_percent_decode(const char *s, size_t n, bool plus_is_space, char *out,
                            size_t out_bytes)
{
    size_t i = 0;
    size_t o = 0;
    while (i < n) {
        char c = s[i];
        if (c == '%') {
            int hi;
            int lo;
            if (n - i < 3) {
                return false; /* "%" or "%4" at the end. */
            }
            hi = hex_value(s[i + 1]);
            lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return false;
            }
            c = (char)(hi * 16 + lo);
            i += 3;
        } else {
            if (c == '+' && plus_is_space) {
                c = ' ';
            } else if (c == '\0') {
                return false;
            }
            i++;
        }
        if (o + 1 >= out_bytes) {
            return false;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

enum chunk_state {
    CH_SIZE = 0, /* Hex digits of a chunk's size. */
    CH_SIZE_BWS, /* Blanks after the size: then ';' and an extension, or the CR. */
    CH_EXT,      /* An extension (';' and what follows), up to the CR. */
    CH_SIZE_LF,  /* The LF ending the size line. */
    CH_DATA,     /* The chunk's bytes. */
    CH_DATA_CR,  /* The CRLF after them. */
    CH_DATA_LF,
    CH_TRAILER, /* The start of a trailer line, or the final CRLF. */
    CH_TRAILER_NAME,
    CH_TRAILER_VALUE,
    CH_TRAILER_LF,
    CH_END_LF, /* The LF of the final CRLF. */
    CH_DONE,   /* The body ended. */
};

/* One byte of a chunk's size line or of the CRLF after its data. NULL, or why it is refused. */
static const struct pt_wire_error *chunk_line_byte(struct pt_wire_chunked *c, unsigned char b)
{
    int v;
    switch (c->state) {
    case CH_SIZE:
        v = hex_value((char)b);
        c->line_bytes++;
        if (v >= 0) {
            if (++c->digits > PT_WIRE_CHUNK_SIZE_DIGITS_MAX) {
                return &err_chunked;
            }
            c->remaining = c->remaining * 16 + (uint64_t)v;
        } else if (c->digits > 0 && b == ';') {
            c->state = CH_EXT;
        } else if (c->digits > 0 && is_blank((char)b)) {
            c->state = CH_SIZE_BWS;
        } else if (c->digits > 0 && b == '\r') {
            c->state = CH_SIZE_LF;
        } else {
            return &err_chunked;
        }
        return NULL;
    case CH_SIZE_BWS:
        /* RFC 9112 section 7.1.1: only an extension may follow the size's blanks; "5 6"
         * read as 5 here and as 56 or an error by a proxy would split the body apart. */
        if (++c->line_bytes > PT_WIRE_CHUNK_LINE_BYTES_MAX ||
            (b != ';' && b != '\r' && !is_blank((char)b))) {
            return &err_chunked;
        }
        c->state = b == ';' ? CH_EXT : b == '\r' ? CH_SIZE_LF : CH_SIZE_BWS;
        return NULL;
    case CH_EXT:
        if (++c->line_bytes > PT_WIRE_CHUNK_LINE_BYTES_MAX || (b != '\r' && !is_value_byte(b))) {
            return &err_chunked;
        }
        c->state = b == '\r' ? CH_SIZE_LF : CH_EXT;
        return NULL;
    case CH_SIZE_LF:
        if (b != '\n') {
            return &err_chunked;
        }
        c->digits = 0;
        c->line_bytes = 0;
        c->state = c->remaining > 0 ? CH_DATA : CH_TRAILER;
        return NULL;
    case CH_DATA_CR:
        c->state = CH_DATA_LF;
        return b == '\r' ? NULL : &err_chunked;
    case CH_DATA_LF:
        c->state = CH_SIZE;
        return b == '\n' ? NULL : &err_chunked;
    default:
        return &err_chunked;
    }
}

/* One byte of the trailer section, which ends the body (CH_DONE). NULL, or why it is refused. */
static const struct pt_wire_error *trailer_byte(struct pt_wire_chunked *c, unsigned char b)
{
    switch (c->state) {
    case CH_TRAILER:
        if (b == '\r') {
            c->state = CH_END_LF;
        } else if (!is_tchar(b)) {
            return &err_chunked;
        } else if (++c->trailer_count > PT_HTTP_HEADER_FIELDS_MAX) {
            return &err_head_large;
        } else {
            c->state = CH_TRAILER_NAME;
        }
        return NULL;
    case CH_TRAILER_NAME:
        if (b != ':' && !is_tchar(b)) {
            return &err_chunked;
        }
        c->state = b == ':' ? CH_TRAILER_VALUE : CH_TRAILER_NAME;
        return NULL;
    case CH_TRAILER_VALUE:
        if (b != '\r' && !is_value_byte(b)) {
            return &err_chunked;
        }
        c->state = b == '\r' ? CH_TRAILER_LF : CH_TRAILER_VALUE;
        return NULL;
    case CH_TRAILER_LF:
        c->state = CH_TRAILER;
        return b == '\n' ? NULL : &err_chunked;
    case CH_END_LF:
        c->state = CH_DONE;
        return b == '\n' ? NULL : &err_chunked;
    default:
        return &err_chunked;
    }
}

enum pt_wire_result pt_wire_chunked_decode(struct pt_wire_chunked *c, char *buf, size_t len,
                                           size_t *used, size_t *data_len,
                                           struct pt_wire_error *error)
{
    size_t i = 0;
    size_t out = 0;
    *used = 0;
    *data_len = 0;
    while (i < len) {
        const struct pt_wire_error *why;
        if (c->state == CH_DATA) {
            size_t n = len - i < c->remaining ? len - i : (size_t)c->remaining;
            memmove(buf + out, buf + i, n);
            out += n;
            i += n;
            c->remaining -= n;
            if (c->remaining == 0) {
                c->state = CH_DATA_CR;
            }
            continue;
        }
        why = c->state < CH_TRAILER ? chunk_line_byte(c, (unsigned char)buf[i])
                                    : trailer_byte(c, (unsigned char)buf[i]);
        i++;
        if (why != NULL) {
            return fail(error, why);
        }
        if (c->state == CH_DONE) {
            *used = i;
            *data_len = out;
            return PT_WIRE_DONE;
        }
        if (c->state >= CH_TRAILER && ++c->trailer_bytes > PT_HTTP_HEADERS_BYTES_MAX) {
            return fail(error, &err_head_large);
        }
    }
    *used = i;
    *data_len = out;
    return PT_WIRE_MORE;
}
