"""The deployment-level state analyst: the state's figures of every site and of the deployment
(page, CSV, JSON), counts only, and nothing else: every record page, API, the admin and the
extract refuse the role (the role x surface matrix checks every cell; here the policy and the
pages a record lives on, by name)."""

import csv
import io
import json
import re
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from diversion import policy, testing
from diversion.accounts.models import Role, User
from diversion.accounts.services import user_set_role
from diversion.accounts.tests.test_matrix import world  # noqa: F401  (a fixture)
from diversion.referrals.models import Referral
from diversion.reports.tests.test_state import deployment  # noqa: F401  (a fixture)
from diversion.sites.models import Site


@pytest.fixture
def analyst(personas):
    return personas["state_analyst"]


def _row(html: str, month: str) -> list[str]:
    """The cells of the first table row headed MONTH (the deployment's table comes first)."""
    match = re.search(rf'<tr><th scope="row">{month}</th>(.*?)</tr>', html, re.S)
    assert match, f"no row for {month}"
    return re.findall(r"<td>(.*?)</td>", match.group(1), re.S)


def test_the_analyst_sees_every_sites_counts_and_the_deployments_by_month(
        deployment, analyst, client, settings):  # noqa: F811
    settings.DIVERSION_SUPPRESS_MAX = 0
    client.force_login(analyst)
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home["Location"] == reverse("reports:state")
    page = client.get(reverse("reports:state"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>The state's figures</h1>" in html
    for heading in ("All sites together (the deployment)", deployment.deflect.name,
                    "LEAD county", "Quiet county"):
        assert f">{heading}</h2>" in html.replace("&#x27;", "'")
    # June 2025, the deployment (worked out by hand in test_state.py): 6 referrals, 5 eligible,
    # 1 not, 5 enrolled, 2 completed, 1 not completed, 2 still in the program, 0 exited
    # without a clock.
    assert _row(html, "2025-06") == ["6", "5", "1", "5", "2", "1", "2", "0"]
    assert "Nothing to count yet." in html  # the quiet county
    # No record: no person's name, no referral's id link.
    for name in Referral.objects.values_list("person__family_name", flat=True):
        assert name not in html
    assert "/referrals/" not in html and "/cases/" not in html


def test_the_analyst_downloads_the_same_figures_as_csv_and_json(
        deployment, analyst, client, settings):  # noqa: F811
    settings.DIVERSION_SUPPRESS_MAX = 0
    client.force_login(analyst)
    as_json = client.get(reverse("reports:state_download", args=["json"]))
    assert as_json.status_code == 200
    assert as_json["Content-Disposition"].startswith('attachment; filename="state-figures-')
    report = json.loads(as_json.content)
    assert report["deployment"]["figures"]["total"]["referrals"] == 8
    assert {s["name"] for s in report["sites"]} == set(Site.objects.values_list("name",
                                                                                flat=True))
    as_csv = client.get(reverse("reports:state_download", args=["csv"]))
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    june = {r["measure"]: r["count"] for r in rows
            if (r["site"], r["table"], r["month"]) == ("all", "figures", "2025-06")}
    assert june["completed"] == "2" and june["referrals"] == "6"
    assert client.get(reverse("reports:state_download", args=["xlsx"])).status_code == 404


def test_small_counts_are_suppressed_on_the_page(deployment, analyst, client, settings):  # noqa: F811
    settings.DIVERSION_SUPPRESS_MAX = 10
    client.force_login(analyst)
    html = client.get(reverse("reports:state")).content.decode()
    # Every count here is 1 to 10: hidden; the zeros of July are shown.
    cells = _row(html, "2025-06")
    assert all("suppressed" in c for c in cells[:7]) and cells[7] == "0"
    assert "<td>0</td>" in html


def test_the_page_is_in_spanish(deployment, analyst, client):  # noqa: F811
    client.force_login(analyst)
    html = client.get(reverse("reports:state"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Las cifras del estado" in html
    assert "Todos los sitios juntos" in html and "Aún en el programa" in html


def test_the_policy_gives_the_analyst_the_states_figures_and_nothing_else(analyst):
    granted = {c for c in policy.CAPABILITIES if policy.can(analyst, c)}
    assert granted == {"state.read"}
    # and no one else reads them
    for role in Role.values:
        if role != Role.STATE_ANALYST:
            assert role not in policy.roles_with("state.read")


def test_every_record_page_api_the_admin_and_the_extract_refuse_the_analyst(
        world, personas, analyst):  # noqa: F811
    from diversion.accounts.tests.test_matrix import _refused

    client = Client()
    client.force_login(analyst)
    pages = [
        reverse("referrals:list"), reverse("referrals:detail", args=[world["referrals:pk"]]),
        reverse("referrals:new"), reverse("cases:mine"),
        reverse("cases:detail", args=[world["cases:pk"]]), reverse("cases:holds"),
        reverse("cases:caseloads"), reverse("partners:meetings"), reverse("partners:readmissions"),
        reverse("people:duplicates"), reverse("consent:person", args=[world["consent:pk"]]),
        reverse("texts:case", args=[world["texts:pk"]]), reverse("resources:search"),
        reverse("notifications:inbox"),
        reverse("reports:index"), reverse("reports:extract"),
        reverse("reports:extract_download", args=[world["reports:pk"]]),
        reverse("reports:pdf"), reverse("reports:deployment"),
        "/api/v1/referrals", f"/api/v1/referrals/{world['api:referral_id']}", "/api/v1/cases",
        f"/api/v1/cases/{world['api:case_id']}", "/api/v1/people",
        f"/api/v1/people/{world['api:person_id']}", "/api/v1/reports/equity", "/hsds/services",
        reverse("admin:index"), reverse("admin:accounts_user_changelist"),
    ]
    let_through = [url for url in pages if not _refused(client.get(url))]
    assert not let_through, f"the state analyst got through: {let_through}"
    screened = client.post("/api/v1/screenings", testing.screening_input(),
                           content_type="application/json")
    assert screened.status_code == 403


def test_a_sites_administrator_neither_sees_nor_gives_the_role(personas, analyst, client):
    admin = personas["administrator"]
    client.force_login(admin)
    users = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert personas["evaluator"].username in users
    assert analyst.username not in users
    assert client.get(reverse("admin:accounts_user_change", args=[analyst.pk])).status_code \
        in (302, 404)
    # The role is not offered, and the service refuses it.
    form = client.get(reverse("admin:accounts_user_change",
                              args=[personas["evaluator"].pk])).content.decode()
    assert 'value="evaluator"' in form and 'value="state_analyst"' not in form
    with pytest.raises(ValidationError):
        user_set_role(user=personas["evaluator"], role=Role.STATE_ANALYST, actor=admin)
    assert User.objects.get(pk=personas["evaluator"].pk).role == Role.EVALUATOR


def test_the_operator_makes_one_and_the_demo_prints_its_login(site, settings, tmp_path,
                                                              monkeypatch):
    monkeypatch.setenv("DIVERSION_PASSWORD", testing.PASSWORD)
    out = StringIO()
    call_command("user", "create", "stateperson", "--role", "state_analyst", stdout=out)
    assert User.objects.get(username="stateperson").role == Role.STATE_ANALYST
    from diversion.platform.demo_users import demo_logins

    assert any("stateanalyst" in line and "State analyst" in line for line in demo_logins())
