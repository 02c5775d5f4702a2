# SPDX-License-Identifier: MIT
"""Edges of wallets and referrals, found by review: concurrent debits and cancels (two servers
on one PostgreSQL database), idempotent debits raced across nodes, owed money that no debit may
spend (after a return, after a cancel), cashback never more than was paid, the pending
boundary, and referral windows, monthly limits by local month, closed referrers and rewards
raced across nodes."""
import threading

import conftest
from conftest import Client, new_member, unique

START = "2026-03-02T10:00:00Z"


def set_clock(client, when):
    r = client.put("/v1/test/clock", {"now": when})
    assert r.status == 200, r


def setup_cashback(client, percent=10, pending_days=0):
    set_clock(client, START)
    # The return window and its hold are tested in test_smaller_rules.py; here, as before them.
    r = client.patch("/v1/program", {"wallet": {"pending_days": pending_days}, "hold_returnable": False, "return_days": 0})
    assert r.status == 200, r
    r = client.post("/v1/rules", {"name": unique("cb"), "trigger": "purchase",
                                  "status": "active",
                                  "effects": [{"type": "cashback", "percent": percent}]})
    assert r.status == 201, r


def buy(client, member, amount, **kw):
    body = {"external_id": unique("r"), "member_id": member, "currency": "USD",
            "amount": amount}
    body.update(kw)
    r = client.post("/v1/transactions", body)
    assert r.status == 201, r
    return r.json


def ret(client, purchase, amount):
    r = client.post("/v1/transactions/%s/returns" % purchase,
                    {"external_id": unique("ret"), "amount": amount})
    assert r.status == 201, r
    return r.json


def wallet(client, member):
    r = client.get("/v1/members/%s/wallet" % member)
    assert r.status == 200, r
    return r.json


def debit(client, member, amount, status=201, **kw):
    body = {"amount": amount}
    body.update(kw)
    r = client.post("/v1/members/%s/wallet/debits" % member, body)
    assert r.status == status, r
    return r


# ---- Wallets ----

def test_cancel_after_return_makes_owed_money_spendable(fresh):
    setup_cashback(fresh.a, percent=10)
    m = new_member(fresh.a)["id"]
    p = buy(fresh.a, m, 1000)  # 100 back, available at once
    d = debit(fresh.a, m, 60).json
    r = ret(fresh.a, p["id"], 1000)  # all 100 back: 40 from the credit, 60 owed
    assert r["cashback_reversed"] == 100 and r["cashback_owed"] == 60
    c = fresh.a.post("/v1/wallet-debits/%s/cancel" % d["id"])
    assert c.status == 200, c
    w = wallet(fresh.a, m)
    # The member earned nothing net (all cashback reversed) and spent nothing net (the debit
    # is cancelled): the 60 given back should repay the 60 owed.
    assert (w["balance"], w["available"], w["owed"]) == (0, 0, 0), w


def test_owing_member_can_spend_after_cancel(fresh):
    setup_cashback(fresh.a, percent=10)
    m = new_member(fresh.a)["id"]
    p = buy(fresh.a, m, 1000)
    d = debit(fresh.a, m, 60).json
    ret(fresh.a, p["id"], 1000)
    assert fresh.a.post("/v1/wallet-debits/%s/cancel" % d["id"]).status == 200
    # docs/wallets.md: while owed, "nothing more can be spent".
    r = fresh.a.post("/v1/members/%s/wallet/debits" % m, {"amount": 60})
    assert r.status == 422, r


def test_debit_same_external_id_other_amount_conflicts(fresh):
    setup_cashback(fresh.a)
    m = new_member(fresh.a)["id"]
    buy(fresh.a, m, 10000)
    debit(fresh.a, m, 100, external_id="ord-1")
    r = fresh.a.post("/v1/members/%s/wallet/debits" % m, {"amount": 200, "external_id": "ord-1"})
    assert r.status == 409, r
    assert wallet(fresh.a, m)["available"] == 900


