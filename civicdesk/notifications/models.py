"""The outbox: every message to a resident is a row first, written in the same transaction as
the case action that caused it, and sent afterwards by a worker (docs/decisions/0021)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.core.fields import BlindIndexField, EncryptedCharField
from civicdesk.notifications.choices import MessageChannel, MessageKind, MessageStatus


def mask_recipient(recipient: str) -> str:
    """A phone number or address as staff lists show it: enough to recognise, not to use."""
    if "@" in recipient:
        local, _at, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(recipient) >= 7:
        return f"{recipient[:3]}****{recipient[-4:]}"
    return "****"


class OutboxMessage(models.Model):
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="outbox_messages"
    )
    # NULL for a message that no case event caused (none are made yet; kept for later kinds).
    event = models.ForeignKey(
        CaseEvent,
        verbose_name=_("case event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=MessageChannel.choices)
    # A copy of the party's phone or email: encrypted like the party's own (civicdesk/core/
    # crypto.py); recipient_index lets the constraint below compare it without decrypting.
    recipient = EncryptedCharField(_("recipient"), max_length=254)
    recipient_index = BlindIndexField(source="recipient")
    language = models.CharField(_("language"), max_length=16)
    # Rendered when recorded: a later edit of the texts never changes a message already made.
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    # When a delivery task was last enqueued for it: the sweep re-enqueues only messages that
    # became due since, or whose task seems lost.
    enqueued_at = models.DateTimeField(_("enqueued"), null=True, blank=True)
    # When a worker claimed it: a row "sending" for too long belonged to a worker that died.
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("message to a resident")
        verbose_name_plural = _("messages to residents")
        ordering = ["created_at", "id"]
        permissions = [("retry_outboxmessage", _("Can send failed messages again"))]
        indexes = [
            # The sweep's two questions, each one indexed range over a few rows.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["claimed_at"],
                name="outbox_sending_idx",
                condition=models.Q(status="sending"),
            ),
            models.Index(fields=["case", "created_at"], name="outbox_case_idx"),
        ]
        constraints = [
            # A repeated recording of one event can never make a second message to send.
            models.UniqueConstraint(
                fields=["event", "kind", "channel", "recipient_index"],
                name="outbox_once_per_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.channel} {self.masked_recipient}"

    @property
    def masked_recipient(self) -> str:
        return mask_recipient(self.recipient)

    @property
    def error_display(self) -> str:
        """The last error in the reader's language: the outbox's own errors are stored in
        English (their msgid) and translated on display; a gateway's text is shown as given."""
        return gettext(self.last_error) if self.last_error else ""
