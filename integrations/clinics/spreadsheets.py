"""Excel workbooks (.xlsx) in and out, through openpyxl: rows of text for the appointment
import, and the import's template to download.

A workbook's cells come back as the text a person sees in Excel: a date cell as
"2026-12-04 15:00" (Korean wall-clock time, as typed), a whole number without ".0", so the
import reads a workbook and a CSV file by the same rules.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time

# An .xlsx file is a zip archive; these are its first bytes.
_ZIP_MAGIC = b"PK\x03\x04"
# The most rows a day's import reads; a bigger sheet is the wrong file.
MAX_ROWS = 5000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class NotAWorkbook(ValueError):
    """The bytes look like a workbook but openpyxl cannot read them."""


def is_workbook(data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC)


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(data: bytes) -> Iterator[list[str]]:
    """The first sheet's rows as lists of text (at most MAX_ROWS)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise NotAWorkbook(str(exc)) from None
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    rows = [] if sheet is None else [
        [cell_text(value) for value in row]
        for row in sheet.iter_rows(max_row=MAX_ROWS, values_only=True)
    ]
    workbook.close()
    return iter(rows)


def workbook_bytes(header: Sequence[str], rows: Iterable[Sequence[object]],
                   widths: Sequence[int] = ()) -> bytes:
    """A one-sheet workbook: a bold header row, then the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
