"""Named predicates: the code half of a rule set.

A rule file names a predicate for each criterion and gives its parameters; the predicate is a
factory ``make(params, rule_set_facts) -> check`` run once when the rule set loads, and
``check(referral, place) -> (result, explanation)`` runs on every screening. ``place`` is the
engine's reading of the location: ``(area id or None, how)`` with ``how`` one of
``"coordinates"``, ``"picked"``, ``"conflict"`` or ``"unknown"``.

Explanations are sentences an officer understands. They never repeat free text from the
input (an offense code, a substance name, a written reason), so that no name or other personal
detail typed into a field can leak into a stored decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .errors import RuleSetError

MET, NOT_MET, UNKNOWN, NOT_APPLICABLE = "met", "not_met", "unknown", "not_applicable"

PREDICATES: dict[str, Predicate] = {}


@dataclass(frozen=True)
class Predicate:
    name: str
    make: Callable
    params: dict  # parameter name -> (type, required)
    doc: str


def predicate(name: str, **params):
    def register(make):
        PREDICATES[name] = Predicate(name, make, params, (make.__doc__ or "").strip())
        return make

    return register


def _grams(value: float) -> str:
    return f"{value:g} g"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


_VERBS = {"arrest": "Arrested", "social_contact": "Contacted", "deflection": "Stopped"}


def _verb(pathway: str) -> str:
    return _VERBS[pathway]


@predicate("in_area")
def in_area(params, facts):
    """Met when the location is inside one of the rule set's areas."""
    areas = facts["areas"]
    names = _join([areas.name(a) for a in areas.ids])

    def check(ref, place):
        area, how = place
        if how == "unknown":
            return UNKNOWN, "Location not known yet: give the coordinates or pick the area."
        if how == "conflict":
            found = areas.name(area) if area else "outside the program's areas"
            picked = areas.name(ref.area) if ref.area in areas else "outside the program's areas"
            return UNKNOWN, (
                f"The area picked ({picked}) and the coordinates "
                f"({ref.lat:.5f}, {ref.lon:.5f}: {found}) disagree: confirm where it happened."
            )
        if area is None and how == "picked":
            # the picked id is free text: not repeated
            return NOT_MET, (
                f"{_verb(ref.pathway)} in an area picked outside the program's areas ({names})."
            )
        if area is None:
            return NOT_MET, (
                f"{_verb(ref.pathway)} at {ref.lat:.5f}, {ref.lon:.5f}, outside the "
                f"program's areas ({names})."
            )
        return MET, f"{_verb(ref.pathway)} in {areas.name(area)}, inside the program's areas."

    return check


@predicate("pcs_offense")
def pcs_offense(params, facts):
    """Met when the offense is PCS and neither substantial_quantity (SQ) nor
    commercial_drug_offense (CDO) is true."""

    def check(ref, place):
        sq, cdo = ref.substantial_quantity, ref.commercial_drug_offense
        if sq or cdo:
            which = _join(
                (["a substantial quantity (SQ)"] if sq else [])
                + (["a commercial drug offense (CDO)"] if cdo else [])
            )
            return NOT_MET, (
                f"Charged as {which}; the program takes possession of a controlled "
                "substance (PCS) only without SQ or CDO."
            )
        if ref.offense is None:
            return UNKNOWN, (
                "Charge not known yet: confirm whether it is possession of a controlled "
                "substance (PCS)."
            )
        if not ref.is_pcs:
            return NOT_MET, (
                "Charge is another offense, not possession of a controlled substance (PCS)."
            )
        missing = (["a substantial quantity (SQ)"] if sq is None else []) + (
            ["a commercial drug offense (CDO)"] if cdo is None else []
        )
        if missing:
            return UNKNOWN, (
                f"Charge is PCS, but not known yet whether it is {' or '.join(missing)}: confirm."
            )
        return MET, (
            "Charge is possession of a controlled substance (PCS), not a substantial quantity "
            "(SQ) or commercial drug offense (CDO)."
        )

    return check


