"""Backups of the database and their restore (docs/decisions/0026-backup-and-restore.md).

A backup is one tar file holding `manifest.json` and the dump: on SQLite a copy of the database
made with SQLite's online backup API, on PostgreSQL a `pg_dump --format=custom` archive. The
manifest records the vendor, the latest migration of every app, the row count of every table,
when and by which civicdesk version it was made, and the SHA-256 of the dump. Counts and
migrations are read from the very snapshot that is dumped, so they describe the dump exactly
even while the server keeps writing.

Only the database: uploaded files (MEDIA_ROOT or the S3 bucket) need their own backup.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

FORMAT = "civicdesk-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# A manifest is a few kilobytes; anything much larger is not one of ours.
MANIFEST_MAX_BYTES = 1_000_000
CHUNK = 1 << 20
# The tables operators look at first when deciding whether a backup is the right one.
MAIN_MODELS = (
    "cases.Case",
    "cases.CaseEvent",
    "cases.CaseParty",
    "cases.CaseClock",
    "cases.Attachment",
    "organization.User",
    "organization.Area",
    "organization.Department",
    "notifications.OutboxMessage",
)
SQLITE_BUSY_SECONDS = 30.0


class BackupRefused(Exception):
    """The backup or restore cannot go ahead; the message says why, for the operator."""


@dataclass(frozen=True)
class Snapshot:
    """What the dump holds, read from the same snapshot the dump was taken from."""

    row_counts: dict[str, int]
    migrations: dict[str, str]


@dataclass(frozen=True)
class VerifiedBackup:
    """A backup file whose dump has been extracted to `dump_path` and matches its checksum."""

    path: Path
    manifest: dict[str, Any]
    dump_path: Path


@dataclass(frozen=True)
class MigrationDrift:
    """How the migrations in a database compare with the code."""

    unapplied: list[str]
    unknown: list[str]


# --- reading the database -----------------------------------------------------------------


def _db(alias: str = "default") -> BaseDatabaseWrapper:
    return connections[alias]


def database_label(*, alias: str = "default") -> str:
    """Which database this is, for messages (never the password)."""
    connection = _db(alias)
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return "SQLite file {}".format(settings_dict["NAME"])
    host = settings_dict.get("HOST") or (settings_dict.get("OPTIONS") or {}).get("host")
    host = host or "the local socket"
    return "PostgreSQL database {} on {}".format(settings_dict["NAME"], host)


def main_tables() -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in MAIN_MODELS]


def live_row_counts(*, tables: list[str], alias: str = "default") -> dict[str, int | None]:
    """Rows of each named table in the live database; None for a table that does not exist."""
    connection = _db(alias)
    existing = set(connection.introspection.table_names())
    counts: dict[str, int | None] = {}
    with connection.cursor() as cursor:
        for table in tables:
            if table not in existing:
                counts[table] = None
                continue
            cursor.execute("SELECT count(*) FROM " + connection.ops.quote_name(table))  # noqa: S608
            counts[table] = int(cursor.fetchone()[0])
    return counts


def count_mismatches(
    *, expected: Mapping[str, int], found: Mapping[str, int | None]
) -> list[str]:
    """One line per table whose count differs from the manifest's."""
    return [
        "{}: backup {}, database {}".format(
            table, count, "missing" if found.get(table) is None else found[table]
        )
        for table, count in sorted(expected.items())
        if found.get(table) != count
    ]


def migration_drift(*, alias: str = "default") -> MigrationDrift:
    """Migrations the code has that the database lacks, and the reverse (a newer backup)."""
    executor = MigrationExecutor(_db(alias))
    loader = executor.loader
    plan = executor.migration_plan(loader.graph.leaf_nodes())
    unapplied = [f"{m.app_label}.{m.name}" for m, _backwards in plan]
    applied = loader.applied_migrations or {}
    unknown = sorted(
        f"{app}.{name}"
        for app, name in applied
        if (app, name) not in loader.disk_migrations and app in loader.migrated_apps
    )
    return MigrationDrift(unapplied=unapplied, unknown=unknown)


def _latest_migrations(rows: list[tuple[str, str]]) -> dict[str, str]:
    # Django names migrations NNNN_description, so the greatest name is the latest one.
    latest: dict[str, str] = {}
    for app, name in rows:
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def civicdesk_version() -> str:
    try:
        return metadata.version("civicdesk")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- files ----------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def default_output(*, now: dt.datetime) -> Path:
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"civicdesk-{stamp}.tar"


