"""Stored XSS: a script payload written into every free-text field staff or a resident can fill
is shown escaped, never as markup, on every page that shows it: the staff case page, the queue,
the receipt slip, the documents, the supervision pages, the audit page, the resident's track
page and Open311's XML. The fields are a table (FIELD_WRITERS); each page is checked for all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from civicdesk.cases.models import Case
from civicdesk.documents.context import available_kinds
from civicdesk.portal import access
from civicdesk.portal.services import resident_rate
from civicdesk.supervision.services import supervision_order_answer, supervision_order_issue
from civicdesk.workbench.services import saved_filter_create
from tests.conftest import World
from tests.helpers import FAST_HASHERS, act_ok, create_case


def payload(field: str) -> str:
    return f"<script>alert('{field}')</script>\"'><img src=x onerror=alert('{field}')>"


# Raw markup that must never reach a page; the escaped form of the first is asserted present.
RAW_MARKERS = ("<script>alert(", "<img src=x onerror")
ESCAPED_MARKER = "&lt;script&gt;alert("

PARTY_FIELDS = ("name", "organization")
CASE_FIELDS = ("title", "description", "address")


def _write_case(world: World) -> int:
    party = {"role": "requester", "phone": "13812345678",
             **{name: payload(f"party.{name}") for name in PARTY_FIELDS}}
    texts = {name: payload(f"case.{name}") for name in CASE_FIELDS}
    return int(create_case(world, parties=[party], **texts)["id"])


# Each staff action with its free-text fields, in an order that walks one case to its end.
ACTION_TEXTS: list[tuple[str, str | None, tuple[str, ...]]] = [
    ("accept", None, ("note",)),
    ("dispatch", None, ()),
    ("sign", None, ("note",)),
    ("extend", None, ("reason",)),
    ("suspend", None, ("reason",)),
    ("resume", None, ("note",)),
    ("report", None, ("result", "reply")),
    ("reply", None, ()),
]


def _write_actions(world: World, case_id: int) -> None:
    for action, actor, fields in ACTION_TEXTS:
        act_ok(world, case_id, action, actor, **{f: payload(f"{action}.{f}") for f in fields})


def _write_refusal(world: World) -> int:
    """A second case refused with reasons (not_accept's two fields)."""
    case_id = _write_case(world)
    act_ok(world, case_id, "not_accept", reason=payload("not_accept.reason"),
           proper_channel=payload("not_accept.proper_channel"))
    return case_id


def _write_resident_rating(case_id: int) -> None:
    case = Case.objects.get(pk=case_id)
    resident_rate(case=case, satisfaction="unsatisfied", note=payload("portal.rate.note"),
                  version=case.version)


def _write_supervision(world: World, case_id: int) -> int:
    order = supervision_order_issue(actor=world.users["dispatcher"], case_id=case_id,
                                    instructions=payload("supervision.instructions"), days=3)
    supervision_order_answer(actor=world.users["handler"], order_id=order.pk,
                             answer=payload("supervision.answer"))
    return order.pk


def _write_saved_filter(world: World) -> None:
    # Names are short (60 characters): the payload without its label.
    saved_filter_create(actor=world.users["dispatcher"], name=payload("")[:55],
                        query="status=received")


@pytest.fixture
def written(world: World, settings: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    main = _write_case(world)
    supervised = _write_case(world)
    act_ok(world, supervised, "accept")
    act_ok(world, supervised, "dispatch")
    order_id = _write_supervision(world, supervised)
    _write_actions(world, main)
    _write_resident_rating(main)
    refused = _write_refusal(world)
    _write_saved_filter(world)
    return {"cases": [main, supervised, refused], "order": order_id}


def _staff(world: World, username: str = "dispatcher") -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def _resident(case_id: int) -> Client:
    client = Client()
    session = client.session
    access.grant(session, Case.objects.get(pk=case_id))
    session.save()
    return client


# page name -> the URLs to render for the written cases.
PAGES: dict[str, Callable[[World, dict[str, Any]], list[tuple[Client, str]]]] = {
    "staff case page": lambda w, d: [
        (_staff(w), reverse("workbench:case", args=[c])) for c in d["cases"]],
    "queue": lambda w, d: [
        (_staff(w), reverse("workbench:queue")),
        (_staff(w), reverse("workbench:queue") + "?q=alert")],
    "receipt slip": lambda w, d: [
        (_staff(w, "clerk"), reverse("workbench:receipt", args=[c])) for c in d["cases"]],
    "documents": lambda w, d: [
        (_staff(w), reverse("documents:case_document", args=[c, kind]))
        for c in d["cases"] for kind in available_kinds(Case.objects.get(pk=c))
    ] + [(_staff(w), reverse("documents:case_documents", args=[c])) for c in d["cases"]]
      + [(_staff(w), reverse("documents:supervision_order", args=[d["order"]]))],
    "supervision": lambda w, d: [
        (_staff(w), reverse("supervision:board")), (_staff(w), reverse("supervision:orders")),
        (_staff(w, "handler"), reverse("supervision:orders"))],
    "audit": lambda w, d: [(_staff(w, "auditor"), reverse("audit:log"))],
    "resident track page": lambda w, d: [
        (_resident(c), reverse("portal:case", args=[Case.objects.get(pk=c).receipt_code]))
        for c in d["cases"]],
    "open311 xml": lambda w, d: [
        (Client(), "/open311/v2/requests.xml"),
        *[(Client(), f"/open311/v2/requests/{Case.objects.get(pk=c).receipt_code}.xml")
          for c in d["cases"]]],
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_written_payloads_are_never_rendered_as_markup(
    world: World, written: dict[str, Any], page: str
) -> None:
    shown_escaped = False
    for client, url in PAGES[page](world, written):
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        body = response.content.decode(errors="replace")
        for marker in RAW_MARKERS:
            assert marker not in body, (url, marker, body[body.find(marker) - 200:][:400])
        shown_escaped |= ESCAPED_MARKER in body or "&lt;script&gt;alert(" in body
    # The audit page, the supervision lists and Open311's list show codes and numbers, not
    # free text; the others must show some of it, or this test would be checking nothing.
    if page not in {"audit", "open311 xml", "supervision"}:
        assert shown_escaped, f"no page of '{page}' showed any written text: the test saw nothing"


def test_every_written_field_reaches_the_staff_case_page(
    world: World, written: dict[str, Any]
) -> None:
    """Guards the test itself: the payloads are stored and shown (escaped), not dropped."""
    page = "".join(
        _staff(world).get(reverse("workbench:case", args=[c])).content.decode()
        for c in written["cases"]
    )
    expected = [f"case.{name}" for name in ("title", "description")]
    expected += [f"{action}.{f}" for action, _actor, fields in ACTION_TEXTS for f in fields
                 if action in ("accept", "suspend", "report")]
    missing = [name for name in expected if f"alert(&#x27;{name}&#x27;)" not in page]
    assert not missing, missing
