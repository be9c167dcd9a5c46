"""Upload attacks (issue 5): a table of hostile files walked over every channel that takes files.

Three channels take files: the staff case page's upload form, the staff API's attachment
endpoint and the resident portal's photos. Every row of HOSTILE goes through each of them as a
raw multipart body (the test client would tidy the file name first; an attacker does not), and
ends one of two ways:

- refused: the answer names the field with a clear message, nothing is written (no Attachment,
  no event, no file on disk, no portal case) and nothing is a server error;
- accepted: an image comes back re-encoded with nothing of the payload left; a PDF is stored as
  sent but is only ever served as a download (nosniff, sandbox); the stored name is cleaned.

The fourth channel, Open311, takes a media_url, never a file: it is checked as text, never
fetched by the server, and any file sent along is ignored.
"""

from __future__ import annotations

import gzip
import html
import io
import json
import re
import socket
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import ExifTags, Image, PngImagePlugin

from civicdesk.cases.attachments import sniff
from civicdesk.cases.models import Attachment, Case, CaseEvent
from civicdesk.open311.services import api_client_issue
from tests.conftest import World
from tests.helpers import FAST_HASHERS, create_case

LIMIT = 16 * 1024  # CIVICDESK_MAX_ATTACHMENT_BYTES in these tests: oversized files stay small
SCRIPT = b"<script>alert(document.domain)</script>"
HTML_PAGE = b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>"
SVG_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg">' + SCRIPT + b"</svg>"
SVG_ONLOAD = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)">'
    b'<rect width="1" height="1"/></svg>'
)
XML_PROLOG = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
UTF8_BOM = b"\xef\xbb\xbf"
# Nothing of these may be left in a stored image (compared in lower case).
PAYLOAD_MARKERS = (b"<script", b"alert(", b"onload", b"<html", b"<svg", b"pk\x03\x04", b"evil")
PDF_WITH_JS = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"3 0 obj << /S /JavaScript /JS (app.alert\\('evil'\\)) >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


# --- hostile files ---------------------------------------------------------------------------


def red_image(size: tuple[int, int] = (24, 16)) -> Image.Image:
    return Image.new("RGB", size, (220, 20, 20))


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg(**options: Any) -> bytes:
    return encoded(red_image(), "JPEG", **options)


def png(**options: Any) -> bytes:
    return encoded(red_image(), "PNG", **options)


def zip_archive() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", HTML_PAGE)
        archive.writestr("evil.class", b"\xca\xfe\xba\xbe")
    return out.getvalue()


def jpeg_with_exif_script() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = SCRIPT.decode()
    exif[ExifTags.Base.Make] = "evil<svg onload=alert(1)>"
    return jpeg(exif=exif)


