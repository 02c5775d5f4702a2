# SPDX-License-Identifier: MIT
"""PATCH /v1/members/{id} as a JSON merge patch (RFC 7396): deep merge of attributes, null
clearing a field, partial consents, status changes, case folding of email, uniqueness against
other members, the server-kept fields, and concurrent patches that must all land."""
import threading
import time

import pytest

from conftest import Client, new_member, unique


def patch_ok(client, member_id, body):
    r = client.patch("/v1/members/" + member_id, body)
    assert r.status == 200, (body, r)
    got = client.get("/v1/members/" + member_id)
    assert got.status == 200 and got.json == r.json
    return r.json


def test_attributes_merge_deeply(dep):
    m = new_member(dep.a, attributes={
        "tier": "silver", "prefs": {"drink": "tea", "milk": {"kind": "oat", "warm": True}},
        "tags": ["a", "b"], "counter": 1})
    p = patch_ok(dep.a, m["id"], {"attributes": {
        "tier": "gold", "prefs": {"milk": {"warm": None, "foam": False}, "size": "L"},
        "tags": ["c"], "new": {"x": 1}}})
    assert p["attributes"] == {
        "tier": "gold", "prefs": {"drink": "tea", "milk": {"kind": "oat", "foam": False},
                                  "size": "L"},
        "tags": ["c"], "counter": 1, "new": {"x": 1}}
    # An object replaces a scalar and a scalar replaces an object.
    p = patch_ok(dep.a, m["id"], {"attributes": {"counter": {"n": 2}, "prefs": "none"}})
    assert p["attributes"]["counter"] == {"n": 2} and p["attributes"]["prefs"] == "none"
    # null on a key that does not exist is fine and changes nothing.
    p2 = patch_ok(dep.a, m["id"], {"attributes": {"never_was": None}})
    assert p2["attributes"] == p["attributes"]


def test_attributes_null_clears_them_all(dep):
    m = new_member(dep.a, attributes={"a": 1, "b": {"c": 2}})
    p = patch_ok(dep.a, m["id"], {"attributes": None})
    assert p["attributes"] == {}


def test_attributes_merge_result_is_size_checked(dep):
    m = new_member(dep.a, attributes={"a": "x" * 10000})
    r = dep.a.patch("/v1/members/" + m["id"], {"attributes": {"b": "y" * 10000}})
    assert r.status == 400 and r.error["field"] == "attributes", r
    assert dep.a.get("/v1/members/" + m["id"]).json == m
    # Replacing the big value keeps the result within the limit.
    p = patch_ok(dep.a, m["id"], {"attributes": {"a": None, "b": "y" * 10000}})
    assert p["attributes"] == {"b": "y" * 10000}


@pytest.mark.parametrize("field,value", [
    ("external_id", "crm-clear"), ("email", "clear@example.com"), ("phone", "+4930111222"),
    ("first_name", "Clara"), ("last_name", "Clear"), ("birth_date", "1970-01-01"),
    ("gender", "female"), ("locale", "fr"), ("city", "Paris"), ("country", "FR")])
def test_null_clears_a_field_and_keeps_the_others(dep, field, value):
    if field in ("external_id", "email", "phone"):
        value = {"external_id": unique("clr"), "email": unique("clr") + "@example.com",
                 "phone": "+49301" + str(int(time.time() * 1000) % 10000000).rjust(7, "0")}[field]
    m = new_member(dep.a, **{field: value, "city": "Kept" if field != "city" else value,
                             "attributes": {"keep": True}})
    p = patch_ok(dep.a, m["id"], {field: None})
    assert p[field] is None
    for other in m:
        if other not in (field, "updated_at"):
            assert p[other] == m[other], other
    # A cleared unique value can be taken by another member now.
    if field in ("external_id", "email", "phone"):
        assert dep.a.post("/v1/members", {field: value}).status == 201


def test_consents_are_merged_key_by_key(dep):
    m = new_member(dep.a, consents={"email": True, "sms": False, "push": True})
    p = patch_ok(dep.a, m["id"], {"consents": {"sms": True}})
    assert p["consents"] == {"email": True, "sms": True, "push": True}
    p = patch_ok(dep.a, m["id"], {"consents": {"email": False}})
    assert p["consents"] == {"email": False, "sms": True, "push": True}
    p = patch_ok(dep.a, m["id"], {"consents": {}})
    assert p["consents"] == {"email": False, "sms": True, "push": True}
    p = patch_ok(dep.a, m["id"], {"consents": {"push": None}})
    assert p["consents"] == {"email": False, "sms": True, "push": False}
    p = patch_ok(dep.a, m["id"], {"consents": None})
    assert p["consents"] == {"email": False, "sms": False, "push": False}


def test_status_changes(dep):
    m = new_member(dep.a)
    for status in ("suspended", "active", "closed"):
        p = patch_ok(dep.a, m["id"], {"status": status})
        assert p["status"] == status
    # A closed member is read-only until reopened (docs/security.md, "Smaller rules").
    r = dep.a.patch("/v1/members/" + m["id"], {"status": "active"})
    assert r.status == 422 and r.error["code"] == "member_inactive", r
    assert dep.a.get("/v1/members/" + m["id"]).json["status"] == "closed"
    r = dep.a.post("/v1/members/%s/reopen" % m["id"], {})
    assert r.status == 200 and r.json["status"] == "active", r
    for bad in ("deleted", "Active", "", 1, True, None):
        r = dep.a.patch("/v1/members/" + m["id"], {"status": bad})
        assert r.status == 400 and r.error["code"] == "validation_failed", (bad, r)
        assert r.error["field"] == "status"
    assert patch_ok(dep.a, m["id"], {"status": "closed"})["status"] == "closed"
    assert dep.a.get("/v1/members/" + m["id"]).json["status"] == "closed"


