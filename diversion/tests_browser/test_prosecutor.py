"""The prosecutor: the holds list with due dates; a hold ends `declined` once the
psychosocial assessment is completed in time."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from diversion.cases.services.assessments import assessment_save
from diversion.tests_browser.conftest import sign_in, visit
from diversion.tests_browser.journeys import accepted_arrest

pytestmark = pytest.mark.browser


def test_it_lists_holds_with_due_dates_and_shows_one_declined(new_page, personas, site):
    case = accepted_arrest(site=site, officer=personas["officer"])
    hold = case.hold
    page = new_page()
    sign_in(page, personas["prosecutor"])
    page.goto(reverse("cases:holds"))
    row = page.locator(f"#hold-{hold.pk}")
    # The hold ends at the local midnight after its 30th day: said as that last day.
    last = (timezone.localtime(hold.due_at, site.tz) - timedelta(days=1)).date()
    expect(row).to_contain_text(f"by the end of {last:%A} {last.day} {last:%B}")
    expect(row.locator(".hold-held")).to_contain_text("Held")
    visit(page, "prosecutor", "1-holds")

    assessment_save(case=case, actor=case.case_manager, kind="psychosocial",
                    answers={"housing": {"situation": "unsheltered"}},
                    completed_at=timezone.now())
    page.reload()
    expect(row.locator(".hold-declined")).to_contain_text("declined", ignore_case=True)
    expect(row).not_to_contain_text("unsheltered")  # nothing clinical on this page
    visit(page, "prosecutor", "2-declined")
