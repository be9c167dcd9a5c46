"""Written notices (告知书) sent to the resident, recorded on the timeline with their text.

Texts are translatable templates rendered in the centre's official language (zh-Hans unless
NOTICE_LANGUAGE says otherwise), because the notice is the legal document the resident keeps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from civicdesk.cases.choices import TimeUnit
from civicdesk.cases.deadlines import local_zone
from civicdesk.cases.events import append_event
from civicdesk.cases.models import Case, CaseEvent


class NoticeKind(models.TextChoices):
    ACCEPTANCE = "acceptance", gettext_lazy("Notice of acceptance")
    NON_ACCEPTANCE = "non_acceptance", gettext_lazy("Notice of non-acceptance")
    REDIRECTION = "redirection", gettext_lazy("Notice of the proper legal procedure")
    EXTENSION = "extension", gettext_lazy("Notice of extension")
    REPLY = "reply", gettext_lazy("Written reply")


def _templates() -> dict[str, str]:
    return {
        NoticeKind.ACCEPTANCE: _(
            "Your matter “{title}” (receipt code {code}), received on {received}, was accepted "
            "on {today}. It will be handled within the legal time limits and you will receive a "
            "written reply."
        ),
        NoticeKind.NON_ACCEPTANCE: _(
            "Your matter “{title}” (receipt code {code}), received on {received}, is not "
            "accepted. Reason: {reason}. The proper channel for it is: {proper_channel}."
        ),
        NoticeKind.REDIRECTION: _(
            "Your matter “{title}” (receipt code {code}) belongs to a legal procedure: "
            "{procedure}. Reason: {reason}. Please bring it to the body responsible for that "
            "procedure; the centre can tell you how."
        ),
        NoticeKind.EXTENSION: _(
            "The time for handling your matter “{title}” (receipt code {code}) is extended by "
            "{length}, to {due}. Reason: {reason}."
        ),
        NoticeKind.REPLY: _("Reply to your matter “{title}” (receipt code {code}):\n{reply}"),
    }


def describe_length(length: int, unit: str) -> str:
    """ "3 working days" / "3个工作日", with the plural rules of the active language."""
    if unit == TimeUnit.WORKING_DAYS:
        text = ngettext("{n} working day", "{n} working days", length)
    elif unit == TimeUnit.MINUTES:
        text = ngettext("{n} minute", "{n} minutes", length)
    else:
        text = ngettext("{n} day", "{n} days", length)
    return text.format(n=length)


def _format_date(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d")


def render_notice(kind: str, case: Case, *, now: dt.datetime, **values: Any) -> str:
    language = getattr(settings, "NOTICE_LANGUAGE", settings.LANGUAGE_CODE)
    with translation.override(language):
        context = {
            "title": case.title,
            "code": case.receipt_code,
            "received": _format_date(case.received_at),
            "today": _format_date(now),
            **{key: str(value) for key, value in values.items()},
        }
        if "days" in values and "unit" in values:
            context["length"] = describe_length(int(values["days"]), str(values["unit"]))
        return _templates()[kind].format(**context)


def record_notice(
    kind: str, case: Case, *, actor: Any, now: dt.datetime, **values: Any
) -> CaseEvent:
    from civicdesk.notifications.services import outbox_record_for_event  # it imports notices

    text = render_notice(kind, case, now=now, **values)
    event = append_event(
        case=case,
        kind="notice",
        actor=actor,
        at=now,
        from_status=case.status,
        to_status=case.status,
        params={"notice": kind, "text": text},
    )
    # The short message that tells the resident (civicdesk.notifications), in this transaction.
    outbox_record_for_event(event=event, values=values)
    return event
