"""The life of a case in one table, and the one function that moves a case through it.

Read the table as: action -> (the states it may start from, the state it leads to). `None` as
target means the case stays where it is (the action records something without moving it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from civicdesk.cases.choices import Action as A
from civicdesk.cases.choices import Status as S
from civicdesk.cases.events import append_event
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.core.errors import Conflict, IllegalTransition


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None
    # Other targets the service may choose for this action (a follow-up that finds the
    # resident unsatisfied reopens the case).
    alternatives: frozenset[str] = frozenset()


def _t(sources: Iterable[str], target: str | None, *alternatives: str) -> Transition:
    return Transition(frozenset(sources), target, frozenset(alternatives))


_UNREGISTERED: set[str] = {S.RECEIVED, S.ESCALATED}

# fmt: off
TRANSITIONS: dict[str, Transition] = {
    A.ACCEPT:         _t(_UNREGISTERED, S.ACCEPTED),
    A.NOT_ACCEPT:     _t(_UNREGISTERED, S.NOT_ACCEPTED),
    A.REDIRECT:       _t(_UNREGISTERED | {S.ACCEPTED}, S.REDIRECTED),
    A.DISPATCH:       _t({S.ACCEPTED, S.RETURNED, S.REOPENED}, S.DISPATCHED),
    A.SIGN:           _t({S.DISPATCHED}, S.IN_PROGRESS),
    A.RETURN:         _t({S.DISPATCHED}, S.RETURNED),
    A.EXTEND:         _t({S.IN_PROGRESS}, None),
    A.SUSPEND:        _t({S.IN_PROGRESS}, S.SUSPENDED),
    A.RESUME:         _t({S.SUSPENDED}, S.IN_PROGRESS),
    A.REPORT:         _t({S.IN_PROGRESS}, S.REPORTED),
    A.SEND_BACK:      _t({S.REPORTED}, S.IN_PROGRESS),
    A.REPLY:          _t({S.REPORTED}, S.REPLIED),
    A.FOLLOW_UP:      _t({S.REPLIED}, None, S.REOPENED),
    A.RATE:           _t({S.REPLIED}, None),
    A.REOPEN:         _t({S.REPLIED, S.CLOSED}, S.REOPENED),
    A.REQUEST_REVIEW: _t({S.REPLIED, S.CLOSED}, None),
    A.ESCALATE:       _t({S.RECEIVED, S.ACCEPTED, S.RETURNED, S.IN_PROGRESS, S.REOPENED},
                         S.ESCALATED),
    A.MERGE:          _t(_UNREGISTERED | {S.ACCEPTED, S.RETURNED, S.DISPATCHED}, S.MERGED),
    A.CLOSE:          _t({S.REPLIED, S.NOT_ACCEPTED, S.REDIRECTED}, S.CLOSED),
}
# fmt: on

# States in which no clock runs any more.
FINISHED_STATES = frozenset({S.NOT_ACCEPTED, S.REDIRECTED, S.MERGED, S.CLOSED})


def allowed_actions(status: str) -> list[str]:
    return [action for action, rule in TRANSITIONS.items() if status in rule.sources]


def check_transition(status: str, action: str, target: str | None = None) -> str:
    """The state the action leads to from `status`, or IllegalTransition naming both."""
    rule = TRANSITIONS.get(action)
    if rule is None or status not in rule.sources:
        raise IllegalTransition(
            _("A case in state “{state}” cannot be given the action “{action}”.").format(
                state=S(status).label, action=A(action).label if action in A.values else action
            )
        )
    new_status = target or rule.target or status
    if target is not None and target not in {rule.target, *rule.alternatives}:
        raise ValueError(f"{target!r} is not a target of {action!r}")
    return new_status


def transition(
    *,
    case: Case,
    action: str,
    actor: Any,
    now: dt.datetime,
    params: dict[str, Any],
    changes: dict[str, Any] | None = None,
    target: str | None = None,
    expected_version: int | None = None,
) -> CaseEvent:
    """Moves `case` by `action` and writes its event, in the caller's transaction.

    The update is a compare-and-swap on (status, version): if anyone changed the case since it
    was read, nothing is written and Conflict is raised. Clocks follow in the same transaction.
    """
    from civicdesk.cases import clocks  # clocks import models that import this module's users
    from civicdesk.notifications.services import outbox_record_for_event  # imports this module

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition() must run inside transaction.atomic()")
    if expected_version is not None and expected_version != case.version:
        raise Conflict()
    new_status = check_transition(case.status, action, target)
    changes = dict(changes or {})
    swapped = Case.objects.filter(pk=case.pk, status=case.status, version=case.version).update(
        status=new_status, version=F("version") + 1, **changes
    )
    if swapped != 1:
        raise Conflict()
    old_status = case.status
    for field, value in changes.items():
        setattr(case, field, value)
    case.status, case.version = new_status, case.version + 1
    # The compare-and-swap UPDATE above holds the case row's lock until commit.
    event = append_event(
        case=case,
        kind=action,
        actor=actor,
        at=now,
        from_status=old_status,
        to_status=new_status,
        params=params,
        case_locked=True,
    )
    clocks.follow_action(
        case=case,
        action=action,
        now=now,
        params=params,
        entered=new_status if new_status != old_status else None,
    )
    # Messages to the resident (civicdesk.notifications): recorded in this transaction, in a
    # savepoint, so they exist if and only if the action commits and never block it.
    outbox_record_for_event(event=event)
    return event
