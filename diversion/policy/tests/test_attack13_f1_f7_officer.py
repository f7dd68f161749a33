"""Attack 13, findings F1 and F7: what an officer learns about a participant.

F1. The referral form's look-up stops at 30 look-ups in 10 minutes, but the attacker sent
    `POST /api/v1/referrals` with a participant's name and date of birth 33 times and got 201
    each time, with the internal `"person_id": 106` and "Already a current participant".
F7. After a supervisor reassigned the case, the officer's own /referrals/12/ showed the case
    manager who carries it now, although the person's consents were revoked.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion import testing
from diversion.api.testing import ApiClient
from diversion.audit.models import AuditEvent
from diversion.cases.services.caseloads import case_reassign
from diversion.cases.tests.conftest import open_case
from diversion.policy.people import MATCH_LIMIT
from diversion.referrals.models import Referral


@pytest.fixture
def participant(site, personas):
    other = testing.make_user(username="oscar", role="officer", site=site)
    case = open_case(site, officer=other, case_manager=personas["case_manager"],
                     occurred_at=timezone.now() - timedelta(days=2))
    return case.person


def _probe(participant):
    return {**testing.screening_input(pathway="social_contact"),
            "person": {"given_name": participant.given_name,
                       "family_name": participant.family_name,
                       "date_of_birth": participant.date_of_birth.isoformat()}}


def test_the_api_referral_counts_against_the_look_up_limit(officer, participant):
    api = ApiClient(officer)
    for _ in range(MATCH_LIMIT):
        response = api.post("/api/v1/referrals", _probe(participant))
        assert response.status_code == 201
        assert "person_id" not in response.json()  # never the internal id to an officer
    stored = Referral.objects.filter(officer=officer).count()
    refused = api.post("/api/v1/referrals", _probe(participant))
    assert refused.status_code == 429
    assert Referral.objects.filter(officer=officer).count() == stored
    # One counter: the web look-up is refused too once the API has used the allowance.
    client = Client()
    client.force_login(officer)
    look = client.get(reverse("referrals:person_matches"), {
        "given_name": participant.given_name, "family_name": participant.family_name,
        "date_of_birth": participant.date_of_birth.isoformat()})
    assert look.status_code == 429
    assert AuditEvent.objects.filter(actor=officer, action="person.match",
                                     outcome="denied").count() == 2


def test_the_officer_reads_no_person_id_in_the_list_or_detail(officer, participant):
    api = ApiClient(officer)
    made = api.post("/api/v1/referrals", _probe(participant)).json()
    assert "person_id" not in api.get(f"/api/v1/referrals/{made['id']}").json()
    assert all("person_id" not in r for r in api.get("/api/v1/referrals").json()["items"])


def test_the_officer_sees_the_case_manager_notified_not_the_current_one(site, personas):
    officer, first = personas["officer"], personas["case_manager"]
    case = open_case(site, officer=officer, case_manager=first,
                     occurred_at=timezone.now() - timedelta(days=2))
    now_carrying = personas["other_case_manager"]
    case_reassign(case=case, to=now_carrying, actor=personas["supervisor"], reason="leave")
    client = Client()
    client.force_login(officer)
    html = client.get(f"/referrals/{case.referral_id}/").content.decode()
    assert first.display_name in html
    assert now_carrying.display_name not in html


def test_the_operations_team_gets_no_person_id_from_the_case_api(site, personas):
    """Leftover of issue 13: /api/v1/people answers the Operations Team 403, but the case
    API handed it each case's person_id."""
    case = open_case(site, officer=personas["officer"], case_manager=personas["case_manager"])
    api = ApiClient(personas["ops_team"])
    assert "person_id" not in api.get(f"/api/v1/cases/{case.pk}").json()
    assert all("person_id" not in c for c in api.get("/api/v1/cases").json()["items"])
    assert ApiClient(personas["supervisor"]).get(
        f"/api/v1/cases/{case.pk}").json()["person_id"] == case.person_id
