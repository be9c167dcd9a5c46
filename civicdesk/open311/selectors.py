"""Every read the Open311 endpoints make: jurisdictions, keys, services and requests.

A reader sees the requests of one scope: with an api_key, the key's area subtree; without one
(the standard lets anyone read), the union of the areas of the keys serving the jurisdiction.
Only cases of public categories (the services this endpoint offers) are ever listed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from civicdesk.cases.choices import ClockKind, ClockState, Status
from civicdesk.cases.models import Case, CaseClock, CaseEvent, Category
from civicdesk.cases.receipt_codes import normalise_receipt_code
from civicdesk.core.errors import NotFound, ValidationFailed
from civicdesk.open311.models import ApiClient

# Statuses a resident would call "closed": the matter is finished, refused or folded into
# another one. Every other status is still "open".
CLOSED_STATUSES = frozenset({Status.CLOSED, Status.NOT_ACCEPTED, Status.REDIRECTED, Status.MERGED})
MAX_IDS_PER_QUERY = 100


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def client_for_key(key: str) -> ApiClient | None:
    if not key or len(key) > 200:
        return None
    return (
        ApiClient.objects.select_related("area", "default_area", "user")
        .filter(digest=key_digest(key), active=True, user__is_active=True)
        .first()
    )


def served_jurisdictions() -> set[str]:
    active = ApiClient.objects.filter(active=True).values_list("jurisdiction_id", flat=True)
    return {settings.CIVICDESK_OPEN311_JURISDICTION, *active}


def jurisdiction_resolve(jurisdiction_id: str) -> str:
    """The jurisdiction a request addresses. NotFound for one not served; ValidationFailed when
    it is missing and more than one is served (the standard's two jurisdiction errors)."""
    served = served_jurisdictions()
    if jurisdiction_id:
        if jurisdiction_id not in served:
            raise NotFound(
                _("jurisdiction_id “{value}” is not served here.").format(value=jurisdiction_id)
            )
        return jurisdiction_id
    if len(served) > 1:
        raise ValidationFailed.single(
            "jurisdiction_id",
            _("This endpoint serves several jurisdictions: send jurisdiction_id."),
        )
    return next(iter(served))


def public_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True, public=True).select_related("parent")


def service_get(code: str) -> Category:
    category = public_categories().filter(code=code).first()
    if category is None:
        raise NotFound(_("service_code “{value}” was not found.").format(value=code[:64]))
    return category


def reader_area_paths(*, client: ApiClient | None, jurisdiction_id: str) -> list[str]:
    if client is not None:
        return [client.area.path]
    return list(
        ApiClient.objects.filter(active=True, jurisdiction_id=jurisdiction_id)
        .values_list("area__path", flat=True)
        .distinct()
    )


def _readable_requests(paths: list[str]) -> QuerySet[Case]:
    in_scope = Q(pk__in=[])
    for path in paths:
        in_scope |= Q(area__path__startswith=path)
    last_event = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-at", "-id")
    handling_due = CaseClock.objects.filter(
        case=OuterRef("pk"), kind=ClockKind.HANDLING, state=ClockState.RUNNING
    ).order_by("due_at")
    return (
        Case.objects.filter(in_scope, category__public=True)
        .select_related("category", "department", "merged_into", "open311")
        .annotate(
            updated_at=Coalesce("closed_at", Subquery(last_event.values("at")[:1])),
            expected_at=Subquery(handling_due.values("due_at")[:1]),
        )
    )


@dataclass(frozen=True)
class RequestFilters:
    ids: list[str]
    service_codes: list[str]
    start: dt.datetime
    end: dt.datetime
    statuses: list[str]


def request_list(*, paths: list[str], filters: RequestFilters, limit: int) -> list[Case]:
    """The readable requests matching the filters, newest first; ids override the others."""
    queryset = _readable_requests(paths)
    if filters.ids:
        queryset = queryset.filter(receipt_code__in=[_canonical(code) for code in filters.ids])
    else:
        queryset = queryset.filter(received_at__gte=filters.start, received_at__lte=filters.end)
        if filters.service_codes:
            queryset = queryset.filter(category__code__in=filters.service_codes)
        if set(filters.statuses) == {"closed"}:
            queryset = queryset.filter(status__in=CLOSED_STATUSES)
        elif set(filters.statuses) == {"open"}:
            queryset = queryset.exclude(status__in=CLOSED_STATUSES)
    return list(queryset.order_by("-received_at", "-id")[:limit])


def request_get(*, paths: list[str], code: str) -> Case:
    case = _readable_requests(paths).filter(receipt_code=_canonical(code)).first()
    if case is None:
        raise NotFound(_("service_request_id “{value}” was not found.").format(value=code[:64]))
    return case


def _canonical(code: str) -> str:
    # People copy receipt codes from paper: lower case, spaces, O for 0.
    return normalise_receipt_code(code) or code
