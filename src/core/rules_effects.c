/* SPDX-License-Identifier: MIT */
/*
 * The effects a rule can have, one entry each: how the effect is read from the rule document,
 * how it moves money (discounts, first pass, in rule order), how it gives points (second pass,
 * on what is left to pay) and what nudge it can give. Adding an effect is adding an entry here;
 * the effects that take money off the lines are in rules_discounts.c.
 */
#include "core/rules_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

#define POINTS_MAX 1000000000LL         /* One rule's fixed points. */
#define MULTIPLIER_HUNDREDTHS_MAX 10000 /* 100× */

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
    rc = per_parse(obj, path, e, err);
    if (rc != PT_OK) {
        return rc;
    }
    if (rule->trigger != PT_TRIGGER_PURCHASE && (has_per || has_mult || e->per_item)) {
        return pt_err_set(err, PT_EINVAL, path,
                          "only purchase rules award per amount, per item or a multiplier; this "
                          "rule awards fixed points");
    }
    if (has_mult) {
        return pt_rule_json_hundredths(obj, "multiplier", path, 1, MULTIPLIER_HUNDREDTHS_MAX,
                                       &e->multiplier_pct, err);
    }
    rc = pt_rule_json_int(obj, "points", path, 1, POINTS_MAX, true, &e->points, err);
    if (rc == PT_OK && has_per) {
        rc = pt_rule_json_int(obj, "per_amount", path, 1, PT_RULE_AMOUNT_MAX, true, &e->per_amount,
                              err);
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

/* obj[key]: the id of an object of the program ("stc_...", "rwd_..."), copied into the arena.
 * PT_EINVAL (field path.key) naming what it is otherwise. */
static enum pt_rc effect_id(json_t *obj, const char *key, const char *prefix, const char *what,
                            const char *path, struct pt_arena *arena, const char **out,
                            struct pt_err *err)
{
    const char *id = json_string_value(json_object_get(obj, key));
    char field[PT_RULE_PATH_BYTES + 8];
    if (id == NULL || strncmp(id, prefix, strlen(prefix)) != 0 || strlen(id) > PT_ID_BYTES) {
        (void)snprintf(field, sizeof(field), "%s.%s", path, key);
        return pt_err_set(err, PT_EINVAL, field, "%s is the id of %s (%s...)", key, what, prefix);
    }
    *out = pt_arena_strndup(arena, id, strlen(id));
    return *out != NULL ? PT_OK : pt_arena_err(arena, err);
}

static enum pt_rc stamps_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                               struct pt_arena *arena, struct pt_rule_effect *e, struct pt_err *err)
{
    static const char *const keys[] = {"type", "on", "card", "per", "stamps", NULL};
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
    rc = effect_id(obj, "card", "stc_", "a stamp card", path, arena, &e->card, err);
    if (rc == PT_OK) {
        rc = per_parse(obj, path, e, err);
    }
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
    int64_t wallet = 0;
    enum pt_rc rc;
    for (i = 0; i < st->item_count; i++) {
        if (cart->items[i].eligible && (!e->on_items || sel->selected[i])) {
            room += st->line_left[i] - st->line_cashback[i] - st->line_wallet[i];
            wallet += st->line_wallet[i];
        }
    }
    /* On what is left to pay of the eligible lines less what wallet money pays of them,
     * floored: never more than was paid. */
    rc = pt_mul_div_floor(eligible_left(e, sel, st) - wallet, e->percent_bp, 10000, &amount, err);
    if (rc != PT_OK) {
        return rc;
    }
    amount = amount < room ? amount : room;
    amount = amount < st->money_left ? amount : st->money_left; /* Its budget_amount. */
    if (st->money_left != INT64_MAX) {
        st->money_left -= amount;
    }
    for (i = 0, room = amount; i < st->item_count && room > 0; i++) {
        if (cart->items[i].eligible && (!e->on_items || sel->selected[i])) {
            int64_t free = st->line_left[i] - st->line_cashback[i] - st->line_wallet[i];
            int64_t take = free < room ? free : room;
            st->line_cashback[i] += take;
            room -= take;
        }
    }
    pt_assert(room == 0);
    return pt_points_add(o->cashback, amount, &o->cashback, err);
}

/* ---- issue_coupon (docs/rules.md) ---- */

/* {"type": "issue_coupon", "reward": "rwd_..."}: a gift, as fixed points are, so any trigger.
 * Whether the program has that reward is the service's to check when the rule is saved. */
static enum pt_rc coupon_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                               struct pt_arena *arena, struct pt_rule_effect *e, struct pt_err *err)
{
    static const char *const keys[] = {"type", "reward", NULL};
    unsigned i;
    enum pt_rc rc = pt_rule_json_only(obj, keys, path, err);
    if (rc != PT_OK) {
        return rc;
    }
    for (i = 0; i < rule->effect_count; i++) {
        if (rule->effects[i].type == PT_EFFECT_ISSUE_COUPON) {
            return pt_err_set(err, PT_EINVAL, path, "a rule issues one coupon");
        }
    }
    return effect_id(obj, "reward", "rwd_", "a reward", path, arena, &e->reward, err);
}

/* What the coupon is is known when the rule fires; the service issues it with the write. */
static enum pt_rc coupon_give(const struct pt_rule_effect *e, const struct pt_selection *sel,
                              struct pt_eval_state *st, struct pt_rule_outcome *o,
                              struct pt_err *err)
{
    (void)sel;
    (void)st;
    (void)err;
    o->coupon_reward = e->reward;
    return PT_OK;
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
                            .parse = pt_effect_discount_parse,
                            .discount = pt_effect_discount_apply},
    [PT_EFFECT_FREE_ITEMS] = {.name = "free_items",
                              .triggers = CART_ONLY,
                              .parse = pt_effect_free_parse,
                              .discount = pt_effect_free_apply,
                              .missing = pt_effect_free_missing},
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
    [PT_EFFECT_DISCOUNT_CHEAPEST] = {.name = "discount_cheapest",
                                     .triggers = CART_ONLY,
                                     .parse = pt_effect_cheapest_parse,
                                     .discount = pt_effect_cheapest_apply},
    [PT_EFFECT_GET_PRODUCT] = {.name = "get_product",
                               .triggers = CART_ONLY,
                               .parse = pt_effect_product_parse,
                               .discount = pt_effect_product_apply,
                               .missing = pt_effect_product_missing},
    [PT_EFFECT_ISSUE_COUPON] = {.name = "issue_coupon",
                                .triggers = PT_TRIGGERS_ALL,
                                .parse = coupon_parse,
                                .gives = coupon_give},
};
