# SPDX-License-Identifier: MIT
"""Schema migration: a database made from the frozen version-1 schema (tests/data/schema_v1.sql)
with rows written the way the version-1 server wrote them is migrated by `patron serve` to the
binary's schema version; its key, members and uniqueness rules keep working and the newer
features (Idempotency-Key) work on it. A database newer than the binary is refused with exit 2
and left untouched."""
import calendar
import hashlib
import json
import os
import re
import sqlite3
import tempfile

import pytest

from conftest import SOURCE_DIR, Client, Server, run_cli

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
T_MS = 1764000000000  # 2025-11-24T16:00:00Z


def epoch_ms(rfc3339):
    """Milliseconds of an RFC 3339 UTC time with or without fractional seconds."""
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$", rfc3339)
    assert m, rfc3339
    secs = calendar.timegm(tuple(int(x) for x in m.groups()[:6]))
    frac = (m.group(7) or "0").ljust(3, "0")[:3]
    return secs * 1000 + int(frac)


def binary_schema_version():
    out = run_cli("version").stdout
    m = re.search(r"schema (\d+)", out)
    assert m, out
    return int(m.group(1))


def v1_key(seed):
    return "ptk_" + "".join(ALPHABET[(i * seed + 3) % 32] for i in range(52))


def key_hash(key):
    return hashlib.blake2b(key.encode(), digest_size=32).digest()


def make_v1_database(path):
    """Programs, keys and members as a version-1 server would have written them."""
    with open(os.path.join(SOURCE_DIR, "tests", "data", "schema_v1.sql")) as f:
        schema = f.read()
    admin, staff, revoked, other = v1_key(7), v1_key(11), v1_key(13), v1_key(17)
    con = sqlite3.connect(path)
    con.executescript(schema)
    con.execute("INSERT INTO programs VALUES ('prg_06f0000000000000000000old1', 'Old Program', "
                "'EUR', ?)", (T_MS,))
    con.execute("INSERT INTO programs VALUES ('prg_06f0000000000000000000old2', 'Other Old', "
                "'USD', ?)", (T_MS,))
    for pid, kid, name, role, key, revoked_at in (
            ("prg_06f0000000000000000000old1", "key_06f00000000000000000000ad1", "old admin",
             "admin", admin, None),
            ("prg_06f0000000000000000000old1", "key_06f00000000000000000000st1", "old till",
             "staff", staff, None),
            ("prg_06f0000000000000000000old1", "key_06f00000000000000000000rv1", "old revoked",
             "staff", revoked, T_MS + 1000),
            ("prg_06f0000000000000000000old2", "key_06f00000000000000000000ad2", "other admin",
             "admin", other, None)):
        con.execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (pid, kid, name, role, key_hash(key), key[:12], T_MS, revoked_at))
    con.execute(
        "INSERT INTO members (program_id, id, external_id, email, phone, first_name, last_name, "
        "birth_date, gender, locale, city, country, attributes, consent_email, consent_sms, "
        "consent_push, card_number, referral_code, status, enrolled_at_ms, updated_at_ms, "
        "version) VALUES ('prg_06f0000000000000000000old1', 'mem_06f000000000000000000000m1', "
        "'crm-old-1', 'old@example.com', '+4930123456', 'Olde', 'Member', '1970-05-06', "
        "'female', 'de-DE', 'Berlin', 'DE', '{\"tier\":\"gold\",\"n\":[1,2]}', 1, 0, 1, "
        "'4539578763621486', 'OLDCODE1', 'suspended', ?, ?, 3)", (T_MS, T_MS + 5000))
    con.execute(
        "INSERT INTO members (program_id, id, email, card_number, referral_code, status, "
        "enrolled_at_ms, updated_at_ms, version) VALUES ('prg_06f0000000000000000000old2', "
        "'mem_06f000000000000000000000m2', 'old@example.com', '4111111111111111', 'OLDCODE2', "
        "'active', ?, ?, 1)", (T_MS, T_MS))
    con.commit()
    con.close()
    return {"admin": admin, "staff": staff, "revoked": revoked, "other": other}


def schema_versions(path):
    con = sqlite3.connect(path)
    try:
        return [v for (v,) in con.execute("SELECT version FROM schema_version ORDER BY version")]
    finally:
        con.close()


@pytest.fixture(scope="module")
def migrated():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "v1.db")
        keys = make_v1_database(db)
        server = Server(db)
        try:
            yield server, db, keys
        finally:
            server.stop()
        assert run_cli("audit", "--db", db).returncode == 0


def test_serve_migrates_to_the_binary_version(migrated):
    server, db, _ = migrated
    target = binary_schema_version()
    assert target >= 2
    versions = schema_versions(db)
    assert versions == list(range(1, target + 1)), versions
    lines = [json.loads(l) for l in server.lines if '"database migrated"' in l]
    assert len(lines) == 1 and lines[0]["from"] == 1 and lines[0]["to"] == target, lines


def test_old_keys_keep_their_roles_and_revocations(migrated):
    server, _, keys = migrated
    admin = Client(server.port, keys["admin"])
    assert admin.get("/v1/members").status == 200
    listed = admin.get("/v1/api-keys").json["data"]
    assert {k["id"]: (k["name"], k["role"], k["prefix"]) for k in listed} == {
        "key_06f00000000000000000000ad1": ("old admin", "admin", keys["admin"][:12]),
        "key_06f00000000000000000000st1": ("old till", "staff", keys["staff"][:12])}
    assert all(epoch_ms(k["created_at"]) == T_MS for k in listed)
    staff = Client(server.port, keys["staff"])
    assert staff.get("/v1/members").status == 200
    assert staff.get("/v1/api-keys").status == 403
    assert Client(server.port, keys["revoked"]).get("/v1/members").status == 401
    # The last admin key rule holds on the old data.
    r = admin.delete("/v1/api-keys/key_06f00000000000000000000ad1")
    assert r.status == 409 and r.error["code"] == "last_admin_key", r


