"""SQL metacharacters, wildcards, NUL bytes, very long and full-width text in every search and
filter box: the queue's full-text search and filters, the intake phone look-up, the staff API's
?q=, the audit filters and Open311's filters. Never a server error, and never a row the text does
not match (a search for `%` must not match everything). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from civicdesk.cases.models import Case
from tests.conftest import World
from tests.helpers import FAST_HASHERS, create_case

NASTY = [
    "' OR 1=1 --",
    "' OR '1'='1",
    "\"; DROP TABLE cases_case; --",
    "%",
    "%%",
    "_",
    "\\",
    "\\%",
    "*",
    "' UNION SELECT username, password FROM organization_user --",
    "\x00",
    "工资\x00",
    "ＯＲ　１＝１　－－",  # full-width
    "％＿＼",
    "停车' --",  # a word no case has, then SQL
    "x" * 5000,
    "(",
    "\"",
    "NEAR(",  # FTS5 syntax
    "a:b",
    "&|!",  # tsquery operators
]

SEARCHABLE = "某建筑公司拖欠农民工工资三个月"


@pytest.fixture
def cases(world: World, settings: Any) -> list[str]:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    codes = []
    for title in ("拖欠工资", "噪音扰民", "消防隐患"):
        created = create_case(world, title=title, description=SEARCHABLE + title)
        codes.append(created["receipt_code"])
    return codes


def _staff(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def _shown(body: str, codes: list[str]) -> list[str]:
    return [code for code in codes if code in body]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_the_queue_search_and_filters_match_only_what_they_say(
    world: World, cases: list[str], text: str
) -> None:
    client = _staff(world, "dispatcher")
    for name in ("q", "area", "department", "category", "leader", "status", "received_after"):
        response = client.get("/cases/", {name: text})
        assert response.status_code in (200, 400), (name, response.status_code)
        assert _shown(response.content.decode(), cases) == [], (name, text)


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_the_api_search_matches_only_what_it_says(
    world: World, cases: list[str], text: str
) -> None:
    client = world.client("dispatcher")
    for name in ("q", "area", "department", "category", "status", "type"):
        response = client.get("/api/v1/cases", {name: text})
        assert response.status_code in (200, 400, 422), (name, response.status_code)
        if response.status_code == 200:
            assert response.json()["results"] == [], (name, text)


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_the_phone_look_up_and_audit_filters_take_any_text(
    world: World, cases: list[str], text: str
) -> None:
    phone = _staff(world, "clerk").get("/intake/phone/", {"phone": text})
    assert phone.status_code in (200, 400)
    assert _shown(phone.content.decode(), cases) == []
    auditor = _staff(world, "auditor")
    for name in ("user", "case", "address", "action", "after"):
        response = auditor.get("/audit/", {name: text})
        assert response.status_code in (200, 400), (name, response.status_code)


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
def test_open311_filters_take_any_text(world: World, cases: list[str], text: str) -> None:
    client = Client()
    for name in ("service_code", "status", "service_request_id", "start_date", "jurisdiction_id"):
        response = client.get("/open311/v2/requests.json", {name: text})
        assert response.status_code < 500, (name, response.status_code)
        if response.status_code == 200:
            assert _shown(response.content.decode(), cases) == [], (name, text)


def test_a_real_word_is_still_found(world: World, cases: list[str]) -> None:
    """The control for the tests above: the search works, so "no rows" means something."""
    assert Case.objects.count() == 3
    found = world.client("dispatcher").get("/api/v1/cases", {"q": "噪音"}).json()["results"]
    assert [case["receipt_code"] for case in found] == [cases[1]]
    page = _staff(world, "dispatcher").get("/cases/", {"q": "噪音"}).content.decode()
    assert _shown(page, cases) == [cases[1]]
