/* SPDX-License-Identifier: MIT */
/*
 * The effects a rule can have, one entry each: how the effect is read from the rule document,
 * how it moves money (discounts, first pass, in rule order), how it gives points (second pass,
 * on what is left to pay) and what nudge it can give. Adding an effect is adding an entry here.
 */
#include "core/rules_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

#define POINTS_MAX 1000000000LL         /* One rule's fixed points. */
#define AMOUNT_MAX 1000000000000LL      /* Minor units of a per_amount or discount amount. */
#define MULTIPLIER_HUNDREDTHS_MAX 10000 /* 100× */
#define FREE_ITEMS_GROUP_MAX 1000       /* buy + get */

/* ---- award_points ---- */

/* An effect's "per": "purchase" (once, the default) or "item" (for each unit it counts). */
static enum pt_rc per_parse(json_t *obj, const char *path, struct pt_rule_effect *e,
                            struct pt_err *err)
{
    json_t *per = json_object_get(obj, "per");
    char field[PT_RULE_PATH_BYTES + 8];
    (void)snprintf(field, sizeof(field), "%s.per", path);
    if (per != NULL && (!json_is_string(per) || (strcmp(json_string_value(per), "purchase") != 0 &&
                                                 strcmp(json_string_value(per), "item") != 0))) {
        return pt_err_set(err, PT_EINVAL, field, "per is purchase or item");
    }
    e->per_item = per != NULL && strcmp(json_string_value(per), "item") == 0;
    return PT_OK;
}

