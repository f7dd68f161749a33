"""Shared helpers for the intake (web form) tests. Every name here is synthetic (Faker)."""

import re
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from faker import Faker

from diversion.audit.models import AuditEvent
from diversion.cases.models import Case
from diversion.notifications.models import Notification
from diversion.people.models import Person
from diversion.referrals.models import Decision, Referral
from diversion.testing import synthetic_surname

fake = Faker("en_US")
fake.seed_instance(20270112)

# 21:30 Pacific on 12 January 2027: a quarter of an hour after the arrest in form_data().
NOW = datetime(2027, 1, 13, 5, 30, tzinfo=UTC)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def form_data(**overrides) -> dict:
    """What an officer's phone posts for an eligible downtown PCS arrest; override any field,
    or pass None to leave a field out."""
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "pathway": "arrest",
        "occurred_at": "2027-01-12T21:15",
        "lat": "", "lon": "",
        "area": "downtown",
        "given_name": fake.first_name(),
        "family_name": synthetic_surname(),
        "date_of_birth": fake.date_of_birth(minimum_age=18, maximum_age=70).isoformat(),
        "person_match": "",
        "offense": "PCS", "offense_code": "",
        "substantial_quantity": "no", "commercial_drug_offense": "no",
        "substance_1": "methamphetamine", "grams_1": "3.4",
        "substance_2": "", "grams_2": "", "substance_3": "", "grams_3": "",
        "high_risk_of_drug_arrest": "unknown",
        "active_extraditable_warrant": "no",
        "no_contact_order_with_participant": "no",
        "lead_status": "never",
        "ops_team_recommends_readmission": "unknown",
        "da_agrees_to_readmission": "unknown",
        "specialty_court": "none",
        "supervision": "none",
        "supervision_for_person_offense": "unknown",
        "ops_team_denial": "no",
        "exceptional_circumstances": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def row_counts() -> dict:
    counts = {model.__name__: model.objects.count()
              for model in (Referral, Person, Decision, Case, Notification)}
    # A refused request for a record leaves an audit event "denied" (audit.middleware), and
    # each look-up of known people an event "person.match" (diversion.policy.people), each
    # page that shows a record an event "record.view" (audit.reads); what must not appear is
    # an event of a change.
    counts["AuditEvent"] = AuditEvent.objects.exclude(outcome="denied").exclude(
        action__in=["person.match", "record.view"]).count()
    return counts


def field_error(html: str, field: str) -> str:
    """The text of FIELD's error block, which must be tied to its input by aria-describedby."""
    match = re.search(rf'<div class="error" id="id_{field}_error">(.*?)</div>', html, re.S)
    assert match, f"no error shown for {field}"
    assert re.search(rf'aria-describedby="[^"]*\bid_{field}_error\b', html), \
        f"the error of {field} is not tied to its input"
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip()


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)
