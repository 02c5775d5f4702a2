# SPDX-License-Identifier: MIT
"""The HTTP conventions of API.md in detail: the error body, every error status, content types,
the body limit to the byte, unknown query parameters, X-Request-Id, roles, metrics that move
with the traffic, and a request log with one line per request and no secrets."""
import json
import re
import socket
import threading
import time

import pytest

from conftest import Client, new_member, unique

JSON = {"Content-Type": "application/json"}


def assert_error(r, status, code, field=None):
    assert r.status == status, r
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    body = r.json
    assert set(body) == {"error"}, body
    err = body["error"]
    assert err["code"] == code, r
    assert isinstance(err["message"], str) and err["message"], r
    assert set(err) <= {"code", "message", "field"}, err
    if field is not None:
        assert err.get("field") == field, r
    assert r.headers.get("x-request-id"), r.headers


# ---- Health and errors ----

def test_healthz_and_metrics_need_no_key_but_v1_does(dep):
    anon = dep.anon()
    r = anon.get("/healthz")
    assert r.status == 200 and r.json == {"status": "ok"}
    assert r.headers["content-type"].startswith("application/json")
    assert anon.get("/metrics").status == 200
    for path in ("/v1/members", "/v1/api-keys", "/v1/members/mem_00000000000000000000000000"):
        assert_error(anon.get(path), 401, "unauthorized")
    assert_error(anon.post("/v1/members", {"first_name": "x"}), 401, "unauthorized")
    assert_error(anon.post("/v1/api-keys", {"name": "x", "role": "admin"}), 401, "unauthorized")
    assert_error(anon.delete("/v1/api-keys/key_00000000000000000000000000"), 401, "unauthorized")


@pytest.mark.parametrize("auth", [
    "Bearer", "Bearer ", "Bearer ptk_", "Bearer ptk_" + "0" * 52, "Bearer ptk_" + "0" * 51,
    "Bearer ptk_" + "0" * 53, "Bearer PTK_" + "0" * 52, "Token {key}", "{key}", "Basic {key}",
    "Bearer {key}x", "Bearer x{key}", "Bearer {upper}"])
def test_bad_authorization_is_401(dep, auth):
    value = auth.format(key=dep.key_a, upper=dep.key_a.upper())
    r = dep.anon().get("/v1/members", headers={"Authorization": value})
    assert_error(r, 401, "unauthorized")


def test_a_key_never_sees_another_program(dep):
    ma = new_member(dep.a)
    mb = new_member(dep.b)
    missing = dep.a.get("/v1/members/mem_00000000000000000000000000")
    assert_error(missing, 404, "not_found")
    for client, foreign in ((dep.a, mb), (dep.b, ma)):
        r = client.get("/v1/members/" + foreign["id"])
        assert_error(r, 404, "not_found")
        # Exactly the answer for an id that does not exist (no hint that it exists elsewhere).
        nonexist = client.get("/v1/members/mem_00000000000000000000000000")
        assert r.json["error"]["message"].replace(foreign["id"], "ID") == \
            nonexist.json["error"]["message"].replace("mem_00000000000000000000000000", "ID")
        assert set(r.json["error"]) == set(nonexist.json["error"])


@pytest.mark.parametrize("method,path", [
    ("POST", "/"), ("GET", "/v1"), ("GET", "/v1/"), ("POST", "/v2/members"),
    ("GET", "/v1/member"), ("GET", "/v1/members/"), ("GET", "/v1/members/x/y/z"),
    ("GET", "/v1/api-keys/key_00000000000000000000000000/extra"), ("POST", "/v1/nothing"),
    ("POST", "/healthz/"), ("POST", "/V1/members")])
def test_unknown_routes_are_404(dep, method, path):
    """Outside /v1 a GET or HEAD is a page of the web faces (test_static.py); other methods
    and every unknown /v1 path stay the API's 404."""
    r = dep.a.request(method, path)
    assert_error(r, 404, "not_found")


