# SPDX-License-Identifier: MIT
"""Issue 16, the smaller rules (docs/security.md, "Smaller rules").

Goal: every date-time input is refused outside its documented range (never re-dated, never
stored before 1970); the test clock of one program does not move another's; a closed member
is read-only until an explicit reopen, which is logged; a purchase has one limit of lines.
Method: a real server on a test clock (conftest `fresh`), programs A and B side by side; each
refusal is checked for its status, code and field, and for having changed nothing.
`patron audit` runs after every test (conftest)."""
from conftest import new_member, unique

T0 = "2026-03-02T10:00:00Z"
ITEMS_MAX = 200  # PT_PURCHASE_ITEMS_MAX; tests/docs checks openapi.yaml against limits.h.

BEFORE_1970 = ["1969-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z", "1960-05-01T12:00:00Z",
               "1970-01-01T00:30:00+01:00"]


def clock(client, now):
    r = client.put("/v1/test/clock", {"now": now})
    assert r.status == 200, r


def purchase_body(member, amount=1000, **kw):
    body = {"external_id": unique("rcpt"), "member_id": member, "currency": "USD",
            "amount": amount}
    body.update(kw)
    return body


def buy(client, member, amount=1000, **kw):
    r = client.post("/v1/transactions", purchase_body(member, amount, **kw))
    assert r.status == 201, r
    return r.json


def refused(r, status, code, field=None):
    assert r.status == status, r
    assert r.json["error"]["code"] == code, r
    if field is not None:
        assert r.json["error"].get("field") == field, r


# ---- Dates ----


def test_purchase_dated_before_1970_is_refused_not_redated(fresh):
    clock(fresh.a, T0)
    m = new_member(fresh.a)["id"]
    for when in BEFORE_1970:
        r = fresh.a.post("/v1/transactions", purchase_body(m, occurred_at=when))
        refused(r, 400, "validation_failed", "occurred_at")
    assert fresh.a.get("/v1/members/%s/ledger" % m).json["data"] == []
    # The first instant of 1970 and the present are accepted.
    assert buy(fresh.a, m, occurred_at="1970-01-01T00:00:00Z")["occurred_at"] == \
        "1970-01-01T00:00:00Z"
    assert buy(fresh.a, m)["occurred_at"] == T0


def test_purchase_and_activity_in_the_future_beyond_the_skew_are_refused(fresh):
    clock(fresh.a, T0)
    m = new_member(fresh.a)["id"]
    assert buy(fresh.a, m, occurred_at="2026-03-02T10:05:00Z")["occurred_at"] == \
        "2026-03-02T10:05:00Z"
    for when in ("2026-03-02T10:05:00.001Z", "9999-12-31T23:59:59Z"):
        refused(fresh.a.post("/v1/transactions", purchase_body(m, occurred_at=when)), 400,
                "validation_failed", "occurred_at")
        refused(fresh.a.post("/v1/activities", {"member_id": m, "type": "review", "external_id": unique("act"),
                                                "occurred_at": when}),
                400, "validation_failed", "occurred_at")


def test_activity_dated_before_1970_is_refused(fresh):
    clock(fresh.a, T0)
    m = new_member(fresh.a)["id"]
    for when in BEFORE_1970:
        r = fresh.a.post("/v1/activities", {"member_id": m, "type": "review", "external_id": unique("act"),
                                            "occurred_at": when})
        refused(r, 400, "validation_failed", "occurred_at")


