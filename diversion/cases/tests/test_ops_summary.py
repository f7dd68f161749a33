from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from diversion.cases.services.assessments import assessment_save
from diversion.cases.services.contacts import contact_record
from diversion.consent.models import Disclosure


def test_the_operations_team_sees_a_summary_without_notes_or_name(personas, make_case):
    case = make_case(occurred_at=timezone.now() - timedelta(days=2))
    contact_record(case=case, actor=personas["case_manager"], at=timezone.now(),
                   kind="in_person", note="CANARY-NOTE-7731 talked about housing")
    client = Client()
    client.force_login(personas["ops_team"])
    response = client.get(reverse("cases:detail", args=[case.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    case.refresh_from_db()
    assert "CANARY-NOTE-7731" not in page
    assert case.person.family_name not in page
    assert case.get_status_display() in page
    assert "initials only" in page
    assert not Disclosure.objects.exists()


def test_the_case_team_still_sees_the_whole_case(personas, make_case):
    case = make_case(occurred_at=timezone.now() - timedelta(days=2))
    contact_record(case=case, actor=personas["case_manager"], at=timezone.now(),
                   kind="in_person", note="CANARY-NOTE-7731 talked about housing")
    client = Client()
    client.force_login(personas["case_manager"])
    page = client.get(reverse("cases:section", args=[case.pk, "contacts"])).content.decode()
    assert "CANARY-NOTE-7731" in page


def test_a_completed_assessment_shows_the_answers_as_written(personas, make_case):

    case = make_case(occurred_at=timezone.now() - timedelta(days=2))
    assessment_save(case=case, actor=personas["case_manager"], kind="psychosocial",
                    answers={"housing": {"wants": "A room near the clinic",
                                         "situation": "emergency_shelter"},
                             "physical_health": {"has_primary_care": False}},
                    completed_at=timezone.now())
    client = Client()
    client.force_login(personas["case_manager"])
    page = client.get(reverse("cases:section", args=[case.pk, "assessment"])).content.decode()
    assert "A room near the clinic" in page
    assert "Has a doctor or clinic: No" in page
    # A choice by its label, not the code stored.
    assert "Where are you staying now?: Emergency shelter" in page
    assert "emergency_shelter<" not in page
