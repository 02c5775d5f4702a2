# SPDX-License-Identifier: MIT
"""The bounded ledger (issue 16): no balance, lot, account or counter can leave its documented
bound, on either store.

Method: drive a member's balance to its bound through the API (two purchases at the largest earn
rate, adjustments of the per-call maximum, negative adjustments on a program that allows debt)
and check that the write that would pass the bound is refused with 422 `limit_exceeded` naming
the field, changing nothing (balance, ledger and event log read back equal); that a value that
reaches the database anyway (written there directly, as a corrupt or hand-edited database would
hold it) fails the write with a permanent error rather than a float or a 503 "retry"; that the
audit runs over sums wider than int64; and that the per-call adjustment limits of each role are
a program setting, checked at N and N+1.
"""
import pytest

from conftest import STORE, db_query, run_cli, unique, new_member

# limits.h: PT_MEMBER_POINTS_MAX, the largest balance of a member, and PT_POINTS_MAX.
MEMBER_POINTS_MAX = 10**15
POINTS_MAX = 10**15
STAFF_ADJUST_DEFAULT = 10000


def db_write(db, sql):
    """Changes the database behind the server's back (stopped), as a hand edit would."""
    if STORE != "postgres":
        import sqlite3

        con = sqlite3.connect(db)
        try:
            con.execute(sql)
            con.commit()
        finally:
            con.close()
    else:
        db_query(db, sql)


def snapshot(d, m):
    """What a refused write must leave as it was."""
    bal = d.a.get("/v1/members/%s/balance" % m)
    led = d.a.get("/v1/members/%s/ledger" % m)
    ev = d.a.get("/v1/events?limit=200")
    assert bal.status == 200 and led.status == 200 and ev.status == 200
    return bal.json, led.json["data"], [e["id"] for e in ev.json["data"]]


def assert_limit(r, field):
    assert r.status == 422, r
    assert r.error["code"] == "limit_exceeded", r
    assert r.error.get("field") == field, r


def test_the_issue__two_purchases_at_an_extreme_earn_rate(fresh):
    # As the issue found it: each purchase earns 9 * 10^18 points, the second passes INT64_MAX.
    # Before the fix, SQLite stored the balance as a float and the audit failed; PostgreSQL
    # answered 503 "retry" forever. Now each is 201 or 422 limit_exceeded, never anything else.
    d = fresh
    assert d.a.patch("/v1/program", {"earn_rate": {"points": 1000000, "per_amount": 1}}).status \
        == 200
    m = new_member(d.a)["id"]
    for _ in range(3):
        r = d.a.post("/v1/transactions", {"external_id": unique("r"), "member_id": m,
                                          "currency": "USD", "amount": 9 * 10**12})
        assert r.status == 201 or (r.status == 422 and r.error["code"] == "limit_exceeded"), r
    b = d.a.get("/v1/members/%s/balance" % m)
    assert b.status == 200 and isinstance(b.json["available"], int), b
    assert 0 <= b.json["available"] <= MEMBER_POINTS_MAX, b
    if STORE != "postgres":
        assert set(db_query(d.db, "SELECT DISTINCT typeof(balance) FROM accounts")) <= \
            {("integer",)}
    out = run_cli("audit", "--db", d.db, check=False)
    assert out.returncode == 0, out.stderr + out.stdout


