# SPDX-License-Identifier: MIT
"""The API's contract for actions (API.md, issue 18 item 17).

Goal: every action route (cancels, redeems, reopen, a rule's activate/pause/archive, the jobs)
takes no body and `{}` as the same request and refuses any other body with 400
validation_failed naming the field, before anything is looked up or written; the cancels take
an optional `reason`, recorded in the ledger entry the cancel writes, in its event and in its
answer, kept on a repeated cancel; a bad reason (too long, not text) changes nothing.
Method: the routes are listed with an object of each kind; each is called with no body and
then `{}` (the same status, and the same answer where a repeat changes nothing), then with an
unknown field and with bodies that are not objects; the cancels are driven on real
redemptions, coupons and wallet debits and read back through the ledger, the wallet and the
event feed.
"""
import json

from conftest import new_member, unique

START = "2026-03-02T10:00:00Z"
NOT_OBJECTS = ("[]", "[{}]", '"cancel"', "1", "null", "true")


def set_clock(client, when):
    r = client.put("/v1/test/clock", {"now": when})
    assert r.status == 200, r


def rich_member(client, points):
    m = new_member(client)["id"]
    r = client.post("/v1/members/%s/adjustments" % m, {"points": points, "reason": "seed"})
    assert r.status == 201, r
    return m


def new_reward(client):
    r = client.post("/v1/rewards", {"name": unique("Espresso "), "type": "free_product",
                                    "sku": "ESP", "cost_points": 10, "coupon_valid_days": 30})
    assert r.status == 201, r
    return r.json["id"]


def coupon_of(client, member, reward_id):
    r = client.post("/v1/members/%s/rewards/%s/redeem" % (member, reward_id))
    assert r.status == 201, r
    return r.json["code"]


def redemption_of(client, member, points=5):
    r = client.post("/v1/members/%s/redemptions" % member, {"points": points, "reason": "gift"})
    assert r.status == 201, r
    return r.json["id"]


def wallet_debit_of(client, member):
    r = client.patch("/v1/program", {"wallet": {"pending_days": 0}, "hold_returnable": False})
    assert r.status == 200, r
    r = client.post("/v1/rules", {"name": unique("cashback "), "trigger": "purchase",
                                  "status": "active",
                                  "effects": [{"type": "cashback", "percent": 10}]})
    assert r.status == 201, r
    r = client.post("/v1/transactions", {"external_id": unique("t"), "member_id": member,
                                         "currency": "USD", "amount": 10000})
    assert r.status == 201, r
    r = client.post("/v1/members/%s/wallet/debits" % member, {"amount": 100, "reason": "till"})
    assert r.status == 201, r
    return r.json["id"]


def send(client, path, raw):
    """POST with raw bytes as a JSON body, or with no body at all when raw is None."""
    if raw is None:
        return client.post(path)
    return client.request("POST", path, raw=raw.encode(),
                          headers={"Content-Type": "application/json"})


def action_routes(client):
    """Each action route with objects it acts on: its path for no body, its path for {} (another
    coupon for the till, which redeems once), and whether a repeat changes nothing (so that no
    body and {} must answer the very same body)."""
    member = rich_member(client, 1000)
    reward_id = new_reward(client)
    rule = client.post("/v1/rules", {"name": unique("rule "), "trigger": "purchase",
                                     "effects": [{"type": "award_points", "points": 1}]}).json
    closed = [new_member(client)["id"] for _ in range(2)]
    for m in closed:
        assert client.patch("/v1/members/" + m, {"status": "closed"}).status == 200
    return [
        ("/v1/redemptions/%s/cancel" % redemption_of(client, member), None, True),
        ("/v1/coupons/%s/cancel" % coupon_of(client, member, reward_id), None, True),
        ("/v1/coupons/%s/redeem" % coupon_of(client, member, reward_id),
         "/v1/coupons/%s/redeem" % coupon_of(client, member, reward_id), False),
        ("/v1/wallet-debits/%s/cancel" % wallet_debit_of(client, member), None, True),
        ("/v1/members/%s/rewards/%s/redeem" % (member, reward_id), None, False),
        ("/v1/members/%s/reopen" % closed[0], "/v1/members/%s/reopen" % closed[1], False),
        ("/v1/rules/%s/activate" % rule["id"], None, True),
        ("/v1/rules/%s/pause" % rule["id"], None, True),
        ("/v1/rules/%s/archive" % rule["id"], None, True),
        ("/v1/jobs/expire", None, True),
        ("/v1/jobs/birthdays", None, True),
        ("/v1/jobs/tier-reviews", None, True),
    ]


