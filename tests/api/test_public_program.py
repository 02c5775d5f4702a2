# SPDX-License-Identifier: MIT
"""The program's public face (issue 19): a rule's optional `public` and `description` fields
(docs/rules.md), stored, validated, patchable and always shown; and GET /v1/public/program, the
program as the member portal and the web-shop script read it without a key (docs/openapi.yaml):
its name, currency, time zone, enrollment, earn rate, point value, tiers with their benefits,
active stamp cards with their reward, active catalog rewards and active public rules. Method:
a real server over HTTP, on SQLite and PostgreSQL; each field is set through the admin API and
read back through the public route, and each refusal is checked to change nothing."""
import pytest

from conftest import unique

RULE = {"name": "Double weekends", "trigger": "purchase",
        "conditions": {"in": ["time.weekday", [6, 7]]},
        "effects": [{"type": "award_points", "multiplier": 2}]}


def rule_body(**fields):
    body = dict(RULE, name=unique("rule"))
    body.update(fields)
    return body


# ---- A rule's public and description ----

def test_rule__public_and_description_are_stored_and_shown(dep):
    r = dep.a.post("/v1/rules", rule_body(public=True, description="Twice the points on "
                                           "Saturdays and Sundays."))
    assert r.status == 201, r
    assert r.json["public"] is True
    assert r.json["description"] == "Twice the points on Saturdays and Sundays."
    got = dep.a.get("/v1/rules/" + r.json["id"]).json
    assert got["public"] is True and got["description"] == r.json["description"]


def test_rule__without_them_shows_false_and_null(dep):
    r = dep.a.post("/v1/rules", rule_body())
    assert r.status == 201, r
    assert r.json["public"] is False and r.json["description"] is None
    listed = [x for x in dep.a.get("/v1/rules?limit=200").json["data"] if x["id"] == r.json["id"]]
    assert listed[0]["public"] is False and listed[0]["description"] is None


def test_rule__patch_sets_and_clears_them_in_new_versions(dep):
    rule = dep.a.post("/v1/rules", rule_body()).json
    r = dep.a.patch("/v1/rules/" + rule["id"], {"public": True, "description": "Bonus"})
    assert r.status == 200, r
    assert r.json["public"] is True and r.json["description"] == "Bonus"
    assert r.json["version"] == 2
    r = dep.a.patch("/v1/rules/" + rule["id"], {"public": None, "description": None})
    assert r.status == 200, r
    assert r.json["public"] is False and r.json["description"] is None
    versions = dep.a.get("/v1/rules/%s/versions" % rule["id"]).json["data"]
    assert [v["description"] for v in versions] == [None, "Bonus", None]


def test_rule__description_of_500_bytes_is_taken_501_is_a_limit(dep):
    # 250 two-byte characters are 500 bytes: the bound counts bytes, not characters.
    r = dep.a.post("/v1/rules", rule_body(description="é" * 250))
    assert r.status == 201, r
    assert r.json["description"] == "é" * 250
    before = len(dep.a.get("/v1/rules?limit=200").json["data"])
    r = dep.a.post("/v1/rules", rule_body(description="é" * 250 + "x"))
    assert r.status == 422 and r.error["code"] == "limit_exceeded", r
    assert r.error["field"] == "description"
    rule = dep.a.post("/v1/rules", rule_body()).json
    r = dep.a.patch("/v1/rules/" + rule["id"], {"description": "x" * 501})
    assert r.status == 422 and r.error["field"] == "description", r
    assert dep.a.get("/v1/rules/" + rule["id"]).json["version"] == 1
    assert len(dep.a.get("/v1/rules?limit=200").json["data"]) == before + 1


@pytest.mark.parametrize("change,field", [
    ({"public": "yes"}, "public"),
    ({"public": 1}, "public"),
    ({"description": ""}, "description"),
    ({"description": 42}, "description"),
    ({"description": ["a"]}, "description"),
])
def test_rule__bad_public_or_description_is_refused_naming_it(dep, change, field):
    before = len(dep.a.get("/v1/rules?limit=200").json["data"])
    r = dep.a.post("/v1/rules", rule_body(**change))
    assert r.status == 400 and r.error["code"] == "validation_failed", r
    assert r.error["field"] == field, r
    assert len(dep.a.get("/v1/rules?limit=200").json["data"]) == before


def test_rule__description_with_nul_is_refused(dep):
    # The body reader refuses U+0000 anywhere (malformed_json) before the rule compiler sees it.
    before = len(dep.a.get("/v1/rules?limit=200").json["data"])
    r = dep.a.post("/v1/rules", rule_body(description="a\u0000b"))
    assert r.status == 400, r
    assert len(dep.a.get("/v1/rules?limit=200").json["data"]) == before


