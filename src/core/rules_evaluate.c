/* SPDX-License-Identifier: MIT */
/*
 * The evaluator: applies a set of compiled rules to a cart or an activity (pt_rules_evaluate,
 * rules.h). It checks the cart and prepares its lines, orders the rules by priority, fires
 * them in two passes (discounts in rule order, then points on what is left to pay) and adds
 * up the result. The conditions are tested in rules_conditions.c, the effects applied in
 * rules_effects.c, nudges found in rules_nudges.c and the cost bounded in rules_cost.c.
 */
#include "core/rules_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The order of rules ---- */

struct ordered {
    const struct pt_rule *rule;
    unsigned index;
};

int pt_rules_compare(const struct pt_rule *a, const struct pt_rule *b)
{
    if (a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }
    return strcmp(a->id, b->id);
}

/* Rules of equal rank keep the caller's order. */
static int by_priority(const void *x, const void *y)
{
    const struct ordered *a = x;
    const struct ordered *b = y;
    int c = pt_rules_compare(a->rule, b->rule);
    if (c != 0) {
        return c;
    }
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Whether rule r may fire on this input: its trigger, its validity window and its room. */
static bool applies(const struct pt_rule *r, const struct pt_eval_input *in,
                    const struct pt_rule_room *room)
{
    if (r->trigger != in->trigger) {
        return false;
    }
    if (r->trigger == PT_TRIGGER_ACTIVITY &&
        (in->activity_type == NULL || strcmp(r->activity_type, in->activity_type) != 0)) {
        return false;
    }
    if (in->time->now_ms < r->valid_from_ms || in->time->now_ms >= r->valid_to_ms) {
        return false;
    }
    /* A rule that used up its uses, the member's day or a budget gives nothing more. */
    return room->uses > 0 && room->points_today > 0 && room->budget > 0 && room->uses_all > 0 &&
           room->amount > 0;
}

/* ---- What a rule selects ---- */

/* Selects the rule's items into sel: all of them (shared, no work) when it has no selector;
 * as `chosen` says when they were selected before (NULL: test them now). */
static void select_items(struct pt_eval *ev, const struct pt_rule *r, bool *scratch,
                         const bool *all, const bool *chosen)
{
    const struct pt_cart *cart = ev->in->cart;
    unsigned i;
    ev->sel.cart_quantity = ev->cart_units;
    if (r->items_root < 0) {
        ev->sel.selected = all;
        ev->sel.quantity = ev->cart_units;
        ev->sel.amount = ev->cart_amount;
        ev->sel.left = ev->st.left_total;
        return;
    }
    ev->sel.selected = scratch;
    ev->sel.quantity = 0;
    ev->sel.amount = 0;
    ev->sel.left = 0;
    for (i = 0; i < ev->st.item_count; i++) {
        ev->item = &cart->items[i];
        ev->item_index = i;
        scratch[i] = chosen != NULL ? chosen[i] : pt_rules_holds(ev, r, (unsigned)r->items_root);
        if (scratch[i]) {
            ev->sel.quantity += cart->items[i].quantity;
            ev->sel.amount += ev->st.line_amount[i];
            ev->sel.left += ev->st.line_left[i];
        }
    }
    ev->item = NULL;
}

/* ---- The cart ---- */

static uint32_t hash_or_0(const char *s)
{
    return s != NULL ? pt_rule_text_hash(s) : 0;
}

/* Refuses a cart over the limits of lines, coupons and text before any work. */
static enum pt_rc check_cart_limits(const struct pt_cart *cart, struct pt_err *err)
{
    if (cart->item_count > PT_CART_ITEMS_MAX) {
        return pt_err_set(err, PT_ELIMIT, "items", "a cart has at most %d lines",
                          PT_CART_ITEMS_MAX);
    }
    if (cart->coupon_count > PT_CART_COUPONS_MAX) {
        return pt_err_set(err, PT_ELIMIT, "coupons", "a cart has at most %d coupons",
                          PT_CART_COUPONS_MAX);
    }
    if ((cart->channel != NULL && strlen(cart->channel) > PT_CART_TEXT_BYTES_MAX) ||
        (cart->location != NULL && strlen(cart->location) > PT_CART_TEXT_BYTES_MAX)) {
        return pt_err_set(err, PT_EINVAL,
                          cart->channel != NULL && strlen(cart->channel) > PT_CART_TEXT_BYTES_MAX
                              ? "channel"
                              : "location",
                          "channel and location are at most %d bytes", PT_CART_TEXT_BYTES_MAX);
    }
    return PT_OK;
}

/* Allocates the evaluation's arrays of n lines (one entry at least, for an empty cart).
 * OUT: *line_amount, the writable view of ev->st.line_amount. */
static enum pt_rc allocate_lines(struct pt_eval *ev, unsigned n, struct pt_arena *arena,
                                 int64_t **line_amount, struct pt_err *err)
{
    size_t slots = n ? n : 1;
    ev->st.item_count = n;
    *line_amount = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.line_amount = *line_amount;
    ev->st.line_left = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.line_discount = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.line_coupon = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.scratch_before = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.line_cashback = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.scratch_cashback = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.scratch_lines = pt_arena_alloc(arena, slots * sizeof(bool));
    ev->st.scratch_free = pt_arena_alloc(arena, slots * sizeof(bool));
    ev->st.scratch_worth = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.last_claim = pt_arena_alloc(arena, slots * sizeof(unsigned));
    ev->st.scratch_order = pt_arena_alloc(arena, slots * sizeof(unsigned));
    ev->st.scratch_rem = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.scratch_share = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.line_wallet = pt_arena_alloc(arena, slots * sizeof(int64_t));
    ev->st.price_order = pt_arena_alloc(arena, slots * sizeof(unsigned));
    ev->st.price_sorted = false;
    ev->sku_h = pt_arena_alloc(arena, slots * sizeof(uint32_t));
    ev->category_h = pt_arena_alloc(arena, slots * sizeof(uint32_t));
    if (pt_arena_failed(arena)) { /* One check for them all: the arena latched any failure. */
        return pt_arena_err(arena, err);
    }
    return PT_OK;
}

/* Hashes the text facts of the cart, the member and the time once, for every rule's tests. */
static void hash_texts(struct pt_eval *ev)
{
    const struct pt_eval_input *in = ev->in;
    ev->channel_h = hash_or_0(in->cart->channel);
    ev->location_h = hash_or_0(in->cart->location);
    if (in->member != NULL) {
        ev->tier_h = hash_or_0(in->member->tier);
        ev->city_h = hash_or_0(in->member->city);
        ev->country_h = hash_or_0(in->member->country);
    }
    ev->date_h = pt_rule_text_hash(in->time->date);
}

/* Refuses item i unless it has a sku, a quantity, a price and texts that rules may search. */
static enum pt_rc check_item(const struct pt_cart_item *it, unsigned i, struct pt_err *err)
{
    if (it->quantity < 1 || it->unit_price < 0 || it->sku == NULL) {
        return pt_err_set(err, PT_EINVAL, "items",
                          "each item has a sku, a quantity >= 1 "
                          "and a unit_price >= 0");
    }
    if (it->taken < 0 || (it->taken > 0 && it->taken / it->quantity > it->unit_price)) {
        return pt_err_set(err, PT_EINVAL, "items", "a line's discount exceeds its amount");
    }
    if (strlen(it->sku) > PT_CART_TEXT_BYTES_MAX ||
        (it->category != NULL && strlen(it->category) > PT_CART_TEXT_BYTES_MAX)) {
        char field[32];
        (void)snprintf(field, sizeof(field), "items.%u.%s", i,
                       strlen(it->sku) > PT_CART_TEXT_BYTES_MAX ? "sku" : "category");
        return pt_err_set(err, PT_EINVAL, field,
                          "an item's sku and category are at most %d "
                          "bytes: rules search them",
                          PT_CART_TEXT_BYTES_MAX);
    }
    return PT_OK;
}

/* Adds up the lines: each line's amount (all of it left to pay, no discount yet), the cart's
 * amount and units, and the hashes of each item's texts. */
static enum pt_rc add_up_lines(struct pt_eval *ev, int64_t *line_amount, struct pt_err *err)
{
    const struct pt_cart *cart = ev->in->cart;
    unsigned i;
    for (i = 0; i < ev->st.item_count; i++) {
        const struct pt_cart_item *it = &cart->items[i];
        int64_t line;
        enum pt_rc rc = check_item(it, i, err);
        if (rc != PT_OK) {
            return rc;
        }
        if (__builtin_mul_overflow(it->quantity, it->unit_price, &line) ||
            __builtin_add_overflow(ev->cart_amount, line, &ev->cart_amount) ||
            __builtin_add_overflow(ev->cart_units, it->quantity, &ev->cart_units)) {
            return pt_err_set(err, PT_ELIMIT, "items", "items add up beyond the amount limit");
        }
        line_amount[i] = line;
        ev->st.left_total += line;
        ev->sku_h[i] = pt_rule_text_hash(it->sku);
        ev->category_h[i] = hash_or_0(it->category);
        if (it->taken > line) {
            return pt_err_set(err, PT_EINVAL, "items", "a line's discount exceeds its amount");
        }
        ev->st.left_total -= it->taken;
        ev->st.line_left[i] = line - it->taken;
        ev->st.line_discount[i] = it->taken;
        ev->st.line_coupon[i] = 0;
        ev->st.line_cashback[i] = 0;
        ev->st.line_wallet[i] = 0;
        ev->st.last_claim[i] = 0;
    }
    return PT_OK;
}

/* Checks the cart and prepares its lines and facts for the evaluation. */
static enum pt_rc check_cart(struct pt_eval *ev, struct pt_arena *arena, struct pt_err *err)
{
    int64_t *line_amount = NULL;
    enum pt_rc rc = check_cart_limits(ev->in->cart, err);
    if (rc == PT_OK) {
        rc = allocate_lines(ev, ev->in->cart->item_count, arena, &line_amount, err);
    }
    if (rc == PT_OK) {
        hash_texts(ev);
        rc = add_up_lines(ev, line_amount, err);
    }
    return rc;
}

/* Refuses an evaluation whose work would pass the bound, before doing any of it. */
static enum pt_rc eval_cost_check(const struct pt_rule *const *rules, unsigned count,
                                  const struct pt_eval_input *in, struct pt_err *err)
{
    unsigned lines = in->cart->item_count;
    int64_t cost;
    if (lines > PT_CART_ITEMS_MAX) {
        return PT_OK; /* check_cart refuses it, naming the limit of lines. */
    }
    cost = pt_rules_eval_cost(rules, count, in->trigger, lines);
    if (cost > PT_RULES_EVAL_COST_MAX) {
        (void)pt_err_set(err, PT_ELIMIT, "items",
                         "the rules would cost %lld units of work on these %u lines; at most %lld "
                         "(docs/rules.md)",
                         (long long)cost, lines, (long long)PT_RULES_EVAL_COST_MAX);
        return pt_err_code(err, "limit_exceeded");
    }
    return PT_OK;
}

/* ---- One evaluation ---- */

/* An evaluation under way: its inputs, the arrays of its two passes and its answer. */
struct run {
    struct pt_eval ev;                  /* ev.in points to input. */
    struct pt_eval_input input;         /* The caller's, with an empty cart for none. */
    const struct pt_rule *const *rules; /* count of them; borrowed */
    const struct pt_rule_room *room;    /* Per rule: the limits it has left. */
    unsigned count;
    struct pt_arena *arena;
    struct pt_eval_result *out;
    struct pt_err *err;
    struct ordered *order;           /* The rules by priority. */
    const bool **chosen;             /* Per place in the order: its items, when tested before. */
    struct pt_selection *selections; /* Per outcome: what its rule selected. */
    bool *scratch;                   /* Per line: the selection of the rule under test. */
    bool *all;                       /* Per line: true (what a rule without items selects). */
    unsigned message_count;          /* The messages of the rules that fired. */
};

/* The till's own discount comes first: rules then see what is left to pay. */
static enum pt_rc take_till_discount(struct run *x)
{
    const struct pt_cart *cart = x->input.cart;
    struct pt_eval_state *st = &x->ev.st;
    unsigned i;
    if (cart->discount < 0) {
        return pt_err_set(x->err, PT_EINVAL, "discount", "discount must not be negative");
    }
    if (cart->discount > 0) {
        for (i = 0; i < st->item_count; i++) {
            st->scratch_lines[i] = true;
        }
        pt_rules_take_proportionally(st, st->scratch_lines,
                                     cart->discount < x->ev.cart_amount ? cart->discount
                                                                        : x->ev.cart_amount);
    }
    return PT_OK;
}

/* Allocates the arrays of the two passes, per rule and per line. */
static enum pt_rc allocate_passes(struct run *x)
{
    size_t rules = x->count ? x->count : 1;
    size_t lines = x->ev.st.item_count ? x->ev.st.item_count : 1;
    unsigned i;
    x->order = pt_arena_alloc(x->arena, rules * sizeof(*x->order));
    x->chosen = pt_arena_alloc(x->arena, rules * sizeof(*x->chosen));
    x->selections = pt_arena_alloc(x->arena, rules * sizeof(*x->selections));
    x->out->outcomes = pt_arena_alloc(x->arena, rules * sizeof(*x->out->outcomes));
    x->scratch = pt_arena_alloc(x->arena, lines * sizeof(bool));
    x->all = pt_arena_alloc(x->arena, lines * sizeof(bool));
    if (pt_arena_failed(x->arena)) { /* Any of the five: the arena latched it. */
        return pt_arena_err(x->arena, x->err);
    }
    for (i = 0; i < x->ev.st.item_count; i++) {
        x->all[i] = true;
    }
    memset(x->chosen, 0, rules * sizeof(*x->chosen));
    return PT_OK;
}

/* Orders the rules by priority. Callers that keep their rules in order (the service's cache
 * does) skip the sort. */
static void order_rules(struct run *x)
{
    unsigned i;
    unsigned k;
    for (i = 0; i < x->count; i++) {
        x->order[i].rule = x->rules[i];
        x->order[i].index = i;
    }
    for (k = 1; k < x->count && by_priority(&x->order[k - 1], &x->order[k]) < 0; k++) {
    }
    if (k < x->count) {
        qsort(x->order, x->count, sizeof(*x->order), by_priority);
    }
}

/* For each line, the last rule in the order whose discount targets it: by its items, its
 * cheapest units or its product (item facts and unit prices alone: what a rule targets does
 * not change as discounts are taken). */
static enum pt_rc mark_claims(struct run *x)
{
    size_t lines = x->ev.st.item_count ? x->ev.st.item_count : 1;
    unsigned k;
    for (k = 0; k < x->count; k++) {
        const struct pt_rule *r = x->order[k].rule;
        bool *chosen = NULL;
        if (!pt_rule_claims_lines(r) || !applies(r, &x->input, &x->room[x->order[k].index])) {
            continue;
        }
        if (r->items_root >= 0) {
            /* Kept for when the rule fires: its items are tested once (rules_cost.c). */
            chosen = pt_arena_alloc(x->arena, lines * sizeof(bool));
            if (chosen == NULL) {
                return pt_arena_err(x->arena, x->err);
            }
        }
        select_items(&x->ev, r, chosen != NULL ? chosen : x->scratch, x->all, NULL);
        x->chosen[k] = chosen;
        pt_rule_claim(r, &x->ev.sel, &x->ev.st, k + 1);
    }
    return PT_OK;
}

/* ---- Pass 1: which rules fire, and the money they move ---- */

/* A rule whose conditions fail may be nearly met: then it gets a nudge. */
static enum pt_rc nudge_conditions(struct run *x, const struct pt_rule *r, unsigned index)
{
    enum pt_fact fact;
    int64_t missing;
    int64_t need;
    if (!pt_rules_near_miss(&x->ev, r, (unsigned)r->root, &fact, &missing, &need)) {
        return PT_OK;
    }
    return pt_rules_add_nudge(&x->ev, x->out, x->arena, index, r, fact, missing, need, false,
                              x->err);
}

/* Keeps what the firing rule selected for pass 2: a copy of the scratch selection (a rule
 * without items shares the array of all lines). */
static enum pt_rc keep_selection(struct run *x)
{
    unsigned at = x->out->outcome_count;
    bool *copy;
    x->selections[at] = x->ev.sel;
    if (x->ev.sel.selected == x->all) {
        return PT_OK;
    }
    copy = pt_arena_alloc(x->arena, (x->ev.st.item_count ? x->ev.st.item_count : 1) * sizeof(bool));
    if (copy == NULL) {
        return pt_arena_err(x->arena, x->err);
    }
    memcpy(copy, x->scratch, x->ev.st.item_count * sizeof(bool));
    x->selections[at].selected = copy;
    return PT_OK;
}

/* Applies the discounts of a firing rule, in rule order, and nudges its effects that are short
 * of their next unit (free_items). */
static enum pt_rc move_money(struct run *x, const struct pt_rule *r, unsigned index,
                             struct pt_rule_outcome *o)
{
    enum pt_rc rc = PT_OK;
    unsigned e;
    for (e = 0; rc == PT_OK && e < r->effect_count; e++) {
        const struct pt_effect_kind *kind = &pt_effect_kinds[r->effects[e].type];
        if (kind->discount != NULL) {
            rc = kind->discount(&r->effects[e], &x->ev.sel, &x->ev.st, o, x->err);
        }
        if (rc == PT_OK && kind->missing != NULL) {
            int64_t missing = kind->missing(&r->effects[e], &x->ev.sel, &x->ev.st);
            if (missing > 0 && r->effects[e].type == PT_EFFECT_GET_PRODUCT) {
                rc = pt_rules_add_product_nudge(&x->ev, x->out, x->arena, index, r, &r->effects[e],
                                                missing, x->err);
            } else if (missing > 0) {
                rc = pt_rules_add_nudge(&x->ev, x->out, x->arena, index, r,
                                        PT_FACT_SELECTED_QUANTITY, missing,
                                        r->effects[e].buy + r->effects[e].get, true, x->err);
            }
        }
    }
    return rc;
}

/* Whether an exclusive rule gives something (then it ends the evaluation). Nothing after it
 * changes what is left to pay, so its points can be known now. OUT: *gives. */
static enum pt_rc exclusive_gives(struct run *x, const struct pt_rule *r,
                                  const struct pt_rule_outcome *o, bool *gives)
{
    struct pt_eval_state *st = &x->ev.st;
    int64_t *cashback = st->line_cashback;
    int64_t money_left = st->money_left;
    int64_t points = 0;
    struct pt_rule_outcome given = *o;
    enum pt_rc rc = PT_OK;
    unsigned e;
    /* A trial: what it gives is given again in pass 2, so the cashback it charges to the lines
     * here goes to a copy. */
    memcpy(st->scratch_cashback, cashback, (st->item_count ? st->item_count : 1) * sizeof(int64_t));
    st->line_cashback = st->scratch_cashback;
    for (e = 0; rc == PT_OK && e < r->effect_count; e++) {
        const struct pt_effect_kind *kind = &pt_effect_kinds[r->effects[e].type];
        int64_t p = 0;
        if (kind->points != NULL) {
            rc = kind->points(&r->effects[e], &x->ev.sel, &x->ev.st, &p, x->err);
            if (rc == PT_OK) {
                rc = pt_points_add(points, p, &points, x->err);
            }
        }
        if (rc == PT_OK && kind->gives != NULL) {
            rc = kind->gives(&r->effects[e], &x->ev.sel, &x->ev.st, &given, x->err);
        }
    }
    st->line_cashback = cashback;
    st->money_left = money_left;
    *gives = rc == PT_OK && (points > 0 || o->discount > 0 || o->free_shipping || r->messages > 0 ||
                             given.stamps > 0 || given.cashback > 0 ||
                             (given.coupon_reward != NULL && !x->room[o->rule].coupon_out));
    return rc;
}

/* Fires the k-th rule of the order when it applies and its conditions hold: its outcome, its
 * selection and its discounts. OUT: *stop when it is exclusive and gives something. */
static enum pt_rc fire_rule(struct run *x, unsigned k, bool *stop)
{
    const struct pt_rule *r = x->order[k].rule;
    unsigned index = x->order[k].index;
    struct pt_eval_result *out = x->out;
    struct pt_rule_outcome *o = &out->outcomes[out->outcome_count];
    bool gives = false;
    enum pt_rc rc;
    if (!applies(r, &x->input, &x->room[index])) {
        return PT_OK;
    }
    select_items(&x->ev, r, x->scratch, x->all, x->chosen[k]);
    if (r->items_root >= 0 && x->ev.sel.quantity == 0) {
        return PT_OK;
    }
    if (r->root >= 0 && !pt_rules_holds(&x->ev, r, (unsigned)r->root)) {
        return nudge_conditions(x, r, index);
    }
    memset(o, 0, sizeof(*o));
    o->rule = index;
    rc = keep_selection(x);
    if (rc != PT_OK) {
        return rc;
    }
    x->message_count += r->messages;
    x->ev.st.position = k;
    x->ev.st.money_left = x->room[index].amount;
    if (r->coupon) {
        /* What a coupon takes off each line is kept: a return's kept cart takes it again. */
        memcpy(x->ev.st.scratch_before, x->ev.st.line_left,
               (x->ev.st.item_count ? x->ev.st.item_count : 1) * sizeof(int64_t));
    }
    rc = move_money(x, r, index, o);
    if (r->coupon) {
        unsigned i;
        for (i = 0; i < x->ev.st.item_count; i++) {
            x->ev.st.line_coupon[i] += x->ev.st.scratch_before[i] - x->ev.st.line_left[i];
        }
    }
    if (r->exclusive) {
        /* It ends the evaluation only if it gives something. */
        if (rc == PT_OK) {
            rc = exclusive_gives(x, r, o, &gives);
        }
        if (!gives && !x->room[index].coupon_out) {
            return rc;
        }
        /* A coupon its reward cannot give now: it fired, and says why, without ending it. */
        *stop = gives;
    }
    out->free_shipping |= o->free_shipping;
    out->outcome_count++;
    return rc;
}

static enum pt_rc fire_rules(struct run *x)
{
    bool stop = false;
    enum pt_rc rc = PT_OK;
    unsigned k;
    for (k = 0; rc == PT_OK && !stop && k < x->count; k++) {
        rc = fire_rule(x, k, &stop);
    }
    return rc;
}

/* ---- Pass 2: points, on what is left to pay after every discount ---- */

/* How the cart is paid, once every discount is taken: what points pay earns nothing (it is
 * taken off what is left of each line, in proportion, exactly), and what wallet money pays
 * earns no cashback (set apart per line), unless the program says they earn (core/payment.h).
 * The service checks the payments against what is left to pay (pt_payments_settle); here a
 * larger tender only takes what there is, as it may in the trial runs of the offers. */
static void take_payments(struct run *x)
{
    const struct pt_tender *t = x->input.cart->tender;
    struct pt_eval_state *st = &x->ev.st;
    int64_t *shares = st->scratch_share;
    int64_t points;
    int64_t wallet;
    unsigned i;
    if (t == NULL || st->item_count == 0) {
        return;
    }
    points = t->paid[PT_PAY_POINTS];
    wallet = t->paid[PT_PAY_WALLET];
    if (t->paid_of > 0) {
        /* A return's kept cart: what is kept of each, by the share its returns give back. */
        int64_t back = t->paid_of > st->left_total ? t->paid_of - st->left_total : 0;
        points -= pt_payment_refund_due(points, back, t->paid_of, 0);
        wallet -= pt_payment_refund_due(wallet, back, t->paid_of, 0);
    }
    points = points < st->left_total ? points : st->left_total;
    wallet = wallet < st->left_total - points ? wallet : st->left_total - points;
    for (i = 0; i < st->item_count; i++) {
        x->scratch[i] = true;
    }
    pt_rules_split(st, x->scratch, NULL, points, shares);
    for (i = 0; i < st->item_count; i++) {
        /* The wallet's share is split over what the points left of each line. */
        st->scratch_worth[i] = st->line_left[i] - shares[i];
        if (!t->points_earn) {
            st->line_left[i] -= shares[i];
        }
    }
    if (!t->points_earn) {
        st->left_total -= points;
    }
    if (!t->wallet_cashback) {
        pt_rules_split(st, x->scratch, st->scratch_worth, wallet, st->line_wallet);
    }
}

static enum pt_rc allocate_messages(struct run *x)
{
    if (x->message_count == 0) {
        return PT_OK;
    }
    x->out->messages = pt_arena_alloc(x->arena, x->message_count * sizeof(*x->out->messages));
    if (x->out->messages == NULL) {
        return pt_arena_err(x->arena, x->err);
    }
    return PT_OK;
}

/* What is left to pay of the lines that earn points. */
static int64_t eligible_amount(const struct run *x)
{
    int64_t eligible = 0;
    unsigned i;
    for (i = 0; i < x->ev.st.item_count; i++) {
        if (x->input.cart->items[i].eligible) {
            eligible += x->ev.st.line_left[i];
        }
    }
    return eligible;
}

/* Gives what the rule of outcome k gives besides discounts (points within the room it has
 * left, stamps, cashback, messages) on what it selected. */
static enum pt_rc give_outcome(struct run *x, unsigned k)
{
    struct pt_eval_result *out = x->out;
    struct pt_rule_outcome *o = &out->outcomes[k];
    const struct pt_rule *r = x->rules[o->rule];
    const struct pt_rule_room *rm = &x->room[o->rule];
    const struct pt_selection *sel = &x->selections[k];
    int64_t cap = rm->points_today < rm->budget ? rm->points_today : rm->budget;
    enum pt_rc rc = PT_OK;
    unsigned e;
    /* Its money budget less what its discounts took in pass 1. */
    x->ev.st.money_left = rm->amount == INT64_MAX ? INT64_MAX : rm->amount - o->discount;
    for (e = 0; rc == PT_OK && e < r->effect_count; e++) {
        const struct pt_effect_kind *kind = &pt_effect_kinds[r->effects[e].type];
        int64_t p = 0;
        if (r->effects[e].type == PT_EFFECT_MESSAGE) {
            out->messages[out->message_count++] = r->effects[e].text;
        }
        if (kind->points != NULL) {
            rc = kind->points(&r->effects[e], sel, &x->ev.st, &p, x->err);
            if (rc == PT_OK) {
                rc = pt_points_add(o->points, p, &o->points, x->err);
            }
        }
        if (rc == PT_OK && kind->gives != NULL) {
            rc = kind->gives(&r->effects[e], sel, &x->ev.st, o, x->err);
        }
    }
    if (rc == PT_OK) {
        rc = pt_points_add(out->cashback, o->cashback, &out->cashback, x->err);
    }
    if (o->points > cap) {
        o->points = cap;
        o->capped = true;
    }
    if (rc == PT_OK) {
        rc = pt_points_add(out->rule_points, o->points, &out->rule_points, x->err);
    }
    return rc;
}

/* The program's points on what is eligible, each outcome's gifts, the tier's extra and the
 * totals. */
static enum pt_rc give_points(struct run *x)
{
    struct pt_eval_result *out = x->out;
    int64_t eligible = eligible_amount(x);
    enum pt_rc rc = PT_OK;
    unsigned k;
    if (x->input.trigger == PT_TRIGGER_PURCHASE) {
        rc = pt_ledger_earn_points(eligible, &x->input.earn_rate, &out->base_points, x->err);
    }
    for (k = 0; rc == PT_OK && k < out->outcome_count; k++) {
        rc = give_outcome(x, k);
    }
    /* Each line's cashback is capped at what is paid for it (rules_effects.c). */
    pt_assert(rc != PT_OK || out->cashback <= eligible);
    if (rc == PT_OK && x->input.tier != NULL) {
        rc = pt_tier_extra_points(x->input.tier, out->base_points, &out->tier_points, x->err);
    }
    if (rc == PT_OK) {
        rc = pt_points_add(out->base_points, out->tier_points, &out->points, x->err);
    }
    if (rc == PT_OK) {
        rc = pt_points_add(out->points, out->rule_points, &out->points, x->err);
    }
    return rc;
}

/* A rule whose conditions held but that gave nothing (a free_items rule short of a free unit,
 * points cut to zero) is not an outcome: it is not shown and not counted as a use. */
static void drop_empty_outcomes(struct run *x)
{
    struct pt_eval_result *out = x->out;
    unsigned i;
    unsigned k = 0;
    for (i = 0; i < out->outcome_count; i++) {
        const struct pt_rule_outcome *o = &out->outcomes[i];
        if (o->points > 0 || o->discount > 0 || o->free_shipping ||
            x->rules[o->rule]->messages > 0 || o->stamps > 0 || o->cashback > 0 ||
            o->coupon_reward != NULL) {
            out->outcomes[k++] = *o;
        }
    }
    out->outcome_count = k;
}

/* The cart's amount before discounts, and the discounts by line and in all. */
static void sum_discounts(struct run *x)
{
    struct pt_eval_result *out = x->out;
    unsigned i;
    out->amount = x->ev.cart_amount;
    out->line_discount = x->ev.st.item_count > 0 ? x->ev.st.line_discount : NULL;
    out->line_coupon = x->ev.st.item_count > 0 ? x->ev.st.line_coupon : NULL;
    for (i = 0; i < x->ev.st.item_count; i++) {
        out->discount += x->ev.st.line_discount[i];
    }
}

enum pt_rc pt_rules_evaluate(const struct pt_rule *const *rules, const struct pt_rule_room *room,
                             unsigned count, const struct pt_eval_input *in, struct pt_arena *arena,
                             struct pt_eval_result *out, struct pt_err *err)
{
    static const struct pt_cart empty_cart = {NULL, 0, NULL, NULL, NULL, 0, 0, NULL};
    struct run x;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    memset(&x, 0, sizeof(x));
    x.input = *in;
    if (x.input.cart == NULL) {
        x.input.cart = &empty_cart;
    }
    x.ev.in = &x.input;
    x.ev.st.in = &x.input;
    x.rules = rules;
    x.room = room;
    x.count = count;
    x.arena = arena;
    x.out = out;
    x.err = err;
    if (count > PT_RULES_EVALUATED_MAX) {
        return pt_err_set(err, PT_ELIMIT, NULL, "at most %d rules are evaluated",
                          PT_RULES_EVALUATED_MAX);
    }
    rc = eval_cost_check(rules, count, &x.input, err);
    if (rc == PT_OK) {
        rc = check_cart(&x.ev, arena, err);
    }
    if (rc == PT_OK) {
        rc = take_till_discount(&x);
    }
    if (rc == PT_OK) {
        rc = allocate_passes(&x);
    }
    if (rc != PT_OK) {
        return rc; /* Nothing was evaluated: no member attributes were parsed. */
    }
    order_rules(&x);
    rc = mark_claims(&x);
    if (rc == PT_OK) {
        rc = fire_rules(&x);
    }
    if (rc == PT_OK) {
        rc = allocate_messages(&x);
    }
    if (rc == PT_OK) {
        take_payments(&x);
        rc = give_points(&x);
    }
    if (rc == PT_OK) {
        drop_empty_outcomes(&x);
    }
    sum_discounts(&x);
    pt_assert(rc != PT_OK || out->discount <= out->amount);
    json_decref(x.ev.attributes);
    json_decref(x.ev.properties);
    return rc;
}
