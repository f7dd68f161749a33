"""The deployment's page: every site's counts, de-identified and suppressed, for the one
administrator given it on the server."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from diversion import testing
from diversion.conftest import login
from diversion.referrals.services import PersonInput, referral_submit


def _refer(site, officer, pathway, n, surnames):
    occurred = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    for _ in range(n):
        surname = testing.synthetic_surname()
        surnames.append(surname)
        referral_submit(site=site, officer=officer, accepted=None,
                        data=testing.screening_input(occurred_at=occurred, pathway=pathway,
                                                     high_risk_of_drug_arrest=True),
                        person_input=PersonInput(given_name="Test", family_name=surname,
                                                 date_of_birth=datetime(1980, 1, 2).date()))


@pytest.fixture
def two_sites(site, personas):
    other = personas["outsider"].site
    other_officer = testing.make_user(username="o_officer", role="officer", site=other)
    surnames = []
    _refer(site, personas["officer"], "arrest", 4, surnames)
    _refer(site, personas["officer"], "social_contact", 3, surnames)
    _refer(other, other_officer, "arrest", 3, surnames)
    return site, other, surnames


def _table(body: str, title: str) -> list[list[str]]:
    import re

    part = body.split(f"<caption>{title}</caption>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", part, re.S)[1:]
    return [[re.sub(r"<[^>]+>", "", c).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def test_only_a_deployment_administrator_opens_it(client, personas, two_sites):
    admin = personas["administrator"]
    assert login(client, admin).get(reverse("reports:deployment")).status_code == 403
    call_command("user", "deployment-admin", admin.username, verbosity=0)
    assert client.get(reverse("reports:deployment")).status_code == 200
    assert "All sites" in client.get(reverse("home"), follow=True).content.decode()
    with pytest.raises(CommandError, match="role: Only an administrator"):
        call_command("user", "deployment-admin", personas["evaluator"].username)
    assert login(client, personas["evaluator"]).get(
        reverse("reports:deployment")).status_code == 403
    call_command("user", "deployment-admin", admin.username, "--off", verbosity=0)
    assert login(client, admin).get(reverse("reports:deployment")).status_code == 403


def test_it_counts_each_site_and_the_total_and_names_no_one(client, personas, two_sites,
                                                            settings):
    settings.DIVERSION_SUPPRESS_MAX = 2  # nothing here is 1 or 2: every count is shown
    site, other, surnames = two_sites
    admin = personas["administrator"]
    call_command("user", "deployment-admin", admin.username, verbosity=0)
    body = login(client, admin).get(reverse("reports:deployment")).content.decode()
    rows = {r[0]: r[1:] for r in _table(body, "Referrals by pathway")}
    assert rows[site.name] == ["4", "3", "7"]
    assert rows[other.name] == ["3", "0", "3"]
    assert rows["All sites"] == ["7", "3", "10"]
    assert not any(surname in body for surname in surnames)


def test_small_counts_are_hidden_and_cannot_be_worked_out(client, personas, two_sites,
                                                          settings):
    settings.DIVERSION_SUPPRESS_MAX = 2
    site, other, surnames = two_sites
    _refer(other, personas["officer"].__class__.objects.get(username="o_officer"),
           "social_contact", 1, surnames)
    admin = personas["administrator"]
    call_command("user", "deployment-admin", admin.username, verbosity=0)
    body = login(client, admin).get(reverse("reports:deployment")).content.decode()
    table = _table(body, "Referrals by pathway")
    cells = [row[1:] for row in table]
    assert any(c == "suppressed" for row in cells for c in row)
    assert not any(c in ("1", "2") for row in cells for c in row)
    # No row or column has exactly one hidden cell, so no subtraction from a total finds it.
    for row in cells:
        assert sum(c == "suppressed" for c in row) != 1, row
    for column in zip(*cells, strict=True):
        assert sum(c == "suppressed" for c in column) != 1, column
