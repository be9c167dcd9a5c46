"""Builds the demo county and streams as many cases as asked for into the database.

The organisation (areas, centres, departments, staff, categories, duty roster) is small and goes
through the models. Cases are many: they are generated in batches as plain rows and written with
multi-row INSERTs, one transaction per batch, so a million cases run in bounded memory. Each case
is "lived" through the same transition table (transitions.check_transition) and the same clock
rules (deadline_rules, deadlines.compute_due, deadlines.warning_schedule) as the services use, so
its events, clocks and warning level have the shapes `services.case_act` would have written.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import random
import sqlite3
import string
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from civicdesk.cases.choices import Action as A
from civicdesk.cases.choices import (
    CaseType,
    ClockKind,
    ClockState,
    DeliveryMethod,
    PartyKind,
    PartyRole,
    Priority,
    Satisfaction,
    TimeUnit,
    WarningLevel,
)
from civicdesk.cases.choices import Status as S
from civicdesk.cases.clocks import EXTENDABLE_KINDS
from civicdesk.cases.deadline_rules import ClockRule, default_rules_for, effective_rule
from civicdesk.cases.deadlines import (
    DueResult,
    compute_due,
    local_zone,
    units_elapsed,
    warning_schedule,
)
from civicdesk.cases.demo import content
from civicdesk.cases.models import Case, CaseClock, CaseEvent, CaseParty, CaseSearch, Category
from civicdesk.cases.notices import NoticeKind, render_notice
from civicdesk.cases.receipt_codes import ALPHABET, check_symbol
from civicdesk.cases.search import segment
from civicdesk.cases.transitions import FINISHED_STATES, check_transition
from civicdesk.core.calendar import DayInfo, WorkingCalendar
from civicdesk.core.calendar_store import current_calendar
from civicdesk.organization.choices import AreaLevel, DutyPost
from civicdesk.organization.models import (
    Area,
    Centre,
    Department,
    DutyShift,
    RoleAssignment,
    User,
)

# ============================================================================================
# The organisation
# ============================================================================================


@dataclass
class DemoOrg:
    county: Area
    townships: list[Area]
    villages: list[Area]
    grids: list[Area]
    centres: dict[str, Centre]
    departments: dict[str, Department]
    users: dict[str, User]
    categories: dict[str, Category]


def demo_org_exists() -> bool:
    return Area.objects.exists()


def load_organisation() -> DemoOrg:
    """The demo county as build_organisation made it, read back (e.g. to regenerate cases)."""
    county = Area.objects.get(code=content.COUNTY_CODE)
    areas = list(Area.objects.filter(path__startswith=county.path).order_by("path"))
    return DemoOrg(
        county=county,
        townships=[a for a in areas if a.level == AreaLevel.TOWNSHIP],
        villages=[a for a in areas if a.level == AreaLevel.VILLAGE],
        grids=[a for a in areas if a.level == AreaLevel.GRID],
        centres={c.code: c for c in Centre.objects.all()},
        departments={d.code: d for d in Department.objects.select_related("area")},
        users={u.username: u for u in User.objects.all()},
        categories={c.code: c for c in Category.objects.all()},
    )


@transaction.atomic
def build_organisation(*, now: dt.datetime) -> DemoOrg:
    county = Area.objects.create(
        code=content.COUNTY_CODE, name=content.COUNTY_NAME, level=AreaLevel.COUNTY
    )
    townships, villages, grids = _build_areas(county)
    centres = _build_centres(county, townships)
    departments = _build_departments()
    users = _build_staff(centres, departments)
    categories = _build_categories(departments)
    _build_duty_roster(centres, users, now=now)
    return DemoOrg(county, townships, villages, grids, centres, departments, users, categories)


def _build_areas(county: Area) -> tuple[list[Area], list[Area], list[Area]]:
    townships, villages, grids = [], [], []
    for spec in content.TOWNSHIPS:
        township = Area.objects.create(
            code=county.code + spec.suffix,
            name=spec.name,
            level=AreaLevel.TOWNSHIP,
            parent=county,
        )
        townships.append(township)
        for village_spec in spec.villages:
            village = Area.objects.create(
                code=township.code + village_spec.suffix,
                name=village_spec.name,
                level=AreaLevel.VILLAGE,
                parent=township,
            )
            villages.append(village)
            for number in range(1, village_spec.grids + 1):
                grids.append(
                    Area.objects.create(
                        code=f"{village.code}{number:03d}",
                        name=f"{village.name}第{number}网格",
                        level=AreaLevel.GRID,
                        parent=village,
                    )
                )
    return townships, villages, grids


def _build_centres(county: Area, townships: list[Area]) -> dict[str, Centre]:
    top = Centre.objects.create(
        code=content.COUNTY_CENTRE, name=f"{county.name}社会治理综合服务中心", area=county
    )
    centres = {top.code: top}
    for township in townships:
        centre = Centre.objects.create(
            code=f"C-{township.code}", name=f"{township.name}综治中心", area=township, parent=top
        )
        centres[centre.code] = centre
    return centres


def _build_departments() -> dict[str, Department]:
    areas = {a.code: a for a in Area.objects.all()}
    return {
        spec.code: Department.objects.create(
            code=spec.code,
            name=spec.name,
            name_en=spec.name_en,
            kind=spec.kind,
            area=areas[spec.area],
        )
        for spec in content.DEPARTMENTS
    }


def _build_staff(centres: dict[str, Centre], departments: dict[str, Department]) -> dict[str, User]:
    areas = {a.code: a for a in Area.objects.all()}
    # One hash for everyone: hashing (argon2) is slow on purpose, and the password is shared.
    password = make_password(content.DEMO_PASSWORD)
    users = {}
    for spec in (*content.DEMO_ACCOUNTS, *content.OTHER_STAFF):
        user = User.objects.create(
            username=spec.username,
            display_name=spec.display_name,
            password=password,
            centre=centres[spec.centre] if spec.centre else None,
            is_staff=spec.superuser,
            is_superuser=spec.superuser,
        )
        for role, area_code, department_code in spec.grants:
            RoleAssignment.objects.create(
                user=user,
                role=role,
                area=areas[area_code] if area_code else None,
                department=departments[department_code] if department_code else None,
            )
        users[spec.username] = user
    return users


def _build_categories(departments: dict[str, Department]) -> dict[str, Category]:
    categories = {}
    for group in content.CATEGORY_GROUPS:
        parent = Category.objects.create(
            code=group.code,
            name_zh=group.name_zh,
            name_en=group.name_en,
            case_type=group.case_type,
        )
        categories[parent.code] = parent
        for leaf in group.leaves:
            categories[leaf.code] = Category.objects.create(
                code=leaf.code,
                name_zh=leaf.name_zh,
                name_en=leaf.name_en,
                parent=parent,
                case_type=group.case_type,
                default_department=departments[leaf.department],
                deadline_policy=leaf.policy,
            )
    return categories


def _build_duty_roster(
    centres: dict[str, Centre], users: dict[str, User], *, now: dt.datetime
) -> None:
    """A 24-hour roster for the current week (Monday to Sunday), shifts changing at 08:30."""
    today = now.astimezone(local_zone()).date()
    monday = today - dt.timedelta(days=today.weekday())
    shifts = []
    for centre_code, pool in content.DUTY_POOLS.items():
        for offset in range(7):
            starts = dt.datetime.combine(
                monday + dt.timedelta(days=offset), dt.time(8, 30), tzinfo=local_zone()
            )
            for post, shift in ((DutyPost.A, 0), (DutyPost.B, 1)):
                shifts.append(
                    DutyShift(
                        centre=centres[centre_code],
                        post=post,
                        user=users[pool[(offset + shift) % len(pool)]],
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(days=1),
                    )
                )
    DutyShift.objects.bulk_create(shifts)


# ============================================================================================
# Case content: templates, slots, receipt codes
# ============================================================================================


@dataclass(frozen=True)
class Template:
    """A text with `{slot}`s, split once into (literal, slot name) parts."""

    parts: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        return cls(tuple((lit, name) for lit, name, _, _ in string.Formatter().parse(text)))

    def render(self, slot: Callable[[str], str], pieces: list[str]) -> None:
        for literal, name in self.parts:
            if literal:
                pieces.append(literal)
            if name is not None:
                pieces.append(slot(name))


def text_of(pieces: Sequence[str]) -> str:
    return "".join(pieces)


def words_of(pieces: Sequence[str]) -> str:
    """The search words of a text, segmenting each template piece and slot value on its own:
    the pieces repeat across cases, so search.segment's cache answers almost every call, where
    segmenting each case's whole text would run jieba once per case."""
    return " ".join(words for words in map(segment, pieces) if words)


