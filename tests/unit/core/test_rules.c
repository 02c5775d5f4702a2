/* SPDX-License-Identifier: MIT */
/*
 * Goal: the rules engine (src/core/rules*.c) compiles what docs/rules.md says, refuses the rest
 * with the JSON path of the problem, and evaluates every operator, effect, limit and the
 * stacking order exactly.
 * Method: table-driven compile errors; one case per sentence of the rules issue; cases per
 * operator; limits and stacking; a random sweep of carts and rules checking the invariants of
 * discounts (never below zero, lines add up to the total) and that evaluation is a function of
 * its input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/arena.h"
#include "core/coupon.h"
#include "core/rules.h"

#define MON_MS 1764547200000LL /* 2025-12-01T00:00:00Z, a Monday */

struct fixture {
    struct pt_arena arena;      /* The compiled rules. */
    struct pt_arena eval_arena; /* Evaluations. */
    struct pt_rule rules[8];
    const struct pt_rule *ptrs[8];
    struct pt_rule_room room[8];
    unsigned count;
    struct pt_cart_item items[16];
    struct pt_cart cart;
    struct pt_rule_member member;
    struct pt_rule_time time;
    struct pt_activity activity;
    struct pt_eval_input in;
    struct pt_eval_result out;
    struct pt_err err;
};

static struct fixture fx;

static int setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof(fx));
    pt_arena_init(&fx.arena, 4 * 1024 * 1024);
    pt_arena_init(&fx.eval_arena, 4 * 1024 * 1024);
    fx.cart.items = fx.items;
    fx.time.now_ms = MON_MS + 10 * 3600000LL;
    fx.time.weekday = 1;
    fx.time.hour = 10;
    memcpy(fx.time.date, "2025-12-01", 11);
    fx.in.trigger = PT_TRIGGER_PURCHASE;
    fx.in.cart = &fx.cart;
    fx.in.member = &fx.member;
    fx.in.time = &fx.time;
    fx.in.earn_rate.points = 1;
    fx.in.earn_rate.per_amount_minor = 100;
    fx.in.currency = "USD";
    fx.in.currency_exponent = 2;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    pt_arena_fini(&fx.arena);
    pt_arena_fini(&fx.eval_arena);
    return 0;
}

static void add_rule(const char *doc)
{
    struct pt_rule *r = &fx.rules[fx.count];
    enum pt_rc rc = pt_rule_compile(doc, strlen(doc), &fx.arena, r, &fx.err);
    if (rc != PT_OK) {
        fail_msg("compile: %s at %s: %s", fx.err.msg, fx.err.field, doc);
    }
    (void)snprintf(r->id, sizeof(r->id), "rul_%u", fx.count);
    fx.ptrs[fx.count] = r;
    pt_rule_room_unlimited(&fx.room[fx.count]);
    fx.count++;
}

static void add_item(const char *sku, const char *category, int64_t quantity, int64_t price)
{
    struct pt_cart_item *it = &fx.items[fx.cart.item_count++];
    it->sku = sku;
    it->category = category;
    it->quantity = quantity;
    it->unit_price = price;
    it->eligible = true;
}

static void evaluate(void)
{
    enum pt_rc rc =
        pt_rules_evaluate(fx.ptrs, fx.room, fx.count, &fx.in, &fx.eval_arena, &fx.out, &fx.err);
    if (rc != PT_OK) {
        fail_msg("evaluate: %s", fx.err.msg);
    }
}

/* ---- Compile errors: each names the JSON path of the problem ---- */

struct bad_rule {
    const char *doc;
    enum pt_rc rc;
    const char *field;
};

#define EFFECT ",\"effects\":[{\"type\":\"award_points\",\"points\":10}]"
#define PURCHASE "{\"name\":\"r\",\"trigger\":\"purchase\""

