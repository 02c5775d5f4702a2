#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Crash test: kill `patron serve` with SIGKILL at random moments and prove that nothing
acknowledged is lost and nothing is applied twice.

A client drives purchases, returns, redemptions and transfers from several threads, each
request with an idempotency key (the receipt number for purchases and returns), and logs every
request and every acknowledgement. The server is killed at a random moment, restarted, and:
  - every acknowledged operation, sent again with its key, is answered with the acknowledged
    result and marked Idempotent-Replayed (so it is present, and only once);
  - every unacknowledged one, retried with its key, is applied (exactly once);
  - each operation's event is in the event log exactly once (events are written in the same
    transaction as the change);
  - `patron audit` passes and SQLite's integrity_check is ok.
Beyond plain kills, the server runs on tests/fault/faultvfs.c (LD_PRELOAD), a SQLite VFS
that injects faults where they hurt most:
  - power cuts: at a random fsync the unsynced writes of each file are lost from a random
    point on, then the process dies; nothing acknowledged may be missing afterwards;
  - kills in the middle of a WAL checkpoint (at a random write to the database file);
  - kills in the middle of the migrations of `patron init` (at a random write): running init
    again (or `program create` when the first run got as far as the program) must give a
    working, audited database;
  - a failing fsync: from then on every write answers 503 `unavailable` (reads still work)
    until the server restarts, and a restart recovers everything acknowledged.
Prints one line: crashes, operations acknowledged, lost (must be 0), duplicated (must be 0).

Usage: crash_test.py [--kills N] [--power-cuts N] [--checkpoint-kills N]
                     [--migration-kills N] [--fsync-failures N] [--seed S]
(PATRON_BIN names the binary, PATRON_FAULTVFS the VFS library.)
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

