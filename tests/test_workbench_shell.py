"""Sign-in, lockout, idle sign-out, password change, language choice and role landing pages."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicdesk.core.middleware import SESSION_SEEN_KEY
from tests.conftest import World
from tests.helpers import create_case


def _sign_in(client: Client, username: str, password: str | None = None) -> Any:
    return client.post(
        "/login/", {"username": username, "password": password or "pw-" + username}
    )


def test_sign_in_works_and_lands_on_home(world: World) -> None:
    client = Client()
    response = _sign_in(client, "clerk")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_pages_need_sign_in(db: Any) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_wrong_password_names_the_problem_and_signs_nobody_in(world: World) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _sign_in(client, "clerk", "wrong")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert client.get("/").status_code == 302


def test_five_failures_lock_the_account_even_with_the_right_password(
    world: World, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        _sign_in(client, "clerk", "wrong")
    response = _sign_in(client, "clerk")
    assert response.status_code == 429
    assert 'id="locked-out"' in response.content.decode()
    assert client.get("/").status_code == 302
    # Another account from the same address is not locked.
    assert _sign_in(Client(), "dispatcher").status_code == 302


def test_idle_session_is_signed_out(world: World, settings: Any) -> None:
    settings.CIVICDESK_IDLE_TIMEOUT_MINUTES = 30
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _sign_in(client, "clerk")
    assert client.get("/").status_code == 200
    session = client.session
    session[SESSION_SEEN_KEY] = time.time() - 31 * 60
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    login = client.get(response["Location"])
    assert "signed out after a period without activity" in login.content.decode()


def test_active_session_stays_signed_in(world: World, settings: Any) -> None:
    client = Client()
    _sign_in(client, "clerk")
    session = client.session
    session[SESSION_SEEN_KEY] = time.time() - 29 * 60
    session.save()
    assert client.get("/").status_code == 200


def test_password_change_checks_the_old_password_and_the_rules(world: World) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    _sign_in(client, "clerk")
    bad = client.post(
        "/password/",
        {"old_password": "nope", "new_password1": "x", "new_password2": "x"},
    )
    assert bad.status_code == 200
    assert "old password was entered incorrectly" in bad.content.decode()
    good = client.post(
        "/password/",
        {
            "old_password": "pw-clerk",
            "new_password1": "Window-desk-2026!",
            "new_password2": "Window-desk-2026!",
        },
    )
    assert good.status_code == 302
    assert _sign_in(Client(), "clerk", "Window-desk-2026!").status_code == 302


@pytest.mark.parametrize(
    ("header", "heading"),
    [
        ("zh-CN,zh;q=0.9", "我现在要处理的"),
        ("zh-TW", "我现在要处理的"),
        ("en-US,en;q=0.9", "What needs me now"),
        ("fr-FR,fr;q=0.9", "What needs me now"),
    ],
)
def test_language_follows_the_browser(world: World, header: str, heading: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=header)
    client.force_login(world.users["clerk"])
    assert heading in client.get("/").content.decode()


def test_language_switch_wins_over_the_browser(world: World) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.force_login(world.users["clerk"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "What needs me now" in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("username", "queue"),
    [
        ("clerk", "to_accept"),
        ("dispatcher", "to_dispatch"),
        ("handler", "to_sign"),
        ("leader", "my_overdue"),
        ("grid_worker", "to_follow_up"),
    ],
)
def test_each_role_lands_on_its_own_queues(world: World, username: str, queue: str) -> None:
    client = Client()
    client.force_login(world.users[username])
    assert f'id="queue-{queue}"' in client.get("/").content.decode()


def test_home_lists_a_new_case_for_the_clerk_only_in_scope(world: World) -> None:
    case = create_case(world, title="Home queue case")
    clerk = Client()
    clerk.force_login(world.users["clerk"])
    assert case["receipt_code"] in clerk.get("/").content.decode()
    handler = Client()
    handler.force_login(world.users["other_handler"])
    assert case["receipt_code"] not in handler.get("/").content.decode()


def _queries_of(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_home_query_count_does_not_grow_with_cases(world: World) -> None:
    client = Client()
    client.force_login(world.users["dispatcher"])
    create_case(world)
    client.get("/")
    few = _queries_of(client, "/")
    for _ in range(6):
        create_case(world)
    assert _queries_of(client, "/") == few
    assert few <= 15


def test_admin_sees_configuration_but_no_case_queues(world: World) -> None:
    create_case(world, title="Not for the administrator")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users["admin"])
    page = client.get("/").content.decode()
    assert "Not for the administrator" not in page
