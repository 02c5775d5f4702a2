# SPDX-License-Identifier: MIT
"""Publishable keys and the embed's member token (issue 19, "For web shops: points beside the
price"; docs/security.md, "Publishable keys" and "CORS"; docs/web.md, "The publishable key and
the member token"): creating and listing them with their allowed origins and every origin shape
refused; the Origin check; the three routes a publishable key may call and every other refused;
guest-only cart evaluation; the CORS preflight and the headers of actual answers; the signing
secret (admin only, shown once, in no read and no log line) and the member token (valid,
tampered, expired, too far ahead, another program's member, closed, after a rotation); the
publishable keys' own rate bucket; and migration 26 from a database of schema 25."""
import hashlib
import hmac
import json
import os
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import PATRON_BIN, Client, Server, new_database, new_member, unique

SHOP = "https://shop.example"
DEV = "http://127.0.0.1:8123"


def publishable(client, origins=(SHOP, DEV)):
    r = client.post("/v1/api-keys", {"name": unique("shop"), "role": "publishable",
                                     "allowed_origins": list(origins)})
    assert r.status == 201, r
    return r.json


def call(d, key, method, path, origin=SHOP, body=None, headers=None, raw=None):
    hdrs = {} if origin is None else {"Origin": origin}
    hdrs.update(headers or {})
    return Client(d.server.port, key).request(method, path, body=body, headers=hdrs, raw=raw)


def token(secret_hex, member_id, expires):
    signed = "v1.%s.%d" % (member_id, expires)
    mac = hmac.new(bytes.fromhex(secret_hex), signed.encode(), hashlib.sha256).hexdigest()
    return signed + "." + mac


def cors_of(r):
    return r.headers.get("access-control-allow-origin")


@pytest.fixture(scope="module")
def shop(dep):
    return publishable(dep.a)["api_key"]


# ---- Creating and listing ----

def test_create_and_list_show_the_allowed_origins(dep):
    k = publishable(dep.a)
    assert k["role"] == "publishable" and k["allowed_origins"] == [SHOP, DEV]
    assert k["api_key"].startswith("ptk_")
    listed = {x["id"]: x for x in dep.a.get("/v1/api-keys?limit=200").json["data"]}
    assert listed[k["id"]]["allowed_origins"] == [SHOP, DEV]
    assert all("allowed_origins" not in x for x in listed.values() if x["role"] != "publishable")
    longest = "https://" + ".".join(["a" * 61] * 4)  # 8 + 4 * 61 + 3 = 255 bytes: too long
    ok = "https://" + ".".join(["a" * 61] * 3 + ["a" * 59])  # 253 bytes
    assert len(ok) == 253 and len(longest) == 255
    assert publishable(dep.a, [ok, "http://localhost", "https://x.example:65535",
                               "http://10.0.0.1:8080"])["allowed_origins"][0] == ok


BAD_ORIGINS = [
    "https://Shop.example", "https://shop.example/", "https://shop.example/path",
    "https://shop.example?q=1", "https://shop.example#top", "https://user@shop.example",
    "https://user:pw@shop.example", "ftp://shop.example", "shop.example", "//shop.example",
    "https://", "http://", "https://shop.example:", "https://shop.example:0",
    "https://shop.example:65536", "https://shop.example:080", "https://shop.example:8o",
    # A browser's Origin never names the scheme's default port: such a key would never match.
    "https://shop.example:443", "http://shop.example:80",
    "https://-shop.example", "https://shop-.example", "https://shop..example",
    "https://shop.example.", "https://.shop.example", " https://shop.example",
    "https://shop.example ", "https://shop example", "https://shop_x.example",
    "https://[::1]", "https://[::1]:8080", "HTTPS://shop.example", "https://sh%6fp.example",
    "https://" + "a" * 64 + ".example", "https://" + ".".join(["a" * 61] * 4), "",
    "https://shöp.example", "https://shop.example\u0000",
]


