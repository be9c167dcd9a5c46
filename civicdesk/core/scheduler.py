"""The periodic jobs and the claim that makes running two schedulers safe."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from civicdesk.core.models import ScheduledJob


@dataclass(frozen=True)
class Periodic:
    name: str
    every: dt.timedelta
    enqueue: Callable[[], object]


def periodic_jobs() -> list[Periodic]:
    from civicdesk.audit.tasks import purge_access_log
    from civicdesk.cases.tasks import sweep_deadlines
    from civicdesk.core.tasks import purge_rate_counters
    from civicdesk.notifications.tasks import sweep_outbox
    from civicdesk.portal.tasks import purge_tracking_guards
    from civicdesk.privacy.tasks import purge_personal_data_daily

    return [
        Periodic(
            "sweep_deadlines",
            dt.timedelta(seconds=settings.CIVICDESK_SWEEP_INTERVAL_SECONDS),
            sweep_deadlines.enqueue,
        ),
        # Messages to residents: retries that are due, and rows a dead worker left "sending".
        Periodic(
            "sweep_outbox",
            dt.timedelta(seconds=settings.CIVICDESK_NOTIFY_SWEEP_INTERVAL_SECONDS),
            sweep_outbox.enqueue,
        ),
        # Rate limits: counters whose window has ended (docs/decisions/0023).
        Periodic("purge_rate_counters", dt.timedelta(hours=1), purge_rate_counters.enqueue),
        # The portal's counts of wrong tracking answers, once their day is over.
        Periodic("purge_tracking_guards", dt.timedelta(hours=1), purge_tracking_guards.enqueue),
        # Access records older than the retention (docs/decisions/0027).
        Periodic("purge_access_log", dt.timedelta(days=1), purge_access_log.enqueue),
        # Parties' personal data past its retention: applied only if the centre turned it on
        # (CIVICDESK_RETENTION_AUTO_PURGE), a dry run to review otherwise (decision 0031).
        Periodic(
            "purge_personal_data", dt.timedelta(days=1), purge_personal_data_daily.enqueue
        ),
    ]


def claim(job: Periodic, *, now: dt.datetime) -> bool:
    """True for exactly one caller per due run, however many schedulers ask."""
    try:
        with transaction.atomic():
            ScheduledJob.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    except IntegrityError:
        pass  # another scheduler created the row first
    claimed = ScheduledJob.objects.filter(name=job.name, next_run_at__lte=now).update(
        next_run_at=now + job.every, last_enqueued_at=now
    )
    return claimed == 1


def run_due_jobs(*, now: dt.datetime | None = None) -> list[str]:
    now = now or timezone.now()
    enqueued = []
    for job in periodic_jobs():
        if claim(job, now=now):
            job.enqueue()
            enqueued.append(job.name)
    return enqueued
