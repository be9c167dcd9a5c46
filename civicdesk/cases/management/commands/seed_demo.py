"""`manage.py seed_demo`: the demo county, its staff and as many cases as asked for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.cases.demo import content
from civicdesk.cases.demo.builder import (
    Progress,
    build_organisation,
    demo_org_exists,
    reference_now,
    seed_cases,
)

WORKBENCH_URL = "http://127.0.0.1:8000/"
ADMIN_URL = WORKBENCH_URL + "admin/"


class Command(BaseCommand):
    help = (
        "Fills an EMPTY database with the demo county 青溪县: townships, villages, grids, "
        "centres, departments, staff (one account per role, named after the role, password "
        f"'{content.DEMO_PASSWORD}', demo only), categories, this week's duty roster and N "
        "invented cases in every status. The same --seed gives the same cases. A database that "
        "already holds areas is left alone: with --if-empty the command just prints the logins, "
        "without it the command refuses (start from a fresh database to seed again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=500, help="how many cases (default 500)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but print the logins) when the database already has an organisation",
        )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="cases per transaction (default 2000)"
        )
        parser.add_argument(
            "--now",
            type=dt.datetime.fromisoformat,
            default=None,
            help="reference time, ISO 8601 with offset (default: the start of today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cases"] < 0 or options["batch_size"] < 1:
            raise CommandError("--cases must be 0 or more and --batch-size at least 1.")
        if demo_org_exists():
            if options["if_empty"]:
                self.stdout.write("The database already has an organisation: nothing seeded.")
                self._print_logins()
                return
            raise CommandError(
                "The database already has an organisation (areas exist). seed_demo only fills "
                "an empty database: use --if-empty to skip quietly, or start from a fresh "
                "database (e.g. a new DATABASE_URL, then `manage.py migrate`)."
            )
        now = reference_now(options["now"])
        org = build_organisation(now=now)
        self.stdout.write(
            f"Organisation: {len(org.townships)} townships, {len(org.villages)} villages, "
            f"{len(org.grids)} grids, {len(org.departments)} departments, "
            f"{len(org.users)} staff, {len(org.categories)} categories."
        )
        progress: list[Progress] = []

        def report(step: Progress) -> None:
            progress.append(step)
            rate = step.written / step.seconds if step.seconds else 0.0
            self.stdout.write(
                f"  {step.written:>9,}/{step.total:,} cases  {rate:>8,.0f} cases/s", ending="\n"
            )
            self.stdout.flush()

        written = seed_cases(
            org,
            count=options["cases"],
            seed=options["seed"],
            now=now,
            batch_size=options["batch_size"],
            report=report,
        )
        seconds = progress[-1].seconds if progress else 0.0
        rate = written / seconds if seconds else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {written:,} cases in {seconds:.1f} s ({rate:,.0f} cases/s), "
                f"seed {options['seed']}, reference time {now.isoformat()}."
            )
        )
        self._print_logins()

    def _print_logins(self) -> None:
        accounts = ", ".join(spec.username for spec in content.DEMO_ACCOUNTS)
        self.stdout.write(
            "\nDemo accounts (one per role, username = role): " + accounts + "\n"
            f"Password for every demo account: {content.DEMO_PASSWORD}  (demo only)\n"
            f"Staff workbench: {WORKBENCH_URL} (sign in as clerk, dispatcher, handler, leader...)\n"
            f"Configuration (Django admin): {ADMIN_URL} (user: admin)\n"
            "API token: python manage.py issue_token clerk   "
            "(then send `Authorization: Bearer <token>` to /api/v1/)"
        )
        self._print_two_factor()

    def _print_two_factor(self) -> None:
        if not settings.CIVICDESK_2FA_REQUIRED:
            self.stdout.write(
                "Two-factor sign-in is OFF (CIVICDESK_2FA_REQUIRED=false): never so in production."
            )
            return
        roles = ", ".join(settings.CIVICDESK_2FA_ROLES)
        self.stdout.write(
            f"Two-factor sign-in for {roles} (and superusers): at the first sign-in the "
            "workbench shows a QR code; scan it with an authenticator app (FreeOTP, Google or "
            "Microsoft Authenticator...) or type the key shown beside it, enter the app's "
            "6-digit code and keep the 10 recovery codes. No phone? `oathtool --totp -b KEY` "
            "gives the code on a computer. Lost it: python manage.py reset_two_factor USERNAME. "
            "A local demo without it: CIVICDESK_2FA_REQUIRED=false make run."
        )
