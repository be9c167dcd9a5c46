"""Reads the case page needs beyond the case itself, each within the user's scope."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from civicdesk.cases.models import Attachment, Case, CaseEvent
from civicdesk.cases.selectors import case_get_for_user, cases_visible_to
from civicdesk.core.errors import NotFound
from civicdesk.organization.models import Centre, Department


def attachment_get_for_user(*, user: Any, case_id: int, attachment_id: int) -> Attachment:
    """The attachment of a case the user may see; NotFound otherwise (never told apart)."""
    case = case_get_for_user(user=user, pk=case_id)
    attachment = Attachment.objects.filter(case=case, pk=attachment_id).first()
    if attachment is None:
        raise NotFound()
    return attachment


def attachments_of(*, case: Case) -> list[Attachment]:
    """The case's attachments; `case` must come from a scoped selector."""
    return list(Attachment.objects.filter(case=case).order_by("id"))


def case_pk_by_reference(*, user: Any, reference: str) -> int | None:
    """A visible case named by its receipt code (or, for staff who have it, its number)."""
    reference = reference.strip()
    if not reference:
        return None
    visible = cases_visible_to(user)
    pk = visible.filter(receipt_code__iexact=reference).values_list("pk", flat=True).first()
    if pk is None and reference.isdigit():
        pk = visible.filter(pk=int(reference)).values_list("pk", flat=True).first()
    return pk


@dataclass(frozen=True)
class TimelineNames:
    """Names for the codes events carry, fetched once for the whole timeline."""

    departments: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)
    centres: dict[str, str] = field(default_factory=dict)


DEPARTMENT_KEYS = ("department",)
STAFF_KEYS = ("leader", "handler")
CENTRE_KEYS = ("from_centre", "to_centre")


def timeline_names(events: Iterable[CaseEvent]) -> TimelineNames:
    """At most three queries whatever the number of events."""
    codes: dict[str, set[str]] = {"departments": set(), "staff": set(), "centres": set()}
    for event in events:
        params = event.params if isinstance(event.params, dict) else {}
        for keys, bucket in (
            (DEPARTMENT_KEYS, "departments"),
            (STAFF_KEYS, "staff"),
            (CENTRE_KEYS, "centres"),
        ):
            codes[bucket].update(str(params[k]) for k in keys if params.get(k))
    return TimelineNames(
        departments=_names(Department.objects.filter(code__in=codes["departments"]), "code")
        if codes["departments"]
        else {},
        staff=_staff_names(codes["staff"]) if codes["staff"] else {},
        centres=_names(Centre.objects.filter(code__in=codes["centres"]), "code")
        if codes["centres"]
        else {},
    )


def _names(queryset: Any, key: str) -> dict[str, str]:
    return {getattr(row, key): str(row) for row in queryset}


def _staff_names(usernames: set[str]) -> dict[str, str]:
    users = get_user_model().objects.filter(username__in=usernames)
    return {user.username: str(user) for user in users}
