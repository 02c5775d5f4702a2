/* SPDX-License-Identifier: MIT */
/*
 * Evaluating carts against the program's rules, for POST /v1/carts/evaluate and for every
 * purchase: the same function with the same inputs, so that what a till shows before payment
 * is what the purchase then gives.
 *
 * The compiled rules of a program are cached (a few programs, each a reference-counted set);
 * a set is stale as soon as the program's rules_version moves, which every rule change does in
 * the same transaction, so no process ever evaluates an old rule after reading the new version.
 */
#include "service/service_int.h"

#include "base/alloc.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

/* 128-bit products keep the cost exact (points × value can pass 64 bits). */
__extension__ typedef __int128 wide;

struct pt_rule_set {
    char program_id[PT_ID_BUF_BYTES];
    int64_t rules_version;
    unsigned refs;  /* rules_mu */
    bool installed; /* In the cache; rules_mu */
    struct pt_arena arena;
    const struct pt_rule **rules; /* Active rules in evaluation order. */
    unsigned count;
    bool needs_purchase_count; /* A rule tests member.purchase_count. */
    /* The active stamp cards, each a rule with one add_stamps effect (docs/stamp-cards.md),
     * evaluated apart from the rules: an exclusive promotion does not stop a card. */
    const struct pt_rule **stamp_rules;
    const struct pt_stamp_card *stamp_cards;
    const char **stamp_card_ids; /* Their ids, for the engine's add_stamps. */
    unsigned stamp_count;
    struct pt_tz *tz;                    /* The program's time zone when the set was made; arena. */
    char zone[PT_TZ_NAME_BYTES_MAX + 1]; /* The zone asked for (tz may have fallen back to UTC). */
};

static void set_release(struct pt_service *svc, struct pt_rule_set *set)
{
    bool free_it;
    if (set == NULL) {
        return;
    }
    pthread_mutex_lock(&svc->rules_mu);
    pt_assert(set->refs > 0);
    set->refs--;
    free_it = set->refs == 0 && !set->installed;
    pthread_mutex_unlock(&svc->rules_mu);
    if (free_it) {
        pt_arena_fini(&set->arena);
        pt_free(set);
    }
}

void pt_svc_rules_cache_fini(struct pt_service *svc)
{
    unsigned i;
    for (i = 0; i < PT_RULE_CACHE_SLOTS; i++) {
        struct pt_rule_set *set = svc->rule_sets[i];
        if (set != NULL) {
            pt_assert(set->refs == 0);
            pt_arena_fini(&set->arena);
            pt_free(set);
            svc->rule_sets[i] = NULL;
        }
    }
}

static int by_order(const void *a, const void *b)
{
    return pt_rules_compare(*(const struct pt_rule *const *)a, *(const struct pt_rule *const *)b);
}

static bool tests_fact(const struct pt_rule *r, enum pt_fact fact)
{
    unsigned i;
    for (i = 0; i < r->node_count; i++) {
        if (r->nodes[i].kind == PT_NODE_TEST && r->nodes[i].fact == fact) {
            return true;
        }
    }
    return false;
}

/* Reads and compiles the program's active rules into a new set (refs 1). */
/* The program's active stamp cards, compiled: each card's document is a purchase rule whose
 * one effect adds stamps to the card itself. */
static enum pt_rc stamp_rules_load(struct pt_store_txn *txn, const struct pt_program *program,
                                   struct pt_rule_set *set, struct pt_err *err)
{
    struct pt_stamp_card *cards = NULL;
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc = pt_store_stamp_card_list(
        txn, program->id, true, NULL, PT_STAMP_CARDS_ACTIVE_MAX, &set->arena, &cards, &count, err);
    set->stamp_rules = pt_arena_alloc(&set->arena, (count ? count : 1) * sizeof(*set->stamp_rules));
    if (rc == PT_OK && set->stamp_rules == NULL) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    set->stamp_card_ids =
        pt_arena_alloc(&set->arena, (count ? count : 1) * sizeof(*set->stamp_card_ids));
    if (rc == PT_OK && set->stamp_card_ids == NULL) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    set->stamp_cards = cards;
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_rule *r = pt_arena_alloc(&set->arena, sizeof(*r));
        struct pt_err cerr;
        if (r == NULL) {
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
        if (pt_rule_compile(cards[i].document, strlen(cards[i].document), &set->arena, r, &cerr) !=
                PT_OK ||
            r->effect_count != 1 || r->effects[0].type != PT_EFFECT_ADD_STAMPS) {
            char extra[200];
            (void)snprintf(extra, sizeof(extra), ",\"card_id\":\"%s\"", cards[i].id);
            pt_log("error", "stored stamp card no longer compiles; not evaluated", extra);
            continue;
        }
        cards[set->stamp_count] = cards[i];
        memcpy(r->id, cards[i].id, sizeof(r->id));
        /* The card's own id, whatever the document says. */
        r->effects[0].card = cards[set->stamp_count].id;
        set->stamp_card_ids[set->stamp_count] = cards[set->stamp_count].id;
        set->needs_purchase_count |= tests_fact(r, PT_FACT_MEMBER_PURCHASE_COUNT);
        set->stamp_rules[set->stamp_count++] = r;
    }
    return rc;
}

