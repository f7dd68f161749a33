"""Choosing the rule set, loading rule files, and a site's own rule directory."""

import datetime as dt
import re
from pathlib import Path

import pytest

from diversion.eligibility import InvalidInput, Registry, RuleSetError, load_ruleset, screen
from diversion.eligibility.rulesets import BUILTIN_RULESETS

from .cases import SE_BELMONT_7TH, arrest, result_of

REG = Registry.default()


@pytest.mark.parametrize(
    ("occurred_at", "rule_set"),
    [
        ("2017-02-27T00:00:00-08:00", "multnomah-lead-2017"),
        ("2017-06-01T12:00:00-07:00", "multnomah-lead-2017"),
        ("2018-04-30T23:59:59-07:00", "multnomah-lead-2017"),
        ("2018-05-01T06:59:59Z", "multnomah-lead-2017"),  # 23:59:59 on 30 April in Portland
        ("2018-05-01T07:00:00+00:00", "multnomah-lead-2018"),  # midnight on 1 May in Portland
        ("2018-05-01T00:00:00-07:00", "multnomah-lead-2018"),
        ("2018-05-01T01:59:59-05:00", "multnomah-lead-2017"),  # still 30 April in Portland
        ("2027-01-12T21:15:00-08:00", "multnomah-lead-2018"),
    ],
)
def test_it_screens_under_the_rule_set_in_force_on_the_local_date(occurred_at, rule_set):
    assert screen(arrest(occurred_at=occurred_at))["rule_set"]["id"] == rule_set


@pytest.mark.parametrize(
    "occurred_at", ["2017-02-26T23:59:59-08:00", "2017-02-27T07:59:59Z", "1999-01-01T00:00:00Z"]
)
def test_it_refuses_a_date_before_any_rule_set(occurred_at):
    with pytest.raises(InvalidInput) as err:
        screen(arrest(occurred_at=occurred_at))
    assert err.value.field == "occurred_at"


def test_it_finds_an_east_side_arrest_inside_in_2018_and_outside_in_2017():
    before = screen(arrest(location=SE_BELMONT_7TH, occurred_at="2018-04-30T12:00:00-07:00"))
    after = screen(arrest(location=SE_BELMONT_7TH, occurred_at="2018-05-01T12:00:00-07:00"))
    assert (before["rule_set"]["id"], result_of(before, "area")) == (
        "multnomah-lead-2017",
        "not_met",
    )
    assert (after["rule_set"]["id"], result_of(after, "area")) == ("multnomah-lead-2018", "met")


def test_it_uses_a_named_rule_set_whatever_the_date():
    decision = screen(arrest(location=SE_BELMONT_7TH), rule_set="multnomah-lead-2017")
    assert decision["rule_set"] == {"id": "multnomah-lead-2017", "version": "1"}
    assert decision["failed"] == ["area"]


@pytest.mark.parametrize("name", ["multnomah-lead-2019", "", 17])
def test_it_refuses_an_unknown_rule_set(name):
    with pytest.raises(InvalidInput) as err:
        screen(arrest(), rule_set=name)
    assert err.value.field == "rule_set"
    with pytest.raises(InvalidInput) as err:
        REG.get(name)
    assert err.value.field == "rule_set"


def test_it_refuses_an_unknown_rule_set_before_looking_at_the_input():
    with pytest.raises(InvalidInput) as err:
        screen({"pathway": "bicycle"}, rule_set="nope")
    assert err.value.field == "rule_set"


def test_it_refuses_a_site_without_rule_sets():
    with pytest.raises(InvalidInput) as err:
        screen(arrest(), site="atlantis")
    assert err.value.field == "site"


def test_it_describes_the_shipped_rule_sets():
    r2017, r2018 = REG.get("multnomah-lead-2017"), REG.get("multnomah-lead-2018")
    assert (r2017.effective_from, r2018.effective_from) == (
        dt.date(2017, 2, 27),
        dt.date(2018, 5, 1),
    )
    for rs in (r2017, r2018):
        assert (rs.site, rs.timezone, rs.assessment_window_days) == (
            "multnomah",
            "America/Los_Angeles",
            30,
        )
        assert "flyer" in rs.source
    assert "SE Powell" in r2018.source
    assert {"multnomah-lead-2017", "multnomah-lead-2018"} <= {rs.id for rs in REG.all()}


def test_it_gives_the_2018_rule_set_the_same_criteria_as_the_2017_one():
    r2017, r2018 = REG.get("multnomah-lead-2017"), REG.get("multnomah-lead-2018")
    assert [(c.id, c.predicate, c.applies_to, c.params) for c in r2017.criteria] == [
        (c.id, c.predicate, c.applies_to, c.params) for c in r2018.criteria
    ]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (
            dt.datetime(2018, 5, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=-7))),
            "multnomah-lead-2018",
        ),
        (dt.datetime(2018, 5, 1, 6, 59, tzinfo=dt.UTC), "multnomah-lead-2017"),
    ],
)
def test_it_answers_in_force_for_a_datetime(at, expected):
    assert REG.in_force(at).id == expected


def test_it_refuses_in_force_for_a_naive_datetime():
    with pytest.raises(InvalidInput) as err:
        REG.in_force(dt.datetime(2020, 1, 1))
    assert err.value.field == "occurred_at"


