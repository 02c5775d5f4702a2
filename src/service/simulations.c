/* SPDX-License-Identifier: MIT */
/*
 * What-if simulation (POST /v1/rules/simulate; docs/rules.md): the program's purchases of a
 * period replayed through its rules as they would be with a draft added or a rule changed, on
 * a read connection, to compare what they earned with what they would have earned and what
 * the difference costs.
 */
#include "service/service_int.h"

#include "base/assert.h"
#include "base/clock.h"
#include "base/tz.h"

#include <stdio.h>
#include <string.h>

/* 128-bit products keep the cost exact (points × value can pass 64 bits). */
__extension__ typedef __int128 wide;

struct sim {
    struct pt_arena arena; /* The rules and the counters; one per simulation. */
    const struct pt_rule **rules;
    unsigned count;
    struct pt_rule_room *room;
    int64_t *uses;       /* Per rule, of the current member. */
    int64_t *points_day; /* Per rule, of the current member on day. */
    char (*day)[11];
    struct pt_rule_budget *given; /* Per rule, in the whole simulation (budgets). */
    struct pt_tz *tz;
    /* The replayed evaluations' cost (pt_rules_eval_cost): at most PT_SIMULATE_PURCHASES_MAX
     * of PT_RULES_EVAL_COST_MAX, far inside int64. */
    int64_t eval_cost;
    /* The member whose purchases are being replayed (id "" before the first). */
    struct pt_member member;
    struct pt_rule_member facts;
    bool member_differs; /* Whose points, so far, would differ. */
};

