"""Writes of supervision (督办): issuing an order on a case and the department's answer.

Neither changes the case's status, so neither goes through the case transition table; each
writes its own event on the case's timeline in the same transaction as the order."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.cases.choices import TimeUnit
from civicdesk.cases.deadlines import compute_due, local_zone
from civicdesk.cases.events import append_event
from civicdesk.cases.models import Case
from civicdesk.cases.permissions import grants_for, roles_of
from civicdesk.cases.selectors import case_get_for_user
from civicdesk.cases.transitions import FINISHED_STATES
from civicdesk.core.calendar_store import current_calendar
from civicdesk.core.errors import (
    Conflict,
    IllegalTransition,
    PermissionDenied,
    ValidationFailed,
)
from civicdesk.organization.choices import Role
from civicdesk.supervision.models import OrderStatus, SupervisionOrder
from civicdesk.supervision.selectors import order_get_for_user

ISSUING_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.DISPATCHER})
ANSWERING_ROLES = frozenset({Role.HANDLER, Role.DEPT_HEAD})
# The longest time a department may be given to answer, in working days.
MAX_DAYS = 60
TEXT_LIMIT = 4000
NUMBER_ATTEMPTS = 5


def may_issue(user: Any) -> bool:
    return bool(set(roles_of(user)) & ISSUING_ROLES)


def may_answer(user: Any, order: SupervisionOrder) -> bool:
    """A handler or head of the department the order was sent to."""
    return any(
        grant.role in ANSWERING_ROLES and grant.department_id == order.department_id
        for grant in grants_for(user)
    )


def supervision_order_issue(
    *,
    actor: Any,
    case_id: int,
    instructions: str,
    due_at: dt.datetime | None = None,
    days: int | None = None,
    now: dt.datetime | None = None,
) -> SupervisionOrder:
    """Presses the case's department (and its leader) to act, with an answer due at `due_at`
    or in `days` working days."""
    now = now or timezone.now()
    if not may_issue(actor):
        raise PermissionDenied(_("Only leaders, supervisors and dispatchers issue supervision."))
    case = case_get_for_user(user=actor, pk=case_id)
    _check_case_open_to_supervision(case)
    text = _text(instructions, "instructions")
    due = _answer_due(due_at=due_at, days=days, now=now)
    with transaction.atomic():
        order = _create_numbered(case=case, actor=actor, instructions=text, due=due, now=now)
        _event(case, "supervision_issued", actor, now, _issued_params(order))
    return order


def _check_case_open_to_supervision(case: Case) -> None:
    if case.status in FINISHED_STATES:
        raise IllegalTransition(_("A finished case cannot be put under supervision."))
    if case.department_id is None:
        raise IllegalTransition(
            _("This case is not with a department yet: dispatch it before supervising it.")
        )


def _text(value: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed.single(field, _("This field is required."))
    if len(text) > TEXT_LIMIT:
        raise ValidationFailed.single(
            field, _("At most {limit} characters.").format(limit=TEXT_LIMIT)
        )
    return text


def _answer_due(*, due_at: dt.datetime | None, days: int | None, now: dt.datetime) -> dt.datetime:
    if due_at is None and days is None:
        raise ValidationFailed.single(
            "due_at", _("Give a date for the answer, or a number of working days.")
        )
    if due_at is not None:
        if timezone.is_naive(due_at):
            due_at = due_at.replace(tzinfo=local_zone())
        if due_at <= now:
            raise ValidationFailed.single("due_at", _("The answer must be due in the future."))
        return due_at
    assert days is not None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed.single(
            "days", _("Enter a number from {low} to {high}.").format(low=1, high=MAX_DAYS)
        )
    result = compute_due(
        start=now, length=days, unit=TimeUnit.WORKING_DAYS, calendar=current_calendar()
    )
    return result.due_at


def _create_numbered(
    *, case: Case, actor: Any, instructions: str, due: dt.datetime, now: dt.datetime
) -> SupervisionOrder:
    """Numbers orders DB-<year>-<sequence>; two issuers racing for a number retry the next."""
    year = now.astimezone(local_zone()).year
    department = case.department
    assert department is not None  # checked by _check_case_open_to_supervision
    for _attempt in range(NUMBER_ATTEMPTS):
        number = _next_number(year)
        try:
            with transaction.atomic():
                return SupervisionOrder.objects.create(
                    case=case,
                    number=number,
                    issued_by=actor,
                    issued_at=now,
                    department=department,
                    leader=case.leader,
                    instructions=instructions,
                    due_at=due,
                )
        except IntegrityError:
            continue
    raise Conflict(_("Could not number the supervision order. Try again."))


def _next_number(year: int) -> str:
    prefix = f"DB-{year}-"
    last = (
        SupervisionOrder.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(re.sub(r"\D", "", last[len(prefix) :]) or 0) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


def _issued_params(order: SupervisionOrder) -> dict[str, Any]:
    return {
        "order": order.pk,
        "number": order.number,
        "department": order.department.code,
        "due": order.due_at.isoformat(),
        "instructions": order.instructions,
    }


def _event(case: Case, kind: str, actor: Any, now: dt.datetime, params: dict[str, Any]) -> None:
    # Not a status change: from and to are the same state, as for an extension.
    append_event(
        case=case,
        kind=kind,
        actor=actor,
        at=now,
        from_status=case.status,
        to_status=case.status,
        params=params,
    )


def supervision_order_answer(
    *, actor: Any, order_id: int, answer: str, now: dt.datetime | None = None
) -> SupervisionOrder:
    """The department's answer to an open order; it closes the order."""
    now = now or timezone.now()
    order = order_get_for_user(user=actor, pk=order_id)
    if not may_answer(actor, order):
        raise PermissionDenied(
            _("Only the handlers and the head of the department it was sent to may answer.")
        )
    text = _text(answer, "answer")
    if order.status != OrderStatus.OPEN:
        raise IllegalTransition(_("This supervision order is no longer open."))
    with transaction.atomic():
        # Compare-and-swap: of two answers sent at once, only the first closes the order.
        answered = SupervisionOrder.objects.filter(pk=order.pk, status=OrderStatus.OPEN).update(
            status=OrderStatus.ANSWERED, answer=text, answered_at=now, answered_by=actor
        )
        if answered != 1:
            raise Conflict(_("Someone else answered this order at the same time."))
        _event(
            order.case,
            "supervision_answered",
            actor,
            now,
            {"order": order.pk, "number": order.number, "answer": text},
        )
    order.refresh_from_db()
    return order

