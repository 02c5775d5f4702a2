# SPDX-License-Identifier: MIT
"""Sessions (issue 19): sign-in and sign-out, the cookie's attributes, CSRF, the lock-out and the
per-address limit, what ends a session (sign-out, disabling, a new role or password, expiry),
and what each role may do with a session (viewer reads only, staff is not admin).

Method: a real server over HTTP on SQLite or PostgreSQL; a client that keeps the cookie as a
browser does (tests/api/browser.py). Time moves with the program's test clock (serve
--test-clock): the lock and a session's end are read from it. The server's log is read for
secrets at the end.
"""
import pytest

from browser import (PASSWORD, T0, Browser, SignInDeployment, browser, clock,
                     log_has_no_secrets, new_user, signed_in)
from conftest import Client, unique

LATER = "2026-03-01T10:15:01Z"  # T0 + 15 min 1 s: the lock is over.


@pytest.fixture(scope="module")
def d():
    with SignInDeployment() as dep:
        clock(dep, T0)
        yield dep


def email():
    return unique("s") + "@example.com"


def test_sign_in__answers_the_session_and_sets_the_cookie(d):
    user, b = signed_in(d, email(), "admin")
    cookie = b.set_cookie
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0].startswith("patron_session=") and len(parts[0]) == len("patron_session=") + 43
    assert set(parts[1:]) == {"Path=/", "Max-Age=43200", "HttpOnly", "SameSite=Lax"}, cookie
    r = b.get("/v1/sessions/current")
    assert r.status == 200, r
    s = r.json
    assert (s["kind"], s["program_id"], s["user"]["id"]) == ("user", d.program_a, user["id"])
    assert s["csrf_token"] == b.csrf and len(b.csrf) == 43
    assert s["expires_at"] == "2026-03-01T22:00:00Z"  # 12 h on the program's clock.
    assert s["user"]["last_sign_in_at"] == "2026-03-01T10:00:00Z"
    assert b.cookie not in r.body


def test_sign_out__ends_the_session_and_expires_the_cookie(d):
    _, b = signed_in(d, email())
    cookie = b.cookie
    r = b.delete("/v1/sessions/current")
    assert r.status == 204, r
    assert b.set_cookie.startswith("patron_session=;") and "Max-Age=0" in b.set_cookie
    b.cookie = cookie  # A copy of the cookie kept by someone is worth nothing now.
    r = b.get("/v1/sessions/current")
    assert r.status == 401 and r.error["code"] == "unauthorized", r


def test_sign_in__wrong_password_and_unknown_email_answer_alike(d):
    e = email()
    new_user(d, e)
    answers = []
    for body in ({"email": e, "password": "not the password"},
                 {"email": email(), "password": PASSWORD},
                 {"email": e, "password": PASSWORD, "program_id": d.program_b},
                 {"email": e, "password": PASSWORD, "program_id": "prg_nope"},
                 {"email": e, "password": "p" * 129}):
        r = browser(d).post("/v1/sessions", body)
        assert r.status == 401, (body, r)
        assert "set-cookie" not in r.headers
        answers.append(r.error)
    assert all(a == answers[0] for a in answers), answers
    assert answers[0]["code"] == "invalid_credentials"
    for body, field in (({"email": e}, "password"), ({"password": PASSWORD}, "email"),
                        ({"email": e, "password": PASSWORD, "remember": True}, "remember")):
        r = browser(d).post("/v1/sessions", body)
        assert r.status == 400 and r.error["field"] == field, r


def test_csrf__a_cookies_write_needs_the_sessions_token(d):
    _, b = signed_in(d, email())
    b.send_csrf = False
    body = {"email": email()}
    r = b.post("/v1/members", body)
    assert r.status == 403 and r.error["code"] == "csrf_failed", r
    r = b.post("/v1/members", body, headers={"X-CSRF-Token": "x" * 43})
    assert r.status == 403 and r.error["code"] == "csrf_failed", r
    r = b.post("/v1/members", body, headers={"X-CSRF-Token": b.csrf[:-1]})
    assert r.status == 403 and r.error["code"] == "csrf_failed", r
    _, other = signed_in(d, email())  # Another session's token is not this one's.
    r = b.post("/v1/members", body, headers={"X-CSRF-Token": other.csrf})
    assert r.status == 403 and r.error["code"] == "csrf_failed", r
    assert d.a.get("/v1/members?email=" + body["email"]).json["data"] == []
    r = b.post("/v1/members", body, headers={"X-CSRF-Token": b.csrf})
    assert r.status == 201, r
    assert b.get("/v1/members/" + r.json["id"]).status == 200  # A GET needs none.
    r = b.delete("/v1/sessions/current")  # Signing out is a write too.
    assert r.status == 403 and r.error["code"] == "csrf_failed", r


