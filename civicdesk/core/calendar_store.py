"""Builds the working calendar from the package plus the administrators' overrides."""

from __future__ import annotations

import time

from civicdesk.core.calendar import WorkingCalendar

# Overrides change a few times a year; a short cache keeps deadline work off the database
# while an edit in the admin still reaches every process within a minute.
_CACHE_SECONDS = 60.0
_cached: tuple[float, WorkingCalendar] | None = None


def current_calendar() -> WorkingCalendar:
    global _cached
    now = time.monotonic()
    if _cached is not None and now - _cached[0] < _CACHE_SECONDS:
        return _cached[1]
    calendar = _load_calendar()
    _cached = (now, calendar)
    return calendar


def forget_calendar() -> None:
    global _cached
    _cached = None


def _load_calendar() -> WorkingCalendar:
    from civicdesk.core.models import CalendarOverride, CalendarYear

    overrides = dict(CalendarOverride.objects.values_list("date", "working"))
    declared = frozenset(CalendarYear.objects.values_list("year", flat=True))
    return WorkingCalendar(overrides=overrides, declared_years=declared)
