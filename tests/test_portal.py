"""The resident portal: submit, track with proof, the public timeline, rate, reopen, review."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from civicdesk.cases.choices import Channel, ClockKind, ClockState, Satisfaction, Status
from civicdesk.cases.models import Attachment, Case, CaseEvent, CaseParty
from civicdesk.cases.receipt_codes import tracking_secret
from civicdesk.core.scheduler import periodic_jobs
from civicdesk.notifications.models import OutboxMessage
from civicdesk.portal import guard
from civicdesk.portal.models import TrackingGuard
from tests.conftest import World
from tests.helpers import act_ok, create_case, drive_to

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _generous_limits(settings: Any) -> None:
    # Rate limits have their own tests below; the rest must not trip over them.
    settings.CIVICDESK_RATE_PORTAL_SUBMIT_IP = "1000/h"
    settings.CIVICDESK_RATE_PORTAL_TRACK_IP = "1000/h"
    settings.CIVICDESK_RATE_PORTAL_ACTION_IP = "1000/h"


def photo(name: str = "p.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def form(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "REQ-WAGE",
        "description": "小区门口的路灯坏了两个星期，晚上很黑。",
        "address": "东门社区幸福路8号",
        "area": world.village_a.code,
        "name": "李四",
        "phone": "13912345678",
        "email": "",
        "idempotency_key": "k-1",
        "website": "",
    }
    data.update(overrides)
    return data


def submit(client: Client, data: dict[str, Any], photos: list[Any] | None = None) -> Any:
    payload = dict(data)
    if photos:
        payload["photos"] = photos
    return client.post("/portal/submit/", payload, **EN)


def open_case(client: Client, code: str, digits: str = "", secret: str = "") -> Any:
    return client.post(
        "/track/", {"code": code, "phone_digits": digits, "secret": secret}, **EN
    )


# --- submit --------------------------------------------------------------------------------


def test_the_form_offers_public_categories_in_the_residents_words(world, client):
    page = client.get("/portal/submit/", **EN).content.decode()
    assert 'value="REQ-WAGE"' in page and 'data-type="hazard"' in page
    assert "Ask for help or a public service" in page
    # Incidents are emergencies: the form sends people to 110/119 instead.
    assert 'value="INC-FIRE"' not in page and "110" in page
    assert 'name="website"' in page  # the honeypot


def test_submit_registers_a_web_case_with_photos_and_shows_code_and_secret(world, client):
    response = submit(client, form(world), photos=[photo("a.jpg"), photo("b.jpg")])
    assert response.status_code == 302, response.content
    case = Case.objects.get()
    assert response["Location"] == f"/portal/submitted/{case.receipt_code}/"
    assert (case.channel, case.type, case.area) == (Channel.WEB, "request", world.village_a)
    assert case.created_by is not None and case.created_by.username == "civicdesk-portal"
    party = case.parties.get()
    assert (party.name, party.phone, party.language) == ("李四", "13912345678", "en")
    attachments = list(Attachment.objects.filter(case=case))
    assert len(attachments) == 2 and {a.content_type for a in attachments} == {"image/jpeg"}
    assert CaseEvent.objects.filter(case=case, kind="attachment_added").count() == 2
    # The receipt message is in the outbox, in the resident's language.
    assert OutboxMessage.objects.filter(case=case, kind="receipt").exists()
    page = client.get(response["Location"], **EN).content.decode()
    assert case.receipt_code in page and tracking_secret(case.receipt_code) in page
    assert "Time limits" in page
    # Another visit that proves the case with phone digits does not get the secret.
    other = Client()
    open_case(other, case.receipt_code, digits="5678")
    redirected = other.get(response["Location"], **EN)
    assert redirected.status_code == 302
    assert redirected["Location"] == f"/track/{case.receipt_code}/"


def test_a_double_submit_is_one_case(world, client):
    submit(client, form(world))
    again = submit(client, form(world))
    assert again.status_code == 302
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": ""}, "phone"),
        ({"phone": "12345"}, "phone"),
        ({"name": ""}, "name"),
        ({"description": ""}, "description"),
        ({"category": "INC-FIRE"}, "category"),
        ({"category": "NOPE"}, "category"),
        ({"area": ""}, "area"),
        ({"anonymous": "on"}, "anonymous"),  # a request cannot be anonymous
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_bad_input_is_named_beside_its_field_and_nothing_is_written(
    world, client, overrides, field
):
    response = submit(client, form(world, **overrides), photos=[photo()])
    assert response.status_code == 400
    assert f'data-error-for="{field}"' in response.content.decode()
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0


def test_ten_photos_or_a_non_image_are_refused_before_anything_is_written(world, client):
    response = submit(client, form(world), photos=[photo(f"{i}.jpg") for i in range(10)])
    assert response.status_code == 400 and 'data-error-for="photos"' in response.content.decode()
    pdf = SimpleUploadedFile("x.jpg", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "image/jpeg")
    response = submit(client, form(world), photos=[photo(), pdf])
    assert response.status_code == 400 and "x.jpg" in response.content.decode()
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0


def test_the_honeypot_writes_nothing(world, client):
    response = submit(client, form(world, website="http://spam.example"))
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_an_anonymous_hazard_report_is_followed_with_the_secret_only(world, client):
    data = form(world, category="HAZ-FIRE", anonymous="on", name="", phone="")
    response = submit(client, data)
    assert response.status_code == 302, response.content
    case = Case.objects.get()
    party = case.parties.get()
    assert party.anonymous and party.name == "" and party.phone == ""
    page = client.get(response["Location"], **EN).content.decode()
    assert 'id="keep-secret"' in page
    other = Client()
    assert open_case(other, case.receipt_code, digits="0000").status_code == 400
    opened = open_case(other, case.receipt_code, secret=tracking_secret(case.receipt_code))
    assert opened.status_code == 302


def test_a_pin_inside_a_mapped_area_routes_the_case(world, client):
    square = [[120.0, 30.0], [120.1, 30.0], [120.1, 30.1], [120.0, 30.1], [120.0, 30.0]]
    world.village_b.polygon = {"type": "Polygon", "coordinates": [square]}
    world.village_b.save()
    data = form(world, area=world.village_a.code, latitude="30.05", longitude="120.05")
    assert submit(client, data).status_code == 302
    case = Case.objects.get()
    assert case.area == world.village_b and (case.latitude, case.longitude) == (30.05, 120.05)


def test_submitting_is_rate_limited_per_address(world, client, settings):
    settings.CIVICDESK_RATE_PORTAL_SUBMIT_IP = "2/h"
    for key in ("a", "b"):
        assert submit(client, form(world, idempotency_key=key)).status_code == 302
    refused = submit(client, form(world, idempotency_key="c"))
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert Case.objects.count() == 2


# --- track ---------------------------------------------------------------------------------


def test_a_case_opens_with_the_code_and_the_last_four_phone_digits(world, client):
    code = create_case(world)["receipt_code"]
    assert client.get(f"/track/{code}/").status_code == 302  # no proof yet: to the form
    response = open_case(client, code.lower().replace("-", " "), digits="5678")
    assert response.status_code == 302 and response["Location"] == f"/track/{code}/"
    page = client.get(f"/track/{code}/", **EN)
    assert page.status_code == 200
    assert "Received: the centre is deciding" in page.content.decode()


def test_a_wrong_answer_says_nothing_about_whether_the_code_exists(world, client):
    code = create_case(world)["receipt_code"]
    wrong_digits = open_case(client, code, digits="0000").content.decode()
    unknown = open_case(Client(), "00000-00000", digits="5678").content.decode()
    message = "The receipt code and the digits or secret do not match."
    assert message in wrong_digits
    assert message in unknown or "not a receipt code" in unknown


def test_guessing_is_slowed_then_blocked_and_the_secret_still_opens(world, client):
    code = create_case(world)["receipt_code"]
    start = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(guard.FREE_FAILURES):
            assert open_case(client, code, digits="0000").status_code == 400
        slowed = open_case(client, code, digits="5678")  # even the right answer must wait
        assert slowed.status_code == 429
        assert int(slowed["Retry-After"]) == guard.BASE_DELAY_SECONDS
        for _ in range(guard.BLOCK_AFTER["code"]):
            traveller.shift(dt.timedelta(hours=1, seconds=1))
            open_case(Client(REMOTE_ADDR="10.0.0.9"), code, digits="0000")
        traveller.shift(dt.timedelta(hours=1, seconds=1))
        blocked = open_case(Client(REMOTE_ADDR="10.0.0.7"), code, digits="5678")
        assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 3600
        secret = tracking_secret(code)
        assert open_case(Client(REMOTE_ADDR="10.0.0.7"), code, secret=secret).status_code == 302
    assert TrackingGuard.objects.filter(key=f"code:{code}").count() == 0  # success clears it


def test_a_merged_duplicate_shows_the_masters_progress(world, client):
    duplicate = drive_to(world, "merged")
    case = Case.objects.get(pk=duplicate)
    assert case.merged_into is not None
    open_case(client, case.receipt_code, digits="5678")
    page = client.get(f"/track/{case.receipt_code}/", **EN).content.decode()
    assert 'id="merged-note"' in page and 'data-kind="create"' in page
    # The master belongs to another resident: its code and reply are not shown.
    assert case.merged_into.receipt_code not in page


# --- the public timeline ---------------------------------------------------------------------


def test_the_timeline_shows_public_steps_and_no_staff_or_other_party_data(world, client):
    created = create_case(
        world,
        title="<script>alert(1)</script>",
        parties=[
            {"role": "requester", "name": "张三", "phone": "13812345678"},
            {"role": "respondent", "name": "王老板", "phone": "13700001111"},
        ],
    )
    case_id, code = created["id"], created["receipt_code"]
    for action in ("accept", "dispatch", "return", "dispatch", "sign", "report", "send_back"):
        act_ok(world, case_id, action)
    act_ok(world, case_id, "report")
    act_ok(world, case_id, "reply")
    open_case(client, code, digits="5678")
    page = client.get(f"/track/{code}/", **EN).content.decode()
    kinds = [chunk.split('"')[0] for chunk in page.split('data-kind="')[1:]]
    assert kinds[0] == "create" and "accept" in kinds and "notice" in kinds
    assert "dispatch" in kinds and "sign" in kinds and "reply" in kinds
    assert not {"return", "report", "send_back"} & set(kinds)
    assert "县人社局" in page  # the department, named
    staff_and_other_party = ("王老板", "13700001111", "handler", "dispatcher")
    internal_reasons = ("不属于本部门职责", "报告不完整")
    for private in staff_and_other_party + internal_reasons:
        assert private not in page, private
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "经调查，企业已支付全部拖欠工资。" in page  # the written reply


def test_the_other_side_of_a_dispute_cannot_open_it_with_their_phone(world, client):
    created = create_case(
        world,
        parties=[
            {"role": "requester", "name": "张三", "phone": "13812345678"},
            {"role": "respondent", "name": "王老板", "phone": "13700001111"},
        ],
    )
    assert open_case(client, created["receipt_code"], digits="1111").status_code == 400


# --- rate, reopen ----------------------------------------------------------------------------


def proven(world: World, client: Client, status: str, **create: Any) -> Case:
    case = Case.objects.get(pk=drive_to(world, status, **create))
    assert open_case(client, case.receipt_code, digits="5678").status_code == 302
    return case


def test_rating_the_reply_is_the_follow_up(world, client):
    case = proven(world, client, "replied")
    url = f"/track/{case.receipt_code}/rate/"
    rating = {"satisfaction": "satisfied", "note": "很快", "version": case.version}
    response = client.post(url, rating)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.satisfaction == Satisfaction.SATISFIED and case.status == Status.REPLIED
    event = case.events.get(kind="rate")
    assert event.actor is None and event.params["by"] == "resident"
    assert case.clocks.get(kind=ClockKind.FOLLOW_UP).state == ClockState.MET
    again = client.post(url, {"satisfaction": "unsatisfied", "version": case.version}, **EN)
    assert again.status_code == 400 and case.events.filter(kind="rate").count() == 1
    act_ok(world, case.pk, "close")  # staff may now close: the resident was satisfied


def test_unsatisfied_then_reopen(world, client):
    case = proven(world, client, "replied")
    client.post(
        f"/track/{case.receipt_code}/rate/",
        {"satisfaction": "unsatisfied", "version": case.version},
    )
    case.refresh_from_db()
    # An unsatisfied rating does not answer the follow-up: staff must still call back.
    assert case.clocks.get(kind=ClockKind.FOLLOW_UP).state == ClockState.RUNNING
    page = client.get(f"/track/{case.receipt_code}/", **EN).content.decode()
    assert 'id="reopen-form"' in page
    response = client.post(
        f"/track/{case.receipt_code}/reopen/",
        {"reopen-reason": "路灯还是不亮", "reopen-version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REOPENED
    assert case.events.get(kind="reopen").params == {"reason": "路灯还是不亮", "by": "resident"}
    assert case.clocks.get(kind=ClockKind.FOLLOW_UP).state != ClockState.RUNNING


def test_reopen_is_refused_unless_the_resident_was_unsatisfied(world, client):
    case = proven(world, client, "replied")
    response = client.post(
        f"/track/{case.receipt_code}/reopen/",
        {"reopen-reason": "再看看", "reopen-version": case.version},
        **EN,
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == Status.REPLIED


def test_a_stale_form_is_a_conflict_not_an_overwrite(world, client):
    case = proven(world, client, "replied")
    act_ok(world, case.pk, "follow_up", satisfaction="basically_satisfied")
    response = client.post(
        f"/track/{case.receipt_code}/rate/",
        {"satisfaction": "unsatisfied", "version": case.version},
        **EN,
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.satisfaction == Satisfaction.BASICALLY_SATISFIED


# --- review (复查, 复核) ---------------------------------------------------------------------


def _request_review(client: Client, case: Case, reason: str = "对处理意见不服") -> Any:
    case.refresh_from_db()
    return client.post(
        f"/track/{case.receipt_code}/review/",
        {"review-reason": reason, "review-version": case.version},
        **EN,
    )


def test_review_inside_the_window_opens_a_case_at_the_upper_centre(world, client):
    petition = proven(world, client, "replied", type="petition", category="PET")
    petition.centre = world.town_centre
    petition.save()  # a town centre's petition: the review goes to the county
    response = _request_review(client, petition)
    assert response.status_code == 302, response.content
    review = Case.objects.get(review_of=petition)
    assert review.centre == world.county_centre and review.description == "对处理意见不服"
    assert review.clocks.get(kind=ClockKind.REVIEW).state == ClockState.RUNNING
    assert petition.events.get(kind="request_review").params["by"] == "resident"
    # The review case opens in the same visit and lists under the original.
    page = client.get(f"/track/{petition.receipt_code}/", **EN).content.decode()
    assert review.receipt_code in page
    assert client.get(f"/track/{review.receipt_code}/", **EN).status_code == 200


def test_review_outside_the_window_is_refused_and_writes_nothing(world, client):
    petition = proven(world, client, "replied", type="petition", category="PET")
    page = client.get(f"/track/{petition.receipt_code}/", **EN).content.decode()
    assert 'id="review-form"' in page
    # Just past the window's own end: thirty days, moved on past rest days, so how far that is
    # depends on today's date.
    window = petition.clocks.get(kind=ClockKind.REVIEW_REQUEST, state=ClockState.RUNNING)
    with time_machine.travel(window.due_at + dt.timedelta(minutes=1)):
        # The visit's proof has expired by then (two hours): the resident proves it again.
        assert open_case(client, petition.receipt_code, digits="5678").status_code == 302
        page = client.get(f"/track/{petition.receipt_code}/", **EN).content.decode()
        assert 'id="review-form"' not in page
        response = _request_review(client, petition)
    assert response.status_code == 400
    assert "not open" in response.content.decode()
    assert not Case.objects.filter(review_of=petition).exists()


def test_a_re_review_is_final(world, client):
    petition = proven(world, client, "replied", type="petition", category="PET")
    _request_review(client, petition)
    review = Case.objects.get(review_of=petition)
    for action in ("accept", "dispatch", "sign", "report", "reply"):
        act_ok(world, review.pk, action)
    assert _request_review(client, review).status_code == 302  # 复核
    re_review = Case.objects.get(review_of=review)
    for action in ("accept", "dispatch", "sign", "report", "reply"):
        act_ok(world, re_review.pk, action)
    page = client.get(f"/track/{re_review.receipt_code}/", **EN).content.decode()
    assert 'id="review-final"' in page and 'id="review-form"' not in page
    assert _request_review(client, re_review).status_code == 400
    assert not Case.objects.filter(review_of=re_review).exists()


def test_requests_have_no_review_window(world, client):
    case = proven(world, client, "replied")
    page = client.get(f"/track/{case.receipt_code}/", **EN).content.decode()
    assert 'id="review-form"' not in page


def test_pages_speak_chinese_to_chinese_browsers_and_english_to_others(world, client):
    chinese = client.get("/portal/submit/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    english = Client().get("/portal/submit/", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert '<html lang="zh-hans">' in chinese and "Report a matter" in english
    assert "劳动" in chinese or "工资拖欠" in chinese  # category names in the reader's language
    assert "Wage arrears" in english


def test_a_visit_proof_expires(world, client):
    case = proven(world, client, "accepted")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    with time_machine.travel(later):
        assert client.get(f"/track/{case.receipt_code}/").status_code == 302
    assert CaseParty.objects.filter(case=case).exists()


# --- the staff side of the resident's actions -------------------------------------------------


def test_staff_cannot_rate_for_the_resident_and_see_who_did(world, client):
    case = proven(world, client, "replied")
    response = world.client("clerk").post(
        f"/api/v1/cases/{case.pk}/actions/rate",
        {"satisfaction": "satisfied"},
        content_type="application/json",
    )
    assert response.status_code in (400, 422) and response.json()["errors"]["action"]
    client.post(
        f"/track/{case.receipt_code}/rate/", {"satisfaction": "satisfied", "version": case.version}
    )
    staff = Client()
    staff.force_login(world.users["clerk"])
    page = staff.get(f"/cases/{case.pk}/", **EN).content.decode()
    assert "The resident (online)" in page


def test_the_receipt_slip_prints_the_tracking_secret(world):
    created = create_case(world)
    staff = Client()
    staff.force_login(world.users["clerk"])
    page = staff.get(f"/cases/{created['id']}/receipt/", **EN).content.decode()
    assert tracking_secret(created["receipt_code"]) in page


def test_a_damaged_upload_gets_the_bad_request_page_not_a_server_error(world, client):
    body = b"--XX\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.jpg\"\r\n"
    response = client.generic(
        "POST",
        "/portal/submit/",
        body,
        content_type="multipart/form-data; boundary=XX",
        **EN,
    )
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_merged_duplicates_resident_cannot_act_on_the_master(world, client):
    master = Case.objects.get(pk=drive_to(world, "replied", type="petition", category="PET"))
    duplicate = Case.objects.get(pk=create_case(world, type="petition", category="PET")["id"])
    # Merging needs an open master: set up as if the duplicate was merged before the reply.
    Case.objects.filter(pk=master.pk).update(status=Status.ACCEPTED)
    act_ok(world, duplicate.pk, "merge", into=master.pk)
    Case.objects.filter(pk=master.pk).update(status=Status.REPLIED)
    open_case(client, duplicate.receipt_code, digits="5678")
    page = client.get(f"/track/{duplicate.receipt_code}/", **EN).content.decode()
    assert 'id="merged-note"' in page
    assert 'id="rate-form"' not in page and 'id="review-form"' not in page
    response = client.post(
        f"/track/{duplicate.receipt_code}/rate/",
        {"satisfaction": "unsatisfied", "version": duplicate.version + 1},
        **EN,
    )
    assert response.status_code == 400
    master.refresh_from_db()
    assert master.satisfaction == ""


def test_wrong_answers_are_forgotten_once_their_day_is_over(world):
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    for key, age, blocked_until in [
        ("code:OLD", dt.timedelta(days=2), None),
        ("code:NEW", dt.timedelta(hours=1), None),
        ("ip:10.0.0.1", dt.timedelta(days=2), now + dt.timedelta(hours=1)),  # still blocked
    ]:
        TrackingGuard.objects.create(
            key=key,
            failures=3,
            window_started_at=now - age,
            last_failed_at=now - age,
            blocked_until=blocked_until,
        )
    assert guard.purge_stale(now=now) == 1
    assert set(TrackingGuard.objects.values_list("key", flat=True)) == {"code:NEW", "ip:10.0.0.1"}
    assert "purge_tracking_guards" in [job.name for job in periodic_jobs()]
