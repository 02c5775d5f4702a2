# SPDX-License-Identifier: MIT
"""The rewards catalog and coupons: a member redeems a reward (points through the ledger, one
unit of stock, a coupon with a checked code); every refusal with its code and nothing changed;
the last units of stock raced by 20 members; the till verifies without change and redeems
exactly once (a double scan raced); cancel gives points and stock back; typos caught before
any lookup; the coupon's QR code and barcode decoded back by ZBar."""
import http.client
import os
import subprocess
import tempfile
import threading

from conftest import new_member, unique

START = "2026-03-02T10:00:00Z"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

ESPRESSO = {"name": "Free espresso", "type": "free_product", "sku": "ESP", "cost_points": 100,
            "coupon_valid_days": 30, "description": "One espresso, any size",
            "terms": "One per visit", "image_url": "https://cdn.example.com/espresso.png"}


def set_clock(client, when):
    r = client.put("/v1/test/clock", {"now": when})
    assert r.status == 200, r


def reward(client, **fields):
    r = client.post("/v1/rewards", dict(ESPRESSO, **fields))
    assert r.status == 201, r
    return r.json


def rich_member(client, points):
    m = new_member(client)["id"]
    if points:
        r = client.post("/v1/members/%s/adjustments" % m, {"points": points, "reason": "seed"})
        assert r.status == 201, r
    return m


def available(client, member):
    return client.get("/v1/members/%s/balance" % member).json["available"]


def redeem(client, member, reward_id, status=201, **kw):
    r = client.post("/v1/members/%s/rewards/%s/redeem" % (member, reward_id), **kw)
    assert r.status == status, r
    return r


def test_catalog_round_trip_and_bad_rewards(fresh):
    r = reward(fresh.a, stock=10, per_member_limit=2, tiers=["Gold"],
               valid_from="2026-01-01T00:00:00Z", valid_to="2027-01-01T00:00:00Z")
    assert r["type"] == "free_product" and r["stock"] == 10 and r["issued"] == 0
    assert r["tiers"] == ["Gold"] and r["status"] == "active"
    assert fresh.a.get("/v1/rewards/" + r["id"]).json == r
    for body, field in ((dict(ESPRESSO, cost_points=0), "cost_points"),
                        (dict(ESPRESSO, type="voucher"), "type"),
                        (dict(ESPRESSO, type="partner_voucher", stock=5), "stock"),
                        (dict(ESPRESSO, type="discount_amount"), "value"),
                        (dict(ESPRESSO, type="discount_percent", value=10001), "value"),
                        (dict(ESPRESSO, sku=None), "sku"),
                        (dict(ESPRESSO, stock=-1), "stock"),
                        (dict(ESPRESSO, image_url="javascript:alert(1)"), "image_url"),
                        (dict(ESPRESSO, valid_from="2027-01-01T00:00:00Z",
                              valid_to="2026-01-01T00:00:00Z"), "valid_to"),
                        (dict(ESPRESSO, coupon_valid_days=0), "coupon_valid_days"),
                        (dict(ESPRESSO, status="archived"), "status"),
                        (dict(ESPRESSO, colour="red"), "colour")):
        got = fresh.a.post("/v1/rewards", body)
        assert got.status == 400 and got.json["error"]["field"] == field, (body, got)
    assert len(fresh.a.get("/v1/rewards").json["data"]) == 1
    p = fresh.a.patch("/v1/rewards/" + r["id"], {"stock": None, "status": "inactive"})
    assert p.status == 200 and p.json["stock"] is None and p.json["status"] == "inactive"
    staff = fresh.a.with_key(fresh.a.post("/v1/api-keys", {"name": "till", "role": "staff"})
                             .json["api_key"])
    assert staff.post("/v1/rewards", ESPRESSO).status == 403
    assert staff.get("/v1/rewards").status == 200
    assert fresh.b.get("/v1/rewards/" + r["id"]).status == 404


