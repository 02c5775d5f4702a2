# SPDX-License-Identifier: MIT
"""Surveys (issue 20; docs/crm.md, "Surveys"): a survey's questions checked field by field (each
refusal names its field and creates nothing), its status moves, its questions frozen once
answered; responses once a member unless the survey takes more, each answer checked against
its question; the survey_completed activity's rule awarding points in the response's write (the
ledger shows them); results (NPS, CSAT, distributions, choices) on a hand-computed set; a
member's session answering for itself only; Idempotency-Key replays; migrate-store and the
member's export carry the responses.

Method: a real server over HTTP on SQLite or PostgreSQL (PATRON_TEST_STORE), members made
through the API, a member's session through the portal's sign-up (tests/api/browser.py).
"""
import os
import threading

import pytest

from browser import PASSWORD, T0, SignInDeployment, browser, clock
from conftest import Client, Server, new_database, new_member, run_cli, unique

NPS = {"id": "nps", "kind": "nps", "text": "How likely are you to recommend us?",
       "required": True}
CSAT = {"id": "sat", "kind": "csat", "text": "How happy are you with the shop?"}
PICK = {"id": "pick", "kind": "choice", "text": "Which visit?", "options": ["shop", "web"]}
MANY = {"id": "many", "kind": "choice", "text": "What did you buy?",
        "options": ["coffee", "cake", "tea"], "multiple": True}
WHY = {"id": "why", "kind": "text", "text": "Why?"}
QUESTIONS = [NPS, CSAT, PICK, MANY, WHY]


@pytest.fixture(scope="module")
def d():
    with SignInDeployment() as dep:
        clock(dep, T0)
        yield dep


def survey(client, **fields):
    body = {"name": unique("Survey "), "questions": QUESTIONS, "status": "active"}
    body.update(fields)
    r = client.post("/v1/surveys", body)
    assert r.status == 201, r
    return r.json


def respond(client, survey_id, member_id, answers, status=201, **kw):
    body = {"answers": answers}
    if member_id is not None:
        body["member_id"] = member_id
    r = client.post("/v1/surveys/%s/responses" % survey_id, body, **kw)
    assert r.status == status, r
    return r


def count_surveys(client):
    return len(client.get("/v1/surveys?limit=200").json["data"])


