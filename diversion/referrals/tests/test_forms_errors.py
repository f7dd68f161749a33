"""Every bad field of the officer's referral form gets an error tied to that field, and a
rejected submission writes nothing: no referral, person, decision or audit event."""

import pytest
from django.urls import reverse

from diversion.conftest import login
from diversion.referrals.models import Referral
from diversion.referrals.services import referral_submit
from diversion.referrals.tests.intake import (  # noqa: F401  (frozen is a fixture)
    HX,
    field_error,
    form_data,
    frozen,
    row_counts,
)
from diversion.testing import KENTON, make_person, screening_input

pytestmark = pytest.mark.usefixtures("frozen")

NEW = reverse("referrals:new")

# (what the officer sent, the field that must carry the error, words the error must contain)
CASES = {
    "missing pathway": ({"pathway": None}, "pathway", "arrest or social contact"),
    "unknown pathway": ({"pathway": "community"}, "pathway", "not one of the available"),
    "missing occurred_at": ({"occurred_at": ""}, "occurred_at", "Give the date and time"),
    "bad occurred_at": ({"occurred_at": "last tuesday"}, "occurred_at", "Enter a date and time"),
    "impossible occurred_at": ({"occurred_at": "2027-02-30T10:00"}, "occurred_at",
                               "Enter a date and time"),
    "future occurred_at": ({"occurred_at": "2027-01-13T09:00"}, "occurred_at", "future"),
    "occurred_at before any rule set": ({"occurred_at": "2015-06-01T10:00"}, "occurred_at",
                                        "before the first rule set"),
    # 2:30 on the night the clocks go forward does not exist in Portland.
    "occurred_at in the daylight-saving gap": ({"occurred_at": "2026-03-08T02:30"},
                                               "occurred_at", "America/Los_Angeles"),
    "latitude above 90": ({"lat": "95.5", "lon": "-122.68"}, "lat", "less than or equal to 90"),
    "latitude not a number": ({"lat": "north", "lon": "-122.68"}, "lat", "number"),
    "longitude below -180": ({"lat": "45.5", "lon": "-200"}, "lon",
                             "greater than or equal to -180"),
    "latitude without longitude": ({"lat": "45.5", "lon": ""}, "lon", "incomplete"),
    "area not in the rule set": ({"area": "atlantis"}, "area", "not one of the available"),
    # Central Eastside joined in May 2018: the 2017 rule set in force then has no such area.
    "area not in the rule set of the date": (
        {"area": "central_eastside", "occurred_at": "2017-06-01T10:00"}, "area",
        "unknown area for rule set multnomah-lead-2017"),
    "negative grams": ({"grams_1": "-1"}, "grams_1", "cannot be negative"),
    "grams not a number": ({"grams_2": "a few", "substance_2": "heroin"}, "grams_2",
                           "as a number"),
    "grams without a substance": ({"substance_3": "", "grams_3": "2"}, "substance_3",
                                  "Name the substance"),
    "no drugs ticked but drugs listed": ({"no_substances": "on"}, "no_substances",
                                         "Drugs are listed"),
    "missing given name": ({"given_name": ""}, "given_name", "given name"),
    "missing family name": ({"family_name": "  "}, "family_name", "family name"),
    "date of birth of someone 120 years old": ({"date_of_birth": "1890-01-01"},
                                               "date_of_birth", "Check the year"),
    "future date of birth": ({"date_of_birth": "2027-06-01"}, "date_of_birth", "future"),
    "date of birth not a date": ({"date_of_birth": "1990-13-45"}, "date_of_birth",
                                 "valid date"),
    "latitude not finite": ({"lat": "nan", "lon": "-122.68"}, "lat", "number"),
    "grams beyond any scale": ({"grams_1": "1e400"}, "grams_1", "digits"),
    "bad lead status": ({"lead_status": "sometimes"}, "lead_status", "not one of the available"),
    "bad supervision": ({"supervision": "house_arrest"}, "supervision",
                        "not one of the available"),
    "bad specialty court": ({"specialty_court": "drug_court"}, "specialty_court",
                            "not one of the available"),
    "bad yes/no answer": ({"active_extraditable_warrant": "maybe"},
                          "active_extraditable_warrant", "not one of the available"),
    "bad offense choice": ({"offense": "DUI"}, "offense", "not one of the available"),
    "offense code with markup": ({"offense": "other", "offense_code": "<b>x</b>"},
                                 "offense_code", "letters, digits"),
    "exceptional circumstances too long": ({"exceptional_circumstances": "x" * 2001},
                                           "exceptional_circumstances", "at most 2000"),
}


