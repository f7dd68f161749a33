"""Parsing and validating the import formats (docs/import-formats.md). No database here.

``read_tables`` reads a file in chunks; ``validate`` checks a chunk column by column
(numpy/pandas, no Python loop per row on the usual path) and returns a ``Checked``: the
valid rows as clean columns and a ``RowError(line, field, message)`` per bad row. A row is
reported once, with the first failing check in the order of the per-row rules below
(``parse_arrest`` / ``parse_referral``), which stay as the reference the column checks must
agree with (the tests compare both on random rows) and as the fallback for the rare values
the fast path leaves undecided (dates outside pandas' range, ``nan`` / ``inf`` coordinates).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from diversion.people.models import Person
from diversion.referrals.models import Decision, Pathway
from diversion.reports.models import Disposition, HoldOutcome, Level
from diversion.reports.synth import ARREST_COLUMNS, REFERRAL_COLUMNS

# The codes an import accepts are the models' own choices: one list, never two to keep in step.
SEX = set(Person.Sex.values)
RACE = set(Person.Race.values)
ETHNICITY = set(Person.Ethnicity.values)
LEVELS = set(Level.values)
DISPOSITIONS = set(Disposition.values)
PATHWAYS = set(Pathway.values)
DECISIONS = set(Decision.Verdict.values)
HOLD_OUTCOMES = set(HoldOutcome.values)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class _Bad(Exception):
    def __init__(self, field, message):
        self.field, self.message = field, message


def _text(row, field, *, max_length, required=False):
    value = (row.get(field) or "").strip()
    if required and not value:
        raise _Bad(field, "is required")
    if len(value) > max_length:
        raise _Bad(field, f"is longer than {max_length} characters")
    return value


def _choice(row, field, allowed, *, blank=None):
    value = (row.get(field) or "").strip()
    if not value and blank is not None:
        return blank
    if value not in allowed:
        raise _Bad(field, f"{value!r} is not one of {', '.join(sorted(allowed))}")
    return value


def _bool(row, field, *, allow_blank=False):
    value = (row.get(field) or "").strip().lower()
    if value == "true":
        return True
    if value == "false":
        return False
    if allow_blank and value == "":
        return None
    raise _Bad(field, "must be true or false" + (" or blank" if allow_blank else ""))


def _date(row, field):
    value = (row.get(field) or "").strip()
    if not value:
        return None
    if not _DATE.match(value):
        raise _Bad(field, f"{value!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad(field, f"{value!r} is not a real date") from None


def _datetime(row, field, *, required):
    value = (row.get(field) or "").strip()
    if not value:
        if required:
            raise _Bad(field, "is required")
        return None
    if not _DATETIME.match(value):
        raise _Bad(field, f"{value!r} is not an ISO 8601 date-time with a UTC offset "
                   "(e.g. 2017-03-01T14:05:00-08:00)")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(field, f"{value!r} is not a real date-time") from None


def _coord(row, field, low, high):
    value = (row.get(field) or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise _Bad(field, f"{value!r} is not a number") from None
    if not (low <= number <= high):
        raise _Bad(field, f"{value} is outside {low}..{high}")
    return number


def _identity(row) -> dict:
    data = {
        "record_id": _text(row, "record_id", max_length=64, required=True),
        "person_key": _text(row, "person_key", max_length=64),
        "given_name": _text(row, "given_name", max_length=100),
        "family_name": _text(row, "family_name", max_length=100),
        "date_of_birth": _date(row, "date_of_birth"),
        "sex": _choice(row, "sex", SEX, blank="U"),
        "race": _choice(row, "race", RACE, blank="U"),
        "ethnicity": _choice(row, "ethnicity", ETHNICITY, blank="U"),
        "lat": _coord(row, "lat", -90, 90),
        "lon": _coord(row, "lon", -180, 180),
    }
    if (data["lat"] is None) != (data["lon"] is None):
        raise _Bad("lat" if data["lat"] is None else "lon", "give both lat and lon, or neither")
    if not data["person_key"] and not (data["family_name"] and data["date_of_birth"]):
        raise _Bad("person_key", "is required unless family_name and date_of_birth are given")
    return data


def parse_arrest(row: dict) -> dict:
    data = _identity(row)
    data.update(
        arrested_at=_datetime(row, "arrested_at", required=True),
        statute=_text(row, "statute", max_length=64),
        description=_text(row, "description", max_length=300),
        level=_choice(row, "level", LEVELS),
        is_pcs=_bool(row, "is_pcs"),
        warrant_arrest=_bool(row, "warrant_arrest"),
        disposition=_choice(row, "disposition", DISPOSITIONS, blank="unknown"),
    )
    return data


def parse_referral(row: dict) -> dict:
    data = _identity(row)
    data.update(
        pathway=_choice(row, "pathway", PATHWAYS),
        referred_at=_datetime(row, "referred_at", required=True),
        decision=_choice(row, "decision", DECISIONS),
        accepted=_bool(row, "accepted", allow_blank=True),
        first_contact_at=_datetime(row, "first_contact_at", required=False),
        assessment_completed_at=_datetime(row, "assessment_completed_at", required=False),
        hold_outcome=_choice(row, "hold_outcome", HOLD_OUTCOMES, blank="none"),
    )
    if data["accepted"] and data["decision"] != "eligible":
        raise _Bad("accepted", "only an eligible referral can be accepted")
    for field in ("first_contact_at", "assessment_completed_at"):
        if data[field] is not None and data[field] < data["referred_at"]:
            raise _Bad(field, "is before referred_at")
    if data["hold_outcome"] != "none" and data["pathway"] != "arrest":
        raise _Bad("hold_outcome", "a prosecution hold exists only on the arrest pathway")
    return data


KINDS = {
    "arrests": (ARREST_COLUMNS, parse_arrest),
    "referrals": (REFERRAL_COLUMNS, parse_referral),
}


def row_hash(row: dict, columns) -> str:
    return hashlib.sha256("\x1f".join((row.get(c) or "").strip() for c in columns)
                          .encode()).hexdigest()


# ------------------------------------------------------------------ column by column

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


class _Verdicts:
    """The first failing check of each row, in the order the checks are made."""

    def __init__(self, n: int):
        self.bad = np.zeros(n, dtype=bool)
        self.field = np.empty(n, dtype=object)
        self.message = np.empty(n, dtype=object)

    def flag(self, mask, field, message):
        idx = np.flatnonzero(mask & ~self.bad)
        if idx.size:
            self.bad[idx] = True
            self.field[idx] = field
            self.message[idx] = [message(i) for i in idx] if callable(message) else message


def _lengths(col) -> np.ndarray:
    return np.fromiter(map(len, col), dtype=np.int64, count=len(col))


def _v_text(v, t, field, *, max_length, required=False):
    col = t.columns[field]
    if required:
        v.flag(col == "", field, "is required")
    v.flag(_lengths(col) > max_length, field, f"is longer than {max_length} characters")
    return col


def _v_choice(v, t, field, allowed, *, blank=None):
    col = t.columns[field]
    if blank is not None:
        col = np.where(col == "", blank, col).astype(object)
    ok = pd.Series(col, dtype=object).isin(sorted(allowed)).to_numpy()
    choices = ", ".join(sorted(allowed))
    v.flag(~ok, field, lambda i: f"{col[i]!r} is not one of {choices}")
    return col


def _v_bool(v, t, field, *, allow_blank=False):
    """true/false in any letter case (as the per-row rule: ``.lower()``)."""
    col = t.columns[field]
    yes, no = col == "true", col == "false"
    rest = np.flatnonzero(~(yes | no))
    if rest.size:
        low = np.array([col[i].lower() for i in rest], dtype=object)
        yes[rest], no[rest] = low == "true", low == "false"
    blank = (col == "") if allow_blank else np.zeros(len(col), dtype=bool)
    v.flag(~(yes | no | blank), field,
           "must be true or false" + (" or blank" if allow_blank else ""))
    if not allow_blank:
        return yes
    out = np.full(len(col), None, dtype=object)
    out[yes], out[no] = True, False
    return out


def _v_date(v, t, field):
    """Dates are few and repeat (dates of birth): each distinct value is checked once by the
    per-row rule. Returns the ISO text (blank: None)."""
    col = t.columns[field]
    verdict = {}
    for value in pd.unique(col):
        try:
            _date({field: value}, field)
            verdict[value] = None
        except _Bad as bad:
            verdict[value] = bad.message
    messages = pd.Series(col, dtype=object).map(verdict).to_numpy()
    v.flag(pd.notna(messages), field, lambda i: messages[i])
    out = col.copy()
    out[col == ""] = None
    return out


_DATETIME_PATTERN = _DATETIME.pattern.removeprefix("^").removesuffix("$")


_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24]
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _fast_iso(col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The usual shape, ``YYYY-MM-DDTHH:MM:SS+HH:MM`` (ASCII digits, every part in range),
    to UTC microseconds by arithmetic on the characters; other values are left (ok False)."""
    n = len(col)
    us, ok = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    idx = np.flatnonzero(_lengths(col) == 25)
    if not idx.size:
        return us, ok
    ch = np.array(col[idx].tolist(), dtype="U25").view(np.uint32).reshape(-1, 25)
    d = ch.astype(np.int64) - 48

    def num(*pos):
        return sum(d[:, p] * 10 ** (len(pos) - 1 - k) for k, p in enumerate(pos))

    good = ((d[:, _DIGITS] >= 0) & (d[:, _DIGITS] <= 9)).all(axis=1)
    good &= (ch[:, 4] == 45) & (ch[:, 7] == 45) & ((ch[:, 10] == 84) | (ch[:, 10] == 32))
    good &= (ch[:, 13] == 58) & (ch[:, 16] == 58) & (ch[:, 22] == 58)
    good &= (ch[:, 19] == 43) | (ch[:, 19] == 45)
    year, month, day = num(0, 1, 2, 3), num(5, 6), num(8, 9)
    hour, minute, second = num(11, 12), num(14, 15), num(17, 18)
    off_h, off_m = num(20, 21), num(23, 24)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    good &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    good &= (hour <= 23) & (minute <= 59) & (second <= 59) & (off_h <= 23) & (off_m <= 59)
    # days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    sign = np.where(ch[:, 19] == 45, -1, 1)
    secs = days * 86400 + hour * 3600 + minute * 60 + second - sign * (off_h * 3600 + off_m * 60)
    us[idx[good]] = secs[good] * 1_000_000
    ok[idx[good]] = True
    return us, ok


