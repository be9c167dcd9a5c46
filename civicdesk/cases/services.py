"""Every write to a case goes through these functions. Each runs in one transaction, checks
scope and role, moves the case through `transitions.transition`, and records what it did."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.cases import clocks
from civicdesk.cases.choices import Action as A
from civicdesk.cases.choices import (
    CaseType,
    Channel,
    ClockKind,
    ClockState,
    DeliveryMethod,
    Procedure,
    Satisfaction,
)
from civicdesk.cases.choices import Status as S
from civicdesk.cases.deadline_rules import REVIEW_OPENED
from civicdesk.cases.intake import case_create, insert_case, refresh_search
from civicdesk.cases.models import Case, CaseParty
from civicdesk.cases.notices import NoticeKind, record_notice
from civicdesk.cases.permissions import RESIDENT_ACTIONS, may_act
from civicdesk.cases.receipt_codes import new_receipt_code
from civicdesk.cases.selectors import case_get_for_user
from civicdesk.cases.transitions import FINISHED_STATES, transition
from civicdesk.core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from civicdesk.organization.choices import Role
from civicdesk.organization.models import Department, RoleAssignment

__all__ = ["ACTIONS", "case_act", "case_act_as_resident", "case_create"]

Params = dict[str, Any]


def case_act(
    *, actor: Any, case_id: int, action: str, data: Params, now: dt.datetime | None = None
) -> Case:
    """Runs one named action with its input; the API and the web pages both come here."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise ValidationFailed.single(
            "action", _("Unknown action “{action}”.").format(action=action)
        )
    now = now or timezone.now()
    expected_version = _version(data.get("version"))
    # The case is read before the transaction on purpose: the action applies to the version
    # the caller saw, and the compare-and-swap in transition() refuses it if anyone else got
    # there first, on SQLite (whose writers queue) as on PostgreSQL.
    case = case_get_for_user(user=actor, pk=case_id)
    if not may_act(actor, case, action):
        raise PermissionDenied(
            _("Your roles do not allow the action “{action}” on this case.").format(
                action=A(action).label
            )
        )
    with transaction.atomic():
        handler(case=case, actor=actor, data=data, now=now, expected_version=expected_version)
    case.refresh_from_db()
    return case


def case_act_as_resident(
    *, case_id: int, action: str, data: Params, now: dt.datetime | None = None
) -> Case:
    """Runs one of the resident's own actions (rate the reply, ask to reopen, request review).

    The portal calls this only after the resident proved the case is theirs (receipt code and
    phone digits or receipt secret). The events carry no staff actor and say "by": "resident".
    """
    handler = RESIDENT_HANDLERS.get(action)
    if handler is None or action not in RESIDENT_ACTIONS:
        raise ValidationFailed.single(
            "action", _("Unknown action “{action}”.").format(action=action)
        )
    now = now or timezone.now()
    expected_version = _version(data.get("version"))
    case = Case.objects.select_related("centre__parent").get(pk=case_id)
    if action == A.REOPEN:
        _check_resident_may_reopen(case)
    with transaction.atomic():
        handler(case=case, actor=None, data=data, now=now, expected_version=expected_version)
    case.refresh_from_db()
    return case


def _check_resident_may_reopen(case: Case) -> None:
    # The domain's rule: an unsatisfied follow-up reopens the case. The resident asks for it
    # after rating the reply unsatisfied; a satisfied or unrated case is not theirs to reopen.
    if case.status != S.REPLIED or case.satisfaction != Satisfaction.UNSATISFIED:
        raise IllegalTransition(
            _("A case can be reopened at your request only after you rated its reply unsatisfied.")
        )


def _by(actor: Any) -> Params:
    """Marks an event that the resident, not staff, caused (no actor)."""
    return {"by": "resident"} if actor is None else {}


