"""Service definitions: the extra questions (Open311 "attributes") each case type asks.

Kept in code, keyed by case type, because each answer changes what intake does (a major hazard
is urgent; an anonymous report keeps no name): a question an administrator could add in a form
would change nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.cases.choices import ANONYMOUS_TYPES, CaseType
from civicdesk.core.errors import ValidationFailed

MAX_ANSWER_LENGTH = 500


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str  # string, number, datetime, text, singlevaluelist, multivaluelist
    required: bool
    description: Promise
    values: tuple[tuple[str, Promise], ...] = ()


HAZARD_LEVEL = Attribute(
    "hazard_level",
    "singlevaluelist",
    True,
    gettext_lazy("How serious is the hazard?"),
    (
        ("general", gettext_lazy("General hazard: can be put right quickly")),
        ("major", gettext_lazy("Major hazard: a danger to life or to a whole building")),
    ),
)
ANONYMOUS = Attribute(
    "anonymous",
    "singlevaluelist",
    False,
    gettext_lazy(
        "Report anonymously? The centre then keeps no name or phone number and cannot call you "
        "back."
    ),
    (("no", gettext_lazy("No")), ("yes", gettext_lazy("Yes, report anonymously"))),
)

ATTRIBUTES_BY_TYPE: dict[str, tuple[Attribute, ...]] = {
    CaseType.HAZARD: (HAZARD_LEVEL, ANONYMOUS),
    CaseType.COMPLAINT: (ANONYMOUS,),
}
# Intake refuses anonymous parties for other types: only offer the question where it may be used.
assert all(
    ANONYMOUS not in attrs or t in ANONYMOUS_TYPES for t, attrs in ATTRIBUTES_BY_TYPE.items()
)

_ATTRIBUTE_PARAM = re.compile(r"^attribute\[([A-Za-z0-9_\-]{1,64})\](\[\])?$")

Answers = dict[str, str | list[str]]


def attributes_for(case_type: str) -> tuple[Attribute, ...]:
    return ATTRIBUTES_BY_TYPE.get(case_type, ())


def attribute_params(params: Mapping[str, list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Splits `attribute[code]=v` and `attribute[code][]=v` parameters out of a request's
    parameters: (answers by code, names of malformed attribute parameters)."""
    answers: dict[str, list[str]] = {}
    malformed: list[str] = []
    for name, values in params.items():
        if not name.startswith("attribute"):
            continue
        match = _ATTRIBUTE_PARAM.match(name)
        if match is None:
            malformed.append(name[:80])
            continue
        answers.setdefault(match.group(1), []).extend(v for v in values if v != "")
    return answers, malformed


def clean_answers(case_type: str, submitted: dict[str, list[str]]) -> Answers:
    """Checks the answers against the type's definition; ValidationFailed names each
    `attribute[code]` at fault."""
    definition = {attribute.code: attribute for attribute in attributes_for(case_type)}
    errors: dict[str, list[str]] = {}
    for code in submitted:
        if code not in definition:
            errors[f"attribute[{code}]"] = [_("This service has no such question.")]
    answers: Answers = {}
    for code, attribute in definition.items():
        values = submitted.get(code, [])
        problem = _answer_problem(attribute, values)
        if problem:
            errors[f"attribute[{code}]"] = [problem]
        elif values:
            answers[code] = values if attribute.datatype == "multivaluelist" else values[0]
    if errors:
        raise ValidationFailed(errors)
    return answers


def _answer_problem(attribute: Attribute, values: list[str]) -> str | None:
    if not values:
        return _("This question must be answered.") if attribute.required else None
    if attribute.datatype != "multivaluelist" and len(values) > 1:
        return _("Give one answer.")
    if any(len(value) > MAX_ANSWER_LENGTH for value in values):
        return _("At most {limit} characters.").format(limit=MAX_ANSWER_LENGTH)
    if attribute.values:
        keys = [key for key, _name in attribute.values]
        if any(value not in keys for value in values):
            return _("Choose one of: {values}.").format(values=", ".join(keys))
    return _typed_value_problem(attribute.datatype, values[0])


def _typed_value_problem(datatype: str, value: str) -> str | None:
    if datatype == "number":
        try:
            float(value)
        except ValueError:
            return _("Enter a number.")
    if datatype == "datetime":
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            return _("Use an ISO 8601 date and time, e.g. 2026-05-01T09:30:00+08:00.")
    if datatype == "string" and "\n" in value:
        return _("Enter a single line.")
    return None


def definition_json(attribute: Attribute, order: int) -> dict[str, Any]:
    return {
        "variable": True,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": None,
        "order": order,
        "description": str(attribute.description),
        "values": [{"key": key, "name": str(name)} for key, name in attribute.values],
    }
