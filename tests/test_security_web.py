"""CSRF and IDOR over every route, generated from the URL resolver so that a new page is
covered the day it is added.

CSRF: every POST to a page of the workbench, portal, supervision, audit, documents, admin and
the language switch, sent with a session cookie but without the token, is refused (403) and
changes nothing. Open311 and the staff API are exempt by design (a key or a bearer token, never a
cookie, authenticates them); the staff API must then not accept a session cookie instead.

IDOR: every route with an id or a receipt code, opened by staff of another township or
department with the id of a real case outside their scope, answers exactly as for an id that does
not exist (404 for staff pages and the API) and never shows the case's text. A route with a
parameter this file does not know fails the test: add the parameter to ID_SOURCES."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from civicdesk.cases.attachments import attachment_add
from civicdesk.cases.models import Case
from civicdesk.documents.context import available_kinds
from civicdesk.notifications.models import OutboxMessage
from civicdesk.organization.choices import Role
from civicdesk.organization.models import RoleAssignment, User
from civicdesk.organization.tokens import token_issue
from civicdesk.supervision.services import supervision_order_issue
from civicdesk.workbench.services import saved_filter_create
from tests.conftest import World
from tests.helpers import FAST_HASHERS, act_ok, create_case, tiny_png

SECRET_TITLE = "SECRET-TITLE-a81f 秘密标题"
SECRET_TEXT = "SECRET-DESCRIPTION-5c2e 只有本辖区可见"
SECRET_NAME = "保密人甲"

# Namespaces whose views are csrf_exempt on purpose: nothing there reads a cookie.
CSRF_EXEMPT_NAMESPACES = {"open311", "api-v1"}


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name, for reverse()
    params: tuple[str, ...]
    callback: Callable[..., Any] = field(compare=False)

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""


def _walk(resolver: URLResolver, namespace: str, params: tuple[str, ...]) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        names = params + tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from _walk(entry, inner, names)
        elif isinstance(entry, URLPattern):
            if entry.name is None and namespace == "admin:":
                continue  # Django's own redirect from <id>/ to the named change page
            assert entry.name, f"a route without a name cannot be checked: {entry.pattern}"
            yield Route(namespace + entry.name, names, entry.callback)


def all_routes() -> list[Route]:
    return sorted(set(_walk(get_resolver(), "", ())), key=lambda route: route.name)


# --- the objects the routes point at --------------------------------------------------------


@dataclass
class Estate:
    """A case of 东城街道 (town A) handled by 县人社局, with something behind every kind of id."""

    world: World
    case: Case
    attachment_id: int
    message_id: int
    order_id: int
    saved_filter_id: int
    probes: dict[str, User]


def _extra_user(username: str, role: str, **grant: Any) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    RoleAssignment.objects.create(user=user, role=role, **grant)
    return user


@pytest.fixture
def estate(world: World, settings: Any) -> Estate:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    party = {"role": "requester", "name": SECRET_NAME, "phone": "13812345678",
             "email": "resident@example.com"}
    case_id = create_case(world, title=SECRET_TITLE, description=SECRET_TEXT, parties=[party])["id"]
    for action in ("accept", "dispatch", "sign"):
        act_ok(world, case_id, action)
    upload = _png_upload()
    attachment = attachment_add(actor=world.users["clerk"], case_id=case_id, upload=upload)
    message = OutboxMessage.objects.filter(case_id=case_id).first()
    assert message is not None, "the case's events should have queued a message to the resident"
    order = supervision_order_issue(
        actor=world.users["dispatcher"], case_id=case_id, instructions="请尽快办理", days=3
    )
    saved = saved_filter_create(
        actor=world.users["dispatcher"], name="我的筛选", query="status=received"
    )
    probes = {
        "town_clerk": world.users["town_clerk"],
        "other_handler": world.users["other_handler"],
        "town_dispatcher": _extra_user("town_dispatcher", Role.DISPATCHER, area=world.town_b),
        "other_head": _extra_user("other_head", Role.DEPT_HEAD, department=world.other_dept),
    }
    return Estate(world, Case.objects.get(pk=case_id), attachment.pk, message.pk, order.pk,
                  saved.pk, probes)


def _png_upload() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.png", tiny_png(), content_type="image/png")


# parameter name -> the value of a real object behind it (outside the probes' scope).
ID_SOURCES: dict[str, Callable[[Estate], Any]] = {
    "pk": lambda e: e.case.pk,
    "case_id": lambda e: e.case.pk,
    "att_id": lambda e: e.attachment_id,
    "message_id": lambda e: e.message_id,
    "party_id": lambda e: e.case.parties.first().pk,
    "order_id": lambda e: e.order_id,
    "code": lambda e: e.case.receipt_code,
    "kind": lambda e: available_kinds(e.case)[0],
    "action": lambda e: "report",
    # Admin: the object is the case itself, or its requester's account.
    "object_id": lambda e: e.case.pk,
    "app_label": lambda e: "cases",
    "content_type_id": lambda e: ContentType.objects.get_for_model(Case).pk,
    "id": lambda e: e.world.users["clerk"].pk,
    "url": lambda e: "nothing-here/",
    # Open311 (exempt from both checks below, but its URLs must still be buildable).
    "fmt": lambda e: "json",
    "token": lambda e: "0",
    "path": lambda e: "nothing-here",
}

# A route whose `pk` means something other than a case.
PK_SOURCES: dict[str, Callable[[Estate], Any]] = {
    "workbench:queue_filter_delete": lambda e: e.saved_filter_id,
    "supervision:answer": lambda e: e.order_id,
}

# Values with the same shape that point at nothing.
MISSING: dict[str, Any] = {
    "pk": 987654, "case_id": 987654, "att_id": 987654, "message_id": 987654,
    "order_id": 987654, "object_id": 987654, "id": 987654, "party_id": 987654,
}


def _real_kwargs(route: Route, estate: Estate) -> dict[str, Any]:
    unknown = [name for name in route.params if name not in ID_SOURCES]
    assert not unknown, (
        f"{route.name} takes {unknown}: add to ID_SOURCES how to find a real one, so the CSRF and "
        "IDOR checks cover this route"
    )
    kwargs = {name: ID_SOURCES[name](estate) for name in route.params}
    if "pk" in kwargs and route.name in PK_SOURCES:
        kwargs["pk"] = PK_SOURCES[route.name](estate)
    return kwargs


def _url(route: Route, kwargs: dict[str, Any]) -> str:
    return reverse(route.name, kwargs=kwargs)


# What a refused request must leave alone. Sessions, tokens, axes' records and the access log
# are written by reading and refusing itself, so they are not watched.
WATCHED_APPS = {"cases", "supervision", "workbench", "notifications", "documents", "organization"}


def _row_counts() -> dict[str, Any]:
    counts: dict[str, Any] = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in WATCHED_APPS and model._meta.model_name != "apitoken"
    }
    counts["case versions"] = list(Case.objects.order_by("pk").values_list("pk", "version"))
    return counts


# --- CSRF ------------------------------------------------------------------------------------


def _signed_in(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_only_cookie_free_endpoints_are_csrf_exempt(db: Any) -> None:
    exempt = {r.name for r in all_routes() if getattr(r.callback, "csrf_exempt", False)}
    assert {name.split(":")[0] for name in exempt} <= CSRF_EXEMPT_NAMESPACES, exempt


def test_every_post_without_a_csrf_token_is_refused_and_writes_nothing(estate: Estate) -> None:
    superuser = User.objects.create_superuser("root", password="pw-root")
    staff = _signed_in(estate.world.users["dispatcher"])
    admin = _signed_in(superuser)
    resident = Client(enforce_csrf_checks=True)
    resident.get(reverse("portal:track"))  # a session and a CSRF cookie, as a browser has
    checked = []
    for route in all_routes():
        if route.namespace in CSRF_EXEMPT_NAMESPACES:
            continue
        client = {"admin": admin, "portal": resident}.get(route.namespace, staff)
        url = _url(route, _real_kwargs(route, estate))
        before = _row_counts()
        response = client.post(url, {"reason": "x", "name": "x", "note": "x"})
        assert response.status_code == 403, (route.name, url, response.status_code)
        assert _row_counts() == before, route.name
        checked.append(route.name)
    assert "workbench:case_action" in checked and "portal:rate" in checked, checked


def test_the_staff_api_ignores_a_session_cookie(estate: Estate) -> None:
    """A signed-in browser visiting a hostile page must not be able to write through the API."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(estate.world.users["clerk"])
    before = _row_counts()
    created = client.post("/api/v1/cases", {"title": "x"}, content_type="application/json")
    acted = client.post(f"/api/v1/cases/{estate.case.pk}/actions/report",
                        {"result": "x", "reply": "x"}, content_type="application/json")
    read = client.get(f"/api/v1/cases/{estate.case.pk}")
    assert (created.status_code, acted.status_code, read.status_code) == (401, 401, 401)
    assert _row_counts() == before