def test_create_round_trip_and_each_bad_field_names_it(d):
    s = survey(d.a, status=None)
    assert s["id"].startswith("svy_") and s["status"] == "draft" and s["responses"] == 0
    assert s["allow_multiple_responses"] is False
    assert [q["id"] for q in s["questions"]] == ["nps", "sat", "pick", "many", "why"]
    assert s["questions"][3]["multiple"] is True and s["questions"][2]["multiple"] is False
    assert s["questions"][1]["required"] is False
    assert d.a.get("/v1/surveys/" + s["id"]).json == s
    assert any(x["id"] == s["id"] for x in d.a.get("/v1/surveys").json["data"])
    before = count_surveys(d.a)
    q = dict(NPS)
    cases = [
        ({"questions": QUESTIONS}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok"}, "questions"),
        ({"name": "ok", "questions": []}, "questions"),
        ({"name": "ok", "questions": [dict(NPS, id="q%d" % i) for i in range(51)]}, "questions"),
        ({"name": "ok", "questions": [dict(q, id="Bad-Id")]}, "questions.0.id"),
        ({"name": "ok", "questions": [dict(q, id="x" * 33)]}, "questions.0.id"),
        ({"name": "ok", "questions": [q, dict(CSAT, id="nps")]}, "questions.1.id"),
        ({"name": "ok", "questions": [dict(q, kind="stars")]}, "questions.0.kind"),
        ({"name": "ok", "questions": [dict(q, text="")]}, "questions.0.text"),
        ({"name": "ok", "questions": [dict(q, text="t" * 501)]}, "questions.0.text"),
        ({"name": "ok", "questions": [dict(q, required="yes")]}, "questions.0.required"),
        ({"name": "ok", "questions": [dict(q, colour="red")]}, "questions.0.colour"),
        ({"name": "ok", "questions": [dict(PICK, options=["one"])]}, "questions.0.options"),
        ({"name": "ok", "questions": [dict(PICK, options=["o%d" % i for i in range(21)])]},
         "questions.0.options"),
        ({"name": "ok", "questions": [dict(PICK, options=["a", "b" * 101])]},
         "questions.0.options.1"),
        ({"name": "ok", "questions": [dict(PICK, options=["a", "a"])]}, "questions.0.options.1"),
        ({"name": "ok", "questions": [dict(q, options=["a", "b"])]}, "questions.0.options"),
        ({"name": "ok", "questions": [dict(q, multiple=True)]}, "questions.0.multiple"),
        ({"name": "ok", "questions": [q], "status": "open"}, "status"),
        ({"name": "ok", "questions": [q], "status": "closed"}, "status"),
        ({"name": "ok", "questions": [q], "allow_multiple_responses": 1},
         "allow_multiple_responses"),
        ({"name": "ok", "questions": [q], "points": 10}, "points"),
    ]
    for body, field in cases:
        r = d.a.post("/v1/surveys", body)
        assert r.status == 400 and r.error["code"] == "validation_failed", (body, r)
        assert r.error["field"] == field, (field, r)
    assert count_surveys(d.a) == before
    # 50 questions of 20 options each are the bounds.
    r = d.a.post("/v1/surveys", {"name": "big", "questions": [
        dict(PICK, id="q%d" % i, options=["o%d" % k for k in range(20)]) for i in range(50)]})
    assert r.status == 201, r


def test_roles_admin_writes_staff_answers_viewer_reads(d):
    s = survey(d.a)
    staff = d.a.with_key(d.a.post("/v1/api-keys", {"name": "till", "role": "staff"}).json["api_key"])
    viewer = d.a.with_key(d.a.post("/v1/api-keys", {"name": "v", "role": "viewer"}).json["api_key"])
    assert staff.post("/v1/surveys", {"name": "x", "questions": [NPS]}).status == 403
    assert staff.patch("/v1/surveys/" + s["id"], {"name": "x"}).status == 403
    assert staff.get("/v1/surveys/" + s["id"]).status == 200
    assert staff.get("/v1/surveys/%s/results" % s["id"]).status == 403
    m = new_member(d.a)["id"]
    respond(staff, s["id"], m, {"nps": 9, "why": "friendly staff"})
    assert viewer.post("/v1/surveys/%s/responses" % s["id"],
                       {"member_id": m, "answers": {"nps": 1}}).status == 403
    r = viewer.get("/v1/surveys/%s/results" % s["id"])
    assert r.status == 200 and r.json["responses"] == 1
    why = [q for q in r.json["questions"] if q["id"] == "why"][0]
    assert why["answers"] == 1 and "latest" not in why  # A viewer sees counts, not words.
    why = [q for q in d.a.get("/v1/surveys/%s/results" % s["id"]).json["questions"]
           if q["id"] == "why"][0]
    assert why["latest"] == ["friendly staff"]
    assert d.b.get("/v1/surveys/" + s["id"]).status == 404  # Another program's.


def test_lifecycle_status_moves_and_questions_frozen_once_answered(d):
    s = survey(d.a, status="draft")
    m = new_member(d.a)["id"]
    r = respond(d.a, s["id"], m, {"nps": 5}, status=409)
    assert r.error["code"] == "survey_not_active"
    r = d.a.patch("/v1/surveys/" + s["id"], {"questions": [NPS, WHY], "name": "renamed"})
    assert r.status == 200 and len(r.json["questions"]) == 2 and r.json["name"] == "renamed"
    for body, field in (({"name": None}, "name"), ({"questions": None}, "questions"),
                        ({"status": "paused"}, "status"), ({"id": "svy_x"}, "id"),
                        ({"questions": [dict(NPS, kind="x")]}, "questions.0.kind")):
        r = d.a.patch("/v1/surveys/" + s["id"], body)
        assert r.status == 400 and r.error["field"] == field, (body, r)
    assert d.a.get("/v1/surveys/" + s["id"]).json["name"] == "renamed"
    assert d.a.patch("/v1/surveys/" + s["id"], {"status": "active"}).json["status"] == "active"
    r = d.a.patch("/v1/surveys/" + s["id"], {"status": "draft"})
    assert r.status == 409 and r.error["code"] == "invalid_status_move", r
    respond(d.a, s["id"], m, {"nps": 5})
    r = d.a.patch("/v1/surveys/" + s["id"], {"questions": [NPS]})
    assert r.status == 409 and r.error["code"] == "survey_has_responses", r
    r = d.a.patch("/v1/surveys/" + s["id"], {"allow_multiple_responses": True})
    assert r.status == 409 and r.error["code"] == "survey_has_responses", r
    # The same questions again change nothing, and are allowed.
    same = d.a.get("/v1/surveys/" + s["id"]).json["questions"]
    r = d.a.patch("/v1/surveys/" + s["id"], {"questions": same, "name": "again"})
    assert r.status == 200 and r.json["responses"] == 1, r
    r = d.a.patch("/v1/surveys/" + s["id"], {"status": "closed"})
    assert r.status == 200 and r.json["status"] == "closed"
    r = respond(d.a, s["id"], new_member(d.a)["id"], {"nps": 5}, status=409)
    assert r.error["code"] == "survey_not_active"
    r = d.a.patch("/v1/surveys/" + s["id"], {"status": "active"})
    assert r.status == 409 and r.error["code"] == "invalid_status_move", r
    drafts = d.a.get("/v1/surveys?status=closed&limit=200").json["data"]
    assert s["id"] in [x["id"] for x in drafts]
    assert all(x["status"] == "closed" for x in drafts)
    assert d.a.get("/v1/surveys?status=open").status == 400


def test_answers_are_checked_and_a_bad_one_writes_nothing(d):
    s = survey(d.a)
    m = new_member(d.a)["id"]
    cases = [
        ({"sat": 3}, "answers.nps"),
        ({"nps": 11}, "answers.nps"),
        ({"nps": -1}, "answers.nps"),
        ({"nps": 7.5}, "answers.nps"),
        ({"nps": "7"}, "answers.nps"),
        ({"nps": 7, "sat": 0}, "answers.sat"),
        ({"nps": 7, "sat": 6}, "answers.sat"),
        ({"nps": 7, "pick": "phone"}, "answers.pick"),
        ({"nps": 7, "pick": ["shop"]}, "answers.pick"),
        ({"nps": 7, "many": "cake"}, "answers.many"),
        ({"nps": 7, "many": ["cake", "cake"]}, "answers.many"),
        ({"nps": 7, "many": []}, "answers.many"),
        ({"nps": 7, "why": ""}, "answers.why"),
        ({"nps": 7, "why": "w" * 2001}, "answers.why"),
        ({"nps": 7, "colour": "red"}, "answers.colour"),
    ]
    for answers, field in cases:
        r = respond(d.a, s["id"], m, answers, status=400)
        assert r.error["code"] == "validation_failed" and r.error["field"] == field, (answers, r)
    r = d.a.post("/v1/surveys/%s/responses" % s["id"], {"member_id": m})
    assert r.status == 400 and r.error["field"] == "answers", r
    r = d.a.post("/v1/surveys/%s/responses" % s["id"], {"answers": {"nps": 1}})
    assert r.status == 400 and r.error["field"] == "member_id", r
    r = d.a.post("/v1/surveys/%s/responses" % s["id"], {"member_id": "mem_nobody",
                                                       "answers": {"nps": 1}})
    assert r.status == 404, r
    r = d.a.post("/v1/surveys/svy_nothing/responses", {"member_id": m, "answers": {"nps": 1}})
    assert r.status == 404, r
    assert d.a.get("/v1/surveys/" + s["id"]).json["responses"] == 0
    r = respond(d.a, s["id"], m, {"nps": 7, "why": "w" * 2000, "many": ["tea", "coffee"]})
    assert r.json["answers"]["many"] == ["coffee", "tea"]  # In the question's order.


def test_once_per_member_unless_the_survey_takes_more(d):
    once = survey(d.a)
    many = survey(d.a, allow_multiple_responses=True)
    m = new_member(d.a)["id"]
    other = new_member(d.a)["id"]
    respond(d.a, once["id"], m, {"nps": 10})
    r = respond(d.a, once["id"], m, {"nps": 3}, status=409)
    assert r.error["code"] == "already_answered", r
    respond(d.a, once["id"], other, {"nps": 3})
    for score in (1, 2, 3):
        respond(d.a, many["id"], m, {"nps": score})
    assert d.a.get("/v1/surveys/" + once["id"]).json["responses"] == 2
    assert d.a.get("/v1/surveys/" + many["id"]).json["responses"] == 3
    # A closed member may not answer.
    closed = new_member(d.a)["id"]
    assert d.a.patch("/v1/members/" + closed, {"status": "closed"}).status == 200
    r = respond(d.a, many["id"], closed, {"nps": 3}, status=422)
    assert r.error["code"] == "member_inactive", r


def test_survey_completed_rule_awards_points_in_the_same_write(d):
    s = survey(d.a)
    other = survey(d.a)
    r = d.a.post("/v1/rules", {
        "name": unique("survey bonus "), "trigger": "activity:survey_completed",
        "status": "active", "conditions": {"eq": ["activity.survey_id", s["id"]]},
        "effects": [{"type": "award_points", "points": 50}]})
    assert r.status == 201, r
    m = new_member(d.a)["id"]
    before = d.a.get("/v1/members/%s/balance" % m).json["available"]
    r = respond(d.a, s["id"], m, {"nps": 9})
    assert r.json["points_earned"] == 50 and r.json["balance"]["available"] == before + 50
    assert r.json["id"].startswith("rsp_") and r.json["activity_id"].startswith("act_")
    ledger = d.a.get("/v1/members/%s/ledger" % m).json["data"]
    assert ledger[0]["points"] == 50, ledger[0]
    # The rule tests the survey: another survey's answer earns nothing.
    r = respond(d.a, other["id"], m, {"nps": 9})
    assert r.json["points_earned"] == 0
    assert d.a.get("/v1/members/%s/balance" % m).json["available"] == before + 50
    # A rule may test the answer itself: promoters of any survey earn 5 more.
    r = d.a.post("/v1/rules", {
        "name": unique("promoters "), "trigger": "activity:survey_completed",
        "status": "active", "conditions": {"gte": ["activity.nps", 9]},
        "effects": [{"type": "award_points", "points": 5}]})
    assert r.status == 201, r
    third = survey(d.a)
    assert respond(d.a, third["id"], m, {"nps": 10}).json["points_earned"] == 5
    assert respond(d.a, survey(d.a)["id"], m, {"nps": 8}).json["points_earned"] == 0
    assert respond(d.a, s["id"], new_member(d.a)["id"], {"nps": 9}).json["points_earned"] == 55
    # The activity is the member's like any other, its external id the response's.
    events = d.a.get("/v1/events?limit=200").json["data"]
    recorded = [e for e in events if e["type"] == "activity.recorded" and e["member_id"] == m]
    assert len(recorded) == 4
    props = sorted((e["data"]["external_id"], e["data"]["properties"]["survey_id"],
                    e["data"]["properties"]["nps"]) for e in recorded)
    assert s["id"] in [p[1] for p in props] and other["id"] in [p[1] for p in props]
    assert sorted(p[2] for p in props) == [8, 9, 9, 10]
    assert all(p[0].startswith("rsp_") for p in props)


def test_results_on_a_hand_computed_set(d):
    s = survey(d.a, allow_multiple_responses=True)
    answers = [
        {"nps": 10, "sat": 5, "pick": "shop", "many": ["coffee", "cake"], "why": "great"},
        {"nps": 9, "sat": 4, "pick": "shop", "many": ["coffee"]},
        {"nps": 8, "sat": 4, "pick": "web"},
        {"nps": 7, "sat": 2, "why": "slow"},
        {"nps": 6, "sat": 1, "many": ["tea"]},
        {"nps": 0},
    ]
    m = new_member(d.a)["id"]
    for a in answers:
        respond(d.a, s["id"], m, a)
    r = d.a.get("/v1/surveys/%s/results" % s["id"])
    assert r.status == 200, r
    res = r.json
    assert res["responses"] == 6 and res["survey_id"] == s["id"] and res["status"] == "active"
    q = {x["id"]: x for x in res["questions"]}
    # NPS: 2 promoters, 2 passives, 2 detractors of 6: 0.
    nps = q["nps"]
    assert (nps["answers"], nps["promoters"], nps["passives"], nps["detractors"]) == (6, 2, 2, 2)
    assert nps["nps_bp"] == 0
    assert nps["distribution"] == {str(i): (1 if i in (0, 6, 7, 8, 9, 10) else 0)
                                   for i in range(11)}
    # CSAT: 5, 4, 4, 2, 1 -> mean 16 / 5 = 3.20; satisfied 3 of 5 = 60.00%.
    sat = q["sat"]
    assert (sat["answers"], sat["satisfied"], sat["mean_hundredths"], sat["csat_bp"]) == \
        (5, 3, 320, 6000)
    assert sat["distribution"] == {"1": 1, "2": 1, "3": 0, "4": 2, "5": 1}
    assert q["pick"]["answers"] == 3
    assert q["pick"]["options"] == [{"option": "shop", "count": 2}, {"option": "web", "count": 1}]
    assert q["many"]["answers"] == 3  # Responses, though four options were chosen.
    assert q["many"]["options"] == [{"option": "coffee", "count": 2},
                                    {"option": "cake", "count": 1},
                                    {"option": "tea", "count": 1}]
    assert q["why"]["answers"] == 2 and q["why"]["latest"] == ["slow", "great"]
    # One more promoter: 3 - 2 of 7 = 14.2857% -> 1429 bp.
    respond(d.a, s["id"], m, {"nps": 10})
    nps = [x for x in d.a.get("/v1/surveys/%s/results" % s["id"]).json["questions"]
           if x["id"] == "nps"][0]
    assert nps["nps_bp"] == 1429
    # A survey without responses has no score.
    empty = d.a.get("/v1/surveys/%s/results" % survey(d.a)["id"]).json
    assert empty["responses"] == 0
    assert empty["questions"][0]["nps_bp"] is None and empty["questions"][1]["csat_bp"] is None


def test_member_session_answers_for_itself_only(d):
    s = survey(d.a)
    draft = survey(d.a, status="draft")
    b = browser(d)
    r = b.post("/v1/portal/sign-up", {"email": unique("p") + "@example.com",
                                      "password": PASSWORD})
    assert r.status == 201, r
    me = r.json["member"]["id"]
    other = new_member(d.a)["id"]
    assert b.get("/v1/surveys/" + s["id"]).status == 200
    assert b.get("/v1/surveys/" + draft["id"]).status == 404
    listed = b.get("/v1/surveys?limit=200").json["data"]
    assert s["id"] in [x["id"] for x in listed] and all(x["status"] == "active" for x in listed)
    assert b.get("/v1/surveys/%s/results" % s["id"]).status == 403
    assert b.post("/v1/surveys", {"name": "x", "questions": [NPS]}).status == 403
    r = b.post("/v1/surveys/%s/responses" % s["id"], {"member_id": other, "answers": {"nps": 1}})
    assert r.status == 404, r
    r = b.post("/v1/surveys/%s/responses" % draft["id"], {"answers": {"nps": 1}})
    assert r.status == 404, r
    r = b.post("/v1/surveys/%s/responses" % s["id"], {"answers": {"nps": 10}})
    assert r.status == 201 and r.json["member_id"] == me, r
    r = b.post("/v1/surveys/%s/responses" % s["id"], {"member_id": me, "answers": {"nps": 3}})
    assert r.status == 409 and r.error["code"] == "already_answered", r
    assert d.a.get("/v1/surveys/" + s["id"]).json["responses"] == 1


def test_idempotent_replay(d):
    s = survey(d.a)
    m = new_member(d.a)["id"]
    key = {"Idempotency-Key": unique("S-")}
    first = respond(d.a, s["id"], m, {"nps": 9}, headers=key)
    again = respond(d.a, s["id"], m, {"nps": 9}, headers=key)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json == first.json
    r = respond(d.a, s["id"], m, {"nps": 2}, status=409, headers=key)
    assert r.error["code"] == "idempotency_conflict", r
    assert d.a.get("/v1/surveys/" + s["id"]).json["responses"] == 1
    body = {"name": unique("idem "), "questions": [NPS]}
    key = {"Idempotency-Key": unique("C-")}
    one = d.a.post("/v1/surveys", body, headers=key)
    two = d.a.post("/v1/surveys", body, headers=key)
    assert one.status == two.status == 201 and one.json == two.json
    assert two.headers.get("idempotent-replayed") == "true"


def test_export_and_migrate_store_carry_the_responses(d):
    s = survey(d.a)
    m = new_member(d.a)["id"]
    r = respond(d.a, s["id"], m, {"nps": 4, "why": "too loud"})
    x = d.a.get("/v1/members/%s/export" % m)
    assert x.status == 200, x
    assert x.json["survey_responses"] == [{
        "id": r.json["id"], "survey_id": s["id"], "answers": {"nps": 4, "why": "too loud"},
        "points_earned": 0, "activity_id": r.json["activity_id"],
        "created_at": r.json["created_at"]}]
    # patron migrate-store copies surveys, responses and answers with the rest.
    results = d.a.get("/v1/surveys/%s/results" % s["id"]).json
    listed = d.a.get("/v1/surveys?limit=200").json
    d.server.stop()
    os.makedirs(os.path.join(d.dir, "copy"), exist_ok=True)
    target = new_database(os.path.join(d.dir, "copy"))
    out = run_cli("migrate-store", "--from", d.db, "--to", target, check=False)
    assert out.returncode == 0, out.stderr
    server = Server(target, ("--test-clock",))
    try:
        copy = Client(server.port, d.key_a)
        assert copy.get("/v1/surveys/%s/results" % s["id"]).json == results
        assert copy.get("/v1/surveys?limit=200").json == listed
        assert copy.get("/v1/members/%s/export" % m).json["survey_responses"] == \
            x.json["survey_responses"]
        r = copy.post("/v1/surveys/%s/responses" % s["id"], {"member_id": m,
                                                             "answers": {"nps": 1}})
        assert r.status == 409 and r.error["code"] == "already_answered", r
    finally:
        server.stop()
        d.restart()


def test_once_per_member_holds_when_raced(d):
    s = survey(d.a)
    m = new_member(d.a)["id"]
    results = []

    def answer(score):
        c = d.a.with_key(d.key_a)
        results.append(c.post("/v1/surveys/%s/responses" % s["id"],
                              {"member_id": m, "answers": {"nps": score}}))

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(r.status for r in results)
    assert statuses == [201] + [409] * 9, statuses
    assert all(r.error["code"] == "already_answered" for r in results if r.status == 409)
    assert d.a.get("/v1/surveys/" + s["id"]).json["responses"] == 1
