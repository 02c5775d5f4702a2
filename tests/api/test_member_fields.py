# SPDX-License-Identifier: MIT
"""Validation of every member field, one parameter per value: good values are stored and read
back as sent (email lower-cased), bad values are refused with 400 validation_failed naming the
field, on POST and on PATCH alike, and a refused request leaves nothing behind."""
import datetime

import pytest

from conftest import new_member, unique


def today_utc():
    return datetime.datetime.now(datetime.timezone.utc).date()


# Tomorrow is read when the request is made, not when the tests are collected: a run that
# crosses midnight UTC would otherwise send what has become today (found so at 00:00 UTC).
TOMORROW = "<tomorrow>"


def when(value):
    if value == TOMORROW:
        return (today_utc() + datetime.timedelta(days=1)).isoformat()
    return value

# (field, value sent, value expected back)
GOOD = [
    ("external_id", "crm-000042", "crm-000042"),
    ("external_id", "x" * 128, "x" * 128),
    ("external_id", "A:b/c_d.e~f", "A:b/c_d.e~f"),
    ("email", "ada@example.com", "ada@example.com"),
    ("email", "Grace.Hopper+Navy@Example.COM", "grace.hopper+navy@example.com"),
    ("phone", "+14155550100", "+14155550100"),
    ("phone", "+4930123", "+4930123"),  # 7 digits, the shortest
    ("phone", "+493012345678901", "+493012345678901"),  # 15 digits, the longest
    ("first_name", "Ada", "Ada"),
    ("first_name", "José-María", "José-María"),
    ("first_name", "x" * 100, "x" * 100),
    ("last_name", "O'Neill", "O'Neill"),
    ("last_name", "van der Berg", "van der Berg"),
    ("birth_date", "1990-01-31", "1990-01-31"),
    ("birth_date", "1900-01-01", "1900-01-01"),
    ("birth_date", "2000-02-29", "2000-02-29"),
    ("gender", "female", "female"),
    ("gender", "male", "male"),
    ("gender", "nonbinary", "nonbinary"),
    ("gender", "other", "other"),
    ("gender", "undisclosed", "undisclosed"),
    ("locale", "en", "en"),
    ("locale", "de-CH", "de-CH"),
    ("locale", "pt-BR", "pt-BR"),
    ("locale", "zh-Hant-TW", "zh-Hant-TW"),
    ("city", "Zürich", "Zürich"),
    ("city", "x" * 100, "x" * 100),
    ("country", "DE", "DE"),
    ("country", "US", "US"),
    ("country", "GB", "GB"),
    ("country", "AX", "AX"),
    ("attributes", {}, {}),
    ("attributes", {"tier": "gold", "n": 3, "tags": ["a", "b"], "nested": {"x": {"y": None}}},
     {"tier": "gold", "n": 3, "tags": ["a", "b"], "nested": {"x": {"y": None}}}),
    ("consents", {"email": True}, {"email": True, "sms": False, "push": False}),
    ("consents", {"email": False, "sms": True, "push": True},
     {"email": False, "sms": True, "push": True}),
    ("consents", {}, {"email": False, "sms": False, "push": False}),
]

