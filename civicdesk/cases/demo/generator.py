"""The case generator: from one seeded random generator, case drafts (status, category, area,
texts, parties, receipt code, received time) lived through timelines.py and handed out in
batches ready for writer.py. The same seed gives the same cases, with times relative to `now`."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from civicdesk.cases.choices import Action as A
from civicdesk.cases.choices import CaseType, PartyKind, PartyRole, Priority
from civicdesk.cases.choices import Status as S
from civicdesk.cases.demo import content
from civicdesk.cases.demo.texts import (
    SLOT_MAKERS,
    NoticeSubject,
    NoticeTexts,
    ReceiptCodes,
    text_of,
    words_of,
)
from civicdesk.cases.demo.timelines import (
    STEPS,
    ClockRow,
    Deadlines,
    Event,
    Life,
    Story,
    clock_rows,
)
from civicdesk.cases.demo.world import AreaInfo, LeafInfo, World
from civicdesk.cases.models import CaseParty
from civicdesk.cases.transitions import FINISHED_STATES
from civicdesk.core.calendar import WorkingCalendar

T = TypeVar("T")

# The first cases of a run take every status once, so even a small demo shows them all; the
# rest follow a centre's usual mix (most cases closed, a working backlog of open ones).
STATUS_WEIGHTS: dict[str, int] = {
    S.RECEIVED: 5,
    S.ACCEPTED: 4,
    S.NOT_ACCEPTED: 4,
    S.REDIRECTED: 3,
    S.DISPATCHED: 5,
    S.RETURNED: 2,
    S.IN_PROGRESS: 12,
    S.SUSPENDED: 2,
    S.REPORTED: 4,
    S.REPLIED: 5,
    S.REOPENED: 2,
    S.ESCALATED: 2,
    S.MERGED: 2,
    S.CLOSED: 48,
}
STATUS_CYCLE = tuple(S.values)
# How long ago (in days) a case in each status was received: open cases are recent, so their
# clocks are a mix of on time, due soon and overdue; finished ones spread over the year.
AGE_DAYS: dict[str, tuple[float, float]] = {
    S.RECEIVED: (0.02, 2.5),
    S.ACCEPTED: (0.2, 6),
    S.NOT_ACCEPTED: (2, 365),
    S.REDIRECTED: (2, 365),
    S.DISPATCHED: (0.5, 6),
    S.RETURNED: (1, 10),
    S.IN_PROGRESS: (2, 40),
    S.SUSPENDED: (5, 80),
    S.REPORTED: (3, 30),
    S.REPLIED: (4, 25),
    S.REOPENED: (10, 90),
    S.ESCALATED: (1, 20),
    S.MERGED: (0.5, 20),
    S.CLOSED: (4, 365),
}
# Usual time from the previous step to this one, in hours (low, high).
GAP_HOURS: dict[str, tuple[float, float]] = {
    A.ACCEPT: (0.2, 20),
    A.NOT_ACCEPT: (2, 96),
    A.REDIRECT: (2, 96),
    A.DISPATCH: (0.5, 20),
    A.SIGN: (1, 60),
    A.RETURN: (4, 96),
    A.EXTEND: (48, 240),
    A.SUSPEND: (24, 200),
    A.RESUME: (48, 400),
    A.SEND_BACK: (2, 48),
    A.REPLY: (2, 72),
    A.FOLLOW_UP: (24, 72),
    A.REOPEN: (24, 200),
    A.ESCALATE: (1, 72),
    A.MERGE: (0.5, 48),
    A.CLOSE: (1, 72),
    A.REPORT: (24, 240),
}
# Incidents are not left waiting: they are taken up within minutes.
URGENT_MINUTES = (3.0, 25.0)
URGENT_ACTIONS = frozenset({A.ACCEPT, A.DISPATCH, A.ESCALATE})
NO_INCIDENT_STATUSES = frozenset({S.RECEIVED, S.NOT_ACCEPTED, S.REDIRECTED, S.MERGED})


# What happens while a case is handled, besides the handling: mostly nothing else.
WORK_VARIANTS: tuple[tuple[str, ...], ...] = ((),) * 8 + ((A.EXTEND,), (A.SUSPEND, A.RESUME))


@dataclass(slots=True)
class Draft:
    """One generated case, ready to write: CASE_COLUMNS values and its dependent rows."""

    row: list[Any]
    parties: list[tuple[Any, ...]]
    events: list[Event]
    clocks: list[ClockRow]
    words: str
    receipt_code: str
    received_at: dt.datetime
    status: str
    merge_into: int | None = None  # index of the master case within the batch
    merge_params: dict[str, Any] | None = None


class Weighted(Generic[T]):
    """`random.choices(population, cum_weights=...)[0]` with the sums and checks done once: the
    same single rng.random() draw per pick and the same answer, without a list per call."""

    def __init__(self, population: Sequence[T], weights: Iterable[int]) -> None:
        self.population = population
        self.cum_weights = list(itertools.accumulate(weights))
        assert len(self.cum_weights) == len(population) and self.cum_weights[-1] > 0
        self.total = self.cum_weights[-1] + 0.0  # a float, as random.choices computes it
        self.hi = len(population) - 1

    def pick(self, rng: random.Random) -> T:
        return self.population[bisect(self.cum_weights, rng.random() * self.total, 0, self.hi)]


class CaseFactory:
    """Generates cases in batches from one seeded random generator: the same seed gives the same
    cases (titles, parties, receipt codes, paths), with times relative to `now`."""

    def __init__(
        self, world: World, *, seed: int, now: dt.datetime, calendar: WorkingCalendar
    ) -> None:
        self.world = world
        self.rng = random.Random(seed)
        self.codes = ReceiptCodes(self.rng)
        self.now = now
        self.deadlines = Deadlines(calendar)
        self.notices = NoticeTexts()
        self.index = 0
        self._statuses = Weighted(list(STATUS_WEIGHTS), STATUS_WEIGHTS.values())
        self._leaves = Weighted(world.leaves, world.leaf_weights)
        self._townships = Weighted(range(len(world.areas_by_township)), world.township_weights)
        self._areas = [
            Weighted(areas, weights)
            for areas, weights in zip(
                world.areas_by_township, world.area_weights_by_township, strict=True
            )
        ]
        self._roads = [spec.roads for spec in content.TOWNSHIPS]

    def batches(self, count: int, size: int) -> Iterator[list[Draft]]:
        made = 0
        while made < count:
            batch: list[Draft] = []
            for _ in range(min(size, count - made)):
                batch.append(self.case(batch))
            made += len(batch)
            yield batch

    # --- one case ------------------------------------------------------------------------

    def case(self, batch: list[Draft]) -> Draft:
        rng = self.rng
        status = self._status()
        master_index = self._master(batch) if status == S.MERGED else None
        master = batch[master_index] if master_index is not None else None
        if status == S.MERGED and master is None:
            status = S.RECEIVED
        info = self._leaf(status)
        area = self._area(info)
        slot = self._slots(area)
        title_t, description_t = rng.choice(info.pairs)
        title: list[str] = []
        description: list[str] = []
        title_t.render(slot, title)
        description_t.render(slot, description)
        address = [
            area.township_name,
            *([area.place] if area.place != area.township_name else []),
            slot("road"),
            slot("no"),
            "号",
        ]
        received_at = self._received_at(status, master)
        code = self.codes.code(self.index - 1)
        clerk = self.world.user_ids[content.CENTRE_CLERKS[area.centre_code]]
        life = Life(
            info=info,
            area=area,
            story=Story(info, self.deadlines),
            subject=NoticeSubject(text_of(title), code, received_at),
            final_status=status,
            clerk=clerk,
            centre_code=area.centre_code,
            slot=slot,
            title=title,
        )
        channel = rng.choice(content.CHANNELS_BY_TYPE[info.case_type])
        parties = self._parties(info, slot)
        life.story.create(
            received_at,
            clerk,
            {
                "type": info.case_type,
                "channel": channel,
                "category": info.leaf.code,
                "area": area.code,
                "received_at": received_at.isoformat(),
            },
        )
        self._live(life, master)
        return self._draft(life, channel, parties, address, description, master_index)

    def _status(self) -> str:
        if self.index < len(STATUS_CYCLE):
            status = STATUS_CYCLE[self.index]
        else:
            status = self._statuses.pick(self.rng)
        self.index += 1
        return status

    def _master(self, batch: list[Draft]) -> int | None:
        """A still-open earlier case of the batch that this one duplicates."""
        for position in range(len(batch) - 1, max(len(batch) - 200, 0) - 1, -1):
            if batch[position].status not in FINISHED_STATES:
                return position
        return None

    def _leaf(self, status: str) -> LeafInfo:
        while True:
            info = self._leaves.pick(self.rng)
            if info.case_type != CaseType.INCIDENT or status not in NO_INCIDENT_STATUSES:
                return info

    def _area(self, info: LeafInfo) -> AreaInfo:
        township = self._townships.pick(self.rng)
        if info.township is not None:
            township = info.township  # a township's own office serves its own area
        return self._areas[township].pick(self.rng)

    def _slots(self, area: AreaInfo) -> Callable[[str], str]:
        values: dict[str, str] = {"place": area.place}
        rng, roads = self.rng, self._roads[area.township]

        def slot(name: str) -> str:
            value = values.get(name)
            if value is None:
                value = rng.choice(roads) if name == "road" else SLOT_MAKERS[name](rng)
                values[name] = value
            return value

        return slot

    def _received_at(self, status: str, master: Draft | None) -> dt.datetime:
        rng = self.rng
        low, high = AGE_DAYS[status]
        age = dt.timedelta(days=rng.uniform(low, high))
        if master is not None:
            # A duplicate comes in after its master, and before now.
            after = dt.timedelta(hours=rng.uniform(0.5, 72))
            latest = self.now - dt.timedelta(minutes=30)
            return min(max(master.received_at + after, master.received_at), latest).replace(
                microsecond=0
            )
        return (self.now - age).replace(microsecond=0)

    def _parties(self, info: LeafInfo, slot: Callable[[str], str]) -> list[tuple[Any, ...]]:
        rng = self.rng
        parties = []
        anonymous = info.case_type in (CaseType.COMPLAINT, CaseType.HAZARD) and rng.random() < 0.15
        group = info.case_type == CaseType.PETITION and rng.random() < 0.2
        confidential = info.case_type == CaseType.COMPLAINT and rng.random() < 0.3
        if anonymous:
            parties.append(_party(PartyRole.REQUESTER, anonymous=True))
        elif group:
            for position in range(rng.randint(2, 5)):
                surname = slot("surname") if position == 0 else rng.choice(content.SURNAMES)
                parties.append(
                    _party(
                        PartyRole.REPRESENTATIVE,
                        name=surname + rng.choice(content.GIVEN_NAMES),
                        phone=_phone(rng),
                    )
                )
        else:
            parties.append(
                _party(
                    PartyRole.REQUESTER,
                    name=slot("surname") + rng.choice(content.GIVEN_NAMES),
                    phone=_phone(rng),
                    confidential=confidential,
                )
            )
        respondent = info.leaf.text.respondent
        if respondent == "company":
            parties.append(_party(PartyRole.RESPONDENT, organization=slot("company")))
        elif respondent == "person":
            parties.append(
                _party(
                    PartyRole.RESPONDENT,
                    name=slot("surname2") + rng.choice(content.GIVEN_NAMES),
                    phone=_phone(rng) if rng.random() < 0.5 else "",
                )
            )
        return parties

    # --- the case's steps -----------------------------------------------------------------

    def _live(self, life: Life, master: Draft | None) -> None:
        at = life.subject.received_at
        for action in self._path(life.final_status):
            at = self._next_time(action, at, life)
            STEPS[action](self, life, at, master)

    def _path(self, status: str) -> list[str]:
        """The actions that take a new case to `status`."""
        rng = self.rng
        # Every case draws the same four numbers, whatever its status, so that one case's path
        # never shifts the numbers (and so the contents) of the cases after it.
        returned = rng.random() < 0.08
        work = rng.choice(WORK_VARIANTS)
        sent_back = rng.random() < 0.05
        variant = rng.random()
        return _path_to(status, returned, work, sent_back, variant)

    def _next_time(self, action: str, previous: dt.datetime, life: Life) -> dt.datetime:
        rng = self.rng
        # Every step draws the same numbers, whatever the dates: the content of a seed does not
        # depend on the day it is seeded. Only the interval that is used becomes a timedelta.
        low, high = GAP_HOURS[action]
        gap_hours = rng.uniform(low, high)
        share = rng.uniform(0.15, 0.95) if rng.random() < 0.85 else rng.uniform(1.02, 1.6)
        squeeze = rng.uniform(0.2, 0.7)
        urgent_minutes = rng.uniform(*URGENT_MINUTES)
        urgent = life.info.case_type == CaseType.INCIDENT
        clock = life.story.extendable() if action == A.REPORT else None
        if clock is not None:
            # Most results come in before the handling deadline, some after it.
            at = clock.started_at + (clock.due_at - clock.started_at) * share
            at = max(at, previous + dt.timedelta(hours=2))
        elif urgent and action in URGENT_ACTIONS:
            at = previous + dt.timedelta(minutes=urgent_minutes)
        else:
            at = previous + dt.timedelta(hours=gap_hours)
        if at >= self.now:
            at = previous + (self.now - previous) * squeeze
        return at.replace(microsecond=0)

    # --- the draft ------------------------------------------------------------------------

    def _draft(
        self,
        life: Life,
        channel: str,
        parties: list[tuple[Any, ...]],
        address: list[str],
        description: list[str],
        master_index: int | None,
    ) -> Draft:
        rng, info, area = self.rng, life.info, life.area
        story = life.story
        clocks, warning = clock_rows(story.clocks, self.now)
        priority = (
            Priority.CRITICAL
            if info.case_type == CaseType.INCIDENT
            else (
                Priority.URGENT
                if info.case_type == CaseType.HAZARD and rng.random() < 0.3
                else Priority.NORMAL
            )
        )
        located = rng.random() < 0.5
        latitude = round(content.COUNTY_LAT + area.township * 0.03 + rng.uniform(-0.01, 0.01), 6)
        longitude = round(content.COUNTY_LNG + area.township * 0.04 + rng.uniform(-0.01, 0.01), 6)
        changes = story.changes
        received_at = life.subject.received_at
        row = [
            life.subject.receipt_code,
            info.case_type,
            channel,
            info.category_id,
            priority,
            life.subject.title,
            text_of(description),
            area.id,
            text_of(address),
            latitude if located else None,
            longitude if located else None,
            received_at,
            received_at,
            story.status,
            changes.get("centre_id", area.centre_id),
            changes.get("department_id"),
            changes.get("leader_id"),
            changes.get("handler_id"),
            life.clerk,
            None,
            story.version,
            warning,
            None,
            None,
            changes.get("result", ""),
            changes.get("reply", ""),
            changes.get("replied_at"),
            changes.get("satisfaction", ""),
            changes.get("closed_at"),
        ]
        words = words_of([*life.title, *description, *address, *life.result, *life.reply])
        return Draft(
            row=row,
            parties=parties,
            events=story.events,
            clocks=clocks,
            words=words,
            receipt_code=life.subject.receipt_code,
            received_at=received_at,
            status=story.status,
            merge_into=master_index,
            merge_params=life.merge_params,
        )

    # --- helpers for the steps ------------------------------------------------------------

    def user(self, username: str | None) -> int | None:
        return self.world.user_ids[username] if username else None

    def notice(
        self, life: Life, kind: str, at: dt.datetime, actor: int | None, **values: Any
    ) -> None:
        text = self.notices.render(kind, life.subject, at, **values)
        life.story.notice(at, actor, kind, text)

    def dispatcher(self, life: Life) -> int | None:
        local = content.CENTRE_DISPATCHERS.get(life.centre_code)
        return self.user(local if local and self.rng.random() < 0.6 else "dispatcher")

    def worker(self, life: Life) -> str:
        """Who in the department does the work: the named handler, or whoever signs."""
        signers = self.world.signers_by_department[life.info.department_code]
        return life.handler or self.rng.choice(signers)


def _party(
    role: str,
    *,
    name: str = "",
    phone: str = "",
    organization: str = "",
    confidential: bool = False,
    anonymous: bool = False,
) -> tuple[Any, ...]:
    kind = PartyKind.ORGANIZATION if organization and not name else PartyKind.PERSON
    # PARTY_COLUMNS order, as stored: the phone encrypted and its blind index beside it, as
    # CaseParty.save would write them. No ID numbers: the demo never invents identity documents.
    stored_phone = _PHONE_FIELD.get_prep_value(phone)
    index = CaseParty.phone_index_of(phone)
    return (role, kind, name, stored_phone, index, "", organization, confidential, anonymous)


_PHONE_FIELD = CaseParty._meta.get_field("phone")


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _path_to(
    status: str, returned: bool, work: tuple[str, ...], sent_back: bool, variant: float
) -> list[str]:
    """The path to one status, given the case's draws. Only the path taken is built: building
    every status's path for each case was a noticeable share of the generator's time."""
    assigned: list[str] = (
        [A.ACCEPT, A.DISPATCH, A.RETURN, A.DISPATCH] if returned else [A.ACCEPT, A.DISPATCH]
    )
    if status in (S.REPORTED, S.REPLIED, S.REOPENED, S.CLOSED):
        report = [A.REPORT, A.SEND_BACK, A.REPORT] if sent_back else [A.REPORT]
        handled = [*assigned, A.SIGN, *work, *report]
        if status == S.REPORTED:
            return handled
        if status == S.REPLIED:
            return [*handled, A.REPLY]
        if status == S.REOPENED:
            return [*handled, A.REPLY, A.FOLLOW_UP if variant < 0.5 else A.REOPEN]
        if variant < 0.84:
            return [*handled, A.REPLY, A.FOLLOW_UP, A.CLOSE]
        return [A.NOT_ACCEPT, A.CLOSE] if variant < 0.92 else [A.REDIRECT, A.CLOSE]
    if status == S.RECEIVED:
        return []
    if status == S.ACCEPTED:
        return [A.ACCEPT]
    if status == S.NOT_ACCEPTED:
        return [A.NOT_ACCEPT]
    if status == S.REDIRECTED:
        return [A.REDIRECT] if variant < 0.5 else [A.ACCEPT, A.REDIRECT]
    if status == S.DISPATCHED:
        return assigned
    if status == S.RETURNED:
        return [A.ACCEPT, A.DISPATCH, A.RETURN]
    if status == S.IN_PROGRESS:
        return [*assigned, A.SIGN, *work]
    if status == S.SUSPENDED:
        return [*assigned, A.SIGN, A.SUSPEND]
    if status == S.ESCALATED:
        if variant < 0.4:
            return [A.ESCALATE]
        return (
            [A.ACCEPT, A.ESCALATE] if variant < 0.7 else [A.ACCEPT, A.DISPATCH, A.SIGN, A.ESCALATE]
        )
    if status == S.MERGED:
        return [A.MERGE] if variant < 0.6 else [A.ACCEPT, A.MERGE]
    raise KeyError(status)
