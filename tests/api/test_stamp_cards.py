# SPDX-License-Identifier: MIT
"""Stamp cards on the test clock: ten stamps complete a card, give its reward through the
ledger and the eleventh starts the next card; stamps per item; returns take stamps back from
the open card, and the reward of those that completed a card; a card's stamps expire valid_days after its first; rules add stamps with
add_stamps; paused and archived cards; bad cards are refused with the field and change
nothing."""
from conftest import new_member, unique

START = "2026-03-02T10:00:00Z"  # a Monday

COFFEE = {"name": "Coffee card", "stamps_required": 10, "stamps_per": "purchase",
          "conditions": {"gte": ["cart.amount", 300]}, "reward": {"points": 100}}


def set_clock(client, when):
    r = client.put("/v1/test/clock", {"now": when})
    assert r.status == 200, r


def card(client, body):
    r = client.post("/v1/stamp-cards", body)
    assert r.status == 201, r
    return r.json


def buy(client, member, amount=None, items=None, **kw):
    body = {"external_id": unique("r"), "member_id": member, "currency": "USD"}
    if items is not None:
        body["items"] = items
        body["amount"] = sum(i["quantity"] * i["unit_price"] for i in items)
    else:
        body["amount"] = amount
    body.update(kw)
    r = client.post("/v1/transactions", body)
    assert r.status == 201, r
    return r.json


def give_back(client, purchase, amount):
    r = client.post("/v1/transactions/%s/returns" % purchase["id"],
                    {"external_id": unique("ret"), "amount": amount})
    assert r.status == 201, r
    return r.json


def progress(client, member, card_id):
    r = client.get("/v1/members/%s/stamp-cards" % member)
    assert r.status == 200, r
    return next(c for c in r.json["data"] if c["card_id"] == card_id)


def events(client, kind, member):
    r = client.get("/v1/events?limit=200")
    assert r.status == 200, r
    return [e for e in r.json["data"] if e["type"] == kind and e["member_id"] == member]


def test_bad_cards_are_refused_with_the_field(fresh):
    bad = [
        ({k: v for k, v in COFFEE.items() if k != "stamps_required"}, "stamps_required"),
        (dict(COFFEE, stamps_required=0), "stamps_required"),
        (dict(COFFEE, stamps_required=1001), "stamps_required"),
        (dict(COFFEE, stamps_per="visit"), "stamps_per"),
        (dict(COFFEE, reward={"reward_id": "stc_1"}), "reward.reward_id"),
        (dict(COFFEE, reward={"points": 10, "reward_id": "rwd_1"}), "reward"),
        (dict(COFFEE, reward={"points": 0}), "reward.points"),
        ({k: v for k, v in COFFEE.items() if k != "reward"}, "reward"),
        (dict(COFFEE, valid_days=0), "valid_days"),
        (dict(COFFEE, valid_days=4000), "valid_days"),
        (dict(COFFEE, conditions={"gte": ["cart.amount"]}), "conditions.gte"),
        (dict(COFFEE, items={"eq": ["cart.amount", 1]}), "items.eq.0"),
        (dict(COFFEE, status="archived"), "status"),
        (dict(COFFEE, colour="red"), "colour"),
        ({k: v for k, v in COFFEE.items() if k != "name"}, "name"),
    ]
    for body, field in bad:
        r = fresh.a.post("/v1/stamp-cards", body)
        assert r.status == 400, (body, r)
        assert r.json["error"]["field"] == field, (body, r.json)
    assert fresh.a.get("/v1/stamp-cards").json["data"] == []
    r = fresh.a.post("/v1/rules", {"name": "x", "trigger": "purchase", "status": "active",
                                   "effects": [{"type": "add_stamps", "card": "stc_nope"}]})
    assert r.status == 400 and r.json["error"]["field"] == "effects.0.card", r


