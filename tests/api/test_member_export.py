# SPDX-License-Identifier: MIT
"""GET /v1/members/{id}/export (issue 19, "download my data"): one JSON document with everything
held about a member - its profile with every field and attribute, balance, tier, ledger,
purchases with their items and returns, redemptions, coupons, stamp cards, wallet with its
movements, referrals and activities - for an admin key; and its bound: at most 10,000 rows
(PT_EXPORT_ROWS_MAX), past which the answer is 422 limit_exceeded. Method: a real server on both
engines; a member is given one of everything through the API and each part of its export is
compared with what the API said when it was made (and with the part's own route); the bound is
met with rows written straight into the database (10,000 activities: faster than 10,000
requests), at exactly the bound and one past it."""
import sqlite3

import pytest

from conftest import STORE, db_query, new_member, unique

START = "2026-03-02T10:00:00Z"  # a Monday
TIERS = {"metric": "spend", "window": {"rolling_months": 12}, "retain": False,
         "levels": [{"name": "Member", "threshold": 0},
                    {"name": "Silver", "threshold": 5000, "perks": ["Free shipping"]}]}
REFERRALS = {"referrer": {"points": 500}, "referee": {"points": 200},
             "min_amount": 2000, "within_days": 30, "max_per_referrer_per_month": 2}
KEYS = {"exported_at", "program", "member", "balance", "tier", "ledger", "purchases",
        "redemptions", "coupons", "stamp_cards", "wallet", "referrals", "activities",
        "inquiries", "notes", "survey_responses"}


def ok(r, status=201):
    assert r.status == status, r
    return r.json


def export(client, member, status=200):
    r = client.get("/v1/members/%s/export" % member)
    assert r.status == status, r
    return r


