/* SPDX-License-Identifier: MIT */
/*
 * Whether a rule's conditions hold during an evaluation: the value of each fact (of the cart,
 * the item under test, the selection, the member, the time or the activity) and the tests of
 * the condition tree on them. Text facts are compared by hash first (pt_rule_text_hash).
 */
#include "core/rules_int.h"

#include "base/assert.h"

#include <string.h>

_Static_assert(PT_FACT_PAYMENT_OTHER - PT_FACT_PAYMENT_CARD == PT_PAY_OTHER - PT_PAY_CARD &&
                   PT_PAY_CARD == 0,
               "the payment facts follow the methods' order");

/* FNV-1a, never 0 (0 means "not computed"): equal strings have equal hashes, so a test of
 * equality compares hashes first and the bytes only when they match. */
uint32_t pt_rule_text_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++) {
        h = (h ^ (uint8_t)*s) * 16777619u;
    }
    return h != 0 ? h : 1;
}

/* ---- Facts ---- */

static json_t *object_of(const char *text)
{
    json_t *o = text != NULL ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (o != NULL && !json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static struct pt_value keyed_value(json_t *obj, const char *key)
{
    struct pt_value v = {PT_VALUE_NONE, 0, NULL, 0};
    json_t *j = obj != NULL ? json_object_get(obj, key) : NULL;
    if (json_is_integer(j)) {
        v.kind = PT_VALUE_INT;
        v.i = json_integer_value(j);
    } else if (json_is_string(j)) {
        v.kind = PT_VALUE_TEXT;
        v.s = json_string_value(j);
    } else if (json_is_boolean(j)) {
        v.kind = PT_VALUE_BOOL;
        v.i = json_is_true(j);
    }
    return v;
}

static struct pt_value int_value(int64_t i)
{
    struct pt_value v = {PT_VALUE_INT, i, NULL, 0};
    return v;
}

static struct pt_value text_value(const char *s, uint32_t h)
{
    struct pt_value v = {s != NULL ? PT_VALUE_TEXT : PT_VALUE_NONE, 0, s, h};
    return v;
}

struct pt_value pt_rules_fact_value(struct pt_eval *ev, const struct pt_rule_node *n)
{
    const struct pt_eval_input *in = ev->in;
    const struct pt_rule_member *m = in->member != NULL && in->member->known ? in->member : NULL;
    struct pt_value none = {PT_VALUE_NONE, 0, NULL, 0};
    switch (n->fact) {
    case PT_FACT_CART_AMOUNT:
        return int_value(ev->cart_amount);
    case PT_FACT_CART_ITEM_COUNT:
        return int_value(ev->cart_units);
    case PT_FACT_CART_CHANNEL:
        return text_value(in->cart->channel, ev->channel_h);
    case PT_FACT_CART_LOCATION:
        return text_value(in->cart->location, ev->location_h);
    case PT_FACT_ITEM_SKU:
        return text_value(ev->item->sku, ev->sku_h[ev->item_index]);
    case PT_FACT_ITEM_CATEGORY:
        return text_value(ev->item->category, ev->category_h[ev->item_index]);
    case PT_FACT_ITEM_QUANTITY:
        return int_value(ev->item->quantity);
    case PT_FACT_ITEM_UNIT_PRICE:
        return int_value(ev->item->unit_price);
    case PT_FACT_SELECTED_QUANTITY:
        return int_value(ev->sel.quantity);
    case PT_FACT_SELECTED_AMOUNT:
        return int_value(ev->sel.amount);
    case PT_FACT_CART_REMAINING:
        return int_value(ev->st.left_total);
    case PT_FACT_SELECTED_REMAINING:
        return int_value(ev->sel.left);
    case PT_FACT_PAYMENT_CARD:
    case PT_FACT_PAYMENT_CASH:
    case PT_FACT_PAYMENT_POINTS:
    case PT_FACT_PAYMENT_WALLET:
    case PT_FACT_PAYMENT_OTHER:
        return in->cart->tender != NULL
                   ? int_value(in->cart->tender->paid[n->fact - PT_FACT_PAYMENT_CARD])
                   : none;
    case PT_FACT_MEMBER_TIER:
        return m != NULL ? text_value(m->tier, ev->tier_h) : none;
    case PT_FACT_MEMBER_ATTRIBUTE:
        if (m == NULL) {
            return none;
        }
        if (!ev->attributes_parsed) {
            ev->attributes = object_of(m->attributes);
            ev->attributes_parsed = true;
        }
        return keyed_value(ev->attributes, n->key);
    case PT_FACT_MEMBER_BIRTH_MONTH:
        return m != NULL && m->birth_month > 0 ? int_value(m->birth_month) : none;
    case PT_FACT_MEMBER_DAYS_SINCE_ENROLLMENT:
        return m != NULL ? int_value(m->days_since_enrollment) : none;
    case PT_FACT_MEMBER_PURCHASE_COUNT:
        return m != NULL ? int_value(m->purchase_count) : none;
    case PT_FACT_MEMBER_CITY:
        return m != NULL ? text_value(m->city, ev->city_h) : none;
    case PT_FACT_MEMBER_COUNTRY:
        return m != NULL ? text_value(m->country, ev->country_h) : none;
    case PT_FACT_TIME_WEEKDAY:
        return int_value(in->time->weekday);
    case PT_FACT_TIME_HOUR:
        return int_value(in->time->hour);
    case PT_FACT_TIME_DATE:
        return text_value(in->time->date, ev->date_h);
    case PT_FACT_ACTIVITY_PROPERTY:
        if (in->activity == NULL) {
            return none;
        }
        if (!ev->properties_parsed) {
            ev->properties = object_of(in->activity->properties);
            ev->properties_parsed = true;
        }
        return keyed_value(ev->properties, n->key);
    case PT_FACT_CART_COUPONS:
        break; /* A list: see test(). */
    }
    return none;
}

/* ---- Tests ---- */

/* -1, 0, 1; or 2 when the two cannot be compared (kinds differ, or a value is absent). */
static int compare(const struct pt_value *x, const struct pt_value *y)
{
    if (x->kind == PT_VALUE_NONE || x->kind != y->kind) {
        return 2;
    }
    if (x->kind == PT_VALUE_TEXT) {
        int c = strcmp(x->s, y->s);
        return c < 0 ? -1 : c > 0;
    }
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Equality, telling most unequal strings apart by their hashes. */
static bool same(const struct pt_value *x, const struct pt_value *y)
{
    if (x->kind == PT_VALUE_TEXT && y->kind == PT_VALUE_TEXT && x->h != 0 && y->h != 0 &&
        x->h != y->h) {
        return false;
    }
    return compare(x, y) == 0;
}

/* The one list fact: contains a code (compile allows nothing else). */
static bool cart_has_coupon(const struct pt_eval *ev, const struct pt_rule_node *n)
{
    unsigned i;
    for (i = 0; ev->in->cart != NULL && i < ev->in->cart->coupon_count; i++) {
        if (strcmp(ev->in->cart->coupons[i], n->a.s) == 0) {
            return true;
        }
    }
    return false;
}

/* The common item selector ("category is coffee", eq or in): hashes first, bytes on a match. */
static bool item_text_matches(const struct pt_eval *ev, const struct pt_rule_node *n)
{
    const char *s = n->fact == PT_FACT_ITEM_SKU ? ev->item->sku : ev->item->category;
    uint32_t h =
        n->fact == PT_FACT_ITEM_SKU ? ev->sku_h[ev->item_index] : ev->category_h[ev->item_index];
    const struct pt_value *vals = n->op == PT_OP_IN ? n->list : &n->a;
    unsigned count = n->op == PT_OP_IN ? n->list_count : 1;
    unsigned i;
    if (s == NULL) {
        return false;
    }
    for (i = 0; i < count; i++) {
        if (vals[i].kind == PT_VALUE_TEXT && vals[i].h == h && strcmp(vals[i].s, s) == 0) {
            return true;
        }
    }
    return false;
}

static bool test(struct pt_eval *ev, const struct pt_rule_node *n)
{
    struct pt_value v;
    int c;
    unsigned i;
    if (n->fact == PT_FACT_CART_COUPONS) {
        return cart_has_coupon(ev, n);
    }
    if ((n->fact == PT_FACT_ITEM_SKU || n->fact == PT_FACT_ITEM_CATEGORY) &&
        (n->op == PT_OP_EQ || n->op == PT_OP_IN)) {
        return item_text_matches(ev, n);
    }
    v = pt_rules_fact_value(ev, n);
    switch (n->op) {
    case PT_OP_EQ:
        return same(&v, &n->a);
    case PT_OP_NE:
        /* An absent fact is "not equal" to any value. */
        return !same(&v, &n->a);
    case PT_OP_LT:
        return compare(&v, &n->a) == -1;
    case PT_OP_LTE:
        c = compare(&v, &n->a);
        return c == -1 || c == 0;
    case PT_OP_GT:
        return compare(&v, &n->a) == 1;
    case PT_OP_GTE:
        c = compare(&v, &n->a);
        return c == 0 || c == 1;
    case PT_OP_IN:
        for (i = 0; i < n->list_count; i++) {
            if (same(&v, &n->list[i])) {
                return true;
            }
        }
        return false;
    case PT_OP_BETWEEN:
        c = compare(&v, &n->a);
        if (c != 0 && c != 1) {
            return false;
        }
        c = compare(&v, &n->b);
        return c == -1 || c == 0;
    case PT_OP_CONTAINS:
        return v.kind == PT_VALUE_TEXT && n->a.kind == PT_VALUE_TEXT && strstr(v.s, n->a.s) != NULL;
    }
    /* The compiler makes only the operators above; a release build reads another as false. */
    (void)PT_NEVER("an operator the rule compiler does not make");
    return false;
}

/* Depth is bounded by PT_RULE_DEPTH_MAX (the compiler refused deeper trees). */
bool pt_rules_holds(struct pt_eval *ev, const struct pt_rule *r, unsigned node)
{
    const struct pt_rule_node *n = &r->nodes[node];
    unsigned i;
    switch (n->kind) {
    case PT_NODE_ALL:
        for (i = 0; i < n->count; i++) {
            if (!pt_rules_holds(ev, r, n->first + i)) {
                return false;
            }
        }
        return true;
    case PT_NODE_ANY:
        for (i = 0; i < n->count; i++) {
            if (pt_rules_holds(ev, r, n->first + i)) {
                return true;
            }
        }
        return false;
    case PT_NODE_NOT:
        return !pt_rules_holds(ev, r, n->first);
    case PT_NODE_TEST:
        return test(ev, n);
    }
    /* The compiler makes only the node kinds above; a release build reads another as false. */
    (void)PT_NEVER("a node kind the rule compiler does not make");
    return false;
}
