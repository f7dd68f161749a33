"""One rule per fact: a date of birth the rule refuses is refused with the same words by the
officer's form, the API and the service that creates the person, each under its own name
for the field (diversion/people/rules.py holds the rule)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from diversion import testing
from diversion.api.testing import ApiClient
from diversion.conftest import login
from diversion.people.services import person_create
from diversion.referrals.tests.intake import (  # noqa: F401  (frozen is a fixture)
    field_error,
    form_data,
    frozen,
    row_counts,
)

pytestmark = pytest.mark.usefixtures("frozen")

# The clock is frozen at 21:30 on 12 January 2027 in Portland (intake.NOW).
BAD = {
    "in the future": ("2027-06-01", "The date of birth cannot be in the future."),
    # Before 1 January 1907 (120 years before 2027). The API used to take any date from 1900.
    "older than anyone referred": ("1903-05-01", "Check the year of birth."),
    "far too old": ("1850-01-01", "Check the year of birth."),
}


def _form_error(client, officer, value) -> str:
    login(client, officer)
    before = row_counts()
    html = client.post(reverse("referrals:new"), form_data(date_of_birth=value)).content.decode()
    assert row_counts() == before
    return field_error(html, "date_of_birth")


def _api_error(officer, value) -> tuple[str, str]:
    person = {"given_name": testing.fake.first_name(), "family_name": testing.synthetic_surname(),
              "date_of_birth": value}
    api = ApiClient(officer)
    before = row_counts()
    response = api.post("/api/v1/referrals", {**testing.screening_input(), "person": person})
    assert response.status_code == 400
    assert row_counts() == before
    [error] = response.json()["detail"]
    return error["field"], error["message"]


def _service_error(site, value) -> dict:
    before = row_counts()
    with pytest.raises(ValidationError) as refused:
        person_create(site=site, actor=None, given_name=testing.fake.first_name(),
                      family_name=testing.synthetic_surname(),
                      date_of_birth=date.fromisoformat(value))
    assert row_counts() == before
    return refused.value.message_dict


@pytest.mark.parametrize("value,words", BAD.values(), ids=BAD.keys())
def test_the_form_the_api_and_the_service_refuse_the_same_date_of_birth(
        client, officer, site, value, words):
    assert words in _form_error(client, officer, value)
    assert _api_error(officer, value) == ("person.date_of_birth", words)
    assert _service_error(site, value) == {"date_of_birth": [words]}


def test_the_service_takes_the_oldest_and_the_latest_date_the_rule_allows(site):
    for value in ("1907-01-01", "2027-01-12"):
        person = person_create(site=site, actor=None, given_name=testing.fake.first_name(),
                               family_name=testing.synthetic_surname(),
                               date_of_birth=date.fromisoformat(value))
        assert person.date_of_birth.isoformat() == value
