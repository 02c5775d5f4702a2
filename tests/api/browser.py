# SPDX-License-Identifier: MIT
"""A browser's side of signing in, for the API tests (issue 19): a client that keeps the
session cookie the server sets and sends the session's X-CSRF-Token on every request but a GET,
as the web faces do; and the deployment the sign-in tests share.
"""
import json
import os
import re
import tempfile
import time

from conftest import Client, Deployment, run_cli

# The sign-in tests sign in many times from 127.0.0.1: the per-address limit is raised for them
# (test_sessions checks the limit itself on a server of its own). Reset links go to the log.
SIGN_IN_ARGS = ("--test-clock", "--sign-in-per-minute", "100000", "--reset-delivery", "log")
T0 = "2026-03-01T10:00:00Z"
PASSWORD = "correct horse battery"


class Browser(Client):
    """A client without an API key that keeps the patron_session cookie and the CSRF token."""

    def __init__(self, port):
        super().__init__(port)
        self.cookie = None
        self.csrf = None
        self.set_cookie = None
        self.send_csrf = True

    def request(self, method, path, body=None, headers=None, raw=None):
        hdrs = dict(headers or {})
        if self.cookie is not None and "Cookie" not in hdrs:
            hdrs["Cookie"] = "patron_session=" + self.cookie
        if self.send_csrf and self.csrf is not None and method != "GET":
            hdrs.setdefault("X-CSRF-Token", self.csrf)
        r = super().request(method, path, body=body, headers=hdrs, raw=raw)
        cookie = r.headers.get("set-cookie")
        if cookie is not None:
            self.set_cookie = cookie
            m = re.match(r"patron_session=([^;]*);", cookie)
            self.cookie = m.group(1) or None
            if self.cookie is None:
                self.csrf = None
        if r.status == 201 and r.headers.get("content-type", "").startswith("application/json"):
            doc = r.json
            if isinstance(doc, dict) and "csrf_token" in doc:
                self.csrf = doc["csrf_token"]
        return r

    def sign_in(self, email, password=PASSWORD, program_id=None):
        body = {"email": email, "password": password}
        if program_id is not None:
            body["program_id"] = program_id
        return self.post("/v1/sessions", body)

    def member_sign_in(self, login, password=PASSWORD, program_id=None):
        body = {"login": login, "password": password}
        if program_id is not None:
            body["program_id"] = program_id
        return self.post("/v1/portal/sessions", body)


def browser(d):
    return Browser(d.server.port)


def new_user(d, email, role="staff", password=PASSWORD, key=None):
    r = Client(d.server.port, key or d.key_a).post(
        "/v1/users", {"email": email, "name": "User " + email.split("@")[0], "role": role,
                      "password": password})
    assert r.status == 201, r
    return r.json


def signed_in(d, email, role="staff"):
    """A new user of program A, and a browser signed in as it."""
    user = new_user(d, email, role)
    b = browser(d)
    r = b.sign_in(email)
    assert r.status == 201, r
    return user, b


def clock(d, now, key=None):
    r = Client(d.server.port, key or d.key_a).put("/v1/test/clock", {"now": now})
    assert r.status == 200, r


def reset_links(d, at_least=0):
    """The reset links the server logged (serve --reset-delivery log), oldest first; waits (a
    few seconds at most) until there are at_least of them: the server writes the line before it
    answers, but the test reads its stderr through a thread."""
    deadline = time.monotonic() + 10
    while True:
        links = logged_reset_links(d)
        if len(links) >= at_least or time.monotonic() > deadline:
            return links
        time.sleep(0.02)


def logged_reset_links(d):
    links = []
    for line in d.server.log().splitlines():
        if '"dev_only":true' in line:
            doc = json.loads(line)
            assert doc["level"] == "warn", doc
            links.append(doc)
    return links


class SignInDeployment:
    """A Deployment for the sign-in tests, as a context manager."""

    def __init__(self, extra=()):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = Deployment(self.tmp.name, SIGN_IN_ARGS + tuple(extra))

    def __enter__(self):
        return self.d

    def __exit__(self, *exc):
        try:
            self.d.server.stop()
            self.d.audit()
        finally:
            self.tmp.cleanup()


def cli_user_create(db, *args):
    return run_cli("user", "create", "--db", db, *args, check=False)


def log_has_no_secrets(d, *secrets):
    """No secret is in the server's log, read once every request before this one is in it (a
    marked request's line is waited for: the log is read through a thread)."""
    marker = "req_marker_%d" % time.monotonic_ns()
    Client(d.server.port).get("/healthz", headers={"X-Request-Id": marker})
    deadline = time.monotonic() + 10
    while marker not in d.server.log() and time.monotonic() < deadline:
        time.sleep(0.02)
    log = d.server.log()
    assert marker in log
    for s in secrets:
        assert s and s not in log, "a secret is in the server log: %r" % s[:8]


def env_store():
    return os.environ.get("PATRON_TEST_STORE", "sqlite")
