"""Re-encrypts every stored personal value that is not under the current field key
(docs/operations.md, "Field encryption keys"). Batches of short transactions, rows compared
before they are written: runs beside the live application, and may be interrupted and run
again (it only touches what is still under an old key)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicdesk.core import crypto, crypto_tables


class Command(BaseCommand):
    help = (
        "Re-encrypts personal data under the current (first) key of CIVICDESK_FIELD_KEYS; "
        "with --reindex also recomputes the blind indexes (after changing CIVICDESK_INDEX_KEY)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="Rows per transaction.")
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="Recompute the blind indexes too (needed after the index key changed).",
        )

    def handle(self, *args: Any, batch: int, reindex: bool, **options: Any) -> None:
        if batch < 1:
            self.stderr.write("--batch must be at least 1.")
            raise SystemExit(2)
        ring = crypto.field_keyring()
        self.stdout.write(f"Current key: {ring.current}; keys in the ring: {', '.join(ring.keys)}")
        total = 0
        for spec in crypto_tables.encrypted_tables():
            done = crypto_tables.process(
                spec,
                crypto_tables.reencrypt_old,
                batch=batch,
                reindex=reindex,
                report=self._report,
            )
            total += done.changed
            self.stdout.write(f"{spec.table}: {done.scanned} rows, {done.changed} rewritten.")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} rows rewritten."))

    def _report(self, progress: crypto_tables.Progress) -> None:
        self.stdout.write(
            f"  {progress.table}: {progress.scanned} rows read, {progress.changed} rewritten"
        )
