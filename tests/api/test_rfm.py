# SPDX-License-Identifier: MIT
"""RFM (docs/analytics.md, "RFM"): GET /v1/analytics/rfm, /v1/analytics/rfm/segments and
/v1/members/{id}/rfm.

Goal: the scores reproduce the R package rfm 0.3.0 exactly on its own sample data (every one of
the 995 customers' rows and the segment summary its vignette prints); the figures are those of
the definition (purchases on or before the end of as_of in the program's time zone, amounts
less discounts less returns recorded by then); the list pages and streams as CSV without losing
or repeating a row; a bad as_of is 400 naming it; another program's member is 404; a viewer
reads, a staff key does not.
Method: the 4,906 orders of tests/data/rfm/ posted as purchases in USD (revenue x 100 cents, on
their dates at noon UTC: POST /v1/transactions takes any occurred_at from 1970 to now, no test
clock needed), one member per customer_id, over 8 keep-alive connections at once; then RFM at
2006-12-31 compared row by row with rfm_expected_v0.3.0.csv. The discount and return case runs
in program B, which the fixture does not touch.
"""
import csv
import os
import threading
import time
from collections import defaultdict
from datetime import date

import pytest

from conftest import SOURCE_DIR, Client, new_member, unique

DATA = os.path.join(SOURCE_DIR, "tests", "data", "rfm")
AS_OF = "2006-12-31"
WORKERS = 8
# The vignette's segment summary (tests/data/rfm/README.md): customers, orders, revenue (units).
SUMMARY = {
    "About To Sleep": (102, 283, 23449), "At Risk": (28, 216, 22227),
    "Can't Lose Them": (47, 274, 32446), "Champions": (35, 316, 31646),
    "Lost": (148, 393, 35324), "Loyal Customers": (170, 799, 76562),
    "Need Attention": (10, 57, 4562), "New Customers": (104, 329, 28837),
    "Potential Loyalist": (342, 2211, 204856), "Promising": (9, 28, 4249),
    "Others": (0, 0, 0),
}
ORDER = ["Champions", "Potential Loyalist", "Loyal Customers", "Promising", "New Customers",
         "Can't Lose Them", "At Risk", "Need Attention", "About To Sleep", "Lost", "Others"]
FIELDS = ["recency_days", "transaction_count", "amount", "recency_score", "frequency_score",
          "monetary_score", "rfm_score"]


def ok(r, status=200):
    assert r.status == status, r
    return r.json


def refused(r, status, code, field=None):
    assert r.status == status, r
    assert r.error["code"] == code, r
    if field is not None:
        assert r.error.get("field") == field, r


