"""The tamper-evident timeline: every writer chains its events, `verify_events` names the first
broken link of a case edited, cut or re-ordered behind the application's back, and a fork can
never be stored."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import re
import threading
import time
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from civicdesk.cases.attachments import attachment_add
from civicdesk.cases.events import GENESIS, append_event, event_hash
from civicdesk.cases.integrity import Problem, verify_event_chains
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.cases.sweep import deadlines_sweep
from civicdesk.notifications.models import OutboxMessage
from civicdesk.supervision.services import supervision_order_issue
from tests.conftest import World, build_world, local
from tests.helpers import act_ok, create_case, drive_to, tiny_png

HEX64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def events_of(case_id: int) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case_id=case_id).order_by("id"))


def table() -> str:
    return connection.ops.quote_name(CaseEvent._meta.db_table)


def raw(sql: str, params: list[Any]) -> None:
    """Writes behind the ORM's back, as someone with database access would."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=table()), params)


def verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_events", *args, stdout=out)
    return out.getvalue()


def verify_fails(*args: str) -> tuple[str, str]:
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_events", *args, stdout=out)
    assert failure.value.returncode == 1
    return out.getvalue(), str(failure.value)


# --- every writer chains -------------------------------------------------------------------


def test_a_case_life_yields_a_valid_chain(world: World) -> None:
    case_id = drive_to(world, "closed")  # creation, transitions and the notices they write
    busy = drive_to(world, "dispatched")
    attachment_add(
        actor=world.users["clerk"],
        case_id=busy,
        upload=SimpleUploadedFile("现场.png", tiny_png()),
    )
    supervision_order_issue(
        actor=world.users["leader"], case_id=busy, instructions="请于三日内办结", days=3
    )
    swept = deadlines_sweep(now=timezone.now() + dt.timedelta(days=60))
    assert swept.events > 0  # reminders, written in bulk for many cases at once
    for pk in (case_id, busy):
        events = events_of(pk)
        assert events[0].kind == "create" and events[0].previous_hash == GENESIS
        for before, event in itertools.pairwise(events):
            assert event.previous_hash == before.hash
        assert all(HEX64.fullmatch(event.hash) for event in events)
    kinds = {event.kind for event in events_of(busy)}
    assert {"notice", "attachment_added", "supervision_issued"} <= kinds
    assert any(kind.startswith("deadline_") for kind in kinds)  # the sweep's reminder
    report = verify_event_chains()
    assert report.ok and report.cases == 2
    assert report.events == CaseEvent.objects.count()


def test_the_hash_covers_the_stored_content(world: World) -> None:
    case_id = create_case(world)["id"]
    act_ok(world, case_id, "accept")
    event = CaseEvent.objects.get(case_id=case_id, kind="accept")
    assert event.hash == event_hash(
        case_id=case_id,
        kind="accept",
        actor_id=world.users["clerk"].pk,
        at=event.at,
        from_status="received",
        to_status="accepted",
        params=event.params,
        previous_hash=CaseEvent.objects.get(case_id=case_id, kind="create").hash,
    )


def test_parameters_are_hashed_as_the_column_gives_them_back(world: World) -> None:
    case = Case.objects.get(pk=create_case(world)["id"])
    event = append_event(
        case=case,
        kind="note",
        actor=None,
        at=local(2026, 3, 18, 9, 30),
        params={"tuple": (1, 2), "nested": {"b": "乙", "a": "甲"}},
    )
    assert event.params == {"tuple": [1, 2], "nested": {"b": "乙", "a": "甲"}}
    assert verify_event_chains(case_id=case.pk).ok


# --- tampering is found and named ----------------------------------------------------------


