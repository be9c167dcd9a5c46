"""The texts of the messages, in the resident's language, short enough for a text message.

Each text is a gettext message with .format() fields, so translators see the whole sentence.
Free text typed by staff (a reason, a channel) is cut to SHORT_TEXT characters: the written
notice (告知书) carries it in full, the message points to it. A Chinese text message holds 70
characters, or 67 per part when it is sent in several parts; `sms_parts` counts them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.notifications.choices import MessageKind as K

SHORT_TEXT = 20
# The longest message (with the longest free text and a real tracking address) must fit in
# this many parts: tests/test_notifications.py renders every kind to check it.
MAX_SMS_PARTS = 2


@dataclass(frozen=True)
class Text:
    body: Promise
    # Used when the event has no date to give (no running clock, e.g. an incident).
    body_without_due: Promise | None = None


TEXTS: dict[str, Text] = {
    K.RECEIPT: Text(
        gettext_lazy(
            "Your matter ({category}) is registered with receipt code {code}. Follow it at {url}"
        )
    ),
    K.ACCEPTED: Text(
        gettext_lazy(
            "Your matter {code} is accepted and will be handled by {due}. Follow it at {url}"
        ),
        gettext_lazy(
            "Your matter {code} is accepted and will be handled within the legal time limit. "
            "Follow it at {url}"
        ),
    ),
    K.NOT_ACCEPTED: Text(
        gettext_lazy(
            "Your matter {code} is not accepted: {reason}. Please turn to: {proper_channel}. "
            "Details: {url}"
        )
    ),
    K.REDIRECTED: Text(
        gettext_lazy(
            "Your matter {code} belongs to a legal procedure ({procedure}); please take it to "
            "the body responsible. Details: {url}"
        )
    ),
    K.DISPATCHED: Text(
        gettext_lazy(
            "Your matter {code} is passed to {department}, to be handled by {due}. "
            "Follow it at {url}"
        ),
        gettext_lazy("Your matter {code} is passed to {department}. Follow it at {url}"),
    ),
    K.EXTENDED: Text(
        gettext_lazy(
            "The time for handling your matter {code} is extended to {due}. Reason: {reason}"
        )
    ),
    K.REPLIED: Text(gettext_lazy("Your matter {code} has been answered. Read the reply at {url}")),
    K.FOLLOW_UP_REQUEST: Text(
        gettext_lazy(
            "By {due} we will call you to ask whether you are satisfied with how your matter "
            "{code} was handled."
        )
    ),
    K.REVIEW_DECISION: Text(
        gettext_lazy("The review you asked for ({code}) is decided. Read the decision at {url}")
    ),
    K.REOPENED: Text(
        gettext_lazy("Your matter {code} is reopened and will be handled again. Follow it at {url}")
    ),
}


def shorten(text: Any, limit: int = SHORT_TEXT) -> str:
    value = " ".join(str(text or "").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def render(kind: str, context: dict[str, str], *, language: str) -> tuple[str, str]:
    """(subject, body) of one message in `language`; KeyError for an unknown kind."""
    text = TEXTS[kind]
    with translation.override(language):
        template = (
            text.body
            if context.get("due") or text.body_without_due is None
            else (text.body_without_due)
        )
        body = str(template).format(**context)
        subject = _("Your matter {code}: {what}").format(code=context["code"], what=K(kind).label)
    return subject, body


# GSM 03.38 basic characters: a text made only of these travels 160 to a part (153 when split),
# anything else (Chinese, curly quotes) as UCS-2, 70 to a part (67 when split).
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def sms_parts(text: str) -> int:
    single, multi = (160, 153) if set(text) <= _GSM7 else (70, 67)
    return 1 if len(text) <= single else math.ceil(len(text) / multi)
