"""The case list as an XLSX workbook: the same filters as the page, headings in the reader's
language, case fields only."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable
from typing import IO, Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from civicdesk.cases.choices import CaseType, Channel, Priority, Status, WarningLevel

# A hard stop so one click cannot make the server build a file of a million rows.
EXPORT_LIMIT = 50_000
# Residents sometimes write their mobile number into the title; a file that leaves the system
# must not carry it. Chinese mobile numbers: 11 digits starting with 1.
MOBILE_NUMBER = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def _chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def _local(moment: Any) -> Any:
    # Excel has no time zones: write the wall-clock time of the configured zone.
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def _staff(row: dict[str, Any], prefix: str) -> str:
    return str(row[prefix + "__display_name"] or row[prefix + "__username"] or "")


def _columns() -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    category = "category__name_zh" if _chinese() else "category__name_en"
    return [
        (_("Receipt code"), lambda r: r["receipt_code"]),
        (_("Title"), lambda r: MOBILE_NUMBER.sub("***", r["title"])),
        (_("Type"), lambda r: str(CaseType(r["type"]).label)),
        (_("Channel"), lambda r: str(Channel(r["channel"]).label)),
        (_("Category"), lambda r: r[category]),
        (_("Priority"), lambda r: str(Priority(r["priority"]).label)),
        (_("Status"), lambda r: str(Status(r["status"]).label)),
        (_("Deadline warning"), lambda r: str(WarningLevel(r["warning_level"]).label)),
        (_("Area"), lambda r: r["area__name"]),
        (_("Department"), lambda r: r["department__name"] or ""),
        (_("Responsible leader"), lambda r: _staff(r, "leader")),
        (_("Handler"), lambda r: _staff(r, "handler")),
        (_("Received"), lambda r: _local(r["received_at"])),
        (_("Closed"), lambda r: _local(r["closed_at"])),
    ]


def write_case_workbook(rows: Iterable[dict[str, Any]], *, capped: bool) -> IO[bytes]:
    """Writes the rows into a temporary file (write-only mode keeps memory flat) and returns
    it rewound, ready to be streamed to the browser."""
    workbook = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = workbook.create_sheet(_("Cases"))
    columns = _columns()
    if capped:
        sheet.append(
            [
                _(
                    "More cases match these filters: only the first {limit} are in this file. "
                    "Narrow the filters to export the rest."
                ).format(limit=f"{EXPORT_LIMIT:,}")
            ]
        )
    sheet.append([_bold(sheet, heading) for heading, _value in columns])
    for row in rows:
        sheet.append([value(row) for _heading, value in columns])
    target = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    workbook.save(target)
    target.seek(0)
    return target


def _bold(sheet: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=text)
    cell.font = Font(bold=True)
    return cell
