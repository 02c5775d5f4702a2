# SPDX-License-Identifier: MIT
"""Fixtures for the black-box API tests: a real `patron serve` on 127.0.0.1, driven over HTTP.

Each server runs on a temporary SQLite file with two programs (A and B), or, with
PATRON_TEST_STORE=postgres, on a new database of a throw-away PostgreSQL cluster started for the
session (tests/support/pgcluster.py). Stopping a server
sends SIGTERM and fails the test when the process does not exit 0 or when its stderr holds a
sanitizer report (the suite runs against the ASan/UBSan build). After every module, `patron
audit` must pass on each database the module used.
"""
import http.client
import itertools
import json
import os
import signal
import subprocess
import tempfile
import atexit
import sys
import threading

import pytest

try:
    import resource

    # The hostile-client tests open 1,000 connections: raise the soft limit on open files (the
    # servers started below inherit it).
    _soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    _want = 8192 if _hard == resource.RLIM_INFINITY else min(8192, _hard)
    if _soft < _want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (_want, _hard))
except (ImportError, ValueError, OSError):
    pass

SOURCE_DIR = os.environ.get(
    "PATRON_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
)
PATRON_BIN = os.environ.get("PATRON_BIN", os.path.join(SOURCE_DIR, "build-asan", "patron"))
STORE = os.environ.get("PATRON_TEST_STORE", "sqlite")
# Every test client connects from 127.0.0.1, as every client of a server behind a reverse proxy
# does: the servers allow as many connections per address as the proxy setup in docs/security.md
# (a race of 100 clients would otherwise meet the default of 64). The edge's own tests set their
# limits (monkeypatch.setenv) and connect from several loopback addresses.
os.environ.setdefault("PATRON_MAX_CONNECTIONS_PER_ADDRESS", "4096")
# Every JSON answer whose route and status docs/openapi.yaml describes is checked against its
# schema (tests/support/openapi_check.py; the spec is read once per process). The answers are
# made by the same encoders on both engines: they are checked on SQLite's run of the suite, which
# keeps the PostgreSQL run (the longest test in make check) about a tenth shorter.
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "support"))
from openapi_check import check as _openapi_check  # noqa: E402
if STORE == "postgres":
    _openapi_check = lambda *args: None  # noqa: E731
_pg = []


def new_database(tmp):
    """Where a deployment's data lives: a file in tmp, or a new PostgreSQL database."""
    if STORE != "postgres":
        return os.path.join(tmp, "patron.db")
    if not _pg:
        from pgcluster import PgCluster

        cluster = PgCluster().__enter__()
        atexit.register(cluster.__exit__, None, None, None)
        _pg.append(cluster)
    return _pg[0].new_database()