static const struct bad_rule bad_rules[] = {
    {"", PT_EINVAL, ""}, /* found by the fuzzer: no API code on a parse error */
    {"[1]", PT_EINVAL, ""},
    {"{\"name\":", PT_EINVAL, ""},
    {"{\"trigger\":\"purchase\"" EFFECT "}", PT_EINVAL, "name"},
    {PURCHASE EFFECT ",\"colour\":\"red\"}", PT_EINVAL, "colour"},
    {"{\"name\":\"r\",\"trigger\":\"sale\"" EFFECT "}", PT_EINVAL, "trigger"},
    {"{\"name\":\"r\",\"trigger\":\"activity:Bad Type\"" EFFECT "}", PT_EINVAL, "trigger"},
    {PURCHASE "}", PT_EINVAL, "effects"},
    {PURCHASE ",\"effects\":[]}", PT_EINVAL, "effects"},
    {PURCHASE ",\"conditions\":{\"all\":[{\"eq\":[\"cart.channel\",\"web\"]},"
              "{\"gte\":[\"cart.amount\",50.5]}]}" EFFECT "}",
     PT_EINVAL, "conditions.all.1.gte.1"},
    {PURCHASE ",\"conditions\":{\"eq\":[\"cart.colour\",\"red\"]}" EFFECT "}", PT_EINVAL,
     "conditions.eq.0"},
    {PURCHASE ",\"conditions\":{\"like\":[\"cart.channel\",\"web\"]}" EFFECT "}", PT_EINVAL,
     "conditions.like"},
    {PURCHASE ",\"conditions\":{\"eq\":[\"cart.channel\",\"web\"],\"ne\":[\"cart.channel\","
              "\"x\"]}" EFFECT "}",
     PT_EINVAL, "conditions"},
    {PURCHASE ",\"conditions\":{\"eq\":[\"item.sku\",\"A\"]}" EFFECT "}", PT_EINVAL,
     "conditions.eq.0"},
    {PURCHASE ",\"items\":{\"eq\":[\"cart.channel\",\"web\"]}" EFFECT "}", PT_EINVAL, "items.eq.0"},
    {PURCHASE ",\"conditions\":{\"gte\":[\"selected.quantity\",3]}" EFFECT "}", PT_EINVAL,
     "conditions.gte.0"},
    {PURCHASE ",\"conditions\":{\"eq\":[\"time.weekday\",8]}" EFFECT "}", PT_EINVAL,
     "conditions.eq.1"},
    {PURCHASE ",\"conditions\":{\"eq\":[\"time.date\",\"1 May\"]}" EFFECT "}", PT_EINVAL,
     "conditions.eq.1"},
    {PURCHASE ",\"conditions\":{\"eq\":[\"cart.amount\",\"5000\"]}" EFFECT "}", PT_EINVAL,
     "conditions.eq.1"},
    {PURCHASE ",\"conditions\":{\"eq\":[\"cart.coupons\",\"X\"]}" EFFECT "}", PT_EINVAL,
     "conditions.eq"},
    {PURCHASE ",\"conditions\":{\"between\":[\"cart.amount\",1]}" EFFECT "}", PT_EINVAL,
     "conditions.between"},
    {PURCHASE ",\"conditions\":{\"in\":[\"cart.channel\",[]]}" EFFECT "}", PT_EINVAL,
     "conditions.in.1"},
    {PURCHASE ",\"conditions\":{\"in\":[\"cart.channel\",[\"web\",3]]}" EFFECT "}", PT_EINVAL,
     "conditions.in.1.1"},
    {PURCHASE ",\"conditions\":{\"lt\":[\"member.attributes.vip\",true]}" EFFECT "}", PT_EINVAL,
     "conditions.lt"},
    {PURCHASE ",\"conditions\":{\"eq\":[\"member.attributes.\",1]}" EFFECT "}", PT_EINVAL,
     "conditions.eq.0"},
    {PURCHASE ",\"conditions\":{\"eq\":[\"activity.stars\",5]}" EFFECT "}", PT_EINVAL,
     "conditions.eq.0"},
    {PURCHASE ",\"conditions\":{\"not\":[]}" EFFECT "}", PT_EINVAL, "conditions.not"},
    {PURCHASE ",\"conditions\":{\"all\":[]}" EFFECT "}", PT_EINVAL, "conditions.all"},
    {PURCHASE ",\"conditions\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":"
              "{\"not\":{\"eq\":[\"cart.channel\",\"web\"]}}}}}}}}}" EFFECT "}",
     PT_ELIMIT, "conditions.not.not.not.not.not.not.not.not"},
    {PURCHASE ",\"effects\":[{\"points\":1}]}", PT_EINVAL, "effects.0"},
    {PURCHASE ",\"effects\":[{\"type\":\"teleport\"}]}", PT_EINVAL, "effects.0.type"},
    {PURCHASE ",\"effects\":[{\"type\":\"award_points\",\"points\":1,\"multiplier\":2}]}",
     PT_EINVAL, "effects.0"},
    {PURCHASE ",\"effects\":[{\"type\":\"award_points\",\"multiplier\":1.234}]}", PT_EINVAL,
     "effects.0.multiplier"},
    {PURCHASE ",\"effects\":[{\"type\":\"award_points\",\"points\":0}]}", PT_EINVAL,
     "effects.0.points"},
    {PURCHASE ",\"effects\":[{\"type\":\"award_points\",\"points\":1,\"on\":\"items\"}]}",
     PT_EINVAL, "effects.0.on"},
    {PURCHASE ",\"effects\":[{\"type\":\"discount\",\"percent\":101}]}", PT_EINVAL,
     "effects.0.percent"},
    {PURCHASE ",\"effects\":[{\"type\":\"discount\",\"percent\":10,\"amount\":5}]}", PT_EINVAL,
     "effects.0"},
    {PURCHASE ",\"effects\":[{\"type\":\"free_items\",\"buy\":3}]}", PT_EINVAL, "effects.0.get"},
    {PURCHASE ",\"effects\":[{\"type\":\"message\",\"text\":\"\"}]}", PT_EINVAL, "effects.0.text"},
    {PURCHASE ",\"effects\":[{\"type\":\"free_shipping\",\"over\":40}]}", PT_EINVAL,
     "effects.0.over"},
    {"{\"name\":\"r\",\"trigger\":\"activity:review\",\"effects\":[{\"type\":\"discount\","
     "\"percent\":5}]}",
     PT_EINVAL, "effects.0.type"},
    {"{\"name\":\"r\",\"trigger\":\"birthday\",\"effects\":[{\"type\":\"award_points\","
     "\"multiplier\":2}]}",
     PT_EINVAL, "effects.0"},
    {"{\"name\":\"r\",\"trigger\":\"enrollment\",\"conditions\":{\"gte\":[\"cart.amount\",1]"
     "}" EFFECT "}",
     PT_EINVAL, "conditions.gte.0"},
    {PURCHASE EFFECT ",\"priority\":1.5}", PT_EINVAL, "priority"},
    {PURCHASE EFFECT ",\"valid_from\":\"2026-02-01T00:00:00Z\",\"valid_to\":\"2026-01-01T00:00:"
                     "00Z\"}",
     PT_EINVAL, "valid_to"},
    {PURCHASE EFFECT ",\"status\":\"live\"}", PT_EINVAL, "status"},
    {PURCHASE EFFECT ",\"budget_points\":0}", PT_EINVAL, "budget_points"},
    {PURCHASE EFFECT ",\"exclusive\":\"yes\"}", PT_EINVAL, "exclusive"},
    /* issue_coupon: a reward's id, one per rule, no other field. */
    {PURCHASE ",\"effects\":[{\"type\":\"issue_coupon\"}]}", PT_EINVAL, "effects.0.reward"},
    {PURCHASE ",\"effects\":[{\"type\":\"issue_coupon\",\"reward\":\"stc_1\"}]}", PT_EINVAL,
     "effects.0.reward"},
    {PURCHASE ",\"effects\":[{\"type\":\"issue_coupon\",\"reward\":7}]}", PT_EINVAL,
     "effects.0.reward"},
    {PURCHASE ",\"effects\":[{\"type\":\"issue_coupon\",\"reward\":\"rwd_"
              "0123456789012345678901234567890123456789012345678901234567890123\"}]}",
     PT_EINVAL, "effects.0.reward"},
    {PURCHASE ",\"effects\":[{\"type\":\"issue_coupon\",\"reward\":\"rwd_1\",\"points\":5}]}",
     PT_EINVAL, "effects.0.points"},
    {PURCHASE ",\"effects\":[{\"type\":\"issue_coupon\",\"reward\":\"rwd_1\",\"on\":\"cart\"}"
              "]}",
     PT_EINVAL, "effects.0.on"},
    {PURCHASE ",\"effects\":[{\"type\":\"award_points\",\"points\":1},{\"type\":"
              "\"issue_coupon\",\"reward\":\"rwd_1\"},{\"type\":\"issue_coupon\",\"reward\":"
              "\"rwd_2\"}]}",
     PT_EINVAL, "effects.2"},
};

static void test_pt_rule_compile__refuses_with_the_json_path(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++) {
        struct pt_rule r;
        enum pt_rc rc =
            pt_rule_compile(bad_rules[i].doc, strlen(bad_rules[i].doc), &fx.arena, &r, &fx.err);
        if (rc != bad_rules[i].rc || strcmp(fx.err.field, bad_rules[i].field) != 0) {
            fail_msg("case %zu: rc %d field '%s' (%s), want rc %d field '%s'", i, rc, fx.err.field,
                     fx.err.msg, bad_rules[i].rc, bad_rules[i].field);
        }
        assert_string_equal(fx.err.code, rc == PT_ELIMIT ? "limit_exceeded" : "validation_failed");
    }
}

static void test_pt_rule_compile__node_limit(void **state)
{
    char doc[PT_RULE_DOC_BYTES_MAX];
    size_t n = 0;
    unsigned i;
    struct pt_rule r;
    (void)state;
    n += (size_t)snprintf(doc + n, sizeof(doc) - n, PURCHASE ",\"conditions\":{\"any\":[");
    for (i = 0; i < PT_RULE_NODES_MAX; i++) {
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s{\"eq\":[\"cart.channel\",\"c%u\"]}",
                              i ? "," : "", i);
    }
    (void)snprintf(doc + n, sizeof(doc) - n, "]}" EFFECT "}");
    assert_int_equal(pt_rule_compile(doc, strlen(doc), &fx.arena, &r, &fx.err), PT_ELIMIT);
    assert_string_equal(fx.err.code, "limit_exceeded");
}

