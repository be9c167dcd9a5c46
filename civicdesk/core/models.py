from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """One day whose status differs from the package's: a local rest day or a make-up day."""

    date = models.DateField(_("date"), unique=True)
    working = models.BooleanField(
        _("working day"),
        help_text=_("Ticked: a working day (e.g. a make-up Saturday). Unticked: a rest day."),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class CalendarYear(models.Model):
    """A year whose holidays an administrator has entered in full as overrides."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    note = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("e.g. the State Council notice that announced the year."),
    )

    class Meta:
        verbose_name = _("declared calendar year")
        verbose_name_plural = _("declared calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class ScheduledJob(models.Model):
    """When each periodic job is next due. Schedulers claim a run by compare-and-swap on
    `next_run_at`, so two scheduler processes never enqueue the same run twice."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_enqueued_at = models.DateTimeField(_("last enqueued"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class RateCounter(models.Model):
    """Requests counted for one (group, key) in its current fixed window (core/ratelimit.py).

    The bucket is an HMAC of group and key, so no address, API key or phone number is stored in
    clear; the group stays readable for operators. Rows whose window has ended are purged by
    the scheduler's `purge_rate_counters` job."""

    bucket = models.CharField(_("bucket"), max_length=64, unique=True)
    group_name = models.CharField(_("group"), max_length=50)
    hits = models.IntegerField(_("requests"), default=0)
    # Unix time in whole seconds: compared in one SQL statement on SQLite and PostgreSQL alike.
    expires_at = models.BigIntegerField(_("window ends"), db_index=True)

    class Meta:
        verbose_name = _("rate counter")
        verbose_name_plural = _("rate counters")

    def __str__(self) -> str:
        return f"{self.group_name} {self.hits}"
