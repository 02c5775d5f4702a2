/* SPDX-License-Identifier: MIT */
/*
 * The cart a return keeps (docs/ledger.md, "Returns"): the rule versions that fired on a
 * purchase, evaluated again through the same evaluator on what the customer keeps, with the
 * member's facts as the purchase saw them, each kept line's share of what the coupons took off
 * it, and what it keeps of the payments. carts.c evaluates live carts.
 */
#include "service/service_int.h"

#include "base/assert.h"

#include <stdio.h>
#include <string.h>

/* The rule versions that fired on p, compiled, each with no limits (what it gave was within
 * them). A version that no longer compiles is left out: it keeps nothing. OUT: *rules, *room,
 * *given (what each gave), *count. */
static enum pt_rc fired_rules(struct pt_store_txn *txn, const struct pt_program *program,
                              const struct pt_purchase *p, struct pt_arena *arena,
                              const struct pt_rule ***rules, struct pt_rule_room **room,
                              int64_t **given, unsigned *count, struct pt_err *err)
{
    struct pt_purchase_rule *rows = NULL;
    unsigned n = 0;
    unsigned i;
    enum pt_rc rc =
        pt_store_purchase_rules_get(txn, program->id, p->member_id, p->id, arena, &rows, &n, err);
    *count = 0;
    *rules = pt_arena_alloc(arena, (n ? n : 1) * sizeof(**rules));
    *room = pt_arena_alloc(arena, (n ? n : 1) * sizeof(**room));
    *given = pt_arena_alloc(arena, (n ? n : 1) * sizeof(**given));
    if (rc == PT_OK && (*rules == NULL || *room == NULL || *given == NULL)) {
        rc = pt_arena_err(arena, err); /* Filled below. */
    }
    for (i = 0; rc == PT_OK && i < n; i++) {
        struct pt_rule *r = pt_arena_alloc(arena, sizeof(*r));
        struct pt_err cerr;
        if (r == NULL ||
            pt_rule_compile(rows[i].document, strlen(rows[i].document), arena, r, &cerr) != PT_OK) {
            continue;
        }
        memcpy(r->id, rows[i].rule_id, sizeof(r->id));
        r->version = rows[i].version;
        r->status = PT_RULE_ACTIVE;
        pt_rule_room_unlimited(&(*room)[*count]);
        (*given)[*count] = rows[i].points;
        (*rules)[(*count)++] = r;
    }
    return rc;
}

