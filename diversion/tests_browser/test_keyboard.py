"""The officer's form by keyboard alone: Tab to move, Space/arrows to choose, Enter to press.
No mouse, no clicks; focus moves through the form in the order it reads."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from diversion.referrals.models import Referral
from diversion.tests_browser.conftest import DIRECTOR_PARK, shot, sign_in

pytestmark = pytest.mark.browser

TYPED = {"given_name": "Noor", "family_name": "Castellanos", "date_of_birth": "04021988",
         "substance_1": "methamphetamine", "grams_1": "3.4"}
# The first letter picks the option in a closed select.
SELECTS = {"offense": "P", "supervision": "N"}
RADIOS = {"pathway": "arrest", "substantial_quantity": "no", "commercial_drug_offense": "no",
          "active_extraditable_warrant": "no", "no_contact_order_with_participant": "no",
          "lead_status": "never", "specialty_court": "none", "ops_team_denial": "no"}
FOCUSED = """() => { const e = document.activeElement;
    return {tag: e.tagName.toLowerCase(), type: e.type || '', name: e.name || '',
            id: e.id || '', text: (e.textContent || '').trim(), value: e.value || '',
            outline: getComputedStyle(e).outlineStyle}; }"""


def checked(page, name):
    return page.evaluate(f"document.querySelector('input[name={name}]:checked')?.value || ''")


def test_it_takes_a_referral_by_keyboard_alone(new_page, personas):
    page = new_page(geolocation=DIRECTOR_PARK)
    sign_in(page, personas["officer"])
    page.goto(reverse("referrals:new"))
    order = page.evaluate("""() => [...document.querySelectorAll(['input:not([type=hidden])',
        'select', 'textarea', 'button'].map(s => '#intake form ' + s).join(','))]
        .map(e => e.name || e.textContent.trim())""")
    seen, done = [], set()
    page.keyboard.press("Tab")
    for _ in range(200):
        el = page.evaluate(FOCUSED)
        key = el["name"] or el["text"]
        if key not in seen and el["tag"] != "body":
            seen.append(key)
        if el["text"] == "Screen and save the referral":
            page.keyboard.press("Enter")
            break
        if key in done:
            page.keyboard.press("Tab")
            continue
        done.add(key)
        if el["text"] == "Use my location":
            page.keyboard.press("Enter")
            expect(page.locator("#location-status")).to_contain_text("Location recorded")
        elif key in TYPED:
            page.keyboard.type(TYPED[key])
        elif key in SELECTS:
            page.keyboard.type(SELECTS[key])
        elif key in RADIOS:
            if not checked(page, key):
                page.keyboard.press("Space")
            for _ in range(5):
                if checked(page, key) == RADIOS[key]:
                    break
                page.keyboard.press("ArrowDown")
            assert checked(page, key) == RADIOS[key], key
        page.keyboard.press("Tab")
    else:
        pytest.fail("never reached the submit button by Tab")

    expect(page.locator("#decision-verdict")).to_have_text("Eligible")
    shot(page, "officer", "9-keyboard")
    # Focus visited the fields in reading order, none skipped.
    in_form = list(dict.fromkeys(order))
    assert [n for n in seen if n in in_form] == [n for n in in_form if n in seen]
    for name in ("pathway", "given_name", "family_name", "date_of_birth", "offense",
                 "active_extraditable_warrant", "supervision", "Use my location"):
        assert name in seen, f"{name} cannot be reached by Tab"
    referral = Referral.objects.get()
    assert referral.person.given_name == "Noor" and str(referral.person.date_of_birth) == \
        "1988-04-02"
    # Then the person's answer, by keyboard too.
    page.keyboard.press("Tab")
    for _ in range(30):
        if page.evaluate(FOCUSED)["text"] == "Person accepts":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#choice")).to_contain_text("The person accepted the program.")
    assert Referral.objects.get().accepted is True
