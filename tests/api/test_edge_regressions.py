# SPDX-License-Identifier: MIT
"""What the break-it review of Patron's own HTTP/1.1 server found (issue 16): each test failed
before its fix and states what the edge promises (docs/security.md, "The HTTP edge"). Same
helpers as test_edge.py."""
import json
import re
import socket
import time

import pytest

from conftest import Client, unique
from test_edge import connect, json_error, member_exists, quick, read_answer, strict_json  # noqa: F401 (quick: a fixture)


def read_all(s, timeout=3.0):
    """Every byte the server sends until it closes (or timeout passes in silence)."""
    s.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk


# ---- Request smuggling: a target refused for its escapes keeps the connection ----


def smuggled_create(key, email):
    body = json.dumps({"email": email})
    return ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (key, len(body), body))


@pytest.mark.parametrize("target", ["/v1/members%zz", "/v1/members%00", "/v1/members%4",
                                    "/v1/members?email=%00", "/v1/members?q=%4",
                                    "/healthz%zz"])
@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_target_refused_for_its_escapes_never_runs_its_body_as_a_request(dep, target, framing):
    """docs/security.md lists 'a path or query whose percent-escapes are malformed or decode to
    NUL' among the refusals answered 400 *and closed, so that nothing after them is read as a
    request*. The reviewed commit answered 400 but kept the connection (target_read answers in
    pt_http_request_new, before admit sets close_after) and never read the body: the body was
    then parsed as the next request and executed. Behind a proxy that forwards the body as
    data, that is request smuggling (here a member is created by a request the proxy never saw).
    With chunked framing the chunk-size line cannot spell a request line, so the body is
    'only' answered a second 400: two answers to one request (response-queue poisoning behind
    a proxy that reuses its upstream connection).
    """
    email = unique("smuggled") + "@example.com"
    hidden = smuggled_create(dep.key_a, email)
    head = "POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" % target
    if framing == "length":
        raw = head + "Content-Length: %d\r\n\r\n" % len(hidden) + hidden
    else:
        raw = (head + "Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(hidden) + hidden
               + "\r\n0\r\n\r\n")
    s = connect(dep.server.port)
    try:
        s.sendall(raw.encode())
        data, closed = read_all(s)
    finally:
        s.close()
    answers = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    assert answers[:1] == [b"400"], data[:500]
    assert len(answers) == 1, ("the body was executed as another request", data[:1500])
    assert b"connection: close" in data.lower(), data[:500]
    assert closed, "the connection stayed open after a refusal whose body was not read"
    assert not member_exists(dep.a, email)


# ---- The bodies' budget: public routes' bodies share the free entries' "" ----


@pytest.mark.parametrize("order", ["public_first", "program_first"])
def test_a_public_route_body_beside_a_program_body_does_not_stop_the_server(fresh, order):
    """GET /healthz (public, no key) with a JSON body reserves the bodies' budget under the
    program "" (edge.c body_program). An entry of the budget table whose program_id is "" is
    also what a *free* entry looks like, so a program's reservation takes the entry that holds
    the public bytes (public_first), or the public release finds another free entry with 0
    bytes (program_first): pt_edge_body_release then fails its assertion
    (edge.c:298 `e != NULL && e->bytes >= (long long)bytes`) and the whole server aborts, in
    every build. Anyone without a key can do it while any program uploads a body."""
    port = fresh.server.port
    public = (b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
              b"Content-Length: 2\r\n\r\n{")
    program = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{"
               % fresh.key_a).encode()
    first, second = (public, program) if order == "public_first" else (program, public)
    a = connect(port)
    b = connect(port, "127.0.0.2")
    try:
        a.sendall(first)
        time.sleep(0.3)  # a's body holds its reservation
        b.sendall(second)
        time.sleep(0.3)
        a.sendall(b"}")
        answer_a = read_answer(a, timeout=5)
        b.sendall(b"}")
        answer_b = read_answer(b, timeout=5)
    finally:
        a.close()
        b.close()
    assert fresh.server.proc.poll() is None, fresh.server.log()[-1500:]
    assert answer_a is not None and answer_b is not None, (answer_a, answer_b)
    assert Client(port).get("/healthz").status == 200


# ---- A client that never reads its answers ----


def open_connections(port):
    body = Client(port).get("/metrics").body
    return int(re.search(r"patron_http_open_connections (\d+)", body).group(1))


