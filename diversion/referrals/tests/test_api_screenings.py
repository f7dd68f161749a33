"""POST /api/v1/screenings: the screening contract over HTTP, nothing stored."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from diversion import eligibility
from diversion.api.testing import ApiClient, fields
from diversion.audit.models import AuditEvent
from diversion.people.models import Person
from diversion.referrals.models import Decision, Referral
from diversion.testing import KENTON, screening_input

URL = "/api/v1/screenings"
SE_BELMONT_7TH = {"lat": 45.5163, "lon": -122.6590}  # Central Eastside, in the area from 2018
SHARED_FILE = (Path(__file__).resolve().parents[3].parent
               / "shared/examples/screening-multnomah-lead-2017.json")


@pytest.fixture
def api(officer):
    return ApiClient(officer)


def _rows():
    return [m.objects.count() for m in (Referral, Person, Decision, AuditEvent)]


def test_it_is_reachable_by_its_url_name():
    assert reverse("api:screenings") == URL


def test_it_returns_the_engines_decision_for_one_referral(api):
    data = screening_input()
    response = api.post(URL, data)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == eligibility.screen(data)
    assert response.json()["decision"] == "eligible"


def test_it_returns_decisions_in_the_same_order_for_an_array(api):
    batch = [screening_input(), screening_input(location=KENTON),
             screening_input(active_extraditable_warrant=None)]
    response = api.post(URL, batch)
    assert response.status_code == 200
    assert [d["decision"] for d in response.json()] == ["eligible", "ineligible",
                                                         "needs_review"]
    assert response.json()[1]["failed"] == ["area"]
    assert response.json()[2]["unknown"] == ["warrant"]


def test_it_returns_an_empty_array_for_an_empty_batch(api):
    response = api.post(URL, [])
    assert response.status_code == 200
    assert response.json() == []


def test_it_screens_under_the_rule_set_in_force_unless_one_is_named(api):
    data = screening_input(location=SE_BELMONT_7TH)
    in_force = api.post(URL, data).json()
    named = api.post(f"{URL}?rule_set=multnomah-lead-2017", data).json()
    assert in_force["rule_set"]["id"] == "multnomah-lead-2018"
    assert in_force["decision"] == "eligible"
    assert named["rule_set"]["id"] == "multnomah-lead-2017"
    assert named["failed"] == ["area"]


def test_it_screens_under_the_sites_pinned_rule_set(api, site):
    site.pinned_rule_set = "multnomah-lead-2017"
    site.save()
    response = api.post(URL, screening_input(location=SE_BELMONT_7TH))
    assert response.json()["rule_set"]["id"] == "multnomah-lead-2017"


def test_it_refuses_an_unknown_rule_set_naming_rule_set(api):
    response = api.post(f"{URL}?rule_set=atlantis-2030", screening_input())
    assert response.status_code == 400
    assert fields(response) == ["rule_set"]
    assert "multnomah-lead-2017" in response.json()["detail"][0]["message"]


def test_it_refuses_an_empty_rule_set_parameter(api):
    response = api.post(f"{URL}?rule_set=", screening_input())
    assert response.status_code == 400
    assert fields(response) == ["rule_set"]


def test_it_names_the_array_index_and_path_of_a_bad_field(api):
    batch = [screening_input(), screening_input(location={"lat": 91, "lon": -122.68})]
    response = api.post(URL, batch)
    assert response.status_code == 400
    assert fields(response) == ["[1].location.lat"]


@pytest.mark.parametrize(("override", "field"), [
    ({"pathway": "walk"}, "pathway"),
    ({"pathway": None}, "pathway"),
    ({"occurred_at": "2027-01-12T21:15:00"}, "occurred_at"),
    ({"location": {"lat": 45.5, "lon": 181}}, "location.lon"),
    ({"location": {"area": "atlantis"}}, "location.area"),
    ({"substances": [{"substance": "heroin", "grams": -1}]}, "substances[0].grams"),
    ({"substances": [{"substance": "heroin", "grams": "two"}]}, "substances[0].grams"),
    ({"lead_status": "sometimes"}, "lead_status"),
    ({"active_extraditable_warrant": "no"}, "active_extraditable_warrant"),
])
def test_it_names_the_field_of_invalid_input(api, override, field):
    response = api.post(URL, screening_input(**override))
    assert response.status_code == 400
    assert fields(response) == [field]
    assert response.json()["detail"][0]["message"]


def test_it_reports_a_missing_pathway(api):
    data = screening_input()
    del data["pathway"]
    response = api.post(URL, data)
    assert response.status_code == 400
    assert fields(response) == ["pathway"]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"   ", b'{"pathway": NaN}',
                                 b"\xff\xfe\x00garbage", b"[" * 5000, b'"just a string"', b"5"])
def test_it_names_the_body_when_it_is_not_a_referral(api, raw):
    response = api.post(URL, raw=raw)
    assert response.status_code == 400
    assert fields(response) == ["body"]


def test_it_names_the_index_of_an_item_that_is_not_an_object(api):
    response = api.post(URL, [screening_input(), 7])
    assert response.status_code == 400
    assert fields(response) == ["[1]"]


def test_it_stores_nothing(api):
    before = _rows()
    assert api.post(URL, [screening_input(), screening_input()]).status_code == 200
    assert api.post(URL, screening_input(pathway="nope")).status_code == 400
    assert _rows() == before


def test_it_asks_the_database_only_for_the_token(api, django_assert_num_queries):
    api.post(URL, screening_input())  # the first use of a token records when it was used
    with django_assert_num_queries(1):
        assert api.post(URL, [screening_input()] * 5).status_code == 200


def test_it_answers_401_without_credentials(db):
    response = ApiClient().post(URL, screening_input())
    assert response.status_code == 401


def test_it_lets_every_role_screen(personas):
    for key in ("case_manager", "supervisor", "prosecutor", "ops_team", "evaluator",
                "administrator"):
        assert ApiClient(personas[key]).post(URL, screening_input()).status_code == 200, key


def _shared_examples():
    if not SHARED_FILE.exists():
        return []
    return json.loads(SHARED_FILE.read_text())["examples"]


@pytest.mark.skipif(not SHARED_FILE.exists(), reason=f"{SHARED_FILE} not found")
def test_it_decides_every_shared_worked_example_as_written(api):
    examples = _shared_examples()
    assert examples
    for example in examples:
        response = api.post(f"{URL}?rule_set=multnomah-lead-2017", example["input"])
        assert response.status_code == 200, example["note"]
        got = {k: response.json()[k] for k in ("decision", "failed", "unknown")}
        assert got == example["expect"], example["note"]
    batch = api.post(f"{URL}?rule_set=multnomah-lead-2017", [e["input"] for e in examples])
    assert [{k: d[k] for k in ("decision", "failed", "unknown")} for d in batch.json()] == [
        e["expect"] for e in examples]