static void test_pt_rule_compile__reads_every_field(void **state)
{
    static const char doc[] =
        "{\"name\":\"Summer\",\"trigger\":\"purchase\",\"priority\":7,\"exclusive\":true,"
        "\"valid_from\":\"2026-06-01T00:00:00Z\",\"valid_to\":\"2026-09-01T00:00:00Z\","
        "\"status\":\"active\",\"max_uses_per_member\":2,\"max_points_per_member_per_day\":500,"
        "\"budget_points\":100000,\"effects\":[{\"type\":\"award_points\",\"multiplier\":1.5}]}";
    struct pt_rule r;
    (void)state;
    assert_int_equal(pt_rule_compile(doc, strlen(doc), &fx.arena, &r, &fx.err), PT_OK);
    assert_string_equal(r.name, "Summer");
    assert_int_equal(r.priority, 7);
    assert_true(r.exclusive);
    assert_int_equal(r.status, PT_RULE_ACTIVE);
    assert_int_equal(r.max_uses_per_member, 2);
    assert_int_equal(r.max_points_per_member_per_day, 500);
    assert_int_equal(r.budget_points, 100000);
    assert_int_equal(r.effects[0].multiplier_pct, 150);
    assert_int_equal(r.valid_to_ms - r.valid_from_ms, 92LL * 86400000);
    assert_int_equal(r.root, -1);
}

/* public and description (the offers members see): absent is false and NULL; a description of
 * PT_RULE_DESCRIPTION_BYTES_MAX bytes is taken, one more byte is a limit naming the field. */
static void test_pt_rule_compile__public_and_description(void **state)
{
    char doc[PT_RULE_DESCRIPTION_BYTES_MAX + 256];
    char text[PT_RULE_DESCRIPTION_BYTES_MAX + 2];
    static const char head[] = "{\"name\":\"N\",\"trigger\":\"purchase\",\"effects\":"
                               "[{\"type\":\"award_points\",\"points\":1}]";
    struct pt_rule r;
    (void)state;
    (void)snprintf(doc, sizeof(doc), "%s}", head);
    assert_int_equal(pt_rule_compile(doc, strlen(doc), &fx.arena, &r, &fx.err), PT_OK);
    assert_false(r.is_public);
    assert_null(r.description);
    memset(text, 'd', PT_RULE_DESCRIPTION_BYTES_MAX);
    text[PT_RULE_DESCRIPTION_BYTES_MAX] = '\0';
    (void)snprintf(doc, sizeof(doc), "%s,\"public\":true,\"description\":\"%s\"}", head, text);
    assert_int_equal(pt_rule_compile(doc, strlen(doc), &fx.arena, &r, &fx.err), PT_OK);
    assert_true(r.is_public);
    assert_int_equal(strlen(r.description), PT_RULE_DESCRIPTION_BYTES_MAX);
    text[PT_RULE_DESCRIPTION_BYTES_MAX] = 'd';
    text[PT_RULE_DESCRIPTION_BYTES_MAX + 1] = '\0';
    (void)snprintf(doc, sizeof(doc), "%s,\"description\":\"%s\"}", head, text);
    assert_int_equal(pt_rule_compile(doc, strlen(doc), &fx.arena, &r, &fx.err), PT_ELIMIT);
    assert_string_equal(fx.err.field, "description");
    (void)snprintf(doc, sizeof(doc), "%s,\"public\":\"yes\"}", head);
    assert_int_equal(pt_rule_compile(doc, strlen(doc), &fx.arena, &r, &fx.err), PT_EINVAL);
    assert_string_equal(fx.err.field, "public");
    (void)snprintf(doc, sizeof(doc), "%s,\"description\":\"\"}", head);
    assert_int_equal(pt_rule_compile(doc, strlen(doc), &fx.arena, &r, &fx.err), PT_EINVAL);
    assert_string_equal(fx.err.field, "description");
}

/* issue_coupon is a gift as fixed points are: any trigger may give it. */
static void test_pt_rule_compile__issue_coupon_on_every_trigger(void **state)
{
    static const char *const triggers[] = {"purchase", "activity:review", "enrollment", "birthday"};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++) {
        char doc[256];
        struct pt_rule r;
        (void)snprintf(doc, sizeof(doc),
                       "{\"name\":\"r\",\"trigger\":\"%s\",\"effects\":[{\"type\":"
                       "\"issue_coupon\",\"reward\":\"rwd_01J\"}]}",
                       triggers[i]);
        assert_int_equal(pt_rule_compile(doc, strlen(doc), &fx.arena, &r, &fx.err), PT_OK);
        assert_int_equal(r.effects[0].type, PT_EFFECT_ISSUE_COUPON);
        assert_string_equal(r.effects[0].reward, "rwd_01J");
    }
}

/* A rule whose only effect is a coupon fires (an outcome naming the reward) when its
 * conditions hold, takes nothing off and gives no points; an exclusive one ends the
 * evaluation as a rule that gives something does. */
static void test_issue_coupon_is_an_outcome_that_gives_a_coupon(void **state)
{
    (void)state;
    add_rule("{\"name\":\"Coupon over 50\",\"trigger\":\"purchase\",\"exclusive\":true,"
             "\"priority\":5,\"conditions\":{\"gte\":[\"cart.amount\",5000]},\"effects\":"
             "[{\"type\":\"issue_coupon\",\"reward\":\"rwd_A\"}]}");
    add_rule("{\"name\":\"Bonus\",\"trigger\":\"purchase\",\"effects\":[{\"type\":"
             "\"award_points\",\"points\":7}]}");
    add_item("A", NULL, 1, 4000);
    evaluate();
    assert_int_equal(fx.out.outcome_count, 1);
    assert_null(fx.out.outcomes[0].coupon_reward);
    assert_int_equal(fx.out.rule_points, 7);
    fx.items[0].unit_price = 6000;
    evaluate();
    assert_int_equal(fx.out.outcome_count, 1); /* Exclusive: the bonus is not evaluated. */
    assert_int_equal(fx.out.outcomes[0].rule, 0);
    assert_string_equal(fx.out.outcomes[0].coupon_reward, "rwd_A");
    assert_int_equal(fx.out.outcomes[0].points, 0);
    assert_int_equal(fx.out.discount, 0);
    assert_int_equal(fx.out.points, 60);
}

/* ---- The ten sentences of the issue ---- */

static void test_double_points_on_weekends(void **state)
{
    (void)state;
    add_rule("{\"name\":\"Double weekends\",\"trigger\":\"purchase\",\"conditions\":{\"in\":"
             "[\"time.weekday\",[6,7]]},\"effects\":[{\"type\":\"award_points\",\"multiplier\":2}]"
             "}");
    add_item("A", "food", 1, 5000);
    evaluate();
    assert_int_equal(fx.out.base_points, 50);
    assert_int_equal(fx.out.rule_points, 0);
    fx.time.weekday = 6;
    evaluate();
    assert_int_equal(fx.out.rule_points, 50);
    assert_int_equal(fx.out.points, 100);
    assert_int_equal(fx.out.outcome_count, 1);
}

static void test_triple_points_on_coffee_beans(void **state)
{
    (void)state;
    add_rule("{\"name\":\"3x beans\",\"trigger\":\"purchase\",\"items\":{\"eq\":"
             "[\"item.category\",\"coffee\"]},\"effects\":[{\"type\":\"award_points\","
             "\"multiplier\":3}]}");
    add_item("beans", "coffee", 2, 1000);
    add_item("tea", "tea", 1, 550);
    evaluate();
    assert_int_equal(fx.out.base_points, 25); /* floor(2550 / 100) */
    assert_int_equal(fx.out.rule_points, 40); /* 20 base on the beans, 2 × more */
}

