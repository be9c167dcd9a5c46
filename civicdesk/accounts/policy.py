"""Who must confirm a sign-in with a second factor, and whether this request already has."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

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


def is_verified(user: Any) -> bool:
    """True when this session passed the second step (django-otp's middleware records it)."""
    return getattr(user, "otp_device", None) is not None