def test_a_client_that_reads_no_answers_is_cut_like_an_idle_one(quick):
    """Pipelined GET /metrics (public) that the client never reads: each connection's thread
    blocks in sendmsg in PHASE_BUSY, which has no deadline and is never reclaimed near the cap
    (edge.c reclaims IDLE and HEADERS only). The only bound is SO_SNDTIMEO's 30 s of *silence*,
    which a client reading a few bytes every 20 s resets for ever (observed: a connection held
    60 s and more with 3 MB queued; 192 such connections from 3 addresses held ~440 MB of
    kernel send buffers past every deadline). With 64 addresses a client without a key holds
    all 4,096 slots and /healthz is refused: the 'cannot exhaust' claim of issue 16 fails.
    Here the header deadline is 1 s; after 8 s of reading nothing the connections must be gone."""
    port = quick.server.port
    req = b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n" * 200
    socks = []
    try:
        for _ in range(8):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
            s.bind(("127.0.9.1", 0))
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            socks.append(s)
        started = time.monotonic()
        while time.monotonic() - started < 8:
            for s in socks:
                try:
                    s.send(req)  # until the server stops reading: its answers are stuck
                except OSError:
                    pass
            time.sleep(0.2)
        held = open_connections(port) - 1  # this request's own connection
        assert held == 0, "%d connections that read nothing for 8 s are still open" % held
    finally:
        for s in socks:
            s.close()


# ---- Logs: a route's parameter is whatever the client sent ----


def test_route_parameters_that_are_not_ids_stay_out_of_the_log(dep):
    """test_edge.py keeps an email, a key and codes out of the log for paths that match no
    route; a path that matches a route with an {id} logs the parameter verbatim, whatever it is:
    GET /v1/members/alice@example.com logs the email, GET /v1/members/<key> and
    DELETE /v1/api-keys/<key> log an API key (with or without a valid key of the caller)."""
    port = dep.server.port
    start = len(dep.server.lines)
    requests = [("GET", "/v1/members/alice@example.com", dep.key_a),
                ("GET", "/v1/members/%s" % dep.key_b, dep.key_a),
                ("GET", "/v1/members/%s/balance" % dep.key_b, None),
                ("DELETE", "/v1/api-keys/%s" % dep.key_b, dep.key_a)]
    for method, path, key in requests:
        head = "%s %s HTTP/1.1\r\nHost: t\r\n" % (method, path)
        if key:
            head += "Authorization: Bearer %s\r\n" % key
        s = connect(port)
        try:
            s.sendall((head + "\r\n").encode())
            assert read_answer(s) is not None
        finally:
            s.close()
    assert dep.anon().get("/healthz").status == 200
    time.sleep(0.3)
    written = dep.server.lines[start:]
    assert len([l for l in written if '"msg":"request"' in l]) >= len(requests)
    for line in written:
        strict_json(line)
        for secret in ("alice", "example.com", dep.key_b, dep.key_b[4:16]):
            assert secret not in line, (secret, line)


# ---- Paths: %2F is data, not a separator ----


def test_an_encoded_slash_does_not_reach_another_route(dep):
    """The path is percent-decoded before it is split into segments, so /v1%2Fprogram is
    routed as /v1/program (200) and /v1/members%2F<id> as /v1/members/<id>. RFC 3986 section
    6.2.2.2: a reserved character and its escape are not equivalent; a proxy that allows or
    denies by raw path (HAProxy path ACLs, many cloud load balancers) and Patron then disagree
    on which resource is asked for. Expected: 404 (or 400), as for any unknown path."""
    r = dep.a.get("/v1%2Fprogram")
    assert r.status in (400, 404), r
    r = dep.anon().get("/%6d%65%74%72%69%63%73")  # /metrics, spelled in escapes: harmless
    assert r.status == 200, r


# ---- 405 names the methods allowed ----


def test_a_405_names_the_allowed_methods(dep):
    """RFC 9110 section 15.5.6: an origin server MUST generate an Allow header field in a 405
    response. DELETE /v1/members (and HEAD /healthz: the API has no HEAD routes) is answered 405
    without Allow, so a client cannot tell what the path supports."""
    for method, path, allowed in (("DELETE", "/v1/members", {"GET", "POST"}),
                                  ("HEAD", "/healthz", {"GET"})):
        r = dep.a.request(method, path)
        assert r.status == 405, r
        assert "allow" in r.headers, (method, path, r.headers)
        assert allowed <= {m.strip() for m in r.headers["allow"].split(",")}, r.headers