@predicate("officer_judges_high_risk")
def officer_judges_high_risk(params, facts):
    """Met when the officer judges the person at high risk of arrest for drug possession."""

    def check(ref, place):
        value = ref.high_risk_of_drug_arrest
        if value is None:
            return UNKNOWN, (
                "Officer's judgement not given yet: say whether the person is at high risk "
                "of arrest for drug possession."
            )
        if value:
            return MET, "Officer judges the person at high risk of arrest for drug possession."
        return NOT_MET, (
            "Officer does not judge the person at high risk of arrest for drug possession; a "
            "social contact referral needs that judgement."
        )

    return check


@predicate("below_thresholds", thresholds=(dict, True))
def below_thresholds(params, facts):
    """Met when every substance with a threshold is carried in an amount strictly below it.
    ``thresholds`` maps a substance name (case-insensitive) to the grams at or above which the
    person is excluded; substances without a threshold do not count."""
    thresholds = {}
    for name, grams in params["thresholds"].items():
        if isinstance(grams, bool) or not isinstance(grams, int | float) or grams <= 0:
            raise RuleSetError(
                facts["where"], f"threshold for {name!r} must be a positive number of grams"
            )
        thresholds[" ".join(name.split()).casefold()] = float(grams)
    limits = _join([f"{name} under {_grams(g)}" for name, g in thresholds.items()])

    def check(ref, place):
        carried = ref.substances
        if carried is None:
            return UNKNOWN, (
                f"Amounts carried not known yet: give the grams of each drug ({limits}), or "
                "an empty list if none."
            )
        over, unknown, under = [], [], []
        for name, limit in thresholds.items():
            if name not in carried:
                continue
            known, some_unknown = carried[name]
            if known >= limit:
                over.append(
                    f"Carrying {_grams(known)}{' or more' if some_unknown else ''} of {name}; "
                    f"the limit is less than {_grams(limit)}."
                )
            elif some_unknown:
                unknown.append(f"grams of {name} not known yet (limit: less than {_grams(limit)})")
            else:
                under.append(f"{_grams(known)} of {name} (limit: less than {_grams(limit)})")
        if over:
            return NOT_MET, " ".join(over)
        if None in carried:
            unknown.append(f"a substance is not named yet ({limits} count)")
        if unknown:
            text = "; ".join(unknown)
            return UNKNOWN, f"{text[0].upper()}{text[1:]}: weigh or name them."
        if under:
            return MET, f"Carrying {_join(under)}."
        if carried:
            return MET, f"No drug with a limit carried ({limits})."
        return MET, "No drugs carried."

    return check


@predicate("total_below", limit=(float, True))
def total_below(params, facts):
    """Met when all substances together weigh strictly less than ``limit`` grams (Seattle's
    "under 3 grams")."""
    limit = params["limit"]
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit <= 0:
        raise RuleSetError(facts["where"], "limit must be a positive number of grams")
    limit = float(limit)

    def check(ref, place):
        carried = ref.substances
        if carried is None:
            return UNKNOWN, (
                f"Amounts carried not known yet: give the grams of each drug (all together "
                f"under {_grams(limit)}), or an empty list if none."
            )
        total = round(sum(known for known, _ in carried.values()), 6)
        some_unknown = any(unknown for _, unknown in carried.values())
        if total >= limit:
            return NOT_MET, (
                f"Carrying {_grams(total)}{' or more' if some_unknown else ''} of drugs in "
                f"all; the limit is less than {_grams(limit)}."
            )
        if some_unknown:
            return UNKNOWN, (
                f"Grams of some drug not known yet: weigh it; the limit is less than "
                f"{_grams(limit)} in all."
            )
        return MET, f"Carrying {_grams(total)} of drugs in all, under {_grams(limit)}."

    return check


def _flag(name, key, when_false, when_true, when_unknown):
    """A criterion met when one yes/no fact is false."""

    @predicate(name)
    def make(params, facts):
        def check(ref, place):
            value = getattr(ref, key)
            if value is None:
                return UNKNOWN, when_unknown
            return (NOT_MET, when_true) if value else (MET, when_false)

        return check

    make.__doc__ = f"Met when {key} is false; unknown when it is not known."
    PREDICATES[name] = Predicate(name, make, {}, make.__doc__)
    return make


