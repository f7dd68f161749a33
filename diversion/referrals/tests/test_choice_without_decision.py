"""schemathesis found it on PostgreSQL: a choice on a referral that has no eligibility decision
(loaded by an import or the test records) answered 500."""

import json

from django.test import Client

from diversion.accounts.services import token_create
from diversion.accounts.tests.records import caseload
from diversion.referrals.models import Referral


def test_a_choice_on_a_referral_without_a_decision_is_refused_naming_the_field(
        db, site, personas):
    caseload(site, officer=personas["officer"], case_manager=personas["case_manager"])
    referral = Referral.objects.filter(decisions__isnull=True).first()
    assert referral is not None
    key = token_create(user=personas["officer"], actor=None, name="choice")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    before = (referral.accepted, referral.choice_recorded_at)
    response = client.post(f"/api/v1/referrals/{referral.pk}/choice",
                           json.dumps({"accepted": False}), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "accepted"
    referral.refresh_from_db()
    assert (referral.accepted, referral.choice_recorded_at) == before