def _concurrent(fns):
    go = threading.Barrier(len(fns))
    out = [None] * len(fns)

    def run(i):
        go.wait()
        out[i] = fns[i]()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    return out


def _nodes(fresh):
    if conftest.STORE == "postgres":
        other = conftest.Server(fresh.db, ("--test-clock",))
        return [fresh.a, Client(other.port, fresh.key_a)], other
    return [fresh.a, fresh.a], None


def test_twenty_concurrent_debits_never_overdraw(fresh):
    setup_cashback(fresh.a)
    m = new_member(fresh.a)["id"]
    for _ in range(3):
        buy(fresh.a, m, 1000)  # 3 credits of 100
    nodes, other = _nodes(fresh)
    try:
        for c in nodes:
            set_clock(c, START)
        res = _concurrent([
            (lambda i=i: nodes[i % 2].with_key(fresh.key_a).post("/v1/members/%s/wallet/debits" % m, {"amount": 35}))
            for i in range(20)])
    finally:
        if other is not None:
            other.stop()
    ok = [r for r in res if r.status == 201]
    assert all(r.status in (201, 422) for r in res), [r.status for r in res]
    assert len(ok) == 8, [r.status for r in res]  # 8 * 35 = 280 of 300
    w = wallet(fresh.a, m)
    assert (w["balance"], w["available"]) == (20, 20), w


def test_concurrent_cancel_of_one_debit(fresh):
    setup_cashback(fresh.a)
    m = new_member(fresh.a)["id"]
    buy(fresh.a, m, 1000)
    d = debit(fresh.a, m, 70).json
    nodes, other = _nodes(fresh)
    try:
        for c in nodes:
            set_clock(c, START)
        res = _concurrent([
            (lambda i=i: nodes[i % 2].with_key(fresh.key_a).post("/v1/wallet-debits/%s/cancel" % d["id"]))
            for i in range(8)])
    finally:
        if other is not None:
            other.stop()
    assert all(r.status == 200 for r in res), [r for r in res]
    w = wallet(fresh.a, m)
    assert (w["balance"], w["available"], w["lifetime_spent"]) == (100, 100, 0), w


def test_cashback_never_more_than_paid(fresh):
    setup_cashback(fresh.a, percent=60)
    r = fresh.a.post("/v1/rules", {"name": unique("cb"), "trigger": "purchase",
                                   "status": "active",
                                   "effects": [{"type": "cashback", "percent": 60}]})
    assert r.status == 201, r
    m = new_member(fresh.a)["id"]
    p = buy(fresh.a, m, 1000)
    # "credits a share of what the customer paid"
    assert p["cashback"] <= 1000, p["cashback"]


def test_debit_of_other_program_member_and_cancel(fresh):
    setup_cashback(fresh.a)
    m = new_member(fresh.a)["id"]
    buy(fresh.a, m, 1000)
    d = debit(fresh.a, m, 10).json
    assert fresh.b.post("/v1/wallet-debits/%s/cancel" % d["id"]).status == 404
    assert wallet(fresh.a, m)["available"] == 90


def test_pending_boundary(fresh):
    setup_cashback(fresh.a, percent=10, pending_days=2)
    m = new_member(fresh.a)["id"]
    buy(fresh.a, m, 1000, occurred_at=START)
    set_clock(fresh.a, "2026-03-04T09:59:59Z")
    assert wallet(fresh.a, m)["available"] == 0
    set_clock(fresh.a, "2026-03-04T10:00:00Z")
    w = wallet(fresh.a, m)
    assert (w["available"], w["pending"]) == (100, 0), w


# ---- Referrals ----

POLICY = {"referrer": {"points": 500, "wallet": 100}, "referee": {"points": 200, "wallet": 300},
          "min_amount": 2000, "within_days": 30, "max_per_referrer_per_month": 1}


def enable(client, policy=POLICY):
    set_clock(client, START)
    r = client.patch("/v1/program", {"referrals": policy})
    assert r.status == 200, r


def referred(client, referrer, **fields):
    code = client.get("/v1/members/" + referrer).json["referral_code"]
    return new_member(client, referred_by=code, **fields)["id"]