def test_ten_stamps_complete_a_card_and_the_eleventh_starts_the_next(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, COFFEE)
    assert c["status"] == "active" and c["valid_days"] is None
    assert fresh.a.get("/v1/stamp-cards/" + c["id"]).json == c
    member = new_member(fresh.a)["id"]
    small = buy(fresh.a, member, 299)  # Below the card's condition: no stamp.
    assert small["stamps"] == [] and small["stamp_cards"] == []
    for i in range(9):
        got = buy(fresh.a, member, 450)
        assert got["stamps"] == [{"card_id": c["id"], "name": "Coffee card", "stamps": 1}]
        assert got["stamp_cards"][0]["progress"] == i + 1
    view = progress(fresh.a, member, c["id"])
    assert view["stamps"] == 9 and view["missing"] == 1 and view["completed"] == 0
    before = fresh.a.get("/v1/members/%s/balance" % member).json["available"]
    tenth = buy(fresh.a, member, 450)
    assert tenth["stamp_cards"] == [{"card_id": c["id"], "name": "Coffee card", "stamps": 1,
                                     "progress": 0, "completed": 1}]
    # The reward is ledger points, available at once; the purchase's own points are pending
    # only when the program has a return window.
    after = fresh.a.get("/v1/members/%s/balance" % member).json
    assert after["available"] == before + 100 + tenth["points_earned"] - tenth["points_pending"]
    done = events(fresh.a, "stamp_card.completed", member)
    assert len(done) == 1 and done[0]["data"]["n"] == 1 and done[0]["data"]["reward_points"] == 100
    ledger = fresh.a.get("/v1/members/%s/ledger?limit=200" % member).json["data"]
    assert [e["type"] for e in ledger].count("stamp_reward") == 1
    eleventh = buy(fresh.a, member, 450)
    assert eleventh["stamp_cards"][0]["progress"] == 1
    view = progress(fresh.a, member, c["id"])
    assert view["stamps"] == 1 and view["completed"] == 1
    assert len(events(fresh.a, "stamps.added", member)) == 11


def test_stamps_per_item_with_overflow_into_the_next_card(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, {"name": "Beans", "stamps_required": 5, "stamps_per": "item",
                       "items": {"eq": ["item.category", "coffee"]},
                       "reward": {"points": 50}})
    member = new_member(fresh.a)["id"]
    cart = [{"sku": "esp", "category": "coffee", "quantity": 3, "unit_price": 250},
            {"sku": "cake", "category": "food", "quantity": 2, "unit_price": 400}]
    ev = fresh.a.post("/v1/carts/evaluate", {"member_id": member, "currency": "USD",
                                              "items": cart, "amount": 1550}).json
    assert ev["stamps"] == [{"card_id": c["id"], "name": "Beans", "stamps": 3}]
    buy(fresh.a, member, items=cart)
    got = buy(fresh.a, member, items=cart)  # 6 stamps: one card of 5, 1 over.
    assert got["stamp_cards"][0] == {"card_id": c["id"], "name": "Beans", "stamps": 3,
                                     "progress": 1, "completed": 1}
    big = buy(fresh.a, member, items=[dict(cart[0], quantity=11)])  # 1 + 11 = 12: two cards
    assert big["stamp_cards"][0]["completed"] == 2 and big["stamp_cards"][0]["progress"] == 2
    assert progress(fresh.a, member, c["id"])["completed"] == 3


