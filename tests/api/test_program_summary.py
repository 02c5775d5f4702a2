# SPDX-License-Identifier: MIT
"""GET /v1/program/summary, the dashboard's figures (docs/ledger.md, "The program's figures").

Goal: every figure is what the history made, month by month in the program's time zone: members
enrolled, points earned, taken back by returns, redeemed less given back, expired, adjusted,
purchases and their revenue; the points outstanding are the sum of the members' balances (the
ledger's liability) and the identity issued - reversed - redeemed - expired + adjusted =
outstanding holds over the whole history; the period's bounds cut at local midnight; bad periods
are refused naming their field; a staff key is refused; sums wider than int64 stay exact or are
refused, never wrong.
Method: one history on a test clock across four months (enrollments, purchases with cashback, a
redemption later cancelled after its points expired, a return, adjustments both ways, a
transfer, expiry, a pending purchase, a suspended member), each figure compared with what the
test did; the same history read in two other time zones; postings written straight into the
database for the sums past int64. `patron audit` runs after the module (conftest).
"""
import json
import os
import subprocess
import tempfile

import pytest

from conftest import (PATRON_BIN, STORE, Client, Server, db_query, new_database, new_member,
                      run_cli, unique)

NOW = "2026-04-05T12:00:00Z"
ZERO = {"enrolled": 0, "issued": 0, "reversed": 0, "redeemed": 0, "expired": 0, "adjusted": 0,
        "purchases": 0, "revenue": 0}
# What the history below made, month by month, in UTC.
MONTHS_UTC = {
    "2026-01": dict(ZERO, enrolled=2, issued=150, purchases=2, revenue=15000),
    "2026-02": dict(ZERO, enrolled=1, reversed=20, redeemed=30, adjusted=35),
    "2026-03": dict(ZERO, issued=30, redeemed=-30, expired=125, purchases=1, revenue=3000),
    "2026-04": dict(ZERO, enrolled=1, issued=10, purchases=1, revenue=1000),
}


def clock(c, when):
    r = c.put("/v1/test/clock", {"now": when})
    assert r.status == 200, r


def buy(c, member, amount, **kw):
    body = {"external_id": unique("r"), "member_id": member, "currency": "USD", "amount": amount}
    body.update(kw)
    r = c.post("/v1/transactions", body)
    assert r.status == 201, r
    return r.json


def ok(r, status=201):
    assert r.status == status, r
    return r.json


def summary(c, query=""):
    return ok(c.get("/v1/program/summary" + query), 200)


@pytest.fixture(scope="module")
def shop(dep):
    """The history, once: 1 point and 10% cashback per 1.00, points expire 2 months after
    earning; no return window."""
    c = dep.a
    clock(c, "2026-01-10T10:00:00Z")
    ok(c.patch("/v1/program", {"time_zone": "UTC", "pending_days": 0, "return_days": 0,
                               "hold_returnable": False, "wallet": {"pending_days": 0},
                               "expiry": {"policy": "rolling", "months": 2}}), 200)
    ok(c.post("/v1/rules", {"name": "10% back", "trigger": "purchase", "status": "active",
                            "effects": [{"type": "cashback", "percent": 10}]}))
    m1, m2 = new_member(c)["id"], new_member(c)["id"]
    assert buy(c, m1, 10000)["points_earned"] == 100
    p2 = buy(c, m2, 5000)
    assert p2["points_earned"] == 50
    clock(c, "2026-02-05T09:00:00Z")
    m3 = new_member(c)["id"]
    red = ok(c.post("/v1/members/%s/redemptions" % m1, {"points": 30, "reason": "mug"}))
    ret = ok(c.post("/v1/transactions/%s/returns" % p2["id"],
                    {"external_id": unique("ret"), "amount": 2000}))
    assert ret["points_reversed"] == 20
    clock(c, "2026-02-20T09:00:00Z")
    ok(c.post("/v1/members/%s/adjustments" % m3, {"points": 40, "reason": "welcome"}))
    ok(c.post("/v1/members/%s/adjustments" % m1, {"points": -5, "reason": "correction"}))
    clock(c, "2026-02-25T09:00:00Z")
    ok(c.post("/v1/transfers", {"from_member_id": m3, "to_member_id": m1, "points": 10}))
    # The January lots (m1 65 left, m2 30) expired on 10 March; the job finds them on the 15th.
    clock(c, "2026-03-15T09:00:00Z")
    assert ok(c.post("/v1/jobs/expire"), 200)["points_expired"] == 95
    # The redemption's 30 points go back into their lot, expired: straight to expired.
    clock(c, "2026-03-20T09:00:00Z")
    ok(c.post("/v1/redemptions/%s/cancel" % red["id"]), 200)
    # The last millisecond of March and the first of April (UTC).
    clock(c, "2026-03-31T23:59:59.999Z")
    assert buy(c, m1, 3000)["points_earned"] == 30
    clock(c, "2026-04-01T00:00:00Z")
    ok(c.patch("/v1/program", {"pending_days": 14}), 200)
    assert buy(c, m2, 1000)["points_pending"] == 10
    clock(c, "2026-04-02T09:00:00Z")
    m4 = new_member(c)["id"]
    ok(c.patch("/v1/members/%s" % m4, {"status": "suspended"}), 200)
    clock(c, NOW)
    dep.members = [m1, m2, m3, m4]
    return dep


