# SPDX-License-Identifier: MIT
"""POST /v1/members/{id}/erase (issue 20, privacy; docs/crm.md, "Privacy: export and erase"):
an admin erases a member's personal data in one write. Afterwards its email, phone, names,
birth date, gender, locale, city, country, attributes, consents, external id, card number and
referral code are gone (the identifiers free for a new member), its password, sessions and reset
tokens deleted, its status `erased` (closed forever: writes are 409 member_erased), its events
say member.erased and the payloads of its earlier member and activity events hold its id only,
its idempotency answers no longer hold it; its ledger, balance, purchases and wallet stay exact
and `patron audit` passes.

Method: a real server on both engines (serve --reset-delivery log, as the portal tests); a
member given one of everything that holds personal data through the API (portal sign-up with a
password and a session, a profile PATCH, a purchase and an activity with Idempotency-Keys, a
reset token, a referral), then erased; every personal value (unique strings) is then looked for
in GET /v1/events and in the whole database as text (db_dump), and must be nowhere.
"""
import pytest

from browser import PASSWORD, T0, SignInDeployment, browser, clock
from conftest import db_dump, new_member, unique


@pytest.fixture(scope="module")
def d():
    with SignInDeployment() as dep:
        clock(dep, T0)
        r = dep.a.patch("/v1/program", {"referrals": {"referrer": {"points": 50},
                                                      "referee": {"points": 20},
                                                      "min_amount": 0, "within_days": 30,
                                                      "max_per_referrer_per_month": 5}})
        assert r.status == 200, r
        yield dep


def ok(r, status=201):
    assert r.status == status, r
    return r.json


