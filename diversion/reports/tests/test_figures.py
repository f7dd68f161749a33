"""The five findings of the independent check of the operations and harm reports (issue 19),
each as a user meets it. Each failed on the report code before its fix."""

import csv
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone

from diversion.cases.models import MonthlyStatus
from diversion.cases.services.hold import hold_resolve_due
from diversion.cases.tests.conftest import open_case
from diversion.conftest import login
from diversion.referrals.models import Decision
from diversion.reports import operations
from diversion.resources.models import (
    Organization,
    Service,
    ServiceAttribute,
    ServiceReferral,
    TaxonomyTerm,
)
from diversion.testing import make_user


def accepted_case(site, officer, case_manager, *, occurred_at, pathway="arrest"):
    """An eligible referral the person accepted, and its open case."""
    case = open_case(site, officer=officer, case_manager=case_manager, pathway=pathway,
                     occurred_at=occurred_at)
    Decision.objects.create(referral=case.referral, verdict="eligible", rule_set_id="test",
                            rule_set_version="1", screening_input={},
                            output={"criteria": [], "failed": [], "unknown": []})
    return case


def local(site, text):
    return datetime.fromisoformat(text).replace(tzinfo=site.tz)


def test_day_30_of_the_local_calendar_is_in_time_across_the_autumn_clock_change(site,
                                                                                 personas):
    """Arrest on 5 October, assessment on 4 November (the 30th local day, across the change
    back to standard time on 1 November): the hold ends declined, and the report agrees."""
    case = accepted_case(site, personas["officer"], personas["case_manager"],
                         occurred_at=local(site, "2026-10-05 10:00"))
    case.assessment_completed_at = local(site, "2026-11-04 10:00")
    case.save(update_fields=["assessment_completed_at"])
    assert hold_resolve_due(hold_id=case.hold.pk, now=local(site, "2026-11-06 00:00")) \
        == "declined"
    report = operations.operations_report(site, now=local(site, "2026-12-01 00:00"))
    assert report["assessment_within_30_days"]["completed_in_time"] == 1
    assert report["holds"]["declined"] == 1


def test_a_service_in_two_categories_is_counted_under_each(site, personas):
    case = accepted_case(site, personas["officer"], personas["case_manager"],
                         occurred_at=timezone.now())
    org = Organization.objects.create(site=site, hsds_id="org", name="Outreach")
    service = Service.objects.create(site=site, hsds_id="svc", organization=org,
                                     name="Clinic with beds")
    for i, name in enumerate(["Medical care", "Shelter"]):
        term = TaxonomyTerm.objects.create(site=site, hsds_id=f"t{i}", name=name)
        ServiceAttribute.objects.create(site=site, hsds_id=f"a{i}", service=service,
                                        taxonomy_term=term)
    ServiceReferral.objects.create(site=site, case=case, service=service,
                                   referred_by=personas["case_manager"],
                                   referred_at=timezone.now(), connected_at=timezone.now(),
                                   status="connected")
    report = operations.operations_report(site)
    kinds = {r["kind"]: (r["referred"], r["connected"]) for r in report["service_referrals"]}
    assert kinds == {"Medical care": (1, 1), "Shelter": (1, 1)}


