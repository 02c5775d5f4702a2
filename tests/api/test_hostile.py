# SPDX-License-Identifier: MIT
"""Hostile clients: slow senders are cut off and starve nobody, many connections at once are
served, pipelined requests are answered in order, malformed HTTP gets an error rather than a
hang, and none of it disturbs the ledger."""
import socket
import threading
import time

from conftest import Client, new_member


def read_response(sock, timeout=10):
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_pipelined_requests_are_answered_in_order(dep):
    s = socket.create_connection(("127.0.0.1", dep.server.port))
    try:
        reqs = b"".join(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Request-Id: pipe-%d\r\n\r\n" % i
                        for i in range(5))
        s.sendall(reqs)
        s.settimeout(10)
        data = b""
        while data.count(b'{"status":"ok"}') < 5:
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
        assert data.count(b"HTTP/1.1 200") == 5
        positions = [data.index(b"X-Request-Id: pipe-%d" % i) for i in range(5)]
        assert positions == sorted(positions)
    finally:
        s.close()


def test_malformed_http_gets_an_error_not_a_hang(dep):
    for garbage in (b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n",
                    b"GET /healthz HTTP/1.1\r\nBad Header Without Colon\r\n\r\n"):
        s = socket.create_connection(("127.0.0.1", dep.server.port))
        try:
            s.sendall(garbage)
            resp = read_response(s)
            # Either an HTTP error status or a closed connection; never a hang or a 2xx.
            assert resp == b"" or resp.split(b" ")[1][:1] in (b"4", b"5"), (garbage, resp)
        finally:
            s.close()
    assert dep.a.get("/healthz").status == 200


def test_slowloris_is_cut_off_and_starves_nobody(dep):
    slow = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", dep.server.port))
        s.sendall(b"POST /v1/members HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n")
        slow.append(s)
    try:
        started = time.monotonic()
        for _ in range(20):
            assert dep.a.get("/v1/members?limit=1").status == 200
        m = new_member(dep.a)
        assert dep.a.get("/v1/members/" + m["id"]).status == 200
        assert time.monotonic() - started < 10
    finally:
        for s in slow:
            s.close()


def test_idle_connection_is_closed_by_the_server(dep):
    """A request whose headers are not complete within the deadline (10 s) is cut: the socket
    reads EOF (issue 16: libmicrohttpd's own timeout, 30 s of silence, let a trickle live)."""
    s = socket.create_connection(("127.0.0.1", dep.server.port))
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")  # headers never finished
        s.settimeout(45)
        started = time.monotonic()
        data = s.recv(100)
        elapsed = time.monotonic() - started
        assert data == b"" or data.startswith(b"HTTP/1.1 4")
        assert 8 < elapsed < 15, elapsed
    finally:
        s.close()


def test_a_thousand_concurrent_connections(dep):
    socks = []
    try:
        for i in range(1000):
            # From 16 loopback addresses: one address may hold at most 64 connections.
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.2.%d" % (1 + i % 16), 0))
            s.connect(("127.0.0.1", dep.server.port))
            socks.append(s)
        for s in socks:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        ok = sum(1 for s in socks if read_response(s, timeout=30).startswith(b"HTTP/1.1 200"))
        assert ok == 1000
    finally:
        for s in socks:
            s.close()


def test_concurrent_writers_and_readers_keep_the_ledger_exact(dep):
    m = new_member(dep.a)["id"]
    statuses = []

    def buyer(i):
        c = Client(dep.server.port, dep.key_a)
        for j in range(10):
            statuses.append(c.post("/v1/transactions", {
                "external_id": "conc-%d-%d" % (i, j), "member_id": m, "currency": "USD",
                "amount": 100}).status)
            c.get("/v1/members/%s/balance" % m)

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses.count(201) == 200
    assert dep.a.get("/v1/members/%s/balance" % m).json["available"] == 200
