# SPDX-License-Identifier: MIT
"""The member portal's server side (issue 19): sign-up under the program's enrollment (open, by
invitation, closed), member sign-in by email or phone with the lock-out, password resets through
the delivery hook, and what a member's session may do: only the routes flagged for members, only
for its own id (another member is 404), only its own coupons, and a PATCH of its own profile
fields.

Method: a real server over HTTP on SQLite or PostgreSQL (serve --reset-delivery log: the reset
links are read from the server's log, as a developer would); a client keeping the cookie as a
browser does (tests/api/browser.py); the program's test clock moves time for the lock and the
reset token's hour.
"""
import pytest

from browser import (PASSWORD, T0, SignInDeployment, browser, clock, log_has_no_secrets,
                     reset_links)
from conftest import unique

ESPRESSO = {"name": "Free espresso", "type": "free_product", "sku": "ESP", "cost_points": 100,
            "coupon_valid_days": 30}


@pytest.fixture(scope="module")
def d():
    with SignInDeployment() as dep:
        clock(dep, T0)
        yield dep


def email():
    return unique("p") + "@example.com"


def phone():
    return "+4915%09d" % (unique("").__hash__() % 10 ** 9)


def sign_up(d, **fields):
    body = {"email": email(), "password": PASSWORD}
    body.update(fields)
    b = browser(d)
    r = b.post("/v1/portal/sign-up", body)
    assert r.status == 201, r
    return r.json["member"], b


def enrollment(d, value):
    r = d.a.patch("/v1/program", {"enrollment": value})
    assert r.status == 200 and r.json["enrollment"] == value, r


def test_sign_up__enrolls_and_signs_the_member_in(d):
    e = email()
    b = browser(d)
    r = b.post("/v1/portal/sign-up", {"email": e.upper(), "password": PASSWORD,
                                      "first_name": "Mai", "consents": {"email": True}})
    assert r.status == 201, r
    s = r.json
    assert s["kind"] == "member" and s["program_id"] == d.program_a
    m = s["member"]
    assert (m["email"], m["first_name"], m["status"]) == (e, "Mai", "active")
    assert m["consents"]["email"] is True
    assert s["expires_at"] == "2026-03-31T10:00:00Z"  # 30 days.
    assert "Max-Age=2592000" in b.set_cookie and "HttpOnly" in b.set_cookie
    assert d.a.get("/v1/members/" + m["id"]).json["email"] == e  # A member like any other.
    assert b.get("/v1/sessions/current").json["member"]["id"] == m["id"]
    events = d.a.get("/v1/events?limit=200").json["data"]
    assert any(ev["type"] == "member.created" and ev["member_id"] == m["id"] for ev in events)


def test_sign_up__an_email_or_phone_in_use_is_409_and_creates_nothing(d):
    member, _ = sign_up(d)
    staff_enrolled = d.a.post("/v1/members", {"email": email(), "phone": phone()}).json
    for body in ({"email": member["email"]}, {"email": staff_enrolled["email"]},
                 {"phone": staff_enrolled["phone"]}):
        before = len(d.a.get("/v1/members?limit=200").json["data"])
        r = browser(d).post("/v1/portal/sign-up", dict(body, password=PASSWORD))
        assert r.status == 409 and r.error["code"] == "conflict", r
        assert "reset the password" in r.error["message"]
        assert len(d.a.get("/v1/members?limit=200").json["data"]) == before


@pytest.mark.parametrize("body,field", [
    ({"password": PASSWORD}, "email"),
    ({"email": "not-an-email", "password": PASSWORD}, "email"),
    ({"phone": "12345", "password": PASSWORD}, "phone"),
    ({"email": "a@example.com"}, "password"),
    ({"email": "a@example.com", "password": "short"}, "password"),
    ({"email": "abcdefghij@example.com", "password": "ABCDEFGHIJ@example.com"}, "password"),
    ({"email": "a@example.com", "password": PASSWORD, "status": "active"}, "status"),
    ({"email": "a@example.com", "password": PASSWORD, "attributes": {}}, "attributes"),
    ({"email": "a@example.com", "password": PASSWORD, "card_number": "1"}, "card_number"),
])
def test_sign_up__invalid_is_400_naming_the_field(d, body, field):
    r = browser(d).post("/v1/portal/sign-up", body)
    assert r.status == 400 and r.error["field"] == field, r
    assert "set-cookie" not in r.headers


