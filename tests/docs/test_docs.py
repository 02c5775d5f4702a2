# SPDX-License-Identifier: MIT
"""The docs are tested like code.

Goal: docs/openapi.yaml lists exactly the routes of src/http/routes.c, and the README's tour,
run command by command against a real server, does what it says.
Method: parse both route lists and compare them as sets; start `patron serve` on a temporary
database, take the README's ```sh blocks after "A 5-minute tour", fill in the key, the member id
and card number the tour tells the reader to copy, run each curl through bash, and check the
HTTP status of each (2xx, except the error example, which must be 400 naming the field).
"""
import importlib.util
import json
import os
import re
import subprocess
import tempfile

import yaml

SOURCE_DIR = os.environ.get(
    "PATRON_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")
)
PATRON_BIN = os.environ.get("PATRON_BIN", os.path.join(SOURCE_DIR, "build-asan", "patron"))

# The API tests' server fixture (start on a free port, stop with SIGTERM, fail on a sanitizer
# report), loaded under its own name so that it does not clash with this folder's modules.
_spec = importlib.util.spec_from_file_location(
    "patron_api_support", os.path.join(SOURCE_DIR, "tests", "api", "conftest.py"))
_support = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_support)
Server = _support.Server


def router_routes():
    text = open(os.path.join(SOURCE_DIR, "src", "http", "routes.c")).read()
    return set(re.findall(r'\{"(GET|POST|PATCH|PUT|DELETE)", "([^"]+)"', text))


def openapi_routes():
    doc = yaml.safe_load(open(os.path.join(SOURCE_DIR, "docs", "openapi.yaml")))
    methods = {"get", "post", "patch", "put", "delete"}
    return {
        (method.upper(), path)
        for path, item in doc["paths"].items()
        for method in item
        if method in methods
    }


def test_openapi__lists_exactly_the_router_routes():
    router = router_routes()
    assert len(router) >= 9
    assert openapi_routes() == router


def test_openapi__every_route_documents_its_error_shape():
    doc = yaml.safe_load(open(os.path.join(SOURCE_DIR, "docs", "openapi.yaml")))
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if path.startswith("/v1/"):
                assert "401" in op["responses"], (method, path)