static void test_spend_50_get_100_and_its_nudge(void **state)
{
    (void)state;
    add_rule("{\"name\":\"100 over 50\",\"trigger\":\"purchase\",\"conditions\":{\"gte\":"
             "[\"cart.amount\",5000]},\"effects\":[{\"type\":\"award_points\",\"points\":100}]}");
    add_item("A", NULL, 1, 3750);
    evaluate();
    assert_int_equal(fx.out.rule_points, 0);
    assert_int_equal(fx.out.nudge_count, 1);
    assert_int_equal(fx.out.nudges[0].missing, 1250);
    assert_string_equal(fx.out.nudges[0].text, "spend 12.50 USD more: 100 over 50");
    fx.items[0].unit_price = 2000; /* 30.00 missing: more than half of 50.00, no nudge */
    evaluate();
    assert_int_equal(fx.out.nudge_count, 0);
    fx.items[0].unit_price = 5000;
    evaluate();
    assert_int_equal(fx.out.rule_points, 100);
    assert_int_equal(fx.out.nudge_count, 0);
}

static void test_buy_3_courses_get_the_4th_free(void **state)
{
    (void)state;
    add_rule("{\"name\":\"4th course free\",\"trigger\":\"purchase\",\"items\":{\"eq\":"
             "[\"item.category\",\"course\"]},\"effects\":[{\"type\":\"free_items\",\"buy\":3,"
             "\"get\":1}]}");
    add_item("c1", "course", 1, 400);
    add_item("c2", "course", 2, 100);
    add_item("book", "book", 1, 999);
    evaluate();
    /* 3 courses: none free yet, one more gives a free one. */
    assert_int_equal(fx.out.discount, 0);
    assert_int_equal(fx.out.nudge_count, 1);
    assert_string_equal(fx.out.nudges[0].text, "1 more for a free one: 4th course free");
    add_item("c3", "course", 1, 300);
    evaluate();
    /* Dearest first: 400, 300, 100, 100: the last of the group (100) is free. */
    assert_int_equal(fx.out.discount, 100);
    assert_int_equal(fx.out.line_discount[1], 100);
    assert_int_equal(fx.out.outcomes[0].free_units, 1);
    assert_int_equal(fx.out.nudge_count, 0);
    assert_int_equal(fx.out.base_points, (400 + 200 + 999 + 300 - 100) / 100);
}

static void test_ten_percent_off_for_members(void **state)
{
    (void)state;
    add_rule("{\"name\":\"Members 10%\",\"trigger\":\"purchase\",\"conditions\":{\"gte\":"
             "[\"member.days_since_enrollment\",0]},\"effects\":[{\"type\":\"discount\","
             "\"percent\":10}]}");
    add_item("A", NULL, 1, 1999);
    add_item("B", NULL, 3, 333);
    evaluate(); /* A guest: no member facts. */
    assert_int_equal(fx.out.discount, 0);
    fx.member.known = true;
    evaluate();
    /* 10% of 29.98 is 2.99 (floored once, not per line: that gave 2.98), split by what is
     * left of each line: 199.37 and 99.63, the unit left over to the larger remainder. */
    assert_int_equal(fx.out.line_discount[0], 199);
    assert_int_equal(fx.out.line_discount[1], 100);
    assert_int_equal(fx.out.discount, 299);
    assert_int_equal(fx.out.base_points, (2998 - 299) / 100);
}

static void test_free_shipping_over_40(void **state)
{
    (void)state;
    add_rule("{\"name\":\"Free shipping\",\"trigger\":\"purchase\",\"conditions\":{\"gte\":"
             "[\"cart.amount\",4000]},\"effects\":[{\"type\":\"free_shipping\"},{\"type\":"
             "\"message\",\"text\":\"Shipping is on us\"}]}");
    add_item("A", NULL, 1, 3999);
    evaluate();
    assert_false(fx.out.free_shipping);
    assert_int_equal(fx.out.message_count, 0);
    fx.items[0].unit_price = 4000;
    evaluate();
    assert_true(fx.out.free_shipping);
    assert_int_equal(fx.out.message_count, 1);
    assert_string_equal(fx.out.messages[0], "Shipping is on us");
}

static void test_activity_enrollment_and_birthday_rules(void **state)
{
    (void)state;
    add_rule("{\"name\":\"Review\",\"trigger\":\"activity:review\",\"conditions\":{\"gte\":"
             "[\"activity.stars\",1]},\"effects\":[{\"type\":\"award_points\",\"points\":200}]}");
    add_rule("{\"name\":\"Birthday\",\"trigger\":\"birthday\",\"effects\":[{\"type\":"
             "\"award_points\",\"points\":500}]}");
    add_rule("{\"name\":\"Welcome\",\"trigger\":\"enrollment\",\"effects\":[{\"type\":"
             "\"award_points\",\"points\":100}]}");
    fx.member.known = true;
    fx.in.cart = NULL;
    fx.in.trigger = PT_TRIGGER_ACTIVITY;
    fx.in.activity_type = "review";
    fx.activity.type = "review";
    fx.activity.properties = "{\"stars\":4,\"product\":\"P-1\"}";
    fx.in.activity = &fx.activity;
    evaluate();
    assert_int_equal(fx.out.points, 200);
    assert_int_equal(fx.out.base_points, 0);
    fx.in.activity_type = "survey";
    evaluate();
    assert_int_equal(fx.out.points, 0);
    fx.in.trigger = PT_TRIGGER_BIRTHDAY;
    evaluate();
    assert_int_equal(fx.out.points, 500);
    assert_int_equal(fx.out.outcomes[0].rule, 1);
    fx.in.trigger = PT_TRIGGER_ENROLLMENT;
    evaluate();
    assert_int_equal(fx.out.points, 100);
}

/* ---- Operators ---- */

struct op_case {
    const char *condition;
    bool fires;
};

