/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the bytes of a connection -> request head (pt_wire_head_parse), request target
 * (pt_wire_percent_decode) and chunked body (pt_wire_chunked_decode) of src/http/wire.c.
 * (Named fuzz_json_* as every target is; these are the bytes around the JSON.)
 * Properties: never crashes or reads past the bytes given (each call gets a buffer of exactly
 * its bytes); a head is DONE within the input with a method of tokens, a target starting with
 * '/' of at most 8 KiB, at most 100 fields whose names are tokens and whose values hold no CR,
 * LF or NUL, and no Content-Length with chunked; an ERROR is 400, 414, 417, 431, 501 or 505 with
 * a code and a message; the answer is the same when the bytes arrive split in two at a position
 * taken from the input. The chunked decoder, on the input and on the bytes after a chunked head,
 * reports data_len <= used <= len, uses every byte when it wants more, and decodes the same data
 * in two pieces as in one.
 */
#include "fuzz_target.h"

#include "base/assert.h"
#include "http/wire.h"

#include <stdbool.h>
#include <string.h>

/* ---- Heads ---- */

struct head_run {
    enum pt_wire_result result;
    struct pt_wire_head head;
    struct pt_wire_error error;
    char *buf; /* new (pt_malloc): the bytes parsed, changed by the parser. */
};

/* A position in [0, size] taken from the first and last bytes, so that each input has its own
 * split and a mutation of the input moves it. */
static size_t split_at(const uint8_t *data, size_t size, uint32_t salt)
{
    uint32_t h = 2166136261u ^ salt;
    size_t i;
    if (size == 0) {
        return 0;
    }
    for (i = 0; i < size && i < 8; i++) {
        h = (h ^ data[i]) * 16777619u;
        h = (h ^ data[size - 1 - i]) * 16777619u;
    }
    return h % (size + 1);
}

/* Parses the bytes as they would arrive: the first cut bytes, then all of them, the buffer
 * grown in between as a server grows its input buffer. */
static void head_run(const uint8_t *data, size_t size, size_t cut, struct head_run *r)
{
    size_t scanned = 0;
    r->result = PT_WIRE_MORE;
    r->buf = pt_malloc(cut > 0 ? cut : 1);
    FUZZ_CHECK(r->buf != NULL);
    memcpy(r->buf, data, cut);
    if (cut > 0) {
        r->result = pt_wire_head_parse(r->buf, cut, &scanned, &r->head, &r->error);
        FUZZ_CHECK(scanned <= cut);
    }
    if (r->result == PT_WIRE_MORE && size > cut) {
        char *grown = pt_realloc(r->buf, size);
        FUZZ_CHECK(grown != NULL);
        r->buf = grown;
        memcpy(r->buf + cut, data + cut, size - cut);
        r->result = pt_wire_head_parse(r->buf, size, &scanned, &r->head, &r->error);
    }
}

static bool is_token(const char *s)
{
    static const char others[] = "!#$%&'*+-.^_`|~";
    size_t i;
    for (i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(others, c) != NULL)) {
            return false;
        }
    }
    return i > 0;
}

/* Whether p lies in the head's bytes of r. */
static bool in_head(const struct head_run *r, const char *p)
{
    return p >= r->buf && p < r->buf + r->head.head_bytes;
}

static void head_check_error(const struct pt_wire_error *e)
{
    FUZZ_CHECK(e->status == 400 || e->status == 414 || e->status == 417 || e->status == 431 ||
               e->status == 501 || e->status == 505);
    FUZZ_CHECK(e->code != NULL && e->code[0] != '\0');
    FUZZ_CHECK(e->message != NULL && e->message[0] != '\0');
}

static void head_check_done(const struct head_run *r, const uint8_t *data, size_t size)
{
    const struct pt_wire_head *h = &r->head;
    char decoded[PT_HTTP_URI_BYTES_MAX + 1];
    unsigned i;
    FUZZ_CHECK(h->head_bytes > 0 && h->head_bytes <= size);
    /* Nothing after the head was touched: it is the body or the next request. */
    FUZZ_CHECK(memcmp(r->buf + h->head_bytes, data + h->head_bytes, size - h->head_bytes) == 0);
    FUZZ_CHECK(h->method != NULL && in_head(r, h->method));
    FUZZ_CHECK(is_token(h->method) && strlen(h->method) <= PT_WIRE_METHOD_BYTES_MAX);
    FUZZ_CHECK(h->target != NULL && in_head(r, h->target));
    FUZZ_CHECK(h->target[0] == '/');
    FUZZ_CHECK(h->target_len <= PT_HTTP_URI_BYTES_MAX && strlen(h->target) == h->target_len);
    FUZZ_CHECK(h->minor <= 1);
    FUZZ_CHECK(h->field_count <= PT_HTTP_HEADER_FIELDS_MAX);
    for (i = 0; i < h->field_count; i++) {
        const struct pt_wire_field *f = &h->fields[i];
        FUZZ_CHECK(in_head(r, f->name) && is_token(f->name));
        FUZZ_CHECK(in_head(r, f->value) && strlen(f->value) == f->value_len);
        FUZZ_CHECK(strpbrk(f->value, "\r\n") == NULL);
        if (f->value_len > 0) {
            FUZZ_CHECK(f->value[0] != ' ' && f->value[0] != '\t');
            FUZZ_CHECK(f->value[f->value_len - 1] != ' ' && f->value[f->value_len - 1] != '\t');
        }
    }
    if (h->chunked) {
        FUZZ_CHECK(h->content_length == 0);
        FUZZ_CHECK(h->minor == 1);
    }
    if (h->minor == 1) {
        FUZZ_CHECK(pt_wire_head_field(h, "host") != NULL);
    }
    FUZZ_CHECK(!h->expect_continue || h->minor == 1);
    /* Decoding never makes a target longer, and a decoded one holds no NUL. */
    if (pt_wire_percent_decode(h->target, h->target_len, false, decoded, sizeof(decoded))) {
        FUZZ_CHECK(strlen(decoded) <= h->target_len);
        FUZZ_CHECK(memchr(h->target, '%', h->target_len) != NULL ||
                   strcmp(decoded, h->target) == 0);
    }
}

