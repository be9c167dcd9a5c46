"""API tokens: random, shown once, stored only as a SHA-256 digest."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.utils import timezone

from civicdesk.organization.models import ApiToken, User

_TOUCH_EVERY = dt.timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_issue(*, user: User) -> str:
    token = "cd_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, prefix=token[:8], digest=_digest(token))
    return token


def user_for_token(token: str) -> Any:
    row = (
        ApiToken.objects.select_related("user", "user__centre")
        .filter(digest=_digest(token), revoked=False, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    # Recording use at most every few minutes keeps the read path free of writes.
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