def test_sign_up__by_invitation_needs_an_active_members_code(d):
    referrer, _ = sign_up(d)
    try:
        enrollment(d, "invitation")
        r = browser(d).post("/v1/portal/sign-up", {"email": email(), "password": PASSWORD})
        assert r.status == 400 and r.error["field"] == "invitation_code", r
        r = browser(d).post("/v1/portal/sign-up", {"email": email(), "password": PASSWORD,
                                                   "invitation_code": "ZZZZZZZZ"})
        assert r.status == 422 and r.error["code"] == "referral_code_unknown", r
        assert r.error["field"] == "invitation_code"
        invited, _ = sign_up(d, invitation_code=referrer["referral_code"])
        refs = d.a.get("/v1/members/%s/referrals" % referrer["id"]).json["data"]
        assert [x["member_id"] for x in refs] == [invited["id"]]
    finally:
        enrollment(d, "open")


def test_sign_up__closed_is_403_but_a_staff_enrolled_member_sets_a_password_by_reset(d):
    m = d.a.post("/v1/members", {"email": email()}).json
    try:
        enrollment(d, "closed")
        r = browser(d).post("/v1/portal/sign-up", {"email": email(), "password": PASSWORD})
        assert r.status == 403 and r.error["code"] == "enrollment_closed", r
        assert browser(d).member_sign_in(m["email"]).status == 401  # No password yet.
        before = len(reset_links(d))
        r = browser(d).post("/v1/portal/password-resets", {"login": m["email"]})
        assert r.status == 202, r
        link = reset_links(d, before + 1)[-1]
        assert link["member_id"] == m["id"] and link["program_id"] == d.program_a
        token = link["link"].split("token=")[1]
        r = browser(d).post("/v1/portal/password-resets/confirm",
                            {"token": token, "password": "my first password"})
        assert r.status == 204, r
        assert browser(d).member_sign_in(m["email"], "my first password").status == 201
    finally:
        enrollment(d, "open")


def test_member_sign_in__by_email_or_phone(d):
    p = phone()
    member, _ = sign_up(d, phone=p)
    r = browser(d).member_sign_in(member["email"].upper())
    assert r.status == 201 and r.json["member"]["id"] == member["id"], r
    r = browser(d).member_sign_in(p)
    assert r.status == 201 and r.json["member"]["id"] == member["id"], r
    wrong = browser(d).member_sign_in(p, "not the password")
    unknown = browser(d).member_sign_in(email())
    assert wrong.status == unknown.status == 401
    assert wrong.error == unknown.error
    # A user's sign-in does not take a member's login, nor the other way round.
    assert browser(d).sign_in(member["email"]).status == 401


def test_member_sign_in__locks_after_five_failures(d):
    member, _ = sign_up(d)
    for _ in range(5):
        assert browser(d).member_sign_in(member["email"], "wrong password").status == 401
    r = browser(d).member_sign_in(member["email"])
    assert r.status == 429 and r.error["code"] == "locked" and r.headers["retry-after"] == "900"
    try:
        clock(d, "2026-03-01T10:15:00Z")
        assert browser(d).member_sign_in(member["email"]).status == 201
    finally:
        clock(d, T0)


def test_member_session__sees_only_itself(d):
    me, b = sign_up(d)
    other, _ = sign_up(d)
    for path in ("", "/balance", "/ledger", "/tier", "/stamp-cards", "/wallet", "/referrals",
                 "/card/qr.svg", "/card/barcode.svg"):
        mine = b.get("/v1/members/%s%s" % (me["id"], path))
        assert mine.status in (200, 404), (path, mine)  # 404 only where the program has none
        theirs = b.get("/v1/members/%s%s" % (other["id"], path))
        assert theirs.status == 404 and theirs.error["code"] == "not_found", (path, theirs)
    assert b.get("/v1/members/" + me["id"]).status == 200
    assert b.get("/v1/members/%s/balance" % me["id"]).status == 200
    assert b.get("/v1/rewards").status == 200
    for method, path, body in (("GET", "/v1/members", None), ("GET", "/v1/events", None),
                               ("POST", "/v1/members", {"email": email()}),
                               ("POST", "/v1/members/%s/adjustments" % me["id"],
                                {"points": 1000, "reason": "me"}),
                               ("POST", "/v1/transactions", {"external_id": "r1",
                                                             "member_id": me["id"],
                                                             "currency": "USD", "amount": 100}),
                               ("GET", "/v1/program", None), ("GET", "/v1/users", None),
                               ("POST", "/v1/members/%s/reopen" % me["id"], None)):
        r = b.request(method, path, body=body)
        assert r.status == 403 and r.error["code"] == "forbidden", (method, path, r)
    assert d.a.get("/v1/members/%s/balance" % me["id"]).json["available"] == 0


