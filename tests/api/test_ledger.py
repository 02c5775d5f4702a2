# SPDX-License-Identifier: MIT
"""The points ledger through the API: earning with rates, exclusions, pending and expiry on a
test clock, returns (partial, by items, beyond the balance), redemptions and their
cancellation, adjustments, transfers, the ledger and event log, idempotency and concurrency.
`patron audit` runs after the module (conftest)."""
import threading
import time

import pytest

from conftest import new_member, unique

T0 = "2026-03-01T10:00:00Z"


@pytest.fixture
def led(fresh):
    """A fresh deployment with its clock at T0 and one member in program A."""
    assert fresh.a.put("/v1/test/clock", {"now": T0}).status == 200
    fresh.member = new_member(fresh.a)
    return fresh


def clock(d, now):
    r = d.a.put("/v1/test/clock", {"now": now})
    assert r.status == 200, r


def buy(d, member_id, amount, **kw):
    body = {"external_id": unique("rcpt"), "member_id": member_id, "currency": "USD",
            "amount": amount}
    body.update(kw)
    r = d.a.post("/v1/transactions", body)
    assert r.status == 201, r
    return r.json


def balance(d, member_id):
    r = d.a.get("/v1/members/%s/balance" % member_id)
    assert r.status == 200, r
    return r.json


def test_purchase__earns_at_the_program_rate(led):
    m = led.member["id"]
    p = buy(led, m, 1299)
    assert p["points_earned"] == 12 and p["points_pending"] == 0
    assert p["balance"]["available"] == 12 and p["id"].startswith("txn_")
    assert led.a.patch("/v1/program", {"earn_rate": {"points": 3, "per_amount": 200}}).status == 200
    assert buy(led, m, 1000)["points_earned"] == 15
    b = balance(led, m)
    assert b["available"] == 27 and b["lifetime_earned"] == 27


def test_purchase__items_and_excluded_categories(led):
    m = led.member["id"]
    assert led.a.patch("/v1/program", {"excluded_categories": ["tobacco", "gift cards"]}).status == 200
    items = [{"sku": "BEANS", "category": "coffee", "quantity": 2, "unit_price": 1500},
             {"sku": "CIG", "category": "tobacco", "quantity": 1, "unit_price": 900}]
    p = buy(led, m, 3900, items=items)
    assert p["eligible_amount"] == 3000 and p["points_earned"] == 30
    r = led.a.post("/v1/transactions", {"external_id": unique("r"), "member_id": m,
                                        "currency": "USD", "amount": 3901, "items": items})
    assert r.status == 400 and r.error["field"] == "items"


@pytest.mark.parametrize("change,field,status", [
    ({"currency": "EUR"}, "currency", 400), ({"amount": -1}, "amount", 400),
    ({"amount": 1.5}, "amount", 400), ({"amount": "10"}, "amount", 400),
    ({"occurred_at": "yesterday"}, "occurred_at", 400),
    ({"occurred_at": "2030-01-01T00:00:00Z"}, "occurred_at", 400),
    ({"member_id": "mem_00000000000000000000000000"}, None, 404),
    ({"external_id": None}, "external_id", 400), ({"tip": 5}, "tip", 400),
    ({"items": [{"sku": "A", "quantity": 0, "unit_price": 1}]}, "items.0.quantity", 400),
])
def test_purchase__bad_input_changes_nothing(led, change, field, status):
    m = led.member["id"]
    before = balance(led, m)
    body = {"external_id": unique("r"), "member_id": m, "currency": "USD", "amount": 1000}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    r = led.a.post("/v1/transactions", body)
    assert r.status == status, r
    if field:
        assert r.error["field"] == field
    assert balance(led, m) == before


def test_purchase__receipt_number_is_idempotent(led):
    m = led.member["id"]
    body = {"external_id": "R-100", "member_id": m, "currency": "USD", "amount": 5000}
    r1 = led.a.post("/v1/transactions", body)
    r2 = led.a.post("/v1/transactions", body)
    assert r1.status == r2.status == 201 and r2.headers["idempotent-replayed"] == "true"
    assert r1.json == r2.json
    assert balance(led, m)["available"] == 50
    r3 = led.a.post("/v1/transactions", dict(body, amount=6000))
    assert r3.status == 409 and r3.error["code"] == "idempotency_conflict"
    assert balance(led, m)["available"] == 50


