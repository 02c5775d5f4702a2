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
reward of the cards they completed (stamp_reward_return).

After every step the API's balances, wallets and tiers of every member equal the model's (and,
after a purchase or a return, the member's stamp card), and every AUDIT_EVERY steps and after
the last one `patron audit` passes on the database (the audit checks lasting invariants of the
stored ledger, so a violation shows at the next audit; the failure names the steps since the
last good one). The seed is printed on failure; PATRON_MODEL_SEED, PATRON_MODEL_STEPS and
PATRON_MODEL_AUDIT_EVERY (1 to pin a failure to its step) override the defaults.
"""
import calendar
import datetime
import os
import collections
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
            r = c.post("/v1/transactions", body)
            discounts, refusal = model.coupons_of(m, amount, codes)
            if not active:
                assert r.status == 422 and r.error["code"] == "member_inactive", (context, r)
            elif refusal is not None:
                seen["refused " + refusal] += 1
                # The whole purchase is refused and nothing changes (compared below).
                status = 409 if refusal == "already_redeemed" else 422
                assert r.status == status and r.error["code"] == refusal, (context, r)
                assert r.error["field"] == "coupons", (context, r)
            else:
                assert r.status == 201, (context, r)
                discount = sum(discounts)
                paid = amount - discount  # Points, cashback and the tiers' spend follow it.
                level = tiers.levels[model.tier[m].position]
                base = paid // 100
                extra = base * level[2] // level[3] - base  # Earned at the tier before it.
                cashback = paid * cashback_bp // 10000
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
                # What its returns give back in proportion to the amount returned, each with
                # the field of the return's answer: the points spent on its coupons. (Points
                # paid as a tender would be one more, refunded through the same path.)
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
                    "stamps": row, "refunds": refunds}
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
                if p["facts"] and kept > 0:
                    # A purchase with a rule, a card or a coupon (docs/ledger.md, "Returns"):
                    # the rules that fired on it are evaluated again on the amount kept, at its
                    # tier, with the coupons' discount in proportion and without the rules'
                    # limits; each rule keeps at most what it gave. What the kept cart does not
                    # earn goes.
                    kept_points = (kept_paid // 100) * level[2] // level[3]
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
                              p["cashback"] - kept_paid * cashback_bp // 10000)
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
                model.redeemed[cp.member] -= cp.points
                for lot, t in cp.takes:
                    if lot.expires <= now:
                        model.expired[cp.member] += t
                    else:
                        lot.remaining += t
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
    return seen


SEEDS = [int(os.environ["PATRON_MODEL_SEED"])] if "PATRON_MODEL_SEED" in os.environ else [1, 2]
STEPS = int(os.environ.get("PATRON_MODEL_STEPS", "500"))
AUDIT_EVERY = max(1, int(os.environ.get("PATRON_MODEL_AUDIT_EVERY", "10")))


# What each default run sees of issue 18's cases at least once (the two runs of STEPS, also the
# rarer ones): a change of the operation mix that loses one fails here instead of testing less
# unseen.
COVERED = ["coupon used", "coupon_refund", "bonus cut by the day's cap", "bonus gone with a return",
           "card completed", "stamp_reward_return", "coupon expired"]
DEFAULT_RUN = "PATRON_MODEL_SEED" not in os.environ and "PATRON_MODEL_STEPS" not in os.environ


def covered(seen, *more):
    if DEFAULT_RUN:
        missing = [case for case in COVERED + list(more) if not seen[case]]
        assert not missing, (missing, sorted(seen.items()))


@pytest.mark.parametrize("seed", SEEDS)
def test_ledger_matches_model(fresh, seed):
    covered(run_model(fresh, seed, STEPS), "two coupons", "bonus kept, cut to what it gave")


def test_ledger_matches_model_with_negative_balances(fresh):
    """The same, in a program that lets balances go below zero (owed shown as negative)."""
    covered(run_model(fresh, SEEDS[0] + 100, STEPS // 2, allow_negative=True))
