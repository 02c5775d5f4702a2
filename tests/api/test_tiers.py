# SPDX-License-Identifier: MIT
"""Status tiers on the test clock: a member moves up on the purchase that crosses a threshold,
never down in the middle of a window, and at the review down (or, with retain, one window
later); the tier's earn multiplier is exact; rules can test member.tier; the review job run twice
changes nothing twice; bad settings are refused and change nothing."""
import threading

import pytest

import conftest
from conftest import STORE, Client, new_member, unique

START = "2026-03-02T10:00:00Z"

SPEND_TIERS = {
    "metric": "spend",
    "window": {"rolling_months": 12},
    "retain": False,
    "levels": [
        {"name": "Member", "threshold": 0},
        {"name": "Silver", "threshold": 50000,
         "earn_multiplier": {"numerator": 125, "denominator": 100},
         "perks": ["Free shipping", "Birthday gift"]},
        {"name": "Gold", "threshold": 100000,
         "earn_multiplier": {"numerator": 3, "denominator": 2}},
    ],
}


def set_clock(client, when):
    r = client.put("/v1/test/clock", {"now": when})
    assert r.status == 200, r


@pytest.fixture
def shop(fresh):
    set_clock(fresh.a, START)
    r = fresh.a.patch("/v1/program", {"earn_rate": {"points": 1, "per_amount": 100},
                                      "tiers": SPEND_TIERS})
    assert r.status == 200, r
    return fresh


def buy(client, member, amount, **kw):
    body = {"external_id": unique("r"), "member_id": member, "currency": "USD",
            "amount": amount}
    body.update(kw)
    r = client.post("/v1/transactions", body)
    assert r.status == 201, r
    return r.json


def give_back(client, purchase, amount):
    r = client.post("/v1/transactions/%s/returns" % purchase["id"],
                    {"external_id": unique("ret"), "amount": amount})
    assert r.status == 201, r
    return r.json


def tier(client, member):
    r = client.get("/v1/members/%s/tier" % member)
    assert r.status == 200, r
    return r.json


def reviews(client):
    r = client.post("/v1/jobs/tier-reviews", {})
    assert r.status == 200, r
    return r.json


def events_of(client, kind, member):
    r = client.get("/v1/events?limit=200")
    assert r.status == 200, r
    return [e for e in r.json["data"] if e["type"] == kind and e["member_id"] == member]


def test_settings_round_trip_and_bad_settings_change_nothing(shop):
    got = shop.a.get("/v1/program").json["tiers"]
    assert got["metric"] == "spend" and got["window"] == {"rolling_months": 12}
    assert [t["name"] for t in got["levels"]] == ["Member", "Silver", "Gold"]
    assert got["levels"][1]["earn_multiplier"] == {"numerator": 125, "denominator": 100}
    assert got["levels"][1]["perks"] == ["Free shipping", "Birthday gift"]
    assert got["levels"][0]["earn_multiplier"] == {"numerator": 1, "denominator": 1}

    def levels(*lv):
        return dict(SPEND_TIERS, levels=list(lv))

    bad = [
        (dict(SPEND_TIERS, metric="visits"), "tiers.metric"),
        (dict(SPEND_TIERS, window={"rolling_months": 0}), "tiers.window.rolling_months"),
        (dict(SPEND_TIERS, window={"rolling_months": 37}), "tiers.window.rolling_months"),
        (dict(SPEND_TIERS, window="fortnight"), "tiers.window"),
        (dict(SPEND_TIERS, retain="yes"), "tiers.retain"),
        (dict(SPEND_TIERS, levels=[]), "tiers.levels"),
        (levels({"name": "A", "threshold": 5}), "tiers.levels.0.threshold"),
        (levels({"name": "A", "threshold": 0}, {"name": "B", "threshold": 0}),
         "tiers.levels.1.threshold"),
        (levels({"name": "A", "threshold": 0}, {"name": "A", "threshold": 10}),
         "tiers.levels.1.name"),
        (levels({"name": "A", "threshold": 0},
                {"name": "B", "threshold": 10,
                 "earn_multiplier": {"numerator": 9, "denominator": 10}}),
         "tiers.levels.1.earn_multiplier"),
        (levels({"name": "A", "threshold": 0},
                {"name": "B", "threshold": 10, "earn_multiplier": 1.25}),
         "tiers.levels.1.earn_multiplier"),
        (levels({"name": "A", "threshold": 0, "perks": "free coffee"}), "tiers.levels.0.perks"),
        (levels({"name": "A", "threshold": 0, "perks": ["two\nlines"]}),
         "tiers.levels.0.perks.0"),
        (levels({"name": "", "threshold": 0}), "tiers.levels.0.name"),
        (levels(*[{"name": "T%d" % i, "threshold": i} for i in range(11)]), "tiers.levels"),
        (dict(SPEND_TIERS, colour="blue"), "colour"),
    ]
    for body, field in bad:
        r = shop.a.patch("/v1/program", {"tiers": body})
        assert r.status == 400, (body, r)
        assert r.json["error"]["field"] == field, (body, r.json)
    assert shop.a.get("/v1/program").json["tiers"] == got
    member = new_member(shop.a)["id"]
    assert tier(shop.a, member)["tier"]["name"] == "Member"