def test_validity_bounds_and_simulation_periods_outside_the_range_are_refused(fresh):
    clock(fresh.a, T0)
    batch = {"name": "Spring", "count": 10, "discount": {"type": "discount_amount", "value": 100}}
    reward = {"name": "Espresso", "type": "free_product", "sku": "ESP", "cost_points": 100}
    rule = {"name": "Double", "trigger": "purchase",
            "effects": [{"type": "award_points", "multiplier": 2}]}
    for when in BEFORE_1970 + ["9999-12-31T23:59:59-01:00"]:
        for key in ("valid_from", "valid_to"):
            refused(fresh.a.post("/v1/coupon-batches", dict(batch, **{key: when})), 400,
                    "validation_failed", key)
            refused(fresh.a.post("/v1/rewards", dict(reward, **{key: when})), 400,
                    "validation_failed", key)
            refused(fresh.a.post("/v1/rules", dict(rule, **{key: when})), 400,
                    "validation_failed", key)
        r = fresh.a.post("/v1/rules/simulate", {"rule": rule, "from": when,
                                                "to": "2026-03-01T00:00:00Z"})
        refused(r, 400, "validation_failed", "from")
        refused(fresh.a.put("/v1/test/clock", {"now": when}), 400, "validation_failed", "now")
    assert fresh.a.get("/v1/coupon-batches").json["data"] == []
    assert fresh.a.get("/v1/rewards").json["data"] == []
    assert fresh.a.get("/v1/rules").json["data"] == []
    # The last instant of the range is a valid bound.
    r = fresh.a.post("/v1/rewards", dict(reward, valid_to="9999-12-31T23:59:59.999Z"))
    assert r.status == 201 and r.json["valid_to"] == "9999-12-31T23:59:59.999Z", r


# ---- The test clock is per program ----


def test_one_programs_test_clock_does_not_move_another(fresh):
    clock(fresh.a, T0)
    clock(fresh.b, "2026-01-05T09:00:00Z")
    clock(fresh.a, "2031-01-01T00:00:00Z")
    mb = new_member(fresh.b)["id"]
    assert buy(fresh.b, mb)["occurred_at"] == "2026-01-05T09:00:00Z"
    ma = new_member(fresh.a)["id"]
    assert buy(fresh.a, ma)["occurred_at"] == "2031-01-01T00:00:00Z"


def test_jobs_use_the_clock_of_the_program_they_work_for(fresh):
    for c in (fresh.a, fresh.b):
        clock(c, T0)
        assert c.patch("/v1/program", {"expiry": {"policy": "rolling", "months": 12}}).status \
            == 200
    ma, mb = new_member(fresh.a)["id"], new_member(fresh.b)["id"]
    buy(fresh.a, ma)
    buy(fresh.b, mb)
    clock(fresh.a, "2028-01-01T00:00:00Z")  # A's points are two years old: they expire.
    assert fresh.a.post("/v1/jobs/expire").json["points_expired"] == 10
    r = fresh.b.post("/v1/jobs/expire")
    assert r.status == 200 and r.json["points_expired"] == 0, r
    assert fresh.b.get("/v1/members/%s/balance" % mb).json["available"] == 10


# ---- Closed members ----


def staff(d):
    r = d.a.post("/v1/api-keys", {"name": "till", "role": "staff"})
    assert r.status == 201, r
    return d.a.with_key(r.json["api_key"])


