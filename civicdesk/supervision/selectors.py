"""Reads for supervision: the board of late cases and the supervision orders, always within
the user's scope (`cases_visible_to`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Min, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import QueryDict

from civicdesk.cases.choices import ClockState
from civicdesk.cases.filters import CaseFilter
from civicdesk.cases.models import Case, CaseClock
from civicdesk.cases.selectors import cases_visible_to
from civicdesk.core.errors import NotFound
from civicdesk.supervision.models import OrderStatus, SupervisionOrder

# The board's two measures, as the case list's own filter parameters: the board counts with
# the very filter the list uses, so a count and the list it links to always agree.
MEASURES: dict[str, dict[str, str]] = {
    "overdue": {"overdue": "true"},
    "due_soon": {"due_soon": "true"},
}
# How the board groups, and the list parameter that shows one group: (group by, label, param).
GROUPINGS: dict[str, tuple[str, str, str]] = {
    "department": ("department__code", "department__name", "department"),
    "leader": ("leader__username", "leader__display_name", "leader"),
}
# The oldest cases the board shows under each group; the count links to the rest.
CASES_PER_GROUP = 5
# Open orders are few (each is a leader's decision); the list still stops somewhere.
ORDER_LIST_LIMIT = 500


def measure_cases(user: Any, measure: str) -> QuerySet[Case]:
    filterset = CaseFilter(dict(MEASURES[measure]), queryset=cases_visible_to(user))
    assert filterset.is_valid(), filterset.errors
    return filterset.qs


def late_cases(user: Any) -> QuerySet[Case]:
    """Overdue or due soon: the union of the two measures."""
    return measure_cases(user, "overdue") | measure_cases(user, "due_soon")


@dataclass
class BoardGroup:
    key: str  # the department code or leader's username; "" for cases with none
    label: str
    param: str
    counts: dict[str, int] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return self.counts.get("overdue", 0)

    @property
    def due_soon(self) -> int:
        return self.counts.get("due_soon", 0)

    def query(self, measure: str) -> str:
        """The list's query string that shows this group's cases for `measure`, or ""."""
        if not self.key:
            return ""
        params = QueryDict(mutable=True)
        params[self.param] = self.key
        params.update(MEASURES[measure])
        return params.urlencode()

    @property
    def overdue_query(self) -> str:
        return self.query("overdue")

    @property
    def due_soon_query(self) -> str:
        return self.query("due_soon")


@dataclass
class Board:
    totals: dict[str, int]
    by_department: list[BoardGroup]
    by_leader: list[BoardGroup]


def board_for_user(*, user: Any) -> Board:
    """Late cases grouped by department and by responsible leader: counts from aggregate
    queries, and each group's oldest cases (earliest due first) from one windowed query."""
    groups = {name: _grouped_counts(user, name) for name in GROUPINGS}
    for name, by_key in groups.items():
        for case in _oldest_per_group(user, name):
            key = _case_key(case, name)
            if key in by_key:
                by_key[key].cases.append(case)
    totals = {
        measure: sum(group.counts.get(measure, 0) for group in groups["department"].values())
        for measure in MEASURES
    }
    return Board(
        totals=totals,
        by_department=_sorted_groups(groups["department"]),
        by_leader=_sorted_groups(groups["leader"]),
    )


def _grouped_counts(user: Any, grouping: str) -> dict[str, BoardGroup]:
    key_field, label_field, param = GROUPINGS[grouping]
    groups: dict[str, BoardGroup] = {}
    for measure in MEASURES:
        rows = (
            measure_cases(user, measure)
            .values(key_field, label_field)
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            key = row[key_field] or ""
            group = groups.setdefault(key, BoardGroup(key, row[label_field] or key, param))
            group.counts[measure] = row["n"]
    return groups


def _sorted_groups(groups: dict[str, BoardGroup]) -> list[BoardGroup]:
    # Most overdue first; cases with no department or leader yet come last.
    return sorted(groups.values(), key=lambda g: (not g.key, -g.overdue, -g.due_soon, g.label))


def _case_key(case: Case, grouping: str) -> str:
    if grouping == "department":
        return case.department.code if case.department else ""
    return case.leader.username if case.leader else ""


def _oldest_per_group(user: Any, grouping: str) -> list[Case]:
    """Each group's oldest late cases (received first), ranked in one windowed query read off
    the late cases only; then the due moment of each shown case's earliest running clock, in
    one more query for those few cases. Ranking by that due moment instead would compute it for
    every late case: seconds at a million cases."""
    partition = "department_id" if grouping == "department" else "leader_id"
    # Rank ids only (narrow rows sort fast), then fetch the few cases shown.
    shown_ids = list(
        late_cases(user)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F(partition)],
                order_by=[F("received_at").asc(), F("id").asc()],
            ),
        )
        .filter(rank__lte=CASES_PER_GROUP)
        .values_list("id", flat=True)
    )
    ranked = list(
        Case.objects.filter(id__in=shown_ids)
        .select_related("department", "leader")
        .order_by("received_at", "id")
    )
    dues = _earliest_running_due([case.pk for case in ranked])
    for case in ranked:
        case.due_at = dues.get(case.pk)  # type: ignore[attr-defined]
    return ranked


def _earliest_running_due(case_ids: list[int]) -> dict[int, Any]:
    """The due moment of each case's earliest running clock: the one that made it late."""
    rows = (
        CaseClock.objects.filter(case_id__in=case_ids, state=ClockState.RUNNING, is_window=False)
        .values("case_id")
        .annotate(due=Min("due_at"))
        .order_by()
    )
    return {row["case_id"]: row["due"] for row in rows}


# --- orders -------------------------------------------------------------------------------


def orders_visible_to(user: Any) -> QuerySet[SupervisionOrder]:
    """Orders on cases the user may see (an order is part of its case)."""
    return SupervisionOrder.objects.filter(case__in=cases_visible_to(user).values("id"))


def order_get_for_user(*, user: Any, pk: int) -> SupervisionOrder:
    order = (
        orders_visible_to(user)
        .select_related("case", "department", "leader", "issued_by", "answered_by")
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise NotFound()
    return order


def order_list_for_user(*, user: Any, status: str = OrderStatus.OPEN) -> list[SupervisionOrder]:
    """The user's orders in one status, the soonest due first (at most ORDER_LIST_LIMIT)."""
    return list(
        orders_visible_to(user)
        .filter(status=status)
        .select_related("case", "department", "leader", "issued_by", "answered_by")
        .order_by("due_at", "id")[:ORDER_LIST_LIMIT]
    )
