# SPDX-License-Identifier: MIT
"""The process and its database: init and program create (outputs, exit codes, refusal to
init twice), serve's start-up line and refusals, restart keeping every member, key, revocation
and idempotency record, and graceful shutdown that answers a request in flight and is not held
up by idle connections."""
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

from conftest import PATRON_BIN, SANITIZER_MARKERS, Client, Server, new_member, run_cli

KEY_RE = re.compile(r"^ptk_[0-9abcdefghjkmnpqrstvwxyz]{52}$")
PRG_RE = re.compile(r"^prg_[0-9abcdefghjkmnpqrstvwxyz]{26}$")


def test_init_json_and_program_create_json():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        out = run_cli("init", "--db", db, "--name", "Coffee Club", "--currency", "EUR", "--json")
        doc = json.loads(out.stdout)
        assert set(doc) == {"program_id", "api_key"}
        assert PRG_RE.match(doc["program_id"]) and KEY_RE.match(doc["api_key"])
        out_b = run_cli("program", "create", "Tea Room", "--db", db, "--json")
        doc_b = json.loads(out_b.stdout)
        assert set(doc_b) == {"program_id", "api_key"}
        assert doc_b["program_id"] != doc["program_id"] and doc_b["api_key"] != doc["api_key"]
        server = Server(db)
        try:
            a = Client(server.port, doc["api_key"])
            b = Client(server.port, doc_b["api_key"])
            pa = a.get("/v1/program")
            assert pa.status == 200 and pa.json["id"] == doc["program_id"]
            assert pa.json["name"] == "Coffee Club" and pa.json["currency"] == "EUR"
            pb = b.get("/v1/program").json
            assert pb["id"] == doc_b["program_id"] and pb["name"] == "Tea Room"
            assert pb["currency"] == "USD"  # the default
            # Each printed key is the program's one admin key.
            keys = a.get("/v1/api-keys").json["data"]
            assert len(keys) == 1 and keys[0]["role"] == "admin"
            assert keys[0]["prefix"] == doc["api_key"][:12]
        finally:
            server.stop()


def test_init_plain_prints_the_key_alone_on_the_last_line():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "sub", "p.db")
        out = run_cli("init", "--db", db)
        lines = out.stdout.rstrip("\n").split("\n")
        assert KEY_RE.match(lines[-1]), out.stdout
        assert os.path.exists(db)
        out = run_cli("program", "create", "Second", "--db", db)
        last = out.stdout.rstrip("\n").split("\n")[-1]
        assert KEY_RE.match(last) and last != lines[-1]


def test_init_twice_fails_and_changes_nothing():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        run_cli("init", "--db", db, "--json")
        con = sqlite3.connect(db)
        before = con.execute("SELECT count(*) FROM programs").fetchone()[0]
        keys_before = con.execute("SELECT count(*) FROM api_keys").fetchone()[0]
        con.close()
        for extra in ((), ("--json",), ("--name", "Again")):
            again = run_cli("init", "--db", db, *extra, check=False)
            assert again.returncode == 1, again
            assert "ptk_" not in again.stdout
            assert again.stderr.strip(), "a refusal explains itself"
        con = sqlite3.connect(db)
        assert con.execute("SELECT count(*) FROM programs").fetchone()[0] == before == 1
        assert con.execute("SELECT count(*) FROM api_keys").fetchone()[0] == keys_before == 1
        con.close()


def test_bad_currency_or_name_is_refused_and_init_can_then_succeed():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        for args in (("--currency", "usd"), ("--currency", "EURO"), ("--name", "n" * 101),
                     ("--name", "bad\nname")):
            out = run_cli("init", "--db", db, *args, check=False)
            assert out.returncode != 0, (args, out)
            assert "ptk_" not in out.stdout
        # A refused init leaves nothing that blocks a good one.
        out = run_cli("init", "--db", db, "--json")
        assert KEY_RE.match(json.loads(out.stdout)["api_key"])


def test_usage_errors_exit_64():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        run_cli("init", "--db", db)
        for args in (("serve", "--db", db, "--frobnicate"), ("init", "--db", db, "--bogus"),
                     ("program", "create", "X", "--db", db, "--nope"),
                     ("program", "create", "--db", db), ("program", "delete", "X", "--db", db),
                     ("serve", "--db", db, "--threads"), ("serve", "--db", db, "--threads", "x"),
                     ("serve", "--db", db, "extra-positional"), ("nonsense",)):
            out = run_cli(*args, check=False)
            assert out.returncode == 64, (args, out.returncode, out.stderr)
            assert out.stderr.strip(), args


def test_program_create_needs_an_existing_database():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "missing.db")
        out = run_cli("program", "create", "X", "--db", db, "--json", check=False)
        assert out.returncode != 0 and out.stdout.strip() == ""
        assert not os.path.exists(db)


def test_serve_on_a_missing_database_names_patron_init():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "missing.db")
        out = run_cli("serve", "--db", db, "--listen", "127.0.0.1:0", check=False)
        assert out.returncode != 0
        assert "patron init" in out.stderr
        assert not os.path.exists(db), "serve must not create a database"


def test_serve_logs_json_lines_and_the_listening_port():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        key = run_cli("init", "--db", db).stdout.strip().split("\n")[-1]
        server = Server(db)
        try:
            listening = [json.loads(l) for l in server.lines if '"msg":"listening"' in l]
            assert len(listening) == 1 and listening[0]["port"] == server.port > 0
            assert Client(server.port, key).get("/healthz").status == 200
        finally:
            server.stop()
        for line in server.lines:
            assert isinstance(json.loads(line), dict), line