# (field, bad value, field named in the error)
BAD = [
    ("external_id", "", "external_id"),
    ("external_id", "x" * 129, "external_id"),
    ("external_id", "has space", "external_id"),
    ("external_id", "tab\there", "external_id"),
    ("external_id", "ünïcode", "external_id"),
    ("external_id", 42, "external_id"),
    ("email", "", "email"),
    ("email", "not an address", "email"),
    ("email", "no-at-sign.example.com", "email"),
    ("email", "a@b", "email"),
    ("email", "@example.com", "email"),
    ("email", "a@@example.com", "email"),
    ("email", "a@.example.com", "email"),
    ("email", "a@example.com.", "email"),
    ("email", "a@example..com", "email"),
    ("email", "x" * 65 + "@example.com", "email"),
    ("email", "a@" + "b" * 250 + ".com", "email"),
    ("email", ["a@example.com"], "email"),
    ("phone", "", "phone"),
    ("phone", "4155550100", "phone"),
    ("phone", "+0123456789", "phone"),
    ("phone", "+123456", "phone"),  # 6 digits
    ("phone", "+1234567890123456", "phone"),  # 16 digits
    ("phone", "+1 415 555 0100", "phone"),
    ("phone", "+1-415-555-0100", "phone"),
    ("phone", "+", "phone"),
    ("phone", 4155550100, "phone"),
    ("first_name", "", "first_name"),
    ("first_name", "   ", "first_name"),
    ("first_name", "x" * 101, "first_name"),
    ("first_name", "é" * 51, "first_name"),  # 102 bytes
    ("first_name", "line\nbreak", "first_name"),
    ("first_name", "nul\u0000byte", "first_name"),
    ("first_name", 7, "first_name"),
    ("last_name", "", "last_name"),
    ("last_name", "bell\u0007", "last_name"),
    ("last_name", "x" * 101, "last_name"),
    ("last_name", {"a": 1}, "last_name"),
    ("birth_date", "1990-02-30", "birth_date"),
    ("birth_date", "1900-02-29", "birth_date"),
    ("birth_date", "2023-02-29", "birth_date"),
    ("birth_date", "1990-04-31", "birth_date"),
    ("birth_date", "1990-13-01", "birth_date"),
    ("birth_date", "1990-00-10", "birth_date"),
    ("birth_date", "1899-12-31", "birth_date"),
    ("birth_date", TOMORROW, "birth_date"),
    ("birth_date", "2999-01-01", "birth_date"),
    ("birth_date", "10/12/1990", "birth_date"),
    ("birth_date", "1990-1-1", "birth_date"),
    ("birth_date", "19900101", "birth_date"),
    ("birth_date", "1990-01-01T00:00:00Z", "birth_date"),
    ("birth_date", 19900101, "birth_date"),
    ("gender", "robot", "gender"),
    ("gender", "Female", "gender"),
    ("gender", "", "gender"),
    ("gender", True, "gender"),
    ("locale", "english", "locale"),
    ("locale", "e", "locale"),
    ("locale", "en_US", "locale"),
    ("locale", "en-", "locale"),
    ("locale", "-en", "locale"),
    ("locale", "e1", "locale"),
    ("locale", "", "locale"),
    ("locale", 1, "locale"),
    ("city", "", "city"),
    ("city", "   ", "city"),
    ("city", "x" * 101, "city"),
    ("city", "tab\tcity", "city"),
    ("city", 12, "city"),
    ("country", "de", "country"),
    ("country", "XX", "country"),
    ("country", "UK", "country"),  # reserved, not assigned (GB is)
    ("country", "EU", "country"),
    ("country", "DEU", "country"),
    ("country", "D", "country"),
    ("country", "", "country"),
    ("country", 49, "country"),
    ("attributes", [1, 2], "attributes"),
    ("attributes", "text", "attributes"),
    ("attributes", 5, "attributes"),
    ("attributes", True, "attributes"),
    ("consents", {"fax": True}, "consents.fax"),
    ("consents", {"email": "yes"}, "consents.email"),
    ("consents", {"sms": 1}, "consents.sms"),
    ("consents", {"push": "true"}, "consents.push"),
    ("consents", [True], "consents"),
    ("consents", "all", "consents"),
    ("consents", True, "consents"),
]

# Fields the server sets: naming one is an error that names it (POST and PATCH).
SERVER_SET = [
    ("id", "mem_00000000000000000000000000"),
    ("card_number", "4539578763621486"),
    ("referral_code", "ABCDEFGH"),
    ("enrolled_at", "2020-01-01T00:00:00Z"),
    ("updated_at", "2020-01-01T00:00:00Z"),
]


def newest_id(client):
    r = client.get("/v1/members?limit=1")
    assert r.status == 200, r
    data = r.json["data"]
    return data[0]["id"] if data else None


def ident(v):
    return repr(v)[:40]


_serial = [0]


def uniquify(field, value, expected):
    """Email, phone and external_id are unique per program: vary them per call, keeping what
    each good value is meant to show (case folding, length limits)."""
    _serial[0] += 1
    n = _serial[0]
    if field == "email":
        local, domain = value.split("@")
        value = "%s.u%d@%s" % (local, n, domain)
        return value, value.lower()
    if field == "phone":
        value = value[:-3] + "%03d" % (n % 1000)
        return value, value
    if field == "external_id":
        tag = unique("e")
        value = (tag + value)[:128]
        return value, value
    return value, expected


@pytest.mark.parametrize("field,value,expected", GOOD, ids=[f + "=" + ident(v) for f, v, _ in GOOD])
def test_create__good_value_is_stored(dep, field, value, expected):
    value, expected = uniquify(field, value, expected)
    r = dep.a.post("/v1/members", {field: value})
    assert r.status == 201, r
    assert r.json[field] == expected
    got = dep.a.get("/v1/members/" + r.json["id"])
    assert got.status == 200 and got.json[field] == expected


def test_create__birth_date_today_is_allowed(dep):
    today = today_utc().isoformat()
    r = dep.a.post("/v1/members", {"birth_date": today})
    assert r.status == 201, r
    assert r.json["birth_date"] == today


@pytest.mark.parametrize("field,value,err_field", BAD, ids=[f + "=" + ident(v) for f, v, _ in BAD])
def test_create__bad_value_is_refused_and_nothing_is_created(dep, field, value, err_field):
    before = newest_id(dep.a)
    r = dep.a.post("/v1/members", {field: when(value)})
    assert r.status == 400, r
    assert r.error["code"] == "validation_failed", r
    assert r.error["field"] == err_field, r
    assert r.error["message"]
    assert newest_id(dep.a) == before


@pytest.mark.parametrize("field,value", SERVER_SET)
def test_create__server_set_field_is_refused(dep, field, value):
    before = newest_id(dep.a)
    r = dep.a.post("/v1/members", {"first_name": "Sneaky", field: value})
    assert r.status == 400 and r.error["code"] == "validation_failed", r
    assert r.error["field"] == field
    assert newest_id(dep.a) == before


