"""The resident's writes: a new case from the portal form, and the actions on their own case.

Everything goes through the cases services (case_create, case_act_as_resident) like the
window and Open311 do; nothing is written when anything is wrong.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicdesk.cases.attachments import PreparedUpload, attachment_save, prepare_upload
from civicdesk.cases.choices import ANONYMOUS_TYPES, Channel, PartyRole
from civicdesk.cases.intake import case_create
from civicdesk.cases.models import Case
from civicdesk.cases.services import case_act_as_resident
from civicdesk.core.errors import ValidationFailed
from civicdesk.organization.choices import Role
from civicdesk.organization.geo import area_for_point
from civicdesk.organization.models import Area, RoleAssignment, User
from civicdesk.portal.selectors import public_category

logger = logging.getLogger(__name__)

PORTAL_USERNAME = "civicdesk-portal"
MAX_PHOTOS = 9
MAX_DESCRIPTION = 2000
TITLE_LENGTH = 40

# Intake's field names, as the portal form's fields.
_FIELD_FOR_INTAKE = {
    "category": "category",
    "type": "category",
    "description": "description",
    "title": "description",
    "area": "area",
    "location": "area",
    "address": "address",
    "parties": "name",
    "parties[0].name": "name",
    "parties[0].phone": "phone",
    "parties[0].email": "email",
    "parties[0].anonymous": "anonymous",
    "parties[0].language": "name",
}


@dataclass(frozen=True)
class Submission:
    category: str
    description: str
    address: str = ""
    area: str = ""
    latitude: float | None = None
    longitude: float | None = None
    name: str = ""
    phone: str = ""
    email: str = ""
    confidential: bool = False
    anonymous: bool = False
    idempotency_key: str = ""


def portal_user() -> User:
    """The staff identity portal cases are registered under: an intake clerk over every
    top-level area, who cannot sign in. Cases show "registered by: Resident portal"."""
    # The name is stored once, in the centre's language, whoever happens to submit first.
    with translation.override(settings.LANGUAGE_CODE):
        display_name = _("Resident portal")
    user, created = User.objects.get_or_create(
        username=PORTAL_USERNAME, defaults={"display_name": display_name}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    covered = set(
        RoleAssignment.objects.filter(user=user, role=Role.CLERK).values_list("area_id", flat=True)
    )
    missing = Area.objects.filter(parent=None).exclude(pk__in=covered)
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=user, role=Role.CLERK, area=area) for area in missing
    )
    return user


def resident_submit(*, submission: Submission, photos: list[Any]) -> Case:
    """Registers the resident's matter (channel web) with its photos, all or nothing."""
    errors: dict[str, list[str]] = {}
    category = public_category(submission.category)
    if category is None:
        errors["category"] = [_("Choose what your matter is about from the list.")]
    description = submission.description.strip()
    if not description:
        errors["description"] = [_("Tell us what happened.")]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [
            _("Keep the description under {n} characters.").format(n=MAX_DESCRIPTION)
        ]
    if submission.anonymous and category is not None and category.case_type not in ANONYMOUS_TYPES:
        errors["anonymous"] = [
            _("Anonymous reports are accepted only for complaints and safety hazards.")
        ]
    if not submission.anonymous and not submission.phone.strip():
        errors["phone"] = [
            _("Give a phone number so that we can reach you and you can follow the case.")
        ]
    if not submission.anonymous and not submission.name.strip():
        errors["name"] = [_("Give your name (or report anonymously where that is allowed).")]
    area = _area(errors, submission)
    prepared = _prepare_photos(errors, photos)
    if errors:
        raise ValidationFailed(errors)
    assert category is not None and area is not None
    data = _intake_data(submission, category.case_type, area)
    actor = portal_user()
    with transaction.atomic():
        try:
            case, created = case_create(actor=actor, data=data)
        except ValidationFailed as failure:
            raise ValidationFailed(_as_form_fields(failure.errors)) from None
        if created:
            for photo in prepared:
                attachment_save(case=case, prepared=photo, actor=None, by_resident=True)
    return case


def _area(errors: dict[str, list[str]], submission: Submission) -> Area | None:
    # A pin inside a mapped area decides; otherwise the area chosen from the list.
    if submission.latitude is not None and submission.longitude is not None:
        found = area_for_point(lat=submission.latitude, lng=submission.longitude)
        if found is not None:
            return found
    area = Area.objects.filter(code=submission.area).first() if submission.area else None
    if area is None:
        errors["area"] = [_("Choose the area where it happened.")]
    return area


def _prepare_photos(errors: dict[str, list[str]], photos: list[Any]) -> list[PreparedUpload]:
    # An empty file input never gets here (Django drops a part without a file name); an empty
    # file the resident did choose is refused like any other bad photo, not silently dropped.
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("Attach at most {n} photos.").format(n=MAX_PHOTOS)]
        return []
    prepared = []
    for photo in photos:
        try:
            prepared.append(prepare_upload(photo, field="photos", images_only=True))
        except ValidationFailed as failure:
            problems = [problem for found in failure.errors.values() for problem in found]
            for problem in problems:
                errors.setdefault("photos", []).append(
                    _("{name}: {problem}").format(name=str(photo.name)[-60:], problem=problem)
                )
    return prepared


def _intake_data(submission: Submission, case_type: str, area: Area) -> dict[str, Any]:
    description = submission.description.strip()
    first_line = description.splitlines()[0]
    title = first_line if len(first_line) <= TITLE_LENGTH else first_line[:TITLE_LENGTH] + "…"
    location = None
    if submission.latitude is not None and submission.longitude is not None:
        location = {"lat": submission.latitude, "lng": submission.longitude}
    party: dict[str, Any] = {"role": PartyRole.REQUESTER, "anonymous": submission.anonymous}
    if not submission.anonymous:
        party.update(
            name=submission.name.strip(),
            phone=submission.phone.strip(),
            email=submission.email.strip(),
            confidential=submission.confidential,
            # Messages about the case come in the language the resident used on the portal.
            language=translation.get_language() or "",
        )
    return {
        "type": case_type,
        "channel": Channel.WEB,
        "category": submission.category,
        "title": title,
        "description": description,
        "area": area.code,
        "address": submission.address.strip()[:300],
        "location": location,
        "parties": [party],
        "idempotency_key": submission.idempotency_key[:100] or None,
    }


def _as_form_fields(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, problems in errors.items():
        fields.setdefault(_FIELD_FOR_INTAKE.get(name, "__all__"), []).extend(problems)
    return fields


# --- the resident's actions on their case ----------------------------------------------------


def resident_rate(*, case: Case, satisfaction: str, note: str, version: int) -> Case:
    return case_act_as_resident(
        case_id=case.pk,
        action="rate",
        data={"satisfaction": satisfaction, "note": note, "version": version},
    )


def resident_reopen(*, case: Case, reason: str, version: int) -> Case:
    return case_act_as_resident(
        case_id=case.pk, action="reopen", data={"reason": reason, "version": version}
    )


def resident_request_review(
    *, case: Case, reason: str, version: int, now: dt.datetime | None = None
) -> Case:
    return case_act_as_resident(
        case_id=case.pk,
        action="request_review",
        data={"reason": reason, "version": version},
        now=now or timezone.now(),
    )
