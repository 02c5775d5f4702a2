/* SPDX-License-Identifier: MIT */
/*
 * The rules engine's worst cases (issue 16, docs/rules.md "What an evaluation may cost"): as
 * many copies of an expensive rule as the evaluation cost bound allows (or RULES), against a
 * cart of LINES lines, each evaluation with its own arena as a request has. Shapes: `in`
 * selects every line through the largest item selector (not any of 62 `in` lists of 32 SKUs
 * that no line has), `cmp` through 62 comparisons, `contains` through 62 searches of a long
 * text; each with eight free_items effects (the lines' prices rise, the order a dearest-first
 * sort likes least); `discount` has no selector and eight discounts. Prints one JSON line: the
 * evaluator's cost (pt_rules_eval_cost) and the fastest evaluation's CPU time of ROUNDS.
 *
 * Usage: rules_worst in|cmp|contains|discount [LINES [RULES]]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "core/rules.h"

#define ROUNDS 5

static int64_t cpu_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The document of a rule of the given shape into doc (size bytes); NULL for an unknown
 * shape. Each selects every line through the largest selector of its kind, or (discount) has
 * no selector and the most effects. */
static const char *shape_rule(const char *shape, char *doc, size_t size)
{
    size_t at = 0;
    int node;
    int value;
    bool in = strcmp(shape, "in") == 0;
    if (!in && strcmp(shape, "cmp") != 0 && strcmp(shape, "contains") != 0 &&
        strcmp(shape, "discount") != 0) {
        return NULL;
    }
    at += (size_t)snprintf(doc + at, size - at, "{\"name\":\"worst\",\"trigger\":\"purchase\",");
    if (strcmp(shape, "discount") != 0) {
        at += (size_t)snprintf(doc + at, size - at, "\"items\":{\"not\":{\"any\":[");
        for (node = 0; node < PT_RULE_NODES_MAX - 2; node++) {
            if (in) {
                at += (size_t)snprintf(doc + at, size - at, "%s{\"in\":[\"item.sku\",[",
                                       node ? "," : "");
                for (value = 0; value < PT_RULE_LIST_MAX; value++) {
                    at += (size_t)snprintf(doc + at, size - at, "%s\"%c%c\"", value ? "," : "",
                                           'a' + node % 26, 'a' + value % 26);
                }
                at += (size_t)snprintf(doc + at, size - at, "]]}");
            } else if (strcmp(shape, "cmp") == 0) {
                at += (size_t)snprintf(doc + at, size - at, "%s{\"gte\":[\"item.unit_price\",%d]}",
                                       node ? "," : "", 1000000 + node);
            } else {
                at += (size_t)snprintf(doc + at, size - at,
                                       "%s{\"contains\":[\"item.sku\",\"%0150d\"]}",
                                       node ? "," : "", node);
            }
        }
        at += (size_t)snprintf(doc + at, size - at, "]}},");
    }
    at += (size_t)snprintf(doc + at, size - at, "\"effects\":[");
    for (value = 0; value < PT_RULE_EFFECTS_MAX; value++) {
        at += (size_t)snprintf(doc + at, size - at, "%s%s", value ? "," : "",
                               strcmp(shape, "discount") == 0
                                   ? "{\"type\":\"discount\",\"percent\":1}"
                                   : "{\"type\":\"free_items\",\"buy\":1,\"get\":1}");
    }
    (void)snprintf(doc + at, size - at, "]}");
    return doc;
}

