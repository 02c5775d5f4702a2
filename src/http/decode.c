/* SPDX-License-Identifier: MIT */
/*
 * Request decoders: a parsed JSON body into the plain C request the service takes. Strict: an
 * unknown field, a wrong type, a real where an integer belongs, a NUL inside a string, or a
 * value out of its limit is PT_EINVAL naming the field. Values are validated by core later;
 * these functions check shape. Each is also a fuzz target (fuzz/).
 */
#include "http/http_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "core/member.h"

#include <stdio.h>
#include <string.h>

enum pt_rc pt_decode_body(const char *bytes, size_t len, json_t **out, struct pt_err *err)
{
    json_error_t jerr;
    json_t *root;
    uint64_t failures = pt_alloc_failures_here();
    *out = NULL;
    if (len == 0) {
        (void)pt_err_set(err, PT_EINVAL, NULL, "the body is empty; send a JSON object");
        return pt_err_code(err, "malformed_json");
    }
    /* Any JSON value parses; a valid body that is not an object is a validation error. */
    /* \u0000 parses, so that a NUL inside a field is refused naming the field (every string
     * read goes through pt_json_get_string, which refuses it). */
    root = json_loadb(bytes, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (root == NULL && pt_alloc_failures_here() != failures) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory"); /* jansson says "invalid". */
    }
    if (root == NULL) {
        (void)pt_err_set(err, PT_EINVAL, NULL, "the body is not valid JSON at byte %d: %s",
                         jerr.position, jerr.text);
        return pt_err_code(err, "malformed_json");
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return pt_err_set(err, PT_EINVAL, NULL, "the body must be a JSON object");
    }
    if (!pt_json_depth_ok(root, PT_JSON_DEPTH_MAX)) {
        json_decref(root);
        return pt_err_set(err, PT_EINVAL, NULL, "the body nests deeper than %d levels",
                          PT_JSON_DEPTH_MAX);
    }
    *out = root;
    return PT_OK;
}

/* ---- Members ---- */

static enum pt_rc read_consents(json_t *obj, struct pt_member *m, struct pt_err *err)
{
    static const char *const fields[] = {"email", "sms", "push", NULL};
    json_t *v = json_object_get(obj, "consents");
    bool *slots[] = {&m->consent_email, &m->consent_sms, &m->consent_push};
    size_t i;
    if (json_is_null(v)) {
        return PT_OK;
    }
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "consents",
                          "consents must be an object like {\"email\": true}");
    }
    if (pt_json_check_fields(v, fields, err) != PT_OK) {
        char field[64];
        memcpy(field, err->field, sizeof(field));
        (void)snprintf(err->field, sizeof(err->field), "consents.%.40s", field);
        return err->rc;
    }
    for (i = 0; fields[i] != NULL; i++) {
        json_t *b = json_object_get(v, fields[i]);
        if (b == NULL || json_is_null(b)) {
            continue;
        }
        if (!json_is_boolean(b)) {
            char field[32];
            (void)snprintf(field, sizeof(field), "consents.%s", fields[i]);
            return pt_err_set(err, PT_EINVAL, field, "%s must be true or false", field);
        }
        *slots[i] = json_is_true(b);
    }
    return PT_OK;
}

