/* SPDX-License-Identifier: MIT */
/*
 * What the program's rules give (docs/rules.md): a cart evaluated for POST /v1/carts/evaluate
 * and for every purchase, the same function with the same inputs, so that what a till shows
 * before payment is what the purchase then gives; and the same evaluation for an activity, an
 * enrollment or a birthday. The facts are the member's, the time's (the program's zone) and
 * what each limited rule may still give; a cart's coupons join as rules of their own.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/clock.h"
#include "base/tz.h"

#include <stdio.h>
#include <string.h>

void pt_svc_member_facts(const struct pt_member *member, struct pt_rule_member *facts)
{
    facts->known = true;
    facts->attributes = member->attributes_json;
    facts->birth_month = pt_member_birth_month(member->birth_date);
    facts->city = member->city;
    facts->country = member->country;
}

/* What each rule may still give the member: uses, today's points and the budget. */
static enum pt_rc rooms(struct pt_store_txn *txn, const struct pt_program *program,
                        const struct pt_member *member, const struct pt_rule_set *set,
                        const char *today, int64_t now_ms, struct pt_arena *arena,
                        struct pt_rule_room **out, struct pt_err *err)
{
    struct pt_rule_usage *usage = NULL;
    unsigned used = 0;
    unsigned i;
    unsigned e;
    enum pt_rc rc = PT_OK;
    *out = pt_arena_alloc(arena, (set->count ? set->count : 1) * sizeof(**out));
    if (*out == NULL) {
        return pt_arena_err(arena, err); /* Filled below. */
    }
    /* The member's usage matters only to a rule limited per member. */
    for (i = 0; member != NULL && i < set->count; i++) {
        if (set->rules[i]->max_uses_per_member > 0 ||
            set->rules[i]->max_points_per_member_per_day > 0) {
            rc = pt_store_rule_usage_get(txn, program->id, member->id, arena, &usage, &used, err);
            break;
        }
    }
    for (i = 0; rc == PT_OK && i < set->count; i++) {
        const struct pt_rule *r = set->rules[i];
        struct pt_rule_budget budget;
        unsigned u;
        for (u = 0; u < used && strcmp(usage[u].rule_id, r->id) != 0; u++) {
        }
        if (pt_rule_has_budget(r)) {
            rc = pt_store_rule_budget_get(txn, program->id, r->id, &budget, err);
        }
        pt_rule_room_of(r, pt_rule_has_budget(r) ? &budget : NULL, u < used ? usage[u].uses : 0,
                        u < used && strcmp(usage[u].day, today) == 0 ? usage[u].points_day : 0,
                        &(*out)[i]);
        for (e = 0; rc == PT_OK && e < r->effect_count; e++) {
            if (r->effects[e].type == PT_EFFECT_ISSUE_COUPON) {
                bool givable = false;
                rc = pt_svc_coupon_givable(txn, program, r->effects[e].reward, now_ms, arena,
                                           &givable, err);
                (*out)[i].coupon_out = !givable;
            }
        }
    }
    return rc;
}

struct pt_cart_item *pt_svc_cart_lines(const struct pt_program *program,
                                       const struct pt_purchase_item *items, unsigned n,
                                       int64_t amount, struct pt_arena *arena)
{
    struct pt_cart_item *lines = pt_arena_alloc(arena, (n ? n : 1) * sizeof(*lines));
    unsigned i;
    for (i = 0; lines != NULL && i < n; i++) {
        const struct pt_purchase_item *it = items != NULL ? &items[i] : NULL;
        lines[i].sku = it != NULL ? it->sku : "";
        lines[i].category = it != NULL ? it->category : NULL;
        lines[i].quantity = it != NULL ? it->quantity : 1;
        lines[i].unit_price = it != NULL ? it->unit_price : amount;
        lines[i].eligible = !pt_purchase_category_excluded(program, lines[i].category);
        lines[i].taken = 0;
    }
    return lines;
}

