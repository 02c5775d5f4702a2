# SPDX-License-Identifier: MIT
"""Backups, tried as docs/operations.md tells them.

SQLite: `patron backup --db FILE --to COPY` while the server takes purchases; the copy opens,
audits, and holds every purchase acknowledged before the backup began. PostgreSQL (the
api_postgres run): pg_dump of a live database, restored with pg_restore into a new one; the
restored database audits and serves the same balances. `patron backup` on PostgreSQL refuses
with a pointer to pg_dump."""
import os
import subprocess
import tempfile
import threading

import conftest
from conftest import Client, Server, new_member, run_cli


def buy(client, member, n):
    return client.post("/v1/transactions", {"external_id": "bk-%s-%d" % (member[-6:], n),
                                            "member_id": member, "currency": "USD",
                                            "amount": 1000})


def test_sqlite_backup_while_serving():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "live.db")
        key = run_cli("init", "--db", db).stdout.strip().splitlines()[-1]
        server = Server(db)
        try:
            c = Client(server.port, key)
            m = new_member(c)["id"]
            for n in range(20):
                assert buy(c, m, n).status == 201
            stop = threading.Event()

            def more():
                k = Client(server.port, key)
                n = 100
                while not stop.is_set():
                    assert buy(k, m, n).status == 201
                    n += 1

            writer = threading.Thread(target=more)
            writer.start()
            copy = os.path.join(tmp, "copy.db")
            out = run_cli("backup", "--db", db, "--to", copy, check=False)
            stop.set()
            writer.join(30)
            assert out.returncode == 0, out.stderr
            again = run_cli("backup", "--db", db, "--to", copy, check=False)
            assert again.returncode != 0 and "never overwrites" in again.stderr
        finally:
            server.stop()
        assert run_cli("audit", "--db", copy).returncode == 0
        restored = Server(copy)
        try:
            balance = Client(restored.port, key).get("/v1/members/%s/balance" % m).json
            assert balance["available"] >= 200  # the 20 purchases before the backup, 10 each
            assert balance["available"] % 10 == 0
        finally:
            restored.stop()


def test_postgres_pg_dump_and_restore_and_backup_refusal(fresh):
    if conftest.STORE != "postgres":
        # On SQLite, patron backup is tried above; pg_dump needs the PostgreSQL run.
        assert run_cli("backup", "--db", fresh.db, "--to", fresh.db + ".copy").returncode == 0
        return
    m = new_member(fresh.a)["id"]
    for n in range(5):
        assert buy(fresh.a, m, n).status == 201
    out = run_cli("backup", "--db", fresh.db, "--to", "/tmp/never.db", check=False)
    assert out.returncode != 0 and "pg_dump" in out.stderr
    cluster = conftest._pg[0]
    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "patron.dump")
        subprocess.run([cluster.bin + "/pg_dump", "-Fc", "-f", dump, "-d", fresh.db],
                       check=True, capture_output=True, timeout=120)
        target = cluster.new_database()
        subprocess.run([cluster.bin + "/pg_restore", "--no-owner", "-d", target, dump],
                       check=True, capture_output=True, timeout=120)
    assert run_cli("audit", "--db", target).returncode == 0
    restored = Server(target)
    try:
        got = Client(restored.port, fresh.key_a).get("/v1/members/%s/balance" % m).json
        assert got == fresh.a.get("/v1/members/%s/balance" % m).json
        assert got["available"] == 50
    finally:
        restored.stop()
