"""End to end through a real Jasmin: what the phones (the test SMSC) get, and what the case
manager sees when they answer. Every text the SMSC receives is scanned for forbidden words
(conftest.sms)."""

import subprocess
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from diversion.accounts.tests.serving import DIVERSION, child_env
from diversion.cases.models import Contact, ContactKind
from diversion.notifications.models import Notification
from diversion.platform.tick import tick_run
from diversion.texts import services
from diversion.texts.models import Direction, MessageKind, MessageStatus, TextMessage
from diversion.texts.tests.conftest import TOKEN, local_noon, open_case, wait_until

JOBS = ["text_reminders", "texts_send"]


@pytest.fixture
def participant(site, personas):
    """An open arrest case whose last day to meet is DAYS ahead, with consent to texts."""
    def build(*, phone, days=7, language="en", **consent):
        noon = local_noon(site)
        case = open_case(site, officer=personas["officer"],
                         case_manager=personas["case_manager"],
                         occurred_at=noon - timedelta(days=30 - days))
        services.text_consent_record(
            case=case, actor=personas["case_manager"], phone=phone, language=language,
            reminders=consent.get("reminders", True), messages=consent.get("messages", True))
        return case
    return build


def _status(message_pk):
    return TextMessage.objects.get(pk=message_pk).status


def _settle():
    time.sleep(0.7)  # a duplicate would have reached the SMSC by now (receipts take 0.3 s)


def _two_workers_at_once(now):
    """Two workers' tick runs at the same moment (threads, each with its own connection)."""
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            tick_run(now=now, only=JOBS)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors


def test_a_reminder_goes_out_once_per_due_date_however_often_tick_runs(sms, site,
                                                                       participant):
    phone = "+15035550111"
    case = participant(phone=phone, days=7)
    now = local_noon(site)
    # What a second worker does a moment behind the first, step by step (SQLite serialises
    # real concurrency; the test above runs two at once on PostgreSQL).
    assert services.reminders_queue(now=now) == 1
    assert services.reminders_queue(now=now) == 0
    assert services.texts_send_due(now=now) == 1
    assert services.texts_send_due(now=now) == 0
    tick_run(now=now + timedelta(minutes=1), only=JOBS)
    got = sms.wait_for(phone)
    _settle()
    assert len(sms.to(phone)) == 1
    last_day = (case.hold.due_at - timedelta(seconds=1)).astimezone(site.tz)
    assert f"by {last_day:%A}, {last_day:%B} {last_day.day}." in got[0].text
    assert "Reply STOP" in got[0].text

    tick_run(now=now + timedelta(hours=2), only=JOBS)  # same due date: nothing new
    tick_run(now=now + timedelta(days=4), only=JOBS)   # 3 days before: the next one
    tick_run(now=now + timedelta(days=4, minutes=5), only=JOBS)
    sms.wait_for(phone, 2)
    _settle()
    assert len(sms.to(phone)) == 2
    keys = sorted(TextMessage.objects.filter(case=case).values_list("reminder_key", flat=True))
    assert keys == [f"deadline:{last_day.date()}:3", f"deadline:{last_day.date()}:7"]
    for pk in TextMessage.objects.filter(case=case).values_list("pk", flat=True):
        wait_until(lambda pk=pk: _status(pk) == MessageStatus.DELIVERED, what="receipts")


