"""Starts, stops, suspends and extends a case's legal clocks as actions happen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max

from civicdesk.cases.choices import Action as A
from civicdesk.cases.choices import ClockKind, ClockState, Satisfaction, WarningLevel
from civicdesk.cases.choices import Status as S
from civicdesk.cases.deadline_rules import (
    RATED_SATISFIED,
    ClockRule,
    LengthOverride,
    default_rules_for,
    effective_rule,
    stored_basis,
)
from civicdesk.cases.deadlines import compute_due, units_elapsed, warning_schedule
from civicdesk.cases.models import Case, CaseClock, DeadlineOverride
from civicdesk.cases.transitions import FINISHED_STATES
from civicdesk.core.calendar_store import current_calendar

# The clocks an extension lengthens: the time to handle the matter itself.
EXTENDABLE_KINDS = (
    ClockKind.HANDLING,
    ClockKind.MEDIATION,
    ClockKind.RECTIFICATION,
    ClockKind.REVIEW,
)


def jurisdiction_overrides(case: Case) -> dict[str, LengthOverride]:
    """The deepest area override for each clock, walking up the case's area path."""
    codes = [code for code in case.area.path.split("/") if code]
    rows = DeadlineOverride.objects.filter(area__code__in=codes, case_type=case.type).values(
        "kind", "length", "unit", "basis", "max_extension", "area__path"
    )
    chosen: dict[str, LengthOverride] = {}
    for row in sorted(rows, key=lambda r: len(r["area__path"])):
        chosen[row["kind"]] = LengthOverride(
            row["length"], row["unit"], row["basis"], row["max_extension"]
        )
    return chosen


def rules_for_case(case: Case, extra: dict[str, LengthOverride] | None = None) -> list[ClockRule]:
    jurisdiction = {**jurisdiction_overrides(case), **(extra or {})}
    policy = case.category.deadline_policy or {}
    if extra:
        # A length set for this one case (a hazard's rectification period) beats the category.
        policy = {kind: rule for kind, rule in policy.items() if kind not in extra}
    return [
        effective_rule(rule, jurisdiction=jurisdiction, category_policy=policy)
        for rule in default_rules_for(case.type)
    ]


def new_clock(
    *, case: Case, rule: ClockRule, started_at: dt.datetime, now: dt.datetime
) -> CaseClock:
    result = compute_due(
        start=started_at, length=rule.length, unit=rule.unit, calendar=current_calendar()
    )
    clock = CaseClock(
        case=case,
        kind=rule.kind,
        started_at=started_at,
        length=rule.length,
        unit=rule.unit,
        basis=stored_basis(rule.basis),
        max_extension=rule.max_extension,
        is_window=rule.is_window,
        calendar_missing=result.calendar_missing,
        due_at=result.due_at,
        due_soon_at=result.due_at,
        seriously_overdue_at=result.due_at,
    )
    schedule_warnings(clock, now=now)
    return clock


def schedule_warnings(clock: CaseClock, *, now: dt.datetime) -> None:
    """Sets the clock's warning moments, its level at `now` and when the sweep looks again."""
    schedule = warning_schedule(started_at=clock.started_at, due_at=clock.due_at)
    clock.due_soon_at = schedule.due_soon_at
    clock.seriously_overdue_at = schedule.seriously_overdue_at
    if clock.is_window:
        # A window raises no warnings; the sweep looks at it once, when it expires.
        clock.warning_level = WarningLevel.NONE
        clock.next_alert_at = clock.due_at
        return
    clock.warning_level = schedule.level_at(now)
    clock.next_alert_at = schedule.next_change_after(WarningLevel(clock.warning_level))


def recompute_due(clock: CaseClock, *, now: dt.datetime) -> None:
    result = compute_due(
        start=clock.started_at,
        length=clock.length + clock.extended_by + clock.paused_units,
        unit=clock.unit,
        calendar=current_calendar(),
    )
    clock.due_at, clock.calendar_missing = result.due_at, result.calendar_missing
    schedule_warnings(clock, now=now)


