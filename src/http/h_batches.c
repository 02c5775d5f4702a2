/* SPDX-License-Identifier: MIT */
/*
 * Promotion codes in bulk (docs/rewards.md): POST/GET /v1/coupon-batches, GET
 * /v1/coupon-batches/{id}, and its codes as CSV, streamed a page of codes at a time so that a
 * million codes never sit in memory at once.
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/clock.h"
#include "base/names.h"
#include "core/coupon_code.h"

#include <stdio.h>
#include <string.h>

/* Codes read per page of codes.csv (one read transaction each). */
#define CODES_PAGE 5000
/* The first line of codes.csv. */
#define CODES_HEADER "n,code,printed\n"

json_t *pt_http_batch_json(const struct pt_coupon_batch *b)
{
    json_t *discount = json_null();
    if (b->reward_id[0] == '\0') {
        discount = json_pack("{s:s,s:I,s:o}", "type", pt_reward_type_names[b->type], "value",
                             (json_int_t)b->value, "sku", pt_json_string_or_null(b->sku));
    }
    return json_pack("{s:s,s:s,s:o,s:o,s:s,s:I,s:I,s:I,s:s,s:o,s:I,s:o,s:o,s:o,s:o,s:o,s:b}", "id",
                     b->id, "name", b->name, "reward_id",
                     b->reward_id[0] ? json_string(b->reward_id) : json_null(), "discount",
                     discount, "prefix", b->prefix, "count", (json_int_t)b->count, "generated",
                     (json_int_t)b->generated, "progress",
                     (json_int_t)(b->count > 0 ? b->generated * 100 / b->count : 0), "status",
                     pt_batch_status_names[b->status], "error", pt_json_string_or_null(b->error),
                     "uses_per_code", (json_int_t)b->uses_per_code, "uses_per_member",
                     b->uses_per_member > 0 ? json_integer(b->uses_per_member) : json_null(),
                     "valid_from", pt_json_time_or_null(b->valid_from_ms, INT64_MIN), "valid_to",
                     pt_json_time_or_null(b->valid_to_ms, INT64_MAX), "created_at",
                     pt_json_time(b->created_at_ms), "updated_at", pt_json_time(b->updated_at_ms),
                     "combines", b->combines);
}

static enum pt_rc time_field(json_t *body, const char *key, int64_t *out, struct pt_err *err)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL || json_is_null(v)) {
        return PT_OK;
    }
    if (!json_is_string(v) || !pt_time_parse_rfc3339(json_string_value(v), out)) {
        return pt_err_set(
            err, PT_EINVAL, key,
            "%s is null or an RFC 3339 time between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z",
            key);
    }
    return PT_OK;
}

