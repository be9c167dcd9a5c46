"""A case's life without the database: each step goes through the same transition table
(transitions.check_transition) and the same clock rules (deadline_rules, deadlines.compute_due,
deadlines.warning_schedule) as the services, with the same params and notices as
civicdesk/cases/services.py, so the events, clocks and warning level have the shapes
`services.case_act` would have written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from civicdesk.cases.choices import Action as A
from civicdesk.cases.choices import (
    CaseType,
    ClockState,
    DeliveryMethod,
    Satisfaction,
    TimeUnit,
    WarningLevel,
)
from civicdesk.cases.choices import Status as S
from civicdesk.cases.clocks import EXTENDABLE_KINDS
from civicdesk.cases.deadline_rules import ClockRule, stored_basis
from civicdesk.cases.deadlines import (
    DueResult,
    compute_due,
    local_zone,
    units_elapsed,
    warning_schedule,
)
from civicdesk.cases.demo import content
from civicdesk.cases.demo.texts import NoticeSubject, text_of
from civicdesk.cases.demo.world import AreaInfo, LeafInfo
from civicdesk.cases.notices import NoticeKind
from civicdesk.cases.transitions import FINISHED_STATES, check_transition
from civicdesk.core.calendar import DayInfo, WorkingCalendar

if TYPE_CHECKING:
    # For the steps' signatures only: the factory calls the steps (generator.py imports this
    # module), and the steps use its random generator and helpers (user, worker, notice, ...).
    from civicdesk.cases.demo.generator import CaseFactory, Draft


# ============================================================================================
# Clocks and the transition table
# ============================================================================================


@dataclass(slots=True)
class ClockDraft:
    kind: str
    started_at: dt.datetime
    length: int
    unit: str
    basis: str
    max_extension: int
    is_window: bool
    due_at: dt.datetime
    calendar_missing: bool
    state: str = ClockState.RUNNING
    extended_by: int = 0
    paused_units: int = 0
    suspended_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None


class MemoCalendar(WorkingCalendar):
    """The same answers as the calendar it wraps, remembered per day: chinese_calendar
    validates every date it is asked about, and a run asks about the same few hundred days."""

    def __init__(self, base: WorkingCalendar) -> None:
        super().__init__(overrides=base.overrides, declared_years=base.declared_years)
        object.__setattr__(self, "_days", {})

    def day(self, day: dt.date) -> DayInfo:
        days: dict[dt.date, DayInfo] = self._days  # type: ignore[attr-defined]
        info = days.get(day)
        if info is None:
            info = days[day] = super().day(day)
        return info


class Deadlines:
    """compute_due over one calendar loaded once. A due date depends only on the start's local
    day, the length and the unit (minutes aside), so results are shared across cases."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = MemoCalendar(calendar)
        self.zone = local_zone()
        self._cache: dict[tuple[dt.date, int, str], DueResult] = {}
        self._basis: dict[int, str] = {}

    def due(self, start: dt.datetime, length: int, unit: str) -> DueResult:
        if unit == TimeUnit.MINUTES:
            return compute_due(start=start, length=length, unit=unit, calendar=self.calendar)
        key = (start.astimezone(self.zone).date(), length, unit)
        result = self._cache.get(key)
        if result is None:
            if len(self._cache) > 50_000:  # bounded, whatever the run's length
                self._cache.clear()
            result = compute_due(start=start, length=length, unit=unit, calendar=self.calendar)
            self._cache[key] = result
        return result

    def start(self, rule: ClockRule, at: dt.datetime) -> ClockDraft:
        result = self.due(at, rule.length, rule.unit)
        return ClockDraft(
            kind=rule.kind,
            started_at=at,
            length=rule.length,
            unit=rule.unit,
            basis=self._basis_of(rule),
            max_extension=rule.max_extension,
            is_window=rule.is_window,
            due_at=result.due_at,
            calendar_missing=result.calendar_missing,
        )

    def recompute(self, clock: ClockDraft) -> None:
        length = clock.length + clock.extended_by + clock.paused_units
        result = self.due(clock.started_at, length, clock.unit)
        clock.due_at, clock.calendar_missing = result.due_at, result.calendar_missing

    def paused(self, clock: ClockDraft, until: dt.datetime) -> int:
        assert clock.suspended_at is not None
        return units_elapsed(
            since=clock.suspended_at, until=until, unit=clock.unit, calendar=self.calendar
        )

    def _basis_of(self, rule: ClockRule) -> str:
        # The legal basis is a lazy translation; rendering it once per rule, not per clock.
        key = id(rule.basis)
        if key not in self._basis:
            self._basis[key] = stored_basis(rule.basis)
        return self._basis[key]


