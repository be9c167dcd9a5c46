"""Writes to the outbox: record the messages of a case event, deliver one, sweep, retry.

Recording runs inside the case action's transaction, in a savepoint: the messages exist if and
only if the action commits, and a failure to record them is logged and never undoes or blocks
the action. Delivery runs later in a worker and claims each row by compare-and-swap
(pending -> sending), so two workers never send one message twice. docs/decisions/0021.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicdesk.cases.choices import Action, ClockKind, ClockState, PartyRole
from civicdesk.cases.choices import Status as S
from civicdesk.cases.deadline_rules import default_rules_for
from civicdesk.cases.deadlines import local_zone
from civicdesk.cases.models import Case, CaseClock, CaseEvent
from civicdesk.cases.notices import NoticeKind
from civicdesk.cases.permissions import grant_covers, grants_for
from civicdesk.cases.selectors import case_get_for_user
from civicdesk.cases.validation import is_mobile
from civicdesk.core.errors import Conflict, NotFound, PermissionDenied
from civicdesk.notifications.choices import MessageChannel
from civicdesk.notifications.choices import MessageKind as K
from civicdesk.notifications.choices import MessageStatus as M
from civicdesk.notifications.models import OutboxMessage
from civicdesk.notifications.senders import SendFailed, sender_for
from civicdesk.notifications.texts import render, shorten
from civicdesk.organization.choices import Role

logger = logging.getLogger(__name__)

_REQUESTERS = (PartyRole.REQUESTER, PartyRole.REPRESENTATIVE)
_HANDLING_KINDS = (
    ClockKind.HANDLING,
    ClockKind.MEDIATION,
    ClockKind.RECTIFICATION,
    ClockKind.REVIEW,
)
_NOTICE_KINDS: dict[str, list[str]] = {
    NoticeKind.ACCEPTANCE: [K.ACCEPTED],
    NoticeKind.NON_ACCEPTANCE: [K.NOT_ACCEPTED],
    NoticeKind.REDIRECTION: [K.REDIRECTED],
    NoticeKind.EXTENSION: [K.EXTENDED],
}
# Stored in English and translated on display (OutboxMessage.error_display).
WORKER_STOPPED = gettext_noop("The worker stopped while sending; the message is sent again.")
# A task enqueued this long ago that has not claimed its message is taken as lost.
ENQUEUE_LEASE = dt.timedelta(minutes=10)
SWEEP_BATCH = 1000
TASK_BATCH = 50


# --- recording -----------------------------------------------------------------------------


def outbox_record_for_event(
    *, event: CaseEvent, values: dict[str, Any] | None = None
) -> list[OutboxMessage]:
    """Records the messages `event` sends to the case's requesters, in the caller's
    transaction; `values` are the notice's own (reason, proper channel, procedure)."""
    try:
        kinds = kinds_for_event(event, event.case)
        if not kinds:
            return []  # most events tell the resident nothing: no savepoint, no query
        with transaction.atomic():  # a savepoint: a failure here leaves the action whole
            messages = _write_messages(event, kinds, values or {})
    except Exception:
        logger.exception(
            "Could not record the messages of case event %s (%s)", event.pk, event.kind
        )
        return []
    if messages:
        ids = [message.pk for message in messages]
        transaction.on_commit(partial(enqueue_delivery, ids), robust=True)
    return messages


def kinds_for_event(event: CaseEvent, case: Case) -> list[str]:
    if event.kind == Action.CREATE:
        return [K.RECEIPT]
    if event.kind == Action.DISPATCH:
        return [K.DISPATCHED]
    if event.to_status == S.REOPENED and event.from_status != S.REOPENED:
        return [K.REOPENED]  # a reopening, or a follow-up that found the resident unsatisfied
    if event.kind != "notice":
        return []
    notice = event.params.get("notice")
    if notice == NoticeKind.REPLY:
        answer = K.REVIEW_DECISION if case.review_of_id else K.REPLIED
        return [answer, K.FOLLOW_UP_REQUEST] if _has_follow_up_visit(case) else [answer]
    return _NOTICE_KINDS.get(str(notice), [])


def _has_follow_up_visit(case: Case) -> bool:
    return any(rule.kind == ClockKind.FOLLOW_UP for rule in default_rules_for(case.type))


