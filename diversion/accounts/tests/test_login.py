import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from diversion.accounts.models import User
from diversion.accounts.tests.signin import password_step
from diversion.audit.models import AuditEvent


def _refused(password, user=None) -> str:
    with pytest.raises(ValidationError) as err:
        validate_password(password, user)
    return " ".join(err.value.messages)


@pytest.mark.django_db
@pytest.mark.parametrize("password", [
    "correct horse battery staple",
    "Tr0ub4dor&3-but-longer",
    "my dog ate the sprinkles at noon",
    "ÜberLangesPasswort🙂mit Leerzeichen",
    "x" * 5 + "q7Lm2" + "é" * 3 + "k9",
])
def test_it_accepts_long_passwords_without_composition_rules(password, site):
    validate_password(password, User(username="casey9", site=site))


@pytest.mark.django_db
def test_it_refuses_a_short_password(site):
    assert "at least 12" in _refused("short-pass1")


@pytest.mark.django_db
def test_it_refuses_a_password_longer_than_128(site):
    assert "at most 128" in _refused("a quiet river " * 10)
    validate_password(("a quiet river " * 10)[:128])


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["password1234", "qwertyuiop123", "iloveyou1234"])
def test_it_refuses_common_passwords(password, site):
    assert _refused(password)


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["Diversion2024!", "LEADportland1", "multnomah!!2025",
                                      "Police-Officer-1", "case manager 2025"])
def test_it_refuses_context_words_padded_with_digits(password, site):
    assert "guess" in _refused(password)


@pytest.mark.django_db
def test_it_refuses_the_sites_own_name(site):
    from diversion import testing

    testing.make_site(slug="riverbend", name="Riverbend LEAD")
    assert "guess" in _refused("Riverbend#2031")


@pytest.mark.django_db
def test_it_refuses_the_username_padded(site):
    assert _refused("casey.casey.2025", User(username="casey", site=site))


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["aaaaaaaaaaaaaa", "123456789012345", "abababababab",
                                      "zyxwvutsrqponm"])
def test_it_refuses_repeats_and_runs(password, site):
    assert _refused(password)


def test_it_signs_in_with_the_right_password_and_audits_it(client, personas):
    casey = personas["case_manager"]
    response = password_step(client, casey)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", outcome="ok", actor=casey).exists()


def test_it_says_the_password_is_wrong_without_saying_which_part(client, personas):
    casey = personas["case_manager"]
    wrong_user = client.post(reverse("accounts:login"),
                             {"username": "nobody-here", "password": "whatever-it-is"})
    wrong_pass = password_step(client, casey, password="whatever-it-is")
    assert wrong_user.status_code == wrong_pass.status_code == 200
    assert wrong_user.context["form"].non_field_errors() == \
        wrong_pass.context["form"].non_field_errors()


def test_the_admin_signs_in_through_the_same_door(client, personas):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    # A non-administrator sent to the admin's sign-in gets a refusal, not a loop.
    client.force_login(personas["case_manager"])
    assert client.get(reverse("admin:index"), follow=True).status_code == 403


def test_a_sign_in_does_not_follow_a_link_to_another_site(client, personas):
    response = password_step(client, personas["ops_team"], next_url="https://evil.example/")
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
