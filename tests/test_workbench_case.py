"""The case page (workbench:case) and its action forms: what staff see, what each form writes,
how every refusal is answered (errors beside fields, conflict, 403, 404), nothing half-written."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from civicdesk.cases.events import append_event
from civicdesk.cases.models import Attachment, Case, CaseClock, CaseEvent
from civicdesk.cases.suggestions import dispatch_suggestion
from civicdesk.core.calendar_store import current_calendar
from civicdesk.notifications.models import OutboxMessage
from tests.conftest import local
from tests.helpers import FAST_HASHERS, act_ok, create_case, drive_to, snapshot, tiny_png

CONFLICT_TEXT = "Someone changed this case while you were looking at it."


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def browser(world, username: str) -> Client:
    """A signed-in browser session that reads English (the msgids), like an en-GB browser."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en-GB")
    client.force_login(world.users[username])
    return client


def case_url(case_id: int) -> str:
    return reverse("workbench:case", args=[case_id])


def action_url(case_id: int, action: str) -> str:
    return reverse("workbench:case_action", args=[case_id, action])


def do(client: Client, case_id: int, action: str, *, version: int | None = None, **data):
    """Posts an action form the way the page does, with the version the page showed."""
    if version is None:
        version = Case.objects.get(pk=case_id).version
    return client.post(action_url(case_id, action), {"version": version, **data})


def done(client: Client, case_id: int, action: str, **data) -> Case:
    response = do(client, case_id, action, **data)
    assert response.status_code == 302, (action, response.status_code, text(response)[:3000])
    assert response.url == case_url(case_id)
    return Case.objects.get(pk=case_id)


def text(response) -> str:
    return response.content.decode()


def field_value(html: str, form_id: str, name: str) -> str:
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S)
    assert form, form_id
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', form.group(0), re.S)
    if match:
        return unescape(match.group(1)).strip()
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', form.group(0))
    return unescape(match.group(1)) if match else ""


def selected_option(html: str, form_id: str, name: str) -> str:
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S)
    assert form, form_id
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', form.group(0), re.S)
    assert select, name
    match = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(0))
    return match.group(1) if match else ""


# --- the page --------------------------------------------------------------------------------


def test_case_page_works(world):
    case = create_case(
        world,
        parties=[
            {"role": "requester", "name": "张三", "phone": "13812345678",
             "id_number": "330102199001011234"},
            {"role": "requester", "name": "李四", "phone": "13987654321", "confidential": True},
        ],
    )
    response = browser(world, "clerk").get(case_url(case["id"]))
    assert response.status_code == 200
    html = text(response)
    assert case["receipt_code"] in html
    assert 'id="case-status" data-status="received"' in html
    assert "拖欠工资三个月" in html and "东门社区" in html and "Wage arrears" in html
    # Parties masked, the confidential one marked, nothing in clear.
    assert "138****5678" in html and "13812345678" not in html
    assert "3301**********1234" in html and "330102199001011234" not in html
    assert html.count("party-confidential") == 1
    # The 12345 dispatch clock counts working days, with its legal basis on hover and in a
    # details element for phones.
    assert 'data-clock="dispatch" data-state="running"' in html
    assert re.search(r"1 working day left|Due today", html)
    basis = CaseClock.objects.get(case_id=case["id"], kind="dispatch").basis
    assert f'title="{escape(basis)}"' in html and "<summary>Legal basis</summary>" in html
    assert 'data-kind="create"' in html
    # Only the clerk's actions for a received case.
    assert {"accept", "not_accept", "redirect", "merge"} == set(
        re.findall(r'id="action-form-([a-z_]+)"', html)
    )


def test_page_is_not_found_outside_scope(world):
    case_id = drive_to(world, "dispatched")
    for outsider in ("other_handler", "town_clerk", "admin"):
        assert browser(world, outsider).get(case_url(case_id)).status_code == 404, outsider
    assert browser(world, "handler").get(case_url(case_id)).status_code == 200


def test_signed_out_browser_is_sent_to_sign_in(world):
    case_id = create_case(world)["id"]
    response = Client().get(case_url(case_id))
    assert response.status_code == 302 and "/login/" in response.url