def _write_messages(
    event: CaseEvent, kinds: list[str], values: dict[str, Any]
) -> list[OutboxMessage]:
    case = event.case
    recipients = _recipients(case)
    if not recipients:
        return []
    clocks = list(case.clocks.filter(state=ClockState.RUNNING))
    now = timezone.now()
    rendered: dict[tuple[str, str], tuple[str, str]] = {}
    messages = []
    for kind in kinds:
        for channel, recipient, language in recipients:
            if (kind, language) not in rendered:
                rendered[kind, language] = _render(case, kind, values, clocks, language)
            subject, body = rendered[kind, language]
            messages.append(
                OutboxMessage(
                    case=case,
                    event=event,
                    kind=kind,
                    channel=channel,
                    recipient=recipient,
                    language=language,
                    subject=subject[:200],
                    body=body,
                    next_attempt_at=now,
                    enqueued_at=now,  # enqueued when the action commits
                    created_at=now,
                )
            )
    return OutboxMessage.objects.bulk_create(messages)


def _recipients(case: Case) -> list[tuple[str, str, str]]:
    """(channel, address, language) for each requester who gave contact details, once each,
    in the language the party chose or else the centre's. Respondents are never told;
    anonymous parties have no details."""
    channels = settings.CIVICDESK_NOTIFY_CHANNELS
    found: dict[tuple[str, str], str] = {}
    parties = case.parties.filter(role__in=_REQUESTERS, anonymous=False).order_by("id")
    for party in parties:
        language = party.language or settings.CIVICDESK_NOTIFY_LANGUAGE
        addresses: dict[str, str] = {
            MessageChannel.SMS: party.phone if is_mobile(party.phone) else "",
            MessageChannel.EMAIL: party.email,
            MessageChannel.CONSOLE: party.phone or party.email,
        }
        for channel in channels:
            if addresses.get(channel):
                found.setdefault((channel, addresses[channel]), language)
    return [(channel, address, language) for (channel, address), language in found.items()]


def _render(
    case: Case, kind: str, values: dict[str, Any], clocks: list[CaseClock], language: str
) -> tuple[str, str]:
    with translation.override(language):
        context = {
            "code": case.receipt_code,
            "category": case.category.name,
            "url": settings.CIVICDESK_PUBLIC_TRACK_URL.format(code=case.receipt_code),
            "due": _format_date(_due_clock(kind, clocks)),
            "department": case.department.name if case.department else "",
            "reason": shorten(values.get("reason")),
            "proper_channel": shorten(values.get("proper_channel")),
            "procedure": str(values.get("procedure", "")),
        }
        return render(kind, context, language=language)


def _due_clock(kind: str, clocks: list[CaseClock]) -> CaseClock | None:
    wanted = (ClockKind.FOLLOW_UP,) if kind == K.FOLLOW_UP_REQUEST else _HANDLING_KINDS
    candidates = [clock for clock in clocks if clock.kind in wanted]
    return max(candidates, key=lambda clock: clock.started_at, default=None)


def _format_date(clock: CaseClock | None) -> str:
    if clock is None:
        return ""
    return formats.date_format(clock.due_at.astimezone(local_zone()).date(), "DATE_FORMAT")


def enqueue_delivery(message_ids: list[int]) -> None:
    """Hands the messages to a worker. If the queue cannot take them, the sweep will."""
    from civicdesk.notifications.tasks import deliver_messages

    for start in range(0, len(message_ids), TASK_BATCH):
        chunk = list(message_ids[start : start + TASK_BATCH])
        try:
            deliver_messages.enqueue(chunk)
        except Exception:
            logger.exception("Could not enqueue messages %s; the sweep will", chunk)


