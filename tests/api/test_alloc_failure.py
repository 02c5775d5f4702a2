# SPDX-License-Identifier: MIT
"""Out of memory, proved (issue 17, item 5): a debug build's server fails every Nth allocation,
heap and arena alike (PATRON_FAIL_ALLOC=N, armed once it listens), and a representative set of
requests runs against it for several N, so that failures land at many different points of each.

Each answer is the request's own success, or 503 with nothing written: the database is
compared before and after. A write may also fail after its commit (its answer could not be
sent), and then a retry with the same idempotency key must replay it and write nothing more.
At the end the server is alive, stops cleanly without a sanitizer's report (Server.stop), and
`patron audit` finds the ledger whole. Debug builds only: a release build ignores the variable.

Method: one server per N on one database, the requests in sequence, the database read from this
process between them (SQLite; the server's writes are committed when it answers)."""
import hashlib
import json
import os
import sqlite3
import subprocess

import pytest

from conftest import PATRON_BIN, STORE, Client, Server, new_database, run_cli, unique

# Periods of the injection: from "most allocations fail" to "one failure every few requests".
PERIODS = (2, 3, 5, 7, 11, 13, 17, 23, 31, 43, 61, 89, 127, 181, 251, 367, 509, 1021)
# Retries of a request that met an injected failure before it is left alone.
TRIES = 12

pytestmark = pytest.mark.skipif(STORE != "sqlite", reason="reads the SQLite file between requests")


def debug_build():
    cache = os.path.join(os.path.dirname(PATRON_BIN), "CMakeCache.txt")
    try:
        with open(cache) as f:
            return "PT_DEBUG:BOOL=ON" in f.read()
    except OSError:
        return False


def digest(db):
    """Every row of every table, hashed: what a write would change."""
    con = sqlite3.connect(db)
    try:
        h = hashlib.sha256()
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                   "ORDER BY name"):
            for row in con.execute('SELECT * FROM "%s" ORDER BY 1' % name):
                h.update(repr(row).encode())
        return h.hexdigest()
    finally:
        con.close()


