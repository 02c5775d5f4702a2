/* SPDX-License-Identifier: MIT */
/*
 * Goal: the HTTP/1.1 wire reader (src/http/wire.c) accepts well-formed request heads exactly as
 * RFC 9112 reads them (framing, keep-alive, Expect, trimmed values, obs-text), refuses every
 * malformed or ambiguous head with the status and code the API answers (400, 414, 417, 431, 501,
 * 505), gives the same answer whether a head arrives whole, byte by byte or split anywhere, and
 * decodes percent-escapes and chunked bodies exactly, wherever the body is cut.
 * Method: literal heads and bodies, built ones at each limit N and N+1 (target bytes, fields,
 * header section, leading empty lines, method bytes, chunk-line bytes, trailers); every head is
 * parsed whole, then fed byte by byte and split at every position (sampled for the large ones)
 * into exact-size heap buffers, so that ASan sees a read past the bytes given; the head's strings
 * are compared as offsets into each buffer. Chunked bodies are fed one piece per buffer, the
 * data concatenated and compared with the original.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/alloc.h"
#include "http/wire.h"

/* The texts of the refusals, enough of each to tell the 400s apart. */
#define M_NOT_HTTP "not an HTTP/1.1 request"
#define M_BARE_LF "CRLF"
#define M_REQUEST_LINE "request line"
#define M_TARGET "request target must be a path"
#define M_FIELD "header field is malformed"
#define M_LENGTHS "one Content-Length"
#define M_LENGTH "decimal number"
#define M_ENCODING "single 'chunked'"
#define M_BOTH "not both"
#define M_ENCODING_10 "HTTP/1.0 has no"
#define M_HOST "exactly one Host"
#define M_EXPECT "100-continue"
#define M_VERSION "HTTP/1.1"
#define M_METHOD "method"
#define M_URI "8 KiB"
#define M_HEAD "16 KiB"
#define M_CHUNKED "chunked body"

#define BAD "malformed_request"

/* Splits tried per head: every position up to this many bytes, a sample beyond (the parse is
 * linear, every split of a 24 KiB head would take seconds under ASan). */
#define SPLITS_EVERY_MAX 4096
#define SPLITS_SAMPLED 300

/* ---- Helpers: heads ---- */

/* One answer of pt_wire_head_parse, on its own copy of the bytes. */
struct outcome {
    enum pt_wire_result result;
    struct pt_wire_error error;
    struct pt_wire_head head; /* Strings point into buf. */
    char *buf;                /* new (pt_malloc); exactly len bytes. */
    size_t len;
    size_t stopped_at; /* The len of the call that answered DONE or ERROR (len if MORE). */
};

/* Returns a heap copy of exactly len bytes (at least one allocated). new */
static char *dup_bytes(const char *bytes, size_t len)
{
    char *p = pt_malloc(len > 0 ? len : 1);
    assert_non_null(p);
    if (len > 0) {
        memcpy(p, bytes, len);
    }
    return p;
}

static void outcome_free(struct outcome *o)
{
    pt_free(o->buf);
    o->buf = NULL;
}

/* Feeds bytes to the parser as they would arrive: the first cuts[0] bytes, then up to cuts[1],
 * and so on; cuts increase and the last is len. Bytes not yet "arrived" are LF in the buffer,
 * so that a parser looking past len would see a bare LF and answer differently. */
static void parse_at_cuts(const char *bytes, size_t len, const size_t *cuts, size_t cut_count,
                          struct outcome *o)
{
    size_t scanned = 0;
    size_t have = 0;
    size_t i;
    memset(o, 0, sizeof(*o));
    o->buf = pt_malloc(len > 0 ? len : 1);
    assert_non_null(o->buf);
    memset(o->buf, '\n', len);
    o->len = len;
    o->result = PT_WIRE_MORE;
    for (i = 0; i < cut_count; i++) {
        assert_true(cuts[i] >= have && cuts[i] <= len);
        memcpy(o->buf + have, bytes + have, cuts[i] - have);
        have = cuts[i];
        o->result = pt_wire_head_parse(o->buf, have, &scanned, &o->head, &o->error);
        o->stopped_at = have;
        if (o->result != PT_WIRE_MORE) {
            return;
        }
        assert_true(scanned <= have);
    }
}

static void parse_whole(const char *bytes, size_t len, struct outcome *o)
{
    parse_at_cuts(bytes, len, &len, 1, o);
}

/* Asserts that two parses of the same bytes answered the same. */
static void assert_same(const struct outcome *a, const struct outcome *b, const char *how)
{
    unsigned i;
    if (a->result != b->result) {
        fail_msg("%s: result %d, whole %d", how, (int)b->result, (int)a->result);
    }
    if (a->result == PT_WIRE_ERROR) {
        if (a->error.status != b->error.status || strcmp(a->error.code, b->error.code) != 0 ||
            strcmp(a->error.message, b->error.message) != 0) {
            fail_msg("%s: %u %s (%s), whole %u %s (%s)", how, b->error.status, b->error.code,
                     b->error.message, a->error.status, a->error.code, a->error.message);
        }
        return;
    }
    if (a->result != PT_WIRE_DONE) {
        return;
    }
    assert_int_equal(a->head.head_bytes, b->head.head_bytes);
    assert_int_equal(a->head.method - a->buf, b->head.method - b->buf);
    assert_string_equal(a->head.method, b->head.method);
    assert_int_equal(a->head.target - a->buf, b->head.target - b->buf);
    assert_int_equal(a->head.target_len, b->head.target_len);
    assert_int_equal(a->head.minor, b->head.minor);
    assert_int_equal(a->head.field_count, b->head.field_count);
    for (i = 0; i < a->head.field_count; i++) {
        assert_int_equal(a->head.fields[i].name - a->buf, b->head.fields[i].name - b->buf);
        assert_int_equal(a->head.fields[i].value - a->buf, b->head.fields[i].value - b->buf);
        assert_int_equal(a->head.fields[i].value_len, b->head.fields[i].value_len);
        assert_string_equal(a->head.fields[i].name, b->head.fields[i].name);
        assert_string_equal(a->head.fields[i].value, b->head.fields[i].value);
    }
    assert_int_equal(a->head.chunked, b->head.chunked);
    assert_int_equal(a->head.content_length, b->head.content_length);
    assert_int_equal(a->head.keep_alive, b->head.keep_alive);
    assert_int_equal(a->head.expect_continue, b->head.expect_continue);
}