def test_redeem_spends_points_takes_stock_and_issues_a_coupon(fresh):
    set_clock(fresh.a, START)
    r = reward(fresh.a, stock=3)
    m = rich_member(fresh.a, 250)
    got = redeem(fresh.a, m, r["id"], headers={"Idempotency-Key": "redeem-1"})
    c = got.json
    assert c["status"] == "active" and c["valid"] is True and c["member_id"] == m
    assert c["reward"]["id"] == r["id"] and c["reward"]["sku"] == "ESP"
    assert c["expires_at"] == "2026-04-01T10:00:00Z" and c["points_available"] == 150
    code = c["code"]
    assert len(code) == 16 and code[4] == code[9] == code[14] == "-"
    assert all(ch in ALPHABET for ch in code.replace("-", ""))
    again = redeem(fresh.a, m, r["id"], headers={"Idempotency-Key": "redeem-1"})
    assert again.json == c and again.headers["idempotent-replayed"] == "true"
    assert available(fresh.a, m) == 150
    assert fresh.a.get("/v1/rewards/" + r["id"]).json["issued"] == 1
    ledger = fresh.a.get("/v1/members/%s/ledger" % m).json["data"]
    assert ledger[0]["type"] == "redeem" and ledger[0]["points"] == -100
    # Its redemption is undone only by cancelling the coupon (which returns the stock too).
    red = ledger[0]["reference"]
    got = fresh.a.post("/v1/redemptions/%s/cancel" % red)
    assert got.status == 409 and got.json["error"]["code"] == "coupon_redemption", got
    issued = [e for e in fresh.a.get("/v1/events?limit=100").json["data"]
              if e["type"] == "coupon.issued"]
    assert len(issued) == 1 and issued[0]["data"]["code"] == code


def test_every_refusal_has_its_code_and_changes_nothing(fresh):
    set_clock(fresh.a, START)
    tiers = {"metric": "spend", "window": {"rolling_months": 12},
             "levels": [{"name": "Member", "threshold": 0}, {"name": "Gold", "threshold": 100}]}
    assert fresh.a.patch("/v1/program", {"tiers": tiers}).status == 200
    m = rich_member(fresh.a, 1000)
    poor = rich_member(fresh.a, 50)
    cases = [
        (poor, reward(fresh.a)["id"], "insufficient_points"),
        (m, reward(fresh.a, stock=0)["id"], "out_of_stock"),
        (m, reward(fresh.a, tiers=["Gold"])["id"], "not_eligible"),
        (m, reward(fresh.a, status="inactive")["id"], "reward_inactive"),
        (m, reward(fresh.a, valid_from="2026-04-01T00:00:00Z")["id"], "reward_inactive"),
        (m, reward(fresh.a, valid_to="2026-03-01T00:00:00Z")["id"], "reward_inactive"),
    ]
    limited = reward(fresh.a, per_member_limit=1)["id"]
    redeem(fresh.a, m, limited)
    cases.append((m, limited, "member_limit_reached"))
    before = {x: available(fresh.a, x) for x in (m, poor)}
    for member, rid, code in cases:
        got = redeem(fresh.a, member, rid, status=422)
        assert got.json["error"]["code"] == code, (code, got)
        assert fresh.a.get("/v1/rewards/" + rid).json["issued"] == (1 if rid == limited else 0)
    assert {x: available(fresh.a, x) for x in (m, poor)} == before
    assert redeem(fresh.a, "mem_nobody", limited, status=404).json["error"]["code"] == "not_found"
    assert redeem(fresh.a, m, "rwd_nothing", status=404).status == 404
    offers = {o["id"]: o for o in fresh.a.get("/v1/rewards?member_id=%s&limit=20" % poor)
              .json["data"]}
    assert offers[cases[0][1]]["affordable"] is False
    assert offers[cases[0][1]]["points_missing"] == 50 and offers[cases[0][1]]["eligible"]
    assert offers[cases[2][1]]["reason"] == "not_eligible"
    assert offers[cases[1][1]]["reason"] == "out_of_stock"
    fresh.audit()


def run_at_once(calls):
    go = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def one(i):
        go.wait()
        out[i] = calls[i]()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def test_twenty_members_race_for_the_last_five_units(fresh):
    r = reward(fresh.a, stock=5)
    members = [rich_member(fresh.a, 100) for _ in range(20)]
    clients = [fresh.a.with_key(fresh.key_a) for _ in members]
    results = run_at_once([
        (lambda c=c, m=m: c.post("/v1/members/%s/rewards/%s/redeem" % (m, r["id"])))
        for c, m in zip(clients, members)])
    won = [x for x in results if x.status == 201]
    lost = [x for x in results if x.status == 422]
    assert len(won) == 5 and len(lost) == 15, [x.status for x in results]
    assert all(x.json["error"]["code"] == "out_of_stock" for x in lost)
    assert len({x.json["code"] for x in won}) == 5
    assert fresh.a.get("/v1/rewards/" + r["id"]).json["issued"] == 5
    assert sum(available(fresh.a, m) for m in members) == 15 * 100
    fresh.audit()


