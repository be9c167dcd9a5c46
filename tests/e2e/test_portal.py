"""The resident portal in a real browser on a phone-sized screen: report with a photo, follow
the case with the code, read the reply, rate it; ask for review inside and outside the window."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from civicdesk.cases.choices import ClockKind
from civicdesk.cases.models import Attachment, Case, CaseClock
from tests.conftest import World
from tests.e2e.conftest import PHONE
from tests.helpers import act_ok, drive_to


@pytest.fixture(autouse=True)
def _generous_limits(settings: Any) -> None:
    settings.CIVICDESK_RATE_PORTAL_SUBMIT_IP = "1000/h"
    settings.CIVICDESK_RATE_PORTAL_TRACK_IP = "1000/h"
    settings.CIVICDESK_RATE_PORTAL_ACTION_IP = "1000/h"


def phone_photo(folder: Path) -> Path:
    """A JPEG like a phone's: with EXIF that names the camera and where it was taken."""
    image = Image.new("RGB", (64, 48), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}  # GPS latitude
    path = folder / "street-light.jpg"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    path.write_bytes(buffer.getvalue())
    return path


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow


def track(page: Page, live_server: Any, code: str, digits: str) -> None:
    page.goto(f"{live_server.url}/track/?code={code}")
    page.fill("#id_phone_digits", digits)
    page.click("#track-submit")
    expect(page.locator("#resident-case")).to_be_visible()


def test_report_with_a_photo_follow_read_the_reply_and_rate(
    anonymous_page: Any, live_server: Any, e2e_world: World, tmp_path: Path
) -> None:
    page = anonymous_page(locale="en-GB", viewport=PHONE)
    page.goto(live_server.url + "/portal/")
    page.click("#go-submit")
    page.select_option("#id_category", "REQ-WAGE")
    # A request cannot be anonymous: the choice is not offered.
    expect(page.locator("#anonymous-choice")).to_be_hidden()
    page.fill("#id_description", "The street light at the gate has been out for two weeks.")
    page.set_input_files("#id_photos", str(phone_photo(tmp_path)))
    page.locator("#map").click(position={"x": 120, "y": 80})
    expect(page.locator("#pin-status")).to_contain_text(",")
    page.select_option("#id_area", e2e_world.village_a.code)
    page.fill("#id_name", "Li Si")
    page.fill("#id_phone", "13912345678")
    no_sideways_scroll(page)
    page.click("#send")
    expect(page.locator("#receipt-code")).to_be_visible()
    code = page.locator("#receipt-code").inner_text().strip()
    assert len(page.locator("#tracking-secret").inner_text().strip()) == 9
    no_sideways_scroll(page)

    case = Case.objects.get(receipt_code=code)
    assert case.latitude is not None and case.parties.get().language == "en"
    stored = Attachment.objects.get(case=case)
    with Image.open(stored.file.path) as kept:
        assert not kept.getexif(), "the photo keeps no EXIF (camera, GPS)"

    for action in ("accept", "dispatch", "sign", "report", "reply"):
        act_ok(e2e_world, case.pk, action)

    # Another day, another browser: the code and the last four digits open the case.
    later = anonymous_page(locale="en-GB", viewport=PHONE)
    track(later, live_server, code, "5678")
    expect(later.locator("#reply")).to_contain_text("企业已支付全部拖欠工资")
    expect(later.locator("#timeline [data-kind=reply]")).to_be_visible()
    later.check("#id_satisfaction_0")
    later.click("#rate-submit")
    expect(later.locator("#timeline [data-kind=rate]")).to_be_visible()
    expect(later.locator("#rate-card")).to_have_count(0)
    no_sideways_scroll(later)
    case.refresh_from_db()
    assert case.satisfaction == "satisfied"


def test_review_inside_the_window_and_not_after_it(
    anonymous_page: Any, live_server: Any, e2e_world: World
) -> None:
    inside = Case.objects.get(pk=drive_to(e2e_world, "replied", type="petition", category="PET"))
    page = anonymous_page(locale="zh-CN", viewport=PHONE)
    track(page, live_server, inside.receipt_code, "5678")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.fill("#id_review-reason", "对处理意见不服，请求上一级复查。")
    page.click("#review-submit")
    expect(page.locator("#reviews")).to_be_visible()
    review = Case.objects.get(review_of=inside)
    expect(page.locator("#reviews")).to_contain_text(review.receipt_code)
    expect(page.locator("#review-card")).to_have_count(0)

    outside = Case.objects.get(pk=drive_to(e2e_world, "replied", type="petition", category="PET"))
    # The reply was 31 days ago: the 30-day window has run out.
    CaseClock.objects.filter(case=outside, kind=ClockKind.REVIEW_REQUEST).update(
        due_at=timezone.now() - dt.timedelta(days=1)
    )
    track(page, live_server, outside.receipt_code, "5678")
    expect(page.locator("#review-card")).to_have_count(0)
    assert not Case.objects.filter(review_of=outside).exists()
