"""The permission table (civicdesk.cases.permissions.PERMISSIONS), walked cell by cell.

Every (role, own scope / other scope, capability) cell of the table is tried over both channels
a person uses: the staff API (bearer token) and the web case page (session). For each capability
a case is built with the services and walked to a state where the capability is possible; then,
for each role, a user holding just that role (once in a scope that holds the case, once in one
that does not) opens the case and tries the capability. What must happen is read off the table:
seen or "not found", form shown or not, action done or refused (403 inside scope, 404 outside).

The table is the specification; this test checks that the views, the API and the services
enforce exactly it. docs/permissions.md is checked to be the table's current rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from civicdesk.cases.choices import Action
from civicdesk.cases.intake import case_create
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.cases.permissions import (
    CAPABILITIES,
    PERMISSIONS,
    REVEAL,
    VIEW,
    Scope,
    can_see,
    may,
    may_reveal,
    permission_table_markdown,
)
from civicdesk.cases.services import ACTIONS, case_act
from civicdesk.organization.choices import Role
from civicdesk.organization.models import RoleAssignment, User
from civicdesk.organization.tokens import token_issue
from tests.conftest import World, case_payload
from tests.helpers import ACTION_ACTOR, ACTION_BODY, FAST_HASHERS, PATHS, post_json, snapshot

ROOT = Path(__file__).resolve().parent.parent
SCOPES = ("own", "other")
PETITION = {"type": "petition", "category": "PET"}

# Where each capability is tried: the state the case is walked to, and the kind of case. Every
# case lies in grid_a and, once dispatched, belongs to D-HRSS with the "own" leader.
SETUP: dict[str, tuple[str, dict[str, Any]]] = {
    VIEW: ("in_progress", {}),
    REVEAL: ("in_progress", {}),
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
CASE_CAPABILITIES = [c for c in CAPABILITIES if c != Action.CREATE]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


@dataclass
class Person:
    """A user holding just one role, in a scope that holds the test cases ("own") or not."""

    role: str
    scope: str
    user: User
    api: Client
    web: Client

    def __str__(self) -> str:
        return f"{self.role}/{self.scope}"


def assignment_for(world: World, role: str, scope: str) -> dict[str, Any]:
    """The role assignment that puts grid_a's cases (dispatched to D-HRSS) inside or outside
    the role's scope, by what the table says the scope is made of."""
    kind = PERMISSIONS[role].scope
    if kind is Scope.DEPARTMENT:
        return {"department": world.dept if scope == "own" else world.other_dept}
    if kind is Scope.LED_CASES:
        # A leader's own cases are the ones dispatched with them as leader (see drive()).
        return {}
    # Area roles, and the administrator given the very area that would let the others see.
    return {"area": world.village_a if scope == "own" else world.town_b}


def make_person(world: World, role: str, scope: str, *also: str) -> Person:
    """A user with `role` (and the roles `also`), each assigned in `scope`."""
    name = "_".join((role, *also, scope))
    user = User.objects.create_user(username=name, display_name=name)
    for each in (role, *also):
        RoleAssignment.objects.create(user=user, role=each, **assignment_for(world, each, scope))
    web = Client(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user)}", HTTP_ACCEPT_LANGUAGE="en")
    return Person(role, scope, user, api, web)


@pytest.fixture
def people(world: World) -> list[Person]:
    return [make_person(world, role, scope) for role in Role.values for scope in SCOPES]


def leader_of_own_cases(people: list[Person]) -> User:
    return next(p.user for p in people if p.role == Role.LEADER and p.scope == "own")


def drive(world: World, leader: User, capability: str) -> int:
    """A new case in grid_a, walked with the services to where `capability` is possible."""
    state, kind = SETUP[capability]
    case, _ = case_create(
        actor=world.users["clerk"], data=case_payload(world, area=world.grid_a.code, **kind)
    )
    steps = list(PATHS[state.removesuffix(" and satisfied")])
    if state.endswith(" and satisfied"):
        steps.append("follow_up")
    for action in steps:
        body = dict(ACTION_BODY[action])
        if action == "dispatch":
            body["leader"] = leader.username
        case_act(actor=world.users[ACTION_ACTOR[action]], case_id=case.pk, action=action, data=body)
    return case.pk