def test_returns_take_stamps_from_the_open_card_only(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, dict(COFFEE, stamps_required=3, stamps_per="item",
                           conditions=None))
    member = new_member(fresh.a)["id"]
    line = {"sku": "esp", "category": "coffee", "unit_price": 300}
    first = buy(fresh.a, member, items=[dict(line, quantity=2)])  # 2 stamps
    give_back(fresh.a, first, 300)  # Half the amount: 1 stamp back.
    assert progress(fresh.a, member, c["id"])["stamps"] == 1
    give_back(fresh.a, first, 300)  # The rest.
    assert progress(fresh.a, member, c["id"])["stamps"] == 0
    removed = events(fresh.a, "stamps.removed", member)
    assert [e["data"]["cards"][0]["stamps"] for e in removed] == [1, 1]
    # A purchase that completes a card: returning it takes back what is on the open card, and
    # of the completed card the reward of the stamps it gave it (2 of 3: 66 points); the card
    # stays completed with the reward of the stamp it keeps (tests/api/test_returns_undo.py).
    buy(fresh.a, member, items=[dict(line, quantity=1)])  # 1
    full = buy(fresh.a, member, items=[dict(line, quantity=3)])  # 4: completes one, 1 left
    assert full["stamp_cards"][0]["completed"] == 1
    assert give_back(fresh.a, full, 900)["reward_points_reversed"] == 66
    view = progress(fresh.a, member, c["id"])
    assert view["completed"] == 1 and view["stamps"] == 0
    ledger = fresh.a.get("/v1/members/%s/ledger?limit=200" % member).json["data"]
    assert [e["type"] for e in ledger].count("stamp_reward") == 1
    assert [e["type"] for e in ledger].count("stamp_reward_return") == 1
    fresh.audit()


def test_stamps_expire_valid_days_after_the_first(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, dict(COFFEE, valid_days=30))
    member = new_member(fresh.a)["id"]
    buy(fresh.a, member, 500)
    set_clock(fresh.a, "2026-03-20T10:00:00Z")
    buy(fresh.a, member, 500)
    view = progress(fresh.a, member, c["id"])
    assert view["stamps"] == 2 and view["started_at"] == START
    assert view["expires_at"] == "2026-04-01T10:00:00Z"
    set_clock(fresh.a, "2026-04-01T10:00:00Z")
    view = progress(fresh.a, member, c["id"])
    assert view["stamps"] == 0 and view["expires_at"] is None
    got = buy(fresh.a, member, 500)
    assert got["stamp_cards"][0]["progress"] == 1
    assert progress(fresh.a, member, c["id"])["expires_at"] == "2026-05-01T10:00:00Z"


def test_rules_add_stamps_and_an_exclusive_rule_does_not_stop_a_card(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, COFFEE)
    r = fresh.a.post("/v1/rules", {
        "name": "Double stamps on Mondays", "trigger": "purchase", "status": "active",
        "priority": 10, "exclusive": True, "conditions": {"eq": ["time.weekday", 1]},
        "effects": [{"type": "add_stamps", "card": c["id"]},
                    {"type": "award_points", "points": 5}]})
    assert r.status == 201, r
    member = new_member(fresh.a)["id"]
    got = buy(fresh.a, member, 500)
    assert got["stamps"] == [{"card_id": c["id"], "name": "Coffee card", "stamps": 2}]
    assert [x["name"] for x in got["rules"]] == ["Double stamps on Mondays"]
    set_clock(fresh.a, "2026-03-03T10:00:00Z")  # Tuesday: the card's own stamp only
    assert buy(fresh.a, member, 500)["stamp_cards"][0]["progress"] == 3


def test_paused_and_archived_cards(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, COFFEE)
    member = new_member(fresh.a)["id"]
    buy(fresh.a, member, 500)
    r = fresh.a.patch("/v1/stamp-cards/" + c["id"], {"status": "paused"})
    assert r.status == 200 and r.json["status"] == "paused"
    assert buy(fresh.a, member, 500)["stamps"] == []
    assert fresh.a.get("/v1/members/%s/stamp-cards" % member).json["data"] == []
    r = fresh.a.patch("/v1/stamp-cards/" + c["id"], {"status": "active", "stamps_required": 2})
    assert r.status == 200 and r.json["stamps_required"] == 2
    got = buy(fresh.a, member, 500)  # 1 + 1 = 2: complete under the new size
    assert got["stamp_cards"][0]["completed"] == 1
    assert fresh.a.patch("/v1/stamp-cards/" + c["id"], {"status": "archived"}).status == 200
    r = fresh.a.patch("/v1/stamp-cards/" + c["id"], {"status": "active"})
    assert r.status == 422 and r.json["error"]["code"] == "stamp_card_archived"
    assert buy(fresh.a, member, 500)["stamps"] == []
    listed = fresh.a.get("/v1/stamp-cards?limit=1").json
    assert [x["id"] for x in listed["data"]] == [c["id"]] and listed["next_cursor"] is None


