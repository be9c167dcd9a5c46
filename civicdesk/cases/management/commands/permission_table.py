"""`manage.py permission_table [--markdown]`: prints the permission table (permissions.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicdesk.cases.permissions import (
    CAPABILITIES,
    PERMISSIONS,
    permission_table_markdown,
)


class Command(BaseCommand):
    help = (
        "Prints who may do what to a case, from civicdesk.cases.permissions.PERMISSIONS. "
        "With --markdown, prints docs/permissions.md (redirect it there after changing the "
        "table); without, one line per role: its scope and what it may do in it."
    )

    # Prints data from the code only: no database, so no reason to refuse on a system check.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--markdown", action="store_true", help="print the Markdown of docs/permissions.md"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["markdown"]:
            # Written as is: the file must equal this output byte for byte.
            self.stdout.write(permission_table_markdown(), ending="")
            return
        for role, rights in PERMISSIONS.items():
            allowed = [c for c in CAPABILITIES if c in rights.own_scope]
            self.stdout.write(
                f"{role} [{rights.scope.value}]: {', '.join(allowed) or '-'}; "
                f"other scope: {', '.join(sorted(rights.other_scope)) or 'nothing'}"
            )
