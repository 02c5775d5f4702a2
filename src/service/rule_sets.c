/* SPDX-License-Identifier: MIT */
/*
 * A program's rule set: its active rules and stamp cards, compiled, in evaluation order, with
 * its time zone; what evaluating them costs; and the program's local date and time facts in
 * that zone. Carts (carts.c) and rule saves (rules.c) take the set from here.
 *
 * The compiled rules of a program are cached (a few programs, each a reference-counted set);
 * a set is stale as soon as the program's rules_version moves, which every rule change does in
 * the same transaction, so no process ever evaluates an old rule after reading the new version.
 * The version is a random value, not a counter: a set loaded inside a batch that then rolled
 * back must never match the version a later change commits.
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

void pt_svc_rule_set_release(struct pt_service *svc, struct pt_rule_set *set)
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

void pt_svc_rules_order(const struct pt_rule **rules, unsigned count)
{
    qsort(rules, count, sizeof(*rules), by_order);
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

/* The program's active stamp cards, compiled: each card's document is a purchase rule whose
 * one effect adds stamps to the card itself. */
static enum pt_rc stamp_rules_load(struct pt_store_txn *txn, const struct pt_program *program,
                                   struct pt_rule_set *set, struct pt_err *err)
{
    struct pt_stamp_card *cards = NULL;
    unsigned count = 0;
    unsigned i;
    struct pt_rule *compiled;
    enum pt_rc rc = pt_store_stamp_card_list(
        txn, program->id, true, NULL, PT_STAMP_CARDS_ACTIVE_MAX, &set->arena, &cards, &count, err);
    set->stamp_rules = pt_arena_alloc(&set->arena, (count ? count : 1) * sizeof(*set->stamp_rules));
    set->stamp_card_ids =
        pt_arena_alloc(&set->arena, (count ? count : 1) * sizeof(*set->stamp_card_ids));
    compiled = pt_arena_alloc(&set->arena, (count ? count : 1) * sizeof(*compiled));
    if (rc == PT_OK && pt_arena_failed(&set->arena)) {
        rc = pt_arena_err(&set->arena, err); /* One check for the three, filled below. */
    }
    set->stamp_cards = cards;
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_rule *r = &compiled[i];
        struct pt_err cerr;
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

/* Reads and compiles the program's active rules into a new set (refs 1). */
static enum pt_rc set_load(struct pt_store_txn *txn, const struct pt_program *program,
                           struct pt_rule_set **out, struct pt_err *err)
{
    struct pt_rule_set *set = pt_calloc(1, sizeof(*set));
    struct pt_rule_row *rows = NULL;
    struct pt_rule *compiled;
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
    compiled = pt_arena_alloc(&set->arena, (count ? count : 1) * sizeof(*compiled));
    set->tz = pt_arena_alloc(&set->arena, sizeof(*set->tz));
    if (rc == PT_OK && pt_arena_failed(&set->arena)) {
        rc = pt_arena_err(&set->arena, err); /* One check for the three, filled below. */
    }
    for (i = 0; rc == PT_OK && i < count; i++) {
        struct pt_rule *r = &compiled[i];
        struct pt_err cerr;
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
    if (rc == PT_OK && pt_arena_failed(&set->arena)) {
        /* A compilation that ran out of memory left its rule out (as one that no longer
         * compiles is): such a set must not be kept and used by the purchases after. */
        rc = pt_arena_err(&set->arena, err);
    }
    if (rc != PT_OK) {
        pt_arena_fini(&set->arena);
        pt_free(set);
        return rc;
    }
    pt_svc_rules_order(set->rules, set->count);
    (void)snprintf(set->zone, sizeof(set->zone), "%s",
                   program->time_zone != NULL ? program->time_zone : "UTC");
    if (pt_tz_load(program->time_zone != NULL ? program->time_zone : "UTC", set->tz, err) !=
        PT_OK) {
        /* The zone was valid when set; a system without it now falls back to UTC. */
        struct pt_err ignored;
        pt_log("error", "program time zone not found; using UTC", NULL);
        pt_err_clear(err);
        if (pt_tz_load("UTC", set->tz, &ignored) != PT_OK) {
            pt_assert(!"UTC needs no file");
        }
    }
    *out = set;
    return PT_OK;
}

enum pt_rc pt_svc_rule_set_get(struct pt_service *svc, struct pt_store_txn *txn,
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
    /* Install it: it is of the version this request read (versions are not ordered; a request
     * that reads another version loads its own set). */
    if (old != NULL) {
        old->installed = false;
        if (old->refs == 0) {
            pt_arena_fini(&old->arena);
            pt_free(old);
        }
    }
    svc->rule_sets[slot] = set;
    set->installed = true;
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
        rc = pt_svc_rule_set_get(svc, txn, &program, &set, err);
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
        pt_svc_rule_set_release(svc, set);
    }
    return rc;
}

void pt_svc_time_facts(const struct pt_tz *tz, int64_t now_ms, struct pt_rule_time *t)
{
    int64_t local_ms = now_ms + (int64_t)pt_tz_offset_s(tz, now_ms) * 1000;
    int64_t days = local_ms >= 0 ? local_ms / PT_DAY_MS : (local_ms - PT_DAY_MS + 1) / PT_DAY_MS;
    char stamp[40];
    memset(t, 0, sizeof(*t));
    t->now_ms = now_ms;
    t->weekday = ((days % 7 + 7) % 7 + 3) % 7 + 1; /* 1970-01-01 was a Thursday (4). */
    t->hour = (local_ms - days * PT_DAY_MS) / 3600000;
    pt_time_format_rfc3339(local_ms, stamp, sizeof(stamp));
    memcpy(t->date, stamp, 10);
    t->date[10] = '\0';
}

enum pt_rc pt_svc_local_date(struct pt_service *svc, struct pt_store_txn *txn,
                             const struct pt_program *program, int64_t at_ms, char *out,
                             struct pt_err *err)
{
    struct pt_rule_set *set = NULL;
    struct pt_rule_time t;
    enum pt_rc rc = pt_svc_rule_set_get(svc, txn, program, &set, err);
    if (rc != PT_OK) {
        return rc;
    }
    pt_svc_time_facts(set->tz, at_ms, &t);
    memcpy(out, t.date, sizeof(t.date));
    pt_svc_rule_set_release(svc, set);
    return PT_OK;
}