def test_openapi__every_route_with_a_key_documents_429_and_its_headers():
    """Rate limits (docs/security.md): 429 rate_limited, Retry-After and RateLimit-*."""
    doc = yaml.safe_load(open(os.path.join(SOURCE_DIR, "docs", "openapi.yaml")))
    limited = doc["components"]["responses"]["RateLimited"]
    assert set(limited["headers"]) == {"Retry-After", "RateLimit-Limit", "RateLimit-Remaining",
                                       "RateLimit-Reset"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if path.startswith("/v1/"):
                assert op["responses"].get("429") == {
                    "$ref": "#/components/responses/RateLimited"}, (method, path)
    assert set(doc["components"]["schemas"]["Program"]["properties"]["rate_limits"][
        "properties"]) == {"key", "program", "expensive"}


def tour_commands():
    readme = open(os.path.join(SOURCE_DIR, "README.md")).read()
    tour = readme.split("## A 5-minute tour", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", tour, re.S):
        current = None
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.strip()
            if line.startswith("curl "):
                current = line
                commands.append(current)
            elif line.startswith("#") or line.startswith("KEY=") or not line:
                current = None
            elif current is not None:
                # A quoted JSON body that the README wraps over lines.
                current += " " + line
                commands[-1] = current
    return commands


def run_curl(command, env):
    out = subprocess.run(
        ["bash", "-c", command.replace("curl ", "curl -sS -w '\\n%{http_code}' ", 1)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, (command, out.stderr)
    body, _, status = out.stdout.rpartition("\n")
    return int(status), body


def test_readme_tour__runs_as_written():
    commands = tour_commands()
    assert len(commands) >= 28, commands
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "patron.db")
        init = subprocess.run(
            [PATRON_BIN, "init", "--db", db], capture_output=True, text=True, check=True
        )
        key = init.stdout.strip().splitlines()[-1]
        server = Server(db)
        try:
            env = dict(os.environ, KEY=key)
            member = None
            purchase = None
            reward = None
            coupon = None
            for command in commands:
                command = command.replace("127.0.0.1:8080", "127.0.0.1:%d" % server.port)
                if member is not None:
                    command = command.replace("<id>", member["id"])
                    command = command.replace("<card>", member["card_number"])
                if purchase is not None:
                    command = command.replace("<txn>", purchase["id"])
                if reward is not None:
                    command = command.replace("<reward>", reward["id"])
                if coupon is not None:
                    command = command.replace("<code>", coupon["code"])
                assert "<" not in command.split("-d")[0], command
                status, body = run_curl(command, env)
                if "not an address" in command:
                    assert status == 400
                    assert json.loads(body)["error"]["field"] == "email"
                    continue
                assert 200 <= status < 300, (command, status, body)
                if "/metrics" in command:
                    continue
                if command.endswith("/qr.svg -H \"Authorization: Bearer $KEY\""):
                    assert body.startswith("<svg"), body[:100]
                    continue
                doc = json.loads(body) if body else None
                if command.startswith("curl -X POST http://127.0.0.1:%d/v1/members " % server.port):
                    member = doc
                    assert member["email"] == "ada@example.com"
                if "R-1001" in command:
                    purchase = doc
                    assert doc["points_earned"] == 42
                if "R-1002" in command:
                    assert (doc["points_earned"], doc["tier"]) == (160, "Member")
                    assert doc["stamp_cards"][0]["progress"] == 2
                if command.endswith("/tier -H \"Authorization: Bearer $KEY\""):
                    assert doc["tier"]["name"] == "Silver" and doc["value"] == 9000, doc
                    assert doc["tier"]["perks"] == ["Free shipping"] and doc["next"] is None
                    assert doc["history"][0]["reason"] == "purchase"
                if "/stamp-cards -H" in command and "/members/" in command:
                    assert [(c["name"], c["stamps"], c["missing"]) for c in doc["data"]] == [
                        ("Coffee card", 2, 8)]
                if command.startswith("curl -X POST http://127.0.0.1:%d/v1/rewards " % server.port):
                    reward = doc
                    assert (doc["cost_points"], doc["stock"], doc["issued"]) == (100, 50, 0)
                if "/rewards/" in command and "/redeem" in command:
                    coupon = doc
                    assert doc["status"] == "active" and doc["points_available"] == 70, doc
                if command.endswith("/v1/coupons/%s -H \"Authorization: Bearer $KEY\""
                                    % (coupon or {}).get("code")):
                    assert doc["valid"] is True and doc["member"]["id"] == member["id"]
                if "-X POST http://127.0.0.1:%d/v1/coupon-batches" % server.port in command:
                    assert (doc["count"], doc["prefix"], doc["uses_per_code"]) == (1000, "MAY26", 1)
                    assert doc["status"] in ("generating", "ready"), doc
                if command.endswith("/v1/coupon-batches -H \"Authorization: Bearer $KEY\""):
                    assert [b["name"] for b in doc["data"]] == ["May flyer"], doc
                if "/v1/coupons/" in command and command.count("/redeem") == 1 and "Store 1" in command:
                    assert doc["status"] == "redeemed" and doc["location"] == "Store 1"
                if "-X PATCH http://127.0.0.1:%d/v1/program" % server.port in command:
                    assert [t["name"] for t in doc["tiers"]["levels"]] == ["Member", "Silver"]
                if "/returns" in command:
                    assert doc["points_reversed"] == 12
                if command.endswith("/balance -H \"Authorization: Bearer $KEY\""):
                    assert (doc["available"], doc["lifetime_earned"], doc["lifetime_redeemed"]) == (10, 30, 20)
                if command.startswith("curl -X POST http://127.0.0.1:%d/v1/rules " % server.port):
                    assert doc["status"] == "active" and doc["version"] == 1
                if "/v1/carts/evaluate" in command:
                    assert (doc["points"], doc["base_points"]) == (160, 60), doc
                    assert [r["points"] for r in doc["rules"]] == [100]
                if "/ledger" in command:
                    assert [l["type"] for l in doc["data"]] == ["redeem", "return", "earn"]
                if "/v1/events" in command:
                    assert [e["type"] for e in doc["data"]] == [
                        "member.created", "member.updated", "points.earned", "points.returned",
                        "points.redeemed"]
                if "q=ada" in command or "card_number=" in command:
                    assert [m["id"] for m in doc["data"]] == [member["id"]]
                if "-X PATCH" in command and "/v1/members/" in command:
                    assert doc["city"] == "London"
                    assert doc["phone"] is None
                    assert doc["attributes"] == {"favourite": "flat white"}
        finally:
            server.stop()


def test_openapi__lines_of_a_purchase_are_the_limit_of_limits_h():
    """Issue 16: openapi.yaml promised 500 lines while the server refused more than 200. The
    number is PT_PURCHASE_ITEMS_MAX, and every list of lines in openapi.yaml states it."""
    limits = open(os.path.join(SOURCE_DIR, "src", "base", "limits.h")).read()
    limit = int(re.search(r"#define PT_PURCHASE_ITEMS_MAX (\d+)", limits).group(1))
    rules_h = open(os.path.join(SOURCE_DIR, "src", "core", "rules.h")).read()
    assert re.search(r"#define PT_CART_ITEMS_MAX PT_PURCHASE_ITEMS_MAX\b", rules_h)
    doc = yaml.safe_load(open(os.path.join(SOURCE_DIR, "docs", "openapi.yaml")))

    def items_of(path):
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        return body["schema"]["properties"]["items"]

    for path in ("/v1/transactions", "/v1/transactions/{id}/returns", "/v1/carts/evaluate"):
        assert items_of(path).get("maxItems") == limit, path