def follow_action(
    *,
    case: Case,
    action: str,
    now: dt.datetime,
    params: dict[str, Any],
    started_at: dt.datetime | None = None,
    entered: str | None = None,
) -> None:
    """Applies one action to the clocks: stop those it ends, start those it begins.

    New clocks start at `started_at` (the time of receipt, for intake) or else now. Entering
    the reopened state counts as a reopening whichever action led there (an unsatisfied
    follow-up reopens the case too).
    """
    triggers = {action} | ({A.REOPEN} if entered == S.REOPENED else set())
    if action == A.RATE and params.get("satisfaction") != Satisfaction.UNSATISFIED:
        triggers.add(RATED_SATISFIED)
    extra = _per_case_lengths(params)
    rules = rules_for_case(case, extra)
    # A case being registered has no clocks yet: no need to ask.
    open_clocks = (
        []
        if action == A.CREATE
        else list(case.clocks.exclude(state__in=[ClockState.MET, ClockState.MISSED]))
    )
    stopping = {rule.kind for rule in rules if triggers & rule.stops_on}
    # A resident's window counts from the latest act that opens it: a new reply after a
    # reopening gives a fresh 30 days to request review of that reply (art. 35).
    stopping |= {rule.kind for rule in rules if rule.is_window and triggers & rule.starts_on}
    for clock in open_clocks:
        # A finished case stops its clocks, except the resident's windows: a closed petition
        # may still be taken to review within 30 days of its reply.
        finished = case.status in FINISHED_STATES and not clock.is_window
        if finished or clock.kind in stopping:
            _stop(clock, now=now)
    if action == A.SUSPEND:
        _suspend_all(open_clocks, now=now)
    elif action == A.RESUME:
        _resume_all(open_clocks, now=now)
    running_kinds = {c.kind for c in open_clocks if c.ended_at is None}
    started: list[CaseClock] = []
    if case.status not in FINISHED_STATES:
        starting = [r for r in rules if triggers & r.starts_on and r.kind not in running_kinds]
        started = CaseClock.objects.bulk_create(
            new_clock(case=case, rule=r, started_at=started_at or now, now=now) for r in starting
        )
    # Every clock that is not finished is in hand, so the case's level needs no query.
    _set_case_warning(case, worst_warning([*open_clocks, *started]))


def extend(*, case: Case, length: int, now: dt.datetime) -> CaseClock | None:
    """Lengthens the running handling clock; None when there is none to extend."""
    clock = (
        case.clocks.filter(kind__in=EXTENDABLE_KINDS, state=ClockState.RUNNING)
        .order_by("-started_at")
        .first()
    )
    if clock is None:
        return None
    clock.extended_by += length
    recompute_due(clock, now=now)
    clock.save()
    refresh_case_warning(case)
    return clock


def extension_left(case: Case) -> tuple[CaseClock | None, int]:
    clock = (
        case.clocks.filter(kind__in=EXTENDABLE_KINDS, state=ClockState.RUNNING)
        .order_by("-started_at")
        .first()
    )
    if clock is None:
        return None, 0
    return clock, max(clock.max_extension - clock.extended_by, 0)


def worst_warning(clocks: list[CaseClock]) -> int:
    levels = [c.warning_level for c in clocks if c.state == ClockState.RUNNING and not c.is_window]
    return max(levels, default=WarningLevel.NONE)


def refresh_case_warning(case: Case) -> None:
    level = (
        (
            case.clocks.filter(state=ClockState.RUNNING, is_window=False).aggregate(
                level=Max("warning_level")
            )["level"]
        )
        or WarningLevel.NONE
    )
    _set_case_warning(case, level)


def _set_case_warning(case: Case, level: int) -> None:
    if level != case.warning_level:
        Case.objects.filter(pk=case.pk).update(warning_level=level)
        case.warning_level = level


def _per_case_lengths(params: dict[str, Any]) -> dict[str, LengthOverride]:
    days = params.get("rectification_days")
    if days:
        return {ClockKind.RECTIFICATION: LengthOverride(int(days), "days")}
    return {}


def _stop(clock: CaseClock, *, now: dt.datetime) -> None:
    if clock.state == ClockState.SUSPENDED and clock.suspended_at is not None:
        clock.paused_units += units_elapsed(
            since=clock.suspended_at, until=now, unit=clock.unit, calendar=current_calendar()
        )
        recompute_due(clock, now=now)
    clock.state = ClockState.MET if now <= clock.due_at else ClockState.MISSED
    clock.ended_at, clock.suspended_at, clock.next_alert_at = now, None, None
    clock.save()


def _suspend_all(clocks: list[CaseClock], *, now: dt.datetime) -> None:
    for clock in clocks:
        if clock.state == ClockState.RUNNING and not clock.is_window:
            clock.state, clock.suspended_at, clock.next_alert_at = ClockState.SUSPENDED, now, None
            clock.save()


def _resume_all(clocks: list[CaseClock], *, now: dt.datetime) -> None:
    for clock in clocks:
        if clock.state == ClockState.SUSPENDED and clock.suspended_at is not None:
            clock.paused_units += units_elapsed(
                since=clock.suspended_at, until=now, unit=clock.unit, calendar=current_calendar()
            )
            clock.state, clock.suspended_at = ClockState.RUNNING, None
            recompute_due(clock, now=now)
            clock.save()
