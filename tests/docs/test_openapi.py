# SPDX-License-Identifier: MIT
"""docs/openapi.yaml is a valid OpenAPI 3 document that says what the server does.

Goal: a third-party linter (Redocly CLI, pinned in web/package-lock.json; docs/testing.md says
why) reports no error and no warning; every operation has a unique operationId; the enums the
server's source fills are complete (ledger entry types, wallet movements, event types, rule
effects) and the request fields the server reads are documented.
Method: run `redocly lint` from web/node_modules (installed by `make check` with `npm ci`); read
the names from the C source (the literals passed where entries and events are written, the
effects' table, the decoders' field lists) and compare them with the spec as sets.
"""
import os
import re
import subprocess

import yaml

SOURCE_DIR = os.environ.get(
    "PATRON_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")
)
SPEC = os.path.join(SOURCE_DIR, "docs", "openapi.yaml")
WEB = os.path.join(SOURCE_DIR, "web")


def spec():
    return yaml.safe_load(open(SPEC))


def source(*parts):
    return open(os.path.join(SOURCE_DIR, "src", *parts)).read()


def service_source():
    folder = os.path.join(SOURCE_DIR, "src", "service")
    return "".join(open(os.path.join(folder, f)).read() for f in sorted(os.listdir(folder))
                   if f.endswith(".c"))


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                yield method, path, op


def test_openapi__the_linter_reports_nothing():
    redocly = os.path.join(WEB, "node_modules", ".bin", "redocly")
    assert os.path.exists(redocly), "run `npm ci` in web/ (make check does)"
    env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true",
               NO_COLOR="1")
    out = subprocess.run([redocly, "lint", "--config", os.path.join(WEB, "redocly.yaml"),
                          "--max-problems", "50", SPEC], cwd=WEB, env=env, capture_output=True,
                         text=True, timeout=120)
    report = out.stdout + out.stderr
    assert out.returncode == 0, report
    assert "Your API description is valid" in report, report
    assert "warning" not in report.lower().replace("deprecation warning", ""), report


def test_openapi__every_operation_has_a_unique_operation_id():
    ids = [op.get("operationId") for _, _, op in operations(spec())]
    assert None not in ids
    assert len(ids) == len(set(ids))


def enum_at(doc, *path):
    node = doc
    for key in path:
        node = node[key]
    return set(node["enum"])


def test_openapi__event_types_are_every_event_the_service_appends():
    text = service_source()
    kinds = set(re.findall(r'\.event = "([a-z_]+\.[a-z_]+)"', text))
    kinds |= set(re.findall(r'pt_svc_event\([^;]*?"([a-z_]+\.[a-z_]+)"', text, re.S))
    kinds |= set(re.findall(r'"((?:wallet|tier)\.[a-z_]+)"', text))  # Passed as a variable.
    kinds |= set(re.findall(r'_event\[\] = "([a-z_]+\.[a-z_]+)"', text))  # Named once.
    assert len(kinds) >= 25, kinds
    item = spec()["paths"]["/v1/events"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]["data"]["items"]
    assert set(item["properties"]["type"]["enum"]) == kinds


def test_openapi__entry_types_are_every_entry_the_service_writes():
    text = service_source()
    calls = r"(?:pt_svc_entry_init|pt_svc_award_points|pt_svc_take_back_points|" \
            r"pt_svc_wallet_credit|pt_svc_wallet_take_back|pt_svc_rules_award)\("
    types = set(re.findall(calls + r'[^;]*?"([a-z_]+)"', text, re.S))
    types -= {"transfer"}  # A member's ledger shows transfer_in and transfer_out.
    doc = spec()
    ledger = doc["paths"]["/v1/members/{id}/ledger"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]["data"]["items"]["properties"]["type"]
    wallet = doc["components"]["schemas"]["Wallet"]["properties"]["movements"]["items"][
        "properties"]["type"]
    assert {"transfer_in", "transfer_out"} <= set(ledger["enum"])
    documented = set(ledger["enum"]) | set(wallet["enum"])
    assert types <= documented, types - documented
    assert len(types) >= 15, types


def test_openapi__rule_effects_are_the_compilers():
    names = set(re.findall(r'\.name = "([a-z_]+)"', source("core", "rules_effects.c")))
    doc = spec()
    assert enum_at(doc, "components", "schemas", "Effect", "properties", "type") == names


def decoder_fields(text, having, without=()):
    """The field list of the decoder that reads every name of having and none of without."""
    for block in re.findall(r"fields\[\] = \{(.*?)\};", text, re.S):
        names = set(re.findall(r'"([a-z_]+)"', block))
        if set(having) <= names and not names & set(without):
            return names
    raise AssertionError("no field list with %s" % (having,))


def body_properties(doc, path, method="post"):
    schema = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return set(schema["properties"])


def test_openapi__request_fields_are_the_decoders():
    decode = source("http", "decode.c")
    doc = spec()
    purchase = decoder_fields(decode, ("external_id", "coupons"))
    cart = decoder_fields(decode, ("coupons",), ("external_id",))
    returns = decoder_fields(decode, ("external_id", "amount", "items"), ("member_id",))
    assert body_properties(doc, "/v1/transactions") == purchase
    assert body_properties(doc, "/v1/carts/evaluate") == cart
    assert body_properties(doc, "/v1/transactions/{id}/returns") == returns
    program = set(re.findall(r'_FIELD[A-Z_]*\("([a-z_]+)"', source("core", "program.c")))
    assert program <= set(doc["components"]["schemas"]["Program"]["properties"]), program