SOURCE_DIR = os.environ.get("PATRON_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
PATRON_BIN = os.environ.get("PATRON_BIN", os.path.join(SOURCE_DIR, "build-asan", "patron"))
FAULTVFS = os.environ.get("PATRON_FAULTVFS", os.path.join(os.path.dirname(PATRON_BIN), "tests",
                                                        "libpt_faultvfs.so"))
CLIENT_THREADS = 8
MEMBERS = 6


def fault_env(**faults):
    """The environment that loads the fault VFS with the given PT_FAULT_* settings."""
    env = dict(os.environ, LD_PRELOAD=FAULTVFS,
               ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
    for name, value in faults.items():
        env["PT_FAULT_" + name.upper()] = str(value)
    return env


def cli(*args, env=None):
    return subprocess.run([PATRON_BIN, *args], capture_output=True, text=True, timeout=120,
                          env=env)


class Server:
    def __init__(self, db, env=None):
        self.proc = subprocess.Popen([PATRON_BIN, "serve", "--db", db, "--listen", "127.0.0.1:0",
                                      "--threads", "16", "--max-write-wait-ms", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env=env)
        self.port = None
        self.log = []
        ready = threading.Event()

        def drain():
            for line in self.proc.stderr:
                self.log.append(line)
                if '"msg":"listening"' in line:
                    self.port = json.loads(line)["port"]
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(60) or not self.port:
            raise SystemExit("server did not start:\n" + "".join(self.log[-20:]))

    def fault_fired(self):
        return any(line.startswith("faultvfs: ") for line in self.log)

    def wait_exit(self, timeout):
        """Waits for the server to die by itself (a power cut); True if it did."""
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        if code != 0:
            raise SystemExit("server exited %d:\n%s" % (code, "".join(self.log[-20:])))


def request(port, key, method, path, body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    hdrs = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    hdrs.update(headers or {})
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=hdrs)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode()
    finally:
        conn.close()


class Op:
    """One write the client wants applied exactly once."""

    def __init__(self, kind, path, body, key=None):
        self.kind = kind
        self.path = path
        self.body = body
        self.key = key          # Idempotency-Key header, or None for natural keys
        self.ack = None         # the acknowledged body (text), once 2xx was received
        self.result = None      # the final body after the check (text)

    def send(self, port, api_key):
        headers = {"Idempotency-Key": self.key} if self.key else {}
        return request(port, api_key, "POST", self.path, self.body, headers)


class Client:
    def __init__(self, api_key, members, rng):
        self.api_key = api_key
        self.members = members
        self.rng = rng
        self.ops = []
        self.lock = threading.Lock()
        self.purchases = []     # acknowledged purchase ids, for returns
        self.counter = 0

    def next_op(self):
        with self.lock:
            self.counter += 1
            n = self.counter
            kind = self.rng.choices(["purchase", "return", "redeem", "transfer"], [5, 1, 2, 2])[0]
            m = self.rng.choice(self.members)
            if kind == "return" and self.purchases:
                pid = self.rng.choice(self.purchases)
                return Op("return", "/v1/transactions/%s/returns" % pid,
                          {"external_id": "ret-%d" % n, "amount": self.rng.randint(1, 300)})
            if kind == "redeem":
                return Op("redeem", "/v1/members/%s/redemptions" % m,
                          {"points": self.rng.randint(1, 5), "reason": "crash"}, "red-%d" % n)
            if kind == "transfer":
                to = self.rng.choice([x for x in self.members if x != m])
                return Op("transfer", "/v1/transfers",
                          {"from_member_id": m, "to_member_id": to,
                           "points": self.rng.randint(1, 5)}, "trf-%d" % n)
            return Op("purchase", "/v1/transactions",
                      {"external_id": "rcpt-%d" % n, "member_id": m, "currency": "USD",
                       "amount": self.rng.randint(100, 5000)})

    def drive(self, port, stop):
        while not stop.is_set():
            op = self.next_op()
            with self.lock:
                self.ops.append(op)
            try:
                status, _, body = op.send(port, self.api_key)
            except (OSError, http.client.HTTPException):
                return  # the server is gone: this op stays unacknowledged
            if 200 <= status < 300:
                op.ack = body
                if op.kind == "purchase":
                    with self.lock:
                        self.purchases.append(json.loads(body)["id"])


def settle(client, port):
    """Sends every operation again with its key. Returns (lost, duplicated)."""
    lost = duplicated = 0
    for op in client.ops:
        status, headers, body = op.send(port, client.api_key)
        if op.ack is not None:
            if status >= 300 or headers.get("Idempotent-Replayed") != "true" or body != op.ack:
                lost += 1
                print("LOST or changed: %s %s -> %d %s" % (op.kind, op.body, status, body[:200]))
        if 200 <= status < 300:
            op.result = body
        elif status != 422:  # a refusal (insufficient points, over-return) is a final answer
            raise SystemExit("retry of %s answered %d %s" % (op.kind, status, body))
    return lost, duplicated


def count_events(port, api_key):
    counts = {}
    after = None
    while True:
        path = "/v1/events?limit=200" + ("&after=" + after if after else "")
        status, _, body = request(port, api_key, "GET", path)
        page = json.loads(body)
        for e in page["data"]:
            oid = e["data"].get("id")
            if oid:
                counts[oid] = counts.get(oid, 0) + 1
        if not page["data"]:
            return counts
        after = page["next_after"]


def check_database(db):
    out = cli("audit", "--db", db)
    if out.returncode != 0:
        raise SystemExit("audit failed: " + out.stderr)
    con = sqlite3.connect(db)
    result = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    if result != "ok":
        raise SystemExit("integrity_check: " + result)


def drive_until(client, server, rng, event):
    """Drives the client from several threads until event(server) says stop; returns the
    stop event's answer."""
    stop = threading.Event()
    threads = [threading.Thread(target=client.drive, args=(server.port, stop))
               for _ in range(CLIENT_THREADS)]
    for t in threads:
        t.start()
    try:
        return event(server)
    finally:
        stop.set()
        for t in threads:
            t.join(30)


def one_crash(kind, client, server, db, rng):
    """Crashes the server one way; returns the restarted server."""
    if kind == "kill":
        def event(srv):
            time.sleep(rng.uniform(0.3, 1.5))
            srv.kill()
        drive_until(client, server, rng, event)
    else:
        server.stop()
        if kind == "power-cut":
            env = fault_env(cut_at_sync=rng.randint(5, 150), seed=rng.randint(1, 1 << 30))
        elif kind == "checkpoint-kill":
            env = fault_env(kill_at_db_write=rng.randint(1, 400))
        else:
            raise AssertionError(kind)
        server = Server(db, env)

        def event(srv):
            if not srv.wait_exit(60):
                srv.kill()
                raise SystemExit("%s: the fault did not fire within 60 s" % kind)
            if not srv.fault_fired():
                raise SystemExit("%s: the server died without the fault:\n%s"
                                 % (kind, "".join(srv.log[-20:])))
        drive_until(client, server, rng, event)
    check_database(db)
    started = time.monotonic()
    server = Server(db)
    restart_s = time.monotonic() - started
    print("  %s: %d operations so far, restart to listening %.2f s"
          % (kind, len(client.ops), restart_s), flush=True)
    return server


def fsync_failure(client, server, db, api_key, rng):
    """A failing fsync stops writes (503) but not reads; a restart recovers. Returns the
    restarted server."""
    server.stop()
    server = Server(db, fault_env(fail_sync_at=rng.randint(5, 100)))

    def event(srv):
        deadline = time.monotonic() + 60
        while not srv.fault_fired():
            if time.monotonic() > deadline:
                raise SystemExit("fsync failure: the fault did not fire within 60 s")
            time.sleep(0.01)
    drive_until(client, server, rng, event)
    member = client.members[0]
    for i in range(10):
        status, headers, body = request(server.port, api_key, "POST", "/v1/transactions",
                                        {"external_id": "after-fsync-%d-%d" % (rng.random(), i),
                                         "member_id": member, "currency": "USD",
                                         "amount": 100})
        if status != 503 or json.loads(body)["error"]["code"] != "unavailable" or \
                "Retry-After" not in headers:
            raise SystemExit("write after a failed fsync answered %d %s" % (status, body))
    status, _, body = request(server.port, api_key, "GET", "/v1/members/%s/balance" % member)
    if status != 200:
        raise SystemExit("read after a failed fsync answered %d %s" % (status, body))
    server.stop()
    check_database(db)
    server = Server(db)
    print("  fsync failure: writes refused with 503, reads answered, %d operations so far"
          % len(client.ops), flush=True)
    return server


V1_KEY = "ptk_" + "7" * 52


def make_v1_database(path, members=300):
    """A database at schema version 1 (tests/data/schema_v1.sql) with a program, its admin key
    and members, as the version-1 server wrote them."""
    with open(os.path.join(SOURCE_DIR, "tests", "data", "schema_v1.sql")) as f:
        schema = f.read()
    con = sqlite3.connect(path)
    con.executescript(schema)
    con.execute("INSERT INTO programs VALUES ('prg_06f0000000000000000000old1', 'Old', 'EUR', 1)")
    con.execute("INSERT INTO api_keys VALUES ('prg_06f0000000000000000000old1', "
                "'key_06f00000000000000000000ad1', 'old admin', 'admin', ?, ?, 1, NULL)",
                (hashlib.blake2b(V1_KEY.encode(), digest_size=32).digest(), V1_KEY[:12]))
    for i in range(members):
        con.execute("INSERT INTO members (program_id, id, email, card_number, referral_code, "
                    "status, enrolled_at_ms, updated_at_ms, version) VALUES "
                    "('prg_06f0000000000000000000old1', ?, ?, ?, ?, 'active', 1, 1, 1)",
                    ("mem_06f0000000000000000%05d" % i, "old%d@example.com" % i,
                     "90000000%08d" % i, "OLD%05d" % i))
    con.commit()
    con.close()


def writes_of(args, env_db):
    """How many writes a command makes (the fault VFS counts them)."""
    out = cli(*args, env=fault_env(report=1))
    if out.returncode != 0:
        raise SystemExit("calibration of %s failed: %s" % (args, out.stderr))
    return int(out.stderr.split("faultvfs: writes ")[1].split()[0])


def upgrade_kill(rng, tmp, i):
    """Kills the upgrade of a version-1 database at a random write; the next start must
    migrate it and serve its members with its old key."""
    calibrate = os.path.join(tmp, "upgrade-calibrate-%d.db" % i)
    make_v1_database(calibrate)
    writes = writes_of(["audit", "--db", calibrate], calibrate)
    db = os.path.join(tmp, "upgrade-%d.db" % i)
    make_v1_database(db)
    at = rng.randint(1, writes)
    first = cli("audit", "--db", db, env=fault_env(kill_at_write=at))
    if first.returncode != -signal.SIGKILL or "faultvfs: kill at write" not in first.stderr:
        raise SystemExit("the upgrade was not killed at write %d: %d %s"
                         % (at, first.returncode, first.stderr))
    check_database(db)
    server = Server(db)
    status, _, body = request(server.port, V1_KEY, "GET",
                              "/v1/members/mem_06f0000000000000000%05d" % (at % 300))
    server.stop()
    if status != 200:
        raise SystemExit("after an upgrade killed at write %d of %d: %d %s"
                         % (at, writes, status, body))
    con = sqlite3.connect(db)
    version = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    con.close()
    print("  upgrade from schema 1 killed at write %d of %d: migrated to %d on restart, "
          "audit and the old key ok" % (at, writes, version), flush=True)


def migration_kills(n, rng, tmp):
    """Kills migrations at random writes: half the time those of `patron init` on a new file
    (init again must then work), half the time the upgrade of a version-1 database."""
    writes = writes_of(["init", "--db", os.path.join(tmp, "calibrate.db")], None)
    for i in range(n):
        if i % 2 == 1:
            upgrade_kill(rng, tmp, i)
            continue
        db = os.path.join(tmp, "migrate-%d.db" % i)
        at = rng.randint(1, writes)
        first = cli("init", "--db", db, env=fault_env(kill_at_write=at))
        if first.returncode != -signal.SIGKILL or "faultvfs: kill at write" not in first.stderr:
            raise SystemExit("init was not killed at write %d: %d %s"
                             % (at, first.returncode, first.stderr))
        again = cli("init", "--db", db)
        if again.returncode != 0:
            # The first run got as far as committing its program: add one the usual way.
            again = cli("program", "create", "second", "--db", db)
        if again.returncode != 0:
            raise SystemExit("after a kill at write %d of %d, init and program create fail: %s"
                             % (at, writes, again.stderr))
        key = again.stdout.strip().splitlines()[-1]
        check_database(db)
        server = Server(db)
        status, _, body = request(server.port, key, "POST", "/v1/members",
                                  {"email": "migrated@example.com"})
        server.stop()
        if status != 201:
            raise SystemExit("after a kill at write %d of %d the server answers %d %s"
                             % (at, writes, status, body))
        print("  migration kill at write %d of %d: init again, audit and a member ok"
              % (at, writes), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--power-cuts", type=int, default=0)
    ap.add_argument("--checkpoint-kills", type=int, default=0)
    ap.add_argument("--migration-kills", type=int, default=0)
    ap.add_argument("--fsync-failures", type=int, default=0)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    crashes = (["kill"] * args.kills + ["power-cut"] * args.power_cuts
               + ["checkpoint-kill"] * args.checkpoint_kills)
    rng.shuffle(crashes)
    print("crash-test: seed %d, %d kills, %d power cuts, %d checkpoint kills, %d migration "
          "kills, %d fsync failures" % (args.seed, args.kills, args.power_cuts,
                                         args.checkpoint_kills, args.migration_kills,
                                         args.fsync_failures), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.migration_kills:
            migration_kills(args.migration_kills, rng, tmp)
        db = os.path.join(tmp, "patron.db")
        api_key = cli("init", "--db", db).stdout.strip().splitlines()[-1]
        server = Server(db)
        # The test measures durability, not the rate limiter: its program's limits are raised to
        # the maxima (docs/security.md, "Rate limits"); the setting is stored, restarts keep it.
        status, _, body = request(server.port, api_key, "PATCH", "/v1/program", {
            "rate_limits": {bucket: {"per_second": 1000000, "burst": 10000000}
                            for bucket in ("key", "program", "expensive")}})
        if status != 200:
            raise SystemExit("raising the rate limits answered %d %s" % (status, body))
        members = []
        for i in range(MEMBERS):
            status, _, body = request(server.port, api_key, "POST", "/v1/members",
                                      {"email": "crash%d@example.com" % i})
            members.append(json.loads(body)["id"])
        client = Client(api_key, members, rng)
        lost = duplicated = 0
        for kind in crashes + ["fsync-failure"] * args.fsync_failures:
            if kind == "fsync-failure":
                server = fsync_failure(client, server, db, api_key, rng)
            else:
                server = one_crash(kind, client, server, db, rng)
            l, d = settle(client, server.port)
            lost += l
            duplicated += d
        counts = count_events(server.port, api_key)
        for op in client.ops:
            if op.result is None:
                continue
            oid = json.loads(op.result)["id"]
            n = counts.get(oid, 0)
            if n == 0:
                lost += 1
                print("LOST: no event for %s %s" % (op.kind, oid))
            elif n > 1:
                duplicated += 1
                print("DUPLICATED: %d events for %s %s" % (n, op.kind, oid))
        server.stop()
        check_database(db)
        acked = sum(1 for op in client.ops if op.ack is not None)
        total = len(crashes) + args.migration_kills + args.fsync_failures
        print("crash-test: crashes %d, operations acknowledged %d, lost %d, duplicated %d"
              % (total, acked, lost, duplicated))
        return 0 if lost == 0 and duplicated == 0 and acked > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