@pytest.mark.parametrize("sent,field,words", CASES.values(), ids=CASES.keys())
def test_it_shows_the_error_on_its_field_and_saves_nothing(client, officer, sent, field, words):
    login(client, officer)
    before = row_counts()
    response = client.post(NEW, form_data(**sent))
    assert response.status_code == 200
    html = response.content.decode()
    assert words in field_error(html, field)
    assert "The referral was not saved" in html
    assert row_counts() == before


def test_it_shows_errors_in_the_htmx_partial_too(client, officer):
    login(client, officer)
    before = row_counts()
    response = client.post(NEW, form_data(grams_1="-0.5"), **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the form alone, swapped in place
    assert "cannot be negative" in field_error(html, "grams_1")
    assert row_counts() == before


def test_it_keeps_what_was_typed_and_the_same_key_after_an_error(client, officer):
    login(client, officer)
    data = form_data(pathway=None)
    html = client.post(NEW, data).content.decode()
    assert f'value="{data["idempotency_key"]}"' in html
    assert f'value="{data["family_name"]}"' in html


@pytest.mark.parametrize("key", [None, "", "not-a-uuid"])
def test_it_refuses_a_form_without_a_good_submission_key(client, officer, key):
    login(client, officer)
    before = row_counts()
    html = client.post(NEW, form_data(idempotency_key=key)).content.decode()
    assert "Reload the page and enter the referral again" in html
    assert row_counts() == before


def test_it_asks_to_confirm_when_someone_with_the_name_is_known(client, officer, site):
    known = make_person(site=site)
    login(client, officer)
    before = row_counts()
    html = client.post(NEW, form_data(
        given_name=known.given_name, family_name=known.family_name,
        date_of_birth=known.date_of_birth.isoformat())).content.decode()
    assert "whether it is the same person" in field_error(html, "person_match")
    assert 'name="person_match" value="' in html  # the candidates, without JS
    assert f'name="person_match" value="{known.pk}"' not in html  # as handles, not ids
    assert row_counts() == before


def test_it_refuses_a_person_who_does_not_match_what_was_typed(client, officer, site):
    stranger = make_person(site=site)
    login(client, officer)
    before = row_counts()
    html = client.post(NEW, form_data(person_match=str(stranger.pk))).content.decode()
    assert "no longer matches" in field_error(html, "person_match")
    assert row_counts() == before


def test_it_refuses_acceptance_of_a_referral_that_is_not_eligible(client, officer, site):
    referral = referral_submit(
        site=site, officer=officer, data=screening_input(
            occurred_at="2027-01-12T21:15:00-08:00", location=dict(KENTON)),
        person_input=None, person_id=make_person(site=site).pk,
    )
    assert referral.decisions.get().verdict == "ineligible"
    login(client, officer)
    before = row_counts()
    url = reverse("referrals:choice", args=[referral.pk])
    for extra in ({}, HX):
        response = client.post(url, {"accepted": "yes"}, **extra)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="accepted-error"' in html
        assert "Only an eligible referral can be accepted" in html
        assert "Person accepts" not in html
    assert row_counts() == before
    referral.refresh_from_db()
    assert referral.accepted is None


def test_it_refuses_a_choice_that_is_neither_accept_nor_decline(client, officer, site):
    referral = referral_submit(
        site=site, officer=officer, data=screening_input(
            occurred_at="2027-01-12T21:15:00-08:00"),
        person_input=None, person_id=make_person(site=site).pk,
    )
    login(client, officer)
    before = row_counts()
    html = client.post(reverse("referrals:choice", args=[referral.pk]),
                       {"accepted": "perhaps"}, **HX).content.decode()
    assert "Choose whether the person accepts or declines" in html
    assert 'aria-describedby="accepted-error"' in html
    assert row_counts() == before
    assert Referral.objects.get(pk=referral.pk).accepted is None