static void head_check_same(const struct head_run *a, const struct head_run *b)
{
    unsigned i;
    FUZZ_CHECK(a->result == b->result);
    if (a->result == PT_WIRE_ERROR) {
        FUZZ_CHECK(a->error.status == b->error.status);
        FUZZ_CHECK(strcmp(a->error.code, b->error.code) == 0);
        FUZZ_CHECK(strcmp(a->error.message, b->error.message) == 0);
    }
    if (a->result != PT_WIRE_DONE) {
        return;
    }
    FUZZ_CHECK(a->head.head_bytes == b->head.head_bytes);
    FUZZ_CHECK(a->head.method - a->buf == b->head.method - b->buf);
    FUZZ_CHECK(a->head.target - a->buf == b->head.target - b->buf);
    FUZZ_CHECK(a->head.target_len == b->head.target_len);
    FUZZ_CHECK(a->head.minor == b->head.minor);
    FUZZ_CHECK(a->head.field_count == b->head.field_count);
    for (i = 0; i < a->head.field_count; i++) {
        FUZZ_CHECK(a->head.fields[i].name - a->buf == b->head.fields[i].name - b->buf);
        FUZZ_CHECK(a->head.fields[i].value - a->buf == b->head.fields[i].value - b->buf);
        FUZZ_CHECK(a->head.fields[i].value_len == b->head.fields[i].value_len);
    }
    FUZZ_CHECK(a->head.chunked == b->head.chunked);
    FUZZ_CHECK(a->head.content_length == b->head.content_length);
    FUZZ_CHECK(a->head.keep_alive == b->head.keep_alive);
    FUZZ_CHECK(a->head.expect_continue == b->head.expect_continue);
    FUZZ_CHECK(memcmp(a->buf, b->buf, a->head.head_bytes) == 0);
}

/* ---- Chunked bodies ---- */

struct chunked_run {
    enum pt_wire_result result;
    struct pt_wire_error error;
    char *data; /* new (pt_malloc): the data of both pieces. */
    size_t data_len;
    size_t used;
};

/* Decodes the bytes in two pieces, [0, cut) and [cut, size), each in its own buffer. */
static void chunked_run(const uint8_t *data, size_t size, size_t cut, struct chunked_run *r)
{
    struct pt_wire_chunked c;
    size_t from = 0;
    size_t to = cut;
    memset(&c, 0, sizeof(c));
    memset(r, 0, sizeof(*r));
    r->result = PT_WIRE_MORE;
    r->data = pt_malloc(size > 0 ? size : 1);
    FUZZ_CHECK(r->data != NULL);
    while (r->result == PT_WIRE_MORE && from < size) {
        size_t piece = to - from;
        size_t used;
        size_t data_len;
        char *buf = pt_malloc(piece > 0 ? piece : 1);
        FUZZ_CHECK(buf != NULL);
        memcpy(buf, data + from, piece);
        r->result = pt_wire_chunked_decode(&c, buf, piece, &used, &data_len, &r->error);
        if (r->result == PT_WIRE_ERROR) {
            FUZZ_CHECK(r->error.status == 400 || r->error.status == 431);
            FUZZ_CHECK(r->error.code != NULL && r->error.message != NULL);
        } else {
            FUZZ_CHECK(data_len <= used && used <= piece);
            if (r->result == PT_WIRE_MORE) {
                FUZZ_CHECK(used == piece);
            }
            memcpy(r->data + r->data_len, buf, data_len);
            r->data_len += data_len;
            r->used += used;
        }
        pt_free(buf);
        from = to;
        to = size;
    }
}

static void chunked_check(const uint8_t *data, size_t size, uint32_t salt)
{
    struct chunked_run whole;
    struct chunked_run split;
    chunked_run(data, size, size, &whole);
    chunked_run(data, size, split_at(data, size, salt), &split);
    FUZZ_CHECK(whole.result == split.result);
    if (whole.result == PT_WIRE_ERROR) {
        FUZZ_CHECK(whole.error.status == split.error.status);
    } else {
        FUZZ_CHECK(whole.used == split.used);
        FUZZ_CHECK(whole.data_len == split.data_len);
        FUZZ_CHECK(memcmp(whole.data, split.data, whole.data_len) == 0);
        FUZZ_CHECK(whole.data_len <= whole.used && whole.used <= size);
    }
    pt_free(whole.data);
    pt_free(split.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct head_run whole;
    struct head_run split;
    fuzz_setup();
    head_run(data, size, size, &whole);
    head_run(data, size, split_at(data, size, 1), &split);
    if (whole.result == PT_WIRE_DONE) {
        head_check_done(&whole, data, size);
    } else if (whole.result == PT_WIRE_ERROR) {
        head_check_error(&whole.error);
    }
    head_check_same(&whole, &split);
    /* The body after a chunked head, as the server would decode it, and the input itself. */
    if (whole.result == PT_WIRE_DONE && whole.head.chunked) {
        chunked_check(data + whole.head.head_bytes, size - whole.head.head_bytes, 2);
    }
    chunked_check(data, size, 3);
    pt_free(whole.buf);
    pt_free(split.buf);
    return 0;
}
