"""The configuration pages (Django admin): every configuration model's list and add pages load
for a superuser in both languages, field-level validation, autocomplete, and no case content."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from civicdesk.cases.models import Category, DeadlineOverride
from civicdesk.core.models import CalendarOverride, CalendarYear
from civicdesk.organization.models import DutyShift, User
from tests.conftest import World

MODELS = [
    "organization/area",
    "organization/centre",
    "organization/department",
    "organization/user",
    "organization/roleassignment",
    "organization/dutyshift",
    "organization/apitoken",
    "cases/category",
    "cases/deadlineoverride",
    "core/calendaroverride",
    "core/calendaryear",
    "documents/documenttemplate",
]
# Tokens are issued with `manage.py issue_token`, which shows the token once: no add page.
NO_ADD_PAGE = {"organization/apitoken"}


@pytest.fixture
def config(world: World) -> World:
    """A row of each configuration model, so every list has something to show."""
    DeadlineOverride.objects.create(
        area=world.county,
        case_type="request",
        kind="handling",
        length=10,
        unit="working_days",
        basis="本县12345工作规定",
    )
    CalendarOverride.objects.create(date=dt.date(2027, 1, 1), working=False, name="元旦")
    CalendarYear.objects.create(year=2027, note="国务院办公厅通知")
    start = timezone.now()
    DutyShift.objects.create(
        centre=world.county_centre,
        post="A",
        user=world.users["clerk"],
        starts_at=start,
        ends_at=start + dt.timedelta(hours=8),
    )
    world.token("clerk")
    User.objects.create_superuser("root", password="pw-root", email="")
    return world


def _root(language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.get(username="root"))
    return client


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("model", MODELS)
def test_list_add_and_change_pages_load(config: World, model: str, language: str) -> None:
    client = _root(language)
    changelist = client.get(f"/admin/{model}/")
    assert changelist.status_code == 200, model
    assert f'lang="{language}"' in changelist.content.decode()
    add = client.get(f"/admin/{model}/add/")
    assert add.status_code == (403 if model in NO_ADD_PAGE else 200), model
    first = re.search(rf'href="/admin/{model}/(\d+)/change/', changelist.content.decode())
    assert first is not None, model
    assert client.get(f"/admin/{model}/{first.group(1)}/change/").status_code == 200, model


def test_list_search_and_filters_answer(config: World) -> None:
    client = _root("en")
    for url in [
        "/admin/organization/area/?q=东城",
        "/admin/organization/department/?kind__exact=land",
        "/admin/organization/user/?role_assignments__role=handler",
        "/admin/organization/dutyshift/?q=clerk",
        "/admin/cases/category/?case_type__exact=petition",
        "/admin/cases/deadlineoverride/?q=12345",
        "/admin/core/calendaroverride/?q=元旦",
        "/admin/documents/documenttemplate/?kind__exact=reply_letter&language__exact=en",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "errornote" not in response.content.decode(), url
    handlers = client.get("/admin/organization/user/?role_assignments__role=handler")
    html = handlers.content.decode()
    assert ">handler<" in html and ">other_handler<" in html and ">clerk<" not in html


def test_staff_pages_show_roles_inline_and_centre_on_add(config: World) -> None:
    client = _root("en")
    clerk = config.users["clerk"]
    change = client.get(f"/admin/organization/user/{clerk.pk}/change/").content.decode()
    assert 'id="role_assignments-group"' in change
    add = client.get("/admin/organization/user/add/").content.decode()
    assert 'name="display_name"' in add and 'name="centre"' in add
    listing = client.get("/admin/organization/user/").content.decode()
    assert "Intake clerk" in listing  # the roles column


def test_autocomplete_for_foreign_keys(config: World) -> None:
    response = _root("en").get(
        "/admin/autocomplete/",
        {
            "app_label": "organization",
            "model_name": "department",
            "field_name": "area",
            "term": "东城",
        },
    )
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["东城街道 (330100001)"]


def _errors_of(html: str, field: str) -> str:
    """The text of the form row of `field` (where the admin shows its errors)."""
    start = html.index(f"field-{field}")
    end = html.find('<div class="form-row', start + 1)
    return html[start : end if end != -1 else None]


def _category_form(**changes: Any) -> dict[str, Any]:
    data = {
        "code": "REQ-NEW",
        "name_zh": "新类别",
        "name_en": "New category",
        "case_type": "request",
        "deadline_policy": "{}",
        "public": "on",
        "active": "on",
        "_save": "Save",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ('{"handling": {"length": 0}}', "needs a whole-number length of at least 1"),
        ('{"handling": {"length": 5, "unit": "weeks"}}', "has an unknown unit"),
        ('{"no_such_clock": {"length": 5}}', "Unknown clock"),
        ('{"handling": {"length": 99999, "unit": "days"}}', "Enter a length from 1 to 3660"),
        ("{not json", "Enter a valid JSON"),
    ],
)
def test_category_deadline_policy_errors_are_shown_by_the_field(
    config: World, policy: str, message: str
) -> None:
    response = _root("en").post(
        "/admin/cases/category/add/", _category_form(deadline_policy=policy)
    )
    assert response.status_code == 200
    assert message in _errors_of(response.content.decode(), "deadline_policy")
    assert not Category.objects.filter(code="REQ-NEW").exists()


def test_category_with_a_good_policy_is_saved(config: World) -> None:
    response = _root("en").post(
        "/admin/cases/category/add/",
        _category_form(deadline_policy='{"handling": {"length": 10, "unit": "working_days"}}'),
    )
    assert response.status_code == 302
    category = Category.objects.get(code="REQ-NEW")
    assert category.deadline_policy == {"handling": {"length": 10, "unit": "working_days"}}
    page = _root("en").get(f"/admin/cases/category/{category.pk}/change/").content.decode()
    assert "handling: 10 working_days" in page  # the clocks its cases run


def test_deadline_override_length_the_engine_cannot_count_is_refused(config: World) -> None:
    data = {
        "area": config.county.pk,
        "case_type": "complaint",
        "kind": "handling",
        "unit": "working_days",
        "basis": "",
        "_save": "Save",
    }
    client = _root("en")
    for length in ["0", "5000"]:
        response = client.post("/admin/cases/deadlineoverride/add/", {**data, "length": length})
        assert response.status_code == 200
        assert "Enter a length from 1 to 2500" in _errors_of(response.content.decode(), "length")
    assert (
        client.post("/admin/cases/deadlineoverride/add/", {**data, "length": "15"}).status_code
        == 302
    )
    assert DeadlineOverride.objects.filter(case_type="complaint", length=15).exists()


def test_cases_are_not_edited_in_the_admin(config: World) -> None:
    client = _root("en")
    assert client.get("/admin/cases/case/").status_code == 404
    assert client.get("/admin/cases/caseevent/").status_code == 404
    index = client.get("/admin/").content.decode()
    assert "/admin/cases/category/" in index and "/admin/cases/case/" not in index


def test_configuration_needs_staff_status(config: World) -> None:
    client = Client()
    client.force_login(config.users["admin"])  # the administrator role, but not Django staff
    response = client.get("/admin/cases/category/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
