"""Browser tests: Playwright driving Debian's Chromium against Django's live test server.

`make test` installs the `chromium` package when it is missing (scripts/ensure-chromium.sh);
CIVICDESK_CHROMIUM points elsewhere if needed. Playwright's own browser download is not used.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the test code's database calls are
# still synchronous, which Django would otherwise refuse inside a running loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.conftest import World

CHROMIUM = os.environ.get("CIVICDESK_CHROMIUM", "/usr/bin/chromium")
# Without these Chromium keeps trying to reach Google's hosts on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/ensure-chromium.sh as root")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def _fast_axes(settings: Any) -> None:
    settings.AXES_ENABLED = True


@pytest.fixture
def e2e_world(transactional_db: Any, live_server: Any, world: World) -> World:
    """The shared test county, served by a live server that browsers can reach."""
    return world


SignIn = Callable[..., Page]


@pytest.fixture
def sign_in(browser: Browser, live_server: Any, e2e_world: World) -> Iterator[SignIn]:
    """Opens a new browser session (own cookies) and signs `username` in through the form."""
    contexts: list[BrowserContext] = []

    def _sign_in(
        username: str, *, locale: str = "zh-CN", viewport: dict[str, int] | None = None
    ) -> Page:
        context = browser.new_context(locale=locale, viewport=viewport or DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "pw-" + username)
        page.click("#sign-in")
        page.wait_for_url(live_server.url + "/")
        return page

    yield _sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def anonymous_page(browser: Browser, live_server: Any) -> Iterator[Callable[..., Page]]:
    contexts: list[BrowserContext] = []

    def _open(*, locale: str = "zh-CN", viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(locale=locale, viewport=viewport or DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()
