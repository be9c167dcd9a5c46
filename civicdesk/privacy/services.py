"""The retention purge: anonymises the parties of cases past their type's retention and keeps
everything statistics need (docs/decisions/0031-retention.md).

Each case is anonymised in a transaction of its own, re-checked under its row lock, and marked
(PurgedCase): an interrupted run loses nothing, and a second run finds nothing left to do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from civicdesk.cases.choices import EventKind, PartyKind
from civicdesk.cases.events import append_event
from civicdesk.cases.models import Attachment, Case, CaseParty
from civicdesk.notifications.choices import MessageStatus
from civicdesk.notifications.models import OutboxMessage
from civicdesk.portal.guard import code_key
from civicdesk.portal.models import TrackingGuard
from civicdesk.privacy.models import PurgedCase, PurgeRun, RetentionRule
from civicdesk.privacy.selectors import cases_due_for_purge, rules_by_type, with_end

DEFAULT_BATCH = 200
# Free text that names a party by these is counted in the report (it is not rewritten).
_FREE_TEXT_FIELDS = ("title", "description", "result", "reply")


@dataclass
class TypeCount:
    months: int
    cases: int = 0
    parties: int = 0
    free_text: int = 0
    attachments: int = 0
    oldest_end: str | None = None  # ISO 8601

    def add(self, case: Case, parties: list[CaseParty], attachments: int) -> None:
        self.cases += 1
        self.parties += len(parties)
        self.attachments += attachments
        self.free_text += names_a_party(case, parties)
        ended = getattr(case, "ended_at", None)
        if ended is not None:
            ended_text = timezone.localtime(ended).isoformat()
            self.oldest_end = min(self.oldest_end or ended_text, ended_text)


def purge_personal_data(
    *,
    now: dt.datetime,
    dry_run: bool = True,
    batch: int = DEFAULT_BATCH,
    source: str = "command",
) -> PurgeRun:
    """Anonymises (or, dry, only counts) the parties of every case due at `now`; returns the
    run's record with its counts per case type. A dry run writes nothing but that record."""
    run = PurgeRun.objects.create(
        started_at=timezone.now(), as_of=now, dry_run=dry_run, source=source[:100]
    )
    rules = rules_by_type()
    counts: dict[str, TypeCount] = {}
    for case in _due_cases(now, batch):
        rule = rules[case.type]
        parties = list(case.parties.all())
        attachments = 0 if rule.keep_attachments else len(case.attachments.all())
        if not dry_run:
            purged = _purge_case(case_id=case.pk, now=now, run=run, rule=rule)
            if purged is None:
                continue  # reopened, reviewed or purged by someone else since it was read
        counts.setdefault(case.type, TypeCount(months=rule.months)).add(case, parties, attachments)
    run.per_type = {case_type: asdict(count) for case_type, count in sorted(counts.items())}
    run.cases = sum(count.cases for count in counts.values())
    run.parties = sum(count.parties for count in counts.values())
    run.finished_at = timezone.now()
    run.save(update_fields=["per_type", "cases", "parties", "finished_at"])
    return run


def _due_cases(now: dt.datetime, batch: int) -> Iterator[Case]:
    # Keyset pages by id: a dry run changes nothing, so "the first page of what is still due"
    # would never advance; anonymised cases simply drop out of later pages.
    last_pk = 0
    while True:
        page = list(
            with_end(cases_due_for_purge(now).filter(pk__gt=last_pk)).prefetch_related(
                "parties", "attachments"
            )[:batch]
        )
        yield from page
        if len(page) < batch:
            return
        last_pk = page[-1].pk


def names_a_party(case: Case, parties: list[CaseParty]) -> bool:
    """Whether the case's own free text holds a party's name, phone or ID number."""
    needles = {
        value
        for party in parties
        for value in (party.name, party.phone, party.id_number)
        if value and len(value) >= 2
    }
    text = "\n".join(str(getattr(case, field) or "") for field in _FREE_TEXT_FIELDS)
    return any(needle in text for needle in needles)


