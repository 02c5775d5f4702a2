# SPDX-License-Identifier: MIT
"""Fairness between programs (docs/security.md): one program's coupon batches neither delay
another program's small batch nor the scheduled jobs, a program may queue only so many codes,
and a cart evaluation costs at most a bounded amount of the evaluator's work."""
import json
import tempfile
import time

import pytest

from conftest import Deployment, db_query
from test_coupon_batches import batch_ids, create, wait_ready

# src/base/limits.h: PT_BATCH_CODES_PENDING_MAX.
PENDING_MAX = 1000000


def status_of(client, bid):
    r = client.get("/v1/coupon-batches/" + bid)
    assert r.status == 200, r
    return r.json


def test_a_small_batch_of_another_program_is_ready_before_a_large_one(fresh):
    # Program A queues a large batch first; B's ten codes must not wait for all of A's.
    large = create(fresh.a, name="Large", count=200000).json["id"]
    small = create(fresh.b, name="Small", count=10).json["id"]
    done = wait_ready(fresh.b, small, seconds=120)
    assert done["generated"] == 10
    b = status_of(fresh.a, large)
    assert b["status"] == "generating" and b["generated"] < 200000, b


def test_a_small_batch_of_the_same_program_is_not_behind_its_large_one(fresh):
    large = create(fresh.a, name="Large", count=200000).json["id"]
    small = create(fresh.a, name="Small", count=10).json["id"]
    wait_ready(fresh.a, small, seconds=120)
    assert status_of(fresh.a, large)["status"] == "generating"


def test_codes_beyond_the_programs_quota_are_refused_and_change_nothing(fresh):
    first = create(fresh.a, name="First", count=600000).json["id"]
    # 600,000 + 400,001 codes would be pending: one more than the quota.
    over = create(fresh.a, status=422, name="Over", count=PENDING_MAX - 600000 + 1)
    err = over.json["error"]
    assert (err["code"], err["field"]) == ("limit_exceeded", "count"), over
    assert "1000000" in err["message"].replace(",", ""), err
    assert batch_ids(fresh.a) == [first]
    # Exactly the quota is allowed; then not one code more.
    second = create(fresh.a, name="Fits", count=PENDING_MAX - 600000).json["id"]
    one = create(fresh.a, status=422, name="One more", count=1)
    assert one.json["error"]["code"] == "limit_exceeded", one
    assert batch_ids(fresh.a) == [second, first]
    # The quota is the program's own: B still has all of its own.
    create(fresh.b, name="B's", count=PENDING_MAX)
    # Both of A's are still being made (the refusals were not because they had finished).
    assert status_of(fresh.a, first)["status"] == "generating"


def test_a_batch_that_is_ready_frees_its_share_of_the_quota(fresh):
    wait_ready(fresh.a, create(fresh.a, count=PENDING_MAX // 100).json["id"], seconds=120)
    bid = create(fresh.a, name="Full quota", count=PENDING_MAX).json["id"]
    assert status_of(fresh.a, bid)["status"] == "generating"


@pytest.fixture
def scheduled():
    """A deployment on the real clock whose scheduled jobs run every second."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Deployment(tmp, ("--jobs-interval-s", "1"))
        try:
            yield d
        finally:
            d.server.stop()
            d.audit()


def scheduled_runs(dep):
    return sum(1 for line in list(dep.server.lines)
               if json.loads(line).get("msg") == "scheduled jobs ran")


def test_the_scheduled_jobs_run_while_a_batch_is_being_made(scheduled):
    bid = create(scheduled.a, count=PENDING_MAX).json["id"]
    deadline = time.monotonic() + 60
    while status_of(scheduled.a, bid)["generated"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    before = scheduled_runs(scheduled)
    while scheduled_runs(scheduled) < before + 2:
        assert time.monotonic() < deadline, scheduled.server.log()[-3000:]
        time.sleep(0.05)
    # Two runs of expiry, birthdays and tier reviews while the million codes were being made.
    b = status_of(scheduled.a, bid)
    assert b["status"] == "generating" and b["generated"] < PENDING_MAX, b
