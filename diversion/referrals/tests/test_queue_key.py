"""The offline queue's key (diversion/static/js/offline-queue.js): the officer's own, the same
at every sign-in, another officer's differs, never cached, and no one else gets one."""

from django.test import Client
from django.urls import reverse

from diversion import testing
from diversion.conftest import login

URL = reverse("referrals:queue_key")


def _key(user) -> dict:
    response = login(Client(), user).get(URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.json()


def test_an_officer_gets_the_same_key_at_every_sign_in_and_another_officer_another(personas,
                                                                                   site):
    olivia = personas["officer"]
    first, again = _key(olivia), _key(olivia)
    assert first == again
    assert len(first["key"]) == 43  # 32 bytes, base64url without padding
    oscar = testing.make_user(username="oscar", role="officer", site=site)
    other = _key(oscar)
    assert other["key"] != first["key"] and other["owner"] != first["owner"]


def test_no_one_else_gets_a_key(client, personas):
    assert client.get(URL).status_code == 302  # signed out: to the sign-in page
    for role in ("case_manager", "supervisor", "prosecutor", "ops_team", "evaluator"):
        assert login(Client(), personas[role]).get(URL).status_code == 403