def test_pending_then_available_then_expired(led):
    m = led.member["id"]
    led.a.patch("/v1/program", {"pending_days": 14, "expiry": {"policy": "rolling", "months": 12}})
    p = buy(led, m, 10000)
    assert p["points_pending"] == 100
    b = balance(led, m)
    assert (b["available"], b["pending"]) == (0, 100)
    assert b["expiring"] == [{"expires_at": "2027-03-01T10:00:00Z", "points": 100}]
    r = led.a.post("/v1/members/%s/redemptions" % m, {"points": 1, "reason": "too early"})
    assert r.status == 422 and r.error["code"] == "insufficient_points"
    clock(led, "2026-03-15T10:00:00Z")
    b = balance(led, m)
    assert (b["available"], b["pending"]) == (100, 0)
    clock(led, "2027-03-01T10:00:00Z")
    assert balance(led, m)["available"] == 0
    r = led.a.post("/v1/jobs/expire")
    assert r.status == 200 and r.json["points_expired"] == 100
    assert led.a.post("/v1/jobs/expire").json["points_expired"] == 0  # nothing twice
    b = balance(led, m)
    assert b["lifetime_expired"] == 100 and b["available"] == 0 and b["expiring"] == []
    lines = led.a.get("/v1/members/%s/ledger" % m).json["data"]
    assert [l["type"] for l in lines] == ["expire", "earn"]
    assert lines[0]["points"] == -100 and lines[0]["balance_after"] == 0


def test_spending_takes_soonest_expiring_first(led):
    m = led.member["id"]
    led.a.patch("/v1/program", {"expiry": {"policy": "rolling", "months": 12}})
    buy(led, m, 5000)                                   # expires 2027-03-01
    clock(led, "2026-06-01T10:00:00Z")
    buy(led, m, 7000)                                   # expires 2027-06-01
    r = led.a.post("/v1/members/%s/redemptions" % m, {"points": 60, "reason": "mug"})
    assert r.status == 201
    assert r.json["balance"]["expiring"] == [{"expires_at": "2027-06-01T10:00:00Z", "points": 60}]


def test_returns__partial_full_and_exceeding(led):
    m = led.member["id"]
    p = buy(led, m, 1000, items=[{"sku": "A", "quantity": 3, "unit_price": 300},
                                 {"sku": "B", "quantity": 1, "unit_price": 100}])
    assert p["points_earned"] == 10
    url = "/v1/transactions/%s/returns" % p["id"]
    r1 = led.a.post(url, {"external_id": "RET-1", "items": [{"sku": "A", "quantity": 1}]})
    assert r1.status == 201 and r1.json["points_reversed"] == 3
    r2 = led.a.post(url, {"external_id": "RET-2", "amount": 350})
    assert r2.status == 201 and r2.json["points_reversed"] == 3
    r3 = led.a.post(url, {"external_id": "RET-3", "items": [{"sku": "A", "quantity": 3}]})
    assert r3.status == 422 and r3.error["code"] == "return_exceeds_purchase"
    r4 = led.a.post(url, {"external_id": "RET-4", "amount": 351})
    assert r4.status == 422 and r4.error["code"] == "return_exceeds_purchase"
    r5 = led.a.post(url, {"external_id": "RET-5", "amount": 350})
    assert r5.status == 201 and r5.json["points_reversed"] == 4  # exactly what was left
    assert balance(led, m)["available"] == 0
    replay = led.a.post(url, {"external_id": "RET-5", "amount": 350})
    assert replay.status == 201 and replay.headers["idempotent-replayed"] == "true"
    assert led.a.post("/v1/transactions/txn_00000000000000000000000000/returns",
                      {"external_id": "X", "amount": 1}).status == 404
    assert led.a.post(url, {"external_id": "RET-6"}).status == 400
    assert led.a.post(url, {"external_id": "RET-7", "amount": 1, "items": []}).status == 400


