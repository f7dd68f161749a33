"""Fixtures of the texts tests: a real Jasmin SMS gateway connected over SMPP to a test SMSC
that plays the phones, and the app served by pytest-django's live server for Jasmin's
callbacks. Jasmin starts once per test process (about 5 s); its tests skip, saying why, only
when it cannot start (not installed, RabbitMQ or Redis down): .ci/run makes sure it can."""

import time as clock
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diversion.cases.tests.conftest import open_case, smtp_server  # noqa: F401 - re-exported
from diversion.texts import wording
from diversion.texts.testing.jasmin import Jasmin, JasminUnavailable, why_unavailable
from diversion.texts.testing.smsc import SMSC

TOKEN = "test-callback-token-0123456789abcdef"
SENT_BY_TESTS: list[str] = []  # every text the SMSC received, for the forbidden-words scan


@pytest.fixture(scope="session")
def gateway(live_server):
    """(SMSC, Jasmin) for the session; Jasmin's MO route points at the live server."""
    reason = why_unavailable()
    if reason:
        pytest.skip(f"Jasmin cannot start here: {reason}")
    smsc = SMSC().start()
    mo_url = live_server.url + reverse("texts:gateway_incoming", args=[TOKEN])
    jasmin = Jasmin(smsc_port=smsc.port, mo_url=mo_url)
    try:
        jasmin.start()
    except JasminUnavailable as exc:
        smsc.stop()
        pytest.skip(f"Jasmin cannot start here: {exc}")
    try:
        smsc.wait_bound()
        yield smsc, jasmin
    finally:
        SENT_BY_TESTS.extend(r.text for r in smsc.received)
        jasmin.stop()
        smsc.stop()


@pytest.fixture
def sms(gateway, settings, live_server, transactional_db):
    """The SMSC, with the app pointed at Jasmin and each test's texts scanned afterwards."""
    smsc, jasmin = gateway
    settings.SITE_URL = live_server.url
    settings.DIVERSION_SMS_URL = jasmin.http_url
    settings.DIVERSION_SMS_USERNAME = jasmin.username
    settings.DIVERSION_SMS_PASSWORD = jasmin.password
    settings.DIVERSION_SMS_CALLBACK_TOKEN = TOKEN
    settings.DIVERSION_SMS_HELP_PHONE = "503-555-0100"
    settings.DIVERSION_SMS_QUIET_HOURS = "00:00-00:00"  # off, unless a test sets them
    smsc.jasmin = jasmin
    before = len(smsc.received)
    yield smsc
    for text in smsc.received[before:]:
        assert not wording.forbidden_words(text.text), text.text


def local_noon(site, days: int = 0) -> datetime:
    day = timezone.now().astimezone(site.tz).date() + timedelta(days=days)
    return datetime.combine(day, time(12, 0), tzinfo=site.tz)


def wait_until(predicate, timeout: float = 15, what: str = "it"):
    deadline = clock.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if clock.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        clock.sleep(0.1)
