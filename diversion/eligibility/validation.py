"""Turn one referral (JSON-like dict) into a checked, normalised ``Referral``.

Validation is hand-written rather than schema-driven: it is several times faster and every
error names the exact field path (``substances[2].grams``) that an officer has to fix.

Choices where the contract is silent (also in docs/rules.md):
- Every key except ``pathway`` and ``occurred_at`` may be omitted or null ("not known").
  Keys the contract does not name are ignored: other systems send more.
- Keys of criteria that do not apply to the pathway are still type-checked; their values are
  not used.
- ``location`` is ``{"lat", "lon"}`` or ``{"area"}``; ``lat`` without ``lon`` (or the reverse)
  is invalid; an empty location or one with only nulls is unknown.
- A substance entry whose ``substance`` is null is a substance not yet named.
- ``last_failed_deflection_on`` is a date ``YYYY-MM-DD`` or ``"none"``; whether it is after the
  stop's local date is checked once a rule set (and so a time zone) is chosen.
- A substance entry may carry ``units`` (pills, tablets, doses), for the personal-use limits
  counted in units rather than grams.
- Strings of enums must match exactly (``"never"``, not ``"Never"``); substance names are
  trimmed and case-insensitive; the offense code ``PCS`` is trimmed and case-insensitive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from .errors import InvalidInput

PATHWAYS = ("arrest", "social_contact", "deflection")
NONE = "none"
LEAD_STATUSES = ("never", "current", "former")
SPECIALTY_COURT = ("none", "eligible_pending_case", "engaged")
SUPERVISION = ("none", "post_prison", "parole", "formal_probation", "bench_probation")

BOOL_KEYS = (
    "high_risk_of_drug_arrest",
    "active_extraditable_warrant",
    "no_contact_order_with_participant",
    "ops_team_recommends_readmission",
    "da_agrees_to_readmission",
    "supervision_for_person_offense",
    "ops_team_denial",
    "other_offenses",
)
_MAX_TEXT = 10_000  # a written reason longer than this is not a reason but a paste accident


@dataclass(slots=True, frozen=True)
class Referral:
    """A validated referral. ``None`` always means "not known"."""

    pathway: str
    occurred_at: datetime
    lat: float | None = None
    lon: float | None = None
    area: str | None = None
    offense: str | None = None
    substantial_quantity: bool | None = None
    commercial_drug_offense: bool | None = None
    # substance name (None: not named yet) -> (grams known so far, some grams not known)
    substances: dict | None = None
    high_risk_of_drug_arrest: bool | None = None
    active_extraditable_warrant: bool | None = None
    no_contact_order_with_participant: bool | None = None
    lead_status: str | None = None
    ops_team_recommends_readmission: bool | None = None
    da_agrees_to_readmission: bool | None = None
    specialty_court: str | None = None
    supervision: str | None = None
    supervision_for_person_offense: bool | None = None
    ops_team_denial: bool | None = None
    exceptional_circumstances: str | None = None
    # deflection: another crime at the stop; the last failed deflection (a date, "none")
    other_offenses: bool | None = None
    last_failed_deflection_on: date | str | None = None
    # substance name -> (units known so far, some units not known); units: pills or doses
    substance_units: dict | None = None

    @property
    def is_pcs(self) -> bool:
        return self.offense is not None and self.offense.upper() == "PCS"


def _bool(value, field):
    if value is None or value is True or value is False:
        return value
    raise InvalidInput(field, "must be true, false or null")


def _enum(value, field, choices):
    if value is None:
        return None
    if type(value) is str and value in choices:
        return value
    raise InvalidInput(field, "must be one of " + ", ".join(f'"{c}"' for c in choices) + " or null")


def _number(value, field):
    """A finite JSON number (bool is not a number), or None."""
    if value is None:
        return None
    t = type(value)
    if t is float:
        if math.isfinite(value):
            return value
        raise InvalidInput(field, "must be a finite number")
    if t is int:
        try:
            return float(value)
        except OverflowError:
            raise InvalidInput(field, "is out of range") from None
    if t is bool or not isinstance(value, int | float):
        raise InvalidInput(field, "must be a number")
    try:  # subclasses of int/float (e.g. numpy scalars, Decimal is not one)
        number = float(value)
    except (OverflowError, ValueError):
        raise InvalidInput(field, "must be a finite number") from None
    if not math.isfinite(number):
        raise InvalidInput(field, "must be a finite number")
    return number


def _occurred_at(value) -> datetime:
    field = "occurred_at"
    if value is None:
        raise InvalidInput(field, "is required: the date and time of the arrest or contact")
    if isinstance(value, datetime):
        parsed = value
    elif type(value) is str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                field,
                "must be an ISO 8601 date-time with a UTC offset, e.g. 2027-01-12T21:15:00-08:00",
            ) from None
    else:
        raise InvalidInput(field, "must be a string: an ISO 8601 date-time with a UTC offset")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInput(
            field,
            "must have a UTC offset (e.g. -08:00 or Z); a date or a local time alone is ambiguous",
        )
    return parsed


def _location(value):
    """(lat, lon, area) from the ``location`` key."""
    if value is None:
        return None, None, None
    if type(value) is not dict:
        raise InvalidInput(
            "location", 'must be an object: {"lat": ..., "lon": ...} or {"area": ...}'
        )
    lat = _number(value.get("lat"), "location.lat")
    lon = _number(value.get("lon"), "location.lon")
    if lat is not None and not -90.0 <= lat <= 90.0:
        raise InvalidInput("location.lat", "must be between -90 and 90")
    if lon is not None and not -180.0 <= lon <= 180.0:
        raise InvalidInput("location.lon", "must be between -180 and 180")
    if (lat is None) != (lon is None):
        missing = "location.lon" if lon is None else "location.lat"
        raise InvalidInput(missing, "is required with the other coordinate")
    area = value.get("area")
    if area is not None:
        if type(area) is not str:
            raise InvalidInput("location.area", "must be a string: the id of an area")
        area = area.strip()
        if not area:
            raise InvalidInput("location.area", "must not be empty")
    return lat, lon, area


def _charge(value):
    if value is None:
        return None, None, None
    if type(value) is not dict:
        raise InvalidInput(
            "charge",
            "must be an object with offense, substantial_quantity and commercial_drug_offense",
        )
    offense = value.get("offense")
    if offense is not None:
        if type(offense) is not str:
            raise InvalidInput("charge.offense", 'must be a string: "PCS" or another offense code')
        offense = offense.strip()
        if not offense:
            raise InvalidInput("charge.offense", 'must not be empty: "PCS" or another offense code')
    return (
        offense,
        _bool(value.get("substantial_quantity"), "charge.substantial_quantity"),
        _bool(value.get("commercial_drug_offense"), "charge.commercial_drug_offense"),
    )


def _substances(value):
    """(grams by substance, units by substance): each ``name -> (known, some not known)``."""
    if value is None:
        return None, None
    if type(value) is not list:
        raise InvalidInput("substances", 'must be a list of {"substance": name, "grams": number}')
    totals: dict = {}
    units: dict = {}
    for i, entry in enumerate(value):
        if type(entry) is not dict:
            raise InvalidInput(
                f"substances[{i}]", 'must be an object: {"substance": name, "grams": number}'
            )
        name = entry.get("substance")
        if name is not None:
            if type(name) is not str:
                raise InvalidInput(f"substances[{i}].substance", "must be a string")
            name = " ".join(name.split()).casefold()
            if not name:
                raise InvalidInput(f"substances[{i}].substance", "must not be empty")
        grams = _number(entry.get("grams"), f"substances[{i}].grams")
        if grams is not None and grams < 0:
            raise InvalidInput(f"substances[{i}].grams", "must not be negative")
        known, unknown = totals.get(name, (0.0, False))
        if grams is None:
            totals[name] = (known, True)
        else:
            totals[name] = (known + grams, unknown)
        count = _number(entry.get("units"), f"substances[{i}].units")
        if count is not None and count < 0:
            raise InvalidInput(f"substances[{i}].units", "must not be negative")
        known, unknown = units.get(name, (0.0, False))
        units[name] = (known, True) if count is None else (known + count, unknown)
    # Round to a microgram so that 2.2 + 2.8 is 5 and not 4.999999999999999.
    return (
        {name: (round(known, 6), unknown) for name, (known, unknown) in totals.items()},
        {name: (round(known, 6), unknown) for name, (known, unknown) in units.items()},
    )


def _failed_on(value):
    field = "last_failed_deflection_on"
    if value is None or value == NONE:
        return value
    if type(value) is str and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(field, 'must be a date YYYY-MM-DD, "none" or null')


def _text(value, field):
    if value is None:
        return None
    if type(value) is not str:
        raise InvalidInput(field, "must be a string or null")
    if len(value) > _MAX_TEXT:
        raise InvalidInput(field, f"must be at most {_MAX_TEXT} characters")
    return value


def validate(data) -> Referral:
    """Check one referral and return it normalised, or raise ``InvalidInput``.

    Area ids are checked against a rule set only once one is chosen (``screen`` does it).
    """
    if type(data) is not dict:
        raise InvalidInput(InvalidInput.ROOT, "must be a JSON object: one referral")
    get = data.get
    pathway = get("pathway")
    if pathway is None:
        raise InvalidInput("pathway", 'is required: "arrest", "social_contact" or "deflection"')
    if type(pathway) is not str or pathway not in PATHWAYS:
        raise InvalidInput("pathway", 'must be "arrest", "social_contact" or "deflection"')
    occurred_at = _occurred_at(get("occurred_at"))
    lat, lon, area = _location(get("location"))
    offense, sq, cdo = _charge(get("charge"))
    substances, units = _substances(get("substances"))
    bools = [_bool(get(key), key) for key in BOOL_KEYS]
    return Referral(
        pathway=pathway,
        occurred_at=occurred_at,
        lat=lat,
        lon=lon,
        area=area,
        offense=offense,
        substantial_quantity=sq,
        commercial_drug_offense=cdo,
        substances=substances,
        high_risk_of_drug_arrest=bools[0],
        active_extraditable_warrant=bools[1],
        no_contact_order_with_participant=bools[2],
        ops_team_recommends_readmission=bools[3],
        da_agrees_to_readmission=bools[4],
        supervision_for_person_offense=bools[5],
        ops_team_denial=bools[6],
        other_offenses=bools[7],
        last_failed_deflection_on=_failed_on(get("last_failed_deflection_on")),
        substance_units=units,
        lead_status=_enum(get("lead_status"), "lead_status", LEAD_STATUSES),
        specialty_court=_enum(get("specialty_court"), "specialty_court", SPECIALTY_COURT),
        supervision=_enum(get("supervision"), "supervision", SUPERVISION),
        exceptional_circumstances=_text(
            get("exceptional_circumstances"), "exceptional_circumstances"
        ),
    )
