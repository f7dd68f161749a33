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
from diversion.reports.models import ProgramRecord
from diversion.reports.state import state_figures
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
            "still_in_program", "exited_no_clock")
    return dict(zip(keys, (*values, 0)[:8], strict=True))


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
    # Every count here is 1 to 10: all hidden; a zero is shown unless it would give one away.
    for block in [report["deployment"], *report["sites"]]:
        for month in block["figures"]["months"] + [block["figures"]["total"]]:
            for key in report["measures"]:
                assert month[key] in (None, 0), (month, key)
    assert report["deployment"]["figures"]["months"][0]["referrals"] is None
    assert report["deployment"]["figures"]["months"][1]["not_eligible"] == 0
    assert report["suppress_max"] == 10
    # Nothing about a person anywhere: counts only.
    text = json.dumps(report)
    for person in Referral.objects.values_list("person__family_name", flat=True):
        assert person not in text


def _june(report, scope, key):
    block = report["deployment"] if scope == "all" else next(
        s for s in report["sites"] if s["site"] == scope)
    return next(m[key] for m in block["figures"]["months"] if m["month"] == "2025-06")


def test_a_site_hidden_count_cannot_be_worked_out_from_the_deployment(site):
    """Twelve stops at one site and three arrests at another in June: the three are hidden,
    and so must be one more figure that would give them back (the deployment's 15 less the
    first site's 12). Suppressing each table alone published 12 and 15."""
    d = Deployment(site)
    for day in range(1, 13):
        d.referral(d.deflect, at(f"2025-06-{day:02d} 10:00"), "ineligible")
    for day in range(1, 4):
        d.referral(d.lead, at(f"2025-06-{day:02d} 10:00"), "ineligible")
    report = state_figures(sites=[d.deflect, d.lead], threshold=10)
    assert _june(report, "lead-county", "referrals") is None
    assert None in (_june(report, "all", "referrals"), _june(report, d.deflect.slug,
                                                              "referrals"))


def test_an_outcome_cannot_be_worked_out_from_the_enrolled(site):
    """In June and in July, eighteen enrolled: fifteen deflections completed, three running
    (and two not eligible in June). The threes are hidden, and the enrolled (18) less the
    others (15 and 0) must not give them back: suppressing the table by its columns alone
    published 18, 15 and 0."""
    d = Deployment(site)
    for month in (6, 7):
        for day in range(1, 19):
            d.referral(d.deflect, at(f"2025-{month:02d}-{day:02d} 10:00"), "eligible",
                       outcome="completed" if day <= 15 else "open")
    for day in (20, 21):
        d.referral(d.deflect, at(f"2025-06-{day:02d} 10:00"), "ineligible")
    report = state_figures(sites=[d.deflect], threshold=10)
    for month in report["sites"][0]["figures"]["months"]:
        assert month["still_in_program"] is None
        assert None in (month["enrolled"], month["completed"], month["not_completed"],
                        month.get("exited_no_clock", 0)), month


def test_an_exited_social_contact_is_not_still_in_the_program(site):
    """A LEAD social contact runs no clock: its case open, the person is still in the program;
    its case ended, they are not (they are 'exited_no_clock', so the outcomes still add up to
    the enrolled)."""
    d = Deployment(site)
    for when, exited in (("2025-06-02 10:00", False), ("2025-06-03 10:00", True)):
        r = d.referral(d.lead, at(when), "eligible")
        r.pathway = "social_contact"
        r.accepted = True
        r.save()
        Case.objects.create(site=d.lead, person=r.person, referral=r,
                            case_manager=d.users[d.lead.pk][1], opened_at=r.occurred_at,
                            status="exited" if exited else "engaged",
                            exited_at=r.occurred_at + timedelta(days=9) if exited else None)
    report = state_figures(sites=[d.lead], threshold=0)
    assert report["sites"][0]["figures"]["months"] == [
        {"month": "2025-06", **row(2, 2, 0, 2, 0, 0, 1, 1)}]


def test_a_service_in_two_categories_counts_under_each(deployment):
    """A service listed under detox and housing is counted under both, as the operations
    report counts it (by its first category, it dropped out of housing)."""
    case = Case.objects.filter(site=deployment.deflect).order_by("pk").first()
    org = Organization.objects.create(site=case.site, hsds_id="o-both", name="Org")
    service = Service.objects.create(site=case.site, hsds_id="s-both", organization=org,
                                     name="Detox and housing")
    for code in ("detox", "housing"):
        term = TaxonomyTerm.objects.filter(site=case.site, code=code).first()
        ServiceAttribute.objects.create(site=case.site, hsds_id=f"a-both-{code}",
                                        service=service, taxonomy_term=term)
    ServiceReferral.objects.create(site=case.site, case=case, service=service,
                                   referred_by=deployment.users[case.site.pk][1],
                                   referred_at=at("2025-07-05 10:00"))
    report = state_figures(sites=[deployment.deflect], threshold=0)
    assert _by_month(report["deployment"]["service_referrals"])["2025-07"] == {
        "detox": 1, "housing": 2, "uncategorised": 1}


def test_the_report_states_the_data_it_was_computed_from(deployment, capsys):
    """The sites, the first and last month, the referrals counted, and the imported history
    left out (a hidden count when it is 1 to the threshold), in JSON and CSV."""
    for n in range(2):
        ProgramRecord.objects.create(site=deployment.deflect, record_id=f"R{n}",
                                     person=testing.make_person(site=deployment.deflect),
                                     person_key=f"K{n}", row_hash=f"h{n}", pathway="arrest",
                                     referred_at=at("2024-03-01 10:00"), decision="eligible")
    report = state_figures(sites=[deployment.deflect, deployment.lead], threshold=0)
    assert report["data"]["sites"] == [deployment.deflect.slug, "lead-county"]
    assert report["data"]["period"] == ["2025-06", "2025-07"]
    assert report["data"]["rows"] == {"referrals": 8}
    assert report["data"]["left_out"] == [{"figure": "referrals", "reason": "imported",
                                           "count": 2}]
    hidden = state_figures(sites=[deployment.deflect, deployment.lead], threshold=10)
    assert hidden["data"]["left_out"][0]["count"] is None
    call_command("report", "state", "--format", "csv", "--suppress-max", "10")
    rows = {(r["table"], r["measure"]): r for r in
            csv.DictReader(io.StringIO(capsys.readouterr().out)) if r["site"] == "all"}
    assert rows[("data", "left_out.referrals.imported")]["suppressed"] == "True"
    assert rows[("data", "period_from")]["month"] == "2025-06"


def test_the_command_prints_json_and_csv(deployment, capsys):
    call_command("report", "state", "--format", "json", "--suppress-max", "0")
    report = json.loads(capsys.readouterr().out)
    assert report["deployment"]["figures"]["total"]["referrals"] == 8
    call_command("report", "state", "--format", "csv", "--suppress-max", "0")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    total = next(r for r in rows if (r["site"], r["table"], r["month"], r["measure"])
                 == ("all", "figures", "total", "completed"))
    assert total["count"] == "2"
