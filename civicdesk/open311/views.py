"""Open311 GeoReport v2 endpoints. Thin: parameters in, a selector or service, a shape out.

Every failure is answered in the standard's error format, in the format the URL asked for:
400 for bad input (naming the parameter), 403 for a missing or bad api_key, 404 for an unknown
service, request or jurisdiction, 405 for a method the resource does not take, 429 with
Retry-After past a rate limit (per client address; per api_key when one is sent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicdesk.core.errors import DomainError, NotFound, ValidationFailed
from civicdesk.core.ratelimit import Limit, check_rates, ip_key, retry_message, with_retry_after
from civicdesk.open311 import renderers
from civicdesk.open311.attributes import attribute_params
from civicdesk.open311.models import ApiClient
from civicdesk.open311.selectors import (
    MAX_IDS_PER_QUERY,
    RequestFilters,
    client_for_key,
    jurisdiction_resolve,
    public_categories,
    reader_area_paths,
    request_get,
    request_list,
    service_get,
)
from civicdesk.open311.services import Submission, request_submit

# When this API's behaviour last changed (the discovery document's "changeset").
CHANGESET = "2026-05-01T00:00:00+08:00"
MAX_WINDOW = dt.timedelta(days=90)
MAX_PARAMETER_LENGTH = 5000
STATUS_FILTERS = ("open", "closed")


class Refused(Exception):
    """An answer other than success: the HTTP status and the standard's (code, description)s."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions)
        self.status = status
        self.problems = [(status, description) for description in descriptions]


View = Callable[..., HttpResponse]


def endpoint(*methods: str) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            with _language(request):
                try:
                    wait = _rate_wait(request)
                    if wait is not None:
                        return _too_many(wait, fmt)
                    if request.method not in methods:
                        allowed = " or ".join(methods)
                        response = _refused(405, _("Use {methods}.").format(methods=allowed), fmt)
                        response["Allow"] = ", ".join(methods)
                        return response
                    return view(request, fmt, **kwargs)
                except Refused as refusal:
                    return renderers.errors_response(refusal.status, refusal.problems, fmt)
                except DomainError as error:
                    return _domain_error(error, fmt)
                except (SuspiciousOperation, MultiPartParserError):
                    # Too large a body, too many fields, a broken multipart body.
                    return _refused(400, _("The request could not be read."), fmt)

        return csrf_exempt(wrapper)  # a key, not a cookie, authenticates these requests

    return decorate


def _refused(status: int, description: str, fmt: str) -> HttpResponse:
    return renderers.errors_response(status, [(status, description)], fmt)


def _rate_wait(request: HttpRequest, *, per_key: bool = True) -> int | None:
    """Counts the request per client address and, when it sends one, per api_key (posts also
    on their own, tighter, counter). Seconds to wait, or None."""
    limits = [Limit("open311-ip", ip_key(request), settings.CIVICDESK_RATE_OPEN311_IP)]
    unreadable: Exception | None = None
    try:
        key = _sent_key(request) if per_key else ""
    except (SuspiciousOperation, MultiPartParserError) as error:
        key, unreadable = "", error
    if key:
        limits.append(Limit("open311-key", key, settings.CIVICDESK_RATE_OPEN311_KEY))
        if request.method == "POST":
            limits.append(Limit("open311-post-key", key, settings.CIVICDESK_RATE_OPEN311_POST_KEY))
    wait = check_rates(request, limits)
    if wait is None and unreadable is not None:
        # Django reads a broken body once only: answer it now (400), after counting it.
        raise unreadable
    return wait


def _sent_key(request: HttpRequest) -> str:
    """The api_key as the views read it (the form's first); unchecked: an unknown key is
    counted too, and refused by the view."""
    key = str(request.POST.get("api_key", "")) if request.method == "POST" else ""
    return (key or str(request.GET.get("api_key", ""))).strip()[:MAX_PARAMETER_LENGTH]


def _too_many(seconds: int, fmt: str) -> HttpResponse:
    return with_retry_after(_refused(429, retry_message(seconds), fmt), seconds)


def _domain_error(error: DomainError, fmt: str) -> HttpResponse:
    if isinstance(error, ValidationFailed):
        problems = [
            (400, f"{field}: {problem}")
            for field, field_problems in error.errors.items()
            for problem in field_problems
        ]
        return renderers.errors_response(400, problems, fmt)
    status = error.http_status if error.http_status in (403, 404) else 400
    return _refused(status, error.message, fmt)


@contextmanager
def _language(request: HttpRequest) -> Iterator[None]:
    """`locale=en` or `locale=zh-CN` picks the language; otherwise Accept-Language did."""
    requested = str(request.GET.get("locale", ""))[:20].lower()
    if requested.startswith("en"):
        language = "en"
    elif requested.startswith("zh"):
        language = "zh-hans"
    else:
        language = translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        yield


def _param(params: QueryDict, name: str) -> str:
    value = str(params.get(name, ""))
    if len(value) > MAX_PARAMETER_LENGTH:
        raise Refused(400, _("{name}: the value is too long.").format(name=name))
    return value.strip()


def _reader(params: QueryDict) -> tuple[ApiClient | None, str]:
    """The reading key (optional for reads) and the jurisdiction it reads."""
    key = _param(params, "api_key")
    client = client_for_key(key) if key else None
    if key and client is None:
        raise Refused(403, _("Invalid api_key."))
    jurisdiction = jurisdiction_resolve(_param(params, "jurisdiction_id"))
    if client is not None and client.jurisdiction_id != jurisdiction:
        raise Refused(403, _("This api_key does not serve this jurisdiction."))
    return client, jurisdiction