def expected(person: Person, case: Case, capability: str) -> tuple[bool, bool]:
    """(sees the case, may use the capability) as the table says, for this person and case."""
    rights = PERMISSIONS[person.role]
    allowed = rights.own_scope if person.scope == "own" else rights.other_scope
    in_scope = person.scope == "own" and held_by_scope(rights.scope, case, person.user)
    return in_scope and VIEW in allowed, in_scope and capability in allowed


def held_by_scope(kind: Scope, case: Case, user: User) -> bool:
    """Whether an "own" assignment of this kind holds the case yet: a department's and a
    leader's cases become theirs when dispatched; area assignments hold grid_a from intake."""
    if kind is Scope.DEPARTMENT:
        return case.department_id is not None
    if kind is Scope.LED_CASES:
        return case.leader_id == user.pk
    return True


def action_body(world: World, action: str, case_id: int, *, web: bool) -> dict[str, Any]:
    data = {**ACTION_BODY.get(action, {}), "version": Case.objects.get(pk=case_id).version}
    if action == "merge":
        master, _ = case_create(
            actor=world.users["clerk"],
            data=case_payload(world, title="同一事项的主案件", area=world.grid_a.code),
        )
        # The API takes the master's id; the web form takes what a clerk types, its code.
        data["into"] = master.receipt_code if web else master.pk
    return {key: value for key, value in data.items() if value is not None}


def api_case_url(case_id: int) -> str:
    return f"/api/v1/cases/{case_id}"


def api_action_url(case_id: int, action: str) -> str:
    return f"/api/v1/cases/{case_id}/actions/{action}"


def form_shown(page: Any, action: str) -> bool:
    return f'id="action-form-{action}"' in page.content.decode()


# --- the table itself -------------------------------------------------------------------------


def test_table_has_every_role_and_every_staff_action() -> None:
    assert set(PERMISSIONS) == set(Role.values)
    assert set(CAPABILITIES) == {VIEW, REVEAL, *Action.values} - {Action.RATE}
    # Every action the services know is a column, and has a SETUP here.
    assert set(ACTIONS) | {VIEW, REVEAL} == set(SETUP)
    assert all(not rights.other_scope for rights in PERMISSIONS.values())


def test_separation_of_duties_and_read_only_roles() -> None:
    # Stated by hand: these are the decisions the table must keep (DOMAIN.md, issue 5).
    assert PERMISSIONS[Role.ADMIN].own_scope == frozenset()
    for role in (Role.SUPERVISOR, Role.MEDIATOR, Role.AUDITOR):
        assert PERMISSIONS[role].own_scope == {VIEW}, role


def test_docs_permissions_md_is_the_current_rendering_of_the_table(capsys: Any) -> None:
    committed = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert committed == permission_table_markdown(), (
        "docs/permissions.md is stale: run "
        "`python manage.py permission_table --markdown > docs/permissions.md`"
    )
    call_command("permission_table", "--markdown")
    assert capsys.readouterr().out == committed


# --- every cell, over both channels -----------------------------------------------------------


def setups() -> dict[str, list[str]]:
    """The capabilities grouped by the case they are tried on, so that each group shares one
    case, one set of people and one reading of the page per person."""
    groups: dict[str, list[str]] = {}
    for capability in CASE_CAPABILITIES:
        groups.setdefault(setup_key(capability), []).append(capability)
    return groups


def setup_key(capability: str) -> str:
    state, kind = SETUP[capability]
    return state + (f" {kind['type']}" if kind else "")


@pytest.mark.parametrize(("setup", "capabilities"), list(setups().items()), ids=list(setups()))
def test_every_role_in_and_out_of_scope_gets_what_the_table_says(
    world: World, people: list[Person], setup: str, capabilities: list[str]
) -> None:
    leader = leader_of_own_cases(people)
    case_id = drive(world, leader, capabilities[0])
    case = Case.objects.select_related("area").get(pk=case_id)
    problems: list[str] = []
    # Read first: the allowed actions below register more cases, and lists show the newest.
    for person in people:
        problems += check_reading(person, case, capabilities)
    for person in people:
        for capability in capabilities:
            if capability not in ACTIONS:
                continue
            sees, allowed = expected(person, case, capability)
            if allowed:
                problems += check_action_done(world, person, leader, capability)
            else:
                problems += check_action_refused(world, person, case_id, capability, sees=sees)
    assert not problems, "\n".join(problems)


