"""`diversion screen`: the screening contract on the command line, run as a real process."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from diversion import eligibility
from diversion.testing import KENTON, screening_input

REPO = Path(__file__).resolve().parents[3]
DIVERSION = REPO / ".venv" / "bin" / "diversion"
SHARED_FILE = REPO.parent / "shared/examples/screening-multnomah-lead-2017.json"
SE_BELMONT_7TH = {"lat": 45.5163, "lon": -122.6590}  # Central Eastside, in the area from 2018


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    """A deployment that has never run `migrate`: screening must still work."""
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(DIVERSION_VAR_DIR=str(var), DATABASE_URL=f"sqlite:///{var / 'none.sqlite3'}",
               DJANGO_SETTINGS_MODULE="diversion.settings")
    return env


def run(env, *args, stdin: bytes | str | None = None):
    command = [str(DIVERSION)] if DIVERSION.exists() else [sys.executable, "-m", "diversion.cli"]
    if isinstance(stdin, str):
        stdin = stdin.encode()
    return subprocess.run([*command, "screen", *args], input=stdin, capture_output=True,
                          env=env, timeout=120, check=False)


def test_it_prints_the_decision_of_one_referral_from_a_file(fresh_env, tmp_path):
    data = screening_input()
    path = tmp_path / "one.json"
    path.write_text(json.dumps(data))
    result = run(fresh_env, str(path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == eligibility.screen(data)
    assert json.loads(result.stdout)["decision"] == "eligible"


def test_it_prints_an_array_of_decisions_in_order_from_stdin(fresh_env):
    batch = [screening_input(location=KENTON), screening_input(),
             screening_input(active_extraditable_warrant=None)]
    result = run(fresh_env, "-", stdin=json.dumps(batch))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [d["decision"] for d in out] == ["ineligible", "eligible", "needs_review"]
    assert out == eligibility.screen_many(batch)


def test_it_screens_under_a_named_rule_set(fresh_env):
    data = json.dumps(screening_input(location=SE_BELMONT_7TH))
    in_force = json.loads(run(fresh_env, "-", stdin=data).stdout)
    named = json.loads(run(fresh_env, "--rule-set", "multnomah-lead-2017", "-", stdin=data).stdout)
    assert (in_force["rule_set"]["id"], in_force["decision"]) == ("multnomah-lead-2018",
                                                                   "eligible")
    assert (named["rule_set"]["id"], named["failed"]) == ("multnomah-lead-2017", ["area"])


def test_it_names_the_index_and_field_of_bad_input_on_stderr_only(fresh_env):
    batch = [screening_input(), screening_input(location={"lat": 123.0, "lon": -122.68})]
    result = run(fresh_env, "-", stdin=json.dumps(batch))
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"[1].location.lat" in result.stderr


@pytest.mark.parametrize(("data", "field"), [
    ({"occurred_at": "2027-01-12T21:15:00-08:00"}, b"pathway"),
    (screening_input(occurred_at="2027-01-12 21:15"), b"occurred_at"),
    (screening_input(substances=[{"substance": "heroin", "grams": -0.5}]),
     b"substances[0].grams"),
])
def test_it_names_the_field_of_bad_input(fresh_env, data, field):
    result = run(fresh_env, "-", stdin=json.dumps(data))
    assert (result.returncode, result.stdout) == (2, b"")
    assert field in result.stderr


def test_it_exits_2_for_an_unknown_rule_set(fresh_env):
    result = run(fresh_env, "--rule-set", "atlantis-2030", "-",
                 stdin=json.dumps(screening_input()))
    assert (result.returncode, result.stdout) == (2, b"")
    assert b"rule_set" in result.stderr


@pytest.mark.parametrize("stdin", ["this is not JSON", "", '{"pathway": "arrest",'])
def test_it_exits_2_when_the_input_is_not_json(fresh_env, stdin):
    result = run(fresh_env, "-", stdin=stdin)
    assert (result.returncode, result.stdout) == (2, b"")
    assert b"not valid JSON" in result.stderr or b"empty" in result.stderr


def test_it_exits_2_for_a_missing_file(fresh_env, tmp_path):
    result = run(fresh_env, str(tmp_path / "missing.json"))
    assert (result.returncode, result.stdout) == (2, b"")
    assert b"FILE" in result.stderr


@pytest.mark.skipif(not SHARED_FILE.exists(), reason=f"{SHARED_FILE} not found")
def test_it_decides_every_shared_worked_example_as_written(fresh_env):
    examples = json.loads(SHARED_FILE.read_text())["examples"]
    result = run(fresh_env, "--rule-set", "multnomah-lead-2017", "-",
                 stdin=json.dumps([e["input"] for e in examples]))
    assert result.returncode == 0, result.stderr
    got = [{k: d[k] for k in ("decision", "failed", "unknown")}
           for d in json.loads(result.stdout)]
    for example, outcome in zip(examples, got, strict=True):
        assert outcome == example["expect"], example["note"]


def test_it_uses_the_default_sites_pinned_rule_set_when_the_database_is_there(site, tmp_path):
    site.pinned_rule_set = "multnomah-lead-2017"
    site.save()
    path = tmp_path / "one.json"
    path.write_text(json.dumps(screening_input(location=SE_BELMONT_7TH)))
    out = StringIO()
    call_command("screen", str(path), stdout=out)
    decision = json.loads(out.getvalue())
    assert (decision["rule_set"]["id"], decision["failed"]) == ("multnomah-lead-2017", ["area"])