def png_with_text(kind: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    if kind == "tEXt":
        info.add_text("Comment", SCRIPT.decode())
    elif kind == "zTXt":
        info.add_text("Comment", SCRIPT.decode(), zip=True)
    else:
        info.add_itxt("Comment", SCRIPT.decode(), lang="en", tkey="evil")
    return png(pnginfo=info)


def gif_with_comment() -> bytes:
    return encoded(red_image().convert("P"), "GIF", comment=SCRIPT) + HTML_PAGE


def webp_with_metadata() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = SCRIPT.decode()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + SCRIPT + b"</x:xmpmeta>"
    return encoded(red_image(), "WEBP", exif=exif, xmp=xmp)


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def padded(content: bytes, size: int) -> bytes:
    """The file grown to exactly `size` bytes with trailing junk."""
    assert len(content) <= size
    return content + b"\x00" * (size - len(content))


@dataclass(frozen=True)
class Hostile:
    """One hostile upload and what must become of it.

    `expect` is "clean" (an image stored re-encoded), "as_sent" (a document stored as sent,
    refused where only photos are taken) or the refusal kind (a key of REFUSALS).
    `stored_name` is the cleaned name expected for what is accepted."""

    id: str
    content: Callable[[], bytes]
    expect: str
    name: str = "photo.jpg"
    content_type: str = "image/jpeg"
    stored_name: str | None = None
    stored_type: str | None = None


HOSTILE: list[Hostile] = [
    # HTML under harmless names and types: refused by its first meaningful byte.
    Hostile("html-as-jpg", lambda: HTML_PAGE, "markup"),
    Hostile("html-as-png", lambda: HTML_PAGE, "markup", "photo.png", "image/png"),
    Hostile("html-as-pdf", lambda: HTML_PAGE, "markup", "report.pdf", "application/pdf"),
    Hostile("html-as-txt", lambda: HTML_PAGE, "markup", "note.txt", "text/plain"),
    Hostile("html-as-gif", lambda: b"\r\n\t <HTML>" + SCRIPT, "markup", "a.gif", "image/gif"),
    Hostile("html-comment-first", lambda: b"<!-- x -->" + HTML_PAGE, "markup"),
    Hostile("html-bom", lambda: UTF8_BOM + b"  \n" + HTML_PAGE, "markup"),
    Hostile("html-utf16", lambda: HTML_PAGE.decode().encode("utf-16"), "markup"),
    Hostile("html-utf16-no-bom", lambda: HTML_PAGE.decode().encode("utf-16-le"), "markup"),
    Hostile("html-utf32", lambda: HTML_PAGE.decode().encode("utf-32"), "markup"),
    Hostile("xhtml-prolog", lambda: XML_PROLOG + HTML_PAGE, "markup", "p.png", "image/png"),
    # Text that is not markup at its start still has no type: refused all the same.
    Hostile("text-then-script", lambda: b"Hello\n" + SCRIPT, "unknown", "note.txt", "text/plain"),
    # SVG, plain and gzip'd, with a script or an onload, with an XML prolog and a BOM.
    Hostile("svg-script", lambda: SVG_SCRIPT, "markup", "drawing.svg", "image/svg+xml"),
    Hostile("svg-onload-as-jpg", lambda: SVG_ONLOAD, "markup"),
    Hostile("svg-prolog", lambda: XML_PROLOG + SVG_ONLOAD, "markup", "a.svg", "image/svg+xml"),
    Hostile("svg-bom-prolog", lambda: UTF8_BOM + XML_PROLOG + SVG_SCRIPT, "markup", "a.png"),
    Hostile("svgz-script", lambda: gzip.compress(SVG_SCRIPT), "unknown", "a.svgz", "image/svg+xml"),
    Hostile("svgz-onload-as-jpg", lambda: gzip.compress(XML_PROLOG + SVG_ONLOAD), "unknown"),
    # Polyglots: a real image carrying a payload after its end or in its metadata.
    Hostile("jpeg+zip-gifar", lambda: jpeg() + zip_archive(), "clean", stored_name="photo.jpg"),
    Hostile("jpeg+html", lambda: jpeg() + HTML_PAGE, "clean", stored_name="photo.jpg"),
    Hostile("jpeg-comment", lambda: jpeg(comment=SCRIPT), "clean", stored_name="photo.jpg"),
    Hostile("jpeg-exif", jpeg_with_exif_script, "clean", stored_name="photo.jpg"),
    Hostile("png-tEXt", lambda: png_with_text("tEXt"), "clean", "x.png", "image/png", "x.png"),
    Hostile("png-zTXt", lambda: png_with_text("zTXt"), "clean", "x.png", "image/png", "x.png"),
    Hostile("png-iTXt", lambda: png_with_text("iTXt"), "clean", "x.png", "image/png", "x.png"),
    Hostile("png+html", lambda: png() + HTML_PAGE, "clean", "x.jpg", stored_name="x.png"),
    Hostile("gif-comment+html", gif_with_comment, "clean", "a.gif", "image/gif", "a.png"),
    Hostile("webp-exif-xmp", webp_with_metadata, "clean", "a.webp", "image/webp", "a.jpg"),
    # Magic bytes in front of a page: sniffed as an image, and no decoder takes it.
    Hostile("gif-js-polyglot", lambda: b"GIF89a/*" + SCRIPT + b"*/=1;", "damaged", "a.gif"),
    Hostile("jpeg-magic+html", lambda: b"\xff\xd8\xff\xe0" + HTML_PAGE, "damaged"),
    Hostile("png-magic+html", lambda: b"\x89PNG\r\n\x1a\n" + HTML_PAGE, "damaged", "a.png"),
    # PDFs are accepted from staff (decision 0004), stored as sent, only ever downloaded.
    Hostile(
        "pdf-openaction-js",
        lambda: PDF_WITH_JS,
        "as_sent",
        "report.pdf",
        "application/pdf",
        stored_name="report.pdf",
        stored_type="application/pdf",
    ),
    Hostile(
        "pdf+html-named-html",
        lambda: b"%PDF-1.4\n" + HTML_PAGE,
        "as_sent",
        "page.html",
        "text/html",
        stored_name="page.pdf",
        stored_type="application/pdf",
    ),
    Hostile("exe-as-jpg", lambda: b"MZ\x90\x00\x03" + b"\x00" * 64, "unknown"),
    Hostile("zip-as-docx", zip_archive, "unknown", "a.docx", "application/octet-stream"),
    # Size: one byte over the limit, exactly the limit, a bomb, nothing at all.
    Hostile("pdf-one-byte-over", lambda: padded(PDF_WITH_JS, LIMIT + 1), "too_large", "a.pdf"),
    Hostile("jpeg-one-byte-over", lambda: padded(jpeg(), LIMIT + 1), "too_large"),
    Hostile("jpeg-at-the-limit", lambda: padded(jpeg(), LIMIT), "clean", stored_name="photo.jpg"),
    Hostile("png-bomb", lambda: png_declaring(30000, 30000), "pixels", "bomb.png", "image/png"),
    Hostile("zero-bytes", lambda: b"", "empty"),
    # Names: cleaned, never a path. Sent raw (filename=) or RFC 5987-encoded (filename*=).
    Hostile("name-dotdot", jpeg, "clean", "../../etc/passwd", stored_name="passwd.jpg"),
    Hostile(
        "name-windows-path",
        jpeg,
        "clean",
        "..\\..\\Windows\\System32\\evil.exe",
        stored_name="evil.jpg",
    ),
    Hostile("name-nul-newlines", jpeg, "clean", "a\x00b\r\nc.jpg", stored_name="abc.jpg"),
    Hostile(
        "name-rtl-override", jpeg, "clean", "invoice\u202egpj.exe", stored_name="invoicegpj.jpg"
    ),
    Hostile("name-300-chars", jpeg, "clean", "长" * 300 + ".jpg", stored_name="长" * 196 + ".jpg"),
    Hostile(
        "name-html",
        jpeg,
        "clean",
        '"><img src=x onerror=alert(1)>.jpg',
        stored_name='"><img src=x onerror=alert(1)>.jpg',
    ),
    Hostile("name-dot-only", jpeg, "clean", ".jpg", stored_name="attachment.jpg"),
    Hostile("name-drive-letter", jpeg, "clean", "C:autoexec.bat", stored_name="C:autoexec.jpg"),
    Hostile("name-double-extension", jpeg, "clean", "shell.php.jpg", stored_name="shell.php.jpg"),
    Hostile("name-php", jpeg, "clean", "shell.php", stored_name="shell.jpg"),
]

# English messages, by refusal kind; the portal takes photos only, so "not a known type" is
# told there as "only photos".
REFUSALS = {
    "markup": "web pages and SVG drawings can carry scripts",
    "unknown": "This kind of file is not accepted. Send a photo",
    "only_photos": "Only photos are accepted here",
    "damaged": "The image is damaged or incomplete",
    "too_large": "The file is larger than the limit of",
    "pixels": "The image has too many pixels",
    "empty": "The file is empty.",
}


# --- raw multipart ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    field: str
    name: str
    content: bytes
    content_type: str = "image/jpeg"


def _disposition(part: Part) -> bytes:
    # Browsers send the name as raw UTF-8 between quotes; characters that would end the
    # header (quotes, CR, LF, NUL) need RFC 5987's filename*=, which Django decodes.
    if re.search(r'["\r\n\x00]', part.name):
        encoded_name = "filename*=UTF-8''" + quote(part.name, safe="")
    else:
        encoded_name = f'filename="{part.name}"'
    return f'Content-Disposition: form-data; name="{part.field}"; {encoded_name}'.encode()


def multipart(fields: dict[str, str], parts: list[Part]) -> tuple[bytes, str]:
    boundary = "----civicdesk" + uuid.uuid4().hex
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode(),
        ]
    for part in parts:
        lines += [
            f"--{boundary}".encode(),
            _disposition(part),
            f"Content-Type: {part.content_type}".encode(),
            b"",
            part.content,
        ]
    lines += [f"--{boundary}--".encode(), b""]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"


