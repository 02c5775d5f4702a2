# SPDX-License-Identifier: MIT
"""Idempotency-Key on POST /v1/members and POST /v1/api-keys: a replay answers the original
status and body byte for byte with Idempotent-Replayed: true and creates nothing; a different
request under the same key is 409 idempotency_conflict and creates nothing; failed requests
leave no record; keys are per program; concurrent retries create once; the key's header is
validated; an api-key replay never shows the secret again."""
import threading

import pytest

from conftest import Client, unique


def count_members(client, query):
    r = client.get("/v1/members?limit=200&" + query)
    assert r.status == 200, r
    return len(r.json["data"])


def key_ids(client):
    r = client.get("/v1/api-keys?limit=200")
    assert r.status == 200, r
    return [k["id"] for k in r.json["data"]]


def test_member_replay_is_byte_identical_and_creates_once(dep):
    key = unique("idem")
    email = unique("idem") + "@example.com"
    body = {"email": email, "first_name": "Once", "attributes": {"z": 1, "a": [1, 2]}}
    r1 = dep.a.post("/v1/members", body, headers={"Idempotency-Key": key})
    assert r1.status == 201, r1
    assert "idempotent-replayed" not in r1.headers
    for _ in range(3):
        r = dep.a.post("/v1/members", body, headers={"Idempotency-Key": key})
        assert r.status == 201, r
        assert r.headers.get("idempotent-replayed") == "true"
        assert r.body == r1.body
        assert r.headers["content-type"].startswith("application/json")
    assert count_members(dep.a, "email=" + email) == 1
    # A replay after the member changed still answers the original response.
    dep.a.patch("/v1/members/" + r1.json["id"], {"first_name": "Changed"})
    r = dep.a.post("/v1/members", body, headers={"Idempotency-Key": key})
    assert r.status == 201 and r.body == r1.body and r.json["first_name"] == "Once"
    # Another key of the same program replays it too (keys are scoped to the program).
    staff = dep.a.post("/v1/api-keys", {"name": "s", "role": "staff"}).json["api_key"]
    r = dep.a.with_key(staff).post("/v1/members", body, headers={"Idempotency-Key": key})
    assert r.status == 201 and r.body == r1.body
    assert r.headers.get("idempotent-replayed") == "true"


def test_member_conflict_applies_nothing(dep):
    key = unique("idem")
    first = {"email": unique("c1") + "@example.com"}
    other = {"email": unique("c2") + "@example.com"}
    assert dep.a.post("/v1/members", first, headers={"Idempotency-Key": key}).status == 201
    for body in (other, dict(first, first_name="Extra"), {}):
        r = dep.a.post("/v1/members", body, headers={"Idempotency-Key": key})
        assert r.status == 409 and r.error["code"] == "idempotency_conflict", (body, r)
        assert "idempotent-replayed" not in r.headers
    assert count_members(dep.a, "email=" + other["email"]) == 0
    assert count_members(dep.a, "email=" + first["email"]) == 1


def test_same_key_on_another_endpoint_conflicts(dep):
    key = unique("cross")
    assert dep.a.post("/v1/members", {"first_name": "X"},
                      headers={"Idempotency-Key": key}).status == 201
    before = key_ids(dep.a)
    r = dep.a.post("/v1/api-keys", {"name": "x", "role": "staff"},
                   headers={"Idempotency-Key": key})
    assert r.status == 409 and r.error["code"] == "idempotency_conflict", r
    assert key_ids(dep.a) == before


def test_failed_requests_leave_no_record(dep):
    key = unique("fail")
    email = unique("f") + "@example.com"
    taken = unique("taken") + "@example.com"
    assert dep.a.post("/v1/members", {"email": taken}).status == 201
    # A validation failure and a uniqueness conflict under the key...
    r = dep.a.post("/v1/members", {"email": "not-an-email"}, headers={"Idempotency-Key": key})
    assert r.status == 400, r
    r = dep.a.post("/v1/members", {"email": taken}, headers={"Idempotency-Key": key})
    assert r.status == 409 and r.error["code"] == "member_exists", r
    # ...do not burn it: a good request with it succeeds and is then replayed.
    r1 = dep.a.post("/v1/members", {"email": email}, headers={"Idempotency-Key": key})
    assert r1.status == 201 and "idempotent-replayed" not in r1.headers, r1
    r2 = dep.a.post("/v1/members", {"email": email}, headers={"Idempotency-Key": key})
    assert r2.status == 201 and r2.headers.get("idempotent-replayed") == "true"