def test_no_tiers_is_a_clear_404(fresh):
    member = new_member(fresh.a)["id"]
    r = fresh.a.get("/v1/members/%s/tier" % member)
    assert r.status == 404 and r.json["error"]["code"] == "tiers_not_configured"
    r = fresh.a.get("/v1/members/mem_nobody/tier")
    assert r.status == 404 and r.json["error"]["code"] == "not_found"
    assert fresh.a.patch("/v1/program", {"tiers": SPEND_TIERS}).status == 200
    assert fresh.a.patch("/v1/program", {"tiers": None}).status == 200
    assert fresh.a.get("/v1/program").json["tiers"] is None


def test_up_on_the_crossing_purchase_with_the_multiplier_after_it(shop):
    member = new_member(shop.a)["id"]
    view = tier(shop.a, member)
    assert view["tier"]["name"] == "Member" and view["value"] == 0
    assert view["window"] == {"from": "2025-04-01", "to": "2026-03-31"}
    assert view["next"]["name"] == "Silver" and view["next"]["missing"] == 50000
    assert view["review"] is None

    first = buy(shop.a, member, 30000)
    assert first["points_earned"] == 300 and first["tier_points"] == 0
    assert first["tier"] == "Member"
    view = tier(shop.a, member)
    assert view["value"] == 30000 and view["next"]["missing"] == 20000
    assert view["next"]["text"] == "spend 200.00 USD more by 2026-03-31 to reach Silver"

    # The crossing purchase earns at the old rate; the member is Silver at once.
    crossing = buy(shop.a, member, 25000)
    assert crossing["tier"] == "Member" and crossing["points_earned"] == 250
    view = tier(shop.a, member)
    assert view["tier"]["name"] == "Silver" and view["tier"]["perks"] == ["Free shipping",
                                                                         "Birthday gift"]
    assert view["since"] == START
    assert view["review"]["date"] == "2027-03-01" and view["review"]["grace"] is False
    assert view["next"] == {"name": "Gold", "threshold": 100000, "missing": 45000,
                            "by": "2026-03-31",
                            "text": "spend 450.00 USD more by 2026-03-31 to reach Gold"}
    assert [(h["from"], h["to"], h["reason"], h["value"]) for h in view["history"]] == [
        ("Member", "Silver", "purchase", 55000)]
    ups = events_of(shop.a, "tier.upgraded", member)
    assert len(ups) == 1 and ups[0]["data"]["to"] == "Silver"
    assert ups[0]["data"]["review_date"] == "2027-03-01"

    # 125/100 on the base earning, floored once: 333 base points give 416.
    after = buy(shop.a, member, 33333)
    assert after["tier"] == "Silver"
    assert after["base_points"] == 333 and after["tier_points"] == 83
    assert after["points_earned"] == 416
    assert shop.a.get("/v1/members/%s/balance" % member).json["lifetime_earned"] == 300 + 250 + 416