def test_csrf__a_bearer_key_needs_none_and_wins_over_a_cookie(d):
    assert d.a.post("/v1/members", {"email": email()}).status == 201  # No token, no cookie.
    _, admin = signed_in(d, email(), "admin")
    staff_key = d.a.post("/v1/api-keys", {"name": "till", "role": "staff"}).json["api_key"]
    k = Client(d.server.port, staff_key)
    # The admin's cookie rides along, but the request is the staff key's: no CSRF asked, and
    # an admin route is refused as for staff.
    r = k.post("/v1/members", {"email": email()}, headers={"Cookie": "patron_session=" + admin.cookie})
    assert r.status == 201, r
    r = k.get("/v1/program", headers={"Cookie": "patron_session=" + admin.cookie})
    assert r.status == 403, r
    r = Client(d.server.port, "ptk_" + "x" * 52).get(
        "/v1/members", headers={"Cookie": "patron_session=" + admin.cookie})
    assert r.status == 401, r  # A bad key is not rescued by a good cookie.
    r = d.a.get("/v1/sessions/current")
    assert r.status == 403, r  # The current session is a session's, not a key's.


def test_session__a_malformed_or_unknown_cookie_is_401(d):
    for cookie in ("patron_session=", "patron_session=abc", "patron_session=" + "A" * 43,
                   "other=1", "patron_session=" + "A" * 42 + "!"):
        r = Client(d.server.port).get("/v1/members", headers={"Cookie": cookie})
        assert r.status == 401 and r.error["code"] == "unauthorized", (cookie, r)
    _, b = signed_in(d, email())
    r = Client(d.server.port).get(
        "/v1/members", headers={"Cookie": "theme=dark; patron_session=%s; lang=th" % b.cookie})
    assert r.status == 200, r


def test_lock_out__five_failures_lock_for_15_minutes(d):
    e = email()
    user = new_user(d, e)
    b = browser(d)
    for i in range(5):
        r = b.sign_in(e, "wrong password %d" % i)
        assert r.status == 401 and r.error["code"] == "invalid_credentials", (i, r)
    r = b.sign_in(e)  # The right password does not help while locked.
    assert r.status == 429 and r.error["code"] == "locked", r
    assert r.headers["retry-after"] == "900", r.headers
    assert "set-cookie" not in r.headers
    assert d.a.get("/v1/users/" + user["id"]).json["locked_until"] == "2026-03-01T10:15:00Z"
    clock(d, "2026-03-01T10:10:00Z")
    r = b.sign_in(e)
    assert r.status == 429 and r.headers["retry-after"] == "300", r
    clock(d, LATER)
    try:
        r = b.sign_in(e)
        assert r.status == 201, r
        assert d.a.get("/v1/users/" + user["id"]).json["locked_until"] is None
    finally:
        clock(d, T0)


def test_lock_out__a_success_starts_the_count_again(d):
    e = email()
    new_user(d, e)
    for _ in range(4):
        assert browser(d).sign_in(e, "wrong password!").status == 401
    assert browser(d).sign_in(e).status == 201
    for _ in range(4):
        assert browser(d).sign_in(e, "wrong password!").status == 401
    assert browser(d).sign_in(e).status == 201


def test_lock_out__an_admin_setting_a_new_password_unlocks(d):
    e = email()
    user = new_user(d, e)
    for _ in range(5):
        assert browser(d).sign_in(e, "wrong password!").status == 401
    assert browser(d).sign_in(e).status == 429
    assert d.a.patch("/v1/users/" + user["id"], {"password": "a new password"}).status == 200
    assert browser(d).sign_in(e, "a new password").status == 201


