"""The deadline engine (pure), the clocks as actions move them, the sweep and the scheduler."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from civicdesk.cases.choices import ClockState, TimeUnit, WarningLevel
from civicdesk.cases.deadlines import (
    compute_due,
    end_of_day,
    units_elapsed,
    warning_schedule,
)
from civicdesk.cases.intake import case_create
from civicdesk.cases.models import Case, CaseClock, CaseEvent, DeadlineOverride
from civicdesk.cases.services import case_act
from civicdesk.cases.sweep import deadlines_sweep
from civicdesk.core.calendar import PACKAGE_CALENDAR, WorkingCalendar, builtin_years
from civicdesk.core.calendar_store import current_calendar, forget_calendar
from civicdesk.core.errors import IllegalTransition
from civicdesk.core.models import CalendarOverride, CalendarYear, ScheduledJob
from civicdesk.core.scheduler import Periodic, claim
from tests.conftest import case_payload, local
from tests.helpers import ACTION_BODY, FAST_HASHERS, act, act_ok, create_case, drive_to, snapshot


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The world makes ten users; argon2 would spend seconds hashing their test passwords."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


D = dt.date
CAL = PACKAGE_CALENDAR


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """The calendar store caches for a minute; rows made (and rolled back) by a test must not
    leak into the next one."""
    forget_calendar()
    yield
    forget_calendar()


def due_day(start: dt.datetime, length: int, unit: str, calendar: WorkingCalendar = CAL):
    result = compute_due(start=start, length=length, unit=unit, calendar=calendar)
    assert result.due_at == end_of_day(result.due_at.date()) or unit == TimeUnit.MINUTES
    return result.due_at.date(), result.calendar_missing


# --- the holidays this file relies on, checked against the package itself --------------------


def test_the_package_knows_the_holidays_used_here():
    for day in range(1, 8):
        assert chinese_calendar.is_holiday(D(2024, 10, day))
    assert D(2024, 9, 29).weekday() == 6 and chinese_calendar.is_workday(D(2024, 9, 29))
    assert D(2024, 10, 12).weekday() == 5 and chinese_calendar.is_workday(D(2024, 10, 12))
    for day in [D(2025, 1, 28) + dt.timedelta(days=n) for n in range(8)]:
        assert chinese_calendar.is_holiday(day), day
    assert D(2025, 1, 26).weekday() == 6 and chinese_calendar.is_workday(D(2025, 1, 26))
    assert D(2025, 2, 8).weekday() == 5 and chinese_calendar.is_workday(D(2025, 2, 8))
    assert chinese_calendar.is_workday(D(2025, 1, 27)) and chinese_calendar.is_workday(
        D(2025, 2, 5))
    assert {2004, 2024, 2025, 2026} <= builtin_years()
    assert 2027 not in builtin_years()


# --- "N days" --------------------------------------------------------------------------------


def test_days_do_not_count_the_start_day_and_end_at_the_end_of_the_last_day():
    start = local(2025, 3, 3, 16, 30)  # Monday
    result = compute_due(start=start, length=1, unit=TimeUnit.DAYS, calendar=CAL)
    assert result.due_at == local(2025, 3, 4, 23, 59, 59)
    assert result.calendar_missing is False
    assert due_day(start, 3, TimeUnit.DAYS) == (D(2025, 3, 6), False)


def test_the_local_day_counts_not_the_utc_day():
    # 2025-03-02 20:00 UTC is already Monday 3 March in Shanghai.
    start = dt.datetime(2025, 3, 2, 20, 0, tzinfo=dt.UTC)
    assert due_day(start, 1, TimeUnit.DAYS) == (D(2025, 3, 4), False)


def test_days_ending_on_a_weekend_roll_to_monday():
    assert due_day(local(2025, 3, 3, 9), 5, TimeUnit.DAYS) == (D(2025, 3, 10), False)


def test_days_ending_in_national_day_roll_past_the_holiday():
    # 24 Sep + 7 days = 1 Oct 2024: the holiday runs to 7 Oct, so the period ends on 8 Oct.
    assert chinese_calendar.is_workday(D(2024, 10, 8))
    assert due_day(local(2024, 9, 24, 10), 7, TimeUnit.DAYS) == (D(2024, 10, 8), False)
    assert due_day(local(2024, 9, 24, 10), 13, TimeUnit.DAYS) == (D(2024, 10, 8), False)


def test_days_ending_on_a_make_up_working_day_stay_there():
    # 12 Oct 2024 is a Saturday declared a working day; 29 Sep 2024 a Sunday likewise.
    assert due_day(local(2024, 10, 2, 10), 10, TimeUnit.DAYS) == (D(2024, 10, 12), False)
    assert due_day(local(2024, 9, 22, 10), 7, TimeUnit.DAYS) == (D(2024, 9, 29), False)
    # 8 Feb 2025 (Saturday) was a make-up day after Spring Festival.
    assert due_day(local(2025, 2, 1, 10), 7, TimeUnit.DAYS) == (D(2025, 2, 8), False)


def test_days_ending_in_spring_festival_roll_past_it():
    assert due_day(local(2025, 1, 20, 10), 10, TimeUnit.DAYS) == (D(2025, 2, 5), False)


# --- "N working days" ----------------------------------------------------------------------


@pytest.mark.parametrize(("length", "expected"), [
    (1, D(2024, 9, 29)),   # Saturday 28 Sep is rest, Sunday 29 Sep a make-up working day
    (2, D(2024, 9, 30)),
    (3, D(2024, 10, 8)),   # 1-7 October are the National Day holiday
    (6, D(2024, 10, 11)),
    (7, D(2024, 10, 12)),  # Saturday 12 October is a make-up working day
    (8, D(2024, 10, 14)),
])
def test_working_days_around_national_day_2024(length, expected):
    start = local(2024, 9, 27, 15)  # Friday
    assert due_day(start, length, TimeUnit.WORKING_DAYS) == (expected, False)


@pytest.mark.parametrize(("length", "expected"), [
    (1, D(2025, 1, 26)),   # Sunday make-up day
    (2, D(2025, 1, 27)),
    (3, D(2025, 2, 5)),    # 28 Jan - 4 Feb is the Spring Festival holiday
    (5, D(2025, 2, 7)),
    (6, D(2025, 2, 8)),    # Saturday make-up day
    (7, D(2025, 2, 10)),
])
def test_working_days_around_spring_festival_2025(length, expected):
    start = local(2025, 1, 24, 9)  # Friday
    assert due_day(start, length, TimeUnit.WORKING_DAYS) == (expected, False)


def test_ordinary_weeks_skip_weekends():
    assert due_day(local(2025, 3, 7, 9), 1, TimeUnit.WORKING_DAYS) == (D(2025, 3, 10), False)
    assert due_day(local(2025, 3, 3, 9), 10, TimeUnit.WORKING_DAYS) == (D(2025, 3, 17), False)


def test_fifteen_minute_incident_clock_is_plain_elapsed_time():
    start = local(2024, 10, 1, 23, 50)  # on a holiday, near midnight: no matter
    result = compute_due(start=start, length=15, unit=TimeUnit.MINUTES, calendar=CAL)
    assert result.due_at == local(2024, 10, 2, 0, 5)
    assert result.calendar_missing is False
    far = compute_due(start=local(2027, 6, 1, 9), length=15, unit=TimeUnit.MINUTES, calendar=CAL)
    assert far.calendar_missing is False


def test_bad_lengths_are_refused():
    for length, unit in [(-1, TimeUnit.DAYS), (10**6, TimeUnit.WORKING_DAYS)]:
        with pytest.raises(ValueError, match="out of range"):
            compute_due(start=local(2025, 3, 3), length=length, unit=unit, calendar=CAL)


# --- calendar coverage ---------------------------------------------------------------------


def test_a_year_the_package_does_not_cover_is_flagged():
    assert due_day(local(2027, 3, 1, 9), 5, TimeUnit.WORKING_DAYS)[1] is True
    assert due_day(local(2027, 3, 1, 9), 5, TimeUnit.DAYS)[1] is True
    # Starting in a covered year but ending in 2027 is flagged as well.
    assert due_day(local(2026, 12, 28, 9), 10, TimeUnit.DAYS)[1] is True
    assert due_day(local(2026, 12, 24, 9), 10, TimeUnit.WORKING_DAYS)[1] is True
    assert due_day(local(2026, 12, 20, 9), 5, TimeUnit.DAYS) == (D(2026, 12, 25), False)


def test_an_administrators_year_and_overrides_cover_a_missing_year(
    db, django_capture_on_commit_callbacks
):
    start = local(2027, 3, 1, 9)  # Monday
    assert current_calendar().covers(2027) is False
    assert due_day(start, 4, TimeUnit.WORKING_DAYS, current_calendar()) == (D(2027, 3, 5), True)

    # The cached calendar is dropped when the administrator's edit commits.
    with django_capture_on_commit_callbacks(execute=True):
        CalendarYear.objects.create(year=2027, note="国务院办公厅关于2027年部分节假日安排的通知")
        CalendarOverride.objects.create(date=D(2027, 3, 5), working=False, name="地方休息日")
        CalendarOverride.objects.create(date=D(2027, 3, 6), working=True, name="调休上班")
    calendar = current_calendar()
    assert calendar.covers(2027)
    # Friday 5 March is now a rest day and Saturday 6 March a working day.
    assert due_day(start, 4, TimeUnit.WORKING_DAYS, calendar) == (D(2027, 3, 6), False)
    assert due_day(start, 5, TimeUnit.WORKING_DAYS, calendar) == (D(2027, 3, 8), False)
    # A "days" period ending on the local rest day rolls to the make-up Saturday.
    assert due_day(start, 4, TimeUnit.DAYS, calendar) == (D(2027, 3, 6), False)


def test_an_override_inside_a_package_year_wins(db):
    CalendarOverride.objects.create(date=D(2025, 3, 4), working=False, name="地方节日")
    calendar = current_calendar()
    assert not calendar.is_working_day(D(2025, 3, 4))
    assert due_day(local(2025, 3, 3, 9), 1, TimeUnit.WORKING_DAYS, calendar) == (
        D(2025, 3, 5), False)


def test_overrides_without_a_declared_year_still_flag_the_year(db):
    CalendarOverride.objects.create(date=D(2027, 3, 5), working=False, name="地方休息日")
    assert due_day(local(2027, 3, 1, 9), 4, TimeUnit.WORKING_DAYS, current_calendar()) == (
        D(2027, 3, 8), True)


# --- suspension and warnings (pure) ----------------------------------------------------------


def test_units_elapsed_counts_like_the_clock():
    monday, friday = local(2025, 3, 3, 10), local(2025, 3, 7, 10)
    assert units_elapsed(since=monday, until=friday, unit=TimeUnit.DAYS, calendar=CAL) == 4
    assert units_elapsed(since=monday, until=friday, unit=TimeUnit.WORKING_DAYS,
                         calendar=CAL) == 4
    next_monday = local(2025, 3, 10, 10)
    assert units_elapsed(since=friday, until=next_monday, unit=TimeUnit.WORKING_DAYS,
                         calendar=CAL) == 1
    assert units_elapsed(since=friday, until=next_monday, unit=TimeUnit.DAYS, calendar=CAL) == 3
    # A part day counts as a whole day: suspension never shortens a deadline.
    assert units_elapsed(since=monday, until=monday + dt.timedelta(hours=1),
                         unit=TimeUnit.DAYS, calendar=CAL) == 1
    assert units_elapsed(since=monday, until=monday + dt.timedelta(seconds=61),
                         unit=TimeUnit.MINUTES, calendar=CAL) == 2
    assert units_elapsed(since=friday, until=monday, unit=TimeUnit.DAYS, calendar=CAL) == 0
    # Suspended over the whole National Day holiday: only the working days count.
    assert units_elapsed(since=local(2024, 9, 30, 10), until=local(2024, 10, 8, 10),
                         unit=TimeUnit.WORKING_DAYS, calendar=CAL) == 1


def test_warning_schedule_levels():
    start = local(2025, 3, 3, 0)
    due = start + dt.timedelta(hours=100)
    schedule = warning_schedule(started_at=start, due_at=due)
    assert schedule.due_soon_at == start + dt.timedelta(hours=80)
    assert schedule.seriously_overdue_at == due + dt.timedelta(hours=50)
    for hours, level in [(0, WarningLevel.NONE), (79.9, WarningLevel.NONE),
                         (80, WarningLevel.DUE_SOON), (99.9, WarningLevel.DUE_SOON),
                         (100, WarningLevel.OVERDUE), (149.9, WarningLevel.OVERDUE),
                         (150, WarningLevel.SERIOUSLY_OVERDUE),
                         (10_000, WarningLevel.SERIOUSLY_OVERDUE)]:
        assert schedule.level_at(start + dt.timedelta(hours=hours)) == level, hours
    assert schedule.next_change_after(WarningLevel.NONE) == schedule.due_soon_at
    assert schedule.next_change_after(WarningLevel.DUE_SOON) == due
    assert schedule.next_change_after(WarningLevel.OVERDUE) == schedule.seriously_overdue_at
    assert schedule.next_change_after(WarningLevel.SERIOUSLY_OVERDUE) is None


def test_warning_schedule_uses_the_configured_shares(settings):
    settings.CIVICDESK_DUE_SOON_SHARE = 0.5
    settings.CIVICDESK_SERIOUS_OVERDUE_SHARE = 1.0
    start = local(2025, 3, 3, 0)
    schedule = warning_schedule(started_at=start, due_at=start + dt.timedelta(days=10))
    assert schedule.due_soon_at == start + dt.timedelta(days=5)
    assert schedule.seriously_overdue_at == start + dt.timedelta(days=20)


# --- properties ----------------------------------------------------------------------------

covered_starts = st.datetimes(
    # Late enough in 2026 a long clock runs into 2027, which the package does not cover.
    min_value=dt.datetime(2004, 1, 1), max_value=dt.datetime(2026, 2, 28, 23, 59),
).map(lambda moment: moment.replace(tzinfo=local(2025, 1, 1).tzinfo))
any_starts = st.datetimes(
    min_value=dt.datetime(2004, 1, 1), max_value=dt.datetime(2028, 12, 31, 23, 59),
).map(lambda moment: moment.replace(tzinfo=local(2025, 1, 1).tzinfo))
calendar_units = st.sampled_from([TimeUnit.DAYS, TimeUnit.WORKING_DAYS])


@settings(max_examples=200, deadline=None)
@given(start=any_starts, length=st.integers(1, 120))
def test_a_working_day_deadline_never_lands_on_a_rest_day(start, length):
    result = compute_due(start=start, length=length, unit=TimeUnit.WORKING_DAYS, calendar=CAL)
    assert CAL.is_working_day(result.due_at.date())
    assert result.due_at.date() > start.date()


@settings(max_examples=200, deadline=None)
@given(start=any_starts, length=st.integers(0, 400))
def test_a_days_deadline_never_lands_on_a_rest_day(start, length):
    result = compute_due(start=start, length=length, unit=TimeUnit.DAYS, calendar=CAL)
    last = result.due_at.date()
    assert CAL.is_working_day(last)
    assert last >= start.date() + dt.timedelta(days=length)
    # It rolled only over rest days.
    day = start.date() + dt.timedelta(days=length)
    while day < last:
        assert not CAL.is_working_day(day)
        day += dt.timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(start=any_starts, length=st.integers(0, 200), more=st.integers(0, 60), unit=calendar_units)
def test_due_is_monotonic_in_length(start, length, more, unit):
    shorter = compute_due(start=start, length=length, unit=unit, calendar=CAL).due_at
    longer = compute_due(start=start, length=length + more, unit=unit, calendar=CAL).due_at
    assert shorter <= longer
    if more and unit == TimeUnit.WORKING_DAYS:
        assert shorter < longer


@settings(max_examples=200, deadline=None)
@given(start=any_starts, length=st.integers(1, 90), unit=calendar_units,
       pause_from=st.integers(0, 60), pause_hours=st.integers(0, 24 * 40))
def test_suspension_never_shortens_a_deadline(start, length, unit, pause_from, pause_hours):
    suspended_at = start + dt.timedelta(days=pause_from)
    resumed_at = suspended_at + dt.timedelta(hours=pause_hours)
    paused = units_elapsed(since=suspended_at, until=resumed_at, unit=unit, calendar=CAL)
    assert paused >= 0
    plain = compute_due(start=start, length=length, unit=unit, calendar=CAL).due_at
    after = compute_due(start=start, length=length + paused, unit=unit, calendar=CAL).due_at
    assert after >= plain
    if paused and unit == TimeUnit.WORKING_DAYS:
        assert after > plain


@settings(max_examples=200, deadline=None)
@given(start=covered_starts, length=st.integers(0, 150), unit=calendar_units)
def test_covered_years_are_never_flagged_missing(start, length, unit):
    assert not compute_due(start=start, length=length, unit=unit, calendar=CAL).calendar_missing


@settings(max_examples=100, deadline=None)
@given(start=st.datetimes(min_value=dt.datetime(2027, 1, 1), max_value=dt.datetime(2030, 1, 1))
       .map(lambda m: m.replace(tzinfo=local(2025, 1, 1).tzinfo)),
       length=st.integers(1, 100), unit=calendar_units)
def test_uncovered_years_are_always_flagged_missing(start, length, unit):
    assert compute_due(start=start, length=length, unit=unit, calendar=CAL).calendar_missing


# --- clocks moved by actions (services) ------------------------------------------------------


def _petition_in_progress(world, at: dt.datetime) -> Case:
    clerk, dispatcher = world.users["clerk"], world.users["dispatcher"]
    case, created = case_create(actor=clerk, data=case_payload(
        world, type="petition", category="PET", title="反映征地补偿问题",
        description="村民反映征地补偿款未足额发放。"), now=at)
    assert created
    case_act(actor=clerk, case_id=case.pk, action="accept", data={}, now=at)
    case_act(actor=dispatcher, case_id=case.pk, action="dispatch",
             data=dict(ACTION_BODY["dispatch"]), now=at + dt.timedelta(hours=1))
    case_act(actor=world.users["handler"], case_id=case.pk, action="sign", data={},
             now=at + dt.timedelta(hours=2))
    return case


def _handling(case: Case) -> CaseClock:
    return CaseClock.objects.get(case=case, kind="handling")


def test_suspend_then_resume_moves_the_handling_due_date_by_the_days_suspended(world):
    start = local(2025, 6, 5, 10)  # Thursday; 60 days later is Monday 4 August
    case = _petition_in_progress(world, start)
    before = _handling(case)
    assert before.due_at == local(2025, 8, 4, 23, 59, 59)
    handler = world.users["handler"]
    case_act(actor=handler, case_id=case.pk, action="suspend",
             data={"reason": "等待司法鉴定"}, now=local(2025, 6, 10, 9))
    suspended = _handling(case)
    assert suspended.state == ClockState.SUSPENDED
    assert suspended.next_alert_at is None  # the sweep leaves a suspended clock alone
    case_act(actor=handler, case_id=case.pk, action="resume", data={},
             now=local(2025, 6, 13, 9))
    after = _handling(case)
    assert after.state == ClockState.RUNNING
    assert after.paused_units == 3
    assert after.due_at == before.due_at + dt.timedelta(days=3)
    assert after.due_at == compute_due(start=before.started_at, length=63, unit="days",
                                       calendar=CAL).due_at


def test_suspension_of_a_working_day_clock_gives_back_working_days(world):
    clerk = world.users["clerk"]
    start = local(2025, 3, 3, 10)  # Monday
    case, _ = case_create(actor=clerk, data=case_payload(world), now=start)
    case_act(actor=clerk, case_id=case.pk, action="accept", data={}, now=start)
    case_act(actor=world.users["dispatcher"], case_id=case.pk, action="dispatch",
             data=dict(ACTION_BODY["dispatch"]), now=start)
    case_act(actor=world.users["handler"], case_id=case.pk, action="sign", data={}, now=start)
    before = _handling(case)
    # REQ-WAGE: 5 working days from Monday 3 March is Monday 10 March.
    assert before.due_at == local(2025, 3, 10, 23, 59, 59)
    handler = world.users["handler"]
    case_act(actor=handler, case_id=case.pk, action="suspend", data={"reason": "等待鉴定"},
             now=local(2025, 3, 4, 10))
    case_act(actor=handler, case_id=case.pk, action="resume", data={},
             now=local(2025, 3, 11, 10))  # a week later: 5 working days
    after = _handling(case)
    assert after.paused_units == 5
    assert after.due_at == local(2025, 3, 17, 23, 59, 59)


@time_machine.travel(local(2025, 6, 5, 10), tick=False)
def test_extension_of_a_petition_needs_a_leader_a_reason_and_stays_within_30_days(world):
    case_id = drive_to(world, "in_progress", type="petition", category="PET")
    handling = CaseClock.objects.get(case_id=case_id, kind="handling")
    assert (handling.length, handling.unit, handling.max_extension) == (60, "days", 30)
    assert handling.due_at == local(2025, 8, 4, 23, 59, 59)

    for other in ("dispatcher", "handler", "dept_head", "clerk"):
        before = snapshot(case_id)
        response = act(world, case_id, "extend", other, days=5)
        assert response.status_code == 403, (other, response.content)
        assert response.json()["code"] == "forbidden"
        assert snapshot(case_id) == before

    body = act_ok(world, case_id, "extend", days=10, reason="需要补充调查取证")
    clock = next(d for d in body["deadlines"] if d["kind"] == "handling")
    assert clock["extended_by"] == 10
    assert clock["due_at"] == "2025-08-14T23:59:59+08:00"
    notice = [e for e in body["events"] if e["kind"] == "notice"][-1]
    assert notice["params"]["notice"] == "extension"
    assert "需要补充调查取证" in notice["params"]["text"]
    assert "2025-08-14" in notice["params"]["text"]
    assert body["events"][-2]["kind"] == "extend"
    assert body["events"][-2]["params"]["days"] == 10

    for days in (21, 0, -1, "ten", None):
        before = snapshot(case_id)
        response = act(world, case_id, "extend", days=days, reason="再延长")
        assert response.status_code == 422, (days, response.content)
        assert response.json()["code"] == "invalid"
        assert "days" in response.json()["errors"], (days, response.json())
        assert snapshot(case_id) == before
    before = snapshot(case_id)
    response = act(world, case_id, "extend", days=5, reason="")
    assert response.status_code == 422
    assert "reason" in response.json()["errors"]
    assert snapshot(case_id) == before

    act_ok(world, case_id, "extend", days=20)
    before = snapshot(case_id)
    response = act(world, case_id, "extend", days=1)
    assert response.status_code == 409  # nothing left to extend
    assert snapshot(case_id) == before
    assert CaseClock.objects.get(case_id=case_id, kind="handling").extended_by == 30


def test_a_leader_who_does_not_lead_the_case_cannot_see_it(world):
    from civicdesk.organization.choices import Role
    from civicdesk.organization.models import RoleAssignment, User

    other = User.objects.create_user(username="other_leader", password="pw-other-leader")
    RoleAssignment.objects.create(user=other, role=Role.LEADER)
    world.users["other_leader"] = other
    case_id = drive_to(world, "in_progress", type="petition", category="PET")
    before = snapshot(case_id)
    response = act(world, case_id, "extend", "other_leader")
    assert response.status_code == 404
    assert snapshot(case_id) == before


def test_an_overdue_case_extended_is_no_longer_overdue(world):
    start = local(2025, 3, 3, 10)
    case = _petition_in_progress(world, start)
    late = local(2025, 5, 7, 10)  # the handling clock was due 6 May (after Labour Day)
    deadlines_sweep(now=late)
    assert Case.objects.get(pk=case.pk).warning_level == WarningLevel.OVERDUE
    case_act(actor=world.users["leader"], case_id=case.pk, action="extend",
             data={"days": 30, "reason": "案情复杂"}, now=late)
    clock = _handling(case)
    # 90 days from 3 March is Sunday 1 June; 2 June is the Dragon Boat holiday: 3 June.
    assert clock.due_at == local(2025, 6, 3, 23, 59, 59)
    assert clock.warning_level == WarningLevel.NONE  # 70% of the new span used
    assert Case.objects.get(pk=case.pk).warning_level == WarningLevel.NONE
    # The sweep takes it up again when the new date passes.
    count = CaseEvent.objects.filter(case=case).count()
    deadlines_sweep(now=local(2025, 6, 4, 9))
    assert Case.objects.get(pk=case.pk).warning_level == WarningLevel.OVERDUE
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))[count:] == [
        "deadline_overdue"]


def test_a_suspended_clock_is_not_swept_and_alerts_again_after_resuming(world):
    start = local(2025, 6, 5, 10)
    case = _petition_in_progress(world, start)
    handler = world.users["handler"]
    case_act(actor=handler, case_id=case.pk, action="suspend", data={"reason": "等待鉴定"},
             now=local(2025, 6, 6, 10))
    count = CaseEvent.objects.filter(case=case).count()
    assert deadlines_sweep(now=local(2025, 9, 1)).events == 0
    assert CaseEvent.objects.filter(case=case).count() == count
    case_act(actor=handler, case_id=case.pk, action="resume", data={},
             now=local(2025, 9, 1, 10))
    clock = _handling(case)
    # 87 days suspended are given back: due 4 August + 87 days = 30 October.
    assert clock.paused_units == 87
    assert clock.due_at == local(2025, 10, 30, 23, 59, 59)
    assert clock.warning_level == WarningLevel.NONE
    deadlines_sweep(now=local(2025, 10, 31, 9))
    assert Case.objects.get(pk=case.pk).warning_level == WarningLevel.OVERDUE


def test_the_review_window_closes_after_30_days(world):
    start = local(2025, 3, 3, 10)
    case = _petition_in_progress(world, start)
    handler, clerk = world.users["handler"], world.users["clerk"]
    case_act(actor=handler, case_id=case.pk, action="report",
             data=dict(ACTION_BODY["report"]), now=local(2025, 3, 10, 10))
    case_act(actor=clerk, case_id=case.pk, action="reply", data={"delivered_via": "post"},
             now=local(2025, 3, 11, 10))
    window = CaseClock.objects.get(case=case, kind="review_request")
    assert window.due_at == local(2025, 4, 10, 23, 59, 59)
    before = snapshot(case.pk)
    with pytest.raises(IllegalTransition):
        case_act(actor=clerk, case_id=case.pk, action="request_review",
                 data={"reason": "不服"}, now=local(2025, 4, 11, 9))
    assert snapshot(case.pk) == before
    assert not Case.objects.filter(review_of=case).exists()
    review = case_act(actor=clerk, case_id=case.pk, action="request_review",
                      data={"reason": "不服"}, now=local(2025, 4, 10, 18))
    assert Case.objects.filter(review_of=review).count() == 1


def test_jurisdiction_overrides_and_category_policy(world):
    DeadlineOverride.objects.create(area=world.county, case_type="complaint", kind="handling",
                                    length=7, unit="working_days", basis="县12345办理规定")
    DeadlineOverride.objects.create(area=world.town_a, case_type="complaint", kind="handling",
                                    length=4, unit="working_days", basis="街道规定")
    DeadlineOverride.objects.create(area=world.county, case_type="request", kind="handling",
                                    length=7, unit="working_days", basis="县12345办理规定")
    start = local(2025, 3, 3, 10)

    def handling_for(**payload):
        case, _ = case_create(actor=world.users["clerk"], data=case_payload(world, **payload),
                              now=start)
        case_act(actor=world.users["clerk"], case_id=case.pk, action="accept", data={},
                 now=start)
        case_act(actor=world.users["dispatcher"], case_id=case.pk, action="dispatch",
                 data=dict(ACTION_BODY["dispatch"]), now=start)
        return _handling(case)

    complaint = {"type": "complaint", "category": "CMP-NOISE"}
    # The deepest area's rule wins: town A says 4 working days.
    clock = handling_for(**complaint)
    assert (clock.length, clock.basis) == (4, "街道规定")
    assert clock.due_at == local(2025, 3, 7, 23, 59, 59)
    # Town B has no rule of its own: the county's 7.
    clock = handling_for(area=world.village_b.code, **complaint)
    assert (clock.length, clock.basis) == (7, "县12345办理规定")
    # The wage category's own policy (5) beats the county's rule for requests.
    assert handling_for().length == 5


def test_a_hazard_rectification_period_is_set_at_dispatch(world):
    start = local(2025, 3, 3, 10)
    case, _ = case_create(actor=world.users["clerk"], data=case_payload(
        world, type="hazard", category="HAZ-FIRE", title="出租房楼道堆放杂物",
        description="出租房楼道堆放大量杂物，存在火灾隐患。"), now=start)
    case_act(actor=world.users["clerk"], case_id=case.pk, action="accept", data={}, now=start)
    case_act(actor=world.users["dispatcher"], case_id=case.pk, action="dispatch",
             data={**ACTION_BODY["dispatch"], "rectification_days": 7}, now=start)
    clock = CaseClock.objects.get(case=case, kind="rectification")
    assert (clock.length, clock.unit) == (7, "days")
    assert clock.due_at == local(2025, 3, 10, 23, 59, 59)


def test_a_dispute_gets_thirty_days_of_mediation(world):
    start = local(2025, 3, 3, 10)
    case, _ = case_create(actor=world.users["clerk"], data=case_payload(
        world, type="dispute", category="DSP-NEIGH", title="邻里漏水纠纷",
        description="楼上漏水导致楼下墙面受损，双方协商未果。"), now=start)
    case_act(actor=world.users["clerk"], case_id=case.pk, action="accept", data={}, now=start)
    clock = CaseClock.objects.get(case=case, kind="mediation")
    assert (clock.length, clock.unit, clock.state) == (30, "days", "running")
    assert clock.due_at == local(2025, 4, 2, 23, 59, 59)


# --- the calendar tool in the API ----------------------------------------------------------


def test_calendar_due_endpoint(world):
    client = world.client("clerk")
    response = client.get("/api/v1/calendar/due", {
        "start": "2024-09-27T15:00:00+08:00", "length": 3, "unit": "working_days"})
    assert response.status_code == 200, response.content
    assert response.json() == {"due_at": "2024-10-08T23:59:59+08:00", "calendar_missing": False}
    response = client.get("/api/v1/calendar/due", {
        "start": "2024-09-24T10:00:00+08:00", "length": 7, "unit": "days"})
    assert response.json() == {"due_at": "2024-10-08T23:59:59+08:00", "calendar_missing": False}
    response = client.get("/api/v1/calendar/due", {
        "start": "2027-03-01T09:00:00+08:00", "length": 5, "unit": "working_days"})
    assert response.status_code == 200
    assert response.json()["calendar_missing"] is True


def test_calendar_due_endpoint_reads_a_time_without_offset_as_shanghai_time(world):
    response = world.client("clerk").get("/api/v1/calendar/due", {
        "start": "2025-03-07T23:30:00", "length": 1, "unit": "working_days"})
    assert response.json() == {"due_at": "2025-03-10T23:59:59+08:00", "calendar_missing": False}


def test_a_case_received_before_the_package_years_shows_calendar_missing(world):
    body = create_case(world, received_at="2003-06-02T09:00:00+08:00")
    dispatch = body["deadlines"][0]
    assert dispatch["kind"] == "dispatch"
    assert dispatch["calendar_missing"] is True


def test_calendar_due_endpoint_follows_the_administrators_calendar(world):
    CalendarYear.objects.create(year=2027)
    CalendarOverride.objects.create(date=D(2027, 3, 5), working=False, name="地方休息日")
    response = world.client("clerk").get("/api/v1/calendar/due", {
        "start": "2027-03-01T09:00:00+08:00", "length": 4, "unit": "working_days"})
    assert response.json() == {"due_at": "2027-03-08T23:59:59+08:00", "calendar_missing": False}


@pytest.mark.parametrize(("query", "field"), [
    ({"start": "2025-03-03T09:00:00+08:00", "length": 0, "unit": "days"}, "length"),
    ({"start": "2025-03-03T09:00:00+08:00", "length": -3, "unit": "days"}, "length"),
    ({"start": "2025-03-03T09:00:00+08:00", "length": "ten", "unit": "days"}, "length"),
    ({"start": "2025-03-03T09:00:00+08:00", "length": 99999, "unit": "days"}, "length"),
    ({"start": "2025-03-03T09:00:00+08:00", "length": 3000, "unit": "working_days"}, "length"),
    ({"start": "2025-03-03T09:00:00+08:00", "length": 5, "unit": "weeks"}, "unit"),
    ({"start": "yesterday", "length": 5, "unit": "days"}, "start"),
    ({"length": 5, "unit": "days"}, "start"),
])
def test_calendar_due_endpoint_names_the_bad_field(world, query, field):
    response = world.client("clerk").get("/api/v1/calendar/due", query)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"], body


# --- the sweep -----------------------------------------------------------------------------


def test_sweep_raises_warnings_writes_reminders_and_is_idempotent(world):
    clerk = world.users["clerk"]
    start = local(2025, 3, 3, 10)  # Monday: the dispatch clock is due Tuesday 23:59:59
    case, _ = case_create(actor=clerk, data=case_payload(world), now=start)
    quiet, _ = case_create(actor=clerk, data=case_payload(world, title="另一件"),
                           now=start + dt.timedelta(days=1))
    clock = CaseClock.objects.get(case=case, kind="dispatch")
    assert clock.due_at == local(2025, 3, 4, 23, 59, 59)
    assert clock.warning_level == WarningLevel.NONE
    assert clock.next_alert_at == clock.due_soon_at
    client = world.client("dispatcher")

    def overdue_ids():
        return [c["id"] for c in client.get("/api/v1/cases?overdue=true").json()["results"]]

    def events():
        return CaseEvent.objects.filter(case=case).count()

    # Nothing is due yet.
    assert deadlines_sweep(now=start + dt.timedelta(hours=1)).events == 0
    assert overdue_ids() == []

    steps = [
        (clock.due_soon_at, WarningLevel.DUE_SOON, "deadline_due_soon"),
        (clock.due_at, WarningLevel.OVERDUE, "deadline_overdue"),
        (clock.seriously_overdue_at, WarningLevel.SERIOUSLY_OVERDUE,
         "deadline_seriously_overdue"),
    ]
    for moment, level, kind in steps:
        count = events()
        result = deadlines_sweep(now=moment)
        assert result.events >= 1
        clock.refresh_from_db()
        assert clock.warning_level == level
        assert clock.state == ClockState.RUNNING
        assert Case.objects.get(pk=case.pk).warning_level == level
        assert events() == count + 1
        reminder = CaseEvent.objects.filter(case=case).latest("id")
        assert reminder.kind == kind and reminder.actor is None
        assert reminder.params["clock"] == "dispatch"
        # Twice at the same moment changes nothing more.
        state = (events(), list(CaseClock.objects.values_list("id", "warning_level",
                                                             "next_alert_at", "state")))
        again = deadlines_sweep(now=moment)
        assert again.events == 0
        assert (events(), list(CaseClock.objects.values_list(
            "id", "warning_level", "next_alert_at", "state"))) == state
        if level >= WarningLevel.OVERDUE:
            assert case.pk in overdue_ids()
            assert quiet.pk not in overdue_ids()
        else:
            assert overdue_ids() == [] or case.pk not in overdue_ids()
    clock.refresh_from_db()
    assert clock.next_alert_at is None
    due_soon = client.get("/api/v1/cases?due_soon=true").json()["results"]
    assert case.pk not in [c["id"] for c in due_soon]


def test_sweep_jumping_straight_to_overdue_writes_one_reminder(world):
    start = local(2025, 3, 3, 10)
    case, _ = case_create(actor=world.users["clerk"], data=case_payload(world), now=start)
    count = CaseEvent.objects.filter(case=case).count()
    deadlines_sweep(now=local(2025, 3, 5, 9))
    assert Case.objects.get(pk=case.pk).warning_level == WarningLevel.OVERDUE
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))[count:]
    assert kinds == ["deadline_overdue"]


def test_sweep_ignores_stopped_and_suspended_clocks(world):
    start = local(2025, 3, 3, 10)
    case, _ = case_create(actor=world.users["clerk"], data=case_payload(world), now=start)
    case_act(actor=world.users["clerk"], case_id=case.pk, action="accept", data={}, now=start)
    count = CaseEvent.objects.filter(case=case).count()
    assert deadlines_sweep(now=local(2025, 4, 1)).events == 0
    assert CaseEvent.objects.filter(case=case).count() == count
    assert Case.objects.get(pk=case.pk).warning_level == WarningLevel.NONE


def test_sweep_closes_an_expired_window_without_a_warning(world):
    start = local(2025, 3, 3, 10)
    with time_machine.travel(start, tick=False):
        case_id = drive_to(world, "replied", type="petition", category="PET")
    window = CaseClock.objects.get(case_id=case_id, kind="review_request")
    count = CaseEvent.objects.filter(case_id=case_id).count()
    result = deadlines_sweep(now=window.due_at + dt.timedelta(seconds=1))
    assert result.windows_closed == 1
    window.refresh_from_db()
    assert window.state == ClockState.MISSED
    assert CaseEvent.objects.filter(case_id=case_id).count() == count
    assert deadlines_sweep(now=window.due_at + dt.timedelta(seconds=1)).windows_closed == 0


def test_a_late_registration_is_overdue_at_once(world):
    """A case entered days after it was received starts with its clocks already late."""
    with time_machine.travel(local(2025, 3, 10, 10), tick=False):
        body = create_case(world, received_at="2025-03-03T09:00:00+08:00")
    assert body["warning_level"] == WarningLevel.SERIOUSLY_OVERDUE
    overdue = world.client("clerk").get("/api/v1/cases?overdue=true").json()["results"]
    assert [c["id"] for c in overdue] == [body["id"]]


# --- the scheduler -------------------------------------------------------------------------


def test_scheduler_claims_each_due_run_once(db):
    job = Periodic("test_job", dt.timedelta(minutes=5), lambda: None)
    twin = Periodic("test_job", dt.timedelta(minutes=5), lambda: None)
    now = local(2025, 3, 3, 10)
    assert claim(job, now=now) is True
    assert claim(twin, now=now) is False
    assert claim(job, now=now + dt.timedelta(minutes=4, seconds=59)) is False
    assert claim(twin, now=now + dt.timedelta(minutes=5)) is True
    assert claim(job, now=now + dt.timedelta(minutes=5)) is False
    row = ScheduledJob.objects.get(name="test_job")
    assert row.next_run_at == now + dt.timedelta(minutes=10)
    assert row.last_enqueued_at == now + dt.timedelta(minutes=5)
    # A scheduler that was down for an hour claims one run, not twelve.
    later = now + dt.timedelta(hours=1)
    assert [claim(job, now=later) for _ in range(3)] == [True, False, False]
    assert ScheduledJob.objects.filter(name="test_job").count() == 1
