# SPDX-License-Identifier: MIT
"""API keys: creation (shown once), listing without secrets, revocation that takes effect at
once, the last admin key, isolation between programs, idempotent creation."""
from conftest import unique


def test_create_list_delete(fresh):
    a = fresh.a
    r = a.post("/v1/api-keys", {"name": "web shop", "role": "admin"})
    assert r.status == 201, r
    k = r.json
    assert k["api_key"].startswith("ptk_") and len(k["api_key"]) == 56
    assert k["prefix"] == k["api_key"][:12] and k["role"] == "admin" and k["id"].startswith("key_")
    listing = a.get("/v1/api-keys")
    assert listing.status == 200
    assert k["api_key"] not in listing.body
    assert [x["id"] for x in listing.json["data"]][0] == k["id"]
    assert all(set(x) == {"id", "name", "role", "prefix", "created_at"} for x in listing.json["data"])
    new = a.with_key(k["api_key"])
    assert new.get("/v1/members").status == 200
    assert a.delete("/v1/api-keys/" + k["id"]).status == 204
    r = new.get("/v1/members")
    assert r.status == 401 and r.error["code"] == "unauthorized"
    assert a.delete("/v1/api-keys/" + k["id"]).status == 404
    assert k["id"] not in a.get("/v1/api-keys").body


def test_key_deleted_mid_session_stops_working_on_a_kept_alive_connection(fresh):
    r = fresh.a.post("/v1/api-keys", {"name": "till", "role": "staff"})
    staff = fresh.a.with_key(r.json["api_key"])
    assert staff.get("/v1/members").status == 200  # opens a keep-alive connection
    assert fresh.a.delete("/v1/api-keys/" + r.json["id"]).status == 204
    assert staff.get("/v1/members").status == 401


def test_last_admin_key_cannot_be_deleted(fresh):
    first = fresh.a.get("/v1/api-keys").json["data"]
    admin_ids = [k["id"] for k in first if k["role"] == "admin"]
    assert len(admin_ids) == 1
    r = fresh.a.delete("/v1/api-keys/" + admin_ids[0])
    assert r.status == 409 and r.error["code"] == "last_admin_key"
    assert fresh.a.get("/v1/members").status == 200


def test_isolation__keys_of_another_program_are_not_found(fresh):
    kb = fresh.b.post("/v1/api-keys", {"name": "b", "role": "staff"}).json
    assert fresh.a.delete("/v1/api-keys/" + kb["id"]).status == 404
    assert kb["id"] not in fresh.a.get("/v1/api-keys").body
    assert fresh.b.with_key(kb["api_key"]).get("/v1/members").status == 200


def test_validation(fresh):
    for body, field in (({"name": "x"}, "role"), ({"role": "staff"}, "name"),
                        ({"name": "x", "role": "root"}, "role"), ({"name": "", "role": "staff"}, "name"),
                        ({"name": "x", "role": "staff", "scope": 1}, "scope")):
        r = fresh.a.post("/v1/api-keys", body)
        assert r.status == 400 and r.error["field"] == field, (body, r)


def test_pagination_and_idempotent_create(fresh):
    key = unique("k")
    r1 = fresh.a.post("/v1/api-keys", {"name": "n", "role": "staff"}, headers={"Idempotency-Key": key})
    r2 = fresh.a.post("/v1/api-keys", {"name": "n", "role": "staff"}, headers={"Idempotency-Key": key})
    assert r1.status == r2.status == 201
    assert r2.headers.get("idempotent-replayed") == "true"
    assert r2.json["id"] == r1.json["id"] and r2.json["api_key"] is None
    for i in range(5):
        fresh.a.post("/v1/api-keys", {"name": "k%d" % i, "role": "staff"})
    seen, cursor = [], None
    while True:
        page = fresh.a.get("/v1/api-keys?limit=2" + ("&cursor=" + cursor if cursor else "")).json
        seen += [k["id"] for k in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7
