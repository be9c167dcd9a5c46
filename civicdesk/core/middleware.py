"""Request middleware: the interface language and the idle sign-out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class BrowserLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, except that a browser asking only for languages we do not
    speak gets English rather than the Chinese default.

    Chinese browsers (zh, zh-CN, zh-Hans, zh-SG...) get zh-Hans, and a request with no
    Accept-Language at all (scripts, the API) keeps the default. A choice made with the
    language switch (the cookie) always wins.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
            return
        header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        if header and "zh" not in header.lower() and header.strip() != "*":
            translation.activate("en")
            request.LANGUAGE_CODE = "en"


SESSION_SEEN_KEY = "civicdesk_seen_at"
# The session is written at most this often just to record activity.
_TOUCH_EVERY_SECONDS = 60


class IdleTimeoutMiddleware:
    """Signs a staff member out after CIVICDESK_IDLE_TIMEOUT_MINUTES without a request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        now = time.time()
        seen = request.session.get(SESSION_SEEN_KEY)
        limit = settings.CIVICDESK_IDLE_TIMEOUT_MINUTES * 60
        if seen is not None and now - seen > limit:
            logout(request)
            request.session["civicdesk_idle_logout"] = True
            return
        if seen is None or now - seen > _TOUCH_EVERY_SECONDS:
            request.session[SESSION_SEEN_KEY] = now
