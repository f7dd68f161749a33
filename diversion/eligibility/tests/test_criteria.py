"""Each criterion of the Multnomah rule sets at its boundaries."""

import pytest

from diversion.eligibility import screen

from .cases import arrest, explanation_of, result_of, social_contact

RULE_SETS = ["multnomah-lead-2017", "multnomah-lead-2018"]


def grams(*entries):
    return [{"substance": name, "grams": g} for name, g in entries]


@pytest.mark.parametrize("rule_set", RULE_SETS)
@pytest.mark.parametrize(
    ("substances", "result"),
    [
        (grams(("heroin", 4.99)), "met"),
        (grams(("heroin", 5)), "not_met"),
        (grams(("heroin", 5.0)), "not_met"),
        (grams(("cocaine", 9.99)), "met"),
        (grams(("cocaine", 10)), "not_met"),
        (grams(("methamphetamine", 9.99)), "met"),
        (grams(("methamphetamine", 10)), "not_met"),
        (grams(("heroin", 2.2), ("heroin", 2.8)), "not_met"),
        (grams(("heroin", 2.5), ("HEROIN", 2.49)), "met"),
        (grams(("cocaine", 6), (" Cocaine ", 4)), "not_met"),
        (
            grams(("methamphetamine", 0.1), ("methamphetamine", 0.2), ("METHAMPHETAMINE", 9.7)),
            "not_met",
        ),
        (grams(("Heroin", 5)), "not_met"),
        (grams(("fentanyl", 50)), "met"),
        (grams(("heroin", 4.99), ("cocaine", 9.99), ("methamphetamine", 9.99)), "met"),
        ([], "met"),
        (None, "unknown"),
        (grams(("heroin", None)), "unknown"),
        (grams(("heroin", 1), ("heroin", None)), "unknown"),
        (grams(("heroin", 5), ("heroin", None)), "not_met"),
        (grams(("heroin", None), ("cocaine", 10)), "not_met"),
        (grams(("fentanyl", None)), "met"),
        (grams((None, 1)), "unknown"),
        (grams((None, 1), ("methamphetamine", 12)), "not_met"),
        (grams(("cocaine", 0)), "met"),
    ],
)
def test_it_applies_the_quantity_limits_at_their_boundaries(substances, result, rule_set):
    decision = screen(arrest(substances=substances), rule_set=rule_set)
    assert result_of(decision, "quantity") == result
    assert (
        decision["decision"]
        == {"met": "eligible", "not_met": "ineligible", "unknown": "needs_review"}[result]
    )


def test_it_explains_a_quantity_over_the_limit_in_grams():
    decision = screen(arrest(substances=grams(("methamphetamine", 10))))
    assert explanation_of(decision, "quantity") == (
        "Carrying 10 g of methamphetamine; the limit is less than 10 g."
    )


def test_it_names_the_substance_whose_grams_are_missing():
    decision = screen(arrest(substances=grams(("heroin", None))))
    assert "heroin" in explanation_of(decision, "quantity")
    assert "not known" in explanation_of(decision, "quantity")


def test_it_never_repeats_a_substance_name_without_a_limit():
    decision = screen(arrest(substances=grams(("Jane Doe's pills", 1))))
    assert "Jane" not in explanation_of(decision, "quantity")


@pytest.mark.parametrize(
    ("charge", "result"),
    [
        (
            {"offense": "PCS", "substantial_quantity": False, "commercial_drug_offense": False},
            "met",
        ),
        (
            {"offense": " pcs ", "substantial_quantity": False, "commercial_drug_offense": False},
            "met",
        ),
        (
            {"offense": "PCS", "substantial_quantity": True, "commercial_drug_offense": False},
            "not_met",
        ),
        (
            {"offense": "PCS", "substantial_quantity": False, "commercial_drug_offense": True},
            "not_met",
        ),
        (
            {"offense": "PCS", "substantial_quantity": None, "commercial_drug_offense": True},
            "not_met",
        ),
        (
            {"offense": "PCS", "substantial_quantity": None, "commercial_drug_offense": False},
            "unknown",
        ),
        ({"offense": "PCS"}, "unknown"),
        (
            {
                "offense": "ORS 164.045",
                "substantial_quantity": False,
                "commercial_drug_offense": False,
            },
            "not_met",
        ),
        ({"offense": "ORS 164.045"}, "not_met"),
        (
            {"offense": None, "substantial_quantity": False, "commercial_drug_offense": False},
            "unknown",
        ),
        ({"offense": None, "substantial_quantity": True}, "not_met"),
        ({}, "unknown"),
        (None, "unknown"),
    ],
)
def test_it_takes_pcs_only_without_sq_or_cdo(charge, result):
    assert result_of(screen(arrest(charge=charge)), "offense") == result


