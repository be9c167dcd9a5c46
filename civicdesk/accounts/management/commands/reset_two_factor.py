"""`manage.py reset_two_factor USERNAME`: for the administrator who lost their own phone and
so cannot reach the admin site's reset action."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.accounts.services import security_log, two_factor_reset


class Command(BaseCommand):
    help = (
        "Removes every two-factor device (authenticator app, recovery codes) of USERNAME; "
        "their next sign-in enrols a new app. Logged to the civicdesk.security log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = get_user_model().objects.get_by_natural_key(options["username"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"No staff member named {options['username']!r}.") from None
        removed = two_factor_reset(user)
        security_log.warning(
            "two-factor: reset of %s from the command line by %s (%d removed)",
            user.get_username(),
            getpass.getuser(),
            removed,
        )
        self.stdout.write(
            f"Removed {removed} two-factor device(s) of {user.get_username()}: "
            "they enrol an authenticator app at their next sign-in."
        )
