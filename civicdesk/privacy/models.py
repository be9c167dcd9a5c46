"""How long the parties' personal data of a closed case is kept, and the record of each purge
(PIPL arts. 19 and 47; docs/decisions/0031-retention.md)."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.choices import CaseType
from civicdesk.cases.models import Case


class RetentionUnit(models.TextChoices):
    MONTHS = "months", _("months")
    YEARS = "years", _("years")


class RetentionRule(models.Model):
    """One case type's retention: personal data is kept this long after the case ended."""

    case_type = models.CharField(
        _("case type"), max_length=16, choices=CaseType.choices, unique=True
    )
    length = models.PositiveIntegerField(_("kept for"), validators=[MinValueValidator(1)])
    unit = models.CharField(
        _("unit"), max_length=8, choices=RetentionUnit.choices, default=RetentionUnit.YEARS
    )
    keep_attachments = models.BooleanField(
        _("keep attachments"),
        default=False,
        help_text=_(
            "Keep the case's files when its parties are anonymised (photos of a place). "
            "Otherwise the files are deleted with the personal data."
        ),
    )
    note = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["case_type"]

    def __str__(self) -> str:
        return f"{self.get_case_type_display()}: {self.length} {self.get_unit_display()}"

    @property
    def months(self) -> int:
        return self.length * 12 if self.unit == RetentionUnit.YEARS else self.length


class PurgeRun(models.Model):
    """One run of the purge, dry or not: when, started by whom or what, and what it found."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    as_of = models.DateTimeField(_("as of"))
    dry_run = models.BooleanField(_("dry run"))
    # "command" or "scheduler"; the operating-system account for a command run by hand.
    source = models.CharField(_("started by"), max_length=100)
    cases = models.PositiveIntegerField(_("cases"), default=0)
    parties = models.PositiveIntegerField(_("parties"), default=0)
    # {case type: {"cases", "parties", "oldest_end", "free_text", "attachments", "rule"}}
    per_type = models.JSONField(_("per case type"), default=dict)

    class Meta:
        verbose_name = _("personal data purge")
        verbose_name_plural = _("personal data purges")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'dry run' if self.dry_run else 'applied'}"


class PurgedCase(models.Model):
    """Marks a case whose parties were anonymised: it is never due again."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="personal_data_purge"
    )
    run = models.ForeignKey(PurgeRun, on_delete=models.PROTECT, related_name="purged_cases")
    purged_at = models.DateTimeField(_("purged"))
    parties = models.PositiveIntegerField(_("parties"))
    attachments_deleted = models.PositiveIntegerField(_("attachments deleted"), default=0)

    class Meta:
        verbose_name = _("purged case")
        verbose_name_plural = _("purged cases")

    def __str__(self) -> str:
        return f"{self.case_id} {self.purged_at:%Y-%m-%d}"