_flag(
    "no_warrant",
    "active_extraditable_warrant",
    "No active extraditable warrant.",
    "Has an active extraditable warrant.",
    "Warrant check not known yet: confirm whether there is an active extraditable warrant.",
)
_flag(
    "no_contact_order",
    "no_contact_order_with_participant",
    "No court order forbids contact with a current participant.",
    "A no-contact, restraining or other court order forbids contact with a current participant.",
    "Not known yet whether a no-contact, restraining or other court order forbids contact "
    "with a current participant: check the orders.",
)
_flag(
    "no_other_offenses",
    "other_offenses",
    "Not committing any other crime at the stop.",
    "Committing another crime at the stop (e.g. trespass, a warrant, failure to appear).",
    "Not known yet whether another crime was committed at the stop: confirm.",
)
_flag(
    "no_ops_team_denial",
    "ops_team_denial",
    "Not denied by the Operations Team.",
    "Denied by the Operations Team.",
    "Not known yet whether the Operations Team denies the referral: ask the Operations Team.",
)


@predicate("prior_participation")
def prior_participation(params, facts):
    """Met for someone never in the program, or a former participant whose readmission the
    Operations Team recommends and the District Attorney agrees to; a current participant is
    not met."""

    def check(ref, place):
        status = ref.lead_status
        if status == "never":
            return MET, "Never been in the program before."
        if status == "current":
            return NOT_MET, "Already a current participant."
        if status is None:
            return UNKNOWN, (
                "Not known yet whether the person is or was in the program: check the records."
            )
        ops, da = ref.ops_team_recommends_readmission, ref.da_agrees_to_readmission
        if ops is True and da is True:
            return MET, (
                "Former participant; the Operations Team recommends readmission and the "
                "District Attorney's Office agrees."
            )
        refused = (
            ["the Operations Team does not recommend readmission"] if ops is False else []
        ) + (["the District Attorney's Office does not agree to it"] if da is False else [])
        if refused:
            return NOT_MET, f"Former participant; {' and '.join(refused)}."
        missing = (["ask the Operations Team for its recommendation"] if ops is None else []) + (
            ["ask the District Attorney's Office whether it agrees"] if da is None else []
        )
        return UNKNOWN, (
            f"Former participant; readmission needs the Operations Team's recommendation and "
            f"the District Attorney's agreement: {' and '.join(missing)}."
        )

    return check


@predicate("no_specialty_court", court=(str, False))
def no_specialty_court(params, facts):
    """Met when specialty_court is "none"."""
    court = params.get("court", "a specialty court")

    def check(ref, place):
        value = ref.specialty_court
        if value == "none":
            return MET, f"No pending case eligible for {court}, and not engaged in one."
        if value == "eligible_pending_case":
            return NOT_MET, f"Has a pending case eligible for {court}."
        if value == "engaged":
            return NOT_MET, f"Engaged in {court}."
        return UNKNOWN, (
            f"Specialty court not known yet: check for a pending case eligible for {court} "
            "or engagement in one."
        )

    return check


SUPERVISION_NAMES = {
    "post_prison": "post-prison supervision",
    "parole": "parole",
    "formal_probation": "formal probation",
    "bench_probation": "misdemeanor bench probation",
}


@predicate("supervision_not_for_person_offense")
def supervision_not_for_person_offense(params, facts):
    """Met when supervision is "none", or any kind of supervision not for a person offense.
    ``supervision_for_person_offense`` is ignored when supervision is "none"."""

    def check(ref, place):
        kind = ref.supervision
        if kind == "none":
            return MET, "Not on supervision."
        if kind is None:
            return UNKNOWN, (
                "Supervision not known yet: check for post-prison supervision, parole, formal "
                "probation or bench probation."
            )
        name = SUPERVISION_NAMES[kind]
        person = ref.supervision_for_person_offense
        if person is None:
            return UNKNOWN, (f"On {name}; not known yet whether it is for a person offense: check.")
        if person:
            return NOT_MET, f"On {name} for a person offense."
        return MET, f"On {name}, but not for a person offense."

    return check


@predicate("no_exceptional_circumstances")
def no_exceptional_circumstances(params, facts):
    """Met when no written reason is given (null, absent or blank)."""

    def check(ref, place):
        reason = ref.exceptional_circumstances
        if reason is None or not reason.strip():
            return MET, "No exceptional circumstances given."
        return NOT_MET, "Exceptional circumstances given: see the written reason."

    return check


