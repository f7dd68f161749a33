"""Findings 2 and 6 of the review, replayed: an officer enumerates people.

2. `POST /api/v1/referrals` with `"person": {"id": N}` (ids are sequential) was accepted, the
   decision said "Already a current participant" and /referrals/<id>/ showed the full name.
6. `GET /referrals/new/person-matches/` with a family name, an initial and a date of birth
   returned the full name and birth date of someone the officer never referred, unaudited.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion import testing
from diversion.api.testing import ApiClient
from diversion.audit.models import AuditEvent
from diversion.cases.tests.conftest import open_case
from diversion.people.models import Person
from diversion.policy.people import MATCH_LIMIT
from diversion.referrals.models import Referral


@pytest.fixture
def participant(site, personas):
    """Someone with an open case, referred by another officer (never by olivia)."""
    other = testing.make_user(username="oscar", role="officer", site=site)
    case = open_case(site, officer=other, case_manager=personas["case_manager"],
                     occurred_at=timezone.now() - timedelta(days=2))
    return case.person


@pytest.fixture
def olivia(officer):
    client = Client()
    client.force_login(officer)
    return client


def test_an_officer_cannot_refer_a_person_by_id(officer, participant):
    before = Referral.objects.count()
    response = ApiClient(officer).post("/api/v1/referrals", {
        **testing.screening_input(), "person": {"id": participant.pk}})
    assert response.status_code == 400
    assert "person.id" in response.content.decode()
    assert Referral.objects.count() == before
    assert Referral.objects.filter(person=participant, officer=officer).count() == 0


def test_the_person_look_up_needs_the_full_name_and_date_of_birth(olivia, participant):
    url = reverse("referrals:person_matches")
    initial = olivia.get(url, {"given_name": participant.given_name[:1],
                               "family_name": participant.family_name,
                               "date_of_birth": participant.date_of_birth.isoformat()})
    no_dob = olivia.get(url, {"given_name": participant.given_name,
                              "family_name": participant.family_name})
    for response in (initial, no_dob):
        html = response.content.decode()
        assert participant.given_name not in html
        assert 'name="person_match"' not in html


def test_the_look_up_shows_only_what_the_officer_typed(olivia, participant):
    # The officer types the name in capitals, without accents: the answer says it is known,
    # in the officer's own words; the stored spelling and the record's id never appear.
    typed_given, typed_family = participant.given_name.upper(), participant.family_name.upper()
    html = olivia.get(reverse("referrals:person_matches"), {
        "given_name": typed_given, "family_name": typed_family,
        "date_of_birth": participant.date_of_birth.isoformat()}).content.decode()
    assert 'name="person_match"' in html
    assert typed_family in html
    assert participant.family_name not in html.replace(typed_family, "")
    assert f'value="{participant.pk}"' not in html


def test_the_look_up_is_audited_and_rate_limited(olivia, officer, participant):
    url = reverse("referrals:person_matches")
    query = {"given_name": participant.given_name, "family_name": participant.family_name,
             "date_of_birth": participant.date_of_birth.isoformat()}
    for _ in range(MATCH_LIMIT):
        assert olivia.get(url, query).status_code == 200
    assert AuditEvent.objects.filter(actor=officer, action="person.match").count() == MATCH_LIMIT
    refused = olivia.get(url, query)
    assert refused.status_code == 429
    assert 'name="person_match"' not in refused.content.decode()


def test_a_handle_of_another_officer_or_a_forged_one_names_nobody(site, personas, participant):
    from diversion.policy.people import match_handle

    other_officer = testing.make_user(username="otis", role="officer", site=site)
    client = Client()
    client.force_login(personas["officer"])
    forged = match_handle(user=other_officer, person_id=participant.pk)
    from diversion.referrals.tests.intake import form_data

    before = Person.objects.count()
    response = client.post(reverse("referrals:new"), form_data(
        given_name=participant.given_name, family_name=participant.family_name,
        date_of_birth=participant.date_of_birth.isoformat(), person_match=forged,
        occurred_at=(timezone.now() - timedelta(minutes=30)).astimezone(site.tz)
        .strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 200  # shown again with the error
    assert "no longer matches" in response.content.decode()
    assert not Referral.objects.filter(person=participant, officer=personas["officer"]).exists()
    assert Person.objects.count() == before