# ---- GET /v1/public/program ----

TIERS = {
    "metric": "spend",
    "window": {"rolling_months": 12},
    "retain": False,
    "levels": [
        {"name": "Member", "threshold": 0},
        {"name": "Silver", "threshold": 50000,
         "earn_multiplier": {"numerator": 125, "denominator": 100},
         "perks": ["Free shipping", "Birthday gift"]},
    ],
}
ESPRESSO = {"name": "Free espresso", "type": "free_product", "sku": "ESP", "cost_points": 100,
            "coupon_valid_days": 30, "description": "One espresso, any size",
            "terms": "One per visit", "image_url": "https://cdn.example.com/espresso.png"}
KEYS = {"id", "name", "currency", "time_zone", "enrollment", "earn_rate", "point_value",
        "excluded_categories", "expiry", "tiers", "stamp_cards", "rewards", "offers"}


def created(r):
    assert r.status == 201, r
    return r.json


def test_public_program__needs_no_key_and_defaults_to_the_oldest_program(dep):
    r = dep.anon().get("/v1/public/program")
    assert r.status == 200, r
    assert r.json["id"] == dep.program_a and r.json["name"] == "Program A"
    assert r.json["enrollment"] == "open"
    assert dep.anon().get("/v1/public/program?program_id=").json["id"] == dep.program_a
    r = dep.anon().get("/v1/public/program?program_id=" + dep.program_b)
    assert r.status == 200 and r.json["id"] == dep.program_b, r
    # A key of another program changes nothing: the route reads the program named.
    assert dep.a.get("/v1/public/program?program_id=" + dep.program_b).json["id"] == dep.program_b


@pytest.mark.parametrize("query", [
    "?program_id=prg_00000000000000000000000000",
    "?program_id=prg_nope",
    "?program_id=mem_00000000000000000000000000",
    "?program_id=" + "x" * 200,
])
def test_public_program__an_unknown_program_is_404(dep, query):
    r = dep.anon().get("/v1/public/program" + query)
    assert r.status == 404 and r.error["code"] == "not_found", r


def test_public_program__other_query_parameters_are_refused(dep):
    r = dep.anon().get("/v1/public/program?member_id=x")
    assert r.status == 400 and r.error["field"] == "member_id", r


def test_public_program__a_new_program_has_empty_lists(dep):
    r = dep.anon().get("/v1/public/program?program_id=" + dep.program_b).json
    assert set(r) == KEYS
    assert r["point_value"] == {"amount": 1, "points": 1}  # the default
    assert r["tiers"] == [] and r["stamp_cards"] == [] and r["rewards"] == []
    assert r["offers"] == []
    assert r["earn_rate"] == {"points": 1, "per_amount": 100}
    assert r["expiry"] == {"policy": "none"} and r["excluded_categories"] == []
    assert r["time_zone"] == "UTC" and r["currency"] == "USD"


