# SPDX-License-Identifier: MIT
"""Rules as an API resource (docs/rules.md): created from their document, validated with the
JSON path of the problem, changed by merge patch into new versions kept with who and when,
activated, paused and archived, listed, and private to their program."""
import pytest

from conftest import unique

WEEKENDS = {"name": "Double weekends", "trigger": "purchase",
            "conditions": {"in": ["time.weekday", [6, 7]]},
            "effects": [{"type": "award_points", "multiplier": 2}]}


def create(client, **fields):
    body = dict(WEEKENDS, name=unique("rule"))
    body.update(fields)
    r = client.post("/v1/rules", body)
    assert r.status == 201, r
    return r.json


def test_create__is_a_draft_version_1_with_its_document(dep):
    r = dep.a.post("/v1/rules", WEEKENDS)
    assert r.status == 201, r
    rule = r.json
    assert rule["id"].startswith("rul_") and rule["version"] == 1 and rule["status"] == "draft"
    for k, v in WEEKENDS.items():
        assert rule[k] == v
    assert rule["points_issued"] == 0 and rule["updated_by"].startswith("key_")
    assert dep.a.get("/v1/rules/" + rule["id"]).json == rule
    active = create(dep.a, status="active")
    assert active["status"] == "active"


@pytest.mark.parametrize("change,field", [
    ({"conditions": {"all": [{"eq": ["cart.channel", "web"]}, {"gte": ["cart.amount", 50.5]}]}},
     "conditions.all.1.gte.1"),
    ({"conditions": {"eq": ["cart.colour", "red"]}}, "conditions.eq.0"),
    ({"conditions": {"like": ["cart.channel", "web"]}}, "conditions.like"),
    ({"conditions": {"eq": ["item.sku", "A"]}}, "conditions.eq.0"),
    ({"effects": []}, "effects"),
    ({"effects": [{"type": "teleport"}]}, "effects.0.type"),
    ({"effects": [{"type": "discount", "percent": 150}]}, "effects.0.percent"),
    ({"trigger": "sale"}, "trigger"),
    ({"colour": "red"}, "colour"),
    ({"name": ""}, "name"),
    ({"status": "paused"}, "status"),
    ({"valid_from": "2026-02-01T00:00:00Z", "valid_to": "2026-01-01T00:00:00Z"}, "valid_to"),
])
def test_create__refuses_a_bad_rule_naming_where(dep, change, field):
    before = len(dep.a.get("/v1/rules?limit=200").json["data"])
    body = dict(WEEKENDS)
    body.update(change)
    r = dep.a.post("/v1/rules", body)
    assert r.status == 400 and r.error["code"] == "validation_failed", r
    assert r.error["field"] == field, r
    assert len(dep.a.get("/v1/rules?limit=200").json["data"]) == before


def test_too_deep_is_a_limit(dep):
    cond = {"eq": ["cart.channel", "web"]}
    for _ in range(8):
        cond = {"not": cond}
    r = dep.a.post("/v1/rules", dict(WEEKENDS, conditions=cond))
    assert r.status == 422 and r.error["code"] == "limit_exceeded", r


def test_rules_are_for_admin_keys_and_their_program(dep):
    rule = create(dep.a)
    staff = dep.a.post("/v1/api-keys", {"name": unique("till"), "role": "staff"}).json["api_key"]
    assert dep.a.with_key(staff).get("/v1/rules").status == 403
    assert dep.a.with_key(staff).post("/v1/rules", WEEKENDS).status == 403
    assert dep.b.get("/v1/rules/" + rule["id"]).status == 404
    assert dep.b.post("/v1/rules/%s/activate" % rule["id"]).status == 404
    assert rule["id"] not in [x["id"] for x in dep.b.get("/v1/rules?limit=200").json["data"]]


def test_patch__merges_into_a_new_version_and_refuses_bad_changes(dep):
    rule = create(dep.a)
    r = dep.a.patch("/v1/rules/" + rule["id"], {"priority": 5, "conditions": None})
    assert r.status == 200, r
    assert r.json["version"] == 2 and r.json["priority"] == 5 and "conditions" not in r.json
    assert r.json["effects"] == WEEKENDS["effects"]
    bad = dep.a.patch("/v1/rules/" + rule["id"], {"effects": [{"type": "discount"}]})
    assert bad.status == 400 and bad.error["field"] == "effects.0", bad
    status = dep.a.patch("/v1/rules/" + rule["id"], {"status": "active"})
    assert status.status == 400 and status.error["field"] == "status"
    assert dep.a.get("/v1/rules/" + rule["id"]).json == r.json  # nothing changed
    assert dep.a.patch("/v1/rules/rul_00000000000000000000000000", {"priority": 1}).status == 404