def _v_datetime(v, t, field, *, required):
    """ISO 8601 with an offset. The usual shape is read by ``_fast_iso``; the rest: the shape
    by the per-row pattern, the value by pandas' C parser, and what pandas refuses (hour 24,
    offsets of a day, years outside 1677..2262) by the per-row rule. Returns UTC microseconds
    since 1970 (int64) and whether a value was given."""
    col = t.columns[field]
    present = col != ""
    if required:
        v.flag(~present, field, "is required")
    us, ok = _fast_iso(col)
    rest = np.flatnonzero(present & ~ok)
    if rest.size:
        s = pd.Series(col[rest], dtype=object)
        shape = s.str.fullmatch(_DATETIME_PATTERN).to_numpy(dtype=bool)
        v.flag(np.isin(np.arange(len(col)), rest[~shape]), field,
               lambda i: f"{col[i]!r} is not an ISO 8601 date-time with a UTC offset "
               "(e.g. 2017-03-01T14:05:00-08:00)")
        parsed = pd.to_datetime(s.where(shape), format="ISO8601", utc=True, errors="coerce")
        parsed_ok = parsed.notna().to_numpy()
        ns = parsed.dt.tz_convert(None).to_numpy().view(np.int64)
        us[rest[parsed_ok]] = ns[parsed_ok] // 1000
        ok[rest[parsed_ok]] = True
        for i in rest[shape & ~parsed_ok]:  # rare: let the per-row rule decide
            try:
                at = _datetime({field: col[i]}, field, required=False)
                us[i] = (at - _EPOCH) // _US
                ok[i] = True
            except (_Bad, OverflowError):
                pass
        shaped = np.isin(np.arange(len(col)), rest[shape])
        v.flag(shaped & ~ok, field, lambda i: f"{col[i]!r} is not a real date-time")
    return us, present