static const struct op_case op_cases[] = {
    {"{\"eq\":[\"cart.channel\",\"web\"]}", true},
    {"{\"eq\":[\"cart.channel\",\"store\"]}", false},
    {"{\"ne\":[\"cart.channel\",\"store\"]}", true},
    {"{\"ne\":[\"member.tier\",\"gold\"]}", true}, /* absent is not equal */
    {"{\"eq\":[\"member.tier\",\"gold\"]}", false},
    {"{\"lt\":[\"cart.amount\",2501]}", true},
    {"{\"lt\":[\"cart.amount\",2500]}", false},
    {"{\"lte\":[\"cart.amount\",2500]}", true},
    {"{\"gt\":[\"cart.amount\",2500]}", false},
    {"{\"gte\":[\"cart.amount\",2500]}", true},
    {"{\"gt\":[\"cart.item_count\",2]}", true},
    {"{\"in\":[\"cart.location\",[\"berlin\",\"paris\"]]}", true},
    {"{\"in\":[\"cart.location\",[\"rome\"]]}", false},
    {"{\"between\":[\"time.hour\",9,17]}", true},
    {"{\"between\":[\"time.hour\",11,17]}", false},
    {"{\"between\":[\"time.date\",\"2025-11-01\",\"2025-12-01\"]}", true},
    {"{\"gte\":[\"time.date\",\"2025-12-02\"]}", false},
    {"{\"contains\":[\"cart.coupons\",\"SUMMER\"]}", true},
    {"{\"contains\":[\"cart.coupons\",\"WINTER\"]}", false},
    {"{\"contains\":[\"member.city\",\"erl\"]}", true},
    {"{\"eq\":[\"member.attributes.vip\",true]}", true},
    {"{\"eq\":[\"member.attributes.vip\",false]}", false},
    {"{\"gte\":[\"member.attributes.visits\",3]}", true},
    {"{\"eq\":[\"member.attributes.missing\",1]}", false},
    {"{\"eq\":[\"member.attributes.visits\",\"3\"]}", false}, /* kinds differ */
    {"{\"eq\":[\"member.birth_month\",12]}", true},
    {"{\"gte\":[\"member.purchase_count\",5]}", false},
    {"{\"eq\":[\"member.country\",\"DE\"]}", true},
    {"{\"all\":[{\"eq\":[\"cart.channel\",\"web\"]},{\"eq\":[\"time.weekday\",1]}]}", true},
    {"{\"all\":[{\"eq\":[\"cart.channel\",\"web\"]},{\"eq\":[\"time.weekday\",2]}]}", false},
    {"{\"any\":[{\"eq\":[\"cart.channel\",\"app\"]},{\"eq\":[\"time.weekday\",1]}]}", true},
    {"{\"any\":[{\"eq\":[\"cart.channel\",\"app\"]},{\"eq\":[\"time.weekday\",2]}]}", false},
    {"{\"not\":{\"eq\":[\"cart.channel\",\"app\"]}}", true},
    {"{\"not\":{\"eq\":[\"cart.channel\",\"web\"]}}", false},
};

static void test_every_operator(void **state)
{
    size_t i;
    (void)state;
    fx.member.known = true;
    fx.member.city = "Berlin";
    fx.member.country = "DE";
    fx.member.birth_month = 12;
    fx.member.purchase_count = 4;
    fx.member.attributes = "{\"vip\":true,\"visits\":3}";
    fx.cart.channel = "web";
    fx.cart.location = "berlin";
    {
        static const char *const coupons[] = {"SUMMER"};
        fx.cart.coupons = coupons;
        fx.cart.coupon_count = 1;
    }
    add_item("A", NULL, 2, 1000);
    add_item("B", NULL, 1, 500);
    for (i = 0; i < sizeof(op_cases) / sizeof(op_cases[0]); i++) {
        char doc[1024];
        (void)snprintf(doc, sizeof(doc),
                       "{\"name\":\"op\",\"trigger\":\"purchase\",\"conditions\":%s,"
                       "\"effects\":[{\"type\":\"award_points\",\"points\":7}]}",
                       op_cases[i].condition);
        fx.count = 0;
        add_rule(doc);
        evaluate();
        if ((fx.out.rule_points == 7) != op_cases[i].fires) {
            fail_msg("case %zu %s: points %lld", i, op_cases[i].condition,
                     (long long)fx.out.rule_points);
        }
    }
}

/* ---- Limits and stacking ---- */

static void test_limits_cap_and_stop_a_rule(void **state)
{
    (void)state;
    add_rule("{\"name\":\"Bonus\",\"trigger\":\"purchase\",\"effects\":[{\"type\":"
             "\"award_points\",\"points\":100}]}");
    add_item("A", NULL, 1, 1000);
    fx.room[0].points_today = 30;
    evaluate();
    assert_int_equal(fx.out.rule_points, 30);
    assert_true(fx.out.outcomes[0].capped);
    fx.room[0].points_today = INT64_MAX;
    fx.room[0].budget = 12;
    evaluate();
    assert_int_equal(fx.out.rule_points, 12);
    fx.room[0].budget = 0;
    evaluate();
    assert_int_equal(fx.out.outcome_count, 0);
    fx.room[0].budget = INT64_MAX;
    fx.room[0].uses = 0;
    evaluate();
    assert_int_equal(fx.out.outcome_count, 0);
}

static void test_validity_window(void **state)
{
    (void)state;
    add_rule("{\"name\":\"Dec\",\"trigger\":\"purchase\",\"valid_from\":\"2025-12-01T10:00:00Z\","
             "\"valid_to\":\"2025-12-02T00:00:00Z\",\"effects\":[{\"type\":\"award_points\","
             "\"points\":5}]}");
    add_item("A", NULL, 1, 100);
    evaluate();
    assert_int_equal(fx.out.rule_points, 5); /* from is inclusive */
    fx.time.now_ms -= 1;
    evaluate();
    assert_int_equal(fx.out.rule_points, 0);
    fx.time.now_ms = MON_MS + 86400000LL; /* to is exclusive */
    evaluate();
    assert_int_equal(fx.out.rule_points, 0);
}

static void test_priority_order_and_exclusive(void **state)
{
    (void)state;
    /* Listed low first: evaluation still goes by priority. */
    add_rule("{\"name\":\"10% off\",\"trigger\":\"purchase\",\"priority\":1,\"effects\":"
             "[{\"type\":\"discount\",\"percent\":10}]}");
    add_rule("{\"name\":\"5.00 off\",\"trigger\":\"purchase\",\"priority\":9,\"effects\":"
             "[{\"type\":\"discount\",\"amount\":500}]}");
    add_item("A", NULL, 1, 10000);
    evaluate();
    /* 5.00 first (priority 9), then 10% of the 95.00 left. */
    assert_int_equal(fx.out.outcomes[0].rule, 1);
    assert_int_equal(fx.out.outcomes[0].discount, 500);
    assert_int_equal(fx.out.outcomes[1].discount, 950);
    assert_int_equal(fx.out.discount, 1450);
    add_rule("{\"name\":\"Only this\",\"trigger\":\"purchase\",\"priority\":5,\"exclusive\":true,"
             "\"effects\":[{\"type\":\"award_points\",\"points\":1}]}");
    evaluate();
    assert_int_equal(fx.out.outcome_count, 2); /* 5.00 off, then the exclusive one: stop */
    assert_int_equal(fx.out.discount, 500);
    assert_int_equal(fx.out.rule_points, 1);
}

static void test_amount_discounts_split_exactly_and_stop_at_zero(void **state)
{
    (void)state;
    add_rule("{\"name\":\"10.00 off\",\"trigger\":\"purchase\",\"effects\":[{\"type\":"
             "\"discount\",\"amount\":1000}]}");
    add_item("A", NULL, 1, 3333);
    add_item("B", NULL, 1, 3333);
    add_item("C", NULL, 1, 3334);
    evaluate();
    assert_int_equal(fx.out.discount, 1000);
    assert_int_equal(fx.out.line_discount[0] + fx.out.line_discount[1] + fx.out.line_discount[2],
                     1000);
    assert_int_equal(fx.out.line_discount[2], 334); /* the largest remainder gets the unit */
    fx.cart.item_count = 1;
    fx.items[0].unit_price = 250;
    evaluate();
    assert_int_equal(fx.out.discount, 250); /* never below zero */
    assert_int_equal(fx.out.base_points, 0);
}

static void test_per_amount_points_and_excluded_items(void **state)
{
    (void)state;
    add_rule("{\"name\":\"2 per euro on wine\",\"trigger\":\"purchase\",\"items\":{\"eq\":"
             "[\"item.category\",\"wine\"]},\"effects\":[{\"type\":\"award_points\",\"points\":2,"
             "\"per_amount\":100}]}");
    add_item("red", "wine", 2, 1250);
    add_item("cigs", "tobacco", 1, 900);
    fx.items[1].eligible = false;
    evaluate();
    assert_int_equal(fx.out.base_points, 25);
    assert_int_equal(fx.out.rule_points, 50);
}

