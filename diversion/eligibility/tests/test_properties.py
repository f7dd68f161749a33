"""Property tests: no input makes the engine raise anything but InvalidInput, and every
decision follows from its criteria."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diversion.eligibility import InvalidInput, screen, screen_many

KEYS = [
    "pathway",
    "occurred_at",
    "location",
    "charge",
    "substances",
    "high_risk_of_drug_arrest",
    "active_extraditable_warrant",
    "no_contact_order_with_participant",
    "lead_status",
    "ops_team_recommends_readmission",
    "da_agrees_to_readmission",
    "specialty_court",
    "supervision",
    "supervision_for_person_offense",
    "ops_team_denial",
    "exceptional_circumstances",
]
WORDS = [
    "arrest",
    "social_contact",
    "never",
    "current",
    "former",
    "none",
    "parole",
    "post_prison",
    "formal_probation",
    "bench_probation",
    "eligible_pending_case",
    "engaged",
    "downtown",
    "old_town",
    "lloyd",
    "central_eastside",
    "PCS",
    "heroin",
    "cocaine",
    "methamphetamine",
    "2027-01-12T21:15:00-08:00",
    "2017-01-01T00:00:00Z",
    "2018-05-01T00:00:00-07:00",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",
    "2027-01-12",
    "lat",
    "lon",
    "area",
    "grams",
    "substance",
    "offense",
    "substantial_quantity",
    "commercial_drug_offense",
    "",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(WORDS)
    | st.sampled_from([10**400, -(10**400), 1e308, -0.0])
)
keys = st.sampled_from(KEYS + WORDS) | st.text(max_size=5)
json_ish = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=6),
    max_leaves=25,
)


maybe_bool = st.sampled_from([True, False, None])
well_formed = st.fixed_dictionaries(
    {
        "pathway": st.sampled_from(["arrest", "social_contact"]),
        "occurred_at": st.sampled_from(
            [
                "2017-03-01T10:00:00-08:00",
                "2018-05-01T00:00:00-07:00",
                "2027-01-12T21:15:00-08:00",
                "2030-07-04T12:00:00Z",
            ]
        ),
    },
    optional={
        "location": st.none()
        | st.fixed_dictionaries(
            {"lat": st.floats(45.49, 45.54), "lon": st.floats(-122.70, -122.64)}
        )
        | st.fixed_dictionaries({"area": st.sampled_from(["downtown", "old_town", "lloyd"])}),
        "charge": st.none()
        | st.fixed_dictionaries(
            {},
            optional={
                "offense": st.sampled_from(["PCS", "pcs", "ORS 164.045", None]),
                "substantial_quantity": maybe_bool,
                "commercial_drug_offense": maybe_bool,
            },
        ),
        "substances": st.none()
        | st.lists(
            st.fixed_dictionaries(
                {
                    "substance": st.sampled_from(
                        ["heroin", "Cocaine", "methamphetamine", "fentanyl", None]
                    ),
                    "grams": st.none() | st.floats(0, 20, allow_nan=False),
                }
            ),
            max_size=4,
        ),
        "high_risk_of_drug_arrest": maybe_bool,
        "active_extraditable_warrant": maybe_bool,
        "no_contact_order_with_participant": maybe_bool,
        "lead_status": st.sampled_from(["never", "current", "former", None]),
        "ops_team_recommends_readmission": maybe_bool,
        "da_agrees_to_readmission": maybe_bool,
        "specialty_court": st.sampled_from(["none", "eligible_pending_case", "engaged", None]),
        "supervision": st.sampled_from(
            ["none", "post_prison", "parole", "formal_probation", "bench_probation", None]
        ),
        "supervision_for_person_offense": maybe_bool,
        "ops_team_denial": maybe_bool,
        "exceptional_circumstances": st.sampled_from([None, "", "reason"]),
    },
)

ARREST_ONLY, SOCIAL_ONLY = {"offense", "quantity"}, {"high_risk"}

# Garbage of three kinds: anything at all; the contract's keys with any values; and a
# well-formed referral with some keys (or their insides) replaced by garbage, which gets past
# the first checks and reaches the deep ones.
nested_junk = st.dictionaries(st.sampled_from(WORDS), json_ish, max_size=4)
referral_ish = (
    json_ish
    | st.fixed_dictionaries({}, optional=dict.fromkeys(KEYS, json_ish))
    | st.builds(
        lambda base, junk: {**base, **junk},
        well_formed,
        st.dictionaries(
            st.sampled_from(KEYS),
            json_ish | nested_junk | st.lists(nested_junk, max_size=3),
            max_size=3,
        ),
    )
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(referral_ish, st.sampled_from([None, "multnomah-lead-2017", "multnomah-lead-2018"]))
def test_it_raises_nothing_but_invalid_input_on_any_input(data, rule_set):
    try:
        decision = screen(data, rule_set=rule_set)
    except InvalidInput as err:
        assert isinstance(err.field, str) and err.message
        return
    json.dumps(decision, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(referral_ish, max_size=4))
def test_it_raises_nothing_but_invalid_input_on_any_batch(items):
    try:
        decisions = screen_many(items)
    except InvalidInput as err:
        assert err.field.startswith("[") or err.field in ("(root)", "rule_set")
        return
    assert len(decisions) == len(items)


@settings(max_examples=800, deadline=None)
@given(well_formed)
def test_it_always_decides_a_well_formed_referral_consistently_with_its_criteria(data):
    decision = screen(data)
    results = {c["id"]: c["result"] for c in decision["criteria"]}
    assert decision["failed"] == [i for i, r in results.items() if r == "not_met"]
    assert decision["unknown"] == [i for i, r in results.items() if r == "unknown"]
    if decision["failed"]:
        assert decision["decision"] == "ineligible"
    elif decision["unknown"]:
        assert decision["decision"] == "needs_review"
    else:
        assert decision["decision"] == "eligible"
    not_applicable = SOCIAL_ONLY if data["pathway"] == "arrest" else ARREST_ONLY
    assert {i for i, r in results.items() if r == "not_applicable"} == not_applicable
    assert all(c["explanation"].endswith(".") for c in decision["criteria"])
    if data.get("exceptional_circumstances") == "reason":
        assert decision["decision"] == "ineligible"
