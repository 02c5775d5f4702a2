# SPDX-License-Identifier: MIT
"""Paying with points, and how each purchase was paid (issue 18, item 16).

- The program's `points_payment` policy (enabled, min_points, max_percent of what is left to
  pay, whole multiples) and its point_value decide what points pay; a points payment always
  pays a whole number of minor units.
- `payments` on a cart and a purchase: card, cash, points, wallet, other. A purchase's lines
  add up to what is left to pay after discounts; points and wallet money are spent in the
  purchase's own transaction, before it earns.
- Points are not earned on what points paid, and wallet money earns no cashback, unless the
  program says so; rules see `payment.*` facts.
- Returns give points and wallet money back in proportion, exactly once all is returned, and
  tell the till what to give back of the other lines; the kept cart of a return is evaluated
  with what is kept of the payments.
- Every refusal changes nothing; evaluate equals purchase; the audit runs after each test."""
import threading

from conftest import new_member, unique
from test_rewards import rich_member, set_clock

START = "2026-03-02T10:00:00Z"
POLICY = {"enabled": True, "min_points": 100, "max_percent": 50, "multiple": 100,
          "earns_points": False}


def configure(client, **policy):
    set_clock(client, START)
    body = {"earn_rate": {"points": 1, "per_amount": 100}, "pending_days": 0,
            "point_value": {"amount": 1, "points": 1}, "points_payment": dict(POLICY, **policy),
            "hold_returnable": False, "return_days": 0}
    r = client.patch("/v1/program", body)
    assert r.status == 200, r
    return r.json


def cart(client, member, amount, payments=None, status=200, **kw):
    body = {"member_id": member, "amount": amount}
    if payments is not None:
        body["payments"] = payments
    body.update(kw)
    r = client.post("/v1/carts/evaluate", body)
    assert r.status == status, r
    return r


def purchase(client, member, amount, payments=None, status=201, **kw):
    body = {"external_id": unique("r"), "member_id": member, "currency": "USD",
            "amount": amount}
    if payments is not None:
        body["payments"] = payments
    body.update(kw)
    r = client.post("/v1/transactions", body)
    assert r.status == status, r
    return r


def give_back(client, p, amount):
    r = client.post("/v1/transactions/%s/returns" % p["id"],
                    {"external_id": unique("ret"), "amount": amount})
    assert r.status == 201, r
    return r.json


def balance(client, member):
    r = client.get("/v1/members/%s/balance" % member)
    assert r.status == 200, r
    return r.json


def ledger(client, member):
    r = client.get("/v1/members/%s/ledger?limit=200" % member)
    assert r.status == 200, r
    return r.json["data"]


def pts(n):
    return {"method": "points", "points": n}


def card(n):
    return {"method": "card", "amount": n}


def test_policy_defaults_and_bounds(fresh):
    p = fresh.a.get("/v1/program").json
    assert p["points_payment"] == {"enabled": False, "min_points": 1, "max_percent": 100,
                                   "multiple": 1, "earns_points": False}
    assert p["wallet"]["payment_earns_cashback"] is False
    r = fresh.a.patch("/v1/program", {"point_value": {"amount": 0, "points": 1},
                                      "points_payment": {"enabled": True}})
    assert r.status == 400 and r.error["field"] == "points_payment.enabled", r
    for bad in ({"max_percent": 0}, {"max_percent": 101}, {"min_points": 0}, {"multiple": 0},
                {"enabled": "yes"}):
        r = fresh.a.patch("/v1/program", {"points_payment": bad})
        assert r.status == 400, (bad, r)
        assert r.error["field"].startswith("points_payment"), r
    assert fresh.a.get("/v1/program").json["points_payment"] == p["points_payment"]
    got = configure(fresh.a)
    assert got["points_payment"] == POLICY


