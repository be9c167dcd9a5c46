"""The deadline sweep: moves running clocks to due-soon / overdue and writes reminder events.

One indexed query finds the clocks whose next warning moment has come (`next_alert_at`). Each
is moved to the level it has now and given its next moment, so a second run at the same time
finds nothing and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from civicdesk.cases.choices import ClockState, WarningLevel
from civicdesk.cases.deadlines import WarningSchedule
from civicdesk.cases.events import append_events
from civicdesk.cases.models import Case, CaseClock, CaseEvent

BATCH = 2000
_EVENT_KINDS = {
    WarningLevel.DUE_SOON: "deadline_due_soon",
    WarningLevel.OVERDUE: "deadline_overdue",
    WarningLevel.SERIOUSLY_OVERDUE: "deadline_seriously_overdue",
}


@dataclass
class SweepResult:
    clocks: int = 0
    events: int = 0
    windows_closed: int = 0


def deadlines_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    while True:
        with transaction.atomic():
            batch = list(
                CaseClock.objects.select_for_update(skip_locked=True)
                .filter(state=ClockState.RUNNING, next_alert_at__lte=now)
                .order_by("next_alert_at")[:BATCH]
            )
            if not batch:
                return result
            _sweep_batch(batch, now=now, result=result)


def _sweep_batch(batch: list[CaseClock], *, now: dt.datetime, result: SweepResult) -> None:
    """Moves a batch with a handful of set-based UPDATEs, one per outcome, rather than one
    statement per clock: the next alert moment depends only on the new level."""
    expired_windows = [clock.pk for clock in batch if clock.is_window]
    by_level: dict[WarningLevel, list[int]] = {}
    events: list[CaseEvent] = []
    for clock in batch:
        if clock.is_window:
            continue
        schedule = WarningSchedule(clock.due_soon_at, clock.due_at, clock.seriously_overdue_at)
        level = max(schedule.level_at(now), WarningLevel(clock.warning_level))
        by_level.setdefault(level, []).append(clock.pk)
        if level > clock.warning_level:
            events.append(_reminder(clock, level, now))
    if expired_windows:
        CaseClock.objects.filter(pk__in=expired_windows).update(
            state=ClockState.MISSED, ended_at=now, next_alert_at=None
        )
    for level, ids in by_level.items():
        CaseClock.objects.filter(pk__in=ids).update(
            warning_level=level, next_alert_at=_NEXT_ALERT[level]
        )
    append_events(events)
    _refresh_case_levels({event.case_id for event in events})
    result.clocks += len(batch)
    result.events += len(events)
    result.windows_closed += len(expired_windows)


# The moment a clock at each level next needs the sweep, as a column of its own row.
_NEXT_ALERT: dict[WarningLevel, Any] = {
    WarningLevel.NONE: F("due_soon_at"),
    WarningLevel.DUE_SOON: F("due_at"),
    WarningLevel.OVERDUE: F("seriously_overdue_at"),
    WarningLevel.SERIOUSLY_OVERDUE: None,
}


def _reminder(clock: CaseClock, level: WarningLevel, now: dt.datetime) -> CaseEvent:
    return CaseEvent(
        case_id=clock.case_id,
        kind=_EVENT_KINDS[level],
        actor=None,
        at=now,
        params={"clock": clock.kind, "due_at": clock.due_at.isoformat()},
    )


def _refresh_case_levels(case_ids: set[int]) -> None:
    levels = (
        CaseClock.objects.filter(case_id__in=case_ids, state=ClockState.RUNNING, is_window=False)
        .values("case_id")
        .annotate(level=Max("warning_level"))
    )
    by_level: dict[int, list[int]] = {}
    for row in levels:
        by_level.setdefault(row["level"], []).append(row["case_id"])
    for level, ids in by_level.items():
        Case.objects.filter(id__in=ids).update(warning_level=level)