def test_public_program__shows_each_part_of_the_program(fresh):
    a = fresh.a
    assert a.patch("/v1/program", {
        "time_zone": "Asia/Bangkok", "earn_rate": {"points": 2, "per_amount": 100},
        "point_value": {"amount": 1, "points": 100}, "excluded_categories": ["tobacco"],
        "expiry": {"policy": "rolling", "months": 12}, "tiers": TIERS}).status == 200
    espresso = created(a.post("/v1/rewards", ESPRESSO))
    cheap = created(a.post("/v1/rewards", dict(ESPRESSO, name="Sticker", cost_points=10,
                                               description=None, terms=None, image_url=None,
                                               tiers=["Silver"])))
    archived = created(a.post("/v1/rewards", dict(ESPRESSO, name="Old")))
    assert a.patch("/v1/rewards/" + archived["id"], {"status": "archived"}).status == 200
    created(a.post("/v1/rewards", dict(ESPRESSO, name="Given only", cost_points=None)))
    created(a.post("/v1/rewards", dict(ESPRESSO, name="Later",
                                       valid_from="2099-01-01T00:00:00Z")))
    coffee = created(a.post("/v1/stamp-cards", {
        "name": "Coffee card", "stamps_required": 10, "stamps_per": "purchase",
        "reward": {"points": 100}, "valid_days": 90}))
    cake = created(a.post("/v1/stamp-cards", {
        "name": "Cake card", "stamps_required": 5, "stamps_per": "item",
        "items": {"eq": ["item.category", "cake"]}, "reward": {"reward_id": espresso["id"]}}))
    paused = created(a.post("/v1/stamp-cards", {"name": "Paused", "stamps_required": 3,
                                                "reward": {"points": 1}}))
    assert a.patch("/v1/stamp-cards/" + paused["id"], {"status": "paused"}).status == 200
    offer = created(a.post("/v1/rules", rule_body(
        name="Weekend double", status="active", public=True, description="Twice the points",
        valid_from="2026-01-01T00:00:00Z", valid_to="2099-01-01T00:00:00Z")))
    open_offer = created(a.post("/v1/rules", rule_body(name="Always", status="active",
                                                       public=True)))
    created(a.post("/v1/rules", rule_body(name="Secret", status="active")))
    created(a.post("/v1/rules", rule_body(name="Draft", public=True)))
    created(a.post("/v1/rules", rule_body(name="Ended", status="active", public=True,
                                          valid_from="2019-01-01T00:00:00Z",
                                          valid_to="2020-01-01T00:00:00Z")))
    paused_rule = created(a.post("/v1/rules", rule_body(name="Paused", status="active",
                                                        public=True)))
    assert a.post("/v1/rules/%s/pause" % paused_rule["id"]).status == 200

    r = fresh.anon().get("/v1/public/program")
    assert r.status == 200, r
    p = r.json
    assert set(p) == KEYS
    assert p["id"] == fresh.program_a and p["name"] == "Program A" and p["currency"] == "USD"
    assert p["time_zone"] == "Asia/Bangkok" and p["enrollment"] == "open"
    assert p["earn_rate"] == {"points": 2, "per_amount": 100}
    assert p["point_value"] == {"amount": 1, "points": 100}
    assert p["excluded_categories"] == ["tobacco"]
    assert p["expiry"] == {"policy": "rolling", "months": 12}
    assert p["tiers"] == [
        {"id": "Member", "name": "Member", "metric": "spend", "threshold": 0,
         "earn_multiplier": {"numerator": 1, "denominator": 1}, "benefits": []},
        {"id": "Silver", "name": "Silver", "metric": "spend", "threshold": 50000,
         "earn_multiplier": {"numerator": 125, "denominator": 100},
         "benefits": ["Free shipping", "Birthday gift"]}]
    cards = {c["id"]: c for c in p["stamp_cards"]}
    assert set(cards) == {coffee["id"], cake["id"]}
    assert cards[coffee["id"]] == {
        "id": coffee["id"], "name": "Coffee card", "stamps_required": 10,
        "stamps_per": "purchase", "valid_days": 90,
        "reward": {"points": 100, "reward_id": None, "name": None, "description": None}}
    assert cards[cake["id"]]["stamps_per"] == "item"
    assert cards[cake["id"]]["reward"] == {"points": None, "reward_id": espresso["id"],
                                           "name": "Free espresso",
                                           "description": "One espresso, any size"}
    # Rewards on offer now, cheapest first; the archived, the given-only and the later ones not.
    assert [x["id"] for x in p["rewards"]] == [cheap["id"], espresso["id"]]
    shown = p["rewards"][1]
    for k in ("name", "description", "terms", "image_url", "type", "sku", "cost_points",
              "valid_from", "valid_to", "tiers", "coupon_valid_days"):
        assert shown[k] == espresso[k], k
    assert p["rewards"][0]["tiers"] == ["Silver"]
    assert "stock" not in shown and "issued" not in shown and "status" not in shown
    offers = {o["id"]: o for o in p["offers"]}
    assert offers == {
        offer["id"]: {"id": offer["id"], "name": "Weekend double",
                      "description": "Twice the points", "valid_from": "2026-01-01T00:00:00Z",
                      "valid_to": "2099-01-01T00:00:00Z"},
        open_offer["id"]: {"id": open_offer["id"], "name": "Always", "description": None,
                           "valid_from": None, "valid_to": None}}


def test_public_program__tells_nothing_of_members_or_keys(fresh):
    member = fresh.a.post("/v1/members", {"email": "private@example.com",
                                          "first_name": "Secret"}).json
    r = fresh.a.post("/v1/transactions", {"external_id": unique("r"), "member_id": member["id"],
                                          "currency": "USD", "amount": 5000,
                                          "occurred_at": "2026-01-05T10:00:00Z"})
    assert r.status == 201, r
    body = fresh.anon().get("/v1/public/program").body
    for secret in (member["id"], "private@example.com", "Secret", member["card_number"],
                   member["referral_code"], fresh.key_a[:12]):
        assert secret not in body


def test_public_program__another_programs_offers_stay_out(dep):
    b_rule = created(dep.b.post("/v1/rules", rule_body(status="active", public=True,
                                                       description="B only")))
    a = dep.anon().get("/v1/public/program").json
    assert b_rule["id"] not in [o["id"] for o in a["offers"]]
    b = dep.anon().get("/v1/public/program?program_id=" + dep.program_b).json
    assert b_rule["id"] in [o["id"] for o in b["offers"]]