def test_user_text_is_escaped(world):
    case_id = create_case(
        world,
        title="<script>window.__xss=1</script>",
        description="第一行<script>alert(1)</script>\n第二行 <b>粗</b>",
    )["id"]
    html = text(browser(world, "clerk").get(case_url(case_id)))
    assert "<script>window.__xss" not in html and "<script>alert(1)" not in html
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>第二行 &lt;b&gt;粗&lt;/b&gt;" in html


def test_clock_overdue_is_counted_in_working_days(world, time_machine):
    time_machine.move_to(local(2025, 3, 3, 9, 0))  # a Monday
    case_id = create_case(world)["id"]  # dispatch clock: 1 working day, due Tue 4 March
    time_machine.move_to(local(2025, 3, 7, 10, 0))
    html = text(browser(world, "clerk").get(case_url(case_id)))
    assert re.search(r'clock-overdue">\s*3 working days overdue', html), html


def test_timeline_shows_notices_and_parameters_in_words(world):
    case_id = drive_to(world, "dispatched")
    append_event(
        case=Case.objects.get(pk=case_id), kind="supervision_issued", actor=world.users["leader"],
        at=timezone.now(), params={"order": "DB-1", "due_days": 3},
    )
    html = text(browser(world, "dispatcher").get(case_url(case_id)))
    timeline = html[html.index('id="timeline"'):]
    notice = CaseEvent.objects.get(case_id=case_id, kind="notice").params["text"]
    assert 'data-kind="notice"' in timeline and escape(notice) in timeline  # its full text
    assert "县人社局" in timeline and "Leader" in timeline  # department and leader by name
    assert 'data-kind="supervision_issued"' in timeline and "Supervision issued" in timeline
    assert "DB-1" in timeline  # unknown kinds shown generically


# --- the actions -----------------------------------------------------------------------------


def test_accept(world):
    case_id = create_case(world)["id"]
    case = done(browser(world, "clerk"), case_id, "accept", note="材料齐全")
    assert case.status == "accepted"
    event = CaseEvent.objects.get(case_id=case_id, kind="accept")
    assert event.params["note"] == "材料齐全" and event.actor == world.users["clerk"]


def test_not_accept_records_the_notice(world):
    case_id = create_case(world, type="petition", category="PET")["id"]
    client = browser(world, "clerk")
    case = done(client, case_id, "not_accept", reason="已经法院判决", proper_channel="申请再审")
    assert case.status == "not_accepted"
    html = text(client.get(case_url(case_id)))
    assert "已经法院判决" in html and "申请再审" in html
    assert 'class="notice-text' in html


def test_dispatch_with_the_suggested_department_and_leader(world):
    case_id = drive_to(world, "accepted")
    client = browser(world, "dispatcher")
    html = text(client.get(case_url(case_id)))
    department = selected_option(html, "action-form-dispatch", "department")
    leader = selected_option(html, "action-form-dispatch", "leader")
    assert (department, leader) == ("D-HRSS", "leader")
    assert 'value="handler"' in html  # the department's handlers are offered
    case = done(client, case_id, "dispatch", department=department, leader=leader)
    assert case.status == "dispatched"
    assert (case.department.code, case.leader.username, case.handler) == ("D-HRSS", "leader", None)


def test_dispatch_suggestion_falls_back_to_the_area(world):
    from civicdesk.cases.models import Category

    Category.objects.filter(code="REQ-WAGE").update(default_department=None)
    case = Case.objects.get(pk=create_case(world, area=world.village_b.code)["id"])
    suggestion = dispatch_suggestion(case)
    assert suggestion.department == world.other_dept  # its area (town_b) holds village_b
    assert suggestion.leader == world.users["leader"]  # the leader of the case's centre
    assert suggestion.handlers == [world.users["other_handler"]]


def test_handler_choices_follow_the_department(world):
    case_id = drive_to(world, "accepted")
    url = reverse("workbench:case_dispatch_handlers", args=[case_id])
    html = text(browser(world, "dispatcher").get(url, {"department": "D-LAND"}))
    assert 'value="other_handler"' in html and 'value="handler"' not in html
    assert browser(world, "other_handler").get(url).status_code == 404