Event = tuple[str, int | None, dt.datetime, str, str, dict[str, Any]]


class Story:
    """One case moving through transitions.TRANSITIONS with its clocks following each action the
    way clocks.follow_action moves them."""

    def __init__(self, info: LeafInfo, deadlines: Deadlines) -> None:
        self.info = info
        self.deadlines = deadlines
        self.status: str = S.RECEIVED
        self.version = 1
        self.clocks: list[ClockDraft] = []
        self.events: list[Event] = []
        self.changes: dict[str, Any] = {}

    def create(self, at: dt.datetime, actor: int, params: dict[str, Any]) -> None:
        self.events.append((A.CREATE, actor, at, "", self.status, params))
        self._follow(A.CREATE, at, {})

    def act(
        self,
        action: str,
        at: dt.datetime,
        actor: int | None,
        params: dict[str, Any],
        changes: dict[str, Any] | None = None,
        target: str | None = None,
    ) -> None:
        new_status = check_transition(self.status, action, target)
        self.events.append((action, actor, at, self.status, new_status, params))
        self.status, self.version = new_status, self.version + 1
        self.changes.update(changes or {})
        self._follow(action, at, params)

    def notice(self, at: dt.datetime, actor: int | None, kind: str, text: str) -> None:
        params = {"notice": kind, "text": text}
        self.events.append(("notice", actor, at, self.status, self.status, params))

    def extendable(self) -> ClockDraft | None:
        running = [
            c for c in self.clocks if c.kind in EXTENDABLE_KINDS and c.state == ClockState.RUNNING
        ]
        return max(running, key=lambda c: c.started_at, default=None)

    def extend(self, clock: ClockDraft, days: int) -> None:
        clock.extended_by += days
        self.deadlines.recompute(clock)

    def _follow(self, action: str, at: dt.datetime, params: dict[str, Any]) -> None:
        rules = self.info.rules_for(params)
        open_clocks = [c for c in self.clocks if c.state not in (ClockState.MET, ClockState.MISSED)]
        stopping = {rule.kind for rule in rules if action in rule.stops_on}
        finished = self.status in FINISHED_STATES
        for clock in open_clocks:
            if finished or clock.kind in stopping:
                self._stop(clock, at)
        if action == A.SUSPEND:
            self._suspend(open_clocks, at)
        elif action == A.RESUME:
            self._resume(open_clocks, at)
        if finished:
            return
        running = {c.kind for c in open_clocks if c.ended_at is None}
        for rule in rules:
            if action in rule.starts_on and rule.kind not in running:
                self.clocks.append(self.deadlines.start(rule, at))

    def _stop(self, clock: ClockDraft, at: dt.datetime) -> None:
        if clock.state == ClockState.SUSPENDED and clock.suspended_at is not None:
            clock.paused_units += self.deadlines.paused(clock, at)
            self.deadlines.recompute(clock)
        clock.state = ClockState.MET if at <= clock.due_at else ClockState.MISSED
        clock.ended_at, clock.suspended_at = at, None

    def _suspend(self, clocks: list[ClockDraft], at: dt.datetime) -> None:
        for clock in clocks:
            if clock.state == ClockState.RUNNING and not clock.is_window:
                clock.state, clock.suspended_at = ClockState.SUSPENDED, at

    def _resume(self, clocks: list[ClockDraft], at: dt.datetime) -> None:
        for clock in clocks:
            if clock.state == ClockState.SUSPENDED and clock.suspended_at is not None:
                clock.paused_units += self.deadlines.paused(clock, at)
                clock.state, clock.suspended_at = ClockState.RUNNING, None
                self.deadlines.recompute(clock)


ClockRow = tuple[Any, ...]