struct pt_tender *pt_svc_purchase_tender(const struct pt_program *program,
                                         const struct pt_purchase *p, struct pt_arena *arena)
{
    struct pt_tender *t;
    unsigned i;
    if (p->payment_count == 0) {
        return NULL;
    }
    t = pt_arena_alloc(arena, sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    pt_payments_tender(program, p->payments, p->payment_count, t);
    for (i = 0; i < p->payment_count; i++) {
        /* Earning as the program said at the time of the purchase. */
        if (p->payments[i].method == PT_PAY_POINTS) {
            t->points_earn = p->payments[i].earns;
        } else if (p->payments[i].method == PT_PAY_WALLET) {
            t->wallet_cashback = p->payments[i].earns;
        }
    }
    return t;
}

/* What the coupons of p took off each kept line, taken off it first (coupons are not judged
 * again): of a line, in proportion to its units kept; without items, of the one line kept, in
 * proportion to the amount kept. kept[0..n) are p's lines with units kept, in order. */
static enum pt_rc kept_coupon_lines(const struct pt_purchase *p,
                                    const struct pt_purchase_item *kept, unsigned n,
                                    int64_t kept_amount, struct pt_cart_item *lines,
                                    struct pt_err *err)
{
    enum pt_rc rc = PT_OK;
    unsigned i;
    if (p->facts.coupon_discount == 0 || p->amount == 0) {
        return PT_OK;
    }
    if (kept == NULL) {
        return pt_mul_div_floor(p->facts.coupon_discount, kept_amount, p->amount, &lines[0].taken,
                                err);
    }
    for (i = 0; rc == PT_OK && i < n; i++) {
        /* kept[i] is the purchase's line with its units kept; returned_quantity the others. */
        rc = pt_mul_div_floor(kept[i].coupon_discount, kept[i].quantity,
                              kept[i].quantity + kept[i].returned_quantity, &lines[i].taken, err);
    }
    return rc;
}

/* The cart the customer keeps of p: each line less what was returned (the lines all returned
 * left out), or without items one line of kept_amount; the till's discount in proportion, and
 * each line's share of what the coupons took off it. */
static enum pt_rc kept_cart(const struct pt_program *program, const struct pt_purchase *p,
                            int64_t kept_amount, struct pt_arena *arena, struct pt_cart *cart,
                            struct pt_err *err)
{
    struct pt_purchase_item *items = NULL;
    struct pt_cart_item *lines;
    unsigned n = 0;
    unsigned i;
    enum pt_rc rc;
    if (p->item_count > 0) {
        items = pt_arena_alloc(arena, p->item_count * sizeof(*items));
        for (i = 0; items != NULL && i < p->item_count; i++) {
            if (p->items[i].quantity > p->items[i].returned_quantity) {
                items[n] = p->items[i];
                items[n++].quantity -= p->items[i].returned_quantity;
            }
        }
    }
    memset(cart, 0, sizeof(*cart));
    lines = pt_svc_cart_lines(program, items, items != NULL ? n : 1, kept_amount, arena);
    cart->items = lines;
    cart->item_count = items != NULL ? n : 1;
    rc = lines != NULL ? kept_coupon_lines(p, items, n, kept_amount, lines, err) : PT_OK;
    cart->channel = p->channel;
    cart->location = p->location;
    cart->coupons = p->coupons;
    cart->coupon_count = p->coupon_count;
    if (rc == PT_OK) {
        rc = pt_mul_div_floor(p->till_discount, kept_amount, p->amount, &cart->discount, err);
    }
    if (rc == PT_OK && cart->items != NULL && p->payment_count > 0) {
        /* The purchase's payments: the evaluation keeps of each what the returns do not give
         * back of it, this one included (returns.c). */
        struct pt_tender *t = pt_svc_purchase_tender(program, p, arena);
        if (t == NULL) {
            return pt_arena_err(arena, err);
        }
        t->paid_of = p->amount - p->discount;
        cart->tender = t;
    }
    return cart->items != NULL ? rc : pt_arena_err(arena, err);
}

/* p's facts as its evaluation saw them (facts, *tier: the tier of that name, if any still). */
static void kept_facts(const struct pt_program *program, const struct pt_purchase *p,
                       struct pt_rule_member *facts, const struct pt_tier **tier)
{
    unsigned i;
    memset(facts, 0, sizeof(*facts));
    facts->known = true;
    facts->tier = p->facts.tier;
    facts->attributes = p->facts.attributes;
    facts->birth_month = p->facts.birth_month;
    facts->days_since_enrollment = p->facts.days_since_enrollment;
    facts->purchase_count = p->facts.purchase_count;
    facts->city = p->facts.city;
    facts->country = p->facts.country;
    *tier = NULL;
    for (i = 0; p->facts.tier != NULL && i < program->tiers.count; i++) {
        if (strcmp(program->tiers.tiers[i].name, p->facts.tier) == 0) {
            *tier = &program->tiers.tiers[i];
        }
    }
}

enum pt_rc pt_svc_cart_kept(struct pt_service *svc, struct pt_store_txn *txn,
                            const struct pt_program *program, const struct pt_purchase *p,
                            int64_t kept_amount, struct pt_arena *arena, struct pt_cart_answer *out,
                            int64_t *points_kept, struct pt_err *err)
{
    struct pt_rule_set *set = NULL;
    const struct pt_rule **rules = NULL;
    struct pt_rule_room *room = NULL;
    int64_t *given = NULL;
    int64_t *kept = NULL;
    unsigned count = 0;
    unsigned i;
    struct pt_rule_member facts;
    const struct pt_tier *tier = NULL;
    struct pt_rule_time time;
    struct pt_cart cart;
    struct pt_eval_input in;
    struct pt_eval_result res;
    enum pt_rc rc = fired_rules(txn, program, p, arena, &rules, &room, &given, &count, err);
    memset(out, 0, sizeof(*out));
    if (rc == PT_OK) {
        rc = kept_cart(program, p, kept_amount, arena, &cart, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_rule_set_get(svc, txn, program, &set, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    kept_facts(program, p, &facts, &tier);
    pt_svc_time_facts(set->tz, p->occurred_at_ms, &time);
    pt_svc_eval_input(program, PT_TRIGGER_PURCHASE, &cart, &facts, &time, &in);
    in.tier = tier;
    in.active_cards = set->stamp_card_ids;
    in.active_card_count = set->stamp_count;
    /* The same evaluation as the purchase's (no second evaluator), of its own rules only. */
    rc = pt_rules_evaluate(rules, room, count, &in, arena, &res, err);
    kept = pt_arena_alloc(arena, (count ? count : 1) * sizeof(*kept));
    if (rc == PT_OK && kept == NULL) {
        rc = pt_arena_err(arena, err); /* Filled below. */
    }
    for (i = 0; rc == PT_OK && i < count; i++) {
        kept[i] = 0;
    }
    for (i = 0; rc == PT_OK && i < res.outcome_count; i++) {
        kept[res.outcomes[i].rule] += res.outcomes[i].points;
    }
    if (rc == PT_OK) {
        *points_kept = pt_return_points_kept(res.base_points + res.tier_points, kept, given, count);
        out->to_pay = res.amount - res.discount;
        out->cashback = res.cashback;
        rc = pt_svc_stamps_answer(set, &in, &res, arena, out, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_coupons_kept(rules, &res, arena, out, err); /* coupons_given.c */
    }
    pt_svc_rule_set_release(svc, set);
    return rc;
}
