/* SPDX-License-Identifier: MIT */
/*
 * Pictures of codes for the till and the phone (issue 8): QR codes drawn with libqrencode and
 * Code 128 barcodes drawn with libzint, both written out as SVG here (each dark module or bar
 * a rectangle), so that a picture is exact at any size and needs no image library.
 * A QR code is also written as PNG (8-bit grey, compressed with zlib) for screens and tills
 * that take no SVG.
 * GET /v1/members/{id}/card/qr.svg and barcode.svg: the member's card number, so that a
 * member is found by scanning the phone.
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/assert.h"

#include <qrencode.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zint.h>
#include <zlib.h>

/* Modules of white space around a QR code (the standard's quiet zone) and pixels a module. */
#define QR_QUIET_MODULES 4
#define QR_MODULE_PX 8
/* A picture's SVG, at most. */
#define PICTURE_BYTES_MAX (512 * 1024)

/* Appends printf-formatted text to a buffer (a literal format: checked by the compiler). */
#define PUT(out, ...)                                                                              \
    do {                                                                                           \
        char piece_[200];                                                                          \
        int n_ = snprintf(piece_, sizeof(piece_), __VA_ARGS__);                                    \
        if (n_ > 0 && (size_t)n_ < sizeof(piece_)) {                                               \
            (void)pt_buf_append((out), piece_, (size_t)n_);                                        \
        } else {                                                                                   \
            (out)->failed = true;                                                                  \
        }                                                                                          \
    } while (0)

enum pt_rc pt_picture_qr_svg(const char *text, struct pt_buf *out, struct pt_err *err)
{
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    int size;
    int x;
    int y;
    if (qr == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "the QR code could not be drawn");
    }
    size = qr->width + 2 * QR_QUIET_MODULES;
    PUT(out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">",
        size * QR_MODULE_PX, size * QR_MODULE_PX, size, size);
    PUT(out, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"", size,
        size);
    for (y = 0; y < qr->width; y++) {
        for (x = 0; x < qr->width; x++) {
            int run = 0;
            /* A run of dark modules in a row is one rectangle. */
            while (x + run < qr->width && (qr->data[y * qr->width + x + run] & 1)) {
                run++;
            }
            if (run > 0) {
                PUT(out, "M%d %dh%dv1h-%dz", x + QR_QUIET_MODULES, y + QR_QUIET_MODULES, run, run);
                x += run - 1;
            }
        }
    }
    (void)pt_buf_append(out, "\"/></svg>\n", 10);
    QRcode_free(qr);
    return out->failed ? pt_err_set(err, PT_ENOMEM, NULL, "the picture is too big") : PT_OK;
}

/* Appends one PNG chunk: length, type, data, CRC of type and data. */
static void png_chunk(struct pt_buf *out, const char type[4], const unsigned char *data, size_t n)
{
    unsigned char head[8];
    unsigned char tail[4];
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (n > 0) {
        crc = crc32(crc, data, (uInt)n);
    }
    head[0] = (unsigned char)(n >> 24);
    head[1] = (unsigned char)(n >> 16);
    head[2] = (unsigned char)(n >> 8);
    head[3] = (unsigned char)n;
    memcpy(head + 4, type, 4);
    tail[0] = (unsigned char)(crc >> 24);
    tail[1] = (unsigned char)(crc >> 16);
    tail[2] = (unsigned char)(crc >> 8);
    tail[3] = (unsigned char)crc;
    (void)pt_buf_append(out, head, sizeof(head));
    if (n > 0) {
        (void)pt_buf_append(out, data, n);
    }
    (void)pt_buf_append(out, tail, sizeof(tail));
}

