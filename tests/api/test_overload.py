# SPDX-License-Identifier: MIT
"""Overload: when writes queue up longer than --max-write-wait-ms, new writes are shed at once
with 503 `unavailable` and Retry-After; what is accepted is stored, and nothing shed is."""
import os
import tempfile
import threading
import time

from conftest import Client, Server, run_cli


def test_writes_beyond_the_queue_bound_are_shed_cleanly():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.db")
        key = run_cli("init", "--db", db).stdout.strip().splitlines()[-1]
        # A 1 ms bound on a sanitizer build under 48 concurrent writers: the writer falls behind.
        server = Server(db, ("--max-write-wait-ms", "1", "--threads", "48"))
        try:
            member = None
            for _ in range(100):
                # With a 1 ms bound even the first write may be shed on a busy machine: retry.
                r = Client(server.port, key).post("/v1/members", {"email": "ov@example.com"})
                if r.status != 503:
                    break
                time.sleep(0.05)
            assert r.status == 201, r
            member = r.json["id"]
            results = []
            lock = threading.Lock()

            def writer(t):
                c = Client(server.port, key)
                for i in range(25):
                    r = c.post("/v1/transactions", {"external_id": "ov-%d-%d" % (t, i),
                                                    "member_id": member, "currency": "USD",
                                                    "amount": 100})
                    with lock:
                        results.append((r.status, r.headers.get("retry-after"),
                                        r.json.get("error", {}).get("code")))

            threads = [threading.Thread(target=writer, args=(t,)) for t in range(48)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            accepted = [r for r in results if r[0] == 201]
            shed = [r for r in results if r[0] != 201]
            assert len(results) == 48 * 25
            assert shed, "nothing was shed"
            assert all(r == (503, "1", "unavailable") for r in shed), shed[:5]
            balance = Client(server.port, key).get("/v1/members/%s/balance" % member).json
            assert balance["available"] == len(accepted)
        finally:
            server.stop()
        assert run_cli("audit", "--db", db).returncode == 0
