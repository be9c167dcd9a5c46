"""The case list in a real browser: htmx filtering without a reload, and the phone layout."""

from __future__ import annotations

from typing import Any

from civicdesk.cases.models import Case
from tests.conftest import World
from tests.e2e.conftest import PHONE
from tests.helpers import create_case, drive_to


def _cases(world: World) -> dict[str, int]:
    dispatched = drive_to(world, "dispatched")
    Case.objects.filter(pk=dispatched).update(warning_level=2)
    noise = create_case(
        world,
        type="complaint",
        category="CMP-NOISE",
        title="楼上装修噪音扰民，每天晚上十点以后仍在施工，严重影响休息",
        area=world.village_b.code,
    )["id"]
    return {"dispatched": dispatched, "noise": noise}


def test_filtering_updates_the_table_and_the_address_without_a_reload(
    sign_in: Any, e2e_world: World, live_server: Any
) -> None:
    cases = _cases(e2e_world)
    page = sign_in("dispatcher", locale="en-GB")
    page.goto(live_server.url + "/cases/")
    assert page.locator("#queue-table tbody tr[data-case-id]").count() == 2
    page.evaluate("window.__noReload = true")

    page.select_option("#filter-department", "D-HRSS")
    page.wait_for_url("**/cases/?department=D-HRSS")
    rows = page.locator("#queue-table tbody tr[data-case-id]")
    rows.first.wait_for()
    page.wait_for_function("document.querySelectorAll('#queue-table tr[data-case-id]').length == 1")
    assert rows.first.get_attribute("data-case-id") == str(cases["dispatched"])

    page.select_option("#filter-department", "")
    page.click("#filter-type")
    page.check("#type-complaint")
    page.wait_for_url("**/cases/?type=complaint")
    page.wait_for_function(
        "document.querySelector('#queue-table tr[data-case-id]')"
        f".dataset.caseId == '{cases['noise']}'"
    )
    assert page.evaluate("window.__noReload") is True
    assert "type=complaint" in page.get_attribute("#export-link", "href")

    # Back to the server-rendered page: the address alone reproduces the list.
    page.reload()
    assert page.locator("#type-complaint").is_checked()
    assert page.locator("#queue-table tr[data-case-id]").count() == 1


def test_phone_layout_has_no_sideways_scroll(
    sign_in: Any, e2e_world: World, live_server: Any
) -> None:
    _cases(e2e_world)
    page = sign_in("dispatcher", locale="en-GB", viewport=PHONE)
    page.goto(live_server.url + "/cases/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 2
    links = page.locator("#queue-table a.case-link")
    assert links.count() == 2
    for index in range(links.count()):
        assert links.nth(index).is_visible()
        box = links.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Each case is a card: its header row is hidden and its cells carry their labels.
    assert not page.locator("#queue-table thead").is_visible()


def test_supervision_board_draws_its_chart(
    sign_in: Any, e2e_world: World, live_server: Any
) -> None:
    _cases(e2e_world)
    page = sign_in("leader", locale="en-GB")
    page.goto(live_server.url + "/supervision/")
    assert page.locator("#total-overdue").get_attribute("data-count") == "1"
    page.locator("#overdue-chart canvas").wait_for()