def _purge_case(
    *, case_id: int, now: dt.datetime, run: PurgeRun, rule: RetentionRule
) -> PurgedCase | None:
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if not cases_due_for_purge(now).filter(pk=case_id).exists():
            return None
        with translation.override(settings.LANGUAGE_CODE):
            parties, labels = _anonymise_parties(case)
            _anonymise_messages(case, labels)
        TrackingGuard.objects.filter(key=code_key(case.receipt_code)).delete()
        deleted = 0 if rule.keep_attachments else _delete_attachments(case)
        append_event(
            case=case,
            kind=EventKind.PERSONAL_DATA_PURGED,
            actor=None,
            at=timezone.now(),
            from_status=case.status,
            to_status=case.status,
            params={
                "parties_anonymised": parties,
                "attachments_deleted": deleted,
                "retention_months": rule.months,
                "purge_run": run.pk,
            },
            case_locked=True,
        )
        return PurgedCase.objects.create(
            case=case,
            run=run,
            purged_at=timezone.now(),
            parties=parties,
            attachments_deleted=deleted,
        )


def neutral_label(number: int) -> str:
    """What a party is called once anonymised: its place in the case, nothing of the person."""
    return gettext("Party %(number)s") % {"number": number}


def _anonymise_parties(case: Case) -> tuple[int, dict[str, str]]:
    """Blanks each party's identifying fields; returns how many, and {old phone or email: new
    label} so the messages sent to them can name the same label. save(), not update(): the
    encrypted fields and their blind indexes are written as the model writes them."""
    labels: dict[str, str] = {}
    number = 0
    for number, party in enumerate(case.parties.order_by("id"), start=1):
        label = neutral_label(number)
        for contact in (party.phone, party.email):
            if contact:
                labels[contact] = label
        party.name = label
        party.phone = ""
        party.email = ""
        party.id_number = ""
        if party.kind == PartyKind.PERSON:
            party.organization = ""
        party.save()
    return number, labels


def _anonymise_messages(case: Case, labels: dict[str, str]) -> None:
    removed = gettext("(Text removed when the retention period ended.)")
    for message in OutboxMessage.objects.filter(case=case):
        # Labels differ per party and "#<id>" per message: the once-per-event constraint on
        # (event, kind, channel, recipient) still holds.
        message.recipient = labels.get(message.recipient, f"#{message.pk}")
        message.body = removed
        message.last_error = ""
        if message.status in (MessageStatus.PENDING, MessageStatus.SENDING):
            message.status = MessageStatus.FAILED
        message.save()


def _delete_attachments(case: Case) -> int:
    attachments = list(case.attachments.all())
    names = {str(attachment.file.name) for attachment in attachments}
    Attachment.objects.filter(pk__in=[attachment.pk for attachment in attachments]).delete()
    # Files are named by their content hash, so another case may hold the same file.
    transaction.on_commit(lambda: _delete_unreferenced_files(names))
    return len(attachments)


def _delete_unreferenced_files(names: set[str]) -> None:
    still_used = set(
        Attachment.objects.filter(file__in=names).values_list("file", flat=True)
    )
    for name in names - still_used:
        default_storage.delete(name)


def auto_purge(*, now: dt.datetime | None = None) -> PurgeRun:
    """The daily job: applies the purge only where the centre turned it on
    (CIVICDESK_RETENTION_AUTO_PURGE); otherwise records a dry run for review."""
    return purge_personal_data(
        now=now or timezone.now(),
        dry_run=not settings.CIVICDESK_RETENTION_AUTO_PURGE,
        source="scheduler",
    )


def describe_run(run: PurgeRun) -> dict[str, Any]:
    return {"run": run.pk, "dry_run": run.dry_run, "cases": run.cases, "parties": run.parties}
