"""Every permission-aware read of cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from civicdesk.cases.filters import CaseFilter
from civicdesk.cases.models import Case, CaseClock, CaseEvent
from civicdesk.cases.permissions import visible_cases_q
from civicdesk.core.errors import NotFound, ValidationFailed


def cases_visible_to(user: Any) -> QuerySet[Case]:
    return Case.objects.filter(visible_cases_q(user))


def case_get_for_user(*, user: Any, pk: int) -> Case:
    """The case, or NotFound when it does not exist or lies outside the user's scope."""
    return _fetch_case(cases_visible_to(user), pk)


def _case_unscoped(pk: int) -> Case:
    return _fetch_case(Case.objects.all(), pk)


def _fetch_case(queryset: QuerySet[Case], pk: int) -> Case:
    case = (
        queryset.select_related(
            "category",
            "area",
            "centre",
            "department",
            "leader",
            "handler",
            "merged_into",
            "review_of",
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise NotFound()
    return case


def case_detail_for_user(*, user: Any, pk: int, acted: bool = False) -> Case:
    """The case with its parties, clocks and events. `acted=True` is only for answering the
    user who has just registered this case or taken an action on it, which may have moved it
    out of their scope."""
    case = _case_unscoped(pk) if acted else case_get_for_user(user=user, pk=pk)
    # Prefetch onto the instance already fetched, in three queries.
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        [case],
        "parties",
        Prefetch("clocks", queryset=CaseClock.objects.order_by("started_at", "id")),
        Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("at", "id")),
    )
    return case


# The orders a list may take. Each is served by the indexes that end in (received_at, id), read
# forwards or backwards; an order no index serves would make the database sort every match.
LIST_ORDERINGS: dict[str, tuple[str, str]] = {
    "newest": ("-received_at", "-id"),
    "oldest": ("received_at", "id"),
}


@dataclass(frozen=True)
class Page:
    items: list[Case]
    number: int
    has_next: bool


def case_list_for_user(
    *,
    user: Any,
    params: Any,
    page: int = 1,
    page_size: int | None = None,
    ordering: str = "newest",
) -> Page:
    """One page of the cases the user may see, newest first unless `ordering` says "oldest".

    The page is fetched with one row more than it shows, to know whether another follows:
    no list ever counts all the rows behind it.
    """
    size = page_size or settings.CIVICDESK_PAGE_SIZE
    if page < 1 or page > 10_000:
        raise ValidationFailed.single(
            "page", _("Enter a number from {low} to {high}.").format(low=1, high=10_000)
        )
    queryset = filtered_cases_for_user(user=user, params=params, ordering=ordering)
    queryset = queryset.select_related("category", "area", "department", "leader")
    start = (page - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(items=rows[:size], number=page, has_next=len(rows) > size)


def filtered_cases_for_user(*, user: Any, params: Any, ordering: str = "newest") -> QuerySet[Case]:
    """All cases the user may see that match the list filters, in the list's order (the list
    pages them; the export streams them). Bad filters raise ValidationFailed by field."""
    if ordering not in LIST_ORDERINGS:
        raise ValidationFailed.single(
            "order", _("Unknown order “{value}”.").format(value=ordering)
        )
    filterset = CaseFilter(params, queryset=cases_visible_to(user))
    if not filterset.is_valid():
        raise ValidationFailed(
            {field: [str(e) for e in errors] for field, errors in filterset.errors.items()}
        )
    return filterset.qs.order_by(*LIST_ORDERINGS[ordering])
