# SPDX-License-Identifier: MIT
"""Wallets: cashback credited by a rule, pending for the wallet's own period, spent at checkout
(idempotent, never below zero), debits cancelled back into the credits they came from,
returns taking cashback back in proportion (owed when already spent, repaid by the next
credit); bad input refused and nothing changed; `patron audit` after every test."""
from conftest import new_member, unique

START = "2026-03-02T10:00:00Z"
DAY = 86400


def set_clock(client, when):
    r = client.put("/v1/test/clock", {"now": when})
    assert r.status == 200, r


def setup_cashback(client, percent=5, pending_days=14):
    set_clock(client, START)
    # The return window and its hold are tested in test_smaller_rules.py; here, as before them.
    r = client.patch("/v1/program", {"wallet": {"pending_days": pending_days}, "hold_returnable": False, "return_days": 0})
    assert r.status == 200 and r.json["wallet"] == {"pending_days": pending_days,
                                                    "payment_earns_cashback": False}, r
    r = client.post("/v1/rules", {"name": "%s%% back" % percent, "trigger": "purchase",
                                  "status": "active",
                                  "effects": [{"type": "cashback", "percent": percent}]})
    assert r.status == 201, r


def buy(client, member, amount, **kw):
    body = {"external_id": unique("r"), "member_id": member, "currency": "USD",
            "amount": amount}
    body.update(kw)
    r = client.post("/v1/transactions", body)
    assert r.status == 201, r
    return r.json


def wallet(client, member):
    r = client.get("/v1/members/%s/wallet" % member)
    assert r.status == 200, r
    return r.json


def debit(client, member, amount, status=201, **kw):
    body = {"amount": amount}
    body.update(kw)
    r = client.post("/v1/members/%s/wallet/debits" % member, body)
    assert r.status == status, r
    return r


def test_cashback_pending_then_spent_and_cancelled(fresh):
    setup_cashback(fresh.a)
    member = new_member(fresh.a)["id"]
    ev = fresh.a.post("/v1/carts/evaluate", {"member_id": member, "currency": "USD",
                                              "amount": 10000}).json
    got = buy(fresh.a, member, 10000)
    assert ev["cashback"] == got["cashback"] == 500
    w = wallet(fresh.a, member)
    assert w["currency"] == "USD"
    assert (w["balance"], w["available"], w["pending"], w["owed"]) == (500, 0, 500, 0)
    assert w["movements"][0]["type"] == "cashback" and w["movements"][0]["amount"] == 500
    r = debit(fresh.a, member, 100, status=422)
    assert r.json["error"]["code"] == "insufficient_funds"
    assert wallet(fresh.a, member)["balance"] == 500  # The refusal changed nothing.
    set_clock(fresh.a, "2026-03-16T10:00:00Z")  # 14 days later
    assert wallet(fresh.a, member)["available"] == 500
    first = debit(fresh.a, member, 200, external_id="order-1", reason="checkout")
    assert first.json["status"] == "completed" and first.json["wallet"]["available"] == 300
    again = debit(fresh.a, member, 200, external_id="order-1", reason="checkout")
    assert again.json == first.json and again.headers["idempotent-replayed"] == "true"
    assert wallet(fresh.a, member)["available"] == 300
    r = debit(fresh.a, member, 301, status=422)
    assert r.json["error"]["code"] == "insufficient_funds"
    cancelled = fresh.a.post("/v1/wallet-debits/%s/cancel" % first.json["id"])
    assert cancelled.status == 200 and cancelled.json["status"] == "cancelled"
    assert cancelled.json["wallet"]["available"] == 500
    twice = fresh.a.post("/v1/wallet-debits/%s/cancel" % first.json["id"])
    assert twice.status == 200 and twice.json["wallet"]["available"] == 500
    w = wallet(fresh.a, member)
    assert w["lifetime_credited"] == 500 and w["lifetime_spent"] == 0
    kinds = [e["type"] for e in fresh.a.get("/v1/events?limit=200").json["data"]
             if e["member_id"] == member]
    assert kinds.count("wallet.credited") == 1 and kinds.count("wallet.debited") == 1
    assert kinds.count("wallet.debit_cancelled") == 1