def test_each_figure_is_what_the_history_made(shop):
    s = summary(shop.a)
    assert s["as_of"] == NOW and s["currency"] == "USD"
    assert s["period"] == {"from": "2025-04-01", "to": "2026-04-05", "time_zone": "UTC"}
    assert s["members"] == {"total": 4, "active": 3, "enrolled": 4}
    assert s["points"] == {"issued": 190, "reversed": 20, "redeemed": 0, "expired": 125,
                           "adjusted": 35, "outstanding": 80, "pending": 10}
    # The default period: the last 12 whole months and this one, a row each, zeros included.
    assert [row["month"] for row in s["series"]] == (
        ["2025-%02d" % m for m in range(4, 13)] + ["2026-%02d" % m for m in range(1, 5)])
    for row in s["series"]:
        assert row == dict(MONTHS_UTC.get(row["month"], ZERO), month=row["month"]), row
    # The point value is the program's (1 point = 1 minor unit unless set).
    assert s["liability"] == {"points": 80, "amount": 80,
                              "point_value": {"amount": 1, "points": 1}}


def test_outstanding_is_the_sum_of_the_members_balances_and_wallets(shop):
    s = summary(shop.a)
    balances = [ok(shop.a.get("/v1/members/%s/balance" % m), 200) for m in shop.members]
    # No lot is past its expiry unswept and no one owes: a balance is available + pending.
    assert s["points"]["outstanding"] == sum(b["available"] + b["pending"] for b in balances)
    assert s["points"]["pending"] == sum(b["pending"] for b in balances)
    # What the ledger itself holds: the members' accounts, and minus the program's.
    rows = db_query(shop.db, "SELECT sum(balance) FROM accounts WHERE program_id = '%s' "
                    "AND id = member_id" % shop.program_a)
    assert int(rows[0][0]) == s["points"]["outstanding"]
    rows = db_query(shop.db, "SELECT sum(balance) FROM accounts WHERE program_id = '%s' "
                    "AND id LIKE 'program:%%' AND id NOT LIKE 'program:wallet%%'"
                    % shop.program_a)
    assert -int(rows[0][0]) == s["points"]["outstanding"]
    # Every point since the beginning is accounted for.
    p = summary(shop.a, "?from=2026-01-01")["points"]
    assert p["issued"] - p["reversed"] - p["redeemed"] - p["expired"] + p["adjusted"] == \
        p["outstanding"] == 80
    # Wallets: 10% of every purchase, less what the return took back.
    wallets = [ok(shop.a.get("/v1/members/%s/wallet" % m), 200)["balance"]
               for m in shop.members]
    assert s["wallet"] == {"outstanding": sum(wallets)} == {"outstanding": 1500 - 200 + 300 + 100}


