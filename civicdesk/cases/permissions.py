"""Who may see a case and who may do what to it: the one place both are decided.

PERMISSIONS below is the table: for every role, what it may do to a case inside its own scope
(view it, reveal a party's personal data, take each action) and, stated as well, what it may do
outside it (nothing: outside its scope a case is "not found"). Scope says what "own scope"
means for each role. ACTION_ROLES, REVEAL_ROLES, DEPARTMENT_ROLES and the visibility filter are
read off the table, never written separately; docs/permissions.md is rendered from it by
`manage.py permission_table --markdown`, and tests/test_permission_table.py walks every cell of
it over the API and the web pages.

An administrator configures the system and has no capability on cases (separation of duties):
an administrator reads case content only when also given a case role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import translation

from civicdesk.cases.choices import Action as A
from civicdesk.cases.models import Case
from civicdesk.organization.choices import Role as R
from civicdesk.organization.models import Area, RoleAssignment

# Capabilities beside the actions: open the case (page, API, lists, documents) and unmask a
# party's full phone, ID number or address (with a stated purpose, logged).
VIEW = "view"
REVEAL = "reveal"


class Scope(StrEnum):
    """What "own scope" means for a role; a role assignment (RoleAssignment) supplies the area
    and/or department."""

    # The assignment's area subtree, and the cases assigned to its department if it names one.
    ASSIGNMENT = "assignment"
    # Only the cases assigned to the assignment's department (any area it names is ignored).
    DEPARTMENT = "department"
    # The cases whose responsible leader the person is, plus the assignment's area subtree or
    # department if it names one.
    LED_CASES = "led_cases"
    # No case at all: the role configures the system.
    NONE = "none"


SCOPE_MEANING: dict[Scope, str] = {
    Scope.ASSIGNMENT: "cases in the area subtree of the role assignment, and cases assigned to "
    "the department the assignment names (if any)",
    Scope.DEPARTMENT: "cases assigned to the department of the role assignment",
    Scope.LED_CASES: "cases the person is the responsible leader of, plus the area subtree or "
    "department the assignment names (if any)",
    Scope.NONE: "no case: the role configures the system and reads no case content",
}


@dataclass(frozen=True)
class RoleRights:
    scope: Scope
    own_scope: frozenset[str]
    # Outside its scope every role may do nothing; the field is here so that the table says so
    # for each role, and the import check below keeps it so.
    other_scope: frozenset[str] = frozenset()


def _rights(scope: Scope, *capabilities: str) -> RoleRights:
    return RoleRights(scope=scope, own_scope=frozenset(capabilities))


# The permission table. Creating a case (A.CREATE) is scoped by the area the case is registered
# in, so only roles whose assignment names an area can use it.
PERMISSIONS: dict[str, RoleRights] = {
    R.CLERK: _rights(
        Scope.ASSIGNMENT,
        VIEW, REVEAL, A.CREATE, A.ACCEPT, A.NOT_ACCEPT, A.REDIRECT, A.REPLY, A.FOLLOW_UP,
        A.REQUEST_REVIEW, A.MERGE,
    ),
    R.DISPATCHER: _rights(
        Scope.ASSIGNMENT,
        VIEW, REVEAL, A.CREATE, A.ACCEPT, A.NOT_ACCEPT, A.REDIRECT, A.DISPATCH, A.SEND_BACK,
        A.REPLY, A.FOLLOW_UP, A.REOPEN, A.REQUEST_REVIEW, A.ESCALATE, A.MERGE, A.CLOSE,
    ),
    R.HANDLER: _rights(
        Scope.DEPARTMENT, VIEW, REVEAL, A.SIGN, A.RETURN, A.SUSPEND, A.RESUME, A.REPORT
    ),
    R.DEPT_HEAD: _rights(
        Scope.DEPARTMENT, VIEW, REVEAL, A.SIGN, A.RETURN, A.SUSPEND, A.RESUME, A.REPORT
    ),
    R.LEADER: _rights(Scope.LED_CASES, VIEW, REVEAL, A.EXTEND, A.REOPEN, A.ESCALATE, A.CLOSE),
    # Supervisors, mediators and auditors read cases but do not move them, and see personal
    # data masked (PIPL's minimum-necessary rule). Supervision orders are their own module.
    R.SUPERVISOR: _rights(Scope.ASSIGNMENT, VIEW),
    R.GRID_WORKER: _rights(Scope.ASSIGNMENT, VIEW, REVEAL, A.CREATE, A.FOLLOW_UP),
    R.MEDIATOR: _rights(Scope.ASSIGNMENT, VIEW),
    R.AUDITOR: _rights(Scope.ASSIGNMENT, VIEW),
    # Separation of duties: configuration only, no case content.
    R.ADMIN: _rights(Scope.NONE),
}

# The resident's own rating is given on the portal: no staff role holds it.
RESIDENT_ONLY_ACTIONS = frozenset({A.RATE})
# What a resident may do to their own case on the portal (civicdesk.portal), once they have
# proved it is theirs; services.case_act_as_resident is the only way in.
RESIDENT_ACTIONS = frozenset({A.RATE, A.REOPEN, A.REQUEST_REVIEW})

# The columns of the table, in the order a case lives through them.
CAPABILITIES: tuple[str, ...] = (
    VIEW,
    REVEAL,
    *(action for action in A.values if action not in RESIDENT_ONLY_ACTIONS),
)


def _validate(table: Mapping[str, RoleRights]) -> None:
    """Refuses a table that leaves a role out, names an unknown capability, or grants
    anything outside scope (which the views could not honour: outside scope is not found)."""
    missing = set(R.values) - set(table)
    if missing:
        raise ImproperlyConfigured(f"PERMISSIONS has no row for {sorted(missing)}")
    for role, rights in table.items():
        unknown = (rights.own_scope | rights.other_scope) - set(CAPABILITIES)
        if unknown:
            raise ImproperlyConfigured(f"PERMISSIONS[{role}] names unknown {sorted(unknown)}")
        if rights.other_scope:
            raise ImproperlyConfigured(f"PERMISSIONS[{role}] grants something outside scope")
        if rights.own_scope - {VIEW} and VIEW not in rights.own_scope:
            raise ImproperlyConfigured(f"PERMISSIONS[{role}] acts on cases it may not see")


_validate(PERMISSIONS)


def roles_with(capability: str) -> frozenset[str]:
    """The roles that hold `capability` in their own scope."""
    return frozenset(role for role, rights in PERMISSIONS.items() if capability in rights.own_scope)


# Read off the table; other modules keep using these names.
ACTION_ROLES: dict[str, frozenset[str]] = {action: roles_with(action) for action in A.values}
REVEAL_ROLES = roles_with(REVEAL)
VIEW_ROLES = roles_with(VIEW)
NO_CASE_CONTENT_ROLES = frozenset(R.values) - VIEW_ROLES
DEPARTMENT_ROLES = frozenset(
    role for role, rights in PERMISSIONS.items() if rights.scope is Scope.DEPARTMENT
)


def scope_of(role: str) -> Scope:
    rights = PERMISSIONS.get(role)
    return rights.scope if rights is not None else Scope.NONE


def holds(role: str, capability: str) -> bool:
    rights = PERMISSIONS.get(role)
    return rights is not None and capability in rights.own_scope


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


# --- seeing ---------------------------------------------------------------------------------


def visible_cases_q(user: Any) -> Q:
    """A filter for the cases `user` may see: the union of the own scopes of the user's role
    assignments whose role holds VIEW. Empty scope matches nothing."""
    viewing = [g for g in grants_for(user) if holds(g.role, VIEW)]
    q = Q(pk__in=[])
    if any(scope_of(g.role) is Scope.LED_CASES for g in viewing):
        q |= Q(leader=user)
    paths = {g.area_path for g in viewing if g.area_path and _area_counts(g)}
    departments = {g.department_id for g in viewing if g.department_id}
    if paths:
        area_ids = Area.objects.filter(_path_prefix_q(paths)).values("id")
        q |= Q(area_id__in=area_ids)
    if departments:
        q |= Q(department_id__in=departments)
    return q


def _area_counts(grant: Grant) -> bool:
    return scope_of(grant.role) in (Scope.ASSIGNMENT, Scope.LED_CASES)


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


# --- acting ---------------------------------------------------------------------------------


def grant_covers(grant: Grant, case: Case, user: Any) -> bool:
    """Does the case lie in this assignment's own scope (see Scope)? The same rule as
    visible_cases_q, for one case."""
    scope = scope_of(grant.role)
    if scope is Scope.NONE:
        return False
    if grant.department_id is not None and grant.department_id == case.department_id:
        return True
    if scope is Scope.DEPARTMENT:
        return False
    if scope is Scope.LED_CASES and case.leader_id == user.pk:
        return True
    return bool(grant.area_path and case.area.path.startswith(grant.area_path))


def may(user: Any, case: Case, capability: str) -> bool:
    """May the user use `capability` (a column of the table) on this case?"""
    return any(
        holds(g.role, capability) and grant_covers(g, case, user) for g in grants_for(user)
    )


def may_act(user: Any, case: Case, action: str) -> bool:
    return may(user, case, action)


def may_reveal(user: Any, case: Case) -> bool:
    """May the user unmask a party's personal data on this case (see REVEAL_ROLES)?"""
    return may(user, case, REVEAL)


