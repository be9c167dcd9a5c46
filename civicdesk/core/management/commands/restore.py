"""`manage.py restore PATH --yes`: replaces the database with a backup, then checks counts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.core.backup import (
    BackupRefused,
    VerifiedBackup,
    backup_restore,
    backup_verify,
    count_mismatches,
    database_label,
    live_row_counts,
    main_tables,
    migration_drift,
)


class Command(BaseCommand):
    help = (
        "Restores a backup made by `manage.py backup` into the configured database, REPLACING "
        "its contents. Checks the dump's SHA-256 and that the backup was made on the same "
        "kind of database first. Without --yes it only verifies the file and prints what it "
        "would replace. Stop the web server, workers and scheduler before restoring. After "
        "restoring it compares every table's row count with the backup's manifest and exits "
        "with status 1 on any difference."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--yes", action="store_true", help="really replace the database's contents"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with tempfile.TemporaryDirectory(prefix="civicdesk-restore-") as workdir:
            try:
                backup = backup_verify(path=options["path"], workdir=Path(workdir))
            except BackupRefused as error:
                raise CommandError(f"Refused: {error}") from error
            self._describe(backup)
            if not options["yes"]:
                raise CommandError("Nothing restored: run again with --yes to replace it.")
            try:
                found = backup_restore(backup=backup)
            except BackupRefused as error:
                raise CommandError(f"Restore failed: {error}") from error
        self._check(backup.manifest["row_counts"], found)

    def _describe(self, backup: VerifiedBackup) -> None:
        manifest = backup.manifest
        self.stdout.write(
            "Backup {} made {} by civicdesk {} ({}), checksum verified.".format(
                backup.path,
                manifest.get("created_at"),
                manifest.get("civicdesk_version"),
                manifest["vendor"],
            )
        )
        self.stdout.write(f"It would replace {database_label()}:")
        expected = manifest["row_counts"]
        now = live_row_counts(tables=main_tables())
        self.stdout.write("  {:<32} {:>10} {:>10}".format("table", "now", "in backup"))
        for table in main_tables():
            current = now[table]
            self.stdout.write(
                "  {:<32} {:>10} {:>10}".format(
                    table, "missing" if current is None else current, expected.get(table, "-")
                )
            )

    def _check(self, expected: dict[str, int], found: dict[str, int | None]) -> None:
        self.stdout.write(
            f"Restored {len(found)} tables, {sum(count or 0 for count in found.values())} rows."
        )
        drift = migration_drift()
        if drift.unapplied:
            self.stdout.write(
                "The backup is older than the code: run `manage.py migrate` to apply {}.".format(
                    ", ".join(drift.unapplied)
                )
            )
        if drift.unknown:
            self.stdout.write(
                "The backup is NEWER than the code (unknown migrations {}): run the civicdesk "
                "version that made it.".format(", ".join(drift.unknown))
            )
        mismatches = count_mismatches(expected=expected, found=found)
        if mismatches:
            for line in mismatches:
                self.stderr.write("  " + line)
            raise CommandError(
                f"Row counts differ from the backup's manifest in {len(mismatches)} tables."
            )
        self.stdout.write("Every table's row count matches the backup's manifest.")
