/* SPDX-License-Identifier: MIT */
/*
 * The effects that take money off the cart's lines (discount, free_items), their caps, and how
 * an amount is split over lines exactly (docs/rules.md, "How a cart is evaluated"). Their
 * entries are in the table of rules_effects.c.
 */
#include "core/rules_int.h"

#include "base/assert.h"

#include <string.h>

#define FREE_ITEMS_GROUP_MAX 1000 /* buy + get */

/* ---- discount ---- */

/* The caps every discount effect may have (max_per_application, max_per_cart). */
static enum pt_rc caps_parse(json_t *obj, const char *path, struct pt_rule_effect *e,
                             struct pt_err *err)
{
    enum pt_rc rc = pt_rule_json_int(obj, "max_per_application", path, 1, PT_RULE_AMOUNT_MAX, false,
                                     &e->max_per_application, err);
    if (rc == PT_OK) {
        rc = pt_rule_json_int(obj, "max_per_cart", path, 1, PT_RULE_AMOUNT_MAX, false,
                              &e->max_per_cart, err);
    }
    return rc;
}

/* What a discount of `total` over `applications` applications gives within its caps and what
 * is left of its rule's budget_amount (taken from it). */
static int64_t capped(const struct pt_rule_effect *e, struct pt_eval_state *st, int64_t total,
                      int64_t applications)
{
    int64_t most;
    if (e->max_per_application > 0 &&
        !__builtin_mul_overflow(e->max_per_application, applications, &most) && total > most) {
        total = most;
    }
    if (e->max_per_cart > 0 && total > e->max_per_cart) {
        total = e->max_per_cart;
    }
    if (total > st->money_left) {
        total = st->money_left;
    }
    if (st->money_left != INT64_MAX) {
        st->money_left -= total;
    }
    return total;
}