def test_returns_take_cashback_back_and_owe_what_was_spent(fresh):
    setup_cashback(fresh.a, percent=10, pending_days=0)
    member = new_member(fresh.a)["id"]
    p = buy(fresh.a, member, 5000)  # 500 back, available at once
    half = fresh.a.post("/v1/transactions/%s/returns" % p["id"],
                        {"external_id": unique("ret"), "amount": 2500}).json
    assert half["cashback_reversed"] == 250 and half["cashback_owed"] == 0
    assert wallet(fresh.a, member)["available"] == 250
    debit(fresh.a, member, 200)  # 50 left
    rest = fresh.a.post("/v1/transactions/%s/returns" % p["id"],
                        {"external_id": unique("ret"), "amount": 2500}).json
    assert rest["cashback_reversed"] == 250 and rest["cashback_owed"] == 200
    w = wallet(fresh.a, member)
    assert (w["balance"], w["available"], w["owed"]) == (-200, 0, 200)
    # The next cashback repays the debt first.
    buy(fresh.a, member, 3000)  # 300 back
    w = wallet(fresh.a, member)
    assert (w["balance"], w["available"], w["owed"]) == (100, 100, 0)
    fresh.audit()


def test_cashback_in_proportion_sums_exactly_over_partial_returns(fresh):
    setup_cashback(fresh.a, percent=7, pending_days=3)
    member = new_member(fresh.a)["id"]
    p = buy(fresh.a, member, 9999)  # floor(9999 * 7%) = 699
    assert p["cashback"] == 699
    reversed_total = 0
    for part in (1111, 2222, 3333, 3333):
        r = fresh.a.post("/v1/transactions/%s/returns" % p["id"],
                         {"external_id": unique("ret"), "amount": part})
        assert r.status == 201, r
        reversed_total += r.json["cashback_reversed"]
        assert r.json["cashback_owed"] == 0  # Taken from the pending credit itself.
    assert reversed_total == 699
    w = wallet(fresh.a, member)
    assert (w["balance"], w["pending"], w["available"]) == (0, 0, 0)


def test_bad_debits_change_nothing(fresh):
    setup_cashback(fresh.a, pending_days=0)
    member = new_member(fresh.a)["id"]
    buy(fresh.a, member, 10000)
    for body, field in (({}, "amount"), ({"amount": 0}, "amount"), ({"amount": -5}, "amount"),
                        ({"amount": 1.5}, "amount"), ({"amount": "10"}, "amount"),
                        ({"amount": 10, "external_id": "has space"}, "external_id"),
                        ({"amount": 10, "colour": 1}, "colour")):
        r = fresh.a.post("/v1/members/%s/wallet/debits" % member, body)
        assert r.status == 400 and r.json["error"]["field"] == field, (body, r)
    assert fresh.a.post("/v1/members/mem_nobody/wallet/debits", {"amount": 1}).status == 404
    assert fresh.b.post("/v1/members/%s/wallet/debits" % member, {"amount": 1}).status == 404
    assert fresh.b.get("/v1/members/%s/wallet" % member).status == 404
    assert fresh.a.post("/v1/wallet-debits/wdb_nothing/cancel").status == 404
    assert fresh.a.patch("/v1/program", {"wallet": {"pending_days": -1}}).status == 400
    assert fresh.a.patch("/v1/program", {"wallet": {"days": 1}}).status == 400
    w = wallet(fresh.a, member)
    assert w["available"] == 500 and w["lifetime_spent"] == 0
    assert fresh.a.patch("/v1/members/%s" % member, {"status": "closed"}).status == 200
    r = debit(fresh.a, member, 10, status=422)
    assert r.json["error"]["code"] == "member_inactive"
    # A till (staff key) can spend and cancel.
    staff_key = fresh.a.post("/v1/api-keys", {"name": "till", "role": "staff"}).json["api_key"]
    staff = fresh.a.with_key(staff_key)
    other = new_member(fresh.a)["id"]
    buy(fresh.a, other, 2000)
    d = debit(staff, other, 100)
    assert staff.post("/v1/wallet-debits/%s/cancel" % d.json["id"]).status == 200
