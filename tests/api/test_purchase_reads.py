# SPDX-License-Identifier: MIT
"""Reading purchases back (issue 19: the till console and the member portal).

- GET /v1/transactions/{id} answers the purchase exactly as POST /v1/transactions answered it
  (items, coupons, discounts, payments, rules, nudges, the balance right after it), plus what
  its returns took so far: each line's returned_quantity, the purchase's returned_amount,
  points_reversed and status, and its returns (oldest first).
- GET /v1/members/{id}/purchases pages the member's purchases newest first (occurred_at, then
  id), with the house's limit and cursor rules and optional from/to on occurred_at; a cursor
  keeps its place while purchases are recorded before and after it.
- Another program's purchase or member, and an unknown one, are 404; bad parameters 400 naming
  the parameter. Each answer's schema is checked against docs/openapi.yaml (conftest), and the
  audit runs after the module.

Method: one deployment (test clock) with rules that discount, award, message and nudge, a coupon,
a till discount and payments in points and by card; answers compared field by field with
POST's; purchases placed at known occurred_at times for the lists."""
import sqlite3

import pytest

from conftest import STORE, db_query, new_member, unique
from test_rewards import redeem, reward, rich_member, set_clock

NOW = "2026-05-04T12:00:00Z"
# What GET adds to POST's answer.
ADDED = {"status", "returned_amount", "points_reversed", "returns", "return_count"}


def buy(client, member, items=None, amount=None, status=201, **kw):
    body = {"external_id": unique("r"), "member_id": member, "currency": "USD"}
    if items is not None:
        body["items"] = items
        body["amount"] = sum(i["quantity"] * i["unit_price"] for i in items)
    if amount is not None:
        body["amount"] = amount
    body.update(kw)
    r = client.post("/v1/transactions", body)
    assert r.status == status, r
    return r.json


def read(client, purchase_id, status=200):
    r = client.get("/v1/transactions/%s" % purchase_id)
    assert r.status == status, r
    return r.json


def give_back(client, purchase_id, **body):
    r = client.post("/v1/transactions/%s/returns" % purchase_id,
                    dict(body, external_id=unique("ret")))
    assert r.status == 201, r
    return r.json


def listing(client, member, query="", status=200):
    r = client.get("/v1/members/%s/purchases%s" % (member, query))
    assert r.status == status, r
    return r.json if status == 200 else r.error


def all_pages(client, member, query="", limit=3):
    seen, cursor = [], None
    sep = "&" if query else "?"
    for _ in range(100):
        q = query + sep + "limit=%d" % limit + ("&cursor=" + cursor if cursor else "")
        page = listing(client, member, q)
        assert len(page["data"]) <= limit
        seen += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        assert cursor == page["data"][-1]["id"]
    raise AssertionError("more than 100 pages")


def without_returns(answer):
    """GET's answer less what it adds: POST's answer."""
    got = {k: v for k, v in answer.items() if k not in ADDED}
    got["items"] = [{k: v for k, v in it.items() if k != "returned_quantity"}
                    for it in answer["items"]]
    return got


@pytest.fixture(scope="module")
def shop(dep):
    c = dep.a
    set_clock(c, NOW)
    r = c.patch("/v1/program", {"earn_rate": {"points": 1, "per_amount": 100},
                                "pending_days": 0, "point_value": {"amount": 1, "points": 1},
                                "points_payment": {"enabled": True, "min_points": 1,
                                                   "max_percent": 100, "multiple": 1,
                                                   "earns_points": False},
                                "hold_returnable": False, "return_days": 0})
    assert r.status == 200, r
    rules = [{"name": "Half off pastry", "items": {"eq": ["item.category", "pastry"]},
              "effects": [{"type": "discount", "on": "items", "percent": 50}]},
             {"name": "Thanks", "effects": [{"type": "message", "text": "Thank you!"},
                                             {"type": "award_points", "points": 7}]},
             {"name": "Big spender", "conditions": {"gte": ["cart.amount", 4000]},
              "effects": [{"type": "award_points", "points": 500}]}]
    for body in rules:
        r = c.post("/v1/rules", dict(body, trigger="purchase", status="active"))
        assert r.status == 201, r
    return dep


