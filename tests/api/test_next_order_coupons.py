# SPDX-License-Identifier: MIT
"""Next-order coupons (issue 18, item 14), on the test clock.

- A rule's effect `issue_coupon` gives the member a coupon of a reward of the catalog for a
  later purchase: no points, personal, the reward's coupon_valid_days and stock; the reward's
  tiers and per-member limit do not apply. Purchase, activity and enrollment rules give one.
  A reward that is not active now, or out of stock, gives none and the purchase still
  succeeds, saying why. A rule naming a reward the program does not have is refused.
- A stamp card's reward may be a reward of the catalog: completing the card gives its coupon.
- A return that undoes what gave a coupon takes it back: a full return, a return whose kept
  cart no longer fires the rule, a return of stamps out of the completed card. An unused
  coupon is cancelled (its unit back to stock); a used one stays and the return says so.
- A reward's coupon may have conditions checked when it is used in a cart: min_amount (what is
  left to pay of the cart when it applies) and skus/categories (the cart must hold one; a
  discount then applies to those lines only): minimum_not_met, product_not_in_cart.
- What POST /v1/carts/evaluate answers is what the purchase gives.

The audit runs after each test (conftest): each reward's `issued` equals its coupons that were
not cancelled."""
from conftest import new_member, unique
from test_cart_coupons import cart, evaluate, purchase, state
from test_coupon_batches import codes_of, wait_ready
from test_rewards import redeem, reward, rich_member, set_clock
from test_returns_undo import give_back, ledger_types

START = "2026-03-02T10:00:00Z"  # a Monday
OVER_50 = {"gte": ["cart.amount", 5000]}
FIVE_OFF = {"name": "5.00 off your next order", "type": "discount_amount", "value": 500,
            "sku": None, "cost_points": 1000, "coupon_valid_days": 14}


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


def coupon(client, code):
    r = client.get("/v1/coupons/" + code)
    assert r.status == 200, r
    return r.json


def issued_of(client, reward_id):
    return client.get("/v1/rewards/" + reward_id).json["issued"]


def events(client, kind, member):
    r = client.get("/v1/events?limit=200")
    assert r.status == 200, r
    return [e["data"] for e in r.json["data"] if e["type"] == kind and e["member_id"] == member]


def coffees(n, price=300):
    return [{"sku": "COF", "category": "coffee", "quantity": n, "unit_price": price}]


# ---- issue_coupon on a purchase rule ----

