# SPDX-License-Identifier: MIT
"""Checks the API's JSON answers against docs/openapi.yaml (issue 18 item 18).

The API suite's client calls `check(method, target, status, body)` after every answer: when the
spec describes the route and that status with a JSON schema, the body must match it (a mismatch
raises AssertionError, failing the test). The spec is read and converted once per process:
OpenAPI 3.0's `nullable` becomes a JSON Schema type list, `$ref`s to #/components/schemas are
rewritten to #/definitions of each checked schema's own root, so that jsonschema (Debian's
python3-jsonschema) resolves them within the document, whatever its version.
"""
import json
import os
import re

import yaml

try:
    import jsonschema
except ImportError:  # scripts/install-deps installs it; without it nothing is checked.
    jsonschema = None

_state = {}


def _convert(node):
    """An OpenAPI 3.0 schema as JSON Schema (draft 4 keywords, as 3.0's are)."""
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = value.replace("#/components/schemas/", "#/definitions/")
        elif key in ("properties", "definitions", "patternProperties"):
            out[key] = {k: _convert(v) for k, v in value.items()}
        elif key in ("example", "examples", "description", "nullable", "format"):
            continue
        else:
            out[key] = _convert(value)
    if node.get("nullable"):
        if "type" in out and not any(k in out for k in ("$ref", "allOf", "anyOf", "oneOf")):
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = types + ["null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


def _load(source_dir):
    spec = yaml.safe_load(open(os.path.join(source_dir, "docs", "openapi.yaml")))
    definitions = {k: _convert(v) for k, v in spec["components"]["schemas"].items()}
    responses = spec["components"].get("responses", {})
    routes = []
    for template, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")
        literal = template.count("{")
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            by_status = {}
            for status, resp in op["responses"].items():
                if "$ref" in resp:
                    resp = responses[resp["$ref"].rsplit("/", 1)[1]]
                schema = resp.get("content", {}).get("application/json", {}).get("schema")
                if schema is not None:
                    by_status[str(status)] = schema
            routes.append((literal, method.upper(), pattern, template, by_status))
    routes.sort(key=lambda r: r[0])  # /v1/rules/simulate before /v1/rules/{id}
    _state["routes"] = routes
    _state["definitions"] = definitions
    _state["validators"] = {}


def _validator(template, method, status, schema):
    key = (template, method, status)
    v = _state["validators"].get(key)
    if v is None:
        root = dict(_convert(schema))
        root["definitions"] = _state["definitions"]
        v = jsonschema.Draft4Validator(root)
        _state["validators"][key] = v
    return v


def check(source_dir, method, target, status, content_type, body):
    """Raises AssertionError when the answer breaks the schema the spec gives it."""
    if jsonschema is None or not body or "json" not in (content_type or ""):
        return
    if "routes" not in _state:
        _load(source_dir)
    path = target.split("?", 1)[0]
    for _, m, pattern, template, by_status in _state["routes"]:
        if m != method or not pattern.match(path):
            continue
        schema = by_status.get(str(status))
        if schema is None:
            return  # The spec does not describe this status here.
        try:
            doc = json.loads(body)
        except ValueError:
            raise AssertionError("%s %s answered %d with a body that is not JSON: %r"
                                 % (method, target, status, body[:200]))
        errors = sorted(_validator(template, method, str(status), schema).iter_errors(doc),
                        key=lambda e: list(e.absolute_path))
        if errors:
            raise AssertionError(
                "%s %s answered %d against docs/openapi.yaml (%s):\n%s" % (
                    method, target, status, template,
                    "\n".join("  at /%s: %s" % ("/".join(str(p) for p in e.absolute_path),
                                               e.message[:300]) for e in errors[:10])))
        return