/* Asserts that the bytes answer as whole when fed byte by byte and split in two anywhere. */
static void assert_same_in_pieces(const char *bytes, size_t len, const struct outcome *whole)
{
    struct outcome o;
    size_t *cuts = pt_malloc((len > 0 ? len : 1) * sizeof(size_t));
    size_t k;
    size_t step = len <= SPLITS_EVERY_MAX ? 1 : len / SPLITS_SAMPLED;
    char how[64];
    assert_non_null(cuts);
    for (k = 0; k < len; k++) {
        cuts[k] = k + 1;
    }
    parse_at_cuts(bytes, len, cuts, len, &o);
    assert_same(whole, &o, "byte by byte");
    /* Nothing answers before the byte that decides it. */
    if (whole->result == PT_WIRE_DONE) {
        assert_int_equal(o.stopped_at, whole->head.head_bytes);
    }
    outcome_free(&o);
    for (k = 1; k < len; k += step) {
        size_t two[2];
        two[0] = k;
        two[1] = len;
        parse_at_cuts(bytes, len, two, 2, &o);
        (void)snprintf(how, sizeof(how), "split at %zu", k);
        assert_same(whole, &o, how);
        outcome_free(&o);
    }
    pt_free(cuts);
}

/* Parses the text, which must be a complete head; the caller frees o. */
static void parse_ok_len(const char *bytes, size_t len, struct outcome *o)
{
    parse_whole(bytes, len, o);
    if (o->result != PT_WIRE_DONE) {
        fail_msg("'%.60s': result %d, %u %s", bytes, (int)o->result,
                 o->result == PT_WIRE_ERROR ? o->error.status : 0,
                 o->result == PT_WIRE_ERROR ? o->error.message : "");
    }
    /* The parser changes nothing past the head. */
    assert_true(o->head.head_bytes <= len);
    assert_memory_equal(o->buf + o->head.head_bytes, bytes + o->head.head_bytes,
                        len - o->head.head_bytes);
    assert_same_in_pieces(bytes, len, o);
}

static void parse_ok(const char *text, struct outcome *o)
{
    parse_ok_len(text, strlen(text), o);
}

/* Asserts that the bytes are refused with status, code and a message containing part, whole,
 * byte by byte and split anywhere. */
static void assert_refused(const char *bytes, size_t len, unsigned status, const char *code,
                           const char *part)
{
    struct outcome o;
    parse_whole(bytes, len, &o);
    if (o.result != PT_WIRE_ERROR || o.error.status != status || strcmp(o.error.code, code) != 0 ||
        strstr(o.error.message, part) == NULL) {
        fail_msg("'%.60s' (%zu bytes): result %d, %u %s (%s); want %u %s (%s)", bytes, len,
                 (int)o.result, o.result == PT_WIRE_ERROR ? o.error.status : 0,
                 o.result == PT_WIRE_ERROR ? o.error.code : "",
                 o.result == PT_WIRE_ERROR ? o.error.message : "", status, code, part);
    }
    assert_same_in_pieces(bytes, len, &o);
    outcome_free(&o);
}

static void assert_refused_text(const char *text, unsigned status, const char *code,
                                const char *part)
{
    assert_refused(text, strlen(text), status, code, part);
}

/* Asserts that the bytes are a head still arriving (MORE). */
static void assert_more(const char *bytes, size_t len)
{
    struct outcome o;
    parse_whole(bytes, len, &o);
    if (o.result != PT_WIRE_MORE) {
        fail_msg("'%.60s' (%zu bytes): result %d, want MORE", bytes, len, (int)o.result);
    }
    outcome_free(&o);
}

/* Builds into out (NUL-terminated, out_bytes) prefix, n copies of c, then suffix. */
static size_t build(char *out, size_t out_bytes, const char *prefix, char c, size_t n,
                    const char *suffix)
{
    size_t p = strlen(prefix);
    size_t s = strlen(suffix);
    assert_true(p + n + s < out_bytes);
    memcpy(out, prefix, p);
    memset(out + p, c, n);
    memcpy(out + p + n, suffix, s + 1);
    return p + n + s;
}

/* A buffer for built heads: the largest is a head past its bound. */
static char big[PT_WIRE_HEAD_BYTES_MAX + 1024];

/* ---- Heads accepted ---- */

static void test_pt_wire_head_parse__get_with_host(void **state)
{
    static const char text[] = "GET /v1/members?email=a%40b.c HTTP/1.1\r\nHost: example.com\r\n"
                               "Accept: application/json\r\n\r\n";
    struct outcome o;
    (void)state;
    parse_ok(text, &o);
    assert_string_equal(o.head.method, "GET");
    assert_int_equal(o.head.target_len, strlen("/v1/members?email=a%40b.c"));
    assert_memory_equal(o.head.target, "/v1/members?email=a%40b.c", o.head.target_len);
    assert_int_equal(o.head.target[o.head.target_len], '\0');
    assert_int_equal(o.head.minor, 1);
    assert_int_equal(o.head.field_count, 2);
    assert_string_equal(o.head.fields[0].name, "Host");
    assert_string_equal(o.head.fields[0].value, "example.com");
    assert_int_equal(o.head.fields[0].value_len, 11);
    assert_string_equal(o.head.fields[1].name, "Accept");
    assert_string_equal(o.head.fields[1].value, "application/json");
    assert_int_equal(o.head.head_bytes, strlen(text));
    assert_false(o.head.chunked);
    assert_int_equal(o.head.content_length, 0);
    assert_true(o.head.keep_alive);
    assert_false(o.head.expect_continue);
    outcome_free(&o);
}

static void test_pt_wire_head_parse__post_with_content_length(void **state)
{
    static const char text[] = "POST /v1/transactions HTTP/1.1\r\nHost: a\r\n"
                               "Content-Type: application/json\r\nContent-Length: 42\r\n\r\n";
    struct outcome o;
    (void)state;
    parse_ok(text, &o);
    assert_string_equal(o.head.method, "POST");
    assert_int_equal(o.head.content_length, 42);
    assert_false(o.head.chunked);
    assert_int_equal(o.head.field_count, 3);
    assert_int_equal(o.head.head_bytes, strlen(text));
    outcome_free(&o);
    /* Zero, leading zeros and the largest accepted (18 digits). */
    parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &o);
    assert_int_equal(o.head.content_length, 0);
    outcome_free(&o);
    /* Blanks around the number are OWS, not part of it (RFC 9110 section 5.5). */
    parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2 \r\n\r\n", &o);
    assert_int_equal(o.head.content_length, 2);
    outcome_free(&o);
    parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t2\t\r\n\r\n", &o);
    assert_int_equal(o.head.content_length, 2);
    outcome_free(&o);
    parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n", &o);
    assert_int_equal(o.head.content_length, 7);
    outcome_free(&o);
    parse_ok("POST / HTTP/1.1\r\nHost: a\r\ncontent-length: 999999999999999999\r\n\r\n", &o);
    assert_int_equal(o.head.content_length, 999999999999999999u);
    outcome_free(&o);
}

