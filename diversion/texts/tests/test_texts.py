"""The texts app without the gateway: wording, numbers, quiet hours, the reminder schedule,
consent and who may do what. (test_gateway.py runs the same paths through a real Jasmin.)"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from diversion.cases.models import Contact
from diversion.texts import services, wording
from diversion.texts.models import Direction, MessageKind, MessageStatus, TextMessage
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
    for body in ("Looking forward to hearing from you.", "El pase de autobús es sin cargo.",
                 "Can we meet at the library at 2?"):
        sent = services.text_one_off_send(case=case, actor=personas["case_manager"], body=body)
    assert sent.status in (MessageStatus.QUEUED, MessageStatus.CANCELLED, MessageStatus.SENDING,
                           MessageStatus.SENT) and sent.phone == "+15035550125"


# --- what an independent attack found ---------------------------------------------------------

DISGUISED = {
    # plurals and derived forms
    "See you at the courthouse": "courthouse", "Your courts date": "courts",
    "The prosecutor called": "prosecutor", "Are you still using drugs?": "drugs",
    # the people and places of the case, and treatment words
    "Your lawyer called": "lawyer", "The attorney wants to talk": "attorney",
    "See the D.A. on Monday": "da", "AA meeting at 7": "aa", "NA at the church": "na",
    "How is your sobriety?": "sobriety", "Stay sober": "sober",
    "Counseling at 3": "counseling", "Counselling at 3": "counselling",
    "Your therapist called": "therapist", "su abogada llamó": "abogada",
    "la cita con el consejero": "consejero", "¿Sigue sobrio?": "sobrio",
    # leetspeak, repeated letters
    "Don't miss c0urt": "court", "no m0re dRuGz": "drugz",
    "your pr0bati0n officer": "probation", "courrrrt tomorrow": "court",
    # zero-width and format characters inside a word, styled and full-width letters
    "co\u200burt at 9": "court", "pro\u00adbation": "probation", "ｃｏｕｒｔ today": "court",
    "𝐜𝐨𝐮𝐫𝐭 today": "court",
    # Cyrillic and Greek look-alike letters
    "\u0441\u043eurt at 9": "court", "tr\u0435\u0430tm\u0435nt": "treatment",
    "h\u0435r\u03bfin": "heroin",
    # spaced letters
    "c o u r t at 9": "court", "c.o.u.r.t at 9": "court", "d-r-u-g-s": "drugs",
}


def test_the_check_reads_through_plurals_look_alikes_invisible_letters_and_spacing():
    for text, word in DISGUISED.items():
        assert word in wording.forbidden_words(text), (text, wording.forbidden_words(text))
    # Ordinary words the families must not catch.
    for text in ("Thanks for your courtesy", "Bring your phone charger", "I can meet at 2",
                 "¿Le da tiempo el lunes?", "Please call me back", "Meet me at the courtyard",
                 "Hi, I can meet you at the library at 2.", "Nos vemos en la biblioteca"):
        assert wording.forbidden_words(text) == [], text
    assert wording.normalise("Co\u200bu\u0301rt \u0421OURT") == "court court"


def test_a_disguised_word_in_a_case_manager_s_text_is_refused_on_the_field_and_nothing_kept(
        case, personas, client):
    services.text_consent_record(case=case, actor=personas["case_manager"],
                                 phone="503-555-0126", language="en", reminders=False,
                                 messages=True)
    client.force_login(personas["case_manager"])
    for body in ("Don't miss c0urt", "\u0441\u043eurt at 9", "co\u200burt at 9",
                 "c o u r t at 9", "Your lawyer called", "See you at co\ufe0furt Tuesday.",
                 "You have a c o u r t date Monday at 9.", "Your UAs were clean"):
        response = client.post(reverse("texts:send", args=[case.pk]), {"body": body})
        assert response.status_code == 400, body
        page = response.content.decode()
        assert "never names the program" in page and "Take out:" in page, body
    assert not TextMessage.objects.filter(case=case).exists()
    assert not Contact.objects.filter(case=case).exists()
    with translation.override("es"), pytest.raises(ValidationError) as exc:
        services.text_one_off_send(case=case, actor=personas["case_manager"], body="c0urt")
    assert "Quite:" in exc.value.message_dict["body"][0]


def test_every_outgoing_text_is_read_again_on_its_way_out(case, personas, site, settings):
    """A text that reached the queue with a forbidden word (a template edited, a help number
    set to the program's name) is held back, never handed to the gateway."""
    settings.DIVERSION_SMS_URL = "http://127.0.0.1:9"  # would be tried, and fail, if sent
    settings.DIVERSION_SMS_CALLBACK_TOKEN = TOKEN
    settings.DIVERSION_SMS_QUIET_HOURS = "00:00-00:00"
    settings.DIVERSION_SMS_HELP_PHONE = "the LEAD office"
    services.text_consent_record(case=case, actor=personas["case_manager"],
                                 phone="503-555-0127", language="en", reminders=True,
                                 messages=True)
    now = local_noon(site)
    assert services.reminders_queue(now=now) == 1
    assert services.texts_send_due(now=now) == 0
    held = TextMessage.objects.get(case=case)
    assert held.status == MessageStatus.CANCELLED and held.attempts == 0
    assert held.why_not_sent == "held back: it names lead"


def test_a_text_not_sent_says_why_once_and_plainly(case, personas, site, client):
    cm = personas["case_manager"]
    services.text_consent_record(case=case, actor=cm, phone="503-555-0128", language="en",
                                 reminders=True, messages=True)
    assert services.reminders_queue(now=local_noon(site)) == 1
    services.text_consent_revoke(case=case, actor=cm)
    client.force_login(cm)
    page = re.sub(r"<[^>]+>", "", client.get(reverse("texts:case", args=[case.pk]))
                  .content.decode())
    assert "Not sent (consent withdrawn)" in page
    assert "texts stopped" not in page and page.count("consent withdrawn") == 1
    with translation.override("es"):
        assert str(TextMessage.objects.get(case=case).why_not_sent) == "consentimiento retirado"


def test_a_receipt_changes_only_a_text_that_was_sent_and_only_with_its_own_id(
        case, personas, site, client, settings):
    settings.DIVERSION_SMS_CALLBACK_TOKEN = TOKEN
    services.text_consent_record(case=case, actor=personas["case_manager"],
                                 phone="503-555-0129", language="en", reminders=True,
                                 messages=True)
    services.reminders_queue(now=local_noon(site))
    queued = TextMessage.objects.get(case=case)

    def receipt(message, provider_id, status="UNDELIV"):
        url = reverse("texts:gateway_receipt", args=[TOKEN, message.pk])
        response = client.post(url, {"id": provider_id, "level": "2", "message_status": status})
        assert response.status_code == 200 and response.content == b"ACK/Jasmin"
        message.refresh_from_db()
        return message

    # A queued text was never sent: no receipt can be about it.
    assert receipt(queued, "any-id").status == MessageStatus.QUEUED
    assert queued.provider_id == "" and queued.failed_at is None
    # A sent text: only its own id counts.
    TextMessage.objects.filter(pk=queued.pk).update(status=MessageStatus.SENT,
                                                    provider_id="jasmin-1")
    assert receipt(queued, "jasmin-2").status == MessageStatus.SENT
    assert receipt(queued, "").status == MessageStatus.SENT
    assert receipt(queued, "jasmin-1", "DELIVRD").status == MessageStatus.DELIVERED
    # A text being handed over whose worker died before writing the id down: the receipt's
    # id becomes its id, and then only that one counts.
    TextMessage.objects.filter(pk=queued.pk).update(status=MessageStatus.SENDING,
                                                    provider_id="")
    assert receipt(queued, "jasmin-3", "DELIVRD").status == MessageStatus.DELIVERED
    assert queued.provider_id == "jasmin-3"
    assert receipt(queued, "jasmin-4", "UNDELIV").status == MessageStatus.DELIVERED


def test_a_number_of_another_country_is_refused_naming_the_field_unless_the_site_texts_it(
        case, personas, settings, client):
    cm = personas["case_manager"]
    with pytest.raises(ValidationError) as exc:
        services.text_consent_record(case=case, actor=cm, phone="+52 55 1234 5678",
                                     language="es", reminders=True, messages=True)
    assert "another country (MX, +52)" in exc.value.message_dict["phone"][0]
    client.force_login(cm)
    page = client.post(reverse("texts:consent", args=[case.pk]),
                       {"phone": "+34 612 34 56 78", "language": "es", "reminders": "on"})
    assert page.status_code == 400 and "another country (ES, +34)" in page.content.decode()
    assert not case.person.text_consents.exists()
    # A site whose carrier reaches Spain lists it; a number with no +code is still local.
    settings.DIVERSION_SMS_REGIONS = "US,ES"
    assert services.phone_normalize("+34 612 34 56 78") == "+34612345678"
    assert services.phone_normalize("503 555 0130") == "+15035550130"
    # A text *from* a foreign phone is still received (kept for a supervisor to place).
    settings.DIVERSION_SMS_REGIONS = "US"
    settings.DIVERSION_SMS_CALLBACK_TOKEN = TOKEN
    client.post(reverse("texts:gateway_incoming", args=[TOKEN]),
                {"from": "525512345678", "content": "hola", "id": "mx-1"})
    incoming = TextMessage.objects.get(provider_id="mx-1")
    assert incoming.phone == "+525512345678" and incoming.direction == Direction.IN
    assert incoming.kind == MessageKind.REPLY and incoming.case_id is None


# --- what a second independent attack found (issue 17) -------------------------------------

SECOND_ATTACK_BYPASSES = {
    # invisible marks and controls that are not format characters, enclosing marks
    "See you at co\ufe0furt Tuesday at 9.": "court", "the he\ufe0froin talk": "heroin",
    "Come to the L\ufe0fEAD office.": "lead", "ju\U000e0101ez": "juez", "dr\u180bogas": "drogas",
    "j\u17b4udge": "judge", "Meet me outside the co\x07urt at 9.": "court",
    "co\x85urt": "court", "Your c\u20ddourt date is Monday.": "court", "U\ufe0fA": "ua",
    # capital I for l, a look-alike before NFKC, small capitals and emoji letters
    "Bring your Iawyer's card to the meeting.": "lawyer", "Your jaiI date": "jail",
    "AIcohol": "alcohol", "cárceI": "carcel", "tribunaI": "tribunal",
    "No more \u03f2ocaine, ok?": "cocaine", "\u03f9ourt": "court", "\u017fentanyl": "fentanyl",
    "Bring your ID to \u1d04\u1d0f\u1d1c\u0280\u1d1b.": "court",
    "\u029c\u1d07\u0280\u1d0f\u026a\u0274": "heroin",
    "🅲🅾🆄🆁🆃": "court", "🅒🅞🅤🅡🅣": "court", "🇨\u200b🇴\u200b🇺\u200b🇷\u200b🇹": "court",
    # spaced letters next to a one-letter word, signs between letters, both readings of 1
    "You have a c o u r t date Monday at 9.": "court", "Vaya a c o r t e el lunes.": "corte",
    "Talk to a l a w y e r": "lawyer", "I h e r o i n": "heroin", "El j u e z y el": "juez",
    "sea u n j u e z": "juez", "Te veo en l a c o r t e": "corte", "the m e t h a": "meth",
    "See you at c|o|u|r|t Monday.": "court", "j!a!i!l": "jail", "h+e+r+o+i+n": "heroin",
    "co*rt": "court", "h*roin": "heroin", "Don't talk to the po11ce.": "police",
    "ja11": "jail", "j411": "jail", "de11to": "delito", "jue2": "juez", "dru6s": "drugs",
    "(ourt": "court",
    # acronyms: plurals, other separators, the missing ones
    "Your UAs were clean, see you Friday.": "ua", "the DAs office": "da", "ODs": "od",
    "D-A": "da", "U/A": "ua", "U\u0301A": "ua", "PO Smith": "po", "your P.O. called": "po",
    "ODed": "od", "IOP at 6": "iop", "the PSI is due": "psi",
    # ordinary words missing from the list, misspellings, Spanish
    "pills": "pills", "fent": "fent", "amphetamine": "amphetamine", "xylazine": "xylazine",
    "dopesick": "dopesick", "methhead": "methhead", "antidrug": "antidrug",
    "defendant": "defendant", "detained": "detained", "inmate": "inmate",
    "Your pretrial check-in is Friday": "pretrial", "arraignment": "arraignment",
    "subpoena": "subpoena", "nonprosecution": "nonprosecution", "locked up": "locked up",
    "urine test": "urine test", "inpatient": "inpatient", "abstinence": "abstinence",
    "opiod": "opiod", "fentynal": "fentynal", "herion": "herion", "lawer": "lawer",
    "attourney": "attourney", "sherrif": "sherrif", "probaton": "probaton",
    "Hable con la jueza el lunes.": "jueza", "llame a su defensor público": "defensor publico",
    "probación": "probacion", "consejería": "consejeria", "acusado": "acusado",
    "Deje el programa antidrogas.": "antidrogas", "encarcelado": "encarcelado",
    "análisis de orina": "analisis de orina", "borracho": "borracho",
    "Law Enforcement Assisted": "law enforcement assisted",
}

SECOND_ATTACK_INNOCENT = [
    "Looking forward to hearing from you.", "Please charge your phone so I can reach you.",
    "There is no charge for the bus pass.", "Ask for the person in charge at the front desk.",
    "Free of charge: the bus pass is on me.", "Is your phone charged?",
    "I'm booking your appointment for Friday at 3.",
    "Hi, this is Courtney from the office. See you Tuesday at 2.",
    "Hola, le escribe la Sra. Cortés de la oficina.", "Es usted muy cortés, gracias.",
    "El pase de autobús es sin cargo.", "Hable con la persona a cargo en la recepción.",
    "We meet in Suite D. A reminder will come the day before.",
    "Room N. A volunteer will help you.", "P.D. Traiga su identificación.",
    "PD: traiga su identificación.", "Le deseo mucha diversión en la fiesta.",
    "Hay un desvío en la calle Main; llegue temprano.",
    "Hubo un corte de luz en la oficina; la cita es mañana.",
    "Bring your hearing aid to the appointment.", "Bring AA batteries for the radio.",
    "Your physical therapy appointment is Monday.", "Su terapia física es el lunes.",
    "Send it to our P.O. Box 12.", "...pick you up at the crack of dawn.",
    "Call me if the trial period for the phone plan ends.",
    "A mi juicio, es mejor llegar temprano.", "Your I.D. and a pen, please.",
    "I will call. I am out.",
]


def test_the_check_reads_through_what_a_second_attack_slipped_past_it():
    missed = {text: word for text, word in SECOND_ATTACK_BYPASSES.items()
              if word not in wording.forbidden_words(text)}
    assert missed == {}


def test_ordinary_texts_a_second_attack_found_refused_are_allowed():
    refused = {text: wording.forbidden_words(text) for text in SECOND_ATTACK_INNOCENT}
    assert {text: words for text, words in refused.items() if words} == {}
    # The allowances are phrases: the same word in the program's sense is still refused.
    for text, word in {"Your hearing is on Monday": "hearing", "The charges were dropped":
                       "charges", "los cargos": "cargos", "Vaya a las cortes": "cortes",
                       "See the D. A. on Monday": "da", "Call the PD": "pd",
                       "programa de desvío": "desvio", "Bring AA to the meeting": "aa",
                       "Your therapy group": "therapy", "la corte el lunes": "corte"}.items():
        assert word in wording.forbidden_words(text), (text, wording.forbidden_words(text))
