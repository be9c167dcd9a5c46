"""Reads of the access log: for auditors only, newest first, paged without counting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.audit.models import AccessRecord
from civicdesk.cases.permissions import roles_of
from civicdesk.core.errors import PermissionDenied
from civicdesk.organization.choices import Role

RECORD_FIELDS = (
    "id",
    "at",
    "action",
    "channel",
    "address",
    "detail",
    "case_id",
    "case__receipt_code",
    "user__username",
    "user__display_name",
)


@dataclass(frozen=True)
class RecordPage:
    items: list[dict[str, Any]]
    number: int
    has_next: bool


@dataclass(frozen=True)
class RecordRows:
    rows: Iterator[dict[str, Any]]
    capped: bool


def is_auditor(user: Any) -> bool:
    return bool(user.is_authenticated) and Role.AUDITOR in roles_of(user)


def _require_auditor(user: Any) -> None:
    if not is_auditor(user):
        raise PermissionDenied(_("Only auditors read the access log."))


def _start_of(day: dt.date) -> dt.datetime:
    # The auditor's dates are days of the centre's time zone, not UTC days.
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _filtered(filters: Mapping[str, Any]) -> QuerySet[AccessRecord]:
    queryset = AccessRecord.objects.all()
    if filters.get("after"):
        queryset = queryset.filter(at__gte=_start_of(filters["after"]))
    if filters.get("before"):
        queryset = queryset.filter(at__lt=_start_of(filters["before"] + dt.timedelta(days=1)))
    if filters.get("user"):
        queryset = queryset.filter(user__username__iexact=filters["user"].strip())
    case = filters.get("case")
    if case and "id" in case:
        queryset = queryset.filter(case_id=case["id"])
    elif case:
        queryset = queryset.filter(case__receipt_code=case["receipt_code"])
    if filters.get("action"):
        queryset = queryset.filter(action=filters["action"])
    if filters.get("address"):
        queryset = queryset.filter(address__startswith=filters["address"].strip())
    return queryset.order_by("-at", "-id")


def access_records_for_auditor(
    *, user: Any, filters: Mapping[str, Any], page: int = 1
) -> RecordPage:
    """One page of records matching `filters` (the cleaned AccessLogFilterForm). Whether a next
    page exists is found by asking for one row more, not by counting a table that only grows."""
    _require_auditor(user)
    size = settings.CIVICDESK_PAGE_SIZE
    start = (max(page, 1) - 1) * size
    rows = list(_filtered(filters).values(*RECORD_FIELDS)[start : start + size + 1])
    return RecordPage(items=rows[:size], number=max(page, 1), has_next=len(rows) > size)


def access_records_for_export(*, user: Any, filters: Mapping[str, Any], limit: int) -> RecordRows:
    """The first `limit` matching records, streamed in chunks, and whether more match."""
    _require_auditor(user)
    queryset = _filtered(filters)
    capped = queryset[limit : limit + 1].exists()
    rows = queryset[:limit].values(*RECORD_FIELDS).iterator(chunk_size=2000)
    return RecordRows(rows=rows, capped=capped)