# --- channels --------------------------------------------------------------------------------


@dataclass
class Sent:
    response: Any
    case_id: int | None  # the case the file was meant for (portal: created, or None)


@dataclass
class Channel:
    """One way a file reaches civicdesk: how to send files and read the answer."""

    name: str
    field: str
    images_only: bool
    refused_status: int
    accepted_status: int
    setup: Callable[[World], Any] = field(repr=False)
    send: Callable[[Any, list[Part], dict[str, str]], Sent] = field(repr=False)
    problems: Callable[[Any], list[str]] = field(repr=False)


def _staff_web(world: World) -> dict[str, Any]:
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(world.users["clerk"])
    return {"client": web, "case_id": create_case(world)["id"]}


def _staff_web_send(ctx: dict[str, Any], parts: list[Part], extra: dict[str, str]) -> Sent:
    body, content_type = multipart(extra, parts)
    url = reverse("workbench:case_attachment_add", args=[ctx["case_id"]])
    return Sent(ctx["client"].generic("POST", url, body, content_type), ctx["case_id"])


def _staff_web_problems(response: Any) -> list[str]:
    found = re.findall(r'data-field="file">(.*?)</div>', response.content.decode())
    return [html.unescape(problem) for problem in found]


def _api(world: World) -> dict[str, Any]:
    return {"client": world.client("clerk"), "case_id": create_case(world)["id"]}