static void test_pt_wire_head_parse__chunked_post(void **state)
{
    struct outcome o;
    (void)state;
    parse_ok("POST /v1/batches HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &o);
    assert_true(o.head.chunked);
    assert_int_equal(o.head.content_length, 0);
    assert_true(o.head.keep_alive);
    outcome_free(&o);
    /* Coding names are case-insensitive (RFC 9112 section 7). */
    parse_ok("POST / HTTP/1.1\r\nHost: a\r\nTRANSFER-ENCODING: Chunked \r\n\r\n", &o);
    assert_true(o.head.chunked);
    outcome_free(&o);
}

static void test_pt_wire_head_parse__http_1_0_keep_alive(void **state)
{
    struct outcome o;
    (void)state;
    /* HTTP/1.0 needs no Host and closes unless asked not to. */
    parse_ok("GET / HTTP/1.0\r\n\r\n", &o);
    assert_int_equal(o.head.minor, 0);
    assert_int_equal(o.head.field_count, 0);
    assert_false(o.head.keep_alive);
    assert_int_equal(o.head.head_bytes, 18);
    outcome_free(&o);
    parse_ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &o);
    assert_true(o.head.keep_alive);
    outcome_free(&o);
    parse_ok("GET / HTTP/1.0\r\nConnection: foo, keep-alive\r\n\r\n", &o);
    assert_true(o.head.keep_alive);
    outcome_free(&o);
    /* A token that only starts like keep-alive is another token. */
    parse_ok("GET / HTTP/1.0\r\nConnection: keep-alive-not\r\n\r\n", &o);
    assert_false(o.head.keep_alive);
    outcome_free(&o);
    /* Expect means nothing to an HTTP/1.0 server (RFC 9110 section 10.1.1). */
    parse_ok("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", &o);
    assert_false(o.head.expect_continue);
    assert_int_equal(o.head.content_length, 1);
    outcome_free(&o);
}

static void test_pt_wire_head_parse__connection_close(void **state)
{
    struct outcome o;
    (void)state;
    parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &o);
    assert_false(o.head.keep_alive);
    outcome_free(&o);
    parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade ,\tCLOSE\t\r\n\r\n", &o);
    assert_false(o.head.keep_alive);
    outcome_free(&o);
    /* keep-alive does not undo close in HTTP/1.1 ... */
    parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
             &o);
    assert_false(o.head.keep_alive);
    outcome_free(&o);
    /* ... nor in HTTP/1.0, whatever the order (RFC 9112 section 9.3: close wins). */
    parse_ok("GET / HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n", &o);
    assert_false(o.head.keep_alive);
    outcome_free(&o);
    parse_ok("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", &o);
    assert_false(o.head.keep_alive);
    outcome_free(&o);
}

static void test_pt_wire_head_parse__expect_continue(void **state)
{
    struct outcome o;
    (void)state;
    parse_ok("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n", &o);
    assert_true(o.head.expect_continue);
    assert_int_equal(o.head.content_length, 5);
    outcome_free(&o);
}

