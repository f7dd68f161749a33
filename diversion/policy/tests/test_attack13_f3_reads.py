"""Attack 13, finding F3: views of participants' records were never audited, and the
administrator read case notes against their guide.

The attacker counted the audit events, opened a case page, its plan and consent PDFs, the
referral page and the people API (one person, a search, a list of 200) as the administrator,
a supervisor and a case manager, and counted again: nothing had been added. As the
administrator, the case page showed a contact note.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from diversion.api.testing import ApiClient
from diversion.audit.models import AuditEvent
from diversion.audit.services import audit_verify
from diversion.cases.services.contacts import contact_record
from diversion.cases.tests.conftest import open_case

NOTE = "MA test: started buprenorphine"


@pytest.fixture
def case(site, personas):
    case = open_case(site, officer=personas["officer"], case_manager=personas["case_manager"],
                     occurred_at=timezone.now() - timedelta(days=1))
    contact_record(case=case, actor=personas["case_manager"], kind="phone", note=NOTE,
                   at=timezone.now())
    return case


def _views():
    return AuditEvent.objects.filter(action="record.view").order_by("id")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["case_manager", "supervisor"])
def test_case_pages_and_pdfs_are_audited_with_ids_only(role, personas, case):
    client = _client(personas[role])
    for url, surface in ((f"/cases/{case.pk}/", "cases:detail"),
                         (f"/cases/{case.pk}/plan.pdf", "cases:plan_pdf"),
                         (f"/cases/{case.pk}/consent.pdf", "cases:consent_pdf")):
        before = _views().count()
        assert client.get(url).status_code == 200
        event = _views().last()
        assert _views().count() == before + 1, url
        assert (event.actor, event.object_type, event.object_id) == (
            personas[role], "cases.case", str(case.pk))
        assert event.data["surface"] == surface
        assert event.data["records"]["people.person"] == [case.person_id]
        text = str(event.data)
        for secret in (case.person.given_name, case.person.family_name, NOTE,
                       case.person.date_of_birth.isoformat()):
            assert secret not in text
    assert audit_verify()[1] is None


def test_referral_page_and_api_people_are_audited(personas, case):
    supervisor = personas["supervisor"]
    assert _client(supervisor).get(f"/referrals/{case.referral_id}/").status_code == 200
    event = _views().last()
    assert (event.object_type, event.object_id) == ("referrals.referral",
                                                    str(case.referral_id))
    api = ApiClient(supervisor)
    assert api.get(f"/api/v1/people/{case.person_id}").status_code == 200
    event = _views().last()
    assert (event.object_type, event.object_id) == ("people.person", str(case.person_id))
    assert event.data["surface"] == "api:people_detail"


def test_a_list_is_audited_once_with_the_ids_shown(personas, case, site):
    others = [open_case(site, officer=personas["officer"],
                        case_manager=personas["case_manager"]) for _ in range(2)]
    before = _views().count()
    response = ApiClient(personas["supervisor"]).get(
        f"/api/v1/people?q={case.person.family_name}&limit=200")
    assert response.status_code == 200
    assert _views().count() == before + 1
    event = _views().last()
    shown = [item["id"] for item in response.json()["items"]]
    assert event.data["records"]["people.person"] == shown
    assert event.data["surface"] == "api:people_list"
    assert case.person.family_name not in str(event.data)  # the search words are not kept
    ApiClient(personas["supervisor"]).get("/api/v1/people?limit=200")
    listed = _views().last().data["records"]["people.person"]
    assert set(listed) >= {case.person_id, *(c.person_id for c in others)}


def test_a_refusal_or_a_redirect_is_not_a_view(personas, case):
    before = _views().count()
    _client(personas["outsider"]).get(f"/cases/{case.pk}/")
    _client(personas["officer"]).get(f"/cases/{case.pk}/")
    assert _views().count() == before


def test_the_administrator_reads_no_case_notes_and_is_audited(personas, case):
    admin = _client(personas["administrator"])
    response = admin.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    assert NOTE not in response.content.decode()
    assert _views().last().actor == personas["administrator"]
    for url in (f"/cases/{case.pk}/plan.pdf", f"/cases/{case.pk}/consent.pdf",
                f"/texts/case/{case.pk}/", f"/consent/person/{case.person_id}/"):
        assert admin.get(url).status_code in (403, 404), url
