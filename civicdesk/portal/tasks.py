"""Background work of the portal."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from civicdesk.portal.guard import purge_stale


@task()
def purge_tracking_guards() -> int:
    """Forgets wrong tracking answers whose day is over (a row per code and address otherwise
    stays forever)."""
    return purge_stale(now=timezone.now())