def test_a_closed_member_is_read_only_until_reopened(fresh):
    a = fresh.a
    clock(a, T0)
    assert a.patch("/v1/program", {"wallet": {"pending_days": 0}}).status == 200
    assert a.post("/v1/rules", {"name": "5% back", "trigger": "purchase", "status": "active",
                                "effects": [{"type": "cashback", "percent": 5}]}).status == 201
    reward = a.post("/v1/rewards", {"name": "Espresso", "type": "free_product", "sku": "ESP",
                                    "cost_points": 10})
    assert reward.status == 201, reward
    m, other = new_member(a)["id"], new_member(a)["id"]
    assert a.post("/v1/members/%s/adjustments" % m, {"points": 100, "reason": "seed"}).status \
        == 201
    bought = buy(a, m, 2000)
    coupon = a.post("/v1/members/%s/rewards/%s/redeem" % (m, reward.json["id"]))
    assert coupon.status == 201, coupon
    closed = a.patch("/v1/members/" + m, {"status": "closed"})
    assert closed.status == 200 and closed.json["status"] == "closed", closed
    ledger_before = a.get("/v1/members/%s/ledger" % m).json
    balance_before = a.get("/v1/members/%s/balance" % m).json
    writes = [
        ("adjustment", a.post("/v1/members/%s/adjustments" % m, {"points": 5, "reason": "x"})),
        ("debit adjustment", a.post("/v1/members/%s/adjustments" % m,
                                    {"points": -5, "reason": "x"})),
        ("purchase", a.post("/v1/transactions", purchase_body(m))),
        ("return", a.post("/v1/transactions/%s/returns" % bought["id"],
                          {"external_id": unique("ret"), "amount": 500})),
        ("redemption", a.post("/v1/members/%s/redemptions" % m, {"points": 1, "reason": "x"})),
        ("transfer from", a.post("/v1/transfers", {"from_member_id": m, "to_member_id": other,
                                                   "points": 1})),
        ("transfer to", a.post("/v1/transfers", {"from_member_id": other, "to_member_id": m,
                                                 "points": 1})),
        ("wallet debit", a.post("/v1/members/%s/wallet/debits" % m, {"amount": 10})),
        ("reward", a.post("/v1/members/%s/rewards/%s/redeem" % (m, reward.json["id"]))),
        ("coupon", a.post("/v1/coupons/%s/redeem" % coupon.json["code"], {})),
        ("activity", a.post("/v1/activities", {"member_id": m, "type": "review",
                                                "external_id": unique("act")})),
        ("profile", a.patch("/v1/members/" + m, {"first_name": "Eve"})),
        ("status", a.patch("/v1/members/" + m, {"status": "active"})),
    ]
    for what, r in writes:
        assert r.status == 422 and r.json["error"]["code"] == "member_inactive", (what, r)
    # Reads still work, and nothing changed.
    assert a.get("/v1/members/" + m).json["status"] == "closed"
    assert a.get("/v1/members/%s/ledger" % m).json == ledger_before
    assert a.get("/v1/members/%s/balance" % m).json == balance_before
    assert a.get("/v1/members/%s/wallet" % m).status == 200
    assert a.get("/v1/coupons/%s" % coupon.json["code"]).status == 200
    # Reopening is the admin's, and only of a closed member.
    refused(staff(fresh).post("/v1/members/%s/reopen" % m), 403, "forbidden")
    refused(a.post("/v1/members/%s/reopen" % other), 422, "member_not_closed")
    assert a.post("/v1/members/mem_nobody/reopen").status == 404
    assert fresh.b.post("/v1/members/%s/reopen" % m).status == 404
    reopened = a.post("/v1/members/%s/reopen" % m)
    assert reopened.status == 200 and reopened.json["status"] == "active", reopened
    events = [e for e in a.get("/v1/events?limit=200").json["data"]
              if e["type"] == "member.reopened"]
    assert len(events) == 1 and events[0]["member_id"] == m, events
    assert a.post("/v1/members/%s/adjustments" % m, {"points": 5, "reason": "x"}).status == 201


def test_a_suspended_member_keeps_corrections_and_can_be_reactivated(fresh):
    a = fresh.a
    clock(a, T0)
    m = new_member(a)["id"]
    assert a.patch("/v1/members/" + m, {"status": "suspended"}).status == 200
    assert a.post("/v1/members/%s/adjustments" % m, {"points": 5, "reason": "x"}).status == 201
    refused(a.post("/v1/members/%s/reopen" % m), 422, "member_not_closed")
    assert a.patch("/v1/members/" + m, {"status": "active"}).json["status"] == "active"


# ---- One limit of lines ----


def test_a_purchase_has_at_most_the_documented_number_of_lines(fresh):
    clock(fresh.a, T0)
    m = new_member(fresh.a)["id"]

    def items(n):
        return [{"sku": "S%d" % i, "quantity": 1, "unit_price": 10} for i in range(n)]

    assert buy(fresh.a, m, 10 * ITEMS_MAX, items=items(ITEMS_MAX))["amount"] == 10 * ITEMS_MAX
    r = fresh.a.post("/v1/transactions",
                     purchase_body(m, 10 * (ITEMS_MAX + 1), items=items(ITEMS_MAX + 1)))
    refused(r, 400, "validation_failed", "items")
    r = fresh.a.post("/v1/carts/evaluate", {"member_id": m, "currency": "USD",
                                            "items": items(ITEMS_MAX + 1)})
    refused(r, 400, "validation_failed", "items")
    assert len(fresh.a.get("/v1/members/%s/ledger" % m).json["data"]) == 1


# ---- Holding what a return may take back ----

DAY_MS = 86400000


