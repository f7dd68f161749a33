"""CSV that a spreadsheet opens as text, never as a formula (OWASP "CSV injection").

A text cell starting with = + - @ tab or carriage return (also after leading spaces,
and the full-width = + - @ some spreadsheets accept) is written with a leading
apostrophe, which spreadsheets show as text and hide. Numbers stay numbers, so a
negative amount is untouched. Use it for every CSV (and XLSX) export of free text.
"""

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value):
    """The cell value made inert: text that could start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(_TRIGGERS) or text.lstrip(" ").startswith(_TRIGGERS):
        return "'" + text
    return text


def safe_row(row: Iterable) -> list:
    return [neutralise(cell) for cell in row]


class SafeWriter:
    """csv.writer whose every cell passes through `neutralise`."""

    def __init__(self, fileobj, **fmtparams):
        self._writer = csv.writer(fileobj, **fmtparams)

    def writerow(self, row: Iterable):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable]):
        for row in rows:
            self.writerow(row)


def csv_text(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    """A whole CSV document as text, header first, every cell neutralised."""
    buf = io.StringIO()
    writer = SafeWriter(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()
