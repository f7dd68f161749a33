"""The evaluator: the reports page with its charts."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from diversion.tests_browser.conftest import sign_in, visit

pytestmark = pytest.mark.browser


def test_it_shows_the_reports_with_their_charts(new_page, personas):
    page = new_page()
    sign_in(page, personas["evaluator"])
    page.goto(reverse("reports:index"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    for name in ("Racial equity", "Recidivism", "Operations", "Harm and stability"):
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    visit(page, "evaluator", "1-reports")
