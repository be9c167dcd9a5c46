"""Two-factor sign-in for privileged roles, recovery codes, the admin's reset, and the
password rules (issue 5 item 6, docs/decisions/0029)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicdesk.accounts.passwords import CharacterClassesValidator
from civicdesk.accounts.services import recovery_codes_issue
from civicdesk.organization.choices import Role
from civicdesk.organization.models import RoleAssignment, User
from tests.conftest import World

pytestmark = pytest.mark.usefixtures("two_factor_on")


def now() -> dt.datetime:
    # Frozen clocks start from the real time: django-axes forgets failures older than its
    # cool-off period, measured against the real clock when the freeze ends.
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


VERIFY_URL = "/two-factor/"
ENROL_URL = "/two-factor/enrol/"
CODES_URL = "/two-factor/recovery-codes/"


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sign_in(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/login/", {"username": username, "password": "pw-" + username})
    assert response.status_code == 302, "the password step should succeed"
    return client


def supervisor(world: World) -> User:
    user = User.objects.create_user(username="supervisor", password="pw-supervisor")
    RoleAssignment.objects.create(user=user, role=Role.SUPERVISOR, area=world.county)
    return user


PAGES = ["/", "/cases/", "/supervision/", "/audit/", "/admin/", "/password/"]


@pytest.mark.parametrize("username", ["leader", "supervisor", "auditor", "admin", "root"])
def test_every_two_factor_role_is_stopped_before_any_page(world: World, username: str) -> None:
    if username == "supervisor":
        supervisor(world)
    if username == "root":
        User.objects.create_superuser(username="root", password="pw-root")
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(ENROL_URL + "?next="), page
    enrolled(user)
    response = client.get("/audit/")
    assert response["Location"] == VERIFY_URL + "?next=%2Faudit%2F"


def test_pages_open_before_the_second_step(world: World) -> None:
    client = sign_in("leader")
    assert client.get(ENROL_URL).status_code == 200
    assert client.get("/track/").status_code in {200, 302}
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.post("/logout/").status_code == 302
    assert client.get(ENROL_URL).status_code == 302  # signed out: the sign-in page


def test_htmx_requests_are_redirected_by_htmx(world: World) -> None:
    client = sign_in("leader")
    response = client.get("/cases/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(ENROL_URL)


@pytest.mark.parametrize("username", ["clerk", "dispatcher", "handler", "grid_worker"])
def test_other_roles_are_not_asked_for_a_code(world: World, username: str) -> None:
    client = sign_in(username)
    assert client.get("/").status_code == 200


def test_roles_come_from_the_setting(world: World, settings: Any) -> None:
    settings.CIVICDESK_2FA_ROLES = ["clerk"]
    assert sign_in("clerk").get("/").status_code == 302
    assert sign_in("leader").get("/").status_code == 200


def test_staff_api_with_a_bearer_token_needs_no_second_step(world: World) -> None:
    response = world.client("leader").get("/api/v1/me")
    assert response.status_code == 200
    assert "leader" in response.json()["roles"]


def test_enrolment_shows_a_qr_code_and_secret_then_ten_recovery_codes(world: World) -> None:
    client = sign_in("leader")
    page = client.get(client.get("/")["Location"])
    html = page.content.decode()
    assert "<svg" in html
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html)
    assert secret is not None
    device = TOTPDevice.objects.get(user__username="leader", confirmed=False)
    from base64 import b32decode

    assert b32decode(secret[1].replace(" ", "")) == device.bin_key
    assert client.get("/").status_code == 302  # not yet confirmed

    response = client.post(
        ENROL_URL + "?next=/cases/", {"code": code_for(device), "next": "/cases/"}
    )
    assert response.status_code == 302
    codes_page = client.get(response["Location"]).content.decode()
    codes = re.findall(r'class="col recovery-code">([a-z2-7]+)<', codes_page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "shown only this once" in codes_page
    assert "civicdesk-recovery-codes.txt" in codes_page
    assert 'href="/cases/"' in codes_page
    # Shown once: the next visit only counts them.
    again = client.get(CODES_URL).content.decode()
    assert not re.findall(r'class="col recovery-code"', again)
    assert "10 unused recovery codes" in again
    assert client.get("/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_wrong_enrolment_code_leaves_the_device_unconfirmed(world: World) -> None:
    client = sign_in("leader")
    client.get(ENROL_URL)
    device = TOTPDevice.objects.get(user__username="leader")
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(ENROL_URL, {"code": wrong})
    assert "This code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticToken.objects.exists()
    assert client.get("/").status_code == 302


def test_enrolment_page_cannot_add_a_second_app_to_an_enrolled_account(world: World) -> None:
    device = enrolled(world.users["leader"])
    client = sign_in("leader")
    response = client.get(ENROL_URL)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY_URL)
    client.post(ENROL_URL, {"code": "123456"})
    assert list(TOTPDevice.objects.filter(user=world.users["leader"])) == [device]


def test_sign_in_with_the_code_from_the_app(world: World) -> None:
    device = enrolled(world.users["auditor"])
    client = sign_in("auditor")
    response = client.get("/audit/")
    assert response["Location"] == VERIFY_URL + "?next=%2Faudit%2F"
    response = client.post(VERIFY_URL, {"code": code_for(device), "next": "/audit/"})
    assert response["Location"] == "/audit/"
    assert client.get("/audit/").status_code == 200


def test_code_check_renews_the_session_key(world: World) -> None:
    device = enrolled(world.users["auditor"])
    client = sign_in("auditor")
    before = client.session.session_key
    client.post(VERIFY_URL, {"code": code_for(device)})
    assert client.session.session_key != before


def test_next_pointing_elsewhere_is_ignored(world: World) -> None:
    device = enrolled(world.users["auditor"])
    client = sign_in("auditor")
    response = client.post(VERIFY_URL, {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_wrong_code_is_throttled(world: World) -> None:
    start = now()
    device = enrolled(world.users["leader"])
    client = sign_in("leader")
    with time_machine.travel(start, tick=False):
        wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
        response = client.post(VERIFY_URL, {"code": wrong})
        assert "This code is not right" in response.content.decode()
        # Even the right code is refused while the wait lasts.
        response = client.post(VERIFY_URL, {"code": code_for(device)})
        assert "Too many wrong codes" in response.content.decode()
        assert client.get("/").status_code == 302
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        response = client.post(VERIFY_URL, {"code": code_for(device)})
        assert response.status_code == 302
        assert client.get("/").status_code == 200


def test_wrong_codes_count_towards_the_lockout(world: World, settings: Any) -> None:
    start = now()
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    device = enrolled(world.users["leader"])
    client = sign_in("leader")
    response = None
    for attempt in range(3):
        # Wait out the device's throttle each time, so every guess is really checked.
        with time_machine.travel(start + dt.timedelta(minutes=attempt), tick=False):
            response = client.post(
                VERIFY_URL, {"code": "000000" if code_for(device) != "000000" else "111111"}
            )
    assert response is not None
    assert response.status_code == 429
    assert 'id="locked-out"' in response.content.decode()
    # Signed out, and the right password no longer gets in.
    assert client.get("/").status_code == 302
    again = Client().post("/login/", {"username": "leader", "password": "pw-leader"})
    assert again.status_code == 429


def test_recovery_code_works_once(world: World) -> None:
    start = now()
    enrolled(world.users["leader"])
    codes = recovery_codes_issue(world.users["leader"])
    client = sign_in("leader")
    response = client.post(VERIFY_URL, {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout/")
    with time_machine.travel(start, tick=False):
        client = sign_in("leader")
        response = client.post(VERIFY_URL, {"code": codes[0]})
        assert "This code is not right" in response.content.decode()
    with time_machine.travel(start + dt.timedelta(seconds=5), tick=False):
        assert client.post(VERIFY_URL, {"code": codes[1]}).status_code == 302
    assert StaticToken.objects.filter(device__user=world.users["leader"]).count() == 8


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(world: World) -> None:
    device = enrolled(world.users["leader"])
    old = recovery_codes_issue(world.users["leader"])
    client = sign_in("leader")
    client.post(VERIFY_URL, {"code": old[0]})
    page = client.get(CODES_URL).content.decode()
    assert "9 unused recovery codes" in page
    response = client.post(CODES_URL, {"code": ""})
    assert "Enter the code." in response.content.decode()
    assert StaticToken.objects.filter(token=old[1]).exists()
    response = client.post(CODES_URL, {"code": code_for(device)})
    assert response["Location"] == CODES_URL
    fresh = re.findall(
        r'class="col recovery-code">([a-z2-7]+)<', client.get(CODES_URL).content.decode()
    )
    assert len(fresh) == 10
    assert not StaticToken.objects.filter(token__in=old[1:]).exists()


def test_admin_resets_a_lost_phone_and_it_is_logged(world: World) -> None:
    leader = world.users["leader"]
    enrolled(leader)
    recovery_codes_issue(leader)
    admin_user = User.objects.create_superuser(username="root", password="pw-root")
    admin_device = enrolled(admin_user)
    client = sign_in("root")
    client.post(VERIFY_URL, {"code": code_for(admin_device)})
    response = client.post(
        "/admin/organization/user/",
        {"action": "reset_two_factor", "_selected_action": [leader.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=leader).exists()
    assert not StaticToken.objects.filter(device__user=leader).exists()
    entry = LogEntry.objects.get(object_id=str(leader.pk))
    assert entry.user == admin_user
    assert "Two-factor sign-in reset" in entry.get_change_message()
    # The leader enrols again at the next sign-in.
    assert sign_in("leader").get("/")["Location"].startswith(ENROL_URL)


def test_admin_site_does_not_show_device_secrets(world: World) -> None:
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)


def test_reset_command_for_an_administrator_without_a_phone(world: World, capsys: Any) -> None:
    enrolled(world.users["admin"])
    call_command("reset_two_factor", "admin")
    assert "Removed 1 two-factor device" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=world.users["admin"]).exists()


def test_turned_off_setting_lets_everyone_in(world: World, settings: Any) -> None:
    settings.CIVICDESK_2FA_REQUIRED = False
    assert sign_in("leader").get("/").status_code == 200


# --- password rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("abcdefghij", False),
        ("abcdefghi1", False),
        ("Abcdefghi1", True),
        ("abcdefgh1!", True),
        ("ABCDEFGH1!", True),
        ("窗口登记员工作Ab", True),
    ],
)
def test_character_classes(password: str, ok: bool) -> None:
    validator = CharacterClassesValidator(min_classes=3)
    if ok:
        validator.validate(password)
    else:
        with pytest.raises(ValidationError):
            validator.validate(password)


def _messages(password: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validate_password(password)
    return list(caught.value.messages)


def test_password_rules_in_english(db: Any) -> None:
    with translation.override("en"):
        messages = " ".join(_messages("short1a"))
    assert "at least 10 characters" in messages
    assert "at least 3 kinds: lowercase letters, uppercase letters, digits, symbols" in messages


def test_password_rules_in_chinese(db: Any) -> None:
    with translation.override("zh-hans"):
        messages = " ".join(_messages("short1a"))
    assert "至少需要 10 个字符" in messages
    assert "至少 3 类" in messages


def test_a_strong_password_passes(db: Any) -> None:
    validate_password("Qingxi-2025-desk")


def test_password_change_page_shows_the_rules(world: World) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users["clerk"])
    html = client.get("/password/").content.decode()
    assert "at least 10 characters" in html
    assert "at least 3 kinds" in html
    response = client.post(
        "/password/",
        {
            "old_password": "pw-clerk",
            "new_password1": "abcdefghijk",
            "new_password2": "abcdefghijk",
        },
    )
    assert "at least 3 kinds" in response.content.decode()
    assert User.objects.get(username="clerk").check_password("pw-clerk")


def test_demo_logins_say_how_to_get_past_two_factor(settings: Any) -> None:
    from io import StringIO

    from civicdesk.cases.management.commands.seed_demo import Command

    out = StringIO()
    Command(stdout=out)._print_two_factor()
    text = out.getvalue()
    assert "leader, supervisor, auditor, admin" in text
    assert "reset_two_factor" in text and "CIVICDESK_2FA_REQUIRED=false" in text
    settings.CIVICDESK_2FA_REQUIRED = False
    out = StringIO()
    Command(stdout=out)._print_two_factor()
    assert "OFF" in out.getvalue()