static void test_cart_limits(void **state)
{
    unsigned i;
    (void)state;
    for (i = 0; i < 16; i++) {
        add_item("A", NULL, 1, 1);
    }
    fx.cart.item_count = PT_CART_ITEMS_MAX + 1;
    assert_int_equal(pt_rules_evaluate(fx.ptrs, fx.room, 0, &fx.in, &fx.arena, &fx.out, &fx.err),
                     PT_ELIMIT);
    fx.cart.item_count = 1;
    fx.items[0].quantity = INT64_MAX;
    fx.items[0].unit_price = 2;
    assert_int_equal(pt_rules_evaluate(fx.ptrs, fx.room, 0, &fx.in, &fx.arena, &fx.out, &fx.err),
                     PT_ELIMIT);
}

/* ---- What an evaluation costs (issue 16) ---- */

static void test_pt_rule_eval_cost__counts_the_selector_per_line(void **state)
{
    unsigned lines;
    (void)state;
    add_rule(PURCHASE ",\"items\":{\"eq\":[\"item.category\",\"coffee\"]}" EFFECT "}");
    add_rule(PURCHASE ",\"conditions\":{\"all\":[{\"gte\":[\"cart.amount\",5000]},{\"in\":"
                      "[\"time.weekday\",[1,2,3,4,5]]}]}" EFFECT "}");
    add_rule("{\"name\":\"a\",\"trigger\":\"activity:review\"" EFFECT "}");
    for (lines = 0; lines <= PT_CART_ITEMS_MAX; lines += 50) {
        int64_t l = lines;
        /* A test 4, the effect 6 per line, 1 per line for the rule, 7 for the rule itself. */
        assert_int_equal(pt_rule_eval_cost(fx.ptrs[0], lines), l * (4 + 6 + 1) + 6 + 1);
        /* The conditions, not per line, twice (the nudge): all 1, gte 4, in 4 + 5 values. */
        assert_int_equal(pt_rule_eval_cost(fx.ptrs[1], lines), l * (6 + 1) + 2 * 14 + 6 + 1);
        /* The activity rule is no work for a cart; the lines are hashed and sorted once. */
        assert_int_equal(pt_rules_eval_cost(fx.ptrs, 3, PT_TRIGGER_PURCHASE, lines),
                         l * 18 + 42 + l + l * l / 2);
    }
    assert_int_equal(pt_rules_eval_cost(fx.ptrs, 3, PT_TRIGGER_ACTIVITY, 0), 7);
    /* What compile counted once is what a walk of the rule counts. */
    {
        struct pt_rule by_hand = fx.rules[1];
        assert_true(fx.rules[1].cost_known);
        by_hand.cost_known = false;
        by_hand.cost_per_line = by_hand.cost_fixed = 0;
        assert_int_equal(pt_rule_eval_cost(&by_hand, 77), pt_rule_eval_cost(&fx.rules[1], 77));
    }
}

/* The rule a free-product coupon adds to a cart (src/service/rules_eval.c) fits the room that
 * saving a rule leaves for coupons. */
static void test_pt_rule_eval_cost__a_coupons_rule_fits_its_room(void **state)
{
    struct pt_rule r;
    (void)state;
    memset(&r, 0, sizeof(r));
    r.trigger = PT_TRIGGER_PURCHASE;
    r.root = -1;
    r.items_root = 0;
    r.node_count = 1;
    r.nodes[0].kind = PT_NODE_TEST;
    r.nodes[0].op = PT_OP_EQ;
    r.nodes[0].fact = PT_FACT_ITEM_SKU;
    r.nodes[0].a.kind = PT_VALUE_TEXT;
    r.nodes[0].a.s = "SKU";
    r.effect_count = 1;
    r.effects[0].type = PT_EFFECT_DISCOUNT;
    assert_true(pt_rule_eval_cost(&r, PT_CART_ITEMS_MAX) <=
                (int64_t)PT_COUPON_RULE_LINE_COST * (PT_CART_ITEMS_MAX + 1));
}

/* The dearest coupon's rule: a discount whose reward has a minimum and names as many SKUs and
 * categories as a reward may (core/coupon.c selects its lines with them). */
static void test_pt_rule_eval_cost__a_coupon_with_conditions_fits_its_room(void **state)
{
    static const char *names[PT_REWARD_PRODUCTS_MAX];
    struct pt_cart_coupon c;
    struct pt_rule r;
    unsigned i;
    (void)state;
    for (i = 0; i < PT_REWARD_PRODUCTS_MAX; i++) {
        names[i] = "a name of a product";
    }
    memset(&c, 0, sizeof(c));
    c.type = PT_REWARD_DISCOUNT_AMOUNT;
    c.min_amount = 5000;
    c.skus = names;
    c.sku_count = PT_REWARD_PRODUCTS_MAX;
    c.categories = names;
    c.category_count = PT_REWARD_PRODUCTS_MAX;
    memset(&r, 0, sizeof(r));
    r.trigger = PT_TRIGGER_PURCHASE;
    r.root = -1;
    r.items_root = -1;
    r.effect_count = 1;
    r.effects[0].type = PT_EFFECT_DISCOUNT;
    r.effects[0].amount = 500;
    assert_int_equal(pt_cart_coupon_conditions(&c, &r, &fx.arena, &fx.err), PT_OK);
    assert_int_equal(r.node_count, 4);
    assert_int_equal(r.root, 0);
    assert_int_equal(r.items_root, 1);
    assert_true(r.effects[0].on_items);
    assert_int_equal(pt_rule_eval_cost(&r, PT_CART_ITEMS_MAX),
                     (int64_t)PT_CART_ITEMS_MAX * PT_COUPON_RULE_LINE_COST + 2 * 4 + 6 + 1);
    assert_true(pt_rule_eval_cost(&r, PT_CART_ITEMS_MAX) <=
                (int64_t)PT_COUPON_RULE_LINE_COST * (PT_CART_ITEMS_MAX + 1));
}

/* A coupon's conditions in the engine: its minimum is of what is left to pay when it applies
 * (cart.remaining), and a discount with products takes from their lines only. */
static void test_a_coupons_conditions_gate_and_select(void **state)
{
    static const char *const skus[] = {"TEA"};
    static const char *const categories[] = {"pastry"};
    struct pt_cart_coupon c;
    struct pt_rule *r = &fx.rules[0];
    (void)state;
    memset(&c, 0, sizeof(c));
    c.type = PT_REWARD_DISCOUNT_PERCENT;
    c.min_amount = 3000;
    c.skus = skus;
    c.sku_count = 1;
    c.categories = categories;
    c.category_count = 1;
    memset(r, 0, sizeof(*r));
    (void)snprintf(r->id, sizeof(r->id), "COUPON");
    r->name = "coupon";
    r->trigger = PT_TRIGGER_PURCHASE;
    r->root = -1;
    r->items_root = -1;
    r->valid_from_ms = INT64_MIN;
    r->valid_to_ms = INT64_MAX;
    r->effect_count = 1;
    r->effects[0].type = PT_EFFECT_DISCOUNT;
    r->effects[0].percent_bp = 5000;
    assert_int_equal(pt_cart_coupon_conditions(&c, r, &fx.arena, &fx.err), PT_OK);
    fx.ptrs[0] = r;
    pt_rule_room_unlimited(&fx.room[0]);
    fx.count = 1;
    add_item("TEA", "drinks", 1, 1000);
    add_item("CROISSANT", "pastry", 1, 800);
    add_item("COFFEE", "drinks", 1, 1400);
    evaluate();
    /* 32.00 left to pay: half of the tea and the croissant, not of the coffee. */
    assert_int_equal(fx.out.discount, 900);
    assert_int_equal(fx.out.line_discount[2], 0);
    fx.cart.discount = 300; /* The till's discount first: 29.00 left, under the minimum. */
    evaluate();
    assert_int_equal(fx.out.outcome_count, 0);
    assert_int_equal(fx.out.discount, 300);
    assert_string_equal(pt_cart_coupon_unmet(&c, 2900), "minimum_not_met");
    assert_null(pt_cart_coupon_unmet(&c, 3000));
}