def test_every_bad_origin_shape_is_refused_naming_the_item(dep):
    before = len(dep.a.get("/v1/api-keys?limit=200").json["data"])
    for bad in BAD_ORIGINS + [5, None, ["https://a.example"], {"o": 1}]:
        r = dep.a.post("/v1/api-keys", {"name": "shop", "role": "publishable",
                                        "allowed_origins": [SHOP, DEV, bad]})
        assert r.status == 400 and r.error["code"] == "validation_failed", (bad, r)
        assert r.error["field"] == "allowed_origins[2]", (bad, r)
    r = dep.a.post("/v1/api-keys", {"name": "shop", "role": "publishable",
                                    "allowed_origins": [SHOP, DEV, SHOP]})
    assert r.status == 400 and r.error["field"] == "allowed_origins[2]", r
    for body in ({"name": "shop", "role": "publishable"},
                 {"name": "shop", "role": "publishable", "allowed_origins": []},
                 {"name": "shop", "role": "publishable", "allowed_origins": SHOP},
                 {"name": "shop", "role": "publishable", "allowed_origins": None},
                 {"name": "shop", "role": "publishable",
                  "allowed_origins": ["https://s%d.example" % i for i in range(21)]},
                 {"name": "till", "role": "staff", "allowed_origins": [SHOP]},
                 {"name": "boss", "role": "admin", "allowed_origins": [SHOP]}):
        r = dep.a.post("/v1/api-keys", body)
        assert r.status == 400 and r.error["field"] == "allowed_origins", (body, r)
    twenty = ["https://s%d.example" % i for i in range(20)]
    assert publishable(dep.a, twenty)["allowed_origins"] == twenty
    after = len(dep.a.get("/v1/api-keys?limit=200").json["data"])
    assert after == before + 1  # Only the key of twenty origins was made.


# ---- The Origin check and the routes ----