enum pt_rc pt_effect_discount_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                    struct pt_arena *arena, struct pt_rule_effect *e,
                                    struct pt_err *err)
{
    static const char *const keys[] = {
        "type", "on", "percent", "amount", "max_per_cart", "max_per_application", NULL};
    bool has_percent = json_object_get(obj, "percent") != NULL;
    enum pt_rc rc = pt_rule_json_only(obj, keys, path, err);
    (void)rule;
    (void)arena;
    if (rc == PT_OK) {
        rc = caps_parse(obj, path, e, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    if (has_percent == (json_object_get(obj, "amount") != NULL)) {
        return pt_err_set(err, PT_EINVAL, path, "discount takes percent or amount");
    }
    if (has_percent) {
        /* Hundredths of a percent: 12.5% -> 1250. */
        return pt_rule_json_hundredths(obj, "percent", path, 1, 10000, &e->percent_bp, err);
    }
    return pt_rule_json_int(obj, "amount", path, 1, PT_RULE_AMOUNT_MAX, true, &e->amount, err);
}

/*
 * Splits `total` (<= the sum of the weights) over the lines in proportion to their weights
 * (NULL: what is left of each line), never more than a line's weight: floor shares first, then
 * the units left over one at a time to the lines with the largest remainders (ties: the earlier
 * line), so that the shares add up to exactly `total`. OUT: shares[item_count] (0 off lines).
 */
void pt_rules_split(struct pt_eval_state *st, const bool *lines, const int64_t *weights,
                    int64_t total, int64_t *shares)
{
    int64_t weight = 0;
    int64_t given = 0;
    int64_t *rem = st->scratch_rem;
    unsigned i;
    for (i = 0; i < st->item_count; i++) {
        shares[i] = 0;
        rem[i] = 0;
        if (lines[i]) {
            int64_t w = weights != NULL ? weights[i] : st->line_left[i];
            pt_assert(w >= 0);
            weight += w;
        }
    }
    pt_assert(total >= 0 && total <= weight);
    if (total == 0) {
        return;
    }
    for (i = 0; i < st->item_count; i++) {
        int64_t w = weights != NULL ? weights[i] : st->line_left[i];
        if (lines[i] && w > 0) {
            wide_int p = (wide_int)total * w;
            shares[i] = (int64_t)(p / weight);
            rem[i] = (int64_t)(p % weight);
            given += shares[i];
        }
    }
    while (given < total) {
        unsigned best = st->item_count;
        for (i = 0; i < st->item_count; i++) {
            if (rem[i] > 0 && (best == st->item_count || rem[i] > rem[best])) {
                best = i;
            }
        }
        /* The remainders' fractions add up to what is left over: a line has one. */
        pt_assert(best < st->item_count);
        shares[best]++;
        rem[best] = 0;
        given++;
    }
}

/* Takes `total` off the lines as a discount, split by pt_rules_split; each weight is at most
 * what is left of its line. */
void pt_rules_take_weighted(struct pt_eval_state *st, const bool *lines, const int64_t *weights,
                            int64_t total)
{
    int64_t *shares = st->scratch_share;
    unsigned i;
    pt_rules_split(st, lines, weights, total, shares);
    for (i = 0; i < st->item_count; i++) {
        pt_assert(shares[i] <= st->line_left[i]);
        st->line_left[i] -= shares[i];
        st->line_discount[i] += shares[i];
    }
    st->left_total -= total;
}

void pt_rules_take_proportionally(struct pt_eval_state *st, const bool *lines, int64_t total)
{
    pt_rules_take_weighted(st, lines, NULL, total);
}

/* A fixed amount over lines: from the lines no later rule's discount targets first (in
 * proportion), the rest from the others (in proportion), so that 10.00 off the cart before
 * 50% off the coffee leaves the coffee whole for it when the other lines can carry the 10.00. */
static void take_fixed(struct pt_eval_state *st, const bool *lines, int64_t amount)
{
    bool *free = st->scratch_free;
    int64_t free_left = 0;
    int64_t first;
    unsigned i;
    for (i = 0; i < st->item_count; i++) {
        free[i] = lines[i] && st->last_claim[i] <= st->position + 1;
        if (free[i]) {
            free_left += st->line_left[i];
        }
    }
    first = amount < free_left ? amount : free_left;
    pt_rules_take_proportionally(st, free, first);
    pt_rules_take_proportionally(st, lines, amount - first);
}

enum pt_rc pt_effect_discount_apply(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                    struct pt_eval_state *st, struct pt_rule_outcome *o,
                                    struct pt_err *err)
{
    bool *lines = st->scratch_lines;
    int64_t left = 0;
    int64_t before = 0;
    int64_t after = 0;
    unsigned i;
    (void)err;
    for (i = 0; i < st->item_count; i++) {
        lines[i] = !e->on_items || sel->selected[i];
        if (lines[i]) {
            left += st->line_left[i];
        }
        before += st->line_left[i];
    }
    if (e->percent_bp > 0) {
        /* A percent of what is left of the selected lines as a whole, floored once, then split
         * over them exactly: 10% of 10.00 left over three lines is 1.00, never 0.99. */
        pt_rules_take_proportionally(
            st, lines, capped(e, st, (int64_t)((wide_int)left * e->percent_bp / 10000), 1));
    } else {
        take_fixed(st, lines, capped(e, st, e->amount < left ? e->amount : left, 1));
    }
    for (i = 0; i < st->item_count; i++) {
        after += st->line_left[i];
    }
    o->discount += before - after;
    return PT_OK;
}

/* ---- free_items ---- */

enum pt_rc pt_effect_free_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                struct pt_arena *arena, struct pt_rule_effect *e,
                                struct pt_err *err)
{
    static const char *const keys[] = {
        "type", "on", "buy", "get", "max_per_cart", "max_per_application", NULL};
    enum pt_rc rc = pt_rule_json_only(obj, keys, path, err);
    (void)rule;
    (void)arena;
    if (rc == PT_OK) {
        rc = caps_parse(obj, path, e, err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(obj, "buy", path, 1, FREE_ITEMS_GROUP_MAX - 1, true, &e->buy, err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(obj, "get", path, 1, FREE_ITEMS_GROUP_MAX - e->buy, true, &e->get,
                              err);
    }
    return rc;
}

/* Free positions among the first x units (dearest first): in each group of buy + get, the
 * positions from buy on. */
static int64_t free_before(const struct pt_rule_effect *e, int64_t x)
{
    int64_t group = e->buy + e->get;
    int64_t tail = x % group - e->buy;
    return x / group * e->get + (tail > 0 ? tail : 0);
}

/* The lines by unit price, dearest first (ties: the earlier line), in st->price_order: an
 * insertion sort, once per evaluation (at most PT_CART_ITEMS_MAX lines). Each effect used to sort
 * its own lines, which made 499 rules of eight free_items effects cost lines² each. */
static void sort_by_price(struct pt_eval_state *st)
{
    const struct pt_cart *cart = st->in->cart;
    unsigned i;
    unsigned j;
    if (st->price_sorted) {
        return;
    }
    for (i = 0; i < st->item_count; i++) {
        for (j = i;
             j > 0 && cart->items[st->price_order[j - 1]].unit_price < cart->items[i].unit_price;
             j--) {
            st->price_order[j] = st->price_order[j - 1];
        }
        st->price_order[j] = i;
    }
    st->price_sorted = true;
}

/* The worth of `count` units of line i: what is left to pay of them, at most the line's. */
static int64_t units_worth(const struct pt_eval_state *st, unsigned i, int64_t count)
{
    int64_t d = (int64_t)((wide_int)st->line_left[i] * count / st->in->cart->items[i].quantity);
    return d < st->line_left[i] ? d : st->line_left[i];
}

/* Clears the lines and worth arrays of the effects below. */
static void clear_lines(struct pt_eval_state *st)
{
    unsigned i;
    for (i = 0; i < st->item_count; i++) {
        st->scratch_lines[i] = false;
        st->scratch_worth[i] = 0;
    }
}

/* Takes percent_bp of the worth marked in st->scratch_worth (on st->scratch_lines), as a
 * whole, floored once, within e's caps over `applications`; into o. */
static void take_worth(const struct pt_rule_effect *e, struct pt_eval_state *st,
                       int64_t applications, struct pt_rule_outcome *o)
{
    int64_t worth = 0;
    int64_t total;
    unsigned i;
    for (i = 0; i < st->item_count; i++) {
        worth += st->scratch_worth[i];
    }
    total = capped(e, st, (int64_t)((wide_int)worth * e->percent_bp / 10000), applications);
    pt_rules_take_weighted(st, st->scratch_lines, st->scratch_worth, total);
    o->discount += total;
}

/*
 * The selected units sorted by unit price, dearest first (ties: earlier line); in each full
 * group of buy + get units, the last `get` (the cheapest of the group) are free.
 */
enum pt_rc pt_effect_free_apply(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                struct pt_eval_state *st, struct pt_rule_outcome *o,
                                struct pt_err *err)
{
    const struct pt_cart *cart = st->in->cart;
    int64_t group = e->buy + e->get;
    int64_t units = e->on_items ? sel->quantity : sel->cart_quantity; /* The units walked. */
    int64_t free_units = units / group * e->get;
    int64_t position = 0; /* Units walked so far, dearest first. */
    int64_t total = 0;
    int64_t total_capped;
    int64_t *worth = st->scratch_worth;
    bool *lines = st->scratch_lines;
    unsigned *order = st->scratch_order;
    unsigned n = 0;
    unsigned i;
    (void)err;
    if (free_units == 0) {
        return PT_OK;
    }
    clear_lines(st);
    sort_by_price(st);
    for (i = 0; i < st->item_count; i++) {
        unsigned line = st->price_order[i];
        if (!e->on_items || sel->selected[line]) {
            order[n++] = line;
        }
    }
    for (i = 0; i < n; i++) {
        const struct pt_cart_item *it = &cart->items[order[i]];
        /* Units of this line at positions position .. position + quantity - 1; position p is
         * free when p % group >= buy and its group is complete. */
        int64_t full = (units / group) * group; /* Units in complete groups. */
        int64_t first = position;
        int64_t last = position + it->quantity; /* exclusive */
        int64_t count = 0;
        if (last > full) {
            last = full;
        }
        if (last > first) {
            count = free_before(e, last) - free_before(e, first);
        }
        if (count > 0) {
            /* A unit is worth what is left to pay of it after earlier discounts. */
            worth[order[i]] = units_worth(st, order[i], count);
            total += worth[order[i]];
            o->free_units += count;
        }
        lines[order[i]] = count > 0;
        position += it->quantity;
    }
    /* Within the caps, taken from the free units' lines in proportion to their worth. */
    total_capped = capped(e, st, total, units / group);
    pt_rules_take_weighted(st, lines, worth, total_capped);
    o->discount += total_capped;
    return PT_OK;
}

int64_t pt_effect_free_missing(const struct pt_rule_effect *e, const struct pt_selection *sel,
                               const struct pt_eval_state *st)
{
    (void)st;
    int64_t group = e->buy + e->get;
    int64_t in_group = (e->on_items ? sel->quantity : sel->cart_quantity) % group;
    return in_group >= e->buy ? group - in_group : 0;
}

/* ---- discount_cheapest: percent off the cheapest unit(s) ---- */

enum pt_rc pt_effect_cheapest_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                    struct pt_arena *arena, struct pt_rule_effect *e,
                                    struct pt_err *err)
{
    static const char *const keys[] = {
        "type", "on", "percent", "units", "max_per_cart", "max_per_application", NULL};
    enum pt_rc rc = pt_rule_json_only(obj, keys, path, err);
    (void)rule;
    (void)arena;
    e->units = 1;
    if (rc == PT_OK) {
        rc = caps_parse(obj, path, e, err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(obj, "units", path, 1, FREE_ITEMS_GROUP_MAX, false, &e->units, err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_hundredths(obj, "percent", path, 1, 10000, &e->percent_bp, err);
    }
    return rc;
}

/* The `units` cheapest units concerned (ties: the later line), percent_bp off their worth as a
 * whole. */
enum pt_rc pt_effect_cheapest_apply(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                    struct pt_eval_state *st, struct pt_rule_outcome *o,
                                    struct pt_err *err)
{
    int64_t wanted = e->units;
    unsigned k;
    (void)err;
    clear_lines(st);
    sort_by_price(st);
    for (k = st->item_count; k > 0 && wanted > 0; k--) {
        unsigned i = st->price_order[k - 1];
        int64_t quantity = st->in->cart->items[i].quantity;
        int64_t count = quantity < wanted ? quantity : wanted;
        if (e->on_items && !sel->selected[i]) {
            continue;
        }
        st->scratch_lines[i] = true;
        st->scratch_worth[i] = units_worth(st, i, count);
        wanted -= count;
    }
    take_worth(e, st, 1, o);
    return PT_OK;
}

/* ---- get_product: buy X (the selected items), get Y (a product) free or at a percent off ---- */

enum pt_rc pt_effect_product_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                   struct pt_arena *arena, struct pt_rule_effect *e,
                                   struct pt_err *err)
{
    static const char *const keys[] = {"type",
                                       "on",
                                       "sku",
                                       "buy",
                                       "get",
                                       "percent",
                                       "max_applications",
                                       "max_per_cart",
                                       "max_per_application",
                                       NULL};
    json_t *sku = json_object_get(obj, "sku");
    char field[PT_RULE_PATH_BYTES + 8];
    enum pt_rc rc = pt_rule_json_only(obj, keys, path, err);
    (void)rule;
    e->buy = 1;
    e->get = 1;
    e->percent_bp = 10000;
    if (rc == PT_OK) {
        rc = caps_parse(obj, path, e, err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(obj, "buy", path, 1, FREE_ITEMS_GROUP_MAX, false, &e->buy, err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(obj, "get", path, 1, FREE_ITEMS_GROUP_MAX, false, &e->get, err);
    }
    if (rc == PT_OK) {
        rc = pt_rule_json_int(obj, "max_applications", path, 1, FREE_ITEMS_GROUP_MAX, false,
                              &e->max_applications, err);
    }
    if (rc == PT_OK && json_object_get(obj, "percent") != NULL) {
        rc = pt_rule_json_hundredths(obj, "percent", path, 1, 10000, &e->percent_bp, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    (void)snprintf(field, sizeof(field), "%s.sku", path);
    if (!json_is_string(sku) || json_string_length(sku) == 0 ||
        json_string_length(sku) > PT_CART_TEXT_BYTES_MAX ||
        strlen(json_string_value(sku)) != json_string_length(sku)) {
        return pt_err_set(err, PT_EINVAL, field, "sku is the product given: 1 to %d bytes",
                          PT_CART_TEXT_BYTES_MAX);
    }
    e->sku = pt_arena_strndup(arena, json_string_value(sku), json_string_length(sku));
    return e->sku != NULL ? PT_OK : pt_arena_err(arena, err);
}

/* How many times the effect applies (its X units, the product's own lines aside, by `buy`,
 * within max_applications) and the product's units in the cart. */
static int64_t product_applications(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                    const struct pt_eval_state *st, int64_t *present)
{
    const struct pt_cart *cart = st->in->cart;
    int64_t x_units = 0;
    int64_t times;
    unsigned i;
    *present = 0;
    for (i = 0; i < st->item_count; i++) {
        if (strcmp(cart->items[i].sku, e->sku) == 0) {
            *present += cart->items[i].quantity;
        } else if (!e->on_items || sel->selected[i]) {
            x_units += cart->items[i].quantity;
        }
    }
    times = x_units / e->buy;
    return e->max_applications > 0 && times > e->max_applications ? e->max_applications : times;
}

/* The product's units, dearest first, up to `get` per application, percent_bp off their worth
 * as a whole. */
enum pt_rc pt_effect_product_apply(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                   struct pt_eval_state *st, struct pt_rule_outcome *o,
                                   struct pt_err *err)
{
    int64_t present;
    int64_t times = product_applications(e, sel, st, &present);
    int64_t wanted = times * e->get; /* At most 1000 × 1000. */
    unsigned k;
    (void)err;
    if (wanted == 0 || present == 0) {
        return PT_OK;
    }
    clear_lines(st);
    sort_by_price(st);
    for (k = 0; k < st->item_count && wanted > 0; k++) {
        unsigned i = st->price_order[k];
        int64_t quantity = st->in->cart->items[i].quantity;
        int64_t count = quantity < wanted ? quantity : wanted;
        if (strcmp(st->in->cart->items[i].sku, e->sku) != 0) {
            continue;
        }
        st->scratch_lines[i] = true;
        st->scratch_worth[i] = units_worth(st, i, count);
        o->free_units += e->percent_bp == 10000 ? count : 0;
        wanted -= count;
    }
    take_worth(e, st, times, o);
    return PT_OK;
}

/* Units of the product to add for every application to get its units. */
int64_t pt_effect_product_missing(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                  const struct pt_eval_state *st)
{
    int64_t present;
    int64_t times = product_applications(e, sel, st, &present);
    return times * e->get > present ? times * e->get - present : 0;
}

/* ---- Which lines a rule's discounts will target (for the fixed amounts before it) ---- */

/* Whether effect e targets some lines rather than the whole cart. */
static bool claims_lines(const struct pt_rule_effect *e)
{
    switch (e->type) {
    case PT_EFFECT_DISCOUNT:
    case PT_EFFECT_FREE_ITEMS:
        return e->on_items;
    case PT_EFFECT_DISCOUNT_CHEAPEST:
    case PT_EFFECT_GET_PRODUCT:
        return true;
    default:
        return false;
    }
}

bool pt_rule_claims_lines(const struct pt_rule *r)
{
    unsigned e;
    for (e = 0; e < r->effect_count; e++) {
        if (claims_lines(&r->effects[e])) {
            return true;
        }
    }
    return false;
}

/* Marks with `mark` (last_claim) the lines e will discount: its selected items; the cheapest
 * units it counts (unit prices do not change); get_product's product. */
static void claim(const struct pt_rule_effect *e, const struct pt_selection *sel,
                  struct pt_eval_state *st, unsigned mark)
{
    const struct pt_cart *cart = st->in->cart;
    int64_t wanted = e->units;
    unsigned k;
    unsigned i;
    switch (e->type) {
    case PT_EFFECT_GET_PRODUCT:
        for (i = 0; i < st->item_count; i++) {
            if (strcmp(cart->items[i].sku, e->sku) == 0) {
                st->last_claim[i] = mark;
            }
        }
        return;
    case PT_EFFECT_DISCOUNT_CHEAPEST:
        sort_by_price(st);
        for (k = st->item_count; k > 0 && wanted > 0; k--) {
            i = st->price_order[k - 1];
            if (!e->on_items || sel->selected[i]) {
                st->last_claim[i] = mark;
                wanted -= cart->items[i].quantity;
            }
        }
        return;
    default:
        for (i = 0; i < st->item_count; i++) {
            if (sel->selected[i]) {
                st->last_claim[i] = mark;
            }
        }
        return;
    }
}

void pt_rule_claim(const struct pt_rule *r, const struct pt_selection *sel,
                   struct pt_eval_state *st, unsigned mark)
{
    unsigned e;
    for (e = 0; e < r->effect_count; e++) {
        if (claims_lines(&r->effects[e])) {
            claim(&r->effects[e], sel, st, mark);
        }
    }
}
