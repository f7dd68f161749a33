"""Deflection stops for the engine's, the CLI's and the API's tests, built in code."""

from __future__ import annotations

import copy

RULE_SET = "multnomah-deflection-2024"
WHEN = "2025-06-02T16:40:00-07:00"
OLD_TOWN = {"lat": 45.5231, "lon": -122.6765}
GRESHAM = {"lat": 45.5001, "lon": -122.4302}
BEAVERTON = {"lat": 45.4871, "lon": -122.8037}  # Washington County
# Either side of the county line with Washington County (the polygon's line runs north-south
# at about -122.7438 there): about 300 m east (Multnomah) and 300 m west (Washington).
WEST_LINE_INSIDE = {"lat": 45.4900, "lon": -122.7400}
WEST_LINE_OUTSIDE = {"lat": 45.4900, "lon": -122.7480}
# Either side of the Clackamas County line (about 45.4615 east of the Willamette).
SOUTH_LINE_INSIDE = {"lat": 45.4650, "lon": -122.5800}
SOUTH_LINE_OUTSIDE = {"lat": 45.4580, "lon": -122.5800}
VANCOUVER_WA = {"lat": 45.6387, "lon": -122.6615}  # across the Columbia

_STOP = {
    "pathway": "deflection",
    "occurred_at": WHEN,
    "location": OLD_TOWN,
    "substances": [{"substance": "methamphetamine", "grams": 0.8}],
    "other_offenses": False,
    "last_failed_deflection_on": "none",
}


def stop(**overrides) -> dict:
    """A deflection stop that is eligible, with the given keys replaced."""
    data = copy.deepcopy(_STOP)
    data.update(copy.deepcopy(overrides))
    return data


def drug(substance, grams=None, units=None) -> list:
    entry = {"substance": substance, "grams": grams}
    if units is not None:
        entry["units"] = units
    return [entry]


# ../shared/examples/screening-multnomah-deflection-2024.json, inline so that the examples run
# without ../shared: (note, input, decision, failed, unknown).
WORKED_EXAMPLES = [
    ("stop in Old Town, a small amount of methamphetamine, nothing else", stop(), "eligible",
     [], []),
    ("stop in Gresham with 1.5 g of heroin (the limit is under 1 g)",
     stop(location=GRESHAM, substances=drug("heroin", 1.5)), "ineligible",
     ["personal_use_quantity"], []),
    ("fentanyl: the rule set names no limit", stop(substances=drug("fentanyl", 0.2)),
     "needs_review", [], ["personal_use_quantity"]),
    ("a deflection failed 10 days earlier, and trespass at the stop",
     stop(other_offenses=True, last_failed_deflection_on="2025-05-23"), "ineligible",
     ["other_offenses", "recent_failed_deflection"], []),
    ("stop in Beaverton, Washington County", stop(location=BEAVERTON), "ineligible", ["area"],
     []),
]

