/* SPDX-License-Identifier: MIT */
/*
 * Coupons, coupon batches and promotion codes (coupon.h): the names of a batch's statuses, a
 * batch's validation, and why a coupon or a code cannot be used now.
 */
#include "core/coupon.h"

#include "base/assert.h"
#include "base/clock.h"
#include "core/coupon_code.h"

#include <stdio.h>
#include <string.h>

const char *const pt_coupon_status_names[PT_COUPON_STATUSES] = {"active", "redeemed", "expired",
                                                                "cancelled"};
const char *const pt_batch_status_names[PT_BATCH_STATUSES] = {"generating", "ready", "failed"};

/* The refusal of a coupon that cannot be used: when and where it was, for a redeemed one. */
enum pt_rc pt_coupon_refusal(const struct pt_coupon_view *v, struct pt_err *err)
{
    char when[40];
    if (v->promo) {
        if (strcmp(v->reason, "already_redeemed") == 0) {
            (void)pt_err_set(err, PT_ECONFLICT, "code", "already used %lld of %lld times",
                             (long long)v->promo_code.uses, (long long)v->batch.uses_per_code);
        } else {
            (void)pt_err_set(err, PT_ELIMIT, "code", "the promotion code cannot be used: %s",
                             v->reason);
        }
        return pt_err_code(err, v->reason);
    }
    if (strcmp(v->reason, "already_redeemed") == 0) {
        pt_time_format_rfc3339(v->coupon.redeemed_at_ms, when, sizeof(when));
        (void)pt_err_set(err, PT_ECONFLICT, "code", "already redeemed at %s in %s", when,
                         v->coupon.location != NULL ? v->coupon.location : "an unnamed place");
        return pt_err_code(err, "already_redeemed");
    }
    (void)pt_err_set(err, PT_ELIMIT, "code", "the coupon is %s", v->coupon.status);
    return pt_err_code(err, v->reason);
}