def test_restart_keeps_members_keys_revocations_and_idempotency(fresh):
    a, b = fresh.a, fresh.b
    members_a = [new_member(a, first_name="Keep%d" % i, attributes={"i": i, "n": {"x": [i]}},
                            consents={"sms": i % 2 == 0}) for i in range(5)]
    patched = a.patch("/v1/members/" + members_a[0]["id"],
                      {"status": "suspended", "city": "Lyon"}).json
    members_a[0] = patched
    member_b = new_member(b, first_name="KeepB")
    staff = a.post("/v1/api-keys", {"name": "till", "role": "staff"}).json
    admin2 = a.post("/v1/api-keys", {"name": "second", "role": "admin"}).json
    revoked = a.post("/v1/api-keys", {"name": "gone", "role": "staff"}).json
    assert a.delete("/v1/api-keys/" + revoked["id"]).status == 204
    idem = a.post("/v1/members", {"first_name": "Idem"}, headers={"Idempotency-Key": "restart-1"})
    assert idem.status == 201
    listing_a = a.get("/v1/members?limit=200").json
    keys_a = a.get("/v1/api-keys?limit=200").json
    listing_b = b.get("/v1/members?limit=200").json

    fresh.restart()
    a, b = fresh.a, fresh.b
    assert a.get("/v1/members?limit=200").json == listing_a
    assert b.get("/v1/members?limit=200").json == listing_b
    assert a.get("/v1/api-keys?limit=200").json == keys_a
    for m in members_a:
        assert a.get("/v1/members/" + m["id"]).json == m
    assert b.get("/v1/members/" + member_b["id"]).json == member_b
    assert a.get("/v1/members/" + member_b["id"]).status == 404
    assert a.with_key(staff["api_key"]).get("/v1/members?limit=1").status == 200
    assert a.with_key(staff["api_key"]).get("/v1/api-keys").status == 403
    assert a.with_key(admin2["api_key"]).get("/v1/api-keys").status == 200
    assert a.with_key(revoked["api_key"]).get("/v1/members").status == 401
    again = a.post("/v1/members", {"first_name": "Idem"}, headers={"Idempotency-Key": "restart-1"})
    assert again.status == 201 and again.body == idem.body
    assert again.headers.get("idempotent-replayed") == "true"
    clash = a.post("/v1/members", {"first_name": "Other"},
                   headers={"Idempotency-Key": "restart-1"})
    assert clash.status == 409 and clash.error["code"] == "idempotency_conflict"
    # Uniqueness still holds across the restart.
    email = new_member(a)["email"]
    fresh.restart()
    r = fresh.a.post("/v1/members", {"email": email})
    assert r.status == 409 and r.error["code"] == "member_exists"


def send_partial_post(port, key, body, sent_bytes):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % (key, len(body))).encode() + body[:sent_bytes])
    return s


def read_http(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def test_sigterm_answers_a_request_in_flight_and_keeps_it(fresh):
    body = json.dumps({"first_name": "InFlight", "email": "inflight@example.com"}).encode()
    s = send_partial_post(fresh.server.port, fresh.key_a, body, 10)
    try:
        # The request has begun (headers and part of its body are in); now stop the server.
        time.sleep(0.3)
        fresh.server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert fresh.server.proc.poll() is None, "the server quit with a request in flight"
        s.sendall(body[10:])
        resp = read_http(s)
    finally:
        s.close()
    assert resp.startswith(b"HTTP/1.1 201"), resp[:200]
    created = json.loads(resp.partition(b"\r\n\r\n")[2])
    fresh.server.stop()  # waits, asserts exit 0 and a clean sanitizer report
    fresh.server = Server(fresh.db, fresh.extra_args)
    got = fresh.a.get("/v1/members/" + created["id"])
    assert got.status == 200 and got.json == created


def test_sigterm_is_not_held_up_by_idle_keep_alive_connections(fresh):
    idle = []
    for _ in range(3):
        c = Client(fresh.server.port, fresh.key_a)
        assert c.get("/v1/members?limit=1").status == 200  # connection stays open
        idle.append(c)
    raw = socket.create_connection(("127.0.0.1", fresh.server.port))  # connected, silent
    try:
        started = time.time()
        fresh.server.proc.send_signal(signal.SIGTERM)
        code = fresh.server.proc.wait(20)
        assert code == 0
        assert time.time() - started < 8, "idle connections delayed the shutdown"
    finally:
        raw.close()
        for c in idle:
            if c.conn:
                c.conn.close()
    fresh.server.stop()  # already exited: checks the exit code and the sanitizer markers
    log = fresh.server.log()
    assert '"msg":"stopped"' in log
    fresh.server = Server(fresh.db, fresh.extra_args)


def test_sigint_also_stops_cleanly():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        run_cli("init", "--db", db)
        proc = subprocess.Popen([PATRON_BIN, "serve", "--db", db, "--listen", "127.0.0.1:0",
                                 "--threads", "2"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            seen = []
            while True:
                line = proc.stderr.readline()
                assert line, "".join(seen)
                seen.append(line)
                if '"msg":"listening"' in line:
                    break
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:  # a failed assertion above must not leave a server behind
                proc.kill()
                proc.wait(10)
        err = "".join(seen) + err
        assert proc.returncode == 0, err
        for marker in SANITIZER_MARKERS:
            assert marker not in err, err
