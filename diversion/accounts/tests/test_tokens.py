"""Bearer tokens for machine clients, and the browser session's CSRF protection on the API."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone

from diversion.accounts.models import ApiToken
from diversion.api.testing import ApiClient
from diversion.audit.models import AuditEvent
from diversion.testing import screening_input

SCREENINGS = "/api/v1/screenings"
REFERRALS = "/api/v1/referrals"


def _command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def _token_from_command(username: str, *args) -> str:
    return _command("token", "create", username, "--name", "tests", *args)


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


# Finding 9 of issue 13: tokens never expired, and clearing `revoked_at` (in the admin)
# brought a revoked token back. There was no command to list or revoke tokens.

def test_it_stops_a_token_working_after_diversion_token_days(officer):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = ApiClient(token=_token_from_command(officer.username))
        assert client.get(REFERRALS).status_code == 200
    with time_machine.travel(start + timedelta(days=90) - timedelta(minutes=1), tick=False):
        assert client.get(REFERRALS).status_code == 200
    with time_machine.travel(start + timedelta(days=90), tick=False):
        assert client.get(REFERRALS).status_code == 401


def test_it_takes_the_lifetime_from_the_setting_and_never_longer(officer, settings):
    settings.DIVERSION_TOKEN_DAYS = 7
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = ApiClient(token=_token_from_command(officer.username))
        short = ApiClient(token=_token_from_command(officer.username, "--days", "2"))
        with pytest.raises(CommandError) as err:
            _token_from_command(officer.username, "--days", "8")
    assert err.value.returncode == 2 and "days" in str(err.value)
    with time_machine.travel(start + timedelta(days=3), tick=False):
        assert short.get(REFERRALS).status_code == 401
        assert client.get(REFERRALS).status_code == 200
    with time_machine.travel(start + timedelta(days=7, seconds=1), tick=False):
        assert client.get(REFERRALS).status_code == 401


def test_a_revoked_token_cannot_be_brought_back_whatever_writes(officer):
    """The attack: revoke a token, then clear revoked_at (the admin, a shell, an update)."""
    key = _token_from_command(officer.username)
    client = ApiClient(token=key)
    assert _command("token", "revoke", key[:10]) == "1 token(s) revoked."
    token = ApiToken.objects.get(user=officer)
    token.revoked_at = None
    with pytest.raises(ValidationError) as err:
        token.full_clean()
    assert "revoked_at" in err.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        token.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now() + timedelta(days=9))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert client.get(REFERRALS).status_code == 401


def test_an_expiry_moves_only_earlier_and_a_token_never_changes_hands(officer, personas):
    supervisor = personas["supervisor"]
    client = ApiClient(token=_token_from_command(officer.username))
    token = ApiToken.objects.get(user=officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.expires_at
                                                    + timedelta(days=365))
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(user=supervisor)
    token.user = supervisor
    with pytest.raises(ValidationError) as err:
        token.full_clean()
    assert "user" in err.value.message_dict
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(REFERRALS).status_code == 401


def test_token_list_shows_expiry_and_last_use_but_never_the_token(officer, personas):
    supervisor = personas["supervisor"]
    key = _token_from_command(officer.username)
    _token_from_command(supervisor.username)
    assert "never" in _command("token", "list", "--user", officer.username)
    assert ApiClient(token=key).get(REFERRALS).status_code == 200
    out = _command("token", "list")
    assert key not in out and ApiToken.objects.get(user=officer).key_hash not in out
    lines = out.splitlines()
    assert lines[0].split() == ["prefix", "user", "site", "name", "made", "expires", "last",
                                "used", "state"]
    mine = next(line for line in lines if line.startswith(key[:10]))
    used = timezone.localtime(ApiToken.objects.get(user=officer).last_used_at)
    expires = timezone.localtime(ApiToken.objects.get(user=officer).expires_at)
    assert used.strftime("%Y-%m-%d %H:%M") in mine
    assert expires.strftime("%Y-%m-%d") in mine and mine.endswith("active")
    assert len(lines) == 3


def test_token_revoke_user_revokes_all_their_tokens_and_list_all_shows_them(officer):
    keys = [_token_from_command(officer.username) for _ in range(2)]
    assert _command("token", "revoke", "--user", officer.username) == "2 token(s) revoked."
    assert all(ApiClient(token=k).get(REFERRALS).status_code == 401 for k in keys)
    assert len(_command("token", "list").splitlines()) == 1
    listed = _command("token", "list", "--all").splitlines()[1:]
    assert len(listed) == 2 and all(line.endswith("revoked") for line in listed)
    assert AuditEvent.objects.filter(action="token.revoke").count() == 2


@pytest.mark.parametrize("args", [["nope-nope"], [], ["--user", "nobody-here"]])
def test_token_revoke_exits_2_naming_what_is_wrong(db, args):
    with pytest.raises(CommandError) as err:
        _command("token", "revoke", *args)
    assert err.value.returncode == 2
    assert str(err.value).split(":")[0] in {"prefix", "user"}
