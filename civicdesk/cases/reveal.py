"""Unmasking one of a party's personal values (issue 5 item 2). Pages and API answers show
masked values only; the roles that handle a case may reveal one value at a time, saying why,
and every reveal is written to the access log before the value is handed out."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.audit.choices import AccessAction, AccessChannel
from civicdesk.audit.services import record_access
from civicdesk.cases.models import Case, CaseParty
from civicdesk.cases.permissions import may_reveal
from civicdesk.cases.selectors import case_get_for_user
from civicdesk.core.errors import NotFound, PermissionDenied, ValidationFailed

# The values that are masked, in the order pages show them.
REVEALABLE_FIELDS = ("phone", "id_number", "email")
PURPOSE_MIN_LENGTH = 4
PURPOSE_MAX_LENGTH = 200
# Offered as suggestions (any purpose of the right length is accepted).
SUGGESTED_PURPOSES = (
    gettext_lazy("Call the party back about this case"),
    gettext_lazy("Verify the party's identity"),
    gettext_lazy("Serve a notice or document on the party"),
    gettext_lazy("Hand the case over on site"),
)


def party_reveal(
    *,
    actor: Any,
    case_id: int,
    party_id: int,
    field: str,
    purpose: str,
    address: str,
    channel: AccessChannel,
) -> str:
    """The party's plain value. NotFound outside the actor's scope (or no such party on the
    case), PermissionDenied for a role that sees the case but does not handle it,
    ValidationFailed naming `field` or `purpose`."""
    case = case_get_for_user(user=actor, pk=case_id)
    party = _party_of(case, party_id)
    if not may_reveal(actor, case):
        raise PermissionDenied(_("Your roles do not allow revealing personal data on this case."))
    purpose = _clean(field, purpose)
    record_access(
        actor=actor,
        action=AccessAction.REVEAL,
        address=address,
        channel=channel,
        case_id=case.pk,
        detail={"field": field, "purpose": purpose, "party": party.pk},
    )
    return str(getattr(party, field))


def _party_of(case: Case, party_id: int) -> CaseParty:
    party = case.parties.filter(pk=party_id).first()
    if party is None:
        raise NotFound()
    return party


def _clean(field: str, purpose: str) -> str:
    errors: dict[str, list[str]] = {}
    if field not in REVEALABLE_FIELDS:
        errors["field"] = [
            _("Choose one of: {fields}.").format(fields=", ".join(REVEALABLE_FIELDS))
        ]
    purpose = " ".join((purpose or "").split())
    if len(purpose) < PURPOSE_MIN_LENGTH:
        errors["purpose"] = [
            _("Say why you need the full value (at least {count} characters).").format(
                count=PURPOSE_MIN_LENGTH
            )
        ]
    elif len(purpose) > PURPOSE_MAX_LENGTH:
        errors["purpose"] = [
            _("Keep the purpose to at most {count} characters.").format(count=PURPOSE_MAX_LENGTH)
        ]
    if errors:
        raise ValidationFailed(errors)
    return purpose
