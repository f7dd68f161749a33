"""The evaluator: the reports page with its charts, on a synthetic county."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from diversion.reports.services import arrests_import, referrals_import
from diversion.reports.synth import write
from diversion.tests_browser.conftest import sign_in, visit

pytestmark = pytest.mark.browser


def test_it_shows_the_reports_with_their_charts(new_page, personas, site, tmp_path):
    # A small synthetic county (the demo's generator): arrests before and after launch and
    # the program's historical referrals, so every chart has something to draw.
    write(tmp_path, seed=7, people=1500, effect_or=0.4)
    arrests_import(site=site, path=tmp_path / "arrests.csv", actor=None)
    referrals_import(site=site, path=tmp_path / "referrals.csv", actor=None)

    page = new_page()
    sign_in(page, personas["evaluator"])
    page.goto(reverse("reports:index"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    goals = ("Goal: fewer people of color prosecuted for possession", "Goal: less recidivism",
             "Goal: less harm (housing and stability)", "How the program runs")
    contents = page.get_by_role("navigation", name="Contents")
    for name in goals:
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        expect(contents.get_by_role("link", name=name)).to_be_visible()
    # Every chart says what its axes measure (or, with nothing to draw, says so on the page);
    # no table heading is a code.
    for chart in page.locator("svg.chart").all():
        assert (chart.locator("text.axis-title").count() >= 1
                or chart.locator("text.empty").count() == 1), chart.inner_html()[:300]
    headings = page.locator("table th").all_inner_texts()
    assert headings and not [h for h in headings if "_" in h], headings
    equity_chart = page.locator("section[aria-labelledby=h-equity] svg.chart")
    expect(equity_chart).to_be_visible()
    expect(page.locator("section[aria-labelledby=h-equity] table")).to_be_visible()
    expect(page.locator("section[aria-labelledby=h-ops] svg.chart").first).to_be_visible()
    visit(page, "evaluator", "1-reports")