def test_member_session__reads_the_catalog_for_itself_only(d):
    # GET /v1/rewards?member_id= answers what the member can afford: another member's is as
    # absent as one that does not exist (it would tell their balance and tier).
    reward = d.a.post("/v1/rewards", dict(ESPRESSO, name=unique("espresso"), cost_points=1000))
    assert reward.status == 201, reward
    me, b = sign_up(d)
    other, _ = sign_up(d)
    r = d.a.post("/v1/members/%s/adjustments" % other["id"], {"points": 250, "reason": "seed"})
    assert r.status == 201, r
    mine = b.get("/v1/rewards?limit=200&member_id=" + me["id"])
    assert mine.status == 200, mine
    offer = [o for o in mine.json["data"] if o["id"] == reward.json["id"]][0]
    assert offer["points_missing"] == 1000
    for member_id in (other["id"], "mem_" + "0" * 26):
        r = b.get("/v1/rewards?member_id=" + member_id)
        assert r.status == 404 and r.error["code"] == "not_found", r
        assert r.error["field"] == "member_id", r
    assert d.a.get("/v1/rewards?member_id=" + other["id"]).status == 200  # A key still may.


def test_member_session__ends_when_the_member_is_closed(d):
    # A closed member cannot sign in (403 member_inactive); the sessions it had end with the
    # closing, as a disabled user's do, and a reopening does not bring them back.
    me, b = sign_up(d)
    assert b.get("/v1/members/" + me["id"]).status == 200
    r = d.a.patch("/v1/members/" + me["id"], {"status": "closed"})
    assert r.status == 200, r
    for path in ("/v1/sessions/current", "/v1/members/%s/export" % me["id"]):
        r = b.get(path)
        assert r.status == 401 and r.error["code"] == "unauthorized", (path, r)
    assert d.a.post("/v1/members/%s/reopen" % me["id"]).status == 200
    b2 = browser(d)
    assert b2.member_sign_in(me["email"]).status == 201
    assert b2.get("/v1/members/" + me["id"]).status == 200
    r = d.a.patch("/v1/members/" + me["id"], {"status": "suspended"})
    assert r.status == 200, r
    assert b2.get("/v1/members/" + me["id"]).status == 200  # Suspended: still signed in.


def test_member_session__patches_only_its_profile_fields(d):
    me, b = sign_up(d)
    r = b.patch("/v1/members/" + me["id"], {"first_name": "New", "locale": "th",
                                            "birth_date": "1990-05-01",
                                            "consents": {"sms": True}})
    assert r.status == 200, r
    assert (r.json["first_name"], r.json["locale"], r.json["consents"]["sms"]) == ("New", "th",
                                                                                   True)
    for body in ({"status": "closed"}, {"email": email()}, {"external_id": "x"},
                 {"attributes": {"vip": True}}, {"first_name": "Ok", "status": "active"}):
        r = b.patch("/v1/members/" + me["id"], body)
        assert r.status == 403 and r.error["code"] == "forbidden", (body, r)
        assert r.error["field"] in body
    after = d.a.get("/v1/members/" + me["id"]).json
    assert (after["first_name"], after["status"], after["email"]) == ("New", "active",
                                                                      me["email"])
    other, _ = sign_up(d)
    assert b.patch("/v1/members/" + other["id"], {"first_name": "X"}).status == 404
    b.send_csrf = False
    r = b.patch("/v1/members/" + me["id"], {"first_name": "Y"})
    assert r.status == 403 and r.error["code"] == "csrf_failed", r


