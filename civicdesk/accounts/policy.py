"""Who must confirm a sign-in with a second factor, and whether this request already has."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from civicdesk.cases.permissions import roles_of
from civicdesk.organization.choices import Role


def check_two_factor_roles() -> None:
    """A misspelt role in CIVICDESK_2FA_ROLES would silently exempt that role: refuse to start."""
    unknown = set(settings.CIVICDESK_2FA_ROLES) - set(Role.values)
    if unknown:
        raise ImproperlyConfigured(
            f"CIVICDESK_2FA_ROLES names unknown roles {sorted(unknown)}; "
            f"the roles are {', '.join(Role.values)}"
        )


def two_factor_required(user: Any) -> bool:
    if not settings.CIVICDESK_2FA_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(set(roles_of(user)) & set(settings.CIVICDESK_2FA_ROLES))


def password_expired(user: Any, *, now: dt.datetime | None = None) -> bool:
    """Older than CIVICDESK_PASSWORD_MAX_AGE_DAYS (0: no limit). A password set in bulk with a
    ready hash (no change time) counts from when the account was made."""
    max_age = settings.CIVICDESK_PASSWORD_MAX_AGE_DAYS
    if not max_age or not user.is_authenticated or not user.has_usable_password():
        return False
    changed = user.password_changed_at or user.date_joined
    return (now or timezone.now()) - changed > dt.timedelta(days=max_age)


def is_verified(user: Any) -> bool:
    """True when this session passed the second step (django-otp's middleware records it)."""
    return getattr(user, "otp_device", None) is not None
