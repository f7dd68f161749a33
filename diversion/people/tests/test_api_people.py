"""GET /api/v1/people: search by name, read one; site staff only, officers refused."""

from datetime import date

import pytest

from diversion import testing
from diversion.api.testing import ApiClient, fields
from diversion.people.services import alias_add

URL = "/api/v1/people"


@pytest.fixture
def people(site, officer):
    jose = testing.make_person(site=site, given_name="José", family_name="O'Neil",
                               date_of_birth=date(1980, 5, 17))
    alias_add(person=jose, given_name="Joe", family_name="Neilson", actor=None)
    mary = testing.make_person(site=site, given_name="Mary", family_name="Jones",
                               date_of_birth=date(1975, 1, 2))
    return {"jose": jose, "mary": mary}


@pytest.mark.parametrize("role", ["case_manager", "supervisor", "administrator"])
def test_it_lists_the_sites_people_for_site_staff(personas, people, role):
    page = ApiClient(personas[role]).get(URL).json()
    assert page["count"] == 2
    assert {p["id"] for p in page["items"]} == {people["jose"].pk, people["mary"].pk}


@pytest.mark.parametrize("role", ["officer", "prosecutor", "ops_team", "evaluator"])
def test_it_refuses_other_roles(personas, people, role):
    client = ApiClient(personas[role])
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}/{people['jose'].pk}").status_code == 403


@pytest.mark.parametrize("q", ["jose", "JOSÉ", "oneil", "o'neil jose", "Neilson", "jos", "neil"])
def test_it_finds_a_person_by_folded_name_or_alias(case_manager, people, q):
    page = ApiClient(case_manager).get(URL, {"q": q}).json()
    assert [p["id"] for p in page["items"]] == [people["jose"].pk]


@pytest.mark.parametrize("q", ["zzyzx", "ones", "jose jones"])
def test_it_finds_nobody_when_a_word_starts_no_name(case_manager, people, q):
    assert ApiClient(case_manager).get(URL, {"q": q}).json()["count"] == 0


def test_it_pages_newest_first(case_manager, people):
    client = ApiClient(case_manager)
    first = client.get(URL, {"limit": 1}).json()
    second = client.get(URL, {"limit": 1, "offset": 1}).json()
    assert first["count"] == 2
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [people["mary"].pk,
                                                                  people["jose"].pk]


@pytest.mark.parametrize(("params", "field"), [({"limit": 0}, "limit"),
                                               ({"offset": "x"}, "offset"),
                                               ({"q": "x" * 201}, "q")])
def test_it_names_a_bad_parameter(case_manager, params, field):
    response = ApiClient(case_manager).get(URL, params)
    assert response.status_code == 400
    assert fields(response) == [field]


def test_it_reads_one_person_with_aliases_and_referrals(case_manager, officer, people):
    officer_api = ApiClient(officer)
    referral = officer_api.post("/api/v1/referrals", {
        # By full name and date of birth (an exact match reuses the record), never by id.
        **testing.screening_input(), "person": {"given_name": "José", "family_name": "O'Neil",
                                                "date_of_birth": "1980-05-17"}}).json()
    out = ApiClient(case_manager).get(f"{URL}/{people['jose'].pk}").json()
    assert out["given_name"] == "José"
    assert out["date_of_birth"] == "1980-05-17"
    assert out["aliases"] == [{"given_name": "Joe", "family_name": "Neilson"}]
    assert [r["id"] for r in out["referrals"]] == [referral["id"]]


def test_it_hides_people_of_another_site(personas, people):
    outsider = ApiClient(personas["outsider"])
    assert outsider.get(URL).json()["count"] == 0
    assert outsider.get(f"{URL}/{people['jose'].pk}").status_code == 404


@pytest.mark.parametrize("ref", ["0", "abc", str(2**64), "999999"])
def test_it_never_fails_on_a_strange_id(case_manager, ref):
    assert ApiClient(case_manager).get(f"{URL}/{ref}").status_code in (400, 404)


def test_it_lists_without_more_queries_for_more_people(case_manager, site,
                                                      django_assert_max_num_queries):
    client = ApiClient(case_manager)
    for _ in range(3):
        testing.make_person(site=site)
    client.get(URL)
    # 4, and 3 for the one "record.view" event of the page (lock, chain tail, insert)
    with django_assert_max_num_queries(7):
        assert len(client.get(URL).json()["items"]) == 3
    for _ in range(7):
        testing.make_person(site=site)
    with django_assert_max_num_queries(7):
        assert len(client.get(URL).json()["items"]) == 10
