from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Case
from civicdesk.organization.models import Area


class ApiClient(models.Model):
    """A city app or partner platform allowed to post Open311 requests.

    Only the SHA-256 of its key is stored; the key is shown once when issued. Cases it posts
    are registered by its own service user, an intake clerk of exactly the client's area.
    """

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key prefix"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    jurisdiction_id = models.CharField(_("jurisdiction ID"), max_length=100)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area served"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The client posts and reads requests in this area and the areas below it."),
    )
    default_area = models.ForeignKey(
        Area,
        verbose_name=_("default area"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Where a request goes when its location lies in no mapped boundary."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="open311_client",
        editable=False,
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Open311Request(models.Model):
    """What an Open311 submission brought besides the case itself."""

    case = models.OneToOneField(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="open311"
    )
    client = models.ForeignKey(
        ApiClient, verbose_name=_("client"), on_delete=models.PROTECT, related_name="requests"
    )
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    attributes = models.JSONField(_("answers to the service's questions"), default=dict)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")

    def __str__(self) -> str:
        # The receipt code, not the case's title: administrators list these rows.
        return self.case.receipt_code
