from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    """What a message tells the resident; each comes from one kind of case event."""

    RECEIPT = "receipt", _("Receipt")
    ACCEPTED = "accepted", _("Accepted")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    REDIRECTED = "redirected", _("Redirected to a legal procedure")
    DISPATCHED = "dispatched", _("Passed to the department")
    EXTENDED = "extended", _("Time limit extended")
    REPLIED = "replied", _("Answered")
    FOLLOW_UP_REQUEST = "follow_up_request", _("Follow-up visit announced")
    REVIEW_DECISION = "review_decision", _("Review decided")
    REOPENED = "reopened", _("Reopened")


class MessageChannel(models.TextChoices):
    SMS = "sms", _("Text message")
    EMAIL = "email", _("Email")
    # Writes the message to the log: for development and training installations.
    CONSOLE = "console", _("Log only")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
