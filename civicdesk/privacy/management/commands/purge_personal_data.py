"""manage.py purge_personal_data: the retention report, and with --apply the purge itself.

A dry run is the default: it prints, per case type, what the purge would anonymise. --apply
anonymises the parties of those cases (docs/decisions/0031-retention.md).
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.cases.choices import CaseType
from civicdesk.privacy.models import PurgeRun
from civicdesk.privacy.services import DEFAULT_BATCH, purge_personal_data


class Command(BaseCommand):
    help = (
        "Reports (by default) or, with --apply, anonymises the parties of cases kept longer "
        "than their type's retention rule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--apply", action="store_true", help="Anonymise; without it nothing is changed."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only report what would be anonymised (the default).",
        )
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="Count retention up to this date, not today."
        )
        parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="Cases per query.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["apply"] and options["dry_run"]:
            raise CommandError("--apply and --dry-run: choose one.")
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        run = purge_personal_data(
            now=_as_of(options["as_of"]),
            dry_run=not options["apply"],
            batch=options["batch"],
            source=f"command ({_operator()})",
        )
        self.stdout.write(report(run))


def _as_of(value: str | None) -> dt.datetime:
    if not value:
        return timezone.now()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--as-of: {value!r} is not a date (YYYY-MM-DD).") from error
    # The whole of that day counts: retention is measured from the end of it.
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def report(run: PurgeRun) -> str:
    heading = (
        _("Dry run: nothing was changed. Run again with --apply to anonymise.")
        if run.dry_run
        else _("Applied: the parties of these cases were anonymised.")
    )
    lines = [heading, _("As of %(as_of)s.") % {"as_of": timezone.localtime(run.as_of).date()}]
    for case_type, count in run.per_type.items():
        lines.append(
            _(
                "%(type)s (kept %(months)s months): %(cases)s cases, %(parties)s parties, "
                "oldest ended %(oldest)s; %(free_text)s with free text naming a party; "
                "%(attachments)s files to delete."
            )
            % {
                "type": CaseType(case_type).label if case_type in CaseType.values else case_type,
                "months": count["months"],
                "cases": count["cases"],
                "parties": count["parties"],
                "oldest": (count["oldest_end"] or "-")[:10],
                "free_text": count["free_text"],
                "attachments": count["attachments"],
            }
        )
    lines.append(
        _("Total: %(cases)s cases, %(parties)s parties.")
        % {"cases": run.cases, "parties": run.parties}
    )
    return "\n".join(lines)