def test_returns__beyond_the_balance_are_owed_and_repaid(led):
    m = led.member["id"]
    p = buy(led, m, 10000)
    led.a.post("/v1/members/%s/redemptions" % m, {"points": 80, "reason": "spent"})
    r = led.a.post("/v1/transactions/%s/returns" % p["id"], {"external_id": unique("x"),
                                                             "amount": 10000})
    assert r.status == 201 and r.json["points_reversed"] == 100 and r.json["points_owed"] == 80
    b = balance(led, m)
    assert b["available"] == 0 and b["owed"] == 80  # not negative: the program does not allow it
    buy(led, m, 5000)  # 50 points, all repay the debt
    b = balance(led, m)
    assert b["available"] == 0 and b["owed"] == 30
    buy(led, m, 5000)
    b = balance(led, m)
    assert b["available"] == 20 and b["owed"] == 0


def test_negative_balance_when_the_program_allows_it(led):
    m = led.member["id"]
    led.a.patch("/v1/program", {"allow_negative_balance": True})
    buy(led, m, 1000)
    r = led.a.post("/v1/members/%s/adjustments" % m, {"points": -25, "reason": "correction"})
    assert r.status == 201, r
    b = balance(led, m)
    assert b["available"] == -15 and b["owed"] == 15


def test_redemption_cancel_restores_lots_and_expiry(led):
    m = led.member["id"]
    led.a.patch("/v1/program", {"expiry": {"policy": "rolling", "months": 1}})
    buy(led, m, 10000)
    red = led.a.post("/v1/members/%s/redemptions" % m, {"points": 40, "reason": "tote"}).json
    assert red["balance"]["available"] == 60
    c = led.a.post("/v1/redemptions/%s/cancel" % red["id"])
    assert c.status == 200 and c.json["status"] == "cancelled"
    b = c.json["balance"]
    assert b["available"] == 100 and b["expiring"][0]["points"] == 100
    again = led.a.post("/v1/redemptions/%s/cancel" % red["id"])
    assert again.status == 200 and again.json["balance"]["available"] == 100
    # A redemption cancelled after its lot expired sends the points to expired.
    red2 = led.a.post("/v1/members/%s/redemptions" % m, {"points": 30, "reason": "cap"}).json
    clock(led, "2026-04-02T10:00:00Z")
    c2 = led.a.post("/v1/redemptions/%s/cancel" % red2["id"]).json
    assert c2["balance"]["available"] == 0 and c2["balance"]["lifetime_expired"] == 30
    led.a.post("/v1/jobs/expire")
    assert balance(led, m)["lifetime_expired"] == 100
    assert led.b.post("/v1/redemptions/%s/cancel" % red["id"]).status == 404


def test_adjustments_need_a_reason_and_record_the_key(led):
    m = led.member["id"]
    staff = led.a.post("/v1/api-keys", {"name": "till", "role": "staff"}).json
    r = led.a.with_key(staff["api_key"]).post("/v1/members/%s/adjustments" % m,
                                              {"points": 25, "reason": "broken cup"})
    assert r.status == 201 and r.json["key_id"] == staff["id"] and r.json["balance"]["available"] == 25
    for body, field in (({"points": 5}, "reason"), ({"points": 0, "reason": "x"}, "points"),
                        ({"points": 5, "reason": ""}, "reason"), ({"reason": "x"}, "points")):
        bad = led.a.post("/v1/members/%s/adjustments" % m, body)
        assert bad.status == 400 and bad.error["field"] == field, (body, bad)
    r = led.a.post("/v1/members/%s/adjustments" % m, {"points": -26, "reason": "too much"})
    assert r.status == 422 and r.error["code"] == "insufficient_points"
    line = led.a.get("/v1/members/%s/ledger" % m).json["data"][0]
    assert line["type"] == "adjust" and line["reason"] == "broken cup" and line["points"] == 25


def test_transfers_keep_expiry_and_stay_in_the_program(led):
    a = led.member["id"]
    b = new_member(led.a)["id"]
    # Points of a purchase may leave at once without the hold (test_smaller_rules.py has it).
    led.a.patch("/v1/program", {"expiry": {"policy": "rolling", "months": 6},
                                "hold_returnable": False})
    buy(led, a, 10000)
    r = led.a.post("/v1/transfers", {"from_member_id": a, "to_member_id": b, "points": 30})
    assert r.status == 201, r
    assert r.json["to_balance"]["expiring"] == [{"expires_at": "2026-09-01T10:00:00Z", "points": 30}]
    assert balance(led, a)["available"] == 70 and balance(led, b)["available"] == 30
    types = [l["type"] for l in led.a.get("/v1/members/%s/ledger" % b).json["data"]]
    assert types == ["transfer_in"]
    assert led.a.get("/v1/members/%s/ledger" % a).json["data"][0]["type"] == "transfer_out"
    other = new_member(led.b)["id"]
    assert led.a.post("/v1/transfers", {"from_member_id": a, "to_member_id": other,
                                        "points": 1}).status == 404
    assert led.a.post("/v1/transfers", {"from_member_id": a, "to_member_id": b,
                                        "points": 71}).status == 422
    assert led.a.post("/v1/transfers", {"from_member_id": a, "to_member_id": a,
                                        "points": 1}).status == 400


