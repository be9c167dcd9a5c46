"""Wrong answers at the tracking form, counted so that guessing is slowed and then blocked."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrackingGuard(models.Model):
    """Failed attempts to open a case on the portal, for one receipt code or one address.

    `key` is "code:<receipt code>" or "ip:<address>". Rows live in the database so every web
    process counts the same attempts; a success for a code deletes that code's row.
    """

    key = models.CharField(_("key"), max_length=80, unique=True)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    window_started_at = models.DateTimeField(_("counting since"))
    last_failed_at = models.DateTimeField(_("last failure"))
    blocked_until = models.DateTimeField(_("blocked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("tracking guard")
        verbose_name_plural = _("tracking guards")

    def __str__(self) -> str:
        return f"{self.key} ({self.failures})"