def _pick_number(low: int, high: int, step: int = 1) -> Callable[[random.Random], str]:
    return lambda rng: str(rng.randint(low, high) * step)


SLOT_MAKERS: dict[str, Callable[[random.Random], str]] = {
    "surname": lambda rng: rng.choice(content.SURNAMES),
    "surname2": lambda rng: rng.choice(content.SURNAMES),
    "company": lambda rng: rng.choice(content.COMPANIES),
    "shop": lambda rng: rng.choice(content.SHOPS),
    "estate": lambda rng: rng.choice(content.ESTATES),
    "amount": _pick_number(6, 360, 500),
    "fee": _pick_number(2, 60, 100),
    "months": _pick_number(2, 8),
    "workers": _pick_number(3, 40),
    "days": _pick_number(3, 30),
    "households": _pick_number(3, 60),
    "rooms": _pick_number(4, 30),
    "hours": _pick_number(2, 5),
    "no": _pick_number(1, 188),
    "sqm": _pick_number(5, 40),
    "meters": lambda rng: rng.choice(("0.5", "1", "1.5", "2", "3")),
    "mu": lambda rng: rng.choice(("0.8", "1.2", "2.5", "3.6", "5", "12")),
}


class ReceiptCodes:
    """Receipt codes in the real format (receipt_codes.py), drawn from the seeded generator.

    The nth code is a keyed bijection of n over the 45-bit code space (odd multipliers and
    xor-shifts are invertible modulo 2**45), so codes look random, repeat for the same seed and
    never collide within a run, without remembering the codes already given out. Demo codes are
    therefore guessable from the seed: fine for invented cases, never for real ones.
    """

    _BITS = 45
    _MASK = (1 << _BITS) - 1

    def __init__(self, rng: random.Random) -> None:
        self.mul1 = rng.getrandbits(self._BITS) | 1
        self.add = rng.getrandbits(self._BITS)
        self.mul2 = rng.getrandbits(self._BITS) | 1

    def code(self, index: int) -> str:
        x = (index * self.mul1 + self.add) & self._MASK
        x ^= x >> 23
        x = (x * self.mul2) & self._MASK
        x ^= x >> 19
        body = "".join(ALPHABET[(x >> shift) & 31] for shift in range(40, -1, -5))
        raw = body + check_symbol(body)
        return f"{raw[:5]}-{raw[5:]}"


