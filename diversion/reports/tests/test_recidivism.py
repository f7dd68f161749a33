import io
import json
import math

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from diversion.reports import dataset, recidivism, synth
from diversion.reports.services import arrests_import, referrals_import

# Referral strongly favours people with few priors, and priors strongly predict re-arrest:
# a naive comparison flatters the program.
STRONG = synth.Confounding(age=0.03, priors=0.5, o_priors=0.9)
SEEDS = (1, 2, 3, 4)


@pytest.fixture(scope="module")
def studies():
    out = []
    for seed in SEEDS:
        a, r, truth = synth.generate(seed=seed, people=4000, effect_or=0.4, confounding=STRONG)
        arrests, program = dataset.frames_from_csv(a.fillna(""), r.fillna(""))
        report = recidivism.recidivism_report(
            arrests, program, comparison="outside_area", launch=synth.launch_of(),
            window_months=6, outcome="any_arrest", survival=False)
        out.append((report, truth["marginal_or"]["outside_area"]["6"]["att"], truth))
    return out


def test_it_finds_every_participant_and_comparison_person_of_the_synthetic_county(studies):
    for report, _, truth in studies:
        assert report["n_treated"] == truth["n_treated"]
        assert report["n_comparison"] == truth["n_comparison"]["outside_area"]


def test_the_att_interval_covers_the_true_marginal_odds_ratio(studies):
    for report, att_truth, _ in studies:
        low, high = report["odds_ratio"]["att"]["ci95"]
        assert low <= att_truth <= high, (report["odds_ratio"]["att"], att_truth)


def test_the_unweighted_estimate_is_biased_and_weighting_removes_most_of_it(studies):
    unweighted = [math.log(r["odds_ratio"]["unweighted"]["estimate"] / t) for r, t, _ in studies]
    att = [math.log(r["odds_ratio"]["att"]["estimate"] / t) for r, t, _ in studies]
    assert sum(unweighted) / len(unweighted) < -0.2  # flatters the program
    assert sum(map(abs, att)) < sum(map(abs, unweighted))


def test_weighting_balances_the_covariates(studies):
    report = studies[0][0]
    priors = next(b for b in report["balance"] if b["covariate"] == "priors")
    assert abs(priors["smd_before"]) > 0.3
    assert abs(priors["smd_after_att"]) < 0.1


def test_it_refuses_an_unknown_comparison_or_window_naming_the_field():
    a, r, _ = synth.generate(seed=1, people=300)
    arrests, program = dataset.frames_from_csv(a.fillna(""), r.fillna(""))
    with pytest.raises(recidivism.EvaluationError) as exc:
        recidivism.recidivism_report(arrests, program, comparison="elsewhere",
                                     launch=synth.launch_of(), window_months=6,
                                     outcome="any_arrest")
    assert exc.value.field == "comparison"
    with pytest.raises(recidivism.EvaluationError) as exc:
        recidivism.recidivism_report(arrests, program, comparison="outside_area",
                                     launch=synth.launch_of(), window_months=7,
                                     outcome="any_arrest")
    assert exc.value.field == "window_months"


def test_the_command_prints_the_evaluation_as_json_from_imported_files(site, tmp_path):
    truth = synth.write(tmp_path, seed=7, people=1500, effect_or=0.4)
    arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
    referrals_import(site=site, path=tmp_path / "referrals.csv", actor=None)
    out = io.StringIO()
    call_command("evaluate", "recidivism", "--comparison", "before_launch", "--window-months",
                 "12", "--outcome", "non_warrant_arrest", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["n_treated"] == truth["n_treated"]
    assert report["n_comparison"] == truth["n_comparison"]["before_launch"]
    for kind in ("unweighted", "ate", "att"):
        est = report["odds_ratio"][kind]
        assert est["ci95"][0] < est["estimate"] < est["ci95"][1]
    assert {b["covariate"] for b in report["balance"]} >= {"age", "priors", "prior_felonies"}
    km = report["survival"]["kaplan_meier"]
    assert km["treated"]["survival"][0] == 1.0 and km["treated"]["months"][-1] == 24
    assert "hazard_ratio" in report["survival"]["cox"]["att_weighted"]


def test_the_command_names_the_problem_when_there_is_no_data(site):
    with pytest.raises(CommandError) as exc:
        call_command("evaluate", "recidivism", stdout=io.StringIO())
    assert "window_months" in str(exc.value) or "comparison" in str(exc.value)
