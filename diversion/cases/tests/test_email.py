"""Emails go through a real SMTP server (aiosmtpd), link to the record and carry no name,
date of birth or clinical detail."""

from datetime import timedelta

import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from diversion.cases.services.assessments import assessment_save
from diversion.cases.services.contacts import contact_record
from diversion.cases.tests.conftest import local
from diversion.notifications.models import Notification
from diversion.platform.tick import tick_run


def test_emails_link_to_the_record_and_carry_nothing_personal(
        site, personas, make_case, smtp_server, django_capture_on_commit_callbacks):
    cm, da = personas["case_manager"], personas["prosecutor"]
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(local(site, "2027-01-13 08:00"), tick=False):
            case = make_case(occurred_at=local(site, "2027-01-12 21:15"))
            contact_record(case=case, actor=cm, at=timezone.now(), kind="in_person",
                           note="Talked about her methadone dose and her daughter.")
            assessment_save(case=case, actor=cm, kind="psychosocial",
                            answers={"mental_health": "I hear voices at night."})
        tick_run(now=case.hold.due_at - timedelta(days=3) + timedelta(minutes=1))
        tick_run(now=case.hold.due_at + timedelta(minutes=1))
    person = case.person
    secrets = [person.given_name, person.family_name, person.date_of_birth.isoformat(),
               person.date_of_birth.strftime("%m/%d/%Y"), "methadone", "voices",
               "daughter", "River"]
    assert len(smtp_server.to(cm.email)) == 3  # new case, 3-day reminder, hold ended
    to_da = smtp_server.to(da.email)
    assert len(to_da) == 1
    assert settings.SITE_URL + reverse("cases:holds") in to_da[0]["data"]
    case_link = settings.SITE_URL + reverse("cases:detail", args=[case.pk])
    assert all(case_link in m["data"] for m in smtp_server.to(cm.email))
    for message in smtp_server.messages:
        for secret in secrets:
            assert secret not in message["data"], secret
    assert not Notification.objects.filter(emailed_at__isnull=True).exclude(
        recipient__email="").exists()


def test_tick_retries_an_email_that_failed_and_sends_it_once(
        site, personas, make_case, smtp_server, django_capture_on_commit_callbacks):
    port = smtp_server.port
    settings_port = settings.EMAIL_PORT
    from django.test import override_settings

    # Nothing listens on port 1: the send fails.
    with override_settings(EMAIL_PORT=1), django_capture_on_commit_callbacks(execute=True):
        case = make_case()
    note = Notification.objects.get(recipient=personas["case_manager"], kind="case.new")
    assert note.emailed_at is None and smtp_server.messages == []
    assert settings_port == port
    assert tick_run(now=timezone.now(), only=["emails_retry"])["emails_retry"] == 0  # too fresh
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert tick_run(now=timezone.now(), only=["emails_retry"])["emails_retry"] == 1
        assert tick_run(now=timezone.now(), only=["emails_retry"])["emails_retry"] == 0
    assert len(smtp_server.messages) == 1
    assert f"case #{case.pk}" in smtp_server.messages[0]["data"]
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        Notification.objects.filter(pk=note.pk).update(emailed_at=None)
        assert tick_run(now=timezone.now(), only=["emails_retry"])["emails_retry"] == 0
