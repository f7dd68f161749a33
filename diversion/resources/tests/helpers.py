"""Builders for resources tests: a small synthetic HSDS directory and an open case."""

import csv
from pathlib import Path

from django.utils import timezone

from diversion import testing
from diversion.cases.models import Case, CaseStatus
from diversion.referrals.models import Referral
from diversion.resources import hsds

OFFICIAL = Path(__file__).resolve().parent / "hsds_official" / "examples"


def official(name: str) -> Path:
    """An official HSDS 3.0 example (see hsds_official/README.md)."""
    return OFFICIAL / name


# Three services in Portland: a shelter downtown, a food pantry in Old Town, a clinic in
# the Lloyd District. Ids are HSDS-style UUIDs.
ORG = "a0000000-0000-4000-8000-000000000001"
ORG2 = "a0000000-0000-4000-8000-000000000002"
SHELTER, PANTRY, CLINIC = (f"b0000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))
LOC_DOWNTOWN, LOC_OLDTOWN, LOC_LLOYD = (f"c0000000-0000-4000-8000-00000000000{i}"
                                        for i in (1, 2, 3))
TERM_SHELTER, TERM_FOOD, TERM_MEDICAL = (f"d0000000-0000-4000-8000-00000000000{i}"
                                         for i in (1, 2, 3))

ROWS = {
    "organizations.csv": [
        ["id", "name", "alternate_name", "description", "email", "website"],
        [ORG, "Bridgetown Outreach", "BTO", "Street outreach, shelter and food.",
         "hello@bto.example.org", "https://bto.example.org"],
        [ORG2, "Eastbank Clinic", "", 'Walk-in care, "no questions asked".', "", ""],
    ],
    "services.csv": [
        ["id", "organization_id", "name", "alternate_name", "description", "url", "email",
         "status", "application_process", "fees_description", "eligibility_description"],
        [SHELTER, ORG, "Night shelter", "", "Beds from 7 pm; pets welcome.", "", "",
         "active", "Walk in before 9 pm.", "Free", "Adults"],
        [PANTRY, ORG, "Food pantry", "", "Groceries twice a week,\nno ID needed.", "", "",
         "active", "", "", ""],
        [CLINIC, ORG2, "Walk-in clinic", "", "Primary care and wound care.", "", "",
         "active", "", "", ""],
    ],
    "locations.csv": [
        ["id", "location_type", "url", "organization_id", "name", "alternate_name",
         "description", "transportation", "latitude", "longitude"],
        [LOC_DOWNTOWN, "physical", "", ORG, "Park Blocks site", "", "", "MAX: Library",
         "45.5186", "-122.681"],
        [LOC_OLDTOWN, "physical", "", ORG, "Old Town site", "", "", "", "45.5246",
         "-122.6736"],
        [LOC_LLOYD, "physical", "", ORG2, "Lloyd site", "", "", "", "45.5311", "-122.6544"],
    ],
    "service_at_location.csv": [
        ["id", "service_id", "location_id", "description"],
        ["e0000000-0000-4000-8000-000000000001", SHELTER, LOC_DOWNTOWN, ""],
        ["e0000000-0000-4000-8000-000000000002", PANTRY, LOC_OLDTOWN, ""],
        ["e0000000-0000-4000-8000-000000000003", CLINIC, LOC_LLOYD, "Mornings only"],
    ],
    "addresses.csv": [
        ["id", "location_id", "attention", "address_1", "address_2", "city", "region",
         "state_province", "postal_code", "country", "address_type"],
        ["f0000000-0000-4000-8000-000000000001", LOC_DOWNTOWN, "", "100 SW Example Ave", "",
         "Portland", "", "OR", "97205", "US", "physical"],
    ],
    "phones.csv": [
        ["id", "location_id", "service_id", "organization_id", "service_at_location_id",
         "number", "extension", "type", "description"],
        ["90000000-0000-4000-8000-000000000001", "", SHELTER, "", "", "503-555-0100", "12",
         "voice", "Front desk"],
        ["90000000-0000-4000-8000-000000000002", "", "", ORG2, "", "503-555-0199", "",
         "text", ""],
    ],
    "taxonomy_terms.csv": [
        ["id", "code", "name", "description", "taxonomy"],
        [TERM_SHELTER, "shelter", "Shelter", "A place to sleep", "local"],
        [TERM_FOOD, "food", "Food", "Meals and groceries", "local"],
        [TERM_MEDICAL, "medical", "Medical care", "Health care", "local"],
    ],
    "attributes.csv": [
        ["id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value", "label"],
        ["80000000-0000-4000-8000-000000000001", SHELTER, TERM_SHELTER, "", "service", "", ""],
        ["80000000-0000-4000-8000-000000000002", PANTRY, TERM_FOOD, "", "service", "", ""],
        ["80000000-0000-4000-8000-000000000003", CLINIC, TERM_MEDICAL, "", "service", "", ""],
    ],
}


def write_package(directory: Path, rows: dict | None = None) -> Path:
    """Write ROWS as HSDS CSV files, each with the official Data Package's full header
    (columns ROWS leaves out are written empty)."""
    directory.mkdir(parents=True, exist_ok=True)
    by_file = {r["path"]: r["name"] for r in hsds.tables().values()}
    for name, table in (rows or ROWS).items():
        header, *body = table
        fields = hsds.table_fields(by_file[name])
        with open(directory / name, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(fields)
            for row in body:
                values = dict(zip(header, row, strict=True))
                writer.writerow([values.get(f, "") for f in fields])
    return directory


def make_case(*, site, case_manager, officer, status=CaseStatus.ENGAGED) -> Case:
    person = testing.make_person(site=site)
    now = timezone.now()
    referral = Referral.objects.create(
        site=site, person=person, officer=officer, pathway="arrest", occurred_at=now,
        screening_input=testing.screening_input(), accepted=True, choice_recorded_at=now)
    return Case.objects.create(site=site, person=person, referral=referral,
                               case_manager=case_manager, status=status, opened_at=now)
