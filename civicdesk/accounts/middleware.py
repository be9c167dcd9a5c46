"""The one place that holds staff at a sign-in step before any other page: the second factor
for privileged roles, then a new password once the old one is too old."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from civicdesk.accounts import selectors
from civicdesk.accounts.policy import is_verified, password_expired, two_factor_required

# Pages that do not act on the staff session's authority: the resident portal and Open311
# (public), the staff API (bearer tokens issued by administrators, docs/decisions/0029).
_OPEN_NAMESPACES = frozenset({"portal", "open311"})
# Sign-in, sign-out and the language switch stay usable while the code is pending.
_OPEN_URL_NAMES = frozenset({"workbench:login", "workbench:logout", "set_language"})


class _SignInGate:
    """A middleware that may hold a signed-in member of staff at one page before any other
    (`held` returns that page's response, or None to let the request through). Public and
    sign-in pages are never held (`_is_open`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        if not request.user.is_authenticated or _is_open(request, view_func):
            return None
        return self.held(request)

    def held(self, request: HttpRequest) -> HttpResponse | None:
        raise NotImplementedError


class TwoFactorRequiredMiddleware(_SignInGate):
    """Sends a staff member whose roles require two-factor sign-in (policy.two_factor_required)
    and who has not yet entered a code in this session to the code page, or to enrolment
    when they have no authenticator app yet. Every other page waits until then."""

    def held(self, request: HttpRequest) -> HttpResponse | None:
        user: Any = request.user
        if is_verified(user) or not two_factor_required(user):
            return None
        return _to_second_step(request)


# What a member of staff with an expired password may still open.
_PASSWORD_PAGES = frozenset({"workbench:password_change", "workbench:password_change_done"})


class PasswordAgeMiddleware(_SignInGate):
    """Sends a member of staff whose password is older than CIVICDESK_PASSWORD_MAX_AGE_DAYS to
    the password page until they choose a new one (policy.password_expired)."""

    def held(self, request: HttpRequest) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and match.view_name in _PASSWORD_PAGES:
            return None
        if not password_expired(request.user):
            return None
        return _redirect(request, reverse("workbench:password_change") + "?expired=1")


def _is_open(request: HttpRequest, view_func: Callable[..., Any]) -> bool:
    if getattr(view_func, "two_factor_exempt", False):
        return True
    match = request.resolver_match
    if match is None:
        return False
    if _OPEN_NAMESPACES & set(match.namespaces) or match.view_name in _OPEN_URL_NAMES:
        return True
    return bool(match.namespaces) and match.namespaces[0].startswith("api-")


def _to_second_step(request: HttpRequest) -> HttpResponse:
    url_name = (
        "workbench:two_factor_enrol"
        if selectors.needs_enrolment(request.user)
        else "workbench:two_factor_verify"
    )
    url = reverse(url_name)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return _redirect(request, url)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    # htmx swaps responses into the page: it must be told to load the whole page instead.
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)