def test_a_purchase_rule_gives_a_coupon_for_the_next_purchase(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **dict(FIVE_OFF, stock=5, tiers=["Gold"], per_member_limit=1))
    r = rule(fresh.a, gift(five["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    body = cart(m, 6000)
    answer = evaluate(fresh.a, body)
    # The evaluation says the purchase gives a coupon of the reward, and issues nothing.
    assert answer["rules"] == [{"rule_id": r["id"], "version": 1, "name": r["name"],
                                "points": 0, "discount": 0, "free_units": 0,
                                "free_shipping": False, "capped": False,
                                "coupon_reward_id": five["id"]}]
    assert issued_of(fresh.a, five["id"]) == 0
    key = {"Idempotency-Key": unique("k")}
    ext = unique("r")
    first = fresh.a.post("/v1/transactions", dict(body, external_id=ext), headers=key)
    assert first.status == 201, first
    bought = first.json
    assert bought["rules"] == answer["rules"] and bought["points_earned"] == answer["points"]
    [given] = bought["coupons_issued"]
    assert given == {"reward_id": five["id"], "code": given["code"], "rule_id": r["id"],
                     "card_id": None, "expires_at": "2026-03-16T10:00:00Z", "reason": None}
    c = coupon(fresh.a, given["code"])
    # Personal, free (the reward's 1000 points are not spent: the member has 60), no tiers.
    assert c["status"] == "active" and c["member_id"] == m and c["valid"] is True
    assert c["source"] == "rule" and c["source_id"] == r["id"]
    assert c["reward"]["id"] == five["id"] and c["expires_at"] == "2026-03-16T10:00:00Z"
    assert "redeem" not in ledger_types(fresh.a, m)
    assert issued_of(fresh.a, five["id"]) == 1
    [ev] = events(fresh.a, "coupon.issued", m)
    assert ev["code"] == given["code"] and ev["source"] == "rule"
    # A replay gives the same answer and no second coupon.
    again = fresh.a.post("/v1/transactions", dict(body, external_id=ext), headers=key)
    assert again.status == 201 and again.json == bought
    assert issued_of(fresh.a, five["id"]) == 1
    # Another member cannot use it; its member can, on the next purchase. The coupon comes
    # before the rule (cart.amount is before discounts: 60.00), which gives a new coupon; the
    # per_member_limit of the reward does not apply to what a rule gives.
    other = new_member(fresh.a)["id"]
    [theirs] = evaluate(fresh.a, cart(other, 2000, coupons=[given["code"]]))["coupons"]
    assert theirs["reason"] == "coupon_not_yours"
    nxt = evaluate(fresh.a, cart(m, 6000, coupons=[given["code"]]))
    assert nxt["discount"] == 500 and nxt["rules"][0]["coupon_reward_id"] == five["id"]
    used = purchase(fresh.a, cart(m, 6000, coupons=[given["code"]])).json
    assert used["discount"] == 500 and used["coupons"] == nxt["coupons"]
    [second] = used["coupons_issued"]
    assert second["code"] != given["code"] and second["reason"] is None
    assert state(fresh.a, given["code"]) == "redeemed"
    # Below the threshold: no coupon.
    assert purchase(fresh.a, cart(m, 2000)).json["coupons_issued"] == []
    assert issued_of(fresh.a, five["id"]) == 2


def test_no_coupon_when_the_reward_is_out_of_stock_or_inactive_and_the_purchase_succeeds(fresh):
    set_clock(fresh.a, START)
    one = reward(fresh.a, **dict(FIVE_OFF, stock=1))
    r = rule(fresh.a, gift(one["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    [first] = purchase(fresh.a, cart(m, 6000)).json["coupons_issued"]
    assert first["reason"] is None
    out = purchase(fresh.a, cart(m, 6000)).json
    assert out["points_earned"] == 60 and out["rules"][0]["coupon_reward_id"] == one["id"]
    assert out["coupons_issued"] == [{"reward_id": one["id"], "code": None, "rule_id": r["id"],
                                      "card_id": None, "expires_at": None,
                                      "reason": "out_of_stock"}]
    assert issued_of(fresh.a, one["id"]) == 1
    # Cancelled at the till, it gives its unit back and no points move (it cost none).
    points = fresh.a.get("/v1/members/%s/balance" % m).json
    gone = fresh.a.post("/v1/coupons/%s/cancel" % first["code"], {"reason": "not wanted"})
    assert gone.status == 200 and gone.json["status"] == "cancelled", gone
    assert gone.json["cancel_reason"] == "not wanted"
    assert fresh.a.get("/v1/members/%s/balance" % m).json == points
    assert issued_of(fresh.a, one["id"]) == 0
    assert purchase(fresh.a, cart(m, 6000)).json["coupons_issued"][0]["reason"] is None
    # Stock again, but inactive: none; and a reward not valid yet is not active either.
    assert fresh.a.patch("/v1/rewards/" + one["id"],
                         {"stock": 10, "status": "inactive"}).status == 200
    assert purchase(fresh.a, cart(m, 6000)).json["coupons_issued"][0]["reason"] == \
        "reward_inactive"
    assert fresh.a.patch("/v1/rewards/" + one["id"],
                         {"status": "active", "valid_from": "2026-04-01T00:00:00Z"}).status == 200
    assert purchase(fresh.a, cart(m, 6000)).json["coupons_issued"][0]["reason"] == \
        "reward_inactive"
    set_clock(fresh.a, "2026-04-01T00:00:00Z")
    assert purchase(fresh.a, cart(m, 6000)).json["coupons_issued"][0]["reason"] is None
    assert issued_of(fresh.a, one["id"]) == 2


def test_a_rule_naming_no_reward_of_the_program_is_refused(fresh):
    r = fresh.a.post("/v1/rules", {"name": "x", "trigger": "purchase", "status": "active",
                                   "effects": [{"type": "award_points", "points": 1},
                                               {"type": "issue_coupon", "reward": "rwd_nope"}]})
    assert r.status == 422 and r.error["code"] == "reward_not_found", r
    assert r.error["field"] == "effects.1.reward", r
    assert fresh.a.get("/v1/rules").json["data"] == []
    r = fresh.a.post("/v1/rules", {"name": "x", "trigger": "purchase",
                                   "effects": [{"type": "issue_coupon", "reward": "nope"}]})
    assert r.status == 400 and r.error["field"] == "effects.0.reward", r
    # A change to an unknown reward changes nothing; an archived reward gives no coupon.
    five = reward(fresh.a, **FIVE_OFF)
    ok = rule(fresh.a, gift(five["id"]))
    r = fresh.a.patch("/v1/rules/" + ok["id"], {"effects": gift("rwd_nope")})
    assert r.status == 422 and r.error["code"] == "reward_not_found", r
    assert fresh.a.get("/v1/rules/" + ok["id"]).json["version"] == 1
    gone = reward(fresh.a, **FIVE_OFF)
    assert fresh.a.patch("/v1/rewards/" + gone["id"], {"status": "archived"}).status == 200
    r = fresh.a.post("/v1/rules", {"name": "x", "trigger": "purchase",
                                   "effects": gift(gone["id"])})
    assert r.status == 422 and r.error["code"] == "reward_inactive", r
    assert r.error["field"] == "effects.0.reward", r


def test_activity_enrollment_and_birthday_rules_give_coupons(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **FIVE_OFF)
    welcome = reward(fresh.a, **dict(FIVE_OFF, name="Welcome", value=300))
    r = rule(fresh.a, gift(five["id"]), trigger="activity:review", max_uses_per_member=1)
    rule(fresh.a, gift(welcome["id"]), trigger="enrollment")
    m = new_member(fresh.a)["id"]
    [hello] = events(fresh.a, "coupon.issued", m)
    assert hello["reward"]["id"] == welcome["id"] and hello["source"] == "rule"
    assert coupon(fresh.a, hello["code"])["status"] == "active"
    body = {"member_id": m, "type": "review", "external_id": unique("rv"),
            "occurred_at": START, "properties": {"stars": 5}}
    a = fresh.a.post("/v1/activities", body)
    assert a.status == 201, a
    assert a.json["points_earned"] == 0
    assert a.json["rules"][0]["coupon_reward_id"] == five["id"]
    [given] = a.json["coupons_issued"]
    assert given["rule_id"] == r["id"] and coupon(fresh.a, given["code"])["member_id"] == m
    # The rule's one use per member is counted though it gave no points.
    again = fresh.a.post("/v1/activities", dict(body, external_id=unique("rv")))
    assert again.status == 201 and again.json["coupons_issued"] == [], again
    assert issued_of(fresh.a, five["id"]) == 1
    # A birthday rule gives one on the birthday, once a year, with no points.
    cake = reward(fresh.a, **dict(FIVE_OFF, name="Birthday cake", type="gift"))
    rule(fresh.a, gift(cake["id"]), trigger="birthday")
    born = new_member(fresh.a, birth_date="1990-03-02")["id"]
    run = fresh.a.post("/v1/jobs/birthdays")
    assert run.status == 200 and run.json == {"members": 1, "points": 0}, run
    assert fresh.a.post("/v1/jobs/birthdays").json == {"members": 0, "points": 0}
    [party] = [e for e in events(fresh.a, "coupon.issued", born)
               if e["reward"]["id"] == cake["id"]]
    assert coupon(fresh.a, party["code"])["expires_at"] == "2026-03-16T10:00:00Z"
    assert issued_of(fresh.a, cake["id"]) == 1


# ---- Stamp cards whose reward is of the catalog ----

def card(client, reward_id, **fields):
    body = {"name": "Coffee card", "stamps_required": 3, "stamps_per": "item",
            "items": {"eq": ["item.category", "coffee"]}, "reward": {"reward_id": reward_id}}
    body.update(fields)
    r = client.post("/v1/stamp-cards", body)
    assert r.status == 201, r
    return r.json


def test_a_card_with_a_catalog_reward_gives_its_coupon_and_a_full_return_cancels_it(fresh):
    set_clock(fresh.a, START)
    free = reward(fresh.a, name="Free coffee", type="free_product", sku="COF", cost_points=500,
                  stock=3)
    r = fresh.a.post("/v1/stamp-cards", {"name": "x", "stamps_required": 3,
                                         "reward": {"reward_id": "rwd_nope"}})
    assert r.status == 422 and r.error["code"] == "reward_not_found", r
    assert r.error["field"] == "reward.reward_id", r
    c = card(fresh.a, free["id"])
    assert c["reward"] == {"points": None, "reward_id": free["id"]}
    m = new_member(fresh.a)["id"]
    p = purchase(fresh.a, cart(m, items=coffees(3))).json
    assert p["stamp_cards"][0]["completed"] == 1 and p["points_earned"] == 9
    [given] = p["coupons_issued"]
    assert given["card_id"] == c["id"] and given["rule_id"] is None
    assert given["reward_id"] == free["id"] and given["reason"] is None
    got = coupon(fresh.a, given["code"])
    assert got["source"] == "stamp_card" and got["source_id"] == c["id"]
    [done] = events(fresh.a, "stamp_card.completed", m)
    assert done["coupon_code"] == given["code"] and done["reward_points"] == 0
    assert done["reward_id"] == free["id"] and done["entry_id"] is None
    cards = fresh.a.get("/v1/members/%s/stamp-cards" % m).json["data"]
    assert cards[0]["reward"] == {"points": None, "reward_id": free["id"]}
    assert issued_of(fresh.a, free["id"]) == 1
    # The full return takes the card's stamps, and so its unused coupon: cancelled, the unit
    # back to stock.
    back = give_back(fresh.a, p, 900)
    assert back["coupons_taken_back"] == [{"reward_id": free["id"], "code": given["code"],
                                           "rule_id": None, "card_id": c["id"],
                                           "expires_at": given["expires_at"],
                                           "status": "cancelled"}]
    got = coupon(fresh.a, given["code"])
    assert got["status"] == "cancelled" and got["cancel_reason"] == "return " + back["id"]
    assert issued_of(fresh.a, free["id"]) == 0
    assert [e["code"] for e in events(fresh.a, "coupon.cancelled", m)] == [given["code"]]
    # It cannot be used any more.
    [used] = evaluate(fresh.a, cart(m, items=coffees(1), coupons=[given["code"]]))["coupons"]
    assert used["reason"] == "coupon_cancelled"


def test_a_return_after_the_coupon_was_used_leaves_it_used_and_says_so(fresh):
    set_clock(fresh.a, START)
    free = reward(fresh.a, name="Free coffee", type="free_product", sku="COF", cost_points=500)
    c = card(fresh.a, free["id"])
    m = new_member(fresh.a)["id"]
    p = purchase(fresh.a, cart(m, items=coffees(3))).json
    code = p["coupons_issued"][0]["code"]
    spent = purchase(fresh.a, cart(m, items=coffees(1), coupons=[code])).json
    assert spent["discount"] == 300 and state(fresh.a, code) == "redeemed"
    back = give_back(fresh.a, p, 300)  # One coffee out of the completed card.
    assert back["coupons_taken_back"] == [{"reward_id": free["id"], "code": code,
                                           "rule_id": None, "card_id": c["id"],
                                           "expires_at": p["coupons_issued"][0]["expires_at"],
                                           "status": "redeemed"}]
    assert state(fresh.a, code) == "redeemed" and issued_of(fresh.a, free["id"]) == 1
    assert events(fresh.a, "coupon.cancelled", m) == []
    # A later return of the same card finds nothing more to take.
    assert give_back(fresh.a, p, 600)["coupons_taken_back"] == []


# ---- Returns of a purchase whose rule gave a coupon ----

def test_a_return_below_the_threshold_cancels_the_rules_coupon(fresh):
    set_clock(fresh.a, START)
    five = reward(fresh.a, **FIVE_OFF)
    rule(fresh.a, gift(five["id"]), OVER_50)
    m = new_member(fresh.a)["id"]
    lines = [{"sku": "A", "quantity": 1, "unit_price": 3000},
             {"sku": "B", "quantity": 1, "unit_price": 3000}]
    # Returning B keeps 30.00, below 50.00: the rule no longer fires, its coupon goes.
    p = purchase(fresh.a, cart(m, items=lines)).json
    code = p["coupons_issued"][0]["code"]
    back = give_back(fresh.a, p, items=[{"sku": "B", "quantity": 1}])
    assert [(x["code"], x["status"]) for x in back["coupons_taken_back"]] == [(code, "cancelled")]
    assert state(fresh.a, code) == "cancelled" and issued_of(fresh.a, five["id"]) == 0
    # Returning 5.00 of a 60.00 purchase without items keeps 55.00: the coupon stays, and goes
    # with the rest.
    q = purchase(fresh.a, cart(m, 6000)).json
    kept = q["coupons_issued"][0]["code"]
    assert give_back(fresh.a, q, 500)["coupons_taken_back"] == []
    assert state(fresh.a, kept) == "active"
    assert [x["code"] for x in give_back(fresh.a, q, 5500)["coupons_taken_back"]] == [kept]
    assert state(fresh.a, kept) == "cancelled"
    # docs/rules.md's example: returning 20.00 of 60.00 keeps 40.00, below the threshold.
    t = purchase(fresh.a, cart(m, 6000)).json
    back = give_back(fresh.a, t, 2000)
    assert back["points_reversed"] == 20
    assert [(x["code"], x["status"]) for x in back["coupons_taken_back"]] == [
        (t["coupons_issued"][0]["code"], "cancelled")]
    # A purchase with items returned by amount cannot say what is kept: its coupon stays until
    # all is returned.
    s = purchase(fresh.a, cart(m, items=lines)).json
    third = s["coupons_issued"][0]["code"]
    assert give_back(fresh.a, s, 3000)["coupons_taken_back"] == []
    assert state(fresh.a, third) == "active"
    assert give_back(fresh.a, s, 3000)["coupons_taken_back"][0]["status"] == "cancelled"
    assert issued_of(fresh.a, five["id"]) == 0


# ---- Conditions of a coupon ----

def test_a_minimum_is_of_what_is_left_to_pay_when_the_coupon_applies(fresh):
    set_clock(fresh.a, START)
    m = rich_member(fresh.a, 10000)
    least = reward(fresh.a, **dict(FIVE_OFF, cost_points=100, min_amount=3000))
    assert least["min_amount"] == 3000 and least["skus"] == [] and least["categories"] == []
    ten = reward(fresh.a, **dict(FIVE_OFF, cost_points=100, value=1000))
    code = redeem(fresh.a, m, least["id"]).json["code"]
    other = redeem(fresh.a, m, ten["id"]).json["code"]
    [c] = evaluate(fresh.a, cart(m, 2500, coupons=[code]))["coupons"]
    assert (c["applied"], c["reason"], c["discount"]) == (False, "minimum_not_met", 0)
    refused = purchase(fresh.a, cart(m, 2500, coupons=[code]), status=422)
    assert (refused.error["code"], refused.error["field"]) == ("minimum_not_met", "coupons")
    assert state(fresh.a, code) == "active"
    # 35.00 less the till's 10.00 is 25.00: short. The coupon before it counts too.
    short = evaluate(fresh.a, cart(m, 3500, coupons=[code], discount=1000))
    assert short["coupons"][0]["reason"] == "minimum_not_met" and short["discount"] == 1000
    after = evaluate(fresh.a, cart(m, 3500, coupons=[other, code]))
    assert [x["reason"] for x in after["coupons"]] == [None, "minimum_not_met"]
    before = evaluate(fresh.a, cart(m, 3500, coupons=[code, other]))
    assert [x["discount"] for x in before["coupons"]] == [500, 1000]
    bought = purchase(fresh.a, cart(m, 3500, coupons=[code, other])).json
    assert bought["discount"] == 1500 and bought["coupons"] == before["coupons"]
    assert state(fresh.a, code) == "redeemed"
    # A promotion code of a batch that gives the reward has its conditions.
    made = fresh.a.post("/v1/coupon-batches", {"name": "flyer", "reward_id": least["id"],
                                               "count": 1})
    assert made.status == 202, made
    [(_, promo, _)] = codes_of(fresh.a, wait_ready(fresh.a, made.json["id"])["id"])
    [p] = evaluate(fresh.a, cart(m, 2000, coupons=[promo]))["coupons"]
    assert (p["kind"], p["reason"]) == ("promo_code", "minimum_not_met")
    # null clears the minimum.
    assert fresh.a.patch("/v1/rewards/" + least["id"], {"min_amount": None}).json[
        "min_amount"] is None
    assert evaluate(fresh.a, cart(m, 2000, coupons=[promo]))["coupons"][0]["discount"] == 500


def test_products_a_coupon_needs_and_the_lines_it_discounts(fresh):
    set_clock(fresh.a, START)
    m = rich_member(fresh.a, 10000)
    half = reward(fresh.a, name="Half price tea and pastries", type="discount_percent",
                  value=5000, sku=None, cost_points=100, skus=["TEA"], categories=["pastry"])
    code = redeem(fresh.a, m, half["id"]).json["code"]
    coffee = [{"sku": "COF", "category": "drinks", "quantity": 1, "unit_price": 1400}]
    [c] = evaluate(fresh.a, cart(m, items=coffee, coupons=[code]))["coupons"]
    assert (c["applied"], c["reason"]) == (False, "product_not_in_cart")
    refused = purchase(fresh.a, cart(m, items=coffee, coupons=[code]), status=422)
    assert refused.error["code"] == "product_not_in_cart" and state(fresh.a, code) == "active"
    mixed = [{"sku": "TEA", "category": "drinks", "quantity": 1, "unit_price": 1000},
             {"sku": "CRO", "category": "pastry", "quantity": 1, "unit_price": 800}] + coffee
    answer = evaluate(fresh.a, cart(m, items=mixed, coupons=[code]))
    assert answer["discount"] == 900
    assert [x["discount"] for x in answer["lines"]] == [500, 400, 0]
    bought = purchase(fresh.a, cart(m, items=mixed, coupons=[code])).json
    for k in ("discount", "lines", "coupons", "rules", "base_points"):
        assert bought[k] == answer[k], k
    # A free product may need another product in the cart: a coffee free with a pastry.
    treat = reward(fresh.a, name="Coffee with a pastry", type="free_product", sku="COF",
                   cost_points=100, categories=["pastry"])
    free = redeem(fresh.a, m, treat["id"]).json["code"]
    [alone] = evaluate(fresh.a, cart(m, items=coffee, coupons=[free]))["coupons"]
    assert alone["reason"] == "product_not_in_cart"
    with_pastry = evaluate(fresh.a, cart(m, items=mixed, coupons=[free]))
    assert [x["discount"] for x in with_pastry["lines"]] == [0, 0, 1400]
    # [] lifts the condition; bad lists are refused and change nothing.
    assert fresh.a.patch("/v1/rewards/" + treat["id"], {"categories": []}).status == 200
    assert evaluate(fresh.a, cart(m, items=coffee, coupons=[free]))["discount"] == 1400
    half = fresh.a.get("/v1/rewards/" + half["id"]).json
    for patch, field in (({"skus": ["S%d" % i for i in range(33)]}, "skus"),
                         ({"skus": "TEA"}, "skus"), ({"categories": [""]}, "categories"),
                         ({"min_amount": 0}, "min_amount")):
        r = fresh.a.patch("/v1/rewards/" + half["id"], patch)
        assert r.status == 400 and r.error["field"] == field, (patch, r)
    r = fresh.a.post("/v1/rewards", {"name": "Cinema", "type": "partner_voucher",
                                     "cost_points": 10, "min_amount": 100})
    assert r.status == 400 and r.error["field"] == "min_amount", r
    assert fresh.a.get("/v1/rewards/" + half["id"]).json == half


def test_evaluate_equals_purchase_with_issued_coupons_and_conditions(fresh):
    set_clock(fresh.a, START)
    m = rich_member(fresh.a, 100000)
    five = reward(fresh.a, **FIVE_OFF)
    rule(fresh.a, gift(five["id"]), {"gte": ["cart.remaining", 4000]}, priority=1)
    rule(fresh.a, [{"type": "discount", "percent": 10}], {"gte": ["cart.amount", 3000]})
    tea = reward(fresh.a, name="2 off tea", type="discount_amount", value=200, sku=None,
                 cost_points=10, skus=["TEA"], min_amount=2500)
    carts = [
        [{"sku": "TEA", "quantity": 2, "unit_price": 1500}],
        [{"sku": "TEA", "quantity": 1, "unit_price": 1500},
         {"sku": "CAKE", "quantity": 2, "unit_price": 1400}],
        [{"sku": "CAKE", "quantity": 1, "unit_price": 2600}],
        [{"sku": "TEA", "quantity": 1, "unit_price": 2400}],
    ]
    for items in carts:
        code = redeem(fresh.a, m, tea["id"]).json["code"]
        body = cart(m, items=items, coupons=[code])
        answer = evaluate(fresh.a, body)
        r = fresh.a.post("/v1/transactions", dict(body, external_id=unique("r")))
        if answer["coupons"][0]["applied"]:
            assert r.status == 201, r
        else:
            assert r.status == 422 and r.error["code"] == answer["coupons"][0]["reason"], r
            r = fresh.a.post("/v1/transactions", dict(cart(m, items=items),
                                                      external_id=unique("r")))
            answer = evaluate(fresh.a, cart(m, items=items))
        bought = r.json
        assert bought["points_earned"] == answer["points"]
        for k in ("discount", "base_points", "rules", "lines", "coupons", "nudges"):
            assert bought[k] == answer[k], (k, items, answer[k], bought[k])
        gives = [x["coupon_reward_id"] for x in answer["rules"] if "coupon_reward_id" in x]
        assert [x["reward_id"] for x in bought["coupons_issued"]] == gives
