"""Staff API v1 (DESIGN.md). Thin: every endpoint calls a service or a selector."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.parser import Parser
from ninja.security import HttpBearer

from civicdesk.audit.choices import AccessAction, AccessChannel
from civicdesk.audit.services import log_access
from civicdesk.cases import attachments
from civicdesk.cases.choices import TimeUnit
from civicdesk.cases.deadline_rules import category_policy
from civicdesk.cases.deadlines import compute_due
from civicdesk.cases.models import Category
from civicdesk.cases.permissions import grants_for, may_act, roles_of
from civicdesk.cases.reveal import party_reveal
from civicdesk.cases.selectors import case_detail_for_user, case_get_for_user, case_list_for_user
from civicdesk.cases.serializers import case_detail_json, case_summary_json, iso
from civicdesk.cases.services import ACTIONS, case_act, case_create
from civicdesk.cases.transitions import allowed_actions
from civicdesk.core.calendar_store import current_calendar
from civicdesk.core.errors import DomainError, ValidationFailed
from civicdesk.core.ratelimit import client_ip
from civicdesk.organization.models import Area, Department
from civicdesk.organization.tokens import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


def _null_character_at(data: Any, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """Where in the decoded JSON a text holds U+0000, or None."""
    if isinstance(data, str):
        return path if "\x00" in data else None
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        found = _null_character_at(value, (*path, key))
        if found is not None:
            return found
    return None


class NullCharacterInBody(ValueError):
    def __init__(self, where: tuple[Any, ...]) -> None:
        super().__init__("null character in the request body")
        self.where = where


class TextWithoutNullParser(Parser):
    """JSON bodies whose texts hold a null character (U+0000) are refused as invalid input,
    naming the field: PostgreSQL cannot store it, and no one types it (Django's forms refuse
    it the same way). ninja turns any parser error into its 400; `_http_error` finds this one
    behind it and answers 422 with the field."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        where = _null_character_at(data)
        if where is not None:
            raise NullCharacterInBody(where)
        return data


api = NinjaAPI(
    title="civicdesk staff API",
    version="1",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=BearerToken(),
    parser=TextWithoutNullParser(),
)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.http_status, exc.code, exc.message, getattr(exc, "errors", None))


def _schema_problem(error: dict[str, Any]) -> str:
    """Our translated words for the schema errors people meet; pydantic's text otherwise."""
    messages = {
        "missing": _("This field is required."),
        "string_type": _("Enter text."),
        "int_type": _("Enter a whole number."),
        "int_parsing": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "float_type": _("Enter a number."),
        "float_parsing": _("Enter a number."),
        "bool_type": _("Enter true or false."),
        "bool_parsing": _("Enter true or false."),
        "list_type": _("Give a list."),
        "dict_type": _("Give an object."),
        "model_type": _("Give an object."),
        "model_attributes_type": _("Give an object."),
        "datetime_type": _("Use an ISO 8601 date and time, e.g. 2026-05-01T09:30:00+08:00."),
        "datetime_parsing": _("Use an ISO 8601 date and time, e.g. 2026-05-01T09:30:00+08:00."),
        "datetime_from_date_parsing": _(
            "Use an ISO 8601 date and time, e.g. 2026-05-01T09:30:00+08:00."
        ),
        "enum": _("Unknown value; use one of: {values}.").format(
            values=str(error.get("ctx", {}).get("expected", ""))
        ),
    }
    return str(messages.get(error.get("type", ""), error.get("msg", _("Invalid value."))))


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    # ninja reports ("body", "payload", "parties", 0, "phone"); people know "parties[0].phone".
    if parts[:1] in (["body"], ["query"], ["path"], ["form"], ["file"]):
        parts = parts[1:]
    if parts[:1] in (["payload"], ["query"]) and len(parts) > 1:
        parts = parts[1:]
    if not parts:
        return "body"
    return parts[0] + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts[1:])


