# SPDX-License-Identifier: MIT
"""Members: enrollment, reading, merge-patch updates, search and pagination, validation of
every field, uniqueness, idempotency and program isolation, against a real server."""
import pytest

from conftest import new_member, unique


def luhn_ok(number):
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def test_create__returns_server_fields(dep):
    r = dep.a.post("/v1/members", {
        "email": "Grace.Hopper@Example.com", "phone": "+14155550100", "first_name": "Grace",
        "last_name": "Hopper", "birth_date": "1906-12-09", "gender": "female", "locale": "en-US",
        "city": "Arlington", "country": "US", "external_id": unique("crm"),
        "attributes": {"tier_hint": "gold", "n": [1, 2]}, "consents": {"email": True}})
    assert r.status == 201, r
    m = r.json
    assert m["id"].startswith("mem_") and len(m["id"]) == 30
    assert m["email"] == "grace.hopper@example.com"
    assert len(m["card_number"]) == 16 and m["card_number"].isdigit() and luhn_ok(m["card_number"])
    assert m["status"] == "active"
    assert len(m["referral_code"]) == 8
    assert m["consents"] == {"email": True, "sms": False, "push": False}
    assert m["attributes"] == {"tier_hint": "gold", "n": [1, 2]}
    assert m["enrolled_at"].endswith("Z")
    got = dep.a.get("/v1/members/" + m["id"])
    assert got.status == 200 and got.json == m


@pytest.mark.parametrize("field,value", [
    ("email", "not an address"), ("email", "a@b"), ("email", 5),
    ("phone", "0151 1234"), ("phone", "+0123456789"), ("phone", "+12345"),
    ("first_name", ""), ("first_name", "x" * 101), ("last_name", "bad\nname"),
    ("birth_date", "1990-02-30"), ("birth_date", "2999-01-01"), ("birth_date", "10/12/1990"),
    ("gender", "robot"), ("locale", "english"), ("city", "   "),
    ("country", "XX"), ("country", "de"), ("external_id", "has space"),
    ("attributes", [1, 2]), ("attributes", "text"), ("consents", {"fax": True}),
    ("consents", {"email": "yes"}), ("id", "mem_x"), ("card_number", "1234"),
    ("referral_code", "ABC"), ("enrolled_at", "2020-01-01T00:00:00Z"), ("status", "active"),
    ("favourite_colour", "blue"),
])
def test_create__rejects_bad_field(dep, field, value):
    before = dep.a.get("/v1/members?limit=200").json["data"]
    r = dep.a.post("/v1/members", {field: value})
    assert r.status == 400, r
    assert r.error["code"] == "validation_failed"
    assert r.error["field"].split(".")[0] == field
    assert dep.a.get("/v1/members?limit=200").json["data"] == before


def test_create__attributes_limit_16_kib(dep):
    ok = {"k": "x" * (16384 - len('{"k":""}'))}
    r = dep.a.post("/v1/members", {"attributes": ok})
    assert r.status == 201, r
    too_big = {"k": "x" * (16385 - len('{"k":""}'))}
    r = dep.a.post("/v1/members", {"attributes": too_big})
    assert r.status == 400 and r.error["field"] == "attributes"


@pytest.mark.parametrize("field,value", [
    ("email", "dup@example.com"), ("phone", "+4930123456"), ("external_id", "crm-dup")])
def test_create__unique_fields_conflict(fresh, field, value):
    assert fresh.a.post("/v1/members", {field: value}).status == 201
    r = fresh.a.post("/v1/members", {field: value.upper() if field == "email" else value})
    assert r.status == 409 and r.error["code"] == "member_exists" and r.error["field"] == field
    # Another program may use the same value.
    assert fresh.b.post("/v1/members", {field: value}).status == 201


def test_patch__merge_semantics(dep):
    m = new_member(dep.a, phone="+4915100000001", city="Berlin",
                   attributes={"a": {"b": 1, "c": 2}, "keep": True}, consents={"email": True})
    r = dep.a.patch("/v1/members/" + m["id"], {
        "phone": None, "city": "Hamburg", "attributes": {"a": {"b": None, "d": 4}},
        "consents": {"sms": True}, "status": "suspended"})
    assert r.status == 200, r
    p = r.json
    assert p["phone"] is None and p["city"] == "Hamburg"
    assert p["attributes"] == {"a": {"c": 2, "d": 4}, "keep": True}
    assert p["consents"] == {"email": True, "sms": True, "push": False}
    assert p["status"] == "suspended"
    assert p["card_number"] == m["card_number"] and p["enrolled_at"] == m["enrolled_at"]
    assert dep.a.get("/v1/members/" + m["id"]).json == p