def _write_atomically(*, target: Path, manifest: dict[str, Any], dump: Path) -> None:
    """Writes the tar beside `target`, then renames it: a reader never sees half a backup."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Backups hold residents' personal data: readable by the owner only.
    descriptor, partial_name = tempfile.mkstemp(
        prefix="." + target.name + ".", suffix=".partial", dir=target.parent
    )
    partial = Path(partial_name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
                body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                info = tarfile.TarInfo(MANIFEST_NAME)
                info.size = len(body)
                info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(body))
                tar.add(str(dump), arcname=manifest["dump"]["name"], recursive=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; some filesystems do not allow it, which is harmless.
    with suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(connection: BaseDatabaseWrapper) -> Path:
    name = str(connection.settings_dict["NAME"] or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupRefused(
            f"The SQLite database is in memory ({name!r}): there is no file to back up or restore "
            "into."
        )
    return Path(name)


def _sqlite_snapshot(dump: sqlite3.Connection) -> Snapshot:
    tables = [
        row[0]
        for row in dump.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    counts = {
        table: int(dump.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])  # noqa: S608
        for table in tables
    }
    rows = dump.execute("SELECT app, name FROM django_migrations").fetchall()
    return Snapshot(row_counts=counts, migrations=_latest_migrations(rows))


def _sqlite_dump(*, connection: BaseDatabaseWrapper, dump: Path) -> Snapshot:
    live = sqlite3.connect(_sqlite_path(connection), timeout=SQLITE_BUSY_SECONDS)
    copy = sqlite3.connect(dump)
    try:
        # All pages in one step: one read transaction, so one consistent snapshot. In WAL mode
        # a reader does not block the server's writers.
        live.backup(copy)
        # The copy stands alone: no -wal file beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_snapshot(copy)
    finally:
        copy.close()
        live.close()


def _sqlite_restore(*, connection: BaseDatabaseWrapper, dump: Path) -> None:
    target = _sqlite_path(connection)
    connections.close_all()
    source = sqlite3.connect(dump)
    live = sqlite3.connect(target, timeout=SQLITE_BUSY_SECONDS)
    try:
        # The backup API writes the destination in one transaction: all or nothing.
        source.backup(live)
        live.execute("PRAGMA journal_mode=WAL")
    finally:
        live.close()
        source.close()


# --- PostgreSQL -----------------------------------------------------------------------------


def postgres_program(name: str) -> str:
    """pg_dump or pg_restore: from PATH, else the newest Debian PostgreSQL install."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    if candidates:
        return candidates[-1]
    raise BackupRefused(f"{name} not found: install the PostgreSQL client programs.")


# libpq connection parameters that may sit in DATABASES OPTIONS, and their variables.
LIBPQ_OPTIONS = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
}
SETTINGS_TO_LIBPQ = {
    "HOST": "PGHOST",
    "PORT": "PGPORT",
    "USER": "PGUSER",
    "PASSWORD": "PGPASSWORD",
    "NAME": "PGDATABASE",
}


def postgres_environment(settings_dict: Mapping[str, Any]) -> dict[str, str]:
    """The connection for pg_dump/pg_restore as libpq variables: the password never appears
    on a command line, where any local user could read it with ps. As in Django's backend,
    HOST, PORT, USER, PASSWORD and NAME win over the same parameters in OPTIONS."""
    env = dict(os.environ)
    options = settings_dict.get("OPTIONS") or {}
    for key, variable in LIBPQ_OPTIONS.items():
        if options.get(key) not in (None, ""):
            env[variable] = str(options[key])
    for key, variable in SETTINGS_TO_LIBPQ.items():
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _run(command: list[str], *, env: dict[str, str]) -> None:
    # A fixed program and arguments, no shell.
    result = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupRefused(
            f"{Path(command[0]).name} failed (exit {result.returncode}): {result.stderr.strip()}"
        )


@contextmanager
def _postgres_snapshot_connection(alias: str) -> Iterator[BaseDatabaseWrapper]:
    """A separate connection holding one REPEATABLE READ, READ ONLY transaction."""
    connection = connections.create_connection(alias)
    try:
        connection.ensure_connection()
        connection.set_autocommit(False)
        yield connection
    finally:
        with suppress(Exception):
            connection.rollback()
        connection.close()


def _postgres_dump(*, alias: str, dump: Path) -> Snapshot:
    with _postgres_snapshot_connection(alias) as connection, connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute("SELECT count(*) FROM " + connection.ops.quote_name(table))  # noqa: S608
            counts[table] = int(cursor.fetchone()[0])
        cursor.execute("SELECT app, name FROM django_migrations")
        migrations = _latest_migrations(cursor.fetchall())
        # pg_dump reads the same snapshot, which lives as long as this transaction is open.
        _run(
            [
                postgres_program("pg_dump"),
                "--format=custom",
                "--no-password",
                "--snapshot=" + snapshot_id,
                "--file=" + str(dump),
            ],
            env=postgres_environment(connection.settings_dict),
        )
    return Snapshot(row_counts=counts, migrations=migrations)