static enum pt_rc set_load(struct pt_store_txn *txn, const struct pt_program *program,
                           struct pt_rule_set **out, struct pt_err *err)
{
    struct pt_rule_set *set = pt_calloc(1, sizeof(*set));
    struct pt_rule_row *rows = NULL;
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc;
    *out = NULL;
    if (set == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    (void)snprintf(set->program_id, sizeof(set->program_id), "%s", program->id);
    set->rules_version = program->rules_version;
    set->refs = 1;
    pt_arena_init(&set->arena,
                  (size_t)PT_RULES_PER_PROGRAM_MAX * 2 * sizeof(struct pt_rule) + 64 * 1024 * 1024);
    rc = pt_store_rule_list(txn, program->id, PT_RULE_ACTIVE, NULL, PT_RULES_PER_PROGRAM_MAX,
                            &set->arena, &rows, &count, err);
    set->rules = pt_arena_alloc(&set->arena, (count ? count : 1) * sizeof(*set->rules));
    if (rc == PT_OK && set->rules == NULL) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_rule *r = pt_arena_alloc(&set->arena, sizeof(*r));
        struct pt_err cerr;
        if (r == NULL) {
            rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
            break;
        }
        if (pt_rule_compile(rows[i].document, strlen(rows[i].document), &set->arena, r, &cerr) !=
            PT_OK) {
            /* Every stored version compiled when it was saved; one that no longer does (an
             * older engine's document) is left out rather than stopping every purchase. */
            char extra[200];
            (void)snprintf(extra, sizeof(extra), ",\"rule_id\":\"%s\"", rows[i].id);
            pt_log("error", "stored rule no longer compiles; not evaluated", extra);
            continue;
        }
        memcpy(r->id, rows[i].id, sizeof(r->id));
        r->version = rows[i].version;
        r->status = rows[i].status;
        set->needs_purchase_count |= tests_fact(r, PT_FACT_MEMBER_PURCHASE_COUNT);
        set->rules[set->count++] = r;
    }
    if (rc == PT_OK) {
        rc = stamp_rules_load(txn, program, set, err);
    }
    if (rc != PT_OK) {
        pt_arena_fini(&set->arena);
        pt_free(set);
        return rc;
    }
    qsort(set->rules, set->count, sizeof(*set->rules), by_order);
    (void)snprintf(set->zone, sizeof(set->zone), "%s",
                   program->time_zone != NULL ? program->time_zone : "UTC");
    set->tz = pt_arena_alloc(&set->arena, sizeof(*set->tz));
    if (set->tz == NULL || pt_tz_load(program->time_zone != NULL ? program->time_zone : "UTC",
                                      set->tz, err) != PT_OK) {
        /* The zone was valid when set; a system without it now falls back to UTC. */
        struct pt_err ignored;
        if (set->tz == NULL) {
            pt_arena_fini(&set->arena);
            pt_free(set);
            return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
        pt_log("error", "program time zone not found; using UTC", NULL);
        pt_err_clear(err);
        if (pt_tz_load("UTC", set->tz, &ignored) != PT_OK) {
            pt_assert(!"UTC needs no file");
        }
    }
    *out = set;
    return PT_OK;
}

/* The program's current rule set (a reference the caller releases). */
static enum pt_rc set_get(struct pt_service *svc, struct pt_store_txn *txn,
                          const struct pt_program *program, struct pt_rule_set **out,
                          struct pt_err *err)
{
    unsigned slot = 0;
    unsigned i;
    struct pt_rule_set *set;
    struct pt_rule_set *old = NULL;
    enum pt_rc rc;
    for (i = 0; program->id[i] != '\0'; i++) {
        slot = slot * 31 + (unsigned char)program->id[i];
    }
    slot %= PT_RULE_CACHE_SLOTS;
    pthread_mutex_lock(&svc->rules_mu);
    set = svc->rule_sets[slot];
    if (set != NULL && strcmp(set->program_id, program->id) == 0 &&
        set->rules_version == program->rules_version && program->time_zone != NULL &&
        strcmp(set->zone, program->time_zone) == 0) {
        set->refs++;
        pthread_mutex_unlock(&svc->rules_mu);
        *out = set;
        return PT_OK;
    }
    pthread_mutex_unlock(&svc->rules_mu);
    rc = set_load(txn, program, &set, err);
    if (rc != PT_OK) {
        return rc;
    }
    pthread_mutex_lock(&svc->rules_mu);
    old = svc->rule_sets[slot];
    /* Install it unless a newer set got there first. */
    if (old == NULL || strcmp(old->program_id, program->id) != 0 ||
        old->rules_version <= set->rules_version) {
        if (old != NULL) {
            old->installed = false;
            if (old->refs == 0) {
                pt_arena_fini(&old->arena);
                pt_free(old);
            }
        }
        svc->rule_sets[slot] = set;
        set->installed = true;
    }
    pthread_mutex_unlock(&svc->rules_mu);
    *out = set;
    return PT_OK;
}

enum pt_rc pt_svc_rules_cost(struct pt_service *svc, struct pt_store_txn *txn,
                             const char *program_id, const char *except_rule_id,
                             enum pt_rule_trigger trigger, unsigned lines, struct pt_arena *arena,
                             int64_t *cost, struct pt_err *err)
{
    struct pt_program program;
    struct pt_rule_set *set = NULL;
    unsigned i;
    enum pt_rc rc = pt_store_program_get(txn, program_id, arena, &program, err);
    *cost = pt_rules_eval_cost(NULL, 0, trigger, lines);
    if (rc == PT_OK) {
        rc = set_get(svc, txn, &program, &set, err);
    }
    for (i = 0; rc == PT_OK && i < set->count; i++) {
        const struct pt_rule *r = set->rules[i];
        if (r->trigger == trigger &&
            (except_rule_id == NULL || strcmp(r->id, except_rule_id) != 0)) {
            *cost += pt_rule_eval_cost(r, lines);
        }
    }
    /* Every purchase evaluates the active stamp cards too, as purchase rules: they share the
     * bound, or cards added after the rules would make every large cart pass it. */
    for (i = 0; rc == PT_OK && trigger == PT_TRIGGER_PURCHASE && i < set->stamp_count; i++) {
        const struct pt_rule *r = set->stamp_rules[i];
        if (except_rule_id == NULL || strcmp(r->id, except_rule_id) != 0) {
            *cost += pt_rule_eval_cost(r, lines);
        }
    }
    if (set != NULL) {
        set_release(svc, set);
    }
    return rc;
}

/* The time facts at now_ms, local to the program's time zone. */
static void time_facts(const struct pt_tz *tz, int64_t now_ms, struct pt_rule_time *t)
{
    int64_t local_ms = now_ms + (int64_t)pt_tz_offset_s(tz, now_ms) * 1000;
    int64_t days = local_ms >= 0 ? local_ms / DAY_MS : (local_ms - DAY_MS + 1) / DAY_MS;
    char stamp[40];
    memset(t, 0, sizeof(*t));
    t->now_ms = now_ms;
    t->weekday = ((days % 7 + 7) % 7 + 3) % 7 + 1; /* 1970-01-01 was a Thursday (4). */
    t->hour = (local_ms - days * DAY_MS) / 3600000;
    pt_time_format_rfc3339(local_ms, stamp, sizeof(stamp));
    memcpy(t->date, stamp, 10);
    t->date[10] = '\0';
}

static int64_t birth_month(const char *birth_date)
{
    if (birth_date == NULL || strlen(birth_date) < 7) {
        return 0;
    }
    return (birth_date[5] - '0') * 10 + (birth_date[6] - '0');
}

/* What each rule may still give the member: uses, today's points and the budget. */
static enum pt_rc rooms(struct pt_store_txn *txn, const struct pt_program *program,
                        const struct pt_member *member, const struct pt_rule_set *set,
                        const char *today, struct pt_arena *arena, struct pt_rule_room **out,
                        struct pt_err *err)
{
    struct pt_rule_usage *usage = NULL;
    unsigned used = 0;
    unsigned i;
    enum pt_rc rc = PT_OK;
    *out = pt_arena_alloc(arena, (set->count ? set->count : 1) * sizeof(**out));
    if (*out == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    if (member != NULL) {
        rc = pt_store_rule_usage_get(txn, program->id, member->id, arena, &usage, &used, err);
    }
    for (i = 0; rc == PT_OK && i < set->count; i++) {
        const struct pt_rule *r = set->rules[i];
        struct pt_rule_room *room = &(*out)[i];
        unsigned u;
        room->uses = INT64_MAX;
        room->points_today = INT64_MAX;
        room->budget = INT64_MAX;
        for (u = 0; u < used && strcmp(usage[u].rule_id, r->id) != 0; u++) {
        }
        if (r->max_uses_per_member > 0) {
            room->uses = r->max_uses_per_member - (u < used ? usage[u].uses : 0);
        }
        if (r->max_points_per_member_per_day > 0) {
            int64_t today_points =
                u < used && strcmp(usage[u].day, today) == 0 ? usage[u].points_day : 0;
            room->points_today = r->max_points_per_member_per_day - today_points;
        }
        if (r->budget_points > 0) {
            int64_t issued = 0;
            rc = pt_store_rule_budget_get(txn, program->id, r->id, &issued, err);
            room->budget = r->budget_points - issued;
        }
    }
    return rc;
}

/* The engine's lines of a cart or purchase: its items, or one line of its amount when it has
 * none (n is then 1); eligibility from the program's excluded categories. NULL when the arena
 * is full. */
static struct pt_cart_item *cart_lines(const struct pt_program *program,
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
        lines[i].eligible =
            !pt_svc_category_excluded(program->excluded_categories, lines[i].category);
    }
    return lines;
}

/* The rule by which a usable coupon gives its reward (docs/rewards.md): a discount by amount
 * or percent on the cart, or one unit of the sku free (the dearest line of it). It comes before
 * every rule (an exclusive promotion cannot stop a coupon the member paid for) and has no
 * limits. Gifts give nothing on the cart; NULL then. */
static struct pt_rule *coupon_rule(const struct pt_cart_coupon *c, const struct pt_cart_item *lines,
                                   unsigned line_count, struct pt_arena *arena)
{
    struct pt_rule *r;
    struct pt_rule_effect *e;
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
    r->priority = INT64_MAX;
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
    return r;
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
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    memcpy(all, set->rules, set->count * sizeof(*all));
    memcpy(rooms_all, *room, set->count * sizeof(*rooms_all));
    for (i = 0; i < out->coupon_count; i++) {
        const struct pt_cart_coupon *c = &out->coupons[i];
        struct pt_rule *r;
        if (!c->applied) {
            continue;
        }
        r = coupon_rule(c, lines, line_count, arena);
        if (r == NULL) {
            continue; /* A gift: nothing off the cart. */
        }
        all[set->count + *extra] = r;
        rooms_all[set->count + *extra].uses = INT64_MAX;
        rooms_all[set->count + *extra].points_today = INT64_MAX;
        rooms_all[set->count + *extra].budget = INT64_MAX;
        (*extra)++;
    }
    *rules = all;
    *room = rooms_all;
    return PT_OK;
}

/* What an evaluation of count rules on lines costs (pt_rules_eval_cost), or 0 when
 * pt_rules_evaluate refuses it before doing any work: the rate limits charge what ran. */
static int64_t eval_cost_run(const struct pt_rule *const *rules, unsigned count,
                             enum pt_rule_trigger trigger, unsigned lines)
{
    int64_t cost;
    if (count > PT_RULES_EVALUATED_MAX || lines > PT_CART_ITEMS_MAX) {
        return 0;
    }
    cost = pt_rules_eval_cost(rules, count, trigger, lines);
    return cost <= PT_RULES_EVAL_COST_MAX ? cost : 0;
}

/* The stamps the cart earns on each active card: the cards' own conditions (a second
 * evaluation, without limits) and the rules' add_stamps effects (res). */
static enum pt_rc stamps_answer(const struct pt_rule_set *set, const struct pt_eval_input *in,
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
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (i = 0; i < set->stamp_count; i++) {
        room[i].uses = INT64_MAX;
        room[i].points_today = INT64_MAX;
        room[i].budget = INT64_MAX;
        stamps[i] = 0;
    }
    out->eval_cost +=
        eval_cost_run(set->stamp_rules, set->stamp_count, in->trigger, in->cart->item_count);
    rc = pt_rules_evaluate(set->stamp_rules, room, set->stamp_count, in, arena, &cards, err);
    for (i = 0; rc == PT_OK && i < cards.outcome_count; i++) {
        stamps[cards.outcomes[i].rule] += cards.outcomes[i].stamps;
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
            g->stamps = stamps[k];
            if (g->name == NULL) {
                rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
            }
        }
    }
    return rc;
}

