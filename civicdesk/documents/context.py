"""What a document says about its case: plain strings read from the case, its parties, its
events and its clocks, in the document's language.

The values are strings (flags are "yes" or ""), never model instances: the templates are
rendered by a sandboxed engine and must not be able to call methods on the database's objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from civicdesk.cases.choices import (
    Action,
    CaseType,
    Channel,
    ClockKind,
    PartyRole,
    Procedure,
    Status,
)
from civicdesk.cases.models import Case, CaseClock, CaseEvent, CaseParty
from civicdesk.cases.notices import describe_length
from civicdesk.documents.models import DocumentKind, DocumentLanguage
from civicdesk.organization.models import Department
from civicdesk.supervision.models import SupervisionOrder

Context = dict[str, str]

_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# The events whose facts the documents report; the latest of each kind counts.
_FACT_EVENTS = (
    Action.ACCEPT,
    Action.NOT_ACCEPT,
    Action.REDIRECT,
    Action.DISPATCH,
    Action.EXTEND,
    Action.REPLY,
)


def document_language(language: str | None) -> str:
    """The document language for an interface language: Chinese unless it is English."""
    if language and language.lower().startswith("en"):
        return DocumentLanguage.EN
    return DocumentLanguage.ZH_HANS


def format_date(value: dt.date | dt.datetime | None, language: str) -> str:
    """2026年11月23日 in Chinese, 23 November 2026 in English; a moment counts in local time."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    if language == DocumentLanguage.EN:
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


@contextmanager
def _speaking(language: str) -> Iterator[None]:
    with translation.override(language):
        yield


def available_kinds(case: Case) -> list[str]:
    """The documents this case's history supports, in the order a case meets them."""
    happened = case.events.filter(kind__in=_FACT_EVENTS).values_list("kind", flat=True)
    return kinds_for_history(case, set(happened))


def kinds_for_history(case: Case, happened: set[str]) -> list[str]:
    """available_kinds for a caller that already holds the case's event kinds."""
    rules = {
        DocumentKind.ACCEPTANCE_NOTICE: Action.ACCEPT in happened,
        DocumentKind.NON_ACCEPTANCE_NOTICE: Action.NOT_ACCEPT in happened,
        DocumentKind.TRANSFER_NOTICE: bool(happened & {Action.DISPATCH, Action.REDIRECT}),
        DocumentKind.EXTENSION_NOTICE: Action.EXTEND in happened,
        DocumentKind.REPLY_LETTER: bool(case.reply.strip()),
    }
    return [kind for kind, applies in rules.items() if applies]


def case_document_context(case: Case, kind: str, language: str) -> Context:
    """Every fact a case document may print. `kind` is accepted for symmetry with the
    templates; all kinds see the same names, empty where the case has no such fact."""
    language = document_language(language)
    latest = _latest_events(case)
    clocks = list(case.clocks.all())
    with _speaking(language):
        context = {
            **_case_basics(case, language),
            **_handling_facts(case, clocks, language),
            **_registration_facts(latest, language),
            **_transfer_facts(case, latest, language),
            **_extension_facts(latest, clocks, language),
            **_reply_facts(case, latest, language),
            "document_kind": str(DocumentKind(kind).label),
        }
    return context


def supervision_order_context(order: SupervisionOrder, language: str) -> Context:
    language = document_language(language)
    case = order.case
    clocks = list(case.clocks.all())
    with _speaking(language):
        return {
            **_case_basics(case, language),
            **_handling_facts(case, clocks, language),
            "document_kind": str(DocumentKind.SUPERVISION_ORDER.label),
            "order_number": order.number,
            "department_name": _department_name(order.department, language),
            "leader_name": str(order.leader) if order.leader else "",
            "issued_by": str(order.issued_by),
            "issued_date": format_date(order.issued_at, language),
            "instructions": order.instructions,
            "due_date": format_date(order.due_at, language),
            "case_status": str(case.get_status_display()),
        }


