"""Raw DB-API access for the benchmark floors: the same rows and selects as the application,
written as plain SQL on a plain connection (no ORM, no serialisation, no HTTP)."""

from __future__ import annotations

import sqlite3
import urllib.parse
from typing import Any


def vendor_of(url: str) -> str:
    return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def sqlite_path(url: str) -> str:
    # sqlite:////abs/path -> /abs/path
    return url.split("sqlite://", 1)[1]


def with_database(url: str, name: str) -> str:
    """The same PostgreSQL server, another database."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


class Raw:
    """A thin wrapper so one SQL text (with %s placeholders) runs on both databases."""

    def __init__(self, url: str, *, autocommit: bool = False) -> None:
        self.url = url
        self.vendor = vendor_of(url)
        if self.vendor == "postgresql":
            import psycopg

            # No server-side prepared statements: Django does not use them either, and generic
            # plans could differ from the custom plans the application gets.
            self.conn: Any = psycopg.connect(url, autocommit=autocommit, prepare_threshold=None)
        else:
            # The application's own pragmas (settings._database_config), so the floor pays the
            # same WAL/synchronous/foreign-key costs.
            self.conn = sqlite3.connect(sqlite_path(url), isolation_level=None, timeout=30)
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA foreign_keys=ON",
                "PRAGMA busy_timeout=10000",
            ):
                self.conn.execute(pragma)
        self.autocommit = autocommit

    def sql(self, text: str) -> str:
        return text if self.vendor == "postgresql" else text.replace("%s", "?")

    def begin(self) -> None:
        if self.vendor == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")
        # psycopg opens a transaction implicitly on the first statement.

    def commit(self) -> None:
        if self.vendor == "sqlite":
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()

    def rollback(self) -> None:
        if self.vendor == "sqlite":
            self.conn.execute("ROLLBACK")
        else:
            self.conn.rollback()

    def execute(self, text: str, params: Any = ()) -> Any:
        cur = self.conn.cursor()
        cur.execute(self.sql(text), params)
        return cur

    def fetchall(self, text: str, params: Any = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(text, params).fetchall())

    def scalar(self, text: str, params: Any = ()) -> Any:
        row = self.execute(text, params).fetchone()
        return row[0] if row else None

    def executemany(self, text: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        cur = self.conn.cursor()
        cur.executemany(self.sql(text), rows)

    def columns(self, table: str) -> list[str]:
        """The table's writable columns: generated ones (the search tsvector) are left out."""
        cur = self.execute(f"SELECT * FROM {table} WHERE 1=0")
        names = [d[0] for d in cur.description]
        if self.vendor != "postgresql":
            return names
        generated = {
            row[0]
            for row in self.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND is_generated = 'ALWAYS'",
                (table,),
            ).fetchall()
        }
        return [name for name in names if name not in generated]

    def close(self) -> None:
        self.conn.close()


def adapt_row(raw: Raw, row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Values read back from PostgreSQL jsonb come as dicts; wrap them to write them again."""
    if raw.vendor != "postgresql":
        return row
    from psycopg.types.json import Jsonb

    return tuple(Jsonb(v) if isinstance(v, (dict, list)) else v for v in row)


def insert_sql(table: str, columns: list[str]) -> str:
    cols = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({cols}) VALUES ({marks})"
