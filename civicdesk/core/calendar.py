"""The working-day calendar: statutory holidays and make-up working days (调休).

The State Council announces each year's holidays; they are data, never a formula. The
`chinese-calendar` package carries the announced years; an administrator enters later years and
local rest days as overrides. A day in a year that neither covers is still answered (Monday to
Friday as working days) but flagged as missing, so no deadline is silently guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants as calendar_constants


@lru_cache(maxsize=1)
def builtin_years() -> frozenset[int]:
    """The years the chinese-calendar package knows, read from its own data."""
    days = list(calendar_constants.holidays) + list(calendar_constants.workdays)
    years = {day.year for day in days}
    return frozenset(range(min(years), max(years) + 1))


@dataclass(frozen=True)
class DayInfo:
    working: bool
    calendar_missing: bool


@dataclass(frozen=True)
class WorkingCalendar:
    """Answers "is this a working day?" from the package, overrides and declared years.

    `overrides` maps a date to True (a working day, e.g. a make-up Saturday) or False (a rest
    day, e.g. a local holiday). `declared_years` are years an administrator has entered in full,
    which count as covered even though the package does not know them.
    """

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    declared_years: frozenset[int] = frozenset()

    def covers(self, year: int) -> bool:
        return year in builtin_years() or year in self.declared_years

    def day(self, day: dt.date) -> DayInfo:
        missing = not self.covers(day.year)
        if day in self.overrides:
            return DayInfo(working=self.overrides[day], calendar_missing=missing)
        if day.year in builtin_years():
            return DayInfo(working=chinese_calendar.is_workday(day), calendar_missing=False)
        return DayInfo(working=day.weekday() < 5, calendar_missing=missing)

    def is_working_day(self, day: dt.date) -> bool:
        return self.day(day).working

    def missing_years(self, days: Iterable[dt.date]) -> set[int]:
        return {day.year for day in days if not self.covers(day.year)}


PACKAGE_CALENDAR = WorkingCalendar()