def test_inactive_members_neither_earn_nor_spend(led):
    m = led.member["id"]
    buy(led, m, 1000)
    led.a.patch("/v1/members/" + m, {"status": "suspended"})
    r = led.a.post("/v1/transactions", {"external_id": unique("r"), "member_id": m,
                                        "currency": "USD", "amount": 1000})
    assert r.status == 422 and r.error["code"] == "member_inactive"
    r = led.a.post("/v1/members/%s/redemptions" % m, {"points": 1, "reason": "x"})
    assert r.status == 422 and r.error["code"] == "member_inactive"


def test_ledger_pagination(led):
    m = led.member["id"]
    for _ in range(7):
        buy(led, m, 100)
    seen, cursor = [], None
    while True:
        page = led.a.get("/v1/members/%s/ledger?limit=3%s" % (m, "&cursor=" + cursor if cursor else "")).json
        seen += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7 and [l["balance_after"] for l in seen] == [7, 6, 5, 4, 3, 2, 1]


def test_event_log_in_commit_order(led):
    m = led.member["id"]
    p = buy(led, m, 2000)
    led.a.post("/v1/members/%s/redemptions" % m, {"points": 5, "reason": "r"})
    led.a.post("/v1/transactions/%s/returns" % p["id"], {"external_id": unique("x"), "amount": 500})
    led.a.patch("/v1/members/" + m, {"city": "Oslo"})
    events, after = [], None
    while True:
        page = led.a.get("/v1/events?limit=2" + ("&after=" + after if after else "")).json
        events += page["data"]
        if not page["data"]:
            break
        after = page["next_after"]
    types = [e["type"] for e in events]
    assert types == ["member.created", "points.earned", "points.redeemed", "points.returned",
                     "member.updated"]
    assert events[1]["data"]["id"] == p["id"] and events[4]["data"]["city"] == "Oslo"
    assert len({e["id"] for e in events}) == 5
    assert led.b.get("/v1/events").json["data"] == []
    assert led.a.get("/v1/events?after=evt_00000000000000000000000000").status == 400