static void test_pt_wire_head_parse__leading_empty_lines_up_to_the_limit(void **state)
{
    char text[64];
    size_t n;
    struct outcome o;
    unsigned lines;
    (void)state;
    for (lines = 0; lines <= PT_WIRE_LEADING_EMPTY_LINES_MAX; lines++) {
        n = 0;
        while (n < 2 * lines) {
            memcpy(text + n, "\r\n", 2);
            n += 2;
        }
        memcpy(text + n, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 28);
        parse_ok(text, &o);
        assert_int_equal(o.head.head_bytes, 2 * lines + 27);
        assert_int_equal(o.head.method - o.buf, 2 * lines);
        outcome_free(&o);
    }
    /* One more is not a client. */
    n = build(text, sizeof(text), "", 'x', 0,
              "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_refused(text, n, 400, BAD, M_NOT_HTTP);
    /* Only empty lines so far: more may come. */
    assert_more("\r\n\r\n\r\n\r\n", 8);
    assert_more("\r\n\r", 3);
}

static void test_pt_wire_head_parse__pipelined_bytes_stay_after_the_head(void **state)
{
    static const char head[] = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
    static const char text[] = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"
                               "abcGET /b HTTP/1.1\r\nHost: a\r\n\r\n";
    struct outcome o;
    (void)state;
    parse_ok(text, &o);
    assert_int_equal(o.head.head_bytes, strlen(head));
    assert_int_equal(o.head.content_length, 3);
    /* The body and the next request are untouched. */
    assert_memory_equal(o.buf + o.head.head_bytes, text + strlen(head),
                        strlen(text) - strlen(head));
    outcome_free(&o);
    /* Even a bare LF right after the head is the body's business. */
    parse_ok("GET / HTTP/1.1\r\nHost: a\r\n\r\n\n\n", &o);
    assert_int_equal(o.head.head_bytes, 27);
    outcome_free(&o);
}

static void test_pt_wire_head_parse__values_trimmed(void **state)
{
    struct outcome o;
    (void)state;
    parse_ok(
        "GET / HTTP/1.1\r\nHost:a\r\nX-A:  \t spaced out \t \r\nX-B:\t\r\nX-C: in\tside\r\n\r\n",
        &o);
    assert_int_equal(o.head.field_count, 4);
    assert_string_equal(o.head.fields[0].value, "a");
    assert_string_equal(o.head.fields[1].value, "spaced out");
    assert_int_equal(o.head.fields[1].value_len, 10);
    assert_string_equal(o.head.fields[2].value, "");
    assert_int_equal(o.head.fields[2].value_len, 0);
    assert_string_equal(o.head.fields[3].value, "in\tside");
    outcome_free(&o);
}

static void test_pt_wire_head_parse__obs_text_in_values(void **state)
{
    static const char text[] = "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9 \x80\xff\r\n\r\n";
    struct outcome o;
    (void)state;
    parse_ok(text, &o);
    assert_string_equal(o.head.fields[1].value, "caf\xc3\xa9 \x80\xff");
    assert_int_equal(o.head.fields[1].value_len, 8);
    outcome_free(&o);
}

static void test_pt_wire_head_field__without_case(void **state)
{
    struct outcome o;
    (void)state;
    parse_ok("GET / HTTP/1.1\r\nhOsT: h\r\nX-Dup: first\r\nx-dup: second\r\nX-Empty:\r\n\r\n", &o);
    assert_string_equal(pt_wire_head_field(&o.head, "Host"), "h");
    assert_string_equal(pt_wire_head_field(&o.head, "HOST"), "h");
    assert_string_equal(pt_wire_head_field(&o.head, "x-DUP"), "first");
    assert_string_equal(pt_wire_head_field(&o.head, "X-Empty"), "");
    assert_null(pt_wire_head_field(&o.head, "X-Missing"));
    assert_null(pt_wire_head_field(&o.head, "Hos"));
    assert_null(pt_wire_head_field(&o.head, "Hosts"));
    outcome_free(&o);
}

static void test_pt_wire_head_parse__method_at_32_bytes(void **state)
{
    size_t n;
    struct outcome o;
    (void)state;
    n = build(big, sizeof(big), "", 'M', PT_WIRE_METHOD_BYTES_MAX,
              " / HTTP/1.1\r\nHost: a\r\n\r\n");
    parse_ok_len(big, n, &o);
    assert_int_equal(strlen(o.head.method), PT_WIRE_METHOD_BYTES_MAX);
    outcome_free(&o);
    /* Any token is a method here; the router answers 405 for the unknown ones. */
    parse_ok("M-SEARCH! / HTTP/1.1\r\nHost: a\r\n\r\n", &o);
    assert_string_equal(o.head.method, "M-SEARCH!");
    outcome_free(&o);
    n = build(big, sizeof(big), "", 'M', PT_WIRE_METHOD_BYTES_MAX + 1,
              " / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_refused(big, n, 501, "not_implemented", M_METHOD);
}

static void test_pt_wire_head_parse__target_at_8_kib(void **state)
{
    size_t n;
    struct outcome o;
    (void)state;
    n = build(big, sizeof(big), "GET /", 'a', PT_HTTP_URI_BYTES_MAX - 1,
              " HTTP/1.1\r\nHost: a\r\n\r\n");
    parse_ok_len(big, n, &o);
    assert_int_equal(o.head.target_len, PT_HTTP_URI_BYTES_MAX);
    outcome_free(&o);
    n = build(big, sizeof(big), "GET /", 'a', PT_HTTP_URI_BYTES_MAX,
              " HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_refused(big, n, 414, "uri_too_long", M_URI);
    /* Still arriving: more while the line may still fit, 414 past the line's bound. */
    n = build(big, sizeof(big), "GET /", 'a', PT_WIRE_REQUEST_LINE_BYTES_MAX - 5, "");
    assert_more(big, n);
    n = build(big, sizeof(big), "GET /", 'a', PT_WIRE_REQUEST_LINE_BYTES_MAX - 4, "");
    assert_refused(big, n, 414, "uri_too_long", M_URI);
}

static void test_pt_wire_head_parse__100_fields_fine_101_refused(void **state)
{
    size_t n = 0;
    unsigned i;
    struct outcome o;
    (void)state;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (i = 1; i < PT_HTTP_HEADER_FIELDS_MAX; i++) {
        n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%u: %u\r\n", i, i);
    }
    memcpy(big + n, "\r\n", 3);
    parse_ok_len(big, n + 2, &o);
    assert_int_equal(o.head.field_count, PT_HTTP_HEADER_FIELDS_MAX);
    assert_string_equal(o.head.fields[PT_HTTP_HEADER_FIELDS_MAX - 1].name, "X-99");
    assert_string_equal(o.head.fields[PT_HTTP_HEADER_FIELDS_MAX - 1].value, "99");
    outcome_free(&o);
    memcpy(big + n, "X-100: 100\r\n\r\n", 15);
    assert_refused(big, n + 14, 431, "headers_too_large", M_HEAD);
}

static void test_pt_wire_head_parse__header_section_at_16_kib(void **state)
{
    /* The section after the request line: Host (9 bytes), one long field, final CRLF. */
    const size_t field_bytes = PT_HTTP_HEADERS_BYTES_MAX - 9;
    size_t n;
    struct outcome o;
    (void)state;
    n = build(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: ", 'v', field_bytes - 5,
              "\r\n\r\n");
    parse_ok_len(big, n, &o);
    assert_int_equal(o.head.fields[1].value_len, field_bytes - 5);
    outcome_free(&o);
    n = build(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: ", 'v', field_bytes - 4,
              "\r\n\r\n");
    assert_refused(big, n, 431, "headers_too_large", M_HEAD);
}

/* ---- Heads arriving in pieces ---- */

static void test_pt_wire_head_parse__byte_by_byte_and_every_split(void **state)
{
    static const char *const heads[] = {
        "GET /v1/members?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
        "POST /v1/transactions HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n",
        "\r\n\r\nPUT /x HTTP/1.0\r\nConnection: keep-alive\r\nX:  v  \r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
        "Expect: 100-continue\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        struct outcome whole;
        struct outcome trickled;
        size_t len = strlen(heads[i]);
        size_t k;
        size_t scanned = 0;
        struct pt_wire_head head;
        struct pt_wire_error error;
        char *buf;
        parse_ok(heads[i], &whole); /* Also every split, compared. */
        /* Every call before the last byte answers MORE and leaves the head untouched. */
        buf = dup_bytes(heads[i], len);
        for (k = 1; k < len; k++) {
            assert_int_equal(pt_wire_head_parse(buf, k, &scanned, &head, &error), PT_WIRE_MORE);
            assert_memory_equal(buf, heads[i], len);
        }
        assert_int_equal(pt_wire_head_parse(buf, len, &scanned, &head, &error), PT_WIRE_DONE);
        assert_int_equal(head.head_bytes, len);
        pt_free(buf);
        /* No byte yet: MORE. */
        parse_whole(heads[i], 0, &trickled);
        assert_int_equal(trickled.result, PT_WIRE_MORE);
        outcome_free(&trickled);
        outcome_free(&whole);
    }
}

static void test_pt_wire_head_parse__long_head_refused_alike_whole_or_in_pieces(void **state)
{
    /* A head past its bound is 431 before its end arrives; whole, it must not be answered by
     * its request line (505 here) instead. */
    size_t n;
    (void)state;
    n = build(big, sizeof(big), "GET / HTTP/1.2\r\nX: ", 'v', PT_WIRE_HEAD_BYTES_MAX, "\r\n\r\n");
    assert_refused(big, n, 431, "headers_too_large", M_HEAD);
    /* Nor by a bare LF after the bound, which the call that passes the bound never sees. */
    n = build(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: ", 'v', PT_WIRE_HEAD_BYTES_MAX,
              "\n\r\n");
    assert_refused(big, n, 431, "headers_too_large", M_HEAD);
}

/* ---- Heads refused ---- */

struct refusal {
    const char *bytes;
    size_t len;
    unsigned status;
    const char *code;
    const char *part; /* Part of the message. */
};

#define REFUSAL(b, s, c, m)                                                                        \
    {                                                                                              \
        b, sizeof(b) - 1, s, c, m                                                                  \
    }
#define H11 " HTTP/1.1\r\nHost: a\r\n"

static const struct refusal refusals[] = {
    /* Line ends. */
    REFUSAL("GET / HTTP/1.1\nHost: a\r\n\r\n", 400, BAD, M_BARE_LF),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\n\r\n", 400, BAD, M_BARE_LF),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\n\n", 400, BAD, M_BARE_LF),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nX: b\nc\r\n\r\n", 400, BAD, M_BARE_LF),
    REFUSAL("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, BAD, M_BARE_LF),
    REFUSAL("\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, BAD, M_BARE_LF),
    REFUSAL("\r\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400, BAD, M_NOT_HTTP),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nX: \r\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\n\rX: b\r\n\r\n", 400, BAD, M_FIELD),
    /* A bare CR ending the request line (the byte after it must not pass for its LF). */
    REFUSAL("GET / HTTP/1.1\rXHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET / HTTP/1.1\r\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET / HTTP/1.0\r\r\nX: b\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    /* NUL, control characters and DEL. */
    REFUSAL("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nX-\0: b\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\n\0X: b\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\x1f\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\x1b[0m\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nX\x7f: b\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nX\x80: b\r\n\r\n", 400, BAD, M_FIELD),
    /* Names. */
    REFUSAL("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost a\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nX-Flag\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nX(y): b\r\n\r\n", 400, BAD, M_FIELD),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nX/y: b\r\n\r\n", 400, BAD, M_FIELD),
    /* Methods. */
    REFUSAL("GE(T /" H11 "\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET\t/" H11 "\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET  /" H11 "\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("(GET /" H11 "\r\n", 400, BAD, M_NOT_HTTP),
    REFUSAL(" GET /" H11 "\r\n", 400, BAD, M_NOT_HTTP),
    REFUSAL("G\x80T /" H11 "\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET\r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    /* Targets. */
    REFUSAL("GET http://a/" H11 "\r\n", 400, BAD, M_TARGET),
    REFUSAL("OPTIONS *" H11 "\r\n", 400, BAD, M_TARGET),
    REFUSAL("CONNECT a:443" H11 "\r\n", 400, BAD, M_TARGET),
    REFUSAL("GET a/b" H11 "\r\n", 400, BAD, M_TARGET),
    REFUSAL("GET /a\x7f" H11 "\r\n", 400, BAD, M_TARGET),
    REFUSAL("GET /caf\xc3\xa9" H11 "\r\n", 400, BAD, M_TARGET),
    REFUSAL("GET /\x01" H11 "\r\n", 400, BAD, M_TARGET),
    REFUSAL("GET /\0" H11 "\r\n", 400, BAD, M_TARGET),
    REFUSAL("GET /a\tb" H11 "\r\n", 400, BAD, M_REQUEST_LINE),
    /* Versions. */
    REFUSAL("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, "http_version_not_supported", M_VERSION),
    REFUSAL("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "http_version_not_supported", M_VERSION),
    REFUSAL("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "http_version_not_supported", M_VERSION),
    REFUSAL("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET / http/1.1\r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET / HTTP/1\r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET / HTTP/a.1\r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET /\r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET / \r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    REFUSAL("GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", 400, BAD, M_REQUEST_LINE),
    /* Content-Length. */
    REFUSAL("POST /" H11 "Content-Length: 2\r\nContent-Length: 2\r\n\r\n", 400, BAD, M_LENGTHS),
    REFUSAL("POST /" H11 "Content-Length: 2\r\ncontent-length: 3\r\n\r\n", 400, BAD, M_LENGTHS),
    REFUSAL("POST /" H11 "Content-Length: 2, 2\r\n\r\n", 400, BAD, M_LENGTH),
    REFUSAL("POST /" H11 "Content-Length: +2\r\n\r\n", 400, BAD, M_LENGTH),
    REFUSAL("POST /" H11 "Content-Length: 0x10\r\n\r\n", 400, BAD, M_LENGTH),
    REFUSAL("POST /" H11 "Content-Length: -1\r\n\r\n", 400, BAD, M_LENGTH),
    REFUSAL("POST /" H11 "Content-Length: 1 2\r\n\r\n", 400, BAD, M_LENGTH),
    REFUSAL("POST /" H11 "Content-Length: 1000000000000000000\r\n\r\n", 400, BAD, M_LENGTH),
    REFUSAL("POST /" H11 "Content-Length: 99999999999999999999999\r\n\r\n", 400, BAD, M_LENGTH),
    REFUSAL("POST /" H11 "Content-Length:\r\n\r\n", 400, BAD, M_LENGTH),
    REFUSAL("POST /" H11 "Content-Length:   \r\n\r\n", 400, BAD, M_LENGTH),
    /* Transfer-Encoding. */
    REFUSAL("POST /" H11 "Transfer-Encoding: gzip\r\n\r\n", 400, BAD, M_ENCODING),
    REFUSAL("POST /" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", 400, BAD, M_ENCODING),
    REFUSAL("POST /" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", 400, BAD, M_ENCODING),
    REFUSAL("POST /" H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
            BAD, M_ENCODING),
    REFUSAL("POST /" H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400, BAD,
            M_BOTH),
    REFUSAL("POST /" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400, BAD,
            M_BOTH),
    REFUSAL("POST /" H11 "Transfer-Encoding:\r\n\r\n", 400, BAD, M_ENCODING),
    REFUSAL("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, BAD, M_ENCODING_10),
    /* Host. */
    REFUSAL("GET / HTTP/1.1\r\n\r\n", 400, BAD, M_HOST),
    REFUSAL("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n", 400, BAD, M_HOST),
    REFUSAL("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, BAD, M_HOST),
    REFUSAL("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400, BAD, M_HOST),
    /* Expect. */
    REFUSAL("POST /" H11 "Expect: something\r\n\r\n", 417, "expectation_failed", M_EXPECT),
    REFUSAL("POST /" H11 "Expect: 100-continue, x\r\n\r\n", 417, "expectation_failed", M_EXPECT),
    REFUSAL("POST /" H11 "Expect:\r\n\r\n", 417, "expectation_failed", M_EXPECT),
};

static void test_pt_wire_head_parse__refusals(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        assert_refused(refusals[i].bytes, refusals[i].len, refusals[i].status, refusals[i].code,
                       refusals[i].part);
    }
}

static void test_pt_wire_head_parse__tls_refused_at_the_first_byte(void **state)
{
    /* The start of a TLS 1.2 ClientHello record. */
    static const char hello[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
    struct outcome o;
    (void)state;
    parse_whole(hello, 1, &o);
    assert_int_equal(o.result, PT_WIRE_ERROR);
    assert_int_equal(o.error.status, 400);
    assert_string_equal(o.error.code, BAD);
    assert_non_null(strstr(o.error.message, "TLS"));
    outcome_free(&o);
    assert_refused(hello, sizeof(hello) - 1, 400, BAD, M_NOT_HTTP);
    /* Other first bytes that are no method: a NUL, a 0x80, an HTTP/2 preface is a method. */
    assert_refused("\0", 1, 400, BAD, M_NOT_HTTP);
    assert_refused("\x80", 1, 400, BAD, M_NOT_HTTP);
    assert_refused_text("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, BAD, M_TARGET);
}

static void test_pt_wire_head_parse__head_past_its_bound(void **state)
{
    size_t n;
    (void)state;
    /* No end at the bound: still arriving. One byte more: 431. */
    n = build(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: ", 'v',
              PT_WIRE_HEAD_BYTES_MAX - 28, "");
    assert_int_equal(n, PT_WIRE_HEAD_BYTES_MAX);
    assert_more(big, n);
    n = build(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX: ", 'v',
              PT_WIRE_HEAD_BYTES_MAX - 27, "");
    assert_refused(big, n, 431, "headers_too_large", M_HEAD);
    /* Many short lines rather than one long one. */
    n = 0;
    n += (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
    while (n <= PT_WIRE_HEAD_BYTES_MAX) {
        memcpy(big + n, "X: vv\r\n", 7);
        n += 7;
    }
    assert_refused(big, n, 431, "headers_too_large", M_HEAD);
}

/* ---- Percent-decoding ---- */

/* Decodes the text into a buffer of out_bytes; returns the verdict, out holds the result. */
static bool decode(const char *text, bool plus_is_space, char *out, size_t out_bytes)
{
    /* An exact-size copy, so that ASan sees a read past n. */
    size_t n = strlen(text);
    char *in = dup_bytes(text, n);
    bool ok = pt_wire_percent_decode(in, n, plus_is_space, out, out_bytes);
    pt_free(in);
    return ok;
}

static void test_pt_wire_percent_decode__escapes(void **state)
{
    char out[64];
    (void)state;
    assert_true(decode("plain-path_1.~", false, out, sizeof(out)));
    assert_string_equal(out, "plain-path_1.~");
    assert_true(decode("", false, out, sizeof(out)));
    assert_string_equal(out, "");
    assert_true(decode("%41", false, out, sizeof(out)));
    assert_string_equal(out, "A");
    assert_true(decode("a%2fb%2Fc", false, out, sizeof(out)));
    assert_string_equal(out, "a/b/c");
    assert_true(decode("%e2%82%AC%Ff", false, out, sizeof(out)));
    assert_string_equal(out, "\xe2\x82\xac\xff");
    assert_true(decode("%2541", false, out, sizeof(out)));
    assert_string_equal(out, "%41"); /* Decoded once only. */
    assert_true(decode("%01%7F", false, out, sizeof(out)));
    assert_string_equal(out, "\x01\x7f");
}

static void test_pt_wire_percent_decode__plus(void **state)
{
    char out[64];
    (void)state;
    assert_true(decode("a+b%2B", true, out, sizeof(out)));
    assert_string_equal(out, "a b+");
    assert_true(decode("a+b%2B", false, out, sizeof(out)));
    assert_string_equal(out, "a+b+");
    assert_true(decode("%20+", true, out, sizeof(out)));
    assert_string_equal(out, "  ");
}

static void test_pt_wire_percent_decode__malformed(void **state)
{
    char out[64];
    static const char nul[] = "a\0b";
    (void)state;
    assert_false(decode("%", false, out, sizeof(out)));
    assert_false(decode("a%", false, out, sizeof(out)));
    assert_false(decode("%4", false, out, sizeof(out)));
    assert_false(decode("a%4", true, out, sizeof(out)));
    assert_false(decode("%zz", false, out, sizeof(out)));
    assert_false(decode("%4g", false, out, sizeof(out)));
    assert_false(decode("%g4", false, out, sizeof(out)));
    assert_false(decode("% 41", false, out, sizeof(out)));
    assert_false(decode("%+1", true, out, sizeof(out)));
    assert_false(decode("%00", false, out, sizeof(out)));
    assert_false(decode("a%00b", true, out, sizeof(out)));
    assert_false(pt_wire_percent_decode(nul, 3, false, out, sizeof(out)));
    assert_false(pt_wire_percent_decode(nul, 3, true, out, sizeof(out)));
    /* n bounds the input: the NUL after it is not read. */
    assert_true(pt_wire_percent_decode(nul, 1, false, out, sizeof(out)));
    assert_string_equal(out, "a");
}

static void test_pt_wire_percent_decode__fit(void **state)
{
    char out[8];
    (void)state;
    /* Five bytes and the NUL fit in six, not in five. */
    memset(out, 'x', sizeof(out));
    assert_true(decode("ab%43de", false, out, 6));
    assert_string_equal(out, "abCde");
    assert_int_equal(out[6], 'x');
    assert_false(decode("ab%43de", false, out, 5));
    assert_true(decode("", false, out, 1));
    assert_string_equal(out, "");
    assert_false(decode("a", false, out, 1));
    assert_true(decode("%41", false, out, 2));
    assert_string_equal(out, "A");
    assert_false(decode("%41", false, out, 1));
}

/* ---- Chunked bodies ---- */

struct decoded {
    enum pt_wire_result result;
    struct pt_wire_error error;
    char *data; /* new (pt_malloc): the data of every piece, concatenated. */
    size_t data_len;
    size_t used; /* Input consumed, over every call. */
};

/* Feeds the chunked bytes in pieces [0, cuts[0]), [cuts[0], cuts[1]), ..., each in its own
 * exact-size buffer as a server would, checking what each call reports of the piece. */
static void chunked_at_cuts(const char *in, size_t len, const size_t *cuts, size_t cut_count,
                            struct decoded *d)
{
    struct pt_wire_chunked c;
    size_t from = 0;
    size_t i;
    memset(&c, 0, sizeof(c));
    memset(d, 0, sizeof(*d));
    d->data = pt_malloc(len > 0 ? len : 1);
    assert_non_null(d->data);
    d->result = PT_WIRE_MORE;
    for (i = 0; i < cut_count; i++) {
        size_t piece = cuts[i] - from;
        size_t used = 99999;
        size_t data_len = 99999;
        char *buf = dup_bytes(in + from, piece);
        d->result = pt_wire_chunked_decode(&c, buf, piece, &used, &data_len, &d->error);
        if (d->result != PT_WIRE_ERROR) {
            assert_true(data_len <= used);
            assert_true(used <= piece);
            if (d->result == PT_WIRE_MORE) {
                assert_int_equal(used, piece);
            }
            memcpy(d->data + d->data_len, buf, data_len);
            d->data_len += data_len;
            d->used += used;
        }
        pt_free(buf);
        from = cuts[i];
        if (d->result != PT_WIRE_MORE) {
            return;
        }
    }
}

static void chunked_whole(const char *in, size_t len, struct decoded *d)
{
    chunked_at_cuts(in, len, &len, 1, d);
}

static void decoded_free(struct decoded *d)
{
    pt_free(d->data);
    d->data = NULL;
}

static void assert_same_decoded(const struct decoded *a, const struct decoded *b, const char *how)
{
    if (a->result != b->result) {
        fail_msg("%s: result %d, whole %d", how, (int)b->result, (int)a->result);
    }
    if (a->result == PT_WIRE_ERROR) {
        assert_int_equal(a->error.status, b->error.status);
        assert_string_equal(a->error.code, b->error.code);
        return;
    }
    assert_int_equal(a->used, b->used);
    assert_int_equal(a->data_len, b->data_len);
    assert_memory_equal(a->data, b->data, a->data_len);
}

/* Asserts that the chunked bytes decode as whole byte by byte and split anywhere in two. */
static void assert_chunked_same_in_pieces(const char *in, size_t len, const struct decoded *whole)
{
    struct decoded d;
    size_t *cuts = pt_malloc((len > 0 ? len : 1) * sizeof(size_t));
    size_t step = len <= SPLITS_EVERY_MAX ? 1 : len / SPLITS_SAMPLED;
    size_t k;
    char how[64];
    assert_non_null(cuts);
    for (k = 0; k < len; k++) {
        cuts[k] = k + 1;
    }
    chunked_at_cuts(in, len, cuts, len, &d);
    assert_same_decoded(whole, &d, "byte by byte");
    decoded_free(&d);
    for (k = 1; k < len; k += step) {
        size_t two[2];
        two[0] = k;
        two[1] = len;
        chunked_at_cuts(in, len, two, 2, &d);
        (void)snprintf(how, sizeof(how), "split at %zu", k);
        assert_same_decoded(whole, &d, how);
        decoded_free(&d);
    }
    pt_free(cuts);
}

/* Asserts that the body decodes to data, ending after body_bytes of the len bytes. */
static void assert_chunked_len(const char *in, size_t len, size_t body_bytes, const char *data,
                               size_t data_len)
{
    struct decoded d;
    chunked_whole(in, len, &d);
    if (d.result != PT_WIRE_DONE) {
        fail_msg("'%.40s': result %d (%s)", in, (int)d.result,
                 d.result == PT_WIRE_ERROR ? d.error.message : "");
    }
    assert_int_equal(d.used, body_bytes);
    assert_int_equal(d.data_len, data_len);
    assert_memory_equal(d.data, data, data_len);
    assert_chunked_same_in_pieces(in, len, &d);
    decoded_free(&d);
}

static void assert_chunked(const char *in, const char *data)
{
    assert_chunked_len(in, strlen(in), strlen(in), data, strlen(data));
}

static void assert_chunked_refused_len(const char *in, size_t len, unsigned status,
                                       const char *code)
{
    struct decoded d;
    chunked_whole(in, len, &d);
    if (d.result != PT_WIRE_ERROR || d.error.status != status || strcmp(d.error.code, code) != 0) {
        fail_msg("'%.40s' (%zu bytes): result %d, want %u %s", in, len, (int)d.result, status,
                 code);
    }
    assert_non_null(d.error.message);
    if (status == 400) {
        assert_non_null(strstr(d.error.message, M_CHUNKED));
    }
    assert_chunked_same_in_pieces(in, len, &d);
    decoded_free(&d);
}

static void assert_chunked_refused(const char *in)
{
    assert_chunked_refused_len(in, strlen(in), 400, BAD);
}

static void test_pt_wire_chunked_decode__chunks(void **state)
{
    (void)state;
    assert_chunked("5\r\nhello\r\n0\r\n\r\n", "hello");
    assert_chunked("5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n", "hello world!");
    assert_chunked("1\r\n\r\r\n1\r\n\n\r\n2\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n");
    assert_chunked("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij");
    assert_chunked("1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n",
                   "0123456789012345678901234567890");
    assert_chunked("000000000000005\r\nhello\r\n000\r\n\r\n", "hello");
    assert_chunked("0\r\n\r\n", "");
}

static void test_pt_wire_chunked_decode__binary_data(void **state)
{
    static const char in[] = "4\r\n\0\r\n\xff\r\n0\r\n\r\n";
    (void)state;
    assert_chunked_len(in, sizeof(in) - 1, sizeof(in) - 1, "\0\r\n\xff", 4);
}

static void test_pt_wire_chunked_decode__extensions(void **state)
{
    (void)state;
    assert_chunked("5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello");
    assert_chunked("5 ;a=\"q v\"\r\nhello\r\n0\r\n\r\n", "hello");
    assert_chunked("5\t;a\r\nhello\r\n0 \r\n\r\n", "hello");
    assert_chunked("5;x=\xc3\xa9\r\nhello\r\n0\r\n\r\n", "hello");
}

static void test_pt_wire_chunked_decode__trailers(void **state)
{
    (void)state;
    assert_chunked("5\r\nhello\r\n0\r\nX-Sum: abc\r\nY:\r\nZ: a b \t\r\n\r\n", "hello");
}

static void test_pt_wire_chunked_decode__trailer_limits(void **state)
{
    size_t n = 0;
    unsigned i;
    (void)state;
    /* 100 trailer fields, then 101. */
    n += (size_t)snprintf(big, sizeof(big), "1\r\nx\r\n0\r\n");
    for (i = 0; i < PT_HTTP_HEADER_FIELDS_MAX; i++) {
        n += (size_t)snprintf(big + n, sizeof(big) - n, "T%u: v\r\n", i);
    }
    memcpy(big + n, "\r\n", 3);
    assert_chunked_len(big, n + 2, n + 2, "x", 1);
    memcpy(big + n, "T: v\r\n\r\n", 9);
    assert_chunked_refused_len(big, n + 8, 431, "headers_too_large");
    /* A trailer section (its lines and final CRLF) of 16 KiB, then one byte more. */
    n = build(big, sizeof(big), "0\r\nT: ", 'v', PT_HTTP_HEADERS_BYTES_MAX - 7, "\r\n\r\n");
    assert_chunked_len(big, n, n, "", 0);
    n = build(big, sizeof(big), "0\r\nT: ", 'v', PT_HTTP_HEADERS_BYTES_MAX - 6, "\r\n\r\n");
    assert_chunked_refused_len(big, n, 431, "headers_too_large");
}

static void test_pt_wire_chunked_decode__pipelined_bytes_after_the_end(void **state)
{
    static const char in[] = "3\r\nabc\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    static const char body[] = "3\r\nabc\r\n0\r\nT: v\r\n\r\n";
    (void)state;
    assert_chunked_len(in, strlen(in), strlen(body), "abc", 3);
    /* Nothing but the data is moved: the next request follows at used. */
    {
        char *buf = dup_bytes(in, strlen(in));
        struct pt_wire_chunked c;
        size_t used;
        size_t data_len;
        struct pt_wire_error error;
        memset(&c, 0, sizeof(c));
        assert_int_equal(pt_wire_chunked_decode(&c, buf, strlen(in), &used, &data_len, &error),
                         PT_WIRE_DONE);
        assert_int_equal(used, strlen(body));
        assert_memory_equal(buf, "abc", 3);
        assert_memory_equal(buf + used, "GET / HTTP/1.1\r\n\r\n", strlen(in) - used);
        pt_free(buf);
    }
    /* An empty piece changes nothing. */
    {
        char one = '5';
        struct pt_wire_chunked c;
        size_t used = 1;
        size_t data_len = 1;
        struct pt_wire_error error;
        memset(&c, 0, sizeof(c));
        assert_int_equal(pt_wire_chunked_decode(&c, &one, 0, &used, &data_len, &error),
                         PT_WIRE_MORE);
        assert_int_equal(used, 0);
        assert_int_equal(data_len, 0);
        assert_int_equal(c.state, 0);
    }
}

static void test_pt_wire_chunked_decode__random_bodies_in_random_pieces(void **state)
{
    uint64_t seed = 20240611;
    unsigned round;
    (void)state;
    for (round = 0; round < 200; round++) {
        char data[2048];
        size_t data_len = 0;
        size_t n = 0;
        size_t cuts[16];
        size_t cut_count = 0;
        unsigned chunks = (unsigned)(pt_test_rand(&seed) % 6);
        unsigned i;
        struct decoded d;
        for (i = 0; i < chunks; i++) {
            size_t size = 1 + (size_t)(pt_test_rand(&seed) % 300);
            n += (size_t)snprintf(big + n, sizeof(big) - n, "%zx\r\n", size);
            pt_test_rand_bytes(&seed, (uint8_t *)data + data_len, size);
            memcpy(big + n, data + data_len, size);
            memcpy(big + n + size, "\r\n", 2);
            n += size + 2;
            data_len += size;
        }
        memcpy(big + n, "0\r\n\r\n", 5);
        n += 5;
        while (cut_count < 15) {
            size_t cut = (size_t)(pt_test_rand(&seed) % n);
            if (cut > (cut_count > 0 ? cuts[cut_count - 1] : 0)) {
                cuts[cut_count++] = cut;
            } else {
                break;
            }
        }
        cuts[cut_count++] = n;
        chunked_at_cuts(big, n, cuts, cut_count, &d);
        if (d.result != PT_WIRE_DONE || d.used != n || d.data_len != data_len ||
            memcmp(d.data, data, data_len) != 0) {
            fail_msg("seed 20240611 round %u: result %d, used %zu of %zu, data %zu of %zu", round,
                     (int)d.result, d.used, n, d.data_len, data_len);
        }
        decoded_free(&d);
    }
}

static void test_pt_wire_chunked_decode__refusals(void **state)
{
    size_t n;
    (void)state;
    /* The CRLF after the data. */
    assert_chunked_refused("5\r\nhelloX\r\n0\r\n\r\n");
    /* After the size's blanks, only an extension: "5 6" must not read as 5. */
    assert_chunked_refused("5 6\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused("5 garbage\r\nhello\r\n0\r\n\r\n");
    assert_chunked("5 \t \r\nhello\r\n0\r\n\r\n", "hello");
    assert_chunked_refused("5\r\nhello\n0\r\n\r\n");
    assert_chunked_refused("5\r\nhello\r0\r\n\r\n");
    assert_chunked_refused("5\r\nhello0\r\n\r\n");
    /* Bare LF anywhere. */
    assert_chunked_refused("5\nhello\r\n0\r\n\r\n");
    assert_chunked_refused("5;a\nhello\r\n0\r\n\r\n");
    assert_chunked_refused("0\n\r\n");
    assert_chunked_refused("0\r\n\n");
    assert_chunked_refused("0\r\nT: v\n\r\n");
    assert_chunked_refused("5\r\r\nhello\r\n0\r\n\r\n");
    /* Sizes. */
    assert_chunked_refused("g\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused("0x5\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused("-5\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused("+5\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused(" 5\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused("\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused(";a\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused("0000000000000005\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused("ffffffffffffffff\r\n");
    assert_chunked_refused("5\r\nhello\r\n\r\n");
    /* Extensions: control characters and DEL; the line's bound. */
    assert_chunked_refused("5;a=\x01\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused_len("5;a=\0\r\nhello\r\n0\r\n\r\n", 19, 400, BAD);
    assert_chunked_refused("5;a=\x7f\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused("5;a\rb\r\nhello\r\n0\r\n\r\n");
    n = build(big, sizeof(big), "5;", 'e', PT_WIRE_CHUNK_LINE_BYTES_MAX - 3,
              "\r\nhello\r\n0\r\n\r\n");
    assert_chunked_len(big, n, n, "hello", 5);
    n = build(big, sizeof(big), "5;", 'e', PT_WIRE_CHUNK_LINE_BYTES_MAX - 2,
              "\r\nhello\r\n0\r\n\r\n");
    assert_chunked_refused_len(big, n, 400, BAD);
    /* Trailers. */
    assert_chunked_refused("0\r\nX : v\r\n\r\n");
    assert_chunked_refused("0\r\n: v\r\n\r\n");
    assert_chunked_refused("0\r\nX\r\n\r\n");
    assert_chunked_refused("0\r\n X: v\r\n\r\n");
    assert_chunked_refused("0\r\nX: v\r\n folded\r\n\r\n");
    assert_chunked_refused("0\r\nX: a\x01\r\n\r\n");
    assert_chunked_refused("0\r\nX: a\rb\r\n\r\n");
    assert_chunked_refused("0\r\nX(: a\r\n\r\n");
    assert_chunked_refused("0\r\n\rX");
    assert_chunked_refused_len("0\r\nX: a\0\r\n\r\n", 12, 400, BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_wire_head_parse__get_with_host),
        PT_TEST(test_pt_wire_head_parse__post_with_content_length),
        PT_TEST(test_pt_wire_head_parse__chunked_post),
        PT_TEST(test_pt_wire_head_parse__http_1_0_keep_alive),
        PT_TEST(test_pt_wire_head_parse__connection_close),
        PT_TEST(test_pt_wire_head_parse__expect_continue),
        PT_TEST(test_pt_wire_head_parse__leading_empty_lines_up_to_the_limit),
        PT_TEST(test_pt_wire_head_parse__pipelined_bytes_stay_after_the_head),
        PT_TEST(test_pt_wire_head_parse__values_trimmed),
        PT_TEST(test_pt_wire_head_parse__obs_text_in_values),
        PT_TEST(test_pt_wire_head_field__without_case),
        PT_TEST(test_pt_wire_head_parse__method_at_32_bytes),
        PT_TEST(test_pt_wire_head_parse__target_at_8_kib),
        PT_TEST(test_pt_wire_head_parse__100_fields_fine_101_refused),
        PT_TEST(test_pt_wire_head_parse__header_section_at_16_kib),
        PT_TEST(test_pt_wire_head_parse__byte_by_byte_and_every_split),
        PT_TEST(test_pt_wire_head_parse__long_head_refused_alike_whole_or_in_pieces),
        PT_TEST(test_pt_wire_head_parse__refusals),
        PT_TEST(test_pt_wire_head_parse__tls_refused_at_the_first_byte),
        PT_TEST(test_pt_wire_head_parse__head_past_its_bound),
        PT_TEST(test_pt_wire_percent_decode__escapes),
        PT_TEST(test_pt_wire_percent_decode__plus),
        PT_TEST(test_pt_wire_percent_decode__malformed),
        PT_TEST(test_pt_wire_percent_decode__fit),
        PT_TEST(test_pt_wire_chunked_decode__chunks),
        PT_TEST(test_pt_wire_chunked_decode__binary_data),
        PT_TEST(test_pt_wire_chunked_decode__extensions),
        PT_TEST(test_pt_wire_chunked_decode__trailers),
        PT_TEST(test_pt_wire_chunked_decode__trailer_limits),
        PT_TEST(test_pt_wire_chunked_decode__pipelined_bytes_after_the_end),
        PT_TEST(test_pt_wire_chunked_decode__random_bodies_in_random_pieces),
        PT_TEST(test_pt_wire_chunked_decode__refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
