"""The person lookup as the officer types, in a real browser (htmx partial + radio)."""

from datetime import date

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from diversion.people.models import Person
from diversion.referrals.models import Referral
from diversion.testing import make_person
from diversion.tests_browser.conftest import (  # noqa: F401  (fixtures)
    DIRECTOR_PARK,
    browser,
    new_page,
    sign_in,
    site,
)

pytestmark = pytest.mark.browser


def test_it_offers_the_known_person_as_the_officer_types_and_reuses_them(
        new_page, personas, site):  # noqa: F811
    known = make_person(site=site, given_name="Marisol", family_name="Achterberg",
                        date_of_birth=date(1979, 10, 3))
    page = new_page(phone=True, geolocation=DIRECTOR_PARK)
    sign_in(page, personas["officer"])
    page.goto(reverse("referrals:new"))
    page.get_by_label("Post-arrest / pre-booking diversion").check()
    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("#location-status")).to_contain_text("Location recorded")
    page.get_by_label("Given name").fill("marisol")
    page.get_by_label("Family name").fill("ACHTERBERG")
    page.get_by_label("Date of birth").fill("1979-10-03")

    same = page.get_by_role("radio", name="Same person")
    expect(same).to_have_count(1)
    expect(page.locator("#person-matches")).to_contain_text("same name and date of birth")
    same.check()
    page.get_by_role("button", name="Screen and save the referral").click()
    expect(page.locator("#decision-verdict")).to_be_visible()

    assert Person.objects.count() == 1
    assert Referral.objects.get().person == known
    assert page.js_errors == []