def read_csv(name):
    with open(os.path.join(DATA, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def parallel(items, work):
    """Runs work(client, item) for every item over WORKERS connections; the first failure fails."""
    errors = []
    chunks = [items[i::WORKERS] for i in range(WORKERS)]

    def run(chunk, client):
        try:
            for item in chunk:
                work(client, item)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(chunk, Client(PORT[0], KEY[0])))
               for chunk in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


PORT, KEY = [None], [None]


@pytest.fixture(scope="module")
def shop(dep):
    """Program A holding the package's orders: {customer_id: member_id}, and the load's time."""
    c = dep.a
    ok(c.patch("/v1/program", {"currency": "USD", "time_zone": "UTC"}))
    PORT[0], KEY[0] = dep.server.port, dep.key_a
    orders = read_csv("rfm_data_orders.csv")
    assert len(orders) == 4906
    customers = sorted({o["customer_id"] for o in orders})
    assert len(customers) == 995
    members = {}

    def post(client, path, body):
        # A 503 wrote nothing: retried, as a client would (docs/testing.md), on a busy machine.
        for _ in range(50):
            r = client.post(path, body)
            if r.status != 503:
                return ok(r, 201)
            time.sleep(0.1)
        return ok(r, 201)

    def enroll(client, customer):
        members[customer] = post(client, "/v1/members", {"email": unique("m") + "@example.com",
                                                         "first_name": customer})["id"]

    def buy(client, o):
        body = {"external_id": unique("o"), "member_id": members[o["customer_id"]],
                "currency": "USD", "amount": int(o["revenue"]) * 100,
                "occurred_at": o["order_date"] + "T12:00:00Z"}
        post(client, "/v1/transactions", body)

    started = time.monotonic()
    parallel(customers, enroll)
    parallel(orders, buy)
    dep.load_seconds = time.monotonic() - started
    print("loaded 995 members and 4906 purchases in %.1f s" % dep.load_seconds)
    return dep, members


def all_rows(c, query):
    rows, cursor = [], None
    while True:
        page = ok(c.get("/v1/analytics/rfm?%s&limit=200%s" % (
            query, "" if cursor is None else "&cursor=" + cursor)))
        assert page["as_of"] and page["currency"] == "USD"
        rows += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


def test_every_customer_as_rfm_0_3_0_scores_it(shop):
    dep, members = shop
    expected = {e["customer_id"]: e for e in read_csv("rfm_expected_v0.3.0.csv")}
    by_member = {m: cust for cust, m in members.items()}
    rows = all_rows(dep.a, "as_of=" + AS_OF)
    assert len(rows) == 995 == len(expected)
    assert [r["member_id"] for r in rows] == sorted(by_member)  # by id, each once
    for r in rows:
        e = expected[by_member[r["member_id"]]]
        want = {k: int(e[k]) for k in FIELDS}
        want["amount"] *= 100  # cents
        assert {k: r[k] for k in FIELDS} == want, (e["customer_id"], r)
        assert r["segment"] == e["segment"], (e["customer_id"], r)


def test_segment_summary_is_the_vignettes(shop):
    dep, _ = shop
    s = ok(dep.a.get("/v1/analytics/rfm/segments?as_of=" + AS_OF))
    assert s["as_of"] == AS_OF and s["currency"] == "USD" and s["customers"] == 995
    assert [d["segment"] for d in s["data"]] == ORDER
    for d in s["data"]:
        customers, orders, revenue = SUMMARY[d["segment"]]
        assert (d["customers"], d["orders"], d["revenue"]) == (customers, orders, revenue * 100), d


def test_one_member_and_its_refusals(shop):
    dep, members = shop
    m = members["Abbey O'Reilly"]  # 205,6,472,3,4,3,343,Potential Loyalist
    r = ok(dep.a.get("/v1/members/%s/rfm?as_of=%s" % (m, AS_OF)))
    assert r == {"member_id": m, "recency_days": 205, "transaction_count": 6, "amount": 47200,
                 "recency_score": 3, "frequency_score": 4, "monetary_score": 3, "rfm_score": 343,
                 "segment": "Potential Loyalist", "as_of": AS_OF, "currency": "USD"}
    # Before its first purchase (the data starts 2001-10-29) it has none: 404, said so.
    r = dep.a.get("/v1/members/%s/rfm?as_of=2001-01-01" % m)
    refused(r, 404, "not_found")
    assert "no purchase on or before 2001-01-01" in r.error["message"]
    # A member without purchases, an unknown one, and one of another program: 404.
    lonely = new_member(dep.a)["id"]
    refused(dep.a.get("/v1/members/%s/rfm" % lonely), 404, "not_found")
    refused(dep.a.get("/v1/members/mem_01J0000000000000000000000/rfm"), 404, "not_found")
    refused(dep.b.get("/v1/members/%s/rfm?as_of=%s" % (m, AS_OF)), 404, "not_found")
    # Program B sees none of A's purchasing members.
    assert ok(dep.b.get("/v1/analytics/rfm?as_of=" + AS_OF))["data"] == []


def test_an_earlier_date_counts_only_what_happened_by_its_end(shop):
    dep, members = shop
    cut = "2005-06-30"
    figures = defaultdict(lambda: [None, 0, 0])
    for o in read_csv("rfm_data_orders.csv"):
        if o["order_date"] <= cut:
            f = figures[members[o["customer_id"]]]
            f[0] = max(f[0] or o["order_date"], o["order_date"])
            f[1] += 1
            f[2] += int(o["revenue"]) * 100
    rows = all_rows(dep.a, "as_of=" + cut)
    assert len(rows) == len(figures) and len(rows) < 995
    end = date.fromisoformat(cut)
    for r in rows:
        last, count, amount = figures[r["member_id"]]
        assert (r["recency_days"], r["transaction_count"], r["amount"]) == (
            (end - date.fromisoformat(last)).days, count, amount), r
        assert 1 <= r["recency_score"] <= 5 and r["segment"] in ORDER


def test_pages_and_csv_hold_the_same_rows(shop):
    dep, _ = shop
    rows = all_rows(dep.a, "as_of=" + AS_OF)
    small, cursor, seen = [], None, 0
    while True:  # pages of 7: none lost, none repeated
        page = ok(dep.a.get("/v1/analytics/rfm?as_of=%s&limit=7%s" % (
            AS_OF, "" if cursor is None else "&cursor=" + cursor)))
        assert len(page["data"]) <= 7
        small += page["data"]
        seen += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert small == rows and seen == 143  # ceil(995 / 7)
    first = ok(dep.a.get("/v1/analytics/rfm?as_of=" + AS_OF))
    assert len(first["data"]) == 50 and first["next_cursor"] == rows[49]["member_id"]
    r = dep.a.get("/v1/analytics/rfm?as_of=%s&format=csv" % AS_OF)
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv"), r
    lines = r.body.split("\n")
    assert lines[0] == ("member_id,recency_days,transaction_count,amount,recency_score,"
                        "frequency_score,monetary_score,rfm_score,segment")
    assert lines[-1] == "" and len(lines) == 997
    parsed = list(csv.DictReader(r.body.splitlines()))
    assert [{k: (v if k in ("member_id", "segment") else int(v)) for k, v in p.items()}
            for p in parsed] == rows
    assert int(r.headers["content-length"]) == len(r.body.encode())


def test_bad_queries_are_refused_naming_their_field(shop):
    dep, _ = shop
    for bad in ["2006-02-30", "", "2006-12-31T00:00:00Z", "1969-12-31", "31-12-2006"]:
        for path in ["/v1/analytics/rfm", "/v1/analytics/rfm/segments",
                     "/v1/members/mem_01J0000000000000000000000/rfm"]:
            refused(dep.a.get("%s?as_of=%s" % (path, bad)), 400, "validation_failed", "as_of")
    refused(dep.a.get("/v1/analytics/rfm?format=xml"), 400, "validation_failed", "format")
    refused(dep.a.get("/v1/analytics/rfm?format=csv&limit=5"), 400, "validation_failed", "limit")
    refused(dep.a.get("/v1/analytics/rfm?cursor=nope"), 400, "validation_failed", "cursor")
    refused(dep.a.get("/v1/analytics/rfm?limit=201"), 400, "validation_failed", "limit")
    refused(dep.a.get("/v1/analytics/rfm/segments?limit=5"), 400, "validation_failed", "limit")


def test_roles_viewer_reads_staff_does_not(shop):
    dep, members = shop
    viewer = dep.a.with_key(ok(dep.a.post("/v1/api-keys", {"name": "board", "role": "viewer"}),
                               201)["api_key"])
    staff = dep.a.with_key(ok(dep.a.post("/v1/api-keys", {"name": "till", "role": "staff"}),
                              201)["api_key"])
    m = members["Abbey O'Reilly"]
    for path in ["/v1/analytics/rfm?as_of=" + AS_OF, "/v1/analytics/rfm/segments?as_of=" + AS_OF,
                 "/v1/members/%s/rfm?as_of=%s" % (m, AS_OF)]:
        assert ok(viewer.get(path)) == ok(dep.a.get(path))
        refused(staff.get(path), 403, "forbidden")
        assert dep.anon().get(path).status == 401


def test_amount_is_less_discounts_and_returns_by_the_end_of_as_of(dep):
    """Program B: a purchase of 100.00 with 10.00 off at the till, 30.00 of it returned."""
    c = dep.b
    ok(c.patch("/v1/program", {"currency": "USD", "time_zone": "Europe/Berlin",
                               "return_days": 0, "hold_returnable": False}))
    m = new_member(c)["id"]
    other = new_member(c)["id"]
    buy = ok(c.post("/v1/transactions", {
        "external_id": unique("b"), "member_id": m, "currency": "USD", "amount": 10000,
        "discount": 1000, "occurred_at": "2020-03-01T10:00:00Z"}), 201)
    # 23:30 UTC on 2020-03-01 is 00:30 on 2 March in Berlin: after as_of 2020-03-01.
    ok(c.post("/v1/transactions", {
        "external_id": unique("b"), "member_id": other, "currency": "USD", "amount": 500,
        "occurred_at": "2020-03-01T23:30:00Z"}), 201)
    row = ok(c.get("/v1/members/%s/rfm?as_of=2020-03-01" % m))
    assert (row["transaction_count"], row["amount"], row["recency_days"]) == (1, 9000, 0)
    refused(c.get("/v1/members/%s/rfm?as_of=2020-03-01" % other), 404, "not_found")
    assert ok(c.get("/v1/members/%s/rfm?as_of=2020-03-02" % other))["transaction_count"] == 1
    ok(c.post("/v1/transactions/%s/returns" % buy["id"],
              {"external_id": unique("ret"), "amount": 3000}), 201)
    # The return was recorded today: not by the end of 2020-03-01, by the end of today.
    assert ok(c.get("/v1/members/%s/rfm?as_of=2020-03-10" % m))["amount"] == 9000
    # 30.00 of 100.00 at prices before the discount is 30% of the 90.00 paid: 27.00 back.
    row = ok(c.get("/v1/members/%s/rfm" % m))
    assert row["amount"] == 6300 and row["as_of"] >= "2026-01-01"
    assert row["recency_days"] == (date.fromisoformat(row["as_of"]) - date(2020, 3, 1)).days
    s = ok(c.get("/v1/analytics/rfm/segments"))
    assert s["customers"] == 2 and sum(d["revenue"] for d in s["data"]) == 6800
    # Wholly returned, the purchase counts 0 (not 90.00 - 100.00 below zero); still a
    # transaction.
    ok(c.post("/v1/transactions/%s/returns" % buy["id"],
              {"external_id": unique("ret"), "amount": 7000}), 201)
    row = ok(c.get("/v1/members/%s/rfm" % m))
    assert (row["amount"], row["transaction_count"]) == (0, 1), row