def _api_send(ctx: dict[str, Any], parts: list[Part], extra: dict[str, str]) -> Sent:
    body, content_type = multipart(extra, parts)
    url = f"/api/v1/cases/{ctx['case_id']}/attachments"
    response = ctx["client"].generic("POST", url, body, content_type, HTTP_ACCEPT_LANGUAGE="en")
    return Sent(response, ctx["case_id"])


def _api_problems(response: Any) -> list[str]:
    body = response.json()
    assert body["code"] == "invalid" and body["message"], body
    return list(body["errors"].get("file", []))


def _portal(world: World) -> dict[str, Any]:
    return {"client": Client(HTTP_ACCEPT_LANGUAGE="en"), "world": world}


def portal_form(world: World) -> dict[str, str]:
    return {
        "category": "REQ-WAGE",
        "description": "小区门口的路灯坏了两个星期，晚上很黑。",
        "address": "东门社区幸福路8号",
        "area": world.village_a.code,
        "name": "李四",
        "phone": "13912345678",
        "email": "",
        "idempotency_key": uuid.uuid4().hex,
        "website": "",
    }


def _portal_send(ctx: dict[str, Any], parts: list[Part], extra: dict[str, str]) -> Sent:
    body, content_type = multipart({**portal_form(ctx["world"]), **extra}, parts)
    before = set(Case.objects.values_list("pk", flat=True))
    response = ctx["client"].generic("POST", "/portal/submit/", body, content_type)
    created = set(Case.objects.values_list("pk", flat=True)) - before
    return Sent(response, created.pop() if created else None)


def _portal_problems(response: Any) -> list[str]:
    found = re.findall(r'data-error-for="photos">(.*?)</div>', response.content.decode())
    return [html.unescape(problem) for problem in found]


CHANNELS = [
    Channel("staff-web", "file", False, 422, 302, _staff_web, _staff_web_send, _staff_web_problems),
    Channel("staff-api", "file", False, 422, 201, _api, _api_send, _api_problems),
    Channel("portal", "photos", True, 400, 302, _portal, _portal_send, _portal_problems),
]