@pytest.mark.parametrize(
    ("value", "result"), [(True, "met"), (False, "not_met"), (None, "unknown")]
)
def test_it_needs_the_officers_high_risk_judgement_for_a_social_contact(value, result):
    decision = screen(social_contact(high_risk_of_drug_arrest=value))
    assert result_of(decision, "high_risk") == result
    assert decision["failed"] == (["high_risk"] if result == "not_met" else [])
    assert decision["unknown"] == (["high_risk"] if result == "unknown" else [])


@pytest.mark.parametrize(
    ("key", "criterion"),
    [
        ("active_extraditable_warrant", "warrant"),
        ("no_contact_order_with_participant", "no_contact_order"),
        ("ops_team_denial", "ops_team_denial"),
    ],
)
@pytest.mark.parametrize("make", [arrest, social_contact])
@pytest.mark.parametrize(
    ("value", "result"), [(False, "met"), (True, "not_met"), (None, "unknown")]
)
def test_it_excludes_on_a_true_flag_and_asks_about_an_unknown_one(
    key, criterion, make, value, result
):
    decision = screen(make(**{key: value}))
    assert result_of(decision, criterion) == result
    if value is None:
        decision = screen({k: v for k, v in make().items() if k != key})
        assert result_of(decision, criterion) == "unknown"


def test_it_asks_to_confirm_the_warrant_when_the_check_is_not_back():
    decision = screen(arrest(active_extraditable_warrant=None))
    assert explanation_of(decision, "warrant") == (
        "Warrant check not known yet: confirm whether there is an active extraditable warrant."
    )


READMISSION = [
    (True, True, "met"),
    (True, False, "not_met"),
    (True, None, "unknown"),
    (False, True, "not_met"),
    (False, False, "not_met"),
    (False, None, "not_met"),
    (None, True, "unknown"),
    (None, False, "not_met"),
    (None, None, "unknown"),
]


@pytest.mark.parametrize("make", [arrest, social_contact])
@pytest.mark.parametrize(("ops", "da", "result"), READMISSION)
def test_it_readmits_a_former_participant_only_with_ops_team_and_da(make, ops, da, result):
    decision = screen(
        make(lead_status="former", ops_team_recommends_readmission=ops, da_agrees_to_readmission=da)
    )
    assert result_of(decision, "prior_participation") == result


@pytest.mark.parametrize(("ops", "da"), [(True, True), (False, False), (None, None)])
@pytest.mark.parametrize(
    ("status", "result"), [("never", "met"), ("current", "not_met"), (None, "unknown")]
)
def test_it_ignores_readmission_for_never_current_or_unknown_status(status, result, ops, da):
    decision = screen(
        arrest(lead_status=status, ops_team_recommends_readmission=ops, da_agrees_to_readmission=da)
    )
    assert result_of(decision, "prior_participation") == result


@pytest.mark.parametrize(
    ("value", "result"),
    [
        ("none", "met"),
        ("eligible_pending_case", "not_met"),
        ("engaged", "not_met"),
        (None, "unknown"),
    ],
)
def test_it_excludes_a_specialty_court_case(value, result):
    assert result_of(screen(arrest(specialty_court=value)), "specialty_court") == result


