"""Checks on input that name the field and the problem. Pure functions where possible."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from civicdesk.cases.choices import ClockKind, TimeUnit

if TYPE_CHECKING:
    from civicdesk.cases.models import Category

# Mainland mobile numbers, and landlines with an area code (e.g. 0571-87654321).
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(raw: str) -> str:
    return re.sub(r"[\s()]", "", raw or "").removeprefix("+86")


def phone_problem(phone: str) -> str | None:
    if not phone:
        return None
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    return _("Enter an 11-digit mobile number or a landline with its area code.")


def is_mobile(phone: str) -> bool:
    """Only mobile numbers take text messages (civicdesk.notifications)."""
    return bool(_MOBILE.match(phone))


def email_problem(email: str) -> str | None:
    """An optional address for messages to the resident (civicdesk.notifications)."""
    if not email:
        return None
    if len(email) > 254:
        return _("At most {limit} characters.").format(limit=254)
    try:
        validate_email(email)
    except ValidationError:
        return _("Enter a valid email address.")
    return None


def id_number_problem(id_number: str) -> str | None:
    """GB 11643-1999: 17 digits and a check character computed from them."""
    if not id_number:
        return None
    value = id_number.upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return _("An ID number has 18 characters: 17 digits and a digit or X.")
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        return _("The ID number's check character does not match; please check it.")
    return None


def deadline_policy_problems(policy: object) -> list[str]:
    if not isinstance(policy, dict):
        return [_("The deadline policy must be an object keyed by clock.")]
    problems = []
    for kind, rule in policy.items():
        if kind not in ClockKind.values:
            problems.append(_("Unknown clock “{kind}”.").format(kind=kind))
            continue
        if (
            not isinstance(rule, dict)
            or not isinstance(rule.get("length"), int)
            or rule["length"] < 1
        ):
            problems.append(
                _("Clock “{kind}” needs a whole-number length of at least 1.").format(kind=kind)
            )
        elif rule.get("unit", TimeUnit.DAYS) not in TimeUnit.values:
            problems.append(_("Clock “{kind}” has an unknown unit.").format(kind=kind))
    return problems


def validate_category(category: Category) -> None:
    errors: dict[str, list[str]] = {}
    if category.parent is not None:
        if category.parent.parent_id is not None:
            errors["parent"] = [
                _("Categories have two levels: the parent must be a top-level category.")
            ]
        elif category.parent.case_type != category.case_type:
            errors["case_type"] = [_("A sub-category must have the same case type as its parent.")]
    problems = deadline_policy_problems(category.deadline_policy)
    if problems:
        errors["deadline_policy"] = problems
    if errors:
        raise ValidationError(errors)