def test_dispatch_of_a_hazard_sets_its_rectification_period(world):
    case_id = drive_to(world, "accepted", type="hazard", category="HAZ-FIRE")
    client = browser(world, "dispatcher")
    assert 'name="rectification_days"' in text(client.get(case_url(case_id)))
    done(client, case_id, "dispatch", department="D-HRSS", leader="leader",
         rectification_days="7")
    assert CaseClock.objects.get(case_id=case_id, kind="rectification").length == 7


def test_sign_then_suspend_resume_extend_report(world):
    case_id = drive_to(world, "dispatched")
    handler = browser(world, "handler")
    case = done(handler, case_id, "sign")
    assert case.status == "in_progress" and case.handler_id is not None
    assert done(handler, case_id, "suspend", reason="等待鉴定").status == "suspended"
    assert done(handler, case_id, "resume").status == "in_progress"
    case = done(browser(world, "leader"), case_id, "extend", days="3", reason="需要补充调查")
    clock = CaseClock.objects.get(case_id=case_id, kind="handling")
    assert clock.extended_by == 3
    assert CaseEvent.objects.filter(case_id=case_id, params__notice="extension").exists()
    case = done(handler, case_id, "report", result="已支付", reply="经调查，企业已支付。")
    assert (case.status, case.reply) == ("reported", "经调查，企业已支付。")


def test_extend_form_tells_the_reason_goes_to_the_resident(world):
    case_id = drive_to(world, "in_progress")
    html = text(browser(world, "leader").get(case_url(case_id)))
    assert "The reason is told to the resident" in html
    assert "At most 10 working days more." in html


def test_return_moves_the_case_out_of_scope_and_lands_home(world):
    case_id = drive_to(world, "dispatched")
    response = do(browser(world, "handler"), case_id, "return", reason="不属于本部门职责")
    assert response.status_code == 302 and response.url == reverse("workbench:home")
    assert Case.objects.get(pk=case_id).status == "returned"


def test_reply_shows_the_draft_then_follow_up_and_close(world):
    case_id = drive_to(world, "reported")
    clerk = browser(world, "clerk")
    html = text(clerk.get(case_url(case_id)))
    reply_form = re.search(r'id="action-form-reply".*?</form>', html, re.S).group(0)
    assert "经调查，企业已支付全部拖欠工资。" in reply_form
    assert done(clerk, case_id, "reply", delivered_via="sms").status == "replied"
    case = done(clerk, case_id, "follow_up", satisfaction="satisfied", note="满意")
    assert (case.status, case.satisfaction) == ("replied", "satisfied")
    case = done(browser(world, "dispatcher"), case_id, "close", note="结案")
    assert case.status == "closed" and case.closed_at is not None


def test_merge_by_receipt_code(world):
    master = create_case(world, title="主案件")
    case_id = create_case(world)["id"]
    case = done(browser(world, "clerk"), case_id, "merge", into=master["receipt_code"])
    assert case.status == "merged" and case.merged_into_id == master["id"]


def test_merge_into_an_unknown_code_is_an_error_beside_the_field(world):
    case_id = create_case(world)["id"]
    before = snapshot(case_id)
    response = do(browser(world, "clerk"), case_id, "merge", into="NOPE-1234")
    assert response.status_code == 422
    assert re.search(r'data-field="into">No case with the receipt code', text(response))
    assert snapshot(case_id) == before


# --- refusals --------------------------------------------------------------------------------


def test_validation_error_keeps_the_input_and_writes_nothing(world):
    case_id = create_case(world)["id"]
    before = snapshot(case_id)
    response = do(browser(world, "clerk"), case_id, "not_accept", reason="理由<写在这里>")
    assert response.status_code == 422
    html = text(response)
    assert re.search(r'data-field="proper_channel">This field is required', html)
    assert field_value(html, "action-form-not_accept", "reason") == "理由<写在这里>"
    assert 'class="collapse show" id="action-not_accept"' in html  # the form stays open
    assert snapshot(case_id) == before


