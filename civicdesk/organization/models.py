from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicdesk.organization.choices import (
    AREA_LEVEL_ORDER,
    AreaLevel,
    DepartmentKind,
    DutyPost,
    Role,
)


class Area(models.Model):
    """A node of the administrative tree. `path` holds the codes from the root, so a subtree is
    one indexed prefix match (`path__startswith`)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=400, db_index=True, editable=False)
    polygon = models.JSONField(
        _("boundary (GeoJSON)"),
        null=True,
        blank=True,
        help_text=_("A GeoJSON Polygon or MultiPolygon, longitude before latitude."),
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: object, **kwargs: object) -> None:
        # The path is derived data, always recomputed from the parent's; a moved or recoded area
        # carries its whole subtree along.
        old_path = self.path
        self.path = (self.parent.path if self.parent else "/") + self.code + "/"
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if old_path and old_path != self.path:
            for child in Area.objects.filter(parent=self):
                child.save()

    def clean(self) -> None:
        from civicdesk.organization.validation import validate_area_parent, validate_polygon

        validate_area_parent(level=self.level, parent=self.parent, area=self)
        if self.polygon:
            validate_polygon(self.polygon)

    @property
    def level_rank(self) -> int:
        return AREA_LEVEL_ORDER.index(self.level)


class Centre(models.Model):
    """A one-stop centre (综治中心) that takes cases in; a township centre escalates to the
    county centre above it."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="centres"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("upper centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("centre")
        verbose_name_plural = _("centres")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=DepartmentKind.choices)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="departments"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Residents do not sign in: they follow a case by its receipt code."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    centre = models.ForeignKey(
        Centre,
        verbose_name=_("centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    # When the password was last set, for the maximum password age (CIVICDESK_PASSWORD_MAX_AGE_DAYS,
    # 等保2.0 8.1.4.1 a). Blank for rows written in bulk with a ready hash: they count as set when
    # the row was made, see accounts.policy.password_expired.
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.display_name or self.username

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class RoleAssignment(models.Model):
    """One role a person holds, with its scope: an area subtree and/or a department.

    A leader's assignment may have neither: a leader always sees the cases they own.
    """

    user = models.ForeignKey(
        User,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area scope"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "area", "department"], name="role_assignment_unique"
            ),
        ]

    def __str__(self) -> str:
        scope = self.department or self.area or "-"
        return f"{self.user} · {self.get_role_display()} · {scope}"

    def clean(self) -> None:
        needs_department = {Role.HANDLER, Role.DEPT_HEAD}
        if self.role in needs_department and self.department_id is None:
            raise ValidationError({"department": _("This role works inside a department.")})


class DutyShift(models.Model):
    """Who is on duty (值班) at a centre: the roster keeps the centre reachable around the clock."""

    centre = models.ForeignKey(
        Centre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="duty_shifts"
    )
    post = models.CharField(_("post"), max_length=1, choices=DutyPost.choices)
    user = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="duty_shifts"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty roster")
        ordering = ["starts_at", "post"]
        indexes = [models.Index(fields=["centre", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="duty_shift_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.post} {self.user}"


class ApiToken(models.Model):
    """A staff API token. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} {self.prefix}…"
