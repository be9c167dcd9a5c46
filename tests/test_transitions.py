"""The life cycle: the transition table itself, and cases driven through it by the API."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from civicdesk.cases.choices import Action, Status
from civicdesk.cases.models import Case, CaseClock, CaseEvent
from civicdesk.cases.services import ACTIONS
from civicdesk.cases.transitions import TRANSITIONS, allowed_actions, check_transition
from civicdesk.core.errors import IllegalTransition
from tests.conftest import SHANGHAI, local
from tests.helpers import (
    ACTION_ACTOR,
    ACTION_BODY,
    FAST_HASHERS,
    PATHS,
    act,
    act_ok,
    clock_states,
    create_case,
    drive_to,
    event_kinds,
    post_json,
    snapshot,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The world makes ten users; argon2 would spend seconds hashing their test passwords."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


ALL_PAIRS = [(action, status) for action in TRANSITIONS for status in Status.values]


# --- the table -----------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "status"), ALL_PAIRS)
def test_every_action_from_every_state(action, status):
    rule = TRANSITIONS[action]
    if status in rule.sources:
        assert check_transition(status, action) == (rule.target or status)
        assert action in allowed_actions(status)
        return
    assert action not in allowed_actions(status)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            with pytest.raises(IllegalTransition) as caught:
                check_transition(status, action)
            message = caught.value.message
            assert str(Status(status).label) in message
            assert str(Action(action).label) in message
    assert caught.value.code == "illegal_transition"
    assert caught.value.http_status == 409


def test_the_table_covers_every_action_but_intake():
    assert set(TRANSITIONS) == set(Action.values) - {Action.CREATE}
    for rule in TRANSITIONS.values():
        assert rule.sources <= set(Status.values)
        assert rule.target is None or rule.target in Status.values


def test_unknown_action_is_illegal_and_named():
    with pytest.raises(IllegalTransition) as caught:
        check_transition(Status.RECEIVED, "teleport")
    assert "teleport" in caught.value.message


def test_follow_up_may_reopen_but_not_jump_elsewhere():
    assert check_transition(Status.REPLIED, Action.FOLLOW_UP) == Status.REPLIED
    assert check_transition(Status.REPLIED, Action.FOLLOW_UP, Status.REOPENED) == Status.REOPENED
    with pytest.raises(ValueError, match="not a target"):
        check_transition(Status.REPLIED, Action.FOLLOW_UP, Status.CLOSED)


def test_finished_states_allow_only_closing_or_reopening():
    assert allowed_actions(Status.MERGED) == []
    assert set(allowed_actions(Status.CLOSED)) == {Action.REOPEN, Action.REQUEST_REVIEW}
    assert set(allowed_actions(Status.NOT_ACCEPTED)) == {Action.CLOSE}
    assert set(allowed_actions(Status.REDIRECTED)) == {Action.CLOSE}


# --- through the API -----------------------------------------------------------------------

# Where the case lives after the walk decides who can see it: the handler sees cases of its
# department, the leader the cases it leads, clerk and dispatcher the whole county.
_DEPARTMENT_STATES = {"dispatched", "in_progress", "suspended", "reported", "replied",
                      "reopened", "closed"}
_LED_STATES = _DEPARTMENT_STATES | {"returned"}


def _expected_illegal_code(status: str, action: str) -> int:
    actor = ACTION_ACTOR[action]
    if actor == "handler" and status not in _DEPARTMENT_STATES:
        return 404
    if actor == "leader" and status not in _LED_STATES:
        return 404
    return 409


# Actions that check something of their own before the table (a review window, an upper
# centre, an extendable clock) answer 409 with their own message rather than the table's.
_OWN_MESSAGE = {"extend", "request_review", "escalate"}


@pytest.mark.parametrize("status", sorted(PATHS))
def test_drive_to_each_status_and_illegal_actions_write_nothing(world, status):
    case_id = drive_to(world, status)
    master = create_case(world, title="另一件待合并的主案件")["id"]
    detail = world.client("dispatcher").get(f"/api/v1/cases/{case_id}").json()
    assert detail["status"] == status
    # The actions offered are among those the table allows from here.
    assert set(detail["allowed_actions"]) <= set(allowed_actions(status))
    with translation.override(settings.LANGUAGE_CODE):
        state_label = str(Status(status).label)
    # Staff actions only: "rate" belongs to the resident (tests/test_portal.py).
    for action in sorted(set(ACTIONS) - set(allowed_actions(status))):
        before = snapshot(case_id)
        body = {"into": master} if action == "merge" else {}
        response = act(world, case_id, action, **body)
        expected = _expected_illegal_code(status, action)
        assert response.status_code == expected, (status, action, response.content)
        if expected == 409:
            answer = response.json()
            assert answer["code"] == "illegal_transition"
            assert answer["message"]
            if action not in _OWN_MESSAGE:
                with translation.override(settings.LANGUAGE_CODE):
                    assert state_label in answer["message"]
                    assert str(Action(action).label) in answer["message"]
        assert snapshot(case_id) == before, (status, action)


def test_escalate_moves_the_case_to_the_upper_centre_and_it_can_be_accepted_there(world):
    case_id = create_case(world)["id"]
    assert Case.objects.get(pk=case_id).centre == world.town_centre
    body = act_ok(world, case_id, "escalate")
    assert body["status"] == "escalated"
    assert body["centre"] == world.county_centre.code
    event = body["events"][-1]
    assert event["kind"] == "escalate"
    assert event["params"]["from_centre"] == world.town_centre.code
    assert event["params"]["to_centre"] == world.county_centre.code
    # The county centre has no upper centre: the second escalation is refused.
    assert act_ok(world, case_id, "accept")["status"] == "accepted"
    before = snapshot(case_id)
    response = act(world, case_id, "escalate")
    assert response.status_code == 409
    assert snapshot(case_id) == before


def test_a_handler_returning_a_case_is_answered_200(world):
    """Returning takes the case out of the department's scope; the answer to the action that
    did it is still the updated case, not 404 (a bug found and fixed while writing this)."""
    case_id = drive_to(world, "dispatched")
    response = act(world, case_id, "return")
    assert Case.objects.get(pk=case_id).status == "returned"
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "returned"
    # ...but from now on the department no longer sees it.
    assert world.client("handler").get(f"/api/v1/cases/{case_id}").status_code == 404


def test_return_goes_back_to_the_dispatcher_and_can_be_dispatched_again(world):
    case_id = drive_to(world, "returned")
    body = world.client("dispatcher").get(f"/api/v1/cases/{case_id}").json()
    assert body["status"] == "returned"
    assert body["department"] is None and body["handler"] is None
    assert body["events"][-1]["params"] == {"reason": ACTION_BODY["return"]["reason"],
                                            "department": "D-HRSS"}
    # The department no longer sees the case it returned.
    assert world.client("handler").get(f"/api/v1/cases/{case_id}").status_code == 404
    assert act_ok(world, case_id, "dispatch")["status"] == "dispatched"


def test_suspend_resume_send_back_and_reopen(world):
    case_id = drive_to(world, "in_progress")
    suspended = act_ok(world, case_id, "suspend")
    assert suspended["status"] == "suspended"
    assert clock_states(suspended)["handling"] == "suspended"
    resumed = act_ok(world, case_id, "resume")
    assert resumed["status"] == "in_progress"
    assert clock_states(resumed)["handling"] == "running"
    assert act_ok(world, case_id, "report")["status"] == "reported"
    sent_back = act_ok(world, case_id, "send_back")
    assert sent_back["status"] == "in_progress"
    assert sent_back["events"][-1]["params"]["reason"] == ACTION_BODY["send_back"]["reason"]
    act_ok(world, case_id, "report")
    act_ok(world, case_id, "reply")
    act_ok(world, case_id, "follow_up")
    closed = act_ok(world, case_id, "close")
    assert closed["status"] == "closed" and closed["closed_at"]
    reopened = act_ok(world, case_id, "reopen")
    assert reopened["status"] == "reopened"
    assert reopened["closed_at"] is None
    assert act_ok(world, case_id, "dispatch")["status"] == "dispatched"


def test_unsatisfied_follow_up_reopens(world):
    case_id = drive_to(world, "replied")
    body = act_ok(world, case_id, "follow_up", satisfaction="unsatisfied", note="工资仍未到账")
    assert body["status"] == "reopened"
    assert body["satisfaction"] == "unsatisfied"
    assert body["events"][-1]["to_status"] == "reopened"


def test_a_replied_case_closes_only_after_a_satisfied_follow_up(world):
    case_id = drive_to(world, "replied")
    before = snapshot(case_id)
    response = act(world, case_id, "close")
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert snapshot(case_id) == before
    act_ok(world, case_id, "follow_up", satisfaction="basically_satisfied")
    assert act_ok(world, case_id, "close")["status"] == "closed"


def test_not_accepted_and_redirected_cases_are_closed_and_stop_their_clocks(world):
    for status in ("not_accepted", "redirected"):
        case_id = drive_to(world, status)
        assert all(state == "met" for state in clock_states(
            world.client("clerk").get(f"/api/v1/cases/{case_id}").json()).values())
        assert act_ok(world, case_id, "close")["status"] == "closed"


def test_merge_points_to_the_master_and_stops_the_clocks(world):
    master = create_case(world, title="主案件")["id"]
    duplicate = create_case(world, title="重复案件")["id"]
    body = act_ok(world, duplicate, "merge", into=master)
    assert body["status"] == "merged"
    assert body["merged_into"] == master
    assert body["events"][-1]["params"]["into_receipt_code"] == Case.objects.get(
        pk=master).receipt_code
    assert not CaseClock.objects.filter(case_id=duplicate, state="running").exists()
    # Merging into itself or into a finished case is refused naming `into`.
    other = create_case(world)["id"]
    before = snapshot(other)
    for into in (other, duplicate, 10**9):
        response = act(world, other, "merge", into=into)
        assert response.status_code == 422, into
        assert "into" in response.json()["errors"]
    assert snapshot(other) == before


def test_stale_state_read_is_never_applied_twice(world):
    """Taking the same action twice in a row: the second is illegal, not a duplicate."""
    case_id = create_case(world)["id"]
    act_ok(world, case_id, "accept")
    before = snapshot(case_id)
    response = act(world, case_id, "accept")
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert snapshot(case_id) == before
    assert event_kinds(case_id).count("accept") == 1


# --- whole lives ---------------------------------------------------------------------------


def _notice(event_list, kind):
    notices = [e for e in event_list if e["kind"] == "notice" and e["params"]["notice"] == kind]
    assert len(notices) == 1, (kind, event_list)
    return notices[0]


def test_life_of_a_request(world):
    created = create_case(world)
    case_id, code = created["id"], created["receipt_code"]
    assert created["status"] == "received"
    assert clock_states(created) == {"dispatch": "running"}

    accepted = act_ok(world, case_id, "accept")
    assert accepted["status"] == "accepted"
    assert clock_states(accepted) == {"dispatch": "met"}
    notice = _notice(accepted["events"], "acceptance")
    assert code in notice["params"]["text"] and created["title"] in notice["params"]["text"]
    assert notice["actor"] == "clerk"

    dispatched = act_ok(world, case_id, "dispatch")
    assert dispatched["status"] == "dispatched"
    assert (dispatched["department"], dispatched["leader"], dispatched["handler"]) == (
        "D-HRSS", "leader", "handler")
    assert clock_states(dispatched) == {"dispatch": "met", "handling": "running"}
    handling = next(d for d in dispatched["deadlines"] if d["kind"] == "handling")
    # The category's own policy (5 working days) beats the type's default of 10.
    assert (handling["length"], handling["unit"]) == (5, "working_days")
    assert handling["basis"]

    assert act_ok(world, case_id, "sign")["status"] == "in_progress"
    reported = act_ok(world, case_id, "report")
    assert reported["status"] == "reported"
    assert reported["result"] == ACTION_BODY["report"]["result"]
    assert reported["reply"] == ACTION_BODY["report"]["reply"]
    assert clock_states(reported)["handling"] == "met"

    replied = act_ok(world, case_id, "reply")
    assert replied["status"] == "replied" and replied["replied_at"]
    assert clock_states(replied)["follow_up"] == "running"
    assert ACTION_BODY["report"]["reply"] in _notice(replied["events"], "reply")["params"]["text"]

    followed = act_ok(world, case_id, "follow_up")
    assert followed["status"] == "replied"
    assert followed["satisfaction"] == "satisfied"
    assert clock_states(followed)["follow_up"] == "met"

    closed = act_ok(world, case_id, "close")
    assert closed["status"] == "closed" and closed["closed_at"]
    assert set(clock_states(closed).values()) == {"met"}
    assert [e["kind"] for e in closed["events"]] == [
        "create", "accept", "notice", "dispatch", "sign", "report", "reply", "notice",
        "follow_up", "close",
    ]
    actors = [(e["kind"], e["actor"]) for e in closed["events"] if e["kind"] != "notice"]
    assert actors == [
        ("create", "clerk"), ("accept", "clerk"), ("dispatch", "dispatcher"),
        ("sign", "handler"), ("report", "handler"), ("reply", "clerk"),
        ("follow_up", "clerk"), ("close", "dispatcher"),
    ]
    statuses = [(e["from_status"], e["to_status"]) for e in closed["events"]
                if e["kind"] != "notice"]
    assert statuses[1:] == [
        ("received", "accepted"), ("accepted", "dispatched"), ("dispatched", "in_progress"),
        ("in_progress", "reported"), ("reported", "replied"), ("replied", "replied"),
        ("replied", "closed"),
    ]
    for event in closed["events"]:
        assert dt.datetime.fromisoformat(event["at"]).utcoffset() == dt.timedelta(hours=8)
    assert closed["version"] == 1 + 7


@time_machine.travel(local(2025, 3, 3, 10, 0), tick=False)
def test_life_of_a_petition(world):
    created = create_case(world, type="petition", category="PET", title="反映征地补偿问题",
                          description="村民反映征地补偿款未足额发放。")
    case_id = created["id"]
    notice_clock = created["deadlines"][0]
    assert (notice_clock["kind"], notice_clock["state"]) == ("notice", "running")
    # 15 days from 3 March, the start day not counted: 18 March (a Tuesday), end of day.
    assert notice_clock["due_at"] == "2025-03-18T23:59:59+08:00"

    accepted = act_ok(world, case_id, "accept")
    assert clock_states(accepted) == {"notice": "met", "handling": "running"}
    handling = next(d for d in accepted["deadlines"] if d["kind"] == "handling")
    # 60 days from 3 March is 2 May, inside the Labour Day holiday (1-5 May 2025): the
    # period ends on the next working day, 6 May.
    assert handling["due_at"] == "2025-05-06T23:59:59+08:00"
    assert handling["calendar_missing"] is False
    _notice(accepted["events"], "acceptance")

    dispatched = act_ok(world, case_id, "dispatch")
    assert clock_states(dispatched) == {"notice": "met", "handling": "running",
                                        "sign": "running"}
    signed = act_ok(world, case_id, "sign")
    assert signed["status"] == "in_progress"
    assert clock_states(signed)["sign"] == "met"

    extended = act_ok(world, case_id, "extend", days=10, reason="需要补充现场勘查")
    assert extended["status"] == "in_progress"
    handling = next(d for d in extended["deadlines"] if d["kind"] == "handling")
    assert handling["extended_by"] == 10
    # 70 days from 3 March: 12 May 2025, a Monday.
    assert handling["due_at"] == "2025-05-12T23:59:59+08:00"
    text = _notice(extended["events"], "extension")["params"]["text"]
    assert "需要补充现场勘查" in text and "10" in text

    act_ok(world, case_id, "report")
    replied = act_ok(world, case_id, "reply", delivered_via="post")
    assert clock_states(replied)["review_request"] == "running"
    act_ok(world, case_id, "follow_up")
    closed = act_ok(world, case_id, "close")
    assert closed["status"] == "closed"
    assert [e["kind"] for e in closed["events"]] == [
        "create", "accept", "notice", "dispatch", "sign", "extend", "notice", "report",
        "reply", "notice", "follow_up", "close",
    ]
    states = clock_states(closed)
    assert states["handling"] == states["notice"] == states["sign"] == "met"


def test_notices_for_not_accept_and_redirect_carry_the_reasons(world):
    refused = drive_to(world, "not_accepted")
    events = world.client("clerk").get(f"/api/v1/cases/{refused}").json()["events"]
    text = _notice(events, "non_acceptance")["params"]["text"]
    assert ACTION_BODY["not_accept"]["reason"] in text
    assert ACTION_BODY["not_accept"]["proper_channel"] in text

    redirected = drive_to(world, "redirected")
    events = world.client("clerk").get(f"/api/v1/cases/{redirected}").json()["events"]
    event = next(e for e in events if e["kind"] == "redirect")
    assert event["params"] == {"procedure": "litigation",
                               "reason": ACTION_BODY["redirect"]["reason"]}
    text = _notice(events, "redirection")["params"]["text"]
    assert ACTION_BODY["redirect"]["reason"] in text


def test_registration_decisions_need_their_reasons(world):
    case_id = create_case(world)["id"]
    before = snapshot(case_id)
    for action, body, field in [
        ("not_accept", {"reason": "", "proper_channel": "法院"}, "reason"),
        ("not_accept", {"reason": "不属于受理范围", "proper_channel": ""}, "proper_channel"),
        ("redirect", {"procedure": "magic", "reason": "x"}, "procedure"),
        ("redirect", {"procedure": "police"}, "reason"),
    ]:
        response = post_json(world.client(ACTION_ACTOR[action]),
                             f"/api/v1/cases/{case_id}/actions/{action}", body)
        assert response.status_code == 422, (action, response.content)
        assert response.json()["code"] == "invalid"
        assert field in response.json()["errors"]
    assert snapshot(case_id) == before

    act_ok(world, case_id, "accept")
    before = snapshot(case_id)
    for body, field in [
        ({"department": "D-NOPE", "leader": "leader"}, "department"),
        ({"department": "D-HRSS", "leader": "clerk"}, "leader"),
        ({"department": "D-HRSS", "leader": "leader", "handler": "other_handler"}, "handler"),
    ]:
        response = post_json(world.client("dispatcher"),
                             f"/api/v1/cases/{case_id}/actions/dispatch", body)
        assert response.status_code == 422, response.content
        assert field in response.json()["errors"]
    assert snapshot(case_id) == before


def test_petition_review_request_opens_a_review_case(world):
    case_id = drive_to(world, "replied", type="petition", category="PET")
    body = act_ok(world, case_id, "request_review")
    assert body["status"] == "replied"
    event = body["events"][-1]
    assert event["kind"] == "request_review"
    review = Case.objects.get(pk=event["params"]["review_case"])
    assert review.review_of_id == case_id
    assert review.receipt_code == event["params"]["review_receipt_code"]
    assert review.centre == world.county_centre
    assert list(review.clocks.values_list("kind", "state")) == [("review", "running")]
    assert CaseEvent.objects.filter(case=review, kind="create").count() == 1
    assert clock_states(body)["review_request"] == "met"


def test_a_request_has_no_review_window(world):
    case_id = drive_to(world, "replied")
    before = snapshot(case_id)
    response = act(world, case_id, "request_review")
    assert response.status_code == 409
    assert snapshot(case_id) == before


def test_petition_review_may_be_requested_after_closing_within_30_days(world):
    case_id = drive_to(world, "closed", type="petition", category="PET")
    detail = world.client("clerk").get(f"/api/v1/cases/{case_id}").json()
    # Closing ends the centre's clocks, not the resident's window to ask for a review.
    assert clock_states(detail)["review_request"] == "running"
    response = act(world, case_id, "request_review")
    assert response.status_code == 200, response.content
    assert Case.objects.filter(review_of_id=case_id).count() == 1


def test_unsatisfied_follow_up_restarts_the_petition_handling_clock(world):
    """Entering `reopened` through an unsatisfied follow-up is a reopening: the handling clock
    starts again (a bug found and fixed while writing this)."""
    case_id = drive_to(world, "replied", type="petition", category="PET")
    body = act_ok(world, case_id, "follow_up", satisfaction="unsatisfied")
    assert body["status"] == "reopened"
    running = [d for d in body["deadlines"] if d["state"] == "running"]
    assert [d["kind"] for d in running if d["kind"] == "handling"] == ["handling"]
    handling = next(d for d in running if d["kind"] == "handling")
    assert handling["length"] == 60 and handling["extended_by"] == 0
    # The earlier handling clock stays met; the new one starts at the follow-up.
    assert [d["state"] for d in body["deadlines"] if d["kind"] == "handling"] == [
        "met", "running"]


def test_incident_clock_is_fifteen_minutes_and_stops_on_acceptance(world):
    created = create_case(world, type="incident", category="INC-FIRE", title="出租屋起火",
                          description="东门社区出租屋起火，有人员被困。")
    assert created["priority"] == "critical"
    report = created["deadlines"][0]
    assert (report["kind"], report["unit"], report["length"]) == ("report", "minutes", 15)
    received = dt.datetime.fromisoformat(created["received_at"])
    assert dt.datetime.fromisoformat(report["due_at"]) == received + dt.timedelta(minutes=15)
    accepted = act_ok(world, created["id"], "accept")
    assert clock_states(accepted) == {"report": "met"}


def test_timestamps_are_shanghai_time(world):
    received = dt.datetime(2025, 3, 3, 1, 0, tzinfo=dt.UTC).isoformat()
    body = create_case(world, received_at=received)
    assert body["received_at"] == "2025-03-03T09:00:00+08:00"
    assert SHANGHAI.key == settings.TIME_ZONE
