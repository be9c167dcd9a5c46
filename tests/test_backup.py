"""The backup drill: back up a database whose cases went through real actions, destroy it,
restore it, and find every table's count and every case's event chain as they were. Runs on
SQLite and on PostgreSQL (the suite runs on both), always against the test database."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from civicdesk.cases.models import Case, CaseEvent
from civicdesk.core.backup import (
    DUMP_NAMES,
    MANIFEST_NAME,
    count_mismatches,
    postgres_environment,
)
from tests.conftest import World, build_world
from tests.helpers import FAST_HASHERS, create_case, drive_to

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def drill_world(settings: Any) -> World:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and (name == ":memory:" or name.startswith("file:")):
        pytest.skip("an in-memory SQLite test database has no file to back up")
    # Restoring replaces a whole database: make sure it is the test one.
    assert "test" in Path(name).name, name
    settings.PASSWORD_HASHERS = FAST_HASHERS
    world = build_world()
    for status in ("closed", "suspended", "returned", "merged", "replied"):
        drive_to(world, status)
    return world


def all_tables() -> list[str]:
    return sorted(connection.introspection.table_names())


def table_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in all_tables():
            cursor.execute("SELECT count(*) FROM " + connection.ops.quote_name(table))  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def event_chains() -> dict[int, list[dict[str, Any]]]:
    """Every case's events with every column (ids, kinds, params, and hash if the model has
    one), in timeline order."""
    chains: dict[int, list[dict[str, Any]]] = {}
    for event in CaseEvent.objects.order_by("case_id", "at", "id").values():
        chains.setdefault(event["case_id"], []).append(event)
    return chains


def state() -> tuple[dict[str, int], dict[int, list[dict[str, Any]]], list[dict[str, Any]]]:
    return table_counts(), event_chains(), list(Case.objects.order_by("id").values())


def destroy_database() -> None:
    """Empties every table and drops the event table altogether."""
    call_command("flush", interactive=False, verbosity=0)
    table = connection.ops.quote_name(CaseEvent._meta.db_table)
    cascade = " CASCADE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE " + table + cascade)


def back_up(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    out = io.StringIO()
    path = tmp_path / "backups" / "drill.tar"
    call_command("backup", output=path, stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == str(path)
    return path, read_members(path)[MANIFEST_NAME]


def read_members(path: Path) -> dict[str, Any]:
    members: dict[str, Any] = {}
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member)
            assert handle is not None
            body = handle.read()
            members[member.name] = json.loads(body) if member.name == MANIFEST_NAME else body
    return members


def rewrite(path: Path, *, manifest: dict[str, Any], dump: bytes) -> None:
    with tarfile.open(path, "w") as tar:
        for name, body in (
            (MANIFEST_NAME, json.dumps(manifest).encode()),
            (manifest["dump"]["name"], dump),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))


def restore(path: Path, *, yes: bool = True) -> str:
    out = io.StringIO()
    call_command("restore", str(path), yes=yes, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_drill_backup_destroy_restore_finds_everything_as_it_was(
    drill_world: World, tmp_path: Path
) -> None:
    before = state()
    counts, chains, cases = before
    assert counts[CaseEvent._meta.db_table] > 20 and len(chains) == len(cases) == 6
    if any(field.name == "hash" for field in CaseEvent._meta.fields):
        # The event hash chain (when the model has one) is compared like every other column.
        assert all(event["hash"] for chain in chains.values() for event in chain)
    path, _manifest = back_up(tmp_path)

    destroy_database()
    assert CaseEvent._meta.db_table not in all_tables()
    assert Case.objects.count() == 0

    output = restore(path)

    assert "Every table's row count matches" in output
    assert state() == before
    # Sequences came back too: a new case gets a fresh id and its own events.
    new_case = create_case(drill_world, title="恢复后新登记的事项")
    assert new_case["id"] > max(case["id"] for case in cases)
    assert CaseEvent.objects.filter(case_id=new_case["id"]).exists()


def test_manifest_describes_the_dump(drill_world: World, tmp_path: Path) -> None:
    path, manifest = back_up(tmp_path)

    assert os.stat(path).st_mode & 0o777 == 0o600
    # Written atomically: nothing but the finished file is left in the directory.
    assert [entry.name for entry in path.parent.iterdir()] == [path.name]
    members = read_members(path)
    dump = members[DUMP_NAMES[connection.vendor]]
    assert manifest["vendor"] == connection.vendor
    assert manifest["dump"]["sha256"] == hashlib.sha256(dump).hexdigest()
    assert manifest["dump"]["bytes"] == len(dump)
    assert manifest["civicdesk_version"]
    assert manifest["created_at"].endswith("+00:00")
    assert manifest["row_counts"] == table_counts()
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"):
        latest[app] = max(name, latest.get(app, ""))
    assert manifest["migrations"] == latest
    assert manifest["migrations"]["cases"].startswith("00")


def test_restore_without_yes_only_describes(drill_world: World, tmp_path: Path) -> None:
    path, _manifest = back_up(tmp_path)
    create_case(drill_world, title="备份之后登记")
    after = state()
    out = io.StringIO()

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(path), stdout=out)

    assert "checksum verified" in out.getvalue()
    assert Case._meta.db_table in out.getvalue()
    assert state() == after


def test_damaged_or_foreign_backups_are_refused_and_change_nothing(
    drill_world: World, tmp_path: Path
) -> None:
    path, manifest = back_up(tmp_path)
    dump = read_members(path)[manifest["dump"]["name"]]
    create_case(drill_world, title="备份之后登记")
    after = state()

    damaged = bytearray(dump)
    damaged[len(damaged) // 2] ^= 0xFF
    rewrite(path, manifest=manifest, dump=bytes(damaged))
    with pytest.raises(CommandError, match="Checksum mismatch"):
        restore(path)
    assert state() == after

    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    rewrite(path, manifest={**manifest, "vendor": other}, dump=dump)
    with pytest.raises(CommandError, match=f"made on {other}"):
        restore(path)
    assert state() == after

    path.write_bytes(b"not a tar file at all")
    with pytest.raises(CommandError, match="Refused"):
        restore(path)
    assert state() == after


def test_restore_reports_counts_that_differ_from_the_manifest(
    drill_world: World, tmp_path: Path
) -> None:
    path, manifest = back_up(tmp_path)
    dump = read_members(path)[manifest["dump"]["name"]]
    table = Case._meta.db_table
    wrong = {**manifest, "row_counts": {**manifest["row_counts"], table: 999}}
    rewrite(path, manifest=wrong, dump=dump)

    with pytest.raises(CommandError, match="differ") as raised:
        restore(path)

    assert raised.value.returncode == 1
    assert count_mismatches(expected=wrong["row_counts"], found=table_counts()) == [
        f"{table}: backup 999, database 6"
    ]


def test_pg_tools_get_the_connection_from_the_environment_not_the_command_line() -> None:
    env = postgres_environment(
        {
            "NAME": "civicdesk",
            "USER": "desk",
            "PASSWORD": "s3cret",
            "HOST": "",
            "PORT": "",
            "OPTIONS": {"host": "/run/postgresql", "port": 5433, "sslmode": "require"},
        }
    )

    assert env["PGDATABASE"] == "civicdesk"
    assert env["PGUSER"] == "desk"
    assert env["PGPASSWORD"] == "s3cret"
    assert env["PGHOST"] == "/run/postgresql"
    assert env["PGPORT"] == "5433"
    assert env["PGSSLMODE"] == "require"
