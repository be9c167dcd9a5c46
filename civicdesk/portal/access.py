"""Who may open a case on the portal: whoever proves it is theirs, for a while.

The proof is the receipt code with either the last four digits of a requester's phone or the
tracking secret printed on the receipt. A proven code is remembered in the visitor's session
for GRANT_HOURS, so the case page and its forms need no second proof. Review cases opened
from a proven case are proven too (they carry the same parties).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.cases.choices import PartyRole
from civicdesk.cases.models import Case
from civicdesk.cases.receipt_codes import normalise_receipt_code, secret_matches
from civicdesk.portal import guard

SESSION_KEY = "portal_cases"
GRANT_HOURS = 2
# The people a receipt is handed to; the other side of a dispute cannot open it.
CLAIMANT_ROLES = (PartyRole.REQUESTER, PartyRole.REPRESENTATIVE)


@dataclass(frozen=True)
class Claim:
    code: str  # as typed
    phone_digits: str = ""
    secret: str = ""


@dataclass(frozen=True)
class Outcome:
    case: Case | None = None
    field: str = ""
    problem: str = ""
    wait_seconds: int = 0


def open_case(claim: Claim, *, address: str, now: dt.datetime | None = None) -> Outcome:
    """Checks a claim, counting wrong answers (guard) and refusing while they must wait."""
    now = now or timezone.now()
    claim = _half_width(claim)
    code = normalise_receipt_code(claim.code)
    if code is None:
        return Outcome(field="code", problem=_("This is not a receipt code; check it again."))
    using_secret = bool(claim.secret.strip())
    if not using_secret and not _four_digits(claim.phone_digits):
        return Outcome(
            field="phone_digits",
            problem=_("Give the last four digits of your phone, or the tracking secret."),
        )
    keys = [guard.address_key(address)] + ([] if using_secret else [guard.code_key(code)])
    wait = guard.admit(keys, now=now)  # counts this try against the code before checking it
    if wait:
        return Outcome(wait_seconds=wait)
    case = Case.objects.filter(receipt_code=code).first()
    if case is None or not _proves(case, claim, using_secret):
        guard.record_failure(keys, now=now)
        # One answer whether the code exists or not: the form tells nothing about other cases.
        return Outcome(
            field="code", problem=_("The receipt code and the digits or secret do not match.")
        )
    guard.record_success(code)
    return Outcome(case=case)


def _half_width(claim: Claim) -> Claim:
    # Chinese input methods in full-width mode type ＡＢＣ－１２３４; NFKC makes them ABC-1234.
    return Claim(
        code=unicodedata.normalize("NFKC", claim.code),
        phone_digits=unicodedata.normalize("NFKC", claim.phone_digits),
        secret=unicodedata.normalize("NFKC", claim.secret),
    )


def _four_digits(text: str) -> bool:
    return len(text.strip()) == 4 and text.strip().isdigit()


def _proves(case: Case, claim: Claim, using_secret: bool) -> bool:
    if using_secret:
        return secret_matches(case.receipt_code, claim.secret)
    digits = claim.phone_digits.strip()
    # Phones are encrypted at rest: the case's few parties are decrypted and compared here.
    phones = case.parties.filter(role__in=CLAIMANT_ROLES).exclude(phone="")
    return any(phone.endswith(digits) for phone in phones.values_list("phone", flat=True))


def grant(session: Any, case: Case, *, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    grants = {code: at for code, at in session.get(SESSION_KEY, {}).items() if _fresh(at, now)}
    grants[case.receipt_code] = now.isoformat()
    session[SESSION_KEY] = dict(list(grants.items())[-20:])


def is_granted(session: Any, receipt_code: str, *, now: dt.datetime | None = None) -> bool:
    at = session.get(SESSION_KEY, {}).get(receipt_code)
    return at is not None and _fresh(at, now or timezone.now())


def forget(session: Any) -> None:
    session.pop(SESSION_KEY, None)


def _fresh(at: str, now: dt.datetime) -> bool:
    try:
        moment = dt.datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return False
    return now - moment < dt.timedelta(hours=GRANT_HOURS)


def may_view(session: Any, case: Case, *, now: dt.datetime | None = None) -> bool:
    """A granted code opens its case and the review cases opened from it (复查, 复核)."""
    current: Case | None = case
    for _level in range(3):
        if current is None:
            return False
        if is_granted(session, current.receipt_code, now=now):
            return True
        current = current.review_of
    return False