def test_actions__no_body_and_empty_object_are_the_same_request(fresh):
    set_clock(fresh.a, START)
    for path, other, repeatable in action_routes(fresh.a):
        first = send(fresh.a, path, None)
        assert first.status in (200, 201), (path, first)
        second = send(fresh.a, other or path, "{}")
        assert second.status == first.status, (path, first, second)
        if repeatable:
            assert second.json == first.json, (path, first, second)
        again = send(fresh.a, path, " { } ")
        assert again.status not in (400, 415, 500), (path, again)  # Reopened, redeemed: 4xx.


def test_actions__any_other_body_is_refused_naming_the_field(fresh):
    set_clock(fresh.a, START)
    routes = action_routes(fresh.a)
    before = fresh.a.get("/v1/events?limit=200").json["data"]
    for path, _, _ in routes:
        r = send(fresh.a, path, json.dumps({"x": 1}))
        assert r.status == 400 and r.error["code"] == "validation_failed", (path, r)
        assert r.error["field"] == "x", (path, r)
        for raw in NOT_OBJECTS:
            r = send(fresh.a, path, raw)
            assert r.status == 400 and r.error["code"] == "validation_failed", (path, raw, r)
        r = send(fresh.a, path, "{")
        assert r.status == 400 and r.error["code"] == "malformed_json", (path, r)
        r = send(fresh.a, path, '{"reason": "a", "reason": "b"}')
        assert r.status == 400, (path, r)
    # A field of another action is unknown here too; the till's own fields are its.
    path = routes[5][0]  # reopen
    r = send(fresh.a, path, json.dumps({"reason": "why"}))
    assert r.status == 400 and r.error["field"] == "reason", r
    assert fresh.a.get("/v1/events?limit=200").json["data"] == before  # Nothing was written.
    for path, _, _ in routes:
        r = send(fresh.a, path, None)
        assert r.status not in (400, 415, 500), (path, r)  # Each still reads its object.


def test_actions__refused_before_the_object_is_looked_up(dep):
    for path in ("/v1/redemptions/red_nope/cancel", "/v1/wallet-debits/wdb_nope/cancel",
                 "/v1/rules/rul_nope/activate"):
        r = send(dep.a, path, json.dumps({"x": 1}))
        assert r.status == 400 and r.error["field"] == "x", (path, r)
        assert send(dep.a, path, "{}").status == 404


def events_of(client, kind, member):
    return [e for e in client.get("/v1/events?limit=200").json["data"]
            if e["type"] == kind and e["member_id"] == member]


def ledger(client, member):
    r = client.get("/v1/members/%s/ledger" % member)
    assert r.status == 200, r
    return r.json["data"]


def bad_reasons_change_nothing(client, path, member):
    """Too long, not text: 400 naming reason, and the object, ledger and feed unchanged."""
    entries = ledger(client, member)
    feed = client.get("/v1/events?limit=200").json["data"]
    for reason in ("x" * 201, "", "   ", "tab\there", 12, ["a"], {"a": 1}, True, "bad\u0000nul"):
        r = client.post(path, {"reason": reason})
        assert r.status == 400 and r.error["code"] == "validation_failed", (reason, r)
        assert r.error["field"] == "reason", (reason, r)
    assert ledger(client, member) == entries
    assert client.get("/v1/events?limit=200").json["data"] == feed