# --- IDOR ------------------------------------------------------------------------------------

# Open311 shows the public fields of public requests to anyone, by the standard; admin is for
# the administrators alone (it refuses everyone else whatever the id).
IDOR_SKIPPED_NAMESPACES = {"open311", "admin"}


def _probe_client(route: Route, user: User, world: World) -> Client:
    if route.namespace == "api-v1":
        return Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=user)}")
    if route.namespace == "portal":
        return Client()  # a resident who has not proved anything about this case
    client = Client()
    client.force_login(user)
    return client


def _missing_kwargs(route: Route, real: dict[str, Any]) -> dict[str, Any]:
    kwargs = {name: MISSING.get(name, value) for name, value in real.items()}
    if "code" in kwargs:
        code = str(real["code"])
        kwargs["code"] = code[:-4] + ("0000" if not code.endswith("0000") else "1111")
    return kwargs


def _send(client: Client, route: Route, method: str, url: str) -> Any:
    if method == "get":
        return client.get(url)
    if route.name == "api-v1:attach":
        return client.post(url, {"file": _png_upload()})
    if route.namespace == "api-v1":
        return client.post(url, {"reason": "x", "note": "x"}, content_type="application/json")
    return client.post(url, {"reason": "x", "note": "x", "answer": "x", "instructions": "x"})


