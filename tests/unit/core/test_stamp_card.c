/* SPDX-License-Identifier: MIT */
/*
 * Goal: a stamp card is refused outside its bounds before its document is compiled, and a
 * member's instance starts its clock at its first stamp; the statuses are one table.
 * Method: one valid card changed one field at a time, bounds at N and N+1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "base/clock.h"
#include "base/names.h"
#include "core/stamp_card.h"

static void card_init(struct pt_stamp_card *c)
{
    memset(c, 0, sizeof(*c));
    c->name = "Coffee card";
    c->stamps_required = 10;
    c->reward_points = 100;
}

static enum pt_rc validate(const struct pt_stamp_card *c, const char *field)
{
    struct pt_arena arena;
    const struct pt_rule *compiled = NULL;
    struct pt_err err;
    enum pt_rc rc;
    pt_arena_init(&arena, 64 * 1024);
    pt_err_clear(&err);
    rc = pt_stamp_card_validate(c, &arena, &compiled, &err);
    assert_string_equal(err.field, field);
    pt_arena_fini(&arena);
    return rc;
}

static void test_pt_stamp_card_validate__bounds_at_n_and_n_plus_1(void **state)
{
    struct pt_stamp_card c;
    (void)state;
    card_init(&c);
    c.stamps_required = PT_STAMPS_REQUIRED_MAX + 1;
    assert_int_equal(validate(&c, "stamps_required"), PT_EINVAL);
    card_init(&c);
    c.stamps_required = 0;
    assert_int_equal(validate(&c, "stamps_required"), PT_EINVAL);
    card_init(&c);
    c.reward_points = PT_STAMP_CARD_REWARD_POINTS_MAX + 1;
    assert_int_equal(validate(&c, "reward.points"), PT_EINVAL);
    card_init(&c);
    c.valid_days = PT_STAMP_CARD_VALID_DAYS_MAX + 1;
    assert_int_equal(validate(&c, "valid_days"), PT_EINVAL);
    /* A reward of the catalog instead of points: one or the other, and a reward's id. */
    card_init(&c);
    c.reward_id = "rwd_1";
    assert_int_equal(validate(&c, "reward"), PT_EINVAL);
    c.reward_points = 0;
    c.reward_id = "stc_1";
    assert_int_equal(validate(&c, "reward.reward_id"), PT_EINVAL);
    c.reward_id = "rwd_0123456789012345678901234567";
    assert_int_equal(validate(&c, "reward.reward_id"), PT_EINVAL);
    c.reward_id = NULL;
    assert_int_equal(validate(&c, "reward.points"), PT_EINVAL);
}

static void test_pt_stamp_card_start__clock_from_first_stamp(void **state)
{
    struct pt_stamp_card card;
    struct pt_member_stamp_card c;
    (void)state;
    card_init(&card);
    memset(&c, 0, sizeof(c));
    pt_stamp_card_start(&c, &card, 5000);
    assert_int_equal(c.started_at_ms, 5000);
    assert_int_equal(c.expires_at_ms, 0); /* Open forever. */
    card.valid_days = 30;
    pt_stamp_card_start(&c, &card, 5000);
    assert_int_equal(c.expires_at_ms, 5000 + 30 * PT_DAY_MS);
}

static void test_pt_stamp_card_status_names__table(void **state)
{
    (void)state;
    assert_int_equal(pt_name_index(pt_stamp_card_status_names, PT_STAMP_CARD_STATUSES, "paused"),
                     PT_STAMP_CARD_PAUSED);
    assert_int_equal(pt_name_index(pt_stamp_card_status_names, PT_STAMP_CARD_STATUSES, "draft"),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_pt_stamp_card_validate__bounds_at_n_and_n_plus_1),
        PT_TEST(test_pt_stamp_card_start__clock_from_first_stamp),
        PT_TEST(test_pt_stamp_card_status_names__table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