def test_redemption_cancel__reason_in_the_entry_the_event_and_the_answer(fresh):
    member = rich_member(fresh.a, 100)
    red = redemption_of(fresh.a, member, 30)
    path = "/v1/redemptions/%s/cancel" % red
    bad_reasons_change_nothing(fresh.a, path, member)
    assert fresh.a.get("/v1/members/%s/balance" % member).json["available"] == 70
    reason = "x" * 200  # The most an adjustment's reason may hold.
    r = fresh.a.post(path, {"reason": reason})
    assert r.status == 200 and r.json["status"] == "cancelled", r
    assert r.json["cancel_reason"] == reason and r.json["reason"] == "gift"
    assert r.json["balance"]["available"] == 100
    entry = ledger(fresh.a, member)[0]
    assert entry["type"] == "redeem_cancel" and entry["reason"] == reason, entry
    (event,) = events_of(fresh.a, "points.redemption_cancelled", member)
    assert event["data"]["cancel_reason"] == reason
    # A repeat answers as before, whatever it says, and writes nothing.
    for body in (None, {}, {"reason": "another"}):
        again = fresh.a.post(path, body)
        assert again.status == 200 and again.json == r.json, again
    assert len(events_of(fresh.a, "points.redemption_cancelled", member)) == 1
    assert ledger(fresh.a, member)[0] == entry
    # Without a reason, none is recorded.
    red2 = redemption_of(fresh.a, member, 10)
    r2 = fresh.a.post("/v1/redemptions/%s/cancel" % red2, {})
    assert r2.status == 200 and r2.json["cancel_reason"] is None
    assert ledger(fresh.a, member)[0]["reason"] is None


def test_coupon_cancel__reason_in_the_entry_the_event_and_the_answer(fresh):
    set_clock(fresh.a, START)
    member = rich_member(fresh.a, 100)
    code = coupon_of(fresh.a, member, new_reward(fresh.a))
    path = "/v1/coupons/%s/cancel" % code
    assert fresh.a.get("/v1/coupons/" + code).json["cancel_reason"] is None
    bad_reasons_change_nothing(fresh.a, path, member)
    assert fresh.a.get("/v1/coupons/" + code).json["status"] == "active"
    r = fresh.a.post(path, {"reason": "customer changed their mind"})
    assert r.status == 200 and r.json["status"] == "cancelled", r
    assert r.json["cancel_reason"] == "customer changed their mind"
    entry = ledger(fresh.a, member)[0]
    assert entry["type"] == "redeem_cancel" and entry["reason"] == r.json["cancel_reason"]
    (event,) = events_of(fresh.a, "coupon.cancelled", member)
    assert event["data"]["cancel_reason"] == r.json["cancel_reason"]
    got = fresh.a.get("/v1/coupons/" + code).json
    assert got["status"] == "cancelled" and got["cancel_reason"] == r.json["cancel_reason"]
    again = fresh.a.post(path, {"reason": "twice"})
    assert again.status == 200 and again.json["cancel_reason"] == r.json["cancel_reason"]
    assert len(events_of(fresh.a, "coupon.cancelled", member)) == 1


def test_wallet_debit_cancel__reason_in_the_movement_the_event_and_the_answer(fresh):
    set_clock(fresh.a, START)
    member = new_member(fresh.a)["id"]
    debit = wallet_debit_of(fresh.a, member)
    path = "/v1/wallet-debits/%s/cancel" % debit
    wallet = fresh.a.get("/v1/members/%s/wallet" % member).json
    bad_reasons_change_nothing(fresh.a, path, member)
    assert fresh.a.get("/v1/members/%s/wallet" % member).json == wallet
    r = fresh.a.post(path, {"reason": "paid by card instead"})
    assert r.status == 200 and r.json["status"] == "cancelled", r
    assert r.json["cancel_reason"] == "paid by card instead" and r.json["reason"] == "till"
    movement = fresh.a.get("/v1/members/%s/wallet" % member).json["movements"][0]
    assert movement["type"] == "wallet_debit_cancel", movement
    assert movement["reason"] == "paid by card instead", movement
    (event,) = events_of(fresh.a, "wallet.debit_cancelled", member)
    assert event["data"]["cancel_reason"] == "paid by card instead"
    again = fresh.a.post(path)
    assert again.status == 200 and again.json == r.json, again
    assert len(events_of(fresh.a, "wallet.debit_cancelled", member)) == 1
