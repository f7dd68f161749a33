"""Production mode: the start-up refusals, the deployment checks, /healthz and the task queue.

The subprocess tests run the real `diversion` command against their own SQLite
database under a temporary DIVERSION_VAR_DIR, so they never touch var/.
"""

import logging
import re
import shutil
from unittest import mock

import pytest
from django.core import checks, mail
from django.core.management import call_command
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse

from diversion.accounts.models import Role, User
from diversion.accounts.services import user_create
from diversion.accounts.tests.serving import Server, child_env, production_env, run
from diversion.notifications.models import Notification
from diversion.notifications.services import notify
from diversion.platform.checks import demo_users_present
from diversion.platform.demo_users import DEMO_PASSWORD
from diversion.testing import DB_TASKS


@pytest.fixture(scope="module")
def migrated_var(tmp_path_factory):
    """A var/ directory with a migrated SQLite database and no user."""
    var = tmp_path_factory.mktemp("var-migrated")
    result = run(["migrate", "--noinput", "-v0"], child_env(DIVERSION_VAR_DIR=str(var)))
    assert result.returncode == 0, result.stderr
    return var


@pytest.fixture
def fresh_var(migrated_var, tmp_path):
    var = tmp_path / "var"
    shutil.copytree(migrated_var, var)
    return var


@pytest.fixture
def demo_var(fresh_var):
    result = run(["demo"], child_env(DIVERSION_VAR_DIR=str(fresh_var)))
    assert result.returncode == 0, result.stderr
    return fresh_var


def test_it_passes_the_deploy_checks_with_a_realistic_production_environment(fresh_var):
    result = run(["check", "--deploy", "--fail-level", "WARNING"], production_env(fresh_var))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_reports_demo_users_in_the_deploy_checks(demo_var):
    result = run(["check", "--deploy"], production_env(demo_var))
    assert result.returncode == 1
    assert "diversion.E001" in result.stderr
    assert "casemanager" in result.stderr


def test_it_refuses_to_serve_in_production_with_demo_users(demo_var):
    result = run(["serve", "--bind", "127.0.0.1:1", "--no-collectstatic"],
                 production_env(demo_var))
    assert result.returncode == 2
    assert "refusing to start" in result.stderr
    assert "diversion.E001" in result.stderr


