# SPDX-License-Identifier: MIT
"""Fairness between programs (docs/security.md): one program's coupon batches neither delay
another program's small batch nor the scheduled jobs, a program may queue only so many codes,
and a cart evaluation costs at most a bounded amount of the evaluator's work."""
import tempfile
import time

import pytest

from conftest import STORE, Deployment, db_query
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
    return sum(1 for line in list(dep.server.lines) if '"msg":"scheduled jobs ran"' in line)


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


# ---- What a cart evaluation may cost (docs/rules.md) ----

CART_LINES_MAX = 200  # src/core/rules.h: PT_CART_ITEMS_MAX


def heavy_rule(name):
    """The most expensive item selector a rule may have: every line is selected after 62 `in`
    lists of 32 SKUs; 448,207 units of work on a 200-line cart (src/core/rules_cost.c), so
    that eight fit the bound and a ninth does not."""
    lists = [{"in": ["item.sku", ["%s%s" % (chr(97 + n % 26), chr(97 + v % 26))
                                  for v in range(32)]]} for n in range(62)]
    return {"name": name, "trigger": "purchase", "items": {"not": {"any": lists}},
            "effects": [{"type": "free_items", "buy": 1, "get": 1}]}


def lines(n):
    return [{"sku": "99", "quantity": 1, "unit_price": 100 + i} for i in range(n)]


def db_exec(db, sql):
    """A write to the database itself, committed (conftest's db_query reads)."""
    if STORE != "postgres":
        import sqlite3

        con = sqlite3.connect(db)
        try:
            con.execute(sql)
            con.commit()
        finally:
            con.close()
    else:
        db_query(db, sql)  # psql commits each statement


def active_rules(client):
    r = client.get("/v1/rules?limit=200&status=active")
    assert r.status == 200, r
    return [x["id"] for x in r.json["data"]]


@pytest.fixture
def heavy(fresh):
    """Program A with eight heavy rules active: the most its evaluations may cost."""
    assert fresh.a.put("/v1/test/clock", {"now": "2026-03-02T10:00:00Z"}).status == 200
    for i in range(8):
        r = fresh.a.post("/v1/rules", dict(heavy_rule("Heavy %d" % i), status="active"))
        assert r.status == 201, r
    return fresh


def test_a_rule_that_would_pass_the_cost_bound_is_not_made_active(heavy):
    before = active_rules(heavy.a)
    assert len(before) == 8
    over = heavy.a.post("/v1/rules", dict(heavy_rule("Ninth"), status="active"))
    assert over.status == 422 and over.error["code"] == "limit_exceeded", over
    assert "docs/rules.md" in over.error["message"], over
    assert active_rules(heavy.a) == before
    assert len(heavy.a.get("/v1/rules?limit=200").json["data"]) == 8  # nothing stored
    # As a draft it is stored; made active, or an active rule made heavy, it is refused.
    draft = heavy.a.post("/v1/rules", dict(heavy_rule("Ninth"), status="draft"))
    assert draft.status == 201, draft
    r = heavy.a.post("/v1/rules/%s/activate" % draft.json["id"], {})
    assert r.status == 422 and r.error["code"] == "limit_exceeded", r
    light = heavy.a.post("/v1/rules", {"name": "Light", "trigger": "purchase", "status": "active",
                                       "effects": [{"type": "award_points", "points": 1}]})
    assert light.status == 201, light
    heavier = heavy.a.patch("/v1/rules/" + light.json["id"],
                            {"items": heavy_rule("x")["items"]})
    assert heavier.status == 422 and heavier.error["code"] == "limit_exceeded", heavier
    got = heavy.a.get("/v1/rules/" + light.json["id"]).json
    assert (got["version"], "items" in got) == (1, False), got
    assert len(active_rules(heavy.a)) == 9
    # Another program is not limited by A's rules.
    assert heavy.b.post("/v1/rules", dict(heavy_rule("B's"), status="active")).status == 201