def test_status_moves_and_archived_is_final(dep):
    rule = create(dep.a)
    r = dep.a.post("/v1/rules/%s/pause" % rule["id"])
    assert r.status == 422 and r.error["code"] == "rule_not_active", r
    r = dep.a.post("/v1/rules/%s/activate" % rule["id"])
    assert r.status == 200 and r.json["status"] == "active" and r.json["version"] == 2
    again = dep.a.post("/v1/rules/%s/activate" % rule["id"])
    assert again.status == 200 and again.json["version"] == 2  # no change, no version
    assert dep.a.post("/v1/rules/%s/pause" % rule["id"]).json["status"] == "paused"
    assert dep.a.post("/v1/rules/%s/archive" % rule["id"]).json["status"] == "archived"
    for r in (dep.a.post("/v1/rules/%s/activate" % rule["id"]),
              dep.a.patch("/v1/rules/" + rule["id"], {"priority": 1})):
        assert r.status == 422 and r.error["code"] == "rule_archived", r
    assert dep.a.get("/v1/rules/" + rule["id"]).json["version"] == 4


def test_versions__every_change_with_who_and_when(dep):
    rule = create(dep.a)
    staff_admin = dep.a.post("/v1/api-keys", {"name": unique("ops"), "role": "admin"}).json
    dep.a.with_key(staff_admin["api_key"]).patch("/v1/rules/" + rule["id"], {"priority": 2})
    dep.a.post("/v1/rules/%s/activate" % rule["id"])
    page = dep.a.get("/v1/rules/%s/versions?limit=2" % rule["id"]).json
    assert [v["version"] for v in page["data"]] == [3, 2]
    assert page["data"][0]["status"] == "active" and page["data"][1]["priority"] == 2
    assert page["data"][1]["changed_by"] == staff_admin["id"]
    assert page["data"][0]["changed_by"] == rule["updated_by"]
    rest = dep.a.get("/v1/rules/%s/versions?limit=2&cursor=%s"
                     % (rule["id"], page["next_cursor"])).json
    assert [v["version"] for v in rest["data"]] == [1] and rest["next_cursor"] is None
    assert "priority" not in rest["data"][0]
    assert dep.a.get("/v1/rules/%s/versions?cursor=x" % rule["id"]).status == 400


def test_list__filters_by_status_and_pages(dep):
    ids = [create(dep.a, status="active")["id"] for _ in range(3)]
    page = dep.a.get("/v1/rules?status=active&limit=2").json
    assert len(page["data"]) == 2 and all(x["status"] == "active" for x in page["data"])
    assert page["data"][0]["id"] > page["data"][1]["id"]
    assert ids[-1] == page["data"][0]["id"]
    nxt = dep.a.get("/v1/rules?status=active&limit=2&cursor=" + page["next_cursor"]).json
    assert nxt["data"][0]["id"] < page["data"][1]["id"]
    assert dep.a.get("/v1/rules?status=live").status == 400


def test_create__idempotency_key_replays(dep):
    body = dict(WEEKENDS, name=unique("idem"))
    r1 = dep.a.post("/v1/rules", body, headers={"Idempotency-Key": unique("k")})
    key = unique("k")
    r1 = dep.a.post("/v1/rules", body, headers={"Idempotency-Key": key})
    r2 = dep.a.post("/v1/rules", body, headers={"Idempotency-Key": key})
    assert r1.status == r2.status == 201 and r1.json == r2.json
    assert r2.headers.get("idempotent-replayed") == "true"


def test_at_most_500_active_rules(fresh):
    for i in range(500):
        r = fresh.a.post("/v1/rules", dict(WEEKENDS, name="r%d" % i, status="active"))
        assert r.status == 201, r
    r = fresh.a.post("/v1/rules", dict(WEEKENDS, name="one too many", status="active"))
    assert r.status == 422 and r.error["code"] == "limit_exceeded", r
    draft = fresh.a.post("/v1/rules", dict(WEEKENDS, name="a draft is fine")).json
    r = fresh.a.post("/v1/rules/%s/activate" % draft["id"])
    assert r.status == 422 and r.error["code"] == "limit_exceeded", r
    assert len(fresh.a.get("/v1/rules?status=active&limit=200").json["data"]) == 200
