"""What every workbench page needs: the navigation this user's roles open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.choices import Action
from civicdesk.cases.permissions import ACTION_ROLES, roles_of
from civicdesk.organization.choices import Role as R


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    roles: frozenset[str] | None  # None: every signed-in member of staff


CASE_ROLES = frozenset(R) - {R.ADMIN}
NAV: list[NavItem] = [
    NavItem("workbench:home", _("My work"), None),
    NavItem("workbench:intake", _("Register a case"), ACTION_ROLES[Action.CREATE]),
    NavItem("workbench:queue", _("Cases"), CASE_ROLES),
    NavItem(
        "supervision:board",
        _("Supervision"),
        frozenset({R.DISPATCHER, R.DEPT_HEAD, R.LEADER, R.SUPERVISOR}),
    ),
    NavItem("audit:log", _("Access log"), frozenset({R.AUDITOR})),
]


def nav_for(user: Any) -> list[dict[str, Any]]:
    roles = set(roles_of(user))
    items = [
        {"url": reverse(item.url_name), "label": item.label, "name": item.url_name}
        for item in NAV
        if item.roles is None or roles & item.roles
    ]
    if user.is_staff or R.ADMIN in roles:
        items.append({"url": reverse("admin:index"), "label": _("Configuration"), "name": "admin"})
    return items


def workbench(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_items": nav_for(user),
        "my_roles": [R(role).label for role in roles_of(user)],
        "active_nav": getattr(request, "resolver_match", None)
        and request.resolver_match.view_name,  # type: ignore[union-attr]
    }
