"""The demo seeder: its organisation, its accounts, and cases with the shapes the services write."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from civicdesk.cases.choices import ClockState, Status, WarningLevel
from civicdesk.cases.deadline_rules import default_rules_for, effective_rule
from civicdesk.cases.deadlines import compute_due, warning_schedule
from civicdesk.cases.demo import builder, content
from civicdesk.cases.models import Case, CaseClock, CaseEvent, CaseParty, CaseSearch, Category
from civicdesk.cases.notices import NoticeKind, render_notice
from civicdesk.cases.receipt_codes import normalise_receipt_code
from civicdesk.cases.selectors import case_list_for_user, cases_visible_to
from civicdesk.cases.services import case_act, case_create
from civicdesk.core.calendar_store import current_calendar
from civicdesk.organization.choices import AreaLevel, DepartmentKind, Role
from civicdesk.organization.models import Area, Centre, Department, DutyShift, User
from civicdesk.organization.tokens import token_issue
from tests.conftest import local

NOW = local(2026, 3, 18)  # a Wednesday inside the years the holiday calendar covers
CASES = 300
DEMO_USERNAMES = [spec.username for spec in content.DEMO_ACCOUNTS]


def seed(cases: int = CASES, seed: int = 7) -> str:
    out = StringIO()
    call_command("seed_demo", cases=cases, seed=seed, now=NOW, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db: Any) -> str:
    return seed()


def api(username: str) -> Client:
    token = token_issue(user=User.objects.get(username=username))
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def regenerate(count: int, seed_value: int) -> list[builder.Draft]:
    factory = builder.CaseFactory(
        builder.load_world(builder.load_organisation()), seed=seed_value, now=NOW,
        calendar=current_calendar(),
    )
    return [draft for batch in factory.batches(count, 97) for draft in batch]


# --- the organisation and the accounts -----------------------------------------------------


def test_seed_builds_the_county(seeded: str) -> None:
    levels = Counter(Area.objects.values_list("level", flat=True))
    assert levels[AreaLevel.COUNTY] == 1
    assert levels[AreaLevel.TOWNSHIP] >= 2
    assert levels[AreaLevel.VILLAGE] >= 8
    assert levels[AreaLevel.GRID] >= 30
    assert Department.objects.count() >= 12
    kinds = set(Department.objects.values_list("kind", flat=True))
    assert set(DepartmentKind.values) - {DepartmentKind.OTHER} <= kinds
    county_centre = Centre.objects.get(parent=None)
    assert county_centre.area.level == AreaLevel.COUNTY
    township_centres = Centre.objects.exclude(pk=county_centre.pk)
    assert township_centres.count() == levels[AreaLevel.TOWNSHIP]
    assert all(c.parent_id == county_centre.pk for c in township_centres)
    # This week's roster: two posts, every day, at every centre.
    assert DutyShift.objects.count() == Centre.objects.count() * 7 * 2
    assert "Seeded 300 cases" in seeded and "civicdesk-demo" in seeded


def test_category_tree_is_two_levels_with_policies(seeded: str) -> None:
    leaves = Category.objects.filter(parent__isnull=False).select_related("parent")
    assert leaves.count() >= 20
    for leaf in leaves:
        assert leaf.parent is not None and leaf.parent.parent_id is None
        assert leaf.parent.case_type == leaf.case_type
        assert leaf.default_department_id is not None and leaf.name_en
        leaf.full_clean()
        if leaf.case_type in ("request", "complaint"):
            assert leaf.deadline_policy["handling"]["length"] in (5, 10, 15)
        if leaf.case_type == "hazard":
            assert leaf.deadline_policy["rectification"]["length"] > 0
    names = set(leaves.values_list("name_zh", flat=True))
    assert {"工资拖欠", "噪音扰民", "土地边界", "征地拆迁补偿", "出租房消防隐患", "火灾"} <= names


def test_demo_accounts_hold_their_roles(seeded: str) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    assert sorted(users) == sorted(DEMO_USERNAMES)
    county = Area.objects.get(level=AreaLevel.COUNTY)
    for username, user in users.items():
        grants = list(user.role_assignments.all())
        assert [g.role for g in grants] == [Role(username)]
    # One shared password (and one hash: checking it once is enough, argon2 is slow on purpose).
    assert len({user.password for user in users.values()}) == 1
    assert users["clerk"].check_password(content.DEMO_PASSWORD)
    for username in ("clerk", "dispatcher", "supervisor", "auditor"):
        assert users[username].role_assignments.get().area == county
    assert users["clerk"].centre is not None and users["clerk"].centre.area == county
    handler_dept = users["handler"].role_assignments.get().department
    assert handler_dept is not None and handler_dept.kind == DepartmentKind.HUMAN_RESOURCES
    assert users["dept_head"].role_assignments.get().department == handler_dept
    leader_grant = users["leader"].role_assignments.get()
    assert leader_grant.area is None and leader_grant.department is None
    grid = users["grid_worker"].role_assignments.get().area
    assert grid is not None and grid.level == AreaLevel.GRID
    mediation = users["mediator"].role_assignments.get().department
    assert mediation is not None and mediation.kind == DepartmentKind.JUDICIAL
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert not users["clerk"].is_staff
    assert User.objects.count() > len(DEMO_USERNAMES)  # and more staff besides


def test_seeding_again_refuses_or_skips(seeded: str) -> None:
    count = Case.objects.count()
    with pytest.raises(CommandError, match="already has an organisation"):
        seed()
    out = StringIO()
    call_command("seed_demo", if_empty=True, stdout=out)
    assert "nothing seeded" in out.getvalue() and "issue_token clerk" in out.getvalue()
    assert Case.objects.count() == count


# --- the cases ------------------------------------------------------------------------------


def test_cases_take_every_status_with_plausible_rows(seeded: str) -> None:
    assert Case.objects.count() == CASES
    assert set(Case.objects.values_list("status", flat=True)) == set(Status.values)
    assert CaseSearch.objects.count() == CASES
    codes = list(Case.objects.values_list("receipt_code", flat=True))
    assert len(set(codes)) == CASES
    assert all(normalise_receipt_code(code) == code for code in codes)
    for phone, id_number in CaseParty.objects.values_list("phone", "id_number"):
        assert phone == "" or re.fullmatch(r"1[3-9]\d{9}", phone)
        assert id_number == ""
    assert not Case.objects.filter(received_at__gt=NOW).exists()
    assert not CaseEvent.objects.filter(at__gt=NOW).exists()
    oldest = Case.objects.order_by("received_at").first()
    assert oldest is not None and (NOW - oldest.received_at).days > 200
    merged = Case.objects.filter(status=Status.MERGED)
    assert all(c.merged_into_id and c.merged_into_id != c.pk for c in merged)
    dispatched_on = Case.objects.exclude(status__in=["received", "accepted", "not_accepted",
                                                     "redirected", "merged", "escalated",
                                                     "returned"])
    assert not dispatched_on.filter(events__kind="dispatch", department__isnull=True).exists()


def test_same_seed_gives_the_same_cases(seeded: str) -> None:
    stored = list(Case.objects.order_by("id").values_list("title", "receipt_code", "status"))
    again = [(d.row[5], d.receipt_code, d.status) for d in regenerate(CASES, 7)]
    assert again == stored
    other = [(d.row[5], d.receipt_code) for d in regenerate(50, 8)]
    assert other != [row[:2] for row in stored[:50]]


def test_events_follow_the_transition_table(seeded: str) -> None:
    for case in Case.objects.prefetch_related("events"):
        events = sorted(case.events.all(), key=lambda e: (e.at, e.pk))
        assert events[0].kind == "create"
        moves = [e for e in events if e.kind != "notice"]
        for before, after in itertools.pairwise(moves):
            assert after.from_status == before.to_status, (case.pk, before.kind, after.kind)
        assert moves[-1].to_status == case.status
        assert case.version == len(moves)  # every transition bumped the version once
    notices = Counter(
        CaseEvent.objects.filter(kind="notice").values_list("params__notice", flat=True)
    )
    assert notices[NoticeKind.ACCEPTANCE] and notices[NoticeKind.REPLY]


def test_clocks_match_the_deadline_engine(seeded: str) -> None:
    calendar = current_calendar()
    checked = 0
    for clock in CaseClock.objects.select_related("case__category"):
        due = compute_due(
            start=clock.started_at, length=clock.length + clock.extended_by + clock.paused_units,
            unit=clock.unit, calendar=calendar,
        )
        assert clock.due_at == due.due_at
        assert clock.calendar_missing == due.calendar_missing
        schedule = warning_schedule(started_at=clock.started_at, due_at=clock.due_at)
        assert clock.due_soon_at == schedule.due_soon_at
        case = clock.case
        rule = next(r for r in default_rules_for(case.type) if r.kind == clock.kind)
        rule = effective_rule(rule, category_policy=case.category.deadline_policy)
        if clock.kind != "rectification":  # a hazard may carry its own period
            assert (clock.length, clock.unit) == (rule.length, rule.unit)
        if clock.state == ClockState.RUNNING and not clock.is_window:
            assert clock.warning_level == schedule.level_at(NOW)
        checked += 1
    assert checked > CASES


def test_case_warning_level_is_its_worst_running_clock(seeded: str) -> None:
    for case in Case.objects.prefetch_related("clocks"):
        running = [
            c.warning_level for c in case.clocks.all()
            if c.state == ClockState.RUNNING and not c.is_window
        ]
        assert case.warning_level == max(running, default=WarningLevel.NONE)
        if case.status in ("not_accepted", "redirected", "merged", "closed"):
            assert not running
    levels = set(Case.objects.values_list("warning_level", flat=True))
    assert {WarningLevel.DUE_SOON, WarningLevel.OVERDUE} <= levels
    overdue = api("supervisor").get("/api/v1/cases?overdue=true").json()["results"]
    assert overdue and all(c["warning_level"] >= WarningLevel.OVERDUE for c in overdue)


# --- the demo accounts at work --------------------------------------------------------------


def test_handler_sees_their_department_only(seeded: str) -> None:
    handler = User.objects.get(username="handler")
    visible = list(cases_visible_to(handler))
    assert len(visible) >= 10
    assert {c.department.code for c in visible if c.department} == {content.DEMO_DEPARTMENT}
    assert all(c.department_id or c.handler_id == handler.pk for c in visible)
    page = case_list_for_user(user=handler, params={}, page=1)
    assert page.items and all(c.department.code == content.DEMO_DEPARTMENT
                              for c in page.items if c.department)
    body = api("handler").get("/api/v1/cases").json()
    assert body["results"]
    assert {c["department"] for c in body["results"]} == {content.DEMO_DEPARTMENT}
    leader_cases = Case.objects.filter(leader__username="leader")
    assert leader_cases.filter(department__code=content.DEMO_DEPARTMENT).exists()


def test_full_text_search_finds_wage_cases(seeded: str) -> None:
    found = api("clerk").get("/api/v1/cases", {"q": "工资"}).json()["results"]
    assert found
    for summary in found:
        case = Case.objects.get(pk=summary["id"])
        assert "工资" in case.title + case.description + case.result + case.reply
    assert any(c["category"] == "REQ-WAGE" for c in found)
    assert api("clerk").get("/api/v1/cases", {"q": "不存在的词语组合"}).json()["results"] == []


def test_real_actions_work_on_seeded_cases(seeded: str) -> None:
    dispatcher = User.objects.get(username="dispatcher")
    case = Case.objects.filter(status=Status.ACCEPTED).order_by("id").first()
    assert case is not None
    now = timezone.now()
    case = case_act(
        actor=dispatcher, case_id=case.pk, action="dispatch", now=now,
        data={"department": content.DEMO_DEPARTMENT, "leader": "leader", "handler": "handler"},
    )
    assert case.status == Status.DISPATCHED and case.handler is not None
    case = case_act(actor=User.objects.get(username="handler"), case_id=case.pk,
                    action="sign", data={"note": "已签收"}, now=now)
    assert case.status == Status.IN_PROGRESS
    assert case.events.filter(kind="sign", actor__username="handler").exists()


def test_bulk_cases_have_the_shapes_the_services_write(seeded: str) -> None:
    """One wage case walked to `closed` through the real services against seeded ones."""
    clerk = User.objects.get(username="clerk")
    village = Area.objects.filter(level=AreaLevel.VILLAGE).first()
    assert village is not None
    real, _ = case_create(actor=clerk, data={
        "type": "request", "channel": "phone", "category": "REQ-WAGE", "title": "拖欠工资",
        "description": "某公司拖欠工资两个月。", "area": village.code,
        "parties": [{"role": "requester", "name": "张三", "phone": "13812345678"}],
    })
    steps = [
        ("clerk", "accept", {"note": "予以受理"}),
        ("dispatcher", "dispatch", {"department": "D-HRSS", "leader": "leader",
                                    "handler": "handler"}),
        ("handler", "sign", {"note": "已签收"}),
        ("handler", "report", {"result": "已支付", "reply": "经调查，工资已支付。"}),
        ("clerk", "reply", {"delivered_via": "phone"}),
        ("clerk", "follow_up", {"satisfaction": "satisfied", "note": "满意"}),
        ("dispatcher", "close", {"note": "结案"}),
    ]
    for username, action, data in steps:
        case_act(actor=User.objects.get(username=username), case_id=real.pk, action=action,
                 data=data)

    def shape(case: Case) -> tuple[Any, ...]:
        events = case.events.order_by("at", "id")
        return (
            [(e.kind, e.params.get("notice"), sorted(e.params)) for e in events],
            sorted((c.kind, c.state != ClockState.RUNNING) for c in case.clocks.all()),
        )

    expected = shape(real)
    seeded_closed = Case.objects.filter(
        status=Status.CLOSED, category__code="REQ-WAGE", version=len(steps) + 1
    )
    matches = [c for c in seeded_closed if shape(c)[0][0:1] == expected[0][0:1]]
    assert matches
    assert any(shape(c) == expected for c in matches), (expected, shape(matches[0]))


def test_notice_texts_are_the_services_texts(db: Any) -> None:
    subject = builder.NoticeSubject("拖欠工资三个月", "ABCDE-FGHJK", local(2026, 3, 2, 9))
    texts = builder.NoticeTexts()
    values: dict[str, dict[str, str]] = {
        NoticeKind.ACCEPTANCE: {},
        NoticeKind.NON_ACCEPTANCE: {"reason": "不属于受理范围", "proper_channel": "向法院起诉"},
        NoticeKind.REDIRECTION: {"procedure": "仲裁", "reason": "属于劳动争议"},
        NoticeKind.REPLY: {"reply": "经调查，{工资}已支付。"},
    }
    for kind, given in values.items():
        expected = render_notice(kind, subject, now=NOW, **given)  # type: ignore[arg-type]
        assert texts.render(kind, subject, NOW, **given) == expected