def rich_purchase(c):
    """A purchase with named items, a coupon, a till discount, rules and two payments."""
    member = rich_member(c, 5000)
    code = redeem(c, member, reward(c, type="discount_amount", value=300, sku=None,
                                    cost_points=100)["id"]).json["code"]
    items = [{"sku": "CRO", "name": "Croissant", "category": "pastry", "quantity": 2,
              "unit_price": 450},
             {"sku": "LAT", "name": "Latte", "category": "coffee", "quantity": 3,
              "unit_price": 520}]
    sale = {"member_id": member, "currency": "USD", "items": items, "amount": 2460,
            "coupons": [code], "discount": 100, "location": "Store 12", "channel": "till"}
    r = c.post("/v1/carts/evaluate", sale)
    assert r.status == 200, r
    to_pay = r.json["to_pay"]
    assert 1000 < to_pay < 2460 - 100 - 300, r.json  # The pastry's half off, the coupon, the till.
    got = buy(c, member, **{k: v for k, v in sale.items() if k != "member_id"},
              payments=[{"method": "points", "points": to_pay - 1000},
                        {"method": "card", "amount": 1000, "reference": "T-77"}])
    assert got["to_pay"] == to_pay and got["balance_due"] == 0, got
    assert got["coupons"][0]["applied"] is True and got["messages"] == ["Thank you!"], got
    assert got["nudges"] and got["rules"], got
    return member, got


def test_get__equals_what_post_answered(shop):
    c = shop.a
    member, posted = rich_purchase(c)
    got = read(c, posted["id"])
    assert without_returns(got) == posted
    assert [it["returned_quantity"] for it in got["items"]] == [0, 0]
    assert got["status"] == "completed" and got["returned_amount"] == 0
    assert got["points_reversed"] == 0 and got["returns"] == [] and got["return_count"] == 0
    # What the purchase answered then, not the member's state now: the balance right after it.
    buy(c, member, amount=1000)
    assert without_returns(read(c, posted["id"])) == posted
    # A staff key reads it too.
    staff = c.with_key(c.post("/v1/api-keys", {"name": "till", "role": "staff"}).json["api_key"])
    assert read(staff, posted["id"]) == read(c, posted["id"])


def test_get__after_partial_and_full_returns(shop):
    c = shop.a
    member = new_member(c)["id"]
    items = [{"sku": "A", "quantity": 3, "unit_price": 1000},
             {"sku": "B", "quantity": 1, "unit_price": 500}]
    posted = buy(c, member, items)
    first = give_back(c, posted["id"], items=[{"sku": "A", "quantity": 1}])
    got = read(c, posted["id"])
    assert without_returns(got) == posted
    assert [it["returned_quantity"] for it in got["items"]] == [1, 0]
    assert got["status"] == "partially_returned"
    assert got["returned_amount"] == first["amount"] == 1000
    assert got["points_reversed"] == first["points_reversed"] > 0
    assert got["return_count"] == 1
    assert got["returns"] == [{"id": first["id"], "external_id": first["external_id"],
                               "occurred_at": first["created_at"], "amount": 1000,
                               "points_reversed": first["points_reversed"],
                               "points_owed": first["points_owed"]}]
    second = give_back(c, posted["id"], items=[{"sku": "A", "quantity": 2},
                                                {"sku": "B", "quantity": 1}])
    got = read(c, posted["id"])
    assert without_returns(got) == posted
    assert [it["returned_quantity"] for it in got["items"]] == [3, 1]
    assert got["status"] == "returned" and got["returned_amount"] == 3500
    assert [x["id"] for x in got["returns"]] == [first["id"], second["id"]]
    assert got["points_reversed"] == first["points_reversed"] + second["points_reversed"]
    assert got["points_reversed"] == posted["points_earned"]
    # A return by amount counts in returned_amount, not in the lines.
    other = buy(c, member, items)
    give_back(c, other["id"], amount=700)
    got = read(c, other["id"])
    assert got["returned_amount"] == 700 and got["status"] == "partially_returned"
    assert [it["returned_quantity"] for it in got["items"]] == [0, 0]


def test_get__unknown_and_another_programs_are_not_found(shop):
    c = shop.a
    posted = buy(c, new_member(c)["id"], amount=1200)
    for path in ("/v1/transactions/txn_unknown", "/v1/transactions/" + "x" * 40,
                 "/v1/transactions/%s" % posted["id"].replace("txn_", "ret_")):
        r = c.get(path)
        assert r.status == 404 and r.error["code"] == "not_found", (path, r)
        assert r.error["message"].startswith("no purchase "), r  # Not "no such route".
    r = shop.b.get("/v1/transactions/%s" % posted["id"])
    assert r.status == 404 and r.error["message"] == "no purchase %s" % posted["id"], r
    theirs = buy(shop.b, new_member(shop.b)["id"], amount=100)
    assert c.get("/v1/transactions/%s" % theirs["id"]).status == 404


