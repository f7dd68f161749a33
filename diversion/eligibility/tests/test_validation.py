"""Bad input is refused with the field named; nothing else is ever raised."""

import datetime as dt
import math

import pytest

from diversion.eligibility import InvalidInput, screen, screen_many, validate

from .cases import arrest, social_contact

INVALID = [
    # (what, input, field)
    ("pathway missing", {k: v for k, v in arrest().items() if k != "pathway"}, "pathway"),
    ("pathway null", arrest(pathway=None), "pathway"),
    ("pathway unknown", arrest(pathway="community"), "pathway"),
    ("pathway in capitals", arrest(pathway="ARREST"), "pathway"),
    ("pathway not a string", arrest(pathway=1), "pathway"),
    (
        "occurred_at missing",
        {k: v for k, v in arrest().items() if k != "occurred_at"},
        "occurred_at",
    ),
    ("occurred_at null", arrest(occurred_at=None), "occurred_at"),
    ("occurred_at without offset", arrest(occurred_at="2027-01-12T21:15:00"), "occurred_at"),
    ("occurred_at a date alone", arrest(occurred_at="2027-01-12"), "occurred_at"),
    ("occurred_at not a date", arrest(occurred_at="yesterday"), "occurred_at"),
    ("occurred_at an impossible date", arrest(occurred_at="2027-02-30T10:00:00Z"), "occurred_at"),
    ("occurred_at a number", arrest(occurred_at=1800000000), "occurred_at"),
    ("location a string", arrest(location="Director Park"), "location"),
    ("location a list", arrest(location=[45.5, -122.6]), "location"),
    ("lat over 90", arrest(location={"lat": 90.0001, "lon": -122.6}), "location.lat"),
    ("lat under -90", arrest(location={"lat": -91, "lon": -122.6}), "location.lat"),
    ("lon over 180", arrest(location={"lat": 45.5, "lon": 180.5}), "location.lon"),
    ("lon under -180", arrest(location={"lat": 45.5, "lon": -181}), "location.lon"),
    ("lat a string", arrest(location={"lat": "45.5", "lon": -122.6}), "location.lat"),
    ("lat a bool", arrest(location={"lat": True, "lon": -122.6}), "location.lat"),
    ("lon NaN", arrest(location={"lat": 45.5, "lon": math.nan}), "location.lon"),
    ("lat infinite", arrest(location={"lat": math.inf, "lon": -122.6}), "location.lat"),
    ("lat without lon", arrest(location={"lat": 45.5}), "location.lon"),
    ("lon without lat", arrest(location={"lon": -122.6, "lat": None}), "location.lat"),
    ("area unknown", arrest(location={"area": "kenton"}), "location.area"),
    ("area not a string", arrest(location={"area": 3}), "location.area"),
    ("area empty", arrest(location={"area": " "}), "location.area"),
    ("charge a string", arrest(charge="PCS"), "charge"),
    ("offense a number", arrest(charge={"offense": 475}), "charge.offense"),
    ("offense empty", arrest(charge={"offense": ""}), "charge.offense"),
    (
        "substantial_quantity a string",
        arrest(charge={"offense": "PCS", "substantial_quantity": "no"}),
        "charge.substantial_quantity",
    ),
    (
        "commercial_drug_offense 0",
        arrest(charge={"offense": "PCS", "commercial_drug_offense": 0}),
        "charge.commercial_drug_offense",
    ),
    ("substances an object", arrest(substances={}), "substances"),
    ("substances a string", arrest(substances="heroin"), "substances"),
    (
        "substance entry not an object",
        arrest(substances=[{"substance": "heroin", "grams": 1}, "cocaine"]),
        "substances[1]",
    ),
    (
        "grams negative",
        arrest(
            substances=[
                {"substance": "heroin", "grams": 1},
                {"substance": "heroin", "grams": 1},
                {"substance": "heroin", "grams": -0.01},
            ]
        ),
        "substances[2].grams",
    ),
    (
        "grams a string",
        arrest(substances=[{"substance": "heroin", "grams": "4"}]),
        "substances[0].grams",
    ),
    (
        "grams a bool",
        arrest(substances=[{"substance": "heroin", "grams": False}]),
        "substances[0].grams",
    ),
    (
        "grams NaN",
        arrest(substances=[{"substance": "heroin", "grams": math.nan}]),
        "substances[0].grams",
    ),
    (
        "grams infinite",
        arrest(substances=[{"substance": "heroin", "grams": math.inf}]),
        "substances[0].grams",
    ),
    (
        "grams an enormous integer",
        arrest(substances=[{"substance": "heroin", "grams": 10**400}]),
        "substances[0].grams",
    ),
    (
        "substance name a number",
        arrest(substances=[{"substance": 7, "grams": 1}]),
        "substances[0].substance",
    ),
    (
        "substance name empty",
        arrest(substances=[{"substance": "", "grams": 1}]),
        "substances[0].substance",
    ),
    ("warrant a string", arrest(active_extraditable_warrant="no"), "active_extraditable_warrant"),
    (
        "no-contact order 1",
        arrest(no_contact_order_with_participant=1),
        "no_contact_order_with_participant",
    ),
    (
        "high risk a string",
        social_contact(high_risk_of_drug_arrest="yes"),
        "high_risk_of_drug_arrest",
    ),
    (
        "ops recommendation a list",
        arrest(ops_team_recommends_readmission=[]),
        "ops_team_recommends_readmission",
    ),
    ("DA agreement a string", arrest(da_agrees_to_readmission="true"), "da_agrees_to_readmission"),
    (
        "person offense a string",
        arrest(supervision_for_person_offense="yes"),
        "supervision_for_person_offense",
    ),
    ("ops denial 0", arrest(ops_team_denial=0), "ops_team_denial"),
    ("lead_status unknown", arrest(lead_status="past"), "lead_status"),
    ("lead_status capitalised", arrest(lead_status="Never"), "lead_status"),
    ("lead_status a bool", arrest(lead_status=False), "lead_status"),
    ("specialty_court unknown", arrest(specialty_court="drug court"), "specialty_court"),
    ("supervision unknown", arrest(supervision="probation"), "supervision"),
    ("supervision a number", arrest(supervision=0), "supervision"),
    (
        "exceptional circumstances a bool",
        arrest(exceptional_circumstances=True),
        "exceptional_circumstances",
    ),
    (
        "exceptional circumstances a list",
        arrest(exceptional_circumstances=["x"]),
        "exceptional_circumstances",
    ),
    # Keys of criteria that do not apply to the pathway are type-checked all the same.
    ("charge of a social contact a string", social_contact(charge="PCS"), "charge"),
    (
        "high risk of an arrest a string",
        arrest(high_risk_of_drug_arrest="yes"),
        "high_risk_of_drug_arrest",
    ),
]