/* The rule by which a usable coupon gives its reward (docs/rewards.md): a discount by amount
 * or percent on the cart, or one unit of the sku free (the dearest line of it). It comes before
 * every rule (an exclusive promotion cannot stop a coupon the member paid for), the coupons in
 * the order the request gave them (position: its place there, never their text), and has no
 * limits. Gifts give nothing on the cart; NULL then. */
static struct pt_rule *coupon_rule(const struct pt_cart_coupon *c, unsigned position,
                                   const struct pt_cart_item *lines, unsigned line_count,
                                   struct pt_arena *arena)
{
    struct pt_rule *r;
    struct pt_rule_effect *e;
    struct pt_err ignored;
    unsigned i;
    if (c->type != PT_REWARD_DISCOUNT_AMOUNT && c->type != PT_REWARD_DISCOUNT_PERCENT &&
        c->type != PT_REWARD_FREE_PRODUCT) {
        return NULL;
    }
    r = pt_arena_alloc(arena, sizeof(*r));
    if (r == NULL) {
        return NULL;
    }
    memset(r, 0, sizeof(*r));
    (void)snprintf(r->id, sizeof(r->id), "%s", c->code);
    r->name = c->reward_name != NULL ? c->reward_name : c->code;
    r->trigger = PT_TRIGGER_PURCHASE;
    r->root = -1;
    r->items_root = -1;
    r->priority = INT64_MAX - position; /* Above any rule's (at most 10^6). */
    r->coupon = true;
    r->combines = c->combines;
    r->valid_from_ms = INT64_MIN;
    r->valid_to_ms = INT64_MAX;
    r->status = PT_RULE_ACTIVE;
    r->effect_count = 1;
    e = &r->effects[0];
    e->type = PT_EFFECT_DISCOUNT;
    if (c->type == PT_REWARD_DISCOUNT_PERCENT) {
        e->percent_bp = c->value;
    } else if (c->type == PT_REWARD_DISCOUNT_AMOUNT) {
        e->amount = c->value;
    } else {
        /* The sku's lines, and the price of one unit of the dearest. */
        struct pt_rule_node *n = &r->nodes[0];
        n->kind = PT_NODE_TEST;
        n->op = PT_OP_EQ;
        n->fact = PT_FACT_ITEM_SKU;
        n->a.kind = PT_VALUE_TEXT;
        n->a.s = c->sku;
        n->a.h = pt_rule_text_hash(c->sku);
        r->node_count = 1;
        r->items_root = 0;
        e->on_items = true;
        for (i = 0; i < line_count; i++) {
            if (strcmp(lines[i].sku, c->sku) == 0 && lines[i].unit_price > e->amount) {
                e->amount = lines[i].unit_price;
            }
        }
    }
    /* Its reward's minimum and products (core/coupon.c); a full arena is latched. */
    return pt_cart_coupon_conditions(c, r, arena, &ignored) == PT_OK ? r : NULL;
}

/* The rules with one more for each coupon of the cart that gives a discount; *extra of them,
 * after set's rules, with no limits. */
static enum pt_rc with_coupon_rules(const struct pt_rule_set *set, struct pt_cart_answer *out,
                                    const struct pt_cart_item *lines, unsigned line_count,
                                    struct pt_arena *arena, const struct pt_rule ***rules,
                                    struct pt_rule_room **room, unsigned *extra, struct pt_err *err)
{
    unsigned n = set->count + out->coupon_count;
    const struct pt_rule **all = pt_arena_alloc(arena, (n ? n : 1) * sizeof(*all));
    struct pt_rule_room *rooms_all = pt_arena_alloc(arena, (n ? n : 1) * sizeof(*rooms_all));
    unsigned i;
    *extra = 0;
    if (all == NULL || rooms_all == NULL) {
        return pt_arena_err(arena, err); /* Filled below. */
    }
    memcpy(all, set->rules, set->count * sizeof(*all));
    memcpy(rooms_all, *room, set->count * sizeof(*rooms_all));
    for (i = 0; i < out->coupon_count; i++) {
        const struct pt_cart_coupon *c = &out->coupons[i];
        struct pt_rule *r;
        if (!c->applied) {
            continue;
        }
        r = coupon_rule(c, i, lines, line_count, arena);
        if (r == NULL) {
            continue; /* A gift: nothing off the cart. */
        }
        all[set->count + *extra] = r;
        pt_rule_room_unlimited(&rooms_all[set->count + *extra]);
        (*extra)++;
    }
    *rules = all;
    *room = rooms_all;
    return PT_OK;
}

