# SPDX-License-Identifier: MIT
"""Rate limits (docs/security.md, "Rate limits"): token buckets per key, per program, and per
program for the expensive routes, set per program through PATCH /v1/program.

Goal: a key over its rate is answered 429 rate_limited with Retry-After and RateLimit-* headers
and its write is not applied; the program's other keys work until the program's bucket is empty;
another program is not affected; expensive routes draw from a bucket of their own, and a costly
cart evaluation costs more of it; settings are validated (400 naming the field), shown, stored,
and applied without a restart; tokens come back.
Method: a fresh deployment per test; limits of 1 token a second, so that at most a token or two
come back while a test runs, and assertions that allow for the ones that do.
"""
import time

import pytest

import conftest
from conftest import Client, new_member, unique

DEFAULTS = {"key": {"per_second": 2000, "burst": 4000},
            "program": {"per_second": 5000, "burst": 10000},
            "expensive": {"per_second": 1000, "burst": 2000}}


def set_limits(client, limits):
    r = client.patch("/v1/program", {"rate_limits": limits})
    assert r.status == 200, r
    return r.json["rate_limits"]


def staff_key(client):
    r = client.post("/v1/api-keys", {"name": unique("staff"), "role": "staff"})
    assert r.status == 201, r
    return r.json["api_key"]


def until_refused(send, most=40):
    """Calls send() until it answers 429; returns (answers before, the 429, seconds taken)."""
    started = time.monotonic()
    ok = []
    for _ in range(most):
        r = send()
        if r.status == 429:
            return ok, r, time.monotonic() - started
        ok.append(r)
    raise AssertionError("never refused: %r" % ok[-1])


def assert_refused(r, bucket):
    assert r.status == 429, r
    assert r.error["code"] == "rate_limited", r
    assert "rate_limits.%s" % bucket in r.error["message"], r
    assert int(r.headers["retry-after"]) >= 1
    assert r.headers["ratelimit-remaining"] == "0"
    assert int(r.headers["ratelimit-limit"]) >= 1
    assert int(r.headers["ratelimit-reset"]) >= 1


def test_a_key_over_its_rate_is_refused_and_its_write_not_applied(fresh):
    admin = fresh.a
    staff = admin.with_key(staff_key(admin))
    member = new_member(admin)["id"]
    shown = set_limits(admin, {"key": {"per_second": 1, "burst": 3},
                               "program": {"per_second": 1, "burst": 5}})
    assert shown["key"] == {"per_second": 1, "burst": 3}
    assert shown["expensive"] == DEFAULTS["expensive"]
    bought = []

    def buy():
        ext = unique("rl")
        r = staff.post("/v1/transactions", {"external_id": ext, "member_id": member,
                                            "currency": "USD", "amount": 100})
        if r.status == 201:
            bought.append(ext)
        return r

    ok, refused, seconds = until_refused(buy)
    # The burst, and at most what came back meanwhile (1 a second).
    assert 3 <= len(ok) <= 3 + int(seconds) + 1, (len(ok), seconds)
    assert all(r.status == 201 for r in ok)
    assert ok[0].headers["ratelimit-limit"] == "3"
    assert_refused(refused, "key")
    assert refused.headers["ratelimit-limit"] == "3"
    # Nothing of the refused purchase was stored: the points are those of the accepted ones,
    # and its receipt number is new when sent again later.
    balance = admin.get("/v1/members/%s/balance" % member)
    assert balance.status == 200, balance
    assert balance.json["available"] == len(bought)
    # The program's other key still works, until the program's bucket is empty (it holds fewer
    # tokens than the admin key's: 5 less the 3 purchases and the balance read).
    ok, refused, seconds = until_refused(lambda: admin.get("/v1/members/%s" % member))
    assert len(ok) >= 1 and all(r.status == 200 for r in ok)
    assert_refused(refused, "program")
    # Another program is not affected.
    for _ in range(20):
        r = fresh.b.get("/v1/program")
        assert r.status == 200, r
    assert r.headers["ratelimit-limit"] == "4000"
    # After Retry-After, the key works again: tokens come back.
    time.sleep(int(refused.headers["retry-after"]) + 0.2)
    r = buy()
    assert r.status == 201, r
    assert "idempotent-replayed" not in r.headers
    fresh.audit()