@pytest.mark.postgres
def test_two_workers_at_once_and_a_killed_worker_each_leave_a_reminder_sent_once(
        sms, site, participant):
    phone = "+15035550110"
    case = participant(phone=phone, days=7)
    _two_workers_at_once(local_noon(site))
    sms.wait_for(phone)
    _settle()
    assert len(sms.to(phone)) == 1
    assert TextMessage.objects.filter(case=case).count() == 1

    phone = "+15035550112"
    case = participant(phone=phone, days=3)
    now = local_noon(site)
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env = child_env(
        DATABASE_URL=f"postgresql://{auth}@{db.get('HOST') or '127.0.0.1'}:"
                     f"{db.get('PORT') or 5432}/{db['NAME']}",
        SITE_URL=settings.SITE_URL, DIVERSION_SMS_URL=settings.DIVERSION_SMS_URL,
        DIVERSION_SMS_USERNAME=settings.DIVERSION_SMS_USERNAME,
        DIVERSION_SMS_PASSWORD=settings.DIVERSION_SMS_PASSWORD,
        DIVERSION_SMS_CALLBACK_TOKEN=TOKEN, DIVERSION_SMS_QUIET_HOURS="00:00-00:00")
    # The gateway stops answering, so the worker hangs in the middle of handing the text over;
    # then it is killed (SIGKILL: no clean-up of any kind).
    sms.jasmin.pause()
    try:
        worker = subprocess.Popen(
            [DIVERSION, "tick", "--now", now.isoformat(), *[f"--only={j}" for j in JOBS]],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        message = wait_until(lambda: TextMessage.objects.filter(
            case=case, status=MessageStatus.SENDING).first(), 60, "the worker's claim")
        time.sleep(0.5)
        worker.kill()
        worker.wait(10)
    finally:
        sms.jasmin.resume()
    # Jasmin may still read the request the dead worker wrote; if it sends the text, its
    # receipt names our row and marks it sent.
    try:
        sms.wait_for(phone, timeout=5)
        wait_until(lambda: _status(message.pk) != MessageStatus.SENDING, what="the receipt")
    except TimeoutError:
        pass
    tick_run(now=now + timedelta(minutes=1), only=JOBS)  # within the lease: left alone
    tick_run(now=now + services.SEND_LEASE + timedelta(minutes=1), only=JOBS)
    sms.wait_for(phone)
    _settle()
    assert len(sms.to(phone)) == 1
    wait_until(lambda: _status(message.pk) == MessageStatus.DELIVERED, what="delivery")
    assert TextMessage.objects.filter(case=case, direction=Direction.OUT).count() == 1


def test_quiet_hours_move_a_reminder_to_the_morning(sms, site, participant, settings):
    phone = "+15035550113"
    case = participant(phone=phone, days=1)
    settings.DIVERSION_SMS_QUIET_HOURS = "21:00-08:00"
    night = local_noon(site) + timedelta(hours=10)           # 22:00 the same day
    tick_run(now=night, only=JOBS)
    _settle()
    assert sms.to(phone) == []
    message = TextMessage.objects.get(case=case)
    assert message.status == MessageStatus.QUEUED
    morning = local_noon(site, days=1) - timedelta(hours=4)  # 08:00 the next day
    assert message.send_after == morning
    tick_run(now=morning - timedelta(minutes=1), only=JOBS)
    _settle()
    assert sms.to(phone) == []
    tick_run(now=morning, only=JOBS)
    sms.wait_for(phone)
    wait_until(lambda: _status(message.pk) == MessageStatus.DELIVERED, what="delivery")


def test_stop_is_honoured_before_the_next_text_confirmed_once_and_start_resumes(
        sms, site, participant):
    phone = "+15035550114"
    case = participant(phone=phone, days=7, language="es")
    now = local_noon(site)
    tick_run(now=now, only=JOBS)
    first = sms.wait_for(phone)[0]
    assert first.text.startswith("Recordatorio:")

    sms.send_mo(sender=phone, text="Stop")
    confirmation = sms.wait_for(phone, 2)[1]
    assert confirmation.text.startswith("No recibirá más mensajes")
    sms.send_mo(sender=phone, text="STOPALL")  # already stopped: no second confirmation
    wait_until(lambda: TextMessage.objects.filter(phone=phone, direction=Direction.IN)
               .count() == 2, what="the second STOP")
    tick_run(now=now + timedelta(days=4), only=JOBS)  # the 3-day reminder is not sent
    _settle()
    assert len(sms.to(phone)) == 2
    assert not TextMessage.objects.filter(case=case, reminder_key__endswith=":3",
                                          status=MessageStatus.SENT).exists()

    sms.send_mo(sender=phone, text="START")
    assert sms.wait_for(phone, 3)[2].text.startswith("Los mensajes están activados")
    sms.send_mo(sender=phone, text="HELP")
    assert "503-555-0100" in sms.wait_for(phone, 4)[3].text
    tick_run(now=now + timedelta(days=6), only=JOBS)  # the 1-day reminder goes out again
    assert sms.wait_for(phone, 5)[4].text.startswith("Recordatorio:")


def test_a_reply_reaches_its_case_and_a_shared_number_is_never_guessed(
        sms, site, participant, personas, client, smtp_server):
    phone = "+15035550115"
    case = participant(phone=phone)
    sms.send_mo(sender=phone, text="Can we meet at 3? — Ñ")
    reply = wait_until(lambda: TextMessage.objects.filter(
        direction=Direction.IN, phone=phone).first(), what="the reply")
    assert reply.case_id == case.pk and reply.kind == MessageKind.REPLY
    assert reply.body == "Can we meet at 3? — Ñ"
    note = wait_until(lambda: Notification.objects.filter(
        recipient=personas["case_manager"], kind="text.reply").first(), what="the inbox note")
    assert case.person.family_name not in note.subject + note.body
    mail = wait_until(lambda: smtp_server.to(personas["case_manager"].email), what="email")
    assert case.person.family_name not in mail[0]["data"]
    assert case.person.given_name not in mail[0]["data"]
    client.force_login(personas["case_manager"])
    page = client.get(reverse("texts:case", args=[case.pk])).content.decode()
    assert "Can we meet at 3?" in page

    # A second person gives the same number (a shared phone): replies are not guessed.
    other = participant(phone=phone)
    sms.send_mo(sender=phone, text="who is this")
    shared = wait_until(lambda: TextMessage.objects.filter(
        direction=Direction.IN, phone=phone, body="who is this").first(), what="the reply")
    assert shared.case_id is None
    client.force_login(personas["supervisor"])
    listed = client.get(reverse("texts:supervisor")).content.decode()
    assert "who is this" in listed
    client.post(reverse("texts:reply_place", args=[shared.pk]), {"case": other.pk})
    shared.refresh_from_db()
    assert shared.case_id == other.pk


def test_receipts_record_delivery_and_failure_and_a_one_off_text_is_a_contact(
        sms, site, participant, personas, client):
    ok_phone, bad_phone = "+15035550116", "+15035550117"
    sms.undeliverable.add(bad_phone)
    case = participant(phone=ok_phone)
    failing = participant(phone=bad_phone)
    client.force_login(personas["case_manager"])
    response = client.post(reverse("texts:send", args=[case.pk]),
                           {"body": "Hi, I can meet you at the library at 2."})
    assert response.status_code == 302
    assert sms.wait_for(ok_phone)[0].text == "Hi, I can meet you at the library at 2."
    sent = TextMessage.objects.get(case=case, kind=MessageKind.ONE_OFF)
    wait_until(lambda: _status(sent.pk) == MessageStatus.DELIVERED, what="delivery")
    assert TextMessage.objects.get(pk=sent.pk).provider_id
    assert Contact.objects.filter(case=case, kind=ContactKind.TEXT).count() == 1

    # A text that names the court is refused, with the reason, and nothing is sent.
    refused = client.post(reverse("texts:send", args=[case.pk]),
                          {"body": "Don't forget court on Monday"})
    assert refused.status_code == 400
    assert "court" in refused.content.decode()
    assert TextMessage.objects.filter(case=case, kind=MessageKind.ONE_OFF).count() == 1

    client.post(reverse("texts:send", args=[failing.pk]), {"body": "Are you OK?"})
    sms.wait_for(bad_phone)
    failed = TextMessage.objects.get(case=failing, kind=MessageKind.ONE_OFF)
    wait_until(lambda: _status(failed.pk) == MessageStatus.FAILED, what="the failure")
    assert "UNDELIV" in TextMessage.objects.get(pk=failed.pk).error
    page = client.get(reverse("texts:case", args=[failing.pk])).content.decode()
    assert "status-failed" in page
    client.force_login(personas["supervisor"])
    daily = client.get(reverse("texts:supervisor")).content.decode()
    assert f"#{failing.pk}" in daily
    assert services.texts_failed_notify(now=local_noon(site)) == 1
