"""Sign-in, the language switch and the role landing pages, in a real browser."""

from __future__ import annotations

from typing import Any

from tests.conftest import World


def test_clerk_signs_in_and_lands_on_their_queues(sign_in: Any, e2e_world: World) -> None:
    page = sign_in("clerk")
    assert page.locator("h1").inner_text() == "我现在要处理的"
    assert page.locator("#queue-to_accept").is_visible()
    assert page.locator("#new-case").is_visible()


def test_language_switch_turns_every_label_to_english(sign_in: Any, e2e_world: World) -> None:
    page = sign_in("dispatcher")
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("h1").inner_text() == "What needs me now"
    heading = page.locator("#queue-to_dispatch h2").inner_text()
    assert heading == "Accepted, waiting to be dispatched"
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("h1").inner_text() == "我现在要处理的"


def test_english_browser_gets_english_sign_in(anonymous_page: Any, live_server: Any) -> None:
    page = anonymous_page(locale="en-GB")
    page.goto(live_server.url + "/login/")
    assert page.locator("h1").inner_text() == "Sign in to the workbench"
