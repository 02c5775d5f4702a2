# SPDX-License-Identifier: MIT
"""Promotion codes in bulk (coupon batches): a batch generates its codes in the background
until ready, and codes.csv lists them in order (canonical and printed, all distinct, never a
coupon's code), not before; every bad request is refused with its field and creates nothing;
a creation is replayed under its Idempotency-Key; another program sees no batch; a restarted
server resumes a batch where it stopped. Its codes work like coupon codes: at the till (uses
per code, uses per member, validity, not cancellable, pictures) and in carts and purchases
(the discount taken off, one use counted, a used-up code refusing the purchase)."""
import re
import time

from conftest import db_query
from test_cart_coupons import cart, evaluate, purchase
from test_rewards import available, decode, redeem, reward, rich_member, set_clock

START = "2026-03-02T10:00:00Z"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
AMOUNT_OFF = {"type": "discount_amount", "value": 500, "sku": None}
CSV_TYPE = "text/csv; charset=utf-8"


def create(client, status=202, headers=None, **fields):
    body = {"name": "Spring mailing", "discount": AMOUNT_OFF, "count": 5}
    if "reward_id" in fields:
        del body["discount"]
    body.update(fields)
    r = client.post("/v1/coupon-batches", body, headers=headers)
    assert r.status == status, (body, r)
    return r


def batch(client, **fields):
    """A new batch, waited for until ready."""
    return wait_ready(client, create(client, **fields).json["id"])


