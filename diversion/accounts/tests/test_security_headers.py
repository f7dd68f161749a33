import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.views import defaults

from diversion import testing
from diversion.referrals.services import PersonInput, referral_submit


def _directives(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


def test_every_page_carries_the_content_security_policy(client, officer):
    client.force_login(officer)
    for url in (reverse("accounts:login"), reverse("referrals:new"), reverse("api:cases_list")):
        csp = _directives(client.get(url)["Content-Security-Policy"])
        assert csp["default-src"] == "'self'"
        assert csp["object-src"] == "'none'"
        assert csp["base-uri"] == "'none'"
        assert csp["frame-ancestors"] == "'none'"
        assert csp["form-action"] == "'self'"
        assert csp["script-src"] == "'self'"  # no 'unsafe-inline': injected script won't run


def test_pages_forbid_framing_and_sniffing(client):
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_htmx_is_told_not_to_inject_inline_styles(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert '"includeIndicatorStyles": false' in html


def test_pages_with_personal_data_are_never_stored(client, site, officer):
    person = PersonInput(given_name=testing.fake.first_name(),
                         family_name=testing.synthetic_surname(),
                         date_of_birth=testing.fake.date_of_birth(minimum_age=18))
    referral = referral_submit(site=site, officer=officer, data=testing.screening_input(),
                               person_input=person)
    client.force_login(officer)
    for url in (reverse("referrals:detail", args=[referral.pk]), reverse("referrals:list"),
                reverse("api:referral_detail", args=[referral.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, personas):
    from diversion.accounts.tests.signin import password_step

    password_step(client, personas["case_manager"])
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


@pytest.mark.django_db
@pytest.mark.parametrize("view, exc, status, words", [
    (defaults.bad_request, SuspiciousOperation("secret detail /etc/passwd"), 400,
     "could not be understood"),
    (defaults.permission_denied, PermissionDenied("secret detail /etc/passwd"), 403,
     "can't do this"),
    (defaults.page_not_found, Http404("secret detail /etc/passwd"), 404, "Page not found"),
])
def test_error_pages_say_what_happened_without_internals(view, exc, status, words):
    request = RequestFactory().get("/nowhere")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = view(request, exc)
    html = response.content.decode()
    assert response.status_code == status
    assert words in html
    assert "secret detail" not in html and "Traceback" not in html


@pytest.mark.django_db
def test_the_500_page_shows_no_internals():
    response = defaults.server_error(RequestFactory().get("/boom"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "Traceback" not in html and "settings" not in html


def test_an_unknown_url_gets_the_plain_404(client):
    response = client.get("/no-such-page-here/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