def referrals(client, member):
    r = client.get("/v1/members/%s/referrals" % member)
    assert r.status == 200, r
    return r.json


def test_monthly_cap_by_local_month(fresh):
    enable(fresh.a)
    assert fresh.a.patch("/v1/program", {"time_zone": "America/New_York"}).status == 200
    set_clock(fresh.a, "2026-03-30T12:00:00Z")
    referrer = new_member(fresh.a)["id"]
    f1 = referred(fresh.a, referrer)
    f2 = referred(fresh.a, referrer)
    buy(fresh.a, f1, 2000)  # rewarded, local March 30
    set_clock(fresh.a, "2026-04-01T02:00:00Z")  # local 2026-03-31 22:00: still March
    buy(fresh.a, f2, 2000)
    got = {x["member_id"]: x["status"] for x in referrals(fresh.a, referrer)["data"]}
    assert got == {f1: "rewarded", f2: "qualified"}, got


def test_window_boundary_inclusive(fresh):
    enable(fresh.a)
    referrer = new_member(fresh.a)["id"]
    f = referred(fresh.a, referrer)
    set_clock(fresh.a, "2026-04-01T10:00:00Z")  # exactly 30 days
    buy(fresh.a, f, 2000)
    assert referrals(fresh.a, referrer)["data"][0]["status"] == "rewarded"


def test_referrer_closed_before_qualification(fresh):
    enable(fresh.a)
    referrer = new_member(fresh.a)["id"]
    f = referred(fresh.a, referrer)
    assert fresh.a.patch("/v1/members/" + referrer, {"status": "closed"}).status == 200
    buy(fresh.a, f, 2000)
    x = referrals(fresh.a, referrer)["data"][0]
    assert x["status"] == "qualified" and x["note"], x
    assert wallet(fresh.a, referrer)["balance"] == 0
    assert wallet(fresh.a, f)["balance"] == 300


def test_other_program_code_is_unknown(fresh):
    enable(fresh.a)
    other = new_member(fresh.b)["id"]
    code = fresh.b.get("/v1/members/" + other).json["referral_code"]
    r = fresh.a.post("/v1/members", {"email": unique("m") + "@example.com",
                                     "referred_by": code})
    assert r.status == 422 and r.json["error"]["code"] == "referral_code_unknown", r


def test_referral_reversed_when_wallet_reward_spent(fresh):
    enable(fresh.a)
    referrer = new_member(fresh.a)["id"]
    f = referred(fresh.a, referrer)
    p = buy(fresh.a, f, 2000)
    debit(fresh.a, f, 300)
    debit(fresh.a, referrer, 100)
    ret(fresh.a, p["id"], 2000)
    wf, wr = wallet(fresh.a, f), wallet(fresh.a, referrer)
    assert (wf["balance"], wf["owed"], wf["available"]) == (-300, 300, 0), wf
    assert (wr["balance"], wr["owed"], wr["available"]) == (-100, 100, 0), wr
    assert referrals(fresh.a, referrer)["data"][0]["status"] == "reversed"


def test_concurrent_same_external_id_debits_debit_once(fresh):
    setup_cashback(fresh.a)
    m = new_member(fresh.a)["id"]
    buy(fresh.a, m, 10000)  # 1000 back
    nodes, other = _nodes(fresh)
    try:
        for c in nodes:
            set_clock(c, START)
        res = _concurrent([
            (lambda i=i: nodes[i % 2].with_key(fresh.key_a).post(
                "/v1/members/%s/wallet/debits" % m, {"amount": 100, "external_id": "ord-x"}))
            for i in range(10)])
    finally:
        if other is not None:
            other.stop()
    assert all(r.status == 201 for r in res), [(r.status, r.body) for r in res]
    ids = {r.json["id"] for r in res}
    w = wallet(fresh.a, m)
    assert (len(ids), w["available"], w["lifetime_spent"]) == (1, 900, 100), (ids, w)


