"""Synthetic referral input (Faker) for the demo data set, which the tests' builders
(diversion.testing) use too. Nothing here is about a real person."""

from faker import Faker

fake = Faker("en_US")

# Director Park, downtown Portland: inside the 2017 downtown area.
DOWNTOWN = {"lat": 45.5186, "lon": -122.681}


def screening_input(**overrides) -> dict:
    """A complete, eligible arrest referral in downtown Portland; override any key."""
    data = {
        "pathway": "arrest",
        "occurred_at": "2027-01-12T21:15:00-08:00",
        "location": dict(DOWNTOWN),
        "charge": {"offense": "PCS", "substantial_quantity": False,
                   "commercial_drug_offense": False},
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
    data.update(overrides)
    return data
