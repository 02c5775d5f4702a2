# SPDX-License-Identifier: MIT
"""The HTTP edge facing the internet (issue 16): a request is authenticated, routed and its
method checked before its body is read, and a refused body is never buffered; bodies whose
framing a proxy could read differently (two Content-Lengths, Transfer-Encoding with
Content-Length, an unknown Transfer-Encoding) are refused with 400 and the connection closed, so
that a smuggled request is never executed; the errors libmicrohttpd would answer with an HTML
page (400, 413, 414, 431, 505) are the JSON error object, since Patron reads the wire format itself
(src/http/wire.c); slow clients are cut at their deadline and
idle keep-alives reclaimed, one address holds at most its share of connections, and thousands
of slow connections from many addresses leave /healthz and authenticated requests served."""
import json
import os
import re
import socket
import tempfile
import threading
import time

import pytest

from conftest import Deployment, Client, unique


def connect(port, source="127.0.0.1", timeout=10):
    """A socket to the server from a loopback source address (Linux routes 127/8 to lo)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_answer(s, timeout=10):
    """(status, headers bytes, body bytes) of one answer, or None when the server hung up."""
    s.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    length = int(m.group(1)) if m else 0
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(head.split(b" ")[1]), head, body[:length]


def exchange(port, data, source="127.0.0.1"):
    s = connect(port, source)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading everything
        return read_answer(s)
    finally:
        s.close()


def json_error(answer, status, code=None):
    assert answer is not None, "the server hung up without an answer"
    got, head, body = answer
    assert got == status, (got, head, body[:300])
    assert b"application/json" in head.lower(), head
    err = json.loads(body)["error"]
    assert isinstance(err["message"], str) and err["message"]
    if code:
        assert err["code"] == code, err
    return err


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


# ---- Memory before authentication ----


@pytest.mark.parametrize("method,path", [("POST", "/v1/members"), ("PATCH", "/v1/program"),
                                         ("PUT", "/v1/test/clock")])
def test_a_body_without_a_key_is_refused_before_it_is_sent(dep, method, path):
    head = ("%s %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            "Content-Length: 1048576\r\n\r\n" % (method, path)).encode()
    s = connect(dep.server.port)
    try:
        s.sendall(head)  # and not one byte of the announced MiB
        answer = read_answer(s, timeout=5)
        json_error(answer, 401, "unauthorized")
        assert b"connection: close" in answer[1].lower()
    finally:
        s.close()


def test_unknown_routes_and_methods_are_refused_before_the_body(dep):
    for path, method, status in (("/v1/nothing", "POST", 404), ("/v1/members", "DELETE", 405),
                                 ("/v1/api-keys", "POST", 403)):
        staff = dep.a.post("/v1/api-keys", {"name": unique("k"), "role": "staff"}).json["api_key"]
        head = ("%s %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n"
                % (method, path, staff)).encode()
        s = connect(dep.server.port)
        try:
            s.sendall(head)
            json_error(read_answer(s, timeout=5), status)
        finally:
            s.close()


def test_refused_bodies_do_not_grow_the_server_memory(dep):
    """256 clients without a key each send a 1 MiB body: none of it is buffered."""
    pid = dep.server.proc.pid
    body = b"x" * (1024 * 1024)
    head = (b"POST /v1/members HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    socks = []
    before = rss_kib(pid)

    def send(s):
        try:
            s.sendall(head + body)
        except OSError:
            pass  # refused and closed before the body was read: what we want

    try:
        for i in range(256):
            socks.append(connect(dep.server.port, "127.0.1.%d" % (1 + i // 32)))
        threads = [threading.Thread(target=send, args=(s,)) for s in socks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        grown_mib = (rss_kib(pid) - before) / 1024
        # Buffered, the bodies alone would be 256 MiB; the connections' threads cost a few.
        assert grown_mib < 64, grown_mib
    finally:
        for s in socks:
            s.close()
    assert dep.anon().get("/healthz").status == 200


def test_bodies_in_flight_share_one_budget(dep):
    """64 MiB of bodies may be in flight at once (PT_HTTP_BODIES_BYTES_MAX), a quarter of it per
    program: 64 clients of one program that announce 1 MiB fill that share, the next is answered
    503 at once, and once they go the budget is back."""
    head = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{" % dep.key_a)
    holders = []
    try:
        for i in range(64):
            s = connect(dep.server.port, "127.0.5.%d" % (1 + i // 32))
            s.sendall(head.encode())
            holders.append(s)
        time.sleep(0.3)
        answer = exchange(dep.server.port, head.encode(), "127.0.5.9")
        err = json_error(answer, 503, "unavailable")
        assert b"retry-after" in answer[1].lower(), answer[1]
        assert "busy" in err["message"]
    finally:
        for s in holders:
            s.close()
    deadline = time.monotonic() + 10
    while True:
        r = dep.a.post("/v1/members", {"email": unique("after") + "@example.com"})
        if r.status == 201 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r.status == 201, r


# ---- Ambiguous framing (RFC 9112 section 6.3) ----


def member_exists(client, email):
    r = client.get("/v1/members?limit=5&q=" + email)
    assert r.status == 200, r
    return any(m["email"] == email for m in r.json["data"])


def smuggling_heads(key, smuggled):
    """Requests whose body ends where a proxy and the server could disagree; smuggled is the
    request hidden in it."""
    auth = "Authorization: Bearer %s\r\nContent-Type: application/json\r\n" % key
    start = "POST /v1/members HTTP/1.1\r\nHost: t\r\n" + auth
    chunked = "2\r\n{}\r\n0\r\n\r\n"
    return [
        (start + "Content-Length: 2\r\nContent-Length: %d\r\n\r\n{}" % (2 + len(smuggled)))
        + smuggled,
        (start + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}") + smuggled,
        (start + "Transfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n" % len(chunked))
        + chunked + smuggled,
        (start + "Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" % len(chunked))
        + chunked + smuggled,
        (start + "Transfer-Encoding: gzip\r\n\r\n{}") + smuggled,
        (start + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked) + smuggled,
        (start + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
        + smuggled,
    ]


def test_ambiguous_framing_is_refused_and_nothing_is_smuggled(dep):
    for i in range(len(smuggling_heads("k", ""))):
        email = unique("smuggled") + "@example.com"
        body = json.dumps({"email": email})
        smuggled = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                    "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (dep.key_a, len(body), body))
        data = smuggling_heads(dep.key_a, smuggled)[i].encode()
        s = connect(dep.server.port)
        try:
            s.sendall(data)
            answer = read_answer(s, timeout=5)
            json_error(answer, 400, "malformed_request")
            assert b"connection: close" in answer[1].lower()
            time.sleep(0.1)
            assert read_answer(s, timeout=2) is None, "a second answer: the smuggled request ran"
        finally:
            s.close()
        assert not member_exists(dep.a, email), (i, data)
    # A Content-Length that is not one decimal number ("2, 2", "+2", "0x2", 19 digits) is the
    # JSON 400 and closes: the request after it never runs.
    for length in ("2, 2", "+2", "0x2", "-2", "2 2", "1" * 19, ""):
        email = unique("smuggled") + "@example.com"
        body = json.dumps({"email": email})
        data = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: %s\r\n\r\n{}"
                "POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (dep.key_a, length, dep.key_a, len(body), body)).encode()
        s = connect(dep.server.port)
        try:
            s.sendall(data)
            json_error(read_answer(s, timeout=5), 400, "malformed_request")
            assert read_answer(s, timeout=2) is None, length
        finally:
            s.close()
        assert not member_exists(dep.a, email), length


# ---- Every error is the JSON error object, from the first byte on ----


def test_oversized_requests_get_json_errors(dep):
    port = dep.server.port
    json_error(exchange(port, b"GET /healthz?q=" + b"a" * 10000 + b" HTTP/1.1\r\nHost: t\r\n\r\n"),
               414, "uri_too_long")
    json_error(exchange(port, b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: t\r\n\r\n"),
               414, "uri_too_long")
    many = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"b" * 1000) for i in range(20))
    json_error(exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + many + b"\r\n"),
               431, "headers_too_large")
    one = b"X-Big: " + b"c" * 20000 + b"\r\n"
    json_error(exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + one + b"\r\n"),
               431, "headers_too_large")
    head = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (dep.key_a, 2 * 1024 * 1024)).encode()
    json_error(exchange(port, head), 413, "payload_too_large")
    # Just under the limits is served.
    nine = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"b" * 1000) for i in range(9))
    ok = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + nine + b"\r\n")
    assert ok is not None and ok[0] == 200


# ---- Clean logs ----


def strict_json(line):
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), ("duplicate keys", line)
        return dict(pairs)

    return json.loads(line, object_pairs_hook=no_duplicates)


def test_hostile_requests_cannot_forge_or_break_log_lines(dep):
    forged = '"level":"fatal","program_id":"%s","x":"' % dep.program_b
    methods = [b'GE"T', b'G\\ET', b'POST","level":"fatal', forged.encode().replace(b" ", b""),
               b"M" * 300]
    paths = [b"/v1/members/%22,%22level%22:%22fatal", b"/v1/x%5c%5c%22", b"/v1/%0a%0d%09%00x",
             b"/v1/%ff%fe%c3%28", b"/v1/caf%c3%a9", b"/v1/" + b"%22" * 400,
             b"/v1/members/" + b"\\" * 100]
    headers = [b"X-Request-Id: a\"b", b"X-Request-Id: \\\\", b"User-Agent: \",\"level\":\"fatal",
               b"X-Junk: \x01\x02\x7f\xff"]
    start = len(dep.server.lines)
    for m in methods:
        exchange(dep.server.port, m + b" /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    for p in paths:
        exchange(dep.server.port, b"GET " + p + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    for h in headers:
        exchange(dep.server.port, b"GET /v1/members HTTP/1.1\r\nHost: t\r\n" + h + b"\r\n\r\n")
    assert dep.anon().get("/healthz").status == 200
    time.sleep(0.3)
    written = dep.server.lines[start:]
    assert len([l for l in written if '"msg":"request"' in l]) >= len(methods) + len(paths)
    for line in written:
        obj = strict_json(line)
        assert obj["level"] != "fatal", line
        assert obj.get("program_id") in (None, dep.program_a), line


def raw_status(dep, path):
    head = "GET %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n\r\n" % (path, dep.key_a)
    return exchange(dep.server.port, head.encode())[0]


def test_coupon_codes_are_redacted_in_logs_and_metrics(fresh):
    from test_coupon_batches import batch, codes_of

    b = batch(fresh.a, count=2)
    codes = codes_of(fresh.a, b["id"])
    canonical, printed = codes[0][1], codes[0][2]
    start = len(fresh.server.lines)
    for path in ("/v1/coupons/%s", "/v1/coupons/%s/qr.svg", "/v1/coupons/%s/barcode.svg",
                 "/v1/coupons/%s/no-such-thing"):
        fresh.a.get(path % printed)
        fresh.a.get(path % canonical)
    assert raw_status(fresh, "/v1/coupons/%s/qr.png" % printed) == 200
    fresh.a.post("/v1/coupons/%s/redeem" % printed, {"location": "Store 1"})
    fresh.a.post("/v1/coupons/%s/cancel" % canonical, {})
    fresh.a.delete("/v1/coupons/%s" % canonical)  # 405
    metrics = fresh.anon().get("/metrics").body
    time.sleep(0.3)
    log = fresh.server.log()
    assert '"path":"/v1/coupons/{code}/qr.svg"' in log
    for code in (canonical, printed, codes[1][1], codes[1][2]):
        assert code not in log
        assert code not in metrics


# ---- Connection exhaustion ----


@pytest.fixture
def quick(monkeypatch):
    """A deployment whose deadlines are short (1 s) and whose addresses may hold 8 connections,
    set through the environment (PATRON_HEADER_TIMEOUT_MS, PATRON_MAX_CONNECTIONS_PER_ADDRESS)."""
    monkeypatch.setenv("PATRON_HEADER_TIMEOUT_MS", "1000")
    monkeypatch.setenv("PATRON_MAX_CONNECTIONS_PER_ADDRESS", "8")
    with tempfile.TemporaryDirectory() as tmp:
        d = Deployment(tmp, ("--test-clock",))
        try:
            yield d
        finally:
            d.server.stop()
            d.audit()


def seconds_until_cut(s, trickle, limit=6.0):
    """Calls trickle(s) every 0.2 s until the server closes s; the seconds that took."""
    started = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - started < limit:
        try:
            data = s.recv(65536)
            if not data:
                return time.monotonic() - started
            continue  # an answer (e.g. 408-like); keep reading until the close
        except socket.timeout:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
        try:
            trickle(s)
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started
    return None


def test_slow_headers_idle_keepalives_and_slow_bodies_are_cut_at_their_deadline(quick):
    port = quick.server.port
    s = connect(port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
    took = seconds_until_cut(s, lambda s: s.sendall(b"X-Slow: 1\r\n"))
    s.close()
    assert took is not None and 0.8 < took < 3, took  # one header line every 0.2 s: cut at 1 s
    s = connect(port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_answer(s)[0] == 200
    took = seconds_until_cut(s, lambda s: None)
    s.close()
    assert took is not None and took < 3, took  # an idle keep-alive
    head = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{" % quick.key_a)
    s = connect(port)
    s.sendall(head.encode())
    took = seconds_until_cut(s, lambda s: s.sendall(b" "))
    s.close()
    assert took is not None and took < 3, took  # a body at 5 bytes a second
    assert quick.a.get("/v1/members?limit=1").status == 200


def test_one_address_holds_at_most_its_share_of_connections(quick):
    port = quick.server.port
    socks = [connect(port, "127.0.4.1") for _ in range(12)]
    try:
        for s in socks:
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        served = [read_answer(s, timeout=5) for s in socks]
        assert sum(1 for a in served if a is not None and a[0] == 200) == 8
        # Another address is served meanwhile.
        assert exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", "127.0.4.2")[0] == 200
    finally:
        for s in socks:
            s.close()


def patiently(request):
    """A client that retries, as real ones do, when its new connection is closed unanswered
    (a full server closes new connections at once; the reaper frees slots every 100 ms)."""
    for attempt in range(5):
        try:
            return request()
        except (ConnectionError, OSError):
            if attempt == 4:
                raise
            time.sleep(0.2)


def test_thousands_of_slow_connections_from_many_addresses_starve_nobody(dep):
    """4,224 connections from 66 addresses (64 each, the most one address may hold) trickle
    their headers or idle on keep-alive, more than the server's 4,096 slots: idle and slow
    connections are reclaimed, oldest first, and a normal client is still served."""
    port = dep.server.port
    slow = []
    try:
        for a in range(66):
            for i in range(64):
                try:
                    s = connect(port, "127.0.%d.%d" % (10 + a // 200, 1 + a % 200), timeout=5)
                    if i % 2:
                        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")  # then idle
                    else:
                        s.sendall(b"POST /v1/members HTTP/1.1\r\nHost: t\r\n")  # then trickle
                    slow.append(s)
                except OSError:
                    pass  # refused: the server is full
        for _ in range(3):
            for s in slow[::2]:
                try:
                    s.send(b"X-Slow: 1\r\n")
                except OSError:
                    pass
            assert patiently(lambda: Client(dep.server.port).get("/healthz")).status == 200
            assert patiently(lambda: dep.b.get("/v1/members?limit=1")).status == 200
            time.sleep(0.5)
    finally:
        for s in slow:
            s.close()


def test_edge_settings_are_checked():
    from conftest import run_cli

    for flag, value in (("--max-connections-per-address", "0"),
                        ("--max-connections-per-address", "4097"),
                        ("--max-connections-per-address", "-1"),
                        ("--header-timeout-ms", "99"), ("--header-timeout-ms", "1s")):
        out = run_cli("serve", "--db", "/nonexistent/x.db", flag, value, check=False)
        assert out.returncode != 0 and flag[2:].replace("-", "_") in out.stderr, (flag, out.stderr)


# ---- Review of the edge (issue 16, second pass) ----


def smuggle_one(dep, head_lines, body_of):
    """Sends a POST whose framing header is malformed (head_lines), with the smuggled request as
    its body (body_of wraps it); returns (first answer, second answer or None, email)."""
    email = unique("smuggled") + "@example.com"
    body = json.dumps({"email": email})
    smuggled = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (dep.key_a, len(body), body))
    payload = body_of(smuggled)
    data = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\n%s\r\n\r\n%s"
            % (dep.key_a, head_lines % len(payload), payload)).encode()
    s = connect(dep.server.port)
    try:
        s.sendall(data)
        first = read_answer(s, timeout=5)
        time.sleep(0.1)
        try:
            second = read_answer(s, timeout=2)
        except socket.timeout:
            second = "kept open"
    finally:
        s.close()
    return first, second, email


def test_malformed_header_fields_are_refused_and_nothing_is_smuggled(dep):
    """RFC 9112 section 5: whitespace between a field's name and its colon, a folded line
    (obs-fold), a bare CR or a NUL in a value, and a name that is not a token are 400 and close;
    a framing header libmicrohttpd would not recognise then cannot hide a request."""
    plain = lambda smuggled: smuggled
    chunked = lambda smuggled: "%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
    cases = [
        ("Content-Length : %d", plain),
        ("Content-Length\t: %d", plain),
        ("Content-Length:\r\n %d", plain),
        ("Content-Length:\r\n\t%d", plain),
        ("X-A: a\r\n b\r\nContent-Length: %d", plain),
        ("X-A: a\rContent-Length: %d", plain),
        ("X-A: a\rX-B: %d", plain),
        ("Transfer-Encoding : chunked\r\nX-N: %d", chunked),
        ("Transfer-Encoding:\r\n chunked\r\nX-N: %d", chunked),
        ("X-A: a\x00b\r\nContent-Length: %d", plain),
        ("X(A): a\r\nContent-Length: %d", plain),
        ("X\x7fA: a\r\nContent-Length: %d", plain),
    ]
    for head, body_of in cases:
        first, second, email = smuggle_one(dep, head, body_of)
        if first is not None and first[0] != 400:
            raise AssertionError((head, first))
        if first is not None:
            json_error(first, 400, "malformed_request")
            assert b"connection: close" in first[1].lower(), (head, first[1])
        assert second is None, ("a second answer: the smuggled request ran", head, second)
        assert not member_exists(dep.a, email), head
    # A NUL in a name, and a bare LF ending a line, are the same JSON 400.
    for head in ("X-A\x00: a\r\nContent-Length: %d", "X-A: a\nContent-Length: %d"):
        first, second, email = smuggle_one(dep, head, plain)
        json_error(first, 400, "malformed_request")
        assert second is None, (head, second)
        assert not member_exists(dep.a, email)
    # A well-formed request on a fresh connection is still served.
    assert dep.a.post("/v1/members", {"email": unique("ok") + "@example.com"}).status == 201


def test_one_program_holds_at_most_its_share_of_the_bodies_budget(dep):
    """One program may hold a quarter of the bodies' budget (PT_HTTP_BODIES_PROGRAM_BYTES_MAX):
    past it its next body is 503, while another program's body is still accepted."""
    head = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{")
    holders = []
    try:
        for i in range(16):
            s = connect(dep.server.port, "127.0.6.1")
            s.sendall((head % dep.key_a).encode())
            holders.append(s)
        time.sleep(0.3)
        err = json_error(exchange(dep.server.port, (head % dep.key_a).encode(), "127.0.6.2"),
                         503, "unavailable")
        assert "busy" in err["message"]
        r = dep.b.post("/v1/members", {"email": unique("other") + "@example.com"})
        assert r.status == 201, r
        # A large body of the other program fits too.
        s = connect(dep.server.port, "127.0.6.3")
        try:
            s.sendall((head % dep.key_b).encode())
            s.sendall(b" " * (1048576 - 1))
            got = read_answer(s)
            assert got is not None and got[0] != 503, got
        finally:
            s.close()
    finally:
        for s in holders:
            s.close()


def test_many_header_fields_get_a_json_431(dep):
    """More than PT_HTTP_HEADER_FIELDS_MAX (100) fields is the JSON 431, however small they
    are (900 tiny fields once got libmicrohttpd's HTML page)."""
    port = dep.server.port
    hundred = b"".join(b"X-F-%d: v\r\n" % i for i in range(99))  # plus Host
    ok = exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + hundred + b"\r\n")
    assert ok is not None and ok[0] == 200, ok
    for count in (100, 400, 900, 3000):
        many = b"".join(b"X-F-%d: v\r\n" % i for i in range(count))
        json_error(exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + many + b"\r\n"),
                   431, "headers_too_large")


