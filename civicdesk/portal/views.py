"""The resident portal's pages: submit, track, and act on one's own case.

No sign-in: a case opens to whoever proves it is theirs (access.py). Every POST is rate
limited per address (core.ratelimit) and answers 429 with Retry-After when over.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicdesk.cases.models import Case
from civicdesk.cases.receipt_codes import normalise_receipt_code, tracking_secret
from civicdesk.cases.resident_info import WHAT_HAPPENS_NEXT, running_deadlines
from civicdesk.core.errors import Conflict, DomainError, ValidationFailed
from civicdesk.core.ratelimit import check_rate, client_ip, ip_key, retry_message, with_retry_after
from civicdesk.portal import access, selectors, services
from civicdesk.portal.forms import RateForm, ReasonForm, SubmitForm, TrackForm

logger = logging.getLogger(__name__)

# The receipt code of the report this visit sent (the receipt page with its secret).
SUBMITTED_KEY = "portal_submitted"


def _too_many(request: HttpRequest, seconds: int) -> HttpResponse:
    response = render(
        request, "portal/too_many.html", {"message": retry_message(seconds)}, status=429
    )
    return with_retry_after(response, seconds)


def _limited(request: HttpRequest, group: str, rate: str) -> HttpResponse | None:
    wait = check_rate(request, group=group, key=ip_key(request), rate=rate)
    return _too_many(request, wait) if wait else None


@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"track_form": TrackForm()})


# --- submit --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _submit_page(request, SubmitForm())
    if refused := _limited(request, "portal-submit", settings.CIVICDESK_RATE_PORTAL_SUBMIT_IP):
        return refused
    form = SubmitForm(request.POST)
    if not form.is_valid():
        _show_hidden_field_errors(form)
        return _submit_page(request, form, status=400)
    if form.cleaned_data["website"]:
        # The honeypot was filled: a bot. Nothing is written; a person never sees this.
        logger.warning("portal: honeypot filled from %s", client_ip(request))
        form.add_error(None, _("Your report could not be accepted. Please try again."))
        return _submit_page(request, form, status=400)
    try:
        case = services.resident_submit(
            submission=_submission(form.cleaned_data), photos=request.FILES.getlist("photos")
        )
    except ValidationFailed as failure:
        _add_errors(form, failure.errors)
        return _submit_page(request, form, status=400)
    _grant(request, case)
    request.session[SUBMITTED_KEY] = case.receipt_code
    return redirect("portal:submitted", code=case.receipt_code)


def _submission(data: dict[str, Any]) -> services.Submission:
    return services.Submission(
        category=data["category"],
        description=data["description"],
        address=data["address"],
        area=data["area"],
        latitude=data["latitude"],
        longitude=data["longitude"],
        name=data["name"],
        phone=data["phone"],
        email=data["email"],
        confidential=data["confidential"],
        anonymous=data["anonymous"],
        idempotency_key=data["idempotency_key"],
    )


def _show_hidden_field_errors(form: Any) -> None:
    # Hidden fields (map pin, version, idempotency key) have no place on the page to show an
    # error: the form's general errors say it instead.
    for field in form.hidden_fields():
        if not field.errors:
            continue
        if field.name in ("latitude", "longitude"):
            for problem in field.errors:
                form.add_error(None, _("Map pin: {problem}").format(problem=problem))
        else:  # only a damaged or tampered page gets these wrong
            form.add_error(None, _("The page is out of date or damaged; reload it and try again."))


def _add_errors(form: Any, errors: dict[str, list[str]]) -> None:
    for field, problems in errors.items():
        target = field if field in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


def _submit_page(request: HttpRequest, form: SubmitForm, status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "category_groups": selectors.categories_for_residents(),
        "areas": selectors.areas_for_residents(),
        "map_tile_url": settings.CIVICDESK_MAP_TILE_URL,
        "map_centre": selectors.map_centre(),
        "max_photos": services.MAX_PHOTOS,
        "photo_errors": form.errors.get("photos", []),
    }
    return render(request, "portal/submit.html", context, status=status)


@require_http_methods(["GET"])
def submitted(request: HttpRequest, code: str) -> HttpResponse:
    case = _granted_case(request, code)
    if case is None:
        return _to_track_form(code)
    if request.session.get(SUBMITTED_KEY) != case.receipt_code:
        # The secret is shown to the visit that sent the report only: someone who opened the
        # case with phone digits must not turn that into a lasting proof.
        return redirect("portal:case", code=case.receipt_code)
    context = {
        "case": case,
        "secret": tracking_secret(case.receipt_code),
        "next_steps": WHAT_HAPPENS_NEXT.get(case.type, ""),
        "deadlines": running_deadlines(case),
        "anonymous": case.parties.filter(anonymous=True).exists(),
    }
    return render(request, "portal/submitted.html", context)


# --- track ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = TrackForm(initial={"code": request.GET.get("code", "")})
        return render(request, "portal/track.html", {"form": form})
    if refused := _limited(request, "portal-track", settings.CIVICDESK_RATE_PORTAL_TRACK_IP):
        return refused
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/track.html", {"form": form}, status=400)
    outcome = access.open_case(
        access.Claim(
            code=form.cleaned_data["code"],
            phone_digits=form.cleaned_data["phone_digits"],
            secret=form.cleaned_data["secret"],
        ),
        address=client_ip(request),
    )
    if outcome.wait_seconds:
        return _too_many(request, outcome.wait_seconds)
    if outcome.case is None:
        form.add_error(outcome.field or None, outcome.problem)
        return render(request, "portal/track.html", {"form": form}, status=400)
    _grant(request, outcome.case)
    return redirect("portal:case", code=outcome.case.receipt_code)


def _grant(request: HttpRequest, case: Case) -> None:
    # A new session key with every proof: a cookie noted earlier on a shared or kiosk browser
    # (or planted there) must not open the case the next resident proves.
    request.session.cycle_key()
    access.grant(request.session, case)


@require_http_methods(["POST"])
def forget(request: HttpRequest) -> HttpResponse:
    access.forget(request.session)
    return redirect("portal:track")


def _granted_case(request: HttpRequest, code: str) -> Case | None:
    canonical = normalise_receipt_code(code)
    case = selectors.case_for_code(canonical) if canonical else None
    if case is None or not access.may_view(request.session, case):
        return None
    return case


def _to_track_form(code: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("portal:track") + "?" + urlencode({"code": code[:20]}))


@require_http_methods(["GET"])
def case_page(request: HttpRequest, code: str) -> HttpResponse:
    case = _granted_case(request, code)
    if case is None:
        return _to_track_form(code)
    return _case_page(request, case)


def _case_page(
    request: HttpRequest, case: Case, *, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    view = selectors.resident_case(case)
    version = view.case.version
    context = {
        "view": view,
        "rate_form": RateForm(initial={"version": version}),
        "reopen_form": ReasonForm(initial={"version": version}, prefix="reopen"),
        "review_form": ReasonForm(initial={"version": version}, prefix="review"),
        **(forms or {}),
    }
    return render(request, "portal/case.html", context, status=status)


# --- the resident's actions ----------------------------------------------------------------


@require_http_methods(["POST"])
def rate(request: HttpRequest, code: str) -> HttpResponse:
    return _act(request, code, "rate", RateForm, prefix=None)


@require_http_methods(["POST"])
def reopen(request: HttpRequest, code: str) -> HttpResponse:
    return _act(request, code, "reopen", ReasonForm, prefix="reopen")


@require_http_methods(["POST"])
def review(request: HttpRequest, code: str) -> HttpResponse:
    return _act(request, code, "review", ReasonForm, prefix="review")


FORM_NAMES = {"rate": "rate_form", "reopen": "reopen_form", "review": "review_form"}


def _act(
    request: HttpRequest, code: str, what: str, form_class: Any, *, prefix: str | None
) -> HttpResponse:
    case = _granted_case(request, code)
    if case is None:
        return _to_track_form(code)
    if refused := _limited(request, "portal-action", settings.CIVICDESK_RATE_PORTAL_ACTION_IP):
        return refused
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            _run(what, case, form.cleaned_data)
        except Conflict:
            form.add_error(None, _("The case changed while you were reading it; see it below."))
        except ValidationFailed as failure:
            _add_errors(form, failure.errors)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            return redirect(reverse("portal:case", kwargs={"code": case.receipt_code}) + "#done")
    else:
        _show_hidden_field_errors(form)
    return _case_page(request, case, forms={FORM_NAMES[what]: form}, status=400)


def _run(what: str, case: Case, data: dict[str, Any]) -> None:
    if what == "rate":
        services.resident_rate(
            case=case, satisfaction=data["satisfaction"], note=data["note"], version=data["version"]
        )
    elif what == "reopen":
        services.resident_reopen(case=case, reason=data["reason"], version=data["version"])
    else:
        services.resident_request_review(
            case=case, reason=data["reason"], version=data["version"], now=timezone.now()
        )
