"""Writes for two-factor sign-in: enrolling an authenticator app, recovery codes, checking a
code at sign-in, and the administrator's reset (docs/decisions/0029)."""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicdesk.accounts import selectors

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator app"
RECOVERY_DEVICE_NAME = "recovery codes"

security_log = logging.getLogger("civicdesk.security")


class Outcome(enum.Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    THROTTLED = "throttled"
    LOCKED_OUT = "locked_out"


@dataclass(frozen=True)
class CodeCheck:
    outcome: Outcome
    wait_seconds: int = 0


def normalise_code(raw: str) -> str:
    """Codes are read off a phone or a sheet of paper: ignore spaces, dashes and case."""
    return re.sub(r"[\s\-]", "", raw or "").lower()


def _lock_user(user: Any) -> None:
    # Serialises enrolment and code checks of one account (two tabs, a double click).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def totp_enrolment_start(user: Any) -> TOTPDevice:
    """The unconfirmed device whose secret the enrolment page shows. Kept across reloads so
    the QR code a user already scanned stays valid until they confirm it."""
    with transaction.atomic():
        _lock_user(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
        return device


def totp_enrolment_confirm(request: HttpRequest, device: TOTPDevice, code: str) -> CodeCheck:
    """Confirms the app with a code it shows; on success the session counts as verified.

    Wrong codes here are the user's own typing against a secret only they have seen, so they
    are throttled (django-otp) but not counted towards the sign-in lockout.
    """
    user: Any = request.user
    with transaction.atomic():
        _lock_user(user)
        if selectors.confirmed_totp_device(user) is not None:
            # Someone (another tab) finished first; this page must not add a second app.
            return CodeCheck(Outcome.WRONG)
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        allowed, details = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(Outcome.THROTTLED, _wait_seconds(details))
        if not device.verify_token(normalise_code(code)):
            return CodeCheck(Outcome.WRONG)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    _mark_verified(request, device)
    security_log.info("two-factor: %s enrolled an authenticator app", user.get_username())
    return CodeCheck(Outcome.VERIFIED)


def recovery_codes_issue(user: Any) -> list[str]:
    """Ten new one-time codes; every earlier code stops working."""
    with transaction.atomic():
        _lock_user(user)
        StaticDevice.objects.filter(user=user).exclude(name=RECOVERY_DEVICE_NAME).delete()
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = _distinct_codes(RECOVERY_CODE_COUNT)
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    security_log.info("two-factor: new recovery codes for %s", user.get_username())
    return codes


def _distinct_codes(count: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(StaticToken.random_token())
    return sorted(codes)


def second_step_verify(request: HttpRequest, code: str) -> CodeCheck:
    """Checks a code from the authenticator app (six digits) or a recovery code.

    A wrong code is throttled by the device (each failure doubles the wait) and counts as a
    failed sign-in for django-axes, so guessing codes locks the account out like guessing
    passwords does; the session is then signed out.
    """
    user: Any = request.user
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return _locked_out(request, credentials)
    token = normalise_code(code)
    device = _device_for(user, token)
    if device is not None:
        allowed, details = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(Outcome.THROTTLED, _wait_seconds(details))
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            _mark_verified(request, verified)
            return CodeCheck(Outcome.VERIFIED)
    security_log.warning("two-factor: wrong code for %s", user.get_username())
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        return _locked_out(request, credentials)
    return CodeCheck(Outcome.WRONG)


def _device_for(user: Any, token: str) -> Device | None:
    if re.fullmatch(r"\d{6}", token):
        return selectors.confirmed_totp_device(user)
    return selectors.recovery_device(user)


def _wait_seconds(details: dict[str, Any] | None) -> int:
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, int((locked_until - timezone.now()).total_seconds()) + 1)


def _locked_out(request: HttpRequest, credentials: dict[str, str]) -> CodeCheck:
    logout(request)
    # django-axes' middleware turns this into its lockout page.
    request.axes_locked_out = True  # type: ignore[attr-defined]
    request.axes_credentials = credentials  # type: ignore[attr-defined]
    return CodeCheck(Outcome.LOCKED_OUT)


def _mark_verified(request: HttpRequest, device: Device) -> None:
    # A new session key for the more trusted session (no fixation across the second step).
    request.session.cycle_key()
    django_otp.login(request, device)


def two_factor_reset(user: Any) -> int:
    """Removes every second factor of `user` (lost phone): the next sign-in enrols afresh.
    Returns how many devices were removed; the caller records who did it."""
    with transaction.atomic():
        _lock_user(user)
        removed = 0
        for model in (TOTPDevice, StaticDevice):
            _total, per_model = model.objects.filter(user=user).delete()
            removed += per_model.get(model._meta.label, 0)
    return removed