def test_the_till_verifies_and_redeems_exactly_once(fresh):
    set_clock(fresh.a, START)
    r = reward(fresh.a)
    m = rich_member(fresh.a, 500)
    assert fresh.a.patch("/v1/members/" + m, {"first_name": "Ada"}).status == 200
    code = redeem(fresh.a, m, r["id"]).json["code"]
    till = fresh.a.with_key(fresh.a.post("/v1/api-keys", {"name": "till", "role": "staff"})
                            .json["api_key"])
    seen = till.get("/v1/coupons/" + code.lower().replace("-", ""))
    assert seen.status == 200 and seen.json["valid"] is True and seen.json["reason"] is None
    assert seen.json["member"]["first_name"] == "Ada" and seen.json["code"] == code
    assert till.get("/v1/coupons/" + code).json["status"] == "active"  # Verifying changed nothing.
    scans = run_at_once([(lambda c=c: c.post("/v1/coupons/%s/redeem" % code,
                                             {"location": "Store 12"}))
                         for c in [till.with_key(till.key) for _ in range(10)]])
    ok = [x for x in scans if x.status == 200]
    dup = [x for x in scans if x.status == 409]
    assert len(ok) == 1 and len(dup) == 9, [x.status for x in scans]
    assert ok[0].json["status"] == "redeemed" and ok[0].json["location"] == "Store 12"
    assert all(x.json["error"]["code"] == "already_redeemed" for x in dup)
    assert "2026-03-02T10:00:00" in dup[0].json["error"]["message"]
    assert "Store 12" in dup[0].json["error"]["message"]
    view = till.get("/v1/coupons/" + code).json
    assert view["valid"] is False and view["reason"] == "already_redeemed"
    events = [e["type"] for e in fresh.a.get("/v1/events?limit=100").json["data"]]
    assert events.count("coupon.redeemed") == 1
    assert till.post("/v1/coupons/%s/cancel" % code).status == 409


def test_expired_and_cancelled_coupons(fresh):
    set_clock(fresh.a, START)
    r = reward(fresh.a, stock=2, coupon_valid_days=7)
    m = rich_member(fresh.a, 300)
    first = redeem(fresh.a, m, r["id"]).json["code"]
    second = redeem(fresh.a, m, r["id"]).json["code"]
    assert available(fresh.a, m) == 100
    cancelled = fresh.a.post("/v1/coupons/%s/cancel" % second)
    assert cancelled.status == 200 and cancelled.json["status"] == "cancelled"
    assert cancelled.json["points_available"] == 200
    assert fresh.a.post("/v1/coupons/%s/cancel" % second).status == 200  # Twice: no change.
    assert available(fresh.a, m) == 200
    assert fresh.a.get("/v1/rewards/" + r["id"]).json["issued"] == 1
    got = fresh.a.post("/v1/coupons/%s/redeem" % second, {})
    assert got.status == 422 and got.json["error"]["code"] == "coupon_cancelled"
    set_clock(fresh.a, "2026-03-09T10:00:00Z")  # 7 days: the first has expired.
    got = fresh.a.post("/v1/coupons/%s/redeem" % first, {})
    assert got.status == 422 and got.json["error"]["code"] == "coupon_expired"
    assert fresh.a.get("/v1/coupons/" + first).json["reason"] == "coupon_expired"
    # The expiry job writes it down once, with its event; the points stay spent.
    job = fresh.a.post("/v1/jobs/expire", {})
    assert job.status == 200 and job.json["coupons_expired"] == 1, job
    assert fresh.a.post("/v1/jobs/expire", {}).json["coupons_expired"] == 0
    assert fresh.a.get("/v1/coupons/" + first).json["status"] == "expired"
    expired = [e for e in fresh.a.get("/v1/events?limit=100").json["data"]
               if e["type"] == "coupon.expired"]
    assert len(expired) == 1 and expired[0]["data"]["code"] == first
    assert available(fresh.a, m) == 200
    fresh.audit()