def test_concurrent_redemptions_never_double_spend(led):
    m = led.member["id"]
    buy(led, m, 10000)  # 100 points
    statuses = []

    def redeem():
        c = led.a.with_key(led.key_a)
        for _ in range(50):
            # 503 means nothing was written (load shedding on a busy machine): a client retries.
            status = c.post("/v1/members/%s/redemptions" % m,
                            {"points": 10, "reason": "race"}).status
            if status != 503:
                break
            time.sleep(0.05)
        statuses.append(status)

    threads = [threading.Thread(target=redeem) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses.count(201) == 10 and statuses.count(422) == 90
    assert balance(led, m)["available"] == 0


def test_test_clock_route_is_404_without_the_flag(dep):
    r = dep.a.put("/v1/test/clock", {"now": T0})
    assert r.status == 200  # dep runs with --test-clock


def test_program_settings_validation(led):
    for body, field in (({"earn_rate": {"points": -1}}, "earn_rate.points"),
                        ({"earn_rate": {"per_amount": 0}}, "earn_rate.per_amount"),
                        ({"pending_days": 400}, "pending_days"),
                        ({"expiry": {"policy": "rolling"}}, "expiry.policy"),
                        ({"expiry": {"policy": "sometimes"}}, "expiry.policy"),
                        ({"rounding": "up"}, "rounding"), ({"excluded_categories": "x"}, "excluded_categories"),
                        ({"allow_negative_balance": 1}, "allow_negative_balance"), ({"x": 1}, "x")):
        r = led.a.patch("/v1/program", body)
        assert r.status == 400 and r.error["field"] == field, (body, r)
    # Several bad fields: the one named is the first in the order the API has always checked
    # them (found by review: the field table's order had changed it).
    for body, field in (({"earn_rate": "x", "rounding": "ceil"}, "rounding"),
                        ({"time_zone": 5, "hold_returnable": 1}, "hold_returnable"),
                        ({"wallet": 1, "referrals": 1}, "referrals")):
        r = led.a.patch("/v1/program", body)
        assert r.status == 400 and r.error["field"] == field, (body, r)
    s = led.a.get("/v1/program").json
    assert s["earn_rate"] == {"points": 1, "per_amount": 100} and s["rounding"] == "floor"
    assert s["expiry"] == {"policy": "none"} and s["pending_days"] == 0
    assert list(s) == ["id", "name", "currency", "earn_rate", "rounding", "pending_days", "expiry",
                       "allow_negative_balance", "excluded_categories", "time_zone", "created_at",
                       "updated_at", "point_value", "tiers", "wallet", "referrals",
                       "adjust_limits", "return_days", "hold_returnable", "spend_before_discounts",
                       "best_discount_only", "points_payment", "rate_limits", "enrollment",
                       "clv_discount_rate_bp"], list(s)


def test_two_program_changes_at_once_both_land(fresh):
    # Found by review: a PATCH wrote back the whole program as read before the other's write.
    for n in range(8):
        calls = [lambda: fresh.a.with_key(fresh.key_a).patch("/v1/program",
                                                             {"pending_days": 10 + n}),
                 lambda: fresh.a.with_key(fresh.key_a).patch("/v1/program",
                                                             {"excluded_categories": ["t%d" % n]})]
        go = threading.Barrier(2)
        out = [None, None]

        def one(i):
            go.wait()
            out[i] = calls[i]()

        threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert [r.status for r in out] == [200, 200], out
        s = fresh.a.get("/v1/program").json
        assert (s["pending_days"], s["excluded_categories"]) == (10 + n, ["t%d" % n]), s
    bad = fresh.a.patch("/v1/program", {"pending_days": 400})
    assert bad.status == 400 and fresh.a.get("/v1/program").json["pending_days"] == 17


def test_the_worked_example_of_docs_ledger_md(fresh):
    """docs/ledger.md walks through five steps; this runs them and checks every figure."""
    c = fresh.a
    clock(fresh, "2026-03-01T10:00:00Z")
    c.patch("/v1/program", {"excluded_categories": ["tobacco"], "pending_days": 14,
                            "expiry": {"policy": "rolling", "months": 12}})
    ada = new_member(c, first_name="Ada")["id"]
    p = buy(fresh, ada, 3900, items=[
        {"sku": "BEANS", "category": "coffee", "quantity": 2, "unit_price": 1500},
        {"sku": "CIGS", "category": "tobacco", "quantity": 1, "unit_price": 900}])
    assert p["points_earned"] == 30
    b = balance(fresh, ada)
    assert (b["available"], b["pending"]) == (0, 30)
    assert b["expiring"] == [{"expires_at": "2027-03-01T10:00:00Z", "points": 30}]
    clock(fresh, "2026-03-15T10:00:00Z")
    assert (balance(fresh, ada)["available"], balance(fresh, ada)["pending"]) == (30, 0)
    clock(fresh, "2026-03-20T10:00:00Z")
    r = c.post("/v1/members/%s/redemptions" % ada, {"points": 20, "reason": "free drink"})
    assert r.json["balance"]["available"] == 10
    clock(fresh, "2026-03-22T10:00:00Z")
    r = c.post("/v1/transactions/%s/returns" % p["id"],
               {"external_id": "RET-ADA", "items": [{"sku": "BEANS", "quantity": 1}]})
    assert (r.json["points_reversed"], r.json["points_owed"]) == (15, 5)
    assert (r.json["balance"]["available"], r.json["balance"]["owed"]) == (0, 5)
    clock(fresh, "2026-04-01T10:00:00Z")
    p2 = buy(fresh, ada, 1200)
    assert p2["points_earned"] == 12 and p2["points_pending"] == 7
    b = balance(fresh, ada)
    assert (b["available"], b["pending"], b["owed"]) == (0, 7, 0)
    lines = c.get("/v1/members/%s/ledger" % ada).json["data"]
    assert [(l["type"], l["points"], l["balance_after"]) for l in lines] == [
        ("earn", 12, 7), ("return", -15, -5), ("redeem", -20, 10), ("earn", 30, 30)]
