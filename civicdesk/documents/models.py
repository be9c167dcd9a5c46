"""Written documents (告知书, 意见书, 督办单) are rendered from templates an administrator edits."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    ACCEPTANCE_NOTICE = "acceptance_notice", _("Notice of acceptance")
    NON_ACCEPTANCE_NOTICE = "non_acceptance_notice", _("Notice of non-acceptance")
    TRANSFER_NOTICE = "transfer_notice", _("Notice of transfer")
    EXTENSION_NOTICE = "extension_notice", _("Notice of extension")
    REPLY_LETTER = "reply_letter", _("Written reply (opinion on the petition)")
    SUPERVISION_ORDER = "supervision_order", _("Supervision order")


# The kinds produced for a case; the supervision order is produced for an order instead.
CASE_KINDS = [kind for kind in DocumentKind if kind != DocumentKind.SUPERVISION_ORDER]


class DocumentLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class DocumentTemplate(models.Model):
    """The text of one kind of document in one language.

    `body` is Django template language, rendered by a sandboxed engine over plain values only
    (see documents/sandbox.py); each line of the result is one paragraph.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    language = models.CharField(
        _("language"), max_length=8, choices=DocumentLanguage.choices, default="zh-hans"
    )
    title = models.CharField(
        _("title"),
        max_length=200,
        help_text=_("May use the same names and tags as the body."),
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "Django template language: {{ receipt_code }}, {% if is_petition %}…{% endif %}. "
            "Each line becomes a paragraph; the issuer and the date are added at the end."
        ),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Documents use the active template of their kind and language."),
    )
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "language", "-active", "-updated"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "language"],
                condition=models.Q(active=True),
                name="document_template_one_active",
                violation_error_message=_(
                    "Another active template exists for this kind and language; "
                    "deactivate it first."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_language_display()})"

    def clean(self) -> None:
        from civicdesk.documents.sandbox import template_problem

        errors = {}
        for field in ("title", "body"):
            problem = template_problem(getattr(self, field), kind=self.kind, language=self.language)
            if problem:
                errors[field] = problem
        if errors:
            raise ValidationError(errors)
