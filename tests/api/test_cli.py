# SPDX-License-Identifier: MIT
"""The command line and the database's life: init and program create outputs and exit codes,
configuration precedence, restart keeping everything, migration of a version-1 database made
from the frozen schema, refusal of a newer database, graceful shutdown."""
import hashlib
import http.client
import json
import os
import sqlite3
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import PATRON_BIN, SOURCE_DIR, Client, Server, new_member, run_cli

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def test_init_prints_key_last_and_refuses_twice():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "sub", "p.db")
        out = run_cli("init", "--db", db, "--name", "Coffee Club")
        key = out.stdout.strip().splitlines()[-1]
        assert key.startswith("ptk_") and len(key) == 56
        again = run_cli("init", "--db", db, check=False)
        assert again.returncode == 1 and "program create" in again.stderr
        created = json.loads(run_cli("program", "create", "Tea", "--db", db, "--json").stdout)
        assert created["program_id"].startswith("prg_") and created["api_key"].startswith("ptk_")
        last = run_cli("program", "create", "Juice", "--db", db).stdout.strip().splitlines()[-1]
        assert last.startswith("ptk_") and last != key


def test_usage_errors_exit_64_and_missing_db_names_init():
    assert run_cli("serve", "--bogus", check=False).returncode == 64
    assert run_cli("frobnicate", check=False).returncode == 64
    assert run_cli("serve", "--threads", "0", check=False).returncode == 64
    out = run_cli("serve", "--db-pool", "65", check=False)
    assert out.returncode == 64 and "--db-pool" in out.stderr
    with tempfile.TemporaryDirectory() as tmp:
        out = run_cli("serve", "--db", os.path.join(tmp, "none.db"), check=False)
        assert out.returncode == 1 and "patron init" in out.stderr
        out = run_cli("program", "create", "X", "--db", os.path.join(tmp, "none.db"), check=False)
        assert out.returncode == 1


def test_db_accepts_a_sqlite_prefix_and_a_pool_size():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "prefixed.db")
        key = run_cli("init", "--db", "sqlite:" + path).stdout.strip().splitlines()[-1]
        assert os.path.exists(path) and not os.path.exists("sqlite:" + path)
        server = Server("sqlite:" + path, ("--db-pool", "2"))
        try:
            assert Client(server.port, key).get("/v1/members").status == 200
        finally:
            server.stop()
        assert run_cli("audit", "--db", path).returncode == 0


def test_config_precedence_flag_env_file():
    with tempfile.TemporaryDirectory() as tmp:
        db_file = os.path.join(tmp, "file.db")
        db_env = os.path.join(tmp, "env.db")
        db_flag = os.path.join(tmp, "flag.db")
        conf = os.path.join(tmp, "patron.conf")
        with open(conf, "w") as f:
            f.write("# comment\ndb = %s\nthreads = 2\n" % db_file)
        env = dict(os.environ, PATRON_CONFIG=conf)
        subprocess.run([PATRON_BIN, "init"], env=env, check=True, capture_output=True)
        assert os.path.exists(db_file)
        env["PATRON_DB"] = db_env
        subprocess.run([PATRON_BIN, "init"], env=env, check=True, capture_output=True)
        assert os.path.exists(db_env)
        subprocess.run([PATRON_BIN, "init", "--db", db_flag], env=env, check=True,
                       capture_output=True)
        assert os.path.exists(db_flag)
        with open(conf, "a") as f:
            f.write("colour = blue\n")
        bad = subprocess.run([PATRON_BIN, "init", "--db", db_flag], env=env, capture_output=True,
                             text=True)
        assert bad.returncode == 64 and "colour" in bad.stderr


def test_restart_keeps_all_data(fresh):
    m = new_member(fresh.a, first_name="Persist", attributes={"x": 1})
    key = fresh.a.post("/v1/api-keys", {"name": "till", "role": "staff"}).json
    fresh.restart()
    assert fresh.a.get("/v1/members/" + m["id"]).json == m
    assert fresh.a.with_key(key["api_key"]).get("/v1/members/" + m["id"]).status == 200
    assert key["id"] in fresh.a.get("/v1/api-keys").body


def make_v1_database(path):
    schema = open(os.path.join(SOURCE_DIR, "tests", "data", "schema_v1.sql")).read()
    key = "ptk_" + "".join(ALPHABET[(i * 7) % 32] for i in range(52))
    con = sqlite3.connect(path)
    con.executescript(schema)
    con.execute("INSERT INTO programs VALUES ('prg_old', 'Old Program', 'EUR', 1764000000000)")
    con.execute("INSERT INTO api_keys VALUES ('prg_old', 'key_old', 'old admin', 'admin', ?, ?, "
                "1764000000000, NULL)",
                (hashlib.blake2b(key.encode(), digest_size=32).digest(), key[:12]))
    con.execute("INSERT INTO members (program_id, id, email, first_name, card_number, "
                "referral_code, status, enrolled_at_ms, updated_at_ms, version) VALUES "
                "('prg_old', 'mem_06gzzzzzzzzzzzzzzzzzzzzzzz', 'old@example.com', 'Olde', "
                "'4539578763621486', 'OLDCODE1', 'active', 1764000000000, 1764000000000, 1)")
    con.commit()
    con.close()
    return key


