"""manage.py purge_access_log: deletes access records older than the retention.

The only way records leave the access log. The scheduler runs the same purge daily
(civicdesk.audit.tasks.purge_access_log); this command is for operators and cron.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from civicdesk.audit.services import access_log_purge, retention_cutoff


class Command(BaseCommand):
    help = "Deletes access-log records older than CIVICDESK_ACCESS_LOG_RETENTION_DAYS."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        cutoff = retention_cutoff(now=now)
        purged = access_log_purge(now=now)
        self.stdout.write(
            f"Purged {purged} access records from before {cutoff.isoformat()} "
            f"(retention {settings.CIVICDESK_ACCESS_LOG_RETENTION_DAYS} days)."
        )
