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