def _amount(value: float, unit: str) -> str:
    return _grams(value) if unit == "g" else f"{value:g} {unit}"


@predicate("below_personal_use_limits", limits=(dict, True))
def below_personal_use_limits(params, facts):
    """Met when every substance carried is strictly below its personal-use limit. ``limits``
    maps a substance name (case-insensitive) to a table with ``grams`` and/or ``units`` (pills,
    tablets or doses): at or over any limit given is not met. Unknown when a substance has no
    limit in the rule set, its amount in a limited measure is not known, a substance is not
    named, or none is listed (an empty list or null) -- unless another substance is not met."""
    limits = {}
    for name, table in params["limits"].items():
        if not isinstance(table, dict) or not table or set(table) - {"grams", "units"}:
            raise RuleSetError(
                facts["where"], f"limit for {name!r} must be a table of grams and/or units"
            )
        for key, value in table.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise RuleSetError(facts["where"], f"{key} for {name!r} must be positive")
        limits[" ".join(name.split()).casefold()] = (
            float(table["grams"]) if "grams" in table else None,
            float(table["units"]) if "units" in table else None,
        )

    def describe(grams, units):
        parts = ([f"less than {_grams(grams)}"] if grams else []) + (
            [f"fewer than {units:g} units"] if units else []
        )
        return " or ".join(parts)

    def check(ref, place):
        carried, counted = ref.substances, ref.substance_units
        if not carried:
            return UNKNOWN, (
                "No substance listed: name each drug and its amount to check the personal-use "
                "limits."
            )
        over, unknown, under = [], [], []
        for name in carried:
            if name is None:
                unknown.append("a substance is not named yet")
                continue
            if name not in limits:
                unknown.append("a substance has no personal-use limit in these rules")
                continue
            grams_limit, units_limit = limits[name]
            measures = []
            if grams_limit is not None:
                measures.append((carried[name], grams_limit, "g"))
            if units_limit is not None:
                measures.append((counted.get(name, (0.0, True)), units_limit, "units"))
            limit_text = describe(grams_limit, units_limit)
            reached = [
                f"{_amount(known, unit)}{' or more' if some else ''}"
                for (known, some), limit, unit in measures
                if known >= limit
            ]
            if reached:
                over.append(
                    f"Carrying {' and '.join(reached)} of {name}; the personal-use limit is "
                    f"{limit_text}."
                )
                continue
            sure = [
                _amount(known, unit) for (known, some), limit, unit in measures if not some
            ]
            if sure:
                under.append(f"{sure[0]} of {name} (limit: {limit_text})")
            else:
                unknown.append(f"the amount of {name} is not known yet ({limit_text})")
        if over:
            return NOT_MET, " ".join(over)
        if unknown:
            text = "; ".join(unknown)
            return UNKNOWN, f"{text[0].upper()}{text[1:]}: check it against the limits."
        return MET, f"Carrying {_join(under)}: personal use."

    return check


@predicate("no_recent_failed_deflection", days=(int, True))
def no_recent_failed_deflection(params, facts):
    """Met when no deflection failed within ``days`` days before the stop: the stop's local
    date (the rule set's time zone) minus the failure date is more than ``days``; "none" is
    met, null unknown. A failure after the stop's local date is invalid input (checked when the
    rule set is chosen)."""
    days = params["days"]
    if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
        raise RuleSetError(facts["where"], "days must be a positive whole number")
    tz = facts["tz"]

    def check(ref, place):
        failed_on = ref.last_failed_deflection_on
        if failed_on is None:
            return UNKNOWN, (
                "Not known yet whether a deflection failed in the last "
                f"{days} days: check the records."
            )
        if not isinstance(failed_on, date):
            return MET, "No failed deflection on record."
        gap = (ref.occurred_at.astimezone(tz).date() - failed_on).days
        if gap <= days:
            return NOT_MET, (
                f"A deflection failed on {failed_on.isoformat()}, {gap} days before the stop; "
                f"eligible again after {days} days."
            )
        return MET, (
            f"Last failed deflection on {failed_on.isoformat()}, more than {days} days before "
            "the stop."
        )

    return check