def test_allowed_origins_only(dep, shop):
    for origin in (SHOP, DEV):
        r = call(dep, shop, "GET", "/v1/public/program", origin=origin)
        assert r.status == 200 and r.json["id"] == dep.program_a, r
        assert cors_of(r) == origin
    for origin in ("https://evil.example", "https://shop.example:443", SHOP + "/", "null",
                   "https://SHOP.example", "http://shop.example", DEV + "4", None):
        r = call(dep, shop, "GET", "/v1/public/program", origin=origin)
        assert r.status == 403 and r.error["code"] == "origin_not_allowed", (origin, r)
        assert cors_of(r) is None and "vary" not in r.headers
    # Decided before the body is read: a malformed body from a wrong origin is still 403.
    r = call(dep, shop, "POST", "/v1/carts/evaluate", origin="https://evil.example",
             raw=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status == 403 and r.error["code"] == "origin_not_allowed", r


def test_every_other_route_is_refused(dep, shop):
    m = new_member(dep.a)["id"]
    key_id = [k["id"] for k in dep.a.get("/v1/api-keys?limit=200").json["data"]
              if k["role"] == "admin"][0]
    members_before = dep.a.get("/v1/members?limit=200").body
    routes = [
        ("GET", "/v1/members", None), ("POST", "/v1/members", {"email": "x@example.com"}),
        ("GET", "/v1/members/" + m, None), ("PATCH", "/v1/members/" + m, {"first_name": "X"}),
        ("GET", "/v1/members/%s/balance" % m, None), ("GET", "/v1/members/%s/ledger" % m, None),
        ("POST", "/v1/members/%s/adjustments" % m, {"points": 5, "reason": "x"}),
        ("POST", "/v1/transactions", {"member_id": m, "amount": 1000, "currency": "USD",
                                      "external_id": unique("r")}),
        ("GET", "/v1/program", None), ("PATCH", "/v1/program", {"name": "Hacked"}),
        ("GET", "/v1/program/summary", None),
        ("POST", "/v1/api-keys", {"name": "x", "role": "admin"}), ("GET", "/v1/api-keys", None),
        ("DELETE", "/v1/api-keys/" + key_id, None),
        ("POST", "/v1/embed/signing-secret", None), ("GET", "/v1/rules", None),
        ("POST", "/v1/rules/simulate", {}), ("GET", "/v1/events", None),
        ("GET", "/v1/rewards", None), ("POST", "/v1/coupons/ABC/redeem", None),
        ("GET", "/v1/users", None), ("GET", "/v1/sessions/current", None),
        ("PUT", "/v1/test/clock", {"now": "2030-01-01T00:00:00Z"}),
        ("POST", "/v1/jobs/expire", None), ("GET", "/v1/transactions/txn_x", None),
    ]
    for method, path, body in routes:
        r = call(dep, shop, method, path, body=body)
        assert r.status == 403 and r.error["code"] == "forbidden", (method, path, r)
        assert cors_of(r) == SHOP, (method, path)
    assert dep.a.get("/v1/members?limit=200").body == members_before
    assert dep.a.get("/v1/program").json["name"] == "Program A"
    assert key_id in dep.a.get("/v1/api-keys?limit=200").body  # It was not revoked.


def test_guest_carts_only(dep, shop):
    cart = {"amount": 12000, "currency": "USD"}
    r = call(dep, shop, "POST", "/v1/carts/evaluate", body=cart)
    assert r.status == 200 and r.json["points"] >= 0 and r.json["amount"] == 12000, r
    assert cors_of(r) == SHOP and "Origin" in r.headers["vary"]
    m = new_member(dep.a)["id"]
    for field, value in (("member_id", m), ("coupons", ["SAVE10"]), ("discount", 100),
                         ("payments", [{"method": "points", "points": 100}])):
        r = call(dep, shop, "POST", "/v1/carts/evaluate", body=dict(cart, **{field: value}))
        assert r.status == 403 and r.error["code"] == "forbidden", (field, r)
        assert r.error["field"] == field and cors_of(r) == SHOP
    # What a staff key may do is untouched.
    assert dep.a.post("/v1/carts/evaluate", dict(cart, member_id=m)).status == 200


def test_a_publishable_answer_shows_the_points_not_the_programs_rules(dep, shop):
    # A rule that is not public still counts in the points a shop's page shows, but its name,
    # messages and nudges stay the program's (a staff key sees them).
    rule = dep.a.post("/v1/rules", {
        "name": "Staff-only beans bonus", "trigger": "purchase",
        "items": {"eq": ["item.category", "hidden-beans"]},
        "effects": [{"type": "award_points", "multiplier": 3}]}).json
    assert dep.a.post("/v1/rules/%s/activate" % rule["id"]).status == 200
    cart = {"currency": "USD", "items": [{"sku": "B1", "category": "hidden-beans",
                                          "quantity": 1, "unit_price": 1000}]}
    staff = dep.a.post("/v1/carts/evaluate", cart).json
    r = call(dep, shop, "POST", "/v1/carts/evaluate", body=cart)
    assert r.status == 200, r
    assert any(x["rule_id"] == rule["id"] for x in staff["rules"]), staff
    assert r.json == {"amount": 1000, "points": staff["points"],
                      "base_points": staff["base_points"], "discount": 0, "to_pay": 1000}, r
    assert staff["points"] == 3 * staff["base_points"] > 0
    assert "Staff-only" not in r.body
    assert dep.a.post("/v1/rules/%s/archive" % rule["id"]).status == 200


def test_public_program_is_the_keys_program(dep):
    kb = publishable(dep.b)["api_key"]
    r = call(dep, kb, "GET", "/v1/public/program")
    assert r.status == 200 and r.json["id"] == dep.program_b, r
    r = call(dep, kb, "GET", "/v1/public/program?program_id=" + dep.program_a)
    assert r.status == 404 and cors_of(r) == SHOP, r
    assert call(dep, kb, "GET", "/v1/public/program?program_id=" + dep.program_b).status == 200
    r = call(dep, "ptk_" + "x" * 52, "GET", "/v1/public/program")
    assert r.status == 401 and cors_of(r) is None
    assert dep.anon().get("/v1/public/program").json["id"] == dep.program_a


# ---- CORS ----

def preflight(dep, path, origin):
    hdrs = {"Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"}
    if origin is not None:
        hdrs["Origin"] = origin
    return dep.anon().request("OPTIONS", path, headers=hdrs)


def test_preflight_answers_only_an_allowed_origin(dep, shop):
    for path in ("/v1/carts/evaluate", "/v1/public/program", "/v1/embed/member"):
        r = preflight(dep, path, SHOP)
        assert r.status == 204 and r.body == "", (path, r)
        assert cors_of(r) == SHOP
        assert r.headers["access-control-allow-methods"] == "GET, POST"
        assert r.headers["access-control-allow-headers"] == \
            "Authorization, Content-Type, X-Patron-Member-Token"
        assert r.headers["access-control-max-age"] == "600"
        assert r.headers["vary"] == "Origin"
        assert "access-control-allow-credentials" not in r.headers
        for origin in ("https://evil.example", SHOP + "/", "https://shop.example%", "*", None,
                       "https://%.example", "https://_.example"):
            r = preflight(dep, path, origin)
            assert r.status == 204 and r.headers["vary"] == "Origin", (path, origin, r)
            assert not any(h.startswith("access-control-") for h in r.headers), (origin, r)
    # A route no publishable key may call answers no preflight: routed as any OPTIONS.
    for path in ("/v1/members", "/v1/program", "/v1/api-keys"):
        r = preflight(dep, path, SHOP)
        assert r.status == 405 and not any(h.startswith("access-control-") for h in r.headers)
    assert preflight(dep, "/v1/nothing", SHOP).status == 404


def test_a_revoked_keys_origin_is_no_longer_allowed(dep):
    origin = "https://%s.example" % unique("gone").replace("_", "-")
    k = publishable(dep.a, [origin])
    assert cors_of(preflight(dep, "/v1/carts/evaluate", origin)) == origin
    assert dep.a.delete("/v1/api-keys/" + k["id"]).status == 204
    assert cors_of(preflight(dep, "/v1/carts/evaluate", origin)) is None
    r = call(dep, k["api_key"], "GET", "/v1/public/program", origin=origin)
    assert r.status == 401 and cors_of(r) is None


def test_other_keys_get_no_cors(dep):
    for path, body in (("/v1/carts/evaluate", {"amount": 100}), ("/v1/members", None)):
        r = dep.a.request("POST" if body else "GET", path, body=body, headers={"Origin": SHOP})
        assert r.status == 200, r
        assert not any(h.startswith("access-control-") for h in r.headers), (path, r.headers)
    r = dep.anon().get("/v1/public/program", headers={"Origin": SHOP})
    assert r.status == 200 and cors_of(r) is None


# ---- The signing secret and the member token ----

def draw_secret(client):
    r = client.post("/v1/embed/signing-secret")
    assert r.status == 201, r
    assert len(r.json["secret"]) == 64 and r.json["algorithm"] == "HMAC-SHA256"
    return r.json["secret"]


def member_of(d, key, tok, origin=SHOP):
    return call(d, key, "GET", "/v1/embed/member", origin=origin,
                headers={"X-Patron-Member-Token": tok} if tok is not None else None)


def test_signing_secret_is_admin_only_and_shown_once(fresh):
    d = fresh
    staff = d.a.with_key(d.a.post("/v1/api-keys", {"name": "t", "role": "staff"}).json["api_key"])
    viewer = d.a.with_key(d.a.post("/v1/api-keys", {"name": "v", "role": "viewer"}).json["api_key"])
    key = publishable(d.a)["api_key"]
    m = new_member(d.a)["id"]
    exp = int(time.time()) + 600
    r = member_of(d, key, token("00" * 32, m, exp))
    assert r.status == 401 and r.error["code"] == "invalid_member_token", r
    assert "no embed secret" in r.error["message"] and cors_of(r) == SHOP
    for c in (staff, viewer):
        assert c.post("/v1/embed/signing-secret").status == 403
    assert call(d, key, "POST", "/v1/embed/signing-secret").status == 403
    first = draw_secret(d.a)
    second = draw_secret(d.a)
    assert first != second
    assert member_of(d, key, token(second, m, exp)).status == 200
    r = member_of(d, key, token(first, m, exp))  # Rotated: the old secret's tokens fail.
    assert r.status == 401 and r.error["code"] == "invalid_member_token", r
    r = d.a.post("/v1/embed/signing-secret", {"secret": "mine"})
    assert r.status == 400, r
    program = d.a.get("/v1/program").body
    for s in (first, second):
        assert s not in program and s not in d.a.get("/v1/events?limit=200").body
    d.server.stop()
    log = d.server.log()
    for s in (first, second):
        assert s not in log and s.upper() not in log
    assert "/v1/embed/signing-secret" in log  # The requests were logged, without it.
    d.restart()
    assert member_of(d, key, token(second, m, exp)).status == 200  # Kept across a restart.


def test_member_token(dep, shop):
    secret = draw_secret(dep.a)
    m = new_member(dep.a, first_name="Private", phone="+4930999%04d" % (os.getpid() % 10000))
    mid = m["id"]
    assert dep.a.post("/v1/members/%s/adjustments" % mid,
                      {"points": 70, "reason": "welcome"}).status == 201
    now = int(time.time())
    good = token(secret, mid, now + 3600)
    r = member_of(dep, shop, good)
    assert r.status == 200, r
    assert r.json == {"member_id": mid, "points_available": 70, "tier": None, "currency": "USD"}
    assert cors_of(r) == SHOP and "Private" not in r.body and m["email"] not in r.body
    assert member_of(dep, shop, token(secret, mid, now + 23 * 3600)).status == 200
    other = new_member(dep.a)["id"]
    sig = good.rsplit(".", 1)[1]
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    bad = {
        "tampered signature": good[:-len(sig)] + flipped,
        "tampered member": "v1.%s.%d.%s" % (other, now + 3600, sig),
        "tampered expiry": "v1.%s.%d.%s" % (mid, now + 3601, sig),
        "expired": token(secret, mid, now - 1),
        "too far ahead": token(secret, mid, now + 25 * 3600),
        "other secret": token("11" * 32, mid, now + 3600),
        "uppercase mac": good[:-64] + sig.upper(),
        "v2": "v2" + good[2:],
        "no mac": "v1.%s.%d" % (mid, now + 3600),
        "short mac": good[:-2],
        "leading zero": token(secret, mid, now + 3600).replace(".%d." % (now + 3600),
                                                                ".0%d." % (now + 3600)),
        "empty": "", "dots": "v1...", "long": "v1." + "a" * 200 + ".1." + "0" * 64,
        "unknown member": token(secret, "mem_" + "0" * 26, now + 3600),
        "program B's member": token(secret, new_member(dep.b)["id"], now + 3600),
    }
    for why, tok in bad.items():
        r = member_of(dep, shop, tok)
        assert r.status == 401 and r.error["code"] == "invalid_member_token", (why, r)
        assert cors_of(r) == SHOP
    r = member_of(dep, shop, None)
    assert r.status == 401 and r.error["code"] == "invalid_member_token", r
    # A closed member's token stops working.
    assert dep.a.patch("/v1/members/" + other, {"status": "closed"}).status == 200
    r = member_of(dep, shop, token(secret, other, now + 3600))
    assert r.status == 401 and r.error["code"] == "invalid_member_token", r
    # The token's program is the key's: program B's key cannot read A's member with A's token.
    kb = publishable(dep.b)["api_key"]
    r = member_of(dep, kb, good)
    assert r.status == 401 and r.error["code"] == "invalid_member_token", r


def test_member_token_shows_the_tier_by_name(fresh):
    d = fresh
    tiers = {"metric": "spend", "window": {"rolling_months": 12}, "retain": False,
             "levels": [{"name": "Member", "threshold": 0},
                        {"name": "Gold", "threshold": 100000,
                         "earn_multiplier": {"numerator": 3, "denominator": 2},
                         "perks": ["Free shipping"]}]}
    assert d.a.patch("/v1/program", {"earn_rate": {"points": 1, "per_amount": 100},
                                     "tiers": tiers}).status == 200
    key = publishable(d.a)["api_key"]
    secret = draw_secret(d.a)
    m = new_member(d.a)["id"]
    tok = token(secret, m, int(time.time()) + 3600)
    r = member_of(d, key, tok)
    assert r.status == 200 and r.json["tier"] == {"name": "Member"}, r
    r = d.a.post("/v1/transactions", {"external_id": unique("r"), "member_id": m,
                                      "currency": "USD", "amount": 120000})
    assert r.status == 201, r
    balance = d.a.get("/v1/members/%s/balance" % m).json
    r = member_of(d, key, tok)
    assert r.status == 200 and r.json["tier"] == {"name": "Gold"}, r
    assert r.json["points_available"] == balance["available"]
    assert set(r.json) == {"member_id", "points_available", "tier", "currency"}
    d.server.stop()
    assert tok not in d.server.log() and secret not in d.server.log()
    d.restart()


# ---- The publishable bucket ----

def test_publishable_bucket_does_not_eat_the_staff_keys(fresh):
    d = fresh
    staff_key = d.a.post("/v1/api-keys", {"name": "till", "role": "staff"}).json["api_key"]
    staff = d.a.with_key(staff_key)
    key = publishable(d.a)["api_key"]
    limits = {}
    for path, body in (("/v1/carts/evaluate", {"amount": 100}), ("/v1/members", None)):
        r = staff.request("POST" if body else "GET", path, body=body)
        assert r.status == 200, r
        limits[path] = int(r.headers["ratelimit-limit"])
    refused = []

    def flood():
        c = Client(d.server.port, key)
        for _ in range(150):
            r = c.request("POST", "/v1/carts/evaluate", body={"amount": 100},
                          headers={"Origin": SHOP})
            if r.status == 429:
                refused.append(r)
                return
            assert r.status == 200, r

    threads = [threading.Thread(target=flood) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert refused, "the publishable bucket (burst 200) refused nothing in 600 requests"
    r = refused[0]
    assert r.error["code"] == "rate_limited" and "publishable" in r.error["message"], r
    assert r.headers["ratelimit-limit"] == "200" and int(r.headers["retry-after"]) >= 1
    assert cors_of(r) == SHOP
    # The till is untouched: its key's bucket and its program's, expensive one included.
    for path, body in (("/v1/carts/evaluate", {"amount": 100}), ("/v1/members", None)):
        r = staff.request("POST" if body else "GET", path, body=body)
        assert r.status == 200, r
        assert int(r.headers["ratelimit-limit"]) == limits[path]
        assert int(r.headers["ratelimit-remaining"]) >= limits[path] - 10, r.headers


# ---- Migration 26 ----

def test_migration_26_keeps_keys_and_adds_the_embed():
    with tempfile.TemporaryDirectory() as tmp:
        db = new_database(tmp)
        init = subprocess.run([PATRON_BIN, "init", "--db", db, "--json"], capture_output=True,
                              text=True, timeout=60,
                              env=dict(os.environ, PATRON_TEST_SCHEMA_VERSION="25"))
        assert init.returncode == 0, init.stderr
        key = json.loads(init.stdout)["api_key"]
        server = Server(db)
        try:
            class D:
                pass
            d = D()
            d.server = server
            admin = Client(server.port, key)
            listed = admin.get("/v1/api-keys").json["data"]
            assert [k["role"] for k in listed] == ["admin"] and "allowed_origins" not in listed[0]
            pk = publishable(admin)["api_key"]
            secret = draw_secret(admin)
            m = new_member(admin)["id"]
            r = member_of(d, pk, token(secret, m, int(time.time()) + 60))
            assert r.status == 200 and r.json["points_available"] == 0, r
        finally:
            server.stop()
