"""Fixtures of the cases tests: case builders and a real SMTP server (aiosmtpd)."""

import socket
import threading
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from diversion import testing
from diversion.cases.models import OnCallShift
from diversion.cases.services.lifecycle import case_open
from diversion.referrals.models import Referral
from diversion.referrals.services import rule_set_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server received: one entry per message."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                  "data": envelope.content.decode("utf-8", "replace")})
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[dict]:
        return [m for m in self.messages if address in m["to"]]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 and a free port; Django sends to it by SMTP."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    inbox.port = port
    try:
        yield inbox
    finally:
        controller.stop()


def local(site, text: str) -> datetime:
    """A wall-clock time at the site, e.g. local(site, '2027-03-21 23:59')."""
    return datetime.fromisoformat(text).replace(tzinfo=site.tz)


def open_case(site, *, officer, case_manager=None, pathway="arrest", occurred_at=None,
              opened_at=None, person=None, rule_set_id=None):
    """A referral accepted at OPENED_AT (default: an hour after OCCURRED_AT), with its case
    (under RULE_SET_ID's program if given, e.g. multnomah-deflection-2024)."""
    occurred_at = occurred_at or timezone.now() - timedelta(hours=1)
    opened_at = opened_at or occurred_at + timedelta(minutes=20)
    person = person or testing.make_person(site=site)
    data = testing.screening_input(pathway=pathway, occurred_at=occurred_at.isoformat())
    referral = Referral.objects.create(site=site, person=person, officer=officer,
                                       pathway=pathway, occurred_at=occurred_at,
                                       screening_input=data, accepted=True,
                                       choice_recorded_at=opened_at)
    if case_manager is not None:
        OnCallShift.objects.create(site=site, case_manager=case_manager,
                                   starts_at=opened_at - timedelta(minutes=1),
                                   ends_at=opened_at + timedelta(minutes=1))
    rule_set = rule_set_for(site=site, occurred_at=occurred_at, rule_set_id=rule_set_id)
    return case_open(referral=referral, actor=officer, at=opened_at, rule_set=rule_set)


@pytest.fixture
def make_case(site, personas):
    def build(**kwargs):
        kwargs.setdefault("case_manager", personas["case_manager"])
        return open_case(site, officer=personas["officer"], **kwargs)
    return build