def test_an_edited_row_is_found_and_named(world: World) -> None:
    case_id = drive_to(world, "in_progress")
    untouched = drive_to(world, "in_progress")
    sign = CaseEvent.objects.get(case_id=case_id, kind="sign")
    raw("UPDATE {table} SET params = %s WHERE id = %s", ['{"note": "从未签收"}', sign.pk])
    report = verify_event_chains()
    assert not report.ok
    assert [(b.case_id, b.event_id, b.problem) for b in report.breaks] == [
        (case_id, sign.pk, Problem.CONTENT_CHANGED)
    ]
    assert verify_event_chains(case_id=untouched).ok
    out, error = verify_fails()
    assert f"case {case_id}, event {sign.pk}: content changed" in out
    assert "1 of 2 case timelines are broken" in error


def test_a_rewritten_row_with_a_recomputed_hash_breaks_the_next_link(world: World) -> None:
    case_id = drive_to(world, "in_progress")
    accept = CaseEvent.objects.get(case_id=case_id, kind="accept")
    after_accept = CaseEvent.objects.filter(case_id=case_id, id__gt=accept.pk).earliest("id")
    forged = event_hash(
        case_id=case_id, kind="accept", actor_id=accept.actor_id, at=accept.at,
        from_status="received", to_status="accepted", params={"note": "伪造"},
        previous_hash=accept.previous_hash,
    )
    raw(
        "UPDATE {table} SET params = %s, hash = %s WHERE id = %s",
        ['{"note": "伪造"}', forged, accept.pk],
    )
    [broken] = verify_event_chains().breaks
    assert (broken.event_id, broken.problem) == (after_accept.pk, Problem.EVENT_MISSING)


def delete_event(event_id: int) -> None:
    # Messages the event caused point at it: gone too, as a thorough intruder would make them.
    OutboxMessage.objects.filter(event_id=event_id).delete()
    raw("DELETE FROM {table} WHERE id = %s", [event_id])


def test_a_deleted_middle_event_is_found(world: World) -> None:
    case_id = drive_to(world, "in_progress")
    events = events_of(case_id)
    middle = len(events) // 2
    delete_event(events[middle].pk)
    follower = events[middle + 1]
    [broken] = verify_event_chains().breaks
    assert (broken.case_id, broken.event_id, broken.problem) == (
        case_id, follower.pk, Problem.EVENT_MISSING,
    )
    out, _ = verify_fails("--case", str(case_id))
    assert f"case {case_id}, event {follower.pk}: event missing" in out


def test_re_ordered_events_are_found(world: World) -> None:
    case_id = drive_to(world, "in_progress")
    first = CaseEvent.objects.get(case_id=case_id, kind="accept")
    second = CaseEvent.objects.get(case_id=case_id, kind="dispatch")
    swap_rows(first, second)
    [broken] = verify_event_chains().breaks
    assert (broken.event_id, broken.problem) == (first.pk, Problem.PREVIOUS_MISMATCH)
    out, _ = verify_fails()
    assert f"event {first.pk}: previous hash does not match" in out


def swap_rows(one: CaseEvent, other: CaseEvent) -> None:
    """Exchanges two rows' whole content (hashes too), keeping the ids: the timeline's order
    changes, each row on its own still adds up. A placeholder avoids the no-fork constraint."""
    columns = ["kind", "actor_id", "at", "from_status", "to_status", "params", "hash"]
    values = {}
    with connection.cursor() as cursor:
        for event in (one, other):
            names = ", ".join(columns)
            cursor.execute(f"SELECT {names} FROM {table()} WHERE id = %s", [event.pk])  # noqa: S608
            values[event.pk] = cursor.fetchone()
    assignments = ", ".join(f"{name} = %s" for name in columns)
    raw("UPDATE {table} SET previous_hash = 'placeholder' WHERE id = %s", [one.pk])
    for target, source in ((other, one), (one, other)):
        raw(
            "UPDATE {table} SET " + assignments + ", previous_hash = %s WHERE id = %s",  # noqa: S608
            [*values[source.pk], source.previous_hash, target.pk],
        )


def test_a_case_without_events_is_reported(world: World) -> None:
    case_id = create_case(world)["id"]
    create_case(world)
    for event in events_of(case_id):
        delete_event(event.pk)
    [broken] = verify_event_chains().breaks
    assert (broken.case_id, broken.event_id, broken.problem) == (
        case_id, None, Problem.EVENT_MISSING,
    )
    assert f"case {case_id}, no events: event missing" in verify_fails()[0]


