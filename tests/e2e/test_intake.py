"""Registering a case at the window with the keyboard only, and the look-ups while typing.

The first test is also the measurement for docs/benchmarks.md: it counts every keystroke it
sends and times the server's answer to the submit, and writes both to var/intake-measure.json.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from playwright.sync_api import Page, expect

from civicdesk.cases.intake import case_create
from civicdesk.cases.models import Case
from civicdesk.cases.search import segment
from tests.conftest import World, case_payload

TITLE = "拖欠工资三个月"
DESCRIPTION = "某建筑公司拖欠农民工工资三个月，共计两万元，多次讨要未果。"
ADDRESS = "幸福路8号"
PHONE = "13812345678"


class Keys:
    """Sends keys to the page and counts them as a clerk would press them.

    Chinese text is typed through an input method in real life: we count one keystroke per two
    Chinese characters (pinyin with phrase prediction), an estimate; every other character is
    one key, and a chord such as Control+Enter is as many keys as it names.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        chinese = sum(1 for char in text if ord(char) > 127)
        self.count += (len(text) - chinese) + math.ceil(chinese / 2)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += key.count("+") + 1


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_clerk_registers_a_typical_case_with_the_keyboard_only(
    sign_in: Any, e2e_world: World, live_server: Any
) -> None:
    cache.clear()
    # jieba loads its dictionary on first use (about 2 s, once per process); the live server
    # shares this process, so warm it here to measure the steady state of a running server.
    segment("预热")
    page = sign_in("clerk", locale="en-GB")
    page.goto(live_server.url + "/intake/")
    assert focused_id(page) == "id_category_input"
    keys = Keys(page)

    keys.type("gztq")  # pinyin initials of 工资拖欠
    expect(page.locator("#category-list [data-code=REQ-WAGE]")).to_be_visible()
    keys.press("Enter")  # chooses, and moves on to the title
    assert focused_id(page) == "id_title"
    expect(page.locator("#id_type")).to_have_value("request")
    keys.type(TITLE)
    keys.press("Tab")
    keys.type(DESCRIPTION)
    keys.press("Tab")
    assert focused_id(page) == "id_area_input"
    keys.type("dmsq")  # 东门社区
    keys.press("Enter")
    assert focused_id(page) == "id_address"
    keys.type(ADDRESS)
    keys.press("Tab")
    assert focused_id(page) == "id_party-0-name"
    keys.type("张三")
    keys.press("Tab")
    keys.type(PHONE)
    with page.expect_response(
        lambda r: r.url.endswith("/intake/") and r.request.method == "POST"
    ) as posted:
        keys.press("Control+Enter")
    response = posted.value
    timing = response.request.timing
    server_ms = timing["responseStart"] - timing["requestStart"]
    page.wait_for_url("**/intake/*/")

    case = Case.objects.select_related("category", "area").get()
    assert page.locator("#receipt-code").inner_text() == case.receipt_code
    assert (case.category.code, case.type, case.channel) == ("REQ-WAGE", "request", "walk_in")
    assert (case.title, case.description, case.address) == (TITLE, DESCRIPTION, ADDRESS)
    assert case.area == e2e_world.village_a
    assert list(case.parties.values_list("role", "name", "phone")) == [("requester", "张三", PHONE)]
    # A trained clerk manages about three keys a second; a minute of keyboard work is 180.
    assert keys.count < 180
    measure = {"keystrokes": keys.count, "server_ms": round(server_ms, 1)}
    path = Path(settings.BASE_DIR) / "var" / "intake-measure.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(measure) + "\n")


def test_earlier_cases_duplicates_and_the_representative_limit_appear_while_typing(
    sign_in: Any, e2e_world: World, live_server: Any
) -> None:
    cache.clear()
    earlier, _created = case_create(
        actor=e2e_world.users["clerk"], data=case_payload(e2e_world, phone=PHONE)
    )
    page = sign_in("clerk", locale="en-GB")
    page.goto(live_server.url + "/intake/")
    page.keyboard.type("gongzi")  # full pinyin prefix
    page.keyboard.press("Enter")
    page.keyboard.type("建筑公司拖欠农民工工资")
    page.keyboard.press("Tab")
    page.keyboard.type("建筑公司拖欠农民工工资三个月")
    page.keyboard.press("Tab")
    page.keyboard.type(e2e_world.village_a.code)
    page.keyboard.press("Enter")
    duplicates = page.locator(f"#duplicate-list [data-case='{earlier.pk}']")
    expect(duplicates).to_contain_text(earlier.receipt_code)

    page.fill("#id_party-0-phone", PHONE)
    page.keyboard.press("Tab")  # leaving the field looks the number up
    expect(page.locator(f"#phone-match-list [data-about-case='{earlier.pk}']")).to_be_visible()

    for _ in range(5):
        page.click("#add-representative")
    expect(page.locator("select[name$='-role'] >> nth=5")).to_have_value("representative")
    expect(page.locator("#representative-limit")).to_be_hidden()
    page.click("#add-representative")
    expect(page.locator("#representative-limit")).to_be_visible()
    assert page.locator("[data-party-row]").count() == 6
