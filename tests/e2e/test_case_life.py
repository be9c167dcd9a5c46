"""The case page in a real browser: a request's whole life through the action forms, each
step in its own signed-in session; a petition not accepted; scope; escaping."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from civicdesk.cases.models import Case
from tests.conftest import World
from tests.e2e.conftest import PHONE
from tests.helpers import act_ok, create_case, drive_to

ENGLISH = "en-GB"
# An action's answer can take a few seconds on a busy two-core test machine.
ANSWER_TIMEOUT = 15_000


def open_case(page: Page, live_server: Any, case_id: int) -> None:
    page.goto(f"{live_server.url}/cases/{case_id}/")
    expect(page.locator("#case-page")).to_be_visible()


def open_form(page: Page, action: str) -> Any:
    page.click(f"#open-{action}")
    # Bootstrap adds "show" once the opening animation has finished.
    expect(page.locator(f"#action-{action}.collapse.show")).to_be_visible()
    return page.locator(f"#action-form-{action}")


def submit(page: Page, action: str, expected_status: str) -> None:
    """Sends the form (htmx swaps the page body) and waits for the case's new version: some
    actions (a follow-up) leave the state as it was, and the next session must see the write."""
    seen_version = page.locator("#case-page").get_attribute("data-version")
    page.click(f"#submit-{action}")
    expect(page.locator("#case-page")).not_to_have_attribute(
        "data-version", seen_version or "", timeout=ANSWER_TIMEOUT
    )
    expect(page.locator("#case-page")).to_have_attribute("data-status", expected_status)
    expect(page.locator(".alert-success")).to_contain_text("is done")


def register_at_the_window(page: Page, live_server: Any) -> int:
    """The clerk registers a wage request on the intake page and reaches its confirmation."""
    page.goto(live_server.url + "/intake/")
    page.keyboard.type("gztq")  # pinyin initials of 工资拖欠
    page.keyboard.press("Enter")
    page.keyboard.type("Wages unpaid for three months")
    page.keyboard.press("Tab")
    page.keyboard.type("A building firm has not paid three months of wages.")
    page.keyboard.press("Tab")
    page.keyboard.type("dmsq")  # 东门社区
    page.keyboard.press("Enter")
    page.keyboard.type("8 Xingfu Road")
    page.keyboard.press("Tab")
    page.keyboard.type("Zhang San")
    page.keyboard.press("Tab")
    page.keyboard.type("13812345678")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/intake/*/")
    receipt_code = page.locator("#receipt-code").inner_text()
    return Case.objects.get(receipt_code=receipt_code).pk


def test_request_full_life_from_the_window_to_close(
    sign_in: Any, live_server: Any, e2e_world: World
) -> None:
    clerk = sign_in("clerk", locale=ENGLISH)
    case_id = register_at_the_window(clerk, live_server)
    open_case(clerk, live_server, case_id)
    open_form(clerk, "accept").locator('[name="note"]').fill("Papers complete")
    submit(clerk, "accept", "accepted")

    dispatcher = sign_in("dispatcher", locale=ENGLISH)
    open_case(dispatcher, live_server, case_id)
    form = open_form(dispatcher, "dispatch")
    # The suggestion fills the form: the category's department and a leader for it.
    expect(form.locator('[name="department"]')).to_have_value("D-HRSS")
    expect(form.locator('[name="leader"]')).to_have_value("leader")
    # Another department offers its own handlers (loaded by htmx), and back again.
    form.locator('[name="department"]').select_option("D-LAND")
    expect(form.locator('[name="handler"] option[value="other_handler"]')).to_have_count(
        1, timeout=ANSWER_TIMEOUT
    )
    form.locator('[name="department"]').select_option("D-HRSS")
    expect(form.locator('[name="handler"] option[value="handler"]')).to_have_count(
        1, timeout=ANSWER_TIMEOUT
    )
    submit(dispatcher, "dispatch", "dispatched")
    expect(dispatcher.locator("#case-department")).to_have_text("县人社局")

    handler = sign_in("handler", locale=ENGLISH)
    open_case(handler, live_server, case_id)
    open_form(handler, "sign")
    submit(handler, "sign", "in_progress")
    form = open_form(handler, "report")
    form.locator('[name="result"]').fill("The company paid all wages owed.")
    form.locator('[name="reply"]').fill("After investigation, your wages have been paid in full.")
    submit(handler, "report", "reported")

    open_case(clerk, live_server, case_id)
    form = open_form(clerk, "reply")
    expect(form.locator(".reply-draft")).to_contain_text("your wages have been paid in full")
    form.locator('[name="delivered_via"]').select_option("in_person")
    submit(clerk, "reply", "replied")
    form = open_form(clerk, "follow_up")
    form.locator('input[name="satisfaction"][value="satisfied"]').check()
    form.locator('[name="note"]').fill("Resident satisfied")
    submit(clerk, "follow_up", "replied")

    open_case(dispatcher, live_server, case_id)
    open_form(dispatcher, "close")
    submit(dispatcher, "close", "closed")

    assert Case.objects.get(pk=case_id).status == "closed"
    kinds = dispatcher.locator("#timeline-list > li").evaluate_all(
        "items => items.map(item => item.dataset.kind)"
    )
    steps = [kind for kind in kinds if kind != "notice"]
    assert steps == [
        "create", "accept", "dispatch", "sign", "report", "reply", "follow_up", "close"
    ]
    timeline = dispatcher.locator("#timeline")
    expect(timeline).to_contain_text("Record the follow-up visit")
    expect(timeline).to_contain_text("Satisfied")
    expect(dispatcher.locator("#action-form-close")).to_have_count(0)


def test_petition_not_accepted_shows_the_notice_in_the_timeline(
    sign_in: Any, live_server: Any, e2e_world: World
) -> None:
    case_id = create_case(e2e_world, type="petition", category="PET")["id"]
    clerk = sign_in("clerk", locale=ENGLISH, viewport=PHONE)
    open_case(clerk, live_server, case_id)
    form = open_form(clerk, "not_accept")
    form.locator('[name="reason"]').fill("Already decided by a final court judgment")
    form.locator('[name="proper_channel"]').fill("Apply to the court for a retrial")
    submit(clerk, "not_accept", "not_accepted")
    notice = clerk.locator('#timeline-list > li[data-kind="notice"] .notice-text')
    expect(notice).to_contain_text("Already decided by a final court judgment")
    expect(notice).to_contain_text("Apply to the court for a retrial")
    # The page fits a phone: nothing wider than the screen.
    assert clerk.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_second_session_sees_the_conflict_and_keeps_its_input(
    sign_in: Any, live_server: Any, e2e_world: World
) -> None:
    case_id = create_case(e2e_world)["id"]
    clerk = sign_in("clerk", locale=ENGLISH)
    dispatcher = sign_in("dispatcher", locale=ENGLISH)
    open_case(clerk, live_server, case_id)
    open_case(dispatcher, live_server, case_id)
    open_form(clerk, "accept")
    submit(clerk, "accept", "accepted")
    form = open_form(dispatcher, "redirect")
    form.locator('[name="procedure"]').select_option("litigation")
    form.locator('[name="reason"]').fill("A civil matter for the court")
    dispatcher.click("#submit-redirect")
    expect(dispatcher.locator("#case-alert")).to_contain_text(
        "Someone changed this case while you were looking at it.", timeout=ANSWER_TIMEOUT
    )
    expect(dispatcher.locator("#case-page")).to_have_attribute("data-status", "accepted")
    expect(dispatcher.locator('#action-form-redirect [name="reason"]')).to_have_value(
        "A civil matter for the court"
    )
    assert Case.objects.get(pk=case_id).status == "accepted"


def test_handler_of_another_department_gets_not_found(
    sign_in: Any, live_server: Any, e2e_world: World
) -> None:
    case_id = drive_to(e2e_world, "dispatched")
    page = sign_in("other_handler", locale=ENGLISH)
    response = page.goto(f"{live_server.url}/cases/{case_id}/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).to_contain_text("Not found")
    assert page.locator("#case-page").count() == 0


def test_script_in_the_title_is_shown_as_text(
    sign_in: Any, live_server: Any, e2e_world: World
) -> None:
    title = "<script>window.__xss=1</script>"
    case_id = create_case(e2e_world, title=title, description=title + "\nsecond line")["id"]
    act_ok(e2e_world, case_id, "accept")
    page = sign_in("clerk", locale=ENGLISH)
    open_case(page, live_server, case_id)
    expect(page.locator("#case-title")).to_have_text(title)
    expect(page.locator("#case-description")).to_contain_text(title)
    assert page.evaluate("typeof window.__xss") == "undefined"