@pytest.mark.parametrize(("what", "data", "field"), INVALID, ids=[row[0] for row in INVALID])
def test_it_refuses_invalid_input_and_names_the_field(what, data, field):
    with pytest.raises(InvalidInput) as err:
        screen(data)
    assert err.value.field == field
    assert err.value.message
    assert str(err.value) == f"{field}: {err.value.message}"


@pytest.mark.parametrize(("what", "data", "field"), INVALID, ids=[row[0] for row in INVALID])
def test_it_names_the_index_of_a_bad_item_in_a_batch(what, data, field):
    with pytest.raises(InvalidInput) as err:
        screen_many([arrest(), social_contact(), arrest(), data, {"pathway": "nonsense"}])
    assert err.value.field == f"[3].{field}"
    assert str(err.value).startswith(f"[3].{field}: ")


@pytest.mark.parametrize("data", [None, [], "referral", 3, True, [arrest()]])
def test_it_refuses_a_top_level_that_is_not_an_object(data):
    with pytest.raises(InvalidInput) as err:
        screen(data)
    assert err.value.field == "(root)"


@pytest.mark.parametrize("items", [None, {}, arrest(), "[]", 3])
def test_it_refuses_a_batch_that_is_not_an_array(items):
    with pytest.raises(InvalidInput) as err:
        screen_many(items)
    assert err.value.field == "(root)"


def test_it_names_an_item_of_a_batch_that_is_not_an_object():
    with pytest.raises(InvalidInput) as err:
        screen_many([arrest(), "arrest"])
    assert err.value.field == "[1]"
    assert str(err.value) == "[1]: must be a JSON object: one referral"


def test_it_checks_the_area_of_each_batch_item_against_its_own_rule_set():
    east = {"area": "central_eastside"}
    with pytest.raises(InvalidInput) as err:
        screen_many(
            [arrest(location=east), arrest(location=east, occurred_at="2017-03-01T10:00:00-08:00")]
        )
    assert err.value.field == "[1].location.area"


def test_it_screens_a_batch_in_order():
    decisions = screen_many(
        [
            arrest(),
            arrest(active_extraditable_warrant=True),
            social_contact(high_risk_of_drug_arrest=None),
        ]
    )
    assert [d["decision"] for d in decisions] == ["eligible", "ineligible", "needs_review"]
    assert screen_many([]) == []


def test_it_refuses_a_batch_with_an_unknown_rule_set():
    with pytest.raises(InvalidInput) as err:
        screen_many([arrest()], rule_set="nope")
    assert err.value.field == "rule_set"


@pytest.mark.parametrize(
    "occurred_at",
    [
        "2027-01-12T21:15:00-08:00",
        "2027-01-13T05:15:00Z",
        "2027-01-13T05:15:00+00:00",
        "2027-01-12 21:15-08:00",
        "2027-01-12T21:15:00.123456-08:00",
    ],
)
def test_it_accepts_iso_8601_date_times_with_an_offset(occurred_at):
    assert screen(arrest(occurred_at=occurred_at))["decision"] == "eligible"


def test_it_ignores_keys_it_does_not_know():
    data = arrest(
        officer_badge=1234,
        notes={"any": ["thing"]},
        location={"lat": 45.5186, "lon": -122.681, "accuracy_m": 12},
    )
    assert screen(data)["decision"] == "eligible"


def test_it_normalises_the_input_for_other_callers():
    ref = validate(
        arrest(
            substances=[
                {"substance": " Heroin ", "grams": 1},
                {"substance": "HEROIN", "grams": 1.5},
                {"substance": "heroin", "grams": None},
            ],
            location={"lat": 45, "lon": -122},
        )
    )
    assert ref.substances == {"heroin": (2.5, True)}
    assert (ref.lat, ref.lon) == (45.0, -122.0)
    assert ref.occurred_at == dt.datetime(2027, 1, 13, 5, 15, tzinfo=dt.UTC)
    assert ref.pathway == "arrest"


def test_it_accepts_an_aware_datetime_from_python_callers():
    when = dt.datetime(2027, 1, 12, 21, 15, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    assert validate(arrest(occurred_at=when)).occurred_at == when
    with pytest.raises(InvalidInput):
        validate(arrest(occurred_at=dt.datetime(2027, 1, 12, 21, 15)))


def test_it_lets_an_invalid_input_error_be_pickled_for_worker_processes():
    import pickle

    err = pickle.loads(pickle.dumps(InvalidInput("location.lat", "must be a number")))
    assert (err.field, err.message, str(err)) == (
        "location.lat",
        "must be a number",
        "location.lat: must be a number",
    )
