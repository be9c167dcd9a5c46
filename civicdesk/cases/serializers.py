"""Turns cases into the API's JSON shapes (DESIGN.md "Staff API v1")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from civicdesk.cases.models import Case, CaseClock, CaseEvent, CaseParty


def iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat()


def mask_phone(phone: str) -> str:
    # 138****5678: enough to recognise, not enough to call.
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(id_number: str) -> str:
    if len(id_number) < 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_email(email: str) -> str:
    # l***@example.org: the domain helps recognise it, the mailbox stays hidden.
    if not email:
        return ""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def party_json(party: CaseParty) -> dict[str, Any]:
    # Masked values only; POST .../parties/{id}/reveal gives one in full, with a purpose.
    return {
        "id": party.pk,
        "role": party.role,
        "kind": party.kind,
        "name": party.name,
        "phone": mask_phone(party.phone),
        "id_number": mask_id_number(party.id_number),
        "email": mask_email(party.email),
        "organization": party.organization,
        "language": party.language,
        "confidential": party.confidential,
        "anonymous": party.anonymous,
    }


def clock_json(clock: CaseClock) -> dict[str, Any]:
    return {
        "kind": clock.kind,
        "due_at": iso(clock.due_at),
        "basis": clock.basis_display,
        "state": clock.state,
        "started_at": iso(clock.started_at),
        "length": clock.length,
        "unit": clock.unit,
        "extended_by": clock.extended_by,
        "suspended_for": clock.paused_units,
        "warning": clock.get_warning_level_display(),
        "warning_level": clock.warning_level,
        "calendar_missing": clock.calendar_missing,
    }


def event_json(event: CaseEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "actor": event.actor.username if event.actor else None,
        "at": iso(event.at),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "params": event.params,
    }


def case_summary_json(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "receipt_code": case.receipt_code,
        "type": case.type,
        "channel": case.channel,
        "status": case.status,
        "priority": case.priority,
        "title": case.title,
        "category": case.category.code,
        "area": case.area.code,
        "department": case.department.code if case.department else None,
        "leader": case.leader.username if case.leader else None,
        "received_at": iso(case.received_at),
        "warning_level": case.warning_level,
        "version": case.version,
    }


def case_detail_json(case: Case, *, allowed_actions: list[str]) -> dict[str, Any]:
    return {
        **case_summary_json(case),
        "description": case.description,
        "address": case.address,
        "location": (
            {"lat": case.latitude, "lng": case.longitude} if case.latitude is not None else None
        ),
        "centre": case.centre.code,
        "handler": case.handler.username if case.handler else None,
        "merged_into": case.merged_into_id,
        "review_of": case.review_of_id,
        "result": case.result,
        "reply": case.reply,
        "replied_at": iso(case.replied_at),
        "satisfaction": case.satisfaction or None,
        "closed_at": iso(case.closed_at),
        "parties": [party_json(p) for p in case.parties.all()],
        "deadlines": [clock_json(c) for c in case.clocks.all()],
        "events": [event_json(e) for e in case.events.all()],
        "allowed_actions": allowed_actions,
    }
