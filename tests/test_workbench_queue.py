"""The case list page (workbench:queue): filters, scope, errors, paging, htmx, saved filters,
bulk dispatch, export, and pinned query counts."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.workbench.models import SavedFilter
from civicdesk.workbench.queue import export
from tests.conftest import World
from tests.helpers import FAST_HASHERS, create_case, drive_to

QUEUE = "/cases/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


def signed_in(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def listed_ids(response: Any) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-case-id="(\d+)"', response.content.decode())]


def set_warning(case_id: int, level: int) -> None:
    Case.objects.filter(pk=case_id).update(warning_level=level)


@pytest.fixture
def cases(world: World) -> dict[str, int]:
    """Four cases that each filter tells apart."""
    dispatched = drive_to(world, "dispatched")
    noise = create_case(
        world,
        type="complaint",
        category="CMP-NOISE",
        title="楼上装修噪音扰民",
        description="每天晚上十点以后仍在装修。",
        area=world.village_b.code,
    )["id"]
    petition = create_case(
        world,
        type="petition",
        category="PET",
        title="反映征地补偿问题",
        description="征地补偿款未按时发放。",
        received_at="2026-01-05T09:00:00+08:00",
    )["id"]
    dispute = create_case(
        world, type="dispute", category="DSP-NEIGH", title="邻里排水纠纷", description="排水沟堵"
    )["id"]
    set_warning(petition, 2)
    set_warning(dispute, 1)
    return {"dispatched": dispatched, "noise": noise, "petition": petition, "dispute": dispute}


def test_it_works(world: World, cases: dict[str, int]) -> None:
    response = signed_in(world, "dispatcher").get(QUEUE)
    assert response.status_code == 200
    assert set(listed_ids(response)) == set(cases.values())
    assert 'id="queue-filters"' in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client: Client, world: World) -> None:
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


FILTERS = [
    ("status=dispatched", {"dispatched"}),
    ("status=dispatched&status=received", {"dispatched", "noise", "petition", "dispute"}),
    ("type=complaint&type=petition", {"noise", "petition"}),
    ("department=D-HRSS", {"dispatched"}),
    ("area=330100002", {"noise"}),
    ("area=330100001", {"dispatched", "petition", "dispute"}),
    ("leader=leader", {"dispatched"}),
    ("category=CMP-NOISE", {"noise"}),
    ("overdue=true", {"petition"}),
    ("due_soon=true", {"dispute"}),
    ("overdue=false&due_soon=false", {"dispatched", "noise"}),
    ("received_before=2026-02-01", {"petition"}),
    ("received_after=2026-02-01&type=petition", set()),
    ("q=噪音", {"noise"}),
]


@pytest.mark.parametrize(("query", "expected"), FILTERS)
def test_every_filter(world: World, cases: dict[str, int], query: str, expected: set[str]) -> None:
    response = signed_in(world, "dispatcher").get(QUEUE + "?" + query)
    assert response.status_code == 200
    assert set(listed_ids(response)) == {cases[name] for name in expected}


def test_filters_keep_their_values_in_the_form(world: World, cases: dict[str, int]) -> None:
    page = signed_in(world, "dispatcher").get(QUEUE + "?department=D-HRSS&status=dispatched")
    html = page.content.decode()
    assert '<option value="D-HRSS" selected>' in html
    assert 'value="dispatched" id="status-dispatched" checked' in html


def test_handler_sees_only_their_department(world: World, cases: dict[str, int]) -> None:
    assert listed_ids(signed_in(world, "handler").get(QUEUE)) == [cases["dispatched"]]
    other = signed_in(world, "other_handler")
    assert listed_ids(other.get(QUEUE)) == []
    assert listed_ids(other.get(QUEUE + "?department=D-HRSS")) == []


def test_a_bad_date_is_shown_next_to_its_field(world: World, cases: dict[str, int]) -> None:
    response = signed_in(world, "dispatcher").get(QUEUE + "?received_after=2026-13-01")
    assert response.status_code == 200
    html = response.content.decode()
    errors = re.search(r'<div id="errors-received_after"[^>]*>(.*?)</div>', html, re.S)
    assert errors and "field-error" in errors.group(1)
    assert 'id="filter-error-summary"' in html
    assert listed_ids(response) == []


def test_bad_yes_no_and_page_and_order_are_errors_not_500(world: World) -> None:
    client = signed_in(world, "dispatcher")
    for query, field in [("overdue=maybe", "overdue"), ("page=x", "page"), ("order=up", "order")]:
        response = client.get(QUEUE + "?" + query)
        assert response.status_code == 200
        if field != "page":
            html = response.content.decode()
            assert re.search(rf'id="errors-{field}"[^>]*><span class="field-error">', html)


def test_htmx_gets_the_results_partial_with_errors_out_of_band(
    world: World, cases: dict[str, int]
) -> None:
    client = signed_in(world, "dispatcher")
    response = client.get(QUEUE + "?type=complaint", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert html.lstrip().startswith('<div id="queue-results"') or 'id="queue-results"' in html
    assert listed_ids(response) == [cases["noise"]]
    bad = client.get(QUEUE + "?received_before=nope", HTTP_HX_REQUEST="true").content.decode()
    assert re.search(r'id="errors-received_before"[^>]*hx-swap-oob="true"><span', bad)


def test_htmx_history_restore_gets_the_full_page(world: World) -> None:
    response = signed_in(world, "dispatcher").get(
        QUEUE, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_paging_without_counting(world: World, cases: dict[str, int], settings: Any) -> None:
    settings.CIVICDESK_PAGE_SIZE = 3
    client = signed_in(world, "dispatcher")
    first = client.get(QUEUE + "?order=oldest")
    assert listed_ids(first) == sorted(cases.values(), key=_received_order)[:3]
    assert 'id="page-next"' in first.content.decode()
    assert 'id="page-previous"' not in first.content.decode()
    second = client.get(QUEUE + "?order=oldest&page=2")
    assert listed_ids(second) == sorted(cases.values(), key=_received_order)[3:]
    assert 'id="page-next"' not in second.content.decode()
    assert 'id="page-previous"' in second.content.decode()


def _received_order(case_id: int) -> tuple[Any, int]:
    case = Case.objects.get(pk=case_id)
    return (case.received_at, case.pk)


def test_newest_first_by_default(world: World, cases: dict[str, int]) -> None:
    ids = listed_ids(signed_in(world, "dispatcher").get(QUEUE))
    assert ids == sorted(cases.values(), key=_received_order, reverse=True)


def _queue_query_count(world: World, django_assert_num_queries: Any, query: str) -> None:
    client = signed_in(world, "dispatcher")
    client.get(QUEUE)  # session and caches warm
    with django_assert_num_queries(QUEUE_QUERIES[query]):
        response = client.get(QUEUE + query)
    assert response.status_code == 200


# Pinned: session, user, grants, page + the drop-downs (departments, areas, leaders,
# categories, handlers), saved filters; a department filter resolves its code first.
QUEUE_QUERIES = {"": 10, "?department=D-HRSS&overdue=true": 11}


@pytest.mark.parametrize("query", list(QUEUE_QUERIES))
def test_query_count_does_not_grow_with_rows(
    world: World, django_assert_num_queries: Any, query: str
) -> None:
    for _ in range(2):
        set_warning(drive_to(world, "dispatched"), 2)
    _queue_query_count(world, django_assert_num_queries, query)
    for _ in range(4):
        set_warning(drive_to(world, "dispatched"), 2)
    create_case(world)
    _queue_query_count(world, django_assert_num_queries, query)


# --- saved filters ------------------------------------------------------------------------


def test_saved_filters_are_per_user(world: World, cases: dict[str, int]) -> None:
    mine = signed_in(world, "dispatcher")
    response = mine.post(
        reverse("workbench:queue_filter_save"),
        {"name": "超期信访", "query": "type=petition&overdue=true&page=3"},
    )
    assert response.status_code == 302
    saved = SavedFilter.objects.get(user=world.users["dispatcher"])
    assert saved.query == "type=petition&overdue=true"
    page = mine.get(QUEUE).content.decode()
    assert f'data-saved-filter="{saved.pk}"' in page
    assert "?type=petition&amp;overdue=true" in page
    assert listed_ids(mine.get(QUEUE + "?" + saved.query)) == [cases["petition"]]

    theirs = signed_in(world, "clerk")
    assert f'data-saved-filter="{saved.pk}"' not in theirs.get(QUEUE).content.decode()
    delete_url = reverse("workbench:queue_filter_delete", args=[saved.pk])
    assert theirs.post(delete_url).status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    assert mine.post(delete_url).status_code == 302
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()


def test_saving_needs_a_name_and_a_valid_filter(world: World) -> None:
    client = signed_in(world, "dispatcher")
    url = reverse("workbench:queue_filter_save")
    client.post(url, {"name": "", "query": "type=petition"})
    client.post(url, {"name": "坏的", "query": "received_after=2026-13-01"})
    assert not SavedFilter.objects.exists()
    client.post(url, {"name": "同名", "query": "type=petition"})
    client.post(url, {"name": "同名", "query": "type=dispute"})
    assert list(SavedFilter.objects.values_list("query", flat=True)) == ["type=petition"]


# --- bulk dispatch ------------------------------------------------------------------------

DISPATCH = {"department": "D-HRSS", "leader": "leader", "handler": "handler"}


def test_bulk_dispatch_reports_each_case(world: World) -> None:
    first, second = drive_to(world, "accepted"), drive_to(world, "accepted")
    received = drive_to(world, "received")
    client = signed_in(world, "dispatcher")
    response = client.post(
        reverse("workbench:queue_bulk_dispatch"),
        {**DISPATCH, "case": [first, received, second], "next": "/cases/?status=accepted"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-done="2" data-failed="1"' in html
    assert f'data-case-id="{first}" data-ok="true"' in html
    assert f'data-case-id="{received}" data-ok="false"' in html
    assert Case.objects.get(pk=first).status == "dispatched"
    assert Case.objects.get(pk=second).status == "dispatched"
    assert Case.objects.get(pk=received).status == "received"
    assert Case.objects.get(pk=first).department.code == "D-HRSS"
    assert 'href="/cases/?status=accepted"' in html


def test_bulk_dispatch_reports_cases_outside_scope_as_not_found(world: World) -> None:
    accepted = drive_to(world, "accepted")
    client = signed_in(world, "dispatcher")
    response = client.post(
        reverse("workbench:queue_bulk_dispatch"), {**DISPATCH, "case": [accepted, 999999]}
    )
    html = response.content.decode()
    assert 'data-done="1" data-failed="1"' in html
    assert 'data-case-id="999999" data-ok="false"' in html


def test_only_dispatchers_may_bulk_dispatch(world: World) -> None:
    accepted = drive_to(world, "accepted")
    events = CaseEvent.objects.count()
    for username in ("clerk", "handler", "leader"):
        response = signed_in(world, username).post(
            reverse("workbench:queue_bulk_dispatch"), {**DISPATCH, "case": [accepted]}
        )
        assert response.status_code == 403
    assert Case.objects.get(pk=accepted).status == "accepted"
    assert CaseEvent.objects.count() == events
    assert 'id="bulk-dispatch"' not in signed_in(world, "clerk").get(QUEUE).content.decode()
    assert 'id="bulk-dispatch"' in signed_in(world, "dispatcher").get(QUEUE).content.decode()


def test_bulk_dispatch_without_a_department_writes_nothing(world: World) -> None:
    accepted = drive_to(world, "accepted")
    response = signed_in(world, "dispatcher").post(
        reverse("workbench:queue_bulk_dispatch"), {"leader": "leader", "case": [accepted]}
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=accepted).status == "accepted"


# --- export -------------------------------------------------------------------------------


def exported(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


def test_export_holds_exactly_the_listed_cases_and_no_phone(
    world: World, cases: dict[str, int]
) -> None:
    Case.objects.filter(pk=cases["noise"]).update(title="噪音扰民 联系电话13912345678")
    client = signed_in(world, "dispatcher")
    for query in ("", "type=complaint&type=petition", "overdue=false"):
        listed = listed_ids(client.get(QUEUE + "?" + query))
        rows = exported(client.get(reverse("workbench:queue_export") + "?" + query))
        codes = dict(Case.objects.values_list("receipt_code", "pk"))
        assert [codes[row[0]] for row in rows[1:]] == listed
    text = repr(rows)
    assert "13812345678" not in text  # the requester's phone (a party field)
    assert "13912345678" not in text  # a phone written into the title


def test_export_headings_follow_the_language(world: World, cases: dict[str, int]) -> None:
    client = signed_in(world, "dispatcher")
    client.cookies["django_language"] = "en"
    rows = exported(client.get(reverse("workbench:queue_export"), HTTP_ACCEPT_LANGUAGE="en"))
    assert rows[0][0] == "Receipt code"
    assert "Complaint / report" in {row[2] for row in rows[1:]}


def test_export_is_capped_and_says_so(
    world: World, cases: dict[str, int], monkeypatch: Any
) -> None:
    monkeypatch.setattr(export, "EXPORT_LIMIT", 2)
    response = signed_in(world, "dispatcher").get(reverse("workbench:queue_export"))
    assert response["X-Civicdesk-Export-Capped"] == "true"
    rows = exported(response)
    assert "2" in str(rows[0][0])
    assert len(rows) == 2 + 2  # message, headings, two cases


def test_export_keeps_to_the_users_scope(world: World, cases: dict[str, int]) -> None:
    rows = exported(signed_in(world, "other_handler").get(reverse("workbench:queue_export")))
    assert rows[1:] == []
    rows = exported(signed_in(world, "handler").get(reverse("workbench:queue_export")))
    assert [row[0] for row in rows[1:]] == [
        Case.objects.get(pk=cases["dispatched"]).receipt_code
    ]


def test_export_with_a_bad_filter_goes_back_to_the_list(world: World) -> None:
    response = signed_in(world, "dispatcher").get(
        reverse("workbench:queue_export") + "?received_after=bad"
    )
    assert response.status_code == 302
    assert response["Location"] == "/cases/?received_after=bad"