@pytest.mark.parametrize("value", ["active", "suspended", "closed", None])
def test_create__status_is_refused(dep, value):
    before = newest_id(dep.a)
    r = dep.a.post("/v1/members", {"first_name": "Statusy", "status": value})
    assert r.status == 400 and r.error["code"] == "validation_failed", r
    assert r.error["field"] == "status"
    assert newest_id(dep.a) == before


@pytest.mark.parametrize("key", ["favourite_colour", "Email", "consent", "points", "first name"])
def test_create__unknown_field_is_named(dep, key):
    r = dep.a.post("/v1/members", {"first_name": "Known", key: "x"})
    assert r.status == 400 and r.error["code"] == "validation_failed", r
    assert r.error["field"] == key


def test_create__attributes_size_limit_is_16384_serialized_bytes(dep):
    # Serialized compactly, {"k":"..."} is 8 bytes plus the value.
    at_limit = {"k": "x" * (16384 - 8)}
    r = dep.a.post("/v1/members", {"attributes": at_limit})
    assert r.status == 201, r
    assert r.json["attributes"] == at_limit
    over = {"k": "x" * (16384 - 7)}
    r = dep.a.post("/v1/members", {"attributes": over})
    assert r.status == 400 and r.error["field"] == "attributes", r


def test_create__server_fields_have_their_formats(dep):
    m = new_member(dep.a)
    assert m["id"].startswith("mem_") and len(m["id"]) == 30
    assert all(ch in "0123456789abcdefghjkmnpqrstvwxyz" for ch in m["id"][4:])
    assert len(m["card_number"]) == 16 and m["card_number"].isdigit()
    digits = [int(d) for d in m["card_number"]]
    total = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
    assert total % 10 == 0, "card number fails the Luhn check"
    assert len(m["referral_code"]) == 8 and m["referral_code"].isalnum()
    assert m["status"] == "active"
    for stamp in (m["enrolled_at"], m["updated_at"]):
        assert stamp.endswith("Z")
        parsed = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        assert abs((datetime.datetime.now(datetime.timezone.utc) - parsed).total_seconds()) < 300
    assert m["enrolled_at"] == m["updated_at"]
    # Every field the API defines is present, unset ones as null.
    assert set(m) == {"id", "external_id", "email", "phone", "first_name", "last_name",
                      "birth_date", "gender", "locale", "city", "country", "attributes",
                      "consents", "card_number", "status", "referral_code", "enrolled_at",
                      "updated_at"}
    assert m["phone"] is None and m["attributes"] == {}


def test_create__codes_are_unique_across_many_members(dep):
    members = [new_member(dep.a) for _ in range(40)]
    for key in ("id", "card_number", "referral_code"):
        assert len({m[key] for m in members}) == 40, key


# ---- The same rules on PATCH ----

@pytest.fixture(scope="module")
def full_member(dep):
    return new_member(dep.a, external_id=unique("full"), phone="+4917100000042",
                      first_name="Full", last_name="Member", birth_date="1985-06-15",
                      gender="other", locale="de-DE", city="Köln", country="DE",
                      attributes={"k": 1}, consents={"email": True})


@pytest.mark.parametrize("field,value,err_field", BAD, ids=[f + "=" + ident(v) for f, v, _ in BAD])
def test_patch__bad_value_is_refused_and_changes_nothing(dep, full_member, field, value,
                                                         err_field):
    before = dep.a.get("/v1/members/" + full_member["id"]).json
    # A good change rides along: it must not be applied either.
    companion = ("last_name", "Changed") if field == "city" else ("city", "Bonn")
    r = dep.a.patch("/v1/members/" + full_member["id"],
                    {field: when(value), companion[0]: companion[1]})
    assert r.status == 400, r
    assert r.error["code"] == "validation_failed", r
    assert r.error["field"] == err_field, r
    assert dep.a.get("/v1/members/" + full_member["id"]).json == before


@pytest.mark.parametrize("field,value", SERVER_SET)
def test_patch__server_set_field_is_refused(dep, full_member, field, value):
    before = dep.a.get("/v1/members/" + full_member["id"]).json
    r = dep.a.patch("/v1/members/" + full_member["id"], {field: value})
    assert r.status == 400 and r.error["code"] == "validation_failed", r
    assert r.error["field"] == field
    assert dep.a.get("/v1/members/" + full_member["id"]).json == before


def merge_patch(target, patch):
    """RFC 7396, as the test's reference."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


@pytest.mark.parametrize("field,value,expected", GOOD, ids=[f + "=" + ident(v) for f, v, _ in GOOD])
def test_patch__good_value_is_stored(dep, full_member, field, value, expected):
    value, expected = uniquify(field, value, expected)
    before = dep.a.get("/v1/members/" + full_member["id"]).json
    r = dep.a.patch("/v1/members/" + full_member["id"], {field: value})
    assert r.status == 200, r
    if field in ("attributes", "consents"):
        expected = merge_patch(before[field], value)
    assert r.json[field] == expected
    for other in before:
        if other not in (field, "updated_at"):
            assert r.json[other] == before[other], other
    assert dep.a.get("/v1/members/" + full_member["id"]).json == r.json
