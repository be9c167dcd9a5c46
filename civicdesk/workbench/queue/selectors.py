"""Reads for the case list page: the choices its filters offer, the user's saved filters and
the rows of an export. Every read of cases starts from `cases_visible_to`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from civicdesk.cases.choices import Action
from civicdesk.cases.models import Category
from civicdesk.cases.permissions import ACTION_ROLES, roles_of
from civicdesk.cases.selectors import filtered_cases_for_user
from civicdesk.organization.choices import AreaLevel, Role
from civicdesk.organization.models import Area, Department, User
from civicdesk.workbench.models import SavedFilter

# Grids and sub-grids are too many for a drop-down; their village or community holds them.
AREA_LEVELS_OFFERED = (AreaLevel.COUNTY, AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    depth: int = 0

    @property
    def indented(self) -> str:
        # Ideographic spaces show the tree in a plain <select>, which takes no styling.
        return "\u3000" * self.depth + self.label


def department_options() -> list[Option]:
    return [
        Option(code, name)
        for code, name in Department.objects.filter(active=True).values_list("code", "name")
    ]


def area_options() -> list[Option]:
    rows = Area.objects.filter(level__in=AREA_LEVELS_OFFERED).values_list("code", "name", "path")
    return [Option(code, name, path.count("/") - 2) for code, name, path in rows]


def staff_options(role: str) -> list[Option]:
    """Active staff holding `role`, by display name."""
    users = (
        User.objects.filter(is_active=True, role_assignments__role=role)
        .distinct()
        .order_by("display_name", "username")
    )
    return [Option(user.username, str(user)) for user in users]


def category_options() -> list[Option]:
    categories = Category.objects.filter(active=True).order_by("code")
    return [
        Option(category.code, category.name, 1 if category.parent_id else 0)
        for category in categories
    ]


def leader_options() -> list[Option]:
    return staff_options(Role.LEADER)


def handler_options() -> list[Option]:
    return staff_options(Role.HANDLER)


def user_may_dispatch(user: Any) -> bool:
    """Whether the list offers this user the bulk dispatch (each case is still checked)."""
    return bool(set(roles_of(user)) & ACTION_ROLES[Action.DISPATCH])


def saved_filters_for_user(*, user: Any) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(user=user).order_by("name", "id")


# Only fields of the case itself: no party, so no name, phone or ID number reaches a file.
EXPORT_FIELDS = (
    "receipt_code",
    "title",
    "type",
    "channel",
    "category__name_zh",
    "category__name_en",
    "priority",
    "status",
    "warning_level",
    "area__name",
    "department__name",
    "leader__display_name",
    "leader__username",
    "handler__display_name",
    "handler__username",
    "received_at",
    "closed_at",
)


@dataclass(frozen=True)
class ExportRows:
    rows: Iterator[dict[str, Any]]
    capped: bool


def case_export_rows_for_user(
    *, user: Any, params: Any, ordering: str = "newest", limit: int
) -> ExportRows:
    """The first `limit` matching cases as plain values, streamed from the database in chunks.

    Whether more match is found by asking for one row past the limit, not by counting.
    """
    queryset = filtered_cases_for_user(user=user, params=params, ordering=ordering)
    capped = queryset[limit : limit + 1].exists()
    rows = queryset[:limit].values(*EXPORT_FIELDS).iterator(chunk_size=2000)
    return ExportRows(rows=rows, capped=capped)