@api.exception_handler(NinjaValidationError)
def _schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(tuple(error.get("loc", ()))), []).append(
            _schema_problem(error)
        )
    return _error(request, 422, "invalid", _("The request has invalid fields."), errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request, 401, "unauthenticated", _("Send a valid token: Authorization: Bearer <token>.")
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, NullCharacterInBody):
        field = _field_name(("body", "payload", *exc.__cause__.where))
        return _error(
            request,
            422,
            "invalid",
            _("The request has invalid fields."),
            {field: [_("Remove the null character from the text.")]},
        )
    if exc.status_code == 400:
        # ninja's only 400 is a body it cannot parse.
        return _error(
            request,
            400,
            "invalid",
            _("The request has invalid fields."),
            {"body": [_("Send a JSON object.")]},
        )
    code = "not_found" if exc.status_code == 404 else "error"
    return _error(request, exc.status_code, code, str(exc))


# --- schemas -------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str
    message: str
    errors: dict[str, list[str]] | None = None


class LocationIn(Schema):
    lat: float
    lng: float


class PartyIn(Schema):
    role: str = "requester"
    name: str = ""
    phone: str = ""
    id_number: str = ""
    email: str = ""  # optional, for messages to the resident (civicdesk.notifications)
    # Optional: the language of those messages ("zh-hans", "en"); blank for the centre's default.
    language: str = ""
    organization: str = ""
    confidential: bool = False
    anonymous: bool = False


class CaseIn(Schema):
    type: str
    channel: str
    category: str
    title: str
    description: str
    area: str
    address: str = ""
    location: LocationIn | None = None
    received_at: str | None = None
    priority: str | None = None
    parties: list[PartyIn] = []
    idempotency_key: str | None = None


class ActionIn(Schema):
    """Every action's fields; each action reads the ones it needs (DESIGN.md lists them)."""

    version: int | None = None
    note: str | None = None
    reason: str | None = None
    proper_channel: str | None = None
    procedure: str | None = None
    department: str | None = None
    leader: str | None = None
    handler: str | None = None
    rectification_days: int | None = None
    days: int | None = None
    result: str | None = None
    reply: str | None = None
    delivered_via: str | None = None
    satisfaction: str | None = None
    into: int | None = None


class DueOut(Schema):
    due_at: str
    calendar_missing: bool


# --- endpoints -----------------------------------------------------------------------------


@api.get("/me", summary="Who am I: roles, departments and areas")
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    grants = grants_for(user)
    departments = Department.objects.filter(
        id__in={g.department_id for g in grants if g.department_id}
    )
    areas = Area.objects.filter(path__in={g.area_path for g in grants if g.area_path})
    return {
        "username": user.username,
        "name": str(user),
        "roles": roles_of(user),
        "centre": user.centre.code if getattr(user, "centre", None) else None,
        "departments": [{"code": d.code, "name": d.name} for d in departments],
        "areas": [{"code": a.code, "name": a.name, "level": a.level} for a in areas],
    }


@api.get("/areas", summary="The area tree")
def areas(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": a.code,
            "name": a.name,
            "level": a.level,
            "parent": a.parent.code if a.parent else None,
            "has_polygon": a.polygon is not None,
        }
        for a in Area.objects.select_related("parent").order_by("path")
    ]


@api.get("/departments", summary="Departments and units")
def departments(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"code": d.code, "name": d.name, "name_en": d.name_en, "kind": d.kind, "area": d.area.code}
        for d in Department.objects.filter(active=True).select_related("area")
    ]


@api.get("/categories", summary="Categories with their case type, department and clocks")
def categories(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": c.code,
            "name": c.name,
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "parent": c.parent.code if c.parent else None,
            "case_type": c.case_type,
            "default_department": c.default_department.code if c.default_department else None,
            "deadline_policy": category_policy(c.case_type, c.deadline_policy),
            "public": c.public,
        }
        for c in Category.objects.filter(active=True).select_related("parent", "default_department")
    ]


@api.post("/cases", response={200: dict, 201: dict, 422: ErrorOut}, summary="Register a case")
def create_case(request: HttpRequest, payload: CaseIn) -> Status[dict[str, Any]]:
    case, created = case_create(actor=request.user, data=payload.dict())
    return Status(201 if created else 200, _detail(request, case.pk, acted=True))


