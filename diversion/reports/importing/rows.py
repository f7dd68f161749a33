"""The import formats row by row (docs/import-formats.md): the per-row rules.

``parse_arrest`` / ``parse_referral`` are the reference the column checks
(diversion.reports.importing.columns) must agree with (the tests compare both on random rows)
and the fallback for the rare values the fast path leaves undecided (dates outside pandas'
range, ``nan`` / ``inf`` coordinates). No database here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

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


class HeaderError(Exception):
    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error
