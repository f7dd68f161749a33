import pytest
from django.urls import reverse

from diversion.accounts.tests.signin import current_code, enrol, password_step
from diversion.audit.models import AuditEvent


@pytest.fixture
def mfa_on(settings):
    settings.DIVERSION_REQUIRE_MFA = True
    return settings


@pytest.fixture
def casey(personas):
    return personas["case_manager"]


def _protected_urls():
    return [reverse("home"), reverse("notifications:inbox"), reverse("referrals:list"),
            reverse("notifications:inbox"), reverse("admin:index"),
            reverse("admin:accounts_user_changelist")]


def test_it_sends_the_password_step_to_the_code_page(client, casey, mfa_on):
    enrol(casey)
    response = password_step(client, casey)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:mfa_verify"))


@pytest.mark.parametrize("who", ["case_manager", "administrator"])
def test_it_refuses_every_page_until_the_code_is_entered(client, personas, mfa_on, who):
    user = personas[who]
    enrol(user)
    password_step(client, user)
    for url in _protected_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:mfa_verify")), url


def test_it_refuses_the_api_to_a_session_without_the_code(client, casey, mfa_on):
    enrol(casey)
    password_step(client, casey)
    for url in (reverse("api:cases_list"), reverse("api:referrals_list"),
                reverse("api:people_list")):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "one-time code" in response.json()["detail"]
    response = client.post(reverse("api:referrals"), {}, content_type="application/json")
    assert response.status_code == 403


def test_the_api_still_takes_a_bearer_token_issued_by_the_cli(client, casey, mfa_on):
    from diversion.accounts.services import token_create

    key = token_create(user=casey, actor=None, name="script")
    response = client.get(reverse("api:cases_list"), headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200


def test_it_lets_the_user_in_after_the_code(client, casey, mfa_on):
    device = enrol(casey)
    password_step(client, casey, next_url=reverse("notifications:inbox"))
    response = client.post(reverse("accounts:mfa_verify"),
                           {"code": current_code(device), "next": reverse("notifications:inbox")})
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:inbox")
    assert client.get(reverse("notifications:inbox")).status_code == 200
    assert client.get(reverse("api:cases_list")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.mfa", outcome="ok", actor=casey).exists()


def test_an_administrator_reaches_the_admin_after_the_code(client, personas, mfa_on):
    ada = personas["administrator"]
    device = enrol(ada)
    password_step(client, ada)
    client.post(reverse("accounts:mfa_verify"), {"code": current_code(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_it_refuses_a_wrong_code_and_says_why(client, casey, mfa_on):
    device = enrol(casey)
    password_step(client, casey)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:mfa_verify"), {"code": wrong})
    assert response.status_code == 400
    assert 'aria-describedby="code-error"' in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(action="auth.mfa", outcome="denied").exists()


def test_it_refuses_a_replayed_code(client, casey, mfa_on, time_machine):
    time_machine.move_to("2027-03-01 10:00:05Z", tick=False)
    device = enrol(casey)
    code = current_code(device)
    password_step(client, casey)
    assert client.post(reverse("accounts:mfa_verify"), {"code": code}).status_code == 302
    client.post(reverse("accounts:logout"))
    # Same code, same 30-second window, a new sign-in: refused.
    password_step(client, casey)
    response = client.post(reverse("accounts:mfa_verify"), {"code": code})
    assert response.status_code == 400
    assert client.get(reverse("home")).status_code == 302


def test_a_user_without_an_app_must_link_one_before_anything_else(client, casey, mfa_on):
    response = password_step(client, casey)
    assert response["Location"].startswith(reverse("accounts:mfa_setup"))
    inbox = client.get(reverse("notifications:inbox"))
    assert inbox["Location"].startswith(reverse("accounts:mfa_setup"))
    page = client.get(reverse("accounts:mfa_setup"))
    assert page.status_code == 200
    assert 'id="totp-key"' in page.content.decode()
    assert "data:image/svg+xml" in page.content.decode()
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=casey, confirmed=False)
    assert device.key  # the key shown stays the same across reloads:
    client.get(reverse("accounts:mfa_setup"))
    assert TOTPDevice.objects.filter(user=casey).count() == 1
    response = client.post(reverse("accounts:mfa_setup"), {"code": current_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("notifications:inbox")).status_code == 200


def test_it_rotates_the_session_key_when_the_code_is_entered(client, casey, mfa_on):
    device = enrol(casey)
    password_step(client, casey)
    before = client.session.session_key
    client.post(reverse("accounts:mfa_verify"), {"code": current_code(device)})
    assert client.session.session_key != before


def test_without_the_setting_no_code_is_asked(client, casey, settings):
    settings.DIVERSION_REQUIRE_MFA = False
    response = password_step(client, casey)
    assert response.status_code == 302
    assert not response["Location"].startswith(reverse("accounts:mfa_verify"))
    assert client.get(reverse("notifications:inbox")).status_code == 200