def may_act_in_area(user: Any, area: Area, action: str) -> bool:
    """For intake: may the user register a case in this area? (Scoped by the area only.)"""
    return any(
        holds(g.role, action)
        and _area_counts(g)
        and g.area_path is not None
        and area.path.startswith(g.area_path)
        for g in grants_for(user)
    )


def roles_of(user: Any) -> list[str]:
    return sorted({g.role for g in grants_for(user)})


# --- the table as text ----------------------------------------------------------------------


def permission_table_markdown() -> str:
    """docs/permissions.md: the table, one row per capability and one column per role, for
    people to read (in English)."""
    roles = list(R.values)
    with translation.override("en"):
        names = {
            VIEW: "View the case (page, API, lists, documents)",
            REVEAL: "Reveal a party's full phone, ID number or address (logged)",
            **{action: str(A(action).label) for action in CAPABILITIES[2:]},
        }
    lines = [
        "# Permission table",
        "",
        "Generated from `PERMISSIONS` in `civicdesk/cases/permissions.py` by",
        "`python manage.py permission_table --markdown > docs/permissions.md`; a test fails when",
        "this file and the table differ, and tests/test_permission_table.py walks every cell",
        "over the API and the web pages. Do not edit this file by hand.",
        "",
        "## Own scope",
        "",
        "**yes**: allowed. **no**: refused; the case page shows no form for it and a request",
        "for it is answered 403 (the case is still visible if `view` is yes, otherwise 404).",
        "",
        _row(["Capability", *roles]),
        _row(["---"] * (len(roles) + 1)),
        _row(["*scope*", *(f"*{PERMISSIONS[r].scope.value}*" for r in roles)]),
    ]
    for capability in CAPABILITIES:
        cells = ["yes" if capability in PERMISSIONS[r].own_scope else "no" for r in roles]
        lines.append(_row([f"`{capability}`: {names[capability]}", *cells]))
    lines += [
        "",
        "## Other scope",
        "",
        "Outside its scope no role may do anything: the case is *not found* (404) for viewing,",
        "revealing and every action, on the web pages and in the API alike. Registering a case",
        "(`create`) is scoped by the area it is registered in: an area outside scope is refused",
        "on the `area` field (422).",
        "",
        _row(["Role", "Allowed outside its scope"]),
        _row(["---", "---"]),
    ]
    for role in roles:
        other = PERMISSIONS[role].other_scope
        lines.append(_row([role, ", ".join(sorted(other)) or "nothing"]))
    lines += ["", "## What own scope means", ""]
    for scope in Scope:
        holders = ", ".join(r for r in roles if PERMISSIONS[r].scope is scope)
        lines.append(f"- `{scope.value}` ({holders}): {SCOPE_MEANING[scope]}.")
    lines += [
        "",
        "A person holding several roles has the union of what each role allows in that role's",
        "scope. An administrator (separation of duties) configures the system and reads no case",
        "content; given a case role as well, they see and do what that role allows.",
        "",
    ]
    return "\n".join(lines)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