int64_t pt_svc_eval_cost_run(const struct pt_rule *const *rules, unsigned count,
                             enum pt_rule_trigger trigger, unsigned lines)
{
    int64_t cost;
    /* The rules of a set and a cart's coupons, and a cart's lines, are bounded where they are
     * made (rule saves, the request's decoder, stored purchases): a release build charges 0. */
    if (PT_NEVER(count > PT_RULES_EVALUATED_MAX || lines > PT_CART_ITEMS_MAX)) {
        return 0;
    }
    cost = pt_rules_eval_cost(rules, count, trigger, lines);
    return cost <= PT_RULES_EVAL_COST_MAX ? cost : 0;
}

void pt_svc_eval_input(const struct pt_program *program, enum pt_rule_trigger trigger,
                       const struct pt_cart *cart, const struct pt_rule_member *facts,
                       const struct pt_rule_time *time, struct pt_eval_input *in)
{
    memset(in, 0, sizeof(*in));
    in->trigger = trigger;
    in->cart = cart;
    in->member = facts;
    in->time = time;
    in->earn_rate.points = program->earn_points;
    in->earn_rate.per_amount_minor = program->earn_per_amount;
    in->currency = program->currency;
    in->currency_exponent = 2;
}

enum pt_rc pt_svc_stamps_answer(const struct pt_rule_set *set, const struct pt_eval_input *in,
                                const struct pt_eval_result *res, struct pt_arena *arena,
                                struct pt_cart_answer *out, struct pt_err *err)
{
    struct pt_rule_room *room;
    struct pt_eval_result cards;
    int64_t *stamps;
    unsigned i;
    unsigned k;
    enum pt_rc rc;
    if (set->stamp_count == 0) {
        return PT_OK;
    }
    room = pt_arena_alloc(arena, set->stamp_count * sizeof(*room));
    stamps = pt_arena_alloc(arena, set->stamp_count * sizeof(*stamps));
    out->stamps = pt_arena_alloc(arena, set->stamp_count * sizeof(*out->stamps));
    if (room == NULL || stamps == NULL || out->stamps == NULL) {
        return pt_arena_err(arena, err); /* Filled below. */
    }
    for (i = 0; i < set->stamp_count; i++) {
        pt_rule_room_unlimited(&room[i]);
        stamps[i] = 0;
    }
    out->eval_cost +=
        pt_svc_eval_cost_run(set->stamp_rules, set->stamp_count, in->trigger, in->cart->item_count);
    rc = pt_rules_evaluate(set->stamp_rules, room, set->stamp_count, in, arena, &cards, err);
    for (i = 0; rc == PT_OK && i < cards.outcome_count; i++) {
        /* An outcome names one of the rules evaluated (core/rules_evaluate.c). */
        if (PT_ALWAYS(cards.outcomes[i].rule < set->stamp_count)) {
            stamps[cards.outcomes[i].rule] += cards.outcomes[i].stamps;
        }
    }
    for (i = 0; rc == PT_OK && i < res->outcome_count; i++) {
        const char *card = res->outcomes[i].stamp_card;
        for (k = 0; card != NULL && k < set->stamp_count; k++) {
            if (strcmp(set->stamp_cards[k].id, card) == 0) {
                stamps[k] += res->outcomes[i].stamps; /* Bounded: units × 1000 per rule. */
            }
        }
    }
    for (k = 0; rc == PT_OK && k < set->stamp_count; k++) {
        if (stamps[k] > 0) {
            struct pt_stamp_gain *g = &out->stamps[out->stamp_count++];
            memset(g, 0, sizeof(*g));
            memcpy(g->card_id, set->stamp_cards[k].id, sizeof(g->card_id));
            g->name =
                pt_arena_strndup(arena, set->stamp_cards[k].name, strlen(set->stamp_cards[k].name));
            g->stamps = stamps[k]; /* A NULL name: the request's one check sees the latch. */
        }
    }
    return rc;
}