/* After an evaluation, the coupons that took nothing off are not used, each judged on what the
 * ones before it left: a minimum not met, or nothing left to discount. */
static void test_pt_cart_coupons_unused__each_on_what_the_ones_before_left(void **state)
{
    struct pt_cart_coupon c[4];
    (void)state;
    memset(c, 0, sizeof(c));
    c[0].type = PT_REWARD_DISCOUNT_AMOUNT; /* 10.00 off, taken */
    c[0].applied = true;
    c[0].discount = 1000;
    c[1].type = PT_REWARD_DISCOUNT_AMOUNT; /* From 30.00: 25.00 is left after the first. */
    c[1].applied = true;
    c[1].min_amount = 3000;
    c[2].type = PT_REWARD_GIFT; /* From 25.00: met; a gift takes nothing and stays used. */
    c[2].applied = true;
    c[2].min_amount = 2500;
    c[3].type = PT_REWARD_DISCOUNT_PERCENT; /* Took nothing without a minimum. */
    c[3].applied = true;
    pt_cart_coupons_unused(c, 4, 3500);
    assert_true(c[0].applied);
    assert_false(c[1].applied);
    assert_string_equal(c[1].reason, "minimum_not_met");
    assert_true(c[2].applied);
    assert_null(c[2].reason);
    assert_false(c[3].applied);
    assert_string_equal(c[3].reason, "nothing_to_discount");
    c[2].applied = true;
    c[2].min_amount = 2501; /* At N + 1: short by one. */
    pt_cart_coupons_unused(c + 2, 1, 2500);
    assert_string_equal(c[2].reason, "minimum_not_met");
}

/* The most expensive selector there is: 62 `in` lists of 32 SKUs that no line has, negated. */
static void heavy_rule(char *doc, size_t size)
{
    size_t at = 0;
    int node;
    int value;
    at += (size_t)snprintf(doc + at, size - at, PURCHASE ",\"items\":{\"not\":{\"any\":[");
    for (node = 0; node < PT_RULE_NODES_MAX - 2; node++) {
        at += (size_t)snprintf(doc + at, size - at, "%s{\"in\":[\"item.sku\",[", node ? "," : "");
        for (value = 0; value < PT_RULE_LIST_MAX; value++) {
            at += (size_t)snprintf(doc + at, size - at, "%s\"%c%c\"", value ? "," : "",
                                   'a' + node % 26, 'a' + value % 26);
        }
        at += (size_t)snprintf(doc + at, size - at, "]]}");
    }
    (void)snprintf(doc + at, size - at,
                   "]}},\"effects\":[{\"type\":\"free_items\",\"buy\":1,\"get\":1}]}");
}

static void test_pt_rules_evaluate__refuses_an_evaluation_over_the_cost_bound(void **state)
{
    static char doc[PT_RULE_DOC_BYTES_MAX];
    static struct pt_rule rules[16];
    static const struct pt_rule *set[16];
    static struct pt_rule_room room[16];
    static struct pt_cart_item items[PT_CART_ITEMS_MAX];
    int64_t one;
    unsigned fit;
    unsigned i;
    (void)state;
    heavy_rule(doc, sizeof(doc));
    for (i = 0; i < 16; i++) {
        assert_int_equal(pt_rule_compile(doc, strlen(doc), &fx.arena, &rules[i], &fx.err), PT_OK);
        (void)snprintf(rules[i].id, sizeof(rules[i].id), "rul_%02u", i);
        set[i] = &rules[i];
        pt_rule_room_unlimited(&room[i]);
    }
    for (i = 0; i < PT_CART_ITEMS_MAX; i++) {
        items[i].sku = "99"; /* No SKU of the lists: every line is selected. */
        items[i].quantity = 1;
        items[i].unit_price = 100 + i;
    }
    fx.cart.items = items;
    fx.cart.item_count = PT_CART_ITEMS_MAX;
    one = pt_rule_eval_cost(&rules[0], PT_CART_ITEMS_MAX);
    fit = (unsigned)(PT_RULES_EVAL_COST_MAX / one); /* A few more than would fit: the lines. */
    while (pt_rules_eval_cost(set, fit, PT_TRIGGER_PURCHASE, PT_CART_ITEMS_MAX) >
           PT_RULES_EVAL_COST_MAX) {
        fit--;
    }
    assert_true(fit >= 2 && fit < 16);
    assert_int_equal(pt_rules_evaluate(set, room, fit, &fx.in, &fx.eval_arena, &fx.out, &fx.err),
                     PT_OK);
    /* Prices 100..299, one unit each: of each pair, dearest first, the cheaper is free. */
    assert_int_equal(fx.out.discount, 100 * 100 + 2 * (99 * 100 / 2));
    /* One rule more: refused before any work, naming the lines. */
    assert_int_equal(
        pt_rules_evaluate(set, room, fit + 1, &fx.in, &fx.eval_arena, &fx.out, &fx.err), PT_ELIMIT);
    assert_string_equal(fx.err.code, "limit_exceeded");
    assert_string_equal(fx.err.field, "items");
    /* The same rules on half the lines cost about half: allowed. */
    fx.cart.item_count = PT_CART_ITEMS_MAX / 2;
    assert_int_equal(
        pt_rules_evaluate(set, room, fit + 1, &fx.in, &fx.eval_arena, &fx.out, &fx.err), PT_OK);
}

/* ---- Found in review ---- */

static void test_free_items_on_the_cart_counts_every_unit(void **state)
{
    (void)state;
    add_rule("{\"name\":\"2 for 1\",\"trigger\":\"purchase\",\"items\":{\"eq\":"
             "[\"item.category\",\"course\"]},\"effects\":[{\"type\":\"free_items\","
             "\"buy\":1,\"get\":1,\"on\":\"cart\"}]}");
    add_item("c1", "course", 1, 1000);
    add_item("b1", "book", 3, 500);
    evaluate();
    /* Dearest first: 1000, 500 | 500, 500: the second of each pair is free. */
    assert_int_equal(fx.out.outcomes[0].free_units, 2);
    assert_int_equal(fx.out.discount, 1000);
    assert_int_equal(fx.out.nudge_count, 0);
}

