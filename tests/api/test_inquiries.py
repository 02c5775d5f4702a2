# SPDX-License-Identifier: MIT
"""Inquiries (service requests) and staff notes on members (issue 20; docs/crm.md).

Goal: an inquiry is created for a member or for a contact without membership; every invalid
body is 400 validation_failed naming its field and creates nothing; the list filters by status,
assignee, member and age and pages newest first; every status move of the table is allowed or
refused (409 status_move_refused) as docs/crm.md says; the first staff reply that is not
internal records the first response, a move to resolved the resolution, both measured on the
program's test clock; events inquiry.* carry ids and states, no texts; viewers read, members'
sessions see only their own inquiries and no internal reply; staff notes are written by staff,
read by viewers, never by a member, and listed newest first; the member's export holds both.
Method: a real server over HTTP on SQLite or PostgreSQL (PATRON_TEST_STORE), its test clock,
member sessions through a cookie-keeping client (tests/api/browser.py).
"""
import itertools
import os

import pytest

from browser import PASSWORD, SignInDeployment, browser, new_user
from conftest import Client, Server, new_database, new_member, run_cli, unique

T0 = "2026-05-04T09:00:00Z"
STATUSES = ("open", "pending", "resolved", "closed")
ALLOWED = {("open", "pending"), ("open", "resolved"), ("open", "closed"),
           ("pending", "open"), ("pending", "resolved"), ("pending", "closed"),
           ("resolved", "open"), ("resolved", "closed")}


@pytest.fixture(scope="module")
def d():
    with SignInDeployment() as dep:
        clock(dep, T0)
        yield dep


def clock(d, now):
    r = d.a.put("/v1/test/clock", {"now": now})
    assert r.status == 200, r


def key(d, role):
    r = d.a.post("/v1/api-keys", {"name": unique(role), "role": role})
    assert r.status == 201, r
    return Client(d.server.port, r.json["api_key"])


def ask(client, **fields):
    body = {"channel": "email", "subject": "Missing points", "body": "My points did not arrive."}
    body.update(fields)
    r = client.post("/v1/inquiries", body)
    assert r.status == 201, r
    return r.json


def count_inquiries(d):
    n, cursor = 0, None
    while True:
        r = d.a.get("/v1/inquiries?limit=200" + ("&cursor=" + cursor if cursor else ""))
        assert r.status == 200, r
        n += len(r.json["data"])
        cursor = r.json["next_cursor"]
        if cursor is None:
            return n


def member_session(d):
    email = unique("p") + "@example.com"
    b = browser(d)
    r = b.post("/v1/portal/sign-up", {"email": email, "password": PASSWORD})
    assert r.status == 201, r
    return r.json["member"], b


def test_create__for_a_member_and_for_a_contact(d):
    m = new_member(d.a)
    q = ask(d.a, member_id=m["id"], priority="high", tags=["points", "app"])
    assert q["id"].startswith("inq_") and q["member_id"] == m["id"] and q["contact"] is None
    assert (q["status"], q["priority"], q["channel"]) == ("open", "high", "email")
    assert q["tags"] == ["points", "app"] and q["assignee"] is None and q["reply_count"] == 0
    assert q["created_at"] == T0 and q["first_response_at"] is None
    assert q["first_response_seconds"] is None and q["resolution_seconds"] is None
    c = ask(d.a, contact={"name": "Ann Guest", "phone": "+15550100"}, channel="phone")
    assert c["member_id"] is None and c["priority"] == "normal" and c["tags"] == []
    assert c["contact"] == {"name": "Ann Guest", "email": None, "phone": "+15550100"}
    got = d.a.get("/v1/inquiries/" + c["id"])
    assert got.status == 200 and got.json["replies"] == [] and got.json["subject"] == c["subject"]
    assert d.b.get("/v1/inquiries/" + c["id"]).status == 404  # Another program's.


