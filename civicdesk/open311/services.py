"""Open311 writes: issuing client keys and turning a posted request into a case."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from civicdesk.cases.choices import ANONYMOUS_TYPES, CaseType, Channel, PartyRole, Priority
from civicdesk.cases.intake import case_create, centre_for_area
from civicdesk.cases.models import Case, Category
from civicdesk.core.errors import ValidationFailed
from civicdesk.open311.attributes import Answers, clean_answers
from civicdesk.open311.models import ApiClient, Open311Request
from civicdesk.open311.selectors import key_digest
from civicdesk.organization.choices import Role
from civicdesk.organization.geo import area_for_point
from civicdesk.organization.models import Area, RoleAssignment, User

JURISDICTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-_:]{0,99}$")
TITLE_LENGTH = 60
DESCRIPTION_LENGTH = 4000  # the standard's limit
NAME_PART_LENGTH = 50
MEDIA_URL_LENGTH = 500


# --- keys ----------------------------------------------------------------------------------


def api_client_issue(
    *,
    name: str,
    area_code: str,
    default_area_code: str | None = None,
    jurisdiction_id: str | None = None,
) -> tuple[ApiClient, str]:
    """Creates a client with its service user; returns (client, key). The key is not stored,
    only its SHA-256, so this is the one moment it can be shown."""
    name = (name or "").strip()
    jurisdiction_id = jurisdiction_id or settings.CIVICDESK_OPEN311_JURISDICTION
    errors: dict[str, list[str]] = {}
    if not name or len(name) > 100:
        errors["name"] = [_("Give a name of at most 100 characters.")]
    if not JURISDICTION_ID.match(jurisdiction_id):
        errors["jurisdiction_id"] = [
            _("Use letters, digits, dots and hyphens, e.g. the city's web domain.")
        ]
    area = Area.objects.filter(code=area_code).first()
    if area is None:
        errors["area"] = [_("Unknown area “{code}”.").format(code=area_code)]
    default_area = (
        Area.objects.filter(code=default_area_code).first() if default_area_code else area
    )
    if default_area is None:
        errors["default_area"] = [_("Unknown area “{code}”.").format(code=default_area_code)]
    elif area is not None and not default_area.path.startswith(area.path):
        errors["default_area"] = [_("The default area must lie inside the area served.")]
    if errors:
        raise ValidationFailed(errors)
    assert area is not None and default_area is not None
    key = "o311_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        user = _service_user(name, area)
        client = ApiClient.objects.create(
            name=name,
            prefix=key[:12],
            digest=key_digest(key),
            jurisdiction_id=jurisdiction_id,
            area=area,
            default_area=default_area,
            user=user,
        )
    return client, key


def _service_user(name: str, area: Area) -> User:
    """The staff identity cases posted by the client are registered under: an intake clerk of
    the client's area (the role whose work this is), who cannot sign in."""
    try:
        centre = centre_for_area(area, None)
    except ValidationFailed:
        centre = None
    user = User(
        username="open311-" + secrets.token_hex(6),
        display_name=_("Open311: {name}").format(name=name)[:100],
        centre=centre,
    )
    user.set_unusable_password()
    user.save()
    RoleAssignment.objects.create(user=user, role=Role.CLERK, area=area)
    return user


# --- requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A POSTed request's parameters, as text (the view does no checking)."""

    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    description: str = ""
    media_url: str = ""


# Intake's field names, as the Open311 parameters a client sent.
_PARAMETER_FOR_FIELD = {
    "title": "description",
    "description": "description",
    "area": "lat/long",
    "location": "lat/long",
    "category": "service_code",
    "type": "service_code",
    "address": "address_string",
    "parties": "first_name",
    "parties[0].name": "first_name",
    "parties[0].phone": "phone",
    "parties[0].anonymous": "attribute[anonymous]",
}


def request_submit(
    *,
    client: ApiClient,
    category: Category,
    submission: Submission,
    answers: dict[str, list[str]],
) -> Case:
    """Registers the request as a case of the category's type, channel Open311, through the
    same intake as every other case; nothing is written when anything is wrong."""
    errors: dict[str, list[str]] = {}
    clean: Answers = {}
    try:
        clean = clean_answers(category.case_type, answers)
    except ValidationFailed as failure:
        errors.update(failure.errors)
    description = _description(errors, submission.description)
    location = _location(errors, submission)
    media_url = _media_url(errors, submission.media_url)
    _check_lengths(errors, submission)
    _check_requester(errors, category, submission)
    area = _area(errors, client, location) if not errors else None
    if errors:
        raise ValidationFailed(errors)
    assert area is not None
    data: dict[str, Any] = {
        "type": category.case_type,
        "channel": Channel.OPEN311,
        "category": category.code,
        "priority": _priority(category, clean),
        "title": description.splitlines()[0][:TITLE_LENGTH],
        "description": description,
        "area": area.code,
        "address": submission.address_string.strip(),
        "location": {"lat": location[0], "lng": location[1]} if location else None,
        "parties": [_requester(category, submission, clean)],
    }
    with transaction.atomic():
        try:
            case, _created = case_create(actor=client.user, data=data)
        except ValidationFailed as failure:
            raise ValidationFailed(_as_parameters(failure.errors)) from None
        Open311Request.objects.create(
            case=case, client=client, media_url=media_url, attributes=clean
        )
    return case


