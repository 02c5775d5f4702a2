# SPDX-License-Identifier: MIT
"""Returns of a purchase that used a coupon and that no rule or stamp card fired on.

docs/ledger.md, "Returns": "For a purchase that only earned the program's base rate, that is
the points in proportion to the eligible amount returned"; only "a purchase that a rule or a
stamp card fired on is evaluated again on what the customer keeps". docs/rewards.md: a coupon's
purchase has "its points ... taken back ... as for any purchase".

Failed before 23f4d72: src/service/returns.c evaluates again every purchase with stored facts,
and a coupon alone stores them, but the kept cart carried the till's discount in proportion and
not the coupons', so the kept amount earned its base points as if nothing had been taken off
it: of a purchase of 100.00 with 30.00 off (70 points), returning half took back 20 points
instead of 35. The kept cart now pays its share of the coupons' discount first
(purchase_facts.coupon_discount).
"""
from conftest import unique
from test_rewards import redeem, reward, rich_member, set_clock


def test_a_partial_return_of_a_coupon_purchase_takes_back_its_points_in_proportion(fresh):
    set_clock(fresh.a, "2026-03-02T10:00:00Z")
    m = rich_member(fresh.a, 1000)
    rid = reward(fresh.a, type="discount_amount", value=3000, sku=None, cost_points=100)["id"]
    code = redeem(fresh.a, m, rid).json["code"]
    r = fresh.a.post("/v1/transactions", {"external_id": unique("p"), "member_id": m,
                                          "currency": "USD", "amount": 10000, "coupons": [code]})
    assert r.status == 201, r
    assert (r.json["discount"], r.json["points_earned"], r.json["rules"]) == (3000, 70, [])
    taken = []
    for amount in (5000, 5000):
        back = fresh.a.post("/v1/transactions/%s/returns" % r.json["id"],
                            {"external_id": unique("r"), "amount": amount})
        assert back.status == 201, back
        taken.append((back.json["points_reversed"], back.json["coupon_points_refunded"]))
    # floor(70 × 50.00 / 100.00) = 35, then the rest; the coupon's 100 points in proportion.
    assert taken == [(35, 50), (35, 50)], taken
