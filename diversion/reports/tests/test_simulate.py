"""`diversion simulate`: a proposed rule set that lowers one threshold, over a synthetic
county, with the changed counts worked out by hand."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from diversion import eligibility, testing
from diversion.referrals.models import Referral
from diversion.reports.models import ArrestRecord
from diversion.reports.simulate import arrest_input, screen_both, simulation_report

LA = ZoneInfo("America/Los_Angeles")
RULES = eligibility.Registry.default().get("multnomah-lead-2018").path


@pytest.fixture
def proposed(tmp_path):
    """multnomah-lead-2018 with methamphetamine's threshold lowered from 10 g to 5 g."""
    text = RULES.read_text()
    text = text.replace('id = "multnomah-lead-2018"', 'id = "proposed-meth-5g"')
    text = text.replace("methamphetamine = 10", "methamphetamine = 5")
    text = text.replace('"builtin:', f'"{RULES.parent.parent / "areas"}/').replace(
        '.geojson"', '.geojson"')
    path = tmp_path / "proposed.toml"
    path.write_text(text)
    return str(path)


def _county(site):
    """12 referrals: by group and grams of methamphetamine (hand-counted below), and 3
    imported arrests."""
    officer = testing.make_user(username="olive", role="officer", site=site)
    when = datetime(2027, 3, 1, 12, tzinfo=LA)
    plan = [  # (race, ethnicity, grams)
        ("W", "N", 3), ("W", "N", 3), ("W", "N", 7), ("W", "N", 12),
        ("B", "N", 3), ("B", "N", 7), ("B", "N", 7), ("B", "N", 8),
        ("W", "H", 6), ("W", "H", 2), ("U", "U", 4), ("B", "N", None),
    ]
    for i, (race, eth, grams) in enumerate(plan):
        person = testing.make_person(site=site, race=race, ethnicity=eth)
        data = testing.screening_input(
            occurred_at=(when + timedelta(days=i)).isoformat(),
            substances=[{"substance": "methamphetamine", "grams": grams}])
        Referral.objects.create(site=site, person=person, officer=officer, pathway="arrest",
                                occurred_at=when + timedelta(days=i), screening_input=data)
    for i, (lat, lon, pcs) in enumerate([(45.5186, -122.681, True), (45.584, -122.686, True),
                                         (None, None, False)]):
        ArrestRecord.objects.create(site=site, record_id=f"a{i}", person_key=f"k{i}", sex="U",
                                    race="B", ethnicity="N", lat=lat, lon=lon, area="",
                                    arrested_at=when, level="misdemeanor", is_pcs=pcs,
                                    warrant_arrest=False, disposition="unknown", row_hash="x")


def test_it_counts_what_lowering_one_threshold_changes(site, proposed):
    _county(site)
    out = json.loads(_run("--rule-set", proposed, "--suppress-max", "0", "--workers", "1"))
    assert out["sources"] == {"referrals": 12, "imported_arrests": 3}
    # In force (10 g): the 12 referrals are eligible except 12 g (ineligible) and grams
    # unknown (needs review). The 3 arrests: Director Park PCS (needs review: facts
    # unknown), Kenton (ineligible: area), not PCS (ineligible: offense, area unknown).
    assert out["counts"]["in_force"] == {"eligible": 10, "ineligible": 3, "needs_review": 2,
                                         "not_screened": 0}
    # Proposed (5 g): 7, 7, 7, 8 and 6 g now reach the threshold: five more ineligible.
    assert out["counts"]["proposed"] == {"eligible": 5, "ineligible": 8, "needs_review": 2,
                                         "not_screened": 0}
    assert out["changed"] == {"eligible->ineligible": 5}
    assert out["by_criterion"] == {"quantity": {"met->not_met": 5}}
    # Every arrest has unknown facts, and the referral with unknown grams: 4 records.
    assert out["unknown"]["records_with_unknown_facts"] == 4
    groups = {g["group"]: g for g in out["by_group"]}
    # white, not Hispanic: 4 records, 3 eligible before (3, 3, 7), 2 after (3, 3).
    assert (groups["white"]["records"], groups["white"]["eligible_in_force"],
            groups["white"]["eligible_proposed"]) == (4, 3, 2)
    # Black, not Hispanic: 5 referrals + 3 arrests; eligible 4 before (3, 7, 7, 8), 1 after.
    assert (groups["black"]["records"], groups["black"]["eligible_in_force"],
            groups["black"]["eligible_proposed"]) == (8, 4, 1)
    assert groups["black"]["rri_in_force"] == round((4 / 8) / (3 / 4), 3)
    assert groups["black"]["rri_proposed"] == round((1 / 8) / (2 / 4), 3)
    assert groups["white"]["rri_in_force"] == 1.0


def test_it_suppresses_small_counts_and_runs_on_two_workers(site, proposed):
    _county(site)
    records_out = json.loads(_run("--rule-set", proposed, "--workers", "2"))
    groups = {g["group"]: g for g in records_out["by_group"]}
    assert records_out["suppress_max"] == 10
    assert groups["white"]["records"] is None and groups["white"]["rri_in_force"] is None


def test_the_same_tallies_on_one_worker_and_two(proposed):
    records = [(arrest_input(arrested_at="2027-03-01T12:00:00-08:00", lat=45.5186,
                             lon=-122.681, area="", is_pcs=i % 3 == 0), "white")
               for i in range(900)]
    rs = eligibility.load_ruleset(proposed)
    one = simulation_report(screen_both(records, proposed=rs, family="multnomah", workers=1),
                            proposed=rs, sources={}, threshold=0)
    two = simulation_report(screen_both(records, proposed=rs, family="multnomah", workers=2,
                                        chunk=200), proposed=rs, sources={}, threshold=0)
    assert one == two


def test_it_refuses_an_unknown_rule_set_with_exit_2(site):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as caught:
        _run("--rule-set", "atlantis-2030")
    assert caught.value.returncode == 2 and "--rule-set" in str(caught.value)


def _run(*args):
    from io import StringIO

    out = StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()
