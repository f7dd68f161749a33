"""The deflection screening contract through `diversion screen` and POST /api/v1/screenings:
the worked examples and every boundary, as the engine decides them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from diversion import eligibility
from diversion.api.testing import ApiClient, fields
from diversion.eligibility.tests.deflection_cases import (
    BOUNDARIES,
    INVALID,
    RULE_SET,
    WORKED_EXAMPLES,
    stop,
)
from diversion.referrals.models import Referral

REPO = Path(__file__).resolve().parents[3]
DIVERSION = REPO / ".venv" / "bin" / "diversion"
SHARED_FILE = REPO.parent / "shared/examples/screening-multnomah-deflection-2024.json"
URL = "/api/v1/screenings"
ROWS = WORKED_EXAMPLES + BOUNDARIES


def _outcome(decision):
    return {k: decision[k] for k in ("decision", "failed", "unknown")}


def _expected(row):
    _, _, decision, failed, unknown = row
    return {"decision": decision, "failed": failed, "unknown": unknown}


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DIVERSION_VAR_DIR=str(var), DATABASE_URL=f"sqlite:///{var / 'none.sqlite3'}",
               DJANGO_SETTINGS_MODULE="diversion.settings")
    return env


def run(env, *args, stdin: str):
    command = [str(DIVERSION)] if DIVERSION.exists() else [sys.executable, "-m", "diversion.cli"]
    return subprocess.run([*command, "screen", *args], input=stdin.encode(), capture_output=True,
                          env=env, timeout=120, check=False)


def test_the_cli_decides_every_example_and_boundary(fresh_env):
    result = run(fresh_env, "--rule-set", RULE_SET, "-", stdin=json.dumps([r[1] for r in ROWS]))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for row, decision in zip(ROWS, out, strict=True):
        assert _outcome(decision) == _expected(row), row[0]
    assert out == eligibility.screen_many([r[1] for r in ROWS], rule_set=RULE_SET)


@pytest.mark.skipif(not SHARED_FILE.exists(), reason=f"{SHARED_FILE} not found")
def test_the_cli_decides_the_shared_file_as_written(fresh_env):
    examples = json.loads(SHARED_FILE.read_text())["examples"]
    result = run(fresh_env, "--rule-set", RULE_SET, "-",
                 stdin=json.dumps([e["input"] for e in examples]))
    assert result.returncode == 0, result.stderr
    for example, decision in zip(examples, json.loads(result.stdout), strict=True):
        assert _outcome(decision) == example["expect"], example["note"]


def test_the_cli_exits_2_naming_the_field_and_index(fresh_env):
    bad = stop(occurred_at="2025-06-02T23:30:00-07:00", last_failed_deflection_on="2025-06-03")
    result = run(fresh_env, "--rule-set", RULE_SET, "-", stdin=json.dumps([stop(), bad]))
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"[1].last_failed_deflection_on" in result.stderr


@pytest.fixture
def api(officer):
    return ApiClient(officer)


def test_the_api_decides_every_example_and_boundary(api):
    response = api.post(f"{URL}?rule_set={RULE_SET}", [r[1] for r in ROWS])
    assert response.status_code == 200
    for row, decision in zip(ROWS, response.json(), strict=True):
        assert _outcome(decision) == _expected(row), row[0]
    assert Referral.objects.count() == 0


def test_the_api_screens_under_the_deflection_rule_set_in_force_at_a_deflection_site(api, site):
    site.rule_set_site = "multnomah-deflection"
    site.full_clean()
    site.save()
    response = api.post(URL, stop())
    assert response.status_code == 200
    assert response.json()["rule_set"] == {"id": RULE_SET, "version": "1"}
    assert response.json()["decision"] == "eligible"


@pytest.mark.parametrize(("note", "data", "field"), INVALID, ids=[r[0] for r in INVALID])
def test_the_api_answers_400_naming_the_field(api, note, data, field):
    response = api.post(f"{URL}?rule_set={RULE_SET}", data)
    assert response.status_code == 400
    assert fields(response) == [field]


def test_the_api_refuses_a_deflection_at_a_lead_site_naming_the_pathway(api):
    response = api.post(URL, stop())
    assert response.status_code == 400
    assert fields(response) == ["pathway"]
