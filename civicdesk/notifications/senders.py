"""How a message leaves the building: one small interface, a sender per channel.

A sender's `send(message)` returns when the gateway has taken the message, or raises
SendFailed with a reason staff can read; anything else it raises counts as a failure too.
Settings pick the sender of each channel by dotted path (CIVICDESK_SMS_SENDER,
CIVICDESK_EMAIL_SENDER); the console channel always logs.
"""

from __future__ import annotations

import logging
import smtplib
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from civicdesk.notifications.choices import MessageChannel

if TYPE_CHECKING:
    from civicdesk.notifications.models import OutboxMessage

logger = logging.getLogger(__name__)


class SendFailed(Exception):
    """The gateway refused or could not be reached; `reason` goes to the message's last error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


class ConsoleSender:
    """Writes the message to the log (development, training, and SMS until a gateway is set)."""

    def send(self, message: OutboxMessage) -> None:
        logger.info(
            "Message %s (%s) to %s: %s",
            message.pk,
            message.kind,
            message.masked_recipient,
            message.body,
        )


class EmailSender:
    """Sends through Django's mail (EMAIL_BACKEND, EMAIL_HOST, ... and DEFAULT_FROM_EMAIL)."""

    def send(self, message: OutboxMessage) -> None:
        try:
            send_mail(
                message.subject,
                message.body,
                settings.DEFAULT_FROM_EMAIL,
                [message.recipient],
                fail_silently=False,
            )
        except (smtplib.SMTPException, OSError) as error:
            raise SendFailed(f"{type(error).__name__}: {error}") from error


class SmsGateway:
    """The base of a deployment's SMS gateway: subclass it and implement `post`.

    Providers differ (Aliyun, Tencent Cloud, a carrier's own platform, a government SMS
    hub), so the HTTP call is the deployment's: `post(phone, text)` sends one text and
    raises SendFailed with the provider's error code and message when it is refused. Name the
    subclass in CIVICDESK_SMS_SENDER, e.g. "mycounty.sms.AliyunGateway". Provider templates
    and the signature (【...】) are configured at the provider.
    """

    def send(self, message: OutboxMessage) -> None:
        self.post(message.recipient, message.body)

    def post(self, phone: str, text: str) -> None:
        raise NotImplementedError("Subclass SmsGateway and implement post() for your provider.")


def _sender_paths() -> dict[str, str]:
    return {
        MessageChannel.SMS: settings.CIVICDESK_SMS_SENDER,
        MessageChannel.EMAIL: settings.CIVICDESK_EMAIL_SENDER,
        MessageChannel.CONSOLE: "civicdesk.notifications.senders.ConsoleSender",
    }


def sender_for(channel: str) -> Sender:
    sender: Sender = import_string(_sender_paths()[channel])()
    return sender
