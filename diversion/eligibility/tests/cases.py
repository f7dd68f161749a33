"""Inputs for the engine's tests, built in code."""

from __future__ import annotations

import copy

WHEN = "2027-01-12T21:15:00-08:00"
DIRECTOR_PARK = {"lat": 45.5186, "lon": -122.681}
HOLLADAY_PARK = {"lat": 45.5305, "lon": -122.656}
KENTON = {"lat": 45.584, "lon": -122.686}
SE_BELMONT_7TH = {"lat": 45.5163, "lon": -122.6590}  # Central Eastside, added in May 2018

_ARREST = {
    "pathway": "arrest",
    "occurred_at": WHEN,
    "location": DIRECTOR_PARK,
    "charge": {"offense": "PCS", "substantial_quantity": False, "commercial_drug_offense": False},
    "substances": [{"substance": "methamphetamine", "grams": 3.4}],
    "active_extraditable_warrant": False,
    "no_contact_order_with_participant": False,
    "lead_status": "never",
    "specialty_court": "none",
    "supervision": "none",
    "supervision_for_person_offense": None,
    "ops_team_recommends_readmission": None,
    "da_agrees_to_readmission": None,
    "ops_team_denial": False,
    "exceptional_circumstances": None,
}


def arrest(**overrides) -> dict:
    """An arrest that is eligible, with the given keys replaced."""
    data = copy.deepcopy(_ARREST)
    data.update(copy.deepcopy(overrides))
    return data


def social_contact(**overrides) -> dict:
    """A social contact referral that is eligible, with the given keys replaced."""
    data = copy.deepcopy(_ARREST)
    del data["charge"], data["substances"]
    data.update(
        pathway="social_contact", location={"area": "old_town"}, high_risk_of_drug_arrest=True
    )
    data.update(copy.deepcopy(overrides))
    return data


def result_of(decision: dict, criterion: str) -> str:
    return next(c["result"] for c in decision["criteria"] if c["id"] == criterion)


def explanation_of(decision: dict, criterion: str) -> str:
    return next(c["explanation"] for c in decision["criteria"] if c["id"] == criterion)


# The worked examples of ../shared/examples/screening-multnomah-lead-2017.json, inline so that
# they run even without ../shared: (note, overrides of an eligible arrest or social contact,
# decision, failed, unknown).
WORKED_EXAMPLES = [
    ("arrest in Director Park, downtown, small amount", arrest(), "eligible", [], []),
    ("arrest at Holladay Park, Lloyd District", arrest(location=HOLLADAY_PARK), "eligible", [], []),
    ("arrest in Kenton, outside every area", arrest(location=KENTON), "ineligible", ["area"], []),
    (
        "10 g of methamphetamine reaches the threshold",
        arrest(substances=[{"substance": "Methamphetamine", "grams": 10}]),
        "ineligible",
        ["quantity"],
        [],
    ),
    (
        "warrant check not yet back",
        arrest(active_extraditable_warrant=None),
        "needs_review",
        [],
        ["warrant"],
    ),
    (
        "on parole for a person offense",
        arrest(supervision="parole", supervision_for_person_offense=True),
        "ineligible",
        ["supervision"],
        [],
    ),
    (
        "social contact in Old Town, officer judges high risk",
        social_contact(charge=None, substances=None),
        "eligible",
        [],
        [],
    ),
    (
        "former participant: Operations Team recommends, DA not asked yet",
        arrest(lead_status="former", ops_team_recommends_readmission=True),
        "needs_review",
        [],
        ["prior_participation"],
    ),
]
