"""Staff API v1 (DESIGN.md): every endpoint works, scope answers 404, bad input 422 naming the
field with nothing written, search, paging, masking and receipt codes."""

from __future__ import annotations

import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from civicdesk.cases.models import Attachment, Case, CaseClock, CaseEvent, CaseParty
from civicdesk.cases.receipt_codes import (
    ALPHABET,
    CHECK_ALPHABET,
    check_symbol,
    new_receipt_code,
    normalise_receipt_code,
)
from civicdesk.organization.models import User
from civicdesk.organization.tokens import token_issue
from tests.conftest import case_payload
from tests.helpers import (
    FAST_HASHERS,
    act,
    act_ok,
    create_case,
    drive_to,
    post_json,
    snapshot,
    tiny_png,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The world makes ten users; argon2 would spend seconds hashing their test passwords."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def nobody(world) -> Client:
    """A signed-in member of staff with no role at all."""
    user = User.objects.create_user(username="nobody", password="pw-nobody")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user)}")


OUTSIDERS = ["town_clerk", "other_handler", "admin", "nobody"]


def outsider_client(world, name, nobody):
    return nobody if name == "nobody" else world.client(name)


def counts():
    return (Case.objects.count(), CaseEvent.objects.count(), CaseParty.objects.count(),
            Attachment.objects.count())


# --- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/me"),
    ("get", "/api/v1/areas"),
    ("get", "/api/v1/departments"),
    ("get", "/api/v1/categories"),
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/cases/1"),
    ("post", "/api/v1/cases"),
    ("post", "/api/v1/cases/1/actions/accept"),
    ("post", "/api/v1/cases/1/attachments"),
    ("get", "/api/v1/calendar/due?start=2025-03-03T09:00:00%2B08:00&length=1&unit=days"),
])
@pytest.mark.parametrize("token", [None, "cd_not-a-real-token"])
def test_no_or_bad_token_is_401(world, method, path, token):
    before = counts()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}") if token else Client()
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, "{}", content_type="application/json")
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "unauthenticated"
    assert counts() == before


def test_a_revoked_token_is_401(world):
    token = world.token("clerk")
    from civicdesk.organization.models import ApiToken

    ApiToken.objects.filter(user=world.users["clerk"]).update(revoked=True)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/me")
    assert response.status_code == 401


# --- reference endpoints -------------------------------------------------------------------


def test_me(world):
    body = world.client("clerk").get("/api/v1/me").json()
    assert body["username"] == "clerk"
    assert body["roles"] == ["clerk"]
    assert body["departments"] == []
    assert [a["code"] for a in body["areas"]] == [world.county.code]
    assert body["centre"] == world.county_centre.code
    handler = world.client("handler").get("/api/v1/me").json()
    assert handler["roles"] == ["handler"]
    assert handler["departments"] == [{"code": "D-HRSS", "name": "县人社局"}]
    town = world.client("town_clerk").get("/api/v1/me").json()
    assert [a["code"] for a in town["areas"]] == [world.town_b.code]


def test_areas(world):
    body = world.client("clerk").get("/api/v1/areas").json()
    by_code = {a["code"]: a for a in body}
    assert set(by_code) == {world.county.code, world.town_a.code, world.town_b.code,
                            world.village_a.code, world.village_b.code, world.grid_a.code}
    assert by_code[world.county.code]["parent"] is None
    assert by_code[world.grid_a.code]["parent"] == world.village_a.code
    assert by_code[world.village_b.code]["name"] == "西山村"
    assert by_code[world.town_a.code]["level"] == world.town_a.level


def test_departments(world):
    body = world.client("clerk").get("/api/v1/departments").json()
    assert {(d["code"], d["area"]) for d in body} == {
        ("D-HRSS", world.county.code), ("D-LAND", world.town_b.code)}


def test_categories(world):
    body = world.client("clerk").get("/api/v1/categories").json()
    by_code = {c["code"]: c for c in body}
    assert set(by_code) == {"PET", "REQ-WAGE", "CMP-NOISE", "DSP-NEIGH", "HAZ-FIRE", "INC-FIRE"}
    wage = by_code["REQ-WAGE"]
    assert wage["case_type"] == "request"
    assert wage["default_department"] == "D-HRSS"
    policy = {k: (r["length"], r["unit"]) for k, r in wage["deadline_policy"].items()}
    # The category's own handling length over the request rules' other clocks.
    assert policy == {"dispatch": (1, "working_days"), "handling": (5, "working_days"),
                      "follow_up": (3, "working_days")}
    assert all(rule["basis"] for rule in wage["deadline_policy"].values())
    petition = by_code["PET"]["deadline_policy"]
    assert (petition["handling"]["length"], petition["handling"]["unit"]) == (60, "days")
    assert wage["name_zh"] == "工资拖欠"
    assert by_code["PET"]["case_type"] == "petition"


