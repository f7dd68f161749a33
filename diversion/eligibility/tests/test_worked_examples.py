"""The contract's worked examples, under the 2017 rule set and under the one in force."""

import json
from pathlib import Path

import pytest

from diversion.eligibility import screen

from .cases import WORKED_EXAMPLES

SHARED = Path(__file__).resolve().parents[3].parent / "shared/examples"
SHARED_FILE = SHARED / "screening-multnomah-lead-2017.json"


def _shared_examples():
    if not SHARED_FILE.exists():
        return [
            pytest.param(
                None,
                marks=pytest.mark.skip(
                    reason=f"{SHARED_FILE} not found: ../shared is not beside this clone"
                ),
            )
        ]
    examples = json.loads(SHARED_FILE.read_text())["examples"]
    return [pytest.param(e, id=e["note"]) for e in examples]


def _outcome(decision):
    return {k: decision[k] for k in ("decision", "failed", "unknown")}


@pytest.mark.parametrize("example", _shared_examples())
@pytest.mark.parametrize("rule_set", ["multnomah-lead-2017", None])
def test_it_decides_each_shared_worked_example_as_written(example, rule_set):
    decision = screen(example["input"], rule_set=rule_set)
    assert _outcome(decision) == example["expect"]


def test_it_has_the_inline_table_in_step_with_the_shared_examples():
    if not SHARED_FILE.exists():
        pytest.skip(f"{SHARED_FILE} not found: ../shared is not beside this clone")
    examples = json.loads(SHARED_FILE.read_text())["examples"]
    assert [e["note"] for e in examples] == [row[0] for row in WORKED_EXAMPLES]
    for example, (_, data, decision, failed, unknown) in zip(
        examples, WORKED_EXAMPLES, strict=True
    ):
        assert {k: v for k, v in example["input"].items() if v is not None} == {
            k: v for k, v in data.items() if v is not None
        }
        assert example["expect"] == {"decision": decision, "failed": failed, "unknown": unknown}


@pytest.mark.parametrize(
    ("note", "data", "decision", "failed", "unknown"),
    WORKED_EXAMPLES,
    ids=[row[0] for row in WORKED_EXAMPLES],
)
@pytest.mark.parametrize("rule_set", ["multnomah-lead-2017", "multnomah-lead-2018", None])
def test_it_decides_each_inline_worked_example(note, data, decision, failed, unknown, rule_set):
    result = screen(data, rule_set=rule_set)
    assert (result["decision"], result["failed"], result["unknown"]) == (decision, failed, unknown)


def test_it_screens_the_2027_examples_under_the_2018_rule_set_when_none_is_named():
    assert screen(WORKED_EXAMPLES[0][1])["rule_set"] == {
        "id": "multnomah-lead-2018",
        "version": "1",
    }


def test_it_returns_exactly_the_contract_keys_plus_the_area():
    decision = screen(WORKED_EXAMPLES[0][1], rule_set="multnomah-lead-2017")
    assert set(decision) == {"decision", "rule_set", "criteria", "failed", "unknown", "area"}
    assert decision["area"] == "downtown"
    assert [c["id"] for c in decision["criteria"]] == [
        "area",
        "offense",
        "high_risk",
        "quantity",
        "warrant",
        "no_contact_order",
        "prior_participation",
        "specialty_court",
        "supervision",
        "ops_team_denial",
        "exceptional_circumstances",
    ]
    assert all(set(c) == {"id", "result", "explanation"} for c in decision["criteria"])
    json.dumps(decision)  # JSON-ready