def test_email_is_lower_cased_and_may_change_case_of_itself(dep):
    email = unique("Case") + "@Example.com"
    m = new_member(dep.a, email=email)
    assert m["email"] == email.lower()
    p = patch_ok(dep.a, m["id"], {"email": email.upper()})
    assert p["email"] == email.lower()
    # Searching with any case finds it.
    found = dep.a.get("/v1/members?email=" + email.upper()).json["data"]
    assert [x["id"] for x in found] == [m["id"]]


def test_server_kept_fields_do_not_move(dep):
    m = new_member(dep.a, first_name="Before")
    time.sleep(0.01)
    p = patch_ok(dep.a, m["id"], {"first_name": "After"})
    for key in ("id", "card_number", "referral_code", "enrolled_at", "status"):
        assert p[key] == m[key], key
    assert p["updated_at"] > m["updated_at"]
    assert p["first_name"] == "After"


def test_empty_patch_changes_nothing_but_answers_the_member(dep):
    m = new_member(dep.a, first_name="Same", attributes={"x": [1, {"y": 2}]})
    r = dep.a.patch("/v1/members/" + m["id"], {})
    assert r.status == 200, r
    for key in m:
        if key != "updated_at":
            assert r.json[key] == m[key], key


@pytest.mark.parametrize("field", ["email", "phone", "external_id"])
def test_patch_into_a_taken_unique_value_conflicts(fresh, field):
    values = {"email": ("one@example.com", "two@example.com"),
              "phone": ("+4930100001", "+4930100002"),
              "external_id": ("crm-one", "crm-two")}[field]
    m1 = new_member(fresh.a, **{field: values[0]})
    m2 = new_member(fresh.a, **{field: values[1]})
    taken = values[0].upper() if field == "email" else values[0]
    r = fresh.a.patch("/v1/members/" + m2["id"], {field: taken, "city": "Nowhere"})
    assert r.status == 409, r
    assert r.error["code"] == "member_exists" and r.error["field"] == field
    assert fresh.a.get("/v1/members/" + m2["id"]).json == m2
    assert fresh.a.get("/v1/members/" + m1["id"]).json == m1
    # The same value in program B is no conflict, on POST nor PATCH.
    mb = new_member(fresh.b)
    r = fresh.b.patch("/v1/members/" + mb["id"], {field: values[0]})
    assert r.status == 200, r


def test_patch_unknown_or_foreign_member_is_404(dep):
    mb = new_member(dep.b, first_name="Bee")
    for member_id in ("mem_00000000000000000000000000", "nonsense", mb["id"]):
        r = dep.a.patch("/v1/members/" + member_id, {"first_name": "Hijack"})
        assert r.status == 404 and r.error["code"] == "not_found", (member_id, r)
    assert dep.b.get("/v1/members/" + mb["id"]).json == mb


def test_patch_needs_json_and_a_json_object(dep):
    m = new_member(dep.a)
    path = "/v1/members/" + m["id"]
    r = dep.a.patch(path, raw=b'{"city":"X"}')
    assert r.status == 415 and r.error["code"] == "unsupported_media_type", r
    r = dep.a.patch(path, raw=b'{"city":"X"}', headers={"Content-Type": "text/plain"})
    assert r.status == 415, r
    r = dep.a.patch(path, raw=b'{"city":', headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.error["code"] == "malformed_json", r
    assert "byte" in r.error["message"]
    r = dep.a.patch(path, raw=b'', headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.error["code"] == "malformed_json", r
    for doc in (b'[{"city":"X"}]', b'[]'):
        r = dep.a.patch(path, raw=doc, headers={"Content-Type": "application/json"})
        assert r.status == 400 and r.error["code"] == "validation_failed", (doc, r)
    assert dep.a.get(path).json == m


def test_a_valid_json_scalar_body_is_not_malformed_but_not_an_object(dep):
    """RFC 8259 allows a scalar as the whole text: such a body is valid JSON, so the answer is
    validation_failed (the body must be an object), not malformed_json."""
    m = new_member(dep.a)
    for doc in (b'"city"', b'null', b'42', b'true'):
        for method, path in (("PATCH", "/v1/members/" + m["id"]), ("POST", "/v1/members")):
            r = dep.a.request(method, path, raw=doc, headers={"Content-Type": "application/json"})
            assert r.status == 400 and r.error["code"] == "validation_failed", (method, doc, r)
    assert dep.a.get("/v1/members/" + m["id"]).json == m


def test_concurrent_patches_of_one_member_all_land(dep):
    """Many clients patch different attribute keys of one member at once: every patch is
    answered 200 and every key is in the result (no lost update, no spurious failure)."""
    m = new_member(dep.a)
    n = 32
    for round_no in range(2):
        statuses = []
        barrier = threading.Barrier(n)

        def worker(i):
            c = Client(dep.server.port, dep.key_a)
            c.get("/healthz")  # connect before the barrier so the patches really overlap
            barrier.wait()
            r = c.patch("/v1/members/" + m["id"], {"attributes": {"r%d_k%d" % (round_no, i): i}})
            statuses.append(r.status)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(statuses) == [200] * n, statuses
    attrs = dep.a.get("/v1/members/" + m["id"]).json["attributes"]
    assert attrs == {"r%d_k%d" % (r, i): i for r in range(2) for i in range(n)}
