"""Deployment checks (`manage.py check --deploy`): settings that are fine on a developer's
machine but would leave a production centre open. Django's own deploy checks cover the cookie
and header settings; these add what is particular to civicdesk."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 (the public fallback)
MINIMUM_SECRET_KEY_LENGTH = 50


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # The secret key signs sessions and derives the tracking secrets printed on receipts: the
    # development fallback is public (it is in this repository).
    key = settings.SECRET_KEY
    if key == DEVELOPMENT_SECRET_KEY or len(key) < MINIMUM_SECRET_KEY_LENGTH:
        return [
            Error(
                "SECRET_KEY is the development fallback or shorter than "
                f"{MINIMUM_SECRET_KEY_LENGTH} characters.",
                hint="Set SECRET_KEY in the environment to a long random string "
                "(python -c 'import secrets; print(secrets.token_urlsafe(64))').",
                id="civicdesk.E001",
            )
        ]
    return []
