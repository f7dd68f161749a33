"""Validating a chunk column by column (numpy/pandas, no Python loop per row on the usual
path): ``validate`` returns a ``Checked``, the valid rows as clean columns and a
``RowError(line, field, message)`` per bad row, reported once, with the first failing check in
the order of the per-row rules (diversion.reports.importing.rows). No database here.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np
import pandas as pd

from diversion.reports.importing.csvfile import _EPOCH, _US, Checked, Table
from diversion.reports.importing.rows import (
    _DATETIME,
    DECISIONS,
    DISPOSITIONS,
    ETHNICITY,
    HOLD_OUTCOMES,
    KINDS,
    LEVELS,
    PATHWAYS,
    RACE,
    SEX,
    RowError,
    _Bad,
    _date,
    _datetime,
)


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