def check_reading(person: Person, case: Case, capabilities: list[str]) -> list[str]:
    """The case over the API and the web page, and the permission functions themselves."""
    problems = []
    sees, _ = expected(person, case, VIEW)
    # The enforcing functions agree with the table and with each other (list filter vs. one case).
    if can_see(person.user, case) != sees or may(person.user, case, VIEW) != sees:
        problems.append(f"{person}: can_see/may(view) is not {sees}")
    api = person.api.get(api_case_url(case.pk))
    if api.status_code != (200 if sees else 404):
        problems.append(f"{person}: API GET answered {api.status_code}")
    page = person.web.get(reverse("workbench:case", args=[case.pk]))
    if page.status_code != (200 if sees else 404):
        problems.append(f"{person}: case page answered {page.status_code}")
    listed = {row["id"] for row in person.api.get("/api/v1/cases").json()["results"]}
    if (case.pk in listed) != sees:
        problems.append(f"{person}: case listed is not {sees}")
    for capability in capabilities:
        _, allowed = expected(person, case, capability)
        if capability == REVEAL:
            problems += check_reveal(person, case, sees=sees, allowed=allowed)
        if capability not in ACTIONS or not sees:
            continue
        if (capability in api.json()["allowed_actions"]) != allowed:
            problems.append(f"{person} {capability}: API allowed_actions is not {allowed}")
        if form_shown(page, capability) != allowed:
            problems.append(f"{person} {capability}: form shown is not {allowed}")
    return problems


def check_reveal(person: Person, case: Case, *, sees: bool, allowed: bool) -> list[str]:
    """may_reveal, and the reveal endpoints of the API and the page where they exist."""
    problems = []
    if may_reveal(person.user, case) != allowed:
        problems.append(f"{person}: may_reveal is not {allowed}")
    party = case.parties.order_by("id").first()
    assert party is not None
    answer = 200 if allowed else (403 if sees else 404)
    body = {"field": "phone", "purpose": "核对当事人身份后回电"}
    api_url = f"/api/v1/cases/{case.pk}/parties/{party.pk}/reveal"
    if route_exists(api_url):
        api = post_json(person.api, api_url, body)
        if api.status_code != answer:
            problems.append(f"{person} reveal: API POST answered {api.status_code}, not {answer}")
    try:
        web_url = reverse("workbench:case_party_reveal", args=[case.pk, party.pk])
    except NoReverseMatch:
        return problems
    web = person.web.post(web_url, body)
    if web.status_code != answer:
        problems.append(f"{person} reveal: form POST answered {web.status_code}, not {answer}")
    return problems


