"""The legal clocks of each case type, as data (DOMAIN.md "Deadlines").

Each rule says when its clock starts and what stops it. A jurisdiction overrides a rule's length
with a `DeadlineOverride` row for its area subtree; a category overrides it with its own
`deadline_policy`. `effective_rule` applies both, most specific first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.choices import Action as A
from civicdesk.cases.choices import CaseType as T
from civicdesk.cases.choices import ClockKind as K
from civicdesk.cases.choices import TimeUnit as U


@dataclass(frozen=True)
class ClockRule:
    case_type: str
    kind: str
    length: int
    unit: str
    basis: str | Promise
    starts_on: frozenset[str]
    stops_on: frozenset[str]
    # The longest total extension allowed (same unit); 0 means the clock cannot be extended.
    max_extension: int = 0
    # A window is the resident's time to act (e.g. to ask for review): it expires, it is never
    # "overdue" for staff, so it raises no warnings.
    is_window: bool = False


def _rule(
    case_type: str,
    kind: str,
    length: int,
    unit: str,
    basis: str | Promise,
    starts: Iterable[str],
    stops: Iterable[str],
    max_extension: int = 0,
    is_window: bool = False,
) -> ClockRule:
    return ClockRule(
        case_type,
        kind,
        length,
        unit,
        basis,
        frozenset(starts),
        frozenset(stops),
        max_extension=max_extension,
        is_window=is_window,
    )


# Triggers that are not staff actions: a review case opened at the upper centre, and (for the
# mediation module) an agreement signed and its judicial confirmation applied for.
REVIEW_OPENED = "review_opened"
# The resident rated the reply satisfied or basically satisfied on the portal: that answers the
# follow-up. An unsatisfied rating leaves the follow-up clock running, so staff still call back.
RATED_SATISFIED = "rated_satisfied"
AGREEMENT_SIGNED = "agreement_signed"
CONFIRMATION_APPLIED = "confirmation_applied"

_REGISTRATION = {A.ACCEPT, A.NOT_ACCEPT, A.REDIRECT, A.DISPATCH, A.MERGE}
_LOCAL_12345 = _("Local 12345 hotline rules (e.g. Beijing, Jinan)")

# fmt: off
DEFAULT_RULES: tuple[ClockRule, ...] = (
    _rule(T.PETITION, K.NOTICE, 15, U.DAYS,
          _("Regulations on Letters and Visits (2022), art. 23: written notice within 15 days"),
          {A.CREATE}, _REGISTRATION),
    _rule(T.PETITION, K.SIGN, 5, U.WORKING_DAYS,
          _("Regulations on Letters and Visits (2022), art. 23: objection within 5 working days"),
          {A.DISPATCH}, {A.SIGN, A.RETURN}),
    _rule(T.PETITION, K.HANDLING, 60, U.DAYS,
          _("Regulations on Letters and Visits (2022), art. 34: 60 days, extendable by 30"),
          {A.ACCEPT, A.REOPEN}, {A.REPORT}, max_extension=30),
    _rule(T.PETITION, K.REVIEW_REQUEST, 30, U.DAYS,
          _("Regulations on Letters and Visits (2022), art. 35: review request within 30 days"),
          {A.REPLY}, {A.REQUEST_REVIEW}, is_window=True),
    _rule(T.PETITION, K.REVIEW, 30, U.DAYS,
          _("Regulations on Letters and Visits (2022), arts. 35-36: review (and re-review) "
            "answered within 30 days"),
          {REVIEW_OPENED}, {A.REPLY}),
    _rule(T.REQUEST, K.DISPATCH, 1, U.WORKING_DAYS, _LOCAL_12345, {A.CREATE}, _REGISTRATION),
    _rule(T.REQUEST, K.HANDLING, 10, U.WORKING_DAYS, _LOCAL_12345, {A.DISPATCH}, {A.REPORT},
          max_extension=10),
    _rule(T.REQUEST, K.FOLLOW_UP, 3, U.WORKING_DAYS, _("Local practice: follow-up visit"),
          {A.REPLY}, {A.FOLLOW_UP, RATED_SATISFIED, A.REOPEN}),
    _rule(T.COMPLAINT, K.DISPATCH, 1, U.WORKING_DAYS, _LOCAL_12345, {A.CREATE}, _REGISTRATION),
    _rule(T.COMPLAINT, K.HANDLING, 10, U.WORKING_DAYS, _LOCAL_12345, {A.DISPATCH}, {A.REPORT},
          max_extension=10),
    _rule(T.COMPLAINT, K.FOLLOW_UP, 3, U.WORKING_DAYS, _("Local practice: follow-up visit"),
          {A.REPLY}, {A.FOLLOW_UP, RATED_SATISFIED, A.REOPEN}),
    _rule(T.DISPUTE, K.MEDIATION, 30, U.DAYS,
          _("Ministry of Justice rules on people's mediation (2002); Shenzhen Special "
            "Economic Zone regulations on diversified dispute resolution (2022), art. 25: "
            "30 days unless the parties agree otherwise"),
          {A.ACCEPT, A.REOPEN}, {A.REPORT}, max_extension=30),
    _rule(T.DISPUTE, K.JUDICIAL_CONFIRMATION, 30, U.DAYS,
          _("People's Mediation Law art. 33: joint application within 30 days of the "
            "agreement taking effect"),
          {AGREEMENT_SIGNED}, {CONFIRMATION_APPLIED}, is_window=True),
    _rule(T.HAZARD, K.RECTIFICATION, 15, U.DAYS,
          _("Work Safety Law: rectification period set by the inspector for each hazard"),
          {A.DISPATCH}, {A.REPORT}, max_extension=15),
    _rule(T.INCIDENT, K.REPORT, 15, U.MINUTES,
          _("Centre rule: incidents reach the centre's leaders within 15 minutes"),
          {A.CREATE}, {A.ACCEPT, A.DISPATCH, A.ESCALATE, A.MERGE}),
)
# fmt: on


def default_rules_for(case_type: str) -> list[ClockRule]:
    return [rule for rule in DEFAULT_RULES if rule.case_type == case_type]


@dataclass(frozen=True)
class LengthOverride:
    length: int
    unit: str
    basis: str = ""
    max_extension: int | None = None


def effective_rule(
    rule: ClockRule,
    *,
    jurisdiction: Mapping[str, LengthOverride] | None = None,
    category_policy: Mapping[str, Mapping[str, object]] | None = None,
) -> ClockRule:
    """The rule as it applies to one case: category policy beats jurisdiction beats default."""
    result = rule
    override = (jurisdiction or {}).get(rule.kind)
    if override is not None:
        result = replace(
            result,
            length=override.length,
            unit=override.unit,
            basis=override.basis or result.basis,
            max_extension=override.max_extension
            if override.max_extension is not None
            else result.max_extension,
        )
    policy = (category_policy or {}).get(rule.kind)
    if policy:
        result = replace(
            result,
            length=int(policy["length"]),  # type: ignore[call-overload]
            unit=str(policy.get("unit", result.unit)),
        )
    return result


def category_policy(
    case_type: str, policy: Mapping[str, Mapping[str, object]] | None
) -> dict[str, dict[str, object]]:
    """Every clock a category's cases run, with the category's own lengths applied: what staff
    see as the category's deadline policy (jurisdiction overrides, per area, come on top)."""
    return {
        rule.kind: {"length": rule.length, "unit": rule.unit, "basis": str(rule.basis)}
        for rule in (
            effective_rule(r, category_policy=policy) for r in default_rules_for(case_type)
        )
    }


def stored_basis(basis: str | Promise) -> str:
    """A rule's legal basis as stored on a clock: in the source language, so every reader
    sees it translated into their own (CaseClock.basis_display)."""
    with translation.override("en"):
        return str(basis)[:300]
