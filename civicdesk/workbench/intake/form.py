"""The intake form's fields in and out: POST data to the dict `case_create` takes (the API's
shape), and the service's error keys (`parties[0].phone`) back to the form's fields."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from civicdesk.cases.choices import CaseType, Channel, PartyRole, Priority

CASE_FIELDS = (
    "type",
    "channel",
    "category",
    "title",
    "description",
    "area",
    "address",
    "received_at",
    "priority",
)
PARTY_TEXT_FIELDS = ("name", "phone", "id_number", "organization")
PARTY_FLAGS = ("confidential", "anonymous")
# More rows than any real visit needs (one requester, five representatives, respondents):
# the form reads no further, so a crafted POST cannot make the page loop for long.
MAX_PARTY_ROWS = 12
_PARTY_KEY = re.compile(r"^party-(\d+)-")
_ERROR_KEY = re.compile(r"^parties\[(\d+)\](?:\.(\w+))?$")


@dataclass
class PartyRow:
    index: int
    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"party-{self.index}-"


@dataclass
class IntakeForm:
    """What the clerk typed, and the problems found with it, ready for the template."""

    values: dict[str, str]
    parties: list[PartyRow]
    errors: dict[str, list[str]] = field(default_factory=dict)
    general_errors: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.general_errors or any(r.errors for r in self.parties))


def blank_form() -> IntakeForm:
    now = timezone.localtime().replace(second=0, microsecond=0)
    return IntakeForm(
        values={
            "type": "",
            "channel": Channel.WALK_IN,
            "priority": Priority.NORMAL,
            "received_at": now.strftime("%Y-%m-%dT%H:%M"),
            "idempotency_key": uuid.uuid4().hex,
        },
        parties=[PartyRow(0, {"role": PartyRole.REQUESTER})],
    )


def form_from_post(post: QueryDict) -> IntakeForm:
    values = {name: post.get(name, "").strip() for name in (*CASE_FIELDS, "idempotency_key")}
    rows = [_party_row(post, index) for index in _party_indexes(post)]
    return IntakeForm(values=values, parties=rows or [PartyRow(0, {"role": PartyRole.REQUESTER})])


def _party_indexes(post: QueryDict) -> list[int]:
    indexes = {int(m.group(1)) for key in post if (m := _PARTY_KEY.match(key))}
    return sorted(i for i in indexes if i < MAX_PARTY_ROWS)


def _party_row(post: QueryDict, index: int) -> PartyRow:
    prefix = f"party-{index}-"
    values: dict[str, Any] = {"role": post.get(prefix + "role", PartyRole.REQUESTER)}
    for name in PARTY_TEXT_FIELDS:
        values[name] = post.get(prefix + name, "").strip()
    for name in PARTY_FLAGS:
        values[name] = post.get(prefix + name) in ("on", "true", "1")
    return PartyRow(index, values)


def _row_is_empty(row: PartyRow) -> bool:
    return not any(row.values[name] for name in (*PARTY_TEXT_FIELDS, *PARTY_FLAGS))


def case_data(
    form: IntakeForm, categories: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[int]]:
    """The service's input, and for each party sent the form row it came from (empty rows,
    such as an untouched representative line, are left out). A type left blank is the
    chosen category's: every category belongs to one type."""
    data: dict[str, Any] = {name: form.values.get(name, "") for name in CASE_FIELDS}
    if not data["type"]:
        data["type"] = next((c["type"] for c in categories if c["code"] == data["category"]), "")
    data["received_at"] = data["received_at"] or None
    data["priority"] = data["priority"] or None
    data["idempotency_key"] = form.values.get("idempotency_key") or None
    sent = [row for row in form.parties if not _row_is_empty(row)]
    data["parties"] = [dict(row.values) for row in sent]
    return data, [row.index for row in sent]


def attach_errors(form: IntakeForm, errors: dict[str, list[str]], rows: list[int]) -> None:
    """Puts each service error next to its field; what names no field goes on top."""
    by_index = {row.index: row for row in form.parties}
    for key, problems in errors.items():
        match = _ERROR_KEY.match(key)
        if key in CASE_FIELDS:
            form.errors.setdefault(key, []).extend(problems)
        elif match and int(match.group(1)) < len(rows):
            row = by_index[rows[int(match.group(1))]]
            row.errors.setdefault(match.group(2) or "name", []).extend(problems)
        elif key == "parties":
            form.errors.setdefault("parties", []).extend(problems)
        else:
            form.general_errors.extend(problems)


def choices_context() -> dict[str, Any]:
    return {
        "type_choices": CaseType.choices,
        "channel_choices": Channel.choices,
        "priority_choices": Priority.choices,
        "role_choices": PartyRole.choices,
    }
