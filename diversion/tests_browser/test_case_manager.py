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


def confirmed(page, text: str) -> None:
    """After a save: the confirmation says TEXT, is on screen and has the focus."""
    alert = page.locator("[data-confirmation]").first
    expect(alert).to_contain_text(text)
    expect(alert).to_be_in_viewport()
    expect(alert).to_be_focused()


def section(page, name: str) -> None:
    page.locator(".case-sections").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def test_it_takes_a_new_case_from_the_inbox_to_a_plan_and_a_contact(new_page, personas, site):
    case = accepted_arrest(site=site, officer=personas["officer"])
    manager = case.case_manager
    page = new_page(phone=True)
    sign_in(page, manager)
    page.goto(reverse("notifications:inbox"))
    expect(page.locator(".card.unread")).to_have_count(1)
    visit(page, "case-manager", "1-inbox")

    page.locator(".card.unread button").click()
    expect(page).to_have_url(f"{page.context.pages[0].url.split('/cases/')[0]}"
                             f"/cases/{case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.person.family_name)
    # The overview: the hold's deadline as days left and a date, what is due next.
    expect(page.locator(".case-deadline")).to_contain_text("days left")
    expect(page.locator(".task-list")).to_contain_text("Address urgent needs")
    expect(page.locator("#case-body")).to_contain_text("Not met yet")
    # It fits two phone screens.
    assert page.evaluate("document.documentElement.scrollHeight") <= 2 * 844
    visit(page, "case-manager", "2-new-case")

    page.locator(".task-list").get_by_role("link", name="Address urgent needs").click()
    by_id(page, "urgent_needs-shelter__needed").select_option("yes")
    by_id(page, "urgent_needs-shelter__done").fill("Bed at the night shelter on 6th")
    page.locator("#assessment-urgent_needs").get_by_role("button", name="Complete").click()
    confirmed(page, "Assessment completed.")
    visit(page, "case-manager", "3-urgent-needs")

    # The assessment, domain by domain: from the overview's task to the first domain.
    section(page, "Overview")
    page.locator(".task-list").get_by_role("link", name="Psychosocial assessment").click()
    expect(page.locator(".usa-step-indicator__heading")).to_contain_text("Housing")
    by_id(page, "psychosocial-housing__situation").select_option("unsheltered")
    by_id(page, "psychosocial-housing__own_words").fill("A room of my own, near my sister")
    page.get_by_role("button", name="Save draft").click()
    confirmed(page, "Draft saved.")
    assert Assessment.objects.get(case=case, kind="psychosocial").completed_at is None
    expect(page.locator(".assessment-progress")).to_contain_text("1 of 10 domains answered")
    visit(page, "case-manager", "4-assessment-draft")

    expect(by_id(page, "psychosocial-housing__own_words")).to_have_value(
        "A room of my own, near my sister")
    page.get_by_role("button", name="Save and continue").click()
    confirmed(page, "Draft saved.")
    expect(page.locator(".usa-step-indicator__heading")).to_contain_text("Physical health")
    page.locator(".domain-list summary").click()
    page.get_by_role("link", name="Review and complete").click()
    expect(page.locator("#assessment-psychosocial")).to_contain_text(
        "A room of my own, near my sister")
    page.get_by_role("button", name="Complete").click()
    confirmed(page, "Assessment completed.")
    assert Assessment.objects.get(case=case, kind="psychosocial").completed_at is not None
    # The answers read back, and a reassessment is a choice, not a blank form.
    expect(page.locator("#assessment-psychosocial")).to_contain_text(
        "A room of my own, near my sister")
    expect(page.get_by_role("button", name="Start a reassessment")).to_be_visible()
    # The prosecution hold ended: the assessment was done within the 30 days.
    section(page, "Overview")
    expect(page.locator("#case-body")).to_contain_text(re.compile("declined", re.I))
    visit(page, "case-manager", "5-assessment-done")

    section(page, "Plan")
    page.get_by_label("Goal, in the participant's own words").fill("Get my ID back")
    page.get_by_label("First step").fill("Birth certificate request at the county office")
    page.get_by_role("button", name="Add goal").click()
    confirmed(page, "Goal added.")
    expect(page.locator("#case-body")).to_contain_text("Get my ID back")
    assert Goal.objects.get(case=case).text == "Get my ID back"
    visit(page, "case-manager", "6-plan")

    section(page, "Overview")
    page.get_by_role("link", name="Record a contact").click()
    page.get_by_role("textbox", name="Where", exact=True).fill("Outreach van, SW Park")
    page.locator("textarea[name=note]").fill("Brought a sleeping bag.")
    page.get_by_role("button", name="Record contact").click()
    confirmed(page, "Contact recorded.")
    expect(page.locator(".contact-list")).to_contain_text("Outreach van, SW Park")
    visit(page, "case-manager", "7-contact")
    assert Contact.objects.filter(case=case).count() == 1
    assert page.js_errors == []
