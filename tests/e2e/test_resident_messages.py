"""The case page's "Messages to the resident" card in a real browser: a failed message stands
out and is sent again with one click (htmx), on a phone's screen."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from civicdesk.notifications.models import OutboxMessage
from tests.conftest import World
from tests.e2e.conftest import PHONE
from tests.helpers import create_case


def test_a_failed_message_is_sent_again_from_the_case_page(
    e2e_world: World, sign_in: Any, live_server: Any, settings: Any
) -> None:
    settings.CIVICDESK_NOTIFY_CHANNELS = ["sms"]
    case_id = create_case(e2e_world)["id"]
    message = OutboxMessage.objects.get(case_id=case_id)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="failed", attempts=5, last_error="gateway said 503"
    )
    page = sign_in("clerk", locale="en-GB", viewport=PHONE)
    page.goto(f"{live_server.url}/cases/{case_id}/")
    item = page.locator(f'.resident-message[data-message="{message.pk}"]')
    expect(item).to_have_attribute("data-state", "failed")
    expect(item.locator(".message-state")).to_have_class("badge text-bg-danger message-state")
    expect(item.locator(".message-error")).to_have_text("Last error: gateway said 503")
    expect(item.locator(".message-recipient")).to_have_text("138****5678")
    # Nothing sticks out of a phone's screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width

    page.click(f"#resend-{message.pk}")
    expect(item).to_have_attribute("data-state", "pending")
    expect(page.locator(".alert-success")).to_contain_text("will be sent again now")
    expect(page.locator(f"#resend-{message.pk}")).to_have_count(0)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 0)
