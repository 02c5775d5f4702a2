# SPDX-License-Identifier: MIT
"""Schema version 5 (member ids in every member-owned key, per-member program accounts,
transfers as two legs, member_keys) migrates a real version-4 ledger without changing anything
a client sees: tests/data/ledger_v4.json holds the rows a version-4 server wrote (purchases with
items, a full return leaving a debt, transfers repaying it, adjustments, a redemption cancelled
after its points expired, the expiry job) and what that server answered. The rows are loaded
into a new schema-4 database of the store under test (SQLite or PostgreSQL), the current binary
migrates it, and its answers must equal the recorded ones; the audit must pass; uniqueness and
new writes must keep working on the migrated data."""
import json
import os
import sqlite3
import subprocess
import tempfile

from conftest import (PATRON_BIN, SOURCE_DIR, STORE, Client, Server, _pg, new_database,
                      run_cli)
from test_migration import binary_schema_version

FIXTURE = os.path.join(SOURCE_DIR, "tests", "data", "ledger_v4.json")
# Children before parents, for deleting what `patron init` wrote.
TABLES = ["redemption_lots", "redemptions", "returns", "purchase_items", "purchases", "lots",
          "postings", "entries", "accounts", "events", "idempotency_keys", "members", "api_keys",
          "programs"]


def literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict):
        return "'\\x%s'::bytea" % v["hex"]
    return "'" + str(v).replace("'", "''") + "'"


def load_v4(db, fixture):
    """A new schema-4 database of the store under test holding exactly the fixture's rows."""
    env = dict(os.environ, PATRON_TEST_SCHEMA_VERSION="4")
    out = subprocess.run([PATRON_BIN, "init", "--db", db], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    order = [t for t in reversed(TABLES)]
    assert sorted(order) == sorted(fixture["tables"]), "fixture tables changed"
    if STORE != "postgres":
        con = sqlite3.connect(db)
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 4
        for t in TABLES:
            con.execute("DELETE FROM %s" % t)
        for t in order:
            spec = fixture["tables"][t]
            marks = ", ".join("?" for _ in spec["columns"])
            for row in spec["rows"]:
                con.execute("INSERT INTO %s (%s) VALUES (%s)" % (t, ", ".join(spec["columns"]),
                                                                 marks),
                            [bytes.fromhex(v["hex"]) if isinstance(v, dict) else v for v in row])
        con.commit()
        con.close()
        return
    sql = ["BEGIN;"] + ["DELETE FROM %s;" % t for t in TABLES]
    for t in order:
        spec = fixture["tables"][t]
        for row in spec["rows"]:
            sql.append("INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE VALUES (%s);" % (
                t, ", ".join(spec["columns"]), ", ".join(literal(v) for v in row)))
    for t in ("postings", "events"):
        sql.append("SELECT setval(pg_get_serial_sequence('%s', 'seq'), max(seq)) FROM %s;"
                   % (t, t))
    sql.append("COMMIT;")
    pg = _pg[0]
    version = subprocess.run([pg.bin + "/psql", "-X", "-A", "-t", "-d", db, "-c",
                              "SELECT max(version) FROM schema_version"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "4"
    subprocess.run([pg.bin + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", "-"],
                   input="\n".join(sql), capture_output=True, text=True, check=True, timeout=60)


def answers(c, fixture):
    got = {}
    for mid in fixture["members"]:
        got[mid] = {
            "member": c.get("/v1/members/%s" % mid).json,
            "balance": c.get("/v1/members/%s/balance" % mid).json,
            "ledger": c.get("/v1/members/%s/ledger?limit=100" % mid).json["data"],
        }
    return got


def test_a_version_4_ledger_migrates_unchanged():
    with open(FIXTURE) as f:
        fixture = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        db = new_database(tmp)
        load_v4(db, fixture)
        server = Server(db, ("--test-clock",))
        try:
            assert '"from":4,"to":%d' % binary_schema_version() in server.log()
            c = Client(server.port, fixture["api_key"])
            assert c.put("/v1/test/clock", {"now": fixture["now"]}).status == 200
            assert answers(c, fixture) == fixture["members"]
            assert c.get("/v1/events?limit=200").json["data"] == fixture["events"]
            # The ledger pages the same way on the new per-account numbering.
            ada = next(m for m in fixture["members"].values()
                       if m["member"]["email"] == "ada@example.com")
            mid = ada["member"]["id"]
            page = c.get("/v1/members/%s/ledger?limit=2" % mid).json
            rest = c.get("/v1/members/%s/ledger?limit=100&cursor=%s"
                         % (mid, page["next_cursor"])).json["data"]
            assert page["data"] + rest == ada["ledger"]
        finally:
            server.stop()
        out = run_cli("audit", "--db", db, check=False)
        assert out.returncode == 0, out.stderr
        server = Server(db, ("--test-clock",))
        try:
            c = Client(server.port, fixture["api_key"])
            assert c.put("/v1/test/clock", {"now": fixture["now"]}).status == 200
            bob = next(m for m in fixture["members"].values()
                       if m["member"]["email"] == "bob@example.com")["member"]["id"]
            cy = next(m for m in fixture["members"].values()
                      if m["member"]["first_name"] is None)["member"]
            # Values claimed before the migration stay taken, and the ones given up stay free.
            r = c.post("/v1/members", {"email": "ada@example.com"})
            assert r.status == 409 and r.json["error"]["field"] == "email", r
            r = c.post("/v1/members", {"phone": "+4915112345678"})
            assert r.status == 409 and r.json["error"]["field"] == "phone", r
            r = c.post("/v1/members", {"email": "cy@example.com"})  # Cy's old address
            assert r.status == 201, r
            r = c.post("/v1/transactions", {"external_id": "R-1", "member_id": bob,
                                            "currency": "USD", "amount": 100},
                       headers={"Idempotency-Key": "new-key-same-receipt"})
            assert r.status == 409, r
            # New writes continue each account's numbering and the member's history.
            r = c.post("/v1/transactions", {"external_id": "R-5", "member_id": bob,
                                            "currency": "USD", "amount": 10000})
            assert r.status == 201, r
            bal = c.get("/v1/members/%s/balance" % bob).json
            assert bal["owed"] == 0 and bal["pending"] == 60, bal  # 100 earned, 40 repaid
            r = c.post("/v1/members/%s/adjustments" % cy["id"], {"points": 7, "reason": "x"})
            assert r.status == 201, r
            r = c.post("/v1/transfers", {"from_member_id": cy["id"], "to_member_id": bob,
                                         "points": 7})
            assert r.status == 201, r
            lines = c.get("/v1/members/%s/ledger?limit=100" % bob).json["data"]
            assert [l["type"] for l in lines[:2]] == ["transfer_in", "earn"]
            assert lines[0]["balance_after"] == lines[1]["balance_after"] + 7
        finally:
            server.stop()
        out = run_cli("audit", "--db", db, check=False)
        assert out.returncode == 0, out.stderr
