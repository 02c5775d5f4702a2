# SPDX-License-Identifier: MIT
"""Referrals on the test clock: a member enrolls with another's referral code; the first
purchase of at least min_amount within within_days qualifies it and rewards both sides
(points or wallet money); the referrer's monthly limit; guards refused with a clear reason
(unknown code, inactive referrer, self-referral); a full return of the qualifying purchase takes
the rewards back; GET /v1/members/{id}/referrals lists invited, qualified, rewarded."""
from conftest import new_member, unique

START = "2026-03-02T10:00:00Z"

POLICY = {"referrer": {"points": 500}, "referee": {"points": 200, "wallet": 300},
          "min_amount": 2000, "within_days": 30, "max_per_referrer_per_month": 2}


def set_clock(client, when):
    r = client.put("/v1/test/clock", {"now": when})
    assert r.status == 200, r


def enable(client, policy=POLICY):
    set_clock(client, START)
    r = client.patch("/v1/program", {"referrals": policy})
    assert r.status == 200, r
    return r.json["referrals"]


def buy(client, member, amount, **kw):
    body = {"external_id": unique("r"), "member_id": member, "currency": "USD",
            "amount": amount}
    body.update(kw)
    r = client.post("/v1/transactions", body)
    assert r.status == 201, r
    return r.json


def balance(client, member):
    return client.get("/v1/members/%s/balance" % member).json["available"]


def referred(client, referrer, **fields):
    code = client.get("/v1/members/" + referrer).json["referral_code"]
    return new_member(client, referred_by=code, **fields)["id"]


def referrals(client, member):
    r = client.get("/v1/members/%s/referrals" % member)
    assert r.status == 200, r
    return r.json


def test_settings_round_trip_and_bad_settings(fresh):
    got = enable(fresh.a)
    assert got == {"referrer": {"points": 500, "wallet": 0},
                   "referee": {"points": 200, "wallet": 300}, "min_amount": 2000,
                   "within_days": 30, "max_per_referrer_per_month": 2}
    for body, field in ((dict(POLICY, within_days=0), "referrals.within_days"),
                        ({k: v for k, v in POLICY.items() if k != "within_days"},
                         "referrals.within_days"),
                        (dict(POLICY, referrer={"points": -1}), "referrals.referrer.points"),
                        (dict(POLICY, referee={"cash": 1}), "cash"),
                        (dict(POLICY, referrer={}, referee={}), "referrals.referrer"),
                        (dict(POLICY, min_amount=1.5), "referrals.min_amount"),
                        (dict(POLICY, max_per_referrer_per_month=0),
                         "referrals.max_per_referrer_per_month")):
        r = fresh.a.patch("/v1/program", {"referrals": body})
        assert r.status == 400 and r.json["error"]["field"] == field, (body, r)
    assert fresh.a.get("/v1/program").json["referrals"] == got
    assert fresh.a.patch("/v1/program", {"referrals": None}).json["referrals"] is None


def test_qualified_inside_the_window_rewards_both_sides(fresh):
    enable(fresh.a)
    referrer = new_member(fresh.a)["id"]
    friend = referred(fresh.a, referrer)
    view = referrals(fresh.a, referrer)
    assert [(x["member_id"], x["status"]) for x in view["data"]] == [(friend, "invited")]
    assert referrals(fresh.a, friend)["referred_by"]["referrer_id"] == referrer
    buy(fresh.a, friend, 1999)  # Below min_amount: not yet.
    assert referrals(fresh.a, referrer)["data"][0]["status"] == "invited"
    before = balance(fresh.a, referrer)
    set_clock(fresh.a, "2026-03-31T10:00:00Z")  # Day 29
    p = buy(fresh.a, friend, 2500)
    row = referrals(fresh.a, referrer)["data"][0]
    assert row["status"] == "rewarded" and row["purchase_id"] == p["id"]
    assert row["qualified_at"] == row["rewarded_at"] == "2026-03-31T10:00:00Z"
    assert row["referrer_reward"] == {"points": 500, "wallet": 0}
    assert row["referee_reward"] == {"points": 200, "wallet": 300}
    assert balance(fresh.a, referrer) == before + 500
    assert fresh.a.get("/v1/members/%s/wallet" % friend).json["available"] == 300
    events = [e for e in fresh.a.get("/v1/events?limit=200").json["data"]
              if e["type"] == "referral.qualified"]
    assert len(events) == 1 and events[0]["data"]["referrer_id"] == referrer
    buy(fresh.a, friend, 5000)  # Only the first qualifying purchase counts.
    assert balance(fresh.a, referrer) == before + 500


def test_outside_the_window_it_expires(fresh):
    enable(fresh.a)
    referrer = new_member(fresh.a)["id"]
    friend = referred(fresh.a, referrer)
    set_clock(fresh.a, "2026-04-02T10:00:01Z")  # 31 days and a second
    buy(fresh.a, friend, 9000)
    row = referrals(fresh.a, referrer)["data"][0]
    assert row["status"] == "expired" and row["qualified_at"] is None
    assert fresh.a.get("/v1/members/%s/ledger" % referrer).json["data"] == []


