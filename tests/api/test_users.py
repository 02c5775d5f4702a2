# SPDX-License-Identifier: MIT
"""A program's users (issue 19): POST/GET/PATCH /v1/users, their validation, who may manage
them, the roles viewer (keys and users) and the last admin, and `patron user create`.

Method: a real server over HTTP on SQLite or PostgreSQL (PATRON_TEST_STORE); users are made
with the program's admin key or through the CLI, and then sign in with the passwords given (or
printed).
"""
import json
import os
import tempfile

import pytest

from browser import PASSWORD, Browser, SignInDeployment, browser, cli_user_create, new_user
from conftest import Client, Server, new_database, run_cli, unique


@pytest.fixture(scope="module")
def d():
    with SignInDeployment() as dep:
        yield dep


def email():
    return unique("u") + "@example.com"


def test_users__created_listed_read_and_patched(d):
    e = email()
    r = d.a.post("/v1/users", {"email": e.upper(), "name": "Ann", "role": "staff",
                               "password": PASSWORD})
    assert r.status == 201, r
    u = r.json
    assert u["id"].startswith("usr_")
    assert u["email"] == e  # Lower-cased: an email is compared without case.
    assert (u["name"], u["role"], u["status"]) == ("Ann", "staff", "active")
    assert u["last_sign_in_at"] is None and u["locked_until"] is None
    assert "password" not in r.body and PASSWORD not in r.body
    assert d.a.get("/v1/users/" + u["id"]).json == u
    listed = d.a.get("/v1/users?limit=200").json
    assert u["id"] in [x["id"] for x in listed["data"]]
    r = d.a.patch("/v1/users/" + u["id"], {"name": "Ann B", "role": "viewer"})
    assert r.status == 200, r
    assert (r.json["name"], r.json["role"]) == ("Ann B", "viewer")
    assert r.json["updated_at"] >= u["updated_at"]
    assert d.a.get("/v1/users/" + u["id"]).json["role"] == "viewer"


def test_users__an_idempotency_key_replays_the_creation(d):
    body = {"email": email(), "name": "Once", "role": "staff", "password": PASSWORD}
    key = {"Idempotency-Key": unique("user-create")}
    first = d.a.post("/v1/users", body, headers=key)
    assert first.status == 201, first
    again = d.a.post("/v1/users", body, headers=key)
    assert again.status == 201 and again.json == first.json, again
    assert again.headers.get("idempotent-replayed") == "true"
    other = d.a.post("/v1/users", dict(body, name="Twice"), headers=key)
    assert other.status == 409 and other.error["code"] == "idempotency_conflict", other
    assert PASSWORD not in d.server.log()


def test_users__pages_like_other_lists(d):
    for _ in range(3):
        new_user(d, email())
    first = d.a.get("/v1/users?limit=2").json
    assert len(first["data"]) == 2 and first["next_cursor"]
    second = d.a.get("/v1/users?limit=2&cursor=" + first["next_cursor"]).json
    assert not {x["id"] for x in first["data"]} & {x["id"] for x in second["data"]}


@pytest.mark.parametrize("body,field", [
    ({"name": "N", "role": "staff", "password": PASSWORD}, "email"),
    ({"email": "not-an-email", "name": "N", "role": "staff", "password": PASSWORD}, "email"),
    ({"email": "@x", "name": "", "role": "staff", "password": PASSWORD}, "email"),
    ({"email": "ok@example.com", "name": "", "role": "staff", "password": PASSWORD}, "name"),
    ({"email": "ok@example.com", "name": "n" * 101, "role": "staff", "password": PASSWORD},
     "name"),
    ({"email": "ok@example.com", "name": "N", "role": "owner", "password": PASSWORD}, "role"),
    ({"email": "ok@example.com", "name": "N", "role": "member", "password": PASSWORD}, "role"),
    ({"email": "ok@example.com", "name": "N", "role": "staff", "password": "short"},
     "password"),
    ({"email": "ok@example.com", "name": "N", "role": "staff", "password": "a" * 129},
     "password"),
    ({"email": "ok@example.com", "name": "N", "role": "staff", "password": "x" * 12},
     "password"),
    ({"email": "ok12345678@example.com", "name": "N", "role": "staff",
      "password": "OK12345678@example.com"}, "password"),
    ({"email": "ok@example.com", "name": "N", "role": "staff", "password": PASSWORD,
      "admin": True}, "admin"),
    ({"email": "ok@example.com", "name": "N", "role": "staff", "password": 1234567890},
     "password"),
])
def test_users__invalid_create_is_400_naming_the_field(d, body, field):
    before = len(d.a.get("/v1/users?limit=200").json["data"])
    r = d.a.post("/v1/users", body)
    assert r.status == 400, r
    assert r.error["code"] == "validation_failed" and r.error["field"] == field, r
    assert len(d.a.get("/v1/users?limit=200").json["data"]) == before