def test_points_pay_part_earn_nothing_and_evaluate_equals_purchase(fresh):
    configure(fresh.a)
    m = rich_member(fresh.a, 5000)
    payments = [pts(2000), card(8000)]
    ev = cart(fresh.a, m, 10000, payments).json
    assert ev["to_pay"] == 10000 and ev["balance_due"] == 0
    assert ev["payments"][0] == {"method": "points", "amount": 2000, "points": 2000,
                                 "reference": None}
    # Half of what is left to pay, within the 5000 points the member has, in hundreds.
    assert ev["points_payment"] == {"max_points": 5000, "max_amount": 5000}
    assert ev["points"] == 80  # On the 80.00 paid by card, not on the 20.00 paid by points.
    got = purchase(fresh.a, m, 10000, payments).json
    for k in ("base_points", "to_pay", "payments", "balance_due", "discount"):
        assert got[k] == ev[k], k
    assert got["points_payment"] is None  # A cart's question; the purchase has been paid.
    assert got["points_earned"] == ev["points"] == 80
    assert balance(fresh.a, m)["available"] == 5000 - 2000 + 80
    spent = [e for e in ledger(fresh.a, m) if e["type"] == "points_payment"]
    assert len(spent) == 1 and spent[0]["points"] == -2000, spent
    # Without payments the cart says what points could pay; nothing is due then.
    ev = cart(fresh.a, m, 10000).json
    assert ev["payments"] == [] and ev["balance_due"] == 10000
    assert ev["points_payment"] == {"max_points": 3000, "max_amount": 3000}


def test_earns_points_when_the_program_says_so(fresh):
    configure(fresh.a, earns_points=True)
    m = rich_member(fresh.a, 5000)
    got = purchase(fresh.a, m, 10000, [pts(2000), card(8000)]).json
    assert got["points_earned"] == 100


def test_refusals_change_nothing(fresh):
    configure(fresh.a)
    m = rich_member(fresh.a, 3000)
    before = balance(fresh.a, m)
    cases = [
        ([pts(50), card(9950)], 422, "points_payment_too_small", "payments.0.points"),
        ([pts(150), card(9850)], 422, "points_payment_not_a_multiple", "payments.0.points"),
        ([pts(5100), card(4900)], 422, "insufficient_points", "payments.0.points"),
        ([card(9000), pts(2000)], 422, "payments_exceed_total", "payments"),
        # Malformed lines: 400, as every malformed field.
        ([{"method": "points", "points": 100, "amount": 100}, card(9900)], 400, None,
         "payments.0.amount"),
        ([pts(100), pts(100), card(9800)], 400, None, "payments.1.method"),
        ([{"method": "cheque", "amount": 10000}], 400, None, "payments.0.method"),
        ([{"method": "card"}], 400, None, "payments.0.amount"),
        ([{"method": "card", "amount": 0}], 400, None, "payments.0.amount"),
        ([{"method": "card", "amount": 10000, "points": 5}], 400, None, "payments.0.points"),
        ([{"method": "card", "amount": 10000, "reference": 7}], 400, None,
         "payments.0.reference"),
        ([card(1)] * 11, 400, None, "payments"),
        ("card", 400, None, "payments"),
    ]
    for payments, status, code, field in cases:
        for r in (cart(fresh.a, m, 10000, payments, status=status),
                  purchase(fresh.a, m, 10000, payments, status=status)):
            if code:
                assert r.error["code"] == code, (payments, r)
            assert r.error["field"] == field, (payments, r)
    # A purchase's lines add up to what is left to pay; a cart says what is still due.
    assert cart(fresh.a, m, 10000, [card(4000), pts(600)]).json["balance_due"] == 5400
    r = purchase(fresh.a, m, 10000, [card(4000), pts(600)], status=422)
    assert r.error["code"] == "payments_mismatch" and r.error["field"] == "payments", r
    # Points may pay at most half: 60.00 of 100.00 is too much, though the member has it.
    m2 = rich_member(fresh.a, 9000)
    r = purchase(fresh.a, m2, 10000, [pts(6000), card(4000)], status=422)
    assert r.error["code"] == "points_payment_too_large", r
    assert balance(fresh.a, m) == before
    assert balance(fresh.a, m2)["available"] == 9000
    # A guest cannot pay with points; a program that does not take them refuses them.
    r = fresh.a.post("/v1/carts/evaluate", {"amount": 10000, "payments": [pts(100)]})
    assert r.status == 422 and r.error["code"] == "member_required", r
    assert fresh.a.patch("/v1/program", {"points_payment": {"enabled": False}}).status == 200
    r = purchase(fresh.a, m, 10000, [pts(100), card(9900)], status=422)
    assert r.error["code"] == "points_payment_disabled", r
    assert balance(fresh.a, m) == before