# Every boundary of the contract: (note, input, decision, failed, unknown).
BOUNDARIES = [
    # personal-use limits: just under is met, at the limit is not
    ("heroin 0.99 g, just under 1 g", stop(substances=drug("heroin", 0.99)), "eligible", [], []),
    ("heroin 1 g, at the limit", stop(substances=drug("heroin", 1)), "ineligible",
     ["personal_use_quantity"], []),
    ("methamphetamine 1.99 g", stop(substances=drug("methamphetamine", 1.99)), "eligible", [],
     []),
    ("methamphetamine 2 g", stop(substances=drug("Methamphetamine", 2)), "ineligible",
     ["personal_use_quantity"], []),
    ("cocaine 1.99 g", stop(substances=drug("cocaine", 1.99)), "eligible", [], []),
    ("cocaine 2 g", stop(substances=drug("cocaine", 2.0)), "ineligible",
     ["personal_use_quantity"], []),
    ("cocaine 1.2 g + 0.8 g in two bags add up to 2 g",
     stop(substances=drug("cocaine", 1.2) + drug("cocaine", 0.8)), "ineligible",
     ["personal_use_quantity"], []),
    ("psilocybin 11.9 g", stop(substances=drug("psilocybin", 11.9)), "eligible", [], []),
    ("psilocybin 12 g", stop(substances=drug("psilocybin", 12)), "ineligible",
     ["personal_use_quantity"], []),
    ("MDMA 0.99 g", stop(substances=drug("MDMA", 0.99)), "eligible", [], []),
    ("MDMA 4 pills", stop(substances=drug("mdma", units=4)), "eligible", [], []),
    ("MDMA 5 pills", stop(substances=drug("mdma", units=5)), "ineligible",
     ["personal_use_quantity"], []),
    ("oxycodone 39 pills", stop(substances=drug("oxycodone", units=39)), "eligible", [], []),
    ("oxycodone 40 pills", stop(substances=drug("oxycodone", units=40)), "ineligible",
     ["personal_use_quantity"], []),
    ("LSD weighed, not counted: unknown", stop(substances=drug("lsd", 0.01)), "needs_review",
     [], ["personal_use_quantity"]),
    ("heroin, grams null", stop(substances=drug("heroin")), "needs_review", [],
     ["personal_use_quantity"]),
    ("no substances listed", stop(substances=[]), "needs_review", [],
     ["personal_use_quantity"]),
    ("substances null", stop(substances=None), "needs_review", [], ["personal_use_quantity"]),
    ("a substance not named", stop(substances=drug(None, 0.1)), "needs_review", [],
     ["personal_use_quantity"]),
    ("fentanyl beside 1.5 g of heroin: not met wins",
     stop(substances=drug("fentanyl", 0.2) + drug("heroin", 1.5)), "ineligible",
     ["personal_use_quantity"], []),
    # other offenses
    ("other offenses not known", stop(other_offenses=None), "needs_review", [],
     ["other_offenses"]),
    # the 30 days, by the stop's local date (16:40 on 2 June 2025, Pacific time)
    ("failed 30 days before", stop(last_failed_deflection_on="2025-05-03"), "ineligible",
     ["recent_failed_deflection"], []),
    ("failed 31 days before", stop(last_failed_deflection_on="2025-05-02"), "eligible", [], []),
    ("failed the same day", stop(last_failed_deflection_on="2025-06-02"), "ineligible",
     ["recent_failed_deflection"], []),
    ("no failed deflection known", stop(last_failed_deflection_on=None), "needs_review", [],
     ["recent_failed_deflection"]),
    # 23:30 on 2 June in Portland is 06:30 on 3 June in UTC: 30 local days after 3 May, which
    # is not met (by the UTC date it would be 31 days, and met).
    ("late-evening stop whose UTC date is the next day",
     stop(occurred_at="2025-06-02T23:30:00-07:00", last_failed_deflection_on="2025-05-03"),
     "ineligible", ["recent_failed_deflection"], []),
    ("the same late-evening stop given in UTC",
     stop(occurred_at="2025-06-03T06:30:00Z", last_failed_deflection_on="2025-05-03"),
     "ineligible", ["recent_failed_deflection"], []),
    ("just after local midnight, 31 days",
     stop(occurred_at="2025-06-03T00:05:00-07:00", last_failed_deflection_on="2025-05-03"),
     "eligible", [], []),
    # the county line
    ("just inside the Washington County line", stop(location=WEST_LINE_INSIDE), "eligible", [],
     []),
    ("just outside the Washington County line", stop(location=WEST_LINE_OUTSIDE), "ineligible",
     ["area"], []),
    ("just inside the Clackamas County line", stop(location=SOUTH_LINE_INSIDE), "eligible", [],
     []),
    ("just outside the Clackamas County line", stop(location=SOUTH_LINE_OUTSIDE), "ineligible",
     ["area"], []),
    ("Vancouver, across the Columbia", stop(location=VANCOUVER_WA), "ineligible", ["area"], []),
    ("area picked: multnomah_county", stop(location={"area": "multnomah_county"}), "eligible",
     [], []),
    ("another area picked", stop(location={"area": "clackamas_county"}), "ineligible",
     ["area"], []),
    ("no location", stop(location=None), "needs_review", [], ["area"]),
]

# Invalid input: (note, input, field).
INVALID = [
    ("a failure after the stop's local date",
     stop(occurred_at="2025-06-02T23:30:00-07:00", last_failed_deflection_on="2025-06-03"),
     "last_failed_deflection_on"),
    ("a failure date that is not a date", stop(last_failed_deflection_on="2025-02-30"),
     "last_failed_deflection_on"),
    ("a failure date with a time", stop(last_failed_deflection_on="2025-05-01T10:00:00"),
     "last_failed_deflection_on"),
    ("a failure date 'None'", stop(last_failed_deflection_on="None"),
     "last_failed_deflection_on"),
    ("other_offenses a string", stop(other_offenses="no"), "other_offenses"),
    ("negative grams", stop(substances=drug("heroin", -1)), "substances[0].grams"),
    ("negative units", stop(substances=drug("mdma", units=-1)), "substances[0].units"),
    ("units a string", stop(substances=[{"substance": "lsd", "units": "ten"}]),
     "substances[0].units"),
    ("a LEAD arrest under the deflection rule set", stop(pathway="arrest"), "pathway"),
]
