"""The texts app without the gateway: wording, numbers, quiet hours, the reminder schedule,
consent and who may do what. (test_gateway.py runs the same paths through a real Jasmin.)"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from diversion.texts import services, wording
from diversion.texts.models import MessageStatus, TextMessage
from diversion.texts.tests.conftest import TOKEN, local_noon, open_case

PORTLAND = ZoneInfo("America/Los_Angeles")
SAMPLE = {"date": "Tuesday, January 12", "time": "10:00 AM", "phone": "503-555-0100"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PORTLAND)


def test_every_template_in_both_languages_is_free_of_forbidden_words_and_says_how_to_stop():
    assert set(wording.TEMPLATES["en"]) == set(wording.TEMPLATES["es"])
    for language, templates in wording.TEMPLATES.items():
        for kind in templates:
            text = wording.render(kind, language, **SAMPLE)
            assert wording.forbidden_words(text) == [], (language, kind, text)
            if kind != "confirm_stop":
                assert "STOP" in text, (language, kind)


def test_the_scan_finds_forbidden_words_whatever_their_case_or_accents():
    assert wording.forbidden_words("Cita con la POLICÍA y el juez") == ["juez", "policia"]
    assert wording.forbidden_words("See you at Court, about the drugs") == ["court", "drugs"]
    assert wording.forbidden_words("Meet at the Multnomah office",
                                   extra=("Multnomah County LEAD®",)) == []
    assert wording.forbidden_words("Multnomah County LEAD® office",
                                   extra=("Multnomah County LEAD®",)) == [
        "lead", "multnomah county lead"]
    assert wording.forbidden_words("Reply STOP to end texts. Please lead the way") == ["lead"]


def test_numbers_are_kept_in_e164_and_a_bad_one_is_refused_naming_the_field():
    assert services.phone_normalize("(503) 555-0111") == "+15035550111"
    assert services.phone_normalize("+34 612 34 56 78") == "+34612345678"
    for bad in ("12", "call me", "", "+1 555 0111"):
        with pytest.raises(ValidationError) as exc:
            services.phone_normalize(bad)
        assert "phone" in exc.value.message_dict


def test_quiet_hours_are_the_site_s_night_across_a_daylight_saving_change(settings):
    settings.DIVERSION_SMS_QUIET_HOURS = "21:00-08:00"
    assert services.quiet_until(at("2027-03-13T20:59"), PORTLAND) is None
    assert services.quiet_until(at("2027-03-13T21:00"), PORTLAND) == at("2027-03-14T08:00")
    # 14 March 2027: clocks go forward at 02:00; 08:00 PDT is 15:00 UTC, not 16:00.
    moved = services.quiet_until(at("2027-03-14T01:30"), PORTLAND)
    assert moved == at("2027-03-14T08:00") and moved.utcoffset() == timedelta(hours=-7)
    assert services.quiet_until(at("2027-03-14T07:59"), PORTLAND) == at("2027-03-14T08:00")
    assert services.quiet_until(at("2027-03-14T08:00"), PORTLAND) is None
    settings.DIVERSION_SMS_QUIET_HOURS = "00:00-00:00"
    assert services.quiet_until(at("2027-03-13T23:00"), PORTLAND) is None


def test_the_deadline_reminders_come_7_3_and_1_days_before_the_last_day_at_ten():
    deadline = at("2027-01-21T00:00")  # the last day is Wednesday 20 January
    assert services._deadline_reminder(deadline, PORTLAND, at("2027-01-13T09:59")) is None
    assert services._deadline_reminder(deadline, PORTLAND, at("2027-01-13T10:00"))[0] == 7
    assert services._deadline_reminder(deadline, PORTLAND, at("2027-01-17T09:59"))[0] == 7
    assert services._deadline_reminder(deadline, PORTLAND, at("2027-01-17T10:00"))[0] == 3
    assert services._deadline_reminder(deadline, PORTLAND, at("2027-01-19T10:00"))[0] == 1
    # A run that starts late sends the most urgent one only.
    assert services._deadline_reminder(deadline, PORTLAND, at("2027-01-20T23:00"))[0] == 1


@pytest.fixture
def case(site, personas):
    return open_case(site, officer=personas["officer"], case_manager=personas["case_manager"],
                     occurred_at=local_noon(site) - timedelta(days=23))


def test_nothing_is_queued_without_consent_and_withdrawing_it_cancels_what_waits(
        case, site, personas):
    now = local_noon(site)
    assert services.reminders_queue(now=now) == 0
    services.text_consent_record(case=case, actor=personas["case_manager"],
                                 phone="503-555-0121", language="en", reminders=True,
                                 messages=False)
    assert services.reminders_queue(now=now) == 1
    message = TextMessage.objects.get(case=case)
    assert message.status == MessageStatus.QUEUED and message.phone == "+15035550121"
    assert services.text_consent_revoke(case=case, actor=personas["case_manager"]) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
    with pytest.raises(ValidationError) as exc:
        services.text_one_off_send(case=case, actor=personas["case_manager"], body="Hi")
    assert "body" in exc.value.message_dict


def test_an_appointment_is_reminded_the_day_before_and_not_once_cancelled(case, site,
                                                                          personas):
    cm = personas["case_manager"]
    services.text_consent_record(case=case, actor=cm, phone="503-555-0122", language="es",
                                 reminders=True, messages=True)
    when = local_noon(site, days=3) + timedelta(hours=2)  # 14:00 in three days
    appointment = services.appointment_schedule(case=case, actor=cm, at=when)
    cancelled = services.appointment_schedule(case=case, actor=cm,
                                              at=when + timedelta(hours=1))
    services.appointment_cancel(appointment=cancelled, actor=cm)
    day_before = when - timedelta(days=1)
    keys = lambda: set(TextMessage.objects.values_list("reminder_key", flat=True))  # noqa: E731
    services.reminders_queue(now=day_before.replace(hour=9, minute=59))
    assert not {k for k in keys() if k.startswith("appointment")}
    services.reminders_queue(now=day_before.replace(hour=10, minute=0))
    assert {k for k in keys() if k.startswith("appointment")} == {
        f"appointment:{appointment.pk}:{when:%Y%m%dT%H%M}"}
    text = TextMessage.objects.get(reminder_key__startswith="appointment").body
    assert text.startswith("Recordatorio: tiene una cita el") and "a las 14:00" in text


def test_only_the_case_s_own_case_manager_or_a_supervisor_may_text_or_record_consent(
        case, personas, client):
    for who in ("other_case_manager", "outsider"):
        with pytest.raises(PermissionDenied):
            services.text_consent_record(case=case, actor=personas[who], phone="5035550123",
                                         language="en", reminders=True, messages=True)
    services.text_consent_record(case=case, actor=personas["supervisor"], phone="5035550123",
                                 language="en", reminders=True, messages=True)
    url = reverse("texts:case", args=[case.pk])
    for who in ("ops_team", "evaluator", "officer", "prosecutor", "other_case_manager",
                "outsider"):
        client.force_login(personas[who])
        assert client.get(url).status_code == 404, who
    client.force_login(personas["case_manager"])
    assert client.get(url).status_code == 200
    assert client.get(reverse("texts:supervisor")).status_code == 403
    bad = client.post(reverse("texts:consent", args=[case.pk]),
                      {"phone": "12", "language": "en", "reminders": "on"})
    assert bad.status_code == 400 and "phone number" in bad.content.decode()


def test_the_gateway_endpoints_need_the_token_and_refuse_bad_input_without_a_500(
        client, settings, db):
    settings.DIVERSION_SMS_CALLBACK_TOKEN = TOKEN
    wrong = reverse("texts:gateway_incoming", args=["x" * 36])
    assert client.post(wrong, {"from": "15035550124", "content": "hi"}).status_code == 404
    right = reverse("texts:gateway_incoming", args=[TOKEN])
    assert client.post(right, {"content": "hi"}).status_code == 400
    assert client.get(right).status_code == 405
    receipt = reverse("texts:gateway_receipt", args=[TOKEN, 999999])
    response = client.post(receipt, {"id": "x", "level": "2", "message_status": "DELIVRD"})
    assert response.status_code == 200 and response.content == b"ACK/Jasmin"
    # An unknown number's text is kept for a supervisor, never on a case.
    response = client.post(right, {"from": "15035550124", "binary": "6869", "coding": "\x00",
                                   "id": "abc"})
    assert response.content == b"ACK/Jasmin"
    assert TextMessage.objects.get(provider_id="abc").case_id is None
    # Only 'content', no 'binary': the words are read from it (an independent attack's STOP
    # sent this way was stored as an empty reply, and texts went on).
    client.post(right, {"from": "15035550124", "content": "STOP", "id": "def"})
    assert TextMessage.objects.get(provider_id="def").body == "STOP"


def test_a_case_manager_s_text_that_names_the_court_is_refused_and_nothing_is_queued(
        case, personas):
    services.text_consent_record(case=case, actor=personas["case_manager"],
                                 phone="503-555-0125", language="en", reminders=False,
                                 messages=True)
    for body in ("Don't forget court on Monday", "Your Multnomah County LEAD® worker",
                 "¿Tiene su tratamiento?"):
        with pytest.raises(ValidationError) as exc:
            services.text_one_off_send(case=case, actor=personas["case_manager"], body=body)
        assert "Take out" in exc.value.message_dict["body"][0]
    assert not TextMessage.objects.filter(case=case).exists()
    sent = services.text_one_off_send(case=case, actor=personas["case_manager"],
                                      body="Can we meet at the library at 2?")
    assert sent.status in (MessageStatus.QUEUED, MessageStatus.CANCELLED, MessageStatus.SENDING,
                           MessageStatus.SENT) and sent.phone == "+15035550125"