def test_stale_page_gets_the_conflict_message_and_writes_nothing(world):
    """Two sessions open the same case; the first acts; the second's action is refused."""
    case_id = create_case(world)["id"]
    clerk, dispatcher = browser(world, "clerk"), browser(world, "dispatcher")
    seen_by_clerk = text(clerk.get(case_url(case_id)))
    seen_by_dispatcher = text(dispatcher.get(case_url(case_id)))
    version = int(field_value(seen_by_dispatcher, "action-form-not_accept", "version"))
    assert version == int(field_value(seen_by_clerk, "action-form-accept", "version"))
    done(clerk, case_id, "accept")
    before = snapshot(case_id)
    response = do(
        dispatcher, case_id, "not_accept", version=version, reason="不属于受理范围",
        proper_channel="法院",
    )
    assert response.status_code == 409
    html = text(response)
    assert CONFLICT_TEXT in html
    assert 'data-status="accepted"' in html  # the current state is shown
    assert "不属于受理范围" in html  # the typed input is kept (read-only: no longer possible)
    assert snapshot(case_id) == before


def test_conflict_keeps_the_input_in_a_form_that_is_still_possible(world):
    case_id = drive_to(world, "in_progress")
    stale = Case.objects.get(pk=case_id).version
    handler = browser(world, "handler")
    done(handler, case_id, "suspend", reason="等待鉴定")
    done(handler, case_id, "resume")  # back in progress: the report is still possible
    before = snapshot(case_id)
    response = do(browser(world, "dept_head"), case_id, "report", version=stale,
                  result="我的结果", reply="我的答复")
    assert response.status_code == 409
    html = text(response)
    assert CONFLICT_TEXT in html
    assert field_value(html, "action-form-report", "result") == "我的结果"
    assert field_value(html, "action-form-report", "reply") == "我的答复"
    # The form now carries the current version: sending it again is a deliberate choice.
    current = Case.objects.get(pk=case_id).version
    assert field_value(html, "action-form-report", "version") == str(current)
    assert snapshot(case_id) == before


def test_illegal_transition_names_the_state(world):
    case_id = create_case(world)["id"]
    before = snapshot(case_id)
    response = do(browser(world, "clerk"), case_id, "reply", delivered_via="sms")
    assert response.status_code == 409
    assert re.search(r'id="case-alert">\s*A case in state “Received” cannot', text(response))
    assert snapshot(case_id) == before


def test_action_the_roles_do_not_allow_is_403(world):
    case_id = create_case(world)["id"]
    before = snapshot(case_id)
    response = do(browser(world, "auditor"), case_id, "accept")
    assert response.status_code == 403
    assert 'id="forbidden"' in text(response)
    assert snapshot(case_id) == before


def test_action_outside_scope_is_404(world):
    case_id = create_case(world)["id"]
    before = snapshot(case_id)
    assert do(browser(world, "town_clerk"), case_id, "accept").status_code == 404
    assert do(browser(world, "clerk"), case_id, "no_such_action").status_code == 404
    assert snapshot(case_id) == before


# --- htmx ------------------------------------------------------------------------------------


