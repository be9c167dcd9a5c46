"""Attachments: the type is read from the content, never trusted from the name."""

from __future__ import annotations

import hashlib
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from civicdesk.cases.models import Attachment, CaseEvent
from civicdesk.cases.selectors import case_get_for_user
from civicdesk.core.errors import ValidationFailed

ALLOWED_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "application/pdf",
    "audio/mpeg",
    "audio/x-wav",
    "audio/mp4",
    "audio/amr",
    "video/mp4",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def sniff(content: bytes) -> str | None:
    kind = filetype.guess(content[:8192])
    return kind.mime if kind is not None else None


def attachment_add(*, actor: Any, case_id: int, upload: Any) -> Attachment:
    case = case_get_for_user(user=actor, pk=case_id)
    limit = settings.CIVICDESK_MAX_ATTACHMENT_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed.single(
            "file",
            _("The file is larger than the limit of {mb} MB.").format(
                mb=round(limit / 1024 / 1024, 1)
            ),
        )
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationFailed.single(
            "file",
            _("The file is larger than the limit of {mb} MB.").format(
                mb=round(limit / 1024 / 1024, 1)
            ),
        )
    if not content:
        raise ValidationFailed.single("file", _("The file is empty."))
    content_type = sniff(content)
    if content_type not in ALLOWED_TYPES:
        raise ValidationFailed.single(
            "file",
            _(
                "This kind of file is not accepted. Send a photo, "
                "PDF, Word or Excel document, audio or video."
            ),
        )
    digest = hashlib.sha256(content).hexdigest()
    name = str(getattr(upload, "name", "") or "file")[-200:]
    with transaction.atomic():
        attachment = Attachment(
            case=case,
            original_name=name,
            content_type=content_type,
            size=len(content),
            sha256=digest,
            uploaded_by=actor,
        )
        attachment.file.save(digest, ContentFile(content), save=False)
        attachment.save()
        CaseEvent.objects.create(
            case=case,
            kind="attachment_added",
            actor=actor,
            at=attachment.uploaded_at,
            from_status=case.status,
            to_status=case.status,
            params={
                "attachment": attachment.pk,
                "name": name,
                "content_type": content_type,
                "size": len(content),
            },
        )
    return attachment


__all__ = ["attachment_add"]
