# SPDX-License-Identifier: MIT
"""What a write costs the store, in SQL statements (issue 17): the drivers count every statement
they run, and /metrics shows the counts (patron_store_statements_total, transaction control
apart). A purchase with 3 items and no mechanics, and a full return of it, are measured on a
server doing nothing else, with its caches warm, so that the counts cannot creep up unseen.

The bounds are the counts measured when they last went down (issue 17's targets: 15 and 18)."""
import re

from conftest import new_member, unique

# Statements besides transaction control (BEGIN, COMMIT, SAVEPOINT, RELEASE, and on PostgreSQL
# the commit's transaction-id queries), measured on main on 2026-12-07: a purchase 23 on both
# engines, a full return (with the hold of a new program) 29 on SQLite and 30 on PostgreSQL.
# Issue 17 brought them to 15 and 18 on both engines (the targets): the program kept by the store
# between its changes, rows read without counting them first, the balance view in one statement,
# a purchase's items and an entry's postings written in one each. Lower them as the path shrinks.
PURCHASE_STATEMENTS_MAX = 15
RETURN_STATEMENTS_MAX = 18


def statements(client):
    body = client.get("/metrics").body
    return int(re.search(r'patron_store_statements_total\{kind="query"\} (\d+)', body).group(1))


def purchase(client, member, external_id):
    r = client.post("/v1/transactions", {
        "external_id": external_id, "member_id": member, "currency": "USD", "amount": 4250,
        "items": [{"sku": "BEANS", "category": "coffee", "quantity": 1, "unit_price": 2000},
                  {"sku": "MUG", "category": "merch", "quantity": 1, "unit_price": 1250},
                  {"sku": "MILK", "category": "dairy", "quantity": 1, "unit_price": 1000}]})
    assert r.status == 201, r
    return r.json


def measured(anon, write):
    """Statements run by write(), the fewest of three tries: a try may also pay for a cache
    refill (the key cache lives 1 s), which is not the write's own cost."""
    spent = []
    for _ in range(3):
        before = statements(anon)
        write()
        spent.append(statements(anon) - before)
    return min(spent)


def test_a_purchase_and_a_return_stay_within_their_statements(fresh):
    c = fresh.a
    anon = fresh.anon()
    member = new_member(c)["id"]
    purchase(c, member, unique("warm"))  # Caches: the key, the program's rules.
    bought = []
    spent = measured(anon, lambda: bought.append(purchase(c, member, unique("p"))))
    assert 1 <= spent <= PURCHASE_STATEMENTS_MAX, spent

    def full_return():
        r = c.post("/v1/transactions/%s/returns" % bought.pop()["id"],
                   {"external_id": unique("r"), "amount": 4250})
        assert r.status == 201, r

    spent_return = measured(anon, full_return)
    assert 1 <= spent_return <= RETURN_STATEMENTS_MAX, spent_return
    print("statements: purchase %d, return %d" % (spent, spent_return))
