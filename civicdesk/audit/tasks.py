"""Background work of the access log."""

from __future__ import annotations

from django_tasks import task

from civicdesk.audit.services import access_log_purge


@task()
def purge_access_log() -> int:
    """Deletes access records older than CIVICDESK_ACCESS_LOG_RETENTION_DAYS (daily job)."""
    return access_log_purge()
