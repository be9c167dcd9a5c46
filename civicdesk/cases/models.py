from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.choices import (
    CaseType,
    Channel,
    ClockKind,
    ClockState,
    PartyKind,
    PartyRole,
    Priority,
    Satisfaction,
    Status,
    TimeUnit,
    WarningLevel,
)
from civicdesk.cases.validation import normalise_phone
from civicdesk.core.fields import BlindIndexField, EncryptedCharField, EncryptedEmailField
from civicdesk.organization.models import Area, Centre, Department


class Category(models.Model):
    """A two-level tree of matters (e.g. 劳动保障 > 工资拖欠), each with its routing and clocks."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    case_type = models.CharField(_("case type"), max_length=16, choices=CaseType.choices)
    default_department = models.ForeignKey(
        Department,
        verbose_name=_("default department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deadline_policy = models.JSONField(
        _("deadline policy"),
        default=dict,
        blank=True,
        help_text=_(
            'Clock lengths for this category, e.g. {"handling": {"length": 5, "unit": '
            '"working_days"}}. Clocks not named follow the case type\'s rules.'
        ),
    )
    public = models.BooleanField(_("offered to residents"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = translation.get_language() or settings.LANGUAGE_CODE
        return self.name_zh if language.lower().startswith("zh") else self.name_en

    def clean(self) -> None:
        from civicdesk.cases.validation import validate_category

        validate_category(self)


class DeadlineOverride(models.Model):
    """A jurisdiction's own length for one clock, for every case in an area subtree."""

    area = models.ForeignKey(
        Area, verbose_name=_("jurisdiction"), on_delete=models.CASCADE, related_name="+"
    )
    case_type = models.CharField(_("case type"), max_length=16, choices=CaseType.choices)
    kind = models.CharField(_("clock"), max_length=32, choices=ClockKind.choices)
    length = models.PositiveIntegerField(_("length"))
    unit = models.CharField(_("unit"), max_length=16, choices=TimeUnit.choices)
    max_extension = models.PositiveIntegerField(_("longest extension"), null=True, blank=True)
    basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("deadline override")
        verbose_name_plural = _("deadline overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "case_type", "kind"], name="deadline_override_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.case_type} {self.kind}"