def clock_rows(clocks: list[ClockDraft], now: dt.datetime) -> tuple[list[ClockRow], int]:
    """The clocks as CLOCK_COLUMNS rows, with the warning levels the deadline sweep would have
    given them by `now`, and the case's warning level (the worst running non-window clock)."""
    rows, case_level = [], WarningLevel.NONE
    for c in clocks:
        schedule = warning_schedule(started_at=c.started_at, due_at=c.due_at)
        next_alert = None
        if c.state == ClockState.RUNNING and c.is_window:
            level, next_alert = WarningLevel.NONE, c.due_at
        elif c.state == ClockState.RUNNING:
            level = schedule.level_at(now)
            next_alert = schedule.next_change_after(level)
            case_level = max(case_level, level)
        elif c.is_window:
            level = WarningLevel.NONE
        else:
            # Stopped or suspended: the level the sweep last saw, when the clock stood still.
            level = schedule.level_at(c.ended_at or c.suspended_at or now)
        rows.append(
            (
                c.kind,
                c.state,
                c.started_at,
                c.length,
                c.unit,
                c.extended_by,
                c.paused_units,
                c.suspended_at,
                c.due_at,
                schedule.due_soon_at,
                schedule.seriously_overdue_at,
                next_alert,
                int(level),
                c.basis,
                c.max_extension,
                c.is_window,
                c.calendar_missing,
                c.ended_at,
            )
        )
    return rows, int(case_level)


# ============================================================================================
# The steps: the same params (and notices) as the services in civicdesk/cases/services.py
# ============================================================================================


SATISFIED = (Satisfaction.SATISFIED,) * 3 + (Satisfaction.BASICALLY_SATISFIED,)
# Read once: Django's Choices.values builds a new list on every access.
DELIVERY_METHODS = tuple(DeliveryMethod.values)


@dataclass
class Life:
    """The working state of one case while its story is generated."""

    info: LeafInfo
    area: AreaInfo
    story: Story
    subject: NoticeSubject
    final_status: str
    clerk: int
    centre_code: str
    slot: Callable[[str], str]
    title: list[str]
    handler: str | None = None
    leader: str | None = None
    result: list[str] = field(default_factory=list)
    reply: list[str] = field(default_factory=list)
    merge_params: dict[str, Any] | None = None


Step = Callable[["CaseFactory", Life, dt.datetime, "Draft | None"], None]


