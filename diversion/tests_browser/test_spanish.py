"""Every officer-facing page in Spanish: no visible string of the English page is left as it
was. The language is the officer's choice, made with the switcher at the foot of the page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from diversion import testing
from diversion.referrals.forms import area_choices
from diversion.referrals.models import Referral
from diversion.referrals.services import referral_submit
from diversion.tests_browser.conftest import DIRECTOR_PARK, shot, sign_in

pytestmark = pytest.mark.browser

# Every visible text node, and the text of every option a select offers.
TEXTS = """() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        const text = node.textContent.replace(/\\s+/g, ' ').trim();
        if (!text || ['SCRIPT', 'STYLE', 'TEMPLATE', 'DATALIST'].includes(el.tagName)) continue;
        const visible = el.tagName === 'OPTION' || el.getClientRects().length > 0;
        if (visible && !el.closest('[hidden],[aria-hidden=true]')) out.push(text);
    }
    for (const el of document.querySelectorAll('input[type=submit], [aria-label], [title]'))
        out.push((el.value || el.getAttribute('aria-label') || el.title || '').trim());
    return out.filter(Boolean);
}"""
# The same in both languages: the language names, the program's name, place names.
SAME = {"English", "Español", "LEAD®", "No", "PCS"}
NO_WORDS = re.compile(r"[^A-Za-zÀ-ÿ]*|.*\b(PST|PDT)\b.*|#\d+|[A-Za-z]?\d[\d\W]*")


def untranslated(page, url: str, *, names: set[str], engine_texts: bool = False) -> list[str]:
    page.goto(url)
    english = set(page.evaluate(TEXTS))
    page.get_by_role("button", name="Español").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    spanish = set(page.evaluate(TEXTS))
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    left = []
    for text in sorted(english & spanish):
        if text in SAME or text in names or NO_WORDS.fullmatch(text):
            continue
        if re.fullmatch(r"[\w-]+-\d{4}", text):  # a rule set id
            continue
        left.append(text)
    return left


def test_it_has_every_officer_page_in_spanish(new_page, personas, site):
    officer = personas["officer"]
    person = testing.make_person(site=site)
    referral_submit(site=site, officer=officer, person_id=person.pk,
                    data=testing.screening_input())
    # Place names are names: the program's areas keep theirs.
    areas = {label for _id, label in area_choices(site=site, at=timezone.now())}
    names = areas | {officer.display_name, officer.username, person.full_name, person.given_name,
             person.family_name, officer.first_name, officer.last_name}
    page = new_page(phone=True, geolocation=DIRECTOR_PARK)
    left = untranslated(page, reverse("accounts:login"), names=names)
    assert left == [], f"login page: {left}"

    sign_in(page, officer)
    for name in ("home", "referrals:new", "referrals:list", "notifications:inbox"):
        left = untranslated(page, reverse(name), names=names)
        assert left == [], f"{name}: {left}"

    referral = Referral.objects.get()
    # The engine's reasons too (diversion/referrals/explanations.py): only the place names
    # inside them stay as they are.
    left = untranslated(page, reverse("referrals:detail", args=[referral.pk]),
                        names=names | {referral.area})
    assert left == [], f"decision page: {left}"


def test_it_takes_a_referral_in_spanish(new_page, personas):
    page = new_page(phone=True, geolocation=DIRECTOR_PARK)
    sign_in(page, personas["officer"])
    page.goto(reverse("referrals:new"))
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nuevo referido")
    page.get_by_label("Desvío tras el arresto / antes del fichaje").check()
    page.get_by_role("button", name="Usar mi ubicación").click()
    expect(page.locator("#location-status")).to_contain_text("Ubicación registrada")
    shot(page, "officer", "10-spanish-form")
    page.get_by_label("Nombre", exact=True).fill("Lucía")
    page.get_by_label("Apellido").fill("Ferrer")
    page.get_by_role("button", name="Evaluar y guardar el referido").click()
    expect(page.locator("#decision-verdict")).to_have_text("Necesita revisión")
    expect(page.locator("#decision")).to_contain_text("El programa revisará este referido")
    shot(page, "officer", "11-spanish-decision")