# ============================================================================================
# The world the generator draws from, read once from the organisation
# ============================================================================================


@dataclass(frozen=True)
class LeafInfo:
    leaf: content.Leaf
    category_id: int
    case_type: str
    department_id: int
    department_code: str
    department_name: str
    township: int | None  # the department's own township: its cases happen there
    rules: tuple[ClockRule, ...]
    pairs: tuple[tuple[Template, Template], ...]
    result: Template

    def rules_for(self, params: dict[str, Any]) -> tuple[ClockRule, ...]:
        """As clocks.rules_for_case: a hazard's own rectification period beats the category's."""
        days = params.get("rectification_days")
        if not days:
            return self.rules
        return tuple(
            replace(rule, length=int(days), unit=TimeUnit.DAYS)
            if rule.kind == ClockKind.RECTIFICATION
            else rule
            for rule in self.rules
        )


@dataclass(frozen=True)
class AreaInfo:
    id: int
    code: str
    place: str  # the village/community (or township) a resident would name
    township: int
    township_name: str
    centre_id: int
    centre_code: str


@dataclass
class World:
    """Everything case generation needs, as plain values: no query per case."""

    leaves: list[LeafInfo]
    leaf_weights: list[int]
    areas_by_township: list[list[AreaInfo]]
    area_weights_by_township: list[list[int]]
    township_weights: list[int]
    user_ids: dict[str, int]
    handlers_by_department: dict[str, tuple[str, ...]]
    signers_by_department: dict[str, tuple[str, ...]]
    county_centre_id: int
    county_centre_code: str
    basis: dict[tuple[str, str], str] = field(default_factory=dict)