def test_export__holds_every_part_of_a_member(fresh):
    a = fresh.a
    ok(a.put("/v1/test/clock", {"now": START}), 200)
    ok(a.patch("/v1/program", {"tiers": TIERS, "referrals": REFERRALS, "hold_returnable": False,
                               "return_days": 0}), 200)
    ok(a.post("/v1/rules", {"name": "5% back", "trigger": "purchase", "status": "active",
                            "effects": [{"type": "cashback", "percent": 5}]}))
    card = ok(a.post("/v1/stamp-cards", {"name": "Coffee", "stamps_required": 2,
                                         "stamps_per": "purchase", "reward": {"points": 50}}))
    reward = ok(a.post("/v1/rewards", {"name": "Espresso", "type": "free_product", "sku": "ESP",
                                       "cost_points": 100, "coupon_valid_days": 30}))
    friend = new_member(a)
    m = ok(a.post("/v1/members", {
        "email": unique("m") + "@example.com", "first_name": "Ana", "last_name": "Lima",
        "phone": "+4915112345678", "birth_date": "1990-05-01", "city": "Porto",
        "country": "PT", "locale": "pt-PT", "attributes": {"vip": True, "shoe": 38},
        "consents": {"email": True, "sms": False, "push": True},
        "referred_by": friend["referral_code"]}))
    mid = m["id"]
    purchase = ok(a.post("/v1/transactions", {
        "external_id": unique("r"), "member_id": mid, "currency": "USD",
        "occurred_at": START, "channel": "store", "location": "Shop 1", "amount": 7000,
        "items": [{"sku": "COF", "category": "coffee", "quantity": 2, "unit_price": 2000},
                  {"sku": "CAKE", "quantity": 1, "unit_price": 3000}]}))
    back = ok(a.post("/v1/transactions/%s/returns" % purchase["id"],
                     {"external_id": unique("ret"), "items": [{"sku": "CAKE", "quantity": 1}]}))
    ok(a.post("/v1/transactions", {"external_id": unique("r"), "member_id": mid,
                                   "currency": "USD", "amount": 1000}))
    ok(a.post("/v1/members/%s/adjustments" % mid, {"points": 300, "reason": "welcome"}))
    red = ok(a.post("/v1/members/%s/redemptions" % mid, {"points": 10, "reason": "a cookie"}))
    coupon = ok(a.post("/v1/members/%s/rewards/%s/redeem" % (mid, reward["id"])))
    act = ok(a.post("/v1/activities", {"member_id": mid, "type": "review",
                                       "external_id": unique("act"),
                                       "properties": {"stars": 5, "text": "great"}}))

    r = export(a, mid)
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["content-disposition"] == (
        'attachment; filename="patron-export-%s.json"' % mid)
    x = r.json
    assert set(x) == KEYS
    assert x["exported_at"] == START
    assert x["program"] == {"id": fresh.program_a, "name": "Program A", "currency": "USD"}
    # The profile as GET /v1/members/{id} shows it: every field, attributes and consents.
    assert x["member"] == a.get("/v1/members/" + mid).json
    assert x["member"]["attributes"] == {"vip": True, "shoe": 38}
    assert x["balance"] == a.get("/v1/members/%s/balance" % mid).json
    assert x["tier"] == a.get("/v1/members/%s/tier" % mid).json
    assert x["ledger"] == a.get("/v1/members/%s/ledger?limit=200" % mid).json["data"]
    assert {"earn", "return", "adjust", "redeem"} <= {e["type"] for e in x["ledger"]}

    assert len(x["purchases"]) == 2
    p = x["purchases"][1]  # newest first: the one with items is the older
    assert p["id"] == purchase["id"] and p["external_id"] == purchase["external_id"]
    assert p["channel"] == "store" and p["location"] == "Shop 1"
    assert p["amount"] == 7000 and p["points_earned"] == purchase["points_earned"]
    assert p["cashback"] == purchase["cashback"] > 0
    assert p["items"] == [
        {"sku": "COF", "category": "coffee", "quantity": 2, "unit_price": 2000,
         "eligible": True, "returned_quantity": 0},
        {"sku": "CAKE", "category": None, "quantity": 1, "unit_price": 3000,
         "eligible": True, "returned_quantity": 1}]
    assert p["returns"] == [{"id": back["id"], "external_id": back["external_id"],
                             "amount": 3000, "points_reversed": back["points_reversed"],
                             "points_owed": back["points_owed"],
                             "created_at": back["created_at"]}]
    assert p["returned_amount"] == 3000
    assert x["purchases"][0]["items"] == [] and x["purchases"][0]["returns"] == []

    # Newest first: the coupon's redemption of 100 points, then the one of 10.
    assert len(x["redemptions"]) == 2
    assert x["redemptions"][0]["points"] == 100
    assert x["redemptions"][1] == {"id": red["id"], "points": 10, "reason": "a cookie",
                                   "status": "completed", "created_at": red["created_at"],
                                   "cancelled_at": None, "cancel_reason": None}
    assert [c["code"] for c in x["coupons"]] == [coupon["code"]]
    assert x["coupons"] == a.get("/v1/members/%s/coupons" % mid).json["data"]
    assert len(x["stamp_cards"]) == 1
    sc = x["stamp_cards"][0]
    assert sc["card_id"] == card["id"] and sc["n"] == 1 and sc["status"] == "completed"
    assert sc["stamps"] == 2 and sc["reward_points"] == 50
    wallet = a.get("/v1/members/%s/wallet" % mid).json
    assert x["wallet"] == wallet and len(x["wallet"]["movements"]) >= 1
    refs = a.get("/v1/members/%s/referrals" % mid).json
    assert x["referrals"]["referred_by"] == refs["referred_by"]
    assert x["referrals"]["referred_by"]["referrer_id"] == friend["id"]
    assert x["referrals"]["referral_code"] == m["referral_code"]
    assert x["referrals"]["data"] == []
    assert x["activities"] == [{k: act[k] for k in ("id", "external_id", "type",
                                                     "occurred_at", "properties",
                                                     "points_earned", "created_at")}]
    assert x["activities"][0]["properties"] == {"stars": 5, "text": "great"}
    # The referrer's export lists the member among its referrals.
    theirs = export(a, friend["id"]).json["referrals"]
    assert [f["member_id"] for f in theirs["data"]] == [mid]
    assert theirs["referred_by"] is None


