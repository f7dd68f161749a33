"""Who may record what on a prosecution hold, and when, comes from the program definition in
force for the case (diversion/policy/holds.py reads its `outcome_decision` permissions): a
county that copies LEAD's program file and changes them changes what its prosecutor may
record, with no change to the code."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion.cases.models import HoldDecision, HoldStatus
from diversion.eligibility.areas import BUILTIN_AREAS
from diversion.eligibility.programs import BUILTIN_PROGRAMS
from diversion.eligibility.rulesets import BUILTIN_RULESETS
from diversion.referrals.models import Decision

LEAD_DECLINE = '''roles = ["prosecutor"]
record = "prosecution_declined"
from = ["pending", "prosecution_referred"]   # early, or after a late assessment
when = "any_time"'''
# The county's change: its prosecutor declines only once the clock has run out.
LATE_DECLINE = '''roles = ["prosecutor"]
record = "prosecution_declined"
from = ["pending", "prosecution_referred"]
when = "after_deadline"'''


def _county_files(root: Path, *, decline: str) -> None:
    """Testcounty's copy of LEAD 2018: its rule set and its program file (DECLINE: the
    prosecutor's decline permission)."""
    rules = (BUILTIN_RULESETS / "multnomah-lead-2018.toml").read_text()
    rules = (rules.replace('id = "multnomah-lead-2018"', 'id = "testcounty-lead-2024"')
             .replace('site = "multnomah"', 'site = "testcounty"')
             .replace("effective_from = 2018-05-01", "effective_from = 2024-01-01")
             .replace("builtin:", str(BUILTIN_AREAS) + "/"))
    (root / "testcounty-lead-2024.toml").write_text(rules)
    program = (BUILTIN_PROGRAMS / "multnomah-lead-2018.toml").read_text()
    assert LEAD_DECLINE in program
    program = (program.replace('id = "multnomah-lead-2018-program"',
                               'id = "testcounty-lead-2024-program"')
               .replace('site = "multnomah"', 'site = "testcounty"')
               .replace('rule_set = "multnomah-lead-2018"', 'rule_set = "testcounty-lead-2024"')
               .replace("effective_from = 2018-05-01", "effective_from = 2024-01-01")
               .replace(LEAD_DECLINE, decline))
    (root / "programs").mkdir()
    (root / "programs" / "testcounty-lead-2024.toml").write_text(program)


@pytest.fixture
def county(site, tmp_path, monkeypatch, make_case):
    """Make a case at the default site, now running testcounty's program."""
    site.rule_set_site = "testcounty"
    site.save()
    monkeypatch.setenv("DIVERSION_RULES_DIR", str(tmp_path))

    def running_hold(*, decline: str):
        _county_files(tmp_path, decline=decline)
        case = make_case(occurred_at=timezone.now() - timedelta(days=3),
                         rule_set_id="testcounty-lead-2024")
        Decision.objects.create(referral=case.referral, verdict="eligible",
                                rule_set_id="testcounty-lead-2024", rule_set_version="1",
                                output={}, screening_input={})
        assert case.hold.status == HoldStatus.HELD and case.hold.due_at > timezone.now()
        return case.hold

    return running_hold


def _decline(personas, hold):
    client = Client()
    client.force_login(personas["prosecutor"])
    return client, client.post(reverse("cases:hold_decide", args=[hold.pk]),
                               {"to_status": "declined", "reason": "Not pursuing."})


def test_the_copied_lead_file_lets_the_prosecutor_decline_a_running_hold(county, personas):
    hold = county(decline=LEAD_DECLINE)
    _client, response = _decline(personas, hold)
    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.status == HoldStatus.DECLINED


def test_a_changed_program_file_changes_what_the_prosecutor_may_record(county, personas):
    hold = county(decline=LATE_DECLINE)
    client, response = _decline(personas, hold)
    assert response.status_code == 400
    assert "still running" in response.content.decode()
    hold.refresh_from_db()
    assert hold.status == HoldStatus.HELD
    assert not HoldDecision.objects.filter(hold=hold).exists()
    # The holds page offers this hold nothing while its clock runs.
    html = client.get(reverse("cases:holds")).content.decode()
    row = html.split(f"#{hold.pk}</td>", 1)[1].split("</tr>", 1)[0]
    assert 'value="declined"' not in row and 'value="referred"' not in row


def test_a_program_file_naming_another_role_leaves_the_prosecutor_nothing(county, personas):
    hold = county(decline=LEAD_DECLINE.replace('roles = ["prosecutor"]',
                                               'roles = ["supervisor"]'))
    _client, response = _decline(personas, hold)
    assert response.status_code == 400
    assert "your role does not record this outcome" in response.content.decode()
    hold.refresh_from_db()
    assert hold.status == HoldStatus.HELD