def test_disabling_a_user_ends_its_sessions(d):
    user, b = signed_in(d, email())
    assert b.get("/v1/members").status == 200
    assert d.a.patch("/v1/users/" + user["id"], {"status": "disabled"}).status == 200
    r = b.get("/v1/members")
    assert r.status == 401, r
    r = browser(d).sign_in(user["email"])
    assert r.status == 403 and r.error["code"] == "user_disabled", r
    r = browser(d).sign_in(user["email"], "not the password")
    assert r.status == 401, r  # A wrong password learns nothing of the status.
    assert d.a.patch("/v1/users/" + user["id"], {"status": "active"}).status == 200
    assert b.get("/v1/members").status == 401  # Ended, not suspended.
    assert browser(d).sign_in(user["email"]).status == 201


def test_a_new_role_ends_the_users_sessions(d):
    user, b = signed_in(d, email(), "admin")
    assert b.get("/v1/program").status == 200
    assert d.a.patch("/v1/users/" + user["id"], {"role": "staff"}).status == 200
    assert b.get("/v1/program").status == 401
    b2 = browser(d)
    assert b2.sign_in(user["email"]).status == 201
    assert b2.get("/v1/program").status == 403


def test_password_change__ends_the_other_sessions(d):
    user, b1 = signed_in(d, email())
    b2 = browser(d)
    assert b2.sign_in(user["email"]).status == 201
    r = b1.post("/v1/sessions/current/password",
                {"current_password": "not it at all", "new_password": "another password"})
    assert r.status == 403 and r.error["code"] == "invalid_credentials", r
    assert r.error["field"] == "current_password"
    for new, field in (("short", "new_password"), (user["email"], "new_password")):
        r = b1.post("/v1/sessions/current/password",
                    {"current_password": PASSWORD, "new_password": new})
        assert r.status == 400 and r.error["field"] == field, r
    r = b1.post("/v1/sessions/current/password", {"current_password": PASSWORD,
                                                  "new_password": "another password"})
    assert r.status == 204, r
    assert b1.get("/v1/sessions/current").status == 200  # This one goes on.
    assert b2.get("/v1/sessions/current").status == 401
    assert browser(d).sign_in(user["email"]).status == 401
    assert browser(d).sign_in(user["email"], "another password").status == 201
    b1.send_csrf = False
    r = b1.post("/v1/sessions/current/password", {"current_password": "another password",
                                                  "new_password": "a third password"})
    assert r.status == 403 and r.error["code"] == "csrf_failed", r


def test_session__ends_after_12_hours_on_the_programs_clock(d):
    _, b = signed_in(d, email())
    try:
        clock(d, "2026-03-01T21:59:59Z")
        assert b.get("/v1/members").status == 200
        clock(d, "2026-03-01T22:00:00Z")
        assert b.get("/v1/members").status == 401
        # The browser is told to forget the cookie of a session that ended.
        assert b.set_cookie.startswith("patron_session=;") and "Max-Age=0" in b.set_cookie
    finally:
        clock(d, T0)


def test_viewer_session__reads_and_writes_nothing(d):
    _, v = signed_in(d, email(), "viewer")
    member = d.a.post("/v1/members", {"email": email()}).json
    assert v.get("/v1/members/" + member["id"]).status == 200
    assert v.get("/v1/program").status == 200
    assert v.get("/v1/events").status == 200
    for method, path, body in (("POST", "/v1/members", {"email": email()}),
                               ("PATCH", "/v1/members/" + member["id"], {"first_name": "V"}),
                               ("PATCH", "/v1/program", {"pending_days": 3}),
                               ("GET", "/v1/users", None), ("GET", "/v1/api-keys", None),
                               # Unredeemed codes are as good as money (found by review).
                               ("GET", "/v1/coupon-batches/cbt_x/codes.csv", None),
                               ("POST", "/v1/users", {"email": email(), "name": "N",
                                                      "role": "admin", "password": PASSWORD})):
        r = v.request(method, path, body=body)
        assert r.status == 403 and r.error["code"] == "forbidden", (method, path, r)
    # Its own session it may end, and its own password it may change.
    r = v.post("/v1/sessions/current/password", {"current_password": PASSWORD,
                                                 "new_password": "viewer password"})
    assert r.status == 204, r
    assert v.delete("/v1/sessions/current").status == 204


