"""`manage.py backup`: one file holding the database dump and its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.core.backup import BackupRefused, backup_create, database_label, main_tables


class Command(BaseCommand):
    help = (
        "Backs up the database into ONE file (a tar of manifest.json and the dump), written "
        "atomically, readable by its owner only. SQLite: SQLite's online backup API, safe "
        "while the server runs. PostgreSQL: pg_dump --format=custom. Default file: "
        "var/backups/civicdesk-<UTC time>.tar. Uploaded files (MEDIA_ROOT) are NOT included: "
        "back them up separately (docs/operations.md). Prints the file's path as the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=None, help="where to write the backup")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path, manifest = backup_create(output=options["output"])
        except BackupRefused as error:
            raise CommandError(str(error)) from error
        counts = manifest["row_counts"]
        self.stdout.write(f"Backed up {database_label()}.")
        for table in main_tables():
            if table in counts:
                self.stdout.write(f"  {table:<32} {counts[table]:>10}")
        self.stdout.write(
            "  {} tables, {} rows; dump {} bytes, sha256 {}".format(
                len(counts),
                sum(counts.values()),
                manifest["dump"]["bytes"],
                manifest["dump"]["sha256"],
            )
        )
        self.stdout.write(str(path))
