"""The consent form and the participant's plan as PDF, in English and Spanish."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from diversion import testing
from diversion.cases.models import Case
from diversion.cases.services.plans import goal_add
from diversion.referrals.services import referral_submit


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)
                                  if response.streaming else response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def case(site, personas):
    person = testing.make_person(site=site, given_name="Marisol", family_name="Ibáñez")
    referral_submit(site=site, officer=personas["officer"], person_id=person.pk, accepted=True,
                    data=testing.screening_input(occurred_at="2026-11-20T10:00:00-08:00"))
    case = Case.objects.get(person=person)
    goal_add(case=case, actor=case.case_manager, text="Keep my <b>dog</b> & find a room",
             target_date=None, steps=["Call the shelter <script>alert(1)</script>"])
    return case


def test_it_prints_the_plan_with_the_participants_goals_in_english(client, case):
    client.force_login(case.case_manager)
    text = pdf_text(client.get(reverse("cases:plan_pdf", args=[case.pk]), {"lang": "en"}))
    assert "My plan" in text and "Marisol Ibáñez" in text
    # Free text prints as typed: the markup is not interpreted.
    assert "Keep my <b>dog</b> & find a room" in text
    assert "<script>alert(1)</script>" in text
    assert "Nothing here requires you to stop using drugs" in text


def test_it_prints_the_plan_and_the_consent_form_in_spanish(client, case):
    client.force_login(case.case_manager)
    plan = pdf_text(client.get(reverse("cases:plan_pdf", args=[case.pk]), {"lang": "es"}))
    assert "Mi plan" in plan and "My plan" not in plan
    assert "Keep my <b>dog</b> & find a room" in plan  # the participant's words stay theirs
    consent = pdf_text(client.get(reverse("cases:consent_pdf", args=[case.pk]),
                                  {"lang": "es"}))
    assert "Autorización para compartir información" in consent
    assert "Release of information" not in consent


def test_it_prints_the_consent_form_in_english(client, case):
    client.force_login(case.case_manager)
    text = pdf_text(client.get(reverse("cases:consent_pdf", args=[case.pk])))
    assert "Release of information" in text and "Marisol Ibáñez" in text
    assert "District Attorney" in text


@pytest.mark.parametrize("who", ["officer", "prosecutor", "ops_team", "evaluator"])
def test_it_refuses_the_printables_to_roles_outside_the_case(client, case, personas, who):
    client.force_login(personas[who])
    for name in ("cases:plan_pdf", "cases:consent_pdf"):
        assert client.get(reverse(name, args=[case.pk])).status_code in (403, 404)


def test_it_hides_another_sites_case(client, case, personas):
    client.force_login(personas["outsider"])
    assert client.get(reverse("cases:plan_pdf", args=[case.pk])).status_code == 404
