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

Each try is counted against its code before its answer is checked (and cleared when it was
right), so tries sent at the same moment cannot all slip through as the free ones.
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


def admit(keys: list[str], *, now: dt.datetime) -> int:
    """Lets one try through, or says how long the caller must wait first (nothing counted then).

    A try that goes through is counted against its receipt code at once, before its answer is
    checked, under a lock on the counters: tries sent at the same moment at one code (from
    many addresses) queue here and each sees those before it, so a burst cannot all pass as
    the free ones. A right answer clears the code's count (`record_success`). An address is
    counted after a wrong answer (`record_failure`): its tries are already counted one by one
    by the portal's rate limit, and a right answer must not cost the next visitor a wait.
    """
    in_advance = sorted(key for key in set(keys) if key.startswith("code:"))
    for key in in_advance:
        # The row exists before it is locked: locking a row that is not there yet locks
        # nothing, and a burst at a fresh code would pass unseen.
        TrackingGuard.objects.get_or_create(
            key=key, defaults={"window_started_at": now, "last_failed_at": now}
        )
    with transaction.atomic():
        locked = TrackingGuard.objects.select_for_update().filter(key__in=keys).order_by("key")
        guards = list(locked)
        wait = max((_wait(guard, now) for guard in guards), default=0)
        if wait:
            return wait
        for guard in guards:
            if guard.key in in_advance:
                _count_failure(guard, now)
    return 0


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
    """A wrong answer: counts it against the address (`admit` has counted it for the code)."""
    with transaction.atomic():
        for key in keys:
            if not key.startswith("code:"):
                guard, _created = TrackingGuard.objects.select_for_update().get_or_create(
                    key=key, defaults={"window_started_at": now, "last_failed_at": now}
                )
                _count_failure(guard, now)


def _count_failure(guard: TrackingGuard, now: dt.datetime) -> None:
    if now - guard.window_started_at > WINDOW:
        guard.failures, guard.window_started_at, guard.blocked_until = 0, now, None
    guard.failures += 1
    guard.last_failed_at = now
    if guard.failures >= BLOCK_AFTER[guard.key.split(":", 1)[0]]:
        guard.blocked_until = guard.window_started_at + WINDOW
    guard.save()


def record_success(receipt_code: str) -> None:
    TrackingGuard.objects.filter(key=code_key(receipt_code)).delete()


def purge_stale(*, now: dt.datetime) -> int:
    """Deletes counts whose day is over and whose block (if any) has ended."""
    stale = TrackingGuard.objects.filter(window_started_at__lt=now - WINDOW).exclude(
        blocked_until__gt=now
    )
    deleted, _per_model = stale.delete()
    return deleted