# --- the command ---------------------------------------------------------------------------


def test_the_command_counts_what_verifies_and_exits_zero(world: World) -> None:
    case_id = drive_to(world, "replied")
    create_case(world)
    total = CaseEvent.objects.count()
    assert f"All 2 case timelines verify: {total} events checked." in verify()
    one = CaseEvent.objects.filter(case_id=case_id).count()
    assert f"All 1 case timelines verify: {one} events checked." in verify("--case", str(case_id))


def test_the_command_refuses_an_unknown_case(world: World) -> None:
    with pytest.raises(CommandError, match="There is no case 999999"):
        call_command("verify_events", "--case", "999999", stdout=StringIO())


# --- no forks ------------------------------------------------------------------------------


def test_the_constraint_refuses_a_second_event_on_the_same_previous(world: World) -> None:
    case_id = create_case(world)["id"]
    create = CaseEvent.objects.get(case_id=case_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.create(
            case_id=case_id, kind="fork", at=timezone.now(), previous_hash=GENESIS, hash="f" * 64
        )
    assert list(CaseEvent.objects.filter(case_id=case_id)) == [create]


def _in_thread(work: Any, errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as error:  # handed to the test thread
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _concurrent_appends(case_id: int, *, locked: bool) -> list[BaseException]:
    """Two writers append to one case at once; the first holds its transaction open until the
    second has started. `locked=False` skips the case lock, as a careless writer would."""
    first_written = threading.Event()
    errors: list[BaseException] = []

    def writer(name: str, hold: bool) -> None:
        with transaction.atomic():
            append_event(
                case=Case.objects.get(pk=case_id), kind=name, actor=None, at=timezone.now(),
                params={}, case_locked=not locked,
            )
            if hold:
                first_written.set()
                time.sleep(0.5)  # the second writer now waits on our lock or our index entry

    one = _in_thread(lambda: writer("first", True), errors)
    assert first_written.wait(10)
    two = _in_thread(lambda: writer("second", False), errors)
    one.join(15)
    two.join(15)
    return errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_on_postgresql_never_fork() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers: PostgreSQL only (SQLite writers queue)")
    world = build_world()
    case_id = create_case(world)["id"]
    # With the case lock the second writer waits, then chains after the first.
    assert _concurrent_appends(case_id, locked=True) == []
    assert [e.kind for e in events_of(case_id)] == ["create", "first", "second"]
    # Without it both read the same previous event: the constraint refuses the second.
    errors = _concurrent_appends(case_id, locked=False)
    assert len(errors) == 1 and isinstance(errors[0], IntegrityError)
    assert [e.kind for e in events_of(case_id)] == ["create", "first", "second", "first"]
    assert verify_event_chains().ok


# --- bulk writers and existing rows --------------------------------------------------------


def test_the_demo_seeder_writes_valid_chains(db: Any) -> None:
    call_command("seed_demo", cases=60, seed=3, now=local(2026, 3, 18), stdout=StringIO())
    report = verify_event_chains()
    assert report.ok and report.cases >= 60 and report.events > 60 * 2
    assert verify().startswith(f"All {report.cases} case timelines verify")


def test_the_migration_chains_events_stored_before_it(world: World) -> None:
    for status in ("closed", "merged", "received"):
        drive_to(world, status)
    expected = {e.pk: (e.previous_hash, e.hash) for e in CaseEvent.objects.all()}
    raw("UPDATE {table} SET previous_hash = 'old' || id, hash = ''", [])
    assert not verify_event_chains().ok
    migration = importlib.import_module("civicdesk.cases.migrations.0008_event_hash_chain")
    migration.chain_existing_events(apps, None)
    assert {e.pk: (e.previous_hash, e.hash) for e in CaseEvent.objects.all()} == expected
    assert verify_event_chains().ok
