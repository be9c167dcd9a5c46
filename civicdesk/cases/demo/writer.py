"""Writing case drafts in bulk: multi-row INSERTs (SQLite) or COPY (PostgreSQL) on the driver's
own cursor, one transaction per batch, so a million cases run in bounded memory."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from civicdesk.cases.demo.generator import Draft
from civicdesk.cases.events import GENESIS, event_hash, stored_form
from civicdesk.cases.models import Case, CaseClock, CaseEvent, CaseParty, CaseSearch

CASE_COLUMNS = (
    "receipt_code",
    "type",
    "channel",
    "category_id",
    "priority",
    "title",
    "description",
    "area_id",
    "address",
    "latitude",
    "longitude",
    "received_at",
    "created_at",
    "status",
    "centre_id",
    "department_id",
    "leader_id",
    "handler_id",
    "created_by_id",
    "idempotency_key",
    "version",
    "warning_level",
    "merged_into_id",
    "review_of_id",
    "result",
    "reply",
    "replied_at",
    "satisfaction",
    "closed_at",
)
PARTY_COLUMNS = (
    "case_id",
    "role",
    "kind",
    "name",
    "phone",
    "phone_index",
    "id_number",
    "organization",
    "confidential",
    "anonymous",
)
EVENT_COLUMNS = (
    "case_id",
    "kind",
    "actor_id",
    "at",
    "from_status",
    "to_status",
    "params",
    "previous_hash",
    "hash",
)
CLOCK_COLUMNS = (
    "case_id",
    "kind",
    "state",
    "started_at",
    "length",
    "unit",
    "extended_by",
    "paused_units",
    "suspended_at",
    "due_at",
    "due_soon_at",
    "seriously_overdue_at",
    "next_alert_at",
    "warning_level",
    "basis",
    "max_extension",
    "is_window",
    "calendar_missing",
    "ended_at",
)
SEARCH_COLUMNS = ("case_id", "words")
_CASE_TIMES = tuple(
    CASE_COLUMNS.index(name) for name in ("received_at", "created_at", "replied_at", "closed_at")
)
_CLOCK_TIMES = tuple(
    CLOCK_COLUMNS.index(name) - 1
    for name in (
        "started_at",
        "suspended_at",
        "due_at",
        "due_soon_at",
        "seriously_overdue_at",
        "next_alert_at",
        "ended_at",
    )
)


class BatchWriter:
    """Writes batches with multi-row INSERTs (SQLite) or COPY (PostgreSQL) on the driver's own
    cursor, one transaction per batch. The driver cursor skips Django's per-query bookkeeping,
    which would otherwise hold every statement's text when DEBUG is on."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.placeholder = "?" if self.vendor == "sqlite" else "%s"
        self.max_params = self._max_params()
        self._sql: dict[tuple[str, int, bool], str] = {}

    def write(self, batch: list[Draft]) -> list[int]:
        with transaction.atomic():
            cursor = connection.connection.cursor()
            try:
                ids = self._insert_cases(cursor, batch)
                self._link_merged(cursor, batch, ids)
                self._insert(cursor, CaseParty, PARTY_COLUMNS, self._party_rows(batch, ids))
                self._insert(cursor, CaseEvent, EVENT_COLUMNS, self._event_rows(batch, ids))
                self._insert(cursor, CaseClock, CLOCK_COLUMNS, self._clock_rows(batch, ids))
                self._insert(
                    cursor,
                    CaseSearch,
                    SEARCH_COLUMNS,
                    [(pk, d.words) for pk, d in zip(ids, batch, strict=True)],
                )
            finally:
                cursor.close()
        return ids

    # --- rows -----------------------------------------------------------------------------

    def _insert_cases(self, cursor: Any, batch: list[Draft]) -> list[int]:
        rows = []
        for draft in batch:
            row = list(draft.row)
            for index in _CASE_TIMES:
                row[index] = self._time(row[index])
            rows.append(row)
        return self._insert(cursor, Case, CASE_COLUMNS, rows, returning=True)

    def _link_merged(self, cursor: Any, batch: list[Draft], ids: list[int]) -> None:
        links = []
        for pk, draft in zip(ids, batch, strict=True):
            if draft.merge_into is not None and draft.merge_params is not None:
                draft.merge_params["into"] = ids[draft.merge_into]
                links.append((ids[draft.merge_into], pk))
        if links:
            table = connection.ops.quote_name(Case._meta.db_table)
            p = self.placeholder
            cursor.executemany(
                f"UPDATE {table} SET merged_into_id = {p} WHERE id = {p}",  # noqa: S608
                links,
            )

    def _party_rows(self, batch: list[Draft], ids: list[int]) -> list[tuple[Any, ...]]:
        return [(pk, *party) for pk, d in zip(ids, batch, strict=True) for party in d.parties]

    def _event_rows(self, batch: list[Draft], ids: list[int]) -> list[tuple[Any, ...]]:
        """Each case's events in order, chained as append_event chains them: the rows go in
        in this order, so their ids follow the chain."""
        json_value = connection.ops.adapt_json_value
        rows = []
        for pk, draft in zip(ids, batch, strict=True):
            previous = GENESIS
            for kind, actor, at, old, new, raw_params in draft.events:
                params = stored_form(raw_params)
                digest = event_hash(
                    case_id=pk,
                    kind=kind,
                    actor_id=actor,
                    at=at,
                    from_status=old,
                    to_status=new,
                    params=params,
                    previous_hash=previous,
                )
                row = (pk, kind, actor, self._time(at), old, new, json_value(params, None))
                rows.append((*row, previous, digest))
                previous = digest
        return rows

    def _clock_rows(self, batch: list[Draft], ids: list[int]) -> list[list[Any]]:
        rows = []
        for pk, draft in zip(ids, batch, strict=True):
            for clock in draft.clocks:
                row = list(clock)
                for index in _CLOCK_TIMES:
                    row[index] = self._time(row[index])
                rows.append([pk, *row])
        return rows

    def _time(self, value: dt.datetime | None) -> Any:
        # What Django stores: SQLite keeps naive UTC text, PostgreSQL takes the aware value.
        if value is None or self.vendor != "sqlite":
            return value
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")

    # --- SQL ------------------------------------------------------------------------------

    def _insert(
        self,
        cursor: Any,
        model: Any,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        returning: bool = False,
    ) -> list[int]:
        if self.vendor == "postgresql":
            return self._copy(cursor, model, columns, rows, returning=returning)
        ids: list[int] = []
        start = 0
        for size in self._chunk_sizes(len(rows), len(columns)):
            chunk = rows[start : start + size]
            start += size
            sql = self._insert_sql(model, columns, size, returning)
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
        return ids

    def _copy(
        self,
        cursor: Any,
        model: Any,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        returning: bool = False,
    ) -> list[int]:
        """PostgreSQL: COPY, many times faster than INSERT for bulk rows. Ids come first from
        the table's own sequence, so the rows can carry them."""
        quote = connection.ops.quote_name
        table = model._meta.db_table
        names = [model._meta.get_field(name).column for name in columns]
        ids: list[int] = []
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [quote(table), len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            names = ["id", *names]
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        column_list = ", ".join(quote(name) for name in names)
        with cursor.copy(f"COPY {quote(table)} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return ids

    def _chunk_sizes(self, count: int, width: int) -> list[int]:
        """Full statements of the largest size, then the rest in powers of two: a handful of
        distinct statements per table, however the batches vary. (One statement per remainder
        size would fill the driver's statement cache, and this one, with large statements.)"""
        largest = 1 << (max(1, min(1024, self.max_params // width)).bit_length() - 1)
        sizes = [largest] * (count // largest)
        rest = count % largest
        sizes.extend(1 << bit for bit in range(rest.bit_length() - 1, -1, -1) if rest >> bit & 1)
        return sizes

    def _insert_sql(self, model: Any, columns: Sequence[str], count: int, returning: bool) -> str:
        key = (model._meta.db_table, count, returning)
        if key not in self._sql:
            quote = connection.ops.quote_name
            names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
            one = "(" + ", ".join([self.placeholder] * len(columns)) + ")"
            self._sql[key] = (
                f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES "  # noqa: S608
                + ", ".join([one] * count)
                + (" RETURNING id" if returning else "")
            )
        return self._sql[key]

    def _max_params(self) -> int:
        if self.vendor == "sqlite":
            raw = connection.connection
            getlimit = getattr(raw, "getlimit", None)
            return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)) if getlimit else 999
        return 30_000  # well under PostgreSQL's 65,535 bind parameters per statement
