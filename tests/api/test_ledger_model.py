# SPDX-License-Identifier: MIT
"""Property test of the ledger: thousands of random operations (purchases, partial returns,
redemptions, cancellations, transfers, adjustments, expiry) against a plain-Python model,
extended with the wallet (cashback credits, debits and their cancellation, returns taking
cashback back, owed money), status tiers (the metric by month, moving up on the crossing
purchase, the tier's earn multiplier, reviews as the clock advances, closed members not
reviewed) and issue 18's mechanics: rewards of the catalog redeemed into coupons (cancelled,
expired, used in purchases in the order given, refused whole when one cannot be used), a
threshold bonus capped per member and day, and a stamp card that gives points when complete;
returns of those purchases give back the coupons' points in proportion (coupon_refund),
evaluate the fired rules again on the amount kept (the bonus goes when the return takes the
purchase below its threshold, never more than it gave), and take back the card's stamps and the
reward of the cards they completed (stamp_reward_return). Purchases are also paid with points
and wallet money (docs/ledger.md, "Paying with points"): the points taken from the lots
soonest-expiring first and the money from the oldest credits, what points pay earning nothing
and what wallet money pays no cashback unless the program says so, the refusals of lines that
do not fit the policy, the member or the total changing nothing; returns give each line back in
proportion (to what the kept cart no longer costs when it is evaluated again), the points into
the lots they came from (those expired meanwhile to expired, a debt repaid first) and the money
as a new credit, and the kept cart earns on what it keeps of the lines.

After every step the API's balances, wallets and tiers of every member equal the model's (and,
after a purchase or a return, the member's stamp card), and every AUDIT_EVERY steps and after
the last one `patron audit` passes on the database (the audit checks lasting invariants of the
stored ledger, so a violation shows at the next audit; the failure names the steps since the
last good one). The seed is printed on failure; PATRON_MODEL_SEED, PATRON_MODEL_STEPS and
PATRON_MODEL_AUDIT_EVERY (1 to pin a failure to its step) override the defaults.
"""
import calendar
import collections
import datetime
import math
import os
import random

import pytest

from conftest import run_cli, unique

PENDING_DAYS = 2
EXPIRY_MONTHS = 1
DAY = 86400000
NEVER = 2 ** 63 - 1
# Average metric a member gathers in a month with this operation mix (about 20 steps a month,
# one in four a purchase of 100.00 on average over four members, less returns; three in four
# earn the threshold bonus of 100 points), to place the thresholds where members cross them
# both ways.
PER_MONTH = {"spend": 7000, "purchases": 1.0, "qualifying_points": 130}
# The default runs (seeds 1 and 2, and the negative-balance run) see the three metrics.
METRICS = ["qualifying_points", "spend", "purchases"]
# And the three policies of paying with points: (point_value amount, points, min_points,
# max_percent, multiple). Each has a minimum and a step above one, so that both refusals can
# happen: 2 points pay 5 cents in steps of 10 points, all of what is left to pay payable; a
# point pays 10 cents in steps of 2, half payable; 4 points pay 25 cents, a quarter payable.
PAY_POLICIES = [(5, 2, 20, 100, 5), (10, 1, 5, 50, 2), (25, 4, 8, 25, 1)]


def add_months(ms, months):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    total = t.year * 12 + t.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    day = min(t.day, calendar.monthrange(year, month)[1])
    return int(t.replace(year=year, month=month, day=day).timestamp() * 1000)


def iso(ms):
    """As the API writes a time (src/base/clock.c): milliseconds only when there are some."""
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (".%03dZ" % (ms % 1000) if ms % 1000 else "Z")


def month_of(ms):
    """The UTC month index (year × 12 + month − 1) of a time, as src/core/tiers.c counts."""
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.year * 12 + t.month - 1


