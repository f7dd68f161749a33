"""The officer's referral, from the form to the decision and the person's choice."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diversion.accounts.models import Role
from diversion.cases.models import Case, HoldStatus, OnCallShift, ProsecutionHold
from diversion.conftest import login
from diversion.notifications.models import Notification
from diversion.people.models import Person, ProtectionOrder
from diversion.policy.people import match_handle
from diversion.referrals.models import Decision, Referral
from diversion.referrals.services import decision_remake, referral_submit
from diversion.referrals.tests.intake import (  # noqa: F401  (frozen is a fixture)
    HX,
    NOW,
    form_data,
    frozen,
    hidden_value,
    row_counts,
)
from diversion.testing import DOWNTOWN, KENTON, make_person, make_user, screening_input

pytestmark = pytest.mark.usefixtures("frozen")

NEW = reverse("referrals:new")
PACIFIC = ZoneInfo("America/Los_Angeles")


def results(html: str) -> dict:
    """Criterion label -> the result words shown beside it."""
    found = re.findall(r'<span aria-hidden="true">.</span> ([^<]+)</span>\s*<strong>([^<]+)'
                       r'</strong>', html)
    return {label: result for result, label in found}


def submit(client, **fields):
    response = client.post(NEW, form_data(**fields), **HX)
    assert response.status_code == 200, response.content.decode()[:500]
    return response


def participant(site, officer) -> Person:
    """A person with an open case (accepted an earlier referral)."""
    person = make_person(site=site)
    referral_submit(site=site, officer=officer, person_id=person.pk, accepted=True,
                    data=screening_input(occurred_at="2027-01-02T10:00:00-08:00"))
    assert Case.objects.filter(person=person).exists()
    return person


# -- the form -------------------------------------------------------------------------------

def test_it_starts_the_form_at_now_in_the_sites_time_zone(client, officer):
    login(client, officer)
    html = client.get(NEW).content.decode()
    assert 'value="2027-01-12T21:30"' in html  # 05:30 UTC is 21:30 the evening before
    assert re.fullmatch(r"[0-9a-f-]{36}", hidden_value(html, "idempotency_key"))


def test_it_gives_each_rendering_a_new_submission_key(client, officer):
    login(client, officer)
    first = hidden_value(client.get(NEW).content.decode(), "idempotency_key")
    second = hidden_value(client.get(NEW).content.decode(), "idempotency_key")
    assert first != second


def test_it_offers_the_in_force_areas_by_name(client, officer):
    login(client, officer)
    html = client.get(NEW).content.decode()
    for value, label in [("downtown", "Downtown"), ("old_town", "Old Town/Chinatown"),
                         ("lloyd", "Lloyd District")]:
        assert f'<option value="{value}">{label}</option>' in html


def test_it_has_the_location_button_and_its_script(client, officer):
    login(client, officer)
    html = client.get(NEW).content.decode()
    assert "data-use-location" in html
    assert 'id="location-status" role="status"' in html
    assert "/static/js/referral.js" in html
    assert 'type="hidden" name="lat"' in html and 'type="hidden" name="lon"' in html


# -- the decision -----------------------------------------------------------------------------

def test_it_shows_the_decision_and_every_reason_at_once(client, officer):
    login(client, officer)
    response = submit(client)
    html = response.content.decode()
    assert 'class="verdict verdict-eligible"' in html and ">Eligible<" in html
    shown = results(html)
    assert shown["Place"] == "Met"
    assert shown["Quantity"] == "Met"
    assert shown["High risk of a drug arrest"] == "Does not apply"
    assert len(shown) == 11
    assert "Arrested in Downtown, inside the program" in html
    assert "Person accepts" in html and "Person declines" in html
    referral = Referral.objects.get()
    assert response["HX-Push-Url"] == reverse("referrals:detail", args=[referral.pk])
    assert referral.officer == officer and referral.area == "downtown"


def test_it_works_without_javascript(client, officer):
    login(client, officer)
    response = client.post(NEW, form_data())
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", args=[referral.pk])
    page = client.get(response["Location"]).content.decode()
    assert ">Eligible<" in page and "Person accepts" in page
    response = client.post(reverse("referrals:choice", args=[referral.pk]), {"accepted": "no"})
    assert response.status_code == 302
    assert "The person declined the program" in client.get(response["Location"]).content.decode()


def test_it_reads_the_time_typed_in_the_sites_time_zone(client, officer):
    login(client, officer)
    submit(client, occurred_at="2027-01-12T21:15")
    submit(client, occurred_at="2026-07-04T12:00")  # daylight saving: UTC-7
    winter, summer = Referral.objects.order_by("id")
    assert winter.occurred_at == datetime(2027, 1, 13, 5, 15, tzinfo=UTC)
    assert summer.occurred_at == datetime(2026, 7, 4, 19, 0, tzinfo=UTC)
    assert winter.screening_input["occurred_at"] == "2027-01-12T21:15:00-08:00"


def test_it_maps_dont_know_to_unknown_and_says_what_is_missing(client, officer):
    login(client, officer)
    html = submit(client, active_extraditable_warrant="unknown", lead_status="unknown",
                  supervision="unknown", substantial_quantity="unknown").content.decode()
    facts = Referral.objects.get().screening_input
    assert facts["active_extraditable_warrant"] is None
    assert facts["supervision"] is None
    assert facts["charge"]["substantial_quantity"] is None
    # The program's records know this person is new: never, not "don't know".
    assert facts["lead_status"] == "never"
    assert ">Needs review<" in html
    shown = results(html)
    assert shown["Warrant"] == "Not known yet" and shown["Supervision"] == "Not known yet"
    assert shown["Offense"] == "Not known yet"
    assert "Person accepts" not in html


def test_it_screens_the_phones_coordinates(client, officer):
    login(client, officer)
    html = submit(client, area="", lat=str(DOWNTOWN["lat"]), lon=str(DOWNTOWN["lon"])).content
    referral = Referral.objects.get()
    assert (referral.lat, referral.lon, referral.area) == (DOWNTOWN["lat"], DOWNTOWN["lon"],
                                                           "downtown")
    assert results(html.decode())["Place"] == "Met"
    html = submit(client, area="", lat=str(KENTON["lat"]), lon=str(KENTON["lon"])).content
    assert results(html.decode())["Place"] == "Not met"
    assert ">Not eligible<" in html.decode()


def test_it_does_not_offer_the_program_when_not_eligible(client, officer):
    login(client, officer)
    html = submit(client, substance_1="heroin", grams_1="5").content.decode()
    assert ">Not eligible<" in html
    assert results(html)["Quantity"] == "Not met"
    assert "Person accepts" not in html


def test_it_takes_a_social_contact_referral(client, officer, case_manager):
    login(client, officer)
    html = submit(client, pathway="social_contact", offense="", substance_1="", grams_1="",
                  substantial_quantity="unknown", commercial_drug_offense="unknown",
                  high_risk_of_drug_arrest="yes").content.decode()
    assert ">Eligible<" in html
    shown = results(html)
    assert shown["High risk of a drug arrest"] == "Met"
    assert shown["Offense"] == "Does not apply" and shown["Quantity"] == "Does not apply"
    referral = Referral.objects.get()
    html = client.post(reverse("referrals:choice", args=[referral.pk]), {"accepted": "yes"},
                       **HX).content.decode()
    assert "The person accepted the program" in html
    case = Case.objects.get(referral=referral)
    assert not ProsecutionHold.objects.filter(case=case).exists()  # no DA hold: no arrest


def test_it_lists_several_drugs(client, officer):
    login(client, officer)
    submit(client, substance_1="Heroin", grams_1="2", substance_2="cocaine", grams_2="9.99",
           substance_3="heroin", grams_3="2.5")
    facts = Referral.objects.get().screening_input
    assert facts["substances"] == [{"substance": "Heroin", "grams": 2.0},
                                   {"substance": "cocaine", "grams": 9.99},
                                   {"substance": "heroin", "grams": 2.5}]
    assert Decision.objects.get().verdict == "eligible"
    # 2 + 2.5 = 4.5 g heroin is under 5 g, 9.99 g cocaine under 10 g: quantity is met.
    quantity = next(c for c in Decision.objects.get().output["criteria"] if c["id"] == "quantity")
    assert quantity["result"] == "met"


# -- double taps --------------------------------------------------------------------------------

def test_it_makes_one_referral_from_a_double_tap(client, officer):
    login(client, officer)
    data = form_data()
    first = client.post(NEW, data, **HX).content.decode()
    second = client.post(NEW, data, **HX).content.decode()
    assert Referral.objects.count() == 1
    assert Person.objects.count() == 1 and Decision.objects.count() == 1
    referral = Referral.objects.get()
    assert f"Referral #{referral.pk}," in first and f"Referral #{referral.pk}," in second
    assert client.post(NEW, data)["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert Referral.objects.count() == 1


# -- the person's choice --------------------------------------------------------------------

def test_it_opens_the_case_with_the_on_call_case_manager_when_the_person_accepts(
        client, officer, personas, site, django_capture_on_commit_callbacks):
    on_call = personas["other_case_manager"]
    on_call.phone = "503-555-0142"
    on_call.save()
    OnCallShift.objects.create(site=site, case_manager=on_call, starts_at=NOW - timedelta(hours=2),
                               ends_at=NOW + timedelta(hours=6))
    login(client, officer)
    data = form_data()
    submit(client, **data)
    referral = Referral.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        html = client.post(reverse("referrals:choice", args=[referral.pk]), {"accepted": "yes"},
                           **HX).content.decode()

    assert "The person accepted the program" in html
    assert on_call.display_name in html and "503-555-0142" in html
    assert "They have been notified" in html
    case = Case.objects.get(referral=referral)
    assert case.case_manager == on_call and case.person == referral.person
    referral.refresh_from_db()
    assert referral.accepted is True

    note = Notification.objects.get(recipient=on_call)
    assert note.url == reverse("cases:detail", args=[case.pk])
    assert not Notification.objects.filter(recipient=personas["case_manager"]).exists()

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [on_call.email]
    words = [email.subject, email.body, *(body for body, _ in email.alternatives)]
    dob = date.fromisoformat(data["date_of_birth"])
    for text in words:
        for secret in (data["given_name"], data["family_name"], data["date_of_birth"],
                       dob.strftime("%m/%d/%Y"), dob.strftime("%B %-d, %Y")):
            assert secret not in text

    # The arrest was at 21:15 on 12 January: the 30-day clock ends as 11 February ends.
    hold = case.hold
    assert hold.status == HoldStatus.HELD
    assert hold.arrested_at == referral.occurred_at
    assert hold.due_at == datetime(2027, 2, 12, 0, 0, tzinfo=PACIFIC)


def test_it_records_a_decline_without_opening_a_case(client, officer, case_manager):
    login(client, officer)
    submit(client)
    referral = Referral.objects.get()
    html = client.post(reverse("referrals:choice", args=[referral.pk]), {"accepted": "no"},
                       **HX).content.decode()
    assert "The person declined the program" in html
    assert "Person accepts" not in html
    referral.refresh_from_db()
    assert referral.accepted is False
    assert not Case.objects.exists() and not Notification.objects.exists()


def test_it_records_the_choice_once(client, officer, case_manager):
    login(client, officer)
    submit(client)
    referral = Referral.objects.get()
    url = reverse("referrals:choice", args=[referral.pk])
    client.post(url, {"accepted": "yes"}, **HX)
    before = row_counts()
    html = client.post(url, {"accepted": "no"}, **HX).content.decode()
    assert "already recorded" in html
    assert row_counts() == before
    referral.refresh_from_db()
    assert referral.accepted is True


# -- persons ------------------------------------------------------------------------------------

def test_it_lists_possible_matches_as_the_officer_types(client, officer, site):
    known = make_person(site=site, given_name="Rowan", family_name="Quillfeather",
                        date_of_birth=date(1984, 3, 9))
    make_person(site=site, given_name="Rowan", family_name="Quillfeather",
                date_of_birth=date(1991, 5, 5))
    login(client, officer)
    html = client.get(reverse("referrals:person_matches"), {
        "given_name": "rowan", "family_name": "QUILLFEATHER", "date_of_birth": "1984-03-09",
    }, **HX).content.decode()
    assert 'name="person_match" value="' in html
    assert f'value="{known.pk}"' not in html  # an opaque handle, never the id
    assert "same name and date of birth" in html
    assert "1991-05-05" not in html
    assert 'value="new"' in html
    html = client.get(reverse("referrals:person_matches"), {
        "given_name": "Nobody", "family_name": "Known", "date_of_birth": "1984-03-09"},
        **HX).content.decode()
    assert "person_match" not in html


def test_it_reuses_the_person_the_officer_confirms(client, officer, site):
    known = make_person(site=site)
    known_alias_dob = known.date_of_birth.isoformat()
    login(client, officer)
    # Given and family names swapped: a possible match that only the officer can confirm.
    submit(client, given_name=known.family_name, family_name=known.given_name,
           date_of_birth=known_alias_dob,
           person_match=match_handle(user=officer, person_id=known.pk))
    assert Person.objects.count() == 1
    assert Referral.objects.get().person == known


def test_it_makes_a_new_person_when_the_officer_says_so(client, officer, site):
    known = make_person(site=site)
    login(client, officer)
    submit(client, given_name=known.family_name, family_name=known.given_name,
           date_of_birth=known.date_of_birth.isoformat(), person_match="new")
    assert Person.objects.count() == 2
    assert Referral.objects.get().person != known


def test_it_finds_a_current_participant_whatever_the_officer_ticked(client, officer, site,
                                                                   case_manager):
    person = participant(site, officer)
    login(client, officer)
    html = submit(client, given_name=person.given_name, family_name=person.family_name,
                  date_of_birth=person.date_of_birth.isoformat(),
                  person_match=match_handle(user=officer, person_id=person.pk),
                  lead_status="never").content.decode()
    referral = Referral.objects.order_by("-id").first()
    assert referral.person == person
    assert results(html)["Prior participation"] == "Not met"
    assert referral.screening_input["lead_status"] == "current"
    assert ">Not eligible<" in html


def test_it_finds_a_no_contact_order_with_a_current_participant(client, officer, site,
                                                              case_manager):
    protected = participant(site, officer)
    restrained = make_person(site=site)
    ProtectionOrder.objects.create(site=site, restrained=restrained, protected=protected)
    login(client, officer)
    html = submit(client, given_name=restrained.given_name, family_name=restrained.family_name,
                  date_of_birth=restrained.date_of_birth.isoformat(),
                  person_match=match_handle(user=officer, person_id=restrained.pk),
                  no_contact_order_with_participant="no").content.decode()
    assert results(html)["No-contact order"] == "Not met"
    assert ">Not eligible<" in html


# -- the referral's page and the list ----------------------------------------------------------

def test_it_shows_every_decision_newest_first_with_the_superseded_marked(client, officer, site,
                                                                         personas):
    referral = referral_submit(site=site, officer=officer, person_id=make_person(site=site).pk,
                               data=screening_input(occurred_at="2027-01-12T21:15:00-08:00",
                                                    active_extraditable_warrant=None))
    decision_remake(referral=referral, updates={"active_extraditable_warrant": False},
                    reason="Warrant check came back clear", actor=personas["supervisor"])
    first, second = referral.decisions.order_by("id")
    login(client, officer)
    html = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert html.index(f'id="decision-{second.pk}"') < html.index(f'id="decision-{first.pk}"')
    old = html[html.index(f'id="decision-{first.pk}"'):]
    assert "Superseded" in old[:600] and "Needs review" in old[:600]
    new = html[html.index(f'id="decision-{second.pk}"'):html.index(f'id="decision-{first.pk}"')]
    assert "Current" in new and "Warrant check came back clear" in new
    assert html.index("Current decision") < html.index(">Eligible<")


def test_it_links_the_case_for_its_case_manager_only(client, officer, site, case_manager):
    referral = referral_submit(site=site, officer=officer, person_id=make_person(site=site).pk,
                               accepted=True,
                               data=screening_input(occurred_at="2027-01-12T21:15:00-08:00"))
    case = Case.objects.get(referral=referral)
    link = reverse("cases:detail", args=[case.pk])
    login(client, case.case_manager)
    assert link in client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    login(client, officer)
    assert link not in client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()


def _referrals(site, officer, n, start=datetime(2027, 1, 1, 12, tzinfo=UTC)):
    for i in range(n):
        referral_submit(site=site, officer=officer, person_id=make_person(site=site).pk,
                        data=screening_input(occurred_at=(start + timedelta(hours=i)).isoformat()))


def test_it_lists_an_officers_own_referrals_newest_first_fifty_a_page(client, officer, site):
    _referrals(site, officer, 51)
    colleague = make_user(username="oscar", role=Role.OFFICER, site=site)
    _referrals(site, colleague, 1)
    login(client, officer)
    html = client.get(reverse("referrals:list")).content.decode()
    mine = list(Referral.objects.filter(officer=officer).order_by("-occurred_at"))
    ids = [int(x) for x in re.findall(r'<td><a href="/referrals/\d+/">(\d+)</a></td>', html)]
    assert ids == [r.pk for r in mine[:50]]
    assert "Page 1 of 2" in html
    html = client.get(reverse("referrals:list"), {"page": 2}).content.decode()
    ids = [int(x) for x in re.findall(r'<td><a href="/referrals/\d+/">(\d+)</a></td>', html)]
    assert ids == [mine[50].pk]
    theirs = Referral.objects.get(officer=colleague)
    assert f'href="/referrals/{theirs.pk}/"' not in html
    assert client.get(reverse("referrals:list"), {"page": "nonsense"}).status_code == 200


def test_it_lists_the_whole_site_for_case_managers(client, officer, site, case_manager):
    colleague = make_user(username="oscar", role=Role.OFFICER, site=site)
    _referrals(site, officer, 2)
    _referrals(site, colleague, 2)
    login(client, case_manager)
    html = client.get(reverse("referrals:list")).content.decode()
    assert len(re.findall(r'<td><a href="/referrals/\d+/">\d+</a>', html)) == 4
    assert colleague.display_name in html and officer.display_name in html


def test_it_lists_without_a_query_per_row(client, officer, site, case_manager):
    login(client, case_manager)
    _referrals(site, officer, 2)
    client.get(reverse("referrals:list"))  # the first request after sign-in saves the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("referrals:list"))
    _referrals(site, officer, 20, start=datetime(2027, 1, 5, tzinfo=UTC))
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("referrals:list")).content.decode()
    assert len(re.findall(r'<td><a href="/referrals/\d+/">\d+</a>', html)) == 22
    assert len(many) == len(few)