static enum pt_rc award_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                              struct pt_arena *arena, struct pt_rule_effect *e, struct pt_err *err)
{
    static const char *const keys[] = {"type",       "on",  "points", "per_amount",
                                       "multiplier", "per", NULL};
    bool has_points = json_object_get(obj, "points") != NULL;
    bool has_per = json_object_get(obj, "per_amount") != NULL;
    bool has_mult = json_object_get(obj, "multiplier") != NULL;
    bool has_per_item = json_object_get(obj, "per") != NULL;
    enum pt_rc rc = pt_rule_json_only(obj, keys, path, err);
    (void)arena;
    if (rc != PT_OK) {
        return rc;
    }
    if (has_mult == has_points || (has_per && !has_points) || (has_per_item && !has_points) ||
        (has_per_item && has_per)) {
        return pt_err_set(err, PT_EINVAL, path,
                          "award_points takes points (per purchase or per item), points with "
                          "per_amount, or multiplier");
    }
    if (rule->trigger != PT_TRIGGER_PURCHASE && (has_per || has_mult || has_per_item)) {
        return pt_err_set(err, PT_EINVAL, path,
                          "only purchase rules award per amount, per item or a multiplier; this "
                          "rule awards fixed points");
    }
    rc = per_parse(obj, path, e, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (has_mult) {
        return pt_rule_json_hundredths(obj, "multiplier", path, 1, MULTIPLIER_HUNDREDTHS_MAX,
                                       &e->multiplier_pct, err);
    }
    rc = pt_rule_json_int(obj, "points", path, 1, POINTS_MAX, true, &e->points, err);
    if (rc == PT_OK && has_per) {
        rc = pt_rule_json_int(obj, "per_amount", path, 1, AMOUNT_MAX, true, &e->per_amount, err);
    }
    return rc;
}

/* The eligible amount the effect counts: of the selected items or of the whole cart, after
 * the discounts. */
static int64_t eligible_left(const struct pt_rule_effect *e, const struct pt_selection *sel,
                             const struct pt_eval_state *st)
{
    const struct pt_cart *cart = st->in->cart;
    int64_t sum = 0;
    unsigned i;
    for (i = 0; i < st->item_count; i++) {
        if (cart->items[i].eligible && (!e->on_items || sel->selected[i])) {
            sum += st->line_left[i]; /* Bounded by the cart's checked amount. */
        }
    }
    return sum;
}

static enum pt_rc award_points(const struct pt_rule_effect *e, const struct pt_selection *sel,
                               const struct pt_eval_state *st, int64_t *points, struct pt_err *err)
{
    int64_t base;
    enum pt_rc rc;
    if (e->multiplier_pct > 0) {
        /* Extra = base earn of the amount × (multiplier − 1): 2× doubles the base points. */
        rc = pt_ledger_earn_points(eligible_left(e, sel, st), &st->in->earn_rate, &base, err);
        if (rc != PT_OK) {
            return rc;
        }
        if (e->multiplier_pct <= 100) {
            *points = 0;
            return PT_OK;
        }
        return pt_mul_div_floor(base, e->multiplier_pct - 100, 100, points, err);
    }
    if (e->per_amount > 0) {
        return pt_mul_div_floor(eligible_left(e, sel, st), e->points, e->per_amount, points, err);
    }
    if (e->per_item) {
        /* For each unit counted: of the selected items, or of the whole cart. */
        int64_t units = e->on_items ? sel->quantity : sel->cart_quantity;
        if (__builtin_mul_overflow(e->points, units, points) || *points > PT_POINTS_MAX) {
            return pt_err_set(err, PT_ELIMIT, "items", "too many points for one purchase");
        }
        return PT_OK;
    }
    *points = e->points;
    return PT_OK;
}

/* ---- discount ---- */

/* The caps every discount effect may have (max_per_application, max_per_cart). */
static enum pt_rc caps_parse(json_t *obj, const char *path, struct pt_rule_effect *e,
                             struct pt_err *err)
{
    enum pt_rc rc = pt_rule_json_int(obj, "max_per_application", path, 1, AMOUNT_MAX, false,
                                     &e->max_per_application, err);
    if (rc == PT_OK) {
        rc = pt_rule_json_int(obj, "max_per_cart", path, 1, AMOUNT_MAX, false, &e->max_per_cart,
                              err);
    }
    return rc;
}

/* What a discount of `total` over `applications` applications gives within its caps. */
static int64_t capped(const struct pt_rule_effect *e, int64_t total, int64_t applications)
{
    int64_t most;
    if (e->max_per_application > 0 &&
        !__builtin_mul_overflow(e->max_per_application, applications, &most) && total > most) {
        total = most;
    }
    if (e->max_per_cart > 0 && total > e->max_per_cart) {
        total = e->max_per_cart;
    }
    return total;
}

static enum pt_rc discount_parse(json_t *obj, const char *path, const struct pt_rule *rule,
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
    return pt_rule_json_int(obj, "amount", path, 1, AMOUNT_MAX, true, &e->amount, err);
}

/*
 * Takes `total` (<= the sum of the weights) from the lines in proportion to their weights
 * (NULL: what is left of each line; else at most that), never more than a line's weight: floor
 * shares first, then the units left over one at a time to the lines with the largest
 * remainders (ties: the earlier line), so that exactly `total` is taken.
 */
void pt_rules_take_weighted(struct pt_eval_state *st, const bool *lines, const int64_t *weights,
                            int64_t total)
{
    int64_t weight = 0;
    int64_t given = 0;
    int64_t *rem = st->scratch_rem;
    unsigned i;
    for (i = 0; i < st->item_count; i++) {
        if (lines[i]) {
            int64_t w = weights != NULL ? weights[i] : st->line_left[i];
            pt_assert(w >= 0 && w <= st->line_left[i]);
            weight += w;
        }
    }
    pt_assert(total >= 0 && total <= weight);
    if (total == 0) {
        return;
    }
    for (i = 0; i < st->item_count; i++) {
        int64_t w = weights != NULL ? weights[i] : st->line_left[i];
        int64_t share = 0;
        rem[i] = 0;
        if (lines[i] && w > 0) {
            wide_int p = (wide_int)total * w;
            share = (int64_t)(p / weight);
            rem[i] = (int64_t)(p % weight);
            st->line_left[i] -= share;
            st->line_discount[i] += share;
            given += share;
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
        st->line_left[best]--;
        st->line_discount[best]++;
        rem[best] = 0;
        given++;
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

static enum pt_rc discount_apply(const struct pt_rule_effect *e, const struct pt_selection *sel,
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
            st, lines, capped(e, (int64_t)((wide_int)left * e->percent_bp / 10000), 1));
    } else {
        take_fixed(st, lines, capped(e, e->amount < left ? e->amount : left, 1));
    }
    for (i = 0; i < st->item_count; i++) {
        after += st->line_left[i];
    }
    o->discount += before - after;
    return PT_OK;
}

/* ---- free_items ---- */

static enum pt_rc free_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                             struct pt_arena *arena, struct pt_rule_effect *e, struct pt_err *err)
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

/*
 * The selected units sorted by unit price, dearest first (ties: earlier line); in each full
 * group of buy + get units, the last `get` (the cheapest of the group) are free.
 */
static enum pt_rc free_apply(const struct pt_rule_effect *e, const struct pt_selection *sel,
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
    unsigned j;
    (void)err;
    if (free_units == 0) {
        return PT_OK;
    }
    for (i = 0; i < st->item_count; i++) {
        lines[i] = false;
        worth[i] = 0;
    }
    if (!st->price_sorted) {
        /* Insertion sort, once per evaluation: at most PT_CART_ITEMS_MAX lines. Each effect
         * used to sort its own lines, which made 499 rules of eight free_items effects cost
         * lines² each (docs/rules.md). */
        for (i = 0; i < st->item_count; i++) {
            for (j = i; j > 0 &&
                        cart->items[st->price_order[j - 1]].unit_price < cart->items[i].unit_price;
                 j--) {
                st->price_order[j] = st->price_order[j - 1];
            }
            st->price_order[j] = i;
        }
        st->price_sorted = true;
    }
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
            int64_t d = (int64_t)((wide_int)st->line_left[order[i]] * count / it->quantity);
            worth[order[i]] = d < st->line_left[order[i]] ? d : st->line_left[order[i]];
            total += worth[order[i]];
            o->free_units += count;
        }
        lines[order[i]] = count > 0;
        position += it->quantity;
    }
    /* Within the caps, taken from the free units' lines in proportion to their worth. */
    total_capped = capped(e, total, units / group);
    pt_rules_take_weighted(st, lines, worth, total_capped);
    o->discount += total_capped;
    return PT_OK;
}

