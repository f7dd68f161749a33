"""The case manager: inbox → the new case → urgent needs → psychosocial assessment (draft,
then completed) → the participant's goals → a contact."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from diversion.cases.models import Assessment, Contact, Goal
from diversion.tests_browser.conftest import sign_in, visit
from diversion.tests_browser.journeys import accepted_arrest

pytestmark = pytest.mark.browser


def by_id(page, element_id: str):
    return page.locator(f'[id="{element_id}"]')


def test_it_takes_a_new_case_from_the_inbox_to_a_plan_and_a_contact(new_page, personas, site):
    case = accepted_arrest(site=site, officer=personas["officer"])
    manager = case.case_manager
    page = new_page()
    sign_in(page, manager)
    page.goto(reverse("notifications:inbox"))
    expect(page.locator(".card.unread")).to_have_count(1)
    visit(page, "case-manager", "1-inbox")

    page.locator(".card.unread button").click()
    expect(page).to_have_url(f"{page.context.pages[0].url.split('/cases/')[0]}"
                             f"/cases/{case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.person.family_name)
    expect(page.locator(".summary")).to_contain_text("Not met yet")
    visit(page, "case-manager", "2-new-case")

    urgent = page.locator("#assessment-urgent_needs")
    by_id(page, "urgent_needs-shelter__needed").select_option("yes")
    by_id(page, "urgent_needs-shelter__done").fill("Bed at the night shelter on 6th")
    urgent.get_by_role("button", name="Complete").click()
    expect(page.locator("#case-body")).to_contain_text("Assessment completed.")
    visit(page, "case-manager", "3-urgent-needs", at=page.locator("#assessment-urgent_needs"))

    psycho = page.locator("#assessment-psychosocial")
    by_id(page, "psychosocial-housing__situation").select_option("unsheltered")
    by_id(page, "psychosocial-housing__own_words").fill("A room of my own, near my sister")
    psycho.get_by_role("button", name="Save draft").click()
    expect(page.locator("#assessment-psychosocial")).to_contain_text("Draft saved")
    assert Assessment.objects.get(case=case, kind="psychosocial").completed_at is None
    visit(page, "case-manager", "4-assessment-draft",
          at=page.locator("#assessment-psychosocial"))

    expect(by_id(page, "psychosocial-housing__own_words")).to_have_value(
        "A room of my own, near my sister")
    page.locator("#assessment-psychosocial").get_by_role("button", name="Complete").click()
    expect(page.locator("#case-body")).to_contain_text("Assessment completed.")
    assert Assessment.objects.get(case=case, kind="psychosocial").completed_at is not None
    # The prosecution hold ended: the assessment was done within the 30 days.
    expect(page.locator(".summary")).to_contain_text(re.compile("declined", re.I))
    visit(page, "case-manager", "5-assessment-done", at=page.locator(".summary"))

    page.get_by_label("Goal, in the participant's own words").fill("Get my ID back")
    page.get_by_label("First step").fill("Birth certificate request at the county office")
    page.get_by_role("button", name="Add goal").click()
    expect(page.locator("#case-body")).to_contain_text("Get my ID back")
    assert Goal.objects.get(case=case).text == "Get my ID back"
    visit(page, "case-manager", "6-plan", at=page.locator("#h-plan"))

    contacts = page.locator("section[aria-labelledby=h-contacts]")
    contacts.get_by_role("textbox", name="Where", exact=True).fill("Outreach van, SW Park")
    contacts.locator("textarea[name=note]").fill("Brought a sleeping bag.")
    page.get_by_role("button", name="Record contact").click()
    expect(page.locator("#case-body")).to_contain_text("Contact recorded.")
    expect(page.locator("#h-contacts ~ ul.cards").first).to_contain_text("Outreach van, SW Park")
    visit(page, "case-manager", "7-contact", at=page.locator("#h-contacts"))
    assert Contact.objects.filter(case=case).count() == 1
    assert page.js_errors == []