@pytest.mark.parametrize("body,field", [
    ({"card_number": "4111111111111111"}, "card_number"), ({"id": "mem_1"}, "id"),
    ({"status": "deleted"}, "status"), ({"status": None}, "status"),
    ({"email": "nope"}, "email"), ({"unknown": 1}, "unknown")])
def test_patch__rejects_and_changes_nothing(dep, body, field):
    m = new_member(dep.a)
    r = dep.a.patch("/v1/members/" + m["id"], body)
    assert r.status == 400 and r.error["field"] == field, r
    assert dep.a.get("/v1/members/" + m["id"]).json == m


def test_patch__unique_conflict(dep):
    m1 = new_member(dep.a)
    m2 = new_member(dep.a)
    r = dep.a.patch("/v1/members/" + m2["id"], {"email": m1["email"]})
    assert r.status == 409 and r.error["code"] == "member_exists"


def test_list__filters(fresh):
    c = fresh.a
    ada = new_member(c, email="ada@example.com", first_name="Ada", last_name="Lovelace",
                     phone="+442071234567", external_id="crm-ada")
    new_member(c, email="alan@example.com", first_name="Alan", last_name="Turing")
    new_member(c, email="grace@example.com", first_name="Grace", last_name="Adams")

    def ids(query):
        r = c.get("/v1/members?" + query)
        assert r.status == 200, r
        return [m["id"] for m in r.json["data"]]

    assert ids("email=ADA@example.com") == [ada["id"]]
    assert ids("phone=%2B442071234567") == [ada["id"]]
    assert ids("external_id=crm-ada") == [ada["id"]]
    assert ids("card_number=" + ada["card_number"]) == [ada["id"]]
    assert len(ids("q=ad")) == 2  # Ada, Adams
    assert len(ids("q=a")) == 3  # by first name, last name or email
    assert ids("q=a%25") == []  # LIKE wildcards are literal
    assert ids("q=ada&email=alan@example.com") == []
    r = c.get("/v1/members?colour=red")
    assert r.status == 400 and r.error["field"] == "colour"


def test_list__cursor_pagination_is_complete_and_stable(fresh):
    created = [new_member(fresh.a)["id"] for _ in range(23)]
    seen = []
    cursor = None
    pages = 0
    while True:
        path = "/v1/members?limit=5" + ("&cursor=" + cursor if cursor else "")
        r = fresh.a.get(path)
        assert r.status == 200, r
        page = r.json
        assert len(page["data"]) <= 5
        seen += [m["id"] for m in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert sorted(seen) == sorted(created) and len(set(seen)) == 23
    assert seen == sorted(seen, reverse=True)  # newest first


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=abc", "cursor=zzz"])
def test_list__bad_paging(dep, query):
    r = dep.a.get("/v1/members?" + query)
    assert r.status == 400 and r.error["field"] in ("limit", "cursor")


def test_isolation__other_program_sees_404(dep):
    m = new_member(dep.a, email=unique("iso") + "@example.com")
    for client, other in ((dep.b, m), ):
        assert client.get("/v1/members/" + other["id"]).status == 404
        assert client.patch("/v1/members/" + other["id"], {"city": "X"}).status == 404
        assert client.get("/v1/members?email=" + other["email"]).json["data"] == []
    mb = new_member(dep.b)
    assert dep.a.get("/v1/members/" + mb["id"]).status == 404
    missing = dep.a.get("/v1/members/mem_00000000000000000000000000")
    other = dep.a.get("/v1/members/" + mb["id"])
    assert missing.status == other.status == 404
    assert missing.error["code"] == other.error["code"] == "not_found"
    assert dep.a.get("/v1/members/" + m["id"]).json["city"] is None


def test_idempotency__replay_and_conflict(dep):
    key = unique("idem")
    body = {"email": unique("idem") + "@example.com"}
    r1 = dep.a.post("/v1/members", body, headers={"Idempotency-Key": key})
    r2 = dep.a.post("/v1/members", body, headers={"Idempotency-Key": key})
    assert r1.status == r2.status == 201
    assert r2.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in r1.headers
    assert r1.json == r2.json
    assert len(dep.a.get("/v1/members?email=" + body["email"]).json["data"]) == 1
    r3 = dep.a.post("/v1/members", {"email": unique("o") + "@example.com"},
                    headers={"Idempotency-Key": key})
    assert r3.status == 409 and r3.error["code"] == "idempotency_conflict"
    # Keys are per program: B may use the same key.
    assert dep.b.post("/v1/members", body, headers={"Idempotency-Key": key}).status == 201
    r4 = dep.a.post("/v1/members", body, headers={"Idempotency-Key": "bad key\u00e9"})
    assert r4.status in (400, 409)