def test_guards_are_refused_with_a_reason_and_change_nothing(fresh):
    enable(fresh.a)
    referrer = new_member(fresh.a, email="ann@example.com", phone="+4915112345678")["id"]
    code = fresh.a.get("/v1/members/" + referrer).json["referral_code"]
    cases = [({"email": "ann+friend@example.com"}, "self_referral"),
             ({"email": "someone@example.com", "phone": "+4915112345678"}, "self_referral")]
    for fields, reason in cases:
        r = fresh.a.post("/v1/members", dict(fields, referred_by=code))
        assert r.status == 422 and r.json["error"]["code"] == reason, r
        assert r.json["error"]["field"] == "referred_by"
    r = fresh.a.post("/v1/members", {"email": unique("x") + "@example.com",
                                     "referred_by": "NOSUCHCODE"})
    assert r.status == 422 and r.json["error"]["code"] == "referral_code_unknown", r
    assert r.json["error"]["message"] == "no member has this referral code"
    closed = new_member(fresh.a)["id"]
    closed_code = fresh.a.get("/v1/members/" + closed).json["referral_code"]
    assert fresh.a.patch("/v1/members/" + closed, {"status": "closed"}).status == 200
    r = fresh.a.post("/v1/members", {"email": unique("x") + "@example.com",
                                     "referred_by": closed_code})
    assert r.status == 422 and r.json["error"]["code"] == "referrer_inactive", r
    # Nothing was enrolled by the refusals.
    assert referrals(fresh.a, referrer)["data"] == []
    assert fresh.a.get("/v1/members?email=ann%2Bfriend%40example.com").json["data"] == []
    # Another program's code means nothing here.
    r = fresh.b.post("/v1/members", {"email": unique("x") + "@example.com",
                                     "referred_by": code})
    assert r.status == 422 and r.json["error"]["code"] == "referral_code_unknown"


def test_monthly_limit_of_the_referrer(fresh):
    enable(fresh.a)
    referrer = new_member(fresh.a)["id"]
    friends = [referred(fresh.a, referrer) for _ in range(3)]
    before = balance(fresh.a, referrer)
    for f in friends:
        buy(fresh.a, f, 2000)
    rows = {x["member_id"]: x for x in referrals(fresh.a, referrer)["data"]}
    statuses = sorted(x["status"] for x in rows.values())
    assert statuses == ["qualified", "rewarded", "rewarded"]
    capped = next(x for x in rows.values() if x["status"] == "qualified")
    assert "most rewarded referrals this month" in capped["note"]
    assert capped["referee_reward"] == {"points": 200, "wallet": 300}  # The friend still gets it.
    assert balance(fresh.a, referrer) == before + 2 * 500
    set_clock(fresh.a, "2026-04-01T10:00:00Z")  # A new month
    late = referred(fresh.a, referrer)
    buy(fresh.a, late, 2000)
    assert balance(fresh.a, referrer) == before + 3 * 500


def test_a_full_return_takes_the_rewards_back(fresh):
    enable(fresh.a, dict(POLICY, referrer={"points": 500, "wallet": 100}))
    referrer = new_member(fresh.a)["id"]
    friend = referred(fresh.a, referrer)
    p = buy(fresh.a, friend, 4000)
    assert referrals(fresh.a, referrer)["data"][0]["status"] == "rewarded"
    r = fresh.a.post("/v1/transactions/%s/returns" % p["id"],
                     {"external_id": unique("ret"), "amount": 1000})
    assert r.status == 201
    assert referrals(fresh.a, referrer)["data"][0]["status"] == "rewarded"  # Partial: kept.
    r = fresh.a.post("/v1/transactions/%s/returns" % p["id"],
                     {"external_id": unique("ret"), "amount": 3000})
    assert r.status == 201
    row = referrals(fresh.a, referrer)["data"][0]
    assert row["status"] == "reversed" and row["reversed_at"] == START
    assert balance(fresh.a, referrer) == 0
    assert fresh.a.get("/v1/members/%s/wallet" % referrer).json["balance"] == 0
    assert fresh.a.get("/v1/members/%s/wallet" % friend).json["balance"] == 0
    ledger = fresh.a.get("/v1/members/%s/ledger" % referrer).json["data"]
    assert [e["type"] for e in ledger] == ["referral_return", "referral"]
    fresh.audit()


def test_rewards_already_spent_are_owed(fresh):
    enable(fresh.a, dict(POLICY, referee={"points": 200}))
    referrer = new_member(fresh.a)["id"]
    friend = referred(fresh.a, referrer)
    p = buy(fresh.a, friend, 2000)  # 20 base points + 200
    r = fresh.a.post("/v1/members/%s/redemptions" % friend, {"points": 210, "reason": "gift"})
    assert r.status == 201, r
    r = fresh.a.post("/v1/transactions/%s/returns" % p["id"],
                     {"external_id": unique("ret"), "amount": 2000})
    assert r.status == 201
    b = fresh.a.get("/v1/members/%s/balance" % friend).json
    # 10 left of 220: the purchase's 20 points take 10 and owe 10, the referral's 200 are owed.
    assert b["owed"] == 10 + 200 and b["available"] == 0
    assert r.json["points_reversed"] == 20 and r.json["points_owed"] == 10
    fresh.audit()


def test_referrals_list_pages_and_tenants(fresh):
    enable(fresh.a)
    referrer = new_member(fresh.a)["id"]
    friends = [referred(fresh.a, referrer) for _ in range(3)]
    page = fresh.a.get("/v1/members/%s/referrals?limit=2" % referrer).json
    assert [x["member_id"] for x in page["data"]] == friends[::-1][:2]
    rest = fresh.a.get("/v1/members/%s/referrals?limit=2&cursor=%s" %
                       (referrer, page["next_cursor"])).json
    assert [x["member_id"] for x in rest["data"]] == [friends[0]] and rest["next_cursor"] is None
    assert fresh.b.get("/v1/members/%s/referrals" % referrer).status == 404
    assert referrals(fresh.a, referrer)["referred_by"] is None