def test_roles_and_tenants(fresh):
    first = fresh.a.post("/v1/stamp-cards", COFFEE, headers={"Idempotency-Key": "card-1"})
    again = fresh.a.post("/v1/stamp-cards", COFFEE, headers={"Idempotency-Key": "card-1"})
    assert first.status == again.status == 201 and again.json == first.json
    assert again.headers["idempotent-replayed"] == "true"
    c = first.json
    assert len(fresh.a.get("/v1/stamp-cards").json["data"]) == 1
    staff_key = fresh.a.post("/v1/api-keys", {"name": "till", "role": "staff"}).json["api_key"]
    staff = fresh.a.with_key(staff_key)
    member = new_member(fresh.a)["id"]
    assert staff.get("/v1/members/%s/stamp-cards" % member).status == 200
    assert staff.post("/v1/stamp-cards", COFFEE).status == 403
    assert fresh.b.get("/v1/stamp-cards/" + c["id"]).status == 404
    assert fresh.b.get("/v1/members/%s/stamp-cards" % member).status == 404


# ---- Found by review ----

def test_card_made_smaller_below_open_stamps_completes_at_next_stamp(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, COFFEE)  # 10 stamps
    member = new_member(fresh.a)["id"]
    for _ in range(7):
        buy(fresh.a, member, 500)
    r = fresh.a.patch("/v1/stamp-cards/" + c["id"], {"stamps_required": 5})
    assert r.status == 200, r
    got = buy(fresh.a, member, 500)  # "the card completes at its next stamp"
    assert got["stamp_cards"][0]["completed"] >= 1, got["stamp_cards"]
    assert progress(fresh.a, member, c["id"])["completed"] >= 1


def test_stamps_beyond_the_completion_cap_complete_with_the_next_stamp(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, {"name": "One", "stamps_required": 1, "stamps_per": "item",
                       "reward": {"points": 1}})
    member = new_member(fresh.a)["id"]
    line = {"sku": "esp", "category": "coffee", "unit_price": 1}
    got = buy(fresh.a, member, items=[dict(line, quantity=1002)])
    assert got["stamp_cards"][0]["completed"] == 1000
    assert got["stamp_cards"][0]["progress"] == 2  # 2 stamps wait on the open card
    nxt = buy(fresh.a, member, items=[dict(line, quantity=1)])
    # "stamps beyond that wait on the open card and complete with the next stamp"
    assert nxt["stamp_cards"][0]["completed"] >= 1, nxt["stamp_cards"]
    assert progress(fresh.a, member, c["id"])["completed"] > 1000


def test_card_condition_on_member_purchase_count(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, dict(COFFEE, conditions={"gte": ["member.purchase_count", 1]}))
    member = new_member(fresh.a)["id"]
    assert buy(fresh.a, member, 500)["stamps"] == []  # 0 purchases before it
    want = [{"card_id": c["id"], "name": "Coffee card", "stamps": 1}]
    ev = fresh.a.post("/v1/carts/evaluate", {"member_id": member, "currency": "USD",
                                             "amount": 500}).json
    got = buy(fresh.a, member, 500)  # 1 purchase before it
    assert ev["stamps"] == want, ev
    assert got["stamps"] == want, got