static int64_t free_missing(const struct pt_rule_effect *e, const struct pt_selection *sel)
{
    int64_t group = e->buy + e->get;
    int64_t in_group = (e->on_items ? sel->quantity : sel->cart_quantity) % group;
    return in_group >= e->buy ? group - in_group : 0;
}

/* ---- free_shipping, message ---- */

static enum pt_rc no_fields_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                  struct pt_arena *arena, struct pt_rule_effect *e,
                                  struct pt_err *err)
{
    static const char *const keys[] = {"type", NULL};
    (void)rule;
    (void)arena;
    (void)e;
    return pt_rule_json_only(obj, keys, path, err);
}

static enum pt_rc free_shipping_apply(const struct pt_rule_effect *e,
                                      const struct pt_selection *sel, struct pt_eval_state *st,
                                      struct pt_rule_outcome *o, struct pt_err *err)
{
    (void)e;
    (void)sel;
    (void)st;
    (void)err;
    o->free_shipping = true;
    return PT_OK;
}

static enum pt_rc message_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                struct pt_arena *arena, struct pt_rule_effect *e,
                                struct pt_err *err)
{
    static const char *const keys[] = {"type", "text", NULL};
    json_t *text = json_object_get(obj, "text");
    char field[PT_RULE_PATH_BYTES + 8];
    size_t len;
    enum pt_rc rc = pt_rule_json_only(obj, keys, path, err);
    (void)rule;
    if (rc != PT_OK) {
        return rc;
    }
    (void)snprintf(field, sizeof(field), "%s.text", path);
    if (!json_is_string(text)) {
        return pt_err_set(err, PT_EINVAL, field, "text must be a string");
    }
    len = json_string_length(text);
    if (len == 0 || len > PT_RULE_TEXT_BYTES_MAX || strlen(json_string_value(text)) != len) {
        return pt_err_set(err, PT_EINVAL, field, "text must be 1 to %d bytes without NUL",
                          PT_RULE_TEXT_BYTES_MAX);
    }
    e->text = pt_arena_strndup(arena, json_string_value(text), len);
    return e->text != NULL ? PT_OK : pt_arena_err(arena, err);
}

/* ---- add_stamps (docs/stamp-cards.md) ---- */

#define STAMPS_MAX 1000 /* Stamps one effect adds per purchase or per unit. */

static enum pt_rc stamps_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                               struct pt_arena *arena, struct pt_rule_effect *e, struct pt_err *err)
{
    static const char *const keys[] = {"type", "on", "card", "per", "stamps", NULL};
    const char *card = json_string_value(json_object_get(obj, "card"));
    char field[PT_RULE_PATH_BYTES + 8];
    unsigned i;
    enum pt_rc rc = pt_rule_json_only(obj, keys, path, err);
    if (rc != PT_OK) {
        return rc;
    }
    for (i = 0; i < rule->effect_count; i++) {
        if (rule->effects[i].type == PT_EFFECT_ADD_STAMPS) {
            return pt_err_set(err, PT_EINVAL, path, "a rule adds stamps to one card");
        }
    }
    (void)snprintf(field, sizeof(field), "%s.card", path);
    if (card == NULL || strncmp(card, "stc_", 4) != 0 || strlen(card) > PT_ID_BYTES) {
        return pt_err_set(err, PT_EINVAL, field, "card is the id of a stamp card (stc_...)");
    }
    e->card = pt_arena_strndup(arena, card, strlen(card));
    if (e->card == NULL) {
        return pt_arena_err(arena, err);
    }
    rc = per_parse(obj, path, e, err);
    if (rc != PT_OK) {
        return rc;
    }
    e->stamps = 1;
    return pt_rule_json_int(obj, "stamps", path, 1, STAMPS_MAX, false, &e->stamps, err);
}

