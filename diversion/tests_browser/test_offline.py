"""A weak signal never loses a referral: kept on the phone, sent once when back online."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from diversion.referrals.models import Referral
from diversion.tests_browser.conftest import DIRECTOR_PARK, shot, sign_in
from diversion.tests_browser.test_officer import fill_referral

pytestmark = pytest.mark.browser
SUBMIT = "Screen and save the referral"


def open_form(page, officer):
    sign_in(page, officer)
    page.goto(reverse("referrals:new"))
    # The service worker is in charge before the signal drops.
    page.wait_for_function("navigator.serviceWorker.controller !== null || "
                           "navigator.serviceWorker.ready.then(() => true)")


def test_it_queues_a_referral_without_signal_and_sends_it_once_back_online(new_page, personas):
    page = new_page(phone=True, geolocation=DIRECTOR_PARK)
    open_form(page, personas["officer"])
    fill_referral(page, given="Iris", family="Nakamura")
    submit = page.get_by_role("button", name=SUBMIT)
    submit.scroll_into_view_if_needed()
    # The signal drops, perhaps while the name lookup is still on its way.
    page.context.set_offline(True)
    expect(submit).to_be_enabled()
    submit.click()

    status = page.locator("#offline-status")
    expect(status).to_have_text("Queued: will send when you are back online")
    shot(page, "officer", "8-queued")
    assert Referral.objects.count() == 0
    assert page.evaluate("DiversionQueue.all().then(q => q.length)") == 1

    page.context.set_offline(False)
    expect(page.locator("#decision-verdict")).to_have_text("Eligible", timeout=15_000)
    expect(status).to_contain_text("Sent")
    page.wait_for_function("DiversionQueue.all().then(q => q.length === 0)")
    page.wait_for_timeout(500)  # any second sender (the service worker's sync) has had its go
    assert Referral.objects.count() == 1


def test_it_makes_one_referral_when_the_answer_is_lost_on_the_way_back(new_page, personas):
    # The request reaches the server, the referral is made, then the signal drops before the
    # answer arrives: the phone keeps the form and sends it again with the same key.
    page = new_page(phone=True, geolocation=DIRECTOR_PARK, service_workers="block")
    sign_in(page, personas["officer"])
    page.goto(reverse("referrals:new"))
    fill_referral(page, given="Omar", family="Haddad")

    def lose_answer(route):
        route.fetch()  # the server takes the referral
        page.context.set_offline(True)
        route.abort("internetdisconnected")

    page.route("**/referrals/new/", lose_answer)
    page.get_by_role("button", name=SUBMIT).click()
    expect(page.locator("#offline-status")).to_have_text(
        "Queued: will send when you are back online")
    assert Referral.objects.count() == 1
    page.unroute("**/referrals/new/")

    page.context.set_offline(False)
    expect(page.locator("#decision-verdict")).to_have_text("Eligible", timeout=15_000)
    page.wait_for_function("DiversionQueue.all().then(q => q.length === 0)")
    assert Referral.objects.count() == 1
    assert page.js_errors == []