def _v_coord(v, t, field, low, high):
    col = t.columns[field]
    present = col != ""
    x = np.full(len(col), np.nan)
    idx = np.flatnonzero(present)
    try:
        x[idx] = col[idx].astype(float)  # float() of each value, as the per-row rule
    except ValueError:
        numbers = []
        for i in idx:
            try:
                numbers.append(float(col[i]))
            except ValueError:
                numbers.append(None)
        bad = np.array([n is None for n in numbers], dtype=bool)
        v.flag(np.isin(np.arange(len(col)), idx[bad]), field,
               lambda i: f"{col[i]!r} is not a number")
        x[idx[~bad]] = [n for n in numbers if n is not None]
    with np.errstate(invalid="ignore"):
        inside = (low <= x) & (x <= high)
    v.flag(present & ~inside, field, lambda i: f"{col[i]} is outside {low}..{high}")
    return x, present


def _v_identity(v, t) -> dict:
    d = {
        "record_id": _v_text(v, t, "record_id", max_length=64, required=True),
        "person_key": _v_text(v, t, "person_key", max_length=64),
        "given_name": _v_text(v, t, "given_name", max_length=100),
        "family_name": _v_text(v, t, "family_name", max_length=100),
        "date_of_birth": _v_date(v, t, "date_of_birth"),
        "sex": _v_choice(v, t, "sex", SEX, blank="U"),
        "race": _v_choice(v, t, "race", RACE, blank="U"),
        "ethnicity": _v_choice(v, t, "ethnicity", ETHNICITY, blank="U"),
    }
    d["lat"], has_lat = _v_coord(v, t, "lat", -90, 90)
    d["lon"], has_lon = _v_coord(v, t, "lon", -180, 180)
    one = has_lat != has_lon
    v.flag(one & ~has_lat, "lat", "give both lat and lon, or neither")
    v.flag(one & has_lat, "lon", "give both lat and lon, or neither")
    named = (d["family_name"] != "") & (t.columns["date_of_birth"] != "")
    v.flag((d["person_key"] == "") & ~named, "person_key",
           "is required unless family_name and date_of_birth are given")
    return d