def test_export__a_new_member_has_empty_parts_and_no_tier(dep):
    m = new_member(dep.a)
    x = export(dep.a, m["id"]).json
    assert set(x) == KEYS
    assert x["tier"] is None
    for part in ("ledger", "purchases", "redemptions", "coupons", "stamp_cards", "activities",
                 "inquiries", "notes", "survey_responses"):
        assert x[part] == [], part
    assert x["referrals"]["data"] == [] and x["referrals"]["referred_by"] is None
    assert x["wallet"]["movements"] == [] and x["wallet"]["balance"] == 0


def test_export__is_for_admin_keys_of_the_members_program(dep):
    m = new_member(dep.a)["id"]
    staff = ok(dep.a.post("/v1/api-keys", {"name": unique("till"), "role": "staff"}))["api_key"]
    r = dep.a.with_key(staff).get("/v1/members/%s/export" % m)
    assert r.status == 403 and r.error["code"] == "forbidden", r
    assert dep.anon().get("/v1/members/%s/export" % m).status == 401
    for client, member in ((dep.b, m), (dep.a, "mem_00000000000000000000000000"),
                           (dep.a, "nope")):
        r = client.get("/v1/members/%s/export" % member)
        assert r.status == 404 and r.error["code"] == "not_found", r
    r = dep.a.get("/v1/members/%s/export?limit=5" % m)
    assert r.status == 400 and r.error["field"] == "limit", r


def run_sql(dep, *statements):
    if STORE == "postgres":
        for sql in statements:
            db_query(dep.db, sql)
        return
    con = sqlite3.connect(dep.db, timeout=30)
    try:
        for sql in statements:
            con.execute(sql)
        con.commit()
    finally:
        con.close()


def write_activities(dep, member, n):
    """n activities of the member written straight into the database (with their member_keys
    claims, so that `patron audit` holds)."""
    rows = ("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < %d) "
            % n)
    acts = (rows + "INSERT INTO activities (program_id, member_id, id, external_id, type, "
            "occurred_at_ms, properties, points_earned, entry_id, created_at_ms) "
            "SELECT '%s', '%s', 'act_bulk' || n, 'bulk-%s-' || n, 'visit', 1767225600000 + n, "
            "'{}', 0, NULL, 1767225600000 + n FROM c" % (dep.program_a, member, member))
    keys = (rows + "INSERT INTO member_keys (program_id, kind, value, member_id) "
            "SELECT '%s', 'activity', 'bulk-%s-' || n, '%s' FROM c"
            % (dep.program_a, member, member))
    run_sql(dep, acts, keys)


def remove_activities(dep, member):
    """The bulk rows go before the module's audit, whose check of activities' keys reads a
    member's activities once per key (a member of 10,000 is for this test only)."""
    run_sql(dep, "DELETE FROM member_keys WHERE kind = 'activity' AND member_id = '%s'" % member,
            "DELETE FROM activities WHERE member_id = '%s'" % member)


@pytest.mark.parametrize("rows,status", [(10000, 200), (10001, 422)])
def test_export__is_bounded_at_10000_rows(dep, rows, status):
    m = new_member(dep.a)["id"]
    write_activities(dep, m, rows)
    try:
        r = export(dep.a, m, status)
        if status == 200:
            assert len(r.json["activities"]) == 10000
            acts = r.json["activities"]
            assert acts[0]["occurred_at"] > acts[-1]["occurred_at"]
        else:
            assert r.error["code"] == "limit_exceeded", r
            assert "10000" in r.error["message"]
    finally:
        remove_activities(dep, m)
