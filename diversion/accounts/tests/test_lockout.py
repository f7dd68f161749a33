from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diversion.accounts.tests.signin import password_step
from diversion.audit.models import AuditEvent


@pytest.fixture
def casey(personas):
    return personas["case_manager"]


def _fail(client, user, times):
    for _ in range(times):
        password_step(client, user, password="not-the-password-at-all")


def test_it_allows_four_wrong_passwords_then_the_right_one(client, casey):
    _fail(client, casey, 4)
    response = password_step(client, casey)
    assert response.status_code == 302
    assert client.get(reverse("notifications:inbox")).status_code == 200


def test_it_locks_a_username_for_ten_minutes_after_five_failures(client, casey,
                                                                   time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    _fail(client, casey, 5)
    # The right password is refused while locked, with a page that says so.
    response = password_step(client, casey)
    assert response.status_code == 429
    assert "Try again in 10 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    time_machine.move_to(start + timedelta(minutes=9, seconds=50), tick=False)
    assert password_step(client, casey).status_code == 429
    time_machine.move_to(start + timedelta(minutes=10, seconds=5), tick=False)
    response = password_step(client, casey)
    assert response.status_code == 302
    assert client.get(reverse("notifications:inbox")).status_code == 200


def test_the_lock_is_per_username_not_per_address(client, personas):
    casey, cam = personas["case_manager"], personas["other_case_manager"]
    _fail(client, casey, 5)
    # Another user from the same address signs in.
    assert password_step(client, cam).status_code == 302
    # The locked user, from another address, stays locked.
    other = client.__class__(REMOTE_ADDR="203.0.113.9")
    assert password_step(other, casey).status_code == 429


def test_failed_sign_ins_are_audited(client, casey):
    _fail(client, casey, 2)
    denied = AuditEvent.objects.filter(action="auth.login", outcome="denied",
                                       object_id=str(casey.pk))
    assert denied.count() == 2
    assert all("password" not in str(e.data) for e in denied)