def test_two_purchases_at_the_largest_earn_rate_stop_at_the_bound(fresh):
    # The issue: two purchases at an extreme earn rate passed INT64_MAX (SQLite: the balance
    # became a float; PostgreSQL: 503 retry forever).
    d = fresh
    assert d.a.patch("/v1/program", {"earn_rate": {"points": 1000000, "per_amount": 1}}).status \
        == 200
    m = new_member(d.a)["id"]
    # The largest purchase that stays inside the member's bound earns exactly the bound.
    r = d.a.post("/v1/transactions", {"external_id": unique("r"), "member_id": m,
                                      "currency": "USD", "amount": MEMBER_POINTS_MAX // 1000000})
    assert r.status == 201, r
    assert r.json["points_earned"] == MEMBER_POINTS_MAX
    before = snapshot(d, m)
    assert isinstance(before[0]["available"], int) and before[0]["available"] == MEMBER_POINTS_MAX
    for amount in (1, 9 * 10**12):
        r = d.a.post("/v1/transactions", {"external_id": unique("r"), "member_id": m,
                                          "currency": "USD", "amount": amount})
        assert_limit(r, "amount")
    assert snapshot(d, m) == before
    # A purchase that alone would earn more than a member may hold is refused likewise.
    m2 = new_member(d.a)["id"]
    r = d.a.post("/v1/transactions", {"external_id": unique("r"), "member_id": m2,
                                      "currency": "USD", "amount": 9 * 10**12})
    assert_limit(r, "amount")
    rows = db_query(d.db, "SELECT typeof(balance) FROM accounts WHERE id = '%s'" % m) \
        if STORE != "postgres" else [("integer",)]
    assert rows == [("integer",)]


def test_adjustments_stop_at_the_member_bound_and_change_nothing(fresh):
    d = fresh
    m = new_member(d.a)["id"]
    r = d.a.post("/v1/members/%s/adjustments" % m, {"points": POINTS_MAX, "reason": "max"})
    assert r.status == 201, r
    before = snapshot(d, m)
    r = d.a.post("/v1/members/%s/adjustments" % m, {"points": 1, "reason": "one more"})
    assert_limit(r, "points")
    r = d.a.post("/v1/members/%s/adjustments" % m, {"points": POINTS_MAX, "reason": "again"})
    assert_limit(r, "points")
    assert snapshot(d, m) == before
    # Taking points away is always possible.
    r = d.a.post("/v1/members/%s/adjustments" % m, {"points": -5, "reason": "down"})
    assert r.status == 201, r
    assert d.a.post("/v1/members/%s/adjustments" % m, {"points": 5, "reason": "up"}).status == 201


def test_a_debt_is_bounded_too(fresh):
    d = fresh
    assert d.a.patch("/v1/program", {"allow_negative_balance": True}).status == 200
    m = new_member(d.a)["id"]
    r = d.a.post("/v1/members/%s/adjustments" % m, {"points": -POINTS_MAX, "reason": "debt"})
    assert r.status == 201, r
    before = snapshot(d, m)
    r = d.a.post("/v1/members/%s/adjustments" % m, {"points": -1, "reason": "deeper"})
    assert_limit(r, "points")
    assert snapshot(d, m) == before
    # Earning repays the debt.
    r = d.a.post("/v1/members/%s/adjustments" % m, {"points": 10, "reason": "repay"})
    assert r.status == 201 and r.json["balance"]["owed"] == POINTS_MAX - 10, r


def test_a_value_past_the_bound_in_the_database_fails_the_write_permanently(fresh):
    # A balance near INT64_MAX that reached the database anyway (hand-edited, or written by an
    # older version): the next write must fail with a permanent error, not store a float (SQLite)
    # nor answer 503 "retry" forever (PostgreSQL: 22003 numeric_value_out_of_range).
    d = fresh
    m = new_member(d.a)["id"]
    assert d.a.post("/v1/members/%s/adjustments" % m, {"points": 10, "reason": "x"}).status == 201
    d.server.stop()
    big = 2**63 - 5
    db_write(d.db, "UPDATE accounts SET balance = %d WHERE id = '%s'" % (big, m))
    d.restart()
    for _ in range(2):
        r = d.a.post("/v1/members/%s/adjustments" % m, {"points": 10, "reason": "y"})
        assert r.status == 422 and r.error["code"] == "limit_exceeded", r
    # The same on an account that core does not read before writing (the program's, kept per
    # member): the store's guarded upsert, or on PostgreSQL the engine's own range check
    # (22003), fails the write; the member's own balance is back in range.
    d.server.stop()
    db_write(d.db, "UPDATE accounts SET balance = 10 WHERE id = '%s'" % m)
    db_write(d.db, "UPDATE accounts SET balance = %d WHERE member_id = '%s' AND id = "
             "'program:adjusted'" % (-big, m))
    d.restart()
    for _ in range(2):
        r = d.a.post("/v1/members/%s/adjustments" % m, {"points": 10, "reason": "z"})
        assert r.status == 422 and r.error["code"] == "limit_exceeded", r
    assert d.a.get("/v1/members/%s/balance" % m).json["available"] == 10
    if STORE != "postgres":
        assert set(db_query(d.db, "SELECT typeof(balance) FROM accounts")) == {("integer",)}
    # Put the database back as it was so that the fixture's audit passes.
    d.server.stop()
    db_write(d.db, "UPDATE accounts SET balance = -10 WHERE member_id = '%s' AND id = "
             "'program:adjusted'" % m)
    d.restart()


def test_the_audit_runs_over_sums_wider_than_int64(fresh):
    # Postings whose partial sums pass INT64_MAX (each in range, the entry balanced): the audit
    # must run and answer, never fail with "integer overflow".
    d = fresh
    m = new_member(d.a)["id"]
    d.server.stop()
    big = 5 * 10**18
    sql = ["INSERT INTO entries (program_id, member_id, id, type, created_at_ms) VALUES "
           "('%s', '%s', 'ent_big', 'adjust', 0)" % (d.program_a, m)]
    for i, (acct, pts) in enumerate((("program:x1", big), ("program:x2", big),
                                     ("program:x3", -big), ("program:x4", -big))):
        sql.append("INSERT INTO accounts (program_id, member_id, id, balance, owed, "
                   "lifetime_earned, lifetime_redeemed, lifetime_expired, postings) VALUES "
                   "('%s', '%s', '%s', %d, 0, 0, 0, 0, 1)" % (d.program_a, m, acct, pts))
        sql.append("INSERT INTO postings (program_id, member_id, account_id, n, entry_id, points, "
                   "balance_after) VALUES ('%s', '%s', '%s', 1, 'ent_big', %d, %d)"
                   % (d.program_a, m, acct, pts, pts))
    for s in sql:
        db_write(d.db, s)
    out = run_cli("audit", "--db", d.db, check=False)
    assert out.returncode == 0, out.stderr + out.stdout
    # Remove them again so that the fixture's audit sees the database the API wrote.
    db_write(d.db, "DELETE FROM postings WHERE entry_id = 'ent_big'")
    db_write(d.db, "DELETE FROM accounts WHERE id LIKE 'program:x_'")
    db_write(d.db, "DELETE FROM entries WHERE id = 'ent_big'")
    d.restart()


def test_adjust_limits_per_role_are_a_program_setting(fresh):
    d = fresh
    m = new_member(d.a)["id"]
    s = d.a.get("/v1/program").json
    assert s["adjust_limits"] == {"staff": STAFF_ADJUST_DEFAULT, "admin": POINTS_MAX}
    staff = d.a.with_key(d.a.post("/v1/api-keys", {"name": "till", "role": "staff"})
                         .json["api_key"])
    for pts in (STAFF_ADJUST_DEFAULT, -STAFF_ADJUST_DEFAULT):
        r = staff.post("/v1/members/%s/adjustments" % m, {"points": pts, "reason": "n"})
        assert r.status == 201, r
    before = snapshot(d, m)
    for pts in (STAFF_ADJUST_DEFAULT + 1, -(STAFF_ADJUST_DEFAULT + 1)):
        r = staff.post("/v1/members/%s/adjustments" % m, {"points": pts, "reason": "n+1"})
        assert_limit(r, "points")
    assert snapshot(d, m) == before
    # The admin's limit is the per-call maximum unless the program lowers it.
    assert d.a.post("/v1/members/%s/adjustments" % m,
                    {"points": STAFF_ADJUST_DEFAULT + 1, "reason": "admin"}).status == 201
    r = d.a.patch("/v1/program", {"adjust_limits": {"staff": 0, "admin": 500}})
    assert r.status == 200 and r.json["adjust_limits"] == {"staff": 0, "admin": 500}, r
    assert d.a.post("/v1/members/%s/adjustments" % m, {"points": 500, "reason": "n"}).status == 201
    assert_limit(d.a.post("/v1/members/%s/adjustments" % m, {"points": 501, "reason": "n+1"}),
                 "points")
    assert_limit(staff.post("/v1/members/%s/adjustments" % m, {"points": 1, "reason": "none"}),
                 "points")
    for bad, field in (({"staff": -1}, "adjust_limits.staff"),
                       ({"admin": POINTS_MAX + 1}, "adjust_limits.admin"),
                       ({"staff": "10"}, "adjust_limits.staff"), ("x", "adjust_limits")):
        r = d.a.patch("/v1/program", {"adjust_limits": bad})
        assert r.status == 400 and r.error["field"] == field, (bad, r)
    # Staff may not change the setting.
    assert staff.patch("/v1/program", {"adjust_limits": {"staff": 10**9}}).status == 403


@pytest.mark.parametrize("body,field", [
    ({"earn_rate": {"points": 1000001, "per_amount": 1}}, "earn_rate.points"),
])
def test_settings_that_could_overflow_are_refused(fresh, body, field):
    r = fresh.a.patch("/v1/program", body)
    assert r.status == 400 and r.error["field"] == field, r


def test_a_spend_over_lots_past_int64_is_not_a_signed_overflow(fresh):
    # The issue: the sanitizer build reported a signed overflow in the sum of a member's lots
    # when spending. Two lots whose sum passes INT64_MAX (hand-edited: the API can no longer make
    # them): a redemption must be answered, and the server's stderr hold no sanitizer report
    # (the fixture fails the test on "runtime error:"; the build aborts on the first one).
    d = fresh
    m = new_member(d.a)["id"]
    for _ in range(2):
        assert d.a.post("/v1/members/%s/adjustments" % m, {"points": 10, "reason": "x"}).status \
            == 201
    d.server.stop()
    big = 5 * 10**18
    db_write(d.db, "UPDATE lots SET points_earned = %d, points_remaining = %d "
             "WHERE member_id = '%s'" % (big, big, m))
    d.restart()
    r = d.a.post("/v1/members/%s/redemptions" % m, {"points": 1, "reason": "coffee"})
    assert r.status in (201, 422), r
    assert "runtime error:" not in d.server.log()
    d.server.stop()
    db_write(d.db, "UPDATE lots SET points_earned = 10, points_remaining = 10 - coalesce("
             "(SELECT sum(points) FROM redemption_lots r WHERE r.program_id = lots.program_id "
             "AND r.lot_id = lots.id), 0) WHERE member_id = '%s'" % m)
    d.restart()


def test_cashback_stops_at_the_wallet_bound(fresh):
    # A wallet holds at most 10^15 minor units: the purchase whose cashback would pass it is
    # refused whole (its points, its cashback, its events), naming amount.
    d = fresh
    r = d.a.post("/v1/rules", {"name": "all back", "trigger": "purchase", "status": "active",
                               "effects": [{"type": "cashback", "percent": 100}]})
    assert r.status == 201, r
    m = new_member(d.a)["id"]
    r = d.a.post("/v1/transactions", {"external_id": unique("r"), "member_id": m,
                                      "currency": "USD", "amount": 10**15})
    assert r.status == 201 and r.json["cashback"] == 10**15, r
    before = snapshot(d, m), d.a.get("/v1/members/%s/wallet" % m).json
    r = d.a.post("/v1/transactions", {"external_id": unique("r"), "member_id": m,
                                      "currency": "USD", "amount": 100})
    assert_limit(r, "amount")
    assert (snapshot(d, m), d.a.get("/v1/members/%s/wallet" % m).json) == before


def test_a_member_at_the_bound_does_not_stop_the_birthday_job(fresh):
    # One member whose balance is at its bound gets no birthday points; the job still runs and
    # every other member gets theirs (it must not fail the whole program's run, every run).
    d = fresh
    assert d.a.put("/v1/test/clock", {"now": "2027-03-02T09:00:00Z"}).status == 200
    r = d.a.post("/v1/rules", {"name": "Birthday", "trigger": "birthday", "status": "active",
                               "effects": [{"type": "award_points", "points": 500}]})
    assert r.status == 201, r
    full = new_member(d.a, birth_date="1990-03-02")["id"]
    assert d.a.post("/v1/members/%s/adjustments" % full,
                    {"points": MEMBER_POINTS_MAX, "reason": "full"}).status == 201
    others = [new_member(d.a, birth_date="1991-03-02")["id"] for _ in range(2)]
    run = d.a.post("/v1/jobs/birthdays")
    # Three claimed (the full one given nothing), 500 points to each of the two others.
    assert run.status == 200 and run.json == {"members": 3, "points": 1000}, run
    assert d.a.get("/v1/members/%s/balance" % full).json["available"] == MEMBER_POINTS_MAX
    for m in others:
        assert d.a.get("/v1/members/%s/balance" % m).json["available"] == 500