def _accept(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    life.story.act(A.ACCEPT, at, life.clerk, {"note": f.rng.choice(content.ACCEPT_NOTES)})
    f.notice(life, NoticeKind.ACCEPTANCE, at, life.clerk)


def _not_accept(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    reason, channel = f.rng.choice(content.NOT_ACCEPT_REASONS)
    life.story.act(A.NOT_ACCEPT, at, life.clerk, {"reason": reason, "proper_channel": channel})
    f.notice(life, NoticeKind.NON_ACCEPTANCE, at, life.clerk, reason=reason, proper_channel=channel)


def _redirect(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    procedure, reason = f.rng.choice(content.REDIRECTS)
    life.story.act(A.REDIRECT, at, life.clerk, {"procedure": procedure, "reason": reason})
    f.notice(life, NoticeKind.REDIRECTION, at, life.clerk, procedure=procedure.label, reason=reason)


def _dispatch(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    rng, info = f.rng, life.info
    leaders = content.DEPARTMENT_LEADERS.get(info.department_code, content.DEFAULT_LEADERS)
    life.leader = rng.choice(leaders)
    named = rng.random() < 0.7
    handler = rng.choice(f.world.handlers_by_department[info.department_code])
    life.handler = handler if named else None
    params: dict[str, Any] = {
        "department": info.department_code,
        "leader": life.leader,
        "handler": life.handler,
        "note": rng.choice(content.DISPATCH_NOTES),
    }
    days = rng.choice((None, None, 7, 15, 30))
    if info.case_type == CaseType.HAZARD and days is not None:
        params["rectification_days"] = days
    changes = {
        "department_id": info.department_id,
        "leader_id": f.user(life.leader),
        "handler_id": f.user(life.handler),
    }
    life.story.act(A.DISPATCH, at, f.dispatcher(life), params, changes)


def _sign(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    username = f.worker(life)
    actor = f.user(username)
    changes = {}
    if (
        life.handler is None
        and username in f.world.handlers_by_department[life.info.department_code]
    ):
        life.handler = username  # as services._sign: a handler who signs takes the case
        changes["handler_id"] = actor
    life.story.act(A.SIGN, at, actor, {"note": f.rng.choice(content.SIGN_NOTES)}, changes)


def _return(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    params = {
        "reason": f.rng.choice(content.RETURN_REASONS),
        "department": life.info.department_code,
    }
    life.story.act(
        A.RETURN, at, f.user(f.worker(life)), params, {"department_id": None, "handler_id": None}
    )
    life.handler = None


def _extend(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    reason = f.rng.choice(content.EXTEND_REASONS)
    clock = life.story.extendable()
    left = clock.max_extension - clock.extended_by if clock else 0
    if clock is None or left <= 0:
        return  # nothing may be extended (an incident): the leader does not ask
    days = f.rng.randint(1, min(left, 15))
    actor = f.user(life.leader)
    life.story.act(A.EXTEND, at, actor, {"days": days, "reason": reason, "clock": clock.kind})
    life.story.extend(clock, days)
    due = clock.due_at.astimezone(local_zone()).strftime("%Y-%m-%d")
    f.notice(
        life, NoticeKind.EXTENSION, at, actor, days=days, unit=clock.unit, reason=reason, due=due
    )


def _suspend(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    params = {"reason": f.rng.choice(content.SUSPEND_REASONS)}
    life.story.act(A.SUSPEND, at, f.user(f.worker(life)), params)


def _resume(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    params = {"note": f.rng.choice(content.RESUME_NOTES)}
    life.story.act(A.RESUME, at, f.user(f.worker(life)), params)


def _report(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    result: list[str] = []
    life.info.result.render(life.slot, result)
    # Only a petition's written opinion opens a review by the next level (信访工作条例 art 35).
    petition = life.info.case_type == CaseType.PETITION
    closing = content.REPLY_CLOSINGS[0] if petition else content.REPLY_CLOSINGS[1]
    life.result = result
    life.reply = [
        "您好！您反映的“",
        *life.title,
        "”问题，经",
        life.info.department_name,
        "调查处理，现答复如下：",
        *result,
        closing,
    ]
    result_text, reply_text = text_of(life.result), text_of(life.reply)
    texts = {"result": result_text, "reply": reply_text}
    life.story.act(A.REPORT, at, f.user(f.worker(life)), texts, dict(texts))


def _send_back(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    params = {"reason": f.rng.choice(content.SEND_BACK_REASONS)}
    life.story.act(A.SEND_BACK, at, f.dispatcher(life), params)


def _reply(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    via = f.rng.choice(DELIVERY_METHODS)
    life.story.act(A.REPLY, at, life.clerk, {"delivered_via": via, "note": ""}, {"replied_at": at})
    f.notice(life, NoticeKind.REPLY, at, life.clerk, reply=text_of(life.reply))


def _follow_up(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    satisfaction = f.rng.choice(SATISFIED)
    if life.final_status == S.REOPENED:
        satisfaction = Satisfaction.UNSATISFIED
    target = S.REOPENED if satisfaction == Satisfaction.UNSATISFIED else None
    params = {
        "satisfaction": satisfaction,
        "note": f.rng.choice(content.FOLLOW_UP_NOTES[satisfaction]),
    }
    life.story.act(A.FOLLOW_UP, at, life.clerk, params, {"satisfaction": satisfaction}, target)


def _reopen(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    params = {"reason": f.rng.choice(content.REOPEN_REASONS)}
    life.story.act(A.REOPEN, at, f.dispatcher(life), params, {"closed_at": None})


def _escalate(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    world = f.world
    params = {
        "reason": f.rng.choice(content.ESCALATE_REASONS),
        "from_centre": life.centre_code,
        "to_centre": world.county_centre_code,
    }
    changes = {"centre_id": world.county_centre_id, "department_id": None, "handler_id": None}
    life.story.act(A.ESCALATE, at, f.dispatcher(life), params, changes)
    life.centre_code = world.county_centre_code


def _merge(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    assert master is not None
    # "into" is the master's id, known once the batch is written (BatchWriter fills it in).
    params: dict[str, Any] = {"into": None, "into_receipt_code": master.receipt_code}
    life.merge_params = params
    life.story.act(A.MERGE, at, life.clerk, params)


def _close(f: CaseFactory, life: Life, at: dt.datetime, master: Draft | None) -> None:
    params = {"note": f.rng.choice(content.CLOSE_NOTES)}
    life.story.act(A.CLOSE, at, f.dispatcher(life), params, {"closed_at": at})


STEPS: dict[str, Step] = {
    A.ACCEPT: _accept,
    A.NOT_ACCEPT: _not_accept,
    A.REDIRECT: _redirect,
    A.DISPATCH: _dispatch,
    A.SIGN: _sign,
    A.RETURN: _return,
    A.EXTEND: _extend,
    A.SUSPEND: _suspend,
    A.RESUME: _resume,
    A.REPORT: _report,
    A.SEND_BACK: _send_back,
    A.REPLY: _reply,
    A.FOLLOW_UP: _follow_up,
    A.REOPEN: _reopen,
    A.ESCALATE: _escalate,
    A.MERGE: _merge,
    A.CLOSE: _close,
}
