"""Background tasks. Each takes plain values and calls a service."""

from __future__ import annotations

from django_tasks import task

from civicdesk.cases.sweep import deadlines_sweep


@task()
def sweep_deadlines() -> dict[str, int]:
    result = deadlines_sweep()
    return {
        "clocks": result.clocks,
        "events": result.events,
        "windows_closed": result.windows_closed,
    }