SITE_RULES = """
id = "multnomah-lead-2019"
version = "3"
site = "multnomah"
title = "A site's own rules: the 2018 areas, heroin limit lowered"
effective_from = 2019-03-10
timezone = "America/Los_Angeles"
assessment_window_days = 14
source = "Test fixture."

[[areas]]
id = "downtown"
file = "builtin:downtown.geojson"

[[areas]]
id = "park"
name = "A small park"
file = "park.geojson"

[[criteria]]
id = "area"
predicate = "in_area"

[[criteria]]
id = "quantity"
predicate = "below_thresholds"
applies_to = ["arrest"]
[criteria.params.thresholds]
heroin = 2
fentanyl = 5
"""

PARK = """{"type": "Polygon", "coordinates": [[[-122.70, 45.60], [-122.69, 45.60],
  [-122.69, 45.61], [-122.70, 45.61], [-122.70, 45.60]]]}"""


@pytest.fixture
def site_dir(tmp_path):
    (tmp_path / "multnomah-lead-2019.toml").write_text(SITE_RULES)
    (tmp_path / "park.geojson").write_text(PARK)
    return tmp_path


def test_it_loads_a_sites_own_rule_file_beside_the_shipped_ones(site_dir):
    registry = Registry.from_dirs([BUILTIN_RULESETS, site_dir])
    rs = registry.get("multnomah-lead-2019")
    assert (rs.version, rs.area_ids, rs.assessment_window_days) == ("3", ("downtown", "park"), 14)
    assert rs.area_of(45.605, -122.695) == "park"
    # 10 March 2019 is the day clocks went forward in Portland: midnight is still -08:00.
    assert registry.in_force(dt.datetime.fromisoformat("2019-03-10T00:00:00-08:00")) is rs
    assert (
        registry.in_force(dt.datetime.fromisoformat("2019-03-09T23:59:59-08:00")).id
        == "multnomah-lead-2018"
    )
    decision = screen(
        arrest(
            substances=[{"substance": "Fentanyl", "grams": 5}],
            occurred_at="2019-06-01T10:00:00-07:00",
        ),
        registry=registry,
    )
    assert decision["rule_set"] == {"id": "multnomah-lead-2019", "version": "3"}
    assert [c["id"] for c in decision["criteria"]] == ["area", "quantity"]
    assert decision["failed"] == ["quantity"]


def test_it_adds_the_directory_named_by_the_environment_to_the_default_registry(
    site_dir, monkeypatch
):
    monkeypatch.setenv("DIVERSION_RULES_DIR", str(site_dir))
    assert Registry.default().get("multnomah-lead-2019").site == "multnomah"
    monkeypatch.delenv("DIVERSION_RULES_DIR")
    with pytest.raises(InvalidInput):
        Registry.default().get("multnomah-lead-2019")


def test_it_caches_the_default_registry():
    assert Registry.default() is Registry.default()


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ('predicate = "in_area"', 'predicate = "in_aera"', "unknown predicate"),
        ('version = "3"\n', "", "missing key 'version'"),
        ("heroin = 2", "heroin = -2", "positive number"),
        ("heroin = 2", 'heroin = "two"', "positive number"),
        ('file = "park.geojson"', 'file = "nowhere.geojson"', "cannot read area file"),
        ('applies_to = ["arrest"]', 'applies_to = ["walk"]', "applies_to"),
        ("effective_from = 2019-03-10", "effective_from = 2019-03-10T00:00:00", "a date"),
        ('timezone = "America/Los_Angeles"', 'timezone = "Mars/Olympus"', "time zone"),
        ('id = "park"', 'id = "downtown"', "duplicate area id"),
        ("[criteria.params.thresholds]", "[criteria.params.limits]", "no parameter"),
        ("source =", "sauce = 1\nsource =", "unknown key"),
    ],
)
def test_it_refuses_a_broken_rule_file_and_says_why(site_dir, old, new, complaint):
    path = site_dir / "multnomah-lead-2019.toml"
    assert old in SITE_RULES
    path.write_text(SITE_RULES.replace(old, new, 1))
    with pytest.raises(RuleSetError) as err:
        load_ruleset(path)
    assert complaint in str(err.value)
    assert str(path) in str(err.value)


def test_it_refuses_two_rule_sets_of_a_site_taking_effect_on_the_same_day(site_dir):
    twin = SITE_RULES.replace('id = "multnomah-lead-2019"', 'id = "multnomah-lead-2019b"')
    (site_dir / "twin.toml").write_text(twin)
    with pytest.raises(RuleSetError, match="same day"):
        Registry.from_dirs([site_dir])


def test_it_ships_rule_files_that_all_load():
    files = sorted(Path(BUILTIN_RULESETS).glob("*.toml"))
    assert len(files) >= 2
    for path in files:
        assert load_ruleset(path).id == path.stem


def test_it_has_no_django_import_anywhere_in_the_engine():
    package = Path(__file__).resolve().parents[1]
    pattern = re.compile(r"^\s*(import|from)\s+django\b", re.MULTILINE)
    for path in package.rglob("*.py"):
        assert not pattern.search(path.read_text()), path
