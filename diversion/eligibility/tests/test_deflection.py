"""The deflection screening contract (multnomah-deflection-2024): worked examples and every
boundary, through the engine."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diversion.eligibility import InvalidInput, Registry, screen, screen_many

from .deflection_cases import BOUNDARIES, INVALID, RULE_SET, WORKED_EXAMPLES, stop

SHARED_FILE = (
    Path(__file__).resolve().parents[3].parent
    / "shared/examples/screening-multnomah-deflection-2024.json"
)
needs_shared = pytest.mark.skipif(
    not SHARED_FILE.exists(), reason=f"{SHARED_FILE} not found: ../shared is not beside this clone"
)


def _outcome(decision):
    return (decision["decision"], decision["failed"], decision["unknown"])


@needs_shared
def test_it_decides_each_shared_worked_example_as_written():
    for example in json.loads(SHARED_FILE.read_text())["examples"]:
        decision = screen(example["input"], rule_set=RULE_SET)
        expect = example["expect"]
        assert _outcome(decision) == (expect["decision"], expect["failed"], expect["unknown"]), (
            example["note"]
        )


@needs_shared
def test_it_has_the_inline_table_in_step_with_the_shared_examples():
    examples = json.loads(SHARED_FILE.read_text())["examples"]
    assert [e["note"] for e in examples] == [row[0] for row in WORKED_EXAMPLES]
    for example, (_, data, decision, failed, unknown) in zip(
        examples, WORKED_EXAMPLES, strict=True
    ):
        assert example["input"] == data
        assert example["expect"] == {"decision": decision, "failed": failed, "unknown": unknown}


@pytest.mark.parametrize(
    ("note", "data", "decision", "failed", "unknown"),
    WORKED_EXAMPLES + BOUNDARIES,
    ids=[row[0] for row in WORKED_EXAMPLES + BOUNDARIES],
)
def test_it_decides_each_example_and_boundary(note, data, decision, failed, unknown):
    assert _outcome(screen(data, rule_set=RULE_SET)) == (decision, failed, unknown)


@pytest.mark.parametrize(("note", "data", "field"), INVALID, ids=[row[0] for row in INVALID])
def test_it_refuses_invalid_input_naming_the_field(note, data, field):
    with pytest.raises(InvalidInput) as caught:
        screen(data, rule_set=RULE_SET)
    assert caught.value.field == field


def test_it_names_the_index_of_a_bad_item_in_a_batch():
    bad = stop(occurred_at="2025-06-02T23:30:00-07:00", last_failed_deflection_on="2025-06-03")
    with pytest.raises(InvalidInput) as caught:
        screen_many([stop(), bad], rule_set=RULE_SET)
    assert caught.value.field == "[1].last_failed_deflection_on"


def test_it_returns_the_contract_keys_with_the_four_criteria_in_order():
    decision = screen(stop(), rule_set=RULE_SET)
    assert decision["rule_set"] == {"id": RULE_SET, "version": "1"}
    assert [c["id"] for c in decision["criteria"]] == [
        "area",
        "personal_use_quantity",
        "other_offenses",
        "recent_failed_deflection",
    ]
    assert all(c["result"] == "met" and c["explanation"] for c in decision["criteria"])
    assert decision["area"] == "multnomah_county"
    json.dumps(decision)


def test_it_explains_a_recent_failure_with_its_date_and_the_days():
    decision = screen(stop(last_failed_deflection_on="2025-05-03"), rule_set=RULE_SET)
    text = decision["criteria"][3]["explanation"]
    assert "2025-05-03" in text and "30 days" in text


def test_it_never_repeats_a_substance_without_a_limit_or_a_picked_area_in_explanations():
    decision = screen(
        stop(
            substances=[{"substance": "Jane Doe's pills", "grams": 1}],
            location={"area": "Jane Doe's yard"},
        ),
        rule_set=RULE_SET,
    )
    assert "Jane" not in json.dumps(decision)


def test_it_picks_the_deflection_rule_set_in_force_for_its_family():
    registry = Registry.default()
    assert screen(stop(), site="multnomah-deflection")["rule_set"]["id"] == RULE_SET
    with pytest.raises(InvalidInput) as caught:
        screen(stop(occurred_at="2024-08-31T23:59:59-07:00"), site="multnomah-deflection")
    assert caught.value.field == "occurred_at"
    assert registry.get(RULE_SET).pathways == ("deflection",)


def test_it_refuses_a_deflection_under_a_lead_rule_set_naming_the_pathway():
    with pytest.raises(InvalidInput) as caught:
        screen(stop(), rule_set="multnomah-lead-2018")
    assert caught.value.field == "pathway"
    with pytest.raises(InvalidInput) as caught:
        screen(stop())  # the default family is multnomah's LEAD
    assert caught.value.field == "pathway"


_any = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.sampled_from(["none", "2025-05-03", "2025-06-03", "deflection", "multnomah_county",
                       "heroin", "mdma", "lsd", "fentanyl", "units", "grams", "substance"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["substance", "grams", "units", "lat", "lon", "area"])
                      | st.text(max_size=4), children, max_size=4),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {"pathway": st.sampled_from(["deflection", "arrest", None]),
         "occurred_at": st.sampled_from(["2025-06-02T23:30:00-07:00", "2024-09-01T00:00:00Z",
                                         "2025-06-03", None])},
        optional=dict.fromkeys(
            ("location", "substances", "other_offenses", "last_failed_deflection_on"), _any
        ),
    )
)
def test_it_never_raises_anything_but_invalid_input(data):
    try:
        decision = screen(data, rule_set=RULE_SET)
    except InvalidInput:
        return
    failed, unknown = decision["failed"], decision["unknown"]
    expected = "ineligible" if failed else "needs_review" if unknown else "eligible"
    assert decision["decision"] == expected
