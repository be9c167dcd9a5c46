"""schemathesis over the staff API (/api/v1/openapi.json), in process through Django's WSGI
application: every operation, valid and invalid input, as a dispatcher and as a clerk, with real
cases in the database so the case endpoints reach their services. No input may cause a server
error, and every answer must match the schema the API publishes (docs/decisions/0032)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from civicdesk.cases.services import ACTIONS
from tests.conftest import World
from tests.helpers import FAST_HASHERS, drive_to

# Small and derandomized, so `make test` is repeatable and quick on two cores; raise locally
# (e.g. SECURITY_FUZZ_EXAMPLES=500) when hunting.
EXAMPLES_PER_OPERATION = int(os.environ.get("SECURITY_FUZZ_EXAMPLES", "25"))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _fast_hashers(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


@contextmanager
def _test_connection_kept_open() -> Iterator[None]:
    """The WSGI handler closes database connections around each request, which would close the
    test's transaction; Django's test client disconnects the same receiver for the same reason
    (and connects it again after each of its own requests, so this wraps only the WSGI calls)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _load_schema() -> Any:
    with _test_connection_kept_open():
        return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def _operations(schema: Any) -> list[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the staff API publishes no operations"
    return operations


def _cases_in_several_states(world: World) -> list[int]:
    return [drive_to(world, status) for status in ("received", "in_progress", "replied")]


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], case_ids: list[int]
) -> None:
    """Runs one operation's examples: real case ids half of the time, real action names."""
    uses_case = "{case_id}" in operation.path
    uses_action = "{action}" in operation.path

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case: Any, data: Any) -> None:
        if uses_case and data.draw(st.booleans(), label="real case id"):
            case.path_parameters["case_id"] = data.draw(st.sampled_from(case_ids))
        if uses_action and data.draw(st.booleans(), label="real action"):
            case.path_parameters["action"] = data.draw(st.sampled_from(sorted(ACTIONS)))
        response = case.call(headers=headers)
        checks = [not_a_server_error]
        if mode is GenerationMode.POSITIVE:
            checks.append(response_schema_conformance)
        case.validate_response(response, checks=checks, headers=headers)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("username", ["dispatcher", "clerk"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_input_makes_the_staff_api_fail(world: World, username: str, mode: Any) -> None:
    case_ids = _cases_in_several_states(world)
    headers = {"Authorization": f"Bearer {world.token(username)}"}
    schema = _load_schema()
    with _test_connection_kept_open():
        for operation in _operations(schema):
            _fuzz(operation, mode, headers, case_ids)


def test_the_published_schema_covers_the_case_endpoints(db: Any) -> None:
    paths = {operation.path for operation in _operations(_load_schema())}
    assert {"/api/v1/cases", "/api/v1/cases/{case_id}",
            "/api/v1/cases/{case_id}/actions/{action}"} <= paths, paths
