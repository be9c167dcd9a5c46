"""The one FilterSet for case lists, shared by the API and the web pages."""

from __future__ import annotations

import django_filters
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.choices import CaseType, Status, WarningLevel
from civicdesk.cases.models import Case
from civicdesk.cases.search import query_words
from civicdesk.organization.models import Area, Department, User


def full_text_filter(words: list[str]) -> Q:
    """Cases whose segmented text holds every word, through the database's own index."""
    if not words:
        return Q()
    if connection.vendor == "postgresql":
        # `document` is a stored to_tsvector('simple', words) with a GIN index (migration 0005).
        sql = (
            "SELECT case_id FROM cases_casesearch "
            "WHERE document @@ plainto_tsquery('simple', %s)"
        )
        return Q(id__in=RawSQL(sql, [" ".join(words)]))  # noqa: S611 - bound parameter
    # Words contain only letters, digits and CJK characters (search.query_words), so quoting
    # each one makes a safe FTS5 phrase query; several phrases mean AND.
    match = " ".join(f'"{word}"' for word in words)
    sql = "SELECT rowid FROM cases_search_fts WHERE cases_search_fts MATCH %s"
    return Q(id__in=RawSQL(sql, [match]))  # noqa: S611 - bound parameter


# Strict yes/no: "overdue=maybe" is an error, not a silently ignored filter.
YES_NO = [("true", _("yes")), ("false", _("no")), ("1", _("yes")), ("0", _("no"))]


def _as_bool(value: str) -> bool:
    return value in ("true", "1")


class CaseFilter(django_filters.FilterSet):
    # distinct=False: a case has one status and one type, and DISTINCT would make the database
    # sort every match instead of reading the page off the (status, received_at, id) index.
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, distinct=False, label=_("status")
    )
    type = django_filters.MultipleChoiceFilter(
        choices=CaseType.choices, distinct=False, label=_("type")
    )
    area = django_filters.CharFilter(method="filter_area", label=_("area (code, with its subtree)"))
    department = django_filters.CharFilter(method="filter_department", label=_("department"))
    leader = django_filters.CharFilter(method="filter_leader", label=_("responsible leader"))
    category = django_filters.CharFilter(method="filter_category", label=_("category"))
    overdue = django_filters.TypedChoiceFilter(
        choices=YES_NO, coerce=_as_bool, method="filter_overdue", label=_("overdue")
    )
    due_soon = django_filters.TypedChoiceFilter(
        choices=YES_NO, coerce=_as_bool, method="filter_due_soon", label=_("due soon")
    )
    received_after = django_filters.IsoDateTimeFilter(
        field_name="received_at", lookup_expr="gte", label=_("received from")
    )
    received_before = django_filters.IsoDateTimeFilter(
        field_name="received_at", lookup_expr="lt", label=_("received before")
    )
    q = django_filters.CharFilter(method="filter_text", label=_("search"))

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_area(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        area = Area.objects.filter(code=value).first()
        if area is None:
            return queryset.none()
        return queryset.filter(
            area__in=Area.objects.filter(path__startswith=area.path).values("id")
        )

    # Codes and usernames are resolved to ids first, so the filter is `department_id = ?` and
    # the page is read off the (department, received_at, id) index without a join.
    def filter_department(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        department_id = Department.objects.filter(code=value).values_list("id", flat=True).first()
        return queryset.filter(department_id=department_id) if department_id else queryset.none()

    def filter_leader(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        leader_id = User.objects.filter(username=value).values_list("id", flat=True).first()
        return queryset.filter(leader_id=leader_id) if leader_id else queryset.none()

    def filter_category(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(Q(category__code=value) | Q(category__parent__code=value))

    def filter_overdue(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        late = Q(warning_level__gte=WarningLevel.OVERDUE)
        return queryset.filter(late if value else ~late)

    def filter_due_soon(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        soon = Q(warning_level=WarningLevel.DUE_SOON)
        return queryset.filter(soon if value else ~soon)

    def filter_text(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        words = query_words(value)
        if not words:
            # Text with no searchable word ("%", "'--") matches nothing, not every case.
            return queryset.none()
        return queryset.filter(full_text_filter(words))