static void test_a_free_unit_is_worth_what_is_left_to_pay(void **state)
{
    (void)state;
    add_rule("{\"name\":\"2 for 1\",\"trigger\":\"purchase\",\"effects\":[{\"type\":"
             "\"free_items\",\"buy\":1,\"get\":1}]}");
    add_item("A", NULL, 2, 1000);
    fx.cart.discount = 1000; /* the till took half */
    evaluate();
    assert_int_equal(fx.out.discount, 1500); /* the free unit was worth 500 */
    assert_int_equal(fx.out.line_discount[0], 1500);
}

static void test_an_unreachable_threshold_is_no_nudge(void **state)
{
    (void)state;
    add_rule("{\"name\":\"never\",\"trigger\":\"purchase\",\"conditions\":{\"gt\":"
             "[\"cart.amount\",9223372036854775807]},\"effects\":[{\"type\":"
             "\"award_points\",\"points\":1}]}");
    add_item("A", NULL, 1, 100);
    evaluate();
    assert_int_equal(fx.out.rule_points, 0);
    assert_int_equal(fx.out.nudge_count, 0);
}

static void test_an_exclusive_rule_that_gives_nothing_does_not_stop(void **state)
{
    (void)state;
    add_rule("{\"name\":\"4th free, alone\",\"trigger\":\"purchase\",\"priority\":10,"
             "\"exclusive\":true,\"effects\":[{\"type\":\"free_items\",\"buy\":3,"
             "\"get\":1}]}");
    add_rule("{\"name\":\"100\",\"trigger\":\"purchase\",\"effects\":[{\"type\":"
             "\"award_points\",\"points\":100}]}");
    add_item("A", NULL, 1, 100);
    evaluate();
    assert_int_equal(fx.out.rule_points, 100);
    fx.items[0].quantity = 4;
    evaluate(); /* now it gives a free unit: it alone applies */
    assert_int_equal(fx.out.rule_points, 0);
    assert_int_equal(fx.out.discount, 100);
    assert_int_equal(fx.out.outcome_count, 1);
}

/* ---- A random sweep ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_random_carts_keep_the_discount_invariants(void **state)
{
    static const char *const rule_docs[] = {
        "{\"name\":\"a\",\"trigger\":\"purchase\",\"effects\":[{\"type\":\"discount\","
        "\"percent\":33.33}]}",
        "{\"name\":\"b\",\"trigger\":\"purchase\",\"priority\":3,\"effects\":[{\"type\":"
        "\"discount\",\"amount\":777}]}",
        "{\"name\":\"c\",\"trigger\":\"purchase\",\"items\":{\"in\":[\"item.category\",[\"x\","
        "\"y\"]]},\"effects\":[{\"type\":\"free_items\",\"buy\":2,\"get\":1}]}",
        "{\"name\":\"d\",\"trigger\":\"purchase\",\"items\":{\"eq\":[\"item.category\",\"x\"]},"
        "\"conditions\":{\"gte\":[\"selected.quantity\",2]},\"effects\":[{\"type\":"
        "\"award_points\",\"multiplier\":2.5},{\"type\":\"discount\",\"amount\":300}]}",
        "{\"name\":\"e\",\"trigger\":\"purchase\",\"conditions\":{\"gte\":[\"cart.amount\","
        "5000]},\"effects\":[{\"type\":\"award_points\",\"points\":10,\"per_amount\":1000}]}",
    };
    static const char *const categories[] = {"x", "y", "z"};
    unsigned round;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(rule_docs) / sizeof(rule_docs[0]); i++) {
        add_rule(rule_docs[i]);
    }
    for (round = 0; round < 3000; round++) {
        struct pt_eval_result first;
        int64_t sum = 0;
        unsigned n = 1 + (unsigned)(rng() % 12);
        fx.cart.item_count = 0;
        for (i = 0; i < n; i++) {
            add_item("s", categories[rng() % 3], 1 + (int64_t)(rng() % 5), (int64_t)(rng() % 4000));
        }
        fx.count = 1 + (unsigned)(rng() % 5);
        pt_arena_fini(&fx.eval_arena);
        pt_arena_init(&fx.eval_arena, 4 * 1024 * 1024);
        evaluate();
        first = fx.out;
        assert_true(fx.out.discount <= fx.out.amount);
        for (i = 0; i < n; i++) {
            int64_t line = fx.items[i].quantity * fx.items[i].unit_price;
            assert_true(fx.out.line_discount[i] >= 0 && fx.out.line_discount[i] <= line);
            sum += fx.out.line_discount[i];
        }
        assert_int_equal(sum, fx.out.discount);
        assert_int_equal(fx.out.points, fx.out.base_points + fx.out.rule_points);
        /* The same input gives the same answer. */
        evaluate();
        assert_int_equal(fx.out.points, first.points);
        assert_int_equal(fx.out.discount, first.discount);
        assert_int_equal(fx.out.outcome_count, first.outcome_count);
        assert_int_equal(fx.out.nudge_count, first.nudge_count);
    }
}

static void test_pt_rule_status_move__archived_is_final(void **state)
{
    struct pt_err err;
    (void)state;
    assert_int_equal(pt_rule_status_move(PT_RULE_DRAFT, PT_RULE_ACTIVE, &err), PT_OK);
    assert_int_equal(pt_rule_status_move(PT_RULE_ACTIVE, PT_RULE_PAUSED, &err), PT_OK);
    assert_int_equal(pt_rule_status_move(PT_RULE_ARCHIVED, PT_RULE_ARCHIVED, &err), PT_OK);
    assert_int_equal(pt_rule_status_move(PT_RULE_ARCHIVED, PT_RULE_ACTIVE, &err), PT_ELIMIT);
    assert_string_equal(err.code, "rule_archived");
    assert_int_equal(pt_rule_status_move(PT_RULE_DRAFT, PT_RULE_PAUSED, &err), PT_ELIMIT);
    assert_string_equal(err.code, "rule_not_active");
    assert_int_equal(pt_rule_usage_refused(&err), PT_ELIMIT);
    assert_string_equal(err.field, "points");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pt_rule_compile__refuses_with_the_json_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pt_rule_compile__node_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pt_rule_compile__reads_every_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pt_rule_compile__public_and_description, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pt_rule_compile__issue_coupon_on_every_trigger, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_issue_coupon_is_an_outcome_that_gives_a_coupon, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_double_points_on_weekends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_triple_points_on_coffee_beans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spend_50_get_100_and_its_nudge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_buy_3_courses_get_the_4th_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ten_percent_off_for_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_shipping_over_40, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activity_enrollment_and_birthday_rules, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_every_operator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_cap_and_stop_a_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validity_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_priority_order_and_exclusive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_amount_discounts_split_exactly_and_stop_at_zero, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_per_amount_points_and_excluded_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cart_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pt_rule_eval_cost__counts_the_selector_per_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_pt_rule_eval_cost__a_coupon_with_conditions_fits_its_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_coupons_conditions_gate_and_select, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_pt_cart_coupons_unused__each_on_what_the_ones_before_left, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pt_rule_eval_cost__a_coupons_rule_fits_its_room, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_pt_rules_evaluate__refuses_an_evaluation_over_the_cost_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_carts_keep_the_discount_invariants, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_free_items_on_the_cart_counts_every_unit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_free_unit_is_worth_what_is_left_to_pay, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_an_unreachable_threshold_is_no_nudge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_exclusive_rule_that_gives_nothing_does_not_stop,
                                        setup, teardown),
        cmocka_unit_test(test_pt_rule_status_move__archived_is_final),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