static enum pt_rc read_attributes(json_t *obj, struct pt_arena *arena, struct pt_member *m,
                                  struct pt_err *err)
{
    json_t *v = json_object_get(obj, "attributes");
    char *text;
    if (json_is_null(v)) {
        return PT_OK;
    }
    if (!json_is_object(v)) {
        return pt_err_set(err, PT_EINVAL, "attributes", "attributes must be a JSON object");
    }
    text = json_dumps(v, JSON_COMPACT);
    if (text == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    if (pt_json_text_has_nul(text)) {
        pt_free(text);
        return pt_err_set(err, PT_EINVAL, "attributes",
                          "attributes must not contain the character U+0000");
    }
    m->attributes_json = pt_arena_strndup(arena, text, strlen(text));
    pt_free(text); /* jansson allocates through pt_malloc. */
    if (m->attributes_json == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    return PT_OK;
}

/* The member's fields the table leaves to this file (pt_member_fields), given in obj. */
static enum pt_rc member_custom(void *ctx, const struct pt_field *f, json_t *obj,
                                struct pt_arena *arena, void *member, struct pt_err *err)
{
    struct pt_member *m = member;
    const char *status = NULL;
    enum pt_rc rc;
    (void)ctx;
    if (strcmp(f->name, "attributes") == 0) {
        return read_attributes(obj, arena, m, err);
    }
    if (strcmp(f->name, "consents") == 0) {
        return read_consents(obj, m, err);
    }
    pt_assert(strcmp(f->name, "status") == 0);
    rc = pt_json_get_string(obj, "status", false, arena, &status, err);
    if (rc == PT_OK && status != NULL) {
        rc = pt_member_status_parse(status, &m->status, err);
    }
    return rc;
}

/* Reads the client-settable fields of obj into m (strings in the arena): obj is the whole of
 * them, so an absent field is cleared. */
enum pt_rc pt_decode_member(json_t *obj, bool allow_status, struct pt_arena *arena,
                            struct pt_member *m, struct pt_err *err)
{
    enum pt_rc rc;
    size_t i;
    for (i = 0; pt_member_server_fields[i] != NULL; i++) {
        if (json_object_get(obj, pt_member_server_fields[i]) != NULL) {
            return pt_err_set(err, PT_EINVAL, pt_member_server_fields[i], "%s is set by the server",
                              pt_member_server_fields[i]);
        }
    }
    if (!allow_status && json_object_get(obj, "status") != NULL) {
        return pt_err_set(err, PT_EINVAL, "status",
                          "status is set by the server at enrollment; change it with PATCH");
    }
    pt_fields_clear(pt_member_fields, PT_MEMBER_FIELD_COUNT, m);
    m->attributes_json = "{}";
    m->consent_email = false;
    m->consent_sms = false;
    m->consent_push = false;
    rc = pt_http_fields_decode(pt_member_fields, PT_MEMBER_FIELD_COUNT, obj, arena, m,
                               member_custom, NULL, err);
    if (rc == PT_OK && m->email != NULL) {
        pt_email_normalize((char *)(uintptr_t)m->email); /* An arena copy: ours to change. */
    }
    return rc;
}

/* ---- Purchases and returns ---- */

static enum pt_rc parse_items(json_t *arr, bool for_return, struct pt_arena *arena,
                              struct pt_purchase_item **out, unsigned *count, struct pt_err *err)
{
    static const char *const fields[] = {"sku", "name", "category", "quantity", "unit_price", NULL};
    static const char *const return_fields[] = {"sku", "quantity", NULL};
    size_t i;
    enum pt_rc rc = PT_OK;
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        json_array_size(arr) > PT_PURCHASE_ITEMS_MAX) {
        return pt_err_set(err, PT_EINVAL, "items", "items must be an array of 1 to %d items",
                          PT_PURCHASE_ITEMS_MAX);
    }
    *count = (unsigned)json_array_size(arr);
    *out = pt_arena_alloc(arena, *count * sizeof(**out));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    memset(*out, 0, *count * sizeof(**out));
    for (i = 0; rc == PT_OK && i < *count; i++) {
        json_t *item = json_array_get(arr, i);
        struct pt_purchase_item *it = &(*out)[i];
        char field[48];
        if (!json_is_object(item)) {
            (void)snprintf(field, sizeof(field), "items.%zu", i);
            rc = pt_err_set(err, PT_EINVAL, field, "%s must be an object", field);
            break;
        }
        rc = pt_json_check_fields(item, for_return ? return_fields : fields, err);
        if (rc == PT_OK) {
            rc = pt_json_get_string(item, "sku", true, arena, &it->sku, err);
        }
        if (rc == PT_OK && !for_return) {
            rc = pt_json_get_string(item, "name", false, arena, &it->name, err);
        }
        if (rc == PT_OK && !for_return) {
            rc = pt_json_get_string(item, "category", false, arena, &it->category, err);
        }
        if (rc == PT_OK) {
            rc = pt_json_get_int(item, "quantity", "quantity", true, 1, 1000000, &it->quantity,
                                 NULL, err);
        }
        if (rc == PT_OK && !for_return) {
            rc = pt_json_get_int(item, "unit_price", "unit_price", true, 0, PT_AMOUNT_MAX,
                                 &it->unit_price, NULL, err);
        }
        if (rc == PT_OK && (strlen(it->sku) == 0 || strlen(it->sku) > PT_EXTERNAL_ID_BYTES_MAX)) {
            rc = pt_err_set(err, PT_EINVAL, "sku", "sku must be 1 to %d bytes",
                            PT_EXTERNAL_ID_BYTES_MAX);
        }
        if (rc != PT_OK && err->field[0] != '\0' && strncmp(err->field, "items.", 6) != 0) {
            (void)snprintf(field, sizeof(field), "items.%zu.%.30s", i, err->field);
            memcpy(err->field, field,
                   sizeof(field) < sizeof(err->field) ? sizeof(field) : sizeof(err->field));
            err->field[sizeof(err->field) - 1] = '\0';
        }
    }
    return rc;
}

/* "coupons": a list of at most PT_CART_COUPONS_MAX codes (absent or null: none). */
static enum pt_rc decode_coupons(json_t *coupons, struct pt_arena *arena, const char *const **out,
                                 unsigned *count, struct pt_err *err)
{
    const char **codes;
    size_t i;
    *out = NULL;
    *count = 0;
    if (coupons == NULL || json_is_null(coupons)) {
        return PT_OK;
    }
    if (!json_is_array(coupons) || json_array_size(coupons) > PT_CART_COUPONS_MAX) {
        return pt_err_set(err, PT_EINVAL, "coupons", "coupons is a list of at most %d codes",
                          PT_CART_COUPONS_MAX);
    }
    codes = pt_arena_alloc(arena, (json_array_size(coupons) + 1) * sizeof(*codes));
    if (codes == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (i = 0; i < json_array_size(coupons); i++) {
        const char *code = json_string_value(json_array_get(coupons, i));
        if (code == NULL || code[0] == '\0' || strlen(code) > PT_EXTERNAL_ID_BYTES_MAX) {
            return pt_err_set(err, PT_EINVAL, "coupons", "coupons are codes of 1 to %d bytes",
                              PT_EXTERNAL_ID_BYTES_MAX);
        }
        codes[i] = pt_arena_strndup(arena, code, strlen(code));
        if (codes[i] == NULL) {
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
    }
    *out = codes;
    *count = (unsigned)json_array_size(coupons);
    return PT_OK;
}

/* "payments": a list of at most PT_PAYMENTS_MAX lines {"method", "amount" | "points",
 * "reference"} (absent or null: not said). The lines are checked against the program in the
 * service (pt_payments_prepare). */
static enum pt_rc decode_payments(json_t *list, struct pt_arena *arena, struct pt_payment **out,
                                  unsigned *count, struct pt_err *err)
{
    static const char *const fields[] = {"method", "amount", "points", "reference", NULL};
    struct pt_payment *pays;
    size_t i;
    *out = NULL;
    *count = 0;
    if (list == NULL || json_is_null(list)) {
        return PT_OK;
    }
    if (!json_is_array(list) || json_array_size(list) > PT_PAYMENTS_MAX) {
        return pt_err_set(err, PT_EINVAL, "payments", "payments is a list of at most %d lines",
                          PT_PAYMENTS_MAX);
    }
    pays = pt_arena_alloc(arena, (json_array_size(list) + 1) * sizeof(*pays));
    if (pays == NULL) {
        return pt_arena_err(arena, err);
    }
    memset(pays, 0, (json_array_size(list) + 1) * sizeof(*pays));
    for (i = 0; i < json_array_size(list); i++) {
        json_t *line = json_array_get(list, i);
        struct pt_payment *pay = &pays[i];
        const char *method = NULL;
        char field[48];
        enum pt_rc rc;
        (void)snprintf(field, sizeof(field), "payments.%zu", i);
        if (!json_is_object(line)) {
            return pt_err_set(err, PT_EINVAL, field,
                              "%s is an object like {\"method\": \"card\", \"amount\": 1000}",
                              field);
        }
        rc = pt_json_check_fields(line, fields, err);
        if (rc == PT_OK) {
            (void)snprintf(field, sizeof(field), "payments.%zu.method", i);
            rc = pt_json_get_string(line, "method", true, arena, &method, err);
            if (rc == PT_OK) {
                rc = pt_pay_method_parse(method, field, &pay->method, err);
            } else {
                (void)snprintf(err->field, sizeof(err->field), "%s", field); /* Its path. */
            }
        }
        if (rc == PT_OK) {
            (void)snprintf(field, sizeof(field), "payments.%zu.amount", i);
            rc = pt_json_get_int(line, "amount", field, false, 0, PT_AMOUNT_MAX, &pay->amount, NULL,
                                 err);
        }
        if (rc == PT_OK) {
            (void)snprintf(field, sizeof(field), "payments.%zu.points", i);
            rc = pt_json_get_int(line, "points", field, false, 0, PT_POINTS_MAX, &pay->points, NULL,
                                 err);
        }
        (void)snprintf(field, sizeof(field), "payments.%zu.reference", i);
        if (rc == PT_OK) {
            rc = pt_json_get_string(line, "reference", false, arena, &pay->reference, err);
            if (rc != PT_OK) {
                (void)snprintf(err->field, sizeof(err->field), "%s", field);
            }
        }
        if (rc == PT_OK && pay->reference != NULL) {
            rc = pt_validate_text(field, pay->reference, PT_PAYMENT_REFERENCE_BYTES_MAX, err);
        }
        if (rc != PT_OK) {
            return rc;
        }
    }
    *out = pays;
    *count = (unsigned)json_array_size(list);
    return PT_OK;
}

enum pt_rc pt_decode_purchase(json_t *body, struct pt_arena *arena, struct pt_purchase *p,
                              struct pt_err *err)
{
    static const char *const fields[] = {"external_id", "member_id", "occurred_at", "currency",
                                         "amount",      "items",     "channel",     "location",
                                         "discount",    "coupons",   "payments",    NULL};
    const char *occurred = NULL;
    const char *currency = NULL;
    const char *member_id = NULL;
    json_t *items = json_object_get(body, "items");
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    memset(p, 0, sizeof(*p));
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "external_id", true, arena, &p->external_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_validate_external_id(p->external_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "member_id", true, arena, &member_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "occurred_at", false, arena, &occurred, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "currency", true, arena, &currency, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(body, "amount", "amount", true, 0, PT_AMOUNT_MAX, &p->amount, NULL,
                             err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(body, "discount", "discount", false, 0, PT_AMOUNT_MAX,
                             &p->till_discount, NULL, err);
    }
    if (rc == PT_OK) {
        rc = decode_coupons(json_object_get(body, "coupons"), arena, &p->coupons, &p->coupon_count,
                            err);
    }
    if (rc == PT_OK) {
        rc = decode_payments(json_object_get(body, "payments"), arena, &p->payments,
                             &p->payment_count, err);
    }
    if (rc == PT_OK && p->till_discount > p->amount) {
        rc = pt_err_set(err, PT_EINVAL, "discount", "discount must not exceed the amount");
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "channel", false, arena, &p->channel, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "location", false, arena, &p->location, err);
    }
    if (rc == PT_OK && items != NULL && !json_is_null(items)) {
        rc = parse_items(items, false, arena, &p->items, &p->item_count, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (strlen(member_id) >= sizeof(p->member_id) || strlen(currency) >= sizeof(p->currency)) {
        return pt_err_set(err, PT_EINVAL, strlen(currency) >= 4 ? "currency" : "member_id",
                          "%s is malformed", strlen(currency) >= 4 ? "currency" : "member_id");
    }
    (void)snprintf(p->member_id, sizeof(p->member_id), "%s", member_id);
    (void)snprintf(p->currency, sizeof(p->currency), "%s", currency);
    p->occurred_at_ms = -1;
    if (occurred != NULL && !pt_time_parse_rfc3339(occurred, &p->occurred_at_ms)) {
        return pt_err_set(
            err, PT_EINVAL, "occurred_at",
            "occurred_at must be an RFC 3339 time like 2026-11-23T08:31:33Z, from 1970 to 9999");
    }
    return PT_OK;
}

enum pt_rc pt_decode_cart(json_t *body, struct pt_arena *arena, struct pt_cart_request *cart,
                          const char **currency, struct pt_err *err)
{
    static const char *const fields[] = {"member_id", "currency", "amount",   "items",    "channel",
                                         "location",  "coupons",  "discount", "payments", NULL};
    json_t *items = json_object_get(body, "items");
    json_t *coupons = json_object_get(body, "coupons");
    bool has_amount = json_object_get(body, "amount") != NULL;
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    memset(cart, 0, sizeof(*cart));
    *currency = NULL;
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "member_id", false, arena, &cart->member_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "currency", false, arena, currency, err);
    }
    if (rc == PT_OK && has_amount) {
        rc = pt_json_get_int(body, "amount", "amount", true, 0, PT_AMOUNT_MAX, &cart->amount, NULL,
                             err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "channel", false, arena, &cart->channel, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "location", false, arena, &cart->location, err);
    }
    if (rc == PT_OK && items != NULL && !json_is_null(items)) {
        rc = parse_items(items, false, arena, &cart->items, &cart->item_count, err);
    }
    if (rc == PT_OK) {
        rc = decode_coupons(coupons, arena, &cart->coupons, &cart->coupon_count, err);
    }
    if (rc == PT_OK) {
        rc = decode_payments(json_object_get(body, "payments"), arena, &cart->payments,
                             &cart->payment_count, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (cart->items == NULL && !has_amount) {
        return pt_err_set(err, PT_EINVAL, "items", "a cart has items or an amount");
    }
    if (cart->items != NULL) {
        int64_t sum = 0;
        unsigned i;
        for (i = 0; i < cart->item_count; i++) {
            int64_t line;
            if (__builtin_mul_overflow(cart->items[i].quantity, cart->items[i].unit_price, &line) ||
                __builtin_add_overflow(sum, line, &sum) || sum > PT_AMOUNT_MAX) {
                return pt_err_set(err, PT_EINVAL, "items", "items add up beyond the amount limit");
            }
        }
        if (has_amount && sum != cart->amount) {
            return pt_err_set(err, PT_EINVAL, "items", "items add up to %lld but amount is %lld",
                              (long long)sum, (long long)cart->amount);
        }
        if (cart->item_count > PT_CART_ITEMS_MAX) {
            return pt_err_set(err, PT_EINVAL, "items", "a cart has at most %d lines",
                              PT_CART_ITEMS_MAX);
        }
        cart->amount = sum;
    }
    rc = pt_json_get_int(body, "discount", "discount", false, 0, PT_AMOUNT_MAX, &cart->discount,
                         NULL, err);
    if (rc == PT_OK && cart->discount > cart->amount) {
        rc = pt_err_set(err, PT_EINVAL, "discount", "discount must not exceed the amount");
    }
    return rc;
}

enum pt_rc pt_decode_return(json_t *body, struct pt_arena *arena, struct pt_return_request *req,
                            struct pt_err *err)
{
    static const char *const fields[] = {"external_id", "amount", "items", NULL};
    bool has_amount = false;
    json_t *items = json_object_get(body, "items");
    enum pt_rc rc = pt_json_check_fields(body, fields, err);
    memset(req, 0, sizeof(*req));
    if (rc == PT_OK) {
        rc = pt_json_get_string(body, "external_id", true, arena, &req->external_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_validate_external_id(req->external_id, err);
    }
    if (rc == PT_OK) {
        rc = pt_json_get_int(body, "amount", "amount", false, 1, PT_AMOUNT_MAX, &req->amount,
                             &has_amount, err);
    }
    if (rc == PT_OK && (items == NULL || json_is_null(items)) == !has_amount) {
        rc = pt_err_set(err, PT_EINVAL, "amount", "give either amount or items");
    }
    if (rc == PT_OK && !has_amount) {
        rc = parse_items(items, true, arena, &req->items, &req->item_count, err);
    }
    return rc;
}
