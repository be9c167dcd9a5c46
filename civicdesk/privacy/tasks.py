"""Background work of the retention purge."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from civicdesk.privacy.services import auto_purge, describe_run


@task()
def purge_personal_data_daily() -> dict[str, Any]:
    """Daily: applies the purge if CIVICDESK_RETENTION_AUTO_PURGE, else records a dry run."""
    return describe_run(auto_purge())
