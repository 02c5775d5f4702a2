/* SPDX-License-Identifier: MIT */
/*
 * Inside the rules engine: the effect table (rules_effects.c) shared by the compiler
 * (rules_compile.c) and the evaluator (rules_evaluate.c), and the state of one evaluation that
 * the evaluator shares with its conditions (rules_conditions.c) and nudges (rules_nudges.c).
 * Not for use outside src/core/rules*.c.
 */
#ifndef PT_CORE_RULES_INT_H
#define PT_CORE_RULES_INT_H

#include <jansson.h>

#include "core/rules.h"

/* 128-bit products keep shares and percentages exact (as in ledger.c). */
__extension__ typedef __int128 wide_int;

/* Minor units of a per_amount, a discount amount or a discount's cap. */
#define PT_RULE_AMOUNT_MAX 1000000000000LL

/* A JSON path while compiling ("effects.1.percent"). */
#define PT_RULE_PATH_BYTES 128

/* The state of one evaluation, shared with the effects. */
struct pt_eval_state {
    const struct pt_eval_input *in;
    unsigned item_count;
    const int64_t *line_amount; /* quantity × unit_price per item */
    int64_t *line_left;         /* What is left to pay of each line after the discounts so far. */
    int64_t *line_discount;     /* The discounts so far, per line. */
    int64_t *line_coupon;       /* Of them, the coupons'. */
    int64_t *line_cashback;     /* The cashback given so far, per line: at most line_left. */
    int64_t *scratch_cashback;  /* A copy of it for an exclusive rule's trial. */
    /* What wallet money pays of each line when it earns no cashback (else 0): cashback is a
     * share of the rest (core/payment.h). */
    int64_t *line_wallet;
    int64_t left_total; /* The sum of line_left: what is left to pay of the cart. */
    /* Per line, 1 + the place in the order of the last rule whose discount targets it by its
     * items (0: none); and the place of the rule firing now. A fixed amount is charged to the
     * lines no later rule targets first, so that the later discounts keep their value. */
    unsigned *last_claim;
    unsigned position;
    /* What the rule firing now may still give in money (its budget_amount left). */
    int64_t money_left;
    /* Scratch space of the effects, item_count entries each, allocated once per evaluation. */
    bool *scratch_lines;
    bool *scratch_free;
    int64_t *scratch_worth;
    unsigned *scratch_order;
    int64_t *scratch_rem;
    int64_t *scratch_share;
    int64_t *scratch_before; /* What was left of each line before a coupon's discounts. */
    /* The lines dearest first (ties: earlier line), sorted once per evaluation when the first
     * free_items effect asks, so that each further one only filters them. */
    unsigned *price_order;
    bool price_sorted;
};

/* What the current rule selects: its items (all of them when it has no selector). */
struct pt_selection {
    const bool *selected; /* per item */
    int64_t quantity;
    int64_t amount;
    int64_t left;          /* What is left to pay of them after the discounts so far. */
    int64_t cart_quantity; /* Units of the whole cart (effects "on": "cart"). */
};

struct pt_effect_kind {
    const char *name;
    /* Which triggers may use it: a bit per enum pt_rule_trigger. */
    unsigned triggers;
    /* Reads the effect's own fields from obj (the "type" and "on" fields are read already)
     * into e; path is the effect's JSON path. */
    enum pt_rc (*parse)(json_t *obj, const char *path, const struct pt_rule *rule,
                        struct pt_arena *arena, struct pt_rule_effect *e, struct pt_err *err);
    /* Moves money: discounts (the first pass, in rule order). NULL when it does not. */
    enum pt_rc (*discount)(const struct pt_rule_effect *e, const struct pt_selection *sel,
                           struct pt_eval_state *st, struct pt_rule_outcome *o, struct pt_err *err);
    /* Gives points: the second pass, on what is left to pay. NULL when it does not. */
    enum pt_rc (*points)(const struct pt_rule_effect *e, const struct pt_selection *sel,
                         const struct pt_eval_state *st, int64_t *points, struct pt_err *err);
    /* Gives something other than points (stamps, cashback) into the outcome: the second pass,
     * on what is left to pay. NULL when it does not. */
    enum pt_rc (*gives)(const struct pt_rule_effect *e, const struct pt_selection *sel,
                        struct pt_eval_state *st, struct pt_rule_outcome *o, struct pt_err *err);
    /* What is missing for the effect to give more (free_items: units to the next free one);
     * 0 when nothing is near. NULL when it never nudges. */
    int64_t (*missing)(const struct pt_rule_effect *e, const struct pt_selection *sel,
                       const struct pt_eval_state *st);
};

extern const struct pt_effect_kind pt_effect_kinds[PT_EFFECT_TYPES];

/* The discount effects (rules_discounts.c), for the table of effects. */
enum pt_rc pt_effect_discount_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                    struct pt_arena *arena, struct pt_rule_effect *e,
                                    struct pt_err *err);
enum pt_rc pt_effect_discount_apply(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                    struct pt_eval_state *st, struct pt_rule_outcome *o,
                                    struct pt_err *err);
enum pt_rc pt_effect_free_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                struct pt_arena *arena, struct pt_rule_effect *e,
                                struct pt_err *err);
enum pt_rc pt_effect_free_apply(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                struct pt_eval_state *st, struct pt_rule_outcome *o,
                                struct pt_err *err);
int64_t pt_effect_free_missing(const struct pt_rule_effect *e, const struct pt_selection *sel,
                               const struct pt_eval_state *st);
enum pt_rc pt_effect_cheapest_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                    struct pt_arena *arena, struct pt_rule_effect *e,
                                    struct pt_err *err);
