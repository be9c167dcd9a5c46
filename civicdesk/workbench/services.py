"""Writes the workbench makes itself: saved filters, and bulk dispatch (one case action per
case, through the cases services)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from civicdesk.cases.choices import Action
from civicdesk.cases.filters import CaseFilter
from civicdesk.cases.models import Case
from civicdesk.cases.permissions import ACTION_ROLES, roles_of
from civicdesk.cases.selectors import cases_visible_to
from civicdesk.cases.services import case_act
from civicdesk.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from civicdesk.workbench.models import SavedFilter

# Parameters that belong to one view of a list, not to the filter a user wants to keep.
NOT_SAVED_PARAMS = ("page",)
SAVED_NAME_LIMIT = 60
SAVED_QUERY_LIMIT = 2000
# One bulk dispatch runs this many case actions at most; each is its own transaction.
BULK_DISPATCH_LIMIT = 100


def saved_filter_create(*, actor: Any, name: str, query: str) -> SavedFilter:
    """Keeps `query` (a case-list query string) under `name` for `actor` alone."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.single("name", _("This field is required."))
    if len(name) > SAVED_NAME_LIMIT:
        raise ValidationFailed.single(
            "name", _("At most {limit} characters.").format(limit=SAVED_NAME_LIMIT)
        )
    cleaned = _filter_query(query)
    try:
        with transaction.atomic():
            return SavedFilter.objects.create(user=actor, name=name, query=cleaned)
    except IntegrityError:
        raise ValidationFailed.single(
            "name", _("You already have a saved filter with this name.")
        ) from None


def _filter_query(query: str) -> str:
    """The query without paging, checked by the list's own FilterSet."""
    params = QueryDict(query or "", mutable=True)
    for name in NOT_SAVED_PARAMS:
        params.pop(name, None)
    cleaned = params.urlencode()
    if len(cleaned) > SAVED_QUERY_LIMIT:
        raise ValidationFailed.single("query", _("This filter is too long to save."))
    filterset = CaseFilter(params, queryset=Case.objects.none())
    if not filterset.is_valid():
        raise ValidationFailed.single("query", _("Correct the filter before saving it."))
    return cleaned


def saved_filter_delete(*, actor: Any, filter_id: int) -> None:
    """Deletes one of the actor's own saved filters; anyone else's is "not found"."""
    deleted, _rows = SavedFilter.objects.filter(pk=filter_id, user=actor).delete()
    if not deleted:
        raise NotFound()


@dataclass(frozen=True)
class DispatchOutcome:
    case_id: int
    receipt_code: str
    ok: bool
    message: str


def cases_dispatch_bulk(
    *,
    actor: Any,
    case_ids: list[int],
    department: str,
    leader: str,
    handler: str = "",
) -> list[DispatchOutcome]:
    """Dispatches each case on its own: one that fails (wrong state, changed meanwhile,
    outside scope) is reported and leaves the others dispatched."""
    if not set(roles_of(actor)) & ACTION_ROLES[Action.DISPATCH]:
        raise PermissionDenied(_("Only dispatchers may dispatch cases."))
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        raise ValidationFailed.single("cases", _("Select at least one case."))
    if len(ids) > BULK_DISPATCH_LIMIT:
        raise ValidationFailed.single(
            "cases",
            _("Select at most {limit} cases at a time.").format(limit=BULK_DISPATCH_LIMIT),
        )
    codes = dict(cases_visible_to(actor).filter(pk__in=ids).values_list("pk", "receipt_code"))
    data = {"department": department, "leader": leader, "handler": handler or None}
    return [_dispatch_one(actor, case_id, codes.get(case_id, ""), data) for case_id in ids]


def _dispatch_one(actor: Any, case_id: int, code: str, data: dict[str, Any]) -> DispatchOutcome:
    try:
        case = case_act(actor=actor, case_id=case_id, action=Action.DISPATCH, data=dict(data))
    except ValidationFailed as error:
        problems = [problem for messages in error.errors.values() for problem in messages]
        return DispatchOutcome(case_id, code, False, " ".join(problems) or error.message)
    except DomainError as error:
        return DispatchOutcome(case_id, code, False, error.message)
    return DispatchOutcome(case_id, case.receipt_code, True, _("Dispatched."))