# --- delivery ------------------------------------------------------------------------------


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 5, 25, 125 ... minutes after the first, second, third ... failed attempt."""
    return dt.timedelta(minutes=5 ** (attempts - 1))


def outbox_deliver(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Sends one message if it is due and nobody else holds it. Returns what happened:
    "sent", "retry" (a later attempt is scheduled), "failed" (no attempts left), "skipped"."""
    now = now or timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status=M.PENDING, next_attempt_at__lte=now
    ).update(status=M.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return "skipped"  # sent, failed, not yet due, or another worker has it
    message = OutboxMessage.objects.get(pk=message_id)
    problem = _send(message)
    if problem is None:
        _settle(message, status=M.SENT, sent_at=now, last_error="")
        return "sent"
    if message.attempts >= settings.CIVICDESK_NOTIFY_MAX_ATTEMPTS:
        logger.warning("Message %s failed for good: %s", message.pk, problem)
        _settle(message, status=M.FAILED, last_error=problem)
        return "failed"
    _settle(
        message,
        status=M.PENDING,
        next_attempt_at=now + retry_delay(message.attempts),
        last_error=problem,
    )
    return "retry"


def _send(message: OutboxMessage) -> str | None:
    """None when the gateway took the message, else the reason it did not."""
    try:
        sender_for(message.channel).send(message)
    except SendFailed as error:
        return error.reason[:2000] or type(error).__name__
    except Exception as error:  # a sender's bug must cost one attempt, never the message
        logger.exception("The %s sender failed on message %s", message.channel, message.pk)
        return f"{type(error).__name__}: {error}"[:2000]
    return None


def _settle(message: OutboxMessage, **fields: Any) -> None:
    # Only the claim that sent it writes the outcome: if the sweep took the row back from a
    # worker it thought dead, the newer claim owns the row.
    OutboxMessage.objects.filter(
        pk=message.pk, status=M.SENDING, claimed_at=message.claimed_at
    ).update(claimed_at=None, **fields)


@dataclass(frozen=True)
class SweepResult:
    rescued: int
    given_up: int
    enqueued: int


def outbox_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Takes back rows from workers that died while sending, and enqueues due messages that
    no task is waiting for (retries, and any whose first task was lost). Safe to run twice."""
    now = now or timezone.now()
    timeout = dt.timedelta(seconds=settings.CIVICDESK_NOTIFY_SENDING_TIMEOUT_SECONDS)
    stuck = OutboxMessage.objects.filter(status=M.SENDING, claimed_at__lt=now - timeout)
    given_up = stuck.filter(attempts__gte=settings.CIVICDESK_NOTIFY_MAX_ATTEMPTS).update(
        status=M.FAILED, claimed_at=None, last_error=WORKER_STOPPED
    )
    # The dead worker may have sent it before dying: sending again is the price of never
    # losing a message (at least once).
    rescued = stuck.update(
        status=M.PENDING, claimed_at=None, next_attempt_at=now, last_error=WORKER_STOPPED
    )
    due = list(
        OutboxMessage.objects.filter(status=M.PENDING, next_attempt_at__lte=now)
        .filter(
            Q(enqueued_at__isnull=True)
            | Q(enqueued_at__lt=F("next_attempt_at"))
            | Q(enqueued_at__lte=now - ENQUEUE_LEASE)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    OutboxMessage.objects.filter(pk__in=due, status=M.PENDING).update(enqueued_at=now)
    enqueue_delivery(due)
    return SweepResult(rescued=rescued, given_up=given_up, enqueued=len(due))


def outbox_retry(*, actor: Any, message_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """Gives failed messages a fresh set of attempts, starting now. Returns how many."""
    if not actor.has_perm("notifications.retry_outboxmessage"):
        raise PermissionDenied(_("You may not send failed messages again."))
    now = now or timezone.now()
    with transaction.atomic():
        ids = _restart_failed(OutboxMessage.objects.filter(pk__in=list(message_ids)), now=now)
    logger.info("%s asked to send messages %s again", actor, ids)
    return len(ids)


# The desk that answers the resident when a message did not arrive.
RESEND_ROLES = frozenset({Role.CLERK, Role.DISPATCHER})


def may_resend(user: Any, case: Case) -> bool:
    """A clerk or dispatcher whose assignment covers the case may send its messages again."""
    return any(
        grant.role in RESEND_ROLES and grant_covers(grant, case, user) for grant in grants_for(user)
    )


def outbox_retry_for_case(
    *, actor: Any, case_id: int, message_id: int, now: dt.datetime | None = None
) -> OutboxMessage:
    """Sends one failed message of a case again, now: the case page's "send again".
    NotFound outside the actor's scope or for another case's message; Conflict when the
    message has not failed (it is sent, or a worker is still trying)."""
    case = case_get_for_user(user=actor, pk=case_id)
    if not may_resend(actor, case):
        raise PermissionDenied(_("Only the centre's clerks and dispatchers send messages again."))
    now = now or timezone.now()
    with transaction.atomic():
        message = OutboxMessage.objects.filter(case=case, pk=message_id).first()
        if message is None:
            raise NotFound()
        if not _restart_failed(OutboxMessage.objects.filter(pk=message.pk), now=now):
            raise Conflict(_("This message has not failed, so it is left as it is."))
    logger.info("%s asked to send message %s of case %s again", actor, message.pk, case.pk)
    message.refresh_from_db()
    return message


def _restart_failed(messages: QuerySet[OutboxMessage], *, now: dt.datetime) -> list[int]:
    """Gives the failed ones among `messages` a fresh set of attempts and enqueues them when
    the caller's transaction commits; the ids restarted. Rows are locked first, so a message is
    restarted once however many people press the button."""
    ids = list(
        messages.filter(status=M.FAILED).select_for_update().values_list("pk", flat=True)
    )
    OutboxMessage.objects.filter(pk__in=ids).update(
        status=M.PENDING, attempts=0, next_attempt_at=now, enqueued_at=now
    )
    transaction.on_commit(partial(enqueue_delivery, ids), robust=True)
    return ids
