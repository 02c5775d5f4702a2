/* SPDX-License-Identifier: MIT */
/*
 * Micro-benchmark of the rules engine, in process: a 10-item cart evaluated against 200 active
 * rules of every kind (item selectors, thresholds, multipliers, discounts, free items, member
 * and time facts), about 130 of which fire. Each evaluation has its own arena, as a request
 * has. Five rounds; each round's median and p99 time per evaluation over batches of 100. The
 * machine is shared, and noise only ever adds time, so the report is the fastest round's
 * median (with the slowest beside it). Prints one JSON line for `make bench` (target: median
 * under 20 µs).
 *
 * Usage: rules_bench [evaluations]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "core/rules.h"

#define RULES 200
#define BATCH 100
#define ROUNDS 5

static const char *const templates[] = {
    "{\"name\":\"r%d\",\"trigger\":\"purchase\",\"priority\":%d,\"items\":{\"eq\":"
    "[\"item.category\",\"c%d\"]},\"effects\":[{\"type\":\"award_points\",\"multiplier\":2}]}",
    "{\"name\":\"r%d\",\"trigger\":\"purchase\",\"priority\":%d,\"conditions\":{\"all\":[{\"gte\":"
    "[\"cart.amount\",%d00]},{\"in\":[\"time.weekday\",[1,2,3,4,5]]}]},\"effects\":[{\"type\":"
    "\"award_points\",\"points\":50}]}",
    "{\"name\":\"r%d\",\"trigger\":\"purchase\",\"priority\":%d,\"items\":{\"in\":[\"item.sku\","
    "[\"s%d\",\"s1\",\"s2\"]]},\"conditions\":{\"gte\":[\"selected.quantity\",2]},\"effects\":"
    "[{\"type\":\"free_items\",\"buy\":2,\"get\":1}]}",
    "{\"name\":\"r%d\",\"trigger\":\"purchase\",\"priority\":%d,\"conditions\":{\"any\":[{\"eq\":"
    "[\"member.tier\",\"t%d\"]},{\"eq\":[\"member.attributes.vip\",true]}]},\"effects\":[{\"type\":"
    "\"discount\",\"percent\":5}]}",
    "{\"name\":\"r%d\",\"trigger\":\"purchase\",\"priority\":%d,\"conditions\":{\"not\":{\"eq\":"
    "[\"cart.channel\",\"c%d\"]}},\"effects\":[{\"type\":\"award_points\",\"points\":1,"
    "\"per_amount\":1000},{\"type\":\"message\",\"text\":\"thanks\"}]}",
};

static int64_t now_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_rule(const void *a, const void *b)
{
    return pt_rules_compare(*(const struct pt_rule *const *)a, *(const struct pt_rule *const *)b);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static struct pt_rule rules[RULES];
    const struct pt_rule *set[RULES];
    struct pt_rule_room room[RULES];
    struct pt_cart_item items[10];
    long evaluations = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    long batches = evaluations / BATCH;
    int64_t *per_eval;
    struct pt_arena rules_arena;
    struct pt_err err;
    int64_t checksum = 0;
    long b;
    int64_t best_median = INT64_MAX;
    int64_t worst_median = 0;
    int64_t best_p99 = 0;
    int round;
    int i;
    pt_arena_init(&rules_arena, 64 * 1024 * 1024);
    for (i = 0; i < RULES; i++) {
        char doc[1024];
        /* The templates are this file's own literals. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        (void)snprintf(doc, sizeof(doc), templates[i % 5], i, i % 17, i % 40);
#pragma GCC diagnostic pop
        if (pt_rule_compile(doc, strlen(doc), &rules_arena, &rules[i], &err) != PT_OK) {
            fprintf(stderr, "rule %d: %s at %s\n", i, err.msg, err.field);
            return 1;
        }
        (void)snprintf(rules[i].id, sizeof(rules[i].id), "rul_%04d", i);
        set[i] = &rules[i];
        pt_rule_room_unlimited(&room[i]);
    }
    /* Kept in evaluation order, as the service keeps its cache of a program's rules. */
    qsort(set, RULES, sizeof(set[0]), cmp_rule);
    for (i = 0; i < 10; i++) {
        static char skus[10][8];
        static char cats[10][8];
        (void)snprintf(skus[i], sizeof(skus[i]), "s%d", i);
        (void)snprintf(cats[i], sizeof(cats[i]), "c%d", i * 3);
        items[i].sku = skus[i];
        items[i].category = cats[i];
        items[i].quantity = 1 + i % 3;
        items[i].unit_price = 199 + 250 * i;
        items[i].eligible = i != 9;
    }
    {
        struct pt_cart cart = {items, 10, "web", "berlin", NULL, 0, 0, NULL};
        struct pt_rule_member member = {true,     "t7", "{\"vip\":false,\"visits\":3}", 5, 300, 12,
                                        "Berlin", "DE"};
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
        per_eval = calloc((size_t)(batches > 0 ? batches : 1), sizeof(*per_eval));
        for (round = 0; round < ROUNDS; round++) {
            for (b = 0; b < batches; b++) {
                int64_t start = now_ns();
                int k;
                for (k = 0; k < BATCH; k++) {
                    /* An arena per evaluation, as a request has. */
                    struct pt_arena arena;
                    struct pt_eval_result out;
                    pt_arena_init(&arena, PT_REQUEST_ARENA_BYTES_MAX);
                    if (pt_rules_evaluate(set, room, RULES, &in, &arena, &out, &err) != PT_OK) {
                        fprintf(stderr, "evaluate: %s\n", err.msg);
                        return 1;
                    }
                    checksum += out.points + out.discount;
                    pt_arena_fini(&arena);
                }
                per_eval[b] = (now_ns() - start) / BATCH;
            }
            qsort(per_eval, (size_t)batches, sizeof(*per_eval), cmp_i64);
            if (per_eval[batches / 2] < best_median) {
                best_median = per_eval[batches / 2];
                best_p99 = per_eval[batches * 99 / 100];
            }
            if (per_eval[batches / 2] > worst_median) {
                worst_median = per_eval[batches / 2];
            }
        }
    }
    printf("{\"rules\":%d,\"items\":10,\"evaluations_per_round\":%ld,\"rounds\":%d,"
           "\"median_ns\":%lld,\"p99_ns\":%lld,\"slowest_round_median_ns\":%lld,"
           "\"checksum\":%lld}\n",
           RULES, batches * BATCH, ROUNDS, (long long)best_median, (long long)best_p99,
           (long long)worst_median, (long long)checksum);
    free(per_eval);
    pt_arena_fini(&rules_arena);
    return 0;
}
