"""`manage.py check --deploy` refuses the public development secret key."""

from __future__ import annotations

from typing import Any

from civicdesk.core.checks import DEVELOPMENT_SECRET_KEY, secret_key_is_set


def test_development_secret_key_is_an_error(settings: Any) -> None:
    settings.SECRET_KEY = DEVELOPMENT_SECRET_KEY
    messages = secret_key_is_set()
    assert [m.id for m in messages] == ["civicdesk.E001"]
    assert "SECRET_KEY" in messages[0].msg


def test_short_secret_key_is_an_error(settings: Any) -> None:
    settings.SECRET_KEY = "x" * 20
    assert [m.id for m in secret_key_is_set()] == ["civicdesk.E001"]


def test_long_random_secret_key_passes(settings: Any) -> None:
    settings.SECRET_KEY = "k" * 64
    assert secret_key_is_set() == []