BAD = [
    ({}, "channel"),
    ({"channel": "fax"}, "channel"),
    ({"channel": 3}, "channel"),
    ({"subject": ""}, "subject"),
    ({"subject": "x" * 201}, "subject"),
    ({"subject": None}, "subject"),
    ({"subject": "a\nb"}, "subject"),
    ({"body": ""}, "body"),
    ({"body": "x" * 10001}, "body"),
    ({"body": 5}, "body"),
    ({"priority": "asap"}, "priority"),
    ({"tags": "points"}, "tags"),
    ({"tags": ["x"] * 2}, "tags"),
    ({"tags": [""]}, "tags"),
    ({"tags": ["t" * 51]}, "tags"),
    ({"tags": ["t%d" % i for i in range(21)]}, "tags"),
    ({"tags": [1]}, "tags"),
    ({"assignee": "usr_nobody"}, "assignee"),
    ({"assignee": 7}, "assignee"),
    ({"member_id": "mem_nobody"}, "member_id"),
    ({"member_id": None, "contact": None}, "member_id"),
    ({"member_id": None, "contact": {"name": "No Way To Reach"}}, "member_id"),
    ({"member_id": None, "contact": {"email": "not-an-address"}}, "contact.email"),
    ({"member_id": None, "contact": {"email": "a@b.c", "fax": "1"}}, "contact.fax"),
    ({"member_id": None, "contact": {"phone": 5}}, "contact.phone"),
    ({"member_id": None, "contact": "ann@example.com"}, "contact"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize("change,field", BAD)
def test_create__invalid_is_400_naming_the_field_and_creates_nothing(d, change, field):
    m = new_member(d.a)
    body = {"member_id": m["id"], "channel": "chat", "subject": "s", "body": "b"}
    for k, v in change.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    if change == {}:
        body.pop("channel")
    before = count_inquiries(d)
    r = d.a.post("/v1/inquiries", body)
    assert r.status == 400 and r.error["code"] == "validation_failed", r
    assert r.error["field"] == field, r
    assert count_inquiries(d) == before


def test_list__filters_and_pages_newest_first(fresh):
    a = fresh.a
    clock(fresh, "2026-05-01T00:00:00Z")
    m1, m2 = new_member(a), new_member(a)
    u = a.post("/v1/users", {"email": unique("u") + "@example.com", "name": "Agent",
                             "role": "staff", "password": PASSWORD}).json
    old = ask(a, member_id=m1["id"])
    clock(fresh, "2026-05-03T00:00:00Z")
    mid = ask(a, member_id=m2["id"], assignee=u["id"])
    clock(fresh, "2026-05-04T00:00:00Z")
    new = ask(a, contact={"email": "g@example.com"})
    assert a.patch("/v1/inquiries/" + mid["id"], {"status": "pending"}).status == 200

    def ids(query):
        r = a.get("/v1/inquiries" + query)
        assert r.status == 200, r
        return [q["id"] for q in r.json["data"]]

    assert ids("") == [new["id"], mid["id"], old["id"]]
    assert ids("?status=pending") == [mid["id"]]
    assert ids("?status=open") == [new["id"], old["id"]]
    assert ids("?assignee=" + u["id"]) == [mid["id"]]
    assert ids("?assignee=none") == [new["id"], old["id"]]
    assert ids("?member_id=" + m1["id"]) == [old["id"]]
    # Ages in seconds at the program's now (2026-05-04T00:00:00Z): older_than=N is created
    # N seconds ago or earlier, newer_than=N less than N seconds ago.
    assert ids("?older_than=86400") == [mid["id"], old["id"]]
    assert ids("?older_than=172801") == [old["id"]]
    assert ids("?newer_than=172801") == [new["id"], mid["id"]]
    assert ids("?newer_than=86400&older_than=1") == []
    first = a.get("/v1/inquiries?limit=2").json
    assert [q["id"] for q in first["data"]] == [new["id"], mid["id"]]
    rest = a.get("/v1/inquiries?limit=2&cursor=" + first["next_cursor"]).json
    assert [q["id"] for q in rest["data"]] == [old["id"]] and rest["next_cursor"] is None
    for bad, field in (("status=done", "status"), ("older_than=-1", "older_than"),
                       ("newer_than=1h", "newer_than"), ("colour=red", "colour"),
                       ("limit=0", "limit")):
        r = a.get("/v1/inquiries?" + bad)
        assert r.status == 400 and r.error["code"] == "validation_failed", (bad, r)
    assert fresh.b.get("/v1/inquiries").json["data"] == []


def to_status(d, target):
    """A new inquiry brought to target by allowed moves."""
    q = ask(d.a, contact={"email": "move@example.com"})
    path = {"open": [], "pending": ["pending"], "resolved": ["resolved"],
            "closed": ["closed"]}[target]
    for s in path:
        r = d.a.patch("/v1/inquiries/" + q["id"], {"status": s})
        assert r.status == 200, r
    return q["id"]


@pytest.mark.parametrize("start,target", list(itertools.product(STATUSES, STATUSES)))
def test_status__every_move_of_the_table(d, start, target):
    qid = to_status(d, start)
    before = d.a.get("/v1/inquiries/" + qid).json
    r = d.a.patch("/v1/inquiries/" + qid, {"status": target})
    if start == target:
        assert r.status == 200 and r.json["status"] == start, r  # No move: nothing refused.
    elif (start, target) in ALLOWED:
        assert r.status == 200 and r.json["status"] == target, r
    else:
        assert r.status == 409 and r.error["code"] == "status_move_refused", r
        assert r.error["field"] == "status"
        assert d.a.get("/v1/inquiries/" + qid).json == before


def test_patch__merge_patch_fields_and_refusals(d):
    u = new_user(d, unique("agent") + "@example.com")
    q = ask(d.a, contact={"email": "p@example.com"}, tags=["a"])
    path = "/v1/inquiries/" + q["id"]
    r = d.a.patch(path, {"priority": "urgent", "assignee": u["id"], "tags": ["b", "c"],
                         "subject": "New subject"})
    assert r.status == 200, r
    assert (r.json["priority"], r.json["assignee"], r.json["tags"], r.json["subject"]) == (
        "urgent", u["id"], ["b", "c"], "New subject")
    r = d.a.patch(path, {"assignee": None, "tags": None})
    assert r.status == 200 and r.json["assignee"] is None and r.json["tags"] == [], r
    for body, field in (({"status": None}, "status"), ({"subject": None}, "subject"),
                        ({"priority": None}, "priority"), ({"status": "gone"}, "status"),
                        ({"subject": ""}, "subject"), ({"assignee": "usr_x"}, "assignee"),
                        ({"body": "changed"}, "body"), ({"tags": ["x", "x"]}, "tags")):
        r = d.a.patch(path, body)
        assert r.status == 400 and r.error["field"] == field, (body, r)
    after = d.a.get(path).json
    assert after["subject"] == "New subject" and after["priority"] == "urgent"
    assert d.a.patch("/v1/inquiries/inq_nothing", {"priority": "low"}).status == 404


def test_times__first_response_and_resolution_on_the_test_clock(d):
    clock(d, "2026-06-01T10:00:00Z")
    q = ask(d.a, member_id=new_member(d.a)["id"])
    path = "/v1/inquiries/" + q["id"]
    clock(d, "2026-06-01T10:05:00Z")
    r = d.a.post(path + "/replies", {"body": "Checking with the till.", "internal": True})
    assert r.status == 201 and r.json["internal"] is True and r.json["author"] == "staff", r
    clock(d, "2026-06-01T10:10:00Z")
    r = d.a.post(path + "/replies", {"body": "Sorry, it arrived late.", "author": "member"})
    assert r.status == 201 and r.json["author"] == "member"
    got = d.a.get(path).json
    assert got["first_response_at"] is None and got["first_response_seconds"] is None
    clock(d, "2026-06-01T11:00:00Z")
    r = d.a.post(path + "/replies", {"body": "Added the 120 points."})
    assert r.status == 201, r
    clock(d, "2026-06-01T12:00:00Z")
    assert d.a.post(path + "/replies", {"body": "Anything else?"}).status == 201
    clock(d, "2026-06-02T10:00:00Z")
    r = d.a.patch(path, {"status": "resolved"})
    assert r.status == 200, r
    assert r.json["first_response_at"] == "2026-06-01T11:00:00Z"
    assert r.json["first_response_seconds"] == 3600
    assert r.json["resolved_at"] == "2026-06-02T10:00:00Z"
    assert r.json["resolution_seconds"] == 86400
    got = d.a.get(path).json
    assert got["reply_count"] == 4 and [x["author"] for x in got["replies"]] == [
        "staff", "member", "staff", "staff"]
    # Reopened, the resolution is open again; resolved later, it is timed again.
    assert d.a.patch(path, {"status": "open"}).json["resolution_seconds"] is None
    clock(d, "2026-06-03T10:00:00Z")
    assert d.a.patch(path, {"status": "resolved"}).json["resolution_seconds"] == 2 * 86400
    assert d.a.patch(path, {"status": "closed"}).status == 200
    r = d.a.post(path + "/replies", {"body": "One more thing"})
    assert r.status == 409 and r.error["code"] == "inquiry_closed", r
    clock(d, T0)


def test_replies__invalid_is_400_and_adds_nothing(d):
    q = ask(d.a, contact={"email": "r@example.com"})
    path = "/v1/inquiries/" + q["id"]
    for body, field in (({}, "body"), ({"body": ""}, "body"), ({"body": "x" * 10001}, "body"),
                        ({"body": "x", "author": "bot"}, "author"),
                        ({"body": "x", "internal": "yes"}, "internal"),
                        ({"body": "x", "author": "member", "internal": True}, "internal"),
                        ({"body": "x", "cc": "a"}, "cc")):
        r = d.a.post(path + "/replies", body)
        assert r.status == 400 and r.error["field"] == field, (body, r)
    assert d.a.get(path).json["reply_count"] == 0
    assert d.a.post("/v1/inquiries/inq_none/replies", {"body": "x"}).status == 404


def test_events__inquiry_events_hold_ids_not_texts(fresh):
    a = fresh.a
    m = new_member(a)
    q = ask(a, member_id=m["id"], subject="Secret subject", body="Secret body text")
    assert a.post("/v1/inquiries/%s/replies" % q["id"], {"body": "Secret reply"}).status == 201
    assert a.patch("/v1/inquiries/" + q["id"], {"status": "resolved"}).status == 200
    events = [e for e in a.get("/v1/events?limit=200").json["data"]
              if e["type"].startswith("inquiry.")]
    types = sorted(e["type"] for e in events)
    assert types == ["inquiry.created", "inquiry.replied", "inquiry.resolved", "inquiry.updated"]
    for e in events:
        assert e["member_id"] == m["id"] and e["data"]["inquiry_id"] == q["id"], e
        assert "Secret" not in str(e), e
    resolved = [e for e in events if e["type"] == "inquiry.resolved"][0]
    assert resolved["data"]["status"] == "resolved"
    replied = [e for e in events if e["type"] == "inquiry.replied"][0]
    assert replied["data"]["author"] == "staff" and replied["data"]["internal"] is False


def test_roles__viewer_reads_staff_writes(d):
    viewer, staff = key(d, "viewer"), key(d, "staff")
    q = ask(staff, contact={"email": "v@example.com"})
    assert viewer.get("/v1/inquiries/" + q["id"]).status == 200
    assert viewer.get("/v1/inquiries").status == 200
    for method, path, body in (("POST", "/v1/inquiries", {"channel": "web", "subject": "s",
                                                          "body": "b",
                                                          "contact": {"email": "x@y.z"}}),
                               ("PATCH", "/v1/inquiries/" + q["id"], {"priority": "low"}),
                               ("POST", "/v1/inquiries/%s/replies" % q["id"], {"body": "b"})):
        r = viewer.request(method, path, body=body)
        assert r.status == 403 and r.error["code"] == "forbidden", (method, path, r)
    assert staff.patch("/v1/inquiries/" + q["id"], {"status": "pending"}).status == 200
    assert staff.post("/v1/inquiries/%s/replies" % q["id"], {"body": "b"}).status == 201


def test_member_session__own_inquiries_only_and_no_internal_replies(d):
    me, b = member_session(d)
    other, ob = member_session(d)
    r = b.post("/v1/inquiries", {"channel": "web", "subject": "Card lost", "body": "Help"})
    assert r.status == 201 and r.json["member_id"] == me["id"], r
    mine = r.json["id"]
    theirs = ask(d.a, member_id=other["id"])["id"]
    staff_only = ask(d.a, contact={"email": "s@example.com"})["id"]
    assert d.a.post("/v1/inquiries/%s/replies" % mine,
                    {"body": "Internal: check fraud", "internal": True}).status == 201
    assert d.a.post("/v1/inquiries/%s/replies" % mine, {"body": "New card sent"}).status == 201
    got = b.get("/v1/inquiries/" + mine)
    assert got.status == 200, got
    assert [x["body"] for x in got.json["replies"]] == ["New card sent"]
    assert got.json["reply_count"] == 1  # Its internal reply is not counted for the member.
    assert d.a.get("/v1/inquiries/" + mine).json["reply_count"] == 2
    for qid in (theirs, staff_only):
        assert b.get("/v1/inquiries/" + qid).status == 404
        assert b.post("/v1/inquiries/%s/replies" % qid, {"body": "hi"}).status == 404
    listed = b.get("/v1/inquiries").json["data"]
    assert [q["id"] for q in listed] == [mine] and listed[0]["reply_count"] == 1
    assert b.get("/v1/inquiries?member_id=" + other["id"]).json["data"] == []
    r = b.post("/v1/inquiries/%s/replies" % mine, {"body": "Thanks"})
    assert r.status == 201 and r.json["author"] == "member" and r.json["author_id"] == me["id"]
    for body, field in (({"body": "x", "internal": True}, "internal"),
                        ({"body": "x", "author": "staff"}, "author")):
        r = b.post("/v1/inquiries/%s/replies" % mine, body)
        assert r.status == 400 and r.error["field"] == field, r
    for body, field in (({"member_id": other["id"]}, "member_id"),
                        ({"assignee": "usr_x"}, "assignee"), ({"tags": ["x"]}, "tags")):
        full = {"channel": "web", "subject": "s", "body": "b"}
        full.update(body)
        r = b.post("/v1/inquiries", full)
        assert r.status == 400 and r.error["field"] == field, (body, r)
    r = b.patch("/v1/inquiries/" + mine, {"status": "closed"})
    assert r.status == 403, r
    assert b.get("/v1/members/%s/notes" % me["id"]).status == 403
    assert b.post("/v1/members/%s/notes" % me["id"], {"body": "x"}).status == 403


def test_notes__staff_write_viewers_read_newest_first(d):
    m = new_member(d.a)
    staff, viewer = key(d, "staff"), key(d, "viewer")
    path = "/v1/members/%s/notes" % m["id"]
    r = staff.post(path, {"body": "Prefers phone calls.", "pinned": True})
    assert r.status == 201, r
    first = r.json
    assert first["id"].startswith("nte_") and first["pinned"] is True
    assert first["author_id"].startswith("key_") and first["member_id"] == m["id"]
    user, ub = None, browser(d)
    email = unique("agent") + "@example.com"
    user = new_user(d, email)
    assert ub.sign_in(email).status == 201
    second = ub.post(path, {"body": "Asked about the gold tier."})
    assert second.status == 201 and second.json["author_id"] == user["id"], second
    assert second.json["pinned"] is False
    listed = viewer.get(path).json
    assert [n["id"] for n in listed["data"]] == [second.json["id"], first["id"]]
    page = viewer.get(path + "?limit=1").json
    assert len(page["data"]) == 1 and page["next_cursor"] == second.json["id"]
    assert viewer.post(path, {"body": "x"}).status == 403
    for body, field in (({}, "body"), ({"body": ""}, "body"), ({"body": "x" * 5001}, "body"),
                        ({"body": "x", "pinned": "yes"}, "pinned"),
                        ({"body": "x", "colour": 1}, "colour")):
        r = staff.post(path, body)
        assert r.status == 400 and r.error["field"] == field, (body, r)
    assert len(viewer.get(path).json["data"]) == 2
    assert staff.post("/v1/members/mem_nobody/notes", {"body": "x"}).status == 404
    assert staff.get("/v1/members/mem_nobody/notes").status == 404
    assert d.b.get(path).status == 404


def test_export__holds_the_members_inquiries_replies_and_notes(d):
    m = new_member(d.a)
    q = ask(d.a, member_id=m["id"])
    assert d.a.post("/v1/inquiries/%s/replies" % q["id"],
                    {"body": "internal", "internal": True}).status == 201
    assert d.a.post("/v1/members/%s/notes" % m["id"], {"body": "VIP"}).status == 201
    out = d.a.get("/v1/members/%s/export" % m["id"])
    assert out.status == 200, out
    doc = out.json
    assert [x["id"] for x in doc["inquiries"]] == [q["id"]]
    assert [x["body"] for x in doc["inquiries"][0]["replies"]] == ["internal"]
    assert [x["body"] for x in doc["notes"]] == ["VIP"]


def test_export__a_member_downloading_its_data_gets_notes_and_internal_replies(d):
    # Staff notes and internal replies are personal data about the member (GDPR art. 15):
    # its own export holds them, though GET /v1/inquiries/{id} does not show internal replies.
    me, b = member_session(d)
    q = ask(d.a, member_id=me["id"])
    assert d.a.post("/v1/inquiries/%s/replies" % q["id"],
                    {"body": "internal remark", "internal": True}).status == 201
    assert d.a.post("/v1/members/%s/notes" % me["id"], {"body": "Called twice"}).status == 201
    doc = b.get("/v1/members/%s/export" % me["id"]).json
    assert [x["body"] for x in doc["inquiries"][0]["replies"]] == ["internal remark"]
    assert [x["body"] for x in doc["notes"]] == ["Called twice"]
    assert b.get("/v1/inquiries/" + q["id"]).json["replies"] == []


def test_migrate_store__copies_inquiries_replies_and_notes(fresh):
    a = fresh.a
    m = new_member(a)
    q = ask(a, member_id=m["id"], tags=["t"])
    c = ask(a, contact={"name": "Guest", "email": "g@example.com"})
    assert a.post("/v1/inquiries/%s/replies" % q["id"], {"body": "hi", "internal": True}).status == 201
    assert a.post("/v1/inquiries/%s/replies" % q["id"], {"body": "done"}).status == 201
    assert a.patch("/v1/inquiries/" + q["id"], {"status": "resolved"}).status == 200
    assert a.post("/v1/members/%s/notes" % m["id"], {"body": "VIP", "pinned": True}).status == 201

    def seen(client):
        return (client.get("/v1/inquiries").json,
                [client.get("/v1/inquiries/" + x).json for x in (q["id"], c["id"])],
                client.get("/v1/members/%s/notes" % m["id"]).json)

    before = seen(a)
    fresh.server.stop()
    os.makedirs(os.path.join(fresh.dir, "copy"), exist_ok=True)
    target = new_database(os.path.join(fresh.dir, "copy"))
    out = run_cli("migrate-store", "--from", fresh.db, "--to", target, check=False)
    assert out.returncode == 0, out.stderr
    server = Server(target, ("--test-clock",))
    try:
        assert seen(Client(server.port, fresh.key_a)) == before
    finally:
        server.stop()
    fresh.restart()


def test_idempotency__a_repeated_create_or_reply_is_replayed(d):
    body = {"channel": "chat", "subject": "Twice", "body": "Sent twice",
            "contact": {"email": "twice@example.com"}}
    k = {"Idempotency-Key": unique("inq-")}
    first = d.a.post("/v1/inquiries", body, headers=k)
    again = d.a.post("/v1/inquiries", body, headers=k)
    assert first.status == again.status == 201, again
    assert again.headers.get("idempotent-replayed") == "true" and again.json == first.json
    other = dict(body, subject="Another")
    assert d.a.post("/v1/inquiries", other, headers=k).error["code"] == "idempotency_conflict"
    path = "/v1/inquiries/%s/replies" % first.json["id"]
    k = {"Idempotency-Key": unique("rpl-")}
    r1 = d.a.post(path, {"body": "once"}, headers=k)
    r2 = d.a.post(path, {"body": "once"}, headers=k)
    assert r1.status == r2.status == 201 and r1.json == r2.json
    assert d.a.get("/v1/inquiries/" + first.json["id"]).json["reply_count"] == 1


def test_limits__the_thousand_and_first_reply_is_422(d):
    q = ask(d.a, contact={"email": "many@example.com"})
    path = "/v1/inquiries/%s/replies" % q["id"]
    for i in range(1000):
        r = d.a.post(path, {"body": "r%d" % i, "internal": i % 2 == 0})
        assert r.status == 201, (i, r)
    r = d.a.post(path, {"body": "one too many"})
    assert r.status == 422 and r.error["code"] == "too_many_replies", r
    got = d.a.get("/v1/inquiries/" + q["id"]).json
    assert got["reply_count"] == 1000 and len(got["replies"]) == 1000
    assert got["replies"][-1]["body"] == "r999" and got["first_response_at"] is not None
