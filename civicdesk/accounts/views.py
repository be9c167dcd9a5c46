"""The second sign-in step: enrol an authenticator app, enter a code, recovery codes."""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from typing import Any, TypeVar

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from civicdesk.accounts import selectors, services
from civicdesk.accounts.policy import is_verified, two_factor_required
from civicdesk.accounts.services import CodeCheck, Outcome

FRESH_CODES_SESSION_KEY = "civicdesk_fresh_recovery_codes"

View = TypeVar("View", bound=Callable[..., HttpResponse])


def two_factor_exempt(view: View) -> View:
    """Reachable before the second step (TwoFactorRequiredMiddleware lets it through)."""
    view.two_factor_exempt = True  # type: ignore[attr-defined]
    return view


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        error_messages={"required": _("Enter the code.")},
    )


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, request: HttpRequest) -> HttpResponseRedirect:
    from urllib.parse import urlencode

    url = reverse(url_name)
    next_url = request.POST.get("next") or request.GET.get("next")
    return HttpResponseRedirect(url + ("?" + urlencode({"next": next_url}) if next_url else ""))


def _add_check_error(form: CodeForm, check: CodeCheck) -> None:
    if check.outcome is Outcome.THROTTLED:
        form.add_error(
            "code",
            gettext("Too many wrong codes. Wait %(seconds)d seconds, then try again.")
            % {"seconds": check.wait_seconds},
        )
    else:
        form.add_error("code", gettext("This code is not right. Check it and try again."))


@never_cache
@two_factor_exempt
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if is_verified(user) or not two_factor_required(user):
        return redirect(_next_url(request))
    if selectors.needs_enrolment(user):
        return _with_next("workbench:two_factor_enrol", request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.second_step_verify(request, form.cleaned_data["code"])
        if check.outcome is Outcome.VERIFIED:
            return redirect(_next_url(request))
        if check.outcome is Outcome.LOCKED_OUT:
            # django-axes' middleware replaces this with its lockout page.
            return redirect(settings.LOGIN_URL)
        _add_check_error(form, check)
    return render(
        request,
        "accounts/verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )


def _secret_text(device: Any) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@two_factor_exempt
@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not two_factor_required(user) and not is_verified(user):
        return redirect(_next_url(request))
    if not selectors.needs_enrolment(user):
        # Adding an app to an account that has one takes the current second factor first.
        return _with_next("workbench:two_factor_verify", request)
    device = services.totp_enrolment_start(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.totp_enrolment_confirm(request, device, form.cleaned_data["code"])
        if check.outcome is Outcome.VERIFIED:
            request.session[FRESH_CODES_SESSION_KEY] = services.recovery_codes_issue(user)
            return _with_next("workbench:two_factor_recovery_codes", request)
        _add_check_error(form, check)
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, border=2)
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "qr_svg": mark_safe(qr_svg),  # noqa: S308 -- segno's own SVG of our own URL
            "secret": _secret_text(device),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
    )


@never_cache
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Shows freshly issued codes once; otherwise how many are left and a way to replace them
    (which asks for a current code, so an unattended desk cannot print a new set)."""
    user: Any = request.user
    fresh: list[str] | None = request.session.pop(FRESH_CODES_SESSION_KEY, None)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.second_step_verify(request, form.cleaned_data["code"])
        if check.outcome is Outcome.VERIFIED:
            request.session[FRESH_CODES_SESSION_KEY] = services.recovery_codes_issue(user)
            return redirect("workbench:two_factor_recovery_codes")
        if check.outcome is Outcome.LOCKED_OUT:
            return redirect(settings.LOGIN_URL)
        _add_check_error(form, check)
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "fresh_codes": fresh,
            "codes_text": "\n".join(fresh or []) + "\n",
            "codes_left": selectors.recovery_codes_left(user),
            "form": form,
            "next_url": _next_url(request),
        },
    )
