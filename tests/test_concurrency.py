"""Two people acting on one case at once: exactly one wins, the other gets 409 and nothing of
theirs is written. Also the optimistic `version` and the scheduler's claim under threads."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from civicdesk.cases.intake import case_create
from civicdesk.cases.models import Case, CaseEvent
from civicdesk.cases.services import case_act
from civicdesk.core.errors import Conflict, IllegalTransition
from civicdesk.core.models import ScheduledJob
from civicdesk.core.scheduler import Periodic, claim
from tests.conftest import build_world, case_payload, local
from tests.helpers import FAST_HASHERS, act, act_ok, create_case, fresh_user, snapshot


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The world makes ten users; argon2 would spend seconds hashing their test passwords."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _needs_real_concurrency() -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "threads on in-memory SQLite share one cache whose table locks ignore busy_timeout "
            "('database table is locked'); Django gives SQLite tests an in-memory database "
            "unless DATABASES['default']['TEST']['NAME'] names a file, so this runs on "
            "PostgreSQL (and on SQLite once the settings set a file TEST NAME)"
        )


def run_together(calls: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Runs the calls in threads released at the same moment; each thread uses (and closes)
    its own database connection. Returns ("ok", value) or ("error", exception) per call."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("missing", None)] * len(calls)

    def work(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = ("ok", call())
        except Exception as error:  # recorded and checked by the test
            results[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _new_case(world) -> Case:
    case, _ = case_create(actor=world.users["clerk"], data=case_payload(world))
    return case


def _action(username: str, case_id: int, action: str, data: dict[str, Any]):
    def call() -> Case:
        return case_act(actor=fresh_user(username), case_id=case_id, action=action,
                        data=dict(data))
    return call


def _check_one_winner(results, case_id: int, before_events: int, kinds: set[str]) -> str:
    outcomes = [outcome for outcome, _ in results]
    assert sorted(outcomes) == ["error", "ok"], results
    error = next(value for outcome, value in results if outcome == "error")
    assert isinstance(error, Conflict | IllegalTransition), repr(error)
    assert error.http_status == 409
    winner = next(value for outcome, value in results if outcome == "ok")
    events = CaseEvent.objects.filter(case_id=case_id).order_by("id")
    new = list(events.values_list("kind", flat=True))[before_events:]
    # One transition event (and the notice that goes with it), never two.
    transitions = [kind for kind in new if kind != "notice"]
    assert len(transitions) == 1, new
    assert transitions[0] in kinds
    assert new.count("notice") == 1
    case = Case.objects.get(pk=case_id)
    assert case.version == 2
    assert case.status == winner.status
    return transitions[0]


@pytest.mark.parametrize("round_", range(4))
def test_two_dispatchers_accepting_at_once(transactional_db, round_):
    _needs_real_concurrency()
    world = build_world()
    case = _new_case(world)
    before = CaseEvent.objects.filter(case=case).count()
    results = run_together([
        _action("dispatcher", case.pk, "accept", {}),
        _action("clerk", case.pk, "accept", {}),
    ])
    assert _check_one_winner(results, case.pk, before, {"accept"}) == "accept"
    assert Case.objects.get(pk=case.pk).status == "accepted"


@pytest.mark.parametrize("round_", range(4))
def test_accept_against_not_accept(transactional_db, round_):
    _needs_real_concurrency()
    world = build_world()
    case = _new_case(world)
    before = CaseEvent.objects.filter(case=case).count()
    results = run_together([
        _action("clerk", case.pk, "accept", {}),
        _action("dispatcher", case.pk, "not_accept",
                {"reason": "不属于受理范围", "proper_channel": "法院"}),
    ])
    won = _check_one_winner(results, case.pk, before, {"accept", "not_accept"})
    expected = {"accept": "accepted", "not_accept": "not_accepted"}[won]
    assert Case.objects.get(pk=case.pk).status == expected


def test_many_threads_one_winner(transactional_db):
    _needs_real_concurrency()
    world = build_world()
    case = _new_case(world)
    before = CaseEvent.objects.filter(case=case).count()
    results = run_together([_action(name, case.pk, "accept", {})
                            for name in ("clerk", "dispatcher") * 3])
    assert [outcome for outcome, _ in results].count("ok") == 1
    for outcome, value in results:
        if outcome == "error":
            assert isinstance(value, Conflict | IllegalTransition), repr(value)
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))[before:]
    assert sorted(kinds) == ["accept", "notice"]


def test_the_same_idempotency_key_twice_at_once_makes_one_case(transactional_db):
    _needs_real_concurrency()
    world = build_world()
    payload = case_payload(world, idempotency_key="kiosk-3:0042")

    def create():
        return case_create(actor=fresh_user("clerk"), data=dict(payload))

    results = run_together([create, create, create])
    assert all(outcome == "ok" for outcome, _ in results), results
    cases = {value[0].pk for _, value in results}
    assert len(cases) == 1
    assert sorted(created for _, (_, created) in results) == [False, False, True]
    assert Case.objects.filter(idempotency_key="kiosk-3:0042").count() == 1


def test_scheduler_claim_under_threads(transactional_db):
    _needs_real_concurrency()
    job = Periodic("threaded_job", dt.timedelta(minutes=5), lambda: None)
    now = local(2025, 3, 3, 10)
    results = run_together([lambda: claim(job, now=now) for _ in range(6)])
    assert all(outcome == "ok" for outcome, _ in results), results
    assert [value for _, value in results].count(True) == 1
    assert ScheduledJob.objects.filter(name="threaded_job").count() == 1
    later = now + dt.timedelta(minutes=5)
    results = run_together([lambda: claim(job, now=later) for _ in range(6)])
    assert [value for _, value in results].count(True) == 1


# --- the optimistic version (no threads needed) ----------------------------------------------


def test_an_action_with_a_stale_version_is_a_conflict(db):
    world = build_world()
    created = create_case(world)
    case_id, seen = created["id"], created["version"]
    act_ok(world, case_id, "accept", version=seen)
    # The dispatcher still has the page they loaded before the acceptance.
    before = snapshot(case_id)
    response = act(world, case_id, "dispatch", version=seen)
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "conflict"
    assert body["message"]
    assert snapshot(case_id) == before
    # With the current version it goes through.
    current = world.client("dispatcher").get(f"/api/v1/cases/{case_id}").json()["version"]
    assert current == seen + 1
    assert act_ok(world, case_id, "dispatch", version=current)["version"] == current + 1


def test_a_version_from_the_future_is_a_conflict_too(db):
    world = build_world()
    case_id = create_case(world)["id"]
    before = snapshot(case_id)
    response = act(world, case_id, "accept", version=99)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert snapshot(case_id) == before


def test_a_service_call_with_a_stale_version_raises_conflict(db):
    world = build_world()
    case = _new_case(world)
    case_act(actor=world.users["clerk"], case_id=case.pk, action="accept", data={"version": 1})
    before = snapshot(case.pk)
    with pytest.raises(Conflict):
        case_act(actor=world.users["dispatcher"], case_id=case.pk, action="dispatch",
                 data={"version": 1, "department": "D-HRSS", "leader": "leader"})
    assert snapshot(case.pk) == before