def test_a_request_target_of_8_kib_is_served_and_one_byte_more_is_414(dep):
    """docs/security.md: a request target over 8 KiB is 414; one of exactly 8,192 bytes is
    routed (here to a 401 or 404)."""
    port = dep.server.port
    for path in (b"/v1/" + b"a" * (8192 - 4), b"/v1/members?q=" + b"a" * (8192 - 14),
                 b"/v1/members?" + b"a" * (8192 - 12), b"/v1/members?a&" + b"a" * (8192 - 14)):
        assert len(path) == 8192
        answer = exchange(port, b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert answer is not None and answer[0] in (401, 404), (len(path), answer)
        json_error(exchange(port, b"GET " + path + b"a HTTP/1.1\r\nHost: t\r\n\r\n"), 414,
                   "uri_too_long")


def test_unrouted_paths_are_masked_in_logs(dep):
    """A path that matches no route keeps only the segments that are literal segments of some
    route: no code, key or address sent in a mistyped path reaches the log."""
    paths = ["//v1/coupons/SECRETX1/redeem", "/./v1/coupons/SECRETX2/redeem",
             "/v1//coupons/SECRETX3/redeem", "/v1/Coupons/SECRETX5/redeem",
             "/v1/coupons/../coupons/SECRETCODE4", "/v1/" + dep.key_b,
             "/v1/members/alice@example.com/nothing-here", "/SECRETX6", "/v1/SECRETX7/"]
    start = len(dep.server.lines)
    for p in paths:
        raw_status(dep, p)
    assert dep.anon().get("/healthz").status == 200
    time.sleep(0.3)
    written = dep.server.lines[start:]
    assert len([l for l in written if '"msg":"request"' in l]) >= len(paths)
    for line in written:
        strict_json(line)
        for secret in ("SECRET", dep.key_b, dep.key_b[:12], "alice", "example.com"):
            assert secret not in line, (secret, line)
    assert any('/v1/coupons/{?}/redeem"' in l for l in written), written


# ---- Patron's own reader of HTTP/1.1 (src/http/wire.c) ----


def test_requests_libmicrohttpd_answered_in_html_get_the_json_error(dep):
    """Each of these once got libmicrohttpd's own HTML page (docs/security.md had the list):
    now each is the API's JSON error, and the connection closes."""
    port = dep.server.port
    cases = [
        (b"GARBAGE\r\n\r\n", 400, "malformed_request"),
        (b"GET /healthz\r\nHost: t\r\n\r\n", 400, "malformed_request"),
        (b"GET  /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 400, "malformed_request"),
        (b"GET /healthz HTTP/1.1 \r\nHost: t\r\n\r\n", 400, "malformed_request"),
        (b"GET /healthz http/1.1\r\nHost: t\r\n\r\n", 400, "malformed_request"),
        (b"GET http://t/healthz HTTP/1.1\r\nHost: t\r\n\r\n", 400, "malformed_request"),
        (b"GET /healthz HTTP/2.0\r\nHost: t\r\n\r\n", 505, "http_version_not_supported"),
        (b"GET /healthz HTTP/1.2\r\nHost: t\r\n\r\n", 505, "http_version_not_supported"),
        (b"GET /healthz HTTP/0.9\r\nHost: t\r\n\r\n", 505, "http_version_not_supported"),
        (b"GET /healthz HTTP/1.1\r\n\r\n", 400, "malformed_request"),  # no Host
        (b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "malformed_request"),
        (b"GET /healthz HTTP/1.1\r\nHost: t\r\nExpect: 200-ok\r\n\r\n", 417,
         "expectation_failed"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, "malformed_request"),  # TLS
        (b"GET /healthz HTTP/1.1\r\nHost: t\r\nX: " + b"v" * 70000 + b"\r\n\r\n", 431,
         "headers_too_large"),
        (b"G" * 40 + b" /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 501, "not_implemented"),
    ]
    for data, status, code in cases:
        answer = exchange(port, data)
        json_error(answer, status, code)
        assert b"connection: close" in answer[1].lower(), data[:60]
    # A malformed percent-escape is refused too; the request's framing is sound, so the
    # connection stays open.
    for target in (b"/he%zzlthz", b"/v1/members/%00", b"/healthz?a=%2", b"/healthz?%=1"):
        answer = exchange(port, b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        json_error(answer, 400, "malformed_request")
    # A target still arriving past 8 KiB is refused before its line ends.
    s = connect(port)
    try:
        s.sendall(b"GET /" + b"a" * 9000)
        json_error(read_answer(s, timeout=5), 414, "uri_too_long")
    finally:
        s.close()


def chunked_post(key, body, chunk=7, extension=""):
    pieces = [body[i:i + chunk] for i in range(0, len(body), chunk)]
    framed = "".join("%x%s\r\n%s\r\n" % (len(p), extension, p) for p in pieces) + "0\r\n\r\n"
    return ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%s"
            % (key, framed)).encode()


def test_chunked_bodies_are_read_and_malformed_ones_refused(dep):
    email = unique("chunked") + "@example.com"
    answer = exchange(dep.server.port, chunked_post(dep.key_a, json.dumps({"email": email}),
                                                    extension=";x=1"))
    assert answer is not None and answer[0] == 201, answer
    assert json.loads(answer[2])["email"] == email
    for bad in ("zz\r\n{}\r\n0\r\n\r\n", "2\r\n{}0\r\n\r\n", "2\n{}\r\n0\r\n\r\n",
                "1234567890abcdef0\r\n"):
        data = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%s"
                % (dep.key_a, bad)).encode()
        answer = exchange(dep.server.port, data)
        json_error(answer, 400, "malformed_request")
        assert b"connection: close" in answer[1].lower()


def test_pipelined_requests_are_answered_in_order(dep):
    emails = [unique("pipe%d" % i) + "@example.com" for i in range(3)]
    data = b""
    for email in emails:
        body = json.dumps({"email": email})
        data += ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                 "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                 % (dep.key_a, len(body), body)).encode()
    data += chunked_post(dep.key_a, json.dumps({"email": "not an email"}))
    data += b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
    s = connect(dep.server.port)
    try:
        s.sendall(data)
        answers = read_answers(s, 5)
        for email, answer in zip(emails, answers):
            assert answer[0] == 201 and json.loads(answer[2])["email"] == email, answer
        json_error(answers[3], 400, "validation_failed")
        assert answers[4][0] == 200
    finally:
        s.close()


def read_answers(s, n, timeout=10):
    """n answers read from one stream (read_answer drops what follows its answer)."""
    s.settimeout(timeout)
    data = b""
    answers = []
    while len(answers) < n:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            head = data[:head_end]
            m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            end = head_end + 4 + (int(m.group(1)) if m else 0)
            if len(data) >= end:
                answers.append((int(head.split(b" ")[1]), head, data[head_end + 4:end]))
                data = data[end:]
                continue
        chunk = s.recv(65536)
        assert chunk, ("the server hung up", answers)
        data += chunk
    return answers


def test_expect_continue_head_and_http_1_0(dep):
    port = dep.server.port
    email = unique("expect") + "@example.com"
    body = json.dumps({"email": email}).encode()
    s = connect(port)
    try:
        s.sendall(b"POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                  b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                  b"Content-Length: %d\r\n\r\n" % (dep.key_a.encode(), len(body)))
        s.settimeout(5)
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(body)
        answer = read_answer(s)
        assert answer[0] == 201, answer
    finally:
        s.close()
    # A refused request gets its answer instead of 100 Continue, and the body is not awaited.
    s = connect(port)
    try:
        s.sendall(b"POST /v1/members HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 10\r\n\r\n")
        json_error(read_answer(s, timeout=5), 401, "unauthorized")
    finally:
        s.close()
    # HEAD: the headers of the answer and no body (here a 405, the API has no HEAD routes).
    s = connect(port)
    try:
        s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        s.settimeout(5)
        data = b""
        while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b"}"):
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
        first, _, rest = data.partition(b"\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 405"), data
        assert rest.startswith(b"HTTP/1.1 200"), data  # no body between the two answers
    finally:
        s.close()
    # HTTP/1.0: served, then closed, unless it asks to keep the connection.
    answer = exchange(port, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert answer[0] == 200 and b"connection: close" in answer[1].lower(), answer
    s = connect(port)
    try:
        for _ in range(2):
            s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            answer = read_answer(s)
            assert answer[0] == 200 and b"connection: keep-alive" in answer[1].lower(), answer
    finally:
        s.close()
