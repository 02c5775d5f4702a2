# SPDX-License-Identifier: MIT
"""The web faces served by `patron serve` from the files embedded in the binary (src/http/
static.c, docs/web.md): the pages of the dashboard (/), the till (/till/) and the portal
(/portal/), their client routes falling back to the face's index.html, the hashed files under
/assets/, content types, gzip, the security headers, HEAD, and what must stay refused: paths
that climb out with "..", unknown assets, unknown /v1 paths (the API's 404).
"""
import gzip
import http.client
import re
import socket

import pytest

PAGES = {
    "dashboard": "<title>Patron — Dashboard</title>",
    "till": "<title>Patron — Till</title>",
    "portal": "<title>Patron — Member portal</title>",
}
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def fetch(port, method, path, headers=None):
    """(status, lower-cased headers, body bytes) of one request sent exactly as given."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def raw(port, request):
    """The status line and body of a request written byte for byte (no client normalizes it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, rest = data.partition(b"\r\n\r\n")
                m = re.search(rb"(?i)content-length: (\d+)", head)
                if m and len(rest) >= int(m.group(1)):
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def page_of(body):
    text = body.decode()
    faces = [face for face, title in PAGES.items() if title in text]
    assert len(faces) == 1, text[:400]
    return faces[0]


def assert_page(port, path, face):
    status, headers, body = fetch(port, "GET", path)
    assert status == 200, (path, status, body[:200])
    assert headers["content-type"] == "text/html; charset=utf-8", headers
    assert page_of(body) == face, path
    for name, value in SECURITY.items():
        assert headers[name] == value, (name, headers)
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert "frame-ancestors 'none'" in csp, csp
    # A page is asked again at each visit, so that a new binary's pages arrive at once.
    assert headers["cache-control"] == "no-cache", headers
    return body


@pytest.mark.parametrize("path,face", [
    ("/", "dashboard"), ("/index.html", "dashboard"),
    ("/till", "till"), ("/till/", "till"), ("/portal", "portal"), ("/portal/", "portal")])
def test_each_face_is_served_at_its_path_without_a_key(dep, path, face):
    body = assert_page(dep.server.port, path, face)
    text = body.decode()
    # No inline script: the policy allows none, so every script is a file of /assets/.
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert re.search(r'src="/assets/[^"]+\.js"', tag), tag
    assert '<div id="app">' in text


@pytest.mark.parametrize("path,face", [
    ("/till/members/mem_123", "till"), ("/till/coupons/", "till"),
    ("/portal/rewards/rwd_1", "portal"), ("/portal/how-it-works", "portal"),
    ("/members/mem_123", "dashboard"), ("/settings/program", "dashboard"),
    ("/tillx", "dashboard"), ("/portals/x", "dashboard")])
def test_client_routes_fall_back_to_their_faces_index(dep, path, face):
    assert_page(dep.server.port, path, face)


def assets_of(port, page):
    _, _, body = fetch(port, "GET", page)
    return sorted(set(re.findall(r'(?:src|href)="(/assets/[^"]+)"', body.decode())))


def test_assets_have_their_types_and_are_immutable(dep):
    port = dep.server.port
    assets = assets_of(port, "/")
    scripts = [a for a in assets if a.endswith(".js")]
    styles = [a for a in assets if a.endswith(".css")]
    assert scripts and styles, assets
    fonts = set()
    for path in assets:
        status, headers, body = fetch(port, "GET", path)
        assert status == 200, path
        want = "text/javascript; charset=utf-8" if path.endswith(".js") else "text/css; charset=utf-8"
        assert headers["content-type"] == want, (path, headers)
        assert headers["cache-control"] == "public, max-age=31536000, immutable", headers
        assert headers["x-content-type-options"] == "nosniff"
        if path.endswith(".css"):
            fonts |= set(re.findall(r"url\((/assets/[^)]+\.woff2)\)", body.decode()))
    # The bundled fonts: Noto Sans and Noto Sans Thai, served as files (no data: URLs).
    assert any("noto-sans-thai" in f for f in fonts), fonts
    for font in fonts:
        status, headers, body = fetch(port, "GET", font)
        assert status == 200 and headers["content-type"] == "font/woff2", (font, headers)
        assert body[:4] == b"wOF2", font
        assert "content-encoding" not in headers  # already compressed


def test_gzip_when_the_client_accepts_it(dep):
    port = dep.server.port
    script = [a for a in assets_of(port, "/portal/") if a.endswith(".js")][0]
    for path in ("/portal/", script):
        _, plain_headers, plain = fetch(port, "GET", path)
        assert "content-encoding" not in plain_headers
        assert plain_headers["vary"] == "Accept-Encoding"
        for accept in ("gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*", "GZIP"):
            status, headers, body = fetch(port, "GET", path, {"Accept-Encoding": accept})
            assert status == 200 and headers["content-encoding"] == "gzip", (accept, headers)
            assert int(headers["content-length"]) == len(body) < len(plain)
            assert gzip.decompress(body) == plain, accept
            assert headers["vary"] == "Accept-Encoding"
        for accept in ("identity", "br", "gzip;q=0", "gzip; q=0.000, br", "*;q=0", "deflate"):
            status, headers, body = fetch(port, "GET", path, {"Accept-Encoding": accept})
            assert status == 200 and "content-encoding" not in headers, (accept, headers)
            assert body == plain, accept


def test_head_answers_the_headers_of_get_without_a_body(dep):
    port = dep.server.port
    script = [a for a in assets_of(port, "/till/") if a.endswith(".js")][0]
    for path in ("/", "/till/", "/portal/some/screen", script):
        _, get_headers, get_body = fetch(port, "GET", path)
        status, headers, body = fetch(port, "HEAD", path)
        assert status == 200 and body == b"", path
        assert headers["content-length"] == str(len(get_body)), (path, headers)
        for name in ("content-type", "cache-control", "x-content-type-options"):
            assert headers[name] == get_headers[name], (path, name)


@pytest.mark.parametrize("target", [
    b"/assets/../../etc/passwd", b"/../../etc/passwd", b"/portal/../../../etc/passwd",
    b"/assets/%2e%2e/%2e%2e/etc/passwd", b"/assets/./app.js", b"/till/./", b"/portal/..",
    b"/.%2e/etc/passwd"])
def test_dot_segments_are_refused(dep, target):
    status, body = raw(dep.server.port, b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    assert status == 404, (target, status, body)
    assert b'"not_found"' in body and b"root:" not in body and b"<html" not in body


def test_an_escaped_slash_is_refused_before_any_file_is_looked_up(dep):
    status, body = raw(dep.server.port,
                       b"GET /assets/..%2f..%2fetc%2fpasswd HTTP/1.1\r\nHost: t\r\n\r\n")
    assert status == 400 and b"malformed_request" in body, body


@pytest.mark.parametrize("path", ["/assets/nope-12345678.js", "/assets/", "/assets",
                                  "/assets/style.css", "/assets/sub/dir/x.woff2"])
def test_an_unknown_asset_is_404_not_a_page(dep, path):
    status, headers, body = fetch(dep.server.port, "GET", path)
    assert status == 404, (path, status)
    assert headers["content-type"].startswith("application/json") and b"not_found" in body


def test_the_api_keeps_its_own_answers(dep):
    port = dep.server.port
    for path in ("/v1/nothing", "/v1/", "/v1"):
        status, headers, body = fetch(port, "GET", path)
        assert status == 404 and headers["content-type"].startswith("application/json"), path
        assert b"no such route" in body
    status, headers, _ = fetch(port, "GET", "/healthz")
    assert status == 200 and headers["content-type"].startswith("application/json")
    # Writing to a page's path is no request the faces answer: the API's 404.
    for method in ("POST", "PUT", "DELETE"):
        status, headers, body = fetch(port, method, "/portal/", {"Content-Length": "0"})
        assert status == 404 and b"not_found" in body, method
    # The API without a key is still refused.
    status, _, _ = fetch(port, "GET", "/v1/members")
    assert status == 401


def test_root_files_are_served_with_their_type(dep):
    status, headers, body = fetch(dep.server.port, "GET", "/favicon.svg")
    assert status == 200 and headers["content-type"] == "image/svg+xml", headers
    assert body.startswith(b"<svg") and headers["cache-control"] == "public, max-age=300"


def test_the_web_shop_script_is_one_small_file_at_a_stable_url(dep):
    """/embed.js (docs/web.md, "Points beside the price in a web shop") is loaded by other sites'
    pages: one classic script that imports nothing, not hashed, so cached for minutes only, and
    not refused to another origin's <script>."""
    port = dep.server.port
    status, headers, body = fetch(port, "GET", "/embed.js")
    assert status == 200 and headers["content-type"] == "text/javascript; charset=utf-8", headers
    assert headers["cache-control"] == "public, max-age=300", headers
    assert "cross-origin-resource-policy" not in headers, headers
    text = body.decode()
    assert text.startswith("(function") and "data-patron-price" in text, text[:200]
    assert not re.search(r"\bimport\b|/assets/", text), text[:200]
    status, headers, packed = fetch(port, "GET", "/embed.js", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip", headers
    assert gzip.decompress(packed) == body and len(packed) <= 8 * 1024, len(packed)
