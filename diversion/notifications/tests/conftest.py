"""Fixtures of the notification tests."""

from diversion.cases.tests.conftest import smtp_server  # noqa: F401 - a real SMTP server
