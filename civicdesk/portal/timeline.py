"""The public part of a case's timeline: what the resident may read of each event.

Each event kind is public or internal here, in one table. Unknown kinds are internal: a new
kind of event stays off the portal until someone decides what a resident should see of it.
Internal: returns between departments, reports awaiting the centre's check, reports sent
back, attachments, supervision and deadline warnings. Staff names appear only when
CIVICDESK_PORTAL_SHOW_STAFF_NAMES is on; other parties' data never does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.cases.choices import Action as A
from civicdesk.cases.choices import DeliveryMethod, Procedure, Satisfaction
from civicdesk.cases.models import CaseEvent


@dataclass(frozen=True)
class PublicEntry:
    kind: str
    at: dt.datetime
    text: str
    detail: str = ""  # a longer text (a notice, a reason), shown folded
    by: str = ""


Describe = Callable[[dict[str, Any], dict[str, str]], tuple[str, str]]


def _fixed(text: str | Promise) -> Describe:
    return lambda params, names: (str(text), "")


def _with_reason(text: str | Promise) -> Describe:
    return lambda params, names: (str(text), str(params.get("reason") or ""))


def _label(choices: Any, value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def _not_accepted(params: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    where = str(params.get("proper_channel") or "")
    text = _("Not accepted. Where to take it: {where}").format(where=where) if where else ""
    return text or _("Not accepted."), str(params.get("reason") or "")


def _redirected(params: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    procedure = _label(Procedure, params.get("procedure"))
    return (
        _("Directed to the legal procedure: {procedure}").format(procedure=procedure),
        str(params.get("reason") or ""),
    )


def _dispatched(params: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    department = names.get(str(params.get("department")), "")
    return _("Sent to {department} for handling.").format(department=department), ""


def _replied(params: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    how = _label(DeliveryMethod, params.get("delivered_via"))
    return _("The written reply was delivered ({how}).").format(how=how), ""


def _followed_up(params: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    rating = _label(Satisfaction, params.get("satisfaction"))
    return _("Follow-up visit: {rating}.").format(rating=rating), ""


def _rated(params: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    rating = _label(Satisfaction, params.get("satisfaction"))
    return _("You rated the reply: {rating}.").format(rating=rating), str(params.get("note") or "")


def _reopened(params: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    # Staff's reasons for reopening are internal notes; the resident's own reason is theirs.
    reason = str(params.get("reason") or "") if params.get("by") == "resident" else ""
    return _("Reopened for further handling."), reason


def _review_requested(params: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    code = str(params.get("review_receipt_code") or "")
    # A review staff recorded for the resident may carry staff's wording; the resident's own
    # reasons are theirs to read.
    reason = str(params.get("reason") or "") if params.get("by") == "resident" else ""
    return _("Review requested; the review has receipt code {code}.").format(code=code), reason


def _merged(params: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    code = str(params.get("into_receipt_code") or "")
    return _("Handled together with case {code}, which shows the progress.").format(code=code), ""


def _notice(params: dict[str, Any], names: dict[str, str]) -> tuple[str, str]:
    return _("A written notice was issued."), str(params.get("text") or "")


PUBLIC_EVENTS: dict[str, Describe] = {
    A.CREATE: _fixed(gettext_lazy("Received and registered.")),
    A.ACCEPT: _fixed(gettext_lazy("Accepted.")),
    A.NOT_ACCEPT: _not_accepted,
    A.REDIRECT: _redirected,
    A.DISPATCH: _dispatched,
    A.SIGN: _fixed(gettext_lazy("The department took the case on and is handling it.")),
    # The new due date shows among the deadlines; the reason must be told (DOMAIN.md).
    A.EXTEND: _with_reason(gettext_lazy("The handling period was extended.")),
    A.SUSPEND: _with_reason(gettext_lazy("Handling is paused.")),
    A.RESUME: _fixed(gettext_lazy("Handling resumed.")),
    A.REPLY: _replied,
    A.FOLLOW_UP: _followed_up,
    A.RATE: _rated,
    A.REOPEN: _reopened,
    A.REQUEST_REVIEW: _review_requested,
    A.ESCALATE: _fixed(gettext_lazy("Passed to the upper centre.")),
    A.MERGE: _merged,
    A.CLOSE: _fixed(gettext_lazy("Closed.")),
    "notice": _notice,
}


# What the resident of a merged duplicate reads of the master's timeline: its progress, but not
# what the master's own requester wrote or was sent (their rating and note, their reasons,
# their notices, the codes of their review cases): that person is another party to them.
FOR_A_MERGED_DUPLICATE: dict[str, Describe] = {
    **{kind: describe for kind, describe in PUBLIC_EVENTS.items() if kind != A.RATE},
    A.REOPEN: _fixed(gettext_lazy("Reopened for further handling.")),
    A.REQUEST_REVIEW: _fixed(gettext_lazy("A review by the next level was requested.")),
    "notice": _fixed(gettext_lazy("A written notice was issued.")),
}


def public_entries(
    events: list[CaseEvent], department_names: dict[str, str], *, own: bool = True
) -> list[PublicEntry]:
    """The public entries of a case's events; `own` is False when the reader's code is a
    duplicate merged into this case."""
    show_staff = settings.CIVICDESK_PORTAL_SHOW_STAFF_NAMES
    table = PUBLIC_EVENTS if own else FOR_A_MERGED_DUPLICATE
    entries = []
    for event in events:
        describe = table.get(event.kind)
        if describe is None:
            continue
        text, detail = describe(event.params or {}, department_names)
        by = str(event.actor) if show_staff and event.actor is not None else ""
        entries.append(PublicEntry(event.kind, event.at, text, detail, by))
    return entries