def wait_ready(client, bid, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        r = client.get("/v1/coupon-batches/" + bid)
        assert r.status == 200, r
        b = r.json
        assert b["progress"] == 100 * b["generated"] // b["count"], b
        if b["status"] != "generating":
            break
        assert time.monotonic() < deadline, b
        time.sleep(0.05)
    assert b["status"] == "ready" and b["error"] is None, b
    return b


def csv_of(client, bid):
    r = client.get("/v1/coupon-batches/%s/codes.csv" % bid)
    assert r.status == 200, r
    assert r.headers["content-type"] == CSV_TYPE
    assert int(r.headers["content-length"]) == len(r.body.encode())
    return r.body


def codes_of(client, bid):
    """The rows of a ready batch's codes.csv: (n, canonical, printed), header checked."""
    body = csv_of(client, bid)
    assert body.endswith("\n")
    lines = body[:-1].split("\n")
    assert lines[0] == "n,code,printed"
    rows = [line.split(",") for line in lines[1:]]
    assert all(len(row) == 3 for row in rows)
    return [(int(n), code, printed) for n, code, printed in rows]


def printed_form(canonical, prefix):
    rest = canonical[len(prefix):]
    groups = [rest[i:i + 4] for i in range(0, len(rest), 4)]
    return "-".join(([prefix] if prefix else []) + groups)


def batch_ids(client):
    r = client.get("/v1/coupon-batches?limit=200")
    assert r.status == 200, r
    return [b["id"] for b in r.json["data"]]


def staff_of(client):
    r = client.post("/v1/api-keys", {"name": "till", "role": "staff"})
    assert r.status == 201, r
    return client.with_key(r.json["api_key"])


def till(client, code, status=200, **body):
    r = client.post("/v1/coupons/%s/redeem" % code, dict({"location": "Store 12"}, **body))
    assert r.status == status, (code, body, r)
    return r.json


def refused(client, code, status, reason, **body):
    got = till(client, code, status, **body)
    assert got["error"]["code"] == reason, (reason, got)


def test_a_batch_of_thousands_becomes_ready_and_lists_its_codes_in_order(fresh):
    set_clock(fresh.a, START)
    rid = reward(fresh.a)["id"]
    m = rich_member(fresh.a, 500)
    coupons = {redeem(fresh.a, m, rid).json["code"].replace("-", "") for _ in range(5)}
    made = create(fresh.a, name="May mailing", prefix="may26", count=3000).json
    assert made["id"].startswith("cbt_") and made["status"] == "generating", made
    assert made["name"] == "May mailing" and made["prefix"] == "MAY26"
    assert made["count"] == 3000 and made["reward_id"] is None
    assert made["discount"] == {"type": "discount_amount", "value": 500, "sku": None}
    assert made["uses_per_code"] == 1 and made["uses_per_member"] is None
    assert made["valid_from"] is None and made["valid_to"] is None
    b = wait_ready(fresh.a, made["id"])
    assert (b["generated"], b["progress"], b["count"]) == (3000, 100, 3000)
    assert b["created_at"] == made["created_at"] == START
    rows = codes_of(fresh.a, b["id"])
    assert [n for n, _, _ in rows] == list(range(1, 3001))
    codes = [code for _, code, _ in rows]
    assert len(set(codes)) == 3000
    for _, code, printed in rows:
        assert code.startswith("MAY26") and len(code) == 5 + 13, code
        assert all(ch in ALPHABET for ch in code), code
        assert printed == printed_form(code, "MAY26"), (code, printed)
        assert re.fullmatch(r"MAY26-\w{4}-\w{4}-\w{4}-\w", printed), printed
    # The codes are the stored ones: the till knows the first and the last.
    for _, code, printed in (rows[0], rows[-1]):
        seen = fresh.a.get("/v1/coupons/" + code)
        assert seen.status == 200 and seen.json["code"] == printed, seen
        assert seen.json["kind"] == "promo_code" and seen.json["batch_id"] == b["id"]
    # Without a prefix the codes look like a coupon's, and are none of them.
    set_clock(fresh.a, "2026-03-02T10:00:01Z")
    plain = batch(fresh.a, name="Plain", count=2000)
    assert plain["prefix"] == ""
    other = codes_of(fresh.a, plain["id"])
    assert all(len(code) == 13 and printed == printed_form(code, "") for _, code, printed in other)
    mine = {code for _, code, _ in other}
    assert len(mine) == 2000 and not mine & coupons and not mine & set(codes)
    assert batch_ids(fresh.a) == [plain["id"], b["id"]]  # Newest first.
    ready = [e["data"] for e in fresh.a.get("/v1/events?limit=100").json["data"]
             if e["type"] == "coupon_batch.ready"]
    assert sorted(x["id"] for x in ready) == sorted([b["id"], plain["id"]]), ready
    assert all(x["status"] == "ready" and x["generated"] == x["count"] for x in ready), ready


def test_every_bad_batch_is_refused_and_creates_nothing(fresh):
    kept = batch(fresh.a, count=1)
    voucher = reward(fresh.a, name="Cinema", type="partner_voucher", sku=None)["id"]
    active = reward(fresh.a)["id"]
    archived = reward(fresh.a)["id"]
    r = fresh.a.patch("/v1/rewards/" + archived, {"status": "archived"})
    assert r.status == 200 and r.json["status"] == "archived", r
    good = {"name": "Spring mailing", "discount": AMOUNT_OFF, "count": 5}
    no_discount = {k: v for k, v in good.items() if k != "discount"}
    cases = [
        ({k: v for k, v in good.items() if k != "name"}, "name"),
        (dict(good, name=""), "name"),
        (dict(good, name="x" * 101), "name"),
        (dict(good, reward_id=active), "reward_id"),  # Both.
        (no_discount, "reward_id"),  # Neither.
        (dict(no_discount, reward_id="rwd_nothing"), "reward_id"),
        (dict(no_discount, reward_id=voucher), "reward_id"),
        ({k: v for k, v in good.items() if k != "count"}, "count"),
        (dict(good, count=0), "count"),
        (dict(good, count=1000001), "count"),
        (dict(good, prefix="SPRING"), "prefix"),  # I is no symbol.
        (dict(good, prefix="SUMMER"), "prefix"),  # Nor is U.
        (dict(good, prefix="LOT"), "prefix"),  # Nor L or O.
        (dict(good, prefix="ABCDEFGHJ"), "prefix"),  # 9 symbols.
        (dict(good, discount={"type": "voucher", "value": 5, "sku": None}), "discount.type"),
        (dict(good, discount={"type": "discount_amount", "value": 0, "sku": None}),
         "discount.value"),
        (dict(good, discount={"type": "discount_percent", "value": 10001, "sku": None}),
         "discount.value"),
        (dict(good, discount={"type": "free_product", "value": 0, "sku": None}), "discount.sku"),
        (dict(good, discount={"type": "free_product"}), "discount.sku"),
        (dict(good, uses_per_code=0), "uses_per_code"),
        (dict(good, uses_per_member=0), "uses_per_member"),
        (dict(good, valid_from="2026-05-01T00:00:00Z", valid_to="2026-04-01T00:00:00Z"),
         "valid_to"),
        (dict(good, colour="red"), "colour"),
    ]
    for body, field in cases:
        got = fresh.a.post("/v1/coupon-batches", body)
        assert got.status == 400, (body, got)
        assert got.json["error"]["code"] == "validation_failed", (body, got)
        assert got.json["error"]["field"] == field, (body, got)
    got = fresh.a.post("/v1/coupon-batches", dict(no_discount, reward_id=archived))
    assert got.status == 422 and got.json["error"]["code"] == "reward_inactive", got
    staff = staff_of(fresh.a)
    assert staff.post("/v1/coupon-batches", good).status == 403
    assert staff.get("/v1/coupon-batches").status == 403
    assert staff.get("/v1/coupon-batches/" + kept["id"]).status == 403
    assert staff.get("/v1/coupon-batches/%s/codes.csv" % kept["id"]).status == 403
    assert batch_ids(fresh.a) == [kept["id"]]
    assert fresh.a.post("/v1/coupon-batches", good).status == 202  # The good body itself is.


def test_a_creation_is_replayed_under_its_idempotency_key(fresh):
    key = {"Idempotency-Key": "spring-batch-1"}
    first = create(fresh.a, headers=key, count=20)
    assert "idempotent-replayed" not in first.headers
    again = create(fresh.a, headers=key, count=20)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.body == first.body and again.json["id"] == first.json["id"]
    assert batch_ids(fresh.a) == [first.json["id"]]
    other = create(fresh.a, status=409, headers=key, count=21)
    assert other.json["error"]["code"] == "idempotency_conflict", other
    assert batch_ids(fresh.a) == [first.json["id"]]
    assert wait_ready(fresh.a, first.json["id"])["generated"] == 20
    assert len(codes_of(fresh.a, first.json["id"])) == 20


def test_codes_are_not_listed_while_the_batch_is_generating(fresh):
    # A million codes take a while: codes.csv waits for all of them. The batch is left
    # generating; stopping the server then must be clean and the audit must pass.
    bid = create(fresh.a, count=1000000).json["id"]
    got = fresh.a.get("/v1/coupon-batches/%s/codes.csv" % bid)
    assert got.status == 409 and got.json["error"]["code"] == "batch_not_ready", got
    b = fresh.a.get("/v1/coupon-batches/" + bid).json
    assert b["status"] == "generating" and b["generated"] < b["count"] == 1000000, b
    assert b["progress"] == 100 * b["generated"] // 1000000 < 100


def test_another_programs_batch_is_not_found_and_pages_go_newest_first(fresh):
    ids = []
    for second in range(3):
        set_clock(fresh.a, "2026-03-02T10:00:0%dZ" % second)
        ids.append(batch(fresh.a, name="Batch %d" % second, count=2)["id"])
    for path in ("/v1/coupon-batches/" + ids[0], "/v1/coupon-batches/%s/codes.csv" % ids[0],
                 "/v1/coupon-batches/cbt_nothing", "/v1/coupon-batches/cbt_nothing/codes.csv"):
        got = fresh.b.get(path)
        assert got.status == 404, (path, got)
    assert fresh.a.get("/v1/coupon-batches/cbt_nothing").status == 404
    assert batch_ids(fresh.b) == []
    page = fresh.a.get("/v1/coupon-batches?limit=2").json
    assert [x["id"] for x in page["data"]] == ids[:0:-1] and page["next_cursor"] is not None
    rest = fresh.a.get("/v1/coupon-batches?limit=2&cursor=" + page["next_cursor"]).json
    assert [x["id"] for x in rest["data"]] == ids[:1] and rest["next_cursor"] is None
    assert fresh.a.get("/v1/coupon-batches?limit=0").status == 400
    assert fresh.a.get("/v1/coupon-batches?limit=201").status == 400
    # B's codes are its own: A's code is no code of B's.
    code = codes_of(fresh.a, ids[0])[0][1]
    assert fresh.b.get("/v1/coupons/" + code).status == 404
    assert fresh.b.post("/v1/coupons/%s/redeem" % code, {}).status == 404


def test_a_restarted_server_resumes_the_batch_where_it_stopped(fresh):
    count = 300000
    bid = create(fresh.a, prefix="R", count=count).json["id"]
    deadline = time.monotonic() + 60
    while True:
        b = fresh.a.get("/v1/coupon-batches/" + bid).json
        assert b["status"] == "generating", b  # Caught before the end, or the test is moot.
        if b["generated"] > 0:
            break
        assert time.monotonic() < deadline, b
        time.sleep(0.005)
    fresh.restart()
    after = fresh.a.get("/v1/coupon-batches/" + bid).json
    assert after["generated"] >= b["generated"], (b, after)  # Not begun again.
    done = wait_ready(fresh.a, bid, seconds=120)
    assert (done["generated"], done["progress"]) == (count, 100)
    rows = codes_of(fresh.a, bid)
    assert [n for n, _, _ in rows] == list(range(1, count + 1))
    assert len({code for _, code, _ in rows}) == count
    assert all(code.startswith("R") and printed == printed_form(code, "R")
               for _, code, printed in rows)
    for _, code, _ in (rows[0], rows[b["generated"]], rows[-1]):
        assert fresh.a.get("/v1/coupons/" + code).json["batch_id"] == bid


def test_the_till_counts_the_uses_of_a_promotion_code(fresh):
    b = batch(fresh.a, uses_per_code=2, count=3)
    _, code, printed = codes_of(fresh.a, b["id"])[0]
    staff = staff_of(fresh.a)
    seen = staff.get("/v1/coupons/" + code.lower())
    assert seen.status == 200, seen
    v = seen.json
    assert (v["kind"], v["code"], v["batch_id"]) == ("promo_code", printed, b["id"])
    assert (v["valid"], v["reason"], v["uses"], v["uses_per_code"]) == (True, None, 0, 2)
    assert v["reward"]["type"] == "discount_amount" and v["reward"]["value"] == 500
    assert till(staff, printed)["uses"] == 1
    assert staff.get("/v1/coupons/" + code).json["uses"] == 1
    assert till(staff, code)["uses"] == 2
    refused(staff, code, 409, "already_redeemed")
    v = staff.get("/v1/coupons/" + code).json
    assert (v["uses"], v["valid"], v["reason"]) == (2, False, "already_redeemed")
    # Each use, and only a use, sent coupon.redeemed with the code as it stood after it.
    used = [e["data"] for e in fresh.a.get("/v1/events?limit=100").json["data"]
            if e["type"] == "coupon.redeemed"]
    assert sorted(u["uses"] for u in used) == [1, 2], used
    assert all(u["kind"] == "promo_code" and u["code"] == printed for u in used), used
    got = staff.post("/v1/coupons/%s/cancel" % code)
    assert got.status == 422 and got.json["error"]["code"] == "not_cancellable", got
    assert staff.get("/v1/coupons/" + code).json["uses"] == 2
    qr = staff.get("/v1/coupons/%s/qr.svg" % code)
    assert qr.status == 200 and qr.headers["content-type"] == "image/svg+xml", qr
    assert decode(qr.body, 400).replace("-", "") == code
    assert fresh.a.get("/v1/coupons/%s/barcode.svg" % code).status == 200


def test_uses_per_member_needs_the_member_and_counts_per_member(fresh):
    b = batch(fresh.a, uses_per_member=1, uses_per_code=5, count=2)
    assert b["uses_per_member"] == 1
    (_, first, _), (_, second, _) = codes_of(fresh.a, b["id"])
    m = rich_member(fresh.a, 0)
    other = rich_member(fresh.a, 0)
    refused(fresh.a, first, 422, "member_required")
    assert fresh.a.get("/v1/coupons/" + first).json["uses"] == 0
    assert till(fresh.a, first, member_id=m)["uses"] == 1
    refused(fresh.a, second, 422, "member_limit_reached", member_id=m)
    assert fresh.a.get("/v1/coupons/" + second).json["uses"] == 0
    assert till(fresh.a, second, member_id=other)["uses"] == 1
    refused(fresh.a, first, 422, "member_limit_reached", member_id=other)
    assert fresh.a.get("/v1/coupons/" + first).json["uses"] == 1


def test_a_code_is_used_only_within_its_batchs_validity(fresh):
    set_clock(fresh.a, START)
    b = batch(fresh.a, valid_from="2026-04-01T00:00:00Z", valid_to="2026-05-01T00:00:00Z",
              count=2)
    assert (b["valid_from"], b["valid_to"]) == ("2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z")
    (_, early, _), (_, late, _) = codes_of(fresh.a, b["id"])
    set_clock(fresh.a, "2026-03-31T23:59:59Z")
    refused(fresh.a, early, 422, "coupon_not_yet_valid")
    v = fresh.a.get("/v1/coupons/" + early).json
    assert (v["valid"], v["reason"], v["uses"]) == (False, "coupon_not_yet_valid", 0)
    set_clock(fresh.a, "2026-04-15T12:00:00Z")
    assert till(fresh.a, early)["uses"] == 1
    set_clock(fresh.a, "2026-05-02T00:00:00Z")
    refused(fresh.a, late, 422, "coupon_expired")
    v = fresh.a.get("/v1/coupons/" + late).json
    assert (v["valid"], v["reason"], v["uses"]) == (False, "coupon_expired", 0)


def test_a_code_in_a_cart_takes_its_discount_and_a_purchase_uses_it(fresh):
    set_clock(fresh.a, START)
    b = batch(fresh.a, count=2)
    (_, code, printed), (_, spare, _) = codes_of(fresh.a, b["id"])
    m = rich_member(fresh.a, 1000)
    plain = evaluate(fresh.a, cart(m, 2000))
    got = evaluate(fresh.a, cart(m, 2000, coupons=[code.lower()]))
    assert got["discount"] == plain["discount"] + 500
    [c] = got["coupons"]
    assert (c["kind"], c["applied"], c["reason"]) == ("promo_code", True, None), c
    assert (c["code"], c["discount"], c["batch_id"]) == (printed, 500, b["id"]), c
    assert fresh.a.get("/v1/coupons/" + code).json["uses"] == 0  # Evaluating uses nothing.
    bought = purchase(fresh.a, cart(m, 2000, coupons=[printed], location="Store 12")).json
    assert bought["discount"] == plain["discount"] + 500
    assert bought["coupons"][0]["applied"] is True
    v = fresh.a.get("/v1/coupons/" + code).json
    assert (v["uses"], v["valid"], v["reason"]) == (1, False, "already_redeemed")
    before = (available(fresh.a, m), fresh.a.get("/v1/members/%s/ledger" % m).json)
    again = purchase(fresh.a, cart(m, 2000, coupons=[code]), status=409)
    assert again.json["error"]["code"] == "already_redeemed", again
    assert again.json["error"]["field"] == "coupons"
    assert (available(fresh.a, m), fresh.a.get("/v1/members/%s/ledger" % m).json) == before
    assert fresh.a.get("/v1/coupons/" + code).json["uses"] == 1
    ev = evaluate(fresh.a, cart(m, 2000, coupons=[code]))
    assert ev["coupons"][0]["applied"] is False
    assert ev["coupons"][0]["reason"] == "already_redeemed" and ev["discount"] == plain["discount"]
    # Without a limit per member, a guest may use one too.
    guest = evaluate(fresh.a, cart(None, 2000, coupons=[spare]))
    assert guest["coupons"][0]["applied"] is True and guest["coupons"][0]["discount"] == 500


def test_a_batch_giving_a_reward_shows_the_reward_at_the_till(fresh):
    rid = reward(fresh.a, name="Tenth off", type="discount_percent", value=1000, sku=None)["id"]
    b = batch(fresh.a, reward_id=rid, count=2)
    assert b["reward_id"] == rid and b["discount"] is None
    (_, code, _), (_, spare, _) = codes_of(fresh.a, b["id"])
    v = fresh.a.get("/v1/coupons/" + code).json
    assert v["kind"] == "promo_code" and v["valid"] is True, v
    assert (v["reward"]["id"], v["reward"]["type"], v["reward"]["value"]) == (
        rid, "discount_percent", 1000), v
    got = evaluate(fresh.a, cart(None, 2000, coupons=[code]))
    assert got["coupons"][0]["discount"] == 200 and got["coupons"][0]["applied"] is True
    assert till(fresh.a, code)["uses"] == 1
    # Archived later, the reward is given no more.
    assert fresh.a.patch("/v1/rewards/" + rid, {"status": "archived"}).status == 200
    refused(fresh.a, spare, 422, "reward_inactive")
    assert fresh.a.get("/v1/coupons/" + spare).json["reason"] == "reward_inactive"


def test_a_code_of_a_batch_still_being_made_cannot_be_used(fresh):
    """codes.csv waits for ready, so a code of a generating batch was never handed out: read
    from the database itself, it is refused at the till and in a cart."""
    bid = create(fresh.a, count=1000000).json["id"]
    deadline = time.monotonic() + 60
    rows = []
    while not rows and time.monotonic() < deadline:
        rows = db_query(fresh.db, "SELECT code FROM promo_codes WHERE batch_id = '%s' AND n = 1"
                        % bid)
        time.sleep(0.05)
    assert rows, "no code was made"
    code = rows[0][0]
    assert fresh.a.get("/v1/coupon-batches/" + bid).json["status"] == "generating"
    staff = staff_of(fresh.a)
    v = staff.get("/v1/coupons/" + code).json
    assert (v["valid"], v["reason"]) == (False, "batch_not_ready"), v
    refused(staff, code, 422, "batch_not_ready")
    got = evaluate(fresh.a, cart(None, amount=2000, coupons=[code]))
    assert (got["coupons"][0]["applied"], got["coupons"][0]["reason"]) == (
        False, "batch_not_ready"), got
    assert staff.get("/v1/coupons/" + code).json["uses"] == 0
