"""No body makes the screening or referral endpoints fail with a 500, and a refused referral
writes nothing: property tests with random JSON and with near-valid referrals."""

import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from diversion import testing
from diversion.api.referrals import SCREENING_KEYS
from diversion.api.testing import ApiClient
from diversion.audit.models import AuditEvent
from diversion.cases.models import Case
from diversion.people.models import Person
from diversion.referrals.models import Decision, Referral

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
           | st.sampled_from(["arrest", "social_contact", "2027-01-12T21:15:00-08:00",
                              "downtown", "PCS", "heroin", "never", "none", "1990-01-01",
                              "\u0000", "", "9999-99-99"]))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12) | st.sampled_from(SCREENING_KEYS), children,
                      max_size=4),
    max_leaves=12,
)
PERSON_KEYS = ("given_name", "family_name", "date_of_birth", "id", "sex", "race", "ethnicity")
VALID_PERSON = {"given_name": "Ann", "family_name": "Example", "date_of_birth": "1990-03-04"}
people = st.one_of(
    st.just(VALID_PERSON),
    st.builds(lambda changes: {**VALID_PERSON, **changes},
              st.dictionaries(st.sampled_from(PERSON_KEYS), json_values, max_size=2)),
    json_values,
)
near_valid = st.builds(
    lambda changes, person, extra: {**testing.screening_input(), **changes,
                                    "person": person, **extra},
    st.just({}) | st.dictionaries(st.sampled_from(SCREENING_KEYS), json_values, max_size=2),
    people,
    st.fixed_dictionaries({}, optional={"accepted": st.booleans() | json_values,
                                        "idempotency_key": st.text(max_size=8)
                                        | json_values}),
)


def _encode(value) -> bytes:
    return json.dumps(value).encode()


bodies = st.one_of(
    st.binary(max_size=60),
    json_values.map(_encode),
    near_valid.map(_encode),
    st.lists(near_valid, max_size=3).map(_encode),
)


def _rows():
    # A look-up of a known person is counted even when the referral is refused (its answer
    # could say who is known), and a record shown is a view: neither is a change.
    return [m.objects.count() for m in (Referral, Person, Decision, Case)] + [
        AuditEvent.objects.exclude(action__in=["person.match", "record.view"]).count()]


@pytest.fixture
def api(officer):
    return ApiClient(officer)


def _check(response):
    event(f"HTTP {response.status_code}")
    assert response.status_code < 500, response.content
    if response.status_code == 400:
        detail = response.json()["detail"]
        assert detail and all(isinstance(e["field"], str) and e["field"] for e in detail)


@FUZZ
@given(body=bodies, rule_set=st.none() | st.sampled_from(["multnomah-lead-2017", "x", ""]))
def test_it_never_fails_with_a_500_on_screening(api, body, rule_set):
    url = "/api/v1/screenings" + (f"?rule_set={rule_set}" if rule_set is not None else "")
    before = _rows()
    _check(api.post(url, raw=body))
    assert _rows() == before


@FUZZ
@given(body=bodies)
def test_it_never_fails_with_a_500_on_a_referral_and_writes_nothing_when_refusing(api, body):
    before = _rows()
    response = api.post("/api/v1/referrals", raw=body)
    _check(response)
    if response.status_code != 201:
        assert _rows() == before