@pytest.mark.parametrize("kind", ["post_prison", "parole", "formal_probation", "bench_probation"])
@pytest.mark.parametrize(
    ("person", "result"), [(True, "not_met"), (False, "met"), (None, "unknown")]
)
def test_it_excludes_each_kind_of_supervision_only_for_a_person_offense(kind, person, result):
    decision = screen(arrest(supervision=kind, supervision_for_person_offense=person))
    assert result_of(decision, "supervision") == result


@pytest.mark.parametrize(("person"), [True, False, None])
def test_it_meets_supervision_none_whatever_the_person_offense_flag(person):
    decision = screen(arrest(supervision="none", supervision_for_person_offense=person))
    assert result_of(decision, "supervision") == "met"


@pytest.mark.parametrize(("person"), [True, False, None])
def test_it_asks_about_supervision_when_its_kind_is_unknown(person):
    decision = screen(arrest(supervision=None, supervision_for_person_offense=person))
    assert result_of(decision, "supervision") == "unknown"


def test_it_names_the_supervision_in_plain_words():
    decision = screen(arrest(supervision="bench_probation", supervision_for_person_offense=True))
    assert explanation_of(decision, "supervision") == (
        "On misdemeanor bench probation for a person offense."
    )


@pytest.mark.parametrize(
    ("reason", "result"),
    [(None, "met"), ("", "met"), ("  \n", "met"), ("Threatened the officer", "not_met")],
)
def test_it_excludes_when_exceptional_circumstances_are_written(reason, result):
    decision = screen(arrest(exceptional_circumstances=reason))
    assert result_of(decision, "exceptional_circumstances") == result


def test_it_never_repeats_the_written_reason():
    decision = screen(arrest(exceptional_circumstances="John Smith said so"))
    assert "John" not in explanation_of(decision, "exceptional_circumstances")


def test_it_never_repeats_an_offense_code():
    decision = screen(arrest(charge={"offense": "Mary Roe case 12"}))
    assert "Mary" not in explanation_of(decision, "offense")


def test_it_marks_arrest_criteria_not_applicable_to_a_social_contact_and_ignores_their_keys():
    data = social_contact(
        charge={"offense": "ORS 164.045", "substantial_quantity": True},
        substances=grams(("heroin", 50)),
    )
    decision = screen(data)
    assert decision["decision"] == "eligible"
    assert result_of(decision, "offense") == "not_applicable"
    assert result_of(decision, "quantity") == "not_applicable"
    assert result_of(decision, "high_risk") == "met"
    assert explanation_of(decision, "offense") == "Does not apply to a social contact referral."


def test_it_marks_high_risk_not_applicable_to_an_arrest_and_ignores_its_key():
    decision = screen(arrest(high_risk_of_drug_arrest=False))
    assert decision["decision"] == "eligible"
    assert result_of(decision, "high_risk") == "not_applicable"


def test_it_lists_unknown_criteria_even_when_the_decision_is_ineligible():
    decision = screen(
        arrest(
            location=None,
            active_extraditable_warrant=True,
            lead_status=None,
            supervision="parole",
            supervision_for_person_offense=True,
        )
    )
    assert decision["decision"] == "ineligible"
    assert decision["failed"] == ["warrant", "supervision"]
    assert decision["unknown"] == ["area", "prior_participation"]


def test_it_needs_review_for_a_referral_with_only_the_required_keys():
    decision = screen({"pathway": "arrest", "occurred_at": "2027-01-12T21:15:00-08:00"})
    assert decision["decision"] == "needs_review"
    assert decision["failed"] == []
    assert decision["unknown"] == [
        "area",
        "offense",
        "quantity",
        "warrant",
        "no_contact_order",
        "prior_participation",
        "specialty_court",
        "supervision",
        "ops_team_denial",
    ]
    assert result_of(decision, "exceptional_circumstances") == "met"


def test_it_lists_failed_ids_in_rule_set_order():
    decision = screen(
        arrest(
            exceptional_circumstances="x",
            location={"lat": 0, "lon": 0},
            ops_team_denial=True,
            substances=grams(("heroin", 9)),
        )
    )
    assert decision["failed"] == [
        "area",
        "quantity",
        "ops_team_denial",
        "exceptional_circumstances",
    ]
