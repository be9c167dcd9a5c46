"""Safe uploads: types by content, size limit, images re-encoded without metadata (issue 4)."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import ExifTags, Image

from civicdesk.cases.attachments import (
    MAX_IMAGE_EDGE,
    PreparedUpload,
    attachment_add,
    attachment_save,
    clean_name,
    prepare_upload,
)
from civicdesk.cases.models import Attachment, Case, CaseEvent
from civicdesk.core.errors import NotFound, ValidationFailed
from tests.helpers import create_case, tiny_png

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
RED = (255, 0, 0)
BLUE = (0, 0, 255)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Each test stores files in its own folder, so files written can be counted."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _english():
    # Messages and default file names are read in English, whatever language an earlier test
    # left active in this thread.
    with translation.override("en"):
        yield


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def refusal(content: bytes, name: str = "photo.jpg", **options) -> tuple[str, str]:
    """(field, message) of the one error prepare_upload raises, in English."""
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        prepare_upload(upload(name, content), **options)
    [(field, [message])] = caught.value.errors.items()
    return field, message


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, RED)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 30.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret-comment")
    return out.getvalue()


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with almost no data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def reopened(prepared: PreparedUpload) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.content))
    image.load()
    return image


# --- images are re-encoded ---------------------------------------------------------------


def test_exif_gps_and_comments_are_removed():
    source = jpeg_with_gps()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    prepared = prepare_upload(upload("IMG_0001.JPG", source))
    assert prepared.content_type == "image/jpeg"
    assert prepared.name == "IMG_0001.jpg"
    image = reopened(prepared)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert "comment" not in image.info
    for secret in (b"Exif", b"PhoneMaker", b"secret-comment"):
        assert secret not in prepared.content


def test_stored_file_has_no_exif(world, media):
    case_id = create_case(world)["id"]
    attachment = attachment_add(
        actor=world.users["clerk"], case_id=case_id, upload=upload("现场.jpg", jpeg_with_gps())
    )
    with attachment.file.open("rb") as stored:
        content = stored.read()
    assert b"Exif" not in content and b"PhoneMaker" not in content
    assert dict(Image.open(io.BytesIO(content)).getexif()) == {}
    assert attachment.size == len(content) and len(stored_files(media)) == 1


@pytest.mark.parametrize("profile", ["sRGB", "broken"])
def test_colour_profiles_are_dropped_and_never_refuse_a_photo(profile):
    from PIL import ImageCms

    icc = (
        ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        if profile == "sRGB"
        else b"not a colour profile" * 8
    )
    photo = encoded(Image.new("RGB", (16, 16), RED), "JPEG", icc_profile=icc)
    assert Image.open(io.BytesIO(photo)).info["icc_profile"] == icc
    prepared = prepare_upload(upload("p.jpg", photo))
    image = reopened(prepared)
    assert "icc_profile" not in image.info
    red = image.getpixel((8, 8))
    assert isinstance(red, tuple) and red[0] > 200 and red[1] < 60


def test_exif_orientation_is_applied_before_it_is_dropped():
    # Stored landscape with "rotate 90° clockwise to display": the photo is really portrait.
    image = Image.new("RGB", (80, 40), BLUE)
    image.paste(RED, (0, 0, 40, 40))  # left half red: on top once upright
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    prepared = prepare_upload(upload("turned.jpg", encoded(image, "JPEG", exif=exif)))
    upright = reopened(prepared)
    assert upright.size == (40, 80)
    assert dict(upright.getexif()) == {}
    top, bottom = upright.getpixel((20, 10)), upright.getpixel((20, 70))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_payload_appended_to_an_image_does_not_survive(fmt):
    payload = b"PK\x03\x04hidden.zip" + b"<html><script>alert(document.cookie)</script></html>"
    picture = encoded(Image.new("RGB", (32, 32), RED), fmt)
    prepared = prepare_upload(upload("photo.jpg", picture + payload))
    assert b"<script" not in prepared.content and b"PK\x03\x04" not in prepared.content
    assert reopened(prepared).size == (32, 32)
    assert prepared.content_type == ("image/jpeg" if fmt == "JPEG" else "image/png")


def test_a_large_photo_is_scaled_down():
    prepared = prepare_upload(upload("wide.jpg", encoded(Image.new("RGB", (5000, 50)), "JPEG")))
    assert reopened(prepared).size == (MAX_IMAGE_EDGE, 41)


def test_gif_becomes_png_and_webp_becomes_jpeg():
    gif = encoded(Image.new("P", (10, 10)), "GIF", comment=b"gif-comment")
    prepared = prepare_upload(upload("anim.gif", gif))
    assert (prepared.content_type, prepared.name) == ("image/png", "anim.png")
    assert b"gif-comment" not in prepared.content
    webp = encoded(Image.new("RGBA", (10, 10), (0, 0, 255, 0)), "WEBP")
    prepared = prepare_upload(upload("photo.webp", webp))
    assert (prepared.content_type, prepared.name) == ("image/jpeg", "photo.jpg")
    assert reopened(prepared).getpixel((5, 5)) == (255, 255, 255)  # transparent: on white


def test_a_clean_png_keeps_its_pixels():
    prepared = prepare_upload(upload("x.png", tiny_png()))
    assert reopened(prepared).getpixel((0, 0)) == (255, 0, 0)


# --- refused by content ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"\xef\xbb\xbf  \n<html><script>alert(1)</script></html>",
        " <html><script>alert(1)</script></html>".encode("utf-16"),
        b"\xef\xbb\xbf\xef\xbb\xbf\r\n<svg onload='alert(1)'/>",
    ],
)
def test_svg_and_html_are_refused_whatever_their_name(content):
    field, message = refusal(content, name="photo.jpg")
    assert field == "file"
    assert message.startswith("This kind of file is not accepted")
    assert "SVG" in message


def test_a_pdf_named_jpg_is_stored_as_pdf():
    prepared = prepare_upload(upload("现场照片.jpg", PDF))
    assert (prepared.content_type, prepared.name, prepared.content) == (
        "application/pdf",
        "现场照片.pdf",
        PDF,
    )
    field, message = refusal(PDF, field="photos", images_only=True)
    assert field == "photos" and "Only photos" in message


def test_heic_is_refused_with_advice():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    field, message = refusal(heic, name="IMG_0001.HEIC")
    assert field == "file" and "JPEG or PNG" in message


def test_an_oversized_file_is_refused_naming_the_field(settings):
    settings.CIVICDESK_MAX_ATTACHMENT_BYTES = 1024
    field, message = refusal(PDF + b"0" * 1024, field="photo_3")
    assert field == "photo_3" and "1024" not in message and "MB" in message

    class Unsized(io.BytesIO):
        """A stream that does not say its size: only what is read counts."""

        name = "big.pdf"

    with pytest.raises(ValidationFailed) as caught:
        prepare_upload(Unsized(PDF + b"0" * 4096))
    assert list(caught.value.errors) == ["file"]


@pytest.mark.parametrize("size", [(30000, 30000), (9000, 9000)])
def test_a_decompression_bomb_is_refused_cleanly(size):
    field, message = refusal(png_declaring(*size), name="bomb.png")
    assert field == "file" and "too many pixels" in message


def test_a_truncated_or_corrupt_image_is_refused():
    photo = encoded(Image.effect_noise((256, 256), 64).convert("RGB"), "JPEG")
    assert "damaged" in refusal(photo[: len(photo) // 2])[1]
    png = bytearray(encoded(Image.new("RGB", (16, 16), RED), "PNG"))
    png[40] ^= 0xFF  # a byte of image data: the chunk's checksum no longer matches
    assert "damaged" in refusal(bytes(png), name="x.png")[1]


def test_an_empty_file_is_refused():
    assert refusal(b"") == ("file", "The file is empty.")


def test_refusals_write_nothing(world, media, settings):
    settings.CIVICDESK_MAX_ATTACHMENT_BYTES = 64 * 1024
    case_id = create_case(world)["id"]
    events = CaseEvent.objects.count()
    photo = encoded(Image.new("RGB", (64, 64), RED), "JPEG")
    for name, content in [
        ("empty.jpg", b""),
        ("big.pdf", PDF + b"0" * 65 * 1024),
        ("bomb.png", png_declaring(30000, 30000)),
        ("cut.jpg", photo[:200]),
        ("x.svg", b"<svg onload='alert(1)'/>"),
        ("a.exe", b"MZ\x90\x00\x03" + b"\x00" * 64),
    ]:
        with pytest.raises(ValidationFailed):
            attachment_add(
                actor=world.users["clerk"], case_id=case_id, upload=upload(name, content)
            )
    assert Attachment.objects.count() == 0 and CaseEvent.objects.count() == events
    assert stored_files(media) == []


def test_outside_scope_is_not_found_before_the_file_is_read(world, media):
    case_id = create_case(world)["id"]
    with pytest.raises(NotFound):
        attachment_add(
            actor=world.users["town_clerk"], case_id=case_id, upload=upload("x.png", tiny_png())
        )
    assert Attachment.objects.count() == 0 and stored_files(media) == []


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\张三\\IMG 0001.JPEG", "IMG 0001.jpg"),
        ("身份证.复印件", "身份证.复印件.jpg"),
        ("evil\u202egpj.exe", "evilgpj.jpg"),
        ("a\x00b\nc.jpg", "abc.jpg"),
        ("", "attachment.jpg"),
        (".jpg", "attachment.jpg"),
        (None, "attachment.jpg"),
    ],
)
def test_file_names_are_cleaned(raw, cleaned):
    assert clean_name(raw, extension="jpg") == cleaned


def test_long_names_are_cut_keeping_the_real_extension():
    name = clean_name("照" * 300 + ".png", extension="pdf")
    assert len(name) == 200 and name.endswith("照.pdf")


# --- saving --------------------------------------------------------------------------------


def test_a_resident_upload_is_saved_without_an_actor(world, media):
    case = Case.objects.get(pk=create_case(world)["id"])
    prepared = [prepare_upload(upload(f"p{n}.png", tiny_png()), field="photos") for n in range(2)]
    with transaction.atomic():
        saved = [
            attachment_save(case=case, prepared=item, actor=None, by_resident=True)
            for item in prepared
        ]
    assert [a.uploaded_by for a in saved] == [None, None]
    events = CaseEvent.objects.filter(case=case, kind="attachment_added").order_by("id")
    assert [e.params["by"] for e in events] == ["resident", "resident"]
    assert [e.actor for e in events] == [None, None]
    assert [e.params["name"] for e in events] == ["p0.png", "p1.png"]
    assert len(stored_files(media)) == 2


def test_a_staff_upload_event_does_not_say_resident(world):
    case_id = create_case(world)["id"]
    attachment_add(actor=world.users["clerk"], case_id=case_id, upload=upload("a.pdf", PDF))
    event = CaseEvent.objects.get(case_id=case_id, kind="attachment_added")
    assert event.actor == world.users["clerk"] and "by" not in event.params
    assert event.params["content_type"] == "application/pdf"


def test_saving_rolls_back_with_the_callers_transaction(world):
    case = Case.objects.get(pk=create_case(world)["id"])
    prepared = prepare_upload(upload("p.png", tiny_png()))
    events = CaseEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        attachment_save(case=case, prepared=prepared, actor=None, by_resident=True)
        raise RuntimeError("the case could not be created")
    assert Attachment.objects.count() == 0 and CaseEvent.objects.count() == events


# --- through the staff upload view ------------------------------------------------------------


def browser(world, username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-GB")
    client.force_login(world.users[username])
    return client


def post_file(client: Client, case_id: int, name: str, content: bytes):
    return client.post(
        reverse("workbench:case_attachment_add", args=[case_id]),
        {"file": SimpleUploadedFile(name, content)},
    )


def test_the_staff_upload_view_stores_clean_photos_and_shows_refusals(world, media):
    case_id = create_case(world)["id"]
    clerk = browser(world, "clerk")
    assert post_file(clerk, case_id, "gps.jpg", jpeg_with_gps()).status_code == 302
    attachment = Attachment.objects.get(case_id=case_id)
    served = clerk.get(reverse("workbench:case_attachment", args=[case_id, attachment.pk]))
    content = b"".join(served.streaming_content)
    assert served["Content-Type"] == "image/jpeg" and b"Exif" not in content

    response = post_file(clerk, case_id, "bomb.png", png_declaring(30000, 30000))
    assert response.status_code == 422
    assert re.search(r'data-field="file">The image has too many pixels', response.content.decode())
    assert Attachment.objects.filter(case_id=case_id).count() == 1
    assert len(stored_files(media)) == 1


def test_the_staff_upload_view_is_not_found_outside_scope(world, media):
    case_id = create_case(world)["id"]
    response = post_file(browser(world, "town_clerk"), case_id, "gps.jpg", jpeg_with_gps())
    assert response.status_code == 404
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_a_malformed_or_oversized_request_is_a_bad_request_not_a_crash(world, settings):
    case_id = create_case(world)["id"]
    url = reverse("workbench:case_attachment_add", args=[case_id])
    clerk = browser(world, "clerk")
    broken = b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n\xff'
    # A body cut short: Django drops the unfinished part, the form says a file is missing.
    response = clerk.post(url, broken, content_type="multipart/form-data; boundary=XYZ")
    assert response.status_code == 422
    assert 'data-field="file">Choose a file to attach.' in response.content.decode()
    # No boundary, or too many files: Django answers 400 before the view runs.
    response = clerk.post(url, broken, content_type="multipart/form-data; boundary=")
    assert response.status_code == 400
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [SimpleUploadedFile(f"{n}.png", tiny_png()) for n in range(3)]
    assert clerk.post(url, {"file": files}).status_code == 400
    assert not Attachment.objects.exists()
