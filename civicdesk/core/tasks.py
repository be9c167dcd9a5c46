"""Background tasks of the shared parts."""

from __future__ import annotations

from django_tasks import task

from civicdesk.core.ratelimit import purge_expired


@task()
def purge_rate_counters() -> int:
    """Deletes rate counters whose window has ended (one row per client and group otherwise
    stays forever)."""
    return purge_expired()