def iso(ms):
    import datetime
    t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


T0_MS = 1772445600000  # T0, 2026-03-02T10:00:00Z
assert iso(T0_MS) == "2026-03-02T10:00:00.000Z"


def transfer(client, frm, to, points):
    return client.post("/v1/transfers", {"from_member_id": frm, "to_member_id": to,
                                         "points": points})


def test_new_programs_hold_what_a_return_may_take_back(fresh):
    a = fresh.a
    clock(a, T0)
    program = a.get("/v1/program").json
    assert program["hold_returnable"] is True and program["return_days"] == 30, program
    m, friend = new_member(a)["id"], new_member(a)["id"]
    p = buy(a, m, 1000)  # 10 points, returnable for 30 days.
    assert a.post("/v1/members/%s/adjustments" % m, {"points": 5, "reason": "x"}).status == 201
    # Only what no return can take back may leave: 15 available, 10 held.
    r = transfer(a, m, friend, 6)
    refused(r, 422, "held_for_returns", "points")
    assert "5" in r.json["error"]["message"], r
    assert transfer(a, m, friend, 5).status == 201
    clock(a, iso(T0_MS + 30 * DAY_MS - 1))  # The last instant of the window: still held.
    refused(transfer(a, m, friend, 1), 422, "held_for_returns", "points")
    # A partial return inside the window takes its points back from the member.
    r = a.post("/v1/transactions/%s/returns" % p["id"], {"external_id": unique("ret"),
                                                         "amount": 500})
    assert r.status == 201 and r.json["points_reversed"] == 5 and r.json["points_owed"] == 0, r
    refused(transfer(a, m, friend, 1), 422, "held_for_returns", "points")
    clock(a, iso(T0_MS + 30 * DAY_MS))  # The window has closed: nothing is held, no return.
    assert transfer(a, m, friend, 5).status == 201
    r = a.post("/v1/transactions/%s/returns" % p["id"], {"external_id": unique("ret"),
                                                         "amount": 500})
    refused(r, 422, "return_window_closed")
    b = a.get("/v1/members/%s/balance" % m).json
    assert b["available"] == 0 and b["owed"] == 0, b
    assert a.get("/v1/members/%s/balance" % friend).json["available"] == 10


def test_a_return_after_the_window_leaves_no_debt(fresh):
    a = fresh.a
    clock(a, T0)
    m, friend = new_member(a)["id"], new_member(a)["id"]
    p = buy(a, m, 1000)
    clock(a, iso(T0_MS + 31 * DAY_MS))
    assert transfer(a, m, friend, 10).status == 201
    ledger = a.get("/v1/members/%s/ledger" % m).json
    refused(a.post("/v1/transactions/%s/returns" % p["id"],
                   {"external_id": unique("ret"), "amount": 1000}), 422, "return_window_closed")
    assert a.get("/v1/members/%s/ledger" % m).json == ledger
    assert a.get("/v1/members/%s/balance" % m).json["owed"] == 0


def test_wallet_spending_of_returnable_cashback_is_held(fresh):
    a = fresh.a
    clock(a, T0)
    assert a.patch("/v1/program", {"wallet": {"pending_days": 0}}).status == 200
    assert a.post("/v1/rules", {"name": "5% back", "trigger": "purchase", "status": "active",
                                "effects": [{"type": "cashback", "percent": 5}]}).status == 201
    m = new_member(a)["id"]
    buy(a, m, 2000)  # 100 of cashback, returnable for 30 days.
    assert a.get("/v1/members/%s/wallet" % m).json["available"] == 100
    r = a.post("/v1/members/%s/wallet/debits" % m, {"amount": 1})
    refused(r, 422, "held_for_returns", "amount")
    clock(a, iso(T0_MS + 30 * DAY_MS))
    r = a.post("/v1/members/%s/wallet/debits" % m, {"amount": 100})
    assert r.status == 201 and r.json["wallet"]["available"] == 0, r