def test_member_session__redeems_and_sees_only_its_own_coupons(d):
    reward = d.a.post("/v1/rewards", dict(ESPRESSO, name=unique("espresso"))).json
    me, b = sign_up(d)
    other, ob = sign_up(d)
    for m in (me, other):
        r = d.a.post("/v1/members/%s/adjustments" % m["id"], {"points": 250, "reason": "seed"})
        assert r.status == 201, r
    assert b.get("/v1/rewards/" + reward["id"]).status == 200
    r = b.post("/v1/members/%s/rewards/%s/redeem" % (me["id"], reward["id"]))
    assert r.status == 201, r
    mine = r.json["code"]
    r = b.post("/v1/members/%s/rewards/%s/redeem" % (other["id"], reward["id"]))
    assert r.status == 404, r
    theirs = ob.post("/v1/members/%s/rewards/%s/redeem" % (other["id"], reward["id"])).json["code"]
    for suffix in ("", "/qr.svg", "/qr.png", "/barcode.svg"):
        if suffix != "/qr.png":  # A PNG is not text for the test client.
            assert b.get("/v1/coupons/%s%s" % (mine, suffix)).status == 200, suffix
        r = b.get("/v1/coupons/%s%s" % (theirs, suffix))
        assert r.status == 404 and r.error["code"] == "not_found", (suffix, r)
    r = b.post("/v1/coupons/%s/redeem" % mine)  # The till's, not the member's.
    assert r.status == 403, r
    assert d.a.get("/v1/members/%s/balance" % me["id"]).json["available"] == 150


def test_member_session__idempotency_keys_are_its_own(d):
    # Anyone may sign up, so a member's Idempotency-Key must not take a key the program's
    # tills may use (a receipt number printed on a receipt): it is kept apart, and replays
    # for that member only.
    reward = d.a.post("/v1/rewards", dict(ESPRESSO, name=unique("espresso"))).json
    me, b = sign_up(d)
    other, ob = sign_up(d)
    for m in (me, other):
        r = d.a.post("/v1/members/%s/adjustments" % m["id"], {"points": 250, "reason": "seed"})
        assert r.status == 201, r
    key = {"Idempotency-Key": unique("R-")}
    path = "/v1/members/%s/rewards/%s/redeem" % (me["id"], reward["id"])
    first = b.post(path, headers=key)
    assert first.status == 201, first
    again = b.post(path, headers=key)
    assert again.status == 201 and again.headers.get("idempotent-replayed") == "true", again
    assert again.json["code"] == first.json["code"]
    r = d.a.post("/v1/members", {"email": email()}, headers=key)
    assert r.status == 201 and r.headers.get("idempotent-replayed") is None, r
    r = ob.post("/v1/members/%s/rewards/%s/redeem" % (other["id"], reward["id"]), headers=key)
    assert r.status == 201 and r.json["code"] != first.json["code"], r
    assert d.a.get("/v1/members/%s/balance" % me["id"]).json["available"] == 150


def test_member_password_change__ends_other_sessions(d):
    me, b1 = sign_up(d)
    b2 = browser(d)
    assert b2.member_sign_in(me["email"]).status == 201
    r = b1.post("/v1/sessions/current/password", {"current_password": PASSWORD,
                                                  "new_password": "a member password"})
    assert r.status == 204, r
    assert b1.get("/v1/members/" + me["id"]).status == 200
    assert b2.get("/v1/members/" + me["id"]).status == 401
    assert browser(d).member_sign_in(me["email"], "a member password").status == 201


def test_reset__end_to_end_single_use_and_ending_sessions(d):
    me, b = sign_up(d)
    before = len(reset_links(d))
    r = browser(d).post("/v1/portal/password-resets", {"login": me["email"].upper()})
    assert r.status == 202 and r.json == {}, r
    links = reset_links(d, before + 1)
    assert len(links) == before + 1
    token = links[-1]["link"].split("token=")[1]
    assert len(token) == 43 and me["email"] not in links[-1]["link"]
    r = browser(d).post("/v1/portal/password-resets/confirm", {"token": token,
                                                               "password": "short"})
    assert r.status == 400 and r.error["field"] == "password", r
    r = browser(d).post("/v1/portal/password-resets/confirm",
                        {"token": token, "password": "a reset password"})
    assert r.status == 204, r
    assert b.get("/v1/members/" + me["id"]).status == 401  # Its sessions ended.
    assert browser(d).member_sign_in(me["email"]).status == 401
    assert browser(d).member_sign_in(me["email"], "a reset password").status == 201
    r = browser(d).post("/v1/portal/password-resets/confirm",
                        {"token": token, "password": "yet another one"})
    assert r.status == 400 and r.error["field"] == "token", r  # Once only.
    log_has_no_secrets(d, "a reset password", "yet another one", PASSWORD)