enum pt_rc pt_picture_qr_png(const char *text, struct pt_buf *out, struct pt_err *err)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    struct pt_buf raw;
    unsigned char ihdr[13];
    unsigned char *packed = NULL;
    uLongf packed_len;
    uint32_t side;
    uint32_t x;
    uint32_t y;
    enum pt_rc rc = PT_OK;
    if (qr == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "the QR code could not be drawn");
    }
    side = (uint32_t)(qr->width + 2 * QR_QUIET_MODULES) * QR_MODULE_PX;
    pt_buf_init(&raw, PICTURE_BYTES_MAX * 8);
    /* Rows of grey bytes, each after its filter byte (0: none). */
    for (y = 0; y < side && !raw.failed; y++) {
        int row = (int)(y / QR_MODULE_PX) - QR_QUIET_MODULES;
        unsigned char line[1 + 2048];
        pt_assert(side < sizeof(line));
        line[0] = 0;
        for (x = 0; x < side; x++) {
            int col = (int)(x / QR_MODULE_PX) - QR_QUIET_MODULES;
            bool dark = row >= 0 && row < qr->width && col >= 0 && col < qr->width &&
                        (qr->data[row * qr->width + col] & 1);
            line[1 + x] = dark ? 0 : 255;
        }
        (void)pt_buf_append(&raw, line, 1 + side);
    }
    QRcode_free(qr);
    packed_len = compressBound((uLong)raw.len);
    packed = raw.failed ? NULL : pt_malloc(packed_len);
    if (packed == NULL ||
        compress2(packed, &packed_len, (const Bytef *)raw.ptr, (uLong)raw.len, 9) != Z_OK) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "the picture could not be compressed");
    }
    if (rc == PT_OK) {
        ihdr[0] = (unsigned char)(side >> 24);
        ihdr[1] = (unsigned char)(side >> 16);
        ihdr[2] = (unsigned char)(side >> 8);
        ihdr[3] = (unsigned char)side;
        memcpy(ihdr + 4, ihdr, 4); /* Square. */
        ihdr[8] = 8;               /* bits per sample */
        ihdr[9] = 0;               /* grey */
        ihdr[10] = 0;              /* deflate */
        ihdr[11] = 0;              /* adaptive filtering (each row says none) */
        ihdr[12] = 0;              /* no interlace */
        (void)pt_buf_append(out, signature, sizeof(signature));
        png_chunk(out, "IHDR", ihdr, sizeof(ihdr));
        png_chunk(out, "IDAT", packed, packed_len);
        png_chunk(out, "IEND", NULL, 0);
        if (out->failed) {
            rc = pt_err_set(err, PT_ENOMEM, NULL, "the picture is too big");
        }
    }
    pt_free(packed);
    pt_buf_fini(&raw);
    return rc;
}

enum pt_rc pt_picture_code128_svg(const char *text, struct pt_buf *out, struct pt_err *err)
{
    struct zint_symbol *symbol = ZBarcode_Create();
    const struct zint_vector_rect *r;
    const struct zint_vector_string *s;
    enum pt_rc rc = PT_OK;
    if (symbol == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    symbol->symbology = BARCODE_CODE128;
    symbol->whitespace_width = 10; /* Code 128's quiet zone: 10 modules each side. */
    symbol->scale = 2;
    if (ZBarcode_Encode(symbol, (const unsigned char *)text, (int)strlen(text)) >= ZINT_ERROR ||
        ZBarcode_Buffer_Vector(symbol, 0) >= ZINT_ERROR) {
        rc = pt_err_set(err, PT_EINVAL, NULL, "the barcode could not be drawn: %s", symbol->errtxt);
        ZBarcode_Delete(symbol);
        return rc;
    }
    PUT(out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.2f\" height=\"%.2f\" "
        "viewBox=\"0 0 %.2f %.2f\" shape-rendering=\"crispEdges\">",
        (double)symbol->vector->width * 2, (double)symbol->vector->height * 2,
        (double)symbol->vector->width, (double)symbol->vector->height);
    PUT(out, "<rect width=\"%.2f\" height=\"%.2f\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
        (double)symbol->vector->width, (double)symbol->vector->height);
    for (r = symbol->vector->rectangles; r != NULL; r = r->next) {
        PUT(out, "M%.2f %.2fh%.2fv%.2fh-%.2fz", (double)r->x, (double)r->y, (double)r->width,
            (double)r->height, (double)r->width);
    }
    (void)pt_buf_append(out, "\"/>", 3);
    for (s = symbol->vector->strings; s != NULL; s = s->next) {
        /* The human-readable line under the bars: digits only for a card number. */
        PUT(out,
            "<text x=\"%.2f\" y=\"%.2f\" font-family=\"monospace\" font-size=\"%.2f\" "
            "text-anchor=\"middle\">",
            (double)s->x, (double)s->y, (double)s->fsize);
        (void)pt_buf_append(out, s->text, (size_t)s->length);
        (void)pt_buf_append(out, "</text>", 7);
    }
    (void)pt_buf_append(out, "</svg>\n", 7);
    ZBarcode_Delete(symbol);
    return out->failed ? pt_err_set(err, PT_ENOMEM, NULL, "the picture is too big") : PT_OK;
}

static void reply_svg(struct pt_http_ctx *ctx,
                      enum pt_rc (*draw)(const char *, struct pt_buf *, struct pt_err *))
{
    struct pt_member m;
    struct pt_err err;
    struct pt_buf svg;
    pt_err_clear(&err);
    if (pt_service_member_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &m, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    /* An erased member's card number was released: no card to draw. */
    if (m.status == PT_MEMBER_ERASED && pt_member_erased(&m, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_buf_init(&svg, PICTURE_BYTES_MAX);
    if (draw(m.card_number, &svg, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
    } else {
        pt_http_reply_raw(ctx, 200, "image/svg+xml", svg.ptr, svg.len, false);
    }
    pt_buf_fini(&svg);
}

void pt_h_member_card_qr(struct pt_http_ctx *ctx)
{
    reply_svg(ctx, pt_picture_qr_svg);
}

void pt_h_member_card_barcode(struct pt_http_ctx *ctx)
{
    reply_svg(ctx, pt_picture_code128_svg);
}