def db_dump(db):
    """The whole database as SQL text: what a thief of the file or the server would read."""
    if STORE != "postgres":
        import sqlite3

        con = sqlite3.connect(db)
        try:
            return "\n".join(con.iterdump())
        finally:
            con.close()
    return subprocess.run([_pg[0].bin + "/pg_dump", "-d", db], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def db_key_row(db, key_id):
    """The stored (key_hash, prefix) of an API key, read from the database itself."""
    if STORE != "postgres":
        import sqlite3

        con = sqlite3.connect(db)
        try:
            return con.execute("SELECT key_hash, prefix FROM api_keys WHERE id = ?",
                               (key_id,)).fetchall()
        finally:
            con.close()
    out = subprocess.run([_pg[0].bin + "/psql", "-X", "-A", "-t", "-F", "|", "-d", db, "-c",
                          "SELECT encode(key_hash, 'hex'), prefix FROM api_keys WHERE id = '%s'"
                          % key_id.replace("'", "")],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return [(bytes.fromhex(h), p) for h, p in (line.split("|") for line in out.split())]


def db_query(db, sql):
    """Rows of a query (values as text) read from the database itself, on either engine."""
    if STORE != "postgres":
        import sqlite3

        con = sqlite3.connect(db)
        try:
            return [tuple(str(v) for v in row) for row in con.execute(sql).fetchall()]
        finally:
            con.close()
    out = subprocess.run([_pg[0].bin + "/psql", "-X", "-A", "-t", "-F", "|", "-d", db, "-c", sql],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return [tuple(line.split("|")) for line in out.split("\n") if line]


SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "assertion failed")


def run_cli(*args, check=True):
    """Runs the patron command; returns the CompletedProcess."""
    out = subprocess.run([PATRON_BIN, *args], capture_output=True, text=True, timeout=60)
    for marker in SANITIZER_MARKERS:
        assert marker not in out.stderr, out.stderr
    if check:
        assert out.returncode == 0, (args, out.stdout, out.stderr)
    return out


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def error(self):
        return self.json["error"]

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class Client:
    """A keep-alive HTTP client bound to one API key."""

    def __init__(self, port, key=None):
        self.port = port
        self.key = key
        self.conn = None

    def with_key(self, key):
        return Client(self.port, key)

    def request(self, method, path, body=None, headers=None, raw=None):
        hdrs = {}
        if self.key is not None:
            hdrs["Authorization"] = "Bearer " + self.key
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                payload = resp.read().decode()
                headers = {k.lower(): v for k, v in resp.getheaders()}
                _openapi_check(SOURCE_DIR, method, path, resp.status,
                               headers.get("content-type"), payload)
                return Response(resp.status, headers, payload)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class Server:
    """A patron serve process on a database, with its stderr collected line by line."""

    def __init__(self, db, extra_args=()):
        self.db = db
        self.proc = subprocess.Popen(
            # Load shedding is off unless a test turns it on: a slow fsync on a busy CI machine
            # must not turn an exact assertion into a flaky one (test_overload covers it).
            [PATRON_BIN, "serve", "--db", db, "--listen", "127.0.0.1:0", "--threads", "4",
             "--max-write-wait-ms", "0", *extra_args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines = []
        self.port = None
        ready = threading.Event()

        def drain():
            for line in self.proc.stderr:
                self.lines.append(line)
                if '"msg":"listening"' in line:
                    self.port = json.loads(line)["port"]
                    ready.set()
            ready.set()

        self.thread = threading.Thread(target=drain, daemon=True)
        self.thread.start()
        assert ready.wait(60), "server did not start"
        assert self.port, "".join(self.lines)

    def log(self):
        return "".join(self.lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        self.thread.join(10)
        log = self.log()
        for marker in SANITIZER_MARKERS:
            assert marker not in log, log[-5000:]
        assert code == 0, log[-5000:]


class Deployment:
    """A database with programs A and B and a running server."""

    def __init__(self, tmp, extra_args=()):
        self.dir = tmp
        self.db = new_database(tmp)
        init = json.loads(run_cli("init", "--db", self.db, "--name", "Program A", "--json").stdout)
        other = json.loads(
            run_cli("program", "create", "Program B", "--db", self.db, "--json").stdout
        )
        self.program_a, self.key_a = init["program_id"], init["api_key"]
        self.program_b, self.key_b = other["program_id"], other["api_key"]
        self.extra_args = extra_args
        self.server = Server(self.db, extra_args)

    @property
    def a(self):
        return Client(self.server.port, self.key_a)

    @property
    def b(self):
        return Client(self.server.port, self.key_b)

    def anon(self):
        return Client(self.server.port)

    def restart(self):
        self.server.stop()
        self.server = Server(self.db, self.extra_args)

    def audit(self):
        out = run_cli("audit", "--db", self.db, check=False)
        assert out.returncode == 0, out.stderr


@pytest.fixture(scope="module")
def dep():
    with tempfile.TemporaryDirectory() as tmp:
        d = Deployment(tmp, ("--test-clock",))
        try:
            yield d
        finally:
            d.server.stop()
            d.audit()


@pytest.fixture
def fresh():
    """A deployment of its own, for tests that restart or need an empty program."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Deployment(tmp, ("--test-clock",))
        try:
            yield d
        finally:
            d.server.stop()
            d.audit()


# next() of an itertools.count is one step under the GIL: threads loading data in parallel
# (test_rfm, test_clv) never draw the same number ("+= 1" on a list item could, and two
# purchases then shared an external_id: found as a flaky 409 idempotency_conflict).
_counter = itertools.count(1)


def unique(prefix="x"):
    return "%s%d_%d" % (prefix, os.getpid(), next(_counter))


def new_member(client, **fields):
    body = {"email": unique("m") + "@example.com"}
    body.update(fields)
    r = client.post("/v1/members", body)
    assert r.status == 201, r
    return r.json
