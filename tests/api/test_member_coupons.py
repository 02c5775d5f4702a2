# SPDX-License-Identifier: MIT
"""GET /v1/members/{id}/coupons (issue 19): a member's coupons, newest first, in the house list
style (limit, cursor, next_cursor), each with its code as printed, status, reward, times and who
gave it; ?status= keeps one status. Method: a real server over HTTP on both engines, on the test
clock; coupons of every status are made through the API (a redemption, a use at the till, a
cancel, the expiry job, a rule's issue_coupon), then listed and paged; each refusal is checked."""
import pytest

from conftest import new_member, unique

START = "2026-03-02T10:00:00Z"  # a Monday
ESPRESSO = {"name": "Free espresso", "type": "free_product", "sku": "ESP", "cost_points": 100,
            "coupon_valid_days": 7, "description": "One espresso"}


def set_clock(client, when):
    r = client.put("/v1/test/clock", {"now": when})
    assert r.status == 200, r


def reward(client, **fields):
    body = dict(ESPRESSO, name=unique("reward"))
    body.update(fields)
    r = client.post("/v1/rewards", body)
    assert r.status == 201, r
    return r.json


def rich_member(client, points):
    m = new_member(client)["id"]
    r = client.post("/v1/members/%s/adjustments" % m, {"points": points, "reason": "seed"})
    assert r.status == 201, r
    return m


def redeem(client, member, reward_id):
    r = client.post("/v1/members/%s/rewards/%s/redeem" % (member, reward_id))
    assert r.status == 201, r
    return r.json["code"]


def listed(client, member, query=""):
    r = client.get("/v1/members/%s/coupons%s" % (member, query))
    assert r.status == 200, r
    return r.json


def test_coupons__every_status_newest_first_with_their_fields(fresh):
    a = fresh.a
    set_clock(a, START)
    espresso = reward(a)
    cake = reward(a, name="Cake", type="discount_amount", value=500, sku=None)
    m = rich_member(a, 1000)
    expired = redeem(a, m, espresso["id"])
    set_clock(a, "2026-03-03T10:00:00Z")
    used = redeem(a, m, cake["id"])
    assert a.post("/v1/coupons/%s/redeem" % used, {"location": "Shop 1"}).status == 200
    set_clock(a, "2026-03-04T10:00:00Z")
    cancelled = redeem(a, m, espresso["id"])
    assert a.post("/v1/coupons/%s/cancel" % cancelled, {"reason": "changed mind"}).status == 200
    set_clock(a, "2026-03-09T11:00:00Z")  # The first is 7 days old: expired.
    assert a.post("/v1/jobs/expire", {}).json["coupons_expired"] == 1
    active = redeem(a, m, cake["id"])

    page = listed(a, m)
    assert page["next_cursor"] is None
    assert [c["code"] for c in page["data"]] == [active, cancelled, used, expired]
    assert [c["status"] for c in page["data"]] == ["active", "cancelled", "redeemed", "expired"]
    one = page["data"][0]
    assert one == {
        "code": active, "status": "active", "reward_id": cake["id"],
        "reward": {"id": cake["id"], "name": "Cake", "type": "discount_amount", "value": 500,
                   "sku": None},
        "issued_at": "2026-03-09T11:00:00Z", "expires_at": "2026-03-16T11:00:00Z",
        "redeemed_at": None, "location": None, "cancelled_at": None, "cancel_reason": None,
        "source": "redemption", "source_id": None}
    used_one = page["data"][2]
    assert used_one["redeemed_at"] == "2026-03-03T10:00:00Z"
    assert used_one["location"] == "Shop 1"
    assert page["data"][1]["cancelled_at"] == "2026-03-04T10:00:00Z"
    assert page["data"][1]["cancel_reason"] == "changed mind"
    assert page["data"][3]["reward"]["name"] == espresso["name"]
    # The list shows what GET /v1/coupons/{code} shows of each.
    for c in page["data"]:
        single = a.get("/v1/coupons/" + c["code"]).json
        for k in ("code", "status", "issued_at", "expires_at", "redeemed_at", "location",
                  "cancelled_at", "cancel_reason", "source", "source_id"):
            assert c[k] == single[k], k
        assert c["reward"] == {k: single["reward"][k] for k in ("id", "name", "type", "value",
                                                                 "sku")}

    for status, code in (("active", active), ("redeemed", used), ("cancelled", cancelled),
                         ("expired", expired)):
        got = listed(a, m, "?status=" + status)
        assert [c["code"] for c in got["data"]] == [code], status