def test_the_harm_report_keeps_a_long_term_participants_later_months(site, personas):
    case = accepted_case(site, personas["officer"], personas["case_manager"],
                         occurred_at=timezone.now())
    for k in range(24):
        MonthlyStatus.objects.create(site=site, case=case,
                                     month=date(2025 + (k // 12), k % 12 + 1, 1),
                                     housing="permanent" if k >= 20 else "unsheltered")
    months = operations.harm_report(site)["months"]
    assert [m["month"] for m in months] == list(range(24))
    assert months[23]["housed"] == 1.0


def test_the_caseloads_table_lists_a_case_manager_with_no_open_cases(site, personas):
    idle = make_user(username="idris", role="case_manager", site=site)
    accepted_case(site, personas["officer"], personas["case_manager"],
                  occurred_at=timezone.now())
    loads = {r["case_manager"]: r["open_cases"]
             for r in operations.operations_report(site)["caseloads"]}
    assert loads[idle.username] == 0 and loads[personas["case_manager"].username] == 1


def test_the_harm_report_does_not_show_one_participants_month_to_an_evaluator(client, site,
                                                                             personas):
    """A month with a single participant would tell every report reader that person's housing
    and overdoses: it is suppressed on the page, in the downloads and over the API."""
    case = accepted_case(site, personas["officer"], personas["case_manager"],
                         occurred_at=timezone.now())
    MonthlyStatus.objects.create(site=site, case=case, month=date(2027, 1, 1),
                                 housing="unsheltered", employment="none", overdose_events=2)
    login(client, personas["evaluator"])
    harm = client.get("/api/v1/reports/harm").json()
    month = harm["months"][0]
    assert month["participants"] is None
    assert all(month[m] is None for m in ("housed", "sheltered", "employed", "overdoses"))
    body = client.get(reverse("reports:download", args=["harm", "csv"])).content.decode()
    rows = list(csv.DictReader(body.split("# harm_by_month\n")[1].split("\n#")[0]
                               .splitlines()))
    assert rows[0]["month"] == "0"
    assert all(rows[0][m] == "" for m in ("participants", "housed", "sheltered", "employed",
                                          "overdoses"))


COUNT_COLUMNS = {"count", "evaluated", "failed", "unknown", "referred", "connected",
                 "participants", "open_cases"}
NOT_COUNTS = ("rate", "hours", "months", "share", "per_participant_month", "site", "period")


def _counts_in(body: str) -> list[tuple[str, str, float]]:
    """Every count cell of a downloaded CSV (its sections split at '# name' lines)."""
    found = []
    for section in body.split("# ")[1:]:
        name, _, text = section.partition("\n")
        for row in csv.DictReader(text.splitlines()):
            for col, value in row.items():
                measure = row.get("measure") or row.get("item") or ""
                is_count = (col in COUNT_COLUMNS or col.endswith("_n")
                            or (col == "value" and not any(w in measure for w in NOT_COUNTS)))
                if is_count and value not in ("", None) and value.lstrip("-").replace(
                        ".", "", 1).isdigit():
                    found.append((name, f"{measure or col}", float(value)))
    return found


def test_no_download_an_evaluator_gets_shows_a_count_from_1_to_the_threshold(
        client, site, personas, import_county):
    """The review found 35 counts from 1 to 10 in the operations CSV served to evaluators:
    every table any report role downloads now goes through the same suppression."""
    import_county(seed=5, people=600, effect_or=0.5)
    for i in range(3):
        case = accepted_case(site, personas["officer"], personas["case_manager"],
                             occurred_at=timezone.now())
        MonthlyStatus.objects.create(site=site, case=case, month=date(2027, 1 + i, 1),
                                     housing="unsheltered", overdose_events=i)
    login(client, personas["evaluator"])
    small = []
    for kind in ("operations", "harm", "equity"):
        body = client.get(reverse("reports:download", args=[kind, "csv"])).content.decode()
        assert "# " in body, kind
        small += [c for c in _counts_in(body) if 1 <= c[2] <= 10]
    assert small == []


def test_the_caseloads_table_is_internal_to_roles_that_see_the_cases(client, site, personas):
    accepted_case(site, personas["officer"], personas["case_manager"],
                  occurred_at=timezone.now())
    login(client, personas["evaluator"])
    assert "# caseloads" not in client.get(
        reverse("reports:download", args=["operations", "csv"])).content.decode()
    assert "caseloads" not in client.get("/api/v1/reports/operations").json()
    assert "casey" not in client.get(reverse("reports:index")).content.decode()
    login(client, personas["supervisor"])
    body = client.get(reverse("reports:download", args=["operations", "csv"])).content.decode()
    assert "# caseloads\ncase_manager,open_cases\ncasey,1\n" in body.replace("\r", "")
    assert client.get("/api/v1/reports/operations").json()["caseloads"][0]["open_cases"] == 1


def test_each_report_states_the_data_it_was_computed_from(client, site, personas):
    case = accepted_case(site, personas["officer"], personas["case_manager"],
                         occurred_at=timezone.now())
    assert case.first_contact_at is None
    login(client, personas["supervisor"])
    ops = client.get("/api/v1/reports/operations").json()["data"]
    assert ops["site"] == site.slug and ops["period"][0] is not None
    assert {"figure": "time_to_first_contact", "reason": "without_contact",
            "count": None} in ops["left_out"]  # 1: hidden
    body = client.get(reverse("reports:download", args=["operations", "csv"])).content.decode()
    assert "left_out.without_contact,time_to_first_contact," in body
    page = client.get(reverse("reports:index")).content.decode()
    assert "The data behind these figures" in page
    assert "accepted referrals without a contact yet are not counted" in page


def test_the_recidivism_evaluation_hides_a_handful_of_re_arrests(settings):
    """3 of 40 participants re-arrested is a count like any other: hidden with its complement,
    and so are the rate and the unweighted odds ratio that would give it back."""
    from diversion.reports import publish

    settings.DIVERSION_SUPPRESS_MAX = 10
    report = {"n_treated": 40, "n_comparison": 400,
              "events": {"treated": 3, "comparison": 120},
              "rate": {"treated": 0.075, "comparison": 0.3},
              "odds_ratio": {"unweighted": {"estimate": 0.19, "ci95": [0.05, 0.6]},
                             "att": {"estimate": 0.3, "ci95": [0.1, 0.9]}},
              "data": {"period": ["2017-02-27", "2026-01-01"],
                       "rows": {"arrests": 5000, "referrals": 60},
                       "left_out": [{"figure": "participants",
                                     "reason": "entered_too_late_for_window", "count": 4}]}}
    out = publish.recidivism(report)
    assert out["events"] == {"treated": None, "comparison": 120}
    assert out["rate"]["treated"] is None and out["rate"]["comparison"] == 0.3
    assert out["odds_ratio"]["unweighted"]["estimate"] is None
    assert out["odds_ratio"]["att"]["estimate"] == 0.3
    assert out["data"]["left_out"][0]["count"] is None
