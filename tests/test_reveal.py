"""Personal data masked by default; revealed with a purpose by those who handle the case, each
reveal logged (issue 5 item 2)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from civicdesk.audit.choices import AccessAction
from civicdesk.audit.models import AccessRecord
from civicdesk.cases.models import CaseParty
from tests.helpers import create_case, post_json

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"
EMAIL = "zhang@example.org"
PARTY = {"role": "requester", "name": "张三", "phone": PHONE, "id_number": ID_NUMBER,
         "email": EMAIL}
PURPOSE = "Call the party back about this case"


@pytest.fixture
def case(world: Any) -> dict[str, Any]:
    return create_case(world, parties=[PARTY])


def party_id(case: dict[str, Any]) -> int:
    return int(CaseParty.objects.get(case_id=case["id"]).pk)


def reveal_url(case: dict[str, Any]) -> str:
    return f"/api/v1/cases/{case['id']}/parties/{party_id(case)}/reveal"


def web_client(world: Any, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def assert_masked(text: str) -> None:
    assert PHONE not in text and ID_NUMBER not in text and EMAIL not in text


# --- masked everywhere ------------------------------------------------------------------------


def test_api_case_detail_is_masked(world: Any, case: dict[str, Any]) -> None:
    response = world.client("clerk").get(f"/api/v1/cases/{case['id']}")
    assert response.status_code == 200
    assert_masked(response.content.decode())
    (party,) = response.json()["parties"]
    assert party["phone"] == "138****5678"
    assert party["id_number"] == "1101**********002X"
    assert party["email"] == "z***@example.org"
    assert party["id"] == party_id(case)


def test_api_create_answer_is_masked(world: Any, case: dict[str, Any]) -> None:
    assert_masked(str(case))


def test_case_page_is_masked(world: Any, case: dict[str, Any]) -> None:
    response = web_client(world, "clerk").get(reverse("workbench:case", args=[case["id"]]))
    assert response.status_code == 200
    html = response.content.decode()
    assert_masked(html)
    assert "138****5678" in html


def test_intake_receipt_is_masked(world: Any, case: dict[str, Any]) -> None:
    response = web_client(world, "clerk").get(reverse("workbench:receipt", args=[case["id"]]))
    assert response.status_code == 200
    assert_masked(response.content.decode())


def test_case_list_and_search_answers_are_masked(world: Any, case: dict[str, Any]) -> None:
    response = world.client("clerk").get("/api/v1/cases")
    assert response.status_code == 200
    assert_masked(response.content.decode())


# --- reveal through the API -------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("phone", PHONE), ("id_number", ID_NUMBER),
                                              ("email", EMAIL)])
def test_handler_role_reveals_with_a_purpose_and_it_is_logged(
    world: Any, case: dict[str, Any], field: str, value: str
) -> None:
    response = post_json(
        world.client("clerk"), reveal_url(case), {"field": field, "purpose": PURPOSE}
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"field": field, "value": value}
    record = AccessRecord.objects.get(action=AccessAction.REVEAL)
    assert record.user == world.users["clerk"] and record.case_id == case["id"]
    assert record.detail == {"field": field, "purpose": PURPOSE, "party": party_id(case)}
    assert record.channel == "api"


@pytest.mark.parametrize("username", ["auditor", "admin"])
def test_roles_that_do_not_handle_the_case_cannot_reveal(
    world: Any, case: dict[str, Any], username: str
) -> None:
    can_see = world.client(username).get(f"/api/v1/cases/{case['id']}").status_code == 200
    response = post_json(
        world.client(username), reveal_url(case), {"field": "phone", "purpose": PURPOSE}
    )
    assert response.status_code == (403 if can_see else 404)
    assert PHONE not in response.content.decode()
    assert not AccessRecord.objects.filter(action=AccessAction.REVEAL).exists()


def test_outside_scope_is_not_found(world: Any) -> None:
    case = create_case(world, parties=[PARTY], area=world.village_a.code)
    outsider = next(
        name for name in ("town_clerk", "other_handler", "grid_worker")
        if world.client(name).get(f"/api/v1/cases/{case['id']}").status_code == 404
    )
    response = post_json(
        world.client(outsider), reveal_url(case), {"field": "phone", "purpose": PURPOSE}
    )
    assert response.status_code == 404


def test_party_of_another_case_is_not_found(world: Any, case: dict[str, Any]) -> None:
    other = create_case(world)
    url = f"/api/v1/cases/{other['id']}/parties/{party_id(case)}/reveal"
    response = post_json(world.client("clerk"), url, {"field": "phone", "purpose": PURPOSE})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"field": "phone", "purpose": ""}, "purpose"),
        ({"field": "phone", "purpose": "  ab "}, "purpose"),
        ({"field": "phone", "purpose": "x" * 201}, "purpose"),
        ({"field": "name", "purpose": PURPOSE}, "field"),
        ({"field": "phone"}, "purpose"),
    ],
)
def test_bad_input_names_the_field_and_logs_nothing(
    world: Any, case: dict[str, Any], body: dict[str, str], named: str
) -> None:
    response = post_json(world.client("clerk"), reveal_url(case), body)
    assert response.status_code in (400, 422)
    assert named in response.json()["errors"]
    assert PHONE not in response.content.decode()
    assert not AccessRecord.objects.filter(action=AccessAction.REVEAL).exists()


def test_error_texts_in_english_and_chinese(world: Any, case: dict[str, Any]) -> None:
    body = json.dumps({"field": "phone", "purpose": ""})
    answers = {
        language: world.client("clerk").post(
            reveal_url(case), body, content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        ).json()["errors"]["purpose"][0]
        for language in ("en", "zh-hans")
    }
    assert "at least 4 characters" in answers["en"]
    assert answers["zh-hans"] != answers["en"] and "4" in answers["zh-hans"]


# --- reveal on the case page -------------------------------------------------------------------


def web_reveal_url(case: dict[str, Any]) -> str:
    return reverse("workbench:case_party_reveal", args=[case["id"], party_id(case)])


def test_case_page_offers_show_to_those_who_may_reveal(world: Any, case: dict[str, Any]) -> None:
    page = web_client(world, "clerk").get(
        reverse("workbench:case", args=[case["id"]]), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = page.content.decode()
    assert web_reveal_url(case) in html and "reveal-control" in html
    assert "csrfmiddlewaretoken" in html


def test_case_page_has_no_show_for_an_auditor(world: Any, case: dict[str, Any]) -> None:
    page = web_client(world, "auditor").get(reverse("workbench:case", args=[case["id"]]))
    assert page.status_code == 200
    assert "reveal-control" not in page.content.decode()


def test_web_reveal_swaps_in_the_value_and_logs(world: Any, case: dict[str, Any]) -> None:
    response = web_client(world, "clerk").post(
        web_reveal_url(case),
        {"field": "phone", "purpose": "回电核实诉求情况"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    record = AccessRecord.objects.get(action=AccessAction.REVEAL)
    assert record.detail["purpose"] == "回电核实诉求情况" and record.channel == "web"


def test_web_reveal_without_purpose_shows_the_form_again(
    world: Any, case: dict[str, Any]
) -> None:
    response = web_client(world, "clerk").post(
        web_reveal_url(case),
        {"field": "phone", "purpose": "", "masked": "138****5678"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert PHONE not in html and "at least 4 characters" in html
    assert not AccessRecord.objects.filter(action=AccessAction.REVEAL).exists()


def test_forged_web_reveal_is_refused(world: Any, case: dict[str, Any]) -> None:
    for username in ("auditor", "admin"):
        response = web_client(world, username).post(
            web_reveal_url(case), {"field": "phone", "purpose": PURPOSE}
        )
        assert response.status_code in (403, 404)
        assert PHONE not in response.content.decode()
    assert not AccessRecord.objects.filter(action=AccessAction.REVEAL).exists()


def test_web_reveal_needs_the_csrf_token(world: Any, case: dict[str, Any]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["clerk"])
    response = client.post(web_reveal_url(case), {"field": "phone", "purpose": PURPOSE})
    assert response.status_code == 403
    assert not AccessRecord.objects.filter(action=AccessAction.REVEAL).exists()


def test_auditor_page_lists_reveals(world: Any, case: dict[str, Any]) -> None:
    post_json(world.client("clerk"), reveal_url(case), {"field": "phone", "purpose": PURPOSE})
    page = web_client(world, "auditor").get("/audit/", {"action": "reveal"})
    assert page.status_code == 200
    assert PURPOSE in page.content.decode()