def test_a_cart_that_would_pass_the_cost_bound_is_refused(heavy):
    from conftest import new_member

    m = new_member(heavy.a)["id"]
    full = heavy.a.post("/v1/carts/evaluate", {"member_id": m, "items": lines(CART_LINES_MAX)})
    assert full.status == 200, full  # eight heavy rules on the largest cart: at the bound
    # A ninth active rule from before the bound (a database made by an older server).
    draft = heavy.a.post("/v1/rules", dict(heavy_rule("Old"), status="draft")).json["id"]
    db_exec(heavy.db, "UPDATE rules SET status = 'active' WHERE id = '%s'" % draft)
    db_exec(heavy.db, "UPDATE programs SET rules_version = rules_version + 1 WHERE id = '%s'"
            % heavy.program_a)
    over = heavy.a.post("/v1/carts/evaluate", {"member_id": m, "items": lines(CART_LINES_MAX)})
    assert over.status == 422, over
    assert (over.error["code"], over.error["field"]) == ("limit_exceeded", "items"), over
    # A purchase of that cart is refused and records nothing.
    balance = heavy.a.get("/v1/members/%s/balance" % m).json
    body = {"external_id": "big-basket", "member_id": m, "currency": "USD",
            "items": lines(CART_LINES_MAX),
            "amount": sum(100 + i for i in range(CART_LINES_MAX))}
    bought = heavy.a.post("/v1/transactions", body)
    assert bought.status == 422 and bought.error["code"] == "limit_exceeded", bought
    assert heavy.a.get("/v1/members/%s/balance" % m).json == balance
    # Half the lines cost half: the same rules answer.
    half = heavy.a.post("/v1/carts/evaluate", {"member_id": m, "items": lines(CART_LINES_MAX // 2)})
    assert half.status == 200, half


def test_a_simulation_that_would_pass_the_cost_bound_is_refused(heavy):
    from conftest import new_member

    m = new_member(heavy.a)["id"]
    body = {"external_id": "big-basket", "member_id": m, "currency": "USD",
            "items": lines(CART_LINES_MAX),
            "amount": sum(100 + i for i in range(CART_LINES_MAX))}
    assert heavy.a.post("/v1/transactions", body).status == 201
    period = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}
    same = heavy.a.post("/v1/rules/simulate", dict(period, rule_id=active_rules(heavy.a)[0]))
    assert same.status == 200, same
    r = heavy.a.post("/v1/rules/simulate", dict(period, rule=heavy_rule("What if")))
    assert r.status == 422 and r.error["code"] == "limit_exceeded", r


def test_the_texts_that_rules_search_are_bounded(fresh):
    """A `contains` walks the cart's texts: a megabyte-long category would make every rule's
    test scan it. Each text is at most 128 bytes; a longer one is refused and records nothing."""
    from conftest import new_member

    m = new_member(fresh.a)["id"]
    ok = [{"sku": "A", "category": "c" * 128, "quantity": 1, "unit_price": 100}]
    assert fresh.a.post("/v1/carts/evaluate", {"member_id": m, "items": ok,
                                               "channel": "w" * 128}).status == 200
    long_category = [dict(ok[0], sku="B"), dict(ok[0], category="c" * 129)]
    for body, field in (({"items": long_category}, "items.1.category"),
                        ({"items": ok, "channel": "w" * 129}, "channel"),
                        ({"items": ok, "location": "l" * 129}, "location")):
        r = fresh.a.post("/v1/carts/evaluate", dict(body, member_id=m))
        assert r.status == 400 and r.error["field"] == field, (field, r)
    balance = fresh.a.get("/v1/members/%s/balance" % m).json
    r = fresh.a.post("/v1/transactions", {"external_id": "long", "member_id": m,
                                          "currency": "USD", "items": long_category,
                                          "amount": 200})
    assert r.status == 400 and r.error["field"] == "items.1.category", r
    assert fresh.a.get("/v1/members/%s/balance" % m).json == balance


def test_the_jobs_interval_is_bounded():
    from conftest import run_cli

    for bad in ("0", "86401", "soon"):
        out = run_cli("serve", "--db", "/nonexistent/x.db", "--jobs-interval-s", bad, check=False)
        assert out.returncode != 0 and "jobs_interval_s must be 1 to 86400" in out.stderr, out


# ---- Evaluations are charged by their cost (docs/security.md, "Fairness between programs") ----

# Tokens of an evaluation at the heavy fixture's cost (3.6 million units at 10,000 a token:
# src/base/limits.h PT_RATE_EVAL_UNITS_PER_TOKEN); lines x rules / 1,000 once charged 1.
HEAVY_TOKENS_AT_LEAST = 300


def remaining(r):
    return int(r.headers["ratelimit-remaining"])


def purchase_body(member, n):
    return {"external_id": "heavy-%s" % time.monotonic_ns(), "member_id": member,
            "currency": "USD", "items": lines(n), "amount": sum(100 + i for i in range(n))}


def set_limits(client, limits):
    r = client.patch("/v1/program", {"rate_limits": limits})
    assert r.status == 200, r


def test_a_purchase_is_charged_by_its_evaluations_cost(heavy):
    from conftest import new_member

    m = new_member(heavy.a)["id"]
    # The key's bucket the tightest, and slow to refill: what a request took stays visible.
    set_limits(heavy.a, {"key": {"per_second": 1, "burst": 1000}})
    before = remaining(heavy.a.get("/v1/program"))
    small = heavy.a.post("/v1/transactions", purchase_body(m, 1))
    assert small.status == 201, small
    assert before - remaining(small) <= 3, (before, small.headers)  # a one-line cart: ~1 token
    r = heavy.a.post("/v1/transactions", purchase_body(m, CART_LINES_MAX))
    assert r.status == 201, r
    after = remaining(heavy.a.get("/v1/program"))
    assert remaining(small) - after >= HEAVY_TOKENS_AT_LEAST, (remaining(small), after)
    # Two more at the bound, and the key's bucket (1,000) is spent: the third waits.
    statuses = [heavy.a.post("/v1/transactions", purchase_body(m, CART_LINES_MAX)).status
                for _ in range(3)]
    assert statuses[-1] == 429, statuses


def test_a_purchase_that_fails_after_its_evaluation_is_charged(heavy):
    from conftest import new_member

    m = new_member(heavy.a)["id"]
    r = heavy.a.post("/v1/members/%s/adjustments" % m, {"points": 10 ** 15, "reason": "full"})
    assert r.status == 201, r
    set_limits(heavy.a, {"key": {"per_second": 1, "burst": 1000}})
    before = remaining(heavy.a.get("/v1/program"))
    r = heavy.a.post("/v1/transactions", purchase_body(m, CART_LINES_MAX))
    assert r.status == 422 and r.error["code"] == "limit_exceeded", r  # the balance's bound
    after = remaining(heavy.a.get("/v1/program"))
    assert before - after >= HEAVY_TOKENS_AT_LEAST, (before, after)


def test_a_simulation_is_charged_by_the_cost_of_what_it_replays(heavy):
    from conftest import new_member

    m = new_member(heavy.a)["id"]
    assert heavy.a.post("/v1/transactions", purchase_body(m, CART_LINES_MAX)).status == 201
    set_limits(heavy.a, {"expensive": {"per_second": 1, "burst": 1000}})
    period = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}
    r = heavy.a.post("/v1/rules/simulate", dict(period, rule_id=active_rules(heavy.a)[0]))
    assert r.status == 200 and r.json["purchases"] == 1, r
    assert r.headers["ratelimit-limit"] == "1000", r.headers
    # One replayed purchase at the bound: hundreds of tokens (once 1 per 1,000 purchases).
    assert 1000 - remaining(r) >= HEAVY_TOKENS_AT_LEAST, r.headers
    # Two more, and the bucket (1,000) is spent: the third waits.
    answers = [heavy.a.post("/v1/rules/simulate", dict(period, rule_id=active_rules(heavy.a)[0]))
               for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 429], answers
    assert "rate_limits.expensive" in answers[-1].error["message"], answers[-1]


def test_a_stamp_card_that_would_pass_the_cost_bound_is_refused(heavy):
    from conftest import new_member

    card = {"name": "Heavy card", "stamps_required": 5, "stamps_per": "item",
            "items": heavy_rule("x")["items"], "reward": {"points": 50}}
    r = heavy.a.post("/v1/stamp-cards", card)
    assert r.status == 422 and r.error["code"] == "limit_exceeded", r
    assert "docs/rules.md" in r.error["message"], r
    assert heavy.a.get("/v1/stamp-cards").json["data"] == []  # nothing stored
    # Paused it is stored; made active, or an active light card made heavy, it is refused.
    paused = heavy.a.post("/v1/stamp-cards", dict(card, status="paused"))
    assert paused.status == 201, paused
    r = heavy.a.patch("/v1/stamp-cards/" + paused.json["id"], {"status": "active"})
    assert r.status == 422 and r.error["code"] == "limit_exceeded", r
    light = heavy.a.post("/v1/stamp-cards", {"name": "Light", "stamps_required": 5,
                                             "reward": {"points": 50}})
    assert light.status == 201, light
    r = heavy.a.patch("/v1/stamp-cards/" + light.json["id"], {"items": card["items"]})
    assert r.status == 422 and r.error["code"] == "limit_exceeded", r
    # The largest cart is still evaluated: the cards did not push it past the bound.
    m = new_member(heavy.a)["id"]
    full = heavy.a.post("/v1/carts/evaluate", {"member_id": m, "items": lines(CART_LINES_MAX)})
    assert full.status == 200, full
    # Another program is not limited by A's rules.
    assert heavy.b.post("/v1/stamp-cards", card).status == 201


def test_an_activity_is_charged_by_its_rules_cost(fresh):
    from conftest import new_member

    # Activity rules that search the activity's properties (16 KiB each at most): about 520,000
    # units a rule (docs/rules.md), so seven cost about 360 tokens an activity.
    tests = [{"contains": ["activity.text%d" % n, "needle %d" % n]} for n in range(62)]
    for i in range(7):
        r = fresh.a.post("/v1/rules", {"name": "Search %d" % i, "trigger": "activity:review",
                                       "status": "active", "conditions": {"any": tests},
                                       "effects": [{"type": "award_points", "points": 1}]})
        assert r.status == 201, r
    m = new_member(fresh.a)["id"]
    set_limits(fresh.a, {"key": {"per_second": 1, "burst": 1000}})
    before = remaining(fresh.a.get("/v1/program"))
    r = fresh.a.post("/v1/activities", {"member_id": m, "type": "review",
                                        "external_id": "act-heavy", "properties": {}})
    assert r.status == 201, r
    after = remaining(fresh.a.get("/v1/program"))
    assert before - after >= HEAVY_TOKENS_AT_LEAST, (before, after)