def test_it_refuses_to_serve_in_production_with_the_default_secret_key(fresh_var):
    env = production_env(fresh_var)
    del env["SECRET_KEY"]
    result = run(["serve", "--bind", "127.0.0.1:1", "--no-collectstatic"], env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_it_refuses_to_serve_in_production_with_debug_on(fresh_var):
    result = run(["serve", "--bind", "127.0.0.1:1", "--no-collectstatic"],
                 production_env(fresh_var, DEBUG="true"))
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_it_serves_pages_static_files_and_healthz_in_production(fresh_var, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    server = Server(production_env(fresh_var, HOME=str(home)), workers=2)
    try:
        server.wait_ready()
        assert "2 workers" in server.output()
        # Nothing written under $HOME (the unit keeps it read-only): no control socket.
        assert list(home.iterdir()) == []
        assert "ERROR" not in server.output()
        https = {"Host": "lead.example.org", "X-Forwarded-Proto": "https"}

        status, _, body = server.request("GET", "/healthz")
        assert (status, body) == (200, b'{"status": "ok"}')

        # Plain HTTP is sent to HTTPS, except the load balancer's probe above.
        status, headers, _ = server.request("GET", "/accounts/login/",
                                            headers={"Host": "lead.example.org"})
        assert status == 301
        assert headers["location"].startswith("https://lead.example.org/")

        status, _, page = server.request("GET", "/accounts/login/", headers=https)
        assert status == 200
        # collectstatic ran at start-up: the page links a content-hashed stylesheet.
        css = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)
        assert css, page[:500]
        status, headers, _ = server.request("GET", css.group(1).decode(), headers=https)
        assert status == 200
        assert "immutable" in headers["cache-control"]

        spoofed = {"Host": "evil.example", "X-Forwarded-Proto": "https"}
        status, _, _ = server.request("GET", "/accounts/login/", headers=spoofed)
        assert status == 400
    finally:
        server.stop()


@pytest.mark.django_db
def test_it_flags_demo_users_until_they_are_deactivated(site):
    call_command("demo", stdout=mock.MagicMock())
    errors = [m for m in checks.run_checks(include_deployment_checks=True)
              if m.id == "diversion.E001"]
    assert len(errors) == 1
    assert "officer" in errors[0].msg

    User.objects.filter(username__in=demo_users_present()).update(is_active=False)
    assert not [m for m in checks.run_checks(include_deployment_checks=True)
                if m.id == "diversion.E001"]


@pytest.mark.django_db
def test_it_does_not_flag_a_real_account_that_shares_a_demo_username(site):
    user_create(username="admin", role=Role.ADMINISTRATOR, site=site, actor=None,
                password="a-real-long-passphrase-of-the-county", email="it@county.example",
                check_password=False)
    assert demo_users_present() == []
    User.objects.filter(username="admin").update(email="admin@demo.invalid")
    assert demo_users_present() == ["admin"]


@pytest.mark.django_db
def test_it_flags_a_demo_username_with_the_demo_password_whatever_its_email(site):
    user_create(username="supervisor", role=Role.SUPERVISOR, site=site, actor=None,
                password=DEMO_PASSWORD, email="sup@county.example", check_password=False)
    assert demo_users_present() == ["supervisor"]


@pytest.mark.django_db
def test_it_answers_healthz_without_signing_in(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_503_when_the_database_does_not(client):
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch("diversion.accounts.views.connection", broken):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"




@pytest.mark.django_db(transaction=True)
def test_it_sends_notification_email_from_the_worker_not_the_request(site, personas):
    casey = personas["case_manager"]
    with override_settings(TASKS=DB_TASKS, TASKS_BACKEND="database"):
        from django_tasks_db.models import DBTaskResult

        note = notify(recipient=casey, kind="case.assigned", subject="A new case",
                      body="Case #1 is yours.", url="/cases/1/")
        # Committed (no atomic block here): queued, not sent.
        assert mail.outbox == []
        assert DBTaskResult.objects.filter(status="READY").count() == 1

        call_command("worker", "--batch", "--no-startup-delay", verbosity=0)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [casey.email]
    note.refresh_from_db()
    assert note.emailed_at is not None
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_no_line_per_task_at_its_default_verbosity(site, personas, caplog):
    caplog.set_level(logging.DEBUG)  # the handler takes everything; the loggers decide
    with override_settings(TASKS=DB_TASKS, TASKS_BACKEND="database"):
        notify(recipient=personas["case_manager"], kind="case.assigned", subject="A new case",
               body="Case #1 is yours.", url="/cases/1/")
        call_command("worker", "--batch", "--no-startup-delay")
    assert len(mail.outbox) == 1
    chatter = [r.getMessage() for r in caplog.records
               if r.name.startswith("django_tasks") and r.levelno < logging.WARNING]
    assert chatter == []


@pytest.mark.django_db(transaction=True)
def test_it_queues_nothing_when_the_transaction_rolls_back(site, personas):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    with (override_settings(TASKS=DB_TASKS, TASKS_BACKEND="database"),
          pytest.raises(RuntimeError), transaction.atomic()):
        notify(recipient=personas["case_manager"], kind="case.assigned",
               subject="A new case", body="x", url="/cases/1/")
        raise RuntimeError("the service failed after notifying")
    assert DBTaskResult.objects.count() == 0
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_it_refuses_to_run_a_worker_without_a_queue():
    result = run(["worker", "--batch"], child_env(TASKS_BACKEND="immediate"))
    assert result.returncode != 0
    assert "TASKS_BACKEND" in result.stderr