def test_openapi(world):
    response = world.client("clerk").get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in ["/api/v1/me", "/api/v1/cases", "/api/v1/cases/{case_id}",
                 "/api/v1/cases/{case_id}/actions/{action}",
                 "/api/v1/cases/{case_id}/attachments", "/api/v1/calendar/due"]:
        assert path in paths, path
    assert "post" in paths["/api/v1/cases"] and "get" in paths["/api/v1/cases"]


# --- create --------------------------------------------------------------------------------


def test_create_answers_201_with_the_case(world):
    before = Case.objects.count()
    body = create_case(world, location={"lat": 30.27, "lng": 120.15})
    assert Case.objects.count() == before + 1
    assert body["status"] == "received"
    assert body["type"] == "request" and body["category"] == "REQ-WAGE"
    assert body["area"] == world.village_a.code
    assert body["centre"] == world.town_centre.code
    assert body["location"] == {"lat": 30.27, "lng": 120.15}
    assert body["version"] == 1
    assert [e["kind"] for e in body["events"]] == ["create"]
    assert body["events"][0]["actor"] == "clerk"
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z*~$=]{5}", body["receipt_code"])
    assert normalise_receipt_code(body["receipt_code"]) == body["receipt_code"]


def test_a_grid_worker_may_report_in_their_grid_only(world):
    body = create_case(world, "grid_worker", area=world.grid_a.code, channel="grid")
    assert body["area"] == world.grid_a.code
    before = counts()
    response = post_json(world.client("grid_worker"), "/api/v1/cases",
                         case_payload(world, area=world.village_a.code))
    assert response.status_code == 422
    assert "area" in response.json()["errors"]
    assert counts() == before


def test_idempotent_create(world):
    client = world.client("clerk")
    payload = case_payload(world, idempotency_key="kiosk-7:2025-0001")
    before = Case.objects.count()
    first = post_json(client, "/api/v1/cases", payload)
    second = post_json(client, "/api/v1/cases", payload)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["receipt_code"] == second.json()["receipt_code"]
    assert Case.objects.count() == before + 1
    assert CaseEvent.objects.filter(case_id=first.json()["id"], kind="create").count() == 1
    # Another member of staff's key is theirs alone.
    other = post_json(world.client("dispatcher"), "/api/v1/cases", payload)
    assert other.status_code == 201
    assert other.json()["id"] != first.json()["id"]


def _bad(world, **overrides):
    return case_payload(world, **overrides)


