# SPDX-License-Identifier: MIT
"""The query of every paged list, read by one parser (src/http/list.c): limit 1 to 200 in digits,
a cursor that is a next_cursor of that list (an id of its prefix, or for the ledger and rule
versions a whole number), unknown parameters refused; the answer is {"data", "next_cursor"}."""
import pytest

from conftest import new_member, unique

RULE = {"name": "list params", "trigger": "purchase", "conditions": {"in": ["time.weekday", [6]]},
        "effects": [{"type": "award_points", "multiplier": 2}]}


@pytest.fixture(scope="module")
def lists(dep):
    member = new_member(dep.a)["id"]
    r = dep.a.post("/v1/rules", dict(RULE, name=unique("rule")))
    assert r.status == 201, r
    rule = r.json["id"]
    # (path, a cursor of the wrong kind, a cursor of the right form)
    return [("/v1/members", "rwd_x", member),
            ("/v1/api-keys", "mem_x", None),
            ("/v1/rules", "mem_x", None),
            ("/v1/stamp-cards", "mem_x", None),
            ("/v1/rewards", "mem_x", None),
            ("/v1/coupon-batches", "mem_x", None),
            ("/v1/members/%s/referrals" % member, "rwd_x", None),
            ("/v1/members/%s/purchases" % member, "mem_x", None),
            ("/v1/members/%s/ledger" % member, "x", "5"),
            ("/v1/rules/%s/versions" % rule, "1", "2")]


def test_limit__1_to_200_in_digits(dep, lists):
    for path, _, _ in lists:
        for ok in ("1", "200", "007"):
            r = dep.a.get("%s?limit=%s" % (path, ok))
            assert r.status == 200, (path, ok, r)
            assert set(r.json) >= {"data", "next_cursor"}, (path, r.json)
        for bad in ("0", "201", "", "x", "-1", "1.5", "0001"):
            r = dep.a.get("%s?limit=%s" % (path, bad))
            assert r.status == 400 and r.error["field"] == "limit", (path, bad, r)
            assert r.error["message"] == "limit must be an integer from 1 to 200"


def test_cursor__of_this_list_only(dep, lists):
    for path, wrong, right in lists:
        r = dep.a.get("%s?cursor=%s" % (path, wrong))
        assert r.status == 400 and r.error["field"] == "cursor", (path, wrong, r)
        assert r.error["message"] == "cursor must be a next_cursor value of this list"
        if right is not None:
            r = dep.a.get("%s?cursor=%s" % (path, right))
            assert r.status == 200 and r.json["next_cursor"] is None, (path, right, r)
    for path in ("/v1/members/%s/ledger", "/v1/rules/%s/versions"):
        numeric = [p for p, _, _ in lists if p.endswith(path.split("/")[-1])][0]
        for bad in ("0", "-3", "+3", "99999999999999999999"):
            r = dep.a.get("%s?cursor=%s" % (numeric, bad))
            assert r.status == 400 and r.error["field"] == "cursor", (numeric, bad, r)


def test_unknown_parameter__refused(dep, lists):
    for path, _, _ in lists:
        r = dep.a.get("%s?page=2" % path)
        assert r.status == 400 and r.error["field"] == "page", (path, r)