# --- fixtures and checks ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _settings(settings: Any, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CIVICDESK_MAX_ATTACHMENT_BYTES = LIMIT
    settings.CIVICDESK_RATE_PORTAL_SUBMIT_IP = "1000/h"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@dataclass
class Counts:
    cases: int
    attachments: int
    events: int
    files: list[Path]

    @classmethod
    def now(cls, tmp_path: Path) -> Counts:
        return cls(
            Case.objects.count(),
            Attachment.objects.count(),
            CaseEvent.objects.count(),
            files_under(tmp_path),
        )


def assert_nothing_written(before: Counts, tmp_path: Path) -> None:
    assert Counts.now(tmp_path) == before


def expected_refusal(row: Hostile, channel: Channel) -> str | None:
    """The refusal kind this row meets on this channel, or None when it is accepted."""
    if row.expect == "as_sent":
        return "only_photos" if channel.images_only else None
    if row.expect == "unknown" and channel.images_only:
        return "only_photos"
    return None if row.expect == "clean" else row.expect


def stored_bytes(attachment: Attachment) -> bytes:
    with attachment.file.open("rb") as stored:
        return stored.read()


def assert_served_safely(world: World, attachment: Attachment) -> None:
    """The attachment view: the sniffed type (never HTML), nosniff, a sandbox; documents are
    downloads."""
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(world.users["clerk"])
    url = reverse("workbench:case_attachment", args=[attachment.case_id, attachment.pk])
    response = web.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == attachment.content_type == sniff(body)
    assert "html" not in response["Content-Type"] and "svg" not in response["Content-Type"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    if not attachment.content_type.startswith("image/"):
        assert response["Content-Disposition"].startswith("attachment;")
    assert body == stored_bytes(attachment)


def assert_clean_image(attachment: Attachment) -> None:
    content = stored_bytes(attachment)
    lowered = content.lower()
    for marker in PAYLOAD_MARKERS:
        assert marker not in lowered, marker
    assert b"Exif" not in content and b"tEXt" not in content and b"zTXt" not in content
    assert b"iTXt" not in content
    image = Image.open(io.BytesIO(content))
    image.load()
    assert image.format == {"image/jpeg": "JPEG", "image/png": "PNG"}[attachment.content_type]
    assert not {"comment", "exif", "xmp", "Comment", "icc_profile"} & set(image.info)


def assert_stored_by_hash(attachment: Attachment, media: Path) -> None:
    """The name never reaches the file system: the file lies under media/attachments/ named
    by its hash, and nothing else was written."""
    path = Path(attachment.file.path).resolve()
    assert path.is_relative_to(media.resolve() / "attachments")
    assert path.name.startswith(attachment.sha256)
    assert files_under(media) == [Path(attachment.file.path)]


# --- the table: every hostile file over every channel ----------------------------------------


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: c.name)
@pytest.mark.parametrize("row", HOSTILE, ids=lambda r: r.id)
def test_hostile_file(world: World, tmp_path: Path, row: Hostile, channel: Channel) -> None:
    ctx = channel.setup(world)
    before = Counts.now(tmp_path)
    part = Part(channel.field, row.name, row.content(), row.content_type)
    sent = channel.send(ctx, [part], {})
    refusal = expected_refusal(row, channel)
    if refusal is not None:
        assert sent.response.status_code == channel.refused_status, sent.response.content[:500]
        problems = channel.problems(sent.response)
        assert problems and all(REFUSALS[refusal] in problem for problem in problems), problems
        assert_nothing_written(before, tmp_path)
        return
    assert sent.response.status_code == channel.accepted_status, sent.response.content[:2000]
    assert sent.case_id is not None
    attachment = Attachment.objects.get(case_id=sent.case_id)
    assert attachment.original_name == row.stored_name
    assert attachment.content_type == (row.stored_type or sniff(stored_bytes(attachment)))
    if row.expect == "clean":
        assert_clean_image(attachment)
    else:
        assert stored_bytes(attachment) == part.content  # a document is kept as sent
    assert_stored_by_hash(attachment, Path(str(tmp_path / "media")))
    assert_served_safely(world, attachment)