def load_world(org: DemoOrg) -> World:
    departments = org.departments
    township_of_area = _township_index_by_code(org)
    leaves = [
        _leaf_info(leaf, group.case_type, org, township_of_area)
        for group in content.CATEGORY_GROUPS
        for leaf in group.leaves
    ]
    areas, weights = _areas_by_township(org)
    handlers, signers = _department_staff()
    centre = org.centres[content.COUNTY_CENTRE]
    world = World(
        leaves=leaves,
        leaf_weights=[info.leaf.weight for info in leaves],
        areas_by_township=areas,
        area_weights_by_township=weights,
        township_weights=[45, 30, 25][: len(org.townships)],
        user_ids={name: user.pk for name, user in org.users.items()},
        handlers_by_department=handlers,
        signers_by_department=signers,
        county_centre_id=centre.pk,
        county_centre_code=centre.code,
    )
    assert set(handlers) <= set(departments)
    return world


def _township_index_by_code(org: DemoOrg) -> dict[str, int]:
    index = {}
    for number, township in enumerate(org.townships):
        index[township.code] = number
        for area in (*org.villages, *org.grids):
            if area.code.startswith(township.code):
                index[area.code] = number
    return index


def _leaf_info(
    leaf: content.Leaf, case_type: str, org: DemoOrg, township_of_area: dict[str, int]
) -> LeafInfo:
    category = org.categories[leaf.code]
    department = org.departments[leaf.department]
    policy = category.deadline_policy or {}
    rules = tuple(
        effective_rule(rule, category_policy=policy) for rule in default_rules_for(case_type)
    )
    return LeafInfo(
        leaf=leaf,
        category_id=category.pk,
        case_type=case_type,
        department_id=department.pk,
        department_code=department.code,
        department_name=department.name,
        township=township_of_area.get(department.area.code),
        rules=rules,
        pairs=tuple((Template.parse(t), Template.parse(d)) for t, d in leaf.text.pairs),
        result=Template.parse(leaf.text.result),
    )


def _areas_by_township(org: DemoOrg) -> tuple[list[list[AreaInfo]], list[list[int]]]:
    """Where cases happen: mostly grids, some villages, a few the township as a whole."""
    areas: list[list[AreaInfo]] = []
    weights: list[list[int]] = []
    villages_by_code = {v.code: v for v in org.villages}
    for number, township in enumerate(org.townships):
        centre = org.centres[f"C-{township.code}"]

        def info(
            area: Area, place: str, n: int = number, t: Area = township, c: Centre = centre
        ) -> AreaInfo:
            return AreaInfo(area.pk, area.code, place, n, t.name, c.pk, c.code)

        row = [info(township, township.name)]
        row_weights = [2]
        for village in org.villages:
            if village.parent_id == township.pk:
                row.append(info(village, village.name))
                row_weights.append(4)
        for grid in org.grids:
            parent = villages_by_code.get(grid.code[:-3])
            if parent is not None and parent.parent_id == township.pk:
                row.append(info(grid, parent.name))
                row_weights.append(5)
        areas.append(row)
        weights.append(row_weights)
    return areas, weights