def _id_routes() -> list[Route]:
    return [
        route
        for route in all_routes()
        if route.params
        and route.namespace not in IDOR_SKIPPED_NAMESPACES
        and set(route.params) - {"fmt"}
    ]


@pytest.mark.parametrize("probe", ["town_clerk", "other_handler", "town_dispatcher", "other_head"])
def test_no_route_with_an_id_reveals_a_case_outside_the_users_scope(
    estate: Estate, probe: str
) -> None:
    user = estate.probes[probe]
    world = estate.world
    secrets = [SECRET_TITLE, SECRET_TEXT, SECRET_NAME]
    problems = []
    for route in _id_routes():
        real = _real_kwargs(route, estate)
        for method in ("get", "post"):
            client = _probe_client(route, user, world)
            before = _row_counts()
            response = _send(client, route, method, _url(route, real))
            body = response.content.decode(errors="replace")
            if any(secret in body for secret in secrets):
                problems.append(f"{method.upper()} {route.name}: shows the case's text")
            if _row_counts() != before:
                problems.append(f"{method.upper()} {route.name}: wrote something")
            status = response.status_code
            if status == 405:
                continue  # the route does not take this method at all, whatever the id
            missing = _send(_probe_client(route, user, world), route, method,
                            _url(route, _missing_kwargs(route, real))).status_code
            if route.namespace == "portal":
                # The resident pages send anyone without a proof to the tracking form, alike for
                # a real and an unknown code (the code itself is in the form's link).
                same = status == missing and status in (302, 404)
            else:
                # 404; or a refusal by role alone (supervision for a clerk), which is the same
                # for every id and so tells nothing about the case.
                same = status == missing and status in (404, 403)
            if not same:
                problems.append(
                    f"{method.upper()} {route.name}: {status} for a real id outside the scope, "
                    f"{missing} for an id that does not exist"
                )
    assert not problems, "\n".join(problems)