/* The discount object {type, value, sku} of a batch without a reward. */
static enum pt_rc discount_decode(json_t *d, struct pt_arena *arena, struct pt_coupon_batch *b,
                                  struct pt_err *err)
{
    static const char *const fields[] = {"type", "value", "sku", NULL};
    const char *type = NULL;
    bool present = false;
    int i;
    enum pt_rc rc;
    if (!json_is_object(d)) {
        return pt_err_set(err, PT_EINVAL, "discount", "discount is an object {type, value, sku}");
    }
    rc = pt_json_check_fields(d, fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(d, "type", true, arena, &type, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(d, "value", "discount.value", false, 0, INT64_MAX, &b->value, &present,
                             err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(d, "sku", false, arena, &b->sku, err);
    }
    if (rc != PT_OK) {
        /* Name the field by its path in the body. */
        if (strncmp(err->field, "discount.", 9) != 0 && strlen(err->field) < 32) {
            char field[48];
            memcpy(field, "discount.", 9);
            memcpy(field + 9, err->field, strlen(err->field) + 1);
            memcpy(err->field, field, strlen(field) + 1);
        }
        return rc;
    }
    i = pt_name_index(pt_reward_type_names, PT_REWARD_TYPES, type);
    if (i != PT_REWARD_DISCOUNT_AMOUNT && i != PT_REWARD_DISCOUNT_PERCENT &&
        i != PT_REWARD_FREE_PRODUCT) {
        return pt_err_set(err, PT_EINVAL, "discount.type",
                          "discount.type is discount_amount, discount_percent or free_product");
    }
    b->type = (enum pt_reward_type)i;
    return PT_OK;
}

static enum pt_rc batch_decode(json_t *body, struct pt_arena *arena, struct pt_coupon_batch *b,
                               struct pt_err *err)
{
    static const char *const fields[] = {
        "name",     "reward_id",     "discount",        "count",    "prefix", "valid_from",
        "valid_to", "uses_per_code", "uses_per_member", "combines", NULL};
    const char *reward_id = NULL;
    const char *prefix = NULL;
    json_t *discount = json_object_get(body, "discount");
    bool present = false;
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "name", true, arena, &b->name, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "reward_id", false, arena, &reward_id, err);
    }
    if (rc == PT_OK && (reward_id == NULL) == (discount == NULL || json_is_null(discount))) {
        rc = pt_err_set(err, PT_EINVAL, "reward_id",
                        "a batch gives either a reward (reward_id) or its own discount");
    }
    if (rc == PT_OK && reward_id != NULL) {
        if (strlen(reward_id) >= sizeof(b->reward_id) || reward_id[0] == '\0') {
            rc = pt_err_set(err, PT_EINVAL, "reward_id", "no such reward: %.40s", reward_id);
        } else {
            (void)snprintf(b->reward_id, sizeof(b->reward_id), "%s", reward_id);
        }
    } else if (rc == PT_OK) {
        rc = discount_decode(discount, arena, b, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(body, "count", "count", true, 1, PT_BATCH_COUNT_MAX, &b->count,
                             &present, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "prefix", false, arena, &prefix, err);
    }
    if (rc == PT_OK && prefix != NULL) {
        if (strlen(prefix) >= sizeof(b->prefix)) {
            rc = pt_err_set(err, PT_EINVAL, "prefix", "prefix is at most %d symbols",
                            PT_COUPON_PREFIX_MAX);
        } else {
            (void)snprintf(b->prefix, sizeof(b->prefix), "%s", prefix);
        }
    }
    if (rc == PT_OK) {
        rc = time_field(body, "valid_from", &b->valid_from_ms, err);
    }
    if (rc == PT_OK) {
        rc = time_field(body, "valid_to", &b->valid_to_ms, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(body, "uses_per_code", "uses_per_code", false, 1, PT_BATCH_USES_MAX,
                             &b->uses_per_code, &present, err);
    }
    if (rc == PT_OK && !json_is_null(json_object_get(body, "uses_per_member"))) {
        rc = pt_json_get_int(body, "uses_per_member", "uses_per_member", false, 1,
                             PT_BATCH_USES_MAX, &b->uses_per_member, &present, err);
    }
    if (rc == PT_OK && json_object_get(body, "combines") != NULL) {
        json_t *v = json_object_get(body, "combines");
        if (!json_is_boolean(v)) {
            return pt_err_set(err, PT_EINVAL, "combines", "combines must be true or false");
        }
        b->combines = json_is_true(v);
    }
    return rc;
}

static void batch_defaults(void *obj)
{
    struct pt_coupon_batch *b = obj;
    b->valid_from_ms = INT64_MIN;
    b->valid_to_ms = INT64_MAX;
    b->uses_per_code = 1;
}

static enum pt_rc batch_decode_any(json_t *body, struct pt_arena *arena, void *obj,
                                   struct pt_err *err)
{
    return batch_decode(body, arena, obj, err);
}

static json_t *batch_encode(const void *obj)
{
    return pt_http_batch_json(obj);
}

static enum pt_rc batch_create(struct pt_http_ctx *ctx, void *obj, struct pt_idem *idem,
                               struct pt_err *err)
{
    return pt_service_coupon_batch_create(ctx->svc, &ctx->who, obj, idem, &ctx->arena, err);
}

static enum pt_rc batch_get(struct pt_http_ctx *ctx, void *out, struct pt_err *err)
{
    return pt_service_coupon_batch_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, out, err);
}

/* A batch is made once and never changed: no table, no PATCH; its codes are made after the
 * answer (202). */
static const struct pt_http_object batch_object = {
    .size = sizeof(struct pt_coupon_batch),
    .defaults = batch_defaults,
    .decode = batch_decode_any,
    .encode = batch_encode,
    .created_status = 202,
    .create = batch_create,
    .get = batch_get,
};

void pt_h_batch_create(struct pt_http_ctx *ctx)
{
    pt_http_object_create(ctx, &batch_object);
}

void pt_h_batch_get(struct pt_http_ctx *ctx)
{
    pt_http_object_get(ctx, &batch_object);
}

static json_t *batch_item_json(const void *item, const void *cls)
{
    (void)cls;
    return pt_http_batch_json(item);
}

void pt_h_batch_list(struct pt_http_ctx *ctx)
{
    static const struct pt_http_list list = {.params = pt_http_page_query,
                                             .id_prefix = "cbt",
                                             .item_bytes = sizeof(struct pt_coupon_batch),
                                             .key_offset = offsetof(struct pt_coupon_batch, id),
                                             .encode = batch_item_json};
    struct pt_http_page page;
    struct pt_coupon_batch *batches = NULL;
    unsigned count = 0;
    struct pt_err err;
    pt_err_clear(&err);
    if (!pt_http_list_params(ctx, &list, &page)) {
        return;
    }
    if (pt_service_coupon_batch_list(ctx->svc, &ctx->who, page.cursor, page.limit + 1, &ctx->arena,
                                     &batches, &count, &err) != PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    pt_http_reply_list(ctx, &list, &page, batches, count, NULL);
}

/* ---- codes.csv ---- */

/* A download in progress: pages of codes read on the connection's thread as the client takes
 * them. */
struct codes_stream {
    struct pt_service *svc; /* borrowed */
    char program_id[PT_ID_BUF_BYTES];
    char batch_id[PT_ID_BUF_BYTES];
    size_t prefix_len;
    int64_t count;  /* Codes of the batch (ready: all stored). */
    int64_t last_n; /* The last code written into text. */
    struct pt_buf text;
    size_t sent; /* Bytes of text handed out. */
    struct pt_promo_code *page;
};

static void codes_stream_free(void *cls)
{
    struct codes_stream *s = cls;
    pt_buf_fini(&s->text);
    pt_free(s->page);
    pt_free(s);
}

/* Refills text with the next page of lines; false when the store fails. */
static bool codes_stream_page(struct codes_stream *s)
{
    struct pt_err err;
    unsigned count = 0;
    unsigned i;
    bool ok = true;
    pt_err_clear(&err);
    pt_buf_reset(&s->text);
    s->sent = 0;
    if (pt_service_promo_codes_page(s->svc, s->program_id, s->batch_id, s->last_n, CODES_PAGE,
                                    s->page, &count, &err) != PT_OK) {
        return false;
    }
    for (i = 0; i < count && ok; i++) {
        char printed[PT_COUPON_PRINTED_BYTES];
        char line[24 + PT_COUPON_CODE_MAX + PT_COUPON_PRINTED_BYTES];
        int n;
        /* A ready batch holds n = 1..count: a gap would be a broken batch, and the length
         * announced would be wrong. */
        if (s->page[i].n != s->last_n + 1) {
            return false;
        }
        pt_coupon_code_print(s->page[i].code, s->prefix_len, printed, sizeof(printed));
        n = snprintf(line, sizeof(line), "%lld,%s,%s\n", (long long)s->page[i].n, s->page[i].code,
                     printed);
        ok = n > 0 && (size_t)n < sizeof(line) && pt_buf_append(&s->text, line, (size_t)n);
        s->last_n = s->page[i].n;
    }
    return ok && count > 0;
}

static ssize_t codes_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct codes_stream *s = cls;
    size_t n;
    (void)pos;
    if (s->sent == s->text.len) {
        if (s->last_n == s->count) {
            return PT_HTTP_STREAM_END;
        }
        if (!codes_stream_page(s)) {
            /* The client sees a body shorter than Content-Length: a failed download. */
            return PT_HTTP_STREAM_ERROR;
        }
    }
    n = s->text.len - s->sent < max ? s->text.len - s->sent : max;
    memcpy(buf, s->text.ptr + s->sent, n);
    s->sent += n;
    return (ssize_t)n;
}

/* Bytes of codes.csv: the header and, per code, its n, the code and its printed form (every
 * code of a batch has the same length) with two commas and a newline. */
static uint64_t codes_csv_size(int64_t count, size_t code_len, size_t printed_len)
{
    uint64_t size = strlen(CODES_HEADER) + (uint64_t)count * (code_len + printed_len + 3);
    int64_t from = 1;
    unsigned digits = 1;
    while (from <= count) {
        int64_t to = from * 10 - 1 < count ? from * 10 - 1 : count;
        size += (uint64_t)(to - from + 1) * digits;
        from *= 10;
        digits++;
    }
    return size;
}

void pt_h_batch_codes(struct pt_http_ctx *ctx)
{
    struct pt_coupon_batch b;
    struct codes_stream *s;
    struct pt_err err;
    char printed[PT_COUPON_PRINTED_BYTES];
    char sample[PT_COUPON_CODE_MAX + 1];
    size_t code_len;
    pt_err_clear(&err);
    if (pt_service_coupon_batch_get(ctx->svc, &ctx->who, ctx->params[0], &ctx->arena, &b, &err) !=
        PT_OK) {
        pt_http_reply_err(ctx, &err);
        return;
    }
    if (b.status != PT_BATCH_READY) {
        char message[120];
        (void)snprintf(message, sizeof(message), "the batch is %s: %lld of %lld codes made so far",
                       pt_batch_status_names[b.status], (long long)b.generated, (long long)b.count);
        pt_http_reply_error(ctx, 409, "batch_not_ready", NULL, message);
        return;
    }
    s = pt_calloc(1, sizeof(*s));
    if (s == NULL || (s->page = pt_calloc(CODES_PAGE, sizeof(*s->page))) == NULL) {
        pt_free(s);
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory; retry");
        return;
    }
    s->svc = ctx->svc;
    (void)snprintf(s->program_id, sizeof(s->program_id), "%s", ctx->who.program_id);
    (void)snprintf(s->batch_id, sizeof(s->batch_id), "%s", b.id);
    s->prefix_len = strlen(b.prefix);
    s->count = b.count;
    pt_buf_init(&s->text, (size_t)CODES_PAGE * 64 + 64);
    if (!pt_buf_append(&s->text, CODES_HEADER, strlen(CODES_HEADER))) {
        codes_stream_free(s);
        pt_http_reply_error(ctx, 503, "unavailable", NULL, "out of memory; retry");
        return;
    }
    /* Every code is the prefix, the random symbols and the check symbol. */
    code_len = s->prefix_len + PT_COUPON_RANDOM_SYMBOLS + 1;
    memset(sample, '0', code_len);
    memcpy(sample, b.prefix, s->prefix_len);
    sample[code_len] = '\0';
    pt_coupon_code_print(sample, s->prefix_len, printed, sizeof(printed));
    pt_http_reply_stream(ctx, "text/csv; charset=utf-8",
                         codes_csv_size(b.count, code_len, strlen(printed)), codes_stream_read, s,
                         codes_stream_free);
}
