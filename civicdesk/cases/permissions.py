"""Who may see a case and who may do what to it: the one place both are decided.

Seeing: a case is visible through any role assignment whose area subtree holds the case's area
or whose department holds the case, and to its own leader and handler. An administrator's
assignment shows no case content (separation of duties). Anything else is "not found".

Acting: ACTION_ROLES names the roles that may take each action; the role's assignment must also
cover the case (department roles only act on their department's cases).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from civicdesk.cases.choices import Action as A
from civicdesk.cases.models import Case
from civicdesk.organization.choices import Role as R
from civicdesk.organization.models import Area, RoleAssignment

ACTION_ROLES: dict[str, frozenset[str]] = {
    A.CREATE: frozenset({R.CLERK, R.DISPATCHER, R.GRID_WORKER}),
    A.ACCEPT: frozenset({R.CLERK, R.DISPATCHER}),
    A.NOT_ACCEPT: frozenset({R.CLERK, R.DISPATCHER}),
    A.REDIRECT: frozenset({R.CLERK, R.DISPATCHER}),
    A.DISPATCH: frozenset({R.DISPATCHER}),
    A.SIGN: frozenset({R.HANDLER, R.DEPT_HEAD}),
    A.RETURN: frozenset({R.HANDLER, R.DEPT_HEAD}),
    A.EXTEND: frozenset({R.LEADER}),
    A.SUSPEND: frozenset({R.HANDLER, R.DEPT_HEAD}),
    A.RESUME: frozenset({R.HANDLER, R.DEPT_HEAD}),
    A.REPORT: frozenset({R.HANDLER, R.DEPT_HEAD}),
    A.SEND_BACK: frozenset({R.DISPATCHER}),
    A.REPLY: frozenset({R.CLERK, R.DISPATCHER}),
    A.FOLLOW_UP: frozenset({R.CLERK, R.DISPATCHER, R.GRID_WORKER}),
    A.REOPEN: frozenset({R.DISPATCHER, R.LEADER}),
    A.REQUEST_REVIEW: frozenset({R.CLERK, R.DISPATCHER}),
    A.ESCALATE: frozenset({R.DISPATCHER, R.LEADER}),
    A.MERGE: frozenset({R.CLERK, R.DISPATCHER}),
    A.CLOSE: frozenset({R.DISPATCHER, R.LEADER}),
    # The resident's own rating, given on the portal: no staff role records it.
    A.RATE: frozenset(),
}

# What a resident may do to their own case on the portal (civicdesk.portal), once they have
# proved it is theirs; services.case_act_as_resident is the only way in.
RESIDENT_ACTIONS = frozenset({A.RATE, A.REOPEN, A.REQUEST_REVIEW})

# Who may reveal a party's full phone, ID number or address (with a stated purpose, logged):
# the roles that handle the case, that is every role holding a staff action, within the scope
# that action needs. Supervisors, auditors and administrators see masked values only
# (PIPL's minimum-necessary rule).
REVEAL_ROLES = frozenset(role for roles in ACTION_ROLES.values() for role in roles)

# Roles that work inside a department act only on that department's cases.
DEPARTMENT_ROLES = frozenset({R.HANDLER, R.DEPT_HEAD})
# Roles that grant no sight of case content through their scope.
NO_CASE_CONTENT_ROLES = frozenset({R.ADMIN})


@dataclass(frozen=True)
class Grant:
    role: str
    area_path: str | None
    department_id: int | None


def grants_for(user: Any) -> list[Grant]:
    cached = getattr(user, "_civicdesk_grants", None)
    if cached is not None:
        return list(cached)
    grants = [
        Grant(role, path, department_id)
        for role, path, department_id in RoleAssignment.objects.filter(user=user).values_list(
            "role", "area__path", "department_id"
        )
    ]
    user._civicdesk_grants = grants
    return grants


def visible_cases_q(user: Any) -> Q:
    """A filter for the cases `user` may see. Empty scope matches nothing."""
    q = Q(leader=user) | Q(handler=user)
    paths = {
        g.area_path for g in grants_for(user) if g.area_path and g.role not in NO_CASE_CONTENT_ROLES
    }
    departments = {
        g.department_id
        for g in grants_for(user)
        if g.department_id and g.role not in NO_CASE_CONTENT_ROLES
    }
    if paths:
        area_ids = Area.objects.filter(_path_prefix_q(paths)).values("id")
        q |= Q(area_id__in=area_ids)
    if departments:
        q |= Q(department_id__in=departments)
    return q


def _path_prefix_q(paths: set[str]) -> Q:
    q = Q(pk__in=[])
    for path in _outermost(paths):
        q |= Q(path__startswith=path)
    return q


def _outermost(paths: set[str]) -> list[str]:
    """Drops paths inside another one, so the filter has as few branches as possible."""
    ordered = sorted(paths, key=len)
    kept: list[str] = []
    for path in ordered:
        if not any(path.startswith(outer) for outer in kept):
            kept.append(path)
    return kept


def can_see(user: Any, case: Case) -> bool:
    return Case.objects.filter(visible_cases_q(user), pk=case.pk).exists()


def grant_covers(grant: Grant, case: Case, user: Any) -> bool:
    if grant.role in DEPARTMENT_ROLES:
        return grant.department_id is not None and grant.department_id == case.department_id
    if grant.role == R.LEADER and case.leader_id == user.pk:
        return True
    if grant.department_id is not None and grant.department_id == case.department_id:
        return True
    return bool(grant.area_path and case.area.path.startswith(grant.area_path))


def may_act(user: Any, case: Case, action: str) -> bool:
    roles = ACTION_ROLES.get(action, frozenset())
    return any(g.role in roles and grant_covers(g, case, user) for g in grants_for(user))


def may_reveal(user: Any, case: Case) -> bool:
    """May the user unmask a party's personal data on this case (see REVEAL_ROLES)?"""
    return any(g.role in REVEAL_ROLES and grant_covers(g, case, user) for g in grants_for(user))


def may_act_in_area(user: Any, area: Area, action: str) -> bool:
    """For intake: may the user register a case in this area?"""
    roles = ACTION_ROLES.get(action, frozenset())
    return any(
        g.role in roles and g.area_path is not None and area.path.startswith(g.area_path)
        for g in grants_for(user)
    )


def roles_of(user: Any) -> list[str]:
    return sorted({g.role for g in grants_for(user)})
