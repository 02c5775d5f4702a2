# SPDX-License-Identifier: MIT
"""A hostile review of next-order coupons (issue 18, item 14), merged at 8acc551.

Real requests against a real server, on both engines. The tests named test_bug_* fail on the
code reviewed: each docstring says what was expected and what came instead. The others are
attacks that held; they stay as regression tests.
"""
import threading

import conftest
import pytest
from conftest import Client, new_member, unique
from test_cart_coupons import cart, evaluate, purchase, state
from test_rewards import redeem, reward, rich_member, set_clock
from test_returns_undo import give_back

START = "2026-03-02T10:00:00Z"  # a Monday
OVER_50 = {"gte": ["cart.amount", 5000]}
FIVE_OFF = {"name": "5.00 off your next order", "type": "discount_amount", "value": 500,
            "sku": None, "cost_points": 1000, "coupon_valid_days": 14}
SAME = ("discount", "base_points", "tier_points", "rules", "lines", "coupons", "nudges",
        "to_pay", "stamps")


def rule(client, effects, conditions=None, status=201, **fields):
    body = {"name": unique("rule"), "trigger": "purchase", "effects": effects,
            "status": "active"}
    if conditions is not None:
        body["conditions"] = conditions
    body.update(fields)
    r = client.post("/v1/rules", body)
    assert r.status == status, r
    return r.json


def gift(reward_id):
    return [{"type": "issue_coupon", "reward": reward_id}]


def issued_of(client, reward_id):
    return client.get("/v1/rewards/" + reward_id).json["issued"]


def all_events(client, kind):
    out = []
    cursor = None
    while True:
        path = "/v1/events?limit=200" + ("&cursor=" + cursor if cursor else "")
        r = client.get(path)
        assert r.status == 200, r
        out += [e for e in r.json["data"] if e["type"] == kind]
        cursor = r.json.get("next_cursor")
        if not cursor:
            return out


def events(client, kind, member):
    return [e["data"] for e in all_events(client, kind) if e["member_id"] == member]


def coffees(n, price=300):
    return [{"sku": "COF", "category": "coffee", "quantity": n, "unit_price": price}]


def card(client, reward_id, **fields):
    body = {"name": "Coffee card", "stamps_required": 3, "stamps_per": "item",
            "items": {"eq": ["item.category", "coffee"]}, "reward": {"reward_id": reward_id}}
    body.update(fields)
    r = client.post("/v1/stamp-cards", body)
    assert r.status == 201, r
    return r.json


