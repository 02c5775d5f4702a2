# SPDX-License-Identifier: MIT
"""API keys end to end: the created key's shape and that it works at once, listings that never
show a secret or hash, paging, revocation that bites on the next request (also on a kept-alive
connection and for the key doing the deleting), the last admin key (also under a race), and
isolation of keys between programs in both directions."""
import hashlib
import re
import threading

import pytest

from conftest import Client, db_dump, db_key_row, unique

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def create_key(client, role="staff", name=None):
    r = client.post("/v1/api-keys", {"name": name or unique("key"), "role": role})
    assert r.status == 201, r
    return r.json


def all_keys(client):
    r = client.get("/v1/api-keys?limit=200")
    assert r.status == 200, r
    return r.json["data"]


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_created_key_shape_and_it_works(fresh, role):
    name = "Front desk ünïcode " + role
    k = create_key(fresh.a, role, name)
    assert set(k) == {"id", "name", "role", "prefix", "created_at", "api_key"}
    assert k["name"] == name and k["role"] == role
    assert re.match(r"^key_[%s]{26}$" % ALPHABET, k["id"])
    assert re.match(r"^ptk_[%s]{52}$" % ALPHABET, k["api_key"])
    assert k["prefix"] == k["api_key"][:12]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", k["created_at"])
    c = fresh.a.with_key(k["api_key"])
    assert c.get("/v1/members").status == 200
    assert c.get("/v1/api-keys").status == (200 if role == "admin" else 403)
    # The database holds the BLAKE2b-256 hash of the key, never the key.
    rows = db_key_row(fresh.db, k["id"])
    dump = db_dump(fresh.db)
    assert rows == [(hashlib.blake2b(k["api_key"].encode(), digest_size=32).digest(),
                     k["prefix"])]
    assert k["api_key"] not in dump


def test_listing_never_shows_secrets_or_hashes(fresh):
    made = [create_key(fresh.a, role) for role in ("admin", "staff", "staff")]
    r = fresh.a.get("/v1/api-keys")
    assert r.status == 200
    body = r.body
    for k in made:
        assert k["api_key"] not in body and k["api_key"][12:] not in body
        digest = hashlib.blake2b(k["api_key"].encode(), digest_size=32)
        assert digest.hexdigest() not in body
    assert fresh.key_a not in body
    listed = r.json["data"]
    for entry in listed:
        assert set(entry) == {"id", "name", "role", "prefix", "created_at"}, entry
    by_id = {e["id"]: e for e in listed}
    for k in made:
        assert by_id[k["id"]] == {key: k[key] for key in ("id", "name", "role", "prefix",
                                                           "created_at")}
    # Newest first; the init key is the oldest.
    assert [e["id"] for e in listed][:3] == [k["id"] for k in made][::-1]
    assert listed[-1]["name"] and listed[-1]["role"] == "admin"
    assert r.json["next_cursor"] is None


def test_listing_pages(fresh):
    made = [create_key(fresh.a)["id"] for _ in range(6)]
    seen, cursor, pages = [], None, 0
    while True:
        r = fresh.a.get("/v1/api-keys?limit=3" + ("&cursor=" + cursor if cursor else ""))
        assert r.status == 200, r
        assert len(r.json["data"]) <= 3
        seen += [k["id"] for k in r.json["data"]]
        cursor = r.json["next_cursor"]
        pages += 1
        if not cursor:
            break
    assert pages == 3  # 7 keys (6 + the init key) in pages of 3
    assert len(seen) == len(set(seen)) == 7
    assert seen[:6] == made[::-1]
    for query, field in (("limit=0", "limit"), ("limit=201", "limit"), ("limit=x", "limit"),
                         ("cursor=mem_00000000000000000000000000", "cursor"),
                         ("cursor=nope", "cursor"), ("role=admin", "role")):
        r = fresh.a.get("/v1/api-keys?" + query)
        assert r.status == 400 and r.error["code"] == "validation_failed", (query, r)
        assert r.error["field"] == field


@pytest.mark.parametrize("body,field", [
    ({}, "name"), ({"name": "x"}, "role"), ({"role": "staff"}, "name"),
    ({"name": "x", "role": "root"}, "role"), ({"name": "x", "role": "Admin"}, "role"),
    ({"name": "x", "role": ""}, "role"), ({"name": "x", "role": None}, "role"),
    ({"name": "x", "role": 1}, "role"), ({"name": "", "role": "staff"}, "name"),
    ({"name": "   ", "role": "staff"}, "name"), ({"name": "x" * 101, "role": "staff"}, "name"),
    ({"name": "a\nb", "role": "staff"}, "name"), ({"name": 5, "role": "staff"}, "name"),
    ({"name": None, "role": "staff"}, "name"),
    ({"name": "x", "role": "staff", "expires_at": "2030-01-01"}, "expires_at"),
    ({"name": "x", "role": "staff", "api_key": "ptk_" + "0" * 52}, "api_key")])
def test_create_validation_creates_nothing(dep, body, field):
    before = all_keys(dep.a)
    r = dep.a.post("/v1/api-keys", body)
    assert r.status == 400 and r.error["code"] == "validation_failed", (body, r)
    assert r.error["field"] == field
    assert all_keys(dep.a) == before


def test_name_of_100_bytes_is_fine(dep):
    k = create_key(dep.a, "staff", "n" * 100)
    assert k["name"] == "n" * 100


