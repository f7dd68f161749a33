"""Attack 13, finding F2: the pending authenticator key was shown to every session that had
the password, and kept.

Session A (an attacker with only the password) read the key on the enrolment page and left;
session B (the real user) signed in later, was shown the same key and enrolled with it; a
fresh session then signed in with the password and a code from the key seen in A.
"""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from diversion.accounts.tests.signin import current_code, password_step


@pytest.fixture
def mfa_on(settings):
    settings.DIVERSION_REQUIRE_MFA = True


def _key_shown(client) -> str:
    html = client.get(reverse("accounts:mfa_setup")).content.decode()
    return html.split('id="totp-key"', 1)[1].split(">", 1)[1].split("<", 1)[0].strip()


def test_a_key_seen_by_another_session_is_never_the_one_enrolled(personas, mfa_on):
    user = personas["case_manager"]
    attacker, owner = Client(), Client()
    password_step(attacker, user)
    seen = _key_shown(attacker)
    attacker_device = TOTPDevice.objects.get(user=user, confirmed=False)

    password_step(owner, user)
    key = _key_shown(owner)
    assert key != seen
    assert _key_shown(owner) == key  # the same for the owner's own reloads
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert not TOTPDevice.objects.filter(pk=attacker_device.pk).exists()
    assert owner.post(reverse("accounts:mfa_setup"),
                      {"code": current_code(device)}).status_code == 302

    # The attacker's key is no device of the user's: a code from it lets no one in.
    later = Client()
    password_step(later, user)
    response = later.post(reverse("accounts:mfa_verify"),
                          {"code": _code(attacker_device)})
    assert response.status_code == 400
    assert list(TOTPDevice.objects.filter(user=user).values_list("confirmed", flat=True)) == [
        True]


def test_another_session_cannot_confirm_the_key_shown_to_this_one(personas, mfa_on):
    user = personas["case_manager"]
    first, second = Client(), Client()
    password_step(first, user)
    _key_shown(first)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    password_step(second, user)
    # The second session posts a code of the first session's key: refused, nothing enrolled.
    response = second.post(reverse("accounts:mfa_setup"), {"code": _code(device)})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _code(device) -> str:
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