def _version(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed.single("version", _("The version must be a whole number.")) from None


def _required(data: Params, name: str, limit: int = 2000) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        raise ValidationFailed.single(name, _("This field is required."))
    if len(value) > limit:
        raise ValidationFailed.single(name, _("At most {limit} characters.").format(limit=limit))
    return value


def _optional(data: Params, name: str, limit: int = 2000) -> str:
    value = str(data.get(name) or "").strip()
    if len(value) > limit:
        raise ValidationFailed.single(name, _("At most {limit} characters.").format(limit=limit))
    return value


def _choice(data: Params, name: str, choices: type[Any]) -> str:
    value = _required(data, name, 64)
    if value not in choices.values:
        raise ValidationFailed.single(
            name,
            _("Unknown value “{value}”; use one of: {values}.").format(
                value=value, values=", ".join(choices.values)
            ),
        )
    return value


def _whole_number(data: Params, name: str, *, low: int, high: int) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationFailed.single(name, _("This field is required."))
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed.single(name, _("Enter a whole number.")) from None
    if not low <= number <= high:
        raise ValidationFailed.single(
            name, _("Enter a number from {low} to {high}.").format(low=low, high=high)
        )
    return number


# --- registration --------------------------------------------------------------------------


def _accept(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    transition(
        case=case,
        action=A.ACCEPT,
        actor=actor,
        now=now,
        params={"note": _optional(data, "note")},
        **kw,
    )
    record_notice(NoticeKind.ACCEPTANCE, case, actor=actor, now=now)


def _not_accept(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    reason, channel = _required(data, "reason"), _required(data, "proper_channel", 300)
    transition(
        case=case,
        action=A.NOT_ACCEPT,
        actor=actor,
        now=now,
        params={"reason": reason, "proper_channel": channel},
        **kw,
    )
    record_notice(
        NoticeKind.NON_ACCEPTANCE, case, actor=actor, now=now, reason=reason, proper_channel=channel
    )


def _redirect(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    procedure, reason = _choice(data, "procedure", Procedure), _required(data, "reason")
    transition(
        case=case,
        action=A.REDIRECT,
        actor=actor,
        now=now,
        params={"procedure": procedure, "reason": reason},
        **kw,
    )
    record_notice(
        NoticeKind.REDIRECTION,
        case,
        actor=actor,
        now=now,
        procedure=Procedure(procedure).label,
        reason=reason,
    )


# --- dispatch and the department -----------------------------------------------------------


def _staff_with_role(
    username: Any, role: str, field: str, department: Department | None = None
) -> Any:
    user = get_user_model().objects.filter(username=str(username or ""), is_active=True).first()
    assignments = RoleAssignment.objects.filter(user=user, role=role)
    if department is not None:
        assignments = assignments.filter(department=department)
    if user is None or not assignments.exists():
        raise ValidationFailed.single(
            field,
            _("No active staff member “{username}” holds the role “{role}” here.").format(
                username=username, role=Role(role).label
            ),
        )
    return user


def _dispatch(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    department = Department.objects.filter(
        code=str(data.get("department") or ""), active=True
    ).first()
    if department is None:
        raise ValidationFailed.single(
            "department", _("Unknown department “{code}”.").format(code=data.get("department"))
        )
    leader = _staff_with_role(data.get("leader"), Role.LEADER, "leader")
    handler = None
    if data.get("handler"):
        handler = _staff_with_role(data["handler"], Role.HANDLER, "handler", department)
    params: Params = {
        "department": department.code,
        "leader": leader.username,
        "handler": handler.username if handler else None,
        "note": _optional(data, "note"),
    }
    if case.type == CaseType.HAZARD and data.get("rectification_days") is not None:
        params["rectification_days"] = _whole_number(data, "rectification_days", low=1, high=365)
    transition(
        case=case,
        action=A.DISPATCH,
        actor=actor,
        now=now,
        params=params,
        changes={"department": department, "leader": leader, "handler": handler},
        **kw,
    )


def _sign(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    changes = {}
    if (
        case.handler_id is None
        and case.department_id
        and RoleAssignment.objects.filter(
            user=actor, role=Role.HANDLER, department_id=case.department_id
        ).exists()
    ):
        changes["handler"] = actor
    transition(
        case=case,
        action=A.SIGN,
        actor=actor,
        now=now,
        params={"note": _optional(data, "note")},
        changes=changes,
        **kw,
    )


def _return(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    department = case.department.code if case.department else None
    transition(
        case=case,
        action=A.RETURN,
        actor=actor,
        now=now,
        params={"reason": _required(data, "reason"), "department": department},
        changes={"department": None, "handler": None},
        **kw,
    )


# --- handling ------------------------------------------------------------------------------


def _extend(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    reason = _required(data, "reason")
    clock, left = clocks.extension_left(case)
    if clock is None or left == 0:
        raise IllegalTransition(
            _("This case has no running time limit that may still be extended.")
        )
    days = _whole_number(data, "days", low=1, high=left)
    transition(
        case=case,
        action=A.EXTEND,
        actor=actor,
        now=now,
        params={"days": days, "reason": reason, "clock": clock.kind},
        **kw,
    )
    extended = clocks.extend(case=case, length=days, now=now)
    assert extended is not None
    record_notice(
        NoticeKind.EXTENSION,
        case,
        actor=actor,
        now=now,
        days=days,
        unit=extended.unit,
        reason=reason,
        due=extended.due_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d"),
    )


def _suspend(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    transition(
        case=case,
        action=A.SUSPEND,
        actor=actor,
        now=now,
        params={"reason": _required(data, "reason")},
        **kw,
    )


def _resume(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    transition(
        case=case,
        action=A.RESUME,
        actor=actor,
        now=now,
        params={"note": _optional(data, "note")},
        **kw,
    )


def _report(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    result, reply = _required(data, "result", 20000), _required(data, "reply", 20000)
    transition(
        case=case,
        action=A.REPORT,
        actor=actor,
        now=now,
        params={"result": result, "reply": reply},
        changes={"result": result, "reply": reply},
        **kw,
    )
    refresh_search(case)


def _send_back(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    transition(
        case=case,
        action=A.SEND_BACK,
        actor=actor,
        now=now,
        params={"reason": _required(data, "reason")},
        **kw,
    )


# --- reply, follow-up and after ------------------------------------------------------------


def _reply(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    via = _choice(data, "delivered_via", DeliveryMethod)
    transition(
        case=case,
        action=A.REPLY,
        actor=actor,
        now=now,
        params={"delivered_via": via, "note": _optional(data, "note")},
        changes={"replied_at": now},
        **kw,
    )
    record_notice(NoticeKind.REPLY, case, actor=actor, now=now, reply=case.reply)


def _follow_up(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    satisfaction = _choice(data, "satisfaction", Satisfaction)
    target = S.REOPENED if satisfaction == Satisfaction.UNSATISFIED else None
    transition(
        case=case,
        action=A.FOLLOW_UP,
        actor=actor,
        now=now,
        target=target,
        params={"satisfaction": satisfaction, "note": _optional(data, "note")},
        changes={"satisfaction": satisfaction},
        **kw,
    )


def _rate(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    satisfaction = _choice(data, "satisfaction", Satisfaction)
    if case.satisfaction:
        raise IllegalTransition(_("The reply to this case has already been rated."))
    transition(
        case=case,
        action=A.RATE,
        actor=actor,
        now=now,
        params={"satisfaction": satisfaction, "note": _optional(data, "note"), **_by(actor)},
        changes={"satisfaction": satisfaction},
        **kw,
    )


def _reopen(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    transition(
        case=case,
        action=A.REOPEN,
        actor=actor,
        now=now,
        params={"reason": _required(data, "reason"), **_by(actor)},
        changes={"closed_at": None},
        **kw,
    )


def _close(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    if case.status == S.REPLIED and case.satisfaction not in (
        Satisfaction.SATISFIED,
        Satisfaction.BASICALLY_SATISFIED,
    ):
        raise IllegalTransition(
            _(
                "A replied case is closed only after a follow-up visit in which "
                "the resident was satisfied or basically satisfied."
            )
        )
    transition(
        case=case,
        action=A.CLOSE,
        actor=actor,
        now=now,
        params={"note": _optional(data, "note")},
        changes={"closed_at": now},
        **kw,
    )


def _request_review(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    reason = _required(data, "reason")
    if review_level(case) >= 2:
        raise IllegalTransition(
            _("This case is already a re-review (复核); its decision is final.")
        )
    window = case.clocks.filter(kind=ClockKind.REVIEW_REQUEST, state=ClockState.RUNNING).first()
    if window is None or now > window.due_at:
        raise IllegalTransition(
            _(
                "The window for requesting a review of this case is not open "
                "(30 days from the written reply)."
            )
        )
    review = _open_review_case(case, actor=actor, now=now, reason=reason)
    transition(
        case=case,
        action=A.REQUEST_REVIEW,
        actor=actor,
        now=now,
        params={
            "reason": reason,
            "review_case": review.pk,
            "review_receipt_code": review.receipt_code,
            **_by(actor),
        },
        **kw,
    )


def review_level(case: Case) -> int:
    """0 for a first decision, 1 for a review (复查), 2 for a re-review (复核)."""
    level, current = 0, case
    while current.review_of_id is not None and level < 2:
        level += 1
        current = current.review_of  # type: ignore[assignment]
    return level


def _open_review_case(case: Case, *, actor: Any, now: dt.datetime, reason: str) -> Case:
    """The review (复查) is a new case at the upper centre, linked to the original."""
    review = Case(
        receipt_code=new_receipt_code(),
        type=case.type,
        channel=Channel.HIGHER_LEVEL,
        category=case.category,
        priority=case.priority,
        title=_review_title(case)[:200],
        description=reason,
        area=case.area,
        address=case.address,
        received_at=now,
        centre=case.centre.parent or case.centre,
        created_by=actor,
        review_of=case,
    )
    copied = [f.name for f in CaseParty._meta.concrete_fields if f.name not in ("id", "case")]
    parties = [{name: getattr(party, name) for name in copied} for party in case.parties.all()]
    return insert_case(
        review,
        parties=parties,
        actor=actor,
        now=now,
        event_params={"review_of": case.pk, "reason": reason},
        clock_trigger=REVIEW_OPENED,
    )


def _review_title(case: Case) -> str:
    if case.review_of is None:
        return _("Review request: {title}").format(title=case.title)
    # A re-review is named after the original matter (the case the review was of).
    return _("Re-review request: {title}").format(title=case.review_of.title)


def _escalate(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    upper = case.centre.parent
    if upper is None:
        raise IllegalTransition(_("This centre has no upper centre to escalate to."))
    transition(
        case=case,
        action=A.ESCALATE,
        actor=actor,
        now=now,
        params={
            "reason": _required(data, "reason"),
            "from_centre": case.centre.code,
            "to_centre": upper.code,
        },
        changes={"centre": upper, "department": None, "handler": None},
        **kw,
    )


def _merge(*, case: Case, actor: Any, data: Params, now: dt.datetime, **kw: Any) -> None:
    into_id = _whole_number(data, "into", low=1, high=2**62)
    try:
        master = case_get_for_user(user=actor, pk=into_id)
    except Exception:
        raise ValidationFailed.single("into", _("Unknown case {id}.").format(id=into_id)) from None
    if master.pk == case.pk or master.status in FINISHED_STATES:
        raise ValidationFailed.single("into", _("Merge into another case that is still open."))
    transition(
        case=case,
        action=A.MERGE,
        actor=actor,
        now=now,
        params={"into": master.pk, "into_receipt_code": master.receipt_code},
        changes={"merged_into": master},
        **kw,
    )


ACTIONS: dict[str, Callable[..., None]] = {
    A.ACCEPT: _accept,
    A.NOT_ACCEPT: _not_accept,
    A.REDIRECT: _redirect,
    A.DISPATCH: _dispatch,
    A.SIGN: _sign,
    A.RETURN: _return,
    A.EXTEND: _extend,
    A.SUSPEND: _suspend,
    A.RESUME: _resume,
    A.REPORT: _report,
    A.SEND_BACK: _send_back,
    A.REPLY: _reply,
    A.FOLLOW_UP: _follow_up,
    A.REOPEN: _reopen,
    A.REQUEST_REVIEW: _request_review,
    A.ESCALATE: _escalate,
    A.MERGE: _merge,
    A.CLOSE: _close,
}

# The resident's actions (case_act_as_resident); rating is theirs alone.
RESIDENT_HANDLERS: dict[str, Callable[..., None]] = {
    A.RATE: _rate,
    A.REOPEN: _reopen,
    A.REQUEST_REVIEW: _request_review,
}