enum pt_rc pt_effect_cheapest_apply(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                    struct pt_eval_state *st, struct pt_rule_outcome *o,
                                    struct pt_err *err);
enum pt_rc pt_effect_product_parse(json_t *obj, const char *path, const struct pt_rule *rule,
                                   struct pt_arena *arena, struct pt_rule_effect *e,
                                   struct pt_err *err);
enum pt_rc pt_effect_product_apply(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                   struct pt_eval_state *st, struct pt_rule_outcome *o,
                                   struct pt_err *err);
int64_t pt_effect_product_missing(const struct pt_rule_effect *e, const struct pt_selection *sel,
                                  const struct pt_eval_state *st);

/* Whether r's discounts target some lines (its items, its cheapest units, a product) rather
 * than the whole cart; and marks those lines in st->last_claim with `mark` (sel: its items). */
bool pt_rule_claims_lines(const struct pt_rule *r);
void pt_rule_claim(const struct pt_rule *r, const struct pt_selection *sel,
                   struct pt_eval_state *st, unsigned mark);

/* Splits total over the marked lines by weights (NULL: what is left of each), exactly. */
void pt_rules_split(struct pt_eval_state *st, const bool *lines, const int64_t *weights,
                    int64_t total, int64_t *shares);
/* Takes total (<= what the lines have left) from the marked lines in proportion, exactly. */
void pt_rules_take_proportionally(struct pt_eval_state *st, const bool *lines, int64_t total);
/* The same by the given weights, each at most what is left of its line. */
void pt_rules_take_weighted(struct pt_eval_state *st, const bool *lines, const int64_t *weights,
                            int64_t total);

#define PT_TRIGGER_BIT(t) (1u << (unsigned)(t))
#define PT_TRIGGERS_ALL                                                                            \
    (PT_TRIGGER_BIT(PT_TRIGGER_PURCHASE) | PT_TRIGGER_BIT(PT_TRIGGER_ACTIVITY) |                   \
     PT_TRIGGER_BIT(PT_TRIGGER_ENROLLMENT) | PT_TRIGGER_BIT(PT_TRIGGER_BIRTHDAY))

/* Reads an integer field of obj in [lo, hi] (absent: PT_OK and *out untouched when optional). */
PT_MUSTCHECK enum pt_rc pt_rule_json_int(json_t *obj, const char *key, const char *path, int64_t lo,
                                         int64_t hi, bool required, int64_t *out,
                                         struct pt_err *err);
/* Reads a number that may have up to two decimals into hundredths (1.5 -> 150). */
PT_MUSTCHECK enum pt_rc pt_rule_json_hundredths(json_t *obj, const char *key, const char *path,
                                                int64_t lo, int64_t hi, int64_t *out,
                                                struct pt_err *err);
/* Refuses a field of obj not in keys (NULL-terminated). */
PT_MUSTCHECK enum pt_rc pt_rule_json_only(json_t *obj, const char *const *keys, const char *path,
                                          struct pt_err *err);

/* ---- One evaluation (rules_evaluate.c, rules_conditions.c, rules_nudges.c) ---- */

/* An evaluation: its state shared with the effects, and the facts its conditions test. */
struct pt_eval {
    const struct pt_eval_input *in;
    struct pt_eval_state st;
    const struct pt_cart_item *item; /* The item tested by an items tree. */
    unsigned item_index;             /* Its index. */
    int64_t cart_amount;             /* Before discounts. */
    int64_t cart_units;
    /* Hashes of the text facts, computed once per evaluation (see pt_rule_text_hash). */
    uint32_t *sku_h;
    uint32_t *category_h;
    uint32_t channel_h, location_h, tier_h, city_h, country_h, date_h;
    struct pt_selection sel;
    json_t *attributes; /* Parsed once, when a rule asks; the evaluation releases them. */
    json_t *properties;
    bool attributes_parsed;
    bool properties_parsed;
};

/* The value of the fact that test node n reads (PT_VALUE_NONE when it is absent). */
struct pt_value pt_rules_fact_value(struct pt_eval *ev, const struct pt_rule_node *n);
/* Whether the condition at nodes[node] of r holds. Depth is bounded by PT_RULE_DEPTH_MAX. */
bool pt_rules_holds(struct pt_eval *ev, const struct pt_rule *r, unsigned node);

/*
 * Whether the condition at node fails only by one threshold (gte/gt on an amount or a count)
 * that is nearly met: OUT the fact, what is missing and the threshold.
 */
bool pt_rules_near_miss(struct pt_eval *ev, const struct pt_rule *r, unsigned node,
                        enum pt_fact *fact, int64_t *missing, int64_t *need);
/* Adds a nudge, keeping the PT_RULE_NUDGES_MAX nearest (smallest share missing) in order. */
PT_MUSTCHECK enum pt_rc pt_rules_add_nudge(struct pt_eval *ev, struct pt_eval_result *out,
                                           struct pt_arena *arena, unsigned rule_index,
                                           const struct pt_rule *r, enum pt_fact fact,
                                           int64_t missing, int64_t need, bool free_one,
                                           struct pt_err *err);
/* A nudge to add `missing` units of product e->sku for rule r's get_product effect e. */
PT_MUSTCHECK enum pt_rc pt_rules_add_product_nudge(struct pt_eval *ev, struct pt_eval_result *out,
                                                   struct pt_arena *arena, unsigned rule_index,
                                                   const struct pt_rule *r,
                                                   const struct pt_rule_effect *e, int64_t missing,
                                                   struct pt_err *err);

#endif
