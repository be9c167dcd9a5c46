"""The auditor reads the access log in a real browser: a case opened by a clerk shows up, the
filters narrow it, and the page fits a phone."""

from __future__ import annotations

from typing import Any

from tests.conftest import World
from tests.helpers import create_case

PHONE = {"width": 390, "height": 844}


def test_auditor_finds_who_opened_a_case(sign_in: Any, live_server: Any, e2e_world: World) -> None:
    case = create_case(e2e_world)
    clerk = sign_in("clerk", locale="en-GB")
    clerk.goto(f"{live_server.url}/cases/{case['id']}/")
    page = sign_in("auditor", locale="en-GB")
    page.click("#main-nav a[href='/audit/']")
    page.wait_for_url(live_server.url + "/audit/")
    row = page.locator("#audit-table tbody tr[data-action='view_case']")
    assert row.count() == 1
    assert case["receipt_code"] in row.inner_text() and "clerk" in row.inner_text()
    page.fill("#id_user", "dispatcher")
    with page.expect_navigation():
        page.click("#audit-filter-submit")
    assert page.locator("#audit-empty").is_visible()


def test_log_fits_a_phone(sign_in: Any, live_server: Any, e2e_world: World) -> None:
    page = sign_in("auditor", locale="en-GB", viewport=PHONE)
    page.goto(live_server.url + "/audit/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert page.locator("#audit-filter-submit").is_visible()