def test_no_mid_window_downgrade_and_down_at_the_review(shop):
    member = new_member(shop.a)["id"]
    big = buy(shop.a, member, 60000)
    assert tier(shop.a, member)["tier"]["name"] == "Silver"
    # A full return lowers the metric at once, the tier only at the review.
    give_back(shop.a, big, 60000)
    view = tier(shop.a, member)
    assert view["tier"]["name"] == "Silver" and view["value"] == 0
    assert view["review"]["missing"] == 50000
    assert view["review"]["text"] == ("spend 500.00 USD more by 2027-02-28 to keep Silver at "
                                      "the review on 2027-03-01")
    # Months pass; the review job runs every day; nothing moves before the review month.
    for when in ("2026-06-15T00:00:00Z", "2026-12-31T23:00:00Z", "2027-02-28T23:59:00Z"):
        set_clock(shop.a, when)
        assert reviews(shop.a)["reviewed"] == 0
        assert tier(shop.a, member)["tier"]["name"] == "Silver"
    set_clock(shop.a, "2027-03-01T00:30:00Z")
    assert reviews(shop.a) == {"reviewed": 1, "kept": 0, "retained": 0, "downgraded": 1,
                               "upgraded": 0}
    assert reviews(shop.a)["reviewed"] == 0  # Twice changes nothing twice.
    view = tier(shop.a, member)
    assert view["tier"]["name"] == "Member" and view["review"] is None
    downs = events_of(shop.a, "tier.downgraded", member)
    assert len(downs) == 1 and downs[0]["data"]["from"] == "Silver"
    assert downs[0]["data"]["to"] == "Member" and downs[0]["data"]["reason"] == "review"
    assert view["history"][0]["reason"] == "review"


def test_kept_at_the_review_and_reviewed_a_window_later(shop):
    member = new_member(shop.a)["id"]
    buy(shop.a, member, 55000)  # Silver, review 2027-03-01 on March 2026 .. February 2027.
    set_clock(shop.a, "2027-01-10T12:00:00Z")
    buy(shop.a, member, 10000)
    set_clock(shop.a, "2027-03-02T00:00:00Z")
    assert reviews(shop.a)["kept"] == 1
    view = tier(shop.a, member)
    assert view["tier"]["name"] == "Silver" and view["review"]["date"] == "2028-03-01"
    assert view["review"]["value"] == 0 and view["review"]["missing"] == 50000
    # The next review judges March 2027 .. February 2028 only.
    set_clock(shop.a, "2027-04-10T12:00:00Z")
    buy(shop.a, member, 10000)
    view = tier(shop.a, member)
    assert view["review"]["value"] == 10000 and view["review"]["missing"] == 40000
    # The current window (May 2026 .. April 2027) no longer holds March 2026's 550.00.
    assert view["value"] == 20000 and view["window"]["from"] == "2026-05-01"



def test_retain_keeps_the_tier_one_more_window(shop):
    assert shop.a.patch("/v1/program", {"tiers": dict(SPEND_TIERS, retain=True)}).status == 200
    member = new_member(shop.a)["id"]
    buy(shop.a, member, 120000)
    assert tier(shop.a, member)["tier"]["name"] == "Gold"
    set_clock(shop.a, "2027-03-01T08:00:00Z")
    assert reviews(shop.a)["kept"] == 1  # The window Mar 2026..Feb 2027 held 1,200.00.
    set_clock(shop.a, "2028-03-01T08:00:00Z")
    assert reviews(shop.a) == {"reviewed": 1, "kept": 0, "retained": 1, "downgraded": 0,
                               "upgraded": 0}
    view = tier(shop.a, member)
    assert view["tier"]["name"] == "Gold" and view["review"]["grace"] is True
    assert view["review"]["date"] == "2029-03-01"
    assert view["history"][0]["reason"] == "retained"
    # A whole window without purchases: the grace is used, down to what the window earned.
    set_clock(shop.a, "2028-07-01T08:00:00Z")
    buy(shop.a, member, 70000)  # Silver's worth; the member is Gold already.
    set_clock(shop.a, "2029-03-01T08:00:00Z")
    assert reviews(shop.a)["downgraded"] == 1
    view = tier(shop.a, member)
    assert view["tier"]["name"] == "Silver" and view["review"]["grace"] is False