def test_liability_at_the_programs_point_value(shop):
    c = shop.a
    try:
        ok(c.patch("/v1/program", {"point_value": {"amount": 1, "points": 3}}), 200)
        s = summary(c)
        assert s["liability"] == {"points": 80, "amount": 26,
                                  "point_value": {"amount": 1, "points": 3}}
        ok(c.patch("/v1/program", {"point_value": {"amount": 0, "points": 1}}), 200)
        assert summary(c)["liability"]["amount"] == 0
    finally:
        ok(c.patch("/v1/program", {"point_value": {"amount": 1, "points": 1}}), 200)


def test_the_period_is_cut_at_local_midnight(shop):
    c = shop.a
    s = summary(c, "?from=2026-02-01&to=2026-03-31")
    assert s["period"]["from"] == "2026-02-01" and s["period"]["to"] == "2026-03-31"
    assert [row["month"] for row in s["series"]] == ["2026-02", "2026-03"]
    assert s["points"] == {"issued": 30, "reversed": 20, "redeemed": 0, "expired": 125,
                           "adjusted": 35, "outstanding": 80, "pending": 10}
    assert s["members"]["enrolled"] == 1
    # One day: the last millisecond of March is in it, the first of April is not.
    last = summary(c, "?from=2026-03-31&to=2026-03-31")
    assert last["series"] == [dict(ZERO, month="2026-03", issued=30, purchases=1, revenue=3000)]
    first = summary(c, "?from=2026-04-01&to=2026-04-01")
    assert first["series"] == [dict(ZERO, month="2026-04", issued=10, purchases=1, revenue=1000)]
    # A month cut by from: 5 February (the enrollment, redemption and return) but not the 20th.
    feb = summary(c, "?from=2026-02-21&to=2026-02-28")["series"]
    assert feb == [dict(ZERO, month="2026-02")]
    feb = summary(c, "?from=2026-02-05&to=2026-02-05")["series"]
    assert feb == [dict(ZERO, month="2026-02", enrolled=1, reversed=20, redeemed=30)]
    # Only to: the 13 months up to it; a future to is fine (zeros).
    s = summary(c, "?to=2026-01-31")
    assert s["period"]["from"] == "2025-01-01" and len(s["series"]) == 13
    assert s["points"]["issued"] == 150
    s = summary(c, "?from=2026-04-01&to=2026-06-30")
    assert [row["month"] for row in s["series"]] == ["2026-04", "2026-05", "2026-06"]


@pytest.mark.parametrize("zone,march,april", [
    # +07:00: the last purchase of March (23:59:59.999 UTC) is on 1 April there.
    ("Asia/Bangkok", dict(ZERO, redeemed=-30, expired=125),
     dict(ZERO, enrolled=1, issued=40, purchases=2, revenue=4000)),
    # -04:00: the first purchase of April (00:00 UTC) is on 31 March there.
    ("America/New_York", dict(ZERO, issued=40, redeemed=-30, expired=125, purchases=2,
                              revenue=4000),
     dict(ZERO, enrolled=1)),
])
def test_months_are_the_programs_time_zone(shop, zone, march, april):
    c = shop.a
    try:
        ok(c.patch("/v1/program", {"time_zone": zone}), 200)
        s = summary(c, "?from=2026-01-01&to=2026-04-30")
        assert s["period"]["time_zone"] == zone
        rows = {row.pop("month"): row for row in s["series"]}
        assert rows["2026-01"] == {k: v for k, v in MONTHS_UTC["2026-01"].items()}
        assert rows["2026-02"] == MONTHS_UTC["2026-02"]
        assert rows["2026-03"] == march and rows["2026-04"] == april
        assert s["points"]["issued"] == 190 and s["members"]["enrolled"] == 4
    finally:
        ok(c.patch("/v1/program", {"time_zone": "UTC"}), 200)


def test_a_day_the_calendar_skipped_is_an_empty_period(shop):
    # Samoa went from 29 to 31 December 2011: the 30th there has no instant.
    c = shop.a
    try:
        ok(c.patch("/v1/program", {"time_zone": "Pacific/Apia"}), 200)
        s = summary(c, "?from=2011-12-30&to=2011-12-30")
        assert s["series"] == [dict(ZERO, month="2011-12")]
        assert s["period"] == {"from": "2011-12-30", "to": "2011-12-30",
                               "time_zone": "Pacific/Apia"}
    finally:
        ok(c.patch("/v1/program", {"time_zone": "UTC"}), 200)


