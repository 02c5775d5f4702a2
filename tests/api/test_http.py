# SPDX-License-Identifier: MIT
"""The HTTP rules of API.md: authentication, roles, errors and limits, request ids, health,
metrics and the request log."""
import json
import re
import socket
import time

from conftest import Client, new_member, unique


def test_healthz_needs_no_key(dep):
    r = dep.anon().get("/healthz")
    assert r.status == 200 and r.json == {"status": "ok"}


def test_auth__missing_unknown_malformed_key(dep):
    for key in (None, "ptk_" + "0" * 52, "nonsense", ""):
        r = Client(dep.server.port, key).get("/v1/members")
        assert r.status == 401 and r.error["code"] == "unauthorized", (key, r)
    r = dep.anon().get("/v1/members", headers={"Authorization": "Basic abc"})
    assert r.status == 401


def test_roles__staff_may_serve_members_not_keys(dep):
    created = dep.a.post("/v1/api-keys", {"name": "till 1", "role": "staff"})
    assert created.status == 201, created
    staff = dep.a.with_key(created.json["api_key"])
    assert staff.post("/v1/members", {"email": unique("s") + "@example.com"}).status == 201
    assert staff.get("/v1/members").status == 200
    for method, path, body in (("GET", "/v1/api-keys", None),
                               ("POST", "/v1/api-keys", {"name": "x", "role": "admin"}),
                               ("DELETE", "/v1/api-keys/" + created.json["id"], None),
                               ("GET", "/v1/program", None)):
        r = staff.request(method, path, body=body)
        assert r.status == 403 and r.error["code"] == "forbidden", (path, r)


def test_errors__404_405_413_415_400(dep):
    r = dep.a.get("/v1/nothing")
    assert r.status == 404 and r.error["code"] == "not_found"
    r = dep.a.delete("/v1/members")
    assert r.status == 405 and r.error["code"] == "method_not_allowed"
    r = dep.a.post("/v1/members", raw=b'{"email": "a@b.co"}', headers={"Content-Type": "text/plain"})
    assert r.status == 415 and r.error["code"] == "unsupported_media_type"
    r = dep.a.post("/v1/members", raw=b'{"email": ', headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.error["code"] == "malformed_json" and "byte" in r.error["message"]
    r = dep.a.post("/v1/members", raw=b'{"a":1,"a":2}', headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.error["code"] == "malformed_json"
    r = dep.a.post("/v1/members", raw=b'[1]', headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.error["code"] == "validation_failed"
    deep = b'{"attributes":' + b'{"a":' * 40 + b'1' + b'}' * 41
    r = dep.a.post("/v1/members", raw=deep, headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.error["code"] == "validation_failed"


def raw_exchange(port, head, body=b""):
    """Sends a request as bytes (tolerating an early close) and returns (status, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(head)
        try:
            s.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before reading the whole body
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head_part, _, rest = data.partition(b"\r\n\r\n")
        status = int(head_part.split(b" ")[1])
        length = int(re.search(rb"(?i)content-length: (\d+)", head_part).group(1))
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        return status, json.loads(rest[:length])
    finally:
        s.close()


def test_errors__body_limit_is_one_mib(dep):
    big = json.dumps({"attributes": {"k": "x" * (1024 * 1024)}}).encode()
    head = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (dep.key_a, len(big))).encode()
    status, body = raw_exchange(dep.server.port, head, big)
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    # The same body sent in chunks (no Content-Length) is refused too.
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(big[i:i + 65536]), big[i:i + 65536])
                       for i in range(0, len(big), 65536)) + b"0\r\n\r\n"
    head = ("POST /v1/members HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            % dep.key_a).encode()
    status, body = raw_exchange(dep.server.port, head, chunked)
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    # Just under the limit is parsed (and refused for the attribute size, not the body).
    ok = json.dumps({"attributes": {"k": "x" * (1024 * 1024 - 40)}}).encode()
    assert len(ok) <= 1024 * 1024
    r = Client(dep.server.port, dep.key_a).post(
        "/v1/members", raw=ok, headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.error["field"] == "attributes"


def test_request_id__echoed_or_generated(dep):
    r = dep.a.get("/v1/members", headers={"X-Request-Id": "till-7.req:42"})
    assert r.headers["x-request-id"] == "till-7.req:42"
    r = dep.a.get("/v1/members", headers={"X-Request-Id": "bad id with spaces"})
    assert r.headers["x-request-id"].startswith("req_")
    r = dep.a.get("/v1/members", headers={"X-Request-Id": "x" * 65})
    assert r.headers["x-request-id"].startswith("req_")
    assert dep.a.get("/nothing").headers["x-request-id"]


def test_metrics__count_requests_by_route_and_status(dep):
    def count(text, route, status):
        m = re.search(r'patron_http_requests_total\{route="%s",status="%s"\} (\d+)'
                      % (re.escape(route), status), text)
        return int(m.group(1)) if m else 0

    before = dep.anon().get("/metrics").body
    for _ in range(3):
        dep.a.get("/v1/members/mem_00000000000000000000000000")
    after = dep.anon().get("/metrics")
    assert after.status == 200 and after.headers["content-type"].startswith("text/plain")
    route = "GET /v1/members/{id}"
    assert count(after.body, route, "404") == count(before, route, "404") + 3
    assert "patron_http_request_duration_seconds_bucket{le=\"+Inf\"}" in after.body
    assert re.search(r"patron_http_open_connections \d+", after.body)


def test_request_log__one_line_per_request_without_secrets(dep):
    rid = unique("log")
    secret_email = unique("secret") + "@example.com"
    dep.a.post("/v1/members", {"email": secret_email}, headers={"X-Request-Id": rid})
    time.sleep(0.2)
    lines = [json.loads(l) for l in dep.server.lines if rid in l]
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "POST" and line["path"] == "/v1/members"
    assert line["status"] == 201 and line["program_id"] == dep.program_a
    assert isinstance(line["duration_us"], int) and line["ts"].endswith("Z")
    log = dep.server.log()
    assert dep.key_a not in log and secret_email not in log


def test_slow_client_cannot_hold_a_worker(dep):
    # A client that sends half a request and stalls does not block others.
    s = socket.create_connection(("127.0.0.1", dep.server.port))
    s.sendall(b"POST /v1/members HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    try:
        assert dep.a.get("/healthz").status == 200
        assert dep.a.get("/v1/members?limit=1").status == 200
    finally:
        s.close()