def test_a_late_review_catches_up_one_window_at_a_time(shop):
    member = new_member(shop.a)["id"]
    buy(shop.a, member, 150000)
    assert tier(shop.a, member)["tier"]["name"] == "Gold"
    # The job did not run for three years: each window is reviewed once, in order.
    set_clock(shop.a, "2029-05-01T00:00:00Z")
    out = reviews(shop.a)
    assert out["reviewed"] == 2 and out["kept"] == 1 and out["downgraded"] == 1
    assert tier(shop.a, member)["tier"]["name"] == "Member"
    assert reviews(shop.a)["reviewed"] == 0


def test_calendar_year_and_purchases_metric(fresh):
    set_clock(fresh.a, "2026-11-20T10:00:00Z")
    policy = {"metric": "purchases", "window": "calendar_year",
              "levels": [{"name": "Regular", "threshold": 0},
                         {"name": "Friend", "threshold": 3}]}
    assert fresh.a.patch("/v1/program", {"tiers": policy}).status == 200
    member = new_member(fresh.a)["id"]
    buys = [buy(fresh.a, member, 500) for _ in range(2)]
    view = tier(fresh.a, member)
    assert view["window"] == {"from": "2026-01-01", "to": "2026-12-31"}
    assert view["next"]["text"] == "make 1 more purchase by 2026-12-31 to reach Friend"
    buy(fresh.a, member, 500)
    view = tier(fresh.a, member)
    assert view["tier"]["name"] == "Friend" and view["review"]["date"] == "2027-01-01"
    # A fully returned purchase no longer counts; a partly returned one does.
    give_back(fresh.a, buys[0], 500)
    give_back(fresh.a, buys[1], 100)
    assert tier(fresh.a, member)["value"] == 2
    set_clock(fresh.a, "2027-01-01T00:10:00Z")
    assert reviews(fresh.a)["downgraded"] == 1
    assert tier(fresh.a, member)["window"] == {"from": "2027-01-01", "to": "2027-12-31"}


def test_qualifying_points_metric_and_rules_on_member_tier(fresh):
    set_clock(fresh.a, START)
    policy = {"metric": "qualifying_points", "window": {"rolling_months": 6},
              "levels": [{"name": "Blue", "threshold": 0},
                         {"name": "Black", "threshold": 100,
                          "earn_multiplier": {"numerator": 2, "denominator": 1}}]}
    assert fresh.a.patch("/v1/program", {"earn_rate": {"points": 1, "per_amount": 100},
                                         "tiers": policy}).status == 200
    r = fresh.a.post("/v1/rules", {"name": "Black bonus", "trigger": "purchase",
                                   "status": "active",
                                   "conditions": {"eq": ["member.tier", "Black"]},
                                   "effects": [{"type": "award_points", "points": 7}]})
    assert r.status == 201, r
    member = new_member(fresh.a)["id"]
    cart = {"member_id": member, "currency": "USD", "amount": 5000}
    ev = fresh.a.post("/v1/carts/evaluate", cart).json
    assert ev["tier"] == "Blue" and ev["points"] == 50 and ev["rules"] == []
    buy(fresh.a, member, 6000)  # 60 qualifying points
    assert tier(fresh.a, member)["tier"]["name"] == "Blue"
    buy(fresh.a, member, 4000)  # 100: Black
    ev = fresh.a.post("/v1/carts/evaluate", cart).json
    assert ev["tier"] == "Black" and ev["tier_points"] == 50
    assert [x["name"] for x in ev["rules"]] == ["Black bonus"]
    got = buy(fresh.a, member, 5000)
    assert got["points_earned"] == ev["points"] == 50 + 50 + 7
    view = tier(fresh.a, member)
    assert view["value"] == 60 + 40 + 107 and view["next"] is None
    assert view["review"]["date"] == "2026-09-01"


def test_staff_keys_read_tiers_but_run_no_jobs(shop):
    r = shop.a.post("/v1/api-keys", {"name": "till", "role": "staff"})
    assert r.status == 201, r
    staff = shop.a.with_key(r.json["api_key"])
    member = new_member(shop.a)["id"]
    assert staff.get("/v1/members/%s/tier" % member).status == 200
    assert staff.post("/v1/jobs/tier-reviews", {}).status == 403
    assert shop.b.get("/v1/members/%s/tier" % member).status == 404


# ---- Found by review ----