def test_expensive_routes_draw_from_their_own_bucket(fresh):
    admin = fresh.a
    for i in range(10):
        r = admin.post("/v1/rules", {"name": "r%d" % i, "trigger": "purchase", "status": "active",
                                     "conditions": {"gte": ["cart.amount", 10 ** 9 + i]},
                                     "effects": [{"type": "award_points", "points": 1}]})
        assert r.status == 201, r
    set_limits(admin, {"expensive": {"per_second": 1, "burst": 20}})
    small = {"items": [{"sku": "A", "quantity": 1, "unit_price": 100}]}
    big = {"items": [{"sku": "S%d" % i, "quantity": 1, "unit_price": 100} for i in range(200)]}
    first = admin.post("/v1/carts/evaluate", small)
    assert first.status == 200, first
    assert first.headers["ratelimit-limit"] == "20"
    left = int(first.headers["ratelimit-remaining"])
    second = admin.post("/v1/carts/evaluate", small)
    assert int(second.headers["ratelimit-remaining"]) in (left - 1, left)  # one back, at most
    # 200 lines x 10 rules: about 34,000 units (the lines sorted once, each rule a few units a
    # line), three tokens more than a small cart.
    third = admin.post("/v1/carts/evaluate", big)
    assert third.status == 200, third
    drop = int(second.headers["ratelimit-remaining"]) - int(third.headers["ratelimit-remaining"])
    assert drop >= 2, (second.headers, third.headers)
    ok, refused, _ = until_refused(lambda: admin.post("/v1/carts/evaluate", big))
    assert_refused(refused, "expensive")
    # The other routes, on their own buckets, still work; so do other programs' evaluations.
    r = admin.get("/v1/program")
    assert r.status == 200 and r.headers["ratelimit-limit"] == "4000", r
    r = fresh.b.post("/v1/carts/evaluate", small)
    assert r.status == 200 and r.headers["ratelimit-limit"] == "2000", r


def test_settings_are_validated_shown_stored_and_reset(fresh):
    admin = fresh.a
    before = admin.get("/v1/program").json
    assert before["rate_limits"] == DEFAULTS
    for limits, field in [
        ("fast", "rate_limits"),
        ({"key": 5}, "rate_limits.key"),
        ({"keys": {}}, "rate_limits.keys"),
        ({"key": {"rate": 5}}, "rate_limits.key.rate"),
        ({"key": {"per_second": 0}}, "rate_limits.key.per_second"),
        ({"key": {"per_second": 1000001}}, "rate_limits.key.per_second"),
        ({"program": {"burst": 10000001}}, "rate_limits.program.burst"),
        ({"expensive": {"burst": "10"}}, "rate_limits.expensive.burst"),
        ({"expensive": {"per_second": 1.5}}, "rate_limits.expensive.per_second"),
    ]:
        r = admin.patch("/v1/program", {"rate_limits": limits})
        assert r.status == 400, (limits, r)
        assert r.error["code"] == "validation_failed" and r.error["field"] == field, (limits, r)
    after = admin.get("/v1/program").json
    assert after["rate_limits"] == DEFAULTS and after["updated_at"] == before["updated_at"]
    # A merge patch: what is not named keeps its value; null is the default again.
    set_limits(admin, {"key": {"per_second": 1000000, "burst": 10000000}})
    shown = set_limits(admin, {"key": {"burst": 7}, "program": {"per_second": 9}})
    assert shown["key"] == {"per_second": 1000000, "burst": 7}
    assert shown["program"] == {"per_second": 9, "burst": 10000}
    # Stored: the same after a restart.
    fresh.restart()
    assert fresh.a.get("/v1/program").json["rate_limits"] == shown
    assert set_limits(fresh.a, {"key": {"per_second": None}, "program": None}) == dict(
        DEFAULTS, key={"per_second": 2000, "burst": 7})
    assert set_limits(fresh.a, None) == DEFAULTS
    # Staff keys cannot change them.
    staff = fresh.a.with_key(staff_key(fresh.a))
    assert staff.patch("/v1/program", {"rate_limits": None}).status == 403


def test_every_authenticated_answer_carries_the_headers(fresh):
    r = fresh.a.get("/v1/members?limit=1")
    assert r.status == 200
    assert r.headers["ratelimit-limit"] == "4000"
    assert 3990 <= int(r.headers["ratelimit-remaining"]) < 4000
    assert r.headers["ratelimit-reset"] in ("0", "1")
    assert "retry-after" not in r.headers
    # Errors too, once the key is known; not before (no key, no bucket).
    assert "ratelimit-limit" in fresh.a.get("/v1/members/mem_00000000000000000000000000").headers
    assert "ratelimit-limit" not in fresh.anon().get("/v1/program").headers
    assert "ratelimit-limit" not in fresh.anon().get("/healthz").headers


@pytest.mark.skipif(conftest.STORE != "postgres", reason="two nodes share a PostgreSQL database")
def test_each_node_keeps_its_own_buckets_and_reads_a_change_within_a_second(fresh):
    other = conftest.Server(fresh.db, ("--test-clock",))
    try:
        node2 = Client(other.port, fresh.key_a)
        assert node2.get("/v1/program").headers["ratelimit-limit"] == "4000"  # cached there
        set_limits(fresh.a, {"key": {"per_second": 1, "burst": 3}})  # through node 1
        # Node 2 reads the program's limits again within PT_RATE_POLICY_TTL_MS (1 s).
        deadline = time.monotonic() + 5
        while True:
            r = node2.get("/v1/program")
            if r.headers["ratelimit-limit"] == "3":
                break
            assert time.monotonic() < deadline, r.headers
            time.sleep(0.1)
        left = int(r.headers["ratelimit-remaining"])
        assert left >= 1, r.headers
        # Node 1 empties its bucket for the key; node 2's is its own and still has tokens.
        _, refused, _ = until_refused(lambda: fresh.a.get("/v1/program"))
        assert_refused(refused, "key")
        r = node2.get("/v1/program")
        assert r.status == 200, r
    finally:
        other.stop()
