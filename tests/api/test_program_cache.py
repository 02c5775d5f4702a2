# SPDX-License-Identifier: MIT
"""The store keeps a copy of each program for its writes (issue 17, store_program_cache.c): a
change of the settings, of the tiers or of the rules is used by the very next write, on this
node and, on PostgreSQL, on another node sharing the database. Method: warm the copy with a
purchase, change the program, and check what the next purchase earns."""
import pytest

import conftest
from conftest import Client, new_member, unique


def earned(client, member, amount=10000, items=None):
    body = {"external_id": unique("p"), "member_id": member, "currency": "USD", "amount": amount}
    if items:
        body["items"] = items
    r = client.post("/v1/transactions", body)
    assert r.status == 201, r
    return r.json["points_earned"]


def test_a_change_of_the_settings_is_used_by_the_next_purchase(fresh):
    c = fresh.a
    m = new_member(c)["id"]
    assert earned(c, m) == 100  # The default rate: 1 point per 100.
    assert c.patch("/v1/program", {"earn_rate": {"points": 3, "per_amount": 100}}).status == 200
    assert earned(c, m) == 300
    assert c.patch("/v1/program", {"excluded_categories": ["tobacco"]}).status == 200
    items = [{"sku": "A", "category": "tobacco", "quantity": 1, "unit_price": 5000},
             {"sku": "B", "category": "food", "quantity": 1, "unit_price": 5000}]
    assert earned(c, m, items=items) == 150
    assert c.patch("/v1/program", {"excluded_categories": []}).status == 200
    assert earned(c, m, items=items) == 300


def test_a_change_of_the_rules_is_used_by_the_next_purchase(fresh):
    c = fresh.a
    m = new_member(c)["id"]
    assert earned(c, m) == 100
    r = c.post("/v1/rules", {"name": "five more", "trigger": "purchase",
                             "effects": [{"type": "award_points", "points": 5}]})
    assert r.status == 201, r
    assert c.post("/v1/rules/%s/activate" % r.json["id"]).status == 200
    assert earned(c, m) == 105
    assert c.post("/v1/rules/%s/pause" % r.json["id"]).status == 200
    assert earned(c, m) == 100


@pytest.mark.skipif(conftest.STORE != "postgres",
                    reason="two nodes share a database on PostgreSQL only")
def test_a_change_on_another_node_is_used_by_the_next_purchase_here(fresh):
    other = conftest.Server(fresh.db, ("--test-clock",))
    try:
        here = fresh.a
        there = Client(other.port, fresh.key_a)
        m = new_member(here)["id"]
        assert earned(here, m) == 100
        assert earned(there, m) == 100
        r = there.patch("/v1/program", {"earn_rate": {"points": 7, "per_amount": 100}})
        assert r.status == 200, r
        assert earned(here, m) == 700
        r = here.patch("/v1/program", {"earn_rate": {"points": 2, "per_amount": 100}})
        assert r.status == 200, r
        assert earned(there, m) == 200
    finally:
        other.stop()
