"""Checking the tamper-evident timelines (civicdesk.cases.events): every case's events, in id
order, recomputed and linked. Read-only; used by `manage.py verify_events`, the tests and the
backup drill.

What a chain proves: an event edited, deleted, inserted or moved behind the application's back
breaks it at that event. What it cannot prove on its own: that the newest events were not cut
off, nor that someone who also rewrote every later hash did not (see decision 0025).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from civicdesk.cases.events import GENESIS, event_hash
from civicdesk.cases.models import Case, CaseEvent

CASES_PER_BATCH = 500
# (id, case_id, kind, actor_id, at, from_status, to_status, params, previous_hash, hash)
EventRow = tuple[Any, ...]
_EVENT_COLUMNS = (
    "id",
    "case_id",
    "kind",
    "actor_id",
    "at",
    "from_status",
    "to_status",
    "params",
    "previous_hash",
    "hash",
)


class Problem(enum.StrEnum):
    CONTENT_CHANGED = "content_changed"
    PREVIOUS_MISMATCH = "previous_mismatch"
    EVENT_MISSING = "event_missing"


_DESCRIPTIONS = {
    Problem.CONTENT_CHANGED: "content changed: its hash does not match what it holds",
    Problem.PREVIOUS_MISMATCH: (
        "previous hash does not match the event before it (events re-ordered or moved)"
    ),
    Problem.EVENT_MISSING: (
        "event missing: its previous hash matches no stored event of the case "
        "(an event before it was deleted or rewritten)"
    ),
}


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link of one case's chain. `event_id` is None when the case has no
    events at all (its creation event, at least, is missing)."""

    case_id: int
    event_id: int | None
    problem: Problem

    def describe(self) -> str:
        event = f"event {self.event_id}" if self.event_id is not None else "no events"
        return f"case {self.case_id}, {event}: {_DESCRIPTIONS[self.problem]}"


@dataclass
class ChainReport:
    cases: int = 0
    events: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify_event_chains(*, case_id: int | None = None) -> ChainReport:
    """Every chain (or one case's), with each broken case's first broken link collected."""
    report = ChainReport()
    report.breaks.extend(chain_breaks(report=report, case_id=case_id))
    return report


def chain_breaks(
    *, report: ChainReport, case_id: int | None = None, batch_size: int = CASES_PER_BATCH
) -> Iterator[ChainBreak]:
    """Yields the first broken link of each broken chain, walking the cases by id a batch at a
    time (bounded memory, however many events); `report` counts what was walked."""
    for case_ids in _case_batches(case_id, batch_size):
        events = _events_of(case_ids)
        for pk in case_ids:
            rows = events.get(pk, [])
            report.cases += 1
            report.events += len(rows)
            broken = first_break(pk, rows)
            if broken is not None:
                yield broken


def first_break(case_id: int, rows: list[EventRow]) -> ChainBreak | None:
    """The first broken link among one case's event rows (in id order), or None."""
    if not rows:
        return ChainBreak(case_id, None, Problem.EVENT_MISSING)
    stored_hashes = {row[-1] for row in rows}
    expected_previous = GENESIS
    for row in rows:
        event_id, _, kind, actor_id, at, from_status, to_status, params, previous, stored = row
        recomputed = event_hash(
            case_id=case_id,
            kind=kind,
            actor_id=actor_id,
            at=at,
            from_status=from_status,
            to_status=to_status,
            params=params,
            previous_hash=previous,
        )
        if recomputed != stored:
            return ChainBreak(case_id, event_id, Problem.CONTENT_CHANGED)
        if previous != expected_previous:
            problem = (
                Problem.PREVIOUS_MISMATCH if previous in stored_hashes else Problem.EVENT_MISSING
            )
            return ChainBreak(case_id, event_id, problem)
        expected_previous = stored
    return None


def _case_batches(case_id: int | None, batch_size: int) -> Iterator[list[int]]:
    cases = Case.objects.order_by("pk")
    if case_id is not None:
        cases = cases.filter(pk=case_id)
    after = 0
    while True:
        ids = list(cases.filter(pk__gt=after).values_list("pk", flat=True)[:batch_size])
        if not ids:
            return
        yield ids
        after = ids[-1]


def _events_of(case_ids: list[int]) -> dict[int, list[EventRow]]:
    # Through the event table's case index; one batch of cases' events in memory at a time.
    events: dict[int, list[EventRow]] = {}
    rows = (
        CaseEvent.objects.filter(case_id__in=case_ids)
        .order_by("case_id", "id")
        .values_list(*_EVENT_COLUMNS)
    )
    for row in rows.iterator(chunk_size=2000):
        events.setdefault(row[1], []).append(row)
    return events
