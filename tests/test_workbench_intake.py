"""The intake pages: register, errors, look-ups while typing, confirmation, merge, receipts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from civicdesk.cases.intake import case_create
from civicdesk.cases.models import Case, CaseParty
from tests.conftest import World, case_payload
from tests.helpers import act_ok

INTAKE = reverse("workbench:intake")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def in_page_language(msgid: str) -> str:
    """A message the core already translates, as the (Chinese) page shows it."""
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def signed_in(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def form_post(world: World, **overrides: str) -> dict[str, str]:
    """What the browser sends for a typical walk-in wage case."""
    data = {
        "idempotency_key": "",
        "category": "REQ-WAGE",
        "title": "拖欠工资三个月",
        "description": "某建筑公司拖欠农民工工资三个月，共计两万元。",
        "area": world.village_a.code,
        "address": "东门社区幸福路8号",
        "party-0-name": "张三",
        "party-0-phone": "13812345678",
        "party-0-id_number": "",
        "party-0-organization": "",
        "party-0-role": "requester",
        "type": "",
        "channel": "walk_in",
        "received_at": "",
        "priority": "normal",
    }
    data.update(overrides)
    return data


def register(world: World, username: str = "clerk", **overrides: Any) -> Case:
    case, _created = case_create(actor=world.users[username], data=case_payload(world, **overrides))
    return case


def representative(index: int) -> dict[str, str]:
    prefix = f"party-{index}-"
    return {
        prefix + "name": f"代表{index}",
        prefix + "phone": f"1391234567{index % 10}",
        prefix + "role": "representative",
    }


# --- the form --------------------------------------------------------------------------------


def test_intake_page_shows_the_form_with_its_indexes(world: World) -> None:
    response = signed_in(world, "clerk").get(INTAKE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_category_input"' in html and "autofocus" in html
    categories = response.context["categories"]
    assert {"code": "REQ-WAGE", "initials": "gztq"}.items() <= next(
        c for c in categories if c["code"] == "REQ-WAGE"
    ).items()
    assert '"initials": "gztq"' in html  # embedded for the picker


def test_intake_page_query_count_is_pinned(world: World, django_assert_num_queries: Any) -> None:
    client = signed_in(world, "clerk")
    client.get(INTAKE)  # the first request also records the session's activity
    cache.clear()
    # session, user, role grants; then the indexes: area names, areas, categories
    with django_assert_num_queries(6):
        assert client.get(INTAKE).status_code == 200
    # With the indexes cached only session, user and grants remain, however many rows exist.
    for code in range(10):
        register(world, title=f"案件{code}")
    with django_assert_num_queries(3):
        assert client.get(INTAKE).status_code == 200


def test_intake_registers_the_case_as_typed(world: World) -> None:
    response = signed_in(world, "clerk").post(INTAKE, form_post(world))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:intake_done", args=[case.pk])
    assert (case.type, case.category.code, case.title, case.area, case.channel) == (
        "request",
        "REQ-WAGE",
        "拖欠工资三个月",
        world.village_a,
        "walk_in",
    )
    party = CaseParty.objects.get(case=case)
    assert (party.role, party.name, party.phone) == ("requester", "张三", "13812345678")


def test_idempotency_key_keeps_a_double_submit_to_one_case(world: World) -> None:
    client = signed_in(world, "clerk")
    data = form_post(world, idempotency_key="abc123")
    first = client.post(INTAKE, data)
    second = client.post(INTAKE, data)
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1


def test_bad_input_shows_field_errors_keeps_what_was_typed_and_writes_nothing(
    world: World,
) -> None:
    response = signed_in(world, "clerk").post(
        INTAKE, form_post(world, title="", **{"party-0-phone": "12345"})
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="error-title"' in html
    assert 'id="error-party-0-phone"' in html
    assert "某建筑公司拖欠农民工工资三个月，共计两万元。</textarea>" in html
    assert 'value="12345"' in html
    assert 'value="工资拖欠 (REQ-WAGE)"' in html  # the chosen category is shown again
    assert Case.objects.count() == 0


def test_area_outside_scope_is_refused_next_to_the_area(world: World) -> None:
    response = signed_in(world, "town_clerk").post(INTAKE, form_post(world))
    assert response.status_code == 422
    assert 'id="error-area"' in response.content.decode()
    assert Case.objects.count() == 0


def test_errors_find_their_row_when_an_empty_row_is_skipped(world: World) -> None:
    data = form_post(world, **{"party-1-name": "", "party-1-role": "representative"})
    data.update({"party-2-name": "王五", "party-2-phone": "999", "party-2-role": "respondent"})
    html = signed_in(world, "clerk").post(INTAKE, data).content.decode()
    assert 'id="error-party-2-phone"' in html
    assert 'id="error-party-1-phone"' not in html


def test_anonymous_only_where_the_type_allows(world: World) -> None:
    data = form_post(world, **{"party-0-name": "", "party-0-phone": "", "party-0-anonymous": "on"})
    response = signed_in(world, "clerk").post(INTAKE, data)
    assert 'id="error-party-0-anonymous"' in response.content.decode()
    data["category"] = "CMP-NOISE"
    response = signed_in(world, "clerk").post(INTAKE, data)
    assert response.status_code == 302
    assert CaseParty.objects.get().anonymous


def test_five_representatives_are_accepted_and_a_sixth_refused(world: World) -> None:
    five: dict[str, str] = {}
    for index in range(1, 6):
        five.update(representative(index))
    client = signed_in(world, "clerk")
    assert client.post(INTAKE, form_post(world, **five)).status_code == 302
    six = {**five, **representative(6)}
    response = client.post(INTAKE, form_post(world, **six))
    assert response.status_code == 422
    html = response.content.decode()
    message = in_page_language("A group visit sends at most {n} representatives.").format(n=5)
    assert re.search(r'id="error-parties">\s*<div>' + re.escape(message), html)
    assert Case.objects.count() == 1


@pytest.mark.parametrize("username", ["auditor", "handler", "admin"])
def test_staff_without_the_register_role_get_403(world: World, username: str) -> None:
    client = signed_in(world, username)
    assert client.get(INTAKE).status_code == 403
    assert client.post(INTAKE, form_post(world)).status_code == 403
    assert (
        client.get(reverse("workbench:intake_phone"), {"phone": "13812345678"}).status_code == 403
    )
    assert Case.objects.count() == 0


def test_signed_out_visitor_is_sent_to_sign_in(world: World) -> None:
    response = Client().get(INTAKE)
    assert response.status_code == 302
    assert reverse("workbench:login") in response["Location"]


# --- phone look-up and duplicates ------------------------------------------------------------


def test_phone_look_up_shows_only_cases_in_scope(world: World) -> None:
    mine = register(world, "town_clerk", area=world.village_b.code)
    other = register(world, "clerk")  # same phone, in town A: outside town_clerk's scope
    url = reverse("workbench:intake_phone")
    html = (
        signed_in(world, "town_clerk").get(url, {"party-0-phone": "13812345678"}).content.decode()
    )
    assert mine.receipt_code in html
    assert other.receipt_code not in html
    assert f'href="{reverse("workbench:case", args=[mine.pk])}" data-about-case' in html
    html = signed_in(world, "clerk").get(url, {"party-0-phone": "13800000000"}).content.decode()
    assert 'id="phone-no-matches"' in html


def test_duplicates_suggest_a_similar_case_and_not_an_unrelated_one(world: World) -> None:
    same = register(world)
    unrelated = register(world, title="申请低保", description="家庭困难，申请办理最低生活保障。")
    response = signed_in(world, "clerk").post(
        reverse("workbench:intake_duplicates"),
        {
            "title": "建筑公司拖欠工资",
            "description": "建筑公司拖欠农民工工资三个月",
            "category": "REQ-WAGE",
            "area": world.village_a.code,
        },
    )
    html = response.content.decode()
    assert same.receipt_code in html
    assert unrelated.receipt_code not in html


# --- confirmation and merge ------------------------------------------------------------------


def test_confirmation_shows_the_receipt_code_and_escapes_the_title(world: World) -> None:
    client = signed_in(world, "clerk")
    client.post(INTAKE, form_post(world, title="<script>alert(1)</script>"))
    case = Case.objects.get()
    html = client.get(reverse("workbench:intake_done", args=[case.pk])).content.decode()
    assert case.receipt_code in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_confirmation_outside_scope_is_404(world: World) -> None:
    case = register(world)
    url = reverse("workbench:intake_done", args=[case.pk])
    assert signed_in(world, "town_clerk").get(url).status_code == 404


def test_confirmation_offers_merge_and_merging_moves_the_new_case(world: World) -> None:
    earlier = register(world)
    client = signed_in(world, "clerk")
    client.post(INTAKE, form_post(world))
    new = Case.objects.exclude(pk=earlier.pk).get()
    html = client.get(reverse("workbench:intake_done", args=[new.pk])).content.decode()
    assert f'data-merge-into="{earlier.pk}"' in html
    response = client.post(reverse("workbench:intake_merge", args=[new.pk]), {"into": earlier.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:case", args=[earlier.pk])
    new.refresh_from_db()
    assert (new.status, new.merged_into_id) == ("merged", earlier.pk)


def test_a_refused_merge_is_shown_and_changes_nothing(world: World) -> None:
    closed = register(world)
    act_ok(world, closed.pk, "not_accept")
    client = signed_in(world, "clerk")
    new = register(world)
    response = client.post(
        reverse("workbench:intake_merge", args=[new.pk]), {"into": closed.pk}, follow=True
    )
    assert response.status_code == 200
    assert in_page_language("Merge into another case that is still open.") in (
        response.content.decode()
    )
    new.refresh_from_db()
    assert new.status == "received"


def test_merge_outside_scope_is_404(world: World) -> None:
    earlier, new = register(world), register(world)
    response = signed_in(world, "town_clerk").post(
        reverse("workbench:intake_merge", args=[new.pk]), {"into": earlier.pk}
    )
    assert response.status_code == 404
    new.refresh_from_db()
    assert new.status == "received"


# --- receipts --------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["a5", "80mm"])
def test_receipt_has_code_centre_qr_deadlines_and_masked_phone(
    world: World, layout: str, settings: Any
) -> None:
    settings.CIVICDESK_PUBLIC_TRACK_URL = "https://example.org/track/?code={code}"
    case = register(world, title="<b>拖欠</b>工资")
    url = reverse("workbench:receipt", args=[case.pk])
    response = signed_in(world, "clerk").get(url, {"layout": layout})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-layout="{layout}"' in html
    assert case.receipt_code in html
    assert case.centre.name in html
    assert "<svg" in html and "@page" in html
    assert f"https://example.org/track/?code={case.receipt_code}" in html
    assert "138****5678" in html and "13812345678" not in html
    assert "&lt;b&gt;拖欠&lt;/b&gt;工资" in html
    assert html.count('class="deadline"') == case.clocks.filter(state="running").count() > 0


def test_receipt_outside_scope_is_404(world: World) -> None:
    case = register(world)
    url = reverse("workbench:receipt", args=[case.pk])
    assert signed_in(world, "town_clerk").get(url).status_code == 404
    assert signed_in(world, "auditor").get(url).status_code == 200  # auditors may read
