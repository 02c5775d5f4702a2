/* SPDX-License-Identifier: MIT */
/*
 * The HTTP/1.1 wire format (RFC 9112) as Patron reads it: request heads, request targets and
 * chunked bodies. Pure functions over bytes, no I/O, so that every refusal is decided here, in
 * one place, and answered by the server as the API's JSON error (docs/security.md).
 *
 * Patron is strict where a lenient reading lets a proxy and Patron see different requests
 * (request smuggling): lines end with CRLF, field names are tokens with the colon right after
 * them, no folded lines, no control characters in values, one Content-Length of plain digits,
 * a single "chunked" Transfer-Encoding and never both, HTTP/1.1 with exactly one Host.
 */
#ifndef PT_HTTP_WIRE_H
#define PT_HTTP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"

/* A method is a token of at most this many bytes (the longest standard one has 7). */
#define PT_WIRE_METHOD_BYTES_MAX 32
/* Bytes of a request line: method, target, version, blanks and CRLF. */
#define PT_WIRE_REQUEST_LINE_BYTES_MAX (PT_HTTP_URI_BYTES_MAX + PT_WIRE_METHOD_BYTES_MAX + 16)
/* Empty lines skipped before a request line (RFC 9112 section 2.2: a client may send one after
 * a POST body); more is not a client. */
#define PT_WIRE_LEADING_EMPTY_LINES_MAX 4
/* A whole head: request line, header section and its final CRLF. */
#define PT_WIRE_HEAD_BYTES_MAX                                                                     \
    (PT_WIRE_LEADING_EMPTY_LINES_MAX * 2 + PT_WIRE_REQUEST_LINE_BYTES_MAX +                        \
     PT_HTTP_HEADERS_BYTES_MAX + 2)
/* A chunk-size line with its extensions (which Patron ignores). */
#define PT_WIRE_CHUNK_LINE_BYTES_MAX 4096
/* Hex digits of a chunk size: 15 keep it below 2^60 (the body bound cuts far sooner). */
#define PT_WIRE_CHUNK_SIZE_DIGITS_MAX 15

/* Why a head or a body was refused: the API's error (status, code, sentence). Static strings. */
struct pt_wire_error {
    unsigned status; /* 400, 414, 417, 431, 501 or 505 */
    const char *code;
    const char *message;
};

struct pt_wire_field {
    const char *name;  /* NUL-terminated in place; as sent (compare without case). */
    const char *value; /* NUL-terminated in place; blanks around it removed. */
    size_t value_len;
};

struct pt_wire_head {
    const char *method; /* NUL-terminated in place. */
    const char *target; /* The raw request target (origin-form "/path?query"), in place. */
    size_t target_len;
    unsigned minor; /* HTTP/1.<minor>: 0 or 1. */
    struct pt_wire_field fields[PT_HTTP_HEADER_FIELDS_MAX];
    unsigned field_count;
    size_t head_bytes; /* Bytes of the head, leading empty lines and final CRLF included. */
    /* The body's framing (RFC 9112 section 6.3) and the connection's fate. */
    bool chunked;            /* Transfer-Encoding: chunked. */
    uint64_t content_length; /* 0 when none was sent, or chunked. */
    bool keep_alive;         /* The client allows another request on this connection. */
    bool expect_continue;    /* Expect: 100-continue. */
};

enum pt_wire_result {
    PT_WIRE_MORE = 0, /* Not complete yet: read more bytes and call again. */
    PT_WIRE_DONE,     /* Complete. */
    PT_WIRE_ERROR,    /* Refused; the error says why. The connection must close after it. */
};

/*
 * Looks at the first len bytes of a connection's input for a complete head. PT_WIRE_MORE when
 * there is none yet and nothing refuses it so far (a first byte or a request line that cannot
 * be HTTP is refused at once; a request line past its bound is 414, a head past its bound 431).
 * PT_WIRE_DONE when complete: head describes it, with its strings NUL-terminated in buf (which
 * is changed, up to head->head_bytes only); the bytes after head_bytes belong to the body or
 * the next request. *scanned carries the search between calls on the same head (start at 0),
 * so that a head trickling in byte by byte is not re-scanned from its beginning each time.
 */
enum pt_wire_result pt_wire_head_parse(char *buf, size_t len, size_t *scanned,
                                       struct pt_wire_head *head, struct pt_wire_error *error);

/* The value of the head's first field named name (without case), or NULL. */
const char *pt_wire_head_field(const struct pt_wire_head *head, const char *name);

/*
 * Percent-decodes n bytes of a path into out (NUL-terminated, out_bytes > 0). For a query's
 * keys and values set plus_is_space ("a+b" is "a b", as browsers send forms). False for a
 * malformed escape ("%4", "%zz"), an escaped NUL ("%00"), or a result that does not fit.
 */
bool pt_wire_percent_decode(const char *s, size_t n, bool plus_is_space, char *out,
                            size_t out_bytes);

/* A chunked body being decoded (RFC 9112 section 7.1); zero it to start. */
struct pt_wire_chunked {
    int state;
    uint64_t remaining;     /* Bytes of data left in the current chunk. */
    unsigned digits;        /* Hex digits of the size read so far. */
    size_t line_bytes;      /* Bytes of the current size or trailer line. */
    unsigned trailer_count; /* Trailer fields so far (bounded like header fields). */
    size_t trailer_bytes;   /* Bytes of the trailer section (bounded like the headers). */
};

/*
 * Decodes len bytes of chunked framing in place: the data bytes found are moved to the front of
 * buf (*data_len of them; the data never outgrows the input). *used is the input consumed.
 * PT_WIRE_MORE: all len bytes were used, feed more. PT_WIRE_DONE: the body ended at *used; the
 * bytes after it belong to the next request. PT_WIRE_ERROR: malformed framing (400), or
 * trailers past the header limits (431).
 */
enum pt_wire_result pt_wire_chunked_decode(struct pt_wire_chunked *c, char *buf, size_t len,
                                           size_t *used, size_t *data_len,
                                           struct pt_wire_error *error);

#endif
