""""What if we changed the rules?" on a page: a supervisor, the Operations Team or an
evaluator uploads a proposed rule file (or picks a rule set) and sees how the site's past
referrals and arrests would have been screened, counts only and suppressed; a bad file gets
a message naming what is wrong (400), never a 500; files over the size limit are refused."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from diversion import eligibility
from diversion.referrals.models import Referral
from diversion.reports.tests.test_simulate import _county

RULES = eligibility.Registry.default().get("multnomah-lead-2018").path
URL = "/reports/simulate"


def _proposed(text: str | None = None) -> bytes:
    """multnomah-lead-2018 with methamphetamine's threshold lowered from 10 g to 5 g."""
    text = text or RULES.read_text()
    return (text.replace('id = "multnomah-lead-2018"', 'id = "proposed-meth-5g"')
            .replace("methamphetamine = 10", "methamphetamine = 5").encode())


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _post(client, content: bytes | None = None, name="proposed.toml", **data):
    if content is not None:
        data["rule_file"] = SimpleUploadedFile(name, content, content_type="application/toml")
    return client.post(URL, data)


def _cells(html: str, caption: str) -> list[list[str]]:
    table = html.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)]


def test_a_supervisor_uploads_a_proposed_file_and_sees_the_changes(site, personas, settings):
    settings.DIVERSION_SUPPRESS_MAX = 0
    _county(site)
    response = _post(_client(personas["supervisor"]), _proposed())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Proposed: proposed-meth-5g (version 1)" in html
    assert "Records read: 12 referrals and 3 imported arrests." in html
    # Counted by hand in test_simulate.py: 10 eligible in force, 5 under 5 g.
    decisions = _cells(html, "Decisions under each rule set")
    assert decisions[0][1:] == ["10", "3", "2", "0"] and decisions[1][1:] == ["5", "8", "2", "0"]
    assert _cells(html, "What changed") == [["eligible → ineligible", "5"]]
    assert _cells(html, "What changed, by criterion") == [["quantity", "met → not met", "5"]]
    assert "Records with facts the records do not hold (unknown, never guessed): 4." in html
    groups = {row[0]: row[1:] for row in _cells(
        html, "By race and ethnicity: eligible under each, and the Relative Rate Index of "
              "being eligible (against White, not Hispanic)")}
    assert groups["black"][:3] == ["8", "4", "1"]
    # No record: no person's name, no link to a referral.
    for name in Referral.objects.values_list("person__family_name", flat=True):
        assert name not in html
    assert "/referrals/" not in html.split("<main", 1)[1]


def test_the_ops_team_and_an_evaluator_pick_a_known_rule_set(site, personas):
    _county(site)
    for role in ("ops_team", "evaluator"):
        client = _client(personas[role])
        assert client.get(URL).status_code == 200
        response = _post(client, rule_set="multnomah-lead-2017")
        assert response.status_code == 200, role
        assert "Proposed: multnomah-lead-2017" in response.content.decode()


def test_small_counts_are_hidden_and_the_csv_says_the_same(site, personas, settings):
    settings.DIVERSION_SUPPRESS_MAX = 10
    _county(site)
    client = _client(personas["evaluator"])
    html = _post(client, _proposed()).content.decode()
    # 5 moved: hidden; every decision count is 10 or less except none: all hidden but 0.
    assert _cells(html, "What changed")[0][1].count("suppressed") == 1
    response = _post(client, _proposed(), format="csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    moved = next(r for r in rows if r["section"] == "changed")
    assert (moved["item"], moved["value"]) == ("eligible->ineligible", "")


@pytest.mark.parametrize(("content", "name", "says"), [
    (b"id = [unclosed", "bad.toml", "not valid TOML"),
    (b"\xff\xfe\x00binary", "x.toml", "not text (UTF-8)"),
    (_proposed().replace(b'"builtin:downtown.geojson"', b'"/etc/passwd"'), "p.toml",
     "areas[0].file: an uploaded rule set may use only the shipped area files"),
    (_proposed().replace(b'"builtin:downtown.geojson"', b'"builtin:../../settings.py"'),
     "p.toml", "areas[0].file"),
    (_proposed().replace(b"[[criteria]]", b"[[criterias]]", 1), "p.toml", "unknown key"),
    (_proposed().replace(b'timezone = "America/Los_Angeles"', b'timezone = "Mars/Olympus"'),
     "p.toml", "unknown time zone"),
    (_proposed().replace(b'predicate = "', b'predicate = "no_such_', 1), "p.toml",
     "unknown predicate"),
])
def test_a_bad_file_is_refused_with_what_is_wrong_and_no_500(site, personas, content, name,
                                                             says):
    response = _post(_client(personas["supervisor"]), content, name=name)
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert "Or upload a proposed rule file (TOML):" in html and says in html


def test_a_file_over_the_limit_or_no_choice_is_refused(site, personas, settings):
    settings.DIVERSION_SIMULATE_MAX_BYTES = 2048
    client = _client(personas["supervisor"])
    big = _post(client, _proposed() + b"\n#" + b"x" * 4096)
    assert big.status_code == 400
    assert "a rule file may be at most 2048 bytes" in big.content.decode()
    neither = _post(client)
    assert neither.status_code == 400
    assert "Choose a rule set or upload a rule file" in neither.content.decode()
    both = _post(client, b"x = 1", rule_set="multnomah-lead-2017")
    assert both.status_code == 400


def test_roles_without_what_if_are_refused(site, personas):
    for role in ("officer", "case_manager", "prosecutor", "state_analyst"):
        assert _client(personas[role]).get(URL).status_code == 403, role
        assert _post(_client(personas[role]), _proposed()).status_code == 403, role