def test_deleted_key_is_401_at_once_everywhere(fresh):
    k = create_key(fresh.a, "admin")
    c = fresh.a.with_key(k["api_key"])
    # Open a keep-alive connection with the key, then revoke it from another connection.
    assert c.get("/v1/members").status == 200
    assert c.get("/v1/api-keys").status == 200
    r = fresh.a.delete("/v1/api-keys/" + k["id"])
    assert r.status == 204 and r.body == ""
    for method, path, body in (("GET", "/v1/members", None), ("GET", "/v1/api-keys", None),
                               ("POST", "/v1/members", {"first_name": "Ghost"}),
                               ("POST", "/v1/api-keys", {"name": "g", "role": "admin"})):
        r = c.request(method, path, body=body)
        assert r.status == 401 and r.error["code"] == "unauthorized", (path, r)
        r = Client(fresh.server.port, k["api_key"]).request(method, path, body=body)
        assert r.status == 401, (path, r)
    assert k["id"] not in [x["id"] for x in all_keys(fresh.a)]
    assert fresh.a.get("/v1/members?q=Ghost").json["data"] == []
    # Deleting it again, or an id that never was, is 404.
    for key_id in (k["id"], "key_00000000000000000000000000", "nonsense"):
        r = fresh.a.delete("/v1/api-keys/" + key_id)
        assert r.status == 404 and r.error["code"] == "not_found", r


def test_an_admin_key_may_delete_itself_while_another_admin_remains(fresh):
    k = create_key(fresh.a, "admin")
    c = fresh.a.with_key(k["api_key"])
    assert c.delete("/v1/api-keys/" + k["id"]).status == 204
    assert c.get("/v1/members").status == 401
    assert fresh.a.get("/v1/members").status == 200


def test_last_admin_key(fresh):
    staff = create_key(fresh.a, "staff")
    second = create_key(fresh.a, "admin")
    init_key_id = [k["id"] for k in all_keys(fresh.a) if k["id"] not in
                   (staff["id"], second["id"])][0]
    # Two admins: one may go.
    assert fresh.a.delete("/v1/api-keys/" + init_key_id).status == 204
    assert fresh.a.get("/v1/members").status == 401
    admin = fresh.a.with_key(second["api_key"])
    # Now the second is the last admin: refused, and it keeps working. Staff keys do not count.
    r = admin.delete("/v1/api-keys/" + second["id"])
    assert r.status == 409 and r.error["code"] == "last_admin_key", r
    assert admin.get("/v1/api-keys").status == 200
    assert second["id"] in [k["id"] for k in all_keys(admin)]
    # Staff keys may still be deleted.
    assert admin.delete("/v1/api-keys/" + staff["id"]).status == 204
    # Program B's keys are untouched throughout.
    assert fresh.b.get("/v1/api-keys").status == 200


def test_last_admin_key_survives_a_race(fresh):
    """The two admin keys of a program delete each other at the same moment: exactly one
    deletion wins, the other is refused (409 last_admin_key, or 401 when its key was already
    gone), and the program is never left without a working admin key."""
    secret_of = {[k["id"] for k in all_keys(fresh.a)][0]: fresh.key_a}
    for _ in range(4):
        (survivor_id, survivor_secret), = secret_of.items()
        other = create_key(Client(fresh.server.port, survivor_secret), "admin")
        secret_of[other["id"]] = other["api_key"]
        statuses = {}
        barrier = threading.Barrier(2)

        def worker(victim, deleter_secret):
            c = Client(fresh.server.port, deleter_secret)
            c.get("/healthz")
            barrier.wait()
            r = c.delete("/v1/api-keys/" + victim)
            statuses[victim] = (r.status, r.error["code"] if r.status >= 400 else None)

        threads = [threading.Thread(target=worker, args=(survivor_id, other["api_key"])),
                   threading.Thread(target=worker, args=(other["id"], survivor_secret))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        outcomes = sorted(statuses.values(), key=str)
        assert outcomes in ([(204, None), (409, "last_admin_key")],
                            [(204, None), (401, "unauthorized")]), statuses
        deleted = [k for k, v in statuses.items() if v[0] == 204][0]
        deleted_secret = secret_of.pop(deleted)
        (left_id, left_secret), = secret_of.items()
        c = Client(fresh.server.port, left_secret)
        admins = [k["id"] for k in all_keys(c) if k["role"] == "admin"]
        assert admins == [left_id]
        assert Client(fresh.server.port, deleted_secret).get("/v1/members").status == 401
        assert c.get("/v1/members").status == 200


def test_keys_are_isolated_between_programs_both_ways(fresh):
    ka = create_key(fresh.a, "admin")
    kb = create_key(fresh.b, "admin")
    ids_a = [k["id"] for k in all_keys(fresh.a)]
    ids_b = [k["id"] for k in all_keys(fresh.b)]
    assert not set(ids_a) & set(ids_b)
    assert ka["id"] in ids_a and kb["id"] in ids_b
    for client, foreign in ((fresh.a, kb), (fresh.b, ka)):
        r = client.delete("/v1/api-keys/" + foreign["id"])
        assert r.status == 404 and r.error["code"] == "not_found", r
    # Both survived and still work in their own program only.
    a2 = fresh.a.with_key(ka["api_key"])
    b2 = fresh.b.with_key(kb["api_key"])
    assert a2.get("/v1/api-keys").status == 200 and b2.get("/v1/api-keys").status == 200
    mb = b2.post("/v1/members", {"first_name": "OnlyB"}).json
    assert a2.get("/v1/members/" + mb["id"]).status == 404
    assert b2.get("/v1/members/" + mb["id"]).status == 200
    # A staff key of B cannot reach A either.
    sb = create_key(fresh.b, "staff")
    ma = fresh.a.post("/v1/members", {"first_name": "OnlyA"}).json
    assert fresh.b.with_key(sb["api_key"]).get("/v1/members/" + ma["id"]).status == 404