/* The engine's cart of req (NULL: none, for an activity): its lines, channel, location, codes
 * and till discount. */
static enum pt_rc cart_of(const struct pt_program *program, const struct pt_cart_request *req,
                          struct pt_arena *arena, struct pt_cart *cart, struct pt_err *err)
{
    unsigned n = req == NULL ? 0 : req->items != NULL ? req->item_count : 1;
    struct pt_cart_item *items = pt_svc_cart_lines(program, req != NULL ? req->items : NULL, n,
                                                   req != NULL ? req->amount : 0, arena);
    if (items == NULL) {
        return pt_arena_err(arena, err); /* The evaluation reads the lines. */
    }
    memset(cart, 0, sizeof(*cart));
    cart->items = items;
    cart->item_count = n;
    if (req != NULL) {
        cart->channel = req->channel;
        cart->location = req->location;
        cart->coupons = req->coupons;
        cart->coupon_count = req->coupon_count;
        cart->discount = req->discount;
    }
    if (req != NULL && req->payment_count > 0) {
        struct pt_tender *t = pt_arena_alloc(arena, sizeof(*t));
        if (t == NULL) {
            return pt_arena_err(arena, err); /* The evaluation reads it. */
        }
        pt_payments_tender(program, req->payments, req->payment_count, t);
        cart->tender = t;
    }
    return PT_OK;
}

/* The facts of member (NULL: a guest, no facts) at now_ms: those of pt_svc_member_facts, the
 * days since enrollment, its tier (*tier, NULL without tiers) and, when a rule of set tests
 * it, its purchase count. */
static enum pt_rc member_facts_now(struct pt_store_txn *txn, const struct pt_program *program,
                                   const struct pt_member *member, const struct pt_rule_set *set,
                                   int64_t now_ms, struct pt_rule_member *facts,
                                   const struct pt_tier **tier, struct pt_err *err)
{
    enum pt_rc rc = PT_OK;
    memset(facts, 0, sizeof(*facts));
    *tier = NULL;
    if (member == NULL) {
        return PT_OK;
    }
    pt_svc_member_facts(member, facts);
    facts->days_since_enrollment = (now_ms - member->enrolled_at_ms) / PT_DAY_MS;
    if (program->tiers.metric != PT_TIER_METRIC_NONE) {
        struct pt_tier_state st;
        rc = pt_svc_tier_state(txn, program, member, &st, err);
        if (rc == PT_OK) {
            *tier = &program->tiers.tiers[st.position];
            facts->tier = (*tier)->name;
        }
    }
    if (rc == PT_OK && set->needs_purchase_count) {
        rc = pt_store_member_purchase_count(txn, program->id, member->id, INT64_MAX,
                                            &facts->purchase_count, err);
    }
    return rc;
}

/* The answer's totals from res; out->rules made room for. */
static enum pt_rc answer_totals(const struct pt_eval_result *res, const struct pt_cart_request *req,
                                unsigned lines, const struct pt_tier *tier, struct pt_arena *arena,
                                struct pt_cart_answer *out, struct pt_err *err)
{
    out->amount = res->amount;
    out->discount = res->discount;
    out->line_discount = req != NULL && req->items != NULL ? res->line_discount : NULL;
    out->line_coupon = req != NULL && req->items != NULL ? res->line_coupon : NULL;
    out->line_count = req != NULL && req->items != NULL ? lines : 0;
    out->base_points = res->base_points;
    out->tier_points = res->tier_points;
    out->tier = tier != NULL ? tier->name : NULL;
    out->points = res->points;
    out->free_shipping = res->free_shipping;
    out->messages = res->messages;
    out->message_count = res->message_count;
    out->rules =
        pt_arena_alloc(arena, (res->outcome_count ? res->outcome_count : 1) * sizeof(*out->rules));
    return out->rules != NULL ? PT_OK : pt_arena_err(arena, err); /* answer_rules fills it. */
}

/* The coupons whose rules the offers left out (an exclusive rule, a better discount): not
 * applied, with the reason. */
