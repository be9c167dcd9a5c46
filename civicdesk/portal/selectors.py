"""What the resident sees of their case: read-only, no staff scope involved.

The portal has proved the case is the visitor's (civicdesk.portal.access) before it calls
these; nothing here decides who may look.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from shapely.ops import unary_union

from civicdesk.cases.choices import Action as A
from civicdesk.cases.choices import CaseType, ClockKind, ClockState, Satisfaction
from civicdesk.cases.choices import Status as S
from civicdesk.cases.models import Case, CaseClock, CaseEvent, Category
from civicdesk.cases.resident_info import WHAT_HAPPENS_NEXT
from civicdesk.cases.services import review_level
from civicdesk.cases.transitions import TRANSITIONS
from civicdesk.organization.geo import area_index
from civicdesk.organization.models import Area, Department
from civicdesk.portal.timeline import PublicEntry, public_entries

# Where the case stands, in the resident's words.
STATUS_FOR_RESIDENT: dict[str, str | Promise] = {
    S.RECEIVED: _("Received: the centre is deciding whether to accept it."),
    S.ACCEPTED: _("Accepted: it is being sent to the body responsible."),
    S.NOT_ACCEPTED: _("Not accepted: see the notice below for the reason and where to go."),
    S.REDIRECTED: _("Directed to a legal procedure: see the notice below."),
    S.DISPATCHED: _("Sent to the responsible department."),
    S.RETURNED: _("Being passed to the right department."),
    S.IN_PROGRESS: _("Being handled by the responsible department."),
    S.SUSPENDED: _("Handling is paused while something else is waited for."),
    S.REPORTED: _("Handled: the written reply is being prepared."),
    S.REPLIED: _("Replied: please tell us whether you are satisfied."),
    S.REOPENED: _("Reopened for further handling."),
    S.ESCALATED: _("Passed to the upper centre."),
    S.MERGED: _("Handled together with another case."),
    S.CLOSED: _("Closed."),
}

# Clocks the resident is shown: the staff's deadlines towards them, not internal steps.
RESIDENT_CLOCKS = frozenset(
    {
        ClockKind.NOTICE,
        ClockKind.HANDLING,
        ClockKind.REVIEW,
        ClockKind.MEDIATION,
        ClockKind.RECTIFICATION,
    }
)


@dataclass(frozen=True)
class Deadline:
    label: str
    due_at: dt.datetime
    basis: str


@dataclass
class ResidentCase:
    case: Case  # the case whose progress is shown (the master, for a merged duplicate)
    asked_code: str  # the code the resident gave
    title: str  # the resident's own matter (a merged duplicate's, not the master's)
    status_text: str
    category: str
    area: str
    department: str
    next_steps: str
    deadlines: list[Deadline]
    timeline: list[PublicEntry]
    reply: str
    review_window_until: dt.datetime | None
    reviews: list[Case] = field(default_factory=list)
    may_rate: bool = False
    may_reopen: bool = False
    may_request_review: bool = False
    review_is_final: bool = False


def case_for_code(receipt_code: str) -> Case | None:
    return Case.objects.filter(receipt_code=receipt_code).first()


def resident_case(case: Case, *, now: dt.datetime | None = None) -> ResidentCase:
    now = now or timezone.now()
    shown = _master(case)
    shown = (
        Case.objects.select_related("category", "area", "department")
        .prefetch_related(
            # The actor is shown when CIVICDESK_PORTAL_SHOW_STAFF_NAMES is on: one query, not one
            # per event.
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
            Prefetch("clocks", queryset=CaseClock.objects.order_by("due_at")),
            Prefetch("reviews", queryset=Case.objects.order_by("received_at")),
        )
        .get(pk=shown.pk)
    )
    clocks = list(shown.clocks.all())
    # A merged duplicate's resident reads the master's progress but does not act on the master:
    # its reply, rating and review belong to the master's own requester.
    own = shown.pk == case.pk
    window = _review_window(clocks, now) if own else None
    level = review_level(shown)
    return ResidentCase(
        case=shown,
        asked_code=case.receipt_code,
        title=case.title,
        status_text=str(STATUS_FOR_RESIDENT.get(shown.status, shown.get_status_display())),
        category=category_name(shown.category),
        area=shown.area.name,
        department=department_name(shown.department) if shown.department else "",
        next_steps=str(WHAT_HAPPENS_NEXT.get(shown.type, "")),
        deadlines=_deadlines(clocks),
        timeline=public_entries(list(shown.events.all()), _department_names(), own=own),
        # The master's reply answers its own requester and may name them: not shown to others.
        reply=shown.reply if shown.replied_at and own else "",
        review_window_until=window.due_at if window else None,
        reviews=list(shown.reviews.all()) if own else [],
        may_rate=own and shown.status == S.REPLIED and not shown.satisfaction,
        may_reopen=own
        and shown.status == S.REPLIED
        and shown.satisfaction == Satisfaction.UNSATISFIED,
        # The window keeps running while a reopened case is handled again; the request waits
        # for the new reply (the transition table allows it from replied and closed only).
        may_request_review=window is not None
        and level < 2
        and shown.status in TRANSITIONS[A.REQUEST_REVIEW].sources,
        review_is_final=level >= 2,
    )


def _master(case: Case) -> Case:
    # A merged duplicate's code keeps working and shows the master's progress (DOMAIN.md).
    shown, hops = case, 0
    while shown.merged_into_id is not None and hops < 5:
        shown, hops = shown.merged_into, hops + 1  # type: ignore[assignment]
    return shown


def _review_window(clocks: list[CaseClock], now: dt.datetime) -> CaseClock | None:
    for clock in clocks:
        if (
            clock.kind == ClockKind.REVIEW_REQUEST
            and clock.state == ClockState.RUNNING
            and now <= clock.due_at
        ):
            return clock
    return None


def _deadlines(clocks: list[CaseClock]) -> list[Deadline]:
    return [
        Deadline(str(clock.get_kind_display()), clock.due_at, clock.basis_display)
        for clock in clocks
        if clock.state == ClockState.RUNNING and clock.kind in RESIDENT_CLOCKS
    ]


def _department_names() -> dict[str, str]:
    return {dept.code: department_name(dept) for dept in Department.objects.all()}


def _in_chinese() -> bool:
    return (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh")


def category_name(category: Category) -> str:
    return category.name_zh if _in_chinese() or not category.name_en else category.name_en


def department_name(department: Department) -> str:
    return department.name if _in_chinese() or not department.name_en else department.name_en


# --- the submit form's choices ---------------------------------------------------------------

# The case types a resident may bring online, in their words. Incidents are emergencies: the
# form tells people to call 110/119 instead.
RESIDENT_TYPES: dict[str, str | Promise] = {
    CaseType.REQUEST: _("Ask for help or a public service"),
    CaseType.COMPLAINT: _("Complain about or report a problem"),
    CaseType.HAZARD: _("Report a safety hazard"),
    CaseType.DISPUTE: _("Get help with a dispute (mediation)"),
    CaseType.PETITION: _("Write a petition (letters and visits)"),
}


@dataclass(frozen=True)
class CategoryChoice:
    code: str
    label: str
    case_type: str


def categories_for_residents() -> list[tuple[str, list[CategoryChoice]]]:
    """Public, active categories that have no sub-categories, grouped by the resident's words
    for their case type."""
    categories = (
        Category.objects.filter(public=True, active=True, case_type__in=list(RESIDENT_TYPES))
        .exclude(children__active=True)
        .select_related("parent")
        .order_by("code")
    )
    groups: dict[str, list[CategoryChoice]] = {case_type: [] for case_type in RESIDENT_TYPES}
    for category in categories:
        label = category_name(category)
        if category.parent is not None:
            label = f"{category_name(category.parent)} · {label}"
        groups[category.case_type].append(CategoryChoice(category.code, label, category.case_type))
    return [(str(RESIDENT_TYPES[t]), choices) for t, choices in groups.items() if choices]


def areas_for_residents() -> list[Area]:
    return list(Area.objects.order_by("path"))


def map_centre() -> tuple[float, float, int] | None:
    """Where the report form's map opens (lat, lng, zoom): the configured centre, else the
    middle of the mapped areas, else None (the page then asks for the area from the list)."""
    configured = settings.CIVICDESK_MAP_CENTRE.strip()
    if configured:
        lat, lng = (float(part) for part in configured.split(","))
        return lat, lng, 13
    mapped = area_index().areas
    if not mapped:
        return None
    west, south, east, north = unary_union([a.geometry for a in mapped]).bounds
    return (south + north) / 2, (west + east) / 2, 11


def public_category(code: str) -> Category | None:
    return Category.objects.filter(
        code=code, public=True, active=True, case_type__in=list(RESIDENT_TYPES)
    ).first()
