"""Supervision: the board of late cases (counts agree with the case list), issuing orders and
the department's answers."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.organization.choices import Role
from civicdesk.organization.models import RoleAssignment, User
from civicdesk.supervision.models import OrderStatus, SupervisionOrder
from civicdesk.supervision.services import supervision_order_issue
from tests.conftest import World
from tests.helpers import FAST_HASHERS, create_case, drive_to

BOARD = "/supervision/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.CIVICDESK_PAGE_SIZE = 200


def signed_in(world: World, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def late(case_id: int, level: int = 2) -> int:
    Case.objects.filter(pk=case_id).update(warning_level=level)
    return case_id


def listed_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-case-id="(\d+)"', html)]


@pytest.fixture
def supervisor(world: World) -> User:
    """A supervisor whose scope is the western township only."""
    user = User.objects.create_user(username="supervisor", password="pw-supervisor")
    RoleAssignment.objects.create(user=user, role=Role.SUPERVISOR, area=world.town_b)
    world.users["supervisor"] = user
    return user


@pytest.fixture
def late_cases(world: World) -> dict[str, int]:
    hrss_overdue = [late(drive_to(world, "dispatched")) for _ in range(3)]
    hrss_soon = late(drive_to(world, "in_progress"), 1)
    land = drive_to(world, "accepted", area=world.village_b.code)
    from tests.helpers import act_ok

    act_ok(world, land, "dispatch", department="D-LAND", handler="other_handler")
    late(land)
    undispatched = late(create_case(world)["id"])
    on_time = drive_to(world, "dispatched")
    return {
        "hrss_1": hrss_overdue[0],
        "hrss_2": hrss_overdue[1],
        "hrss_3": hrss_overdue[2],
        "hrss_soon": hrss_soon,
        "land": land,
        "undispatched": undispatched,
        "on_time": on_time,
    }


def board_links(html: str) -> list[tuple[int, str]]:
    """(count shown, list URL) for every linked count on the board."""
    pattern = r'data-count="(\d+)" href="(/cases/\?[^"]+)"'
    return [(int(n), url.replace("&amp;", "&")) for n, url in re.findall(pattern, html)]


def test_board_works_and_every_count_matches_the_list(
    world: World, late_cases: dict[str, int]
) -> None:
    client = signed_in(world, "dispatcher")
    response = client.get(BOARD)
    assert response.status_code == 200
    html = response.content.decode()
    links = board_links(html)
    assert (3, "/cases/?department=D-HRSS&overdue=true") in links
    assert (1, "/cases/?department=D-HRSS&due_soon=true") in links
    assert (1, "/cases/?department=D-LAND&overdue=true") in links
    assert (4, "/cases/?leader=leader&overdue=true") in links
    for count, url in links:
        assert count == len(listed_ids(client.get(url).content.decode())), url
    assert 'id="total-overdue" data-count="5"' in html
    assert 'id="total-due-soon" data-count="1"' in html
    assert late_cases["on_time"] not in listed_ids(html)
    assert late_cases["undispatched"] in listed_ids(html)


def test_board_lists_each_group_oldest_first(
    world: World, late_cases: dict[str, int]
) -> None:
    html = signed_in(world, "dispatcher").get(BOARD).content.decode()
    row = re.search(r'<tr data-group="D-HRSS">(.*?)</tr>', html, re.S)
    assert row is not None
    shown = listed_ids(row.group(1))
    assert set(shown) == {late_cases[k] for k in ("hrss_1", "hrss_2", "hrss_3", "hrss_soon")}
    received = [Case.objects.get(pk=pk).received_at for pk in shown]
    assert received == sorted(received)


def test_board_keeps_to_each_users_scope(world: World, late_cases: dict[str, int]) -> None:
    handler = signed_in(world, "handler").get(BOARD).content.decode()
    assert 'data-group="D-HRSS"' in handler
    assert 'data-group="D-LAND"' not in handler
    assert late_cases["land"] not in listed_ids(handler)
    other = signed_in(world, "other_handler").get(BOARD).content.decode()
    assert set(listed_ids(other)) == {late_cases["land"]}  # under its department and leader
    assert 'id="total-overdue" data-count="1"' in other


BOARD_QUERIES = 13


def test_board_query_count_does_not_grow_with_rows(
    world: World, django_assert_num_queries: Any
) -> None:
    late(drive_to(world, "dispatched"))
    client = signed_in(world, "dispatcher")
    client.get(BOARD)
    with django_assert_num_queries(BOARD_QUERIES):
        client.get(BOARD)
    for level in (1, 2, 2, 1):
        late(drive_to(world, "dispatched"), level)
    late(create_case(world)["id"])
    with django_assert_num_queries(BOARD_QUERIES):
        client.get(BOARD)


# --- issuing orders -----------------------------------------------------------------------


def issue_url(case_id: int) -> str:
    return reverse("supervision:issue", args=[case_id])


def test_issue_works(world: World, late_cases: dict[str, int]) -> None:
    case_id = late_cases["hrss_1"]
    client = signed_in(world, "leader")
    assert client.get(issue_url(case_id)).status_code == 200
    response = client.post(issue_url(case_id), {"instructions": "请于三日内办结并报告", "days": 3})
    assert response.status_code == 302
    order = SupervisionOrder.objects.get(case_id=case_id)
    year = timezone.localtime().year
    assert re.fullmatch(rf"DB-{year}-\d{{6}}", order.number)
    assert order.department.code == "D-HRSS"
    assert order.leader == world.users["leader"]
    assert order.status == OrderStatus.OPEN
    assert order.due_at > timezone.now()
    event = CaseEvent.objects.filter(case_id=case_id).latest("id")
    assert event.kind == "supervision_issued"
    assert event.params["number"] == order.number
    assert event.from_status == event.to_status == "dispatched"
    assert Case.objects.get(pk=case_id).status == "dispatched"


def test_orders_are_numbered_in_sequence(world: World, late_cases: dict[str, int]) -> None:
    actor = world.users["dispatcher"]
    numbers = [
        supervision_order_issue(
            actor=actor, case_id=late_cases[key], instructions="加快办理", days=5
        ).number
        for key in ("hrss_1", "hrss_2")
    ]
    first, second = (int(number.rsplit("-", 1)[1]) for number in numbers)
    assert second == first + 1


def test_issuing_needs_a_role(world: World, late_cases: dict[str, int]) -> None:
    for username in ("clerk", "handler", "dept_head"):
        client = signed_in(world, username)
        response = client.post(issue_url(late_cases["hrss_1"]), {"instructions": "x", "days": 3})
        assert response.status_code == 403
    assert not SupervisionOrder.objects.exists()


def test_issuing_needs_a_visible_case(
    world: World, late_cases: dict[str, int], supervisor: User
) -> None:
    client = signed_in(world, "supervisor")
    response = client.post(issue_url(late_cases["hrss_1"]), {"instructions": "x", "days": 3})
    assert response.status_code == 404
    assert client.get(issue_url(late_cases["hrss_1"])).status_code == 404
    ok = client.post(issue_url(late_cases["land"]), {"instructions": "请尽快处理", "days": 3})
    assert ok.status_code == 302
    assert list(SupervisionOrder.objects.values_list("case_id", flat=True)) == [late_cases["land"]]


def test_a_due_date_in_the_past_is_refused_next_to_the_field(
    world: World, late_cases: dict[str, int]
) -> None:
    events = CaseEvent.objects.count()
    past = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = signed_in(world, "leader").post(
        issue_url(late_cases["hrss_1"]), {"instructions": "请办理", "due_at": past}
    )
    assert response.status_code == 422
    assert re.search(r'id="errors-due_at">\S', response.content.decode())
    assert not SupervisionOrder.objects.exists()
    assert CaseEvent.objects.count() == events


def test_a_due_date_or_days_is_required(world: World, late_cases: dict[str, int]) -> None:
    response = signed_in(world, "leader").post(
        issue_url(late_cases["hrss_1"]), {"instructions": "请办理"}
    )
    assert response.status_code == 422
    assert 'id="errors-due_at"' in response.content.decode()


def test_a_case_without_a_department_or_finished_cannot_be_supervised(
    world: World, late_cases: dict[str, int]
) -> None:
    client = signed_in(world, "dispatcher")
    response = client.post(issue_url(late_cases["undispatched"]), {"instructions": "x", "days": 2})
    assert response.status_code == 422
    assert 'id="form-errors"' in response.content.decode()
    closed = drive_to(world, "closed")
    response = client.post(issue_url(closed), {"instructions": "x", "days": 2})
    assert response.status_code == 422
    assert not SupervisionOrder.objects.exists()


# --- orders and answers -------------------------------------------------------------------


@pytest.fixture
def order(world: World, late_cases: dict[str, int]) -> SupervisionOrder:
    return supervision_order_issue(
        actor=world.users["leader"],
        case_id=late_cases["hrss_1"],
        instructions="请说明超期原因并限期办结",
        days=3,
    )


def test_orders_list_marks_overdue_orders(world: World, order: SupervisionOrder) -> None:
    client = signed_in(world, "dispatcher")
    html = client.get(reverse("supervision:orders")).content.decode()
    assert f'data-order-id="{order.pk}" data-overdue="false"' in html
    SupervisionOrder.objects.filter(pk=order.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    html = client.get(reverse("supervision:orders")).content.decode()
    assert f'data-order-id="{order.pk}" data-overdue="true"' in html
    assert 'data-order-id="' not in client.get(
        reverse("supervision:orders") + "?status=answered"
    ).content.decode()


def test_orders_list_keeps_to_scope(world: World, order: SupervisionOrder) -> None:
    html = signed_in(world, "other_handler").get(reverse("supervision:orders")).content.decode()
    assert f'data-order-id="{order.pk}"' not in html
    html = signed_in(world, "handler").get(reverse("supervision:orders")).content.decode()
    assert f'data-order-id="{order.pk}"' in html
    assert reverse("supervision:answer", args=[order.pk]) in html


def test_the_department_answers(world: World, order: SupervisionOrder) -> None:
    url = reverse("supervision:answer", args=[order.pk])
    client = signed_in(world, "handler")
    assert client.get(url).status_code == 200
    response = client.post(url, {"answer": "已于今日办结，超期原因为当事人外出。"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.ANSWERED
    assert order.answered_by == world.users["handler"]
    assert order.answer.startswith("已于今日办结")
    event = CaseEvent.objects.filter(case_id=order.case_id).latest("id")
    assert event.kind == "supervision_answered"
    again = client.post(url, {"answer": "再次答复"})
    assert again.status_code == 422
    order.refresh_from_db()
    assert order.answer.startswith("已于今日办结")


def test_only_the_department_may_answer(world: World, order: SupervisionOrder) -> None:
    url = reverse("supervision:answer", args=[order.pk])
    assert signed_in(world, "other_handler").post(url, {"answer": "x"}).status_code == 404
    assert signed_in(world, "dispatcher").post(url, {"answer": "x"}).status_code == 403
    assert signed_in(world, "leader").post(url, {"answer": "x"}).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    assert signed_in(world, "dept_head").post(url, {"answer": "已办结"}).status_code == 302


def test_an_empty_answer_is_refused(world: World, order: SupervisionOrder) -> None:
    url = reverse("supervision:answer", args=[order.pk])
    response = signed_in(world, "handler").post(url, {"answer": "  "})
    assert response.status_code == 422
    assert 'id="errors-answer"' in response.content.decode()