@pytest.mark.parametrize("method,path", [
    ("DELETE", "/v1/members"), ("PUT", "/v1/members"), ("PATCH", "/v1/members"),
    ("POST", "/v1/members/{mid}"), ("PUT", "/v1/members/{mid}"), ("DELETE", "/v1/members/{mid}"),
    ("PATCH", "/v1/api-keys"), ("DELETE", "/v1/api-keys"), ("GET", "/v1/api-keys/{kid}"),
    ("PATCH", "/v1/api-keys/{kid}"), ("POST", "/healthz"), ("DELETE", "/metrics")])
def test_known_path_wrong_method_is_405_and_changes_nothing(dep, method, path):
    m = new_member(dep.a, first_name="Stay")
    keys_before = dep.a.get("/v1/api-keys?limit=200").json
    kid = keys_before["data"][0]["id"]
    r = dep.a.request(method, path.format(mid=m["id"], kid=kid),
                      body={"first_name": "Changed"} if method in ("POST", "PUT", "PATCH") else None)
    assert_error(r, 405, "method_not_allowed")
    assert dep.a.get("/v1/members/" + m["id"]).json == m
    assert dep.a.get("/v1/api-keys?limit=200").json == keys_before


@pytest.mark.parametrize("ctype,ok", [
    ("application/json", True), ("application/json; charset=utf-8", True),
    ("Application/JSON", True), (None, False), ("text/plain", False),
    ("application/x-www-form-urlencoded", False), ("application/jsonx", False),
    ("text/json", False), ("multipart/form-data; boundary=x", False)])
def test_content_type_of_post(dep, ctype, ok):
    headers = {"Content-Type": ctype} if ctype else {}
    email = unique("ct") + "@example.com"
    r = dep.a.post("/v1/members", raw=json.dumps({"email": email}).encode(), headers=headers)
    if ok:
        assert r.status == 201, r
    else:
        assert_error(r, 415, "unsupported_media_type")
        assert dep.a.get("/v1/members?email=" + email).json["data"] == []
    r = dep.a.post("/v1/api-keys", raw=b'{"name":"ct","role":"staff"}', headers=headers)
    assert r.status == (201 if ok else 415), r


@pytest.mark.parametrize("raw", [
    b'{"email": ', b'{', b'}', b'{"a" 1}', b"{'first_name': 'x'}", b'{"first_name": "x",}',
    b'{"first_name": "\xff\xfe"}', b'{"first_name": "x"} trailing', b'nul\x00l', b'   ',
    b'{"first_name": "x", "first_name": "y"}'])
def test_malformed_json_is_400_with_a_byte_offset(dep, raw):
    before = dep.a.get("/v1/members?limit=1").json["data"]
    r = dep.a.post("/v1/members", raw=raw, headers=JSON)
    assert_error(r, 400, "malformed_json")
    if raw.strip():
        assert "byte" in r.json["error"]["message"], r
        assert re.search(r"\d", r.json["error"]["message"]), r
    assert dep.a.get("/v1/members?limit=1").json["data"] == before


def test_empty_body_is_malformed_json(dep):
    for method, path in (("POST", "/v1/members"), ("POST", "/v1/api-keys")):
        r = dep.a.request(method, path, raw=b"", headers=JSON)
        assert_error(r, 400, "malformed_json")


def raw_exchange(port, head, body=b""):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.sendall(head)
        try:
            s.sendall(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head_part, _, rest = data.partition(b"\r\n\r\n")
        status = int(head_part.split(b" ")[1])
        length = int(re.search(rb"(?i)content-length: *(\d+)", head_part).group(1))
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.decode().partition(":") for line in head_part.split(b"\r\n")[1:])}
        return status, headers, json.loads(rest[:length])
    finally:
        s.close()