# --- discovery and services ----------------------------------------------------------------


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    services_url = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": fmt}))
    data = renderers.discovery_json(
        base_url=services_url.removesuffix("/services." + fmt),
        contact=settings.CIVICDESK_OPEN311_CONTACT,
        key_service=settings.CIVICDESK_OPEN311_KEY_SERVICE,
        changeset=CHANGESET,
    )
    return renderers.respond(data, fmt, root="discovery", item=None)


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    _reader(request.GET)
    data = [renderers.service_json(category) for category in public_categories()]
    return renderers.respond(data, fmt, root="services", item="service")


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    _reader(request.GET)
    data = renderers.service_definition_json(service_get(code))
    return renderers.respond(data, fmt, root="service_definition", item=None)


# --- requests ------------------------------------------------------------------------------


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create_request(request, fmt)
    client, jurisdiction = _reader(request.GET)
    paths = reader_area_paths(client=client, jurisdiction_id=jurisdiction)
    cases = request_list(
        paths=paths,
        filters=_request_filters(request.GET),
        limit=settings.CIVICDESK_OPEN311_MAX_REQUESTS,
    )
    data = [renderers.request_json(case) for case in cases]
    return renderers.respond(data, fmt, root="service_requests", item="request")


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    client, jurisdiction = _reader(request.GET)
    paths = reader_area_paths(client=client, jurisdiction_id=jurisdiction)
    data = [renderers.request_json(request_get(paths=paths, code=code))]
    return renderers.respond(data, fmt, root="service_requests", item="request")


@endpoint("GET")
def token_detail(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    client, jurisdiction = _reader(request.GET)
    paths = reader_area_paths(client=client, jurisdiction_id=jurisdiction)
    try:
        case = request_get(paths=paths, code=token)
    except NotFound:
        raise Refused(404, _("token “{value}” was not found.").format(value=token[:64])) from None
    return renderers.respond(
        [renderers.token_json(case)], fmt, root="service_requests", item="request"
    )


def _create_request(request: HttpRequest, fmt: str) -> HttpResponse:
    form = request.POST
    jurisdiction = jurisdiction_resolve(_param(form, "jurisdiction_id"))
    key = _param(form, "api_key") or _param(request.GET, "api_key")
    if not key:
        raise Refused(403, _("Send your api_key: posting a request needs one."))
    client = client_for_key(key)
    if client is None:
        raise Refused(403, _("Invalid api_key."))
    if client.jurisdiction_id != jurisdiction:
        raise Refused(403, _("This api_key does not serve this jurisdiction."))
    code = _param(form, "service_code")
    if not code:
        raise Refused(400, _("service_code: this parameter is required."))
    category = service_get(code)
    answers, malformed = attribute_params(dict(form.lists()))
    if malformed:
        raise Refused(
            400,
            *(
                _("{name}: write attributes as attribute[code]=value.").format(name=name)
                for name in malformed
            ),
        )
    case = request_submit(
        client=client, category=category, submission=_submission(form), answers=answers
    )
    data = [renderers.created_json(case, account_id=_param(form, "account_id"))]
    return renderers.respond(data, fmt, root="service_requests", item="request")


def _submission(form: QueryDict) -> Submission:
    names = Submission.__dataclass_fields__.keys()
    return Submission(**{name: _param(form, name) for name in names})


def _request_filters(params: QueryDict) -> RequestFilters:
    ids = _comma_list(params, "service_request_id")
    if len(ids) > MAX_IDS_PER_QUERY:
        raise Refused(
            400,
            _("service_request_id: at most {n} ids at once.").format(n=MAX_IDS_PER_QUERY),
        )
    statuses = _comma_list(params, "status")
    unknown = [status for status in statuses if status not in STATUS_FILTERS]
    if unknown:
        raise Refused(400, _("status: use open or closed."))
    start, end = _window(_moment(params, "start_date"), _moment(params, "end_date"))
    return RequestFilters(ids, _comma_list(params, "service_code"), start, end, statuses)


def _comma_list(params: QueryDict, name: str) -> list[str]:
    values = [part.strip() for value in params.getlist(name) for part in value.split(",")]
    return [value[:64] for value in values if value]


def _moment(params: QueryDict, name: str) -> dt.datetime | None:
    value = _param(params, name)
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Refused(
            400,
            _("{name}: use an ISO 8601 date and time, e.g. 2026-05-01T00:00:00+08:00.").format(
                name=name
            ),
        ) from None
    # The standard asks for an offset; a time without one is read as local time.
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _window(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """The standard's search window: at most 90 days, the last 90 by default."""
    try:
        if start is None and end is None:
            end = timezone.now()
        if start is None:
            assert end is not None
            start = end - MAX_WINDOW
        if end is None:
            end = start + MAX_WINDOW
    except OverflowError:
        raise Refused(400, _("start_date/end_date: the date is out of range.")) from None
    if end < start:
        raise Refused(400, _("end_date: must not be before start_date."))
    if end - start > MAX_WINDOW:
        raise Refused(400, _("start_date/end_date: at most 90 days apart."))
    return start, end


def not_found(request: HttpRequest, path: str) -> HttpResponse:
    fmt = "json" if path.endswith(".json") else "xml"
    # Probing unknown paths counts against the address like any other request.
    wait = _rate_wait(request, per_key=False)
    if wait is not None:
        return _too_many(wait, fmt)
    return _refused(404, _("There is no such Open311 resource."), fmt)