static void coupons_dropped(const struct pt_rule *const *rules, unsigned first, unsigned count,
                            const enum pt_rule_drop *dropped, struct pt_cart_answer *out)
{
    unsigned i;
    unsigned k;
    for (i = first; i < first + count; i++) {
        if (dropped[i] == PT_RULE_KEPT) {
            continue;
        }
        for (k = 0; k < out->coupon_count; k++) {
            struct pt_cart_coupon *c = &out->coupons[k];
            if (c->applied && strcmp(c->code, rules[i]->id) == 0) {
                c->applied = false;
                c->reason = dropped[i] == PT_RULE_STOPPED_BY_EXCLUSIVE ? "not_combinable"
                                                                       : "better_discount_applied";
            }
        }
    }
}

/* With best_discount_only, an order-wide coupon that took nothing beside a discount that was
 * taken was left out by the larger one, not for want of something to discount. */
static void coupons_not_the_best(const struct pt_program *program, struct pt_cart_answer *out)
{
    unsigned k;
    if (!program->best_discount_only || out->discount == 0) {
        return;
    }
    for (k = 0; k < out->coupon_count; k++) {
        struct pt_cart_coupon *c = &out->coupons[k];
        if (c->reason != NULL && strcmp(c->reason, "nothing_to_discount") == 0 &&
            c->type != PT_REWARD_FREE_PRODUCT) {
            c->reason = "better_discount_applied";
        }
    }
}

/* What each rule of res gave, into out->rules; a coupon's rule (past set's rules) gives its
 * discount to its coupon instead. */
static void answer_rules(const struct pt_rule_set *set, const struct pt_rule *const *rules,
                         const struct pt_eval_result *res, struct pt_arena *arena,
                         struct pt_cart_answer *out)
{
    unsigned i;
    unsigned k;
    for (i = 0; i < res->outcome_count; i++) {
        const struct pt_rule_outcome *o = &res->outcomes[i];
        const struct pt_rule *r = rules[o->rule];
        struct pt_rule_applied *a;
        if (o->rule >= set->count) {
            /* A coupon's: what it took off, on the coupon, not among the rules. */
            for (k = 0; k < out->coupon_count; k++) {
                if (strcmp(out->coupons[k].code, r->id) == 0 && out->coupons[k].applied) {
                    out->coupons[k].discount = o->discount;
                }
            }
            continue;
        }
        a = &out->rules[out->rule_count++];
        memset(a, 0, sizeof(*a));
        memcpy(a->rule_id, r->id, sizeof(a->rule_id));
        a->version = r->version;
        a->name = pt_arena_strndup(arena, r->name, strlen(r->name));
        a->points = o->points;
        a->discount = o->discount;
        a->free_units = o->free_units;
        a->free_shipping = o->free_shipping;
        a->capped = o->capped;
        a->stamps = o->stamps;
        a->cashback = o->cashback;
        if (o->stamp_card != NULL) {
            (void)snprintf(a->stamp_card, sizeof(a->stamp_card), "%s", o->stamp_card);
        }
        pt_cart_coupon_reward_of(o, a->coupon_reward); /* issue_coupon's reward, or "" */
    }
}

/* The nudges of res ("spend 5 more for ..."), into out. */
static void answer_nudges(const struct pt_rule *const *rules, const struct pt_eval_result *res,
                          struct pt_cart_answer *out)
{
    unsigned i;
    for (i = 0; i < res->nudge_count; i++) {
        memcpy(out->nudges[i].rule_id, rules[res->nudges[i].rule]->id, PT_ID_BUF_BYTES);
        out->nudges[i].text = res->nudges[i].text;
        out->nudges[i].missing = res->nudges[i].missing;
        out->nudges[i].sku = res->nudges[i].sku;
        out->nudge_count++;
    }
}

