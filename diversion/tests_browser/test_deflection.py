"""A deflection program end to end in the browser: the officer's stop, the case manager's
three steps in time (completed); a stop whose steps are not done (failed by `tick` on the
deadline, once); the same person stopped again within 30 days (not eligible, from the
program's records)."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from diversion.cases.models import Case, DeflectionStatus
from diversion.tests_browser.conftest import sign_in

pytestmark = pytest.mark.browser

OLD_TOWN = {"latitude": 45.5231, "longitude": -122.6765}
STEP_IDS = {"Screening": "screening", "Service referral": "service_referral",
            "First service attended": "first_service_attended"}


@pytest.fixture
def deflection_site(site):
    site.rule_set_site = "multnomah-deflection"
    site.full_clean()
    site.save()
    return site


def stop(page, *, given, family, same_person=False):
    page.goto(reverse("referrals:new"))
    expect(page.get_by_label("Deflection (HB 4002)")).to_be_checked()
    expect(page.locator("#charge")).to_have_count(0)  # no LEAD charge or exclusions here
    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("#location-status")).to_contain_text("Location recorded")
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Date of birth").fill("1991-07-09")
    if same_person:
        page.get_by_label("Same person:").check()
    page.get_by_label("Substance 1").fill("methamphetamine")
    page.locator("#id_grams_1").fill("0.8")
    page.locator("#field-other_offenses").get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Screen and save the referral").click()


def reasons(page) -> dict[str, str]:
    rows = {}
    for item in page.locator("#decision .criterion").all():
        label = item.locator("strong").inner_text()
        rows[label] = item.locator(".badge").inner_text().strip(" ✓✗?–\n")
    return rows


def test_a_deflection_from_the_stop_to_completed_failed_and_ineligible(new_page, personas,
                                                                          deflection_site):
    officer = new_page(phone=True, geolocation=OLD_TOWN)
    sign_in(officer, personas["officer"])
    stop(officer, given="Noor", family="Vantablack")
    expect(officer.locator("#decision-verdict")).to_have_text("Eligible")
    assert reasons(officer)["Personal-use amount"] == "Met"
    officer.get_by_role("button", name="Person accepts").click()
    expect(officer.locator("#choice")).to_contain_text("The person accepted the program.")

    # The case manager sees the window and its three steps (no assessment, no DA hold) and
    # records them, each in time: the deflection is completed.
    completed = Case.objects.get(person__family_name="Vantablack")
    cm = new_page()
    sign_in(cm, personas["case_manager"])
    cm.goto(reverse("cases:detail", args=[completed.pk]))
    expect(cm.locator(".case-deadline")).to_contain_text("Deflection: 30-day window")
    expect(cm.locator(".case-deadline")).to_contain_text("days left")
    expect(cm.locator("#case-body")).not_to_contain_text("Prosecution hold")
    expect(cm.locator(".case-sections")).not_to_contain_text("Assessment")
    cm.locator(".case-sections").get_by_role("link", name="Deflection steps").click()
    expect(cm.locator("#h-deflection")).to_be_visible()
    for label in ("Screening", "Service referral", "First service attended"):
        cm.get_by_role("button", name=f"Record: {label}").click()
        expect(cm.locator(f"#step-{STEP_IDS[label]}")).to_contain_text("done")
        expect(cm.locator("[data-confirmation]")).to_be_in_viewport()
    expect(cm.locator("#case-body")).to_contain_text("Completed")
    completed.deflection.refresh_from_db()
    assert completed.deflection.status == DeflectionStatus.COMPLETED

    # Another person accepts; nothing is done in the 30 days.
    stop(officer, given="Ilse", family="Marrowgate")
    expect(officer.locator("#decision-verdict")).to_have_text("Eligible")
    officer.get_by_role("button", name="Person accepts").click()
    expect(officer.locator("#choice")).to_contain_text("The person accepted the program.")
    failed = Case.objects.get(person__family_name="Marrowgate")
    due = failed.deflection.due_at

    with time_machine.travel(due + timedelta(hours=10), tick=True):
        for _ in range(2):  # twice: it fails once
            call_command("tick", "--now", due.isoformat())
        failed.deflection.refresh_from_db()
        assert failed.deflection.status == DeflectionStatus.FAILED
        assert failed.deflection.outcome_on == due.astimezone(deflection_site.tz).date() \
            - timedelta(days=1)
        sign_in(cm, personas["supervisor"])  # whoever was on call has it; a supervisor sees it
        cm.goto(reverse("cases:detail", args=[failed.pk]))
        expect(cm.locator("#case-body")).to_contain_text("Failed")

        # Stopped again the next morning, well within 30 days of the failure: not eligible,
        # from the program's records (the officer typed no failure).
        sign_in(officer, personas["officer"])
        stop(officer, given="Ilse", family="Marrowgate", same_person=True)
        expect(officer.locator("#decision-verdict")).to_have_text("Not eligible")
        assert reasons(officer)["Failed deflection in the last 30 days"] == "Not met"
    assert officer.js_errors == [] and cm.js_errors == []