# --- requests too big or with too many files -------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: c.name)
def test_a_body_over_the_form_data_limit_is_a_bad_request(
    world: World, tmp_path: Path, settings: Any, channel: Channel
) -> None:
    ctx = channel.setup(world)
    before = Counts.now(tmp_path)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096  # counts the form fields, not the files
    parts = [Part(channel.field, "p.jpg", jpeg())]
    sent = channel.send(ctx, parts, {"padding": "x" * 8192})
    assert sent.response.status_code == 400
    assert_nothing_written(before, tmp_path)


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: c.name)
def test_more_files_than_django_takes_is_a_bad_request(
    world: World, tmp_path: Path, settings: Any, channel: Channel
) -> None:
    ctx = channel.setup(world)
    before = Counts.now(tmp_path)
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    parts = [Part(channel.field, f"{n}.jpg", jpeg()) for n in range(4)]
    assert channel.send(ctx, parts, {}).response.status_code == 400
    assert_nothing_written(before, tmp_path)


def test_ten_photos_on_the_portal_are_refused_and_nothing_is_written(
    world: World, tmp_path: Path
) -> None:
    portal = CHANNELS[2]
    ctx = portal.setup(world)
    before = Counts.now(tmp_path)
    sent = portal.send(ctx, [Part("photos", f"{n}.jpg", jpeg()) for n in range(10)], {})
    assert sent.response.status_code == 400
    assert portal.problems(sent.response) == ["Attach at most 9 photos."]
    assert_nothing_written(before, tmp_path)


def test_one_bad_photo_among_good_ones_leaves_no_case_and_no_orphan_files(
    world: World, tmp_path: Path
) -> None:
    portal = CHANNELS[2]
    ctx = portal.setup(world)
    before = Counts.now(tmp_path)
    parts = [Part("photos", f"{n}.jpg", jpeg()) for n in range(8)]
    parts.insert(5, Part("photos", "evil.jpg", SVG_ONLOAD))
    sent = portal.send(ctx, parts, {})
    assert sent.response.status_code == 400
    [problem] = portal.problems(sent.response)
    assert problem.startswith("evil.jpg: ") and REFUSALS["markup"] in problem
    assert_nothing_written(before, tmp_path)


# --- hostile names are shown escaped ---------------------------------------------------------

EVIL_NAME = '"><img src=x onerror=alert(1)>'


def test_a_hostile_name_is_escaped_on_the_case_page(world: World) -> None:
    ctx = _staff_web(world)
    sent = _staff_web_send(ctx, [Part("file", EVIL_NAME + ".jpg", jpeg())], {})
    assert sent.response.status_code == 302
    page = ctx["client"].get(reverse("workbench:case", args=[ctx["case_id"]])).content.decode()
    assert EVIL_NAME not in page
    assert html.escape(EVIL_NAME) in page


def test_a_hostile_name_is_escaped_in_the_portals_refusal(world: World, tmp_path: Path) -> None:
    ctx = _portal(world)
    before = Counts.now(tmp_path)
    sent = _portal_send(ctx, [Part("photos", EVIL_NAME + ".jpg", HTML_PAGE)], {})
    assert sent.response.status_code == 400
    page = sent.response.content.decode()
    assert EVIL_NAME not in page and "<script>alert" not in page
    assert html.escape(EVIL_NAME) in page
    assert_nothing_written(before, tmp_path)


