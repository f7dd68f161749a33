"""The client's address behind the TLS proxy: what the audit log records."""

import pytest
from django.test import Client, RequestFactory

from diversion.accounts.tests.serving import child_env, run
from diversion.accounts.tests.signin import password_step
from diversion.audit.models import AuditEvent
from diversion.lib.net import client_ip, parse_networks

rf = RequestFactory()


def _ip(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(rf.get("/", **extra))


def test_a_direct_client_is_its_own_address_whatever_header_it_sends():
    assert _ip("198.51.100.20") == "198.51.100.20"
    assert _ip("198.51.100.20", "203.0.113.7") == "198.51.100.20"


def test_behind_the_loopback_proxy_it_is_the_address_the_proxy_saw():
    assert _ip("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    assert _ip("::1", "2001:db8::5") == "2001:db8::5"
    # No header: the proxy's own request (a probe) is the proxy's.
    assert _ip("127.0.0.1") == "127.0.0.1"


def test_a_client_cannot_name_an_address_by_sending_the_header_itself():
    # The proxy appends what it saw; what the client wrote stays on the left.
    assert _ip("127.0.0.1", "10.9.9.9, 203.0.113.7") == "203.0.113.7"
    assert _ip("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert _ip("127.0.0.1", "192.0.2.1, garbage") == "127.0.0.1"


def test_it_reads_past_every_proxy_the_deployment_trusts(settings):
    settings.DIVERSION_TRUSTED_PROXIES = parse_networks("x", ["127.0.0.1", "10.0.0.0/24"])
    assert _ip("10.0.0.5", "203.0.113.7, 10.0.0.9") == "203.0.113.7"
    assert _ip("10.0.0.5", "10.0.0.8") == "10.0.0.8"  # an internal client, all hops trusted
    assert _ip("10.0.1.5", "203.0.113.7") == "10.0.1.5"  # not a trusted proxy


def test_the_audit_log_records_the_officers_address_not_the_proxys(personas):
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.44")
    officer = personas["officer"]
    assert password_step(client, officer).status_code == 302
    event = AuditEvent.objects.filter(action="auth.login", actor=officer).latest("id")
    assert event.ip == "203.0.113.44"


@pytest.mark.parametrize("value", ["10.0.0.300", "proxy.example.org"])
def test_a_bad_trusted_proxy_stops_start_up_naming_the_variable(value):
    result = run(["check"], child_env(DIVERSION_TRUSTED_PROXIES=value))
    assert result.returncode != 0
    assert "DIVERSION_TRUSTED_PROXIES" in result.stderr and value in result.stderr


@pytest.mark.parametrize("remote, believed", [("198.51.100.20", False), ("127.0.0.1", True)])
def test_x_forwarded_proto_is_believed_only_from_a_trusted_proxy(settings, db, remote,
                                                                 believed):
    """Attack 13: production settings believed `X-Forwarded-Proto: https` from any client, so
    whoever reached gunicorn directly could claim HTTPS (X-Forwarded-For was already believed
    only from DIVERSION_TRUSTED_PROXIES)."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    response = Client(REMOTE_ADDR=remote).get("/accounts/login/",
                                              headers={"X-Forwarded-Proto": "https"})
    redirected = response.status_code == 301 and response["Location"].startswith("https://")
    assert redirected is not believed
