"""Registering a case: validate everything first, then write it all in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicdesk.cases import clocks
from civicdesk.cases.choices import (
    ANONYMOUS_TYPES,
    Action,
    CaseType,
    Channel,
    PartyKind,
    PartyRole,
    Priority,
)
from civicdesk.cases.events import append_event
from civicdesk.cases.models import Case, CaseParty, CaseSearch, Category
from civicdesk.cases.permissions import may_act_in_area
from civicdesk.cases.receipt_codes import new_receipt_code
from civicdesk.cases.search import document_words
from civicdesk.cases.validation import (
    email_problem,
    id_number_problem,
    normalise_phone,
    phone_problem,
)
from civicdesk.core.errors import ValidationFailed
from civicdesk.organization.models import Area, Centre

MAX_REPRESENTATIVES = 5  # 信访工作条例 art 20: a group visit sends at most five


@dataclass
class Errors:
    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, problem: str) -> None:
        self.by_field.setdefault(name, []).append(problem)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationFailed(self.by_field)


@dataclass(frozen=True)
class CleanCase:
    type: str
    channel: str
    category: Category
    area: Area
    title: str
    description: str
    address: str
    latitude: float | None
    longitude: float | None
    received_at: dt.datetime
    priority: str
    parties: list[dict[str, Any]]
    idempotency_key: str | None


def case_create(
    *, actor: Any, data: dict[str, Any], now: dt.datetime | None = None
) -> tuple[Case, bool]:
    """Registers a case; returns (case, created). A repeated idempotency key returns the case
    made the first time, with created=False."""
    now = now or timezone.now()
    clean = clean_case_input(data, actor=actor, now=now)
    if clean.idempotency_key:
        existing = Case.objects.filter(
            created_by=actor, idempotency_key=clean.idempotency_key
        ).first()
        if existing is not None:
            return existing, False
    try:
        return _write_case(clean, actor=actor, now=now), True
    except IntegrityError:
        # Two requests with one idempotency key raced; the other one's case is the answer.
        if clean.idempotency_key:
            existing = Case.objects.filter(
                created_by=actor, idempotency_key=clean.idempotency_key
            ).first()
            if existing is not None:
                return existing, False
        raise


def clean_case_input(data: dict[str, Any], *, actor: Any, now: dt.datetime) -> CleanCase:
    errors = Errors()
    case_type = _choice(errors, data, "type", CaseType.values)
    channel = _choice(errors, data, "channel", Channel.values)
    priority = data.get("priority") or Priority.NORMAL
    if priority not in Priority.values:
        errors.add("priority", _("Unknown priority “{value}”.").format(value=priority))
    category = _category(errors, data.get("category"), case_type)
    area = _area(errors, data.get("area"), actor)
    title = _text(errors, data, "title", 200)
    description = _text(errors, data, "description", 20000)
    address = str(data.get("address") or "").strip()[:300]
    latitude, longitude = _location(errors, data.get("location"))
    received_at = _received_at(errors, data.get("received_at"), now)
    parties = _parties(errors, data.get("parties"), case_type)
    key = data.get("idempotency_key") or None
    if key is not None and (not isinstance(key, str) or len(key) > 100):
        errors.add(
            "idempotency_key", _("The idempotency key must be a text of at most 100 characters.")
        )
    errors.raise_if_any()
    assert category is not None and area is not None and received_at is not None
    return CleanCase(
        case_type,
        channel,
        category,
        area,
        title,
        description,
        address,
        latitude,
        longitude,
        received_at,
        priority,
        parties,
        key,
    )


def _choice(errors: Errors, data: dict[str, Any], name: str, values: list[str]) -> str:
    value = data.get(name)
    if not value:
        errors.add(name, _("This field is required."))
    elif value not in values:
        errors.add(
            name,
            _("Unknown value “{value}”; use one of: {values}.").format(
                value=value, values=", ".join(values)
            ),
        )
    return str(value or "")


def _text(errors: Errors, data: dict[str, Any], name: str, limit: int) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        errors.add(name, _("This field is required."))
    elif len(value) > limit:
        errors.add(name, _("At most {limit} characters.").format(limit=limit))
    return value


def _category(errors: Errors, code: Any, case_type: str) -> Category | None:
    if not code:
        errors.add("category", _("This field is required."))
        return None
    category = Category.objects.filter(code=str(code), active=True).first()
    if category is None:
        errors.add("category", _("Unknown category “{code}”.").format(code=code))
    elif case_type and category.case_type != case_type:
        errors.add(
            "category",
            _("Category “{code}” is for cases of type “{type}”.").format(
                code=code, type=category.case_type
            ),
        )
    return category


def _area(errors: Errors, code: Any, actor: Any) -> Area | None:
    if not code:
        errors.add("area", _("This field is required."))
        return None
    area = Area.objects.filter(code=str(code)).first()
    if area is None:
        errors.add("area", _("Unknown area “{code}”.").format(code=code))
    elif not may_act_in_area(actor, area, Action.CREATE):
        errors.add("area", _("Area “{code}” is outside your scope.").format(code=code))
    return area


def _location(errors: Errors, location: Any) -> tuple[float | None, float | None]:
    if not location:
        return None, None
    try:
        lat, lng = float(location["lat"]), float(location["lng"])
    except (KeyError, TypeError, ValueError):
        errors.add("location", _('Give the location as {"lat": number, "lng": number}.'))
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        errors.add("location", _("Latitude must be within ±90 and longitude within ±180."))
        return None, None
    return lat, lng


def _received_at(errors: Errors, value: Any, now: dt.datetime) -> dt.datetime | None:
    if value in (None, ""):
        return now
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            errors.add(
                "received_at", _("Use an ISO 8601 date and time, e.g. 2026-05-01T09:30:00+08:00.")
            )
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now:
        errors.add("received_at", _("The time of receipt cannot be in the future."))
        return None
    return moment


def _parties(errors: Errors, parties: Any, case_type: str) -> list[dict[str, Any]]:
    if parties in (None, []):
        parties = []
    if not isinstance(parties, list):
        errors.add("parties", _("Give the parties as a list."))
        return []
    checked = [_party(errors, index, party, case_type) for index, party in enumerate(parties)]
    cleaned = [party for party in checked if party is not None]
    roles = [party["role"] for party in cleaned]
    if roles.count(PartyRole.REPRESENTATIVE) > MAX_REPRESENTATIVES:
        errors.add(
            "parties",
            _("A group visit sends at most {n} representatives.").format(n=MAX_REPRESENTATIVES),
        )
    has_requester = any(r in (PartyRole.REQUESTER, PartyRole.REPRESENTATIVE) for r in roles)
    anonymous = any(party["anonymous"] for party in cleaned)
    if not has_requester and not anonymous:
        errors.add(
            "parties",
            _(
                "Name at least one requester (or mark the report anonymous where "
                "the case type allows it)."
            ),
        )
    return cleaned


def _party(errors: Errors, index: int, party: Any, case_type: str) -> dict[str, Any] | None:
    prefix = f"parties[{index}]"
    if not isinstance(party, dict):
        errors.add(prefix, _("Each party must be an object."))
        return None
    role = party.get("role") or PartyRole.REQUESTER
    if role not in PartyRole.values:
        errors.add(f"{prefix}.role", _("Unknown role “{value}”.").format(value=role))
    kind = (
        PartyKind.ORGANIZATION
        if party.get("organization") and not party.get("name")
        else PartyKind.PERSON
    )
    anonymous = bool(party.get("anonymous"))
    if anonymous and case_type not in ANONYMOUS_TYPES:
        errors.add(
            f"{prefix}.anonymous",
            _("Anonymous reports are accepted only for complaints and safety hazards."),
        )
    name = str(party.get("name") or "").strip()[:100]
    if not anonymous and not name and not party.get("organization"):
        errors.add(f"{prefix}.name", _("Give a name or an organisation."))
    phone = normalise_phone(str(party.get("phone") or ""))
    if problem := phone_problem(phone):
        errors.add(f"{prefix}.phone", problem)
    id_number = str(party.get("id_number") or "").strip().upper()
    if problem := id_number_problem(id_number):
        errors.add(f"{prefix}.id_number", problem)
    # Optional, for messages to the resident (civicdesk.notifications).
    email = str(party.get("email") or "").strip()
    if problem := email_problem(email):
        errors.add(f"{prefix}.email", problem)
    language = _party_language(party.get("language"))
    if language is None:
        errors.add(
            f"{prefix}.language",
            _("Unknown language “{value}”; give one of: {codes}.").format(
                value=party.get("language"), codes=", ".join(dict(settings.LANGUAGES))
            ),
        )
    return {
        "role": role,
        "kind": kind,
        "name": "" if anonymous else name,
        "phone": "" if anonymous else phone,
        "id_number": "" if anonymous else id_number,
        "email": "" if anonymous else email,
        "language": language or "",
        "organization": str(party.get("organization") or "").strip()[:200],
        "confidential": bool(party.get("confidential")),
        "anonymous": anonymous,
    }


def _party_language(value: Any) -> str | None:
    """The supported language code for a party's language tag; "" for none given (the centre's
    default), None for a language the centre does not write in. Tags are read the way Django
    reads a browser's ("en-GB" -> "en", "zh-CN" -> "zh-hans"), so the portal may pass its
    page's language as it is."""
    tag = str(value or "").strip()
    if not tag:
        return ""
    try:
        return translation.get_supported_language_variant(tag.lower())
    except LookupError:
        return None