def test_staff_session__is_refused_admin_routes(d):
    _, s = signed_in(d, email(), "staff")
    assert s.post("/v1/members", {"email": email()}).status == 201
    for method, path, body in (("GET", "/v1/program", None), ("GET", "/v1/users", None),
                               ("POST", "/v1/rules", {"name": "r"}),
                               ("POST", "/v1/api-keys", {"name": "k", "role": "admin"})):
        r = s.request(method, path, body=body)
        assert r.status == 403 and r.error["code"] == "forbidden", (method, path, r)


def test_admin_session__may_do_what_an_admin_key_does(d):
    _, a = signed_in(d, email(), "admin")
    r = a.post("/v1/users", {"email": email(), "name": "By a session", "role": "staff",
                             "password": PASSWORD})
    assert r.status == 201, r
    r = a.patch("/v1/program", {"pending_days": 0})
    assert r.status == 200, r
    r = a.post("/v1/api-keys", {"name": "from the dashboard", "role": "staff"})
    assert r.status == 201, r


def test_sessions__of_another_program_see_only_theirs(d):
    e = email()
    new_user(d, e, "admin", key=d.key_b)
    b = browser(d)
    r = b.sign_in(e, program_id=d.program_b)
    assert r.status == 201 and r.json["program_id"] == d.program_b, r
    member_a = d.a.post("/v1/members", {"email": email()}).json
    assert b.get("/v1/members/" + member_a["id"]).status == 404
    user_a = new_user(d, email())
    assert b.get("/v1/users/" + user_a["id"]).status == 404


def test_secrets_never_reach_the_log(d):
    user, b = signed_in(d, email())
    cookie, csrf = b.cookie, b.csrf
    assert b.get("/v1/members").status == 200
    log_has_no_secrets(d, PASSWORD, cookie, csrf, user["email"])


def test_sign_in__is_limited_per_client_address():
    with SignInDeployment(("--sign-in-per-minute", "1")) as d:
        # Bad bodies: refused at once, no hash spent, yet each is an attempt of the address.
        statuses = []
        for _ in range(21):
            r = Browser(d.server.port).post("/v1/sessions", {"email": "x"})
            statuses.append(r.status)
        assert statuses[:20] == [400] * 20, statuses
        assert statuses[20] == 429, statuses
        r = Browser(d.server.port).post("/v1/portal/sessions", {"login": "x", "password": "y"})
        assert r.status == 429 and r.error["code"] == "rate_limited", r
        assert int(r.headers["retry-after"]) >= 1
        # Other routes are not sign-ins: the key's requests go on.
        assert d.a.get("/v1/members").status == 200


def test_secure_cookies_flag_adds_secure():
    with SignInDeployment(("--secure-cookies",)) as d:
        new_user(d, "secure@example.com")
        b = browser(d)
        assert b.sign_in("secure@example.com").status == 201
        assert "; Secure" in b.set_cookie, b.set_cookie
        assert b.delete("/v1/sessions/current").status == 204
        assert "; Secure" in b.set_cookie, b.set_cookie


def test_password_hashes__beyond_the_bound_are_503_not_queued():
    """serve --password-hashes 1: of sign-ins arriving together (each hash takes ~0.1 s of
    64 MiB), one hashes at a time and the others are refused at once with 503 and Retry-After,
    rather than holding memory while they wait; a sign-in after them succeeds."""
    import threading

    with SignInDeployment(("--password-hashes", "1")) as d:
        e = email()
        new_user(d, e)
        start = threading.Barrier(6)
        answers = []

        def sign_in():
            b = browser(d)
            b.get("/healthz")  # Connected before the barrier: the sign-ins leave together.
            start.wait()
            answers.append(b.sign_in(e))

        threads = [threading.Thread(target=sign_in) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        statuses = sorted(r.status for r in answers)
        assert len(statuses) == 6 and set(statuses) <= {201, 503}, statuses
        assert 201 in statuses and 503 in statuses, statuses
        for r in answers:
            if r.status == 503:
                assert r.error["code"] == "unavailable" and r.headers["retry-after"] == "1", r
        assert browser(d).sign_in(e).status == 201
