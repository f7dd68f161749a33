"""End to end through a real Jasmin: what the phones (the test SMSC) get, and what the case
manager sees when they answer. Every text the SMSC receives is scanned for forbidden words
(conftest.sms)."""

import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from diversion.accounts.tests.serving import DIVERSION, Server, child_env
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


# A worker process: Django set up, it says it is ready and waits for the gate, then runs one
# tick; the test opens the gate for two at once, so their runs overlap to the millisecond.
_WORKER = """
import os, sys, time
import django
django.setup()
from django.core.management import call_command
gate = sys.argv[1]
open(gate + "." + str(os.getpid()), "w").close()
while not os.path.exists(gate):
    time.sleep(0.001)
call_command("tick", *sys.argv[2:])
"""


class SharedStore:
    """The database that worker *processes* share with the test, and where Jasmin's receipts
    for their texts land.

    On PostgreSQL: the test database itself, and the live server for the receipts.
    On SQLite: Django tests on an in-memory database that only this process can open (threads
    sharing it lock whole tables, SQLITE_LOCKED, which SQLite's busy timeout does not wait
    out; that is not how a SQLite site runs). So the test copies it to a file, and the workers
    and a `diversion serve` for the receipts use that file, as a SQLite site's worker and app
    processes do: WAL, write lock taken at BEGIN (IMMEDIATE), 20 s busy timeout (settings).
    """

    def __init__(self, tmp_path, sms):
        db = settings.DATABASES["default"]
        common = {
            "DIVERSION_SMS_URL": settings.DIVERSION_SMS_URL,
            "DIVERSION_SMS_USERNAME": settings.DIVERSION_SMS_USERNAME,
            "DIVERSION_SMS_PASSWORD": settings.DIVERSION_SMS_PASSWORD,
            "DIVERSION_SMS_CALLBACK_TOKEN": TOKEN, "DIVERSION_SMS_QUIET_HOURS": "00:00-00:00",
            "DIVERSION_SMS_HELP_PHONE": settings.DIVERSION_SMS_HELP_PHONE,
            "DIVERSION_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "diversion.settings"}
        self.tmp_path, self.server, self.file = tmp_path, None, None
        if connection.vendor == "postgresql":
            auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
            url = (f"postgresql://{auth}@{db.get('HOST') or '127.0.0.1'}:"
                   f"{db.get('PORT') or 5432}/{db['NAME']}")
            self.env = child_env(DATABASE_URL=url, SITE_URL=settings.SITE_URL, **common)
            return
        self.file = tmp_path / "shared.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(self.file)
        connection.connection.backup(target)
        target.close()
        env = child_env(DATABASE_URL=f"sqlite:///{self.file}", **common)
        self.server = Server(env, "--no-collectstatic", workers=1)
        try:
            self.server.wait_ready()
        except AssertionError:
            self.server.stop()
            raise
        self.env = {**env, "SITE_URL": f"http://127.0.0.1:{self.server.port}"}

    def texts(self, case_id) -> list[tuple[int, str, str]]:
        """(id, status, gateway id) of the case's outgoing texts, as the workers left them."""
        if self.file is None:
            return list(TextMessage.objects.filter(case_id=case_id, direction=Direction.OUT)
                        .order_by("pk").values_list("pk", "status", "provider_id"))
        with closing(sqlite3.connect(self.file, timeout=20)) as db:
            return db.execute("SELECT id, status, provider_id FROM texts_textmessage "
                              "WHERE case_id = ? AND direction = 'out' ORDER BY id",
                              (case_id,)).fetchall()

    def tick(self, now, *, background=False):
        args = [DIVERSION, "tick", "--now", now.isoformat(), *[f"--only={j}" for j in JOBS]]
        proc = subprocess.Popen(args, env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        if background:
            return proc
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        return proc

    def two_ticks_at_once(self, now):
        gate = self.tmp_path / "gate"
        args = [sys.executable, "-c", _WORKER, str(gate), "--now", now.isoformat(),
                *[f"--only={j}" for j in JOBS]]
        procs = [subprocess.Popen(args, env=self.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        wait_until(lambda: len(list(self.tmp_path.glob("gate.*"))) == 2, 60, "two workers")
        gate.touch()
        for proc in procs:
            _out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err[-2000:]

    def close(self):
        if self.server is not None:
            self.server.stop()


@pytest.fixture
def shared_store(tmp_path, sms):
    stores = []

    def make():
        stores.append(SharedStore(tmp_path, sms))
        return stores[-1]
    yield make
    for store in stores:
        store.close()


def test_a_reminder_goes_out_once_per_due_date_however_often_tick_runs(sms, site,
                                                                       participant):
    phone = "+15035550111"
    case = participant(phone=phone, days=7)
    now = local_noon(site)
    # What a second worker does a moment behind the first, step by step (the test below runs
    # two worker processes at once).
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


def test_two_workers_at_once_and_a_killed_worker_each_leave_a_reminder_sent_once(
        sms, site, participant, shared_store):
    """Worker processes on the same database, on PostgreSQL and on SQLite alike."""
    phone, killed_phone = "+15035550110", "+15035550112"
    case = participant(phone=phone, days=7)
    killed_case = participant(phone=killed_phone, days=3)
    store = shared_store()  # the workers' database, with both cases in it
    now = local_noon(site)

    # Two workers, started at the same millisecond, both find the 7-day reminder due.
    store.two_ticks_at_once(now)
    sms.wait_for(phone)
    _settle()
    assert len(sms.to(phone)) == 1
    (only,) = store.texts(case.pk)
    wait_until(lambda: store.texts(case.pk)[0][1] == MessageStatus.DELIVERED, what="delivery")
    # The 3-day case was due too: sent once, by one of the two.
    sms.wait_for(killed_phone)
    _settle()
    assert len(sms.to(killed_phone)) == 1

    # A killed worker: the next due text is the 1-day reminder, two days on. The gateway stops
    # answering, so the worker hangs in the middle of handing the text over; then it is killed
    # (SIGKILL: no clean-up of any kind).
    later = now + timedelta(days=2)
    sms.jasmin.pause()
    try:
        worker = store.tick(later, background=True)
        wait_until(lambda: any(s == MessageStatus.SENDING for _pk, s, _id in
                               store.texts(killed_case.pk)), 60, "the worker's claim")
        time.sleep(0.5)
        worker.kill()
        worker.wait(10)
    finally:
        sms.jasmin.resume()
    (claimed,) = [t for t in store.texts(killed_case.pk) if t[1] == MessageStatus.SENDING]
    # Jasmin may still read the request the dead worker wrote; if it sends the text, its
    # receipt names our row and marks it sent.
    try:
        sms.wait_for(killed_phone, 2, timeout=5)
        wait_until(lambda: {t[0]: t[1] for t in store.texts(killed_case.pk)}[
            claimed[0]] != MessageStatus.SENDING, what="the receipt")
    except TimeoutError:
        pass
    store.tick(later + timedelta(minutes=1))  # within the lease: left alone
    store.tick(later + services.SEND_LEASE + timedelta(minutes=1))
    sms.wait_for(killed_phone, 2)
    _settle()
    assert len(sms.to(killed_phone)) == 2  # the 3-day reminder, and the 1-day one once
    wait_until(lambda: {t[0]: t[1] for t in store.texts(killed_case.pk)}[claimed[0]]
               == MessageStatus.DELIVERED, what="delivery")
    assert len(store.texts(killed_case.pk)) == 2


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