def month_first_day(m):
    return "%04d-%02d-01" % (m // 12, m % 12 + 1)


class Lot:
    def __init__(self, points, earned, available, expires):
        self.remaining = points
        self.earned = earned
        self.available = available
        self.expires = expires


class Credit:
    """A wallet credit: money in, pending until available_at, spent oldest-available first."""

    def __init__(self, amount, remaining, available_at, seq):
        self.amount = amount
        self.remaining = remaining
        self.available_at = available_at
        self.seq = seq  # Creation order: the server's tie-break by credit id.


class Tiers:
    """The program's tier policy as src/core/tiers.c reads it (months 0: calendar year)."""

    def __init__(self, metric, months, retain, levels):
        self.metric = metric
        self.months = months
        self.retain = retain
        self.levels = levels  # [(name, threshold, num, den)]

    def window_first(self, m):
        return m - m % 12 if self.months == 0 else m - self.months + 1

    def window_last(self, m):
        return m - m % 12 + 11 if self.months == 0 else m

    def first_review(self, m):
        return m - m % 12 + 12 if self.months == 0 else m + self.months

    def length(self):
        return 12 if self.months == 0 else self.months

    def for_value(self, value):
        i = 0
        while i + 1 < len(self.levels) and self.levels[i + 1][1] <= value:
            i += 1
        return i


class TierState:
    def __init__(self):
        self.position = 0
        self.review_month = 0
        self.grace = False


class Reward:
    """A reward of the catalog (docs/rewards.md): what its coupons give and cost."""

    def __init__(self, rid, kind, value, cost, valid_days):
        self.id = rid
        self.kind = kind  # discount_amount, discount_percent or gift
        self.value = value
        self.cost = cost
        self.valid_days = valid_days


class Coupon:
    def __init__(self, code, member, reward, takes, expires):
        self.code = code
        self.member = member
        self.reward = reward
        self.points = reward.cost  # What its redemption took: a return gives it back.
        self.takes = takes  # [(lot, points)]: a cancel puts them back.
        self.expires = expires
        self.status = "active"  # active, redeemed or cancelled; expiry is a time (expires).
        self.expiry_written = False  # The expiry job has written it down (coupons_expired).


class Bonus:
    """The threshold bonus: `points` when the fact (cart.amount, or cart.remaining after the
    coupons) is at least `threshold`, at most `day_cap` points a member and day."""

    def __init__(self, rid, fact, threshold, points, day_cap):
        self.id = rid
        self.fact = fact
        self.threshold = threshold
        self.points = points
        self.day_cap = day_cap


class Card:
    """The stamp card (docs/stamp-cards.md): one stamp per purchase of at least min_amount, and
    a rule adding extra_stamps more from extra_threshold."""

    def __init__(self, cid, required, reward, valid_days, min_amount, rule_id, extra_threshold,
                 extra_stamps):
        self.id = cid
        self.required = required
        self.reward = reward
        self.valid_days = valid_days
        self.min_amount = min_amount
        self.rule_id = rule_id
        self.extra_threshold = extra_threshold
        self.extra_stamps = extra_stamps

    def stamps(self, amount, rule_fired=True):
        """The stamps a cart of `amount` earns: the card's own, and the rule's when it fired on
        the purchase (a return evaluates only the rules that fired)."""
        extra = self.extra_stamps if rule_fired and amount >= self.extra_threshold else 0
        return (1 if amount >= self.min_amount else 0) + extra


class Instance:
    """A member's instance of the card, numbered n (src/service/stamps.c)."""

    def __init__(self, n, stamps=0):
        self.n = n
        self.stamps = stamps
        self.status = "open"  # open, completed or expired (written when the next one opens)
        self.expires = 0  # 0: no limit
        self.returned = 0  # A completed card's stamps returned since (stamps_returned).


class PayPolicy:
    """Paying with points and wallet money (docs/ledger.md, "Paying with points";
    src/core/payment.c): `points` points are worth `amount` minor units."""

    def __init__(self, amount, points, min_points, max_percent, multiple, earns_points,
                 wallet_cashback):
        self.amount = amount
        self.points = points
        self.min_points = min_points
        self.max_percent = max_percent
        self.multiple = multiple
        self.earns_points = earns_points
        self.wallet_cashback = wallet_cashback  # wallet.payment_earns_cashback
        # Whole minor units need multiples of points / gcd(amount, points), and the policy's.
        whole = points // math.gcd(amount, points)
        self.step = multiple // math.gcd(multiple, whole) * whole

    def body(self):
        return {"point_value": {"amount": self.amount, "points": self.points},
                "points_payment": {"enabled": True, "min_points": self.min_points,
                                   "max_percent": self.max_percent, "multiple": self.multiple,
                                   "earns_points": self.earns_points}}

    def money(self, points):
        return points * self.amount // self.points

    def share(self, to_pay):
        """The most points may pay of what is left to pay, in minor units."""
        return to_pay * self.max_percent // 100

    def max_points(self, to_pay, spendable):
        """The cart's points_payment: the share, the points the member may spend, whole steps."""
        if to_pay <= 0:
            return 0
        points = min(self.share(to_pay) * self.points // self.amount, spendable)
        points -= points % self.step
        return points if points >= self.min_points and points > 0 else 0

    def earning(self, paid, points_money, wallet_money):
        """What earns of a cart that left `paid` to pay, paid `points_money` with points and
        `wallet_money` from the wallet (src/core/rules_evaluate.c, take_payments; one line):
        (what earns points, what earns cashback)."""
        points_money = min(points_money, paid)
        wallet_money = min(wallet_money, paid - points_money)
        left = paid if self.earns_points else paid - points_money
        return left, left - (0 if self.wallet_cashback else wallet_money)


class Model:
    def __init__(self, members, allow_negative=False, tiers=None, cashback_bp=0,
                 wallet_pending_days=0):
        self.allow_negative = allow_negative
        self.lots = {m: [] for m in members}
        self.owed = {m: 0 for m in members}
        self.earned = {m: 0 for m in members}
        self.redeemed = {m: 0 for m in members}
        self.expired = {m: 0 for m in members}
        self.purchases = {}
        self.redemptions = {}
        self.now = 0
        # Wallets.
        self.cashback_bp = cashback_bp
        self.wallet_pending_days = wallet_pending_days
        self.credits = {m: [] for m in members}
        self.wallet_owed = {m: 0 for m in members}
        self.credited = {m: 0 for m in members}
        self.spent = {m: 0 for m in members}
        self.debits = {}
        self.credit_seq = 0
        # Tiers, and the metric by member and month: [qualifying points, spend, purchases].
        self.tiers = tiers
        self.tier = {m: TierState() for m in members}
        self.metrics = {m: {} for m in members}
        self.status = {m: "active" for m in members}
        # Issue 18: coupons, the threshold bonus (the points it gave by member and UTC day),
        # the stamp card and each member's instances of it by number.
        self.rewards = []
        self.coupons = {}
        self.bonus = None
        self.bonus_day = {m: {} for m in members}
        self.card = None
        self.cards = {m: {} for m in members}
        # Paying with points and wallet money: the policy, and the debits purchases made
        # (only their returns give the money back).
        self.pay = None
        self.purchase_debits = {}

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

    # ---- The wallet (docs/wallets.md, src/service/wallet.c) ----

    def wallet_credit(self, m, amount, available_at):
        repaid = min(amount, self.wallet_owed[m])
        self.wallet_owed[m] -= repaid
        self.credited[m] += amount
        self.credit_seq += 1
        c = Credit(amount, amount - repaid, available_at, self.credit_seq)
        self.credits[m].append(c)
        return c

    def wallet_available(self, m):
        return sum(c.remaining for c in self.credits[m]
                   if c.remaining > 0 and c.available_at <= self.now)

    def wallet_take(self, m, amount):
        """Takes up to amount from the available credits, ordered by available_at then id."""
        takes = []
        for c in sorted((c for c in self.credits[m]
                         if c.remaining > 0 and c.available_at <= self.now),
                        key=lambda c: (c.available_at, c.seq)):
            if amount == 0:
                break
            t = min(c.remaining, amount)
            c.remaining -= t
            amount -= t
            takes.append((c, t))
        return takes

    def wallet_refund(self, m, amount):
        """wallet_payment_refund: a new credit available at once, repaying what the wallet owes
        first; money spent no more (lifetime_spent goes down, lifetime_credited stays)."""
        repaid = min(amount, self.wallet_owed[m])
        self.wallet_owed[m] -= repaid
        self.spent[m] -= amount
        self.credit_seq += 1
        self.credits[m].append(Credit(amount, amount - repaid, self.now, self.credit_seq))

    def wallet_spendable(self, m):
        """What a debit may take: the available money less what the wallet owes."""
        return max(0, self.wallet_available(m) - self.wallet_owed[m])

    def wallet(self, m):
        remaining = sum(c.remaining for c in self.credits[m])
        pending = sum(c.remaining for c in self.credits[m] if c.available_at > self.now)
        return {"balance": remaining - self.wallet_owed[m],
                "available": max(0, remaining - pending - self.wallet_owed[m]),
                "pending": pending,
                "owed": self.wallet_owed[m], "lifetime_credited": self.credited[m],
                "lifetime_spent": self.spent[m]}

    # ---- Tiers (docs/tiers.md, src/core/tiers.c, src/service/tiers.c) ----

    def metric_sum(self, m, first, last):
        index = {"qualifying_points": 0, "spend": 1, "purchases": 2}[self.tiers.metric]
        return sum(v[index] for month, v in self.metrics[m].items() if first <= month <= last)

    def metric_add(self, m, month, points, spend, purchases):
        v = self.metrics[m].setdefault(month, [0, 0, 0])
        v[0] += points
        v[1] += spend
        v[2] += purchases

    def current_value(self, m):
        month_now = month_of(self.now)
        return self.metric_sum(m, self.tiers.window_first(month_now),
                               self.tiers.window_last(month_now))

    def tier_purchase(self, m):
        """After a purchase's metric is counted: up at once when the window crosses a threshold."""
        if self.tiers is None:
            return
        s = self.tier[m]
        target = self.tiers.for_value(self.current_value(m))
        if target > s.position:
            s.position = target
            s.review_month = self.tiers.first_review(month_of(self.now))
            s.grace = False

    def tier_reviews(self):
        """POST /v1/jobs/tier-reviews: every review month that has come, in order."""
        counts = {"reviewed": 0, "kept": 0, "retained": 0, "downgraded": 0, "upgraded": 0}
        if self.tiers is None:
            return counts
        t = self.tiers
        month_now = month_of(self.now)
        for m, s in self.tier.items():
            while s.position > 0 and s.review_month <= month_now:
                reviewed = s.review_month - 1
                value = self.metric_sum(m, t.window_first(reviewed), reviewed)
                earned = t.for_value(value)
                next_review = s.review_month + t.length()
                if earned >= s.position:
                    position, grace = earned, False
                elif t.retain and not s.grace:
                    position, grace = s.position, True
                else:
                    position, grace = earned, False
                if self.status[m] == "closed":
                    s.review_month = next_review  # Closed members keep their standing.
                    continue
                counts["reviewed"] += 1
                start = s.position
                s.position, s.grace = position, grace
                s.review_month = next_review if position > 0 else 0
                # A late review ends as an on-time one would, then the current window counts.
                current = t.for_value(self.current_value(m))
                if current > s.position:
                    s.position, s.grace = current, False
                    s.review_month = t.first_review(month_now)
                if s.position < start:
                    counts["downgraded"] += 1
                elif s.position > start:
                    counts["upgraded"] += 1
                elif s.grace:
                    counts["retained"] += 1
                else:
                    counts["kept"] += 1
        return counts

    def tier_view(self, m):
        t = self.tiers
        s = self.tier[m]
        review = None
        if s.position > 0:
            reviewed = s.review_month - 1
            review = {"date": month_first_day(s.review_month),
                      "value": self.metric_sum(m, t.window_first(reviewed), reviewed),
                      "grace": s.grace}
        return {"tier": t.levels[s.position][0], "value": self.current_value(m),
                "review": review}

    # ---- Points given and taken back outside the purchase's own lot (src/service/ledger.c) ----

    def give(self, m, points, redeemed=False):
        """A lot available at once (stamp_reward; coupon_refund, which lowers what the member
        redeemed rather than raising what it earned), repaying a debt first."""
        if redeemed:
            self.redeemed[m] -= points
        else:
            self.earned[m] += points
        self.credit(m, points, self.now, add_months(self.now, EXPIRY_MONTHS))

    def take_back(self, m, points):
        """stamp_reward_return: from the available points, soonest-expiring first; the rest is
        owed."""
        t = min(self.spendable(m), points)
        if t > 0:
            self.take(m, t)
        self.owed[m] += points - t
        self.earned[m] -= points

    def points_restore(self, m, takes, points):
        """pt_svc_points_restore (src/service/redemptions.c): `points` of the takes [lot, taken,
        restored] put back in the order they were taken, each at most what it took less what
        was put back before; a live lot gets them again, an expired one sends them to expired.
        What the member owes is repaid first from what came back. Returns the expired part."""
        live = expired = 0
        left = points
        for take in takes:
            give = min(take[1] - take[2], left)
            if give <= 0:
                continue
            take[2] += give
            left -= give
            if take[0].expires <= self.now:
                expired += give
            else:
                take[0].remaining += give
                live += give
        assert left == 0
        self.redeemed[m] -= points
        self.expired[m] += expired
        repaid = min(self.owed[m], live)
        if repaid > 0:
            self.take(m, repaid)
            self.owed[m] -= repaid
        return expired, repaid

    # ---- Paying with points and wallet money (src/core/payment.c, src/service/carts.c) ----

    def payment_refusal(self, m, lines, to_pay, coupon_refusal):
        """What the API refuses of a purchase with these payment lines, in the order it checks
        them: each points line's size and step (pt_payments_prepare), what the wallet and the
        points may spend (cart_payments), the share and the total (pt_payments_settle), and
        only then the coupons (pt_svc_purchase_coupons, once the purchase is paid for).
        (code, field) or None."""
        pay = self.pay
        for i, ln in enumerate(lines):
            if ln["method"] == "points" and ln["points"] < pay.min_points:
                return "points_payment_too_small", "payments.%d.points" % i
            if ln["method"] == "points" and ln["points"] % pay.step:
                return "points_payment_not_a_multiple", "payments.%d.points" % i
        for i, ln in enumerate(lines):
            if ln["method"] == "wallet" and ln["amount"] > self.wallet_spendable(m):
                return "insufficient_funds", "payments.%d.amount" % i
        for i, ln in enumerate(lines):
            if ln["method"] == "points" and ln["points"] > self.spendable(m):
                return "insufficient_points", "payments.%d.points" % i
        for i, ln in enumerate(lines):
            if ln["method"] == "points" and pay.money(ln["points"]) > pay.share(to_pay):
                return "points_payment_too_large", "payments.%d.points" % i
        total = sum(pay.money(ln["points"]) if ln["method"] == "points" else ln["amount"]
                    for ln in lines)
        if total > to_pay:
            return "payments_exceed_total", "payments"
        if lines and total != to_pay:
            return "payments_mismatch", "payments"
        return None if coupon_refusal is None else (coupon_refusal, "coupons")

    def draw_payments(self, prng, m, to_pay):
        """How a till pays what is left to pay: now and then points (up to what the policy and
        the member allow) and wallet money (up to what the wallet may spend), the rest by card
        or card and cash, in a random order. None: no payments given."""
        pay = self.pay
        if to_pay <= 0 or prng.random() < 0.4:
            return None
        lines = []
        rest = to_pay
        most = pay.max_points(to_pay, self.spendable(m))
        if most > 0 and prng.random() < 0.8:
            least = -(-pay.min_points // pay.step) * pay.step
            points = prng.randrange(least, most + 1, pay.step)
            lines.append({"method": "points", "points": points})
            rest -= pay.money(points)
        wallet = min(self.wallet_spendable(m), rest)
        if wallet > 0 and prng.random() < 0.4:
            wallet = prng.randint(1, wallet)
            lines.append({"method": "wallet", "amount": wallet})
            rest -= wallet
        if rest > 0:
            cash = prng.randint(1, rest) if rest > 1 and prng.random() < 0.3 else 0
            lines.append({"method": "card", "amount": rest - cash, "reference": "auth"})
            if cash:
                lines.append({"method": "cash", "amount": cash})
        prng.shuffle(lines)
        return lines

    def spoil_payments(self, prng, m, to_pay, lines):
        """The same lines with one thing the API refuses (a till's mistake before it gets the
        payment right): points fewer than min_points, not whole steps, more than the share or
        than the member may spend, wallet money the wallet does not have, or lines that do not
        add up. Only what can happen in this cart and for this member is drawn."""
        pay = self.pay
        least = -(-pay.min_points // pay.step) * pay.step
        over_share = (pay.share(to_pay) * pay.points // pay.amount) // pay.step * pay.step
        while pay.money(over_share) <= pay.share(to_pay):
            over_share += pay.step
        over_share = max(least, over_share)
        kinds = ["short", "funds", "total"]
        if pay.min_points > 1:
            kinds.append("small")
        if pay.step > 1:
            kinds.append("step")
        kind = prng.choice(kinds)
        if over_share <= self.spendable(m) and prng.random() < 0.8:
            kind = "share"  # Only then: else it is refused as insufficient_points first.
        lines = [dict(ln) for ln in lines if not (
            kind in ("small", "step", "share", "short") and ln["method"] == "points" or
            kind == "funds" and ln["method"] == "wallet")]
        if kind == "small":
            lines.append({"method": "points", "points": prng.randint(1, pay.min_points - 1)})
        elif kind == "step":
            lines.append({"method": "points", "points": least + prng.randint(1, pay.step - 1)})
        elif kind == "share":
            lines.append({"method": "points", "points": over_share})
        elif kind == "short":
            short = max(least, (self.spendable(m) // pay.step + 1) * pay.step)
            lines.append({"method": "points", "points": short})
        elif kind == "funds":
            lines.append({"method": "wallet",
                          "amount": self.wallet_spendable(m) + prng.randint(1, 500)})
        else:
            card = [ln for ln in lines if ln["method"] in ("card", "cash")]
            if card and card[0]["amount"] > 1 and prng.random() < 0.5:
                card[0]["amount"] -= 1  # One cent short: payments_mismatch.
            else:
                lines.append({"method": "cash", "amount": prng.randint(1, 100)})  # Too much.
        prng.shuffle(lines)
        return lines

    # ---- Coupons in purchases (docs/rewards.md, src/service/coupons.c) ----

    def coupon_reason(self, c, m):
        if c.status == "redeemed":
            return "already_redeemed"
        if c.status == "cancelled":
            return "coupon_cancelled"
        if c.expires <= self.now:
            return "coupon_expired"
        return "coupon_not_yours" if c.member != m else None

    def coupons_of(self, m, amount, codes):
        """What each coupon takes off, in the order given, each on what the ones before it
        left; and the reason of the first that cannot be used (it refuses the purchase)."""
        left = amount
        discounts = []
        refusal = None
        for code in codes:
            c = self.coupons[code]
            reason = self.coupon_reason(c, m)
            taken = 0
            if reason is None:
                kind, value = c.reward.kind, c.reward.value
                if kind == "discount_amount":
                    taken = min(value, left)
                elif kind == "discount_percent":
                    taken = left * value // 10000
                if kind != "gift" and taken == 0:
                    reason = "nothing_to_discount"  # A gift takes nothing and is used.
            left -= taken
            discounts.append(taken)
            refusal = refusal or reason
        return discounts, refusal

    # ---- The stamp card (src/service/stamps.c) ----

    def card_view(self, m):
        """GET /v1/members/{id}/stamp-cards: the open card's stamps, and the completed ones."""
        inst = self.cards[m]
        last = inst[max(inst)] if inst else None
        stamps = last.stamps if last is not None and self.is_open(last) else 0
        return {"stamps": stamps,
                "completed": sum(1 for c in inst.values() if c.status == "completed")}

    def is_open(self, c):
        return c.status == "open" and (c.expires == 0 or c.expires > self.now)

    def start(self, c):
        c.expires = self.now + self.card.valid_days * DAY if self.card.valid_days else 0

    def add_stamps(self, m, gain):
        """A purchase's stamps on the open instance (a new one when the last is completed or
        out of time: its stamps are lost); each full one completes with its reward, the
        overflow opening the next. Returns the purchase's row (what its returns may take back:
        the stamps on the instance it left open, those in the ones it completed), the
        completions and the open instance's stamps."""
        inst = self.cards[m]
        c = Instance(1)
        if inst:
            last = inst[max(inst)]
            if self.is_open(last):
                c = last
            else:
                if last.status == "open":
                    last.status = "expired"
                c = Instance(last.n + 1)
        if c.stamps == 0:
            self.start(c)
        c.stamps += gain
        completed = 0
        while c.stamps >= self.card.required:
            overflow = c.stamps - self.card.required
            c.stamps = self.card.required
            c.status = "completed"
            inst[c.n] = c
            self.give(m, self.card.reward)
            completed += 1
            c = Instance(c.n + 1, overflow)
            self.start(c)
        if c.stamps > 0:
            inst[c.n] = c
        on_open = min(c.stamps, gain)
        row = {"stamps": gain, "card_n": c.n, "on_open": on_open, "completed": gain - on_open,
               "completed_returned": 0, "removed": 0}
        return row, completed, c.stamps

    def stamps_give_back(self, m, c, k):
        """k of a completed instance's stamps returned: the share of its reward they earned,
        floored over all its returns (all of it once every stamp is back)."""
        k = min(k, c.stamps - c.returned)
        if c.status != "completed" or k <= 0:
            return 0  # An expired card had given nothing.
        before = self.card.reward * c.returned // c.stamps
        after = self.card.reward * (c.returned + k) // c.stamps
        c.returned += k
        if after > before:
            self.take_back(m, after - before)
        return after - before

    def stamps_return(self, m, row, due):
        """A return that takes back `due` of the row's stamps in all: first those on the
        instance the purchase left open (off it while it is open, else from the reward of the
        card they completed since), then those in the cards it completed, the newest first.
        Returns the reward points taken back."""
        now = due - row["removed"]
        if now <= 0:
            return 0
        x = min(now, row["on_open"])
        y = now - x
        row["removed"] += now
        back = 0
        if x > 0:
            row["on_open"] -= x
            c = self.cards[m].get(row["card_n"])
            if c is not None and self.is_open(c):
                c.stamps -= min(x, c.stamps)
            elif c is not None:
                back += self.stamps_give_back(m, c, x)
        y = min(y, row["completed"] - row["completed_returned"])
        if y > 0:
            skip, left, n = row["completed_returned"], row["completed"], row["card_n"] - 1
            row["completed_returned"] += y
            while y > 0 and left > 0 and n >= 1:
                c = self.cards[m][n]
                n -= 1
                mine = min(c.stamps, left)  # The purchase's stamps in this card.
                left -= mine
                k = min(mine - skip, y)
                skip = max(0, skip - mine)
                if k > 0:
                    y -= k
                    back += self.stamps_give_back(m, c, k)
        return back


def tier_policy(rng, metric, calendar_year):
    """A random tier setting whose thresholds the members cross both ways."""
    if calendar_year:
        months, window = 0, "calendar_year"
    else:
        months = rng.choice([1, 2, 3, 4, 6])
        window = {"rolling_months": months}
    expected = PER_MONTH[metric] * (12 if months == 0 else months)
    levels = [("Member", 0, 1, 1)]
    threshold = 0
    for i in range(rng.randint(1, 3)):
        threshold = max(threshold + 1, int(expected * rng.uniform(0.25, 0.9) * (i + 1)))
        den = rng.choice([1, 2, 3, 100, 7])
        num = rng.randint(den, 3 * den)
        levels.append(("Level %d" % (i + 1), threshold, num, den))
    body = {"metric": metric, "window": window, "retain": rng.random() < 0.5,
            "levels": [{"name": n, "threshold": th,
                        "earn_multiplier": {"numerator": num, "denominator": den}}
                       for n, th, num, den in levels]}
    return Tiers(metric, months, body["retain"], levels), body


def setup_mechanics(c, rng, seed, model):
    """Issue 18's mechanics, each drawn from the seed: three rewards (an amount off, a percent
    off, a gift), the threshold bonus (on cart.amount for even seeds, on cart.remaining, after
    the coupons, for odd ones) and the stamp card with its rule of extra stamps."""
    for kind, value in (("discount_amount", rng.randint(300, 3000)),
                        ("discount_percent", rng.choice([500, 1000, 2500, 3333])),
                        ("gift", None)):
        body = {"name": kind, "type": kind, "cost_points": rng.randint(10, 80),
                "coupon_valid_days": rng.randint(20, 90)}
        if value is not None:
            body["value"] = value
        r = c.post("/v1/rewards", body)
        assert r.status == 201, r
        model.rewards.append(Reward(r.json["id"], kind, value, body["cost_points"],
                                    body["coupon_valid_days"]))
    fact = "cart.remaining" if seed % 2 else "cart.amount"
    # A member's second bonus of a day is cut to 50 points, and its third is not given: what
    # a return may take back of it is never more than it gave.
    r = c.post("/v1/rules", {"name": "100 over 50", "trigger": "purchase", "status": "active",
                             "conditions": {"gte": [fact, 5000]},
                             "effects": [{"type": "award_points", "points": 100}],
                             "max_points_per_member_per_day": 150})
    assert r.status == 201, r
    model.bonus = Bonus(r.json["id"], fact, 5000, 100, 150)
    required = rng.randint(3, 6)
    body = {"name": "Card", "stamps_required": required, "stamps_per": "purchase",
            "conditions": {"gte": ["cart.amount", 2000]},
            "reward": {"points": rng.randint(20, 80)},
            "valid_days": rng.choice([None, 15, 45])}
    r = c.post("/v1/stamp-cards", body)
    assert r.status == 201, r
    card_id = r.json["id"]
    r = c.post("/v1/rules", {"name": "Extra stamps over 120", "trigger": "purchase",
                             "status": "active", "conditions": {"gte": ["cart.amount", 12000]},
                             "effects": [{"type": "add_stamps", "card": card_id,
                                          "per": "purchase", "stamps": 2}]})
    assert r.status == 201, r
    model.card = Card(card_id, required, body["reward"]["points"], body["valid_days"], 2000,
                      r.json["id"], 12000, 2)


def run_model(dep, seed, steps, allow_negative=False):
    rng = random.Random(seed)
    c = dep.a
    metric = METRICS[(seed + (1 if allow_negative else 0)) % 3]
    tiers, tiers_body = tier_policy(rng, metric, seed % 4 == 2)
    cashback_bp = rng.randint(1, 1500)
    wallet_pending_days = rng.choice([0, 1, 3, 14])
    # The return window and its hold are tested in test_smaller_rules.py; here, as before them.
    assert c.patch("/v1/program", {"pending_days": PENDING_DAYS, "hold_returnable": False, "return_days": 0,
                                   "expiry": {"policy": "rolling", "months": EXPIRY_MONTHS},
                                   "allow_negative_balance": allow_negative}).status == 200
    r = c.patch("/v1/program", {"time_zone": "UTC", "tiers": tiers_body,
                                "wallet": {"pending_days": wallet_pending_days}})
    assert r.status == 200, r
    r = c.post("/v1/rules", {"name": "cashback", "trigger": "purchase", "status": "active",
                             "effects": [{"type": "cashback", "percent": cashback_bp / 100}]})
    assert r.status == 201, r
    cashback_rule = r.json["id"]
    now = 1767225600000  # 2026-01-01T00:00:00Z
    assert c.put("/v1/test/clock", {"now": iso(now)}).status == 200
    members = [c.post("/v1/members", {"email": unique("model") + "@example.com"}).json["id"]
               for _ in range(4)]
    model = Model(members, allow_negative, tiers, cashback_bp, wallet_pending_days)
    model.now = now
    setup_mechanics(c, rng, seed, model)
    # Paying with points and wallet money: the policy by seed (the three default runs see the
    # three), what points pay earning for even seeds only, wallet money earning cashback for
    # one seed in three; the payments drawn from a stream of their own, so that the other
    # operations stay as the seed drew them before.
    model.pay = PayPolicy(*PAY_POLICIES[(seed + (1 if allow_negative else 0)) % 3],
                          earns_points=seed % 2 == 0, wallet_cashback=seed % 3 == 2)
    prng = random.Random(seed * 7919 + 18)
    body = dict(model.pay.body(), wallet={"payment_earns_cashback": model.pay.wallet_cashback})
    r = c.patch("/v1/program", body)
    assert r.status == 200, r
    seen = collections.Counter()  # How often each of issue 18's cases came up.
    again = None
    # How busy each member is changes about once a month, so that members cross the tiers'
    # thresholds both ways.
    busy = [rng.uniform(0.2, 3) for _ in members]
    for step in range(steps):
        if rng.random() < 0.05:
            busy = [rng.uniform(0.2, 3) for _ in members]
        op = rng.choices(["buy", "return", "redeem", "cancel", "transfer", "adjust", "expire",
                          "debit", "debit_cancel", "review", "status", "reward", "coupon_cancel"],
                         [28, 15, 10, 6, 10, 10, 7, 12, 5, 6, 4, 12, 2])[0]
        m = rng.choices(members, busy)[0]
        if again is not None:
            # A buyer back minutes later: its second bonus of the day meets the day's cap.
            op, m, again = "buy", again, None
            now += rng.randint(1000, 600000)
        else:
            now += rng.randint(1000, 3 * DAY)
        model.now = now
        assert c.put("/v1/test/clock", {"now": iso(now)}).status == 200
        context = "seed %d step %d op %s" % (seed, step, op)
        active = model.status[m] == "active"
        stamped = None  # The member whose stamp card a purchase or a return moved.
        if op == "buy":
            amount = rng.randint(0, 20000)
            # The member's usable coupons, one or two in a random order; now and then any
            # coupon of the program, which the purchase may have to refuse. (Coupons are drawn
            # in the order they were issued: their codes are random, and a run is replayed from
            # its seed alone.)
            mine = [code for code, cp in model.coupons.items()
                    if cp.member == m and model.coupon_reason(cp, m) is None]
            codes = []
            if mine and rng.random() < 0.6:
                codes = rng.sample(mine, min(len(mine), rng.choice([1, 2, 2])))
            elif model.coupons and rng.random() < 0.08:
                codes = [rng.choice(list(model.coupons))]
            body = {"external_id": unique("p"), "member_id": m, "currency": "USD",
                    "amount": amount}
            if codes:
                body["coupons"] = codes
            discounts, refusal = model.coupons_of(m, amount, codes)
            # How it is paid: the lines add up to what the coupons left to pay (the till
            # evaluates the cart first).
            to_pay = amount - sum(discounts)
            lines = model.draw_payments(prng, m, to_pay)
            if lines is not None and active and prng.random() < 0.3:
                # The till gets it wrong first: refused, and nothing changes (what follows
                # finds every point and cent where the model has it).
                spoilt = model.spoil_payments(prng, m, to_pay, lines)
                code, field = model.payment_refusal(m, spoilt, to_pay, refusal)
                r = c.post("/v1/transactions", dict(body, external_id=unique("p"),
                                                    payments=spoilt))
                assert (r.status, r.error["code"], r.error["field"]) == \
                    (409 if code == "already_redeemed" else 422, code, field), \
                    (context, spoilt, r)
                seen["refused " + code] += 1
            if lines is not None:
                body["payments"] = lines
                refusal = model.payment_refusal(m, lines, to_pay, refusal)
            elif refusal is not None:
                refusal = refusal, "coupons"
            lines = lines or []
            if active and refusal is None and lines and prng.random() < 0.2:
                # The till's evaluation of the same cart, before the member spends anything.
                ev = dict(body)
                del ev["external_id"]
                ev = c.post("/v1/carts/evaluate", ev)
                most = model.pay.max_points(to_pay, model.spendable(m))
                assert ev.status == 200 and ev.json["to_pay"] == to_pay, (context, ev)
                assert ev.json["balance_due"] == 0, (context, ev.json)
                assert ev.json["points_payment"] == {"max_points": most,
                                                     "max_amount": model.pay.money(most)}, \
                    (context, ev.json)
                evaluated = ev.json
            else:
                evaluated = None
            r = c.post("/v1/transactions", body)
            if not active:
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            elif refusal is not None:
                code, field = refusal
                seen["refused " + code] += 1
                # The whole purchase is refused and nothing changes (compared below).
                status = 409 if code == "already_redeemed" else 422
                assert r.status == status and r.error["code"] == code, (context, r)
                assert r.error["field"] == field, (context, r)
            else:
                assert r.status == 201, (context, r)
                discount = sum(discounts)
                paid = amount - discount  # The tiers' spend follows it, whatever the tender.
                # What points and wallet money paid: taken before the purchase earns (what it
                # earns does not pay for itself), the points soonest-expiring first, the money
                # from the oldest available credits. What points pay earns neither points nor
                # cashback, and what wallet money pays no cashback, unless the program says so.
                payments = []
                takes = []
                points_money = wallet_money = 0
                for ln in lines:
                    row = {"method": ln["method"], "amount": ln.get("amount", 0),
                           "points": ln.get("points", 0), "refunded_amount": 0,
                           "refunded_points": 0}
                    if ln["method"] == "points":
                        row["amount"] = points_money = model.pay.money(ln["points"])
                        model.redeemed[m] += ln["points"]
                        takes = [[lot, t, 0] for lot, t in model.take(m, ln["points"])]
                        seen["points payment"] += 1
                        seen["points payment with a coupon"] += bool(codes)
                    elif ln["method"] == "wallet":
                        wallet_money = ln["amount"]
                        model.spent[m] += wallet_money
                        assert sum(t for _, t in model.wallet_take(m, wallet_money)) == \
                            wallet_money
                        seen["wallet payment"] += 1
                    payments.append(row)
                got = [(x["method"], x["amount"], x["points"]) for x in r.json["payments"]]
                assert got == [(x["method"], x["amount"], x["points"]) for x in payments], \
                    (context, r.json["payments"])
                earning, cashback_on = model.pay.earning(paid, points_money, wallet_money)
                level = tiers.levels[model.tier[m].position]
                base = earning // 100
                extra = base * level[2] // level[3] - base  # Earned at the tier before it.
                cashback = cashback_on * cashback_bp // 10000
                bonus = model.bonus
                day = iso(now)[:10]
                given = 0
                if (amount if bonus.fact == "cart.amount" else paid) >= bonus.threshold:
                    given = min(bonus.points, bonus.day_cap - model.bonus_day[m].get(day, 0))
                    model.bonus_day[m][day] = model.bonus_day[m].get(day, 0) + given
                points = base + extra + given
                stamps = model.card.stamps(amount)
                rules = {}  # The rules that gave something (cashback, points, stamps).
                if cashback > 0:
                    rules[cashback_rule] = (0, False)
                if given > 0:
                    rules[bonus.id] = (given, given < bonus.points)
                    seen["bonus cut by the day's cap"] += given < bonus.points
                if amount >= model.card.extra_threshold:
                    rules[model.card.rule_id] = (0, False)
                assert r.json["tier"] == level[0], (context, r.json["tier"])
                assert (r.json["discount"], r.json["base_points"], r.json["tier_points"],
                        r.json["points_earned"], r.json["cashback"]) == \
                    (discount, base, extra, points, cashback), (context, r.json)
                if evaluated is not None:  # Evaluate equals purchase.
                    assert (evaluated["points"], evaluated["cashback"]) == (points, cashback), \
                        (context, evaluated)
                got = {x["rule_id"]: (x["points"], x["capped"]) for x in r.json["rules"]}
                assert got == rules, (context, r.json["rules"])
                assert [(x["applied"], x["discount"]) for x in r.json["coupons"]] == \
                    [(True, d) for d in discounts], (context, r.json["coupons"])
                lot = None
                if points > 0:
                    model.earned[m] += points
                    lot = model.credit(m, points, now + PENDING_DAYS * DAY,
                                       add_months(now, EXPIRY_MONTHS))
                credit = None
                if cashback > 0:
                    credit = model.wallet_credit(m, cashback, now + wallet_pending_days * DAY)
                for code in codes:
                    model.coupons[code].status = "redeemed"
                    seen["coupon used"] += 1
                    seen[model.coupons[code].reward.kind] += 1
                seen["two coupons"] += len(codes) == 2
                month = month_of(now)
                model.metric_add(m, month, points, paid, 1)
                model.tier_purchase(m)
                row = None
                if stamps > 0:
                    row, completed, progress = model.add_stamps(m, stamps)
                    seen["card completed"] += completed
                    stamped = m
                    assert [(x["card_id"], x["stamps"], x["progress"], x["completed"])
                            for x in r.json["stamp_cards"]] == \
                        [(model.card.id, stamps, progress, completed)], context
                assert [(x["card_id"], x["stamps"]) for x in r.json["stamps"]] == \
                    ([(model.card.id, stamps)] if stamps else []), context
                if wallet_money:
                    # The purchase's debit, which only its returns give back (debit_cancel).
                    moves = c.get("/v1/members/%s/wallet" % m).json["movements"]
                    debit = [x for x in moves if x["type"] == "wallet_debit"][0]
                    assert debit["amount"] == -wallet_money, (context, debit)
                    model.purchase_debits[debit["reference"]] = m
                # What its returns give back in proportion to the amount returned, each with
                # the field of the return's answer: the points spent on its coupons. (Its
                # payment lines are given back by their own rule: "payments" below.)
                refunds = []
                coupon_points = sum(model.coupons[code].points for code in codes)
                if coupon_points > 0:
                    refunds.append({"field": "coupon_points_refunded", "points": coupon_points,
                                    "refunded": 0})
                if rng.random() < 0.15:
                    again = m
                model.purchases[r.json["id"]] = {
                    "member": m, "amount": amount, "points": points, "returned": 0,
                    "reversed": 0, "lot": lot, "cashback": cashback, "cashback_reversed": 0,
                    "credit": credit, "month": month, "level": level, "spend": paid,
                    "discount": discount,
                    # A rule, a card or a coupon: its returns evaluate what is kept again.
                    "facts": bool(rules) or stamps > 0 or bool(codes),
                    "bonus": given, "stamp_rule": model.card.rule_id in rules,
                    "stamps": row, "refunds": refunds,
                    # Its payment lines, what returns gave back of each, and the takes of its
                    # points line from the lots [lot, taken, put back].
                    "payments": payments, "takes": takes}
        elif op == "return" and model.purchases:
            # Mostly a purchase with something left to return (and then any, which may be all
            # returned already).
            pids = sorted(model.purchases)
            left_to_return = [x for x in pids
                              if model.purchases[x]["returned"] < model.purchases[x]["amount"]]
            if left_to_return and rng.random() < 0.7:
                pids = left_to_return
            pid = rng.choice(pids)
            p = model.purchases[pid]
            left = p["amount"] - p["returned"]
            amount = rng.randint(1, max(1, left + (5 if rng.random() < 0.1 else 0)))
            if left > 0 and rng.random() < 0.25:
                amount = left  # The rest: a full return takes back exactly what was given.
            r = c.post("/v1/transactions/%s/returns" % pid,
                       {"external_id": unique("r"), "amount": amount})
            if model.status[p["member"]] == "closed":  # Read-only until reopened.
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            elif amount > left:
                assert r.status == 422 and r.error["code"] == "return_exceeds_purchase", context
            else:
                assert r.status == 201, (context, r)
                total = p["returned"] + amount
                points = (p["points"] * total // p["amount"] if p["amount"] else 0) - p["reversed"]
                kept = p["amount"] - total
                level = p["level"]
                # The kept cart pays its share of what the coupons took off first (they are not
                # judged again): it earns on what is left of that.
                kept_paid = kept - p["discount"] * kept // p["amount"] if p["amount"] else 0
                # The kept cart is paid with what its returns do not give back of each line,
                # this one included: of what it no longer costs (paid_of less kept_paid), each
                # line's share floored (src/service/carts.c, kept_cart; rules_evaluate.c,
                # take_payments). What it keeps of the points line earns as the line did.
                paid_of = p["amount"] - p["discount"]
                gone = max(0, paid_of - kept_paid)
                kept_pay = {"points": 0, "wallet": 0}
                for x in p["payments"]:
                    if x["method"] in kept_pay:
                        kept_pay[x["method"]] = x["amount"] - x["amount"] * gone // paid_of
                kept_earning, kept_cashback_on = model.pay.earning(kept_paid, kept_pay["points"],
                                                                   kept_pay["wallet"])
                if p["facts"] and kept > 0:
                    # A purchase with a rule, a card or a coupon (docs/ledger.md, "Returns"):
                    # the rules that fired on it are evaluated again on the amount kept, at its
                    # tier, with the coupons' discount in proportion and without the rules'
                    # limits; each rule keeps at most what it gave. What the kept cart does not
                    # earn goes.
                    kept_points = (kept_earning // 100) * level[2] // level[3]
                    seen["kept cart paid with points"] += kept_pay["points"] > 0
                    fact = kept if model.bonus.fact == "cart.amount" else kept_paid
                    if p["bonus"] and fact >= model.bonus.threshold:
                        kept_points += min(model.bonus.points, p["bonus"])
                        seen["bonus kept, cut to what it gave"] += p["bonus"] < model.bonus.points
                    elif p["bonus"]:
                        seen["bonus gone with a return"] += 1
                    points = max(0, p["points"] - kept_points - p["reversed"])
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
                # The cashback in proportion, from the purchase's own credit first (pending or
                # not), then the other available credits oldest first; the rest is owed.
                due = p["cashback"] * total // p["amount"] if p["amount"] else 0
                if p["facts"] and kept > 0:
                    due = max(p["cashback_reversed"],
                              p["cashback"] - kept_cashback_on * cashback_bp // 10000)
                back = due - p["cashback_reversed"]
                owed = 0
                if back > 0:
                    p["cashback_reversed"] = due
                    model.credited[pm] -= back
                    rest = back
                    own = p["credit"]
                    if own is not None and own.remaining > 0:
                        t = min(own.remaining, rest)
                        own.remaining -= t
                        rest -= t
                    rest -= sum(t for _, t in model.wallet_take(pm, rest))
                    owed = rest
                    model.wallet_owed[pm] += owed
                assert (r.json["cashback_reversed"], r.json["cashback_owed"]) == (back, owed), \
                    context
                # What was paid in points comes back in proportion, floored over all returns:
                # a lot available at once, repaying a debt first.
                for f in p["refunds"]:
                    due = f["points"] * total // p["amount"]
                    back = due - f["refunded"]
                    if back > 0:
                        f["refunded"] = due
                        model.give(pm, back, redeemed=True)
                        seen["coupon_refund"] += 1
                    assert r.json[f["field"]] == back, (context, f)
                # Each payment line's share (src/service/returns.c, return_payments): in
                # proportion to the amount returned, or, when the kept cart was evaluated
                # again, to what it no longer costs; floored over all returns, the whole line on
                # a full return. Points go back into the lots they came from (expired ones to
                # expired), wallet money as a new credit available at once.
                of, returned = p["amount"], total
                if p["facts"] and kept > 0:
                    of, returned = paid_of, gone
                elif p["payments"] and kept > 0:
                    seen["payments returned in proportion to the amount"] += 1
                refunds = []
                refunded = {"points": 0, "wallet": 0}
                for x in p["payments"] if of > 0 else []:
                    back_amount = max(0, x["amount"] * returned // of - x["refunded_amount"])
                    back_points = max(0, x["points"] * returned // of - x["refunded_points"])
                    x["refunded_amount"] += back_amount
                    x["refunded_points"] += back_points
                    refunds.append({"method": x["method"], "amount": back_amount,
                                    "points": back_points})
                    if x["method"] == "points" and back_points > 0:
                        refunded["points"] = back_points
                        expired, repaid = model.points_restore(pm, p["takes"], back_points)
                        seen["points payment refunded"] += 1
                        seen["points paid expired before the return"] += expired > 0
                        seen["points payment refund repaid a debt"] += repaid > 0
                    if x["method"] == "wallet" and back_amount > 0:
                        refunded["wallet"] = back_amount
                        seen["wallet payment refund repaid a debt"] += model.wallet_owed[pm] > 0
                        model.wallet_refund(pm, back_amount)
                        seen["wallet payment refunded"] += 1
                assert r.json["refunds"] == refunds, (context, r.json["refunds"])
                assert (r.json["points_payment_refunded"], r.json["wallet_payment_refunded"]) \
                    == (refunded["points"], refunded["wallet"]), context
                spent_before = p["spend"] * (total - amount) // p["amount"]
                model.metric_add(pm, p["month"], -points,
                                 spent_before - p["spend"] * total // p["amount"],
                                 -1 if total == p["amount"] else 0)
                reward_back = 0
                row = p["stamps"]
                if row is not None:
                    # The stamps the kept cart does not earn (all of them on a full return),
                    # with the reward of the cards they completed.
                    if kept > 0:
                        due = row["stamps"] - min(row["stamps"],
                                                  model.card.stamps(kept, p["stamp_rule"]))
                    else:
                        due = row["stamps"]
                    reward_back = model.stamps_return(pm, row, due)
                    seen["stamp_reward_return"] += reward_back > 0
                    stamped = pm
                assert r.json["reward_points_reversed"] == reward_back, context
        elif op == "redeem":
            points = rng.randint(1, 120)
            r = c.post("/v1/members/%s/redemptions" % m, {"points": points, "reason": "model"})
            if not active:
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            elif model.spendable(m) >= points:
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
            if model.status[red["member"]] == "closed":
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            else:
                assert r.status == 200, (context, r)
                if not red["cancelled"]:
                    red["cancelled"] = True
                    # Back into the lots they came from, expired ones to expired, what the
                    # member owes repaid first (pt_svc_points_restore).
                    _, repaid = model.points_restore(
                        red["member"], [[lot, t, 0] for lot, t in red["takes"]], red["points"])
                    seen["redemption cancel repaid a debt"] += repaid > 0
        elif op == "transfer":
            to = rng.choice([x for x in members if x != m])
            points = rng.randint(1, 80)
            r = c.post("/v1/transfers", {"from_member_id": m, "to_member_id": to, "points": points})
            if not active or model.status[to] != "active":
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            elif model.spendable(m) >= points:
                assert r.status == 201, (context, r)
                for lot, t in model.take(m, points):
                    model.credit(to, t, now, lot.expires)
            else:
                assert r.status == 422, (context, r)
        elif op == "adjust":
            points = rng.choice([-1, 1]) * rng.randint(1, 60)
            r = c.post("/v1/members/%s/adjustments" % m, {"points": points, "reason": "model"})
            if model.status[m] == "closed":
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            elif points > 0:
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
            # The job writes down the coupons past their date (the till knew at once).
            expected = 0
            for cp in model.coupons.values():
                if cp.status == "active" and cp.expires <= now and not cp.expiry_written:
                    cp.expiry_written = True
                    seen["coupon expired"] += 1
                    expected += 1
            assert r.json["coupons_expired"] == expected, context
        elif op == "debit":
            # docs/wallets.md: what the wallet owes is not the member's to spend.
            available = model.wallet_spendable(m)
            x = rng.random()
            amount = (available if x < 0.3 else rng.randint(1, max(1, available + 50)) if x < 0.8
                      else rng.randint(1, 3000)) or 1
            before = model.wallet(m)
            r = c.post("/v1/members/%s/wallet/debits" % m, {"amount": amount, "reason": "model"})
            if not active:
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            elif amount > available:
                assert r.status == 422 and r.error["code"] == "insufficient_funds", (context, r)
                # The refusal changed nothing: the wallets are compared below.
            else:
                assert r.status == 201 and r.json["status"] == "completed", (context, r)
                model.spent[m] += amount
                takes = model.wallet_take(m, amount)
                assert sum(t for _, t in takes) == amount
                model.debits[r.json["id"]] = {"member": m, "amount": amount, "takes": takes,
                                              "cancelled": False}
                got = {k: r.json["wallet"][k] for k in before}
                assert got == model.wallet(m), context
        elif op == "debit_cancel" and model.purchase_debits and prng.random() < 0.25:
            # A purchase's debit: only the purchase's returns give its money back.
            did = prng.choice(sorted(model.purchase_debits))
            r = c.post("/v1/wallet-debits/%s/cancel" % did)
            if model.status[model.purchase_debits[did]] == "closed":
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            else:
                assert r.status == 409 and r.error["code"] == "debit_paid_purchase", (context, r)
                seen["refused debit_paid_purchase"] += 1
        elif op == "debit_cancel" and model.debits:
            did = rng.choice(sorted(model.debits))
            d = model.debits[did]
            r = c.post("/v1/wallet-debits/%s/cancel" % did)
            if model.status[d["member"]] == "closed":
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            else:
                assert r.status == 200 and r.json["status"] == "cancelled", (context, r)
                if not d["cancelled"]:
                    d["cancelled"] = True
                    model.spent[d["member"]] -= d["amount"]
                    # What the wallet owes meanwhile is repaid first; the rest goes back where it
                    # came from. (Which of the debit's credits keeps the repayment shows nowhere:
                    # they were all available when the debit took from them.)
                    owed = model.wallet_owed[d["member"]]
                    repay = min(owed, d["amount"])
                    model.wallet_owed[d["member"]] -= repay
                    for credit, t in d["takes"]:
                        keep = min(t, repay)
                        repay -= keep
                        credit.remaining += t - keep
                got = {k: r.json["wallet"][k] for k in model.wallet(d["member"])}
                assert got == model.wallet(d["member"]), context
        elif op == "review":
            r = c.post("/v1/jobs/tier-reviews", {})
            assert r.status == 200, (context, r)
            assert r.json == model.tier_reviews(), context
        elif op == "status":
            inactive = [x for x in members if model.status[x] != "active"]
            if inactive and rng.random() < 0.6:
                # Members come back more often than they leave, so that most of the time most
                # of them can buy (a status flipped at random would leave half of them out).
                m, active = rng.choice(inactive), False
            status = "active" if not active else rng.choice(["closed", "suspended"])
            if model.status[m] == "closed":  # Only an explicit reopen opens a closed member.
                r = c.post("/v1/members/%s/reopen" % m)
            else:
                r = c.patch("/v1/members/%s" % m, {"status": status})
            assert r.status == 200 and r.json["status"] == status, (context, r)
            model.status[m] = status
        elif op == "reward":
            # Rewards of the catalog redeemed into coupons (one, or two at once): their points
            # spent as redemptions.
            for rw in rng.sample(model.rewards, rng.choice([1, 1, 2])):
                r = c.post("/v1/members/%s/rewards/%s/redeem" % (m, rw.id))
                if not active:
                    assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
                elif model.spendable(m) >= rw.cost:
                    assert r.status == 201, (context, r)
                    model.redeemed[m] += rw.cost
                    cp = Coupon(r.json["code"], m, rw, model.take(m, rw.cost),
                                now + rw.valid_days * DAY)
                    model.coupons[cp.code] = cp
                    assert r.json["expires_at"] == iso(cp.expires), (context, r.json)
                else:
                    assert r.status == 422 and r.error["code"] == "insufficient_points", \
                        (context, r)
        elif op == "coupon_cancel" and model.coupons:
            cp = model.coupons[rng.choice(list(model.coupons))]
            r = c.post("/v1/coupons/%s/cancel" % cp.code)
            if model.status[cp.member] == "closed":
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            elif cp.status == "cancelled":
                assert r.status == 200, (context, r)  # Twice changes nothing.
            elif cp.status == "redeemed":
                assert r.status == 409 and r.error["code"] == "already_redeemed", (context, r)
            elif cp.expires <= now:
                assert r.status == 422 and r.error["code"] == "coupon_expired", (context, r)
            else:
                # The points back into the lots they came from, as a redemption's cancel.
                assert r.status == 200 and r.json["status"] == "cancelled", (context, r)
                cp.status = "cancelled"
                seen["coupon cancelled"] += 1
                model.points_restore(cp.member, [[lot, t, 0] for lot, t in cp.takes], cp.points)
        if stamped is not None:
            view = [v for v in c.get("/v1/members/%s/stamp-cards" % stamped).json["data"]
                    if v["card_id"] == model.card.id][0]
            assert {"stamps": view["stamps"], "completed": view["completed"]} == \
                model.card_view(stamped), (context, view)
        for mm in members:
            got = c.get("/v1/members/%s/balance" % mm).json
            got = {k: got[k] for k in model.balance(mm)}
            assert got == model.balance(mm), (context, mm)
            got = c.get("/v1/members/%s/wallet" % mm).json
            got = {k: got[k] for k in model.wallet(mm)}
            assert got == model.wallet(mm), (context, mm)
            got = c.get("/v1/members/%s/tier" % mm).json
            review = got["review"] and {k: got["review"][k] for k in ("date", "value", "grace")}
            got = {"tier": got["tier"]["name"], "value": got["value"], "review": review}
            assert got == model.tier_view(mm), (context, mm)
        if step % AUDIT_EVERY == AUDIT_EVERY - 1 or step == steps - 1:
            # Each audit starts a process of the sanitizer build (0.12 s on an idle machine);
            # after every step that was 1,250 of them per engine.
            out = run_cli("audit", "--db", dep.db, check=False)
            since = "a violation since step %d" % (step // AUDIT_EVERY * AUDIT_EVERY)
            assert out.returncode == 0, (context, since, out.stderr)
    print("seed %d: %s" % (seed, sorted(seen.items())))  # Shown with -s, or on a failure.
    return seen


SEEDS = [int(os.environ["PATRON_MODEL_SEED"])] if "PATRON_MODEL_SEED" in os.environ else [1, 2]
STEPS = int(os.environ.get("PATRON_MODEL_STEPS", "500"))
AUDIT_EVERY = max(1, int(os.environ.get("PATRON_MODEL_AUDIT_EVERY", "10")))


# What each default run sees of issue 18's cases at least once (the two runs of STEPS, also the
# rarer ones): a change of the operation mix that loses one fails here instead of testing less
# unseen.
COVERED = ["coupon used", "coupon_refund", "bonus cut by the day's cap", "bonus gone with a return",
           "card completed", "stamp_reward_return", "coupon expired", "points payment",
           "wallet payment", "points payment refunded", "points paid expired before the return",
           "kept cart paid with points", "wallet payment refunded",
           "refused debit_paid_purchase"]
# And what the two runs of STEPS see besides: every refusal of a purchase's payments, and a
# wallet refund that repays what the wallet owes.
COVERED_LONG = ["two coupons", "bonus kept, cut to what it gave",
                "wallet payment refund repaid a debt"] + [
    "refused " + code for code in ("points_payment_too_small", "points_payment_not_a_multiple",
                                   "points_payment_too_large", "insufficient_points",
                                   "insufficient_funds", "payments_exceed_total",
                                   "payments_mismatch")]
DEFAULT_RUN = "PATRON_MODEL_SEED" not in os.environ and "PATRON_MODEL_STEPS" not in os.environ


def covered(seen, *more):
    if DEFAULT_RUN:
        missing = [case for case in COVERED + list(more) if not seen[case]]
        assert not missing, (missing, sorted(seen.items()))


@pytest.mark.parametrize("seed", SEEDS)
def test_ledger_matches_model(fresh, seed):
    covered(run_model(fresh, seed, STEPS), *COVERED_LONG)


def test_ledger_matches_model_with_negative_balances(fresh):
    """The same, in a program that lets balances go below zero (owed shown as negative)."""
    covered(run_model(fresh, SEEDS[0] + 100, STEPS // 2, allow_negative=True))


def test_points_payment_refund_goes_back_in_the_order_taken(fresh):
    """Found by the model (seed 10, PATRON_MODEL_STEPS=1000, step 28): a partial return of a
    purchase paid with points puts them back "in the order they were taken" (redemptions.c,
    takes_restore), which is soonest-expiring first. A lot received by transfer keeps the
    sender's earlier expiry though it is created later, so it is taken first; the return must
    give back to it first, and since it has expired, those points go to expired. The store
    reads the takes ORDER BY lot_id, the order the lots were created, and gives them to the
    later-expiring lot instead, live."""
    c = fresh.a

    def set_clock(when):
        r = c.put("/v1/test/clock", {"now": when})
        assert r.status == 200, r

    set_clock("2026-01-01T00:00:00Z")
    r = c.patch("/v1/program", {"pending_days": 0, "hold_returnable": False, "return_days": 0,
                                "expiry": {"policy": "rolling", "months": 1},
                                "point_value": {"amount": 1, "points": 1},
                                "points_payment": {"enabled": True, "min_points": 1,
                                                   "max_percent": 100, "multiple": 1}})
    assert r.status == 200, r
    ada, bob = [c.post("/v1/members", {"email": unique("order") + "@example.com"}).json["id"]
                for _ in range(2)]

    def buy(member, amount, payments=None):
        body = {"external_id": unique("p"), "member_id": member, "currency": "USD",
                "amount": amount}
        if payments:
            body["payments"] = payments
        r = c.post("/v1/transactions", body)
        assert r.status == 201, r
        return r.json

    buy(bob, 5000)  # 50 points, expiring on 1 February.
    set_clock("2026-01-11T00:00:00Z")
    buy(ada, 10000)  # Ada's own 100, expiring on 11 February.
    set_clock("2026-01-12T00:00:00Z")
    r = c.post("/v1/transfers", {"from_member_id": bob, "to_member_id": ada, "points": 50})
    assert r.status == 201, r  # Ada's lot of 50, created now, expiring on 1 February.
    # 120 points pay 1.20: the 50 expiring first, then 70 of her own. She earns 198.
    p = buy(ada, 20000, [{"method": "points", "points": 120},
                         {"method": "card", "amount": 19880}])
    assert p["points_earned"] == 198, p
    set_clock("2026-02-05T00:00:00Z")
    # Half returned: 60 of the points come back, the 50 of the transferred lot first (expired:
    # to expired), then 10 of her own; 99 of the 198 earned are taken back.
    r = c.post("/v1/transactions/%s/returns" % p["id"], {"external_id": unique("r"),
                                                         "amount": 10000})
    assert r.status == 201, r
    assert (r.json["points_payment_refunded"], r.json["points_reversed"]) == (60, 99), r.json
    b = c.get("/v1/members/%s/balance" % ada).json
    got = {k: b[k] for k in ("available", "lifetime_expired")}
    # Expected: her lot of 30 + 10 back, and 99 of the 198; 50 expired.
    # (Got before a fix: 30 + 60 + 99 = 189 available, nothing expired.)
    assert got == {"available": 30 + 10 + 99, "lifetime_expired": 50}, b
