"""Whole-table work on encrypted columns: the data migrations that first encrypt (or, going
back, decrypt) them, and key rotation. Rows are read and written as stored, with the driver's
cursor, in primary-key batches of one short transaction each; every UPDATE compares the old
stored values, so a row the application changed meanwhile is left alone (it was written under
the current key anyway) and nothing is ever overwritten."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connections, transaction

from civicdesk.core import crypto


@dataclass(frozen=True)
class IndexColumn:
    column: str
    source: str  # the encrypted column it is the blind index of
    purpose: str
    normalise: Callable[[str], str] | None = None

    def of(self, plain: str) -> str:
        value = self.normalise(plain) if self.normalise else plain
        return crypto.blind_index(value, purpose=self.purpose)


@dataclass(frozen=True)
class EncryptedTable:
    table: str
    columns: tuple[str, ...]
    indexes: tuple[IndexColumn, ...] = field(default=())
    pk: str = "id"


@dataclass
class Progress:
    table: str
    scanned: int = 0
    changed: int = 0


# What to do with one stored value: the new stored value, or None to leave it.
Change = Callable[[str, str, str], str | None]


def encrypted_tables() -> list[EncryptedTable]:
    """Every table of the installed models that has encrypted columns, from their fields."""
    from civicdesk.core.fields import BlindIndexField, EncryptedFieldMixin

    tables = []
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        columns = tuple(str(f.column) for f in fields if isinstance(f, EncryptedFieldMixin))
        if not columns:
            continue
        by_name = {f.name: f for f in fields}
        indexes = tuple(
            IndexColumn(str(f.column), str(by_name[f.source].column), f.purpose, f.normalise)
            for f in fields
            if isinstance(f, BlindIndexField)
        )
        table = EncryptedTable(model._meta.db_table, columns, indexes, str(model._meta.pk.column))
        tables.append(table)
    return tables


def encrypt_plain(value: str, table: str, column: str) -> str | None:
    """For the first migration: plain -> stored form; values already encrypted are skipped, so
    a migration interrupted half-way can run again."""
    if not value or _looks_encrypted(value):
        return None
    return crypto.encrypt(value, table=table, column=column)


def decrypt_stored(value: str, table: str, column: str) -> str | None:
    if not value or not _looks_encrypted(value):
        return None
    return crypto.decrypt(value, table=table, column=column)


def reencrypt_old(value: str, table: str, column: str) -> str | None:
    """For rotation: a value under any key but the current one is sealed again."""
    if not value or crypto.key_id_of(value) == crypto.field_keyring().current:
        return None
    plain = crypto.decrypt(value, table=table, column=column)
    return crypto.encrypt(plain, table=table, column=column)


def _looks_encrypted(value: str) -> bool:
    try:
        crypto.key_id_of(value)
    except crypto.DecryptionError:
        return False
    return True


def process(
    spec: EncryptedTable,
    change: Change,
    *,
    using: str = "default",
    batch: int = 500,
    reindex: bool = False,
    report: Callable[[Progress], None] | None = None,
) -> Progress:
    """Applies `change` to every stored value of the table's encrypted columns, batch by batch.
    With `reindex`, the blind indexes are recomputed from the plain values as well (after the
    first encryption, or when the index key changed)."""
    progress = Progress(spec.table)
    for rows in _batches(spec, using, batch):
        with transaction.atomic(using=using):
            for row in rows:
                if _apply(spec, row, change, using, reindex):
                    progress.changed += 1
        progress.scanned += len(rows)
        if report:
            report(progress)
    return progress


def _batches(spec: EncryptedTable, using: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
    connection = connections[using]
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in (spec.pk, *spec.columns))
    # Table and column names come from model metadata (quoted), never from input.
    sql = (
        f"SELECT {names} FROM {quote(spec.table)} WHERE {quote(spec.pk)} > %s "  # noqa: S608
        f"ORDER BY {quote(spec.pk)} LIMIT %s"
    )
    last: Any = -1
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, size])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _apply(
    spec: EncryptedTable, row: tuple[Any, ...], change: Change, using: str, reindex: bool
) -> bool:
    pk, stored = row[0], dict(zip(spec.columns, row[1:], strict=True))
    updates: dict[str, str] = {}
    for column, value in stored.items():
        new = change(value or "", spec.table, column)
        if new is not None:
            updates[column] = new
    if reindex:
        for index in spec.indexes:
            plain = _plain(stored.get(index.source) or "", spec.table, index.source)
            updates[index.column] = index.of(plain)
    if not updates:
        return False
    connection = connections[using]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c)} = %s" for c in updates)
    unchanged = " AND ".join(f"{quote(c)} = %s" for c in spec.columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(spec.table)} SET {assignments} "  # noqa: S608
            f"WHERE {quote(spec.pk)} = %s AND {unchanged}",
            [*updates.values(), pk, *(stored[c] for c in spec.columns)],
        )
        return bool(cursor.rowcount)


def _plain(value: str, table: str, column: str) -> str:
    return crypto.decrypt(value, table=table, column=column) if _looks_encrypted(value) else value
