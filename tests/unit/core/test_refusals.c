/* SPDX-License-Identifier: MIT */
/*
 * Goal: the refusals the store reports (not found, changed meanwhile, taken) are written by
 * core in the words, field and rc the API has always answered with, now that they left the
 * store (issue 17): a change of one is a change of the API's answer.
 * Method: each function called with an id, its rc, field and sentence compared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../support/pt_test.h"
#include "core/coupon.h"
#include "core/event.h"
#include "core/ledger.h"
#include "core/member.h"
#include "core/purchase.h"
#include "core/referral.h"
#include "core/reward.h"
#include "core/rules.h"
#include "core/stamp_card.h"
#include "core/tiers.h"
#include "core/wallet.h"

static struct pt_err err;

static void expect(enum pt_rc got, enum pt_rc rc, const char *field, const char *msg)
{
    assert_int_equal(got, rc);
    assert_int_equal(err.rc, rc);
    assert_string_equal(err.field, field);
    assert_string_equal(err.msg, msg);
    assert_string_equal(err.code, "");
    pt_err_clear(&err);
}

static void test_refusals__the_words_of_the_api(void **state)
{
    (void)state;
    pt_err_clear(&err);
    expect(pt_member_not_found(&err), PT_ENOTFOUND, "", "no such member");
    expect(pt_member_changed(&err), PT_EBUSY, "", "the member changed meanwhile, retry");
    expect(pt_member_key_taken("email", &err), PT_ECONFLICT, "email", "email is taken");
    expect(pt_member_id_taken(&err), PT_ECONFLICT, "id", "member id taken");
    expect(pt_referral_holder_not_found("referral_code", &err), PT_ENOTFOUND, "",
           "no member holds that referral_code");
    expect(pt_referral_not_found("mbr_1", &err), PT_ENOTFOUND, "", "member mbr_1 was not referred");
    expect(pt_reward_not_found("rwd_1", &err), PT_ENOTFOUND, "", "no reward rwd_1");
    expect(pt_lot_not_found(&err), PT_ENOTFOUND, "", "no such lot");
    expect(pt_redemption_not_found("red_1", &err), PT_ENOTFOUND, "", "no redemption red_1");
    expect(pt_coupon_not_found(&err), PT_ENOTFOUND, "", "no such coupon");
    expect(pt_coupon_of_redemption_not_found("red_1", &err), PT_ENOTFOUND, "",
           "no coupon of redemption red_1");
    expect(pt_voucher_pool_empty(&err), PT_ENOTFOUND, "", "the partner voucher pool is empty");
    expect(pt_coupon_batch_not_found(&err), PT_ENOTFOUND, "", "no such coupon batch");
    expect(pt_promo_code_not_found(&err), PT_ENOTFOUND, "", "no such code");
    expect(pt_event_not_found("evt_1", &err), PT_ENOTFOUND, "after", "no event evt_1");
    expect(pt_purchase_not_found("pur_1", &err), PT_ENOTFOUND, "", "no purchase pur_1");
    expect(pt_rule_not_found(&err), PT_ENOTFOUND, "", "no such rule");
    expect(pt_rule_changed(&err), PT_EBUSY, "", "the rule changed meanwhile, retry");
    expect(pt_stamp_card_not_found("stc_1", &err), PT_ENOTFOUND, "", "no stamp card stc_1");
    expect(pt_stamps_not_found("stc_1", &err), PT_ENOTFOUND, "", "no stamps on card stc_1");
    expect(pt_tier_state_not_found("mbr_1", &err), PT_ENOTFOUND, "", "no tier for member mbr_1");
    expect(pt_wallet_credit_not_found("wcr_1", &err), PT_ENOTFOUND, "", "no wallet credit wcr_1");
    expect(pt_wallet_debit_not_found("wdb_1", &err), PT_ENOTFOUND, "", "no wallet debit wdb_1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        PT_TEST(test_refusals__the_words_of_the_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
