from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion.accounts.services import token_create, user_disable
from diversion.accounts.tests.signin import password_step
from diversion.audit.models import AuditEvent


@pytest.fixture
def casey(personas):
    return personas["case_manager"]


def _signed_in(client) -> bool:
    response = client.get(reverse("notifications:inbox"))
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    return False


def test_it_signs_out_after_thirty_idle_minutes(client, casey, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    password_step(client, casey)
    time_machine.move_to(start + timedelta(minutes=29), tick=False)
    assert _signed_in(client)  # activity: the 30 minutes start again
    time_machine.move_to(start + timedelta(minutes=29 + 29), tick=False)
    assert _signed_in(client)
    time_machine.move_to(start + timedelta(minutes=58 + 31), tick=False)
    assert not _signed_in(client)


def test_activity_moves_the_idle_expiry_on_at_most_once_a_minute(client, casey, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    password_step(client, casey)
    key = client.session.session_key

    def expiry():
        return Session.objects.get(session_key=key).expire_date

    first = expiry()
    time_machine.move_to(start + timedelta(seconds=30), tick=False)
    assert _signed_in(client)
    assert expiry() == first  # no write for a page 30 s after the last save
    time_machine.move_to(start + timedelta(seconds=61), tick=False)
    assert _signed_in(client)
    assert expiry() - first == timedelta(seconds=61)


def test_it_ends_a_busy_session_twelve_hours_after_sign_in(client, casey, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    password_step(client, casey)
    # Active every 20 minutes, so the idle limit never bites.
    for step in range(1, 36):  # up to 11 h 40 min
        time_machine.move_to(start + timedelta(minutes=20 * step), tick=False)
        assert _signed_in(client), f"after {20 * step} minutes"
    time_machine.move_to(start + timedelta(hours=12, minutes=1), tick=False)
    assert not _signed_in(client)
    # And it stays ended: the session is gone, not merely hidden.
    assert "_auth_user_id" not in client.session


def test_the_api_says_the_session_ended(client, casey, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    password_step(client, casey)
    for step in range(1, 38):
        time_machine.move_to(start + timedelta(minutes=20 * step), tick=False)
        client.get(reverse("notifications:inbox"))
    response = client.get(reverse("api:cases_list"))
    assert response.status_code == 401


def test_it_gives_the_session_a_new_key_at_sign_in(client, casey):
    # An attacker plants a session id in the victim's browser...
    planted = SessionStore()
    planted["planted"] = True
    planted.create()
    client.cookies["sessionid"] = planted.session_key
    password_step(client, casey)
    # ...but signing in moves the victim to a new key, and the planted one is gone.
    assert client.session.session_key != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    attacker = Client()
    attacker.cookies["sessionid"] = planted.session_key
    assert not _signed_in(attacker)
    assert _signed_in(client)


def test_disabling_a_user_ends_their_sessions_and_tokens_at_once(client, casey, personas):
    password_step(client, casey)
    phone = Client()
    password_step(phone, casey)
    key = token_create(user=casey, actor=None)
    assert _signed_in(client) and _signed_in(phone)
    user_disable(user=casey, actor=personas["administrator"])
    assert not _signed_in(client)
    assert not _signed_in(phone)
    response = Client().get(reverse("api:cases_list"), headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert password_step(Client(), casey).status_code == 200  # the form again, refused
    event = AuditEvent.objects.get(action="user.disable")
    assert event.data == {"sessions_ended": 2, "tokens_revoked": 1}


def test_disabling_one_user_leaves_others_signed_in(client, personas):
    password_step(client, personas["other_case_manager"])
    user_disable(user=personas["case_manager"], actor=None)
    assert _signed_in(client)
