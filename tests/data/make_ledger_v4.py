# SPDX-License-Identifier: MIT
"""Makes tests/data/ledger_v4.json: a schema-version-4 database with a ledger in it, written by
a version-4 `patron serve` (git d3e407c) through its API, and what that server answered about
it. tests/api/test_migration_v5.py loads the rows into a new database of schema 4, lets the
current binary migrate it, and checks that the answers did not change.

Not run by the tests (they read the JSON it wrote). To remake it:
    git worktree add /tmp/v4 d3e407c && (cd /tmp/v4 && cmake --preset release && cmake --build build)
    PATRON_BIN=/tmp/v4/build/patron python3 tests/data/make_ledger_v4.py
"""
import json
import os
import sqlite3
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))

from conftest import Client, Server, run_cli  # noqa: E402

T0 = "2026-03-02T10:00:00Z"


def main():
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "v4.db")
        init = json.loads(run_cli("init", "--db", db, "--name", "Old Shop", "--json").stdout)
        server = Server(db, ("--test-clock",))
        try:
            c = Client(server.port, init["api_key"])

            def ok(r, status=(200, 201)):
                assert r.status in status, r
                return r.json

            def at(now):
                ok(c.put("/v1/test/clock", {"now": now}))

            at(T0)
            ok(c.patch("/v1/program", {"expiry": {"policy": "rolling", "months": 1},
                                       "excluded_categories": ["tobacco"]}))
            ada = ok(c.post("/v1/members", {"email": "ada@example.com", "phone": "+4915112345678",
                                            "first_name": "Ada", "external_id": "crm-ada"}))
            bob = ok(c.post("/v1/members", {"email": "bob@example.com", "first_name": "Bob"}))
            cy = ok(c.post("/v1/members", {"email": "cy@example.com"}))
            # Ada: a purchase with items (one excluded), a redemption of all of it.
            ok(c.post("/v1/transactions", {
                "external_id": "R-1", "member_id": ada["id"], "currency": "USD", "amount": 12000,
                "items": [{"sku": "beans", "category": "coffee", "quantity": 2, "unit_price": 5000},
                          {"sku": "cigs", "category": "tobacco", "quantity": 1,
                           "unit_price": 2000}]}))
            at("2026-03-03T10:00:00Z")
            red = ok(c.post("/v1/members/%s/redemptions" % ada["id"],
                            {"points": 100, "reason": "mug"}))
            # Bob: earns, spends, returns everything: he owes; a transfer from Cy repays part.
            bob_buy = ok(c.post("/v1/transactions", {"external_id": "R-2", "member_id": bob["id"],
                                                     "currency": "USD", "amount": 8000}))
            ok(c.post("/v1/members/%s/redemptions" % bob["id"], {"points": 70, "reason": "tote"}))
            ok(c.post("/v1/transactions/%s/returns" % bob_buy["id"],
                      {"external_id": "X-2", "amount": 8000}))
            ok(c.post("/v1/transactions", {"external_id": "R-3", "member_id": cy["id"],
                                           "currency": "USD", "amount": 9000}))
            ok(c.post("/v1/transfers", {"from_member_id": cy["id"], "to_member_id": bob["id"],
                                        "points": 30}))
            ok(c.post("/v1/transfers", {"from_member_id": cy["id"], "to_member_id": ada["id"],
                                        "points": 15}))
            ok(c.post("/v1/members/%s/adjustments" % cy["id"], {"points": 50, "reason": "goodwill"}))
            ok(c.post("/v1/members/%s/adjustments" % cy["id"], {"points": -10, "reason": "fix"}))
            ok(c.patch("/v1/members/%s" % cy["id"], {"email": "cy.new@example.com"}))
            # Past Ada's expiry: cancelling her redemption gives back only expired points (an
            # entry without a posting to her account); the expiry job takes the rest.
            at("2026-04-10T10:00:00Z")
            ok(c.post("/v1/redemptions/%s/cancel" % red["id"]))
            ok(c.post("/v1/jobs/expire"))
            ok(c.patch("/v1/program", {"pending_days": 14}))
            ok(c.post("/v1/transactions", {"external_id": "R-4", "member_id": ada["id"],
                                           "currency": "USD", "amount": 4000}))
            members = {}
            for m in (ada, bob, cy):
                members[m["id"]] = {
                    "member": ok(c.get("/v1/members/%s" % m["id"])),
                    "balance": ok(c.get("/v1/members/%s/balance" % m["id"])),
                    "ledger": ok(c.get("/v1/members/%s/ledger?limit=100" % m["id"]))["data"],
                }
            out["now"] = "2026-04-10T10:00:00Z"
            out["api_key"] = init["api_key"]
            out["members"] = members
            out["events"] = ok(c.get("/v1/events?limit=200"))["data"]
        finally:
            server.stop()
        con = sqlite3.connect(db)
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 4
        tables = {}
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                   "name NOT IN ('schema_version', 'sqlite_sequence') "
                                   "ORDER BY rowid"):
            cur = con.execute("SELECT * FROM %s" % name)
            cols = [d[0] for d in cur.description]
            rows = [[{"hex": v.hex()} if isinstance(v, bytes) else v for v in row] for row in cur]
            tables[name] = {"columns": cols, "rows": rows}
        con.close()
        out["tables"] = tables
    out["source"] = ("written by patron schema 4 (git d3e407c) through its API; "
                     "tests/data/make_ledger_v4.py")
    with open(os.path.join(HERE, "ledger_v4.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
