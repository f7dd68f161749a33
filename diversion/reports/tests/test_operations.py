import io
import json
from datetime import date, timedelta

from django.core.management import call_command

from diversion.cases.models import Contact, MonthlyStatus
from diversion.cases.tests.conftest import open_case
from diversion.reports import synth
from diversion.reports.services import referrals_import
from diversion.reports.tests.test_import import REFERRAL, write


def _history(site, tmp_path):
    rows = [
        REFERRAL,  # assessed on day 19: in time, hold declined
        REFERRAL | {"record_id": "R2", "person_key": "K2", "given_name": "Bo",
                    "assessment_completed_at": "2017-04-20T10:00:00-07:00",
                    "hold_outcome": "referred"},  # day 50: late
        REFERRAL | {"record_id": "R3", "person_key": "K3", "given_name": "Cy",
                    "pathway": "social_contact", "decision": "ineligible", "accepted": "",
                    "first_contact_at": "", "assessment_completed_at": "",
                    "hold_outcome": "none"},
    ]
    referrals_import(site=site, path=write(tmp_path / "r.csv", synth.REFERRAL_COLUMNS, rows),
                     actor=None)


def test_the_operations_report_counts_imported_and_live_referrals(site, personas, tmp_path):
    _history(site, tmp_path)
    case = open_case(site, officer=personas["officer"], case_manager=personas["case_manager"])
    for minutes in (10, 30):
        Contact.objects.create(site=site, case=case, at=case.opened_at + timedelta(minutes=minutes),
                               kind="in_person", recorded_by=personas["case_manager"])
    out = io.StringIO()
    call_command("report", "operations", "--format", "json", "--suppress-max", "0",
                 stdout=out)
    report = json.loads(out.getvalue())
    assert report["referrals"]["total"] == 4
    assert {r["key"]: r["count"] for r in report["referrals"]["by_pathway"]} == {
        "arrest": 3, "social_contact": 1}
    assert {r["key"]: r["count"] for r in report["referrals"]["by_source"]} == {
        "imported": 3, "live": 1}
    assert report["acceptance"] == {"eligible": 2, "accepted": 2, "rate": 1.0}
    assert report["assessment_within_30_days"] == {"accepted": 2, "completed_in_time": 1,
                                                   "rate": 0.5}
    assert report["holds"] == {"declined": 1, "referred": 1}
    assert report["time_to_first_contact"]["median_hours"] == 0.5
    assert report["caseloads"] == [{"case_manager": "casey", "open_cases": 1},
                                   {"case_manager": "cam", "open_cases": 0}]
    assert report["contacts"]["contacts"] == 2


def test_the_harm_report_compares_each_month_with_the_participants_own_baseline(site, personas):
    a = open_case(site, officer=personas["officer"], case_manager=personas["case_manager"])
    b = open_case(site, officer=personas["officer"], case_manager=personas["case_manager"])
    for case, first in ((a, "unsheltered"), (b, "emergency_shelter")):
        MonthlyStatus.objects.create(site=site, case=case, month=date(2027, 1, 1),
                                     housing=first, employment="none", overdose_events=1)
        MonthlyStatus.objects.create(site=site, case=case, month=date(2027, 2, 1),
                                     housing="permanent", employment="part_time",
                                     overdose_events=0)
    out = io.StringIO()
    call_command("report", "harm", "--format", "json", "--suppress-max", "0", stdout=out)
    months = json.loads(out.getvalue())["months"]
    assert [m["month"] for m in months] == [0, 1]
    assert (months[0]["housed"], months[0]["sheltered"]) == (0.0, 0.5)
    assert (months[1]["housed"], months[1]["housed_change_vs_baseline"]) == (1.0, 1.0)
    assert months[1]["sheltered_change_vs_baseline"] == 0.5
    assert months[1]["employed"] == 1.0 and months[1]["overdoses_change_vs_baseline"] == -1.0