def test_a_zero_amount_purchase_counts_once_and_keeps_the_audit_green(fresh):
    set_clock(fresh.a, START)
    policy = dict(SPEND_TIERS, metric="purchases",
                  levels=[{"name": "Member", "threshold": 0}, {"name": "Regular", "threshold": 2}])
    assert fresh.a.patch("/v1/program", {"tiers": policy}).status == 200
    member = new_member(fresh.a)["id"]
    buy(fresh.a, member, 0)
    assert tier(fresh.a, member)["value"] == 1
    fresh.audit()


def test_an_empty_perk_is_refused(shop):
    for perks, field in ((["Coffee", ""], "tiers.levels.0.perks.1"),
                         (["", "Coffee"], "tiers.levels.0.perks.0")):
        levels = [{"name": "Member", "threshold": 0, "perks": perks}]
        r = shop.a.patch("/v1/program", {"tiers": dict(SPEND_TIERS, levels=levels)})
        assert r.status == 400 and r.json["error"]["field"] == field, r


def test_a_late_review_ends_where_an_on_time_review_ends(shop):
    member = new_member(shop.a)["id"]
    first = buy(shop.a, member, 60000)
    give_back(shop.a, first, 60000)  # Silver until the review, which will judge 0.
    set_clock(shop.a, "2027-03-10T12:00:00Z")  # The job has not run since February.
    buy(shop.a, member, 60000)  # Already Silver: no move now; the current window holds 600.00.
    assert reviews(shop.a)["reviewed"] == 1
    view = tier(shop.a, member)
    assert view["value"] == 60000 and view["tier"]["name"] == "Silver"
    assert view["review"]["date"] == "2028-03-01"


def test_a_return_lowers_the_month_its_purchase_was_counted_in(fresh):
    set_clock(fresh.a, "2026-03-31T23:40:00Z")
    assert fresh.a.patch("/v1/program", {"tiers": dict(SPEND_TIERS,
                                                       window={"rolling_months": 1}),
                                         "time_zone": "UTC"}).status == 200
    member = new_member(fresh.a)["id"]
    p = buy(fresh.a, member, 60000, occurred_at="2026-03-31T23:30:00Z")  # March, in UTC
    assert fresh.a.patch("/v1/program", {"time_zone": "Asia/Tokyo"}).status == 200
    set_clock(fresh.a, "2026-04-02T00:00:00Z")
    assert tier(fresh.a, member)["value"] == 0
    give_back(fresh.a, p, 60000)
    assert tier(fresh.a, member)["value"] == 0  # Not -600.00 in April.
    fresh.audit()


def test_closed_members_are_not_reviewed(shop):
    member = new_member(shop.a)["id"]
    buy(shop.a, member, 60000)
    r = shop.a.patch("/v1/members/%s" % member, {"status": "closed"})
    assert r.status == 200, r
    set_clock(shop.a, "2027-03-01T00:30:00Z")
    assert reviews(shop.a)["reviewed"] == 0
    assert events_of(shop.a, "tier.downgraded", member) == []
    assert reviews(shop.a)["reviewed"] == 0


@pytest.mark.skipif(STORE != "postgres", reason="two processes on one database")
def test_two_nodes_running_the_review_job_review_each_member_once(fresh):
    set_clock(fresh.a, START)
    assert fresh.a.patch("/v1/program", {"tiers": SPEND_TIERS}).status == 200
    other = conftest.Server(fresh.db, ("--test-clock",))
    try:
        members = []
        for _ in range(150):
            m = new_member(fresh.a)["id"]
            buy(fresh.a, m, 60000)
            members.append(m)
        nodes = [fresh.a, Client(other.port, fresh.key_a)]
        for c in nodes:
            set_clock(c, "2027-03-01T00:30:00Z")
        results = [None, None]
        go = threading.Barrier(2)

        def run(i):
            go.wait()
            results[i] = reviews(nodes[i])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert results[0]["reviewed"] + results[1]["reviewed"] == 150, results
        wrong = [v for v in (tier(fresh.a, m) for m in members)
                 if v["tier"]["name"] != "Silver" or v["review"]["date"] != "2028-03-01"]
        assert not wrong, len(wrong)
    finally:
        other.stop()