def test_point_value_steps_pay_whole_minor_units(fresh):
    # Three points are worth one cent: points pay in multiples of 3 (and of the multiple).
    configure(fresh.a, min_points=1, multiple=1, max_percent=100)
    assert fresh.a.patch("/v1/program",
                         {"point_value": {"amount": 1, "points": 3}}).status == 200
    m = rich_member(fresh.a, 1000)
    r = cart(fresh.a, m, 1000, [pts(100)], status=422)
    assert r.error["code"] == "points_payment_not_a_multiple" and "3" in r.error["message"], r
    ev = cart(fresh.a, m, 1000, [pts(99)]).json
    assert ev["payments"][0]["amount"] == 33 and ev["balance_due"] == 967
    # What 1000 points can pay: 333 cents at most by 999 points.
    assert ev["points_payment"] == {"max_points": 999, "max_amount": 333}
    got = purchase(fresh.a, m, 1000, [pts(99), {"method": "cash", "amount": 967}]).json
    assert got["payments"][1] == {"method": "cash", "amount": 967, "points": 0,
                                  "reference": None}
    assert balance(fresh.a, m)["available"] == 1000 - 99 + 9


def test_returns_give_points_back_exactly_once_all_is_returned(fresh):
    configure(fresh.a)
    m = rich_member(fresh.a, 5000)
    p = purchase(fresh.a, m, 10000, [pts(2000), {"method": "card", "amount": 8000,
                                                  "reference": "auth-77"}]).json
    backs = [give_back(fresh.a, p, a) for a in (3333, 3333, 3334)]
    assert [b["points_payment_refunded"] for b in backs] == [666, 667, 667]
    assert [b["refunds"][1]["amount"] for b in backs] == [2666, 2666, 2668]
    assert backs[0]["refunds"][1] == {"method": "card", "amount": 2666, "points": 0}
    assert backs[0]["refunds"][0] == {"method": "points", "amount": 666, "points": 666}
    assert sum(b["refunds"][0]["amount"] for b in backs) == 2000
    # All given back, all earned taken back: where the member started.
    b = balance(fresh.a, m)
    assert b["available"] == 5000 and b["owed"] == 0
    types = [e["type"] for e in ledger(fresh.a, m)]
    assert types.count("points_payment_refund") == 3


def test_kept_cart_keeps_its_share_of_the_payments(fresh):
    configure(fresh.a)
    r = fresh.a.post("/v1/rules", {"name": "100 over 80.00", "trigger": "purchase",
                                   "status": "active",
                                   "conditions": {"gte": ["cart.remaining", 8000]},
                                   "effects": [{"type": "award_points", "points": 100}]})
    assert r.status == 201, r
    m = rich_member(fresh.a, 5000)
    items = [{"sku": "A", "quantity": 1, "unit_price": 5000},
             {"sku": "B", "quantity": 1, "unit_price": 5000}]
    p = purchase(fresh.a, m, 10000, [pts(5000), card(5000)], items=items).json
    assert p["points_earned"] == 50 + 100
    r = fresh.a.post("/v1/transactions/%s/returns" % p["id"],
                     {"external_id": unique("ret"), "items": [{"sku": "B", "quantity": 1}]})
    assert r.status == 201, r
    # Kept: 50.00 of which points paid 25.00: it earns 25, and no bonus.
    assert r.json["points_reversed"] == 150 - 25
    assert r.json["points_payment_refunded"] == 2500
    assert balance(fresh.a, m)["available"] == 5000 - 5000 + 150 - 125 + 2500


def test_rules_see_how_the_cart_is_paid(fresh):
    configure(fresh.a)
    r = fresh.a.post("/v1/rules", {"name": "50 for paying by card", "trigger": "purchase",
                                   "status": "active",
                                   "conditions": {"gt": ["payment.card", 0]},
                                   "effects": [{"type": "award_points", "points": 50}]})
    assert r.status == 201, r
    m = new_member(fresh.a)["id"]
    assert cart(fresh.a, m, 1000, [card(1000)]).json["points"] == 60
    assert cart(fresh.a, m, 1000, [{"method": "cash", "amount": 1000}]).json["points"] == 10
    assert cart(fresh.a, m, 1000).json["points"] == 10
    r = fresh.a.post("/v1/rules", {"name": "bad", "trigger": "activity:survey",
                                   "conditions": {"gt": ["payment.card", 0]},
                                   "effects": [{"type": "award_points", "points": 5}]})
    assert r.status == 400 and "purchases only" in r.error["message"], r


