/* SPDX-License-Identifier: MIT */
/*
 * What an evaluation of the rules costs (docs/rules.md "What an evaluation may cost"): a pure
 * count of the evaluator's work, from the compiled rules and the number of cart lines alone,
 * so that it can be known before evaluating: when a rule is saved (at the largest cart), when
 * a cart arrives (at its lines), and by the rate limiter, which may charge an evaluation by it.
 *
 * The unit is about a nanosecond of the evaluator's CPU (bench/rules_worst.c measured the
 * weights). A test costs 4, an `in` test 1 more per value of its list (the evaluator compares
 * the fact with each, hashes first), a `contains` test 1 more per four bytes of its text and of
 * the longest text the fact may have (strstr walks both), and/any/not 1. The item selector
 * (`items`) is evaluated once per line; the conditions once, and once more for a nudge; each
 * effect walks the lines (6 per line: a discount spreads over the lines; free_items walks them
 * in an order sorted once per evaluation). The cart's lines are hashed and sorted by price
 * once.
 */
#include "core/rules.h"

#include "base/assert.h"

#include <string.h>

/* The longest text a fact may have, which a `contains` test searches. */
static int64_t fact_text_max(enum pt_fact fact)
{
    if (fact == PT_FACT_MEMBER_ATTRIBUTE || fact == PT_FACT_ACTIVITY_PROPERTY) {
        return PT_ATTRIBUTES_BYTES_MAX; /* A string inside the 16 KiB document. */
    }
    return PT_CART_TEXT_BYTES_MAX; /* SKUs, categories, channels, names: check_cart's bound. */
}

/* One test: the comparisons it makes. Weights measured with bench/rules_worst.c, so that a
 * unit is about a nanosecond of CPU whatever the shape of the rules. */
static int64_t test_weight(const struct pt_rule_node *n)
{
    int64_t weight = 4;
    if (n->op == PT_OP_IN) {
        weight += n->list_count; /* Hashes compared first: about a unit each. */
    }
    if (n->fact == PT_FACT_CART_COUPONS) {
        weight += 4 * PT_CART_COUPONS_MAX;
    }
    if (n->op == PT_OP_CONTAINS && n->a.kind == PT_VALUE_TEXT) {
        /* strstr walks the needle and the text: a unit per four bytes of both. */
        weight += ((int64_t)strlen(n->a.s) + fact_text_max(n->fact)) / 4;
    }
    return weight;
}

/* The nodes of the tree at root, each weighted by the work it does. */
static int64_t tree_weight(const struct pt_rule *r, int root)
{
    unsigned stack[PT_RULE_NODES_MAX];
    unsigned depth = 0;
    unsigned visited = 0;
    int64_t weight = 0;
    if (root < 0) {
        return 0;
    }
    stack[depth++] = (unsigned)root;
    while (depth > 0) {
        const struct pt_rule_node *n = &r->nodes[stack[--depth]];
        unsigned i;
        /* A compiled tree has at most PT_RULE_NODES_MAX nodes, each reached once. */
        pt_assert(++visited <= PT_RULE_NODES_MAX);
        if (n->kind == PT_NODE_TEST) {
            weight += test_weight(n);
            continue;
        }
        weight += 1;
        for (i = 0; i < n->count; i++) {
            pt_assert(depth < PT_RULE_NODES_MAX && n->first + i < r->node_count);
            stack[depth++] = n->first + i;
        }
    }
    return weight;
}

/* The rule's cost per line and for itself. Its items are tested once per line (a rule whose
 * discount targets its items before the rules fire, and its selection kept for when it does:
 * rules_evaluate.c). */
static void cost_parts(const struct pt_rule *r, int64_t *per_line, int64_t *fixed)
{
    *per_line = tree_weight(r, r->items_root) + 6 * (int64_t)r->effect_count + 1;
    *fixed = 2 * tree_weight(r, r->root) + 6 * (int64_t)r->effect_count + 1;
}

void pt_rule_cost_prepare(struct pt_rule *r)
{
    cost_parts(r, &r->cost_per_line, &r->cost_fixed);
    r->cost_known = true;
}

int64_t pt_rule_eval_cost(const struct pt_rule *r, unsigned lines)
{
    int64_t per_line = r->cost_per_line;
    int64_t fixed = r->cost_fixed;
    pt_assert(lines <= PT_CART_ITEMS_MAX);
    if (!r->cost_known) {
        cost_parts(r, &per_line, &fixed);
    }
    return (int64_t)lines * per_line + fixed;
}

int64_t pt_rules_eval_cost(const struct pt_rule *const *rules, unsigned count,
                           enum pt_rule_trigger trigger, unsigned lines)
{
    /* The lines hashed once, and sorted by price once (insertion sort) for free_items. */
    int64_t cost = (int64_t)lines + (int64_t)lines * lines / 2;
    unsigned i;
    pt_assert(count <= PT_RULES_EVALUATED_MAX);
    for (i = 0; i < count; i++) {
        if (rules[i]->trigger == trigger) {
            /* No overflow: at most 512 rules of at most 201 × (64 × 4,200 + 49) each. */
            cost += pt_rule_eval_cost(rules[i], lines);
        }
    }
    return cost;
}