def test_old_member_reads_back_field_for_field(migrated):
    server, _, keys = migrated
    c = Client(server.port, keys["admin"])
    r = c.get("/v1/members/mem_06f000000000000000000000m1")
    assert r.status == 200, r
    got = dict(r.json)
    assert epoch_ms(got.pop("enrolled_at")) == T_MS
    assert epoch_ms(got.pop("updated_at")) == T_MS + 5000
    assert got == {
        "id": "mem_06f000000000000000000000m1", "external_id": "crm-old-1",
        "email": "old@example.com", "phone": "+4930123456", "first_name": "Olde",
        "last_name": "Member", "birth_date": "1970-05-06", "gender": "female",
        "locale": "de-DE", "city": "Berlin", "country": "DE",
        "attributes": {"tier": "gold", "n": [1, 2]},
        "consents": {"email": True, "sms": False, "push": True},
        "card_number": "4539578763621486", "status": "suspended", "referral_code": "OLDCODE1"}
    found = c.get("/v1/members?email=OLD@example.com").json["data"]
    assert [m["id"] for m in found] == ["mem_06f000000000000000000000m1"]
    assert [m["id"] for m in c.get("/v1/members?card_number=4539578763621486").json["data"]] \
        == ["mem_06f000000000000000000000m1"]
    # The other old program's member stays invisible.
    assert c.get("/v1/members/mem_06f000000000000000000000m2").status == 404
    other = Client(server.port, keys["other"])
    assert other.get("/v1/members/mem_06f000000000000000000000m2").status == 200
    assert other.get("/v1/members/mem_06f000000000000000000000m1").status == 404


def test_old_member_can_be_patched_and_uniqueness_holds(migrated):
    server, _, keys = migrated
    c = Client(server.port, keys["admin"])
    r = c.patch("/v1/members/mem_06f000000000000000000000m1",
                {"status": "active", "attributes": {"n": None, "since": 2019}})
    assert r.status == 200, r
    assert r.json["status"] == "active" and r.json["attributes"] == {"tier": "gold", "since": 2019}
    for field, value in (("email", "old@example.com"), ("phone", "+4930123456"),
                         ("external_id", "crm-old-1")):
        r = c.post("/v1/members", {field: value})
        assert r.status == 409 and r.error["code"] == "member_exists", (field, r)
        assert r.error["field"] == field


def test_new_features_work_on_the_migrated_database(migrated):
    server, _, keys = migrated
    c = Client(server.port, keys["admin"])
    body = {"email": "new@example.com", "first_name": "Newer"}
    r1 = c.post("/v1/members", body, headers={"Idempotency-Key": "after-migration"})
    r2 = c.post("/v1/members", body, headers={"Idempotency-Key": "after-migration"})
    assert r1.status == r2.status == 201, (r1, r2)
    assert r2.headers.get("idempotent-replayed") == "true" and r2.body == r1.body
    r3 = c.post("/v1/members", {"email": "other@example.com"},
                headers={"Idempotency-Key": "after-migration"})
    assert r3.status == 409 and r3.error["code"] == "idempotency_conflict"
    assert len(c.get("/v1/members?email=new@example.com").json["data"]) == 1
    k1 = c.post("/v1/api-keys", {"name": "new", "role": "staff"},
                headers={"Idempotency-Key": "key-after-migration"})
    k2 = c.post("/v1/api-keys", {"name": "new", "role": "staff"},
                headers={"Idempotency-Key": "key-after-migration"})
    assert k1.status == k2.status == 201 and k2.json["api_key"] is None
    assert Client(server.port, k1.json["api_key"]).get("/v1/members").status == 200
    # Newest first puts the new member before the old one.
    ids = [m["id"] for m in c.get("/v1/members").json["data"]]
    assert ids == [r1.json["id"], "mem_06f000000000000000000000m1"]


def test_a_second_start_does_not_migrate_again():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "v1.db")
        keys = make_v1_database(db)
        first = Server(db)
        first.stop()
        versions = schema_versions(db)
        second = Server(db)
        try:
            assert '"database migrated"' not in second.log()
            assert Client(second.port, keys["admin"]).get(
                "/v1/members/mem_06f000000000000000000000m1").status == 200
        finally:
            second.stop()
        assert schema_versions(db) == versions


@pytest.mark.parametrize("newer", [None, 99])
def test_a_newer_database_is_refused_with_exit_2(newer):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        run_cli("init", "--db", db)
        version = newer or binary_schema_version() + 1
        con = sqlite3.connect(db)
        con.execute("INSERT INTO schema_version VALUES (?, 0)", (version,))
        con.commit()
        dump_before = "\n".join(con.iterdump())
        con.close()
        out = run_cli("serve", "--db", db, "--listen", "127.0.0.1:0", check=False)
        assert out.returncode == 2, (out.returncode, out.stderr)
        assert str(version) in out.stderr and "newer" in out.stderr, out.stderr
        assert '"msg":"listening"' not in out.stderr
        con = sqlite3.connect(db)
        assert "\n".join(con.iterdump()) == dump_before
        con.close()
