/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: rule document bytes -> struct pt_rule (pt_rule_compile), then an evaluation of
 * the compiled rule against a fixed cart.
 * Properties: never crashes or leaks; a refusal is PT_EINVAL or PT_ELIMIT with an API code; a
 * compiled rule stays inside every limit of rules.h; its evaluation never discounts more than
 * the cart and never fails but for the arena.
 */
#include "fuzz_target.h"

#include "base/assert.h"
#include "core/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct pt_cart_item items[] = {{"beans", "coffee", 3, 1250, true},
                                                {"mug", "gear", 1, 900, true},
                                                {"cigs", "tobacco", 2, 700, false}};
    static const char *const coupons[] = {"SUMMER"};
    int64_t live;
    struct pt_arena arena;
    struct pt_rule *rule;
    struct pt_err err;
    fuzz_setup();
    live = pt_alloc_live_count();
    pt_arena_init(&arena, PT_REQUEST_ARENA_BYTES_MAX);
    pt_err_clear(&err);
    rule = pt_arena_alloc(&arena, sizeof(*rule));
    FUZZ_CHECK(rule != NULL);
    if (pt_rule_compile((const char *)data, size, &arena, rule, &err) == PT_OK) {
        const struct pt_rule *set[1] = {rule};
        struct pt_rule_room room = {INT64_MAX, INT64_MAX, INT64_MAX};
        struct pt_cart cart = {items, 3, "web", "berlin", coupons, 1, 0};
        struct pt_rule_member member = {true, "gold", "{\"vip\":true}", 5, 40, 3, "Berlin", "DE"};
        struct pt_rule_time time = {1764583200000LL, 1, 10, "2025-12-01"};
        struct pt_activity activity = {rule->activity_type, "{\"stars\":5}"};
        struct pt_eval_input in = {rule->trigger, rule->activity_type,
                                   &cart,         &member,
                                   &time,         &activity,
                                   {1, 100},      NULL,
                                   "EUR",         2};
        struct pt_eval_result out;
        enum pt_rc rc;
        FUZZ_CHECK(rule->node_count <= PT_RULE_NODES_MAX);
        FUZZ_CHECK(rule->effect_count >= 1 && rule->effect_count <= PT_RULE_EFFECTS_MAX);
        FUZZ_CHECK(rule->name != NULL && rule->valid_from_ms < rule->valid_to_ms);
        rc = pt_rules_evaluate(set, &room, 1, &in, &arena, &out, &err);
        FUZZ_CHECK(rc == PT_OK || rc == PT_ENOMEM || rc == PT_ELIMIT);
        FUZZ_CHECK(rc != PT_OK || (out.discount >= 0 && out.discount <= out.amount));
    } else {
        FUZZ_CHECK(err.rc == PT_EINVAL || err.rc == PT_ELIMIT || err.rc == PT_ENOMEM);
        FUZZ_CHECK(err.rc == PT_ENOMEM || err.code[0] != '\0');
    }
    pt_arena_fini(&arena);
    FUZZ_CHECK(pt_alloc_live_count() == live);
    return 0;
}