def _description(errors: dict[str, list[str]], text: str) -> str:
    text = text.strip()
    if not text:
        errors["description"] = [_("Describe the problem.")]
    elif len(text) > DESCRIPTION_LENGTH:
        errors["description"] = [_("At most {limit} characters.").format(limit=DESCRIPTION_LENGTH)]
    return text


def _location(errors: dict[str, list[str]], submission: Submission) -> tuple[float, float] | None:
    lat, lng = submission.lat.strip(), submission.long.strip()
    if not lat and not lng:
        if submission.address_string.strip():
            return None
        if submission.address_id.strip():
            errors["address_id"] = [
                _("There is no address register here: send lat and long, or address_string.")
            ]
        else:
            errors["lat/long"] = [_("Give the location: lat and long, or address_string.")]
        return None
    try:
        latitude, longitude = float(lat), float(lng)
    except ValueError:
        errors["lat/long"] = [_("Send both lat and long as decimal degrees (WGS84).")]
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        errors["lat/long"] = [_("Latitude must be within ±90 and longitude within ±180.")]
        return None
    return latitude, longitude


def _media_url(errors: dict[str, list[str]], url: str) -> str:
    url = url.strip()
    if not url:
        return ""
    try:
        if len(url) > MEDIA_URL_LENGTH:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["media_url"] = [
            _("Give an http or https address of at most {limit} characters.").format(
                limit=MEDIA_URL_LENGTH
            )
        ]
        return ""
    return url


def _check_lengths(errors: dict[str, list[str]], submission: Submission) -> None:
    limits = {
        "first_name": NAME_PART_LENGTH,
        "last_name": NAME_PART_LENGTH,
        "phone": 20,
        "email": 254,
        "device_id": 100,
        "account_id": 100,
        "address_string": 300,
        "address_id": 100,
    }
    for name, limit in limits.items():
        if len(getattr(submission, name)) > limit:
            errors[name] = [_("At most {limit} characters.").format(limit=limit)]


def _check_requester(
    errors: dict[str, list[str]], category: Category, submission: Submission
) -> None:
    named = submission.first_name.strip() or submission.last_name.strip()
    if category.case_type not in ANONYMOUS_TYPES and not named:
        errors.setdefault("first_name", []).append(
            _("This service does not take anonymous requests: send first_name and last_name.")
        )


def _area(
    errors: dict[str, list[str]], client: ApiClient, location: tuple[float, float] | None
) -> Area | None:
    """The area whose boundary holds the point, or the client's default area when no mapped
    boundary holds it (or no point was sent)."""
    if location is None:
        return client.default_area
    found = area_for_point(lat=location[0], lng=location[1])
    if found is None:
        return client.default_area
    if not found.path.startswith(client.area.path):
        errors["lat/long"] = [_("This location lies outside the area this key serves.")]
        return None
    return found


def _priority(category: Category, answers: Answers) -> str:
    if category.case_type == CaseType.HAZARD and answers.get("hazard_level") == "major":
        return Priority.URGENT
    return Priority.NORMAL


def _requester(category: Category, submission: Submission, answers: Answers) -> dict[str, Any]:
    name = _full_name(submission.first_name.strip(), submission.last_name.strip())
    phone = submission.phone.strip()
    wants_anonymity = answers.get("anonymous") == "yes"
    no_contact = not name and not phone
    if category.case_type in ANONYMOUS_TYPES and (wants_anonymity or no_contact):
        return {"role": PartyRole.REQUESTER, "anonymous": True}
    return {"role": PartyRole.REQUESTER, "name": name, "phone": phone}


def _full_name(first: str, last: str) -> str:
    # Chinese names are written family name first with no space; others given name first.
    if re.search(r"[\u3400-\u9fff]", first + last):
        return last + first
    return f"{first} {last}".strip()


def _as_parameters(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    named: dict[str, list[str]] = {}
    for field, problems in errors.items():
        named.setdefault(_PARAMETER_FOR_FIELD.get(field, field), []).extend(problems)
    return named
