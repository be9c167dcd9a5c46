"""The deadline sweep: moves running clocks to due-soon / overdue and writes reminder events.

One indexed query finds the clocks whose next warning moment has come (`next_alert_at`). Each
is moved to the level it has now and given its next moment, so a second run at the same time
finds nothing and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from civicdesk.cases.choices import ClockState, WarningLevel
from civicdesk.cases.deadlines import WarningSchedule
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
    events: list[CaseEvent] = []
    case_ids: set[int] = set()
    for clock in batch:
        if clock.is_window:
            clock.state, clock.ended_at, clock.next_alert_at = ClockState.MISSED, now, None
            result.windows_closed += 1
            continue
        schedule = WarningSchedule(clock.due_soon_at, clock.due_at, clock.seriously_overdue_at)
        level = schedule.level_at(now)
        clock.next_alert_at = schedule.next_change_after(level)
        if level > clock.warning_level:
            clock.warning_level = level
            events.append(
                CaseEvent(
                    case_id=clock.case_id,
                    kind=_EVENT_KINDS[level],
                    actor=None,
                    at=now,
                    params={"clock": clock.kind, "due_at": clock.due_at.isoformat()},
                )
            )
            case_ids.add(clock.case_id)
    CaseClock.objects.bulk_update(batch, ["state", "ended_at", "next_alert_at", "warning_level"])
    CaseEvent.objects.bulk_create(events)
    _refresh_case_levels(case_ids)
    result.clocks += len(batch)
    result.events += len(events)


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