def test_coupons__pages_follow_the_cursor_without_gaps_or_repeats(fresh):
    a = fresh.a
    set_clock(a, START)
    r = reward(a, cost_points=10)
    m = rich_member(a, 1000)
    codes = [redeem(a, m, r["id"]) for _ in range(7)]  # Several within one millisecond, too.
    seen = []
    page = listed(a, m, "?limit=3")
    while True:
        assert len(page["data"]) <= 3
        seen += [c["code"] for c in page["data"]]
        if page["next_cursor"] is None:
            break
        assert "-" not in page["next_cursor"]  # The canonical code.
        page = listed(a, m, "?limit=3&cursor=" + page["next_cursor"])
    assert sorted(seen) == sorted(codes) and len(seen) == 7
    issued = [a.get("/v1/coupons/" + c).json["issued_at"] for c in seen]
    assert issued == sorted(issued, reverse=True)
    # A status filter pages too.
    first = listed(a, m, "?status=active&limit=5")
    assert len(first["data"]) == 5 and first["next_cursor"] is not None
    rest = listed(a, m, "?status=active&limit=5&cursor=" + first["next_cursor"])
    assert len(rest["data"]) == 2 and rest["next_cursor"] is None


def test_coupons__a_rules_coupon_is_listed_with_its_source(fresh):
    a = fresh.a
    set_clock(a, START)
    gift = reward(a, cost_points=None)
    rule = a.post("/v1/rules", {"name": "Welcome", "trigger": "enrollment", "status": "active",
                                "effects": [{"type": "issue_coupon", "reward": gift["id"]}]})
    assert rule.status == 201, rule
    m = new_member(a)["id"]
    data = listed(a, m)["data"]
    assert len(data) == 1
    assert data[0]["source"] == "rule" and data[0]["source_id"] == rule.json["id"]
    assert data[0]["reward_id"] == gift["id"] and data[0]["status"] == "active"


def test_coupons__a_member_without_coupons_has_an_empty_page(dep):
    m = new_member(dep.a)["id"]
    assert listed(dep.a, m) == {"data": [], "next_cursor": None}


@pytest.mark.parametrize("query,field", [
    ("?status=issued", "status"),
    ("?status=", "status"),
    ("?limit=0", "limit"),
    ("?limit=201", "limit"),
    ("?cursor=nope", "cursor"),
    ("?cursor=mem_00000000000000000000000000", "cursor"),
    ("?member=x", "member"),
])
def test_coupons__bad_query_is_refused_naming_it(dep, query, field):
    m = new_member(dep.a)["id"]
    r = dep.a.get("/v1/members/%s/coupons%s" % (m, query))
    assert r.status == 400 and r.error["code"] == "validation_failed", r
    assert r.error.get("field") == field, r


def test_coupons__a_printed_code_is_not_a_cursor(fresh):
    a = fresh.a
    set_clock(a, START)
    r = reward(a, cost_points=10)
    m = rich_member(a, 100)
    printed = redeem(a, m, r["id"])
    assert "-" in printed
    got = a.get("/v1/members/%s/coupons?cursor=%s" % (m, printed))
    assert got.status == 400 and got.error["field"] == "cursor", got


def test_coupons__of_another_program_or_unknown_member_are_404(dep):
    m = new_member(dep.a)["id"]
    for client, member in ((dep.b, m), (dep.a, "mem_00000000000000000000000000"),
                           (dep.a, "nope")):
        r = client.get("/v1/members/%s/coupons" % member)
        assert r.status == 404 and r.error["code"] == "not_found", r


def test_coupons__staff_may_list_them_a_request_without_a_key_may_not(dep):
    m = new_member(dep.a)["id"]
    staff = dep.a.post("/v1/api-keys", {"name": unique("till"), "role": "staff"}).json["api_key"]
    assert dep.a.with_key(staff).get("/v1/members/%s/coupons" % m).status == 200
    r = dep.anon().get("/v1/members/%s/coupons" % m)
    assert r.status == 401, r