def cashback_member(client, percent=10):
    r = client.patch("/v1/program", {"wallet": {"pending_days": 0}})
    assert r.status == 200, r
    r = client.post("/v1/rules", {"name": "back", "trigger": "purchase", "status": "active",
                                  "effects": [{"type": "cashback", "percent": percent}]})
    assert r.status == 201, r
    m = new_member(client)["id"]
    purchase(client, m, 20000)  # 20.00 of cashback to spend.
    w = client.get("/v1/members/%s/wallet" % m).json
    assert w["available"] == 2000, w
    return m


def test_wallet_money_pays_earns_no_cashback_and_comes_back_on_return(fresh):
    configure(fresh.a)
    m = cashback_member(fresh.a)
    ev = cart(fresh.a, m, 10000, [{"method": "wallet", "amount": 2000}, card(8000)]).json
    assert ev["cashback"] == 800 and ev["points"] == 100
    p = purchase(fresh.a, m, 10000, [{"method": "wallet", "amount": 2000}, card(8000)]).json
    assert p["cashback"] == 800
    w = fresh.a.get("/v1/members/%s/wallet" % m).json
    assert w["available"] == 2000 - 2000 + 800
    debits = [x for x in w["movements"] if x["type"] == "wallet_debit"]
    assert len(debits) == 1 and debits[0]["amount"] == -2000, w["movements"]
    # Its money comes back only through the purchase's returns.
    r = fresh.a.post("/v1/wallet-debits/%s/cancel" % debits[0]["reference"])
    assert r.status == 409 and r.error["code"] == "debit_paid_purchase", r
    back = give_back(fresh.a, p, 10000)
    assert back["wallet_payment_refunded"] == 2000 and back["cashback_reversed"] == 800
    w = fresh.a.get("/v1/members/%s/wallet" % m).json
    assert w["available"] == 2000 and w["owed"] == 0
    # More than the wallet holds is refused, and changes nothing.
    r = purchase(fresh.a, m, 10000, [{"method": "wallet", "amount": 3000}, card(7000)],
                 status=422)
    assert r.error["code"] == "insufficient_funds" and r.error["field"] == "payments.0.amount"
    assert fresh.a.get("/v1/members/%s/wallet" % m).json["available"] == 2000


def test_wallet_payment_earns_cashback_when_the_program_says_so(fresh):
    configure(fresh.a)
    assert fresh.a.patch("/v1/program",
                         {"wallet": {"payment_earns_cashback": True}}).status == 200
    m = cashback_member(fresh.a)
    p = purchase(fresh.a, m, 10000, [{"method": "wallet", "amount": 2000}, card(8000)]).json
    assert p["cashback"] == 1000


def test_replay_spends_once(fresh):
    configure(fresh.a)
    m = rich_member(fresh.a, 3000)
    body = {"external_id": unique("r"), "member_id": m, "currency": "USD", "amount": 10000,
            "payments": [pts(1000), card(9000)]}
    one = fresh.a.post("/v1/transactions", body, headers={"Idempotency-Key": "k1"})
    two = fresh.a.post("/v1/transactions", body, headers={"Idempotency-Key": "k1"})
    assert one.status == 201 and two.status == 201 and one.json["id"] == two.json["id"]
    assert balance(fresh.a, m)["available"] == 3000 - 1000 + 90


def test_racing_purchases_spend_each_point_once(fresh):
    configure(fresh.a)
    m = rich_member(fresh.a, 2000)
    results = []

    def pay():
        body = {"external_id": unique("r"), "member_id": m, "currency": "USD", "amount": 2000,
                "payments": [pts(1000), card(1000)]}
        r = fresh.a.post("/v1/transactions", body)
        while r.status == 503:  # Nothing was written: retried as a client would.
            r = fresh.a.post("/v1/transactions", body)
        results.append(r.status)

    threads = [threading.Thread(target=pay) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 201] + [422] * 6, results
    assert balance(fresh.a, m)["available"] == 2000 - 2000 + 2 * 10
