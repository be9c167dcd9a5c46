"""Acceptance: every action of the API contract can be done from the case page by the roles
allowed to do it, and by no other.

For each action, a case is walked (with real actions) to a state where the action is possible;
then every role user of the test county opens the case page and tries the action's form. The
expected actors are written out by hand below from ACTION_ROLES and the scope rules, so the
test also fails if the permission module and this reading of the rules drift apart.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from civicdesk.cases.choices import Action
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.cases.permissions import may_act
from civicdesk.cases.services import ACTIONS
from civicdesk.organization.models import User
from civicdesk.workbench.casepage.forms import ACTION_FORMS
from tests.helpers import ACTION_BODY, FAST_HASHERS, act_ok, create_case, drive_to, snapshot

ROLE_USERS = [
    "clerk",
    "dispatcher",
    "handler",
    "dept_head",
    "leader",
    "other_handler",
    "town_clerk",
    "grid_worker",
    "admin",
    "auditor",
]

# The API contract's actions (DESIGN.md "Staff API v1 contract").
CONTRACT_ACTIONS = {
    "accept", "not_accept", "redirect", "dispatch", "sign", "return", "extend", "suspend",
    "resume", "report", "reply", "follow_up", "reopen", "request_review", "escalate", "merge",
    "close",
}

PETITION = {"type": "petition", "category": "PET"}
# Where each action is tried: the state it starts from and the kind of case. Every case lies in
# grid_a (so the grid worker's scope holds it) and is dispatched to D-HRSS with `leader`.
SETUP: dict[str, tuple[str, dict[str, Any]]] = {
    "accept": ("received", {}),
    "not_accept": ("received", {}),
    "redirect": ("received", {}),
    "merge": ("received", {}),
    "dispatch": ("accepted", {}),
    "sign": ("dispatched", {}),
    "return": ("dispatched", {}),
    "extend": ("in_progress", {}),
    "suspend": ("in_progress", {}),
    "report": ("in_progress", {}),
    "escalate": ("in_progress", {}),
    "resume": ("suspended", {}),
    "send_back": ("reported", {}),
    "reply": ("reported", {}),
    "follow_up": ("replied", {}),
    "reopen": ("replied", {}),
    "request_review": ("replied", PETITION),
    "close": ("replied and satisfied", {}),
}

# Who sees the case: the area roles always; the department and the leader once it is theirs.
AREA_STAFF = {"clerk", "dispatcher", "grid_worker", "auditor"}
DEPARTMENT_STAFF = {"handler", "dept_head"}
UNDISPATCHED = {"received", "accepted"}

# Who may take each action on that case, read off ACTION_ROLES and the scope rules by hand.
EXPECTED_ACTORS: dict[str, set[str]] = {
    "accept": {"clerk", "dispatcher"},
    "not_accept": {"clerk", "dispatcher"},
    "redirect": {"clerk", "dispatcher"},
    "merge": {"clerk", "dispatcher"},
    "dispatch": {"dispatcher"},
    "sign": {"handler", "dept_head"},
    "return": {"handler", "dept_head"},
    "extend": {"leader"},
    "suspend": {"handler", "dept_head"},
    "report": {"handler", "dept_head"},
    "escalate": {"dispatcher", "leader"},
    "resume": {"handler", "dept_head"},
    "send_back": {"dispatcher"},
    "reply": {"clerk", "dispatcher"},
    "follow_up": {"clerk", "dispatcher", "grid_worker"},
    "reopen": {"dispatcher", "leader"},
    "request_review": {"clerk", "dispatcher"},
    "close": {"dispatcher", "leader"},
}

ALLOWED_PAIRS = [
    (action, username) for action in SETUP for username in sorted(EXPECTED_ACTORS[action])
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def visible_to(state: str) -> set[str]:
    if state in UNDISPATCHED:
        return set(AREA_STAFF)
    return AREA_STAFF | DEPARTMENT_STAFF | {"leader"}


def prepare(world, action: str) -> int:
    state, kind = SETUP[action]
    create = {"area": world.grid_a.code, **kind}
    if state == "replied and satisfied":
        case_id = drive_to(world, "replied", **create)
        act_ok(world, case_id, "follow_up")
        return case_id
    return drive_to(world, state, **create)


def form_data(world, action: str, case_id: int) -> dict[str, Any]:
    data = {**ACTION_BODY.get(action, {})}
    if action == "merge":
        master = create_case(world, title="同一事项的主案件", area=world.grid_a.code)
        data["into"] = master["receipt_code"]
    data["version"] = Case.objects.get(pk=case_id).version
    return {key: value for key, value in data.items() if value is not None}


def browser(world, username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-GB")
    client.force_login(world.users[username])
    return client


def test_every_contract_action_has_a_form_and_a_setup():
    assert set(ACTION_FORMS) == set(ACTIONS) == set(SETUP) == set(EXPECTED_ACTORS)
    assert set(ACTION_FORMS) >= CONTRACT_ACTIONS
    # "rate" is the resident's own action on the portal: staff have no form for it.
    assert set(ACTION_FORMS) == set(Action.values) - {"create", "rate"}


@pytest.mark.parametrize("action", list(SETUP))
def test_form_is_shown_to_exactly_the_allowed_users_and_refused_to_the_others(world, action):
    case_id = prepare(world, action)
    case = Case.objects.select_related("area").get(pk=case_id)
    expected = EXPECTED_ACTORS[action]
    # The hand-written table and the permission module agree on this case.
    assert {u for u in ROLE_USERS if may_act(User.objects.get(username=u), case, action)} == (
        expected
    )
    visible = visible_to(SETUP[action][0])
    page_url = reverse("workbench:case", args=[case_id])
    action_url = reverse("workbench:case_action", args=[case_id, action])
    for username in ROLE_USERS:
        client = browser(world, username)
        page = client.get(page_url)
        if username not in visible:
            assert page.status_code == 404, (action, username)
        else:
            assert page.status_code == 200, (action, username)
            shown = f'id="action-form-{action}"' in page.content.decode()
            assert shown == (username in expected), (action, username)
        if username in expected:
            continue
        before = snapshot(case_id)
        refused = client.post(action_url, form_data(world, action, case_id))
        assert refused.status_code == (403 if username in visible else 404), (action, username)
        assert snapshot(case_id) == before, (action, username)


@pytest.mark.parametrize(("action", "username"), ALLOWED_PAIRS)
def test_allowed_user_does_the_action_from_the_page(world, action, username):
    case_id = prepare(world, action)
    before = Case.objects.get(pk=case_id)
    response = browser(world, username).post(
        reverse("workbench:case_action", args=[case_id, action]), form_data(world, action, case_id)
    )
    assert response.status_code == 302, (action, username, response.content.decode()[:2000])
    after = Case.objects.get(pk=case_id)
    assert after.version > before.version
    event = CaseEvent.objects.filter(case_id=case_id, kind=action).latest("id")
    assert event.actor.username == username
