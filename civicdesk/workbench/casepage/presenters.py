"""Turns a case's clocks, parties and events into what the case page shows.

No database work here beyond what the caller hands in: the page's query count must not depend
on how long a case's history is.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from civicdesk.cases.choices import (
    Action,
    CaseType,
    Channel,
    ClockKind,
    ClockState,
    DeliveryMethod,
    EventKind,
    PartyKind,
    PartyRole,
    Procedure,
    Satisfaction,
    Status,
    TimeUnit,
)
from civicdesk.cases.deadlines import local_zone, units_elapsed
from civicdesk.cases.models import CaseClock, CaseEvent, CaseParty
from civicdesk.cases.notices import NoticeKind, describe_length
from civicdesk.cases.serializers import mask_email, mask_id_number, mask_phone
from civicdesk.core.calendar import WorkingCalendar
from civicdesk.notifications.choices import MessageChannel, MessageKind, MessageStatus
from civicdesk.notifications.models import OutboxMessage
from civicdesk.workbench.casepage.selectors import TimelineNames

# --- clocks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockRow:
    clock: CaseClock
    label: str
    state_label: str
    time_text: str
    overdue: bool
    due_soon: bool
    extension_text: str


def clock_rows(
    clocks: list[CaseClock], *, now: dt.datetime, calendar: WorkingCalendar
) -> list[ClockRow]:
    return [_clock_row(clock, now=now, calendar=calendar) for clock in clocks]


def _clock_row(clock: CaseClock, *, now: dt.datetime, calendar: WorkingCalendar) -> ClockRow:
    moment = _measured_at(clock, now)
    late = moment > clock.due_at
    running = clock.state == ClockState.RUNNING
    return ClockRow(
        clock=clock,
        label=_label(ClockKind, clock.kind),
        state_label=_label(ClockState, clock.state),
        time_text=_time_text(clock, moment=moment, calendar=calendar),
        overdue=late and not clock.is_window and clock.state != ClockState.MET,
        due_soon=running and not late and clock.warning_level == 1,
        extension_text=(
            _("extended by {length}").format(length=describe_length(clock.extended_by, clock.unit))
            if clock.extended_by
            else ""
        ),
    )


def _measured_at(clock: CaseClock, now: dt.datetime) -> dt.datetime:
    """A finished clock is judged when it ended; a suspended one when it stopped."""
    if clock.state in (ClockState.MET, ClockState.MISSED) and clock.ended_at:
        return clock.ended_at
    if clock.state == ClockState.SUSPENDED and clock.suspended_at:
        return clock.suspended_at
    return now


def _time_text(clock: CaseClock, *, moment: dt.datetime, calendar: WorkingCalendar) -> str:
    if clock.state == ClockState.MET:
        return _("Met on time")
    if moment > clock.due_at:
        if clock.is_window:
            return _("Window closed")
        return time_overdue(clock.due_at, moment, unit=clock.unit, calendar=calendar)
    left = time_left(clock.due_at, moment, unit=clock.unit, calendar=calendar)
    if clock.state == ClockState.SUSPENDED:
        return _("{left} when suspended").format(left=left)
    return left


def time_left(
    due_at: dt.datetime, moment: dt.datetime, *, unit: str, calendar: WorkingCalendar
) -> str:
    """How much of a clock is left, counted the way the clock counts (working days or days)."""
    if unit == TimeUnit.MINUTES:
        return _short_span(due_at - moment, ahead=True)
    if _local_date(due_at) == _local_date(moment):
        return _("Due today")
    if unit == TimeUnit.WORKING_DAYS:
        # Working days after today up to the last day: 1 means "by the end of the next one".
        n = units_elapsed(since=moment, until=due_at, unit=unit, calendar=calendar)
        return ngettext("{n} working day left", "{n} working days left", n).format(n=n)
    if due_at - moment < dt.timedelta(hours=24):
        return _short_span(due_at - moment, ahead=True)
    n = (_local_date(due_at) - _local_date(moment)).days
    return ngettext("{n} day left", "{n} days left", n).format(n=n)


def time_overdue(
    due_at: dt.datetime, moment: dt.datetime, *, unit: str, calendar: WorkingCalendar
) -> str:
    if unit == TimeUnit.WORKING_DAYS:
        n = units_elapsed(since=due_at, until=moment, unit=unit, calendar=calendar)
        return ngettext("{n} working day overdue", "{n} working days overdue", n).format(n=n)
    if unit == TimeUnit.MINUTES or moment - due_at < dt.timedelta(hours=24):
        return _short_span(moment - due_at, ahead=False)
    n = (_local_date(moment) - _local_date(due_at)).days
    return ngettext("{n} day overdue", "{n} days overdue", n).format(n=n)


def _short_span(span: dt.timedelta, *, ahead: bool) -> str:
    minutes = max(math.ceil(span.total_seconds() / 60), 1)
    if minutes < 120:
        if ahead:
            return ngettext("{n} minute left", "{n} minutes left", minutes).format(n=minutes)
        return ngettext("{n} minute overdue", "{n} minutes overdue", minutes).format(n=minutes)
    hours = math.ceil(minutes / 60)
    if ahead:
        return ngettext("{n} hour left", "{n} hours left", hours).format(n=hours)
    return ngettext("{n} hour overdue", "{n} hours overdue", hours).format(n=hours)


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(local_zone()).date()


# --- parties ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyRow:
    id: int
    role: str
    kind: str
    name: str
    organization: str
    phone: str
    id_number: str
    email: str
    confidential: bool
    anonymous: bool

    @property
    def masked_values(self) -> list[tuple[str, str]]:
        """(field, masked value) for the reveal controls, in reveal.REVEALABLE_FIELDS order."""
        return [("phone", self.phone), ("id_number", self.id_number), ("email", self.email)]


def party_rows(parties: list[CaseParty]) -> list[PartyRow]:
    """Contact details masked, always: revealing them is a separate, logged step."""
    return [
        PartyRow(
            id=party.pk,
            role=_label(PartyRole, party.role),
            kind=_label(PartyKind, party.kind),
            name=party.name,
            organization=party.organization,
            phone=mask_phone(party.phone),
            id_number=mask_id_number(party.id_number),
            email=mask_email(party.email),
            confidential=party.confidential,
            anonymous=party.anonymous,
        )
        for party in parties
    ]


# --- messages to the resident ------------------------------------------------------------

# Failed messages must catch the eye; a retry that is waiting is a warning.
MESSAGE_BADGES: dict[str, str] = {
    MessageStatus.PENDING: "text-bg-secondary",
    MessageStatus.SENDING: "text-bg-info",
    MessageStatus.SENT: "text-bg-success",
    MessageStatus.FAILED: "text-bg-danger",
}
# A gateway may answer with a page of text: the card shows its start, the title the rest.
ERROR_SUMMARY = 120


@dataclass(frozen=True)
class MessageRow:
    message: OutboxMessage
    kind: str
    channel: str
    recipient: str  # masked: enough to recognise when a resident calls, never to use
    language: str
    state_label: str
    badge: str
    retrying: bool  # an attempt failed and another is scheduled
    error: str
    error_full: str
    can_resend: bool


def message_rows(messages: list[OutboxMessage], *, may_resend: bool) -> list[MessageRow]:
    return [_message_row(message, may_resend=may_resend) for message in messages]


def _message_row(message: OutboxMessage, *, may_resend: bool) -> MessageRow:
    failed = message.status == MessageStatus.FAILED
    retrying = message.status == MessageStatus.PENDING and bool(message.last_error)
    error = message.error_display
    return MessageRow(
        message=message,
        kind=_label(MessageKind, message.kind),
        channel=_label(MessageChannel, message.channel),
        recipient=message.masked_recipient,
        language=str(dict(settings.LANGUAGES).get(message.language, message.language)),
        state_label=_label(MessageStatus, message.status),
        badge="text-bg-warning" if retrying else MESSAGE_BADGES.get(message.status, ""),
        retrying=retrying,
        error=_summary(error),
        error_full=error,
        can_resend=failed and may_resend,
    )


def _summary(text: str) -> str:
    first_line = text.strip().split("\n", 1)[0]
    if len(first_line) <= ERROR_SUMMARY and first_line == text.strip():
        return first_line
    return first_line[: ERROR_SUMMARY - 1].rstrip() + "…"


def failed_count(rows: list[MessageRow]) -> int:
    return sum(row.message.status == MessageStatus.FAILED for row in rows)


# --- timeline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detail:
    label: str
    value: str
    case_pk: int | None = None  # the value names another case: link to it


@dataclass(frozen=True)
class TimelineEntry:
    event: CaseEvent
    kind: str
    label: str
    actor: str
    from_status: str
    to_status: str
    details: list[Detail] = field(default_factory=list)
    text: str = ""  # a notice's full wording, shown as the resident received it


# Keys already said by another key (a receipt code beside its id) or of no use to staff.
HIDDEN_KEYS = frozenset(
    {
        "into",
        "review_case",
        "attachment",
        "received_at",
        "area",
        "category",
        "notice",
        "text",
        "by",
        "purge_run",
    }
)


def timeline_entries(events: list[CaseEvent], names: TimelineNames) -> list[TimelineEntry]:
    return [_entry(event, names) for event in events]


def _entry(event: CaseEvent, names: TimelineNames) -> TimelineEntry:
    params = event.params if isinstance(event.params, dict) else {}
    moved = event.from_status != event.to_status
    return TimelineEntry(
        event=event,
        kind=event.kind,
        label=event_label(event.kind, params),
        actor=_actor(event, params),
        from_status=_label(Status, event.from_status) if moved else "",
        to_status=_label(Status, event.to_status) if moved else "",
        details=[d for key, value in params.items() if (d := _detail(key, value, params, names))],
        text=str(params.get("text") or "") if event.kind == "notice" else "",
    )


def _actor(event: CaseEvent, params: dict[str, Any]) -> str:
    if event.actor is not None:
        return str(event.actor)
    # The resident's own actions on the portal carry no staff actor (cases.services).
    return _("The resident (online)") if params.get("by") == "resident" else _("System")


def event_label(kind: str, params: dict[str, Any]) -> str:
    if kind == "notice":
        return _label(NoticeKind, str(params.get("notice", ""))) or _("Notice")
    if kind == "attachment_added":
        return _("Attachment added")
    if kind in Action.values:
        return str(Action(kind).label)
    if kind in EventKind.values:
        return str(EventKind(kind).label)
    # Kinds other modules add (supervision, mediation...): readable without knowing them.
    return kind.replace("_", " ").capitalize()


def _detail(key: str, value: Any, params: dict[str, Any], names: TimelineNames) -> Detail | None:
    if key in HIDDEN_KEYS or value in (None, "", [], {}):
        return None
    formatter = _FORMATTERS.get(key)
    if formatter is not None:
        label, text = formatter(value, names)
        return Detail(str(label), text, _linked_case(key, params))
    return Detail(key.replace("_", " ").capitalize(), _plain(value))


def _linked_case(key: str, params: dict[str, Any]) -> int | None:
    target = {"into_receipt_code": "into", "review_receipt_code": "review_case"}.get(key)
    if key == "review_of":
        target = "review_of"
    value = params.get(target) if target else None
    return value if isinstance(value, int) else None


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


Formatter = Any


def _text(label: str | Promise) -> Formatter:
    return lambda value, names: (label, _plain(value))


def _choice(label: str | Promise, choices: Any) -> Formatter:
    return lambda value, names: (label, _label(choices, str(value)))


def _named(label: str | Promise, bucket: str) -> Formatter:
    return lambda value, names: (label, getattr(names, bucket).get(str(value), str(value)))


def _days(value: Any, names: TimelineNames) -> tuple[str, str]:
    return _("Extended by"), ngettext("{n} day", "{n} days", int(value)).format(n=int(value))


def _retention(value: Any, names: TimelineNames) -> tuple[str, str]:
    months = int(value)
    return _("Kept after closing"), ngettext("{n} month", "{n} months", months).format(n=months)


def _size(value: Any, names: TimelineNames) -> tuple[str, str]:
    return _("Size"), str(filesizeformat(value))


def _formatters() -> dict[str, Formatter]:
    return {
        "reason": _text(gettext_lazy("Reason")),
        "proper_channel": _text(gettext_lazy("Proper channel")),
        "procedure": _choice(gettext_lazy("Procedure"), Procedure),
        "department": _named(gettext_lazy("Department"), "departments"),
        "leader": _named(gettext_lazy("Responsible leader"), "staff"),
        "handler": _named(gettext_lazy("Handler"), "staff"),
        "note": _text(gettext_lazy("Note")),
        "days": _days,
        "clock": _choice(gettext_lazy("Time limit"), ClockKind),
        "rectification_days": _text(gettext_lazy("Rectification period (days)")),
        "result": _text(gettext_lazy("Result")),
        "reply": _text(gettext_lazy("Draft reply")),
        "delivered_via": _choice(gettext_lazy("Delivered"), DeliveryMethod),
        "satisfaction": _choice(gettext_lazy("Satisfaction"), Satisfaction),
        "into_receipt_code": _text(gettext_lazy("Merged into")),
        "review_receipt_code": _text(gettext_lazy("Review case")),
        "review_of": _text(gettext_lazy("Review of case")),
        "from_centre": _named(gettext_lazy("From centre"), "centres"),
        "to_centre": _named(gettext_lazy("To centre"), "centres"),
        "type": _choice(gettext_lazy("Type"), CaseType),
        "channel": _choice(gettext_lazy("Channel"), Channel),
        "name": _text(gettext_lazy("File name")),
        "content_type": _text(gettext_lazy("File type")),
        "size": _size,
        "parties_anonymised": _text(gettext_lazy("Parties anonymised")),
        "attachments_deleted": _text(gettext_lazy("Files deleted")),
        "retention_months": _retention,
    }


_FORMATTERS = _formatters()