def test_migration_from_schema_version_1():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "v1.db")
        key = make_v1_database(db)
        server = Server(db)
        try:
            assert '"msg":"database migrated","from":1' in server.log()
            c = Client(server.port, key)
            m = c.get("/v1/members/mem_06gzzzzzzzzzzzzzzzzzzzzzzz")
            assert m.status == 200, m
            assert m.json["email"] == "old@example.com" and m.json["card_number"] == "4539578763621486"
            # Features of later versions work on the migrated data.
            r1 = c.post("/v1/members", {"email": "new@example.com"}, headers={"Idempotency-Key": "k1"})
            r2 = c.post("/v1/members", {"email": "new@example.com"}, headers={"Idempotency-Key": "k1"})
            assert r1.status == r2.status == 201 and r2.headers["idempotent-replayed"] == "true"
            p = c.post("/v1/transactions", {"external_id": "r1", "member_id": m.json["id"],
                                            "currency": "EUR", "amount": 1000})
            assert p.status == 201 and p.json["points_earned"] == 10
        finally:
            server.stop()
        con = sqlite3.connect(db)
        versions = [v for (v,) in con.execute("SELECT version FROM schema_version ORDER BY 1")]
        con.close()
        assert versions[0] == 1 and versions == list(range(1, versions[-1] + 1))
        assert versions[-1] >= 3
        assert run_cli("audit", "--db", db).returncode == 0


def test_newer_database_is_refused_with_exit_2():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        run_cli("init", "--db", db)
        con = sqlite3.connect(db)
        con.execute("INSERT INTO schema_version VALUES (99, 0)")
        con.commit()
        con.close()
        out = run_cli("serve", "--db", db, "--listen", "127.0.0.1:0", check=False)
        assert out.returncode == 2 and "99" in out.stderr
        assert run_cli("program", "create", "X", "--db", db, check=False).returncode == 2


def test_not_a_database_is_refused():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "junk.db")
        with open(db, "wb") as f:
            f.write(b"this is not sqlite" * 100)
        out = run_cli("serve", "--db", db, "--listen", "127.0.0.1:0", check=False)
        assert out.returncode == 1 and "not a SQLite database" in out.stderr


def test_graceful_shutdown_finishes_in_flight_requests(fresh):
    """Requests sent just before SIGTERM are answered; the process exits 0."""
    port = fresh.server.port
    results = []

    def worker(i):
        c = Client(port, fresh.key_a)
        try:
            r = c.post("/v1/members", {"email": "gs%d@example.com" % i})
            results.append(r.status)
        except (ConnectionError, http.client.HTTPException, OSError):
            results.append("refused")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    fresh.server.stop()  # asserts exit 0 and no sanitizer report
    for t in threads:
        t.join(30)
    answered = [s for s in results if s != "refused"]
    # Requests that arrived after SIGTERM are refused with 503 (retry elsewhere); the others
    # complete.
    assert all(s in (201, 503) for s in answered), results
    answered = [s for s in answered if s == 201]
    # Every acknowledged member is in the database.
    fresh.server = Server(fresh.db, fresh.extra_args)
    emails = {m["email"] for m in fresh.a.get("/v1/members?limit=200").json["data"]}
    assert sum(1 for i in range(20) if "gs%d@example.com" % i in emails) >= len(answered)


def test_test_clock_is_404_without_the_flag():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        key = run_cli("init", "--db", db).stdout.strip().splitlines()[-1]
        server = Server(db)
        try:
            r = Client(server.port, key).put("/v1/test/clock", {"now": "2026-01-01T00:00:00Z"})
            assert r.status == 404
        finally:
            server.stop()


@pytest.mark.parametrize("tamper,expected", [
    ("UPDATE postings SET points = points + 1 WHERE rowid = (SELECT max(rowid) FROM postings)",
     "sums to"),
    ("UPDATE accounts SET balance = balance + 5 WHERE id = member_id", "postings sum to"),
    ("UPDATE accounts SET postings = postings + 1 WHERE id = member_id", "postings sum to"),
    ("DELETE FROM member_keys WHERE kind = 'purchase'", "is not in member_keys"),
    ("INSERT INTO member_keys SELECT program_id, 'email', 'gone@example.com', id FROM members",
     "who does not have it"),
    ("UPDATE lots SET points_remaining = points_remaining - 1", "open lots"),
])
def test_audit_names_the_first_violation(tamper, expected):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        key = run_cli("init", "--db", db).stdout.strip().splitlines()[-1]
        server = Server(db)
        try:
            c = Client(server.port, key)
            m = new_member(c)
            assert c.post("/v1/transactions", {"external_id": "r1", "member_id": m["id"],
                                               "currency": "USD", "amount": 5000}).status == 201
        finally:
            server.stop()
        assert run_cli("audit", "--db", db).returncode == 0
        con = sqlite3.connect(db)
        con.execute(tamper)
        con.commit()
        con.close()
        out = run_cli("audit", "--db", db, check=False)
        assert out.returncode == 1 and "FAILED" in out.stderr and expected in out.stderr, out.stderr