def _department_staff() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Handlers of each department (the demo handler twice, so they carry most of the demo
    department's cases) and everyone who may sign for it (handlers and heads)."""
    handlers: dict[str, list[str]] = {}
    heads: dict[str, list[str]] = {}
    for spec in (*content.DEMO_ACCOUNTS, *content.OTHER_STAFF):
        for role, _area, department in spec.grants:
            if department and role == "handler":
                handlers.setdefault(department, []).append(spec.username)
            elif department and role == "dept_head":
                heads.setdefault(department, []).append(spec.username)
    handlers.setdefault(content.DEMO_DEPARTMENT, []).append("handler")
    return (
        {code: tuple(names) for code, names in handlers.items()},
        {code: tuple(names + heads.get(code, [])) for code, names in handlers.items()},
    )


# ============================================================================================
# A case's life: the transition table and the clock rules, without the database
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
            self._basis[key] = str(rule.basis)[:300]
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
# The case generator
# ============================================================================================

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
NO_INCIDENT_STATUSES = frozenset({S.RECEIVED, S.NOT_ACCEPTED, S.REDIRECTED, S.MERGED})
SATISFIED = (Satisfaction.SATISFIED,) * 3 + (Satisfaction.BASICALLY_SATISFIED,)
# What happens while a case is handled, besides the handling: mostly nothing else.
WORK_VARIANTS: tuple[tuple[str, ...], ...] = ((),) * 8 + ((A.EXTEND,), (A.SUSPEND, A.RESUME))


@dataclass(frozen=True)
class NoticeSubject:
    """What a notice needs of its case (notices.render_notice reads only these)."""

    title: str
    receipt_code: str
    received_at: dt.datetime


class NoticeTexts:
    """notices.render_notice's texts, rendered once per kind with placeholders in place of the
    case's values and then filled in per case: the same words (same template, same language)
    without switching the language and translating all templates for every notice."""

    # Dates no case has, to find where the template puts the receipt and today's dates.
    _RECEIVED = dt.datetime(1901, 1, 2, 12, tzinfo=dt.UTC)
    _TODAY = dt.datetime(1902, 3, 4, 12, tzinfo=dt.UTC)

    def __init__(self) -> None:
        self._formats: dict[tuple[str, tuple[str, ...]], str] = {}
        self._dates: dict[dt.date, str] = {}
        self.zone = local_zone()

    # Kinds whose values go into the text as they are; others (an extension's length is
    # worded from its days and unit) are rare enough to render the slow way.
    PLAIN_KINDS = frozenset(
        {
            NoticeKind.ACCEPTANCE,
            NoticeKind.NON_ACCEPTANCE,
            NoticeKind.REDIRECTION,
            NoticeKind.REPLY,
        }
    )

    def render(self, kind: str, subject: NoticeSubject, now: dt.datetime, **values: Any) -> str:
        if kind not in self.PLAIN_KINDS:
            return render_notice(kind, cast(Case, subject), now=now, **values)
        form = self._format(kind, tuple(sorted(values)))
        return form.format(
            title=subject.title,
            code=subject.receipt_code,
            received=self._date(subject.received_at),
            today=self._date(now),
            **{name: str(value) for name, value in values.items()},
        )

    def _format(self, kind: str, names: tuple[str, ...]) -> str:
        key = (kind, names)
        if key not in self._formats:
            marker = NoticeSubject("\x00title\x00", "\x00code\x00", self._RECEIVED)
            text = render_notice(
                kind,
                cast(Case, marker),
                now=self._TODAY,
                **{name: f"\x00{name}\x00" for name in names},
            )
            text = text.replace("{", "{{").replace("}", "}}")
            text = text.replace(self._date(self._RECEIVED), "{received}")
            text = text.replace(self._date(self._TODAY), "{today}")
            for name in ("title", "code", *names):
                text = text.replace(f"\x00{name}\x00", "{" + name + "}")
            self._formats[key] = text
        return self._formats[key]

    def _date(self, moment: dt.datetime) -> str:
        day = moment.astimezone(self.zone).date()
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = day.strftime("%Y-%m-%d")
        return text


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
        self._statuses = list(STATUS_WEIGHTS)
        # Cumulative weights once: random.choices would add the weights up on every call.
        self._status_weights = list(itertools.accumulate(STATUS_WEIGHTS.values()))
        self._leaf_weights = list(itertools.accumulate(world.leaf_weights))
        self._township_weights = list(itertools.accumulate(world.township_weights))
        self._area_weights = [list(itertools.accumulate(w)) for w in world.area_weights_by_township]
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
            status = self.rng.choices(self._statuses, cum_weights=self._status_weights)[0]
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
            info = self.rng.choices(self.world.leaves, cum_weights=self._leaf_weights)[0]
            if info.case_type != CaseType.INCIDENT or status not in NO_INCIDENT_STATUSES:
                return info

    def _area(self, info: LeafInfo) -> AreaInfo:
        world, rng = self.world, self.rng
        township = rng.choices(
            range(len(world.areas_by_township)), cum_weights=self._township_weights
        )[0]
        if info.township is not None:
            township = info.township  # a township's own office serves its own area
        return rng.choices(
            world.areas_by_township[township], cum_weights=self._area_weights[township]
        )[0]

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
        rng = self.rng
        assigned: list[str] = [A.ACCEPT, A.DISPATCH]
        if rng.random() < 0.08:
            assigned = [A.ACCEPT, A.DISPATCH, A.RETURN, A.DISPATCH]  # a department sent it back
        work = list(rng.choice(WORK_VARIANTS))
        report: list[str] = [A.REPORT, A.SEND_BACK, A.REPORT] if rng.random() < 0.05 else [A.REPORT]
        handled = [*assigned, A.SIGN, *work, *report]
        variant = rng.random()
        paths: dict[str, list[str]] = {
            S.RECEIVED: [],
            S.ACCEPTED: [A.ACCEPT],
            S.NOT_ACCEPTED: [A.NOT_ACCEPT],
            S.REDIRECTED: [A.REDIRECT] if variant < 0.5 else [A.ACCEPT, A.REDIRECT],
            S.DISPATCHED: assigned,
            S.RETURNED: [A.ACCEPT, A.DISPATCH, A.RETURN],
            S.IN_PROGRESS: [*assigned, A.SIGN, *work],
            S.SUSPENDED: [*assigned, A.SIGN, A.SUSPEND],
            S.REPORTED: handled,
            S.REPLIED: [*handled, A.REPLY],
            S.REOPENED: [*handled, A.REPLY, A.FOLLOW_UP if variant < 0.5 else A.REOPEN],
            S.ESCALATED: [A.ESCALATE]
            if variant < 0.4
            else [A.ACCEPT, A.ESCALATE]
            if variant < 0.7
            else [A.ACCEPT, A.DISPATCH, A.SIGN, A.ESCALATE],
            S.MERGED: [A.MERGE] if variant < 0.6 else [A.ACCEPT, A.MERGE],
            S.CLOSED: [*handled, A.REPLY, A.FOLLOW_UP, A.CLOSE]
            if variant < 0.84
            else [A.NOT_ACCEPT, A.CLOSE]
            if variant < 0.92
            else [A.REDIRECT, A.CLOSE],
        }
        return paths[status]

    def _next_time(self, action: str, previous: dt.datetime, life: Life) -> dt.datetime:
        rng = self.rng
        # Every step draws the same numbers, whatever the dates: the content of a seed does not
        # depend on the day it is seeded.
        low, high = GAP_HOURS[action]
        gap = dt.timedelta(hours=rng.uniform(low, high))
        share = rng.uniform(0.15, 0.95) if rng.random() < 0.85 else rng.uniform(1.02, 1.6)
        squeeze = rng.uniform(0.2, 0.7)
        minutes = dt.timedelta(minutes=rng.uniform(*URGENT_MINUTES))
        urgent = life.info.case_type == CaseType.INCIDENT
        clock = life.story.extendable() if action == A.REPORT else None
        if clock is not None:
            # Most results come in before the handling deadline, some after it.
            at = clock.started_at + (clock.due_at - clock.started_at) * share
            at = max(at, previous + dt.timedelta(hours=2))
        elif urgent and action in (A.ACCEPT, A.DISPATCH, A.ESCALATE):
            at = previous + minutes
        else:
            at = previous + gap
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
    # PARTY_COLUMNS order; no ID numbers: the demo never invents identity documents.
    return (role, kind, name, phone, "", organization, confidential, anonymous)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


# ============================================================================================
# The steps: the same params (and notices) as the services in civicdesk/cases/services.py
# ============================================================================================

Step = Callable[[CaseFactory, Life, dt.datetime, "Draft | None"], None]


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
    via = f.rng.choice(DeliveryMethod.values)
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


# ============================================================================================
# Writing a batch
# ============================================================================================

CASE_COLUMNS = (
    "receipt_code",
    "type",
    "channel",
    "category_id",
    "priority",
    "title",
    "description",
    "area_id",
    "address",
    "latitude",
    "longitude",
    "received_at",
    "created_at",
    "status",
    "centre_id",
    "department_id",
    "leader_id",
    "handler_id",
    "created_by_id",
    "idempotency_key",
    "version",
    "warning_level",
    "merged_into_id",
    "review_of_id",
    "result",
    "reply",
    "replied_at",
    "satisfaction",
    "closed_at",
)
PARTY_COLUMNS = (
    "case_id",
    "role",
    "kind",
    "name",
    "phone",
    "id_number",
    "organization",
    "confidential",
    "anonymous",
)
EVENT_COLUMNS = ("case_id", "kind", "actor_id", "at", "from_status", "to_status", "params")
CLOCK_COLUMNS = (
    "case_id",
    "kind",
    "state",
    "started_at",
    "length",
    "unit",
    "extended_by",
    "paused_units",
    "suspended_at",
    "due_at",
    "due_soon_at",
    "seriously_overdue_at",
    "next_alert_at",
    "warning_level",
    "basis",
    "max_extension",
    "is_window",
    "calendar_missing",
    "ended_at",
)
SEARCH_COLUMNS = ("case_id", "words")
_CASE_TIMES = tuple(
    CASE_COLUMNS.index(name) for name in ("received_at", "created_at", "replied_at", "closed_at")
)
_CLOCK_TIMES = tuple(
    CLOCK_COLUMNS.index(name) - 1
    for name in (
        "started_at",
        "suspended_at",
        "due_at",
        "due_soon_at",
        "seriously_overdue_at",
        "next_alert_at",
        "ended_at",
    )
)


class BatchWriter:
    """Writes batches with multi-row INSERTs (SQLite) or COPY (PostgreSQL) on the driver's own
    cursor, one transaction per batch. The driver cursor skips Django's per-query bookkeeping,
    which would otherwise hold every statement's text when DEBUG is on."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.placeholder = "?" if self.vendor == "sqlite" else "%s"
        self.max_params = self._max_params()
        self._sql: dict[tuple[str, int, bool], str] = {}

    def write(self, batch: list[Draft]) -> list[int]:
        with transaction.atomic():
            cursor = connection.connection.cursor()
            try:
                ids = self._insert_cases(cursor, batch)
                self._link_merged(cursor, batch, ids)
                self._insert(cursor, CaseParty, PARTY_COLUMNS, self._party_rows(batch, ids))
                self._insert(cursor, CaseEvent, EVENT_COLUMNS, self._event_rows(batch, ids))
                self._insert(cursor, CaseClock, CLOCK_COLUMNS, self._clock_rows(batch, ids))
                self._insert(
                    cursor,
                    CaseSearch,
                    SEARCH_COLUMNS,
                    [(pk, d.words) for pk, d in zip(ids, batch, strict=True)],
                )
            finally:
                cursor.close()
        return ids

    # --- rows -----------------------------------------------------------------------------

    def _insert_cases(self, cursor: Any, batch: list[Draft]) -> list[int]:
        rows = []
        for draft in batch:
            row = list(draft.row)
            for index in _CASE_TIMES:
                row[index] = self._time(row[index])
            rows.append(row)
        return self._insert(cursor, Case, CASE_COLUMNS, rows, returning=True)

    def _link_merged(self, cursor: Any, batch: list[Draft], ids: list[int]) -> None:
        links = []
        for pk, draft in zip(ids, batch, strict=True):
            if draft.merge_into is not None and draft.merge_params is not None:
                draft.merge_params["into"] = ids[draft.merge_into]
                links.append((ids[draft.merge_into], pk))
        if links:
            table = connection.ops.quote_name(Case._meta.db_table)
            p = self.placeholder
            cursor.executemany(
                f"UPDATE {table} SET merged_into_id = {p} WHERE id = {p}",  # noqa: S608
                links,
            )

    def _party_rows(self, batch: list[Draft], ids: list[int]) -> list[tuple[Any, ...]]:
        return [(pk, *party) for pk, d in zip(ids, batch, strict=True) for party in d.parties]

    def _event_rows(self, batch: list[Draft], ids: list[int]) -> list[tuple[Any, ...]]:
        json_value = connection.ops.adapt_json_value
        return [
            (pk, kind, actor, self._time(at), old, new, json_value(params, None))
            for pk, d in zip(ids, batch, strict=True)
            for kind, actor, at, old, new, params in d.events
        ]

    def _clock_rows(self, batch: list[Draft], ids: list[int]) -> list[list[Any]]:
        rows = []
        for pk, draft in zip(ids, batch, strict=True):
            for clock in draft.clocks:
                row = list(clock)
                for index in _CLOCK_TIMES:
                    row[index] = self._time(row[index])
                rows.append([pk, *row])
        return rows

    def _time(self, value: dt.datetime | None) -> Any:
        # What Django stores: SQLite keeps naive UTC text, PostgreSQL takes the aware value.
        if value is None or self.vendor != "sqlite":
            return value
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")

    # --- SQL ------------------------------------------------------------------------------

    def _insert(
        self,
        cursor: Any,
        model: Any,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        returning: bool = False,
    ) -> list[int]:
        if self.vendor == "postgresql":
            return self._copy(cursor, model, columns, rows, returning=returning)
        ids: list[int] = []
        start = 0
        for size in self._chunk_sizes(len(rows), len(columns)):
            chunk = rows[start : start + size]
            start += size
            sql = self._insert_sql(model, columns, size, returning)
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
        return ids

    def _copy(
        self,
        cursor: Any,
        model: Any,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        returning: bool = False,
    ) -> list[int]:
        """PostgreSQL: COPY, many times faster than INSERT for bulk rows. Ids come first from
        the table's own sequence, so the rows can carry them."""
        quote = connection.ops.quote_name
        table = model._meta.db_table
        names = [model._meta.get_field(name).column for name in columns]
        ids: list[int] = []
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [quote(table), len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            names = ["id", *names]
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        column_list = ", ".join(quote(name) for name in names)
        with cursor.copy(f"COPY {quote(table)} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return ids

    def _chunk_sizes(self, count: int, width: int) -> list[int]:
        """Full statements of the largest size, then the rest in powers of two: a handful of
        distinct statements per table, however the batches vary. (One statement per remainder
        size would fill the driver's statement cache, and this one, with large statements.)"""
        largest = 1 << (max(1, min(1024, self.max_params // width)).bit_length() - 1)
        sizes = [largest] * (count // largest)
        rest = count % largest
        sizes.extend(1 << bit for bit in range(rest.bit_length() - 1, -1, -1) if rest >> bit & 1)
        return sizes

    def _insert_sql(self, model: Any, columns: Sequence[str], count: int, returning: bool) -> str:
        key = (model._meta.db_table, count, returning)
        if key not in self._sql:
            quote = connection.ops.quote_name
            names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
            one = "(" + ", ".join([self.placeholder] * len(columns)) + ")"
            self._sql[key] = (
                f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES "  # noqa: S608
                + ", ".join([one] * count)
                + (" RETURNING id" if returning else "")
            )
        return self._sql[key]

    def _max_params(self) -> int:
        if self.vendor == "sqlite":
            raw = connection.connection
            getlimit = getattr(raw, "getlimit", None)
            return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)) if getlimit else 999
        return 30_000  # well under PostgreSQL's 65,535 bind parameters per statement


# ============================================================================================
# The whole run
# ============================================================================================


@dataclass(frozen=True)
class Progress:
    written: int
    total: int
    seconds: float


def seed_cases(
    org: DemoOrg,
    *,
    count: int,
    seed: int,
    now: dt.datetime,
    batch_size: int = 2000,
    report: Callable[[Progress], None] | None = None,
) -> int:
    """Generates and writes `count` cases in batches; returns how many were written."""
    factory = CaseFactory(load_world(org), seed=seed, now=now, calendar=current_calendar())
    writer = BatchWriter()
    # Batches are acyclic lists and tuples: the cycle collector would only rescan them (and
    # the long-lived jieba dictionary) over and over. Freezing what exists and collecting
    # rarely keeps memory bounded at a fraction of the cost.
    gc.collect()
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 50, 1000)
    started, written = time.monotonic(), 0
    try:
        for batch in factory.batches(count, batch_size):
            writer.write(batch)
            written += len(batch)
            if report is not None:
                report(Progress(written, count, time.monotonic() - started))
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    return written


def reference_now(now: dt.datetime | None = None) -> dt.datetime:
    """The moment the demo is built at: the start of today (local time) unless given, so one
    day's runs agree to the second."""
    if now is not None:
        return now if timezone.is_aware(now) else timezone.make_aware(now, local_zone())
    local = timezone.now().astimezone(local_zone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