@api.get("/cases", summary="Cases in your scope, newest first")
def list_cases(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    result = case_list_for_user(user=request.user, params=request.GET, page=page)
    return {
        "results": [case_summary_json(case) for case in result.items],
        "page": result.number,
        "has_next": result.has_next,
        "next_page": result.number + 1 if result.has_next else None,
    }


@api.get("/cases/{case_id}", response={200: dict, 404: ErrorOut}, summary="One case")
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    detail = _detail(request, case_id)
    log_access(request, AccessAction.VIEW_CASE_API, case_id=case_id, channel=AccessChannel.API)
    return detail


@api.post(
    "/cases/{case_id}/actions/{action}",
    response={200: dict, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Take an action on a case",
)
def act(request: HttpRequest, case_id: int, action: str, payload: ActionIn) -> dict[str, Any]:
    if action not in ACTIONS:
        case_get_for_user(user=request.user, pk=case_id)  # outside scope stays "not found"
        raise ValidationFailed.single(
            "action", _("Unknown action “{action}”.").format(action=action)
        )
    case_act(
        actor=request.user, case_id=case_id, action=action, data=payload.dict(exclude_none=True)
    )
    # The one who just acted is shown the result even when the action took the case out of
    # their scope (a department returning a case): they already saw it a moment ago.
    return _detail(request, case_id, acted=True)


@api.post(
    "/cases/{case_id}/attachments",
    response={201: dict, 404: ErrorOut, 422: ErrorOut},
    summary="Attach a file (type checked by content)",
)
def attach(
    request: HttpRequest, case_id: int, file: UploadedFile = File(...)
) -> Status[dict[str, Any]]:
    attachment = attachments.attachment_add(actor=request.user, case_id=case_id, upload=file)
    return Status(
        201,
        {
            "id": attachment.pk,
            "name": attachment.original_name,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
        },
    )


class RevealIn(Schema):
    # Defaults, so that a missing field is the service's error (422 naming it) after the scope
    # check, and a case outside the caller's scope stays 404 whatever the body.
    field: str = ""
    purpose: str = ""


class RevealOut(Schema):
    field: str
    value: str


@api.post(
    "/cases/{case_id}/parties/{party_id}/reveal",
    response={200: RevealOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Show one of a party's masked values in full, saying why (logged)",
)
def reveal_party_value(
    request: HttpRequest, case_id: int, party_id: int, payload: RevealIn
) -> dict[str, str]:
    value = party_reveal(
        actor=request.user,
        case_id=case_id,
        party_id=party_id,
        field=payload.field,
        purpose=payload.purpose,
        address=client_ip(request),
        channel=AccessChannel.API,
    )
    return {"field": payload.field, "value": value}


class DueQuery(Schema):
    start: dt.datetime
    length: int
    unit: TimeUnit = TimeUnit.DAYS


@api.get(
    "/calendar/due",
    response={200: DueOut, 422: ErrorOut},
    summary="When would a clock started at `start` fall due?",
)
def calendar_due(request: HttpRequest, query: Query[DueQuery]) -> dict[str, Any]:
    if not 1 <= query.length <= 3650:
        raise ValidationFailed.single(
            "length", _("Enter a number from {low} to {high}.").format(low=1, high=3650)
        )
    if query.unit == TimeUnit.WORKING_DAYS and query.length > 2500:
        raise ValidationFailed.single(
            "length", _("Enter a number from {low} to {high}.").format(low=1, high=2500)
        )
    start = query.start if timezone.is_aware(query.start) else timezone.make_aware(query.start)
    result = compute_due(
        start=start, length=query.length, unit=query.unit, calendar=current_calendar()
    )
    return {"due_at": iso(result.due_at), "calendar_missing": result.calendar_missing}


def _detail(request: HttpRequest, case_id: int, *, acted: bool = False) -> dict[str, Any]:
    case = case_detail_for_user(user=request.user, pk=case_id, acted=acted)
    actions = [a for a in allowed_actions(case.status) if may_act(request.user, case, a)]
    return case_detail_json(case, allowed_actions=actions)