/* Whether name (nullable) is one of names[0..count). */
static bool named(const char *const *names, unsigned count, const char *name)
{
    unsigned i;
    for (i = 0; name != NULL && i < count; i++) {
        if (strcmp(names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether one of lines is of c's skus or categories (any line when it names none). */
static bool holds_products(const struct pt_cart_coupon *c, const struct pt_cart_item *lines,
                           unsigned line_count)
{
    unsigned i;
    if (c->sku_count == 0 && c->category_count == 0) {
        return true;
    }
    for (i = 0; i < line_count; i++) {
        if (named(c->skus, c->sku_count, lines[i].sku) ||
            named(c->categories, c->category_count, lines[i].category)) {
            return true;
        }
    }
    return false;
}

/* What a reward type gives on a cart of lines: NULL when it applies, else why not. A
 * free_product needs its sku in the cart, a coupon with products one of them; a partner
 * voucher is used at the partner. */
const char *pt_cart_coupon_gives_on(struct pt_cart_coupon *c, const struct pt_cart_item *lines,
                                    unsigned line_count)
{
    unsigned i;
    if (c->type != PT_REWARD_PARTNER_VOUCHER && !holds_products(c, lines, line_count)) {
        return "product_not_in_cart";
    }
    switch (c->type) {
    case PT_REWARD_FREE_PRODUCT:
        for (i = 0; i < line_count; i++) {
            if (lines[i].sku != NULL && c->sku != NULL && strcmp(lines[i].sku, c->sku) == 0) {
                return NULL;
            }
        }
        return "product_not_in_cart";
    case PT_REWARD_PARTNER_VOUCHER:
        return "coupon_not_applicable";
    case PT_REWARD_DISCOUNT_AMOUNT:
    case PT_REWARD_DISCOUNT_PERCENT:
    case PT_REWARD_GIFT:
        break;
    case PT_REWARD_TYPES:
        /* The count of types, never a coupon's (the store parses the type by its names). */
        (void)PT_NEVER("a coupon of no reward type");
        break;
    }
    return NULL;
}

void pt_cart_coupon_gives_reward(struct pt_cart_coupon *c, const struct pt_reward *r)
{
    memcpy(c->reward_id, r->id, sizeof(c->reward_id));
    c->reward_name = r->name;
    c->type = r->type;
    c->value = r->value;
    c->sku = r->sku;
    c->combines = r->combines;
    c->min_amount = r->min_amount;
    c->skus = r->skus;
    c->sku_count = r->sku_count;
    c->categories = r->categories;
    c->category_count = r->category_count;
}

_Static_assert(PT_REWARD_PRODUCTS_MAX <= PT_RULE_LIST_MAX, "a coupon's products are one in list");
_Static_assert(PT_RULE_NODES_MAX >= 4, "a coupon's rule has at most four nodes");

/* A test `in` of fact against names[0..count) into nodes[at]. */
static enum pt_rc in_node(struct pt_rule_node *n, enum pt_fact fact, const char *const *names,
                          unsigned count, struct pt_arena *arena, struct pt_err *err)
{
    struct pt_value *list = pt_arena_alloc(arena, count * sizeof(*list));
    unsigned i;
    if (list == NULL) {
        return pt_arena_err(arena, err);
    }
    memset(n, 0, sizeof(*n));
    memset(list, 0, count * sizeof(*list));
    for (i = 0; i < count; i++) {
        list[i].kind = PT_VALUE_TEXT;
        list[i].s = names[i];
        list[i].h = pt_rule_text_hash(names[i]);
    }
    n->kind = PT_NODE_TEST;
    n->op = PT_OP_IN;
    n->fact = fact;
    n->list = list;
    n->list_count = (uint16_t)count;
    return PT_OK;
}

enum pt_rc pt_cart_coupon_conditions(const struct pt_cart_coupon *c, struct pt_rule *r,
                                     struct pt_arena *arena, struct pt_err *err)
{
    bool both = c->sku_count > 0 && c->category_count > 0;
    unsigned at;
    enum pt_rc rc = PT_OK;
    pt_assert(r->root < 0 && r->node_count + 4 <= PT_RULE_NODES_MAX);
    pt_assert(c->sku_count <= PT_REWARD_PRODUCTS_MAX &&
              c->category_count <= PT_REWARD_PRODUCTS_MAX);
    if (c->min_amount > 0) {
        /* What is left to pay of the cart after the till's discount and the coupons before. */
        struct pt_rule_node *n = &r->nodes[r->node_count];
        memset(n, 0, sizeof(*n));
        n->kind = PT_NODE_TEST;
        n->op = PT_OP_GTE;
        n->fact = PT_FACT_CART_REMAINING;
        n->a.kind = PT_VALUE_INT;
        n->a.i = c->min_amount;
        r->root = (int)r->node_count++;
    }
    if (r->items_root >= 0 || (c->sku_count == 0 && c->category_count == 0)) {
        return PT_OK; /* A free product keeps its own lines; the cart holds one (gives_on). */
    }
    /* A discount takes from the lines of the products only. */
    at = r->node_count;
    if (both) {
        struct pt_rule_node *any = &r->nodes[at];
        memset(any, 0, sizeof(*any));
        any->kind = PT_NODE_ANY;
        any->first = (uint16_t)(at + 1);
        any->count = 2;
        rc = in_node(&r->nodes[at + 1], PT_FACT_ITEM_SKU, c->skus, c->sku_count, arena, err);
        if (rc == PT_OK) {
            rc = in_node(&r->nodes[at + 2], PT_FACT_ITEM_CATEGORY, c->categories, c->category_count,
                         arena, err);
        }
        r->node_count += 3;
    } else {
        rc = c->sku_count > 0
                 ? in_node(&r->nodes[at], PT_FACT_ITEM_SKU, c->skus, c->sku_count, arena, err)
                 : in_node(&r->nodes[at], PT_FACT_ITEM_CATEGORY, c->categories, c->category_count,
                           arena, err);
        r->node_count += 1;
    }
    r->items_root = (int)at;
    r->effects[0].on_items = true;
    return rc;
}

const char *pt_cart_coupon_unmet(const struct pt_cart_coupon *c, int64_t remaining)
{
    return c->min_amount > 0 && remaining < c->min_amount ? "minimum_not_met" : NULL;
}

void pt_cart_coupons_unused(struct pt_cart_coupon *coupons, unsigned count, int64_t remaining)
{
    unsigned k;
    for (k = 0; k < count; k++) {
        struct pt_cart_coupon *c = &coupons[k];
        const char *unmet = c->applied ? pt_cart_coupon_unmet(c, remaining) : NULL;
        if (unmet != NULL && c->discount == 0) {
            c->applied = false; /* Its minimum was not met: its rule did not fire. */
            c->reason = unmet;
        } else if (c->applied && c->discount == 0 &&
                   (c->type == PT_REWARD_DISCOUNT_AMOUNT || c->type == PT_REWARD_DISCOUNT_PERCENT ||
                    c->type == PT_REWARD_FREE_PRODUCT)) {
            c->applied = false;
            c->reason = "nothing_to_discount";
        }
        remaining -= c->applied ? c->discount : 0; /* What the next one finds left. */
    }
}

void pt_cart_coupon_reward_of(const struct pt_rule_outcome *o, char *reward_id)
{
    (void)snprintf(reward_id, PT_ID_BUF_BYTES, "%s",
                   o->coupon_reward != NULL ? o->coupon_reward : "");
}

/* The refusal of a purchase for a code it could not use. */
enum pt_rc pt_cart_coupon_refusal(const struct pt_cart_coupon *c, struct pt_err *err)
{
    static const struct {
        const char *reason;
        const char *text;
    } texts[] = {
        {"already_redeemed", "has been used"},
        {"coupon_cancelled", "was cancelled"},
        {"coupon_expired", "has expired"},
        {"coupon_not_yet_valid", "is not valid yet"},
        {"coupon_not_yours", "belongs to another member"},
        {"member_required", "needs a member: it has a limit of uses per member"},
        {"member_limit_reached", "has been used by this member as often as one member may"},
        {"reward_inactive", "gives a reward that was archived"},
        {"product_not_in_cart", "needs a product that is not in the cart"},
        {"minimum_not_met", "needs more left to pay of the cart than there is"},
        {"coupon_not_applicable", "is used at the partner, not here"},
        {"duplicate_code", "was given twice"},
        {"batch_not_ready", "belongs to a batch whose codes are still being made"},
        {"not_combinable", "does not combine with the exclusive promotion that applies"},
        {"nothing_to_discount", "would take nothing off: nothing is left to pay"},
        {"better_discount_applied", "gives less than another discount on the order, and only "
                                    "the best applies"},
    };
    const char *text = "cannot be used";
    unsigned i;
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (strcmp(texts[i].reason, c->reason) == 0) {
            text = texts[i].text;
        }
    }
    (void)pt_err_set(err, strcmp(c->reason, "already_redeemed") == 0 ? PT_ECONFLICT : PT_ELIMIT,
                     "coupons", "the code %s %s", c->input, text);
    return pt_err_code(err, c->reason);
}

/* A batch's own discount: its fields are in "discount", and it is one of the three that take
 * something off. */
static const struct pt_discount_rule batch_discount = {
    .prefix = "discount.",
    .noun = "",
    .amount_max = PT_BATCH_VALUE_MAX,
    .others_field = "discount.type",
    .others_refused = "discount.type is discount_amount, discount_percent or free_product"};

enum pt_rc pt_batch_validate(struct pt_coupon_batch *b, struct pt_err *err)
{
    enum pt_rc rc = pt_validate_text("name", b->name, PT_NAME_BYTES_MAX, err);
    char *p;
    if (rc != PT_OK) {
        return rc;
    }
    if (b->count < 1 || b->count > PT_BATCH_COUNT_MAX) {
        return pt_err_set(err, PT_EINVAL, "count", "count is 1 to %d", PT_BATCH_COUNT_MAX);
    }
    if (b->uses_per_code < 1 || b->uses_per_code > PT_BATCH_USES_MAX) {
        return pt_err_set(err, PT_EINVAL, "uses_per_code", "uses_per_code is 1 to %d",
                          PT_BATCH_USES_MAX);
    }
    if (b->uses_per_member < 0 || b->uses_per_member > PT_BATCH_USES_MAX) {
        return pt_err_set(err, PT_EINVAL, "uses_per_member",
                          "uses_per_member is null (no limit) or 1 to %d", PT_BATCH_USES_MAX);
    }
    if (b->valid_from_ms >= b->valid_to_ms) {
        return pt_err_set(err, PT_EINVAL, "valid_to", "valid_to must be after valid_from");
    }
    rc = pt_coupon_prefix_validate(b->prefix, err);
    if (rc != PT_OK) {
        return rc;
    }
    for (p = b->prefix; *p != '\0'; p++) {
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    }
    if (b->reward_id[0] != '\0') {
        return PT_OK;
    }
    rc = pt_discount_validate(&batch_discount, b->type, b->value, b->sku, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (b->type == PT_REWARD_FREE_PRODUCT) {
        b->value = 0;
    } else {
        b->sku = NULL;
    }
    return PT_OK;
}

enum pt_rc pt_coupon_not_found(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no such coupon");
}

enum pt_rc pt_coupon_of_redemption_not_found(const char *redemption_id, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no coupon of redemption %s", redemption_id);
}

enum pt_rc pt_voucher_pool_empty(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "the partner voucher pool is empty");
}

enum pt_rc pt_coupon_batch_not_found(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no such coupon batch");
}

enum pt_rc pt_promo_code_not_found(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no such code");
}