def test_users__password_bounds_are_10_and_128_bytes(d):
    for n, status in ((9, 400), (10, 201), (128, 201), (129, 400)):
        pw = ("ab" * 100)[:n]
        r = d.a.post("/v1/users", {"email": email(), "name": "N", "role": "staff",
                                   "password": pw})
        assert r.status == status, (n, r)


def test_users__an_email_is_used_once_per_program_without_case(d):
    e = email()
    new_user(d, e)
    r = d.a.post("/v1/users", {"email": e.upper(), "name": "Twin", "role": "staff",
                               "password": PASSWORD})
    assert r.status == 409 and r.error["code"] == "user_exists" and r.error["field"] == "email"
    # Another program may have a user of the same email.
    r = d.b.post("/v1/users", {"email": e, "name": "B", "role": "admin", "password": PASSWORD})
    assert r.status == 201, r


def test_users__another_programs_user_does_not_exist(d):
    u = new_user(d, email())
    assert d.b.get("/v1/users/" + u["id"]).status == 404
    assert d.b.patch("/v1/users/" + u["id"], {"name": "X"}).status == 404
    assert d.a.get("/v1/users/usr_00000000000000000000000000").status == 404


def test_users__patch_refuses_null_unknown_and_bad_values(d):
    u = new_user(d, email())
    for body, field in (({"name": None}, "name"), ({"status": "gone"}, "status"),
                        ({"role": "member"}, "role"), ({"email": "x@example.com"}, "email"),
                        ({"password": "short"}, "password"), ({"password": u["email"]},
                                                              "password")):
        r = d.a.patch("/v1/users/" + u["id"], body)
        assert r.status == 400 and r.error["field"] == field, (body, r)
    assert d.a.get("/v1/users/" + u["id"]).json == u


def test_users__only_admin_keys_manage_users(d):
    staff = d.a.post("/v1/api-keys", {"name": "till", "role": "staff"}).json["api_key"]
    s = Client(d.server.port, staff)
    assert s.get("/v1/users").status == 403
    assert s.post("/v1/users", {"email": email(), "name": "N", "role": "admin",
                                "password": PASSWORD}).status == 403
    assert d.anon().get("/v1/users").status == 401


def test_users__viewer_keys_read_everything_but_keys_and_users_and_write_nothing(d):
    r = d.a.post("/v1/api-keys", {"name": "board", "role": "viewer"})
    assert r.status == 201 and r.json["role"] == "viewer", r
    v = Client(d.server.port, r.json["api_key"])
    member = d.a.post("/v1/members", {"email": email()}).json
    assert v.get("/v1/members/" + member["id"]).status == 200
    assert v.get("/v1/members/%s/balance" % member["id"]).status == 200
    assert v.get("/v1/program").status == 200  # An admin route's GET: viewers read it.
    assert v.get("/v1/rules").status == 200
    for path in ("/v1/api-keys", "/v1/users"):
        r = v.get(path)
        assert r.status == 403 and r.error["code"] == "forbidden", (path, r)
    assert v.post("/v1/members", {"email": email()}).status == 403
    assert v.patch("/v1/members/" + member["id"], {"first_name": "X"}).status == 403
    assert v.post("/v1/members/%s/adjustments" % member["id"],
                  {"points": 5, "reason": "x"}).status == 403
    assert d.a.get("/v1/members/" + member["id"]).json["first_name"] is None
    r = d.a.post("/v1/api-keys", {"name": "m", "role": "member"})
    assert r.status == 400 and r.error["field"] == "role"


