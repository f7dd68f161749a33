from django.test import Client
from django.urls import reverse

from diversion.referrals.models import Referral


def test_it_refuses_a_form_field_with_a_nul_and_stores_nothing(personas):
    client = Client()
    client.force_login(personas["officer"])
    response = client.post(reverse("referrals:new"),
                           {"pathway": "arrest", "idempotency_key": "abc\x00def"})
    assert response.status_code == 400
    assert not Referral.objects.exists()


def test_it_names_the_query_field_with_a_nul_in_the_api(personas):
    client = Client()
    client.force_login(personas["case_manager"])
    response = client.get("/api/v1/people", {"q": "Smi\x00th"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "q"
