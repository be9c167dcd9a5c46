"""Slows down and then blocks guessing at the tracking form.

A receipt code plus the last four digits of a phone is a weak secret (10,000 possibilities),
so wrong answers are counted per receipt code and per address, in the database (every web
process sees the same counts):

- the first FREE_FAILURES wrong answers cost nothing (people mistype);
- after that each further try must wait, doubling from BASE_DELAY_SECONDS up to an hour;
- BLOCK_AFTER wrong answers within a day block the code (or the address) for the rest of it.

The tracking secret printed on the receipt (40 bits) is not guessable at these rates, so a
code locked by someone else's guessing still opens with its secret; only the address limit
applies to it.
"""

from __future__ import annotations

import datetime as dt
import math

from django.db import transaction

from civicdesk.portal.models import TrackingGuard

FREE_FAILURES = 3
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 3600
WINDOW = dt.timedelta(hours=24)
BLOCK_AFTER = {"code": 10, "ip": 50}


def code_key(receipt_code: str) -> str:
    return f"code:{receipt_code}"


def address_key(address: str) -> str:
    return f"ip:{address}"[:80]


def seconds_to_wait(keys: list[str], *, now: dt.datetime) -> int:
    """How long the caller must wait before the next try (0: may try now)."""
    waits = [_wait(guard, now) for guard in TrackingGuard.objects.filter(key__in=keys)]
    return max(waits, default=0)


def _wait(guard: TrackingGuard, now: dt.datetime) -> int:
    if now - guard.window_started_at > WINDOW:
        return 0
    if guard.blocked_until is not None and guard.blocked_until > now:
        return math.ceil((guard.blocked_until - now).total_seconds())
    if guard.failures < FREE_FAILURES:
        return 0
    delay = min(BASE_DELAY_SECONDS * 2 ** (guard.failures - FREE_FAILURES), MAX_DELAY_SECONDS)
    free_at = guard.last_failed_at + dt.timedelta(seconds=delay)
    return max(0, math.ceil((free_at - now).total_seconds()))


def record_failure(keys: list[str], *, now: dt.datetime) -> None:
    with transaction.atomic():
        for key in keys:
            _count_failure(key, now)


def _count_failure(key: str, now: dt.datetime) -> None:
    guard, _created = TrackingGuard.objects.select_for_update().get_or_create(
        key=key, defaults={"window_started_at": now, "last_failed_at": now}
    )
    if now - guard.window_started_at > WINDOW:
        guard.failures, guard.window_started_at, guard.blocked_until = 0, now, None
    guard.failures += 1
    guard.last_failed_at = now
    if guard.failures >= BLOCK_AFTER[key.split(":", 1)[0]]:
        guard.blocked_until = guard.window_started_at + WINDOW
    guard.save()


def record_success(receipt_code: str) -> None:
    TrackingGuard.objects.filter(key=code_key(receipt_code)).delete()