class Case(models.Model):
    receipt_code = models.CharField(_("receipt code"), max_length=16, unique=True)
    type = models.CharField(_("type"), max_length=16, choices=CaseType.choices)
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="cases"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"))
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    centre = models.ForeignKey(
        Centre, verbose_name=_("centre"), on_delete=models.PROTECT, related_name="cases"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible leader"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_cases",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # NULL, not "", for "no key": the unique constraint below must ignore keyless cases.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    # Bumped by every action: the compare-and-swap that keeps two actions from both succeeding.
    version = models.PositiveIntegerField(default=1)
    # The worst warning among the running clocks, kept here so "overdue" is an indexed filter.
    warning_level = models.PositiveSmallIntegerField(
        _("warning"), choices=WarningLevel.choices, default=WarningLevel.NONE
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    review_of = models.ForeignKey(
        "self",
        verbose_name=_("review of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    result = models.TextField(_("result"), blank=True)
    reply = models.TextField(_("written reply"), blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=24, blank=True, choices=Satisfaction.choices
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            # Each list filter has an index that ends in the list's order (received_at, id),
            # so a page is read straight off the index instead of sorting every match.
            models.Index(fields=["received_at", "id"], name="case_received_idx"),
            models.Index(fields=["status", "received_at", "id"], name="case_status_idx"),
            models.Index(fields=["type", "received_at", "id"], name="case_type_idx"),
            models.Index(fields=["department", "received_at", "id"], name="case_department_idx"),
            models.Index(fields=["area", "received_at", "id"], name="case_area_idx"),
            models.Index(fields=["leader", "received_at", "id"], name="case_leader_idx"),
            models.Index(fields=["handler", "received_at", "id"], name="case_handler_idx"),
            models.Index(fields=["warning_level", "received_at", "id"], name="case_warning_idx"),
            # "overdue" is warning_level >= OVERDUE: two levels, so it gets a partial index.
            models.Index(
                fields=["received_at", "id"],
                name="case_overdue_idx",
                condition=models.Q(warning_level__gte=2),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="case_idempotency_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_code} {self.title}"


class CaseParty(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=16, choices=PartyRole.choices)
    kind = models.CharField(
        _("kind"), max_length=16, choices=PartyKind.choices, default=PartyKind.PERSON
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    # Personal data is encrypted at rest (civicdesk/core/crypto.py); look-ups by phone go
    # through phone_index, the keyed hash of the normalised number.
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True)
    phone_index = BlindIndexField(source="phone", normalise=normalise_phone, db_index=True)
    # Where messages about the case may be emailed (civicdesk.notifications); optional. The
    # database default serves writers that insert rows in bulk without naming it (demo data).
    email = EncryptedEmailField(_("email"), blank=True, default="", db_default="")
    # The language messages to this party are written in; blank means the centre's default
    # (CIVICDESK_NOTIFY_LANGUAGE). The resident portal records the language of its page.
    language = models.CharField(
        _("language"),
        max_length=16,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        db_default="",
    )
    id_number = EncryptedCharField(_("ID number"), max_length=18, blank=True)
    organization = models.CharField(_("organisation"), max_length=200, blank=True)
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("The party's identity is hidden from the respondent."),
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or self.organization or str(_("Anonymous"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A save of the phone alone must move its index with it.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_index"}
        super().save(*args, **kwargs)

    @classmethod
    def phone_index_of(cls, phone: str) -> str:
        """The phone_index of a party with this number: look-ups by phone filter on it."""
        field = cls._meta.get_field("phone_index")
        assert isinstance(field, BlindIndexField)
        return field.index_of(phone)


def attachment_path(instance: Attachment, filename: str) -> str:
    # Stored under the content hash: the resident's own file name never reaches the file system.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class CaseEvent(models.Model):
    """One entry of the case's timeline: the audit trail and the source for statistics."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("time"))
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    params = models.JSONField(_("parameters"), default=dict)
    # The tamper-evident chain (civicdesk.cases.events): each event's SHA-256 over its content
    # and the hash of the case's event before it (by id); "" before the first.
    previous_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="event_case_idx"),
            models.Index(fields=["kind", "at"], name="event_kind_idx"),
        ]
        constraints = [
            # Two writers that both chained to the same previous event would fork the timeline:
            # the second insert fails instead of being stored.
            models.UniqueConstraint(fields=["case", "previous_hash"], name="event_chain_no_fork"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class CaseClock(models.Model):
    """One running (or finished) legal clock of a case.

    `next_alert_at` is the moment its warning level next changes; the sweep is one indexed
    query over it (running clocks whose moment has come).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(_("clock"), max_length=32, choices=ClockKind.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=ClockState.choices, default=ClockState.RUNNING
    )
    started_at = models.DateTimeField(_("started"))
    length = models.PositiveIntegerField(_("length"))
    unit = models.CharField(_("unit"), max_length=16, choices=TimeUnit.choices)
    extended_by = models.PositiveIntegerField(_("extended by"), default=0)
    paused_units = models.PositiveIntegerField(_("suspended for"), default=0)
    suspended_at = models.DateTimeField(_("suspended since"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"))
    due_soon_at = models.DateTimeField()
    seriously_overdue_at = models.DateTimeField()
    next_alert_at = models.DateTimeField(null=True, blank=True)
    warning_level = models.PositiveSmallIntegerField(
        _("warning"), choices=WarningLevel.choices, default=WarningLevel.NONE
    )
    basis = models.CharField(_("legal basis"), max_length=300)
    max_extension = models.PositiveIntegerField(default=0)
    is_window = models.BooleanField(default=False)
    calendar_missing = models.BooleanField(_("calendar missing"), default=False)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(
                fields=["next_alert_at"],
                name="clock_alert_idx",
                condition=models.Q(state="running"),
            ),
            models.Index(fields=["case", "kind"], name="clock_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.due_at:%Y-%m-%d}"

    @property
    def basis_display(self) -> str:
        """The legal basis in the reader's language. Bases from the built-in rules are stored
        in the source language (English, the msgid) and translated on display; a basis an
        administrator typed into an override is shown as typed."""
        return translation.gettext(self.basis) if self.basis else ""


class CaseSearch(models.Model):
    """The case's searchable text, segmented into words by jieba and joined by spaces.

    SQLite indexes it with an FTS5 table kept in step by triggers; PostgreSQL keeps a stored
    generated column `document` = to_tsvector('simple', words) with a GIN index. Both are
    created in this app's migrations (0003, 0005), outside the model, per database.
    """

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, primary_key=True, related_name="search"
    )
    words = models.TextField()

    class Meta:
        verbose_name = _("search text")
        verbose_name_plural = _("search texts")

    def __str__(self) -> str:
        return str(self.case_id)