def centre_for_area(area: Area, fallback: Centre | None) -> Centre:
    """The nearest centre at or above the area: the one that takes the case in."""
    codes = [code for code in area.path.split("/") if code]
    centres = {
        c.area.code: c for c in Centre.objects.filter(area__code__in=codes).select_related("area")
    }
    for code in reversed(codes):
        if code in centres:
            return centres[code]
    if fallback is not None:
        return fallback
    raise ValidationFailed.single("area", _("No centre serves this area yet."))


@transaction.atomic
def _write_case(clean: CleanCase, *, actor: Any, now: dt.datetime) -> Case:
    case = Case(
        receipt_code=new_receipt_code(),
        type=clean.type,
        channel=clean.channel,
        category=clean.category,
        priority=clean.priority,
        title=clean.title,
        description=clean.description,
        area=clean.area,
        address=clean.address,
        latitude=clean.latitude,
        longitude=clean.longitude,
        received_at=clean.received_at,
        centre=centre_for_area(clean.area, getattr(actor, "centre", None)),
        created_by=actor,
        idempotency_key=clean.idempotency_key,
    )
    if clean.type == CaseType.INCIDENT and clean.priority == Priority.NORMAL:
        case.priority = Priority.CRITICAL
    return insert_case(
        case,
        parties=clean.parties,
        actor=actor,
        now=now,
        event_params={
            "type": case.type,
            "channel": case.channel,
            "category": clean.category.code,
            "area": clean.area.code,
            "received_at": case.received_at.isoformat(),
        },
    )


def insert_case(
    case: Case,
    *,
    parties: list[dict[str, Any]],
    actor: Any,
    now: dt.datetime,
    event_params: dict[str, Any],
    clock_trigger: str = Action.CREATE,
) -> Case:
    """Writes a new case with its parties, search words, first event and first clocks; the
    one way a case comes into being (intake, and review cases opened at the upper centre)."""
    from civicdesk.notifications.services import outbox_record_for_event  # it imports cases

    case.save()
    CaseParty.objects.bulk_create(CaseParty(case=case, **party) for party in parties)
    CaseSearch.objects.create(case=case, words=search_words(case))
    event = append_event(
        case=case,
        kind=Action.CREATE,
        actor=actor,
        at=now,
        to_status=case.status,
        params=event_params,
        first=True,
    )
    clocks.follow_action(
        case=case, action=clock_trigger, now=now, params={}, started_at=case.received_at
    )
    # The receipt message to the requesters (civicdesk.notifications), in this transaction.
    outbox_record_for_event(event=event)
    return case


def search_words(case: Case) -> str:
    return document_words(case.title, case.description, case.address, case.result, case.reply)


def refresh_search(case: Case) -> None:
    CaseSearch.objects.update_or_create(case=case, defaults={"words": search_words(case)})