# --- the parts ----------------------------------------------------------------------------


def _case_basics(case: Case, language: str) -> Context:
    return {
        "centre_name": case.centre.name,
        "receipt_code": case.receipt_code,
        "document_date": format_date(timezone.localdate(), language),
        "requester_name": _requester_name(case),
        "case_title": case.title,
        "case_type": str(CaseType(case.type).label),
        "is_petition": "yes" if case.type == CaseType.PETITION else "",
        "category_name": case.category.name_en
        if language == DocumentLanguage.EN
        else case.category.name_zh,
        "received_date": format_date(case.received_at, language),
        "channel": str(Channel(case.channel).label),
    }


def _requester_name(case: Case) -> str:
    """The first requester (or group representative). The document is addressed to them, so a
    confidential requester is named (confidentiality hides them from the respondent); an
    anonymous one is not."""
    roles = [PartyRole.REQUESTER, PartyRole.REPRESENTATIVE]
    party: CaseParty | None = case.parties.filter(role__in=roles).order_by("id").first()
    if party is None or party.anonymous:
        return _("Anonymous")
    return party.name or party.organization or _("Anonymous")


def _latest_events(case: Case) -> dict[str, CaseEvent]:
    latest: dict[str, CaseEvent] = {}
    for event in case.events.filter(kind__in=_FACT_EVENTS).order_by("at", "id"):
        latest[event.kind] = event
    return latest


def _clock(clocks: list[CaseClock], kind: str) -> CaseClock | None:
    matching = [clock for clock in clocks if clock.kind == kind]
    return max(matching, key=lambda clock: clock.started_at, default=None)


def _handling_facts(case: Case, clocks: list[CaseClock], language: str) -> Context:
    handling = _clock(clocks, ClockKind.HANDLING)
    return {
        "handling_department": _department_name(case.department, language),
        "handling_length": describe_length(handling.length, handling.unit) if handling else "",
        "handling_due_date": format_date(handling.due_at, language) if handling else "",
    }


def _registration_facts(latest: dict[str, CaseEvent], language: str) -> Context:
    accepted, refused = latest.get(Action.ACCEPT), latest.get(Action.NOT_ACCEPT)
    refused_params: dict[str, Any] = refused.params if refused else {}
    return {
        "accepted_date": format_date(accepted.at, language) if accepted else "",
        "not_accept_reason": str(refused_params.get("reason", "")),
        "proper_channel": str(refused_params.get("proper_channel", "")),
        "not_accept_date": format_date(refused.at, language) if refused else "",
    }


def _transfer_facts(case: Case, latest: dict[str, CaseEvent], language: str) -> Context:
    """The latest of dispatch (转送/交办 to a department) and redirect (导入法定程序)."""
    moves = [e for e in (latest.get(Action.DISPATCH), latest.get(Action.REDIRECT)) if e]
    if not moves:
        return {
            "transfer_mode": "",
            "transfer_department": "",
            "transfer_date": "",
            "redirect_procedure": "",
            "redirect_reason": "",
        }
    move = max(moves, key=lambda event: (event.at, event.id))
    if move.kind == Action.REDIRECT:
        procedure = str(move.params.get("procedure", ""))
        return {
            "transfer_mode": "redirect",
            "transfer_department": "",
            "transfer_date": format_date(move.at, language),
            "redirect_procedure": str(Procedure(procedure).label)
            if procedure in Procedure.values
            else procedure,
            "redirect_reason": str(move.params.get("reason", "")),
        }
    return {
        "transfer_mode": "dispatch",
        "transfer_department": _dispatched_department(case, move, language),
        "transfer_date": format_date(move.at, language),
        "redirect_procedure": "",
        "redirect_reason": "",
    }


def _dispatched_department(case: Case, event: CaseEvent, language: str) -> str:
    code = str(event.params.get("department", ""))
    department = case.department
    if department is None or department.code != code:
        department = Department.objects.filter(code=code).first()
    return _department_name(department, language) or code