def test_typos_are_caught_before_any_lookup(fresh):
    r = reward(fresh.a)
    m = rich_member(fresh.a, 100)
    code = redeem(fresh.a, m, r["id"]).json["code"]
    plain = code.replace("-", "")
    for i in range(len(plain)):
        for ch in ALPHABET[::7]:
            if ch == plain[i]:
                continue
            typo = plain[:i] + ch + plain[i + 1:]
            got = fresh.a.get("/v1/coupons/" + typo)
            assert got.status == 400 and got.json["error"]["code"] == "invalid_code", typo
        if i + 1 < len(plain) and plain[i] != plain[i + 1]:
            swapped = plain[:i] + plain[i + 1] + plain[i] + plain[i + 2:]
            assert fresh.a.get("/v1/coupons/" + swapped).json["error"]["code"] == "invalid_code"
    spaced = fresh.a.get("/v1/coupons/" + "%20".join([plain[:6].lower(), plain[6:]]))
    assert spaced.status == 200 and spaced.json["code"] == code
    assert fresh.b.get("/v1/coupons/" + code).status == 404


def decode(svg, width):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "c.svg")
        png = os.path.join(tmp, "c.png")
        with open(src, "w") as f:
            f.write(svg)
        subprocess.run(["rsvg-convert", "-w", str(width), "-b", "white", "-o", png, src],
                       check=True, timeout=30)
        out = subprocess.run(["zbarimg", "--quiet", "--raw", png], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()


def test_coupon_pictures_decode_to_the_code(fresh):
    r = reward(fresh.a)
    m = rich_member(fresh.a, 100)
    code = redeem(fresh.a, m, r["id"]).json["code"]
    qr = fresh.a.get("/v1/coupons/%s/qr.svg" % code)
    assert qr.status == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert decode(qr.body, 400) == code.replace("-", "")
    conn = http.client.HTTPConnection("127.0.0.1", fresh.server.port, timeout=30)
    conn.request("GET", "/v1/coupons/%s/qr.png" % code,
                 headers={"Authorization": "Bearer " + fresh.key_a})
    png = conn.getresponse()
    body = png.read()
    conn.close()
    assert png.status == 200 and png.getheader("Content-Type") == "image/png"
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "c.png")
        with open(path, "wb") as f:
            f.write(body)
        out = subprocess.run(["zbarimg", "--quiet", "--raw", path], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0 and out.stdout.strip() == code.replace("-", ""), out
    bar = fresh.a.get("/v1/coupons/%s/barcode.svg" % code)
    assert bar.status == 200 and decode(bar.body, 900) == code.replace("-", "")
    assert fresh.b.get("/v1/coupons/%s/qr.svg" % code).status == 404


def test_two_changes_at_once_both_land(fresh):
    # Found by review: a PATCH used to write back a copy read before the other's write.
    for _ in range(10):
        r = reward(fresh.a)
        out = run_at_once([
            lambda: fresh.a.with_key(fresh.key_a).patch("/v1/rewards/" + r["id"],
                                                        {"cost_points": 777}),
            lambda: fresh.a.with_key(fresh.key_a).patch("/v1/rewards/" + r["id"],
                                                        {"status": "inactive"})])
        assert all(x.status == 200 for x in out), out
        now = fresh.a.get("/v1/rewards/" + r["id"]).json
        assert (now["cost_points"], now["status"]) == (777, "inactive"), now
    bad = fresh.a.patch("/v1/rewards/" + r["id"], {"cost_points": 0})
    assert bad.status == 400 and bad.json["error"]["field"] == "cost_points"
    assert fresh.a.get("/v1/rewards/" + r["id"]).json["cost_points"] == 777


def test_a_too_long_code_says_the_real_limit(fresh):
    r = reward(fresh.a)
    m = rich_member(fresh.a, 100)
    plain = redeem(fresh.a, m, r["id"]).json["code"].replace("-", "")
    got = fresh.a.get("/v1/coupons/" + "0" * 9 + plain)  # 22 symbols
    assert got.status == 400 and got.json["error"]["code"] == "invalid_code"
    assert "at most 21 symbols" in got.json["error"]["message"], got.json