def route_exists(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def check_action_refused(
    world: World, person: Person, case_id: int, action: str, *, sees: bool
) -> list[str]:
    problems = []
    refusal = 403 if sees else 404
    before = snapshot(case_id)
    body = action_body(world, action, case_id, web=False)
    api = post_json(person.api, api_action_url(case_id, action), body)
    if api.status_code != refusal:
        problems.append(f"{person} {action}: API POST answered {api.status_code}, not {refusal}")
    web = person.web.post(
        reverse("workbench:case_action", args=[case_id, action]),
        action_body(world, action, case_id, web=True),
    )
    if web.status_code != refusal:
        problems.append(f"{person} {action}: form POST answered {web.status_code}, not {refusal}")
    if snapshot(case_id) != before:
        problems.append(f"{person} {action}: a refused action changed the case")
    return problems


def check_action_done(world: World, person: Person, leader: User, action: str) -> list[str]:
    """An allowed action is done once through the API and once from the page, each on a case
    of its own."""
    problems = []
    on_api = drive(world, leader, action)
    body = action_body(world, action, on_api, web=False)
    api = post_json(person.api, api_action_url(on_api, action), body)
    if api.status_code != 200:
        problems.append(f"{person} {action}: API POST answered {api.status_code}: {api.content!r}")
    on_web = drive(world, leader, action)
    web = person.web.post(
        reverse("workbench:case_action", args=[on_web, action]),
        action_body(world, action, on_web, web=True),
    )
    if web.status_code != 302:
        problems.append(f"{person} {action}: form POST answered {web.status_code}")
    for case_id, channel in ((on_api, "API"), (on_web, "form")):
        done = CaseEvent.objects.filter(case_id=case_id, kind=action, actor=person.user).exists()
        if not done:
            problems.append(f"{person} {action}: no {action} event by them after the {channel}")
    return problems


# --- registering a case: scoped by the area it is registered in --------------------------------


def intake_form(world: World) -> dict[str, str]:
    return {
        "idempotency_key": "",
        "category": "REQ-WAGE",
        "title": "拖欠工资三个月",
        "description": "某建筑公司拖欠农民工工资三个月，共计两万元。",
        "area": world.grid_a.code,
        "address": "东门社区幸福路8号",
        "party-0-name": "张三",
        "party-0-phone": "13812345678",
        "party-0-id_number": "",
        "party-0-organization": "",
        "party-0-role": "requester",
        "type": "",
        "channel": "walk_in",
        "received_at": "",
        "priority": "normal",
    }


def test_registering_a_case_follows_the_table(world: World, people: list[Person]) -> None:
    problems = []
    intake = reverse("workbench:intake")
    for person in people:
        rights = PERMISSIONS[person.role]
        holds_create = Action.CREATE in rights.own_scope
        allowed = holds_create and person.scope == "own"
        before = Case.objects.count()
        api = post_json(person.api, "/api/v1/cases", case_payload(world, area=world.grid_a.code))
        if allowed and api.status_code != 201:
            problems.append(f"{person} create: API answered {api.status_code}")
        if not allowed and (api.status_code != 422 or "area" not in api.json()["errors"]):
            problems.append(f"{person} create: API answered {api.status_code}, not 422 on area")
        # The page lists the areas the user registers in: it opens for every holder of the
        # role, and an area outside scope is refused on its field.
        page = person.web.get(intake)
        if page.status_code != (200 if holds_create else 403):
            problems.append(f"{person} create: intake page answered {page.status_code}")
        posted = person.web.post(intake, intake_form(world))
        expected_post = 302 if allowed else (422 if holds_create else 403)
        if posted.status_code != expected_post:
            problems.append(f"{person} create: intake POST answered {posted.status_code}")
        made = Case.objects.count() - before
        if made != (2 if allowed else 0):
            problems.append(f"{person} create: {made} cases registered")
    assert not problems, "\n".join(problems)


# --- scope details the cells above do not reach -------------------------------------------------


def test_administrator_reads_cases_only_when_also_given_a_case_role(
    world: World, people: list[Person]
) -> None:
    case_id = drive(world, leader_of_own_cases(people), VIEW)
    admin_alone = next(p for p in people if p.role == Role.ADMIN and p.scope == "own")
    assert admin_alone.api.get(api_case_url(case_id)).status_code == 404
    assert admin_alone.web.get(reverse("workbench:case", args=[case_id])).status_code == 404
    assert admin_alone.api.get("/api/v1/cases").json()["results"] == []

    admin_auditor = make_person(world, Role.ADMIN, "own", Role.AUDITOR)
    assert admin_auditor.api.get(api_case_url(case_id)).status_code == 200
    assert admin_auditor.web.get(reverse("workbench:case", args=[case_id])).status_code == 200
    case = Case.objects.get(pk=case_id)
    # The added role brings its own rights and no more: an auditor reveals nothing.
    assert not may_reveal(admin_auditor.user, case)


def test_assignment_scope_through_a_department(world: World, people: list[Person]) -> None:
    """A mediator assigned to a department (not an area) sees that department's cases once
    they are dispatched there, and nothing before."""
    leader = leader_of_own_cases(people)
    user = User.objects.create_user(username="mediator_dept")
    RoleAssignment.objects.create(user=user, role=Role.MEDIATOR, department=world.dept)
    received = Case.objects.get(pk=drive(world, leader, "accept"))
    dispatched = Case.objects.get(pk=drive(world, leader, "sign"))
    assert not can_see(user, received)
    assert can_see(user, dispatched)
    assert not may(user, dispatched, Action.SIGN)


def test_handler_assignment_naming_an_area_sees_only_its_department(
    world: World, people: list[Person]
) -> None:
    """Department roles act only on their department's cases, and see no more than that."""
    user = User.objects.create_user(username="handler_with_area")
    RoleAssignment.objects.create(
        user=user, role=Role.HANDLER, department=world.other_dept, area=world.county
    )
    case = Case.objects.get(pk=drive(world, leader_of_own_cases(people), VIEW))
    assert not can_see(user, case)
    assert not may(user, case, Action.SUSPEND)