def test_concurrent_qualifications_respect_the_cap(fresh):
    enable(fresh.a)
    referrer = new_member(fresh.a)["id"]
    friends = [referred(fresh.a, referrer) for _ in range(6)]
    nodes, other = _nodes(fresh)
    try:
        for c in nodes:
            set_clock(c, START)
        res = _concurrent([
            (lambda i=i: nodes[i % 2].with_key(fresh.key_a).post("/v1/transactions", {
                "external_id": unique("r"), "member_id": friends[i], "currency": "USD",
                "amount": 2000}))
            for i in range(6)])
    finally:
        if other is not None:
            other.stop()
    assert all(r.status == 201 for r in res), [(r.status, r.body) for r in res]
    got = sorted(x["status"] for x in referrals(fresh.a, referrer)["data"])
    assert got == ["qualified"] * 5 + ["rewarded"], got
    assert wallet(fresh.a, referrer)["balance"] == 100


def test_owed_member_spends_credit_that_was_pending_at_return(fresh):
    setup_cashback(fresh.a, percent=10, pending_days=14)
    m = new_member(fresh.a)["id"]
    p1 = buy(fresh.a, m, 1000, occurred_at="2026-02-01T10:00:00Z")  # 100, available at once
    buy(fresh.a, m, 1000)  # 100, pending until 16 March
    debit(fresh.a, m, 100)  # spends p1's cashback
    r = ret(fresh.a, p1["id"], 1000)
    assert r["cashback_owed"] == 100
    set_clock(fresh.a, "2026-03-20T10:00:00Z")
    w = wallet(fresh.a, m)
    # balance 0 = available + pending - owed; the debt should absorb the matured credit.
    assert (w["balance"], w["owed"], w["available"]) == (0, 100, 0), w
    r = fresh.a.post("/v1/members/%s/wallet/debits" % m, {"amount": 100})
    assert r.status == 422, r  # "nothing more can be spent" while owed


def test_self_referral_email_variants_refused(fresh):
    enable(fresh.a)
    base = unique("ann")
    referrer = new_member(fresh.a, email=base + "+x@Example.com")["id"]
    code = fresh.a.get("/v1/members/" + referrer).json["referral_code"]
    for email in (base + "@example.com", base.upper() + "+ref@EXAMPLE.COM"):
        r = fresh.a.post("/v1/members", {"email": email, "referred_by": code})
        assert r.status == 422 and r.json["error"]["code"] == "self_referral", (email, r)


def test_closed_member_cannot_debit_and_replay_by_header(fresh):
    setup_cashback(fresh.a)
    m = new_member(fresh.a)["id"]
    buy(fresh.a, m, 1000)
    k = unique("k")
    a = fresh.a.post("/v1/members/%s/wallet/debits" % m, {"amount": 10},
                     headers={"Idempotency-Key": k})
    b = fresh.a.post("/v1/members/%s/wallet/debits" % m, {"amount": 10},
                     headers={"Idempotency-Key": k})
    assert a.status == 201 and b.status == 201 and a.json["id"] == b.json["id"]
    c = fresh.a.post("/v1/members/%s/wallet/debits" % m, {"amount": 11},
                     headers={"Idempotency-Key": k})
    assert c.status == 409, c
    assert fresh.a.patch("/v1/members/" + m, {"status": "closed"}).status == 200
    r = fresh.a.post("/v1/members/%s/wallet/debits" % m, {"amount": 10})
    assert r.status == 422 and r.json["error"]["code"] == "member_inactive", r
    assert wallet(fresh.a, m)["available"] == 90


def test_cashback_after_discount_and_till_discount(fresh):
    setup_cashback(fresh.a, percent=10)
    r = fresh.a.post("/v1/rules", {"name": unique("d"), "trigger": "purchase",
                                   "status": "active",
                                   "effects": [{"type": "discount", "percent": 10}]})
    assert r.status == 201, r
    m = new_member(fresh.a)["id"]
    p = buy(fresh.a, m, 1000)
    assert p["cashback"] == 90, p
