"""The maximum password age (CIVICDESK_PASSWORD_MAX_AGE_DAYS, 等保2.0 8.1.4.1 a): staff with an
older password change it before any other page; a new password starts the clock again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from civicdesk.organization.models import User
from tests.conftest import World
from tests.helpers import FAST_HASHERS

NEW_PASSWORD = "Fresh-Start-2026"


@pytest.fixture(autouse=True)
def _ninety_days(settings: Any) -> None:
    settings.CIVICDESK_PASSWORD_MAX_AGE_DAYS = 90
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _age(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=days)
    )


def _signed_in(username: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(User.objects.get(username=username))
    return client


def test_setting_a_password_records_when(world: World) -> None:
    user = world.users["clerk"]
    before = timezone.now()
    user.set_password(NEW_PASSWORD)
    user.save()
    user.refresh_from_db()
    assert user.password_changed_at is not None and user.password_changed_at >= before


def test_an_expired_password_sends_every_page_to_the_password_form(world: World) -> None:
    _age(world.users["clerk"], 91)
    client = _signed_in("clerk")
    for url in ("/", "/cases/", "/audit/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/password/?expired=1"
    page = client.get("/password/?expired=1")
    assert page.status_code == 200
    assert "older than the centre allows" in page.content.decode()


def test_the_warning_is_in_chinese_for_chinese_browsers(world: World) -> None:
    _age(world.users["clerk"], 91)
    page = _signed_in("clerk", "zh-CN").get("/password/?expired=1").content.decode()
    assert "密码" in page and "older than the centre allows" not in page


def test_a_password_inside_the_limit_opens_pages(world: World) -> None:
    _age(world.users["clerk"], 89)
    assert _signed_in("clerk").get("/").status_code == 200


def test_changing_the_password_lets_the_user_back_in(world: World) -> None:
    _age(world.users["clerk"], 200)
    client = _signed_in("clerk")
    response = client.post(
        "/password/",
        {
            "old_password": "pw-clerk",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_sign_out_and_the_portal_stay_open(world: World) -> None:
    _age(world.users["clerk"], 200)
    client = _signed_in("clerk")
    assert client.get("/portal/").status_code == 200
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302  # now to the sign-in page
    assert "/login/" in client.get("/")["Location"]


def test_the_staff_api_is_not_held(world: World) -> None:
    _age(world.users["clerk"], 200)
    assert world.client("clerk").get("/api/v1/me").status_code == 200


def test_bulk_written_accounts_count_from_when_they_were_made(world: World) -> None:
    user = world.users["clerk"]
    User.objects.filter(pk=user.pk).update(
        password_changed_at=None, date_joined=timezone.now() - dt.timedelta(days=120)
    )
    assert _signed_in("clerk").get("/").status_code == 302
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now())
    assert _signed_in("clerk").get("/").status_code == 200


def test_zero_turns_the_rule_off(world: World, settings: Any) -> None:
    settings.CIVICDESK_PASSWORD_MAX_AGE_DAYS = 0
    _age(world.users["clerk"], 5000)
    assert _signed_in("clerk").get("/").status_code == 200
