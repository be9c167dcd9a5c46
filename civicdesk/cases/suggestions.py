"""Dispatch suggestions: which department, leader and handler a case most likely goes to.

A suggestion only fills the dispatcher's form; the dispatcher decides, and `case_act` checks the
choice like any other input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from civicdesk.cases.models import Case
from civicdesk.organization.choices import Role
from civicdesk.organization.models import Centre, Department


@dataclass(frozen=True)
class DispatchSuggestion:
    department: Department | None
    leader: Any | None
    handlers: list[Any] = field(default_factory=list)


def dispatch_suggestion(case: Case) -> DispatchSuggestion:
    department = suggested_department(case)
    return DispatchSuggestion(
        department=department,
        leader=suggested_leader(case, department),
        handlers=handlers_of(department) if department is not None else [],
    )


def suggested_department(case: Case) -> Department | None:
    """The category's default department, else the most local department whose area holds
    the case's area (a village committee before the county bureau)."""
    default = case.category.default_department
    if default is not None and default.active:
        return default
    ancestors = _ancestor_codes(case)
    candidates = Department.objects.filter(active=True, area__code__in=ancestors).select_related(
        "area"
    )
    return max(candidates, key=lambda d: (len(d.area.path), -d.pk), default=None)


def suggested_leader(case: Case, department: Department | None) -> Any | None:
    """A leader assigned to the department, else one whose area holds the case, else one of
    the case's centre or a centre above it: the closest tie to the matter wins."""
    # One filter() per tier: the role and its scope must sit on the same assignment row.
    leader_role = Q(role_assignments__role=Role.LEADER)
    tiers: list[Q] = []
    if department is not None:
        tiers.append(leader_role & Q(role_assignments__department=department))
    tiers.append(leader_role & Q(role_assignments__area__code__in=_ancestor_codes(case)))
    # A leader of the centre that holds the case, or of the centres above it.
    tiers.extend(leader_role & Q(centre_id=centre_id) for centre_id in _centre_chain(case))
    users = get_user_model().objects.filter(is_active=True)
    for tier in tiers:
        leader = users.filter(tier).order_by("username").first()
        if leader is not None:
            return leader
    return None


def handlers_of(department: Department) -> list[Any]:
    """The handlers who may be named for a case of this department."""
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            role_assignments__role=Role.HANDLER,
            role_assignments__department=department,
        )
        .distinct()
        .order_by("username")
    )


def dispatch_departments() -> list[Department]:
    return list(Department.objects.filter(active=True).order_by("code"))


def dispatch_leaders() -> list[Any]:
    return list(_active_staff_with_role(Role.LEADER).distinct().order_by("username"))


def department_by_code(code: str) -> Department | None:
    return Department.objects.filter(code=code, active=True).first()


def _active_staff_with_role(role: str) -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True, role_assignments__role=role)


def _centre_chain(case: Case) -> list[int]:
    chain: list[int] = []
    centre: Centre | None = case.centre
    while centre is not None and centre.pk not in chain:
        chain.append(centre.pk)
        centre = centre.parent
    return chain


def _ancestor_codes(case: Case) -> list[str]:
    return [code for code in case.area.path.split("/") if code]
