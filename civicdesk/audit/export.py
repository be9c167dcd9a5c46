"""The access log as CSV or XLSX: the auditor's filtered records, headings in their language."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterable
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from civicdesk.audit.choices import AccessAction, AccessChannel

# One click must not make the server build a file of millions of rows.
EXPORT_LIMIT = 100_000
FORMATS = ("csv", "xlsx")
# A spreadsheet runs a cell that starts with these as a formula; a leading apostrophe keeps it
# text (addresses and filters typed by people end up in cells).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _columns() -> list[tuple[str, Callable[[dict[str, Any]], str]]]:
    return [
        (_("When"), lambda r: _local(r["at"])),
        (_("User name"), lambda r: _text(r["user__username"])),
        (_("Name"), lambda r: _text(r["user__display_name"])),
        (_("What"), lambda r: str(AccessAction(r["action"]).label)),
        (_("Case"), lambda r: _text(r["case__receipt_code"])),
        (_("Channel"), lambda r: str(AccessChannel(r["channel"]).label)),
        (_("Network address"), lambda r: _text(r["address"])),
        (_("Detail"), lambda r: _text(json.dumps(r["detail"], ensure_ascii=False))),
    ]


def _lines(rows: Iterable[dict[str, Any]], *, capped: bool) -> Iterable[list[str]]:
    columns = _columns()
    if capped:
        yield [
            _(
                "More records match these filters: only the first {limit} are in this file. "
                "Narrow the filters to export the rest."
            ).format(limit=f"{EXPORT_LIMIT:,}")
        ]
    yield [heading for heading, _value in columns]
    for row in rows:
        yield [value(row) for _heading, value in columns]


def write_csv(rows: Iterable[dict[str, Any]], *, capped: bool) -> IO[bytes]:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    csv.writer(text).writerows(_lines(rows, capped=capped))
    text.flush()
    text.detach()
    target.seek(0)
    return target


def write_xlsx(rows: Iterable[dict[str, Any]], *, capped: bool) -> IO[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Access log"))
    for line in _lines(rows, capped=capped):
        sheet.append(line)
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook.save(target)
    target.seek(0)
    return target
