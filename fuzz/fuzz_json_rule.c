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

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct pt_cart_item items[] = {{"beans", "coffee", 3, 1250, true, 0},
                                                {"mug", "gear", 1, 900, true, 0},
                                                {"cigs", "tobacco", 2, 700, false, 0}};
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
        struct pt_rule_room room;
        struct pt_cart cart = {items, 3, "web", "berlin", coupons, 1, 0, NULL};
        struct pt_rule_member member = {true, "gold", "{\"vip\":true}", 5, 40, 3, "Berlin", "DE"};
        struct pt_rule_time time = {1764583200000LL, 1, 10, "2025-12-01"};
        struct pt_activity activity = {rule->activity_type, "{\"stars\":5}"};
        /* The cards the rule stamps are active, so that add_stamps gives; a tier multiplies. */
        const char *cards[PT_RULE_EFFECTS_MAX];
        unsigned card_count = 0;
        static const struct pt_tier gold = {"gold", 100, 3, 2, NULL, 0};
        struct pt_eval_input in;
        unsigned e;
        for (e = 0; e < rule->effect_count; e++) {
            if (rule->effects[e].type == PT_EFFECT_ADD_STAMPS) {
                cards[card_count++] = rule->effects[e].card;
            }
        }
        memset(&in, 0, sizeof(in));
        in.trigger = rule->trigger;
        in.activity_type = rule->activity_type;
        in.cart = &cart;
        in.member = &member;
        in.time = &time;
        in.activity = &activity;
        in.earn_rate.points = 1;
        in.earn_rate.per_amount_minor = 100;
        in.tier = &gold;
        in.active_cards = cards;
        in.active_card_count = card_count;
        in.currency = "EUR";
        in.currency_exponent = 2;
        struct pt_eval_result out;
        enum pt_rc rc;
        FUZZ_CHECK(rule->node_count <= PT_RULE_NODES_MAX);
        FUZZ_CHECK(rule->effect_count >= 1 && rule->effect_count <= PT_RULE_EFFECTS_MAX);
        FUZZ_CHECK(rule->name != NULL && rule->valid_from_ms < rule->valid_to_ms);
        pt_rule_room_unlimited(&room);
        rc = pt_rules_evaluate(set, &room, 1, &in, &arena, &out, &err);
        FUZZ_CHECK(rc == PT_OK || rc == PT_ENOMEM || rc == PT_ELIMIT);
        FUZZ_CHECK(rc != PT_OK || (out.discount >= 0 && out.discount <= out.amount));
        /* Cashback is a share of what is left to pay; stamps are never negative. */
        FUZZ_CHECK(rc != PT_OK || (out.cashback >= 0 && out.cashback <= out.amount - out.discount));
        FUZZ_CHECK(rc != PT_OK || out.tier_points >= 0);
        for (e = 0; rc == PT_OK && e < out.outcome_count; e++) {
            FUZZ_CHECK(out.outcomes[e].stamps >= 0);
        }
    } else {
        FUZZ_CHECK(err.rc == PT_EINVAL || err.rc == PT_ELIMIT || err.rc == PT_ENOMEM);
        FUZZ_CHECK(err.rc == PT_ENOMEM || err.code[0] != '\0');
    }
    pt_arena_fini(&arena);
    FUZZ_CHECK(pt_alloc_live_count() == live);
    return 0;
}