static enum pt_rc stamps_give(const struct pt_rule_effect *e, const struct pt_selection *sel,
                              struct pt_eval_state *st, struct pt_rule_outcome *o,
                              struct pt_err *err)
{
    int64_t units = e->on_items ? sel->quantity : sel->cart_quantity;
    int64_t stamps = e->stamps;
    unsigned i;
    for (i = 0; i < st->in->active_card_count && strcmp(st->in->active_cards[i], e->card) != 0;
         i++) {
    }
    if (i == st->in->active_card_count) {
        return PT_OK; /* A paused or archived card: nothing, so the rule may give nothing. */
    }
    if (e->per_item && __builtin_mul_overflow(e->stamps, units, &stamps)) {
        return pt_err_set(err, PT_ELIMIT, NULL, "too many stamps");
    }
    o->stamp_card = e->card;
    return pt_points_add(o->stamps, stamps, &o->stamps, err);
}

/* ---- cashback (docs/wallets.md) ---- */

static enum pt_rc cashback_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                 struct pt_arena *arena, struct pt_rule_effect *e,
                                 struct pt_err *err)
{
    static const char *const keys[] = {"type", "on", "percent", NULL};
    enum pt_rc rc = pt_rule_json_only(obj, keys, path, err);
    (void)rule;
    (void)arena;
    if (rc != PT_OK) {
        return rc;
    }
    /* Hundredths of a percent, as discounts: 2.5% -> 250. */
    return pt_rule_json_hundredths(obj, "percent", path, 1, 10000, &e->percent_bp, err);
}

/* Cashback is a share of what is paid for the lines a rule selects, and what is paid for a line
 * is given back at most once, whatever the number of cashback rules on it: each line keeps
 * the room it has left (line_left − line_cashback), a rule gives no more than the room of its
 * lines, and its amount is charged to them in cart order. */
static enum pt_rc cashback_give(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                struct pt_eval_state *st, struct pt_rule_outcome *o,
                                struct pt_err *err)
{
    const struct pt_cart *cart = st->in->cart;
    int64_t amount;
    int64_t room = 0;
    unsigned i;
    /* On what is left to pay of the eligible lines, floored: never more than was paid. */
    enum pt_rc rc = pt_mul_div_floor(eligible_left(e, sel, st), e->percent_bp, 10000, &amount, err);
    if (rc != PT_OK) {
        return rc;
    }
    for (i = 0; i < st->item_count; i++) {
        if (cart->items[i].eligible && (!e->on_items || sel->selected[i])) {
            room += st->line_left[i] - st->line_cashback[i];
        }
    }
    amount = amount < room ? amount : room;
    for (i = 0, room = amount; i < st->item_count && room > 0; i++) {
        if (cart->items[i].eligible && (!e->on_items || sel->selected[i])) {
            int64_t free = st->line_left[i] - st->line_cashback[i];
            int64_t take = free < room ? free : room;
            st->line_cashback[i] += take;
            room -= take;
        }
    }
    pt_assert(room == 0);
    return pt_points_add(o->cashback, amount, &o->cashback, err);
}

/* ---- The table ---- */

#define CART_ONLY PT_TRIGGER_BIT(PT_TRIGGER_PURCHASE)

const struct pt_effect_kind pt_effect_kinds[PT_EFFECT_TYPES] = {
    [PT_EFFECT_AWARD_POINTS] = {.name = "award_points",
                                .triggers = PT_TRIGGERS_ALL,
                                .parse = award_parse,
                                .points = award_points},
    [PT_EFFECT_DISCOUNT] = {.name = "discount",
                            .triggers = CART_ONLY,
                            .parse = discount_parse,
                            .discount = discount_apply},
    [PT_EFFECT_FREE_ITEMS] = {.name = "free_items",
                              .triggers = CART_ONLY,
                              .parse = free_parse,
                              .discount = free_apply,
                              .missing = free_missing},
    [PT_EFFECT_FREE_SHIPPING] = {.name = "free_shipping",
                                 .triggers = CART_ONLY,
                                 .parse = no_fields_parse,
                                 .discount = free_shipping_apply},
    [PT_EFFECT_MESSAGE] = {.name = "message", .triggers = PT_TRIGGERS_ALL, .parse = message_parse},
    [PT_EFFECT_ADD_STAMPS] = {.name = "add_stamps",
                              .triggers = CART_ONLY,
                              .parse = stamps_parse,
                              .gives = stamps_give},
    [PT_EFFECT_CASHBACK] = {.name = "cashback",
                            .triggers = CART_ONLY,
                            .parse = cashback_parse,
                            .gives = cashback_give},
};

bool pt_rule_discounts_items(const struct pt_rule *r)
{
    unsigned e;
    for (e = 0; r->items_root >= 0 && e < r->effect_count; e++) {
        if (pt_effect_kinds[r->effects[e].type].discount != NULL && r->effects[e].on_items) {
            return true;
        }
    }
    return false;
}
