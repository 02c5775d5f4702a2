# SPDX-License-Identifier: MIT
"""GET /v1/members: each filter, the q prefix search, limit and cursor paging (complete, no
duplicates, newest first, stable while members are added), parameter validation, and the
wall between programs for every way of finding a member."""
import urllib.parse

import pytest

from conftest import new_member, unique


def list_ids(client, query):
    r = client.get("/v1/members?" + query)
    assert r.status == 200, (query, r)
    assert set(r.json) == {"data", "next_cursor"}
    return [m["id"] for m in r.json["data"]]


def walk(client, query, limit):
    """All pages of a listing; returns (ids, pages)."""
    ids, cursor, pages = [], None, 0
    while True:
        q = "limit=%d" % limit + ("&" + query if query else "")
        if cursor:
            q += "&cursor=" + cursor
        r = client.get("/v1/members?" + q)
        assert r.status == 200, r
        page = r.json
        assert len(page["data"]) <= limit
        pages += 1
        ids += [m["id"] for m in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, pages
        assert len(page["data"]) == limit, "a page with a next_cursor must be full"
        assert pages < 100, "paging does not end"


@pytest.fixture(scope="module")
def people(dep):
    """A few members of program A with names for searching, and decoys in program B."""
    tag = unique("t")
    made = {
        "ada": new_member(dep.a, email="ada.%s@example.com" % tag, first_name="Ada",
                          last_name="Lovelace", phone="+4420712%05d" % (abs(hash(tag)) % 100000),
                          external_id="crm-ada-" + tag),
        "adam": new_member(dep.a, email="adam.%s@example.org" % tag, first_name="Adam",
                           last_name="Smith"),
        "grace": new_member(dep.a, email="grace.%s@example.com" % tag, first_name="Grace",
                            last_name="Adamson"),
        "zoe": new_member(dep.a, email="zzz.%s@adams.example" % tag, first_name="Zoë",
                          last_name="Zed"),
        "olga": new_member(dep.a, email="olga.%s@example.com" % tag, first_name="Olga",
                           last_name="Ivanova"),
    }
    made["b_ada"] = new_member(dep.b, email=made["ada"]["email"], first_name="Ada",
                               phone=made["ada"]["phone"], external_id=made["ada"]["external_id"])
    made["tag"] = tag
    return made


def test_filter_by_email_phone_external_id_card(dep, people):
    ada = people["ada"]
    assert list_ids(dep.a, "email=" + urllib.parse.quote(ada["email"])) == [ada["id"]]
    assert list_ids(dep.a, "email=" + urllib.parse.quote(ada["email"].upper())) == [ada["id"]]
    assert list_ids(dep.a, "phone=" + urllib.parse.quote(ada["phone"])) == [ada["id"]]
    assert list_ids(dep.a, "external_id=" + ada["external_id"]) == [ada["id"]]
    assert list_ids(dep.a, "card_number=" + ada["card_number"]) == [ada["id"]]
    # Exact matches only: a prefix of a value finds nothing.
    assert list_ids(dep.a, "email=" + urllib.parse.quote(ada["email"][:-1])) == []
    assert list_ids(dep.a, "card_number=" + ada["card_number"][:-1]) == []
    assert list_ids(dep.a, "external_id=" + ada["external_id"] + "x") == []
    # Filters combine with AND.
    assert list_ids(dep.a, "email=%s&card_number=%s" % (
        urllib.parse.quote(ada["email"]), ada["card_number"])) == [ada["id"]]
    assert list_ids(dep.a, "email=%s&card_number=%s" % (
        urllib.parse.quote(ada["email"]), people["grace"]["card_number"])) == []


def test_q_is_a_case_insensitive_prefix_of_names_or_email(dep, people):
    tag = people["tag"]

    def q(text, extra=""):
        ids = list_ids(dep.a, "limit=200&q=" + urllib.parse.quote(text) + extra)
        return {k for k, m in people.items() if k not in ("tag", "b_ada") and m["id"] in ids}

    # First names Ada and Adam, last name Adamson; "adams.example" is not a prefix of an email.
    assert q("Ada") >= {"ada", "adam", "grace"}
    assert "zoe" not in q("ada") and "olga" not in q("ada")
    assert q("ada") == q("ADA") == q("aDa")
    assert q("Adams") >= {"grace"} and "adam" not in q("Adams")
    assert q("Ivan") == {"olga"}  # last name
    assert q("olga.%s" % tag) == {"olga"}  # email prefix
    assert q("OLGA.%s@EXAMPLE" % tag.upper()) == {"olga"}
    assert q("zzz.%s" % tag) == {"zoe"}
    assert q("vanova") == set()  # not a prefix
    assert q("ada%") == set() and q("_da") == set()  # LIKE wildcards are literal
    # q combines with the exact filters.
    assert q("Ada", "&email=" + urllib.parse.quote(people["adam"]["email"])) == {"adam"}


@pytest.mark.parametrize("query,field", [
    ("q=", "q"), ("q=" + "a" * 101, "q"),
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=-1", "limit"), ("limit=1.5", "limit"),
    ("limit=abc", "limit"), ("limit=", "limit"), ("limit=0050000", "limit"),
    ("cursor=zzz", "cursor"), ("cursor=key_00000000000000000000000000", "cursor"),
    ("cursor=mem_0000000000000000000000000", "cursor"),
    ("colour=red", "colour"), ("Email=a@b.co", "Email"), ("status=active", "status")])
def test_bad_list_parameters(dep, query, field):
    r = dep.a.get("/v1/members?" + query)
    assert r.status == 400, (query, r)
    assert r.error["code"] == "validation_failed" and r.error["field"] == field, r


def test_limits_default_50_max_200(fresh):
    made = [new_member(fresh.a)["id"] for _ in range(52)]
    r = fresh.a.get("/v1/members")
    assert r.status == 200
    assert len(r.json["data"]) == 50 and r.json["next_cursor"] is not None
    r = fresh.a.get("/v1/members?limit=200")
    assert len(r.json["data"]) == 52 and r.json["next_cursor"] is None
    assert [m["id"] for m in r.json["data"]] == made[::-1]  # newest first
    r = fresh.a.get("/v1/members?limit=1")
    assert [m["id"] for m in r.json["data"]] == [made[-1]]
    # Exactly full pages: the last full page says there is nothing more.
    ids, pages = walk(fresh.a, "", 13)
    assert ids == made[::-1] and pages == 4
    ids, pages = walk(fresh.a, "", 26)
    assert ids == made[::-1] and pages == 2


def test_paging_with_a_filter_is_complete(fresh):
    tag = unique("pg")
    wanted = []
    for i in range(17):
        wanted.append(new_member(fresh.a, first_name="Pager%s" % tag, last_name=str(i))["id"])
        new_member(fresh.a, first_name="Other")  # interleaved non-matching members
    ids, pages = walk(fresh.a, "q=Pager" + tag, 4)
    assert ids == wanted[::-1]
    assert pages == 5


def test_paging_is_stable_while_members_are_added(fresh):
    first = [new_member(fresh.a)["id"] for _ in range(12)]
    page1 = fresh.a.get("/v1/members?limit=5").json
    assert [m["id"] for m in page1["data"]] == first[::-1][:5]
    later = [new_member(fresh.a)["id"] for _ in range(4)]
    rest = []
    cursor = page1["next_cursor"]
    while cursor:
        page = fresh.a.get("/v1/members?limit=5&cursor=" + cursor).json
        rest += [m["id"] for m in page["data"]]
        cursor = page["next_cursor"]
    # The pages after the first hold exactly the older members: none skipped, none repeated,
    # none of the new ones.
    assert rest == first[::-1][5:]
    assert not set(rest) & set(later)
    assert list_ids(fresh.a, "limit=200") == (first + later)[::-1]


def test_newest_first_even_within_one_millisecond(fresh):
    """Members created one after another on a stopped test clock share enrolled_at to the
    millisecond: the list must still put the later-created one first (newest first), which a
    purely random id suffix does not guarantee."""
    r = fresh.a.put("/v1/test/clock", {"now": "2026-03-01T10:00:00Z"})
    assert r.status == 200, r
    made = [new_member(fresh.a, first_name="Same%d" % i)["id"] for i in range(10)]
    assert list_ids(fresh.a, "limit=200") == made[::-1]
    ids, _ = walk(fresh.a, "", 3)
    assert ids == made[::-1]


def test_lists_are_per_program(dep, people):
    ada, b_ada = people["ada"], people["b_ada"]
    # The same email, phone and external_id exist in both programs: each sees only its own.
    for query in ("email=" + urllib.parse.quote(ada["email"]),
                  "phone=" + urllib.parse.quote(ada["phone"]),
                  "external_id=" + ada["external_id"]):
        assert list_ids(dep.a, query) == [ada["id"]]
        assert list_ids(dep.b, query) == [b_ada["id"]]
    # Card numbers, names and plain listings do not cross either.
    assert list_ids(dep.b, "card_number=" + ada["card_number"]) == []
    assert list_ids(dep.a, "card_number=" + b_ada["card_number"]) == []
    assert people["grace"]["id"] not in list_ids(dep.b, "limit=200&q=Grace")
    all_b = list_ids(dep.b, "limit=200")
    all_a = list_ids(dep.a, "limit=200")
    assert not set(all_a) & set(all_b)
    # A cursor taken from A's listing shows B nothing of A.
    cursor = dep.a.get("/v1/members?limit=1").json["next_cursor"]
    assert cursor
    assert not set(list_ids(dep.b, "limit=200&cursor=" + cursor)) & set(all_a)
