"""Program definitions: the shipped files load, name their rule sets, and a bad file stops
loading with the file named."""

import datetime as dt
from pathlib import Path

import pytest

from diversion.eligibility import Programs, Registry, RuleSetError, load_program
from diversion.eligibility.programs import BUILTIN_PROGRAMS, implicit_lead_program

REG = Registry.default()
PROGRAMS = Programs.default()


def test_it_runs_each_shipped_rule_set_under_its_program():
    assert [p.id for p in PROGRAMS.all()] == [
        "multnomah-lead-2017-program",
        "multnomah-lead-2018-program",
        "multnomah-deflection-2024-program",
    ]
    for rule_set_id, program_id in (
        ("multnomah-lead-2017", "multnomah-lead-2017-program"),
        ("multnomah-lead-2018", "multnomah-lead-2018-program"),
        ("multnomah-deflection-2024", "multnomah-deflection-2024-program"),
    ):
        assert PROGRAMS.for_rule_set(REG.get(rule_set_id)).id == program_id


@pytest.mark.parametrize("year", [2017, 2018])
def test_lead_runs_a_30_day_assessment_clock_on_arrests_only_ending_in_a_hold(year):
    program = PROGRAMS.get(f"multnomah-lead-{year}-program")
    assert (program.clock.days, program.clock.consequence, program.clock.completed_by) == (
        30, "prosecution_hold", ("psychosocial_assessment",))
    assert program.clock_runs_for("arrest") and not program.clock_runs_for("social_contact")
    assert [o.id for o in program.outcomes] == ["prosecution_declined", "prosecution_referred"]
    assert program.may_record("outcome_decision", "prosecutor")
    assert not program.may_record("psychosocial_assessment", "officer")


def test_deflection_is_completed_by_three_steps_and_a_failure_is_dated_the_deadline():
    program = PROGRAMS.get("multnomah-deflection-2024-program")
    assert program.clock.completed_by == ("screening", "service_referral",
                                          "first_service_attended")
    assert program.clock_runs_for("deflection")
    assert program.outcome("missed").id == "failed"
    assert program.outcome("missed").dated == "deadline_local_date"
    assert program.outcome("in_time").id == "completed"


def test_a_rule_set_no_program_names_runs_as_lead_with_its_window(tmp_path):
    rule_file = tmp_path / "x.toml"
    rule_file.write_text(
        (Path(REG.get("multnomah-lead-2018").path)).read_text()
        .replace('id = "multnomah-lead-2018"', 'id = "clackamas-lead-2019"')
        .replace('site = "multnomah"', 'site = "clackamas"')
        .replace("assessment_window_days = 30", "assessment_window_days = 14")
        .replace("builtin:", str(Path(REG.get("multnomah-lead-2018").path).parent.parent
                                 / "areas") + "/")
    )
    rs = Registry.from_dirs([tmp_path]).get("clackamas-lead-2019")
    program = PROGRAMS.for_rule_set(rs)
    assert program.id == implicit_lead_program(rs).id and program.clock.days == 14
    assert program.clock.consequence == "prosecution_hold"
    assert program.clock_runs_for("arrest") and not program.clock_runs_for("social_contact")


def _bad(tmp_path, old, new):
    text = (BUILTIN_PROGRAMS / "multnomah-deflection-2024.toml").read_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("days = 30", "days = 0", "clock.days"),
    ('consequence = "deflection"', 'consequence = "jail"', "clock.consequence"),
    ('"first_service_attended"]', '"a_hug"]', "clock.completed_by"),
    ('rule_set = "multnomah-deflection-2024"', 'rule_set = "multnomah-lead-2018"',
     "does not screen"),
    ('id = "failed"', 'id = "charged"', "outcomes"),
    ('roles = ["case_manager", "supervisor", "administrator"]', 'roles = ["janitor"]',
     "roles"),
    ("effective_from = 2024-09-01", "effective_from = 2024-09-01T00:00:00", "effective_from"),
    ('title = "', 'colour = "red"\ntitle = "', "unknown key"),
])
def test_a_bad_program_file_stops_loading_naming_the_file(tmp_path, old, new, message):
    with pytest.raises(RuleSetError) as caught:
        load_program(_bad(tmp_path, old, new), REG)
    assert "bad.toml" in str(caught.value) and message in str(caught.value)


def test_two_programs_cannot_run_one_rule_set(tmp_path):
    copy = _bad(tmp_path, 'id = "multnomah-deflection-2024-program"', 'id = "copy"')
    with pytest.raises(RuleSetError, match="already run by"):
        Programs([load_program(copy, REG), PROGRAMS.get("multnomah-deflection-2024-program")])


def test_the_program_in_force_follows_its_effective_date():
    at = dt.datetime.fromisoformat
    assert PROGRAMS.in_force(at("2018-04-30T23:59:00-07:00"), "multnomah").id == \
        "multnomah-lead-2017-program"
    assert PROGRAMS.in_force(at("2018-05-01T00:00:00-07:00"), "multnomah").id == \
        "multnomah-lead-2018-program"
    assert PROGRAMS.in_force(at("2024-08-31T23:59:00-07:00"), "multnomah-deflection") is None
