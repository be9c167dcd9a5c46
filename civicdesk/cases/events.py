"""Appending to a case's timeline: the one way a CaseEvent is written.

Each event carries a SHA-256 over a canonical serialisation of its content and the hash of the
case's previous event (by id), so an edit, a deletion or a re-ordering done behind the
application's back breaks the chain where it happened (civicdesk.cases.integrity finds it;
docs/decisions/0025-event-hash-chain.md). The serialisation below is frozen: changing it makes
every stored chain look broken.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from civicdesk.cases.models import Case, CaseEvent

# The previous hash of a case's first event.
GENESIS = ""


def event_hash(
    *,
    case_id: int,
    kind: str,
    actor_id: int | None,
    at: dt.datetime,
    from_status: str,
    to_status: str,
    params: Any,
    previous_hash: str,
) -> str:
    """Hex SHA-256 of the event's content as sorted-key compact JSON (UTF-8, not escaped)."""
    content = {
        "case": case_id,
        "kind": kind,
        "actor": actor_id,
        "at": utc_iso(at),
        "from": from_status,
        "to": to_status,
        "params": params,
        "previous": previous_hash,
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_iso(at: dt.datetime) -> str:
    # A naive time is read in the default time zone, as Django does when it stores one.
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def stored_form(params: dict[str, Any]) -> Any:
    """The parameters as the JSON column gives them back (tuples become lists, keys strings),
    so the hash written now is the hash recomputed from the row later."""
    return json.loads(json.dumps(params))


def append_event(
    *,
    case: Case,
    kind: str,
    actor: Any,
    at: dt.datetime,
    params: dict[str, Any],
    from_status: str = "",
    to_status: str = "",
    case_locked: bool = False,
    first: bool = False,
) -> CaseEvent:
    """Writes one event at the end of the case's chain, in the caller's transaction.

    The case row is locked first (PostgreSQL; SQLite writers queue on their IMMEDIATE
    transactions) so two writers cannot both chain to the same previous event.
    `case_locked`: the caller already holds the row lock (transition's compare-and-swap UPDATE
    takes it). `first`: the case was inserted in this transaction, its chain starts here.
    """
    with transaction.atomic(savepoint=False):
        if first:
            previous = GENESIS
        else:
            if not case_locked:
                _lock_cases([case.pk])
            previous = _last_hashes([case.pk]).get(case.pk, GENESIS)
        event = CaseEvent(
            case=case,
            kind=kind,
            actor=actor,
            at=at,
            from_status=from_status,
            to_status=to_status,
            params=stored_form(params),
        )
        _chain(event, previous)
        event.save(force_insert=True)
    return event


def append_events(events: Sequence[CaseEvent]) -> list[CaseEvent]:
    """Writes unsaved events (of any cases, each case's in the given order) in one INSERT,
    each chained after its case's last event. Four queries whatever the count."""
    if not events:
        return []
    case_ids = sorted({event.case_id for event in events})
    with transaction.atomic(savepoint=False):
        _lock_cases(case_ids)
        last = _last_hashes(case_ids)
        for event in events:
            event.params = stored_form(event.params)
            _chain(event, last.get(event.case_id, GENESIS))
            last[event.case_id] = event.hash
        return CaseEvent.objects.bulk_create(events)


def _chain(event: CaseEvent, previous: str) -> None:
    event.previous_hash = previous
    event.hash = event_hash(
        case_id=event.case_id,
        kind=event.kind,
        actor_id=event.actor_id,
        at=event.at,
        from_status=event.from_status,
        to_status=event.to_status,
        params=event.params,
        previous_hash=previous,
    )


def _lock_cases(case_ids: list[int]) -> None:
    # In id order, so two writers locking overlapping sets cannot deadlock on each other. A
    # separate statement from the look-up: in READ COMMITTED the look-up then sees what the
    # writer we waited for committed.
    list(
        Case.objects.select_for_update()
        .filter(pk__in=case_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _last_hashes(case_ids: list[int]) -> dict[int, str]:
    last = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-id").values("hash")[:1]
    rows = (
        Case.objects.filter(pk__in=case_ids)
        .annotate(last_hash=Subquery(last))
        .values_list("pk", "last_hash")
    )
    return {pk: last_hash or GENESIS for pk, last_hash in rows}
