"""The officer on a phone: sign in, refer, see the decision and its reasons, record the
person's answer. Then a referral from outside the areas and one with a missing fact."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from diversion.referrals.models import Referral
from diversion.tests_browser.conftest import DIRECTOR_PARK, KENTON, sign_in, visit

pytestmark = pytest.mark.browser


def fill_referral(page, *, warrant: str = "No", given: str = "Rosa", family: str = "Quintero"):
    """An arrest for PCS with a small amount of methamphetamine, the way an officer taps it."""
    page.get_by_label("Post-arrest / pre-booking diversion").check()
    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("#location-status")).to_contain_text("Location recorded")
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Date of birth").fill("1988-04-02")
    page.get_by_label("Offense", exact=True).select_option("PCS")
    answers = {
        "#field-substantial_quantity": "No", "#field-commercial_drug_offense": "No",
        "#field-active_extraditable_warrant": warrant,
        "#field-no_contact_order_with_participant": "No", "#field-lead_status": "Never",
        "#field-specialty_court": "None", "#field-ops_team_denial": "No",
    }
    for box, label in answers.items():
        page.locator(box).get_by_label(label, exact=True).check()
    page.get_by_label("Substance 1").fill("methamphetamine")
    page.locator("#id_grams_1").fill("3.4")
    page.get_by_label("Supervision", exact=True).select_option("none")


def reasons(page) -> dict[str, str]:
    rows = {}
    for item in page.locator("#decision .criterion").all():
        label = item.locator("strong").inner_text()
        rows[label] = item.locator(".badge").inner_text().strip(" ✓✗?–\n")
    return rows


def test_it_refers_accepts_and_shows_the_case_manager_on_a_phone(new_page, personas):
    page = new_page(phone=True, geolocation=DIRECTOR_PARK)
    page.goto(reverse("accounts:login"))
    visit(page, "officer", "1-sign-in")
    sign_in(page, personas["officer"])
    page.goto(reverse("referrals:new"))
    visit(page, "officer", "2-form")
    fill_referral(page)
    page.get_by_role("button", name="Screen and save the referral").click()

    verdict = page.locator("#decision-verdict")
    expect(verdict).to_have_text("Eligible")
    # Typing the name and birth date asks the server for matches as the officer goes; none of
    # it may trip an error in the browser (the match request once inherited the form's
    # hx-disabled-elt, whose selector found nothing from where it stood).
    assert page.console_errors == [], page.console_errors
    shown = reasons(page)
    assert shown["Place"] == "Met" and shown["Quantity"] == "Met"
    expect(page.locator("#decision")).to_contain_text("inside the program")
    visit(page, "officer", "3-decision")
    page.get_by_role("button", name="Person accepts").click()
    expect(page.locator("#choice")).to_contain_text("The person accepted the program.")
    expect(page.locator("#choice")).to_contain_text("Case manager on call")
    visit(page, "officer", "4-accepted")

    referral = Referral.objects.get()
    assert referral.accepted is True and referral.area == "downtown"
    assert abs(referral.lat - DIRECTOR_PARK["latitude"]) < 1e-4
    assert page.js_errors == []


def test_it_says_not_eligible_outside_the_areas(new_page, personas):
    page = new_page(phone=True, geolocation=KENTON)
    sign_in(page, personas["officer"])
    page.goto(reverse("referrals:new"))
    fill_referral(page, given="Ada", family="Lindqvist")
    page.get_by_role("button", name="Screen and save the referral").click()
    expect(page.locator("#decision-verdict")).to_have_text("Not eligible")
    assert reasons(page)["Place"] == "Not met"
    expect(page.get_by_role("button", name="Person accepts")).to_have_count(0)
    visit(page, "officer", "5-outside")
    assert Referral.objects.get().area in ("", None)


def test_it_asks_for_review_when_the_warrant_is_not_known(new_page, personas):
    page = new_page(phone=True, geolocation=DIRECTOR_PARK)
    sign_in(page, personas["officer"])
    page.goto(reverse("referrals:new"))
    fill_referral(page, warrant="Don't know", given="Tomas", family="Okafor")
    page.get_by_role("button", name="Screen and save the referral").click()
    expect(page.locator("#decision-verdict")).to_have_text("Needs review")
    assert reasons(page)["Warrant"] == "Not known yet"
    expect(page.locator("#decision")).to_contain_text("The program will review this referral")
    visit(page, "officer", "6-needs-review")
    assert Referral.objects.get().decisions.get().verdict == "needs_review"


def test_it_ties_each_error_to_its_field(new_page, personas):
    page = new_page(phone=True, geolocation=DIRECTOR_PARK)
    sign_in(page, personas["officer"])
    page.goto(reverse("referrals:new"))
    fill_referral(page, given="Lena", family="Marsh")
    page.locator("#id_grams_2").fill("2")  # grams without saying of what
    page.get_by_role("button", name="Screen and save the referral").click()
    expect(page.get_by_role("alert").first).to_contain_text("The referral was not saved")
    substance = page.get_by_label("Substance 2")
    expect(substance).to_have_attribute("aria-describedby", re.compile(r"id_substance_2_error"))
    expect(page.locator("#id_substance_2_error")).to_contain_text("Name the substance")
    visit(page, "officer", "7-errors")
    assert Referral.objects.count() == 0