def erase(client, member_id, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return client.post("/v1/members/%s/erase" % member_id, headers=headers)


def all_events(client):
    out, cursor = [], None
    while True:
        r = client.get("/v1/events?limit=200" + ("&cursor=" + cursor if cursor else ""))
        assert r.status == 200, r
        out += r.json["data"]
        cursor = r.json.get("next_cursor")
        if not cursor:
            return out


def rich_member(d):
    """A member with personal data in every place that can hold it; its personal values."""
    a = d.a
    first, last = unique("Firstname"), unique("Lastname")
    mail = unique("erase") + "@example.com"
    phone = "+49151%08d" % (abs(hash(first)) % 10 ** 8)
    b = browser(d)
    m = ok(b.post("/v1/portal/sign-up", {"email": mail, "password": PASSWORD, "phone": phone,
                                         "first_name": first, "last_name": last}))["member"]
    mid = m["id"]
    assert ok(b.get("/v1/sessions/current"), 200)["member"]["id"] == mid
    ext, city, attr = unique("crm"), unique("Cityname"), unique("attrvalue")
    ok(a.patch("/v1/members/%s" % mid, {
        "external_id": ext, "city": city, "country": "PT", "gender": "female", "locale": "pt-PT",
        "birth_date": "1987-11-23", "attributes": {"favourite": attr},
        "consents": {"email": True, "sms": True, "push": False}}), 200)
    ok(a.post("/v1/transactions", {"external_id": unique("r"), "member_id": mid,
                                   "currency": "USD", "amount": 4200},
              headers={"Idempotency-Key": unique("k")}))
    prop = unique("propvalue")
    ok(a.post("/v1/activities", {"member_id": mid, "type": "review",
                                 "external_id": unique("act"), "properties": {"text": prop}},
              headers={"Idempotency-Key": unique("k")}))
    ok(a.post("/v1/members/%s/adjustments" % mid, {"points": 300, "reason": "goodwill"}))
    ok(a.post("/v1/members/%s/redemptions" % mid, {"points": 10, "reason": "a cookie"}))
    ok(browser(d).post("/v1/portal/password-resets", {"login": mail}), 202)
    friend = new_member(a, referred_by=m["referral_code"])
    personal = [mail, phone, phone[1:], first, last, ext, city, attr, prop, "1987-11-23",
                m["card_number"], m["referral_code"]]
    return m, b, friend, personal


def test_erase__removes_personal_data_everywhere_and_keeps_the_ledger(d):
    a = d.a
    m, session, friend, personal = rich_member(d)
    mid = m["id"]
    mail, phone, first = personal[0], personal[1], personal[3]
    before = {p: ok(a.get(p % mid), 200) for p in (
        "/v1/members/%s/balance", "/v1/members/%s/ledger", "/v1/members/%s/purchases",
        "/v1/members/%s/wallet", "/v1/members/%s/stamp-cards")}
    summary = ok(a.get("/v1/program/summary"), 200)
    friend_refs = ok(a.get("/v1/members/%s" % friend["id"]), 200)
    dump = db_dump(d.db)
    for value in personal:
        assert value in dump, value  # So that the scan below can fail.

    key = unique("erase-key")
    r = erase(a, mid, key)
    x = ok(r, 200)
    assert x["id"] == mid and x["status"] == "erased"
    for field in ("email", "phone", "first_name", "last_name", "birth_date", "gender", "locale",
                  "city", "country", "external_id", "card_number", "referral_code"):
        assert x[field] is None, (field, x)
    assert x["attributes"] == {}
    assert x["consents"] == {"email": False, "sms": False, "push": False}
    assert x["enrolled_at"] == m["enrolled_at"]
    # A replay answers the first answer; a second erase is refused and changes nothing.
    replay = erase(a, mid, key)
    assert replay.status == 200 and replay.json == x, replay
    again = erase(a, mid)
    assert again.status == 409 and again.error["code"] == "already_erased", again
    again = erase(a, mid, unique("other-key"))
    assert again.status == 409 and again.error["code"] == "already_erased", again
    assert ok(a.get("/v1/members/%s" % mid), 200) == x

    # Ledger, balances, purchases, wallet, tier and the program's figures are what they were.
    for p, value in before.items():
        assert ok(a.get(p % mid), 200) == value, p
    after = ok(a.get("/v1/program/summary"), 200)
    # Members counts it still (total, enrolled), as no longer active (its status); the rest
    # of the program's figures are the same.
    assert after["members"] == dict(summary["members"], active=summary["members"]["active"] - 1)
    assert dict(after, members=None) == dict(summary, members=None)
    assert ok(a.get("/v1/members/%s" % friend["id"]), 200) == friend_refs
    d.audit()

    # Not found by any identifier (each may be taken by a new member: at the end).
    for q in ("email=" + mail, "phone=%2B" + phone[1:], "external_id=" + personal[5],
              "card_number=" + m["card_number"], "q=" + first):
        assert ok(a.get("/v1/members?" + q), 200)["data"] == [], q

    # Closed forever: no write, no sign-in, no session, no card.
    refusals = [
        a.post("/v1/transactions", {"external_id": unique("r"), "member_id": mid,
                                    "currency": "USD", "amount": 100}),
        a.post("/v1/members/%s/adjustments" % mid, {"points": 5, "reason": "x"}),
        a.post("/v1/members/%s/redemptions" % mid, {"points": 1, "reason": "x"}),
        a.post("/v1/activities", {"member_id": mid, "type": "review",
                                  "external_id": unique("act")}),
        a.patch("/v1/members/%s" % mid, {"first_name": "Back"}),
        a.patch("/v1/members/%s" % mid, {"status": "active"}),
        a.post("/v1/members/%s/reopen" % mid),
        a.get("/v1/members/%s/card/qr.svg" % mid),
    ]
    for r in refusals:
        assert r.status == 409 and r.error["code"] == "member_erased", r
    assert session.get("/v1/sessions/current").status == 401
    assert browser(d).member_sign_in(mail).status == 401
    assert ok(a.get("/v1/members/%s" % mid), 200) == x

    # The events: member.erased with ids only; no event holds a personal value.
    events = all_events(a)
    erased = [e for e in events if e["type"] == "member.erased"]
    assert len(erased) == 1 and erased[0]["member_id"] == mid
    mine = [e for e in events if e.get("member_id") == mid]
    assert {"member.created", "member.updated", "activity.recorded",
            "points.earned"} <= {e["type"] for e in mine}
    text = str(events)
    for value in personal:
        assert value not in text, value

    # Nowhere in the database: not in a table, an event, an idempotency answer.
    dump = db_dump(d.db)
    assert mid in dump  # The ledger keeps the member's opaque id.
    for value in personal:
        assert value not in dump, value

    # Nor in the server's log (which never holds personal data).
    log = d.server.log()
    for value in personal[:5]:
        assert value not in log, value

    # The identifiers are free: a new member takes the email, phone and external id.
    other = ok(a.post("/v1/members", {"email": mail, "phone": phone,
                                      "external_id": personal[5]}))
    assert other["id"] != mid and other["email"] == mail


def test_erase__a_closed_member_and_an_empty_one(d):
    a = d.a
    m = new_member(a)
    ok(a.patch("/v1/members/%s" % m["id"], {"status": "closed"}), 200)
    x = ok(erase(a, m["id"]), 200)
    assert x["status"] == "erased" and x["email"] is None
    bare = ok(a.post("/v1/members", {}))
    assert ok(erase(a, bare["id"]), 200)["card_number"] is None
    d.audit()


def test_erase__its_inquiries_notes_and_survey_words_too(d):
    # Issue 20's later tables hold the member's words: what staff noted, what was asked and
    # replied, a survey's text answers. The scores and counts stay, so the figures stay exact.
    a = d.a
    m = new_member(a)
    words = {k: unique(k) for k in ("subject", "body", "reply", "note", "answer", "tag")}
    inquiry = ok(a.post("/v1/inquiries", {"member_id": m["id"], "channel": "email",
                                          "subject": words["subject"], "body": words["body"],
                                          "tags": [words["tag"]]}))
    ok(a.post("/v1/inquiries/%s/replies" % inquiry["id"], {"body": words["reply"]}))
    ok(a.post("/v1/members/%s/notes" % m["id"], {"body": words["note"]}))
    survey = ok(a.post("/v1/surveys", {"name": unique("s"), "questions": [
        {"id": "nps", "kind": "nps", "text": "Recommend us?", "required": True},
        {"id": "why", "kind": "text", "text": "Why?"}]}))
    ok(a.patch("/v1/surveys/%s" % survey["id"], {"status": "active"}), 200)
    ok(a.post("/v1/surveys/%s/responses" % survey["id"],
              {"member_id": m["id"], "answers": {"nps": 10, "why": words["answer"]}}))
    before = ok(a.get("/v1/surveys/%s/results" % survey["id"]), 200)
    dump = db_dump(d.db)
    for k, w in words.items():
        assert w in dump, k  # There before: the check after can fail.
    ok(erase(a, m["id"]), 200)
    dump = db_dump(d.db)
    for k, w in words.items():
        assert w not in dump, k
    assert ok(a.get("/v1/members/%s/notes" % m["id"]), 200)["data"] == []
    kept = ok(a.get("/v1/inquiries/%s" % inquiry["id"]), 200)
    assert (kept["status"], kept["channel"], kept["subject"]) == ("open", "email", "(erased)")
    # Found by review: no new words about the member land after its erase (a note, an inquiry,
    # a reply), and its open inquiry can still be closed (it was refused as invalid).
    for path, body in (("/v1/members/%s/notes" % m["id"], {"body": "zzafterzz"}),
                       ("/v1/inquiries", {"member_id": m["id"], "channel": "web",
                                          "subject": "zzafterzz", "body": "zzafterzz"}),
                       ("/v1/inquiries/%s/replies" % inquiry["id"], {"body": "zzafterzz"})):
        r = a.post(path, body)
        assert r.status == 409 and r.error["code"] == "member_erased", (path, r)
    assert ok(a.patch("/v1/inquiries/%s" % inquiry["id"], {"status": "closed"}),
              200)["status"] == "closed"
    assert "zzafterzz" not in str(ok(a.get("/v1/members/%s/export" % m["id"]), 200))
    after = ok(a.get("/v1/surveys/%s/results" % survey["id"]), 200)
    assert after["responses"] == before["responses"] == 1
    nps = lambda r: [q for q in r["questions"] if q["id"] == "nps"][0]  # noqa: E731
    assert nps(after) == nps(before)
    d.audit()


def test_erase__admin_only_and_bad_ids(d):
    a = d.a
    m = new_member(a)
    for role in ("staff", "viewer"):
        k = ok(a.post("/v1/api-keys", {"name": unique(role), "role": role}))["api_key"]
        r = erase(a.with_key(k), m["id"])
        assert r.status == 403, (role, r)
    assert erase(d.anon(), m["id"]).status == 401
    for bad in ("mem_nope", "x" * 300, "%27%20OR%201%3D1"):
        r = erase(a, bad)
        assert r.status == 404 and r.error["code"] == "not_found", (bad, r)
    # Another program's member is not found in this one.
    r = erase(d.b, m["id"])
    assert r.status == 404, r
    r = a.post("/v1/members/%s/erase" % m["id"], {"unexpected": 1})
    assert r.status == 400, r
    assert ok(a.get("/v1/members/%s" % m["id"]), 200) == m  # Nothing was erased.
