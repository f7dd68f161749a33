"""One way to write dates and deadlines, every choice by its label, and each user's language
(pages, notifications, the engine's explanations)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from diversion.lib import display, labels
from diversion.notifications.models import Notification
from diversion.notifications.services import notify
from diversion.referrals.explanations import explain

PORTLAND = ZoneInfo("America/Los_Angeles")
# The 30-day deadline of an arrest on 7 December 2026: the instant 7 January 2027 begins.
DEADLINE = datetime(2027, 1, 7, 0, 0, tzinfo=PORTLAND)


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "by the end of Wednesday 6 January 2027"),
    ("es", "antes de que termine el miércoles 6 de enero de 2027"),
])
def test_a_deadline_at_midnight_is_said_as_the_end_of_the_day_before(language, expected):
    with translation.override(language), display.timezone.override(PORTLAND):
        assert display.deadline(DEADLINE) == expected


def test_dates_and_times_have_one_form_per_language_in_the_site_time_zone():
    utc = datetime(2027, 1, 6, 22, 0, tzinfo=ZoneInfo("UTC"))  # 14:00 in Portland
    with display.timezone.override(PORTLAND):
        with translation.override("en"):
            assert display.when(utc) == "Wed 6 Jan 2027, 14:00"
            assert display.day(utc) == "Wed 6 Jan 2027"
            assert display.when("2027-01-06T22:00:00+00:00") == "Wed 6 Jan 2027, 14:00"
            rendered = Template("{{ at|when }} · {{ at|day }}").render(Context({"at": utc}))
            assert rendered == "Wed 6 Jan 2027, 14:00 · Wed 6 Jan 2027"
        with translation.override("es"):
            assert display.when(utc) == "mié 6 ene 2027, 14:00"


def test_every_choice_is_shown_by_its_label_and_an_unknown_code_as_words():
    with translation.override("en"):
        assert labels.label("area", "old_town") == "Old Town/Chinatown"
        assert labels.label("point", "prosecuted_before") == \
            "Possession arrests prosecuted (before launch)"
        assert labels.label("column", "rri_ci95_low") == "RRI, low end (95%)"
        assert labels.label("housing", "emergency_shelter") == "Emergency shelter"
        assert labels.label("criterion", "some_new_rule") == "Some new rule"
        assert labels.value(True) == "Yes" and labels.value(False) == "No"
    with translation.override("es"):
        assert labels.label("housing", "emergency_shelter") == "Refugio de emergencia"
        assert labels.value(True) == "Sí"


def test_the_engine_explanation_is_shown_in_spanish_with_its_facts():
    english = "Carrying 3.4 g of methamphetamine (limit: less than 10 g)."
    with translation.override("es"):
        assert explain(english) == "Lleva 3.4 g de metanfetamina (límite: menos de 10 g)."
        assert explain("Arrested in Downtown, inside the program's areas.") == \
            "Arrestado en Downtown, dentro de las zonas del programa."
        assert explain("A sentence no shape knows.") == "A sentence no shape knows."
    with translation.override("en"):
        assert explain(english) == english


@pytest.mark.django_db
def test_the_language_chosen_is_kept_on_the_account_and_used_for_notifications(
        client, personas):
    casey = personas["case_manager"]
    client.force_login(casey)
    response = client.post(reverse("set_language"), {"language": "es", "next": "/inbox/"})
    assert response.status_code == 302
    casey.refresh_from_db()
    assert casey.language == "es"

    # Another browser (no language cookie): the account's language.
    other = client.__class__()
    other.force_login(casey)
    page = other.get(reverse("notifications:inbox"))
    assert '<html lang="es">' in page.content.decode()

    from django.utils.translation import gettext_lazy as _

    notify(recipient=casey, kind="case.assigned", subject=_("Case #%(case)s is now yours"),
           body=_("A supervisor assigned this case to you. Read the history before you meet "
                  "the participant."), params={"case": 12}, email=False)
    note = Notification.objects.get(recipient=casey)
    assert note.subject == "El caso n.º 12 ahora es suyo"