def test_users__the_last_active_admin_stays(d):
    with SignInDeployment() as fresh:
        admin = new_user(fresh, email(), "admin")
        for body in ({"role": "staff"}, {"status": "disabled"}):
            r = fresh.a.patch("/v1/users/" + admin["id"], body)
            assert r.status == 409 and r.error["code"] == "last_admin", r
        other = new_user(fresh, email(), "admin")
        r = fresh.a.patch("/v1/users/" + admin["id"], {"role": "staff"})
        assert r.status == 200, r
        r = fresh.a.patch("/v1/users/" + other["id"], {"status": "disabled"})
        assert r.status == 409 and r.error["code"] == "last_admin", r
        # A staff user may be disabled and enabled at will.
        assert fresh.a.patch("/v1/users/" + admin["id"], {"status": "disabled"}).status == 200
        assert fresh.a.patch("/v1/users/" + admin["id"], {"status": "active"}).status == 200


def test_user_create_cli__draws_a_password_that_signs_in(d):
    e = email()
    out = cli_user_create(d.db, "--program", d.program_a, "--email", e, "--name", "Boss",
                          "--role", "admin", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["program_id"] == d.program_a and doc["role"] == "admin" and doc["email"] == e
    assert len(doc["password"]) >= 16
    b = browser(d)
    r = b.sign_in(e, doc["password"])
    assert r.status == 201 and r.json["user"]["id"] == doc["user_id"], r
    # Without --json: the password is printed once, on its own line.
    e2 = email()
    out = cli_user_create(d.db, "--email", e2, "--role", "viewer")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert "shown once" in lines[-2]
    assert browser(d).sign_in(e2, lines[-1]).json["program_id"] == d.program_a  # The default.


def test_user_create_cli__a_given_password_and_refusals(d):
    e = email()
    out = cli_user_create(d.db, "--program", d.program_b, "--email", e, "--role", "staff",
                          "--password", PASSWORD, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["password"] is None  # Given, so not printed.
    assert browser(d).sign_in(e, PASSWORD, program_id=d.program_b).status == 201
    assert browser(d).sign_in(e, PASSWORD).status == 401  # Not a user of program A.
    for args, message in ((("--email", email(), "--role", "owner"), "role"),
                          (("--email", email(), "--password", "short"), "password"),
                          (("--email", e, "--program", d.program_b, "--password", PASSWORD),
                           "another user"),
                          (("--email", email(), "--program", "prg_nope"), "program")):
        out = cli_user_create(d.db, *args)
        assert out.returncode != 0 and message in out.stderr, (args, out.stderr)


def test_migrate_store__copies_users_passwords_and_sessions():
    """patron migrate-store copies the tables of signing in: a user signs in on the copy with
    its password, and a session of the source goes on there (its token's hash was copied)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = "sqlite:" + os.path.join(tmp, "source.db")
        key = run_cli("init", "--db", source).stdout.strip().splitlines()[-1]
        e = email()
        out = cli_user_create(source, "--email", e, "--role", "viewer", "--password", PASSWORD)
        assert out.returncode == 0, out.stderr
        server = Server(source, ("--sign-in-per-minute", "1000"))
        try:
            b = Browser(server.port)
            assert b.sign_in(e).status == 201
            assert Client(server.port, key).patch("/v1/program",
                                                  {"enrollment": "closed"}).status == 200
        finally:
            server.stop()
        target = new_database(os.path.join(tmp, "t"))
        os.makedirs(os.path.join(tmp, "t"), exist_ok=True)
        out = run_cli("migrate-store", "--from", source, "--to", target, check=False)
        assert out.returncode == 0, out.stderr
        server = Server(target, ("--sign-in-per-minute", "1000"))
        try:
            assert Browser(server.port).sign_in(e).status == 201
            b.port, b.conn = server.port, None
            r = b.get("/v1/sessions/current")
            assert r.status == 200 and r.json["user"]["email"] == e, r
            assert Client(server.port, key).get("/v1/program").json["enrollment"] == "closed"
        finally:
            server.stop()
