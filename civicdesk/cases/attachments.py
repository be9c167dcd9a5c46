"""Attachments: the type is read from the content, never trusted from the name.

Two steps, so a caller can check every file before it writes anything (the resident portal
checks up to nine photos before it creates the case):

- `prepare_upload` is pure: it reads the upload (at most the limit plus one byte), refuses what
  is empty, too large, unknown by content, markup (HTML, SVG) or a damaged image, and re-encodes
  images with Pillow so that no EXIF/GPS, colour profile, comment or appended payload survives
  (decision 0022).
- `attachment_save` writes the prepared file and its `attachment_added` event in the caller's
  transaction.

`attachment_add` is the staff entry point (workbench and API): scope check, prepare, save.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from civicdesk.cases.events import append_event
from civicdesk.cases.models import Attachment, Case
from civicdesk.cases.selectors import case_get_for_user
from civicdesk.core.errors import ValidationFailed

logger = logging.getLogger(__name__)

# Sniffed type -> the Pillow decoder that must open it (no other decoder is tried, so a file
# cannot pass as a JPEG and be decoded as something else).
IMAGE_DECODERS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/apng": "PNG",  # an animated PNG keeps its first frame
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
# Phone formats Pillow cannot read without a native plugin (decision 0022): refused with advice.
UNREADABLE_PHOTO_TYPES = {"image/heic", "image/heif", "image/avif"}
# Stored as sent (still sniffed by content), with the extension of the real type.
OTHER_TYPES = {
    "application/pdf": "pdf",
    "audio/mpeg": "mp3",
    "audio/x-wav": "wav",
    "audio/mp4": "m4a",
    "audio/amr": "amr",
    "video/mp4": "mp4",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
ALLOWED_TYPES = frozenset(IMAGE_DECODERS) | frozenset(OTHER_TYPES)
STORED_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", **OTHER_TYPES}

# A 48 MP phone photo (8000 x 6000) passes; a "bomb" declaring 30000 x 30000 is refused from its
# header, before a single pixel is decoded. Well under Pillow's own MAX_IMAGE_PIXELS guard.
MAX_IMAGE_PIXELS = 64_000_000
# Stored photos are scaled down to this longest edge: enough to read a licence plate or a
# crack in a wall. A 12 MP photo (4000 x 3000) keeps its pixels; 48 MP ones shrink.
MAX_IMAGE_EDGE = 4096
JPEG_QUALITY = 85
NAME_LIMIT = 200
SNIFF_BYTES = 8192

# Markup starts with "<" once byte-order marks and white space are skipped. No accepted type
# does, and filetype recognises neither HTML nor SVG, so these are refused by their first byte.
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_BLANKS = b" \t\r\n\f\v"
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,5}$")


@dataclass(frozen=True)
class PreparedUpload:
    """A checked file, ready to store: its bytes are the ones that will be written."""

    content: bytes
    content_type: str
    name: str
    sha256: str
    size: int


class _Refused(Exception):
    """An image Pillow could not take safely; the caller turns it into ValidationFailed."""


def sniff(content: bytes) -> str | None:
    kind = filetype.guess(content[:SNIFF_BYTES])
    return kind.mime if kind is not None else None


# --- preparation -----------------------------------------------------------------------------


def prepare_upload(
    upload: Any, *, field: str = "file", images_only: bool = False
) -> PreparedUpload:
    """Checks and cleans one uploaded file; raises ValidationFailed on `field`, writes nothing."""
    content = _read_within_limit(upload, field=field)
    content_type = _accepted_type(content, field=field, images_only=images_only)
    if content_type in IMAGE_DECODERS:
        content, content_type = _reencoded_image(content, content_type, field=field)
    name = clean_name(getattr(upload, "name", None), extension=STORED_EXTENSIONS[content_type])
    return PreparedUpload(
        content=content,
        content_type=content_type,
        name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


def _read_within_limit(upload: Any, *, field: str) -> bytes:
    limit = settings.CIVICDESK_MAX_ATTACHMENT_BYTES
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise ValidationFailed.single(field, _too_large(limit))
    if hasattr(upload, "seek"):
        upload.seek(0)  # a form may have peeked at it already
    # One byte past the limit tells "too large" without reading a huge body into memory.
    content = bytes(upload.read(limit + 1))
    if len(content) > limit:
        raise ValidationFailed.single(field, _too_large(limit))
    if not content:
        raise ValidationFailed.single(field, _("The file is empty."))
    return content


def _too_large(limit: int) -> str:
    return _("The file is larger than the limit of {mb} MB.").format(
        mb=round(limit / 1024 / 1024, 1)
    )


def _accepted_type(content: bytes, *, field: str, images_only: bool) -> str:
    if looks_like_markup(content):
        raise ValidationFailed.single(
            field,
            _(
                "This kind of file is not accepted: web pages and SVG drawings can carry "
                "scripts. Send a photo, PDF, Word or Excel document, audio or video."
            ),
        )
    content_type = sniff(content)
    if content_type in UNREADABLE_PHOTO_TYPES:
        raise ValidationFailed.single(
            field,
            _(
                "Photos in HEIC or AVIF format are not accepted. Send the photo as JPEG or PNG "
                "(on an iPhone: Settings, Camera, Formats, Most Compatible)."
            ),
        )
    if images_only and content_type not in IMAGE_DECODERS:
        raise ValidationFailed.single(
            field, _("Only photos are accepted here: send a JPEG, PNG, GIF or WEBP image.")
        )
    if content_type is None or content_type not in ALLOWED_TYPES:
        raise ValidationFailed.single(
            field,
            _(
                "This kind of file is not accepted. Send a photo, "
                "PDF, Word or Excel document, audio or video."
            ),
        )
    return content_type


def looks_like_markup(content: bytes) -> bool:
    """HTML, SVG or XML: the first meaningful character is "<" (in UTF-8 or UTF-16)."""
    # UTF-16 text has a NUL beside every ASCII byte; dropping them reads it as ASCII.
    head = content[:1024].replace(b"\x00", b"")
    while True:
        rest = head.lstrip(_BLANKS)
        for bom in _BOMS:
            rest = rest.removeprefix(bom)
        if rest == head:
            return head.startswith(b"<")
        head = rest


# --- images ----------------------------------------------------------------------------------


def _reencoded_image(content: bytes, content_type: str, *, field: str) -> tuple[bytes, str]:
    try:
        image = _opened_image(content, IMAGE_DECODERS[content_type])
        output_format = _output_format(content_type)
        image = _clean_pixels(image, output_format)
        encoded = _encoded(image, output_format)
    except _Refused as refusal:
        raise ValidationFailed.single(field, str(refusal)) from None
    except Exception as error:
        # Pillow's decoders raise many kinds (OSError, SyntaxError, struct.error, ValueError,
        # DecompressionBombError...) for a truncated, corrupt or hostile file. All of them mean
        # "this image cannot be taken", never a 500.
        logger.info("Image refused: %s: %s", type(error).__name__, error)
        raise ValidationFailed.single(field, _damaged_image()) from None
    limit = settings.CIVICDESK_MAX_ATTACHMENT_BYTES
    if len(encoded) > limit:
        # Rare (a dense PNG re-compressed less tightly than its source), but the limit holds
        # for what is stored, not only for what was sent.
        raise ValidationFailed.single(field, _too_large(limit))
    return encoded, "image/png" if output_format == "PNG" else "image/jpeg"


def _damaged_image() -> str:
    return _(
        "The image is damaged or incomplete and cannot be opened. Send it again as JPEG or PNG."
    )


def _opened_image(content: bytes, decoder: str) -> Image.Image:
    """Decodes the first frame, after checking the header and the declared size."""
    try:
        probe = Image.open(io.BytesIO(content), formats=[decoder])
    except Image.DecompressionBombError:
        # Pillow's own guard (twice MAX_IMAGE_PIXELS), reached before ours for huge headers.
        raise _Refused(_too_many_pixels()) from None
    with probe:
        _check_pixel_count(probe.size)
        probe.verify()  # checksums (PNG CRCs): a file patched by hand fails here
    # verify() leaves the image unusable: decode from a fresh open.
    image = Image.open(io.BytesIO(content), formats=[decoder])
    image.load()  # a truncated file raises here (LOAD_TRUNCATED_IMAGES stays off)
    return image


def _check_pixel_count(size: tuple[int, int]) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise _Refused(_damaged_image())
    if width * height > min(MAX_IMAGE_PIXELS, Image.MAX_IMAGE_PIXELS or MAX_IMAGE_PIXELS):
        raise _Refused(_too_many_pixels())


def _too_many_pixels() -> str:
    return _(
        "The image has too many pixels. Send a photo of at most {megapixels} megapixels."
    ).format(megapixels=MAX_IMAGE_PIXELS // 1_000_000)


def _output_format(content_type: str) -> str:
    # JPEG stays JPEG (re-encoding a photo as PNG would multiply its size). PNG, APNG and GIF
    # become PNG: lossless, one frame, transparency kept. WEBP becomes JPEG, because the
    # printed case file (python-docx) cannot embed WEBP and residents' WEBP are photos.
    return "JPEG" if content_type in {"image/jpeg", "image/webp"} else "PNG"


def _clean_pixels(image: Image.Image, output_format: str) -> Image.Image:
    """Upright, in sRGB, at most MAX_IMAGE_EDGE, in a mode the output format stores."""
    image = _upright(image)
    image = _in_srgb(image)
    image = _in_output_mode(image, output_format)
    if max(image.size) > MAX_IMAGE_EDGE:
        image.thumbnail((MAX_IMAGE_EDGE, MAX_IMAGE_EDGE), Image.Resampling.LANCZOS)
    # Nothing read from the file travels to the encoder but the pixels (and a PNG's
    # transparent colour): no EXIF, GPS, XMP, ICC profile, comment or text chunk.
    transparency = image.info.get("transparency")
    image.info.clear()
    if transparency is not None:
        image.info["transparency"] = transparency
    return image


def _upright(image: Image.Image) -> Image.Image:
    """Applies the EXIF orientation, since the EXIF that carried it is about to go."""
    try:
        turned = ImageOps.exif_transpose(image)
    except Exception as error:
        # A mangled EXIF block costs the orientation, not the photo.
        logger.info("EXIF orientation ignored: %s: %s", type(error).__name__, error)
        return image
    return turned if turned is not None else image


def _in_srgb(image: Image.Image) -> Image.Image:
    """Converts a photo with an embedded colour profile (Display P3, Adobe RGB) to sRGB.

    The profile is dropped from the stored file; converting first keeps the colours right.
    """
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in {"RGB", "RGBA", "CMYK", "L"}:
        return image
    try:
        from PIL import ImageCms

        converted = ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(profile)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGBA" if image.mode == "RGBA" else "RGB",
        )
    except Exception as error:
        # A broken or unusual profile: the pixels are kept as they are, without it.
        logger.info("Colour profile ignored: %s: %s", type(error).__name__, error)
        return image
    return converted if converted is not None else image


def _in_output_mode(image: Image.Image, output_format: str) -> Image.Image:
    if output_format == "JPEG":
        if image.mode in {"RGB", "L"}:
            return image
        if "A" in image.getbands() or "transparency" in image.info:
            return _flattened_on_white(image)
        return image.convert("RGB")
    if image.mode in {"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}:
        return image
    return image.convert("RGBA")


def _flattened_on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _encoded(image: Image.Image, output_format: str) -> bytes:
    out = io.BytesIO()
    if output_format == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    else:
        image.save(out, "PNG")
    return out.getvalue()


# --- names -----------------------------------------------------------------------------------


def clean_name(raw: Any, *, extension: str) -> str:
    """The resident's file name without folders or control characters, with the real extension.

    The name is shown to staff and offered on download; the file itself is stored under its
    hash, so the name never reaches the file system.
    """
    name = str(raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    stem = _SUFFIX.sub("", name.strip()).strip(" .")
    suffix = "." + extension
    stem = stem[: NAME_LIMIT - len(suffix)].rstrip(" .") or _("attachment")
    return stem + suffix


# --- saving ----------------------------------------------------------------------------------


def attachment_save(
    *, case: Case, prepared: PreparedUpload, actor: Any | None, by_resident: bool = False
) -> Attachment:
    """Stores a prepared file and its `attachment_added` event in the caller's transaction.

    `actor` is None for the resident portal. The file is written before the rows: if the rows
    fail, the file is removed again; if the caller's transaction rolls back later, the file
    stays behind, unreferenced and harmless (named by its hash, never served without a row).
    """
    attachment = Attachment(
        case=case,
        original_name=prepared.name,
        content_type=prepared.content_type,
        size=prepared.size,
        sha256=prepared.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(prepared.sha256, ContentFile(prepared.content), save=False)
    try:
        with transaction.atomic():
            attachment.save()
            append_event(
                case=case,
                kind="attachment_added",
                actor=actor,
                at=attachment.uploaded_at,
                from_status=case.status,
                to_status=case.status,
                params=_event_params(attachment, by_resident=by_resident),
            )
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def _event_params(attachment: Attachment, *, by_resident: bool) -> dict[str, Any]:
    params: dict[str, Any] = {
        "attachment": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
    }
    if by_resident:
        params["by"] = "resident"
    return params


def attachment_add(*, actor: Any, case_id: int, upload: Any) -> Attachment:
    """Staff attach a file to a case in their scope (NotFound otherwise)."""
    case = case_get_for_user(user=actor, pk=case_id)
    prepared = prepare_upload(upload, field="file")
    with transaction.atomic():
        return attachment_save(case=case, prepared=prepared, actor=actor)


__all__ = [
    "ALLOWED_TYPES",
    "PreparedUpload",
    "attachment_add",
    "attachment_save",
    "clean_name",
    "looks_like_markup",
    "prepare_upload",
    "sniff",
]
