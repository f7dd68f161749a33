"""Finding 1 of the review, replayed: an administrator of one site in the Django admin.

They opened another site's person records, set a new password on another site's case
manager, deleted that user's authenticator app, pointed their own API token at another
site's supervisor and read people through the API; none of it reached the hash-chained
audit. Each test makes the request as the attack did, then checks what must not happen.
"""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from diversion import testing
from diversion.accounts.models import ApiToken, Role, User
from diversion.accounts.services import token_create
from diversion.audit.models import AuditEvent


@pytest.fixture
def ada(personas):
    client = Client()
    client.force_login(personas["administrator"])
    return client


@pytest.fixture
def otto(personas):
    """A case manager of another site, with an authenticator app."""
    user = personas["outsider"]
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def test_it_does_not_show_another_sites_person_in_the_admin(ada, personas):
    stranger = testing.make_person(site=personas["outsider"].site)
    for url in (f"/admin/people/person/{stranger.pk}/change/", "/admin/people/person/"):
        assert ada.get(url).status_code == 404
    listing = ada.get(reverse("admin:index"))
    assert stranger.family_name not in listing.content.decode()


def test_it_does_not_let_an_administrator_set_another_sites_password(ada, otto):
    url = reverse("admin:auth_user_password_change", args=[otto.pk])
    new = "another-long-passphrase-9931"
    response = ada.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 404
    otto.refresh_from_db()
    assert not otto.check_password(new)
    assert otto.check_password(testing.PASSWORD)
    assert not Client().login(username=otto.username, password=new)


def test_it_does_not_let_an_administrator_delete_another_sites_authenticator(ada, otto):
    device = TOTPDevice.objects.get(user=otto)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    response = ada.post(url, {"post": "yes"})
    # The admin answers a row outside the user's queryset "does not exist" (back to index).
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    changelist = ada.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert otto.username not in changelist.content.decode()


def test_it_does_not_let_an_administrator_point_a_token_at_another_user(ada, personas, otto):
    admin_user = personas["administrator"]
    key = token_create(user=admin_user, actor=admin_user, name="mine")
    token = ApiToken.objects.get(user=admin_user)
    url = reverse("admin:accounts_apitoken_change", args=[token.pk])
    ada.post(url, {"user": otto.pk, "name": "mine", "prefix": token.prefix})
    token.refresh_from_db()
    assert token.user_id == admin_user.pk
    # And the token reads nothing of another site through the API.
    stranger = testing.make_person(site=otto.site)
    response = Client().get(f"/api/v1/people/{stranger.pk}",
                            HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code in (403, 404)


def test_it_does_not_let_an_administrator_raise_a_user_beyond_a_role(ada, personas, otto):
    casey = personas["case_manager"]
    url = reverse("admin:accounts_user_change", args=[casey.pk])
    response = ada.post(url, {
        "username": casey.username, "first_name": casey.first_name,
        "last_name": casey.last_name, "email": casey.email, "role": Role.SUPERVISOR,
        "phone": "", "is_active": "on",
        # what the form must not take:
        "is_superuser": "on", "is_staff": "on", "site": otto.site_id,
        "deployment_admin": "on", "groups": [1], "user_permissions": [1],
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    casey.refresh_from_db()
    assert casey.role == Role.SUPERVISOR  # the role is the administrator's to give
    assert (casey.is_superuser, casey.is_staff, casey.site_id, casey.deployment_admin) == (
        False, False, personas["administrator"].site_id, False)
    assert not casey.user_permissions.exists()
    assert list(casey.groups.values_list("name", flat=True)) == [Role.SUPERVISOR]


def test_an_administrator_is_not_a_superuser(personas):
    assert not personas["administrator"].is_superuser
    assert not User.objects.filter(is_superuser=True).exists()


def test_admin_changes_reach_the_hash_chained_audit(ada, personas):
    casey = personas["case_manager"]
    url = reverse("admin:auth_user_password_change", args=[casey.pk])
    new = "another-long-passphrase-9931"
    before = AuditEvent.objects.count()
    response = ada.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="admin.change").latest("id")
    assert event.actor_label == personas["administrator"].username
    assert (event.object_type, event.object_id) == ("accounts.user", str(casey.pk))
    assert event.site_id == personas["administrator"].site_id
    assert AuditEvent.objects.count() > before
    from diversion.audit.services import audit_verify

    assert audit_verify()[1] is None  # no broken link


def test_every_model_admin_is_scoped_to_the_site_of_its_user():
    from django.contrib import admin

    from diversion.policy.admin import is_scoped

    loose = [m._meta.label for m, a in admin.site._registry.items() if not is_scoped(a)]
    assert not loose
