"""Bearer tokens for machine clients, and the browser session's CSRF protection on the API."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone

from diversion.accounts.models import ApiToken
from diversion.api.testing import ApiClient
from diversion.testing import screening_input

SCREENINGS = "/api/v1/screenings"
REFERRALS = "/api/v1/referrals"


def _token_from_command(username: str) -> str:
    out = StringIO()
    call_command("token", "create", username, "--name", "tests", stdout=out)
    return out.getvalue().strip()


def test_it_prints_a_token_that_authenticates_as_the_user(officer):
    token = _token_from_command(officer.username)
    client = ApiClient(token=token)
    assert client.post(SCREENINGS, screening_input()).status_code == 200
    created = client.post(REFERRALS, {**screening_input(), "person": {
        "given_name": "Ann", "family_name": "Example", "date_of_birth": "1990-03-04"}})
    assert created.status_code == 201
    assert created.json()["officer_id"] == officer.pk


def test_it_keeps_only_a_hash_of_the_token(officer):
    token = _token_from_command(officer.username)
    stored = ApiToken.objects.get(user=officer)
    assert stored.key_hash == ApiToken.hash_key(token)
    assert token not in {stored.key_hash, stored.prefix}
    assert token.startswith(stored.prefix)


def test_it_prints_a_different_token_each_time(officer):
    assert _token_from_command(officer.username) != _token_from_command(officer.username)


def test_it_exits_2_for_an_unknown_user(db):
    with pytest.raises(CommandError) as err:
        call_command("token", "create", "nobody-here", stdout=StringIO())
    assert err.value.returncode == 2
    assert "username" in str(err.value)


@pytest.mark.parametrize("header", ["Bearer dv_not-a-real-token", "Bearer ", "Bearer",
                                    "Basic b2xpdmlhOnNlY3JldA==", "Token abc"])
def test_it_answers_401_to_a_wrong_token(officer, header):
    client = Client()
    response = client.post(SCREENINGS, screening_input(), content_type="application/json",
                           headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"]


def test_it_answers_401_to_a_revoked_token(officer):
    token = _token_from_command(officer.username)
    client = ApiClient(token=token)
    assert client.get(REFERRALS).status_code == 200
    ApiToken.objects.filter(user=officer).update(revoked_at=timezone.now())
    assert client.get(REFERRALS).status_code == 401
    assert client.post(SCREENINGS, screening_input()).status_code == 401


def test_it_answers_401_to_the_token_of_a_deactivated_user(officer):
    client = ApiClient(token=_token_from_command(officer.username))
    officer.is_active = False
    officer.save()
    assert client.get(REFERRALS).status_code == 401


def test_it_refuses_a_browser_post_without_the_csrf_token(officer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    response = browser.post(SCREENINGS, screening_input(), content_type="application/json")
    assert response.status_code == 403
    before = officer.referrals_made.count()
    response = browser.post(REFERRALS, {**screening_input(), "person": {
        "given_name": "Ann", "family_name": "Example"}}, content_type="application/json")
    assert response.status_code == 403
    assert officer.referrals_made.count() == before


def test_it_accepts_a_browser_post_with_the_csrf_token(officer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    secret = _get_new_csrf_string()
    browser.cookies["csrftoken"] = secret
    response = browser.post(SCREENINGS, screening_input(), content_type="application/json",
                            headers={"X-CSRFToken": secret})
    assert response.status_code == 200
    assert response.json()["decision"] == "eligible"


def test_it_lets_a_signed_in_browser_read_without_a_token(officer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    assert browser.get(REFERRALS).status_code == 200
    assert Client().get(REFERRALS).status_code == 401
