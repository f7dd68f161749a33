"""The state's figures on a synthetic deployment of three sites, against counts worked out by
hand; suppression as in the equity report; `diversion report state`."""

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from diversion import testing
from diversion.cases.models import (
    Case,
    Deflection,
    HoldStatus,
    ProsecutionHold,
)
from diversion.referrals.models import Decision, Referral
from diversion.reports.state import state_figures
from diversion.reports.suppression import suppress_table
from diversion.resources.models import (
    Organization,
    Service,
    ServiceAttribute,
    ServiceReferral,
    TaxonomyTerm,
)
from diversion.sites.models import Site

LA = ZoneInfo("America/Los_Angeles")


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=LA)


class Deployment:
    def __init__(self, site):
        self.n = 0
        self.deflect = site
        site.rule_set_site = "multnomah-deflection"
        site.save()
        self.lead = testing.make_site(slug="lead-county", name="LEAD county")
        self.empty = Site.objects.create(slug="quiet-county", name="Quiet county",
                                         rule_set_site="multnomah")
        self.users = {s.pk: (testing.make_user(username=f"off{s.pk}", role="officer", site=s),
                             testing.make_user(username=f"cm{s.pk}", role="case_manager",
                                               site=s))
                      for s in (self.deflect, self.lead)}

    def referral(self, site, when, verdict, *, outcome=None):
        """A referral and its decision; OUTCOME: None (no case), "open", "completed",
        "failed" (deflection) or "held", "declined", "referred" (LEAD hold)."""
        officer, cm = self.users[site.pk]
        person = testing.make_person(site=site)
        pathway = "deflection" if site == self.deflect else "arrest"
        r = Referral.objects.create(site=site, person=person, officer=officer, pathway=pathway,
                                    occurred_at=when, screening_input={}, accepted=bool(outcome))
        Decision.objects.create(referral=r, verdict="needs_review", rule_set_id="x",
                                rule_set_version="1", output={}, screening_input={})
        Decision.objects.create(referral=r, verdict=verdict, rule_set_id="x",
                                rule_set_version="1", output={}, screening_input={})
        if outcome is None:
            return r
        case = Case.objects.create(site=site, person=person, referral=r, case_manager=cm,
                                   opened_at=when + timedelta(minutes=20))
        due = when + timedelta(days=31)
        if outcome in ("open", "completed", "failed"):
            Deflection.objects.create(case=case, program_id="p", stopped_at=when, due_at=due,
                                      status=outcome if outcome != "open" else "open")
        else:
            ProsecutionHold.objects.create(case=case, arrested_at=when, due_at=due,
                                           status=outcome)
        return case

    def service_referral(self, case, when, kind):
        site = case.site
        self.n += 1
        org = Organization.objects.create(site=site, hsds_id=f"o{self.n}", name="Org")
        service = Service.objects.create(site=site, hsds_id=f"s{self.n}", organization=org,
                                         name="A service")
        if kind:
            term = TaxonomyTerm.objects.create(site=site, hsds_id=f"t{self.n}", code=kind,
                                               name=kind.title())
            ServiceAttribute.objects.create(site=site, hsds_id=f"a{self.n}", service=service,
                                            taxonomy_term=term)
        ServiceReferral.objects.create(site=site, case=case, service=service,
                                       referred_by=self.users[site.pk][1], referred_at=when)


