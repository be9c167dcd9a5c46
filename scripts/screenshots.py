#!/usr/bin/env python3
"""Regenerates docs/screenshots/: the main workbench pages in zh-Hans and English.

Usage: .venv/bin/python scripts/screenshots.py   (or `make screenshots`)

Builds a throw-away SQLite database with the demo county and a few hundred cases, serves it on a
free local port, signs in as the demo roles in Debian's Chromium and saves one PNG per page and
language (desktop 1366x768, plus the queue at phone size).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PYTHON = sys.executable
PASSWORD = "civicdesk-demo"  # noqa: S105 - the public demo password
CHROMIUM = os.environ.get("CIVICDESK_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LANGUAGES = {"zh-hans": "zh-CN", "en": "en-GB"}


# The environment of the throw-away server, for the commands run beside it.
ENV: dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(env: dict[str, str]) -> None:
    for command in (["migrate", "--noinput"], ["seed_demo", "--cases", "400", "--seed", "7"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def wait_until_up(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/login/", timeout=2)  # noqa: S310 - our own server
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(base + "/")


def shoot(page: Page, name: str, lang: str) -> None:
    target = OUT / lang / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(target), full_page=False)
    print(target.relative_to(ROOT))


def first_case_url(page: Page, base: str, query: str) -> str:
    page.goto(base + "/cases/?" + query)
    link = page.locator("table a[href^='/cases/']").first
    return base + str(link.get_attribute("href"))


def capture(base: str, browser_locale: str, lang: str, browser: object) -> None:
    def session(username: str, viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(  # type: ignore[attr-defined]
            locale=browser_locale, viewport=viewport or {"width": 1366, "height": 768}
        )
        page: Page = context.new_page()
        sign_in(page, base, username)
        return page

    clerk = session("clerk")
    shoot(clerk, "home-clerk", lang)
    clerk.goto(base + "/intake/")
    shoot(clerk, "intake", lang)
    dispatcher = session("dispatcher")
    dispatcher.goto(base + "/cases/")
    shoot(dispatcher, "queue", lang)
    dispatcher.goto(first_case_url(dispatcher, base, "status=accepted"))
    shoot(dispatcher, "case-accepted", lang)
    handler = session("handler")
    handler.goto(first_case_url(handler, base, "status=in_progress"))
    shoot(handler, "case-in-progress", lang)
    leader = session("leader")
    leader.goto(base + "/supervision/")
    shoot(leader, "supervision-board", lang)
    phone = session("dispatcher", {"width": 390, "height": 844})
    phone.goto(base + "/cases/")
    shoot(phone, "queue-phone", lang)
    capture_portal(base, browser_locale, lang, browser)


def capture_portal(base: str, browser_locale: str, lang: str, browser: object) -> None:
    """The resident portal on a phone: the report form and a replied case opened with its
    receipt code and tracking secret."""
    context = browser.new_context(  # type: ignore[attr-defined]
        locale=browser_locale, viewport={"width": 390, "height": 844}
    )
    page: Page = context.new_page()
    page.goto(base + "/portal/submit/")
    shoot(page, "portal-submit", lang)
    code, secret = replied_case_proof()
    page.goto(base + "/track/?code=" + code)
    page.fill("#id_secret", secret)
    page.click("#track-submit")
    page.wait_for_selector("#resident-case")
    shoot(page, "portal-case", lang)


def replied_case_proof() -> tuple[str, str]:
    script = (
        "from civicdesk.cases.models import Case;"
        "from civicdesk.cases.receipt_codes import tracking_secret;"
        "c = Case.objects.filter(status='replied').order_by('-id').first();"
        "print(c.receipt_code, tracking_secret(c.receipt_code))"
    )
    output = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", script],
        cwd=ROOT, env=ENV, check=True, capture_output=True, text=True,
    ).stdout.split()
    return output[-2], output[-1]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/screens.sqlite3",
               "CIVICDESK_VAR_DIR": tmp, "DEBUG": "1"}
        ENV.update(env)
        prepare(env)
        port = free_port()
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for lang, browser_locale in LANGUAGES.items():
                    capture(base, browser_locale, lang, browser)
                browser.close()
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
