# SPDX-License-Identifier: MIT
"""PostgreSQL only (the api_postgres run, PATRON_TEST_STORE=postgres): the database goes away
under load and comes back. While it is down, writes and reads answer 503 `unavailable` within
seconds and nothing half-written remains; when it returns, service resumes without a restart
of Patron; every acknowledged purchase is there exactly once and the audit passes."""
import json
import os
import signal
import sys
import threading
import time

import pytest

import conftest
from conftest import Client, new_member

pytestmark = pytest.mark.skipif(conftest.STORE != "postgres",
                                reason="tests the PostgreSQL store; runs in the api_postgres run")


def test_outage_answers_503_then_service_resumes(fresh):
    member = new_member(fresh.a)["id"]
    acked = []
    in_doubt = []  # Answered outcome_unknown: the commit's reply was lost with the database.
    answers = []
    stop = threading.Event()

    def buyer(t):
        c = Client(fresh.server.port, fresh.key_a)
        n = 0
        while not stop.is_set():
            n += 1
            body = {"external_id": "out-%d-%d" % (t, n), "member_id": member, "currency": "USD",
                    "amount": 100}
            started = time.monotonic()
            r = c.post("/v1/transactions", body)
            answers.append((r.status, time.monotonic() - started,
                            r.json.get("error", {}).get("code") if r.status >= 400 else None,
                            started))
            if r.status == 201:
                acked.append(body)
            elif r.status == 503 and r.json["error"]["code"] == "outcome_unknown":
                in_doubt.append(body)

    threads = [threading.Thread(target=buyer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    cluster = conftest._pg[0]
    cluster.stop()
    try:
        stopped_at = time.monotonic()
        time.sleep(2.0)
        # Answers of requests sent once the database was down (a request in flight at the stop
        # may also be outcome_unknown, rightly: its commit was in doubt).
        during = [a for a in list(answers) if a[3] > stopped_at + 0.2]
        read = Client(fresh.server.port, fresh.key_a).get("/v1/members/%s/balance" % member)
    finally:
        cluster.start()
    # Service resumes by itself: within a few seconds purchases succeed again.
    deadline = time.monotonic() + 15
    resumed_at = len(answers)
    while time.monotonic() < deadline and 201 not in [a[0] for a in answers[resumed_at:]]:
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(30)
    assert during, "no answers while the database was down"
    odd = [a for a in during if a[0] != 503 or a[2] != "unavailable"]
    assert not odd, (odd[:5], len(during))
    assert max(a[1] for a in during) < 5, "an answer took too long while down"
    assert read.status == 503 and read.json["error"]["code"] == "unavailable", read
    assert 201 in [a[0] for a in answers[resumed_at:]], "service did not resume"
    # Every acknowledged purchase is stored once: its retry is a replay, not a new purchase.
    c = Client(fresh.server.port, fresh.key_a)
    for body in acked:
        r = c.post("/v1/transactions", body)
        assert r.status == 201 and r.headers.get("idempotent-replayed") == "true", r
    # A purchase whose commit was in doubt is retried with its key, as its answer says: it is
    # then stored exactly once, whether its first commit took effect (a replay) or not.
    for body in in_doubt:
        r = c.post("/v1/transactions", body)
        assert r.status == 201, r
    balance = c.get("/v1/members/%s/balance" % member).json
    assert balance["available"] == len(acked) + len(in_doubt), (balance, len(acked), in_doubt)


class ProxiedServer:
    """A second patron serve on the deployment's database whose connections pass through a
    proxy that can cut a COMMIT (tests/support/pgproxy.py)."""

    def __enter__(self):
        return self

    def __init__(self, fresh):
        sys.path.insert(0, os.path.join(conftest.SOURCE_DIR, "tests", "support"))
        from pgproxy import PgProxy

        cluster = conftest._pg[0]
        self.proxy = PgProxy(cluster.dir, cluster.port)
        dbname = fresh.db.split("dbname=")[1].split()[0]
        self.server = conftest.Server(self.proxy.dsn(dbname), ("--test-clock",))
        self.client = Client(self.server.port, fresh.key_a)

    def __exit__(self, *exc):
        try:
            self.proxy.refuse(False)
            self.server.stop()
        finally:
            self.proxy.close()

    def settled(self, outcome):
        """The server's 'settled' log lines of this outcome. The line is written before the
        answer, but the server's stderr is read by another thread: wait up to 5 s for it."""
        deadline = time.monotonic() + 5
        while True:
            found = [json.loads(line) for line in self.server.lines
                     if '"a commit in doubt settled"' in line and '"%s"' % outcome in line]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def purchase(member, external_id):
    return {"external_id": external_id, "member_id": member, "currency": "USD", "amount": 700}


def test_a_commit_whose_answer_was_lost_is_answered_as_the_server_decided(fresh):
    """The server commits the purchase but the connection goes before its answer arrives:
    Patron asks the server how that transaction ended and answers 201, not 503."""
    with ProxiedServer(fresh) as node:
        member = new_member(node.client)["id"]
        node.proxy.arm("drop_ack")
        r = node.client.post("/v1/transactions", purchase(member, "lost-ack"))
        assert node.proxy.fired.is_set(), "the proxy never saw the COMMIT"
        assert r.status == 201, r
        assert r.headers.get("idempotent-replayed") is None, r
        assert len(node.settled("committed")) == 1, node.server.log()[-3000:]
        balance = node.client.get("/v1/members/%s/balance" % member).json
        assert balance["available"] == 7, balance
        again = node.client.post("/v1/transactions", purchase(member, "lost-ack"))
        assert again.status == 201 and again.headers.get("idempotent-replayed") == "true", again
        assert node.client.get("/v1/members/%s/balance" % member).json["available"] == 7
        # Service goes on over the new connection.
        r = node.client.post("/v1/transactions", purchase(member, "after"))
        assert r.status == 201, r


def test_a_commit_lost_before_the_server_saw_it_answers_503_and_wrote_nothing(fresh):
    with ProxiedServer(fresh) as node:
        member = new_member(node.client)["id"]
        node.proxy.arm("drop_commit")
        r = node.client.post("/v1/transactions", purchase(member, "lost-commit"))
        assert node.proxy.fired.is_set(), "the proxy never saw the COMMIT"
        assert r.status == 503 and r.json["error"]["code"] == "unavailable", r
        assert len(node.settled("aborted")) == 1, node.server.log()[-3000:]
        balance = node.client.get("/v1/members/%s/balance" % member).json
        assert balance["available"] == 0 and balance["lifetime_earned"] == 0, balance
        # Nothing was written, so the retry is a new purchase, applied once.
        again = node.client.post("/v1/transactions", purchase(member, "lost-commit"))
        assert again.status == 201 and again.headers.get("idempotent-replayed") is None, again
        assert node.client.get("/v1/members/%s/balance" % member).json["available"] == 7


def test_a_commit_whose_outcome_cannot_be_learned_answers_outcome_unknown(fresh):
    """The answer is lost and the database stays unreachable: the purchase waits the bound
    (PT_COMMIT_DOUBT_WAIT_MS, 10 s) and answers 503 outcome_unknown; retried with the same
    external_id once the database is back, it replays the purchase the server had committed."""
    with ProxiedServer(fresh) as node:
        member = new_member(node.client)["id"]
        node.proxy.arm("drop_ack", then_refuse=True)
        started = time.monotonic()
        r = node.client.post("/v1/transactions", purchase(member, "unknown"))
        waited = time.monotonic() - started
        assert node.proxy.fired.is_set(), "the proxy never saw the COMMIT"
        assert r.status == 503 and r.json["error"]["code"] == "outcome_unknown", r
        assert "same key" in r.json["error"]["message"], r
        assert 9.5 <= waited < 30, waited
        assert len(node.settled("unknown")) == 1, node.server.log()[-3000:]
        node.proxy.refuse(False)
        again = node.client.post("/v1/transactions", purchase(member, "unknown"))
        assert again.status == 201 and again.headers.get("idempotent-replayed") == "true", again
        assert node.client.get("/v1/members/%s/balance" % member).json["available"] == 7


def test_two_nodes_share_one_database_without_losing_or_doubling(fresh):
    """Two `patron serve` processes on one database; concurrent purchases, returns,
    redemptions and transfers for the same members spread across both."""
    other = conftest.Server(fresh.db, ("--test-clock",))
    try:
        nodes = [fresh.server.port, other.port]
        members = [new_member(fresh.a)["id"] for _ in range(4)]
        for i, m in enumerate(members):  # 500 points each to start with
            r = Client(nodes[i % 2], fresh.key_a).post("/v1/transactions", {
                "external_id": "seed-%d" % i, "member_id": m, "currency": "USD",
                "amount": 50000})
            assert r.status == 201, r
        ops = []
        lock = threading.Lock()

        def worker(t):
            c = Client(nodes[t % 2], fresh.key_a)
            for n in range(30):
                m = members[(t + n) % len(members)]
                kind = ("purchase", "redeem", "transfer", "return")[n % 4]
                key = "w%d-%d" % (t, n)
                if kind == "purchase":
                    path, body, hdrs = "/v1/transactions", {
                        "external_id": key, "member_id": m, "currency": "USD",
                        "amount": 1000}, {}
                elif kind == "redeem":
                    path, body, hdrs = "/v1/members/%s/redemptions" % m, {
                        "points": 7, "reason": "two nodes"}, {"Idempotency-Key": key}
                elif kind == "transfer":
                    to = members[(t + n + 1) % len(members)]
                    path, body, hdrs = "/v1/transfers", {
                        "from_member_id": m, "to_member_id": to, "points": 3}, \
                        {"Idempotency-Key": key}
                else:
                    path, body, hdrs = "/v1/transactions/%s/returns" % seed_ids[m], {
                        "external_id": key, "amount": 100}, {}
                r = c.post(path, body, headers=hdrs)
                assert r.status in (200, 201, 422, 503), r
                with lock:
                    ops.append((path, body, hdrs, r))

        seed_ids = {}
        for i, m in enumerate(members):
            txns = Client(nodes[0], fresh.key_a).get("/v1/members/%s/ledger" % m).json
            seed_ids[m] = [e for e in txns["data"] if e["type"] == "earn"][0]["reference"]
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        acked = [o for o in ops if o[3].status in (200, 201)]
        assert len(acked) > len(ops) // 2, [o[3] for o in ops if o[3].status >= 300][:5]
        # Every acknowledged operation is there exactly once: sent again (to the other node),
        # it is a replay with the same answer.
        for i, (path, body, hdrs, r) in enumerate(acked):
            again = Client(nodes[(i + 1) % 2], fresh.key_a).post(path, body, headers=hdrs)
            assert again.status == r.status and again.body == r.body, (again, r)
            assert again.headers.get("idempotent-replayed") == "true", again
        # The concurrent-redemption race across the two nodes: 100 points, 40 attempts of 10.
        m = new_member(fresh.a)["id"]
        assert Client(nodes[0], fresh.key_a).post("/v1/transactions", {
            "external_id": "race-seed", "member_id": m, "currency": "USD",
            "amount": 10000}).status == 201
        statuses = []

        def redeem(i):
            statuses.append(Client(nodes[i % 2], fresh.key_a).post(
                "/v1/members/%s/redemptions" % m, {"points": 10, "reason": "race"}).status)

        threads = [threading.Thread(target=redeem, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert statuses.count(201) == 10 and statuses.count(422) == 30, statuses
        balance = Client(nodes[1], fresh.key_a).get("/v1/members/%s/balance" % m).json
        assert balance["available"] == 0, balance
    finally:
        other.stop()


def test_event_feed_never_skips_an_event_that_commits_late(fresh):
    """A transaction holding an event with a lower seq, still open, hides every later event
    from the feed until it commits; then the feed shows both, the held one first. Paging by
    seq alone would have shown the later one and skipped the held one for good."""
    import subprocess

    cluster = conftest._pg[0]
    member = new_member(fresh.a)["id"]
    feed = lambda: [e["id"] for e in fresh.a.get("/v1/events?limit=200").json["data"]]
    before = feed()
    held = subprocess.Popen([cluster.bin + "/psql", "-X", "-q", "-A", "-t", "-d", fresh.db],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        # A real event type, so that the feed's answer still meets docs/openapi.yaml.
        held.stdin.write(
            "BEGIN;\nINSERT INTO events (program_id, id, type, member_id, created_at_ms, "
            "payload, txid) VALUES ('%s', 'evt_06h00000000000000000000held', 'points.expired', "
            "NULL, 0, '{}', pg_current_xact_id()::text::bigint);\n"
            "SELECT 'inserted';\n" % fresh.program_a)
        held.stdin.flush()
        assert held.stdout.readline().strip() == "inserted"
        r = fresh.a.post("/v1/transactions", {"external_id": "late-1", "member_id": member,
                                              "currency": "USD", "amount": 1000})
        assert r.status == 201, r
        assert feed() == before, "an event behind an open transaction was shown"
        held.stdin.write("COMMIT;\n")
        held.stdin.close()
        assert held.wait(30) == 0, held.stderr.read()
    finally:
        if held.poll() is None:
            held.kill()
    after = feed()
    assert after[:len(before)] == before
    new = after[len(before):]
    assert new[0] == "evt_06h00000000000000000000held" and len(new) == 2, new


def test_nodes_share_a_batch_of_promotion_codes_and_one_takes_over_from_another(fresh):
    """A batch created on node A while node B runs too: a node that finds the batch's row held
    by the other's chunk leaves it to the other (SKIP LOCKED) instead of stalling its writer.
    A and B are stopped together a third of the way (between two chunks); node C, started then,
    alone, resumes the batch (with B left running, B could finish it before C starts). Every
    place n = 1..count gets exactly one code, none twice; the audit checks the counts at
    teardown."""
    count = 300000
    r = fresh.a.post("/v1/coupon-batches", {"name": "Two nodes", "count": count,
                                             "discount": {"type": "discount_amount",
                                                          "value": 100}})
    assert r.status == 202, r
    batch_id = r.json["id"]
    nodes = [fresh.server, conftest.Server(fresh.db, ("--test-clock",))]
    try:
        deadline = time.monotonic() + 300
        batch = r.json
        while batch["generated"] < count // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
            batch = Client(nodes[1].port, fresh.key_a).get("/v1/coupon-batches/" + batch_id).json
        assert batch["status"] == "generating", batch
        for node in nodes:
            node.proc.send_signal(signal.SIGTERM)
        for node in nodes:
            node.stop()
        # Read off the database itself: C may start making codes before its first answer.
        [(stopped_at,)] = conftest.db_query(
            fresh.db, "SELECT generated FROM coupon_batches WHERE id = '%s'" % batch_id)
        stopped_at = int(stopped_at)
        assert stopped_at < count, "A and B finished before they stopped: use a larger batch"
        nodes.append(conftest.Server(fresh.db, ("--test-clock",)))
        c = Client(nodes[2].port, fresh.key_a)
        while batch["status"] == "generating" and time.monotonic() < deadline:
            time.sleep(0.1)
            batch = c.get("/v1/coupon-batches/" + batch_id).json
        assert batch["status"] == "ready" and batch["generated"] == count, batch
        csv = c.get("/v1/coupon-batches/%s/codes.csv" % batch_id)
        assert csv.status == 200, csv
        rows = [line.split(",") for line in csv.body.splitlines()[1:]]
        assert [int(row[0]) for row in rows] == list(range(1, count + 1))
        assert len({row[1] for row in rows}) == count
        # Between them the nodes made each code once, and C made what was left when A and B
        # stopped. A node logs its count when its run ends, just
        # after the batch is ready.
        deadline = time.monotonic() + 10
        while True:
            made = [sum(json.loads(line).get("codes", 0) for line in list(server.lines)
                        if "promotion codes made" in line) for server in nodes]
            if sum(made) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert sum(made) == count, made
        assert made[2] == count - stopped_at > 0 and made[0] + made[1] == stopped_at, made
        print("codes made by each node:", made)
    finally:
        nodes[1].stop()
        if len(nodes) > 2:
            nodes[2].stop()
        fresh.restart()


def test_a_cancel_and_a_till_scan_racing_on_two_nodes_never_deadlock(fresh):
    """A member cancels a coupon on one node while a till scans it for that member on the
    other: both lock the member before the coupon, so one waits for the other (a deadlock
    would answer 503). Exactly one of the two wins; the points follow the winner."""
    from test_rewards import redeem, reward, rich_member, run_at_once, available

    other = conftest.Server(fresh.db, ("--test-clock",))
    try:
        rid = reward(fresh.a, cost_points=10)["id"]
        m = rich_member(fresh.a, 10 * 30)
        codes = [redeem(fresh.a, m, rid).json["code"] for _ in range(30)]
        b = Client(other.port, fresh.key_a)
        cancelled = 0
        for code in codes:
            got = run_at_once([
                lambda: fresh.a.post("/v1/coupons/%s/cancel" % code),
                lambda: b.post("/v1/coupons/%s/redeem" % code,
                               {"location": "Till 2", "member_id": m}),
            ])
            statuses = sorted(r.status for r in got)
            assert 503 not in statuses, got
            # The cancel wins (the scan then finds it cancelled: 422) or the scan does (the
            # cancel then finds it redeemed: 409).
            assert statuses in ([200, 409], [200, 422]), got
            cancelled += got[0].status == 200
        assert available(fresh.a, m) == 10 * cancelled
    finally:
        other.stop()
