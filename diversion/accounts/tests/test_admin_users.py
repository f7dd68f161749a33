from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from diversion.accounts.models import ApiToken, User
from diversion.accounts.services import token_create


def _admin_form(user: User, **changes) -> dict:
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
        "email": user.email, "is_active": "on" if user.is_active else "", "site": user.site_id,
        "role": user.role, "agency": "", "phone": "", "last_login_0": "", "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_it_ends_sessions_and_tokens_when_an_administrator_deactivates_a_user(personas):
    admin_client = Client()
    admin_client.force_login(personas["administrator"])
    casey = personas["case_manager"]
    casey_client = Client()
    casey_client.force_login(casey)
    token_create(user=casey, actor=None)
    assert Session.objects.count() == 2
    response = admin_client.post(reverse("admin:accounts_user_change", args=[casey.pk]),
                                 _admin_form(casey, is_active=""))
    assert response.status_code == 302, response.content[:2000]
    casey.refresh_from_db()
    assert not casey.is_active
    assert Session.objects.count() == 1
    assert not ApiToken.objects.filter(user=casey, revoked_at__isnull=True).exists()


def test_it_moves_the_role_group_when_an_administrator_changes_a_role(personas):
    admin_client = Client()
    admin_client.force_login(personas["administrator"])
    casey = personas["case_manager"]
    response = admin_client.post(reverse("admin:accounts_user_change", args=[casey.pk]),
                                 _admin_form(casey, role="supervisor"))
    assert response.status_code == 302, response.content[:2000]
    assert list(casey.groups.values_list("name", flat=True)) == ["supervisor"]
