"""Who may take a referral down and who may see one."""

import pytest
from django.urls import reverse

from diversion.conftest import login
from diversion.referrals.services import referral_submit
from diversion.referrals.tests.intake import (  # noqa: F401  (frozen is a fixture)
    HX,
    form_data,
    frozen,
    row_counts,
)
from diversion.testing import make_person, make_user, screening_input

pytestmark = pytest.mark.usefixtures("frozen")

NEW = reverse("referrals:new")
REFUSED_ROLES = ["case_manager", "supervisor", "prosecutor", "ops_team", "evaluator", "outsider"]


@pytest.fixture
def referral(site, officer):
    return referral_submit(site=site, officer=officer,
                           data=screening_input(occurred_at="2027-01-12T21:15:00-08:00"),
                           person_id=make_person(site=site).pk)


@pytest.mark.parametrize("role", ["officer", "administrator"])
def test_it_shows_the_form_to_officers_and_administrators(client, personas, role):
    login(client, personas[role])
    response = client.get(NEW)
    assert response.status_code == 200
    assert b"Screen and save the referral" in response.content


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_it_refuses_the_form_to_other_roles(client, personas, role):
    login(client, personas[role])
    assert client.get(NEW).status_code == 403
    before = row_counts()
    assert client.post(NEW, form_data()).status_code == 403
    assert row_counts() == before


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_it_refuses_the_person_lookup_to_other_roles(client, personas, site, role):
    known = make_person(site=site)
    login(client, personas[role])
    response = client.get(reverse("referrals:person_matches"), {
        "given_name": known.given_name, "family_name": known.family_name,
        "date_of_birth": known.date_of_birth.isoformat()})
    assert response.status_code == 403
    assert known.family_name.encode() not in response.content


def test_it_sends_anonymous_visitors_to_the_login_page(client, referral):
    login_url = reverse("accounts:login")
    for url in (NEW, reverse("referrals:list"), reverse("referrals:detail", args=[referral.pk]),
                reverse("referrals:person_matches")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(login_url)
    before = row_counts()
    response = client.post(NEW, form_data())
    assert response["Location"].startswith(login_url)
    response = client.post(reverse("referrals:choice", args=[referral.pk]), {"accepted": "yes"})
    assert response["Location"].startswith(login_url)
    assert row_counts() == before


def test_it_hides_another_officers_referral(client, site, referral):
    colleague = make_user(username="oscar", role="officer", site=site)
    login(client, colleague)
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    before = row_counts()
    response = client.post(reverse("referrals:choice", args=[referral.pk]), {"accepted": "yes"})
    assert response.status_code == 404
    assert row_counts() == before
    assert referral.person.family_name.encode() not in client.get(
        reverse("referrals:list")).content


def test_it_hides_a_referral_from_another_site(client, personas, referral):
    login(client, personas["outsider"])
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    assert referral.person.family_name.encode() not in client.get(
        reverse("referrals:list")).content


def test_it_hides_a_referral_from_an_officer_of_another_site(client, personas, referral):
    elsewhere = personas["outsider"].site
    officer = make_user(username="orla", role="officer", site=elsewhere)
    login(client, officer)
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    before = row_counts()
    assert client.post(reverse("referrals:choice", args=[referral.pk]),
                       {"accepted": "yes"}).status_code == 404
    assert row_counts() == before


@pytest.mark.parametrize("role", ["officer", "case_manager", "supervisor", "ops_team",
                                  "administrator"])
def test_it_shows_the_referral_to_its_officer_and_the_site_team(client, personas, referral,
                                                               role):
    login(client, personas[role])
    response = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert response.status_code == 200
    person = referral.person
    if role == "ops_team":  # without a consent: initials, never the name (finding 5)
        assert person.family_name.encode() not in response.content
        assert f"{person.given_name[0]}.{person.family_name[0]}.".encode() in response.content
    else:
        assert person.family_name.encode() in response.content


@pytest.mark.parametrize("role", ["prosecutor", "evaluator"])
def test_it_hides_referrals_from_roles_without_need(client, personas, referral, role):
    login(client, personas[role])
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    response = client.get(reverse("referrals:list"))
    # A prosecutor's list is empty of it; an evaluator may not open the list at all.
    assert response.status_code == (200 if role == "prosecutor" else 403)
    assert referral.person.family_name.encode() not in response.content


@pytest.mark.parametrize("role", ["case_manager", "supervisor"])
def test_it_lets_only_the_officer_record_the_choice(client, personas, referral, role):
    login(client, personas[role])
    before = row_counts()
    response = client.post(reverse("referrals:choice", args=[referral.pk]),
                           {"accepted": "yes"}, **HX)
    assert response.status_code == 403
    assert row_counts() == before
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content
    assert b"Person accepts" not in page


def test_it_refuses_a_submission_key_already_used_by_another_officer(client, site, referral):
    referral.idempotency_key = "3f1c2a5e-9d4b-4e0a-8d2c-111111111111"
    referral.save(update_fields=["idempotency_key"])
    colleague = make_user(username="oscar", role="officer", site=site)
    login(client, colleague)
    before = row_counts()
    html = client.post(NEW, form_data(idempotency_key=referral.idempotency_key)).content.decode()
    assert "Reload the page and enter the referral again" in html
    assert referral.person.family_name not in html
    assert row_counts() == before
