import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from diversion.audit.models import AuditEvent
from diversion.conftest import login
from diversion.reports import exports, synth
from diversion.reports.models import ExportFile
from diversion.reports.services import arrests_import, referrals_import


@pytest.fixture
def county(site, tmp_path):
    truth = synth.write(tmp_path, seed=4, people=800, effect_or=0.4)
    arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
    referrals_import(site=site, path=tmp_path / "referrals.csv", actor=None)
    return truth, tmp_path


@pytest.mark.parametrize("role", ["evaluator", "supervisor", "administrator"])
def test_it_shows_the_reports_page_with_charts_to_report_roles(client, personas, county, role):
    response = login(client, personas[role]).get(reverse("reports:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "Relative Rate Index" in body
    assert "Kaplan" in body or "not re-arrested" in body
    assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.parametrize("role", ["officer", "case_manager", "prosecutor", "ops_team",
                                  "outsider"])
def test_it_refuses_other_roles(client, personas, role):
    assert login(client, personas[role]).get(reverse("reports:index")).status_code == 403
    assert login(client, personas[role]).get(reverse("reports:extract")).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("reports:index"))
    assert response.status_code == 302


def test_a_bad_evaluation_choice_is_named_and_not_a_500(client, personas, county):
    response = login(client, personas["evaluator"]).get(
        reverse("reports:index"), {"comparison": "nowhere", "window": "6",
                                   "outcome": "any_arrest"})
    assert response.status_code == 200
    assert "nowhere" in response.content.decode()  # the field's error names the bad value
    bad = client.get(reverse("reports:download", args=["recidivism", "csv"]),
                     {"comparison": "nowhere"})
    assert bad.status_code == 400


def test_every_table_downloads_as_csv_and_xlsx(client, personas, county):
    login(client, personas["evaluator"])
    for kind in ("equity", "operations", "recidivism", "harm"):
        response = client.get(reverse("reports:download", args=[kind, "csv"]))
        assert response.status_code == 200, kind
        assert response["Content-Type"].startswith("text/csv")
        xlsx = client.get(reverse("reports:download", args=[kind, "xlsx"]))
        assert xlsx.status_code == 200
        book = load_workbook(io.BytesIO(xlsx.content))
        assert book.sheetnames
    equity = load_workbook(io.BytesIO(client.get(
        reverse("reports:download", args=["equity", "xlsx"])).content))["equity_chain"]
    header = [c.value for c in next(equity.iter_rows())]
    assert header[:5] == ["point", "group", "count", "rate", "rri"]


def test_spreadsheet_formulas_are_neutralised():
    rows = [{"name": "=HYPERLINK(\"http://x\")", "other": "+1", "n": -3, "t": "\tx"}]
    text = exports.to_csv(rows)
    assert "'=HYPERLINK" in text and "'+1" in text and ",-3," in text
    book = load_workbook(io.BytesIO(exports.to_xlsx([("s", rows)])))
    values = [c.value for c in list(book["s"].iter_rows())[1]]
    assert values == ["'=HYPERLINK(\"http://x\")", "'+1", -3, "'\tx"]


def test_the_evaluator_extract_is_de_identified_and_audited(client, personas, county, site):
    truth, folder = county
    login(client, personas["evaluator"])
    asked = client.post(reverse("reports:extract"))
    assert asked.status_code == 302
    page = client.get(reverse("reports:extract")).content.decode()
    export = ExportFile.objects.get(requested_by=personas["evaluator"])
    link = reverse("reports:extract_download", args=[export.pk])
    assert link in page  # the immediate backend prepared it at once
    response = client.get(link)
    assert response.status_code == 200
    response_text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(response_text)))
    # rows in a combination of 10 people or fewer are withheld (test_extract_anonymity.py)
    assert 0.8 * (truth["n_arrests"] + truth["n_referrals"]) < len(rows) \
        <= truth["n_arrests"] + truth["n_referrals"]
    with open(folder / "arrests.csv") as fh:
        source = list(csv.DictReader(fh))
    names = {r["family_name"] for r in source}
    keys = {r["person_key"] for r in source}
    text = response_text
    assert not any(f",{n}," in text for n in list(names)[:50])
    assert not any(k in text for k in list(keys)[:50])
    assert set(rows[0]) >= {"study_id", "month", "group", "birth_years"}
    assert all(len(r["month"]) in (4, 7, 9) for r in rows)  # a month, quarter or year
    assert "date_of_birth" not in rows[0] and "given_name" not in rows[0]
    # the same person has the same study id in both kinds of record, and it is not a person id
    assert len({r["study_id"] for r in rows}) < len(rows)
    assert AuditEvent.objects.filter(action="extract.export").count() == 1
    # every combination of released values is shared by more than 10 people
    from collections import defaultdict
    people = defaultdict(set)
    for r in rows:
        people[tuple(v for k, v in r.items() if k != "study_id")].add(r["study_id"])
    assert min(len(p) for p in people.values()) > 10


def test_it_hands_the_report_set_over_as_a_pdf(client, personas, county):
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: the Pango system libraries are missing
        pytest.skip("WeasyPrint cannot load on this machine")
    response = login(client, personas["supervisor"]).get(reverse("reports:pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert login(client, personas["officer"]).get(reverse("reports:pdf")).status_code == 403


def test_the_api_answers_the_same_reports_and_names_a_bad_parameter(client, personas, county):
    truth, _ = county
    login(client, personas["evaluator"])
    equity = client.get("/api/v1/reports/equity")
    assert equity.status_code == 200 and equity.json()["chain"][0]["point"] == "arrests"
    recid = client.get("/api/v1/reports/recidivism",
                       {"comparison": "outside_area", "window_months": 6, "survival": False})
    assert recid.status_code == 200
    assert recid.json()["n_treated"] == truth["n_treated"]
    bad = client.get("/api/v1/reports/recidivism", {"comparison": "mars"})
    assert bad.status_code == 400
    assert bad.json()["detail"][0]["field"] == "comparison"
    login(client, personas["officer"])
    assert client.get("/api/v1/reports/equity").status_code == 403
