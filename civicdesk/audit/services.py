"""Writes to the access log: `record_access` is the one writer, `access_log_purge` the one
delete (the retention, docs/decisions/0027)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from civicdesk.audit.choices import AccessAction, AccessChannel
from civicdesk.audit.models import AccessRecord
from civicdesk.core.ratelimit import client_ip


def record_access(
    *,
    actor: Any,
    action: AccessAction,
    address: str,
    channel: AccessChannel,
    case_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AccessRecord:
    """Writes one access record. Call it after the scope check and before the answer is built:
    if the write fails, the reader gets an error, never the data without a record."""
    return AccessRecord.objects.create(
        user=actor,
        case_id=case_id,
        action=action,
        address=address[:64],
        channel=channel,
        detail=dict(detail or {}),
    )


def log_access(
    request: HttpRequest,
    action: AccessAction,
    *,
    case_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    channel: AccessChannel = AccessChannel.WEB,
) -> AccessRecord:
    """`record_access` for the request being answered: its user and client address (behind our
    own proxies, the address they forwarded: CIVICDESK_TRUSTED_PROXIES)."""
    return record_access(
        actor=request.user,
        action=action,
        address=client_ip(request),
        channel=channel,
        case_id=case_id,
        detail=detail,
    )


def retention_cutoff(*, now: dt.datetime | None = None) -> dt.datetime:
    days = settings.CIVICDESK_ACCESS_LOG_RETENTION_DAYS
    return (now or timezone.now()) - dt.timedelta(days=days)


def access_log_purge(*, now: dt.datetime | None = None) -> int:
    """Deletes the records older than the retention; returns how many."""
    return AccessRecord.objects.purge_older_than(retention_cutoff(now=now))


# --- what a record says about the read (its `detail`) ---------------------------------------


def query_filters(params: QueryDict) -> dict[str, str | list[str]]:
    """The non-empty parameters of a list's query string, as the auditor will want to read them:
    which cases an export took."""
    filters: dict[str, str | list[str]] = {}
    for name in sorted(params):
        values = [value for value in params.getlist(name) if value != ""]
        if values and name != "page":
            filters[name] = values[0] if len(values) == 1 else values
    return filters


def export_detail(params: QueryDict, capped: bool) -> dict[str, Any]:
    return {"filters": query_filters(params), "capped": capped}


def document_detail(request: HttpRequest, kind: str) -> dict[str, str]:
    return {"kind": kind, "format": request.GET.get("format", "html")[:10]}