enum pt_rc pt_svc_rules_answer(struct pt_service *svc, struct pt_store_txn *txn,
                               const struct pt_program *program, const struct pt_member *member,
                               enum pt_rule_trigger trigger, const struct pt_activity *activity,
                               const struct pt_cart_request *req, int64_t now_ms,
                               struct pt_arena *arena, struct pt_cart_answer *out,
                               struct pt_err *err)
{
    struct pt_rule_set *set = NULL;
    struct pt_cart_item *items;
    struct pt_rule_room *room = NULL;
    struct pt_rule_member facts;
    struct pt_rule_time time;
    struct pt_cart cart;
    const struct pt_tier *tier = NULL;
    struct pt_eval_input in;
    struct pt_eval_result res;
    const struct pt_rule **rules;
    unsigned coupon_rules = 0;
    unsigned n = req == NULL ? 0 : req->items != NULL ? req->item_count : 1;
    unsigned i;
    unsigned k;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    items = cart_lines(program, req != NULL ? req->items : NULL, n, req != NULL ? req->amount : 0,
                       arena);
    if (items == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    memset(&cart, 0, sizeof(cart));
    cart.items = items;
    cart.item_count = n;
    if (req != NULL) {
        cart.channel = req->channel;
        cart.location = req->location;
        cart.coupons = req->coupons;
        cart.coupon_count = req->coupon_count;
        cart.discount = req->discount;
    }
    memset(&facts, 0, sizeof(facts));
    rc = set_get(svc, txn, program, &set, err);
    if (rc != PT_OK) {
        return rc;
    }
    time_facts(set->tz, now_ms, &time);
    memcpy(out->local_date, time.date, sizeof(out->local_date));
    if (rc == PT_OK && member != NULL) {
        facts.known = true;
        facts.attributes = member->attributes_json;
        facts.birth_month = birth_month(member->birth_date);
        facts.days_since_enrollment = (now_ms - member->enrolled_at_ms) / DAY_MS;
        facts.city = member->city;
        facts.country = member->country;
        if (program->tiers.metric != PT_TIER_METRIC_NONE) {
            struct pt_tier_state st;
            rc = pt_svc_tier_state(txn, program, member, &st, err);
            if (rc == PT_OK) {
                tier = &program->tiers.tiers[st.position];
                facts.tier = tier->name;
            }
        }
        if (rc == PT_OK && set->needs_purchase_count) {
            rc = pt_store_member_purchase_count(txn, program->id, member->id, INT64_MAX,
                                                &facts.purchase_count, err);
        }
    }
    if (rc == PT_OK) {
        rc = rooms(txn, program, member, set, time.date, arena, &room, err);
    }
    rules = set->rules;
    if (rc == PT_OK && trigger == PT_TRIGGER_PURCHASE && req != NULL && req->coupon_count > 0) {
        /* Coupons are judged at the time of asking, whatever time the purchase gives. */
        out->coupon_count = req->coupon_count;
        rc = pt_svc_cart_coupons(txn, program, member, req, items, n,
                                 pt_svc_now_ms(svc, program->id), arena, &out->coupons, err);
        if (rc == PT_OK) {
            rc = with_coupon_rules(set, out, items, n, arena, &rules, &room, &coupon_rules, err);
        }
    }
    if (rc == PT_OK) {
        memset(&in, 0, sizeof(in));
        in.trigger = trigger;
        in.activity = activity;
        in.activity_type = activity != NULL ? activity->type : NULL;
        in.cart = &cart;
        in.member = &facts;
        in.time = &time;
        in.earn_rate.points = program->earn_points;
        in.earn_rate.per_amount_minor = program->earn_per_amount;
        in.tier = tier;
        in.active_cards = set->stamp_card_ids;
        in.active_card_count = set->stamp_count;
        in.currency = program->currency;
        in.currency_exponent = 2;
        out->eval_cost = eval_cost_run(rules, set->count + coupon_rules, trigger, n);
        rc = pt_rules_evaluate(rules, room, set->count + coupon_rules, &in, arena, &res, err);
        out->rules_evaluated = set->count + coupon_rules + set->stamp_count;
    }
    if (rc == PT_OK) {
        out->amount = res.amount;
        out->discount = res.discount;
        out->line_discount = req != NULL && req->items != NULL ? res.line_discount : NULL;
        out->line_count = req != NULL && req->items != NULL ? n : 0;
        out->base_points = res.base_points;
        out->tier_points = res.tier_points;
        out->tier = tier != NULL ? tier->name : NULL;
        out->points = res.points;
        out->free_shipping = res.free_shipping;
        out->messages = res.messages;
        out->message_count = res.message_count;
        out->rules = pt_arena_alloc(arena, (res.outcome_count ? res.outcome_count : 1) *
                                               sizeof(*out->rules));
        if (out->rules == NULL) {
            rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
    }
    for (i = 0; rc == PT_OK && i < res.outcome_count; i++) {
        const struct pt_rule_outcome *o = &res.outcomes[i];
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
    }
    if (rc == PT_OK && trigger == PT_TRIGGER_PURCHASE) {
        out->cashback = res.cashback;
        rc = stamps_answer(set, &in, &res, arena, out, err);
    }
    for (i = 0; rc == PT_OK && i < res.nudge_count; i++) {
        memcpy(out->nudges[i].rule_id, rules[res.nudges[i].rule]->id, PT_ID_BUF_BYTES);
        out->nudges[i].text = res.nudges[i].text;
        out->nudges[i].missing = res.nudges[i].missing;
        out->nudge_count++;
    }
    set_release(svc, set);
    return rc;
}

enum pt_rc pt_svc_local_date(struct pt_service *svc, struct pt_store_txn *txn,
                             const struct pt_program *program, int64_t at_ms, char *out,
                             struct pt_err *err)
{
    struct pt_rule_set *set = NULL;
    struct pt_rule_time t;
    enum pt_rc rc = set_get(svc, txn, program, &set, err);
    if (rc != PT_OK) {
        return rc;
    }
    time_facts(set->tz, at_ms, &t);
    memcpy(out, t.date, sizeof(t.date));
    set_release(svc, set);
    return PT_OK;
}

int64_t pt_svc_date_month(const char *date)
{
    int64_t year = 0;
    unsigned month;
    unsigned i;
    for (i = 0; i < 4; i++) {
        year = year * 10 + (date[i] - '0');
    }
    month = (unsigned)((date[5] - '0') * 10 + (date[6] - '0'));
    return pt_tier_month(year, month);
}

enum pt_rc pt_svc_cart_answer(struct pt_service *svc, struct pt_store_txn *txn,
                              const struct pt_program *program, const struct pt_member *member,
                              const struct pt_cart_request *req, int64_t now_ms,
                              struct pt_arena *arena, struct pt_cart_answer *out,
                              struct pt_err *err)
{
    return pt_svc_rules_answer(svc, txn, program, member, PT_TRIGGER_PURCHASE, NULL, req, now_ms,
                               arena, out, err);
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
    pt_store_read_end(txn);
    return rc;
}

/* ---- What-if simulation ---- */

struct sim {
    struct pt_arena arena; /* The rules and the counters; one per simulation. */
    const struct pt_rule **rules;
    unsigned count;
    struct pt_rule_room *room;
    int64_t *uses;       /* Per rule, of the current member. */
    int64_t *points_day; /* Per rule, of the current member on day. */
    char (*day)[11];
    int64_t *issued; /* Per rule, in the whole simulation (budgets). */
    struct pt_tz *tz;
    /* The replayed evaluations' cost (pt_rules_eval_cost): at most PT_SIMULATE_PURCHASES_MAX
     * of PT_RULES_EVAL_COST_MAX, far inside int64. */
    int64_t eval_cost;
};

static enum pt_rc sim_add(struct sim *s, const char *id, int64_t version, const char *doc,
                          struct pt_err *err)
{
    struct pt_rule *r = pt_arena_alloc(&s->arena, sizeof(*r));
    unsigned i;
    enum pt_rc rc;
    if (r == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    rc = pt_rule_compile(doc, strlen(doc), &s->arena, r, err);
    if (rc != PT_OK) {
        return rc;
    }
    (void)snprintf(r->id, sizeof(r->id), "%s", id);
    r->version = version;
    r->status = PT_RULE_ACTIVE;
    for (i = 0; i < s->count; i++) {
        if (strcmp(s->rules[i]->id, id) == 0) {
            s->rules[i] = r; /* The changed rule replaces its current version. */
            return PT_OK;
        }
    }
    if (s->count >= PT_RULES_PER_PROGRAM_MAX + 2) {
        return pt_err_set(err, PT_ELIMIT, NULL, "too many rules");
    }
    s->rules[s->count++] = r;
    return PT_OK;
}

static enum pt_rc sim_rules(struct sim *s, struct pt_store_txn *txn,
                            const struct pt_program *program, const char *draft,
                            const char *rule_id, const char *changed, struct pt_err *err)
{
    struct pt_rule_row *rows = NULL;
    unsigned count = 0;
    unsigned i;
    enum pt_rc rc = pt_store_rule_list(txn, program->id, PT_RULE_ACTIVE, NULL,
                                       PT_RULES_PER_PROGRAM_MAX, &s->arena, &rows, &count, err);
    s->rules = pt_arena_alloc(&s->arena, (PT_RULES_PER_PROGRAM_MAX + 2) * sizeof(*s->rules));
    if (rc == PT_OK && s->rules == NULL) {
        rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_err ignored;
        /* A stored rule that no longer compiles is left out, as the live engine does. */
        if (sim_add(s, rows[i].id, rows[i].version, rows[i].document, &ignored) == PT_ENOMEM) {
            rc = pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
        }
    }
    if (rc == PT_OK && rule_id != NULL) {
        struct pt_rule_row current;
        rc = pt_store_rule_get(txn, program->id, rule_id, &s->arena, &current, err);
        if (rc == PT_OK) {
            rc = sim_add(s, current.id, current.version + (changed != NULL),
                         changed != NULL ? changed : current.document, err);
        }
    }
    if (rc == PT_OK && draft != NULL) {
        rc = sim_add(s, "rul_draft", 0, draft, err);
    }
    if (rc != PT_OK) {
        return rc;
    }
    qsort(s->rules, s->count, sizeof(*s->rules), by_order);
    s->room = pt_arena_alloc(&s->arena, (s->count ? s->count : 1) * sizeof(*s->room));
    s->uses = pt_arena_alloc(&s->arena, (s->count ? s->count : 1) * sizeof(int64_t));
    s->points_day = pt_arena_alloc(&s->arena, (s->count ? s->count : 1) * sizeof(int64_t));
    s->day = pt_arena_alloc(&s->arena, (s->count ? s->count : 1) * sizeof(*s->day));
    s->issued = pt_arena_alloc(&s->arena, (s->count ? s->count : 1) * sizeof(int64_t));
    s->tz = pt_arena_alloc(&s->arena, sizeof(*s->tz));
    if (s->room == NULL || s->uses == NULL || s->points_day == NULL || s->day == NULL ||
        s->issued == NULL || s->tz == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    memset(s->issued, 0, (s->count ? s->count : 1) * sizeof(int64_t));
    if (pt_tz_load(program->time_zone, s->tz, err) != PT_OK) {
        pt_err_clear(err);
        return pt_tz_load("UTC", s->tz, err);
    }
    return PT_OK;
}

/* Evaluates one stored purchase for its member (facts in *facts) with the simulated limits. */
static enum pt_rc sim_purchase(struct sim *s, const struct pt_program *program,
                               const struct pt_purchase *p, const struct pt_rule_member *facts,
                               struct pt_arena *arena, int64_t *points, struct pt_err *err)
{
    struct pt_cart_item *items = cart_lines(program, p->item_count ? p->items : NULL,
                                            p->item_count ? p->item_count : 1, p->amount, arena);
    struct pt_cart cart;
    struct pt_rule_time time;
    struct pt_eval_input in;
    struct pt_eval_result res;
    unsigned n = p->item_count ? p->item_count : 1;
    unsigned i;
    enum pt_rc rc;
    if (items == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    memset(&cart, 0, sizeof(cart));
    cart.items = items;
    cart.item_count = n;
    cart.channel = p->channel;
    cart.location = p->location;
    cart.discount = p->till_discount;
    time_facts(s->tz, p->occurred_at_ms, &time);
    for (i = 0; i < s->count; i++) {
        const struct pt_rule *r = s->rules[i];
        int64_t today = strcmp(s->day[i], time.date) == 0 ? s->points_day[i] : 0;
        s->room[i].uses =
            r->max_uses_per_member > 0 ? r->max_uses_per_member - s->uses[i] : INT64_MAX;
        s->room[i].points_today = r->max_points_per_member_per_day > 0
                                      ? r->max_points_per_member_per_day - today
                                      : INT64_MAX;
        s->room[i].budget = r->budget_points > 0 ? r->budget_points - s->issued[i] : INT64_MAX;
    }
    memset(&in, 0, sizeof(in));
    in.trigger = PT_TRIGGER_PURCHASE;
    in.cart = &cart;
    in.member = facts;
    in.time = &time;
    in.earn_rate.points = program->earn_points;
    in.earn_rate.per_amount_minor = program->earn_per_amount;
    in.currency = program->currency;
    in.currency_exponent = 2;
    s->eval_cost += eval_cost_run(s->rules, s->count, PT_TRIGGER_PURCHASE, cart.item_count);
    rc = pt_rules_evaluate(s->rules, s->room, s->count, &in, arena, &res, err);
    for (i = 0; rc == PT_OK && i < res.outcome_count; i++) {
        unsigned k = res.outcomes[i].rule;
        s->uses[k]++;
        if (strcmp(s->day[k], time.date) != 0) {
            memcpy(s->day[k], time.date, sizeof(s->day[k]));
            s->points_day[k] = 0;
        }
        /* Checked: a simulation replays up to PT_SIMULATE_PURCHASES_MAX purchases, each up
         * to a member's bound, which together pass int64. */
        rc = pt_points_add(s->points_day[k], res.outcomes[i].points, &s->points_day[k], err);
        if (rc == PT_OK) {
            rc = pt_points_add(s->issued[k], res.outcomes[i].points, &s->issued[k], err);
        }
    }
    *points = rc == PT_OK ? res.points : 0;
    return rc;
}

enum pt_rc pt_service_rules_simulate(struct pt_service *svc, const struct pt_principal *who,
                                     const char *draft, const char *rule_id, const char *changed,
                                     int64_t from_ms, int64_t to_ms, struct pt_simulation *out,
                                     struct pt_err *err)
{
    struct sim s;
    struct pt_store_txn *txn = NULL;
    struct pt_program program;
    struct pt_member member;
    struct pt_rule_member facts;
    char after_member[PT_ID_BUF_BYTES] = "";
    char after_id[PT_ID_BUF_BYTES] = "";
    bool member_differs = false;
    enum pt_rc rc;
    memset(out, 0, sizeof(*out));
    memset(&s, 0, sizeof(s));
    if (to_ms <= from_ms) {
        return pt_err_set(err, PT_EINVAL, "to", "to must be after from");
    }
    pt_arena_init(&s.arena, (size_t)(PT_RULES_PER_PROGRAM_MAX + 2) * 2 * sizeof(struct pt_rule) +
                                64 * 1024 * 1024);
    rc = pt_store_read_begin(svc->store, &txn, err);
    if (rc == PT_OK) {
        rc = pt_store_program_get(txn, who->program_id, &s.arena, &program, err);
    }
    if (rc == PT_OK) {
        rc = sim_rules(&s, txn, &program, draft, rule_id, changed, err);
    }
    memset(&member, 0, sizeof(member));
    while (rc == PT_OK) {
        struct pt_arena page;
        struct pt_purchase_ref *refs = NULL;
        unsigned count = 0;
        unsigned i;
        pt_arena_init(&page, PT_REQUEST_ARENA_BYTES_MAX);
        rc = pt_store_purchases_between(txn, program.id, from_ms, to_ms, after_member, after_id,
                                        PT_SIMULATE_PAGE, &page, &refs, &count, err);
        for (i = 0; rc == PT_OK && i < count; i++) {
            struct pt_arena one;
            struct pt_purchase p;
            int64_t points = 0;
            if (out->purchases >= PT_SIMULATE_PURCHASES_MAX) {
                rc = pt_err_set(err, PT_ELIMIT, "from",
                                "a simulation replays at most %d purchases: choose a shorter "
                                "period",
                                PT_SIMULATE_PURCHASES_MAX);
                break;
            }
            pt_arena_init(&one, PT_REQUEST_ARENA_BYTES_MAX);
            if (strcmp(refs[i].member_id, member.id) != 0) {
                /* A new member: its facts, and its counters start again. */
                out->members_affected += member_differs;
                member_differs = false;
                rc =
                    pt_store_member_get(txn, program.id, refs[i].member_id, &s.arena, &member, err);
                memset(&facts, 0, sizeof(facts));
                facts.known = true;
                facts.attributes = member.attributes_json;
                facts.birth_month = birth_month(member.birth_date);
                facts.city = member.city;
                facts.country = member.country;
                if (rc == PT_OK && program.tiers.metric != PT_TIER_METRIC_NONE) {
                    /* The member's tier now, as the other facts are now. */
                    struct pt_tier_state st;
                    rc = pt_svc_tier_state(txn, &program, &member, &st, err);
                    facts.tier = rc == PT_OK ? program.tiers.tiers[st.position].name : NULL;
                }
                if (rc == PT_OK) {
                    /* Counted as the live engine counts: every purchase before this one. */
                    rc = pt_store_member_purchase_count(txn, program.id, member.id, from_ms,
                                                        &facts.purchase_count, err);
                }
                memset(s.uses, 0, (s.count ? s.count : 1) * sizeof(int64_t));
                memset(s.points_day, 0, (s.count ? s.count : 1) * sizeof(int64_t));
                memset(s.day, 0, (s.count ? s.count : 1) * sizeof(*s.day));
            }
            if (rc == PT_OK) {
                rc = pt_store_purchase_get(txn, program.id, refs[i].id, &one, &p, err);
            }
            if (rc == PT_OK) {
                facts.days_since_enrollment = (p.occurred_at_ms - member.enrolled_at_ms) / DAY_MS;
                rc = sim_purchase(&s, &program, &p, &facts, &one, &points, err);
                facts.purchase_count++;
            }
            if (rc == PT_OK) {
                out->purchases++;
                rc = pt_points_add(out->actual_points, p.points_earned, &out->actual_points, err);
            }
            if (rc == PT_OK) {
                rc = pt_points_add(out->simulated_points, points, &out->simulated_points, err);
                member_differs |= points != p.points_earned;
            }
            pt_arena_fini(&one);
        }
        if (rc == PT_OK && count > 0) {
            memcpy(after_member, refs[count - 1].member_id, PT_ID_BUF_BYTES);
            memcpy(after_id, refs[count - 1].id, PT_ID_BUF_BYTES);
        }
        pt_arena_fini(&page);
        if (count < PT_SIMULATE_PAGE) {
            break;
        }
    }
    if (txn != NULL) {
        pt_store_read_end(txn);
    }
    out->eval_cost = s.eval_cost; /* Charged even when the simulation then failed. */
    if (rc == PT_OK) {
        out->members_affected += member_differs;
        out->extra_points = out->simulated_points - out->actual_points;
        out->point_cost_amount = program.point_cost_amount;
        out->point_cost_points = program.point_cost_points;
        /* Floor, also for a saving (a negative cost). */
        {
            wide c = (wide)out->extra_points * program.point_cost_amount;
            wide d = program.point_cost_points;
            out->cost = (int64_t)(c >= 0 ? c / d : -((-c + d - 1) / d));
        }
    }
    pt_arena_fini(&s.arena);
    return rc;
}
