"""Reading an import file (CSV) in chunks into columns (``read_tables``), and the progress bar.
No database here.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from diversion.reports.importing.rows import KINDS, HeaderError, RowError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_US = timedelta(microseconds=1)


@dataclass
class Table:
    """A file's rows as text columns (stripped), with the line each row starts on."""

    columns: dict[str, np.ndarray]
    lines: np.ndarray
    errors: list[RowError]

    def __len__(self) -> int:
        return len(self.lines)

    def take(self, index) -> Table:
        return Table({k: v[index] for k, v in self.columns.items()}, self.lines[index], [])


@dataclass
class Checked:
    """The valid rows of a Table as clean columns (``data``: name -> numpy array, all of the
    same length, with ``line`` and ``row_hash``), and one RowError per bad row."""

    data: dict[str, np.ndarray]
    errors: list[RowError]

    def __len__(self) -> int:
        return len(self.data["line"])

    def take(self, index) -> dict[str, np.ndarray]:
        return {k: v[index] for k, v in self.data.items()}


def read_tables(data: bytes, kind: str, chunk: int = 50_000):
    """The file's rows as Tables of at most ``chunk`` rows, in file order. Raises HeaderError
    (before any Table) for a missing column or a file that is not UTF-8 (its line named); a
    row with more fields than the header is an error of its Table.

    The usual file (one line per row, no blank line, no quoted line break) is read chunk by
    chunk by pandas' C parser, so memory stays bounded; any other is read whole by the csv
    module, row by row, as csv.DictReader reads it."""
    columns, _ = KINDS[kind]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HeaderError(RowError(data[:exc.start].count(b"\n") + 1, "record_id",
                                   "the file is not UTF-8 text")) from None
    first_line = text[:text.find("\n") + 1 or len(text)]
    if first_line.count('"') % 2:  # a quoted line break in the header
        first_line = text
    header = next(csv.reader(io.StringIO(first_line, newline="")), [])
    missing = [c for c in columns if c not in header]
    if missing:
        raise HeaderError(RowError(1, missing[0], "column missing from the header (need: "
                                   + ", ".join(columns) + ")"))
    strip = _edge_space(text)
    del text
    done = 0
    if _regular(data, header):
        try:
            for part in _read_regular(data, header, chunk):
                yield _columns(part, header, columns, strip)
                done += len(part[1])
            return
        except (pd.errors.ParserError, _Irregular):
            pass  # a row wider than the header: the csv module reads the rest
    header, cols, lines, errors, multiline = _read_rows(data.decode("utf-8-sig"))
    table = _columns((cols, lines, errors), header, columns, strip or multiline)
    rest = np.flatnonzero(table.lines > done + 1)
    for start in range(0, len(rest), chunk):
        part = table.take(rest[start:start + chunk])
        if start == 0:
            part.errors = [e for e in table.errors if e.line > done + 1]
        yield part
    if not len(rest) and table.errors:
        yield Table({c: np.empty(0, dtype=object) for c in columns},
                    np.empty(0, dtype=np.int64), [e for e in table.errors if e.line > done + 1])


class _Irregular(Exception):
    pass


def _regular(data: bytes, header: list) -> bool:
    """One physical line per row and no blank line (so a row's line is its index + 2)?"""
    if not header or len(set(header)) != len(header):
        return False
    if data.count(b"\r") != data.count(b"\r\n") or b"\n\n" in data or b"\n\r\n" in data:
        return False
    if b'"' in data:  # a quoted field spans lines only if some line has an odd number of "
        return not any(line.count(b'"') % 2 for line in data.split(b"\n"))
    return True


def _columns(part, header, columns, strip) -> Table:
    cols, lines, errors = part
    where = {name: i for i, name in enumerate(header)}  # a repeated name: the last one wins
    out = {}
    for name in columns:
        values = cols[where[name]]
        if strip:
            values = [v.strip() for v in values]
        if isinstance(values, np.ndarray):
            out[name] = values
        else:
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            out[name] = arr
    return Table(out, lines, errors)


def _edge_space(text: str) -> bool:
    """Could a field begin or end with whitespace (so that values must be stripped)?"""
    if not text.isascii():
        return True
    for c in " \t\x0b\x0c\x1c\x1d\x1e\x1f":
        if c in text and (text.startswith(c) or text.endswith(c) or any(
                p in text for p in ("," + c, c + ",", '"' + c, c + '"', "\n" + c, c + "\n",
                                    c + "\r"))):
            return True
    return False


def _read_regular(data: bytes, header: list, chunk: int):
    """Chunks (columns, lines, []) of a regular file, by pandas' C parser."""
    width = len(header)
    first = 2
    frames = pd.read_csv(io.BytesIO(data), header=None, skiprows=1, dtype=str,
                         na_filter=False, index_col=False, engine="c", encoding="utf-8-sig",
                         chunksize=chunk, skip_blank_lines=False)
    try:
        for df in frames:
            if df.shape[1] > width:
                raise _Irregular
            n = len(df)
            cols = [df[c].to_numpy(dtype=object) for c in df.columns]
            cols += [np.full(n, "", dtype=object)] * (width - df.shape[1])
            yield cols, np.arange(first, first + n, dtype=np.int64), []
            first += n
    except pd.errors.EmptyDataError:
        return


def _read_rows(text: str):
    """Any CSV the csv module reads, row by row, naming each row by the line it ends on (as
    csv.DictReader does)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records = list(reader)
    multiline = reader.line_num != len(records)
    if multiline:  # a quoted field holds a line break: the line a row ends on, as DictReader
        reader = csv.reader(io.StringIO(text, newline=""))
        records, ends = [], []
        for record in reader:
            records.append(record)
            ends.append(reader.line_num)
        lines = np.array(ends, dtype=np.int64)
    else:
        lines = np.arange(1, len(records) + 1, dtype=np.int64)
    header = records[0] if records else []
    body, lines = records[1:], lines[1:]
    width = len(header)
    lens = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    too_long = lens > width
    errors = [RowError(int(line), "record_id", "the row has more fields than the header")
              for line in lines[too_long]]
    keep = (lens > 0) & ~too_long  # blank lines are skipped, as csv.DictReader does
    if not keep.all():
        body = [r for r, k in zip(body, keep, strict=True) if k]
        lines, lens = lines[keep], lens[keep]
    if (lens < width).any():
        body = [r if len(r) == width else r + [""] * (width - len(r)) for r in body]
    cols = list(zip(*body, strict=True)) if body else [()] * width
    return header, cols, lines, errors, multiline


class Progress:
    """A one-line progress bar on a terminal; silent otherwise (cron, pipes, tests)."""

    def __init__(self, total: int, stream=None, label: str = ""):
        self.total = max(total, 1)
        self.stream = stream or sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.label = label
        self.done = 0
        self._shown = -1

    def advance(self, n: int = 1):
        self.done += n
        if not self.enabled:
            return
        pct = min(100, self.done * 100 // self.total)
        if pct != self._shown:
            self._shown = pct
            bar = "#" * (pct // 4)
            self.stream.write(f"\r{self.label} [{bar:<25}] {pct:3d}% {self.done}/{self.total}")
            self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