def post_exact_size(dep, size, path="/v1/members"):
    """A JSON object of exactly `size` bytes: {"attributes":{"k":"xxx"}} padded with spaces."""
    core = b'{"first_name":"Big"}'
    body = core[:-1] + b" " * (size - len(core)) + b"}"
    assert len(body) == size
    head = ("POST %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (path, dep.key_a, len(body))).encode()
    return raw_exchange(dep.server.port, head, body)


def test_body_limit_is_exactly_one_mib(dep):
    status, headers, body = post_exact_size(dep, 1048576)
    assert status == 201, body
    assert body["first_name"] == "Big"
    status, headers, body = post_exact_size(dep, 1048577)
    assert status == 413 and body["error"]["code"] == "payload_too_large", body
    assert headers.get("x-request-id")
    # The server still answers on a fresh connection afterwards.
    assert dep.a.get("/healthz").status == 200


def test_body_limit_applies_to_api_keys_too(dep):
    status, _, body = post_exact_size(dep, 1048577, "/v1/api-keys")
    assert status == 413 and body["error"]["code"] == "payload_too_large", body


# ---- Unknown query parameters ----

@pytest.mark.parametrize("method,path", [
    ("GET", "/v1/members?colour=red"),
    ("GET", "/v1/api-keys?colour=red"),
    ("GET", "/v1/members/{mid}?colour=red"),
    ("PATCH", "/v1/members/{mid}?colour=red"),
    ("POST", "/v1/members?colour=red"),
    ("POST", "/v1/api-keys?colour=red"),
    ("DELETE", "/v1/api-keys/{kid}?colour=red"),
])
def test_unknown_query_parameter_is_400_and_nothing_happens(dep, method, path):
    m = new_member(dep.a, first_name="Query")
    k = dep.a.post("/v1/api-keys", {"name": "qp", "role": "staff"}).json
    members_before = dep.a.get("/v1/members?limit=1").json
    keys_before = dep.a.get("/v1/api-keys?limit=200").json
    body = None
    if method == "PATCH":
        body = {"first_name": "Changed"}
    elif method == "POST" and "members" in path:
        body = {"first_name": "New"}
    elif method == "POST":
        body = {"name": "new", "role": "staff"}
    r = dep.a.request(method, path.format(mid=m["id"], kid=k["id"]), body=body)
    assert_error(r, 400, "validation_failed", field="colour")
    assert dep.a.get("/v1/members?limit=1").json == members_before
    assert dep.a.get("/v1/api-keys?limit=200").json == keys_before
    assert dep.a.with_key(k["api_key"]).get("/v1/members?limit=1").status == 200


# ---- X-Request-Id ----

GENERATED = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@pytest.mark.parametrize("sent,echoed", [
    ("abc", True), ("till-7.req:42_x", True), ("A" * 64, True), ("0", True),
    ("A" * 65, False), ("has space", False), ("semi;colon", False), ("slash/no", False),
    ("quote\"", False), ("ümlaut", False), ("", False)])
def test_request_id_is_echoed_only_when_safe(dep, sent, echoed):
    r = dep.a.get("/v1/members?limit=1", headers={"X-Request-Id": sent})
    rid = r.headers["x-request-id"]
    if echoed:
        assert rid == sent
    else:
        assert rid != sent and GENERATED.match(rid), rid


def test_request_id_on_every_kind_of_answer(dep):
    m = new_member(dep.a)
    cases = [
        dep.anon().get("/healthz"), dep.anon().get("/metrics"), dep.anon().get("/v1/members"),
        dep.a.get("/nothing"), dep.a.delete("/v1/members"),
        dep.a.post("/v1/members", raw=b"{}", headers={"Content-Type": "text/plain"}),
        dep.a.post("/v1/members", raw=b"{", headers=JSON), dep.a.get("/v1/members/" + m["id"]),
        dep.a.get("/v1/members?limit=0"),
    ]
    seen = set()
    for r in cases:
        rid = r.headers.get("x-request-id")
        assert rid and GENERATED.match(rid), r
        seen.add(rid)
    assert len(seen) == len(cases), "generated request ids must differ"
    r = dep.anon().get("/v1/members", headers={"X-Request-Id": "mine-1"})
    assert r.status == 401 and r.headers["x-request-id"] == "mine-1"
    k = dep.a.post("/v1/api-keys", {"name": "rid", "role": "admin"}).json
    r = dep.a.delete("/v1/api-keys/" + k["id"], headers={"X-Request-Id": "del-1"})
    assert r.status == 204 and r.headers["x-request-id"] == "del-1" and r.body == ""


# ---- Roles ----

def test_staff_may_do_everything_with_members_and_nothing_with_keys(dep):
    created = dep.a.post("/v1/api-keys", {"name": "till", "role": "staff"})
    assert created.status == 201, created
    staff = dep.a.with_key(created.json["api_key"])
    m = staff.post("/v1/members", {"first_name": "ByStaff"})
    assert m.status == 201, m
    assert staff.get("/v1/members/" + m.json["id"]).status == 200
    assert staff.patch("/v1/members/" + m.json["id"], {"city": "Rome"}).json["city"] == "Rome"
    assert m.json["id"] in [x["id"] for x in staff.get("/v1/members?limit=200").json["data"]]
    admin_key_id = dep.a.get("/v1/api-keys").json["data"][-1]["id"]
    for method, path, body in (
            ("GET", "/v1/api-keys", None), ("GET", "/v1/api-keys?limit=1", None),
            ("POST", "/v1/api-keys", {"name": "x", "role": "admin"}),
            ("POST", "/v1/api-keys", {"name": "x", "role": "staff"}),
            ("POST", "/v1/api-keys", {"bogus": True}),  # forbidden before validation
            ("DELETE", "/v1/api-keys/" + created.json["id"], None),
            ("DELETE", "/v1/api-keys/" + admin_key_id, None),
            ("DELETE", "/v1/api-keys/key_00000000000000000000000000", None)):
        r = staff.request(method, path, body=body)
        assert_error(r, 403, "forbidden")
    # Nothing was done by the refused calls: the staff key itself still works.
    assert staff.get("/v1/members?limit=1").status == 200
    assert created.json["id"] in [k["id"] for k in dep.a.get("/v1/api-keys?limit=200").json["data"]]


# ---- Metrics ----

def metric(text, route, status):
    m = re.search(r'^patron_http_requests_total\{route="%s",status="%s"\} (\d+)$'
                  % (re.escape(route), status), text, re.M)
    return int(m.group(1)) if m else 0


def histogram(text):
    buckets = [(le, int(n)) for le, n in
               re.findall(r'^patron_http_request_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$',
                          text, re.M)]
    count = int(re.search(r"^patron_http_request_duration_seconds_count (\d+)$", text, re.M)
                .group(1))
    total = float(re.search(r"^patron_http_request_duration_seconds_sum ([0-9.e+-]+)$", text,
                            re.M).group(1))
    return buckets, count, total


def test_metrics_count_by_route_and_status(dep):
    anon = dep.anon()
    before = anon.get("/metrics").body
    m = new_member(dep.a)
    for _ in range(2):
        dep.a.get("/v1/members/" + m["id"])
    dep.a.get("/v1/members/mem_00000000000000000000000000")
    dep.a.post("/v1/members", {"bogus": 1})
    dep.anon().get("/v1/members")
    dep.a.patch("/v1/members/" + m["id"], {"city": "Oslo"})
    dep.a.delete("/v1/members")
    for _ in range(3):
        anon.get("/healthz")
    after = anon.get("/metrics")
    assert after.status == 200
    assert after.headers["content-type"].startswith("text/plain")
    text = after.body
    expect = [("POST /v1/members", "201", 1), ("GET /v1/members/{id}", "200", 2),
              ("GET /v1/members/{id}", "404", 1), ("POST /v1/members", "400", 1),
              ("GET /v1/members", "401", 1), ("PATCH /v1/members/{id}", "200", 1),
              ("GET /healthz", "200", 3)]
    for route, status, n in expect:
        assert metric(text, route, status) - metric(before, route, status) == n, (route, status)
    # The histogram: cumulative buckets ending in +Inf == count, which moved by at least 11.
    b0, c0, s0 = histogram(before)
    b1, c1, s1 = histogram(text)
    assert b1[-1][0] == "+Inf" and b1[-1][1] == c1
    assert [n for _, n in b1] == sorted(n for _, n in b1)
    assert c1 - c0 >= 11 and s1 >= s0
    assert [float(le) for le, _ in b1[:-1]] == sorted(float(le) for le, _ in b1[:-1])
    assert "# TYPE patron_http_requests_total counter" in text
    assert "# TYPE patron_http_request_duration_seconds histogram" in text
    assert "# TYPE patron_http_open_connections gauge" in text


def open_connections(dep, client=None):
    text = (client or dep.anon()).get("/metrics").body
    return int(re.search(r"^patron_http_open_connections (\d+)$", text, re.M).group(1))


def test_metrics_open_connections_follow_the_sockets(dep):
    watcher = dep.anon()  # one kept-alive connection for all the reads of the gauge
    socks = []
    try:
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", dep.server.port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            s.settimeout(10)
            assert b"200" in s.recv(4096)
            socks.append(s)
        # The five held sockets plus the one asking.
        during = open_connections(dep, watcher)
        assert during >= 6, during
    finally:
        for s in socks:
            s.close()
    deadline = time.time() + 10
    while open_connections(dep, watcher) > during - 5 and time.time() < deadline:
        time.sleep(0.05)
    assert open_connections(dep, watcher) <= during - 5


# ---- The request log ----

def log_lines_with(dep, needle, want=1):
    deadline = time.time() + 5
    while True:
        lines = [json.loads(l) for l in list(dep.server.lines) if needle in l]
        if len(lines) >= want or time.time() > deadline:
            return lines
        time.sleep(0.02)


def test_request_log_has_one_line_per_request_with_the_fields(dep):
    m = new_member(dep.a)
    calls = [
        ("GET", "/v1/members/" + m["id"], None, dep.a, 200, dep.program_a),
        ("GET", "/v1/members/" + m["id"], None, dep.anon(), 401, None),
        ("POST", "/v1/members", {"bogus": 1}, dep.a, 400, dep.program_a),
        ("GET", "/healthz", None, dep.anon(), 200, None),
        ("GET", "/v1/nothing/here", None, dep.a, 404, None),
        ("GET", "/v1/members?limit=2", None, dep.b, 200, dep.program_b),
    ]
    for i, (method, path, body, client, status, program) in enumerate(calls):
        rid = unique("log%d-" % i)
        r = client.request(method, path, body=body, headers={"X-Request-Id": rid})
        assert r.status == status, r
        lines = log_lines_with(dep, '"request_id":"%s"' % rid)
        assert len(lines) == 1, lines
        line = lines[0]
        assert {"ts", "request_id", "method", "path", "status", "duration_us",
                "program_id"} <= set(line), line
        assert line["method"] == method and line["status"] == status
        # A path that matches no route keeps only the segments routes have (docs/security.md).
        logged = "/v1/{?}/{?}" if path == "/v1/nothing/here" else path.split("?")[0]
        assert line["path"] == logged, line
        assert line["program_id"] == program, line
        assert isinstance(line["duration_us"], int) and line["duration_us"] >= 0
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", line["ts"]), line
    # Every log line is a JSON object.
    for l in list(dep.server.lines):
        assert isinstance(json.loads(l), dict), l


def test_request_log_holds_no_keys_bodies_or_query_values(dep):
    secret_email = unique("secretmail") + "@example.com"
    secret_attr = unique("secretattr")
    secret_idem = unique("secretidem")
    new_key = dep.a.post("/v1/api-keys", {"name": unique("secretname"), "role": "staff"}).json
    staff = dep.a.with_key(new_key["api_key"])
    r = staff.post("/v1/members", {"email": secret_email, "attributes": {"a": secret_attr},
                                   "first_name": "Secretive"},
                   headers={"Idempotency-Key": secret_idem})
    assert r.status == 201
    staff.get("/v1/members?email=" + secret_email)
    staff.patch("/v1/members/" + r.json["id"], {"attributes": {"b": secret_attr}})
    dep.anon().get("/v1/members", headers={"Authorization": "Bearer " + new_key["api_key"][:-1] + "q"})
    dep.a.post("/v1/members", raw=b'{"email": "' + secret_email.encode() + b'", ', headers=JSON)
    time.sleep(0.2)
    log = dep.server.log()
    for secret in (dep.key_a, dep.key_b, new_key["api_key"], new_key["api_key"][12:],
                   secret_email, secret_email.split("@")[0], secret_attr, secret_idem,
                   r.json["card_number"]):
        assert secret not in log, secret


def test_concurrent_requests_each_log_exactly_once(dep):
    rids = [unique("conc") for _ in range(24)]

    def call(rid):
        Client(dep.server.port, dep.key_a).get("/v1/members?limit=1", headers={"X-Request-Id": rid})

    threads = [threading.Thread(target=call, args=(rid,)) for rid in rids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for rid in rids:
        assert len(log_lines_with(dep, '"request_id":"%s"' % rid)) == 1, rid
