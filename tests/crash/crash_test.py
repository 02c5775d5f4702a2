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
Prints one line: crashes, operations acknowledged, lost (must be 0), duplicated (must be 0).

Usage: crash_test.py [--kills N] [--seed S]   (PATRON_BIN names the binary)
"""
import argparse
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
CLIENT_THREADS = 8
MEMBERS = 6


def cli(*args):
    return subprocess.run([PATRON_BIN, *args], capture_output=True, text=True, timeout=120)


class Server:
    def __init__(self, db):
        self.proc = subprocess.Popen([PATRON_BIN, "serve", "--db", db, "--listen", "127.0.0.1:0",
                                      "--threads", "16", "--max-write-wait-ms", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print("crash-test: seed %d, %d kills" % (args.seed, args.kills), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "patron.db")
        api_key = cli("init", "--db", db).stdout.strip().splitlines()[-1]
        server = Server(db)
        members = []
        for i in range(MEMBERS):
            status, _, body = request(server.port, api_key, "POST", "/v1/members",
                                      {"email": "crash%d@example.com" % i})
            members.append(json.loads(body)["id"])
        client = Client(api_key, members, rng)
        lost = duplicated = 0
        for kill in range(args.kills):
            stop = threading.Event()
            threads = [threading.Thread(target=client.drive, args=(server.port, stop))
                       for _ in range(CLIENT_THREADS)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 1.5))
            server.kill()
            stop.set()
            for t in threads:
                t.join(30)
            check_database(db)
            started = time.monotonic()
            server = Server(db)
            restart_s = time.monotonic() - started
            l, d = settle(client, server.port)
            lost += l
            duplicated += d
            print("  kill %d: %d operations so far, restart to listening %.2f s"
                  % (kill + 1, len(client.ops), restart_s), flush=True)
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
        print("crash-test: crashes %d, operations acknowledged %d, lost %d, duplicated %d"
              % (args.kills, acked, lost, duplicated))
        return 0 if lost == 0 and duplicated == 0 and acked > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