def _v_arrests(v, t) -> dict:
    d = _v_identity(v, t)
    d["arrested_at"], _ = _v_datetime(v, t, "arrested_at", required=True)
    d["statute"] = _v_text(v, t, "statute", max_length=64)
    d["description"] = _v_text(v, t, "description", max_length=300)
    d["level"] = _v_choice(v, t, "level", LEVELS)
    d["is_pcs"] = _v_bool(v, t, "is_pcs")
    d["warrant_arrest"] = _v_bool(v, t, "warrant_arrest")
    d["disposition"] = _v_choice(v, t, "disposition", DISPOSITIONS, blank="unknown")
    return d


def _v_referrals(v, t) -> dict:
    d = _v_identity(v, t)
    d["pathway"] = _v_choice(v, t, "pathway", PATHWAYS)
    d["referred_at"], _ = _v_datetime(v, t, "referred_at", required=True)
    d["decision"] = _v_choice(v, t, "decision", DECISIONS)
    d["accepted"] = _v_bool(v, t, "accepted", allow_blank=True)
    later = {}
    for name in ("first_contact_at", "assessment_completed_at"):
        d[name], later[name] = _v_datetime(v, t, name, required=False)
    d["hold_outcome"] = _v_choice(v, t, "hold_outcome", HOLD_OUTCOMES, blank="none")
    v.flag((d["accepted"] == True) & (d["decision"] != "eligible"), "accepted",  # noqa: E712
           "only an eligible referral can be accepted")
    for name, present in later.items():
        v.flag(present & (d[name] < d["referred_at"]), name, "is before referred_at")
        d[name + "_present"] = present
    v.flag((d["hold_outcome"] != "none") & (d["pathway"] != "arrest"), "hold_outcome",
           "a prosecution hold exists only on the arrest pathway")
    return d


def validate(table: Table, kind: str) -> Checked:
    columns, _ = KINDS[kind]
    v = _Verdicts(len(table))
    d = (_v_arrests if kind == "arrests" else _v_referrals)(v, table)
    good = ~v.bad
    errors = [RowError(int(line), f, m) for line, f, m in
              zip(table.lines[v.bad], v.field[v.bad], v.message[v.bad], strict=True)]
    data = {k: a[good] for k, a in d.items()}
    data["line"] = table.lines[good]
    raw = [table.columns[c][good] for c in columns]
    data["row_hash"] = np.array([hashlib.sha256(j.encode()).hexdigest()
                                 for j in map("\x1f".join, zip(*raw, strict=True))]
                                if len(raw[0]) else [], dtype=object)
    return Checked(data, sorted(table.errors + errors, key=lambda e: e.line))


def utc_text(us: np.ndarray) -> np.ndarray:
    """UTC microseconds -> 'YYYY-MM-DD HH:MM:SS[.ffffff]', the text Django stores on SQLite."""
    out = np.empty(len(us), dtype=object)
    whole = us % 1_000_000 == 0
    for mask, unit in ((whole, "s"), (~whole, "us")):
        if mask.any():
            text = np.datetime_as_string(us[mask].astype("datetime64[us]"), unit=unit)
            out[mask] = np.strings.replace(text, "T", " ", 1).tolist()
    return out


def utc_datetimes(us) -> list:
    return [_EPOCH + timedelta(microseconds=int(u)) for u in us]


class HeaderError(Exception):
    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


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
