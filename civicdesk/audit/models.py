"""The access log: who read which case, when, how and from where (docs/decisions/0027).

Append-only from the application: rows are written by `civicdesk.audit.services.record_access`
and never changed; the only delete is the retention purge (`manage.py purge_access_log`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.audit.choices import AccessAction, AccessChannel

# The purge deletes in slices so one run never holds a long lock on a busy table.
PURGE_BATCH = 5_000


class AccessLogIsAppendOnly(RuntimeError):
    """Code tried to change or delete access records: a bug, never a user's mistake."""


def _refuse(what: str) -> NoReturn:
    raise AccessLogIsAppendOnly(
        f"The access log is append-only: {what} is refused (only the retention purge deletes)."
    )


class AccessRecordQuerySet(models.QuerySet["AccessRecord"]):
    # update() and delete() would bypass the model's save() and delete(): refuse them too.
    def update(self, **kwargs: Any) -> NoReturn:
        _refuse("update")

    def delete(self) -> NoReturn:
        _refuse("delete")

    def purge_older_than(self, cutoff: dt.datetime) -> int:
        """The one delete path: records from before `cutoff`, in slices; returns how many."""
        purged = 0
        while True:
            ids = list(
                self.filter(at__lt=cutoff).order_by("id").values_list("id", flat=True)[:PURGE_BATCH]
            )
            if not ids:
                return purged
            deleted, _by_model = models.QuerySet.delete(AccessRecord.objects.filter(id__in=ids))
            purged += deleted


class AccessRecord(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # Empty for reads of no single case (an export of a list, of this log).
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    action = models.CharField(
        _("what"), max_length=32, choices=AccessAction.choices, editable=False
    )
    detail = models.JSONField(
        _("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder, editable=False
    )
    address = models.CharField(_("network address"), max_length=64, editable=False)
    channel = models.CharField(
        _("channel"), max_length=8, choices=AccessChannel.choices, editable=False
    )

    objects = AccessRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("access record")
        verbose_name_plural = _("access records")
        ordering = ["-at", "-id"]
        # No add/change/delete for anyone, superusers included: the admin shows rows only.
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["at"], name="audit_at"),
            models.Index(fields=["user", "at"], name="audit_user_at"),
            models.Index(fields=["case", "at"], name="audit_case_at"),
            models.Index(fields=["address", "at"], name="audit_address_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.user_id} {self.action} {self.case_id or '-'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse("changing a record")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("deleting a record")
