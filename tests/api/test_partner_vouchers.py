# SPDX-License-Identifier: MIT
"""Partner vouchers: a reward whose coupons each draw the next code of a pool the business
uploads from its partner; the pool is its stock (the last code cannot go to two members, also
when they race); its code shows on the coupon; it cannot be cancelled once shown; bad uploads
change nothing."""
from conftest import unique
from test_rewards import available, redeem, reward, rich_member, run_at_once, set_clock

START = "2026-03-02T10:00:00Z"
CINEMA = {"name": "Cinema ticket", "type": "partner_voucher", "sku": None, "cost_points": 100}


def upload(client, rid, codes, status=200):
    r = client.post("/v1/rewards/%s/vouchers" % rid, {"codes": codes})
    assert r.status == status, r
    return r.json


def test_coupons_draw_partner_codes_in_order_until_the_pool_is_empty(fresh):
    set_clock(fresh.a, START)
    rid = reward(fresh.a, **CINEMA)["id"]
    assert fresh.a.get("/v1/rewards/%s/vouchers" % rid).json["codes"] == 0
    got = upload(fresh.a, rid, ["CIN-001", "CIN-002", "CIN-003", "CIN-002"])
    assert (got["added"], got["codes"], got["free"]) == (3, 3, 3)
    assert upload(fresh.a, rid, ["CIN-003", "CIN-004"])["added"] == 1
    members = [rich_member(fresh.a, 300) for _ in range(5)]
    drawn = [redeem(fresh.a, m, rid).json for m in members[:4]]
    assert [c["partner_code"] for c in drawn] == ["CIN-001", "CIN-002", "CIN-003", "CIN-004"]
    assert fresh.a.get("/v1/coupons/" + drawn[0]["code"]).json["partner_code"] == "CIN-001"
    pool = fresh.a.get("/v1/rewards/%s/vouchers" % rid).json
    assert (pool["codes"], pool["free"]) == (4, 0)
    # The pool is the stock: the fifth member is refused and keeps the points.
    got = redeem(fresh.a, members[4], rid, status=422)
    assert got.json["error"]["code"] == "out_of_stock"
    assert available(fresh.a, members[4]) == 300
    offers = {o["id"]: o for o in
              fresh.a.get("/v1/rewards?member_id=%s" % members[4]).json["data"]}
    assert offers[rid]["eligible"] is False and offers[rid]["reason"] == "out_of_stock"
    # Shown is final: no cancel, the points stay spent.
    got = fresh.a.post("/v1/coupons/%s/cancel" % drawn[0]["code"])
    assert got.status == 409 and got.json["error"]["code"] == "partner_voucher_shown", got
    assert available(fresh.a, members[0]) == 200
    # It is used at the partner, not in a cart here.
    ev = fresh.a.post("/v1/carts/evaluate", {"member_id": members[1], "amount": 1000,
                                             "currency": "USD", "coupons": [drawn[1]["code"]]})
    assert ev.json["coupons"][0]["reason"] == "coupon_not_applicable"
    fresh.audit()


def test_bad_uploads_change_nothing(fresh):
    rid = reward(fresh.a, **CINEMA)["id"]
    other = reward(fresh.a)["id"]  # A free espresso: not a partner voucher.
    for codes in ([], ["has space"], [""], ["x" * 65], [7], ["ok", None],
                  ["é-code"], ["A"] * 10001):
        got = upload(fresh.a, rid, codes, status=400)
        assert got["error"]["field"] == "codes", (codes, got)
    assert fresh.a.post("/v1/rewards/%s/vouchers" % rid, {"codes": ["A"], "x": 1}).status == 400
    assert upload(fresh.a, other, ["A"], status=422)["error"]["code"] == "not_partner_voucher"
    assert fresh.a.post("/v1/rewards/rwd_nothing/vouchers", {"codes": ["A"]}).status == 404
    staff = fresh.a.with_key(fresh.a.post("/v1/api-keys", {"name": "till", "role": "staff"})
                             .json["api_key"])
    assert staff.post("/v1/rewards/%s/vouchers" % rid, {"codes": ["A"]}).status == 403
    assert fresh.b.post("/v1/rewards/%s/vouchers" % rid, {"codes": ["A"]}).status == 404
    assert fresh.a.get("/v1/rewards/%s/vouchers" % rid).json["codes"] == 0
    assert upload(fresh.a, rid, ["x" * 64, "~!#"])["added"] == 2


def test_ten_members_race_for_five_partner_codes(fresh):
    set_clock(fresh.a, START)
    rid = reward(fresh.a, **CINEMA)["id"]
    upload(fresh.a, rid, [unique("P") for _ in range(5)])
    members = [rich_member(fresh.a, 100) for _ in range(10)]
    out = run_at_once([
        lambda m=m: fresh.a.post("/v1/members/%s/rewards/%s/redeem" % (m, rid))
        for m in members])
    won = [r.json for r in out if r.status == 201]
    assert len(won) == 5, out
    assert all(r.status == 422 and r.json["error"]["code"] == "out_of_stock"
               for r in out if r.status != 201)
    assert len({c["partner_code"] for c in won}) == 5
    assert fresh.a.get("/v1/rewards/%s/vouchers" % rid).json["free"] == 0
    assert sum(available(fresh.a, m) for m in members) == 500
    fresh.audit()