int main(int argc, char **argv)
{
    const char *shape = argc > 1 ? argv[1] : "in";
    unsigned lines = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : PT_CART_ITEMS_MAX;
    unsigned count = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
    static char doc[PT_RULE_DOC_BYTES_MAX];
    static struct pt_rule rules[PT_RULES_PER_PROGRAM_MAX];
    static const struct pt_rule *set[PT_RULES_PER_PROGRAM_MAX];
    static struct pt_rule_room room[PT_RULES_PER_PROGRAM_MAX];
    static struct pt_cart_item items[PT_CART_ITEMS_MAX];
    static char skus[PT_CART_ITEMS_MAX][8];
    struct pt_arena rules_arena;
    struct pt_err err;
    int64_t best = INT64_MAX;
    int64_t checksum = 0;
    int64_t cost;
    unsigned i;
    int round;
    if (shape_rule(shape, doc, sizeof(doc)) == NULL || count > PT_RULES_PER_PROGRAM_MAX ||
        lines > PT_CART_ITEMS_MAX) {
        fprintf(stderr, "usage: rules_worst in|cmp|contains|discount [LINES(0..%d) [RULES]]\n",
                PT_CART_ITEMS_MAX);
        return 2;
    }
    pt_arena_init(&rules_arena, 256 * 1024 * 1024);
    if (pt_rule_compile(doc, strlen(doc), &rules_arena, &rules[0], &err) != PT_OK) {
        fprintf(stderr, "rule: %s at %s (%zu bytes)\n", err.msg, err.field, strlen(doc));
        return 1;
    }
    set[0] = &rules[0];
    /* Without RULES: as many as the bound allows. */
    for (i = 1; count == 0 && i <= PT_RULES_PER_PROGRAM_MAX; i++) {
        if (pt_rules_eval_cost(set, 1, PT_TRIGGER_PURCHASE, lines) - lines -
                (int64_t)lines * lines / 2 >
            (PT_RULES_EVAL_COST_MAX - lines - (int64_t)lines * lines / 2) / (int64_t)i) {
            count = i - 1;
        }
    }
    count = count == 0 ? PT_RULES_PER_PROGRAM_MAX : count;
    for (i = 0; i < count; i++) {
        if (pt_rule_compile(doc, strlen(doc), &rules_arena, &rules[i], &err) != PT_OK) {
            fprintf(stderr, "rule: %s at %s (%zu bytes)\n", err.msg, err.field, strlen(doc));
            return 1;
        }
        (void)snprintf(rules[i].id, sizeof(rules[i].id), "rul_%04u", i);
        set[i] = &rules[i];
        pt_rule_room_unlimited(&room[i]);
    }
    for (i = 0; i < lines; i++) {
        (void)snprintf(skus[i], sizeof(skus[i]), "z%u", i);
        items[i].sku = skus[i];
        items[i].category = NULL;
        items[i].quantity = 1;
        items[i].unit_price = 100 + (int64_t)i;
        items[i].eligible = true;
    }
    {
        struct pt_cart cart = {items, lines, NULL, NULL, NULL, 0, 0, NULL};
        struct pt_rule_member member = {false, NULL, NULL, 0, 0, 0, NULL, NULL};
        struct pt_rule_time time = {1764583200000LL, 1, 10, "2025-12-01"};
        struct pt_eval_input in = {PT_TRIGGER_PURCHASE,
                                   NULL,
                                   &cart,
                                   &member,
                                   &time,
                                   NULL,
                                   {1, 100},
                                   NULL,
                                   NULL,
                                   0,
                                   "EUR",
                                   2};
        for (round = 0; round < ROUNDS; round++) {
            struct pt_arena arena;
            struct pt_eval_result out;
            int64_t start = cpu_ns();
            int64_t took;
            pt_arena_init(&arena, PT_REQUEST_ARENA_BYTES_MAX);
            if (pt_rules_evaluate(set, room, count, &in, &arena, &out, &err) != PT_OK) {
                printf("{\"shape\":\"%s\",\"rules\":%u,\"lines\":%u,\"refused\":\"%s\"}\n", shape,
                       count, lines, err.msg);
                pt_arena_fini(&arena);
                return 0;
            }
            took = cpu_ns() - start;
            checksum += out.discount;
            pt_arena_fini(&arena);
            best = took < best ? took : best;
        }
    }
    cost = pt_rules_eval_cost(set, count, PT_TRIGGER_PURCHASE, lines);
    printf("{\"shape\":\"%s\",\"rules\":%u,\"lines\":%u,\"cost\":%lld,\"bound\":%lld,"
           "\"cpu_ms\":%.3f,\"ns_per_unit\":%.2f,\"checksum\":%lld}\n",
           shape, count, lines, (long long)cost, (long long)PT_RULES_EVAL_COST_MAX,
           (double)best / 1e6, (double)best / (double)cost, (long long)checksum);
    pt_arena_fini(&rules_arena);
    return 0;
}
