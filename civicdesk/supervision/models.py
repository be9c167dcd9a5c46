"""Supervision orders (督办单): a leader or supervisor presses a department on a late case."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SupervisionOrder(models.Model):
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="supervision_orders",
    )
    number = models.CharField(_("order number"), max_length=32, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued"))
    department = models.ForeignKey(
        "organization.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="supervision_orders",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    instructions = models.TextField(_("instructions"))
    due_at = models.DateTimeField(_("answer due"))
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        indexes = [
            models.Index(fields=["case", "issued_at"], name="supervision_case_idx"),
            models.Index(fields=["status", "due_at"], name="supervision_open_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_overdue(self) -> bool:
        """Open and past its own answer date (the case's legal clocks are separate)."""
        return self.status == OrderStatus.OPEN and self.due_at < timezone.now()
