"""The Operations Team: a meeting's agenda, and a decision on a referral that needs review."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from diversion.partners.models import OpsDecision
from diversion.tests_browser.conftest import sign_in, visit
from diversion.tests_browser.journeys import needs_review

pytestmark = pytest.mark.browser


def test_it_builds_the_agenda_and_records_a_decision(new_page, personas, site):
    referral = needs_review(site=site, officer=personas["officer"])
    page = new_page()
    sign_in(page, personas["ops_team"])
    page.goto(reverse("partners:meetings"))
    visit(page, "ops-team", "1-meetings")
    page.get_by_label("Date").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Create the meeting and its agenda").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agenda")
    expect(page.get_by_role("heading", name="1 referral needs review")).to_be_visible()
    visit(page, "ops-team", "2-agenda")

    page.get_by_role("link", name="Record a decision").last.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"#{referral.pk}")
    visit(page, "ops-team", "3-decide")
    page.get_by_label("Deny").check()
    page.get_by_role("textbox", name="Note").fill("Open warrant confirmed with the court.")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agenda")
    expect(page.locator("main")).to_contain_text("Open warrant confirmed with the court.")
    visit(page, "ops-team", "4-decided")
    assert OpsDecision.objects.get().referral_id == referral.pk