@pytest.mark.parametrize("query,status,field", [
    ("?from=2026-13-01", 400, "from"),
    ("?from=2026-02-30", 400, "from"),
    ("?to=26-01-01", 400, "to"),
    ("?from=1969-12-31&to=1970-01-31", 400, "from"),
    ("?from=2026-01-01T00:00:00Z", 400, "from"),
    ("?from", 400, "from"),
    ("?to=", 400, "to"),
    ("?from=2026-03-02&to=2026-03-01", 400, "to"),
    ("?from=2026-04-06", 400, "from"),  # after today, with to defaulting to today
    ("?from=2023-01-01&to=2025-12-31", 200, None),  # 36 months
    ("?from=2023-01-01&to=2026-01-01", 422, "to"),  # 37
    ("?from=2023-05-01", 200, None),  # 36 months to April 2026
    ("?from=2023-04-30", 422, "from"),  # 37 months to today
    ("?since=2026-01-01", 400, "since"),
])
def test_bad_periods_are_refused_naming_their_field(shop, query, status, field):
    r = shop.a.get("/v1/program/summary" + query)
    assert r.status == status, r
    if field is not None:
        assert r.error["field"] == field, r
        assert r.error["code"] == ("limit_exceeded" if status == 422 else "validation_failed")


def test_staff_keys_are_refused_and_programs_see_only_their_own(shop):
    staff = shop.a.with_key(ok(shop.a.post("/v1/api-keys", {"name": "till", "role": "staff"}))
                            ["api_key"])
    r = staff.get("/v1/program/summary")
    assert r.status == 403 and r.error["code"] == "forbidden", r
    # A viewer reads it as the admin does (the dashboard's read-only role).
    viewer = shop.a.with_key(ok(shop.a.post("/v1/api-keys", {"name": "board", "role": "viewer"}))
                             ["api_key"])
    seen, admin = summary(viewer, "?from=2026-01-01"), summary(shop.a, "?from=2026-01-01")
    seen.pop("as_of"), admin.pop("as_of")
    assert seen == admin
    assert shop.anon().get("/v1/program/summary").status == 401
    other = summary(shop.b)
    assert other["members"] == {"total": 0, "active": 0, "enrolled": 0}
    assert set(other["points"].values()) == {0}


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


def test_sums_past_int64_are_exact_or_refused(fresh):
    # Postings of the program's accounts (each within its bound, the entry balanced) whose sums
    # pass INT64_MAX on the way (adjusted: -5, -5, +5, +5 * 10^18, in the index's order) or in
    # the end (issued). The first must be exact, the second refused, neither a float, a wrong
    # number or a failure of the query.
    d = fresh
    m = new_member(d.a)["id"]
    big = 5 * 10**18
    at = 1767225600000  # 2026-01-01T00:00:00Z
    d.server.stop()
    rows = [("program:adjusted", -big), ("program:adjusted", -big), ("program:adjusted", big),
            ("program:adjusted", big)]
    try:
        for i, (acct, pts) in enumerate(rows):
            db_write(d.db, "INSERT INTO postings (program_id, member_id, account_id, n, entry_id, "
                     "points, balance_after, created_at_ms) VALUES ('%s', '%s', '%s', %d, "
                     "'ent_big%d', %d, 0, %d)" % (d.program_a, m, acct, 1000 + i, i, pts, at))
        d.restart()
        s = summary(d.a, "?from=2026-01-01&to=2026-01-31")
        assert s["points"]["adjusted"] == 0 and s["series"][0]["adjusted"] == 0
        d.server.stop()
        for i in range(2):
            db_write(d.db, "INSERT INTO postings (program_id, member_id, account_id, n, entry_id, "
                     "points, balance_after, created_at_ms) VALUES ('%s', '%s', "
                     "'program:issued', %d, 'ent_big%d', %d, 0, %d)"
                     % (d.program_a, m, 2000 + i, 10 + i, -big, at))
        d.restart()
        r = d.a.get("/v1/program/summary?from=2026-01-01&to=2026-01-31")
        assert r.status == 422 and r.error["code"] == "limit_exceeded", r
        assert "points of a month" in r.error["message"], r
    finally:
        # Put the database back as the API wrote it, so that the fixture's audit passes.
        d.server.stop()
        db_write(d.db, "DELETE FROM postings WHERE entry_id LIKE 'ent_big%%'")
        d.restart()