static enum pt_rc sim_add(struct sim *s, const char *id, int64_t version, const char *doc,
                          struct pt_err *err)
{
    struct pt_rule *r = pt_arena_alloc(&s->arena, sizeof(*r));
    unsigned i;
    enum pt_rc rc;
    if (r == NULL) {
        return pt_arena_err(&s->arena, err); /* The compiler fills it. */
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
    for (i = 0; rc == PT_OK && s->rules != NULL && i < count; i++) {
        struct pt_err ignored;
        /* A stored rule that no longer compiles is left out, as the live engine does; one whose
         * compilation ran out of memory is not: the arena latched it, checked below. */
        (void)sim_add(s, rows[i].id, rows[i].version, rows[i].document, &ignored);
    }
    if (rc == PT_OK && pt_arena_failed(&s->arena)) {
        rc = pt_arena_err(&s->arena, err);
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
    pt_svc_rules_order(s->rules, s->count);
    s->room = pt_arena_alloc(&s->arena, (s->count ? s->count : 1) * sizeof(*s->room));
    s->uses = pt_arena_alloc(&s->arena, (s->count ? s->count : 1) * sizeof(int64_t));
    s->points_day = pt_arena_alloc(&s->arena, (s->count ? s->count : 1) * sizeof(int64_t));
    s->day = pt_arena_alloc(&s->arena, (s->count ? s->count : 1) * sizeof(*s->day));
    s->given = pt_arena_alloc(&s->arena, (s->count ? s->count : 1) * sizeof(*s->given));
    s->tz = pt_arena_alloc(&s->arena, sizeof(*s->tz));
    if (pt_arena_failed(&s->arena)) {
        return pt_arena_err(&s->arena, err); /* One check for the six, written below. */
    }
    memset(s->given, 0, (s->count ? s->count : 1) * sizeof(*s->given));
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
    struct pt_cart_item *items =
        pt_svc_cart_lines(program, p->item_count ? p->items : NULL,
                          p->item_count ? p->item_count : 1, p->amount, arena);
    struct pt_cart cart;
    struct pt_rule_time time;
    struct pt_eval_input in;
    struct pt_eval_result res;
    enum pt_rule_drop *dropped;
    unsigned runs = 1;
    unsigned n = p->item_count ? p->item_count : 1;
    unsigned i;
    enum pt_rc rc;
    if (items == NULL) {
        return pt_arena_err(arena, err); /* The evaluation reads the lines. */
    }
    memset(&cart, 0, sizeof(cart));
    cart.items = items;
    cart.item_count = n;
    cart.channel = p->channel;
    cart.location = p->location;
    cart.discount = p->till_discount;
    cart.tender = pt_svc_purchase_tender(program, p, arena);
    pt_svc_time_facts(s->tz, p->occurred_at_ms, &time);
    for (i = 0; i < s->count; i++) {
        const struct pt_rule *r = s->rules[i];
        int64_t today = strcmp(s->day[i], time.date) == 0 ? s->points_day[i] : 0;
        pt_rule_room_of(r, &s->given[i], s->uses[i], today, &s->room[i]);
    }
    pt_svc_eval_input(program, PT_TRIGGER_PURCHASE, &cart, facts, &time, &in);
    dropped = pt_arena_alloc(arena, (s->count ? s->count : 1) * sizeof(*dropped));
    if (dropped == NULL) {
        return pt_arena_err(arena, err); /* Filled by the evaluation. */
    }
    /* As the live purchase evaluates (carts.c): best_discount_only applies here too. */
    rc = pt_rules_evaluate_offers(s->rules, s->room, s->count, &in, program->best_discount_only,
                                  arena, &res, dropped, &runs, err);
    s->eval_cost +=
        runs * pt_svc_eval_cost_run(s->rules, s->count, PT_TRIGGER_PURCHASE, cart.item_count);
    for (i = 0; rc == PT_OK && i < res.outcome_count; i++) {
        unsigned k = res.outcomes[i].rule;
        if (!PT_ALWAYS(k < s->count)) { /* An outcome names one of the rules evaluated. */
            continue;
        }
        s->uses[k]++;
        if (strcmp(s->day[k], time.date) != 0) {
            memcpy(s->day[k], time.date, sizeof(s->day[k]));
            s->points_day[k] = 0;
        }
        /* Checked: a simulation replays up to PT_SIMULATE_PURCHASES_MAX purchases, each up
         * to a member's bound, which together pass int64. */
        rc = pt_points_add(s->points_day[k], res.outcomes[i].points, &s->points_day[k], err);
        if (rc == PT_OK) {
            rc = pt_points_add(s->given[k].points_issued, res.outcomes[i].points,
                               &s->given[k].points_issued, err);
        }
        s->given[k].uses++;
        if (rc == PT_OK) {
            rc = pt_points_add(s->given[k].amount_issued,
                               res.outcomes[i].discount + res.outcomes[i].cashback,
                               &s->given[k].amount_issued, err);
        }
    }
    *points = rc == PT_OK ? res.points : 0;
    return rc;
}

/* The next member of the replay (member_id): its facts as they are now (its tier included),
 * its purchases before from_ms counted as the live engine counts them, and its counters of
 * limited rules started again. */
static enum pt_rc sim_member(struct sim *s, struct pt_store_txn *txn,
                             const struct pt_program *program, const char *member_id,
                             int64_t from_ms, struct pt_err *err)
{
    enum pt_rc rc = pt_store_member_get(txn, program->id, member_id, &s->arena, &s->member, err);
    memset(&s->facts, 0, sizeof(s->facts));
    if (rc == PT_OK) {
        pt_svc_member_facts(&s->member, &s->facts);
    }
    if (rc == PT_OK && program->tiers.metric != PT_TIER_METRIC_NONE) {
        /* The member's tier now, as the other facts are now. */
        struct pt_tier_state st;
        rc = pt_svc_tier_state(txn, program, &s->member, &st, err);
        s->facts.tier = rc == PT_OK ? program->tiers.tiers[st.position].name : NULL;
    }
    if (rc == PT_OK) {
        /* Counted as the live engine counts: every purchase before this one. */
        rc = pt_store_member_purchase_count(txn, program->id, s->member.id, from_ms,
                                            &s->facts.purchase_count, err);
    }
    memset(s->uses, 0, (s->count ? s->count : 1) * sizeof(int64_t));
    memset(s->points_day, 0, (s->count ? s->count : 1) * sizeof(int64_t));
    memset(s->day, 0, (s->count ? s->count : 1) * sizeof(*s->day));
    return rc;
}

/* Replays the purchase ref: what it earned and what it would earn, added to out. */
static enum pt_rc sim_one(struct sim *s, struct pt_store_txn *txn, const struct pt_program *program,
                          const struct pt_purchase_ref *ref, int64_t from_ms,
                          struct pt_simulation *out, struct pt_err *err)
{
    struct pt_arena one;
    struct pt_purchase p;
    int64_t points = 0;
    enum pt_rc rc = PT_OK;
    if (out->purchases >= PT_SIMULATE_PURCHASES_MAX) {
        return pt_err_set(err, PT_ELIMIT, "from",
                          "a simulation replays at most %d purchases: choose a shorter period",
                          PT_SIMULATE_PURCHASES_MAX);
    }
    pt_arena_init(&one, PT_REQUEST_ARENA_BYTES_MAX);
    if (strcmp(ref->member_id, s->member.id) != 0) {
        out->members_affected += s->member_differs;
        s->member_differs = false;
        rc = sim_member(s, txn, program, ref->member_id, from_ms, err);
    }
    if (rc == PT_OK) {
        rc = pt_store_purchase_get(txn, program->id, ref->id, &one, &p, err);
    }
    if (rc == PT_OK && p.paid) {
        /* How it was paid: points paid earn nothing, as when it was made. */
        rc = pt_store_purchase_payments_get(txn, program->id, &p, &one, err);
    }
    if (rc == PT_OK) {
        s->facts.days_since_enrollment = (p.occurred_at_ms - s->member.enrolled_at_ms) / PT_DAY_MS;
        rc = sim_purchase(s, program, &p, &s->facts, &one, &points, err);
        s->facts.purchase_count++;
    }
    if (rc == PT_OK) {
        out->purchases++;
        rc = pt_points_add(out->actual_points, p.points_earned, &out->actual_points, err);
    }
    if (rc == PT_OK) {
        rc = pt_points_add(out->simulated_points, points, &out->simulated_points, err);
        s->member_differs |= points != p.points_earned;
    }
    pt_arena_fini(&one);
    return rc;
}

/* Replays the next page of the period's purchases, after (after_member, after_id), which it
 * then moves to its last. OUT: *count, the purchases of the page. */
static enum pt_rc sim_page(struct sim *s, struct pt_store_txn *txn,
                           const struct pt_program *program, int64_t from_ms, int64_t to_ms,
                           char *after_member, char *after_id, struct pt_simulation *out,
                           unsigned *count, struct pt_err *err)
{
    struct pt_arena page;
    struct pt_purchase_ref *refs = NULL;
    unsigned i;
    enum pt_rc rc;
    *count = 0;
    pt_arena_init(&page, PT_REQUEST_ARENA_BYTES_MAX);
    rc = pt_store_purchases_between(txn, program->id, from_ms, to_ms, after_member, after_id,
                                    PT_SIMULATE_PAGE, &page, &refs, count, err);
    for (i = 0; rc == PT_OK && i < *count; i++) {
        rc = sim_one(s, txn, program, &refs[i], from_ms, out, err);
    }
    if (rc == PT_OK && *count > 0) {
        memcpy(after_member, refs[*count - 1].member_id, PT_ID_BUF_BYTES);
        memcpy(after_id, refs[*count - 1].id, PT_ID_BUF_BYTES);
    }
    pt_arena_fini(&page);
    return rc;
}

/* The difference and what it costs at the program's point value, floored, also for a saving
 * (a negative cost). */
static void sim_cost(const struct pt_program *program, struct pt_simulation *out)
{
    wide c;
    wide d = program->point_cost_points;
    out->extra_points = out->simulated_points - out->actual_points;
    out->point_cost_amount = program->point_cost_amount;
    out->point_cost_points = program->point_cost_points;
    c = (wide)out->extra_points * program->point_cost_amount;
    out->cost = (int64_t)(c >= 0 ? c / d : -((-c + d - 1) / d));
}

enum pt_rc pt_service_rules_simulate(struct pt_service *svc, const struct pt_principal *who,
                                     const char *draft, const char *rule_id, const char *changed,
                                     int64_t from_ms, int64_t to_ms, struct pt_simulation *out,
                                     struct pt_err *err)
{
    struct sim s;
    struct pt_store_txn *txn = NULL;
    struct pt_program program;
    char after_member[PT_ID_BUF_BYTES] = "";
    char after_id[PT_ID_BUF_BYTES] = "";
    unsigned count = PT_SIMULATE_PAGE;
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
    /* Page after page, in member order, until a short page. */
    while (rc == PT_OK && count == PT_SIMULATE_PAGE) {
        rc = sim_page(&s, txn, &program, from_ms, to_ms, after_member, after_id, out, &count, err);
    }
    rc = pt_svc_read_end(txn, &s.arena, rc, err);
    out->eval_cost = s.eval_cost; /* Charged even when the simulation then failed. */
    if (rc == PT_OK) {
        out->members_affected += s.member_differs;
        sim_cost(&program, out);
    }
    pt_arena_fini(&s.arena);
    return rc;
}
