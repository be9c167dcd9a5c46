"""A leader enrols an authenticator app in the browser, keeps the recovery codes, and signs in
again with a code from the app and then with a recovery code, which then no longer works."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, Page

from tests.conftest import World
from tests.e2e.conftest import DESKTOP

pytestmark = pytest.mark.usefixtures("two_factor_on")


def _code_from_secret(secret_text: str, *, steps_ahead: int = 0) -> str:
    """What the phone would show after scanning: the TOTP of the secret on the page.
    A code is accepted once; the next sign-in uses the next 30-second code, which the server
    accepts too (one step of clock drift is allowed), so the test does not wait for it."""
    key = base64.b32decode(secret_text.replace(" ", ""))
    return f"{totp(key, drift=steps_ahead):06d}"


def _password_step(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login/")
    page.fill("#id_username", "leader")
    page.fill("#id_password", "pw-leader")
    page.click("#sign-in")


def test_leader_enrols_and_signs_in_with_the_app_then_a_recovery_code(
    browser: Browser, live_server: Any, e2e_world: World
) -> None:
    base = live_server.url
    context = browser.new_context(locale="en-GB", viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()

    _password_step(page, base)
    page.wait_for_url("**/two-factor/enrol/**")
    assert page.locator("#totp-qr svg").count() == 1
    secret = page.inner_text("#totp-secret")
    # Nothing else opens before the second step.
    page.goto(base + "/cases/")
    page.wait_for_url("**/two-factor/enrol/**")
    assert page.inner_text("#totp-secret") == secret

    page.fill("#id_code", _code_from_secret(secret))
    page.click("#submit-code")
    page.wait_for_url("**/two-factor/recovery-codes/**")
    codes = page.locator(".recovery-code").all_inner_texts()
    assert len(codes) == 10
    assert page.locator("#download-codes").get_attribute("download") == (
        "civicdesk-recovery-codes.txt"
    )
    page.click("#continue")
    page.wait_for_url("**/cases/")
    page.click("#user-menu")
    page.click("#sign-out")
    page.wait_for_url("**/login/**")

    _password_step(page, base)
    page.wait_for_url("**/two-factor/?**")
    page.fill("#id_code", _code_from_secret(secret, steps_ahead=1))
    page.click("#submit-code")
    page.wait_for_url(base + "/")
    page.click("#user-menu")
    page.click("#sign-out")
    page.wait_for_url("**/login/**")

    _password_step(page, base)
    page.wait_for_url("**/two-factor/?**")
    page.fill("#id_code", codes[0])
    page.click("#submit-code")
    page.wait_for_url(base + "/")
    page.click("#user-menu")
    page.click("#sign-out")
    page.wait_for_url("**/login/**")

    _password_step(page, base)
    page.wait_for_url("**/two-factor/?**")
    page.fill("#id_code", codes[0])
    page.click("#submit-code")
    assert "This code is not right" in page.inner_text("#code-errors")
    assert "/two-factor/" in page.url
    context.close()