def test_htmx_action_answers_with_the_page_body(world):
    case_id = create_case(world)["id"]
    client = browser(world, "clerk")
    version = Case.objects.get(pk=case_id).version
    response = client.post(action_url(case_id, "accept"), {"version": version},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<div id="case-page"') and "<html" not in html
    assert 'data-status="accepted"' in html and "“Accept” is done." in html
    stale = client.post(action_url(case_id, "redirect"),
                        {"version": version, "procedure": "litigation", "reason": "诉讼"},
                        HTTP_HX_REQUEST="true")
    assert stale.status_code == 409 and CONFLICT_TEXT in text(stale)


def test_page_answers_htmx_with_its_body_and_varies_on_it(world):
    case_id = create_case(world)["id"]
    client = browser(world, "clerk")
    partial = client.get(case_url(case_id), HTTP_HX_REQUEST="true")
    full = client.get(case_url(case_id))
    assert "<html" not in text(partial) and "<html" in text(full)
    assert 'id="case-page"' in text(partial) and 'id="case-page"' in text(full)
    assert "HX-Request" in full["Vary"]
    restore = client.get(case_url(case_id), HTTP_HX_REQUEST="true",
                         HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in text(restore)


def test_htmx_action_that_leaves_scope_redirects_home(world):
    case_id = drive_to(world, "dispatched")
    response = browser(world, "handler").post(
        action_url(case_id, "return"),
        {"version": Case.objects.get(pk=case_id).version, "reason": "不属于本部门"},
        HTTP_HX_REQUEST="true",
    )
    assert response.headers["HX-Redirect"] == reverse("workbench:home")


# --- attachments -----------------------------------------------------------------------------


def upload(client: Client, case_id: int, name: str, content: bytes):
    return client.post(
        reverse("workbench:case_attachment_add", args=[case_id]),
        {"file": SimpleUploadedFile(name, content)},
    )


def test_attachment_upload_preview_and_download(world):
    case_id = create_case(world)["id"]
    clerk = browser(world, "clerk")
    assert upload(clerk, case_id, "现场.png", tiny_png()).status_code == 302
    attachment = Attachment.objects.get(case_id=case_id)
    url = reverse("workbench:case_attachment", args=[case_id, attachment.pk])
    html = text(clerk.get(case_url(case_id)))
    assert f'<img src="{url}"' in html and "现场.png" in html
    response = clerk.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == tiny_png()


def test_attachment_that_is_not_an_image_is_downloaded(world):
    case_id = create_case(world)["id"]
    clerk = browser(world, "clerk")
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
    assert upload(clerk, case_id, "a.pdf", pdf).status_code == 302
    attachment = Attachment.objects.get(case_id=case_id)
    response = clerk.get(reverse("workbench:case_attachment", args=[case_id, attachment.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_attachment_is_not_found_outside_scope(world):
    case_id = create_case(world)["id"]
    upload(browser(world, "clerk"), case_id, "x.png", tiny_png())
    attachment = Attachment.objects.get(case_id=case_id)
    url = reverse("workbench:case_attachment", args=[case_id, attachment.pk])
    for outsider in ("other_handler", "town_clerk", "admin"):
        assert browser(world, outsider).get(url).status_code == 404, outsider
    other_case = create_case(world)["id"]
    wrong_case = reverse("workbench:case_attachment", args=[other_case, attachment.pk])
    assert browser(world, "clerk").get(wrong_case).status_code == 404
    assert upload(browser(world, "town_clerk"), case_id, "y.png", tiny_png()).status_code == 404


def test_rejected_upload_shows_the_error(world):
    case_id = create_case(world)["id"]
    response = upload(browser(world, "clerk"), case_id, "evil.html", b"<script>alert(1)</script>")
    assert response.status_code == 422
    assert re.search(r'data-field="file">This kind of file is not accepted', text(response))
    assert not Attachment.objects.filter(case_id=case_id).exists()


# --- messages to the resident ----------------------------------------------------------------

PHONE = "13812345678"


@pytest.fixture
def _notify_by_sms_and_email(settings):
    settings.CIVICDESK_NOTIFY_CHANNELS = ["sms", "email"]
    settings.CIVICDESK_NOTIFY_LANGUAGE = "zh-hans"


def resend_url(case_id: int, message_id: int) -> str:
    return reverse("workbench:case_message_resend", args=[case_id, message_id])


def message_items(html: str) -> list[dict[str, str]]:
    """The card's messages in page order, each with its data attributes."""
    card = html[html.index('id="resident-messages"'):html.index('id="timeline"')]
    return [
        {"pk": pk, "kind": kind, "channel": channel, "state": state}
        for pk, kind, channel, state in re.findall(
            r'data-message="(\d+)" data-kind="(\w+)" data-channel="(\w+)" data-state="(\w+)"',
            card,
        )
    ]


def fail(message: OutboxMessage, error: str = "isv.BUSINESS_LIMIT_CONTROL: 触发流控") -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="failed", attempts=5, last_error=error
    )


def with_email(world) -> int:
    case_id = create_case(
        world,
        parties=[{"role": "requester", "name": "张三", "phone": PHONE,
                  "email": "zhang@example.com"}],
    )["id"]
    act_ok(world, case_id, "accept")
    return case_id


@pytest.mark.usefixtures("_notify_by_sms_and_email")
def test_messages_card_shows_each_message_masked_in_order_with_its_state(world):
    case_id = with_email(world)
    recorded = list(OutboxMessage.objects.filter(case_id=case_id).order_by("created_at", "id"))
    assert [(m.kind, m.channel) for m in recorded] == [
        ("receipt", "sms"), ("receipt", "email"), ("accepted", "sms"), ("accepted", "email")
    ]
    sent_at = timezone.now()
    OutboxMessage.objects.filter(pk=recorded[0].pk).update(status="sent", sent_at=sent_at,
                                                           attempts=1)
    fail(recorded[2], "gateway said 503\n" + "trace " * 100)
    html = text(browser(world, "clerk").get(case_url(case_id)))

    items = message_items(html)
    assert [item["pk"] for item in items] == [str(m.pk) for m in recorded]
    assert [item["state"] for item in items] == ["sent", "pending", "failed", "pending"]
    # Masked like the admin does; the address itself is nowhere on the page.
    assert "138****5678" in html and PHONE not in html
    assert "z***@example.com" in html and "zhang@example.com" not in html
    # The body as the resident got it, and when it was sent.
    assert escape(recorded[1].body) in html
    assert local_text(sent_at) in html
    # The failed one stands out: a red badge, the error's first line, the button.
    failed = html[html.index(f'data-message="{recorded[2].pk}"'):]
    failed = failed[:failed.index("</li>")]
    assert "text-bg-danger message-state" in failed and "Failed" in failed
    assert "5 attempts" in failed
    # The first line only; the whole text is in the title.
    assert re.search(
        r'title="gateway said 503\ntrace trace [^"]*">Last error: gateway said 503…</div>', failed
    )
    assert f'id="resend-{recorded[2].pk}"' in failed
    assert 'id="failed-messages" data-count="1"' in html
    assert html.count('id="resend-') == 1  # only failed messages can be sent again


@pytest.mark.usefixtures("_notify_by_sms_and_email")
def test_messages_card_escapes_the_text_and_says_when_there_is_none(world):
    quiet = create_case(world, parties=[{"role": "requester", "name": "李四"}])["id"]
    assert 'id="no-resident-messages"' in text(browser(world, "clerk").get(case_url(quiet)))
    case_id = create_case(world)["id"]
    OutboxMessage.objects.filter(case_id=case_id).update(body="<script>window.__x=1</script>")
    fail(OutboxMessage.objects.get(case_id=case_id), "<img src=x onerror=alert(1)>")
    html = text(browser(world, "clerk").get(case_url(case_id)))
    assert "<script>window.__x" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__x=1&lt;/script&gt;" in html


@pytest.mark.usefixtures("_notify_by_sms_and_email")
def test_staff_who_see_the_case_but_do_not_answer_residents_get_no_button(world):
    case_id = drive_to(world, "dispatched")
    fail(OutboxMessage.objects.filter(case_id=case_id).first())
    html = text(browser(world, "handler").get(case_url(case_id)))
    assert [i["state"] for i in message_items(html)].count("failed") == 1
    assert 'id="resend-' not in html


@pytest.mark.usefixtures("_notify_by_sms_and_email")
def test_send_again_now(world):
    case_id = create_case(world)["id"]
    message = OutboxMessage.objects.get(case_id=case_id)
    fail(message)
    client = browser(world, "clerk")
    response = client.post(resend_url(case_id, message.pk))
    assert response.status_code == 302
    assert response.url == case_url(case_id) + "#resident-messages"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 0)
    html = text(client.get(response.url))
    assert "The message will be sent again now." in html
    assert message_items(html)[0]["state"] == "pending"


@pytest.mark.usefixtures("_notify_by_sms_and_email")
def test_send_again_by_htmx_answers_with_the_page_body(world):
    case_id = create_case(world)["id"]
    message = OutboxMessage.objects.get(case_id=case_id)
    fail(message)
    response = browser(world, "dispatcher").post(
        resend_url(case_id, message.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<div id="case-page"') and "<html" not in html
    assert "The message will be sent again now." in html
    assert message_items(html)[0]["state"] == "pending"


@pytest.mark.usefixtures("_notify_by_sms_and_email")
def test_send_again_of_a_message_that_has_not_failed_is_a_conflict(world):
    case_id = create_case(world)["id"]
    message = OutboxMessage.objects.get(case_id=case_id)
    OutboxMessage.objects.filter(pk=message.pk).update(status="sent", attempts=1)
    response = browser(world, "clerk").post(resend_url(case_id, message.pk))
    assert response.status_code == 409
    assert 'id="case-alert"' in text(response) and "has not failed" in text(response)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


@pytest.mark.usefixtures("_notify_by_sms_and_email")
def test_send_again_outside_scope_is_404_and_without_the_role_403(world):
    case_id = create_case(world)["id"]
    other_case = create_case(world)["id"]
    message = OutboxMessage.objects.get(case_id=case_id)
    fail(message)
    assert browser(world, "town_clerk").post(resend_url(case_id, message.pk)).status_code == 404
    # A message of another case, reached through a case the user can see.
    assert browser(world, "clerk").post(resend_url(other_case, message.pk)).status_code == 404
    assert browser(world, "auditor").post(resend_url(case_id, message.pk)).status_code == 403
    assert browser(world, "clerk").get(resend_url(case_id, message.pk)).status_code == 405
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 5)


def local_text(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- query count -----------------------------------------------------------------------------


def add_events(case_id: int, world, count: int) -> None:
    case = Case.objects.get(pk=case_id)
    for n in range(count):
        append_event(
            case=case, kind="supervision_issued" if n % 2 else "accept",
            actor=world.users["dispatcher" if n % 2 else "clerk"], at=timezone.now(),
            params={"department": "D-HRSS", "leader": "leader", "reason": f"第{n}次"},
        )


def test_case_page_query_count_does_not_grow_with_the_history(world, django_assert_num_queries):
    case_id = drive_to(world, "in_progress")
    client = browser(world, "dispatcher")
    current_calendar()  # the working calendar is cached per process: not part of the page
    client.get(case_url(case_id))
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(case_url(case_id))
    add_events(case_id, world, 10)
    upload(browser(world, "clerk"), case_id, "a.png", tiny_png())
    upload(browser(world, "clerk"), case_id, "b.png", tiny_png() + b"\x00")
    add_messages(case_id, 10)
    with django_assert_num_queries(PAGE_QUERIES):
        html = text(client.get(case_url(case_id)))
    assert html.count('id="resend-') == 5  # the failed ones, each with its button


def add_messages(case_id: int, count: int) -> None:
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            case_id=case_id, kind="receipt", channel="sms", recipient=f"1380000{n:04d}",
            language="zh-hans", subject="s", body=f"第{n}条", next_attempt_at=now,
            created_at=now, status="failed" if n % 2 else "sent", attempts=5 if n % 2 else 1,
            last_error="gateway said 503" if n % 2 else "",
        )
        for n in range(count)
    )


# Session, user, role grants, the case, its parties, clocks, events (with actors), the names the
# events carry (departments, staff), the attachments and the messages to the resident, and the
# access record the opening writes (decision 0027).
PAGE_QUERIES = 12


# --- time left, counted like each clock counts ---------------------------------------------

WD = "working_days"


@pytest.mark.parametrize(
    ("due", "now", "unit", "expected"),
    [
        (local(2025, 3, 7, 23, 59, 59), local(2025, 3, 3, 9), WD, "4 working days left"),
        (local(2025, 3, 10, 23, 59, 59), local(2025, 3, 7, 9), WD, "1 working day left"),
        (local(2025, 3, 7, 23, 59, 59), local(2025, 3, 7, 9), WD, "Due today"),
        (local(2025, 3, 20, 23, 59, 59), local(2025, 3, 3, 9), "days", "17 days left"),
        (local(2025, 3, 4, 8, 0), local(2025, 3, 3, 20), "days", "12 hours left"),
        (local(2025, 3, 3, 9, 15), local(2025, 3, 3, 9, 5), "minutes", "10 minutes left"),
    ],
)
def test_time_left(db, due, now, unit, expected):
    from civicdesk.workbench.casepage.presenters import time_left

    with translation.override("en"):
        assert time_left(due, now, unit=unit, calendar=current_calendar()) == expected


@pytest.mark.parametrize(
    ("due", "now", "unit", "expected"),
    [
        # Friday's deadline, looked at on Monday: one working day (the weekend does not count).
        (local(2025, 3, 7, 23, 59, 59), local(2025, 3, 10, 9), WD, "1 working day overdue"),
        (local(2025, 3, 7, 23, 59, 59), local(2025, 3, 10, 9), "days", "3 days overdue"),
        (local(2025, 3, 3, 9, 15), local(2025, 3, 3, 12, 5), "minutes", "3 hours overdue"),
    ],
)
def test_time_overdue(db, due, now, unit, expected):
    from civicdesk.workbench.casepage.presenters import time_overdue

    with translation.override("en"):
        assert time_overdue(due, now, unit=unit, calendar=current_calendar()) == expected
