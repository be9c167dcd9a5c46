"""Review of the resident portal: bugs found by trying to misuse it, pinned as tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicdesk.cases.choices import Status
from civicdesk.cases.models import Case
from civicdesk.cases.services import case_act_as_resident
from civicdesk.portal import access, guard
from tests.conftest import World
from tests.helpers import act_ok, create_case, drive_to

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _generous_limits(settings: Any) -> None:
    settings.CIVICDESK_RATE_PORTAL_SUBMIT_IP = "1000/h"
    settings.CIVICDESK_RATE_PORTAL_TRACK_IP = "1000/h"
    settings.CIVICDESK_RATE_PORTAL_ACTION_IP = "1000/h"


def open_case(client: Client, code: str, digits: str = "", secret: str = "") -> Any:
    return client.post("/track/", {"code": code, "phone_digits": digits, "secret": secret}, **EN)


def proven(world: World, client: Client, status: str, **create: Any) -> Case:
    case = Case.objects.get(pk=drive_to(world, status, **create))
    assert open_case(client, case.receipt_code, digits="5678").status_code == 302
    return case


def submit_form(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "REQ-WAGE",
        "description": "小区门口的路灯坏了两个星期。",
        "area": world.village_a.code,
        "name": "李四",
        "phone": "13912345678",
        "idempotency_key": "k-review",
        "website": "",
    }
    data.update(overrides)
    return data


# --- access ----------------------------------------------------------------------------------


def test_proving_a_case_gives_the_visitor_a_new_session_key(world, client):
    # A kiosk: someone notes the session cookie, the next resident proves their case on the
    # same browser; the noted cookie must not open that case.
    code = create_case(world)["receipt_code"]
    client.get("/track/")
    client.session.save()
    planted = client.cookies["sessionid"].value
    assert open_case(client, code, digits="5678").status_code == 302
    assert client.cookies["sessionid"].value != planted
    stranger = Client()
    stranger.cookies["sessionid"] = planted
    assert stranger.get(f"/track/{code}/").status_code == 302  # to the form, not the case


def test_a_code_and_digits_typed_in_full_width_open_the_case(world, client):
    # Chinese input methods in full-width mode type ＡＢＣ－１２３: the same characters.
    code = create_case(world)["receipt_code"]
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code)
    assert open_case(client, full_width, digits="５６７８").status_code == 302


def test_guesses_sent_at_the_same_moment_all_count(world, monkeypatch):
    # Tries that race each other (many addresses, one code) must not all pass as "free": while
    # FREE_FAILURES wrong answers are still being checked, the next try already waits. Each
    # try below arrives while the one before it is comparing the digits.
    code = create_case(world)["receipt_code"]
    real_proves = access._proves
    in_flight: list[access.Claim] = []
    late: list[access.Outcome] = []

    def slow_proves(case: Case, claim: access.Claim, using_secret: bool) -> bool:
        in_flight.append(claim)
        another = access.Claim(code=code, phone_digits="0000")
        if len(in_flight) < guard.FREE_FAILURES:
            access.open_case(another, address=f"10.0.0.{len(in_flight)}")
        elif len(in_flight) == guard.FREE_FAILURES:
            late.append(access.open_case(another, address="10.0.1.1"))
        return real_proves(case, claim, using_secret)

    monkeypatch.setattr(access, "_proves", slow_proves)
    access.open_case(access.Claim(code=code, phone_digits="0000"), address="10.0.0.0")
    assert len(late) == 1 and late[0].wait_seconds > 0


# --- merged cases: the master's requester is another person -----------------------------------


def _merged_pair(world: World) -> tuple[Case, Case]:
    master = Case.objects.get(pk=drive_to(world, "replied", type="petition", category="PET"))
    duplicate = Case.objects.get(
        pk=create_case(
            world,
            type="petition",
            category="PET",
            parties=[{"role": "requester", "name": "赵六", "phone": "13655555678"}],
        )["id"]
    )
    Case.objects.filter(pk=master.pk).update(status=Status.ACCEPTED)
    act_ok(world, duplicate.pk, "merge", into=master.pk)
    Case.objects.filter(pk=master.pk).update(status=Status.REPLIED)
    master.refresh_from_db()
    return master, duplicate


def test_a_merged_duplicate_does_not_show_the_master_requesters_own_words(world, client):
    master, duplicate = _merged_pair(world)
    case_act_as_resident(
        case_id=master.pk,
        action="rate",
        data={"satisfaction": "unsatisfied", "note": "请打我爱人电话13700002222", "version": None},
    )
    case_act_as_resident(
        case_id=master.pk,
        action="request_review",
        data={"reason": "我家住三号楼二单元，邻居张某一直没有处理", "version": None},
    )
    review = Case.objects.get(review_of=master)
    assert open_case(client, duplicate.receipt_code, digits="5678").status_code == 302
    page = client.get(f"/track/{duplicate.receipt_code}/", **EN).content.decode()
    assert 'id="merged-note"' in page
    for private in ("13700002222", "三号楼二单元", review.receipt_code):
        assert private not in page, private
    assert "You rated the reply" not in page  # the duplicate's resident rated nothing


# --- the review window ----------------------------------------------------------------------


def test_a_reopened_petition_offers_no_review_until_it_is_replied_again(world, client):
    petition = proven(world, client, "replied", type="petition", category="PET")
    url = f"/track/{petition.receipt_code}/"
    client.post(url + "rate/", {"satisfaction": "unsatisfied", "version": petition.version})
    petition.refresh_from_db()
    reopened = client.post(
        url + "reopen/", {"reopen-reason": "没有解决", "reopen-version": petition.version}
    )
    assert reopened.status_code == 302
    petition.refresh_from_db()
    assert petition.status == Status.REOPENED
    page = client.get(url, **EN).content.decode()
    assert 'id="review-form"' not in page


# --- odd input: a clear message, never a server error ---------------------------------------


@pytest.mark.parametrize("version", ["9" * 30, "-1", "1e3", ""])
def test_an_odd_version_number_is_a_message_not_a_server_error(world, client, version):
    case = proven(world, client, "replied")
    response = client.post(
        f"/track/{case.receipt_code}/rate/", {"satisfaction": "satisfied", "version": version}, **EN
    )
    assert response.status_code == 400
    assert 'id="rate-errors"' in response.content.decode()
    case.refresh_from_db()
    assert case.satisfaction == ""


@pytest.mark.parametrize(
    "overrides",
    [
        {"latitude": "abc", "longitude": "120"},
        {"latitude": "91", "longitude": "0"},
        {"idempotency_key": "k" * 200},
    ],
)
def test_a_bad_hidden_field_is_explained_on_the_form(world, client, overrides):
    response = client.post("/portal/submit/", submit_form(world, **overrides), **EN)
    assert response.status_code == 400
    assert 'id="form-errors"' in response.content.decode()
    assert Case.objects.count() == 0


@pytest.mark.parametrize("path", ["/track/%0D%0A/", "/track/a%23b%26c/", "/track/%E4%B8%AD/"])
def test_odd_codes_in_the_address_go_back_to_the_form(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/track/?code=")
    assert "#" not in response["Location"] and "&" not in response["Location"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/track/ABCDE-FGHJK/rate/"), ("put", "/portal/submit/"), ("get", "/track/forget/")],
)
def test_wrong_methods_are_refused_plainly(client, method, path):
    assert getattr(client, method)(path).status_code == 405


def test_posts_without_the_csrf_token_are_refused(world):
    code = create_case(world)["receipt_code"]
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/track/", {"code": code, "phone_digits": "5678"})
    assert response.status_code == 403


def test_the_review_window_counts_from_the_reply_given_after_a_reopening(world, client):
    petition = proven(world, client, "replied", type="petition", category="PET")
    url = f"/track/{petition.receipt_code}/"
    client.post(url + "rate/", {"satisfaction": "unsatisfied", "version": petition.version})
    petition.refresh_from_db()
    client.post(url + "reopen/", {"reopen-reason": "没有解决", "reopen-version": petition.version})
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=40)
    with time_machine.travel(later):
        for action in ("dispatch", "sign", "report", "reply"):
            act_ok(world, petition.pk, action)
        assert open_case(client, petition.receipt_code, digits="5678").status_code == 302
        page = client.get(url, **EN).content.decode()
    assert 'id="review-form"' in page


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"description": "很" * 2001},
        {"name": "😀" * 50, "phone": "１３９１２３４５６７８"},
        {"category": ["REQ-WAGE", "HAZ-FIRE"], "area": "\x00"},
        {"latitude": "nan", "longitude": "inf"},
    ],
)
def test_odd_reports_are_refused_with_a_message_and_write_nothing(world, client, payload):
    data = {**submit_form(world), **payload} if payload else {}
    response = client.post("/portal/submit/", data, **EN)
    page = response.content.decode()
    if response.status_code == 302:  # only the full-width phone may pass, as a real number
        assert Case.objects.get().parties.get().phone == "13912345678"
    else:
        assert response.status_code == 400
        assert "data-error-for=" in page or 'id="form-errors"' in page
        assert Case.objects.count() == 0


def test_the_case_page_reads_the_same_number_of_rows_however_long_the_timeline(
    world, client, settings
):
    settings.CIVICDESK_PORTAL_SHOW_STAFF_NAMES = True
    short = proven(world, client, "accepted")
    long = proven(world, client, "replied")
    counts = []
    for case in (short, long):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/track/{case.receipt_code}/", **EN).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
