"""The cases API contract: GET /api/v1/cases/{id}, GET /api/v1/cases, POST contacts and
assessments."""

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from diversion.accounts.services import token_create
from diversion.cases.models import Contact, HoldStatus
from diversion.cases.tests.conftest import local


@pytest.fixture
def api(client):
    def call(user, method, path, body=None):
        token = token_create(user=user, actor=None)
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(client, method)(path, **kwargs)
    return call


def test_it_returns_status_case_manager_due_date_with_offset_and_hold(site, personas,
                                                                      make_case, api):
    case = make_case(occurred_at=local(site, "2027-01-12 21:15"))
    r = api(personas["case_manager"], "get", f"/api/v1/cases/{case.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "referred"
    assert body["case_manager"]["username"] == "casey"
    assert body["case_manager"]["name"] == personas["case_manager"].get_full_name()
    assert body["assessment_due_at"] == "2027-02-12T00:00:00-08:00"
    assert datetime.fromisoformat(body["assessment_due_at"]) == case.hold.due_at
    assert body["prosecution_hold"] == "held"


def test_it_gives_null_due_date_and_no_hold_for_a_social_contact(personas, make_case, api):
    case = make_case(pathway="social_contact")
    body = api(personas["supervisor"], "get", f"/api/v1/cases/{case.pk}").json()
    assert body["assessment_due_at"] is None
    assert body["prosecution_hold"] == "none"


def test_it_answers_404_to_whoever_may_not_see_the_case(personas, make_case, api):
    case = make_case()
    for who in ("other_case_manager", "officer", "prosecutor", "evaluator", "outsider"):
        assert api(personas[who], "get", f"/api/v1/cases/{case.pk}").status_code == 404, who
    assert api(personas["case_manager"], "get", "/api/v1/cases/99999999999999999999"
               ).status_code in (404, 400)


def test_it_records_a_contact_and_engages_the_case(personas, make_case, api):
    case = make_case()
    at = (timezone.now() - timedelta(minutes=5)).isoformat()
    r = api(personas["case_manager"], "post", f"/api/v1/cases/{case.pk}/contacts",
            {"at": at, "kind": "in_person", "place": "Pioneer Square", "duration_minutes": 30,
             "monthly_status": {"housing": "unsheltered"}})
    assert r.status_code == 201, r.content
    assert r.json()["case"]["status"] == "engaged"
    assert r.json()["case"]["minutes_to_first_contact"] is not None


def test_it_names_the_bad_field_and_records_nothing(personas, make_case, api):
    case = make_case()
    path = f"/api/v1/cases/{case.pk}/contacts"
    r = api(personas["case_manager"], "post", path, {"kind": "telepathy"})
    assert r.status_code == 400
    assert r.json()["detail"][0]["field"] == "kind"
    r = api(personas["case_manager"], "post", path, {"at": "2027-01-01T10:00:00",
                                                      "kind": "phone"})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "at"
    r = api(personas["case_manager"], "post", path, {"place": "x"})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "kind"
    assert Contact.objects.count() == 0


def test_the_operations_team_reads_but_may_not_write(personas, make_case, api):
    case = make_case()
    assert api(personas["ops_team"], "get", f"/api/v1/cases/{case.pk}").status_code == 200
    r = api(personas["ops_team"], "post", f"/api/v1/cases/{case.pk}/contacts",
            {"kind": "phone"})
    assert r.status_code == 403


def test_it_saves_a_draft_then_completes_the_psychosocial_assessment_and_declines_the_hold(
        site, personas, make_case, api):
    with time_machine.travel(local(site, "2027-01-13 10:00"), tick=False):
        case = make_case(occurred_at=local(site, "2027-01-12 21:15"))
        path = f"/api/v1/cases/{case.pk}/assessments"
        r = api(personas["case_manager"], "post", path,
                {"kind": "psychosocial", "answers": {"housing": "In a tent."}})
        assert r.status_code == 201 and r.json()["draft"] is True
        assert r.json()["case"]["prosecution_hold"] == "held"
        r = api(personas["case_manager"], "post", path,
                {"kind": "psychosocial", "completed_at": "2027-01-13T09:30:00-08:00",
                 "answers": {"strengths": "Good with people."}})
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["draft"] is False and body["form_id"] == "psychosocial"
        assert set(body["answers"]) == {"housing", "strengths"}
        assert body["case"]["status"] == "assessed"
        assert body["case"]["prosecution_hold"] == "declined"
        r = api(personas["case_manager"], "post", path,
                {"kind": "psychosocial", "answers": {"housing": {"situation": "castle"}}})
        assert r.status_code == 400
        assert r.json()["detail"][0]["field"] == "answers.housing.situation"
        r = api(personas["case_manager"], "post", path, {"kind": "horoscope", "answers": {}})
        assert r.json()["detail"][0]["field"] == "kind"
    case.hold.refresh_from_db()
    assert case.hold.status == HoldStatus.DECLINED


def test_it_lists_the_callers_caseload_most_urgent_first(site, personas, make_case, api):
    with time_machine.travel(local(site, "2027-01-20 10:00"), tick=False):
        social = make_case(pathway="social_contact",
                           occurred_at=local(site, "2027-01-01 10:00"))
        later = make_case(occurred_at=local(site, "2027-01-15 10:00"))
        sooner = make_case(occurred_at=local(site, "2027-01-10 10:00"))
        make_case(case_manager=personas["other_case_manager"])
        body = api(personas["case_manager"], "get", "/api/v1/cases").json()
    assert [c["id"] for c in body["items"]] == [sooner.pk, later.pk, social.pk]
