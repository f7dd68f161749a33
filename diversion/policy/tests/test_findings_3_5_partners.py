"""Findings 3 and 5 of the review, replayed: partners read what consent does not allow.

3. The prosecutor opened /partners/meetings/<id>/ and /partners/readmissions/<id>/ and read
   the Operations Team's notes ("positive UA, started buprenorphine") of a person with no
   consent on file, with no disclosure logged; the agenda listed social-contact referrals.
5. The Operations Team read full names through /api/v1/cases/<id> -> person_id ->
   /api/v1/people/<id>, and on /referrals/<id>/, while the case page showed initials.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion import testing
from diversion.api.testing import ApiClient
from diversion.consent.models import Disclosure
from diversion.consent.services import consent_record
from diversion.partners.models import Readmission
from diversion.partners.services import meeting_create, ops_decision_record
from diversion.referrals.services import PersonInput, referral_submit

NOTE = "positive UA, started buprenorphine"


def _refer(site, officer, **facts):
    person = PersonInput(given_name=testing.fake.first_name(),
                         family_name=testing.synthetic_surname(),
                         date_of_birth=testing.fake.date_of_birth(minimum_age=18))
    return referral_submit(site=site, officer=officer, person_input=person,
                           data=testing.screening_input(**facts))


@pytest.fixture
def meeting(site, personas):
    return meeting_create(site=site, held_on=timezone.localdate(), actor=personas["ops_team"])


def _as(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_prosecutor_does_not_read_the_teams_notes_without_consent(site, personas,
                                                                       meeting):
    former = _refer(site, personas["officer"], lead_status="former")
    ops_decision_record(kind="recommend_readmission", referral=former, meeting=meeting,
                        actor=personas["ops_team"], note=NOTE)
    readmission = Readmission.objects.get(referral=former)
    da = _as(personas["prosecutor"])
    for url in (reverse("partners:meeting", args=[meeting.pk]),
                reverse("partners:readmission", args=[readmission.pk])):
        response = da.get(url)
        assert response.status_code == 200
        assert NOTE not in response.content.decode()
    # The team itself still reads its notes.
    assert NOTE in _as(personas["ops_team"]).get(
        reverse("partners:meeting", args=[meeting.pk])).content.decode()


def test_under_consent_the_prosecutor_reads_the_note_and_it_is_logged(site, personas, meeting):
    former = _refer(site, personas["officer"], lead_status="former")
    ops_decision_record(kind="recommend_readmission", referral=former, meeting=meeting,
                        actor=personas["ops_team"], note=NOTE)
    consent_record(person=former.person, kind="general", categories=["case_summary"],
                   recipients=[(None, "prosecutor")], purpose="readmission review",
                   signed_name="A. P.", actor=personas["case_manager"],
                   expires_at=timezone.now() + timedelta(days=30))
    html = _as(personas["prosecutor"]).get(
        reverse("partners:meeting", args=[meeting.pk])).content.decode()
    assert NOTE in html
    assert Disclosure.objects.filter(person=former.person, category="case_summary").exists()


def test_the_prosecutors_agenda_leaves_out_social_contacts(site, personas, meeting):
    social = _refer(site, personas["officer"], pathway="social_contact")
    arrest = _refer(site, personas["officer"])
    html = _as(personas["prosecutor"]).get(
        reverse("partners:meeting", args=[meeting.pk])).content.decode()
    assert f"Referral #{arrest.pk}<" in html
    assert f"Referral #{social.pk}<" not in html
    assert f"Referral #{social.pk}<" in _as(personas["ops_team"]).get(
        reverse("partners:meeting", args=[meeting.pk])).content.decode()


def test_the_operations_team_gets_no_full_name_without_consent(site, personas, make_case):
    case = make_case(occurred_at=timezone.now() - timedelta(days=2))
    person = case.person
    api = ApiClient(personas["ops_team"])
    out = api.get(f"/api/v1/cases/{case.pk}").json()
    people = api.get(f"/api/v1/people/{out.get('person_id', person.pk)}")
    assert people.status_code == 403
    assert person.family_name not in people.content.decode()
    html = _as(personas["ops_team"]).get(
        reverse("referrals:detail", args=[case.referral_id])).content.decode()
    assert person.family_name not in html
    assert f"{person.given_name[0]}.{person.family_name[0]}." in html
    listing = _as(personas["ops_team"]).get(reverse("referrals:list")).content.decode()
    assert person.family_name not in listing
