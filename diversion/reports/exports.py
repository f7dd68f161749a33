"""Tables out: CSV and XLSX, with spreadsheet formula injection neutralised.

A cell that starts with = + - @ tab or carriage return is read as a formula by spreadsheet
programs (OWASP "CSV injection"); such text is written with a leading apostrophe. Numbers are
written as numbers, so a negative number is not touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from diversion.lib import safe_csv


def neutralise(value):
    """Text through `diversion.lib.safe_csv.neutralise` (one rule for every export); numbers,
    dates and blanks as they are, so spreadsheets keep their types."""
    return safe_csv.neutralise(value) if isinstance(value, str) else value


def _cells(rows: list[dict], columns: list[str] | None):
    columns = columns or (list(rows[0]) if rows else [])
    yield columns
    for row in rows:
        yield [neutralise(_plain(row.get(c))) for c in columns]


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def to_csv(rows: list[dict], columns: list[str] | None = None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for line in _cells(rows, columns):
        writer.writerow(line)
    return buf.getvalue()


def to_xlsx(sheets: Iterable[tuple[str, list[dict]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        for line in _cells(rows, None):
            ws.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