def audit(dep):
    out = conftest.run_cli("audit", "--db", dep.db, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def same_answer(answer, bought):
    assert bought["points_earned"] == answer["points"], (answer, bought)
    for k in SAME:
        if k in answer:
            assert bought[k] == answer[k], (k, answer[k], bought[k])


# ---- Bad input ----

def test_issue_coupon_refuses_bad_rewards_and_changes_nothing(fresh):
    mine = reward(fresh.a, **FIVE_OFF)
    theirs = reward(fresh.b, **FIVE_OFF)
    gone = reward(fresh.a, **FIVE_OFF)
    assert fresh.a.patch("/v1/rewards/" + gone["id"], {"status": "archived"}).status == 200
    cases = [
        (gift(theirs["id"]), 422, "reward_not_found", "effects.0.reward"),
        (gift(gone["id"]), 422, "reward_inactive", "effects.0.reward"),
        (gift("rwd_" + "x" * 300), 400, "validation_failed", "effects.0.reward"),
        (gift("rwd_"), 422, "reward_not_found", "effects.0.reward"),
        (gift(mine["id"].upper()), 400, "validation_failed", "effects.0.reward"),
        ([{"type": "issue_coupon", "reward": 7}], 400, "validation_failed", "effects.0.reward"),
        ([{"type": "issue_coupon"}], 400, "validation_failed", "effects.0.reward"),
        ([{"type": "issue_coupon", "reward": mine["id"], "stock": 1}], 400,
         "validation_failed", None),
        (gift(mine["id"]) + gift(mine["id"]), 400, "validation_failed", "effects.1"),
        (gift(mine["id"]) + [{"type": "award_points", "points": 1}] + gift(theirs["id"]), 400,
         "validation_failed", "effects.2"),
    ]
    for effects, status, code, field in cases:
        r = fresh.a.post("/v1/rules", {"name": "x", "trigger": "purchase", "status": "active",
                                       "effects": effects})
        assert r.status == status and r.error["code"] == code, (effects, r)
        if field is not None:
            assert r.error["field"] == field, (effects, r)
    assert fresh.a.get("/v1/rules").json["data"] == []
    # A stamp card the same.
    for rid, status, code in ((theirs["id"], 422, "reward_not_found"),
                              (gone["id"], 422, "reward_inactive"),
                              ("rwd_" + "y" * 300, 400, "validation_failed")):
        r = fresh.a.post("/v1/stamp-cards", {"name": "x", "stamps_required": 3,
                                             "reward": {"reward_id": rid}})
        assert r.status == status and r.error["code"] == code, r
        assert r.error["field"] == "reward.reward_id", r
    c = card(fresh.a, mine["id"])
    r = fresh.a.patch("/v1/stamp-cards/" + c["id"], {"reward": {"reward_id": gone["id"]}})
    assert r.status == 422 and r.error["code"] == "reward_inactive", r
    r = fresh.a.patch("/v1/stamp-cards/" + c["id"],
                      {"reward": {"reward_id": mine["id"], "points": 5}})
    assert r.status == 400 and r.error["field"] == "reward", r
    assert fresh.a.get("/v1/stamp-cards/" + c["id"]).json == c
    # Switching a card between a coupon and points works both ways.
    r = fresh.a.patch("/v1/stamp-cards/" + c["id"], {"reward": {"points": 5}})
    assert r.status == 200 and r.json["reward"] == {"points": 5, "reward_id": None}, r
    r = fresh.a.patch("/v1/stamp-cards/" + c["id"], {"reward": {"reward_id": mine["id"]}})
    assert r.status == 200 and r.json["reward"] == {"points": None, "reward_id": mine["id"]}, r
    # Program B cannot see A's coupon reward through its own rule either.
    r = fresh.b.post("/v1/rules", {"name": "x", "trigger": "purchase", "effects": gift(mine["id"])})
    assert r.status == 422 and r.error["code"] == "reward_not_found", r


def test_reward_conditions_refuse_bad_values_and_change_nothing(fresh):
    half = reward(fresh.a, name="Half tea", type="discount_percent", value=5000, sku=None,
                  cost_points=10, skus=["TEA"], categories=["pastry"], min_amount=100)
    bad = [
        ({"min_amount": -1}, "min_amount"), ({"min_amount": 0}, "min_amount"),
        ({"min_amount": 10 ** 12 + 1}, "min_amount"), ({"min_amount": 2 ** 62}, "min_amount"),
        ({"min_amount": "100"}, "min_amount"), ({"min_amount": 1.5}, "min_amount"),
        ({"min_amount": True}, "min_amount"),
        ({"skus": ["S%d" % i for i in range(33)]}, "skus"), ({"skus": [""]}, "skus"),
        ({"skus": ["x" * 129]}, "skus"), ({"skus": [1]}, "skus"), ({"skus": "TEA"}, "skus"),
        ({"skus": [None]}, "skus"), ({"skus": {"a": 1}}, "skus"),
        ({"categories": ["C%d" % i for i in range(33)]}, "categories"),
        ({"categories": [""]}, "categories"), ({"categories": ["x" * 129]}, "categories"),
        ({"categories": [["pastry"]]}, "categories"),
    ]
    for patch, field in bad:
        r = fresh.a.patch("/v1/rewards/" + half["id"], patch)
        assert r.status == 400 and r.error.get("field") == field, (patch, r)
    assert fresh.a.get("/v1/rewards/" + half["id"]).json == half
    # The edges are taken.
    edge = {"min_amount": 10 ** 12, "skus": ["S%d" % i for i in range(32)],
            "categories": ["c" * 128]}
    r = fresh.a.patch("/v1/rewards/" + half["id"], edge)
    assert r.status == 200, r
    for k, v in edge.items():
        assert r.json[k] == v, k
    # A partner voucher takes no conditions, made or changed.
    pv = reward(fresh.a, name="Cinema", type="partner_voucher", sku=None, cost_points=10)
    for patch, field in (({"skus": ["A"]}, "skus"), ({"categories": ["a"]}, "categories"),
                         ({"min_amount": 1}, "min_amount")):
        r = fresh.a.patch("/v1/rewards/" + pv["id"], patch)
        assert r.status == 400 and r.error.get("field") == field, (patch, r)
    # Nor may a reward with conditions become one.
    r = fresh.a.patch("/v1/rewards/" + half["id"], {"type": "partner_voucher", "value": 0})
    assert r.status == 400, r


# ---- Stock ----

def test_the_last_unit_goes_to_one_of_many_racing_purchases(fresh):
    set_clock(fresh.a, START)
    one = reward(fresh.a, **dict(FIVE_OFF, stock=1))
    rule(fresh.a, gift(one["id"]), OVER_50)
    members = [new_member(fresh.a)["id"] for _ in range(8)]
    answers = []
    go = threading.Barrier(8)

    def buy(m):
        c = Client(fresh.server.port, fresh.key_a)
        go.wait()
        answers.append(c.post("/v1/transactions", dict(cart(m, 6000), external_id=unique("r"))))

    threads = [threading.Thread(target=buy, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [a.status for a in answers] == [201] * 8, answers
    given = [a.json["coupons_issued"][0] for a in answers]
    assert sorted(g["reason"] or "given" for g in given) == ["given"] + ["out_of_stock"] * 7
    assert issued_of(fresh.a, one["id"]) == 1
    assert len(all_events(fresh.a, "coupon.issued")) == 1
    audit(fresh)


def test_a_coupon_given_cancelled_and_given_again_keeps_the_stock_count(fresh):
    set_clock(fresh.a, START)
    two = reward(fresh.a, **dict(FIVE_OFF, stock=2))
    rule(fresh.a, gift(two["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    ps = [purchase(fresh.a, cart(m, 6000)).json for _ in range(3)]
    assert [p["coupons_issued"][0]["reason"] for p in ps] == [None, None, "out_of_stock"]
    back = give_back(fresh.a, ps[0], 6000)
    assert [x["status"] for x in back["coupons_taken_back"]] == ["cancelled"]
    assert issued_of(fresh.a, two["id"]) == 1
    # The return of the third purchase has nothing to take: it gave nothing.
    assert give_back(fresh.a, ps[2], 6000)["coupons_taken_back"] == []
    assert issued_of(fresh.a, two["id"]) == 1
    assert purchase(fresh.a, cart(m, 6000)).json["coupons_issued"][0]["reason"] is None
    assert issued_of(fresh.a, two["id"]) == 2
    # Given coupons count toward the member's limit when it redeems the reward itself.
    assert fresh.a.patch("/v1/rewards/" + two["id"], {"stock": 10, "per_member_limit": 2,
                                                      "cost_points": 1}).status == 200
    r = fresh.a.post("/v1/members/%s/rewards/%s/redeem" % (m, two["id"]))
    assert r.status == 422 and r.error["code"] == "member_limit_reached", r
    audit(fresh)


# ---- Money ----

def test_a_condition_bound_discount_takes_no_more_than_its_lines(fresh):
    set_clock(fresh.a, START)
    m = rich_member(fresh.a, 10000)
    big = reward(fresh.a, name="50 off tea", type="discount_amount", value=5000, sku=None,
                 cost_points=10, skus=["TEA"])
    half = reward(fresh.a, name="Half tea", type="discount_percent", value=5000, sku=None,
                  cost_points=10, skus=["TEA"])
    lines = [{"sku": "TEA", "quantity": 2, "unit_price": 500},
             {"sku": "COF", "quantity": 1, "unit_price": 1400}]
    a = redeem(fresh.a, m, big["id"]).json["code"]
    h = redeem(fresh.a, m, half["id"]).json["code"]
    answer = evaluate(fresh.a, cart(m, items=lines, coupons=[a]))
    assert answer["discount"] == 1000 and [x["discount"] for x in answer["lines"]] == [1000, 0]
    both = evaluate(fresh.a, cart(m, items=lines, coupons=[h, a]))
    assert [x["discount"] for x in both["coupons"]] == [500, 500]
    assert [x["discount"] for x in both["lines"]] == [1000, 0]
    bought = purchase(fresh.a, cart(m, items=lines, coupons=[h, a])).json
    same_answer(both, bought)
    # With the tea all taken by the first, the second finds nothing left of its lines: the
    # purchase is refused, and both stay usable.
    a2 = redeem(fresh.a, m, big["id"]).json["code"]
    a3 = redeem(fresh.a, m, big["id"]).json["code"]
    nothing = evaluate(fresh.a, cart(m, items=lines, coupons=[a2, a3]))
    assert nothing["discount"] == 1000, nothing
    assert [x["reason"] for x in nothing["coupons"]] == [None, "nothing_to_discount"]
    r = purchase(fresh.a, cart(m, items=lines, coupons=[a2, a3]), status=422)
    assert r.error["code"] == "nothing_to_discount", r
    assert state(fresh.a, a2) == state(fresh.a, a3) == "active"


def test_evaluate_equals_purchase_with_given_coupons_in_any_order(fresh):
    set_clock(fresh.a, START)
    m = rich_member(fresh.a, 100000)
    five = reward(fresh.a, **FIVE_OFF)
    tea = reward(fresh.a, name="Half tea from 30", type="discount_percent", value=5000,
                 sku=None, cost_points=10, skus=["TEA"], min_amount=3000)
    ten = reward(fresh.a, name="10 off from 40", type="discount_amount", value=1000, sku=None,
                 cost_points=10, min_amount=4000)
    free = reward(fresh.a, name="Free cake with tea", type="free_product", sku="CAKE",
                  cost_points=10, skus=["TEA"], min_amount=2000)
    rule(fresh.a, gift(five["id"]), {"gte": ["cart.remaining", 4000]}, priority=5)
    rule(fresh.a, [{"type": "discount", "percent": 10}], {"gte": ["cart.amount", 3000]})
    items = [{"sku": "TEA", "quantity": 2, "unit_price": 1200},
             {"sku": "CAKE", "quantity": 1, "unit_price": 900},
             {"sku": "COF", "quantity": 1, "unit_price": 1600}]
    orders = [("tea", "ten", "free"), ("ten", "tea", "free"), ("free", "ten", "tea"),
              ("ten", "free", "tea"), ("free", "tea", "ten")]
    ids = {"tea": tea["id"], "ten": ten["id"], "free": free["id"]}
    exclusive = None
    for best, exclusive_on in ((False, False), (True, False), (False, True), (True, True)):
        assert fresh.a.patch("/v1/program", {"best_discount_only": best}).status == 200
        if exclusive_on and exclusive is None:
            exclusive = rule(fresh.a, [{"type": "award_points", "points": 7}],
                             {"gte": ["cart.amount", 4000]}, exclusive=True, priority=9)
        for order in orders:
            codes = [redeem(fresh.a, m, ids[n]).json["code"] for n in order]
            body = cart(m, items=items, coupons=codes)
            answer = evaluate(fresh.a, body)
            r = fresh.a.post("/v1/transactions", dict(body, external_id=unique("r")))
            refused = [c["reason"] for c in answer["coupons"] if not c["applied"]]
            if refused:
                assert r.status in (409, 422) and r.error["code"] == refused[0], (order, r)
                assert all(state(fresh.a, c) == "active" for c in codes)
                continue
            assert r.status == 201, (order, best, r)
            same_answer(answer, r.json)
            gives = [x["coupon_reward_id"] for x in answer["rules"] if "coupon_reward_id" in x]
            assert [x["reward_id"] for x in r.json["coupons_issued"]] == gives
            assert r.json["discount"] <= body["amount"]


def test_a_given_coupon_used_then_returned_refunds_nothing_and_stays_used(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **FIVE_OFF)
    rule(fresh.a, gift(five["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    p0 = purchase(fresh.a, cart(m, 6000)).json
    code = p0["coupons_issued"][0]["code"]
    p1 = purchase(fresh.a, cart(m, 2000, coupons=[code])).json
    assert p1["discount"] == 500 and p1["points_earned"] == 15
    before = fresh.a.get("/v1/members/%s/balance" % m).json
    back = give_back(fresh.a, p1, 2000)
    assert back["coupon_points_refunded"] == 0 and back["points_reversed"] == 15
    assert back["coupons_taken_back"] == []
    after = fresh.a.get("/v1/members/%s/balance" % m).json
    assert after["available"] == before["available"] - 15
    assert state(fresh.a, code) == "redeemed"
    again = purchase(fresh.a, cart(m, 2000, coupons=[code]), status=409)
    assert again.error["code"] == "already_redeemed"
    # The purchase that gave it, returned now, says the coupon was used, once.
    first = give_back(fresh.a, p0, 1000)
    assert [(x["code"], x["status"]) for x in first["coupons_taken_back"]] == []
    rest = give_back(fresh.a, p0, 5000)
    assert [(x["code"], x["status"]) for x in rest["coupons_taken_back"]] == [
        (code, "redeemed")]
    assert issued_of(fresh.a, five["id"]) == 1
    r = fresh.a.post("/v1/transactions/%s/returns" % p0["id"],
                     {"external_id": unique("ret"), "amount": 1})
    assert r.status == 422 and r.error["code"] == "return_exceeds_purchase", r
    audit(fresh)


def test_bug_returning_the_free_line_of_a_product_bound_coupon_takes_back_points_and_money(
        fresh):
    """A coupon with `skus` takes from its lines only (docs/rewards.md, "Conditions"). A cart
    of tea 10.00 and coffee 10.00 with "100% off tea" pays 10.00 (by card), all of it for the
    coffee, and earns 10 points. Returning the free tea by its items gives back nothing: the
    kept coffee was paid in full. Expected: points_reversed 0 and no card refund. Got: the kept
    cart pays a share of the coupon's discount in proportion to the amount kept
    (carts.c kept_cart, purchase_facts.coupon_discount: 10.00 × 10.00 / 20.00 = 5.00), as if
    the coupon had been on the whole order, so the kept coffee counts as 5.00 paid: 5 points
    taken back and 5.00 refunded to the card for a tea that cost nothing. Returning the coffee
    instead (the 10.00 that was paid) refunds 5.00, not 10.00."""
    set_clock(fresh.a, START)
    m = rich_member(fresh.a, 1000)
    tea = reward(fresh.a, name="Free tea", type="discount_percent", value=10000, sku=None,
                 cost_points=100, skus=["TEA"])
    lines = [{"sku": "TEA", "quantity": 1, "unit_price": 1000},
             {"sku": "COF", "quantity": 1, "unit_price": 1000}]
    results = []
    for returned in ("TEA", "COF"):
        code = redeem(fresh.a, m, tea["id"]).json["code"]
        body = cart(m, items=lines, coupons=[code], payments=[{"method": "card", "amount": 1000}])
        p = purchase(fresh.a, body).json
        assert (p["discount"], p["points_earned"]) == (1000, 10), p
        assert [x["discount"] for x in p["lines"]] == [1000, 0]
        back = give_back(fresh.a, p, items=[{"sku": returned, "quantity": 1}])
        results.append((returned, back["points_reversed"],
                        [x["amount"] for x in back["refunds"]]))
    assert results == [("TEA", 0, [0]), ("COF", 10, [1000])], results


def test_bug_returning_the_free_product_of_a_coupon_refunds_what_was_paid_for_the_rest(fresh):
    """The same for a free product: a free coffee (3.00) with a cake (10.00) paid 10.00 by card.
    Returning the cake (the only thing paid for) should refund the 10.00; returning the coffee
    (free) should refund nothing. Expected: cake back → refund 1000, 10 points reversed; coffee
    back → refund 0, 0 points. Got: the kept cart carries a share of the free coffee's 3.00 in
    proportion to the amount kept, so the refunds and points are off (7.69 for the cake)."""
    set_clock(fresh.a, START)
    m = rich_member(fresh.a, 1000)
    free = reward(fresh.a, name="Free coffee", type="free_product", sku="COF", cost_points=100)
    lines = [{"sku": "COF", "quantity": 1, "unit_price": 300},
             {"sku": "CAKE", "quantity": 1, "unit_price": 1000}]
    results = []
    for returned in ("CAKE", "COF"):
        code = redeem(fresh.a, m, free["id"]).json["code"]
        body = cart(m, items=lines, coupons=[code], payments=[{"method": "card", "amount": 1000}])
        p = purchase(fresh.a, body).json
        assert (p["discount"], p["points_earned"]) == (300, 10), p
        back = give_back(fresh.a, p, items=[{"sku": returned, "quantity": 1}])
        results.append((returned, back["points_reversed"],
                        [x["amount"] for x in back["refunds"]]))
    assert results == [("CAKE", 10, [1000]), ("COF", 0, [0])], results


# ---- A return racing a use of the coupon it takes back ----

def test_a_return_racing_a_purchase_that_uses_its_coupon_settles_one_way(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **FIVE_OFF)
    rule(fresh.a, gift(five["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    outcomes = []
    for i in range(6):
        p0 = purchase(fresh.a, cart(m, 6000)).json
        code = p0["coupons_issued"][0]["code"]
        got = {}
        go = threading.Barrier(2)

        def ret():
            c = Client(fresh.server.port, fresh.key_a)
            go.wait()
            got["ret"] = c.post("/v1/transactions/%s/returns" % p0["id"],
                                {"external_id": unique("ret"), "amount": 6000})

        def use():
            c = Client(fresh.server.port, fresh.key_a)
            go.wait()
            got["use"] = c.post("/v1/transactions",
                                dict(cart(m, 2000, coupons=[code]), external_id=unique("u")))

        threads = [threading.Thread(target=ret), threading.Thread(target=use)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert got["ret"].status == 201, got["ret"]
        [back] = got["ret"].json["coupons_taken_back"]
        now = state(fresh.a, code)
        if got["use"].status == 201:
            assert got["use"].json["discount"] == 500
            assert back["status"] == "redeemed" and now == "redeemed", (back, now)
        else:
            assert got["use"].status in (409, 422), got["use"]
            assert got["use"].error["code"] == "coupon_cancelled", got["use"]
            assert back["status"] == "cancelled" and now == "cancelled", (back, now)
        outcomes.append(now)
    print("race outcomes", outcomes)
    audit(fresh)


# ---- Stamp cards with a catalog reward ----

def test_a_card_completing_five_times_in_one_purchase_with_three_in_stock(fresh):
    set_clock(fresh.a, START)
    free = reward(fresh.a, name="Free coffee", type="free_product", sku="COF", cost_points=500,
                  stock=3)
    c = card(fresh.a, free["id"], stamps_required=1)
    m = new_member(fresh.a)["id"]
    p = purchase(fresh.a, cart(m, items=coffees(5))).json
    assert p["stamp_cards"][0]["completed"] == 5
    given = p["coupons_issued"]
    assert [g["reason"] for g in given] == [None] * 3 + ["out_of_stock"] * 2
    assert all(g["card_id"] == c["id"] and g["rule_id"] is None for g in given)
    codes = [g["code"] for g in given[:3]]
    assert len(set(codes)) == 3 and issued_of(fresh.a, free["id"]) == 3
    done = events(fresh.a, "stamp_card.completed", m)
    assert sorted(d["n"] for d in done) == [1, 2, 3, 4, 5]
    assert sorted(d["coupon_code"] or "-" for d in done) == sorted(codes + ["-", "-"])
    assert len(events(fresh.a, "coupon.issued", m)) == 3
    # One used; returning 2 coffees takes the two newest cards, which gave nothing.
    purchase(fresh.a, cart(m, items=coffees(1, 300), coupons=[codes[0]]))
    back = give_back(fresh.a, p, items=[{"sku": "COF", "quantity": 2}])
    assert back["coupons_taken_back"] == []
    assert issued_of(fresh.a, free["id"]) == 3
    # The rest: the used one stays used, the other two are cancelled.
    rest = give_back(fresh.a, p, items=[{"sku": "COF", "quantity": 3}])
    got = sorted((x["code"], x["status"]) for x in rest["coupons_taken_back"])
    assert got == sorted([(codes[0], "redeemed"), (codes[1], "cancelled"),
                          (codes[2], "cancelled")]), got
    assert issued_of(fresh.a, free["id"]) == 1
    audit(fresh)


def test_a_return_of_stamps_takes_the_coupon_of_a_card_a_later_purchase_completed(fresh):
    set_clock(fresh.a, START)
    free = reward(fresh.a, name="Free coffee", type="free_product", sku="COF", cost_points=500)
    card(fresh.a, free["id"], stamps_required=3)
    m = new_member(fresh.a)["id"]
    p1 = purchase(fresh.a, cart(m, items=coffees(2))).json
    assert p1["coupons_issued"] == []
    p2 = purchase(fresh.a, cart(m, items=coffees(1))).json
    [given] = p2["coupons_issued"]
    back = give_back(fresh.a, p1, items=[{"sku": "COF", "quantity": 2}])
    assert [(x["code"], x["status"]) for x in back["coupons_taken_back"]] == [
        (given["code"], "cancelled")]
    # The later purchase's own return finds nothing more to take, and nothing was doubled.
    assert give_back(fresh.a, p2, 300)["coupons_taken_back"] == []
    assert issued_of(fresh.a, free["id"]) == 0
    assert len(events(fresh.a, "coupon.cancelled", m)) == 1
    audit(fresh)


def test_many_completions_in_one_purchase_give_as_many_coupons(fresh):
    set_clock(fresh.a, START)
    free = reward(fresh.a, name="Free coffee", type="free_product", sku="COF", cost_points=500)
    card(fresh.a, free["id"], stamps_required=1)
    m = new_member(fresh.a)["id"]
    r = fresh.a.post("/v1/transactions", dict(cart(m, items=coffees(300)),
                                              external_id=unique("r")))
    assert r.status == 201, r
    assert len({g["code"] for g in r.json["coupons_issued"]}) == 300
    assert issued_of(fresh.a, free["id"]) == 300
    back = give_back(fresh.a, r.json, 90000)
    assert len(back["coupons_taken_back"]) == 300
    assert issued_of(fresh.a, free["id"]) == 0
    audit(fresh)


# ---- Expiry ----

def test_a_given_coupon_expires_and_its_return_takes_nothing(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **dict(FIVE_OFF, coupon_valid_days=1, stock=5))
    rule(fresh.a, gift(five["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    p = purchase(fresh.a, cart(m, 6000)).json
    code = p["coupons_issued"][0]["code"]
    assert p["coupons_issued"][0]["expires_at"] == "2026-03-03T10:00:00Z"
    set_clock(fresh.a, "2026-03-03T10:00:00Z")
    [c] = evaluate(fresh.a, cart(m, 2000, coupons=[code]))["coupons"]
    assert c["reason"] == "coupon_expired"
    # Expired by the clock before the job writes it: a return has nothing to take back.
    assert give_back(fresh.a, p, 3000)["coupons_taken_back"] == []
    job = fresh.a.post("/v1/jobs/expire", {})
    assert job.status == 200 and job.json["coupons_expired"] == 1, job
    assert state(fresh.a, code) == "expired"
    assert [e["code"] for e in events(fresh.a, "coupon.expired", m)] == [code]
    assert give_back(fresh.a, p, 3000)["coupons_taken_back"] == []
    assert issued_of(fresh.a, five["id"]) == 1
    r = fresh.a.post("/v1/coupons/%s/cancel" % code, {})
    assert r.status in (409, 422), r
    audit(fresh)


# ---- Idempotency ----

def test_replays_give_one_coupon_and_take_it_back_once(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **dict(FIVE_OFF, stock=10))
    rule(fresh.a, gift(five["id"]), OVER_50)
    free = reward(fresh.a, name="Free coffee", type="free_product", sku="COF", cost_points=5)
    card(fresh.a, free["id"], stamps_required=2)
    m = new_member(fresh.a)["id"]
    body = dict(cart(m, items=coffees(20)), external_id=unique("r"))
    key = {"Idempotency-Key": unique("k")}
    first = fresh.a.post("/v1/transactions", body, headers=key)
    assert first.status == 201 and len(first.json["coupons_issued"]) == 11, first
    for _ in range(2):
        again = fresh.a.post("/v1/transactions", body, headers=key)
        assert again.status == 201 and again.json == first.json, again
        assert again.headers.get("idempotent-replayed") == "true"
    # By its external_id alone (the natural key), the same.
    plain = dict(cart(m, 6000), external_id=unique("r"))
    once = fresh.a.post("/v1/transactions", plain)
    twice = fresh.a.post("/v1/transactions", plain)
    assert once.status == twice.status == 201 and once.json == twice.json, (once, twice)
    assert twice.headers.get("idempotent-replayed") == "true"
    assert len(once.json["coupons_issued"]) == 1
    changed = fresh.a.post("/v1/transactions", dict(body, amount=6001, items=None))
    assert changed.status in (409, 400), changed
    assert issued_of(fresh.a, five["id"]) == 2 and issued_of(fresh.a, free["id"]) == 10
    assert len(events(fresh.a, "coupon.issued", m)) == 12
    ret = {"external_id": unique("ret"), "amount": 6000}
    back = fresh.a.post("/v1/transactions/%s/returns" % first.json["id"], ret)
    assert back.status == 201 and len(back.json["coupons_taken_back"]) == 11, back
    again = fresh.a.post("/v1/transactions/%s/returns" % first.json["id"], ret)
    assert again.status == 201 and again.json == back.json, again
    assert len(events(fresh.a, "coupon.cancelled", m)) == 11
    assert issued_of(fresh.a, five["id"]) == 1 and issued_of(fresh.a, free["id"]) == 0
    # An activity replayed by its external_id gives one coupon too.
    rule(fresh.a, gift(five["id"]), trigger="activity:review")
    act = {"member_id": m, "type": "review", "external_id": unique("rv"), "occurred_at": START}
    a1 = fresh.a.post("/v1/activities", act)
    a2 = fresh.a.post("/v1/activities", act)
    assert a1.status == 201 and a2.json == a1.json, (a1, a2)
    assert len(a1.json["coupons_issued"]) == 1
    assert issued_of(fresh.a, five["id"]) == 2
    # An enrollment replayed by its Idempotency-Key gives one too.
    welcome = reward(fresh.a, **dict(FIVE_OFF, name="Welcome"))
    rule(fresh.a, gift(welcome["id"]), trigger="enrollment")
    hdr = {"Idempotency-Key": unique("k")}
    who = {"email": unique("m") + "@example.com"}
    e1 = fresh.a.post("/v1/members", who, headers=hdr)
    e2 = fresh.a.post("/v1/members", who, headers=hdr)
    assert e1.status == e2.status == 201 and e1.json == e2.json, (e1, e2)
    assert issued_of(fresh.a, welcome["id"]) == 1
    assert len(events(fresh.a, "coupon.issued", e1.json["id"])) == 1
    audit(fresh)


# ---- Events ----

def test_coupon_events_say_where_the_coupon_came_from_and_why_it_went(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **FIVE_OFF)
    r = rule(fresh.a, gift(five["id"]), OVER_50)
    m = new_member(fresh.a, first_name="Ada")["id"]
    p = purchase(fresh.a, cart(m, 6000)).json
    code = p["coupons_issued"][0]["code"]
    [issued] = events(fresh.a, "coupon.issued", m)
    assert (issued["code"], issued["source"], issued["source_id"]) == (code, "rule", r["id"])
    assert issued["member_id"] == m and issued["status"] == "active"
    assert issued["reward"]["id"] == five["id"] and issued["member"]["first_name"] == "Ada"
    back = give_back(fresh.a, p, 6000)
    [gone] = events(fresh.a, "coupon.cancelled", m)
    assert gone["code"] == code and gone["status"] == "cancelled"
    assert gone["cancel_reason"] == "return " + back["id"]
    assert gone["source"] == "rule" and gone["source_id"] == r["id"]


def test_a_guest_cart_shows_what_a_member_would_get(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **FIVE_OFF)
    r = rule(fresh.a, gift(five["id"]), OVER_50)
    answer = evaluate(fresh.a, cart(None, 6000))
    assert [x.get("coupon_reward_id") for x in answer["rules"]] == [five["id"]]
    assert issued_of(fresh.a, five["id"]) == 0
    assert r["id"] == answer["rules"][0]["rule_id"]


# ---- Partner vouchers given away ----

def test_bug_a_return_cancels_a_given_partner_voucher_whose_code_was_shown(fresh):
    """docs/rewards.md, "Partner vouchers": "Once shown it could be used at the partner, so the
    coupon cannot be cancelled (409 partner_voucher_shown)". A rule may give a partner voucher
    (coupons_given.c draws a partner code) and GET /v1/coupons/{code} shows its partner_code.
    Expected: a full return of the purchase that gave it leaves it as it is (it is settled like
    a used one: listed, not cancelled), as POST /v1/coupons/{code}/cancel refuses to cancel it.
    Got: the return cancels it (status cancelled, its unit back to the reward) while the
    partner code it showed stays drawn and may still be used at the partner."""
    set_clock(fresh.a, START)
    pv = reward(fresh.a, name="Cinema", type="partner_voucher", sku=None, cost_points=10)
    up = fresh.a.post("/v1/rewards/%s/vouchers" % pv["id"], {"codes": ["CIN-1", "CIN-2"]})
    assert up.status == 200, up
    rule(fresh.a, gift(pv["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    p = purchase(fresh.a, cart(m, 6000)).json
    code = p["coupons_issued"][0]["code"]
    shown = fresh.a.get("/v1/coupons/" + code).json
    assert shown["partner_code"] == "CIN-1", shown
    r = fresh.a.post("/v1/coupons/%s/cancel" % code, {})
    assert r.status == 409 and r.error["code"] == "partner_voucher_shown", r
    back = give_back(fresh.a, p, 6000)
    assert state(fresh.a, code) == "active", back
    assert [x["status"] for x in back["coupons_taken_back"]] != ["cancelled"], back


# ---- The issue's words: "a coupon (a catalog reward or a discount)" ----

def test_found_a_discount_coupon_needs_no_reward_for_sale(fresh):
    """Issue 18, item 14: "an effect `issue_coupon` that gives the member a coupon (a catalog
    reward or a discount)". Found by review: a discount could only be given through a reward
    of the catalog, which members could then also buy with points. A reward with
    `cost_points: null` is only given: no member can redeem it (422 not_for_sale, and the
    catalog says so), and a rule gives it as the discount of the next order."""
    set_clock(fresh.a, START)
    five = reward(fresh.a, name="5 off next", type="discount_amount", value=500, sku=None,
                  cost_points=None)
    assert five["cost_points"] is None
    rule(fresh.a, gift(five["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    [given] = purchase(fresh.a, cart(m, 6000)).json["coupons_issued"]
    assert given["code"] is not None
    assert evaluate(fresh.a, cart(m, 2000, coupons=[given["code"]]))["discount"] == 500
    rich = fresh.a.post("/v1/members/%s/adjustments" % m, {"points": 1000, "reason": "seed"})
    assert rich.status == 201, rich
    r = fresh.a.post("/v1/members/%s/rewards/%s/redeem" % (m, five["id"]))
    assert r.status == 422 and r.error["code"] == "not_for_sale", r
    listed = [x for x in fresh.a.get("/v1/rewards?member_id=" + m).json["data"]
              if x["id"] == five["id"]]
    assert listed[0]["eligible"] is False and listed[0]["reason"] == "not_for_sale", listed
    # It may be put on sale later, and taken off again.
    assert fresh.a.patch("/v1/rewards/" + five["id"], {"cost_points": 300}).status == 200
    assert fresh.a.post("/v1/members/%s/rewards/%s/redeem" % (m, five["id"])).status == 201
    r = fresh.a.patch("/v1/rewards/" + five["id"], {"cost_points": 0})
    assert r.status == 400 and r.error["field"] == "cost_points", r


# ---- Two PostgreSQL nodes ----

@pytest.mark.skipif(conftest.STORE != "postgres", reason="two nodes share a PostgreSQL database")
def test_two_nodes_race_for_the_last_units_and_a_coupon(fresh):
    set_clock(fresh.a, START)
    three = reward(fresh.a, **dict(FIVE_OFF, stock=3))
    rule(fresh.a, gift(three["id"]), OVER_50)
    other = conftest.Server(fresh.db, ("--test-clock",))
    try:
        ports = [fresh.server.port, other.port]
        Client(other.port, fresh.key_a).put("/v1/test/clock", {"now": START})
        members = [new_member(fresh.a)["id"] for _ in range(10)]
        answers = []
        go = threading.Barrier(10)

        def buy(i):
            c = Client(ports[i % 2], fresh.key_a)
            go.wait()
            answers.append(c.post("/v1/transactions", dict(cart(members[i], 6000),
                                                           external_id=unique("r"))))

        threads = [threading.Thread(target=buy, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert [a.status for a in answers] == [201] * 10, answers
        given = [a.json["coupons_issued"][0] for a in answers]
        codes = [g["code"] for g in given if g["code"]]
        assert len(codes) == 3 and issued_of(fresh.a, three["id"]) == 3
        # One coupon used on one node while its purchase is returned on the other.
        winner = next(a.json for a in answers if a.json["coupons_issued"][0]["code"])
        code = winner["coupons_issued"][0]["code"]
        got = {}
        go2 = threading.Barrier(2)

        def ret():
            go2.wait()
            got["ret"] = Client(ports[0], fresh.key_a).post(
                "/v1/transactions/%s/returns" % winner["id"],
                {"external_id": unique("ret"), "amount": 6000})

        def use():
            go2.wait()
            got["use"] = Client(ports[1], fresh.key_a).post("/v1/transactions", dict(
                cart(winner["member_id"], 2000, coupons=[code]), external_id=unique("u")))

        ts = [threading.Thread(target=ret), threading.Thread(target=use)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        assert got["ret"].status == 201, got["ret"]
        [back] = got["ret"].json["coupons_taken_back"]
        if got["use"].status == 201:
            assert back["status"] == "redeemed" and state(fresh.a, code) == "redeemed"
        else:
            assert got["use"].error["code"] == "coupon_cancelled", got["use"]
            assert back["status"] == "cancelled" and state(fresh.a, code) == "cancelled"
    finally:
        other.stop()
    audit(fresh)


def test_bug_returning_a_free_line_cancels_the_next_order_coupon_the_kept_cart_still_earns(
        fresh):
    """The same root as above, on a next-order coupon: the rule "left to pay at least 40.00
    gives 5.00 off the next order" (`cart.remaining`, docs/rules.md) fires on a tea made free
    by a `skus: ["TEA"]` coupon and a coffee of 45.00: 45.00 is left to pay. Returning the free
    tea keeps the coffee, paid 45.00 in full, so the kept cart still fires the rule. Expected:
    `coupons_taken_back` empty, the coupon still active. Got: the kept cart pays 8.18 of the
    tea's coupon (10.00 × 45.00 / 55.00, carts.c kept_cart), 36.82 is left, the rule no longer
    fires, and the return cancels the member's coupon."""
    set_clock(fresh.a, START)
    m = rich_member(fresh.a, 1000)
    five = reward(fresh.a, **FIVE_OFF)
    rule(fresh.a, gift(five["id"]), {"gte": ["cart.remaining", 4000]})
    tea = reward(fresh.a, name="Free tea", type="discount_percent", value=10000, sku=None,
                 cost_points=100, skus=["TEA"])
    code = redeem(fresh.a, m, tea["id"]).json["code"]
    lines = [{"sku": "TEA", "quantity": 1, "unit_price": 1000},
             {"sku": "COF", "quantity": 1, "unit_price": 4500}]
    p = purchase(fresh.a, cart(m, items=lines, coupons=[code])).json
    assert p["discount"] == 1000
    [given] = p["coupons_issued"]
    assert given["reason"] is None
    back = give_back(fresh.a, p, items=[{"sku": "TEA", "quantity": 1}])
    assert back["coupons_taken_back"] == [], back
    assert state(fresh.a, given["code"]) == "active"


def test_a_coupon_cancelled_at_the_till_is_not_given_back_twice_by_a_return(fresh):
    set_clock(fresh.a, START)
    two = reward(fresh.a, **dict(FIVE_OFF, stock=2))
    rule(fresh.a, gift(two["id"]), OVER_50)
    free = reward(fresh.a, name="Free coffee", type="free_product", sku="COF", cost_points=5,
                  stock=2)
    card(fresh.a, free["id"], stamps_required=3)
    m = new_member(fresh.a)["id"]
    p = purchase(fresh.a, cart(m, items=coffees(3, 2000))).json
    codes = [g["code"] for g in p["coupons_issued"]]
    assert len(codes) == 2 and None not in codes
    for code in codes:
        r = fresh.a.post("/v1/coupons/%s/cancel" % code, {})
        assert r.status == 200 and r.json["status"] == "cancelled", r
    assert issued_of(fresh.a, two["id"]) == 0 and issued_of(fresh.a, free["id"]) == 0
    back = give_back(fresh.a, p, 6000)
    assert back["coupons_taken_back"] == []
    assert issued_of(fresh.a, two["id"]) == 0 and issued_of(fresh.a, free["id"]) == 0
    # Another program cannot see or cancel a member's given coupon.
    p2 = purchase(fresh.a, cart(m, 6000)).json
    code = p2["coupons_issued"][0]["code"]
    assert fresh.b.get("/v1/coupons/" + code).status == 404
    assert fresh.b.post("/v1/coupons/%s/cancel" % code, {}).status == 404
    assert state(fresh.a, code) == "active"
    audit(fresh)


def test_partner_codes_given_to_racing_purchases_are_each_drawn_once(fresh):
    set_clock(fresh.a, START)
    pv = reward(fresh.a, name="Cinema", type="partner_voucher", sku=None, cost_points=10)
    up = fresh.a.post("/v1/rewards/%s/vouchers" % pv["id"], {"codes": ["CIN-1", "CIN-2"]})
    assert up.status == 200, up
    rule(fresh.a, gift(pv["id"]), OVER_50)
    members = [new_member(fresh.a)["id"] for _ in range(6)]
    answers = []
    go = threading.Barrier(6)

    def buy(m):
        c = Client(fresh.server.port, fresh.key_a)
        go.wait()
        answers.append(c.post("/v1/transactions", dict(cart(m, 6000), external_id=unique("r"))))

    threads = [threading.Thread(target=buy, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [a.status for a in answers] == [201] * 6, answers
    given = [a.json["coupons_issued"][0] for a in answers]
    codes = [g["code"] for g in given if g["code"]]
    assert sorted(g["reason"] or "-" for g in given) == ["-"] * 2 + ["out_of_stock"] * 4
    partner = sorted(fresh.a.get("/v1/coupons/" + c).json["partner_code"] for c in codes)
    assert partner == ["CIN-1", "CIN-2"]
    audit(fresh)


def test_a_limited_rule_gives_one_coupon_to_racing_purchases(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **FIVE_OFF)
    rule(fresh.a, gift(five["id"]), OVER_50, max_uses=1)
    m = new_member(fresh.a)["id"]
    answers = []
    go = threading.Barrier(6)

    def buy():
        c = Client(fresh.server.port, fresh.key_a)
        go.wait()
        answers.append(c.post("/v1/transactions", dict(cart(m, 6000), external_id=unique("r"))))

    threads = [threading.Thread(target=buy) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [a.status for a in answers] == [201] * 6, answers
    assert sum(len(a.json["coupons_issued"]) for a in answers) == 1
    assert issued_of(fresh.a, five["id"]) == 1
    audit(fresh)


def test_a_simulation_of_a_coupon_rule_writes_nothing(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **dict(FIVE_OFF, stock=3))
    m = new_member(fresh.a)["id"]
    purchase(fresh.a, cart(m, 6000))
    r = fresh.a.post("/v1/rules/simulate", {
        "rule": {"name": "x", "trigger": "purchase", "conditions": OVER_50,
                 "effects": gift(five["id"])},
        "from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"})
    assert r.status == 200, r
    assert issued_of(fresh.a, five["id"]) == 0
    assert all_events(fresh.a, "coupon.issued") == []


def test_an_exclusive_rule_that_only_gives_a_coupon_and_the_coupon_it_gave(fresh):
    """Observed, not asserted as a bug: an exclusive rule whose one effect is issue_coupon
    "gives something", so it stops an order-wide coupon (docs/rules.md, "Exclusive and best
    only"): the coupon the rule itself gave cannot be used on a cart that fires the rule again
    (422 not_combinable), although docs/rules.md says "a purchase using it may fire the rule
    again and get a new one". It can be used on a smaller cart."""
    set_clock(fresh.a, START)
    five = reward(fresh.a, **FIVE_OFF)
    rule(fresh.a, gift(five["id"]), OVER_50, exclusive=True)
    m = new_member(fresh.a)["id"]
    code = purchase(fresh.a, cart(m, 6000)).json["coupons_issued"][0]["code"]
    [c] = evaluate(fresh.a, cart(m, 6000, coupons=[code]))["coupons"]
    assert (c["applied"], c["reason"]) == (False, "not_combinable")
    r = purchase(fresh.a, cart(m, 6000, coupons=[code]), status=422)
    assert r.error["code"] == "not_combinable"
    assert purchase(fresh.a, cart(m, 2000, coupons=[code])).json["discount"] == 500


def test_bug_a_coupon_left_out_by_best_discount_only_is_said_to_have_nothing_to_discount(
        fresh):
    """best_discount_only keeps one order-wide discount (docs/rules.md): with 10.00 off, then
    5.00 off from 40.00 (`min_amount`), and a rule's 30% on a cart of 45.00, the rule wins
    (13.50). The second coupon first met no minimum (35.00 left after the first); once the
    first is left out 45.00 is left, but it is order-wide and so left out too. Expected: its
    reason is `better_discount_applied` (what left it out) or `minimum_not_met`. Got:
    `nothing_to_discount` (core/coupon.c pt_cart_coupons_unused: its rule gave 0 and 45.00 is
    over its minimum), which tells the till the cart has nothing it could take off, and a
    purchase with it is refused with that code."""
    set_clock(fresh.a, START)
    m = rich_member(fresh.a, 10000)
    assert fresh.a.patch("/v1/program", {"best_discount_only": True}).status == 200
    ten = reward(fresh.a, name="10 off", type="discount_amount", value=1000, sku=None,
                 cost_points=10)
    five = reward(fresh.a, name="5 off from 40", type="discount_amount", value=500, sku=None,
                  cost_points=10, min_amount=4000)
    rule(fresh.a, [{"type": "discount", "percent": 30}])
    a = redeem(fresh.a, m, ten["id"]).json["code"]
    b = redeem(fresh.a, m, five["id"]).json["code"]
    answer = evaluate(fresh.a, cart(m, 4500, coupons=[a, b]))
    assert answer["discount"] == 1350, answer
    reasons = [c["reason"] for c in answer["coupons"]]
    assert reasons[0] == "better_discount_applied", reasons
    assert reasons[1] in ("better_discount_applied", "minimum_not_met"), reasons


def test_conditions_changed_after_a_coupon_was_given_apply_to_it(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **FIVE_OFF)
    rule(fresh.a, gift(five["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    code = purchase(fresh.a, cart(m, 6000)).json["coupons_issued"][0]["code"]
    assert fresh.a.patch("/v1/rewards/" + five["id"],
                         {"min_amount": 3000, "categories": ["pastry"]}).status == 200
    plain = [{"sku": "COF", "quantity": 1, "unit_price": 4000}]
    [c] = evaluate(fresh.a, cart(m, items=plain, coupons=[code]))["coupons"]
    assert c["reason"] == "product_not_in_cart"
    small = [{"sku": "CRO", "category": "pastry", "quantity": 1, "unit_price": 2000}]
    [c] = evaluate(fresh.a, cart(m, items=small, coupons=[code]))["coupons"]
    assert c["reason"] == "minimum_not_met"
    r = purchase(fresh.a, cart(m, items=small, coupons=[code]), status=422)
    assert r.error["code"] == "minimum_not_met" and state(fresh.a, code) == "active"
    both = small + plain
    answer = evaluate(fresh.a, cart(m, items=both, coupons=[code]))
    assert [x["discount"] for x in answer["lines"]] == [500, 0]
    same_answer(answer, purchase(fresh.a, cart(m, items=both, coupons=[code])).json)
    assert state(fresh.a, code) == "redeemed"


def test_bug_the_till_verifying_a_coupon_is_not_shown_its_conditions(fresh):
    """Issue 18, item 14: "Coupons can carry conditions (minimum left to pay, products)
    checked when used". POST /v1/coupons/{code}/redeem at the till has no cart, so
    docs/rewards.md says "the cashier reads them on the reward". Expected: the coupon a till
    verifies (GET /v1/coupons/{code}, whose answer holds the `reward`) shows the reward's
    `min_amount`, `skus` and `categories`, so that the cashier can check them before
    redeeming. Got: its `reward` is only id, name, type, value and sku; the till must look the
    reward up again, and POST /v1/coupons/{code}/redeem uses a coupon whose conditions nothing
    checked."""
    set_clock(fresh.a, START)
    half = reward(fresh.a, name="Half tea from 30", type="discount_percent", value=5000,
                  sku=None, cost_points=10, skus=["TEA"], min_amount=3000)
    rule(fresh.a, gift(half["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    code = purchase(fresh.a, cart(m, 6000)).json["coupons_issued"][0]["code"]
    shown = fresh.a.get("/v1/coupons/" + code).json["reward"]
    assert (shown.get("min_amount"), shown.get("skus"), shown.get("categories")) == (
        3000, ["TEA"], []), shown


def test_bug_an_exclusive_coupon_rule_out_of_stock_gives_nothing_yet_stops_every_other_offer(
        fresh):
    """docs/rules.md: "An exclusive rule that fires and gives something ends the evaluation; one
    that gives nothing (a free-items rule short of a free unit) does not." An exclusive rule
    whose one effect is issue_coupon, once its reward is out of stock, gives nothing (its entry
    in coupons_issued says out_of_stock, code null). Expected: it does not end the evaluation,
    and the 10% rule after it applies (6.00 off 60.00). Got: the evaluation counts the coupon's
    reward as given whatever the stock (rules_evaluate.c exclusive_gives: coupon_reward !=
    NULL), so the member gets neither the coupon nor the 10%."""
    set_clock(fresh.a, START)
    one = reward(fresh.a, **dict(FIVE_OFF, stock=1))
    rule(fresh.a, gift(one["id"]), OVER_50, exclusive=True, priority=10)
    rule(fresh.a, [{"type": "discount", "percent": 10}])
    m = new_member(fresh.a)["id"]
    first = purchase(fresh.a, cart(m, 6000)).json
    assert first["discount"] == 0 and first["coupons_issued"][0]["reason"] is None
    second = purchase(fresh.a, cart(m, 6000)).json
    assert second["coupons_issued"][0]["reason"] == "out_of_stock"
    assert second["discount"] == 600, second


def test_bug_a_sku_with_a_nul_character_is_cut_short_silently(fresh):
    """"Bad input gets a clear error and changes nothing" (API rules). A cart refuses a SKU
    with a NUL character (400 `items.0.sku`), but PATCH /v1/rewards/{id} with `"skus":
    ["A\\u0000B"]` answers 200 and stores `["A"]` (http/fields.c decode_names checks the JSON
    length, then the text is copied as a C string): the coupon's condition now names another
    product. The same for `categories` (and `tiers`, from before). Expected: 400 with field
    `skus`, and the reward unchanged."""
    half = reward(fresh.a, name="Half tea", type="discount_percent", value=5000, sku=None,
                  cost_points=10, skus=["TEA"])
    for field in ("skus", "categories"):
        r = fresh.a.patch("/v1/rewards/" + half["id"], {field: ["A\u0000B"]})
        assert r.status == 400 and r.error.get("field") == field, (field, r)
    assert fresh.a.get("/v1/rewards/" + half["id"]).json == half
