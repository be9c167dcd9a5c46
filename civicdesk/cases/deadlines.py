"""The deadline engine: pure functions over a calendar, no database.

Counting rules (DOMAIN.md):
- "N days" (日): the start day is not counted; if the last day is a statutory rest day the period
  ends on the next working day (民法典 arts 201, 203). The period ends at 24:00 of its last day.
- "N working days" (工作日): weekends and statutory holidays are skipped, make-up working days
  count; the start day is not counted.
- "N minutes": plain elapsed time, for urgent reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from civicdesk.cases.choices import TimeUnit, WarningLevel
from civicdesk.core.calendar import WorkingCalendar

# A guard against runaway loops on absurd input (a length of years of working days).
MAX_LENGTH = {TimeUnit.DAYS: 3660, TimeUnit.WORKING_DAYS: 2500, TimeUnit.MINUTES: 60 * 24 * 366}


@dataclass(frozen=True)
class DueResult:
    due_at: dt.datetime
    calendar_missing: bool


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def end_of_day(day: dt.date) -> dt.datetime:
    # 民法典 art 203: the last day of a period ends at 24:00. One second before midnight keeps
    # the due moment on the last day itself, which is how staff and residents read it.
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local_zone())


def compute_due(
    *, start: dt.datetime, length: int, unit: str, calendar: WorkingCalendar
) -> DueResult:
    if length < 0 or length > MAX_LENGTH[TimeUnit(unit)]:
        raise ValueError(f"length {length} out of range for {unit}")
    if unit == TimeUnit.MINUTES:
        return DueResult(due_at=start + dt.timedelta(minutes=length), calendar_missing=False)
    start_day = start.astimezone(local_zone()).date()
    if unit == TimeUnit.DAYS:
        last_day, missing = _add_days(start_day, length, calendar)
    else:
        last_day, missing = _add_working_days(start_day, length, calendar)
    return DueResult(due_at=end_of_day(last_day), calendar_missing=missing)


def _add_days(start_day: dt.date, length: int, calendar: WorkingCalendar) -> tuple[dt.date, bool]:
    last_day = start_day + dt.timedelta(days=length)
    info = calendar.day(last_day)
    missing = info.calendar_missing
    while not info.working:
        last_day += dt.timedelta(days=1)
        info = calendar.day(last_day)
        missing = missing or info.calendar_missing
    return last_day, missing


def _add_working_days(
    start_day: dt.date, length: int, calendar: WorkingCalendar
) -> tuple[dt.date, bool]:
    day, counted, missing = start_day, 0, False
    while counted < length:
        day += dt.timedelta(days=1)
        info = calendar.day(day)
        missing = missing or info.calendar_missing
        if info.working:
            counted += 1
    return day, missing


def units_elapsed(
    *, since: dt.datetime, until: dt.datetime, unit: str, calendar: WorkingCalendar
) -> int:
    """How many units of a clock passed between two moments, counted like the clock counts.

    Used for suspension: the days (or working days) a clock stood still are given back to it.
    A part-day counts as a whole day, so suspension never shortens a deadline.
    """
    if until <= since:
        return 0
    if unit == TimeUnit.MINUTES:
        seconds = (until - since).total_seconds()
        return int(-(-seconds // 60))
    zone = local_zone()
    first, last = since.astimezone(zone).date(), until.astimezone(zone).date()
    if unit == TimeUnit.DAYS:
        return max((last - first).days, 1)
    working = sum(
        1
        for offset in range(1, (last - first).days + 1)
        if calendar.is_working_day(first + dt.timedelta(days=offset))
    )
    return max(working, 1 if calendar.is_working_day(first) else 0)


@dataclass(frozen=True)
class WarningSchedule:
    due_soon_at: dt.datetime
    due_at: dt.datetime
    seriously_overdue_at: dt.datetime

    def level_at(self, moment: dt.datetime) -> WarningLevel:
        if moment >= self.seriously_overdue_at:
            return WarningLevel.SERIOUSLY_OVERDUE
        if moment >= self.due_at:
            return WarningLevel.OVERDUE
        if moment >= self.due_soon_at:
            return WarningLevel.DUE_SOON
        return WarningLevel.NONE

    def next_change_after(self, level: WarningLevel) -> dt.datetime | None:
        return {
            WarningLevel.NONE: self.due_soon_at,
            WarningLevel.DUE_SOON: self.due_at,
            WarningLevel.OVERDUE: self.seriously_overdue_at,
        }.get(level)


def warning_schedule(*, started_at: dt.datetime, due_at: dt.datetime) -> WarningSchedule:
    span = max(due_at - started_at, dt.timedelta(0))
    return WarningSchedule(
        due_soon_at=started_at + span * settings.CIVICDESK_DUE_SOON_SHARE,
        due_at=due_at,
        seriously_overdue_at=due_at + span * settings.CIVICDESK_SERIOUS_OVERDUE_SHARE,
    )