def test_reset__answers_alike_for_anyone_and_expires_after_an_hour(d):
    before = len(reset_links(d))
    for login in (email(), "+4915000000000", "nobody"):
        r = browser(d).post("/v1/portal/password-resets", {"login": login})
        assert r.status == 202 and r.json == {}, r
    r = browser(d).post("/v1/portal/password-resets", {"login": email(),
                                                       "program_id": "prg_nope"})
    assert r.status == 202, r
    # No login could have these shapes: bad input, 400 (found by review: it was 202).
    for body, field in (({"login": ""}, "login"), ({"login": "a" * 5000}, "login"),
                        ({"login": email(), "program_id": "p" * 5000}, "program_id")):
        r = browser(d).post("/v1/portal/password-resets", body)
        assert r.status == 400 and r.error["field"] == field, (field, r)
    me, _ = sign_up(d)
    assert browser(d).post("/v1/portal/password-resets", {"login": me["email"]}).status == 202
    links = reset_links(d, before + 1)
    # The log is in order: once the member's link is there, one for the requests before would
    # be too. Nothing was sent for them.
    assert len(links) == before + 1 and links[-1]["member_id"] == me["id"], links[before:]
    token = links[-1]["link"].split("token=")[1]
    try:
        clock(d, "2026-03-01T11:00:00Z")  # T0 + 1 h: the token's hour is over.
        r = browser(d).post("/v1/portal/password-resets/confirm",
                            {"token": token, "password": "too late now"})
        assert r.status == 400 and r.error["field"] == "token", r
    finally:
        clock(d, T0)
    for token in ("", "x" * 43, "not a token"):
        r = browser(d).post("/v1/portal/password-resets/confirm",
                            {"token": token, "password": "whatever pass"})
        assert r.status == 400 and r.error["field"] == "token", r


def test_reset__a_newer_request_replaces_the_older_token(d):
    me, _ = sign_up(d)
    before = len(reset_links(d))
    assert browser(d).post("/v1/portal/password-resets", {"login": me["email"]}).status == 202
    first = reset_links(d, before + 1)[-1]["link"].split("token=")[1]
    assert browser(d).post("/v1/portal/password-resets", {"login": me["email"]}).status == 202
    second = reset_links(d, before + 2)[-1]["link"].split("token=")[1]
    assert first != second
    r = browser(d).post("/v1/portal/password-resets/confirm", {"token": first,
                                                               "password": "first token pw"})
    assert r.status == 400, r
    r = browser(d).post("/v1/portal/password-resets/confirm", {"token": second,
                                                               "password": "second token pw"})
    assert r.status == 204, r


def test_member_sessions__draw_from_their_own_buckets_not_the_programs():
    # Found by review: members (anyone may sign up) drew from the program's buckets, so a few
    # data exports by one member used up the expensive bucket and the tills' carts were 429.
    # A member draws from its own bucket (20 a second, burst 60) and its program's members'
    # (500, burst 1,000), never from the program's (docs/security.md, "Rate limits").
    with SignInDeployment() as d:
        r = d.a.patch("/v1/program", {"rate_limits": {"expensive": {"per_second": 1, "burst": 5}}})
        assert r.status == 200, r
        me, b = sign_up(d)
        for _ in range(10):
            r = b.get("/v1/members/%s/export" % me["id"])
            assert r.status == 200, r
        r = d.a.post("/v1/carts/evaluate", {"amount": 1000})
        assert r.status == 200, r  # The program's expensive bucket is untouched.
        # One member past its own bucket is refused; another member and the tills are not.
        refused = None
        for _ in range(400):
            r = b.get("/v1/members/%s/balance" % me["id"])
            if r.status != 200:
                refused = r
                break
        assert refused is not None and refused.status == 429, refused
        assert refused.error["code"] == "rate_limited" and "a member" in refused.error["message"]
        assert int(refused.headers["retry-after"]) >= 1
        other, c = sign_up(d)
        assert c.get("/v1/members/%s/balance" % other["id"]).status == 200
        assert d.a.get("/v1/members/%s/balance" % me["id"]).status == 200
