"""The standard's shapes, as JSON or as XML (built with ElementTree, never by string joins).

Builders return plain Python (dicts, lists, str, numbers, bools, None); `respond` writes them
in the format the URL's suffix asked for, following the standard's examples: a list becomes a
root element with one child per item, nested lists take the singular of their name.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from civicdesk.cases.choices import CaseType, Channel, Status
from civicdesk.cases.models import Case, Category
from civicdesk.cases.serializers import iso
from civicdesk.open311.attributes import attributes_for, definition_json
from civicdesk.open311.selectors import CLOSED_STATUSES

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
SPECIFICATION_URL = "http://wiki.open311.org/GeoReport_v2"
STATUS_NOTE_REPLY_LENGTH = 200
DESCRIPTION_LENGTH = 4000
_SINGULAR = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


# --- writing -------------------------------------------------------------------------------


def respond(data: Any, fmt: str, *, root: str, item: str | None, status: int = 200) -> HttpResponse:
    """`data` is a list of `item`s under `root` (item given) or one object named `root`."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False).encode()
    else:
        element = ET.Element(root)
        if item is None:
            _fill(element, data)
        else:
            for entry in data:
                _fill(ET.SubElement(element, item), entry)
        body = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, list):
        for child in value:
            _fill(ET.SubElement(element, _SINGULAR.get(element.tag, "item")), child)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def errors_response(status: int, problems: list[tuple[int, str]], fmt: str) -> HttpResponse:
    data = [{"code": code, "description": description} for code, description in problems]
    return respond(data, fmt, root="errors", item="error", status=status)


# --- shapes --------------------------------------------------------------------------------


def discovery_json(*, base_url: str, contact: str, key_service: str, changeset: str) -> Any:
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION_URL,
                "url": base_url,
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service_json(category: Category) -> dict[str, Any]:
    parent = category.parent
    names = [category.name_zh, category.name_en]
    if parent is not None:
        names += [parent.name_zh, parent.name_en]
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": str(CaseType(category.case_type).label),
        "metadata": bool(attributes_for(category.case_type)),
        "type": "realtime",
        "keywords": ", ".join(name for name in names if name),
        "group": parent.name if parent is not None else None,
    }


def service_definition_json(category: Category) -> dict[str, Any]:
    attributes = attributes_for(category.case_type)
    return {
        "service_code": category.code,
        "attributes": [definition_json(a, order) for order, a in enumerate(attributes, 1)],
    }


def created_json(case: Case, *, account_id: str) -> dict[str, Any]:
    return {
        "service_request_id": case.receipt_code,
        "service_notice": service_notice(case, expected=None),
        "account_id": account_id or None,
    }


def token_json(case: Case) -> dict[str, Any]:
    # Requests are created at once, so the "token" a client may hold is the id itself.
    return {"service_request_id": case.receipt_code, "token": case.receipt_code}


def request_json(case: Case) -> dict[str, Any]:
    """The public face of a case. Never its parties, staff, notes, results or events.

    The resident's own words (description, address, location, the reply) are published only
    for requests that were posted to this public interface. A case brought to the window, by
    phone or by letter was told to the centre, not to the public: for those the status, the
    service, the dates and the department responsible are enough to follow the matter."""
    expected = getattr(case, "expected_at", None)
    open311 = getattr(case, "open311", None)
    posted_here = case.channel == Channel.OPEN311
    return {
        "service_request_id": case.receipt_code,
        "status": "closed" if case.status in CLOSED_STATUSES else "open",
        "status_notes": status_notes(case, with_reply=posted_here),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": case.description[:DESCRIPTION_LENGTH] if posted_here else None,
        "agency_responsible": _department_name(case),
        "service_notice": service_notice(case, expected=expected),
        "requested_datetime": iso(case.received_at),
        "updated_datetime": iso(getattr(case, "updated_at", None) or case.received_at),
        "expected_datetime": iso(expected),
        "address": (case.address or None) if posted_here else None,
        "lat": case.latitude if posted_here else None,
        "long": case.longitude if posted_here else None,
        "media_url": (open311.media_url or None) if open311 is not None else None,
    }


def status_notes(case: Case, *, with_reply: bool = True) -> str:
    label = str(Status(case.status).label)
    if case.status == Status.MERGED and case.merged_into is not None:
        return _("{status}: followed under request {code}.").format(
            status=label, code=case.merged_into.receipt_code
        )
    if with_reply and case.status in CLOSED_STATUSES and case.reply:
        reply = case.reply.strip()
        if len(reply) > STATUS_NOTE_REPLY_LENGTH:
            reply = reply[: STATUS_NOTE_REPLY_LENGTH - 1] + "…"
        return _("{status}. Reply: {reply}").format(status=label, reply=reply)
    return label


def service_notice(case: Case, *, expected: Any) -> str:
    if expected is not None and case.status not in CLOSED_STATUSES:
        return _("Receipt code {code}. To be handled by {due}.").format(
            code=case.receipt_code, due=iso(expected)
        )
    return _(
        "Receipt code {code}. The centre decides on acceptance and answers within the time "
        "limits the law sets."
    ).format(code=case.receipt_code)


def _department_name(case: Case) -> str | None:
    department = case.department
    if department is None:
        return None
    english = not (translation.get_language() or "zh").lower().startswith("zh")
    return department.name_en if english and department.name_en else department.name
