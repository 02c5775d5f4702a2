/* SPDX-License-Identifier: MIT */
/*
 * Which order-wide discounts apply together (docs/rules.md, "Exclusive and best only"): an
 * exclusive rule that fires stops the coupons whose discount is on the whole order unless they
 * combine, and a program with best_discount_only keeps only the order-wide discount that takes
 * the most off. Both are decided by evaluating again without the ones that may not apply, with
 * the same evaluator, so that an evaluation and a purchase still agree.
 */
#include "core/rules.h"

#include "base/assert.h"

#include <string.h>

/* Whether r takes money off the whole order: a `discount` on the cart. */
static bool order_wide(const struct pt_rule *r)
{
    unsigned e;
    for (e = 0; e < r->effect_count; e++) {
        if (r->effects[e].type == PT_EFFECT_DISCOUNT && !r->effects[e].on_items) {
            return true;
        }
    }
    return false;
}

static bool exclusive_fired(const struct pt_rule *const *rules, const struct pt_eval_result *res)
{
    unsigned k;
    for (k = 0; k < res->outcome_count; k++) {
        if (rules[res->outcomes[k].rule]->exclusive) {
            return true;
        }
    }
    return false;
}

/* The rooms with every dropped rule out of uses. NULL when the arena is out. */
static struct pt_rule_room *without(const struct pt_rule_room *room, unsigned count,
                                    const enum pt_rule_drop *dropped, struct pt_arena *arena)
{
    struct pt_rule_room *trial = pt_arena_alloc(arena, (count ? count : 1) * sizeof(*trial));
    unsigned i;
    if (trial == NULL) {
        return NULL;
    }
    memcpy(trial, room, count * sizeof(*trial));
    for (i = 0; i < count; i++) {
        if (dropped[i] != PT_RULE_KEPT) {
            trial[i].uses = 0;
        }
    }
    return trial;
}

/* The coupons an exclusive rule stops: evaluated again without them, unless the exclusive rule
 * does not fire without them (then they all stay). */
static enum pt_rc stop_coupons(const struct pt_rule *const *rules, const struct pt_rule_room *room,
                               unsigned count, const struct pt_eval_input *in,
                               struct pt_arena *arena, struct pt_eval_result *out,
                               enum pt_rule_drop *dropped, unsigned *runs, struct pt_err *err)
{
    struct pt_eval_result again;
    struct pt_rule_room *trial;
    unsigned stopped = 0;
    unsigned k;
    enum pt_rc rc;
    for (k = 0; k < out->outcome_count; k++) {
        const struct pt_rule_outcome *o = &out->outcomes[k];
        const struct pt_rule *r = rules[o->rule];
        if (r->coupon && !r->combines && order_wide(r) && o->discount > 0) {
            dropped[o->rule] = PT_RULE_STOPPED_BY_EXCLUSIVE;
            stopped++;
        }
    }
    if (stopped == 0) {
        return PT_OK;
    }
    trial = without(room, count, dropped, arena);
    if (trial == NULL) {
        return pt_arena_err(arena, err);
    }
    (*runs)++;
    rc = pt_rules_evaluate(rules, trial, count, in, arena, &again, err);
    if (rc == PT_OK && exclusive_fired(rules, &again)) {
        *out = again;
        return PT_OK;
    }
    memset(dropped, 0, count * sizeof(*dropped)); /* Without them it is not exclusive. */
    return rc;
}

/* The order-wide discounts that took something off, at most PT_RULES_BEST_CANDIDATES_MAX of
 * them: those that took the most (ties: the first in the order); the others are dropped. */
static unsigned best_candidates(const struct pt_rule *const *rules,
                                const struct pt_eval_result *out, enum pt_rule_drop *dropped,
                                unsigned *candidates)
{
    int64_t took[PT_RULES_BEST_CANDIDATES_MAX];
    unsigned n = 0;
    unsigned k;
    for (k = 0; k < out->outcome_count; k++) {
        const struct pt_rule_outcome *o = &out->outcomes[k];
        unsigned at;
        if (!order_wide(rules[o->rule]) || o->discount == 0) {
            continue;
        }
        if (n == PT_RULES_BEST_CANDIDATES_MAX) {
            unsigned least = 0;
            for (at = 1; at < n; at++) {
                least = took[at] <= took[least] ? at : least; /* Ties: the later goes. */
            }
            if (o->discount <= took[least]) {
                dropped[o->rule] = PT_RULE_NOT_THE_BEST;
                continue;
            }
            dropped[candidates[least]] = PT_RULE_NOT_THE_BEST;
            for (at = least; at + 1 < n; at++) { /* Kept in the order. */
                candidates[at] = candidates[at + 1];
                took[at] = took[at + 1];
            }
            n--;
        }
        candidates[n] = o->rule;
        took[n++] = o->discount;
    }
    return n;
}

/* Of the candidates, the one that takes the most off alone (ties: the first in the order):
 * each is evaluated with every other order-wide discount left out, so that exactly one
 * applies. The others that took something off are marked dropped. */
static enum pt_rc best_only(const struct pt_rule *const *rules, const struct pt_rule_room *room,
                            unsigned count, const struct pt_eval_input *in, struct pt_arena *arena,
                            struct pt_eval_result *out, enum pt_rule_drop *dropped, unsigned *runs,
                            struct pt_err *err)
{
    unsigned candidates[PT_RULES_BEST_CANDIDATES_MAX];
    struct pt_eval_result best;
    unsigned n;
    unsigned best_at = 0;
    unsigned c;
    unsigned k;
    enum pt_rc rc = PT_OK;
    n = best_candidates(rules, out, dropped, candidates);
    if (n < 2) {
        return PT_OK;
    }
    for (c = 0; rc == PT_OK && c < n; c++) {
        struct pt_eval_result alone;
        struct pt_rule_room *trial = without(room, count, dropped, arena);
        if (trial == NULL) {
            return pt_arena_err(arena, err);
        }
        for (k = 0; k < count; k++) {
            if (k != candidates[c] && order_wide(rules[k])) {
                trial[k].uses = 0;
            }
        }
        (*runs)++;
        rc = pt_rules_evaluate(rules, trial, count, in, arena, &alone, err);
        if (rc == PT_OK && (c == 0 || alone.discount > best.discount)) {
            best = alone;
            best_at = c;
        }
    }
    if (rc != PT_OK) {
        return rc;
    }
    for (k = 0; k < n; k++) {
        if (k != best_at) {
            dropped[candidates[k]] = PT_RULE_NOT_THE_BEST;
        }
    }
    *out = best;
    return PT_OK;
}

enum pt_rc pt_rules_evaluate_offers(const struct pt_rule *const *rules,
                                    const struct pt_rule_room *room, unsigned count,
                                    const struct pt_eval_input *in, bool best_discount_only,
                                    struct pt_arena *arena, struct pt_eval_result *out,
                                    enum pt_rule_drop *dropped, unsigned *runs, struct pt_err *err)
{
    enum pt_rc rc = pt_rules_evaluate(rules, room, count, in, arena, out, err);
    memset(dropped, 0, count * sizeof(*dropped));
    *runs = 1;
    if (rc == PT_OK && exclusive_fired(rules, out)) {
        rc = stop_coupons(rules, room, count, in, arena, out, dropped, runs, err);
    }
    if (rc == PT_OK && best_discount_only) {
        rc = best_only(rules, room, count, in, arena, out, dropped, runs, err);
    }
    pt_assert(*runs <= 2 + PT_RULES_BEST_CANDIDATES_MAX);
    return rc;
}
