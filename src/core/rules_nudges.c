/* SPDX-License-Identifier: MIT */
/*
 * Nudges: what a customer is missing for a rule that nearly applies ("spend 5.00 EUR more",
 * "1 more for a free one"), found from a condition that fails by one nearly met threshold or
 * from an effect that is short of its next unit, and kept nearest first.
 */
#include "core/rules_int.h"

#include <stdio.h>
#include <string.h>

/* The facts a customer can add to at the till: spend more, buy more. */
static bool threshold_fact(enum pt_fact f)
{
    /* Not cart.remaining or selected.remaining: after a percent discount, spending X more adds
     * less than X to what is left, and the nudge would promise too little. */
    return f == PT_FACT_CART_AMOUNT || f == PT_FACT_CART_ITEM_COUNT ||
           f == PT_FACT_SELECTED_QUANTITY || f == PT_FACT_SELECTED_AMOUNT;
}

/* A threshold counts as near when at most PT_NUDGE_WITHIN_PERCENT of it is missing. */
bool pt_rules_near_miss(struct pt_eval *ev, const struct pt_rule *r, unsigned node,
                        enum pt_fact *fact, int64_t *missing, int64_t *need)
{
    const struct pt_rule_node *n = &r->nodes[node];
    unsigned i;
    unsigned failing = 0;
    unsigned which = 0;
    if (n->kind == PT_NODE_TEST) {
        struct pt_value v;
        if ((n->op != PT_OP_GTE && n->op != PT_OP_GT) || !threshold_fact(n->fact) ||
            n->a.kind != PT_VALUE_INT) {
            return false;
        }
        v = pt_rules_fact_value(ev, n);
        if (__builtin_add_overflow(n->a.i, n->op == PT_OP_GT, need) ||
            __builtin_sub_overflow(*need, v.i, missing)) {
            return false; /* A threshold no cart can reach is not near. */
        }
        *fact = n->fact;
        return *missing > 0 && *need > 0 &&
               (wide_int)*missing * 100 <= (wide_int)*need * PT_NUDGE_WITHIN_PERCENT;
    }
    if (n->kind != PT_NODE_ALL) {
        return false;
    }
    for (i = 0; i < n->count; i++) {
        if (!pt_rules_holds(ev, r, n->first + i)) {
            failing++;
            which = n->first + i;
        }
    }
    return failing == 1 && pt_rules_near_miss(ev, r, which, fact, missing, need);
}

/* Inserts a nudge of `text`, keeping the PT_RULE_NUDGES_MAX nearest (smallest share missing)
 * in order. */
static enum pt_rc insert(struct pt_eval_result *out, struct pt_arena *arena, unsigned rule_index,
                         enum pt_fact fact, int64_t missing, int64_t need, const char *text,
                         const char *sku, struct pt_err *err)
{
    int64_t share = (int64_t)((wide_int)missing * 1000000 / (need > 0 ? need : 1));
    unsigned at = out->nudge_count;
    unsigned i;
    while (at > 0) {
        const struct pt_nudge *prev = &out->nudges[at - 1];
        if ((wide_int)prev->missing * 1000000 / (prev->need > 0 ? prev->need : 1) <= share) {
            break;
        }
        at--;
    }
    if (at >= PT_RULE_NUDGES_MAX) {
        return PT_OK;
    }
    if (out->nudge_count == PT_RULE_NUDGES_MAX) {
        out->nudge_count--; /* The farthest goes. */
    }
    for (i = out->nudge_count; i > at; i--) {
        out->nudges[i] = out->nudges[i - 1];
    }
    out->nudges[at].rule = rule_index;
    out->nudges[at].fact = fact;
    out->nudges[at].missing = missing;
    out->nudges[at].need = need;
    out->nudges[at].sku = sku;
    out->nudges[at].text = pt_arena_strndup(arena, text, strlen(text));
    out->nudge_count++;
    return out->nudges[at].text != NULL ? PT_OK : pt_arena_err(arena, err);
}

enum pt_rc pt_rules_add_nudge(struct pt_eval *ev, struct pt_eval_result *out,
                              struct pt_arena *arena, unsigned rule_index, const struct pt_rule *r,
                              enum pt_fact fact, int64_t missing, int64_t need, bool free_one,
                              struct pt_err *err)
{
    char text[PT_RULE_TEXT_BYTES_MAX + 64];
    char money[32];
    if (free_one) {
        (void)snprintf(text, sizeof(text), "%lld more for a free one: %s", (long long)missing,
                       r->name);
    } else if (fact == PT_FACT_CART_AMOUNT || fact == PT_FACT_SELECTED_AMOUNT) {
        pt_money_format(missing, ev->in->currency_exponent, money, sizeof(money));
        (void)snprintf(text, sizeof(text), "spend %s %s more: %s", money,
                       ev->in->currency != NULL ? ev->in->currency : "", r->name);
    } else {
        (void)snprintf(text, sizeof(text), "%lld more %s: %s", (long long)missing,
                       missing == 1 ? "item" : "items", r->name);
    }
    return insert(out, arena, rule_index, fact, missing, need, text, NULL, err);
}

enum pt_rc pt_rules_add_product_nudge(struct pt_eval *ev, struct pt_eval_result *out,
                                      struct pt_arena *arena, unsigned rule_index,
                                      const struct pt_rule *r, const struct pt_rule_effect *e,
                                      int64_t missing, struct pt_err *err)
{
    char text[2 * PT_RULE_TEXT_BYTES_MAX + 64];
    (void)ev;
    if (e->percent_bp == 10000) {
        (void)snprintf(text, sizeof(text), "add %lld %s to get %s free: %s", (long long)missing,
                       e->sku, missing == 1 ? "it" : "them", r->name);
    } else {
        (void)snprintf(text, sizeof(text), "add %lld %s for %lld.%02lld%% off: %s",
                       (long long)missing, e->sku, (long long)(e->percent_bp / 100),
                       (long long)(e->percent_bp % 100), r->name);
    }
    return insert(out, arena, rule_index, PT_FACT_ITEM_SKU, missing, e->get, text, e->sku, err);
}