def test_migration_24_dates_the_postings_written_before_it():
    # A ledger of schema 23, the one before the summary's (no posting time): an adjustment of
    # 70 points on 15 January 2026, written as the server of then wrote it. After the migration
    # its postings carry their entry's time, so the summary counts it in January, and the audit
    # (which checks that every posting has the time of its entry) passes.
    at = 1768471200000  # 2026-01-15T10:00:00Z
    with tempfile.TemporaryDirectory() as tmp:
        db = new_database(tmp)
        init = subprocess.run([PATRON_BIN, "init", "--db", db, "--json"], capture_output=True,
                              text=True, timeout=60,
                              env=dict(os.environ, PATRON_TEST_SCHEMA_VERSION="23"))
        assert init.returncode == 0, init.stderr
        program, key = json.loads(init.stdout)["program_id"], json.loads(init.stdout)["api_key"]
        m = "mem_06f0000000000000000000old1"
        values = {"p": program, "m": m, "at": at}
        for sql in (
                "INSERT INTO members (program_id, id, card_number, referral_code, status, "
                "enrolled_at_ms, updated_at_ms, version) VALUES ('%(p)s', '%(m)s', "
                "'4539578763621486', 'OLDCODE1', 'active', %(at)d, %(at)d, 1)",
                "INSERT INTO member_keys VALUES ('%(p)s', 'card_number', '4539578763621486', "
                "'%(m)s')",
                "INSERT INTO member_keys VALUES ('%(p)s', 'referral_code', 'OLDCODE1', '%(m)s')",
                "INSERT INTO entries (program_id, member_id, id, type, reason, created_at_ms) "
                "VALUES ('%(p)s', '%(m)s', 'ent_06f000000000000000000000e1', 'adjust', 'seed', "
                "%(at)d)",
                "INSERT INTO postings (program_id, member_id, account_id, n, entry_id, points, "
                "balance_after) VALUES ('%(p)s', '%(m)s', '%(m)s', 1, "
                "'ent_06f000000000000000000000e1', 70, 70)",
                "INSERT INTO postings (program_id, member_id, account_id, n, entry_id, points, "
                "balance_after) VALUES ('%(p)s', '%(m)s', 'program:adjusted', 1, "
                "'ent_06f000000000000000000000e1', -70, -70)",
                "INSERT INTO accounts (program_id, member_id, id, balance, lifetime_earned, "
                "postings) VALUES ('%(p)s', '%(m)s', '%(m)s', 70, 70, 1)",
                "INSERT INTO accounts (program_id, member_id, id, balance, postings) VALUES "
                "('%(p)s', '%(m)s', 'program:adjusted', -70, 1)",
                "INSERT INTO lots (program_id, member_id, id, entry_id, points_earned, "
                "points_remaining, earned_at_ms, available_at_ms, expires_at_ms) VALUES "
                "('%(p)s', '%(m)s', 'lot_06f000000000000000000000l1', "
                "'ent_06f000000000000000000000e1', 70, 70, %(at)d, %(at)d, "
                "9223372036854775807)"):
            db_write(db, sql % values)
        server = Server(db)
        try:
            s = summary(Client(server.port, key), "?from=2026-01-01&to=2026-02-28")
        finally:
            server.stop()
        assert s["series"][0] == dict(ZERO, month="2026-01", enrolled=1, adjusted=70)
        assert s["series"][1] == dict(ZERO, month="2026-02")
        assert s["points"]["outstanding"] == 70
        out = run_cli("audit", "--db", db, check=False)
        assert out.returncode == 0, out.stdout + out.stderr