def _postgres_restore(*, connection: BaseDatabaseWrapper, dump: Path) -> None:
    settings_dict = connection.settings_dict
    connections.close_all()
    # One transaction: a failure anywhere leaves the database as it was.
    _run(
        [
            postgres_program("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            "--dbname=" + str(settings_dict["NAME"]),
            str(dump),
        ],
        env=postgres_environment(settings_dict),
    )


# --- backup and restore -------------------------------------------------------------------


def _vendor(alias: str) -> str:
    vendor = _db(alias).vendor
    if vendor not in DUMP_NAMES:
        raise BackupRefused(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def backup_create(
    *, output: Path | None = None, now: dt.datetime | None = None, alias: str = "default"
) -> tuple[Path, dict[str, Any]]:
    """Writes one backup file of the database and returns its path and manifest."""
    vendor = _vendor(alias)
    now = now or dt.datetime.now(dt.UTC)
    target = output or default_output(now=now)
    with tempfile.TemporaryDirectory(prefix="civicdesk-backup-") as workdir:
        dump = Path(workdir) / DUMP_NAMES[vendor]
        if vendor == "sqlite":
            snapshot = _sqlite_dump(connection=_db(alias), dump=dump)
        else:
            snapshot = _postgres_dump(alias=alias, dump=dump)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "vendor": vendor,
            "created_at": now.astimezone(dt.UTC).isoformat(),
            "civicdesk_version": civicdesk_version(),
            "migrations": snapshot.migrations,
            "row_counts": snapshot.row_counts,
            "dump": {"name": dump.name, "sha256": sha256_of(dump), "bytes": dump.stat().st_size},
        }
        _write_atomically(target=target, manifest=manifest, dump=dump)
    return target, manifest


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    member = _regular_member(tar, MANIFEST_NAME)
    if member.size > MANIFEST_MAX_BYTES:
        raise BackupRefused("The manifest is too large: not a civicdesk backup.")
    handle = tar.extractfile(member)
    assert handle is not None  # a regular member always has contents
    try:
        manifest = json.loads(handle.read())
    except ValueError as error:
        raise BackupRefused(f"The manifest is not valid JSON: {error}.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused("Not a civicdesk backup (no civicdesk manifest).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(
            "Backup format version {!r} is not supported (this civicdesk reads {}).".format(
                manifest.get("format_version"), FORMAT_VERSION
            )
        )
    return manifest


def _regular_member(tar: tarfile.TarFile, name: str) -> tarfile.TarInfo:
    try:
        member = tar.getmember(name)
    except KeyError as error:
        raise BackupRefused(f"The backup has no {name}.") from error
    if not member.isfile():
        raise BackupRefused(f"{name} in the backup is not a regular file.")
    return member


def backup_verify(*, path: Path, workdir: Path, alias: str = "default") -> VerifiedBackup:
    """Reads the manifest, extracts the dump into `workdir` and checks its SHA-256 and that it
    was made on this database's vendor. Touches nothing in the database."""
    try:
        with tarfile.open(path, mode="r:") as tar:
            manifest = _read_manifest(tar)
            dump_name = str(manifest["dump"]["name"])
            if dump_name not in DUMP_NAMES.values():
                raise BackupRefused(f"Unexpected dump name {dump_name!r}.")
            member = _regular_member(tar, dump_name)
            source = tar.extractfile(member)
            assert source is not None
            dump_path = workdir / dump_name
            digest = hashlib.sha256()
            with dump_path.open("wb") as target:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    target.write(chunk)
    except FileNotFoundError as error:
        raise BackupRefused(f"No such file: {path}.") from error
    except (tarfile.TarError, OSError, KeyError, TypeError) as error:
        raise BackupRefused(f"Cannot read {path} as a backup: {error}.") from error
    if digest.hexdigest() != manifest["dump"].get("sha256"):
        raise BackupRefused(
            "Checksum mismatch: the dump's SHA-256 is {}, the manifest says {}. The file is "
            "damaged or was altered; nothing was restored.".format(
                digest.hexdigest(), manifest["dump"].get("sha256")
            )
        )
    vendor = _vendor(alias)
    if manifest.get("vendor") != vendor:
        raise BackupRefused(
            "This backup was made on {}, but this database is {}: nothing was restored.".format(
                manifest.get("vendor"), vendor
            )
        )
    return VerifiedBackup(path=path, manifest=manifest, dump_path=dump_path)


def backup_restore(*, backup: VerifiedBackup, alias: str = "default") -> dict[str, int | None]:
    """Replaces the database with the verified dump and returns the row counts found after."""
    connection = _db(alias)
    if connection.in_atomic_block:
        raise BackupRefused("Restore cannot run inside a transaction.")
    if connection.vendor == "sqlite":
        _sqlite_restore(connection=connection, dump=backup.dump_path)
    else:
        _postgres_restore(connection=connection, dump=backup.dump_path)
    return live_row_counts(tables=sorted(backup.manifest["row_counts"]), alias=alias)
