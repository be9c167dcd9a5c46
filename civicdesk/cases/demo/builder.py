"""Builds the demo county and streams as many cases as asked for into the database.

The work is split by subdomain:

- organisation.py: the county as models (areas, centres, departments, staff, categories, roster);
- world.py: that organisation read once into plain values for the generator;
- texts.py: text templates, search words, receipt codes and notice texts;
- timelines.py: a case walked through the transition table and the clock rules;
- generator.py: seeded case drafts, in batches;
- writer.py: bulk writing (SQLite multi-row INSERT, PostgreSQL COPY).

This module runs the whole thing and is what `manage.py seed_demo` (and the tests) import.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from civicdesk.cases.deadlines import local_zone
from civicdesk.cases.demo.generator import CaseFactory, Draft
from civicdesk.cases.demo.organisation import (
    DemoOrg,
    build_organisation,
    demo_org_exists,
    load_organisation,
)
from civicdesk.cases.demo.texts import NoticeSubject, NoticeTexts
from civicdesk.cases.demo.world import World, load_world
from civicdesk.cases.demo.writer import BatchWriter
from civicdesk.core.calendar_store import current_calendar

__all__ = [
    "BatchWriter",
    "CaseFactory",
    "DemoOrg",
    "Draft",
    "NoticeSubject",
    "NoticeTexts",
    "Progress",
    "World",
    "build_organisation",
    "demo_org_exists",
    "load_organisation",
    "load_world",
    "reference_now",
    "seed_cases",
]


@dataclass(frozen=True)
class Progress:
    written: int
    total: int
    seconds: float


def seed_cases(
    org: DemoOrg,
    *,
    count: int,
    seed: int,
    now: dt.datetime,
    batch_size: int = 2000,
    report: Callable[[Progress], None] | None = None,
) -> int:
    """Generates and writes `count` cases in batches; returns how many were written."""
    factory = CaseFactory(load_world(org), seed=seed, now=now, calendar=current_calendar())
    writer = BatchWriter()
    # Batches are acyclic lists and tuples: the cycle collector would only rescan them (and
    # the long-lived jieba dictionary) over and over. Freezing what exists and collecting
    # rarely keeps memory bounded at a fraction of the cost.
    gc.collect()
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 50, 1000)
    started, written = time.monotonic(), 0
    try:
        for batch in factory.batches(count, batch_size):
            writer.write(batch)
            written += len(batch)
            if report is not None:
                report(Progress(written, count, time.monotonic() - started))
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    return written


def reference_now(now: dt.datetime | None = None) -> dt.datetime:
    """The moment the demo is built at: the start of today (local time) unless given, so one
    day's runs agree to the second."""
    if now is not None:
        return now if timezone.is_aware(now) else timezone.make_aware(now, local_zone())
    local = timezone.now().astimezone(local_zone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