def at(day, hour=10):
    return "2026-04-%02dT%02d:00:00Z" % (day, hour)


@pytest.fixture(scope="module")
def history(shop):
    """A member with 9 purchases: days 1..7, and two at the same instant on day 8."""
    c = shop.a
    member = new_member(c)["id"]
    bought = []
    for day in (3, 1, 7, 5, 2, 6, 4):
        bought.append(buy(c, member, items=[{"sku": "S%d" % day, "quantity": day,
                                             "unit_price": 100}],
                          occurred_at=at(day), location="Store %d" % day))
    bought.append(buy(c, member, amount=800, occurred_at=at(8)))
    bought.append(buy(c, member, amount=900, occurred_at=at(8)))
    give_back(c, bought[0]["id"], amount=100)
    return member, bought


def newest_first(bought):
    return sorted(bought, key=lambda p: (p["occurred_at"], p["id"]), reverse=True)


def test_list__newest_first_in_pages_with_each_purchases_summary(shop, history):
    c = shop.a
    member, bought = history
    seen = all_pages(c, member)
    assert [p["id"] for p in seen] == [p["id"] for p in newest_first(bought)]
    by_id = {p["id"]: p for p in bought}
    for item in seen:
        p = by_id[item["id"]]
        for k in ("external_id", "occurred_at", "created_at", "currency", "amount", "discount",
                  "points_earned", "cashback", "channel", "location"):
            assert item[k] == p[k], (k, item, p)
        assert item["item_count"] == len(p["items"])
    returned = [x for x in seen if x["id"] == bought[0]["id"]][0]
    assert returned["returned_amount"] == 100 and returned["status"] == "partially_returned"
    assert returned["points_reversed"] == read(c, bought[0]["id"])["points_reversed"]
    assert all(x["status"] == "completed" for x in seen if x is not returned)
    whole = listing(c, member, "?limit=200")
    assert whole["data"] == seen and whole["next_cursor"] is None
    assert listing(c, member)["data"] == seen  # The default limit (50) holds them all.
    first = listing(c, member, "?limit=1")
    assert first["data"] == seen[:1] and first["next_cursor"] == seen[0]["id"]
    assert listing(c, new_member(c)["id"]) == {"data": [], "next_cursor": None}


def test_list__a_cursor_keeps_its_place(shop, history):
    c = shop.a
    member, bought = history
    page = listing(c, member, "?limit=4")
    rest = listing(c, member, "?limit=200&cursor=" + page["next_cursor"])
    # A purchase newer than the cursor and one older than everything, recorded in between.
    newer = buy(c, member, amount=50, occurred_at=at(9))
    older = buy(c, member, amount=60, occurred_at="2026-03-01T00:00:00Z")
    bought += [newer, older]  # For the tests after this one.
    again = listing(c, member, "?limit=200&cursor=" + page["next_cursor"])
    assert again["data"][:-1] == rest["data"] and again["data"][-1]["id"] == older["id"]
    assert listing(c, member, "?limit=1")["data"][0]["id"] == newer["id"]
    assert all_pages(c, member, limit=4) == listing(c, member, "?limit=200")["data"]


def test_list__from_and_to(shop, history):
    c = shop.a
    member, bought = history
    inside = [p for p in newest_first(bought) if at(2) <= p["occurred_at"] < at(6)]
    assert len(inside) == 4
    got = all_pages(c, member, "?from=%s&to=%s" % (at(2), at(6)), limit=3)
    assert [p["id"] for p in got] == [p["id"] for p in inside]
    got = all_pages(c, member, "?from=" + at(7), limit=1)
    assert [p["occurred_at"] for p in got][-1] == at(7)
    assert all(p["occurred_at"] >= at(7) for p in got)
    got = listing(c, member, "?to=" + at(2))["data"]
    assert [p["occurred_at"] for p in got][0] == at(1) and all(p["occurred_at"] < at(2)
                                                                for p in got)
    assert listing(c, member, "?from=2026-04-01T10:00:00.000Z&to=2026-04-01T10:00:00.001Z"
                   )["data"][0]["occurred_at"] == at(1)
    for query, field in (("?from=yesterday", "from"), ("?to=2026-04-31T00:00:00Z", "to"),
                         ("?from=", "from"), ("?from=%s&to=%s" % (at(3), at(3)), "to"),
                         ("?from=%s&to=%s" % (at(4), at(3)), "to"), ("?since=" + at(1), "since")):
        err = listing(c, member, query, status=400)
        assert err["code"] == "validation_failed" and err["field"] == field, (query, err)