def test_keys_are_per_program(dep):
    key = unique("prog")
    body = {"first_name": "Twin"}
    ra = dep.a.post("/v1/members", body, headers={"Idempotency-Key": key})
    rb = dep.b.post("/v1/members", body, headers={"Idempotency-Key": key})
    assert ra.status == rb.status == 201
    assert "idempotent-replayed" not in rb.headers
    assert ra.json["id"] != rb.json["id"]
    assert dep.a.get("/v1/members/" + rb.json["id"]).status == 404
    # And B's replay shows B's member.
    rb2 = dep.b.post("/v1/members", body, headers={"Idempotency-Key": key})
    assert rb2.body == rb.body


def test_concurrent_retries_create_once(dep):
    key = unique("race")
    email = unique("race") + "@example.com"
    results = []
    barrier = threading.Barrier(12)

    def worker():
        c = Client(dep.server.port, dep.key_a)
        c.get("/healthz")
        barrier.wait()
        r = c.post("/v1/members", {"email": email}, headers={"Idempotency-Key": key})
        results.append((r.status, r.body, r.headers.get("idempotent-replayed")))

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [s for s, _, _ in results] == [201] * 12, results
    assert len({b for _, b, _ in results}) == 1
    assert sum(1 for _, _, rep in results if rep != "true") == 1
    assert count_members(dep.a, "email=" + email) == 1


@pytest.mark.parametrize("value,ok", [
    ("k", True), ("~" * 255, True), ("a-b_c.d:e/f+g=h", True), ("x" * 256, False),
    ("has space", False), ("tab\there", False)])
def test_idempotency_key_header_is_validated(dep, value, ok):
    email = unique("hv") + "@example.com"
    if value in ("k", "~" * 255):
        suffix = unique("")
        value = (value + suffix)[-len(value):] if len(value) > len(suffix) else suffix
        # "~" * 255 keeps its length (255) and becomes unique; "k" becomes the suffix alone.
    r = dep.a.post("/v1/members", {"email": email}, headers={"Idempotency-Key": value})
    if ok:
        assert r.status == 201, r
    else:
        assert r.status == 400 and r.error["code"] == "validation_failed", r
        assert r.error["field"] == "Idempotency-Key"
        assert count_members(dep.a, "email=" + email) == 0


def test_api_key_replay_hides_the_secret_and_creates_once(dep):
    key = unique("kidem")
    body = {"name": unique("kn"), "role": "staff"}
    before = key_ids(dep.a)
    r1 = dep.a.post("/v1/api-keys", body, headers={"Idempotency-Key": key})
    assert r1.status == 201 and r1.json["api_key"].startswith("ptk_"), r1
    r2 = dep.a.post("/v1/api-keys", body, headers={"Idempotency-Key": key})
    assert r2.status == 201, r2
    assert r2.headers.get("idempotent-replayed") == "true"
    assert r2.json["api_key"] is None
    assert {k: v for k, v in r2.json.items() if k != "api_key"} == \
        {k: v for k, v in r1.json.items() if k != "api_key"}
    assert r1.json["api_key"] not in r2.body
    assert key_ids(dep.a) == [r1.json["id"]] + before
    # The secret from the first answer is the one that works.
    assert dep.a.with_key(r1.json["api_key"]).get("/v1/members?limit=1").status == 200
    r3 = dep.a.post("/v1/api-keys", dict(body, role="admin"), headers={"Idempotency-Key": key})
    assert r3.status == 409 and r3.error["code"] == "idempotency_conflict", r3
    assert key_ids(dep.a) == [r1.json["id"]] + before


def test_without_a_key_each_post_creates(dep):
    body = {"first_name": unique("nokey")}
    r1 = dep.a.post("/v1/members", body)
    r2 = dep.a.post("/v1/members", body)
    assert r1.status == r2.status == 201
    assert r1.json["id"] != r2.json["id"]
    assert "idempotent-replayed" not in r2.headers
