# SPDX-License-Identifier: MIT
"""`patron migrate-store --from STORE --to STORE` copies a whole database and audits the target:
a SQLite file with members, purchases, returns, redemptions, transfers and events goes to the
suite's store (a PostgreSQL database in the api_postgres run, another SQLite file otherwise)
and back to a new SQLite file; every member's balance, ledger and purchases read back, and the
event log, are the same on all three, and a copy into a store that already holds a program is
refused."""
import os
import tempfile

from conftest import Client, Server, new_database, new_member, run_cli


def snapshot(db, key):
    """What a client sees of the data: members, balances, ledgers, events."""
    server = Server(db)
    try:
        c = Client(server.port, key)
        members = c.get("/v1/members?limit=200").json["data"]
        seen = {"members": members, "balances": {}, "ledgers": {}, "purchases": {}}
        for m in members:
            seen["balances"][m["id"]] = c.get("/v1/members/%s/balance" % m["id"]).json
            seen["ledgers"][m["id"]] = c.get("/v1/members/%s/ledger" % m["id"]).json
            # Each purchase as read back: its answer (its event's payload, found by events.ref_id)
            # and its returns.
            listed = c.get("/v1/members/%s/purchases" % m["id"]).json["data"]
            seen["purchases"][m["id"]] = [c.get("/v1/transactions/" + p["id"]).json
                                          for p in listed]
        seen["events"] = c.get("/v1/events?limit=200").json
        return seen
    finally:
        server.stop()


def test_migrate_store_round_trips_a_database():
    with tempfile.TemporaryDirectory() as tmp:
        source = "sqlite:" + os.path.join(tmp, "source.db")
        key = run_cli("init", "--db", source).stdout.strip().splitlines()[-1]
        server = Server(source)
        try:
            c = Client(server.port, key)
            # A transfer of just-earned points: without the hold (test_smaller_rules.py).
            assert c.patch("/v1/program", {"hold_returnable": False}).status == 200
            a, b = new_member(c)["id"], new_member(c)["id"]
            p = c.post("/v1/transactions", {"external_id": "r-1", "member_id": a,
                                            "currency": "USD", "amount": 12345}).json
            assert c.post("/v1/transactions/%s/returns" % p["id"],
                          {"external_id": "ret-1", "amount": 2345}).status == 201
            assert c.post("/v1/members/%s/redemptions" % a, {"points": 17, "reason": "mug"},
                          headers={"Idempotency-Key": "red-1"}).status == 201
            assert c.post("/v1/transfers", {"from_member_id": a, "to_member_id": b,
                                            "points": 5},
                          headers={"Idempotency-Key": "trf-1"}).status == 201
        finally:
            server.stop()
        before = snapshot(source, key)
        middle = new_database(os.path.join(tmp, "m"))
        os.makedirs(os.path.join(tmp, "m"), exist_ok=True)
        out = run_cli("migrate-store", "--from", source, "--to", middle, check=False)
        assert out.returncode == 0, out.stderr
        assert "audit of the target ok" in out.stdout
        assert snapshot(middle, key) == before
        back = "sqlite:" + os.path.join(tmp, "back.db")
        out = run_cli("migrate-store", "--from", middle, "--to", back, check=False)
        assert out.returncode == 0, out.stderr
        assert snapshot(back, key) == before
        # The copy goes only into an empty store, and changes nothing of a full one.
        out = run_cli("migrate-store", "--from", source, "--to", back, check=False)
        assert out.returncode != 0 and "already holds" in out.stderr
        assert snapshot(back, key) == before
        # New writes on the copy get new, later keys (identity sequences moved past the copy).
        server = Server(middle)
        try:
            c = Client(server.port, key)
            r = c.post("/v1/transactions", {"external_id": "after-copy", "member_id": a,
                                            "currency": "USD", "amount": 100})
            assert r.status == 201, r
            events = c.get("/v1/events?limit=200").json["data"]
            assert len(events) == len(before["events"]["data"]) + 1
        finally:
            server.stop()
        assert run_cli("audit", "--db", middle).returncode == 0