def test_the_hold_and_the_window_are_settings(fresh):
    a = fresh.a
    clock(a, T0)
    for body, field in (({"return_days": -1}, "return_days"),
                        ({"return_days": 3651}, "return_days"),
                        ({"return_days": "30"}, "return_days"),
                        ({"hold_returnable": 1}, "hold_returnable"),
                        ({"return_days": 0}, "return_days")):  # A hold needs a window.
        refused(a.patch("/v1/program", body), 400, "validation_failed", field)
    assert a.get("/v1/program").json["return_days"] == 30
    r = a.patch("/v1/program", {"hold_returnable": False, "return_days": 0})
    assert r.status == 200 and r.json["hold_returnable"] is False and r.json["return_days"] == 0
    m, friend = new_member(a)["id"], new_member(a)["id"]
    p = buy(a, m, 1000)
    assert transfer(a, m, friend, 10).status == 201  # No hold: the old behaviour...
    clock(a, iso(T0_MS + 400 * DAY_MS))
    r = a.post("/v1/transactions/%s/returns" % p["id"], {"external_id": unique("ret"),
                                                         "amount": 1000})
    assert r.status == 201 and r.json["points_owed"] == 10, r  # ...and its debt (the risk).
    r = a.patch("/v1/program", {"hold_returnable": True, "return_days": 7})
    assert r.status == 200 and r.json["return_days"] == 7


def test_programs_from_before_the_hold_keep_their_behaviour():
    import os
    import tempfile
    from conftest import Client, Server
    from test_migration import make_v1_database
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "v1.db")
        keys = make_v1_database(db)
        server = Server(db)
        try:
            program = Client(server.port, keys["admin"]).get("/v1/program").json
            assert program["hold_returnable"] is False and program["return_days"] == 0, program
        finally:
            server.stop()


def test_the_character_u0000_in_stored_documents_is_refused_naming_the_field(fresh):
    """Member attributes and activity properties are stored as JSON text and read back without
    U+0000: such a document used to be answered 503 "retry" for ever (attributes) or stored as {}
    with a 201 (properties). It is bad input: 400 naming the field, and nothing changes."""
    a = fresh.a
    email = unique("nul") + "@example.com"
    r = a.post("/v1/members", {"email": email, "attributes": {"k": "a\u0000b"}})
    refused(r, 400, "validation_failed", "attributes")
    assert a.get("/v1/members?email=" + email).json["data"] == []
    r = a.post("/v1/members", {"email": email, "attributes": {"k\u0000": 1}})
    refused(r, 400, "malformed_json")  # jansson refuses U+0000 in a key as it reads the body.
    # A backslash followed by u0000 is text, not the character: kept as given.
    m = new_member(a, attributes={"k": "\\u0000"})
    assert a.get("/v1/members/" + m["id"]).json["attributes"] == {"k": "\\u0000"}
    r = a.patch("/v1/members/" + m["id"], {"attributes": {"k": ["a\u0000b"]}})
    refused(r, 400, "validation_failed", "attributes")
    assert a.get("/v1/members/" + m["id"]).json["attributes"] == {"k": "\\u0000"}
    events = a.get("/v1/events?limit=200").json["data"]
    r = a.post("/v1/activities", {"member_id": m["id"], "type": "review",
                                  "external_id": unique("act"),
                                  "properties": {"k": "a\u0000b", "other": "kept?"}})
    refused(r, 400, "validation_failed", "properties")
    assert a.get("/v1/events?limit=200").json["data"] == events


def test_an_action_takes_no_body_or_an_empty_object_alike(fresh):
    """API.md: for actions, an empty body and {} are the same request (a cancel with {} used to
    be 400 'cancel takes no body'); any field is still refused and changes nothing."""
    a = fresh.a
    m = new_member(a)["id"]
    buy(a, m, 5000)
    red = a.post("/v1/members/%s/redemptions" % m, {"points": 20, "reason": "x"})
    assert red.status == 201, red
    before = a.get("/v1/members/%s/balance" % m).json["available"]
    r = a.post("/v1/redemptions/%s/cancel" % red.json["id"], {"surprise": 1})
    refused(r, 400, "validation_failed")
    assert a.get("/v1/members/%s/balance" % m).json["available"] == before
    r = a.post("/v1/redemptions/%s/cancel" % red.json["id"], {})
    assert r.status in (200, 201), r
    assert a.get("/v1/members/%s/balance" % m).json["available"] == before + 20