# --- Open311: media_url is text, never fetched; files are ignored ----------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Any attempt by the server to open a connection (a fetch of media_url) is recorded and
    fails. The database (SQLite here; libpq for PostgreSQL) does not go through Python's
    socket module."""
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise OSError("the test forbids network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def open311_post(world: World, fmt: str = "json", **extra: str) -> Any:
    _client, key = api_client_issue(name="City app", area_code=world.county.code)
    fields = {
        "api_key": key,
        "service_code": "REQ-WAGE",
        "description": "路灯坏了",
        "first_name": "三",
        "last_name": "张",
        "lat": "30.2",
        "long": "120.2",
        **extra,
    }
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(f"/open311/v2/requests.{fmt}", fields)


@pytest.mark.parametrize(
    "media_url",
    [
        "javascript:alert(document.domain)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "ftp://10.0.0.1/photo.jpg",
        "//evil.example/photo.jpg",
        "http://",
        " javascript:alert(1)",
    ],
)
def test_open311_refuses_a_media_url_that_is_not_http(
    world: World, tmp_path: Path, no_network: list[Any], media_url: str
) -> None:
    before = Counts.now(tmp_path)
    response = open311_post(world, media_url=media_url)
    assert response.status_code == 400
    body = json.loads(response.content)
    assert [error["description"].split(":")[0] for error in body] == ["media_url"]
    assert no_network == []
    assert_nothing_written(before, tmp_path)


@pytest.mark.parametrize(
    "media_url",
    [
        "http://127.0.0.1:8000/admin/",
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://[::1]/",
        "https://localhost/photo.jpg",
        'https://example.org/a.jpg?x="><script>alert(1)</script>',
    ],
)
def test_open311_stores_a_media_url_as_text_and_never_fetches_it(
    world: World, tmp_path: Path, no_network: list[Any], media_url: str
) -> None:
    response = open311_post(world, media_url=media_url)
    assert response.status_code == 200, response.content
    code = json.loads(response.content)[0]["service_request_id"]
    case = Case.objects.get(receipt_code=code)
    assert case.open311.media_url == media_url  # type: ignore[attr-defined]
    assert no_network == []  # not fetched, not even resolved
    assert not Attachment.objects.filter(case=case).exists() and files_under(tmp_path) == []
    # Shown back escaped, as the text that was sent.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    shown = client.get(f"/open311/v2/requests/{code}.json").json()[0]["media_url"]
    assert shown == media_url
    xml = client.get(f"/open311/v2/requests/{code}.xml").content
    assert b"<script>" not in xml
    assert re.search(rb"<media_url>([^<]*)</media_url>", xml)
    # Staff pages do not turn it into anything but escaped text or an http(s) link.
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(world.users["clerk"])
    page = web.get(reverse("workbench:case", args=[case.pk])).content.decode()
    assert "<script>alert(1)" not in page
    for href in re.findall(r'href="([^"]*)"', page):
        if "example.org" in href or "169.254" in href or "127.0.0.1" in href:
            assert href.startswith(("http://", "https://")), href


def test_open311_ignores_files_sent_along(
    world: World, tmp_path: Path, no_network: list[Any]
) -> None:
    _client, key = api_client_issue(name="City app", area_code=world.county.code)
    fields = {
        "api_key": key,
        "service_code": "REQ-WAGE",
        "description": "路灯坏了",
        "first_name": "三",
        "last_name": "张",
        "lat": "30.2",
        "long": "120.2",
    }
    parts = [Part("media", "evil.svg", SVG_SCRIPT, "image/svg+xml"), Part("file", "a.jpg", jpeg())]
    body, content_type = multipart(fields, parts)
    response = Client().generic("POST", "/open311/v2/requests.json", body, content_type)
    assert response.status_code == 200, response.content
    assert not Attachment.objects.exists() and files_under(tmp_path) == []
    assert no_network == []


@pytest.mark.parametrize("channel", CHANNELS[:2], ids=lambda c: c.name)
def test_a_file_field_sent_as_text_is_refused_naming_the_field(
    world: World, tmp_path: Path, channel: Channel
) -> None:
    ctx = channel.setup(world)
    before = Counts.now(tmp_path)
    sent = channel.send(ctx, [], {"file": HTML_PAGE.decode()})
    assert sent.response.status_code == 422
    if channel.name == "staff-web":
        assert channel.problems(sent.response) == ["Choose a file to attach."]
    else:
        assert list(sent.response.json()["errors"]) == ["file"]
    assert_nothing_written(before, tmp_path)