def test_return_after_add_stamps_rule_and_item_purchase_does_not_crash(fresh):
    c = card(fresh.a, dict(COFFEE, stamps_required=3, conditions=None))
    r = fresh.a.post("/v1/rules", {"name": "more", "trigger": "purchase", "status": "active",
                                   "effects": [{"type": "add_stamps", "card": c["id"],
                                                "per": "item", "stamps": 2}]})
    assert r.status == 201, r
    member = new_member(fresh.a)["id"]
    got = buy(fresh.a, member,
              items=[{"sku": "e", "category": "coffee", "quantity": 3, "unit_price": 100}])
    give_back(fresh.a, got, 300)  # server aborts: statement cache full
    assert progress(fresh.a, member, c["id"])["stamps"] == 0


def test_return_does_not_take_stamps_that_went_into_a_completed_card(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, dict(COFFEE, stamps_required=3, conditions=None))
    member = new_member(fresh.a)["id"]
    p1 = buy(fresh.a, member, 500)  # its stamp is the first of card 1
    buy(fresh.a, member, 500)
    buy(fresh.a, member, 500)       # card 1 completes, with p1's stamp in it
    buy(fresh.a, member, 500)       # card 2: one stamp, p4's
    give_back(fresh.a, p1, 500)
    # "the stamps that went into [a completed card] are not taken back"
    assert progress(fresh.a, member, c["id"])["stamps"] == 1
    assert events(fresh.a, "stamps.removed", member) == []


def test_return_does_not_take_stamps_lost_to_expiry_from_the_new_card(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, dict(COFFEE, stamps_required=3, conditions=None, valid_days=1))
    member = new_member(fresh.a)["id"]
    p1 = buy(fresh.a, member, 500)
    set_clock(fresh.a, "2026-03-04T10:00:00Z")  # card 1 expired with p1's stamp
    buy(fresh.a, member, 500)                     # card 2: one stamp, p2's
    give_back(fresh.a, p1, 500)
    assert progress(fresh.a, member, c["id"])["stamps"] == 1


def test_exclusive_rule_adding_stamps_to_a_paused_card_gives_nothing_and_does_not_stop(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, COFFEE)
    for rule in [{"name": "ex", "trigger": "purchase", "status": "active", "priority": 5,
                  "exclusive": True, "effects": [{"type": "add_stamps", "card": c["id"]}]},
                 {"name": "pts", "trigger": "purchase", "status": "active", "priority": 0,
                  "effects": [{"type": "award_points", "points": 7}]}]:
        assert fresh.a.post("/v1/rules", rule).status == 201
    assert fresh.a.patch("/v1/stamp-cards/" + c["id"], {"status": "paused"}).status == 200
    member = new_member(fresh.a)["id"]
    got = buy(fresh.a, member, 500)
    assert got["stamps"] == []
    assert [r["name"] for r in got["rules"]] == ["pts"], got["rules"]
    assert got["points_earned"] == 5 + 7


def test_stamps_removed_event_names_the_card(fresh):
    set_clock(fresh.a, START)
    c = card(fresh.a, dict(COFFEE, conditions=None))
    member = new_member(fresh.a)["id"]
    p = buy(fresh.a, member, 500)
    give_back(fresh.a, p, 500)
    removed = events(fresh.a, "stamps.removed", member)
    assert removed[0]["data"]["cards"][0]["name"] == "Coffee card", removed


def test_two_changes_at_once_both_land(fresh):
    import threading
    c = card(fresh.a, COFFEE)
    for n in range(8):
        go = threading.Barrier(2)
        out = [None, None]
        bodies = [{"stamps_required": 11 + n}, {"name": "Card %d" % n}]

        def one(i):
            client = fresh.a.with_key(fresh.key_a)
            go.wait()
            out[i] = client.patch("/v1/stamp-cards/" + c["id"], bodies[i])

        threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert all(x.status == 200 for x in out), out
        now = fresh.a.get("/v1/stamp-cards/" + c["id"]).json
        assert (now["stamps_required"], now["name"]) == (11 + n, "Card %d" % n), now