BAD_INPUTS = {
    "future received_at": ({"received_at": "2999-01-01T09:00:00+08:00"}, "received_at"),
    "malformed received_at": ({"received_at": "next tuesday"}, "received_at"),
    "unknown category": ({"category": "NOPE"}, "category"),
    "category of another type": ({"category": "CMP-NOISE"}, "category"),
    "unknown type": ({"type": "gossip"}, "type"),
    "unknown channel": ({"channel": "pigeon"}, "channel"),
    "unknown area": ({"area": "999999"}, "area"),
    "empty title": ({"title": "  "}, "title"),
    "location out of range": ({"location": {"lat": 95, "lng": 120}}, "location"),
    "malformed phone": ({"parties": [{"role": "requester", "name": "张三", "phone": "12345"}]},
                        "parties[0].phone"),
    "bad ID check digit": (
        {"parties": [{"role": "requester", "name": "张三", "phone": "13812345678",
                      "id_number": "110105194912310021"}]},
        "parties[0].id_number",
    ),
    "six representatives": (
        {"type": "petition", "category": "PET",
         "parties": [{"role": "representative", "name": f"代表{i}", "phone": "13812345678"}
                     for i in range(6)]},
        "parties",
    ),
    "anonymous request": ({"parties": [{"anonymous": True}]}, "parties[0].anonymous"),
    "no requester": ({"parties": []}, "parties"),
    "unknown party role": ({"parties": [{"role": "boss", "name": "张三"}]}, "parties[0].role"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_422_naming_the_field_and_writes_nothing(world, case):
    overrides, field = BAD_INPUTS[case]
    before = counts()
    response = post_json(world.client("clerk"), "/api/v1/cases", _bad(world, **overrides))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"]
    assert field in body["errors"], body["errors"]
    assert all(isinstance(p, str) and p for p in body["errors"][field])
    assert counts() == before


def test_area_outside_the_callers_scope_is_422(world):
    before = counts()
    response = post_json(world.client("town_clerk"), "/api/v1/cases",
                         case_payload(world, area=world.village_a.code))
    assert response.status_code == 422
    assert "area" in response.json()["errors"]
    assert counts() == before
    # ...while their own township is fine.
    body = create_case(world, "town_clerk", area=world.village_b.code)
    assert body["centre"] == world.county_centre.code


def test_several_problems_are_reported_together(world):
    response = post_json(world.client("clerk"), "/api/v1/cases", case_payload(
        world, category="NOPE", area="999999",
        parties=[{"name": "张三", "phone": "12"}]))
    assert response.status_code == 422
    assert {"category", "area", "parties[0].phone"} <= set(response.json()["errors"])


def test_five_representatives_are_allowed(world):
    body = create_case(world, type="petition", category="PET", parties=[
        {"role": "representative", "name": f"代表{i}", "phone": "13812345678"} for i in range(5)])
    assert len(body["parties"]) == 5


def test_anonymous_complaint_is_allowed_and_stores_no_identity(world):
    body = create_case(world, type="complaint", category="CMP-NOISE", title="夜间噪音扰民",
                       description="酒吧夜间噪音扰民。",
                       parties=[{"anonymous": True, "name": "李四", "phone": "13912345678"}])
    party = body["parties"][0]
    assert party["anonymous"] is True
    assert party["name"] == "" and party["phone"] == ""
    assert CaseParty.objects.get(case_id=body["id"]).phone == ""


def test_a_valid_id_number_and_landline_are_accepted_and_masked(world):
    body = create_case(world, parties=[{"role": "requester", "name": "张三",
                                        "phone": "0571-87654321",
                                        "id_number": "11010519491231002x"}])
    party = body["parties"][0]
    assert party["id_number"] == "1101**********002X"
    assert "87654321" not in party["phone"]
    assert CaseParty.objects.get(case_id=body["id"]).id_number == "11010519491231002X"


def test_phones_are_masked_in_case_detail(world):
    created = create_case(world, parties=[{"role": "requester", "name": "张三",
                                           "phone": "+86 138 1234 5678"}])
    response = world.client("clerk").get(f"/api/v1/cases/{created['id']}")
    assert response.json()["parties"][0]["phone"] == "138****5678"
    assert b"13812345678" not in response.content
    assert created["parties"][0]["phone"] == "138****5678"


def test_anonymous_party_on_a_request_is_refused_but_allowed_on_a_complaint(world):
    before = counts()
    response = post_json(world.client("clerk"), "/api/v1/cases",
                         case_payload(world, parties=[{"anonymous": True}]))
    assert response.status_code == 422
    assert "parties[0].anonymous" in response.json()["errors"]
    assert counts() == before
    ok = post_json(world.client("clerk"), "/api/v1/cases", case_payload(
        world, type="complaint", category="CMP-NOISE", parties=[{"anonymous": True}]))
    assert ok.status_code == 201, ok.content


def test_a_missing_required_field_is_422(world):
    payload = case_payload(world)
    del payload["title"]
    before = counts()
    response = post_json(world.client("clerk"), "/api/v1/cases", payload)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "title" in response.json()["errors"], response.json()
    assert counts() == before


def test_staff_without_an_intake_role_cannot_register(world, nobody):
    before = counts()
    for client in (nobody, world.client("admin"), world.client("handler")):
        response = post_json(client, "/api/v1/cases", case_payload(world))
        assert response.status_code in (403, 422), response.content
    assert counts() == before


# --- detail and scope ----------------------------------------------------------------------


def test_case_detail(world):
    case_id = create_case(world)["id"]
    body = world.client("clerk").get(f"/api/v1/cases/{case_id}").json()
    for key in ("receipt_code", "status", "deadlines", "events", "parties", "allowed_actions",
                "version"):
        assert key in body
    deadline = body["deadlines"][0]
    assert {"kind", "due_at", "basis", "state"} <= set(deadline)
    event = body["events"][0]
    assert {"kind", "actor", "at", "params"} <= set(event)
    assert set(body["allowed_actions"]) == {"accept", "not_accept", "redirect", "merge"}
    assert world.client("dispatcher").get(f"/api/v1/cases/{case_id}").json()[
        "allowed_actions"] == ["accept", "not_accept", "redirect", "escalate", "merge"]


def test_legal_basis_is_stored_once_and_read_in_the_callers_language(world):
    case_id = create_case(world)["id"]
    stored = CaseClock.objects.filter(case_id=case_id).values_list("basis", flat=True).first()
    url = f"/api/v1/cases/{case_id}"
    in_chinese = world.client("clerk").get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    in_english = world.client("clerk").get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    chinese, english = in_chinese["deadlines"][0]["basis"], in_english["deadlines"][0]["basis"]
    assert english == stored  # stored in the source language
    assert chinese != english and re.search(r"[\u4e00-\u9fff]", chinese)


def test_unknown_case_is_404(world):
    response = world.client("clerk").get("/api/v1/cases/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_case_outside_scope_is_404_everywhere(world, nobody, outsider):
    case_id = drive_to(world, "in_progress")
    client = outsider_client(world, outsider, nobody)
    before = counts(), snapshot(case_id)
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 404
    listed = client.get("/api/v1/cases").json()["results"]
    assert case_id not in [c["id"] for c in listed]
    for action, body in [("report", {"result": "x", "reply": "y"}), ("close", {}),
                         ("accept", {}), ("teleport", {})]:
        response = post_json(client, f"/api/v1/cases/{case_id}/actions/{action}", body)
        assert response.status_code == 404, (outsider, action, response.content)
        assert response.json()["code"] == "not_found"
    upload = SimpleUploadedFile("photo.png", tiny_png(), content_type="image/png")
    response = client.post(f"/api/v1/cases/{case_id}/attachments", {"file": upload})
    assert response.status_code == 404
    assert (counts(), snapshot(case_id)) == before


def test_scope_follows_areas_departments_and_leadership(world):
    in_a = create_case(world)["id"]
    in_b = create_case(world, area=world.village_b.code, title="西山村宅基地纠纷")["id"]
    town = world.client("town_clerk")
    assert town.get(f"/api/v1/cases/{in_b}").status_code == 200
    assert town.get(f"/api/v1/cases/{in_a}").status_code == 404
    assert [c["id"] for c in town.get("/api/v1/cases").json()["results"]] == [in_b]
    # The handler and the leader see a case once it is dispatched to them.
    assert world.client("handler").get(f"/api/v1/cases/{in_a}").status_code == 404
    assert world.client("leader").get(f"/api/v1/cases/{in_a}").status_code == 404
    act_ok(world, in_a, "accept")
    act_ok(world, in_a, "dispatch")
    assert world.client("handler").get(f"/api/v1/cases/{in_a}").status_code == 200
    assert world.client("dept_head").get(f"/api/v1/cases/{in_a}").status_code == 200
    assert world.client("leader").get(f"/api/v1/cases/{in_a}").status_code == 200
    assert world.client("other_handler").get(f"/api/v1/cases/{in_a}").status_code == 404
    assert world.client("auditor").get(f"/api/v1/cases/{in_a}").status_code == 200


def test_admin_sees_no_case_content(world):
    create_case(world)
    admin = world.client("admin")
    assert admin.get("/api/v1/cases").json()["results"] == []
    assert admin.get("/api/v1/me").status_code == 200


def test_a_visible_case_but_a_forbidden_action_is_403(world):
    case_id = create_case(world)["id"]
    before = snapshot(case_id)
    response = act(world, case_id, "accept", "auditor")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert snapshot(case_id) == before


def test_unknown_action_in_scope_is_422(world):
    case_id = create_case(world)["id"]
    before = snapshot(case_id)
    response = post_json(world.client("clerk"), f"/api/v1/cases/{case_id}/actions/teleport", {})
    assert response.status_code == 422
    assert "action" in response.json()["errors"]
    assert snapshot(case_id) == before


def test_actions_work(world):
    case_id = create_case(world)["id"]
    body = act_ok(world, case_id, "accept", note="材料齐全")
    assert body["status"] == "accepted"
    assert body["events"][1]["params"] == {"note": "材料齐全"}


# --- attachments ---------------------------------------------------------------------------


def test_a_real_png_is_accepted(world):
    case_id = create_case(world)["id"]
    png = tiny_png()
    upload = SimpleUploadedFile("现场照片.png", png, content_type="image/png")
    response = world.client("clerk").post(f"/api/v1/cases/{case_id}/attachments",
                                          {"file": upload})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "image/png"
    assert body["size"] == len(png)
    assert body["name"] == "现场照片.png"
    import hashlib

    assert body["sha256"] == hashlib.sha256(png).hexdigest()
    attachment = Attachment.objects.get(pk=body["id"])
    assert attachment.case_id == case_id
    with attachment.file.open("rb") as stored:
        assert stored.read() == png
    event = CaseEvent.objects.filter(case_id=case_id).latest("id")
    assert event.kind == "attachment_added" and event.params["attachment"] == body["id"]


def test_the_type_comes_from_the_content_not_the_name(world):
    case_id = create_case(world)["id"]
    before = counts()
    for name, content, declared in [
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
        ("notes.jpg", "只是一些文字".encode(), "image/jpeg"),
        ("scan.pdf", b"#!/bin/sh\nrm -rf /\n", "application/pdf"),
    ]:
        upload = SimpleUploadedFile(name, content, content_type=declared)
        response = world.client("clerk").post(f"/api/v1/cases/{case_id}/attachments",
                                              {"file": upload})
        assert response.status_code == 422, (name, response.content)
        assert response.json()["code"] == "invalid"
        assert "file" in response.json()["errors"]
    assert counts() == before


def test_an_oversized_attachment_is_refused(world, settings):
    settings.CIVICDESK_MAX_ATTACHMENT_BYTES = 32
    case_id = create_case(world)["id"]
    before = counts()
    upload = SimpleUploadedFile("photo.png", tiny_png(), content_type="image/png")
    response = world.client("clerk").post(f"/api/v1/cases/{case_id}/attachments",
                                          {"file": upload})
    assert response.status_code == 422, response.content
    assert "file" in response.json()["errors"]
    assert counts() == before


def test_an_empty_or_missing_file_is_refused(world):
    case_id = create_case(world)["id"]
    before = counts()
    empty = SimpleUploadedFile("empty.png", b"", content_type="image/png")
    client = world.client("clerk")
    response = client.post(f"/api/v1/cases/{case_id}/attachments", {"file": empty})
    assert response.status_code == 422
    response = client.post(f"/api/v1/cases/{case_id}/attachments", {})
    assert response.status_code == 422
    assert "file" in response.json()["errors"], response.json()
    assert counts() == before


# --- lists, filters, search, paging --------------------------------------------------------


@pytest.fixture
def three_cases(world):
    wage = create_case(world, title="拖欠农民工工资三个月",
                       description="某建筑公司拖欠农民工工资三个月，共计两万元。")["id"]
    noise = create_case(world, type="complaint", category="CMP-NOISE",
                        area=world.village_b.code, title="楼下酒吧夜间噪音扰民",
                        description="楼下酒吧夜间噪音扰民严重，影响休息。")["id"]
    petition = create_case(world, type="petition", category="PET", title="反映征地补偿问题",
                           description="村民反映征地补偿款未足额发放。")["id"]
    act_ok(world, wage, "accept")
    act_ok(world, wage, "dispatch")
    return {"wage": wage, "noise": noise, "petition": petition}


def _ids(world, query):
    response = world.client("dispatcher").get("/api/v1/cases" + query)
    assert response.status_code == 200, (query, response.content)
    return sorted(c["id"] for c in response.json()["results"])


def test_list_filters(world, three_cases):
    wage, noise, petition = three_cases["wage"], three_cases["noise"], three_cases["petition"]
    assert _ids(world, "") == sorted([wage, noise, petition])
    assert _ids(world, "?status=received") == sorted([noise, petition])
    assert _ids(world, "?status=dispatched") == [wage]
    assert _ids(world, "?status=dispatched&status=received") == sorted([wage, noise, petition])
    assert _ids(world, "?type=complaint") == [noise]
    assert _ids(world, "?type=petition&type=request") == sorted([wage, petition])
    assert _ids(world, f"?area={world.town_b.code}") == [noise]
    assert _ids(world, f"?area={world.town_a.code}") == sorted([wage, petition])
    assert _ids(world, f"?area={world.county.code}") == sorted([wage, noise, petition])
    assert _ids(world, "?area=000000") == []
    assert _ids(world, "?department=D-HRSS") == [wage]
    assert _ids(world, "?department=D-LAND") == []
    assert _ids(world, "?overdue=true") == []
    assert _ids(world, "?overdue=false") == sorted([wage, noise, petition])


def test_overdue_filter_finds_late_cases(world, three_cases):
    late = create_case(world, received_at="2025-03-03T09:00:00+08:00")["id"]
    assert _ids(world, "?overdue=true") == [late]
    assert late not in _ids(world, "?overdue=false")
    assert _ids(world, "?overdue=true&type=complaint") == []


@pytest.mark.parametrize(("query", "field"), [
    ("?status=bogus", "status"), ("?type=gossip", "type"), ("?overdue=perhaps", "overdue"),
    ("?page=0", "page"), ("?page=abc", "page"),
])
def test_bad_filters_are_422(world, query, field):
    response = world.client("clerk").get("/api/v1/cases" + query)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"], response.json()


def test_chinese_full_text_search(world, three_cases):
    wage, noise = three_cases["wage"], three_cases["noise"]
    assert _ids(world, "?q=工资") == [wage]
    assert _ids(world, "?q=噪音") == [noise]
    assert _ids(world, "?q=拖欠") == [wage]
    assert _ids(world, "?q=地震") == []
    assert _ids(world, "?q=工资 噪音") == []
    assert _ids(world, "?q=工资&type=request") == [wage]
    assert _ids(world, "?q=工资&type=complaint") == []
    assert _ids(world, f"?q=噪音&area={world.town_b.code}") == [noise]
    assert _ids(world, f"?q=噪音&area={world.town_a.code}") == []
    assert _ids(world, "?q=工资&status=dispatched&department=D-HRSS") == [wage]
    assert _ids(world, "?q=工资&status=received") == []
    # Search respects scope: the township clerk of town B never finds the wage case.
    town = world.client("town_clerk").get("/api/v1/cases?q=工资").json()["results"]
    assert town == []


def test_search_finds_the_report_text_too(world, three_cases):
    wage = three_cases["wage"]
    assert _ids(world, "?q=仲裁") == []
    act_ok(world, wage, "sign")
    act_ok(world, wage, "report", result="已引导申请劳动仲裁", reply="建议申请劳动仲裁。")
    assert _ids(world, "?q=仲裁") == [wage]


def test_search_ignores_punctuation_and_injection(world, three_cases):
    client = world.client("dispatcher")

    def search(text):
        response = client.get("/api/v1/cases", {"q": text})
        assert response.status_code == 200, (text, response.content)
        return sorted(c["id"] for c in response.json()["results"])

    # FTS5 and tsquery syntax is not passed through: quotes, stars, NEAR, parentheses.
    assert search('"工资"*') == [three_cases["wage"]]
    assert search("工资) OR (噪音") == []  # every word must match, "or" included
    assert search("NEAR(工资 噪音)") == []
    assert search("')--; DROP TABLE cases_case; --") == []
    assert search("')--") == []  # no searchable word: nothing matches (not everything)
    assert search("") == sorted(three_cases.values())  # an empty box is no search at all
    assert Case.objects.count() == 3


def test_pagination_has_next_and_no_total(world, settings):
    settings.CIVICDESK_PAGE_SIZE = 2
    made = [create_case(world, title=f"第{i}件")["id"] for i in range(3)]
    client = world.client("clerk")
    first = client.get("/api/v1/cases").json()
    assert [c["id"] for c in first["results"]] == [made[2], made[1]]  # newest first
    assert first["has_next"] is True and first["next_page"] == 2 and first["page"] == 1
    second = client.get("/api/v1/cases?page=2").json()
    assert [c["id"] for c in second["results"]] == [made[0]]
    assert second["has_next"] is False and second["next_page"] is None
    third = client.get("/api/v1/cases?page=3").json()
    assert third["results"] == [] and third["has_next"] is False
    for page in (first, second):
        assert not {"count", "total", "total_count", "num_pages", "pages"} & set(page)


def test_a_full_last_page_has_no_next(world, settings):
    settings.CIVICDESK_PAGE_SIZE = 2
    for i in range(2):
        create_case(world, title=f"第{i}件")
    body = world.client("clerk").get("/api/v1/cases").json()
    assert len(body["results"]) == 2 and body["has_next"] is False


def test_list_summaries_carry_no_party_details(world):
    create_case(world)
    response = world.client("clerk").get("/api/v1/cases")
    assert b"13812345678" not in response.content
    assert "parties" not in response.json()["results"][0]


# --- receipt codes -------------------------------------------------------------------------

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{4}[0-9A-HJKMNP-TV-Z*~$=U]$")


def _raw(code: str) -> str:
    return code.replace("-", "")


def _display(raw: str) -> str:
    return f"{raw[:5]}-{raw[5:]}"


def test_receipt_codes_have_the_format_and_a_valid_check():
    codes = {new_receipt_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert CODE.match(code), code
        raw = _raw(code)
        assert check_symbol(raw[:9]) == raw[9]
        assert normalise_receipt_code(code) == code
        assert normalise_receipt_code(code.lower()) == code
        assert normalise_receipt_code(raw.lower()) == code
        assert normalise_receipt_code(" " + code.replace("-", " - ") + " ") == code


def test_typed_o_and_i_are_read_as_0_and_1():
    body = "O1I00L000"
    canonical = body.replace("O", "0").replace("I", "1").replace("L", "1")
    code = _display(canonical + check_symbol(canonical))
    assert normalise_receipt_code(body.lower() + check_symbol(canonical)) == code


codes = st.text(alphabet=ALPHABET, min_size=9, max_size=9).map(lambda b: b + check_symbol(b))


@settings(max_examples=300, deadline=None)
@given(raw=codes, position=st.integers(0, 9), replacement=st.sampled_from(CHECK_ALPHABET))
def test_a_single_changed_symbol_is_rejected(raw, position, replacement):
    assert normalise_receipt_code(raw) == _display(raw)
    if raw[position] == replacement:
        return
    changed = raw[:position] + replacement + raw[position + 1:]
    assert normalise_receipt_code(changed) is None, (raw, changed)


@settings(max_examples=300, deadline=None)
@given(raw=codes, position=st.integers(0, 8))
def test_a_swap_of_neighbours_is_rejected(raw, position):
    first, second = raw[position], raw[position + 1]
    if first == second:
        return
    swapped = raw[:position] + second + first + raw[position + 2:]
    assert normalise_receipt_code(swapped) is None, (raw, swapped)


def test_every_single_change_and_swap_on_many_random_codes():
    rng = random.Random(20250303)
    for _ in range(200):
        raw = _raw(new_receipt_code())
        for position in range(10):
            for symbol in CHECK_ALPHABET:
                if symbol != raw[position]:
                    changed = raw[:position] + symbol + raw[position + 1:]
                    assert normalise_receipt_code(changed) is None, (raw, changed)
        for position in range(9):
            if raw[position] != raw[position + 1]:
                swapped = (raw[:position] + raw[position + 1] + raw[position]
                           + raw[position + 2:])
                assert normalise_receipt_code(swapped) is None, (raw, swapped)
        assert normalise_receipt_code(raw[:-1]) is None
        assert normalise_receipt_code(raw + rng.choice(ALPHABET)) is None


def test_garbage_is_not_a_receipt_code():
    for text in ["", "hello", "12345-6789", "ABCDE-FGHIJK", "!!!!!-!!!!!",
                 "工资工资工-资工资工资工"]:
        assert normalise_receipt_code(text) is None, text


def test_a_null_character_in_any_text_is_invalid_input_naming_the_field(world):
    """PostgreSQL cannot store U+0000: it is refused as bad input on every database, never a
    server error (found by tests/test_security_api_fuzz.py on PostgreSQL)."""
    from tests.conftest import case_payload

    client = world.client("clerk")
    before = Case.objects.count()
    body = case_payload(world, title="拖欠\x00工资")
    response = client.post("/api/v1/cases", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["title"]
    body = case_payload(world, parties=[{"role": "requester", "name": "张\x00三"}])
    response = client.post(
        "/api/v1/cases", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "parties[0].name": ["Remove the null character from the text."]
    }
    assert Case.objects.count() == before
