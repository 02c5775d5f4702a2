# SPDX-License-Identifier: MIT
"""Property test of the ledger: thousands of random operations (purchases, partial returns,
redemptions, cancellations, transfers, adjustments, expiry) against a plain-Python model.

After every step the API's balances of every member equal the model's, and `patron audit`
passes on the database. The seed is printed on failure; PATRON_MODEL_SEED and
PATRON_MODEL_STEPS override the defaults.
"""
import calendar
import datetime
import os
import random

import pytest

from conftest import run_cli, unique

PENDING_DAYS = 2
EXPIRY_MONTHS = 1
DAY = 86400000
NEVER = 2 ** 63 - 1


def add_months(ms, months):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    total = t.year * 12 + t.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    day = min(t.day, calendar.monthrange(year, month)[1])
    return int(t.replace(year=year, month=month, day=day).timestamp() * 1000)


def iso(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


class Lot:
    def __init__(self, points, earned, available, expires):
        self.remaining = points
        self.earned = earned
        self.available = available
        self.expires = expires


class Model:
    def __init__(self, members, allow_negative=False):
        self.allow_negative = allow_negative
        self.lots = {m: [] for m in members}
        self.owed = {m: 0 for m in members}
        self.earned = {m: 0 for m in members}
        self.redeemed = {m: 0 for m in members}
        self.expired = {m: 0 for m in members}
        self.purchases = {}
        self.redemptions = {}
        self.now = 0

    def avail(self, lot):
        return lot.remaining > 0 and lot.available <= self.now < lot.expires

    def spendable(self, m):
        return max(0, sum(l.remaining for l in self.lots[m] if self.avail(l)) - self.owed[m])

    def take(self, m, points):
        takes = []
        for lot in sorted((l for l in self.lots[m] if self.avail(l)),
                          key=lambda l: (l.expires, l.earned)):
            if points == 0:
                break
            t = min(lot.remaining, points)
            lot.remaining -= t
            points -= t
            takes.append((lot, t))
        assert points == 0
        return takes

    def credit(self, m, points, available, expires):
        repaid = min(points, self.owed[m])
        self.owed[m] -= repaid
        lot = Lot(points - repaid, self.now, available, expires)
        self.lots[m].append(lot)
        return lot

    def balance(self, m):
        avail = sum(l.remaining for l in self.lots[m] if self.avail(l))
        pending = sum(l.remaining for l in self.lots[m]
                      if l.remaining > 0 and self.now < l.available and self.now < l.expires)
        available = avail - self.owed[m]
        if not self.allow_negative:
            available = max(0, available)
        return {"available": available, "pending": pending,
                "owed": self.owed[m], "lifetime_earned": self.earned[m],
                "lifetime_redeemed": self.redeemed[m], "lifetime_expired": self.expired[m]}


def run_model(dep, seed, steps, allow_negative=False):
    rng = random.Random(seed)
    c = dep.a
    assert c.patch("/v1/program", {"pending_days": PENDING_DAYS,
                                   "expiry": {"policy": "rolling", "months": EXPIRY_MONTHS},
                                   "allow_negative_balance": allow_negative}).status == 200
    now = 1767225600000  # 2026-01-01T00:00:00Z
    assert c.put("/v1/test/clock", {"now": iso(now)}).status == 200
    members = [c.post("/v1/members", {"email": unique("model") + "@example.com"}).json["id"]
               for _ in range(4)]
    model = Model(members, allow_negative)
    model.now = now
    for step in range(steps):
        now += rng.randint(1000, 3 * DAY)
        model.now = now
        assert c.put("/v1/test/clock", {"now": iso(now)}).status == 200
        op = rng.choices(["buy", "return", "redeem", "cancel", "transfer", "adjust", "expire"],
                         [30, 15, 20, 8, 10, 10, 7])[0]
        m = rng.choice(members)
        context = "seed %d step %d op %s" % (seed, step, op)
        if op == "buy":
            amount = rng.randint(0, 20000)
            r = c.post("/v1/transactions", {"external_id": unique("p"), "member_id": m,
                                            "currency": "USD", "amount": amount})
            assert r.status == 201, (context, r)
            points = amount // 100
            lot = None
            if points > 0:
                model.earned[m] += points
                lot = model.credit(m, points, now + PENDING_DAYS * DAY, add_months(now, EXPIRY_MONTHS))
            model.purchases[r.json["id"]] = {"member": m, "amount": amount, "points": points,
                                             "returned": 0, "reversed": 0, "lot": lot}
        elif op == "return" and model.purchases:
            pid = rng.choice(sorted(model.purchases))
            p = model.purchases[pid]
            left = p["amount"] - p["returned"]
            amount = rng.randint(1, max(1, left + (5 if rng.random() < 0.1 else 0)))
            r = c.post("/v1/transactions/%s/returns" % pid,
                       {"external_id": unique("r"), "amount": amount})
            if amount > left:
                assert r.status == 422 and r.error["code"] == "return_exceeds_purchase", context
            else:
                assert r.status == 201, (context, r)
                total = p["returned"] + amount
                points = (p["points"] * total // p["amount"] if p["amount"] else 0) - p["reversed"]
                p["returned"], p["reversed"] = total, p["reversed"] + points
                pm = p["member"]
                model.earned[pm] -= points
                left_points = points
                lot = p["lot"]
                if lot is not None and lot.remaining > 0 and left_points > 0:
                    t = min(lot.remaining, left_points)
                    lot.remaining -= t
                    left_points -= t
                if left_points > 0:
                    t = min(model.spendable(pm), left_points)
                    if t > 0:
                        model.take(pm, t)
                    left_points -= t
                model.owed[pm] += left_points
                assert r.json["points_reversed"] == points, context
                assert r.json["points_owed"] == left_points, context
        elif op == "redeem":
            points = rng.randint(1, 120)
            r = c.post("/v1/members/%s/redemptions" % m, {"points": points, "reason": "model"})
            if model.spendable(m) >= points:
                assert r.status == 201, (context, r)
                model.redeemed[m] += points
                model.redemptions[r.json["id"]] = {"member": m, "takes": model.take(m, points),
                                                   "points": points, "cancelled": False}
            else:
                assert r.status == 422 and r.error["code"] == "insufficient_points", (context, r)
        elif op == "cancel" and model.redemptions:
            rid = rng.choice(sorted(model.redemptions))
            red = model.redemptions[rid]
            r = c.post("/v1/redemptions/%s/cancel" % rid)
            assert r.status == 200, (context, r)
            if not red["cancelled"]:
                red["cancelled"] = True
                rm = red["member"]
                model.redeemed[rm] -= red["points"]
                for lot, t in red["takes"]:
                    if lot.expires <= now:
                        model.expired[rm] += t
                    else:
                        lot.remaining += t
        elif op == "transfer":
            to = rng.choice([x for x in members if x != m])
            points = rng.randint(1, 80)
            r = c.post("/v1/transfers", {"from_member_id": m, "to_member_id": to, "points": points})
            if model.spendable(m) >= points:
                assert r.status == 201, (context, r)
                for lot, t in model.take(m, points):
                    model.credit(to, t, now, lot.expires)
            else:
                assert r.status == 422, (context, r)
        elif op == "adjust":
            points = rng.choice([-1, 1]) * rng.randint(1, 60)
            r = c.post("/v1/members/%s/adjustments" % m, {"points": points, "reason": "model"})
            if points > 0:
                assert r.status == 201, (context, r)
                model.credit(m, points, now, add_months(now, EXPIRY_MONTHS))
            elif model.spendable(m) >= -points:
                assert r.status == 201, (context, r)
                model.take(m, -points)
            elif allow_negative:
                assert r.status == 201, (context, r)
                taken = model.spendable(m)
                if taken > 0:
                    model.take(m, taken)
                model.owed[m] += -points - taken
            else:
                assert r.status == 422, (context, r)
        elif op == "expire":
            r = c.post("/v1/jobs/expire")
            assert r.status == 200, (context, r)
            expected = 0
            for mm in members:
                for lot in model.lots[mm]:
                    if lot.remaining > 0 and lot.expires <= now:
                        model.expired[mm] += lot.remaining
                        expected += lot.remaining
                        lot.remaining = 0
            assert r.json["points_expired"] == expected, context
        for mm in members:
            got = c.get("/v1/members/%s/balance" % mm).json
            got = {k: got[k] for k in model.balance(mm)}
            assert got == model.balance(mm), (context, mm)
        out = run_cli("audit", "--db", dep.db, check=False)
        assert out.returncode == 0, (context, out.stderr)


SEEDS = [int(os.environ["PATRON_MODEL_SEED"])] if "PATRON_MODEL_SEED" in os.environ else [1, 2]
STEPS = int(os.environ.get("PATRON_MODEL_STEPS", "1000"))


@pytest.mark.parametrize("seed", SEEDS)
def test_ledger_matches_model(fresh, seed):
    run_model(fresh, seed, STEPS)


def test_ledger_matches_model_with_negative_balances(fresh):
    """The same, in a program that lets balances go below zero (owed shown as negative)."""
    run_model(fresh, SEEDS[0] + 100, STEPS // 2, allow_negative=True)