def test_list__limit_and_cursor_follow_the_house_rules(shop, history):
    c = shop.a
    member, bought = history
    for ok in ("1", "200", "007"):
        assert listing(c, member, "?limit=" + ok)["data"]
    for bad in ("0", "201", "", "x", "-1", "1.5", "0001"):
        err = listing(c, member, "?limit=" + bad, status=400)
        assert err["field"] == "limit", (bad, err)
        assert err["message"] == "limit must be an integer from 1 to 200"
    elsewhere = buy(c, new_member(c)["id"], amount=100)["id"]
    theirs = buy(shop.b, new_member(shop.b)["id"], amount=100)["id"]
    for bad in ("mem_x", "x", "", "txn_unknown", elsewhere, theirs):
        err = listing(c, member, "?cursor=" + bad, status=400)
        assert err["field"] == "cursor", (bad, err)
        assert err["message"] == "cursor must be a next_cursor value of this list"


def test_list__unknown_and_another_programs_member_are_not_found(shop, history):
    member, _ = history
    for client, who in ((shop.a, "mem_unknown"), (shop.b, member)):
        err = listing(client, who, status=404)
        assert err["code"] == "not_found" and err["message"] != "no such route", err


def forget_answer(db, purchase_id):
    """Makes the purchase one recorded before schema version 25, whose event names no purchase."""
    sql = "UPDATE events SET ref_id = NULL WHERE ref_id = '%s'" % purchase_id
    if STORE != "postgres":
        con = sqlite3.connect(db)
        try:
            con.execute(sql)
            con.commit()
        finally:
            con.close()
    else:
        db_query(db, sql)
    left = db_query(db, "SELECT count(*) FROM events WHERE ref_id = '%s'" % purchase_id)
    assert left == [("0",)], left


def test_get__a_purchase_whose_event_names_it_not_is_read_from_its_rows(shop):
    c = shop.a
    member, posted = rich_purchase(c)
    forget_answer(shop.db, posted["id"])
    got = read(c, posted["id"])
    assert set(got) == set(posted) | ADDED
    same = ("id", "external_id", "member_id", "occurred_at", "currency", "amount",
            "eligible_amount", "channel", "location", "points_earned", "created_at", "discount",
            "base_points", "cashback", "to_pay", "payments", "balance_due", "points_payment")
    for k in same:
        assert got[k] == posted[k], k
    assert [{k: it[k] for k in ("sku", "category", "quantity", "unit_price")}
            for it in got["items"]] == [{k: it[k] for k in ("sku", "category", "quantity",
                                                            "unit_price")}
                                        for it in posted["items"]]
    # What the store does not hold: no names, rules, nudges; the balance of now.
    assert [it["name"] for it in got["items"]] == [None, None]
    assert got["rules"] == [] and got["nudges"] == [] and got["messages"] == []
    assert got["balance"] == c.get("/v1/members/%s/balance" % member).json
    give_back(c, posted["id"], items=[{"sku": "LAT", "quantity": 1}])
    got = read(c, posted["id"])
    assert [it["returned_quantity"] for it in got["items"]] == [0, 1]
    assert got["return_count"] == 1 and got["status"] == "partially_returned"


def test_get__the_largest_purchase_reads_back_whole(shop):
    c = shop.a
    member = new_member(c)["id"]
    items = [{"sku": "SKU-%03d" % i, "name": "Product %03d " % i + "x" * 200,
              "category": "pastry" if i % 2 else "coffee", "quantity": 1 + i % 3,
              "unit_price": 100 + i} for i in range(200)]
    posted = buy(c, member, items)
    got = read(c, posted["id"])
    assert without_returns(got) == posted and len(got["items"]) == 200


def test_get__lists_the_first_200_returns_and_counts_them_all(shop):
    c = shop.a
    posted = buy(c, new_member(c)["id"], amount=201)
    made = [give_back(c, posted["id"], amount=1)["id"] for _ in range(200)]
    got = read(c, posted["id"])
    assert [x["id"] for x in got["returns"]] == made and got["return_count"] == 200
    assert got["status"] == "partially_returned"
    made.append(give_back(c, posted["id"], amount=1)["id"])
    got = read(c, posted["id"])
    assert [x["id"] for x in got["returns"]] == made[:200]
    assert got["return_count"] == 201 and got["returned_amount"] == 201
    assert got["status"] == "returned"