def _extension_facts(
    latest: dict[str, CaseEvent], clocks: list[CaseClock], language: str
) -> Context:
    extension = latest.get(Action.EXTEND)
    if extension is None:
        keys = ("extension_days", "extension_length", "extension_reason", "extension_date")
        return dict.fromkeys((*keys, "new_due_date"), "")
    days = int(extension.params.get("days", 0))
    clock = _clock(clocks, str(extension.params.get("clock", ClockKind.HANDLING)))
    return {
        "extension_days": str(days),
        "extension_length": describe_length(days, clock.unit) if clock else str(days),
        "extension_reason": str(extension.params.get("reason", "")),
        "extension_date": format_date(extension.at, language),
        "new_due_date": format_date(clock.due_at, language) if clock else "",
    }


def _reply_facts(case: Case, latest: dict[str, CaseEvent], language: str) -> Context:
    delivered = latest.get(Action.REPLY)
    return {
        "reply_text": case.reply,
        "result_text": case.result,
        "reply_date": format_date(delivered.at if delivered else timezone.now(), language),
    }


def _department_name(department: Department | None, language: str) -> str:
    if department is None:
        return ""
    if language == DocumentLanguage.EN and department.name_en:
        return department.name_en
    return department.name


# --- the sample an administrator previews against -----------------------------------------


def sample_context(kind: str, language: str) -> Context:
    """Invented values for every name a template may use, for the preview and for checking a
    template before it is saved."""
    language = document_language(language)
    english = language == DocumentLanguage.EN
    day = dt.date(2026, 11, 23)

    def date(offset: int) -> str:
        return format_date(day + dt.timedelta(days=offset), language)

    with _speaking(language):
        return {
            "document_kind": str(DocumentKind(kind).label) if kind in DocumentKind.values else "",
            "centre_name": "示范县综治中心",
            "receipt_code": "7K2QH-M4XC9",
            "document_date": date(0),
            "requester_name": "Zhang San" if english else "张三",
            "case_title": "Wages unpaid for three months" if english else "拖欠工资三个月",
            "case_type": str(CaseType.PETITION.label),
            "is_petition": "yes",
            "category_name": "Wage arrears" if english else "工资拖欠",
            "received_date": date(-10),
            "channel": str(Channel.WALK_IN.label),
            "handling_department": "County HRSS Bureau" if english else "县人社局",
            "handling_length": describe_length(60, "days"),
            "handling_due_date": date(50),
            "accepted_date": date(-9),
            "not_accept_reason": "outside the centre's remit"
            if english
            else "不属于本中心受理范围",
            "proper_channel": "a lawsuit at the county court"
            if english
            else "向县人民法院提起诉讼",
            "not_accept_date": date(-9),
            "transfer_mode": "dispatch",
            "transfer_department": "County HRSS Bureau" if english else "县人社局",
            "transfer_date": date(-8),
            "redirect_procedure": str(Procedure.LITIGATION.label),
            "redirect_reason": "A civil matter for the court" if english else "属于民事诉讼事项",
            "extension_days": "30",
            "extension_length": describe_length(30, "days"),
            "extension_reason": "Further investigation needed" if english else "需要补充调查核实",
            "extension_date": date(-1),
            "new_due_date": date(80),
            "reply_text": "The employer has paid all wages owed."
            if english
            else "经调查核实，该企业已于近日支付全部拖欠工资。",
            "result_text": "Wages paid in full" if english else "工资已全额支付",
            "reply_date": date(0),
            "order_number": "DB-2026-000123",
            "department_name": "County HRSS Bureau" if english else "县人社局",
            "leader_name": "Li Si" if english else "李四",
            "issued_by": "Wang Wu" if english else "王五",
            "issued_date": date(0),
            "instructions": "Settle the matter and report within five working days."
            if english
            else "请于五个工作日内办结并报送办理情况。",
            "due_date": date(7),
            "case_status": str(Status.IN_PROGRESS.label),
        }