class Run:
    """The requests of one server, with the bookkeeping of what failed where."""

    def __init__(self, db, port, key):
        self.db = db
        self.c = Client(port, key)
        self.failed = 0

    def send(self, method, path, body, ok, key=None):
        """Sends until the request's own answer (one of ok) or TRIES 503s; returns it or None."""
        headers = {"Idempotency-Key": key} if key else None
        before = digest(self.db)
        written_by_failure = None
        for _ in range(TRIES):
            try:
                r = self.c.request(method, path, body, headers=headers)
            except (ConnectionError, OSError):
                # The edge could not allocate what a connection needs: it hangs up.
                self.c.conn = None
                r = None
            after = digest(self.db)
            if r is not None and r.status in ok:
                if written_by_failure is not None:
                    # Committed before the failure: the retry replays it, writing nothing.
                    assert key is not None, (method, path, "written, then answered 503")
                    assert after == written_by_failure, (method, path, "a replay wrote")
                return r
            assert r is None or r.status == 503, (method, path, r)
            self.failed += 1
            if after != before:
                assert written_by_failure is None or after == written_by_failure, (method, path)
                written_by_failure = after
        assert written_by_failure is None or key is not None, (method, path)
        return None

    def requests(self):
        """Member create, purchase, return, redemption, adjustment, rule and stamp card create,
        cart, a purchase with rules and stamps, simulations, lists, purchases read back."""
        m = self.send("POST", "/v1/members", {"email": unique("m") + "@example.com"}, (201,),
                      key=unique("k"))
        if m is None:
            return
        member = m.json["id"]
        items = [{"sku": "BEANS", "category": "coffee", "quantity": 2, "unit_price": 2000},
                 {"sku": "MUG", "category": "merch", "quantity": 1, "unit_price": 1000}]
        p = self.send("POST", "/v1/transactions",
                      {"external_id": unique("p"), "member_id": member, "currency": "USD",
                       "amount": 5000, "items": items}, (201,))
        if p is not None:
            self.send("POST", "/v1/transactions/%s/returns" % p.json["id"],
                      {"external_id": unique("r"), "amount": 1000}, (201,))
        adjusted = self.send("POST", "/v1/members/%s/adjustments" % member,
                             {"points": 100, "reason": "goodwill"}, (201,), key=unique("k"))
        # Without the adjustment (it failed every try) there is nothing available to redeem:
        # the purchase's points are pending.
        self.send("POST", "/v1/members/%s/redemptions" % member, {"points": 10, "reason": "mug"},
                  (201,) if adjusted is not None else (422,), key=unique("k"))
        rule = self.send("POST", "/v1/rules",
                         {"name": unique("rule"), "trigger": "purchase", "status": "active",
                          "conditions": {"in": ["time.weekday", [6, 7]]},
                          "effects": [{"type": "award_points", "multiplier": 2}]}, (201,),
                         key=unique("k"))
        self.send("POST", "/v1/stamp-cards",
                  {"name": unique("card"), "stamps_required": 5, "reward": {"points": 50}},
                  (201,), key=unique("k"))
        # The rules and cards changed: the cart and the purchase load and compile the program's
        # rule set again (service/rule_sets.c), and the purchase adds stamps (carts.c).
        self.send("POST", "/v1/carts/evaluate",
                  {"member_id": member, "currency": "USD", "amount": 5000, "items": items},
                  (200,))
        self.send("POST", "/v1/transactions",
                  {"external_id": unique("p"), "member_id": member, "currency": "USD",
                   "amount": 4000, "items": items[:1]}, (201,))
        draft = {"name": unique("draft"), "trigger": "purchase",
                 "effects": [{"type": "award_points", "points": 5}]}
        self.send("POST", "/v1/rules/simulate",
                  {"rule": draft, "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"},
                  (200,))
        if rule is not None:
            self.send("POST", "/v1/rules/simulate",
                      {"rule_id": rule.json["id"], "changes": {"priority": 3},
                       "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}, (200,))
        self.send("GET", "/v1/members?limit=5", None, (200,))
        self.send("GET", "/v1/members/%s/ledger" % member, None, (200,))
        self.send("GET", "/v1/members/%s/balance" % member, None, (200,))
        # A purchase read back (its event's payload, added to) and the member's purchases.
        if p is not None:
            self.send("GET", "/v1/transactions/%s" % p.json["id"], None, (200,))
        self.send("GET", "/v1/members/%s/purchases" % member, None, (200,))


@pytest.mark.skipif(not debug_build(), reason="allocation failures are injected in debug builds")
def test_every_request_answers_503_and_writes_nothing_when_memory_fails(tmp_path, monkeypatch):
    db = new_database(str(tmp_path))
    init = json.loads(run_cli("init", "--db", db, "--name", "Program A", "--json").stdout)
    failed = 0
    undone = 0
    for period in PERIODS:
        monkeypatch.setenv("PATRON_FAIL_ALLOC", str(period))
        server = Server(db, ("--test-clock",))
        try:
            run = Run(db, server.port, init["api_key"])
            run.requests()
            failed += run.failed
            assert server.proc.poll() is None, server.log()[-5000:]
        finally:
            server.stop()  # Exit 0 and no sanitizer report.
        undone += server.log().count("a write met an allocation failure and is undone")
    monkeypatch.delenv("PATRON_FAIL_ALLOC")
    out = run_cli("audit", "--db", db, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert failed > 0  # The injection reached the requests.
    print("answers 503 or hung up:", failed, "writes undone by the arena's latch:", undone)


def test_without_the_variable_nothing_fails(tmp_path, monkeypatch):
    monkeypatch.delenv("PATRON_FAIL_ALLOC", raising=False)
    db = new_database(str(tmp_path))
    init = json.loads(run_cli("init", "--db", db, "--name", "Program A", "--json").stdout)
    server = Server(db, ("--test-clock",))
    try:
        run = Run(db, server.port, init["api_key"])
        run.requests()
        assert run.failed == 0
    finally:
        server.stop()