@pytest.fixture
def deployment(site):
    d = Deployment(site)
    s = d.deflect
    # Deflection site, June 2025: four stops (one at 23:30 on 30 June, already 1 July in
    # UTC, counted in June); three eligible and enrolled: completed, failed, open.
    c1 = d.referral(s, at("2025-06-02 16:40"), "eligible", outcome="completed")
    c2 = d.referral(s, at("2025-06-10 09:00"), "eligible", outcome="failed")
    d.referral(s, at("2025-06-30 23:30"), "eligible", outcome="open")
    d.referral(s, at("2025-06-15 12:00"), "ineligible")
    # July 2025: one eligible enrolled (open), one needing review (neither).
    d.referral(s, at("2025-07-03 08:00"), "eligible", outcome="open")
    d.referral(s, at("2025-07-20 18:00"), "needs_review")
    # LEAD site, June 2025: two eligible arrests: the hold declined, the hold still held.
    d.referral(d.lead, at("2025-06-05 10:00"), "eligible", outcome=HoldStatus.DECLINED)
    d.referral(d.lead, at("2025-06-25 10:00"), "eligible", outcome=HoldStatus.HELD)
    # Service referrals: two to detox in June, one to housing and one uncategorised in July.
    d.service_referral(c1, at("2025-06-03 10:00"), "detox")
    d.service_referral(c2, at("2025-06-11 10:00"), "detox")
    d.service_referral(c1, at("2025-07-01 10:00"), "housing")
    d.service_referral(c2, at("2025-07-02 10:00"), None)
    return d


def _by_month(table):
    return {row.pop("month"): row for row in [dict(r) for r in table["months"]]}


def row(*values):
    keys = ("referrals", "eligible", "not_eligible", "enrolled", "completed", "not_completed",
            "still_in_program")
    return dict(zip(keys, values, strict=True))


def test_it_counts_each_site_and_the_deployment_by_month(deployment):
    report = state_figures(sites=[deployment.deflect, deployment.lead, deployment.empty],
                           threshold=0)
    sites = {s["site"]: s for s in report["sites"]}
    assert _by_month(sites[deployment.deflect.slug]["figures"]) == {
        "2025-06": row(4, 3, 1, 3, 1, 1, 1),
        "2025-07": row(2, 1, 0, 1, 0, 0, 1),
    }
    assert _by_month(sites["lead-county"]["figures"]) == {"2025-06": row(2, 2, 0, 2, 1, 0, 1)}
    assert sites["quiet-county"]["figures"] == {"months": [], "total": dict.fromkeys(
        report["measures"], 0)}
    assert _by_month(report["deployment"]["figures"]) == {
        "2025-06": row(6, 5, 1, 5, 2, 1, 2),
        "2025-07": row(2, 1, 0, 1, 0, 0, 1),
    }
    assert report["deployment"]["figures"]["total"] == row(8, 6, 1, 6, 2, 1, 3)
    assert _by_month(report["deployment"]["service_referrals"]) == {
        "2025-06": {"detox": 2, "housing": 0, "uncategorised": 0},
        "2025-07": {"detox": 0, "housing": 1, "uncategorised": 1},
    }


def test_it_suppresses_as_the_equity_report_does(deployment):
    report = state_figures(sites=[deployment.deflect, deployment.lead], threshold=10)
    table = report["deployment"]["figures"]
    # Every count here is 1 to 10: all hidden, zeros shown, as suppress_table says.
    values = [[6, 5, 1, 5, 2, 1, 2], [2, 1, 0, 1, 0, 0, 1]]
    mask = suppress_table(values, threshold=10, col_totals=True)
    for i, month in enumerate(table["months"]):
        for j, key in enumerate(report["measures"]):
            assert (month[key] is None) == bool(mask.cells[i, j])
    assert table["months"][1]["not_eligible"] == 0
    assert table["months"][0]["referrals"] is None
    assert report["suppress_max"] == 10
    # Nothing about a person anywhere: counts only.
    text = json.dumps(report)
    for person in Referral.objects.values_list("person__family_name", flat=True):
        assert person not in text


def test_the_command_prints_json_and_csv(deployment, capsys):
    call_command("report", "state", "--format", "json", "--suppress-max", "0")
    report = json.loads(capsys.readouterr().out)
    assert report["deployment"]["figures"]["total"]["referrals"] == 8
    call_command("report", "state", "--format", "csv", "--suppress-max", "0")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    total = next(r for r in rows if (r["site"], r["table"], r["month"], r["measure"])
                 == ("all", "figures", "total", "completed"))
    assert total["count"] == "2"