enum pt_rc pt_svc_rules_answer(struct pt_service *svc, struct pt_store_txn *txn,
                               const struct pt_program *program, const struct pt_member *member,
                               enum pt_rule_trigger trigger, const struct pt_activity *activity,
                               const struct pt_cart_request *req, int64_t now_ms,
                               struct pt_arena *arena, struct pt_cart_answer *out,
                               struct pt_err *err)
{
    struct pt_rule_set *set = NULL;
    struct pt_rule_room *room = NULL;
    struct pt_rule_member facts;
    struct pt_rule_time time;
    struct pt_cart cart;
    const struct pt_tier *tier = NULL;
    struct pt_eval_input in;
    struct pt_eval_result res;
    const struct pt_rule **rules;
    unsigned coupon_rules = 0;
    enum pt_rule_drop *dropped = NULL;
    unsigned runs = 1;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    rc = cart_of(program, req, arena, &cart, err);
    if (rc == PT_OK) {
        rc = pt_svc_rule_set_get(svc, txn, program, &set, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_time_facts(set->tz, now_ms, &time);
    memcpy(out->local_date, time.date, sizeof(out->local_date));
    rc = member_facts_now(txn, program, member, set, now_ms, &facts, &tier, err);
    if (rc == PT_OK) {
        /* A coupon's reward is judged at the time of asking, as coupons are. */
        rc = rooms(txn, program, member, set, time.date, pt_svc_now_ms(svc, program->id), arena,
                   &room, err);
    }
    rules = set->rules;
    if (rc == PT_OK && trigger == PT_TRIGGER_PURCHASE && req != NULL && req->coupon_count > 0) {
        /* Coupons are judged at the time of asking, whatever time the purchase gives. */
        out->coupon_count = req->coupon_count;
        rc = pt_svc_cart_coupons(txn, program, member, req, cart.items, cart.item_count,
                                 pt_svc_now_ms(svc, program->id), arena, &out->coupons, err);
        if (rc == PT_OK) {
            rc = with_coupon_rules(set, out, cart.items, cart.item_count, arena, &rules, &room,
                                   &coupon_rules, err);
        }
    }
    if (rc == PT_OK) {
        out->facts = facts;
        pt_svc_eval_input(program, trigger, &cart, &facts, &time, &in);
        in.activity = activity;
        in.activity_type = activity != NULL ? activity->type : NULL;
        in.tier = tier;
        in.active_cards = set->stamp_card_ids;
        in.active_card_count = set->stamp_count;
        dropped = pt_arena_alloc(arena, (set->count + coupon_rules + 1) * sizeof(*dropped));
        rc = dropped != NULL ? PT_OK : pt_arena_err(arena, err);
    }
    if (rc == PT_OK) {
        rc = pt_rules_evaluate_offers(rules, room, set->count + coupon_rules, &in,
                                      trigger == PT_TRIGGER_PURCHASE && program->best_discount_only,
                                      arena, &res, dropped, &runs, err);
        /* Each evaluation of the offers is charged (core/rules_offers.c). */
        out->eval_cost =
            runs * pt_svc_eval_cost_run(rules, set->count + coupon_rules, trigger, cart.item_count);
        out->rules_evaluated = set->count + coupon_rules + set->stamp_count;
        coupons_dropped(rules, set->count, coupon_rules, dropped, out);
    }
    if (rc == PT_OK) {
        rc = answer_totals(&res, req, cart.item_count, tier, arena, out, err);
    }
    if (rc == PT_OK) {
        answer_rules(set, rules, &res, arena, out);
        pt_cart_coupons_unused(out->coupons, out->coupon_count, out->amount - cart.discount);
        coupons_not_the_best(program, out);
    }
    if (rc == PT_OK && trigger == PT_TRIGGER_PURCHASE) {
        out->cashback = res.cashback;
        rc = pt_svc_stamps_answer(set, &in, &res, arena, out, err);
    }
    if (rc == PT_OK) {
        answer_nudges(rules, &res, out);
    }
    pt_svc_rule_set_release(svc, set);
    return rc;
}

/* How the cart of out is paid: the payments given against what is left to pay, and with a
 * member of a program that takes points, what points can pay of it now. */
static enum pt_rc cart_payments(struct pt_store_txn *txn, const struct pt_program *program,
                                const struct pt_member *member, const struct pt_cart_request *req,
                                int64_t now_ms, struct pt_arena *arena, struct pt_cart_answer *out,
                                struct pt_err *err)
{
    int64_t spendable = 0;
    enum pt_rc rc = PT_OK;
    unsigned i;
    out->to_pay = out->amount - out->discount;
    out->payments = req->payments;
    out->payment_count = req->payment_count;
    out->balance_due = out->to_pay - pt_payments_total(req->payments, req->payment_count);
    for (i = 0; member != NULL && i < req->payment_count; i++) {
        if (req->payments[i].method == PT_PAY_WALLET) {
            /* As the purchase will judge it. */
            rc = pt_svc_wallet_spendable_check(txn, program, member->id, req->payments[i].amount,
                                               now_ms, arena, err);
            if (rc != PT_OK) {
                (void)snprintf(err->field, sizeof(err->field), "payments.%u.amount", i);
                return rc;
            }
        }
    }
    if (member == NULL || !program->points_payment.enabled) {
        return pt_payments_settle(program, req->payments, req->payment_count, out->to_pay, false,
                                  err);
    }
    rc = pt_svc_spendable(txn, program, member->id, now_ms, arena, &spendable, err);
    if (rc != PT_OK) {
        return rc;
    }
    out->points_payable = true;
    pt_points_payment_max(program, out->to_pay, spendable, &out->points_payable_amount,
                          &out->points_payable_max);
    for (i = 0; i < req->payment_count; i++) {
        if (req->payments[i].method == PT_PAY_POINTS && req->payments[i].points > spendable) {
            char field[48];
            (void)snprintf(field, sizeof(field), "payments.%u.points", i);
            (void)pt_err_set(err, PT_EINSUFFICIENT, field,
                             "not enough available points: %lld available, %lld asked",
                             (long long)spendable, (long long)req->payments[i].points);
            return pt_err_code(err, "insufficient_points");
        }
    }
    return pt_payments_settle(program, req->payments, req->payment_count, out->to_pay, false, err);
}

enum pt_rc pt_svc_cart_answer(struct pt_service *svc, struct pt_store_txn *txn,
                              const struct pt_program *program, const struct pt_member *member,
                              const struct pt_cart_request *req, int64_t now_ms,
                              struct pt_arena *arena, struct pt_cart_answer *out,
                              struct pt_err *err)
{
    enum pt_rc rc =
        pt_payments_prepare(program, member != NULL, req->payments, req->payment_count, err);
    if (rc == PT_OK) {
        rc = pt_svc_rules_answer(svc, txn, program, member, PT_TRIGGER_PURCHASE, NULL, req, now_ms,
                                 arena, out, err);
    }
    if (rc == PT_OK) {
        /* What the member may spend is read at the time of asking, as for coupons. */
        rc = cart_payments(txn, program, member, req, pt_svc_now_ms(svc, program->id), arena, out,
                           err);
    }
    return rc;
}

enum pt_rc pt_service_cart_evaluate(struct pt_service *svc, const struct pt_principal *who,
                                    const struct pt_cart_request *cart, const char *currency,
                                    struct pt_arena *arena, struct pt_cart_answer *out,
                                    struct pt_err *err)
{
    struct pt_store_txn *txn = NULL;
    struct pt_program program;
    struct pt_member member;
    int64_t now_ms = pt_svc_now_ms(svc, who->program_id);
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc != PT_OK) {
        return rc;
    }
    rc = pt_store_program_get(txn, who->program_id, arena, &program, err);
    if (rc == PT_OK && currency != NULL && strcmp(currency, program.currency) != 0) {
        rc = pt_err_set(err, PT_EINVAL, "currency", "currency must be the program's (%s)",
                        program.currency);
    }
    if (rc == PT_OK && cart->member_id != NULL) {
        rc = pt_store_member_get(txn, who->program_id, cart->member_id, arena, &member, err);
    }
    if (rc == PT_OK) {
        rc = pt_svc_cart_answer(svc, txn, &program, cart->member_id != NULL ? &member : NULL, cart,
                                now_ms, arena, out, err);
    }
    return pt_svc_read_end(txn, arena, rc, err);
}
